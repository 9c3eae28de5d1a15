"""Fixtures of the documentation tests: the built site and a headless browser.

The site is the output of ``python -m sphinx -W --keep-going -b html docs
docs/_build/html`` (or the folder named by ``SKLEARN_CT_DOCS_SITE``). Tests
that need it skip, saying how to build it, when it is not there; browser
tests skip, saying what is missing, without Selenium or a system Chromium
and its driver (Debian: ``apt-get install chromium chromium-driver``).
With ``SKLEARN_CT_DOCS_STRICT=1`` (set by CI once it has built the site and
installed Chromium) a missing site or browser fails instead of skipping.
"""

import os
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_COMMAND = "python -m sphinx -W --keep-going -b html docs docs/_build/html"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DRIVERS = ("chromedriver",)


def _skip(reason):
    if os.environ.get("SKLEARN_CT_DOCS_STRICT") == "1":
        pytest.fail(f"SKLEARN_CT_DOCS_STRICT=1, but {reason}")
    pytest.skip(reason)


def site_folder() -> Path:
    return Path(os.environ.get("SKLEARN_CT_DOCS_SITE", REPO / "docs/_build/html"))


@pytest.fixture(scope="session")
def site() -> Path:
    """The built HTML site, or a skip that says how to build it."""
    folder = site_folder()
    if not (folder / "index.html").is_file():
        _skip(f"the documentation is not built in {folder}: run {BUILD_COMMAND}")
    return folder


def _find(names, env):
    if os.environ.get(env):
        return os.environ[env]
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    # Debian keeps the driver beside the browser's own files.
    for candidate in ("/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver"):
        if any(n in candidate for n in names) and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    """Headless system Chromium driven by Selenium, or a skip that says why."""
    try:
        from selenium import webdriver
    except ImportError:
        _skip("selenium is not installed (pip install -e '.[docs]')")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary = _find(BROWSERS, "SKLEARN_CT_CHROMIUM")
    driver_path = _find(DRIVERS, "SKLEARN_CT_CHROMEDRIVER")
    if binary is None or driver_path is None:
        missing = "Chromium" if binary is None else "chromedriver"
        _skip(
            f"{missing} is not installed: apt-get install chromium chromium-driver "
            "(or set SKLEARN_CT_CHROMIUM / SKLEARN_CT_CHROMEDRIVER)"
        )
    options = Options()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root in a container
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--allow-file-access-from-files",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


# -- Internal links of a built page -------------------------------------------

# Links Sphinx writes that are not to files: anchors resolved by scripts.
_SKIP_PREFIXES = ("mailto:", "javascript:", "data:", "tel:")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key) and not (tag == "link" and attrs.get("rel") == "preload"):
                self.links.append((tag, key, attrs[key]))


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def internal_links(page: Path):
    """``(url, target file, fragment)`` of each relative link of ``page``."""
    for _, _, url in _parse(page).links:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith(_SKIP_PREFIXES):
            continue
        if not parts.path:  # "#anchor" on the same page
            yield url, page, unquote(parts.fragment)
            continue
        target = (page.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        yield url, target, unquote(parts.fragment)


def find_broken_links(site: Path, page: Path) -> list[str]:
    """The links of ``page`` that lead nowhere, as readable lines."""
    broken = []
    ids = {}
    for url, target, fragment in internal_links(page):
        if not target.is_file():
            broken.append(f"{url} (no file {target})")
            continue
        if fragment and target.suffix == ".html" and target.is_relative_to(site):
            if target not in ids:
                ids[target] = _parse(target).ids
            if fragment not in ids[target]:
                broken.append(f"{url} (no id {fragment!r} in {target.name})")
    return broken


@pytest.fixture(scope="session")
def broken_links():
    """``broken_links(site, page)``: the links of a page that lead nowhere."""
    return find_broken_links
