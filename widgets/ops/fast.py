"""The fast path of the transposed convolution (Going deeper: speed), and the public
``conv_transpose2d`` that chooses between it and the reference.

Module-level names a reader of the speed page (and the tests) may use: the tunables
``FAST_PATH_MIN_MULTIPLY_ADDS`` (the size from which ``conv_transpose2d`` takes the fast path),
``CHUNK_BYTES`` (the size a batch chunk's painted taps aim at), ``MIN_VALUES_PER_THREAD`` (the
work that makes a thread worth starting) and ``BATCH_INNER_MAX_PIXELS``; the bookkeeping
``tap_groups`` and ``channel_parts``; ``fast_sum`` and the routes it chooses between
(``single_pixel``, ``subpixel``, ``scatter_by_phase``); and the thread setting
``threads(count)`` with ``worker_count()``. The tunables are read at call time, so a test may
shrink them to force chunks and threads on small shapes. Only ``FAST_PATH_MIN_MULTIPLY_ADDS``
is part of ``ops.__all__``.
"""

import contextlib
import os

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from .checks import result_dtype, single
from .reference import finish, reference_sum, transpose_args


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
CHUNK_BYTES = 8 << 20
# Splitting the adds over threads pays off only above about this many output values per thread.
MIN_VALUES_PER_THREAD = 1 << 15
# Images up to this many pixels keep the batch as the innermost axis of the painted taps.
BATCH_INNER_MAX_PIXELS = 256
_POOL = None
# Set by `threads`; None means one thread per core, up to 8.
_max_workers = None


def worker_count():
    """How many threads the adds of one call may use now: the `threads` setting, else one per
    core (up to 8)."""
    return _max_workers or min(os.cpu_count() or 1, 8)


@contextlib.contextmanager
def threads(count):
    """Run the fast path's adds and copies on at most ``count`` threads inside the block.

    A process-wide setting, restored when the block ends (also on an error); blocks nest. The
    matrix multiplies run in NumPy's BLAS, which has its own thread count (threadpoolctl sets
    it); ``widgets.benchmark.limited_threads`` sets both, and PyTorch's, for a fair comparison.
    ``count`` must be an int >= 1.
    """
    global _max_workers
    count = single(count, "count", 1)
    before, _max_workers = _max_workers, count
    try:
        yield
    finally:
        _max_workers = before


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


def channel_parts(channels, values_per_channel):
    """Split ``range(channels)`` into contiguous slices, one per thread worth using."""
    parts = min(worker_count(), channels,
                max(1, channels * values_per_channel // MIN_VALUES_PER_THREAD))
    bounds = [channels * k // parts for k in range(parts + 1)]
    return [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]


class TapGroup(NamedTuple):
    shift: int     # t: taps of this group land in canvas block (input row + t)
    taps: slice    # the kernel indices i with D * i // S == t (consecutive)
    phases: slice  # where they land inside the block, D * i % S (step D)


def tap_groups(kernel, stride, dilation):
    """Group one axis's kernel taps by the canvas block they shift into.

    Tap ``i`` lands ``D * i`` canvas cells after its input cell: in block ``t`` at phase ``a``,
    with ``(t, a) = divmod(D * i, S)``. Returns a list of ``TapGroup(shift, taps, phases)``, one
    per shift ``t`` in increasing order; all taps of a group are added in one strided add.
    """
    groups = []
    for i in range(kernel):
        shift, phase = divmod(i * dilation, stride)
        if groups and groups[-1][0] == shift:
            groups[-1][2].append(phase)
            groups[-1][1][1] = i + 1
        else:
            groups.append((shift, [i, i + 1], [phase]))
    return [TapGroup(shift, slice(*taps), slice(phases[0], phases[-1] + 1, dilation))
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


def scatter_by_phase(x, weight, out, stride, padding, dilation):
    """One group: matmul over input channels, then grouped strided adds, then a pixel shuffle."""
    n, c_in, h, w = x.shape
    c_out, kh, kw = weight.shape[1:]
    rows, cols = (tap_groups(k, s, d) for k, s, d in zip((kh, kw), stride, dilation))
    # The canvas, in S x S blocks: room for every painted tap and for the cropped output.
    n_blocks = tuple(max(size + groups[-1].shift, -(-(p + o) // s)) for size, groups, p, o, s
                     in zip((h, w), (rows, cols), padding, out.shape[2:], stride))
    # Rows (o, i, j) of the weight, as a transposed view: BLAS reads it in place, no copy.
    taps = weight.reshape(c_in, -1).T
    # Small images keep the batch as the innermost axis, so the adds run over long contiguous
    # stretches (W * batch values) instead of W; large images keep the batch outside.
    batch_inner = h * w <= BATCH_INNER_MAX_PIXELS
    chunk = min(n, max(1, CHUNK_BYTES // (taps.shape[0] * h * w * x.itemsize)))
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
                     channel_parts(c_in, m * h * w))
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

        _in_parallel(finish, channel_parts(c_out, m * out.shape[2] * out.shape[3]))


def subpixel(x, weight, out, stride, padding):
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
    chunk = min(n, max(1, CHUNK_BYTES // (sub_kernels.shape[0] * ny * nx * x.itemsize)))
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
                     channel_parts(c_out, m * out_h * out_w))


def single_pixel(x, weight, out, padding, dilation):
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


def fast_sum(args):
    """The fast path on checked arguments; returns (N, C_out, H_out, W_out), bias not added."""
    n, c_in, h, w = args.input.shape
    c_out_per_group = args.weight.shape[1]
    dtype = result_dtype(args.input, args.weight, args.bias)
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
            single_pixel(x_g, w_g, out_g, args.padding, args.dilation)
        elif args.dilation == (1, 1) and args.stride[0] * args.stride[1] >= 16:
            subpixel(x_g, w_g, out_g, args.stride, args.padding)
        else:
            scatter_by_phase(x_g, w_g, out_g, args.stride, args.padding, args.dilation)
    return out


def conv_transpose2d_fast(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                          groups=1, dilation=1):
    """The fast path of ``conv_transpose2d``, whatever the size (for tests and the benchmark).

    Chosen by shape: a 1 x 1 input is a single matmul; dilation 1 with a large stride
    (S_h * S_w >= 16) uses the sub-pixel (phase) decomposition; everything else paints all taps
    with one matmul per batch chunk and adds them in place by phase. Same arguments, checks and
    result as ``conv_transpose2d_reference``, up to float rounding.
    """
    args = transpose_args(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return finish(fast_sum(args), args.bias, args.unbatched)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    ``weight`` is ``(C_in, C_out/groups, kH, kW)``. Small problems (the chapter's examples and
    explorers) run the readable scatter-add of ``conv_transpose2d_reference``; larger ones run
    ``conv_transpose2d_fast``, the same sums arranged around one matrix multiply (Going
    deeper: speed). Both give equal results on integer-valued data; on floats they differ only
    by rounding (a different summation order), as PyTorch's own CPU and GPU kernels do.
    """
    args = transpose_args(input, weight, bias, stride, padding, output_padding, groups, dilation)
    n, c_in, h, w = args.input.shape
    c_out_per_group, kh, kw = args.weight.shape[1:]
    multiply_adds = n * c_in * c_out_per_group * kh * kw * h * w
    route = reference_sum if multiply_adds < FAST_PATH_MIN_MULTIPLY_ADDS else fast_sum
    return finish(route(args), args.bias, args.unbatched)
