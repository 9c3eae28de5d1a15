import numpy as np
import pytest
import torch
from sklearn.base import clone

from sklearn_ct.generators import (
    ECCCoGenerator,
    GenericGenerator,
    GravitationalGenerator,
    REVISEGenerator,
    energy,
    energy_decay,
    energy_penalty,
    l1_cost,
)
from sklearn_ct.generators._presets import resolve_generator


@pytest.mark.parametrize(
    "step, max_iter, expected",
    [
        (1, 30, 0.1 * 2**-0.9),
        (30, 30, 0.1 * 31**-0.9),
        (1, 50, 0.2 * 3**-0.9),
        (1, 10, 0.1 * 2**-0.9),
        (5, 100, 0.4 * 9**-0.9),
    ],
)
def test_energy_decay_matches_the_reference(step, max_iter, expected):
    assert energy_decay(step, max_iter) == pytest.approx(expected)


def test_penalties_by_hand():
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    x_cf = torch.tensor([[1.0, -2.0], [1.0, 1.5]])
    logits = torch.tensor([[0.5, 2.0], [3.0, -1.0]])
    target = torch.tensor([1, 0])
    assert l1_cost(x_cf, x).tolist() == [3.0, 0.5]
    assert energy(logits, target).tolist() == [-2.0, -3.0]
    phi = energy_decay(1, 30)
    expected = [phi * (-2 + 1e-3 * 4), phi * (-3 + 1e-3 * 9)]
    assert energy_penalty(logits, target, 1, 30).tolist() == pytest.approx(expected)
    eccco = ECCCoGenerator(lambda_cost=0.1, lambda_energy=2.0)
    got = eccco.penalty(x_cf, x, logits, target, 1, 30)
    assert got.tolist() == pytest.approx(
        [0.3 + 2 * expected[0], 0.05 + 2 * expected[1]]
    )
    ce = torch.nn.functional.cross_entropy(logits, target, reduction="none")
    generic = GenericGenerator(lambda_cost=0.1)
    torch.testing.assert_close(
        generic.loss(x_cf, x, logits, target, 1, 30), ce + torch.tensor([0.3, 0.05])
    )


def test_resolve_generator_by_name_or_instance():
    assert isinstance(resolve_generator("ecco"), ECCCoGenerator)
    assert isinstance(resolve_generator("Generic"), GenericGenerator)
    assert isinstance(resolve_generator("revise"), REVISEGenerator)
    mine = ECCCoGenerator(lambda_energy=1.0)
    resolved = resolve_generator(mine, lambda_cost=0.0, lambda_energy=None)
    assert resolved is not mine and mine.lambda_cost == 0.001  # never modified
    assert resolved.get_params()["lambda_cost"] == 0.0
    assert resolved.get_params()["lambda_energy"] == 1.0
    # Overrides a generator does not have are ignored.
    assert resolve_generator("generic", lambda_energy=3.0).get_params() == {
        "lambda_cost": 0.001
    }
    with pytest.raises(ValueError, match="generator='magic' is not understood"):
        resolve_generator("magic")
    with pytest.raises(ValueError, match="must be a name or"):
        resolve_generator(42)


def test_generators_are_clonable_estimators():
    g = ECCCoGenerator(lambda_energy=3.0)
    assert clone(g).get_params() == g.get_params()


def test_revise_vae_is_seeded_and_decodes_back(moons):
    X, _, _, _ = moons
    a = REVISEGenerator(max_epochs=5).fit(X, random_state=0)
    b = REVISEGenerator(max_epochs=5).fit(X, random_state=0)
    x = torch.as_tensor(X[:50], dtype=torch.float32)
    torch.testing.assert_close(a.decode(a.encode(x)), b.decode(b.encode(x)))
    assert a.encode(x).shape == (50, 2)  # two-feature data: latent size 2
    fitted = REVISEGenerator(max_epochs=100).fit(X, random_state=0)
    error = (fitted.decode(fitted.encode(x)) - x).abs().mean()
    assert error < 0.8 * (x - x.mean(0)).abs().mean()  # beats predicting the mean
    with pytest.raises(RuntimeError, match="needs a fitted VAE"):
        REVISEGenerator().encode(x)


def test_gravitational_pulls_towards_target_class(moons):
    X, y, _, _ = moons
    g = GravitationalGenerator(lambda_cost=0.0, lambda_gravity=1.0).fit(
        X, y, random_state=0
    )
    centre1 = torch.as_tensor(X[y == 1].mean(0), dtype=torch.float32)[None]
    centre0 = torch.as_tensor(X[y == 0].mean(0), dtype=torch.float32)[None]
    target = torch.tensor([1])
    near = g.penalty(centre1, centre1, None, target, 1, 10)
    far = g.penalty(centre0, centre0, None, target, 1, 10)
    assert near < far
    with pytest.raises(ValueError, match="needs class labels"):
        GravitationalGenerator().fit(np.zeros((3, 2)))
