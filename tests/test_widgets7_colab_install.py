"""Installing the chapter's package into Colab's runtime changes none of Colab's packages.

Colab preinstalls PyTorch, NumPy, matplotlib and ipywidgets 7.7.1 (its front end shows no
third-party widget once ipywidgets 8 is installed), and the notebooks' setup cell runs a plain
`pip install`, which keeps an installed package whenever it satisfies the package's ranges. So the
ranges of pyproject.toml must admit every version Colab has. pip checks that here: it resolves the
package from this checkout, with its `torch` extra, under constraints that pin Colab's versions
(tests/colab_runtime.txt), as a dry run into a throwaway target, and its JSON report lists what it
would install. A range that excludes a Colab version makes the resolution fail.

A third test installs the package as the setup cell does, from git, with a clone of this repository
standing in for its URL: only committed files reach a reader.

Not exercised here: Colab itself (no network to it), and its Python (3.13; this runs the venv's).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

from packaging.specifiers import SpecifierSet

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLAB_RUNTIME = ROOT / "tests" / "colab_runtime.txt"
PACKAGE = "transposed-conv-widgets"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_pins() -> dict[str, str]:
    pins = {}
    for line in COLAB_RUNTIME.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonical(name)] = version
    return pins


def dry_run_install(project: pathlib.Path, work: pathlib.Path) -> subprocess.CompletedProcess:
    """pip's dry run of `project[torch]` under Colab's pins; the report lands in work/report.json."""
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(work / "report.json"),
        "--target", str(work / "target"), "--constraint", str(COLAB_RUNTIME), f"{project}[torch]",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def test_installing_the_package_keeps_every_colab_version(tmp_path):
    result = dry_run_install(ROOT, tmp_path)
    assert result.returncode == 0, f"pip cannot install the package on Colab's versions:\n{result.stderr}"
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    resolved = {canonical(item["metadata"]["name"]): item["metadata"]["version"] for item in report["install"]}
    assert PACKAGE in resolved
    pins = colab_pins()
    # `==2.13.0` admits a local build such as 2.13.0+cpu, as Colab's own PyTorch is.
    changed = {
        name: (pins[name], version)
        for name, version in resolved.items()
        if name in pins and version not in SpecifierSet(f"=={pins[name]}")
    }
    assert changed == {}, f"the install would replace Colab's versions: {changed}"
    # The packages the explorers and notebooks need are resolved to the versions Colab has.
    for name in ("torch", "numpy", "ipywidgets", "traitlets", "anywidget"):
        assert resolved.get(name) in SpecifierSet(f"=={pins[name]}"), (name, resolved.get(name))


def test_a_range_that_excludes_colab_fails_the_check(tmp_path):
    # The same check on a copy of the package that asks for ipywidgets 8, as it once did.
    project = tmp_path / "project"
    shutil.copytree(ROOT / "widgets", project / "widgets", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "README.md", project / "README.md")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"ipywidgets>=7.7,<9"' in pyproject
    (project / "pyproject.toml").write_text(pyproject.replace('"ipywidgets>=7.7,<9"', '"ipywidgets>=8,<9"'))
    result = dry_run_install(project, tmp_path)
    assert result.returncode != 0
    assert "ipywidgets" in result.stderr


def test_the_setup_cells_install_from_git_brings_the_whole_package(tmp_path):
    # The setup cell installs from git: only committed files reach the reader. Same command, with
    # this clone, at its last commit, standing in for the repository's URL and branch.
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    target = tmp_path / "target"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
               f"git+file://{ROOT}@{commit.stdout.strip()}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    scripts = {path.name for path in (target / "widgets" / "js").iterdir()}
    assert {"base.js", "base.css", "adjoint.js"} <= scripts
    imported = subprocess.run(
        [sys.executable, "-c", "import widgets; print(widgets.__file__); print(len(widgets.AdjointExplorer()._esm))"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)}, timeout=300,
    )
    assert imported.returncode == 0, imported.stderr
    where, script_length = imported.stdout.split()
    assert pathlib.Path(where).is_relative_to(target) and int(script_length) > 1000
