"""Small illustrative data sets of borrowers, as tabular data a lender has.

:func:`make_example_data` draws the paper's Example 3.1 (its Figure 1: two
Gaussian classes of borrowers by age and debt, where only debt can change);
:func:`make_loans` draws loan applicants with numbers, counts and a
category, for pipelines with mixed columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

_FEATURES = ("age", "debt")


def make_example_data(
    n_samples=3600, random_state=None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Two Gaussian classes of borrowers: age in years, debt in thousands.

    Class 1 (default) is younger and more indebted: age ~ N(30, 6) and debt ~
    N(65, 10); class 0 (no default): age ~ N(50, 6) and debt ~ N(35, 10).

    Parameters
    ----------
    n_samples : int, default=3600
        Half of them in each class.
    random_state : int, RandomState instance or None, default=None
        Seeds the draw of the rows; None draws fresh ones (the paper's
        Figure 1 and ``sklearn-ct demo`` use 0).

    Returns
    -------
    X : DataFrame with columns "age" and "debt"
    y : ndarray of int
        1 = default.

    Examples
    --------
    >>> X, y = make_example_data(10, random_state=0)
    >>> list(X.columns), y.tolist()
    (['age', 'debt'], [0, 1, 0, 0, 1, 1, 1, 0, 1, 0])
    """
    rng = check_random_state(random_state)
    y = np.repeat([1, 0], [n_samples // 2, n_samples - n_samples // 2])
    centres = np.where(y[:, None] == 1, [30.0, 65.0], [50.0, 35.0])
    X = centres + rng.normal(size=(n_samples, 2)) * [6.0, 10.0]
    order = rng.permutation(n_samples)
    return pd.DataFrame(X[order], columns=list(_FEATURES)), y[order]


def make_loans(n_samples=2000, random_state=None) -> tuple[pd.DataFrame, np.ndarray]:
    """Loan applicants as a lender has them: numbers, counts and a category.

    Columns: ``age`` (years, integer), ``income`` and ``debt`` (thousands a
    year, one decimal), ``dependents`` (integer) and ``housing`` (``"own"``,
    ``"rent"`` or ``"family"``). Default (``y = 1``) is more likely with more
    debt for the income, more dependents, renting, and youth: age separates
    the classes too, but nobody can change it.

    Parameters
    ----------
    n_samples : int, default=2000
        Number of applicants.
    random_state : int, RandomState instance or None, default=None
        Seeds the draw of the applicants and their outcomes; None draws
        fresh ones.

    Returns
    -------
    X : DataFrame
    y : ndarray of int
        1 = default.

    Examples
    --------
    >>> X, y = make_loans(5, random_state=0)
    >>> list(X.columns)
    ['age', 'income', 'debt', 'dependents', 'housing']
    """
    rng = check_random_state(random_state)
    age = rng.randint(18, 71, n_samples)
    income = np.round(rng.lognormal(np.log(45) + 0.01 * (age - 40), 0.35), 1)
    debt = np.round(income * rng.uniform(0.05, 0.9, n_samples), 1)
    dependents = np.minimum(rng.poisson(1.0, n_samples), 5)
    housing = rng.choice(["own", "rent", "family"], n_samples, p=[0.4, 0.45, 0.15])
    score = (
        6.0 * (debt / income - 0.45)
        + 0.4 * (dependents - 1)
        + 0.8 * (housing == "rent")
        - 0.4 * (housing == "own")
        - 0.05 * (age - 40)
    )
    y = (score + rng.logistic(0, 0.5, n_samples) > 0).astype(int)
    X = pd.DataFrame(
        {
            "age": age,
            "income": income,
            "debt": debt,
            "dependents": dependents,
            "housing": housing,
        }
    )
    return X, y
