"""`OverlapExplorer`: how many kernel taps of a transposed conv land on each output cell.

Defined for section 6, checkerboard artifacts. Controls: kernel size K 1-7, stride S 1-4,
dilation D 1-3. Every number comes from `ops.overlap_profile` / `ops.overlap_counts`.

The input size is not a control: for each (K, S, D) the explorer uses the smallest input (at
least 3) whose output has an interior of at least two periods (2S cells) where every tap of the
kernel can land, so the periodic pattern is always visible. The counts are separable (the 2-D
grid is the outer product of the 1-D profile with itself), so Python sends one 1-D profile per
state and the JavaScript forms the outer product; `tests/test_browser_overlap.py` checks the
drawn grid against `ops.overlap_counts` for every one of the 84 states.
"""

from __future__ import annotations

import math

import numpy as np

from . import ops
from ._base import Explorer, format_grid
from .static_figure import Grid, Text

CONTROLS = {"kernel_size": (1, 7), "stride": (1, 4), "dilation": (1, 3)}

# The formulas live in ops.geometry; notebooks written before that still import them from here.
input_size_for = ops.input_size_for
interior = ops.interior


def _ordinal(n: int) -> str:
    return {2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def verdict(kernel_size: int, stride: int, dilation: int) -> dict:
    """Uniform or uneven interior, and why.

    `ops.overlap_is_uniform` decides; this explains its answer with the rule of section 6: the
    interior is uniform iff S divides K and gcd(D, S) = 1. Tap k lands on residue k*D mod S; with
    g = gcd(D, S) > 1 the residues not divisible by g are never hit (every g-th row and column is
    empty), and with g = 1 the taps cycle through all S residues, so each residue gets K/S of them
    exactly when S divides K. The counts per residue are `ops.phase_sums` of a kernel of ones.
    `tests/test_overlap.py` checks that the rule and the decision agree for every state.
    """
    k, s, d = kernel_size, stride, dilation
    g = math.gcd(d, s)
    if ops.overlap_is_uniform(k, s, d):
        return {"uniform": True, "reason":
                (f"S={s} divides K={k} and gcd(D={d}, S={s}) = 1, so along each axis every "
                 f"interior cell gets K/S = {k // s} taps" if s > 1 else
                 f"S=1: every interior cell gets all K={k} taps along each axis")}
    if g > 1:
        return {"uniform": False, "reason":
                f"gcd(D={d}, S={s}) = {g}, so the taps only reach every {_ordinal(g)} row and column; "
                f"the others get 0 (holes)"}
    per = sorted({int(c) for c in ops.phase_sums(np.ones(k), s, d)})
    holes = " (some get none: K < S leaves holes)" if per[0] == 0 else ""
    return {"uniform": False, "reason":
            f"S={s} does not divide K={k}, so along each axis interior cells get "
            f"{' or '.join(map(str, per))} taps in turn{holes}"}


def overlap_state(kernel_size: int, stride: int, dilation: int) -> dict:
    """Everything the explorer shows for one setting of its controls (used by tests and repr)."""
    n = ops.input_size_for(kernel_size, stride, dilation)
    profile = ops.overlap_profile(n, kernel_size, stride, 0, dilation)
    first, last = ops.interior(n, kernel_size, stride, dilation)
    return {
        "input_size": n,
        "profile": profile.tolist(),
        "counts": ops.overlap_counts(n, kernel_size, stride, 0, dilation).tolist(),
        "interior": [first, last],
        **verdict(kernel_size, stride, dilation),
    }


def page_state(kernel_size: int, stride: int, dilation: int) -> dict:
    """What the page needs for one setting: the input size, the 1-D profile and the verdict."""
    state = overlap_state(kernel_size, stride, dilation)
    return {"n": state["input_size"], "profile": state["profile"],
            "uniform": state["uniform"], "reason": state["reason"]}


class OverlapExplorer(Explorer):
    """The overlap counts of a transposed conv: a 2-D grid, its 1-D profile and a verdict.

    Controls: kernel_size 1-7, stride 1-4, dilation 1-3 (padding only crops the edges, so it is
    left out). Default: K=3, S=2, D=1, the 1-2-4 pattern. Hover a cell of the input to light the
    output cells its kernel window covers, or a cell of the overlap grid to light the input cells
    that reach it.
    """

    _script = "overlap.js"
    _style = "overlap.css"
    title = "how many kernel taps of a transposed convolution land on each output cell"

    controls = CONTROLS
    default = {"kernel_size": 3, "stride": 2, "dilation": 1}
    compute = staticmethod(page_state)  # states: "K|S|D" -> {n, profile, uniform, reason}

    @property
    def state(self) -> dict:
        return overlap_state(self.kernel_size, self.stride, self.dilation)

    def static_parts(self) -> list:
        s = self.state
        n, word = s["input_size"], "uniform" if s["uniform"] else "uneven"
        return [Text((f"K={self.kernel_size}, S={self.stride}, D={self.dilation} on a {n}x{n} "
                      f"input of ones: {word} interior. {s['reason']}.",)),
                Grid("overlap counts: taps landing on each output cell", s["counts"])]

    def describe(self) -> str:
        s = self.state
        first, last = s["interior"]
        word = "uniform" if s["uniform"] else "uneven"
        return "\n".join([
            f"OverlapExplorer: K={self.kernel_size}, S={self.stride}, D={self.dilation}, "
            f"input {s['input_size']}x{s['input_size']} of ones",
            f"verdict: {word} interior: {s['reason']}",
            f"1-D profile (interior = positions {first}..{last}): {s['profile']}",
            "overlap counts (2-D, the outer product of the profile with itself):",
            format_grid(s["counts"]),
            "(Interactive where widgets render: move the sliders, hover a cell.)",
        ])
