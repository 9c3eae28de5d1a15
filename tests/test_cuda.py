"""device="cuda" end to end; skipped where no GPU is present.

The device-portable pickling these rely on is tested on the CPU in
test_reliability.py (no tensor leaves a fitted model except through
torch.save, which loads onto the CPU where there is no GPU).
"""

import os
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_blobs
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.pipeline import make_pipeline

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

FAST = {
    "max_epochs": 5,
    "n_counterfactuals": 64,
    "lr": 0.01,
    "random_state": 0,
    "device": "cuda",
}


@pytest.mark.parametrize("generator", ["ecco", "generic", "revise", "gravitational"])
def test_fit_search_and_explain_on_the_gpu(generator):
    X, y = make_blobs(400, centers=2, random_state=0)
    clf = CounterfactualTrainingClassifier(generator=generator, **FAST).fit(X, y)
    assert next(clf.net_.module_.parameters()).is_cuda
    assert clf.history_["cf_converged"].notna().all()
    result = clf.explain(X[:50], sparsify=True, n_per_factual=2)
    np.testing.assert_array_equal(
        result.valid, clf.predict(result.counterfactuals) == result.target
    )
    explainer = CounterfactualExplainer(clf, generator="generic").fit(X)
    assert explainer.explain(X[:20]).valid.mean() > 0.8


def test_a_gpu_pipeline_unpickles_and_predicts_on_a_cpu_only_process(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "c": rng.choice(["x", "y"], 300)})
    y = (X["a"] > 0).astype(int).to_numpy()
    pipe = make_pipeline(
        ColumnTransformer(
            [("n", StandardScaler(), ["a"]), ("c", OneHotEncoder(), ["c"])]
        ),
        CounterfactualTrainingClassifier(generator="revise", **FAST),
    ).fit(X, y)
    path = tmp_path / "pipe.pkl"
    path.write_bytes(pickle.dumps(pipe))
    X.to_csv(tmp_path / "X.csv", index=False)
    code = (
        "import pickle, pandas as pd, torch; assert not torch.cuda.is_available(); "
        f"m = pickle.loads(open({str(path)!r}, 'rb').read()); "
        f"X = pd.read_csv({str(tmp_path / 'X.csv')!r}); "
        "r = m.explain(X.head(5), target=1); "
        "print(','.join(map(str, m.predict(X))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        # This environment (PYTHONPATH too, where the package comes from
        # there), with no GPU visible.
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
        check=True,
    )
    theirs = np.array(done.stdout.strip().split(","), dtype=int)
    np.testing.assert_array_equal(theirs, pipe.predict(X))
