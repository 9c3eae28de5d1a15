"""The paper's lambda grid on the four synthetic data sets (issue 11, item 4).

For every data set (linearly_separable, overlapping, circles, moons) and every
``lambda_reg`` in {0, 0.01, 0.1, 0.25, 0.5} x ``lambda_div`` in {0.01, 0.1, 1}
x ``lambda_adv`` in {0.1, 0.25, 1}, fit the protocol's CT model
(``make_model(data, "single", "CT")``, 100 epochs) and record whether any
weight or test prediction is non-finite, whether training diverged (and was
restored), the skipped updates, the largest test-set logit, test accuracy,
seconds and warnings. Rows are appended to the CSV as fits finish, so an
interrupted run resumes where it stopped.

Run from the repository root::

    OMP_NUM_THREADS=1 nice -n 10 python research/diag/lambda_grid.py            # 180 fits
    python research/diag/lambda_grid.py --datasets moons --max-epochs 2 --out /tmp/x.csv
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed

from sklearn_ct.reproduction import make_model, prepare_data

DATASETS = ("linearly_separable", "overlapping", "circles", "moons")
LAMBDA_REG = (0.0, 0.01, 0.1, 0.25, 0.5)
LAMBDA_DIV = (0.01, 0.1, 1.0)
LAMBDA_ADV = (0.1, 0.25, 1.0)
KEYS = ("dataset", "lambda_reg", "lambda_div", "lambda_adv")
COLUMNS = (
    *KEYS,
    "nonfinite_weights",
    "nonfinite_predictions",
    "diverged",
    "n_epochs",
    "n_skipped",
    "max_abs_logit",
    "test_accuracy",
    "train_accuracy",
    "seconds",
    "n_warnings",
    "warnings",
    "error",
)


def fit_one(name, lambda_reg, lambda_div, lambda_adv, max_epochs=None):
    """Fit one grid point on one torch thread and return its diagnostics."""
    torch.set_num_threads(1)
    data = prepare_data(name)
    clf = make_model(data, "single", "CT").set_params(
        lambda_reg=lambda_reg, lambda_div=lambda_div, lambda_adv=lambda_adv, n_threads=1
    )
    if max_epochs is not None:
        clf.set_params(max_epochs=max_epochs)
    row = dict(zip(KEYS, (name, lambda_reg, lambda_div, lambda_adv), strict=True))
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            clf.fit(data.X_train, data.y_train)
        except Exception as error:  # recorded, not raised: one bad fit ends no run
            row.update(
                seconds=time.perf_counter() - start,
                error=f"{type(error).__name__}: {error}",
            )
            return row
        seconds = time.perf_counter() - start
        module = clf.net_.module_.eval()
        with torch.no_grad():
            logits = module(torch.as_tensor(data.X_test, dtype=torch.float32))
            weights_finite = all(
                bool(torch.isfinite(p).all()) for p in module.parameters()
            )
        proba = clf.predict_proba(data.X_test)
        accuracy = float(np.mean(clf.predict(data.X_test) == data.y_test))
        train_accuracy = float(np.mean(clf.predict(data.X_train) == data.y_train))
    history = clf.history_
    messages = sorted(
        {f"{w.category.__name__}: {str(w.message)[:160]}" for w in caught}
    )
    row.update(
        nonfinite_weights=not weights_finite,
        nonfinite_predictions=bool(
            not torch.isfinite(logits).all() or not np.isfinite(proba).all()
        ),
        diverged=bool(history["diverged"].fillna(False).astype(bool).any()),
        n_epochs=len(history),
        n_skipped=int(history["n_skipped"].fillna(0).sum()),
        max_abs_logit=float(logits.abs().max()),
        test_accuracy=accuracy,
        train_accuracy=train_accuracy,
        seconds=seconds,
        n_warnings=len(caught),
        warnings=" | ".join(messages),
        error="",
    )
    return row


def grid(datasets):
    """Every (data set, lambda_reg, lambda_div, lambda_adv) of the paper's grid."""
    return list(itertools.product(datasets, LAMBDA_REG, LAMBDA_DIV, LAMBDA_ADV))


def _done(path):
    if not path.is_file():
        return pd.DataFrame(columns=COLUMNS)
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def summarise(table: pd.DataFrame) -> str:
    """Counts of problems and accuracy ranges, per data set and overall."""
    flag = lambda column: table[column].fillna(False).astype(bool)  # noqa: E731
    flags = table.assign(
        nonfinite=flag("nonfinite_weights") | flag("nonfinite_predictions"),
        diverged=flag("diverged"),
        skipped_fits=table["n_skipped"] > 0,
        warned=table["n_warnings"] > 0,
        failed=table["error"].astype("string").fillna("") != "",
    )
    per = flags.groupby("dataset", sort=False).agg(
        fits=("test_accuracy", "size"),
        nonfinite=("nonfinite", "sum"),
        diverged=("diverged", "sum"),
        failed=("failed", "sum"),
        skipped_fits=("skipped_fits", "sum"),
        skipped_total=("n_skipped", "sum"),
        acc_min=("test_accuracy", "min"),
        acc_median=("test_accuracy", "median"),
        acc_max=("test_accuracy", "max"),
        max_abs_logit=("max_abs_logit", "max"),
        warned=("warned", "sum"),
        seconds=("seconds", "sum"),
    )
    lines = [
        per.to_string(float_format=lambda v: f"{v:.4g}"),
        "",
        f"fits: {len(table)}; non-finite weights or predictions: "
        f"{int(flags['nonfinite'].sum())}; diverged (restored): "
        f"{int(flags['diverged'].sum())}; failed: "
        f"{int(flags['failed'].sum())}; fits with skipped updates: "
        f"{int(flags['skipped_fits'].sum())} ({int(table['n_skipped'].sum())} "
        f"updates); total seconds: {table['seconds'].sum():.0f}",
    ]
    warned = table.loc[table["n_warnings"] > 0, "warnings"]
    if len(warned):
        lines += ["", "warnings (distinct):"]
        lines += sorted({w for text in warned for w in str(text).split(" | ")})
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=list(DATASETS), choices=DATASETS
    )
    parser.add_argument("--n-jobs", type=int, default=1, choices=(1, 2))
    parser.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="override the paper's 100 epochs (smoke tests only)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("research/diag/lambda_grid.csv")
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = _done(args.out)
    seen = set(map(tuple, done[list(KEYS)].astype(str).to_numpy()))
    todo = [
        point for point in grid(args.datasets) if tuple(map(str, point)) not in seen
    ]
    print(f"{len(todo)} fits to run ({len(done)} already in {args.out})", flush=True)
    runs = Parallel(n_jobs=args.n_jobs, return_as="generator_unordered")(
        delayed(fit_one)(*point, max_epochs=args.max_epochs) for point in todo
    )
    for k, row in enumerate(runs, 1):
        frame = pd.DataFrame([row], columns=COLUMNS)
        frame.to_csv(args.out, mode="a", header=not args.out.is_file(), index=False)
        print(
            f"[{k}/{len(todo)}] "
            + ", ".join(
                f"{c}={row.get(c)}"
                for c in (
                    *KEYS,
                    "test_accuracy",
                    "max_abs_logit",
                    "diverged",
                    "n_skipped",
                    "seconds",
                )
            ),
            flush=True,
        )
    table = _done(args.out)
    order = {name: k for k, name in enumerate(DATASETS)}
    table = table.sort_values(
        list(KEYS),
        key=lambda s: s.map(order) if s.name == "dataset" else s,
        kind="stable",
    )
    table.to_csv(args.out, index=False)
    print(summarise(table))


if __name__ == "__main__":
    main()
