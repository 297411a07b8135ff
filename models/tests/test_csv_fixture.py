"""The CSV-trained LSTM committed for the job's parity test (reproduce_csv.sh): its vectors describe
what this package computes from the committed CSV, and the model does what it was trained for."""

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import synthetic
from vigil_models.csv_data import read_csv
from vigil_models.parity import TOLERANCE, build_vectors

MODELS = Path(__file__).resolve().parent.parent
DATA = MODELS / "tests" / "data" / "machines.csv"
PARITY = MODELS.parent / "job" / "src" / "test" / "resources" / "parity"


@pytest.fixture(scope="module")
def vectors():
    return json.loads((PARITY / "machines-lstm.json").read_text(encoding="utf-8"))


def test_the_committed_csv_is_the_synthetic_generator_output():
    assert DATA.read_text(encoding="utf-8") == synthetic.machine_csv(keys=3, rows_per_key=150, seed=7)


def test_the_vectors_are_the_csv_events_and_rescore_to_the_written_values(vectors):
    events = read_csv(DATA).events
    accepted = [e for i, e in enumerate(vectors["events"]) if i not in {d["event"] for d in vectors["dead_letters"]}]
    assert accepted == events[:len(accepted)]  # 3 keys: the file's first rows, in file order
    assert {d["reason"] for d in vectors["dead_letters"]} >= {"malformed_json", "missing_key", "bad_timestamp"}
    again = build_vectors(PARITY / "machines-lstm", vectors["events"])
    assert again["model"] == vectors["model"] and again["dead_letters"] == vectors["dead_letters"]
    assert len(again["windows"]) == len(vectors["windows"]) == 179
    for mine, written in zip(again["windows"], vectors["windows"]):
        assert (mine["key"], mine["timestamp"], mine["position"]) == (written["key"], written["timestamp"],
                                                                      written["position"])
        np.testing.assert_array_equal(mine["window"], np.asarray(written["window"], np.float32))
        assert mine["score"] == pytest.approx(written["score"], abs=TOLERANCE)


def test_windows_holding_a_labelled_spike_score_above_every_normal_window(vectors):
    rows = read_csv(DATA)
    spikes = {event for event, label in zip(rows.events, rows.labels) if label == 1}
    rejected = {d["event"] for d in vectors["dead_letters"]}
    by_key = defaultdict(list)  # each key's accepted events, in order (the file is in time order)
    for i, event in enumerate(vectors["events"]):
        if i not in rejected:
            by_key[json.loads(event)["key"]].append(event)
    size = vectors["window"]["size"]
    with_spike, normal = [], []
    for w in vectors["windows"]:
        steps = by_key[w["key"]][w["position"] - size + 1:w["position"] + 1]
        (with_spike if spikes.intersection(steps) else normal).append(w["score"])
    assert len(with_spike) == 24  # 3 spikes in the vectors' events, each in 8 windows
    assert min(with_spike) > 10 * max(normal)
