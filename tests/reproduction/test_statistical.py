"""Statistical checks of the method on the paper's settings (slow)."""

import numpy as np
import pytest

from sklearn_ct import CounterfactualTrainingClassifier, ECCCoGenerator
from sklearn_ct.datasets import load_dataset
from sklearn_ct.metrics import implausibility_by_target, validity
from sklearn_ct.reproduction import (
    PAPER_SETTINGS,
    evaluate_pair,
    make_model,
    prepare_data,
    protocol,
    reduction_table,
)
from sklearn_ct.reproduction._protocol import MODELS, _seed

pytestmark = pytest.mark.slow

#: The paper's Example 3.1 (Figure 1): Generic generator, tau 0.75, T 30,
#: lambdas div 0.5 / reg 0.01 / adv 0.1, 1,000 counterfactuals, batch 50.
EXAMPLE_31 = {
    "energy": "joint",  # the paper's Eq. 2
    "generator": "generic",
    "decision_threshold": 0.75,
    "max_iter_cf": 30,
    "lambda_div": 0.5,
    "lambda_reg": 0.01,
    "lambda_adv": 0.1,
    "n_counterfactuals": 1000,
    "batch_size": 50,
    "max_epochs": 100,
    "lr": 1e-3,
}


def _implausibility(clf, X, y):
    """Mean IP of faithful test-time ECCCo counterfactuals over the paper's grid.

    With x1 frozen on LS at the reference's centres, CT's search reaches
    tau 0.95 within 50 steps for 1.00, 1.00, 1.00, 0.87 and 0.76 of the
    factuals at the five energy weights (the baseline's: 1.00 at each).
    """
    values = []
    for lambda_energy in (0.1, 0.5, 1.0, 5.0, 10.0):
        result = clf.explain(
            X,
            decision_threshold=0.95,
            max_iter=50,
            refine=False,
            fallback=False,
            generator=ECCCoGenerator(lambda_cost=0.0, lambda_energy=lambda_energy),
        )
        assert validity(result) > 0.7
        values.append(implausibility_by_target(result, X, y, random_state=0))
    return np.mean(values)


def test_ct_counterfactuals_are_more_plausible_on_blobs_with_an_immutable_feature():
    data = load_dataset("linearly_separable", random_state=42)  # two blobs, std 0.5
    X, y = data.data[data.train_index], data.target[data.train_index]
    X_test, y_test = data.data[data.test_index], data.target[data.test_index]
    models = {
        objective: CounterfactualTrainingClassifier(
            objective=objective,
            mutability=["none", "both"],
            random_state=0,
            **EXAMPLE_31,
        ).fit(X, y)
        for objective in ("vanilla", "full")
    }
    for clf in models.values():
        assert clf.score(X_test, y_test) >= 0.97
        assert len(clf.history_) == EXAMPLE_31["max_epochs"]
    baseline = _implausibility(models["vanilla"], X_test, y_test)
    ct = _implausibility(models["full"], X_test, y_test)
    assert ct < 0.95 * baseline  # measured: 4.24 against 4.75, 10.7% lower
    again = CounterfactualTrainingClassifier(
        objective="full", mutability=["none", "both"], random_state=0, **EXAMPLE_31
    ).fit(X, y)
    np.testing.assert_array_equal(again.predict(X_test), models["full"].predict(X_test))


@pytest.mark.parametrize("name", ["linearly_separable", "overlapping"])
def test_protected_recourse_is_cheaper_with_ct_at_the_reference_centres(name):
    """The paper's Cost cells of LS (16.4%*) and OL (40.9%*): the protocol's
    protected pair of seed 0, evaluated on 20 bootstrap rounds."""
    data = prepare_data(name)
    models = {
        m: make_model(
            data, "protected", m, random_state=_seed(0, name, "protected", m)
        ).fit(data.X_train, data.y_train)
        for m in MODELS
    }
    settings = {**protocol(), "n_rounds": 20, "refined_cost": False}
    per_round = evaluate_pair(
        models,
        data.X_test,
        data.y_test,
        single=False,
        settings=settings,
        n_individuals=PAPER_SETTINGS[name]["n_individuals"],
        protected=data.protected,
        random_state=0,
    )["per_round"]
    cost = reduction_table(per_round, metrics=("cost",)).loc["cost"]
    # reproduce's seed 0 on 100 rounds: LS 4.2%*, OL 56.9%*; on these 20
    # rounds LS gives 4.1%* (seeds 0-9 of reproduce: LS 0.2% to 34.3%).
    assert cost["significant"] and cost["percent"] > 0.0
    assert per_round.groupby("model")["validity"].mean()["BL"] > 0.5
