"""AdjointExplorer in the matrix-view notebook run live in JupyterLab, driven in headless Chromium."""

from __future__ import annotations

import ast

import pytest
from lab_util import notebook_in_lab, run_code_below

pytestmark = pytest.mark.lab

NOTEBOOK = "chapters/02_matrix_view.ipynb"


@pytest.fixture(scope="module")
def lab_page(browser):
    with notebook_in_lab(browser, NOTEBOOK, "adjoint") as page:
        yield page


def explorer_cells(page, grid, lit=False):
    return page.locator(f"[data-explorer=adjoint] [data-grid={grid}]{'[data-lit]' if lit else ''}")


def test_hover_lights_cells_and_reaches_python(lab_page):
    page = lab_page
    page.locator('[data-explorer=adjoint] [data-grid=input][data-row="0"][data-col="0"]').hover()
    assert explorer_cells(page, "output", lit=True).count() == 9
    page.locator('[data-explorer=adjoint] [data-grid=output][data-row="1"][data-col="1"]').hover()
    assert explorer_cells(page, "input", lit=True).count() == 4

    # The kernel saw the hover: the traitlet records the last hovered cell.
    recorded = run_code_below(page, "print(explorer.hovered)")
    assert ast.literal_eval(recorded.strip()) == {"grid": "output", "row": 1, "col": 1}


def test_python_side_change_redraws_the_page(lab_page):
    page = lab_page
    run_code_below(page, "explorer.stride = 2; print(explorer.stride)")
    # 2x2 input, K=3, S=2, P=0: (2-1)*2 + 3 = 5 per side.
    explorer_cells(page, "output").nth(24).wait_for()
    assert explorer_cells(page, "output").count() == 25
    assert page.locator('[data-explorer=adjoint] input[aria-label="stride"]').input_value() == "2"
