"""Shared fixtures: the built book served on 127.0.0.1, and headless Chromium.

Browser tests need `make book` to have run (`make test` does it first) and a
Chromium (`make test` installs one where it can). They fail, never skip, when
either is missing: a green run must mean the pages were really checked.
"""

from __future__ import annotations

import pathlib
import re
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from browser_util import (  # noqa: E402
    ExplorerPage,
    attach_request_recorder,
    check_screenshot,
    find_chromium,
    launch_chromium,
    serve_directory,
)
from lab_util import stop_shared_labs  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK_HTML = ROOT / "_build" / "html"


# Layers by file-name prefix (the Makefile runs each marker as its own layer).
LAYER_PREFIXES = {
    "test_browser": "browser",  # the built book in headless Chromium
    "test_lab": "lab",  # a live JupyterLab 4 (ipywidgets 8)
    "test_widgets7": "widgets7",  # JupyterLab 3.6 with ipywidgets 7, as on Colab
    "test_binder": "binder",  # the steps of Binder's build, in a fresh venv
    "test_kernel_families": "kernels",  # nbval under every forced CPU kernel family
    "test_grading": "grading",  # the autograded assignment, graded from a folder
}


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots", metavar="DIR", default=None,
        help="keep the browser layer's screenshots of the explorers in DIR, for review "
             "(by default each test writes them to its own temporary folder)",
    )


def layer_of(filename: str) -> str | None:
    """The layer of a test file, from its name (None: layer 1)."""
    for prefix, marker in LAYER_PREFIXES.items():
        if filename.startswith(prefix):
            return marker
    return None


def pytest_collection_modifyitems(items):
    """Mark each test with its layer, from its file name (see LAYER_PREFIXES)."""
    for item in items:
        marker = layer_of(item.path.name)
        if marker:
            item.add_marker(getattr(pytest.mark, marker))


def selected_layers(markexpr: str) -> set | None:
    """The layers a Makefile layer's -m expression selects (None in the set: layer 1).

    One layer's name, or "not (a or b ...)" over every other layer for layer 1; None for any
    other expression, which then goes through pytest's own selection unchanged.
    """
    others = set(LAYER_PREFIXES.values())
    if markexpr in others:
        return {markexpr}
    excluded = re.fullmatch(r"not \((.+)\)", markexpr.strip())
    if excluded and set(excluded.group(1).split(" or ")) == others:
        return {None}
    return None


def pytest_ignore_collect(collection_path, config):
    """Leave out the files of layers that -m deselects, without importing them.

    A layer is a file's name (LAYER_PREFIXES), so -m would deselect every test in such a file
    anyway; importing them all costs each layer about ten seconds of collection.
    """
    name = collection_path.name
    if collection_path.suffix != ".py" or not name.startswith("test_"):
        return None
    layers = selected_layers(config.getoption("markexpr") or "")
    if layers is not None and layer_of(name) not in layers:
        return True
    return None


def pytest_sessionfinish(session):
    stop_shared_labs()  # the Lab layer's one server, if a test started it


@pytest.fixture(scope="session")
def book_url():
    """Base URL of the built book, served from _build/html for the whole session."""
    if not (BOOK_HTML / "book" / "index.html").is_file():
        pytest.fail(f"no built book in {BOOK_HTML}: run `make book` first (`make test` does)")
    with serve_directory(BOOK_HTML) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (a fresh context per test)."""
    if find_chromium() is None:
        pytest.fail("no Chromium found: `make test` installs Debian's chromium; or set $CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def load_page(browser, book_url: str, path: str, *, dark: bool = False, width: int = 1280,
              height: int = 900, touch: bool = False, settle: bool = False):
    """A fresh context's page with `path` loaded and its explorers rendered, and its recorder.

    touch=True: a phone's touch screen (taps, mobile viewport rules); pass its width/height.
    settle=True: also wait until the page has made no request for half a second.
    """
    context = browser.new_context(
        viewport={"width": width, "height": height}, color_scheme="dark" if dark else "light",
        has_touch=touch, is_mobile=touch,
    )
    page = context.new_page()
    recorder = attach_request_recorder(page, book_url)
    page.goto(book_url + path, wait_until="load")
    if settle:
        page.wait_for_load_state("networkidle")
    if page.locator("script[type='application/vnd.jupyter.widget-state+json']").count():
        page.wait_for_selector("[data-explorer]", timeout=15000)
    return page, recorder


@pytest.fixture
def open_page(browser, book_url):
    """Open a page of the built book; after the test, assert it stayed clean.

    `open_page("chapters/02_matrix_view.html", dark=False)` returns a Playwright
    page whose explorers have rendered. When the test ends, the page must have
    made no request outside the site, no failed request, and logged no error.
    `settle=True` also waits until the page has made no request for half a second,
    so that what it loads late (MathJax's parts) is checked too: the tests over
    every page do; a test of an explorer has no need to wait for it.
    """
    opened = []

    def _open(path: str, **options):
        page, recorder = load_page(browser, book_url, path, **options)
        opened.append((path, page, recorder))
        return page

    yield _open
    for path, page, recorder in opened:
        problems = recorder.problems()
        page.context.close()
        assert problems == [], f"{path}: {problems}"


# Drops the explorers a page shows and renders them again from the page's widget state, as the
# widget manager did when the page loaded. The manager puts each view in a "widget-subarea" just
# before the script that holds it.
RENDER_AGAIN_JS = """async () => {
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  for (const script of views) {
    const area = script.previousElementSibling;
    if (area && area.classList.contains("widget-subarea")) area.remove();
  }
  document.activeElement && document.activeElement.blur();
  const embed = await new Promise((resolve) =>
    require(["@jupyter-widgets/html-manager/dist/libembed-amd"], resolve));
  embed.renderWidgets(document.documentElement);
  window.scrollTo(0, 0);
  return views.length;
}"""

ALL_RENDERED_JS = """(views) => document.querySelectorAll("[data-explorer]").length === views"""


@pytest.fixture(scope="session")
def loaded_pages(browser, book_url):
    """This worker's pages already loaded, by (path, options), for the explorer tests.

    Loading a page costs Chromium about 3 CPU-s, most of the browser layer's time; what a test
    of an explorer changes is the explorer, so the next test on the same page gets the explorers
    rendered afresh from the page's widget state instead of a new load.
    """
    pages = {}
    yield pages
    for page, _ in pages.values():
        page.context.close()


@pytest.fixture
def open_loaded_page(browser, book_url, loaded_pages):
    """`open_page` for pages this worker may have loaded already (`loaded_pages`).

    `open_loaded_page("chapters/06_checkerboard.html", dark=True)`; keyword arguments are those
    of `open_page` but `settle`. A page that served an earlier test gets its explorers rendered
    again, off the mouse and with nothing focused. When the test ends, the page must have made
    no request outside the site, no failed request, and logged no error.
    """
    used = []

    def _open(path: str, *, dark: bool = False, width: int = 1280, height: int = 900,
              touch: bool = False):
        key = (path, dark, width, height, touch)
        if key in loaded_pages:
            page, recorder = loaded_pages[key]
            page.mouse.move(0, 0)  # off every explorer, so no cell starts hovered
            views = page.evaluate(RENDER_AGAIN_JS)
            page.wait_for_function(ALL_RENDERED_JS, arg=views, timeout=15000)
        else:
            page, recorder = load_page(browser, book_url, path, dark=dark, width=width,
                                       height=height, touch=touch)
            loaded_pages[key] = (page, recorder)
        used.append((path, recorder))
        return page

    yield _open
    for path, recorder in used:
        problems = recorder.problems()
        recorder.clear()
        assert problems == [], f"{path}: {problems}"


@pytest.fixture
def open_explorer(open_loaded_page):
    """A page's explorer `name` as an ExplorerPage, scrolled into view, in its first state.

    `open_explorer("chapters/06_checkerboard.html", "overlap", dark=True)`; keyword arguments
    are those of `open_loaded_page`.
    """

    def _open(path: str, name: str, **options) -> ExplorerPage:
        explorer = ExplorerPage(open_loaded_page(path, **options), name)
        explorer.locator().scroll_into_view_if_needed()
        return explorer

    return _open


@pytest.fixture
def screenshot(request, tmp_path):
    """Take a screenshot of an explorer and check it: `screenshot(explorer, "overlap-dark")`.

    It goes to the `--screenshots DIR` folder when given, else to the test's temporary
    folder; either way it must be a PNG of the explorer's size showing more than one colour.
    """
    folder = request.config.getoption("--screenshots")
    folder = pathlib.Path(folder) if folder else tmp_path
    folder.mkdir(parents=True, exist_ok=True)

    def _take(explorer: ExplorerPage, name: str) -> pathlib.Path:
        path = folder / f"{name}.png"
        root = explorer.locator()
        root.screenshot(path=str(path))
        box = root.bounding_box()
        check_screenshot(path, box["width"], box["height"])
        return path

    return _take
