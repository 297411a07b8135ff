"""Autoencoders over windows: every kind maps float32 [batch, W, C] to a reconstruction of the same
shape, which is what the ONNX contract fixes. Adding a kind is one subclass of WindowAutoencoder
registered in KINDS; training, export and calibration do not change.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class WindowAutoencoder(nn.Module):
    """Base of every kind: knows its window shape and describes its architecture for model.json.

    ``forward`` is what is exported and scored: a deterministic reconstruction. ``training_loss`` is
    what training minimizes; by default the mean squared error of ``forward``, the score itself."""

    kind: str = ""

    def __init__(self, window_size: int, n_columns: int):
        super().__init__()
        self.window_size = window_size
        self.n_columns = n_columns

    def training_loss(self, window: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(self(window), window)

    def describe(self) -> dict[str, Any]:
        raise NotImplementedError


def _next_power_of_two(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


class DenseAutoencoder(WindowAutoencoder):
    """A fully connected autoencoder over the flattened window (D = W·C inputs).

    Sizes follow D so one class serves a 1-step tabular window and a 16-step sensor window:
      hidden     h = next power of two >= D, clamped to [32, 256]
      bottleneck b = round(D / 4), clamped to [4, 32]
      D -> h -> h/2 -> b -> h/2 -> h -> D, ReLU after each hidden layer; the bottleneck code and the
      output are linear (z-scores are signed).
    The bottleneck is what makes it an anomaly detector: about a quarter of the input's dimensions
    is enough for correlated normal data (sensor channels move together, steps are smooth; one-hot
    groups carry one choice each) but not to copy an arbitrary input through. For the sensor model
    (W=16, C=5) that is 80 -> 128 -> 64 -> 20 -> 64 -> 128 -> 80 (about 40k weights); for the
    transaction model (W=1, C=22) 22 -> 32 -> 16 -> 6 -> 16 -> 32 -> 22.
    """

    kind = "dense"

    def __init__(self, window_size: int, n_columns: int, bottleneck: int | None = None):
        super().__init__(window_size, n_columns)
        d = window_size * n_columns
        h = min(256, max(32, _next_power_of_two(d)))
        b = bottleneck or min(32, max(4, round(d / 4)))
        self.sizes = [d, h, h // 2, b, h // 2, h, d]
        self.encoder = nn.Sequential(
            nn.Linear(d, h), nn.ReLU(),
            nn.Linear(h, h // 2), nn.ReLU(),
            nn.Linear(h // 2, b),
        )
        self.decoder = nn.Sequential(
            nn.Linear(b, h // 2), nn.ReLU(),
            nn.Linear(h // 2, h), nn.ReLU(),
            nn.Linear(h, d),
        )

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        # Flatten and restore inside the graph so that the ONNX input and output are [batch, W, C].
        flat = window.flatten(start_dim=1)
        return self.decoder(self.encoder(flat)).unflatten(1, (self.window_size, self.n_columns))

    def describe(self) -> dict[str, Any]:
        return {"layers": self.sizes, "activation": "relu",
                "parameters": sum(p.numel() for p in self.parameters())}


def _default_bottleneck(window_size: int, n_columns: int) -> int:
    """A quarter of the window's values, in [4, 32]: the width every kind's code defaults to."""
    return min(32, max(4, round(window_size * n_columns / 4)))


class LstmAutoencoder(WindowAutoencoder):
    """A sequence autoencoder: an encoder LSTM reads the window, its last hidden state is projected
    to a code of width b, the code is repeated at every step as the input of a decoder LSTM, and a
    linear layer maps each decoder state back to the C columns.

      encoder   LSTM(C -> H) over W steps, last hidden state -> Linear(H -> b)
      decoder   code repeated W times -> LSTM(b -> H) -> Linear(H -> C) at each step
      H = next power of two >= 4·C, in [32, 128]; b as dense (a quarter of W·C, in [4, 32])

    Unlike the dense kind it shares its weights across steps, so it learns how a stream moves from
    step to step rather than one weight per (step, column); a window must still pass through the
    b-wide code, which is what makes it fail on what it has not seen. One layer each way: the
    windows are short (tens of steps), and a second layer doubled training time for no gain on the
    test streams.
    """

    kind = "lstm"

    def __init__(self, window_size: int, n_columns: int, bottleneck: int | None = None):
        super().__init__(window_size, n_columns)
        self.hidden = min(128, max(32, _next_power_of_two(4 * n_columns)))
        self.code = bottleneck or _default_bottleneck(window_size, n_columns)
        self.encoder = nn.LSTM(n_columns, self.hidden, batch_first=True)
        self.to_code = nn.Linear(self.hidden, self.code)
        self.decoder = nn.LSTM(self.code, self.hidden, batch_first=True)
        self.to_columns = nn.Linear(self.hidden, n_columns)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        _, (last, _) = self.encoder(window)  # last: [1, batch, H]
        code = self.to_code(last[0])
        # The same code at every step: the decoder must unfold the whole window from it.
        steps = code.unsqueeze(1).expand(-1, self.window_size, -1)
        decoded, _ = self.decoder(steps)
        return self.to_columns(decoded)

    def describe(self) -> dict[str, Any]:
        return {"encoder": f"LSTM({self.n_columns}->{self.hidden})", "code": self.code,
                "decoder": f"LSTM({self.code}->{self.hidden}) -> Linear({self.hidden}->{self.n_columns})",
                "parameters": sum(p.numel() for p in self.parameters())}


class ConvAutoencoder(WindowAutoencoder):
    """A 1-D convolutional autoencoder over time: the C columns are channels, the W steps the length.

      encoder   Conv1d(C -> F, k3) ReLU, then L halvings: Conv1d(F -> F, k3, stride 2) ReLU,
                flatten -> Linear -> code of width b
      decoder   Linear -> unflatten, L × ConvTranspose1d(F -> F, k3, stride 2) ReLU, Conv1d(F -> C, k3)
      F = next power of two >= 2·C, in [16, 64]; L = halvings while the length stays >= 4, at most 3;
      b as dense (a quarter of W·C, in [4, 32])

    Convolutions see local shapes (a spike, a step, a flat stretch) wherever they occur in the window;
    the linear code in the middle is the bottleneck, as in the dense kind, so the model cannot copy
    its input through. Each transposed convolution restores exactly the length its convolution
    halved (output padding 1 for an even length, 0 for an odd one), so any W works, W = 1 included.
    """

    kind = "conv"

    def __init__(self, window_size: int, n_columns: int, bottleneck: int | None = None):
        super().__init__(window_size, n_columns)
        self.filters = f = min(64, max(16, _next_power_of_two(2 * n_columns)))
        self.code = bottleneck or _default_bottleneck(window_size, n_columns)
        lengths = [window_size]
        while len(lengths) <= 3 and (lengths[-1] + 1) // 2 >= 4:
            lengths.append((lengths[-1] + 1) // 2)  # a stride-2, padding-1, kernel-3 conv: ceil(L/2)
        self.lengths = lengths
        down: list[nn.Module] = [nn.Conv1d(n_columns, f, 3, padding=1), nn.ReLU()]
        for _ in lengths[1:]:
            down += [nn.Conv1d(f, f, 3, stride=2, padding=1), nn.ReLU()]
        self.down = nn.Sequential(*down)
        self.to_code = nn.Linear(f * lengths[-1], self.code)
        self.from_code = nn.Linear(self.code, f * lengths[-1])
        up: list[nn.Module] = [nn.ReLU()]
        for longer in reversed(lengths[:-1]):
            up += [nn.ConvTranspose1d(f, f, 3, stride=2, padding=1, output_padding=1 - longer % 2), nn.ReLU()]
        up.append(nn.Conv1d(f, n_columns, 3, padding=1))
        self.up = nn.Sequential(*up)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        features = self.down(window.transpose(1, 2))  # [batch, F, L]
        code = self.to_code(features.flatten(start_dim=1))
        restored = self.from_code(code).unflatten(1, (self.filters, self.lengths[-1]))
        return self.up(restored).transpose(1, 2)

    def describe(self) -> dict[str, Any]:
        return {"filters": self.filters, "lengths": self.lengths, "code": self.code, "kernel": 3,
                "activation": "relu", "parameters": sum(p.numel() for p in self.parameters())}


class VariationalAutoencoder(WindowAutoencoder):
    """A variational autoencoder over the flattened window, with the dense kind's layer sizes:
    D -> h -> h/2 -> (mean, log-variance) of a b-dimensional Gaussian code -> h/2 -> h -> D.

    Training maximizes the ELBO with a Gaussian decoder of fixed variance 1/2: per window the
    negative ELBO is sum((x - x̂)²) + KL(q(z|x) || N(0, I)) up to a constant, minimized here divided
    by D (the mean squared error plus KL/D) so that its scale, and the learning rate, match the other
    kinds. x̂ decodes one sample z = mean + σ·ε per window (the reparameterization trick).

    ``forward``, which is exported and scored, is the deterministic path: encoder mean -> decoder.
    The job's score, the mean squared reconstruction error, is then the decoder's Gaussian negative
    log-likelihood of the window at the code's mean, up to a positive factor and a constant: the
    same ranking of windows, in the same units as every other kind. The KL term regularizes the
    code (neighbouring codes decode to similar windows), which is the VAE's benefit over the plain
    dense kind when normal data is noisy.
    """

    kind = "vae"

    def __init__(self, window_size: int, n_columns: int, bottleneck: int | None = None):
        super().__init__(window_size, n_columns)
        d = window_size * n_columns
        h = min(256, max(32, _next_power_of_two(d)))
        b = bottleneck or _default_bottleneck(window_size, n_columns)
        self.sizes = [d, h, h // 2, b, h // 2, h, d]
        self.encoder = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h // 2), nn.ReLU())
        self.mean = nn.Linear(h // 2, b)
        self.log_variance = nn.Linear(h // 2, b)
        self.decoder = nn.Sequential(
            nn.Linear(b, h // 2), nn.ReLU(),
            nn.Linear(h // 2, h), nn.ReLU(),
            nn.Linear(h, d),
        )

    def _decode(self, code: torch.Tensor) -> torch.Tensor:
        return self.decoder(code).unflatten(1, (self.window_size, self.n_columns))

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        return self._decode(self.mean(self.encoder(window.flatten(start_dim=1))))

    def training_loss(self, window: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(window.flatten(start_dim=1))
        mean, log_variance = self.mean(hidden), self.log_variance(hidden)
        # Sampled with the global torch generator, which training seeds: a run stays reproducible.
        code = mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
        reconstruction = nn.functional.mse_loss(self._decode(code), window)
        kl = -0.5 * torch.sum(1 + log_variance - mean.square() - log_variance.exp(), dim=1).mean()
        return reconstruction + kl / (self.window_size * self.n_columns)

    def describe(self) -> dict[str, Any]:
        return {"layers": self.sizes, "activation": "relu", "code": "gaussian (mean, log-variance)",
                "loss": "negative ELBO per value: MSE + KL / (W*C)", "exported": "encoder mean -> decoder",
                "parameters": sum(p.numel() for p in self.parameters())}


class Ensemble(WindowAutoencoder):
    """Members of one kind, trained apart from different seeds, exported as one graph whose
    reconstruction is the mean of theirs: what the job scores needs no change.

    A model trained on a few hundred windows reaches a different fit from each seed, and so a
    different score for the same window; the mean reconstruction keeps what the members agree on.
    Its squared error is the members' mean squared error less their spread around the mean
    (bias-variance), so its validation loss is never above the members' average."""

    def __init__(self, members: list[WindowAutoencoder]):
        first = members[0]
        super().__init__(first.window_size, first.n_columns)
        self.kind = first.kind
        self.members = nn.ModuleList(members)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        # Additions rather than stack + mean: with ReduceMean (whose axes became an input in opset 18)
        # the exporter's graph stays at opset 18 instead of the contract's 17.
        total = self.members[0](window)
        for member in self.members[1:]:
            total = total + member(window)
        return total / len(self.members)

    def describe(self) -> dict[str, Any]:
        return {"ensemble": len(self.members), "member": self.members[0].describe(),
                "parameters": sum(p.numel() for p in self.parameters())}


class InputsClamped(WindowAutoencoder):
    """A trained model that reads each column clamped to [low, high], while its reconstruction is
    still compared with what the column really holds.

    A network is only known where it was trained. A column constant in training (a category no
    training event had, a sensor stuck at one value) is always 0 once normalized, so the weights
    that read it never get a gradient and keep their random initial values: a value there that
    training never showed (a never-seen category comes in at z = 1000, the column's std being
    floored) would go through those random weights and throw every other column's reconstruction
    far out, so that an alert's runner-up features named columns that were perfectly normal.
    Clamped to [0, 0], such a column is read as the 0 it was trained on, and its own error is the
    whole surprise. With the whole training range as the bounds (``clamp_to_training_range`` in the
    config), a value beyond anything in training is read as the edge of that range instead of
    being extrapolated: a ReLU network tends to carry a far-out input partly through to its output
    and so to reconstruct some of the very anomaly it should miss.

    The model is wrapped after training, and the bounds are the training windows' extremes, so on
    every training window the exported graph reconstructs what the trained network did; it only
    gains a Max and a Min."""

    def __init__(self, model: WindowAutoencoder, low: list[float], high: list[float]):
        super().__init__(model.window_size, model.n_columns)
        self.kind = model.kind
        self.model = model
        self.register_buffer("low", torch.tensor(low, dtype=torch.float32))
        self.register_buffer("high", torch.tensor(high, dtype=torch.float32))

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        return self.model(torch.maximum(torch.minimum(window, self.high), self.low))

    def describe(self) -> dict[str, Any]:
        bounded = torch.isfinite(self.low) | torch.isfinite(self.high)
        return {**self.model.describe(), "inputs_clamped": int(bounded.sum())}


KINDS: dict[str, type[WindowAutoencoder]] = {
    kind.kind: kind for kind in (DenseAutoencoder, LstmAutoencoder, ConvAutoencoder, VariationalAutoencoder)
}


def build(kind: str, window_size: int, n_columns: int, bottleneck: int | None = None) -> WindowAutoencoder:
    if kind not in KINDS:
        raise ValueError(f"unknown model kind '{kind}' (known: {', '.join(sorted(KINDS))})")
    return KINDS[kind](window_size, n_columns, bottleneck)
