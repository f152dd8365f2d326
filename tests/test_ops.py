"""Tests for widgets.ops: every operator against PyTorch, or against an independent computation.

Random configurations are drawn with Hypothesis rather than a seeded NumPy loop: when a case fails,
Hypothesis shrinks it to a minimal configuration (smallest sizes, fewest odd parameters), which is
what you want to read in a bug report. ``derandomize=True`` makes the examples a fixed function of
the test, so CI runs the same 500 configurations every time. Array *values* come from a NumPy
generator seeded by a drawn integer: cheaper than drawing arrays element by element, and just as
reproducible.
"""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from widgets import ops  # noqa: E402

torch.set_num_threads(1)  # the CI box is small and shared; one thread is also deterministic

EXAMPLES = 500
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Tolerances for random float data. Both sides add the same products, but in different orders
# (PyTorch: oneDNN/im2col GEMM, blocked and vectorised; ops: one kernel tap at a time), and every
# partial sum is rounded to the dtype's precision (float32 eps ~1.2e-7, float64 ~2.2e-16). The
# rounding error of a sum grows with the number of terms L (the reduction length, C_in/groups *
# kH * kW), so the absolute tolerance is per term; the data are uniform in [-1, 1], so each term
# is at most 1 in magnitude. Worst seen over these configurations: 8e-8 per term in float32 and
# 2.2e-16 in float64, so the constants leave >10x headroom. Integer-valued data are exact in both
# dtypes and compared with np.array_equal.
F32_RTOL, F32_ATOL_PER_TERM = 1e-5, 1e-6
F64_RTOL, F64_ATOL_PER_TERM = 1e-12, 1e-14
TOLERANCES = {np.float32: (F32_RTOL, F32_ATOL_PER_TERM), np.float64: (F64_RTOL, F64_ATOL_PER_TERM)}

# What PyTorch raises for a refused call: RuntimeError from ATen's checks, TypeError from the
# argument parser, IndexError in one corner (a zero-size kernel on an empty batch).
TORCH_ERRORS = (RuntimeError, ValueError, TypeError, IndexError)


# Fixed arguments for the one-rule-at-a-time tests, and the (ops, torch) operator pairs.
X, W = np.ones((1, 2, 5, 5)), np.ones((2, 2, 3, 3))
CONV, CONV_T = (ops.conv2d, F.conv2d), (ops.conv_transpose2d, F.conv_transpose2d)


def as_pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def torch_call(fn, x, w, b=None, **kw):
    t = torch.from_numpy
    return fn(t(x), t(w), None if b is None else t(b), **kw).numpy()


def outcome(fn):
    """('ok', result) or ('raised', exception type name)."""
    try:
        return "ok", fn()
    except TORCH_ERRORS as e:
        return "raised", type(e).__name__


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

def int_or_pair(lo, hi):
    return st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


@st.composite
def conv_configs(draw, transposed):
    """A valid conv2d / conv_transpose2d configuration (valid by construction, no rejection)."""
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 6 // groups))
    c_out = groups * draw(st.integers(1, 6 // groups))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride, padding = draw(int_or_pair(1, 3)), draw(int_or_pair(0, 3))
    dilation = draw(int_or_pair(1, 3))
    S, P, D = as_pair(stride), as_pair(padding), as_pair(dilation)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    size = []
    if transposed:
        # Legal output_padding per axis: below the stride or below the dilation.
        op = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(S, D))
        kw["output_padding"] = op[0] if op[0] == op[1] and draw(st.booleans()) else op
        for k, s, p, d, o in zip(kernel, S, P, D, op):
            # Smallest input whose output (I-1)S - 2P + D(K-1) + op + 1 is positive.
            lo = 1 + max(0, -(-(2 * p - d * (k - 1) - o) // s))
            size.append(draw(st.integers(lo, lo + 6)))
        weight_shape = (c_in, c_out // groups) + kernel
    else:
        for k, p, d in zip(kernel, P, D):
            lo = max(1, d * (k - 1) + 1 - 2 * p)  # padded input must hold the dilated kernel
            size.append(draw(st.integers(lo, lo + 6)))
        weight_shape = (c_out, c_in // groups) + kernel
    batch = draw(st.one_of(st.none(), st.integers(1, 3)))  # None: unbatched (C, H, W)
    input_shape = ((batch,) if batch else ()) + (c_in,) + tuple(size)
    return dict(input_shape=input_shape, weight_shape=weight_shape,
                bias=c_out if draw(st.booleans()) else None, kw=kw,
                seed=draw(st.integers(0, 2**32 - 1)))


def make_arrays(cfg, dtype, integer):
    rng = np.random.default_rng(cfg["seed"])

    def draw(shape):
        if integer:  # small integers: every product and partial sum is exact in float32
            return rng.integers(-3, 4, size=shape).astype(dtype)
        return rng.uniform(-1, 1, size=shape).astype(dtype)

    bias = None if cfg["bias"] is None else draw((cfg["bias"],))
    return draw(cfg["input_shape"]), draw(cfg["weight_shape"]), bias


def check_against_torch(op, torch_op, cfg, reduction_length):
    for dtype in (np.float32, np.float64):
        x, w, b = make_arrays(cfg, dtype, integer=True)
        ours, theirs = op(x, w, b, **cfg["kw"]), torch_call(torch_op, x, w, b, **cfg["kw"])
        assert ours.dtype == dtype
        assert ours.shape == theirs.shape
        assert np.array_equal(ours, theirs)

        x, w, b = make_arrays(cfg, dtype, integer=False)
        ours, theirs = op(x, w, b, **cfg["kw"]), torch_call(torch_op, x, w, b, **cfg["kw"])
        rtol, atol_per_term = TOLERANCES[dtype]
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol_per_term * reduction_length)


# ---------------------------------------------------------------------------------------------
# The operators against PyTorch
# ---------------------------------------------------------------------------------------------

@PROPERTY
@given(conv_configs(transposed=False))
def test_conv2d_matches_torch(cfg):
    _, c_per_group, kh, kw = cfg["weight_shape"]
    check_against_torch(ops.conv2d, F.conv2d, cfg, c_per_group * kh * kw)


# The public function, and each of its two paths whatever the size (Going deeper: speed).
TRANSPOSED_PATHS = [ops.conv_transpose2d, ops.conv_transpose2d_reference, ops.conv_transpose2d_fast]


@pytest.mark.parametrize("op", TRANSPOSED_PATHS, ids=lambda f: f.__name__)
@PROPERTY
@given(cfg=conv_configs(transposed=True))
def test_conv_transpose2d_matches_torch(op, cfg):
    c_in, _, kh, kw = cfg["weight_shape"]
    # Each output sums at most (C_in/groups) * kH * kW products.
    check_against_torch(op, F.conv_transpose2d, cfg, c_in // cfg["kw"]["groups"] * kh * kw)


def test_worked_example_2x2_input_3x3_kernel():
    x = np.array([[1, 2], [3, 4]], dtype=np.float32)
    k = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float32)
    ours = ops.conv_transpose2d(x[None, None], k[None, None])[0, 0]
    theirs = torch_call(F.conv_transpose2d, x[None, None], k[None, None])[0, 0]
    assert np.array_equal(ours, theirs)
    # The worked example's numbers, added up by hand (independent of both implementations).
    assert np.array_equal(ours, [[1, 2, 1, 2], [3, 5, 5, 4], [1, 5, 5, 2], [3, 4, 3, 4]])
    # Matrix view: the same numbers from C^T x, where C is the forward conv 4x4 -> 2x2.
    C = ops.conv_matrix(4, k)
    assert C.shape == (4, 16)
    assert np.array_equal((C.T @ x.ravel()).reshape(4, 4), theirs)
    assert (np.count_nonzero(C, axis=1) == 5).all()  # sparse kernel: 5 taps, not 9
    assert np.linalg.matrix_rank(C) == 4


def test_worked_example_stride_2():
    x = np.array([[[[1, 2], [3, 4]]]], dtype=np.float64)
    k = np.array([[[[1, 0, 1], [0, 1, 0], [1, 0, 1]]]], dtype=np.float64)
    ours = ops.conv_transpose2d(x, k, stride=2)
    assert np.array_equal(ours, torch_call(F.conv_transpose2d, x, k, stride=2))
    assert np.array_equal(ours[0, 0], [[1, 0, 3, 0, 2], [0, 1, 0, 2, 0], [4, 0, 10, 0, 6],
                                       [0, 3, 0, 4, 0], [3, 0, 7, 0, 4]])


@pytest.mark.parametrize("op, torch_op", [(ops.conv2d, F.conv2d),
                                          (ops.conv_transpose2d, F.conv_transpose2d)])
def test_dtype_rules(op, torch_op):
    rng = np.random.default_rng(0)
    x, w = rng.integers(-3, 4, (1, 2, 4, 5)), rng.integers(-3, 4, (2, 2, 2, 3))
    expected = torch_call(torch_op, x.astype(np.float64), w.astype(np.float64))
    ours = op(x, w)  # integers are computed in float64
    assert ours.dtype == np.float64 and np.array_equal(ours, expected)
    mixed = op(x.astype(np.float32), w.astype(np.float64), np.zeros(2, np.float32))
    assert mixed.dtype == np.float64 and np.array_equal(mixed, expected)
    assert op(x.astype(np.float32), w.astype(np.float32), np.zeros(2, np.float64)).dtype \
        == np.float64


# ---------------------------------------------------------------------------------------------
# The matrix view
# ---------------------------------------------------------------------------------------------

@st.composite
def matrix_configs(draw):
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride, padding = draw(int_or_pair(1, 3)), draw(int_or_pair(0, 2))
    dilation = draw(int_or_pair(1, 3))
    size = []
    for k, p, d in zip(kernel, as_pair(padding), as_pair(dilation)):
        lo = max(1, d * (k - 1) + 1 - 2 * p)  # padded input must hold the dilated kernel
        size.append(draw(st.integers(lo, lo + 5)))
    size = size[0] if size[0] == size[1] and draw(st.booleans()) else tuple(size)
    return dict(size=size, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                seed=draw(st.integers(0, 2**32 - 1)))


@PROPERTY
@given(matrix_configs())
def test_conv_matrix_is_conv2d_and_its_transpose_is_conv_transpose2d(cfg):
    rng = np.random.default_rng(cfg["seed"])
    H, W = as_pair(cfg["size"])
    S, P, D = as_pair(cfg["stride"]), as_pair(cfg["padding"]), as_pair(cfg["dilation"])
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"])
    # conv2d floors, so C^T maps back to size I only with output_padding = the floored remainder.
    output_padding = tuple((i + 2 * p - d * (k - 1) - 1) % s
                           for i, k, s, p, d in zip((H, W), cfg["kernel"], S, P, D))
    for dtype in (np.float32, np.float64):
        for integer in (True, False):
            def draw(shape):
                a = rng.integers(-3, 4, shape) if integer else rng.uniform(-1, 1, shape)
                return a.astype(dtype)
            kernel, x = draw(cfg["kernel"]), draw((H, W))
            C = ops.conv_matrix(cfg["size"], kernel, **kw)
            assert C.dtype == dtype
            forward = torch_call(F.conv2d, x[None, None], kernel[None, None], **kw)[0, 0]
            assert C.shape == (forward.size, H * W)
            y = draw(forward.shape)
            adjoint = torch_call(F.conv_transpose2d, y[None, None], kernel[None, None],
                                 output_padding=output_padding, **kw)[0, 0]
            assert adjoint.shape == (H, W)
            if integer:
                assert np.array_equal(C @ x.ravel(), forward.ravel())
                assert np.array_equal(C.T @ y.ravel(), adjoint.ravel())
            else:
                rtol, atol_per_term = TOLERANCES[dtype]
                # A row or a column of C holds at most kH * kW non-zeros.
                atol = atol_per_term * kernel.size
                np.testing.assert_allclose(C @ x.ravel(), forward.ravel(), rtol=rtol, atol=atol)
                np.testing.assert_allclose(C.T @ y.ravel(), adjoint.ravel(), rtol=rtol, atol=atol)


def test_conv_matrix_integer_kernel_gives_float64():
    assert ops.conv_matrix(3, np.ones((2, 2), dtype=np.int64)).dtype == np.float64


# ---------------------------------------------------------------------------------------------
# Output sizes: a full sweep against the shapes PyTorch produces
# ---------------------------------------------------------------------------------------------

SWEEP = list(itertools.product(range(1, 13), range(1, 6), range(1, 5), range(0, 4), range(1, 4)))
SWEEP_T = [(i, k, s, p, op, d) for i, k, s, p, d in SWEEP for op in range(max(s, d))]


def zeros(*shape):
    # float64: PyTorch's float32 path skips the output-size check in some cases (see
    # test_float32_zero_size_output_quirk).
    return torch.zeros(shape, dtype=torch.float64)


def partner(configs, n):
    """A different configuration for the width axis (a fixed pseudo-random permutation)."""
    return configs[(n * 7919 + 13) % len(configs)]


def sizes_agree(ours_fn, torch_fn):
    theirs, ours = outcome(torch_fn), None
    try:
        ours = ours_fn()
    except ValueError:
        assert theirs[0] == "raised", f"ops raised, torch gave {theirs[1]}"
        return
    assert theirs[0] == "ok", f"torch raised {theirs[1]}, ops gave {ours}"
    assert ours == theirs[1], (ours, theirs[1])


def test_conv_output_size_sweep():
    for n, (i, k, s, p, d) in enumerate(SWEEP):
        # Square, ints in -> int out.
        sizes_agree(lambda: ops.conv_output_size(i, k, s, p, d),
                    lambda: F.conv2d(zeros(1, 1, i, i), zeros(1, 1, k, k), stride=s,
                                     padding=p, dilation=d).shape[-1])
        # Non-square, pairs in -> tuple out.
        i2, k2, s2, p2, d2 = partner(SWEEP, n)
        sizes_agree(lambda: ops.conv_output_size((i, i2), (k, k2), (s, s2), (p, p2), (d, d2)),
                    lambda: tuple(F.conv2d(zeros(1, 1, i, i2), zeros(1, 1, k, k2),
                                           stride=(s, s2), padding=(p, p2),
                                           dilation=(d, d2)).shape[-2:]))


def test_conv_transpose_output_size_sweep():
    for n, (i, k, s, p, op, d) in enumerate(SWEEP_T):
        sizes_agree(lambda: ops.conv_transpose_output_size(i, k, s, p, op, d),
                    lambda: F.conv_transpose2d(zeros(1, 1, i, i), zeros(1, 1, k, k),
                                               stride=s, padding=p, output_padding=op,
                                               dilation=d).shape[-1])
        i2, k2, s2, p2, op2, d2 = partner(SWEEP_T, n)
        sizes_agree(lambda: ops.conv_transpose_output_size((i, i2), (k, k2), (s, s2), (p, p2),
                                                           (op, op2), (d, d2)),
                    lambda: tuple(F.conv_transpose2d(
                        zeros(1, 1, i, i2), zeros(1, 1, k, k2), stride=(s, s2),
                        padding=(p, p2), output_padding=(op, op2), dilation=(d, d2)).shape[-2:]))


def test_size_functions_return_types():
    assert isinstance(ops.conv_output_size(5, 3), int)
    assert ops.conv_output_size(5, 3, stride=(1, 2)) == (3, 2)
    assert ops.conv_transpose_output_size((14, 14), 4, 2, 1) == (28, 28)  # exercise 1
    assert isinstance(ops.conv_transpose_output_size(4, 3, 2, 1, 1), int)


# ---------------------------------------------------------------------------------------------
# Overlap counts against an independent computation: a transposed conv of ones with ones
# ---------------------------------------------------------------------------------------------

@st.composite
def overlap_configs(draw):
    kernel, stride = draw(int_or_pair(1, 5)), draw(int_or_pair(1, 4))
    padding, dilation = draw(int_or_pair(0, 3)), draw(int_or_pair(1, 3))
    size = []
    for k, s, p, d in zip(as_pair(kernel), as_pair(stride), as_pair(padding), as_pair(dilation)):
        lo = 1 + max(0, -(-(2 * p - d * (k - 1)) // s))
        size.append(draw(st.integers(lo, lo + 6)))
    size = size[0] if size[0] == size[1] and draw(st.booleans()) else tuple(size)
    return size, kernel, stride, padding, dilation


@PROPERTY
@given(overlap_configs())
def test_overlap_counts_match_ones_through_torch(cfg):
    size, kernel, stride, padding, dilation = cfg
    counts = ops.overlap_counts(size, kernel, stride, padding, dilation)
    assert np.issubdtype(counts.dtype, np.integer)
    expected = F.conv_transpose2d(torch.ones((1, 1) + as_pair(size), dtype=torch.float64),
                                  torch.ones((1, 1) + as_pair(kernel), dtype=torch.float64),
                                  stride=stride, padding=padding, dilation=dilation)[0, 0]
    assert np.array_equal(counts, expected.numpy())
    # The 1-D profile, against conv_transpose1d along the height axis.
    (h, kh, sh, ph, dh) = (as_pair(v)[0] for v in cfg)
    profile = F.conv_transpose1d(torch.ones(1, 1, h, dtype=torch.float64),
                                 torch.ones(1, 1, kh, dtype=torch.float64),
                                 stride=sh, padding=ph, dilation=dh)[0, 0]
    assert np.array_equal(ops.overlap_profile(h, kh, sh, ph, dh), profile.numpy())


def test_overlap_counts_1_2_4_pattern():
    assert ops.overlap_profile(3, 3, 2).tolist() == [1, 1, 2, 1, 2, 1, 1]
    counts = ops.overlap_counts(3, 3, 2)
    assert counts.shape == (7, 7) and counts.max() == 4


def test_overlap_counts_count_zero_taps():
    # The worked example: all four input cells reach output (1, 1), although only two of their
    # taps there are non-zero in the sparse kernel. The count is geometry, so it says 4.
    counts = ops.overlap_counts(2, 3)
    assert counts[1, 1] == 4
    assert np.array_equal(counts, np.outer([1, 2, 2, 1], [1, 2, 2, 1]))


# ---------------------------------------------------------------------------------------------
# Acceptance: ops raises ValueError exactly when PyTorch refuses the call
# ---------------------------------------------------------------------------------------------

# No empty-batch mutation: PyTorch skips several checks when N = 0 (see
# test_empty_batch_skips_checks_in_torch_not_in_ops).
MUTATIONS = ["stride", "dilation", "padding", "output_padding", "groups", "channels",
             "weight_channels", "kernel", "input_size", "input_ndim", "weight_ndim", "bias",
             "param_type"]
# Types PyTorch's argument parser refuses, or accepts although a stricter reading would not.
ODD_PARAMS = [True, 1.0, 2.0, (1,), [2], (1, 1, 1), (), (True, 1), (1.0, 1), np.int64(2),
              (np.int64(2), 1), np.array([2, 1]), "1"]


@st.composite
def any_configs(draw, transposed):
    """A valid configuration with up to three mutations, each of which may or may not break it."""
    cfg = draw(conv_configs(transposed))
    kw = cfg["kw"]
    input_shape, weight_shape = list(cfg["input_shape"]), list(cfg["weight_shape"])
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), max_size=3)):
        if mutation in ("stride", "dilation", "padding", "output_padding"):
            bad = draw(st.integers(-1, 0) if mutation in ("stride", "dilation")
                       else st.integers(-1, 6))
            if mutation == "output_padding" and not transposed:
                continue
            value = kw.get(mutation, 0)
            value = as_pair(value) if isinstance(value, (int, tuple)) and value != () else (1, 1)
            kw[mutation] = draw(st.sampled_from([bad, (bad, value[-1]), (value[0], bad)]))
        elif mutation == "groups":
            kw["groups"] = draw(st.integers(-1, 4))
        elif mutation == "channels" and len(input_shape) >= 3:
            input_shape[-3] = draw(st.integers(0, 7))
        elif mutation == "weight_channels" and len(weight_shape) == 4:
            weight_shape[draw(st.integers(0, 1))] = draw(st.integers(0, 7))
        elif mutation == "kernel" and len(weight_shape) == 4:
            weight_shape[draw(st.integers(2, 3))] = draw(st.integers(0, 12))
        elif mutation == "input_size":
            input_shape[draw(st.integers(-2, -1)) + len(input_shape)] = draw(st.integers(0, 3))
        elif mutation == "input_ndim":
            input_shape = draw(st.sampled_from([input_shape[-2:], [2] + input_shape]))
        elif mutation == "weight_ndim":
            weight_shape = draw(st.sampled_from([weight_shape[1:], [1] + weight_shape]))
        elif mutation == "bias":
            cfg["bias"] = draw(st.sampled_from(["2d", 0, 1, 7]))
        elif mutation == "param_type":
            name = draw(st.sampled_from(["stride", "padding", "dilation", "groups"]
                                        + (["output_padding"] if transposed else [])))
            kw[name] = draw(st.sampled_from(ODD_PARAMS))
    cfg["input_shape"], cfg["weight_shape"] = tuple(input_shape), tuple(weight_shape)
    return cfg


def check_acceptance(op, torch_op, cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.integers(-3, 4, cfg["input_shape"]).astype(np.float64)
    w = rng.integers(-3, 4, cfg["weight_shape"]).astype(np.float64)
    b = cfg["bias"]
    if b is not None:
        b = np.ones((2, 2)) if b == "2d" else rng.integers(-3, 4, b).astype(np.float64)
    theirs = outcome(lambda: torch_call(torch_op, x, w, b, **cfg["kw"]))
    # Both outcomes must be well represented: pytest --hypothesis-show-statistics shows the split.
    event(f"torch {'accepted' if theirs[0] == 'ok' else 'refused'}")
    try:
        ours = op(x, w, b, **cfg["kw"])
    except ValueError as e:
        assert theirs[0] == "raised", f"ops raised {e!r} but torch accepted"
        return
    assert theirs[0] == "ok", f"torch raised {theirs[1]} but ops accepted"
    if x.ndim in (3, 4) and x.shape[-3] == 0:  # see test_no_input_channels_gives_the_bias
        assert theirs[1].shape[-3] == 0
        assert np.array_equal(ours, np.zeros_like(ours) + (0 if b is None else b[:, None, None]))
        return
    assert ours.shape == theirs[1].shape and np.array_equal(ours, theirs[1])


@PROPERTY
@given(any_configs(transposed=False))
def test_conv2d_accepts_exactly_what_torch_accepts(cfg):
    check_acceptance(ops.conv2d, F.conv2d, cfg)


@pytest.mark.parametrize("op", TRANSPOSED_PATHS, ids=lambda f: f.__name__)
@PROPERTY
@given(cfg=any_configs(transposed=True))
def test_conv_transpose2d_accepts_exactly_what_torch_accepts(op, cfg):
    check_acceptance(op, F.conv_transpose2d, cfg)


EMPTY_BATCH_LAX = [
    # (operator pair, input shape, kwargs, what ops says): PyTorch returns an empty tensor.
    (CONV, (0, 2, 5, 5), dict(dilation=0), "dilation must be >= 1"),
    (CONV_T, (0, 2, 5, 5), dict(dilation=(1, 0)), "dilation must be >= 1"),
    (CONV_T, (0, 2, 5, 5), dict(output_padding=1), "output_padding .* must be smaller"),
    (CONV_T, (0, 2, 0, 5), {}, "input height and width must be >= 1"),
]


@pytest.mark.parametrize("ops_and_torch, shape, kw, message", EMPTY_BATCH_LAX)
def test_empty_batch_skips_checks_in_torch_not_in_ops(ops_and_torch, shape, kw, message):
    # On an empty batch PyTorch skips some of its checks and returns an empty tensor. ops applies
    # every rule whatever the batch size, on purpose: a call should not become legal because the
    # batch happens to be empty. With valid arguments an empty batch is fine on both sides.
    op, torch_op = ops_and_torch
    x = np.zeros(shape)
    assert torch_call(torch_op, x, W, **kw).shape[0] == 0
    with pytest.raises(ValueError, match=message):
        op(x, W, **kw)
    x = np.zeros((0, 2, 5, 5))
    assert np.array_equal(op(x, W), torch_call(torch_op, x, W))


def test_bool_in_second_place_quirk():
    # PyTorch's argument parser checks only the first entry of a pair for bool: (1, True) passes
    # as (1, 1) but (True, 1) is a TypeError. ops refuses a bool in either place.
    assert torch_call(F.conv2d, X, W, stride=(1, True)).shape == (1, 2, 3, 3)
    with pytest.raises(TORCH_ERRORS):
        torch_call(F.conv2d, X, W, stride=(True, 1))
    for stride in [(1, True), (True, 1)]:
        with pytest.raises(ValueError, match="stride must be an int or a pair"):
            ops.conv2d(X, W, stride=stride)


def test_float32_zero_size_output_quirk():
    # PyTorch's float32 CPU path (oneDNN) for conv_transpose2d sometimes skips the output-size
    # check: a 1x1 input, 4x4 kernel, padding 2 gives a (1, 1, 0, 0) tensor in float32 but the
    # documented "Output size is too small" error in float64. ops follows the documented rule
    # (output size >= 1) for every dtype; the size sweeps use float64 for that reason.
    x, w = np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 4, 4))
    with pytest.raises(TORCH_ERRORS):
        torch_call(F.conv_transpose2d, x, w, padding=2)
    for dtype in (np.float32, np.float64):
        with pytest.raises(ValueError, match=r"output size \(0, 0\) must be positive"):
            ops.conv_transpose2d(x.astype(dtype), w.astype(dtype), padding=2)


def test_no_input_channels_gives_the_bias():
    # PyTorch accepts C_in = 0 but returns a tensor with no output channels (and drops the bias);
    # the sum over no channels is zero, so ops returns the bias broadcast over the output shape.
    x, w, b = np.ones((1, 0, 5, 5)), np.ones((2, 0, 3, 3)), np.array([1.0, 2.0])
    assert torch_call(F.conv2d, x, w, b).shape == (1, 0, 3, 3)
    expected = np.broadcast_to(b[None, :, None, None], (1, 2, 3, 3))
    assert np.array_equal(ops.conv2d(x, w, b), expected)


# ---------------------------------------------------------------------------------------------
# Each rule on its own: the message names the parameter, and PyTorch refuses the same call
# ---------------------------------------------------------------------------------------------

BAD_CALLS = [
    # (operator pair, input, weight, bias, kwargs, regex the message must match)
    (CONV, np.ones((2, 5)), W, None, {}, r"input must be 3-D .* or 4-D"),
    (CONV_T, np.ones((1, 1, 2, 5, 5)), W, None, {}, r"input must be 3-D .* or 4-D"),
    (CONV, X, np.ones((2, 2, 3)), None, {}, r"weight must be 4-D"),
    (CONV_T, X, np.ones((1, 2, 2, 3, 3)), None, {}, r"weight must be 4-D"),
    (CONV, X, W, np.ones((2, 1)), {}, r"bias must be 1-D"),
    (CONV, X, W, np.ones(3), {}, r"bias must have one entry per output channel \(2\)"),
    (CONV_T, X, W, np.ones(3), {}, r"bias must have one entry per output channel \(2\)"),
    (CONV, X, W, None, dict(stride=0), r"stride must be >= 1 on each axis, got \(0, 0\)"),
    (CONV_T, X, W, None, dict(stride=(1, -1)), r"stride must be >= 1 on each axis"),
    (CONV, X, W, None, dict(dilation=(0, 1)), r"dilation must be >= 1 on each axis"),
    (CONV_T, X, W, None, dict(dilation=0), r"dilation must be >= 1 on each axis"),
    (CONV, X, W, None, dict(padding=-1), r"padding must be >= 0 on each axis"),
    (CONV_T, X, W, None, dict(padding=(0, -1)), r"padding must be >= 0 on each axis"),
    (CONV_T, X, W, None, dict(stride=2, output_padding=-1), r"output_padding must be >= 0"),
    (CONV, X, W, None, dict(groups=0), r"groups must be >= 1"),
    (CONV_T, X, W, None, dict(groups=-1), r"groups must be >= 1"),
    (CONV, X, W, None, dict(stride=(1, 1, 1)), r"stride must be an int or a pair"),
    (CONV_T, X, W, None, dict(padding=()), r"padding must be an int or a pair"),
    (CONV, X, W, None, dict(stride=True), r"stride must be an int or a pair"),
    (CONV_T, X, W, None, dict(dilation=(True, 1)), r"dilation must be an int or a pair"),
    (CONV_T, X, W, None, dict(stride=np.array([2, 1])), r"stride must be an int or a pair"),
    (CONV, X, W, None, dict(padding=1.0), r"padding must be an int or a pair"),
    (CONV, X, W, None, dict(groups=1.0), r"groups must be an int"),
    (CONV_T, X, W, None, dict(groups=True), r"groups must be an int"),
    (CONV, X, W, None, dict(groups=2), r"input has 2 channels, but weight.shape\[1\] \* groups"),
    (CONV, np.ones((1, 3, 5, 5)), np.ones((2, 1, 3, 3)), None, dict(groups=3),
     r"groups=3 must divide the output channels \(weight.shape\[0\] = 2\)"),
    (CONV_T, np.ones((1, 3, 5, 5)), W, None, {}, r"input has 3 channels, but weight.shape\[0\]"),
    (CONV_T, np.ones((1, 3, 5, 5)), np.ones((3, 1, 3, 3)), None, dict(groups=2),
     r"groups=2 must divide the input channels \(3\)"),
    (CONV_T, X, W, None, dict(output_padding=1),
     r"output_padding \(1, 1\) must be smaller than either stride \(1, 1\) or dilation \(1, 1\)"),
    (CONV_T, X, W, None, dict(stride=(2, 1), output_padding=(1, 1)),
     r"output_padding \(1, 1\) must be smaller than either stride \(2, 1\)"),
    (CONV, np.ones((1, 2, 2, 5)), W, None, {}, r"output size must be positive .* \(2, 5\)"),
    (CONV, X, W, None, dict(dilation=(3, 1)), r"dilated kernel extent \(7, 3\)"),
    (CONV_T, X, W, None, dict(padding=4), r"output size \(-1, -1\) must be positive"),
    (CONV, np.ones((1, 2, 0, 5)), W, None, dict(padding=2), r"input height and width"),
    (CONV_T, np.ones((2, 5, 0)), W, None, {}, r"input height and width"),
    (CONV, X, np.ones((2, 2, 0, 3)), None, {}, r"kernel height and width"),
    (CONV_T, X, np.ones((2, 2, 3, 0)), None, {}, r"kernel height and width"),
    (CONV, X, np.ones((0, 2, 3, 3)), None, {}, r"weight must have at least one output channel"),
    (CONV_T, X, np.ones((2, 0, 3, 3)), None, {}, r"weight must be non-empty"),
]


@pytest.mark.parametrize("ops_and_torch, x, w, b, kw, message", BAD_CALLS)
def test_each_rule_raises_with_a_message_naming_it(ops_and_torch, x, w, b, kw, message):
    op, torch_op = ops_and_torch
    with pytest.raises(ValueError, match=message):
        op(x, w, b, **kw)
    with pytest.raises(TORCH_ERRORS):  # the rule is PyTorch's, not ours
        torch_call(torch_op, x, w, b, **kw)


GOOD_EDGE_CALLS = [
    # Accepted by PyTorch although a stricter reading of the rules would refuse them.
    (CONV_T, X, W, dict(dilation=2, output_padding=1)),  # output_padding < dilation suffices
    (CONV_T, X, W, dict(stride=(2,), output_padding=[1])),  # one-element sequences repeat
    (CONV, X, W, dict(stride=np.int64(2), groups=np.int64(1))),  # NumPy integers
    (CONV, np.ones((0, 2, 5, 5)), W, {}),  # empty batch
    (CONV_T, np.ones((0, 2, 5, 5)), W, dict(stride=2, output_padding=1)),
    (CONV, np.ones((1, 2, 1, 1)), W, dict(padding=1)),  # padding makes room for the kernel
    (CONV_T, np.ones((1, 2, 1, 1)), np.ones((2, 2, 2, 2)), dict(padding=1, stride=2,
                                                                 output_padding=1)),
]


@pytest.mark.parametrize("ops_and_torch, x, w, kw", GOOD_EDGE_CALLS)
def test_edge_cases_torch_accepts(ops_and_torch, x, w, kw):
    op, torch_op = ops_and_torch
    assert np.array_equal(op(x, w, **kw), torch_call(torch_op, x, w, **kw))


@pytest.mark.parametrize("call, message", [
    (lambda: ops.conv_output_size(0, 3), r"size must be >= 1"),
    (lambda: ops.conv_output_size(5, (3, 0)), r"kernel_size must be >= 1"),
    (lambda: ops.conv_output_size(2, 3), r"output size must be positive"),
    (lambda: ops.conv_output_size(5, 3, stride=0), r"stride must be >= 1"),
    (lambda: ops.conv_transpose_output_size(5, 3, output_padding=1),
     r"output_padding \(1, 1\) must be smaller than either stride"),
    (lambda: ops.conv_transpose_output_size(1, 1, padding=1), r"output size \(-1, -1\)"),
    (lambda: ops.conv_transpose_output_size(5, 3, padding=-1), r"padding must be >= 0"),
    (lambda: ops.conv_matrix(4, np.ones(3)), r"kernel must be 2-D"),
    (lambda: ops.conv_matrix(2, np.ones((3, 3))), r"output size must be positive"),
    (lambda: ops.conv_matrix((4, 4, 4), np.ones((3, 3))), r"input_size must be an int or a pair"),
    (lambda: ops.overlap_profile((3, 3), 3), r"input_size must be an int"),
    (lambda: ops.overlap_profile(3, 3, dilation=0), r"dilation must be >= 1"),
    (lambda: ops.overlap_counts(1, 1, padding=(0, 1)), r"output size \(1, -1\)"),
])
def test_helper_functions_validate(call, message):
    with pytest.raises(ValueError, match=message):
        call()
