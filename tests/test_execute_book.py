"""tools/execute_book.py: the parallel pre-execution that `make book` runs before Sphinx.

Two things must hold for it to save time without showing stale outputs: myst-nb must find
the records it writes (the cache key is myst-nb's), and a change to a file must discard
exactly the records of the notebooks whose outputs came from that file.
"""

from __future__ import annotations

import pathlib
import sys

import nbformat
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tools"))
import execute_book  # noqa: E402


def explorer_notebook(*embedded_scripts: str) -> nbformat.NotebookNode:
    """An executed notebook whose widget state embeds the given scripts, as an anywidget's does."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("show()")]
    state = {f"model{i}": {"model_name": "AnyModel", "state": {"_esm": "// shared toolkit\n" + script}}
             for i, script in enumerate(embedded_scripts)}
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": state}}
    return notebook


@pytest.fixture
def project(tmp_path):
    """A package with an operators module and two explorer scripts, and a pinned requirements file."""
    package = tmp_path / "pkg"
    (package / "js").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "ops.py").write_text("def add(a, b):\n    return a + b\n")
    (package / "js" / "grid.js").write_text("export function renderGrid() { return 1; }\n")
    (package / "js" / "bars.js").write_text("export function renderBars() { return 2; }\n")
    (tmp_path / "requirements.txt").write_text("numpy==2.0\n")
    return tmp_path


def dependencies_of(project, notebook, *modules):
    installed = project / "venv" / "lib" / "site-packages" / "numpy" / "__init__.py"
    imported = [str(project / "pkg" / "__init__.py"), str(installed)]
    imported += [str(project / "pkg" / module) for module in modules]
    return execute_book.notebook_dependencies(notebook, imported, prefixes=[sys.base_prefix], root=project)


def test_an_explorer_script_change_reruns_only_the_notebooks_that_display_it(project):
    grid_script = (project / "pkg" / "js" / "grid.js").read_text()
    bars_script = (project / "pkg" / "js" / "bars.js").read_text()
    shows_grid = dependencies_of(project, explorer_notebook(grid_script), "ops.py")
    shows_bars = dependencies_of(project, explorer_notebook(bars_script), "ops.py")
    shows_nothing = dependencies_of(project, nbformat.v4.new_notebook(), "ops.py")

    (project / "pkg" / "js" / "grid.js").write_text("export function renderGrid() { return 3; }\n")

    assert execute_book.changed_files(shows_grid) == [str(project / "pkg" / "js" / "grid.js")]
    assert execute_book.changed_files(shows_bars) == []
    assert execute_book.changed_files(shows_nothing) == []


def test_an_operators_change_reruns_every_notebook_that_imports_it(project):
    grid_script = (project / "pkg" / "js" / "grid.js").read_text()
    imports_ops = [dependencies_of(project, explorer_notebook(grid_script), "ops.py"),
                   dependencies_of(project, nbformat.v4.new_notebook(), "ops.py")]
    without_ops = dependencies_of(project, nbformat.v4.new_notebook())

    (project / "pkg" / "ops.py").write_text("def add(a, b):\n    return b + a\n")

    for recorded in imports_ops:
        assert execute_book.changed_files(recorded) == [str(project / "pkg" / "ops.py")]
    assert execute_book.changed_files(without_ops) == []


def test_installed_libraries_are_not_dependencies_but_the_pinned_requirements_are(project):
    recorded = dependencies_of(project, nbformat.v4.new_notebook(), "ops.py")
    assert not any("site-packages" in path for path in recorded)
    assert str(project / "requirements.txt") in recorded

    (project / "requirements.txt").write_text("numpy==2.1\n")
    assert execute_book.changed_files(recorded) == [str(project / "requirements.txt")]


def test_without_a_record_a_notebook_runs_again():
    assert execute_book.changed_files(None) is None


def test_a_deleted_dependency_counts_as_changed(project):
    recorded = dependencies_of(project, nbformat.v4.new_notebook(), "ops.py")
    (project / "pkg" / "ops.py").unlink()
    assert execute_book.changed_files(recorded) == [str(project / "pkg" / "ops.py")]


def test_jobs_below_one_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        execute_book.fill_cache([], tmp_path / "cache", jobs=0, timeout=60)


class RecordingLogger:
    """Stands in for myst-nb's Sphinx logger; keeps what it was told."""

    def __init__(self):
        self.messages = []

    def info(self, message, *args, **kwargs):
        self.messages.append(message)

    warning = debug = error = info


def test_myst_nb_reads_the_pre_executed_record_and_a_helper_change_reruns_it(tmp_path):
    """A real (tiny) run: the record is a myst-nb cache hit, and editing the module it imported
    runs it again while an untouched notebook stays cached."""
    from myst_nb.core.config import NbParserConfig
    from myst_nb.core.execute import create_client
    from myst_nb.core.read import standard_nb_read

    (tmp_path / "helper.py").write_text("VALUE = 2\n")
    uses_helper, plain = tmp_path / "uses_helper.ipynb", tmp_path / "plain.ipynb"
    sources = {uses_helper: "import helper\nprint(helper.VALUE + 1)", plain: "print(40 + 2)"}
    for path, source in sources.items():
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, path)
    cache_dir = tmp_path / "cache"

    executed, failures = execute_book.fill_cache([uses_helper, plain], cache_dir, jobs=2, timeout=60)
    assert failures == [] and sorted(executed) == sorted([uses_helper, plain])

    config = NbParserConfig(execution_mode="cache", execution_cache_path=str(cache_dir))
    logger = RecordingLogger()
    with create_client(standard_nb_read(uses_helper.read_text()), str(uses_helper), config, logger) as client:
        outputs = client.notebook.cells[0].outputs
    assert any(m.startswith("Using cached notebook") for m in logger.messages), logger.messages
    assert not any(m.startswith("Executing") for m in logger.messages), logger.messages
    assert [o["text"] for o in outputs] == ["3\n"]
    assert len(client.notebook.cells) == 1, "the probe cell must not reach the book"

    assert execute_book.fill_cache([uses_helper, plain], cache_dir, jobs=2, timeout=60) == ([], [])
    (tmp_path / "helper.py").write_text("VALUE = 5\n")
    assert execute_book.fill_cache([uses_helper, plain], cache_dir, jobs=2, timeout=60) == ([uses_helper], [])


def test_an_error_is_reported_with_its_traceback(tmp_path):
    broken = tmp_path / "broken.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, broken)

    executed, failures = execute_book.fill_cache([broken], tmp_path / "cache", jobs=1, timeout=60)

    assert executed == [] and [f.path for f in failures] == [broken]
    assert "ZeroDivisionError" in failures[0].traceback


def test_a_cold_build_starts_the_notebooks_whose_committed_cells_took_longest():
    def timed(seconds_per_cell):
        cells = []
        for seconds in seconds_per_cell:
            cell = nbformat.v4.new_code_cell("pass")
            cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00.000000Z",
                                          "shell.execute_reply": f"2026-01-01T00:00:{seconds:06.3f}Z"}
            cells.append(cell)
        return nbformat.v4.new_notebook(cells=cells)

    assert execute_book.committed_seconds(timed([1.5, 2.0])) == pytest.approx(3.5)
    assert execute_book.committed_seconds(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])) == 0
