"""The autograded assignment (tools/assignment.py) and the folder grader (tools/grade.py).

Built from the chapter's own notebooks: the assignment is generated with Otter-Grader, and a
folder of submissions made from it (the solutions, the untouched student notebook, one with
typical mistakes typed in, one that raises, one that crashes its kernel, one that is not a
notebook) is graded with the command an instructor runs. Three of them (partial credit, an error,
not a notebook) are graded once more beside one that never finishes, under a time limit a few
times what the slowest submission took: they must get their rows and feedback again byte for
byte, and the one that never finishes only a row that says so.
"""

import csv
import io
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: F401 - used by the typed-in mistakes
from torch import nn  # noqa: F401

from widgets import exercises
from widgets.exercises import ExerciseFailed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import assignment  # noqa: E402
import grade  # noqa: E402

POINTS = {name: points for name, points, *_ in assignment.CODING}
FULL_MARKS = (sum(len(answers) for _, answers in assignment.CONCEPTUAL.values())
              + sum(POINTS.values()) + assignment.CHALLENGE_POINTS)

# Typical mistakes, typed in after the worked solution of their exercise: (question, checker,
# the function's name, the code a student might have written).
MISTAKES = [
    ("scatter_add", "check_scatter_add", "scatter_add", """
def scatter_add(x, weight, stride, padding):
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    c_in, height, width = x.shape
    k = weight.shape[2]
    canvas = np.zeros((weight.shape[1], (height - 1) * stride + k, (width - 1) * stride + k))
    for c in range(c_in):
        for i in range(height):
            for j in range(width):
                canvas[:, i * stride:i * stride + k, j * stride:j * stride + k] += x[c, i, j] * weight[c]
    return canvas  # the crop by padding is missing
"""),
    ("uniformity_rule", "check_uniformity_rule", "is_uniform", """
def is_uniform(kernel_size, stride):
    return kernel_size >= stride  # overlap, but not necessarily even overlap
"""),
    ("pixel_shuffle", "check_pixel_shuffle", "pixel_shuffle", """
def pixel_shuffle(x, r):
    n, channels, height, width = x.shape
    c = channels // (r * r)
    x = x.reshape(n, c, r, r, height, width)
    return x.permute(0, 1, 4, 3, 5, 2).reshape(n, c, height * r, width * r)  # r_i, r_j swapped
"""),
]
CONCEPTUAL_MISTAKE = "c1_parameters = 6_000  # the weights, without the biases"

RAISES = """
def scatter_add(x, weight, stride, padding):
    raise KeyboardInterrupt  # not an Exception: it escapes the checker and the graded tests
"""
CRASHES = "import os\nos._exit(3)"
# The challenge trains five generators per arm; one per arm grades the same way in a fifth of
# the time (each submission here would otherwise spend most of its time training).
ALL_SEEDS, ONE_SEED = "SEEDS = range(5)", "SEEDS = range(1)"
# Waits for something that never comes: it holds its grading slot until the time limit, as a
# busy loop would, without taking a core from the tests running beside it.
NEVER_ENDS = "import time\nwhile True:\n    time.sleep(1)"


def _append_to_cell(nb, marker, code):
    cells = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, marker
    cells[0].source += "\n" + code


def _replace_cell(nb, marker, code):
    cell, = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
    cell.source = code


def _insert_first(nb, code):
    nb.cells.insert(1, nbformat.v4.new_code_cell(code))


def mistake_function(name, code):
    namespace = {"np": np, "torch": torch}
    exec(code, namespace)
    return namespace[name]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The assignment, and a folder of submissions made from its two notebooks."""
    out = tmp_path_factory.mktemp("assignment")
    student, autograder = assignment.write_assignment(out, log=lambda line: None)
    solutions = out / "autograder" / f"{assignment.NAME}.ipynb"
    subs = tmp_path_factory.mktemp("submissions")

    def variant(source, target, change=None):
        nb = nbformat.read(source, as_version=4)
        seeds, = [c for c in nb.cells if c.cell_type == "code" and ALL_SEEDS in c.source]
        seeds.source = seeds.source.replace(ALL_SEEDS, ONE_SEED)
        if change:
            change(nb)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)

    def with_mistakes(nb):
        for question, _, name, code in MISTAKES:
            _append_to_cell(nb, f"def {name}(", code)
        _append_to_cell(nb, "c1_parameters =", CONCEPTUAL_MISTAKE)

    def raises(nb):
        # Otter runs a question's tests right after its answer cell: the answer must raise.
        _replace_cell(nb, "def scatter_add(", RAISES)
        # Without the challenge's training (a student may delete cells): a faster test.
        nb.cells = [c for c in nb.cells if "challenge.train_gan(" not in c.source]

    # A platform's export gives a folder per student: alice's is one.
    variant(solutions, subs / "alice" / "transposed_conv.ipynb")
    variant(student, subs / "bob.ipynb")
    variant(solutions, subs / "carol.ipynb", with_mistakes)
    variant(student, subs / "dan.ipynb", raises)
    variant(student, subs / "erin.ipynb", lambda nb: _insert_first(nb, CRASHES))
    (subs / "gina.ipynb").write_text("my answers are in the attached PDF\n")
    variant(student, out / "never_ends" / "frank.ipynb", lambda nb: _insert_first(nb, NEVER_ENDS))
    return out, subs


def run_grade(subs, out_csv, assignment_dir, time_limit, jobs=2):
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "grade.py"), str(subs), str(out_csv),
         "--assignment", str(assignment_dir), "--time-limit", str(time_limit), "--jobs",
         str(jobs)], capture_output=True, text=True, cwd=ROOT)


AGAIN = ("carol", "dan", "gina")  # graded twice: partial credit, an error, not a notebook
GRADED_LINE = re.compile(r"^(\w+): .* \((\d+) s\)$", re.MULTILINE)


def rows_of(csv_bytes):
    return {row["student"]: row for row in csv.DictReader(io.StringIO(csv_bytes.decode()))}


@pytest.fixture(scope="module")
def graded(made, tmp_path_factory):
    """Grade the folder with the instructor's command, then the students of AGAIN once more
    beside frank, whose notebook never ends (a second run of every submission would double the
    time for the same check).

    The second run's limit is a few times the longest a submission took in the first (a busy
    machine gets a longer one): short, so that frank costs little, and safe for the others.
    """
    assignment_dir, subs = made
    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    first = run_grade(subs, out, assignment_dir, grade.DEFAULT_TIME_LIMIT)
    assert first.returncode == 0, first.stdout + first.stderr
    took = {student: int(seconds) for student, seconds in GRADED_LINE.findall(first.stdout)}
    assert sorted(took) == ["alice", "bob", "carol", "dan", "erin", "gina"], first.stdout
    time_limit = max(30, math.ceil(2.5 * max(took.values())))
    again = tmp_path_factory.mktemp("again")
    for student in AGAIN:
        shutil.copy(subs / f"{student}.ipynb", again / f"{student}.ipynb")
    shutil.copy(assignment_dir / "never_ends" / "frank.ipynb", again / "frank.ipynb")
    again_out = again / "grades.csv"
    second = run_grade(again, again_out, assignment_dir, time_limit)
    assert second.returncode == 0, second.stdout + second.stderr
    first_csv, again_csv = out.read_bytes(), again_out.read_bytes()
    feedback = {p.name: p.read_bytes() for p in grade.feedback_folder(out).iterdir()}
    again_feedback = {p.name: p.read_bytes() for p in grade.feedback_folder(again_out).iterdir()}
    return dict(csv=first_csv, rows=rows_of(first_csv), feedback=feedback, first=first,
                again_csv=again_csv, again_rows=rows_of(again_csv),
                again_feedback=again_feedback, time_limit=time_limit)


def feedback_text(graded, student):
    feedback = graded["again_feedback"] if student == "frank" else graded["feedback"]
    return feedback[f"{student}.md"].decode()


def test_the_student_notebook_has_starters_and_no_solution_or_test(made):
    assignment_dir, _ = made
    nb = nbformat.read(assignment_dir / "student" / f"{assignment.NAME}.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    for name in ("scatter_add", "overlap_count", "is_uniform", "build_decoder", "pixel_shuffle"):
        assert f'raise not_implemented("{name}")' in text
    assert "canvas[:, top:top + k" not in text and "case_report" not in text
    assert "c1_parameters = ..." in text and "6_012" not in text
    assert "means = ..." in text and "exercises.check_challenge(" in text
    assert "nbval" not in text


def test_the_gradebook_has_one_sorted_row_per_student(graded):
    lines = graded["csv"].decode().splitlines()
    assert lines[0].split(",") == ["student", *assignment.question_names(), "total",
                                   "grading_failed", "reason"]
    assert [line.split(",")[0] for line in lines[1:]] == ["alice", "bob", "carol", "dan", "erin",
                                                         "gina"]
    assert list(graded["again_rows"]) == ["carol", "dan", "frank", "gina"]


def test_the_solutions_get_full_marks(graded):
    row = graded["rows"]["alice"]
    assert row["grading_failed"] == "no"
    assert float(row["total"]) == FULL_MARKS == 40
    assert "could not" not in feedback_text(graded, "alice")


def test_the_untouched_student_notebook_gets_nothing(graded):
    row = graded["rows"]["bob"]
    assert row["grading_failed"] == "no"
    for question in assignment.question_names():
        assert float(row[question]) == 0, question
    assert "not implemented yet" in feedback_text(graded, "bob")


def test_each_typical_mistake_loses_exactly_its_cases(graded):
    row, text = graded["rows"]["carol"], feedback_text(graded, "carol")
    assert row["grading_failed"] == "no"
    lost = {}
    for question, checker, name, code in MISTAKES:
        fn = mistake_function(name, code)
        report = exercises.case_report(getattr(exercises, checker), fn)
        assert 0 < sum(report.passed) < len(report.passed), question  # a real partial credit
        expected = POINTS[question] * sum(report.passed) / len(report.passed)
        assert row[question] == f"{expected:.2f}", question
        lost[question] = POINTS[question] - expected
        # The feedback shows what the checker shows the student.
        with pytest.raises(ExerciseFailed) as info:
            getattr(exercises, checker)(fn)
        assert str(info.value) in text, question
    assert row["conceptual_1"] == "1.00" and "c1_parameters is not right" in text
    assert float(row["total"]) == pytest.approx(FULL_MARKS - 1 - sum(lost.values()), abs=0.015)
    for question in ("scatter_add", "overlap_counts", "decoders", "challenge"):
        if question not in lost:
            assert float(row[question]) == POINTS.get(question, assignment.CHALLENGE_POINTS)


@pytest.mark.parametrize("student, words", [
    ("dan", ["stopped the graded tests"]),
    ("erin", ["Kernel died"]),
    ("frank", ["time limit of {limit} s exceeded"]),
    ("gina", ["not a notebook", "NotJSONError"]),
])
def test_a_bad_submission_costs_only_its_row(graded, student, words):
    row = (graded["again_rows"] if student == "frank" else graded["rows"])[student]
    words = [word.format(limit=graded["time_limit"]) for word in words]
    assert row["grading_failed"] == "yes" and row["total"] == ""
    for word in words:
        assert word in row["reason"], row["reason"]
        assert word in feedback_text(graded, student)


def test_a_second_run_writes_the_same_bytes(graded):
    # ... beside a submission that ran into the time limit
    first_lines = graded["csv"].decode().splitlines()
    again_lines = [line for line in graded["again_csv"].decode().splitlines()
                   if not line.startswith("frank,")]
    assert again_lines == [first_lines[0]] + [line for line in first_lines[1:]
                                              if line.split(",")[0] in AGAIN]
    again = {name: text for name, text in graded["again_feedback"].items() if name != "frank.md"}
    assert again == {f"{s}.md": graded["feedback"][f"{s}.md"] for s in AGAIN}
    assert "graded 3 of 6 submission(s)" in graded["first"].stdout


def test_an_interrupted_run_leaves_the_previous_gradebook(made, tmp_path):
    assignment_dir, _ = made
    subs = tmp_path / "subs"
    subs.mkdir()
    for student in ("a", "b"):
        (subs / f"{student}.ipynb").write_text("not json")
    out = tmp_path / "grades.csv"
    out.write_text("the previous gradebook\n")

    def interrupt(line):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        grade.grade_folder(subs, out, assignment_dir / "autograder" / "autograder.zip",
                           log=interrupt)
    assert out.read_text() == "the previous gradebook\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv", "subs"]


def test_the_assignment_is_never_overwritten_without_force(made):
    assignment_dir, _ = made
    before = (assignment_dir / "student" / f"{assignment.NAME}.ipynb").read_bytes()
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "assignment.py"),
                             str(assignment_dir)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert "refusing to overwrite" in result.stderr and "FORCE=1" in result.stderr
    assert (assignment_dir / "student" / f"{assignment.NAME}.ipynb").read_bytes() == before


def test_bad_arguments_are_refused(made, tmp_path):
    assignment_dir, subs = made
    zip_path = assignment_dir / "autograder" / "autograder.zip"
    with pytest.raises(ValueError, match="time_limit"):
        grade.grade_folder(subs, tmp_path / "g.csv", zip_path, time_limit=0)
    with pytest.raises(ValueError, match="jobs"):
        grade.grade_folder(subs, tmp_path / "g.csv", zip_path, jobs=0)
    with pytest.raises(ValueError, match="submissions must be a folder"):
        grade.grade_folder(tmp_path / "missing", tmp_path / "g.csv", zip_path)
