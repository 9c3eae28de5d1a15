import numpy as np
import pytest
import torch

from sklearn_ct.constraints import make_constraints, violations
from sklearn_ct.explain import counterfactual_search
from sklearn_ct.explain._adapters import from_sklearn_mlp
from sklearn_ct.generators import (
    ECCCoGenerator,
    GenericGenerator,
    GravitationalGenerator,
    REVISEGenerator,
)

MUTABILITY_KINDS = ["both", "increase", "decrease", "none"]
GENERATORS = {
    "generic": lambda X, y: GenericGenerator(lambda_cost=0.01),
    "ecco": lambda X, y: ECCCoGenerator(),
    "revise": lambda X, y: REVISEGenerator(max_epochs=20).fit(X, random_state=0),
    "gravitational": lambda X, y: GravitationalGenerator().fit(X, y, random_state=0),
}


@pytest.fixture(scope="module")
def problem(moons, moons_mlp):
    X, y, X_test, _ = moons
    module = from_sklearn_mlp(moons_mlp)
    x = torch.as_tensor(X_test[:200])
    with torch.no_grad():
        target = 1 - module(x).argmax(1)
    return X, module, x, target, y


def _run(problem, generator, mutability, low, high, **kwargs):
    _X, module, x, target, _y = problem
    c = make_constraints(mutability, low, high, dtype=torch.float64)
    return counterfactual_search(module, x, target, generator, c, **kwargs)


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("kind", MUTABILITY_KINDS)
@pytest.mark.parametrize("box", ["inferred", "tight"])
def test_no_returned_counterfactual_violates_a_constraint(problem, name, kind, box):
    X, _, x, _, y = problem
    mutability = [kind, "both"]
    if box == "inferred":
        low, high = X.min(0) - 0.5, X.max(0) + 0.5
    else:  # a box that many factuals and paths run into
        low, high = np.array([-0.5, -0.2]), np.array([1.2, 0.7])
    generator = GENERATORS[name](X, y)
    found = _run(problem, generator, mutability, low, high, max_iter=60)
    bad = violations(found.counterfactuals.numpy(), x.numpy(), mutability, low, high)
    assert bad.sum() == 0
    # The adversarial examples lie on the same constrained path.
    bad_adv = violations(found.adversarial.numpy(), x.numpy(), mutability, low, high)
    assert bad_adv.sum() == 0


@pytest.mark.parametrize("name", GENERATORS)
def test_batched_search_equals_one_sample_at_a_time(problem, name):
    X, module, x, target, y = problem
    generator = GENERATORS[name](X, y)
    c = make_constraints(["increase", "both"], X.min(0), X.max(0), dtype=torch.float64)
    kwargs = {"decision_threshold": 0.9, "max_iter": 40}
    batch = counterfactual_search(module, x[:25], target[:25], generator, c, **kwargs)
    for i in range(25):
        one = counterfactual_search(
            module, x[i : i + 1], target[i : i + 1], generator, c, **kwargs
        )
        torch.testing.assert_close(
            one.counterfactuals[0], batch.counterfactuals[i], atol=1e-6, rtol=1e-6
        )
        torch.testing.assert_close(
            one.adversarial[0], batch.adversarial[i], atol=1e-6, rtol=1e-6
        )
        assert one.n_iter[0] == batch.n_iter[i]
        assert one.converged[0] == batch.converged[i]


def test_each_sample_stops_at_its_own_convergence(problem):
    X, _, _, _, _ = problem
    found = _run(
        problem,
        GenericGenerator(),
        ["both", "both"],
        X.min(0),
        X.max(0),
        decision_threshold=0.75,
        max_iter=100,
    )
    assert found.converged.all()
    assert (found.p_target >= 0.75).all()
    assert found.n_iter.min() < found.n_iter.max()  # stopped at different steps


def test_no_threshold_runs_all_steps(problem):
    X, module, _x, target, _ = problem
    found = _run(
        problem,
        GenericGenerator(),
        ["both", "both"],
        X.min(0),
        X.max(0),
        decision_threshold=None,
        max_iter=7,
    )
    assert (found.n_iter == 7).all()
    predicted = module(found.counterfactuals).argmax(1)
    assert torch.equal(found.converged, predicted == target)


def test_nascent_adversarial_example_is_the_last_point_in_the_ball(problem):
    X, _, x, _, _y = problem
    low, high = X.min(0), X.max(0)
    found = _run(
        problem,
        GenericGenerator(),
        ["both", "both"],
        low,
        high,
        decision_threshold=0.99,
        max_iter=50,
        step_size=0.02,
        adversarial_radius=0.1,
    )
    dist = (found.adversarial - x).abs().amax(1)
    assert (dist <= 0.1 + 1e-12).all()
    assert (dist > 0).any()  # some paths moved inside the ball
    zero = _run(
        problem,
        GenericGenerator(),
        ["both", "both"],
        low,
        high,
        max_iter=20,
        adversarial_radius=0.0,
    )
    assert torch.equal(zero.adversarial, x)


def test_unreachable_target_is_reported_not_converged(problem):
    X, _, x, _, _y = problem
    found = _run(
        problem, GenericGenerator(), ["none", "none"], X.min(0), X.max(0), max_iter=10
    )
    assert not found.converged.any()
    assert (found.n_iter == 10).all()
    assert torch.equal(found.counterfactuals, x)


def test_search_does_not_touch_model_gradients_or_global_rng(moons):
    X, _y, _, _ = moons
    module = torch.nn.Sequential(
        torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)
    ).double()
    state = torch.random.get_rng_state()
    c = make_constraints(["both", "both"], X.min(0), X.max(0), dtype=torch.float64)
    x = torch.as_tensor(X[:10])
    counterfactual_search(
        module, x, torch.ones(10, dtype=torch.long), ECCCoGenerator(), c, max_iter=5
    )
    assert all(p.grad is None for p in module.parameters())
    assert torch.equal(state, torch.random.get_rng_state())


def test_two_class_reach_without_softmax_decides_as_softmax_does():
    from sklearn_ct.explain._refine import MARGIN, reaches

    torch.manual_seed(0)
    logits = torch.randn(20000, 2) * torch.logspace(-4, 3, 20000).unsqueeze(1)
    logits[:50, 0] = torch.inf
    logits[50:100, 1] = -torch.inf
    logits[100:150] = torch.nan
    logits[200:1000, 1] = logits[200:1000, 0] + torch.linspace(-3e-3, 3e-3, 800)
    target = torch.randint(0, 2, (20000,))
    own = logits.gather(1, target.view(-1, 1)).squeeze(1)
    others = logits.scatter(1, target.view(-1, 1), -torch.inf).amax(dim=1)
    p = logits.softmax(dim=1).gather(1, target.view(-1, 1)).squeeze(1)
    for threshold in (0.5, 0.2):
        expected = (own - others >= MARGIN) & (p >= threshold)
        assert torch.equal(reaches(lambda z: z, logits, target, threshold), expected)
