"""The committed notebooks: executed top to bottom, with today's explorer code in their widget state.

nbval (layer 2) proves the stored text outputs are what the code produces today;
it does not look at widget state, which GitHub and JupyterLab show from the
file. These checks close that gap.
"""

from __future__ import annotations

import importlib
import pathlib

import nbformat
import pytest

CHAPTERS = sorted((pathlib.Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb"))
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def read(path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_executed_in_order(path):
    counts = [cell.execution_count for cell in read(path).cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run `make notebooks` and commit"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_widget_state_carries_current_explorer_code(path):
    models = read(path).metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for model in models.values():
        state = model["state"]
        if "_anywidget_id" not in state:
            continue
        module_name, class_name = state["_anywidget_id"].rsplit(".", 1)
        explorer = getattr(importlib.import_module(module_name), class_name)
        stale = f"{path.name}: stored {class_name} code is out of date; run `make notebooks` and commit"
        assert state["_esm"] == explorer._esm, stale
        assert state.get("_css", "") == getattr(explorer, "_css", ""), stale


def test_every_chapter_is_in_the_table_of_contents():
    toc = (pathlib.Path(__file__).resolve().parents[1] / "_toc.yml").read_text()
    listed = {line.split("file:")[1].strip() for line in toc.splitlines() if line.strip().startswith("- file:")}
    missing = [p.stem for p in CHAPTERS if f"chapters/{p.stem}" not in listed]
    assert missing == [], f"notebooks not in _toc.yml: {missing}"
