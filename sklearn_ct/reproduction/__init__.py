"""The paper's reproduction: its protocol, evaluation, statistics and tables.

Behind ``sklearn-ct reproduce``; the library never imports this subpackage.

* ``_protocol``: every setting (:func:`protocol`, :data:`PAPER_SETTINGS`),
  the data (:func:`prepare_data`) and the models (:func:`make_model`,
  :func:`counterfactuals_per_epoch`);
* ``_stages``: the fits and evaluations as tasks of one pool
  (:func:`train_models`, :func:`evaluate_models`, and
  :func:`fit_and_evaluate`: both per pair, with no barrier between them);
* ``_run``: :func:`reproduce`, which runs it all and writes every output;
* ``_counterfactuals``, ``_evaluation``: the evaluation of a pair of
  models, baseline and CT (:func:`evaluate_pair`: counterfactuals,
  robustness, sensitivity);
* ``_reductions``: the statistics (reductions in %, bootstrap intervals,
  summaries over seeds, table cells);
* ``_reporting``: the paper's numbers and our tables and figures
  (:func:`write_outputs`);
* ``_parallel``: one joblib pool for every fit and evaluation, locally or on
  a Dask cluster (:func:`dask_backend`);
* ``_julia_random``: Julia's seeded random stream, which recomputes the
  reference's blob centres (the data sets hold them as constants).
"""

from ._counterfactuals import evaluate_counterfactuals, sample_individuals
from ._evaluation import (
    digit_examples,
    evaluate_pair,
    robustness_curves,
    sensitivity_rounds,
    summarise_sensitivity,
)
from ._parallel import dask_backend, run_tasks
from ._protocol import (
    PAPER_DATASETS,
    PAPER_SETTINGS,
    REFERENCE_DATA_SEEDS,
    counterfactuals_per_epoch,
    make_model,
    prepare_data,
    protocol,
)
from ._reductions import (
    MAIN_COLUMNS,
    difference_interval,
    lambda_average,
    main_columns,
    main_table,
    reduction,
    reduction_table,
    round_means,
    seed_reductions,
    seed_summary,
    table_cell,
)
from ._reporting import (
    LABELS,
    PAPER_ACCURACY,
    PAPER_RESULTS,
    main_table_per_seed,
    to_markdown,
    write_outputs,
)
from ._run import reproduce
from ._stages import evaluate_models, fit_and_evaluate, train_models

__all__ = [
    "LABELS",
    "MAIN_COLUMNS",
    "PAPER_ACCURACY",
    "PAPER_DATASETS",
    "PAPER_RESULTS",
    "PAPER_SETTINGS",
    "REFERENCE_DATA_SEEDS",
    "counterfactuals_per_epoch",
    "dask_backend",
    "difference_interval",
    "digit_examples",
    "evaluate_counterfactuals",
    "evaluate_models",
    "evaluate_pair",
    "fit_and_evaluate",
    "lambda_average",
    "main_columns",
    "main_table",
    "main_table_per_seed",
    "make_model",
    "prepare_data",
    "protocol",
    "reduction",
    "reduction_table",
    "reproduce",
    "robustness_curves",
    "round_means",
    "run_tasks",
    "sample_individuals",
    "seed_reductions",
    "seed_summary",
    "sensitivity_rounds",
    "summarise_sensitivity",
    "table_cell",
    "to_markdown",
    "train_models",
    "write_outputs",
]
