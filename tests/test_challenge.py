"""The offline challenge (widgets.challenge): data, the four generators, one training step."""

import numpy as np
import pytest
import torch

from widgets import challenge


def test_data_ships_offline_and_is_scaled():
    data = challenge.digits_16(limit=50)
    assert tuple(data.shape) == (50, 1, 16, 16)
    assert float(data.min()) >= -1 and float(data.max()) <= 1


@pytest.mark.parametrize("kind", challenge.UPSAMPLERS)
def test_generators_differ_only_in_the_upsampler(kind):
    g = challenge.Generator(kind, latent_dim=8, width=4)
    out = g(torch.randn(3, 8))
    assert tuple(out.shape) == (3, 1, 16, 16)
    counts = {kind: sum(isinstance(m, kind) for m in g.modules())
              for kind in (torch.nn.ConvTranspose2d, torch.nn.Upsample, torch.nn.PixelShuffle)}
    transposed = [m for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    expected = {"convT K3 S2": (2, 0, 0), "convT K4 S2": (2, 0, 0), "nearest + conv": (0, 2, 0),
                "conv + shuffle (ICNR)": (0, 0, 2)}[kind]
    assert tuple(counts.values()) == expected
    size = {"convT K3 S2": 3, "convT K4 S2": 4}.get(kind)
    assert all(m.kernel_size == (size, size) and m.stride == (2, 2) for m in transposed)


def test_the_shuffle_arm_starts_as_a_nearest_upsample():
    # ICNR: each r x r block of the shuffled output starts equal, so a constant input gives
    # a constant output before any training (its phase sums are equal).
    torch.manual_seed(0)
    layer = challenge.ARMS["conv + shuffle (ICNR)"](3, 2)
    out = layer(torch.randn(1, 3, 4, 4))
    assert torch.allclose(out[..., 0::2, 0::2], out[..., 1::2, 1::2])
    assert torch.allclose(out[..., 0::2, 0::2], out[..., 0::2, 1::2])


def test_any_callable_is_an_upsampler():
    seen = []

    def upsampler(c_in, c_out):
        seen.append((c_in, c_out))
        return torch.nn.Sequential(torch.nn.Upsample(scale_factor=2),
                                   torch.nn.Conv2d(c_in, c_out, 1))

    g = challenge.Generator(upsampler, latent_dim=8, width=4)
    assert seen == [(8, 4), (4, 1)]
    assert tuple(g(torch.randn(2, 8)).shape) == (2, 1, 16, 16)


def test_one_training_step_on_cpu_changes_both_networks():
    torch.manual_seed(0)
    g, d = challenge.Generator("convT K3 S2", latent_dim=8, width=4), challenge.Discriminator(4)
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-3)
    before_g = [p.detach().clone() for p in g.parameters()]
    before_d = [p.detach().clone() for p in d.parameters()]
    loss_d, loss_g = challenge.train_step(g, d, opt_g, opt_d, challenge.digits_16(limit=8),
                                          torch.randn(8, 8))
    assert np.isfinite(loss_d) and np.isfinite(loss_g)
    assert any(not torch.equal(a, b) for a, b in zip(before_g, g.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(before_d, d.parameters()))


def test_train_gan_tiny_is_deterministic_and_measurable():
    config = challenge.ChallengeConfig(steps=2, batch_size=4, width=4, latent_dim=8)
    data = challenge.digits_16(limit=16)
    runs = [challenge.train_gan("nearest + conv", config, data=data, seed=3, device="cpu")
            for _ in range(2)]
    (g1, l1), (g2, l2) = runs
    assert l1.shape == (2, 2) and np.array_equal(l1, l2)
    s1, s2 = challenge.samples(g1, count=4), challenge.samples(g2, count=4)
    assert s1.shape == (4, 16, 16) and np.array_equal(s1, s2)
    assert 0.0 <= challenge.sample_energy(s1) <= 1.0


def test_sample_energy_sees_a_checkerboard_and_crops_to_even():
    y, x = np.mgrid[0:16, 0:16]
    smooth = np.repeat(np.cos(2 * np.pi * x / 16)[None], 2, axis=0)
    checker = smooth + 0.5 * (-1.0) ** (x + y)
    # 16x16 cropped by 1 pixel per side is 14x14: even, so the measure accepts it.
    assert challenge.sample_energy(smooth) < 0.001 < 0.3 < challenge.sample_energy(checker)
    assert challenge.sample_energy(smooth, border=0) < 1e-12


def test_full_mode_is_the_same_model_wider():
    g = challenge.Generator("convT K3 S2", challenge.FULL.latent_dim, challenge.FULL.width)
    assert tuple(g(torch.randn(2, challenge.FULL.latent_dim)).shape) == (2, 1, 16, 16)
    d = challenge.Discriminator(challenge.FULL.width)
    assert tuple(d(torch.zeros(2, 1, 16, 16)).shape) == (2,)


def test_config_and_device():
    assert challenge.QUICK.steps < challenge.FULL.steps
    assert challenge.default_device() in ("cpu", "cuda")
    with pytest.raises(ValueError, match="upsampler"):
        challenge.Generator("bilinear")


def test_quick_mode_trains_in_float64_and_samples_follow_the_weights():
    # float64 keeps the quick mode's printed scores the same on every CPU kernel family.
    assert challenge.QUICK.dtype == torch.float64 and challenge.FULL.dtype == torch.float32
    config = challenge.ChallengeConfig(steps=2, batch_size=4, width=4, latent_dim=8,
                                       dtype=torch.float64)
    g, losses = challenge.train_gan("conv + shuffle (ICNR)", config,
                                    data=challenge.digits_16(limit=16), seed=0, device="cpu")
    assert all(p.dtype == torch.float64 for p in g.parameters())
    assert challenge.samples(g, count=2).dtype == np.float64 and np.isfinite(losses).all()
