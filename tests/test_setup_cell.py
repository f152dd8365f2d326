"""The notebooks' setup cell (written by tools/sync_repository_url.py), run as IPython runs it.

Four places a reader can run it: this repository's environment (the package imports: nothing
happens, nothing is printed), Colab before and after the package is installed, and a notebook
downloaded from the book into a Jupyter without the package. `%pip` goes to a stand-in shell that
records the command instead of installing; the Lab layers and tests/test_widgets7_colab_install.py
cover what the installed package then does.
"""

from __future__ import annotations

import pathlib
import sys
import types

import pytest
from IPython.core.inputtransformer2 import TransformerManager

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tools"))

import sync_repository_url as sync  # noqa: E402


class RecordingShell:
    """Stands in for get_ipython(): records each line magic instead of running it."""

    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line, _stack_depth=1):
        self.magics.append((name, line))


@pytest.fixture
def run_setup_cell(monkeypatch, capsys):
    """run(widgets_installed, in_colab) -> (printed text, recorded magics, widget-manager calls)."""

    def run(widgets_installed: bool, in_colab: bool):
        if not widgets_installed:
            monkeypatch.setitem(sys.modules, "widgets", None)  # `import widgets` raises ImportError
        enabled = []
        if in_colab:
            colab = types.ModuleType("google.colab")
            colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: enabled.append(True))
            monkeypatch.setitem(sys.modules, "google.colab", colab)
        else:
            monkeypatch.setitem(sys.modules, "google.colab", None)
        shell = RecordingShell()
        code = TransformerManager().transform_cell(sync.setup_cell_source())
        exec(compile(code, "<setup cell>", "exec"), {"get_ipython": lambda: shell})
        return capsys.readouterr().out, shell.magics, len(enabled)

    return run


def test_where_the_package_is_installed_nothing_happens(run_setup_cell):
    assert run_setup_cell(widgets_installed=True, in_colab=False) == ("", [], 0)


def test_a_downloaded_notebook_installs_the_package_and_says_so(run_setup_cell):
    printed, magics, enabled = run_setup_cell(widgets_installed=False, in_colab=False)
    assert printed.count("\n") == 1 and sync.pip_url() in printed and "Installing" in printed
    assert magics == [("pip", f'install --quiet "{sync.pip_url()}"')]
    assert enabled == 0


def test_colab_installs_the_package_and_enables_its_widget_manager(run_setup_cell):
    printed, magics, enabled = run_setup_cell(widgets_installed=False, in_colab=True)
    assert printed.count("\n") == 1 and sync.pip_url() in printed
    assert magics == [("pip", f'install --quiet "{sync.pip_url()}"')]
    assert enabled == 1


def test_colab_rerun_only_enables_the_widget_manager(run_setup_cell):
    # Colab forgets the widget manager with each new page load, but keeps installed packages.
    assert run_setup_cell(widgets_installed=True, in_colab=True) == ("", [], 1)


def test_the_install_keeps_installed_packages():
    # Plain `pip install` keeps what is installed when it satisfies the package's ranges (pip's
    # default only-if-needed strategy); --upgrade or --force-reinstall would replace Colab's packages.
    source = sync.setup_cell_source()
    assert "--upgrade" not in source and " -U " not in source and "--force-reinstall" not in source
