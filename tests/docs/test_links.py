"""Every internal link of the built documentation leads somewhere.

A plain check over the HTML files (no browser): each relative ``href`` or
``src`` of every page must name a file of the site, and a ``#fragment`` on
another page of the site must be an ``id`` there. It also checks that every
public name has its API page.
"""

import importlib
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _pages(site: Path):
    return sorted(
        path
        for path in site.rglob("*.html")
        if not path.relative_to(site).parts[0].startswith(("_sources", "_static"))
    )


def test_every_internal_link_resolves(site, broken_links):
    pages = _pages(site)
    assert len(pages) > 20, f"only {len(pages)} pages in {site}"
    problems = {
        str(page.relative_to(site)): broken
        for page in pages
        if (broken := broken_links(site, page))
    }
    assert not problems, "broken internal links:\n" + "\n".join(
        f"{page}: {link}" for page, links in problems.items() for link in links
    )


def test_every_public_name_has_exactly_one_api_page(site):
    sys.path.insert(0, str(REPO / "docs"))
    try:
        api_reference = importlib.import_module("api_reference")
    finally:
        sys.path.remove(str(REPO / "docs"))
    sections = api_reference.SECTIONS
    entries = api_reference.collect(sections)
    expected = {f"{entry.path}.{entry.name}" for entry in entries}
    assert len(expected) == len(entries), "a name would get two pages"
    pages = {path.stem for path in (site / "api" / "generated").glob("*.html")}
    assert not expected - pages, f"no API page: {sorted(expected - pages)}"
    assert not pages - expected, (
        f"API pages of no public name: {sorted(pages - expected)}"
    )
    # Every name of every section's __all__ is on one of those pages.
    documented = {(entry.section, entry.name) for entry in entries}
    for module_name, _ in sections:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if name.startswith("_"):
                continue
            obj = getattr(module, name)
            assert (module_name, name) in documented or any(
                getattr(importlib.import_module(entry.section), entry.name) is obj
                for entry in entries
            ), f"{module_name}.{name} has no API page"


@pytest.mark.parametrize(
    "page",
    [
        "index.html",
        "user_guide/index.html",
        "api/index.html",
        "auto_examples/index.html",
    ],
)
def test_main_pages_exist(site, page):
    assert (site / page).is_file()
