"""Training controls tabular users expect: sample_weight, class_weight, early
stopping (as MLPClassifier), and optimizers that fit the training step."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_blobs, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline as sk_make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

import sklearn_ct.training._pool as pool_module
from sklearn_ct import CounterfactualTrainingClassifier
from sklearn_ct.pipeline import make_pipeline
from sklearn_ct.training import _fit as fit_steps

FAST = {
    "max_epochs": 4,
    "n_counterfactuals": 32,
    "max_iter_cf": 10,
    "lr": 0.01,
    "random_state": 0,
}
#: One batch holds all the data: training no longer depends on the row order.
FULL_BATCH = {**FAST, "batch_size": 1000, "lr": 0.05}


@pytest.fixture(scope="module")
def noisy_blobs():
    """Two blobs, and every fifth row moved and relabelled: rows that matter."""
    X, y = make_blobs(200, centers=[[-2, -2], [2, 2]], random_state=0)
    rng = np.random.default_rng(0)
    odd = np.zeros(len(X), dtype=bool)
    odd[::5] = True
    X[odd] += rng.normal(0.0, 2.0, size=(odd.sum(), 2))
    y[odd] = 1 - y[odd]
    return X, y, odd


@pytest.fixture(scope="module")
def imbalanced():
    return make_classification(
        400,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        weights=[0.9, 0.1],
        class_sep=0.5,
        flip_y=0.05,
        random_state=0,
    )


def _validation_rows(clf, y):
    """The rows the fitted classifier held out for early stopping."""
    y_index = np.searchsorted(clf.classes_, y)
    _, valid = clf.net_.train_split(np.arange(len(y)), y_index)
    return np.asarray(valid.indices)


# ------------------------------------------------------------------ sample_weight
@pytest.mark.parametrize("objective", ["vanilla", "full"])
def test_zero_sample_weight_equals_removing_the_rows(noisy_blobs, objective):
    X, y, odd = noisy_blobs
    params = {**FULL_BATCH, "objective": objective}
    weighted = CounterfactualTrainingClassifier(**params).fit(
        X, y, sample_weight=(~odd).astype(float)
    )
    removed = CounterfactualTrainingClassifier(**params).fit(X[~odd], y[~odd])
    # The same model up to float rounding (a weighted mean against a mean).
    np.testing.assert_allclose(
        weighted.predict_proba(X), removed.predict_proba(X), atol=1e-5
    )
    np.testing.assert_array_equal(weighted.domain_, removed.domain_)
    kept = CounterfactualTrainingClassifier(**params).fit(X, y)
    assert np.abs(kept.predict_proba(X) - removed.predict_proba(X)).max() > 1e-3


def test_integer_sample_weight_acts_like_repeated_rows(noisy_blobs):
    X, y, odd = noisy_blobs
    counts = np.where(odd, 3, 1)
    params = {**FULL_BATCH, "objective": "vanilla"}
    weighted = CounterfactualTrainingClassifier(**params).fit(
        X, y, sample_weight=counts
    )
    repeated = CounterfactualTrainingClassifier(**params).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-5
    )


def test_equal_sample_weights_train_exactly_like_none(noisy_blobs):
    X, y, _ = noisy_blobs
    plain = CounterfactualTrainingClassifier(**FAST).fit(X, y)
    for weights in (np.ones(len(y)), np.full(len(y), 2.5)):
        weighted = CounterfactualTrainingClassifier(**FAST).fit(
            X, y, sample_weight=weights
        )
        np.testing.assert_array_equal(weighted.predict_proba(X), plain.predict_proba(X))


@pytest.mark.parametrize(
    "weights, message",
    [
        (-1.0, "Negative values in data passed to `sample_weight`"),
        # Newer scikit-learn refuses all-zero weights itself (1.9 does, 1.7
        # does not); the classifier's own check refuses them otherwise.
        (0.0, "at least one non-zero number|at least one positive weight"),
    ],
)
def test_bad_sample_weights_are_refused(noisy_blobs, weights, message):
    X, y, _ = noisy_blobs
    sample_weight = np.ones(len(y))
    sample_weight[: len(y) if weights == 0.0 else 1] = weights
    with pytest.raises(ValueError, match=message):
        CounterfactualTrainingClassifier(**FAST).fit(X, y, sample_weight=sample_weight)


def test_a_class_left_without_weight_is_refused_by_counterfactual_training(noisy_blobs):
    X, y, _ = noisy_blobs
    with pytest.raises(ValueError, match="class 1 has no training row of positive"):
        CounterfactualTrainingClassifier(**FAST).fit(X, y, sample_weight=(y == 0) * 1.0)


def test_sample_weight_reaches_the_classifier_through_pipeline_fit_params(noisy_blobs):
    X, y, _ = noisy_blobs
    weights = np.where(y == 1, 3.0, 1.0)
    for build in (make_pipeline, sk_make_pipeline):
        by_fit_param = build(StandardScaler(), CounterfactualTrainingClassifier(**FAST))
        by_fit_param.fit(X, y, counterfactualtrainingclassifier__sample_weight=weights)
        by_class = build(
            StandardScaler(),
            CounterfactualTrainingClassifier(class_weight={1: 3.0}, **FAST),
        ).fit(X, y)
        unweighted = build(
            StandardScaler(), CounterfactualTrainingClassifier(**FAST)
        ).fit(X, y)
        np.testing.assert_array_equal(
            by_fit_param.predict_proba(X), by_class.predict_proba(X)
        )
        assert not np.array_equal(
            by_fit_param.predict_proba(X), unweighted.predict_proba(X)
        )


def test_sample_weights_are_part_of_the_checkpoint_fingerprint(noisy_blobs, tmp_path):
    X, y, odd = noisy_blobs
    params = {**FAST, "max_epochs": 2, "checkpoint_dir": tmp_path}
    CounterfactualTrainingClassifier(**params).fit(
        X, y, sample_weight=np.where(odd, 2, 1)
    )
    with pytest.raises(ValueError, match="checkpoint of a fit with other settings"):
        CounterfactualTrainingClassifier(**params).fit(
            X, y, sample_weight=np.where(odd, 3, 1)
        )


# ------------------------------------------------------------------- class_weight
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # None
def test_balanced_class_weight_predicts_the_minority_class_more_as_sklearn(imbalanced):
    X, y = imbalanced
    params = {**FAST, "max_epochs": 10}
    ours = {
        cw: CounterfactualTrainingClassifier(class_weight=cw, **params).fit(X, y)
        for cw in (None, "balanced")
    }
    theirs = {
        cw: LogisticRegression(class_weight=cw).fit(X, y) for cw in (None, "balanced")
    }

    def minority(model):
        return np.mean(model.predict(X) == 1)

    assert minority(theirs["balanced"]) > minority(theirs[None])
    assert minority(ours["balanced"]) > minority(ours[None]) + 0.05


def test_class_weight_dict_equals_the_same_sample_weights(imbalanced):
    X, y = imbalanced
    by_class = CounterfactualTrainingClassifier(
        class_weight={0: 0.5, 1: 4.0}, **FAST
    ).fit(X, y)
    by_row = CounterfactualTrainingClassifier(**FAST).fit(
        X, y, sample_weight=np.where(y == 1, 4.0, 0.5)
    )
    np.testing.assert_array_equal(by_class.predict_proba(X), by_row.predict_proba(X))
    both = CounterfactualTrainingClassifier(class_weight={1: 2.0}, **FAST).fit(
        X, y, sample_weight=np.where(y == 1, 2.0, 0.5)
    )  # multiplied: 4 and 0.5
    np.testing.assert_array_equal(both.predict_proba(X), by_row.predict_proba(X))


# ----------------------------------------------------------------- early stopping
@pytest.fixture(scope="module")
def easy():
    return make_blobs(300, centers=[[-3, -3], [3, 3]], random_state=0)


def test_early_stopping_stops_before_max_epochs_and_keeps_the_best_epoch(easy):
    X, y = easy
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = CounterfactualTrainingClassifier(
            **{**FAST, "max_epochs": 40}, early_stopping=True, n_iter_no_change=2
        ).fit(X, y)
    assert not [w for w in caught if "stopped after" in str(w.message)]
    history = clf.history_
    assert clf.n_iter_ < 40
    assert history["stopped_early"].tolist() == [False] * (clf.n_iter_ - 1) + [True]
    scores = history["valid_accuracy"]
    assert scores.notna().all() and history["valid_loss"].notna().all()
    # MLPClassifier's rule: n_iter_no_change + 1 epochs without improvement.
    assert clf.best_epoch_ == int(history["epoch"][scores.idxmax()])
    assert clf.n_iter_ - clf.best_epoch_ == 3
    assert clf.validation_scores_ == scores.tolist()
    assert clf.best_validation_score_ == scores.max()
    # The model holds the best epoch's weights.
    valid = _validation_rows(clf, y)
    assert clf.score(X[valid], y[valid]) == pytest.approx(clf.best_validation_score_)
    assert len(valid) == 30


def test_without_early_stopping_nothing_is_held_out(easy):
    X, y = easy
    clf = CounterfactualTrainingClassifier(**FAST).fit(X, y)
    assert clf.history_["valid_loss"].isna().all()
    assert clf.history_["valid_accuracy"].isna().all()
    assert not clf.history_["stopped_early"].any()
    assert clf.best_epoch_ is None and clf.validation_scores_ is None
    assert clf.net_.train_split is None


def test_the_pool_never_draws_from_the_validation_rows(easy, monkeypatch):
    X, y = easy
    X = X + np.arange(len(X))[:, None] * 1e-3  # every row unique
    drawn = []
    original = pool_module.build_pool

    def recording(module, X_pool, y_pool, **kwargs):
        drawn.append(X_pool.cpu().numpy().copy())
        return original(module, X_pool, y_pool, **kwargs)

    monkeypatch.setattr(pool_module, "build_pool", recording)
    clf = CounterfactualTrainingClassifier(
        **FAST, early_stopping=True, validation_fraction=0.2
    ).fit(X, y)
    valid = _validation_rows(clf, y)
    train = np.setdiff1d(np.arange(len(X)), valid)
    assert len(drawn) == clf.n_iter_
    for rows in drawn:
        np.testing.assert_array_equal(
            np.sort(rows, axis=0), np.sort(X[train].astype(np.float32), axis=0)
        )


class _InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_an_early_stopped_fit_resumes_from_its_checkpoint_to_the_same_model(
    easy, tmp_path, monkeypatch
):
    X, y = easy
    params = {**FAST, "max_epochs": 40, "early_stopping": True, "n_iter_no_change": 2}
    straight = CounterfactualTrainingClassifier(**params).fit(X, y)
    clf = CounterfactualTrainingClassifier(checkpoint_dir=tmp_path, **params)
    original = fit_steps.make_callbacks

    def with_interrupt(clf, *args):
        return [*original(clf, *args), ("interrupt", _InterruptAt(2))]

    with monkeypatch.context() as patch:
        patch.setattr(fit_steps, "make_callbacks", with_interrupt)
        with pytest.warns(UserWarning, match="stopped after 2 of max_epochs=40"):
            clf.fit(X, y)
    for _ in range(2):  # resumed, then the finished fit again
        clf.fit(X, y)
        assert clf.n_iter_ == straight.n_iter_
        assert clf.best_epoch_ == straight.best_epoch_
        np.testing.assert_array_equal(clf.predict_proba(X), straight.predict_proba(X))
        pd.testing.assert_frame_equal(
            clf.history_.drop(columns=["seconds", "cf_seconds"]),
            straight.history_.drop(columns=["seconds", "cf_seconds"]),
        )


def test_a_validation_set_of_one_row_is_refused(easy):
    X, y = easy
    with pytest.raises(ValueError, match="validation set of early_stopping is too sm"):
        CounterfactualTrainingClassifier(**FAST, early_stopping=True).fit(
            X[:10], y[:10]
        )


# --------------------------------------------------------------------- parameters
def test_closure_optimizers_are_refused(easy):
    X, y = easy
    with pytest.raises(ValueError, match=r"optimizer=LBFGS needs a closure"):
        CounterfactualTrainingClassifier(optimizer=torch.optim.LBFGS, **FAST).fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"class_weight": "auto"}, "'class_weight' parameter .* must be"),
        (
            {"early_stopping": "yes"},
            "'early_stopping' parameter .* must be an instance of 'bool'",
        ),
        (
            {"validation_fraction": 1.0},
            r"'validation_fraction' parameter .* must be a float in the range \(0.0, 1.0\)",
        ),
        (
            {"n_iter_no_change": 0},
            r"'n_iter_no_change' parameter .* must be an int in the range \[1, inf\)",
        ),
        (
            {"tol": -1e-3},
            r"'tol' parameter .* must be a float in the range \[0.0, inf\)",
        ),
    ],
)
def test_bad_training_controls_name_the_argument(easy, params, message):
    X, y = easy
    with pytest.raises(ValueError, match=message):
        CounterfactualTrainingClassifier(**FAST, **params).fit(X, y)
