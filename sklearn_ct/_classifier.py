"""CounterfactualTrainingClassifier: a scikit-learn classifier trained with CT."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import PrintLog
from torch import nn

from ._checkpoint import EpochCheckpoint, fingerprint, load_checkpoint, restore
from ._net import (
    CounterfactualPoolCallback,
    CTNet,
    DivergenceGuard,
    EpochProgressBar,
    EpochSummary,
    history_frame,
    warn_about_training,
)
from ._threads import check_n_threads, torch_threads
from ._validation import check, check_explain_options, is_int, is_real
from .explainer import CounterfactualExplainer, _warn_outside, set_constraints
from .generators import Generator, resolve_generator
from .modules import build_module
from .objective import OBJECTIVES
from .preprocessing import check_numeric_frame, model_space

#: Inputs beyond this magnitude make float32 training overflow-prone.
_LARGE_INPUT = 1e6


class CounterfactualTrainingClassifier(ClassifierMixin, BaseEstimator):
    """Neural classifier trained with counterfactual training (CT).

    Each epoch after burn-in, counterfactuals are searched for a random draw of
    training samples with the current model; the loss of every mini-batch then
    adds, to the cross-entropy, a contrastive divergence between real
    target-class samples and the counterfactuals, a ridge penalty on their
    energies, and an adversarial loss on the counterfactuals that are still
    within ``epsilon`` of their factual (method.md sections 3-4). Immutable
    features are protected, so the model learns to offer recourse through the
    features people can change.

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
    epsilon : float, default=0.3
        L-inf radius within which a counterfactual on its way counts as an
        adversarial example.
    generator : str or Generator, default="ecco"
        Training-time generator: ``"ecco"``, ``"generic"``, ``"revise"`` (its
        VAE is fitted once at the start of ``fit``) or an instance.
    n_counterfactuals : int or "auto", default="auto"
        Counterfactuals generated per epoch (capped at the number of samples).
        ``"auto"``: a third of the training samples, at most 1,000 (the
        paper's synthetic runs draw 1,000 of 3,000); the search's cost per
        epoch stays bounded on large data.
    decision_threshold : float, default=0.75
        A counterfactual is mature once ``p(target)`` reaches it.
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
        Training epochs (no early stopping).
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
    lr_cf : float, default=0.1
        Gradient-descent step size of the training-time search.
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
        epoch's state was restored and training stopped), ``seconds``.
    n_iter_ : int
        Epochs trained.

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
    """

    def __init__(
        self,
        module="mlp",
        hidden_layer_sizes=(32,),
        objective="full",
        lambda_div=0.5,
        lambda_adv=0.25,
        lambda_reg=0.1,
        epsilon=0.3,
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
        lr_cf=0.1,
        domain_n_std=3.0,
        categorical_groups=None,
        integer_features="auto",
        n_threads=1,
        checkpoint_dir=None,
    ):
        self.module = module
        self.hidden_layer_sizes = hidden_layer_sizes
        self.objective = objective
        self.lambda_div = lambda_div
        self.lambda_adv = lambda_adv
        self.lambda_reg = lambda_reg
        self.epsilon = epsilon
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
        self.lr_cf = lr_cf
        self.domain_n_std = domain_n_std
        self.categorical_groups = categorical_groups
        self.integer_features = integer_features
        self.n_threads = n_threads
        self.checkpoint_dir = checkpoint_dir

    # ------------------------------------------------------------ validation
    def _validate_params(self):
        check(self.objective in OBJECTIVES, "objective", f"one of {list(OBJECTIVES)}",
              self.objective)
        for name in ("lambda_div", "lambda_adv", "lambda_reg", "epsilon"):
            check(is_real(getattr(self, name), 0), name, "a float >= 0",
                  getattr(self, name))
        for name in ("lr", "lr_cf", "domain_n_std"):
            check(is_real(getattr(self, name), 0, low_open=True), name, "a float > 0",
                  getattr(self, name))
        for name in ("max_iter_cf", "max_epochs", "batch_size"):
            check(is_int(getattr(self, name)), name, "an integer >= 1",
                  getattr(self, name))
        nce = self.n_counterfactuals
        check(is_int(nce) or (isinstance(nce, str) and nce == "auto"),
              "n_counterfactuals", 'an integer >= 1 or "auto"', nce)
        check(is_real(self.decision_threshold, 0, 1, low_open=True, high_open=True),
              "decision_threshold", "a float in (0, 1)", self.decision_threshold)
        check(is_real(self.burnin, 0, 1), "burnin", "a float in [0, 1]", self.burnin)
        check(self.verbose in (0, 1, 2), "verbose", "0, 1 or 2", self.verbose)
        if not isinstance(self.hidden_layer_sizes, (tuple, list)):
            raise TypeError(
                "hidden_layer_sizes must be a tuple of positive integers, one per "
                f"hidden layer, such as (32,) or (64, 32); got {self.hidden_layer_sizes!r}"
                f" ({type(self.hidden_layer_sizes).__name__})."
            )
        check(all(is_int(h) for h in self.hidden_layer_sizes), "hidden_layer_sizes",
              "a tuple of positive integers", self.hidden_layer_sizes)
        check_n_threads(self.n_threads)
        check(isinstance(self.optimizer, type)
              and issubclass(self.optimizer, torch.optim.Optimizer),
              "optimizer", "a torch.optim.Optimizer class", self.optimizer)
        check(isinstance(self.generator, (str, Generator)), "generator",
              "a generator name or a Generator instance", self.generator)

    # ------------------------------------------------------------------- fit
    def _callbacks(self, pool, digest, seeds):
        callbacks = [("ct_pool", pool), ("ct_summary", EpochSummary()),
                     ("ct_guard", DivergenceGuard())]
        if self.checkpoint_dir is not None:
            callbacks.append(("ct_checkpoint", EpochCheckpoint(
                self.checkpoint_dir, digest, pool, [int(v) for v in seeds])))
        if self.verbose == 1:
            callbacks.append(("ct_progress", EpochProgressBar()))
        elif self.verbose == 2:
            callbacks.append(("ct_print_log", PrintLog(
                keys_ignored=["train_batch_count", "cf_seconds", "max_logit"])))
        return callbacks

    def fit(self, X, y):
        """Train the network with counterfactual training.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data (numeric; encode categorical columns first, for
            example with a ColumnTransformer in
            :func:`sklearn_ct.pipeline.make_pipeline`).
        y : array-like of shape (n_samples,)
            Class labels (any type; binary or multiclass).

        Returns
        -------
        self
        """
        self._validate_params()
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
        self._warn_if_large(X)
        set_constraints(self, self._resolve_constraints(X))
        y_index = y_index.astype(np.int64, copy=False)
        seeds, digest, saved = _seeds(self.random_state, 4), None, None
        if self.checkpoint_dir is not None:
            params = self.get_params(deep=False)
            if self.random_state is not None:
                params["random_state"] = [int(v) for v in seeds]
            digest = fingerprint(params, X, y_index)
            saved = load_checkpoint(self.checkpoint_dir, digest)
            if saved is not None:  # the seeds of the fit being resumed
                seeds = np.asarray(saved["seeds"])
        with torch_threads(self.n_threads):
            self.generator_ = resolve_generator(self.generator).fit(
                X, y_index, random_state=int(seeds[2]))
            self._train(X, y_index, seeds, digest, saved)
        self.history_ = self._history_frame()
        self.n_iter_ = len(self.history_)
        warn_about_training(self.history_, self)
        return self

    def _warn_if_large(self, X):
        largest = float(max(X.max(), -X.min())) if X.size else 0.0  # no |X| copy
        if largest > _LARGE_INPUT:
            warnings.warn(
                f"X holds values as large as {largest:.3g}. The network computes in "
                "float32 and the search takes fixed steps: standardise the inputs, "
                "for example with sklearn_ct.pipeline.make_pipeline(StandardScaler(),"
                " classifier); explanations come back in the original units.",
                UserWarning, stacklevel=3)

    def _resolve_constraints(self, X):
        """The constraints on the network's inputs.

        Inside :class:`~sklearn_ct.pipeline.CounterfactualPipeline`, the
        pipeline hands over itself and its input data for this fit, and the
        constraints, written on its input columns, are resolved through its
        fitted preprocessing; alone, on ``X`` itself.
        """
        binding = getattr(self, "_pipeline_input", None)
        if binding is not None:
            pipeline, X_input = binding
            space = model_space(pipeline, X_input)
            X_input, _ = space.check_input(X_input)
        else:
            space, X_input = model_space(self, X), X
        constraints = space.resolve(
            X_input, X, mutability=self.mutability, domain=self.domain,
            categorical_groups=self.categorical_groups,
            integer_features=self.integer_features, domain_n_std=self.domain_n_std)
        _warn_outside(constraints, X, space, "the training data")
        return constraints

    def _train(self, X, y_index, seeds, digest=None, saved=None):
        device = torch.device(self.device)
        pool = CounterfactualPoolCallback({
            "n_classes": len(self.classes_),
            "n_counterfactuals": (min(1000, -(-len(X) // 3))
                                  if self.n_counterfactuals == "auto"
                                  else self.n_counterfactuals),
            "generator": self.generator_,
            "constraints": self.constraints_,
            "decision_threshold": self.decision_threshold,
            "max_iter": self.max_iter_cf,
            "step_size": self.lr_cf,
            "epsilon": self.epsilon,
        }, round(self.burnin * self.max_epochs), int(seeds[1]))
        module = self._build_module(X.shape[1], len(self.classes_), X, int(seeds[0]))
        self.net_ = CTNet(
            module,
            criterion=nn.CrossEntropyLoss,
            optimizer=self.optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=None,
            callbacks=self._callbacks(pool, digest, seeds),
            callbacks__print_log=None,
            device=device,
            verbose=int(self.verbose == 2),
            objective=self.objective,
            lambda_div=self.lambda_div,
            lambda_reg=self.lambda_reg,
            lambda_adv=self.lambda_adv,
            shuffle_seed=int(seeds[3]),
        )
        try:
            if saved is None:
                self.net_.fit(X, y_index)
            else:  # resume after the last saved epoch
                self.net_.initialize()
                restore(self.net_, saved, pool)
                remaining = self.max_epochs - len(self.net_.history)
                if remaining > 0:
                    self.net_.partial_fit(X, y_index, epochs=remaining)
        finally:  # also after an error: no training data stays behind
            self.net_.chunks_ = self.net_.shuffle_rng_ = None
            pool.forget()

    def _build_module(self, n_features, n_classes, X, seed):
        spec = self.module
        if isinstance(spec, nn.Module):
            spec = copy.deepcopy(spec)  # never train the user's own instance
        if isinstance(spec, str):  # our own networks draw from their own generator
            module = build_module(spec, n_features, n_classes, self.hidden_layer_sizes,
                                  self.module_params,
                                  generator=torch.Generator().manual_seed(seed))
        else:  # a user's class initialises from torch's global generator
            devices = [] if torch.device(self.device).type == "cpu" else None
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(seed)
                module = build_module(spec, n_features, n_classes,
                                      self.hidden_layer_sizes, self.module_params)
        with torch.no_grad():
            out = module.to(self.device)(torch.tensor(X[:2], device=self.device))
        if out.ndim != 2 or out.shape[1] != n_classes:
            raise ValueError(
                f"module returns outputs of shape {tuple(out.shape)} for 2 samples;"
                f" expected (2, {n_classes}): one logit per class."
            )
        return module

    def _history_frame(self) -> pd.DataFrame:
        return history_frame(self.net_.history)

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

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        index = self._logits(X).argmax(dim=1).cpu().numpy()
        return self.classes_[index]

    # ----------------------------------------------------------- explanation
    def explain(self, X, target=None, *, sparsify=False, n_per_factual=1,
                **explainer_params):
        """Counterfactual explanations under the classifier's own constraints.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Factuals.
        target : None, label or array-like of labels, default=None
            See :meth:`CounterfactualExplainer.explain`.
        sparsify : bool, default=False
            Keep only the changes needed (see
            :meth:`CounterfactualExplainer.explain`).
        n_per_factual : int, default=1
            Counterfactuals per factual, each without the main lever of the
            ones before.
        **explainer_params
            Parameters of :class:`CounterfactualExplainer` (``max_iter``,
            ``decision_threshold``, ``lambda_energy``, ``generator``,
            ``refine``, ...). Mutability, domain, one-hot groups and integer
            features are the classifier's own; the generator defaults to the
            (fitted) training generator.

        Returns
        -------
        CounterfactualResult
        """
        check_explain_options(sparsify, n_per_factual)
        explainer = self._explainer(self, X, explainer_params)
        return explainer.explain(X, target=target, sparsify=sparsify,
                                 n_per_factual=n_per_factual)

    def _explainer(self, estimator, X, explainer_params) -> CounterfactualExplainer:
        """A fitted explainer of ``estimator`` (this classifier or its pipeline)."""
        check_is_fitted(self)
        params = dict(explainer_params)
        for name in ("mutability", "domain", "categorical_groups", "integer_features",
                     "estimator"):
            if name in params:
                raise ValueError(
                    f"explain() uses the classifier's own {name}; to add constraints,"
                    " use CounterfactualExplainer(model, ...).fit(X_train) instead."
                )
        generator = self._explain_generator(params.pop("generator", None))
        params.setdefault("n_threads", self.n_threads)
        return CounterfactualExplainer._from_fitted_parts(
            estimator, model_space(estimator, X), self.constraints_, generator,
            **params)

    def _explain_generator(self, generator):
        if generator is None:
            return self.generator_
        requested = resolve_generator(generator)
        if type(requested) is type(self.generator_):
            return copy.copy(self.generator_).set_params(
                **requested.get_params(deep=False))
        if type(requested).fit is not Generator.fit:
            raise ValueError(
                f"generator={generator!r} must learn from training data, but this "
                f"classifier was trained with {type(self.generator_).__name__}; use "
                "CounterfactualExplainer(clf, generator=...).fit(X_train) instead."
            )
        return requested


def _seeds(random_state, n) -> np.ndarray:
    """``n`` seeds from ``random_state``; None draws fresh entropy, never the global RNG."""
    if random_state is None:
        return np.random.SeedSequence().generate_state(n) & 0x7FFFFFFF
    return check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n)
