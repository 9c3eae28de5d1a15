"""CounterfactualTrainingClassifier: a scikit-learn classifier trained with CT.

The estimator holds its parameters (checked in ``_params``), tells ``fit``'s
story step by step (the steps are in ``_fit``), predicts, and explains
through ``_explain``'s mixin.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..constraints._feature_constraints import set_constraints
from ..constraints._inputs import check_numeric_frame
from ..explain._costs import mad_scale
from ..generators._presets import resolve_generator
from ..utils._compat import _fit_context
from ..utils._threads import torch_threads
from ._diagnostics import history_frame, warn_about_training
from ._explain import ExplainMixin
from ._fit import (
    resolve_constraints,
    rows_learnt_from,
    sample_weights,
    saved_state,
    set_early_stopping_attributes,
    train,
    valid_split,
    warn_if_large,
)
from ._params import PARAMETER_CONSTRAINTS, check_params


class CounterfactualTrainingClassifier(ExplainMixin, ClassifierMixin, BaseEstimator):
    """Neural classifier trained with counterfactual training (CT).

    Each epoch after burn-in, counterfactuals are searched for a random draw of
    training samples with the current model; the loss of every mini-batch then
    adds, to the cross-entropy, a contrastive divergence between real
    target-class samples and the counterfactuals, a ridge penalty on their
    energies, and an adversarial loss on the counterfactuals that are still
    within ``adversarial_radius`` of their factual (the paper's Eq. 2 and
    training algorithm). Immutable features are protected, so the model learns to offer recourse through the
    features people can change.

    Sample weights (``fit(X, y, sample_weight)`` and ``class_weight``) weight
    the cross-entropy as in scikit-learn: a weighted mean over each
    mini-batch, so that a row of weight 0 has no influence and integer
    weights act like repeated rows (up to the randomness of the batches).
    The counterfactual terms concern the shape of the decision surface
    rather than how much a row counts: factuals and the real target-class
    samples are drawn uniformly among the rows of positive weight, the
    adversarial loss is weighted by its factual's weight, and the divergence
    and ridge are unweighted.

    Parameters
    ----------
    module : {"mlp", "logistic"}, nn.Module subclass or instance, default="mlp"
        The network. A class is instantiated with ``module_params``, its input
        and output sizes filled in from the data when it takes them
        (``n_features``/``in_features`` and ``n_classes``/``out_features``);
        it must return one logit per class.
    hidden_layer_sizes : tuple of int, default=(32,)
        Hidden layers of ``"mlp"`` (ReLU).
    objective : {"full", "energy", "adversarial", "vanilla"}, default="full"
        ``"vanilla"`` is plain cross-entropy training of the same network (the
        baseline); ``"energy"`` adds divergence and ridge; ``"adversarial"``
        adds the adversarial loss; ``"full"`` adds all three.
    energy : {"marginal", "joint"}, default="marginal"
        What the divergence and the ridge contrast between real target-class
        samples and counterfactuals. ``"joint"`` is the paper's Eq. 2,
        ``E(x, t) = -M(x)[t]``: it pulls on the target logit alone, so it
        moves the decision boundary too. ``"marginal"`` is
        ``E(x) = -log sum_c exp M(x)[c]``, the energy of ``p(x)`` in a joint
        energy-based model (JEM): its gradient moves every logit, each by its
        class probability, so much of the contrast goes into the logits'
        common level, which the softmax (and so the prediction) ignores.
        Measured with ``sklearn-ct bench --value`` on the
        paper's four real sets (5,000 training rows, 5 seeds, CT against the
        baseline), ``"marginal"`` kept accuracy within 1 point of the baseline
        or above it (-0.8 to +2.0) where ``"joint"`` lost up to 2.2 points,
        53-99% of the training counterfactuals matured (``"joint"``: 19-81%),
        and the default explanations were closer to the baseline's in cost
        (0.6% to 75% dearer; ``"joint"``: 12% cheaper to 113% dearer) and
        plausibility (manifold distance +2.9% to -15.6%; ``"joint"``: -4.3% to
        -19.1%). ``sklearn-ct reproduce`` and the demo use ``"joint"``.
    lambda_div : float, default=0.5
        Weight of the contrastive divergence.
    lambda_adv : float, default=0.25
        Weight of the adversarial loss.
    lambda_reg : float, default=0.1
        Weight of the ridge penalty on the energies. Together with the
        divergence it caps the energy gap between real samples and
        counterfactuals at about ``lambda_div / lambda_reg``: too small and
        energies can blow up, too large and the divergence term idles where
        classes already separate by more than that (on the paper's
        well-separated blobs with an immutable feature, 0.1 leaves
        implausibility unchanged while 0.01 lowers it by about a quarter).
        The paper tunes it per data set between 0.01 and 0.5.
    adversarial_radius : float, default=0.3
        L-inf radius within which a counterfactual on its way counts as an
        adversarial example (the paper's epsilon; spelled out so that it
        cannot be taken for the numerical-stability ``epsilon`` of Adam in
        :class:`~sklearn.neural_network.MLPClassifier`).
    generator : str or Generator, default="ecco"
        Training-time generator: ``"ecco"``, ``"generic"``, ``"revise"`` (its
        VAE is fitted once at the start of ``fit``) or an instance.
    n_counterfactuals : int or "auto", default="auto"
        Counterfactuals generated per epoch (capped at the number of samples).
        ``"auto"``: a third of the training samples (of positive weight, and
        without the validation rows of ``early_stopping``), at most 1,000 (the
        paper's synthetic runs draw 1,000 of 3,000); the search's cost per
        epoch stays bounded on large data.
    decision_threshold : float, default=0.75
        A counterfactual is mature once ``p(target)`` reaches it; only
        mature counterfactuals enter the contrastive divergence. Higher than
        the explainer's ``decision_threshold`` (0.5, also ``explain``'s) on
        purpose: here a counterfactual stands for the target class, set
        against real members of it, so it must be well inside; an
        explanation is valid as soon as the target class wins, and is then
        refined to the cheapest such point (see
        :class:`~sklearn_ct.CounterfactualExplainer`). On real tabular data
        the default lets 13% to 81% mature (four data sets, 1,500 and 5,000
        rows, ``sklearn-ct bench --value``); 0.5 lets 87% to 100% mature
        but, at the default ``lambda_div``, cost up to 8 points of accuracy
        and made recourse dearer, with no gain in plausibility (1,500 rows).
    max_iter_cf : int, default=30
        Search steps per counterfactual.
    burnin : float, default=0.0
        Fraction of epochs trained conventionally before CT starts.
    mutability : None, list or dict, default=None
        Per feature ``"both"``, ``"increase"``, ``"decrease"`` or ``"none"``,
        by position or as a dict by feature name. Inside
        :func:`sklearn_ct.pipeline.make_pipeline`, names and positions are
        the pipeline's input columns (``{"sex": "none"}`` freezes every
        one-hot column of ``sex``), resolved at every fit.
    domain : "infer", "observed", None, (low, high), list of pairs or dict, \
            default="infer"
        Box counterfactuals stay in; ``"infer"`` uses mean +- ``domain_n_std``
        std of the training data, widened to its min and max; ``"observed"``
        the training data's min and max; in a pair, ``None`` leaves that side
        open (see :func:`~sklearn_ct.constraints.resolve_domain`). Inside
        :func:`sklearn_ct.pipeline.make_pipeline`, bounds of input columns
        are in their original units (``{"hours-per-week": (1, 99)}``).
    max_epochs : int, default=50
        Training epochs (fewer with ``early_stopping``).
    batch_size : int, default=64
        Mini-batch size.
    lr : float, default=5e-3
        Learning rate of ``optimizer``.

        The defaults of these three were chosen by measurement for a first
        contact: on the demo data (3,000 rows, age protected, five seeds) they
        give the plausibility gain of the reference's settings (100 epochs,
        batches of 30, ``lr=1e-3``: the paper's synthetic runs) with the same
        accuracy in a fifth of the time (implausibility -28.0% +- 6.3 against
        -25.1% +- 4.1). Pass the reference's values to reproduce the paper,
        as ``sklearn-ct reproduce`` does (batches of 1,000 for tabular data).
    optimizer : torch optimizer class, default=torch.optim.Adam
        Takes one step per mini-batch; optimizers that need a closure (which
        re-evaluate the loss within a step, such as ``torch.optim.LBFGS``) are
        refused.
    device : str, default="cpu"
        Torch device for training, search and prediction.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, batch order and counterfactual draws; the global torch
        and numpy RNG states are left as they were.
    verbose : int, default=0
        0 silent, 1 a progress bar over epochs, 2 a table row per epoch.
    module_params : dict or None, default=None
        Constructor arguments for a module class (or ``activation`` for
        ``"mlp"``).
    step_size_cf : float, default=0.1
        Gradient-descent step size of the training-time search: with
        ``max_iter_cf``, the training counterpart of the explainer's
        ``step_size`` and ``max_iter``. ``lr`` stays the optimizer's learning
        rate of the network's weights (skorch's name), a different thing: the
        search moves points in input space.
    domain_n_std : float, default=3.0
        Width of the inferred domain in standard deviations.
    categorical_groups : list of lists or None, default=None
        Feature positions (or names) that one-hot encode one categorical
        feature; counterfactuals keep exactly one level active. Inside
        :func:`sklearn_ct.pipeline.make_pipeline`, the groups of its
        ``OneHotEncoder`` steps are found automatically.
    integer_features : "auto", None or list, default="auto"
        Features whose counterfactual values must be integers (counts, years,
        integer codes), in the user's units before any scaling; the search
        keeps them on their integer grid. ``"auto"``: every numeric column
        whose training values are all integers (and that reaches the network
        through passthrough or a scaler); ``None``: none.
    n_threads : int or None, default=1
        Torch threads for fit, predict and explain (torch's global setting
        is restored afterwards). One thread is fastest for networks of this
        size on a CPU and does not collapse when other work runs beside it;
        ``-1`` uses every core allowed (within the share a joblib worker
        gets); ``None`` leaves torch's setting alone.
    checkpoint_dir : str, path or None, default=None
        Save the whole training state in this folder at the end of every
        epoch (weights, optimizer, history and random number generators). A
        fit with the same folder, settings and data resumes after the last
        saved epoch, after a crash or an interrupt, and ends with exactly the
        model an uninterrupted fit gives; a finished fit is loaded, not
        repeated. A folder holding another fit's checkpoint is an error.
        Without it, an interrupted fit (``KeyboardInterrupt``) still returns
        a usable model of the weights reached so far, with a warning.
        With ``early_stopping``, a fit that stopped early resumes by
        repeating its last epoch, which stops it again.
    class_weight : None, "balanced" or dict, default=None
        Weights of the classes, as in scikit-learn, multiplied with
        ``sample_weight``: a dict ``{label: weight}`` (missing classes weigh
        1), or ``"balanced"``: ``n_samples / (n_classes * class total)``,
        where the totals count ``sample_weight``
        (:func:`sklearn.utils.class_weight.compute_class_weight`).
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the training data
        (split with ``random_state``), score the accuracy on it after every
        epoch, stop when it has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs, and keep the weights of the
        best epoch; as scikit-learn's ``MLPClassifier``. The counterfactual
        pool never draws from the validation rows.
    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``, in
        (0, 1).
    n_iter_no_change : int, default=10
        Epochs without an improvement by ``tol`` tolerated with
        ``early_stopping``; the next such epoch stops training.
    tol : float, default=1e-4
        Smallest improvement of the validation accuracy that counts, with
        ``early_stopping``.
    epsilon, lr_cf : float, default="deprecated"
        Former names of ``adversarial_radius`` and ``step_size_cf``.

        .. deprecated:: 0.1
            ``epsilon`` and ``lr_cf`` were renamed to ``adversarial_radius`` and
            ``step_size_cf`` in 0.1 and will be removed in 0.3.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` was a DataFrame with string columns.
    constraints_ : FeatureConstraints
        Every constraint resolved on the network's input features.
    mutability_ : ndarray of str
        Resolved mutability per feature.
    domain_ : tuple of ndarray
        ``(low, high)`` per feature.
    categorical_groups_ : list of ndarray
        Resolved one-hot groups.
    feature_mad_ : ndarray of shape (n_features,)
        Median absolute deviation of each network input on the training rows,
        floored at a tenth of its std (:func:`sklearn_ct.explain.mad_scale`):
        the scale of ``explain``'s default ``feature_costs="mad"``.
    generator_ : Generator
        The fitted training-time generator.
    net_ : skorch.NeuralNet
        The trained skorch net (``net_.module_`` is the torch module).
    history_ : DataFrame
        One row per epoch: ``loss`` and each term (``clf_loss``, ``div_loss``,
        ``reg_loss``, ``adv_loss``), training ``accuracy`` (over the epoch's
        batches), ``cf_converged`` (share of mature counterfactuals),
        ``cf_n_iter`` (mean search steps), ``cf_seconds`` (search time),
        ``n_skipped`` (updates skipped for a non-finite loss), ``diverged``
        (the epoch left non-finite weights or logits beyond 1e6: the previous
        epoch's state was restored and training stopped), ``seconds``; with
        ``early_stopping``, ``valid_loss`` and ``valid_accuracy`` on the
        validation rows (NaN without), and ``stopped_early`` (True in the
        epoch that stopped training).
    n_iter_ : int
        Epochs trained.
    best_epoch_ : int or None
        With ``early_stopping``, the epoch (as in ``history_['epoch']``) whose
        weights the model keeps; None without.
    validation_scores_ : list of float or None
        With ``early_stopping``, the validation accuracy of every epoch; None
        without.
    best_validation_score_ : float or None
        With ``early_stopping``, the validation accuracy of ``best_epoch_``;
        None without.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, y = make_blobs(300, centers=2, random_state=0)
    >>> clf = CounterfactualTrainingClassifier(max_epochs=10, lr=0.01, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    >>> result = clf.explain(X[:3])
    >>> result.counterfactuals.shape
    (3, 2)

    Weighted rows, and early stopping on a held-out tenth:

    >>> weights = np.where(y == 1, 2.0, 1.0)
    >>> clf = CounterfactualTrainingClassifier(
    ...     max_epochs=30, lr=0.01, early_stopping=True, n_iter_no_change=3,
    ...     random_state=0).fit(X, y, sample_weight=weights)
    >>> bool(clf.history_["stopped_early"].any()), clf.n_iter_ < 30
    (True, True)
    """

    _parameter_constraints: ClassVar[dict] = PARAMETER_CONSTRAINTS
    # Routed by CounterfactualPipeline.fit when metadata routing is enabled.
    __metadata_request__fit: ClassVar[dict] = {"pipeline_input": True}

    def __init__(
        self,
        module="mlp",
        hidden_layer_sizes=(32,),
        objective="full",
        energy="marginal",
        lambda_div=0.5,
        lambda_adv=0.25,
        lambda_reg=0.1,
        adversarial_radius=0.3,
        generator="ecco",
        n_counterfactuals="auto",
        decision_threshold=0.75,
        max_iter_cf=30,
        burnin=0.0,
        mutability=None,
        domain="infer",
        max_epochs=50,
        batch_size=64,
        lr=5e-3,
        optimizer=torch.optim.Adam,
        device="cpu",
        random_state=None,
        verbose=0,
        module_params=None,
        step_size_cf=0.1,
        domain_n_std=3.0,
        categorical_groups=None,
        integer_features="auto",
        n_threads=1,
        checkpoint_dir=None,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        epsilon="deprecated",
        lr_cf="deprecated",
    ):
        self.module = module
        self.hidden_layer_sizes = hidden_layer_sizes
        self.objective = objective
        self.energy = energy
        self.lambda_div = lambda_div
        self.lambda_adv = lambda_adv
        self.lambda_reg = lambda_reg
        self.adversarial_radius = adversarial_radius
        self.generator = generator
        self.n_counterfactuals = n_counterfactuals
        self.decision_threshold = decision_threshold
        self.max_iter_cf = max_iter_cf
        self.burnin = burnin
        self.mutability = mutability
        self.domain = domain
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.module_params = module_params
        self.step_size_cf = step_size_cf
        self.domain_n_std = domain_n_std
        self.categorical_groups = categorical_groups
        self.integer_features = integer_features
        self.n_threads = n_threads
        self.checkpoint_dir = checkpoint_dir
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.epsilon = epsilon
        self.lr_cf = lr_cf

    # ------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=False)  # validates the generator
    def fit(self, X, y, sample_weight=None, *, pipeline_input=None):
        """Train the network with counterfactual training.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data (numeric; encode categorical columns first, for
            example with a ColumnTransformer in
            :func:`sklearn_ct.pipeline.make_pipeline`).
        y : array-like of shape (n_samples,)
            Class labels (any type; binary or multiclass).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows (only their ratios matter),
            multiplied with ``class_weight``. They weight the cross-entropy
            (a weighted mean per mini-batch, as in scikit-learn), the
            adversarial loss through each counterfactual's factual, and the
            validation accuracy of ``early_stopping``; rows of weight 0 are
            never drawn as factuals or target-class samples. Inside a
            pipeline, pass ``counterfactualtrainingclassifier__sample_weight``.
        pipeline_input : tuple (pipeline, X_input) or None, default=None
            Handed over by :class:`~sklearn_ct.pipeline.CounterfactualPipeline`
            when this classifier is its last step: the pipeline (its
            preprocessing fitted) and the data given to its ``fit``. The
            constraints, written on the pipeline's input columns, are then
            resolved through its preprocessing; ``None``: on ``X`` itself.

        Returns
        -------
        self
        """
        check_params(self)
        check_numeric_frame(X)
        # No copy: training only reads X (and lets go of it when fit ends).
        X, y = validate_data(self, X, y, dtype=np.float32)
        X = np.require(X, requirements="W")  # torch wants writeable memory
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                "CounterfactualTrainingClassifier needs samples of at least two "
                f"classes in y; got one class ({self.classes_[0]!r})."
            )
        weight = sample_weights(self, sample_weight, X, y, y_index)
        warn_if_large(X)
        y_index = y_index.astype(np.int64, copy=False)
        seeds, digest, saved = saved_state(self, X, y_index, weight)
        split = valid_split(self, len(X), int(seeds[4]))
        # Constraints and generator learn from the rows training learns from.
        rows = rows_learnt_from(len(X), y_index, weight, split)
        set_constraints(self, resolve_constraints(self, X, rows, pipeline_input))
        self.feature_mad_ = mad_scale(X if rows is None else X[rows])
        with torch_threads(self.n_threads):
            self.generator_ = resolve_generator(self.generator).fit(
                *((X, y_index) if rows is None else (X[rows], y_index[rows])),
                random_state=int(seeds[2]),
            )
            stopper = train(self, X, y_index, weight, split, seeds, digest, saved)
        self.history_ = history_frame(self.net_.history)
        self.n_iter_ = len(self.history_)
        set_early_stopping_attributes(self, stopper)
        warn_about_training(self.history_, self, X, y_index)  # scale, collapse
        return self

    # ------------------------------------------------------------ prediction
    def _logits_module(self):
        """The trained network (logits out, eval mode) and the classes in logit order."""
        check_is_fitted(self)
        return self.net_.module_.eval(), self.classes_

    def _logits(self, X) -> torch.Tensor:
        check_is_fitted(self)
        check_numeric_frame(X)
        X = validate_data(self, X, reset=False, dtype=np.float32)
        module = self.net_.module_.eval()
        with torch_threads(self.n_threads), torch.no_grad():
            return module(torch.tensor(X, device=self.net_.device))

    def predict_proba(self, X):
        """Class probabilities (softmax of the logits).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self._logits(X).double().softmax(dim=1).cpu().numpy()

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        index = self._logits(X).argmax(dim=1).cpu().numpy()
        return self.classes_[index]
