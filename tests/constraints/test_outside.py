"""Explanations that move a feature beyond the values seen in training get a warning."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.constraints import FeatureConstraints
from sklearn_ct.constraints._outside import beyond_observed
from sklearn_ct.pipeline import make_pipeline


def _debt_data(n=600, seed=0):
    """A debt ratio in [0, 1] that lowers the odds of class 1, and an income."""
    rng = np.random.default_rng(seed)
    debt = rng.uniform(0, 1, n)
    income = rng.normal(50, 10, n)
    y = (income / 10 - 4 * debt + rng.normal(0, 0.5, n) > 3).astype(int)
    return pd.DataFrame({"debt": debt, "income": income}), y


def _low_debt_people(model, X):
    """People predicted 0 whose cheapest lever is a debt ratio already near 0."""
    return X[(model.predict(X) == 0) & (np.asarray(X)[:, 0] < 0.1)]


def test_moves_count_only_where_the_feature_changed_and_left_the_range():
    fc = FeatureConstraints(
        ["both"] * 3, [-9] * 3, [9] * 3, observed_low=[0, 0, 0], observed_high=[1] * 3
    )
    factuals = [[2.0, 0.5, 0.5], [0.5, 0.5, 0.5]]
    # Row 0: feature 0 was already beyond the range and stays (not a move);
    # row 1: feature 1 moves below 0, feature 2 above 1; a hair of round-off
    # past the range does not count.
    counterfactuals = [[2.0, 0.2, -1e-9], [0.5, -0.3, 1.4]]
    assert beyond_observed(fc, factuals, counterfactuals).tolist() == [
        [0, 0, 0],
        [0, -1, 1],
    ]
    # Without observed bounds (constraints built by hand), nothing counts.
    bare = FeatureConstraints(["both"] * 3, [-9] * 3, [9] * 3)
    assert not beyond_observed(bare, factuals, counterfactuals).any()


def test_combined_constraints_keep_the_models_own_observed_range():
    own = FeatureConstraints(
        ["both"], [-5], [5], observed_low=[0.0], observed_high=[1.0]
    )
    given = FeatureConstraints(
        ["both"], [-4], [4], observed_low=[-2.0], observed_high=[3.0]
    )
    combined = own.combine(given)
    assert combined.observed_low.tolist() == [0.0]
    assert combined.observed_high.tolist() == [1.0]
    bare = FeatureConstraints(["both"], [-5], [5])
    assert bare.combine(given).observed_low.tolist() == [-2.0]
    # A bound the user gave to the explainer stays theirs: open on that side.
    theirs = FeatureConstraints(
        ["both"], [0], [4], observed_low=[-np.inf], observed_high=[3.0]
    )
    assert own.combine(theirs).observed_low.tolist() == [-np.inf]
    assert own.combine(theirs).observed_high.tolist() == [1.0]
    # Constraints pickled before the field existed unpickle without it.
    state = pickle.loads(pickle.dumps(bare))
    del state.__dict__["observed_low"]
    assert state.observed_low is None  # the class default
    assert state.combine(given).observed_high.tolist() == [3.0]


def test_explain_warns_when_the_inferred_box_allows_an_impossible_value():
    X, y = _debt_data()
    X = X.to_numpy()
    model = LogisticRegression().fit(X, y)
    people = _low_debt_people(model, X)
    explainer = CounterfactualExplainer(model).fit(X)
    with pytest.warns(UserWarning, match=r"beyond the values seen in training: x0 "):
        result = explainer.explain(people, target=1)
    moved_below = (result.model_counterfactuals[:, 0] < X[:, 0].min()).sum()
    assert moved_below > 0  # the warning is not a false alarm
    assert f"(below the lowest in {moved_below})" in _warning_text(explainer, people)


def _warning_text(explainer, people):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        explainer.explain(people, target=1)
    texts = [str(w.message) for w in caught if "beyond the values" in str(w.message)]
    assert len(texts) == 1
    return texts[0]


@pytest.mark.parametrize("domain", ["observed", {"debt": (0, None)}])
def test_a_domain_that_forbids_it_gives_no_warning_and_no_such_value(domain):
    X, y = _debt_data()
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    people = _low_debt_people(pipe, X)
    explainer = CounterfactualExplainer(pipe, domain=domain).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        result = explainer.explain(people, target=1)
    assert (result.counterfactuals["debt"] >= -1e-9).all()
    assert result.valid.mean() > 0.5


def test_a_ct_classifier_in_a_pipeline_warns_in_the_users_column_names():
    X, y = _debt_data()
    pipe = make_pipeline(
        StandardScaler(),
        CounterfactualTrainingClassifier(
            objective="vanilla", max_epochs=20, random_state=0
        ),
    ).fit(X, y)
    people = _low_debt_people(pipe, X)
    with pytest.warns(UserWarning, match=r"debt \(below the lowest in \d+\)"):
        result = pipe.explain(people, target=1)
    assert (result.counterfactuals["debt"] < 0).any()


def test_a_bound_given_for_one_feature_leaves_the_warning_for_the_others():
    X, y = _debt_data()
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    people = _low_debt_people(pipe, X)
    explainer = CounterfactualExplainer(pipe, domain={"income": (0, 200)}).fit(X)
    with pytest.warns(UserWarning, match=r"debt \(below the lowest in \d+\)"):
        explainer.explain(people, target=1)


def test_the_warning_names_a_column_transformers_input_columns():
    # A ColumnTransformer names its output "num__debt"; the user wrote
    # "debt", and bounds are given by that name, so the warning and its
    # example say "debt".
    X, y = _debt_data()
    pre = ColumnTransformer([("num", StandardScaler(), ["debt", "income"])])
    pipe = make_pipeline(pre, LogisticRegression()).fit(X, y)
    text = _warning_text(
        CounterfactualExplainer(pipe).fit(X), _low_debt_people(pipe, X)
    )
    assert "num__" not in text
    assert "debt (below the lowest in" in text
    assert "such as {'debt': (low, high)}" in text


def test_data_outside_a_given_box_is_named_by_the_users_column():
    X, y = _debt_data()
    pre = ColumnTransformer([("num", StandardScaler(), ["debt", "income"])])
    pipe = make_pipeline(pre, LogisticRegression()).fit(X, y)
    share = (X["debt"] > 0.9).mean()
    explainer = CounterfactualExplainer(pipe, domain={"debt": (0.0, 0.9)})
    with pytest.warns(UserWarning, match="outside the domain box") as caught:
        explainer.fit(X)
    text = " ".join(str(w.message) for w in caught)
    assert "num__" not in text
    assert f"debt ({share:.2%} of rows)" in text
