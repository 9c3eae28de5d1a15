"""Pipelines, categorical data, model selection and pickling (issue 4)."""

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.datasets import load_dataset
from sklearn_ct.metrics import plausibility_scorer, validity_scorer
from sklearn_ct.preprocessing import pipeline_constraints

FAST = {"max_epochs": 5, "n_counterfactuals": 32, "max_iter_cf": 10, "lr": 0.01,
        "random_state": 0}


@pytest.fixture(scope="module")
def loans():
    """Unscaled two-feature data: 'age' in years, 'debt' in thousands."""
    X, y = make_blobs(300, centers=[[30, 20], [50, 5]], cluster_std=[4, 3],
                      random_state=0)
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
    np.testing.assert_allclose(result.model_factuals,
                               pipe[0].transform(X.iloc[:50]))


@pytest.fixture(scope="module")
def adult():
    try:
        data = load_dataset("adult", as_frame=True, n_samples=3000, random_state=0)
    except FileNotFoundError:
        pytest.skip("the Adult data set is not available")
    return data


def _adult_preprocessor(data):
    return ColumnTransformer([
        ("num", StandardScaler(), make_column_selector(dtype_include="number")),
        ("cat", OneHotEncoder(sparse_output=False, handle_unknown="ignore"),
         data.categorical_features),
    ])


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
    clf = CounterfactualTrainingClassifier(**{**FAST, "batch_size": 128},
                                           **constraints)
    pipe = make_pipeline(_adult_preprocessor(adult), clf).fit(X.iloc[train],
                                                              y.iloc[train])
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
        pipe, {"counterfactualtrainingclassifier__lambda_div": [0.1, 1.0]},
        scoring={"accuracy": "accuracy", "plausibility": plausibility_scorer,
                 "validity": validity_scorer},
        refit="accuracy", cv=2, n_jobs=2,
    )
    search.fit(X, y)
    for name in ("accuracy", "plausibility", "validity"):
        scores = search.cv_results_[f"mean_test_{name}"]
        assert np.isfinite(scores).all(), name
    assert (search.cv_results_["mean_test_plausibility"] < 0).all()
    assert search.best_estimator_.score(X, y) > 0.9


def test_cross_validate_with_scorers_on_the_bare_classifier(blobs3):
    X, y = blobs3
    scores = cross_validate(CounterfactualTrainingClassifier(**FAST), X, y, cv=2,
                            scoring={"validity": validity_scorer,
                                     "plausibility": plausibility_scorer})
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
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout
    theirs = np.array(out.split(","), dtype=float)
    np.testing.assert_allclose(theirs, pipe.predict_proba(X)[:, 1], atol=1e-6)


def test_explainer_defaults_to_the_ct_classifiers_own_constraints(loans):
    X, y = loans
    clf = CounterfactualTrainingClassifier(mutability=["none", "both"],
                                           domain="observed", **FAST)
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
