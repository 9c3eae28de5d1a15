"""Penalty weights beside a generator: a weight it would ignore, or give twice, raises."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_ct import CounterfactualExplainer, CounterfactualTrainingClassifier
from sklearn_ct.generators import ECCCoGenerator, Generator, GenericGenerator
from sklearn_ct.metrics import make_explainability_scorer
from sklearn_ct.pipeline import make_pipeline

TINY = {
    "max_epochs": 2,
    "n_counterfactuals": 16,
    "max_iter_cf": 5,
    "lr": 0.01,
    "random_state": 0,
}


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(100, centers=[[-2, -2], [2, 2]], random_state=0)


@pytest.fixture(scope="module")
def logreg(blobs):
    return LogisticRegression().fit(*blobs)


@pytest.fixture(scope="module")
def ct_generic(blobs):
    return CounterfactualTrainingClassifier(generator="generic", **TINY).fit(*blobs)


@pytest.fixture(scope="module")
def ct_ecco(blobs):
    return CounterfactualTrainingClassifier(**TINY).fit(*blobs)


class _NoWeights(Generator):
    """A custom generator without penalty weights."""

    def penalty(self, x_cf, x, logits, target, step, max_iter):
        return x_cf.new_zeros(len(x_cf))


@pytest.mark.parametrize("generator", ["generic", "revise", "gravitational"])
def test_an_energy_weight_for_a_generator_without_one_raises(logreg, blobs, generator):
    explainer = CounterfactualExplainer(logreg, generator=generator, lambda_energy=5)
    with pytest.raises(
        ValueError,
        match=rf"lambda_energy=5 does nothing with generator='{generator}' .* "
        r"it is used by generator='ecco'",
    ):
        explainer.fit(blobs[0])


def test_a_weight_a_custom_generator_lacks_names_the_generators_that_use_it(
    logreg, blobs
):
    explainer = CounterfactualExplainer(logreg, generator=_NoWeights(), lambda_cost=0)
    with pytest.raises(
        ValueError,
        match=r"_NoWeights has no lambda_cost\); it is used by generator='generic' "
        r"or generator='ecco' or generator='revise' or generator='gravitational'",
    ):
        explainer.fit(blobs[0])


def test_a_weight_beside_a_generator_instance_is_a_duplicate(logreg, blobs):
    explainer = CounterfactualExplainer(
        logreg, generator=ECCCoGenerator(lambda_energy=2.0), lambda_energy=1.0
    )
    with pytest.raises(
        ValueError,
        match=r"lambda_energy=1.0 was given beside generator=ECCCoGenerator"
        r"\(lambda_energy=2.0\), which holds its own lambda_energy=2.0",
    ):
        explainer.fit(blobs[0])


def test_weights_the_generator_has_still_override(logreg, blobs):
    explainer = CounterfactualExplainer(
        logreg, generator="ecco", lambda_cost=0.0, lambda_energy=0.5
    ).fit(blobs[0])
    assert (
        explainer.generator_.get_params()
        == ECCCoGenerator(lambda_cost=0.0, lambda_energy=0.5).get_params()
    )
    generic = CounterfactualExplainer(logreg, generator="generic", lambda_cost=0.1)
    assert generic.fit(blobs[0]).generator_.lambda_cost == 0.1


def test_explain_refuses_a_weight_its_generator_ignores(ct_ecco, blobs):
    X = blobs[0][:3]
    with pytest.raises(ValueError, match="lambda_energy=5 does nothing with "):
        ct_ecco.explain(X, generator="generic", lambda_energy=5)
    with pytest.raises(ValueError, match="was given beside generator=Generic"):
        ct_ecco.explain(X, generator=GenericGenerator(), lambda_cost=0.1)
    # The training generator's own weights can be adjusted.
    assert len(ct_ecco.explain(X, lambda_energy=1.0, lambda_cost=0.0)) == 3


def test_explain_refuses_a_weight_the_training_generator_ignores(ct_generic, blobs):
    with pytest.raises(
        ValueError,
        match=r"lambda_energy=5 does nothing with the classifier's training "
        r"generator GenericGenerator\(\)",
    ):
        ct_generic.explain(blobs[0][:3], lambda_energy=5)


def test_the_pipelines_explain_refuses_an_ignored_weight(blobs):
    X = pd.DataFrame(blobs[0], columns=["a", "b"])
    pipe = make_pipeline(StandardScaler(), CounterfactualTrainingClassifier(**TINY))
    pipe.fit(X, blobs[1])
    with pytest.raises(ValueError, match="lambda_energy=5 does nothing with "):
        pipe.explain(X.head(3), generator="generic", lambda_energy=5)


def test_a_scorer_with_an_ignored_weight_raises_when_it_scores(logreg, blobs):
    scorer = make_explainability_scorer(
        "validity", n_factuals=5, generator="generic", lambda_energy=1.0
    )
    with pytest.raises(ValueError, match=r"lambda_energy=1\.0 does nothing with "):
        scorer(logreg, *blobs)
    ok = make_explainability_scorer("validity", n_factuals=5, lambda_energy=1.0)
    assert np.isfinite(ok(logreg, *blobs))
