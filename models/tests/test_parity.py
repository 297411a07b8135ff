"""Parity vectors: what the job's parity test reads must describe what this package computes."""

import json

import numpy as np

from vigil_models import onnx_io
from vigil_models.features import parse_timestamp
from vigil_models.parity import build_vectors, dead_letter_examples, out_of_range_example, select_lines, to_json


def test_parity_vectors_round_trip_and_rescore_to_the_written_values(sensor_model, tmp_path):
    spec, events, directory, model = sensor_model
    lines = select_lines(spec, events, limit=60, keys=2)
    vectors = json.loads(to_json(build_vectors(directory, lines)))
    assert vectors["model"]["sha256"] == model["onnx"]["sha256"]
    assert vectors["columns"] == spec.columns
    assert vectors["events"] == lines
    # 2 keys x 30 events, window 16 stride 1: 15 windows each, the first at each key's 16th event.
    assert len(vectors["windows"]) == 30
    assert [w["position"] for w in vectors["windows"][:2]] == [15, 16]
    windows = np.array([w["window"] for w in vectors["windows"]], np.float32).reshape(30, 16, 5)
    session = onnx_io.session(directory / "model.onnx")
    reconstruction = session.run(["reconstruction"], {"window": windows})[0]
    written = np.array([w["reconstruction"] for w in vectors["windows"]], np.float32)
    np.testing.assert_array_equal(reconstruction.reshape(30, -1), written)  # float32 text round-trips exactly
    scores, column_errors = onnx_io.errors(windows, reconstruction)
    np.testing.assert_allclose([w["score"] for w in vectors["windows"]], scores, rtol=1e-12)
    np.testing.assert_allclose([w["column_errors"] for w in vectors["windows"]], column_errors, rtol=1e-12)


def test_each_window_names_its_newest_event_by_key_time_and_line(transaction_model):
    spec, events, directory, _ = transaction_model
    lines = select_lines(spec, events, limit=40, keys=3)
    vectors = build_vectors(directory, lines)
    for window in vectors["windows"]:
        event = json.loads(lines[window["event"]])
        assert event["account_id"] == window["key"]
        assert window["timestamp"] == parse_timestamp(event["ts"])


def test_select_lines_takes_the_lines_of_the_first_keys_in_file_order(sensor_model):
    spec, events, _, _ = sensor_model
    lines = select_lines(spec, events, limit=50, keys=3)
    keys = [json.loads(line)["sensor_id"] for line in lines]
    assert len(lines) == 50
    assert sorted(set(keys)) == ["pump-0000", "pump-0001", "pump-0002"]


def test_dead_letter_examples_are_rejected_with_the_reason_they_name(transaction_model):
    spec, events, directory, _ = transaction_model
    lines = select_lines(spec, events, limit=10, keys=2)
    examples = dead_letter_examples(spec, lines[0])
    vectors = build_vectors(directory, lines[:1] + [line for line, _ in examples] + lines[1:])
    assert [(d["event"], d["reason"]) for d in vectors["dead_letters"]] == \
        [(i + 1, reason) for i, (_, reason) in enumerate(examples)]
    assert {reason for _, reason in examples} == {"malformed_json", "missing_key", "bad_timestamp", "missing_feature",
                                                  "non_numeric_feature", "non_finite_feature"}
    assert len(vectors["windows"]) == 10


def test_the_out_of_range_example_puts_a_value_beyond_the_training_range_into_its_keys_last_window(transaction_model):
    spec, events, directory, model = transaction_model
    lines = select_lines(spec, events, limit=20, keys=2)
    index, line = out_of_range_example(spec, lines)
    first_key = json.loads(lines[0])["account_id"]
    assert index == max(i for i, l in enumerate(lines) if json.loads(l)["account_id"] == first_key)
    assert json.loads(line)["amount"] == 1000 * json.loads(lines[index])["amount"]
    vectors = build_vectors(directory, lines[:index] + [line] + lines[index + 1:])
    high = np.array(model["training"]["input_range"]["high"], np.float32)
    beyond = [w["event"] for w in vectors["windows"] if np.any(np.array(w["window"]).reshape(-1, len(high)) > high)]
    assert beyond == [index]
