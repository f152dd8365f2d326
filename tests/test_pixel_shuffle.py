"""ops.pixel_shuffle / ops.pixel_unshuffle against PyTorch, and PixelShuffleExplorer's states.

Section 7 (the fixes). The NumPy functions must equal nn.PixelShuffle / nn.PixelUnshuffle exactly
(they only move values), keep the dtype, refuse what PyTorch refuses with a ValueError naming the
rule, and the explorer's precomputed links must be the formula out[c, h*r+i, w*r+j] =
in[c*r*r + i*r + j, h, w] for every reachable state.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import widgets
from widgets import ops
from widgets._base import key
from widgets.pixel_shuffle import CONTROLS, SIZE, PixelShuffleExplorer, shuffle_state


@settings(max_examples=60, deadline=None)
@given(lead=st.lists(st.integers(0, 3), min_size=0, max_size=2), c=st.integers(0, 3),
       r=st.integers(1, 4), h=st.integers(0, 4), w=st.integers(0, 4),
       dtype=st.sampled_from([np.float32, np.float64, np.int64]))
def test_pixel_shuffle_equals_pytorch(lead, c, r, h, w, dtype):
    x = np.random.default_rng(0).integers(-50, 50, size=(*lead, c * r * r, h, w)).astype(dtype)
    ours = ops.pixel_shuffle(x, r)
    theirs = nn.PixelShuffle(r)(torch.from_numpy(x)).numpy()
    assert ours.dtype == x.dtype and ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)
    # And back again: unshuffle inverts it, like nn.PixelUnshuffle.
    back = ops.pixel_unshuffle(ours, r)
    assert back.shape == x.shape and np.array_equal(back, x)
    if ours.size:  # on an empty input PyTorch returns the input's shape (see the docstring)
        assert np.array_equal(back, nn.PixelUnshuffle(r)(torch.from_numpy(ours)).numpy())
    else:
        assert nn.PixelUnshuffle(r)(torch.from_numpy(ours)).shape == ours.shape


@settings(max_examples=40, deadline=None)
@given(c=st.integers(1, 3), r=st.integers(1, 3), h=st.integers(1, 3), w=st.integers(1, 3))
def test_pixel_unshuffle_equals_pytorch_on_floats(c, r, h, w):
    x = np.random.default_rng(1).standard_normal((2, c, h * r, w * r)).astype(np.float32)
    assert np.array_equal(ops.pixel_unshuffle(x, r), nn.PixelUnshuffle(r)(torch.from_numpy(x)).numpy())


def test_the_formula_entry_by_entry():
    r, c_out, h, w = 3, 2, 2, 3
    x = np.arange(c_out * r * r * h * w).reshape(c_out * r * r, h, w)
    out = ops.pixel_shuffle(x, r)
    for c, hh, ww, i, j in itertools.product(range(c_out), range(h), range(w), range(r), range(r)):
        assert out[c, hh * r + i, ww * r + j] == x[c * r * r + i * r + j, hh, ww]


@pytest.mark.parametrize("fn, shape, factor, message", [
    (ops.pixel_shuffle, (4, 2), 2, "at least 3 dimensions"),
    (ops.pixel_shuffle, (3, 2, 2), 2, "divisible by upscale_factor\\*\\*2 = 4"),
    (ops.pixel_shuffle, (4, 2, 2), 0, "upscale_factor must be positive"),
    (ops.pixel_shuffle, (4, 2, 2), -1, "upscale_factor must be positive"),
    (ops.pixel_shuffle, (4, 2, 2), True, "upscale_factor must be an int"),
    (ops.pixel_shuffle, (4, 2, 2), 2.0, "upscale_factor must be an int"),
    (ops.pixel_unshuffle, (1, 3, 2), 2, "height to be divisible"),
    (ops.pixel_unshuffle, (1, 2, 3), 2, "width to be divisible"),
    (ops.pixel_unshuffle, (1, 2, 2), 0, "downscale_factor must be positive"),
    (ops.pixel_unshuffle, (2, 2), 1, "at least 3 dimensions"),
])
def test_refuses_what_pytorch_refuses(fn, shape, factor, message):
    x = np.zeros(shape, dtype=np.float32)
    with pytest.raises(ValueError, match=message):
        fn(x, factor)
    torch_fn = torch.nn.functional.pixel_shuffle if fn is ops.pixel_shuffle \
        else torch.nn.functional.pixel_unshuffle
    with pytest.raises((RuntimeError, TypeError)):
        torch_fn(torch.from_numpy(x), factor)


STATES = [(s["r"], s["channels"]) for s in PixelShuffleExplorer.reachable_states()]


@pytest.mark.parametrize("r, channels", STATES)
def test_explorer_state_is_the_formula(r, channels):
    s = shuffle_state(r, channels)
    x = torch.tensor(s["input"])
    assert torch.equal(nn.PixelShuffle(r)(x), torch.tensor(s["output"]))
    big = SIZE * r
    for k, hh, w in itertools.product(range(channels * r * r), range(SIZE), range(SIZE)):
        c, sub = divmod(k, r * r)
        i, j = divmod(sub, r)
        y, xx = hh * r + i, w * r + j
        assert s["target"][k][hh][w] == c * big * big + y * big + xx
        assert s["source"][c][y][xx] == k * SIZE * SIZE + hh * SIZE + w
        assert s["output"][c][y][xx] == s["input"][k][hh][w]


def test_explorer_payload_controls_and_repr():
    explorer = widgets.PixelShuffleExplorer()
    assert set(explorer.states) == {key(r, c) for r, c in STATES}
    for r, c in STATES:
        assert explorer.states[key(r, c)] == shuffle_state(r, c)
    assert explorer.limits == {"r": list(CONTROLS["r"]), "channels": list(CONTROLS["channels"])}
    explorer.r, explorer.channels = 3, 2
    assert explorer.state["r"] == 3 and len(explorer.state["input"]) == 18
    text = repr(explorer)
    assert "18 input channels of 2x2 -> 2 output channels of 6x6" in text
    assert "input channel 17 (-> output channel 1, sub-pixel (2, 2))" in text
    for bad in (1, 4, True, 2.0):
        with pytest.raises(ValueError, match="r must be"):
            explorer.r = bad
    with pytest.raises(ValueError, match="channels must be"):
        explorer.channels = 3
    with pytest.raises(ValueError, match="r must be"):
        shuffle_state(4, 1)
