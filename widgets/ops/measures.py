"""The checkerboard measure (section 6, checkerboard artifacts; used again in sections 7 and 8)."""

import numpy as np


def checkerboard_energy(image):
    """The share of an image's variation that sits at the Nyquist frequencies: 0 to 1.

    Defined for section 6 (checkerboard artifacts) and used in the later sections. For one image
    ``x`` of shape ``(H, W)``:

    1. remove the mean: ``d = x - x.mean()``;
    2. take the 2-D discrete Fourier transform ``F = fft2(d)`` and its power ``|F|**2``;
    3. return ``sum of |F[u, v]|**2 over the Nyquist bins / sum over all bins``.

    The Nyquist bins are every bin whose row frequency is ``u = H/2`` *or* whose column frequency
    is ``v = W/2``: the whole middle row and middle column of the (unshifted) spectrum. They hold
    exactly the patterns that flip sign from one pixel to the next: ``(-1)**(h+w)`` (the
    checkerboard, bin ``(H/2, W/2)``), ``(-1)**h`` times anything along the rows (horizontal
    stripes of period 2, and the 1-2-4 pattern's row factor) and ``(-1)**w`` times anything along
    the columns. By Parseval the denominator is ``H*W`` times the sum of ``d**2``, so the result
    is the fraction of the image's variance that alternates with period 2. A smooth image gives
    about 0, a pure period-2 pattern gives 1, and a smooth image plus a checkerboard of
    amplitude ``a`` gives ``a**2 / (a**2 + var(smooth))``.

    What it does not see: periods other than 2 (a stride-3 layer's period-3 pattern lands on bins
    ``H/3``, ``2H/3``), and the ramp at an image's border, which spreads over every bin; crop the
    border before measuring when it is not part of what you want to judge.

    * A constant image (no variation, up to the rounding of its mean) returns ``0.0``: there is
      nothing to share out, and nothing is divided by zero.
    * ``image`` is a real array of shape ``(H, W)`` or a batch ``(..., H, W)``; the measure is
      taken per image and the result has the batch shape (a Python float for one image).
    * ``H`` and ``W`` must each be even or 1: an odd axis longer than 1 has no Nyquist bin (its
      highest frequencies straddle half the sampling rate), so it is refused rather than
      measured wrongly; crop one row or column. An axis of length 1 has no frequencies at all and
      contributes no Nyquist bins (a 1-D profile ``p`` is measured as ``p[None, :]``).
    * Values must be finite; integer and bool arrays are measured as float64.
    """
    x = np.asarray(image)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"image must be a real numeric array, got dtype {x.dtype}")
    if x.ndim < 2:
        raise ValueError(f"image must have at least 2 dimensions (..., H, W), got shape {x.shape}")
    h, w = x.shape[-2:]
    if h < 1 or w < 1:
        raise ValueError(f"image height and width must be >= 1, got {(h, w)}")
    for name, n in (("height", h), ("width", w)):
        if n > 1 and n % 2:
            raise ValueError(
                f"image {name} must be even or 1 (an odd axis has no Nyquist frequency), got {n}; "
                f"crop one row or column")
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("image must contain only finite values")
    if x.size == 0:  # an empty batch: an empty result of the batch shape
        return np.zeros(x.shape[:-2])
    d = x - x.mean(axis=(-2, -1), keepdims=True)
    power = np.abs(np.fft.fft2(d)) ** 2
    nyquist = np.zeros((h, w), dtype=bool)
    if h % 2 == 0:
        nyquist[h // 2, :] = True
    if w % 2 == 0:
        nyquist[:, w // 2] = True
    total = power.sum(axis=(-2, -1))
    share = power[..., nyquist].sum(axis=-1)
    # "Constant" means the deviations are no bigger than the rounding error of the mean (a few
    # float64 ulps of the largest value), so 0.1 * ones(4, 4) gives 0, not a ratio of round-off.
    scale = np.abs(x).max(axis=(-2, -1))
    spread = np.abs(d).max(axis=(-2, -1))
    constant = spread <= 16 * np.finfo(np.float64).eps * scale
    result = np.where(constant, 0.0, share / np.where(constant, 1.0, total))
    result = np.clip(result, 0.0, 1.0)  # the ratio can overshoot 1 by round-off
    return float(result) if result.ndim == 0 else result


def cropped_checkerboard_energy(images, border=1):
    """The mean ``checkerboard_energy`` of a batch ``(..., H, W)`` after cropping its border.

    ``border`` pixels are removed from each side first, because the ramp where an image meets
    its zero padding spreads over every frequency and would blur the measure. With an even H and
    W, cropping the same number from both sides keeps them even, as the measure requires. A
    single image ``(H, W)`` gives its own energy.
    """
    if isinstance(border, bool) or not isinstance(border, (int, np.integer)) or border < 0:
        raise ValueError(f"border must be an int >= 0, got {border!r}")
    x = np.asarray(images)
    if x.ndim < 2:
        raise ValueError(f"images must have at least 2 dimensions (..., H, W), got shape {x.shape}")
    h, w = x.shape[-2:]
    if 2 * border >= min(h, w):
        raise ValueError(f"border must leave at least one pixel: 2 * {border} >= min(H, W) = "
                         f"{min(h, w)}")
    if border:
        x = x[..., border:-border, border:-border]
    return float(np.mean(checkerboard_energy(x)))
