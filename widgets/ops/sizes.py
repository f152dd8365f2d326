"""Output and input sizes of the forward and the transposed convolution (section 4).

The per-axis rules ``conv_size`` and ``conv_transpose_size`` raise where PyTorch refuses a
convolution; every operator of the package computes its output shape with them. The public
functions take ints (int result) or pairs (tuple result).
"""

from .checks import check_output_padding, is_int, pair, single


def conv_size(size, kernel, stride, padding, dilation):
    """Forward-conv output size per axis, raising if it is not positive."""
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(i + 2 * p for i, p in zip(size, padding))
    if any(p < e for p, e in zip(padded, extent)):
        raise ValueError(
            f"output size must be positive on each axis: the padded input {padded} is smaller "
            f"than the dilated kernel extent {extent} (input {size}, padding {padding})")
    return tuple((p - e) // s + 1 for p, e, s in zip(padded, extent, stride))


def conv_transpose_size(size, kernel, stride, padding, output_padding, dilation):
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



def _scalar_or_pair(out, *args):
    # Int in gives int out; as soon as any argument is per-axis the answer is per-axis.
    return out[0] if all(is_int(a) for a in args) else out


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Output size of a forward convolution: ``floor((I + 2P - D(K-1) - 1) / S) + 1``.

    Defined for the section on the output-size formula, where the transposed formula is derived
    by running this one backwards. ``size`` and the parameters are ints (int result) or pairs
    (tuple result). Raises ``ValueError`` where PyTorch would refuse the convolution.
    """
    out = conv_size(pair(size, "size", 1), pair(kernel_size, "kernel_size", 1),
                     pair(stride, "stride", 1), pair(padding, "padding", 0),
                     pair(dilation, "dilation", 1))
    return _scalar_or_pair(out, size, kernel_size, stride, padding, dilation)


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0,
                               dilation=1):
    """Output size of a transposed convolution: ``(I-1)S - 2P + D(K-1) + output_padding + 1``.

    Defined for the section on the output-size formula (and used again for output_padding).
    Ints give an int, pairs give a tuple. Raises ``ValueError`` where PyTorch would refuse:
    ``output_padding`` not below the stride or the dilation, or a non-positive size.
    """
    s, d = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
    op = pair(output_padding, "output_padding", 0)
    check_output_padding(op, s, d)
    out = conv_transpose_size(pair(size, "size", 1), pair(kernel_size, "kernel_size", 1),
                               s, pair(padding, "padding", 0), op, d)
    return _scalar_or_pair(out, size, kernel_size, stride, padding, output_padding, dilation)


def max_output_padding(stride, dilation=1):
    """The largest ``output_padding`` PyTorch accepts: ``max(S, D) - 1`` on each axis.

    Defined for section 4. PyTorch's rule is ``output_padding < stride or output_padding <
    dilation``, which is the same as ``output_padding < max(stride, dilation)``. Ints give an
    int, pairs a tuple.
    """
    s, d = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
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
    axes = zip(pair(size, "size", 1), pair(kernel_size, "kernel_size", 1),
               pair(stride, "stride", 1), pair(padding, "padding", 0),
               pair(dilation, "dilation", 1))
    out = tuple(_input_size_range(*axis) for axis in axes)
    return _scalar_or_pair(out, size, kernel_size, stride, padding, dilation)


def output_padding_for(target, size, kernel_size, stride=1, padding=0, dilation=1):
    """The ``output_padding`` with which a transposed conv of ``size`` produces ``target``.

    Defined for section 4: ``target`` is the input size of the forward conv being undone, so
    ``conv_transpose_output_size(size, ..., output_padding=result) == target``. Raises
    ``ValueError`` when the forward conv does not map ``target`` to ``size`` (then no
    output_padding that PyTorch accepts can give it back). Ints only.
    """
    target, size = single(target, "target", 1), single(size, "size", 1)
    kernel, stride = single(kernel_size, "kernel_size", 1), single(stride, "stride", 1)
    padding, dilation = single(padding, "padding", 0), single(dilation, "dilation", 1)
    sizes = _input_size_range(size, kernel, stride, padding, dilation)
    if target not in sizes:
        which = (f"sizes {sizes.start}..{sizes.stop - 1}" if len(sizes) else "no input size")
        raise ValueError(
            f"target {target} is not an input size that the forward conv maps to size {size} "
            f"(kernel_size {kernel}, stride {stride}, padding {padding}, dilation {dilation}: "
            f"{which})")
    return target - (size - 1) * stride + 2 * padding - dilation * (kernel - 1) - 1

