"""`FractionallyStridedView`: a transposed convolution as zero insertion, padding and a
stride-1 convolution with the flipped kernel.

Defined for section 5, zero insertion (the fractionally-strided view).
"""

from __future__ import annotations

import numpy as np
import traitlets

from . import ops
from ._base import BoundedInt, Choice, Explorer, as_numbers, format_grid
from .static_figure import Grid, Text

STAGES = ("input", "inserted", "padded", "output")
STAGE_LABELS = {
    "input": "1. input",
    "inserted": "2. zeros inserted",
    "padded": "3. padded",
    "output": "4. stride-1 convolution",
}
# In this order the controls key a state ("S|K|P").
CONTROLS = {"stride": (1, 3), "kernel_size": (2, 4), "padding": (0, 2)}
# The chapter's worked input. The explorer has no input-size control: the 2x2 input keeps every
# grid small enough to read, and stride 3 with a 4x4 kernel still fits (a 10x10 padded grid).
INPUT = np.array([[1, 2], [3, 4]], dtype=float)
# The largest output (stride 3, kernel 4, padding 0) has 7x7 cells: the window step runs 0..48.
MAX_STEP = ops.conv_transpose_output_size(INPUT.shape[0], CONTROLS["kernel_size"][1],
                                          CONTROLS["stride"][1], 0) ** 2 - 1


def example_kernel(size: int) -> np.ndarray:
    """The explorer's kernel: 1, 2, ..., K² row by row. No symmetry at all, so the flip shows."""
    return np.arange(1, size * size + 1, dtype=float).reshape(size, size)


def refusal(stride: int, kernel_size: int, padding: int) -> str | None:
    """Why a setting has no transposed convolution (in words for the status line), or None."""
    try:
        ops.conv_transpose_output_size(INPUT.shape[0], kernel_size, stride, padding)
    except ValueError:
        size = (INPUT.shape[0] - 1) * stride - 2 * padding + kernel_size
        return (f"Not allowed: with a {INPUT.shape[0]}×{INPUT.shape[0]} input the output size "
                f"(I−1)·S − 2P + K = {INPUT.shape[0] - 1}·{stride} − 2·{padding} + {kernel_size} "
                f"= {size}, but it must be at least 1, so PyTorch refuses this layer. Lower the "
                f"padding, or raise the stride or the kernel size.")
    return None


def zero_insertion_state(stride: int, kernel_size: int, padding: int) -> dict:
    """Everything the explorer shows for one setting (used by the payload, the tests and repr).

    `pad` is D(K−1) − P with D = 1 (negative: crop). Invalid settings carry `error` and no grids
    beyond the input.
    """
    kernel = example_kernel(kernel_size)
    state = {
        "stride": stride, "kernel_size": kernel_size, "padding": padding,
        "input": as_numbers(INPUT),
        "kernel": as_numbers(kernel),
        "flipped": as_numbers(kernel[::-1, ::-1]),
        "inserted": as_numbers(ops.zero_insert(INPUT, stride)),
        "pad": ops.fractional_padding(kernel_size, padding)[0][0],
        "error": refusal(stride, kernel_size, padding),
    }
    if state["error"] is None:
        state["padded"] = as_numbers(ops.zero_insert_and_pad(INPUT, kernel_size, stride, padding))
        state["output"] = as_numbers(
            ops.conv_transpose2d_via_zero_insertion(INPUT[None, None], kernel[None, None],
                                                    stride=stride, padding=padding)[0, 0])
        state["output_size"] = ops.conv_transpose_output_size(INPUT.shape[0], kernel_size,
                                                              stride, padding)
    return state


def page_state(stride: int, kernel_size: int, padding: int) -> dict:
    """What the page needs for one setting: every grid, or the input and the refusal."""
    state = zero_insertion_state(stride, kernel_size, padding)
    shown = ("input", "error") if state["error"] else (
        "input", "kernel", "flipped", "inserted", "pad", "padded", "output")
    return {f: state[f] for f in shown}


class FractionallyStridedView(Explorer):
    """Step through the fractionally-strided view of a transposed convolution.

    Four stages, each its own grid: the input, the input with S−1 zeros inserted between
    neighbours, that grid padded by K−1−P on each side, and the output of a stride-1 convolution
    with the flipped kernel, whose window slides across the padded grid one output cell at a time.
    Controls: stride 1-3, padding 0-2, kernel_size 2-4; `stage` and `step` (the output cell being
    computed, row by row) follow the step buttons. The default is the chapter's stride-2 example
    with a 3x3 kernel.
    """

    _script = "zero_insertion.js"
    _style = "zero_insertion.css"
    title = "a transposed convolution as zero insertion, padding and a stride-1 convolution"

    controls = CONTROLS
    default = {"stride": 2, "kernel_size": 3, "padding": 0}
    # states: "S|K|P" -> input, kernel, flipped, inserted, pad, padded, output; or error
    compute = staticmethod(page_state)
    stage = Choice("input", STAGES).tag(sync=True)
    step = BoundedInt(0, 0, MAX_STEP).tag(sync=True)
    stage_labels = traitlets.Dict(STAGE_LABELS).tag(sync=True)

    @traitlets.validate("step")
    def _step_fits_output(self, proposal):
        value = proposal["value"]
        size = self.state.get("output_size", 0)
        if value and value >= size * size:
            raise ValueError(f"step must be below the number of output cells ({size * size}) "
                             f"for this setting, got {value}")
        return value

    @traitlets.observe("stride", "padding", "kernel_size")
    def _restart_window(self, change):
        # A new setting has a new output: the sliding window starts again at its first cell.
        self.step = 0

    @property
    def state(self) -> dict:
        """The data for the current controls."""
        return zero_insertion_state(self.stride, self.kernel_size, self.padding)

    def static_parts(self) -> list:
        # Every stage at once: the page steps through them one at a time.
        s = self.state
        parts = [Grid(STAGE_LABELS["input"], s["input"])]
        if s["error"]:
            return parts + [Text((s["error"],))]
        return parts + [Grid(f"{STAGE_LABELS['inserted']} (S-1 = {self.stride - 1})", s["inserted"]),
                        Grid(f"{STAGE_LABELS['padded']} (K-1-P = {s['pad']})", s["padded"]),
                        Grid("flipped kernel", s["flipped"]),
                        Grid(STAGE_LABELS["output"], s["output"])]

    def describe(self) -> str:
        s = self.state
        n = len(s["input"])
        lines = [
            f"FractionallyStridedView: stride {self.stride}, padding {self.padding}, "
            f"kernel size {self.kernel_size}; stage '{self.stage}'",
            f"input ({n}x{n}):",
            format_grid(s["input"]),
        ]
        if s["error"]:
            return "\n".join(lines + [s["error"]])
        m, o, pad = len(s["inserted"]), s["output_size"], s["pad"]
        border = (f"padded by K-1-P = {pad} on each side" if pad >= 0
                  else f"K-1-P = {pad} < 0: cropped by {-pad} on each side")
        r, c = divmod(self.step, o)
        lines += [
            f"S-1 = {self.stride - 1} zeros inserted ({m}x{m}):",
            format_grid(s["inserted"]),
            f"{border} ({len(s['padded'])}x{len(s['padded'])}):",
            format_grid(s["padded"]),
            "kernel of the transposed convolution:",
            format_grid(s["kernel"]),
            "the same kernel flipped in both axes (what the stride-1 convolution uses):",
            format_grid(s["flipped"]),
            f"output ({o}x{o}), equal to conv_transpose2d:",
            format_grid(s["output"]),
        ]
        if self.stage == "output":
            lines.append(f"window at output cell ({r},{c}) = {s['output'][r][c]}")
        lines.append("(Interactive where widgets render: step through the stages, "
                     "or press Play to slide the window.)")
        return "\n".join(lines)
