"""
The accuracy, plausibility and cost frontier over a lambda grid
===============================================================

Counterfactual training (CT) trades a little accuracy, and sometimes cheaper
recourse, for explanations that land among real samples of the class they
aim for. How much of each you get depends on the weights of its loss terms:
``lambda_div`` (the contrastive divergence that pulls counterfactuals towards
real target-class samples) and ``lambda_adv`` (the adversarial loss). This
example runs :class:`~sklearn.model_selection.GridSearchCV` over a small grid
of both, scores every candidate on three axes, draws the frontier, and lets
:func:`sklearn_ct.model_selection.most_plausible_within` choose: the most
plausible candidate within one point of the best accuracy and 5% of the
cheapest recourse.
"""

# %%
# Data, model and the question we score
# -------------------------------------
# The paper's *moons*: 1,200 samples for the search, 300 held out. The
# network sees standardised inputs. Training is cut to 20 epochs and 200
# counterfactuals per epoch, so the whole grid runs in well under a minute.
#
# A bank scores only the explanations it gives: people predicted as class 0
# ("declined") told how to reach class 1 ("approved"). The scorers say so
# with ``factual_class=0, target=1``; they take the pipeline's own input.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from sklearn_ct import CounterfactualTrainingClassifier
from sklearn_ct.datasets import load_dataset
from sklearn_ct.metrics import make_explainability_scorer, manifold_distance
from sklearn_ct.model_selection import most_plausible_within
from sklearn_ct.pipeline import make_pipeline

data = load_dataset("moons", n_samples=1500, random_state=0)
train = np.concatenate([data.train_index, data.validation_index])
X, y = data.data[train], data.target[train]
X_test, y_test = data.data[data.test_index], data.target[data.test_index]
print(f"{len(X)} samples for the search, {len(X_test)} held out")

clf = CounterfactualTrainingClassifier(
    max_epochs=20,
    batch_size=64,
    n_counterfactuals=200,
    decision_threshold=0.5,
    random_state=0,
)
model = make_pipeline(StandardScaler(), clf)

declined_to_approved = {"factual_class": 0, "target": 1, "n_factuals": 60}
scoring = {
    "accuracy": "accuracy",
    # minus the mean L1 distance to the 5 nearest approved samples (yNN/ReLax)
    "plausibility": make_explainability_scorer("manifold", **declined_to_approved),
    # minus the mean L1 distance from factual to counterfactual
    "cost": make_explainability_scorer("cost", **declined_to_approved),
    "validity": make_explainability_scorer("validity", **declined_to_approved),
}

# %%
# The search
# ----------
# Six CT settings and the conventionally trained network as a reference
# point (``objective="vanilla"``), three folds each. ``refit`` is the helper:
# it reads ``cv_results_`` and returns the index of the candidate to refit.
step = "counterfactualtrainingclassifier__"
grid = [
    {step + "objective": ["vanilla"]},
    {step + "lambda_div": [0.1, 0.5, 2.0], step + "lambda_adv": [0.0, 0.25]},
]
refit = most_plausible_within(accuracy_tolerance=0.01, cost_tolerance=0.05)
search = GridSearchCV(model, grid, scoring=scoring, refit=refit, cv=3)
search.fit(X, y)

# %%
# One row per candidate, means over the folds. Scorers return "greater is
# better" numbers, so distances come negated; we turn them back into
# distances (model input space: standardised units; lower is better).
cv = search.cv_results_
results = pd.DataFrame(
    {
        "setting": [
            "baseline"
            if row.get(step + "objective") == "vanilla"
            else f"div={row[step + 'lambda_div']:g}, adv={row[step + 'lambda_adv']:g}"
            for row in cv["params"]
        ],
        "accuracy": cv["mean_test_accuracy"],
        "manifold distance": -cv["mean_test_plausibility"],
        "(std over folds)": cv["std_test_plausibility"],
        "cost": -cv["mean_test_cost"],
        "validity": cv["mean_test_validity"],
        "eligible": refit.eligible(cv),
    }
)
print(results.round(3).to_string())
chosen = search.best_index_
print(f"\nthe helper refits: {results.setting[chosen]}")

# %%
# What is a good manifold distance? The same quantity for *real* approved
# people: held-out samples of class 1 against the training samples of class
# 1, in the same standardised units. A counterfactual as close to its
# neighbours as a real approved person is as plausible as it gets.
scaler = search.best_estimator_[0]
real = manifold_distance(
    scaler.transform(X_test[y_test == 1]), scaler.transform(X[y == 1])
)
print(f"manifold distance of real approved people: {real:.3f}")

# %%
# The frontier
# ------------
# Left, accuracy against plausibility; right, cost of recourse against
# plausibility; further left is more plausible. The helper first keeps the
# candidates within one point of the best accuracy (above the dashed line,
# left), then those at most 5% dearer than the cheapest of them (below the
# dashed line, right; filled dots met both), and refits the most plausible of
# those (ringed in green). The dotted line is the real people's value.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharex=True)
distance = results["manifold distance"].to_numpy()
accurate = results["accuracy"] >= results["accuracy"].max() - refit.accuracy_tolerance
cheapest = results.loc[accurate, "cost"].min()
for ax, name, line in [
    (axes[0], "accuracy", results["accuracy"].max() - refit.accuracy_tolerance),
    (axes[1], "cost", cheapest * (1 + refit.cost_tolerance)),
]:
    value = results[name].to_numpy()
    eligible = results["eligible"].to_numpy()
    ax.scatter(
        distance[~eligible],
        value[~eligible],
        facecolors="none",
        edgecolors="tab:blue",
        label="not eligible",
    )
    ax.scatter(
        distance[eligible],
        value[eligible],
        color="tab:blue",
        label="within both tolerances",
    )
    ax.scatter(
        distance[chosen],
        value[chosen],
        s=220,
        facecolors="none",
        edgecolors="tab:green",
        lw=2,
        label="refit picks",
    )
    ax.axhline(line, color="k", ls="--", lw=0.8)
    ax.axvline(real, color="0.5", ls=":", lw=1, label="real approved people")
    for k, (text, x_, y_) in enumerate(
        zip(results["setting"], distance, value, strict=True)
    ):
        ax.annotate(
            text,
            (x_, y_),
            textcoords="offset points",
            fontsize=7,
            xytext=(4, 4 if k % 2 else -10),
        )
    ax.set_xlabel("manifold distance (cross-validated; lower is more plausible)")
    ax.set_ylabel(f"{name} (cross-validated)")
axes[1].legend(fontsize=8, loc="best")
fig.suptitle("Declined -> approved explanations over a lambda grid", fontsize=10)
fig.tight_layout()
plt.show()

# %%
# The choice on held-out data
# ---------------------------
# ``best_estimator_`` is the refitted choice; the baseline is the first
# candidate, refitted by hand for the comparison.
baseline = model.set_params(**{step + "objective": "vanilla"}).fit(X, y)
held_out = pd.DataFrame(
    {
        name: {
            "accuracy": fitted.score(X_test, y_test),
            "manifold distance": -scoring["plausibility"](fitted, X_test, y_test),
            "cost": -scoring["cost"](fitted, X_test, y_test),
        }
        for name, fitted in [
            ("baseline", baseline),
            (results.setting[chosen], search.best_estimator_),
        ]
    }
).T
print(held_out.round(3).to_string())

# %%
# In the folds, a light divergence term (``div=0.1``) brought the declined
# people's counterfactuals closer to real approved people than the baseline
# did, in every fold, at the same accuracy and about the same cost; a
# stronger one (``div=0.5``) came closer still but cost accuracy and was
# dearer, and the strongest (``div=2``) lost on both. Whether that lead holds
# for the model refitted on all the data is what the held-out rows above
# say: at this small training budget it need not (in our run the two models
# came out about level there), so read the search as evidence, not a
# guarantee, and check the choice on data it has not seen. None of the
# counterfactuals comes near the real people's value: at
# ``decision_threshold=0.5`` they stop at the decision boundary, far from
# the class's bulk. The tolerances are yours to set; on real tabular data
# the frontier can look quite different (the baseline may well be the best
# choice there).
