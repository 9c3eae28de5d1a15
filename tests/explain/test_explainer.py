import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from skorch import NeuralNetClassifier

from sklearn_ct import CounterfactualExplainer, ECCCoGenerator, REVISEGenerator
from sklearn_ct.constraints import violations
from sklearn_ct.explain._adapters import as_logits_module


@pytest.mark.parametrize("generator", ["generic", "ecco"])
def test_validity_on_moons_with_a_fitted_sklearn_mlp(moons, moons_mlp, generator):
    X, _, X_test, _ = moons
    explainer = CounterfactualExplainer(
        moons_mlp, generator=generator, decision_threshold=0.5
    ).fit(X)
    result = explainer.explain(X_test)
    assert len(result) == 1000
    assert result.valid.mean() >= 0.99
    assert (result.target != result.predicted).all()


@pytest.mark.parametrize(
    "mutability", [["none", "both"], ["increase", "both"], ["decrease", "increase"]]
)
@pytest.mark.parametrize("generator", ["generic", "ecco", "revise"])
def test_zero_violations_on_moons(moons, moons_mlp, mutability, generator):
    X, _, X_test, _ = moons
    if generator == "revise":
        generator = REVISEGenerator(max_epochs=20)
    explainer = CounterfactualExplainer(
        moons_mlp,
        generator=generator,
        mutability=mutability,
        random_state=0,
    ).fit(X)
    result = explainer.explain(X_test[:300])
    low, high = explainer.domain_
    assert (
        violations(result.counterfactuals, X_test[:300], mutability, low, high).sum()
        == 0
    )


def test_dataframe_in_dataframe_out_with_immutable_column_untouched(moons, moons_mlp):
    X, _, X_test, _ = moons
    frame = pd.DataFrame(
        X_test[:100], columns=["age", "debt"], index=np.arange(100) + 500
    )
    explainer = CounterfactualExplainer(
        moons_mlp, mutability={"age": "none"}, domain={"debt": (-1.0, 2.0)}
    )
    explainer.fit(pd.DataFrame(X, columns=["age", "debt"]))
    result = explainer.explain(frame)
    cf = result.counterfactuals
    assert isinstance(cf, pd.DataFrame)
    assert list(cf.columns) == ["age", "debt"] and cf.index.equals(frame.index)
    assert cf["age"].equals(frame["age"])  # bit for bit
    assert cf["debt"].between(-1.0, 2.0).all()
    assert (cf["debt"] != frame["debt"]).any()
    assert explainer.feature_names_in_.tolist() == ["age", "debt"]


def test_numpy_in_numpy_out(moons, moons_mlp):
    X, _, X_test, _ = moons
    result = CounterfactualExplainer(moons_mlp).fit(X).explain(X_test[:5])
    assert isinstance(result.counterfactuals, np.ndarray)
    assert result.counterfactuals.shape == (5, 2)
    assert result.feature_names == ["x0", "x1"]


def test_valid_is_recomputed_by_predicting(moons, moons_mlp):
    X, _, X_test, _ = moons
    result = (
        CounterfactualExplainer(moons_mlp, max_iter=2, step_size=0.01, fallback=False)
        .fit(X)
        .explain(X_test[:200])
    )
    np.testing.assert_array_equal(
        result.valid, moons_mlp.predict(result.counterfactuals) == result.target
    )
    assert not result.valid.all()  # two tiny steps are not enough for everyone


def test_unreachable_target_is_invalid_not_an_error(moons, moons_mlp):
    X, _, X_test, _ = moons
    explainer = CounterfactualExplainer(moons_mlp, mutability="none").fit(X)
    result = explainer.explain(X_test[:20])
    assert not result.valid.any() and not result.converged.any()
    np.testing.assert_array_equal(result.counterfactuals, X_test[:20])


def test_targets(blobs3, blobs3_logreg):
    X, _y = blobs3
    explainer = CounterfactualExplainer(blobs3_logreg, random_state=0).fit(X)
    auto = explainer.explain(X[:60])
    assert (auto.target != auto.predicted).all()
    assert set(auto.target) == {0, 1, 2}
    again = explainer.explain(X[:60])
    np.testing.assert_array_equal(auto.target, again.target)  # seeded
    assert (explainer.explain(X[:10], target=2).target == 2).all()
    chosen = np.array([0, 1, 2, 0, 1])
    assert explainer.explain(X[:5], target=chosen).target.tolist() == chosen.tolist()
    assert explainer.explain(X[:60]).valid.mean() > 0.95


@pytest.mark.parametrize(
    "target, message",
    [
        (7, "target label 7 is not a class"),
        (np.array([0, 1]), "target has shape"),
        (["a"] * 5, "target label 'a'"),
    ],
)
def test_bad_target(blobs3, blobs3_logreg, target, message):
    X, _ = blobs3
    explainer = CounterfactualExplainer(blobs3_logreg).fit(X)
    with pytest.raises(ValueError, match=message):
        explainer.explain(X[:5], target=target)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_are_rejected(moons, moons_mlp, bad):
    X, _, X_test, _ = moons
    explainer = CounterfactualExplainer(moons_mlp).fit(X)
    X_bad = X_test[:5].copy()
    X_bad[2, 1] = bad
    with pytest.raises(ValueError, match=r"X contains|Input X"):
        explainer.explain(X_bad)
    with pytest.raises(ValueError, match=r"X contains|Input X"):
        CounterfactualExplainer(moons_mlp).fit(X_bad)


def test_wrong_number_of_features(moons, moons_mlp):
    X, _, _, _ = moons
    explainer = CounterfactualExplainer(moons_mlp).fit(X)
    with pytest.raises(ValueError, match="3 features"):
        explainer.explain(np.zeros((2, 3)))


@pytest.mark.parametrize(
    "params, message",
    [
        ({"mutability": ["up", "both"]}, "'up' is not understood"),
        ({"mutability": ["none"]}, "1 entries, but X has 2"),
        ({"mutability": {"age": "none"}}, "has no feature names"),
        ({"domain": [(0, 1), (3, 2)]}, "low=3.0 > high=2.0"),
        ({"decision_threshold": 1.5}, "'decision_threshold' parameter .* must be"),
        ({"max_iter": 0}, "'max_iter' parameter .* must be"),
        ({"generator": "nope"}, "generator='nope'"),
    ],
)
def test_bad_parameters_name_the_argument(moons, moons_mlp, params, message):
    X, _, _, _ = moons
    with pytest.raises(ValueError, match=message):
        CounterfactualExplainer(moons_mlp, **params).fit(X)


def test_unsupported_and_unfitted_estimators(moons):
    X, y, _, _ = moons
    with pytest.raises(ValueError, match="Cannot explain a SVC"):
        CounterfactualExplainer(SVC().fit(X, y)).fit(X).explain(X[:2])
    with pytest.raises(NotFittedError):
        CounterfactualExplainer(MLPClassifier()).fit(X).explain(X[:2])
    with pytest.raises(NotFittedError):
        CounterfactualExplainer(MLPClassifier()).explain(X[:2])


def test_sklearn_models_are_reexpressed_exactly(
    moons, moons_mlp, blobs3, blobs3_logreg
):
    _X, _, X_test, _ = moons
    for model, data in ((moons_mlp, X_test), (blobs3_logreg, blobs3[0])):
        module, classes = as_logits_module(model)
        proba = module(torch.as_tensor(data)).softmax(1).numpy()
        np.testing.assert_allclose(proba, model.predict_proba(data), atol=1e-10)
        np.testing.assert_array_equal(classes, model.classes_)


class _SoftmaxNet(torch.nn.Module):
    def __init__(self, softmax=True):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)
        )
        self.softmax = softmax

    def forward(self, x):
        out = self.layers(x)
        return out.softmax(-1) if self.softmax else out


@pytest.mark.parametrize("criterion", ["nll", "ce"])
def test_skorch_nets(blobs3, criterion):
    X, y = blobs3
    X = StandardScaler().fit_transform(X).astype(np.float32)
    kwargs = (
        {"module__softmax": True}
        if criterion == "nll"
        else {"module__softmax": False, "criterion": torch.nn.CrossEntropyLoss}
    )
    net = NeuralNetClassifier(
        _SoftmaxNet, max_epochs=30, lr=0.05, train_split=None, verbose=0, **kwargs
    )
    torch.manual_seed(0)
    net.fit(X, y)
    module, _ = as_logits_module(net)
    np.testing.assert_allclose(
        module(torch.as_tensor(X)).softmax(1).detach().numpy(),
        net.predict_proba(X),
        atol=1e-5,
    )
    result = CounterfactualExplainer(net, random_state=0).fit(X).explain(X[:50])
    assert result.valid.mean() > 0.9


def test_generator_parameters_are_visible_to_get_params(moons_mlp):
    explainer = CounterfactualExplainer(moons_mlp, generator=ECCCoGenerator())
    assert explainer.get_params()["generator__lambda_energy"] == 5.0
    explainer.set_params(generator__lambda_energy=1.0)
    assert explainer.generator.lambda_energy == 1.0


def test_lambda_overrides_reach_the_fitted_generator(moons, moons_mlp):
    X, _, _, _ = moons
    explainer = CounterfactualExplainer(
        moons_mlp, lambda_cost=0.0, lambda_energy=0.5
    ).fit(X)
    assert explainer.generator_.lambda_cost == 0.0
    assert explainer.generator_.lambda_energy == 0.5


def test_to_frame_lists_every_factual_with_a_status(moons, moons_mlp):
    X, _, X_test, _ = moons
    explainer = CounterfactualExplainer(moons_mlp, mutability=["none", "both"])
    explainer.fit(pd.DataFrame(X, columns=["age", "debt"]))
    factuals = pd.DataFrame(
        X_test[:6], columns=["age", "debt"], index=[f"p{i}" for i in range(6)]
    )
    predicted = moons_mlp.predict(X_test[:6])
    target = 1 - predicted
    target[0] = predicted[0]  # already the target: nothing to change
    result = explainer.explain(factuals, target=target)
    table = result.to_frame()
    assert list(table.index) == list(factuals.index)  # every factual, none dropped
    # age never changes; p_target and cost come first
    assert list(table.columns) == ["target", "status", "p_target", "cost", "debt"]
    assert table.loc["p0", "status"] == "already target"
    assert table.loc["p0", "debt"] == "-" and table.loc["p0", "cost"] == 0
    assert set(table["status"]) <= {"valid", "no recourse found", "already target"}
    assert (
        table["status"].iloc[1:]
        == np.where(result.valid[1:], "valid", "no recourse found")
    ).all()
    full = result.to_frame(show_only_changes=False)
    assert list(full.columns) == ["target", "status", "p_target", "cost", "age", "debt"]
    moved = full["debt"].str.contains(" -> ")  # "from -> to" where it changes
    np.testing.assert_allclose(
        full["debt"][moved].str.split(" -> ").str[1].astype(float),
        result.counterfactuals["debt"][moved],
        rtol=1e-3,
    )


def test_to_frame_shows_no_recourse_rows(blobs3_logreg, blobs3):
    X, _ = blobs3
    explainer = CounterfactualExplainer(
        blobs3_logreg, generator="generic", mutability="none"
    ).fit(X)
    table = explainer.explain(X[:3]).to_frame()
    assert (
        len(table) == 3
        and (
            table["status"] == "no recourse found in 100 gradient "
            "steps, all 1-feature changes (24 values per direction)"
            ", 2-feature changes among the 6 likeliest features (12 "
            "values), all features at once where that makes at most 8192 "
            "points, and 4 greedy rounds"
        ).all()
    )
    assert list(table.columns) == ["target", "status", "p_target", "cost"]
    assert table[["p_target", "cost"]].isna().all().all()  # nothing but the status


def test_explain_is_fast_enough_to_be_batched(moons, moons_mlp):
    # Not a timing assertion: the search must run all factuals in one batch,
    # so the number of model calls does not grow with the number of factuals.
    X, _, X_test, _ = moons
    calls = []
    module, _ = as_logits_module(moons_mlp)
    handle = module.register_forward_hook(lambda *a: calls.append(1))
    from sklearn_ct.constraints import make_constraints
    from sklearn_ct.explain import counterfactual_search

    c = make_constraints(["both", "both"], X.min(0), X.max(0), dtype=torch.float64)
    x = torch.as_tensor(X_test)
    counterfactual_search(
        module, x, 1 - module(x).argmax(1), ECCCoGenerator(), c, max_iter=20
    )
    handle.remove()
    assert len(calls) <= 22


@pytest.mark.parametrize("generator", ["generic", "ecco"])
@pytest.mark.parametrize("seed", [0, 3])
def test_blobs_validity(generator, seed):
    X, y = make_blobs(600, centers=2, random_state=seed)
    model = make_pipeline(
        StandardScaler(), MLPClassifier((16,), max_iter=300, random_state=0)
    )
    model.fit(X, y)
    result = CounterfactualExplainer(model, generator=generator).fit(X).explain(X)
    assert result.valid.mean() >= 0.99


def test_shallow_logits_need_more_steps():
    # Plain gradient descent with a fixed step crawls where logits are shallow
    # (an MLP on unscaled inputs): more steps reach the target (documented).
    X, y = make_blobs(600, centers=2, random_state=3)
    model = MLPClassifier((16,), max_iter=300, random_state=0).fit(X, y)
    explainer = CounterfactualExplainer(model, max_iter=300).fit(X)
    assert explainer.explain(X).valid.mean() >= 0.99


def test_fit_labels_map_by_value_and_unknown_labels_are_an_error(blobs3, blobs3_logreg):
    X, y = blobs3
    explainer = CounterfactualExplainer(blobs3_logreg, generator="gravitational")
    explainer.fit(X, y)
    assert explainer.generator_.anchors_.shape[0] == 3
    with pytest.raises(ValueError, match="y label 7 is not a class"):
        explainer.fit(X, np.where(y == 2, 7, y))
    assert CounterfactualExplainer(
        blobs3_logreg, decision_threshold=np.float32(0.9)
    ).fit(X)


def test_explaining_in_chunks_equals_one_batch(moons, moons_mlp):
    import pandas as pd

    X, _, X_test, _ = moons
    frame = pd.DataFrame(X_test[:50], columns=["a", "b"])
    whole = (
        CounterfactualExplainer(moons_mlp, random_state=0)
        .fit(X)
        .explain(frame, n_per_factual=2)
    )
    parts = (
        CounterfactualExplainer(moons_mlp, batch_size=7, random_state=0)
        .fit(X)
        .explain(frame, n_per_factual=2)
    )
    pd.testing.assert_frame_equal(parts.counterfactuals, whole.counterfactuals)
    np.testing.assert_array_equal(parts.factual_index, whole.factual_index)
    np.testing.assert_array_equal(parts.valid, whole.valid)


def test_one_search_gives_the_refined_and_the_unrefined_result(moons, moons_mlp):
    # The reproduction's protected pair needs both; the search runs once.
    X = moons[0]
    explainer = CounterfactualExplainer(
        moons_mlp, mutability=["none", "both"], fallback=False, random_state=0
    ).fit(X)
    refined, unrefined = explainer._explain(X[:40], None, False, 1, unrefined=True)
    for result, refine in ((refined, True), (unrefined, False)):
        alone = explainer.set_params(refine=refine).explain(X[:40])
        assert np.array_equal(result.model_counterfactuals, alone.model_counterfactuals)
        assert np.array_equal(result.valid, alone.valid)
        assert np.array_equal(result.n_iter, alone.n_iter)
    assert not np.array_equal(refined.cost, unrefined.cost)
