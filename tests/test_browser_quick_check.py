"""QuickCheck in the built book (headless Chromium, no kernel): for every question placed in a
section, a wrong choice shows why it is wrong, the right one why it is right, and reset clears it."""

from __future__ import annotations

import pytest

from widgets import QuickCheck

pytestmark = pytest.mark.browser

PLACED = {
    "output-size": "chapters/04_pytorch_api.html",
    "uniform-overlap": "chapters/06_checkerboard.html",
    "upsampling-fix": "chapters/07_fixes.html",
    "backward": "chapters/08_backward_pass.html",
}
NAME = "quick-check"


@pytest.mark.parametrize("name", PLACED)
def test_wrong_then_right_then_reset(open_explorer, name):
    explorer = open_explorer(PLACED[name], NAME)
    root = explorer.locator()
    assert root.count() == 1
    data = QuickCheck(name).data
    options = root.locator("[data-role=option]")
    feedback = root.locator("[data-role=feedback]")
    assert options.count() == len(data["options"])
    assert data["prompt"] in root.text_content()
    assert feedback.text_content() == ""  # nothing explained before a choice
    right = [o["correct"] for o in data["options"]].index(True)

    for i, option in enumerate(data["options"]):
        if i == right:
            continue
        options.nth(i).click()
        assert feedback.get_attribute("data-verdict") == "wrong"
        verdict = feedback.locator(".tc-qc-verdict")
        assert "is wrong" in verdict.text_content()
        assert option["why"] in verdict.text_content()
        assert options.nth(i).get_attribute("aria-pressed") == "true"
        # Every other option is explained too, the right one marked right.
        listed = feedback.locator("li[data-verdict=right]")
        assert listed.count() == 1 and data["options"][right]["why"] in listed.text_content()

    options.nth(right).click()
    assert feedback.get_attribute("data-verdict") == "right"
    assert "is right" in feedback.locator(".tc-qc-verdict").text_content()
    assert data["options"][right]["why"] in feedback.locator(".tc-qc-verdict").text_content()
    assert feedback.locator("li[data-verdict=wrong]").count() == len(data["options"]) - 1
    assert "right" in explorer.status_line.text_content()

    root.locator('button[aria-label="reset"]').click()
    assert feedback.text_content() == ""
    assert all(options.nth(i).get_attribute("aria-pressed") == "false" for i in range(options.count()))
    assert "Choose one of" in explorer.status_line.text_content()


def test_keyboard_and_screenshots(open_explorer, screenshot):
    """Options are real buttons (Tab + Enter work); light and dark screenshots for review."""
    for theme in ("light", "dark"):
        explorer = open_explorer(PLACED["upsampling-fix"], NAME, dark=theme == "dark")
        explorer.locator("[data-role=option]").first.focus()
        explorer.page.keyboard.press("Enter")
        assert explorer.locator("[data-role=feedback]").get_attribute("data-verdict") == "wrong"
        screenshot(explorer, f"quick_check_{theme}")


def test_conceptual_solutions_fold_until_opened(open_page):
    """12_exercises: each worked solution is a dropdown, hidden until the reader opens it."""
    page = open_page("chapters/12_exercises.html")
    exercises = page.locator("h2", has_text="Exercise").count()
    assert exercises >= 8
    solutions = page.locator("div.dropdown.admonition", has_text="Solution to exercise")
    assert solutions.count() == exercises
    first = solutions.first
    assert not first.get_by_text("6,012 parameters").is_visible()
    first.locator(".admonition-title").click()
    first.get_by_text("6,012 parameters").wait_for(state="visible")
    hints = page.locator("div.dropdown.admonition", has_text="Hint for exercise")
    assert hints.count() == exercises


def test_summary_page_tables(open_page):
    page = open_page("chapters/11_summary.html")
    tables = page.locator("table")
    assert tables.count() >= 3
    knobs = tables.filter(has_text="parameter cost")
    assert knobs.count() == 1
    for knob in ("stride S", "padding P", "kernel K", "dilation D", "output_padding"):
        assert knobs.get_by_text(knob, exact=True).count() == 1
