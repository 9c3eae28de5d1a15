"""Are CT's invalid default explanations on credit_default infeasible, or missed?

``sklearn-ct bench --value`` reported validity 0.91 for CT's default
explanations on credit_default (5,000 training rows, 5 seeds). The value
benchmark sets no mutability, so every training row inside the domain box
that the model predicts as the target is a feasible counterfactual for
anyone. This script fits CT as the benchmark does (seed 0, package
defaults), explains the same 200 people, and for each person left without
recourse projects every training row the model predicts as 1 onto that
person's constraints and checks it with the model.

    SKLEARN_CT_DATA=/path/to/data python research/diag/value/missed_recourse.py

At commit f07002e (2026-12-03): validity 0.925, 15 people without recourse,
and for all 15 a projected training row reached the target (L1 1.16 to 5.69;
the valid explanations cost 2.45 on average). The cause: in the 5,000-row
sample one category of a one-hot group (column 22) never occurs, so its
column's learned box is [0, 0]; the one-hot projection still snapped groups
to that level, and the result, clipped to the box when returned, had no
level at all and fell back below the threshold. The projection now only
picks levels inside the box; with it, validity is 1.000 here.
"""

import os
import warnings

import numpy as np
import torch

from sklearn_ct.benchmarks.value import _fit, _people, load_value_data
from sklearn_ct.constraints import project
from sklearn_ct.explain._refine import reaches

torch.set_num_threads(1)
data = load_value_data(
    "credit_default", 5000, data_home=os.environ.get("SKLEARN_CT_DATA")
)
X_train, y_train, X_test, y_test, groups = data
clf, _ = _fit(data, {}, "CT", 0)
people = _people(clf, X_test, 200, 0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    result = clf.explain(X_test[people], target=1, random_state=0)
valid = np.asarray(result.valid)
failed = np.flatnonzero(~valid)
print(f"validity {valid.mean():.3f}: {len(failed)} of {len(valid)} without recourse")
if not len(failed):
    raise SystemExit(0)
x_failed = torch.tensor(X_test[people][failed])
cf_failed = np.asarray(result.counterfactuals, dtype=np.float32)[failed]
print(
    "p(target), factual:", np.round(clf.predict_proba(X_test[people][failed])[:, 1], 3)
)
print("p(target), returned point:", np.round(clf.predict_proba(cf_failed)[:, 1], 3))

constraints = clf.constraints_.tensors(torch.float32, "cpu")
module = clf.net_.module_.eval()
predicted_1 = torch.tensor(X_train[clf.predict(X_train) == 1])
found, costs = [], []
for x in x_failed:
    points = project(predicted_1, x.expand_as(predicted_1), constraints)
    ok = reaches(module, points, torch.ones(len(points), dtype=torch.long), 0.5)
    cost = (points - x).abs().sum(dim=1).masked_fill(~ok, float("inf"))
    found.append(bool(ok.any()))
    costs.append(float(cost.min()))
print(f"a projected training row reaches the target for {sum(found)} of {len(found)}")
print("its L1 cost:", np.round(costs, 2))
cost_valid = np.abs(np.asarray(result.counterfactuals)[valid] - X_test[people][valid])
print(f"mean L1 cost of the valid explanations: {cost_valid.sum(axis=1).mean():.2f}")
