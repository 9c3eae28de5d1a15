"""Exhaustive recourse oracle over the allowed values (a test helper).

For each person, every combination of the values each column may take
(every category level, every integer or a grid of integers, a grid of
numbers; only upwards for an increase-only column, downwards for a
decrease-only one, the factual's own value for an immutable one) is sent
through the fitted model; recourse exists when one of them is predicted as
the target. Used on small column subsets (three or four columns), where the
product stays small, to check that the package's search finds recourse
wherever this brute force does; on wide tables :func:`sparse_recourse`
tries every change of at most two columns instead.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from sklearn_ct.explain import MARGIN

#: Largest number of integers of a column enumerated one by one; above it,
#: an integer grid of ``n_grid`` points.
MAX_INTEGERS = 60


def make_justice(n_samples=600, random_state=0):
    """A criminal-justice-like table: counts, a long stay, categories.

    Columns: ``age`` (years, integer), ``length_of_stay`` (days, integer
    0 to 799), ``priors_count`` (integer, 0 to 30), ``charge_degree``
    (``"F"``, ``"M"`` or ``"O"``) and ``sex``. ``y = 1``: reoffends.
    """
    rng = check_random_state(random_state)
    age = rng.randint(18, 70, n_samples)
    stay = np.minimum(np.round(rng.exponential(60, n_samples)), 799).astype(int)
    priors = np.minimum(rng.poisson(2.5, n_samples), 30)
    degree = rng.choice(["F", "M", "O"], n_samples, p=[0.55, 0.35, 0.10])
    sex = rng.choice(["Male", "Female"], n_samples, p=[0.8, 0.2])
    score = (
        0.35 * (priors - 2.5)
        - 0.04 * (age - 35)
        + 0.004 * (stay - 60)
        + 0.6 * (degree == "F")
        - 0.5 * (degree == "O")
        + 0.3 * (sex == "Male")
    )
    y = (score + rng.logistic(0, 0.6, n_samples) > 0).astype(int)
    X = pd.DataFrame(
        {
            "age": age,
            "length_of_stay": stay,
            "priors_count": priors,
            "charge_degree": degree,
            "sex": sex,
        }
    )
    return X, y


def allowed_values(X_train, factual, mutability, n_grid=25):
    """The values each column of one person may take, as a dict of arrays.

    Parameters
    ----------
    X_train : DataFrame
        Its observed ranges and levels bound every column.
    factual : Series
        The person.
    mutability : dict
        ``"both"`` (default), ``"increase"``, ``"decrease"`` or ``"none"``
        per column name.
    n_grid : int, default=25
        Grid points of a numeric column (and of an integer column with more
        than ``MAX_INTEGERS`` values).
    """
    values = {}
    for col in X_train.columns:
        own = factual[col]
        how = mutability.get(col, "both")
        column = X_train[col]
        if how == "none":
            values[col] = np.array([own], dtype=object)
            continue
        if column.dtype.kind not in "iuf":  # a category: every level, and its own
            values[col] = np.array(sorted(set(column) | {own}), dtype=object)
            continue
        low, high = column.min(), column.max()
        if column.dtype.kind in "iu":
            grid = (
                np.arange(low, high + 1)
                if high - low < MAX_INTEGERS
                else np.unique(np.round(np.linspace(low, high, n_grid)))
            )
        else:
            grid = np.linspace(low, high, n_grid)
        if how == "increase":
            grid = grid[grid >= own]
        elif how == "decrease":
            grid = grid[grid <= own]
        values[col] = np.unique(np.append(grid, own)).astype(object)
    return values


def exhaustive_recourse(
    predict, factuals, target, X_train, mutability, n_grid=25, chunk=200_000
):
    """Which people have recourse among the allowed values (brute force).

    Parameters
    ----------
    predict : callable
        DataFrame -> predicted labels (a fitted pipeline's ``predict``).
    factuals : DataFrame
        The people, with the columns of ``X_train``.
    target : label
        The class they should reach.
    X_train, mutability, n_grid
        As for :func:`allowed_values`.
    chunk : int, default=200_000
        Rows predicted at once.

    Returns
    -------
    ndarray of bool, shape (n_people,)
    """
    frames = []
    for _, row in factuals.iterrows():
        values = allowed_values(X_train, row, mutability, n_grid)
        combos = list(itertools.product(*values.values()))
        frames.append(pd.DataFrame(combos, columns=list(values)))
    return _any_hit(predict, frames, target, X_train, chunk)


def sparse_recourse(
    predict, factuals, target, X_train, mutability, max_changes=2, n_grid=15
):
    """Which people have recourse changing at most ``max_changes`` columns.

    The oracle for wide tables, where the product of every column's values
    is too large: for each person, every set of at most ``max_changes``
    mutable columns, with every combination of their allowed values
    (:func:`allowed_values`) and the other columns kept, is predicted.

    Parameters
    ----------
    predict : callable
        DataFrame -> predicted labels.
    factuals : DataFrame
        The people, with the columns of ``X_train``.
    target : label
        The class they should reach.
    X_train, mutability, n_grid
        As for :func:`allowed_values`.
    max_changes : int, default=2
        Most columns changed at once.

    Returns
    -------
    ndarray of bool, shape (n_people,)
    """
    frames = []
    for _, row in factuals.iterrows():
        values = allowed_values(X_train, row, mutability, n_grid)
        free = [c for c in values if len(values[c]) > 1]
        subsets = [
            subset
            for k in range(1, max_changes + 1)
            for subset in itertools.combinations(free, k)
        ]
        changes = []
        for subset in subsets:
            combos = pd.DataFrame(
                list(itertools.product(*(values[c] for c in subset))),
                columns=list(subset),
            )
            frame = pd.DataFrame([row] * len(combos)).reset_index(drop=True)
            frame[list(subset)] = combos
            changes.append(frame)
        empty = pd.DataFrame(columns=factuals.columns)  # nothing may change
        frames.append(pd.concat(changes, ignore_index=True) if changes else empty)
    return _any_hit(predict, frames, target, X_train)


def _any_hit(predict, frames, target, X_train, chunk=200_000):
    """Per person (one frame of candidates each), whether any is predicted as
    ``target``; ``chunk`` rows are predicted at once."""
    owner = np.repeat(np.arange(len(frames)), [len(f) for f in frames])
    if not len(owner):
        return np.zeros(len(frames), dtype=bool)
    table = pd.concat(frames, ignore_index=True).astype(
        {c: X_train[c].dtype for c in X_train.columns}
    )
    hits = np.concatenate(
        [
            np.asarray(predict(table.iloc[s : s + chunk])) == target
            for s in range(0, len(table), chunk)
        ]
    )
    return np.bincount(owner, weights=hits, minlength=len(frames)) > 0


def decisive_predict(estimator, margin=MARGIN):
    """``estimator``'s labels, where the top class wins by ``margin`` in logits.

    The package accepts a counterfactual only when its target class beats
    every other class by :data:`sklearn_ct.explain.MARGIN` in logits (so it
    keeps its class in another float precision); an oracle that counted a
    bare ``predict`` would credit points that no explainer may return. Rows
    without such a winner get the label ``None``, which is never a target.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba`` and ``classes_``
        The model whose decisions the oracle checks.
    margin : float, default=MARGIN
        Logit margin by which the top class must win.

    Returns
    -------
    callable
        DataFrame -> ndarray of labels (object dtype).
    """

    def predict(X):
        with np.errstate(divide="ignore"):
            log_p = np.log(estimator.predict_proba(X))
        order = np.sort(log_p, axis=1)
        winner = estimator.classes_[log_p.argmax(axis=1)].astype(object)
        winner[order[:, -1] - order[:, -2] < margin] = None
        return winner

    return predict
