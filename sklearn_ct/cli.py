"""The ``sklearn-ct`` command line: argument parsing only, no experiment logic.

::

    sklearn-ct demo        [--out DIR] [--seed N] [--quiet]
    sklearn-ct reproduce   [--datasets all|a,b] [--quick] [--n-jobs N] [--out DIR]
                           [--data-home DIR] [--seed N] [--seeds K]
                           [--scheduler ADDRESS] [--reference-zero-ridge]
                           [--quiet]
    sklearn-ct bench       [--quick] [--only NAMES] [--scaling] [--out DIR]
                           [--value [--datasets a,b] [--seeds K] [--params JSON]
                            [--n-jobs N] [--data-home DIR]]
"""

from __future__ import annotations

import argparse
import os
import sys

#: Environment variable naming a Dask scheduler for ``sklearn-ct reproduce``
#: (``--scheduler`` wins over it).
SCHEDULER_ENV = "SKLEARN_CT_SCHEDULER"


def _demo(args) -> int:
    from .demo import run_demo

    table, path = run_demo(args.out, random_state=args.seed, verbose=not args.quiet)
    print("\nBaseline vs counterfactual training (CT) on the paper's Example 3.1")
    print("(200 test borrowers predicted to default; distances in standard units)\n")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"\nFigure 1 saved to {path}")
    return 0


def _scheduler(args):
    """``--scheduler``, else ``$SKLEARN_CT_SCHEDULER``, else None (a local run)."""
    return args.scheduler or os.environ.get(SCHEDULER_ENV) or None


def _reproduce(args) -> int:
    from .reproduction import reproduce

    datasets = "all" if args.datasets == "all" else args.datasets.split(",")
    reproduce(
        datasets,
        quick=args.quick,
        n_jobs=args.n_jobs,
        out=args.out,
        data_home=args.data_home,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
        reference_zero_ridge=args.reference_zero_ridge,
        seeds=args.seeds,
        scheduler=_scheduler(args),
        step_size=args.step_size,
        device=args.device,
    )
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def _bench(args) -> int:
    from pathlib import Path

    from .benchmarks import check_claims, format_scaling, run_benchmarks, run_scaling

    if args.value:
        import json

        from .benchmarks.value import DATASETS, format_value, run_value

        datasets = DATASETS if args.datasets == "all" else args.datasets.split(",")
        params = json.loads(args.params) if args.params else None
        out = Path(args.out or ".")
        frame = run_value(
            out,
            quick=args.quick,
            datasets=datasets,
            seeds=args.seeds,
            params=params,
            n_jobs=args.n_jobs,
            data_home=args.data_home,
        )
        print(format_value(frame, params))
        print(f"\nvalue.csv, value.txt and value.png written to {out}")
        return 0
    if args.scaling:
        out = Path(args.out or ".")
        frame = run_scaling(out, quick=args.quick)
        report = "\n".join([format_scaling(frame), "", *check_claims(frame)])
        print(f"\n{report}\n\nscaling.csv and scaling.png written to {out}")
        name = "scaling.txt"
    else:
        only = args.only.split(",") if args.only else None
        report = run_benchmarks(quick=args.quick, only=only, ct_minimal=args.ct_minimal)
        print(report)
        name = "bench.txt"
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / name).write_text(report + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``sklearn-ct``."""
    parser = argparse.ArgumentParser(
        prog="sklearn-ct",
        description="Counterfactual training for scikit-learn.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo",
        help="train a baseline and a CT model on built-in data, print a "
        "table and save the paper's Figure 1 as demo.png",
    )
    demo.add_argument("--out", default=".", help="folder for demo.png (default: .)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(run=_demo)

    reproduce = commands.add_parser(
        "reproduce", help="the paper's main table and figures on chosen data sets"
    )
    reproduce.add_argument(
        "--datasets",
        default="all",
        help="'all' (the paper's nine, MNIST included; the "
        "8x8 digits only when named) or a comma-separated "
        "list, e.g. linearly_separable,moons,mnist",
    )
    reproduce.add_argument(
        "--quick",
        action="store_true",
        help="10 epochs and 5 bootstrap rounds (minutes, not the paper's protocol)",
    )
    reproduce.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="parallel fits and evaluations (default: 1; with "
        "--scheduler the cluster's workers decide)",
    )
    reproduce.add_argument(
        "--out", default="results", help="output folder (default: results)"
    )
    reproduce.add_argument(
        "--data-home",
        default=None,
        help="folder with the real data sets (default: $SKLEARN_CT_DATA, else "
        "scikit-learn's data home, where missing files are downloaded)",
    )
    reproduce.add_argument("--seed", type=int, default=0, help="random seed")
    reproduce.add_argument(
        "--seeds",
        type=_positive,
        default=1,
        metavar="K",
        help="training seeds per model (default: 1); the "
        "synthetic data get fresh rows per seed and the "
        "table reports mean ± std over seeds, starred by a "
        "t-test across seeds (needs K >= 3)",
    )
    reproduce.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the fits and evaluations on the Dask cluster "
        "of this scheduler, e.g. tcp://host:8786 (default: "
        f"${SCHEDULER_ENV}, else local; needs "
        "pip install 'sklearn-ct[dask]')",
    )
    reproduce.add_argument(
        "--reference-zero-ridge",
        action="store_true",
        help="train the synthetic protected pairs with "
        "lambda_reg = lambda_adv = 0, as the reference did",
    )
    reproduce.add_argument(
        "--step-size",
        type=_positive_float,
        default=None,
        metavar="S",
        help="the test-time search's fixed step, the explainer's "
        "step_size (default: the paper's 0.1; at most 5/S steps; "
        "training keeps the classifier's step_size_cf). Not the "
        "paper's protocol: see research/notes/step_size.md",
    )
    reproduce.add_argument(
        "--device",
        default="cpu",
        help="torch device of the fits and searches, e.g. cuda (default: cpu)",
    )
    reproduce.add_argument("--quiet", action="store_true", help="no progress output")
    reproduce.set_defaults(run=_reproduce)

    bench = commands.add_parser(
        "bench", help="performance figures of the search and of training"
    )
    bench.add_argument("--quick", action="store_true", help="smaller sizes")
    bench.add_argument(
        "--only",
        default=None,
        help="comma-separated subset of explain,search,training,dice,"
        "floor,contention,devices (default: all; devices: cpu against "
        "cuda, skipped without a GPU)",
    )
    bench.add_argument(
        "--ct-minimal",
        default=None,
        metavar="PATH",
        help="ct_minimal.py for the floor rows (default: $SKLEARN_CT_MINIMAL; "
        "without either, those rows are skipped)",
    )
    bench.add_argument(
        "--scaling",
        action="store_true",
        help="instead: fit and explain from 10^3 to 10^6 rows (--quick:"
        " to 10^5), writing scaling.csv and scaling.png",
    )
    bench.add_argument(
        "--value",
        action="store_true",
        help="instead: baseline against CT with the defaults (or "
        "--params) on the real and synthetic sets over 5 seeds:"
        " accuracy, validity, cost, plausibility, robustness of"
        " the recourse; writes value.csv, value.txt, value.png",
    )
    bench.add_argument(
        "--datasets",
        default="all",
        help="with --value: 'all' or a comma-separated list",
    )
    bench.add_argument(
        "--seeds",
        type=_positive,
        default=None,
        metavar="K",
        help="with --value: training seeds (default: 5)",
    )
    bench.add_argument(
        "--params",
        default=None,
        metavar="JSON",
        help="with --value: settings of both models, e.g. "
        "'{\"lambda_adv\": 0.1}' (default: the defaults)",
    )
    bench.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="with --value: data sets in parallel (default: 1)",
    )
    bench.add_argument(
        "--data-home", default=None, help="with --value: folder with the real data sets"
    )
    bench.add_argument(
        "--out",
        default=None,
        help="folder for the report (bench.txt or scaling.txt) and the"
        " scaling files (default: print only; scaling files go"
        " to .)",
    )
    bench.set_defaults(run=_bench)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``sklearn-ct`` command.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments; None: the command line's.

    Returns
    -------
    int
        The exit status.
    """
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
