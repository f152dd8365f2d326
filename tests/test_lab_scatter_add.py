"""The scatter-add notebook run live in JupyterLab, its painter driven in headless Chromium."""

from __future__ import annotations

import ast

import pytest
from lab_util import notebook_in_lab, run_code_below

pytestmark = pytest.mark.lab

NOTEBOOK = "chapters/03_scatter_add.ipynb"
ROOT = "[data-explorer=scatter-add]"


@pytest.fixture(scope="module")
def lab_page(browser):
    with notebook_in_lab(browser, NOTEBOOK, "scatter-add") as page:
        yield page


def output_values(page):
    return page.evaluate(
        """root => {
            const rows = [];
            for (const cell of document.querySelectorAll(`${root} [data-grid=output]`)) {
              const r = Number(cell.dataset.row), c = Number(cell.dataset.col);
              (rows[r] = rows[r] || [])[c] = Number(cell.textContent);
            }
            return rows;
        }""",
        ROOT,
    )


def test_clicks_paint_and_reach_python(lab_page):
    page = lab_page
    page.locator(f'{ROOT} [data-grid=input][data-row="0"][data-col="0"]').click()
    page.locator(f'{ROOT} [data-grid=input][data-row="1"][data-col="1"]').click()
    assert page.locator(f"{ROOT} [data-grid=output][data-lit]").count() == 9
    assert output_values(page)[1][1] == 5  # 1 (centre of (0,0)'s copy) + 4 (corner of (1,1)'s)

    # The kernel saw the clicks: the traitlet lists the painted cells in order.
    recorded = run_code_below(page, "print(painter.painted)")
    assert ast.literal_eval(recorded.strip()) == [0, 3]


def test_python_side_change_repaints_the_page(lab_page):
    page = lab_page
    run_code_below(page, "painter.stride = 3; painter.painted = [0, 1, 2, 3]; print(painter.stride)")
    # 2x2 input, K=3, S=3: (2-1)*3 + 3 = 6 per side, four copies side by side.
    page.locator(f"{ROOT} [data-grid=output]").nth(35).wait_for()
    page.wait_for_function(
        "root => document.querySelectorAll(`${root} [data-grid=input][data-painted]`).length === 4", arg=ROOT)
    values = output_values(page)
    assert values == [[1, 0, 1, 2, 0, 2], [0, 1, 0, 0, 2, 0], [1, 0, 1, 2, 0, 2],
                      [3, 0, 3, 4, 0, 4], [0, 3, 0, 0, 4, 0], [3, 0, 3, 4, 0, 4]]
    assert page.locator(f'{ROOT} input[aria-label="stride"]').input_value() == "3"
    assert "no longer overlap" in page.locator(f"{ROOT} [data-role=status]").inner_text()
