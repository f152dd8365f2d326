"""`ScatterAddPainter`: transposed convolution as every input cell painting a scaled kernel.

Defined for section 3, the scatter-add view. Every number the painter shows comes from
`ops.conv_transpose2d`; the browser only looks it up.
"""

from __future__ import annotations

import numpy as np
import traitlets

from . import ops
from ._base import Explorer, as_numbers, format_grid
from .static_figure import Grid

KERNEL_SIZE = 3
# The chapter's worked kernel (corners and centre) and a dense one.
KERNELS = {
    "sparse": np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=float),
    "ones": np.ones((KERNEL_SIZE, KERNEL_SIZE)),
}
KERNEL_LABELS = {
    "sparse": "sparse corners + centre",
    "ones": "all ones",
}
INPUT = np.array([[1, 2], [3, 4]], dtype=float)
INPUT_CELLS = INPUT.size
CONTROLS = {"kernel": tuple(KERNELS), "stride": (1, 3)}


def mask_input(mask: int) -> np.ndarray:
    """The input with only the cells whose bit is set in `mask` kept (bit i = flat cell i)."""
    keep = np.array([(mask >> i) & 1 for i in range(INPUT_CELLS)], dtype=float).reshape(INPUT.shape)
    return INPUT * keep


def _transposed(x, kernel, stride):
    return ops.conv_transpose2d(x[None, None], kernel[None, None], stride=stride)[0, 0]


def geometry(stride: int) -> dict:
    """Where each input cell's kernel copy lands: independent of the kernel's values.

    windows[i] lists the output cells (flat, row-major) that input cell i's K×K copy covers,
    zero-valued taps included; taps[i][j] is the kernel tap (flat) that lands on windows[i][j].
    Both come from `ops.conv_transpose2d` of a one-hot input with a kernel whose taps are
    numbered 1..K².
    """
    size = ops.conv_transpose_output_size(INPUT.shape[0], KERNEL_SIZE, stride)
    numbered = np.arange(1, KERNEL_SIZE**2 + 1, dtype=float).reshape(KERNEL_SIZE, KERNEL_SIZE)
    windows, taps = [], []
    for i in range(INPUT_CELLS):
        one_hot = np.zeros(INPUT_CELLS)
        one_hot[i] = 1
        painted = _transposed(one_hot.reshape(INPUT.shape), numbered, stride).ravel().astype(int)
        cells = np.flatnonzero(painted)
        windows.append(cells.tolist())
        taps.append((painted[cells] - 1).tolist())
    counts = ops.overlap_counts(INPUT.shape[0], KERNEL_SIZE, stride)
    return {
        "output_size": size,
        "windows": windows,
        "taps": taps,
        "max_overlap": int(counts.max()),
    }


def painting(kernel: str, stride: int) -> dict:
    """The numbers for one (kernel, stride): what each cell adds, and every running sum.

    added[i][j] is what input cell i adds to output cell windows[i][j] (its value times the tap);
    sums[mask] is the output after painting the input cells in `mask` (bit i = flat cell i), in
    any order: the scatter-add of the masked input.
    """
    weights = KERNELS[kernel]
    shape = geometry(stride)
    added = []
    for i, (cells, taps) in enumerate(zip(shape["windows"], shape["taps"])):
        copy = _transposed(mask_input(1 << i), weights, stride).ravel()
        added.append(as_numbers(copy[cells]))
    sums = [as_numbers(_transposed(mask_input(m), weights, stride)) for m in range(1 << INPUT_CELLS)]
    return {"added": added, "sums": sums}


def page_state(kernel: str, stride: int) -> dict:
    """What the page needs for one setting: the geometry, the kernel and every running sum."""
    return {**geometry(stride), **painting(kernel, stride), "kernel": as_numbers(KERNELS[kernel])}


def painter_state(kernel: str, stride: int, painted=()) -> dict:
    """Everything the painter shows for one setting (used by tests and the text repr)."""
    mask = sum(1 << i for i in set(painted))
    shape = geometry(stride)
    paint = painting(kernel, stride)
    return {
        **shape,
        "kernel": as_numbers(KERNELS[kernel]),
        "input": as_numbers(INPUT),
        "added": paint["added"],
        "output": paint["sums"][mask],
        "overlapping": stride < KERNEL_SIZE,
    }


class _Painted(traitlets.List):
    """The painted input cells (flat indices, in painting order): distinct, each in range."""

    def validate(self, obj, value):
        value = super().validate(obj, value)
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < INPUT_CELLS:
                raise ValueError(
                    f"painted must list input cells as flat indices 0-{INPUT_CELLS - 1}, got {v!r}")
        if len(set(value)) != len(value):
            raise ValueError(f"painted must not list a cell twice (each cell paints once), got {value}")
        return value


class ScatterAddPainter(Explorer):
    """Click input cells (or press Play) to paint each one's scaled kernel into the output.

    Controls: kernel ('sparse', 'ones'), stride 1-3. The input is the chapter's
    [[1, 2], [3, 4]]; the default is the worked example (sparse kernel, stride 1,
    4x4 output). `painted` lists the input cells painted so far (flat indices,
    row by row, in painting order); setting it from Python repaints the page.
    """

    _script = "scatter_add.js"
    _style = "scatter_add.css"
    title = "scatter-add, every input cell painting a scaled copy of the kernel"

    controls = CONTROLS
    default = {"kernel": "sparse", "stride": 1}
    # states: "kernel|S" -> output_size, windows, taps, max_overlap, added, sums (by painted
    # mask), kernel
    compute = staticmethod(page_state)
    painted = _Painted().tag(sync=True)
    kernel_size = traitlets.Int(KERNEL_SIZE, read_only=True).tag(sync=True)
    kernel_labels = traitlets.Dict(KERNEL_LABELS).tag(sync=True)
    input = traitlets.List(as_numbers(INPUT)).tag(sync=True)  # the 2x2 input

    @property
    def state(self) -> dict:
        """The precomputed data for the current controls and painted cells."""
        return painter_state(self.kernel, self.stride, self.painted)

    def static_parts(self) -> list:
        # The running sums start at zero, so the picture adds the sums once every cell has
        # painted: the transposed convolution the painter builds up.
        s = self.state
        o = s["output_size"]
        everything = painter_state(self.kernel, self.stride, range(INPUT_CELLS))["output"]
        parts = [Grid(f"kernel ({KERNEL_LABELS[self.kernel]}), stride {self.stride}", s["kernel"]),
                 Grid("input (2x2)", s["input"])]
        if self.painted:
            parts.append(Grid(f"running sums, {len(self.painted)} cell(s) painted", s["output"]))
        return parts + [Grid(f"output, all 4 cells painted ({o}x{o})", everything)]

    def describe(self) -> str:
        s = self.state
        o = s["output_size"]
        n = INPUT.shape[1]
        painted = ", ".join(f"({i // n},{i % n})" for i in self.painted) or "none yet"
        overlap = (
            f"windows overlap (up to {s['max_overlap']} per output cell)"
            if s["overlapping"]
            else f"stride {self.stride} >= kernel size {KERNEL_SIZE}: the windows do not overlap"
        )
        return "\n".join(
            [
                f"ScatterAddPainter: the {KERNEL_LABELS[self.kernel]} kernel, stride {self.stride}; {overlap}",
                "kernel:",
                format_grid(s["kernel"]),
                "input (2x2):",
                format_grid(s["input"]),
                f"painted input cells: {painted}",
                f"output running sums ({o}x{o}):",
                format_grid(s["output"]),
                "(Interactive where widgets render: paint input cells by clicking them, or use Play.)",
            ]
        )
