"""Sphinx configuration of the sklearn-ct documentation.

Build (from the repository root; ``pip install -e ".[docs]"`` first)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Options, all through the environment so the command stays the same:

- ``SKLEARN_CT_DOCS_GALLERY`` chooses the examples the build runs: ``all``
  (the default; a few minutes on two cores), ``none`` (the gallery pages show
  the scripts without figures), or a comma-separated list of names such as
  ``plot_figure1``; the others are shown without running.
- ``SKLEARN_CT_DOCS_INTERSPHINX=1`` links to the documentation of
  scikit-learn, PyTorch, skorch, NumPy, pandas and Python. It needs the
  network to fetch their inventories, so it is off by default: offline,
  Sphinx would warn that they cannot be reached, and warnings are errors.

Why this tool chain: it is the scikit-learn-contrib convention (imbalanced-
learn, the project template): numpydoc docstrings rendered by autosummary
into one page per public name, sphinx-gallery running ``examples/``, the
PyData theme, sphinx-design cards. Users of scikit-learn find their way
around, and sphinx-gallery is the one tool that runs the examples as part
of the build and links each API page to the examples that use it.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))  # api_reference
# The gallery's examples run in this process: matplotlib's non-interactive
# backend, and one thread for torch, set before torch is imported (two
# threads on two shared cores made an example four times slower).
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sklearn_ct  # noqa: E402

# -- Project -----------------------------------------------------------------

project = "sklearn-ct"
author = "the sklearn-ct developers"
copyright = "2026, the sklearn-ct developers"
release = sklearn_ct.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_design",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.py"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# -- API reference -----------------------------------------------------------

import api_reference  # noqa: E402

API_ENTRIES = api_reference.write_api_pages(DOCS / "api")

autosummary_generate = True
autosummary_imported_members = True
# Members are listed by the class template (_templates/autosummary/class.rst),
# not by default: a module's page shows its docstring and its summary table.
autodoc_default_options = {}
autodoc_typehints = "none"  # numpydoc's Parameters section says the types
autoclass_content = "class"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# A reference to a public name through a longer import path (say
# ``sklearn_ct.training.CounterfactualTrainingClassifier``) goes to its page
# under the shortest path (``sklearn_ct.CounterfactualTrainingClassifier``).
_ALIASES = {
    f"{entry.section}.{entry.name}": f"{entry.path}.{entry.name}"
    for entry in API_ENTRIES
    if entry.section != entry.path
}


def _resolve_alias(app, env, node, contnode):
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or target not in _ALIASES:
        return None
    domain = env.get_domain("py")
    node["reftarget"] = _ALIASES[target]
    return domain.resolve_xref(
        env,
        node["refdoc"],
        app.builder,
        node["reftype"],
        _ALIASES[target],
        node,
        contnode,
    )


# -- Links to other projects' documentation ----------------------------------

intersphinx_mapping = {}
if os.environ.get("SKLEARN_CT_DOCS_INTERSPHINX") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "pandas": ("https://pandas.pydata.org/docs", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
        "skorch": ("https://skorch.readthedocs.io/en/stable", None),
    }

# -- Gallery -----------------------------------------------------------------


def _adult_available() -> bool:
    """Whether the Adult example can read its data (locally or downloaded)."""
    from sklearn_ct.datasets import load_dataset

    try:
        load_dataset("adult", n_samples=10, random_state=0)
    except FileNotFoundError:
        return False
    return True


# Which examples the build runs: "all" (the default), "none" (the pages show
# the scripts without running them), or a comma-separated list of names
# ("plot_figure1,plot_digits"); the others are shown without running.
_GALLERY = os.environ.get("SKLEARN_CT_DOCS_GALLERY", "all").strip()
_RUN_GALLERY = _GALLERY not in ("0", "none", "")
_ONLY = [] if _GALLERY in ("all", "1", "0", "none", "") else _GALLERY.split(",")
_SKIP = []
if _RUN_GALLERY and (not _ONLY or "plot_adult_recourse" in _ONLY):
    if not _adult_available():
        # plot_adult_recourse.py needs UCI Adult; without it the page is
        # built from the script without running it.
        print(
            "sklearn-ct docs: adult.csv is not available (see the data sets "
            "page); the gallery shows plot_adult_recourse.py without running it."
        )
        _SKIP.append("plot_adult_recourse")
_PATTERN = "".join(rf"(?!{name}\.py)" for name in _SKIP)
if _ONLY:
    _PATTERN += "(?:" + "|".join(rf"{name.strip()}\.py" for name in _ONLY) + ")"
else:
    _PATTERN += "plot_"

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": _PATTERN,  # the examples to run; the others are shown
    "plot_gallery": "True" if _RUN_GALLERY else "False",
    "doc_module": ("sklearn_ct",),
    "backreferences_dir": "api/generated/backreferences",
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    "abort_on_example_error": False,  # report every failing example, then fail
    "reset_modules": ("matplotlib",),
}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-ct {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_prev_next": True,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 7,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    # No version switcher, no analytics, nothing fetched from the network.
}
html_sidebars = {"index": [], "citation": [], "changelog": []}
html_context = {"default_mode": "light"}


def _no_builtin_docstrings(app, what, name, obj, options, lines):
    """Constants show their value, not the docstring of their type.

    autodoc documents ``DATASETS = (...)`` with ``tuple.__doc__`` ("Built-in
    immutable sequence...") unless the module has a ``#:`` comment for it;
    that text says nothing about the constant, so it is dropped.
    """
    if what in ("data", "attribute") and lines and type(obj).__module__ == "builtins":
        own = inspect.cleandoc(type(obj).__doc__ or "").strip()
        if own and own.splitlines()[0] in lines:
            lines.clear()


def setup(app):
    app.connect("missing-reference", _resolve_alias)
    # Before numpydoc (priority 500) rewrites the lines.
    app.connect("autodoc-process-docstring", _no_builtin_docstrings, priority=100)
