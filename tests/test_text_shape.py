"""The shape of the book's text: how long the core path is, and how wide its code is.

`tools/word_count.py` counts the prose a student reads; `tools/code_width.py` lists code lines
wider than the book's code blocks show. Both are checked here, on a sample whose answer is
counted by hand, and then on the chapter itself.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import code_width  # noqa: E402
import word_count  # noqa: E402


def test_prose_words_skip_code_and_display_math():
    markdown = ("# A title\n\nThe output has $O$ cells, see `ops.interior`.\n\n"
                "```python\nnot = counted + at_all\n```\n\n$$O = (I-1)S$$\n<!-- hidden -->")
    # A, title, The, output, has, $O$, cells, see, `ops.interior`
    assert word_count.prose_words(markdown) == 9


def test_prose_words_count_what_a_folded_answer_says():
    markdown = ("````{admonition} Answer\n:class: dropdown\nIt is 17.\n"
                "```python\nprint(17)\n```\n````")
    # Answer, It, is, 17: the directive's title and text, not its option or its code
    assert word_count.prose_words(markdown) == 4


def test_parts_follow_the_table_of_contents():
    assert [word_count.part_of(n) for n in ("01_a", "11_b", "12_c", "14_d", "15_e")] == \
        ["core", "core", "exercises", "exercises", "going deeper"]


def test_the_core_path_reads_in_one_sitting():
    per_section = word_count.counts()
    core = sum(words for name, words in per_section.items() if word_count.part_of(name) == "core")
    assert len([n for n in per_section if word_count.part_of(n) == "core"]) == 11
    assert core <= word_count.CORE_LIMIT, f"core path: {core:,} words"


def test_wide_lines_are_found(tmp_path):
    import json
    notebook = {"cells": [{"cell_type": "code", "id": "c1", "source": ["x = 1\n", "y" * 81]},
                          {"cell_type": "markdown", "id": "m1", "source": ["z" * 200]}]}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(notebook))
    assert list(code_width.wide_lines(path)) == [("c1", 2, 81)]


def test_every_code_line_fits_the_page():
    wide = [(path.name, *hit) for path in sorted((ROOT / "chapters").glob("*.ipynb"))
            for hit in code_width.wide_lines(path)]
    assert not wide, f"{len(wide)} code lines wider than {code_width.WIDTH}: {wide[:10]}"


def test_notebook_code_is_formatted_at_the_page_width():
    # `make format` leaves nothing to change: one style everywhere, at the same 80 columns.
    import subprocess
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--line-length", str(code_width.WIDTH),
         str(ROOT / "chapters")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
