"""The zero-insertion notebook run live in JupyterLab: the FractionallyStridedView's buttons reach
Python, and Python's trait changes redraw the page."""

from __future__ import annotations

import pytest
from lab_util import notebook_in_lab, run_code_below

pytestmark = pytest.mark.lab

NOTEBOOK = "chapters/05_zero_insertion.ipynb"
VIEW = "[data-explorer=zero-insertion]"


@pytest.fixture(scope="module")
def lab_page(browser):
    with notebook_in_lab(browser, NOTEBOOK, "zero-insertion") as page:
        yield page


def lit(page, grid):
    return page.locator(f"{VIEW} [data-grid={grid}][data-lit]")


def test_buttons_step_the_window_and_reach_python(lab_page):
    page = lab_page
    # The explorer starts at the input; the stage menu and seven steps reach output cell (1, 2).
    page.locator(f'{VIEW} select[aria-label="stage"]').select_option("output")
    for _ in range(1 * 5 + 2):
        page.locator(f'{VIEW} button[aria-label="next step"]').click()
    page.locator(f'{VIEW} [data-grid=output][data-row="1"][data-col="2"][data-lit]').wait_for()
    page.locator(f'{VIEW} button[aria-label="next step"]').click()
    page.locator(f'{VIEW} [data-grid=output][data-row="1"][data-col="3"][data-lit]').wait_for()
    assert lit(page, "padded").count() == 9
    assert run_code_below(page, "print(explorer.stage, explorer.step)").strip() == "output 8"

    page.locator(f'{VIEW} button[aria-label="first step"]').click()
    page.locator(f"{VIEW} [data-grid=inserted]").first.wait_for(state="detached")
    assert run_code_below(page, "print(explorer.stage, explorer.step, 'after first')").strip() \
        == "input 0 after first"


def test_python_side_change_redraws_the_page(lab_page):
    page = lab_page
    run_code_below(page, "explorer.stride = 3; explorer.stage = 'output'; print(explorer.step)")
    # 2x2 input, K=3, S=3, P=0: (2-1)*3 + 3 = 6 per side; padded (4 + 2*2) = 8 per side.
    page.locator(f'{VIEW} [data-grid=output][data-row="5"][data-col="5"]').wait_for()
    assert page.locator(f"{VIEW} [data-grid=output]").count() == 36
    assert page.locator(f"{VIEW} [data-grid=padded]").count() == 64
    assert page.locator(f'{VIEW} input[aria-label="stride"]').input_value() == "3"
    assert "Output (0,0) = 1" in page.locator(f"{VIEW} [data-role=status]").inner_text()
