"""PixelShuffleExplorer in the built book (no kernel): hover mappings, controls, keyboard, colours.

Every expected cell comes from the formula out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w] and
from nn.PixelShuffle, independently of the page's precomputed data. The exhaustive check points
at every cell of every state of the controls in one page evaluation; real hovers, focus and the
keyboard are checked on a few cells.
"""

from __future__ import annotations


import pytest
import torch
from torch import nn

from widgets.pixel_shuffle import PixelShuffleExplorer

PAGE = "chapters/07_fixes.html"
NAME = "pixel-shuffle"
SIZE = 2

# For one state of the controls: every cell's number, then, pointing at each cell in turn, the
# other cells lit and the status line.
READ = """(root) => {
  const key = (e) => [Number(e.dataset.channel), Number(e.dataset.row), Number(e.dataset.col)];
  const cells = [...root.querySelectorAll("[data-grid=input], [data-grid=output]")];
  return cells.map((cell) => {
    cell.dispatchEvent(new PointerEvent("pointerover", { bubbles: true }));
    const lit = [...root.querySelectorAll("[data-lit]")].filter((e) => e !== cell);
    return { grid: cell.dataset.grid, at: key(cell), value: Number(cell.textContent),
             lit: lit.map((e) => [e.dataset.grid, ...key(e)]),
             status: root.querySelector("[data-role=status]").textContent };
  });
}"""


def expected_values(r, channels):
    n = channels * r * r
    x = torch.arange(1, n * SIZE * SIZE + 1).reshape(n, SIZE, SIZE)
    return x.tolist(), nn.PixelShuffle(r)(x).tolist()


def controls(r, channels):
    return {"upscale factor": r, "output channels": channels}


def test_every_hover_mapping_is_the_formula(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    states = [tuple(s.values()) for s in PixelShuffleExplorer.reachable_states()]
    assert states == [(2, 1), (2, 2), (3, 1), (3, 2)]
    shown = explorer.sweep([controls(r, channels) for r, channels in states], READ)
    for (r, channels), cells in zip(states, shown, strict=True):
        inputs, outputs = expected_values(r, channels)
        grids = {"input": inputs, "output": outputs}
        assert len(cells) == channels * r * r * SIZE * SIZE * 2, (r, channels)
        for cell in cells:
            k, y, x = cell["at"]
            assert cell["value"] == grids[cell["grid"]][k][y][x], (r, channels, cell)
            if cell["grid"] == "input":
                c, sub = divmod(k, r * r)
                i, j = divmod(sub, r)
                target = [c, y * r + i, x * r + j]
                assert cell["lit"] == [["output", *target]], (r, channels, cell)
                assert (f"in[{k}, {y}, {x}] = {inputs[k][y][x]} goes to "
                        f"out[{target[0]}, {target[1]}, {target[2]}]") in cell["status"]
            else:
                source = [k * r * r + (y % r) * r + (x % r), y // r, x // r]
                assert cell["lit"] == [["input", *source]], (r, channels, cell)
                assert (f"out[{k}, {y}, {x}] = {outputs[k][y][x]} comes from "
                        f"in[{source[0]}, {source[1]}, {source[2]}]") in cell["status"]


@pytest.mark.parametrize("channels", [1, 2])
def test_hover_for_r2(open_explorer, channels):
    """Real pointer hovers on a cell of each side, after a real slider move."""
    explorer = open_explorer(PAGE, NAME)
    explorer.set_control("output channels", channels)
    inputs, outputs = expected_values(2, channels)
    assert explorer.values("input") == inputs
    assert explorer.values("output") == outputs
    k = channels * 4 - 1  # the last input channel, sub-pixel (1, 1)
    explorer.hover("input", 0, 1, channel=k)
    assert explorer.lit("output", source=False) == [(channels - 1, 1, 3)]
    assert explorer.lit("input", source=False) == []
    explorer.hover("output", 2, 1, channel=channels - 1)  # sub-pixel (2 % 2, 1 % 2) = (0, 1)
    k = (channels - 1) * 4 + 1
    assert explorer.lit("input", source=False) == [(k, 1, 0)]
    assert f"comes from in[{k}, 1, 0]" in explorer.status()


def test_r3_two_channels_and_keyboard(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    explorer.set_control("upscale factor", 3)
    explorer.set_control("output channels", 2)
    inputs, outputs = expected_values(3, 2)
    assert len(explorer.values("input")) == 18
    assert explorer.values("output") == outputs
    assert "18 input channels of 2×2 become 2 output channels of 6×6" in explorer.status()
    explorer.hover("output", 5, 4, channel=1)
    assert explorer.lit("input", source=False) == [(1 * 9 + 2 * 3 + 1, 1, 1)]
    # Keyboard: focus an output cell and move right; the lit input follows.
    explorer.focus("output", 0, 0, channel=0)
    assert explorer.lit("input", source=False) == [(0, 0, 0)]
    explorer.page.keyboard.press("ArrowRight")
    assert explorer.lit("input", source=False) == [(1, 0, 0)]
    explorer.page.keyboard.press("ArrowDown")
    assert explorer.lit("input", source=False) == [(4, 0, 0)]
    # Leaving the explorer clears the highlight and restores the summary.
    explorer.page.mouse.move(0, 0)
    assert explorer.locator("[data-lit]").count() == 0


def test_sub_pixel_colours_match_across_sides(open_explorer):
    explorer = open_explorer(PAGE, NAME)

    def colour(grid, row, col, channel):
        return explorer.cell(grid, row, col, channel).evaluate("(el) => getComputedStyle(el).boxShadow")

    for k in range(4):
        i, j = divmod(k, 2)
        assert colour("input", 1, 0, k) == colour("output", 2 + i, j, 0)
    assert len({colour("input", 0, 0, k) for k in range(4)}) == 4


@pytest.mark.parametrize("dark, r", [(False, 2), (True, 2), (False, 3)])
def test_screenshot(open_explorer, screenshot, dark, r):
    explorer = open_explorer(PAGE, NAME, dark=dark, height=900 if r == 2 else 1700)  # r=3 is tall
    explorer.set_control("upscale factor", r)
    explorer.set_control("output channels", 2)
    # Focus, not hover: taking the screenshot may scroll, and a moved pointer would clear a hover.
    explorer.focus("input", 1, 0, channel=6)
    i, j = divmod(6 % (r * r), r)
    assert explorer.lit("output", source=False) == [(6 // (r * r), r + i, j)]
    screenshot(explorer, f"pixel_shuffle_r{r}_{'dark' if dark else 'light'}")
