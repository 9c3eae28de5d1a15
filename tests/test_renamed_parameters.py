"""Renamed parameters: the former names keep working with a FutureWarning.

``lr_cf`` became ``step_size_cf`` and ``epsilon`` ``adversarial_radius`` in the
classifier; ``lr`` became ``step_size`` and ``epsilon`` ``adversarial_radius``
in the explainer, in ``explain`` (classifier and pipeline) and in
``counterfactual_search``. As scikit-learn deprecates: the old name warns and
gives exactly the result of the new one; both names set is an error. This is
the only module that uses the former names.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.constraints import make_constraints
from sklearn_ct.explain import counterfactual_search
from sklearn_ct.generators import GenericGenerator
from sklearn_ct.metrics import make_explainability_scorer
from sklearn_ct.pipeline import make_pipeline

TINY = {
    "max_epochs": 3,
    "n_counterfactuals": 32,
    "max_iter_cf": 10,
    "lr": 0.01,
    "random_state": 0,
}
#: (former name, new name, a non-default value) per estimator.
CLASSIFIER_RENAMES = [
    ("lr_cf", "step_size_cf", 0.2),
    ("epsilon", "adversarial_radius", 0.1),
]
EXPLAINER_RENAMES = [("lr", "step_size", 0.05), ("epsilon", "adversarial_radius", 0.1)]


def _message(old, new):
    return re.escape(
        f"`{old}` was renamed to `{new}` in 0.1 and will be removed in 0.3."
    )


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(120, centers=[[-2, -2], [2, 2]], cluster_std=1.5, random_state=0)


@pytest.fixture(scope="module")
def fitted(blobs):
    X, y = blobs
    return CounterfactualTrainingClassifier(**TINY).fit(X, y)


def _same_fit(a, b, X):
    """Bit-identical models: weights, predictions and the per-epoch history."""
    for p, q in zip(
        a.net_.module_.state_dict().values(),
        b.net_.module_.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(p, q)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    timing = ["seconds", "cf_seconds"]
    pd.testing.assert_frame_equal(
        a.history_.drop(columns=timing), b.history_.drop(columns=timing)
    )


@pytest.mark.parametrize("old, new, value", CLASSIFIER_RENAMES)
def test_a_former_classifier_name_warns_and_fits_bit_identically(
    blobs, old, new, value
):
    X, y = blobs
    expected = CounterfactualTrainingClassifier(**TINY, **{new: value}).fit(X, y)
    with pytest.warns(FutureWarning, match=_message(old, new)) as caught:
        got = CounterfactualTrainingClassifier(**TINY, **{old: value}).fit(X, y)
    # The warning points at the user's call, not into the library.
    assert [w.filename for w in caught if w.category is FutureWarning] == [__file__]
    _same_fit(expected, got, X)
    # Not the default fit: the value was used.
    default = CounterfactualTrainingClassifier(**TINY).fit(X, y)
    assert not np.array_equal(default.predict_proba(X), got.predict_proba(X))


@pytest.mark.parametrize("old, new, value", CLASSIFIER_RENAMES)
def test_both_classifier_names_set_is_an_error(blobs, old, new, value):
    X, y = blobs
    clf = CounterfactualTrainingClassifier(**TINY, **{old: value, new: value + 0.01})
    with pytest.raises(ValueError, match=f"Both `{old}` and `{new}` were set"):
        clf.fit(X, y)


def test_the_new_names_do_not_warn(blobs):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        clf = CounterfactualTrainingClassifier(
            **TINY, step_size_cf=0.2, adversarial_radius=0.1
        ).fit(X, y)
        clf.explain(X[:3], step_size=0.05, adversarial_radius=0.1)
        CounterfactualExplainer(clf, step_size=0.05, adversarial_radius=0.1).fit(X)


@pytest.mark.parametrize(
    "make, renames",
    [
        (lambda: CounterfactualTrainingClassifier(), CLASSIFIER_RENAMES),
        (lambda: CounterfactualExplainer(LogisticRegression()), EXPLAINER_RENAMES),
    ],
    ids=["classifier", "explainer"],
)
def test_former_names_are_parameters_that_clone_and_validate(make, renames):
    estimator = make()
    params = estimator.get_params()
    for old, new, value in renames:
        assert params[old] == "deprecated" and params[new] != "deprecated"
        estimator.set_params(**{old: value})
        assert clone(estimator).get_params()[old] == value
        # The hidden "deprecated" option is not advertised; the real constraint is.
        bad = clone(estimator).set_params(**{old: -1.0})
        with pytest.raises(InvalidParameterError, match=f"'{old}' parameter") as err:
            bad._validate_params()
        assert "deprecated" not in str(err.value)


@pytest.mark.parametrize("old, new, value", EXPLAINER_RENAMES)
def test_a_former_explainer_name_warns_and_explains_identically(
    fitted, blobs, old, new, value
):
    X, _ = blobs
    expected = CounterfactualExplainer(fitted, **{new: value}).fit(X).explain(X[:20])
    with pytest.warns(FutureWarning, match=_message(old, new)) as caught:
        explainer = CounterfactualExplainer(fitted, **{old: value}).fit(X)
    assert [w.filename for w in caught if w.category is FutureWarning] == [__file__]
    got = explainer.explain(X[:20])
    np.testing.assert_array_equal(got.counterfactuals, expected.counterfactuals)
    np.testing.assert_array_equal(got.adversarial, expected.adversarial)
    with pytest.raises(ValueError, match=f"Both `{old}` and `{new}` were set"):
        CounterfactualExplainer(fitted, **{old: value, new: value + 0.01}).fit(X)


def test_the_former_step_changes_the_explanations(fitted, blobs):
    X, _ = blobs
    default = fitted.explain(X[:20], refine=False)
    with pytest.warns(FutureWarning, match=_message("lr", "step_size")):
        got = fitted.explain(X[:20], lr=0.05, refine=False)
    assert not np.array_equal(got.counterfactuals, default.counterfactuals)


@pytest.mark.parametrize("old, new, value", EXPLAINER_RENAMES)
def test_a_former_explain_keyword_warns_and_explains_identically(
    fitted, blobs, old, new, value
):
    X, _ = blobs
    expected = fitted.explain(X[:20], **{new: value})
    with pytest.warns(FutureWarning, match=_message(old, new)) as caught:
        got = fitted.explain(X[:20], **{old: value})
    assert [w.filename for w in caught if w.category is FutureWarning] == [__file__]
    np.testing.assert_array_equal(got.counterfactuals, expected.counterfactuals)
    np.testing.assert_array_equal(got.adversarial, expected.adversarial)
    with pytest.raises(ValueError, match=f"Both `{old}` and `{new}` were set"):
        fitted.explain(X[:5], **{old: value, new: value + 0.01})


def test_the_pipelines_explain_takes_the_former_keywords(blobs):
    X, y = blobs
    X = pd.DataFrame(X, columns=["a", "b"])
    pipe = make_pipeline(StandardScaler(), CounterfactualTrainingClassifier(**TINY))
    pipe.fit(X, y)
    expected = pipe.explain(X.head(10), step_size=0.05)
    with pytest.warns(FutureWarning, match=_message("lr", "step_size")) as caught:
        got = pipe.explain(X.head(10), lr=0.05)
    assert [w.filename for w in caught if w.category is FutureWarning] == [__file__]
    pd.testing.assert_frame_equal(got.counterfactuals, expected.counterfactuals)


def test_a_scorer_takes_the_former_explainer_names(fitted, blobs):
    X, y = blobs
    new = make_explainability_scorer("cost", n_factuals=10, step_size=0.05)
    old = make_explainability_scorer("cost", n_factuals=10, lr=0.05)
    with pytest.warns(FutureWarning, match=_message("lr", "step_size")):
        assert old(fitted, X, y) == new(fitted, X, y)


def test_counterfactual_search_takes_the_former_epsilon():
    torch.manual_seed(0)
    module = torch.nn.Linear(2, 2)
    x = torch.randn(8, 2)
    target = 1 - module(x).argmax(1)
    constraints = make_constraints(["both", "both"], [-5, -5], [5, 5])

    def search(**kwargs):
        return counterfactual_search(
            module, x, target, GenericGenerator(), constraints, max_iter=20, **kwargs
        )

    expected = search(adversarial_radius=0.1)
    with pytest.warns(FutureWarning, match=_message("epsilon", "adversarial_radius")):
        got = search(epsilon=0.1)
    assert torch.equal(got.adversarial, expected.adversarial)
    assert not torch.equal(search().adversarial, expected.adversarial)
    with pytest.raises(ValueError, match="Both `epsilon` and `adversarial_radius`"):
        search(epsilon=0.1, adversarial_radius=0.2)


def test_a_checkpoint_counts_a_renamed_parameter_by_its_value(blobs, tmp_path):
    X, y = blobs
    with pytest.warns(FutureWarning):
        old = CounterfactualTrainingClassifier(
            **TINY, lr_cf=0.2, checkpoint_dir=tmp_path
        ).fit(X, y)
    # The same fit under the new name finds the finished checkpoint and loads it.
    new = CounterfactualTrainingClassifier(
        **TINY, step_size_cf=0.2, checkpoint_dir=tmp_path
    ).fit(X, y)
    _same_fit(old, new, X)
