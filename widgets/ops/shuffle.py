"""Pixel shuffle and its inverse (section 7, the fixes)."""

import numpy as np

from .checks import is_int


def _check_shuffle_input(input, factor, name, op):
    input = np.asarray(input)
    if input.ndim < 3:
        raise ValueError(f"{op} expects an input with at least 3 dimensions (..., C, H, W), "
                         f"got shape {input.shape}")
    if not is_int(factor):
        raise ValueError(f"{name} must be an int, got {factor!r}")
    if factor < 1:
        raise ValueError(f"{name} must be positive, got {factor}")
    return input, int(factor)


def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(..., C*r*r, H, W)`` into ``(..., C, H*r, W*r)``, like ``F.pixel_shuffle``.

    Defined for section 7 (the fixes): ``out[c, h*r + i, w*r + j] = in[c*r*r + i*r + j, h, w]``.
    Each of the r*r channels that belong to output channel ``c`` fills one sub-pixel position
    ``(i, j)`` of every r×r block, written here as one strided assignment per position (the
    notebook derives the same permutation from reshape and transpose). Pure data movement: the
    dtype is kept and every value appears exactly once in the output. Raises ``ValueError`` when
    PyTorch refuses: fewer than 3 dimensions, a factor that is not a positive int, or a channel
    count not divisible by r*r.
    """
    input, r = _check_shuffle_input(input, upscale_factor, "upscale_factor", "pixel_shuffle")
    *lead, channels, height, width = input.shape
    if channels % (r * r):
        raise ValueError(f"pixel_shuffle needs the channel count to be divisible by "
                         f"upscale_factor**2 = {r * r}, got {channels} channels")
    c_out = channels // (r * r)
    out = np.empty((*lead, c_out, height * r, width * r), dtype=input.dtype)
    for i in range(r):
        for j in range(r):
            out[..., i::r, j::r] = input[..., i * r + j::r * r, :, :]
    return out


def pixel_unshuffle(input, downscale_factor):
    """Rearrange ``(..., C, H*r, W*r)`` into ``(..., C*r*r, H, W)``, like ``F.pixel_unshuffle``.

    Defined for section 7 (the fixes): the inverse of ``pixel_shuffle``,
    ``out[c*r*r + i*r + j, h, w] = in[c, h*r + i, w*r + j]``. Raises ``ValueError`` when PyTorch
    refuses: fewer than 3 dimensions, a factor that is not a positive int, or a height or width
    not divisible by r. One deliberate difference: on an input with no elements PyTorch 2.13
    returns a tensor of the input's shape; this returns the shape the rule gives.
    """
    input, r = _check_shuffle_input(input, downscale_factor, "downscale_factor",
                                    "pixel_unshuffle")
    *lead, channels, height, width = input.shape
    for axis, size in (("height", height), ("width", width)):
        if size % r:
            raise ValueError(f"pixel_unshuffle needs the {axis} to be divisible by "
                             f"downscale_factor = {r}, got {size}")
    out = np.empty((*lead, channels * r * r, height // r, width // r), dtype=input.dtype)
    for i in range(r):
        for j in range(r):
            out[..., i * r + j::r * r, :, :] = input[..., i::r, j::r]
    return out
