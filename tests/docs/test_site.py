"""The built site, looked at in a real browser (headless system Chromium).

For the landing page, the API page of CounterfactualTrainingClassifier, the
gallery and one gallery example: the page has its title and a heading, every
image has loaded (``naturalWidth > 0``), no internal link is broken, and the
browser logged no error (a missing file, a script that failed). Screenshots
go to ``<site>/../screenshots`` for a person to look at.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

PAGES = {
    "landing": ("index.html", "sklearn-ct", 1),
    "classifier API": (
        "api/generated/sklearn_ct.CounterfactualTrainingClassifier.html",
        "CounterfactualTrainingClassifier",
        0,
    ),
    "gallery": ("auto_examples/index.html", "Gallery", 5),
    "gallery example": (
        "auto_examples/plot_figure1.html",
        "Counterfactual training in one picture",
        1,
    ),
}

_IMAGES = """
return Array.from(document.images).map(img => ({
    src: img.currentSrc || img.src, complete: img.complete,
    width: img.naturalWidth, visible: img.offsetParent !== null}));
"""
_LINKS = "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"


def _wait_for_images(browser, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout).until(
        lambda d: d.execute_script(
            "return Array.from(document.images).every(img => img.complete);"
        )
    )


def _ran_examples(site: Path) -> bool:
    return any((site / "_images").glob("sphx_glr_plot_figure1_0*.png"))


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_with_its_images_and_links(site, browser, broken_links, name):
    path, title, min_images = PAGES[name]
    if name == "gallery example" and not _ran_examples(site):
        min_images = 0  # built with SKLEARN_CT_DOCS_GALLERY=0: no figures
    page = site / path
    assert page.is_file(), f"{path} was not built"
    browser.get(page.as_uri())
    _wait_for_images(browser)

    assert title in browser.title, f"title {browser.title!r} lacks {title!r}"
    headings = browser.execute_script(
        "return Array.from(document.querySelectorAll('h1')).map(h => h.textContent);"
    )
    assert any(title in h for h in headings), f"no heading with {title!r}: {headings}"

    images = browser.execute_script(_IMAGES)
    not_loaded = [image["src"] for image in images if not image["width"] > 0]
    assert not not_loaded, f"images that did not load: {not_loaded}"
    assert len(images) >= min_images, f"{len(images)} images, expected {min_images}+"

    # Links as the browser resolved them: each file:// target must exist.
    missing = []
    for href in browser.execute_script(_LINKS):
        parts = urlsplit(href)
        if parts.scheme == "file" and not Path(unquote(parts.path)).exists():
            missing.append(href)
    assert not missing, f"links to missing files: {missing}"
    assert not broken_links(site, page)

    errors = [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE"
    ]
    assert not errors, f"the browser logged errors: {errors}"

    shots = site.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(height, 800), 4000))
    browser.save_screenshot(str(shots / f"{name.replace(' ', '_')}.png"))
    browser.set_window_size(1280, 1000)
