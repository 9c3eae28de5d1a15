import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.utils import check_random_state
from torch import nn

import sklearn_ct.training._pool as pool_module
from sklearn_ct import CounterfactualTrainingClassifier, GenericGenerator
from sklearn_ct.constraints import violations
from sklearn_ct.training._modules import MLP

FAST = {
    "max_epochs": 4,
    "n_counterfactuals": 64,
    "max_iter_cf": 10,
    "lr": 0.01,
    "random_state": 0,
}


@pytest.fixture(scope="module")
def blobs2():
    X, y = make_blobs(400, centers=[[-2, -2], [2, 2]], cluster_std=1.0, random_state=0)
    return X, y


def test_fit_predict_binary(blobs2):
    X, y = blobs2
    clf = CounterfactualTrainingClassifier(**FAST).fit(X, y)
    assert clf.score(X, y) > 0.95
    proba = clf.predict_proba(X)
    assert proba.shape == (400, 2)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    assert clf.n_features_in_ == 2 and clf.n_iter_ == 4


def test_multiclass_string_labels_and_dataframes():
    X, y = make_blobs(450, centers=3, n_features=3, random_state=2)
    labels = np.array(["low", "mid", "high"])[y]
    frame = pd.DataFrame(X, columns=["age", "debt", "income"])
    clf = CounterfactualTrainingClassifier(mutability={"age": "none"}, **FAST)
    clf.fit(frame, labels)
    assert clf.classes_.tolist() == ["high", "low", "mid"]
    assert clf.feature_names_in_.tolist() == ["age", "debt", "income"]
    assert clf.mutability_.tolist() == ["none", "both", "both"]
    assert clf.net_.module_(torch.zeros(1, 3)).shape == (1, 3)  # K logits
    assert set(clf.predict(frame)) <= set(labels)
    assert clf.score(frame, labels) > 0.9
    result = clf.explain(frame.iloc[:30])
    assert isinstance(result.counterfactuals, pd.DataFrame)
    assert result.counterfactuals["age"].equals(frame["age"].iloc[:30])
    assert set(result.target) <= set(labels)
    assert (result.target != result.predicted).all()


def test_explain_uses_the_classifiers_own_constraints(blobs2):
    X, y = blobs2
    clf = CounterfactualTrainingClassifier(
        mutability=["increase", "decrease"], domain=[(-5, 5), (-5, 5)], **FAST
    )
    result = clf.fit(X, y).explain(X[:100], max_iter=50)
    assert (
        violations(result.counterfactuals, X[:100], clf.mutability_, *clf.domain_).sum()
        == 0
    )
    # Not one of explain's keywords: Python's own TypeError.
    with pytest.raises(TypeError, match="unexpected keyword argument 'mutability'"):
        clf.explain(X[:5], mutability=None)


def _plain_ce_training(X, y, seed, max_epochs, batch_size):
    """Textbook cross-entropy training: Adam, reshuffled mini-batches each epoch.

    Weights and batch orders come from their own seeded generators, as in the
    classifier (seeds 0 and 3 of its four).
    """
    seeds = check_random_state(seed).randint(np.iinfo(np.int32).max, size=4)
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    module = MLP(
        X.shape[1], 2, (32,), generator=torch.Generator().manual_seed(int(seeds[0]))
    )
    shuffle = torch.Generator().manual_seed(int(seeds[3]))
    optimizer = torch.optim.Adam(module.parameters(), lr=5e-3)
    for _ in range(max_epochs):
        for batch in torch.randperm(len(X), generator=shuffle).split(batch_size):
            optimizer.zero_grad()
            nn.functional.cross_entropy(module(X[batch]), y[batch]).backward()
            optimizer.step()
    return module


def test_vanilla_equals_plain_cross_entropy_training(blobs2):
    X, y = blobs2
    clf = CounterfactualTrainingClassifier(
        objective="vanilla", max_epochs=3, batch_size=50, random_state=7
    ).fit(X, y)
    reference = _plain_ce_training(X, y, 7, max_epochs=3, batch_size=50)
    for ours, theirs in zip(
        clf.net_.module_.parameters(), reference.parameters(), strict=True
    ):
        torch.testing.assert_close(ours, theirs)
    assert clf.history_["cf_converged"].isna().all()  # no counterfactuals at all


def test_ct_with_zero_lambdas_trains_exactly_like_vanilla(blobs2):
    # The pool has its own RNG: batch order and weights match the baseline.
    X, y = blobs2
    base = CounterfactualTrainingClassifier(objective="vanilla", **FAST).fit(X, y)
    ct = CounterfactualTrainingClassifier(
        lambda_div=0.0, lambda_reg=0.0, lambda_adv=0.0, **FAST
    ).fit(X, y)
    assert ct.history_["cf_converged"].notna().all()  # it did search
    for a, b in zip(
        base.net_.module_.parameters(), ct.net_.module_.parameters(), strict=True
    ):
        torch.testing.assert_close(a, b)


def test_no_counterfactuals_during_burnin(blobs2, monkeypatch):
    X, y = blobs2
    calls = []
    original = pool_module.build_pool

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(pool_module, "build_pool", counting)
    clf = CounterfactualTrainingClassifier(**{**FAST, "max_epochs": 6}, burnin=0.5)
    clf.fit(X, y)
    assert len(calls) == 3
    assert clf.history_["cf_converged"].isna().tolist() == [True] * 3 + [False] * 3
    assert clf.history_["div_loss"].isna().tolist() == [True] * 3 + [False] * 3


def test_history_has_one_row_per_epoch_with_every_term(blobs2):
    X, y = blobs2
    clf = CounterfactualTrainingClassifier(**FAST).fit(X, y)
    history = clf.history_
    assert len(history) == 4
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    for column in (
        "loss",
        "clf_loss",
        "div_loss",
        "reg_loss",
        "adv_loss",
        "accuracy",
        "cf_converged",
        "cf_n_iter",
        "seconds",
        "n_skipped",
    ):
        assert history[column].notna().all(), column
    assert (history["cf_n_iter"] <= 10).all()
    assert history["cf_converged"].between(0, 1).all()
    # The logged total is the weighted sum of the logged terms.
    expected = (
        history["clf_loss"]
        + 0.5 * history["div_loss"]
        + 0.1 * history["reg_loss"]
        + 0.25 * history["adv_loss"]
    )
    np.testing.assert_allclose(history["loss"], expected, rtol=1e-4, atol=1e-5)


def test_same_random_state_same_model_and_counterfactuals(blobs2):
    X, y = blobs2
    state = torch.random.get_rng_state()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002
    a = CounterfactualTrainingClassifier(**FAST).fit(X, y)
    b = CounterfactualTrainingClassifier(**FAST).fit(X, y)
    assert torch.equal(state, torch.random.get_rng_state())
    np.testing.assert_array_equal(np_state, np.random.get_state()[1])  # noqa: NPY002
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    pd.testing.assert_frame_equal(
        a.history_.drop(columns=["seconds", "cf_seconds"]),
        b.history_.drop(columns=["seconds", "cf_seconds"]),
    )
    ra, rb = a.explain(X[:20]), b.explain(X[:20])
    np.testing.assert_array_equal(ra.counterfactuals, rb.counterfactuals)
    c = CounterfactualTrainingClassifier(**{**FAST, "random_state": 1}).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


class _NanForNegative(nn.Module):
    """Logits are NaN for samples with a negative first feature."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.linear = nn.Linear(n_features, n_classes)

    def forward(self, x):
        return self.linear(x) * torch.sqrt(x[:, :1])


def test_non_finite_loss_skips_the_update_and_is_counted():
    X, y = make_blobs(200, centers=[[3, 3], [6, 6]], random_state=0)
    X[:3, 0] = -1.0  # three poisoned samples
    clf = CounterfactualTrainingClassifier(
        module=_NanForNegative, objective="vanilla", **FAST
    ).fit(X, y)
    assert clf.history_["n_skipped"].sum() > 0
    assert all(torch.isfinite(p).all() for p in clf.net_.module_.parameters())


def test_module_options(blobs2):
    X, y = blobs2
    logistic = CounterfactualTrainingClassifier(module="logistic", **FAST).fit(X, y)
    assert len(list(logistic.net_.module_.parameters())) == 2
    deep = CounterfactualTrainingClassifier(hidden_layer_sizes=(8, 8), **FAST)
    assert deep.fit(X, y).score(X, y) > 0.9
    by_class = CounterfactualTrainingClassifier(
        module=MLP, module_params={"hidden_layer_sizes": (4,)}, **FAST
    ).fit(X, y)
    assert by_class.net_.module_.layers[0].out_features == 4
    instance = MLP(2, 2, (8,))
    before = [p.clone() for p in instance.parameters()]
    CounterfactualTrainingClassifier(module=instance, **FAST).fit(X, y)
    assert all(
        torch.equal(a, b) for a, b in zip(before, instance.parameters(), strict=True)
    )
    with pytest.raises(ValueError, match=r"expected \(2, 2\): one logit per class"):
        CounterfactualTrainingClassifier(module=MLP(2, 1, ()), **FAST).fit(X, y)


@pytest.mark.parametrize(
    "generator", ["generic", "ecco", "revise", GenericGenerator(lambda_cost=0.1)]
)
def test_training_generators(blobs2, generator):
    X, y = blobs2
    params = {**FAST}
    if generator == "revise":
        from sklearn_ct import REVISEGenerator

        generator = REVISEGenerator(max_epochs=5)
    clf = CounterfactualTrainingClassifier(generator=generator, **params).fit(X, y)
    assert clf.score(X, y) > 0.9
    assert clf.history_["cf_converged"].notna().all()
    assert clf.explain(X[:10]).valid.mean() > 0.5


def test_generator_parameters_are_nested_params():
    clf = CounterfactualTrainingClassifier(generator=GenericGenerator())
    assert clf.get_params()["generator__lambda_cost"] == 0.001
    clf.set_params(generator__lambda_cost=0.5)
    assert clf.generator.lambda_cost == 0.5
    assert clone(clf).generator.lambda_cost == 0.5


@pytest.mark.parametrize(
    "params, message",
    [
        ({"objective": "magic"}, "'objective' parameter .* must be a str among"),
        (
            {"lambda_div": -1.0},
            r"'lambda_div' parameter .* must be a float in the range \[0.0, inf\)",
        ),
        (
            {"decision_threshold": 1.0},
            r"'decision_threshold' parameter .* must be a float in the range \(0.0, 1.0\)",
        ),
        (
            {"n_counterfactuals": 0},
            r"'n_counterfactuals' parameter .* must be an int in the range \[1, inf\)",
        ),
        (
            {"burnin": 2.0},
            r"'burnin' parameter .* must be a float in the range \[0.0, 1.0\]",
        ),
        ({"verbose": 5}, r"'verbose' parameter .* must be a int among \{0, 1, 2\}"),
        (
            {"optimizer": "adam"},
            "'optimizer' parameter .* must be an instance of 'type'",
        ),
        ({"generator": "nope"}, "generator='nope' is not understood"),
        ({"module": "transformer"}, "module='transformer' is not understood"),
        ({"mutability": ["none"]}, "1 entries, but X has 2"),
        ({"domain": [(1, 0), (0, 1)]}, "low=1.0 > high=0.0"),
    ],
)
def test_bad_parameters_name_the_argument(blobs2, params, message):
    X, y = blobs2
    with pytest.raises(ValueError, match=message):
        CounterfactualTrainingClassifier(**{**FAST, **params}).fit(X, y)


def test_one_class_is_an_error(blobs2):
    X, _ = blobs2
    with pytest.raises(ValueError, match="at least two classes in y; got one class"):
        CounterfactualTrainingClassifier(**FAST).fit(X, np.zeros(len(X)))


@pytest.mark.parametrize(
    "verbose, stream, text", [(1, "err", "epoch"), (2, "out", "div_loss")]
)
def test_verbose_output(blobs2, capsys, verbose, stream, text):
    X, y = blobs2
    CounterfactualTrainingClassifier(**{**FAST, "max_epochs": 2}, verbose=verbose).fit(
        X, y
    )
    captured = capsys.readouterr()
    assert text in getattr(captured, stream)


def test_silent_by_default(blobs2, capsys):
    X, y = blobs2
    CounterfactualTrainingClassifier(**FAST).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_pickle_roundtrip(blobs2):
    X, y = blobs2
    clf = CounterfactualTrainingClassifier(**FAST).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.explain(X[:5]).counterfactuals.shape == (5, 2)


def test_warns_when_no_counterfactual_matures():
    # Raw units (years, thousands): plain gradient steps of 0.1 are tiny.
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_ct.datasets import make_example_data

    X, y = make_example_data(600, random_state=0)
    with pytest.warns(ConvergenceWarning, match="Standardise the inputs"):
        CounterfactualTrainingClassifier(**FAST).fit(X, y)
    scaled = (X - X.mean()) / X.std()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        CounterfactualTrainingClassifier(**{**FAST, "max_epochs": 10}).fit(scaled, y)
