"""The explainer's parameters: scikit-learn's constraints and the checks they cannot say.

:data:`PARAMETER_CONSTRAINTS` is ``CounterfactualExplainer``'s
``_parameter_constraints`` (validated by scikit-learn's ``_fit_context``);
:func:`check_params` refuses booleans for ``n_threads`` and takes the former
names of renamed parameters (``lr``, ``epsilon``) with a ``FutureWarning``.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real

from ..generators._base import Generator
from ..utils._compat import HasMethods, Hidden, Interval, Options, StrOptions
from ..utils._deprecation import renamed_parameter
from ..utils._threads import check_n_threads

PARAMETER_CONSTRAINTS = {
    "estimator": [HasMethods(["predict"])],
    "generator": [str, Generator],
    # The specs have their own resolvers, whose errors name the bad entry.
    "mutability": [str, Mapping, "array-like", None],
    "domain": [str, Mapping, "array-like", None],
    "decision_threshold": [Interval(Real, 0, 1, closed="neither"), None],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "step_size": [Interval(Real, 0, None, closed="neither")],
    "lambda_cost": [Interval(Real, 0, None, closed="left"), None],
    "lambda_energy": [Interval(Real, 0, None, closed="left"), None],
    "adversarial_radius": [Interval(Real, 0, None, closed="left")],
    "domain_n_std": [Interval(Real, 0, None, closed="neither")],
    "categorical_groups": ["array-like", None],
    "integer_features": [str, "array-like", None],
    "feature_costs": [str, Mapping, "array-like"],
    "refine": ["boolean"],
    "fallback": ["boolean"],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "n_threads": [
        Interval(Integral, 1, None, closed="left"),
        Options(Integral, {-1}),
        None,
    ],
    "random_state": ["random_state"],
    # Former names (deprecated in 0.1, removed in 0.3).
    "lr": [
        Interval(Real, 0, None, closed="neither"),
        Hidden(StrOptions({"deprecated"})),
    ],
    "epsilon": [
        Interval(Real, 0, None, closed="left"),
        Hidden(StrOptions({"deprecated"})),
    ],
}


def check_params(explainer, stacklevel=6) -> None:
    """What :data:`PARAMETER_CONSTRAINTS` cannot say (run after it).

    Sets ``explainer._step_size`` and ``explainer._adversarial_radius``, the
    values the search uses: those of ``step_size`` and ``adversarial_radius``,
    or of their former names ``lr`` and ``epsilon`` (with a
    ``FutureWarning``; both names set is a ``ValueError``).

    Parameters
    ----------
    explainer : CounterfactualExplainer
        The explainer being fitted.
    stacklevel : int, default=6
        Of the ``FutureWarning``: 6 points at the caller of ``fit``.
    """
    check_n_threads(explainer.n_threads)  # refuses booleans too
    explainer._step_size = renamed_parameter(
        explainer, "lr", "step_size", stacklevel=stacklevel
    )
    explainer._adversarial_radius = renamed_parameter(
        explainer, "epsilon", "adversarial_radius", stacklevel=stacklevel
    )
