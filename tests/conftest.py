"""Shared fixtures: tiny seeded data and fitted models."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs, make_moons
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

#: The development data folder: ``../shared/data`` beside the checkout.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def _shared_data_home():
    """Real data sets come from ../shared/data beside the checkout, when it exists.

    The package never looks there itself (it reads ``data_home``, then
    ``SKLEARN_CT_DATA``, then scikit-learn's data home): the tests name the
    development folder explicitly, unless ``SKLEARN_CT_DATA`` is already set.
    """
    if os.environ.get("SKLEARN_CT_DATA") or not SHARED_DATA.is_dir():
        yield
        return
    os.environ["SKLEARN_CT_DATA"] = str(SHARED_DATA)
    yield
    del os.environ["SKLEARN_CT_DATA"]


@pytest.fixture(autouse=True, scope="session")
def _no_internet_downloads(_shared_data_home):
    """Tests never reach the internet: without local data, downloads fail at once."""
    from sklearn_ct.datasets._fetch import URL_ENV

    local = os.environ.get("SKLEARN_CT_DATA")
    if URL_ENV in os.environ or (local and (Path(local) / "adult.csv").is_file()):
        yield
        return
    os.environ[URL_ENV] = "http://127.0.0.1:9"  # the discard port: refused at once
    yield
    del os.environ[URL_ENV]


@pytest.fixture(autouse=True)
def _seed():
    """Seed global RNGs so that any accidental use of them is at least repeatable."""
    np.random.seed(0)  # noqa: NPY002 (the legacy global state is what we guard)
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def moons():
    """1,000 training and 1,000 held-out moons samples."""
    X, y = make_moons(2000, noise=0.1, random_state=0)
    return X[:1000], y[:1000], X[1000:], y[1000:]


@pytest.fixture(scope="session")
def moons_mlp(moons):
    """An MLPClassifier fitted on the moons training half."""
    X, y, _, _ = moons
    return MLPClassifier((32, 32), max_iter=500, random_state=0).fit(X, y)


@pytest.fixture(scope="session")
def blobs3():
    """Three well separated blobs in 3-D."""
    return make_blobs(300, n_features=3, centers=3, cluster_std=1.0, random_state=1)


@pytest.fixture(scope="session")
def blobs3_logreg(blobs3):
    """A multinomial LogisticRegression on the three blobs."""
    X, y = blobs3
    return LogisticRegression().fit(X, y)
