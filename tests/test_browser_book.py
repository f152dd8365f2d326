"""The built book in headless Chromium: every page clean, the adjoint explorer working offline."""

from __future__ import annotations

import statistics

import browser_util
import pytest
from browser_util import built_pages, wait_for_mathjax
from conftest import BOOK_HTML

from widgets import ops
from widgets.adjoint import KERNEL_SIZE, adjoint_state

pytestmark = pytest.mark.browser

MATRIX_PAGE = "chapters/02_matrix_view.html"
ADJOINT = "[data-explorer=adjoint]"


def lit(page, grid):
    return page.locator(f"{ADJOINT} [data-grid={grid}][data-lit]")


def cell(page, grid, row, col):
    return page.locator(f'{ADJOINT} [data-grid={grid}][data-row="{row}"][data-col="{col}"]')


def grid_values(page, grid):
    """The grid's visible numbers as a list of rows, read from the DOM."""
    cells = page.eval_on_selector_all(
        f"{ADJOINT} [data-grid={grid}]",
        "els => els.map(e => [Number(e.dataset.row), Number(e.dataset.col), Number(e.textContent)])",
    )
    rows = max(r for r, _, _ in cells) + 1
    cols = max(c for _, c, _ in cells) + 1
    values = [[None] * cols for _ in range(rows)]
    for r, c, v in cells:
        values[r][c] = v
    return values


def set_range(page, label, value):
    browser_util.set_range(page, ADJOINT, label, value)


def test_every_page_loads_clean(open_page):
    pages = built_pages(BOOK_HTML)
    assert "chapters/02_matrix_view.html" in pages and "book/index.html" in pages
    for path in pages:
        page = open_page(path)
        assert page.title(), path
    # The matrix page typesets its formulas with the vendored MathJax.
    assert wait_for_mathjax(open_page(MATRIX_PAGE)) > 0


def test_adjoint_renders_the_worked_example(open_page):
    page = open_page(MATRIX_PAGE)
    expected = adjoint_state("sparse", 2, 1, 0)
    assert grid_values(page, "input") == expected["input"]
    assert grid_values(page, "output") == [[1, 2, 1, 2], [3, 5, 5, 4], [1, 5, 5, 2], [3, 4, 3, 4]]
    assert grid_values(page, "matrix") == expected["matrix"]
    status = page.locator(f"{ADJOINT} [data-role=status]")
    assert status.get_attribute("aria-live") == "polite"
    assert "16×4" in status.inner_text()


def test_hovering_input_lights_its_window_and_column(open_page):
    page = open_page(MATRIX_PAGE)
    cell(page, "input", 0, 0).hover()
    assert lit(page, "output").count() == KERNEL_SIZE * KERNEL_SIZE
    lit_rows = {int(r) for r in lit(page, "output").evaluate_all("els => els.map(e => e.dataset.row)")}
    assert lit_rows == {0, 1, 2}
    assert lit(page, "matrix").count() == 16  # the whole column 0 of Cᵀ
    assert set(lit(page, "matrix").evaluate_all("els => els.map(e => e.dataset.col)")) == {"0"}
    assert "column 0" in page.locator(f"{ADJOINT} [data-role=status]").inner_text()


def test_hovering_output_lights_the_inputs_that_reach_it(open_page):
    page = open_page(MATRIX_PAGE)
    cell(page, "output", 1, 1).hover()
    assert lit(page, "input").count() == 4
    status = page.locator(f"{ADJOINT} [data-role=status]").inner_text()
    assert "1·1 + 2·0 + 3·0 + 4·1 = 5" in status
    cell(page, "output", 0, 0).hover()
    assert lit(page, "input").count() == 1


def test_hovering_a_matrix_entry_lights_its_input_output_and_tap(open_page):
    page = open_page(MATRIX_PAGE)
    cell(page, "matrix", 5, 3).hover()  # output (1,1) <- input (1,1) through tap k(0,0)
    assert lit(page, "input").count() == 1 and cell(page, "input", 1, 1).get_attribute("data-lit") == ""
    assert cell(page, "output", 1, 1).get_attribute("data-lit") == ""
    assert cell(page, "kernel", 0, 0).get_attribute("data-lit") == ""


def test_keyboard_moves_focus_and_light(open_page):
    page = open_page(MATRIX_PAGE)
    cell(page, "input", 0, 0).focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.col") == "1"
    assert cell(page, "input", 0, 1).get_attribute("data-source") == ""
    assert lit(page, "output").count() == 9


@pytest.mark.parametrize("input_size", [2, 4])
def test_changing_stride_and_padding_redraws_at_the_formula_size(open_page, input_size):
    page = open_page(MATRIX_PAGE)
    set_range(page, "input size", input_size)
    for stride in (1, 2, 3):
        for padding in (0, 1):
            set_range(page, "stride", stride)
            set_range(page, "padding", padding)
            size = ops.conv_transpose_output_size(input_size, KERNEL_SIZE, stride, padding)
            values = grid_values(page, "output")
            assert (len(values), len(values[0])) == (size, size)
            assert values == adjoint_state("sparse", input_size, stride, padding)["output"]
            assert page.locator(f"{ADJOINT} [data-grid=matrix]").count() == size * size * input_size**2


def test_kernel_choice_changes_values(open_page):
    page = open_page(MATRIX_PAGE)
    page.select_option(f'{ADJOINT} select[aria-label="kernel"]', "ones")
    assert grid_values(page, "output") == adjoint_state("ones", 2, 1, 0)["output"]
    assert grid_values(page, "matrix") == adjoint_state("ones", 2, 1, 0)["matrix"]


def test_hover_to_lit_is_fast(open_page, record_property):
    """Time from the pointer event to the lit cells' computed style, for every cell."""
    page = open_page(MATRIX_PAGE)
    times = page.evaluate(
        """() => {
        const root = document.querySelector('[data-explorer=adjoint]');
        const out = [];
        for (const cell of root.querySelectorAll('[data-grid]')) {
          const t0 = performance.now();
          cell.dispatchEvent(new PointerEvent('pointerover', {bubbles: true}));
          getComputedStyle(cell).backgroundColor;  // force the style recalculation
          out.push(performance.now() - t0);
        }
        return out;
    }"""
    )
    median, worst = statistics.median(times), max(times)
    record_property("hover_to_lit_median_ms", round(median, 3))
    record_property("hover_to_lit_max_ms", round(worst, 3))
    print(f"hover to lit over {len(times)} cells: median {median:.2f} ms, max {worst:.2f} ms")
    assert worst < 16


def test_dark_mode_keeps_input_and_output_apart(open_page):
    page = open_page(MATRIX_PAGE, dark=True)
    page.wait_for_function("document.documentElement.dataset.theme === 'dark'")
    colours = {
        grid: cell(page, grid, 0, 0).evaluate("e => getComputedStyle(e).backgroundColor")
        for grid in ("input", "output")
    }
    assert colours["input"] != colours["output"]
    background = page.locator(ADJOINT).evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
