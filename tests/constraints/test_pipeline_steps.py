"""Every preprocessing step is understood or refused; small explain fixes."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.impute import KNNImputer, MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.pipeline import make_pipeline as sklearn_make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    Normalizer,
    OneHotEncoder,
    PolynomialFeatures,
    PowerTransformer,
    StandardScaler,
)

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.metrics import explanation_summary
from sklearn_ct.pipeline import make_pipeline

FAST = {"max_epochs": 2, "n_counterfactuals": 16, "max_iter_cf": 5, "random_state": 0}
NUM, CAT = ["age", "debt"], ["sex", "housing"]


@pytest.fixture(scope="module")
def people():
    """120 people: integer ages and debts with a few missing, two string columns."""
    X, y = make_blobs(
        120, centers=[[30, 20], [50, 5]], cluster_std=[5, 4], random_state=0
    )
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": np.round(X[:, 0]),
            "debt": X[:, 1],
            "sex": rng.choice(["Female", "Male"], 120),
            "housing": np.where(y == 1, "own", "rent"),
        }
    )
    frame.loc[[1, 7, 30], "age"] = np.nan
    frame.loc[[3, 40], "debt"] = np.nan
    return frame, y


def _nested(num_steps=None, extra=()):
    num = Pipeline(
        num_steps or [("impute", SimpleImputer()), ("scale", StandardScaler())]
    )
    return ColumnTransformer([("num", num, NUM), ("cat", OneHotEncoder(), CAT), *extra])


@pytest.fixture(scope="module")
def imputed(people):
    X, y = people
    clf = CounterfactualTrainingClassifier(mutability={"age": "none"}, **FAST)
    return make_pipeline(_nested(), clf).fit(X, y)


def _check_input_space(result, factuals, pipe):
    cf = result.counterfactuals
    assert list(cf.columns) == list(factuals.columns)
    assert cf.index.equals(factuals.index)
    for column in CAT:  # valid categories, never model columns or numbers
        assert set(cf[column]) <= set(factuals[column])
    # Validity is the pipeline's own prediction on the returned rows.
    np.testing.assert_array_equal(result.valid, pipe.predict(cf) == result.target)


def test_imputer_in_nested_preprocessing_explains_in_input_columns(people, imputed):
    X, _ = people
    factuals = X.head(12)
    result = imputed.explain(factuals, max_iter=20)
    _check_input_space(result, factuals, imputed)
    cf = result.counterfactuals
    # Age is immutable: kept as given, a missing age stays missing.
    pd.testing.assert_series_equal(cf["age"], factuals["age"])
    assert cf["age"].isna().sum() == 2
    assert "age" not in result.to_frame().columns  # missing, and left missing
    assert result.valid.any()


def test_missing_value_is_kept_unless_the_search_changes_it(people, imputed):
    X, _ = people
    factuals = X.loc[[3, 40]]  # debt missing: the imputed mean plays the factual
    result = imputed.explain(factuals, max_iter=50)
    cf = result.counterfactuals
    moved = result.model_counterfactuals[:, 1] != result.model_factuals[:, 1]
    assert np.all(cf["debt"].isna().to_numpy() == ~moved)
    np.testing.assert_allclose(imputed[:-1].transform(cf), result.model_counterfactuals)


def test_constraints_name_the_columns_behind_an_imputer(people):
    X, y = people
    clf = CounterfactualTrainingClassifier(
        mutability={"age": "increase", "sex": "none"},
        domain={"debt": (-30, 60)},
        **FAST,
    )
    make_pipeline(_nested(), clf).fit(X, y)
    assert clf.mutability_.tolist() == [
        "increase",
        "both",
        "none",
        "none",
        "both",
        "both",
    ]
    assert clf.constraints_.integer.tolist()[:2] == [True, False]  # age, despite NaN
    assert [g.tolist() for g in clf.categorical_groups_] == [[2, 3], [4, 5]]


@pytest.mark.parametrize(
    "num_steps, extra",
    [
        (
            [
                ("impute", SimpleImputer(add_indicator=True)),
                ("scale", StandardScaler()),
            ],
            (),
        ),
        (None, (("missing", MissingIndicator(), NUM),)),
    ],
)
def test_missing_indicators_are_immutable_and_left_out(people, num_steps, extra):
    X, y = people
    clf = CounterfactualTrainingClassifier(**FAST)
    pipe = make_pipeline(_nested(num_steps, extra), clf).fit(X, y)
    names = list(pipe[0].get_feature_names_out())
    flags = [k for k, n in enumerate(names) if "missingindicator" in n]
    assert len(flags) == 2
    assert set(clf.mutability_[flags]) == {"none"}
    factuals = X.head(8)
    _check_input_space(pipe.explain(factuals, max_iter=10), factuals, pipe)


@pytest.mark.parametrize("how", ["add_indicator", "power", "MissingIndicator"])
def test_a_missing_indicator_follows_the_column_it_flags(people, how):
    # Before: the indicator stayed "missing" while the search changed the
    # value, so the search judged points the pipeline never produces,
    # violations() flagged the indicator the returned row had switched off,
    # and that switch cost about 40 (a rare column's MAD). "not missing" is
    # read off the data, so it holds through a PowerTransformer too.
    X, y = people
    after = PowerTransformer() if how == "power" else StandardScaler()
    num_steps, extra = (
        (None, (("missing", MissingIndicator(), NUM),))
        if how == "MissingIndicator"
        else ([("impute", SimpleImputer(add_indicator=True)), ("scale", after)], ())
    )
    pipe = sklearn_make_pipeline(_nested(num_steps, extra), LogisticRegression())
    pipe.fit(X, y)
    explainer = CounterfactualExplainer(pipe).fit(X)
    names = list(pipe[0].get_feature_names_out())
    position = {n.split("__")[-1]: k for k, n in enumerate(names)}
    flags = {k: (cols.tolist(), off) for k, cols, off in explainer.constraints_.flags}
    assert {k: cols for k, (cols, _) in flags.items()} == {
        position["missingindicator_age"]: [position["age"]],
        position["missingindicator_debt"]: [position["debt"]],
    }
    factuals = X.loc[[1, 7, 30, 3, 40]]  # a missing age or debt each
    result = explainer.explain(factuals, target=1 - pipe.predict(factuals))
    assert result.valid.all()
    Z, Z_cf = result.model_factuals, result.model_counterfactuals
    assert not explainer.constraints_.violations(Z_cf, Z).any()
    moved = Z_cf != Z
    for k, ([source], off) in flags.items():  # "not missing" exactly where changed
        expected = np.where(moved[:, source], off, Z[:, k])
        np.testing.assert_array_equal(Z_cf[:, k], expected)
    np.testing.assert_allclose(pipe[0].transform(result.counterfactuals), Z_cf)
    # The indicator costs nothing of its own: the cost is the values' change.
    weight = explainer.feature_costs_.weight
    assert weight[list(flags)].tolist() == [0.0, 0.0]
    value_cost = (np.abs(Z_cf - Z) * weight)[:, [position["age"], position["debt"]]]
    switched = (result.counterfactuals[CAT] != factuals[CAT]).sum(axis=1)
    expected = value_cost.sum(axis=1) + switched.to_numpy()  # a level costs 1
    np.testing.assert_allclose(result.cost, expected, rtol=1e-5)


def test_flags_are_checked_and_combined():
    from sklearn_ct.constraints import FeatureConstraints

    fc = FeatureConstraints(["both", "none"], [0, 0], [9, 1], flags=[(1, [0])])
    Z = np.array([[4.0, 1.0], [4.0, 1.0], [4.0, 0.0]])
    Z_cf = np.array([[5.0, 0.0], [5.0, 1.0], [4.0, 1.0]])
    assert fc.violations(Z_cf, Z).tolist() == [0, 1, 1]
    both = fc.combine(FeatureConstraints(["both", "both"], [0, 0], [9, 1]))
    assert [(k, c.tolist(), off) for k, c, off in both.flags] == [(1, [0], 0.0)]
    with pytest.raises(ValueError, match="indicator column 1"):
        FeatureConstraints(["both", "none"], [0, 0], [9, 1], flags=[(1, [1])])


def test_function_transformer_with_inverse_comes_back_in_units(people):
    X, y = people
    pre = ColumnTransformer(
        [
            (
                "debt",
                Pipeline(
                    [
                        ("impute", SimpleImputer()),
                        ("log", FunctionTransformer(np.log1p, np.expm1)),
                        ("scale", StandardScaler()),
                    ]
                ),
                ["debt"],
            ),
            ("cat", OneHotEncoder(), CAT),
        ]
    )
    data = X[["debt", *CAT]].assign(debt=X["debt"].abs())  # log1p needs > -1
    pipe = make_pipeline(pre, CounterfactualTrainingClassifier(**FAST)).fit(data, y)
    factuals = data.head(8)
    result = pipe.explain(factuals, max_iter=20)
    _check_input_space(result, factuals, pipe)
    np.testing.assert_allclose(
        pipe[:-1].transform(result.counterfactuals), result.model_counterfactuals
    )


@pytest.mark.parametrize(
    "pre, path",
    [
        (
            _nested([("impute", SimpleImputer()), ("pca", PCA(2))]),
            "columntransformer__num__pca",
        ),
        (
            _nested([("impute", SimpleImputer()), ("poly", PolynomialFeatures())]),
            "columntransformer__num__poly",
        ),
        (
            _nested([("impute", SimpleImputer()), ("norm", Normalizer())]),
            "columntransformer__num__norm",
        ),
        (_nested([("impute", KNNImputer())]), "columntransformer__num__impute"),
        (
            _nested(
                [("impute", SimpleImputer()), ("log", FunctionTransformer(np.cbrt))]
            ),
            "columntransformer__num__log",
        ),
        (
            ColumnTransformer(
                [
                    ("num", SimpleImputer(), NUM),
                    ("cat", OneHotEncoder(min_frequency=200), CAT),
                ]
            ),
            "columntransformer__cat",
        ),
    ],
)
def test_steps_that_cannot_be_inverted_are_refused_at_fit(people, pre, path):
    X, y = people
    pipe = make_pipeline(pre, CounterfactualTrainingClassifier(**FAST))
    with pytest.raises(ValueError, match=re.escape(repr(path))) as error:
        pipe.fit(X, y)
    assert "Supported steps: Pipeline, ColumnTransformer" in str(error.value)
    assert not hasattr(pipe[-1], "net_")


def test_explainer_refuses_a_plain_pipeline_that_mixes_columns(people):
    X, y = people
    numbers = X[NUM].fillna(0)
    model = sklearn_make_pipeline(StandardScaler(), PCA(2), LogisticRegression())
    model.fit(numbers, y)
    with pytest.raises(ValueError, match="'pca' \\(PCA\\)"):
        CounterfactualExplainer(model).fit(numbers)


def test_an_inverted_domain_is_rejected_alike_in_a_pipeline(people):
    X, y = people
    numbers = X[NUM].fillna(0)
    message = re.escape(
        "domain for feature 'debt' has low=40.0 > high=20.0; expected low <= high."
    )
    with pytest.raises(ValueError, match=message):
        CounterfactualTrainingClassifier(domain={"debt": (40, 20)}, **FAST).fit(
            numbers, y
        )
    clf = CounterfactualTrainingClassifier(domain={"debt": (40, 20)}, **FAST)
    with pytest.raises(ValueError, match=message):
        make_pipeline(_nested(), clf).fit(X, y)


@pytest.mark.parametrize("how", ["pipeline", "explainer", "classifier"])
def test_explaining_no_rows_returns_an_empty_result(people, imputed, how):
    X, y = people
    if how == "pipeline":
        factuals, result = X.iloc[:0], imputed.explain(X.iloc[:0])
    elif how == "explainer":
        factuals = X.iloc[:0]
        result = CounterfactualExplainer(imputed).fit(X).explain(factuals, target=1)
    else:
        numbers = X[NUM].fillna(0)
        clf = CounterfactualTrainingClassifier(**FAST).fit(numbers, y)
        factuals = numbers[clf.predict(numbers) == 2]  # nobody
        result = clf.explain(factuals)
    assert len(result) == 0
    assert list(result.counterfactuals.columns) == list(factuals.columns)
    assert result.to_frame().shape[0] == 0


def test_n_iter_counts_the_search_steps_within_max_iter(people, imputed):
    X, _ = people
    result = imputed.explain(
        X.head(10), max_iter=7, sparsify=True, n_per_factual=2, decision_threshold=0.99
    )
    assert result.n_iter.max() <= 7 and result.n_iter.max() > 0


@pytest.mark.parametrize("how", ["pipeline", "classifier"])
def test_a_mistyped_explain_keyword_is_pythons_type_error(people, imputed, how):
    X, _ = people
    explain = imputed.explain if how == "pipeline" else imputed[-1].explain
    factuals = X.head(2) if how == "pipeline" else imputed[:-1].transform(X.head(2))
    with pytest.raises(
        TypeError, match=r"explain\(\) got an unexpected keyword argument 'max_iters'"
    ):
        explain(factuals, max_iters=5)
    with pytest.raises(TypeError, match="'lr_typo'"):
        explain(factuals, lr_typo=1)


def test_explanation_summary_on_raw_columns(people, imputed):
    X, y = people
    result = imputed.explain(X.head(10), max_iter=30)
    with pytest.raises(ValueError, match=re.escape("pipeline[:-1].transform(X)")):
        explanation_summary(result, X, y)
    summary = explanation_summary(
        result, X, y, estimator=imputed, n_ip_samples=None, n_mmd_samples=None
    )
    expected = explanation_summary(
        result, imputed[:-1].transform(X), y, n_ip_samples=None, n_mmd_samples=None
    )
    assert summary == pytest.approx(expected, nan_ok=True)


def test_an_array_given_to_a_pipeline_fitted_on_names_is_taken_by_position(
    people, imputed
):
    X, _ = people
    factuals = X.head(6)
    with pytest.warns(UserWarning, match="taken by position"):
        result = imputed.explain(factuals.to_numpy(), max_iter=20)
    cf = result.counterfactuals
    assert isinstance(cf, np.ndarray) and cf.shape == factuals.shape
    assert result.feature_names == list(X.columns)
    assert set(cf[:, 2]) <= {"Female", "Male"}
    frame = pd.DataFrame(cf, columns=X.columns).infer_objects()
    np.testing.assert_array_equal(result.valid, imputed.predict(frame) == result.target)
