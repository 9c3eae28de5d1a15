from dataclasses import replace

import numpy as np
import pytest
import torch

from sklearn_ct.constraints import (
    FeatureConstraints,
    clamp_to_domain,
    enforce_mutability,
    infer_domain,
    make_constraints,
    mask_step,
    project,
    project_onehot,
    resolve_domain,
    resolve_groups,
    resolve_mutability,
    violations,
)

NAMES = ["age", "debt", "income"]


def test_resolve_mutability_forms():
    assert resolve_mutability(None, 3).tolist() == ["both"] * 3
    assert resolve_mutability("none", 2).tolist() == ["none", "none"]
    assert resolve_mutability(["none", "both", "increase"], 3).tolist() == [
        "none",
        "both",
        "increase",
    ]
    by_name = resolve_mutability({"age": "none", "income": "decrease"}, 3, NAMES)
    assert by_name.tolist() == ["none", "both", "decrease"]
    assert resolve_mutability({0: "none", -1: "increase"}, 3).tolist() == [
        "none",
        "both",
        "increase",
    ]


@pytest.mark.parametrize(
    "spec, names, message",
    [
        (["none", "sideways", "both"], None, "'sideways' is not understood"),
        (["none", "both"], None, "2 entries, but X has 3"),
        ({"height": "none"}, NAMES, "unknown feature 'height'"),
        ({"age": "none"}, None, "has no feature names"),
        ({7: "none"}, None, "feature index 7"),
        (3.5, None, "mutability must be"),
    ],
)
def test_resolve_mutability_errors(spec, names, message):
    with pytest.raises(ValueError, match=message):
        resolve_mutability(spec, 3, names)


def test_infer_domain_is_mean_pm_n_std_widened_to_min_max():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 2))
    X[0, 0] = 50.0  # an outlier beyond 3 std widens the box to the max
    low, high = infer_domain(X, n_std=3.0)
    mean, std = X.mean(0), X.std(0, ddof=1)
    assert high[0] == 50.0
    np.testing.assert_allclose(low, np.minimum(mean - 3 * std, X.min(0)))
    np.testing.assert_allclose(high, np.maximum(mean + 3 * std, X.max(0)))
    assert low[0] == pytest.approx(mean[0] - 3 * std[0])  # the outlier widens std


def test_resolve_domain_forms():
    X = np.array([[0.0, 10.0, 5.0], [1.0, 20.0, 6.0]])
    low, high = resolve_domain(None, X)
    assert np.isinf(low).all() and np.isinf(high).all()
    low, high = resolve_domain((-1, 1), X)
    assert low.tolist() == [-1] * 3 and high.tolist() == [1] * 3
    low, high = resolve_domain([(0, 1), None, (2, 3)], X)
    assert low[0] == 0 and np.isinf(low[1]) and high[2] == 3
    low, high = resolve_domain("observed", X)
    assert low.tolist() == [0, 10, 5] and high.tolist() == [1, 20, 6]
    low, high = resolve_domain([(0, None), (None, 3), None], X)
    assert (low[0], high[0]) == (0, np.inf) and (low[1], high[1]) == (-np.inf, 3)
    low, high = resolve_domain((0, None), X)
    assert low.tolist() == [0] * 3 and np.isinf(high).all()
    low, high = resolve_domain({"debt": (0, 100)}, X, NAMES)
    inferred = infer_domain(X)
    assert (low[1], high[1]) == (0, 100)
    assert low[0] == inferred[0][0] and high[2] == inferred[1][2]


@pytest.mark.parametrize(
    "spec, message",
    [
        ([(0, 1), (5, 2), (0, 1)], "low=5.0 > high=2.0"),
        ([(0, 1)] * 2, "2 entries, but X has 3"),
        ("guess", "domain='guess' is not understood"),
        ([(0, "a"), (0, 1), (0, 1)], "pairs of numbers"),
        ([(0, 1, 2), (0, 1), (0, 1)], "pairs of numbers"),
        ([(np.nan, 1), (0, 1), (0, 1)], "must not be NaN"),
        ({"height": (0, 1)}, "unknown feature 'height'"),
    ],
)
def test_resolve_domain_errors(spec, message):
    X = np.zeros((4, 3))
    with pytest.raises(ValueError, match=message):
        resolve_domain(spec, X, NAMES)


def test_resolve_groups():
    assert [
        g.tolist()
        for g in resolve_groups([["a", "b"], [2, 3]], 4, ["a", "b", "c", "d"])
    ] == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match="fewer than two"):
        resolve_groups([[0]], 4)
    with pytest.raises(ValueError, match="must not share"):
        resolve_groups([[0, 1], [1, 2]], 4)


def _constraints(mutability, low=-np.inf, high=np.inf, groups=()):
    d = len(mutability)
    return make_constraints(mutability, np.full(d, low), np.full(d, high), groups)


def test_mask_step_drops_forbidden_directions():
    c = _constraints(["both", "increase", "decrease", "none"])
    step = torch.tensor([[1.0, 1.0, 1.0, 1.0], [-1.0, -1.0, -1.0, -1.0]])
    assert mask_step(step, c).tolist() == [[1, 1, 0, 0], [-1, 0, -1, 0]]


def test_clamp_and_enforce_mutability():
    c = _constraints(["both", "increase", "decrease", "none"], low=-1.0, high=1.0)
    x = torch.tensor([[5.0, -5.0, 0.5, 0.3]])
    assert clamp_to_domain(x, c).tolist()[0] == pytest.approx([1.0, -1.0, 0.5, 0.3])
    factual = torch.zeros(1, 4)
    moved = torch.tensor([[0.4, -0.4, 0.4, 0.4]])
    out = enforce_mutability(moved, factual, c).tolist()[0]
    assert out == pytest.approx([0.4, 0.0, 0.0, 0.0])


def test_mutability_wins_over_domain_for_a_factual_outside_the_box():
    c = _constraints(["none", "both"], low=-1.0, high=1.0)
    factual = torch.tensor([[3.0, 3.0]])
    moved = torch.tensor([[0.0, 3.0], [0.0, 2.5], [0.0, 1.5], [0.0, -4.0]])
    # The immutable feature keeps 3; the other keeps its own 3 (no change) or
    # goes into the box, whichever is nearer.
    projected = project(moved, factual.expand(4, 2), c)
    assert projected.tolist() == [[3.0, 3.0], [3.0, 3.0], [3.0, 1.0], [3.0, -1.0]]


def test_a_factual_outside_the_box_keeps_its_own_integer_and_its_closed_level():
    # Feature 0 is an integer in [0, 5] (factual 9); columns 1-2 one-hot with
    # the second level closed by the box (the factual holds it, and may keep
    # it; before, every point left it). A factual holding the open level
    # never gets the closed one.
    fc = FeatureConstraints(
        ["both"] * 3, [0, 0, 0], [5, 1, 0], groups=[[1, 2]], integer=[1, 0, 0]
    )
    c = fc.tensors()
    factual = torch.tensor([[9.0, 0.0, 1.0]])
    moved = torch.tensor([[8.4, 0.0, 1.0], [6.8, 0.3, 0.6], [6.8, 0.7, 0.4]])
    projected = project(moved, factual.expand(3, 3), c)
    assert projected.tolist() == [[9.0, 0.0, 1.0], [5.0, 0.0, 1.0], [5.0, 1.0, 0.0]]
    bad = fc.violations(projected.numpy(), factual.expand(3, 3).numpy())
    assert bad.tolist() == [0, 0, 0]
    other = torch.tensor([[9.0, 1.0, 0.0]]).expand(3, 3)
    assert project(moved, other, c)[:, 1:].tolist() == [[1.0, 0.0]] * 3


def test_a_factual_holding_a_closed_dropped_level_may_keep_it():
    # Columns 1-2 one-hot with a dropped level (both 0), which the box closes
    # (column 1 must be 1); the factual holds the dropped level.
    fc = FeatureConstraints(
        ["both"] * 3, [0, 1, 0], [5, 1, 1], groups=[[1, 2]], group_implicit=[True]
    )
    factual = torch.tensor([[2.0, 0.0, 0.0]]).expand(2, 3)
    moved = torch.tensor([[2.5, 0.1, 0.2], [2.5, 0.9, 0.0]])
    projected = project(moved, factual, fc.tensors())
    assert projected.tolist() == [[2.5, 0.0, 0.0], [2.5, 1.0, 0.0]]
    assert fc.violations(projected.numpy(), factual.numpy()).tolist() == [0, 0]


def test_project_onehot_straight_through():
    c = _constraints(["both"] * 4, groups=[np.array([1, 2, 3])])
    x = torch.tensor([[0.3, 0.2, 0.57, 0.4]], requires_grad=True)
    out = project_onehot(x, c)
    assert out.tolist()[0][1:] == [0.0, 1.0, 0.0]  # exact, not 0.99999994
    assert out.tolist()[0][0] == pytest.approx(0.3)
    out.sum().backward()  # gradient passes straight through the projection
    assert x.grad.tolist() == [[1.0, 1.0, 1.0, 1.0]]


def test_violations_counts_each_broken_feature():
    factual = np.zeros((2, 3))
    cf = np.array([[1.0, -1.0, 0.0], [0.0, 2.0, 0.5]])
    bad = violations(
        cf, factual, ["increase", "increase", "none"], low=[-5] * 3, high=[1.5] * 3
    )
    assert bad.tolist() == [1, 2]


def test_onehot_projection_keeps_levels_inside_the_box():
    # The middle level's column may only be 0 (a category never observed when
    # the box was learned): snapping must not pick it, or clipping to the box
    # afterwards leaves the group with no level at all (it did, on
    # credit_default: 15 of 200 explanations became invalid that way).
    c = make_constraints(["both"] * 4, [0, 0, 0, -5], [1, 0, 1, 5], [[0, 1, 2]])
    x = torch.tensor(
        [[0.2, 0.9, 0.4, 1.0], [0.9, 0.0, 0.1, 2.0], [0.0, 3.0, -1.0, 0.0]]
    )
    out = project(x, x.clone(), c)
    assert out[:, :3].tolist() == [[0, 0, 1], [1, 0, 0], [1, 0, 0]]
    assert ((out >= c.low) & (out <= c.high)).all()
    # With every level inside the box, nothing changes.
    free = make_constraints(["both"] * 4, [0, 0, 0, -5], [1, 1, 1, 5], [[0, 1, 2]])
    assert project(x, x.clone(), free)[:, 1].tolist() == [1.0, 0.0, 1.0]


def test_onehot_projection_closes_the_dropped_level_outside_the_box():
    # A group with a dropped level (all indicators 0) whose first column may
    # only be 1: every level but the first, and the dropped one, leave the box.
    c = make_constraints(["both"] * 2, [1, 0], [1, 1], [[0, 1]])
    c = replace(c, group_implicit=torch.tensor([True]))
    out = project_onehot(torch.tensor([[0.0, 0.9], [0.1, 0.2]]), c)
    assert out.tolist() == [[1.0, 0.0], [1.0, 0.0]]


def test_projection_of_one_row_leaves_the_constraints_as_they_were():
    # One row once shared memory with the cached level values, and snapping
    # it overwrote them for every later projection.
    c = make_constraints(["both"] * 4, [0, 0, 0, -5], [1, 1, 1, 5], [[0, 1, 2]])
    x = torch.tensor([[0.2, 0.7, 0.1, 1.0], [0.9, 0.0, 0.1, 2.0]])
    before = project_onehot(x, c)
    project_onehot(x[:1], c)
    assert torch.equal(project_onehot(x, c), before)
    assert before[:, :3].tolist() == [[0, 1, 0], [1, 0, 0]]


def test_immutable_runs_and_scattered_columns_are_reset_alike():
    # Few runs of immutable columns are reset by slices, many by one index.
    rng = np.random.default_rng(0)
    x, x_cf = (torch.as_tensor(rng.normal(size=(5, 40))) for _ in range(2))
    for fixed in ([0, 1, 2, 30, 31], list(range(0, 40, 3))):
        mutability = np.array(["both"] * 40, dtype=object)
        mutability[fixed] = "none"
        mutability[5] = "increase"
        c = make_constraints(mutability, [-9] * 40, [9] * 40, dtype=torch.float64)
        out = enforce_mutability(x_cf, x, c)
        assert torch.equal(out[:, fixed], x[:, fixed])
        assert torch.equal(out[:, 5], torch.maximum(x_cf[:, 5], x[:, 5]))
        free = [j for j in range(40) if j not in fixed and j != 5]
        assert torch.equal(out[:, free], x_cf[:, free])
