"""``sensitivity``'s one backward pass gives captum's own gradients' numbers."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ct import CounterfactualTrainingClassifier
from sklearn_ct.metrics import _robustness, sensitivity

pytest.importorskip("captum")


def _captums_own(monkeypatch, *args, **kwargs):
    """``sensitivity`` as it was: captum's gradients, one unit gradient per output."""
    from captum._utils.gradient import compute_gradients

    with monkeypatch.context() as patch:
        patch.setattr(_robustness, "_summed_gradients", compute_gradients)
        return sensitivity(*args, **kwargs)


@pytest.fixture(scope="module")
def models():
    """Fitted models of two and three classes, and rows to attribute."""
    X, y = make_blobs(300, n_features=4, centers=3, cluster_std=2.0, random_state=1)
    names = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    two = (X[:, 1] > X[:, 1].mean()).astype(int)
    return {
        "logistic": (LogisticRegression().fit(X, two), X[:80]),
        "mlp": (
            MLPClassifier((16,), max_iter=2000, random_state=0).fit(X, y),
            X[:80],
        ),
        "ct": (
            CounterfactualTrainingClassifier(
                max_epochs=2, n_counterfactuals=20, random_state=0
            ).fit(X[:200], y[:200]),
            X[200:],
        ),
        "pipeline": (
            make_pipeline(StandardScaler(), LogisticRegression()).fit(names, y),
            names[:80],
        ),
    }


@pytest.mark.parametrize("name", ["logistic", "mlp", "ct", "pipeline"])
@pytest.mark.parametrize("normalize", ["minmax", "range", None])
@pytest.mark.parametrize("baseline", ["random", "zeros", "array"])
def test_one_backward_pass_gives_captums_numbers(
    monkeypatch, models, name, normalize, baseline
):
    model, X = models[name]
    if baseline == "array":
        baseline = np.linspace(-0.5, 0.5, 4)
    features = (["b", "d"], ["a"]) if name == "pipeline" else ([1, 3], [-1], [0])
    for seed, chosen in enumerate(features):
        kwargs = dict(
            baseline=baseline, normalize=normalize, n_steps=20, random_state=seed
        )
        expected = _captums_own(monkeypatch, model, X, chosen, **kwargs)
        got = sensitivity(model, X, chosen, **kwargs)
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_edge_cases_give_captums_numbers(monkeypatch):
    # The cases of test_sensitivity_to_noise_feature_is_lower, one row, a
    # baseline at the row (no attribution: 0 / inf) and the default n_steps.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    model = LogisticRegression().fit(X, (X[:, 1] > 0).astype(int))
    cases = [
        (X, [0], {"random_state": 0}),
        (X, [1], {"random_state": 0}),
        (X, [0, 1], {"normalize": None, "baseline": "zeros"}),
        (X, [1], {"normalize": "range", "random_state": 0}),
        (X[:1], [0], {"random_state": 3}),
        (X[:1], [1], {"baseline": X[0]}),
    ]
    for rows, features, kwargs in cases:
        expected = _captums_own(monkeypatch, model, rows, features, **kwargs)
        assert sensitivity(model, rows, features, **kwargs) == pytest.approx(
            expected, rel=1e-12, abs=1e-15
        )
    assert sensitivity(model, X[:1], [1], baseline=X[0]) == 0.0
