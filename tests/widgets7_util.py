"""The ipywidgets-7 environment of the widgets7 layer: a venv under _build/ with JupyterLab 3.6,
ipywidgets 7.7.1 and Colab's kernel-side versions (tests/widgets7_requirements.txt), plus the
chapter's `widgets` package installed from this checkout as a reader would install it.

The venv's folder name carries a hash of the requirements file, so a repeated run reuses it and
a change of pins builds a new one. The package is reinstalled whenever its files change.
"""

from __future__ import annotations

import hashlib
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "tests" / "widgets7_requirements.txt"
BUILD = ROOT / "_build"


def _digest(paths) -> str:
    sha = hashlib.sha256()
    for path in paths:
        sha.update(path.relative_to(ROOT).as_posix().encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:12]


def _package_files():
    files = [ROOT / "pyproject.toml", ROOT / "README.md"]
    files += sorted(p for p in (ROOT / "widgets").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def _run(*command) -> None:
    subprocess.run([str(c) for c in command], check=True, cwd=ROOT)


def widgets7_python() -> pathlib.Path:
    """The venv's python, after building the venv (if its pins changed) and installing the package."""
    venv = BUILD / f"widgets7-venv-{_digest([REQUIREMENTS])}"
    python = venv / "bin" / "python"
    requirements_stamp = venv / ".requirements-installed"
    if not requirements_stamp.is_file():
        for old in BUILD.glob("widgets7-venv-*"):  # an earlier set of pins
            shutil.rmtree(old)
        BUILD.mkdir(exist_ok=True)
        _run(sys.executable, "-m", "venv", venv)
        _run(python, "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS)
        requirements_stamp.touch()
    package_stamp = venv / ".package-installed"
    package_digest = _digest(_package_files())
    if not package_stamp.is_file() or package_stamp.read_text() != package_digest:
        # Not editable: a reader's pip install copies the package, JS assets included.
        _run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", ROOT)
        # The package's own ranges must accept every pinned version (ipywidgets 7.7.1 above all).
        _run(python, "-m", "pip", "check")
        package_stamp.write_text(package_digest)
    return python


if __name__ == "__main__":
    print(widgets7_python())
