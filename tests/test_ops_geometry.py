"""`widgets.ops.geometry`: the interior, phase sums and the uniformity rule, computed another way.

The interior against its definition, taken literally (every tap's input cell inside the input);
the phase sums against PyTorch's transposed convolution of a constant input; the uniformity rule
against both; and the explorer modules that use these formulas against the package.
"""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from widgets import ops, overlap, quick_check, stacked

SETTINGS = list(itertools.product(range(1, 8), range(1, 5), range(1, 4)))  # K, S, D


def interior_by_definition(input_size, kernel, stride, dilation):
    """Output positions p where every tap i comes from an input position (p - D*i) / S that
    lies between the first and the last input cell."""
    length = (input_size - 1) * stride + dilation * (kernel - 1) + 1
    return [p for p in range(length)
            if all(0 <= p - dilation * i <= (input_size - 1) * stride for i in range(kernel))]


def constant_through_torch(kernel, stride, dilation, input_size):
    """A 1-D transposed convolution of ones with ``kernel``, in PyTorch (float64)."""
    w = torch.tensor(np.asarray(kernel, dtype=np.float64)).reshape(1, 1, -1)
    x = torch.ones(1, 1, input_size, dtype=torch.float64)
    return F.conv_transpose1d(x, w, stride=stride, dilation=dilation)[0, 0].numpy()


@pytest.mark.parametrize("input_size", [1, 2, 3, 5, 9])
def test_interior_is_its_definition(input_size):
    for k, s, d in SETTINGS:
        first, last = ops.interior(input_size, k, s, d)
        assert list(range(first, last + 1)) == interior_by_definition(input_size, k, s, d)


def test_input_size_for_is_the_smallest_input_with_two_periods_of_interior():
    for k, s, d in SETTINGS:
        n = ops.input_size_for(k, s, d)
        assert n >= 3 and len(interior_by_definition(n, k, s, d)) >= 2 * s
        if n > 3:
            assert len(interior_by_definition(n - 1, k, s, d)) < 2 * s


def check_phase_sums(kernel, stride, dilation):
    """Interior values of a constant input are the phase sums; returns whether it is flat."""
    kernel = np.asarray(kernel, dtype=np.float64)
    sums = ops.phase_sums(kernel, stride, dilation)
    n = ops.input_size_for(len(kernel), stride, dilation)
    out = constant_through_torch(kernel, stride, dilation, n)
    first, last = ops.interior(n, len(kernel), stride, dilation)
    inside = out[first:last + 1]
    assert np.array_equal(inside, [sums[p % stride] for p in range(first, last + 1)])
    flat = len(set(inside.tolist())) == 1
    assert flat == (len(set(sums.tolist())) == 1)
    return flat


def test_the_two_kernels_of_section_6():
    # K=3, S=2: uneven overlap (1, 2, 1, 2, ...), yet [1, 2, 1] paints a flat interior.
    assert not ops.overlap_is_uniform(3, 2)
    assert ops.phase_sums([1, 2, 1], 2).tolist() == [2, 2]
    assert check_phase_sums([1, 2, 1], 2, 1)
    # K=4, S=2: even overlap (2 taps everywhere), yet [1, 2, 3, 4] paints 4, 6, 4, 6, ...
    assert ops.overlap_is_uniform(4, 2)
    assert ops.phase_sums([1, 2, 3, 4], 2).tolist() == [4, 6]
    assert not check_phase_sums([1, 2, 3, 4], 2, 1)


def balanced(kernel, stride, dilation):
    """``kernel`` with one tap per phase raised so that all phases sum alike (taps are found by
    their positions D*i, not by the function under test); None when a phase gets no tap."""
    phases = dilation * np.arange(len(kernel)) % stride
    if len(set(phases.tolist())) < stride:
        return None
    sums = [kernel[phases == a].sum() for a in range(stride)]
    out = kernel.astype(np.float64)
    for a in range(stride):
        out[np.argmax(phases == a)] += max(sums) - sums[a]
    return out


def test_phase_sums_decide_flatness_for_many_kernels():
    rng = np.random.default_rng(0)
    flat = uneven = 0
    for k, s, d in SETTINGS:
        for kernel in [rng.integers(-3, 4, k) for _ in range(3)] + [np.ones(k)]:
            if check_phase_sums(kernel, s, d):
                flat += 1
            else:
                uneven += 1
            even = balanced(kernel, s, d)
            if even is not None:
                assert check_phase_sums(even, s, d), (kernel, s, d)
                flat += 1
    assert flat > 100 and uneven > 100  # both sides of the criterion were exercised


def test_uniform_overlap_is_equal_phase_sums_of_a_kernel_of_ones():
    for k, s, d in SETTINGS:
        by_phase = len(set(ops.phase_sums(np.ones(k), s, d).tolist())) == 1
        n = ops.input_size_for(k, s, d)
        first, last = ops.interior(n, k, s, d)
        measured = len(set(constant_through_torch(np.ones(k), s, d, n)[first:last + 1])) == 1
        assert ops.overlap_is_uniform(k, s, d) == by_phase == measured


def test_phase_sums_with_dilation_follow_the_tap_positions():
    # K=3, D=2, S=2: the taps land at 0, 2, 4, all on phase 0; phase 1 gets nothing.
    assert ops.phase_sums([1, 2, 3], 2, 2).tolist() == [6, 0]
    # K=3, D=2, S=3: taps at 0, 2, 4 -> phases 0, 2, 1.
    assert ops.phase_sums([1, 2, 3], 3, 2).tolist() == [1, 3, 2]
    assert ops.phase_sums(np.array([1, 2], np.float32), 2).dtype == np.float32
    assert ops.phase_sums([1, 2], 2).dtype == np.float64


@pytest.mark.parametrize("call, message", [
    (lambda: ops.phase_sums(np.ones((2, 2)), 2), "kernel must be 1-D with at least one tap"),
    (lambda: ops.phase_sums([], 2), "kernel must be 1-D with at least one tap"),
    (lambda: ops.phase_sums([1, 2], 0), "stride must be >= 1, got 0"),
    (lambda: ops.interior(0, 3, 2), "input_size must be >= 1, got 0"),
    (lambda: ops.interior(3, 3, 2, dilation=1.0), "dilation must be an int, got 1.0"),
    (lambda: ops.input_size_for(3, 0), "stride must be >= 1, got 0"),
])
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError) as raised:
        call()
    assert message in str(raised.value)


def test_explorer_modules_use_the_package_formulas():
    # The overlap explorer's names are the package's functions, kept for older imports.
    assert overlap.input_size_for is ops.input_size_for and overlap.interior is ops.interior
    for k, s, d in SETTINGS:
        assert overlap.verdict(k, s, d)["uniform"] == ops.overlap_is_uniform(k, s, d)
        state = overlap.overlap_state(k, s, d)
        assert state["interior"] == list(ops.interior(state["input_size"], k, s, d))
    # A single stacked layer on the input's full span has the plain interior.
    for k, s in itertools.product(range(1, 7), range(1, 4)):
        assert stacked.layer_interior(0, 7, k, s) == ops.interior(8, k, s)
        first, _ = ops.interior(6, k, s)
        assert quick_check._interior(k, s) == ops.overlap_profile(6, k, s)[first:first + s].tolist()
