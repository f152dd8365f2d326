"""The benchmark command runs from a fresh environment and writes what the README promises.

This checks behaviour, not speed: the ratios themselves are for `make bench` on a quiet machine.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from widgets import benchmark, ops
from widgets.ops import fast

ROOT = Path(__file__).resolve().parents[1]


def test_layers_are_the_issue_shapes_with_pytorch_output_sizes():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    expected_out = {"DCGAN 1": (512, 4), "DCGAN 2": (256, 8), "DCGAN 3": (128, 16),
                    "DCGAN 4": (64, 32), "DCGAN 5": (3, 64), "U-Net": (64, 128),
                    "FCN": (21, 512), "checkerboard": (64, 64)}
    for layer in benchmark.LAYERS:
        out = F.conv_transpose2d(torch.zeros(1, layer.c_in, layer.size, layer.size),
                                 torch.zeros(layer.c_in, layer.c_out, layer.kernel, layer.kernel),
                                 stride=layer.stride, padding=layer.padding,
                                 output_padding=layer.output_padding)
        assert (out.shape[1], out.shape[2]) == expected_out[layer.name.split(":")[0]]
        assert layer.out_size == out.shape[2]
        # FLOPs: 2 per multiply-add of the scatter-add, counted independently here
        assert layer.flops == 2 * layer.batch * layer.c_in * layer.size ** 2 * layer.c_out \
            * layer.kernel ** 2


def test_quick_run_writes_every_layer_to_json(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "conv_transpose2d.py"),
                          "--quick", "--rounds", "7", "--threads", "1", "--json", str(out)],
                         capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    result = json.loads(out.read_text())
    assert [r["layer"] for r in result["layers"]] == [layer.name for layer in benchmark.LAYERS]
    assert result["rounds"] == 7 and result["quick"] is True
    assert result["fast_path_min_multiply_adds"] == ops.FAST_PATH_MIN_MULTIPLY_ADDS
    for r in result["layers"]:
        assert r["numpy_ms"] > 0 and r["torch_ms"] > 0
        assert r["ratio"] == pytest.approx(r["numpy_ms"] / r["torch_ms"])
        assert r["met"] == (r["ratio"] <= r["goal"])
    assert result["pixel_shuffle"]["shape"] == [64, 256, 32, 32]
    assert result["matmul_gflops"] > 0
    for layer in benchmark.LAYERS:  # the printed table has a row per layer
        assert f"| {layer.name} |" in run.stdout


def test_fewer_than_seven_rounds_is_refused():
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "conv_transpose2d.py"),
                          "--rounds", "3"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode != 0 and "--rounds must be at least 7" in run.stderr


def test_limited_threads_sets_every_side_and_restores_it():
    torch = pytest.importorskip("torch")
    from threadpoolctl import threadpool_info

    def blas_threads():
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    before = torch.get_num_threads(), fast.worker_count(), blas_threads()
    with benchmark.limited_threads(1):
        assert torch.get_num_threads() == 1
        assert fast.worker_count() == 1
        assert blas_threads() == {1}
        # one worker: the adds are not split, whatever their size
        assert len(fast.channel_parts(64, 1 << 20)) == 1
    assert (torch.get_num_threads(), fast.worker_count(), blas_threads()) == before
