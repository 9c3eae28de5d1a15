"""Hunt for people the explainer leaves without recourse that brute force finds.

Draws random cases for a time budget and compares ``explain()``'s default
explanations with the exhaustive oracle of ``tests/recourse_oracle.py``
(every combination of allowed values), printing each case where the
explainer misses a person the oracle finds, or returns a counterfactual that
breaks a constraint. Cases where the oracle finds nobody are not misses.

Modes:

* ``mixed``: the small mixed tables of ``tests/explain/test_neighbourhood.py``
  (an immutable integer, a count, an amount, a category of 2-4 levels; a
  scikit-learn logistic regression or MLP in a pipeline), random seed,
  levels, direction of the count and model; ``--domain`` ``observed`` (the
  slow test's) or ``infer`` (the default), ``--sparsify`` for sparse recourse.
* ``variants``: the same tables through drawn preprocessing (one-hot with
  ``drop`` None, ``"first"`` or ``"if_binary"``, optionally scaled; or an
  ordinal code), a drawn scaler of the numbers (standard, min-max, robust,
  max-abs, quantile, power or none), missing amounts behind a
  ``SimpleImputer`` (with or without its indicator), an immutable
  category and a skewed amount, under a drawn ``domain`` (a wider box than
  the oracle's observed one finds more, never less).
* ``wide``: the ten-column tables of ``tests/explain/test_wide_recourse.py``
  (immutable age and sex, counts, a long integer range, a skewed amount with
  gaps, a ratio, a 0/1 flag, three categories) through drawn encoders and
  scalers, a drawn direction of the count, domain and model (scikit-learn's
  or a CT classifier given the constraints); the oracle
  tries every change of at most two columns.
* ``justice`` and ``loans``: the criminal-justice and loans pipelines of the
  same tests with a ``CounterfactualTrainingClassifier`` (``vanilla`` or
  ``full``), both targets; ``justice`` also draws the count's direction and
  whether the immutable ``sex`` column is in.

Run from the worktree root, one torch thread per process, for example
``python research/diag/recourse_hunt.py mixed --seed 3 --seconds 400``.
The same seed draws the same cases, so two versions of the package
(``PYTHONPATH`` of a worktree) can be compared on one sequence. Prints
``done N`` with the number of cases drawn.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

# This worktree's test helpers; sklearn_ct from the install or a PYTHONPATH.
TESTS = Path.cwd() / "tests"
sys.path[:0] = [str(TESTS / "explain"), str(TESTS)]

import test_neighbourhood as cases  # noqa: E402
import test_wide_recourse as wide  # noqa: E402

from sklearn_ct import CounterfactualExplainer  # noqa: E402


def _mixed(rng, domain, sparsify):
    seed, n_levels = int(rng.integers(0, 10_000)), int(rng.integers(2, 5))
    count = str(rng.choice(["increase", "decrease", "both"]))
    kind = str(rng.choice(["logistic", "mlp"]))
    pipe, X = cases._mixed_pipeline(seed, n_levels, kind)
    mutability = {"fixed": "none", "count": count}
    options = {} if domain == "infer" else {"domain": domain}
    explainer = CounterfactualExplainer(pipe, mutability=mutability, **options)
    explainer.fit(X[:200])
    people = X[200:][pipe.predict(X[200:]) == 0]
    if not len(people):
        return []
    share, n_oracle, bad = cases._share(
        explainer, pipe, X[:200], people, 1, mutability, sparsify=sparsify
    )
    found = round(share * max(n_oracle, 1))
    return [((seed, n_levels, count, kind), found, n_oracle, bad)]


def _draw_variant(rng):
    """The choices of one ``variants`` case (a tuple: its label)."""
    return (
        int(rng.integers(0, 10_000)),  # seed
        int(rng.integers(2, 5)),  # levels
        str(rng.choice(["onehot", "first", "if_binary", "scaled", "ordinal"])),
        str(rng.choice(list(cases.SCALERS))),
        str(rng.choice(["none", "impute", "indicator"])),
        str(rng.choice(["logistic", "mlp"])),
        str(rng.choice(["increase", "decrease", "both"])),  # the count
        str(rng.choice(["both", "both", "both", "none"])),  # the level
        bool(rng.random() < 0.5),  # a skewed amount
    )


def _variants(rng, sparsify):
    label = _draw_variant(rng)
    domain = str(rng.choice(["observed", "infer", "none"]))
    pipe, X, mutability = cases._variant_pipeline(*label)
    explainer = CounterfactualExplainer(
        pipe, mutability=mutability, domain=None if domain == "none" else domain
    )
    # Sometimes the explainer never sees one level: the box closes it, and
    # only a person holding it may keep it.
    seen = X[:200]
    if rng.random() < 0.25 and domain != "none":
        seen = seen[seen["level"] != "l0"]
    label = (*label, domain, len(seen))
    explainer.fit(seen)
    people = X[200:][pipe.predict(X[200:]) == 0]
    if not len(people):
        return []
    share, n_oracle, bad = cases._share(
        explainer, pipe, seen, people, 1, mutability, sparsify=sparsify
    )
    return [(label, round(share * max(n_oracle, 1)), n_oracle, bad)]


def _wide(rng, sparsify, changes):
    encoders = ("onehot", "first", "if_binary", "scaled", "ordinal")
    label = (
        int(rng.integers(0, 10_000)),  # seed
        tuple(str(e) for e in rng.choice(encoders, 2)),
        tuple(str(s) for s in rng.choice(list(cases.SCALERS), 2)),
        str(rng.choice(["none", "impute", "indicator"])),
        str(rng.choice(["logistic", "mlp", "vanilla", "full"])),
        str(rng.choice(["increase", "decrease", "both"])),  # priors
        str(rng.choice(["both", "both", "none"])),  # housing
        bool(rng.random() < 0.5),  # a label of steps
        tuple(  # more immutable columns: recourse through few levers
            str(c)
            for c in rng.choice(
                wide.LEVERS, int(rng.integers(0, len(wide.LEVERS))), replace=False
            )
        ),
    )
    domain = str(rng.choice(["observed", "infer", "none"]))
    pipe, X, mutability = wide._wide_pipeline(*label)
    share, n_oracle, bad = wide.wide_share(
        pipe,
        X,
        mutability,
        None if domain == "none" else domain,
        max_changes=changes,
        sparsify=sparsify,
    )
    return [((*label, domain), round(share * max(n_oracle, 1)), n_oracle, bad)]


def _pipelines(rng, which):
    seed = int(rng.integers(0, 10_000))
    objective = str(rng.choice(["vanilla", "full"]))
    if which == "loans":
        pipe, X_train, X_test, mutability = cases._loans(objective, seed=seed)
        label = (seed, objective)
    else:
        count = str(rng.choice(["increase", "decrease", "both"]))
        mutability = {"age": "none", "priors_count": count}
        columns = ["age", "length_of_stay", "priors_count", "charge_degree"]
        if rng.random() < 0.5:
            columns, mutability = [*columns, "sex"], {**mutability, "sex": "none"}
        pipe, X_train, X_test = cases._justice_pipeline(
            columns, mutability, objective=objective, seed=seed
        )
        label = (seed, objective, count, len(columns))
    out = []
    for favourable in (0, 1):
        people = X_test[pipe.predict(X_test) != favourable].head(60)
        if not len(people):
            continue
        explainer = CounterfactualExplainer(pipe).fit(X_train)
        share, n_oracle, bad = cases._share(
            explainer, pipe, X_train, people, favourable, mutability
        )
        found = round(share * max(n_oracle, 1))
        out.append(((*label, favourable), found, n_oracle, bad))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "mode", choices=["mixed", "variants", "wide", "justice", "loans"]
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--domain", choices=["observed", "infer"], default="observed")
    parser.add_argument("--sparsify", action="store_true")
    parser.add_argument(
        "--changes", type=int, default=2, help="wide: most columns the oracle changes"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    rng, start, n_cases, n_missed = np.random.default_rng(args.seed), time.time(), 0, 0
    n_people = 0
    while time.time() - start < args.seconds:
        n_cases += 1
        if args.mode == "mixed":
            outcomes = _mixed(rng, args.domain, args.sparsify)
        elif args.mode == "variants":
            outcomes = _variants(rng, args.sparsify)
        elif args.mode == "wide":
            outcomes = _wide(rng, args.sparsify, args.changes)
        else:
            outcomes = _pipelines(rng, args.mode)
        for label, found, n_oracle, bad in outcomes:
            n_people += n_oracle
            if bad or found < n_oracle:
                n_missed += 1
                what = "VIOLATION" if bad else "MISS"
                print(what, label, f"found {found} of {n_oracle}", flush=True)
    package = Path(sys.modules["sklearn_ct"].__file__).parent
    print(
        f"done {n_cases} cases, {n_missed} with a miss or a violation, "
        f"{n_people} people with recourse by the oracle ({package})"
    )


if __name__ == "__main__":
    main()
