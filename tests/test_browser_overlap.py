"""OverlapExplorer in the built book (no kernel): every state against ops.overlap_counts.

The grid the page draws (the JS forms the outer product of the sent profile) is compared with
`ops.overlap_counts` for all 84 (K, S, D) states, the verdict with the rule S | K and
gcd(D, S) = 1, and hovering with the geometry of the scatter. Screenshots go to $OVERLAP_SHOTS
(a folder) when it is set.
"""

from __future__ import annotations

import math
import os
import pathlib

import numpy as np

from widgets import ops
from widgets.overlap import input_size_for

PAGE = "chapters/06_checkerboard.html"
ROOT = "[data-explorer=overlap]"


def set_controls(page, **values):
    """Set range inputs by aria-label and fire their input events, as a user's drag does."""
    page.evaluate(
        """([root, values]) => {
            for (const [label, v] of Object.entries(values)) {
              const el = document.querySelector(`${root} input[aria-label="${label}"]`);
              el.value = v;
              el.dispatchEvent(new Event("input", { bubbles: true }));
            }
        }""",
        [ROOT, {k.replace("_", " "): v for k, v in values.items()}],
    )


def read(page):
    return page.evaluate(
        """root => {
            const grid = (name) => {
              const rows = [];
              for (const cell of document.querySelectorAll(`${root} [data-grid=${name}]`)) {
                const r = Number(cell.dataset.row), c = Number(cell.dataset.col);
                (rows[r] = rows[r] || [])[c] = Number(cell.textContent);
              }
              return rows;
            };
            const verdict = document.querySelector(`${root} [data-role=verdict]`);
            return { overlap: grid("overlap"), profile: grid("profile"), input: grid("input"),
                     verdict: verdict.textContent, kind: verdict.dataset.verdict,
                     colour: getComputedStyle(verdict).color };
        }""",
        ROOT,
    )


def lit(page, name):
    cells = page.locator(f"{ROOT} [data-grid={name}][data-lit]")
    return sorted((int(c.get_attribute("data-row")), int(c.get_attribute("data-col"))) for c in cells.all())


def open_explorer(open_page, **kwargs):
    page = open_page(PAGE, **kwargs)
    page.locator(ROOT).scroll_into_view_if_needed()
    return page


def test_every_state_equals_overlap_counts(open_page):
    page = open_explorer(open_page)
    colours = {}
    for k in range(1, 8):
        for s in range(1, 5):
            for d in range(1, 4):
                set_controls(page, kernel_size=k, stride=s, dilation=d)
                shown = read(page)
                n = input_size_for(k, s, d)
                counts = ops.overlap_counts(n, k, s, dilation=d)
                assert np.array_equal(shown["overlap"], counts), (k, s, d)
                assert shown["profile"] == [ops.overlap_profile(n, k, s, dilation=d).tolist()]
                assert np.array_equal(shown["input"], np.ones((n, n)))
                uniform = k % s == 0 and math.gcd(d, s) == 1
                assert shown["kind"] == ("uniform" if uniform else "uneven"), (k, s, d)
                assert shown["verdict"].startswith("Uniform" if uniform else "Uneven")
                assert f"S={s}" in shown["verdict"]
                colours.setdefault(shown["kind"], set()).add(shown["colour"])
    # The verdict's colour follows the verdict: one colour each, and they differ.
    assert len(colours["uniform"]) == len(colours["uneven"]) == 1
    assert colours["uniform"] != colours["uneven"]


def test_the_issue_cases(open_page):
    page = open_explorer(open_page)
    set_controls(page, kernel_size=3, stride=2, dilation=1)
    shown = read(page)
    assert shown["kind"] == "uneven" and "does not divide" in shown["verdict"]
    assert {1, 2, 4} <= set(np.ravel(shown["overlap"]).tolist())

    set_controls(page, kernel_size=4, stride=2, dilation=1)
    shown = read(page)
    grid = np.array(shown["overlap"])
    first, last = 3, (input_size_for(4, 2, 1) - 1) * 2
    assert shown["kind"] == "uniform"
    assert set(grid[first:last + 1, first:last + 1].ravel().tolist()) == {4}
    assert set(grid.ravel().tolist()) != {4}  # the edges are not uniform, only the interior

    set_controls(page, kernel_size=3, stride=2, dilation=2)
    shown = read(page)
    assert shown["kind"] == "uneven" and "gcd(D=2, S=2) = 2" in shown["verdict"]
    assert 0 in np.ravel(shown["overlap"])


def test_hover_lights_the_scatter_geometry(open_page):
    page = open_explorer(open_page)
    set_controls(page, kernel_size=3, stride=2, dilation=1)
    page.locator(f'{ROOT} [data-grid=input][data-row="1"][data-col="2"]').hover()
    # Input (1, 2) paints rows 2..4 and columns 4..6.
    assert lit(page, "overlap") == [(r, c) for r in range(2, 5) for c in range(4, 7)]
    assert "rows 2, 3, 4" in page.locator(f"{ROOT} [data-role=status]").inner_text()

    page.locator(f'{ROOT} [data-grid=overlap][data-row="4"][data-col="2"]').hover()
    # Output (4, 2) gets 2 x 2 = 4 taps: input rows 1, 2 and columns 0, 1.
    assert lit(page, "input") == [(1, 0), (1, 1), (2, 0), (2, 1)]
    status = page.locator(f"{ROOT} [data-role=status]").inner_text()
    assert "gets 4 taps" in status

    # Keyboard: focus a cell and move with the arrow keys.
    page.locator(f'{ROOT} [data-grid=overlap][data-row="4"][data-col="2"]').focus()
    page.keyboard.press("ArrowRight")
    assert "Output (4,3) gets 2 taps" in page.locator(f"{ROOT} [data-role=status]").inner_text()


def test_screenshots(open_page):
    folder = os.environ.get("OVERLAP_SHOTS")
    for dark in (False, True):
        page = open_explorer(open_page, dark=dark)
        set_controls(page, kernel_size=3, stride=2, dilation=1)
        page.locator(f'{ROOT} [data-grid=input][data-row="1"][data-col="1"]').hover()
        assert lit(page, "overlap")
        if folder:
            path = pathlib.Path(folder) / f"overlap-{'dark' if dark else 'light'}.png"
            page.locator(ROOT).screenshot(path=str(path))
