"""Under ipywidgets 7 (Colab's version) an explorer's output carries the same picture and caption.

ipywidgets 7 displays a widget through `_ipython_display_`, which IPython prefers to
`_repr_mimebundle_`, and its own version sends only a shortened text with the widget view.
The explorers replace it there. In the ipywidgets-7 venv of this layer (tests/widgets7_util.py),
an IPython shell runs a cell ending in each explorer, as a notebook does; the test compares what
the shell published with what the ipywidgets-8 venv draws for the same explorer.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

import pytest
from widgets7_util import ROOT, widgets7_python

import widgets

pytestmark = pytest.mark.widgets7

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SVG = "image/svg+xml"
EXPLORERS = ["AdjointExplorer()", "ScatterAddPainter()", "OutputSizeCalculator()",
             "FractionallyStridedView()", "OverlapExplorer()", "StackedLayersExplorer()",
             "PixelShuffleExplorer()", 'QuickCheck("upsampling-fix")']

# Runs in the ipywidgets-7 venv: one cell per explorer; prints what the shell published.
SHELL = """
import json, sys
import ipywidgets
from IPython.core.interactiveshell import InteractiveShell
assert ipywidgets.__version__.startswith("7."), ipywidgets.__version__
shell = InteractiveShell.instance()
published = []
shell.display_pub.publish = lambda data, metadata=None, **kwargs: published.append(data)
shell.run_cell("import widgets")
results = {}
for code in json.loads(sys.argv[1]):
    published.clear()
    shell.run_cell(f"explorer = widgets.{code}\\nexplorer")
    results[code] = {"published": published[:], "model_id": shell.user_ns["explorer"].model_id}
print()  # the shell's last "Out[n]: " prompt ends without a newline
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def published():
    run = subprocess.run([str(widgets7_python()), "-c", SHELL, json.dumps(EXPLORERS)],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.splitlines()[-1])


@pytest.mark.parametrize("code", EXPLORERS)
def test_ipywidgets7_publishes_widget_view_picture_and_caption(published, code):
    (data,) = published[code]["published"]  # one output, as for a cell ending in the explorer
    assert data[WIDGET_VIEW]["model_id"] == published[code]["model_id"]
    explorer = eval(f"widgets.{code}")  # the same explorer under ipywidgets 8, in this venv
    assert data["text/plain"] == repr(explorer)  # in full: ipywidgets 7 would cut it at 110 characters
    assert data["text/plain"].splitlines()[0] == explorer.caption()
    assert ET.fromstring(data[SVG]).tag == "{http://www.w3.org/2000/svg}svg"
    assert data[SVG] == explorer.static_svg()
