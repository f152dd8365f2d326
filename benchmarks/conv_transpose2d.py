"""Benchmark: widgets.ops.conv_transpose2d against torch.nn.functional.conv_transpose2d.

    make bench                      # or: .venv/bin/python benchmarks/conv_transpose2d.py
    .venv/bin/python benchmarks/conv_transpose2d.py --rounds 15 --json results.json

Times the layers of the chapter's architectures (float32, DCGAN, U-Net, FCN, the checkerboard
layer) and the pixel shuffle, interleaved in one process, median of the rounds; prints a table
with both times, their ratio, each side's GFLOP/s and the float32 matmul ceiling, and writes the
same as JSON. Run it on a quiet machine: anything else running shifts both sides, but not equally.
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

# Before NumPy (or anything that imports it) loads: OpenBLAS's worker threads otherwise spin for a
# while after each call and steal the cores from PyTorch's next call, and the reverse; the ratios
# come out 2-3x wrong.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# glibc hands out blocks above its mmap threshold as fresh pages, and the threshold moves with the
# process's history: the same layer then costs PyTorch 9.5 ms in one process and 22 ms in another
# (page faults on a 17 MB output, measured on the checkerboard layer). Fixing the threshold at its
# maximum (32 MiB) and never trimming the heap makes both sides reuse memory as a training loop
# does. glibc reads these only at start-up, hence the re-exec (Linux only).
GLIBC_ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
if sys.platform.startswith("linux") and any(k not in os.environ for k in GLIBC_ALLOCATOR):
    os.environ.update({k: v for k, v in GLIBC_ALLOCATOR.items() if k not in os.environ})
    os.execv(sys.executable, [sys.executable] + sys.argv)


def _has_avx512():
    try:
        return " avx512f " in " " + Path("/proc/cpuinfo").read_text().replace("\n", " ") + " "
    except OSError:
        return False


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (>= 7)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="cores for both sides (default: all)")
    parser.add_argument("--json", type=Path, default=Path("_build/bench/conv_transpose2d.json"))
    parser.add_argument("--quick", action="store_true",
                        help="batch 1-2 instead of the full batches (a smoke run, not a result)")
    parser.add_argument("--openblas-default", action="store_true",
                        help="keep OpenBLAS's own kernel choice (see the note printed at the top)")
    args = parser.parse_args()
    if args.rounds < 7:
        parser.error("--rounds must be at least 7 (the medians need them)")
    return args


def main():
    args = _parse()
    # OpenBLAS 0.3.31 in NumPy's wheel detects some AVX-512 CPUs (AMD Zen 4/5) as Haswell and
    # runs its AVX2 kernels, at half the float32 matmul speed. PyTorch's oneDNN uses AVX-512 on
    # the same CPU, so the comparison is fair only with OpenBLAS's AVX-512 kernels selected.
    if _has_avx512() and not args.openblas_default:
        os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import numpy as np
    import torch
    from threadpoolctl import threadpool_info

    from widgets import benchmark, ops
    from widgets.tables import markdown_table

    blas = [i for i in threadpool_info() if i.get("internal_api") == "openblas"]
    machine = dict(cpu=platform.processor() or platform.machine(), cores=os.cpu_count(),
                   threads=args.threads, python=platform.python_version(),
                   numpy=np.__version__, torch=torch.__version__,
                   openblas_architecture=blas[0].get("architecture") if blas else None,
                   openblas_coretype_env=os.environ.get("OPENBLAS_CORETYPE"),
                   malloc_env={k: os.environ.get(k) for k in GLIBC_ALLOCATOR})
    print(f"NumPy {np.__version__} (OpenBLAS kernels: {machine['openblas_architecture']}), "
          f"PyTorch {torch.__version__}, {args.threads} threads, {args.rounds} rounds")

    with benchmark.limited_threads(args.threads):
        run(args, machine, benchmark, ops, markdown_table)


def run(args, machine, benchmark, ops, markdown_table):
    ceiling = benchmark.matmul_gflops()
    print(f"float32 matmul ceiling (NumPy, 2048 x 2048): {ceiling:.0f} GFLOP/s\n")
    layers = [layer.scaled(min(layer.batch, 2)) if args.quick else layer
              for layer in benchmark.LAYERS]
    results = []
    for layer in layers:
        results.append(benchmark.time_layer(layer, rounds=args.rounds))
        row = benchmark.table_rows(results[-1:], ceiling)[0]
        print("  ".join(f"{h}: {v}" for h, v in zip(benchmark.TABLE_HEADERS, row) if v),
              flush=True)
    shuffle = benchmark.time_pixel_shuffle(rounds=args.rounds)
    print(f"\npixel_shuffle {tuple(shuffle['shape'])}, r={shuffle['factor']}: NumPy "
          f"{shuffle['shuffle_numpy_ms']:.2f} ms, PyTorch {shuffle['shuffle_torch_ms']:.2f} ms, "
          f"ratio {shuffle['shuffle_ratio']:.2f}; pixel_unshuffle ratio "
          f"{shuffle['unshuffle_ratio']:.2f}")

    table = markdown_table(benchmark.TABLE_HEADERS, benchmark.table_rows(results, ceiling))
    print("\n" + table.data)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(dict(machine=machine, rounds=args.rounds, quick=args.quick,
                                         matmul_gflops=ceiling, layers=results,
                                         pixel_shuffle=shuffle,
                                         fast_path_min_multiply_adds=ops.FAST_PATH_MIN_MULTIPLY_ADDS),
                                    indent=2) + "\n")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
