"""FractionallyStridedView in the built book (headless Chromium, no kernel): clicks, Play to the
end, every setting of the controls against PyTorch, refusals, hover and keyboard, dark mode."""

from __future__ import annotations

import re

import browser_util
import pytest
import torch
import torch.nn.functional as F

from widgets.zero_insertion import INPUT, example_kernel, settings, zero_insertion_state

pytestmark = pytest.mark.browser

PAGE = "chapters/05_zero_insertion.html"
VIEW = "[data-explorer=zero-insertion]"


def grid(page, name, lit=False):
    return page.locator(f"{VIEW} [data-grid={name}]{'[data-lit]' if lit else ''}")


def cell(page, name, row, col):
    return page.locator(f'{VIEW} [data-grid={name}][data-row="{row}"][data-col="{col}"]')


def status(page):
    return page.locator(f"{VIEW} [data-role=status]")


def button(page, label):
    return page.locator(f'{VIEW} button[aria-label="{label}"]')


def go_to_first_step(page):
    """The page opens at the first step, where "first step" is disabled; click it otherwise."""
    first = button(page, "first step")
    if first.is_enabled():
        first.click()
    assert first.is_disabled()


def values(page, name):
    """The grid's visible text as rows (numbers, or None for a cell the window has not reached)."""
    cells = grid(page, name).evaluate_all(
        "els => els.map(e => [Number(e.dataset.row), Number(e.dataset.col), e.textContent])")
    if not cells:
        return None
    rows, cols = max(r for r, _, _ in cells) + 1, max(c for _, c, _ in cells) + 1
    out = [[None] * cols for _ in range(rows)]
    for r, c, text in cells:
        out[r][c] = int(text) if text else None
    return out


def positions(page, name):
    return sorted(tuple(map(int, rc)) for rc in grid(page, name, lit=True).evaluate_all(
        "els => els.map(e => [e.dataset.row, e.dataset.col])"))


def set_range(page, label, value):
    browser_util.set_range(page, VIEW, label, value)


def choose_stage(page, stage):
    page.locator(f'{VIEW} select[aria-label="stage"]').select_option(stage)


def torch_output(stride, kernel_size, padding):
    return F.conv_transpose2d(torch.tensor(INPUT)[None, None],
                              torch.tensor(example_kernel(kernel_size))[None, None],
                              stride=stride, padding=padding)[0, 0].int().tolist()


def check_window_status(page, r, c, expected):
    """The status line's sum of products equals the output cell, which equals PyTorch."""
    text = status(page).inner_text()
    assert f"Output ({r},{c}) = {expected[r][c]}" in text
    products = re.search(r"Non-zero products: (.*?) = (-?\d+)\.", text)
    if products:
        terms = [tuple(map(int, t.split("·"))) for t in products.group(1).split(" + ")]
        assert sum(a * b for a, b in terms) == int(products.group(2)) == expected[r][c]
    else:
        assert expected[r][c] == 0


def test_opens_at_the_input_and_reaches_any_window(open_page):
    """The book shows the first stage; the stage menu and Next reach output cell (1, 2)."""
    page = open_page(PAGE)
    assert page.locator(f'{VIEW} select[aria-label="stage"]').input_value() == "input"
    assert "Stage 1 of 4" in status(page).inner_text()
    choose_stage(page, "output")
    for _ in range(1 * 5 + 2):
        button(page, "next step").click()
    expected = torch_output(2, 3, 0)
    shown = values(page, "output")
    flat = [v for row in shown for v in row]
    assert flat[:8] == [v for row in expected for v in row][:8] and set(flat[8:]) == {None}
    assert positions(page, "output") == [(1, 2)]
    assert positions(page, "padded") == [(r, c) for r in range(1, 4) for c in range(2, 5)]
    assert grid(page, "kernel", lit=True).count() == 9
    check_window_status(page, 1, 2, expected)
    assert status(page).get_attribute("aria-live") == "polite"


def test_step_buttons_walk_the_four_stages(open_page):
    page = open_page(PAGE)
    go_to_first_step(page)
    state = zero_insertion_state(2, 3, 0)
    assert values(page, "input") == state["input"]
    assert values(page, "inserted") is None and values(page, "output") is None
    assert "Stage 1 of 4" in status(page).inner_text()
    assert button(page, "previous step").is_disabled()

    button(page, "next step").click()
    assert values(page, "inserted") == [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    assert positions(page, "inserted") == [(0, 0), (0, 2), (2, 0), (2, 2)]  # the input values
    assert "becomes (I−1)·S+1 = 3×3" in status(page).inner_text()

    button(page, "next step").click()
    assert values(page, "padded") == state["padded"]
    assert positions(page, "padded") == [(2, 2), (2, 4), (4, 2), (4, 4)]
    assert "K−1−P = 3−1−0 = 2" in status(page).inner_text()
    # Border zeros are marked apart from inserted zeros.
    assert "tc-border-zero" in cell(page, "padded", 0, 0).get_attribute("class")
    assert "tc-inserted-zero" in cell(page, "padded", 3, 3).get_attribute("class")
    assert "tc-from-input" in cell(page, "padded", 4, 4).get_attribute("class")

    button(page, "next step").click()
    assert page.locator(f'{VIEW} select[aria-label="stage"]').input_value() == "output"
    assert values(page, "kernel") == state["flipped"]
    assert positions(page, "output") == [(0, 0)]
    assert positions(page, "padded") == [(r, c) for r in range(3) for c in range(3)]
    check_window_status(page, 0, 0, state["output"])
    button(page, "next step").click()
    assert positions(page, "output") == [(0, 1)]
    button(page, "previous step").click()
    button(page, "previous step").click()
    assert values(page, "output") is None and values(page, "padded") == state["padded"]


def test_play_runs_to_the_end(open_page):
    page = open_page(PAGE)
    go_to_first_step(page)
    button(page, "play").click()
    assert button(page, "play").get_attribute("aria-pressed") == "true"
    # 3 stages + 25 output cells at 300 ms a step: about 8.5 s.
    page.wait_for_function(
        f"""() => document.querySelector('{VIEW} button[aria-label="play"]')
                    .getAttribute('aria-pressed') === 'false'""", timeout=30_000)
    expected = torch_output(2, 3, 0)
    assert values(page, "output") == expected
    assert positions(page, "output") == [(4, 4)]
    assert positions(page, "padded") == [(r, c) for r in range(4, 7) for c in range(4, 7)]
    check_window_status(page, 4, 4, expected)
    assert button(page, "next step").is_disabled()


def test_every_setting_matches_pytorch(open_page):
    """All 27 settings of the three sliders: grid sizes from the formula, values from PyTorch,
    and the refused ones explained instead of drawn."""
    page = open_page(PAGE)
    for stride, k, padding in settings():
        set_range(page, "stride", stride)
        set_range(page, "kernel size", k)
        set_range(page, "padding", padding)
        state = zero_insertion_state(stride, k, padding)
        label = f"S={stride} K={k} P={padding}"
        if state["error"]:
            assert values(page, "output") is None and values(page, "padded") is None, label
            assert status(page).get_attribute("data-level") == "error", label
            assert "Not allowed" in status(page).inner_text(), label
            assert button(page, "play").is_disabled(), label
            continue
        choose_stage(page, "padded")
        pad = k - 1 - padding
        size = (INPUT.shape[0] - 1) * stride + 1 + 2 * pad
        assert values(page, "padded") == state["padded"] and len(state["padded"]) == size, label
        button(page, "last step").click()
        out = values(page, "output")
        formula = (INPUT.shape[0] - 1) * stride - 2 * padding + k
        assert len(out) == len(out[0]) == formula, label
        assert out == torch_output(stride, k, padding), label
        assert f"= {formula}." in status(page).inner_text(), label
        check_window_status(page, formula - 1, formula - 1, out)


def test_negative_border_is_a_crop(open_page):
    page = open_page(PAGE)
    set_range(page, "stride", 3)
    set_range(page, "kernel size", 2)
    set_range(page, "padding", 2)
    choose_stage(page, "padded")
    assert values(page, "padded") == [[0, 0], [0, 0]]
    assert "is negative, so instead of padding, 1 row and column is cropped" in status(page).inner_text()


def test_refused_setting_and_recovery(open_page):
    page = open_page(PAGE)
    set_range(page, "stride", 1)
    set_range(page, "kernel size", 2)
    set_range(page, "padding", 2)
    assert "+ 2 = -1, but it must be at least 1" in status(page).inner_text()
    assert grid(page, "output").count() == 0
    set_range(page, "padding", 0)   # 1 - 0 + 2 = 3
    assert status(page).get_attribute("data-level") is None
    button(page, "last step").click()
    assert values(page, "output") == torch_output(1, 2, 0)


def test_hover_and_keyboard(open_page):
    page = open_page(PAGE)
    choose_stage(page, "output")
    cell(page, "input", 1, 1).hover()
    assert positions(page, "inserted") == [(2, 2)]
    assert positions(page, "padded") == [(4, 4)]
    assert "moves to (2,2) after zero insertion and to (4,4) after padding" in status(page).inner_text()
    cell(page, "padded", 0, 0).hover()
    assert "border zero" in status(page).inner_text()
    cell(page, "output", 3, 1).hover()
    assert positions(page, "padded") == [(r, c) for r in range(3, 6) for c in range(1, 4)]
    check_window_status(page, 3, 1, torch_output(2, 3, 0))
    # Keyboard: focus an output cell, arrow right moves the window.
    cell(page, "output", 0, 0).focus()
    page.keyboard.press("ArrowRight")
    assert positions(page, "output") == [(0, 1)]
    assert positions(page, "padded") == [(r, c) for r in range(3) for c in range(1, 4)]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_input_and_output_look_different_in_both_themes(open_page, dark):
    page = open_page(PAGE, dark=dark)
    if dark:  # the book's theme switch follows the system preference
        page.wait_for_function("document.documentElement.dataset.theme === 'dark'")

    def style(locator):
        return locator.evaluate("e => { const s = getComputedStyle(e); return [s.backgroundColor, s.color]; }")

    # The page opens at the input; at the output stage every grid is on screen, the
    # window on output cell (1, 2) after seven steps.
    choose_stage(page, "output")
    for _ in range(1 * 5 + 2):
        button(page, "next step").click()
    input_bg, input_fg = style(cell(page, "input", 0, 0))
    output_bg, output_fg = style(cell(page, "output", 0, 0))
    border_bg, _ = style(cell(page, "padded", 0, 0))
    assert len({input_bg, output_bg, border_bg}) == 3
    assert input_fg != input_bg and output_fg != output_bg
    # A lit cell is marked by an outline as well as colour.
    outline = cell(page, "output", 1, 2).evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
