"""Binder's build of this repository, repeated here, then the notebook a Binder link opens.

With a `binder/` folder, repo2docker's Python build pack reads only that folder (files of the same
name at the root are ignored, and the root `pyproject.toml` is not installed): `runtime.txt` picks
the Python, `requirements.txt` is pip-installed into the environment that already holds Binder's
Jupyter server and JupyterLab, and `postBuild` then runs from the repository root with that
environment first on PATH. This test does the same steps in a fresh venv under `_build/binder/`
(kept for the next run while the files in `binder/` and the base packages below are unchanged):

1. a venv from the Python that `binder/runtime.txt` names;
2. Binder's base packages (BINDER_BASE: the server and JupyterLab of repo2docker's Python 3.11
   environment);
3. `pip install -r binder/requirements.txt`, on a copy of the file without its PyTorch CPU index
   line: download.pytorch.org cannot be reached from this machine, so pip takes the pinned `+cpu`
   torch wheel from this machine's local wheel store instead (the test prints this);
4. a copy of the repository's files as a clone has them (git's tracked and unignored files) in
   `_build/binder/repo/`, and in it `./binder/postBuild` from the copy's root, after asserting that
   the venv does not hold the `widgets` package yet.

It then starts JupyterLab from that venv at the copy's root, as Binder does, opens the notebook at
the path the built page's Binder link names, runs all cells with Lab's own "Run All Cells" (what a
reader clicks, so the widget front end is part of the run) and drives the explorer in Chromium.

Not exercised here: mybinder.org itself and PyTorch's CPU wheel index (no internet from this
machine), and the conda-based image (the base packages come from PyPI at the same versions).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import pathlib
import re
import shutil
import subprocess
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from lab_util import ACCEPT_KERNEL_DIALOG, lab_server, open_and_run_all

pytestmark = pytest.mark.binder

ROOT = pathlib.Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
WORK = ROOT / "_build" / "binder"
CHAPTER_PAGES = ROOT / "_build" / "html" / "chapters"
DISTRIBUTION = "transposed-conv-widgets"  # pyproject.toml's name for the `widgets` package

# The Jupyter packages of Binder's base environment for Python 3.11, at the versions of
# repo2docker's lock file repo2docker/buildpacks/conda/environment.py-3.11-linux-64.lock
# (generated 2025-10-16, current in repo2docker's main branch). binder/requirements.txt is
# installed on top of them, so its pins win where the two overlap, as on Binder.
BINDER_BASE = [
    "jupyterlab==4.4.9",
    "jupyter_server==2.17.0",
    "notebook==7.4.7",
    "ipywidgets==8.1.7",
    "ipykernel==7.0.1",
    "jupyterlab_widgets==3.0.15",
]

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# What the book and the tests need, and Binder must not install.
NOT_FOR_BINDER = {
    "jupyter-book", "sphinx", "myst-nb", "pytest", "playwright", "nbval", "hypothesis", "jupyterlab",
}

NOTEBOOK_PAGE = "02_matrix_view.html"  # the chapter whose Binder link the live test follows
EXPLORER = "adjoint"


def report(pytestconfig, line: str) -> None:
    """Print a line in the test run's output, also under -q and with output captured."""
    plugins = pytestconfig.pluginmanager
    with plugins.getplugin("capturemanager").global_and_fixture_disabled():
        plugins.getplugin("terminalreporter").write_line(f"[binder] {line}")


def pins(path: pathlib.Path) -> dict[str, str]:
    """The `name==version` lines of a requirements file, by normalised name."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


def run(command, *, cwd=ROOT, env=None, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        output = f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        raise AssertionError(f"{command} failed ({result.returncode}):\n{output}")
    return result


def binder_env(venv: pathlib.Path) -> dict[str, str]:
    """The environment Binder's build steps and server see: the venv's bin first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    project_venv = str(ROOT / ".venv")
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not p.startswith(project_venv)]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    return env


def binder_link(page: pathlib.Path) -> str:
    """The href of the page's Binder launch button (exactly one)."""
    links = re.findall(r'href="(https://mybinder\.org/[^"]*)"', page.read_text())
    assert len(links) == 1, f"{page.name}: expected one Binder link, found {links}"
    return html.unescape(links[0])


def lab_path(link: str) -> str:
    """The Lab URL path a Binder link opens after the build: its urlpath (or labpath) parameter."""
    query = parse_qs(urlsplit(link).query)
    if "urlpath" in query:
        return query["urlpath"][0].lstrip("/")
    if "labpath" in query:
        return "lab/tree/" + query["labpath"][0].lstrip("/")
    raise AssertionError(f"Binder link names no notebook (no urlpath= or labpath=): {link}")


# ---------------------------------------------------------------------------------------------
# The binder/ files and the built book's links


def test_binder_requirements_pin_the_root_versions_and_only_runtime_packages():
    binder, root = pins(BINDER / "requirements.txt"), pins(ROOT / "requirements.txt")
    assert binder, "binder/requirements.txt pins nothing"
    assert NOT_FOR_BINDER.isdisjoint(binder), f"book or test tools for Binder: {NOT_FOR_BINDER & set(binder)}"
    for name, version in binder.items():
        assert name in root, f"{name} is pinned for Binder but not in the root requirements.txt"
        public = version.split("+")[0]
        assert public == root[name], f"{name}: Binder pins {version}, the root file {root[name]}"
    # The CPU build: a "+cpu" local version exists only on PyTorch's CPU index, which the file names.
    assert binder["torch"].endswith("+cpu"), binder["torch"]
    lines = [line.strip() for line in (BINDER / "requirements.txt").read_text().splitlines()]
    assert f"--extra-index-url {CPU_INDEX}" in lines


def test_every_chapter_page_links_its_notebook_on_binder():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repository, hub = config["repository"], config["launch_buttons"]["binderhub_url"].rstrip("/")
    owner_repo = urlsplit(repository["url"]).path.strip("/")
    pages = sorted(CHAPTER_PAGES.glob("*.html"))
    assert pages, f"no built chapter pages in {CHAPTER_PAGES}: run `make book` first (`make test` does)"
    notebooks = sorted(p.stem for p in (ROOT / "chapters").glob("*.ipynb"))
    assert [p.stem for p in pages] == notebooks, "chapter pages and notebooks differ"
    for page in pages:
        link = binder_link(page)
        notebook = f"chapters/{page.stem}.ipynb"
        assert link == f"{hub}/v2/gh/{owner_repo}/{repository['branch']}?urlpath=lab/tree/{notebook}", link
        assert (ROOT / lab_path(link).removeprefix("lab/tree/")).is_file()


# ---------------------------------------------------------------------------------------------
# Binder's build steps


def binder_key() -> str:
    """Hash of everything that shapes the venv: the binder/ files and the base packages."""
    digest = hashlib.sha256("\n".join(BINDER_BASE).encode())
    for path in sorted(p for p in BINDER.iterdir() if p.is_file()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def runtime_python() -> str:
    """The interpreter binder/runtime.txt names (`python-3.11` -> python3.11 on PATH)."""
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(3\.\d+)", runtime)
    assert match, f"binder/runtime.txt must read python-3.N, not {runtime!r}"
    python = shutil.which(f"python{match.group(1)}")
    assert python, f"binder/runtime.txt asks for Python {match.group(1)}: no python{match.group(1)} on PATH"
    return python


def requirements_without_cpu_index() -> pathlib.Path:
    """A copy of binder/requirements.txt without the unreachable CPU index line."""
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    kept = [line for line in lines if line.strip() != f"--extra-index-url {CPU_INDEX}"]
    assert len(kept) == len(lines) - 1, "binder/requirements.txt must name PyTorch's CPU index once"
    path = WORK / "requirements-offline.txt"
    path.write_text("\n".join(kept) + "\n")
    return path


def build_venv(venv: pathlib.Path) -> None:
    """Steps 1-3 of Binder's build: Python from runtime.txt, the base packages, requirements.txt."""
    for old in WORK.glob("venv-*"):
        shutil.rmtree(old)
    run([runtime_python(), "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    env = binder_env(venv)
    run([*pip, *BINDER_BASE], env=env)
    run([*pip, "-r", str(requirements_without_cpu_index())], env=env)
    (venv / ".binder-complete").touch()


@pytest.fixture(scope="module")
def binder_venv(pytestconfig):
    """The venv after steps 1-3; built afresh when binder/ or BINDER_BASE changed."""
    WORK.mkdir(parents=True, exist_ok=True)
    venv = WORK / f"venv-{binder_key()}"
    start = time.monotonic()
    if (venv / ".binder-complete").is_file():
        report(pytestconfig, f"reusing {venv.relative_to(ROOT)} (binder/ unchanged)")
    else:
        build_venv(venv)
        report(pytestconfig, f"built {venv.relative_to(ROOT)} in {time.monotonic() - start:.0f} s")
    torch = pins(BINDER / "requirements.txt")["torch"]
    report(pytestconfig, f"substitution: {CPU_INDEX} is unreachable here, so binder/requirements.txt "
                         f"went in without that line and torch=={torch} came from this machine's wheels")
    return venv


def copy_as_cloned(target: pathlib.Path) -> None:
    """Copy the files a clone of this working tree has (tracked or not ignored) into target."""
    if target.exists():
        shutil.rmtree(target)
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def import_widgets(venv: pathlib.Path, checkout: pathlib.Path) -> subprocess.CompletedProcess:
    """`import widgets` in the venv's Python, started in chapters/ as a notebook's kernel is."""
    code = ("import json, torch, widgets; "
            "print(json.dumps([widgets.__file__, torch.__version__, torch.version.cuda]))")
    python = str(venv / "bin" / "python")
    return run([python, "-c", code], cwd=checkout / "chapters", env=binder_env(venv), check=False)


@pytest.fixture(scope="module")
def binder_checkout(binder_venv, pytestconfig):
    """Step 4: the repository copy, with binder/postBuild run in it as repo2docker runs it."""
    checkout = WORK / "repo"
    copy_as_cloned(checkout)
    python = str(binder_venv / "bin" / "python")
    # A venv reused from an earlier run still holds what that run's postBuild installed.
    run([python, "-m", "pip", "uninstall", "--yes", "--quiet", DISTRIBUTION], check=False)
    assert run([python, "-m", "pip", "show", DISTRIBUTION], check=False).returncode != 0
    before = import_widgets(binder_venv, checkout)
    assert before.returncode != 0 and "No module named 'widgets'" in before.stderr, before.stderr
    cloned = sorted(p.name for p in checkout.iterdir())
    start = time.monotonic()
    run(["./binder/postBuild"], cwd=checkout, env=binder_env(binder_venv))
    report(pytestconfig, f"binder/postBuild ran in {time.monotonic() - start:.0f} s")
    # The reader's file browser opens at this folder: postBuild leaves nothing behind in it.
    assert sorted(p.name for p in checkout.iterdir()) == cloned
    return checkout


def test_postbuild_is_what_makes_widgets_importable(binder_venv, binder_checkout):
    # binder_checkout asserted that `import widgets` failed before postBuild ran.
    result = import_widgets(binder_venv, binder_checkout)
    assert result.returncode == 0, result.stderr
    module, torch_version, cuda = json.loads(result.stdout)
    installed = pathlib.Path(module).parent
    assert installed.is_relative_to(binder_venv / "lib"), f"widgets imported from {installed}, not the venv"
    # The explorers' JavaScript and CSS are package data: the install must carry every file.
    shipped = {p.name for p in (binder_checkout / "widgets" / "js").iterdir()}
    assert shipped and shipped <= {p.name for p in (installed / "js").iterdir()}
    assert torch_version == pins(BINDER / "requirements.txt")["torch"] and cuda is None
    check = run([str(binder_venv / "bin" / "python"), "-m", "pip", "check"], check=False)
    assert check.returncode == 0, check.stdout


# ---------------------------------------------------------------------------------------------
# The notebook a Binder link opens, live


@pytest.fixture(scope="module")
def binder_lab(binder_venv, binder_checkout):
    """JupyterLab from the Binder venv, serving the repository copy's root."""
    with lab_server(binder_venv / "bin" / "python", binder_checkout, env=binder_env(binder_venv)) as server:
        yield server


def ask_kernel(page, expression: str, timeout_ms: int = 60_000):
    """Add a cell at the end of the open notebook that prints `expression` as JSON; return its value.

    The answer is found by a marker in its output rather than by cell position: Binder's
    JupyterLab renders only the cells near the viewport, so positions in the page shift.
    """
    marker = "kernel-answer:"
    cells = page.locator(".jp-Notebook .jp-Cell")
    page.locator(".jp-Notebook .jp-Cell").last.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    count = cells.count()
    page.keyboard.press("b")
    # Keys typed before the new cell's editor has focus would be read as command-mode shortcuts
    # (r: raw cell, b: another cell, ...), so wait for the cell and click into its editor.
    page.wait_for_function(f"() => document.querySelectorAll('.jp-Notebook .jp-Cell').length > {count}")
    page.locator(".jp-Notebook .jp-Cell.jp-mod-active .cm-content").click()
    page.locator(".jp-Notebook.jp-mod-editMode").wait_for(timeout=timeout_ms)
    page.keyboard.type(f"import json, os, sys; print({marker!r} + json.dumps({expression}))")
    page.keyboard.press("Shift+Enter")
    output = page.locator(".jp-OutputArea-output", has_text=marker)
    output.wait_for(timeout=timeout_ms)
    return json.loads(output.inner_text().strip().removeprefix(marker))


def test_binder_link_opens_a_notebook_that_runs_and_explores(binder_lab, binder_venv, browser, pytestconfig):
    base, token = binder_lab
    path = lab_path(binder_link(CHAPTER_PAGES / NOTEBOOK_PAGE))
    assert path.startswith("lab/tree/"), path
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.add_init_script(ACCEPT_KERNEL_DIALOG)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    start = time.monotonic()
    # open_and_run_all opens {base}/lab/tree/<notebook>: the link's urlpath on this server.
    explorer = open_and_run_all(page, base, token, path.removeprefix("lab/tree/"), EXPLORER)
    assert page.url.split("?")[0] == f"{base}/{path}"
    report(pytestconfig, f"{path}: opened and ran all cells in {time.monotonic() - start:.0f} s")

    status = explorer.locator("[data-role=status]")
    summary = status.inner_text()
    kernel_taps = explorer.locator("[data-grid=kernel]").count()
    explorer.locator('[data-grid=input][data-row="0"][data-col="0"]').hover()
    # At stride 1 the first input cell's window lands whole on the output: one lit cell per tap.
    assert explorer.locator("[data-grid=output][data-lit]").count() == kernel_taps > 0
    assert status.inner_text() != summary and "owns column 0" in status.inner_text()

    # The kernel is the Binder venv's, started in chapters/, and it saw the hover.
    executable, cwd, hovered = ask_kernel(page, "[sys.executable, os.getcwd(), explorer.hovered]")
    assert pathlib.Path(executable).parent == binder_venv / "bin"
    assert pathlib.Path(cwd).name == "chapters"
    assert hovered == {"grid": "input", "row": 0, "col": 0}
    context.close()
    assert errors == [], errors
