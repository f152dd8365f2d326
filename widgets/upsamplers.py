"""The four 2x upsampling layers compared in section 7 (the fixes), and what each one costs.

Defined for section 7 and used by every later section that compares upsamplers (one source of
truth for their parameter and multiply-add counts):

* ``transposed(c_in, c_out, 3)`` - ``ConvTranspose2d`` with K=3, S=2 (uneven overlap);
* ``transposed(c_in, c_out, 4)`` - ``ConvTranspose2d`` with K=4, S=2 (even overlap);
* ``resize_conv(c_in, c_out, mode)`` - nearest or bilinear resize, then a 3x3 ``Conv2d``;
* ``conv_shuffle(c_in, c_out, r)`` - a 3x3 ``Conv2d`` to ``c_out * r * r`` channels, then
  ``PixelShuffle(r)``, optionally with ICNR initialisation.

Every builder returns a module that maps ``(N, c_in, H, W)`` to exactly ``(N, c_out, 2H, 2W)``
(``r * H`` for ``conv_shuffle``). ``count_params`` and ``count_macs`` compute the costs from the
layer's shape alone (closed forms, using ``widgets.ops`` for output sizes); the tests check them
against the modules' own parameters and against forward hooks that count multiply-adds from the
tensors that actually flow. Requires PyTorch.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import ops

OPTIONS = ("convT K3 S2", "convT K4 S2", "nearest + conv", "bilinear + conv", "conv + shuffle")


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def transposed_padding(kernel_size: int, stride: int = 2) -> tuple[int, int]:
    """(padding, output_padding) that make a ConvTranspose2d map H to exactly stride * H.

    The output size is (H-1)S - 2P + K + output_padding, so we need K + output_padding - 2P = S
    with 0 <= output_padding < S: P = ceil((K - S) / 2), output_padding = S - K + 2P.
    """
    kernel_size, stride = _positive(kernel_size, "kernel_size"), _positive(stride, "stride")
    if kernel_size < stride:
        raise ValueError(f"kernel_size {kernel_size} must be >= stride {stride} for an exact "
                         f"{stride}x upsampler (smaller kernels leave gaps)")
    padding = -(-(kernel_size - stride) // 2)
    output_padding = stride - kernel_size + 2 * padding
    if output_padding >= stride:  # only stride 1 with an even kernel: symmetric padding can't do it
        raise ValueError(f"with stride {stride} an exact upsampler needs an odd kernel_size, "
                         f"got {kernel_size}")
    return padding, output_padding


def transposed(c_in: int, c_out: int, kernel_size: int, stride: int = 2, bias: bool = True) -> nn.Module:
    """ConvTranspose2d(kernel_size, stride) padded so that the output is exactly stride times larger."""
    _positive(c_in, "c_in"), _positive(c_out, "c_out")
    padding, output_padding = transposed_padding(kernel_size, stride)
    return nn.ConvTranspose2d(c_in, c_out, kernel_size, stride=stride, padding=padding,
                              output_padding=output_padding, bias=bias)


def resize_conv(c_in: int, c_out: int, mode: str = "nearest", scale: int = 2, kernel_size: int = 3,
                bias: bool = True) -> nn.Sequential:
    """Resize by ``scale`` (nearest or bilinear, no parameters), then a same-size Conv2d."""
    _positive(c_in, "c_in"), _positive(c_out, "c_out"), _positive(scale, "scale")
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"mode must be 'nearest' or 'bilinear', got {mode!r}")
    if _positive(kernel_size, "kernel_size") % 2 == 0:
        raise ValueError(f"kernel_size must be odd (same-size padding), got {kernel_size}")
    upsample = (nn.Upsample(scale_factor=scale, mode="nearest") if mode == "nearest"
                else nn.Upsample(scale_factor=scale, mode="bilinear", align_corners=False))
    return nn.Sequential(upsample, nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2, bias=bias))


def icnr_(weight: torch.Tensor, r: int, init=nn.init.kaiming_normal_) -> torch.Tensor:
    """ICNR initialisation (Aitken et al. 2017), in place: all r*r sub-kernels of a channel equal.

    ``weight`` is a Conv2d weight of shape ``(c * r * r, c_in, k, k)`` feeding ``PixelShuffle(r)``.
    A kernel for ``c`` output channels is drawn with ``init`` and copied to the r*r sub-pixel
    positions of each channel, so that conv + shuffle starts out as conv followed by
    nearest-neighbour upsampling.
    """
    _positive(r, "r")
    if weight.shape[0] % (r * r):
        raise ValueError(f"weight.shape[0] = {weight.shape[0]} must be divisible by r*r = {r * r}")
    base = torch.empty(weight.shape[0] // (r * r), *weight.shape[1:], dtype=weight.dtype)
    init(base)
    with torch.no_grad():
        weight.copy_(base.repeat_interleave(r * r, dim=0))
    return weight


def conv_shuffle(c_in: int, c_out: int, r: int = 2, kernel_size: int = 3, bias: bool = True,
                 icnr: bool = False) -> nn.Sequential:
    """A same-size Conv2d to c_out * r * r channels, then PixelShuffle(r); ICNR init on request.

    With ``icnr=True`` the weight gets ``icnr_`` and the bias (if any) is made equal across each
    channel's r*r sub-pixel positions (zero, as a fresh layer's bias would be after ICNR).
    """
    _positive(c_in, "c_in"), _positive(c_out, "c_out"), _positive(r, "r")
    if _positive(kernel_size, "kernel_size") % 2 == 0:
        raise ValueError(f"kernel_size must be odd (same-size padding), got {kernel_size}")
    conv = nn.Conv2d(c_in, c_out * r * r, kernel_size, padding=kernel_size // 2, bias=bias)
    if icnr:
        icnr_(conv.weight, r)
        if bias:
            nn.init.zeros_(conv.bias)
    return nn.Sequential(conv, nn.PixelShuffle(r))


def build(option: str, c_in: int, c_out: int) -> nn.Module:
    """One of ``OPTIONS`` as a 2x upsampler from c_in to c_out channels."""
    builders = {
        "convT K3 S2": lambda: transposed(c_in, c_out, 3),
        "convT K4 S2": lambda: transposed(c_in, c_out, 4),
        "nearest + conv": lambda: resize_conv(c_in, c_out, "nearest"),
        "bilinear + conv": lambda: resize_conv(c_in, c_out, "bilinear"),
        "conv + shuffle": lambda: conv_shuffle(c_in, c_out, 2),
    }
    if option not in builders:
        raise ValueError(f"option must be one of {list(OPTIONS)}, got {option!r}")
    return builders[option]()


def count_params(option: str, c_in: int, c_out: int, bias: bool = True) -> int:
    """Learnable parameters of ``build(option, c_in, c_out)``, from the closed form.

    A layer with ``m`` output channels and k×k kernels has c_in * m * k² weights (+ m biases).
    """
    _positive(c_in, "c_in"), _positive(c_out, "c_out")
    kernel, channels = {
        "convT K3 S2": (3, c_out), "convT K4 S2": (4, c_out), "nearest + conv": (3, c_out),
        "bilinear + conv": (3, c_out), "conv + shuffle": (3, 4 * c_out),
    }[_option(option)]
    return c_in * channels * kernel * kernel + (channels if bias else 0)


def count_macs(option: str, c_in: int, c_out: int, size: int) -> int:
    """Multiply-adds of ``build(option, c_in, c_out)`` on one ``size``×``size`` input.

    The usual convention: a Conv2d does c_in * k² per output value, at the resolution it runs
    at; a ConvTranspose2d does c_out * k² per input value (every tap of every input cell, the
    scatter-add of section 3, including the few taps that padding crops at the border).
    Resizing, biases and the shuffle are not counted (no multiplications, or O(outputs)).
    """
    _option(option)
    _positive(c_in, "c_in"), _positive(c_out, "c_out"), _positive(size, "size")
    if option.startswith("convT"):
        k = {"convT K3 S2": 3, "convT K4 S2": 4}[option]
        return size * size * c_out * k * k * c_in
    if option == "conv + shuffle":
        out = ops.conv_output_size(size, 3, 1, 1)  # the conv runs at the input resolution
        return out * out * 4 * c_out * 9 * c_in
    out = ops.conv_output_size(2 * size, 3, 1, 1)  # the conv runs after the 2x resize
    return out * out * c_out * 9 * c_in


def _option(option):
    if option not in OPTIONS:
        raise ValueError(f"option must be one of {list(OPTIONS)}, got {option!r}")
    return option


def hooked_macs(module: nn.Module, input_shape) -> int:
    """Multiply-adds counted by forward hooks on every Conv2d / ConvTranspose2d, from the tensors.

    An independent check of ``count_macs``: it runs the module on zeros of ``input_shape`` and
    counts, per call, output elements × (c_in / groups) × k² for a Conv2d and input elements ×
    (c_out / groups) × k² for a ConvTranspose2d, divided by the batch size.
    """
    total = 0

    def hook(layer, inputs, output):
        nonlocal total
        kh, kw = layer.kernel_size
        if isinstance(layer, nn.ConvTranspose2d):
            total += inputs[0].numel() * (layer.out_channels // layer.groups) * kh * kw
        else:
            total += output.numel() * (layer.in_channels // layer.groups) * kh * kw

    handles = [m.register_forward_hook(hook) for m in module.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    try:
        with torch.no_grad():
            module(torch.zeros(input_shape))
    finally:
        for h in handles:
            h.remove()
    return total // input_shape[0]


def support_profile(option: str, size: int = 8) -> np.ndarray:
    """For each output column, how many low-resolution input columns it depends on.

    Computed, not assumed: the option is built with one channel in and out, all weights set to
    1 and no bias, and the Jacobian of a middle output row with respect to the input (via
    autograd) is inspected; an input column counts when any of its entries has a non-zero
    derivative. With non-negative weights and interpolation nothing cancels, so this is the
    support every learned kernel of that shape can use.
    """
    _positive(size, "size")
    module = build(option, 1, 1)
    with torch.no_grad():
        for p in module.parameters():
            p.fill_(1.0)
        for m in module.modules():
            if getattr(m, "bias", None) is not None:
                m.bias.zero_()
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    module = module.double()
    row = module(x)[0, 0, size]  # a middle row of the 2*size output
    support = []
    for col in range(row.shape[0]):
        (grad,) = torch.autograd.grad(row[col], x, retain_graph=True)
        support.append(int((grad[0, 0].abs().sum(dim=0) > 0).sum()))
    return np.array(support)
