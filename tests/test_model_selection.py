"""Model selection a user can see and trust.

The refit helper, scorers restricted to a target and to factual classes (on a
pipeline's raw input), the manifold distance, and the training warnings that
say what was measured and what helps.
"""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from torch import nn

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.datasets import make_loans
from sklearn_ct.metrics import (
    cost_scorer,
    implausibility_by_target,
    make_explainability_scorer,
    manifold_distance,
    manifold_scorer,
)
from sklearn_ct.model_selection import most_plausible_within
from sklearn_ct.pipeline import make_pipeline
from sklearn_ct.training._diagnostics import looks_unstandardised, warn_about_training

FAST = {
    "max_epochs": 3,
    "n_counterfactuals": 32,
    "max_iter_cf": 10,
    "lr": 0.01,
    "random_state": 0,
}


def _results(accuracy, plausibility, cost=None):
    out = {
        "mean_test_accuracy": np.asarray(accuracy, dtype=float),
        "mean_test_plausibility": np.asarray(plausibility, dtype=float),
        "params": [{}] * len(accuracy),
    }
    if cost is not None:
        out["mean_test_cost"] = np.asarray(cost, dtype=float)
    return out


@pytest.fixture(scope="module")
def blobs3():
    return make_blobs(150, n_features=2, centers=3, cluster_std=1.0, random_state=1)


# ------------------------------------------------------------- refit helper
def test_refit_picks_most_plausible_among_accurate_and_cheap():
    results = _results(
        accuracy=[0.95, 0.945, 0.90, 0.948, 0.949],
        plausibility=[-1.2, -0.8, -0.1, -0.9, -0.95],
        cost=[-2.0, -3.0, -1.5, -2.05, -2.2],
    )
    refit = most_plausible_within(accuracy_tolerance=0.01, cost_tolerance=0.05)
    # 2 is too inaccurate; of the rest the cheapest costs 2.0: 1 (3.0) and
    # 4 (2.2) are more than 5% dearer.
    assert refit.eligible(results).tolist() == [True, False, False, True, False]
    assert refit(results) == 3
    assert isinstance(refit(results), int)


def test_cost_tolerance_is_relative_to_the_cost_not_the_negated_score():
    # Costs 10 and 10.4 (4% dearer): within 5%. Read as raw scores, -10.4 would
    # be compared with -10 * 1.05 = -10.5 the wrong way round.
    results = _results([0.9, 0.9, 0.9], [-1.0, -0.5, -0.2], [-10.0, -10.4, -10.6])
    refit = most_plausible_within(cost_tolerance=0.05)
    assert refit.eligible(results).tolist() == [True, True, False]
    assert refit(results) == 1


def test_without_cost_only_accuracy_and_plausibility_count():
    results = _results([0.9, 0.895, 0.85], [-1.0, -0.5, -0.1], [-1.0, -9.0, -1.0])
    assert most_plausible_within(cost=None)(results) == 1
    assert most_plausible_within(accuracy_tolerance=0.1, cost=None)(results) == 2
    assert most_plausible_within(accuracy_tolerance=0.0, cost=None)(results) == 0


def test_refit_handles_nan_scores():
    # A candidate without valid counterfactuals has nan cost and plausibility.
    results = _results([0.9, 0.9, np.nan], [np.nan, -0.5, -0.1], [np.nan, -1.0, -1.0])
    refit = most_plausible_within()
    assert refit.eligible(results).tolist() == [False, True, False]
    assert refit(results) == 1
    # No finite plausibility at all: the most accurate eligible candidate.
    none = _results([0.89, 0.9], [np.nan, np.nan], [-1.0, -1.0])
    assert refit(none) == 1
    with pytest.raises(ValueError, match="finite mean 'accuracy'"):
        refit(_results([np.nan], [-1.0], [-1.0]))


def test_missing_score_error_lists_the_scores_there_are():
    results = {
        "mean_test_accuracy": [0.9],
        "mean_test_validity": [1.0],
        "mean_test_neg_cost": [-1.0],
    }
    with pytest.raises(ValueError, match="no scorer is named 'plausibility'") as err:
        most_plausible_within()(results)
    assert "'accuracy', 'neg_cost', 'validity'" in str(err.value)
    single = {"mean_test_score": [0.9]}
    with pytest.raises(ValueError, match="Its scores are 'score'"):
        most_plausible_within()(single)


def test_positive_cost_scores_are_refused():
    with pytest.raises(ValueError, match="negated costs"):
        most_plausible_within()(_results([0.9], [-1.0], [2.0]))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"accuracy_tolerance": -0.1},
        {"cost_tolerance": float("nan")},
        {"accuracy_tolerance": "1%"},
        {"cost_tolerance": True},
    ],
)
def test_invalid_tolerances_are_refused(kwargs):
    with pytest.raises(ValueError, match="finite float >= 0"):
        most_plausible_within(**kwargs)


def test_score_names_must_be_strings():
    with pytest.raises(TypeError, match="plausibility must be the name"):
        most_plausible_within(plausibility=manifold_scorer)


def test_refit_pickles_and_says_what_it_is():
    refit = most_plausible_within(0.02, 0.1, plausibility="neg_manifold")
    loaded = pickle.loads(pickle.dumps(refit))
    results = _results([0.9, 0.9], [0, 0])
    results["mean_test_neg_manifold"] = [-1.0, -0.5]
    results["mean_test_cost"] = [-1.0, -1.0]
    assert loaded(results) == refit(results) == 1
    assert repr(refit) == (
        "most_plausible_within(accuracy_tolerance=0.02, "
        "cost_tolerance=0.1, accuracy='accuracy', "
        "plausibility='neg_manifold', cost='cost')"
    )


# --------------------------------------------------------- manifold distance
def test_manifold_distance_equals_brute_force():
    rng = np.random.default_rng(0)
    cf, ref = rng.normal(size=(7, 3)), rng.normal(size=(20, 3))
    l1 = np.abs(cf[:, None, :] - ref[None, :, :]).sum(axis=2)
    expected = np.sort(l1, axis=1)[:, :5].mean()
    assert manifold_distance(cf, ref) == pytest.approx(expected)
    assert manifold_distance(cf, ref, n_neighbors=1) == pytest.approx(l1.min(1).mean())


def test_manifold_distance_uses_every_point_when_fewer_than_k():
    assert manifold_distance([[0.0]], [[1.0], [3.0]], n_neighbors=5) == 2.0


def test_manifold_distance_is_small_on_the_data_and_large_off_it():
    rng = np.random.default_rng(0)
    ref, held_out = rng.normal(size=(300, 2)), rng.normal(size=(50, 2))
    on = manifold_distance(held_out, ref)
    assert on < 0.5 < manifold_distance(held_out + 4, ref)


def test_manifold_distance_nan_when_empty_and_checks_k():
    assert np.isnan(manifold_distance(np.empty((0, 2)), [[0.0, 0.0]]))
    assert np.isnan(manifold_distance([[0.0, 0.0]], np.empty((0, 2))))
    with pytest.raises(ValueError, match="n_neighbors"):
        manifold_distance([[0.0]], [[1.0]], n_neighbors=0)


def test_manifold_by_target_compares_with_each_target_class():
    from types import SimpleNamespace

    result = SimpleNamespace(
        model_counterfactuals=[[0.0], [4.0]], target=[0, 1], valid=[True, True]
    )
    value = implausibility_by_target(
        result, [[1.0], [5.0], [7.0]], [0, 1, 1], metric="manifold", n_neighbors=1
    )
    assert value == 1.0


# ------------------------------------------------------- restricted scorers
def test_factual_class_and_target_restrict_what_is_explained(blobs3):
    X, y = blobs3
    model = LogisticRegression().fit(X, y)
    scorer = make_explainability_scorer(
        "manifold", factual_class=0, target=2, n_factuals=20, max_iter=50
    )
    rows = scorer._factual_rows(model, X)
    assert len(rows) == 20 and np.all(model.predict(X[rows]) == 0)
    # The score is minus the manifold distance of these rows' counterfactuals
    # towards class 2 to the rows of X labelled 2.
    explainer = CounterfactualExplainer(model, max_iter=50, random_state=0)
    result = explainer.fit(X, y).explain(X[rows], target=2)
    assert np.all(result.target == 2) and result.valid.all()
    expected = manifold_distance(result.model_counterfactuals, X[y == 2])
    assert scorer(model, X, y) == pytest.approx(-expected)


def test_target_alone_skips_rows_already_predicted_as_target(blobs3):
    X, y = blobs3
    model = LogisticRegression().fit(X, y)
    scorer = make_explainability_scorer("cost", target=1, n_factuals=500)
    rows = scorer._factual_rows(model, X)
    assert np.array_equal(rows, np.flatnonzero(model.predict(X) != 1))
    assert scorer(model, X, y) < 0  # nobody is explained at zero cost


def test_unrestricted_scorers_keep_their_factuals(blobs3):
    X, _ = blobs3
    scorer = make_explainability_scorer("cost", n_factuals=30)
    expected = np.sort(np.random.default_rng(0).permutation(len(X))[:30])
    assert np.array_equal(scorer._factual_rows(None, X), expected)


def test_restricted_scorer_without_eligible_rows_warns_and_returns_nan(blobs3):
    X, y = blobs3
    model = LogisticRegression().fit(X, y)
    scorer = make_explainability_scorer("validity", factual_class=0, n_factuals=10)
    only_others = X[model.predict(X) != 0]
    with pytest.warns(UserWarning, match="No row of X is predicted as factual_class"):
        assert np.isnan(scorer(model, only_others, y[model.predict(X) != 0]))


def test_restricted_scorer_refuses_unknown_or_equal_classes(blobs3):
    X, y = blobs3
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="not a class of the estimator"):
        make_explainability_scorer("cost", factual_class="bad")(model, X, y)
    with pytest.raises(ValueError, match="both 1"):
        make_explainability_scorer("cost", factual_class=1, target=1)
    with pytest.raises(ValueError, match="single class label"):
        make_explainability_scorer("cost", target=[0, 1])


def test_restricted_scorer_pickles_and_says_what_it_scores():
    scorer = make_explainability_scorer(
        "manifold", factual_class="bad", target="good", max_iter=20
    )
    loaded = pickle.loads(pickle.dumps(scorer))
    assert (loaded.target, loaded.factual_class) == ("good", "bad")
    assert repr(scorer).startswith(
        "make_explainability_scorer('manifold', target='good', factual_class='bad'"
    )
    assert repr(manifold_scorer) == (
        "make_explainability_scorer('manifold', n_factuals=100, random_state=0)"
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_grid_search_on_a_pipeline_with_raw_input_and_restricted_scorers():
    X, y = make_loans(240, random_state=0)
    labels = np.where(y == 1, "bad", "good")  # a bank's labels
    pre = make_column_transformer(
        (OneHotEncoder(), ["housing"]),
        (StandardScaler(), ["age", "income", "debt", "dependents"]),
    )
    clf = CounterfactualTrainingClassifier(mutability={"age": "none"}, **FAST)
    bad_to_good = {
        "factual_class": "bad",
        "target": "good",
        "n_factuals": 20,
        "max_iter": 30,
    }
    scoring = {
        "accuracy": "accuracy",
        "plausibility": make_explainability_scorer("manifold", **bad_to_good),
        "cost": make_explainability_scorer("cost", **bad_to_good),
    }
    refit = most_plausible_within(accuracy_tolerance=0.05, cost_tolerance=0.5)
    search = GridSearchCV(
        make_pipeline(pre, clf),
        {"counterfactualtrainingclassifier__lambda_div": [0.1, 1.0]},
        scoring=scoring,
        refit=refit,
        cv=2,
    ).fit(X, labels)
    results = search.cv_results_
    for name in ("plausibility", "cost"):
        scores = results[f"mean_test_{name}"]
        assert np.all(np.isfinite(scores)) and np.all(scores < 0)
    assert search.best_index_ == refit(results)
    assert search.best_estimator_.predict(X.head(3)).dtype.kind in "OU"
    # The raw columns go in; explanations of the refitted pipeline come back
    # in them.
    bad = X[search.best_estimator_.predict(X) == "bad"].head(2)
    explained = search.best_estimator_.explain(bad, target="good")
    assert list(explained.counterfactuals.columns) == list(X.columns)


# ------------------------------------------------------------------ warnings
def _convergence_warnings(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [str(w.message) for w in caught if w.category is ConvergenceWarning]


@pytest.fixture(scope="module")
def standardised():
    X, y = make_blobs(200, centers=[[-1, -1], [1, 1]], random_state=0)
    return StandardScaler().fit_transform(X), y


def test_idle_warning_once_per_fit_with_the_measurements_and_what_helps(standardised):
    X, y = standardised
    clf = CounterfactualTrainingClassifier(**{**FAST, "max_iter_cf": 1})
    messages = _convergence_warnings(lambda: clf.fit(X, y))
    assert len(messages) == 1
    message = messages[0]
    matured = clf.history_["cf_converged"].mean()
    assert f"Only {matured:.1%} of the training counterfactuals" in message
    assert "decision_threshold=0.75 within max_iter_cf=1" in message
    # The settings that help, in this order; the data are standardised.
    positions = [
        message.index(s)
        for s in (
            "lower decision_threshold (e.g. 0.5",
            "higher max_iter_cf (e.g. 2",
            "higher step_size_cf (e.g. 0.2",
        )
    ]
    assert positions == sorted(positions)
    assert "tandardise" not in message


def test_idle_warning_names_the_marginal_energy_first_only_for_joint(standardised):
    X, y = standardised
    joint = CounterfactualTrainingClassifier(
        **{**FAST, "max_iter_cf": 1, "energy": "joint"}
    )
    (message,) = _convergence_warnings(lambda: joint.fit(X, y))
    assert message.index('energy="marginal"') < message.index(
        "decision_threshold (e.g."
    )
    default = CounterfactualTrainingClassifier(**{**FAST, "max_iter_cf": 1})
    (message,) = _convergence_warnings(lambda: default.fit(X, y))
    assert 'energy="marginal" (' not in message


def test_idle_warning_advises_standardising_only_unscaled_inputs(standardised):
    X, y = standardised
    clf = CounterfactualTrainingClassifier(
        **{**FAST, "max_iter_cf": 1, "decision_threshold": 0.5}
    )
    raw = _convergence_warnings(lambda: clf.fit(X * [5.0, 1.0], y))
    assert len(raw) == 1 and "Standardise the inputs" in raw[0]
    assert "column standard deviations from 1 to 5)" in raw[0]
    assert "decision_threshold (e.g." not in raw[0]  # already 0.5


def test_one_hot_columns_do_not_look_unstandardised():
    rng = np.random.default_rng(0)
    onehot = np.eye(3)[rng.choice(3, 500, p=[0.9, 0.07, 0.03])]
    X = np.hstack([rng.normal(size=(500, 2)), onehot])
    assert not looks_unstandardised(X)[0]
    assert looks_unstandardised(np.hstack([X, 0.01 * rng.normal(size=(500, 1))]))[0]


class _PriorOnly(nn.Module):
    """Logits that ignore the input: training can only learn the class prior."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(n_classes))

    def forward(self, x):
        return self.bias + 0.0 * x[:, :1]


@pytest.fixture(scope="module")
def imbalanced():
    X, _ = make_blobs(200, centers=[[-1, -1], [1, 1]], random_state=0)
    return X, np.where(np.arange(200) < 140, 0, 1)  # 70% / 30%


@pytest.mark.parametrize("objective", ["full", "vanilla"])
def test_collapse_to_one_class_is_reported_once(imbalanced, objective):
    X, y = imbalanced
    clf = CounterfactualTrainingClassifier(
        module=_PriorOnly, objective=objective, **{**FAST, "max_epochs": 5, "lr": 0.1}
    )
    messages = _convergence_warnings(lambda: clf.fit(X, y))
    assert len(messages) == 1 and "Training collapsed to one class" in messages[0]
    assert "predicts 0 for 100.0% of the 200 training rows" in messages[0]
    assert "30.0% of them belong to other classes" in messages[0]
    # The prior-only network cannot separate the classes; no lambda is to blame.
    assert "did not learn to separate the classes" in messages[0]
    assert "lambda_" not in messages[0]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_collapse_blames_the_lambdas_whose_terms_outweighed_the_cross_entropy(
    imbalanced,
):
    X, y = imbalanced
    clf = CounterfactualTrainingClassifier(
        module=_PriorOnly, lambda_div=1e6, **FAST
    ).fit(X, y)
    history = clf.history_.copy()
    history.loc[history.index[-1], ["clf_loss", "div_loss", "reg_loss", "adv_loss"]] = [
        0.6,
        -0.01,
        0.5,
        0.7,
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_about_training(history, clf, X.astype(np.float32), y)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages
    # Largest weighted term first: 1e6 * 0.01, then 0.25 * 0.7, then 0.1 * 0.5.
    assert (
        "lower lambda_div=1e+06 (default 0.5), lambda_adv=0.25 (default 0.25),"
        " lambda_reg=0.1 (default 0.1)"
    ) in messages[0]


def test_healthy_training_reports_nothing(standardised):
    X, y = standardised
    clf = CounterfactualTrainingClassifier(
        **{**FAST, "max_epochs": 6, "decision_threshold": 0.5}
    )
    assert _convergence_warnings(lambda: clf.fit(X, y)) == []


def test_cost_scorer_unchanged_by_the_new_options(blobs3):
    # The ready-made scorers keep explaining every row with random targets.
    assert (cost_scorer.target, cost_scorer.factual_class) == (None, None)
