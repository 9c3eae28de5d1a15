"""CounterfactualResult: counterfactuals, their diagnostics, and a readable table."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

#: Status of each counterfactual in :meth:`CounterfactualResult.to_frame`.
STATUSES = ("valid", "no recourse found", "already target")


@dataclass
class CounterfactualResult:
    """Counterfactuals for ``n`` rows (one or more per factual), with diagnostics.

    Attributes
    ----------
    factuals : ndarray or DataFrame of shape (n, n_features)
        The factual of each row, as given (repeated when a factual has
        several counterfactuals).
    counterfactuals : ndarray or DataFrame of shape (n, n_features)
        Counterfactuals, in the same type, columns and index as ``factuals``,
        in the original units, integers and categories (a pipeline whose
        preprocessing cannot be inverted is refused when fitted). A missing
        value stays missing unless the counterfactual changes that feature.
    target : ndarray of shape (n,)
        Target class labels.
    valid : ndarray of bool, shape (n,)
        The model predicts the target for the returned counterfactual
        (re-predicted on exactly the point returned).
    converged : ndarray of bool, shape (n,)
        The search reached ``p(target) >= decision_threshold``.
    n_iter : ndarray of int, shape (n,)
        Gradient steps of the search whose point is returned, at most
        ``max_iter`` (with ``sparsify``, the second search's when its point
        is kept); refinement and sparsification are not counted.
    predicted : ndarray of shape (n,)
        Predicted class labels of the factuals.
    p_target : ndarray of shape (n,)
        The model's probability of the target class at each returned
        counterfactual.
    model_factuals, model_counterfactuals : ndarray of shape (n, n_model_features)
        Factuals and counterfactuals in the model's input space (after any
        preprocessing); metrics measure distances there.
    adversarial : ndarray of shape (n, n_model_features)
        Nascent adversarial examples (last path point within ``epsilon``).
    feature_names : list of str
        Names of the columns of ``counterfactuals``.
    factual_index : ndarray of int, shape (n,)
        Position of each row's factual in the ``X`` that was explained. With
        ``n_per_factual > 1``, a factual can have fewer rows than asked: an
        option that changes a strict superset of the features another option
        for the same person changes is replaced by one more search, or else
        dropped.
    searched : str, default=""
        What the search looked through (``"in 100 gradient steps, ..."``);
        a ``"no recourse found"`` status ends with it.
    cost : ndarray of shape (n,), default=None
        What each counterfactual asks of the person under the explainer's
        ``feature_costs`` (``_costs``; by default, each numeric
        change in median absolute deviations of its feature, plus 1 per
        changed category); 0 for a factual already in the target, NaN where
        no recourse was found (None when built: NaN for every row).

    Examples
    --------
    An explainer returns one:

    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ct import CounterfactualExplainer
    >>> X, y = make_blobs(100, centers=2, random_state=0)
    >>> model = LogisticRegression().fit(X, y)
    >>> result = CounterfactualExplainer(model).fit(X).explain(X[:3])
    >>> len(result), result.counterfactuals.shape
    (3, (3, 2))
    >>> result.predicted, result.target, result.status.tolist()
    (array([1, 1, 0]), array([0, 0, 1]), ['valid', 'valid', 'valid'])
    >>> bool((model.predict(result.counterfactuals) == result.target).all())
    True
    >>> len(CounterfactualResult.concat([result, result]))  # the rows of both
    6
    """

    factuals: object
    counterfactuals: object
    target: np.ndarray
    valid: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    predicted: np.ndarray
    p_target: np.ndarray
    model_factuals: np.ndarray
    model_counterfactuals: np.ndarray
    adversarial: np.ndarray
    feature_names: list = field(default_factory=list)
    factual_index: np.ndarray | None = None
    searched: str = ""
    cost: np.ndarray | None = None

    def __post_init__(self):
        if self.factual_index is None:
            self.factual_index = np.arange(len(self.target))
        if self.cost is None:
            self.cost = np.full(len(self.target), np.nan)

    def __len__(self) -> int:
        return len(self.target)

    @classmethod
    def concat(cls, parts, release=False) -> CounterfactualResult:
        """One result of the rows of several (explained in chunks, say).

        Parameters
        ----------
        parts : sequence of CounterfactualResult
            With the same columns.
        release : bool, default=False
            Drop each part's arrays as soon as they are joined (the parts are
            not used again), so joining holds one field twice, not all.

        Returns
        -------
        CounterfactualResult
        """
        parts = list(parts)
        if len(parts) == 1:
            return parts[0]

        def join(values):
            if isinstance(values[0], pd.DataFrame):
                return pd.concat(values)
            return np.concatenate([np.asarray(v) for v in values])

        joined = {}
        for f in fields(cls):
            if f.name not in ("feature_names", "searched"):
                joined[f.name] = join([getattr(p, f.name) for p in parts])
                if release:
                    for part in parts:
                        setattr(part, f.name, None)
        return cls(
            **joined, feature_names=parts[0].feature_names, searched=parts[0].searched
        )

    @property
    def status(self) -> np.ndarray:
        """Per row: ``"valid"``, ``"no recourse found"`` or ``"already target"``.

        ``"no recourse found"`` is followed by what was searched, when known
        (``"no recourse found in 100 gradient steps, ..."``).
        """
        already = np.asarray(self.predicted) == np.asarray(self.target)
        none = f"{STATUSES[1]} {self.searched}".strip()
        return np.where(
            already, STATUSES[2], np.where(self.valid, STATUSES[0], none)
        ).astype(object)

    def _index(self):
        if isinstance(self.factuals, pd.DataFrame):
            rows = self.factuals.index
        else:
            rows = pd.Index(self.factual_index, name="factual")
        counts = np.bincount(self.factual_index) if len(self) else np.array([0])
        if counts.max() <= 1:
            return rows
        number = pd.Series(self.factual_index).groupby(self.factual_index).cumcount()
        return pd.MultiIndex.from_arrays(
            [rows, number.to_numpy()], names=[rows.name or "factual", "counterfactual"]
        )

    def to_frame(self, show_only_changes: bool = True) -> pd.DataFrame:
        """A recourse table: per row, its status and what to change, from -> to.

        Parameters
        ----------
        show_only_changes : bool, default=True
            Keep only the columns that some counterfactual with recourse
            changes, and show ``"-"`` where a row leaves a value as it was (as
            DiCE does). False: every column, an unchanged value shown as it is.

        Returns
        -------
        DataFrame
            One row per counterfactual (indexed by the factual's index, plus
            the counterfactual's number when a factual has several): the
            ``target``; the ``status`` (``"valid"``, ``"no recourse found"``
            or ``"already target"``); ``p_target``, the model's probability
            of the target there; its ``cost`` (see ``cost``); and per feature
            ``"from -> to"`` where the counterfactual changes it (``"40 ->
            31.5"``). Values are rounded per column: integers as integers,
            other numbers to four significant digits of the column's typical
            size (more where a change is smaller), categories as their
            levels, a missing value as ``"missing"``. A row without recourse
            shows its status and nothing else: no values that read like
            advice.

        Examples
        --------
        >>> import numpy as np
        >>> result = CounterfactualResult(
        ...     factuals=np.array([[40.0, 2.0], [10.0, 1.0]]),
        ...     counterfactuals=np.array([[31.5, 2.0], [12.0, 3.0]]),
        ...     target=np.array([1, 1]), valid=np.array([True, False]),
        ...     converged=np.array([True, False]), n_iter=np.array([9, 100]),
        ...     predicted=np.array([0, 0]), p_target=np.array([0.5, 0.2]),
        ...     model_factuals=None, model_counterfactuals=None, adversarial=None,
        ...     feature_names=["debt", "cards"], cost=np.array([1.7, np.nan]))
        >>> result.to_frame()  # doctest: +NORMALIZE_WHITESPACE
                 target             status  p_target  cost        debt
        factual
        0             1              valid       0.5   1.7  40 -> 31.5
        1             1  no recourse found       NaN   NaN
        """
        before = pd.DataFrame(
            np.asarray(self.factuals, dtype=object), columns=self.feature_names
        )
        after = pd.DataFrame(
            np.asarray(self.counterfactuals, dtype=object), columns=self.feature_names
        )
        already = np.asarray(self.predicted) == np.asarray(self.target)
        recourse = already | np.asarray(self.valid, dtype=bool)
        changed = _changed(before, after).to_numpy() & recourse[:, None]
        cells = {}
        for j, name in enumerate(self.feature_names):
            if show_only_changes and not changed[:, j].any():
                continue
            old, new = _format_column(
                before.iloc[:, j], after.iloc[:, j], changed[:, j], recourse
            )
            shown = np.where(
                changed[:, j], old + " -> " + new, "-" if show_only_changes else old
            )
            cells[name] = np.where(recourse, shown, "").astype(object)
        table = pd.DataFrame(cells, index=self._index())
        table.insert(0, "cost", np.where(recourse, self.cost, np.nan))
        table.insert(0, "p_target", np.where(recourse, self.p_target, np.nan))
        table.insert(0, "status", self.status)
        table.insert(0, "target", np.asarray(self.target))
        return table


def _changed(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Cells whose value changed (numbers beyond round-off, anything else by value)."""
    a = before.apply(pd.to_numeric, errors="coerce")
    b = after.apply(pd.to_numeric, errors="coerce")
    numeric = a.notna() & b.notna()
    moved = (b - a).abs() > 1e-9 * np.maximum(1.0, a.abs().fillna(0))
    differs = (before.to_numpy() != after.to_numpy()) & ~(
        before.isna() & after.isna()
    ).to_numpy()  # a missing value left missing
    return pd.DataFrame(
        np.where(numeric, moved, differs), columns=before.columns, index=before.index
    )


def _format_column(before: pd.Series, after: pd.Series, changed, shown) -> tuple:
    """Factual and counterfactual values of one column as text, rounded alike.

    Integers as integers; other numbers with the decimals that show four
    significant digits of the column's typical (median nonzero) size in the
    ``shown`` rows, and at least two of its smallest change; anything else
    as a string.
    """
    a = pd.to_numeric(before, errors="coerce").to_numpy(dtype=float)
    b = pd.to_numeric(after, errors="coerce").to_numpy(dtype=float)
    missing = before.isna().to_numpy() | after.isna().to_numpy()
    numeric = ~np.isnan(a) | ~np.isnan(b)
    kinds = {type(v) for v in (*before, *after) if not pd.isna(v)}
    if kinds & {str, bool, np.bool_} or not numeric[~missing].all():
        return (_as_text(before), _as_text(after))
    values = np.concatenate([a[shown], b[shown]])
    values = values[np.isfinite(values)]
    decimals = 0
    if not np.all(values == np.round(values)):
        size = np.abs(values[values != 0])
        decimals = (
            max(0, 3 - int(np.floor(np.log10(np.median(size))))) if len(size) else 0
        )
        steps = np.abs(b - a)[changed & np.isfinite(a) & np.isfinite(b)]
        steps = steps[steps > 0]
        if len(steps):
            decimals = max(decimals, 1 - int(np.floor(np.log10(steps.min()))))
        decimals = min(decimals, 12)
    return (_as_number(a, decimals), _as_number(b, decimals))


def _as_number(values, decimals) -> np.ndarray:
    def text(v):
        if np.isnan(v):
            return "missing"
        out = f"{v:.{decimals}f}"
        if "." in out:
            out = out.rstrip("0").rstrip(".")
        return "0" if out == "-0" else out

    return np.array([text(v) for v in values], dtype=object)


def _as_text(values: pd.Series) -> np.ndarray:
    return np.array(["missing" if pd.isna(v) else str(v) for v in values], dtype=object)
