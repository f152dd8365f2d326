"""ScatterAddPainter in the built book (no kernel): clicks, Play, Pause, Reset, stride and kernel.

Every expected number comes from PyTorch here, independently of the page's precomputed data.
Screenshots of the painter mid-interaction go to $SCATTER_ADD_SHOTS (a folder) when it is set.
"""

from __future__ import annotations

import json
import os
import pathlib

import numpy as np
import browser_util
import pytest
import torch
import torch.nn.functional as F

PAGE = "chapters/03_scatter_add.html"
ROOT = "[data-explorer=scatter-add]"
X = np.array([[1.0, 2.0], [3.0, 4.0]])
KERNELS = {"sparse": np.array([[1.0, 0, 1], [0, 1, 0], [1, 0, 1]]), "ones": np.ones((3, 3))}
WORKED = [[1, 2, 1, 2], [3, 5, 5, 4], [1, 5, 5, 2], [3, 4, 3, 4]]


def expected(kernel="sparse", stride=1, painted=range(4)):
    x = np.zeros(4)
    x[list(painted)] = X.ravel()[list(painted)]
    out = F.conv_transpose2d(torch.tensor(x.reshape(1, 1, 2, 2)), torch.tensor(KERNELS[kernel])[None, None],
                             stride=stride)[0, 0]
    return out.numpy().astype(int).tolist()


def grid(page, name):
    """The grid's visible numbers, as a nested list by data-row / data-col."""
    return page.evaluate(
        """([root, name]) => {
            const rows = [];
            for (const cell of document.querySelectorAll(`${root} [data-grid=${name}]`)) {
              const r = Number(cell.dataset.row), c = Number(cell.dataset.col);
              (rows[r] = rows[r] || [])[c] = Number(cell.textContent);
            }
            return rows;
        }""",
        [ROOT, name],
    )


def lit(page, name):
    cells = page.locator(f"{ROOT} [data-grid={name}][data-lit]")
    return sorted((int(c.get_attribute("data-row")), int(c.get_attribute("data-col"))) for c in cells.all())


def cell(page, name, r, c):
    return page.locator(f'{ROOT} [data-grid={name}][data-row="{r}"][data-col="{c}"]')


def painted_count(page):
    return page.locator(f"{ROOT} [data-grid=input][data-painted]").count()


def status(page):
    return page.locator(f"{ROOT} [data-role=status]").inner_text()


def button(page, label):
    return page.locator(f'{ROOT} button[aria-label="{label}"]')


def set_stride(page, value):
    browser_util.set_range(page, ROOT, "stride", value)


def open_painter(open_page, **kwargs):
    page = open_page(PAGE, **kwargs)
    page.locator(ROOT).scroll_into_view_if_needed()
    return page


def test_default_state_and_one_click(open_page):
    page = open_painter(open_page)
    assert page.locator(f"{ROOT} [data-role=status][aria-live=polite]").count() == 1
    assert grid(page, "input") == [[1, 2], [3, 4]]
    assert grid(page, "kernel") == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    assert grid(page, "output") == [[0] * 4] * 4
    assert "Nothing painted yet" in status(page)

    cell(page, "input", 0, 1).click()
    # Input (0,1) = 2 paints 2 x kernel into rows 0-2, columns 1-3; those nine cells are lit.
    assert lit(page, "output") == [(r, c) for r in range(3) for c in range(1, 4)]
    assert lit(page, "input") == [(0, 1)]
    assert grid(page, "output") == expected(painted=[1])
    assert cell(page, "input", 0, 1).get_attribute("data-painted") is not None
    text = status(page)
    assert "Painted input (0,1) = 2 (1 of 4)" in text and "rows 0–2, columns 1–3" in text
    assert "4 zero taps add nothing" in text

    # A second click on a painted cell shows its window again but adds nothing.
    cell(page, "input", 0, 1).click()
    assert grid(page, "output") == expected(painted=[1])
    assert "already painted" in status(page)


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 1, 0, 2)])
def test_four_clicks_give_the_worked_example(open_page, order):
    page = open_painter(open_page)
    done = []
    for i in order:
        cell(page, "input", i // 2, i % 2).click()
        done.append(i)
        assert grid(page, "output") == expected(painted=done)
    assert grid(page, "output") == WORKED
    assert painted_count(page) == 4
    assert "All input cells are painted" in status(page)


def test_output_cell_spells_out_its_sum(open_page):
    page = open_painter(open_page)
    for i in (0, 3):
        cell(page, "input", i // 2, i % 2).click()
    cell(page, "output", 1, 1).hover()
    assert lit(page, "input") == [(0, 0), (0, 1), (1, 0), (1, 1)]  # all four windows cover (1,1)
    text = status(page)
    assert "Output (1,1) = 5 so far. 4 input windows cover it, 2 through a non-zero tap" in text
    assert "x(0,0)·k(1,1) = 1·1" in text and "x(1,1)·k(0,0) = 4·1" in text
    assert "x(0,1)·k(1,0) = 2·0 (not painted yet)" in text
    assert "Painted so far: 1 + 4 = 5." in text


def test_play_paints_in_order_then_stops(open_page):
    page = open_painter(open_page)
    button(page, "play").click()
    assert button(page, "play").is_disabled() and not button(page, "pause").is_disabled()
    for count in range(1, 5):
        page.wait_for_function(
            "([root, n]) => document.querySelectorAll(`${root} [data-grid=input][data-painted]`).length >= n",
            arg=[ROOT, count], timeout=5000)
        now = painted_count(page)
        if now == count:  # a visible step: the running sums of the first `count` cells, their window lit
            assert grid(page, "output") == expected(painted=range(count))
            i = count - 1
            window = [(r, c) for r in range(i // 2, i // 2 + 3) for c in range(i % 2, i % 2 + 3)]
            assert lit(page, "output") == window
    page.wait_for_function("root => !document.querySelector(`${root} button[aria-label=play]`).disabled",
                           arg=ROOT, timeout=5000)
    assert grid(page, "output") == WORKED
    assert button(page, "pause").is_disabled()
    assert "All input cells are painted" in status(page)

    # Play again starts over from a clean output.
    button(page, "play").click()
    assert painted_count(page) == 1 and grid(page, "output") == expected(painted=[0])
    button(page, "pause").click()


def test_pause_holds_and_reset_clears(open_page):
    page = open_painter(open_page)
    button(page, "play").click()
    page.wait_for_function(
        "root => document.querySelectorAll(`${root} [data-grid=input][data-painted]`).length >= 2",
        arg=ROOT, timeout=5000)
    button(page, "pause").click()
    held = painted_count(page)
    assert held in (2, 3)
    page.wait_for_timeout(2000)  # more than two animation steps
    assert painted_count(page) == held
    assert f"Paused after {held} of 4" in status(page)
    assert grid(page, "output") == expected(painted=range(held))

    button(page, "step").click()
    assert painted_count(page) == held + 1

    button(page, "reset").click()
    assert painted_count(page) == 0
    assert grid(page, "output") == [[0] * 4] * 4
    assert lit(page, "output") == []
    assert "Nothing painted yet" in status(page)


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_stride_grows_the_output(open_page, stride):
    page = open_painter(open_page)
    cell(page, "input", 0, 0).click()
    set_stride(page, stride)
    size = stride + 3  # (2-1)*S + 3
    values = grid(page, "output")
    assert len(values) == size and all(len(row) == size for row in values)
    assert values == expected(stride=stride, painted=[0])  # painted cells stay painted
    for i in (1, 2, 3):
        cell(page, "input", i // 2, i % 2).click()
    assert grid(page, "output") == expected(stride=stride)
    # The last painted cell, (1,1), lights its window at (S, S).
    assert lit(page, "output") == [(r, c) for r in range(stride, stride + 3) for c in range(stride, stride + 3)]
    text = status(page)
    if stride >= 3:
        assert "Stride 3 ≥ kernel size 3: the windows no longer overlap" in text
        assert max(max(row) for row in grid(page, "output")) == 4  # no cell gets two copies
    else:
        assert f"Stride {stride} < kernel size 3: the windows overlap, up to 4 copies" in text
    assert "output (%d×%d), stride %d" % (size, size, stride) in page.locator(ROOT).inner_text()


def test_kernel_choice(open_page):
    page = open_painter(open_page)
    page.locator(f'{ROOT} select[aria-label="kernel"]').select_option("ones")
    assert grid(page, "kernel") == [[1] * 3] * 3
    button(page, "step").click()
    assert grid(page, "output") == expected("ones", painted=[0])
    assert "It adds 1 at" in status(page) and "zero tap" not in status(page)
    for _ in range(3):
        button(page, "step").click()
    assert grid(page, "output") == expected("ones")
    assert grid(page, "output")[1][1] == 10
    assert button(page, "step").is_disabled()
    set_stride(page, 2)
    assert grid(page, "output") == expected("ones", stride=2)


def test_keyboard_paints(open_page):
    page = open_painter(open_page)
    cell(page, "input", 0, 0).focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert painted_count(page) == 1
    assert cell(page, "input", 1, 0).get_attribute("data-painted") is not None
    page.keyboard.press("ArrowRight")
    page.keyboard.press(" ")
    assert grid(page, "output") == expected(painted=[2, 3])


def _luminance(rgb):
    def channel(v):
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(fg, bg):
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


COLOURS = """(selector) => {
    const el = document.querySelector(selector);
    const style = getComputedStyle(el);
    const parse = (s) => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
    let bgEl = el, bg = style.backgroundColor;
    while (bg === "rgba(0, 0, 0, 0)" && bgEl.parentElement) {
      bgEl = bgEl.parentElement; bg = getComputedStyle(bgEl).backgroundColor;
    }
    return { fg: parse(style.color), bg: parse(bg) };
}"""


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_readable_mid_interaction(open_page, dark, tmp_path):
    page = open_painter(open_page, dark=dark)
    assert page.evaluate("document.documentElement.dataset.theme") == ("dark" if dark else "light")
    set_stride(page, 2)
    for i in (0, 1):
        cell(page, "input", i // 2, i % 2).click()
    cell(page, "output", 0, 2).hover()  # two copies meet here: 1 + 2 = 3

    # Input and output cells look different, and every label reads at WCAG AA contrast (4.5:1).
    selectors = {
        "input": f'{ROOT} [data-grid=input][data-row="1"][data-col="1"]',
        "output": f'{ROOT} [data-grid=output][data-row="4"][data-col="4"]',
        "lit": f'{ROOT} [data-grid=output][data-lit][data-source]',
        "kernel": f'{ROOT} [data-grid=kernel][data-row="0"][data-col="0"]',
        "caption": f"{ROOT} .tc-caption",
        "status": f"{ROOT} [data-role=status]",
        "legend": f"{ROOT} .tc-legend",
        "button": f'{ROOT} button[aria-label="play"]',
    }
    colours = {name: page.evaluate(COLOURS, sel) for name, sel in selectors.items()}
    assert colours["input"]["bg"] != colours["output"]["bg"]
    for name, c in colours.items():
        assert _contrast(c["fg"], c["bg"]) >= 4.5, (name, c)

    shots = pathlib.Path(os.environ.get("SCATTER_ADD_SHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page.locator(ROOT).screenshot(path=str(shots / f"scatter_add_{'dark' if dark else 'light'}.png"))


def test_widget_state_is_compact(open_page):
    page = open_painter(open_page)
    raw = page.locator("script[type='application/vnd.jupyter.widget-state+json']").first.text_content()
    models = json.loads(raw)["state"]
    ours = [m for m in models.values() if m["state"].get("_anywidget_id", "").endswith("ScatterAddPainter")]
    assert len(ours) == 1
    size = len(json.dumps(ours[0], separators=(",", ":")))
    data = len(json.dumps({k: ours[0]["state"][k] for k in ("geometries", "paintings", "kernels")},
                          separators=(",", ":")))
    assert size < 45_000, size  # code and styles ~26 kB; the precomputed data ~8 kB
    assert data < 10_000, data
