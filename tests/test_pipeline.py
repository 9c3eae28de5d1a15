"""Pipelines, categorical data, model selection and pickling."""

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn import clone, config_context
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.constraints import pipeline_constraints
from sklearn_ct.datasets import load_dataset
from sklearn_ct.metrics import plausibility_scorer, validity_scorer

FAST = {
    "max_epochs": 5,
    "n_counterfactuals": 32,
    "max_iter_cf": 10,
    "lr": 0.01,
    "random_state": 0,
}


@pytest.fixture(scope="module")
def loans():
    """Unscaled two-feature data: 'age' in years, 'debt' in thousands."""
    X, y = make_blobs(
        300, centers=[[30, 20], [50, 5]], cluster_std=[4, 3], random_state=0
    )
    return pd.DataFrame(X, columns=["age", "debt"]), y


def test_scaled_pipeline_fits_predicts_and_explains_in_original_units(loans):
    X, y = loans
    pipe = make_pipeline(StandardScaler(), CounterfactualTrainingClassifier(**FAST))
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.95
    explainer = CounterfactualExplainer(pipe, mutability={"age": "none"}).fit(X)
    result = explainer.explain(X.iloc[:50])
    cf = result.counterfactuals
    assert list(cf.columns) == ["age", "debt"] and cf.index.equals(X.index[:50])
    assert cf["age"].equals(X["age"].iloc[:50])  # original units, bit for bit
    assert result.valid.mean() > 0.95
    # Counterfactuals in original units are counterfactuals of the pipeline.
    agreement = pipe.predict(cf) == result.target
    assert agreement[result.valid].mean() > 0.97
    # Model-space arrays are the scaled ones.
    np.testing.assert_allclose(result.model_factuals, pipe[0].transform(X.iloc[:50]))


@pytest.fixture(scope="module")
def adult():
    try:
        data = load_dataset("adult", as_frame=True, n_samples=3000, random_state=0)
    except FileNotFoundError:
        pytest.skip("the Adult data set is not available")
    return data


def _adult_preprocessor(data):
    return ColumnTransformer(
        [
            ("num", StandardScaler(), make_column_selector(dtype_include="number")),
            (
                "cat",
                OneHotEncoder(sparse_output=False, handle_unknown="ignore"),
                data.categorical_features,
            ),
        ]
    )


def test_adult_column_transformer_one_hot_groups_and_names(adult):
    X, y = adult.data, adult.target
    train, test = adult.train_index, adult.test_index
    pre = _adult_preprocessor(adult).fit(X.iloc[train])
    protected = {"age": "none", "sex": "none"}
    constraints = pipeline_constraints(pre, X.iloc[train], mutability=protected)
    n_model = pre.transform(X.iloc[:1]).shape[1]
    assert len(constraints["mutability"]) == n_model
    assert len(constraints["categorical_groups"]) == len(adult.categorical_features)
    assert constraints["mutability"].count("none") == 1 + 2  # age + both sex levels
    clf = CounterfactualTrainingClassifier(**{**FAST, "batch_size": 128}, **constraints)
    pipe = make_pipeline(_adult_preprocessor(adult), clf).fit(
        X.iloc[train], y.iloc[train]
    )
    assert pipe.score(X.iloc[test], y.iloc[test]) > 0.75

    explainer = CounterfactualExplainer(pipe, mutability=protected).fit(X.iloc[train])
    factuals = X.iloc[test[:100]]
    result = explainer.explain(factuals)
    cf = result.counterfactuals
    assert list(cf.columns) == list(X.columns)
    assert cf["sex"].equals(factuals["sex"]) and cf["age"].equals(factuals["age"])
    for column in adult.categorical_features:  # strings, and known levels only
        assert set(cf[column]) <= set(X[column])
    for group in explainer.categorical_groups_:  # exactly one level active
        assert (result.model_counterfactuals[:, group].sum(axis=1) == 1).all()
    assert result.valid.mean() > 0.8
    changed = result.to_frame()
    assert not {"age", "sex"} & set(changed.columns)


def test_grid_search_over_lambdas_with_explainability_scorers(loans):
    X, y = loans
    pipe = make_pipeline(StandardScaler(), CounterfactualTrainingClassifier(**FAST))
    search = GridSearchCV(
        pipe,
        {"counterfactualtrainingclassifier__lambda_div": [0.1, 1.0]},
        scoring={
            "accuracy": "accuracy",
            "plausibility": plausibility_scorer,
            "validity": validity_scorer,
        },
        refit="accuracy",
        cv=2,
        n_jobs=2,
    )
    search.fit(X, y)
    for name in ("accuracy", "plausibility", "validity"):
        scores = search.cv_results_[f"mean_test_{name}"]
        assert np.isfinite(scores).all(), name
    assert (search.cv_results_["mean_test_plausibility"] < 0).all()
    assert search.best_estimator_.score(X, y) > 0.9


def test_cross_validate_with_scorers_on_the_bare_classifier(blobs3):
    X, y = blobs3
    scores = cross_validate(
        CounterfactualTrainingClassifier(**{**FAST, "max_epochs": 20}),
        X,
        y,
        cv=2,
        scoring={"validity": validity_scorer, "plausibility": plausibility_scorer},
    )
    assert np.isfinite(scores["test_plausibility"]).all()
    assert (scores["test_validity"] > 0.5).all()


def test_fitted_model_pickles_between_processes(loans, tmp_path):
    X, y = loans
    pipe = make_pipeline(StandardScaler(), CounterfactualTrainingClassifier(**FAST))
    pipe.fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(pipe))
    X.to_csv(tmp_path / "X.csv", index=False)
    code = (
        "import pickle, sys, pandas as pd; "
        f"m = pickle.loads(open({str(path)!r}, 'rb').read()); "
        f"X = pd.read_csv({str(tmp_path / 'X.csv')!r}); "
        "sys.stdout.write(','.join(map(str, m.predict_proba(X)[:, 1].round(6))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    theirs = np.array(out.split(","), dtype=float)
    np.testing.assert_allclose(theirs, pipe.predict_proba(X)[:, 1], atol=1e-6)


def test_explainer_defaults_to_the_ct_classifiers_own_constraints(loans):
    X, y = loans
    clf = CounterfactualTrainingClassifier(
        mutability=["none", "both"], domain="observed", **FAST
    )
    pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    explainer = CounterfactualExplainer(pipe).fit(X)
    assert explainer.mutability_.tolist() == ["none", "both"]
    np.testing.assert_array_equal(explainer.domain_[0], clf.domain_[0])
    result = explainer.explain(X.iloc[:20])
    assert result.counterfactuals["age"].equals(X["age"].iloc[:20])
    # Given explicitly, the explainer's constraints add to the classifier's.
    free = CounterfactualExplainer(pipe, mutability="both").fit(X)
    assert free.mutability_.tolist() == ["none", "both"]
    stricter = CounterfactualExplainer(pipe, mutability={"debt": "decrease"}).fit(X)
    assert stricter.mutability_.tolist() == ["none", "decrease"]


# --------------------------------------------------------------------------
# sklearn_ct.pipeline: constraints written once, in the user's own columns
# --------------------------------------------------------------------------
from sklearn_ct.pipeline import CounterfactualPipeline  # noqa: E402
from sklearn_ct.pipeline import make_pipeline as ct_pipeline  # noqa: E402


@pytest.fixture(scope="module")
def applicants():
    """Credit applicants: ages, counts and categories, as a user has them."""
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame(
        {
            "age": rng.integers(20, 70, n),
            "income": rng.normal(50, 15, n).round(1),
            "dependents": rng.integers(0, 5, n),
            "housing": rng.choice(["own", "rent", "free"], n),
            "sex": rng.choice(["f", "m"], n),
        }
    )
    score = (
        (frame["income"] - 50) / 15
        - 0.5 * frame["dependents"]
        + (frame["housing"] == "own")
        + 0.02 * (frame["age"] - 45)
    )
    y = (score + rng.normal(0, 0.3, n) > 0).astype(int).to_numpy()
    return frame, y


def _preprocessor(handle_unknown="ignore"):
    return ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "income", "dependents"]),
            ("cat", OneHotEncoder(handle_unknown=handle_unknown), ["housing", "sex"]),
        ]
    )


def _ct_pipe(**params):
    clf = CounterfactualTrainingClassifier(
        **{
            **FAST,
            "max_epochs": 15,
            "batch_size": 64,
            "n_counterfactuals": 128,
            "mutability": {"age": "none", "sex": "none"},
            **params,
        }
    )
    return ct_pipeline(_preprocessor(), clf)


def test_make_pipeline_is_a_pipeline_with_the_usual_step_names():
    pipe = _ct_pipe()
    assert isinstance(pipe, CounterfactualPipeline)
    assert [name for name, _ in pipe.steps] == [
        "columntransformer",
        "counterfactualtrainingclassifier",
    ]


def test_constraints_on_input_columns_resolve_to_model_columns(applicants):
    X, y = applicants
    pipe = _ct_pipe(domain={"income": (-50, 200)}).fit(X, y)
    clf = pipe[-1]
    names = list(pipe[0].get_feature_names_out())
    frozen = {names[k] for k in np.flatnonzero(clf.mutability_ == "none")}
    assert frozen == {"num__age", "cat__sex_f", "cat__sex_m"}
    # The domain is given in income's units and reaches the model standardised.
    scaler = pipe[0].named_transformers_["num"]
    k = names.index("num__income")
    low, high = clf.domain_
    np.testing.assert_allclose(
        [low[k], high[k]], (np.array([-50, 200]) - scaler.mean_[1]) / scaler.scale_[1]
    )
    # Integer columns are found by value, one-hot groups from the encoder.
    integer = {names[k] for k in np.flatnonzero(clf.constraints_.integer)}
    assert integer == {"num__age", "num__dependents"}
    assert [[names[k] for k in g] for g in clf.categorical_groups_] == [
        ["cat__housing_free", "cat__housing_own", "cat__housing_rent"],
        ["cat__sex_f", "cat__sex_m"],
    ]


def _resolved(clf):
    """The constraints a fit resolved, as plain lists."""
    return (
        clf.mutability_.tolist(),
        [bound.tolist() for bound in clf.domain_],
        clf.constraints_.integer.tolist(),
        [group.tolist() for group in clf.categorical_groups_],
    )


@pytest.mark.parametrize("routing", [False, True], ids=["plain", "metadata_routing"])
def test_the_pipeline_hands_its_input_to_the_classifiers_fit(applicants, routing):
    X, y = applicants
    settings = {"max_epochs": 1, "domain": {"income": (-50, 200)}}
    expected = _ct_pipe(**settings).fit(X, y)
    with config_context(enable_metadata_routing=routing):
        pipe = _ct_pipe(**settings).fit(X, y)
    clf = pipe[-1]
    assert _resolved(clf) == _resolved(expected[-1])
    assert not [name for name in vars(clf) if "pipeline" in name]  # nothing left
    # The same explicit fit parameter, given by hand.
    by_hand = clone(clf).fit(pipe[:-1].transform(X), y, pipeline_input=(pipe, X))
    assert _resolved(by_hand) == _resolved(clf)


def test_cross_validation_with_a_fold_missing_a_rare_level(applicants):
    X, y = applicants
    X = X.copy()
    X.loc[X.index[:2], "housing"] = "boat"  # only in the first fold
    scores = cross_validate(
        _ct_pipe(),
        X,
        y,
        cv=3,
        scoring={
            "accuracy": "accuracy",
            "validity": validity_scorer,
            "plausibility": plausibility_scorer,
        },
        error_score="raise",
    )
    assert (scores["test_accuracy"] > 0.8).all()
    assert np.isfinite(scores["test_plausibility"]).all()


def test_grid_search_over_the_classifier_of_a_ct_pipeline(applicants):
    X, y = applicants
    search = GridSearchCV(
        _ct_pipe(),
        {"counterfactualtrainingclassifier__lambda_div": [0.1, 1.0]},
        scoring={"accuracy": "accuracy", "validity": validity_scorer},
        refit="accuracy",
        cv=2,
    ).fit(X, y)
    assert isinstance(search.best_estimator_, CounterfactualPipeline)
    assert np.isfinite(search.cv_results_["mean_test_validity"]).all()


@pytest.fixture(scope="module")
def fitted_pipe(applicants):
    X, y = applicants
    return _ct_pipe().fit(X, y)


def test_explain_returns_original_columns_units_and_levels(applicants, fitted_pipe):
    X, _ = applicants
    factuals = X[fitted_pipe.predict(X) == 0].head(40)
    result = fitted_pipe.explain(factuals, target=1)
    cf = result.counterfactuals
    assert list(cf.columns) == list(X.columns) and cf.index.equals(factuals.index)
    assert cf["age"].equals(factuals["age"]) and cf["sex"].equals(factuals["sex"])
    assert cf["dependents"].dtype == factuals["dependents"].dtype  # integers stay ints
    assert set(cf["housing"]) <= {"own", "rent", "free"}
    assert result.valid.mean() >= 0.9
    # Validity is the pipeline's prediction of exactly what is returned.
    np.testing.assert_array_equal(result.valid, fitted_pipe.predict(cf) == 1)
    np.testing.assert_allclose(
        result.model_counterfactuals, fitted_pipe[0].transform(cf)
    )


def test_sparsify_changes_fewer_columns(applicants, fitted_pipe):
    X, _ = applicants
    factuals = X[fitted_pipe.predict(X) == 0].head(40)
    changed = [
        (r.counterfactuals != r.factuals).sum(axis=1).mean()
        for r in (
            fitted_pipe.explain(factuals, target=1),
            fitted_pipe.explain(factuals, target=1, sparsify=True),
        )
    ]
    assert changed[1] < changed[0]


def test_n_per_factual_gives_distinct_rows_per_factual(applicants, fitted_pipe):
    X, _ = applicants
    factuals = X[fitted_pipe.predict(X) == 0].head(10)
    result = fitted_pipe.explain(factuals, target=1, n_per_factual=3)
    # Up to 3 each: an option dominated by another is replaced or dropped.
    counts = np.bincount(result.factual_index, minlength=10)
    assert (counts >= 1).all() and (counts <= 3).all() and counts.sum() >= 20
    np.testing.assert_array_equal(
        result.factual_index, np.repeat(np.arange(10), counts)
    )
    rows = result.counterfactuals.astype(str).agg("|".join, axis=1)
    assert (rows.groupby(result.factual_index).nunique() == counts).all()
    table = result.to_frame()
    assert table.index.names == [None, "counterfactual"] or table.index.nlevels == 2


def test_joblib_round_trip_explains_identically(applicants, fitted_pipe, tmp_path):
    import joblib

    X, _ = applicants
    factuals = X.head(20)
    joblib.dump(fitted_pipe, tmp_path / "pipe.joblib")
    loaded = joblib.load(tmp_path / "pipe.joblib")
    before = fitted_pipe.explain(factuals, target=1)
    after = loaded.explain(factuals, target=1)
    pd.testing.assert_frame_equal(before.counterfactuals, after.counterfactuals)
    explainer = CounterfactualExplainer(fitted_pipe).fit(X)
    joblib.dump(explainer, tmp_path / "explainer.joblib")
    pd.testing.assert_frame_equal(
        joblib.load(tmp_path / "explainer.joblib").explain(factuals).counterfactuals,
        explainer.explain(factuals).counterfactuals,
    )


def test_reordered_columns_are_matched_by_name(applicants, fitted_pipe):
    X, _ = applicants
    factuals = X.head(20)
    shuffled = factuals[["sex", "dependents", "housing", "income", "age"]]
    plain = fitted_pipe.explain(factuals, target=1)
    result = fitted_pipe.explain(shuffled, target=1)
    assert list(result.counterfactuals.columns) == list(shuffled.columns)
    pd.testing.assert_frame_equal(
        result.counterfactuals[list(X.columns)], plain.counterfactuals
    )
    np.testing.assert_array_equal(
        result.valid, fitted_pipe.predict(result.counterfactuals) == 1
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.assign(extra=1.0), "unexpected \\['extra'\\]"),
        (lambda f: f.drop(columns="income"), "missing \\['income'\\]"),
        (lambda f: f.rename(columns={"income": "salary"}), "missing \\['income'\\]"),
    ],
)
def test_wrong_columns_are_a_clear_error(applicants, fitted_pipe, change, message):
    X, _ = applicants
    with pytest.raises(ValueError, match=message):
        fitted_pipe.explain(change(X.head(5)))
    explainer = CounterfactualExplainer(fitted_pipe).fit(X)
    with pytest.raises(ValueError, match=message):
        explainer.explain(change(X.head(5)))


def test_wrong_width_is_a_clear_error_on_every_path(moons, moons_mlp):
    X, _, X_test, _ = moons
    explainer = CounterfactualExplainer(moons_mlp).fit(X)
    with pytest.raises(ValueError, match="3 features, but MLPClassifier expects 2"):
        explainer.explain(np.c_[X_test[:4], X_test[:4, :1]])
    clf = CounterfactualTrainingClassifier(**FAST).fit(X, (X[:, 0] > 0).astype(int))
    with pytest.raises(ValueError, match="3 features"):
        clf.explain(np.c_[X_test[:4], X_test[:4, :1]])


def test_onehot_then_scaler_keeps_valid_one_hot_rows():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], 400),
            "size": rng.normal(0, 1, 400),
        }
    )
    y = ((X["colour"] == "red") | (X["size"] > 1)).astype(int).to_numpy()
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(sparse_output=False), ["colour"]),
            ("num", "passthrough", ["size"]),
        ]
    )
    pipe = ct_pipeline(
        pre, StandardScaler(), CounterfactualTrainingClassifier(**FAST)
    ).fit(X, y)
    assert len(pipe[-1].categorical_groups_) == 1  # the group reached the model
    factuals = X[pipe.predict(X) == 0].head(30)
    result = pipe.explain(factuals, target=1)
    assert set(result.counterfactuals["colour"]) <= {"red", "green", "blue"}
    assert result.valid.mean() > 0.9
    # In model space the group holds the scaled images of exactly one 1.
    encoded = pipe[0].transform(result.counterfactuals)[:, :3]
    assert set(np.unique(encoded)) <= {0.0, 1.0}
    assert (encoded.sum(axis=1) == 1).all()


def test_explainer_on_a_plain_pipeline_names_input_columns(applicants):
    X, y = applicants
    pipe = make_pipeline(
        _preprocessor(), MLPClassifier((16,), max_iter=300, random_state=0)
    ).fit(X, y)
    explainer = CounterfactualExplainer(
        pipe,
        generator="generic",
        mutability={"age": "none", "housing": "none"},
        domain={"income": (0, None)},
    ).fit(X)
    factuals = X[pipe.predict(X) == 0].head(30)
    result = explainer.explain(factuals, target=1)
    cf = result.counterfactuals
    assert cf["age"].equals(factuals["age"]) and cf["housing"].equals(
        factuals["housing"]
    )
    assert (cf["income"] >= 0).all()
    assert np.issubdtype(cf["dependents"].dtype, np.integer)
