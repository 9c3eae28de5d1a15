"""Every public class and function has a numpydoc Examples section that runs.

``pytest`` runs the examples as doctests (``--doctest-modules`` over
``sklearn_ct``); these tests make sure there is one to run for every public
name, so a new public name cannot arrive without an example.
"""

import doctest
import importlib
import inspect
import re

import pytest

#: The package and its public subpackages and modules, whose ``__all__`` is public.
PUBLIC = (
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
    "sklearn_ct.reproduction",
    "sklearn_ct.benchmarks",
)
HEADER = "Examples\n--------"
#: numpydoc's sections; none may follow Examples, the last one.
SECTIONS = (
    "Parameters",
    "Attributes",
    "Returns",
    "Yields",
    "Receives",
    "Raises",
    "Warns",
    "Other Parameters",
    "See Also",
    "Notes",
    "References",
    "Methods",
)


def _public_classes_and_functions():
    found = {}
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found.setdefault(id(obj), (f"{module_name}.{name}", obj))
    return sorted(found.values(), key=lambda pair: pair[0])


PUBLIC_OBJECTS = _public_classes_and_functions()


def test_the_public_names_are_found():
    names = {name for name, _ in PUBLIC_OBJECTS}
    assert "sklearn_ct.CounterfactualTrainingClassifier" in names
    assert "sklearn_ct.reproduction.reproduce" in names
    assert len(names) > 50


def test_every_public_class_and_function_has_an_examples_section():
    missing = [
        name
        for name, obj in PUBLIC_OBJECTS
        if HEADER not in (inspect.getdoc(obj) or "")
    ]
    assert missing == [], f"no numpydoc Examples section: {missing}"


@pytest.mark.parametrize(
    "name, obj", PUBLIC_OBJECTS, ids=[name for name, _ in PUBLIC_OBJECTS]
)
def test_the_examples_section_runs_and_comes_last(name, obj):
    doc = inspect.getdoc(obj) or ""
    if HEADER not in doc:
        pytest.skip("no Examples section (reported above)")
    examples = doc.split(HEADER, 1)[1]
    # At least one example that the doctest run executes (not all skipped).
    parsed = doctest.DocTestParser().get_examples(examples)
    run = [e for e in parsed if not e.options.get(doctest.SKIP, False)]
    assert run, f"{name}: the Examples section has no example that runs"
    # numpydoc's order: Examples is the last section.
    later = [
        section
        for section in SECTIONS
        if re.search(rf"^{section}\n-{{{len(section)}}}$", examples, re.MULTILINE)
    ]
    assert later == [], f"{name}: {later} after the Examples section"
