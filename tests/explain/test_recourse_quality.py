"""Recourse a person can act on: truly sparse, distinct, costed, readable.

Properties (hypothesis, on the layouts and pipelines of ``test_properties``):
after ``sparsify=True`` no single changed feature (a one-hot group, a
pipeline input column) can be put back to the factual's value with the target
still reached at the decision threshold; the options for one person are
pairwise non-dominated in the set of features they change. Units:
``feature_costs`` decide which feature moves and what the reported ``cost``
is; ``to_frame`` shows "from -> to", rounded per column, with ``p_target`` and
``cost``, and nothing but the status where there is no recourse.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline as sklearn_make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from test_properties import (
    N_TEST,
    _run_property,
    fit_model,
    fit_pipeline,
    layouts,
    make_data,
    make_frame,
    tables,
)

from sklearn_ct import (
    CounterfactualExplainer,
    CounterfactualResult,
    CounterfactualTrainingClassifier,
)
from sklearn_ct.explain import mad_scale
from sklearn_ct.explain._costs import (
    FeatureCosts,
    feature_membership,
    resolve_feature_costs,
)
from sklearn_ct.explain._options import dominated_options
from sklearn_ct.explain._sparsify import sparsify
from sklearn_ct.pipeline import make_pipeline

#: A revert counts as reaching the target only beyond the search's safety
#: margin (recourse.MARGIN, 1e-3 in logits): p(target) this far past the threshold.
TOLERANCE = 1e-3


# --------------------------------------------------------------------------
# Properties: nothing revertible, options non-dominated
# --------------------------------------------------------------------------
def _feature_sets(Z, Z_cf, member):
    """(n, n_user_features) bool: which features each row changes."""
    change = np.abs(Z_cf - Z)
    return (change[:, None, :] * member[None]).max(axis=2) > 0


def _check_non_dominated(sets, result, threshold):
    """No clearly valid option changes a strict superset of another's features."""
    clear = result.valid & (result.p_target >= threshold + TOLERANCE)
    for f in np.unique(result.factual_index):
        rows = np.flatnonzero((result.factual_index == f) & clear)
        for a in rows:
            for b in rows:
                superset = (sets[b] <= sets[a]).all() and (sets[a] & ~sets[b]).any()
                assert not superset, (
                    f"option {a} changes {np.flatnonzero(sets[a])}"
                    f", a superset of option {b}'s "
                    f"{np.flatnonzero(sets[b])}"
                )


@st.composite
def sparse_cases(draw):
    layout = draw(layouts())
    return {
        "layout": layout,
        "model": draw(st.sampled_from(["logistic", "mlp", "ct_vanilla"])),
        "rows": draw(st.lists(st.integers(0, N_TEST - 1), min_size=1, max_size=8)),
        "refine": draw(st.booleans()),
        "threshold": draw(st.sampled_from([0.5, 0.75])),
        "groups": draw(st.booleans()),
        "n_per_factual": draw(st.integers(1, 3)),
        "generator": draw(st.sampled_from(["generic", "ecco"])),
    }


def check_nothing_revertible(fitted, case):
    layout = case["layout"]
    estimator = fitted(layout, case["model"])
    X, y = make_data(layout, 0)
    X_test, _ = make_data(layout, 1)
    threshold = case["threshold"]
    explainer = CounterfactualExplainer(
        estimator,
        generator=case["generator"],
        refine=case["refine"],
        decision_threshold=threshold,
        random_state=0,
        categorical_groups=(layout.groups or None) if case["groups"] else None,
    ).fit(X, y)
    result = explainer.explain(
        X_test[case["rows"]], sparsify=True, n_per_factual=case["n_per_factual"]
    )
    Z, Z_cf = result.model_factuals, result.model_counterfactuals
    member = feature_membership(
        [[j] for j in range(Z.shape[1])],
        Z.shape[1],
        groups=explainer.constraints_.groups,
    ).numpy()
    sets = _feature_sets(Z, Z_cf, member)
    classes = list(estimator.classes_)
    target = np.array([classes.index(t) for t in result.target])
    for i in np.flatnonzero(result.valid & (result.predicted != result.target)):
        for f in np.flatnonzero(sets[i]):
            reverted = np.where(member[f], Z[i], Z_cf[i])[None]
            p = estimator.predict_proba(reverted)[0]
            assert not (
                p.argmax() == target[i] and p[target[i]] >= threshold + TOLERANCE
            ), f"row {i}: feature {f} can be put back (p = {p[target[i]]:.4f})"
    _check_non_dominated(sets, result, threshold)


def test_sparse_counterfactuals_have_no_revertible_feature(fitted):
    _run_property(
        lambda case: check_nothing_revertible(fitted, case), sparse_cases(), 15
    )


@st.composite
def sparse_pipeline_cases(draw):
    return {
        "table": draw(tables()),
        "rows": draw(st.lists(st.integers(0, N_TEST - 1), min_size=1, max_size=8)),
        "refine": draw(st.booleans()),
        "threshold": draw(st.sampled_from([0.5, 0.75])),
        "n_per_factual": draw(st.integers(1, 3)),
    }


def check_pipeline_nothing_revertible(fitted_pipelines, case):
    table = case["table"]
    pipe = fitted_pipelines(table)
    X_test, _ = make_frame(table, 1)
    threshold = case["threshold"]
    result = pipe.explain(
        X_test.iloc[case["rows"]],
        sparsify=True,
        n_per_factual=case["n_per_factual"],
        refine=case["refine"],
        decision_threshold=threshold,
    )
    before, after = result.factuals, result.counterfactuals
    classes = list(pipe.classes_)
    columns = list(X_test.columns)
    sets = np.array(
        [
            [before.iloc[i][c] != after.iloc[i][c] for c in columns]
            for i in range(len(result))
        ],
        dtype=bool,
    ).reshape(-1, len(columns))
    for i in np.flatnonzero(result.valid & (result.predicted != result.target)):
        t = classes.index(result.target[i])
        for j in np.flatnonzero(sets[i]):
            reverted = after.iloc[[i]].copy()
            reverted[columns[j]] = before.iloc[i][columns[j]]
            p = pipe.predict_proba(reverted)[0]
            assert not (p.argmax() == t and p[t] >= threshold + TOLERANCE), (
                f"row {i}: column {columns[j]!r} can be put back (p = {p[t]:.4f})"
            )
    _check_non_dominated(sets, result, threshold)


def test_sparse_pipeline_counterfactuals_have_no_revertible_column(fitted_pipelines):
    _run_property(
        lambda case: check_pipeline_nothing_revertible(fitted_pipelines, case),
        sparse_pipeline_cases(),
        8,
    )


@pytest.fixture(scope="module")
def fitted():
    cache = {}

    def get(layout, kind):
        if (layout, kind) not in cache:
            cache[layout, kind] = fit_model(layout, kind)
        return cache[layout, kind]

    return get


@pytest.fixture(scope="module")
def fitted_pipelines():
    cache = {}

    def get(table):
        if table not in cache:
            cache[table] = fit_pipeline(table)
        return cache[table]

    return get


# --------------------------------------------------------------------------
# Sparsify: pass after pass until nothing can be put back
# --------------------------------------------------------------------------
class _Interacting(torch.nn.Module):
    """Class 1 margin -1 + 2 c - 2 b + 2 a b, with a, b, c the changes in units 3, 2, 1.

    From (0, 0, 0) to (3, 2, 1): ``a`` is needed while ``b`` is changed, ``b``
    is not needed, and once ``b`` is back, neither is ``a``.
    """

    def forward(self, x):
        a, b, c = x[:, 0] / 3, x[:, 1] / 2, x[:, 2]
        margin = -1 + 2 * c - 2 * b + 2 * a * b
        return torch.stack([torch.zeros_like(margin), margin], dim=1)


def test_sparsify_repeats_until_no_revert_succeeds():
    x = torch.zeros(2, 3)
    x_cf = torch.tensor([[3.0, 2.0, 1.0]] * 2)
    member = feature_membership([[0], [1], [2]], 3)
    out = sparsify(_Interacting(), x, x_cf, torch.ones(2, dtype=torch.long), member)
    # One pass, dearest first, reverts b but keeps a (needed while b was changed).
    assert out.tolist() == [[0.0, 0.0, 1.0]] * 2


def test_dominated_options_ignore_invalid_ones():
    member = feature_membership([[0], [1]], 2)
    x = torch.zeros(2, 2)
    options = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    assert dominated_options(
        x, options, member, torch.tensor([True, True]), 2
    ).tolist() == [True, False]
    assert dominated_options(
        x, options, member, torch.tensor([True, False]), 2
    ).tolist() == [False, False]


def test_options_are_distinct_where_the_plain_search_was_not(blobs3, blobs3_logreg):
    # Without sparsify, the first option moved every feature and a later one
    # only two of them (17 to 31 of 150 options were dominated before).
    X, _ = blobs3
    explainer = CounterfactualExplainer(
        blobs3_logreg, generator="generic", random_state=0
    ).fit(X)
    result = explainer.explain(X[:40], n_per_factual=3)
    member = np.eye(3, dtype=bool)
    sets = _feature_sets(result.model_factuals, result.model_counterfactuals, member)
    _check_non_dominated(sets, result, 0.5)
    counts = np.bincount(result.factual_index, minlength=40)
    assert (counts >= 1).all() and (counts <= 3).all()


# --------------------------------------------------------------------------
# Costs a person can weigh
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def loans():
    """Income and debt (in their own units) with about equal weight on the outcome."""
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "income": rng.normal(50_000, 15_000, n).round(2),
            "debt": rng.normal(40, 12, n).round(1),
        }
    )
    score = (frame["income"] - 50_000) / 15_000 * 1.2 - (frame["debt"] - 40) / 12
    y = (score + rng.normal(0, 0.2, n) > 0).astype(int).to_numpy()
    model = sklearn_make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, y)
    return frame, y, model


def _moved(result, column):
    return (result.counterfactuals[column] != result.factuals[column]).to_numpy()


def test_a_feature_made_dearer_stops_being_the_one_that_moves(loans):
    X, _, model = loans
    people = X[model.predict(X) == 0].head(30)
    plain = (
        CounterfactualExplainer(model, generator="generic")
        .fit(X)
        .explain(people, target=1)
    )
    assert plain.valid.all()
    assert _moved(plain, "income").mean() > 0.9  # the cheapest lever per MAD
    mad = mad_scale(X)
    dear = CounterfactualExplainer(
        model, generator="generic", feature_costs={"income": 100 / mad[0]}
    ).fit(X)
    result = dear.explain(people, target=1)
    assert result.valid.all()
    assert _moved(result, "income").mean() < 0.1
    assert _moved(result, "debt").all()


def test_reported_cost_is_in_the_users_units(loans):
    X, _, model = loans
    people = X[model.predict(X) == 0].head(20)
    explainer = CounterfactualExplainer(
        model, generator="generic", feature_costs={"income": 0.001, "debt": 2.0}
    ).fit(X)
    result = explainer.explain(people, target=1)
    change = (result.counterfactuals - result.factuals).abs()
    expected = 0.001 * change["income"] + 2.0 * change["debt"]
    np.testing.assert_allclose(result.cost, expected, rtol=1e-6)
    default = (
        CounterfactualExplainer(model, generator="generic")
        .fit(X)
        .explain(people, target=1)
    )
    np.testing.assert_allclose(
        default.cost,
        ((default.counterfactuals - default.factuals).abs() / mad_scale(X)).sum(axis=1),
        rtol=1e-6,
    )


def test_a_dear_category_is_not_switched():
    rng = np.random.default_rng(1)
    n = 300
    X = pd.DataFrame(
        {"income": rng.normal(0, 1, n), "housing": rng.choice(["own", "rent"], n)}
    )
    y = (
        (X["income"] + 1.5 * (X["housing"] == "own") + rng.normal(0, 0.3, n)) > 0.75
    ).astype(int)
    pre = ColumnTransformer(
        [("num", StandardScaler(), ["income"]), ("cat", OneHotEncoder(), ["housing"])]
    )
    model = sklearn_make_pipeline(pre, LogisticRegression()).fit(X, y)
    renting = X[(model.predict(X) == 0) & (X["housing"] == "rent")]
    # People for whom owning alone would do; income would do too, dearer or not.
    people = renting[model.predict(renting.assign(housing="own")) == 1].head(20)
    cheap = CounterfactualExplainer(
        model, generator="generic", feature_costs={"housing": 0.01}
    ).fit(X)
    dear = CounterfactualExplainer(
        model, generator="generic", feature_costs={"housing": 100.0}
    ).fit(X)
    switched = {
        name: _moved(e.explain(people, target=1, sparsify=True), "housing")
        for name, e in (("cheap", cheap), ("dear", dear))
    }
    assert switched["cheap"].mean() >= 0.8 and not switched["dear"].any()
    result = cheap.explain(people, target=1, sparsify=True)
    both = _moved(result, "housing") & result.valid
    np.testing.assert_allclose(result.cost[both & ~_moved(result, "income")], 0.01)


def test_classifier_explain_costs_by_its_training_mad(blobs3):
    X, y = blobs3
    X = X * [1.0, 10.0, 100.0]  # three scales: MAD puts them on one footing
    clf = CounterfactualTrainingClassifier(max_epochs=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        clf.feature_mad_, mad_scale(X.astype(np.float32)), rtol=1e-5
    )
    result = clf.explain(X[:10], target=0)
    change = np.abs(result.counterfactuals - result.factuals)
    np.testing.assert_allclose(
        result.cost[result.valid],
        (change / clf.feature_mad_).sum(1)[result.valid],
        rtol=1e-4,
    )
    assert np.isnan(result.cost[~result.valid & (result.predicted != 0)]).all()
    assert (result.cost[result.predicted == 0] == 0).all()


def test_pipeline_explain_takes_feature_costs_by_input_column():
    X = pd.DataFrame(
        {"income": np.linspace(10, 90, 60), "debt": np.tile([10.0, 30.0, 50.0], 20)}
    )
    y = (X["income"] - X["debt"] > 30).astype(int).to_numpy()
    pipe = make_pipeline(
        StandardScaler(), CounterfactualTrainingClassifier(max_epochs=3, random_state=0)
    ).fit(X, y)
    result = pipe.explain(X.head(5), target=1, feature_costs={"debt": 3.0})
    change = (result.counterfactuals - result.factuals).abs()
    mad = pipe[-1].feature_mad_ * pipe[0].scale_  # in the user's units
    expected = change["income"] / mad[0] + 3.0 * change["debt"]
    ok = result.valid & (result.predicted != 1)
    np.testing.assert_allclose(result.cost[ok], expected[ok], rtol=1e-4)


@pytest.mark.parametrize(
    "costs, match",
    [
        ({"wealth": 1.0}, "unknown feature 'wealth'"),
        ({"income": -1.0}, "finite numbers >= 0"),
        ([1.0], "has 1 entries"),
        ("l1", "is not understood"),
        (3.0, "'feature_costs' parameter .* must be an instance of 'str'"),
    ],
)
def test_feature_costs_errors_say_what_is_expected(loans, costs, match):
    X, _, model = loans
    with pytest.raises(ValueError, match=match):
        CounterfactualExplainer(model, feature_costs=costs).fit(X)


def test_resolved_costs_follow_the_scaler():
    X = pd.DataFrame({"a": [0.0, 10.0, 20.0, 30.0], "b": [1.0, 2.0, 3.0, 4.0]})
    model = sklearn_make_pipeline(StandardScaler(), LogisticRegression()).fit(
        X, [0, 0, 1, 1]
    )
    explainer = CounterfactualExplainer(model, feature_costs=[2.0, 5.0]).fit(X)
    costs = explainer.feature_costs_
    assert isinstance(costs, FeatureCosts)
    # 2 per unit of a, and one model unit of a is scale_ units of it.
    np.testing.assert_allclose(costs.weight, [2.0, 5.0] * model[0].scale_)
    default = resolve_feature_costs(
        "mad",
        explainer.model_space_,
        explainer.constraints_,
        mad_scale(model[0].transform(X)),
    )
    np.testing.assert_allclose(default.weight, 1 / mad_scale(model[0].transform(X)))


# --------------------------------------------------------------------------
# The table a person reads
# --------------------------------------------------------------------------
def _hand_result():
    factuals = pd.DataFrame(
        {
            "income": [72.388813, 64.5, 100.0, 30.0],
            "cards": [3, 1, 2, 2],
            "housing": ["rent", "own", "rent", "free"],
        },
        index=["ann", "bob", "cy", "dee"],
    )
    counterfactuals = factuals.copy()
    counterfactuals.loc["ann", "income"] = 80.5
    counterfactuals.loc["bob", "cards"] = 2
    counterfactuals.loc["cy", "housing"] = "own"
    counterfactuals.loc["dee", "income"] = 1e6  # no recourse: must not show
    empty = np.zeros((4, 3))
    return CounterfactualResult(
        factuals=factuals,
        counterfactuals=counterfactuals,
        target=np.array([1, 1, 1, 1]),
        valid=np.array([True, True, True, False]),
        converged=np.array([True, True, True, False]),
        n_iter=np.ones(4, int),
        predicted=np.array([0, 0, 0, 0]),
        p_target=np.array([0.61, 0.5, 0.9, 0.1]),
        model_factuals=empty,
        model_counterfactuals=empty,
        adversarial=empty,
        feature_names=["income", "cards", "housing"],
        cost=np.array([0.5, 1.0, 1.0, np.nan]),
    )


def test_to_frame_shows_from_to_with_p_target_and_cost():
    table = _hand_result().to_frame()
    assert list(table.columns) == [
        "target",
        "status",
        "p_target",
        "cost",
        "income",
        "cards",
        "housing",
    ]
    assert table.loc["ann", "income"] == "72.39 -> 80.5"  # money: a few digits
    assert table.loc["bob", "cards"] == "1 -> 2"  # integers as integers
    assert table.loc["cy", "housing"] == "rent -> own"  # categories as levels
    assert table.loc["ann", "cards"] == "-"
    assert table.loc["ann", "p_target"] == 0.61 and table.loc["cy", "cost"] == 1.0


def test_to_frame_shows_nothing_but_the_status_without_recourse():
    table = _hand_result().to_frame()
    dee = table.loc["dee"]
    assert dee["status"] == "no recourse found"
    assert np.isnan(dee["p_target"]) and np.isnan(dee["cost"])
    assert (dee[["income", "cards", "housing"]] == "").all()
    full = _hand_result().to_frame(show_only_changes=False)
    assert (full.loc["dee", ["income", "cards", "housing"]] == "").all()


def test_to_frame_rounds_per_column_and_shows_all_columns_on_request():
    full = _hand_result().to_frame(show_only_changes=False)
    assert full.loc["bob", "income"] == "64.5"  # unchanged: shown as it is
    assert full.loc["cy", "income"] == "100"
    assert full.loc["ann", "cards"] == "3" and full.loc["ann", "housing"] == "rent"
    big = CounterfactualResult(
        factuals=np.array([[115_049.37], [98_000.0]]),
        counterfactuals=np.array([[120_511.912], [98_000.004]]),
        target=np.array([1, 1]),
        valid=np.array([True, True]),
        converged=np.array([True, True]),
        n_iter=np.ones(2, int),
        predicted=np.array([0, 0]),
        p_target=np.array([0.5, 0.5]),
        model_factuals=None,
        model_counterfactuals=None,
        adversarial=None,
        feature_names=["balance"],
    )
    cells = big.to_frame()["balance"].tolist()
    # Four digits of a typical balance, and enough to show the smallest change.
    assert cells == ["115049.37 -> 120511.912", "98000 -> 98000.004"]


def test_to_frame_of_a_pipeline_reads_in_the_users_units():
    rng = np.random.default_rng(2)
    n = 200
    X = pd.DataFrame(
        {
            "debt": rng.normal(40, 10, n).round(1),
            "cards": rng.integers(0, 6, n),
            "housing": rng.choice(["own", "rent"], n),
        }
    )
    y = (
        (
            -(X["debt"] - 40) / 10
            - 0.3 * X["cards"]
            + (X["housing"] == "own")
            + rng.normal(0, 0.3, n)
        )
        > 0
    ).astype(int)
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["debt", "cards"]),
            ("cat", OneHotEncoder(), ["housing"]),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(
            pre, CounterfactualTrainingClassifier(max_epochs=5, random_state=0)
        ).fit(X, y)
    people = X[pipe.predict(X) == 0].head(8)
    result = pipe.explain(people, target=1, sparsify=True)
    table = result.to_frame()
    assert {"p_target", "cost"} <= set(table.columns)
    np.testing.assert_allclose(
        table["p_target"][result.valid], result.p_target[result.valid]
    )
    for column in set(table.columns) & {"debt", "cards", "housing"}:
        for cell, ok in zip(table[column], result.valid, strict=True):
            assert cell in ("-", "") or " -> " in cell
            assert ok or cell == ""
    if "cards" in table.columns:  # integers stay integers
        moved = table["cards"][table["cards"].str.contains("->")]
        assert not moved.str.contains(r"\.").any()
