"""The discrete fallback search: complete on mixed data, exact on constraints.

Unit tests of ``neighbourhood_search`` (``sklearn_ct.explain._neighbourhood``) on
hand-made models where gradient steps cannot help (a category switch, an
increase-only count past a step, two changes at once); the explainer's
``fallback`` option and honest status; and the package against an
exhaustive oracle over the allowed values (``recourse_oracle.py``) on small
mixed column sets, with baseline and CT models, and as a property test.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from recourse_oracle import decisive_predict, exhaustive_recourse, make_justice
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline as sk_make_pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.constraints import FeatureConstraints, project
from sklearn_ct.datasets import make_loans
from sklearn_ct.explain._neighbourhood import neighbourhood_search, searched_budget
from sklearn_ct.pipeline import make_pipeline


class _Rule(torch.nn.Module):
    """Two-class logits ``[0, f(x)]`` from a rule on the columns."""

    def __init__(self, rule):
        super().__init__()
        self.rule = rule

    def forward(self, x):
        return torch.stack([torch.zeros(len(x), dtype=x.dtype), self.rule(x)], dim=1)


def _search(rule, x, fc, **kwargs):
    c = fc.tensors(dtype=torch.float64)
    x = torch.as_tensor(x, dtype=torch.float64)
    points, found = neighbourhood_search(
        _Rule(rule), x, torch.ones(len(x), dtype=torch.long), c, **kwargs
    )
    assert torch.equal(project(points, x, c), points)  # the projection's fixed points
    assert (fc.violations(points.numpy(), x.numpy()) == 0).all()
    return points.numpy(), found.numpy()


def test_a_category_switch_is_found_where_no_gradient_leads():
    # columns: a 3-level one-hot group; only level 2 reaches the target
    fc = FeatureConstraints(["both"] * 3, [0] * 3, [1] * 3, groups=[[0, 1, 2]])
    points, found = _search(lambda x: 10 * x[:, 2] - 5, np.eye(3)[[0, 1]], fc)
    assert found.all()
    np.testing.assert_array_equal(points, np.eye(3)[[2, 2]])


def test_an_increase_only_count_goes_up_to_the_first_integer_that_reaches():
    fc = FeatureConstraints(
        ["increase", "both"], [0, -1], [30, 1], integer=[True, False]
    )
    # the target needs count > 5.5, whatever the other column does
    points, found = _search(
        lambda x: 10 * (x[:, 0] - 5.5) + 0 * x[:, 1], [[2.0, 0.0], [9.0, 0.0]], fc
    )
    assert found[0] and not found[1]  # the second already reaches: left alone
    np.testing.assert_array_equal(points[0], [6.0, 0.0])  # the cheapest valid


def test_a_direction_mutability_forbids_is_never_taken():
    fc = FeatureConstraints(["increase"], [0], [10], integer=[True])
    points, found = _search(lambda x: 3.0 - x[:, 0], [[5.0]], fc)  # needs a decrease
    assert not found.any() and points[0, 0] == 5.0


def test_two_changes_at_once_are_found_and_frozen_features_stay():
    fc = FeatureConstraints(["both", "both", "both"], [0, 0, 0], [4, 4, 4])
    rule = lambda x: 10 * (torch.minimum(x[:, 0], x[:, 1]) - 2.5)  # noqa: E731
    points, found = _search(rule, [[0.0, 0.0, 1.0]], fc)
    assert found.all() and points[0, 0] > 2.5 and points[0, 1] > 2.5
    assert points[0, 2] == 1.0  # nothing else moves
    c = fc.tensors(dtype=torch.float64).with_frozen(
        torch.tensor([[True, False, False]])
    )
    x = torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64)
    points, found = neighbourhood_search(_Rule(rule), x, torch.tensor([1]), c)
    assert not found.any() and torch.equal(points, x)


def test_three_changes_together_are_found_where_fewer_do_nothing():
    # The target needs all three columns above 0.5; fewer changes leave the
    # margin flat, so neither pairs nor greedy rounds lead there.
    fc = FeatureConstraints(["both"] * 3, [0] * 3, [1] * 3)

    def rule(x):
        return 10.0 * (x > 0.5).all(dim=1).to(x.dtype) - 5.0

    points, found = _search(rule, np.zeros((2, 3)), fc)
    assert found.all()
    np.testing.assert_allclose(points, 7 / 12)  # the first grid value above 0.5
    _, found = _search(rule, np.zeros((2, 3)), fc, max_product=0)
    assert not found.any()


def test_a_pocket_between_grid_values_is_found_around_the_best_point():
    # Valid only within 0.1 of 5.15: no grid value (5.0, 5.42, ...) lies in
    # it, but 5.0 has the best margin and a fraction of a step from it does.
    fc = FeatureConstraints(["increase"], [0], [10])
    points, found = _search(lambda x: 0.1 - (x[:, 0] - 5.15).abs(), [[0.0]], fc)
    assert found.all() and abs(points[0, 0] - 5.15) < 0.1


def test_a_threshold_above_the_class_is_respected():
    fc = FeatureConstraints(["both"], [0], [10])
    rule = lambda x: x[:, 0] - 1.0  # noqa: E731
    points, found = _search(rule, [[0.0]], fc, threshold=0.99)
    assert found.all() and 1 / (1 + np.exp(-(points[0, 0] - 1.0))) >= 0.99


# --------------------------------------------------------------------------
# The explainer's option and its status
# --------------------------------------------------------------------------
def _justice_pipeline(
    columns, mutability, objective="vanilla", n_samples=700, seed=0, max_epochs=8
):
    X, y = make_justice(n_samples, random_state=seed)
    X = X[columns]
    categorical = [c for c in columns if X[c].dtype.kind not in "iuf"]
    numeric = [c for c in columns if c not in categorical]
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(), categorical), ("num", StandardScaler(), numeric)]
    )
    clf = CounterfactualTrainingClassifier(
        objective=objective,
        max_epochs=max_epochs,
        domain="observed",
        mutability=mutability,
        n_counterfactuals=100,
        random_state=seed,
    )
    n_train = n_samples * 3 // 4
    pipe = make_pipeline(pre, clf).fit(X[:n_train], y[:n_train])
    return pipe, X[:n_train], X[n_train:]


JUSTICE = (
    ["age", "length_of_stay", "priors_count", "charge_degree"],
    {"age": "none", "priors_count": "increase"},
)


@pytest.fixture(scope="module")
def justice():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _justice_pipeline(*JUSTICE)


def test_the_fallback_is_on_by_default_and_can_be_switched_off(justice):
    pipe, _, X_test = justice
    assert CounterfactualExplainer(pipe).get_params()["fallback"] is True
    people = X_test[pipe.predict(X_test) == 1].head(40)
    on = pipe.explain(people, target=0)
    off = pipe.explain(people, target=0, fallback=False)
    assert on.valid.sum() >= off.valid.sum()
    assert not (off.valid & ~on.valid).any()
    with pytest.raises(
        ValueError, match=r"'fallback' parameter .* must be an instance of 'bool'"
    ):
        pipe.explain(people, target=0, fallback="yes")


def test_no_recourse_says_what_was_searched(justice):
    pipe, _, X_test = justice
    people = X_test.head(5).assign(charge_degree="F")
    frozen = CounterfactualExplainer(pipe, mutability="none").fit(X_test)
    result = frozen.explain(people, target=0)
    stuck = result.status[~result.valid & (result.predicted != result.target)]
    assert len(stuck) and set(stuck) == {
        f"no recourse found {searched_budget(100, True)}"
    }
    off = (
        CounterfactualExplainer(pipe, mutability="none", fallback=False, max_iter=20)
        .fit(X_test)
        .explain(people, target=0)
    )
    assert "no recourse found in 20 gradient steps" in set(off.to_frame()["status"])


# --------------------------------------------------------------------------
# Against the exhaustive oracle
# --------------------------------------------------------------------------
def _loans(objective, seed=0):
    X, y = make_loans(700, random_state=seed)
    X = X[["age", "debt", "dependents", "housing"]]
    mutability = {"age": "none", "dependents": "decrease"}
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(), ["housing"]),
            ("num", StandardScaler(), ["age", "debt", "dependents"]),
        ]
    )
    clf = CounterfactualTrainingClassifier(
        objective=objective,
        max_epochs=8,
        domain="observed",
        mutability=mutability,
        n_counterfactuals=100,
        random_state=seed,
    )
    return make_pipeline(pre, clf).fit(X[:500], y[:500]), X[:500], X[500:], mutability


def _share(explainer, pipe, X_train, people, target, mutability, **options):
    """Share of the oracle's people with recourse the package finds; violations.

    ``options`` go to ``explain``.
    """
    oracle = exhaustive_recourse(
        decisive_predict(pipe), people, target, X_train, mutability
    )
    result = explainer.explain(people, target=target, **options)
    bad = explainer.constraints_.violations(
        result.model_counterfactuals, result.model_factuals
    )
    found = result.valid & oracle
    return found.sum() / max(oracle.sum(), 1), int(oracle.sum()), int(bad.sum())


@pytest.mark.parametrize("objective", ["vanilla", "full"])
@pytest.mark.parametrize("data", ["justice", "loans"])
def test_recourse_is_found_wherever_exhaustive_search_finds_it(data, objective):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if data == "justice":
            pipe, X_train, X_test = _justice_pipeline(*JUSTICE, objective=objective)
            mutability, favourable = JUSTICE[1], 0
        else:
            pipe, X_train, X_test, mutability = _loans(objective)
            favourable = 0
    people = X_test[pipe.predict(X_test) != favourable].head(60)
    share, n_oracle, bad = _share(
        CounterfactualExplainer(pipe).fit(X_train),
        pipe,
        X_train,
        people,
        favourable,
        mutability,
    )
    assert n_oracle >= 10 and share >= 0.95 and bad == 0


# --------------------------------------------------------------------------
# Property: small mixed tables, any direction of the count, two model kinds
# --------------------------------------------------------------------------
def _mixed_table(seed, n_levels, n_samples=260):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "fixed": rng.integers(18, 70, n_samples),
            "count": rng.poisson(3, n_samples).clip(0, 12),
            "amount": np.round(rng.normal(50, 15, n_samples), 1),
            "level": rng.choice([f"l{k}" for k in range(n_levels)], n_samples),
        }
    )
    w = rng.normal(0, 1, 3 + n_levels)
    score = (
        w[0] * (X["fixed"] - 44) / 15
        + w[1] * (X["count"] - 3) / 2
        + w[2] * (X["amount"] - 50) / 15
        + w[3:][X["level"].str[1:].astype(int)]
    )
    y = (score + rng.logistic(0, 0.5, n_samples) > np.median(score)).astype(int)
    return X, y.to_numpy()


def _mixed_pipeline(seed, n_levels, model):
    """A :func:`_mixed_table` and a logistic or MLP pipeline fitted on 200 rows."""
    X, y = _mixed_table(seed, n_levels)
    estimator = (
        LogisticRegression()
        if model == "logistic"
        else MLPClassifier((16,), max_iter=300, random_state=seed)
    )
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(), ["level"]),
            ("num", StandardScaler(), ["fixed", "count", "amount"]),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = sk_make_pipeline(pre, estimator).fit(X[:200], y[:200])
    return pipe, X


SCALERS = {
    "standard": StandardScaler,
    "minmax": MinMaxScaler,
    "robust": RobustScaler,
    "maxabs": MaxAbsScaler,
    "quantile": lambda: QuantileTransformer(n_quantiles=50),
    "power": PowerTransformer,
    "kbins": lambda: KBinsDiscretizer(5, encode="ordinal", quantile_method="linear"),
    "none": lambda: "passthrough",
}


def _variant_pipeline(
    seed, n_levels, encoder, scale, missing, kind, count, level, skew=False
):
    """A :func:`_mixed_table` through chosen preprocessing, fitted on 200 rows.

    The ``variants`` of ``research/diag/recourse_hunt.py``: the category
    one-hot (``drop`` None, ``"first"``, ``"if_binary"``; ``"scaled"``: then
    standardised) or ``"ordinal"``; the numbers through a scaler of
    :data:`SCALERS`; ``missing`` amounts (``"impute"``, or ``"indicator"``
    with ``add_indicator=True``); directions of ``count`` and ``level``;
    ``skew``: the amount made log-normal (positive, with a long right tail).

    Returns the pipeline, the table and the mutability.
    """
    X, y = _mixed_table(seed, n_levels)
    if skew:
        X["amount"] = np.round(np.exp((X["amount"] - 50) / 15), 3)
    if encoder == "ordinal":
        cat = OrdinalEncoder()
    elif encoder == "scaled":
        cat = sk_make_pipeline(OneHotEncoder(sparse_output=False), StandardScaler())
    else:
        drop = None if encoder == "onehot" else encoder
        cat = OneHotEncoder(drop=drop, sparse_output=seed % 2 == 0)
    num = SCALERS[scale]()
    if missing != "none":
        gaps = np.random.default_rng(seed).random(len(X)) < 0.08
        X.loc[gaps, "amount"] = np.nan
        num = sk_make_pipeline(SimpleImputer(add_indicator=missing == "indicator"), num)
    pre = ColumnTransformer(
        [("cat", cat, ["level"]), ("num", num, ["fixed", "count", "amount"])]
    )
    model = (
        LogisticRegression()
        if kind == "logistic"
        else MLPClassifier((16,), max_iter=300, random_state=seed)
    )
    pipe = sk_make_pipeline(pre, model).fit(X[:200], y[:200])
    mutability = {"fixed": "none", "count": count, "level": level}
    return pipe, X, mutability


def _check_against_oracle(seed, n_levels, count, model, min_share):
    pipe, X = _mixed_pipeline(seed, n_levels, model)
    mutability = {"fixed": "none", "count": count}
    explainer = CounterfactualExplainer(
        pipe, mutability=mutability, domain="observed"
    ).fit(X[:200])
    people = X[200:][pipe.predict(X[200:]) == 0]
    if not len(people):
        return
    share, n_oracle, bad = _share(explainer, pipe, X[:200], people, 1, mutability)
    # (Where brute force finds nobody with recourse, there is no share to check.)
    assert bad == 0 and (n_oracle == 0 or share >= min_share)


def _property(max_examples, derandomize, min_share):
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        seed=st.integers(0, 10_000),
        n_levels=st.integers(2, 4),
        count=st.sampled_from(["increase", "decrease", "both"]),
        model=st.sampled_from(["logistic", "mlp"]),
    )
    def run(seed, n_levels, count, model):
        _check_against_oracle(seed, n_levels, count, model, min_share)

    run()


def test_property_recourse_matches_the_oracle_on_mixed_tables():
    _property(max_examples=8, derandomize=True, min_share=0.95)


@pytest.mark.slow
def test_property_recourse_matches_the_oracle_on_mixed_tables_slow():
    _property(max_examples=200, derandomize=False, min_share=0.95)


@pytest.mark.parametrize(
    "case",
    [
        (8125, 4, "both", "mlp"),  # two people need three changes together
        (4646, 2, "both", "mlp"),  # a pocket 2.4 units wide, between grid values
    ],
)
def test_recourse_that_needs_three_changes_or_a_finer_look_is_found(case):
    _check_against_oracle(*case, min_share=1.0)


def test_a_person_outside_the_box_keeps_their_own_value():
    # A person's ``amount`` (11.3) lies below the observed box (14.1): the
    # oracle keeps it and switches ``level``; clamping it into the box, as the
    # projection once did for every feature, lowered p(target) below 0.5.
    _check_against_oracle(203, 2, "increase", "logistic", min_share=1.0)


@pytest.mark.parametrize(
    "case, domain",
    [
        # A count through a QuantileTransformer: between two counts' model
        # values lie points no count reaches (brought back, they moved).
        ((8627, 3, "ordinal", "quantile", "none", "mlp", "both", "both"), "observed"),
        (
            (8627, 3, "ordinal", "quantile", "none", "mlp", "decrease", "both"),
            "observed",
        ),
        # Imputed means are ties: a range of model values no amount reaches.
        ((3863, 2, "ordinal", "quantile", "impute", "mlp", "both", "both"), "observed"),
        # A missing amount keeps its imputed value, which no other row has.
        (
            (8747, 3, "onehot", "quantile", "indicator", "mlp", "both", "none"),
            "observed",
        ),
        # The indicator's "not missing" through a PowerTransformer.
        (
            (9790, 3, "first", "power", "indicator", "logistic", "both", "both"),
            "observed",
        ),
        (
            (5364, 3, "first", "maxabs", "indicator", "mlp", "decrease", "both"),
            "observed",
        ),
        ((2101, 3, "onehot", "power", "none", "mlp", "increase", "both"), "observed"),
        # No box: recourse at amount 18 (15 model units away) once lay beyond
        # the fallback's reach; an open side is searched to the data's extreme.
        (
            (
                5097,
                4,
                "ordinal",
                "robust",
                "none",
                "logistic",
                "decrease",
                "both",
                True,
            ),
            None,
        ),
        # No box, through a PowerTransformer: its map closes the box far
        # beyond the data, and a pocket of three changes near the lowest
        # amount seen fell between the values of a grid to that bound.
        ((3711, 4, "ordinal", "power", "none", "mlp", "increase", "both"), None),
        # Bins (KBinsDiscretizer): a count's bin [3, 4) has its centre at 3.5,
        # which rounded to 4, the next bin; and without a box, with gaps.
        ((7021, 2, "first", "kbins", "none", "mlp", "decrease", "both"), "observed"),
        (
            (966, 3, "scaled", "kbins", "indicator", "mlp", "both", "both", True),
            None,
        ),
    ],
)
def test_recourse_through_non_affine_steps_and_missing_values(case, domain):
    pipe, X, mutability = _variant_pipeline(*case)
    explainer = CounterfactualExplainer(pipe, mutability=mutability, domain=domain).fit(
        X[:200]
    )
    people = X[200:][pipe.predict(X[200:]) == 0]
    share, n_oracle, bad = _share(explainer, pipe, X[:200], people, 1, mutability)
    assert n_oracle and share == 1.0 and bad == 0


@pytest.mark.parametrize(
    "case",
    [
        # The explainer never saw level l0, so the box closes it: a dropped
        # level (drop="first"), and a level through a StandardScaler.
        (927, 2, "first", "minmax", "none", "mlp", "increase", "both", True),
        (3895, 3, "scaled", "none", "impute", "logistic", "both", "both"),
    ],
)
def test_a_person_may_keep_a_level_the_box_closes(case):
    pipe, X, mutability = _variant_pipeline(*case)
    seen = X[:200][X[:200]["level"] != "l0"]
    explainer = CounterfactualExplainer(
        pipe, mutability=mutability, domain="observed"
    ).fit(seen)
    people = X[200:][pipe.predict(X[200:]) == 0]
    assert (people["level"] == "l0").any()
    share, n_oracle, bad = _share(explainer, pipe, seen, people, 1, mutability)
    assert n_oracle and share == 1.0 and bad == 0
