"""Every kind in autoencoders.KINDS maps [batch, W, C] to a reconstruction of the same shape, trains,
and exports to an ONNX graph (opset 17, dynamic batch) that ONNX Runtime runs as torch does."""

import math

import numpy as np
import onnx
import pytest
import torch

from vigil_models import autoencoders, onnx_io
from vigil_models.train import fit, seed_everything


def test_the_registry_holds_the_four_kinds_and_an_unknown_kind_is_an_error():
    assert sorted(autoencoders.KINDS) == ["conv", "dense", "lstm", "vae"]
    with pytest.raises(ValueError, match=r"unknown model kind 'gru' \(known: conv, dense, lstm, vae\)"):
        autoencoders.build("gru", 8, 3)


@pytest.mark.parametrize("kind", sorted(autoencoders.KINDS))
@pytest.mark.parametrize("window_size, n_columns", [(1, 4), (7, 3), (16, 5)])
def test_each_kind_reconstructs_a_window_of_its_shape(kind, window_size, n_columns):
    torch.manual_seed(0)
    model = autoencoders.build(kind, window_size, n_columns).eval()
    x = torch.randn(5, window_size, n_columns)
    with torch.no_grad():
        assert model(x).shape == x.shape
    assert model.describe()["parameters"] == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("window_size", range(1, 21))
def test_conv_restores_every_window_length_its_halvings_shorten(window_size):
    model = autoencoders.build("conv", window_size, 2).eval()
    # Lengths halve (rounding up) while they stay >= 4, at most three times.
    assert all(b == (a + 1) // 2 >= 4 for a, b in zip(model.lengths, model.lengths[1:]))
    assert len(model.lengths) <= 4
    with torch.no_grad():
        assert model(torch.zeros(3, window_size, 2)).shape == (3, window_size, 2)


def test_the_code_width_is_a_quarter_of_the_window_in_4_to_32_or_the_configured_bottleneck():
    assert autoencoders.build("lstm", 16, 5).code == 20
    assert autoencoders.build("conv", 2, 3).code == 4
    assert autoencoders.build("vae", 64, 8).sizes[3] == 32
    assert autoencoders.build("lstm", 16, 5, bottleneck=3).code == 3


def test_the_vae_scores_its_deterministic_path_and_trains_on_the_elbo():
    torch.manual_seed(0)
    model = autoencoders.build("vae", 4, 3).eval()
    x = torch.randn(6, 4, 3)
    with torch.no_grad():
        hidden = model.encoder(x.flatten(1))
        # forward decodes the encoder's mean: no sampling, so the exported graph is deterministic.
        assert torch.equal(model(x), model._decode(model.mean(hidden)))
        assert torch.equal(model(x), model(x))
        torch.manual_seed(1)
        loss = model.training_loss(x)
        torch.manual_seed(1)
        mean, log_variance = model.mean(hidden), model.log_variance(hidden)
        code = mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
        kl = -0.5 * (1 + log_variance - mean.square() - log_variance.exp()).sum(1).mean()
        expected = torch.nn.functional.mse_loss(model._decode(code), x) + kl / 12
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_every_kind_but_the_vae_trains_on_the_mean_squared_error_of_its_reconstruction():
    torch.manual_seed(0)
    x = torch.randn(4, 5, 2)
    for kind in ("dense", "lstm", "conv"):
        model = autoencoders.build(kind, 5, 2).eval()
        with torch.no_grad():
            assert model.training_loss(x).item() == pytest.approx(torch.mean((model(x) - x) ** 2).item(), rel=1e-6)


def _smooth_windows(n, window_size, n_columns, seed=0):
    """Windows of phase-shifted sines: something structured for a few epochs to learn."""
    rng = np.random.default_rng(seed)
    t = np.arange(window_size)[None, :, None] + rng.uniform(0, 50, (n, 1, 1))
    scale = np.linspace(0.5, 1.5, n_columns)[None, None, :]
    return torch.from_numpy((np.sin(t / 4) * scale + rng.normal(0, 0.05, (n, window_size, n_columns)))
                            .astype(np.float32))


@pytest.mark.parametrize("kind", sorted(autoencoders.KINDS))
def test_each_kind_trains_and_its_onnx_export_equals_torch_within_1e5(kind, tmp_path):
    seed_everything(3)
    window_size, n_columns = 8, 3
    model = autoencoders.build(kind, window_size, n_columns)
    train, val = _smooth_windows(128, window_size, n_columns), _smooth_windows(32, window_size, n_columns, seed=1)
    with torch.no_grad():
        before = torch.mean((model.eval()(val) - val) ** 2).item()
    epochs, best = fit(model, train, val, epochs=6, batch_size=32, lr=3e-3, patience=6, seed=3)
    assert epochs == 6 and math.isfinite(best) and best < before  # it learned something

    path = tmp_path / "model.onnx"
    onnx_io.export(model, path)
    onnx_io.verify(path, model)  # the checks training runs: names, opset, shapes, runtime vs torch
    graph = onnx.load(str(path))
    assert {o.domain: o.version for o in graph.opset_import}[""] == 17
    for value in (graph.graph.input[0], graph.graph.output[0]):
        assert [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim] == \
            ["batch", window_size, n_columns]
    session = onnx_io.session(path)
    model.eval()
    for batch in (1, 7, 64):
        x = _smooth_windows(batch, window_size, n_columns, seed=batch).numpy() * 3  # off the training data too
        with torch.no_grad():
            expected = model(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(session.run(["reconstruction"], {"window": x})[0], expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("kind", sorted(autoencoders.KINDS))
def test_each_kind_exports_clamped_reading_a_value_beyond_its_bounds_as_the_edge(kind, tmp_path):
    torch.manual_seed(3)
    window_size, n_columns = 8, 3
    model = autoencoders.build(kind, window_size, n_columns).eval()
    train = _smooth_windows(64, window_size, n_columns)
    low, high = train.amin((0, 1)), train.amax((0, 1))
    clamped = autoencoders.InputsClamped(model, low.tolist(), high.tolist()).eval()
    path = tmp_path / "model.onnx"
    onnx_io.export(clamped, path)
    onnx_io.verify(path, clamped)
    session = onnx_io.session(path)

    beyond = _smooth_windows(7, window_size, n_columns, seed=7) * 3
    edge = torch.maximum(torch.minimum(beyond, high), low)
    assert (beyond - edge).abs().max() > 1  # the test reaches past the bounds
    with torch.no_grad():
        for x, read_as in ((beyond, edge), (train, train)):  # inside the bounds nothing changes
            np.testing.assert_allclose(session.run(["reconstruction"], {"window": x.numpy()})[0],
                                       model(read_as).numpy(), rtol=0, atol=1e-5)
