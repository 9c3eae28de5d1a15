"""Cheaper, sparser and several counterfactuals (refine, sparsify, options)."""

import numpy as np
import pytest
import torch

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.constraints import FeatureConstraints, make_constraints
from sklearn_ct.explain._adapters import as_logits_module
from sklearn_ct.explain._costs import feature_membership
from sklearn_ct.explain._options import main_lever
from sklearn_ct.explain._refine import (
    bisect_toward_factual,
    reaches,
    refine,
    shrink_features,
)
from sklearn_ct.explain._sparsify import sparsify
from sklearn_ct.metrics import diversity


@pytest.fixture(scope="module")
def moons_net(moons):
    X, y, _, _ = moons
    return CounterfactualTrainingClassifier(
        objective="vanilla",
        hidden_layer_sizes=(32, 32),
        max_epochs=60,
        batch_size=64,
        lr=0.01,
        random_state=0,
    ).fit(X, y)


def test_refine_removes_the_overshoot_of_fixed_steps(moons, moons_net):
    X, _, X_test, _ = moons
    results = {
        refine: CounterfactualExplainer(moons_net, generator="generic", refine=refine)
        .fit(X)
        .explain(X_test)
        for refine in (False, True)
    }
    cost = {
        k: np.abs(r.model_counterfactuals - r.model_factuals).sum(1)[r.valid].mean()
        for k, r in results.items()
    }
    assert results[True].valid.mean() >= 0.99
    assert cost[True] < 0.5 * cost[False]
    assert cost[True] <= 0.72  # dice-ml's gradient method on a moons MLP


def test_bisection_keeps_the_target_and_the_constraints():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    x = torch.randn(50, 3)
    target = 1 - model(x).argmax(1)
    x_cf = x + 20 * (model.weight[1] - model.weight[0]) * torch.where(
        target == 1, 1.0, -1.0
    ).unsqueeze(1)
    constraints = make_constraints(["both", "increase", "none"], [-50] * 3, [50] * 3)
    x_cf[:, 2] = x[:, 2]
    x_cf[:, 1] = torch.maximum(x_cf[:, 1], x[:, 1])
    out = bisect_toward_factual(model, x, x_cf, target, constraints, threshold=0.6)
    ok = reaches(model, x_cf, target, 0.6)
    assert reaches(model, out, target, 0.6)[ok].all()
    assert ((out - x).abs().sum(1) <= (x_cf - x).abs().sum(1) + 1e-6).all()
    assert torch.equal(out[:, 2], x[:, 2]) and (out[:, 1] >= x[:, 1] - 1e-6).all()
    assert torch.equal(out[~ok], x_cf[~ok])  # rows that do not reach stay


def test_sparsify_reverts_what_is_not_needed():
    # The logit of class 1 depends on feature 0 only.
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.0, 0, 0], [1.0, 0, 0]]))
        model.bias.zero_()
    x = torch.full((4, 3), -1.0)
    x_cf = torch.tensor([[1.0, 2, 3]] * 4)
    member = feature_membership([[0], [1], [2]], 3)
    out = sparsify(model, x, x_cf, torch.ones(4, dtype=torch.long), member)
    assert torch.equal(out, torch.tensor([[1.0, -1, -1]] * 4))


def test_shrinking_finds_the_cheapest_point_on_a_linear_boundary():
    # Margin of class 1: 3 * x0 + 1 * x1; the cheapest crossing in L1 moves x0.
    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.0, 0.0], [3.0, 1.0]]))
        model.bias.copy_(torch.tensor([0.0, -3.0]))
    x = torch.zeros(5, 2)
    x_cf = torch.full((5, 2), 2.0)  # far past the boundary along both
    target = torch.ones(5, dtype=torch.long)
    member = feature_membership([[0], [1]], 2)
    constraints = make_constraints(["both", "both"], [-9, -9], [9, 9])
    shrunk = shrink_features(model, x, x_cf, target, member, constraints)
    assert torch.equal(shrunk[:, 1], x[:, 1])  # the flatter feature reverts exactly
    best = refine(model, x, x_cf, target, member, constraints)
    np.testing.assert_allclose(best[:, 0], 1.0 + 1e-3 / 3, atol=1e-4)  # 3 x0 = 3
    along = bisect_toward_factual(model, x, x_cf, target, constraints)
    assert ((best - x).abs().sum(1) < (along - x).abs().sum(1)).all()


def test_main_lever_is_the_largest_changed_feature():
    member = feature_membership([[0], [1, 2]], 3)
    x = torch.zeros(2, 3)
    x_cf = torch.tensor([[0.5, 0.0, 0.0], [0.1, -1.0, 1.0]])
    assert main_lever(x, x_cf, member).tolist() == [
        [True, False, False],
        [False, True, True],
    ]
    assert not main_lever(x, x, member).any()


def test_alternatives_differ_in_what_they_change(blobs3, blobs3_logreg):
    X, _ = blobs3
    explainer = CounterfactualExplainer(blobs3_logreg, generator="generic").fit(X)
    result = explainer.explain(X[:20], n_per_factual=3)
    assert len(result) == 60
    cf = result.model_counterfactuals.reshape(20, 3, 3)
    change = np.abs(cf - X[:20, None, :])
    main = change.argmax(axis=2)
    assert (main[:, 0] != main[:, 1]).all()  # the second avoids the first's lever
    assert diversity(result) > 0


def test_integer_features_come_back_integral_and_in_the_box(blobs3):
    X, y = blobs3
    X = np.round(X * 3)  # integer-valued features
    clf = CounterfactualTrainingClassifier(
        max_epochs=10, lr=0.01, domain="observed", random_state=0
    ).fit(X, y)
    assert clf.constraints_.integer.all()
    result = clf.explain(X[:30])
    cf = result.counterfactuals
    np.testing.assert_array_equal(cf, np.round(cf))
    low, high = clf.domain_
    assert ((cf >= low - 1e-9) & (cf <= high + 1e-9)).all()
    assert (
        clf.constraints_.violations(result.model_counterfactuals, result.model_factuals)
        == 0
    ).all()
    off = CounterfactualTrainingClassifier(
        max_epochs=2, integer_features=None, random_state=0
    ).fit(X, y)
    assert not off.constraints_.integer.any()


def test_feature_constraints_combine_to_the_stricter():
    mine = FeatureConstraints(
        ["none", "both", "increase"], [0, 0, 0], [5, 5, 5], integer=[False, True, False]
    )
    theirs = FeatureConstraints(["both", "decrease", "decrease"], [1, -1, 2], [9, 4, 3])
    both = mine.combine(theirs)
    assert both.mutability.tolist() == ["none", "decrease", "none"]
    assert both.low.tolist() == [1, 0, 2] and both.high.tolist() == [5, 4, 3]
    assert both.integer.tolist() == [False, True, False]
    with pytest.raises(ValueError, match="do not overlap"):
        mine.combine(FeatureConstraints(["both"] * 3, [6, 0, 0], [7, 1, 1]))


def test_affine_one_hot_groups_snap_in_encoder_units():
    # Columns 1-3 hold a one-hot group after a scaler: model = 2 * indicator - 1.
    fc = FeatureConstraints(
        ["both"] * 4,
        [-9] * 4,
        [9] * 4,
        groups=[[1, 2, 3]],
        scale=[1, 2, 2, 2],
        offset=[0, -1, -1, -1],
    )
    c = fc.tensors()
    from sklearn_ct.constraints import project_onehot

    out = project_onehot(torch.tensor([[0.3, -0.2, 0.6, -1.0]]), c)
    assert out.tolist() == [[pytest.approx(0.3), -1.0, 1.0, -1.0]]


def test_reaches_needs_the_target_class_and_threshold():
    model = torch.nn.Identity()
    logits = torch.tensor([[0.0, 1.0], [0.0, 0.0], [2.0, 0.0]])
    target = torch.tensor([1, 1, 1])
    assert reaches(model, logits, target).tolist() == [True, False, False]
    assert reaches(model, logits, target, threshold=0.8).tolist() == [False] * 3


def test_explainer_module_comes_from_the_classifier(moons_net):
    module, classes = as_logits_module(moons_net)
    assert module is moons_net.net_.module_ and list(classes) == [0, 1]
