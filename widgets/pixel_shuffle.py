"""`PixelShuffleExplorer`: where every input value lands when pixel shuffle rearranges channels.

Defined for section 7, the fixes. The rule is
``out[c, h*r + i, w*r + j] = in[c*r*r + i*r + j, h, w]``; every number and every link the
explorer shows comes from `ops.pixel_shuffle` and `ops.pixel_unshuffle`, and the browser only
looks them up.
"""

from __future__ import annotations

import numpy as np
import traitlets

from . import ops
from ._base import Explorer, format_grid, key
from .static_figure import Grid

SIZE = 2            # the low-resolution input is SIZE x SIZE per channel
# r: the upscale factor; channels: the output channels.
CONTROLS = {"r": (2, 3), "channels": (1, 2)}


def example_input(r: int, channels: int) -> np.ndarray:
    """The input: channels * r * r grids of SIZE x SIZE holding 1, 2, 3, ... channel by channel."""
    n = channels * r * r
    return np.arange(1, n * SIZE * SIZE + 1).reshape(n, SIZE, SIZE)


def shuffle_state(r: int, channels: int) -> dict:
    """Everything the explorer shows for upscale factor ``r`` and ``channels`` output channels.

    ``source[c][y][x]`` is the flat input address (k * SIZE² + h * SIZE + w) that output cell
    (c, y, x) copies; ``target[k][h][w]`` is the flat output address (c * (r*SIZE)² + y * r*SIZE + x)
    that input cell (k, h, w) goes to. Both are obtained by shuffling arrays of addresses with
    `ops.pixel_shuffle` / `ops.pixel_unshuffle`, not from the formula, so the tests can check the
    formula against them.
    """
    _check(r, channels)
    n = channels * r * r
    big = SIZE * r
    x = example_input(r, channels)
    source = ops.pixel_shuffle(np.arange(n * SIZE * SIZE).reshape(n, SIZE, SIZE), r)
    target = ops.pixel_unshuffle(np.arange(channels * big * big).reshape(channels, big, big), r)
    return {
        "r": r,
        "channels": channels,
        "input": x.tolist(),
        "output": ops.pixel_shuffle(x, r).tolist(),
        "source": source.tolist(),
        "target": target.tolist(),
    }


def _check(r, channels):
    for name, value in (("r", r), ("channels", channels)):
        low, high = CONTROLS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name} must be an int between {low} and {high}, got {value!r}")


class PixelShuffleExplorer(Explorer):
    """Hover a cell on either side to light where pixel shuffle moves it.

    Controls: r (upscale factor) 2-3, channels (output channels) 1-2. The input has
    channels * r * r channels of 2x2 holding 1, 2, 3, ...; the output has `channels`
    channels of (2r)x(2r). The status line states the mapping for the hovered cell.
    """

    _script = "pixel_shuffle.js"
    _style = "pixel_shuffle.css"
    title = "where pixel shuffle moves every input value"

    controls = CONTROLS
    default = {"r": 2, "channels": 1}
    compute = staticmethod(shuffle_state)  # states: "r|channels" -> input, output, source, target
    size = traitlets.Int(SIZE, read_only=True).tag(sync=True)

    @property
    def state(self) -> dict:
        """The precomputed data for the current controls."""
        return self.states[key(self.r, self.channels)]

    def static_parts(self) -> list:
        s = self.state
        inputs = [Grid(f"input channel {k}", grid) for k, grid in enumerate(s["input"])]
        outputs = [Grid(f"output channel {k} (r = {self.r})", grid) for k, grid in enumerate(s["output"])]
        return inputs + outputs

    def describe(self) -> str:
        s = self.state
        r, c = self.r, self.channels
        n = c * r * r
        lines = [
            f"PixelShuffleExplorer: r = {r}, {n} input channels of {SIZE}x{SIZE} -> "
            f"{c} output channel{'s' if c > 1 else ''} of {SIZE * r}x{SIZE * r}",
            "rule: out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w]",
        ]
        for k, grid in enumerate(s["input"]):
            lines.append(f"input channel {k} (-> output channel {k // (r * r)}, "
                         f"sub-pixel ({k % (r * r) // r}, {k % r})):")
            lines.append(format_grid(grid))
        for k, grid in enumerate(s["output"]):
            lines.append(f"output channel {k}:")
            lines.append(format_grid(grid))
        lines.append("(Interactive where widgets render: hover a cell to light where it goes.)")
        return "\n".join(lines)
