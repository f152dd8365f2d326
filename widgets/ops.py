"""NumPy reference operators with PyTorch's semantics.

Every piece of mathematics in the chapter comes from here: the notebooks call these functions and
the explorers receive their results. Each function mirrors its ``torch.nn.functional`` namesake
(same argument order, same accepted arguments, same output shape, same numbers) and is checked
against PyTorch in ``tests/test_ops.py``.

Conventions, as in PyTorch:

* arrays are ``(N, C, H, W)``; an unbatched ``(C, H, W)`` input gives an unbatched result;
* "convolution" means cross-correlation (the kernel is not flipped);
* ``stride``, ``padding``, ``output_padding`` and ``dilation`` are an int or a pair ``(h, w)``;
* float32 in gives float32 out, float64 gives float64, integer inputs are computed in float64 and
  mixed inputs follow ``np.result_type``.

Bad arguments raise ``ValueError`` naming the parameter and the rule it broke, for exactly the
argument combinations PyTorch 2.13 rejects, with these deliberate differences (each pinned by a
test): mixed and integer dtypes are computed instead of refused; the rules also hold on an empty
batch, where PyTorch skips some of them; a bool is refused anywhere in a pair, where PyTorch's
parser only looks at the first entry; a zero-size output is refused in float32 too, where one
PyTorch code path lets it through; zero input channels give the bias, not an empty tensor; and
string padding (``"same"``, ``"valid"``) is not supported.
"""

import numbers
import os

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

__all__ = [
    "conv2d",
    "conv_transpose2d",
    "conv_matrix",
    "conv_output_size",
    "conv_transpose_output_size",
    "overlap_profile",
    "overlap_counts",
]


# ---------------------------------------------------------------------------------------------
# Validation helpers, shared by every public function
# ---------------------------------------------------------------------------------------------

def _is_int(value):
    # bool is a subclass of int, but PyTorch rejects stride=True, so we do too.
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _pair(value, name, minimum):
    """Validate an int-or-pair argument and return it as a tuple ``(h, w)`` of Python ints."""
    if _is_int(value):
        values = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) in (1, 2) \
            and all(_is_int(v) for v in value):
        # PyTorch also accepts a one-element sequence and repeats it for both axes. (It refuses
        # NumPy arrays here, and so do we.)
        values = tuple(value) * (2 // len(value))
    else:
        raise ValueError(f"{name} must be an int or a pair of ints (h, w), got {value!r}")
    values = (int(values[0]), int(values[1]))
    if min(values) < minimum:
        raise ValueError(f"{name} must be >= {minimum} on each axis, got {values}")
    return values


def _single(value, name, minimum):
    """Validate a plain int argument (a 1-D quantity) and return it as a Python int."""
    if not _is_int(value):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_output_padding(output_padding, stride, dilation):
    # PyTorch's rule is per axis and has two escape hatches: output_padding only makes sense below
    # the stride (it picks one of the S input sizes a forward conv maps to the same output size),
    # but PyTorch also allows it below the dilation.
    for op, s, d in zip(output_padding, stride, dilation):
        if not (op < s or op < d):
            raise ValueError(
                f"output_padding {output_padding} must be smaller than either "
                f"stride {stride} or dilation {dilation} on each axis")


def _conv_size(size, kernel, stride, padding, dilation):
    """Forward-conv output size per axis, raising if it is not positive."""
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(i + 2 * p for i, p in zip(size, padding))
    if any(p < e for p, e in zip(padded, extent)):
        raise ValueError(
            f"output size must be positive on each axis: the padded input {padded} is smaller "
            f"than the dilated kernel extent {extent} (input {size}, padding {padding})")
    return tuple((p - e) // s + 1 for p, e, s in zip(padded, extent, stride))


def _conv_transpose_size(size, kernel, stride, padding, output_padding, dilation):
    """Transposed-conv output size per axis, raising if it is not positive."""
    out = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1
                for i, k, s, p, op, d in zip(size, kernel, stride, padding, output_padding,
                                             dilation))
    if min(out) < 1:
        raise ValueError(
            f"output size {out} must be positive on each axis (input {size}, kernel {kernel}, "
            f"stride {stride}, padding {padding}, output_padding {output_padding}, "
            f"dilation {dilation})")
    return out


def _check_arrays(input, weight, bias):
    """Shape rules shared by both convolutions; returns 4-D input, weight, bias, unbatched."""
    input, weight = np.asarray(input), np.asarray(weight)
    if input.ndim not in (3, 4):
        raise ValueError(
            f"input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape {input.shape}")
    if weight.ndim != 4:
        raise ValueError(f"weight must be 4-D, got shape {weight.shape}")
    unbatched = input.ndim == 3
    if unbatched:
        input = input[None]
    # Empty batches and channels are fine (PyTorch returns an empty or zero result); empty images
    # and kernels are not.
    if min(input.shape[2:]) < 1:
        raise ValueError(f"input height and width must be >= 1, got {input.shape[2:]}")
    if min(weight.shape[2:]) < 1:
        raise ValueError(f"kernel height and width (weight.shape[2:]) must be >= 1, "
                         f"got {weight.shape[2:]}")
    if bias is not None:
        bias = np.asarray(bias)
        if bias.ndim != 1:
            raise ValueError(f"bias must be 1-D, got shape {bias.shape}")
    return input, weight, bias, unbatched


def _check_bias(bias, c_out):
    if bias is not None and bias.shape[0] != c_out:
        raise ValueError(f"bias must have one entry per output channel ({c_out}), "
                         f"got {bias.shape[0]}")


def _check_groups(groups, channels, what):
    """Validate groups; ``what`` names the channel count it must divide, e.g. "input channels"."""
    groups = _single(groups, "groups", 1)
    if channels % groups:
        raise ValueError(f"groups={groups} must divide the {what}")
    return groups


def _result_dtype(*arrays):
    # Integer (and bool) data is computed in float64, as the chapter's "exact on integers" demos
    # need; float32 stays float32 so that float32 rounding can be shown next to PyTorch's.
    dtype = np.result_type(*[a for a in arrays if a is not None])
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


def _finish(out, bias, unbatched):
    if bias is not None:
        out += bias[:, None, None]
    return out[0] if unbatched else out


# ---------------------------------------------------------------------------------------------
# Output sizes
# ---------------------------------------------------------------------------------------------

def _scalar_or_pair(out, *args):
    # Int in gives int out; as soon as any argument is per-axis the answer is per-axis.
    return out[0] if all(_is_int(a) for a in args) else out


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Output size of a forward convolution: ``floor((I + 2P - D(K-1) - 1) / S) + 1``.

    Defined for the section on the output-size formula, where the transposed formula is derived
    by running this one backwards. ``size`` and the parameters are ints (int result) or pairs
    (tuple result). Raises ``ValueError`` where PyTorch would refuse the convolution.
    """
    out = _conv_size(_pair(size, "size", 1), _pair(kernel_size, "kernel_size", 1),
                     _pair(stride, "stride", 1), _pair(padding, "padding", 0),
                     _pair(dilation, "dilation", 1))
    return _scalar_or_pair(out, size, kernel_size, stride, padding, dilation)


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0,
                               dilation=1):
    """Output size of a transposed convolution: ``(I-1)S - 2P + D(K-1) + output_padding + 1``.

    Defined for the section on the output-size formula (and used again for output_padding).
    Ints give an int, pairs give a tuple. Raises ``ValueError`` where PyTorch would refuse:
    ``output_padding`` not below the stride or the dilation, or a non-positive size.
    """
    s, d = _pair(stride, "stride", 1), _pair(dilation, "dilation", 1)
    op = _pair(output_padding, "output_padding", 0)
    _check_output_padding(op, s, d)
    out = _conv_transpose_size(_pair(size, "size", 1), _pair(kernel_size, "kernel_size", 1),
                               s, _pair(padding, "padding", 0), op, d)
    return _scalar_or_pair(out, size, kernel_size, stride, padding, output_padding, dilation)


# ---------------------------------------------------------------------------------------------
# The two operators
# ---------------------------------------------------------------------------------------------

def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Forward convolution (cross-correlation), as ``torch.nn.functional.conv2d``.

    Defined for the matrix view (it is the ``C x`` that ``conv_transpose2d`` is the transpose of)
    and used again in the backward-pass section. ``weight`` is ``(C_out, C_in/groups, kH, kW)``.
    """
    input, weight, bias, unbatched = _check_arrays(input, weight, bias)
    stride, padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    dilation = _pair(dilation, "dilation", 1)
    n, c_in, h, w = input.shape
    c_out, c_per_group, kh, kw = weight.shape
    if c_out < 1:
        raise ValueError(f"weight must have at least one output channel, got shape {weight.shape}")
    groups = _check_groups(groups, c_out, f"output channels (weight.shape[0] = {c_out})")
    if c_in != c_per_group * groups:
        raise ValueError(f"input has {c_in} channels, but weight.shape[1] * groups = "
                         f"{c_per_group} * {groups} = {c_per_group * groups}")
    _check_bias(bias, c_out)
    out_h, out_w = _conv_size((h, w), (kh, kw), stride, padding, dilation)
    # With no input channels every sum is empty, so the result is the bias alone (PyTorch
    # returns a tensor with no channels instead; the shape here is the one the formula gives).

    dtype = _result_dtype(input, weight, bias)
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
    return _finish(out.reshape(n, c_out, out_h, out_w), bias, unbatched)


class _TransposeArgs(NamedTuple):
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


def _transpose_args(input, weight, bias, stride, padding, output_padding, groups, dilation):
    """Check a transposed convolution's arguments as PyTorch does; return them normalised.

    Shared by every route to the transposed convolution (scatter-add, zero insertion), so they
    accept and refuse exactly the same calls with the same messages.
    """
    input, weight, bias, unbatched = _check_arrays(input, weight, bias)
    stride, padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    dilation = _pair(dilation, "dilation", 1)
    output_padding = _pair(output_padding, "output_padding", 0)
    n, c_in, h, w = input.shape
    c_in_w, c_out_per_group, kh, kw = weight.shape
    if c_in_w < 1 or c_out_per_group < 1:
        raise ValueError(f"weight must be non-empty, got shape {weight.shape}")
    if c_in != c_in_w:
        raise ValueError(f"input has {c_in} channels, but weight.shape[0] is {c_in_w}")
    groups = _check_groups(groups, c_in, f"input channels ({c_in})")
    c_out_per_group, kh, kw = weight.shape[1:]
    _check_bias(bias, c_out_per_group * groups)
    _check_output_padding(output_padding, stride, dilation)
    out_size = _conv_transpose_size((h, w), (kh, kw), stride, padding, output_padding, dilation)
    return _TransposeArgs(input, weight, bias, unbatched, stride, padding, output_padding,
                          dilation, groups, out_size)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    ``weight`` is ``(C_in, C_out/groups, kH, kW)``. Small problems (the chapter's examples and
    explorers) run the readable scatter-add of ``conv_transpose2d_reference``; larger ones run
    ``conv_transpose2d_fast``, the same sums arranged around one matrix multiply (section 10,
    making it fast). Both give equal results on integer-valued data; on floats they differ only
    by rounding (a different summation order), as PyTorch's own CPU and GPU kernels do.
    """
    args = _transpose_args(input, weight, bias, stride, padding, output_padding, groups, dilation)
    n, c_in, h, w = args.input.shape
    c_out_per_group, kh, kw = args.weight.shape[1:]
    multiply_adds = n * c_in * c_out_per_group * kh * kw * h * w
    route = _reference_sum if multiply_adds < FAST_PATH_MIN_MULTIPLY_ADDS else _fast_sum
    return _finish(route(args), args.bias, args.unbatched)


def conv_transpose2d_reference(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                               groups=1, dilation=1):
    """Transposed convolution by scatter-add: the readable reference, whatever the size.

    Defined for the scatter-add view: every input cell paints a copy of the kernel, scaled by its
    value, into the output at ``S`` times its position, and overlapping copies add up. Padding
    then crops ``P`` from each side and ``output_padding`` keeps that many extra rows/columns at
    the bottom/right. Speed is not its goal; ``conv_transpose2d_fast`` is checked against it.
    """
    args = _transpose_args(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return _finish(_reference_sum(args), args.bias, args.unbatched)


def _reference_sum(args):
    """The scatter-add itself, on checked arguments; returns (N, C_out, H_out, W_out)."""
    input, weight = args.input, args.weight
    n, c_in, h, w = input.shape
    _, c_out_per_group, kh, kw = weight.shape
    groups, (out_h, out_w) = args.groups, args.out_size
    dtype = _result_dtype(input, weight, args.bias)
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


# ---------------------------------------------------------------------------------------------
# The matrix view and the overlap geometry
# ---------------------------------------------------------------------------------------------

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
    h, w = _pair(input_size, "input_size", 1)
    stride, padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    dilation = _pair(dilation, "dilation", 1)
    out_h, out_w = _conv_size((h, w), kernel.shape, stride, padding, dilation)

    matrix = np.zeros((out_h * out_w, h * w), _result_dtype(kernel))
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


def overlap_profile(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """How many painted kernel taps land on each output position of a 1-D transposed conv.

    Defined for the checkerboard section: the 1-D profile, e.g. ``[1, 1, 2, 1, 2, 1, 1]`` for
    I=3, K=3, S=2. Pure geometry (zero-valued taps count). Ints only; see ``overlap_counts`` for
    2-D. The output has ``output_padding=0``, as for ``conv_transpose_output_size``.
    """
    size, kernel = _single(input_size, "input_size", 1), _single(kernel_size, "kernel_size", 1)
    stride, padding = _single(stride, "stride", 1), _single(padding, "padding", 0)
    dilation = _single(dilation, "dilation", 1)
    (length,) = _conv_transpose_size((size,), (kernel,), (stride,), (padding,), (0,), (dilation,))
    full = np.zeros((size - 1) * stride + dilation * (kernel - 1) + 1, dtype=np.int64)
    for k in range(kernel):
        # Tap k of every input cell's kernel: positions k*D, k*D + S, k*D + 2S, ...
        full[k * dilation: k * dilation + (size - 1) * stride + 1: stride] += 1
    return full[padding: padding + length]


def overlap_counts(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """How many (input cell, kernel tap) pairs of a transposed conv land on each output position.

    Defined for the checkerboard section (the overlap heatmap). ``input_size`` and the parameters
    are ints or pairs; the result is an integer array of the transposed conv's output shape.
    The rows and columns move independently, so the 2-D count is the outer product of the two
    1-D profiles: that is the 1-2-4 pattern.
    """
    h, w = _pair(input_size, "input_size", 1)
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    dh, dw = _pair(dilation, "dilation", 1)
    # Validate in 2-D first so that a bad size is reported as a pair.
    _conv_transpose_size((h, w), (kh, kw), (sh, sw), (ph, pw), (0, 0), (dh, dw))
    return np.outer(overlap_profile(h, kh, sh, ph, dh), overlap_profile(w, kw, sw, pw, dw))


# ---------------------------------------------------------------------------------------------
# Zero insertion: the fractionally-strided view (section 5)
# ---------------------------------------------------------------------------------------------

__all__ += [
    "zero_insert",
    "fractional_padding",
    "zero_insert_and_pad",
    "conv_transpose2d_via_zero_insertion",
    "zero_insertion_macs",
]


def zero_insert(input, stride):
    """Put ``S-1`` zeros between neighbouring cells along the last two axes.

    Defined for the zero-insertion section: the first step of the fractionally-strided view.
    An ``(..., H, W)`` array becomes ``(..., (H-1)*S_h + 1, (W-1)*S_w + 1)`` with the original
    values at every ``S``-th position and zeros between them (no zeros are added outside).
    ``stride`` is an int or a pair; the dtype is kept.
    """
    input = np.asarray(input)
    if input.ndim < 2:
        raise ValueError(f"input must have at least 2 dimensions (H, W), got shape {input.shape}")
    if min(input.shape[-2:]) < 1:
        raise ValueError(f"input height and width must be >= 1, got {input.shape[-2:]}")
    sh, sw = _pair(stride, "stride", 1)
    h, w = input.shape[-2:]
    out = np.zeros(input.shape[:-2] + ((h - 1) * sh + 1, (w - 1) * sw + 1), input.dtype)
    out[..., ::sh, ::sw] = input
    return out


def fractional_padding(kernel_size, padding=0, output_padding=0, dilation=1):
    """The border the fractionally-strided recipe adds around the zero-inserted input.

    Defined for the zero-insertion section: ``D(K-1) - P`` on each side, plus ``output_padding``
    on the bottom and right. Returns ``((top, bottom), (left, right))``. A negative amount means
    *crop* that many rows or columns instead (it happens when ``P > D(K-1)``). The arguments are
    range-checked here; the ``output_padding`` rule needs the stride, so the functions that take
    one (``conv_transpose2d_via_zero_insertion``, ``zero_insertion_macs``) check it.
    """
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    ph, pw = _pair(padding, "padding", 0)
    oh, ow = _pair(output_padding, "output_padding", 0)
    dh, dw = _pair(dilation, "dilation", 1)
    top, left = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    return (top, top + oh), (left, left + ow)


def _pad_or_crop(x, border):
    """Zero-pad the last two axes by ``((top, bottom), (left, right))``; negative entries crop."""
    (top, bottom), (left, right) = border
    x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(max(top, 0), max(bottom, 0)),
                                             (max(left, 0), max(right, 0))])
    h, w = x.shape[-2:]
    return x[..., max(-top, 0): h - max(-bottom, 0), max(-left, 0): w - max(-right, 0)]


def zero_insert_and_pad(input, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Steps 1 and 2 of the fractionally-strided recipe: the grid the stride-1 convolution reads.

    Defined for the zero-insertion section: ``zero_insert`` by the stride, then the border of
    ``fractional_padding`` (negative amounts crop) on the last two axes. Raises ``ValueError``
    where PyTorch would refuse the transposed convolution (``output_padding`` not below the
    stride or the dilation, or a non-positive output size).
    """
    input = np.asarray(input)
    stride, dilation = _pair(stride, "stride", 1), _pair(dilation, "dilation", 1)
    output_padding = _pair(output_padding, "output_padding", 0)
    kernel_size, padding = _pair(kernel_size, "kernel_size", 1), _pair(padding, "padding", 0)
    _check_output_padding(output_padding, stride, dilation)
    spread = zero_insert(input, stride)
    _conv_transpose_size(input.shape[-2:], kernel_size, stride, padding, output_padding, dilation)
    return _pad_or_crop(spread, fractional_padding(kernel_size, padding, output_padding, dilation))


def conv_transpose2d_via_zero_insertion(input, weight, bias=None, stride=1, padding=0,
                                        output_padding=0, groups=1, dilation=1):
    """Transposed convolution computed the fractionally-strided way; same numbers as
    ``conv_transpose2d`` (and ``torch.nn.functional.conv_transpose2d``).

    Defined for the zero-insertion section. The exact recipe:

    1. insert ``S-1`` zeros between neighbouring input cells (``zero_insert``);
    2. pad ``D(K-1) - P`` zeros on each side, plus ``output_padding`` on the bottom and right
       (``fractional_padding``; a negative amount crops);
    3. run an ordinary stride-1 convolution with dilation ``D`` whose kernel is the transposed
       convolution's weight with both spatial axes flipped and, within each group, the two
       channel axes swapped: ``(C_in, C_out/g, kH, kW)`` becomes ``(C_out, C_in/g, kH, kW)``.

    Arguments and their validation are those of ``conv_transpose2d`` (same order, same errors).
    The convolution in step 3 spends most of its multiply-adds on zeros (``zero_insertion_macs``).
    """
    (input, weight, bias, unbatched, stride, padding, output_padding, dilation, groups,
     _) = _transpose_args(input, weight, bias, stride, padding, output_padding, groups, dilation)
    n, c_in, h, w = input.shape
    _, c_out_per_group, kh, kw = weight.shape

    # Step 3's kernel: per group, (C_in/g, C_out/g) -> (C_out/g, C_in/g), then flip both
    # spatial axes. Flipping is what turns "paint the kernel" into "read through the kernel".
    c_in_per_group = c_in // groups
    flipped = (weight.reshape(groups, c_in_per_group, c_out_per_group, kh, kw)
               .transpose(0, 2, 1, 3, 4)
               .reshape(groups * c_out_per_group, c_in_per_group, kh, kw)[..., ::-1, ::-1])
    spread = zero_insert_and_pad(input, (kh, kw), stride, padding, output_padding, dilation)
    out = conv2d(spread, flipped, bias, stride=1, padding=0, dilation=dilation, groups=groups)
    return out[0] if unbatched else out


def zero_insertion_macs(input_size, kernel_size, stride=1, padding=0, output_padding=0,
                        dilation=1):
    """Count the multiply-adds of the fractionally-strided recipe, split by what they read.

    Defined for the zero-insertion section (what zero insertion costs). For one input channel and
    one output channel, the stride-1 convolution of step 3 does ``O_h*O_w*kH*kW`` multiply-adds;
    each reads one cell of the padded, zero-inserted grid, which is an input value, an inserted
    zero, or a border zero. Returns a dict of ints with keys ``total``, ``input``, ``inserted``,
    ``border`` (the last three add up to ``total``). Multiply by ``C_in * C_out / groups`` and the
    batch size for a whole layer. Only ``input`` does useful work; it equals the number of
    kernel taps a scatter-add lands inside the output.
    """
    h, w = _pair(input_size, "input_size", 1)
    kernel = _pair(kernel_size, "kernel_size", 1)
    stride, dilation = _pair(stride, "stride", 1), _pair(dilation, "dilation", 1)
    padding = _pair(padding, "padding", 0)
    output_padding = _pair(output_padding, "output_padding", 0)
    _check_output_padding(output_padding, stride, dilation)
    out_h, out_w = _conv_transpose_size((h, w), kernel, stride, padding, output_padding, dilation)
    # Label every cell of the grid step 3 reads: 2 = input value, 1 = inserted zero, 0 = border.
    labels = zero_insert(np.ones((h, w), np.int64), stride) + 1
    labels = _pad_or_crop(labels, fractional_padding(kernel, padding, output_padding, dilation))
    (kh, kw), (dh, dw) = kernel, dilation
    counts = np.zeros(3, np.int64)
    for i in range(kh):
        for j in range(kw):
            # Cells read by tap (i, j) of every output position.
            window = labels[i * dh: i * dh + out_h, j * dw: j * dw + out_w]
            counts += np.bincount(window.ravel(), minlength=3)
    return {"total": int(out_h * out_w * kh * kw), "input": int(counts[2]),
            "inserted": int(counts[1]), "border": int(counts[0])}


# ---------------------------------------------------------------------------------------------
# The output-size formula run backwards (section 4, the PyTorch API and the output-size formula)
# ---------------------------------------------------------------------------------------------

def max_output_padding(stride, dilation=1):
    """The largest ``output_padding`` PyTorch accepts: ``max(S, D) - 1`` on each axis.

    Defined for section 4. PyTorch's rule is ``output_padding < stride or output_padding <
    dilation``, which is the same as ``output_padding < max(stride, dilation)``. Ints give an
    int, pairs a tuple.
    """
    s, d = _pair(stride, "stride", 1), _pair(dilation, "dilation", 1)
    return _scalar_or_pair(tuple(max(a, b) - 1 for a, b in zip(s, d)), stride, dilation)


def _input_size_range(size, kernel, stride, padding, dilation):
    # A forward conv maps n to floor((n + 2P - D(K-1) - 1) / S) + 1. That equals `size` exactly
    # when n - low lies in 0 .. S-1, where low = (size-1)S - 2P + D(K-1) + 1 is the transposed
    # conv's output size with output_padding 0. Sizes below 1 are not sizes, so the range may
    # be cut short or empty (large padding makes every forward output bigger than `size`).
    low = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1
    return range(max(low, 1), max(low + stride, 1))


def conv_input_sizes(size, kernel_size, stride=1, padding=0, dilation=1):
    """Every input size that a forward convolution maps to ``size``, as a ``range``.

    Defined for section 4: a forward conv floors, so up to ``S`` neighbouring input sizes give
    the same output size, and a transposed conv of ``size`` can only produce one of them;
    ``output_padding`` chooses which (see ``output_padding_for``). The range is empty when no
    input size works (e.g. ``padding`` so large that every output is bigger than ``size``).
    Ints give a ``range``, pairs a tuple of two ranges (height, width).
    """
    axes = zip(_pair(size, "size", 1), _pair(kernel_size, "kernel_size", 1),
               _pair(stride, "stride", 1), _pair(padding, "padding", 0),
               _pair(dilation, "dilation", 1))
    out = tuple(_input_size_range(*axis) for axis in axes)
    return _scalar_or_pair(out, size, kernel_size, stride, padding, dilation)


def output_padding_for(target, size, kernel_size, stride=1, padding=0, dilation=1):
    """The ``output_padding`` with which a transposed conv of ``size`` produces ``target``.

    Defined for section 4: ``target`` is the input size of the forward conv being undone, so
    ``conv_transpose_output_size(size, ..., output_padding=result) == target``. Raises
    ``ValueError`` when the forward conv does not map ``target`` to ``size`` (then no
    output_padding that PyTorch accepts can give it back). Ints only.
    """
    target, size = _single(target, "target", 1), _single(size, "size", 1)
    kernel, stride = _single(kernel_size, "kernel_size", 1), _single(stride, "stride", 1)
    padding, dilation = _single(padding, "padding", 0), _single(dilation, "dilation", 1)
    sizes = _input_size_range(size, kernel, stride, padding, dilation)
    if target not in sizes:
        which = (f"sizes {sizes.start}..{sizes.stop - 1}" if len(sizes) else "no input size")
        raise ValueError(
            f"target {target} is not an input size that the forward conv maps to size {size} "
            f"(kernel_size {kernel}, stride {stride}, padding {padding}, dilation {dilation}: "
            f"{which})")
    return target - (size - 1) * stride + 2 * padding - dilation * (kernel - 1) - 1


__all__ += ["max_output_padding", "conv_input_sizes", "output_padding_for"]


# ---------------------------------------------------------------------------------------------
# Pixel shuffle and its inverse (section 7, the fixes)
# ---------------------------------------------------------------------------------------------

def _check_shuffle_input(input, factor, name, op):
    input = np.asarray(input)
    if input.ndim < 3:
        raise ValueError(f"{op} expects an input with at least 3 dimensions (..., C, H, W), "
                         f"got shape {input.shape}")
    if not _is_int(factor):
        raise ValueError(f"{name} must be an int, got {factor!r}")
    if factor < 1:
        raise ValueError(f"{name} must be positive, got {factor}")
    return input, int(factor)


def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(..., C*r*r, H, W)`` into ``(..., C, H*r, W*r)``, like ``F.pixel_shuffle``.

    Defined for section 7 (the fixes): ``out[c, h*r + i, w*r + j] = in[c*r*r + i*r + j, h, w]``.
    Each of the r*r channels that belong to output channel ``c`` fills one sub-pixel position
    ``(i, j)`` of every r×r block, written here as one strided assignment per position (the
    notebook derives the same permutation from reshape and transpose). Pure data movement: the
    dtype is kept and every value appears exactly once in the output. Raises ``ValueError`` when
    PyTorch refuses: fewer than 3 dimensions, a factor that is not a positive int, or a channel
    count not divisible by r*r.
    """
    input, r = _check_shuffle_input(input, upscale_factor, "upscale_factor", "pixel_shuffle")
    *lead, channels, height, width = input.shape
    if channels % (r * r):
        raise ValueError(f"pixel_shuffle needs the channel count to be divisible by "
                         f"upscale_factor**2 = {r * r}, got {channels} channels")
    c_out = channels // (r * r)
    out = np.empty((*lead, c_out, height * r, width * r), dtype=input.dtype)
    for i in range(r):
        for j in range(r):
            out[..., i::r, j::r] = input[..., i * r + j::r * r, :, :]
    return out


def pixel_unshuffle(input, downscale_factor):
    """Rearrange ``(..., C, H*r, W*r)`` into ``(..., C*r*r, H, W)``, like ``F.pixel_unshuffle``.

    Defined for section 7 (the fixes): the inverse of ``pixel_shuffle``,
    ``out[c*r*r + i*r + j, h, w] = in[c, h*r + i, w*r + j]``. Raises ``ValueError`` when PyTorch
    refuses: fewer than 3 dimensions, a factor that is not a positive int, or a height or width
    not divisible by r. One deliberate difference: on an input with no elements PyTorch 2.13
    returns a tensor of the input's shape; this returns the shape the rule gives.
    """
    input, r = _check_shuffle_input(input, downscale_factor, "downscale_factor",
                                    "pixel_unshuffle")
    *lead, channels, height, width = input.shape
    for axis, size in (("height", height), ("width", width)):
        if size % r:
            raise ValueError(f"pixel_unshuffle needs the {axis} to be divisible by "
                             f"downscale_factor = {r}, got {size}")
    out = np.empty((*lead, channels * r * r, height // r, width // r), dtype=input.dtype)
    for i in range(r):
        for j in range(r):
            out[..., i * r + j::r * r, :, :] = input[..., i::r, j::r]
    return out


__all__ += ["pixel_shuffle", "pixel_unshuffle"]


# ---------------------------------------------------------------------------------------------
# The checkerboard measure (section 6, checkerboard artifacts; used again in sections 7 and 8)
# ---------------------------------------------------------------------------------------------

def checkerboard_energy(image):
    """The share of an image's variation that sits at the Nyquist frequencies: 0 to 1.

    Defined for section 6 (checkerboard artifacts) and used in the later sections. For one image
    ``x`` of shape ``(H, W)``:

    1. remove the mean: ``d = x - x.mean()``;
    2. take the 2-D discrete Fourier transform ``F = fft2(d)`` and its power ``|F|**2``;
    3. return ``sum of |F[u, v]|**2 over the Nyquist bins / sum over all bins``.

    The Nyquist bins are every bin whose row frequency is ``u = H/2`` *or* whose column frequency
    is ``v = W/2``: the whole middle row and middle column of the (unshifted) spectrum. They hold
    exactly the patterns that flip sign from one pixel to the next: ``(-1)**(h+w)`` (the
    checkerboard, bin ``(H/2, W/2)``), ``(-1)**h`` times anything along the rows (horizontal
    stripes of period 2, and the 1-2-4 pattern's row factor) and ``(-1)**w`` times anything along
    the columns. By Parseval the denominator is ``H*W`` times the sum of ``d**2``, so the result
    is the fraction of the image's variance that alternates with period 2. A smooth image gives
    about 0, a pure period-2 pattern gives 1, and a smooth image plus a checkerboard of
    amplitude ``a`` gives ``a**2 / (a**2 + var(smooth))``.

    What it does not see: periods other than 2 (a stride-3 layer's period-3 pattern lands on bins
    ``H/3``, ``2H/3``), and the ramp at an image's border, which spreads over every bin; crop the
    border before measuring when it is not part of what you want to judge.

    * A constant image (no variation, up to the rounding of its mean) returns ``0.0``: there is
      nothing to share out, and nothing is divided by zero.
    * ``image`` is a real array of shape ``(H, W)`` or a batch ``(..., H, W)``; the measure is
      taken per image and the result has the batch shape (a Python float for one image).
    * ``H`` and ``W`` must each be even or 1: an odd axis longer than 1 has no Nyquist bin (its
      highest frequencies straddle half the sampling rate), so it is refused rather than
      measured wrongly; crop one row or column. An axis of length 1 has no frequencies at all and
      contributes no Nyquist bins (a 1-D profile ``p`` is measured as ``p[None, :]``).
    * Values must be finite; integer and bool arrays are measured as float64.
    """
    x = np.asarray(image)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"image must be a real numeric array, got dtype {x.dtype}")
    if x.ndim < 2:
        raise ValueError(f"image must have at least 2 dimensions (..., H, W), got shape {x.shape}")
    h, w = x.shape[-2:]
    if h < 1 or w < 1:
        raise ValueError(f"image height and width must be >= 1, got {(h, w)}")
    for name, n in (("height", h), ("width", w)):
        if n > 1 and n % 2:
            raise ValueError(
                f"image {name} must be even or 1 (an odd axis has no Nyquist frequency), got {n}; "
                f"crop one row or column")
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("image must contain only finite values")
    if x.size == 0:  # an empty batch: an empty result of the batch shape
        return np.zeros(x.shape[:-2])
    d = x - x.mean(axis=(-2, -1), keepdims=True)
    power = np.abs(np.fft.fft2(d)) ** 2
    nyquist = np.zeros((h, w), dtype=bool)
    if h % 2 == 0:
        nyquist[h // 2, :] = True
    if w % 2 == 0:
        nyquist[:, w // 2] = True
    total = power.sum(axis=(-2, -1))
    share = power[..., nyquist].sum(axis=-1)
    # "Constant" means the deviations are no bigger than the rounding error of the mean (a few
    # float64 ulps of the largest value), so 0.1 * ones(4, 4) gives 0, not a ratio of round-off.
    scale = np.abs(x).max(axis=(-2, -1))
    spread = np.abs(d).max(axis=(-2, -1))
    constant = spread <= 16 * np.finfo(np.float64).eps * scale
    result = np.where(constant, 0.0, share / np.where(constant, 1.0, total))
    result = np.clip(result, 0.0, 1.0)  # the ratio can overshoot 1 by round-off
    return float(result) if result.ndim == 0 else result


__all__ += ["checkerboard_energy"]


# ---------------------------------------------------------------------------------------------
# Is the overlap uniform? The verdict of the architectures table (section 9)
# ---------------------------------------------------------------------------------------------

def overlap_is_uniform(kernel_size, stride, dilation=1):
    """Whether every interior output position of a 1-D transposed conv gets the same tap count.

    Defined for section 9 (the design-patterns table), from ``overlap_profile``: the profile of an
    input long enough that its interior (the positions every kernel tap can reach from some input
    cell, away from both ends) spans several strides, and the verdict is whether all interior
    counts are equal. Pure geometry: it says nothing about the kernel's values (section 6 shows a
    uniform-overlap layer with a periodic output). Padding only crops the border, so it is not an
    argument. For D = 1 the answer is "S divides K"; with dilation, "S divides K and gcd(D, S) = 1".
    """
    kernel = _single(kernel_size, "kernel_size", 1)
    stride = _single(stride, "stride", 1)
    dilation = _single(dilation, "dilation", 1)
    reach = dilation * (kernel - 1)  # the first position every tap can reach
    size = -(-reach // stride) + 3 * stride + 1
    profile = overlap_profile(size, kernel, stride, 0, dilation)
    interior = profile[reach: (size - 1) * stride + 1]
    return bool((interior == interior[0]).all())


__all__ += ["overlap_is_uniform"]


# ---------------------------------------------------------------------------------------------
# The fast path (section 10, making it fast)
# ---------------------------------------------------------------------------------------------
#
# The reference adds one tap of every painted kernel at a time, and each add is an einsum over
# channels. The fast path does the same sums in a different order: one matrix multiply paints
# every tap of every kernel at once (the channel sums happen inside BLAS), and a few large strided
# adds put the painted taps in place. It works in "phase blocks": output row y lies in canvas
# block Y = (y + P) // S at phase a = (y + P) % S, and tap i of the kernel painted by input row h
# lands in block h + t at phase a, where (t, a) = divmod(D * i, S). Taps sharing the shift t move
# together, so a K=4, S=2 layer needs 4 adds instead of 16, and the last step interleaves the
# phases into the output: a pixel shuffle that also crops the padding.

# Below this many multiply-adds, conv_transpose2d runs the reference: both take well under a
# millisecond there, and the chapter's small examples then run the code section 3 derives.
FAST_PATH_MIN_MULTIPLY_ADDS = 1 << 16
# Batch chunks are sized so that one chunk's painted taps (the matmul result) stay near this
# many bytes: small enough to be added in place while they are still in cache.
_CHUNK_BYTES = 8 << 20
# Splitting the adds over threads pays off only above about this many output values per thread.
_MIN_VALUES_PER_THREAD = 1 << 15
# Images up to this many pixels keep the batch as the innermost axis of the painted taps.
_BATCH_INNER_MAX_PIXELS = 256
_POOL = None
# None: one thread per core (up to 8). widgets.benchmark.limited_threads lowers it, so that a
# comparison "on one thread" means one thread on the NumPy side too.
_MAX_WORKERS = None


def _worker_count():
    return _MAX_WORKERS or min(os.cpu_count() or 1, 8)


def _in_parallel(task, parts):
    """Run ``task(part)`` for every part, on a thread pool when there are several parts.

    NumPy releases the GIL inside its array loops, so strided adds and copies on disjoint output
    channels run on separate cores. The pool is created on first use, not at import.
    """
    global _POOL
    if len(parts) == 1:
        task(parts[0])
        return
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 8),
                                   thread_name_prefix="widgets-ops")
    for future in [_POOL.submit(task, part) for part in parts]:
        future.result()


def _channel_parts(channels, values_per_channel):
    """Split ``range(channels)`` into contiguous slices, one per thread worth using."""
    parts = min(_worker_count(), channels,
                max(1, channels * values_per_channel // _MIN_VALUES_PER_THREAD))
    bounds = [channels * k // parts for k in range(parts + 1)]
    return [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]


class _TapGroup(NamedTuple):
    shift: int     # t: taps of this group land in canvas block (input row + t)
    taps: slice    # the kernel indices i with D * i // S == t (consecutive)
    phases: slice  # where they land inside the block, D * i % S (step D)


def _tap_groups(kernel, stride, dilation):
    """Group one axis's kernel taps by the canvas block they shift into."""
    groups = []
    for i in range(kernel):
        shift, phase = divmod(i * dilation, stride)
        if groups and groups[-1][0] == shift:
            groups[-1][2].append(phase)
            groups[-1][1][1] = i + 1
        else:
            groups.append((shift, [i, i + 1], [phase]))
    return [_TapGroup(shift, slice(*taps), slice(phases[0], phases[-1] + 1, dilation))
            for shift, taps, phases in groups]


class _PhaseRows(NamedTuple):
    phase: int  # a: position inside a canvas block
    first: int  # the first output row at that phase
    block: int  # the canvas block of that first row
    count: int  # how many output rows have that phase


def _phase_rows(stride, padding, out_size):
    """For each phase, which output rows it fills: ``first, first + S, ...`` (after the crop)."""
    rows = []
    for phase in range(stride):
        first = (phase - padding) % stride
        if first < out_size:
            rows.append(_PhaseRows(phase, first, (first + padding) // stride,
                                   len(range(first, out_size, stride))))
    return rows


def _phases_to_output(out, blocks, stride, padding, origin=(0, 0)):
    """Interleave phase images into the output, cropping the padding: a pixel shuffle.

    ``blocks[o, a, b, Y, X, n]`` (any memory layout) holds canvas row ``S*Y + a`` and column
    ``S*X + b``; ``origin`` is the block index of ``blocks[..., 0, 0, :]``.
    """
    (sh, sw), (ph, pw), (out_h, out_w) = stride, padding, out.shape[2:]
    for rows in _phase_rows(sh, ph, out_h):
        y = rows.block - origin[0]
        if sw < 8:  # few column phases: one strided copy each
            for cols in _phase_rows(sw, pw, out_w):
                x = cols.block - origin[1]
                out[:, :, rows.first::sh, cols.first::sw] = np.moveaxis(
                    blocks[:, rows.phase, cols.phase, y:y + rows.count, x:x + cols.count], -1, 0)
            continue
        # Many column phases (large S): strided copies of single values would touch a cache line
        # per value, so build whole canvas rows of this row phase first, then crop them.
        band = blocks[:, rows.phase, :, y:y + rows.count]            # (o, b, row, X, n)
        lines = np.ascontiguousarray(band.transpose(4, 0, 2, 3, 1))    # (n, o, row, X, b)
        lines = lines.reshape(*lines.shape[:3], -1)                    # canvas columns S*X + b
        first = pw - origin[1] * sw
        out[:, :, rows.first::sh] = lines[..., first:first + out_w]


def _sum_taps(blocks, painted, rows, cols, size):
    """``blocks[o, a, b, t + Y, u + X, n] = sum of painted[o, i, j, Y, X, n]`` over the taps.

    ``blocks`` arrives uninitialised. When the unshifted group covers every phase (K >= S), it
    is copied instead of added, so only the blocks it does not reach are zeroed first.
    """
    h, w = size
    full = (rows[0].phases == slice(0, blocks.shape[1], 1)
            and cols[0].phases == slice(0, blocks.shape[2], 1))
    if full:
        blocks[:, :, :, h:] = 0
        blocks[:, :, :, :h, w:] = 0
        blocks[:, :, :, :h, :w] = painted[:, rows[0].taps, cols[0].taps]
    else:
        blocks[...] = 0
    for r in rows:
        for c in cols:
            if full and r.shift == c.shift == 0:
                continue
            blocks[:, r.phases, c.phases, r.shift:r.shift + h, c.shift:c.shift + w] += \
                painted[:, r.taps, c.taps]


def _scatter_by_phase(x, weight, out, stride, padding, dilation):
    """One group: matmul over input channels, then grouped strided adds, then a pixel shuffle."""
    n, c_in, h, w = x.shape
    c_out, kh, kw = weight.shape[1:]
    rows, cols = (_tap_groups(k, s, d) for k, s, d in zip((kh, kw), stride, dilation))
    # The canvas, in S x S blocks: room for every painted tap and for the cropped output.
    n_blocks = tuple(max(size + groups[-1].shift, -(-(p + o) // s)) for size, groups, p, o, s
                     in zip((h, w), (rows, cols), padding, out.shape[2:], stride))
    # Rows (o, i, j) of the weight, as a transposed view: BLAS reads it in place, no copy.
    taps = weight.reshape(c_in, -1).T
    # Small images keep the batch as the innermost axis, so the adds run over long contiguous
    # stretches (W * batch values) instead of W; large images keep the batch outside.
    batch_inner = h * w <= _BATCH_INNER_MAX_PIXELS
    chunk = min(n, max(1, _CHUNK_BYTES // (taps.shape[0] * h * w * x.itemsize)))
    painted_memory = np.empty(taps.shape[0] * h * w * chunk, x.dtype)
    single_copy = (len(rows) == len(cols) == 1 and n_blocks == (h, w)
                   and (kh, kw) == tuple(stride) and dilation == (1, 1))
    block_shape = (c_out, stride[0], stride[1]) + n_blocks
    blocks_memory = np.empty(0 if single_copy else int(np.prod(block_shape)) * chunk, x.dtype)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        m = stop - start
        # Input channels first, for the matmul; a transpose, so it is split over threads too.
        source = x[start:stop].transpose((1, 2, 3, 0) if batch_inner else (1, 0, 2, 3))
        x_chunk = np.empty(source.shape, x.dtype)
        _in_parallel(lambda part: np.copyto(x_chunk[part], source[part]),
                     _channel_parts(c_in, m * h * w))
        x_chunk = x_chunk.reshape(c_in, -1)
        result = np.matmul(taps, x_chunk, out=painted_memory[:taps.shape[0] * x_chunk.shape[1]]
                           .reshape(taps.shape[0], -1))
        if batch_inner:
            painted = result.reshape(c_out, kh, kw, h, w, m)
        else:
            painted = np.moveaxis(result.reshape(c_out, kh, kw, m, h, w), 3, -1)
        if single_copy:
            blocks = painted  # K = S: every output value is exactly one painted tap
        else:
            values = blocks_memory[:blocks_memory.size // chunk * m]
            blocks = (values.reshape(*block_shape, m) if batch_inner else
                      np.moveaxis(values.reshape(*block_shape[:3], m, *n_blocks), 3, -1))

        def finish(part, blocks=blocks, painted=painted, start=start, stop=stop):
            if not single_copy:
                _sum_taps(blocks[part], painted[part], rows, cols, (h, w))
            _phases_to_output(out[start:stop, part], blocks[part], stride, padding)

        _in_parallel(finish, _channel_parts(c_out, m * out.shape[2] * out.shape[3]))


def _subpixel(x, weight, out, stride, padding):
    """One group, dilation 1: all S*S phases of the output from a single matmul.

    Phase (a, b) of the output is a stride-1 convolution of the input with the sub-kernel
    ``weight[:, :, a::S, b::S]`` (T x T taps, T = ceil(K / S)): the pixel-shuffle equivalence of
    section 7. Stacking the T x T neighbourhood of every input pixel (im2col) turns all phases
    into one matmul whose S*S*C_out rows are the sub-kernels; a pixel shuffle interleaves them.
    The sums happen inside BLAS, so nothing is added afterwards: the better choice when S is
    large and the scatter path would paint K*K taps per pixel.
    """
    n, c_in, h, w = x.shape
    c_out, kh, kw = weight.shape[1:]
    (sh, sw), (ph, pw), (out_h, out_w) = stride, padding, out.shape[2:]
    th, tw = -(-kh // sh), -(-kw // sw)
    padded = np.zeros((c_in, c_out, th * sh, tw * sw), x.dtype)
    padded[:, :, :kh, :kw] = weight
    sub_kernels = padded.reshape(c_in, c_out, th, sh, tw, sw).transpose(1, 3, 5, 2, 4, 0) \
        .reshape(c_out * sh * sw, th * tw * c_in)
    # The canvas blocks the cropped output reads; block Y needs input rows Y - t, t < T.
    y_lo, x_lo = ph // sh, pw // sw
    ny, nx = (ph + out_h - 1) // sh + 1 - y_lo, (pw + out_w - 1) // sw + 1 - x_lo
    chunk = min(n, max(1, _CHUNK_BYTES // (sub_kernels.shape[0] * ny * nx * x.itemsize)))
    for start in range(0, n, chunk):
        m = min(n, start + chunk) - start
        # Input rows y_lo - T + 1 ... onwards, zero outside the image; batch innermost.
        source = np.zeros((c_in, ny + th - 1, nx + tw - 1, m), x.dtype)
        top, left = y_lo - th + 1, x_lo - tw + 1
        r0, r1 = max(0, top), min(h, top + ny + th - 1)
        c0, c1 = max(0, left), min(w, left + nx + tw - 1)
        if r0 < r1 and c0 < c1:
            source[:, r0 - top:r1 - top, c0 - left:c1 - left] = \
                x[start:start + m, :, r0:r1, c0:c1].transpose(1, 2, 3, 0)
        neighbourhoods = np.empty((th, tw, c_in, ny, nx, m), x.dtype)
        for t in range(th):
            for u in range(tw):
                neighbourhoods[t, u] = source[:, th - 1 - t:th - 1 - t + ny,
                                              tw - 1 - u:tw - 1 - u + nx]
        phases = (sub_kernels @ neighbourhoods.reshape(th * tw * c_in, -1)) \
            .reshape(c_out, sh, sw, ny, nx, m)
        chunk_out = out[start:start + m]
        _in_parallel(lambda part: _phases_to_output(chunk_out[:, part], phases[part], stride,
                                                    padding, (y_lo, x_lo)),
                     _channel_parts(c_out, m * out_h * out_w))


def _single_pixel(x, weight, out, padding, dilation):
    """One group, 1 x 1 input: each sample paints one kernel, so the canvas is one matmul."""
    n, c_in = x.shape[:2]
    c_out, kh, kw = weight.shape[1:]
    extent = ((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1)
    if dilation == (1, 1) and extent == out.shape[2:] and padding == (0, 0) \
            and out.flags.c_contiguous:  # the painted kernels are the output, as they are
        np.matmul(x.reshape(n, c_in), weight.reshape(c_in, -1), out=out.reshape(n, -1))
        return
    painted = (x.reshape(n, c_in) @ weight.reshape(c_in, -1)).reshape(n, c_out, kh, kw)
    canvas = np.zeros((n, c_out) + tuple(max(e, p + o) for e, p, o
                                         in zip(extent, padding, out.shape[2:])), x.dtype)
    canvas[:, :, :extent[0]:dilation[0], :extent[1]:dilation[1]] = painted
    out[...] = canvas[:, :, padding[0]:padding[0] + out.shape[2],
                      padding[1]:padding[1] + out.shape[3]]


def _fast_sum(args):
    """The fast path on checked arguments; returns (N, C_out, H_out, W_out), bias not added."""
    n, c_in, h, w = args.input.shape
    c_out_per_group = args.weight.shape[1]
    dtype = _result_dtype(args.input, args.weight, args.bias)
    x = args.input.astype(dtype, copy=False)
    weight = args.weight.astype(dtype, copy=False)
    out = np.empty((n, c_out_per_group * args.groups) + args.out_size, dtype)
    if n == 0:
        return out
    c_in_per_group = c_in // args.groups
    for g in range(args.groups):
        x_g = x[:, g * c_in_per_group:(g + 1) * c_in_per_group]
        w_g = weight[g * c_in_per_group:(g + 1) * c_in_per_group]
        out_g = out[:, g * c_out_per_group:(g + 1) * c_out_per_group]
        if h == w == 1:
            _single_pixel(x_g, w_g, out_g, args.padding, args.dilation)
        elif args.dilation == (1, 1) and args.stride[0] * args.stride[1] >= 16:
            _subpixel(x_g, w_g, out_g, args.stride, args.padding)
        else:
            _scatter_by_phase(x_g, w_g, out_g, args.stride, args.padding, args.dilation)
    return out


def conv_transpose2d_fast(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                          groups=1, dilation=1):
    """The fast path of ``conv_transpose2d``, whatever the size (for tests and the benchmark).

    Chosen by shape: a 1 x 1 input is a single matmul; dilation 1 with a large stride
    (S_h * S_w >= 16) uses the sub-pixel (phase) decomposition; everything else paints all taps
    with one matmul per batch chunk and adds them in place by phase. Same arguments, checks and
    result as ``conv_transpose2d_reference``, up to float rounding.
    """
    args = _transpose_args(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return _finish(_fast_sum(args), args.bias, args.unbatched)


__all__ += ["conv_transpose2d_reference", "conv_transpose2d_fast", "FAST_PATH_MIN_MULTIPLY_ADDS"]
