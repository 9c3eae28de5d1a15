"""Counterfactual training: the classifier, and the skorch net it trains.

:class:`CounterfactualTrainingClassifier` is a scikit-learn classifier; it
builds a private skorch net in ``fit`` and keeps it as ``net_``. Each epoch
after burn-in, a callback searches counterfactuals with the current model
(the one batched search of :mod:`sklearn_ct.explain`) and every mini-batch's
loss adds the CT terms to the cross-entropy. In private modules:

* ``_classifier``: the estimator (``_params``: its parameters; ``_fit``: the
  steps of ``fit``; ``_explain``: its ``explain``);
* ``_net``: the skorch net (the CT loss in ``train_step_single``);
* ``_pool``: each epoch's counterfactual pool and the callback building it;
* ``_objective``: the CT loss terms (the paper's Eq. 2);
* ``_callbacks``: epoch summaries, divergence guard, early stopping,
  progress bar; ``_checkpoint``: saving and resuming a fit;
* ``_diagnostics``: the ``history_`` frame and warnings about training;
* ``_modules``: the classifier's own torch networks.
"""

from ._classifier import CounterfactualTrainingClassifier

__all__ = ["CounterfactualTrainingClassifier"]
