"""`OutputSizeCalculator`: the transposed convolution's output size, term by term.

Defined for section 4, the PyTorch API and the output-size formula.

Unlike the other explorers this one has no grid of values to precompute: its six controls reach
about 43,000 states, and each state is five products of two control values. So the JavaScript
evaluates the formula itself, and Python hands it only what is not arithmetic on the controls
(the control limits and the output_padding limit for every (stride, dilation)). The rule of
ARCHITECTURE.md for JS-side computation applies: `tests/test_browser_output_size.py` drives the
rendered calculator through every reachable state and compares what it shows with PyTorch, and
`tests/test_output_size.py` checks `calculator_state` below (the Python twin of the JS) against
PyTorch for every reachable state too.
"""

from __future__ import annotations

import traitlets

from . import ops
from ._base import Explorer, control_values, key

# The controls' ranges. output_padding's own range is further limited by the current stride and
# dilation, as PyTorch limits it.
CONTROLS = {
    "input_size": (1, 32),
    "kernel_size": (1, 7),
    "stride": (1, 4),
    "padding": (0, 3),
    "dilation": (1, 3),
    "output_padding": (0, 3),
}

# The five terms of O = (I-1)·S - 2P + D·(K-1) + output_padding + 1, in the order the formula
# adds them: (key, symbol, what it measures).
TERMS = (
    ("spacing", "(I−1)·S", "stride spacing"),
    ("crop", "−2P", "padding crops P from each side"),
    ("reach", "D·(K−1)", "kernel reach"),
    ("output_padding", "output_padding", "extra rows at the bottom/right"),
    ("one", "+1", "the first cell"),
)


def term_values(input_size, kernel_size, stride, padding, dilation, output_padding) -> dict:
    """The value of each term of the formula (they sum to the output size)."""
    return {
        "spacing": (input_size - 1) * stride,
        "crop": -2 * padding,
        "reach": dilation * (kernel_size - 1),
        "output_padding": output_padding,
        "one": 1,
    }


def code_line(input_size, kernel_size, stride, padding, dilation, output_padding) -> str:
    """The copy-ready PyTorch line the calculator shows, with the sizes as a comment."""
    call = (f"torch.nn.ConvTranspose2d(1, 1, kernel_size={kernel_size}, stride={stride}, "
            f"padding={padding}, output_padding={output_padding}, dilation={dilation})")
    total = sum(term_values(input_size, kernel_size, stride, padding, dilation,
                            output_padding).values())
    if total < 1:
        return f"{call}  # {input_size}x{input_size} -> RuntimeError: output size {total} is too small"
    return f"{call}  # {input_size}x{input_size} -> {total}x{total}"


def calculator_state(input_size, kernel_size, stride, padding, dilation, output_padding) -> dict:
    """Everything the calculator shows for one setting of its six controls.

    ``output_size`` is None where PyTorch refuses the combination (the terms add up to less than
    1); ``forward_sizes`` lists the forward-conv input sizes that map to ``input_size``, each with
    the output_padding that gives it back. Raises ValueError for an output_padding PyTorch
    refuses, as the calculator never shows such a state.
    """
    limit = ops.max_output_padding(stride, dilation)
    if output_padding > limit:
        raise ValueError(
            f"output_padding must be smaller than either stride ({stride}) or dilation "
            f"({dilation}), so at most {limit}; got {output_padding}")
    terms = term_values(input_size, kernel_size, stride, padding, dilation, output_padding)
    try:
        size = ops.conv_transpose_output_size(input_size, kernel_size, stride, padding,
                                              output_padding, dilation)
    except ValueError:
        size = None
    sizes = ops.conv_input_sizes(input_size, kernel_size, stride, padding, dilation)
    return {
        "terms": terms,
        "total": sum(terms.values()),
        "output_size": size,
        "output_padding_limit": limit,
        "forward_sizes": [(n, ops.output_padding_for(n, input_size, kernel_size, stride, padding,
                                                     dilation)) for n in sizes],
        "code": code_line(input_size, kernel_size, stride, padding, dilation, output_padding),
    }


class OutputSizeCalculator(Explorer):
    """Six sliders, the output-size formula term by term, and the PyTorch line that matches.

    Controls: input_size 1-32, kernel_size 1-7, stride 1-4, padding 0-3, dilation 1-3 and
    output_padding, which PyTorch limits to values below the stride or the dilation (moving
    either slider down lowers output_padding with it). The default is the chapter's 4 -> 7
    example: K=3, S=2, P=1, where a forward conv maps both 7 and 8 to 4.

    About 30,000 settings: the page evaluates the formula itself, and `calculator_state` is
    its Python twin.
    """

    _script = "output_size.js"
    _style = "output_size.css"
    title = "the output size of ConvTranspose2d, term by term"

    controls = CONTROLS
    default = {"input_size": 4, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1,
               "output_padding": 0}
    compute = staticmethod(calculator_state)
    precompute = False
    # "S|D" -> the largest output_padding PyTorch accepts (from ops.max_output_padding).
    output_padding_limits = traitlets.Dict(
        {key(s, d): ops.max_output_padding(s, d)
         for s in control_values(CONTROLS["stride"])
         for d in control_values(CONTROLS["dilation"])}).tag(sync=True)
    # [key, symbol, meaning] for each term, in the formula's order.
    terms = traitlets.List([list(t) for t in TERMS]).tag(sync=True)

    @classmethod
    def reachable(cls, setting: dict) -> bool:
        """output_padding stays within PyTorch's limit for the stride and dilation."""
        return setting["output_padding"] <= ops.max_output_padding(setting["stride"],
                                                                   setting["dilation"])

    @traitlets.validate("output_padding")
    def _check_output_padding(self, proposal):
        value = proposal["value"]
        limit = ops.max_output_padding(self.stride, self.dilation)
        if value > limit:
            raise ValueError(
                f"output_padding must be smaller than either stride ({self.stride}) or dilation "
                f"({self.dilation}), so at most {limit}; got {value}")
        return value

    @traitlets.observe("stride", "dilation")
    def _lower_output_padding(self, change):
        # PyTorch's limit moves with the stride and the dilation; so does the slider's.
        limit = ops.max_output_padding(self.stride, self.dilation)
        if self.output_padding > limit:
            self.output_padding = limit

    @property
    def state(self) -> dict:
        """What the calculator shows for the current controls (see `calculator_state`)."""
        return calculator_state(**self.setting)

    def describe(self) -> str:
        s = self.state
        t = s["terms"]
        i = self.input_size
        sum_text = (f"({i}-1)·{self.stride} - 2·{self.padding} + {self.dilation}·({self.kernel_size}-1)"
                    f" + {self.output_padding} + 1 = {t['spacing']} - {-t['crop']} + {t['reach']}"
                    f" + {t['output_padding']} + 1 = {s['total']}")
        if s["output_size"] is None:
            result = f"no valid output: the terms add up to {s['total']}, PyTorch raises an error"
        else:
            result = f"output {s['output_size']}x{s['output_size']}"
        if s["forward_sizes"]:
            forward = ", ".join(f"{n} (output_padding={op})" for n, op in s["forward_sizes"])
            forward = f"forward Conv2d inputs that map to {i}: {forward}"
        else:
            forward = f"no forward Conv2d input maps to {i} with these settings"
        return "\n".join([
            f"OutputSizeCalculator: input {i}x{i}, kernel_size {self.kernel_size}, "
            f"stride {self.stride}, padding {self.padding}, dilation {self.dilation}, "
            f"output_padding {self.output_padding} (at most {s['output_padding_limit']} here)",
            f"O = (I-1)·S - 2P + D·(K-1) + output_padding + 1 = {sum_text}",
            result,
            forward,
            s["code"],
            "(Interactive where widgets render: move the sliders to change the terms.)",
        ])
