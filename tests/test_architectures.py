"""Section 9 (architectures): widgets.models and ops.overlap_is_uniform, checked independently."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from widgets import models, ops  # noqa: E402

torch.set_num_threads(1)


# --- ops.overlap_is_uniform --------------------------------------------------------------------

def _uniform_by_torch(kernel, stride, dilation):
    # Independent computation: a transposed conv of a long all-ones input with an all-ones kernel
    # counts the taps per output position; look at the middle, far from both ends.
    n = 8 * (kernel * dilation + stride)
    counts = F.conv_transpose1d(torch.ones(1, 1, n, dtype=torch.float64),
                                torch.ones(1, 1, kernel, dtype=torch.float64),
                                stride=stride, dilation=dilation)[0, 0]
    middle = counts[n * stride // 3: 2 * n * stride // 3]
    return bool((middle == middle[0]).all())


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.integers(1, 12), st.integers(1, 8), st.integers(1, 5))
def test_overlap_is_uniform_against_torch_and_the_closed_form(kernel, stride, dilation):
    verdict = ops.overlap_is_uniform(kernel, stride, dilation)
    assert verdict == _uniform_by_torch(kernel, stride, dilation)
    assert verdict == (kernel % stride == 0 and math.gcd(dilation, stride) == 1)


@pytest.mark.parametrize("k,s,expected", [(4, 2, True), (5, 2, False), (3, 2, False), (2, 2, True),
                                          (16, 8, True), (1, 2, False), (3, 1, True)])
def test_overlap_is_uniform_cases_in_the_table(k, s, expected):
    assert ops.overlap_is_uniform(k, s) is expected


@pytest.mark.parametrize("args,name", [((0, 2), "kernel_size"), ((3, 0), "stride"), ((3, 2, 0), "dilation"),
                                       ((3.0, 2), "kernel_size"), ((3, True), "stride")])
def test_overlap_is_uniform_rejects_bad_arguments(args, name):
    with pytest.raises(ValueError, match=name):
        ops.overlap_is_uniform(*args)


# --- DCGAN ---------------------------------------------------------------------------------------

def test_dcgan_default_is_unchanged():
    g = models.dcgan_generator()
    convs = [m for m in g if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.kernel_size, m.stride, m.padding, m.output_padding) for m in convs] == \
        [((4, 4), (1, 1), (0, 0), (0, 0))] + [((4, 4), (2, 2), (1, 1), (0, 0))] * 4
    assert [m.out_channels for m in convs] == [512, 256, 128, 64, 3]
    assert sum(p.numel() for p in g.parameters()) == 3_576_704
    assert g(torch.randn(2, 100)).shape == (2, 3, 64, 64)


def test_dcgan_original_kernel_size_doubles_each_layer():
    g = models.dcgan_generator(kernel_size=5, width=8)
    convs = [m for m in g if isinstance(m, nn.ConvTranspose2d)][1:]
    assert all(m.kernel_size == (5, 5) and m.stride == (2, 2) for m in convs)
    sizes, x = [], torch.randn(2, 100)
    for layer in g:
        x = layer(x)
        if isinstance(layer, nn.ConvTranspose2d):
            sizes.append(x.shape[-1])
    assert sizes == [4, 8, 16, 32, 64]


@pytest.mark.parametrize("kwargs,name", [({"kernel_size": 3}, "kernel_size"), ({"width": 0}, "width"),
                                         ({"latent_dim": 1.5}, "latent_dim")])
def test_dcgan_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        models.dcgan_generator(**kwargs)


# --- U-Net ---------------------------------------------------------------------------------------

def test_unet_original_sizes():
    net = models.UNet(width=2)
    with torch.no_grad():
        out = net(torch.randn(1, 1, 572, 572))
    assert out.shape == (1, 2, 388, 388)
    trace = dict(net.trace)
    assert trace["bottleneck"] == (28, 28)
    assert [trace[f"decoder {i}"] for i in range(1, 5)] == [(52, 52), (100, 100), (196, 196), (388, 388)]
    # The same sizes from the size formulas alone.
    size, skips = 572, []
    for level in range(5):
        if level:
            size //= 2
        size = ops.conv_output_size(ops.conv_output_size(size, 3), 3)
        skips.append(size)
    for _ in range(4):
        size = ops.conv_transpose_output_size(size, 2, stride=2)
        size = ops.conv_output_size(ops.conv_output_size(size, 3), 3)
    assert skips[-1] == 28 and size == 388


def test_unet_padded_keeps_size():
    with torch.no_grad():
        assert models.UNet(width=2, padding=1)(torch.randn(1, 1, 64, 64)).shape == (1, 2, 64, 64)


def test_decoder_block_concatenates_cropped_skip():
    block = models.UNetDecoderBlock(8, 4)
    x, skip = torch.randn(1, 8, 5, 5), torch.randn(1, 4, 14, 14)
    assert block.up.kernel_size == (2, 2) and block.up.stride == (2, 2) and block.up.out_channels == 4
    assert block.convs[0].in_channels == 8
    with torch.no_grad():
        out = block(x, skip)
        expected = block.convs(torch.cat([skip[..., 2:12, 2:12], block.up(x)], dim=1))
    assert out.shape == (1, 4, 6, 6) and torch.equal(out, expected)


def test_center_crop_and_validation():
    x = torch.arange(36.0).reshape(1, 1, 6, 6)
    assert torch.equal(models.center_crop(x, 2, 2), x[..., 2:4, 2:4])
    with pytest.raises(ValueError, match="crop size"):
        models.center_crop(x, 7, 2)
    with pytest.raises(ValueError, match="padding"):
        models.double_conv(1, 1, padding=2)


# --- FCN's bilinear kernel -----------------------------------------------------------------------

def _fcn_upsample_filt(size):
    # FCN's surgery.upsample_filt, written out independently (any size, odd or even).
    factor = (size + 1) // 2
    center = factor - 1 if size % 2 == 1 else factor - 0.5
    og = np.ogrid[:size, :size]
    return (1 - abs(og[0] - center) / factor) * (1 - abs(og[1] - center) / factor)


@pytest.mark.parametrize("f", [1, 2, 3, 4, 8, 16])
def test_bilinear_kernel_matches_fcn(f):
    assert np.allclose(models.bilinear_kernel(f), _fcn_upsample_filt(2 * f), rtol=0, atol=1e-15)


@pytest.mark.parametrize("f", [2, 4, 8])
def test_bilinear_upsampler_is_half_pixel_bilinear_inside(f):
    image = torch.from_numpy(np.random.default_rng(f).integers(0, 10, (1, 3, 5, 6)).astype(np.float32))
    with torch.no_grad():
        by_conv = models.bilinear_upsampler(3, f)(image)
    by_interp = F.interpolate(image, scale_factor=f, mode="bilinear", align_corners=False)
    b = f // 2
    assert by_conv.shape == by_interp.shape
    assert torch.equal(by_conv[..., b:-b, b:-b], by_interp[..., b:-b, b:-b])
    assert not torch.equal(by_conv, by_interp)  # the border band differs
    with torch.no_grad():
        flat = models.bilinear_upsampler(1, f)(torch.ones(1, 1, 4, 4))[0, 0]
    assert torch.equal(flat[b:-b, b:-b], torch.ones(4 * f - 2 * b, 4 * f - 2 * b))


def test_bilinear_upsampler_channels_are_independent_and_frozen_by_default():
    layer = models.bilinear_upsampler(3, 2)
    assert not layer.weight.requires_grad and layer.bias is None
    assert models.bilinear_upsampler(3, 2, trainable=True).weight.requires_grad
    w = layer.weight.detach()
    assert torch.count_nonzero(w[0, 1]) == 0 and torch.count_nonzero(w[2, 2]) == 16


@pytest.mark.parametrize("call,name", [(lambda: models.bilinear_upsampler(1, 3), "factor"),
                                       (lambda: models.bilinear_kernel(0), "factor"),
                                       (lambda: models.bilinear_upsampler(0, 2), "channels")])
def test_bilinear_rejects_bad_arguments(call, name):
    with pytest.raises(ValueError, match=name):
        call()
