"""The built book in headless Chromium: every page loads clean and typesets its formulas.

The explorers on the pages are tested in test_browser_<module>.py, one file per explorer.
"""

from __future__ import annotations

import pytest
from browser_util import built_pages, wait_for_mathjax
from conftest import BOOK_HTML

pytestmark = pytest.mark.browser

MATRIX_PAGE = "chapters/02_matrix_view.html"


def test_every_page_loads_clean(open_page):
    pages = built_pages(BOOK_HTML)
    assert "chapters/02_matrix_view.html" in pages and "book/index.html" in pages
    for path in pages:
        page = open_page(path)
        assert page.title(), path
    # The matrix page typesets its formulas with the vendored MathJax.
    assert wait_for_mathjax(open_page(MATRIX_PAGE)) > 0
