"""Grade a folder of submissions: ``python tools/grade.py SUBMISSIONS grades.csv``.

Every ``ID.ipynb`` in SUBMISSIONS (or ``ID/`` holding one notebook, as a course platform's export
does) is one student's submission. Each is graded by Otter-Grader's own grading (``otter run``:
execute the notebook, then run the autograder's hidden tests) against the assignment's
``autograder.zip``, in a process of its own:

* in a scratch copy (the submission and the autograder), with ``HOME``, the temporary folder and
  the working folder inside it, removed afterwards;
* with a wall-clock limit per submission (``--time-limit``), after which the whole process tree
  is killed, and with limits on the size of any file it writes and on its memory;
* every process it started is killed when it ends, including any it detached.

A submission that cannot be graded (not a notebook, too slow, a crashed kernel, Otter unable to
read its results) gets a row with ``grading_failed=yes`` and the reason; the others are graded as
usual. The gradebook (one row per student, sorted, points per question and the total, no
timestamps) is written to a temporary file and then renamed over OUT, so an interrupted run leaves
the previous gradebook whole. Beside it, ``OUT_STEM-feedback/ID.md`` tells each student the points
per question and the checker's message for each question that lost points.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import assignment  # noqa: E402  (tools/ is a folder of scripts, not a package)

DEFAULT_TIME_LIMIT = 300  # seconds per submission; the quick challenge and the rest take ~1 min
MAX_NOTEBOOK_BYTES = 20 * 2**20
MAX_WRITTEN_BYTES = 64 * 2**20  # any one file the submission's processes write, logs included
MAX_MEMORY_BYTES = 8 * 2**30  # address space per process
MARKER = "TRANSPOSED_CONV_GRADING"  # in the environment of every process a submission starts


@dataclass
class Graded:
    """One student's row: points per question, or the reason grading failed."""

    student: str
    questions: dict = field(default_factory=dict)  # name -> {"score", "possible", "cases"}
    reason: str = ""
    seconds: float = 0.0  # wall-clock time its grading took (logged, not in the gradebook)

    @property
    def failed(self):
        return bool(self.reason)


# ---------------------------------------------------------------------------------------------
# Inside the sandbox: grade one notebook with Otter and write plain JSON
# ---------------------------------------------------------------------------------------------

def _checker_message(message):
    """The assertion's text from Otter's "...Error at line N in test T:\n<line>\nType: text"."""
    lines = (message or "").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Error at line")]
    text = "\n".join(lines[starts[0] + 2:]) if starts else "\n".join(lines)
    return text.removeprefix("AssertionError: ")


def grade_here(submission, autograder, result):
    """Run Otter's grading on ``submission``; write every test case's outcome to ``result``."""
    from otter.api import grade_submission

    results = grade_submission(submission, autograder, quiet=True)
    if results.has_catastrophic_failure():
        raise RuntimeError(f"the notebook stopped the graded tests before they finished (Otter "
                           f"found no results: {results.catastrophic_error})")
    questions = {}
    for name, test_file in results.results.items():
        cases = [{"passed": bool(r.passed), "message": _checker_message(r.message)}
                 for r in test_file.test_case_results]
        questions[name] = {"score": float(test_file.score), "possible": float(test_file.possible),
                           "cases": cases}
    Path(result).write_text(json.dumps(questions, indent=1, sort_keys=True), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Outside: one sandboxed process per submission
# ---------------------------------------------------------------------------------------------

def find_submissions(folder):
    """(student id, notebook path) for ``ID.ipynb`` files and ``ID/`` folders with one notebook."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"submissions must be a folder, got {folder}")
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append((entry.stem, entry))
        elif entry.is_dir():
            notebooks = sorted(entry.glob("*.ipynb"))
            # An empty folder or one with several notebooks is still a student: grading fails.
            found.append((entry.name, notebooks[0] if len(notebooks) == 1 else entry))
    return found


def _not_gradable(path):
    """Why ``path`` is not a notebook this grader can run, or '' when it is one."""
    import nbformat

    if path.is_dir():
        count = len(list(path.glob("*.ipynb")))
        return f"expected one notebook in the folder, found {count}"
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        return f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB"
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as error:  # noqa: BLE001 - any reason is the student's row
        first_line = (str(error).strip().splitlines() or [""])[0][:200]
        return f"not a notebook ({type(error).__name__}: {first_line})"
    return ""


def _limit_resources():
    """Caps on file size, memory and core dumps; set first thing in the sandboxed process, so
    the kernel that runs the student's code inherits them."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_WRITTEN_BYTES, MAX_WRITTEN_BYTES))
    resource.setrlimit(resource.RLIMIT_AS, (MAX_MEMORY_BYTES, MAX_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _kill_everything_from(scratch):
    """Kill every process that carries this submission's marker (detached ones included)."""
    import psutil

    mine = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(MARKER) == str(scratch):
                mine.append(process)
        except (psutil.Error, OSError):
            continue
    for process in mine:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(mine, timeout=10)


def _sandbox_env(scratch):
    home = scratch / "home"
    tmp = scratch / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        MARKER: str(scratch),
    }
    return env


def _last_line(log):
    lines = [line for line in log.splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else "no output"


def grade_submission(student, path, autograder, time_limit):
    """Grade one submission in its own sandboxed process; never raises for the student's sake."""
    start = time.perf_counter()
    row = _grade_in_sandbox(student, path, autograder, time_limit)
    row.seconds = time.perf_counter() - start
    return row


def _grade_in_sandbox(student, path, autograder, time_limit):
    reason = _not_gradable(path)
    if reason:
        return Graded(student, reason=reason)
    scratch = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        work = scratch / "work"
        work.mkdir()
        shutil.copyfile(path, work / "submission.ipynb")
        shutil.copyfile(autograder, scratch / "autograder.zip")
        log_path, result = scratch / "log.txt", scratch / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--one",
                   "submission.ipynb", "--autograder", str(scratch / "autograder.zip"),
                   "--result", str(result)]
        with open(log_path, "wb") as log:
            child = subprocess.Popen(command, cwd=work, env=_sandbox_env(scratch), stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
            try:
                returncode = child.wait(timeout=time_limit)
            except subprocess.TimeoutExpired:
                returncode = None
            finally:
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                child.wait()
                _kill_everything_from(scratch)
        if returncode is None:
            return Graded(student, reason=f"time limit of {time_limit:g} s exceeded")
        text = log_path.read_bytes()[-20000:].decode("utf-8", "replace").replace(str(scratch), ".")
        if returncode != 0:
            return Graded(student, reason=f"grading stopped (exit {returncode}): "
                                          f"{_last_line(text)}")
        if not result.is_file() or result.stat().st_size > MAX_WRITTEN_BYTES:
            return Graded(student, reason="no results were written")
        return Graded(student, questions=json.loads(result.read_text(encoding="utf-8")))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The gradebook and the feedback
# ---------------------------------------------------------------------------------------------

def _points(value):
    return f"{value:.2f}"


def gradebook_csv(rows, columns):
    """The gradebook as CSV text: sorted by student, fixed columns, two decimals, no dates."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *columns, "total", "grading_failed", "reason"])
    for row in sorted(rows, key=lambda r: r.student):
        if row.failed:
            writer.writerow([row.student, *[""] * len(columns), "", "yes", row.reason])
            continue
        scores = [row.questions[name]["score"] if name in row.questions else 0.0
                  for name in columns]
        writer.writerow([row.student, *map(_points, scores), _points(sum(scores)), "no", ""])
    return buffer.getvalue()


def feedback_markdown(row, columns):
    """One student's feedback: points per question and the checker's message where lost."""
    lines = [f"# Feedback for {row.student}", ""]
    if row.failed:
        return "\n".join(lines + [
            f"Your notebook could not be graded: {row.reason}.", "",
            "Run it from top to bottom in a fresh kernel (Kernel > Restart and run all) with the "
            "challenge in quick mode, make sure it finishes, and hand it in again.", ""])
    graded = [(name, row.questions.get(name, {"score": 0.0, "possible": 0.0, "cases": []}))
              for name in columns]
    total = sum(q["score"] for _, q in graded)
    possible = sum(q["possible"] for _, q in graded)
    lines += [f"**Total: {_points(total)} of {_points(possible)} points.**", "",
              "| Question | Points | Out of |", "|---|---:|---:|"]
    lines += [f"| {name} | {_points(q['score'])} | {_points(q['possible'])} |"
              for name, q in graded]
    for name, q in graded:
        failed = [n for n, case in enumerate(q["cases"], 1) if not case["passed"]]
        if not failed:
            continue
        lines += ["", f"## {name}: {_points(q['score'])} of {_points(q['possible'])}", "",
                  f"{len(q['cases']) - len(failed)} of {len(q['cases'])} cases passed; failed: "
                  f"{', '.join(map(str, failed))}."]
        messages = []
        for n in failed:
            message = q["cases"][n - 1]["message"]
            if message not in messages:
                messages.append(message)
        for message in messages:
            lines += ["", "```text", message, "```"]
    return "\n".join(lines) + "\n"


def _write_atomically(path, text):
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def question_columns(autograder):
    """The questions of ``autograder`` (its tests/NAME.py), in the notebook's order."""
    with zipfile.ZipFile(autograder) as archive:
        names = {Path(n).stem for n in archive.namelist()
                 if n.startswith("tests/") and n.endswith(".py")}
    order = assignment.question_names()
    return [n for n in order if n in names] + sorted(names - set(order))


def feedback_folder(out_csv):
    out_csv = Path(out_csv)
    return out_csv.with_name(f"{out_csv.stem}-feedback")


def grade_folder(submissions, out_csv, autograder, time_limit=DEFAULT_TIME_LIMIT, jobs=1,
                 log=print):
    """Grade every submission in ``submissions``; write the gradebook and the feedback files."""
    if time_limit <= 0:
        raise ValueError(f"time_limit must be > 0 seconds, got {time_limit}")
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    autograder = Path(autograder)
    if not autograder.is_file():
        raise ValueError(f"autograder must be an autograder.zip file, got {autograder}")
    found = find_submissions(submissions)
    columns = question_columns(autograder)
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_submission, student, path, autograder, time_limit): student
                   for student, path in found}
        for future in concurrent.futures.as_completed(futures):
            row = future.result()
            rows.append(row)
            status = f"failed: {row.reason}" if row.failed else "graded"
            log(f"{row.student}: {status} ({row.seconds:.0f} s)")
    feedback = feedback_folder(out_csv)
    for row in rows:
        _write_atomically(feedback / f"{row.student}.md", feedback_markdown(row, columns))
    _write_atomically(out_csv, gradebook_csv(rows, columns))
    return sorted(rows, key=lambda r: r.student)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python tools/grade.py",
        description="Grade every notebook in SUBMISSIONS into a CSV gradebook and feedback files.")
    parser.add_argument("submissions", nargs="?", help="folder of ID.ipynb (or ID/ folders)")
    parser.add_argument("out_csv", nargs="?", help="gradebook to write, e.g. grades.csv")
    parser.add_argument("--assignment", help="folder written by tools/assignment.py (default: "
                                             "write a fresh one into _build/grading/assignment)")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT,
                        help=f"seconds per submission (default {DEFAULT_TIME_LIMIT})")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once (default: the number of cores)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--autograder", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # inside the sandbox
        _limit_resources()
        try:
            grade_here(args.one, args.autograder, args.result)
        except Exception as error:  # noqa: BLE001 - the reason goes into the student's row
            print(f"{type(error).__name__}: {str(error).strip()[:300]}", file=sys.stderr)
            return 1
        return 0
    if not (args.submissions and args.out_csv):
        parser.error("SUBMISSIONS and OUT_CSV are required")
    if args.assignment:
        autograder = Path(args.assignment) / "autograder" / "autograder.zip"
    else:
        _, autograder = assignment.write_assignment(ROOT / "_build" / "grading" / "assignment",
                                                    force=True)
    start = time.perf_counter()
    try:
        rows = grade_folder(args.submissions, args.out_csv, autograder, args.time_limit,
                            args.jobs)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = sum(row.failed for row in rows)
    print(f"graded {len(rows) - failed} of {len(rows)} submission(s) in "
          f"{time.perf_counter() - start:.0f} s; gradebook {args.out_csv}, feedback in "
          f"{feedback_folder(args.out_csv)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
