"""The repository stands on its own: nothing points outside it, and its own links resolve.

A reader who clones the repository has only what is in it, so no tracked file may name a design
document kept elsewhere or a path beside the checkout, and every relative link in the README,
ARCHITECTURE.md and the book's pages must lead to a file that is in it.
"""

from __future__ import annotations

import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
THIS_FILE = pathlib.Path(__file__).resolve()

# Lower case; matched against each tracked file's lower-cased bytes: the design notes the project
# started from, the shared folder beside the checkout, and any absolute path into the folder that
# holds the checkout (where a stray output or comment would name this machine's layout).
OUTSIDE_REFERENCES = (b"design.md", b"../shared", str(ROOT.parent).lower().encode() + b"/")

LINKED_DOCUMENTS = ["README.md", "ARCHITECTURE.md", "LICENSE-TEXT.md", *sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "book").glob("*.md"))]

FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
# {doc}`text <target>` or {doc}`target` (MyST): a page of the book, named without its suffix
DOC_ROLE = re.compile(r"\{doc\}`(?:[^`<]*<([^`>]+)>|([^`<]+))`")
# [text](target) and ![alt](target), and reference definitions: [label]: target
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)


def tracked_files() -> list[pathlib.Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.fail(f"cannot list the tracked files with git: {error}")
    return [ROOT / name for name in listed.decode().split("\0") if name]


def is_external(target: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I)) or target.startswith(("#", "//"))


def relative_links(text: str) -> tuple[list[str], list[str]]:
    """(file links, {doc} page targets) of a Markdown/MyST text, outside code."""
    text = FENCED_BLOCK.sub("", text)
    pages = [a or b for a, b in DOC_ROLE.findall(text)]
    text = INLINE_CODE.sub("", DOC_ROLE.sub("", text))
    files = INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)
    return [t for t in files if not is_external(t)], [t.strip() for t in pages]


def test_no_tracked_file_points_outside_the_repository():
    files = [path for path in tracked_files() if path.is_file() and path != THIS_FILE]
    assert len(files) > 50, "expected the whole repository"
    offenders = [
        f"{path.relative_to(ROOT)}: {needle.decode()}"
        for path in files
        for needle in OUTSIDE_REFERENCES
        if needle in path.read_bytes().lower()
    ]
    assert offenders == [], "outside the repository (point to ARCHITECTURE.md instead):\n" + "\n".join(offenders)


@pytest.mark.parametrize("name", LINKED_DOCUMENTS)
def test_relative_links_resolve(name):
    document = ROOT / name
    files, pages = relative_links(document.read_text(encoding="utf-8"))
    broken = []
    for target in files:
        path = (document.parent / target.split("#")[0]).resolve()
        if not path.exists() or ROOT not in (path, *path.parents):
            broken.append(target)
    for target in pages:
        base = (document.parent / target.split("#")[0]).resolve()
        if not any(base.with_name(base.name + suffix).is_file() for suffix in (".md", ".ipynb")):
            broken.append(f"{{doc}} {target}")
    assert broken == [], f"{name}: links to nothing in the repository: {broken}"


def test_the_documents_link_to_each_other():
    # Keeps the link check above from passing on documents that have no links at all.
    readme_links, _ = relative_links((ROOT / "README.md").read_text(encoding="utf-8"))
    architecture_links, _ = relative_links((ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"))
    assert {"ARCHITECTURE.md", "LICENSE", "LICENSE-TEXT.md"} <= set(readme_links)
    assert {"README.md", "LICENSE", "LICENSE-TEXT.md"} <= set(architecture_links)


def test_link_parser_finds_links_and_ignores_code():
    text = (
        "See [the guide](docs/guide.md#top), ![a figure](img/f.svg) and {doc}`a page <../chapters/x>`.\n"
        "[ref]: LICENSE\n"
        "Not links: `[x](inline.md)`, [site](https://example.org), [here](#anchor).\n"
        "```\n[y](fenced.md)\n```\n"
    )
    files, pages = relative_links(text)
    assert sorted(files) == ["LICENSE", "docs/guide.md#top", "img/f.svg"]
    assert pages == ["../chapters/x"]


def test_the_package_ships_its_licence():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^license = "MIT"$', pyproject, re.M)
    assert re.search(r'^license-files = \["LICENSE"\]$', pyproject, re.M)
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
