"""Each CT loss term against a hand computation on a tiny example."""

import numpy as np
import pytest
import torch

from sklearn_ct.constraints import make_constraints
from sklearn_ct.generators import GenericGenerator
from sklearn_ct.training._objective import (
    adversarial_loss,
    contrastive_divergence,
    counterfactual_terms,
    energy_of,
    energy_ridge,
    protect_immutable,
    total_loss,
)
from sklearn_ct.training._pool import build_pool

LOGITS_PLUS = torch.tensor([[1.0, 3.0], [0.5, -1.0]])
LOGITS_CF = torch.tensor([[2.0, 0.5], [4.0, 1.0]])
TARGET = torch.tensor([1, 0])


def test_contrastive_divergence_by_hand():
    # E(x+, t) - E(x', t) = -M(x+)[t] + M(x')[t]: (-3 + 0.5) and (-0.5 + 4)
    expected = ((-3.0 + 0.5) + (-0.5 + 4.0)) / 2
    assert contrastive_divergence(LOGITS_PLUS, LOGITS_CF, TARGET).item() == (
        pytest.approx(expected)
    )


def test_energy_ridge_by_hand():
    expected = ((3.0**2 + 0.5**2) + (0.5**2 + 4.0**2)) / 2
    assert energy_ridge(LOGITS_PLUS, LOGITS_CF, TARGET).item() == pytest.approx(
        expected
    )


def _lse(row):
    return float(np.log(np.exp(np.asarray(row)).sum()))


def test_marginal_divergence_and_ridge_by_hand():
    # E(x) = -logsumexp M(x), whatever the target.
    plus = [-_lse([1.0, 3.0]), -_lse([0.5, -1.0])]
    cf = [-_lse([2.0, 0.5]), -_lse([4.0, 1.0])]
    divergence = contrastive_divergence(LOGITS_PLUS, LOGITS_CF, TARGET, "marginal")
    assert divergence.item() == pytest.approx(np.mean(np.subtract(plus, cf)))
    ridge = energy_ridge(LOGITS_PLUS, LOGITS_CF, TARGET, "marginal")
    assert ridge.item() == pytest.approx(np.mean(np.square(plus) + np.square(cf)))


def test_marginal_energy_moves_with_the_common_level_the_softmax_ignores():
    logits = torch.tensor([[0.3, -1.2, 2.0]], requires_grad=True)
    target = torch.tensor([2])
    shifted = logits.detach() + 5.0
    assert torch.allclose(shifted.softmax(1), logits.detach().softmax(1))
    for energy, moved in (("marginal", -5.0), ("joint", -5.0)):
        change = energy_of(shifted, target, energy) - energy_of(logits, target, energy)
        assert change.item() == pytest.approx(moved)
    # The joint energy's gradient is the target's alone; the marginal's is the
    # softmax: every logit, each by its class probability.
    (joint,) = torch.autograd.grad(energy_of(logits, target, "joint").sum(), logits)
    assert joint.tolist() == [[0.0, 0.0, -1.0]]
    (marginal,) = torch.autograd.grad(
        energy_of(logits, target, "marginal").sum(), logits
    )
    assert torch.allclose(marginal, -logits.detach().softmax(1))


@pytest.mark.parametrize("energy", ["joint", "marginal"])
def test_counterfactual_terms_use_the_chosen_energy(energy):
    module = torch.nn.Linear(2, 2)
    torch.manual_seed(0)
    x_plus, x_cf, x_adv = torch.randn(3, 4, 2)
    target, labels = torch.tensor([1, 0, 1, 0]), torch.tensor([0, 1, 0, 1])
    terms = counterfactual_terms(
        module, x_cf, x_plus, x_adv, target, labels, energy=energy
    )
    with torch.no_grad():
        expected = contrastive_divergence(module(x_plus), module(x_cf), target, energy)
    assert terms["div"].item() == pytest.approx(expected.item())


def test_adversarial_loss_uses_the_factual_labels():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 0])
    expected = (-np.log(np.exp(2) / (np.exp(2) + 1)) - np.log(1 / (1 + np.e))) / 2
    assert adversarial_loss(logits, labels).item() == pytest.approx(expected)


@pytest.mark.parametrize(
    "kind, x_plus, expected",
    [
        ("both", 5.0, 5.0),
        ("none", 5.0, 2.0),
        ("increase", 5.0, 5.0),
        ("increase", 1.0, 2.0),
        ("decrease", 5.0, 2.0),
        ("decrease", 1.0, 1.0),
    ],
)
def test_protect_immutable_rules(kind, x_plus, expected):
    # x' = 2 on the constrained feature; the second feature is free.
    c = make_constraints([kind, "both"], [-9, -9], [9, 9])
    out = protect_immutable(
        torch.tensor([[x_plus, 7.0]]), torch.tensor([[2.0, 0.0]]), c
    )
    assert out.tolist() == [[expected, 7.0]]


class _Linear(torch.nn.Module):
    def __init__(self, weight):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor(weight))

    def forward(self, x):
        return x @ self.weight


def test_counterfactual_terms_and_total_loss_by_hand():
    module = _Linear([[1.0, 0.0], [0.0, 1.0]])  # logits = x
    x_cf = torch.tensor([[2.0, 0.5]])
    x_plus = torch.tensor([[1.0, 3.0]])
    x_adv = torch.tensor([[0.0, 1.0]])
    target, labels = torch.tensor([1]), torch.tensor([0])
    terms = counterfactual_terms(module, x_cf, x_plus, x_adv, target, labels)
    assert terms["div"].item() == pytest.approx(-3.0 + 0.5)
    assert terms["reg"].item() == pytest.approx(9.0 + 0.25)
    assert terms["adv"].item() == pytest.approx(-np.log(1 / (1 + np.e)))
    lambdas = {"div": 0.5, "reg": 0.1, "adv": 0.25}
    clf = torch.tensor(0.7)
    full = 0.7 + 0.5 * -2.5 + 0.1 * 9.25 + 0.25 * terms["adv"].item()
    assert total_loss(clf, terms, "full", lambdas).item() == pytest.approx(full)
    assert total_loss(clf, terms, "energy", lambdas).item() == pytest.approx(
        0.7 - 1.25 + 0.925
    )
    assert total_loss(clf, terms, "adversarial", lambdas).item() == pytest.approx(
        0.7 + 0.25 * terms["adv"].item()
    )
    assert total_loss(clf, terms, "vanilla", lambdas).item() == pytest.approx(0.7)
    # Gradients flow to the model only through the fixed inputs.
    total_loss(clf, terms, "full", lambdas).backward()
    assert module.weight.grad is not None


def test_empty_chunk_adds_nothing():
    module = _Linear([[1.0, 0.0], [0.0, 1.0]])
    empty = torch.zeros(0, 2)
    terms = counterfactual_terms(
        module,
        empty,
        empty,
        empty,
        torch.zeros(0, dtype=torch.long),
        torch.zeros(0, dtype=torch.long),
    )
    assert all(v.item() == 0 for v in terms.values())


def _pool(module, X, y, mutability, **kwargs):
    params = {
        "n_classes": 2,
        "n_counterfactuals": len(X),
        "generator": GenericGenerator(),
        "decision_threshold": 0.5,
        "max_iter": 30,
        "step_size": 0.1,
        "adversarial_radius": 0.3,
    }
    params.update(kwargs)
    c = make_constraints(mutability, X.amin(0).numpy() - 1, X.amax(0).numpy() + 1)
    return build_pool(
        module, X, y, constraints=c, rng=torch.Generator().manual_seed(0), **params
    )


def test_pool_replaces_non_converged_counterfactuals_by_their_neighbour():
    X = torch.tensor([[-2.0, 0.0], [-1.5, 1.0], [2.0, 0.5], [1.0, -1.0]])
    y = torch.tensor([0, 0, 1, 1])
    module = _Linear([[-1.0, 1.0], [0.0, 0.0]])  # class 1 iff x0 > 0
    pool = _pool(module, X, y, ["both", "both"], max_iter=1, step_size=1e-4)
    assert pool.share_converged == 0.0
    assert torch.equal(pool.counterfactuals, pool.neighbours)
    # ... so the divergence of every pair is exactly 0.
    logits = module(pool.counterfactuals)
    assert (
        contrastive_divergence(module(pool.neighbours), logits, pool.target).item()
        == 0.0
    )
    # Neighbours are real training samples of the target class.
    for x_plus, t in zip(pool.neighbours, pool.target, strict=True):
        assert any(torch.equal(x_plus, row) for row in X[y == t])


def test_pool_targets_neighbours_protection_and_labels():
    X = torch.tensor([[-2.0, 0.0], [-1.5, 1.0], [2.0, 0.5], [1.0, -1.0]])
    y = torch.tensor([0, 0, 1, 1])
    module = _Linear([[-1.0, 1.0], [0.0, 0.0]])
    pool = _pool(module, X, y, ["both", "none"], max_iter=100, step_size=0.5)
    assert pool.share_converged == 1.0
    # Every factual drawn once (n_counterfactuals = n), targets = other class,
    # labels = the factuals' true labels.
    assert sorted(pool.factual_index.tolist()) == [0, 1, 2, 3]
    predicted = module(X[pool.factual_index]).argmax(1)
    assert torch.equal(pool.target, 1 - predicted)
    assert torch.equal(pool.labels, y[pool.factual_index])
    # Immutable feature 1: x+ copies x' there (no contrast on it).
    assert torch.equal(pool.neighbours[:, 1], pool.counterfactuals[:, 1])
    # Adversarial examples stay within adversarial_radius of some factual.
    dist = torch.cdist(pool.adversarial, X, p=float("inf")).amin(1)
    assert (dist <= 0.3 + 1e-6).all()
