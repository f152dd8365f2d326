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


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed convolution by scatter-add, as ``torch.nn.functional.conv_transpose2d``.

    Defined for the scatter-add view: every input cell paints a copy of the kernel, scaled by its
    value, into the output at ``S`` times its position, and overlapping copies add up. Padding
    then crops ``P`` from each side and ``output_padding`` keeps that many extra rows/columns at
    the bottom/right. ``weight`` is ``(C_in, C_out/groups, kH, kW)``. This is the readable
    reference implementation; speed is not its goal.
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
    c_out = c_out_per_group * groups
    _check_bias(bias, c_out)
    _check_output_padding(output_padding, stride, dilation)
    out_h, out_w = _conv_transpose_size((h, w), (kh, kw), stride, padding, output_padding,
                                        dilation)

    dtype = _result_dtype(input, weight, bias)
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    x = input.astype(dtype, copy=False).reshape(n, groups, c_in // groups, h, w)
    wg = weight.astype(dtype, copy=False).reshape(groups, c_in // groups, c_out_per_group, kh, kw)
    # The uncropped canvas: every painted kernel fits. output_padding may reach past it when it
    # exceeds the padding, so leave room for that too (those extra cells stay zero).
    full_h = (h - 1) * sh + dh * (kh - 1) + 1
    full_w = (w - 1) * sw + dw * (kw - 1) + 1
    canvas = np.zeros((n, groups, c_out_per_group, full_h + output_padding[0],
                       full_w + output_padding[1]), dtype)
    # Tap (i, j) of every painted kernel lands at S * (input position) + D * (i, j): a strided
    # add of the whole input, weighted by that tap, summed over the group's input channels.
    for i in range(kh):
        for j in range(kw):
            canvas[..., i * dh: i * dh + (h - 1) * sh + 1: sh,
                   j * dw: j * dw + (w - 1) * sw + 1: sw] += \
                np.einsum("ngchw,gco->ngohw", x, wg[..., i, j])
    out = canvas[..., ph: ph + out_h, pw: pw + out_w].reshape(n, c_out, out_h, out_w)
    return _finish(out, bias, unbatched)


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
