"""The paper's evaluation protocol for a pair of models: baseline (BL) and CT.

Functions of fitted models and test data (model input space) returning tidy
DataFrames (the paper's evaluation protocol): :func:`evaluate_counterfactuals` (validity, cost, IP,
IP* per energy weight, bootstrap round and model; one batched search per model
and weight), :func:`robustness_curves` (FGSM, PGD) and
:func:`sensitivity_rounds` (integrated gradients); :func:`evaluate_pair` runs
what a pair of the protocol needs. Their statistics (reductions, intervals,
seeds, table cells) live in ``_reductions``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from ..generators import ECCCoGenerator
from ..metrics import cost, explanation_summary, robust_accuracy, sensitivity

# ---------------------------------------------------------------------------
# Counterfactual benchmark
# ---------------------------------------------------------------------------


def sample_individuals(predictions, classes, n: int, rng):
    """Draw individuals that every model predicts as their factual class.

    Per individual: a factual class uniform over the classes every model
    predicts for at least one common row, a target uniform over the other
    classes, then a random row (with replacement) every model predicts as the
    factual class. The same draws serve all models (our choice; the reference
    drew per model).

    Parameters
    ----------
    predictions : sequence of array-like of shape (n_rows,)
        Predicted labels of each model on the same rows.
    classes : array-like of shape (n_classes,)
    n : int
        Number of individuals.
    rng : numpy.random.Generator

    Returns
    -------
    rows : ndarray of int, shape (n,)
    factual, target : ndarray of shape (n,)
        Class labels; ``target != factual``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rows, factual, target = sample_individuals(
    ...     [np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])], [0, 1], 5, rng)
    >>> sorted(set(rows[factual == 1].tolist())), bool((factual != target).all())
    ([1], True)
    """
    classes = np.asarray(classes)
    first = np.asarray(predictions[0])
    agree = np.all([np.asarray(p) == first for p in predictions], axis=0)
    pools = [np.flatnonzero(agree & (first == c)) for c in classes]
    eligible = np.flatnonzero([len(pool) > 0 for pool in pools])
    if not len(eligible):
        raise ValueError("No row is predicted as the same class by every model.")
    factual = rng.choice(eligible, size=n)
    target = (factual + rng.integers(1, len(classes), size=n)) % len(classes)
    rows = np.empty(n, dtype=np.int64)
    for k in eligible:  # a loop over classes, never over individuals
        chosen = factual == k
        rows[chosen] = rng.choice(pools[k], size=int(chosen.sum()))
    return rows, classes[factual], classes[target]


def _rows(result, part: slice) -> SimpleNamespace:
    """The factuals, counterfactuals, validity and targets of ``result[part]``."""
    return SimpleNamespace(
        model_factuals=result.model_factuals[part],
        model_counterfactuals=result.model_counterfactuals[part],
        valid=result.valid[part],
        target=result.target[part],
    )


def _round_metrics(part, X_ref, y_ref, seed, *, length_scale, n_ip, n_mmd):
    return {
        "n": len(part.valid),
        "n_valid": int(np.sum(part.valid)),
        **explanation_summary(
            part,
            X_ref,
            y_ref,
            length_scale=length_scale,
            n_ip_samples=n_ip,
            n_mmd_samples=n_mmd,
            random_state=seed,
        ),
    }


def evaluate_counterfactuals(
    models,
    X,
    y,
    *,
    decision_threshold=0.95,
    lambdas=(0.1, 0.5, 1.0, 5.0, 10.0),
    n_rounds=100,
    n_individuals=100,
    max_iter=50,
    step_size=0.1,
    length_scale=5.0,
    n_ip_samples=1000,
    n_mmd_samples=100,
    refined_cost=False,
    random_state=None,
) -> pd.DataFrame:
    """Validity, cost, IP and IP* per energy weight, bootstrap round and model.

    For each energy weight, ``n_rounds * n_individuals`` individuals are drawn
    by :func:`sample_individuals` (the same for every model) and each model
    explains all of them in one batched search: ECCCo with ``lambda_cost=0``,
    at most ``max_iter`` gradient steps of ``step_size``. Per round, over the
    valid counterfactuals only: cost (mean L1 to the factual), IP (mean L1 to
    ``n_ip_samples`` target-class rows of ``X`` drawn with replacement) and
    IP* (unbiased MMD to target-class rows, each side subsampled to at most
    ``n_mmd_samples``, clamped at 0), both per target weighted by counts;
    validity over all. The reference draws are shared by the models.

    ``models`` maps names (``"BL"``, ``"CT"``) to fitted
    :class:`~sklearn_ct.CounterfactualTrainingClassifier` with the same
    classes; ``X``, ``y`` are test data in their input space and labels.
    Returns a DataFrame with one row per (lambda_energy, round, model):
    ``n``, ``n_valid``, ``validity``, ``cost``, ``IP``, ``IP*`` (nan without
    valid counterfactuals).

    With ``refined_cost=True`` each model explains the same individuals a
    second time with ``refine=True`` (the package's default explainer: the
    cheapest valid point it finds back toward the factual; the search itself
    is deterministic, so these refine the very counterfactuals above), and
    ``cost_refined`` is their mean L1 cost over the valid ones. It is the
    cost without the last fixed step's overshoot, which the paper's cost
    includes (``research/notes/protected_cost.md``); it is not in the paper.
    """
    rng = np.random.default_rng(random_state)
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    names = list(models)
    predictions = [models[name].predict(X) for name in names]
    n = n_rounds * n_individuals
    rows = []
    for lam in lambdas:
        index, _, target = sample_individuals(
            predictions, models[names[0]].classes_, n, rng
        )
        seeds = rng.integers(2**31 - 1, size=n_rounds)
        generator = ECCCoGenerator(lambda_cost=0.0, lambda_energy=float(lam))
        for name in names:
            options = dict(
                target=target,
                generator=generator,
                decision_threshold=decision_threshold,
                max_iter=max_iter,
                lr=step_size,
                fallback=False,
            )
            # all rounds in one batched search; the paper's search: gradient
            # steps only (no discrete fallback), no refinement
            result = models[name].explain(X[index], refine=False, **options)
            refined = (
                models[name].explain(X[index], refine=True, **options)
                if refined_cost
                else None
            )
            for r in range(n_rounds):
                part = slice(r * n_individuals, (r + 1) * n_individuals)
                row = {
                    "lambda_energy": float(lam),
                    "round": r,
                    "model": name,
                    **_round_metrics(
                        _rows(result, part),
                        X,
                        y,
                        int(seeds[r]),
                        length_scale=length_scale,
                        n_ip=n_ip_samples,
                        n_mmd=n_mmd_samples,
                    ),
                }
                if refined is not None:
                    row["cost_refined"] = cost(_rows(refined, part))
                rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# Robustness, sensitivity, digits
# ---------------------------------------------------------------------------


def robustness_curves(
    models,
    X,
    y,
    *,
    epsilons=np.linspace(0, 0.1, 10),  # noqa: B008
    n_steps=40,
    step_size=0.01,
    random_state=None,
) -> pd.DataFrame:
    """FGSM and PGD accuracy per model and radius, clamped to each model's domain.

    PGD takes ``n_steps`` of ``step_size`` from a random start seeded by
    ``random_state``. Returns columns ``model``, ``attack``, ``epsilon``,
    ``accuracy``.
    """
    frames = []
    for name, model in models.items():
        for attack in ("fgsm", "pgd"):
            accuracy = robust_accuracy(
                model,
                X,
                y,
                epsilons=epsilons,
                attack=attack,
                n_steps=n_steps,
                step_size=step_size,
                domain="estimator",
                random_state=random_state,
            )
            frames.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "attack": attack.upper(),
                        "epsilon": np.asarray(epsilons, dtype=float),
                        "accuracy": accuracy,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def sensitivity_rounds(
    models,
    X,
    features,
    *,
    n_rounds=20,
    n_rows=2500,
    normalize="minmax",
    random_state=None,
) -> pd.DataFrame:
    """Integrated-gradient sensitivity to ``features`` over bootstrap rounds.

    Each round draws ``min(n_rows, len(X))`` rows with replacement; the rows
    and the random U(-1, 1) baseline are the same for every model.

    ``features`` are model-space positions; ``normalize`` is passed to
    :func:`~sklearn_ct.metrics.sensitivity` (the reference uses ``"range"``
    for two-feature data). Returns columns ``model``, ``round``,
    ``sensitivity``.
    """
    rng = np.random.default_rng(random_state)
    X = np.asarray(X, dtype=float)
    rows = []
    for r in range(n_rounds):
        sample = X[rng.integers(len(X), size=min(n_rows, len(X)))]
        seed = int(rng.integers(2**31 - 1))
        for name, model in models.items():
            value = sensitivity(
                model,
                sample,
                list(features),
                baseline="random",
                normalize=normalize,
                random_state=seed,
            )
            rows.append({"model": name, "round": r, "sensitivity": value})
    return pd.DataFrame(rows)


def summarise_sensitivity(rounds: pd.DataFrame) -> pd.DataFrame:
    """Median and 2.5%/97.5% percentiles of :func:`sensitivity_rounds` per model."""
    grouped = rounds.groupby("model", sort=False)["sensitivity"]
    return pd.DataFrame(
        {
            "median": grouped.median(),
            "q025": grouped.quantile(0.025),
            "q975": grouped.quantile(0.975),
        }
    )


def digit_examples(
    models,
    X,
    *,
    n_images=8,
    lambda_energy=1.0,
    decision_threshold=0.95,
    max_iter=50,
    step_size=0.1,
    random_state=None,
):
    """Counterfactual images with the same factuals and targets for every model.

    At most ``max_iter`` gradient steps of ``step_size`` (ECCCo with
    ``lambda_cost=0`` and ``lambda_energy``).

    Returns
    -------
    factuals : ndarray of shape (n_images, n_pixels)
        Test rows every model predicts as the same class.
    counterfactuals : dict of str -> ndarray of shape (n_images, n_pixels)
    targets : ndarray of shape (n_images,)
    """
    rng = np.random.default_rng(random_state)
    X = np.asarray(X, dtype=float)
    names = list(models)
    predictions = [models[name].predict(X) for name in names]
    agree = np.flatnonzero(np.all([p == predictions[0] for p in predictions], axis=0))
    rows = np.sort(rng.choice(agree, size=min(n_images, len(agree)), replace=False))
    classes = models[names[0]].classes_
    factual = np.searchsorted(classes, predictions[0][rows])
    targets = classes[
        (factual + rng.integers(1, len(classes), size=len(rows))) % len(classes)
    ]
    generator = ECCCoGenerator(lambda_cost=0.0, lambda_energy=lambda_energy)
    counterfactuals = {
        name: models[name]
        .explain(
            X[rows],
            target=targets,
            generator=generator,
            decision_threshold=decision_threshold,
            max_iter=max_iter,
            lr=step_size,
            refine=False,
            fallback=False,
        )
        .model_counterfactuals
        for name in names
    }
    return X[rows], counterfactuals, targets


# ---------------------------------------------------------------------------
# One pair of the protocol
# ---------------------------------------------------------------------------


def evaluate_pair(
    models,
    X,
    y,
    *,
    single: bool,
    settings: dict,
    n_individuals: int,
    protected=(),
    images: bool = False,
    random_state=None,
) -> dict:
    """Every evaluation of one pair of models, as in the paper's protocol.

    The counterfactual benchmark at ``settings["tau_single"]`` (single pair:
    IP, IP*) or ``settings["tau_protected"]`` (protected pair: cost), clean
    test accuracy, and robustness curves (single pair) or sensitivity to the
    ``protected`` features (protected pair); with ``images``, also
    :func:`digit_examples`.

    ``single`` selects the unconstrained pair (else the protected one);
    ``settings`` is :func:`~sklearn_ct.reproduction.protocol`;
    ``n_individuals`` counts per round and energy weight. Returns a dict of
    ``per_round``, ``accuracy`` and ``robustness`` or ``sensitivity``
    (DataFrames), and with ``images`` the tuple ``digits``.
    """
    out = {
        "per_round": evaluate_counterfactuals(
            models,
            X,
            y,
            decision_threshold=settings["tau_single" if single else "tau_protected"],
            lambdas=settings["lambdas"],
            n_rounds=settings["n_rounds"],
            n_individuals=n_individuals,
            max_iter=settings["max_iter"],
            step_size=settings["step_size"],
            length_scale=settings["length_scale"],
            n_ip_samples=settings["n_ip_samples"],
            n_mmd_samples=settings["n_mmd_samples"],
            refined_cost=not single and settings["refined_cost"],
            random_state=random_state,
        )
    }
    out["accuracy"] = pd.DataFrame(
        [{"model": k, "accuracy": m.score(X, y)} for k, m in models.items()]
    )
    if single:
        out["robustness"] = robustness_curves(
            models,
            X,
            y,
            epsilons=settings["epsilons"],
            n_steps=settings["pgd_steps"],
            step_size=settings["pgd_step_size"],
            random_state=random_state,
        )
    else:
        out["sensitivity"] = sensitivity_rounds(
            models,
            X,
            protected,
            n_rounds=settings["ig_rounds"],
            n_rows=settings["ig_rows"],
            normalize="range" if np.shape(X)[1] == 2 else "minmax",
            random_state=random_state,
        )
    if images:
        out["digits"] = digit_examples(
            models,
            X,
            n_images=settings["digit_images"],
            lambda_energy=settings["digit_lambda_energy"],
            decision_threshold=settings["tau_single"],
            max_iter=settings["max_iter"],
            step_size=settings["step_size"],
            random_state=random_state,
        )
    return out
