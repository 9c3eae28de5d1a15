"""The API reference: which public subpackages it shows, written at build time.

``conf.py`` calls :func:`write_api_pages` before Sphinx reads the sources. It
writes ``docs/api/index.rst`` and one page per public subpackage listing that
subpackage's ``__all__`` with autosummary, which in turn gives every public
class, function and object a page of its own (``docs/api/generated/``). All
of ``docs/api/`` is generated and git-ignored: the reference always follows
the package's own ``__all__`` lists, so a name added to one appears here
without a change to the docs.

Every public name has one page, under the shortest import path that reaches
it (``sklearn_ct.CounterfactualTrainingClassifier`` rather than
``sklearn_ct.training.CounterfactualTrainingClassifier``), the path users
import from and the one sphinx-gallery links code in the examples to. It is
listed in the section of the subpackage that is its home. References to its
longer path are resolved to the same page by ``conf.py``.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path

# The library's public subpackages, in reading order, with one line each.
# The paper's reproduction and the benchmarks are not part of the library API.
SECTIONS = (
    ("sklearn_ct.training", "Counterfactual training: the estimator."),
    (
        "sklearn_ct.explain",
        "Counterfactual explanations of fitted models, and their results.",
    ),
    ("sklearn_ct.generators", "Counterfactual generators: the search's penalties."),
    (
        "sklearn_ct.constraints",
        "Constraints, and the way from your columns to the model's and back.",
    ),
    ("sklearn_ct.pipeline", "Pipelines whose constraints name the input columns."),
    ("sklearn_ct.model_selection", "Choosing a model on several scores."),
    ("sklearn_ct.metrics", "Metrics of explanations and models, and scorers."),
    ("sklearn_ct.datasets", "The paper's data sets: generated, read or fetched."),
    ("sklearn_ct.plotting", "Figures (matplotlib)."),
    ("sklearn_ct.utils", "Utilities."),
)
# A section whose ``__all__`` is empty (``sklearn_ct.utils`` holds only
# private helpers today) gets no page.
TOP_LEVEL = "sklearn_ct"


@dataclass
class Entry:
    """One public object: where its page is and which section lists it."""

    name: str  # the name in ``__all__``
    path: str  # the module its page is documented under (shortest import path)
    section: str
    kind: str  # "class", "function" or "data"


def _public_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        raise RuntimeError(
            f"{module.__name__} has no __all__; the API reference lists a "
            "public subpackage's __all__."
        )
    return [name for name in names if not name.startswith("_")]


def _shortest_path(obj, name: str, module_name: str) -> str:
    """The shortest parent module of ``module_name`` that exports ``obj``.

    The rule sphinx-gallery uses to link the examples' code to the API pages.
    """
    parts = module_name.split(".")
    shortest = module_name
    for i in range(len(parts) - 1, 0, -1):
        parent = importlib.import_module(".".join(parts[:i]))
        if getattr(parent, name, None) is not obj:
            break
        shortest = parent.__name__
    return shortest


def _kind(obj) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj) and (inspect.isfunction(obj) or inspect.isbuiltin(obj)):
        return "function"
    return "data"


def collect(sections=SECTIONS) -> list[Entry]:
    """Every public name of the sections, once, with the page it gets."""
    entries: dict = {}
    for module_name, _ in sections:
        module = importlib.import_module(module_name)
        for name in _public_names(module):
            obj = getattr(module, name)
            # Classes and functions by identity (a re-export is the same
            # object); constants and scorer instances by where they are.
            key = id(obj) if _kind(obj) != "data" else (module_name, name)
            if key in entries:
                continue  # re-exported by a later section: keep the first home
            entries[key] = Entry(
                name=name,
                path=_shortest_path(obj, name, module_name),
                section=module_name,
                kind=_kind(obj),
            )
    return list(entries.values())


def top_level_only(entries) -> list[str]:
    """Names of ``sklearn_ct.__all__`` that no section lists."""
    top = importlib.import_module(TOP_LEVEL)
    listed = {(e.path, e.name) for e in entries}
    return [name for name in _public_names(top) if (TOP_LEVEL, name) not in listed]


_KIND_TITLES = (("class", "Classes"), ("function", "Functions"), ("data", "Objects"))
_TEMPLATES = {
    "class": "autosummary/class.rst",
    "function": "autosummary/function.rst",
    "data": "autosummary/data.rst",
}


def _section_page(module_name: str, blurb: str, entries: list[Entry]) -> str:
    title = f"``{module_name}``"
    lines = [
        f".. _api-{module_name}:",
        "",
        title,
        "=" * len(title),
        "",
        blurb,
        "",
        f".. automodule:: {module_name}",
        "",
    ]
    shorter = sorted({e.path for e in entries if e.path != module_name})
    if shorter:
        lines += [
            ".. note::",
            "",
            "   Some names below are also importable from "
            + ", ".join(f"``{p}``" for p in shorter)
            + "; their pages are under that shorter path.",
            "",
        ]
    for kind, heading in _KIND_TITLES:
        chosen = [e for e in entries if e.kind == kind]
        if not chosen:
            continue
        lines += [heading, "-" * len(heading), ""]
        for path in sorted({e.path for e in chosen}):
            lines += [
                f".. currentmodule:: {path}",
                "",
                ".. autosummary::",
                "   :toctree: generated/",
                f"   :template: {_TEMPLATES[kind]}",
                "",
            ]
            lines += [
                f"   {e.name}"
                for e in sorted(chosen, key=lambda e: e.name.lower())
                if e.path == path
            ]
            lines.append("")
    return "\n".join(lines)


def _index_page(sections, entries) -> str:
    lines = [
        ".. _api:",
        "",
        "API reference",
        "=============",
        "",
        "Every public class, function and object of sklearn-ct, grouped by the",
        "public subpackage it belongs to; each has a page of its own, generated",
        "from its docstring. The names most used are also importable from the",
        "top-level package:",
        "",
    ]
    top = [e for e in entries if e.path == TOP_LEVEL]
    for e in sorted(top, key=lambda e: e.name.lower()):
        role = "class" if e.kind == "class" else "obj"
        lines.append(f"- :{role}:`sklearn_ct.{e.name}`")
    lines += [
        "",
        "The paper's reproduction (``sklearn-ct reproduce``) and the benchmarks",
        "(``sklearn-ct bench``) are command-line tools, not part of the library's",
        "API; :doc:`../user_guide/reproducing` describes them.",
        "",
        ".. list-table::",
        "   :widths: 30 70",
        "",
    ]
    for module_name, blurb in sections:
        lines += [
            f"   * - :ref:`{module_name} <api-{module_name}>`",
            f"     - {blurb}",
        ]
    lines += ["", ".. toctree::", "   :hidden:", ""]
    lines += [f"   {module_name}" for module_name, _ in sections]
    lines.append("")
    return "\n".join(lines)


def _write_if_changed(path: Path, text: str) -> None:
    # Rewriting an unchanged page would make Sphinx re-read it on every build.
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def write_api_pages(out_dir: Path, sections=SECTIONS) -> list[Entry]:
    """Write ``index.rst`` and one page per section into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = collect(sections)
    sections = [s for s in sections if any(e.section == s[0] for e in entries)]
    missing = top_level_only(entries)
    if missing:
        raise RuntimeError(
            f"sklearn_ct.__all__ has {missing}, which no public subpackage "
            "exports; give each a home in a subpackage listed in "
            "docs/api_reference.py."
        )
    for module_name, blurb in sections:
        chosen = [e for e in entries if e.section == module_name]
        _write_if_changed(
            out_dir / f"{module_name}.rst",
            _section_page(module_name, blurb, chosen),
        )
    _write_if_changed(out_dir / "index.rst", _index_page(sections, entries))
    # Pages of names no longer public (renamed, moved) would linger in an
    # incremental build: remove them.
    expected = {f"{e.path}.{e.name}.rst" for e in entries}
    for page in (out_dir / "generated").glob("*.rst"):
        if page.name not in expected:
            page.unlink()
    for page in out_dir.glob("*.rst"):
        if page.stem not in {name for name, _ in sections} | {"index"}:
            page.unlink()
    return entries
