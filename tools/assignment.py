"""Write the autograded assignment: ``python tools/assignment.py OUT [--force]``.

The assignment is an Otter-Grader master notebook built from the chapter's own notebooks:

* the numeric parts of the conceptual exercises (``12_exercises``), one answer cell each;
* the four coding exercises (``13_coding_exercises``): prompt, hint, the starter cell the student
  fills in, the worked solution (removed from the student's copy) and the checker cell;
* the challenge (``14_challenge``) in quick mode, with the numbers of its deliverable: each arm's
  mean checkerboard energy over five seeds, and the arms with the highest and the lowest mean
  (the prediction and the explanation are read by the instructor).

The coding questions have one hidden test per checker case, each calling
``widgets.exercises.case_report``: the grade comes from the same checkers students run, and a
question's points are shared equally by its cases. ``otter assign`` then writes

    OUT/source/       the master notebook (Otter's format) and the grading image's requirements
    OUT/student/      the notebook to hand out (no solutions, no tests)
    OUT/autograder/   the solutions notebook and autograder.zip (for ``otter run``, Gradescope,
                      and ``tools/grade.py``)

An existing assignment in OUT is never overwritten unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell
from sync_repository_url import pip_url  # the repository named in _config.yml, and nowhere else

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
NAME = "transposed_conv"
PARTS = ("source", "student", "autograder")

# What the grading image needs besides Otter (Gradescope builds it from this list).
GRADING_REQUIREMENTS = f"""\
numpy
torch
scikit-learn
matplotlib
transposed-conv-widgets @ {pip_url()}
"""

# Coding questions: (name, points, checker, the reader's names it is called with, cell ids in
# 13_coding_exercises: prompt, hint, starter, solution, checker cells).
CODING = [
    ("scatter_add", 6, "check_scatter_add", ["scatter_add"],
     dict(prompt="5518e7e2", hint="2f9eecbc", starter="176ee37e", solution="cf253e81",
          checks=["e41d11d8"])),
    ("overlap_counts", 4, "check_overlap_counts", ["overlap_count"],
     dict(prompt="7995f95f", hint="b810d896", starter="de4c2ff7", solution="e986a2e2",
          checks=["cc0d7bcf", "2056b108"])),
    ("uniformity_rule", 2, "check_uniformity_rule", ["is_uniform"], None),
    ("decoders", 4, "check_decoders", ["build_decoder"],
     dict(prompt="9bdfc614", hint="1ba3fb9a", starter="7bc9294f", solution="17545b46",
          checks=["03449b94"])),
    ("pixel_shuffle", 3, "check_pixel_shuffle", ["pixel_shuffle"],
     dict(prompt="c8d87d73", hint="ead6b86f", starter="b13bbb07", solution="691d9b68",
          checks=["e88a6ec3"])),
]
CHALLENGE_POINTS = 3

# Conceptual answers: exercise -> (prompt cell id in 12_exercises, answers). Each answer is
# (variable, what to enter, the value of the worked solution, a hidden test that recomputes the
# right value with PyTorch or widgets.ops, a hint shown when it is wrong). One point each.
_LAYER_1D = ("import torch\nimport torch.nn.functional as F\n"
             "x = torch.tensor([[[2.0, -1.0, 4.0]]])\n"
             "w = torch.tensor([[[1.0, 3.0, -2.0]]])\n")
_SPREAD_1D = ("import numpy as np\nfrom widgets import ops\n"
              "x = np.array([[2.0, -1.0, 4.0]])\n"
              "spread = ops.zero_insert_and_pad(x, (1, 3), stride=(1, 2))[0]\n")
CONCEPTUAL = {
    1: ("e03", [
        ("c1_output_shape", "the output shape `(C, H, W)` of one 20×9×6 input map",
         "(12, 27, 18)",
         "import torch\nfrom torch import nn\n"
         "layer = nn.ConvTranspose2d(20, 12, kernel_size=5, stride=3, padding=1)\n"
         "right = tuple(layer(torch.zeros(1, 20, 9, 6)).shape[1:])\n"
         "assert tuple(c1_output_shape) == right",
         "use the size formula on each axis; the channels come from C_out"),
        ("c1_parameters", "the number of learnable parameters", "6_012",
         "from torch import nn\n"
         "layer = nn.ConvTranspose2d(20, 12, kernel_size=5, stride=3, padding=1)\n"
         "assert c1_parameters == sum(p.numel() for p in layer.parameters())",
         "count the weights (C_in, C_out, K, K) and the biases"),
    ]),
    2: ("by-hand", [
        ("c2_output", "the output $y$ as a list", "[2, 6, -5, -3, 6, 12, -8]",
         _LAYER_1D + "right = F.conv_transpose1d(x, w, stride=2)[0, 0].tolist()\n"
         "assert [float(v) for v in c2_output] == right",
         "each input cell adds a scaled copy of the kernel, 2 cells after the previous copy"),
        ("c2_padded", "the output with padding 1, as a list", "[6, -5, -3, 6, 12]",
         _LAYER_1D + "right = F.conv_transpose1d(x, w, stride=2, padding=1)[0, 0].tolist()\n"
         "assert [float(v) for v in c2_padded] == right",
         "padding removes cells from both ends"),
    ]),
    3: ("e15", [
        ("c3_output_padding_11", "the `output_padding` that gives back 11 pixels", "1",
         "import torch\nimport torch.nn.functional as F\n"
         "out = F.conv_transpose2d(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 5, 5), stride=3,\n"
         "                         padding=2, output_padding=c3_output_padding_11)\n"
         "assert out.shape[-1] == 11",
         "compute the size for output_padding 0 first"),
        ("c3_output_padding_12", "the `output_padding` that gives back 12 pixels", "2",
         "import torch\nimport torch.nn.functional as F\n"
         "out = F.conv_transpose2d(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 5, 5), stride=3,\n"
         "                         padding=2, output_padding=c3_output_padding_12)\n"
         "assert out.shape[-1] == 12",
         "output_padding adds rows and columns at the bottom and right"),
    ]),
    4: ("e07", [
        ("c4_conv_size", "the convolution's output size for K = 3, P = 0 on an 8×8 input", "6",
         "from widgets import ops\nassert c4_conv_size == ops.conv_output_size(8, 3, 1, 0)",
         "the convolution's size at stride 1 is I + 2P - K + 1"),
        ("c4_transposed_size", "the transposed convolution's output size for the same K, P and "
         "input", "10",
         "from widgets import ops\n"
         "assert c4_transposed_size == ops.conv_transpose_output_size(8, 3, 1, 0)",
         "the transposed size at stride 1 is I - 2P + K - 1"),
        ("c4_same_padding_k5", "the padding for which both sizes agree when K = 5", "2",
         "from widgets import ops\n"
         "agree = [p for p in range(5) if ops.conv_output_size(9, 5, 1, p)\n"
         "         == ops.conv_transpose_output_size(9, 5, 1, p)]\n"
         "assert [c4_same_padding_k5] == agree",
         "the sizes differ by 2(K - 1 - 2P)"),
    ]),
    5: ("flip", [
        ("c5_padded_input", "the zero-inserted, padded input as a list",
         "[0, 0, 2, 0, -1, 0, 4, 0, 0]",
         _SPREAD_1D + "assert [float(v) for v in c5_padded_input] == spread.tolist()",
         "S - 1 zeros between the cells, then K - 1 - P zeros on each side"),
        ("c5_unflipped_output_4", "output 4 computed with $w$ as it is (not reversed)", "-9",
         _SPREAD_1D + "window = spread[4:7]\n"
         "assert c5_unflipped_output_4 == float(window @ np.array([1.0, 3.0, -2.0]))",
         "output 4 reads cells 4, 5 and 6 of the padded input"),
    ]),
    6: ("flat-kernel", [
        ("c6_middle_tap", "the middle tap $w[1]$ that makes $[3, w[1], -1]$ flat", "2",
         "from widgets import ops\n"
         "sums = ops.phase_sums([3.0, float(c6_middle_tap), -1.0], 2)\n"
         "assert sums[0] == sums[1]",
         "phase 0 holds taps 0 and 2, phase 1 holds tap 1"),
        ("c6_last_tap", "the last tap $w[3]$ that makes $[1, 4, 2, w[3]]$ flat", "-1",
         "from widgets import ops\n"
         "sums = ops.phase_sums([1.0, 4.0, 2.0, float(c6_last_tap)], 2)\n"
         "assert sums[0] == sums[1]",
         "with K = 4 each phase holds two taps"),
    ]),
    7: ("e19", [
        ("c7_taps_k4", "how many kernel taps land on each interior output pixel for K = 4, S = 2",
         "2",
         "from widgets import ops\n"
         "first, last = ops.interior(8, 4, 2)\n"
         "assert {c7_taps_k4} == set(ops.overlap_profile(8, 4, 2)[first:last + 1].tolist())",
         "with S dividing K every interior pixel gets K / S taps"),
        ("c7_padding", "the padding that makes K = 5, S = 2 double its input size", "2",
         "from widgets import ops\n"
         "assert all(ops.conv_transpose_output_size(i, 5, 2, c7_padding, 1) == 2 * i\n"
         "           for i in range(3, 20))",
         "(I - 1)·2 - 2P + 4 + a + 1 = 2I needs 2P - a = 3"),
        ("c7_output_padding", "and the `output_padding` that goes with it", "1",
         "from widgets import ops\n"
         "assert all(ops.conv_transpose_output_size(i, 5, 2, 2, c7_output_padding) == 2 * i\n"
         "           for i in range(3, 20))",
         "output_padding must be smaller than the stride"),
    ]),
    8: ("e11", [
        ("c8_rank", "the rank of the matrix C of part 1", "4",
         "import numpy as np\nfrom widgets import ops\n"
         "sparse = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)\n"
         "assert c8_rank == np.linalg.matrix_rank(ops.conv_matrix(4, sparse))",
         "C has one row per output position"),
        ("c8_null_dim", "the dimension of the space of maps that C sends to zero", "12",
         "import numpy as np\nfrom widgets import ops\n"
         "sparse = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float)\n"
         "C = ops.conv_matrix(4, sparse)\n"
         "assert c8_null_dim == C.shape[1] - np.linalg.matrix_rank(C)",
         "inputs minus rank"),
    ]),
}

COLAB_CELL = "faa4800f"

# The challenge, in quick mode: the cells of 14_challenge from the prediction to the training of
# the four arms (five generators each). The prediction is read by the instructor, not graded.
CHALLENGE_CELLS = ["predict", "prediction-answer", "25dda37b", "f41a3599", "083867a1",
                   "dc00c940", "train-md", "a518b608"]
CHALLENGE_PROMPT = """\
**Your numbers.** Measure the generators you just trained. Score each generator by the mean
checkerboard energy of sixteen samples from the same noise,
`challenge.sample_energy(challenge.samples(generator, count=16, seed=1))` (one pixel cropped from
each border), and average the scores of each arm's five generators. Set `means` to a dict from
each arm's name to that average, `strongest` to the name of the arm with the highest mean and
`weakest` to the name of the arm with the lowest. Keep `FULL_RUN = False`: the grader runs your
notebook in quick mode."""
CHALLENGE_SOLUTION = """\
means = {name: np.mean([challenge.sample_energy(challenge.samples(g, count=16, seed=1))  # SOLUTION
                        for g in gs]) for name, gs in generators.items()}  # SOLUTION NO PROMPT
strongest = max(means, key=means.get)  # SOLUTION
weakest = min(means, key=means.get)  # SOLUTION
means, strongest, weakest"""
CHALLENGE_NAMES = ["generators", "means", "strongest", "weakest"]

SETUP = """\
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from widgets import challenge, exercises, ops, upsamplers
from widgets.exercises import not_implemented

torch.manual_seed(0)
torch.set_num_threads(1)  # the same numbers on any machine
np.set_printoptions(linewidth=120)"""

INTRO = """\
# Transposed convolution: graded exercises

Three parts: short numeric answers to the conceptual exercises, the four coding exercises, and
the checkerboard challenge in quick mode. Fill in every cell that holds `...` or raises
"not implemented yet", run the notebook from top to bottom, and hand it in as it is, one notebook.
The checker cells tell you what is still wrong; the grade uses the same checkers, with each case
they run worth an equal share of the question's points."""


def question_names():
    """The questions in the order of the notebook (the gradebook's columns)."""
    return ([f"conceptual_{number}" for number in CONCEPTUAL]
            + [name for name, *_ in CODING] + ["challenge"])


def raw(text):
    return new_raw_cell(textwrap.dedent(text).strip())


def _without_test_notes(source):
    """The chapter's code without its notes to the notebook tests (lines "# nbval...")."""
    return "\n".join(line for line in source.splitlines() if not line.startswith("# nbval"))


def _by_id(path):
    return {cell.id: cell for cell in nbformat.read(path, as_version=4).cells}


def _dropdowns_as_details(markdown):
    """MyST's folded admonitions as HTML <details>, which Jupyter and Colab fold too."""
    pattern = re.compile(r"```\{admonition\} ([^\n]+)\n:class: dropdown\n(.*?)\n```", re.S)
    return pattern.sub(lambda m: f"<details><summary>{m[1]}</summary>\n\n{m[2].strip()}\n\n"
                                 f"</details>", markdown)


def _without_page_links(markdown):
    """Links to the book's other pages as plain text: the assignment is a notebook of its own."""
    return re.sub(r"\[([^\]]+)\]\(\d\d_\w+\.ipynb\)", r"\1", markdown)


def _markdown(cell):
    return new_markdown_cell(_dropdowns_as_details(_without_page_links(cell.source)))


def _question(name, points):
    return raw(f"# BEGIN QUESTION\nname: {name}\npoints: {points}")


def _test_cell(function, args, body):
    header = '""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\n'
    return new_code_cell(header + f"def {function}({', '.join(args)}):\n"
                         + textwrap.indent(body, "    "))


def conceptual_cells(exercises):
    cells = [new_markdown_cell("## Part 1: the conceptual exercises, in numbers\n\n"
                               "Work each exercise on paper, then enter the numbers it asks for. "
                               "Whole numbers; a shape as a tuple, several values as a list.")]
    for number, (prompt_id, answers) in CONCEPTUAL.items():
        cells += [_question(f"conceptual_{number}", len(answers)), _markdown(exercises[prompt_id])]
        wanted = "\n".join(f"- `{variable}`: {what}" for variable, what, *_ in answers)
        cells += [new_markdown_cell(f"**Your answers**\n\n{wanted}"),
                  raw("# BEGIN SOLUTION"),
                  new_code_cell("\n".join(f"{variable} = {value}  # SOLUTION"
                                          for variable, _, value, *_ in answers)),
                  raw("# END SOLUTION"), raw("# BEGIN TESTS")]
        for variable, _, _, test, hint in answers:
            body = (f"try:\n{textwrap.indent(test, '    ')}\n"
                    f"except (AssertionError, TypeError, ValueError, RuntimeError):\n"
                    f"    raise AssertionError({f'{variable} is not right: {hint}.'!r}) from None\n")
            cells.append(_test_cell(f"test_{variable}", [variable], body))
        cells += [raw("# END TESTS"), raw("# END QUESTION")]
    return cells


def _case_tests(checker, names, cases):
    """One hidden test per checker case; each fails with the checker's own message."""
    cells = []
    for number in range(1, cases + 1):
        body = (f"from widgets import exercises\n"
                f"report = exercises.case_report(exercises.{checker}, {', '.join(names)})\n"
                f"assert report.passed[{number - 1}], report.message\n")
        cells.append(_test_cell(f"test_case_{number}", names, body))
    return cells


def _solution_with_starter(starter, solution):
    """Otter's prompt block: the student gets the starter cell, the autograder the solution."""
    return new_code_cell(f"''' # BEGIN PROMPT\n{starter.source}\n'''; # END PROMPT\n"
                         f"# BEGIN SOLUTION NO PROMPT\n{solution.source}\n# END SOLUTION")


def coding_cells(coding, case_counts):
    cells = [new_markdown_cell("## Part 2: the coding exercises")]
    pending = []  # checker cells wait until the questions they check are closed
    for name, points, checker, names, ids in CODING:
        cells.append(_question(name, points))
        if ids:
            cells += [_markdown(coding[ids["prompt"]]), _markdown(coding[ids["hint"]]),
                      raw("# BEGIN SOLUTION"),
                      _solution_with_starter(coding[ids["starter"]], coding[ids["solution"]]),
                      raw("# END SOLUTION")]
        cells += [raw("# BEGIN TESTS"), *_case_tests(checker, names, case_counts[checker]),
                  raw("# END TESTS"), raw("# END QUESTION")]
        if ids:
            pending = [new_code_cell(coding[i].source) for i in ids["checks"]]
        if name != "overlap_counts":  # its checker cells also check the rule, the next question
            cells += pending
            pending = []
    return cells


def challenge_cells(challenge, case_count):
    cells = [new_markdown_cell("## Part 3: the challenge, in quick mode\n\n"
                               "The same small generator is trained with four upsamplers, five "
                               "seeds each, and the checkerboard measure of section 6 compares "
                               "their samples.")]
    cells += [_markdown(challenge[i]) if challenge[i].cell_type == "markdown"
              else new_code_cell(_without_test_notes(challenge[i].source))
              for i in CHALLENGE_CELLS]
    cells += [_question("challenge", CHALLENGE_POINTS), new_markdown_cell(CHALLENGE_PROMPT),
              raw("# BEGIN SOLUTION"), new_code_cell(CHALLENGE_SOLUTION), raw("# END SOLUTION"),
              raw("# BEGIN TESTS"),
              *_case_tests("check_challenge", CHALLENGE_NAMES, case_count),
              raw("# END TESTS"), raw("# END QUESTION"),
              new_code_cell(f"exercises.check_challenge({', '.join(CHALLENGE_NAMES)})")]
    return cells


def _case_counts():
    """How many cases each checker runs (from a report on a starter that is not done yet)."""
    from widgets import exercises

    def starter(*args):
        raise exercises.not_implemented("counting cases")
    counts = {checker: len(exercises.case_report(getattr(exercises, checker), starter).passed)
              for _, _, checker, _, _ in CODING}
    counts["check_challenge"] = len(exercises.case_report(exercises.check_challenge, {}, ...,
                                                          ..., ...).passed)
    return counts


def master_notebook(chapters=CHAPTERS):
    """The assignment in Otter's master-notebook format, built from the chapter's notebooks."""
    config = f"""\
        # ASSIGNMENT CONFIG
        name: {NAME}
        requirements: requirements.txt
        init_cell: false
        check_all_cell: false
        export_cell: false
        run_tests: false
        solutions_pdf: false
        template_pdf: false
        tests:
            files: false
            ok_format: false
        generate:
            pdf: false
            show_hidden: true
    """
    counts = _case_counts()
    coding = _by_id(chapters / "13_coding_exercises.ipynb")
    colab = coding[COLAB_CELL]  # installs the widgets package in Colab, nothing elsewhere
    cells = [raw(config), new_markdown_cell(INTRO), new_code_cell(colab.source),
             new_code_cell(SETUP)]
    cells += conceptual_cells(_by_id(chapters / "12_exercises.ipynb"))
    cells += coding_cells(coding, counts)
    cells += challenge_cells(_by_id(chapters / "14_challenge.ipynb"), counts["check_challenge"])
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    for number, cell in enumerate(nb.cells):
        cell.id = f"{NAME}-{number:03d}"  # stable ids: the same notebook from the same chapter
    nbformat.validate(nb)
    return nb


def write_assignment(out_dir, force=False, chapters=CHAPTERS, log=print):
    """Write the master notebook into OUT/source and run ``otter assign`` on it.

    Raises ``FileExistsError`` (before writing anything) when OUT already holds an assignment
    and ``force`` is false. Returns the paths of the student notebook and the autograder zip.
    """
    out_dir = Path(out_dir)
    existing = [out_dir / part for part in PARTS if (out_dir / part).exists()]
    if existing and not force:
        raise FileExistsError(f"refusing to overwrite {', '.join(map(str, existing))}. Pass "
                              f"--force (make assignment ... FORCE=1) or choose an empty folder.")
    nb = master_notebook(chapters)
    for part in existing:
        shutil.rmtree(part)
    source = out_dir / "source"
    source.mkdir(parents=True)
    master = source / f"{NAME}.ipynb"
    master.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                      encoding="utf-8")
    (source / "requirements.txt").write_text(GRADING_REQUIREMENTS, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "otter", "assign", "--no-pdfs", str(master),
                             str(out_dir.resolve())], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"otter assign failed:\n{result.stdout}\n{result.stderr}")
    student = out_dir / "student" / f"{NAME}.ipynb"
    autograder = out_dir / "autograder" / "autograder.zip"
    # Otter stamps the zip's name with the time; one fixed name is easier to pass around.
    stamped, = (out_dir / "autograder").glob(f"{NAME}-autograder_*.zip")
    stamped.replace(autograder)
    for path in (master, student, autograder):
        log(f"wrote {path}")
    return student, autograder


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python tools/assignment.py",
        description="Write the autograded assignment (Otter-Grader format) into OUT_DIR.")
    parser.add_argument("out_dir", help="folder for source/, student/ and autograder/")
    parser.add_argument("--force", action="store_true",
                        help="replace an assignment that OUT_DIR already holds")
    args = parser.parse_args(argv)
    try:
        write_assignment(args.out_dir, force=args.force)
    except (FileExistsError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"hand out {Path(args.out_dir) / 'student'}; grade with "
          f"{Path(args.out_dir) / 'autograder' / 'autograder.zip'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
