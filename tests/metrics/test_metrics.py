"""Tests of sklearn_ct.metrics: hand-computed metrics, attacks and scorers."""

import pickle
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_ct import CounterfactualResult, CounterfactualTrainingClassifier
from sklearn_ct.metrics import (
    cost,
    cost_scorer,
    implausibility,
    implausibility_by_target,
    make_explainability_scorer,
    mmd,
    mmd_scorer,
    plausibility_scorer,
    redundancy,
    robust_accuracy,
    sensitivity,
    validity,
    validity_scorer,
)


def _result(factuals, counterfactuals, valid, target=None):
    factuals = np.asarray(factuals, dtype=float)
    counterfactuals = np.asarray(counterfactuals, dtype=float)
    n = len(factuals)
    target = np.zeros(n, dtype=int) if target is None else np.asarray(target)
    return CounterfactualResult(
        factuals=factuals,
        counterfactuals=counterfactuals,
        target=target,
        valid=np.asarray(valid, dtype=bool),
        converged=np.ones(n, dtype=bool),
        n_iter=np.ones(n, dtype=int),
        predicted=target[::-1],
        p_target=np.full(n, 0.9),
        model_factuals=factuals,
        model_counterfactuals=counterfactuals,
        adversarial=factuals,
        feature_names=[f"x{j}" for j in range(factuals.shape[1])],
    )


@pytest.fixture
def hand_result():
    return _result(
        factuals=[[0, 0, 0], [1, 1, 1], [2, 2, 2], [0, 0, 0]],
        counterfactuals=[[1, 0, 0], [1, 3, 0], [2, 2, 2], [5, 5, 5]],
        valid=[True, True, True, False],
    )


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(120, n_features=2, centers=2, cluster_std=1.5, random_state=0)
    return X, y


# ----------------------------------------------------------------- metrics
def test_validity_cost_redundancy_by_hand(hand_result):
    assert validity(hand_result) == 0.75
    assert cost(hand_result) == pytest.approx((1 + 3) / 3)
    assert cost(hand_result, norm=2) == pytest.approx((1 + np.sqrt(5)) / 3)
    assert cost(hand_result, only_valid=False) == pytest.approx((1 + 3 + 15) / 4)
    assert redundancy(hand_result) == pytest.approx((2 / 3 + 1 / 3 + 1) / 3)
    assert redundancy(hand_result, only_valid=False) == pytest.approx(2 / 4)


def test_metrics_nan_without_valid_counterfactuals():
    result = _result([[0.0, 0.0]], [[1.0, 1.0]], valid=[False])
    assert validity(result) == 0.0
    assert np.isnan(cost(result)) and np.isnan(redundancy(result))
    with pytest.raises(ValueError, match="norm"):
        cost(result, norm=3)


def test_implausibility_equals_brute_force():
    rng = np.random.default_rng(0)
    cf, X = rng.normal(size=(7, 3)), rng.normal(size=(11, 3))
    brute = np.mean([np.abs(c - x).sum() for c in cf for x in X])
    assert implausibility(cf, X, n_samples=None) == pytest.approx(brute)
    sampled = implausibility(cf, X, n_samples=5000, random_state=0)
    assert sampled == pytest.approx(brute, rel=0.05)
    assert sampled == implausibility(cf, X, n_samples=5000, random_state=0)
    assert np.isnan(implausibility(cf, X[:0], n_samples=None))


def _brute_mmd(a, b, length_scale):
    def k(u, v):
        return np.exp(-np.sum((u - v) ** 2) / (2 * length_scale**2))

    m, n = len(a), len(b)
    xx = sum(k(a[i], a[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(b[i], b[j]) for i in range(n) for j in range(n) if i != j)
    xy = sum(k(u, v) for u in a for v in b)
    return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n)


@pytest.mark.parametrize("length_scale", [0.5, 5.0])
def test_mmd_equals_brute_force(length_scale):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(6, 2)), rng.normal(0.5, 1, size=(9, 2))
    expected = _brute_mmd(a, b, length_scale)
    value = mmd(a, b, length_scale=length_scale, clamp=False)
    assert value == pytest.approx(expected, abs=1e-12)


def test_mmd_same_vs_shifted_and_clamp():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 2))
    same = mmd(X[:200], X[200:], length_scale=1.0, random_state=0)
    shifted = mmd(X[:200], X[200:] + 3, length_scale=1.0, random_state=0)
    assert 0 <= same < 0.02 < 0.5 < shifted
    # Two draws of one distribution often give a negative unbiased estimate.
    raw = [mmd(X[i : i + 5], X[i + 5 : i + 10], clamp=False) for i in range(0, 100, 10)]
    assert min(raw) < 0
    clamped = [mmd(X[i : i + 5], X[i + 5 : i + 10]) for i in range(0, 100, 10)]
    assert min(clamped) == 0.0
    assert np.isnan(mmd(X[:1], X[1:10]))


def test_mmd_subsamples_without_replacement_and_seeds():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(300, 2)), rng.normal(size=(300, 2))
    first = mmd(a, b, n_samples=50, clamp=False, random_state=4)
    assert first == mmd(a, b, n_samples=50, clamp=False, random_state=4)
    full = mmd(a, b, n_samples=None, clamp=False)
    assert first != full


def test_mmd_permutation_p_value():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 2))
    _, p_shift = mmd(
        X[:30], X[30:] + 1.5, length_scale=1.0, n_permutations=200, random_state=0
    )
    _, p_same = mmd(
        X[:30], X[30:], length_scale=1.0, n_permutations=200, random_state=0
    )
    assert p_shift < 0.01
    assert p_same > 0.05


def test_implausibility_by_target_groups_and_weights():
    result = _result(
        factuals=np.zeros((4, 1)),
        counterfactuals=[[0.0], [4.0], [6.0], [9.0]],
        valid=[True, True, True, False],
        target=["a", "b", "b", "a"],
    )
    X, y = np.array([[1.0], [5.0], [7.0]]), np.array(["a", "b", "b"])
    # a: |0-1| = 1; b: mean(|4-5|, |4-7|, |6-5|, |6-7|) = 1.5; weights 1 and 2.
    value = implausibility_by_target(result, X, y, n_samples=None)
    assert value == pytest.approx((1 * 1 + 2 * 1.5) / 3)
    # MMD is undefined for the single "a" counterfactual: only "b" counts.
    value = implausibility_by_target(result, X, y, metric="mmd", clamp=False)
    assert value == pytest.approx(_brute_mmd(np.array([[4.0], [6.0]]), X[1:], 5.0))
    with pytest.raises(ValueError, match="metric"):
        implausibility_by_target(result, X, y, metric="cost")
    none_valid = _result(np.zeros((1, 1)), [[1.0]], valid=[False])
    assert np.isnan(implausibility_by_target(none_valid, X, y))
    with pytest.raises(ValueError, match="model's input space"):
        implausibility_by_target(result, np.hstack([X, X]), y)


# -------------------------------------------------------------- robustness
@pytest.fixture(scope="module")
def fitted_models(blobs):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier((16,), max_iter=500, random_state=0).fit(X, y)
    return {"logreg": LogisticRegression().fit(X, y), "mlp": mlp}


@pytest.mark.parametrize("name", ["logreg", "mlp"])
def test_robust_accuracy_fgsm(fitted_models, blobs, name):
    X, y = blobs
    model = fitted_models[name]
    eps = np.linspace(0, 3, 7)
    acc = robust_accuracy(model, X, y, epsilons=eps)
    assert acc.shape == (7,)
    assert acc[0] == pytest.approx(model.score(X, y))
    assert np.all(np.diff(acc) <= 0.02)
    assert acc[-1] < acc[0] - 0.2


@pytest.mark.parametrize("name", ["logreg", "mlp"])
def test_robust_accuracy_pgd_at_most_fgsm(fitted_models, blobs, name):
    X, y = blobs
    model = fitted_models[name]
    eps = [0.0, 0.5, 1.0]
    fgsm = robust_accuracy(model, X, y, epsilons=eps)
    pgd = robust_accuracy(
        model,
        X,
        y,
        epsilons=eps,
        attack="pgd",
        n_steps=10,
        step_size=0.2,
        random_state=0,
    )
    assert pgd[0] == pytest.approx(model.score(X, y))
    assert np.all(pgd <= fgsm + 0.02)
    again = robust_accuracy(
        model,
        X,
        y,
        epsilons=eps,
        attack="pgd",
        n_steps=10,
        step_size=0.2,
        random_state=0,
    )
    np.testing.assert_array_equal(pgd, again)


def test_robust_accuracy_domain_clamping(fitted_models, blobs):
    X, y = blobs
    model = fitted_models["logreg"]
    low, high = X.min(axis=0), X.max(axis=0)
    # A zero-width box at the data's own values leaves nothing to perturb.
    box = robust_accuracy(model, X[:1], y[:1], epsilons=[0, 5], domain=(X[0], X[0]))
    np.testing.assert_allclose(box, model.score(X[:1], y[:1]))
    clamped = robust_accuracy(model, X, y, epsilons=[0, 10], domain=(low, high))
    free = robust_accuracy(model, X, y, epsilons=[0, 10])
    assert clamped[0] == free[0]
    with pytest.raises(ValueError, match="attack"):
        robust_accuracy(model, X, y, attack="cw")
    with pytest.raises(ValueError, match="label"):
        robust_accuracy(model, X, y + 5)


def test_robust_accuracy_pipeline_and_string_labels(blobs):
    X, y = blobs
    labels = np.array(["no", "yes"])[y]
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, labels)
    acc = robust_accuracy(pipe, X, labels, epsilons=[0, 0.5, 2.0])
    assert acc[0] == pytest.approx(pipe.score(X, labels))
    assert acc[2] < acc[0]


def _ct(**params):
    return CounterfactualTrainingClassifier(
        max_epochs=3,
        n_counterfactuals=16,
        lr=0.01,
        max_iter_cf=5,
        random_state=0,
        **params,
    )


def test_robust_accuracy_ct_classifier_own_domain(blobs):
    X, y = blobs
    ct = _ct().fit(X, y)
    acc = robust_accuracy(ct, X, y, epsilons=[0.0, 0.5], domain="estimator")
    assert acc[0] == pytest.approx(ct.score(X, y))
    # A box that excludes every row moves them all to one corner.
    high = ct.domain_[1]
    corner = robust_accuracy(ct, X, y, epsilons=[0.0], domain=(high + 1, high + 1))
    predicted = ct.predict((high + 1)[None, :])[0]
    assert corner[0] == pytest.approx(np.mean(y == predicted))


def test_sensitivity_needs_captum(monkeypatch, blobs):
    X, y = blobs
    monkeypatch.setitem(sys.modules, "captum.attr", None)
    with pytest.raises(ImportError, match="pip install captum"):
        sensitivity(LogisticRegression().fit(X, y), X, [0])


def test_sensitivity_to_noise_feature_is_lower():
    pytest.importorskip("captum")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 1] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    s0 = sensitivity(model, X, [0], random_state=0)
    s1 = sensitivity(model, X, [1], random_state=0)
    assert 0 <= s0 < s1 <= 1
    assert s1 == pytest.approx(1.0)
    raw = sensitivity(model, X, [0, 1], normalize=None, baseline="zeros")
    assert raw > 0
    assert sensitivity(model, X, [1], normalize="range", random_state=0) >= 1.0


# ----------------------------------------------------------------- scorers
def test_unknown_metric_raises():
    with pytest.raises(ValueError, match="metric"):
        make_explainability_scorer("sparsity")


@pytest.mark.parametrize(
    "scorer", [validity_scorer, cost_scorer, plausibility_scorer, mmd_scorer]
)
def test_scorers_sign_and_pickle(blobs, fitted_models, scorer):
    X, y = blobs
    model = fitted_models["mlp"]
    fast = make_explainability_scorer(
        scorer.metric, n_factuals=20, **{**scorer.explainer_params, "max_iter": 20}
    )
    value = pickle.loads(pickle.dumps(fast))(model, X, y)
    assert np.isfinite(value)
    assert 0 <= value <= 1 if scorer.metric == "validity" else value <= 0
    assert fast(model, X, y) == value
    assert scorer.metric in repr(scorer)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scorers_in_cross_validate_and_grid_search(blobs):
    X, y = blobs
    scoring = {
        "validity": make_explainability_scorer("validity", n_factuals=20, max_iter=20),
        "neg_cost": make_explainability_scorer("cost", n_factuals=20, max_iter=20),
        "neg_ip": make_explainability_scorer(
            "implausibility", n_factuals=20, max_iter=20
        ),
    }
    mlp = MLPClassifier((8,), max_iter=300, random_state=0)
    scores = cross_validate(mlp, X, y, cv=2, scoring=scoring)
    for key in ("validity", "neg_cost", "neg_ip"):
        assert np.all(np.isfinite(scores[f"test_{key}"]))
    assert np.all(scores["test_neg_cost"] <= 0)
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=300, random_state=0))
    search = GridSearchCV(
        pipe,
        {"mlpclassifier__hidden_layer_sizes": [(4,), (8,)]},
        cv=2,
        scoring=scoring["neg_ip"],
    ).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_scorers_on_dataframe_pipeline_with_onehot(blobs):
    X, y = blobs
    df = pd.DataFrame(
        {
            "a": X[:, 0],
            "b": X[:, 1],
            "c": np.where(X[:, 0] > X[:, 0].mean(), "hi", "lo"),
        }
    )
    pre = make_column_transformer(
        (StandardScaler(), ["a", "b"]), (OneHotEncoder(), ["c"])
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = make_pipeline(
            pre, MLPClassifier((8,), max_iter=300, random_state=0)
        ).fit(df, y)
    for metric in ("validity", "cost", "implausibility", "mmd"):
        scorer = make_explainability_scorer(metric, n_factuals=20, max_iter=30)
        assert np.isfinite(scorer(pipe, df, y))
    assert robust_accuracy(pipe, df, y, epsilons=[0])[0] == pipe.score(df, y)


def test_scorers_with_ct_classifier_and_its_constraints(blobs):
    X, y = blobs
    scorer = make_explainability_scorer("implausibility", n_factuals=20, max_iter=20)
    scores = cross_validate(_ct(), X, y, cv=2, scoring=scorer)
    assert np.all(np.isfinite(scores["test_score"]))
    # The classifier's own constraints (all frozen) apply unless overridden.
    frozen = _ct(mutability=["none", "none"]).fit(X, y)
    neg_cost = make_explainability_scorer("cost", n_factuals=20, max_iter=20)
    with pytest.warns(UserWarning, match="No valid counterfactual"):
        assert np.isnan(neg_cost(frozen, X, y))
    # Explainer constraints add to the classifier's, never free what it froze.
    free = make_explainability_scorer(
        "cost", n_factuals=20, max_iter=20, mutability=["both", "both"]
    )
    with pytest.warns(UserWarning, match="No valid counterfactual"):
        assert np.isnan(free(frozen, X, y))


def test_scorer_warns_and_returns_nan_without_valid_counterfactuals(blobs):
    X, y = blobs
    model = LogisticRegression().fit(X, y)
    # Everything frozen: no counterfactual can cross the boundary.
    scorer = make_explainability_scorer(
        "cost", n_factuals=10, max_iter=5, mutability=["none", "none"]
    )
    with pytest.warns(UserWarning, match="No valid counterfactual"):
        assert np.isnan(scorer(model, X, y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validity_only = make_explainability_scorer(
            "validity", n_factuals=10, max_iter=5, mutability=["none", "none"]
        )
        assert validity_only(model, X, y) == 0.0


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scorer_in_parallel_grid_search(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=300, random_state=0))
    search = GridSearchCV(
        pipe,
        {"mlpclassifier__hidden_layer_sizes": [(4,), (8,)]},
        cv=2,
        n_jobs=2,
        scoring=plausibility_scorer,
    ).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
