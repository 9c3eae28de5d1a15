"""``explain`` spells out the explainer's keywords, with the explainer's defaults."""

import inspect
import re

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.pipeline import CounterfactualPipeline, make_pipeline

#: The explainer's parameters that explain() takes from the fitted classifier.
OWN = {
    "estimator",
    "mutability",
    "domain",
    "categorical_groups",
    "integer_features",
    "domain_n_std",
}
#: explain()'s defaults that are not the explainer's: None takes the classifier's.
INHERITED = {"generator", "n_threads"}


def _keywords(method):
    parameters = inspect.signature(method).parameters.values()
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in parameters)
    return {
        p.name: p.default
        for p in parameters
        if p.kind is inspect.Parameter.KEYWORD_ONLY
        and p.name not in ("sparsify", "n_per_factual")
    }


@pytest.mark.parametrize(
    "method",
    [CounterfactualTrainingClassifier.explain, CounterfactualPipeline.explain],
    ids=["classifier", "pipeline"],
)
def test_explain_spells_out_every_explainer_setting_with_its_default(method):
    keywords = _keywords(method)
    explainer = inspect.signature(CounterfactualExplainer).parameters
    assert set(keywords) == set(explainer) - OWN
    for name, default in keywords.items():
        expected = None if name in INHERITED else explainer[name].default
        assert default == expected, name
    assert list(inspect.signature(method).parameters)[:3] == ["self", "X", "target"]


def test_the_two_explains_take_the_same_keywords():
    assert _keywords(CounterfactualTrainingClassifier.explain) == _keywords(
        CounterfactualPipeline.explain
    )


def test_explain_runs_on_the_classifiers_threads_unless_told():
    X, y = make_blobs(60, centers=2, random_state=0)
    clf = CounterfactualTrainingClassifier(
        max_epochs=1, n_counterfactuals=8, max_iter_cf=2, n_threads=2, random_state=0
    ).fit(X, y)
    assert clf._explainer(clf, X[:2], {}).n_threads == 2
    assert clf._explainer(clf, X[:2], {"n_threads": 1}).n_threads == 1


def test_the_docstrings_set_the_two_thresholds_side_by_side():
    classifier = CounterfactualTrainingClassifier.__doc__
    explainer = CounterfactualExplainer.__doc__
    assert "decision_threshold : float, default=0.75" in classifier
    assert "explainer's ``decision_threshold`` (0.5" in classifier
    assert "decision_threshold : float or None, default=0.5" in explainer
    assert "classifier's ``decision_threshold`` (0.75)" in explainer
    assert "(0.75" in CounterfactualTrainingClassifier.explain.__doc__


@pytest.mark.parametrize(
    "method",
    [CounterfactualTrainingClassifier.explain, CounterfactualPipeline.explain],
    ids=["classifier", "pipeline"],
)
def test_explain_documents_every_keyword_once(method):
    # The keywords and their entries come from one place (explain._keywords).
    documented = [
        name
        for line in method.__doc__.splitlines()
        if re.match(r"        \w.* : ", line)
        for name in line.strip().split(" : ")[0].split(", ")
    ]
    assert documented == list(inspect.signature(method).parameters)[1:]


@pytest.mark.parametrize(
    "estimator",
    [
        CounterfactualTrainingClassifier(),
        make_pipeline(StandardScaler(), LogisticRegression()),
    ],
    ids=["classifier", "pipeline"],
)
def test_a_mistyped_keyword_is_pythons_own_type_error(estimator):
    owner = type(estimator).explain.__qualname__
    message = f"{owner}() got an unexpected keyword argument 'spasify'"
    with pytest.raises(TypeError, match=re.escape(message)):
        estimator.explain(np.zeros((1, 2)), spasify=True)
