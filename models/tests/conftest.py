"""Models trained once per test session on tiny synthetic streams (a few seconds on a CPU)."""

from pathlib import Path

import pytest

import synthetic
from vigil_models.contract import ModelSpec
from vigil_models.train import train

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def _train(tmp_path_factory, config, lines, name, seed=7):
    root = tmp_path_factory.mktemp(name)
    events = root / f"{name}.jsonl"
    synthetic.write(events, lines)
    spec = ModelSpec.load(CONFIGS / config)
    model = train(spec, events, root / "model", seed=seed, epochs=4, batch_size=64, log=lambda _: None)
    return spec, events, root / "model", model


@pytest.fixture(scope="session")
def sensor_model(tmp_path_factory):
    return _train(tmp_path_factory, "sensor.json", synthetic.sensor_lines(keys=4, events_per_key=150), "sensors")


@pytest.fixture(scope="session")
def transaction_model(tmp_path_factory):
    return _train(tmp_path_factory, "transaction.json", synthetic.transaction_lines(keys=20, events_per_key=40),
                  "transactions")
