"""The built book shows every explorer live, never the static picture next to it.

Each explorer's output also carries an SVG picture and a caption line for frontends without a
widget manager (tests/test_static_fallback.py). myst-nb ranks the widget view first, so a page
must show the explorer itself. The executed notebooks the pages were built from must hold the
picture, so that this checks a real choice, not a missing alternative.
"""

from __future__ import annotations

import nbformat
import pytest
from conftest import BOOK_HTML, ROOT

pytestmark = pytest.mark.browser

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SVG = "image/svg+xml"
CAPTION_START = "Interactive explorer:"
PAGES = sorted(p.stem for p in (ROOT / "chapters").glob("*.ipynb") if WIDGET_VIEW in p.read_text())
EXECUTED = BOOK_HTML.parent / "jupyter_execute" / "chapters"


def explorer_bundles(name: str) -> list[dict]:
    """The MIME bundles of the explorer outputs in the notebook the page was built from."""
    path = EXECUTED / f"{name}.ipynb"
    assert path.is_file(), f"no executed {path}: run `make book` first (`make test` does)"
    cells = nbformat.read(path, as_version=4).cells
    return [o["data"] for c in cells for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]


def test_every_page_with_explorers_is_checked():
    assert len(PAGES) == 7, PAGES


@pytest.mark.parametrize("name", PAGES)
def test_page_shows_the_live_explorers_and_not_the_picture(open_loaded_page, name):
    bundles = explorer_bundles(name)
    assert bundles, f"{name}: no explorer output"
    for data in bundles:  # the picture was there to be chosen
        assert data[SVG].startswith("<svg") and data["text/plain"].startswith(CAPTION_START)

    page = open_loaded_page(f"chapters/{name}.html")
    page.wait_for_function("n => document.querySelectorAll('[data-explorer]').length === n",
                           arg=len(bundles), timeout=15000)
    outputs = page.locator(".cell_output")
    assert outputs.locator(f"script[type='{WIDGET_VIEW}']").count() == len(bundles)
    assert outputs.locator("img[src$='.svg'], img[src^='data:image/svg+xml']").count() == 0
    assert CAPTION_START not in page.locator("article").inner_text()
