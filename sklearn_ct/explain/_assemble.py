"""From the search's tensors to a :class:`CounterfactualResult` in the user's columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..utils._torch import module_device, module_dtype
from ._adapters import as_logits_module
from ._costs import total_cost
from ._refine import reaches
from ._result import CounterfactualResult


def assemble_result(
    explainer,
    X,
    X_in,
    order,
    X_model,
    rows,
    found,
    predicted,
    target_index,
    classes,
    module,
    member,
) -> CounterfactualResult:
    """The counterfactuals of some rows of ``X`` as a result in the user's columns.

    ``found`` holds the options of :func:`~._options.search_options` (model
    space, the module's dtype) and ``rows`` their factuals' positions in
    ``X``. Each counterfactual is brought back to float64 and into the box,
    restored into the input space (original units, integers, categories),
    then re-predicted as returned: ``valid``, ``converged`` and ``p_target``
    are those of the point the user gets.
    """
    space = explainer.model_space_
    target_rows = target_index[rows]
    already = predicted[rows] == target_rows
    cf = found["counterfactuals"].detach()
    cf[already] = torch.as_tensor(
        X_model[rows[already]], dtype=cf.dtype, device=cf.device
    )  # nothing to change
    Z = X_model[rows]
    cf_model = _finalise(Z, cf, explainer.domain_)
    X_rows = (
        X_in.iloc[rows] if isinstance(X_in, pd.DataFrame) else np.asarray(X_in)[rows]
    )
    constraints = explainer.constraints_
    returned, in_input = space.restore(
        cf_model, X_rows, Z, integer=constraints.integral, flat=constraints.gridded
    )
    if in_input and space.head is not None:
        cf_model = space.transform(returned)  # exactly the point returned
    with torch.no_grad():
        point = torch.as_tensor(
            cf_model, dtype=module_dtype(module), device=module_device(module)
        )
        t = torch.as_tensor(target_rows, device=point.device)
        p_target = (
            torch.cat(
                [
                    module(part).softmax(dim=1)
                    for part in point.split(explainer.batch_size)
                ]
            )
            .gather(1, t.view(-1, 1))
            .squeeze(1)
        )
        converged = found["converged"] & reaches(
            module, point, t, explainer.decision_threshold
        )
    predicted_cf = np.asarray(space.final.predict(space.final_input(cf_model)))
    factuals = X.iloc[rows] if isinstance(X, pd.DataFrame) else np.asarray(X)[rows]
    if in_input:
        if order is not None:
            returned = returned[order]
        counterfactuals, names = returned, names_of(factuals)
        if isinstance(counterfactuals, pd.DataFrame) and not isinstance(
            factuals, pd.DataFrame
        ):  # an array given to a named pipeline
            counterfactuals, names = (
                counterfactuals.to_numpy(),
                list(space.input_names),
            )
        if (
            isinstance(factuals, np.ndarray)
            and factuals.dtype.kind in "biuf"
            and isinstance(counterfactuals, np.ndarray)
        ):
            counterfactuals = counterfactuals.astype(float)
    else:
        counterfactuals = returned
        names = (
            list(returned.columns)
            if isinstance(returned, pd.DataFrame)
            else space.feature_names or [f"x{k}" for k in range(Z.shape[1])]
        )
        factuals = (
            pd.DataFrame(Z, columns=names, index=factuals.index)
            if isinstance(factuals, pd.DataFrame)
            else Z
        )
    n_iter = found["n_iter"].cpu().numpy()
    n_iter[already] = 0
    valid = predicted_cf == classes[target_rows]
    costs = explainer.feature_costs_.tensors(member.cpu(), torch.float64)
    cost = total_cost(
        torch.as_tensor(Z), torch.as_tensor(cf_model), member.cpu(), costs
    ).numpy()
    return CounterfactualResult(
        factuals=factuals,
        counterfactuals=counterfactuals,
        target=classes[target_rows],
        valid=valid,
        converged=converged.cpu().numpy(),
        n_iter=n_iter,
        predicted=classes[predicted[rows]],
        p_target=p_target.cpu().numpy().astype(np.float64),
        model_factuals=Z,
        model_counterfactuals=cf_model,
        adversarial=found["adversarial"].cpu().numpy().astype(Z.dtype),
        feature_names=names,
        factual_index=rows,
        cost=np.where(valid, cost, np.nan),  # no recourse: nothing to cost
    )


def _finalise(X_model, cf, domain):
    """Back to float64: exact factual values where unchanged, clipped to the box.

    The search runs in the module's dtype; where it left a feature
    untouched, the user's own value comes back bit for bit. The box is
    widened to the factual, which may keep its own value outside it (a
    level the box closes comes back from the projection an ulp off).
    """
    cf = cf.detach().cpu()
    unchanged = (cf == torch.tensor(X_model).to(cf.dtype)).numpy()
    out = np.where(unchanged, X_model, cf.numpy().astype(np.float64))
    low, high = np.minimum(domain[0], X_model), np.maximum(domain[1], X_model)
    return np.where(unchanged, out, np.clip(out, low, high))


def empty_result(explainer, X) -> CounterfactualResult:
    """The result for no factuals: every field empty, columns as given."""
    _, classes = as_logits_module(explainer.model_space_.final)
    if isinstance(X, pd.DataFrame):
        factuals, counterfactuals = X, X.copy()
    else:
        factuals = np.asarray(X)
        counterfactuals = (
            factuals.astype(float) if factuals.dtype.kind in "biuf" else factuals.copy()
        )
    empty = np.empty((0, explainer.constraints_.n_features))
    labels = np.asarray(classes)[:0]
    return CounterfactualResult(
        factuals=factuals,
        counterfactuals=counterfactuals,
        target=labels,
        valid=np.zeros(0, dtype=bool),
        converged=np.zeros(0, dtype=bool),
        n_iter=np.zeros(0, dtype=np.int64),
        predicted=labels.copy(),
        p_target=np.zeros(0),
        model_factuals=empty,
        model_counterfactuals=empty.copy(),
        adversarial=empty.copy(),
        feature_names=names_of(factuals),
        factual_index=np.zeros(0, dtype=int),
        cost=np.zeros(0),
    )


def names_of(X):
    """Column names of the factuals as given (``x0``, ``x1``, ... for arrays)."""
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return [f"x{j}" for j in range(np.shape(X)[1])]
