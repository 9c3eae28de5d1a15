"""``explain``'s keywords, spelled once for the CT classifier and its pipeline.

``CounterfactualTrainingClassifier.explain`` and
``CounterfactualPipeline.explain`` take the same keyword-only parameters:
what to return (``sparsify``, ``n_per_factual``) and the explainer's
settings (:data:`EXPLAINER_KEYWORDS`), with the explainer's defaults except
``generator`` (``None``: the fitted training generator) and ``n_threads``
(``None``: the classifier's). The constraints are the classifier's own, so
``mutability``, ``domain``, ``categorical_groups``, ``integer_features`` and
``domain_n_std`` are not among them.

:data:`KEYWORDS` holds them with their defaults and :data:`KEYWORDS_DOC`
their numpydoc entries; a new one is added to both, here. A method written
as ``explain(self, X, target=None, **keywords)`` and decorated with
:func:`explain_keywords` shows the explicit signature (to
``inspect.signature``, ``help()`` and the API pages) and the entries in
place of its docstring's ``{keywords}`` line; its body calls
:func:`check_keywords`, which refuses any other keyword with Python's own
``TypeError`` message and fills in the defaults.
"""

from __future__ import annotations

import inspect
import textwrap

#: ``explain``'s keyword-only parameters and their defaults, in signature order.
KEYWORDS = {
    "sparsify": False,
    "n_per_factual": 1,
    "generator": None,
    "decision_threshold": 0.5,
    "max_iter": 100,
    "step_size": 0.1,
    "lambda_cost": None,
    "lambda_energy": None,
    "adversarial_radius": 0.3,
    "feature_costs": "mad",
    "refine": True,
    "fallback": True,
    "batch_size": 8192,
    "n_threads": None,
    "random_state": None,
    "lr": "deprecated",
    "epsilon": "deprecated",
}

#: Those of :data:`KEYWORDS` that configure the explainer, with their defaults.
EXPLAINER_KEYWORDS = {
    name: default
    for name, default in KEYWORDS.items()
    if name not in ("sparsify", "n_per_factual")
}

#: The numpydoc entries of :data:`KEYWORDS`, in the same order.
KEYWORDS_DOC = """\
sparsify : bool, default=False
    Keep only the changes needed to reach the target (see
    :meth:`sklearn_ct.CounterfactualExplainer.explain`).
n_per_factual : int, default=1
    Distinct counterfactuals per factual, each without the main lever
    of the ones before (see
    :meth:`sklearn_ct.CounterfactualExplainer.explain`).
generator : str, Generator or None, default=None
    ``None``: the classifier's fitted training generator. A name or an
    instance of the training generator's kind takes its fitted state
    (REVISE's VAE) with the given settings; another generator must not
    need fitting (else use
    :class:`~sklearn_ct.CounterfactualExplainer`).
decision_threshold : float or None, default=0.5
    ``p(target)`` at which a search stops and that refinement keeps;
    not the classifier's own ``decision_threshold`` (0.75, training's
    maturity): see :class:`~sklearn_ct.CounterfactualExplainer` for
    why they differ. ``None`` runs all ``max_iter`` steps.
max_iter : int, default=100
    Maximum search steps.
step_size : float, default=0.1
    Gradient-descent step size of the search (the training search's
    is the classifier's ``step_size_cf``).
lambda_cost, lambda_energy : float >= 0 or None, default=None
    Override the generator's penalty weights; a weight the generator
    does not have, or one given beside a generator instance, is a
    ``ValueError``.
adversarial_radius : float, default=0.3
    L-inf radius for the nascent adversarial examples of the result.
feature_costs : "mad", dict or list, default="mad"
    What a change costs, per feature, in the classifier's input
    columns (a pipeline's: its input columns, in their units);
    ``"mad"``: from the training rows' MAD.
refine : bool, default=True
    Move each counterfactual to the cheapest point that still reaches
    ``decision_threshold``.
fallback : bool, default=True
    Complete the gradient search with the discrete neighbourhood
    search where it found no recourse.
batch_size : int, default=8192
    Factuals searched at once.
n_threads : int or None, default=None
    Torch threads while explaining; ``None``: the classifier's
    ``n_threads``.
random_state : int, RandomState instance or None, default=None
    Seeds the random targets.
lr, epsilon : float, default="deprecated"
    Former names of ``step_size`` and ``adversarial_radius``.

    .. deprecated:: 0.1
        ``lr`` and ``epsilon`` were renamed to ``step_size`` and
        ``adversarial_radius`` in 0.1 and will be removed in 0.3.
"""


def explain_keywords(method):
    """Give ``method(self, X, target=None, **keywords)`` :data:`KEYWORDS` explicitly.

    Sets the signature that ``inspect.signature``, ``help()`` and Sphinx
    show (``**keywords`` replaced by the keyword-only :data:`KEYWORDS`) and
    puts :data:`KEYWORDS_DOC`, indented as the line, in place of the
    docstring's ``{keywords}`` line. The method itself is returned, not a
    wrapper: warnings raised below it keep their stack level.

    Parameters
    ----------
    method : function
        Ends in ``**keywords``; its body calls :func:`check_keywords`.

    Returns
    -------
    function
        ``method``.
    """
    signature = inspect.signature(method)
    *leading, var_keyword = signature.parameters.values()
    assert var_keyword.kind is inspect.Parameter.VAR_KEYWORD, method
    keywords = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
        for name, default in KEYWORDS.items()
    ]
    method.__signature__ = signature.replace(parameters=[*leading, *keywords])
    if method.__doc__ is None:  # python -OO
        return method
    lines = method.__doc__.splitlines(keepends=True)
    (at,) = [i for i, line in enumerate(lines) if line.strip() == "{keywords}"]
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines[at] = textwrap.indent(KEYWORDS_DOC, indent)
    method.__doc__ = "".join(lines)
    return method


def check_keywords(method, keywords) -> dict:
    """The keywords a call of ``method`` gave, completed with the defaults.

    Parameters
    ----------
    method : function
        The :func:`explain_keywords` method called, named in the error.
    keywords : dict
        Its ``**keywords``.

    Returns
    -------
    dict
        Every one of :data:`KEYWORDS`, in their order.

    Raises
    ------
    TypeError
        For a keyword not in :data:`KEYWORDS`, with the message Python gives
        for an explicit signature.
    """
    for name in keywords:
        if name not in KEYWORDS:
            raise TypeError(
                f"{method.__qualname__}() got an unexpected keyword argument {name!r}"
            )
    return {**KEYWORDS, **keywords}
