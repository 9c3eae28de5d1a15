"""The user guide's ``>>>`` code runs as written and prints what the page says.

Each page under ``docs/user_guide/`` (and the landing page) is run as a
doctest file, so a renamed parameter or a changed default breaks a test here
before it misleads a reader. Blocks whose output differs in the last digits
from machine to machine are marked ``+SKIP`` on the page and say so.

The pages train small models (the quickstart's grid search takes about 20
seconds), so these tests are marked ``slow``: ``python -m pytest -m slow``
runs them, and so does CI's documentation step.
"""

import doctest
import os
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(
    path
    for path in [DOCS / "index.rst", *(DOCS / "user_guide").glob("*.rst")]
    if ">>> " in path.read_text()
)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.stem)
def test_user_guide_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # pages that write files write them here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with warnings.catch_warnings():
        # The pages show warnings where they mean to; others would only
        # clutter the test log (the pages' output is what is checked).
        warnings.simplefilter("ignore")
        failures, tried = doctest.testfile(
            str(page),
            module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
            raise_on_error=False,
            verbose=False,
            report=True,
        )
    assert tried, f"{page.name} has no examples"
    assert not failures, f"{failures} of {tried} examples of {page.name} failed"
