"""Small PyTorch models the chapter runs.

Defined for section 1 (the families table); section 8 (architectures) inspects
the same generator layer by layer. Requires PyTorch (`pip install torch`).
"""

from __future__ import annotations

import torch
from torch import nn


def dcgan_generator(latent_dim: int = 100, width: int = 64, channels: int = 3) -> nn.Sequential:
    """A DCGAN-style generator in the widespread K=4, S=2, P=1 form: z -> 64x64 image.

    The first layer turns the 1x1 latent into a 4x4 map (K=4, S=1, P=0); each
    later layer doubles the size. The original DCGAN code used 5x5 kernels
    (see the notes on sources); this is the form most re-implementations use.
    """

    def up(c_in, c_out):
        return [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]

    return nn.Sequential(
        nn.Unflatten(1, (latent_dim, 1, 1)),
        nn.ConvTranspose2d(latent_dim, width * 8, 4, stride=1, padding=0, bias=False),
        nn.BatchNorm2d(width * 8),
        nn.ReLU(),
        *up(width * 8, width * 4),
        *up(width * 4, width * 2),
        *up(width * 2, width),
        nn.ConvTranspose2d(width, channels, 4, stride=2, padding=1, bias=False),
        nn.Tanh(),
    )
