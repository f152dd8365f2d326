"""Helpers for tests that drive headless Chromium (Playwright) against the built book.

They exist so that every browser test launches Chromium the same way, serves the book the same
way, and judges a page by the same rule: **a built page makes no request outside its own site,
no request fails, and nothing is logged as an error** (ARCHITECTURE.md, "The book: Jupyter Book 1,
offline").

Typical use::

    from playwright.sync_api import sync_playwright
    from browser_util import (attach_request_recorder, built_pages, launch_chromium,
                              serve_directory)

    with serve_directory("_build/html") as base, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page()
        rec = attach_request_recorder(page, base)
        page.goto(base + "chapters/01_why_learned_upsampling.html", wait_until="load")
        page.wait_for_selector("[data-explorer]")
        assert rec.problems() == []
        browser.close()

Never run ``playwright install`` (no internet); Chromium comes from the system
(:func:`find_chromium`). Tests should skip, not fail, where :func:`find_chromium` returns None.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Iterator, List, Optional
from urllib.parse import urlsplit

# Flags for a quiet, reproducible, offline headless Chromium. Each launch also gets a fresh
# --user-data-dir (see launch_chromium).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_CHROMIUM_CANDIDATES = [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/lib/chromium/chromium",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/opt/google/chrome/chrome",
    "/snap/bin/chromium",
]

# URL schemes that never leave the page (anywidget imports its ESM through a blob: URL)
_LOCAL_SCHEMES = {"data", "blob", "about", "chrome-error"}


def find_chromium() -> Optional[str]:
    """Path of a Chromium/Chrome executable, or None.

    ``$CHROMIUM`` wins when it names an executable file; then the usual system paths; then
    ``chromium``/``chromium-browser``/``google-chrome`` on ``$PATH``.
    """
    env = os.environ.get("CHROMIUM")
    if env and os.path.isfile(env) and os.access(env, os.X_OK):
        return env
    for candidate in _CHROMIUM_CANDIDATES:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    # Last, a browser that `python -m playwright install chromium` downloaded.
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache" / "ms-playwright"))
    for candidate in sorted(cache.glob("chromium-*/chrome-linux*/chrome"), reverse=True):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def launch_chromium(playwright, *, executable_path: Optional[str] = None, persistent: bool = False,
                    **launch_kwargs):
    """Launch headless system Chromium through Playwright with the project's flags.

    Every launch starts from a fresh, empty profile in a new temporary directory, removed when
    the browser closes. By default this returns a Playwright ``Browser``: Playwright refuses
    ``--user-data-dir`` in ``args`` for ``launch()`` and passes its own fresh temporary
    ``--user-data-dir`` instead. With ``persistent=True`` this creates the temporary profile
    itself and returns the ``BrowserContext`` of ``launch_persistent_context`` (use it where a
    test needs the profile on disk). Close what you get (``.close()``).

    Extra keyword arguments go to Playwright's launch call (``args=`` extends the flags).
    Raises RuntimeError where no Chromium is found.
    """
    exe = executable_path or find_chromium()
    if exe is None:
        raise RuntimeError("no Chromium/Chrome executable found (set $CHROMIUM)")
    args = CHROMIUM_ARGS + list(launch_kwargs.pop("args", []))
    launch_kwargs.setdefault("headless", True)
    if not persistent:
        return playwright.chromium.launch(executable_path=exe, args=args, **launch_kwargs)
    profile = tempfile.mkdtemp(prefix="tc-chromium-profile-")
    try:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=exe, args=args, **launch_kwargs
        )
    except Exception:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    context.on("close", lambda _c: shutil.rmtree(profile, ignore_errors=True))
    return context


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass


@contextlib.contextmanager
def serve_directory(path) -> Iterator[str]:
    """Serve folder ``path`` over HTTP on a free port of 127.0.0.1 in a background thread.

    Yields the base URL, ending in ``/`` (e.g. ``http://127.0.0.1:43121/``); the server stops
    when the block ends.
    """
    root = Path(path).resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"nothing to serve: {root} is not a folder")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="serve_directory", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class RequestRecorder:
    """What a page did that a built page must not do. Filled by :func:`attach_request_recorder`.

    Lists (each entry a short human-readable string):

    - ``failed``: requests that failed at the network level, or answered with HTTP status >= 400
      (a missing file is an HTTP 404 here)
    - ``external``: requests to any host other than the served site's
    - ``console_errors``: ``console.error`` messages (and other console messages of type error)
    - ``page_errors``: uncaught exceptions in the page

    ``requests`` lists every requested URL, in order, for debugging. ``aborted`` lists requests
    the browser cancelled itself (``net::ERR_ABORTED``, e.g. a favicon still loading when a
    redirect page navigates away); they are not problems, since a request that reached the
    server and failed there shows up in ``failed`` with its HTTP status.
    """

    def __init__(self, allowed_origins):
        self.allowed_origins = set(allowed_origins)
        self.requests: List[str] = []
        self.failed: List[str] = []
        self.aborted: List[str] = []
        self.external: List[str] = []
        self.console_errors: List[str] = []
        self.page_errors: List[str] = []

    def is_local(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in _LOCAL_SCHEMES:
            return True
        origin = f"{parts.scheme}://{parts.netloc}"
        return origin in self.allowed_origins

    def problems(self) -> List[str]:
        """Everything recorded that a clean page must not show; ``[]`` means clean."""
        return (
            [f"failed request: {x}" for x in self.failed]
            + [f"request outside the site: {x}" for x in self.external]
            + [f"console error: {x}" for x in self.console_errors]
            + [f"page error: {x}" for x in self.page_errors]
        )

    def clear(self) -> None:
        for bucket in (self.requests, self.failed, self.aborted, self.external,
                       self.console_errors, self.page_errors):
            bucket.clear()

    # Playwright event handlers
    def _on_request(self, request) -> None:
        url = request.url
        self.requests.append(url)
        if not self.is_local(url):
            self.external.append(url)

    def _on_request_failed(self, request) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" in failure:
            self.aborted.append(f"{request.url} ({failure})")
        else:
            self.failed.append(f"{request.url} ({failure})")

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def _on_console(self, message) -> None:
        if message.type == "error":
            location = message.location or {}
            where = location.get("url", "")
            if where:
                where = f" [{where}:{location.get('lineNumber', '?')}]"
            self.console_errors.append(f"{message.text}{where}")

    def _on_page_error(self, error) -> None:
        self.page_errors.append(str(error))


def attach_request_recorder(page, base_url: Optional[str] = None,
                            extra_origins=()) -> RequestRecorder:
    """Record, from now on, everything ``page`` does that a built page must not do.

    The site is ``base_url``'s origin (scheme://host:port); other allowed origins may be added
    with ``extra_origins``. Without ``base_url``, any http(s) request to 127.0.0.1 or localhost,
    on any port, counts as local. Returns the :class:`RequestRecorder`; call ``.problems()``
    after the page has settled.
    """
    if base_url is not None:
        parts = urlsplit(base_url)
        origins = {f"{parts.scheme}://{parts.netloc}"}
    else:
        origins = set()
    origins.update(extra_origins)
    recorder = RequestRecorder(origins)
    if base_url is None:
        def _loopback(url: str, _rec=recorder) -> bool:
            parts = urlsplit(url)
            return parts.scheme in _LOCAL_SCHEMES or (
                parts.scheme in {"http", "https"} and parts.hostname in {"127.0.0.1", "localhost"}
            )
        recorder.is_local = _loopback  # type: ignore[method-assign]
    page.on("request", recorder._on_request)
    page.on("requestfailed", recorder._on_request_failed)
    page.on("response", recorder._on_response)
    page.on("console", recorder._on_console)
    page.on("pageerror", recorder._on_page_error)
    return recorder


def set_range(page, explorer, label, value) -> None:
    """Move the range control `label` of `explorer` (a CSS selector) as a reader would."""
    control = page.locator(f'{explorer} input[aria-label="{label}"]')
    control.fill(str(value))
    control.dispatch_event("input")


def built_pages(html_dir) -> List[str]:
    """Every HTML page of a built book, as paths relative to ``html_dir`` (posix, sorted).

    Leaves out Sphinx's internals (``_static/``, ``_sources/``, ``_images/``); keeps the root
    ``index.html`` (a redirect to ``book/index.html``), which a reader may open first.
    """
    root = Path(html_dir)
    pages = []
    for path in sorted(root.rglob("*.html")):
        rel = path.relative_to(root).as_posix()
        if rel.split("/", 1)[0] in {"_static", "_sources", "_images"}:
            continue
        pages.append(rel)
    return pages


def wait_for_mathjax(page, timeout_ms: float = 15000) -> int:
    """Wait until MathJax has typeset the page; return the number of typeset formulas.

    Returns 0 at once where the page does not load MathJax.
    """
    has_mathjax = page.evaluate(
        "() => !!document.querySelector('script[src*=\"mathjax\"]')"
    )
    if not has_mathjax:
        return 0
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=timeout_ms
    )
    page.evaluate("() => MathJax.startup.promise")
    return page.evaluate("() => document.querySelectorAll('mjx-container').length")


def _number(text: str):
    """A cell's text as a number (int where whole), None where empty; other text unchanged."""
    text = text.strip().replace("−", "-")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


# Set controls (range inputs and selects, by aria-label) as a reader's drag or choice does:
# change the value, then fire the event the explorer listens to. A control already at the
# value is left alone, so that moving one control does not undo a clamp another one made.
_SET_CONTROLS_JS = """
const setControls = (root, values) => {
  for (const [label, value] of Object.entries(values)) {
    const control = root.querySelector(`:is(input, select)[aria-label="${label}"]`);
    if (!control) throw new Error(`no control labelled ${label}`);
    if (control.value === String(value)) continue;
    control.value = String(value);
    const type = control.tagName === "SELECT" ? "change" : "input";
    control.dispatchEvent(new Event(type, { bubbles: true }));
  }
};
"""


class ExplorerPage:
    """One explorer on an open page of the built book, read through its data-* attributes.

    Every explorer marks its root with ``data-explorer=NAME``, its cells with ``data-grid``,
    ``data-row``, ``data-col`` (and ``data-channel`` where a grid has channels), lit cells with
    ``data-lit``, and its live status line with ``data-role=status``; controls are found by
    their ``aria-label``. Tests read and drive an explorer only through this contract, so a
    change of markup or ARIA roles does not touch them.
    """

    def __init__(self, page, name: str):
        self.page = page
        self.name = name
        self.root = f'[data-explorer="{name}"]'

    def locator(self, selector: str = ""):
        """The explorer's root, or the elements inside it that match ``selector``."""
        return self.page.locator(f"{self.root} {selector}" if selector else self.root)

    def cell(self, grid: str, row: int, col: int, channel: Optional[int] = None):
        where = f'[data-grid="{grid}"][data-row="{row}"][data-col="{col}"]'
        if channel is not None:
            where += f'[data-channel="{channel}"]'
        return self.locator(where)

    def cells(self, grid: str, *, lit: bool = False):
        return self.locator(f'[data-grid="{grid}"]' + ("[data-lit]" if lit else ""))

    def lit(self, grid: str, *, source: bool = True) -> list:
        """Sorted (row, col) of the grid's lit cells ((channel, row, col) where it has channels);
        ``source=False`` leaves out the cell the reader points at (``data-source``)."""
        found = self.cells(grid, lit=True).evaluate_all(
            """(els, source) => els.filter((e) => source || !e.hasAttribute("data-source"))
                 .map((e) => [e.dataset.channel, e.dataset.row, e.dataset.col])""", source)
        return sorted(tuple(int(v) for v in rc if v is not None) for rc in found)

    def values(self, grid: str):
        """The grid's visible numbers as rows (None for an empty cell), or None where the grid
        is not drawn. A grid with channels gives a list of such rows per channel."""
        found = self.cells(grid).evaluate_all(
            "els => els.map((e) => [e.dataset.channel, +e.dataset.row, +e.dataset.col, e.textContent])")
        if not found:
            return None
        channels = {}
        for channel, r, c, text in found:
            rows = channels.setdefault(channel, [])
            while len(rows) <= r:
                rows.append([])
            row = rows[r]
            while len(row) <= c:
                row.append(None)
            row[c] = _number(text)
        if list(channels) == [None]:
            return channels[None]
        return [channels[k] for k in sorted(channels, key=int)]

    @property
    def status_line(self):
        return self.locator("[data-role=status]")

    def status(self) -> str:
        """The status line's text as the reader sees it."""
        return self.status_line.inner_text()

    def text(self, role: str) -> str:
        """The text of the element marked ``data-role=ROLE``."""
        return self.locator(f"[data-role={role}]").text_content()

    def button(self, label: str):
        return self.locator(f'button[aria-label="{label}"]')

    def control(self, label: str):
        return self.locator(f':is(input, select)[aria-label="{label}"]')

    def set_control(self, label: str, value) -> None:
        """Move a slider or choose an option, as a reader does."""
        control = self.control(label)
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(str(value))
        else:
            control.fill(str(value))
            control.dispatch_event("input")

    def set_controls(self, values: dict) -> None:
        """Set several controls ({aria-label: value}, in order) in one page evaluation."""
        self.page.evaluate(f"([root, values]) => {{ {_SET_CONTROLS_JS} "
                           "setControls(document.querySelector(root), values); }",
                           [self.root, values])

    def hover(self, grid: str, row: int, col: int, channel: Optional[int] = None) -> None:
        self.cell(grid, row, col, channel).hover()

    def tap(self, grid: str, row: int, col: int, channel: Optional[int] = None) -> None:
        """A touch tap (the page's context must have been opened with touch)."""
        self.cell(grid, row, col, channel).tap()

    def focus(self, grid: str, row: int, col: int, channel: Optional[int] = None) -> None:
        self.cell(grid, row, col, channel).focus()

    def compute(self, settings: list) -> list:
        """What the page's own computation (``tcCompute`` on the root, the JavaScript twin of
        the explorer's Python ``compute``) gives for every setting ({control: value}), in ONE
        page evaluation and without drawing: how an explorer that computes in the page is
        checked against Python for every reachable state."""
        return self.evaluate_bulk(
            """(root, settings) => settings.map((setting) => root.tcCompute(setting))""", settings)

    def evaluate_bulk(self, function: str, data):
        """``function(root, data)`` in the page, with ``data`` and the result carried as JSON
        text: Playwright's own encoding of arguments and results takes minutes for the
        hundred thousand states of an exhaustive check, a JSON string a fraction of a second."""
        text = self.page.evaluate(
            f"""([root, data]) => JSON.stringify(
                ({function})(document.querySelector(root), JSON.parse(data)))""",
            [self.root, json.dumps(data)],
        )
        return json.loads(text)

    def sweep(self, states: list, read: str) -> list:
        """Drive the controls through ``states`` (each {aria-label: value}) in ONE page
        evaluation and return, per state, what the JavaScript function ``read(root)`` collects
        from the explorer: a whole exhaustive sweep costs one round trip to the browser."""
        return self.evaluate_bulk(
            f"""(element, states) => {{
                {_SET_CONTROLS_JS}
                const read = {read};
                return states.map((state) => {{ setControls(element, state); return read(element); }});
            }}""",
            states,
        )


# JavaScript for ExplorerPage.sweep: one grid's numbers as rows, from data-row / data-col.
READ_GRID_JS = """(root, grid) => {
  const rows = [];
  for (const cell of root.querySelectorAll(`[data-grid="${grid}"]`)) {
    const r = Number(cell.dataset.row), c = Number(cell.dataset.col);
    (rows[r] = rows[r] || [])[c] = cell.textContent === "" ? null : Number(cell.textContent);
  }
  return rows;
}"""


def check_screenshot(path, width: float, height: float) -> None:
    """Assert that ``path`` is a PNG of about ``width`` x ``height`` pixels showing something:
    more than one distinct colour (a blank or failed capture is one colour)."""
    from PIL import Image

    assert Path(path).is_file(), f"no screenshot at {path}"
    with Image.open(path) as image:
        assert image.format == "PNG", path
        # A box at fractional coordinates is captured whole, so up to a pixel more per side.
        assert abs(image.width - width) < 2 and abs(image.height - height) < 2, (
            f"{path}: {image.size}, expected about {width:.0f}x{height:.0f}")
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24)
        assert len(colours) > 1, f"{path} is blank: one colour"
