"""The summary and conceptual-exercises notebooks: structure that the book and the student version rely on."""

from __future__ import annotations

import json
import pathlib

CHAPTERS = pathlib.Path(__file__).resolve().parents[1] / "chapters"


def cells(name):
    return json.loads((CHAPTERS / name).read_text())["cells"]


def source(cell):
    return "".join(cell["source"])


def test_each_exercise_has_a_folded_hint_a_hidden_solution_and_a_check():
    nb = cells("12_exercises.ipynb")
    count = sum(source(c).startswith("## Exercise ") for c in nb)
    assert count >= 8
    for n in range(1, count + 1):
        heading = next(i for i, c in enumerate(nb) if source(c).startswith(f"## Exercise {n}:"))
        hint, solution, check = nb[heading + 1], nb[heading + 2], nb[heading + 3]
        assert source(hint).startswith(f"```{{admonition}} Hint for exercise {n}\n:class: dropdown")
        assert source(solution).startswith(f"```{{admonition}} Solution to exercise {n}\n:class: dropdown")
        # Collapsed in JupyterLab; removed by the student-version command (tag "solution").
        assert solution["metadata"]["jupyter"] == {"source_hidden": True}
        assert "solution" in solution["metadata"]["tags"]
        assert "solution" not in hint["metadata"].get("tags", [])
        # The visible cell that checks the solution's numbers, removed with it.
        assert check["cell_type"] == "code" and "assert" in source(check)
        assert "solution" in check["metadata"]["tags"] and check["outputs"]


def test_summary_table_has_the_five_knobs():
    nb = cells("11_summary.ipynb")
    table = next(c for c in nb if c["cell_type"] == "code" and "parameter cost" in source(c))
    shown = "".join(table["outputs"][0]["data"]["text/markdown"])
    for knob in ("stride S", "padding P", "kernel K", "dilation D", "output_padding"):
        assert f"| {knob} |" in shown


def test_colab_cell_first():
    reference = cells("02_matrix_view.ipynb")[1]
    for name in ("11_summary.ipynb", "12_exercises.ipynb"):
        first_code = next(c for c in cells(name) if c["cell_type"] == "code")
        assert source(first_code) == source(reference)
        assert first_code["metadata"]["tags"] == ["remove-cell"]
