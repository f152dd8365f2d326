"""Zero insertion: the fractionally-strided view of the transposed convolution (section 5)."""

import numpy as np

from .checks import check_output_padding, pair
from .reference import conv2d, transpose_args
from .sizes import conv_transpose_size


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
    sh, sw = pair(stride, "stride", 1)
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
    kh, kw = pair(kernel_size, "kernel_size", 1)
    ph, pw = pair(padding, "padding", 0)
    oh, ow = pair(output_padding, "output_padding", 0)
    dh, dw = pair(dilation, "dilation", 1)
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
    stride, dilation = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
    output_padding = pair(output_padding, "output_padding", 0)
    kernel_size, padding = pair(kernel_size, "kernel_size", 1), pair(padding, "padding", 0)
    check_output_padding(output_padding, stride, dilation)
    spread = zero_insert(input, stride)
    conv_transpose_size(input.shape[-2:], kernel_size, stride, padding, output_padding, dilation)
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
     _) = transpose_args(input, weight, bias, stride, padding, output_padding, groups, dilation)
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
    h, w = pair(input_size, "input_size", 1)
    kernel = pair(kernel_size, "kernel_size", 1)
    stride, dilation = pair(stride, "stride", 1), pair(dilation, "dilation", 1)
    padding = pair(padding, "padding", 0)
    output_padding = pair(output_padding, "output_padding", 0)
    check_output_padding(output_padding, stride, dilation)
    out_h, out_w = conv_transpose_size((h, w), kernel, stride, padding, output_padding, dilation)
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
