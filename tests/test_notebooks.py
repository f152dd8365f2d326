"""The committed notebooks: executed top to bottom, stored without widget state.

nbval (layer 2) proves the stored text and SVG outputs are what the code produces today. The
notebooks keep no widget state (`make notebooks` strips it): renderers that run no kernel
(GitHub, nbviewer, a printout) then show each explorer's static picture, which these checks
require to be there.
"""

from __future__ import annotations

import pathlib

import nbformat
import pytest

CHAPTERS = sorted((pathlib.Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SVG = "image/svg+xml"


def read(path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_executed_in_order(path):
    counts = [cell.execution_count for cell in read(path).cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run `make notebooks` and commit"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_widget_state_is_stored(path):
    assert "widgets" not in read(path).metadata, f"{path.name}: run `make notebooks` and commit"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_explorer_output_carries_its_picture_and_caption(path):
    for index, cell in enumerate(read(path).cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW not in data:
                continue
            where = f"{path.name} cell {index}"
            assert data.get(SVG, "").lstrip().startswith("<svg"), f"{where}: no static picture"
            assert data["text/plain"].startswith("Interactive explorer:"), f"{where}: no caption"


def test_every_chapter_is_in_the_table_of_contents():
    toc = (pathlib.Path(__file__).resolve().parents[1] / "_toc.yml").read_text()
    listed = {line.split("file:")[1].strip() for line in toc.splitlines() if line.strip().startswith("- file:")}
    missing = [p.stem for p in CHAPTERS if f"chapters/{p.stem}" not in listed]
    assert missing == [], f"notebooks not in _toc.yml: {missing}"
