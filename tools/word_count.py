"""Count the prose words of the book, per section and per part.

    python tools/word_count.py [--check]

Prose is the text of the notebooks' Markdown cells, less fenced code blocks, display math and
HTML comments; inline math and inline code count as one word each. A MyST directive's text (an
admonition, a folded answer) is prose the student reads, so it counts; its option lines do not. The parts follow the book's
table of contents: the core path (sections 1-11, what a student reads in one sitting), the
exercises (12-14) and "Going deeper" (15 on). ``--check`` exits non-zero when the core path is
over ``CORE_LIMIT`` words.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
CORE_LIMIT = 12_000
PARTS = {"core": range(1, 12), "exercises": range(12, 15), "going deeper": range(15, 100)}

_FENCED = re.compile(r"^(```+|~~~+)(.*?)$(.*?)^\1", re.S | re.M)
_OPTION = re.compile(r"^:[\w-]+:.*$", re.M)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_INLINE = re.compile(r"\$[^$\n]+\$|`[^`\n]+`")
_WORD = re.compile(r"[^\W_](?:[\w'’.-]*\w)?")


def _fence(match: re.Match) -> str:
    """A directive (```{name} title) keeps its title and body; a code block goes."""
    info, body = match.group(2).strip(), match.group(3)
    if not info.startswith("{"):
        return " "
    title = info.split("}", 1)[1] if "}" in info else ""
    return " " + title + " " + _OPTION.sub(" ", _FENCED.sub(_fence, body)) + " "


def prose_words(markdown: str) -> int:
    """The number of words a reader reads in one Markdown cell."""
    text = _COMMENT.sub(" ", _DISPLAY_MATH.sub(" ", _FENCED.sub(_fence, markdown)))
    text = _INLINE.sub(" x ", text)
    return len(_WORD.findall(text))


def notebook_words(path: Path) -> int:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return sum(prose_words("".join(c["source"])) for c in cells if c["cell_type"] == "markdown")


def counts() -> dict[str, int]:
    """Words per notebook name, in section order."""
    return {path.stem: notebook_words(path) for path in sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))}


def part_of(name: str) -> str:
    number = int(name[:2])
    return next(part for part, numbers in PARTS.items() if number in numbers)


def main(argv: list[str]) -> int:
    per_section = counts()
    totals = dict.fromkeys(PARTS, 0)
    for name, words in per_section.items():
        totals[part_of(name)] += words
        print(f"{name:32} {words:6,}")
    for part, words in totals.items():
        print(f"{'total, ' + part:32} {words:6,}")
    if "--check" in argv and totals["core"] > CORE_LIMIT:
        print(f"the core path has {totals['core']:,} words, over {CORE_LIMIT:,}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
