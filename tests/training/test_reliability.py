"""Bad input gets a clear error or a documented warning, never a quiet wrong answer;
fitted models carry no training data and survive interrupts."""

import io
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_blobs
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline as sk_make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from skorch.callbacks import Callback

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.constraints import pipeline_constraints
from sklearn_ct.pipeline import make_pipeline
from sklearn_ct.training import _fit as fit_steps

FAST = {
    "max_epochs": 4,
    "n_counterfactuals": 32,
    "max_iter_cf": 10,
    "lr": 0.01,
    "random_state": 0,
}


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(300, centers=2, random_state=0)


@pytest.fixture(scope="module")
def fitted(blobs):
    X, y = blobs
    return CounterfactualTrainingClassifier(**FAST).fit(X, y)


@pytest.fixture(scope="module")
def people():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"age": rng.normal(40, 10, 120), "sex": rng.choice(["f", "m"], 120)}
    )
    return frame, (frame["age"] > 40).astype(int).to_numpy()


def _columns():
    return ColumnTransformer(
        [
            ("num", StandardScaler(), ["age"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["sex"]),
        ]
    )


# ------------------------------------------------------------ the bad-input table
def test_data_scaled_by_1e30_warns_and_keeps_finite_predictions(blobs):
    X, y = blobs
    with (
        pytest.warns(UserWarning, match="values as large as"),
        pytest.warns(RuntimeWarning, match="Training diverged in epoch 1"),
    ):
        clf = CounterfactualTrainingClassifier(**FAST).fit(X * 1e30, y)
    assert clf.history_["diverged"].iloc[-1]
    assert all(torch.isfinite(p).all() for p in clf.net_.module_.parameters())
    assert np.isfinite(clf.predict_proba(X * 1e30)).all()


@pytest.mark.parametrize("name", ["lambda_cost", "lambda_energy"])
def test_negative_explainer_weights_are_rejected(fitted, blobs, name):
    with pytest.raises(
        ValueError,
        match=rf"'{name}' parameter .* must be a float in the range \[0.0, inf\)",
    ):
        CounterfactualExplainer(fitted, **{name: -1.0}).fit(blobs[0])


@pytest.mark.parametrize("model", [CounterfactualTrainingClassifier(), MLPClassifier()])
def test_an_unfitted_model_is_caught_at_fit(model, blobs):
    with pytest.raises(NotFittedError):
        CounterfactualExplainer(model).fit(blobs[0])


@pytest.mark.parametrize("model", [RandomForestClassifier(n_estimators=3), SVC()])
def test_an_unsupported_model_is_caught_at_fit(model, blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="needs gradients"):
        CounterfactualExplainer(model.fit(X, y)).fit(X)


def test_hidden_layer_sizes_as_an_int_is_a_clear_type_error(blobs):
    with pytest.raises(TypeError, match=r"such as \(32,\)"):
        CounterfactualTrainingClassifier(hidden_layer_sizes=32).fit(*blobs)


def test_pipeline_constraints_on_an_unfitted_transformer(people):
    X, _ = people
    with pytest.raises(NotFittedError, match="not fitted"):
        pipeline_constraints(_columns(), X, mutability={"sex": "none"})


def test_names_after_a_plain_column_transformer_point_to_make_pipeline(people):
    X, y = people
    pipe = sk_make_pipeline(
        _columns(), CounterfactualTrainingClassifier(mutability={"age": "none"}, **FAST)
    )
    with pytest.raises(ValueError, match=r"sklearn_ct\.pipeline\.make_pipeline"):
        pipe.fit(X, y)


def test_string_columns_ask_for_an_encoder(people):
    with pytest.raises(
        ValueError, match=r"non-numeric columns \['sex'\].*OneHotEncoder"
    ):
        CounterfactualTrainingClassifier(**FAST).fit(*people)


def test_categorical_groups_over_continuous_columns_are_rejected(blobs):
    with pytest.raises(ValueError, match="do not hold one-hot indicators"):
        CounterfactualTrainingClassifier(categorical_groups=[[0, 1]], **FAST).fit(
            *blobs
        )


def test_a_domain_that_excludes_the_data_warns(blobs):
    X, y = blobs
    with pytest.warns(UserWarning, match="training data lie outside the domain box"):
        clf = CounterfactualTrainingClassifier(
            domain=[(100, 200), (100, 200)], **FAST
        ).fit(X, y)
    with pytest.warns(UserWarning, match="factuals lie outside the domain box"):
        result = clf.explain(X[:5])
    np.testing.assert_array_equal(
        result.valid, clf.predict(result.counterfactuals) == result.target
    )


def test_an_unknown_category_in_an_immutable_group_stays_unknown():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"x": rng.normal(0, 1, 200), "c": rng.choice(["a", "b", "c"], 200)}
    )
    y = (X["x"] > 0).astype(int).to_numpy()
    pipe = make_pipeline(
        ColumnTransformer(
            [
                ("num", StandardScaler(), ["x"]),
                ("cat", OneHotEncoder(handle_unknown="ignore"), ["c"]),
            ]
        ),
        CounterfactualTrainingClassifier(
            mutability={"c": "none"}, **{**FAST, "max_epochs": 20}
        ),
    ).fit(X, y)
    factuals = pd.DataFrame({"x": [-1.0, -1.5], "c": ["zzz", "a"]})
    result = pipe.explain(factuals, target=1)
    assert result.counterfactuals["c"].tolist() == ["zzz", "a"]
    np.testing.assert_array_equal(result.model_counterfactuals[0, 1:], [0, 0, 0])
    assert result.valid.all()


# ------------------------------------------------------- what a model file holds
def test_a_pickled_model_holds_no_training_data():
    X, y = make_blobs(2000, n_features=4, centers=2, random_state=0)
    clf = CounterfactualTrainingClassifier(**FAST).fit(X, y)
    arrays = []

    class Recorder(pickle.Pickler):
        def reducer_override(self, obj):
            if isinstance(obj, (np.ndarray, torch.Tensor)):
                arrays.append(tuple(obj.shape))
            return NotImplemented

    buffer = io.BytesIO()
    Recorder(buffer).dump(clf)
    assert all(shape[0] < 2000 for shape in arrays if shape)
    clf.predict(X)  # and it still predicts and explains after the clean-up
    clf.explain(X[:3])


def test_tensors_leave_through_device_portable_torch_save_only(blobs):
    # The mechanism that lets a model fitted with device="cuda" unpickle on a
    # CPU: skorch's module/optimizer and our generators' tensors are stored
    # with torch.save (and loaded with map_location); nothing else holds one.
    X, y = blobs
    tensors = []

    class Recorder(pickle.Pickler):
        def reducer_override(self, obj):
            if isinstance(obj, torch.Tensor):
                tensors.append(obj)
            return NotImplemented

    for generator in ("ecco", "revise"):
        clf = CounterfactualTrainingClassifier(generator=generator, **FAST).fit(X, y)
        buffer = io.BytesIO()
        Recorder(buffer).dump(clf)
        assert tensors == []
        loaded = pickle.loads(buffer.getvalue())
        np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
        np.testing.assert_allclose(
            loaded.explain(X[:5]).model_counterfactuals,
            clf.explain(X[:5]).model_counterfactuals,
        )


def test_random_state_none_leaves_the_global_rngs_alone(blobs):
    numpy_state = np.random.get_state()[1].copy()  # noqa: NPY002
    torch_state = torch.get_rng_state().clone()
    CounterfactualTrainingClassifier(**{**FAST, "random_state": None}).fit(*blobs)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)  # noqa: NPY002
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_fewer_counterfactuals_than_batches_still_feed_every_batch(blobs):
    X, y = blobs
    clf = CounterfactualTrainingClassifier(
        **{**FAST, "n_counterfactuals": 2, "batch_size": 30}
    ).fit(X, y)
    assert clf.history_["div_loss"].notna().all()  # no empty chunks diluting it


# ------------------------------------------------------------ interrupts and resume
class _InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def _interrupted_fit(clf, X, y, epoch, monkeypatch):
    original = fit_steps.make_callbacks

    def with_interrupt(clf, *args):
        return [*original(clf, *args), ("interrupt", _InterruptAt(epoch))]

    with monkeypatch.context() as patch:
        patch.setattr(fit_steps, "make_callbacks", with_interrupt)
        with pytest.warns(UserWarning, match="stopped after 2 of max_epochs=6"):
            clf.fit(X, y)
    return clf


def test_an_interrupted_fit_leaves_a_usable_model(blobs, monkeypatch):
    X, y = blobs
    clf = _interrupted_fit(
        CounterfactualTrainingClassifier(**{**FAST, "max_epochs": 6}),
        X,
        y,
        2,
        monkeypatch,
    )
    assert clf.n_iter_ == 2 and len(clf.history_) == 2
    assert clf.score(X, y) > 0.5
    assert len(clf.explain(X[:3])) == 3


def test_a_checkpointed_fit_resumes_with_nothing_lost(blobs, tmp_path, monkeypatch):
    X, y = blobs
    params = {**FAST, "max_epochs": 6}
    straight = CounterfactualTrainingClassifier(**params).fit(X, y)
    clf = CounterfactualTrainingClassifier(checkpoint_dir=tmp_path, **params)
    _interrupted_fit(clf, X, y, 2, monkeypatch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    assert not [w for w in caught if "stopped after" in str(w.message)]
    assert clf.n_iter_ == 6
    for mine, theirs in zip(
        clf.net_.module_.parameters(), straight.net_.module_.parameters(), strict=True
    ):
        assert torch.equal(mine, theirs)
    pd.testing.assert_frame_equal(
        clf.history_.drop(columns=["seconds", "cf_seconds"]),
        straight.history_.drop(columns=["seconds", "cf_seconds"]),
    )


def test_a_checkpoint_of_another_fit_is_refused(blobs, tmp_path):
    X, y = blobs
    CounterfactualTrainingClassifier(checkpoint_dir=tmp_path, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="checkpoint of a fit with other settings"):
        CounterfactualTrainingClassifier(
            checkpoint_dir=tmp_path, **{**FAST, "lambda_div": 0.1}
        ).fit(X, y)


def test_fits_in_threads_of_one_process_are_reproducible(blobs):
    from concurrent.futures import ThreadPoolExecutor

    X, y = blobs

    def fit(seed):
        clf = CounterfactualTrainingClassifier(**{**FAST, "random_state": seed})
        return clf.fit(X, y).predict_proba(X)

    alone = [fit(seed) for seed in (1, 2)]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(fit, (1, 2)))
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a, b)
