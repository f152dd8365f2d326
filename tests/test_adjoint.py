"""Python-side checks of AdjointExplorer: every precomputed state against PyTorch."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import widgets
from widgets._base import key
from widgets.adjoint import KERNELS, AdjointExplorer, adjoint_state

SETTINGS = list(AdjointExplorer.reachable_states())


def one_hot(size, index):
    x = torch.zeros(size * size, dtype=torch.float64)
    x[index] = 1.0
    return x.reshape(1, 1, size, size)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: key(*s.values()))
def test_adjoint_state_matches_pytorch(setting):
    kernel_name, input_size, stride, padding = setting.values()
    state = adjoint_state(**setting)
    weight = torch.tensor(KERNELS[kernel_name], dtype=torch.float64)[None, None]
    x = torch.tensor(state["input"], dtype=torch.float64)[None, None]

    expected = F.conv_transpose2d(x, weight, stride=stride, padding=padding)[0, 0]
    assert state["output_size"] == expected.shape[-1]
    assert np.array_equal(np.array(state["output"]), expected.numpy())

    # Column i of Cᵀ is the transposed convolution of the i-th one-hot input;
    # its window is where a ones kernel lands (zero-valued taps included).
    matrix = np.array(state["matrix"])
    ones = torch.ones_like(weight)
    for i in range(input_size * input_size):
        column = F.conv_transpose2d(one_hot(input_size, i), weight, stride=stride, padding=padding)
        assert np.array_equal(matrix[:, i], column.flatten().numpy())
        window = F.conv_transpose2d(one_hot(input_size, i), ones, stride=stride, padding=padding)
        assert state["windows"][i] == torch.nonzero(window.flatten()).flatten().tolist()
    for o, feeders in enumerate(state["feeds"]):
        assert feeders == [i for i, w in enumerate(state["windows"]) if o in w]

    # Each listed tap holds the matrix entry it explains.
    taps = np.array(state["taps"])
    k = np.array(state["kernel"])
    linked = taps >= 0
    assert np.array_equal(matrix[linked], k.ravel()[taps[linked]])
    assert np.all(matrix[~linked] == 0)


def test_adjoint_payload_is_the_tested_state():
    """What the browser receives is exactly what the state tests above checked (the page
    fills Cᵀ from the taps and the kernel)."""
    explorer = widgets.AdjointExplorer()
    assert len(SETTINGS) == 3 * 3 * 3 * 2 == len(explorer.states)
    for setting in SETTINGS:
        state = adjoint_state(**setting)
        sent = explorer.states[key(*setting.values())]
        assert sent == {f: state[f] for f in ("output_size", "taps", "windows", "feeds", "kernel",
                                              "input", "output")}


def test_adjoint_default_is_the_worked_example():
    explorer = widgets.AdjointExplorer()
    state = explorer.state
    assert state["input"] == [[1, 2], [3, 4]]
    assert state["kernel"] == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    assert state["output"] == [[1, 2, 1, 2], [3, 5, 5, 4], [1, 5, 5, 2], [3, 4, 3, 4]]
    assert len(state["windows"][0]) == 9  # input (0,0) covers a full 3x3 window
    assert len(state["feeds"][1 * 4 + 1]) == 4  # all four inputs reach output (1,1)


@pytest.mark.parametrize(
    "trait, value, message",
    [
        ("stride", 0, "stride must be between 1 and 3"),
        ("stride", 4, "stride must be between 1 and 3"),
        ("padding", 2, "padding must be between 0 and 1"),
        ("input_size", 1, "input_size must be between 2 and 4"),
        ("input_size", 2.5, "input_size must be an integer"),
        ("kernel", "gaussian", "kernel must be one of"),
    ],
)
def test_adjoint_rejects_unreachable_states(trait, value, message):
    explorer = widgets.AdjointExplorer()
    with pytest.raises(ValueError, match=message):
        setattr(explorer, trait, value)
    with pytest.raises(ValueError, match=message):
        widgets.AdjointExplorer(**{trait: value})


def test_adjoint_text_representation_follows_state():
    explorer = widgets.AdjointExplorer()
    text = repr(explorer)
    assert "stride 1, padding 0" in text and "(4x4)" in text
    assert not re.search(r"0x[0-9a-f]{6,}", text)  # no memory address: stable for nbval
    explorer.stride = 2
    assert "stride 2" in repr(explorer) and "(5x5)" in repr(explorer)
    bundle, _ = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == repr(explorer)
