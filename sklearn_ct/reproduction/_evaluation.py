"""The paper's evaluation protocol for a pair of models: baseline (BL) and CT.

Functions of fitted models and test data (model input space) returning tidy
DataFrames: the counterfactual benchmark (``_counterfactuals``),
:func:`robustness_curves` (FGSM, PGD), :func:`sensitivity_rounds`
(integrated gradients) and :func:`digit_examples`; :func:`evaluate_pair`
runs what a pair of the protocol needs. Their statistics (reductions,
intervals, seeds, table cells) live in ``_reductions``.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np
import pandas as pd

from ..generators import ECCCoGenerator
from ..metrics import robust_accuracy, sensitivity
from ._counterfactuals import evaluate_counterfactuals

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

    Parameters
    ----------
    models : dict of str -> fitted classifier
        The models to attack.
    X : ndarray of shape (n_samples, n_features)
        Test data, in the models' input space.
    y : ndarray of shape (n_samples,)
        Its labels.
    epsilons : array-like of float, default=np.linspace(0, 0.1, 10)
        Radii of the L-inf ball.
    n_steps : int, default=40
        PGD steps.
    step_size : float, default=0.01
        Size of each PGD step.
    random_state : int, RandomState instance or None, default=None
        Seeds PGD's random start.

    Returns
    -------
    DataFrame
        Columns ``model``, ``attack``, ``epsilon``, ``accuracy``.

    Examples
    --------
    >>> from sklearn_ct import CounterfactualTrainingClassifier
    >>> from sklearn_ct.reproduction import prepare_data
    >>> data = prepare_data("moons")
    >>> X, y = data.X_train[:300], data.y_train[:300]  # quick stand-ins
    >>> models = {name: CounterfactualTrainingClassifier(
    ...     objective=objective, max_epochs=5, random_state=0).fit(X, y)
    ...     for name, objective in [("BL", "vanilla"), ("CT", "full")]}
    >>> curves = robustness_curves(models, data.X_test[:100], data.y_test[:100],
    ...                            epsilons=[0.0, 0.3], n_steps=5, random_state=0)
    >>> curves.shape, curves.columns.tolist()
    ((8, 4), ['model', 'attack', 'epsilon', 'accuracy'])
    >>> wide = curves.pivot_table("accuracy", ["model", "attack"], "epsilon")
    >>> bool((wide[0.3] <= wide[0.0]).all())  # the attacks lower the accuracy
    True
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
    and the random U(-1, 1) baseline are the same for every model. The
    values are :func:`~sklearn_ct.metrics.sensitivity`'s.

    Parameters
    ----------
    models : dict of str -> fitted classifier
        The models to compare.
    X : ndarray of shape (n_samples, n_features)
        Test data, in the models' input space.
    features : sequence of int
        Model-space positions of the features.
    n_rounds : int, default=20
        Bootstrap rounds.
    n_rows : int, default=2500
        Rows per round, at most.
    normalize : {"minmax", "range"} or None, default="minmax"
        Passed to :func:`~sklearn_ct.metrics.sensitivity` (the reference uses
        ``"range"`` for two-feature data).
    random_state : int, Generator or None, default=None
        Seeds the rows and the baselines.

    Returns
    -------
    DataFrame
        Columns ``model``, ``round``, ``sensitivity``.

    Examples
    --------
    The sensitivity to the protected (immutable) first feature of moons:

    >>> from sklearn_ct import CounterfactualTrainingClassifier
    >>> from sklearn_ct.reproduction import prepare_data
    >>> data = prepare_data("moons")
    >>> X, y = data.X_train[:300], data.y_train[:300]  # quick stand-ins
    >>> models = {name: CounterfactualTrainingClassifier(
    ...     objective=objective, max_epochs=5, random_state=0).fit(X, y)
    ...     for name, objective in [("BL", "vanilla"), ("CT", "full")]}
    >>> rounds = sensitivity_rounds(models, data.X_test, data.protected, n_rounds=2,
    ...                             n_rows=20, normalize="range", random_state=0)
    >>> rounds.shape, rounds.columns.tolist()
    ((4, 3), ['model', 'round', 'sensitivity'])
    """
    rng = np.random.default_rng(random_state)
    X = np.asarray(X, dtype=float)
    rows = []
    for r in range(n_rounds):
        sample = X[rng.integers(len(X), size=min(n_rows, len(X)))]
        seed = int(rng.integers(2**31 - 1))
        for name, model in models.items():
            value = sensitivity(
                model, sample, features, normalize=normalize, random_state=seed
            )
            rows.append({"model": name, "round": r, "sensitivity": value})
    return pd.DataFrame(rows)


def summarise_sensitivity(rounds: pd.DataFrame) -> pd.DataFrame:
    """Median and 2.5%/97.5% percentiles of :func:`sensitivity_rounds` per model.

    Parameters
    ----------
    rounds : DataFrame
        The output of :func:`sensitivity_rounds`.

    Returns
    -------
    DataFrame
        Indexed by model, columns ``median``, ``q025``, ``q975``.

    Examples
    --------
    >>> rounds = pd.DataFrame({"model": ["BL", "CT"] * 3, "round": [0, 0, 1, 1, 2, 2],
    ...                        "sensitivity": [0.30, 0.10, 0.40, 0.12, 0.35, 0.08]})
    >>> summarise_sensitivity(rounds).round(3)  # doctest: +NORMALIZE_WHITESPACE
           median   q025   q975
    model
    BL       0.35  0.302  0.398
    CT       0.10  0.081  0.119
    """
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

    Parameters
    ----------
    models : dict of str -> fitted classifier
        The models to compare (``"BL"``, ``"CT"``).
    X : ndarray of shape (n_samples, n_pixels)
        Test images, in the models' input space.
    n_images : int, default=8
        Images explained.
    lambda_energy : float, default=1.0
        Weight of ECCCo's energy penalty.
    decision_threshold : float, default=0.95
        ``p(target)`` at which a search stops.
    max_iter : int, default=50
        Search steps at most.
    step_size : float, default=0.1
        The search's fixed step.
    random_state : int, Generator or None, default=None
        Seeds the choice of images and targets.

    Returns
    -------
    factuals : ndarray of shape (n_images, n_pixels)
        Test rows every model predicts as the same class.
    counterfactuals : dict of str -> ndarray of shape (n_images, n_pixels)
    targets : ndarray of shape (n_images,)

    Examples
    --------
    >>> from sklearn_ct import CounterfactualTrainingClassifier
    >>> from sklearn_ct.reproduction import prepare_data
    >>> data = prepare_data("digits")  # scikit-learn's 8x8 digits, in [-1, 1]
    >>> models = {
    ...     name: CounterfactualTrainingClassifier(
    ...         objective=objective, max_epochs=2, random_state=0
    ...     ).fit(data.X_train, data.y_train)
    ...     for name, objective in [("BL", "vanilla"), ("CT", "full")]}
    >>> factuals, counterfactuals, targets = digit_examples(
    ...     models, data.X_test, n_images=2, max_iter=10, random_state=0)
    >>> factuals.shape, counterfactuals["CT"].shape, targets.shape
    ((2, 64), (2, 64), (2,))
    >>> bool((models["BL"].predict(factuals) != targets).all())  # another class
    True
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
            step_size=step_size,
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


@contextmanager
def _timed(seconds: dict, name: str):
    """Record the block's wall-clock and CPU seconds as ``seconds[name]``."""
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    seconds[name] = {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
    }


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

    Parameters
    ----------
    models : dict of str -> CounterfactualTrainingClassifier
        The pair: ``"BL"`` and ``"CT"``.
    X : ndarray of shape (n_samples, n_features)
        Test data, in the models' input space.
    y : ndarray of shape (n_samples,)
        Its labels.
    single : bool
        The unconstrained pair (else the protected one).
    settings : dict
        The output of :func:`~sklearn_ct.reproduction.protocol`.
    n_individuals : int
        Individuals per round and energy weight.
    protected : sequence of int, default=()
        Model-space positions of the protected features.
    images : bool, default=False
        Also explain a few images (:func:`digit_examples`).
    random_state : int or None, default=None
        Seeds every draw of the evaluation.

    Returns
    -------
    dict
        ``per_round``, ``accuracy`` and ``robustness`` or ``sensitivity``
        (DataFrames), with ``images`` the tuple ``digits``, and ``seconds``:
        the ``wall`` (wall-clock) and ``cpu`` (CPU time) seconds of each of
        these parts, ``per_round``'s as ``counterfactuals``.

    Examples
    --------
    >>> from sklearn_ct import CounterfactualTrainingClassifier
    >>> from sklearn_ct.reproduction import prepare_data
    >>> data = prepare_data("moons")
    >>> X, y = data.X_train[:300], data.y_train[:300]  # quick stand-ins
    >>> models = {name: CounterfactualTrainingClassifier(
    ...     objective=objective, max_epochs=5, random_state=0).fit(X, y)
    ...     for name, objective in [("BL", "vanilla"), ("CT", "full")]}
    >>> from sklearn_ct.reproduction import protocol
    >>> X_test, y_test = data.X_test[:100], data.y_test[:100]
    >>> single = evaluate_pair(models, X_test, y_test, single=True, n_individuals=10,
    ...                        settings=protocol(quick=True), random_state=0)
    >>> sorted(single), sorted(single["seconds"])
    (['accuracy', 'per_round', 'robustness', 'seconds'], \
['accuracy', 'counterfactuals', 'robustness'])
    >>> protected = evaluate_pair(
    ...     models, X_test, y_test, single=False, n_individuals=10,
    ...     settings=protocol(quick=True), protected=data.protected, random_state=0)
    >>> sorted(protected)
    ['accuracy', 'per_round', 'seconds', 'sensitivity']
    """
    seconds, out = {}, {}
    with _timed(seconds, "counterfactuals"):
        out["per_round"] = evaluate_counterfactuals(
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
    with _timed(seconds, "accuracy"):
        out["accuracy"] = pd.DataFrame(
            [{"model": k, "accuracy": m.score(X, y)} for k, m in models.items()]
        )
    if single:
        with _timed(seconds, "robustness"):
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
        with _timed(seconds, "sensitivity"):
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
        with _timed(seconds, "digits"):
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
    out["seconds"] = seconds
    return out
