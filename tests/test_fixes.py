"""widgets.upsamplers: the four upsampling options of section 7 and their costs.

The closed-form counts (count_params, count_macs) are checked against the modules' own parameters,
against forward hooks that count multiply-adds from the tensors that flow (hooked_macs), and
against the SOURCE-NOTES figures for the chapter's example layer (64 -> 64 channels, 2x, 32x32).
The hook counter itself is checked against a brute-force count on a tiny layer, so a wrong
counter cannot confirm a wrong formula.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from widgets import ops
from widgets import upsamplers as U


@pytest.mark.parametrize("option", U.OPTIONS)
@pytest.mark.parametrize("c_in, c_out, size", [(64, 64, 32), (3, 5, 7), (1, 2, 4)])
def test_counts_match_the_modules_and_the_hooks(option, c_in, c_out, size):
    module = U.build(option, c_in, c_out)
    assert U.count_params(option, c_in, c_out) == sum(p.numel() for p in module.parameters())
    assert U.count_macs(option, c_in, c_out, size) == U.hooked_macs(module, (2, c_in, size, size))
    out = module(torch.zeros(1, c_in, size, size))
    assert out.shape == (1, c_out, 2 * size, 2 * size)


def test_the_example_layer_of_the_notes():
    expected = {
        "convT K3 S2": (36_928, 37_748_736),
        "convT K4 S2": (65_600, 67_108_864),
        "nearest + conv": (36_928, 150_994_944),
        "bilinear + conv": (36_928, 150_994_944),
        "conv + shuffle": (147_712, 150_994_944),
    }
    for option, (params, macs) in expected.items():
        assert (U.count_params(option, 64, 64), U.count_macs(option, 64, 64, 32)) == (params, macs)
    # "About 4x": resize + conv against the K=3 transposed conv, exactly 4 for the same kernel.
    assert U.count_macs("nearest + conv", 64, 64, 32) == 4 * U.count_macs("convT K3 S2", 64, 64, 32)


def brute_force_macs(layer, x):
    """Count multiplications one output (or one input, for a transposed conv) at a time."""
    n = 0
    if isinstance(layer, nn.ConvTranspose2d):
        # each input value is multiplied by every tap of every output channel
        n = x[0].numel() * layer.out_channels * layer.kernel_size[0] * layer.kernel_size[1]
    else:
        out = layer(x)
        for _ in range(out[0].numel()):
            n += layer.in_channels * layer.kernel_size[0] * layer.kernel_size[1]
    return n


@pytest.mark.parametrize("layer", [nn.Conv2d(2, 3, 3, padding=1), nn.ConvTranspose2d(2, 3, 4, 2, 1),
                                   nn.Conv2d(3, 4, (2, 3), stride=2)])
def test_hook_counter_against_brute_force(layer):
    x = torch.zeros(1, layer.in_channels, 5, 6)
    assert U.hooked_macs(layer, (1, layer.in_channels, 5, 6)) == brute_force_macs(layer, x)


def test_transposed_padding_gives_exact_upsampling():
    for k in range(2, 8):
        for s in range(1, k + 1):
            if s == 1 and k % 2 == 0:
                with pytest.raises(ValueError, match="needs an odd kernel_size"):
                    U.transposed_padding(k, s)
                continue
            p, op = U.transposed_padding(k, s)
            assert 0 <= op < s
            assert ops.conv_transpose_output_size(13, k, s, p, op) == 13 * s
    assert U.transposed_padding(3) == (1, 1) and U.transposed_padding(4) == (1, 0)
    with pytest.raises(ValueError, match="kernel_size 1 must be >= stride 2"):
        U.transposed_padding(1, 2)


def test_support_profiles():
    assert set(U.support_profile("convT K3 S2")[2:-2]) == {1, 2}
    assert list(U.support_profile("convT K3 S2")[4:8]) in ([1, 2, 1, 2], [2, 1, 2, 1])
    assert set(U.support_profile("convT K4 S2")[2:-2]) == {2}
    assert set(U.support_profile("nearest + conv")[2:-2]) == {2}
    assert set(U.support_profile("bilinear + conv")[2:-2]) == {3}
    assert set(U.support_profile("conv + shuffle")[2:-2]) == {3}


def test_icnr_makes_conv_shuffle_a_nearest_upsample():
    torch.manual_seed(0)
    layer = U.conv_shuffle(4, 3, r=2, icnr=True)
    w = layer[0].weight
    for c in range(3):
        for s in range(1, 4):
            assert torch.equal(w[4 * c + s], w[4 * c])
    x = torch.randn(1, 4, 6, 6)
    small = F.conv2d(x, w[::4], layer[0].bias[::4], padding=1)
    # Equal up to float32 summation order (the two convs group their channels differently).
    assert torch.allclose(layer(x), F.interpolate(small, scale_factor=2, mode="nearest"), atol=1e-6)
    # Without ICNR the four sub-kernels differ.
    plain = U.conv_shuffle(4, 3, r=2)
    assert not torch.equal(plain[0].weight[0], plain[0].weight[1])


def test_checkerboard_measure_separates_the_options():
    """On a constant input the interior of every transposed conv / plain shuffle is period-2."""
    torch.manual_seed(0)
    x = torch.ones(1, 8, 12, 12)
    crop = (slice(None), slice(4, -4), slice(4, -4))
    energies = {}
    for option in U.OPTIONS:
        with torch.no_grad():
            energies[option] = ops.checkerboard_energy(U.build(option, 8, 8)(x)[0][crop].numpy()).mean()
    with torch.no_grad():
        icnr = ops.checkerboard_energy(U.conv_shuffle(8, 8, icnr=True)(x)[0][crop].numpy()).mean()
    assert energies["convT K3 S2"] > 0.99 and energies["convT K4 S2"] > 0.99
    assert energies["conv + shuffle"] > 0.99
    assert energies["nearest + conv"] == 0 and energies["bilinear + conv"] == 0 and icnr == 0


@pytest.mark.parametrize("call, message", [
    (lambda: U.build("deconv", 1, 1), "option must be one of"),
    (lambda: U.count_macs("convT K3 S2", 1, 1, 0), "size must be a positive int"),
    (lambda: U.count_params("convT K3 S2", 0, 1), "c_in must be a positive int"),
    (lambda: U.resize_conv(1, 1, "bicubic"), "mode must be 'nearest' or 'bilinear'"),
    (lambda: U.conv_shuffle(1, 1, r=2, kernel_size=4), "kernel_size must be odd"),
    (lambda: U.icnr_(torch.zeros(6, 1, 3, 3), 2), "divisible by r\\*r = 4"),
    (lambda: U.transposed(1, 1, True), "kernel_size must be a positive int"),
])
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
