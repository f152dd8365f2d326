"""ScatterAddPainter in the built book (no kernel): clicks, Play, Pause, Reset, stride and kernel.

Every expected number comes from PyTorch here, independently of the page's precomputed data.
The painter is screenshot mid-interaction in both themes (kept with `--screenshots DIR`).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

PAGE = "chapters/03_scatter_add.html"
NAME = "scatter-add"
X = np.array([[1.0, 2.0], [3.0, 4.0]])
KERNELS = {"sparse": np.array([[1.0, 0, 1], [0, 1, 0], [1, 0, 1]]), "ones": np.ones((3, 3))}
WORKED = [[1, 2, 1, 2], [3, 5, 5, 4], [1, 5, 5, 2], [3, 4, 3, 4]]


def expected(kernel="sparse", stride=1, painted=range(4)):
    x = np.zeros(4)
    x[list(painted)] = X.ravel()[list(painted)]
    out = F.conv_transpose2d(torch.tensor(x.reshape(1, 1, 2, 2)), torch.tensor(KERNELS[kernel])[None, None],
                             stride=stride)[0, 0]
    return out.numpy().astype(int).tolist()


def painted_count(explorer):
    return explorer.locator("[data-grid=input][data-painted]").count()


def test_default_state_and_one_click(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    assert explorer.status_line.get_attribute("aria-live") == "polite"
    assert explorer.values("input") == [[1, 2], [3, 4]]
    assert explorer.values("kernel") == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    assert explorer.values("output") == [[0] * 4] * 4
    assert "Nothing painted yet" in explorer.status()

    explorer.cell("input", 0, 1).click()
    # Input (0,1) = 2 paints 2 x kernel into rows 0-2, columns 1-3; those nine cells are lit.
    assert explorer.lit("output") == [(r, c) for r in range(3) for c in range(1, 4)]
    assert explorer.lit("input") == [(0, 1)]
    assert explorer.values("output") == expected(painted=[1])
    assert explorer.cell("input", 0, 1).get_attribute("data-painted") is not None
    text = explorer.status()
    assert "Painted input (0,1) = 2 (1 of 4)" in text and "rows 0–2, columns 1–3" in text
    assert "4 zero taps add nothing" in text

    # A second click on a painted cell shows its window again but adds nothing.
    explorer.cell("input", 0, 1).click()
    assert explorer.values("output") == expected(painted=[1])
    assert "already painted" in explorer.status()


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 1, 0, 2)])
def test_four_clicks_give_the_worked_example(open_explorer, order):
    explorer = open_explorer(PAGE, NAME)
    done = []
    for i in order:
        explorer.cell("input", i // 2, i % 2).click()
        done.append(i)
        assert explorer.values("output") == expected(painted=done)
    assert explorer.values("output") == WORKED
    assert painted_count(explorer) == 4
    assert "All input cells are painted" in explorer.status()


def test_output_cell_spells_out_its_sum(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    for i in (0, 3):
        explorer.cell("input", i // 2, i % 2).click()
    explorer.cell("output", 1, 1).hover()
    assert explorer.lit("input") == [(0, 0), (0, 1), (1, 0), (1, 1)]  # all four windows cover (1,1)
    text = explorer.status()
    assert "Output (1,1) = 5 so far. 4 input windows cover it, 2 through a non-zero tap" in text
    assert "x(0,0)·k(1,1) = 1·1" in text and "x(1,1)·k(0,0) = 4·1" in text
    assert "x(0,1)·k(1,0) = 2·0 (not painted yet)" in text
    assert "Painted so far: 1 + 4 = 5." in text


def test_play_paints_in_order_then_stops(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    play = explorer.button("play")
    play.click()
    assert play.get_attribute("aria-pressed") == "true" and "Pause" in play.text_content()
    for count in range(1, 5):
        explorer.page.wait_for_function(
            "([root, n]) => document.querySelectorAll(`${root} [data-grid=input][data-painted]`).length >= n",
            arg=[explorer.root, count], timeout=5000)
        now = painted_count(explorer)
        if now == count:  # a visible step: the running sums of the first `count` cells, their window lit
            assert explorer.values("output") == expected(painted=range(count))
            i = count - 1
            window = [(r, c) for r in range(i // 2, i // 2 + 3) for c in range(i % 2, i % 2 + 3)]
            assert explorer.lit("output") == window
    play.and_(explorer.page.locator("[aria-pressed=false]")).wait_for(timeout=5000)
    assert explorer.values("output") == WORKED
    assert "Play" in play.text_content()
    assert "All input cells are painted" in explorer.status()

    # Play again starts over from a clean output.
    play.click()
    assert painted_count(explorer) == 1 and explorer.values("output") == expected(painted=[0])
    play.click()  # pause
    assert play.get_attribute("aria-pressed") == "false"


def test_pause_holds_and_reset_clears(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    explorer.button("play").click()
    explorer.page.wait_for_function(
        "root => document.querySelectorAll(`${root} [data-grid=input][data-painted]`).length >= 2",
        arg=explorer.root, timeout=5000)
    explorer.button("play").click()  # the same button pauses
    held = painted_count(explorer)
    assert held in (2, 3)
    explorer.page.wait_for_timeout(2000)  # more than two animation steps
    assert painted_count(explorer) == held
    assert f"Paused after {held} of 4" in explorer.status()
    assert explorer.values("output") == expected(painted=range(held))

    explorer.button("step").click()
    assert painted_count(explorer) == held + 1

    explorer.button("reset").click()
    assert painted_count(explorer) == 0
    assert explorer.values("output") == [[0] * 4] * 4
    assert explorer.lit("output") == []
    assert "Nothing painted yet" in explorer.status()


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_stride_grows_the_output(open_explorer, stride):
    explorer = open_explorer(PAGE, NAME)
    explorer.cell("input", 0, 0).click()
    explorer.set_control("stride", stride)
    size = stride + 3  # (2-1)*S + 3
    values = explorer.values("output")
    assert len(values) == size and all(len(row) == size for row in values)
    assert values == expected(stride=stride, painted=[0])  # painted cells stay painted
    for i in (1, 2, 3):
        explorer.cell("input", i // 2, i % 2).click()
    assert explorer.values("output") == expected(stride=stride)
    # The last painted cell, (1,1), lights its window at (S, S).
    assert explorer.lit("output") == [(r, c) for r in range(stride, stride + 3) for c in range(stride, stride + 3)]
    text = explorer.status()
    if stride >= 3:
        assert "Stride 3 ≥ kernel size 3: the windows no longer overlap" in text
        assert max(max(row) for row in explorer.values("output")) == 4  # no cell gets two copies
    else:
        assert f"Stride {stride} < kernel size 3: the windows overlap, up to 4 copies" in text
    assert "output (%d×%d), stride %d" % (size, size, stride) in explorer.locator().inner_text()


def test_kernel_choice(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    explorer.page.locator(f'{explorer.root} select[aria-label="kernel"]').select_option("ones")
    assert explorer.values("kernel") == [[1] * 3] * 3
    explorer.button("step").click()
    assert explorer.values("output") == expected("ones", painted=[0])
    assert "It adds 1 at" in explorer.status() and "zero tap" not in explorer.status()
    for _ in range(3):
        explorer.button("step").click()
    assert explorer.values("output") == expected("ones")
    assert explorer.values("output")[1][1] == 10
    assert explorer.button("step").is_disabled()
    explorer.set_control("stride", 2)
    assert explorer.values("output") == expected("ones", stride=2)


def test_keyboard_paints(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    explorer.cell("input", 0, 0).focus()
    explorer.page.keyboard.press("ArrowDown")
    explorer.page.keyboard.press("Enter")
    assert painted_count(explorer) == 1
    assert explorer.cell("input", 1, 0).get_attribute("data-painted") is not None
    explorer.page.keyboard.press("ArrowRight")
    explorer.page.keyboard.press(" ")
    assert explorer.values("output") == expected(painted=[2, 3])


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
def test_readable_mid_interaction(open_explorer, screenshot, dark):
    explorer = open_explorer(PAGE, NAME, dark=dark)
    assert explorer.page.evaluate("document.documentElement.dataset.theme") == ("dark" if dark else "light")
    explorer.set_control("stride", 2)
    for i in (0, 1):
        explorer.cell("input", i // 2, i % 2).click()
    explorer.cell("output", 0, 2).hover()  # two copies meet here: 1 + 2 = 3

    # Input and output cells look different, and every label reads at WCAG AA contrast (4.5:1).
    selectors = {
        "input": f'{explorer.root} [data-grid=input][data-row="1"][data-col="1"]',
        "output": f'{explorer.root} [data-grid=output][data-row="4"][data-col="4"]',
        "lit": f'{explorer.root} [data-grid=output][data-lit][data-source]',
        "kernel": f'{explorer.root} [data-grid=kernel][data-row="0"][data-col="0"]',
        "caption": f"{explorer.root} .tc-caption",
        "status": f"{explorer.root} [data-role=status]",
        "legend": f"{explorer.root} .tc-legend",
        "button": f'{explorer.root} button[aria-label="play"]',
    }
    colours = {name: explorer.page.evaluate(COLOURS, sel) for name, sel in selectors.items()}
    assert colours["input"]["bg"] != colours["output"]["bg"]
    for name, c in colours.items():
        assert _contrast(c["fg"], c["bg"]) >= 4.5, (name, c)

    screenshot(explorer, f"scatter_add_{'dark' if dark else 'light'}")


def test_widget_state_is_compact(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    raw = explorer.page.locator("script[type='application/vnd.jupyter.widget-state+json']").first.text_content()
    models = json.loads(raw)["state"]
    ours = [m for m in models.values() if m["state"].get("_anywidget_id", "").endswith("ScatterAddPainter")]
    assert len(ours) == 1
    size = len(json.dumps(ours[0], separators=(",", ":")))
    data = len(json.dumps(ours[0]["state"]["states"], separators=(",", ":")))
    assert size < 45_000, size  # code and styles ~29 kB; the precomputed data ~8 kB
    assert data < 10_000, data
