"""Section 8 (the backward pass): the duality between conv2d and conv_transpose2d, property-tested.

The notebook shows a few cases; these tests check the same identities on many configurations drawn
by Hypothesis (derandomized, so every run draws the same ones). Integer-valued data keep every sum
exact, so equality is checked bit for bit.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from widgets import ops  # noqa: E402

torch.set_num_threads(1)
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def integers(seed, *shape):
    return torch.from_numpy(np.random.default_rng(seed).integers(-3, 4, shape).astype(np.float32))


@st.composite
def layer(draw):
    groups = draw(st.sampled_from([1, 2]))
    return dict(
        c_in=groups * draw(st.integers(1, 3)), c_out_per_group=draw(st.integers(1, 3)),
        kernel=(draw(st.integers(1, 4)), draw(st.integers(1, 4))),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=(draw(st.integers(0, 2)), draw(st.integers(0, 2))),
        dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        groups=groups, size=(draw(st.integers(1, 6)), draw(st.integers(1, 6))),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def _valid_transposed(p):
    sizes = [(i - 1) * s - 2 * q + d * (k - 1) + 1
             for i, s, q, d, k in zip(p["size"], p["stride"], p["padding"], p["dilation"], p["kernel"])]
    return min(sizes) >= 1


@PROPERTY
@given(layer())
def test_grad_of_conv_transpose2d_is_conv2d(p):
    if not _valid_transposed(p):
        return
    args = dict(stride=p["stride"], padding=p["padding"], dilation=p["dilation"], groups=p["groups"])
    x = integers(p["seed"], 2, p["c_in"], *p["size"]).requires_grad_()
    W = integers(p["seed"] + 1, p["c_in"], p["c_out_per_group"], *p["kernel"])
    y = F.conv_transpose2d(x, W, **args)
    g = integers(p["seed"] + 2, *y.shape)
    grad_x, = torch.autograd.grad(y, x, grad_outputs=g)
    assert torch.equal(grad_x, F.conv2d(g, W, **args))


@PROPERTY
@given(layer())
def test_grad_of_conv2d_is_conv_transpose2d_with_output_padding(p):
    args = dict(stride=p["stride"], padding=p["padding"], dilation=p["dilation"], groups=p["groups"])
    size = tuple(s + d * (k - 1) for s, d, k in zip(p["size"], p["dilation"], p["kernel"]))  # output >= 1
    x = integers(p["seed"], 1, p["c_in"], *size).requires_grad_()
    W = integers(p["seed"] + 1, p["c_out_per_group"] * p["groups"], p["c_in"] // p["groups"], *p["kernel"])
    y = F.conv2d(x, W, **args)
    g = integers(p["seed"] + 2, *y.shape)
    grad_x, = torch.autograd.grad(y, x, grad_outputs=g)
    output_padding = tuple(
        ops.output_padding_for(t, o, k, s, q, d)
        for t, o, k, s, q, d in zip(size, y.shape[-2:], p["kernel"], p["stride"], p["padding"], p["dilation"]))
    assert torch.equal(grad_x, F.conv_transpose2d(g, W, output_padding=output_padding, **args))
    if all(s == 1 for s in p["stride"]):
        assert output_padding == (0, 0)


def test_output_padding_is_needed_when_the_stride_loses_a_size():
    # The notebook's case: 8x8, K=3, S=2, P=1 -> 4x4; without output_padding the transpose gives 7x7.
    x = torch.ones(1, 1, 8, 8, requires_grad=True)
    W = torch.ones(1, 1, 3, 3)
    y = F.conv2d(x, W, stride=2, padding=1)
    assert F.conv_transpose2d(torch.ones_like(y), W, stride=2, padding=1).shape[-1] == 7
    assert ops.output_padding_for(8, 4, 3, 2, 1) == 1


@PROPERTY
@given(layer())
def test_weight_grad_of_conv_transpose2d_is_conv2d_weight_grad_with_roles_swapped(p):
    if not _valid_transposed(p):
        return
    args = dict(stride=p["stride"], padding=p["padding"], dilation=p["dilation"], groups=p["groups"])
    x = integers(p["seed"], 2, p["c_in"], *p["size"])
    W = integers(p["seed"] + 1, p["c_in"], p["c_out_per_group"], *p["kernel"]).requires_grad_()
    y = F.conv_transpose2d(x, W, **args)
    g = integers(p["seed"] + 2, *y.shape)
    grad_W, = torch.autograd.grad(y, W, grad_outputs=g)
    assert torch.equal(grad_W, torch.nn.grad.conv2d_weight(g, W.shape, x, **args))


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), (2, 0), (3, 1)])
def test_matrix_view_of_both_gradients(stride, padding):
    # y = C^T x, so dL/dx = C g and dL/dw_t = x . (C_t g), with C_t the matrix of the unit kernel e_t.
    rng = np.random.default_rng(stride * 10 + padding)
    kernel = rng.integers(-3, 4, (3, 3)).astype(np.float64)
    n = 7
    m = ops.conv_output_size(n, 3, stride, padding)
    C = ops.conv_matrix(n, kernel, stride, padding)
    x = torch.from_numpy(rng.integers(-3, 4, (m, m)).astype(np.float64)).requires_grad_()
    w = torch.from_numpy(kernel).requires_grad_()
    op = ops.output_padding_for(n, m, 3, stride, padding)
    y = F.conv_transpose2d(x[None, None], w[None, None], stride=stride, padding=padding, output_padding=op)[0, 0]
    g = torch.from_numpy(rng.integers(-3, 4, (n, n)).astype(np.float64))
    grad_x, grad_w = torch.autograd.grad(y, (x, w), grad_outputs=g)
    assert np.array_equal(C @ g.numpy().ravel(), grad_x.numpy().ravel())
    for i in range(3):
        for j in range(3):
            unit = np.zeros((3, 3))
            unit[i, j] = 1
            C_t = ops.conv_matrix(n, unit, stride, padding)
            assert x.detach().numpy().ravel() @ (C_t @ g.numpy().ravel()) == grad_w[i, j].item()
