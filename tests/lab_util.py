"""Drive a live JupyterLab in headless Chromium: a fresh server per test session.

The server runs as it would for a student (the project's venv kernel, the
anywidget and ipywidgets lab extensions), on a free 127.0.0.1 port with a token,
with its own temporary workspaces, settings and runtime folders, and on a copy of
the chapters so that Lab's autosave never touches the committed notebooks.

Starting Lab costs seconds of both cores, and so does loading it in a page (about 7 CPU-s of
the browser and the server, against about 3 for opening a notebook in a loaded Lab). So the Lab
layer starts one server per test run (`shared_lab`) and loads Lab in one page (`shared_lab_page`),
which opens each notebook in turn from a folder of its own, as the file browser would, and closes
it and shuts its kernel down afterwards; conftest stops the server when the run ends. The server
exposes the Lab application to the page (`window.jupyterapp`) for that.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Settings that keep a fresh Lab quiet: no news or update toasts over the page.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


# Under load Lab sometimes asks which kernel to start (its kernelspec request loses a
# race with the notebook opening); a student would click "Select" (Python 3 is
# preselected). The page does the same, whenever the dialog appears.
ACCEPT_KERNEL_DIALOG = """
new MutationObserver(() => {
  const dialog = document.querySelector(".jp-Dialog");
  if (!dialog || !/Select Kernel/.test(dialog.textContent)) return;
  const select = [...dialog.querySelectorAll("button")].find((b) => b.textContent.trim() === "Select");
  if (select) select.click();
}).observe(document, { childList: true, subtree: true });
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer {url} within {timeout} s")


@contextlib.contextmanager
def jupyterlab(notebooks, python=sys.executable):
    """Start JupyterLab on copies of `notebooks`; yield (base_url, token).

    `python` is the interpreter whose JupyterLab (and so whose kernel) runs: this venv's by
    default, another venv's for the ipywidgets-7 layer.
    """
    root = pathlib.Path(tempfile.mkdtemp(prefix="tc-lab-root-"))
    try:
        for notebook in notebooks:
            shutil.copy(ROOT / notebook, root / pathlib.Path(notebook).name)
        with lab_server(python, root) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def lab_server(python, root, env=None):
    """A fresh JupyterLab from `python`, serving `root`; yield (base_url, token).

    Its config, runtime, settings and workspaces live in a temporary folder, removed afterwards;
    `env` (default: this process's) is the environment it starts from.
    """
    work = pathlib.Path(tempfile.mkdtemp(prefix="tc-lab-"))
    settings = work / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ if env is None else env,
        JUPYTER_CONFIG_DIR=str(work / "config"),
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        IPYTHONDIR=str(work / "ipython"),
    )
    command = [
        str(python), "-m", "jupyter", "lab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={work / 'workspaces'}", f"--LabApp.user_settings_dir={settings}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: open a notebook in a loaded Lab
    ]
    log = open(work / "server.log", "w")
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/api/status?token={token}", process)
        yield base, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


# interpreter -> (its shared server's ExitStack, root folder, base URL, token)
_SHARED_LABS: dict[str, tuple] = {}
_PAGE_NUMBERS = itertools.count(1)


def shared_lab(python=sys.executable) -> tuple[str, str, pathlib.Path]:
    """(base_url, token, root) of the one JupyterLab from `python` for this test run.

    Started on first use; `stop_shared_labs` stops it.
    """
    key = str(python)
    if key not in _SHARED_LABS:
        with contextlib.ExitStack() as stack:
            root = pathlib.Path(tempfile.mkdtemp(prefix="tc-lab-root-"))
            stack.callback(shutil.rmtree, root, ignore_errors=True)
            base, token = stack.enter_context(lab_server(python, root))
            _SHARED_LABS[key] = (stack.pop_all(), root, base, token)
    _, root, base, token = _SHARED_LABS[key]
    return base, token, root


def stop_shared_labs() -> None:
    _SHARED_PAGES.clear()  # their browser has closed them (it closes before the session ends)
    while _SHARED_LABS:
        _, (stack, *_) = _SHARED_LABS.popitem()
        stack.close()


# (browser, base URL) -> (the page with Lab loaded, the page errors it has raised)
_SHARED_PAGES: dict[tuple[int, str], tuple] = {}


def shared_lab_page(browser, base: str) -> tuple:
    """(page, errors) of the one page that has (or will have) Lab from `base` loaded.

    The page says yes to Lab's kernel dialog (ACCEPT_KERNEL_DIALOG); `errors` collects every
    uncaught page error, so a user of the page compares what it adds. `drop_shared_lab_page`
    discards it (a failed test may leave a dialog open), and the next user gets a fresh one.
    """
    key = (id(browser), base)
    if key not in _SHARED_PAGES:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.add_init_script(ACCEPT_KERNEL_DIALOG)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        _SHARED_PAGES[key] = (page, errors)
    return _SHARED_PAGES[key]


def drop_shared_lab_page(browser, base: str) -> None:
    page, _ = _SHARED_PAGES.pop((id(browser), base), (None, None))
    if page is not None:
        page.context.close()


# Closes every document in Lab's main area without asking to save it (the tests add cells).
# Lab 4's shell lists them as an iterable; Lab 3's as a Lumino 1 iterator (next() until undefined).
CLOSE_DOCUMENTS_JS = """() => {
  const found = window.jupyterapp.shell.widgets("main");
  const widgets = [];
  if (typeof found[Symbol.iterator] === "function") widgets.push(...found);
  else for (let w = found.next(); w !== undefined; w = found.next()) widgets.push(w);
  widgets.forEach((widget) => widget.dispose());
}"""


def put_away(browser, page, base: str, failed: bool = False) -> None:
    """Close what the shared page has open; after a failure, or with a dialog left open, drop
    the page instead, so that nothing of it spills into the next notebook."""
    if failed or page.locator(".jp-Dialog").count():
        drop_shared_lab_page(browser, base)
    else:
        page.evaluate(CLOSE_DOCUMENTS_JS)


def shut_down_sessions(base: str, token: str, path: str | None = None) -> None:
    """Stop the kernel of notebook `path` (every kernel when None), so the next notebook runs alone."""
    with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=10) as response:
        sessions = json.load(response)
    for session in sessions:
        if path is None or session["path"] == path:
            request = urllib.request.Request(f"{base}/api/sessions/{session['id']}?token={token}",
                                             method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()


def wait_for_idle_kernel(base: str, token: str, name: str, timeout: float = 180) -> None:
    """Poll the server until a session for notebook `name` has an idle kernel."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5) as response:
            sessions = json.load(response)
        if any(s["path"].endswith(name) and s["kernel"]["execution_state"] == "idle" for s in sessions):
            return
        time.sleep(0.5)
    raise TimeoutError(f"no idle kernel for {name} within {timeout} s")


@contextlib.contextmanager
def notebook_in_lab(browser, notebook: str, explorer: str | None):
    """`notebook` open in Lab, all cells run and `explorer` (if any) rendered; yields the page.

    The notebook is a copy alone in a folder of its own on the shared server, opened in the
    shared Lab page as the only document there, with a fresh kernel; afterwards it is closed and
    its kernel shut down. The page must raise no uncaught error while the test uses it.
    """
    base, token, root = shared_lab()
    folder = f"page-{next(_PAGE_NUMBERS)}"
    (root / folder).mkdir()
    path = f"{folder}/{pathlib.Path(notebook).name}"
    shutil.copy(ROOT / notebook, root / path)
    page, errors = shared_lab_page(browser, base)
    before = len(errors)
    try:
        open_and_run_all(page, base, token, path, explorer, workspace="shared")
        yield page
    except BaseException:
        put_away(browser, page, base, failed=True)
        raise
    else:
        put_away(browser, page, base)
    finally:
        shut_down_sessions(base, token, path)
    assert errors[before:] == [], errors[before:]


def open_and_run_all(page, base: str, token: str, notebook: str, explorer: str, timeout_ms: int = 180_000,
                     workspace: str | None = None):
    """Open `notebook` in Lab, run all its cells, and wait for `explorer` to render.

    `workspace` names a Lab workspace of its own for this page, for a server that opens several
    notebooks one after the other (otherwise each page reopens the tabs of the pages before it).

    On failure a screenshot is left in the system's temp folder and its path is
    added to the error, so a red CI run shows what Lab displayed.
    """
    try:
        return _open_and_run_all(page, base, token, notebook, explorer, timeout_ms, workspace)
    except Exception as error:
        shot = pathlib.Path(tempfile.gettempdir()) / f"lab-failure-{pathlib.Path(notebook).stem}.png"
        page.screenshot(path=str(shot))
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        shown = [errors.nth(i).inner_text()[:2000] for i in range(errors.count())]
        raise AssertionError(
            f"JupyterLab run of {notebook} failed (screenshot: {shot}): {error}; error outputs: {shown}"
        ) from error


# The status bar item that reads "Python 3 (ipykernel) | Idle": JupyterLab 4's class, then
# JupyterLab 3's, whose status bar items carry generated class names only.
KERNEL_STATUS = ".jp-StatusBar-Widget, #jp-main-statusbar span"


PROMPTS = ".jp-Notebook .jp-CodeCell .jp-InputPrompt"

WATCH_FOR_QUEUED_CELLS = """() => {
  window.__tcRunStarted = false;
  const notebook = document.querySelector(".jp-Notebook");
  const queued = () => [...document.querySelectorAll('%s')].some(p => p.textContent.includes("*"));
  new MutationObserver(() => { if (queued()) window.__tcRunStarted = true; })
    .observe(notebook, {subtree: true, childList: true, characterData: true});
}""" % PROMPTS

ALL_CELLS_RUN = """() => {
  const prompts = [...document.querySelectorAll('%s')];
  return window.__tcRunStarted && prompts.length > 0
    && prompts.every(p => /\\[\\d+\\]/.test(p.textContent) && !p.textContent.includes("*"));
}""" % PROMPTS


def _open_and_run_all(page, base, token, notebook, explorer, timeout_ms, workspace):
    if page.url.startswith(f"{base}/lab") and page.evaluate("() => 'jupyterapp' in window"):
        # Lab is loaded: open the notebook as a double click in the file browser does.
        page.evaluate("async (path) => { await window.jupyterapp.commands.execute("
                      "'docmanager:open', { path, factory: 'Notebook' }); }", notebook)
    else:
        lab = f"{base}/lab/workspaces/{workspace}" if workspace else f"{base}/lab"
        page.goto(f"{lab}/tree/{notebook}?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_ms)
    # "Run All" in a notebook whose kernel is not up yet is dropped: wait for it first.
    wait_for_idle_kernel(base, token, notebook, timeout=timeout_ms / 1000)
    # The execution indicator says "idle" before any kernel is attached; the status
    # bar names the kernel only once it is connected and ready.
    page.locator(KERNEL_STATUS, has_text="| Idle").first.wait_for(timeout=timeout_ms)
    # A stored notebook shows the execution counts of its last run, the same numbers a fresh run
    # gives, so a finished prompt alone does not tell that this run has ended. Watch for the
    # prompts of this run going to "[*]" first (the observer sees it however quickly it passes).
    page.evaluate(WATCH_FOR_QUEUED_CELLS)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    # Done when this run has started, every code cell has an execution count, and the kernel is
    # idle again.
    page.wait_for_function(ALL_CELLS_RUN, timeout=timeout_ms)
    page.locator(KERNEL_STATUS, has_text="| Idle").first.wait_for(timeout=timeout_ms)
    if explorer is None:  # a section without an explorer
        return None
    # Lab renders cells outside the viewport lazily (content-visibility), so wait
    # for the explorer to exist, then scroll to it.
    widget = page.locator(f"[data-explorer={explorer}]")
    widget.wait_for(state="attached", timeout=timeout_ms)
    widget.scroll_into_view_if_needed()
    return widget


def run_code_below(page, code: str, timeout_ms: int = 60_000) -> str:
    """Append a code cell at the end of the open notebook, run it, return its text output."""
    page.locator(".jp-Notebook .jp-Cell").last.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")
    cell = page.locator(".jp-Notebook .jp-CodeCell").last
    # Shift+Enter may add and select yet another empty cell; ours is the last one with a prompt number.
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    for index in range(cells.count() - 1, -1, -1):
        if code.splitlines()[0] in cells.nth(index).locator(".jp-InputArea").inner_text():
            cell = cells.nth(index)
            break
    output = cell.locator(".jp-OutputArea-output")
    output.first.wait_for(timeout=timeout_ms)
    return output.first.inner_text()
