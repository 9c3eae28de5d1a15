import re
import subprocess
import sys
from pathlib import Path

import pytest

from sklearn_ct import reproduction
from sklearn_ct.cli import SCHEDULER_ENV, build_parser, main

README = Path(__file__).resolve().parents[1] / "README.md"


def test_parser_knows_the_commands():
    parser = build_parser()
    args = parser.parse_args(
        ["reproduce", "--datasets", "ls,moons", "--quick", "--n-jobs", "2"]
    )
    assert (args.datasets, args.quick, args.n_jobs) == ("ls,moons", True, 2)
    assert parser.parse_args(["demo"]).out == "."
    with pytest.raises(SystemExit):
        parser.parse_args([])


def test_reproduce_help_lists_seeds_and_scheduler(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["reproduce", "--help"])
    text = capsys.readouterr().out
    assert "--seeds K" in text and "--scheduler ADDRESS" in text
    assert SCHEDULER_ENV in text
    assert build_parser().parse_args(["reproduce"]).seeds == 1
    with pytest.raises(SystemExit):
        build_parser().parse_args(["reproduce", "--seeds", "0"])


@pytest.fixture
def reproduce_calls(monkeypatch):
    """Record the arguments ``sklearn-ct reproduce`` passes, running nothing."""
    calls = []
    monkeypatch.setattr(
        reproduction,
        "reproduce",
        lambda datasets, **kwargs: calls.append((datasets, kwargs)),
    )
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    return calls


def test_reproduce_passes_seeds_and_runs_locally_by_default(reproduce_calls):
    assert main(["reproduce", "--datasets", "ls,moons", "--seeds", "3", "--quiet"]) == 0
    datasets, kwargs = reproduce_calls[0]
    assert datasets == ["ls", "moons"]
    assert kwargs["seeds"] == 3 and kwargs["scheduler"] is None
    assert kwargs["step_size"] is None and kwargs["device"] == "cpu"
    main(["reproduce", "--quiet", "--step-size", "0.01", "--device", "cuda"])
    assert reproduce_calls[1][1]["device"] == "cuda"
    assert reproduce_calls[1][1]["step_size"] == 0.01
    for bad in ("0", "-1", "inf", "nan"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["reproduce", "--step-size", bad])


def test_scheduler_option_wins_over_the_environment(reproduce_calls, monkeypatch):
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://from-env:8786")
    main(["reproduce", "--quiet"])
    main(["reproduce", "--quiet", "--scheduler", "tcp://from-option:8786"])
    monkeypatch.setenv(SCHEDULER_ENV, "")
    main(["reproduce", "--quiet"])
    assert [kwargs["scheduler"] for _, kwargs in reproduce_calls] == [
        "tcp://from-env:8786",
        "tcp://from-option:8786",
        None,
    ]


def test_bench_quick_prints_figures(capsys, tmp_path):
    assert (
        main(["bench", "--quick", "--only", "search,training", "--out", str(tmp_path)])
        == 0
    )
    out = capsys.readouterr().out
    assert "batched is" in out and "x vanilla" in out
    assert (tmp_path / "bench.txt").read_text() == out
    args = build_parser().parse_args(["bench", "--scaling", "--quick"])
    assert args.scaling and args.quick and args.out is None


def test_readme_names_the_two_commands():
    text = README.read_text()
    assert "sklearn-ct demo" in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert "python -m pytest" in text and "python -m pytest" in ci


@pytest.mark.slow
def test_demo_in_an_empty_directory(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "sklearn_ct.cli", "demo", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "(d) CT, age protected" in done.stdout
    assert (tmp_path / "demo.png").stat().st_size > 10_000


@pytest.mark.slow
def test_readme_quickstart_runs(tmp_path, monkeypatch):
    code = re.search(
        r"## Quickstart\n\n```python\n(.*?)```", README.read_text(), re.S
    ).group(1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README quickstart", "exec"), namespace)
    assert namespace["result"].valid.all()
