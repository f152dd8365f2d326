"""`AdjointExplorer`: transposed convolution as the matrix product y = Cᵀx.

Defined for section 2, the matrix view.
"""

from __future__ import annotations

import numpy as np
import traitlets

from . import ops
from ._base import Explorer, as_numbers, format_grid
from .static_figure import Grid

KERNEL_SIZE = 3
# The chapter's worked kernel, a dense one, and small fixed random integers.
KERNELS = {
    "sparse": np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float),
    "ones": np.ones((KERNEL_SIZE, KERNEL_SIZE)),
    "random": np.random.default_rng(7).integers(-2, 4, size=(KERNEL_SIZE, KERNEL_SIZE)).astype(float),
}
KERNEL_LABELS = {
    "sparse": "sparse corners + centre",
    "ones": "all ones",
    "random": "small random integers",
}
CONTROLS = {"kernel": tuple(KERNELS), "input_size": (2, 4), "stride": (1, 3), "padding": (0, 1)}


def example_input(size: int) -> np.ndarray:
    """The input x: 1, 2, 3, ... row by row ([[1, 2], [3, 4]] for size 2)."""
    return np.arange(1, size * size + 1, dtype=float).reshape(size, size)


def geometry(input_size: int, stride: int, padding: int) -> dict:
    """Which kernel tap links each input cell to each output cell: the shape of Cᵀ.

    The geometry does not depend on the kernel's values, so it is computed once
    per (input size, stride, padding), by building Cᵀ with `ops.conv_matrix` from
    a kernel whose taps are numbered 1..K²: entry (o, i) names the tap, or is 0.
    """
    out_size = ops.conv_transpose_output_size(input_size, KERNEL_SIZE, stride, padding)
    numbered = np.arange(1, KERNEL_SIZE**2 + 1, dtype=float).reshape(KERNEL_SIZE, KERNEL_SIZE)
    taps = ops.conv_matrix(out_size, numbered, stride, padding).T.astype(int) - 1
    return {
        "output_size": out_size,
        # taps[o][i]: flat index of the kernel tap linking input i to output o, or -1.
        "taps": taps.tolist(),
        # windows[i]: output cells (flat) that input cell i's kernel window covers,
        # zero-valued taps included; feeds[o]: input cells whose windows cover o.
        "windows": [np.flatnonzero(taps[:, i] >= 0).tolist() for i in range(taps.shape[1])],
        "feeds": [np.flatnonzero(taps[o] >= 0).tolist() for o in range(taps.shape[0])],
    }


def transposed_output(kernel: str, input_size: int, stride: int, padding: int) -> list:
    x = example_input(input_size)
    weights = KERNELS[kernel]
    return as_numbers(ops.conv_transpose2d(x[None, None], weights[None, None], stride=stride, padding=padding)[0, 0])


def page_state(kernel: str, input_size: int, stride: int, padding: int) -> dict:
    """What the page needs for one setting: the geometry of Cᵀ, the kernel, x and y.

    The page fills Cᵀ itself by looking each entry's tap up in the kernel.
    """
    return {
        **geometry(input_size, stride, padding),
        "kernel": as_numbers(KERNELS[kernel]),
        "input": as_numbers(example_input(input_size)),
        "output": transposed_output(kernel, input_size, stride, padding),
    }


def adjoint_state(kernel: str, input_size: int, stride: int, padding: int) -> dict:
    """Everything the explorer shows for one setting of its controls (used by tests and repr).

    Cᵀ has one row per output cell and one column per input cell.
    """
    state = page_state(kernel, input_size, stride, padding)
    matrix = ops.conv_matrix(state["output_size"], KERNELS[kernel], stride, padding).T
    return {**state, "input_size": input_size, "matrix": as_numbers(matrix)}


class AdjointExplorer(Explorer):
    """Hover a cell of x, y or Cᵀ to see which cells the adjoint links it to.

    Controls: kernel ('sparse', 'ones', 'random'), input_size 2-4, stride 1-3,
    padding 0-1. The default is the chapter's worked example: a 2x2 input, the
    sparse 3x3 kernel, stride 1, padding 0, giving a 4x4 output.
    """

    _script = "adjoint.js"
    title = "a transposed convolution as the matrix product y = Cᵀx"

    controls = CONTROLS
    default = {"kernel": "sparse", "input_size": 2, "stride": 1, "padding": 0}
    # states: "kernel|I|S|P" -> output_size, taps, windows, feeds, kernel, input, output
    compute = staticmethod(page_state)
    kernel_labels = traitlets.Dict(KERNEL_LABELS).tag(sync=True)

    @property
    def state(self) -> dict:
        """Everything shown for the current controls (see `adjoint_state`)."""
        return adjoint_state(**self.setting)

    def static_parts(self) -> list:
        s = self.state
        i, o = s["input_size"], s["output_size"]
        return [Grid(f"kernel ({KERNEL_LABELS[self.kernel]})", s["kernel"]),
                Grid(f"input x ({i}x{i})", s["input"]),
                Grid(f"output y = Cᵀx ({o}x{o})", s["output"]),
                Grid(f"Cᵀ ({o * o} rows x {i * i} columns)", s["matrix"])]

    def describe(self) -> str:
        s = self.state
        i, o = s["input_size"], s["output_size"]
        return "\n".join(
            [
                f"AdjointExplorer: y = Cᵀx with the {KERNEL_LABELS[self.kernel]} kernel, "
                f"stride {self.stride}, padding {self.padding}",
                "kernel:",
                format_grid(s["kernel"]),
                f"input x ({i}x{i}):",
                format_grid(s["input"]),
                f"Cᵀ: {o * o} rows (one per output cell) x {i * i} columns (one per input cell)",
                f"output y = Cᵀx ({o}x{o}):",
                format_grid(s["output"]),
                "(Interactive where widgets render: hover a cell to light the cells Cᵀ links it to.)",
            ]
        )
