"""The PyTorch-API notebook run live in JupyterLab: the calculator's sliders and Python agree."""

from __future__ import annotations

import browser_util
import pytest
from lab_util import notebook_in_lab, run_code_below

pytestmark = pytest.mark.lab

NOTEBOOK = "chapters/04_pytorch_api.ipynb"
ROOT = "[data-explorer=output-size]"


@pytest.fixture(scope="module")
def lab_page(browser):
    with notebook_in_lab(browser, NOTEBOOK, "output-size") as page:
        yield page


def slider(page, label):
    return page.locator(f'{ROOT} input[aria-label="{label}"]')


def move(page, label, value):
    browser_util.set_range(page, ROOT, label, value)


def test_sliders_reach_python_and_the_limit_applies_on_both_sides(lab_page):
    page = lab_page
    move(page, "output padding", 1)
    assert page.locator(f"{ROOT} [data-role=output-size]").text_content() == "8"
    seen = run_code_below(page, "print(calculator.output_padding, calculator.state['output_size'])")
    assert seen.split() == ["1", "8"]
    # Stride 1 (dilation 1) leaves no room for output_padding: the page lowers it, and the
    # kernel receives the lowered value with the stride.
    move(page, "stride", 1)
    assert slider(page, "output padding").input_value() == "0"
    seen = run_code_below(page, "print(calculator.stride, calculator.output_padding)")
    assert seen.split() == ["1", "0"]


def test_python_side_change_redraws_the_page(lab_page):
    page = lab_page
    run_code_below(page, "calculator.stride = 1; calculator.dilation = 3; calculator.output_padding = 2; print('set')")
    # S=1, D=3: PyTorch accepts output_padding up to 2; I=4, K=3, P=1: 3 - 2 + 6 + 2 + 1 = 10.
    page.wait_for_function(
        f"() => document.querySelector('{ROOT} [data-role=output-size]').textContent === '10'")
    assert slider(page, "output padding").get_attribute("max") == "2"
    assert slider(page, "output padding").input_value() == "2"
    assert "output_padding can now go up to 2" in page.locator(f"{ROOT} [data-role=status]").text_content()
    # And back: dilation 1 forces output_padding to 0 in Python, which the page shows.
    run_code_below(page, "calculator.dilation = 1; print(calculator.output_padding)")
    page.wait_for_function(
        f"() => document.querySelector('{ROOT} input[aria-label=\"output padding\"]').value === '0'")
    assert page.locator(f"{ROOT} [data-role=output-size]").text_content() == "4"  # 3 - 2 + 2 + 0 + 1
