"""Python-side checks of StackedLayersExplorer's twin, `widgets.stacked.stacked_state`.

Each layer's profile against a chain of PyTorch transposed convolutions; the interior against
the same stack run on a longer input (interior values must not depend on where the input ends);
the period-2 share against `ops.checkerboard_energy`. Every one- and two-layer stack, and
Hypothesis-drawn deeper ones.
"""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import widgets
from widgets import ops
from widgets.stacked import INPUT_LENGTH, KERNEL_SIZES, stacked_state

PAIRS = list(itertools.product(range(1, 7), range(1, 4)))
SHORT_STACKS = [[p] for p in PAIRS] + [[p, q] for p in PAIRS for q in PAIRS]


def torch_chain(stack, length=INPUT_LENGTH):
    x = torch.ones(1, 1, length, dtype=torch.float64)
    outs = []
    for k, s in stack:
        x = F.conv_transpose1d(x, torch.ones(1, 1, k, dtype=torch.float64), stride=s)
        outs.append(x[0, 0].numpy())
    return outs


def check(stack):
    state = stacked_state(stack)
    longer = torch_chain(stack, INPUT_LENGTH + 6)
    for layer, expected, long_out in zip(state, torch_chain(stack), longer):
        assert np.array_equal(layer["profile"], expected)
        first, last = layer["interior"]
        inner = expected[first:last + 1]
        # Interior values are the steady pattern: a longer input gives the same values there.
        assert np.array_equal(inner, long_out[first:last + 1])
        even = inner[: len(inner) // 2 * 2]
        if len(even) >= 2:
            assert layer["share"] == pytest.approx(ops.checkerboard_energy(even[None, :]), abs=1e-12)
            assert layer["range"] == [inner.min(), inner.max()]
        else:
            assert layer["share"] is None


def test_every_one_and_two_layer_stack():
    for stack in SHORT_STACKS:
        check(stack)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(PAIRS), min_size=3, max_size=4))
def test_deeper_stacks(stack):
    check(stack)


def test_the_default_stack_compounds():
    layers = widgets.StackedLayersExplorer().state
    assert [layer["range"] for layer in layers] == [[1, 2], [1, 3], [1, 5]]
    assert layers[0]["share"] == pytest.approx(1.0)
    even = stacked_state([(4, 2)] * 4)
    assert all(layer["share"] == 0.0 and layer["range"][0] == layer["range"][1] for layer in even)
    # An uneven layer after even ones brings the pattern in; a later K=4, S=2 box kernel sums
    # neighbouring pairs and flattens it again (the notebook says so).
    mixed = stacked_state([(4, 2), (3, 2), (4, 2), (4, 2)])
    assert [layer["share"] for layer in mixed] == [0.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("trait, value", [("layers", 0), ("layers", 5), ("kernel_size_2", 7),
                                          ("stride_4", 0), ("stride_1", 4), ("kernel_size_1", 2.5)])
def test_bad_control_values_are_refused(trait, value):
    explorer = widgets.StackedLayersExplorer()
    with pytest.raises(ValueError, match=trait):
        setattr(explorer, trait, value)


def test_controls_and_describe():
    explorer = widgets.StackedLayersExplorer(layers=2, kernel_size_2=4, stride_2=2)
    assert explorer.stack == [(3, 2), (4, 2)]
    assert explorer.limits["kernel_size_3"] == list(KERNEL_SIZES)
    text = repr(explorer)
    assert "layer 2 (K=4, S=2)" in text and "layer 3" not in text
