"""Thread control: deliberate torch threads, restored afterwards."""

import pytest
import torch
from sklearn.datasets import make_blobs

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.utils._threads import resolve_n_threads, thread_limit, torch_threads


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before


def test_minus_one_respects_the_limit_joblib_sets(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert thread_limit() == 1 and resolve_n_threads(-1) == 1
    assert resolve_n_threads(8) == 1  # never more than a joblib worker's share


@pytest.mark.parametrize("bad", [0, -2, 1.5, "all", True])
def test_bad_n_threads_is_rejected(bad):
    X, y = make_blobs(40, centers=2, random_state=0)
    with pytest.raises(ValueError, match=r"n_threads'? (parameter of \w+ )?must be"):
        CounterfactualTrainingClassifier(n_threads=bad, max_epochs=1).fit(X, y)


def test_fit_predict_and_explain_leave_the_global_setting(monkeypatch):
    X, y = make_blobs(60, centers=2, random_state=0)
    seen = []
    original = torch.set_num_threads
    monkeypatch.setattr(
        torch, "set_num_threads", lambda n: (seen.append(n), original(n))[1]
    )
    torch.set_num_threads(2)
    clf = CounterfactualTrainingClassifier(
        max_epochs=2, n_threads=1, random_state=0
    ).fit(X, y)
    clf.predict(X)
    CounterfactualExplainer(clf).fit(X).explain(X[:3])
    assert torch.get_num_threads() == 2
    assert 1 in seen  # the work ran on one thread
    original(1)
