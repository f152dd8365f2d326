"""Section 5, zero insertion: the ops it adds, and every state of FractionallyStridedView,
checked against PyTorch or an independent computation."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import widgets  # noqa: E402
from widgets import ops  # noqa: E402
from widgets._base import key  # noqa: E402
from widgets.zero_insertion import (INPUT, MAX_STEP, FractionallyStridedView,  # noqa: E402
                                    example_kernel, zero_insertion_state)

# The configuration strategies and comparison helpers of the operator tests (tests/ is on
# sys.path through conftest.py); importing names does not collect their tests twice.
from test_ops import (any_configs, check_acceptance, check_against_torch,  # noqa: E402
                      conv_configs)

torch.set_num_threads(1)
# Fewer examples than test_ops (the recipe is the same tap loop run on a bigger grid), still fixed.
RECIPE = settings(max_examples=300, deadline=None, derandomize=True, database=None)

WORKED_X = np.array([[1, 2], [3, 4]], dtype=np.float64)
SPARSE = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float64)
WORKED_STRIDE_2 = [[1, 0, 3, 0, 2], [0, 1, 0, 2, 0], [4, 0, 10, 0, 6], [0, 3, 0, 4, 0],
                   [3, 0, 7, 0, 4]]


# ---------------------------------------------------------------------------------------------
# ops: the recipe against PyTorch
# ---------------------------------------------------------------------------------------------

@RECIPE
@given(conv_configs(transposed=True))
def test_recipe_matches_torch(cfg):
    """Groups, several channels, kH != kW, per-axis stride/padding/dilation, output_padding."""
    c_in, _, kh, kw = cfg["weight_shape"]
    check_against_torch(ops.conv_transpose2d_via_zero_insertion, F.conv_transpose2d, cfg,
                        c_in // cfg["kw"]["groups"] * kh * kw)


@RECIPE
@given(any_configs(transposed=True))
def test_recipe_accepts_exactly_what_torch_accepts(cfg):
    check_acceptance(ops.conv_transpose2d_via_zero_insertion, F.conv_transpose2d, cfg)


def test_recipe_on_the_worked_stride_2_example():
    inserted = ops.zero_insert(WORKED_X, 2)
    assert inserted.tolist() == [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    padded = ops.zero_insert_and_pad(WORKED_X, 3, stride=2)
    assert padded.shape == (7, 7) and padded[2:5, 2:5].tolist() == inserted.tolist()
    assert np.count_nonzero(padded) == 4
    out = ops.conv_transpose2d_via_zero_insertion(WORKED_X[None, None], SPARSE[None, None],
                                                  stride=2)
    assert out[0, 0].tolist() == WORKED_STRIDE_2


def test_naive_same_kernel_fails_on_an_asymmetric_kernel():
    """Insert, pad K-1-P, then convolve with the *unflipped* kernel: right only by symmetry."""
    def naive(x, k, stride, padding=0):
        spread = ops.zero_insert_and_pad(x, k.shape, stride, padding)
        return ops.conv2d(spread[None, None], k[None, None])[0, 0]

    def torch_t(x, k, stride, padding=0):
        return F.conv_transpose2d(torch.tensor(x)[None, None], torch.tensor(k)[None, None],
                                  stride=stride, padding=padding)[0, 0].numpy()

    assert np.array_equal(naive(WORKED_X, SPARSE, 2), torch_t(WORKED_X, SPARSE, 2))
    ramp = example_kernel(3)
    assert not np.array_equal(naive(WORKED_X, ramp, 2), torch_t(WORKED_X, ramp, 2))
    assert np.array_equal(naive(WORKED_X, ramp[::-1, ::-1].copy(), 2), torch_t(WORKED_X, ramp, 2))


def test_channel_axes_must_be_swapped():
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (1, 2, 3, 3)).astype(float)
    w = rng.integers(-3, 4, (2, 5, 3, 3)).astype(float)  # (C_in=2, C_out=5, 3, 3)
    spread = ops.zero_insert_and_pad(x, 3, stride=2, padding=1)
    right = ops.conv2d(spread, w.transpose(1, 0, 2, 3)[..., ::-1, ::-1])
    expected = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), stride=2, padding=1).numpy()
    assert np.array_equal(right, expected)
    with pytest.raises(ValueError, match="channels"):  # the unswapped weight does not even fit
        ops.conv2d(spread, w[..., ::-1, ::-1])


def test_negative_border_crops():
    """P > D(K-1): the recipe crops instead of padding, and still matches PyTorch."""
    assert ops.fractional_padding(2, padding=2) == ((-1, -1), (-1, -1))
    assert ops.fractional_padding((3, 2), padding=(1, 0), output_padding=(1, 0),
                                  dilation=(2, 1)) == ((3, 4), (1, 1))
    x = np.arange(1, 10, dtype=float).reshape(1, 1, 3, 3)
    w = np.arange(1, 5, dtype=float).reshape(1, 1, 2, 2)
    ours = ops.conv_transpose2d_via_zero_insertion(x, w, stride=3, padding=2, output_padding=1)
    theirs = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), stride=3, padding=2,
                                output_padding=1).numpy()
    assert ours.shape == theirs.shape == (1, 1, 5, 5) and np.array_equal(ours, theirs)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3),
       st.integers(0, 2), st.data())
def test_zero_insert_and_pad_against_torch_geometry(h, k, s, d, p, data):
    """The spread grid is what a stride-1 conv must read: check its shape against PyTorch's
    output size, and that each input value sits at S*(r, c) + D(K-1) - P."""
    op = data.draw(st.integers(0, max(s, d) - 1))
    size = (h - 1) * s - 2 * p + d * (k - 1) + op + 1
    x = np.arange(1, h * h + 1, dtype=float).reshape(h, h)
    if size < 1:
        with pytest.raises(ValueError, match="output size"):
            ops.zero_insert_and_pad(x, k, s, p, op, d)
        return
    spread = ops.zero_insert_and_pad(x, k, s, p, op, d)
    assert spread.shape[0] - d * (k - 1) == size == F.conv_transpose2d(
        torch.ones(1, 1, h, h), torch.ones(1, 1, k, k), stride=s, padding=p, output_padding=op,
        dilation=d).shape[-1]
    border = d * (k - 1) - p
    for r in range(h):
        for c in range(h):
            rr, cc = r * s + border, c * s + border
            if 0 <= rr < spread.shape[0] and 0 <= cc < spread.shape[1]:
                assert spread[rr, cc] == x[r, c]
    assert np.count_nonzero(spread) <= h * h


@pytest.mark.parametrize("call, message", [
    (lambda: ops.zero_insert(np.ones(3), 2), "at least 2 dimensions"),
    (lambda: ops.zero_insert(np.ones((0, 3)), 2), "height and width must be >= 1"),
    (lambda: ops.zero_insert(np.ones((2, 2)), 0), "stride must be >= 1"),
    (lambda: ops.zero_insert(np.ones((2, 2)), 1.5), "stride must be an int"),
    (lambda: ops.fractional_padding(0), "kernel_size must be >= 1"),
    (lambda: ops.fractional_padding(3, padding=-1), "padding must be >= 0"),
    (lambda: ops.zero_insert_and_pad(np.ones((2, 2)), 3, stride=2, output_padding=2),
     "output_padding .* must be smaller than either stride .* or dilation"),
    (lambda: ops.zero_insert_and_pad(np.ones((2, 2)), 2, stride=1, padding=2), "output size"),
    (lambda: ops.zero_insertion_macs(2, 2, stride=1, padding=2), "output size"),
    (lambda: ops.zero_insertion_macs(4, 3, stride=2, output_padding=2), "output_padding"),
])
def test_bad_arguments_name_the_rule(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# ops: the cost count
# ---------------------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.tuples(st.integers(1, 6), st.integers(1, 6)),
       st.tuples(st.integers(1, 4), st.integers(1, 4)), st.tuples(st.integers(1, 3), st.integers(1, 3)),
       st.tuples(st.integers(0, 3), st.integers(0, 3)), st.tuples(st.integers(1, 2), st.integers(1, 2)),
       st.data())
def test_mac_count_against_torch(size, kernel, stride, padding, dilation, data):
    op = tuple(data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    kw = dict(stride=stride, padding=padding, output_padding=op, dilation=dilation)
    try:
        ones = F.conv_transpose2d(torch.ones((1, 1) + size, dtype=torch.float64),
                                  torch.ones((1, 1) + kernel, dtype=torch.float64), **kw)
    except RuntimeError:
        with pytest.raises(ValueError):
            ops.zero_insertion_macs(size, kernel, **kw)
        return
    macs = ops.zero_insertion_macs(size, kernel, **kw)
    out_h, out_w = ones.shape[-2:]
    assert macs["total"] == out_h * out_w * kernel[0] * kernel[1]
    assert macs["input"] + macs["inserted"] + macs["border"] == macs["total"]
    # Useful work: every kernel tap a scatter-add lands inside the output, counted by a ones
    # input through a ones kernel.
    assert macs["input"] == int(ones.sum().item())
    # Zeros read between input cells: a ones kernel over the inserted-zero mask (independent of
    # the labelling in ops).
    spread = torch.ones(1, 1, (size[0] - 1) * stride[0] + 1, (size[1] - 1) * stride[1] + 1,
                        dtype=torch.float64)
    spread[..., ::stride[0], ::stride[1]] = 0  # 1 on inserted zeros only
    top, left = dilation[0] * (kernel[0] - 1) - padding[0], dilation[1] * (kernel[1] - 1) - padding[1]
    padded = F.pad(spread, (left, left + op[1], top, top + op[0]))  # negative pads crop
    counted = F.conv2d(padded, torch.ones((1, 1) + kernel, dtype=torch.float64), dilation=dilation)
    assert macs["inserted"] == int(counted.sum().item())


def test_mac_count_worked_example():
    assert ops.zero_insertion_macs(2, 3, 2) == {"total": 225, "input": 36, "inserted": 45,
                                                "border": 144}
    # For a large input the useful share tends to 1/S^2.
    big = ops.zero_insertion_macs(64, 3, 2, padding=1, output_padding=1)
    assert big["total"] == 128 * 128 * 9
    assert 64 * 64 * 9 - 4 * 64 * 3 < big["input"] < 64 * 64 * 9  # padding crops the edge taps
    assert abs(big["input"] / big["total"] - 1 / 4) < 0.01


# ---------------------------------------------------------------------------------------------
# The explorer: every state against PyTorch, and the payload
# ---------------------------------------------------------------------------------------------

SETTINGS = [tuple(s.values()) for s in FractionallyStridedView.reachable_states()]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: "S{}K{}P{}".format(*s))
def test_every_explorer_state_matches_pytorch(setting):
    stride, k, padding = setting
    state = zero_insertion_state(stride, k, padding)
    x = torch.tensor(INPUT)[None, None]
    w = torch.tensor(example_kernel(k))[None, None]
    try:
        expected = F.conv_transpose2d(x, w, stride=stride, padding=padding)[0, 0].numpy()
    except RuntimeError:
        assert state["error"] and "Not allowed" in state["error"]
        assert "output" not in state and "padded" not in state
        return
    assert state["error"] is None
    out = np.array(state["output"])
    # Size equals the formula, values equal PyTorch (exactly: integer data).
    size = (INPUT.shape[0] - 1) * stride - 2 * padding + k
    assert out.shape == expected.shape == (size, size) and state["output_size"] == size
    assert np.array_equal(out, expected)

    # The geometry the JavaScript relies on (its index arithmetic, checked here for every state):
    inserted, padded = np.array(state["inserted"]), np.array(state["padded"])
    flipped, pad = np.array(state["flipped"]), state["pad"]
    assert pad == k - 1 - padding
    assert np.array_equal(flipped, example_kernel(k)[::-1, ::-1])
    assert inserted.shape == ((INPUT.shape[0] - 1) * stride + 1,) * 2
    for r in range(inserted.shape[0]):
        for c in range(inserted.shape[1]):
            on_input = r % stride == 0 and c % stride == 0
            assert inserted[r, c] == (INPUT[r // stride, c // stride] if on_input else 0)
            if 0 <= r + pad < padded.shape[0] and 0 <= c + pad < padded.shape[1]:
                assert padded[r + pad, c + pad] == inserted[r, c]
    assert padded.shape[0] == inserted.shape[0] + 2 * pad
    assert np.count_nonzero(padded) == np.count_nonzero(
        inserted[max(-pad, 0): inserted.shape[0] - max(-pad, 0),
                 max(-pad, 0): inserted.shape[1] - max(-pad, 0)])
    # Output (r, c) is the flipped kernel over the window at (r, c): what the status line sums.
    for r in range(size):
        for c in range(size):
            assert out[r, c] == (flipped * padded[r: r + k, c: c + k]).sum()


def test_invalid_states_are_exactly_those_torch_refuses():
    invalid = [s for s in SETTINGS if zero_insertion_state(*s)["error"]]
    assert invalid == [(1, 2, 2), (1, 3, 2), (2, 2, 2)]
    assert "+ 2 = -1, but it must be at least 1" in zero_insertion_state(1, 2, 2)["error"]


def test_payload_is_the_tested_state():
    explorer = widgets.FractionallyStridedView()
    assert explorer.limits == {"stride": [1, 3], "kernel_size": [2, 4], "padding": [0, 2]}
    assert len(SETTINGS) == len(explorer.states) == 27
    for s, k, p in SETTINGS:
        state = zero_insertion_state(s, k, p)
        entry = explorer.states[key(s, k, p)]
        if state["error"]:
            assert entry == {"input": state["input"], "error": state["error"]}
        else:
            assert entry == {f: state[f] for f in ("input", "kernel", "flipped", "inserted", "pad",
                                                   "padded", "output")}
    # The biggest output fits the step range.
    assert max(len(e["output"]) ** 2 for e in explorer.states.values() if "output" in e) == MAX_STEP + 1


def test_default_is_the_worked_stride_2_example():
    explorer = widgets.FractionallyStridedView()
    s = explorer.state
    assert (explorer.stride, explorer.kernel_size, explorer.padding) == (2, 3, 0)
    assert s["inserted"] == [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    assert len(s["padded"]) == 7 and s["output_size"] == 5
    assert explorer.stage == "input" and explorer.step == 0


@pytest.mark.parametrize("trait, value, message", [
    ("stride", 0, "stride must be between 1 and 3"),
    ("stride", 4, "stride must be between 1 and 3"),
    ("padding", 3, "padding must be between 0 and 2"),
    ("kernel_size", 1, "kernel_size must be between 2 and 4"),
    ("kernel_size", 5, "kernel_size must be between 2 and 4"),
    ("kernel_size", 2.0, "kernel_size must be an integer"),
    ("stage", "im2col", "stage must be one of"),
    ("step", -1, "step must be between 0 and"),
    ("step", 25, r"step must be below the number of output cells \(25\)"),
])
def test_explorer_rejects_unreachable_states(trait, value, message):
    explorer = widgets.FractionallyStridedView()
    with pytest.raises(ValueError, match=message):
        setattr(explorer, trait, value)


def test_step_restarts_when_a_control_changes_and_repr_follows():
    explorer = widgets.FractionallyStridedView(stage="output")
    explorer.step = 24
    assert "window at output cell (4,4) = " in repr(explorer)
    explorer.stride = 3
    assert explorer.step == 0 and "output (6x6)" in repr(explorer)
    explorer.stride, explorer.kernel_size, explorer.padding = 1, 2, 2
    text = repr(explorer)
    assert "Not allowed" in text and "= -1," in text
    assert not re.search(r"0x[0-9a-f]{6,}", text)
    bundle, _ = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == text


def test_assets_carry_the_dom_contract():
    esm = widgets.FractionallyStridedView._esm
    assert 'name: "zero-insertion"' in esm
    for contract in ('"data-explorer"', '"data-grid"', '"data-lit"', '"data-role"', '"aria-live"',
                     '"aria-label"', '"stride"', '"padding"', '"kernel size"', '"stage"',
                     '"next step"', '"previous step"', '"first step"', '"last step"',
                     '"play"'):
        assert contract in esm, contract
    assert "export default" in esm
    assert ".tc-border-zero" in widgets.FractionallyStridedView._css
