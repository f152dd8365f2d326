"""nbval again, under every CPU kernel family this machine can force.

The stored outputs must not depend on the CPU a reader has. PyTorch and NumPy pick their kernels
from the CPU at run time, and kernels of different vector widths add up floats in different
orders, so a training run or a long sum can end a few units lower in its last digits. This layer
reruns nbval, as layer 2 does, with each family forced through environment variables:

- PyTorch: ATen's own kernels (``ATEN_CPU_CAPABILITY``), oneDNN's convolutions
  (``ONEDNN_MAX_CPU_ISA``) and MKL's matrix multiplies (``MKL_ENABLE_INSTRUCTIONS``), set together
  so that each family is what a CPU with only those instructions would run;
- NumPy: OpenBLAS's kernels (``OPENBLAS_CORETYPE``).

The two libraries' families are run in pairs of the same instruction level (default with
Prescott, AVX2 with Haswell, AVX-512 with SkylakeX), so each family of each library runs the
notebooks once: three nbval runs instead of the nine of every pairing. A run of all nine found the
stored outputs moved by PyTorch's family alone, never by OpenBLAS's or by a pairing of the two.

Families above this CPU's own instructions cannot be forced: they are left out of the nbval runs,
and their read-back tests (ids ``...-left-out-...``) check that this CPU indeed refuses them.
MKL's choice cannot be read back; the other three are checked in a fresh process.

The pair at this CPU's own level is what layer 2 already ran, unforced, when this CPU runs
exactly its kernels: the same ATen capability, the same OpenBLAS kernels, and the same oneDNN
implementation for each primitive of a forward and backward convolution and a transposed one
(MKL's cap at the CPU's own level is no cap). Then it is not run again (id ``...-run-by-layer-2``).
"""

from __future__ import annotations

import functools
import json
import os
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
RESULTS_DIR = ROOT / "_build" / "kernel_families"

# The Makefile's NB_ENV: the same environment as layer 2 and `make notebooks`.
NB_ENV = {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
          "OPENBLAS_NUM_THREADS": "1"}

# Instruction levels, lowest first, as ATen names them.
LEVELS = ["DEFAULT", "AVX2", "AVX512"]

# PyTorch family -> (level it needs, environment that forces it).
TORCH_FAMILIES = {
    "default": ("DEFAULT", {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41",
                            "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"}),
    "avx2": ("AVX2", {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
                      "MKL_ENABLE_INSTRUCTIONS": "AVX2"}),
    "avx512": ("AVX512", {"ATEN_CPU_CAPABILITY": "avx512", "ONEDNN_MAX_CPU_ISA": "AVX512_CORE",
                          "MKL_ENABLE_INSTRUCTIONS": "AVX512"}),
}
# What oneDNN's verbose mode names each ISA ("onednn_verbose,...,info,cpu,isa:<name>").
ONEDNN_ISA_NAMES = {"default": "Intel SSE4.1", "avx2": "Intel AVX2", "avx512": "Intel AVX-512"}

# OpenBLAS core type -> level it needs. NumPy's OpenBLAS is built without the oldest cores and
# reports the Prescott kernels under the first core name that shares them, Katmai.
OPENBLAS_FAMILIES = {"Prescott": "DEFAULT", "Haswell": "AVX2", "SkylakeX": "AVX512"}
OPENBLAS_NAMES = {"Prescott": {"Prescott", "Katmai"}, "Haswell": {"Haswell"},
                  "SkylakeX": {"SkylakeX"}}

FORCING_VARIABLES = {"ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS",
                     "OPENBLAS_CORETYPE"}

# Code that trains, differentiates or times: these notebooks are where a kernel family shows.
TRAINS = re.compile(r"torch\.optim|\btrain_\w+\(")
DIFFERENTIATES = re.compile(r"\.backward\(")
TIMES = re.compile(r"perf_counter|timeit|\bbenchmark\.")
VARYING_CODE = re.compile("|".join(p.pattern for p in (TRAINS, DIFFERENTIATES, TIMES)))
# Colour codes, raw or as pytest's JUnit report escapes them.
ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*m")


def clean_env(**forced: str) -> dict:
    """os.environ without any inherited forcing, plus NB_ENV and ``forced``."""
    env = {k: v for k, v in os.environ.items() if k not in FORCING_VARIABLES}
    return {**env, **NB_ENV, **forced}


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


# What a process picks: ATen's capability, NumPy's OpenBLAS kernels, and oneDNN's ISA and the
# implementation it runs for each primitive of a convolution, its gradients and a transposed one.
PROBE = """
import json, threadpoolctl, torch, torch.nn.functional as F
torch.set_num_threads(1)
x = torch.randn(8, 16, 12, 12, requires_grad=True)
w = torch.randn(16, 16, 3, 3, requires_grad=True)
with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
    F.conv2d(x, w, padding=1).sum().backward()
    F.conv_transpose2d(torch.randn(64, 32, 2, 2), torch.randn(32, 16, 3, 3), stride=2)
print("PROBE " + json.dumps({
    "aten": torch.backends.cpu.get_cpu_capability(),
    "openblas": sorted({i.get("architecture") for i in threadpoolctl.threadpool_info()
                        if i["internal_api"] == "openblas"}),
}))
"""


@functools.cache
def probe(**forced: str) -> dict:
    """What a fresh process picks under ``forced`` (an error is kept, and fails the tests)."""
    result = run_python(PROBE, clean_env(**forced))
    line = [l for l in result.stdout.splitlines() if l.startswith("PROBE ")]
    if result.returncode != 0 or not line:
        return {"error": result.stderr[-2000:] or result.stdout[-2000:]}
    found = json.loads(line[0].removeprefix("PROBE "))
    isa = re.findall(r"info,cpu,isa:([^\n]*)", result.stdout)
    found["onednn_isa"] = isa[0] if isa else None
    # "onednn_verbose,v1,primitive,exec,cpu,<primitive>,<implementation>,<propagation>,..."
    found["onednn_impls"] = sorted({",".join(l.split(",")[5:8]) for l in result.stdout.splitlines()
                                    if ",primitive,exec,cpu," in l})
    return found


def native_level() -> str:
    """The highest level ATen picks on this CPU when nothing is forced (or why none was read)."""
    native = probe()
    return native.get("aten") or f"error: {native['error']}"


NATIVE = native_level()


def available(level: str) -> bool:
    return NATIVE in LEVELS and LEVELS.index(level) <= LEVELS.index(NATIVE)


def family_params(families: dict) -> list:
    """One param per family; the id says when this CPU cannot run it, and why."""
    params = []
    for name, spec in families.items():
        level = spec[0] if isinstance(spec, tuple) else spec
        tag = name if available(level) else f"{name}-left-out-this-CPU-tops-at-{NATIVE}"
        params.append(pytest.param(name, id=tag))
    return params


# PyTorch family -> the OpenBLAS family of the same level that runs beside it.
PAIRS = {"default": "Prescott", "avx2": "Haswell", "avx512": "SkylakeX"}
COMBOS = [(torch_family, coretype) for torch_family, coretype in PAIRS.items()
          if available(TORCH_FAMILIES[torch_family][0]) and available(OPENBLAS_FAMILIES[coretype])]


def forcing(torch_family: str, coretype: str) -> dict:
    return {**TORCH_FAMILIES[torch_family][1], "OPENBLAS_CORETYPE": coretype}


def combo_env(torch_family: str, coretype: str) -> dict:
    return clean_env(**forcing(torch_family, coretype))


CHOICES = ("aten", "openblas", "onednn_impls")


def runs_natively(combo: tuple[str, str]) -> bool:
    """This CPU, unforced, picks what ``combo`` forces: layer 2's nbval run was this family's."""
    native, forced = probe(), probe(**forcing(*combo))
    if "error" in native or "error" in forced:  # unread: run it (its read-back tests fail)
        return False
    return all(native[key] == forced[key] for key in CHOICES)


# Each pair's probe, all at once (each is a fresh process importing PyTorch).
with ThreadPoolExecutor(max_workers=len(PAIRS)) as _pool:
    list(_pool.map(lambda pair: probe(**forcing(*pair)), PAIRS.items()))
NBVAL_COMBOS = [combo for combo in COMBOS if not runs_natively(combo)]


def describe(torch_family: str, coretype: str) -> str:
    return " ".join(f"{k}={v}" for k, v in forcing(torch_family, coretype).items())


def code_of(path: pathlib.Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def varying_notebooks() -> list[pathlib.Path]:
    """The chapters whose code trains, differentiates or times something."""
    return [path for path in sorted(CHAPTERS.glob("*.ipynb")) if VARYING_CODE.search(code_of(path))]


# ---------------------------------------------------------------------------------------------
# Each forced family really takes effect (or, where this CPU lacks it, is really refused)


def test_this_cpu_runs_x86_kernel_families():
    assert NATIVE in LEVELS, (f"PyTorch reports CPU capability {NATIVE!r}: the kernel families "
                              f"this layer forces ({', '.join(LEVELS)}) are x86-64 ones")


@pytest.mark.parametrize("family", family_params(TORCH_FAMILIES))
def test_aten_capability_is_forced(family):
    level, forced = TORCH_FAMILIES[family]
    found = probe(**forcing(family, PAIRS[family]))
    assert "error" not in found, found
    got = found["aten"]
    if available(level):
        assert got == level, f"ATEN_CPU_CAPABILITY={forced['ATEN_CPU_CAPABILITY']} gave {got}"
    else:
        assert got == NATIVE, f"this CPU tops at {NATIVE}, yet {family} was forced to {got}"


@pytest.mark.parametrize("family", family_params(TORCH_FAMILIES))
def test_onednn_isa_is_forced(family):
    level, forced = TORCH_FAMILIES[family]
    found = probe(**forcing(family, PAIRS[family]))
    assert "error" not in found, found
    isa = found["onednn_isa"]
    assert isa, "oneDNN printed no ISA line"
    if available(level):
        assert isa.startswith(ONEDNN_ISA_NAMES[family]), (
            f"ONEDNN_MAX_CPU_ISA={forced['ONEDNN_MAX_CPU_ISA']} gave {isa!r}")
    else:
        assert not isa.startswith(ONEDNN_ISA_NAMES[family]), (
            f"this CPU tops at {NATIVE}, yet oneDNN ran {isa!r}")


@pytest.mark.parametrize("coretype", family_params(OPENBLAS_FAMILIES))
def test_openblas_kernels_are_forced(coretype):
    torch_family = next(t for t, c in PAIRS.items() if c == coretype)
    found = probe(**forcing(torch_family, coretype))
    assert "error" not in found, found
    architectures = found["openblas"]
    assert architectures, "NumPy loaded no OpenBLAS"
    if available(OPENBLAS_FAMILIES[coretype]):
        assert set(architectures) <= OPENBLAS_NAMES[coretype], (
            f"OPENBLAS_CORETYPE={coretype} gave kernels {architectures}")
    else:
        assert not set(architectures) & OPENBLAS_NAMES[coretype], (
            f"this CPU tops at {NATIVE}, yet OpenBLAS ran {architectures}")


def test_probes_tell_the_families_apart():
    # The comparison that spares a rerun can see a difference: the lowest family is not what a
    # CPU with vector instructions picks by itself.
    if NATIVE == "DEFAULT":  # a CPU without AVX2 has no family to tell apart
        assert COMBOS == [("default", "Prescott")]
    else:
        assert not runs_natively(("default", "Prescott"))
    # At most the family at this CPU's own level is what it runs unforced.
    assert all(TORCH_FAMILIES[t][0] == NATIVE for t, _ in COMBOS if (t, _) not in NBVAL_COMBOS)


def test_pairs_run_each_family_once():
    # Every family this CPU can force is in exactly one nbval run (here, or unforced in layer
    # 2), beside the other library's family of the same level.
    torch_families = sorted(t for t, (level, _) in TORCH_FAMILIES.items() if available(level))
    coretypes = sorted(c for c, level in OPENBLAS_FAMILIES.items() if available(level))
    assert sorted(t for t, _ in COMBOS) == torch_families
    assert sorted(c for _, c in COMBOS) == coretypes
    for torch_family, coretype in COMBOS:
        assert TORCH_FAMILIES[torch_family][0] == OPENBLAS_FAMILIES[coretype]


def test_notebooks_that_can_vary_are_found():
    found = {path.stem for path in varying_notebooks()}
    # The two that train (exercise 3's decoders, the challenge's GAN), recognised by their code.
    for stem in ("13_coding_exercises", "14_challenge"):
        assert TRAINS.search(code_of(CHAPTERS / f"{stem}.ipynb")), f"{stem} no longer trains"
        assert stem in found
    # Each kind of varying code is recognised somewhere, wherever the chapter keeps it (the timed
    # speed material has moved between pages): a pattern that stops matching fails here.
    for kind in (TRAINS, DIFFERENTIATES, TIMES):
        assert {p.stem for p in CHAPTERS.glob("*.ipynb") if kind.search(code_of(p))}, kind.pattern


# ---------------------------------------------------------------------------------------------
# nbval under each family


def run_nbval(torch_family: str, coretype: str, group: str, notebooks: list[pathlib.Path]) -> dict:
    """nbval over ``notebooks`` under one family; the failed cells and nbval's words for each."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    report = RESULTS_DIR / f"{torch_family}-{coretype}-{group}.xml"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval",
               "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
               "-q", f"--junitxml={report}", *[str(p.relative_to(ROOT)) for p in notebooks]]
    result = subprocess.run(command, env=combo_env(torch_family, coretype), cwd=ROOT,
                            capture_output=True, text=True, timeout=1800)
    failed = {}
    if report.is_file():
        for case in ET.parse(report).iter("testcase"):
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            if problem is not None:
                cell = f"{case.get('classname', '')}::{case.get('name', '')}"
                failed[cell] = ANSI.sub("", problem.text or problem.get("message", ""))
    return {"returncode": result.returncode, "failed": failed,
            "tail": ANSI.sub("", result.stdout[-3000:] + result.stderr[-2000:])}


def nbval_jobs(combos: list[tuple[str, str]]) -> list[tuple[tuple[str, str], str, list[pathlib.Path]]]:
    """(combo, group, notebooks) runs that keep both cores busy, the longest first.

    The notebooks that train take most of a family's time (the default family's most of all,
    without vector instructions): under each family they are one run, the rest another, and
    the training runs start first, so the short runs fill the other core at the end.
    """
    notebooks = varying_notebooks()
    groups = {"training": [p for p in notebooks if TRAINS.search(code_of(p))]}
    groups["other"] = [p for p in notebooks if p not in groups["training"]]
    ordered = sorted(combos, key=lambda combo: combo[0] != "default")
    return [(combo, group, members) for group, members in groups.items() if members
            for combo in ordered]


@pytest.fixture(scope="session")
def nbval_runs(request):
    """Run every selected family's nbval up front, as many runs at once as there are cores."""
    wanted = [item.callspec.params["combo"] for item in request.session.items
              if getattr(item, "originalname", "") == "test_nbval_passes_under_family"
              and item.callspec.params["combo"] in NBVAL_COMBOS]
    workers = max(2, os.cpu_count() or 1)
    for old_report in RESULTS_DIR.glob("*.xml"):
        old_report.unlink()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [(combo, pool.submit(run_nbval, *combo, group, notebooks))
                   for combo, group, notebooks in nbval_jobs(wanted)]
        runs = {combo: [] for combo in wanted}
        for combo, future in futures:
            runs[combo].append(future.result())
    return runs


def combo_id(combo: tuple[str, str]) -> str:
    return f"{combo[0]}-{combo[1]}" + ("" if combo in NBVAL_COMBOS else "-run-by-layer-2")


@pytest.mark.parametrize("combo", [pytest.param(c, id=combo_id(c)) for c in COMBOS])
def test_nbval_passes_under_family(combo, nbval_runs):
    if combo not in NBVAL_COMBOS:
        # Layer 2 ran nbval unforced, with what this family forces.
        assert runs_natively(combo) and TORCH_FAMILIES[combo[0]][0] == NATIVE
        return
    runs = nbval_runs[combo]
    assert runs, f"no nbval run under {describe(*combo)}"
    failed = {cell: text for run in runs for cell, text in run["failed"].items()}
    if failed:
        details = "\n\n".join(f"--- {cell}\n{text[-1500:]}" for cell, text in failed.items())
        message = (f"under {describe(*combo)}, {len(failed)} cell(s) differ from the stored "
                   f"outputs: {', '.join(failed)}\n\n{details}")
    else:
        message = "\n".join(f"nbval under {describe(*combo)} exited {run['returncode']}:\n{run['tail']}"
                            for run in runs if run["returncode"] != 0)
    if any(run["returncode"] != 0 for run in runs):
        pytest.fail(message, pytrace=False)
