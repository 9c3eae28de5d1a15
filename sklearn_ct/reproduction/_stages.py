"""The protocol's fits and evaluations as tasks of one joblib pool.

:func:`train_models` fits every model (per seed and data set a ``"single"``
and a ``"protected"`` pair of baseline ``"BL"`` and CT models, one torch
thread each), :func:`evaluate_models` evaluates every pair on the test split,
and :func:`fit_and_evaluate` does both per pair in one task, with no barrier
between the stages (what :func:`~sklearn_ct.reproduction.reproduce` runs).
Every task's seed derives from the run's seed, the seed index and its key,
so the outputs do not depend on where or in which order the tasks ran.
"""

from __future__ import annotations

import warnings

from . import _evaluation
from ._parallel import joined, run_tasks
from ._protocol import (
    _IMAGES,
    MODELS,
    PAIRS,
    PAPER_SETTINGS,
    _task_seed,
    make_model,
    protocol,
)
from ._schedule import expected_seconds


def _keys(data: dict):
    """Per key of ``data``: the key, as a tuple, its seed index and data set."""
    for key in data:
        prefix = key if isinstance(key, tuple) else (key,)
        yield key, prefix, (prefix[0] if len(prefix) > 1 else 0), prefix[-1]


def train_models(
    data: dict,
    *,
    quick=False,
    n_jobs=1,
    random_state=0,
    bar=None,
    log=None,
    reference_zero_ridge=False,
    seconds=None,
    device="cpu",
) -> dict:
    """Fit the four models of every data set, all fits through one joblib pool.

    Parameters
    ----------
    data : dict
        Maps data set names, or ``(seed index, name)`` pairs, to
        :func:`prepare_data` outputs. A name alone is seed index 0.
    quick : bool, default=False
        The quick protocol of :func:`protocol`.
    n_jobs : int, default=1
        Parallel fits (joblib; ignored on a Dask cluster).
    random_state : int, default=0
        Each fit's seed derives from it, the seed index and (data set, pair,
        model); seed index 0 keeps the seeds of a one-seed run.
    bar : tqdm, default=None
        Advanced per finished fit.
    log : dict, default=None
        Collects the fits' warnings by "/"-joined key.
    reference_zero_ridge : bool, default=False
        As in :func:`make_model`.
    seconds : dict, default=None
        Collects each fit's ``{"wall": ..., "cpu": ...}`` seconds by
        "/"-joined key.
    device : str, default="cpu"
        As in :func:`make_model`.

    Returns
    -------
    dict
        ``{(*key, pair, model): fitted classifier}`` for every key of
        ``data`` (a name counting as ``(name,)``).

    Examples
    --------
    >>> from sklearn_ct.reproduction import prepare_data
    >>> data = prepare_data("moons")
    >>> data.X_train, data.y_train = data.X_train[:200], data.y_train[:200]
    >>> models = train_models({"moons": data}, quick=True)
    >>> sorted(models)
    [('moons', 'protected', 'BL'), ('moons', 'protected', 'CT'), \
('moons', 'single', 'BL'), ('moons', 'single', 'CT')]
    >>> models["moons", "protected", "CT"].mutability  # the protected feature
    ['none', 'both']
    """
    keys, tasks, costs = [], [], []
    for key, estimator, X, y, cost in _fits(
        data, quick, random_state, reference_zero_ridge, device
    ):
        keys.append(key)
        tasks.append((estimator.fit, (X, y), {}))
        costs.append(cost)
    return run_tasks(keys, tasks, n_jobs, bar, log, costs=costs, seconds=seconds)


def _fits(data, quick, random_state, reference_zero_ridge, device):
    """Per fit of :func:`train_models`: its key, the unfitted model, its
    training data and its expected seconds."""
    for key, prefix, seed, name in _keys(data):
        for pair in PAIRS:
            for model in MODELS:
                estimator = make_model(
                    data[key],
                    pair,
                    model,
                    quick=quick,
                    random_state=_task_seed(random_state, seed, name, pair, model),
                    reference_zero_ridge=reference_zero_ridge,
                    device=device,
                )
                yield (
                    (*prefix, pair, model),
                    estimator,
                    data[key].X_train,
                    data[key].y_train,
                    expected_seconds(name, model),
                )


def evaluate_models(
    data: dict,
    models: dict,
    *,
    quick=False,
    n_jobs=1,
    random_state=0,
    bar=None,
    log=None,
    step_size=None,
    seconds=None,
) -> dict:
    """:func:`~sklearn_ct.reproduction.evaluate_pair` for every data set and pair.

    One parallel task per pair, the longest first; each evaluation's seed
    derives from ``random_state``, the seed index and (data set, pair).

    Parameters
    ----------
    data : dict
        As in :func:`train_models`.
    models : dict
        The output of :func:`train_models`.
    quick, n_jobs, random_state, bar, log, seconds
        As in :func:`train_models` (per evaluation).
    step_size : float or None, default=None
        As in :func:`~sklearn_ct.reproduction.protocol`.

    Returns
    -------
    dict
        ``{(*key, pair): dict of results}`` (outputs of
        :func:`~sklearn_ct.reproduction.evaluate_pair`).

    Examples
    --------
    >>> from sklearn_ct import CounterfactualTrainingClassifier
    >>> from sklearn_ct.reproduction import prepare_data
    >>> data = prepare_data("moons")  # a few rows, and two quick stand-in models:
    >>> data.X_train, data.y_train = data.X_train[:300], data.y_train[:300]
    >>> data.X_test, data.y_test = data.X_test[:100], data.y_test[:100]
    >>> fitted = {
    ...     name: CounterfactualTrainingClassifier(
    ...         objective=objective, max_epochs=5, random_state=0
    ...     ).fit(data.X_train, data.y_train)
    ...     for name, objective in [("BL", "vanilla"), ("CT", "full")]}
    >>> models = {("moons", pair, name): model
    ...           for pair in ("single", "protected") for name, model in fitted.items()}
    >>> results = evaluate_models({"moons": data}, models, quick=True)
    >>> sorted(results)
    [('moons', 'protected'), ('moons', 'single')]
    >>> sorted(results["moons", "protected"])
    ['accuracy', 'per_round', 'seconds', 'sensitivity']
    """
    keys, tasks, costs = [], [], []
    for key, pair_models, X, y, kwargs, cost in _evaluations(
        data, models, quick, random_state, step_size
    ):
        keys.append(key)
        tasks.append((_evaluation.evaluate_pair, (pair_models, X, y), kwargs))
        costs.append(cost)
    return run_tasks(keys, tasks, n_jobs, bar, log, costs=costs, seconds=seconds)


def _evaluations(data, models, quick, random_state, step_size):
    """Per evaluation of :func:`evaluate_models`: its key, the pair's models
    (``{"BL": ..., "CT": ...}``), the test data, the keyword arguments of
    :func:`~sklearn_ct.reproduction.evaluate_pair` and its expected seconds."""
    settings = protocol(quick, step_size)
    for key, prefix, seed, name in _keys(data):
        for pair in PAIRS:
            base = (*prefix, pair)
            kwargs = {
                "single": pair == "single",
                "settings": _pair_settings(settings, name),
                "n_individuals": max(
                    10,
                    PAPER_SETTINGS[name]["n_individuals"]
                    // settings["individuals_divisor"],
                ),
                "protected": data[key].protected,
                "images": name in _IMAGES and pair == "single",
                "random_state": _task_seed(random_state, seed, name, pair, "evaluate"),
            }
            yield (
                base,
                {m: models[(*base, m)] for m in MODELS},
                data[key].X_test,
                data[key].y_test,
                kwargs,
                expected_seconds(name, pair),
            )


def fit_and_evaluate(
    data: dict,
    *,
    quick=False,
    n_jobs=1,
    random_state=0,
    bar=None,
    log=None,
    reference_zero_ridge=False,
    step_size=None,
    device="cpu",
    seconds=None,
) -> tuple[dict, dict]:
    """:func:`train_models` and :func:`evaluate_models` with no barrier between them.

    One parallel task per pair fits its baseline and CT models, then
    evaluates the pair, so a worker never waits for the last fit of another
    data set before it can evaluate (the two stages one after the other left
    a core idle at their junction). The models, seeds and results are those
    of the two stages run apart.

    Parameters
    ----------
    data : dict
        As in :func:`train_models`.
    quick, n_jobs, random_state, bar, log, reference_zero_ridge, device
        As in :func:`train_models` (``bar`` advances per pair, ``log``
        collects the warnings of each fit and each evaluation).
    step_size : float or None, default=None
        As in :func:`evaluate_models`.
    seconds : dict, default=None
        Collects ``{"fit": {key: ...}, "evaluate": {key: ...}}``: the wall-clock
        and CPU seconds of each fit and each evaluation, by "/"-joined key.

    Returns
    -------
    models : dict
        As :func:`train_models` returns.
    results : dict
        As :func:`evaluate_models` returns.

    Examples
    --------
    >>> from sklearn_ct.reproduction import prepare_data
    >>> data = prepare_data("moons")
    >>> data.X_train, data.y_train = data.X_train[:200], data.y_train[:200]
    >>> data.X_test, data.y_test = data.X_test[:100], data.y_test[:100]
    >>> models, results = fit_and_evaluate({"moons": data}, quick=True)
    >>> sorted(models) == sorted(train_models({"moons": data}, quick=True))
    True
    >>> sorted(results)
    [('moons', 'protected'), ('moons', 'single')]
    """
    fits = {
        key: (estimator, X, y, cost)
        for key, estimator, X, y, cost in _fits(
            data, quick, random_state, reference_zero_ridge, device
        )
    }
    unfitted = {key: fit[0] for key, fit in fits.items()}
    keys, tasks, costs = [], [], []
    for key, pair_models, X, y, kwargs, cost in _evaluations(
        data, unfitted, quick, random_state, step_size
    ):
        _, X_train, y_train, _ = fits[(*key, next(iter(MODELS)))]
        keys.append(key)
        tasks.append(
            (_fit_then_evaluate, (pair_models, X_train, y_train, X, y), kwargs)
        )
        costs.append(cost + sum(fits[(*key, m)][3] for m in MODELS))
    done = run_tasks(keys, tasks, n_jobs, bar, log, costs=costs)
    models, results = {}, {}
    for key, (fitted, spent, messages, result) in done.items():
        for model, estimator in fitted.items():
            models[(*key, model)] = estimator
            if log is not None and messages[model]:
                log[joined((*key, model))] = messages[model]
            if seconds is not None:
                seconds.setdefault("fit", {})[joined((*key, model))] = spent[model]
        if seconds is not None:
            seconds.setdefault("evaluate", {})[joined(key)] = spent["evaluate"]
        results[key] = result
    return models, results


def _fit_then_evaluate(models, X_train, y_train, X_test, y_test, **kwargs):
    """Fit a pair's models in turn, then evaluate the pair (one task).

    Returns the fitted models, the seconds of each fit and of the evaluation
    (as :func:`~sklearn_ct.reproduction.run_tasks` times a task), each fit's
    warning messages (the evaluation's reach the task's own log) and
    :func:`~sklearn_ct.reproduction.evaluate_pair`'s output.
    """
    spent, messages = {}, {}
    for name, model in models.items():
        with (
            _evaluation._timed(spent, name),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            model.fit(X_train, y_train)
        messages[name] = sorted({str(w.message) for w in caught})
    with _evaluation._timed(spent, "evaluate"):
        result = _evaluation.evaluate_pair(models, X_test, y_test, **kwargs)
    return models, spent, messages, result


def _pair_settings(settings: dict, name: str) -> dict:
    """The protocol's settings for the pairs of ``name``: no refined cost where skipped."""
    if name in settings["refined_cost_skipped"]:
        return {**settings, "refined_cost": False}
    return settings
