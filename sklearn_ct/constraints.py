"""Mutability and domain constraints on counterfactuals.

Constraints belong to the data, not to a generator: the user states them once
(per feature, by position or by name), :func:`make_constraints` resolves them
into a :class:`Constraints` bundle of tensors, and the search loop applies them
to every generator alike (method.md section 2):

* :func:`mask_step` drops the components of a step that mutability forbids;
* :func:`project` clamps a point to the domain box, re-applies mutability
  relative to the factual (needed when the search runs in a latent space) and
  snaps one-hot groups of categorical features back to a single active level.

Mutability values
-----------------
``"both"`` (free), ``"increase"`` (may only go up), ``"decrease"`` (may only go
down), ``"none"`` (immutable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

MUTABILITY_VALUES = ("both", "increase", "decrease", "none")


# --------------------------------------------------------------------------
# Parsing the user's specification (numpy, done once in ``fit``)
# --------------------------------------------------------------------------
def _feature_position(key, feature_names, n_features, argname):
    """Position of a feature given by name or by integer index."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        if not -n_features <= key < n_features:
            raise ValueError(
                f"{argname} refers to feature index {key}, but X has "
                f"{n_features} features."
            )
        return int(key) % n_features
    if feature_names is None:
        raise ValueError(
            f"{argname} refers to feature {key!r} by name, but X has no feature "
            "names (pass a pandas DataFrame, or give the constraint per position)."
        )
    names = list(feature_names)
    if key not in names:
        raise ValueError(
            f"{argname} refers to unknown feature {key!r}; expected one of {names}."
        )
    return names.index(key)


def resolve_mutability(mutability, n_features, feature_names=None) -> np.ndarray:
    """Turn a mutability specification into one value per feature.

    Parameters
    ----------
    mutability : None, str, sequence of str or dict
        ``None`` makes every feature free (``"both"``); a single string applies
        to every feature; a sequence gives one value per feature; a dict maps
        feature names (or integer positions) to values, unnamed features being
        ``"both"``.
    n_features : int
        Number of features of the data.
    feature_names : sequence of str, default=None
        Feature names, needed when ``mutability`` refers to features by name.

    Returns
    -------
    ndarray of str, shape (n_features,)
        One of ``"both"``, ``"increase"``, ``"decrease"``, ``"none"`` per feature.

    Examples
    --------
    >>> resolve_mutability({"age": "none"}, 2, ["age", "debt"]).tolist()
    ['none', 'both']
    """
    if mutability is None:
        values = ["both"] * n_features
    elif isinstance(mutability, str):
        values = [mutability] * n_features
    elif isinstance(mutability, Mapping):
        values = ["both"] * n_features
        for key, value in mutability.items():
            values[_feature_position(key, feature_names, n_features, "mutability")] = (
                value
            )
    elif isinstance(mutability, (Sequence, np.ndarray)):
        values = list(mutability)
        if len(values) != n_features:
            raise ValueError(
                f"mutability has {len(values)} entries, but X has {n_features} "
                "features; give one value per feature or a dict by feature name."
            )
    else:
        raise ValueError(
            "mutability must be None, a string, a list with one value per feature "
            f"or a dict by feature name; got {type(mutability).__name__}."
        )
    for value in values:
        if value not in MUTABILITY_VALUES:
            raise ValueError(
                f"mutability value {value!r} is not understood; expected one of "
                f"{list(MUTABILITY_VALUES)}."
            )
    return np.asarray(values, dtype=object)


def infer_domain(X, n_std: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Infer per-feature bounds from data: mean +- ``n_std`` std, widened to min/max.

    ``low = min(mean - n_std * std, min X)`` and ``high = max(mean + n_std * std,
    max X)`` with the sample standard deviation (method.md section 2).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data.
    n_std : float, default=3.0
        Width of the box in standard deviations (the paper's text says 3, its
        code uses 2).

    Returns
    -------
    low, high : ndarray of shape (n_features,)

    Examples
    --------
    >>> low, high = infer_domain([[0.0], [1.0], [2.0]], n_std=2.0)
    >>> float(low[0]), float(high[0])
    (-1.0, 3.0)
    """
    X = np.asarray(X, dtype=float)
    mean = X.mean(axis=0)
    std = X.std(axis=0, ddof=1) if X.shape[0] > 1 else np.zeros(X.shape[1])
    low = np.minimum(mean - n_std * std, X.min(axis=0))
    high = np.maximum(mean + n_std * std, X.max(axis=0))
    return low, high


def _as_bounds(pair, argname):
    """A (low, high) pair of floats; ``None`` leaves that side unbounded."""
    try:
        low, high = pair
        low = -np.inf if low is None else float(low)
        high = np.inf if high is None else float(high)
    except (TypeError, ValueError):
        raise ValueError(
            f"{argname} entries must be (low, high) pairs of numbers or None; "
            f"got {pair!r}."
        ) from None
    return low, high


def resolve_domain(
    domain, X, feature_names=None, n_std: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    """Turn a domain specification into per-feature bounds.

    Parameters
    ----------
    domain : "infer", "observed", None, (low, high), sequence of pairs or dict
        ``"infer"`` uses :func:`infer_domain` on ``X`` (mean +- ``n_std`` std,
        widened to the data's min and max); ``"observed"`` is the data's min
        and max (no value beyond what was seen: no negative debt when none
        was observed); ``None`` leaves every feature unbounded; a single
        ``(low, high)`` pair applies to every feature (for example the pixel
        range of images); a sequence gives one pair per feature (``None``
        entries are unbounded); a dict maps feature names (or positions) to
        pairs and infers the bounds of the others. In a pair, ``None`` leaves
        that side open: ``(0, None)`` means non-negative.
    X : array-like of shape (n_samples, n_features)
        Training data (used by inference only).
    feature_names : sequence of str, default=None
        Feature names, needed when ``domain`` refers to features by name.
    n_std : float, default=3.0
        Width of the inferred box in standard deviations.

    Returns
    -------
    low, high : ndarray of shape (n_features,)
    """
    X = np.asarray(X, dtype=float)
    n_features = X.shape[1]
    if isinstance(domain, str):
        if domain not in ("infer", "observed"):
            raise ValueError(
                f"domain={domain!r} is not understood; expected 'infer', 'observed',"
                " None, a (low, high) pair, a list of pairs or a dict by feature name."
            )
        if domain == "observed":
            low, high = X.min(axis=0), X.max(axis=0)
        else:
            low, high = infer_domain(X, n_std)
    elif domain is None:
        low, high = np.full(n_features, -np.inf), np.full(n_features, np.inf)
    elif isinstance(domain, Mapping):
        low, high = infer_domain(X, n_std)
        for key, pair in domain.items():
            j = _feature_position(key, feature_names, n_features, "domain")
            low[j], high[j] = _as_bounds(pair, "domain")
    elif (
        isinstance(domain, (Sequence, np.ndarray))
        and len(domain) == 2
        and all(v is None or np.isscalar(v) for v in domain)
    ):
        low_value, high_value = _as_bounds(domain, "domain")
        low, high = np.full(n_features, low_value), np.full(n_features, high_value)
    elif isinstance(domain, (Sequence, np.ndarray)):
        if len(domain) != n_features:
            raise ValueError(
                f"domain has {len(domain)} entries, but X has {n_features} features;"
                " give one (low, high) pair per feature or a dict by feature name."
            )
        pairs = [(-np.inf, np.inf) if p is None else _as_bounds(p, "domain")
                 for p in domain]
        low, high = (np.array(v, dtype=float) for v in zip(*pairs, strict=True))
    else:
        raise ValueError(
            "domain must be 'infer', None, a (low, high) pair, a list of pairs or a "
            f"dict by feature name; got {type(domain).__name__}."
        )
    if np.isnan(low).any() or np.isnan(high).any():
        raise ValueError("domain bounds must not be NaN.")
    bad = np.flatnonzero(low > high)
    if bad.size:
        j = int(bad[0])
        name = feature_names[j] if feature_names is not None else j
        raise ValueError(
            f"domain for feature {name!r} has low={low[j]} > high={high[j]}; "
            "expected low <= high."
        )
    return low, high


def resolve_groups(groups, n_features, feature_names=None) -> list[np.ndarray]:
    """Validate one-hot groups: each a list of at least two feature positions or names.

    Parameters
    ----------
    groups : None or sequence of sequences
        Columns that one-hot encode the same categorical feature.
    n_features : int
        Number of features.
    feature_names : sequence of str, default=None
        Feature names for groups given by name.

    Returns
    -------
    list of ndarray of int
    """
    resolved, seen = [], set()
    for group in groups or ():
        idx = [_feature_position(k, feature_names, n_features, "categorical_groups")
               for k in group]
        if len(idx) < 2:
            raise ValueError(
                f"categorical_groups entry {list(group)} has fewer than two columns;"
                " a one-hot group needs at least two."
            )
        if seen.intersection(idx):
            raise ValueError("categorical_groups must not share columns.")
        seen.update(idx)
        resolved.append(np.asarray(idx, dtype=np.int64))
    return resolved


# --------------------------------------------------------------------------
# The resolved constraints as tensors, and the operations of the search loop
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Constraints:
    """Resolved constraints, as tensors ready for the search loop.

    Attributes
    ----------
    low, high : Tensor of shape (n_features,)
        Domain box (``-inf``/``inf`` where unbounded).
    allow_increase, allow_decrease : BoolTensor of shape (n_features,)
        Which directions each feature may move in.
    group_index : LongTensor of shape (n_groups, max_group_size) or None
        Column positions of each one-hot group, padded (see ``group_valid``).
    group_valid : BoolTensor of shape (n_groups, max_group_size) or None
        Which entries of ``group_index`` are real columns.
    """

    low: torch.Tensor
    high: torch.Tensor
    allow_increase: torch.Tensor
    allow_decrease: torch.Tensor
    group_index: torch.Tensor | None = None
    group_valid: torch.Tensor | None = None

    @property
    def n_features(self) -> int:
        """Number of features constrained."""
        return self.low.shape[0]

    @cached_property
    def all_free(self) -> bool:
        """Every feature may move both ways (mutability masks are no-ops)."""
        return bool(self.allow_increase.all() and self.allow_decrease.all())

    @cached_property
    def _group_layout(self):
        """Flat gather/scatter indices of the one-hot groups, computed once."""
        valid = self.group_valid.reshape(-1)
        return (self.group_index.reshape(-1), valid.nonzero().squeeze(1),
                self.group_index.reshape(-1)[valid])

    def to(self, device=None, dtype=None) -> Constraints:
        """Copy of the constraints on another device / float dtype."""
        move = lambda t: None if t is None else t.to(device)  # noqa: E731
        return Constraints(
            low=self.low.to(device=device, dtype=dtype),
            high=self.high.to(device=device, dtype=dtype),
            allow_increase=self.allow_increase.to(device),
            allow_decrease=self.allow_decrease.to(device),
            group_index=move(self.group_index),
            group_valid=move(self.group_valid),
        )


def make_constraints(
    mutability, low, high, groups=(), dtype=torch.float32, device="cpu"
) -> Constraints:
    """Build a :class:`Constraints` bundle from resolved mutability and bounds.

    Parameters
    ----------
    mutability : array-like of str, shape (n_features,)
        Output of :func:`resolve_mutability`.
    low, high : array-like of shape (n_features,)
        Output of :func:`resolve_domain`.
    groups : sequence of array-like of int, default=()
        Output of :func:`resolve_groups`.
    dtype : torch.dtype, default=torch.float32
    device : str or torch.device, default="cpu"

    Returns
    -------
    Constraints
    """
    mutability = np.asarray(mutability, dtype=object)
    as_bool = lambda a: torch.as_tensor(np.asarray(a, dtype=bool), device=device)  # noqa: E731
    group_index = group_valid = None
    if len(groups):  # padded to one (n_groups, max_size) layout: no loop per step
        width = max(len(g) for g in groups)
        padded = np.zeros((len(groups), width), dtype=np.int64)
        valid = np.zeros((len(groups), width), dtype=bool)
        for k, group in enumerate(groups):
            padded[k, :len(group)], valid[k, :len(group)] = group, True
        group_index = torch.as_tensor(padded, device=device)
        group_valid = as_bool(valid)
    return Constraints(
        low=torch.as_tensor(np.asarray(low, dtype=float), dtype=dtype, device=device),
        high=torch.as_tensor(np.asarray(high, dtype=float), dtype=dtype, device=device),
        allow_increase=as_bool(np.isin(mutability, ("both", "increase"))),
        allow_decrease=as_bool(np.isin(mutability, ("both", "decrease"))),
        group_index=group_index,
        group_valid=group_valid,
    )


def mask_step(step: torch.Tensor, constraints: Constraints) -> torch.Tensor:
    """Drop the components of a step that mutability forbids (method.md 2, step 3).

    Parameters
    ----------
    step : Tensor of shape (n, n_features)
    constraints : Constraints

    Returns
    -------
    Tensor of shape (n, n_features)
    """
    if constraints.all_free:
        return step
    keep = ((step > 0) & constraints.allow_increase) | (
        (step < 0) & constraints.allow_decrease
    )
    return torch.where(keep, step, torch.zeros_like(step))


def clamp_to_domain(x: torch.Tensor, constraints: Constraints) -> torch.Tensor:
    """Clamp every feature to its domain box (method.md 2, step 4)."""
    return torch.clamp(x, constraints.low, constraints.high)


def enforce_mutability(
    x: torch.Tensor, x_factual: torch.Tensor, constraints: Constraints
) -> torch.Tensor:
    """Move forbidden changes of ``x`` relative to ``x_factual`` back to the factual.

    Used for points that do not come from a masked step (REVISE decodes them
    from a latent space): a feature that may not increase is capped at its
    factual value, one that may not decrease is floored at it, an immutable one
    is reset.
    """
    if constraints.all_free:
        return x
    x = torch.where(constraints.allow_increase, x, torch.minimum(x, x_factual))
    return torch.where(constraints.allow_decrease, x, torch.maximum(x, x_factual))


def project_onehot(x: torch.Tensor, constraints: Constraints) -> torch.Tensor:
    """Snap every one-hot group to its arg-max level (exactly one column is 1).

    The projection is applied with a straight-through gradient, so the search
    state behind the projected point can keep moving until another level wins.
    """
    if constraints.group_index is None:
        return x
    n_groups, size = constraints.group_index.shape
    gather, positions, columns = constraints._group_layout
    block = x.detach().index_select(1, gather).view(-1, n_groups, size)
    block = block.masked_fill(~constraints.group_valid, -torch.inf)
    hard = torch.nn.functional.one_hot(block.argmax(dim=2), size).to(x.dtype)
    projected = x.detach().clone()
    projected.index_copy_(1, columns, hard.view(-1, n_groups * size)[:, positions])
    # Exact values forward (x - x.detach() is exactly 0), identity gradient back.
    return projected + (x - x.detach())


def project(
    x: torch.Tensor, x_factual: torch.Tensor, constraints: Constraints
) -> torch.Tensor:
    """Project a candidate onto the feasible set: domain, mutability, one-hot groups.

    Parameters
    ----------
    x : Tensor of shape (n, n_features)
        Candidate counterfactuals.
    x_factual : Tensor of shape (n, n_features)
        The factuals they explain.
    constraints : Constraints

    Returns
    -------
    Tensor of shape (n, n_features)
    """
    # Clamp first, then mutability: a factual outside the box keeps the values
    # it may not change (the person cannot change their age to fit the box).
    x = enforce_mutability(clamp_to_domain(x, constraints), x_factual, constraints)
    return project_onehot(x, constraints)


def violations(
    X_cf, X_factual, mutability, low=None, high=None, atol: float = 1e-6
) -> np.ndarray:
    """Count constraint violations per counterfactual (for tests and audits).

    Parameters
    ----------
    X_cf, X_factual : array-like of shape (n, n_features)
        Counterfactuals and their factuals.
    mutability : array-like of str, shape (n_features,)
        Resolved mutability.
    low, high : array-like of shape (n_features,), default=None
        Domain bounds; ``None`` skips the domain check.
    atol : float, default=1e-6
        Tolerance for float round-off.

    Returns
    -------
    ndarray of int, shape (n,)
        Number of features per row that break a constraint. A feature that
        keeps the factual's own value never breaks the domain (a factual may
        lie outside the box, and immutable features must stay as they are).
    """
    X_cf = np.asarray(X_cf, dtype=float)
    delta = X_cf - np.asarray(X_factual, dtype=float)
    mutability = np.asarray(mutability, dtype=object)
    bad = (delta > atol) & ~np.isin(mutability, ("both", "increase"))
    bad |= (delta < -atol) & ~np.isin(mutability, ("both", "decrease"))
    moved = np.abs(delta) > atol  # keeping one's own value never breaks the box
    if low is not None:
        bad |= moved & (X_cf < np.asarray(low, dtype=float) - atol)
    if high is not None:
        bad |= moved & (X_cf > np.asarray(high, dtype=float) + atol)
    return bad.sum(axis=1)
