"""Mutability, domain, integer and one-hot constraints on counterfactuals.

Constraints belong to the data, not to a generator: the user states them once
(per feature, by position or by name); the ``resolve_*`` functions
(``_specs``) parse each specification, :class:`FeatureConstraints` holds the
result per model feature (numpy, picklable, combinable), and its
:meth:`~FeatureConstraints.tensors` hands the search loop a
:class:`~sklearn_ct.constraints.Constraints` bundle, applied to every
generator alike by :func:`~sklearn_ct.constraints.project` (masking a step,
clamping, snapping integers and one-hot groups).

Mutability values
-----------------
``"both"`` (free), ``"increase"`` (may only go up), ``"decrease"`` (may only go
down), ``"none"`` (immutable).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._tensors import Constraints, _allowed, constraint_tensors
from ._violations import constraint_violations


# --------------------------------------------------------------------------
# Resolved constraints per model feature (numpy, picklable), and as tensors
# --------------------------------------------------------------------------
def _mutability_from(increase, decrease) -> np.ndarray:
    names = np.array(["none", "decrease", "increase", "both"], dtype=object)
    return names[2 * np.asarray(increase, dtype=int) + np.asarray(decrease, dtype=int)]


@dataclass(frozen=True)
class FeatureConstraints:
    """Constraints resolved per feature of the model's input (numpy, picklable).

    Parameters
    ----------
    mutability : array-like of str, shape (n_features,)
        ``"both"``, ``"increase"``, ``"decrease"`` or ``"none"`` per feature.
    low, high : array-like of shape (n_features,)
        Domain box in model units.
    groups : sequence of array-like of int, default=()
        Columns that one-hot encode one categorical feature.
    group_implicit : sequence of bool, default=()
        Per group: a level was dropped by the encoder, so all indicators 0 is
        a valid level too.
    integer : array-like of bool, shape (n_features,), default=None
        Integer features (in their own units; see ``scale``).
    scale, offset : array-like of shape (n_features,), default=None
        ``model value = scale * unit + offset``: the units of the user's data
        in which integer features are integers and one-hot columns are 0/1
        (identity by default; a pipeline's scaler sets them).
    box_given : bool, default=False
        The box was given by the user (not inferred from data), so data
        outside it deserves a warning.
    observed_low, observed_high : array-like of shape (n_features,), default=None
        Each feature's smallest and largest value in the data resolved on (model
        units; infinite where the user gave that bound; ``None``: unknown).
    flags : sequence of (int, array-like of int[, float]), default=()
        Missing-value indicators (``SimpleImputer(add_indicator=True)``): a
        column that flags a missing value, the columns of the feature it
        flags and, optionally, the column's value for "not missing" in model
        units (default: ``offset``, the indicator 0). It is derived, not
        acted on: it keeps the factual's value while that feature is
        unchanged and reads "not missing" once a counterfactual changes it.
    grids : sequence of (int, array-like of float[, bool]), default=()
        Columns that may take only the listed model values, besides the
        factual's own, and whether they hold integers (default False): the
        values a column through a non-affine step can reach (see
        ``constraints/_nonaffine.py``).

    Examples
    --------
    >>> fc = FeatureConstraints(["none", "both"], [0, 0], [1, 9],
    ...                         integer=[False, True])
    >>> fc.combine(FeatureConstraints(["both", "increase"], [-1, 2], [5, 5])).mutability
    array(['none', 'increase'], dtype=object)
    """

    mutability: np.ndarray
    low: np.ndarray
    high: np.ndarray
    groups: tuple = ()
    group_implicit: tuple = ()
    integer: np.ndarray | None = None
    scale: np.ndarray | None = None
    offset: np.ndarray | None = None
    box_given: bool = False
    observed_low: np.ndarray | None = None
    observed_high: np.ndarray | None = None
    flags: tuple = ()
    grids: tuple = ()

    def __post_init__(self):
        mutability = np.asarray(self.mutability, dtype=object)
        d = len(mutability)
        fix = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        fix("mutability", mutability)
        fix("low", np.asarray(self.low, dtype=float).reshape(d))
        fix("high", np.asarray(self.high, dtype=float).reshape(d))
        fix("groups", tuple(np.asarray(g, dtype=np.int64) for g in self.groups))
        implicit = tuple(bool(v) for v in self.group_implicit)
        fix("group_implicit", implicit or (False,) * len(self.groups))
        fix(
            "integer",
            np.zeros(d, dtype=bool)
            if self.integer is None
            else np.asarray(self.integer, dtype=bool).reshape(d),
        )
        fix(
            "scale",
            np.ones(d)
            if self.scale is None
            else np.asarray(self.scale, dtype=float).reshape(d),
        )
        fix(
            "offset",
            np.zeros(d)
            if self.offset is None
            else np.asarray(self.offset, dtype=float).reshape(d),
        )
        fix("flags", tuple(_flag(flag, self.offset) for flag in self.flags))
        fix("grids", tuple(_grid(*grid) for grid in self.grids))
        for name in ("observed_low", "observed_high"):
            value = getattr(self, name)
            if value is not None:
                fix(name, np.asarray(value, dtype=float).reshape(d))
        self._check()

    def _check(self):
        if len(self.group_implicit) != len(self.groups):
            raise ValueError("group_implicit needs one flag per group.")
        marked = self.integer.copy()
        for k, values, _ in self.grids:
            if not len(values) or not np.all(np.isfinite(values)) or marked[k]:
                raise ValueError(
                    f"grids: column {k} needs finite values, and no integer or "
                    "one-hot constraint besides."
                )
        for k, cols, _ in self.flags:
            if not len(cols) or k in cols:
                raise ValueError(
                    f"flags: indicator column {k} needs the columns of another "
                    f"feature; got {cols.tolist()}."
                )
        for group in self.groups:
            marked[group] = True
            values = set(self.mutability[group])
            if not values <= {"both", "none"} or len(values) > 1:
                raise ValueError(
                    f"the one-hot group of columns {group.tolist()} has mutability "
                    f"{self.mutability[group].tolist()}; a categorical feature is "
                    "either free ('both') or immutable ('none') as a whole."
                )
        if np.any(
            marked
            & ~(np.isfinite(self.scale) & (self.scale != 0) & np.isfinite(self.offset))
        ):
            raise ValueError(
                "integer features and one-hot columns need a finite, "
                "non-zero scale and a finite offset."
            )
        bad = np.flatnonzero(self.low > self.high)
        if bad.size:
            j = int(bad[0])
            raise ValueError(
                f"domain for feature {j} has low={self.low[j]} > "
                f"high={self.high[j]}; expected low <= high."
            )
        low, high = self.integer_bounds()
        empty = np.flatnonzero(self.integer & (low > high))
        if empty.size:
            j = int(empty[0])
            raise ValueError(f"the domain of integer feature {j} holds no integer.")

    @property
    def integral(self) -> np.ndarray:
        """Columns whose values in the user's units are integers (integer or grid)."""
        integral = self.integer.copy()
        integral[[k for k, _, whole in getattr(self, "grids", ()) if whole]] = True
        return integral

    @property
    def gridded(self) -> np.ndarray:
        """Columns whose model values are listed (``grids``): a range of the
        user's values may reach one of them, as a bin does."""
        gridded = np.zeros(self.n_features, dtype=bool)
        gridded[[k for k, _, _ in getattr(self, "grids", ())]] = True
        return gridded

    @property
    def n_features(self) -> int:
        """Number of features."""
        return len(self.mutability)

    def units(self, X) -> np.ndarray:
        """``X`` (model units) in the user's units: ``(X - offset) / scale``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in the model's units.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        return (np.asarray(X, dtype=float) - self.offset) / self.scale

    def integer_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Smallest and largest integer inside the box, per feature, in its units."""
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            ends = np.sort(
                np.stack([self.units(self.low), self.units(self.high)]), axis=0
            )
        ends = np.where(np.isnan(ends), np.array([[-np.inf], [np.inf]]), ends)
        # A hair of tolerance: 15.999999 from round-off is the integer 16 (a box
        # learned in float32 is off by ~1e-7 relative), and so is an integer
        # within 5e-7 of the box in model units (a float32 box 2e-8 short of a
        # scaler's offset is 1.3e-6 units short with scale 0.015).
        with np.errstate(divide="ignore"):
            tol = np.maximum(
                _hair(ends), np.nan_to_num(5e-7 / abs(self.scale), posinf=0)
            )
        low, high = np.ceil(ends[0] - tol[0]), np.floor(ends[1] + tol[1])
        # With |scale| > 1 the hair in units can admit an integer just outside
        # the box in model units; such an end steps one integer in.
        for end, step in ((low, 1.0), (high, -1.0)):
            with np.errstate(invalid="ignore", over="ignore"):
                at = self.scale * end + self.offset
            outside = (at < self.low - _hair(at)) | (at > self.high + _hair(at))
            end += step * (np.isfinite(end) & outside)
        return low, high

    def combine(self, other: FeatureConstraints) -> FeatureConstraints:
        """The constraints of both: the stricter mutability, the intersected box.

        One-hot groups and integer features of either apply; mutability keeps
        only directions both allow; the box is the intersection (an empty one
        is an error). Units come from ``self`` where it marks a feature.

        Parameters
        ----------
        other : FeatureConstraints
            Constraints on the same features, to add to these.

        Returns
        -------
        FeatureConstraints
        """
        if other.n_features != self.n_features:
            raise ValueError(
                f"cannot combine constraints on {self.n_features} and "
                f"{other.n_features} features."
            )
        (inc1, dec1), (inc2, dec2) = (
            _allowed(self.mutability),
            _allowed(other.mutability),
        )
        low, high = np.maximum(self.low, other.low), np.minimum(self.high, other.high)
        empty = np.flatnonzero(low > high)
        if empty.size:
            j = int(empty[0])
            raise ValueError(
                f"the domains conflict for feature {j}: [{self.low[j]}, "
                f"{self.high[j]}] and [{other.low[j]}, {other.high[j]}] do not overlap."
            )
        groups = {
            tuple(g): imp
            for g, imp in zip(self.groups, self.group_implicit, strict=True)
        }
        for g, imp in zip(other.groups, other.group_implicit, strict=True):
            key = tuple(g)
            if key not in groups and any(set(key) & set(k) for k in groups):
                raise ValueError(
                    f"the one-hot group {list(key)} overlaps another "
                    "group without being the same group."
                )
            groups.setdefault(key, imp)
        mine = self.integer.copy()
        for g in self.groups:
            mine[g] = True
        grids = {grid[0]: grid for grid in self.grids}
        for grid in getattr(other, "grids", ()):
            grids.setdefault(grid[0], grid)
        flags = {flag[0]: flag for flag in self.flags}
        for flag in getattr(other, "flags", ()):  # (a pickle from before flags)
            flags.setdefault(flag[0], flag)
        scale = np.where(mine, self.scale, other.scale)
        offset = np.where(mine, self.offset, other.offset)
        return FeatureConstraints(
            _mutability_from(inc1 & inc2, dec1 & dec2),
            low,
            high,
            groups=[np.array(g) for g in groups],
            group_implicit=list(groups.values()),
            integer=self.integer | other.integer,
            scale=scale,
            offset=offset,
            box_given=self.box_given or other.box_given,
            # What the model saw: ``self``'s (a classifier's own) when known.
            observed_low=_observed(self, other, "observed_low"),
            observed_high=_observed(self, other, "observed_high"),
            flags=list(flags.values()),
            grids=list(grids.values()),
        )

    def check_data(self, X, argname="X") -> None:
        """Check that data fits the constraints' structure.

        One-hot groups must hold 0/1 indicators (in their units) with at most
        one active per row: anything else is a ``ValueError`` naming the
        columns (a group over continuous columns would silently snap them to
        0/1). Integer features are checked where they are declared, on the
        user's own values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in the model's units.
        argname : str, default="X"
            Its name in error messages.
        """
        X = np.asarray(X)
        for group in self.groups:
            block = (X[:, group] - self.offset[group]) / self.scale[group]
            binary = np.isclose(block, 0, atol=1e-6) | np.isclose(block, 1, atol=1e-6)
            if not binary.all() or np.any(block.sum(axis=1) > 1 + 1e-6):
                raise ValueError(
                    f"categorical_groups: the columns {group.tolist()} of {argname} do "
                    "not hold one-hot indicators (0/1 with at most one 1 per row); a "
                    "group must list the columns that one-hot encode one categorical "
                    "feature."
                )

    def share_outside(self, X) -> np.ndarray:
        """Share of the rows of ``X`` outside the domain box, per feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in the model's units.

        Returns
        -------
        ndarray of shape (n_features,)
        """
        X = np.asarray(X)
        if not len(X):
            return np.zeros(self.n_features)
        return self.outside(X).mean(axis=0)

    def outside(self, X) -> np.ndarray:
        """Which values of ``X`` lie outside the domain box.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in the model's units.

        Returns
        -------
        ndarray of bool, shape (n_samples, n_features)
        """
        X = np.asarray(X)
        # Relative tolerance: bounds learned in float32 round by ~6e-8.
        tol = 1e-6 * np.maximum(1.0, np.abs(np.nan_to_num(X, posinf=0, neginf=0)))
        with np.errstate(invalid="ignore"):
            return (X < self.low - tol) | (X > self.high + tol)

    def tensors(self, dtype=torch.float32, device="cpu") -> Constraints:
        """The constraints as a :class:`~sklearn_ct.constraints.Constraints` bundle.

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float32
            Float type of the bounds and units (the model's).
        device : str or torch.device, default="cpu"
            Device of every tensor (the model's).

        Returns
        -------
        Constraints
        """
        return constraint_tensors(self, dtype, device)

    def violations(self, X_cf, X_factual, atol: float = 1e-6) -> np.ndarray:
        """Number of broken constraints per counterfactual (for tests and audits).

        Counts, per row, features that break mutability or the box (a feature
        keeping the factual's own value never breaks the box), integer
        features off their grid, one-hot groups not holding exactly one
        level (or none, for a dropped level or the factual's own all-zero row),
        and missing-value indicators that do not follow their feature (the
        factual's value while it is unchanged, "not missing" once changed).

        Parameters
        ----------
        X_cf, X_factual : array-like of shape (n, n_features)
            Counterfactuals and their factuals, in the model's units.
        atol : float, default=1e-6
            Tolerance for float round-off.

        Returns
        -------
        ndarray of int, shape (n,)
        """
        return constraint_violations(self, X_cf, X_factual, atol)


def make_constraints(
    mutability, low, high, groups=(), dtype=torch.float32, device="cpu"
) -> Constraints:
    """Tensors of resolved mutability, bounds and one-hot groups (a shortcut).

    Parameters
    ----------
    mutability : array-like of str, shape (n_features,)
        Output of :func:`resolve_mutability`.
    low, high : array-like of shape (n_features,)
        Output of :func:`resolve_domain`.
    groups : sequence of array-like of int, default=()
        Output of :func:`resolve_groups`.
    dtype : torch.dtype, default=torch.float32
        Float type of the bounds (the model's).
    device : str or torch.device, default="cpu"
        Device of every tensor (the model's).

    Returns
    -------
    Constraints

    Examples
    --------
    >>> make_constraints(["none", "both"], [0, 0], [1, 1]).allow_increase
    tensor([False,  True])
    """
    return FeatureConstraints(mutability, low, high, groups).tensors(dtype, device)


def _grid(k, values, integer=False):
    """A grid as ``(column, sorted unique values, integer)``."""
    return int(k), np.unique(np.asarray(values, dtype=float)), bool(integer)


def _flag(flag, offset):
    """A flag as ``(column, source columns, value for "not missing")``."""
    k, cols, *off = flag
    off = float(off[0]) if off else float(offset[int(k)])
    return int(k), np.atleast_1d(np.asarray(cols, dtype=np.int64)), off


def _hair(values):
    """Round-off tolerance: 1e-6 relative, at least 1e-6 (infinities count as 0)."""
    return 1e-6 * np.maximum(1.0, np.abs(np.nan_to_num(values, posinf=0, neginf=0)))


def _observed(first, second, name):
    """``first``'s observed bound, open (inf) where ``second``'s user gave one."""
    a, b = getattr(first, name, None), getattr(second, name, None)  # old pickles
    if a is None or b is None:
        return a if b is None else b
    return np.where(np.isinf(b), b, a)


# --------------------------------------------------------------------------
# Shared by the estimators that hold constraints (classifier and explainer)
# --------------------------------------------------------------------------


def set_constraints(estimator, constraints) -> None:
    """Set the fitted constraint attributes of an explainer or a classifier."""
    estimator.constraints_ = constraints
    estimator.mutability_ = constraints.mutability
    estimator.domain_ = (constraints.low, constraints.high)
    estimator.categorical_groups_ = list(constraints.groups)
