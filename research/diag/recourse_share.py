"""Recourse found against an exhaustive oracle on column subsets of the real sets (issue 19).

For each small column subset (one or two categorical columns, an
increase-only integer, a numeric column searched on a grid, an immutable
one) of Adult, Credit default and GMSC, a baseline ("vanilla") and a CT
("full") model are fitted in a pipeline ``ColumnTransformer(OneHotEncoder,
StandardScaler) + CounterfactualTrainingClassifier`` (domain: the observed
ranges), people predicted in the unfavourable class are explained with the
fallback off (the gradient search alone, as before) and on, and the share of
the people for whom brute force over the allowed values finds recourse
(``tests/recourse_oracle.py``) that the package finds too is reported, with
constraint violations and the explain time of both, side by side. The
speed rows explain 1,000 people on every column of Adult, and in the worst
case, where nobody can reach the target and every row runs every phase.

Run from the worktree root: ``python research/diag/recourse_share.py`` (one torch
thread; about a minute). Reads the data from ``$SKLEARN_CT_DATA`` or
``../shared/data`` and skips without them. Writes
``research/diag/results/recourse_share.csv``.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline as sk_make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.datasets import load_dataset
from sklearn_ct.pipeline import make_pipeline

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from recourse_oracle import exhaustive_recourse

torch.set_num_threads(1)
DATA = Path(
    os.environ.get("SKLEARN_CT_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
OUT = Path(__file__).resolve().parent / "results" / "recourse_share.csv"
#: name -> (favourable label, [(columns, mutability, categorical columns)]).
SUBSETS = {
    "adult": (
        1,
        [
            (
                ["age", "education-num", "hours-per-week", "occupation"],
                {"age": "none", "education-num": "increase"},
                ["occupation"],
            ),
            (
                ["sex", "education-num", "hours-per-week", "marital-status"],
                {"sex": "none", "education-num": "increase"},
                ["sex", "marital-status"],
            ),
            (
                ["age", "capital-gain", "workclass", "relationship"],
                {"age": "none", "capital-gain": "increase"},
                ["workclass", "relationship"],
            ),
        ],
    ),
    "credit_default": (
        1,
        [
            (
                ["AGE", "PAY_0", "LIMIT_BAL", "EDUCATION"],
                {"AGE": "none", "PAY_0": "decrease"},
                ["EDUCATION"],
            ),
            (
                ["SEX", "PAY_2", "PAY_AMT1", "MARRIAGE"],
                {"SEX": "none", "PAY_2": "decrease"},
                ["SEX", "MARRIAGE"],
            ),
        ],
    ),
    "gmsc": (
        1,
        [
            (
                [
                    "age",
                    "NumberOfTime30-59DaysPastDueNotWorse",
                    "RevolvingUtilizationOfUnsecuredLines",
                    "NumberOfOpenCreditLinesAndLoans",
                ],
                {"age": "none", "NumberOfTime30-59DaysPastDueNotWorse": "decrease"},
                [],
            ),
        ],
    ),
}
SEEDS = (0, 1)
N_PEOPLE = 100


def _pipeline(X, categorical, mutability, objective, seed):
    numeric = [c for c in X.columns if c not in categorical]
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
            ("num", StandardScaler(), numeric),
        ]
    )
    clf = CounterfactualTrainingClassifier(
        objective=objective,
        max_epochs=20,
        domain="observed",
        mutability=mutability,
        random_state=seed,
    )
    return make_pipeline(pre, clf)


def _timed_explain(pipe, people, target, fallback):
    tick = time.perf_counter()
    result = pipe.explain(people, target=target, fallback=fallback)
    return result, time.perf_counter() - tick


def subset_rows():
    rows = []
    for name, (favourable, subsets) in SUBSETS.items():
        data = load_dataset(
            name, data_home=DATA, n_samples=4000, random_state=0, as_frame=True
        )
        frame, y = data.data, np.asarray(data.target)
        for columns, mutability, categorical in subsets:
            X = frame[columns].copy()
            for c in categorical:  # integer codes are categories here
                X[c] = X[c].astype(str)
            X_train, y_train = X.iloc[data.train_index], y[data.train_index]
            X_test = X.iloc[data.test_index]
            for seed in SEEDS:
                for objective in ("vanilla", "full"):
                    pipe = _pipeline(X_train, categorical, mutability, objective, seed)
                    pipe.fit(X_train, y_train)
                    people = X_test[pipe.predict(X_test) != favourable].head(N_PEOPLE)
                    oracle = exhaustive_recourse(
                        pipe.predict, people, favourable, X_train, mutability
                    )
                    row = {
                        "data": name,
                        "columns": "+".join(columns),
                        "seed": seed,
                        "model": objective,
                        "people": len(people),
                        "oracle": int(oracle.sum()),
                    }
                    clf = pipe[-1]
                    for fallback in (False, True):
                        result, seconds = _timed_explain(
                            pipe, people, favourable, fallback
                        )
                        key = "after" if fallback else "before"
                        row[f"found_{key}"] = int((result.valid & oracle).sum())
                        row[f"beyond_oracle_{key}"] = int(
                            (result.valid & ~oracle).sum()
                        )
                        row[f"violations_{key}"] = int(
                            clf.constraints_.violations(
                                result.model_counterfactuals, result.model_factuals
                            ).sum()
                        )
                        row[f"seconds_{key}"] = round(seconds, 3)
                    rows.append(row)
                    print(row, flush=True)
    return pd.DataFrame(rows)


def speed_rows():
    data = load_dataset(
        "adult", data_home=DATA, n_samples=6000, random_state=0, as_frame=True
    )
    X, y = data.data, np.asarray(data.target)
    categorical = list(data.categorical_features)
    X_train, y_train = X.iloc[data.train_index], y[data.train_index]
    X_test = X.iloc[data.test_index]
    rows = []
    for objective in ("vanilla", "full"):
        pipe = _pipeline(X_train, categorical, {"age": "none"}, objective, 0)
        pipe.fit(X_train, y_train)
        people = X_test[pipe.predict(X_test) != 1].head(1000)
        row = {
            "data": "adult",
            "columns": "all",
            "seed": 0,
            "model": objective,
            "people": len(people),
        }
        for fallback in (False, True):
            _timed_explain(pipe, people.head(20), 1, fallback)  # warm-up
            result, seconds = _timed_explain(pipe, people, 1, fallback)
            key = "after" if fallback else "before"
            row[f"valid_{key}"] = int(result.valid.sum())
            row[f"seconds_{key}"] = round(seconds, 3)
        row["ratio"] = round(row["seconds_after"] / row["seconds_before"], 2)
        rows.append(row)
        print(row, flush=True)
    # The worst case: nobody can reach the target (p >= 0.999 under a strongly
    # regularised logistic regression), so every row runs every phase.
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(), categorical),
            ("num", StandardScaler(), [c for c in X.columns if c not in categorical]),
        ]
    )
    pipe = sk_make_pipeline(pre, LogisticRegression(C=1e-3)).fit(X_train, y_train)
    people = X_test[pipe.predict(X_test) != 1].head(1000)
    row = {
        "data": "adult",
        "columns": "all, no recourse",
        "seed": 0,
        "model": "logistic",
        "people": len(people),
    }
    for fallback in (False, True):
        explainer = CounterfactualExplainer(
            pipe,
            mutability={"age": "none", "sex": "none", "race": "none"},
            decision_threshold=0.999,
            fallback=fallback,
        ).fit(X_train)
        explainer.explain(people.head(20), target=1)  # warm-up
        tick = time.perf_counter()
        result = explainer.explain(people, target=1)
        key = "after" if fallback else "before"
        row[f"seconds_{key}"] = round(time.perf_counter() - tick, 3)
        row[f"valid_{key}"] = int(result.converged.sum())
    row["ratio"] = round(row["seconds_after"] / row["seconds_before"], 2)
    rows.append(row)
    print(row, flush=True)
    return pd.DataFrame(rows)


def main():
    if not (DATA / "adult.csv").is_file():
        print(f"skipped: the real data sets are not in {DATA}")
        return
    warnings.simplefilter("ignore")
    subsets = subset_rows()
    speed = speed_rows()
    OUT.parent.mkdir(exist_ok=True)
    pd.concat([subsets, speed]).to_csv(OUT, index=False)
    total = subsets["oracle"].sum()
    for key in ("before", "after"):
        print(
            f"{key}: found {subsets[f'found_{key}'].sum()} of {total} people with "
            f"recourse ({subsets[f'found_{key}'].sum() / total:.1%}); violations "
            f"{subsets[f'violations_{key}'].sum()}; "
            f"{subsets[f'seconds_{key}'].sum():.1f} s"
        )
    print(
        "time ratio (after / before):",
        f"subsets {subsets['seconds_after'].sum() / subsets['seconds_before'].sum():.2f},",
        "adult:",
        speed[["columns", "model", "ratio"]].to_dict("records"),
    )


if __name__ == "__main__":
    main()
