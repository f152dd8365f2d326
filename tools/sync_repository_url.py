"""Copy the repository URL of _config.yml into every place that repeats it.

_config.yml (`repository.url` and `repository.branch`) is the one place that names the
repository. This script writes it into:

- the setup cell of every notebook in chapters/ (its first code cell, tagged remove-cell), which
  installs the `widgets` package from the repository where it is missing (Colab, a downloaded
  notebook) and turns on Colab's widget manager;
- the `pip install "git+..."` lines of README.md and book/index.md.

    python tools/sync_repository_url.py          # rewrite every copy that differs
    python tools/sync_repository_url.py --check  # list the copies that differ, exit 1 if any

Only the setup cell's source changes in a notebook: its outputs and the other cells stay as
they are, so no notebook needs to run again.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
INSTALL_LINE_FILES = ("README.md", "book/index.md")
INSTALL_LINE = re.compile(r'pip install "git\+[^"]*"')

SETUP_CELL = '''\
# Setup for Colab, or for a copy of this notebook downloaded from the book:
# install the chapter's `widgets` package where it is missing (pip keeps every
# package already there). Where it is installed, this cell does nothing.
try:
    import widgets
except ImportError:
    print(
        "Installing the chapter's widgets package:",
        "pip install {pip_url}",
    )
    %pip install --quiet "{pip_url}"
try:
    # Colab draws third-party widgets only once asked to.
    from google.colab import output

    output.enable_custom_widget_manager()
except ImportError:
    pass'''


def repository(root: pathlib.Path = ROOT) -> tuple[str, str]:
    """(url, branch) from _config.yml's `repository` section."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    section = config.get("repository") or {}
    url, branch = section.get("url"), section.get("branch")
    if not isinstance(url, str) or not re.fullmatch(r"https://[^\s\"']+", url):
        raise ValueError(f"repository.url in _config.yml must be an https:// URL, got {url!r}")
    if not isinstance(branch, str) or not re.fullmatch(r"[\w./-]+", branch):
        raise ValueError(f"repository.branch in _config.yml must be a branch name, got {branch!r}")
    return url.rstrip("/"), branch


def pip_url(root: pathlib.Path = ROOT) -> str:
    """What pip installs the package from: git+<url>@<branch>."""
    url, branch = repository(root)
    return f"git+{url}@{branch}"


def setup_cell_source(root: pathlib.Path = ROOT) -> str:
    return SETUP_CELL.format(pip_url=pip_url(root))


def install_line(root: pathlib.Path = ROOT) -> str:
    return f'pip install "{pip_url(root)}"'


def _setup_cell(notebook: dict, path: pathlib.Path) -> dict:
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    if not code_cells or "remove-cell" not in code_cells[0].get("metadata", {}).get("tags", []):
        raise ValueError(f"{path}: the first code cell must be the setup cell, tagged remove-cell")
    return code_cells[0]


def _source_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _sync_notebook(path: pathlib.Path, source: str, write: bool) -> bool:
    """True if the setup cell of `path` differs from `source` (rewritten when `write`)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cell = _setup_cell(notebook, path)
    if "".join(cell["source"]) == source:
        return False
    if write:
        cell["source"] = _source_lines(source)
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def _sync_text(path: pathlib.Path, line: str, write: bool) -> bool:
    """True if an install line of `path` differs from `line` (rewritten when `write`)."""
    text = path.read_text(encoding="utf-8")
    if not INSTALL_LINE.search(text):
        raise ValueError(f"{path}: no `pip install \"git+...\"` line to keep in sync")
    synced = INSTALL_LINE.sub(lambda _: line, text)
    if synced == text:
        return False
    if write:
        path.write_text(synced, encoding="utf-8")
    return True


def sync(root: pathlib.Path = ROOT, write: bool = True) -> list[str]:
    """Bring every copy in line with _config.yml; return the paths that differed."""
    source, line = setup_cell_source(root), install_line(root)
    differing = [
        str(path.relative_to(root))
        for path in sorted((root / "chapters").glob("*.ipynb"))
        if _sync_notebook(path, source, write)
    ]
    differing += [name for name in INSTALL_LINE_FILES if _sync_text(root / name, line, write)]
    return differing


def check(root: pathlib.Path = ROOT) -> list[str]:
    """The paths whose copy of the repository URL differs from _config.yml; changes nothing."""
    return sync(root, write=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report the copies that differ; exit 1 if any")
    args = parser.parse_args(argv)
    differing = sync(write=not args.check)
    for path in differing:
        print(f"{'differs from _config.yml' if args.check else 'updated'}: {path}")
    if args.check and differing:
        print("Run `make sync-url` (or python tools/sync_repository_url.py) to update them.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
