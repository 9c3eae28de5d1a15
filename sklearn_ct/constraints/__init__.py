"""Constraints on counterfactuals, from the user's columns to the model's and back.

A user states constraints once, on the data as they have it (mutability,
domain bounds, integer features, one-hot groups, by name or position). The
way to the model's input columns, and back, is in four steps:

1. parse each specification per feature (:func:`resolve_mutability`,
   :func:`resolve_domain`, :func:`resolve_groups`, :func:`infer_domain`);
2. read the fitted preprocessing (:func:`model_space`, a :class:`ModelSpace`)
   and translate constraints written on its input columns into
   :class:`FeatureConstraints` on the model's columns;
3. hand the search loop a :class:`Constraints` bundle of tensors, which
   :func:`mask_step` and :func:`project` apply at every step, to every
   generator alike;
4. bring counterfactuals back into the user's columns, units and categories
   (:meth:`ModelSpace.restore`).

:func:`pipeline_constraints` resolves constraints through a fitted
preprocessor without an explainer; :func:`violations` counts broken
constraints for tests and audits.
"""

from ._feature_constraints import FeatureConstraints, make_constraints
from ._layout import UnsupportedStepError
from ._model_space import ModelSpace, model_space, pipeline_constraints
from ._projection import (
    clamp_to_domain,
    enforce_mutability,
    follow_flags,
    mask_step,
    project,
)
from ._snap import project_onehot, snap_grids, snap_integers
from ._specs import (
    MUTABILITY_VALUES,
    infer_domain,
    resolve_domain,
    resolve_groups,
    resolve_mutability,
)
from ._tensors import Constraints
from ._violations import violations

__all__ = [
    "MUTABILITY_VALUES",
    "Constraints",
    "FeatureConstraints",
    "ModelSpace",
    "UnsupportedStepError",
    "clamp_to_domain",
    "enforce_mutability",
    "follow_flags",
    "infer_domain",
    "make_constraints",
    "mask_step",
    "model_space",
    "pipeline_constraints",
    "project",
    "project_onehot",
    "resolve_domain",
    "resolve_groups",
    "resolve_mutability",
    "snap_grids",
    "snap_integers",
    "violations",
]
