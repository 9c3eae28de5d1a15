"""Tests of the evaluation protocol: aggregation by hand, the sampler, a tiny run."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import make_blobs

from sklearn_ct import CounterfactualTrainingClassifier
from sklearn_ct.reproduction import (
    PAPER_RESULTS,
    difference_interval,
    evaluate_counterfactuals,
    evaluate_pair,
    lambda_average,
    main_table,
    protocol,
    reduction,
    reduction_table,
    round_means,
    sample_individuals,
    seed_reductions,
    seed_summary,
    table_cell,
    to_markdown,
)


def test_reduction_matches_a_hand_computation():
    # ratios 0.5, 1, 0.75, 1: mean 0.8125; sample std sqrt(0.171875 / 3)
    percent, plus_minus, significant = reduction(
        [1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 4.0, 4.0]
    )
    assert percent == pytest.approx(18.75)
    assert plus_minus == pytest.approx(100 * np.sqrt(0.171875 / 3))
    assert significant is False  # d = -1, 0, -1, 0: the interval reaches 0


def test_reduction_of_a_worse_model_is_negative_and_significant():
    percent, plus_minus, significant = reduction([3.0, 3.0, 3.0], [2.0, 2.0, 2.0])
    assert (percent, plus_minus, significant) == (pytest.approx(-50.0), 0.0, True)


def test_significance_uses_the_99_percent_percentile_interval():
    bl = np.full(200, 2.0)
    one_outlier = np.r_[np.full(199, 1.0), 7.0]  # d: 199 x -1 and one +5
    two_outliers = np.r_[np.full(198, 1.0), 7.0, 7.0]
    # 99.5% quantile of 200 values interpolates at position 198.005
    assert difference_interval(one_outlier, bl)[1] == pytest.approx(-1 + 0.005 * 6)
    assert reduction(one_outlier, bl)[2] is True
    assert reduction(two_outliers, bl)[2] is False
    assert difference_interval(two_outliers, bl, level=50.0) == (-1.0, -1.0)


def test_reduction_leaves_out_nan_rounds_and_zero_baselines():
    full = reduction([1.0, 3.0], [2.0, 4.0])
    assert reduction([1.0, np.nan, 3.0, 5.0], [2.0, 1.0, 4.0, 0.0])[:2] == full[:2]
    assert reduction([np.nan], [1.0])[0] != reduction([np.nan], [1.0])[0]  # nan
    with pytest.raises(ValueError, match="same length"):
        reduction([1.0, 2.0], [1.0])


def test_lambda_average_ignores_nan():
    values = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [4.0, 4.0, 1.0]])
    np.testing.assert_allclose(lambda_average(values), [2.0, np.nan, 3.0])


def test_round_means_average_over_lambdas_per_round_and_model():
    per_round = pd.DataFrame(
        {
            "lambda_energy": [0.1, 1.0, 0.1, 1.0, 0.1, 1.0, 0.1, 1.0],
            "round": [0, 0, 0, 0, 1, 1, 1, 1],
            "model": ["BL", "BL", "CT", "CT"] * 2,
            "IP": [2.0, 4.0, 1.0, np.nan, 6.0, 2.0, np.nan, np.nan],
        }
    )
    means = round_means(per_round, "IP")
    np.testing.assert_allclose(means["BL"], [3.0, 4.0])
    np.testing.assert_allclose(means["CT"], [1.0, np.nan])
    table = reduction_table(per_round, metrics=("IP",))
    assert table.loc["IP", "n_rounds"] == 1  # round 1 has no CT value
    assert table.loc["IP", "percent"] == pytest.approx(100 * (1 - 1 / 3))


def test_table_cell_and_main_table_layout():
    assert table_cell(-1.934, 1.118, False) == "-1.93 ± 1.12"
    reductions = pd.DataFrame(
        [
            {
                "dataset": "moons",
                "pair": pair,
                "metric": metric,
                "percent": 10.0,
                "plus_minus": 1.0,
                "significant": True,
            }
            for pair in ("single", "protected")
            for metric in ("IP", "IP*", "cost")
        ]
    )
    table = main_table(reductions, PAPER_RESULTS, {"moons": "Moon"})
    assert list(table.index) == ["Moon", "Avg."]
    assert table.loc["Moon", "IP"] == "10.00 ± 1.00 *"
    assert table.loc["Moon", "IP (paper)"] == "19.59 ± 0.73 *"
    assert table.loc["Avg.", "Cost (paper)"] == "5.16"
    assert to_markdown(table).splitlines()[1] == "|---|---|---|---|---|---|---|"


def test_seed_summary_matches_a_hand_computed_t_test():
    percent, plus_minus, significant, p_value = seed_summary(
        [20.0, 25.0, 30.0], [-1.0, -1.2, -1.1]
    )
    assert (percent, plus_minus) == (pytest.approx(25.0), pytest.approx(5.0))
    t = -1.1 / (0.1 / np.sqrt(3))  # mean / (sample std / sqrt(n)), 2 df
    assert p_value == pytest.approx(2 * stats.t.sf(abs(t), df=2))
    assert p_value < 0.01 and significant is True


def test_seed_summary_stars_only_results_that_hold_across_seeds():
    assert seed_summary([20.0, -1.0, 30.0], [-1.0, -1.2, -1.1])[2] is False  # sign
    assert seed_summary([-20.0, -25.0, -30.0], [1.0, 1.2, 1.1])[2] is True  # worse
    assert seed_summary([20.0, 25.0, 30.0], [1.0, 1.2, 1.1])[2] is False  # d > 0
    # p = 0.074: significant at the 10% level only
    spread = ([10.0, 20.0, 30.0], [-1.0, -2.0, -3.0])
    assert seed_summary(*spread)[3] == pytest.approx(0.0742, abs=1e-4)
    assert seed_summary(*spread)[2] is False
    assert seed_summary(*spread, level=90.0)[2] is True
    two = seed_summary([20.0, 30.0], [-1.0, -1.1])  # fewer than 3 seeds: never
    assert two[:2] == (pytest.approx(25.0), pytest.approx(np.sqrt(50.0)))
    assert two[2] is False and np.isnan(two[3])


def test_seed_summary_leaves_out_seeds_without_a_result():
    percent, _, significant, p_value = seed_summary(
        [20.0, 25.0, 30.0, np.nan], [-1.0, -1.2, -1.1, np.nan]
    )
    assert percent == pytest.approx(25.0) and p_value < 0.01
    assert significant is False  # a seed without a result is not robust
    assert np.isnan(seed_summary([np.nan], [np.nan])[0])
    with pytest.raises(ValueError, match="same length"):
        seed_summary([1.0, 2.0], [1.0])


def test_seed_reductions_and_their_main_table():
    reductions = pd.DataFrame(
        [
            {
                "seed": seed,
                "dataset": "moons",
                "pair": pair,
                "metric": metric,
                "percent": percent,
                "ct_mean": 1.0 - percent / 100,
                "bl_mean": 1.0,
            }
            for seed, percent in enumerate([20.0, 22.0, 24.0])
            for pair in ("single", "protected")
            for metric in ("IP", "IP*", "cost")
        ]
    )
    reductions.loc[
        (reductions["seed"] == 2) & (reductions["metric"] == "cost"),
        ["percent", "ct_mean"],
    ] = np.nan
    table = seed_reductions(reductions)
    assert len(table) == 6 and set(table["n_seeds"]) == {3}
    ip = table.set_index(["pair", "metric"]).loc[("single", "IP")]
    assert (ip["percent"], ip["plus_minus"]) == (
        pytest.approx(22.0),
        pytest.approx(2.0),
    )
    assert ip["significant"] and ip["n_finite"] == 3  # p = 0.0027
    cost = table.set_index(["pair", "metric"]).loc[("protected", "cost")]
    assert cost["n_finite"] == 2 and not cost["significant"]
    main = main_table(table, PAPER_RESULTS, {"moons": "Moon"})
    assert main.loc["Moon", "IP"] == "22.00 ± 2.00 *"
    assert main.loc["Moon", "Cost"] == "21.00 ± 1.41 [2/3 seeds]"


def test_paper_averages_are_the_means_of_its_rows():
    for column in ("IP", "IP*", "Cost"):
        rows = [v[column][0] for k, v in PAPER_RESULTS.items() if k != "Avg."]
        assert np.mean(rows) == pytest.approx(
            PAPER_RESULTS["Avg."][column][0], abs=0.01
        )


def test_sampler_returns_rows_both_models_predict_as_the_factual_class():
    rng = np.random.default_rng(0)
    bl = rng.integers(3, size=200)
    ct = np.where(rng.random(200) < 0.3, (bl + 1) % 3, bl)
    ct[bl == 2] = 0  # no row is predicted 2 by both: class 2 is never factual
    rows, factual, target = sample_individuals([bl, ct], np.arange(3), 5000, rng)
    assert rows.shape == factual.shape == target.shape == (5000,)
    assert np.all(bl[rows] == factual) and np.all(ct[rows] == factual)
    assert np.all(target != factual) and set(factual) == {0, 1}
    assert set(target) == {0, 1, 2}
    with pytest.raises(ValueError, match="same class"):
        sample_individuals([np.zeros(3), np.ones(3)], [0, 1], 2, rng)


@pytest.fixture(scope="module")
def tiny_pair():
    X, y = make_blobs(400, centers=[[-2, -2], [2, 2]], cluster_std=1.0, random_state=0)
    models = {
        name: CounterfactualTrainingClassifier(
            objective=objective,
            max_epochs=3,
            batch_size=32,
            n_counterfactuals=50,
            lr=0.01,
            lambda_reg=0.1,
            random_state=1,
        ).fit(X[:300], y[:300])
        for name, objective in (("BL", "vanilla"), ("CT", "full"))
    }
    return models, X[300:], y[300:]


def test_tiny_evaluation_returns_finite_numbers(tiny_pair):
    models, X, y = tiny_pair
    per_round = evaluate_counterfactuals(
        models,
        X,
        y,
        decision_threshold=0.6,
        lambdas=(0.5, 1.0),
        n_rounds=4,
        n_individuals=10,
        max_iter=50,
        random_state=0,
    )
    assert len(per_round) == 2 * 4 * 2
    assert set(per_round["model"]) == {"BL", "CT"}
    assert np.isfinite(per_round[["validity", "cost", "IP", "IP*"]].to_numpy()).all()
    table = reduction_table(per_round)
    assert np.isfinite(table["percent"]).all() and (table["n_rounds"] == 4).all()
    again = evaluate_counterfactuals(
        models,
        X,
        y,
        decision_threshold=0.6,
        lambdas=(0.5, 1.0),
        n_rounds=4,
        n_individuals=10,
        max_iter=50,
        random_state=0,
    )
    pd.testing.assert_frame_equal(per_round, again)  # seeded


def test_refined_cost_refines_the_same_counterfactuals(tiny_pair):
    models, X, y = tiny_pair
    options = dict(
        decision_threshold=0.6,
        lambdas=(0.5, 1.0),
        n_rounds=4,
        n_individuals=10,
        max_iter=50,
        step_size=0.5,
        random_state=0,
    )
    plain = evaluate_counterfactuals(models, X, y, **options)
    both = evaluate_counterfactuals(models, X, y, refined_cost=True, **options)
    assert "cost_refined" not in plain
    pd.testing.assert_frame_equal(both.drop(columns="cost_refined"), plain)
    # back toward the factual, never further: at most the search's cost, and
    # here (steps of 0.5 overshoot) clearly less on average
    assert (both["cost_refined"] <= both["cost"] + 1e-9).all()
    assert both["cost_refined"].mean() < 0.9 * both["cost"].mean()
    table = reduction_table(both, ("cost", "cost_refined"))
    assert np.isfinite(table["percent"]).all()


def test_main_table_adds_the_refined_cost_without_a_paper_column():
    reductions = pd.DataFrame(
        [
            {
                "dataset": "moons",
                "pair": pair,
                "metric": metric,
                "percent": 10.0,
                "plus_minus": 1.0,
                "significant": False,
            }
            for pair, metric in (
                ("single", "IP"),
                ("single", "IP*"),
                ("protected", "cost"),
                ("protected", "cost_refined"),
            )
        ]
    )
    table = main_table(reductions, PAPER_RESULTS, {"moons": "Moon"})
    assert list(table.columns) == [
        "IP",
        "IP (paper)",
        "IP*",
        "IP* (paper)",
        "Cost",
        "Cost (paper)",
        "Cost, refined",
    ]
    assert table.loc["Avg.", "Cost, refined"] == "10.00"


@pytest.mark.parametrize("single", [True, False])
def test_evaluate_pair_returns_what_the_pair_needs(tiny_pair, single):
    models, X, y = tiny_pair
    settings = {
        **protocol(quick=True),
        "n_rounds": 2,
        "ig_rounds": 2,
        "ig_rows": 50,
        "epsilons": [0.0, 0.05],
    }
    out = evaluate_pair(
        models,
        X,
        y,
        single=single,
        settings=settings,
        n_individuals=10,
        protected=[0],
        random_state=0,
    )
    assert set(out) == {
        "per_round",
        "accuracy",
        "robustness" if single else "sensitivity",
        "seconds",
    }
    assert set(out["seconds"]) == set(out) - {"per_round", "seconds"} | {
        "counterfactuals"
    }
    assert out["accuracy"]["accuracy"].between(0.5, 1.0).all()
    assert ("cost_refined" in out["per_round"]) is not single  # the protected pair's
    if single:
        assert len(out["robustness"]) == 2 * 2 * 2  # models x attacks x epsilons
    else:
        assert np.isfinite(out["sensitivity"]["sensitivity"]).all()
