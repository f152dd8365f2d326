"""AdjointExplorer in the built book (headless Chromium, no kernel): the worked example, hover,
keyboard, every setting against its table and PyTorch, the controls, dark mode."""

from __future__ import annotations

import statistics

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from browser_util import READ_GRID_JS

from widgets import ops
from widgets.adjoint import KERNEL_SIZE, AdjointExplorer, adjoint_state

pytestmark = pytest.mark.browser

MATRIX_PAGE = "chapters/02_matrix_view.html"
NAME = "adjoint"

READ = f"""(root) => {{
  const grid = {READ_GRID_JS};
  return {{ input: grid(root, "input"), kernel: grid(root, "kernel"),
            output: grid(root, "output"), matrix: grid(root, "matrix") }};
}}"""


def test_adjoint_renders_the_worked_example(open_explorer):
    explorer = open_explorer(MATRIX_PAGE, NAME)
    expected = adjoint_state("sparse", 2, 1, 0)
    assert explorer.values("input") == expected["input"]
    assert explorer.values("output") == [[1, 2, 1, 2], [3, 5, 5, 4], [1, 5, 5, 2], [3, 4, 3, 4]]
    assert explorer.values("matrix") == expected["matrix"]
    assert explorer.status_line.get_attribute("aria-live") == "polite"
    assert "16×4" in explorer.status()


def test_hovering_input_lights_its_window_and_column(open_explorer):
    explorer = open_explorer(MATRIX_PAGE, NAME)
    explorer.hover("input", 0, 0)
    lit = explorer.lit("output")
    assert len(lit) == KERNEL_SIZE * KERNEL_SIZE
    assert {r for r, _ in lit} == {0, 1, 2}
    # The whole column 0 of Cᵀ.
    assert explorer.lit("matrix") == [(r, 0) for r in range(16)]
    assert "column 0" in explorer.status()


def test_hovering_output_lights_the_inputs_that_reach_it(open_explorer):
    explorer = open_explorer(MATRIX_PAGE, NAME)
    explorer.hover("output", 1, 1)
    assert len(explorer.lit("input")) == 4
    assert "1·1 + 2·0 + 3·0 + 4·1 = 5" in explorer.status()
    explorer.hover("output", 0, 0)
    assert len(explorer.lit("input")) == 1


def test_hovering_a_matrix_entry_lights_its_input_output_and_tap(open_explorer):
    explorer = open_explorer(MATRIX_PAGE, NAME)
    explorer.hover("matrix", 5, 3)  # output (1,1) <- input (1,1) through tap k(0,0)
    assert explorer.lit("input") == [(1, 1)]
    assert explorer.cell("output", 1, 1).get_attribute("data-lit") == ""
    assert explorer.cell("kernel", 0, 0).get_attribute("data-lit") == ""


def test_keyboard_moves_focus_and_light(open_explorer):
    explorer = open_explorer(MATRIX_PAGE, NAME)
    explorer.focus("input", 0, 0)
    explorer.page.keyboard.press("ArrowRight")
    assert explorer.page.evaluate("document.activeElement.dataset.col") == "1"
    assert explorer.cell("input", 0, 1).get_attribute("data-source") == ""
    assert len(explorer.lit("output")) == 9


def test_every_setting_redraws_at_the_formula_size(open_explorer):
    """Every kernel, input size, stride and padding, swept in one page evaluation: each grid
    equals the explorer's table, the output is PyTorch's at the formula's size, and Cᵀ has one
    row per output cell and one column per input cell."""
    explorer = open_explorer(MATRIX_PAGE, NAME)
    cases = [tuple(s.values()) for s in AdjointExplorer.reachable_states()]
    shown = explorer.sweep([{"kernel": k, "input size": i, "stride": s, "padding": p}
                            for k, i, s, p in cases], READ)
    for (kernel, input_size, stride, padding), got in zip(cases, shown, strict=True):
        label = (kernel, input_size, stride, padding)
        expected = adjoint_state(kernel, input_size, stride, padding)
        for grid in ("input", "kernel", "output", "matrix"):
            assert got[grid] == expected[grid], (label, grid)
        size = ops.conv_transpose_output_size(input_size, KERNEL_SIZE, stride, padding)
        y = F.conv_transpose2d(torch.tensor(got["input"], dtype=torch.float64)[None, None],
                               torch.tensor(got["kernel"], dtype=torch.float64)[None, None],
                               stride=stride, padding=padding)[0, 0]
        assert y.shape == (size, size) and np.allclose(got["output"], y.numpy()), label
        assert np.array(got["matrix"]).shape == (size * size, input_size ** 2), label


def test_sliders_and_kernel_menu_redraw(open_explorer):
    """Real control moves (the sweep above sets them by script)."""
    explorer = open_explorer(MATRIX_PAGE, NAME)
    explorer.set_control("input size", 4)
    explorer.set_control("stride", 2)
    explorer.set_control("padding", 1)
    assert explorer.values("output") == adjoint_state("sparse", 4, 2, 1)["output"]
    explorer.control("kernel").select_option("ones")
    assert explorer.values("output") == adjoint_state("ones", 4, 2, 1)["output"]
    assert explorer.values("matrix") == adjoint_state("ones", 4, 2, 1)["matrix"]


def test_hover_lights_cells_in_the_same_event(open_explorer, record_property):
    """Hover is answered in JavaScript, synchronously: the cells are lit before the event returns.

    No kernel round trip, no timer. The time per hover is recorded for reading, not asserted
    (speed is a benchmark's business, and a loaded machine would make a limit flaky).
    """
    explorer = open_explorer(MATRIX_PAGE, NAME)
    result = explorer.locator().evaluate(
        """(root) => {
        const times = [], unlit = [];
        for (const cell of root.querySelectorAll('[data-grid]')) {
          const t0 = performance.now();
          cell.dispatchEvent(new PointerEvent('pointerover', {bubbles: true}));
          if (!root.querySelector('[data-lit]')) unlit.push(cell.dataset.grid);
          getComputedStyle(cell).backgroundColor;  // force the style recalculation
          times.push(performance.now() - t0);
        }
        return {times, unlit};
    }"""
    )
    times = result["times"]
    record_property("hover_to_lit_median_ms", round(statistics.median(times), 3))
    record_property("hover_to_lit_max_ms", round(max(times), 3))
    assert len(times) > 10
    assert result["unlit"] == [], f"hovers that lit nothing synchronously: {result['unlit']}"


def test_dark_mode_keeps_input_and_output_apart(open_explorer):
    explorer = open_explorer(MATRIX_PAGE, NAME, dark=True)
    explorer.page.wait_for_function("document.documentElement.dataset.theme === 'dark'")
    colours = {
        grid: explorer.cell(grid, 0, 0).evaluate("e => getComputedStyle(e).backgroundColor")
        for grid in ("input", "output")
    }
    assert colours["input"] != colours["output"]
    background = explorer.locator().evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
