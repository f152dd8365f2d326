"""FractionallyStridedView in the built book (headless Chromium, no kernel): clicks, Play to the
end, every setting of the controls against PyTorch, refusals, hover and keyboard, dark mode."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F
from browser_util import READ_GRID_JS

from widgets.zero_insertion import INPUT, FractionallyStridedView, example_kernel, zero_insertion_state

pytestmark = pytest.mark.browser

PAGE = "chapters/05_zero_insertion.html"
NAME = "zero-insertion"

# For one setting of the sliders: whether it is refused; else the padded grid at the "padded"
# stage, then, after "last step", the output grid and the status line.
READ = f"""(root) => {{
  const grid = {READ_GRID_JS};
  const status = root.querySelector("[data-role=status]");
  const button = (label) => root.querySelector(`button[aria-label="${{label}}"]`);
  if (status.dataset.level === "error") {{
    return {{ error: status.textContent, play: button("play").disabled,
              grids: root.querySelectorAll("[data-grid=output], [data-grid=padded]").length }};
  }}
  setControls(root, {{ stage: "padded" }});
  const padded = grid(root, "padded");
  button("last step").click();
  return {{ padded, output: grid(root, "output"), status: status.textContent }};
}}"""


def first_step(explorer):
    """The page opens at the first step, where "first step" is disabled; click it otherwise."""
    first = explorer.button("first step")
    if first.is_enabled():
        first.click()
    assert first.is_disabled()


def choose_stage(explorer, stage):
    explorer.set_control("stage", stage)


def torch_output(stride, kernel_size, padding):
    return F.conv_transpose2d(torch.tensor(INPUT)[None, None],
                              torch.tensor(example_kernel(kernel_size))[None, None],
                              stride=stride, padding=padding)[0, 0].int().tolist()


def check_window_status(text, r, c, expected):
    """The status line's sum of products equals the output cell, which equals PyTorch."""
    assert f"Output ({r},{c}) = {expected[r][c]}" in text
    products = re.search(r"Non-zero products: (.*?) = (-?\d+)\.", text)
    if products:
        terms = [tuple(map(int, t.split("·"))) for t in products.group(1).split(" + ")]
        assert sum(a * b for a, b in terms) == int(products.group(2)) == expected[r][c]
    else:
        assert expected[r][c] == 0


def test_opens_at_the_input_and_reaches_any_window(open_explorer):
    """The book shows the first stage; the stage menu and Next reach output cell (1, 2)."""
    explorer = open_explorer(PAGE, NAME)
    assert explorer.control("stage").input_value() == "input"
    assert "Stage 1 of 4" in explorer.status()
    choose_stage(explorer, "output")
    for _ in range(1 * 5 + 2):
        explorer.button("next step").click()
    expected = torch_output(2, 3, 0)
    flat = [v for row in explorer.values("output") for v in row]
    assert flat[:8] == [v for row in expected for v in row][:8] and set(flat[8:]) == {None}
    assert explorer.lit("output") == [(1, 2)]
    assert explorer.lit("padded") == [(r, c) for r in range(1, 4) for c in range(2, 5)]
    assert explorer.cells("kernel", lit=True).count() == 9
    check_window_status(explorer.status(), 1, 2, expected)
    assert explorer.status_line.get_attribute("aria-live") == "polite"


def test_step_buttons_walk_the_four_stages(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    first_step(explorer)
    state = zero_insertion_state(2, 3, 0)
    assert explorer.values("input") == state["input"]
    assert explorer.values("inserted") is None and explorer.values("output") is None
    assert "Stage 1 of 4" in explorer.status()
    assert explorer.button("previous step").is_disabled()

    explorer.button("next step").click()
    assert explorer.values("inserted") == [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    assert explorer.lit("inserted") == [(0, 0), (0, 2), (2, 0), (2, 2)]  # the input values
    assert "becomes (I−1)·S+1 = 3×3" in explorer.status()

    explorer.button("next step").click()
    assert explorer.values("padded") == state["padded"]
    assert explorer.lit("padded") == [(2, 2), (2, 4), (4, 2), (4, 4)]
    assert "K−1−P = 3−1−0 = 2" in explorer.status()
    # Border zeros are marked apart from inserted zeros.
    assert "tc-border-zero" in explorer.cell("padded", 0, 0).get_attribute("class")
    assert "tc-inserted-zero" in explorer.cell("padded", 3, 3).get_attribute("class")
    assert "tc-from-input" in explorer.cell("padded", 4, 4).get_attribute("class")

    explorer.button("next step").click()
    assert explorer.control("stage").input_value() == "output"
    assert explorer.values("kernel") == state["flipped"]
    assert explorer.lit("output") == [(0, 0)]
    assert explorer.lit("padded") == [(r, c) for r in range(3) for c in range(3)]
    check_window_status(explorer.status(), 0, 0, state["output"])
    explorer.button("next step").click()
    assert explorer.lit("output") == [(0, 1)]
    explorer.button("previous step").click()
    explorer.button("previous step").click()
    assert explorer.values("output") is None and explorer.values("padded") == state["padded"]


def test_play_runs_to_the_end(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    first_step(explorer)
    play = explorer.button("play")
    play.click()
    assert play.get_attribute("aria-pressed") == "true"
    # 3 stages + 25 output cells at 300 ms a step: about 8.5 s.
    play.and_(explorer.page.locator("[aria-pressed=false]")).wait_for(timeout=30_000)
    expected = torch_output(2, 3, 0)
    assert explorer.values("output") == expected
    assert explorer.lit("output") == [(4, 4)]
    assert explorer.lit("padded") == [(r, c) for r in range(4, 7) for c in range(4, 7)]
    check_window_status(explorer.status(), 4, 4, expected)
    assert explorer.button("next step").is_disabled()


def test_every_setting_matches_pytorch(open_explorer):
    """All 27 settings of the three sliders, in one page evaluation: grid sizes from the
    formula, values from PyTorch, and the refused ones explained instead of drawn."""
    explorer = open_explorer(PAGE, NAME)
    cases = [tuple(s.values()) for s in FractionallyStridedView.reachable_states()]
    assert len(cases) == 27
    shown = explorer.sweep(
        [{"stride": s, "kernel size": k, "padding": p} for s, k, p in cases], READ)
    refused = 0
    for (stride, k, padding), got in zip(cases, shown, strict=True):
        state = zero_insertion_state(stride, k, padding)
        label = f"S={stride} K={k} P={padding}"
        if state["error"]:
            refused += 1
            assert "Not allowed" in got.get("error", ""), label
            assert got["grids"] == 0 and got["play"], label
            continue
        assert "error" not in got, label
        pad = k - 1 - padding
        size = (INPUT.shape[0] - 1) * stride + 1 + 2 * pad
        assert got["padded"] == state["padded"] and len(state["padded"]) == size, label
        out = got["output"]
        formula = (INPUT.shape[0] - 1) * stride - 2 * padding + k
        assert len(out) == len(out[0]) == formula, label
        assert out == torch_output(stride, k, padding), label
        assert f"= {formula}." in got["status"], label
        check_window_status(got["status"], formula - 1, formula - 1, out)
    assert 0 < refused < len(cases)


def test_negative_border_is_a_crop(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    explorer.set_control("stride", 3)
    explorer.set_control("kernel size", 2)
    explorer.set_control("padding", 2)
    choose_stage(explorer, "padded")
    assert explorer.values("padded") == [[0, 0], [0, 0]]
    assert ("is negative, so instead of padding, 1 row and column is cropped"
            in explorer.status())


def test_refused_setting_and_recovery(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    explorer.set_control("stride", 1)
    explorer.set_control("kernel size", 2)
    explorer.set_control("padding", 2)
    assert "+ 2 = -1, but it must be at least 1" in explorer.status()
    assert explorer.status_line.get_attribute("data-level") == "error"
    assert explorer.button("play").is_disabled()
    assert explorer.cells("output").count() == 0
    explorer.set_control("padding", 0)   # 1 - 0 + 2 = 3
    assert explorer.status_line.get_attribute("data-level") is None
    explorer.button("last step").click()
    assert explorer.values("output") == torch_output(1, 2, 0)


def test_hover_and_keyboard(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    choose_stage(explorer, "output")
    explorer.hover("input", 1, 1)
    assert explorer.lit("inserted") == [(2, 2)]
    assert explorer.lit("padded") == [(4, 4)]
    assert ("moves to (2,2) after zero insertion and to (4,4) after padding"
            in explorer.status())
    explorer.hover("padded", 0, 0)
    assert "border zero" in explorer.status()
    explorer.hover("output", 3, 1)
    assert explorer.lit("padded") == [(r, c) for r in range(3, 6) for c in range(1, 4)]
    check_window_status(explorer.status(), 3, 1, torch_output(2, 3, 0))
    # Keyboard: focus an output cell, arrow right moves the window.
    explorer.focus("output", 0, 0)
    explorer.page.keyboard.press("ArrowRight")
    assert explorer.lit("output") == [(0, 1)]
    assert explorer.lit("padded") == [(r, c) for r in range(3) for c in range(1, 4)]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_input_and_output_look_different_in_both_themes(open_explorer, dark):
    explorer = open_explorer(PAGE, NAME, dark=dark)
    if dark:  # the book's theme switch follows the system preference
        explorer.page.wait_for_function("document.documentElement.dataset.theme === 'dark'")

    def style(grid, row, col):
        return explorer.cell(grid, row, col).evaluate(
            "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.color]; }")

    # The page opens at the input; at the output stage every grid is on screen, the
    # window on output cell (1, 2) after seven steps.
    choose_stage(explorer, "output")
    for _ in range(1 * 5 + 2):
        explorer.button("next step").click()
    input_bg, input_fg = style("input", 0, 0)
    output_bg, output_fg = style("output", 0, 0)
    border_bg, _ = style("padded", 0, 0)
    assert len({input_bg, output_bg, border_bg}) == 3
    assert input_fg != input_bg and output_fg != output_bg
    # A lit cell is marked by an outline as well as colour.
    outline = explorer.cell("output", 1, 2).evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
