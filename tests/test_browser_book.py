"""The built book in headless Chromium: its pages, and its formulas typeset.

Every page is opened, in the light and the dark theme, by test_browser_accessibility.py, which
also holds each to a clean load (no failed request, none outside the site, no error logged).
The explorers on the pages are tested in test_browser_<module>.py, one file per explorer.
"""

from __future__ import annotations

import pytest
from browser_util import built_pages, wait_for_mathjax
from conftest import BOOK_HTML

pytestmark = pytest.mark.browser

MATRIX_PAGE = "chapters/02_matrix_view.html"


def test_the_book_has_its_pages():
    pages = built_pages(BOOK_HTML)
    assert "chapters/02_matrix_view.html" in pages and "book/index.html" in pages
    assert "chapters/17_deeper_speed.html" in pages and "book/notes_on_sources.html" in pages


def test_the_matrix_page_typesets_its_formulas_with_the_vendored_mathjax(open_page):
    page = open_page(MATRIX_PAGE, settle=True)
    assert page.title()
    assert wait_for_mathjax(page) > 0
