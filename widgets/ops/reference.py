"""The readable reference operators: the forward convolution, the scatter-add transposed
convolution and the matrix view (sections 2 and 3).

``transpose_args`` checks a transposed convolution's arguments once for every route to it (the
scatter-add here, zero insertion, the fast path), so they accept and refuse the same calls.
"""

from typing import NamedTuple

import numpy as np

from .checks import check_arrays, check_bias, check_groups, check_output_padding, pair, \
    result_dtype
from .sizes import conv_size, conv_transpose_size


def finish(out, bias, unbatched):
    """Add the bias to a computed ``(N, C_out, H, W)`` result; drop N again for an unbatched call."""
    if bias is not None:
        out += bias[:, None, None]
    return out[0] if unbatched else out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Forward convolution (cross-correlation), as ``torch.nn.functional.conv2d``.

    Defined for the matrix view (it is the ``C x`` that ``conv_transpose2d`` is the transpose of)
    and used again in the backward-pass section. ``weight`` is ``(C_out, C_in/groups, kH, kW)``.
    """
    input, weight, bias, unbatched = check_arrays(input, weight, bias)
    stride, padding = pair(stride, "stride", 1), pair(padding, "padding", 0)
    dilation = pair(dilation, "dilation", 1)
    n, c_in, h, w = input.shape
    c_out, c_per_group, kh, kw = weight.shape
    if c_out < 1:
        raise ValueError(f"weight must have at least one output channel, got shape {weight.shape}")
    groups = check_groups(groups, c_out, f"output channels (weight.shape[0] = {c_out})")
    if c_in != c_per_group * groups:
        raise ValueError(f"input has {c_in} channels, but weight.shape[1] * groups = "
                         f"{c_per_group} * {groups} = {c_per_group * groups}")
    check_bias(bias, c_out)
    out_h, out_w = conv_size((h, w), (kh, kw), stride, padding, dilation)
    # With no input channels every sum is empty, so the result is the bias alone (PyTorch
    # returns a tensor with no channels instead; the shape here is the one the formula gives).

    dtype = result_dtype(input, weight, bias)
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    x = np.pad(input.astype(dtype, copy=False), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    # Split channels into groups: each group is an independent convolution.
    x = x.reshape(n, groups, c_per_group, h + 2 * ph, w + 2 * pw)
    wg = weight.astype(dtype, copy=False).reshape(groups, c_out // groups, c_per_group, kh, kw)
    out = np.zeros((n, groups, c_out // groups, out_h, out_w), dtype)
    # One kernel tap at a time: the tap (i, j) sees the input shifted by (i*D, j*D), sampled every
    # S pixels. Summing over taps and input channels gives the cross-correlation.
    for i in range(kh):
        for j in range(kw):
            window = x[..., i * dh: i * dh + (out_h - 1) * sh + 1: sh,
                       j * dw: j * dw + (out_w - 1) * sw + 1: sw]
            out += np.einsum("ngchw,goc->ngohw", window, wg[..., i, j])
    return finish(out.reshape(n, c_out, out_h, out_w), bias, unbatched)


class TransposeArgs(NamedTuple):
    input: np.ndarray
    weight: np.ndarray
    bias: object
    unbatched: bool
    stride: tuple
    padding: tuple
    output_padding: tuple
    dilation: tuple
    groups: int
    out_size: tuple


def transpose_args(input, weight, bias, stride, padding, output_padding, groups, dilation):
    """Check a transposed convolution's arguments as PyTorch does; return them normalised.

    Shared by every route to the transposed convolution (scatter-add, zero insertion), so they
    accept and refuse exactly the same calls with the same messages.
    """
    input, weight, bias, unbatched = check_arrays(input, weight, bias)
    stride, padding = pair(stride, "stride", 1), pair(padding, "padding", 0)
    dilation = pair(dilation, "dilation", 1)
    output_padding = pair(output_padding, "output_padding", 0)
    n, c_in, h, w = input.shape
    c_in_w, c_out_per_group, kh, kw = weight.shape
    if c_in_w < 1 or c_out_per_group < 1:
        raise ValueError(f"weight must be non-empty, got shape {weight.shape}")
    if c_in != c_in_w:
        raise ValueError(f"input has {c_in} channels, but weight.shape[0] is {c_in_w}")
    groups = check_groups(groups, c_in, f"input channels ({c_in})")
    c_out_per_group, kh, kw = weight.shape[1:]
    check_bias(bias, c_out_per_group * groups)
    check_output_padding(output_padding, stride, dilation)
    out_size = conv_transpose_size((h, w), (kh, kw), stride, padding, output_padding, dilation)
    return TransposeArgs(input, weight, bias, unbatched, stride, padding, output_padding,
                          dilation, groups, out_size)


def conv_transpose2d_reference(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                               groups=1, dilation=1):
    """Transposed convolution by scatter-add: the readable reference, whatever the size.

    Defined for the scatter-add view: every input cell paints a copy of the kernel, scaled by its
    value, into the output at ``S`` times its position, and overlapping copies add up. Padding
    then crops ``P`` from each side and ``output_padding`` keeps that many extra rows/columns at
    the bottom/right. Speed is not its goal; ``conv_transpose2d_fast`` is checked against it.
    """
    args = transpose_args(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return finish(reference_sum(args), args.bias, args.unbatched)


def reference_sum(args):
    """The scatter-add itself, on checked arguments; returns (N, C_out, H_out, W_out)."""
    input, weight = args.input, args.weight
    n, c_in, h, w = input.shape
    _, c_out_per_group, kh, kw = weight.shape
    groups, (out_h, out_w) = args.groups, args.out_size
    dtype = result_dtype(input, weight, args.bias)
    (sh, sw), (ph, pw), (dh, dw) = args.stride, args.padding, args.dilation
    x = input.astype(dtype, copy=False).reshape(n, groups, c_in // groups, h, w)
    wg = weight.astype(dtype, copy=False).reshape(groups, c_in // groups, c_out_per_group, kh, kw)
    # The uncropped canvas: every painted kernel fits. output_padding may reach past it when it
    # exceeds the padding, so leave room for that too (those extra cells stay zero).
    full_h = (h - 1) * sh + dh * (kh - 1) + 1
    full_w = (w - 1) * sw + dw * (kw - 1) + 1
    canvas = np.zeros((n, groups, c_out_per_group, full_h + args.output_padding[0],
                       full_w + args.output_padding[1]), dtype)
    # Tap (i, j) of every painted kernel lands at S * (input position) + D * (i, j): a strided
    # add of the whole input, weighted by that tap, summed over the group's input channels.
    for i in range(kh):
        for j in range(kw):
            canvas[..., i * dh: i * dh + (h - 1) * sh + 1: sh,
                   j * dw: j * dw + (w - 1) * sw + 1: sw] += \
                np.einsum("ngchw,gco->ngohw", x, wg[..., i, j])
    return canvas[..., ph: ph + out_h, pw: pw + out_w].reshape(n, groups * c_out_per_group,
                                                               out_h, out_w)


def conv_matrix(input_size, kernel, stride=1, padding=0, dilation=1):
    """The matrix ``C`` of a single-channel forward convolution (PyTorch's cross-correlation).

    Defined for the matrix view. ``C`` has shape ``(O_h*O_w, H*W)`` with row-major flattening, so
    ``C @ x.ravel()`` is ``conv2d`` of ``x`` and ``C.T @ y.ravel()`` is ``conv_transpose2d`` of
    ``y`` with the same kernel, stride, padding and dilation (plus the output_padding that gives
    back ``input_size`` when the stride does not divide evenly). Row ``r`` holds the kernel taps
    that output cell ``r`` reads; column ``c`` is where input cell ``c`` paints its kernel. The
    dtype follows the kernel's (float64 for an integer kernel).
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be 2-D (kH, kW), got shape {kernel.shape}")
    if min(kernel.shape) < 1:
        raise ValueError(f"kernel height and width must be >= 1, got {kernel.shape}")
    h, w = pair(input_size, "input_size", 1)
    stride, padding = pair(stride, "stride", 1), pair(padding, "padding", 0)
    dilation = pair(dilation, "dilation", 1)
    out_h, out_w = conv_size((h, w), kernel.shape, stride, padding, dilation)

    matrix = np.zeros((out_h * out_w, h * w), result_dtype(kernel))
    oh, ow = np.meshgrid(np.arange(out_h), np.arange(out_w), indexing="ij")
    rows = (oh * out_w + ow).ravel()
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            # Input cell read by tap (i, j) of every output cell; taps that fall in the zero
            # padding have no column, so they drop out of C.
            ih = (oh * stride[0] - padding[0] + i * dilation[0]).ravel()
            iw = (ow * stride[1] - padding[1] + j * dilation[1]).ravel()
            inside = (ih >= 0) & (ih < h) & (iw >= 0) & (iw < w)
            # Distinct taps of one output cell read distinct input cells, so plain assignment
            # never overwrites: no np.add.at needed.
            matrix[rows[inside], (ih * w + iw)[inside]] = kernel[i, j]
    return matrix
