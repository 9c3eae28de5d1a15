"""Columns through non-affine steps: reachable values, direction, bounds."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    PowerTransformer,
    QuantileTransformer,
    StandardScaler,
)

from sklearn_ct import CounterfactualExplainer
from sklearn_ct.constraints import FeatureConstraints, model_space, snap_grids


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    n = 300
    return pd.DataFrame(
        {
            "count": rng.poisson(2, n),  # integers, many ties
            "income": np.round(rng.lognormal(3, 0.5, n), 1),
            "zeros": np.where(rng.random(n) < 0.4, 0.0, rng.normal(5, 1, n)),
        }
    )


def _resolved(frame, step, **specs):
    pre = ColumnTransformer([("t", step, list(frame.columns))]).fit(frame)
    pipe = make_pipeline(pre, "passthrough")
    space = model_space(pipe, frame)
    return space, space.resolve(frame, space.transform(frame), **specs)


def test_snap_grids_keeps_the_factuals_own_value():
    constraints = FeatureConstraints(
        ["both", "both"], [0, 0], [5, 1], grids=[(1, [0.0, 0.5, 1.0])]
    ).tensors()
    x = torch.tensor([[0.0, 0.3], [0.0, 0.3]])
    point = torch.tensor([[1.0, 0.32], [1.0, 0.45]])
    assert snap_grids(point, constraints, x)[:, 1].tolist() == pytest.approx([0.3, 0.5])
    assert snap_grids(point, constraints)[:, 1].tolist() == [0.5, 0.5]


def test_an_integer_through_a_power_transformer_gets_its_grid(frame):
    space, fc = _resolved(frame, PowerTransformer())
    grids = {k: (values, whole) for k, values, whole in fc.grids}
    assert set(grids) == {0}  # the count; continuous columns come back
    values, whole = grids[0]
    assert whole and fc.integral.tolist() == [True, False, False]
    counts = np.arange(frame["count"].min(), frame["count"].max() + 1)
    rows = pd.DataFrame({"count": counts, "income": 20.0, "zeros": 0.0})
    expected = space.transform(rows)[:, 0]
    assert np.all(np.isin(np.round(expected, 9), np.round(values, 9)))


def test_quantile_ties_get_a_grid_with_every_tie(frame):
    space, fc = _resolved(frame, QuantileTransformer(n_quantiles=50))
    grids = {k: (values, whole) for k, values, whole in fc.grids}
    assert set(grids) == {0, 1, 2}  # income's repeated values are ties too
    values, whole = grids[2]
    assert not whole
    zero = space.transform(frame.assign(zeros=0.0).head(1))[0, 2]
    assert np.isclose(values, zero).any()
    # Every listed value comes back where it went.
    Z = np.repeat(space.transform(frame.head(1)), len(values), axis=0)
    Z[:, 2] = values
    back, _ = space.restore(Z, frame.head(1).loc[[0] * len(values)], Z * 0 + 99)
    np.testing.assert_allclose(space.transform(back)[:, 2], values, atol=1e-6)


@pytest.mark.parametrize(
    "step, expected",
    [
        (PowerTransformer(), "increase"),
        (QuantileTransformer(n_quantiles=50), "increase"),
        (FunctionTransformer(np.negative, inverse_func=np.negative), "decrease"),
    ],
)
def test_a_direction_through_a_monotone_step(frame, step, expected):
    # Before: only "both" or "none" through any non-affine step.
    _, fc = _resolved(frame, step, mutability={"income": "increase"})
    assert fc.mutability.tolist() == ["both", expected, "both"]


def test_a_direction_through_a_step_that_turns_is_refused(frame):
    step = FunctionTransformer(
        lambda x: (x - 20.0) ** 2, inverse_func=lambda z: np.sqrt(z) + 20.0
    )
    with pytest.raises(ValueError, match="neither rises nor falls"):
        _resolved(frame, step, mutability={"income": "increase"})
    with pytest.raises(ValueError, match="rises or falls throughout"):
        _resolved(frame, step, domain={"income": (10, 30)})


def test_bounds_in_the_users_units_through_a_power_transformer(frame):
    space, fc = _resolved(frame, PowerTransformer(), domain={"income": (10, None)})
    rows = frame.head(1).assign(income=10.0)
    assert fc.low[1] == pytest.approx(space.transform(rows)[0, 1])
    # The open side closes one observed range beyond the data.
    top = space.transform(frame.head(1).assign(income=frame["income"].max()))
    assert top[0, 1] < fc.high[1] < np.inf


def test_explanations_through_quantiles_are_whole_and_come_back(frame):
    y = (frame["count"] + frame["income"] / 10 + frame["zeros"] / 3 > 6).astype(int)
    pre = ColumnTransformer(
        [("q", QuantileTransformer(n_quantiles=50), ["count", "zeros"])],
        remainder=StandardScaler(),
    )
    pipe = make_pipeline(pre, LogisticRegression()).fit(frame, y)
    explainer = CounterfactualExplainer(pipe, mutability={"count": "increase"}).fit(
        frame
    )
    people = frame[pipe.predict(frame) == 0].head(40)
    result = explainer.explain(people, target=1)
    assert result.valid.mean() > 0.9
    cf = result.counterfactuals
    assert np.all(cf["count"] == np.round(cf["count"]))
    assert np.all(cf["count"] >= people["count"])
    np.testing.assert_array_equal(result.valid, pipe.predict(cf) == 1)
    Z, Z_cf = result.model_factuals, result.model_counterfactuals
    assert not explainer.constraints_.violations(Z_cf, Z).any()


@pytest.mark.parametrize("domain", ["infer", None])
def test_a_power_transformer_bounded_on_one_side_is_not_left(domain):
    # Before: on skewed data Yeo-Johnson's map is bounded above (lambda < 0);
    # the box reached past it, explanations came back NaN, and explain failed
    # ("Input X contains NaN").
    rng = np.random.default_rng(0)
    X = pd.DataFrame({f"c{i}": np.round(rng.lognormal(0, 1, 500), 2) for i in range(4)})
    y = (X.sum(axis=1) > X.sum(axis=1).median()).astype(int)
    pipe = make_pipeline(PowerTransformer(), LogisticRegression()).fit(X, y)
    assert (pipe[0].lambdas_ < 0).any()
    explainer = CounterfactualExplainer(pipe, domain=domain).fit(X)
    upper = pipe[0].transform(X.max().to_frame().T * 1e6)[0]
    assert np.all(explainer.constraints_.high <= upper + 1e-9)
    people = X[pipe.predict(X) == 0].head(100)
    result = explainer.explain(people, target=1)
    assert result.valid.all() and np.isfinite(result.counterfactuals.to_numpy()).all()


def test_bounds_in_the_users_units_through_a_falling_step(frame):
    step = FunctionTransformer(np.negative, inverse_func=np.negative)
    _, fc = _resolved(frame, step, domain={"income": (10, None)})
    assert fc.high[1] == -10.0  # income >= 10
    # The open side closes one observed range beyond the data.
    income = frame["income"]
    assert fc.low[1] == pytest.approx(-(income.max() + np.ptp(income)))
