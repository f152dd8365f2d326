"""List the code lines of the book's notebooks that are wider than the page shows.

    python tools/code_width.py

The book's code blocks show about 80 characters before they scroll sideways, so every line of
every code cell must fit in ``WIDTH``. ``make format`` (ruff, at the same width) wraps what a
formatter can; long strings and comments are wrapped by hand. Exits non-zero when any line is
too wide, printing each as ``notebook:cell-id:line: width``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 80


def wide_lines(path: Path, width: int = WIDTH):
    """(cell id, line number in the cell, width) for each code line wider than ``width``."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        for number, line in enumerate("".join(cell["source"]).splitlines(), start=1):
            if len(line) > width:
                yield cell.get("id", "?"), number, len(line)


def main() -> int:
    found = 0
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        for cell_id, number, width in wide_lines(path):
            print(f"{path.name}:{cell_id}:{number}: {width}")
            found += 1
    print(f"{found} code lines wider than {WIDTH} characters")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
