"""Recourse on wide mixed tables: found wherever two changes give it.

The oracle of ``test_neighbourhood.py`` enumerates every combination of
values, which only four columns allow. Here ten columns (immutable ones,
counts, a long integer range, a skewed amount with gaps, a ratio, a 0/1 flag
and three categories) go through drawn preprocessing, and the oracle
(:func:`recourse_oracle.sparse_recourse`) tries every change of at most two
columns: the package must find recourse for each person it finds, and break
no constraint. ``research/diag/recourse_hunt.py wide`` draws such cases at
random; the cases below are what it found.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from recourse_oracle import decisive_predict, sparse_recourse
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from test_neighbourhood import SCALERS

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.pipeline import make_pipeline as ct_make_pipeline

N_TRAIN = 300
#: The columns a case may freeze besides age and sex.
LEVERS = ("priors", "months", "income", "debt", "ratio", "flag", "purpose", "housing")


def _wide_table(seed, steps=False, n_samples=N_TRAIN + 80):
    """Ten columns and a label; ``steps``: the label follows thresholds on the
    numbers (each column counts only past a drawn cut) and larger category
    effects, so that recourse often means a jump or a switch, not a slope."""
    rng = np.random.default_rng(seed)
    n_purpose = int(rng.integers(3, 7))
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 70, n_samples),
            "sex": rng.choice(["f", "m"], n_samples),
            "priors": rng.poisson(2, n_samples).clip(0, 15),
            "months": rng.integers(0, 121, n_samples),
            "income": np.round(np.exp(rng.normal(3, 0.6, n_samples)), 2),
            "debt": np.round(rng.normal(10, 4, n_samples), 1),
            "ratio": np.round(rng.beta(2, 5, n_samples), 3),
            "flag": rng.integers(0, 2, n_samples),
            "purpose": rng.choice([f"p{k}" for k in range(n_purpose)], n_samples),
            "housing": rng.choice(["own", "rent", "free"], n_samples),
        }
    )
    numbers = ["age", "priors", "months", "income", "debt", "ratio", "flag"]
    z = (X[numbers] - X[numbers].mean()) / X[numbers].std()
    w = rng.normal(0, 1, len(numbers) + n_purpose + 4)
    if steps:
        cuts = rng.uniform(-1, 1, len(numbers))
        z, w = 2.0 * (z > cuts), 2.0 * w
    score = z.to_numpy() @ w[: len(numbers)]
    score += w[len(numbers) :][X["purpose"].str[1:].astype(int)]
    score += w[-4:-1][X["housing"].map({"own": 0, "rent": 1, "free": 2})]
    score += w[-1] * (X["sex"] == "m")
    y = (score + rng.logistic(0, 0.5, n_samples) > np.median(score)).astype(int)
    return X, y


def _encoder(kind, seed):
    if kind == "ordinal":
        return OrdinalEncoder()
    if kind == "scaled":
        return make_pipeline(OneHotEncoder(sparse_output=False), StandardScaler())
    drop = None if kind == "onehot" else kind
    return OneHotEncoder(drop=drop, sparse_output=seed % 2 == 0)


def _wide_pipeline(
    seed, encoders, scalers, missing, kind, priors, housing, steps=False, frozen=()
):
    """A :func:`_wide_table` through chosen preprocessing, fitted on 300 rows.

    ``encoders``: two of ``"onehot"``, ``"first"``, ``"if_binary"``,
    ``"scaled"``, ``"ordinal"`` (``purpose``; ``housing`` and ``sex``);
    ``scalers``: two keys of ``SCALERS`` (the counts and age; the amounts, the
    ratio and the flag); ``missing``: ``"none"``, ``"impute"`` or
    ``"indicator"`` (gaps in ``income``); ``kind``: ``"logistic"``,
    ``"mlp"``, or a CT classifier's ``objective`` (``"vanilla"``, ``"full"``;
    given the mutability); ``priors`` and ``housing``: their mutability; ``steps``: see :func:`_wide_table`; ``frozen``: more
    immutable columns. Returns the pipeline, the table and the mutability.
    """
    X, y = _wide_table(seed, steps)
    amounts = SCALERS[scalers[1]]()
    if missing != "none":
        gaps = np.random.default_rng(seed + 1).random(len(X)) < 0.08
        X.loc[gaps, "income"] = np.nan
        amounts = make_pipeline(
            SimpleImputer(add_indicator=missing == "indicator"), amounts
        )
    pre = ColumnTransformer(
        [
            ("purpose", _encoder(encoders[0], seed), ["purpose"]),
            ("housing", _encoder(encoders[1], seed), ["housing", "sex"]),
            ("counts", SCALERS[scalers[0]](), ["age", "priors", "months"]),
            ("amounts", amounts, ["income", "debt", "ratio", "flag"]),
        ]
    )
    mutability = {"age": "none", "sex": "none", "priors": priors, "housing": housing}
    mutability.update(dict.fromkeys(frozen, "none"))
    if kind in ("vanilla", "full"):  # a CT classifier with the constraints
        model = CounterfactualTrainingClassifier(
            objective=kind,
            max_epochs=8,
            mutability=mutability,
            n_counterfactuals=100,
            random_state=seed,
        )
        build = ct_make_pipeline
    else:
        model = (
            LogisticRegression(max_iter=500)
            if kind == "logistic"
            else MLPClassifier((16,), max_iter=400, random_state=seed)
        )
        build = make_pipeline
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = build(pre, model).fit(X[:N_TRAIN], y[:N_TRAIN])
    return pipe, X, mutability


def wide_share(
    pipe, X, mutability, domain="infer", max_changes=2, fallback=True, **options
):
    """Share of the oracle's people the package finds; the oracle's count; the
    number of counterfactuals breaking a constraint.

    The oracle changes at most ``max_changes`` columns, on grids of 15
    values (8 for three changes); ``fallback`` goes to the explainer,
    ``options`` to ``explain``.
    """
    n_grid = 15 if max_changes <= 2 else 8
    seen = X[:N_TRAIN]
    explainer = CounterfactualExplainer(
        pipe, mutability=mutability, domain=domain, fallback=fallback
    )
    explainer.fit(seen)
    people = X[N_TRAIN:][pipe.predict(X[N_TRAIN:]) == 0]
    if not len(people):
        return 1.0, 0, 0
    oracle = sparse_recourse(
        decisive_predict(pipe), people, 1, seen, mutability, max_changes, n_grid
    )
    result = explainer.explain(people, target=1, **options)
    bad = explainer.constraints_.violations(
        result.model_counterfactuals, result.model_factuals
    )
    found = result.valid & oracle
    return found.sum() / max(oracle.sum(), 1), int(oracle.sum()), int(bad.sum())


def _few_levers(seed, kind, frozen):
    """A case with a label of steps, counts through a ``PowerTransformer`` and
    amounts through a ``QuantileTransformer``, an increase-only count and
    ``frozen`` columns."""
    steps = (("onehot", "ordinal"), ("power", "quantile"), "indicator")
    return (seed, *steps, kind, "increase", "both", True, frozen)


BOTH = ("both", "both")  # the count's and the housing's mutability
FEW_A = ("debt", "purpose", "housing", "ratio", "income", "months", "flag")
FEW_B = ("months", "debt", "flag", "ratio", "housing", "purpose")


@pytest.mark.parametrize(
    "case",
    [
        # A slope: the gradient search alone finds everyone.
        (0, ("onehot", "ordinal"), ("standard", "standard"), "none", "mlp", *BOTH),
        # Steps, and recourse through two or three levers (mostly a count, a
        # flag, a category): the gradient search alone finds 3 of 5 and 22 of
        # 25 people; the discrete fallback completes it.
        _few_levers(37, "mlp", FEW_A),
        _few_levers(148, "mlp", FEW_B),
        # A CT classifier given the constraints: alone, the gradient search
        # finds 7 of 15.
        _few_levers(37, "full", FEW_A),
    ],
)
def test_recourse_on_wide_tables_is_found_wherever_two_changes_give_it(case):
    pipe, X, mutability = _wide_pipeline(*case)
    share, n_oracle, bad = wide_share(pipe, X, mutability)
    assert n_oracle and share == 1.0 and bad == 0
