"""Execute the book's notebooks in parallel into myst-nb's cache, before Sphinx reads them.

    python tools/execute_book.py [--jobs N]      (`make book` runs it first)

myst-nb (`execute_notebooks: cache` in _config.yml) looks each notebook up in the jupyter-cache
of _build/.jupyter_cache and runs a notebook only when its code has no record there, one at a
time. This script fills that cache first, several notebooks at once, with the very records
myst-nb would write: the notebook read as myst-nb reads it, run by jupyter-cache's own
`single_nb_execution` in the notebook's folder, stored by `cache_notebook_bundle`. Sphinx then
finds every notebook cached ("Using cached notebook" in its log).

The cache keys a record on the notebook's code alone, yet outputs also depend on the Python
modules a notebook imports and on the explorer scripts and stylesheets its widgets embed.
So each run also notes, per record, the project files its outputs came from, with their
hashes (dependencies.json beside the cache), and the next run discards the records whose
files changed. A record without that note (written by an older build, by myst-nb itself, or
while its files were being edited) is discarded too: in doubt, a notebook runs again.

An error in any cell fails the run with the cell's traceback; the notebooks that did run are
still cached. When any notebook ran, Sphinx is made to read every page again (its
environment is removed): it would otherwise keep the old outputs of a page whose source is unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import pathlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime
from typing import Callable, Iterable, Iterator, NamedTuple

import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

ROOT = pathlib.Path(__file__).resolve().parents[1]
CACHE_DIR = ROOT / "_build" / ".jupyter_cache"
# Beside the cache (removing the cache removes it): {record hashkey: files and their hashes}
DEPENDENCIES_NAME = "dependencies.json"
# Sphinx re-reads a page only when its source changed; a notebook run again for another
# reason would keep its old outputs. Without this file, Sphinx reads every page afresh.
SPHINX_ENVIRONMENT = ROOT / "_build" / ".doctrees" / "environment.pickle"
# Files every notebook depends on: the pinned libraries shape every output.
SHARED_DEPENDENCIES = ("requirements.txt",)

# Appended to the notebook while it runs (and removed before caching): the source files of
# every module the kernel imported, and where its Python's own libraries live.
PROBE = """\
import json as _json, sys as _sys
print(_json.dumps({"prefixes": sorted({_sys.prefix, _sys.base_prefix}),
                   "modules": sorted({f for m in list(_sys.modules.values())
                                      if isinstance(f := getattr(m, "__file__", None), str)})}))
"""


# ---------------------------------------------------------------------------------
# What a notebook's outputs depend on (pure functions of an executed notebook and files)

def file_hash(path: str) -> str | None:
    """SHA-256 of a file's bytes; None when it does not exist."""
    try:
        return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def project_modules(module_files: Iterable[str], prefixes: Iterable[str]) -> list[str]:
    """The imported module files that are not installed libraries: the project's own code.

    An installed library lives in site-packages or under the interpreter's prefix; the
    project's package (installed editable) and any local module live elsewhere.
    """
    prefixes = tuple(str(pathlib.Path(p)) + os.sep for p in prefixes)
    return sorted(
        f for f in module_files
        if not f.startswith(prefixes)
        and not {"site-packages", "dist-packages"} & set(pathlib.Path(f).parts)
        and pathlib.Path(f).is_file()
    )


def package_assets(modules: Iterable[str]) -> list[str]:
    """Files other than Python in the folders of the imported project packages (scripts, styles)."""
    assets = set()
    for module in modules:
        if pathlib.Path(module).name == "__init__.py":
            for path in pathlib.Path(module).parent.rglob("*"):
                if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                    assets.add(str(path))
    return sorted(assets)


def _strings(node) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def embedded_assets(notebook: nbformat.NotebookNode, assets: Iterable[str]) -> list[str]:
    """The assets whose text appears in the notebook's outputs or widget state.

    An explorer's widget state embeds its script and stylesheet, so this is exactly the set
    of explorer assets the notebook displayed.
    """
    texts = list(_strings(notebook.metadata.get("widgets", {})))
    texts += [s for cell in notebook.cells for s in _strings(cell.get("outputs", []))]
    found = []
    for asset in assets:
        try:
            content = pathlib.Path(asset).read_text(encoding="utf-8").strip()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        if content and any(content in text for text in texts):
            found.append(asset)
    return found


def notebook_dependencies(executed: nbformat.NotebookNode, module_files: Iterable[str],
                          prefixes: Iterable[str], root: pathlib.Path = ROOT) -> dict[str, str | None]:
    """{file: hash} of what an executed notebook's outputs depend on.

    The project modules it imported, the package assets its outputs embed, and the files
    every notebook depends on.
    """
    modules = project_modules(module_files, prefixes)
    files = modules + embedded_assets(executed, package_assets(modules))
    files += [str(root / name) for name in SHARED_DEPENDENCIES]
    return {path: file_hash(path) for path in sorted(set(files))}


def changed_files(recorded: dict[str, str | None] | None,
                  current_hash: Callable[[str], str | None] = file_hash) -> list[str] | None:
    """The recorded files whose hash changed; None when there is no record (run it again)."""
    if recorded is None:
        return None
    return [path for path, digest in recorded.items() if current_hash(path) != digest]


# ---------------------------------------------------------------------------------
# The book's notebooks and myst-nb's execution settings

def book_notebooks(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """The notebooks _toc.yml lists, in its order."""
    def files(node) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("root", "file") and isinstance(value, str):
                    yield value
                else:
                    yield from files(value)
        elif isinstance(node, list):
            for value in node:
                yield from files(value)

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    paths = [root / (name if name.endswith(".ipynb") else name + ".ipynb") for name in files(toc)]
    return [p for p in paths if p.is_file()]


def execution_settings(root: pathlib.Path = ROOT) -> dict:
    """myst-nb's `execute` settings from _config.yml (this script must run notebooks alike)."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")).get("execute", {})
    if config.get("execute_notebooks") != "cache" or config.get("run_in_temp", False):
        raise ValueError("_config.yml: execute.execute_notebooks must be 'cache' and run_in_temp false "
                         "for tools/execute_book.py to fill the cache myst-nb reads")
    return {"timeout": config.get("timeout", 30), "allow_errors": config.get("allow_errors", False)}


def read_notebook(path: pathlib.Path) -> nbformat.NotebookNode:
    """Read as myst-nb reads a .ipynb, so that the cache key is the one it looks up."""
    return nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)


# ---------------------------------------------------------------------------------
# Execution

class Executed(NamedTuple):
    path: pathlib.Path
    notebook: nbformat.NotebookNode | None
    seconds: float
    traceback: str | None
    probe: dict | None


def execute(path: pathlib.Path, timeout: int, allow_errors: bool) -> Executed:
    """Run one notebook as myst-nb would, plus the probe cell; return it without the probe."""
    notebook = read_notebook(path)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    result = single_nb_execution(notebook, cwd=str(path.parent), timeout=timeout,
                                 allow_errors=allow_errors, meta_override=True)
    if result.err is not None:
        # The error's text is the failing cell and the kernel's traceback (not nbclient's own stack)
        return Executed(path, None, result.time, str(result.err), None)
    probe_cell = notebook.cells.pop()
    stdout = "".join(o.get("text", "") for o in probe_cell.outputs if o.get("name") == "stdout")
    return Executed(path, notebook, result.time, None, json.loads(stdout))


def load_dependencies(cache_dir: pathlib.Path) -> dict:
    try:
        return json.loads((cache_dir / DEPENDENCIES_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def save_dependencies(dependencies: dict, cache, cache_dir: pathlib.Path) -> None:
    """Write the notes of the records still in the cache (atomically)."""
    kept = {record.hashkey for record in cache.list_cache_records()}
    dependencies = {key: value for key, value in dependencies.items() if key in kept}
    temporary = cache_dir / (DEPENDENCIES_NAME + ".tmp")
    temporary.write_text(json.dumps(dependencies, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(cache_dir / DEPENDENCIES_NAME)


def to_execute(notebooks: list[pathlib.Path], cache, dependencies: dict) -> list[pathlib.Path]:
    """The notebooks without a valid cache record; discards the records whose files changed."""
    pending = []
    for path in notebooks:
        try:
            record = cache.match_cache_notebook(read_notebook(path))
        except KeyError:
            pending.append(path)
            continue
        changed = changed_files(dependencies.get(record.hashkey, {}).get("files"))
        if changed == []:
            continue
        why = "no record of its dependencies" if changed is None else "changed: " + ", ".join(
            os.path.relpath(p) for p in changed[:3]) + (" ..." if len(changed) > 3 else "")
        print(f"{os.path.relpath(path)}: re-executing ({why})", flush=True)
        cache.remove_cache(record.pk)
        pending.append(path)
    return pending


def committed_seconds(notebook: nbformat.NotebookNode) -> float:
    """Seconds the cells took when the notebook was last executed and saved (nbclient's timings)."""
    total = 0.0
    for cell in notebook.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        with contextlib.suppress(KeyError, ValueError):
            total += (datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                      - datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
                      ).total_seconds()
    return total


def expected_seconds(path: pathlib.Path, dependencies: dict) -> float:
    """The notebook's last time in this cache, else its committed cell timings (longest runs first)."""
    times = [note["seconds"] for note in dependencies.values() if note.get("notebook") == str(path)]
    return max(times) if times else committed_seconds(read_notebook(path))


def fill_cache(notebooks: list[pathlib.Path], cache_dir: pathlib.Path, jobs: int, timeout: int,
               allow_errors: bool = False) -> tuple[list[pathlib.Path], list[Executed]]:
    """Execute, `jobs` at a time, the notebooks whose cache record is missing or out of date.

    Returns the notebooks executed successfully and the failures (with their tracebacks).
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = get_cache(cache_dir)
    dependencies = load_dependencies(cache_dir)
    pending = to_execute(notebooks, cache, dependencies)
    pending.sort(key=lambda p: expected_seconds(p, dependencies), reverse=True)
    if pending:
        print(f"Executing {len(pending)} notebook(s), {min(jobs, len(pending))} at a time", flush=True)
    started = time.time()
    executed, failures = [], []
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(pending)))) as pool:
        futures = [pool.submit(execute, path, timeout, allow_errors) for path in pending]
        for future in as_completed(futures):
            done = future.result()
            if done.traceback is not None:
                print(f"{os.path.relpath(done.path)}: FAILED after {done.seconds:.1f} s", flush=True)
                failures.append(done)
                continue
            record = cache.cache_notebook_bundle(
                CacheBundleIn(done.notebook, str(done.path), data={"execution_seconds": done.seconds}),
                check_validity=False, overwrite=True)
            files = notebook_dependencies(done.notebook, done.probe["modules"], done.probe["prefixes"])
            # A file edited while the notebook ran may differ from what it used: note nothing,
            # so the next build runs it again.
            if all(os.path.getmtime(f) < started for f in files if os.path.exists(f)):
                dependencies[record.hashkey] = {"notebook": str(done.path), "seconds": round(done.seconds, 2),
                                                "files": files}
                save_dependencies(dependencies, cache, cache_dir)  # kept if the run is interrupted
            executed.append(done.path)
            print(f"{os.path.relpath(done.path)}: executed in {done.seconds:.1f} s "
                  f"({len(files)} files it depends on)", flush=True)
    save_dependencies(dependencies, cache, cache_dir)
    return executed, failures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="notebooks executed at once (default: the number of cores)")
    args = parser.parse_args(argv)
    settings = execution_settings()
    executed, failures = fill_cache(book_notebooks(), CACHE_DIR, args.jobs,
                                    settings["timeout"], settings["allow_errors"])
    if executed and SPHINX_ENVIRONMENT.exists():
        print(f"{len(executed)} notebook(s) have new outputs: Sphinx reads every page again", flush=True)
        SPHINX_ENVIRONMENT.unlink()
    for failure in failures:
        print(f"\n{os.path.relpath(failure.path)} failed:\n{failure.traceback}", file=sys.stderr)
    if failures:
        print(f"{len(failures)} notebook(s) failed to execute: "
              + ", ".join(os.path.relpath(f.path) for f in failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
