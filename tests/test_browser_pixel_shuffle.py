"""PixelShuffleExplorer in the built book (no kernel): hover mappings, controls, keyboard, colours.

Every expected cell comes from the formula out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w] and
from nn.PixelShuffle, independently of the page's precomputed data. Screenshots of the explorer
mid-interaction go to $PIXEL_SHUFFLE_SHOTS (a folder) when it is set.
"""

from __future__ import annotations

import itertools
import os
import pathlib

import browser_util
import pytest
import torch
from torch import nn

PAGE = "chapters/07_fixes.html"
ROOT = "[data-explorer=pixel-shuffle]"
SIZE = 2


def cell(page, grid, channel, r, c):
    return page.locator(
        f'{ROOT} [data-grid={grid}][data-channel="{channel}"][data-row="{r}"][data-col="{c}"]')


def lit(page, grid):
    """(channel, row, col) of the lit cells of a grid, the hovered source cell excluded."""
    return page.evaluate(
        """([root, grid]) => [...document.querySelectorAll(`${root} [data-grid=${grid}][data-lit]`)]
              .filter((c) => !c.hasAttribute("data-source"))
              .map((c) => [Number(c.dataset.channel), Number(c.dataset.row), Number(c.dataset.col)])""",
        [ROOT, grid],
    )


def values(page, grid):
    """{channel: nested list of the grid's visible numbers}."""
    return page.evaluate(
        """([root, grid]) => {
            const out = {};
            for (const c of document.querySelectorAll(`${root} [data-grid=${grid}]`)) {
              const k = c.dataset.channel, r = Number(c.dataset.row), col = Number(c.dataset.col);
              ((out[k] = out[k] || [])[r] = out[k][r] || [])[col] = Number(c.textContent);
            }
            return out;
        }""",
        [ROOT, grid],
    )


def status(page):
    return page.locator(f"{ROOT} [data-role=status]").inner_text()


def set_range(page, label, value):
    browser_util.set_range(page, ROOT, label, value)


def open_explorer(open_page, **kwargs):
    page = open_page(PAGE, **kwargs)
    page.locator(ROOT).scroll_into_view_if_needed()
    return page


def expected_values(r, channels):
    n = channels * r * r
    x = torch.arange(1, n * SIZE * SIZE + 1).reshape(n, SIZE, SIZE)
    return x.tolist(), nn.PixelShuffle(r)(x).tolist()


@pytest.mark.parametrize("channels", [1, 2])
def test_every_hover_mapping_for_r2_is_the_formula(open_page, channels):
    page = open_explorer(open_page)
    r = 2
    set_range(page, "output channels", channels)
    inputs, outputs = expected_values(r, channels)
    assert values(page, "input") == {str(k): v for k, v in enumerate(inputs)}
    assert values(page, "output") == {str(c): v for c, v in enumerate(outputs)}
    for k, h, w in itertools.product(range(channels * r * r), range(SIZE), range(SIZE)):
        c, sub = divmod(k, r * r)
        i, j = divmod(sub, r)
        cell(page, "input", k, h, w).hover()
        assert lit(page, "output") == [[c, h * r + i, w * r + j]]
        assert lit(page, "input") == []
        assert f"in[{k}, {h}, {w}] = {inputs[k][h][w]} goes to out[{c}, {h * r + i}, {w * r + j}]" in status(page)
    for c, y, x in itertools.product(range(channels), range(SIZE * r), range(SIZE * r)):
        k = c * r * r + (y % r) * r + (x % r)
        cell(page, "output", c, y, x).hover()
        assert lit(page, "input") == [[k, y // r, x // r]]
        assert lit(page, "output") == []
        assert f"out[{c}, {y}, {x}] = {outputs[c][y][x]} comes from in[{k}, {y // r}, {x // r}]" in status(page)


def test_r3_two_channels_and_keyboard(open_page):
    page = open_explorer(open_page)
    set_range(page, "upscale factor", 3)
    set_range(page, "output channels", 2)
    inputs, outputs = expected_values(3, 2)
    assert len(values(page, "input")) == 18
    assert values(page, "output") == {"0": outputs[0], "1": outputs[1]}
    assert "18 input channels of 2×2 become 2 output channels of 6×6" in status(page)
    # A spot check for r = 3 (the exhaustive check is r = 2 above).
    cell(page, "output", 1, 5, 4).hover()
    assert lit(page, "input") == [[1 * 9 + 2 * 3 + 1, 1, 1]]
    # Keyboard: focus an output cell and move right; the lit input follows.
    cell(page, "output", 0, 0, 0).focus()
    assert lit(page, "input") == [[0, 0, 0]]
    page.keyboard.press("ArrowRight")
    assert lit(page, "input") == [[1, 0, 0]]
    page.keyboard.press("ArrowDown")
    assert lit(page, "input") == [[4, 0, 0]]
    # Leaving the explorer clears the highlight and restores the summary.
    page.mouse.move(0, 0)
    assert page.locator(f"{ROOT} [data-lit]").count() == 0


def test_sub_pixel_colours_match_across_sides(open_page):
    page = open_explorer(open_page)
    colour = lambda loc: loc.evaluate("(el) => getComputedStyle(el).boxShadow")
    for k in range(4):
        i, j = divmod(k, 2)
        assert colour(cell(page, "input", k, 1, 0)) == colour(cell(page, "output", 0, 2 + i, j))
    assert len({colour(cell(page, "input", k, 0, 0)) for k in range(4)}) == 4


@pytest.mark.parametrize("dark, r", [(False, 2), (True, 2), (False, 3)])
def test_screenshot(open_page, dark, r):
    page = open_explorer(open_page, dark=dark, height=900 if r == 2 else 1700)  # r=3 is tall
    set_range(page, "upscale factor", r)
    set_range(page, "output channels", 2)
    # Focus, not hover: taking the screenshot may scroll, and a moved pointer would clear a hover.
    cell(page, "input", 6, 1, 0).focus()
    i, j = divmod(6 % (r * r), r)
    assert lit(page, "output") == [[6 // (r * r), r + i, j]]
    shots = os.environ.get("PIXEL_SHUFFLE_SHOTS")
    if shots:
        pathlib.Path(shots).mkdir(parents=True, exist_ok=True)
        name = f"pixel_shuffle_r{r}_{'dark' if dark else 'light'}.png"
        page.locator(ROOT).screenshot(path=f"{shots}/{name}")
