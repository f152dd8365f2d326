"""The fast path of ops.conv_transpose2d (Going deeper: speed), against PyTorch.

tests/test_ops.py runs the foundation's 500 configurations through both paths. Those are small
(strides up to 3, one batch chunk, no threads), so this file adds what they cannot reach: large
strides and kernels (the sub-pixel route), batch chunking and threads (forced on small shapes by
shrinking the size constants), each route chosen where it should be, the size threshold of the
public function, and concurrent callers.
"""

import contextlib
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from widgets import ops  # noqa: E402
from widgets.ops import fast  # noqa: E402

torch.set_num_threads(1)

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
# Same reasoning as tests/test_ops.py: tolerance per term of the reduction C_in/groups * kH * kW.
TOLERANCES = {np.float32: (1e-5, 1e-6), np.float64: (1e-12, 1e-14)}


def torch_reference(x, w, b, **kw):
    t = torch.from_numpy
    return F.conv_transpose2d(t(x), t(w), None if b is None else t(b), **kw).numpy()


@contextlib.contextmanager
def tiny_chunks_and_threads():
    """Make every batch chunk one sample and split every add over threads, on any shape."""
    saved = fast.CHUNK_BYTES, fast.MIN_VALUES_PER_THREAD
    fast.CHUNK_BYTES, fast.MIN_VALUES_PER_THREAD = 1, 1
    try:
        yield
    finally:
        fast.CHUNK_BYTES, fast.MIN_VALUES_PER_THREAD = saved


@st.composite
def large_configs(draw):
    """Transposed-conv configurations with strides up to 8 and kernels up to 12 (valid by
    construction): they reach the sub-pixel route, tap groups of several taps, and phases no
    tap reaches (K < S)."""
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    stride = (draw(st.integers(1, 8)), draw(st.integers(1, 8)))
    dilation = draw(st.sampled_from([(1, 1), (1, 1), (2, 1), (3, 2)]))
    padding = tuple(draw(st.integers(0, (k - 1) * d)) for k, d in zip(kernel, dilation))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    size = []
    for k, s, p, d, o in zip(kernel, stride, padding, dilation, output_padding):
        lo = 1 + max(0, -(-(2 * p - d * (k - 1) - o) // s))
        size.append(draw(st.integers(lo, lo + 5)))
    batch = draw(st.integers(1, 3))
    return dict(input_shape=(batch, c_in, *size), weight_shape=(c_in, c_out // groups, *kernel),
                bias=draw(st.booleans()), seed=draw(st.integers(0, 2**32 - 1)),
                kw=dict(stride=stride, padding=padding, output_padding=output_padding,
                        dilation=dilation, groups=groups))


def check_fast_path(cfg):
    rng = np.random.default_rng(cfg["seed"])
    c_in, _, kh, kw = cfg["weight_shape"]
    terms = c_in // cfg["kw"]["groups"] * kh * kw
    for dtype in (np.float32, np.float64):
        for integer in (True, False):
            def draw(shape):
                values = rng.integers(-3, 4, shape) if integer else rng.uniform(-1, 1, shape)
                return values.astype(dtype)
            x, w = draw(cfg["input_shape"]), draw(cfg["weight_shape"])
            b = draw((w.shape[1] * cfg["kw"]["groups"],)) if cfg["bias"] else None
            ours = ops.conv_transpose2d_fast(x, w, b, **cfg["kw"])
            theirs = torch_reference(x, w, b, **cfg["kw"])
            assert ours.dtype == dtype and ours.shape == theirs.shape
            if integer:  # every product and partial sum is exact
                assert np.array_equal(ours, theirs)
            else:
                rtol, atol = TOLERANCES[dtype]
                np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol * terms)


@PROPERTY
@given(large_configs())
def test_fast_path_matches_torch_on_large_strides_and_kernels(cfg):
    check_fast_path(cfg)


@PROPERTY
@given(large_configs())
def test_fast_path_matches_torch_with_one_sample_chunks_and_threads(cfg):
    with tiny_chunks_and_threads():
        check_fast_path(cfg)


def route_taken(monkeypatch, **call):
    """Which route of the fast module conv_transpose2d_fast takes for this call."""
    taken = []
    for name in ("single_pixel", "subpixel", "scatter_by_phase"):
        original = getattr(fast, name)
        monkeypatch.setattr(fast, name, lambda *a, _f=original, _n=name: (taken.append(_n), _f(*a)))
    ops.conv_transpose2d_fast(**call)
    return set(taken)


@pytest.mark.parametrize("x_shape, w_shape, kw, route", [
    ((2, 3, 1, 1), (3, 4, 4, 4), {}, "single_pixel"),                        # DCGAN's first layer
    ((1, 2, 1, 1), (2, 2, 3, 3), dict(stride=2, padding=1, dilation=2), "single_pixel"),
    ((1, 1, 1, 1), (1, 1, 1, 2), dict(dilation=2), "single_pixel"),  # spread taps, no crop
    ((1, 2, 4, 4), (2, 2, 8, 8), dict(stride=4, padding=2), "subpixel"),     # FCN-like
    ((1, 2, 4, 4), (2, 2, 8, 8), dict(stride=(2, 8)), "subpixel"),
    ((1, 2, 4, 4), (2, 2, 8, 8), dict(stride=4, dilation=2), "scatter_by_phase"),
    ((2, 2, 4, 4), (2, 2, 4, 4), dict(stride=2, padding=1), "scatter_by_phase"),  # DCGAN
    ((2, 2, 4, 4), (2, 2, 2, 2), dict(stride=2), "scatter_by_phase"),        # U-Net, one copy
])
def test_each_shape_takes_its_route(monkeypatch, x_shape, w_shape, kw, route):
    x, w = np.ones(x_shape), np.ones(w_shape)
    assert route_taken(monkeypatch, input=x, weight=w, **kw) == {route}
    assert np.array_equal(ops.conv_transpose2d_fast(x, w, **kw), torch_reference(x, w, None, **kw))


def test_public_function_runs_the_reference_below_the_threshold_and_the_fast_path_above(
        monkeypatch):
    calls = []
    for name in ("reference_sum", "fast_sum"):
        original = getattr(fast, name)
        monkeypatch.setattr(fast, name, lambda args, _f=original, _n=name: (calls.append(_n),
                                                                           _f(args))[1])
    # 1 * 4 * 4 * 16 * H * W multiply-adds, either side of the threshold
    small_side = int((ops.FAST_PATH_MIN_MULTIPLY_ADDS / 256) ** 0.5)
    for side, expected in ((small_side - 1, "reference_sum"), (small_side + 1, "fast_sum")):
        x, w = np.ones((1, 4, side, side)), np.ones((4, 4, 4, 4))
        calls.clear()
        assert np.array_equal(ops.conv_transpose2d(x, w, stride=2),
                              torch_reference(x, w, None, stride=2))
        assert calls == [expected]


def test_unusual_memory_layouts_and_dtypes():
    # Fortran-ordered and strided inputs, an integer input (computed in float64) and a mixed
    # float32/float64 pair: the fast path copies what BLAS needs and follows the dtype rules.
    rng = np.random.default_rng(0)
    x = np.asfortranarray(rng.integers(-3, 4, (3, 4, 9, 7)))
    w = rng.integers(-3, 4, (8, 3, 3, 5))[::2].astype(np.float32)
    kw = dict(stride=(2, 3), padding=(1, 2), output_padding=(1, 0))
    ours = ops.conv_transpose2d_fast(x, w, **kw)
    assert ours.dtype == np.float64
    assert np.array_equal(ours, torch_reference(x.astype(np.float64), w.astype(np.float64), None,
                                                **kw))
    mixed = ops.conv_transpose2d_fast(x.astype(np.float32), w.astype(np.float64), **kw)
    assert mixed.dtype == np.float64 and np.array_equal(mixed, ours)


def test_unbatched_input_and_empty_batch():
    rng = np.random.default_rng(1)
    x, w, b = rng.integers(-3, 4, (4, 6, 6)).astype(np.float32), \
        rng.integers(-3, 4, (4, 2, 4, 4)).astype(np.float32), np.arange(4, dtype=np.float32)
    ours = ops.conv_transpose2d_fast(x, w, b, stride=2, padding=1, groups=2)
    assert ours.shape == (4, 12, 12)
    assert np.array_equal(ours, torch_reference(x, w, b, stride=2, padding=1, groups=2))
    empty = ops.conv_transpose2d_fast(np.zeros((0, 4, 6, 6)), w, stride=2)
    assert empty.shape == (0, 2, 14, 14)


def test_concurrent_callers_share_the_thread_pool_safely():
    # Several threads calling at once, each with chunks and threaded adds of its own.
    rng = np.random.default_rng(2)
    cases = [(rng.integers(-3, 4, (4, 6, 8, 8)).astype(np.float64),
              rng.integers(-3, 4, (6, 5, 4, 4)).astype(np.float64), s) for s in (1, 2, 3, 4)]
    expected = [torch_reference(x, w, None, stride=s) for x, w, s in cases]
    results = [None] * len(cases)

    def run(k):
        x, w, s = cases[k]
        results[k] = ops.conv_transpose2d_fast(x, w, stride=s)

    with tiny_chunks_and_threads():
        threads = [threading.Thread(target=run, args=(k,)) for k in range(len(cases))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for ours, theirs in zip(results, expected):
        assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("kernel, stride, dilation", [(4, 2, 1), (3, 2, 1), (64, 32, 1),
                                                      (3, 2, 2), (5, 3, 2), (2, 4, 1), (3, 1, 2)])
def test_tap_groups_cover_every_tap_once_at_its_place(kernel, stride, dilation):
    # Independent check of the bookkeeping: tap i lands at canvas offset D*i, i.e. in block
    # shift t at phase a with S*t + a = D*i.
    seen = []
    for group in fast.tap_groups(kernel, stride, dilation):
        taps = range(kernel)[group.taps]
        phases = range(stride)[group.phases]
        assert len(taps) == len(phases)
        seen += [(i, stride * group.shift + a) for i, a in zip(taps, phases)]
    assert seen == [(i, dilation * i) for i in range(kernel)]
