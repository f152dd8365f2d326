"""`QuickCheck`: one multiple-choice question per section, with the reason behind every option.

Defined for the summary and placed at the end of sections 4, 6, 7 and 8 (one question each).
Every number an explanation quotes is computed here from `widgets.ops` (sizes, overlap profiles)
or `widgets.upsamplers` (parameter and multiply-add counts); the tests check the verdicts against
PyTorch. The whole question, with every option's explanation, is handed to the page, so choosing
an option works in the static book without a kernel.
"""

from __future__ import annotations

import traitlets

from . import ops
from ._base import Explorer

LETTERS = "ABCDEFGH"


def _interior(kernel_size: int, stride: int, input_size: int = 6) -> list:
    """One period of the interior overlap counts of a 1-D transposed conv (section 6)."""
    profile = ops.overlap_profile(input_size, kernel_size, stride)
    first, _ = ops.interior(input_size, kernel_size, stride)
    return [int(v) for v in profile[first: first + stride]]


def _arrange(options: list, correct_at: int) -> list:
    """The options with the right one moved to position ``correct_at`` (so it is not always A)."""
    right = [o for o in options if o["correct"]]
    assert len(right) == 1, "a question has exactly one right option"
    rest = [o for o in options if not o["correct"]]
    return rest[:correct_at] + right + rest[correct_at:]


def _counts(values) -> str:
    return ", ".join(str(v) for v in values)


def output_size_question() -> dict:
    """Section 4: the output size of ConvTranspose2d(K=4, S=2, P=1) on a 14x14 input."""
    i, k, s, p = 14, 4, 2, 1
    right = ops.conv_transpose_output_size(i, k, s, p)
    no_plus_one = right - 1
    no_crop = ops.conv_transpose_output_size(i, k, s, 0)
    forward = ops.conv_output_size(i, k, s, p)
    return {
        "section": 4,
        "prompt": f"A ConvTranspose2d with kernel {k}, stride {s} and padding {p} receives a "
                  f"{i}×{i} feature map. How large is its output?",
        "options": _arrange([
            {"text": f"{right}×{right}", "correct": True,
             "why": f"({i}−1)·{s} − 2·{p} + ({k}−1) + 1 = {right}. The input is spread out "
                    f"{s} cells apart, the kernel adds {k - 1} cells, and padding {p} crops {p} "
                    f"cell from each side."},
            {"text": f"{no_plus_one}×{no_plus_one}", "correct": False,
             "why": f"This drops the final +1 of the formula: ({i}−1)·{s} − 2·{p} + ({k}−1) counts "
                    f"the gaps between output cells, not the cells, and gives {no_plus_one}."},
            {"text": f"{no_crop}×{no_crop}", "correct": False,
             "why": f"This is the size with padding 0. In a transposed convolution padding "
                    f"removes cells, {p} from each side ({2 * p} in all), so {no_crop} − {2 * p} "
                    f"= {right}."},
            {"text": f"{forward}×{forward}", "correct": False,
             "why": f"This is what a Conv2d with the same parameters makes of {i}×{i}: "
                    f"⌊({i} + 2·{p} − {k})/{s}⌋ + 1 = {forward}. The transposed layer goes the "
                    f"other way and enlarges."},
        ], correct_at=2),
    }


def uniform_overlap_question() -> dict:
    """Section 6: which stride-2 kernel gives every interior output pixel the same tap count."""
    s = 2
    k3, k4, k5 = _interior(3, s), _interior(4, s), _interior(5, s)
    # Padding 1 removes one output cell from each end, so the interior starts one cell earlier.
    padded = ops.overlap_profile(6, 3, s, padding=1)
    first = ops.interior(6, 3, s)[0] - 1
    k3_padded = [int(v) for v in padded[first: first + s]]
    assert len(set(k4)) == 1 and len(set(k3)) > 1 and len(set(k5)) > 1 and len(set(k3_padded)) > 1
    return {
        "section": 6,
        "prompt": "With stride 2 and no dilation, which transposed convolution gives every output "
                  "pixel away from the border the same number of kernel taps?",
        "options": _arrange([
            {"text": "kernel 3", "correct": False,
             "why": f"Uneven: interior pixels receive {_counts(k3)} taps in turn, because 2 does "
                    f"not divide 3. This is the 1-2-4 pattern of section 6."},
            {"text": "kernel 4", "correct": True,
             "why": f"Every interior pixel receives {k4[0]} taps, because the stride 2 "
                    f"divides the kernel size 4. That is geometry only: whether a learned kernel "
                    f"gives a flat output depends on its phase sums, which training need not "
                    f"keep equal."},
            {"text": "kernel 5 (the original DCGAN layers)", "correct": False,
             "why": f"Uneven: interior pixels receive {_counts(k5)} taps in turn, because 2 does "
                    f"not divide 5."},
            {"text": "kernel 3 with padding 1", "correct": False,
             "why": f"Padding 1 crops one cell from each end of the output and leaves the interior "
                    f"alone: the counts still alternate {_counts(k3_padded)}."},
        ], correct_at=1),
    }


def upsampling_fix_question(c_in: int = 64, c_out: int = 64, size: int = 32) -> dict:
    """Section 7's question: the fix for a K=3, S=2 block that keeps the parameters."""
    from . import upsamplers as U  # needs PyTorch; imported only when this question is built

    params = {o: U.count_params(o, c_in, c_out) for o in U.OPTIONS}
    macs = {o: U.count_macs(o, c_in, c_out, size) for o in U.OPTIONS}
    base = params["convT K3 S2"]
    assert params["nearest + conv"] == base
    mmacs = {o: f"{macs[o] / 1e6:.1f}M" for o in macs}
    return {
        "section": 7,
        "prompt": f"A 2× upsampling block, ConvTranspose2d({c_in}, {c_out}, kernel_size=3, "
                  f"stride=2) with {base:,} parameters, leaves a checkerboard in its outputs. "
                  f"Which change removes the uneven overlap and changes the parameter count "
                  f"least?",
        "options": _arrange([
            {"text": "nearest-neighbour upsample ×2, then Conv2d(kernel_size=3, padding=1)",
             "correct": True,
             "why": f"The 3×3 convolution has the same {params['nearest + conv']:,} "
                    f"parameters, and after the resize every output pixel sees the same number "
                    f"of input pixels. The price is compute: {mmacs['nearest + conv']} "
                    f"multiply-adds on a {size}×{size} input instead of {mmacs['convT K3 S2']}."},
            {"text": "ConvTranspose2d with kernel_size=4, stride=2, padding=1", "correct": False,
             "why": f"The overlap becomes even, but the block grows to {params['convT K4 S2']:,} "
                    f"parameters (+{params['convT K4 S2'] - base:,}), and even overlap alone does "
                    f"not stop a learned kernel from making a periodic pattern."},
            {"text": f"Conv2d to {4 * c_out} channels, then PixelShuffle(2)", "correct": False,
             "why": f"{params['conv + shuffle']:,} parameters, four times as many; and unless the "
                    f"four sub-filters start equal (ICNR initialisation) they give a periodic "
                    f"pattern of their own."},
            {"text": "keep kernel 3, stride 2 and add padding=1, output_padding=1", "correct": False,
             "why": "The parameter count is unchanged, but so is the overlap: padding crops the "
                    "border and output_padding adds a row and a column; interior pixels still "
                    "receive 1 or 2 taps in turn."},
        ], correct_at=3),
    }


def backward_question() -> dict:
    """Section 8: the input gradient of conv_transpose2d."""
    return {
        "section": 8,
        "prompt": "y = F.conv_transpose2d(x, w, stride=2, padding=1) and grad_y is the "
                  "gradient of the loss with respect to y. Which expression gives the gradient "
                  "with respect to x?",
        "options": _arrange([
            {"text": "F.conv2d(grad_y, w, stride=2, padding=1)", "correct": True,
             "why": "The transposed convolution multiplies by Cᵀ, so its input gradient "
                    "multiplies by C, a convolution with the same weight tensor, stride and "
                    "padding. No flip, no transpose of the channel axes."},
            {"text": "F.conv_transpose2d(grad_y, w, stride=2, padding=1)", "correct": False,
             "why": "That applies Cᵀ a second time: it enlarges grad_y further instead of "
                    "bringing it back to the shape of x."},
            {"text": "F.conv2d(grad_y, w.flip(2, 3), stride=2, padding=1)", "correct": False,
             "why": "The flip belongs to the zero-insertion recipe of section 5, which reproduces "
                    "the forward pass. The adjoint of Cᵀ is C itself, with the kernel unflipped."},
            {"text": "F.conv2d(grad_y, w.transpose(0, 1), stride=2, padding=1)", "correct": False,
             "why": "w is stored as (C_in, C_out, K, K) for the transposed layer, which is "
                    "already the (out_channels, in_channels, K, K) that conv2d needs to map "
                    "grad_y's channels back to x's. Transposing breaks the shapes, or the values "
                    "when C_in = C_out."},
        ], correct_at=1),
    }


QUESTIONS = {
    "output-size": output_size_question,
    "uniform-overlap": uniform_overlap_question,
    "upsampling-fix": upsampling_fix_question,
    "backward": backward_question,
}


class QuickCheck(Explorer):
    """A multiple-choice question: choose an option to see whether it is right, and why.

    ``QuickCheck("upsampling-fix")`` builds one of ``QUESTIONS``. ``choose(i)`` (or a click on
    an option in the page) sets ``chosen``; ``reset()`` (or the reset button) clears it.
    """

    _script = "quick_check.js"
    _style = "quick_check.css"
    title = "a quick check, one multiple-choice question with the reason behind every option"

    controls = {"question": tuple(QUESTIONS)}
    default = {"question": "upsampling-fix"}
    precompute = False  # one question per explorer: only its own is built
    data = traitlets.Dict().tag(sync=True)  # prompt, options: [{text, correct, why}]
    chosen = traitlets.Int(-1).tag(sync=True)  # index of the chosen option, -1 before any

    def __init__(self, question: str = "upsampling-fix", **kwargs):
        if question not in QUESTIONS:
            raise ValueError(f"question must be one of {list(QUESTIONS)}, got {question!r}")
        super().__init__(question=question, data=self.compute(question), **kwargs)

    @staticmethod
    def compute(question: str) -> dict:
        """The question with every option and the reason behind it."""
        return QUESTIONS[question]()

    @traitlets.validate("chosen")
    def _check_chosen(self, proposal):
        value = proposal["value"]
        n = len(self.data.get("options", [])) if self.data else len(LETTERS)
        if not -1 <= value < n:
            raise ValueError(f"chosen must be -1 (nothing chosen) or an option index 0..{n - 1}, got {value}")
        return value

    def choose(self, option: int) -> str:
        """Choose option ``option`` (0-based) and return the feedback the page shows."""
        self.chosen = option
        return self.feedback()

    def reset(self) -> None:
        self.chosen = -1

    def feedback(self) -> str:
        if self.chosen < 0:
            return "Nothing chosen yet."
        option = self.data["options"][self.chosen]
        verdict = "Right." if option["correct"] else "Not quite."
        return f"{verdict} {option['why']}"

    def describe(self) -> str:
        lines = [f"Quick check (section {self.data['section']}): {self.data['prompt']}"]
        for letter, option in zip(LETTERS, self.data["options"]):
            lines.append(f"  {letter}. {option['text']}")
        lines.append(self.feedback() if self.chosen >= 0 else
                     "(Interactive where widgets render: choose an option to see whether it is right and why; "
                     "from code, .choose(i).)")
        return "\n".join(lines)
