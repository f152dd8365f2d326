"""Small PyTorch models the chapter runs.

Defined for section 1 (the families table) and section 9 (architectures in the wild), which
inspects the same DCGAN generator layer by layer, builds a U-Net decoder block and FCN's bilinear
upsampling kernel. Requires PyTorch (`pip install torch`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import ops, upsamplers


def _positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


# ---------------------------------------------------------------------------------------------
# DCGAN's generator (sections 1 and 9)
# ---------------------------------------------------------------------------------------------

# The two kernel sizes DCGAN is built with: 4 in the widespread re-implementations (PyTorch's
# DCGAN example), 5 in the authors' Theano code. upsamplers.transposed_padding gives each the
# padding and output_padding that double the size exactly.
DCGAN_KERNEL_SIZES = (4, 5)


def dcgan_generator(latent_dim: int = 100, width: int = 64, channels: int = 3,
                    kernel_size: int = 4) -> nn.Sequential:
    """A DCGAN-style generator: a ``latent_dim`` vector to a ``channels`` x 64 x 64 image.

    The first layer turns the 1x1 latent into a 4x4 map (K=4, S=1, P=0, the same map as a dense
    layer); each of the four later layers doubles the size with a stride-2 transposed convolution.
    ``kernel_size=4`` (the default) is the widespread form (K=4, S=2, P=1). ``kernel_size=5`` is
    the form of the authors' code, 5x5 kernels at stride 2, written for PyTorch as P=2 with
    output_padding=1 so that each layer still doubles the size (see section 9).
    """
    latent_dim = _positive_int(latent_dim, "latent_dim")
    width = _positive_int(width, "width")
    channels = _positive_int(channels, "channels")
    if kernel_size not in DCGAN_KERNEL_SIZES:
        raise ValueError(f"kernel_size must be one of {list(DCGAN_KERNEL_SIZES)}, "
                         f"got {kernel_size!r}")

    def conv_t(c_in, c_out):
        return upsamplers.transposed(c_in, c_out, kernel_size, bias=False)

    def up(c_in, c_out):
        return [conv_t(c_in, c_out), nn.BatchNorm2d(c_out), nn.ReLU()]

    return nn.Sequential(
        nn.Unflatten(1, (latent_dim, 1, 1)),
        nn.ConvTranspose2d(latent_dim, width * 8, 4, stride=1, padding=0, bias=False),
        nn.BatchNorm2d(width * 8),
        nn.ReLU(),
        *up(width * 8, width * 4),
        *up(width * 4, width * 2),
        *up(width * 2, width),
        conv_t(width, channels),
        nn.Tanh(),
    )


# ---------------------------------------------------------------------------------------------
# U-Net (section 9)
# ---------------------------------------------------------------------------------------------

def center_crop(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The central ``height`` x ``width`` window of a (N, C, H, W) tensor.

    Defined for section 9: the original U-Net crops each encoder map to the decoder's smaller size
    before concatenating, because its unpadded convolutions shrink every map.
    """
    h, w = x.shape[-2:]
    if height > h or width > w:
        raise ValueError(f"crop size must fit inside the map: ({height}, {width}) > ({h}, {w})")
    top, left = (h - height) // 2, (w - width) // 2
    return x[..., top:top + height, left:left + width]


def double_conv(c_in: int, c_out: int, padding: int = 0) -> nn.Sequential:
    """Two 3x3 convolutions, each followed by ReLU: U-Net's basic unit (section 9).

    ``padding=0`` is the original (each convolution trims one pixel from every side);
    ``padding=1`` keeps the size, as most re-implementations do.
    """
    if padding not in (0, 1):
        raise ValueError(f"padding must be 0 (the original) or 1 (size-preserving), got {padding!r}")
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=padding), nn.ReLU(),
        nn.Conv2d(c_out, c_out, 3, padding=padding), nn.ReLU(),
    )


class UNetDecoderBlock(nn.Module):
    """One step of U-Net's expanding path (section 9).

    A 2x2 up-convolution with stride 2 halves the channels and doubles the size; the matching
    encoder map, centre-cropped to that size, is concatenated along the channels (a skip by
    concatenation, not addition); two 3x3 convolutions follow.
    """

    def __init__(self, in_channels: int, out_channels: int, padding: int = 0):
        super().__init__()
        in_channels = _positive_int(in_channels, "in_channels", 2)
        out_channels = _positive_int(out_channels, "out_channels")
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
        self.convs = double_conv(in_channels // 2 + out_channels, out_channels, padding)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        skip = center_crop(skip, *x.shape[-2:])
        return self.convs(torch.cat([skip, x], dim=1))


class UNet(nn.Module):
    """The U-Net of Ronneberger et al. with a configurable width (section 9).

    ``width=64, depth=4, padding=0`` is the paper's network (572x572 in, 388x388 out); a small
    ``width`` keeps the same sizes at a fraction of the cost. ``self.skips`` and ``self.trace``
    record the spatial sizes of the last forward pass, stage by stage.
    """

    def __init__(self, in_channels: int = 1, classes: int = 2, width: int = 64, depth: int = 4,
                 padding: int = 0):
        super().__init__()
        width = _positive_int(width, "width")
        depth = _positive_int(depth, "depth")
        chans = [width * 2 ** i for i in range(depth + 1)]
        self.down = nn.ModuleList(
            [double_conv(in_channels, chans[0], padding)]
            + [double_conv(chans[i], chans[i + 1], padding) for i in range(depth)])
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList([UNetDecoderBlock(chans[i + 1], chans[i], padding)
                                 for i in reversed(range(depth))])
        self.head = nn.Conv2d(chans[0], classes, 1)
        self.trace = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.trace = [("input", tuple(x.shape[-2:]))]
        skips = []
        for i, block in enumerate(self.down):
            if i:
                x = self.pool(x)
                self.trace.append((f"max-pool {i}", tuple(x.shape[-2:])))
            x = block(x)
            self.trace.append((f"encoder {i}" if i < len(self.down) - 1 else "bottleneck",
                               tuple(x.shape[-2:])))
            skips.append(x)
        skips.pop()
        for i, block in enumerate(self.up):
            x = block(x, skips.pop())
            self.trace.append((f"decoder {i + 1}", tuple(x.shape[-2:])))
        x = self.head(x)
        self.trace.append(("output", tuple(x.shape[-2:])))
        return x


# ---------------------------------------------------------------------------------------------
# FCN's bilinear upsampling kernel (section 9)
# ---------------------------------------------------------------------------------------------

def bilinear_kernel(factor: int) -> np.ndarray:
    """The 2-D bilinear interpolation kernel for upsampling by ``factor``: size K = 2 * factor.

    Defined for section 9 (FCN's initialisation). Entry (i, j) is ``(1 - |i - c| / f) *
    (1 - |j - c| / f)`` with centre ``c = f - 1/2``, the kernel FCN's reference code builds. As a
    transposed convolution with stride f and padding f/2 (f even) it reproduces
    ``F.interpolate(mode="bilinear", align_corners=False)`` away from the border.
    """
    f = _positive_int(factor, "factor")
    taps = 1 - np.abs(np.arange(2 * f) - (f - 0.5)) / f
    return np.outer(taps, taps)


def bilinear_upsampler(channels: int, factor: int, trainable: bool = False) -> nn.ConvTranspose2d:
    """A ConvTranspose2d that upsamples each channel by ``factor`` bilinearly (section 9).

    K = 2f, S = f, P = f/2 (so ``factor`` must be even), no bias, one bilinear kernel per channel
    on the diagonal of the weight (channel c feeds only channel c). ``trainable=False`` freezes
    it, as FCN's reference code does for every upsampling layer.
    """
    channels = _positive_int(channels, "channels")
    f = _positive_int(factor, "factor")
    if f % 2:
        raise ValueError(f"factor must be even (padding f/2 must be an integer), got {f}")
    layer = nn.ConvTranspose2d(channels, channels, 2 * f, stride=f, padding=f // 2, bias=False)
    with torch.no_grad():
        layer.weight.zero_()
        kernel = torch.from_numpy(bilinear_kernel(f)).to(layer.weight.dtype)
        for c in range(channels):
            layer.weight[c, c] = kernel
    layer.weight.requires_grad_(trainable)
    return layer


def upsampler_overlap(kernel_size: int, stride: int, dilation: int = 1) -> str:
    """A short verdict on a transposed convolution's overlap, from ``ops.overlap_is_uniform``."""
    return "uniform" if ops.overlap_is_uniform(kernel_size, stride, dilation) else "uneven"
