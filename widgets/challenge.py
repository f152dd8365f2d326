"""The offline challenge: the Odena experiment with a small DCGAN-style generator.

Defined for the challenge notebook. The same small generator is trained as a GAN once per
upsampler, on scikit-learn's 8x8 handwritten digits upscaled to 16x16 (they ship with
scikit-learn, so nothing is downloaded), and its samples are measured with
``ops.cropped_checkerboard_energy``. No FID: it needs Inception weights that cannot be downloaded
here.

The upsampler is an argument: a name from ``ARMS`` (the four arms of the challenge, each built by
``widgets.upsamplers``) or any callable ``(c_in, c_out) -> nn.Module`` that doubles the size.

``QUICK`` fits inside the book build on 2 CPU cores (four arms, five seeds each). It trains in
float64: a GAN amplifies the last-digit differences between CPUs' float32 kernels to a few
percent of the final scores, float64 keeps them far below the digits the notebook prints.
``FULL`` is the same experiment, longer and wider, in float32, and runs on CUDA when it is
available.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import ops, upsamplers

__all__ = ["ChallengeConfig", "QUICK", "FULL", "digits_16", "Generator", "Discriminator",
           "train_gan", "train_step", "sample_energy", "default_device"]

# The four arms: two transposed convolutions (K=3 spreads its taps unevenly over the four output
# phases, 4, 2, 2 and 1; K=4 evenly, 4 each; the random taps give neither equal phase sums), a
# resize-convolution (equal phase sums by construction) and sub-pixel convolution with ICNR
# (equal phase sums at initialisation only). Each is built by widgets.upsamplers, the one table
# of 2x upsamplers.
ARMS = {
    "convT K3 S2": lambda c_in, c_out: upsamplers.build("convT K3 S2", c_in, c_out),
    "convT K4 S2": lambda c_in, c_out: upsamplers.build("convT K4 S2", c_in, c_out),
    "nearest + conv": lambda c_in, c_out: upsamplers.build("nearest + conv", c_in, c_out),
    "conv + shuffle (ICNR)": lambda c_in, c_out: upsamplers.conv_shuffle(c_in, c_out, 2,
                                                                         icnr=True),
}
UPSAMPLERS = tuple(ARMS)


@dataclass(frozen=True)
class ChallengeConfig:
    """How long and how wide one training run is."""

    steps: int
    batch_size: int
    width: int
    latent_dim: int = 32
    lr: float = 2e-4
    dtype: torch.dtype = torch.float32


QUICK = ChallengeConfig(steps=100, batch_size=64, width=8, dtype=torch.float64)
FULL = ChallengeConfig(steps=5000, batch_size=128, width=64)


def default_device():
    """"cuda" when PyTorch sees a GPU, else "cpu"."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def digits_16(limit=None):
    """The 1,797 digits of ``sklearn.datasets.load_digits`` as (N, 1, 16, 16) in [-1, 1].

    Upscaled 2x with bilinear interpolation from the 8x8 originals (values 0..16).
    """
    from sklearn.datasets import load_digits

    images = torch.from_numpy(load_digits().images.astype(np.float32) / 16.0)[:, None]
    if limit is not None:
        images = images[:limit]
    images = F.interpolate(images, scale_factor=2, mode="bilinear", align_corners=False)
    return images.clamp(0, 1) * 2 - 1


def upsampler_builder(upsampler):
    """The ``(c_in, c_out) -> nn.Module`` builder for a name in ``ARMS`` or a callable."""
    if callable(upsampler):
        return upsampler
    if upsampler not in ARMS:
        raise ValueError(f"upsampler must be one of {list(ARMS)} or a callable "
                         f"(c_in, c_out) -> nn.Module, got {upsampler!r}")
    return ARMS[upsampler]


class Generator(nn.Module):
    """latent -> 4x4 -> 8x8 -> 16x16, DCGAN-style (batch norm and ReLU, tanh at the end).

    The two 2x steps use ``upsampler``: a name in ``ARMS`` or a callable ``(c_in, c_out) ->
    nn.Module``. Everything else is the same for every upsampler.
    """

    def __init__(self, upsampler="convT K3 S2", latent_dim=32, width=32):
        super().__init__()
        build = upsampler_builder(upsampler)
        self.upsampler = upsampler
        self.latent_dim = latent_dim
        self.project = nn.Sequential(nn.Linear(latent_dim, 2 * width * 16),
                                     nn.Unflatten(1, (2 * width, 4, 4)),
                                     nn.BatchNorm2d(2 * width), nn.ReLU())
        self.body = nn.Sequential(
            build(2 * width, width), nn.BatchNorm2d(width), nn.ReLU(),  # 8x8
            build(width, 1), nn.Tanh(),                                 # 16x16
        )

    def forward(self, z):
        return self.body(self.project(z))


class Discriminator(nn.Module):
    """16x16 -> a logit: two strided convolutions and a linear layer (LeakyReLU 0.2)."""

    def __init__(self, width=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),          # 8x8
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 4x4
            nn.Flatten(), nn.Linear(2 * width * 16, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


def train_step(generator, discriminator, opt_g, opt_d, real, z):
    """One non-saturating GAN step (discriminator, then generator); returns the two losses."""
    fake = generator(z)
    ones = torch.ones(len(real), device=real.device)
    zeros = torch.zeros(len(real), device=real.device)
    loss_d = (F.binary_cross_entropy_with_logits(discriminator(real), ones)
              + F.binary_cross_entropy_with_logits(discriminator(fake.detach()), zeros))
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    loss_g = F.binary_cross_entropy_with_logits(discriminator(fake), ones)
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()


def train_gan(upsampler, config=QUICK, data=None, seed=0, device=None):
    """Train a ``Generator(upsampler)`` against a ``Discriminator``; return (generator, losses).

    ``device`` defaults to ``default_device()``; both networks, the data and the noise use
    ``config.dtype``. Deterministic for a fixed seed on the CPU.
    """
    device = device or default_device()
    data = (digits_16() if data is None else data).to(device, config.dtype)
    torch.manual_seed(seed)
    generator = Generator(upsampler, config.latent_dim, config.width).to(device, config.dtype)
    discriminator = Discriminator(config.width).to(device, config.dtype)
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr, betas=(0.5, 0.999))
    rng = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(config.steps):
        index = torch.randint(0, len(data), (config.batch_size,), generator=rng)
        z = torch.randn(config.batch_size, config.latent_dim, generator=rng)
        z = z.to(device, config.dtype)
        losses.append(train_step(generator, discriminator, opt_g, opt_d, data[index], z))
    return generator.eval(), np.array(losses)


@torch.no_grad()
def samples(generator, count=16, seed=1):
    """``count`` samples (count, 16, 16) as a NumPy array in [-1, 1], from a fixed latent seed."""
    z = torch.randn(count, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    weight = next(generator.parameters())
    return generator(z.to(weight.device, weight.dtype))[:, 0].cpu().numpy()


def sample_energy(images, border=1):
    """The challenge's score: ``ops.cropped_checkerboard_energy`` of a batch (N, H, W)."""
    return ops.cropped_checkerboard_energy(np.asarray(images, dtype=np.float64), border)


__all__ += ["samples", "UPSAMPLERS", "ARMS", "upsampler_builder"]
