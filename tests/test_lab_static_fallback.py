"""JupyterLab draws every explorer live, not the static picture its output also carries.

An explorer's output holds the widget view, an SVG picture and a caption line
(tests/test_static_fallback.py). Lab ranks its widget renderer ahead of SVG and text, so after a
run every explorer must be drawn by the widget renderer. A notebook made for this test shows one
of each explorer.
"""

from __future__ import annotations

import nbformat
import pytest
from lab_util import notebook_in_lab

pytestmark = pytest.mark.lab

EXPLORERS = ["AdjointExplorer()", "ScatterAddPainter()", "OutputSizeCalculator()",
             "FractionallyStridedView()", "OverlapExplorer()", "StackedLayersExplorer()",
             "PixelShuffleExplorer()", 'QuickCheck("backward")']


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import widgets")]
                                  + [nbformat.v4.new_code_cell(f"widgets.{e}") for e in EXPLORERS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path_factory.mktemp("lab-static") / "every_explorer.ipynb"
    nbformat.write(nb, path)
    return path


def test_lab_draws_every_explorer_with_the_widget_renderer(browser, notebook):
    # notebook_in_lab runs every cell, then waits for the last explorer (the quick check).
    with notebook_in_lab(browser, str(notebook), "quick-check") as page:
        outputs = page.locator(".jp-Notebook .jp-OutputArea-output")
        # Lab's own renderers (SVG, text) mark their node with the MIME type they drew; the
        # widget renderer draws into a plain panel. Each output: no such mark, one explorer.
        drawn = outputs.evaluate_all(
            "els => els.map(e => [e.dataset.mimeType || null, e.querySelectorAll('[data-explorer]').length])")
        assert drawn == [[None, 1]] * len(EXPLORERS)
        assert "Interactive explorer:" not in page.locator(".jp-Notebook").inner_text()
