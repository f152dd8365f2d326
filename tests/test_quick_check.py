"""QuickCheck: every question has one right option, and every verdict and number agrees with PyTorch."""

from __future__ import annotations

import json
import pathlib
import re

import pytest

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from widgets import QuickCheck  # noqa: E402
from widgets import upsamplers as U  # noqa: E402
from widgets.quick_check import QUESTIONS  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Where each question is placed: the notebook of the section it tests.
PLACED = {
    "output-size": "04_pytorch_api",
    "uniform-overlap": "06_checkerboard",
    "upsampling-fix": "07_fixes",
    "backward": "08_backward_pass",
}


def options(name):
    return QuickCheck(name).data["options"]


def by_text(name):
    return {o["text"]: o for o in options(name)}


@pytest.mark.parametrize("name", QUESTIONS)
def test_question_shape(name):
    check = QuickCheck(name)
    opts = check.data["options"]
    assert len(opts) >= 3
    assert sum(o["correct"] for o in opts) == 1
    assert len({o["text"] for o in opts}) == len(opts)
    for o in opts:
        assert len(o["why"]) > 40, o  # an explanation, not a bare verdict
    assert check.data["prompt"].endswith("?")


def test_right_option_is_not_always_first():
    positions = {[o["correct"] for o in options(n)].index(True) for n in QUESTIONS}
    assert len(positions) > 1


def test_choose_reset_and_validation():
    check = QuickCheck("output-size")
    assert check.chosen == -1 and "Nothing chosen" in check.feedback()
    right = [o["correct"] for o in check.data["options"]].index(True)
    assert check.choose(right).startswith("Right.")
    wrong = (right + 1) % len(check.data["options"])
    text = check.choose(wrong)
    assert text.startswith("Not quite.") and check.data["options"][wrong]["why"] in text
    assert check.data["options"][wrong]["why"] in repr(check)
    check.reset()
    assert check.chosen == -1
    with pytest.raises(ValueError, match="chosen must be"):
        check.chosen = 4
    with pytest.raises(ValueError, match="chosen must be"):
        check.choose(-2)
    with pytest.raises(ValueError, match="question must be one of"):
        QuickCheck("nonsense")


def test_output_size_against_pytorch():
    y = nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1)(torch.zeros(1, 1, 14, 14))
    forward = nn.Conv2d(1, 1, 4, stride=2, padding=1)(torch.zeros(1, 1, 14, 14))
    no_crop = nn.ConvTranspose2d(1, 1, 4, stride=2, padding=0)(torch.zeros(1, 1, 14, 14))
    opts = by_text("output-size")
    assert opts[f"{y.shape[-1]}×{y.shape[-1]}"]["correct"]
    assert not opts[f"{forward.shape[-1]}×{forward.shape[-1]}"]["correct"]
    assert not opts[f"{no_crop.shape[-1]}×{no_crop.shape[-1]}"]["correct"]
    assert f"= {y.shape[-1]}" in opts[f"{y.shape[-1]}×{y.shape[-1]}"]["why"]


def torch_interior(kernel, stride, padding=0, size=8):
    """Tap counts per output position, from PyTorch: ones input, ones kernel; the interior only."""
    out = F.conv_transpose1d(torch.ones(1, 1, size), torch.ones(1, 1, kernel), stride=stride, padding=padding)
    counts = out[0, 0].round().int().tolist()
    margin = kernel - 1 - padding
    return counts[margin: len(counts) - margin]


def test_uniform_overlap_against_pytorch():
    opts = by_text("uniform-overlap")
    cases = {"kernel 3": (3, 0), "kernel 4": (4, 0), "kernel 5 (the original DCGAN layers)": (5, 0),
             "kernel 3 with padding 1": (3, 1)}
    assert set(cases) == set(opts)
    for text, (k, p) in cases.items():
        interior = torch_interior(k, 2, p)
        assert opts[text]["correct"] == (len(set(interior)) == 1), text
        # The explanation quotes the counts PyTorch gives.
        quoted = re.findall(r"receives? (\d+) taps|alternate (\d+, \d+)|in turn", opts[text]["why"])
        assert quoted, text
    assert "2, 1" in opts["kernel 3"]["why"] or "1, 2" in opts["kernel 3"]["why"]
    assert "receives 2 taps" in opts["kernel 4"]["why"]


def test_upsampling_fix_against_modules():
    opts = by_text("upsampling-fix")
    params = {o: sum(p.numel() for p in U.build(o, 64, 64).parameters()) for o in U.OPTIONS}
    base = params["convT K3 S2"]
    right = [o for o in opts.values() if o["correct"]][0]
    assert right["text"].startswith("nearest-neighbour")
    assert params["nearest + conv"] == base and f"{base:,}" in right["why"]
    k4 = opts["ConvTranspose2d with kernel_size=4, stride=2, padding=1"]
    assert f"{params['convT K4 S2']:,}" in k4["why"] and f"+{params['convT K4 S2'] - base:,}" in k4["why"]
    shuffle = opts["Conv2d to 256 channels, then PixelShuffle(2)"]
    assert f"{params['conv + shuffle']:,}" in shuffle["why"]
    # The "padding" option: same parameters, interior still uneven.
    padded = nn.ConvTranspose2d(64, 64, 3, stride=2, padding=1, output_padding=1)
    assert sum(p.numel() for p in padded.parameters()) == base
    assert len(set(torch_interior(3, 2, 1))) > 1
    # The resize-conv's multiply-adds quoted in the right answer come from forward hooks too.
    hooked = U.hooked_macs(U.build("nearest + conv", 64, 64), (1, 64, 32, 32))
    assert f"{hooked / 1e6:.1f}M" in right["why"]


def test_backward_against_autograd():
    # Each option's text is run as written, against autograd's gradient.
    torch.manual_seed(0)
    opts = by_text("backward")
    for c_in, c_out in [(3, 5), (4, 4)]:
        x = torch.randn(1, c_in, 6, 6, dtype=torch.float64, requires_grad=True)
        w = torch.randn(c_in, c_out, 3, 3, dtype=torch.float64)
        y = F.conv_transpose2d(x, w, stride=2, padding=1)
        grad_y = torch.randn_like(y)
        (grad,) = torch.autograd.grad(y, x, grad_y)
        for text, option in opts.items():
            try:
                value = eval(text, {"F": F, "w": w, "grad_y": grad_y})
                ok = value.shape == grad.shape and torch.allclose(value, grad)
            except RuntimeError:
                ok = False
            assert ok == option["correct"], (text, c_in, c_out)
    assert sum(option["correct"] for option in opts.values()) == 1


@pytest.mark.parametrize("name", QUESTIONS)
def test_each_question_is_placed_in_its_section(name):
    notebook = json.loads((ROOT / "chapters" / f"{PLACED[name]}.ipynb").read_text())
    sources = ["".join(c["source"]) for c in notebook["cells"]]
    assert any(f'QuickCheck("{name}")' in s for s in sources)
    assert QuickCheck(name).data["section"] == int(PLACED[name][:2])
    # Placed after the section's teaching, before its summary (where it has one).
    at = next(i for i, s in enumerate(sources) if f'QuickCheck("{name}")' in s)
    summaries = [i for i, s in enumerate(sources) if s.startswith("## Summary")]
    assert all(at < i for i in summaries)
