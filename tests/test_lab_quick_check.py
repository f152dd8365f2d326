"""The backward-pass notebook run live in JupyterLab: QuickCheck's clicks reach Python and back."""

from __future__ import annotations

import pytest
from lab_util import notebook_in_lab, run_code_below

pytestmark = pytest.mark.lab

NOTEBOOK = "chapters/08_backward_pass.ipynb"
ROOT = "[data-explorer=quick-check]"


def test_click_reaches_python_and_python_reaches_the_page(browser):
    with notebook_in_lab(browser, NOTEBOOK, "quick-check") as page:
        root = page.locator(ROOT)
        root.locator("[data-role=option]").nth(2).click()
        assert root.locator("[data-role=feedback]").get_attribute("data-verdict") == "wrong"
        seen = run_code_below(page, "print(check.chosen, check.feedback()[:10])")
        assert seen.split()[0] == "2" and "Not quite." in seen
        run_code_below(page, "check.choose(1); print('chosen')")
        page.wait_for_function(
            f"() => document.querySelector('{ROOT} [data-role=feedback]').dataset.verdict === 'right'")
        run_code_below(page, "check.reset(); print('reset')")
        page.wait_for_function(f"() => document.querySelector('{ROOT} [data-role=feedback]').textContent === ''")
