"""One repository URL: _config.yml names it, and nothing in the repository names another.

Two checks that do not depend on each other: tools/sync_repository_url.py's own check (every
notebook's setup cell and every install line is what the script would write), and a scan of every
file tracked by git for a GitHub, Pages, Binder or Colab link to a repository other than the
configured one.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import sync_repository_url as sync  # noqa: E402

# Files that cite other projects by their GitHub address, as they should: the bibliography, and
# npm's lock file (where each JavaScript package comes from).
CITING_OTHERS = {"book/references.bib", "book/package-lock.json"}
EXAMPLES = "tests/test_repository_url.py"  # this file: made-up links that the scan must catch
NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
# owner/name after github.com/, or after a Binder or Colab prefix that opens a notebook from GitHub
REPOSITORY_LINK = re.compile(
    rf"(?:github\.com|mybinder\.org/v2/gh|colab\.research\.google\.com/github)/({NAME})/({NAME})(/[a-z]+/?)?"
)
PAGES_LINK = re.compile(rf"\b({NAME})\.github\.io/({NAME})")
# (a backslash ends it too: in a notebook's JSON the closing quote is escaped)
GIT_INSTALL = re.compile(r"git\+https?://[^\s\"'`)\\]+")
# A link to one page of another project (an issue, a file) is a citation, never a copy of ours.
PAGE_OF_A_PROJECT = {"/issues/", "/pull/", "/blob/", "/tree/", "/releases/", "/discussions/", "/commit/"}


def configured_repository() -> tuple[str, str]:
    url, _ = sync.repository()
    match = re.fullmatch(rf"https://github\.com/({NAME})/({NAME})", url)
    assert match, f"repository.url in _config.yml is not a GitHub repository: {url}"
    return match.group(1), match.group(2)


def tracked_text_files():
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in filter(None, names.stdout.split("\0")):
        path = ROOT / name
        try:
            yield name, path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary, or deleted in the work tree


def foreign_links(text: str, owner: str, name: str) -> list[str]:
    """Links in `text` that name a repository other than owner/name (citations of pages excepted)."""
    ours = {(owner.lower(), name.lower()), (owner.lower(), name.lower().removesuffix(".git"))}
    found = []
    for match in REPOSITORY_LINK.finditer(text):
        link_owner, link_name = match.group(1).lower(), match.group(2).lower().removesuffix(".git")
        if (link_owner, link_name) in ours or (match.group(3) or "/").rstrip("/") + "/" in PAGE_OF_A_PROJECT:
            continue
        found.append(match.group(0))
    for match in PAGES_LINK.finditer(text):
        if (match.group(1).lower(), match.group(2).lower()) != (owner.lower(), name.lower()):
            found.append(match.group(0))
    pip_url = sync.pip_url()
    found += [url for url in GIT_INSTALL.findall(text) if url != pip_url]
    return found


def test_every_copy_is_what_the_script_writes():
    differing = sync.check()
    assert differing == [], f"copies differ from _config.yml (run `make sync-url`): {differing}"


def test_no_tracked_file_names_another_repository():
    owner, name = configured_repository()
    offenders = {}
    for path, text in tracked_text_files():
        if path in CITING_OTHERS or path == EXAMPLES:
            continue
        links = foreign_links(text, owner, name)
        if links:
            offenders[path] = sorted(set(links))
    assert offenders == {}, f"links to a repository other than {owner}/{name} (_config.yml): {offenders}"


def test_the_scan_finds_a_stale_copy():
    text = (
        'pip install "git+https://github.com/someone/old-chapter@main"\n'
        "[launch](https://mybinder.org/v2/gh/someone/old-chapter/main)\n"
        "https://someone.github.io/old-chapter/\n"
        "as reported in https://github.com/googlecolab/colabtools/issues/3020\n"
    )
    owner, name = configured_repository()
    assert foreign_links(text, owner, name) == [
        "github.com/someone/old-chapter",
        "mybinder.org/v2/gh/someone/old-chapter/main",
        "someone.github.io/old-chapter",
        "git+https://github.com/someone/old-chapter@main",
    ]


@pytest.fixture
def repository_copy(tmp_path):
    """The files the script reads and writes, copied, so a test can change them."""
    for name in ["_config.yml", "README.md", "book/index.md", *map(str, (ROOT / "chapters").glob("*.ipynb"))]:
        source = ROOT / name
        target = tmp_path / source.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return tmp_path


def _set_repository(root: pathlib.Path, url: str, branch: str) -> None:
    config = root / "_config.yml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  url: ).*$", rf"\g<1>{url}", text, count=1)
    text = re.sub(r"(?m)^(  branch: ).*$", rf"\g<1>{branch}", text, count=1)
    config.write_text(text, encoding="utf-8")


def test_a_new_url_reaches_every_copy_and_nothing_else(repository_copy):
    root = repository_copy
    notebooks = sorted((root / "chapters").glob("*.ipynb"))
    before = {path: json.loads(path.read_text(encoding="utf-8")) for path in notebooks}
    _set_repository(root, "https://github.com/someone/my-chapter", "gh-pages")

    expected = [str(p.relative_to(root)) for p in notebooks] + ["README.md", "book/index.md"]
    assert sync.check(root) == expected
    assert sync.sync(root) == expected
    assert sync.check(root) == []

    pip_line = 'pip install "git+https://github.com/someone/my-chapter@gh-pages"'
    assert pip_line in (root / "README.md").read_text(encoding="utf-8")
    assert pip_line in (root / "book/index.md").read_text(encoding="utf-8")
    for path in notebooks:
        after = json.loads(path.read_text(encoding="utf-8"))
        setup = "".join(next(c for c in after["cells"] if c["cell_type"] == "code")["source"])
        assert '%pip install --quiet "git+https://github.com/someone/my-chapter@gh-pages"' in setup
        # Only the setup cell's source changed: every other cell, and its outputs, are as they were.
        changed = [i for i, (a, b) in enumerate(zip(before[path]["cells"], after["cells"])) if a != b]
        assert len(changed) == 1 and after["cells"][changed[0]]["source"] != before[path]["cells"][changed[0]]["source"]
        assert after["cells"][changed[0]]["outputs"] == before[path]["cells"][changed[0]]["outputs"]


@pytest.mark.parametrize(
    ("url", "branch", "message"),
    [
        ("ftp://example.org/chapter", "main", "repository.url"),
        ("https://github.com/someone/my-chapter", "two words", "repository.branch"),
    ],
)
def test_a_bad_repository_entry_is_a_value_error(repository_copy, url, branch, message):
    _set_repository(repository_copy, url, branch)
    with pytest.raises(ValueError, match=message):
        sync.check(repository_copy)


def test_command_line_check_exits_1_on_a_difference(repository_copy):
    script = ROOT / "tools" / "sync_repository_url.py"
    clean = subprocess.run([sys.executable, str(script), "--check"], cwd=ROOT, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # The script works on its own checkout: run a copy of it inside the changed copy.
    (repository_copy / "tools").mkdir()
    shutil.copy(script, repository_copy / "tools" / script.name)
    _set_repository(repository_copy, "https://github.com/someone/my-chapter", "main")
    stale = subprocess.run(
        [sys.executable, "tools/sync_repository_url.py", "--check"], cwd=repository_copy, capture_output=True, text=True
    )
    assert stale.returncode == 1
    assert "differs from _config.yml: README.md" in stale.stdout
