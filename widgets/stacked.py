"""`StackedLayersExplorer`: how the overlap pattern compounds through stacked upsampling layers.

Defined for section 6, checkerboard artifacts. A constant 1-D signal of length 8 goes through one
to four transposed convolutions, each with its own kernel size K (1-6) and stride S (1-3) and a
kernel of ones, so each layer's output is the overlap profile of the stack so far (the 1-D
figure of the Distill article, made quantitative).

Reachable states: 18 + 18² + 18³ + 18⁴ (about 111,000), too many to precompute and send. So, as
in `OutputSizeCalculator`, the JavaScript computes each layer itself (a scatter-add of ones and
the period-2 share of the interior: a few lines); `stacked_state` below is its Python twin built
on `widgets.ops`, checked against PyTorch in `tests/test_stacked.py`, and
`tests/test_browser_stacked.py` compares what the page shows with `stacked_state` for every
one- and two-layer state and a fixed sample of deeper stacks.
"""

from __future__ import annotations

import itertools

import numpy as np
import traitlets

from . import ops
from ._base import Explorer, control_values
from .static_figure import MAX_BARS, Bars

INPUT_LENGTH = 8
MAX_LAYERS = 4
KERNEL_SIZES = (1, 6)
STRIDES = (1, 3)
# The number of layers, then each layer's kernel size and stride.
CONTROLS = {"layers": (1, MAX_LAYERS),
            **{f"kernel_size_{layer}": KERNEL_SIZES for layer in range(1, MAX_LAYERS + 1)},
            **{f"stride_{layer}": STRIDES for layer in range(1, MAX_LAYERS + 1)}}
DEFAULT = {"layers": 3, **{name: 3 for name in CONTROLS if name.startswith("kernel_size_")},
           **{name: 2 for name in CONTROLS if name.startswith("stride_")}}


def layer_interior(first: int, last: int, kernel_size: int, stride: int) -> tuple[int, int]:
    """The interior of a layer's output from the interior [first, last] of its input.

    Output position p is interior when every input that reaches it is interior. Inputs 0..last
    give the interior `ops.interior(last + 1, K, S)`, and leaving out the `first` inputs before
    the interior moves its start S*first further. (first > last means there is no interior.)
    """
    start, end = ops.interior(last + 1, kernel_size, stride)
    return stride * first + start, end


def period_two_share(profile, first: int, last: int):
    """`ops.checkerboard_energy` of the interior, as a 1 x L image, or None without an interior.

    An odd-length interior loses its last cell first (the measure needs an even length); an
    interior shorter than 2 cells has nothing to measure.
    """
    inner = np.asarray(profile, dtype=float)[first:last + 1]
    inner = inner[: len(inner) // 2 * 2]
    if len(inner) < 2:
        return None
    return ops.checkerboard_energy(inner[None, :])


def stacked_state(layers) -> list[dict]:
    """Each layer's output for a constant input of ones: a list of (K, S) pairs in, one dict out
    per layer with the profile, the interior [first, last], the period-2 share of the interior
    and the interior's smallest and largest value (None where there is no interior)."""
    x = np.ones(INPUT_LENGTH)
    first, last = 0, INPUT_LENGTH - 1
    out = []
    for kernel_size, stride in layers:
        x = ops.conv_transpose2d(x[None, None, None, :], np.ones((1, 1, 1, kernel_size)),
                                 stride=(1, stride))[0, 0, 0]
        first, last = layer_interior(first, last, kernel_size, stride)
        inner = x[first:last + 1]
        out.append({
            "kernel_size": kernel_size,
            "stride": stride,
            "profile": x.astype(np.int64).tolist(),
            "interior": [first, last],
            "share": period_two_share(x, first, last),
            "range": [int(inner.min()), int(inner.max())] if len(inner) else None,
        })
    return out


def stack_of(setting: dict) -> list[tuple[int, int]]:
    """The (K, S) of each layer in use, from a setting of the controls."""
    return [(setting[f"kernel_size_{layer}"], setting[f"stride_{layer}"])
            for layer in range(1, setting["layers"] + 1)]


def page_state(**setting) -> list[dict]:
    """What the page computes for one setting (stacked_state of its stack)."""
    return stacked_state(stack_of(setting))


class StackedLayersExplorer(Explorer):
    """One to four stacked transposed convolutions (kernels of ones) on a constant 1-D signal.

    Controls: layers 1-4, and per layer l = 1..4 a kernel size `kernel_size_l` (1-6) and a stride
    `stride_l` (1-3). Default: three layers of K=3, S=2. Each layer's profile is drawn as bars,
    with the period-2 share (`ops.checkerboard_energy`) and the min-max of its interior.
    """

    _script = "stacked.js"
    _style = "stacked.css"
    title = "how uneven overlap compounds through stacked transposed convolutions"

    controls = CONTROLS
    default = DEFAULT
    compute = staticmethod(page_state)
    precompute = False  # about 111,000 stacks: the page computes each (stackedLayers in JS)
    input_length = traitlets.Int(INPUT_LENGTH).tag(sync=True)

    @classmethod
    def reachable_states(cls):
        """One setting per distinct stack: the layers past `layers` keep their defaults, as
        they change nothing on the page (18 + 18² + 18³ + 18⁴ settings)."""
        pairs = [(k, s) for k in control_values(KERNEL_SIZES) for s in control_values(STRIDES)]
        for layers in control_values(CONTROLS["layers"]):
            for stack in itertools.product(pairs, repeat=layers):
                setting = dict(DEFAULT, layers=layers)
                for layer, (k, s) in enumerate(stack, 1):
                    setting[f"kernel_size_{layer}"], setting[f"stride_{layer}"] = k, s
                yield setting

    @property
    def stack(self) -> list[tuple[int, int]]:
        return stack_of(self.setting)

    @property
    def state(self) -> list[dict]:
        return stacked_state(self.stack)

    def static_parts(self) -> list:
        parts = []
        for i, layer in enumerate(self.state, 1):
            profile = layer["profile"]
            shown = "" if len(profile) <= MAX_BARS else f", the first {MAX_BARS} drawn"
            parts.append(Bars(f"layer {i} (K={layer['kernel_size']}, S={layer['stride']}): "
                              f"{len(profile)} values{shown}, interior range {layer['range']}",
                              profile[:MAX_BARS]))
        return parts

    def describe(self) -> str:
        lines = [f"StackedLayersExplorer: a constant signal of {INPUT_LENGTH} ones through "
                 f"{self.layers} transposed conv layer(s) with kernels of ones"]
        for i, layer in enumerate(self.state, 1):
            share = "n/a (no interior)" if layer["share"] is None else f"{layer['share']:.3f}"
            first, last = layer["interior"]
            lines.append(f"layer {i} (K={layer['kernel_size']}, S={layer['stride']}): "
                         f"{len(layer['profile'])} values, interior {first}..{last}, "
                         f"period-2 share {share}, interior range {layer['range']}")
            lines.append(f"  {layer['profile']}")
        lines.append("(Interactive where widgets render: change the layers, hover a bar.)")
        return "\n".join(lines)
