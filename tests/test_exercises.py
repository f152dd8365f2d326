"""The checkers of the coding exercises (widgets.exercises): they accept every correct solution
and catch each typical mistake with a message that names the case and the likely cause."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from widgets import exercises, ops
from widgets.exercises import ExerciseFailed


# ----- Exercise 1: scatter-add --------------------------------------------------------------

def scatter_loops(x, weight, stride, padding, dtype=np.float64, flip=False, crop=True,
                  swap_channels=False, extra=0):
    x, weight = np.asarray(x, dtype=dtype), np.asarray(weight, dtype=dtype)
    if swap_channels:
        weight = np.swapaxes(weight, 0, 1)
    if flip:
        weight = weight[:, :, ::-1, ::-1]
    c_in, h, w = x.shape
    k = weight.shape[2]
    size = ((h - 1) * stride + k + extra, (w - 1) * stride + k + extra)
    canvas = np.zeros((weight.shape[1], *size), dtype=dtype)
    for c in range(c_in):
        for i in range(h):
            for j in range(w):
                window = canvas[:, i * stride:i * stride + k, j * stride:j * stride + k]
                window += x[c, i, j] * weight[c]
    if not crop or padding == 0:
        return canvas
    return canvas[:, padding:-padding, padding:-padding]


def scatter_einsum_torch(x, weight, stride, padding):
    """A different summation order, returning a float32 tensor."""
    x = torch.as_tensor(x, dtype=torch.float32)
    weight = torch.as_tensor(weight, dtype=torch.float32)
    c_in, h, w = x.shape
    k = weight.shape[2]
    canvas = torch.zeros(weight.shape[1], (h - 1) * stride + k, (w - 1) * stride + k)
    for i in reversed(range(h)):
        for j in reversed(range(w)):
            canvas[:, i * stride:i * stride + k, j * stride:j * stride + k] += torch.einsum(
                "c,cokl->okl", x[:, i, j], weight)
    return canvas[:, padding:canvas.shape[1] - padding, padding:canvas.shape[2] - padding]


def via_pytorch(x, weight, stride, padding):
    return F.conv_transpose2d(torch.as_tensor(x)[None], torch.as_tensor(weight), stride=stride,
                              padding=padding)[0]


@pytest.mark.parametrize("fn", [
    scatter_loops,
    lambda x, w, s, p: scatter_loops(x, w, s, p, dtype=np.float32),
    scatter_einsum_torch,
    via_pytorch,
    lambda x, w, s, p: ops.conv_transpose2d(x, w, stride=s, padding=p),
])
def test_scatter_add_accepts_correct_variants(fn):
    result = exercises.check_scatter_add(fn)
    assert result.passed and result.cases >= 10


@pytest.mark.parametrize("mistake, words", [
    (lambda x, w, s, p: scatter_loops(x, w, s, p, crop=False), ["missing crop", "case 1/12",
                                                                 "expected shape (3, 5, 7)",
                                                                 "got (3, 7, 9)"]),
    (lambda x, w, s, p: scatter_loops(x, w, s, p, flip=True), ["flipped kernel", "wrong values",
                                                               "expected", "got"]),
    (lambda x, w, s, p: scatter_loops(x, w, s, p, extra=1), ["off-by-one",
                                                             "stride=2, padding=1"]),
    (lambda x, w, s, p: scatter_loops(np.asarray(x), np.swapaxes(w, 2, 3), s, p),
     ["spatial axes are transposed"]),
    (lambda x, w, s, p: np.zeros((w.shape[0],) + via_pytorch(x, w, s, p).shape[1:]),
     ["channel count is C_in", "transposed axes", "(C_in, C_out, K, K)"]),
    (lambda x, w, s, p: np.zeros(via_pytorch(x, w, s, p).shape), ["all zeros"]),
])
def test_scatter_add_catches_mistakes(mistake, words):
    with pytest.raises(ExerciseFailed) as info:
        exercises.check_scatter_add(mistake)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert "x of shape" in message and "weight of shape" in message


def test_scatter_add_transposed_channel_axes_on_square_case():
    # With C_in == C_out the shape is right and only the values show the slip.
    def swapped(x, w, s, p):
        if w.shape[0] == w.shape[1]:
            return scatter_loops(x, w, s, p, swap_channels=True)
        return scatter_loops(x, w, s, p)
    with pytest.raises(ExerciseFailed, match="transposed channel axes"):
        exercises.check_scatter_add(swapped, trials=20)


def test_scatter_add_at_least_ten_cases_and_pending():
    with pytest.raises(ValueError):
        exercises.check_scatter_add(scatter_loops, trials=5)

    def starter(x, w, s, p):
        raise exercises.not_implemented("scatter_add")
    result = exercises.check_scatter_add(starter)
    assert not result.passed and "not implemented yet" in result.message


def test_scatter_add_reports_an_exception_of_the_reader():
    with pytest.raises(ExerciseFailed, match="raised IndexError"):
        exercises.check_scatter_add(lambda x, w, s, p: x[10, 10, 10])


# ----- Exercise 2: overlap counts and the rule -----------------------------------------------

def count_loops(size, k, s):
    h, w = (size, size) if np.ndim(size) == 0 else size
    out = np.zeros(((h - 1) * s + k, (w - 1) * s + k), dtype=int)
    for i in range(h):
        for j in range(w):
            out[i * s:i * s + k, j * s:j * s + k] += 1
    return out


def count_via_torch(size, k, s):
    h, w = (size, size) if np.ndim(size) == 0 else size
    return F.conv_transpose2d(torch.ones(1, 1, h, w), torch.ones(1, 1, k, k), stride=s)[0, 0]


@pytest.mark.parametrize("fn", [count_loops, count_via_torch,
                                lambda n, k, s: count_loops(n, k, s).astype(np.float32)])
def test_overlap_counts_accepts(fn):
    assert exercises.check_overlap_counts(fn).passed


@pytest.mark.parametrize("mistake, words", [
    (lambda n, k, s: count_loops(n, k, s).T if np.ndim(n) else count_loops(n, k, s),
     ["transposed axes", "input_size=(2, 4)"]),
    (lambda n, k, s: (count_loops(n, k, s) > 0).astype(int), ["instead of counting"]),
    (lambda n, k, s: count_loops(n, k, s)[:-1, :-1], ["off-by-one"]),
    (lambda n, k, s: np.ones((5 * s, 5 * s)) if np.ndim(n) == 0 else count_loops(n, k, s),
     ["I*S"]),
])
def test_overlap_counts_catches(mistake, words):
    with pytest.raises(ExerciseFailed) as info:
        exercises.check_overlap_counts(mistake)
    for word in words:
        assert word in str(info.value), str(info.value)
    assert "K=" in str(info.value) and "S=" in str(info.value)


@pytest.mark.parametrize("fn", [lambda k, s: k % s == 0, lambda k, s: np.bool_(k % s == 0),
                                lambda k, s: torch.tensor(k % s == 0),
                                lambda k, s: ops.overlap_is_uniform(k, s)])
def test_rule_accepts(fn):
    assert exercises.check_uniformity_rule(fn).passed


@pytest.mark.parametrize("mistake, words", [
    (lambda k, s: s % k == 0, ["K divides S"]),
    (lambda k, s: k >= s, ["K >= S"]),
    (lambda k, s: k % 2 == 0, ["K even"]),
    (lambda k, s: k == s, ["K = S only"]),
])
def test_rule_catches(mistake, words):
    with pytest.raises(ExerciseFailed) as info:
        exercises.check_uniformity_rule(mistake)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert "expected" in message and "got" in message and "overlap profile" in message


def test_rule_rejects_non_booleans():
    with pytest.raises(ExerciseFailed, match="expected True or False"):
        exercises.check_uniformity_rule(lambda k, s: "yes")


# ----- Exercise 3: decoders ------------------------------------------------------------------

def good_decoder(kind):
    if kind == "transposed":
        return nn.Sequential(nn.ConvTranspose2d(32, 16, 3, 2, 1, 1), nn.ReLU(),
                             nn.ConvTranspose2d(16, 1, 3, 2, 1, 1))
    return nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(32, 16, 3, padding=1), nn.ReLU(),
                         nn.Upsample(scale_factor=2), nn.Conv2d(16, 1, 3, padding=1))


class CroppingDecoder(nn.Module):
    """P=0 gives 9x9; cropping one row and column is also correct."""

    def __init__(self):
        super().__init__()
        self.a = nn.ConvTranspose2d(32, 16, 3, 2, 1, 1)
        self.b = nn.ConvTranspose2d(16, 1, 3, 2)

    def forward(self, z):
        return self.b(torch.relu(self.a(z)))[..., :8, :8]


def test_decoders_accept():
    assert exercises.check_decoders(good_decoder).passed
    assert exercises.check_decoders(
        lambda kind: CroppingDecoder() if kind == "transposed" else good_decoder(kind)).passed


@pytest.mark.parametrize("mistake, words", [
    (lambda kind: nn.Sequential(nn.ConvTranspose2d(32, 16, 3, 2, 1, 1), nn.ReLU(),
                                nn.ConvTranspose2d(16, 1, 3, 2, 1)) if kind == "transposed"
     else good_decoder(kind), ["off-by-one", "(2, 1, 8, 8)", "(2, 1, 7, 7)"]),
    (lambda kind: nn.Sequential(nn.ConvTranspose2d(32, 16, 3, 2, 0), nn.ReLU(),
                                nn.ConvTranspose2d(16, 1, 3, 2, 1, 1)) if kind == "transposed"
     else good_decoder(kind), ["off-by-one"]),
    (lambda kind: nn.Sequential(nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(),
                                nn.ConvTranspose2d(16, 1, 4, 2, 1)) if kind == "transposed"
     else good_decoder(kind), ["expected kernel_size=3, stride=2"]),
    (lambda kind: nn.Sequential(nn.ConvTranspose2d(32, 16, 3, 2, 1), nn.ReLU(),
                                nn.ConvTranspose2d(16, 1, 3, 2, 1)) if kind == "transposed"
     else good_decoder(kind), ["got (2, 1, 5, 5)", "transposed layer 1", "3x3, not 4x4",
                               "output_padding=1"]),
    (lambda kind: nn.Sequential(nn.ConvTranspose2d(32, 16, 3, 2, 1, 1), nn.ReLU(),
                                nn.ConvTranspose2d(16, 1, 3, 2, 0)) if kind == "transposed"
     else good_decoder(kind), ["off-by-one", "transposed layer 2", "9x9, not 8x8", "crop"]),
    (lambda kind: good_decoder("transposed"), ["kind='upsample'", "must resize"]),
    (lambda kind: good_decoder("upsample"), ["kind='transposed'", "no nn.ConvTranspose2d"]),
    (lambda kind: nn.Conv2d(3, 1, 1), ["fails on a code of shape (2, 32, 2, 2)"]),
])
def test_decoders_catch(mistake, words):
    with pytest.raises(ExerciseFailed) as info:
        exercises.check_decoders(mistake)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_autoencoder_trains_quickly_and_deterministically():
    images = exercises.digits_autoencoder_data(limit=200)
    assert tuple(images.shape) == (200, 1, 8, 8) and float(images.max()) <= 1.0
    runs = [exercises.train_autoencoder(good_decoder("upsample"), images, steps=20)
            for _ in range(2)]
    with torch.no_grad():
        a, b = (m(images[:10]) for m in runs)
    assert torch.equal(a, b) and a.shape == (10, 1, 8, 8)


# ----- Exercise 4: pixel shuffle -------------------------------------------------------------

def shuffle_permute(x, r):
    n, ch, h, w = x.shape
    c = ch // (r * r)
    return x.reshape(n, c, r, r, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c, h * r, w * r)


@pytest.mark.parametrize("fn", [
    shuffle_permute,
    lambda x, r: shuffle_permute(x.double(), r),
    lambda x, r: shuffle_permute(x, r).numpy(),
    lambda x, r: np.asarray(x).reshape(x.shape[0], -1, r, r, *x.shape[2:]).transpose(
        0, 1, 4, 2, 5, 3).reshape(x.shape[0], -1, x.shape[2] * r, x.shape[3] * r),
    lambda x, r: torch.from_numpy(ops.pixel_shuffle(x.numpy(), r)),
])
def test_pixel_shuffle_accepts(fn):
    assert exercises.check_pixel_shuffle(fn).passed


def _bad(order, group="c_first"):
    def fn(x, r):
        n, ch, h, w = x.shape
        c = ch // (r * r)
        y = x.reshape(n, c, r, r, h, w) if group == "c_first" else x.reshape(n, r, r, c, h, w)
        return y.permute(*order).reshape(n, c, h * r, w * r)
    return fn


@pytest.mark.parametrize("mistake, words", [
    (_bad((0, 1, 4, 3, 5, 2)), ["transposed axes", "sub-pixel axes are swapped"]),
    (_bad((0, 3, 4, 1, 5, 2), group="c_last"), ["channel grouping"]),
    (_bad((0, 1, 2, 4, 3, 5)), ["wrong side of H and W"]),
    (lambda x, r: shuffle_permute(x, r).transpose(2, 3), ["height and width swapped"]),
    (lambda x, r: x, ["unchanged in shape"]),
])
def test_pixel_shuffle_catches(mistake, words):
    with pytest.raises(ExerciseFailed) as info:
        exercises.check_pixel_shuffle(mistake)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert "x of shape" in message and "r=" in message


def test_worked_solutions_in_the_notebook_pass():
    """Run the code of every cell tagged `solution` in the coding-exercises notebook."""
    import nbformat
    from pathlib import Path

    nb = nbformat.read(Path(__file__).parent.parent / "chapters" / "13_coding_exercises.ipynb", 4)
    solutions = [c.source for c in nb.cells
                 if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 4
    namespace = {}
    exec("import numpy as np, torch, torch.nn.functional as F\nfrom torch import nn\n"
         "from widgets import exercises, ops\nimport matplotlib\nmatplotlib.use('Agg')\n"
         "import matplotlib.pyplot as plt", namespace)
    for source in solutions:
        exec(source, namespace)
    assert exercises.check_scatter_add(namespace["scatter_add"]).passed
    assert exercises.check_overlap_counts(namespace["overlap_count"]).passed
    assert exercises.check_uniformity_rule(namespace["is_uniform"]).passed
    assert exercises.check_decoders(namespace["build_decoder"]).passed
    assert exercises.check_pixel_shuffle(namespace["pixel_shuffle"]).passed


# ----- Every case at once, for grading (case_report) -----------------------------------------

def _check_message(check, fn):
    try:
        return check(fn).message
    except ExerciseFailed as failure:
        return str(failure)


@pytest.mark.parametrize("check, fn, passed", [
    (exercises.check_scatter_add, scatter_loops, 12),
    (exercises.check_scatter_add, lambda x, w, s, p: scatter_loops(x, w, s, p, crop=False), 4),
    (exercises.check_overlap_counts, lambda n, k, s: (count_loops(n, k, s) > 0).astype(int), 10),
    (exercises.check_uniformity_rule, lambda k, s: k >= s, 27),
    (exercises.check_uniformity_rule, lambda k, s: (k % s == 0) if k < 5 else "x", 20),
    (exercises.check_decoders, good_decoder, 2),
])
def test_case_report_counts_every_case_with_the_checkers_message(check, fn, passed):
    report = exercises.case_report(check, fn)
    assert sum(report.passed) == passed
    assert report.message == _check_message(check, fn)
    assert len(report.failed) == len(report.passed) - passed


def test_case_report_of_the_crop_mistake_fails_exactly_the_padded_cases():
    configs = exercises._scatter_add_configs(12, 0)
    report = exercises.case_report(exercises.check_scatter_add,
                                   lambda x, w, s, p: scatter_loops(x, w, s, p, crop=False))
    assert list(report.passed) == [c["padding"] == 0 for c in configs]


def test_case_report_of_a_starter_is_all_failed_and_pending():
    def starter(*args):
        raise exercises.not_implemented("x")
    report = exercises.case_report(exercises.check_pixel_shuffle, starter)
    assert report.passed == (False,) * 6 and "not implemented yet" in report.message
    with pytest.raises(ValueError, match="check must be one of"):
        exercises.case_report(print, starter)


def test_challenge_checker_remeasures_the_generators():
    from widgets import challenge

    torch.manual_seed(0)
    generators = {arm: [challenge.Generator(arm, latent_dim=32, width=4).eval()
                        for _ in range(2)] for arm in challenge.ARMS}
    means = {arm: np.mean([challenge.sample_energy(challenge.samples(g, count=16, seed=1))
                           for g in gs]) for arm, gs in generators.items()}
    strongest, weakest = max(means, key=means.get), min(means, key=means.get)
    assert strongest != weakest
    assert exercises.check_challenge(generators, means, strongest, weakest).passed
    with pytest.raises(ExerciseFailed, match="the lowest mean is"):
        exercises.check_challenge(generators, means, strongest, strongest)
    # A mean of one generator instead of both is caught, with the arm it concerns.
    arm = "convT K4 S2"
    one = challenge.sample_energy(challenge.samples(generators[arm][0], count=16, seed=1))
    report = exercises.case_report(exercises.check_challenge, generators,
                                   dict(means, **{arm: one}), weakest, weakest)
    assert report.passed == (False, False, True)
    assert f"means[{arm!r}]" in report.message and "the mean over its 2" in report.message
    untrained = exercises.case_report(exercises.check_challenge, {}, means, strongest, weakest)
    assert untrained.passed == (False,) * 3 and "run the training cell" in untrained.message
    pending = exercises.check_challenge(generators, ..., ..., ...)
    assert not pending.passed and "not implemented yet" in pending.message
