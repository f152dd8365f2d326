"""The fixes notebook run live in JupyterLab, its pixel-shuffle explorer driven in headless Chromium."""

from __future__ import annotations

import ast

import pytest
from lab_util import notebook_in_lab, run_code_below

pytestmark = pytest.mark.lab

NOTEBOOK = "chapters/07_fixes.ipynb"
ROOT = "[data-explorer=pixel-shuffle]"


@pytest.fixture(scope="module")
def lab_page(browser):
    with notebook_in_lab(browser, NOTEBOOK, "pixel-shuffle") as page:
        yield page


def lit(page, grid):
    return page.evaluate(
        """([root, grid]) => [...document.querySelectorAll(`${root} [data-grid=${grid}][data-lit]`)]
              .filter((c) => !c.hasAttribute("data-source"))
              .map((c) => [Number(c.dataset.channel), Number(c.dataset.row), Number(c.dataset.col)])""",
        [ROOT, grid],
    )


def test_hover_lights_the_formula_cell_and_reaches_python(lab_page):
    page = lab_page
    # out[0, 3, 2] = in[0*4 + 1*2 + 0, 1, 1] = in[2, 1, 1]. Focus (same handler as hover): Lab's
    # layout can still shift while outputs render, which would move a hover to a neighbouring cell.
    page.locator(f'{ROOT} [data-grid=output][data-channel="0"][data-row="3"][data-col="2"]').focus()
    assert lit(page, "input") == [[2, 1, 1]]
    # Park the pointer outside the notebook, so that scrolling to the end does not hover other cells.
    page.mouse.move(1, 1)
    recorded = run_code_below(page, "print(shuffle_explorer.hovered)")
    assert ast.literal_eval(recorded.strip()) == {"grid": "output", "channel": 0, "row": 3, "col": 2}


def test_python_side_change_redraws_the_page(lab_page):
    page = lab_page
    run_code_below(page, "shuffle_explorer.r = 3; shuffle_explorer.channels = 2; print(shuffle_explorer.r)")
    page.wait_for_function(
        "root => document.querySelectorAll(`${root} [data-grid=output]`).length === 72", arg=ROOT)
    assert page.locator(f"{ROOT} [data-grid=input]").count() == 72
    assert page.locator(f'{ROOT} input[aria-label="upscale factor"]').input_value() == "3"
    assert page.locator(f'{ROOT} input[aria-label="output channels"]').input_value() == "2"
    # text_content: Lab may have scrolled the explorer out of view (inner_text is then empty).
    assert "18 input channels" in page.locator(f"{ROOT} [data-role=status]").text_content()
