"""The overlap geometry of a transposed convolution (section 6, checkerboard artifacts).

Every tap of every painted kernel counts, whatever its value (``overlap_profile``,
``overlap_counts``). The *interior* of an output is where every tap can land: away from both
ends, the counts repeat with period S there. Whether they are all equal is the uniformity rule
(``overlap_is_uniform``); whether a given kernel turns a constant input into a flat interior is
decided by its phase sums (``phase_sums``).
"""

import numpy as np

from .checks import pair, result_dtype, single
from .sizes import conv_transpose_size


def overlap_profile(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """How many painted kernel taps land on each output position of a 1-D transposed conv.

    Defined for the checkerboard section: the 1-D profile, e.g. ``[1, 1, 2, 1, 2, 1, 1]`` for
    I=3, K=3, S=2. Pure geometry (zero-valued taps count). Ints only; see ``overlap_counts`` for
    2-D. The output has ``output_padding=0``, as for ``conv_transpose_output_size``.
    """
    size, kernel = single(input_size, "input_size", 1), single(kernel_size, "kernel_size", 1)
    stride, padding = single(stride, "stride", 1), single(padding, "padding", 0)
    dilation = single(dilation, "dilation", 1)
    (length,) = conv_transpose_size((size,), (kernel,), (stride,), (padding,), (0,), (dilation,))
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
    h, w = pair(input_size, "input_size", 1)
    kh, kw = pair(kernel_size, "kernel_size", 1)
    sh, sw = pair(stride, "stride", 1)
    ph, pw = pair(padding, "padding", 0)
    dh, dw = pair(dilation, "dilation", 1)
    # Validate in 2-D first so that a bad size is reported as a pair.
    conv_transpose_size((h, w), (kh, kw), (sh, sw), (ph, pw), (0, 0), (dh, dw))
    return np.outer(overlap_profile(h, kh, sh, ph, dh), overlap_profile(w, kw, sw, pw, dw))


def interior(input_size, kernel_size, stride=1, dilation=1):
    """First and last interior position (inclusive) of a 1-D transposed conv's output.

    Defined for section 6. Tap ``i`` of the kernel painted by input cell ``h`` lands on output
    position ``S*h + D*i``. Position ``p`` is *interior* when no tap is cut off by an end of the
    input: for every tap ``i``, ``(p - D*i) / S`` lies between 0 and ``I-1``. That is
    ``D(K-1) <= p <= (I-1)S``, so the result is ``(D*(K-1), (I-1)*S)``, and the interior has
    ``(I-1)S - D(K-1) + 1`` cells (none when the input is too short: then first > last).
    Inside it the counts of ``overlap_profile`` repeat with period S. Positions are those of the
    uncropped output (padding 0); padding P moves both ends P to the left.
    """
    size, kernel = single(input_size, "input_size", 1), single(kernel_size, "kernel_size", 1)
    stride, dilation = single(stride, "stride", 1), single(dilation, "dilation", 1)
    return dilation * (kernel - 1), (size - 1) * stride


def input_size_for(kernel_size, stride, dilation=1):
    """The smallest input size (at least 3) whose output has an interior of at least 2S cells.

    Defined for section 6: on that input the periodic pattern of the interior shows twice. From
    ``interior``: ``(I-1)S - D(K-1) + 1 >= 2S``.
    """
    kernel, stride = single(kernel_size, "kernel_size", 1), single(stride, "stride", 1)
    dilation = single(dilation, "dilation", 1)
    return max(3, 1 + -(-(dilation * (kernel - 1) + 2 * stride - 1) // stride))


def overlap_is_uniform(kernel_size, stride, dilation=1):
    """Whether every interior output position of a 1-D transposed conv gets the same tap count.

    Defined for section 6 and used for the design-patterns table of section 9, from
    ``overlap_profile``: the profile of the input ``input_size_for`` chooses, whose ``interior``
    spans two strides, and the verdict is whether all interior counts are equal. Pure geometry:
    it says nothing about the kernel's values (section 6 shows a uniform-overlap layer with a
    periodic output; ``phase_sums`` decides that). Padding only crops the border, so it is not an
    argument. For D = 1 the answer is "S divides K"; with dilation, "S divides K and gcd(D, S) = 1".
    """
    kernel = single(kernel_size, "kernel_size", 1)
    stride = single(stride, "stride", 1)
    dilation = single(dilation, "dilation", 1)
    size = input_size_for(kernel, stride, dilation)
    first, last = interior(size, kernel, stride, dilation)
    counts = overlap_profile(size, kernel, stride, 0, dilation)[first:last + 1]
    return bool((counts == counts[0]).all())


def phase_sums(kernel, stride, dilation=1):
    """Per output phase ``a = 0..S-1``, the sum of the kernel taps that land on that phase.

    Defined for section 6. Tap ``i`` lands on output position ``S*h + D*i`` for every input cell
    ``h``, so always on the phase (position mod S) ``(D*i) % S``; for D = 1, phase ``a`` gets the
    taps ``kernel[a::S]``. On a constant input ``c``, interior position ``p`` (see ``interior``)
    therefore receives ``c * phase_sums(kernel, S, D)[p % S]``. This is the exact criterion for a
    flat interior: a constant input other than 0 gives an interior with a single value if and only
    if all S phase sums are equal. K=3, S=2, ``[1, 2, 1]`` has uneven overlap and is flat (2, 2);
    K=4, S=2, ``[1, 2, 3, 4]`` has even overlap and is not (4, 6). With a kernel of ones the phase
    sums are the overlap counts of the interior, and the criterion is ``overlap_is_uniform``.

    ``kernel`` is 1-D (one axis of a kernel), ``stride`` and ``dilation`` ints. Phases are those of
    the uncropped output (padding P shifts them by P). Integer kernels are summed in float64.
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 1 or kernel.size < 1:
        raise ValueError(f"kernel must be 1-D with at least one tap, got shape {kernel.shape}")
    stride, dilation = single(stride, "stride", 1), single(dilation, "dilation", 1)
    sums = np.zeros(stride, result_dtype(kernel))
    np.add.at(sums, dilation * np.arange(kernel.size) % stride, kernel)
    return sums
