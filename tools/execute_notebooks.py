"""Re-execute the chapter's notebooks in place, deterministically, two at a time.

    python tools/execute_notebooks.py [NOTEBOOK ...]    (default: every chapters/*.ipynb)

Each notebook runs top to bottom in a fresh kernel whose working folder is the notebook's own.
The stored notebooks keep their outputs but no widget state: an explorer's output carries its
live widget view (drawn wherever a widget manager runs the notebook), a static SVG picture and a
caption, and without stored state every renderer that runs no kernel (GitHub, nbviewer, a
printout) falls back to that picture instead of an empty widget area. The built book does not
read these files' state either: it executes the notebooks itself.

Run it through `make notebooks`, which sets the fixed thread counts and hash seed that make the
outputs reproducible.
"""

from __future__ import annotations

import pathlib
import sys
from concurrent.futures import ProcessPoolExecutor

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
CELL_TIMEOUT_S = 600
PARALLEL = 2


def execute(path: pathlib.Path) -> str:
    """Execute one notebook in place; return its name once written."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("widgets", None)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nbformat.write(notebook, path)
    return path.name


def main(argv: list[str]) -> int:
    paths = [pathlib.Path(a).resolve() for a in argv] or sorted((ROOT / "chapters").glob("*.ipynb"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    # Longest first (by file size, a fair proxy), so the two workers finish close together.
    paths.sort(key=lambda p: p.stat().st_size, reverse=True)
    with ProcessPoolExecutor(max_workers=PARALLEL) as pool:
        for name in pool.map(execute, paths):
            print(f"executed {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
