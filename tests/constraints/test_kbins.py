"""Columns through a KBinsDiscretizer: searched bin by bin, returned at the
value of the bin nearest the person's own."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder, StandardScaler

from sklearn_ct import CounterfactualExplainer


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "income": np.round(np.exp(rng.normal(3.5, 0.5, n)), 1),
            "kids": rng.poisson(1.5, n),
            "city": rng.choice(["a", "b", "c"], n),
        }
    )
    score = (np.log(X["income"]) - 3.5) / 0.5 - 0.4 * X["kids"] + (X["city"] == "b")
    y = (score + rng.logistic(0, 0.5, n) > 0.3).astype(int)
    return X, y


def _pipeline(X, y, strategy="quantile"):
    bins = KBinsDiscretizer(5, encode="ordinal", strategy=strategy)
    if strategy == "quantile":
        bins.set_params(quantile_method="linear")
    pre = ColumnTransformer(
        [
            ("bins", make_pipeline(bins, StandardScaler()), ["income", "kids"]),
            ("city", OneHotEncoder(), ["city"]),
        ]
    )
    return make_pipeline(pre, LogisticRegression()).fit(X, y)


@pytest.mark.parametrize("strategy", ["quantile", "uniform", "kmeans"])
def test_a_binned_column_comes_back_at_the_nearest_value_of_its_bin(strategy):
    X, y = _data()
    pipe = _pipeline(X, y, strategy)
    bins = pipe[0].named_transformers_["bins"][0]
    explainer = CounterfactualExplainer(pipe, mutability={"kids": "decrease"}).fit(X)
    people = X[pipe.predict(X) == 0].head(60)
    result = explainer.explain(people, target=1)
    assert result.valid.all()
    cf = result.counterfactuals
    assert (pipe.predict(cf) == 1).all()  # what is returned is what was judged
    assert (cf["kids"] <= people["kids"]).all()
    assert cf["kids"].dtype == people["kids"].dtype
    moved = cf["income"] != people["income"]
    assert moved.any()
    before = cf[moved].copy()
    code = bins.transform(before[["income", "kids"]])[:, 0]
    # One decimal (the data's precision) back toward the person leaves the
    # bin: no value of the bin is nearer, and none has more decimals.
    step = 0.1 * np.sign(people.loc[moved, "income"] - before["income"])
    before["income"] = np.round(before["income"] + step, 1)
    assert (bins.transform(before[["income", "kids"]])[:, 0] != code).all()
    assert np.allclose(cf["income"], np.round(cf["income"], 1))


def test_a_binned_count_comes_back_whole_at_the_nearest_count():
    X, y = _data(seed=1)
    pipe = _pipeline(X, y, "uniform")
    bins = pipe[0].named_transformers_["bins"][0]
    explainer = CounterfactualExplainer(pipe, mutability={"income": "none"}).fit(X)
    people = X[pipe.predict(X) == 0].head(60)
    result = explainer.explain(people, target=1)
    cf = result.counterfactuals[result.valid]
    moved = cf["kids"] != people.loc[cf.index, "kids"]
    assert moved.any()
    nearer = cf[moved].copy()
    code = bins.transform(nearer[["income", "kids"]])[:, 1]
    nearer["kids"] += np.sign(people.loc[nearer.index, "kids"] - nearer["kids"])
    assert (bins.transform(nearer[["income", "kids"]])[:, 1] != code).all()


def test_one_hot_encoded_bins_are_refused_with_what_to_use():
    X, y = _data()
    pre = ColumnTransformer(
        [("bins", KBinsDiscretizer(5, quantile_method="linear"), ["income"])]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(pre, LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match=r"encode='onehot'.*use encode='ordinal'"):
        CounterfactualExplainer(pipe).fit(X)
