"""What a change costs a person: per feature, in the user's own units.

Recourse tools let a user say that one unit of income is dearer than one
credit card (DiCE's ``feature_weights``); without that, the recourse
literature's default (Wachter et al., 2017) weighs each feature's change by
the inverse of its median absolute deviation (MAD), so that moving a feature
by one typical step costs 1 whatever its units. ``feature_costs`` of
:class:`~sklearn_ct.CounterfactualExplainer` (and of every ``explain``)
states these costs on the user's features:

* ``"mad"`` (the default, :data:`DEFAULT_COSTS`): a numeric feature costs
  ``1 / MAD`` per unit, its MAD measured on the data given to ``fit`` (for
  ``clf.explain``, the classifier's training rows), floored at a tenth of its
  standard deviation for concentrated columns (:func:`mad_scale`); changing
  the level of a categorical feature (a one-hot group, an ordinal code)
  costs 1;
* a dict by feature name (a pipeline's input columns, or positions) or a
  list with one value per feature: the cost of one unit of a numeric feature
  in its own units, or of changing a categorical feature's level; features a
  dict leaves out keep their ``"mad"`` cost.

:func:`resolve_feature_costs` turns them into :class:`FeatureCosts` on the
model's input columns (a standardised column of scale ``s`` costs
``cost / s`` per model unit: a MAD measured in model units is the user's MAD
times ``s``, so ``"mad"`` is the same in both). Refinement ranks features
and keeps the cheapest point by them, sparsification reverts the dearest
change first, and the result reports each counterfactual's ``cost``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..constraints import _layout
from ..constraints._keys import _per_model

#: The default ``feature_costs``: per unit, the inverse of a feature's median
#: absolute deviation on the data given to ``fit`` (a category change costs 1).
DEFAULT_COSTS = "mad"


def mad_scale(X) -> np.ndarray:
    """Per column: median absolute deviation, at least a tenth of the std (else 1).

    Columns concentrated on one value (one-hot columns, counts that are
    mostly 0) have a MAD of 0 or nearly so, which would make any change in
    them infinitely dear; the floor keeps them comparable. Computed one
    column at a time, so memory stays at one column's copy.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data, in the units the scale is wanted in.

    Returns
    -------
    ndarray of shape (n_features,)

    Examples
    --------
    >>> mad_scale([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 1.0]]).round(3)
    array([1.   , 0.043])
    """
    X = np.asarray(X)
    scale = np.ones(X.shape[1])
    for j in range(X.shape[1]):
        column = X[:, j].astype(np.float64)
        mad = np.median(np.abs(column - np.median(column))) if len(column) else 0.0
        value = max(mad, column.std() / 10) if len(column) else 0.0
        scale[j] = value if value > 0 else 1.0
    return scale


@dataclass(frozen=True)
class FeatureCosts:
    """Resolved feature costs on the model's input columns (numpy, picklable).

    Parameters
    ----------
    weight : array-like of shape (n_features,)
        Cost of one model unit of change in each column of a numeric
        feature. On a categorical feature's columns, the cost of a level
        change divided by the model units such a change moves (two
        indicators of ``scale`` each), used only to rank features.
    categorical : array-like of bool, shape (n_features,)
        Columns of a categorical feature (one-hot group or ordinal code).
    change : array-like of shape (n_features,)
        Cost of changing the level of the categorical feature a column
        belongs to (0 on other columns).

    Examples
    --------
    >>> costs = FeatureCosts([0.5, 1.0, 1.0], [False, True, True], [0, 2.0, 2.0])
    >>> x = torch.tensor([[0.0, 1.0, 0.0]])
    >>> member = torch.tensor([[True, False, False], [False, True, True]])
    >>> feature_cost(x, torch.tensor([[4.0, 0.0, 1.0]]), member,
    ...              costs.tensors(member)).tolist()
    [[2.0, 2.0]]
    """

    weight: np.ndarray
    categorical: np.ndarray
    change: np.ndarray

    def __post_init__(self):
        fix = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        fix("weight", np.asarray(self.weight, dtype=float))
        fix("categorical", np.asarray(self.categorical, dtype=bool))
        fix("change", np.asarray(self.change, dtype=float))

    def tensors(self, member, dtype=torch.float32, device=None) -> CostTensors:
        """The costs as tensors, per feature of ``member``.

        Parameters
        ----------
        member : BoolTensor of shape (n_user_features, n_features)
            From :func:`feature_membership`.
        dtype, device
            Of the tensors.

        Returns
        -------
        CostTensors
        """
        member = torch.as_tensor(member, device=device)
        weight = torch.as_tensor(self.weight, dtype=dtype, device=device)
        categorical = torch.as_tensor(self.categorical, device=device)
        change = torch.as_tensor(self.change, dtype=dtype, device=device)
        switch = member & categorical
        return CostTensors(
            rank=weight,
            value=torch.where(categorical, torch.zeros_like(weight), weight),
            switch=switch,
            switch_cost=(switch.to(dtype) * change).amax(dim=1),
        )


@dataclass(frozen=True)
class CostTensors:
    """:class:`FeatureCosts` as tensors for a given feature membership.

    Attributes
    ----------
    rank : Tensor of shape (n_features,)
        Cost per model unit, to rank features by usefulness per cost.
    value : Tensor of shape (n_features,)
        Cost per model unit of numeric columns (0 on categorical ones).
    switch : BoolTensor of shape (n_user_features, n_features)
        Each feature's categorical columns.
    switch_cost : Tensor of shape (n_user_features,)
        Cost of changing each categorical feature's level (0 for others).
    """

    rank: torch.Tensor
    value: torch.Tensor
    switch: torch.Tensor
    switch_cost: torch.Tensor


def uniform_costs(member, dtype=torch.float32, device=None) -> CostTensors:
    """Every model unit costs 1 (plain L1 in the model's units), categories too."""
    n = member.shape[1]
    return FeatureCosts(np.ones(n), np.zeros(n, dtype=bool), np.zeros(n)).tensors(
        member, dtype, device
    )


def feature_cost(x, x_cf, member, costs: CostTensors) -> torch.Tensor:
    """Cost of each feature's change: Tensor (n, n_user_features).

    A numeric feature costs its weight times its change; a categorical one
    its level-change cost if any of its columns changed.
    """
    change = (x_cf - x).abs()
    value = change @ (member.to(change.dtype) * costs.value).T
    switched = (change > 0).to(change.dtype) @ costs.switch.to(change.dtype).T > 0
    return value + switched.to(change.dtype) * costs.switch_cost


def total_cost(x, x_cf, member, costs: CostTensors) -> torch.Tensor:
    """Cost of each counterfactual: Tensor (n,)."""
    return feature_cost(x, x_cf, member, costs).sum(dim=1)


def resolve_feature_costs(feature_costs, space, constraints, mad) -> FeatureCosts:
    """``feature_costs`` as given by a user, resolved on the model's columns.

    Parameters
    ----------
    feature_costs : "mad", dict or list
        See the module's documentation and
        :class:`~sklearn_ct.CounterfactualExplainer`.
    space : ModelSpace
        From :func:`~sklearn_ct.constraints.model_space`.
    constraints : FeatureConstraints
        The resolved constraints (one-hot groups, ``scale`` per column).
    mad : array-like of shape (n_features,) or None
        :func:`mad_scale` of the data given to ``fit``, in model units; None
        (a model fitted before costs existed): 1 per model unit.

    Returns
    -------
    FeatureCosts
    """
    n = constraints.n_features
    mad = np.ones(n) if mad is None else np.asarray(mad, dtype=float).reshape(n)
    lay = space.layout if space.layout is not None and space.layout.n_out == n else None
    categorical = np.zeros(n, dtype=bool)
    for group in constraints.groups:
        categorical[group] = True
    if lay is not None:
        categorical |= lay.kind == "ordinal"
    scale = np.abs(
        np.where(
            np.isfinite(constraints.scale) & (constraints.scale != 0),
            constraints.scale,
            1.0,
        )
    )
    per_unit = scale / mad  # "mad": 1 / MAD per user unit = scale / MAD_model
    change = np.where(categorical, 1.0, 0.0)
    if isinstance(feature_costs, str):
        if feature_costs != DEFAULT_COSTS:
            raise ValueError(
                f"feature_costs={feature_costs!r} is not understood; "
                f"give {DEFAULT_COSTS!r}, a dict by feature name or a "
                "list with one cost per feature."
            )
    elif isinstance(feature_costs, (Mapping, Sequence, np.ndarray)):
        for k, (value, _) in _per_model(
            space if lay is not None else _plain(space, n),
            feature_costs,
            n,
            "feature_costs",
        ).items():
            if not (
                isinstance(value, numbers.Real)
                and not isinstance(value, bool)
                and np.isfinite(value)
                and value >= 0
            ):
                raise ValueError(
                    f"feature_costs must be finite numbers >= 0; got {value!r}."
                )
            if categorical[k]:
                change[k] = float(value)
            else:
                per_unit[k] = float(value)
    else:
        raise ValueError(
            f"feature_costs must be {DEFAULT_COSTS!r}, a dict by feature"
            " name or a list with one cost per feature; got "
            f"{type(feature_costs).__name__}."
        )
    # A level change moves two indicators (or one code step) of |scale| each.
    moved = np.full(n, 2.0)
    if lay is not None:
        moved[lay.kind == "ordinal"] = 1.0
    weight = np.where(categorical, change / (moved * scale), per_unit / scale)
    # A missing-value indicator follows the column it flags: no cost of its own.
    weight[[flag[0] for flag in getattr(constraints, "flags", ())]] = 0.0
    return FeatureCosts(weight, categorical, change)


def _plain(space, n):
    """``space`` seen as the model's own columns (no preprocessing to follow)."""
    return replace(space, head=None, layout=_layout.identity(n), n_inputs=n)


def feature_membership(
    feature_columns, n_features, device=None, groups=()
) -> torch.Tensor:
    """BoolTensor (n_user_features, n_features): which model columns form each feature.

    The features that share a column with a one-hot group in ``groups`` are
    merged with it into one feature, so a categorical feature is reverted,
    frozen and counted as a whole (reverting one indicator of a switched
    level would leave two levels active, or none).
    """
    member = np.zeros((len(feature_columns), n_features), dtype=bool)
    for f, cols in enumerate(feature_columns):
        member[f, np.asarray(cols, dtype=np.int64)] = True
    for group in groups:
        rows = np.flatnonzero(member[:, group].any(axis=1))
        merged = member[rows].any(axis=0)
        merged[group] = True
        if len(rows):
            member[rows[0]] = merged
            member = np.delete(member, rows[1:], axis=0)
        else:
            member = np.vstack([member, merged])
    return torch.as_tensor(member, device=device)


def feature_changes(x, x_cf, member) -> torch.Tensor:
    """Largest absolute change among each feature's columns: (n, n_user_features)."""
    change = (x_cf - x).abs()
    return (change.unsqueeze(1) * member.to(change.dtype)).amax(dim=2)
