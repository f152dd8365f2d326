"""OverlapExplorer in the built book (no kernel): every state against ops.overlap_counts.

The grid the page draws (the JS forms the outer product of the sent profile) is compared with
`ops.overlap_counts` for all 84 (K, S, D) states, swept in one page evaluation, the verdict with
the rule S | K and gcd(D, S) = 1, and hovering and the keyboard with the geometry of the scatter.
"""

from __future__ import annotations

import math

import numpy as np
from browser_util import READ_GRID_JS

from widgets import ops
from widgets.overlap import OverlapExplorer, input_size_for

PAGE = "chapters/06_checkerboard.html"
NAME = "overlap"

READ = f"""(root) => {{
  const grid = {READ_GRID_JS};
  const verdict = root.querySelector("[data-role=verdict]");
  return {{ overlap: grid(root, "overlap"), profile: grid(root, "profile"),
            input: grid(root, "input"), verdict: verdict.textContent,
            kind: verdict.dataset.verdict, colour: getComputedStyle(verdict).color }};
}}"""


def states():
    """Every (K, S, D) the sliders reach."""
    return [tuple(s.values()) for s in OverlapExplorer.reachable_states()]


def show(explorer, k, s, d):
    """Set the sliders and read what the explorer draws."""
    return explorer.sweep([{"kernel size": k, "stride": s, "dilation": d}], READ)[0]


def test_every_state_equals_overlap_counts(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    assert list(OverlapExplorer.controls) == ["kernel_size", "stride", "dilation"]
    settings = states()
    assert len(settings) == 84
    shown = explorer.sweep([{"kernel size": k, "stride": s, "dilation": d} for k, s, d in settings],
                           READ)
    colours = {}
    for (k, s, d), got in zip(settings, shown, strict=True):
        n = input_size_for(k, s, d)
        assert np.array_equal(got["overlap"], ops.overlap_counts(n, k, s, dilation=d)), (k, s, d)
        assert got["profile"] == [ops.overlap_profile(n, k, s, dilation=d).tolist()], (k, s, d)
        assert np.array_equal(got["input"], np.ones((n, n))), (k, s, d)
        uniform = k % s == 0 and math.gcd(d, s) == 1
        assert got["kind"] == ("uniform" if uniform else "uneven"), (k, s, d)
        assert got["verdict"].startswith("Uniform" if uniform else "Uneven"), (k, s, d)
        assert f"S={s}" in got["verdict"], (k, s, d)
        colours.setdefault(got["kind"], set()).add(got["colour"])
    # The verdict's colour follows the verdict: one colour each, and they differ.
    assert len(colours["uniform"]) == len(colours["uneven"]) == 1
    assert colours["uniform"] != colours["uneven"]


def test_the_chapter_cases(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    shown = show(explorer, 3, 2, 1)
    assert shown["kind"] == "uneven" and "does not divide" in shown["verdict"]
    assert {1, 2, 4} <= set(np.ravel(shown["overlap"]).tolist())

    shown = show(explorer, 4, 2, 1)
    grid = np.array(shown["overlap"])
    first, last = 3, (input_size_for(4, 2, 1) - 1) * 2
    assert shown["kind"] == "uniform"
    assert set(grid[first:last + 1, first:last + 1].ravel().tolist()) == {4}
    assert set(grid.ravel().tolist()) != {4}  # the edges are not uniform, only the interior

    shown = show(explorer, 3, 2, 2)
    assert shown["kind"] == "uneven" and "gcd(D=2, S=2) = 2" in shown["verdict"]
    assert 0 in np.ravel(shown["overlap"])


def test_sliders_redraw_the_grid(open_explorer):
    """A real slider move (not the sweep's events) redraws at the new size."""
    explorer = open_explorer(PAGE, NAME)
    explorer.set_control("kernel size", 4)
    n = input_size_for(4, 2, 1)
    assert explorer.values("overlap") == ops.overlap_counts(n, 4, 2).tolist()
    assert explorer.text("verdict").startswith("Uniform")


def test_hover_lights_the_scatter_geometry(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    show(explorer, 3, 2, 1)
    explorer.hover("input", 1, 2)
    # Input (1, 2) paints rows 2..4 and columns 4..6.
    assert explorer.lit("overlap") == [(r, c) for r in range(2, 5) for c in range(4, 7)]
    assert "rows 2, 3, 4" in explorer.status()

    explorer.hover("overlap", 4, 2)
    # Output (4, 2) gets 2 x 2 = 4 taps: input rows 1, 2 and columns 0, 1.
    assert explorer.lit("input") == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert "gets 4 taps" in explorer.status()

    # Keyboard: focus a cell and move with the arrow keys.
    explorer.focus("overlap", 4, 2)
    explorer.page.keyboard.press("ArrowRight")
    assert "Output (4,3) gets 2 taps" in explorer.status()


def test_screenshots(open_explorer, screenshot):
    for theme in ("light", "dark"):
        explorer = open_explorer(PAGE, NAME, dark=theme == "dark")
        show(explorer, 3, 2, 1)
        explorer.hover("input", 1, 1)
        assert explorer.lit("overlap")
        screenshot(explorer, f"overlap-{theme}")
