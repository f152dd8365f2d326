"""StackedLayersExplorer in the built book (no kernel): the JS's layers against Python.

The page computes each layer itself (111,150 reachable stacks). Its computation (`tcCompute` on
the root element) runs for every reachable stack in one page evaluation, against an independent
NumPy twin that agrees with `widgets.stacked.stacked_state` (itself checked against PyTorch in
tests/test_stacked.py). Through the real sliders, every one-layer stack and a fixed sample of
deeper ones are drawn and read back: each drawn profile and period-2 share against stacked_state.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from widgets.stacked import INPUT_LENGTH, stacked_state

PAGE = "chapters/06_checkerboard.html"
NAME = "stacked"
PAIRS = list(itertools.product(range(1, 7), range(1, 4)))

READ = """(root) => [...root.querySelectorAll("[data-layer]")].map((fig) => ({
  profile: [...fig.querySelectorAll("[data-grid]")].map(
    (bar) => Number(bar.getAttribute("aria-label").split(": ")[1])),
  share: fig.dataset.share === "" ? null : Number(fig.dataset.share),
  note: fig.querySelector("[data-role=measure]").textContent,
}))"""


def stacks():
    yield from ([p] for p in PAIRS)
    rng = random.Random(6)
    for _ in range(30):
        yield [rng.choice(PAIRS) for _ in range(rng.choice([2, 3, 4]))]


def controls(stack):
    """The slider settings ({aria-label: value}) that build `stack`."""
    values = {"layers": len(stack)}
    for layer, (k, s) in enumerate(stack, 1):
        values[f"layer {layer} kernel size"] = k
        values[f"layer {layer} stride"] = s
    return values


def show(explorer, stack):
    """Set the controls for `stack` and return what the page draws, layer by layer."""
    return explorer.sweep([controls(stack)], READ)[0]


def test_layers_match_python(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    cases = list(stacks())
    assert len(cases) == 18 + 30
    shown = explorer.sweep([controls(stack) for stack in cases], READ)
    for stack, drawn in zip(cases, shown, strict=True):
        expected = stacked_state(stack)
        assert len(drawn) == len(expected), stack
        for got, want in zip(drawn, expected):
            assert got["profile"] == want["profile"], stack
            if want["share"] is None:
                assert got["share"] is None and "no interior" in got["note"], stack
            else:
                assert got["share"] == pytest.approx(want["share"], abs=1e-9), stack
                assert f"{want['share']:.3f}" in got["note"], stack
                assert f"{want['range'][0]}–{want['range'][1]}" in got["note"], stack


def test_default_hover_and_slider(open_explorer):
    explorer = open_explorer(PAGE, NAME)
    drawn = show(explorer, [(3, 2)] * 3)
    assert [round(layer["share"], 3) for layer in drawn] == [1.0, 0.828, 0.728]
    # Hover layer 2, position 8: it sums layer 1's positions 3 and 4 (8 - k = 2i for k = 0..2).
    explorer.hover("layer-2", 0, 8)
    assert [c for _, c in explorer.lit("layer-1")] == [3, 4]
    assert "Layer 2, position 8: 3 = 1 + 2" in explorer.status()
    # Fewer layers, by a real slider move: the unused layer controls are disabled, rows gone.
    explorer.set_control("layer 1 kernel size", 4)
    explorer.set_control("layers", 1)
    drawn = explorer.sweep([{}], READ)[0]
    assert len(drawn) == 1 and drawn[0]["share"] == 0
    assert explorer.locator("fieldset[disabled]").count() == 3


def test_screenshots(open_explorer, screenshot):
    for theme in ("light", "dark"):
        explorer = open_explorer(PAGE, NAME, dark=theme == "dark")
        show(explorer, [(3, 2)] * 3)
        explorer.hover("layer-3", 0, 20)
        assert explorer.lit("layer-2")
        screenshot(explorer, f"stacked-{theme}")


def fast_twin():
    """Every reachable stack's last layer, by an independent route: zero insertion followed by a
    full convolution with a box of ones (np.convolve), walked prefix by prefix. Returns
    [stack, [length, sum((p+1)*v), sum(v*v), share or -1, min, max]] per stack."""
    cases = []

    def walk(x, first, last, stack):
        for k, s in PAIRS:
            z = np.zeros((len(x) - 1) * s + 1)
            z[::s] = x
            y = np.convolve(z, np.ones(k))
            f, l = s * first + k - 1, s * last
            inner = y[f:l + 1]
            even = inner[: len(inner) // 2 * 2]
            if len(even) < 2:
                share = -1.0
            else:
                d = even - even.mean()
                total = float((d * d).sum())
                alt = float(d[::2].sum() - d[1::2].sum())
                share = 0.0 if total < 1e-18 else alt * alt / (len(even) * total)
            ints = y.round().astype(np.int64)
            lo, hi = (int(inner.min()), int(inner.max())) if len(inner) else (None, None)
            here = stack + [[k, s]]
            cases.append([here, [len(y), int(((np.arange(len(y)) + 1) * ints).sum()),
                                 int((ints * ints).sum()), share, lo, hi]])
            if len(here) < 4:
                walk(y, f, l, here)

    walk(np.ones(INPUT_LENGTH), 0, INPUT_LENGTH - 1, [])
    return cases


def test_every_reachable_stack(open_explorer):
    """The page's own computation for all 18 + 18^2 + 18^3 + 18^4 stacks against the twin."""
    cases = fast_twin()
    assert len(cases) == 18 + 18 ** 2 + 18 ** 3 + 18 ** 4
    for stack, expected in cases[::997]:  # the twin agrees with stacked_state (PyTorch-checked)
        layer = stacked_state([tuple(p) for p in stack])[-1]
        profile = np.array(layer["profile"])
        assert expected[:3] == [len(profile), int(((np.arange(len(profile)) + 1) * profile).sum()),
                                int((profile * profile).sum())]
        assert expected[3] == pytest.approx(-1 if layer["share"] is None else layer["share"], abs=1e-9)
        assert expected[4:] == (layer["range"] or [None, None])
    explorer = open_explorer(PAGE, NAME)
    result = explorer.evaluate_bulk(
        """(root, cases) => {
            const compute = root.tcCompute;
            const bad = [];
            for (const [stack, e] of cases) {
              const setting = { layers: stack.length };
              stack.forEach(([k, s], i) => {
                setting[`kernel_size_${i + 1}`] = k;
                setting[`stride_${i + 1}`] = s;
              });
              const layers = compute(setting);
              const last = layers[layers.length - 1];
              let a = 0, b = 0;
              last.profile.forEach((v, i) => { a += v * (i + 1); b += v * v; });
              const share = last.share === null ? -1 : last.share;
              const range = last.range || [null, null];
              const ok = last.profile.length === e[0] && a === e[1] && b === e[2] &&
                Math.abs(share - e[3]) < 1e-9 && range[0] === e[4] && range[1] === e[5];
              if (!ok && bad.length < 10) bad.push([stack, e, [last.profile.length, a, b, share, range]]);
            }
            return { count: cases.length, bad };
        }""",
        cases,
    )
    assert result["count"] == len(cases)
    assert result["bad"] == []
