"""The package's layout: what the library imports, where names live, module size."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import sklearn_ct

#: The library: the top-level package and its public subpackages and modules.
LIBRARY = (
    "sklearn_ct",
    "sklearn_ct.training",
    "sklearn_ct.explain",
    "sklearn_ct.generators",
    "sklearn_ct.constraints",
    "sklearn_ct.metrics",
    "sklearn_ct.datasets",
    "sklearn_ct.pipeline",
    "sklearn_ct.model_selection",
    "sklearn_ct.plotting",
    "sklearn_ct.utils",
)
#: The paper's reproduction, the benchmarks and the tooling: never imported by it.
OUTSIDE = (
    "sklearn_ct.reproduction",
    "sklearn_ct.benchmarks",
    "sklearn_ct.cli",
    "sklearn_ct.demo",
)
PACKAGE = Path(sklearn_ct.__file__).parent
MAX_LINES = 500

_IMPORT_EACH = """
import json, sys
outside = {outside!r}
found = {{}}
for name in {library!r}:
    __import__(name)
    found[name] = sorted(
        m for m in sys.modules if any(m == o or m.startswith(o + ".") for o in outside)
    )
print(json.dumps(found))
"""


def test_the_library_never_imports_the_reproduction_benchmarks_or_tooling():
    # A fresh interpreter: modules the tests imported do not count. Each
    # library package is imported in turn, so a culprit is named by the
    # first package after which something outside appears.
    code = _IMPORT_EACH.format(library=LIBRARY, outside=OUTSIDE)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    found = json.loads(out.strip().splitlines()[-1])
    assert found == {name: [] for name in LIBRARY}


def _public_modules():
    return [importlib.import_module(name) for name in LIBRARY[1:]] + [
        importlib.import_module(name) for name in OUTSIDE[:2]
    ]


@pytest.mark.parametrize("module", _public_modules(), ids=lambda m: m.__name__)
def test_a_public_module_exports_only_its_own_names(module):
    # A subpackage re-exports its private modules' names, never a sibling's.
    assert hasattr(module, "__all__"), module.__name__
    for name in module.__all__:
        defined_in = getattr(getattr(module, name), "__module__", None)
        if defined_in is not None and defined_in.startswith("sklearn_ct"):
            assert defined_in == module.__name__ or defined_in.startswith(
                module.__name__ + "."
            ), f"{module.__name__}.{name} is defined in {defined_in}"


def test_every_public_name_has_one_home():
    # The top-level package is the front door: its names are re-exports.
    homes = {}
    for module in _public_modules():
        for name in module.__all__:
            homes.setdefault(name, []).append(module.__name__)
    assert {name: where for name, where in homes.items() if len(where) > 1} == {}
    for name in set(sklearn_ct.__all__) - {"__version__"}:
        assert len(homes[name]) == 1, name


def test_no_module_is_longer_than_500_lines():
    lengths = {
        str(path.relative_to(PACKAGE)): len(path.read_text().splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert {k: n for k, n in lengths.items() if n > MAX_LINES} == {}
