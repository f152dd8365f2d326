"""Section 4: the output-size functions of widgets.ops and the OutputSizeCalculator, against PyTorch.

Sizes along one axis do not depend on the other axis, so PyTorch is called with a one-pixel-wide
second axis ((N, C, n, 1) inputs, (K, 1) kernels): the same conv2d / conv_transpose2d code path
and size rules, at a fraction of the cost of square images. Every reachable state of the
calculator (30,464 of them) is checked.
"""

import itertools
import re

import pytest

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import widgets  # noqa: E402
from widgets import ops  # noqa: E402
from widgets.output_size import (  # noqa: E402
    CONTROLS, TERMS, OutputSizeCalculator, calculator_state, code_line)

torch.set_num_threads(1)


def torch_transposed_size(i, k, s, p, d, op):
    """PyTorch's output size along the first axis, or None where PyTorch refuses."""
    x = torch.zeros(1, 1, i, 1)
    w = torch.zeros(1, 1, k, 1)
    try:
        y = F.conv_transpose2d(x, w, stride=(s, 1), padding=(p, 0), output_padding=(op, 0),
                               dilation=(d, 1))
    except RuntimeError:
        return None
    return y.shape[2]


def torch_forward_size(n, k, s, p, d):
    try:
        y = F.conv2d(torch.zeros(1, 1, n, 1), torch.zeros(1, 1, k, 1), stride=(s, 1),
                     padding=(p, 0), dilation=(d, 1))
    except RuntimeError:
        return None
    return y.shape[2]


def span(name):
    low, high = CONTROLS[name]
    return range(low, high + 1)


# ---------------------------------------------------------------------------------------------
# widgets.ops, section 4 additions
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("s, d", list(itertools.product(range(1, 6), range(1, 6))))
def test_max_output_padding_is_what_torch_accepts(s, d):
    limit = ops.max_output_padding(s, d)
    assert torch_transposed_size(3, 3, s, 0, d, limit) is not None
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(torch.zeros(1, 1, 3, 1), torch.zeros(1, 1, 3, 1), stride=(s, 1),
                           output_padding=(limit + 1, 0), dilation=(d, 1))
    # ops.conv_transpose_output_size agrees on the boundary, with an error that names the rule.
    assert ops.conv_transpose_output_size(3, 3, s, 0, limit, d) > 0
    with pytest.raises(ValueError, match="output_padding .* smaller than either stride"):
        ops.conv_transpose_output_size(3, 3, s, 0, limit + 1, d)


def test_max_output_padding_pairs_and_validation():
    assert ops.max_output_padding((1, 2), 1) == (0, 1)
    assert ops.max_output_padding(1, (3, 1)) == (2, 0)
    assert ops.max_output_padding(1, 2) == 1  # S=1, D=2 accepts output_padding 1
    with pytest.raises(ValueError, match="stride must be >= 1"):
        ops.max_output_padding(0)
    with pytest.raises(ValueError, match="dilation must be an int or a pair"):
        ops.max_output_padding(2, 1.5)


def test_conv_input_sizes_against_torch_forward_sizes():
    """For sizes up to 40 and every K, S, P, D in the calculator's ranges, the range holds
    exactly the n in 1..200 that PyTorch's conv2d maps to the size."""
    for k, s, p, d in itertools.product(span("kernel_size"), span("stride"), span("padding"),
                                        span("dilation")):
        images = {}
        for n in range(1, 201):
            images.setdefault(torch_forward_size(n, k, s, p, d), []).append(n)
        for size in range(1, 41):
            sizes = ops.conv_input_sizes(size, k, s, p, d)
            assert list(sizes) == images.get(size, []), (size, k, s, p, d)
            assert len(sizes) <= s


def test_conv_input_sizes_pairs_and_empty_range():
    assert ops.conv_input_sizes(4, 3, 2, 1) == range(7, 9)  # the worked example's 7 and 8
    assert ops.conv_input_sizes((4, 2), 3, (2, 1), 1) == (range(7, 9), range(2, 3))
    assert len(ops.conv_input_sizes(1, 1, 1, 3)) == 0  # padding 3 makes every output >= 7
    with pytest.raises(ValueError, match="size must be >= 1"):
        ops.conv_input_sizes(0, 3)


def test_output_padding_for_round_trips_through_torch():
    for size, k, s, p, d in itertools.product(range(1, 9), span("kernel_size"), span("stride"),
                                              span("padding"), span("dilation")):
        for target in ops.conv_input_sizes(size, k, s, p, d):
            op = ops.output_padding_for(target, size, k, s, p, d)
            assert 0 <= op <= ops.max_output_padding(s, d)
            assert ops.conv_transpose_output_size(size, k, s, p, op, d) == target
            assert torch_transposed_size(size, k, s, p, d, op) == target
            # PyTorch's `output_size=` argument picks the same output_padding.
            layer = torch.nn.ConvTranspose2d(1, 1, (k, 1), stride=(s, 1), padding=(p, 0),
                                             dilation=(d, 1))
            assert layer._output_padding(torch.zeros(1, 1, size, 1), [target, 1], [s, 1],
                                         [p, 0], [k, 1], 2, [d, 1]) == [op, 0]


def test_output_padding_for_refuses_a_size_the_forward_conv_does_not_reach():
    assert ops.output_padding_for(7, 4, 3, 2, 1) == 0
    assert ops.output_padding_for(8, 4, 3, 2, 1) == 1
    with pytest.raises(ValueError, match=r"target 9 is not an input size .* sizes 7\.\.8"):
        ops.output_padding_for(9, 4, 3, 2, 1)
    with pytest.raises(ValueError, match="no input size"):
        ops.output_padding_for(1, 1, 1, 1, 3)
    with pytest.raises(ValueError, match="target must be an int"):
        ops.output_padding_for((7, 7), 4, 3, 2, 1)


# ---------------------------------------------------------------------------------------------
# The calculator's states
# ---------------------------------------------------------------------------------------------

def test_every_reachable_state_matches_torch():
    states = [tuple(setting.values()) for setting in OutputSizeCalculator.reachable_states()]
    assert len(states) == 30464 and len(set(states)) == 30464
    forward_checked = set()
    for i, k, s, p, d, op in states:
        state = calculator_state(i, k, s, p, d, op)
        expected = torch_transposed_size(i, k, s, p, d, op)
        assert state["output_size"] == expected, (i, k, s, p, d, op)
        assert sum(state["terms"].values()) == state["total"]
        if expected is not None:
            assert state["total"] == expected
        else:
            assert state["total"] < 1 and "RuntimeError" in state["code"]
        assert op <= state["output_padding_limit"] == max(s, d) - 1
        # Forward sizes (independent of output_padding): each maps to I in PyTorch, and each
        # listed output_padding gives it back; the neighbours just outside do not map to I.
        if (i, k, s, p, d) in forward_checked:
            continue
        forward_checked.add((i, k, s, p, d))
        sizes = [n for n, _ in state["forward_sizes"]]
        for n, n_op in state["forward_sizes"]:
            assert torch_forward_size(n, k, s, p, d) == i
            assert torch_transposed_size(i, k, s, p, d, n_op) == n
        if sizes:
            assert sizes == list(range(sizes[0], sizes[-1] + 1))
            assert sizes[0] == 1 or torch_forward_size(sizes[0] - 1, k, s, p, d) != i
            assert torch_forward_size(sizes[-1] + 1, k, s, p, d) != i


def test_code_line_runs_in_torch():
    namespace = {"torch": torch}
    for state in [(4, 3, 2, 1, 1, 0), (4, 3, 2, 1, 1, 1), (5, 4, 3, 2, 2, 2), (1, 1, 1, 3, 1, 0)]:
        line = code_line(*state)
        call, comment = line.split("  # ")
        layer = eval(call, namespace)  # noqa: S307 - our own generated line
        i = state[0]
        try:
            o = layer(torch.zeros(1, 1, i, i)).shape[-1]
            assert comment == f"{i}x{i} -> {o}x{o}"
        except RuntimeError:
            assert "RuntimeError" in comment


def test_calculator_state_refuses_output_padding_torch_refuses():
    with pytest.raises(ValueError, match=r"smaller than either stride \(2\) or dilation \(1\)"):
        calculator_state(4, 3, 2, 1, 1, 2)


# ---------------------------------------------------------------------------------------------
# The widget
# ---------------------------------------------------------------------------------------------

def test_default_is_the_worked_example():
    state = widgets.OutputSizeCalculator().state
    assert state["output_size"] == 7
    assert state["forward_sizes"] == [(7, 0), (8, 1)]
    assert state["terms"] == {"spacing": 6, "crop": -2, "reach": 2, "output_padding": 0, "one": 1}


def test_payload_limits_come_from_ops():
    explorer = widgets.OutputSizeCalculator()
    assert explorer.limits == {name: list(lim) for name, lim in CONTROLS.items()}
    assert explorer.output_padding_limits == {
        f"{s}|{d}": ops.max_output_padding(s, d) for s in span("stride") for d in span("dilation")}
    assert [tuple(t) for t in explorer.terms] == list(TERMS)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"input_size": 0}, "input_size must be between 1 and 32"),
        ({"input_size": 33}, "input_size must be between 1 and 32"),
        ({"kernel_size": 8}, "kernel_size must be between 1 and 7"),
        ({"stride": 5}, "stride must be between 1 and 4"),
        ({"padding": -1}, "padding must be between 0 and 3"),
        ({"dilation": 4}, "dilation must be between 1 and 3"),
        ({"output_padding": 2}, r"output_padding must be smaller than either stride \(2\)"),
        ({"stride": 1, "output_padding": 1}, r"stride \(1\) or dilation \(1\), so at most 0"),
        ({"stride": 2.0}, "stride must be an integer"),
    ],
)
def test_rejects_states_the_controls_cannot_reach(kwargs, message):
    with pytest.raises(ValueError, match=message):
        widgets.OutputSizeCalculator(**kwargs)
    explorer = widgets.OutputSizeCalculator()
    with pytest.raises(ValueError, match=message):
        with explorer.hold_trait_notifications():
            for name, value in kwargs.items():
                setattr(explorer, name, value)


def test_lowering_stride_or_dilation_lowers_output_padding():
    explorer = widgets.OutputSizeCalculator(stride=4, output_padding=3)
    explorer.stride = 2
    assert explorer.output_padding == 1
    explorer.dilation = 3
    explorer.output_padding = 2  # accepted: below the dilation though not below the stride
    assert explorer.state["output_size"] == 4 * 2 - 2 * 1 + 3 * 2 + 2 - 1
    explorer.dilation = 1
    assert explorer.output_padding == 1
    explorer.stride = 1
    assert explorer.output_padding == 0
    # S=1, D=2, output_padding=1 is a state PyTorch accepts, so the calculator does too.
    assert widgets.OutputSizeCalculator(stride=1, dilation=2, output_padding=1).state["output_size"] == \
        (4 - 1) * 1 - 2 * 1 + 2 * (3 - 1) + 1 + 1


def test_text_representation_follows_state():
    explorer = widgets.OutputSizeCalculator()
    text = repr(explorer)
    assert "output 7x7" in text and "7 (output_padding=0), 8 (output_padding=1)" in text
    assert not re.search(r"0x[0-9a-f]{6,}", text)
    explorer.output_padding = 1
    assert "output 8x8" in repr(explorer)
    explorer.padding = 3
    explorer.input_size = 1
    assert "no valid output" in repr(explorer)
    bundle, _ = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == repr(explorer)


def test_assets_carry_the_dom_contract():
    esm = widgets.OutputSizeCalculator._esm
    for contract in ('"output-size"', '"forward-range"', '"code"', '"data-grid"', '"data-lit"',
                     '"aria-label"', "export default"):
        assert contract in esm, contract
