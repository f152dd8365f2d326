"""Timing ``ops.conv_transpose2d`` against ``F.conv_transpose2d`` (Going deeper: speed).

Used by ``benchmarks/conv_transpose2d.py`` (``make bench``: the full shapes, every core) and by
the speed page (small shapes, live). Both sides run in the same process on the same
float32 data, interleaved round by round (the side that goes first alternates, because whichever
runs right after the other library pays for its idle threads), and each time reported is the
median over the rounds.

NumPy must be imported with ``OPENBLAS_THREAD_TIMEOUT`` and ``OMP_WAIT_POLICY`` already set for
the ratios to be fair; the command-line script sets them before anything imports NumPy.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from typing import NamedTuple

import numpy as np

from . import ops


class Layer(NamedTuple):
    name: str
    batch: int
    c_in: int
    size: int          # input height = width
    c_out: int
    kernel: int
    stride: int
    padding: int = 0
    output_padding: int = 0
    goal: float | None = None  # the target for NumPy time / PyTorch time

    @property
    def out_size(self):
        return ops.conv_transpose_output_size(self.size, self.kernel, self.stride, self.padding,
                                              self.output_padding)

    @property
    def flops(self):
        """2 x the multiply-adds of the scatter-add: every input value times every kernel tap."""
        return 2 * self.batch * self.c_in * self.c_out * self.kernel ** 2 * self.size ** 2

    def scaled(self, batch):
        return self._replace(batch=batch)

    def floor_ms(self, ceiling_gflops):
        """The matmul floor: the arithmetic alone at the matrix-multiply ceiling, in ms.

        A time far above it is spent moving memory (the adds and the pixel shuffle).
        """
        return self.flops / ceiling_gflops / 1e6


# The layers of the chapter's architectures, float32, at training batch sizes. Goals: 1.3 on the dense DCGAN layers and the checkerboard
# layer, 0.8 on DCGAN's first and last layers and on U-Net, 1.0 on FCN.
LAYERS = [
    Layer("DCGAN 1: 100x1x1 -> 512x4x4", 64, 100, 1, 512, 4, 1, 0, 0, 0.8),
    Layer("DCGAN 2: 512x4x4 -> 256x8x8", 64, 512, 4, 256, 4, 2, 1, 0, 1.3),
    Layer("DCGAN 3: 256x8x8 -> 128x16x16", 64, 256, 8, 128, 4, 2, 1, 0, 1.3),
    Layer("DCGAN 4: 128x16x16 -> 64x32x32", 64, 128, 16, 64, 4, 2, 1, 0, 1.3),
    Layer("DCGAN 5: 64x32x32 -> 3x64x64", 64, 64, 32, 3, 4, 2, 1, 0, 0.8),
    Layer("U-Net: 128x64x64 -> 64x128x128", 8, 128, 64, 64, 2, 2, 0, 0, 0.8),
    Layer("FCN: 21x16x16 -> 21x512x512", 1, 21, 16, 21, 64, 32, 16, 0, 1.0),
    Layer("checkerboard: 128x32x32 -> 64x64x64", 16, 128, 32, 64, 3, 2, 1, 1, 1.3),
]


@contextlib.contextmanager
def limited_threads(threads):
    """Use ``threads`` threads on both sides: PyTorch's, NumPy's BLAS and the adds of ``ops``.

    Changes them for the duration of the block and restores them afterwards.
    """
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with ops.fast.threads(threads), threadpool_limits(limits=threads, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(before)


def _median_times(functions, rounds):
    """Median seconds of each function, interleaved, alternating which one goes first."""
    times = [[] for _ in functions]
    for f in functions:  # warm-up: first-call allocations, thread pools, BLAS initialisation
        f()
    for r in range(rounds):
        order = range(len(functions)) if r % 2 == 0 else reversed(range(len(functions)))
        for k in order:
            start = time.perf_counter()
            functions[k]()
            times[k].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def matmul_gflops(size=2048, rounds=7):
    """float32 matrix-multiply GFLOP/s of NumPy's BLAS: the ceiling for the fast path."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    (seconds,) = _median_times([lambda: a @ b], rounds)
    return 2 * size ** 3 / seconds / 1e9


def time_layer(layer, rounds=7, seed=0):
    """Time one layer both ways; checks first that the two results agree."""
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((layer.batch, layer.c_in, layer.size, layer.size), dtype=np.float32)
    w = rng.standard_normal((layer.c_in, layer.c_out, layer.kernel, layer.kernel),
                            dtype=np.float32)
    args = dict(stride=layer.stride, padding=layer.padding, output_padding=layer.output_padding)
    x_t, w_t = torch.from_numpy(x), torch.from_numpy(w)

    def ours():
        return ops.conv_transpose2d(x, w, **args)

    def theirs():
        return F.conv_transpose2d(x_t, w_t, **args)

    difference = np.abs(ours() - theirs().numpy()).max()
    # float32 sums of C_in * K^2 terms of unit size: the rounding grows with the term count
    assert difference <= 1e-5 * layer.c_in * layer.kernel ** 2, difference
    numpy_s, torch_s = _median_times([ours, theirs], rounds)
    return dict(layer=layer.name, shape=layer._asdict(), numpy_ms=numpy_s * 1e3,
                torch_ms=torch_s * 1e3, ratio=numpy_s / torch_s,
                numpy_gflops=layer.flops / numpy_s / 1e9, torch_gflops=layer.flops / torch_s / 1e9,
                goal=layer.goal, met=None if layer.goal is None else numpy_s / torch_s <= layer.goal)


def time_pixel_shuffle(shape=(64, 256, 32, 32), factor=2, rounds=7):
    """``ops.pixel_shuffle`` and ``ops.pixel_unshuffle`` against PyTorch's."""
    import torch
    import torch.nn.functional as F

    x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    x_t = torch.from_numpy(x)
    assert np.array_equal(ops.pixel_shuffle(x, factor), F.pixel_shuffle(x_t, factor).numpy())
    up = ops.pixel_shuffle(x, factor)
    up_t = torch.from_numpy(up)
    times = _median_times([lambda: ops.pixel_shuffle(x, factor),
                           lambda: F.pixel_shuffle(x_t, factor),
                           lambda: ops.pixel_unshuffle(up, factor),
                           lambda: F.pixel_unshuffle(up_t, factor)], rounds)
    return dict(shape=list(shape), factor=factor,
                shuffle_numpy_ms=times[0] * 1e3, shuffle_torch_ms=times[1] * 1e3,
                shuffle_ratio=times[0] / times[1],
                unshuffle_numpy_ms=times[2] * 1e3, unshuffle_torch_ms=times[3] * 1e3,
                unshuffle_ratio=times[2] / times[3])


def table_rows(results, ceiling_gflops):
    """Rows for a table: the times, the ratio, both GFLOP/s, and the matmul floor."""
    rows = []
    for r in results:
        floor_ms = Layer(**r["shape"]).floor_ms(ceiling_gflops)
        goal = "" if r["goal"] is None else f"{'met' if r['met'] else 'missed'} (<= {r['goal']})"
        rows.append([r["layer"], f"{r['numpy_ms']:.2f}", f"{r['torch_ms']:.2f}",
                     f"{r['ratio']:.2f}", f"{r['numpy_gflops']:.0f}", f"{r['torch_gflops']:.0f}",
                     f"{floor_ms:.2f}", goal])
    return rows


TABLE_HEADERS = ["layer", "NumPy ms", "PyTorch ms", "ratio", "NumPy GFLOP/s",
                 "PyTorch GFLOP/s", "matmul floor ms", "goal"]

