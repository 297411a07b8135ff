"""Autoencoders over windows: every kind maps float32 [batch, W, C] to a reconstruction of the same
shape, which is what the ONNX contract fixes. Adding a kind is one subclass of WindowAutoencoder
registered in KINDS; training, export and calibration do not change.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class WindowAutoencoder(nn.Module):
    """Base of every kind: knows its window shape and describes its architecture for model.json."""

    kind: str = ""

    def __init__(self, window_size: int, n_columns: int):
        super().__init__()
        self.window_size = window_size
        self.n_columns = n_columns

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


KINDS: dict[str, type[WindowAutoencoder]] = {DenseAutoencoder.kind: DenseAutoencoder}


def build(kind: str, window_size: int, n_columns: int, bottleneck: int | None = None) -> WindowAutoencoder:
    if kind not in KINDS:
        raise ValueError(f"unknown model kind '{kind}' (known: {', '.join(sorted(KINDS))})")
    return KINDS[kind](window_size, n_columns, bottleneck)
