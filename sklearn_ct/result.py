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
        Target probability of the returned counterfactuals.
    model_factuals, model_counterfactuals : ndarray of shape (n, n_model_features)
        Factuals and counterfactuals in the model's input space (after any
        preprocessing); metrics measure distances there.
    adversarial : ndarray of shape (n, n_model_features)
        Nascent adversarial examples (last path point within ``epsilon``).
    feature_names : list of str
        Names of the columns of ``counterfactuals``.
    factual_index : ndarray of int, shape (n,)
        Position of each row's factual in the ``X`` that was explained.
    searched : str, default=""
        What the search looked through (``"in 100 gradient steps, ..."``);
        a ``"no recourse found"`` status ends with it.
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

    def __post_init__(self):
        if self.factual_index is None:
            self.factual_index = np.arange(len(self.target))

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
        return cls(**joined, feature_names=parts[0].feature_names,
                   searched=parts[0].searched)

    @property
    def status(self) -> np.ndarray:
        """Per row: ``"valid"``, ``"no recourse found"`` or ``"already target"``.

        ``"no recourse found"`` is followed by what was searched, when known
        (``"no recourse found in 100 gradient steps, ..."``).
        """
        already = np.asarray(self.predicted) == np.asarray(self.target)
        none = f"{STATUSES[1]} {self.searched}".strip()
        return np.where(already, STATUSES[2],
                        np.where(self.valid, STATUSES[0], none)).astype(object)

    def _index(self):
        if isinstance(self.factuals, pd.DataFrame):
            rows = self.factuals.index
        else:
            rows = pd.Index(self.factual_index, name="factual")
        counts = np.bincount(self.factual_index) if len(self) else np.array([0])
        if counts.max() <= 1:
            return rows
        number = pd.Series(self.factual_index).groupby(self.factual_index).cumcount()
        return pd.MultiIndex.from_arrays([rows, number.to_numpy()],
                                         names=[rows.name or "factual",
                                                "counterfactual"])

    def to_frame(self, show_only_changes: bool = True) -> pd.DataFrame:
        """A recourse table: every row of the result, with its status.

        Parameters
        ----------
        show_only_changes : bool, default=True
            Keep only the columns that some counterfactual changes, and show
            ``"-"`` where a row leaves a value as it was (as DiCE does).

        Returns
        -------
        DataFrame
            One row per counterfactual (indexed by the factual's index, plus
            the counterfactual's number when a factual has several): the
            ``target``, the ``status`` (``"valid"``, ``"no recourse found"``
            or ``"already target"``) and the counterfactual's values.
        """
        before = pd.DataFrame(np.asarray(self.factuals, dtype=object),
                              columns=self.feature_names)
        after = pd.DataFrame(np.asarray(self.counterfactuals, dtype=object),
                             columns=self.feature_names)
        changed = _changed(before, after)
        table = after
        if show_only_changes:
            table = after.loc[:, changed.any(axis=0).to_numpy()].astype(object)
            table = table.where(changed.loc[:, table.columns], "-")
        table.insert(0, "status", self.status)
        table.insert(0, "target", np.asarray(self.target))
        table.index = self._index()
        return table


def _changed(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Cells whose value changed (numbers beyond round-off, anything else by value)."""
    a = before.apply(pd.to_numeric, errors="coerce")
    b = after.apply(pd.to_numeric, errors="coerce")
    numeric = a.notna() & b.notna()
    moved = (b - a).abs() > 1e-9 * np.maximum(1.0, a.abs().fillna(0))
    differs = (before.to_numpy() != after.to_numpy()) & ~(
        before.isna() & after.isna()).to_numpy()  # a missing value left missing
    return pd.DataFrame(np.where(numeric, moved, differs),
                        columns=before.columns, index=before.index)
