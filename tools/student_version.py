"""Write the student version of every chapter notebook: ``python tools/student_version.py OUT``.

For instructors (see the instructor page). For each notebook in ``chapters/``:

* code and markdown cells tagged ``solution`` are removed, with their outputs (in the coding
  exercises the ``starter`` cell before each solution stays, so the student fills that in; in the
  conceptual exercises the worked-solution dropdowns go);
* every other cell is kept as it is, checker calls included;
* the result is still a valid nbformat 4 notebook and runs top to bottom: the starter cells raise
  ``NotImplementedError('not implemented yet: ...')`` (tagged ``raises-exception``) and each
  checker reports "not implemented yet" without failing.

An existing file in ``OUT_DIR`` is never overwritten unless ``--force`` is given. The command
prints one line per file it wrote (or refused to write).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"
STARTER_TAG = "starter"
# A repository tool, not part of the installed package: it reads the checkout's notebooks.
CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def student_notebook(nb):
    """A copy of ``nb`` without its ``solution`` cells; returns (notebook, cells removed)."""
    nb = copy.deepcopy(nb)
    kept = [cell for cell in nb.cells if SOLUTION_TAG not in _tags(cell)]
    removed = len(nb.cells) - len(kept)
    nb.cells = kept
    if removed:
        # Outputs of the remaining cells may show results computed by the removed solutions
        # (a checker's "passed", a figure): clear them so nothing of a solution leaks.
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
                cell.metadata.pop("execution", None)
        # Widget state stored by the instructor's run may describe solution outputs; drop it.
        nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    return nb, removed


def write_student_versions(out_dir, force=False, chapters=CHAPTERS, log=print):
    """Write the student version of every ``*.ipynb`` in ``chapters`` into ``out_dir``.

    Returns the list of paths written. Raises ``FileExistsError`` (before writing anything)
    when a target exists and ``force`` is false.
    """
    out_dir = Path(out_dir)
    sources = sorted(Path(chapters).glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no notebooks found in {chapters}")
    targets = [out_dir / source.name for source in sources]
    existing = [target for target in targets if target.exists()]
    if existing and not force:
        names = ", ".join(str(t) for t in existing)
        raise FileExistsError(f"refusing to overwrite {len(existing)} existing file(s): {names}. "
                              f"Pass --force to overwrite them, or choose an empty folder.")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source, target in zip(sources, targets):
        nb, removed = student_notebook(nbformat.read(source, as_version=4))
        starters = sum(STARTER_TAG in _tags(cell) for cell in nb.cells)
        verb = "overwrote" if target.exists() else "wrote"
        nbformat.write(nb, target)
        written.append(target)
        log(f"{verb} {target} ({removed} solution cell(s) removed, "
            f"{starters} starter cell(s) kept)")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python tools/student_version.py",
        description="Write student versions of the chapter notebooks (solutions removed).")
    parser.add_argument("out_dir", help="folder to write the notebooks into (created if missing)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite notebooks that already exist in OUT_DIR")
    args = parser.parse_args(argv)
    try:
        written = write_student_versions(args.out_dir, force=args.force)
    except (FileExistsError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(written)} student notebook(s) in {Path(args.out_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
