"""The evaluation's faster paths give the library's numbers, bit for bit."""

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from sklearn_ct import CounterfactualTrainingClassifier
from sklearn_ct.generators import ECCCoGenerator
from sklearn_ct.metrics import explanation_summary
from sklearn_ct.metrics import implausibility as library_implausibility
from sklearn_ct.reproduction._round_metrics import (
    implausibility,
    round_metrics,
    target_rows,
)


@pytest.fixture(scope="module")
def three_classes():
    """A small CT model of three classes in five features, and held-out rows."""
    X, y = make_blobs(360, n_features=5, centers=3, cluster_std=2.0, random_state=3)
    model = CounterfactualTrainingClassifier(
        objective="full",
        max_epochs=2,
        batch_size=32,
        n_counterfactuals=40,
        random_state=0,
    ).fit(X[:240], y[:240])
    return model, X[240:], y[240:]


def test_implausibility_is_the_librarys():
    rng = np.random.default_rng(0)
    for m, n, width in ((1, 3, 2), (7, 40, 6), (30, 900, 3), (5, 12, 64)):
        a, b = rng.normal(size=(m, width)), rng.normal(size=(n, width))
        for n_samples in (None, 10, 1000):
            for seed in range(3):
                assert implausibility(
                    a, b, n_samples=n_samples, random_state=seed
                ) == library_implausibility(
                    a, b, n_samples=n_samples, random_state=seed
                )
    assert np.isnan(implausibility(np.ones((2, 2)), np.empty((0, 2))))


def test_round_metrics_are_explanation_summarys(three_classes):
    model, X, y = three_classes
    rng = np.random.default_rng(1)
    rows = rng.integers(len(X), size=150)
    target = (model.predict(X[rows]) + rng.integers(1, 3, size=150)) % 3
    result = model.explain(
        X[rows],
        target=target,
        generator=ECCCoGenerator(lambda_cost=0.0, lambda_energy=1.0),
        decision_threshold=0.95,
        max_iter=20,  # about a third of the counterfactuals valid
        step_size=0.5,
        refine=False,
        fallback=False,
    )
    assert 0 < result.valid.mean() < 1
    no_twos = y != 2  # a target without reference rows gives nan, left out
    for X_ref, y_ref in ((X, y), (X[no_twos], y[no_twos])):
        references = target_rows(X_ref, y_ref)
        for start, size in ((0, 10), (20, 50), (0, 150), (149, 1)):
            part = SimpleNamespace(
                **{
                    k: getattr(result, k)[start : start + size]
                    for k in (
                        "model_factuals",
                        "model_counterfactuals",
                        "valid",
                        "target",
                    )
                }
            )
            seed = int(rng.integers(2**31 - 1))
            for n_ip, n_mmd in ((1000, 100), (None, None), (5, 3)):
                expected = explanation_summary(
                    part,
                    X_ref,
                    y_ref,
                    length_scale=5.0,
                    n_ip_samples=n_ip,
                    n_mmd_samples=n_mmd,
                    random_state=seed,
                )
                got = round_metrics(
                    part,
                    references,
                    seed,
                    length_scale=5.0,
                    n_ip_samples=n_ip,
                    n_mmd_samples=n_mmd,
                )
                assert got["n"] == size and got["n_valid"] == part.valid.sum()
                for key, value in expected.items():
                    assert got[key] == value or (
                        np.isnan(got[key]) and np.isnan(value)
                    ), key
