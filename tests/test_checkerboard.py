"""Tests for widgets.ops.checkerboard_energy, the checkerboard measure of section 6.

The measure must tell planted checkerboards from smooth images *by the right amount*, so a
measure that returns a constant, or one that looks at the wrong bins (ignoring the Nyquist row and
column, or keeping only the corner bin), fails here. The exact values come from images built out
of single DFT bins, whose power is known in closed form; random images are checked against an
independent computation that uses no FFT at all (orthogonal projections onto the sign-flipping
patterns) and against torch.fft.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from widgets import ops

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def grid(h, w):
    return np.mgrid[:h, :w].astype(float)


def checkerboard(h, w):
    y, x = grid(h, w)
    return (-1.0) ** (y + x)


def smooth(h, w):
    """A smooth image made of two low DFT bins: cos along the rows and sin along the columns."""
    y, x = grid(h, w)
    return np.cos(2 * np.pi * x / w) + 0.5 * np.sin(2 * np.pi * y / h)


def smooth_variance(h, w):
    return 0.5 + 0.5 ** 2 / 2  # mean of cos^2 is 1/2; of (0.5 sin)^2 is 1/8 (both on exact bins)


def projection_share(x):
    """The same quantity without an FFT: the energy of the part of d = x - mean that flips sign
    between neighbours along the rows or along the columns, over the energy of d.

    P_r d = (-1)^h * mean_h((-1)^h d) is the orthogonal projection onto "(-1)^h times any row
    profile"; P_c likewise for the columns. They commute, so the projection onto the span of both
    is P_r + P_c - P_r P_c, and its squared norm over |d|^2 is the share of power in the Nyquist
    row and column of the spectrum (Parseval, bin by bin).
    """
    x = np.asarray(x, dtype=float)
    h, w = x.shape
    d = x - x.mean()
    total = (d ** 2).sum()
    if total == 0:
        return 0.0
    sign_r = (-1.0) ** np.arange(h)[:, None] if h % 2 == 0 else np.zeros((h, 1))
    sign_c = (-1.0) ** np.arange(w)[None, :] if w % 2 == 0 else np.zeros((1, w))

    def p_r(a):
        return sign_r * (sign_r * a).mean(axis=0, keepdims=True)

    def p_c(a):
        return sign_c * (sign_c * a).mean(axis=1, keepdims=True)

    part = p_r(d) + p_c(d) - p_r(p_c(d))
    return (part ** 2).sum() / total


# --- known values --------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 2), (4, 6), (8, 8), (16, 10)])
def test_pure_period_two_patterns_give_one(shape):
    h, w = shape
    y, x = grid(h, w)
    assert ops.checkerboard_energy(checkerboard(h, w)) == pytest.approx(1.0, abs=1e-12)
    # Stripes along one axis are on the Nyquist row or column, not the corner: a measure that
    # only looks at bin (H/2, W/2) gives 0 here.
    assert ops.checkerboard_energy((-1.0) ** y) == pytest.approx(1.0, abs=1e-12)
    assert ops.checkerboard_energy((-1.0) ** x) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("shape", [(8, 8), (12, 16)])
def test_smooth_images_give_zero(shape):
    assert ops.checkerboard_energy(smooth(*shape)) == pytest.approx(0.0, abs=1e-12)
    y, x = grid(*shape)
    # A Gaussian blob is not band-limited, but almost none of its power is at Nyquist.
    blob = np.exp(-((y - shape[0] / 2) ** 2 + (x - shape[1] / 2) ** 2) / 8)
    assert ops.checkerboard_energy(blob) < 1e-3


@pytest.mark.parametrize("amplitude", [0.0, 0.05, 0.2, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("shape", [(8, 8), (10, 6)])
def test_planted_checkerboard_of_known_amplitude(amplitude, shape):
    """smooth + a * checkerboard: the share is a^2 / (a^2 + var(smooth)), exactly."""
    h, w = shape
    image = smooth(h, w) + amplitude * checkerboard(h, w)
    expected = amplitude ** 2 / (amplitude ** 2 + smooth_variance(h, w))
    assert ops.checkerboard_energy(image) == pytest.approx(expected, abs=1e-12)


def test_grows_with_the_planted_amplitude():
    values = [ops.checkerboard_energy(smooth(8, 8) + a * checkerboard(8, 8))
              for a in (0.0, 0.1, 0.3, 1.0, 3.0)]
    assert all(a < b for a, b in zip(values, values[1:]))
    assert values[0] < 1e-12 and values[-1] > 0.9


def test_other_high_frequencies_are_not_counted():
    """Period 3 and period 4 patterns are high-frequency but not at Nyquist: share 0."""
    y, x = grid(12, 12)
    assert ops.checkerboard_energy(np.cos(2 * np.pi * x / 3)) == pytest.approx(0.0, abs=1e-12)
    assert ops.checkerboard_energy(np.cos(2 * np.pi * (x + y) / 4)) == pytest.approx(0.0, abs=1e-12)


def test_constant_images_give_zero_without_dividing_by_zero():
    with np.errstate(all="raise"):
        for value in (0.0, 1.0, 0.1, -7.3, 1e12):
            assert ops.checkerboard_energy(np.full((6, 4), value)) == 0.0
        assert ops.checkerboard_energy(np.full((3, 4, 4), 0.1)).tolist() == [0.0, 0.0, 0.0]
    assert ops.checkerboard_energy(np.ones((1, 1))) == 0.0


def test_overlap_patterns():
    """The 1-2-4 pattern's interior alternates with period 2; K=4, S=2, P=1 is flat inside."""
    uneven = ops.overlap_counts(8, 3, 2)[1:-2, 1:-2]   # 14x14 interior of a 17x17 output
    assert set(np.unique(uneven)) == {1, 2, 4}
    assert ops.checkerboard_energy(uneven) == pytest.approx(1.0, abs=1e-12)
    even = ops.overlap_counts(8, 4, 2, padding=1)[1:-1, 1:-1]
    assert ops.checkerboard_energy(even) == 0.0


def test_a_one_pixel_high_image_is_a_1d_profile():
    profile = np.array([1, 2, 1, 2, 1, 2], dtype=float)
    assert ops.checkerboard_energy(profile[None, :]) == pytest.approx(1.0)
    assert ops.checkerboard_energy(np.arange(6.0)[None, :]) == pytest.approx(
        projection_share(np.arange(6.0)[None, :]))


# --- invariances and batches ---------------------------------------------------------------------

def test_batches_are_measured_per_image():
    rng = np.random.default_rng(0)
    batch = rng.normal(size=(2, 3, 6, 8))
    batch[0, 1] = 5.0
    result = ops.checkerboard_energy(batch)
    assert result.shape == (2, 3)
    for index in np.ndindex(2, 3):
        assert result[index] == pytest.approx(ops.checkerboard_energy(batch[index]), abs=1e-15)
    assert result[0, 1] == 0.0
    assert isinstance(ops.checkerboard_energy(batch[0, 0]), float)
    assert ops.checkerboard_energy(np.zeros((0, 4, 4))).shape == (0,)


@PROPERTY
@given(h=st.sampled_from([1, 2, 4, 6, 8]), w=st.sampled_from([2, 4, 6, 10]),
       seed=st.integers(0, 2 ** 32 - 1), scale=st.floats(1e-3, 1e3),
       offset=st.floats(-1e3, 1e3), dtype=st.sampled_from([np.float32, np.float64]))
def test_matches_an_fft_free_computation(h, w, seed, scale, offset, dtype):
    """Random images (white noise, or smooth + planted pattern) against the projection formula;
    the share is in [0, 1] and does not change when the image is scaled or shifted."""
    rng = np.random.default_rng(seed)
    kind = seed % 3
    if kind == 0:
        image = rng.normal(size=(h, w))
    else:
        y, x = grid(h, w)
        image = np.cos(2 * np.pi * (rng.integers(0, 3) * x / w + rng.integers(0, 3) * y / max(h, 1)))
        image = image + rng.uniform(0, 1) * rng.choice([-1, 1], size=(h, 1)) * (-1.0) ** x \
            + rng.uniform(0, 1) * (-1.0) ** y * rng.normal(size=(1, w))
    image = image.astype(dtype)
    value = ops.checkerboard_energy(image)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(projection_share(image), abs=1e-9)
    moved = image.astype(np.float64) * scale + offset
    assert ops.checkerboard_energy(moved) == pytest.approx(value, abs=1e-6)


def test_matches_torch_fft():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    images = rng.normal(size=(5, 8, 12)) + 0.7 * checkerboard(8, 12) * rng.uniform(size=(5, 1, 1))
    t = torch.from_numpy(images)
    t = t - t.mean(dim=(-2, -1), keepdim=True)
    power = torch.fft.fft2(t).abs() ** 2
    nyquist = power[..., 4, :].sum(-1) + power[..., :, 6].sum(-1) - power[..., 4, 6]
    expected = (nyquist / power.sum(dim=(-2, -1))).numpy()
    np.testing.assert_allclose(ops.checkerboard_energy(images), expected, rtol=0, atol=1e-12)


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("image, words", [
    (np.ones(4), "at least 2 dimensions"),
    (np.ones((4, 5)), "width must be even or 1"),
    (np.ones((3, 4)), "height must be even or 1"),
    (np.ones((0, 4)), "height and width must be >= 1"),
    (np.ones((4, 4), dtype=complex), "real numeric"),
    (np.array([["a", "b"], ["c", "d"]]), "real numeric"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), "finite"),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), "finite"),
])
def test_bad_input_is_refused(image, words):
    with pytest.raises(ValueError, match=words):
        ops.checkerboard_energy(image)


def test_integer_and_bool_images_are_measured():
    board = (checkerboard(4, 4) > 0)
    assert ops.checkerboard_energy(board) == pytest.approx(1.0)
    assert ops.checkerboard_energy(board.astype(np.int64) * 3) == pytest.approx(1.0)


# --- the border-cropped mean ------------------------------------------------------------------

def test_cropped_energy_ignores_what_the_border_holds():
    # A checkerboard inside, anything at all on a 1-pixel frame: the frame is cropped away.
    inside = checkerboard(6, 6)
    framed = np.random.default_rng(0).normal(size=(8, 8))
    framed[1:-1, 1:-1] = inside
    assert ops.cropped_checkerboard_energy(framed, border=1) == pytest.approx(1.0, abs=1e-12)
    assert ops.checkerboard_energy(framed) < 0.9


def test_cropped_energy_is_the_mean_over_the_batch():
    batch = np.stack([checkerboard(8, 8), smooth(8, 8)])
    one = [ops.checkerboard_energy(image[2:-2, 2:-2]) for image in batch]
    assert ops.cropped_checkerboard_energy(batch, border=2) == pytest.approx(np.mean(one))
    assert ops.cropped_checkerboard_energy(batch[0], border=0) == pytest.approx(1.0)


@pytest.mark.parametrize("border, message", [
    (-1, "border must be an int >= 0"), (1.0, "border must be an int >= 0"),
    (True, "border must be an int >= 0"), (4, "border must leave at least one pixel"),
])
def test_cropped_energy_refuses_a_bad_border(border, message):
    with pytest.raises(ValueError, match=message):
        ops.cropped_checkerboard_energy(np.zeros((8, 8)), border=border)
