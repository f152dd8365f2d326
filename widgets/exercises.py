"""Checkers for the four coding exercises (the coding-exercises notebook).

Each ``check_*`` function takes the reader's function, runs it on several cases and compares the
result with a reference (PyTorch or ``widgets.ops``). It never just says "wrong": a failure raises
``ExerciseFailed`` naming the failing case (shapes, parameters), what was expected, what came back
and, where the checker can tell, the likely cause (a missing crop, an off-by-one output size,
transposed axes, a flipped kernel). It accepts every correct solution: NumPy arrays or PyTorch
tensors, any floating dtype (compared within a tolerance scaled to the dtype), any summation order.

A function that still raises ``NotImplementedError`` (the starter cell, untouched) is not an
error: the checker prints that the exercise is not implemented yet and returns a result with
``passed=False``, so a student notebook runs top to bottom.

A grader needs every case, not just the first failure: ``case_report(check, ...)`` runs all the
cases of a ``check_*`` function and says which passed, with the message that the checker shows the
student. Both come from the same per-case code, so a grade and a student's feedback never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from . import ops

__all__ = [
    "ExerciseFailed",
    "CheckResult",
    "not_implemented",
    "check_scatter_add",
    "check_overlap_counts",
    "check_uniformity_rule",
    "check_decoders",
    "check_pixel_shuffle",
    "check_challenge",
    "CaseReport",
    "case_report",
    "digits_autoencoder_data",
    "DigitsAutoencoder",
    "train_autoencoder",
]


class ExerciseFailed(AssertionError):
    """A checker found a wrong answer; the message says which case, expected vs got, and why."""


@dataclass
class CheckResult:
    """What a checker found: ``passed``, the number of cases it ran, and a one-line summary."""

    exercise: str
    passed: bool
    cases: int
    message: str
    details: list = field(default_factory=list)

    def __repr__(self):
        return self.message

    def _repr_markdown_(self):
        return ("**Passed.** " if self.passed else "**Not done yet.** ") + self.message


def not_implemented(what):
    """The error a starter cell raises: ``NotImplementedError('not implemented yet: ...')``."""
    return NotImplementedError(f"not implemented yet: {what}. Replace the `raise` line with "
                               f"your code, then run the checker cell below.")


def _pending(exercise, error):
    message = (f"{exercise}: not implemented yet ({error}). Fill in the starter cell, run it, "
               f"then run this cell again.")

    return CheckResult(exercise, False, 0, message)


def _to_numpy(value, what):
    """A NumPy copy of an array or a tensor (detached, on the CPU)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except Exception as error:  # noqa: BLE001 - reported to the reader
        raise ExerciseFailed(f"{what}: your function returned {type(value).__name__}, which is "
                             f"not an array or a tensor ({error})") from None
    if array.dtype == object:
        raise ExerciseFailed(f"{what}: your function returned {type(value).__name__}, which is "
                             f"not an array or a tensor of numbers")
    return array


def _tolerance(*arrays):
    """Absolute tolerance for comparing float results: looser for float16/bfloat16/float32."""
    eps = max((np.finfo(a.dtype).eps if a.dtype.kind == "f" else np.finfo(np.float64).eps)
              for a in arrays)
    return max(1e-9, 200 * eps)


def _close(got, expected):
    if got.shape != expected.shape:
        return False
    scale = 1.0 + np.abs(expected).max(initial=0.0)
    return bool(np.all(np.abs(got.astype(np.float64) - expected) <= _tolerance(got) * scale))


def _short(array, limit=6):
    """A compact printout of an array for a message."""
    array = np.asarray(array, dtype=np.float64)
    if np.all(np.isfinite(array)) and np.array_equal(array, np.round(array)):
        array = array.astype(np.int64)  # counts read better without decimal points
    with np.printoptions(precision=3, suppress=True, threshold=limit * limit, linewidth=100):
        return np.array2string(array)


def _first_difference(got, expected):
    index = np.unravel_index(np.argmax(np.abs(got.astype(np.float64) - expected)), expected.shape)
    return (f"at index {tuple(int(i) for i in index)}: expected {expected[index]:.6g}, "
            f"got {float(got[index]):.6g}")


def _call(fn, exercise, *args, **kwargs):
    """Call the reader's function; NotImplementedError is passed up, anything else explained."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - reported to the reader
        raise ExerciseFailed(f"{exercise}: your function raised {type(error).__name__}: {error}"
                             ) from error


# ---------------------------------------------------------------------------------------------
# Cases: a student sees the first failing case, a grader sees every case
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseReport:
    """Every case of one checker: ``passed`` (one bool per case, in order) and ``message``.

    ``message`` is exactly what the checker shows the student: its summary when every case
    passes, the message of the first failing case, or the "not implemented yet" note.
    """

    exercise: str
    passed: tuple
    message: str

    @property
    def failed(self):
        """Numbers (counting from 1) of the cases that failed."""
        return [number for number, ok in enumerate(self.passed, 1) if not ok]


@dataclass
class _Cases:
    """A checker's cases: ``outcomes`` yields None for a passing case or its ``ExerciseFailed``,
    in order. It is lazy, so a reader's ``NotImplementedError`` comes out of the iteration."""

    exercise: str
    total: int
    outcomes: Iterable
    summary: str


def _each(cases, run_case):
    """The outcome of ``run_case(case, "case i/n")`` for every case, in order."""
    for number, case in enumerate(cases, 1):
        try:
            run_case(case, f"case {number}/{len(cases)}")
        except ExerciseFailed as failure:
            yield failure
        else:
            yield None


def _check(cases):
    """What a student sees: the first failing case raises; otherwise a passing CheckResult."""
    try:
        for failure in cases.outcomes:
            if failure is not None:
                raise failure
    except NotImplementedError as error:
        return _pending(cases.exercise, error)
    return CheckResult(cases.exercise, True, cases.total, cases.summary)


def _report(cases):
    """What a grader sees: every case, and the message of ``_check`` on the same cases."""
    passed, first = [], None
    try:
        for failure in cases.outcomes:
            passed.append(failure is None)
            first = first or failure
    except NotImplementedError as error:
        return CaseReport(cases.exercise, (False,) * cases.total,
                          _pending(cases.exercise, error).message)
    return CaseReport(cases.exercise, tuple(passed), str(first) if first else cases.summary)


def case_report(check, *args, **kwargs):
    """Run every case of ``check`` (one of the ``check_*`` functions) on the same arguments.

    ``case_report(check_scatter_add, scatter_add)`` returns a ``CaseReport``: which of the 12
    cases passed, and the message ``check_scatter_add(scatter_add)`` shows. Used for grading
    with partial credit, one share of the points per case.
    """
    name = getattr(check, "__name__", "")
    if name not in _CASES:
        raise ValueError(f"check must be one of {sorted(_CASES)}, got {check!r}")
    return _report(_CASES[name](*args, **kwargs))


# ---------------------------------------------------------------------------------------------
# Exercise 1: multi-channel scatter-add, checked against F.conv_transpose2d
# ---------------------------------------------------------------------------------------------

def _scatter_add_configs(count, seed):
    rng = np.random.default_rng(seed)
    cases = []
    # Two fixed cases first: one where a missing crop or a flipped kernel shows, one with
    # C_in != C_out (so transposed weight axes show).
    cases.append(dict(c_in=2, c_out=3, h=3, w=4, k=3, stride=2, padding=1))
    cases.append(dict(c_in=1, c_out=1, h=2, w=2, k=3, stride=1, padding=0))
    while len(cases) < count:
        k = int(rng.integers(1, 5))
        stride = int(rng.integers(1, 4))
        padding = int(rng.integers(0, k))
        case = dict(c_in=int(rng.integers(1, 4)), c_out=int(rng.integers(1, 4)),
                    h=int(rng.integers(1, 6)), w=int(rng.integers(1, 6)), k=k, stride=stride,
                    padding=padding)
        try:
            ops.conv_transpose_output_size((case["h"], case["w"]), k, stride, padding)
        except ValueError:  # an empty output: not a useful case
            continue
        cases.append(case)
    for case in cases:
        case["x"] = rng.standard_normal((case["c_in"], case["h"], case["w"]))
        case["weight"] = rng.standard_normal((case["c_in"], case["c_out"], case["k"], case["k"]))
    return cases


def _reference_conv_transpose(x, weight, stride, padding):
    import torch
    import torch.nn.functional as F

    out = F.conv_transpose2d(torch.from_numpy(x)[None], torch.from_numpy(weight),
                             stride=stride, padding=padding)
    return out[0].numpy()


def _diagnose_scatter_add(got, case, expected):
    """The likely cause of a wrong scatter-add result, or '' when none is recognised."""
    x, weight, s, p, k = case["x"], case["weight"], case["stride"], case["padding"], case["k"]
    c_out, h_out, w_out = expected.shape
    if got.ndim == 4 and got.shape[0] == 1 and got.shape[1:] == expected.shape:
        return "you kept a batch axis of size 1; return (C_out, H_out, W_out)"
    if got.ndim != 3:
        return "the result should have 3 axes (C_out, H_out, W_out)"
    if got.shape[1:] == expected.shape[1:] and got.shape[0] != c_out:
        if got.shape[0] == case["c_in"]:
            return ("the channel count is C_in: the weight's axes are (C_in, C_out, K, K) for a "
                    "transposed convolution (transposed axes: you read it as (C_out, C_in, K, K))")
        return "the output channel count is wrong (the weight's axes are (C_in, C_out, K, K))"
    full = _reference_conv_transpose(x, weight, s, 0)
    if p and got.shape == full.shape:
        return (f"missing crop: the size is the uncropped (I-1)*S+K; padding={p} crops {p} "
                f"row(s) and column(s) from each border of the full result")
    if got.shape[0] == c_out and got.shape[1:] != expected.shape[1:]:
        dh, dw = got.shape[1] - h_out, got.shape[2] - w_out
        if {abs(dh), abs(dw)} <= {0, 1}:
            return (f"off-by-one in the output size (height {dh:+d}, width {dw:+d}); the size "
                    f"is (I-1)*S - 2P + K")
        if got.shape[1:] == (case["h"] * s, case["w"] * s):
            return "the size is I*S; a transposed convolution gives (I-1)*S - 2P + K"
        return "the output size should be (I-1)*S - 2P + K along each axis"
    # Right shape, wrong values: try the usual slips.
    slips = [
        ("flipped kernel: a transposed convolution scatters the kernel as it is; only the "
         "zero-insertion view (section 5) flips it", weight[:, :, ::-1, ::-1]),
        ("the kernel's two spatial axes are transposed (weight[..., i, j] used as "
         "weight[..., j, i])", np.swapaxes(weight, 2, 3)),
    ]
    if case["c_in"] == case["c_out"]:
        slips.append(("transposed channel axes: weight[c_in, c_out] used as weight[c_out, c_in]",
                      np.swapaxes(weight, 0, 1)))
    for cause, w in slips:
        if np.allclose(got, _reference_conv_transpose(x, np.ascontiguousarray(w), s, p),
                       atol=1e-4):
            return cause
    if s > 1 and np.allclose(got.sum(), expected.sum(), rtol=1e-4, atol=1e-4):
        return ("every contribution arrived but some land in the wrong place: the top-left "
                "corner of input cell (i, j)'s kernel copy is (i*S - P, j*S - P)")
    if np.allclose(got, expected * 0, atol=0):
        return "the result is all zeros: did you add the kernel copies into it?"
    return ""


def check_scatter_add(fn, trials=12, seed=0):
    """Exercise 1: ``fn(x, weight, stride, padding)`` against ``F.conv_transpose2d``.

    ``x`` has shape (C_in, H, W), ``weight`` (C_in, C_out, K, K) (PyTorch's layout for a
    transposed convolution); the result must be (C_out, H_out, W_out). Runs ``trials`` (at least
    10) random configurations; returns a ``CheckResult`` or raises ``ExerciseFailed``.
    """
    return _check(_scatter_add_cases(fn, trials, seed))


def _scatter_add_cases(fn, trials=12, seed=0):
    name = "Exercise 1 (multi-channel scatter-add)"
    if trials < 10:
        raise ValueError(f"trials must be >= 10, got {trials}")
    configs = _scatter_add_configs(trials, seed)

    def run_case(case, label):
        x, weight = case["x"], case["weight"]
        expected = _reference_conv_transpose(x, weight, case["stride"], case["padding"])
        label = (f"{label}: x of shape {x.shape}, weight of shape {weight.shape}, "
                 f"stride={case['stride']}, padding={case['padding']}")
        got = _to_numpy(_call(fn, name, x.copy(), weight.copy(), case["stride"],
                              case["padding"]), name)
        if got.shape == expected.shape and _close(got, expected):
            return
        cause = _diagnose_scatter_add(got, case, expected)
        if got.shape != expected.shape:
            what = f"expected shape {expected.shape}, got {got.shape}"
        else:
            what = f"wrong values {_first_difference(got, expected)}"
        raise ExerciseFailed(f"{name}, {label}: {what}."
                             + (f" Likely cause: {cause}." if cause else ""))

    summary = (f"{name}: all {len(configs)} random configurations match F.conv_transpose2d "
               f"(channels 1-3, sizes 1-5, K 1-4, S 1-3, P 0..K-1).")
    return _Cases(name, len(configs), _each(configs, run_case), summary)


# ---------------------------------------------------------------------------------------------
# Exercise 2: overlap counts and the uniformity rule
# ---------------------------------------------------------------------------------------------

OVERLAP_GRID = [(k, s) for k in range(1, 6) for s in range(1, 5)]


def check_overlap_counts(fn, input_size=5):
    """Exercise 2a: ``fn(input_size, kernel_size, stride)`` -> the 2-D overlap-count map.

    The count at each output position of a transposed convolution with no padding: how many
    (input cell, kernel tap) pairs land there. Checked against ``ops.overlap_counts`` for every
    (K, S) with K in 1..5 and S in 1..4 on a square input, and once on a non-square input.
    """
    return _check(_overlap_counts_cases(fn, input_size))


def _overlap_counts_cases(fn, input_size=5):
    name = "Exercise 2 (overlap counts)"
    configs = [((input_size, input_size), k, s) for k, s in OVERLAP_GRID] + [((2, 4), 3, 2)]

    def run_case(config, label):
        size, k, s = config
        expected = ops.overlap_counts(size, k, s)
        arg = size if size[0] != size[1] else size[0]
        label = f"{label}: input_size={arg}, K={k}, S={s}"
        got = _to_numpy(_call(fn, name, arg, k, s), name)
        if got.shape == expected.shape and np.array_equal(got, expected):
            return
        cause = ""
        if got.shape != expected.shape:
            what = f"expected shape {expected.shape}, got {got.shape}"
            if got.shape == expected.shape[::-1]:
                cause = "transposed axes: rows are the height, columns the width"
            elif got.shape == (size[0] * s, size[1] * s):
                cause = "the size is I*S; with no padding it is (I-1)*S + K"
            elif max(abs(a - b) for a, b in zip(got.shape, expected.shape)) == 1:
                cause = "off-by-one in the output size; it is (I-1)*S + K"
        else:
            what = f"expected\n{_short(expected)}\ngot\n{_short(got)}"
            if np.array_equal(got, expected.T):
                cause = "transposed axes"
            elif got.max() <= 1:
                cause = ("you marked where a tap lands instead of counting: add 1 per "
                         "(input cell, tap) pair")
            elif np.array_equal(got, np.outer(*[ops.overlap_profile(n, k, 1) for n in size])
                                if got.shape == expected.shape else got * 0 - 1):
                cause = "the stride is ignored: input cell i's copy starts at i*S"
        raise ExerciseFailed(f"{name}, {label}: {what}." + (f" Likely cause: {cause}." if cause
                                                           else ""))

    summary = f"{name}: all {len(configs)} (input size, K, S) cases match ops.overlap_counts."
    return _Cases(name, len(configs), _each(configs, run_case), summary)


_RULE_SLIPS = [
    ("K divides S (the divisibility is the other way round)", lambda k, s: s % k == 0),
    ("K >= S (overlap alone is not enough; it must be even)", lambda k, s: k >= s),
    ("K > S", lambda k, s: k > s),
    ("K even", lambda k, s: k % 2 == 0),
    ("K = S only (multiples of S work too: K = 2S, 3S, ...)", lambda k, s: k == s),
]


def check_uniformity_rule(fn):
    """Exercise 2b: ``fn(kernel_size, stride)`` -> True when the interior overlap is uniform.

    Checked against ``ops.overlap_is_uniform`` for K in 1..8 and S in 1..5 (dilation 1).
    """
    return _check(_uniformity_rule_cases(fn))


RULE_GRID = [(k, s) for k in range(1, 9) for s in range(1, 6)]


def _uniformity_rule_cases(fn):
    name = "Exercise 2 (uniformity rule)"
    summary = f"{name}: right for all {len(RULE_GRID)} (K, S) pairs, K 1-8, S 1-5."
    return _Cases(name, len(RULE_GRID), _rule_outcomes(fn, name), summary)


def _rule_outcomes(fn, name):
    """One outcome per (K, S) pair. The rule is judged as a whole, so the first failing pair
    carries the message the student sees: the first unusable answer, else the summary of
    every wrong pair with the slip it looks like."""
    answers, unusable = {}, {}
    for k, s in RULE_GRID:
        try:
            got = _call(fn, name, k, s)
            if hasattr(got, "item"):
                got = got.item()
            if not isinstance(got, (bool, np.bool_)) and got not in (0, 1):
                raise ExerciseFailed(f"{name}, K={k}, S={s}: expected True or False, got {got!r}")
        except ExerciseFailed as failure:
            unusable[(k, s)] = failure
        else:
            answers[(k, s)] = bool(got)
    wrong = [(k, s) for k, s in RULE_GRID
             if (k, s) in answers and answers[(k, s)] != ops.overlap_is_uniform(k, s)]
    if unusable:
        headline = next(iter(unusable.values()))
    elif wrong:
        k, s = wrong[0]
        expected = ops.overlap_is_uniform(k, s)
        profile = ops.overlap_profile(3 * s + k, k, s)
        cause = next((text for text, rule in _RULE_SLIPS
                      if all(answers[c] == rule(*c) for c in RULE_GRID)), "")
        headline = ExerciseFailed(
            f"{name}: wrong for {len(wrong)} of {len(RULE_GRID)} (K, S) pairs; first K={k}, "
            f"S={s}: expected {expected}, got {answers[(k, s)]} (the 1-D overlap profile there "
            f"is {profile.tolist()})." + (f" Your rule looks like '{cause}'." if cause else ""))
    for pair in RULE_GRID:
        if pair not in unusable and pair not in wrong:
            yield None
        elif headline is not None:
            yield headline
            headline = None
        else:
            yield unusable.get(pair) or ExerciseFailed(
                f"{name}, K={pair[0]}, S={pair[1]}: expected {ops.overlap_is_uniform(*pair)}, "
                f"got {answers[pair]}")


# ---------------------------------------------------------------------------------------------
# Exercise 3: two decoders for the digits autoencoder
# ---------------------------------------------------------------------------------------------

LATENT_SHAPE = (32, 2, 2)  # what the encoder of ``DigitsAutoencoder`` produces from an 8x8 digit


def digits_autoencoder_data(limit=None):
    """scikit-learn's 8x8 handwritten digits as a float32 tensor (N, 1, 8, 8) scaled to [0, 1].

    They ship with scikit-learn (no download). ``limit`` keeps the first ``limit`` images.
    """
    import torch
    from sklearn.datasets import load_digits

    images = load_digits().images.astype(np.float32) / 16.0
    if limit is not None:
        images = images[:limit]
    return torch.from_numpy(images[:, None])


def _encoder():
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),   # 8x8 -> 4x4
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),  # 4x4 -> 2x2
    )


def DigitsAutoencoder(decoder):  # noqa: N802 - reads as a class at the call site
    """The fixed encoder (8x8 -> 32 x 2x2) followed by ``decoder`` (32 x 2x2 -> 1 x 8x8)."""
    from torch import nn

    return nn.Sequential(_encoder(), decoder)


def check_decoders(build_decoder):
    """Exercise 3: ``build_decoder(kind)`` for kind "transposed" and "upsample".

    Both must map a (N, 32, 2, 2) code to (N, 1, 8, 8). "transposed" must upsample with
    ``nn.ConvTranspose2d`` layers of kernel 3 and stride 2; "upsample" must use no transposed
    convolution (``nn.Upsample`` or ``F.interpolate`` followed by ``nn.Conv2d``).
    """
    return _check(_decoders_cases(build_decoder))


def _decoders_cases(build_decoder):
    import torch
    from torch import nn

    name = "Exercise 3 (two decoders)"

    def run_case(kind, label):
        decoder = _call(build_decoder, name, kind)
        if not isinstance(decoder, nn.Module):
            raise ExerciseFailed(f"{name}, kind={kind!r}: expected an nn.Module, got "
                                 f"{type(decoder).__name__}")
        code = torch.zeros(2, *LATENT_SHAPE)
        try:
            with torch.no_grad():
                out = decoder(code)
        except Exception as error:  # noqa: BLE001 - reported to the reader
            raise ExerciseFailed(f"{name}, kind={kind!r}: the decoder fails on a code of shape "
                                 f"{tuple(code.shape)}: {type(error).__name__}: {error}") from error
        expected = (2, 1, 8, 8)
        transposed = [m for m in decoder.modules() if isinstance(m, nn.ConvTranspose2d)]
        if tuple(out.shape) != expected:
            cause = ""
            size = LATENT_SHAPE[1]
            for number, m in enumerate(transposed, 1):
                (k, _), (st, _), (p, _), (op, _) = (m.kernel_size, m.stride, m.padding,
                                                    m.output_padding)
                new = (size - 1) * st - 2 * p + k + op
                if new != 2 * size:
                    cause = ("an off-by-one output size: " if abs(new - 2 * size) == 1 else "")
                    cause += (f"transposed layer {number} ({m}) turns a {size}x{size} map into "
                              f"{new}x{new}, not {2 * size}x{2 * size}: the size is "
                              f"(I-1)*S - 2P + K + output_padding, so padding=1 with "
                              f"output_padding=1 doubles exactly"
                              + (", or crop the extra rows and columns" if new > 2 * size
                                 else ""))
                    break
                size = new
            if cause:
                pass
            elif tuple(out.shape[2:]) in ((9, 9), (7, 7), (10, 10), (6, 6)):
                cause = ("an off-by-one output size: with K=3, S=2 each layer gives "
                         "(I-1)*2 - 2P + 3 + output_padding; P=1 with output_padding=1 doubles "
                         "exactly, or crop the extra row and column")
            elif out.shape[1] != 1:
                cause = "the last layer must have 1 output channel"
            raise ExerciseFailed(f"{name}, kind={kind!r}: a code of shape {tuple(code.shape)} "
                                 f"should decode to {expected}, got {tuple(out.shape)}."
                                 + (f" Likely cause: {cause}." if cause else ""))
        if kind == "transposed":
            if not transposed:
                raise ExerciseFailed(f"{name}, kind='transposed': the decoder has no "
                                     f"nn.ConvTranspose2d; this one must upsample with it")
            bad = [m for m in transposed if m.kernel_size != (3, 3) or m.stride != (2, 2)]
            if bad:
                m = bad[0]
                raise ExerciseFailed(f"{name}, kind='transposed': expected kernel_size=3, "
                                     f"stride=2, got {m}")
        elif transposed:
            raise ExerciseFailed(f"{name}, kind='upsample': found {transposed[0]}; this decoder "
                                 f"must resize (nn.Upsample) and then convolve (nn.Conv2d)")

    summary = f"{name}: both decoders map {(2, *LATENT_SHAPE)} to (2, 1, 8, 8) as asked."
    kinds = ("transposed", "upsample")
    return _Cases(name, len(kinds), _each(kinds, run_case), summary)


def train_autoencoder(decoder, images, steps=300, batch_size=64, lr=0.003, seed=0):
    """Train ``DigitsAutoencoder(decoder)`` on ``images`` with Adam and MSE; return the model.

    Deterministic for a fixed seed on the CPU. Fast: 300 steps of 64 8x8 images take about a
    second on one CPU core.
    """
    import torch

    torch.manual_seed(seed)
    model = DigitsAutoencoder(decoder)
    # Re-initialise every layer from the seed so that the two runs start alike.
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        batch = images[torch.randint(0, len(images), (batch_size,), generator=generator)]
        loss = torch.nn.functional.mse_loss(model(batch), batch)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model.eval()


# ---------------------------------------------------------------------------------------------
# Exercise 4: PixelShuffle from reshape and permute
# ---------------------------------------------------------------------------------------------

def check_pixel_shuffle(fn, seed=0):
    """Exercise 4: ``fn(x, r)`` against ``F.pixel_shuffle`` on tensors (N, C*r*r, H, W).

    Runs r in 1..3 with rectangular H != W and several channel counts; accepts a tensor or an
    array of the same values (the dtype is free).
    """
    return _check(_pixel_shuffle_cases(fn, seed))


def _pixel_shuffle_cases(fn, seed=0):
    import torch
    import torch.nn.functional as F

    name = "Exercise 4 (pixel shuffle)"
    generator = torch.Generator().manual_seed(seed)
    configs = [(1, 1, 2, 2, 3), (2, 2, 2, 3, 4), (1, 3, 2, 2, 5), (2, 1, 3, 2, 3),
               (1, 2, 1, 3, 2), (1, 2, 3, 1, 1)]

    def run_case(config, label):
        n, c, r, h, w = config
        # Drawn case by case, in order, so every case sees the same input in both views.
        x = torch.randn(n, c * r * r, h, w, generator=generator)
        expected = F.pixel_shuffle(x, r).numpy()
        label = f"{label}: x of shape {tuple(x.shape)}, r={r} (C={c} output channels)"
        got = _to_numpy(_call(fn, name, x.clone(), r), name)
        if got.shape == expected.shape and _close(got, expected):
            return
        cause = ""
        if got.shape != expected.shape:
            what = f"expected shape {expected.shape}, got {got.shape}"
            if got.shape == (n, c, w * r, h * r):
                cause = "transposed axes: height and width swapped"
            elif got.shape == (n, c * r * r, h, w):
                cause = "the input came back unchanged in shape: reshape to (N, C, r, r, H, W)"
        else:
            what = f"wrong values {_first_difference(got, expected)}"
            xn = x.numpy()
            out_shape = (n, c, h * r, w * r)
            candidates = {
                "transposed axes: the two sub-pixel axes are swapped (permute to "
                "(N, C, H, r_i, W, r_j): the first r is the row offset, the second the column)":
                    xn.reshape(n, c, r, r, h, w).transpose(0, 1, 4, 3, 5, 2).reshape(out_shape),
                "the channel grouping is wrong: channel c*r*r + i*r + j feeds output channel c "
                "(reshape to (N, C, r, r, H, W), not (N, r, r, C, H, W))":
                    xn.reshape(n, r, r, c, h, w).transpose(0, 3, 4, 1, 5, 2).reshape(out_shape),
                "the sub-pixel axes sit on the wrong side of H and W (the result tiles r x r "
                "whole images instead of interleaving pixels: order (N, C, H, r, W, r))":
                    xn.reshape(n, c, r, r, h, w).transpose(0, 1, 2, 4, 3, 5).reshape(out_shape),
            }
            for text, candidate in candidates.items():
                if np.allclose(got, candidate, atol=1e-5) and not np.allclose(candidate, expected):
                    cause = text
                    break
        raise ExerciseFailed(f"{name}, {label}: {what}." + (f" Likely cause: {cause}." if cause
                                                           else ""))
    summary = f"{name}: all {len(configs)} cases match F.pixel_shuffle (r = 1, 2, 3; H != W)."
    return _Cases(name, len(configs), _each(configs, run_case), summary)


# ---------------------------------------------------------------------------------------------
# The challenge: the checkerboard energy of the four arms' samples, over several seeds
# ---------------------------------------------------------------------------------------------

def check_challenge(generators, means, strongest, weakest):
    """The challenge's numbers: ``means``, ``strongest`` and ``weakest`` for ``generators``.

    ``generators`` maps each arm of ``challenge.ARMS`` to its trained generators (one per
    seed). ``means`` must map each arm to the mean, over its generators, of
    ``challenge.sample_energy(challenge.samples(generator, count=16, seed=1))``;
    ``strongest`` and ``weakest`` must name the arms with the highest and the lowest mean.
    Every number is measured again here from the generators.
    """
    return _check(_challenge_cases(generators, means, strongest, weakest))


def _challenge_cases(generators, means, strongest, weakest):
    name = "Challenge (checkerboard energy per arm)"
    summary = (f"{name}: every arm's mean matches a new measurement; {strongest!r} scores "
               f"highest and {weakest!r} lowest.")
    return _Cases(name, 3, _challenge_outcomes(name, generators, means, strongest, weakest),
                  summary)


def _measured_means(generators):
    from . import challenge

    return {arm: float(np.mean([challenge.sample_energy(challenge.samples(g, count=16, seed=1))
                                for g in generators[arm]]))
            for arm in challenge.ARMS}


def _challenge_outcomes(name, generators, means, strongest, weakest):
    from . import challenge

    arms = list(challenge.ARMS)
    if means is Ellipsis and strongest is Ellipsis and weakest is Ellipsis:
        raise not_implemented("means, strongest and weakest are still `...`")
    if (not isinstance(generators, dict) or sorted(generators) != sorted(arms)
            or not all(generators[arm] for arm in arms)):
        failure = ExerciseFailed(f"{name}: `generators` should map each of {arms} to a list "
                                 f"of trained generators; run the training cell first")
        yield from (failure, failure, failure)
        return
    measured = _measured_means(generators)
    if not isinstance(means, dict) or sorted(means) != sorted(arms):
        yield ExerciseFailed(f"{name}: `means` should be a dict with the keys {arms}, got "
                             f"{means!r}")
    else:
        off = [arm for arm in arms if not _same_number(means[arm], measured[arm])]
        yield (ExerciseFailed(
            f"{name}: means[{off[0]!r}] is {means[off[0]]!r}, but the mean over its "
            f"{len(generators[off[0]])} generators of challenge.sample_energy(challenge.samples("
            f"g, count=16, seed=1)) is {measured[off[0]]:.6g}") if off else None)
    for answer, pick, word in ((strongest, max, "highest"), (weakest, min, "lowest")):
        right = pick(measured, key=measured.get)
        yield (None if answer == right else ExerciseFailed(
            f"{name}: the {word} mean is {right!r}'s ({measured[right]:.4f}), not "
            f"{answer!r}'s" + (f" ({measured[answer]:.4f})" if answer in measured else "")))


def _same_number(value, expected):
    try:
        return bool(np.isclose(float(value), expected, rtol=1e-6, atol=1e-9))
    except (TypeError, ValueError):
        return False


_CASES = {
    "check_scatter_add": _scatter_add_cases,
    "check_overlap_counts": _overlap_counts_cases,
    "check_uniformity_rule": _uniformity_rule_cases,
    "check_decoders": _decoders_cases,
    "check_pixel_shuffle": _pixel_shuffle_cases,
    "check_challenge": _challenge_cases,
}
