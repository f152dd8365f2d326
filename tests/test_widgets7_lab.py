"""Every explorer in a real ipywidgets-7 front end, driven in headless Chromium.

Colab's runtime has ipywidgets 7.7.1 and anywidget 0.9.21, so the explorers must work with the
ipywidgets-7 widget manager, not only with the ipywidgets-8 one of the lab layer. This layer runs
JupyterLab 3.6 with jupyterlab_widgets 1.1.1 (the Lab extension released with ipywidgets 7.7.1)
and Colab's kernel-side versions, in its own venv (tests/widgets7_util.py), with the `widgets`
package installed from this checkout. One server holds the seven notebooks that show the eight
explorers; each is opened, run top to bottom, and its explorers are hovered, clicked or moved,
with the kernel reading the result back.

Colab itself cannot be reached from here: its front end is Google's, loading anywidget's
JavaScript from a CDN. What runs here is the same anywidget front end on the same ipywidgets-7
base classes (@jupyter-widgets/base 4), which is the part the explorers' JavaScript talks to.
"""

from __future__ import annotations

import ast
import json
import pathlib
import time
import urllib.request

import browser_util
import pytest
from lab_util import (drop_shared_lab_page, jupyterlab, open_and_run_all, put_away, run_code_below,
                      shared_lab_page, shut_down_sessions)
from widgets7_util import widgets7_python

pytestmark = pytest.mark.widgets7

ROOT = pathlib.Path(__file__).resolve().parents[1]
# notebook -> the explorer whose rendering says the notebook has run (the tests drive the rest)
NOTEBOOKS = {
    "02_matrix_view.ipynb": "adjoint",
    "03_scatter_add.ipynb": "scatter-add",
    "04_pytorch_api.ipynb": "output-size",
    "05_zero_insertion.ipynb": "zero-insertion",
    "06_checkerboard.ipynb": "overlap",
    "07_fixes.ipynb": "pixel-shuffle",
    "08_backward_pass.ipynb": "quick-check",
}
TIMINGS = []  # (what, seconds), printed at the end of the module


@pytest.fixture(scope="module")
def lab3(pytestconfig, browser):
    """(base_url, token) of one JupyterLab 3.6 server with copies of the seven notebooks."""
    start = time.monotonic()
    python = widgets7_python()
    TIMINGS.append(("venv", time.monotonic() - start))
    with jupyterlab([f"chapters/{name}" for name in NOTEBOOKS], python=python) as server:
        yield server
        drop_shared_lab_page(browser, server[0])
    with pytestconfig.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print("\nwidgets7 timings: " + ", ".join(f"{what} {seconds:.0f} s" for what, seconds in TIMINGS))


def stored_widget_modules(notebook: str) -> set[tuple[str, str]]:
    """(module, version) of every model in the notebook's stored widget state (written by ipywidgets 8)."""
    metadata = json.loads((ROOT / "chapters" / notebook).read_text(encoding="utf-8"))["metadata"]
    state = metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return {(model["model_module"], model["model_module_version"]) for model in state.values()}


def unexpected_errors(errors: list[str], notebook: str) -> list[str]:
    """Page errors other than the ipywidgets-7 manager refusing the stored ipywidgets-8 state.

    On opening a notebook, Lab restores the widget state stored in it. That state was saved by
    ipywidgets 8 (@jupyter-widgets/base 2.0.0, anywidget ~0.11), which an ipywidgets-7 manager
    cannot load; the explorers the cells then create are live ones, and must raise nothing.
    """
    refused = set()
    for module, version in stored_widget_modules(notebook):
        range_ = version if version[:1] in "~^" else f"^{version}"
        refused.add(f"Module {module}, semver range {range_} is not registered as a widget module")
    return [error for error in errors if error not in refused]


@pytest.fixture
def notebook_page(browser, lab3, request):
    """open(notebook) -> the Lab 3 page with the notebook run; afterwards, no unexpected page error.

    One page loads Lab for the whole module and opens each notebook in turn; a test that fails
    takes the page with it, so the next test starts from a freshly loaded Lab.
    """
    base, token = lab3
    page, errors = shared_lab_page(browser, base)
    opened = []  # (notebook, how many page errors came before it)
    failed_before = request.session.testsfailed

    def open_notebook(notebook: str):
        opened.append((notebook, len(errors)))
        start = time.monotonic()
        open_and_run_all(page, base, token, notebook, NOTEBOOKS[notebook], timeout_ms=300_000, workspace="widgets7")
        TIMINGS.append((notebook, time.monotonic() - start))
        return page

    yield open_notebook
    put_away(browser, page, base, failed=request.session.testsfailed > failed_before)
    shut_down_sessions(base, token)  # so each notebook runs alone on the machine's cores
    ends = [before for _, before in opened[1:]] + [len(errors)]
    for (notebook, before), end in zip(opened, ends):
        assert unexpected_errors(errors[before:end], notebook) == [], errors[before:end]


def status(page, explorer: str) -> str:
    return page.locator(f"[data-explorer={explorer}] [data-role=status]").text_content()


def lit(page, explorer: str, grid: str):
    return page.locator(f"[data-explorer={explorer}] [data-grid={grid}][data-lit]")


def python_sees(page, code: str):
    """The value the kernel prints for `code` (a Python literal)."""
    return ast.literal_eval(run_code_below(page, f"print(repr({code}))").strip())


def test_front_end_versions_and_adjoint(lab3, notebook_page):
    base, token = lab3
    page = notebook_page("02_matrix_view.ipynb")
    # The page is JupyterLab 3.6 with the ipywidgets-7 widget manager; the kernel has Colab's versions.
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    assert config["appVersion"].startswith("3.6.")
    manager_url = f"{base}/lab/extensions/@jupyter-widgets/jupyterlab-manager/package.json?token={token}"
    with urllib.request.urlopen(manager_url, timeout=10) as response:
        assert json.load(response)["version"].startswith("3.")  # ipywidgets 8's manager is 5.x
    assert python_sees(page, "__import__('ipywidgets').__version__") == "7.7.1"
    assert python_sees(page, "__import__('anywidget').__version__") == "0.9.21"

    before = status(page, "adjoint")
    page.locator('[data-explorer=adjoint] [data-grid=input][data-row="0"][data-col="0"]').hover()
    assert lit(page, "adjoint", "output").count() == 9
    assert status(page, "adjoint") != before
    page.mouse.move(1, 1)
    assert python_sees(page, "explorer.hovered") == {"grid": "input", "row": 0, "col": 0}
    browser_util.set_range(page, "[data-explorer=adjoint]", "stride", 2)
    # 2x2 input, K=3, S=2: a 5x5 output
    page.locator("[data-explorer=adjoint] [data-grid=output]").nth(24).wait_for(state="attached")
    assert python_sees(page, "explorer.stride") == 2


def test_scatter_add(notebook_page):
    page = notebook_page("03_scatter_add.ipynb")
    before = status(page, "scatter-add")
    page.locator('[data-explorer=scatter-add] [data-grid=input][data-row="0"][data-col="0"]').click()
    assert lit(page, "scatter-add", "output").count() == 9
    assert status(page, "scatter-add") != before
    assert python_sees(page, "painter.painted") == [0]


def test_output_size(notebook_page):
    page = notebook_page("04_pytorch_api.ipynb")
    before = status(page, "output-size")
    browser_util.set_range(page, "[data-explorer=output-size]", "output padding", 1)
    assert page.locator("[data-explorer=output-size] [data-role=output-size]").text_content() == "8"
    assert status(page, "output-size") != before
    assert python_sees(page, "(calculator.output_padding, calculator.state['output_size'])") == (1, 8)


def test_zero_insertion(notebook_page):
    page = notebook_page("05_zero_insertion.ipynb")
    view = "[data-explorer=zero-insertion]"
    before = status(page, "zero-insertion")
    page.locator(f'{view} select[aria-label="stage"]').select_option("output")
    page.locator(f'{view} button[aria-label="next step"]').click()
    page.locator(f"{view} [data-grid=output][data-lit]").first.wait_for()
    assert status(page, "zero-insertion") != before
    assert python_sees(page, "(explorer.stage, explorer.step)") == ("output", 1)


def test_overlap_and_stacked(notebook_page):
    page = notebook_page("06_checkerboard.ipynb")
    before = status(page, "overlap")
    page.locator('[data-explorer=overlap] [data-grid=overlap][data-row="3"][data-col="4"]').hover()
    assert lit(page, "overlap", "input").count() > 0
    assert status(page, "overlap") != before
    browser_util.set_range(page, "[data-explorer=overlap]", "kernel size", 4)
    page.wait_for_function(
        "() => document.querySelector('[data-explorer=overlap] [data-role=verdict]').dataset.verdict === 'uniform'")
    assert python_sees(page, "overlap.kernel_size") == 4

    stacked = page.locator("[data-explorer=stacked]")
    stacked.scroll_into_view_if_needed()
    before = status(page, "stacked")
    # Layer 2, position 8 sums layer 1's positions 3 and 4 (three layers of K=3, S=2).
    page.locator('[data-explorer=stacked] [data-grid="layer-2"][data-col="8"]').hover()
    assert sorted(int(c.get_attribute("data-col")) for c in lit(page, "stacked", '"layer-1"').all()) == [3, 4]
    assert status(page, "stacked") != before
    browser_util.set_range(page, "[data-explorer=stacked]", "layer 1 kernel size", 4)
    assert python_sees(page, "stacked.kernel_size_1") == 4


def test_pixel_shuffle(notebook_page):
    page = notebook_page("07_fixes.ipynb")
    root = "[data-explorer=pixel-shuffle]"
    before = status(page, "pixel-shuffle")
    # Focus, the same handler as hover, so that Lab's layout settling cannot move the pointer.
    page.locator(f'{root} [data-grid=output][data-channel="0"][data-row="3"][data-col="2"]').focus()
    assert lit(page, "pixel-shuffle", "input").count() >= 1
    assert status(page, "pixel-shuffle") != before
    page.mouse.move(1, 1)
    assert python_sees(page, "shuffle_explorer.hovered") == {"grid": "output", "channel": 0, "row": 3, "col": 2}


def test_quick_check(notebook_page):
    page = notebook_page("08_backward_pass.ipynb")
    root = page.locator("[data-explorer=quick-check]").last
    root.locator("[data-role=option]").nth(2).click()
    assert root.locator("[data-role=option][data-lit]").count() == 1
    assert root.locator("[data-role=feedback]").get_attribute("data-verdict") == "wrong"
    assert python_sees(page, "check.chosen") == 2
