"""Python-side checks of ScatterAddPainter: every precomputed number against PyTorch."""

import itertools
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import widgets
from widgets._base import control_values, key
from widgets.scatter_add import (CONTROLS, INPUT, INPUT_CELLS, KERNEL_SIZE, KERNELS, ScatterAddPainter,
                                 geometry, mask_input, painter_state, painting)

SETTINGS = [tuple(s.values()) for s in ScatterAddPainter.reachable_states()]


def torch_transposed(x, kernel, stride):
    x = torch.tensor(np.asarray(x, dtype=float), dtype=torch.float64)[None, None]
    w = torch.tensor(np.asarray(kernel, dtype=float), dtype=torch.float64)[None, None]
    return F.conv_transpose2d(x, w, stride=stride)[0, 0].numpy()


def one_hot(i):
    x = np.zeros(INPUT_CELLS)
    x[i] = 1
    return x.reshape(INPUT.shape)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: key(*s))
def test_running_sums_match_pytorch_for_every_painted_set(setting):
    kernel_name, stride = setting
    sums = painting(kernel_name, stride)["sums"]
    assert len(sums) == 2**INPUT_CELLS
    for mask in range(2**INPUT_CELLS):
        cells = [i for i in range(INPUT_CELLS) if mask >> i & 1]
        # The masked input keeps exactly the painted cells (bit i = flat cell i, as in the JS).
        kept = np.zeros(INPUT_CELLS)
        kept[cells] = INPUT.ravel()[cells]
        assert np.array_equal(mask_input(mask).ravel(), kept)
        expected = torch_transposed(kept.reshape(INPUT.shape), KERNELS[kernel_name], stride)
        assert np.array_equal(np.array(sums[mask]), expected), (mask, cells)
        # Painting the cells one by one, in any order, adds up to the same running sum.
        for order in itertools.permutations(cells):
            total = np.zeros_like(expected)
            for i in order:
                total += torch_transposed(INPUT * one_hot(i), KERNELS[kernel_name], stride)
            assert np.array_equal(total, expected)


@pytest.mark.parametrize("stride", control_values(CONTROLS["stride"]))
def test_windows_and_taps_match_pytorch(stride):
    shape = geometry(stride)
    ones = np.ones((KERNEL_SIZE, KERNEL_SIZE))
    size = (INPUT.shape[0] - 1) * stride + KERNEL_SIZE
    assert shape["output_size"] == size == torch_transposed(INPUT, ones, stride).shape[0]
    for i in range(INPUT_CELLS):
        window = torch_transposed(one_hot(i), ones, stride).ravel()
        assert shape["windows"][i] == np.flatnonzero(window).tolist()
        # Tap t of the kernel lands where a one-hot kernel at t puts input i.
        for cell, tap in zip(shape["windows"][i], shape["taps"][i]):
            k = np.zeros(KERNEL_SIZE**2)
            k[tap] = 1
            assert torch_transposed(one_hot(i), k.reshape(ones.shape), stride).ravel()[cell] == 1
    counts = torch_transposed(np.ones(INPUT.shape), ones, stride)
    assert shape["max_overlap"] == counts.max()
    # Windows overlap exactly when the stride is below the kernel size.
    assert (counts.max() > 1) == (stride < KERNEL_SIZE)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: key(*s))
def test_added_is_value_times_tap(setting):
    kernel_name, stride = setting
    shape, paint = geometry(stride), painting(kernel_name, stride)
    kernel = KERNELS[kernel_name].ravel()
    for i in range(INPUT_CELLS):
        copy = torch_transposed(INPUT * one_hot(i), KERNELS[kernel_name], stride).ravel()
        assert paint["added"][i] == copy[shape["windows"][i]].tolist()
        assert paint["added"][i] == (INPUT.ravel()[i] * kernel[shape["taps"][i]]).tolist()


def test_default_is_the_worked_example():
    painter = widgets.ScatterAddPainter()
    assert (painter.kernel, painter.stride, painter.painted) == ("sparse", 1, [])
    assert painter.state["output"] == [[0] * 4] * 4
    painter.painted = [0, 1, 2, 3]
    state = painter.state
    assert state["input"] == [[1, 2], [3, 4]]
    assert state["kernel"] == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    assert state["output"] == [[1, 2, 1, 2], [3, 5, 5, 4], [1, 5, 5, 2], [3, 4, 3, 4]]
    # Output (1,1): all four windows cover it, two of them through a non-zero tap (1*1 + 4*1).
    o = 1 * 4 + 1
    reaching = [(i, state["windows"][i].index(o)) for i in range(4) if o in state["windows"][i]]
    assert len(reaching) == 4
    assert sorted(state["added"][i][j] for i, j in reaching) == [0, 0, 1, 4]


def test_payload_is_the_tested_state():
    """What the browser receives is exactly what the tests above checked."""
    painter = widgets.ScatterAddPainter()
    assert painter.input == INPUT.astype(int).tolist()
    assert painter.kernel_size == KERNEL_SIZE
    assert painter.limits == {"kernel": list(KERNELS), "stride": list(CONTROLS["stride"])}
    assert SETTINGS == [(k, s) for k in KERNELS for s in (1, 2, 3)]
    for kernel_name, stride in SETTINGS:
        sent = painter.states[key(kernel_name, stride)]
        assert sent == {**geometry(stride), **painting(kernel_name, stride),
                        "kernel": KERNELS[kernel_name].astype(int).tolist()}
        for mask in (0, 5, 15):
            cells = [i for i in range(INPUT_CELLS) if mask >> i & 1]
            assert painter_state(kernel_name, stride, cells)["output"] == sent["sums"][mask]
    # Integral values travel as ints: a compact payload.
    for sent in painter.states.values():
        assert all(type(v) is int for grid in sent["sums"] for row in grid for v in row)


@pytest.mark.parametrize(
    "trait, value, message",
    [
        ("stride", 0, "stride must be between 1 and 3"),
        ("stride", 4, "stride must be between 1 and 3"),
        ("stride", 1.5, "stride must be an integer"),
        ("kernel", "random", "kernel must be one of"),
        ("painted", [4], "painted must list input cells as flat indices 0-3"),
        ("painted", [-1], "painted must list input cells as flat indices 0-3"),
        ("painted", [True], "painted must list input cells"),
        ("painted", ["0"], "painted must list input cells"),
        ("painted", [0, 0], "painted must not list a cell twice"),
    ],
)
def test_rejects_unreachable_states(trait, value, message):
    painter = widgets.ScatterAddPainter()
    with pytest.raises(ValueError, match=message):
        setattr(painter, trait, value)
    with pytest.raises(ValueError, match=message):
        widgets.ScatterAddPainter(**{trait: value})


def test_text_representation_follows_state():
    painter = widgets.ScatterAddPainter()
    text = repr(painter)
    assert "stride 1" in text and "(4x4)" in text and "painted input cells: none yet" in text
    assert not re.search(r"0x[0-9a-f]{6,}", text)  # no memory address: stable for nbval
    painter.painted = [3, 0]
    assert "painted input cells: (1,1), (0,0)" in repr(painter)
    painter.stride = 3
    text = repr(painter)
    assert "(6x6)" in text and "do not overlap" in text
    bundle, _ = painter._repr_mimebundle_()
    assert bundle["text/plain"] == repr(painter)


def test_assets_carry_the_dom_contract():
    esm = widgets.ScatterAddPainter._esm
    assert '"scatter-add"' in esm and "export default" in esm
    for contract in ('"data-explorer"', '"data-grid"', '"data-lit"', '"data-role"', '"aria-live"',
                     '"aria-label"', '"play"', '"aria-pressed"', '"reset"'):
        assert contract in esm, contract
    assert "data-painted" in widgets.ScatterAddPainter._css
