"""The public API of `widgets.ops`, written out: names, signatures, a few errors, its imports.

`widgets.ops` is a package of small modules (checks, sizes, reference, zero_insertion, geometry,
shuffle, measures, fast). How it is split is its own business; what notebooks, explorers and
students call is this table. A change to it must be deliberate: edit the table in the same
commit.
"""

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from widgets import ops
from widgets.ops import fast

ROOT = Path(__file__).resolve().parents[1]

NAMES = [
    "conv2d", "conv_transpose2d", "conv_matrix", "conv_output_size", "conv_transpose_output_size",
    "overlap_profile", "overlap_counts", "zero_insert", "fractional_padding",
    "zero_insert_and_pad", "conv_transpose2d_via_zero_insertion", "zero_insertion_macs",
    "max_output_padding", "conv_input_sizes", "output_padding_for", "pixel_shuffle",
    "pixel_unshuffle", "checkerboard_energy", "overlap_is_uniform", "conv_transpose2d_reference",
    "conv_transpose2d_fast", "FAST_PATH_MIN_MULTIPLY_ADDS",
    # The overlap geometry's formulas, public since ops became a package (one home each).
    "interior", "input_size_for", "phase_sums",
    # The border-cropped measure that sections 6, 7 and the challenge share.
    "cropped_checkerboard_energy",
]
SIGNATURES = {
    "conv2d": "(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)",
    "conv_transpose2d": "(input, weight, bias=None, stride=1, padding=0, output_padding=0, "
                        "groups=1, dilation=1)",
    "conv_matrix": "(input_size, kernel, stride=1, padding=0, dilation=1)",
    "conv_output_size": "(size, kernel_size, stride=1, padding=0, dilation=1)",
    "conv_transpose_output_size": "(size, kernel_size, stride=1, padding=0, output_padding=0, "
                                  "dilation=1)",
    "overlap_profile": "(input_size, kernel_size, stride=1, padding=0, dilation=1)",
    "overlap_counts": "(input_size, kernel_size, stride=1, padding=0, dilation=1)",
    "zero_insert": "(input, stride)",
    "fractional_padding": "(kernel_size, padding=0, output_padding=0, dilation=1)",
    "zero_insert_and_pad": "(input, kernel_size, stride=1, padding=0, output_padding=0, "
                           "dilation=1)",
    "conv_transpose2d_via_zero_insertion": "(input, weight, bias=None, stride=1, padding=0, "
                                           "output_padding=0, groups=1, dilation=1)",
    "zero_insertion_macs": "(input_size, kernel_size, stride=1, padding=0, output_padding=0, "
                           "dilation=1)",
    "max_output_padding": "(stride, dilation=1)",
    "conv_input_sizes": "(size, kernel_size, stride=1, padding=0, dilation=1)",
    "output_padding_for": "(target, size, kernel_size, stride=1, padding=0, dilation=1)",
    "pixel_shuffle": "(input, upscale_factor)",
    "pixel_unshuffle": "(input, downscale_factor)",
    "checkerboard_energy": "(image)",
    "overlap_is_uniform": "(kernel_size, stride, dilation=1)",
    "conv_transpose2d_reference": "(input, weight, bias=None, stride=1, padding=0, "
                                  "output_padding=0, groups=1, dilation=1)",
    "conv_transpose2d_fast": "(input, weight, bias=None, stride=1, padding=0, output_padding=0, "
                             "groups=1, dilation=1)",
    "interior": "(input_size, kernel_size, stride=1, dilation=1)",
    "input_size_for": "(kernel_size, stride, dilation=1)",
    "phase_sums": "(kernel, stride, dilation=1)",
    "cropped_checkerboard_energy": "(images, border=1)",
}
CONSTANTS = {"FAST_PATH_MIN_MULTIPLY_ADDS": 1 << 16}


def test_public_names_are_exactly_the_table():
    assert ops.__all__ == NAMES
    assert sorted(NAMES) == sorted([*SIGNATURES, *CONSTANTS])
    assert all(hasattr(ops, name) for name in NAMES)


@pytest.mark.parametrize("name", SIGNATURES)
def test_each_function_keeps_its_signature(name):
    function = getattr(ops, name)
    assert callable(function)
    assert str(inspect.signature(function)) == SIGNATURES[name]
    assert function.__doc__, f"ops.{name} has no docstring"


def test_constants_keep_their_values():
    for name, value in CONSTANTS.items():
        assert getattr(ops, name) == value
    # conv_transpose2d reads the threshold where fast.py defines it.
    assert fast.FAST_PATH_MIN_MULTIPLY_ADDS == ops.FAST_PATH_MIN_MULTIPLY_ADDS


# One bad call per module, with (part of) the message it has always given, as written.
ERRORS = [
    (lambda: ops.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), stride=(1, True)),
     "stride must be an int or a pair of ints (h, w), got (1, True)"),
    (lambda: ops.conv_transpose_output_size(4, 3, stride=2, output_padding=2),
     "output_padding (2, 2) must be smaller than either stride (2, 2) or dilation (1, 1)"),
    (lambda: ops.output_padding_for(12, 4, 3, 2), "target 12 is not an input size that"),
    (lambda: ops.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((3, 1, 2, 2))),
     "input has 2 channels, but weight.shape[0] is 3"),
    (lambda: ops.conv_matrix(4, np.ones(3)), "kernel must be 2-D (kH, kW), got shape (3,)"),
    (lambda: ops.zero_insert(np.ones(3), 2), "input must have at least 2 dimensions"),
    (lambda: ops.overlap_profile(3, 0), "kernel_size must be >= 1, got 0"),
    (lambda: ops.overlap_is_uniform(3, 2, dilation=0), "dilation must be >= 1, got 0"),
    (lambda: ops.pixel_shuffle(np.ones((3, 2, 2)), 2), "divisible by upscale_factor**2 = 4"),
    (lambda: ops.checkerboard_energy(np.ones((3, 4))), "image height must be even or 1"),
    (lambda: ops.conv_transpose2d_fast(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), groups=2),
     "groups=2 must divide the input channels"),
]


@pytest.mark.parametrize("call, message", ERRORS)
def test_errors_keep_their_messages(call, message):
    with pytest.raises(ValueError) as raised:
        call()
    assert message in str(raised.value)


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_importing_ops_needs_only_numpy():
    run = run_python(
        "import sys, widgets.ops\n"
        "gui = sorted(m for m in ('anywidget', 'traitlets', 'ipywidgets') if m in sys.modules)\n"
        "assert not gui, gui\n"
        "assert widgets.ops.conv_output_size(8, 3) == 6\n")
    assert run.returncode == 0, run.stderr


def test_explorers_are_still_importable_from_the_package():
    run = run_python(
        "import sys, widgets\n"
        "assert 'widgets.overlap' not in sys.modules\n"
        "from widgets import OverlapExplorer, QuickCheck\n"
        "from widgets.overlap import OverlapExplorer as defined\n"
        "assert OverlapExplorer is defined and widgets.QuickCheck is QuickCheck\n"
        "assert set(widgets.__all__) <= set(dir(widgets))\n")
    assert run.returncode == 0, run.stderr
    with pytest.raises(AttributeError, match="no attribute 'NoSuchExplorer'"):
        import widgets
        widgets.NoSuchExplorer


def test_threads_sets_the_worker_count_for_the_block_and_restores_it():
    before = fast.worker_count()
    with fast.threads(1):
        assert fast.worker_count() == 1
        # one worker: the adds are not split, however large
        assert len(fast.channel_parts(64, 1 << 20)) == 1
        with fast.threads(3):
            assert fast.worker_count() == 3
        assert fast.worker_count() == 1
    assert fast.worker_count() == before
    with pytest.raises(RuntimeError), fast.threads(2):
        raise RuntimeError("left the block by an error")
    assert fast.worker_count() == before


@pytest.mark.parametrize("count, message", [(0, "count must be >= 1, got 0"),
                                            (1.5, "count must be an int, got 1.5"),
                                            (True, "count must be an int, got True")])
def test_threads_refuses_a_bad_count(count, message):
    with pytest.raises(ValueError, match=message):
        with fast.threads(count):
            pass


def test_results_do_not_depend_on_the_thread_count(monkeypatch):
    monkeypatch.setattr(fast, "MIN_VALUES_PER_THREAD", 1)  # split even this small call
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((3, 8, 4, 4))
    with fast.threads(1):
        one = ops.conv_transpose2d_fast(x, w, stride=2, padding=1)
    with fast.threads(4):
        assert len(fast.channel_parts(8, 1)) == 4
        four = ops.conv_transpose2d_fast(x, w, stride=2, padding=1)
    assert np.array_equal(one, four)
