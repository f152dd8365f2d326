"""OutputSizeCalculator in the built book (headless Chromium, no kernel).

The calculator evaluates the formula in JavaScript, so the central test here runs the page's own
computation for every state its sliders can reach, in one page evaluation, and compares it with
`calculator_state` (itself checked against PyTorch for every state in tests/test_output_size.py);
a sample of states is also drawn through the real sliders and read back from the page.
"""

from __future__ import annotations

import json
import re

import pytest
import torch
import torch.nn.functional as F

from widgets import ops
from widgets.output_size import OutputSizeCalculator, calculator_state, code_line

pytestmark = pytest.mark.browser

PAGE = "chapters/04_pytorch_api.html"
NAME = "output-size"
LABELS = {
    "input_size": "input size",
    "kernel_size": "kernel size",
    "stride": "stride",
    "padding": "padding",
    "dilation": "dilation",
    "output_padding": "output padding",
}


def torch_size(i, k, s, p, d, op):
    """PyTorch's transposed-conv output size along the first axis, or None where it refuses."""
    try:
        out = F.conv_transpose2d(torch.zeros(1, 1, i, 1), torch.zeros(1, 1, k, 1), stride=(s, 1),
                                 padding=(p, 0), output_padding=(op, 0), dilation=(d, 1))
    except RuntimeError:
        return None
    return out.shape[2]


def set_range(explorer, trait, value):
    explorer.set_control(LABELS[trait], value)


def lit_terms(explorer):
    return explorer.locator("[data-term][data-lit]").evaluate_all("els => els.map(e => e.dataset.term)")


# What the calculator shows for one state of its sliders.
READ = """(root) => {
  const q = (role) => root.querySelector(`[data-role=${role}]`);
  return [[...root.querySelectorAll("input[type=range]")].map((i) => i.value).join("|"),
          q("output-size").textContent, q("forward-range").textContent, q("code").textContent,
          q("status").dataset.level, root.querySelectorAll("[data-grid=output]").length];
}"""


def forward_sizes(state):
    return ", ".join(f"{n} (output_padding={op})" for n, op in state["forward_sizes"]) or "none"


def test_renders_the_default_example(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    assert explorer.locator().count() == 1
    assert explorer.text("output-size") == "7"
    assert explorer.text("forward-range") == "7 (output_padding=0), 8 (output_padding=1)"
    assert explorer.text("code") == code_line(4, 3, 2, 1, 1, 0)
    # The terms that add something are lit; output_padding 0 adds nothing.
    assert lit_terms(explorer) == ["spacing", "crop", "reach", "one"]
    values = explorer.locator("[data-term] [data-role=term-value]").all_text_contents()
    assert values == ["6", "−2", "2", "0", "1"]
    # The strip: 4 input cells, 3 kernel taps, 7 output cells, 1 cropped cell on each side.
    assert explorer.locator("[data-grid=input]").count() == 4
    assert explorer.locator("[data-grid=kernel]").count() == 3
    assert explorer.locator("[data-grid=output]").count() == 7
    assert explorer.locator("[data-grid=cropped]").count() == 2
    status = explorer.status_line
    assert status.get_attribute("aria-live") == "polite"
    assert "A 4×4 input gives a 7×7 output" in status.text_content()
    assert explorer.control("output padding").get_attribute("max") == "1"


SETTINGS = list(OutputSizeCalculator.reachable_states())


def test_every_reachable_state_matches_python(open_explorer):
    """The page's computation for all 30,464 reachable settings, in one page evaluation, equals
    calculator_state (terms, total, output size or none, output_padding limit, forward sizes,
    PyTorch line)."""
    explorer = open_explorer(PAGE, NAME)
    assert len(SETTINGS) == 30464
    computed = explorer.compute(SETTINGS)
    expected = json.loads(json.dumps([calculator_state(**s) for s in SETTINGS]))
    bad = [(s, got, want) for s, got, want in zip(SETTINGS, computed, expected, strict=True)
           if got != want]
    assert bad == [], bad[:3]


def test_sliders_draw_a_sample_of_states_as_pytorch_says(open_explorer):
    """Every 500th reachable state through the real sliders: what the page draws is PyTorch's."""
    explorer = open_explorer(PAGE, NAME)
    assert explorer.locator("input[type=range]").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))") == list(LABELS.values())
    sample = SETTINGS[::500]
    shown = explorer.sweep([{LABELS[t]: v for t, v in s.items()} for s in sample], READ)
    for setting, (controls, size, forward, code, level, cells) in zip(sample, shown, strict=True):
        state = tuple(setting.values())
        expected = torch_size(*state)
        assert controls == "|".join(map(str, state))
        assert code == code_line(*state)
        assert forward == forward_sizes(calculator_state(**setting))
        if expected is None:
            assert not re.search(r"\d", size) and level == "error" and cells == 0, state
        else:
            assert size == str(expected) and level == "info" and cells == expected, state


def test_forward_range_is_checked_by_pytorch_conv2d(open_explorer):
    """Spot-check the listed forward sizes with PyTorch's conv2d itself."""
    explorer = open_explorer(PAGE, NAME)
    for trait, value in (("input_size", 5), ("kernel_size", 4), ("stride", 3), ("padding", 2),
                         ("dilation", 2)):
        set_range(explorer, trait, value)
    listed = [int(n) for n in re.findall(r"(\d+) \(output_padding", explorer.text("forward-range"))]
    assert listed == list(ops.conv_input_sizes(5, 4, 3, 2, 2)) and len(listed) == 3
    for n in listed:
        y = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, 4, 4), stride=3, padding=2, dilation=2)
        assert y.shape[-1] == 5


def test_output_padding_limit_follows_stride_and_dilation(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    op = explorer.control("output padding")
    status = explorer.status_line
    set_range(explorer, "output_padding", 1)
    assert explorer.text("output-size") == "8"
    set_range(explorer, "stride", 1)  # limit max(1, 1) - 1 = 0: output_padding must drop to 0
    assert op.get_attribute("max") == "0" and op.input_value() == "0"
    assert "output_padding went down from 1 to 0" in status.text_content()
    assert "below the stride (1) or below the dilation (1)" in status.text_content()
    assert explorer.text("output-size") == str(torch_size(4, 3, 1, 1, 1, 0))
    set_range(explorer, "dilation", 2)  # S=1, D=2: PyTorch accepts output_padding 1
    assert op.get_attribute("max") == "1"
    assert "output_padding can now go up to 1" in status.text_content()
    set_range(explorer, "output_padding", 1)
    assert explorer.text("output-size") == str(torch_size(4, 3, 1, 1, 2, 1)) == "7"
    assert "not below the stride 1" in status.text_content()
    set_range(explorer, "stride", 4)
    set_range(explorer, "output_padding", 3)
    assert op.input_value() == "3" and explorer.text("output-size") == str(torch_size(4, 3, 4, 1, 2, 3))
    set_range(explorer, "input_size", 6)  # an unrelated control clears the note
    assert "output_padding can now" not in status.text_content()


def test_impossible_combination_shows_an_error_not_a_number(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    for trait, value in (("input_size", 1), ("kernel_size", 1), ("padding", 3)):
        set_range(explorer, trait, value)
    assert torch_size(1, 1, 2, 3, 1, 0) is None
    size = explorer.text("output-size")
    assert size == "no valid output" and not re.search(r"\d", size)
    status = explorer.status_line
    assert status.get_attribute("data-level") == "error"
    assert "No valid output" in status.text_content() and "RuntimeError" in status.text_content()
    assert explorer.locator("[data-grid=output]").count() == 0
    assert explorer.text("forward-range") == "none"
    assert "RuntimeError" in explorer.text("code")
    set_range(explorer, "padding", 0)  # back to a valid layer: a number again
    assert explorer.text("output-size") == "1"


def test_play_adds_the_terms_to_the_end(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    set_range(explorer, "output_padding", 1)
    explorer.button("play").click()
    assert explorer.page.locator(explorer.root + "[data-playing]").count() == 1
    assert lit_terms(explorer) == ["spacing"]
    assert explorer.text("running-total") == "running total 6"
    explorer.page.wait_for_selector(explorer.root + ":not([data-playing])", timeout=10000)
    status = explorer.status_line.text_content()
    assert "Step 5 of 5" in status and "Done: the output is 8×8." in status
    assert explorer.text("running-total") == "running total 8"
    assert lit_terms(explorer) == ["spacing", "crop", "reach", "output_padding", "one"]
    # A control change during play stops it and redraws the summary.
    explorer.button("play").click()
    set_range(explorer, "kernel_size", 5)
    assert explorer.page.locator(explorer.root + "[data-playing]").count() == 0
    assert explorer.text("output-size") == str(torch_size(4, 5, 2, 1, 1, 1))


def test_terms_light_their_cells_on_hover_and_keyboard(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    explorer.locator("[data-term=spacing]").hover()
    assert explorer.locator("[data-grid=input][data-lit]").count() == 4
    assert "Stride spacing" in explorer.status_line.text_content()
    explorer.locator("[data-term=crop]").hover()
    assert explorer.locator("[data-grid=cropped][data-lit]").count() == 2
    explorer.locator("[data-term=reach]").hover()
    assert explorer.locator("[data-grid=kernel][data-lit]").count() == 3
    # Keyboard: focus the first term, arrow right moves to the next one.
    explorer.locator("[data-term=spacing]").focus()
    explorer.page.keyboard.press("ArrowRight")
    focused = explorer.page.evaluate("() => document.activeElement.dataset.term")
    assert focused == "crop"
    assert explorer.locator("[data-grid=cropped][data-lit]").count() == 2


@pytest.mark.parametrize("padding, note", [(0, "always 0"), (1, "un-cropped")])
def test_status_says_what_the_extra_row_holds(open_explorer, padding, note):
    explorer = open_explorer(PAGE, NAME)
    set_range(explorer, "padding", padding)
    set_range(explorer, "output_padding", 1)
    assert note in explorer.status_line.text_content()
    extra = explorer.locator("[data-grid=output].tc-os-extra")
    assert extra.count() == 1
    assert ("always 0" in extra.get_attribute("title")) == (padding == 0)


@pytest.mark.parametrize("dark", [False, True])
def test_input_and_output_cells_look_different_in_both_modes(open_explorer, dark):
    explorer = open_explorer(PAGE, NAME, dark=dark)
    if dark:  # the book follows the reader's preference ("auto")
        assert explorer.page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    style = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.borderTopColor]; }"
    input_cell = explorer.locator("[data-grid=input]").first.evaluate(style)
    output_cell = explorer.locator("[data-grid=output]").first.evaluate(style)
    cropped = explorer.locator("[data-grid=cropped]").first.evaluate(style)
    assert input_cell[0] != output_cell[0] and output_cell[1] != cropped[1]
