"""Training on a labelled CSV: every kind writes a model.json + model.onnx the job reads, trained on the
normal rows only."""

import hashlib
import json

import numpy as np
import onnxruntime as ort
import pytest

import synthetic
from vigil_models import autoencoders, onnx_io
from vigil_models.contract import read_model_json
from vigil_models.csv_data import KEYLESS, read_csv
from vigil_models.parity import build_vectors
from vigil_models.train_csv import main, train_csv

QUIET = {"log": lambda _: None}


@pytest.fixture(scope="module", params=sorted(autoencoders.KINDS))
def csv_model(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"csv-{request.param}")
    data = root / "machines.csv"
    data.write_text(synthetic.machine_csv(keys=3, rows_per_key=120), encoding="utf-8")
    model = train_csv(data, root / "model", kind=request.param, window_size=8, epochs=2, batch_size=64, **QUIET)
    return request.param, data, root / "model", model


def test_every_kind_writes_the_contract_the_job_reads(csv_model):
    kind, data, directory, written = csv_model
    model = read_model_json(directory)  # the checks the job runs at start-up
    assert model == written
    assert (model["name"], model["stream"], model["kind"]) == (f"machines-{kind}", "machines", kind)
    assert (model["key"], model["timestamp"]) == ("key", "timestamp")
    assert model["features"] == [{"name": c, "path": c, "encoding": "numeric"} for c in ("speed", "temperature", "power")]
    assert model["columns"] == ["speed", "temperature", "power"]
    assert model["window"] == {"size": 8, "stride": 1}
    assert model["onnx"]["sha256"] == hashlib.sha256((directory / "model.onnx").read_bytes()).hexdigest()
    assert model["training"]["data"] == "machines.csv"
    assert model["training"]["anomalous_rows"] == 6  # rows 49 and 99 of each of the 3 keys
    assert model["calibration"]["samples"] == model["training"]["windows"]["validation"]


def test_every_kind_scores_the_csv_rows_as_computed_by_hand_from_the_file(csv_model):
    _, data, directory, _ = csv_model
    events = read_csv(data).events[:60]
    vectors = build_vectors(directory, events)
    assert vectors["dead_letters"] == []  # the job accepts every event the reader writes
    assert len(vectors["windows"]) == 60 - 3 * 7  # 3 keys of 20 events: 13 windows each
    model = read_model_json(directory)
    mean, std = (np.array(model["normalization"][k]) for k in ("mean", "std"))
    rows = [json.loads(e) for e in events]
    for w in vectors["windows"]:
        # The window is the key's last 8 rows up to its time, each reading (x - mean) / std.
        own = [r for r in rows if r["key"] == w["key"] and r["timestamp"] <= w["timestamp"]][-8:]
        expected = (np.array([[r["speed"], r["temperature"], r["power"]] for r in own]) - mean) / std
        np.testing.assert_allclose(np.reshape(w["window"], (8, 3)), expected, rtol=0, atol=1e-4)
    np.testing.assert_allclose([w["score"] for w in vectors["windows"]], _onnx_scores(directory, vectors), rtol=1e-6)


def _onnx_scores(directory, vectors):
    """The mean squared error of the parity vectors' windows against what ONNX Runtime itself returns for
    them, in plain numpy, apart from the training code's scoring functions."""
    model = read_model_json(directory)
    shape = (len(vectors["windows"]), model["window"]["size"], len(model["columns"]))
    windows = np.array([w["window"] for w in vectors["windows"]], np.float32).reshape(shape)
    session = ort.InferenceSession(str(directory / "model.onnx"), providers=["CPUExecutionProvider"])
    reconstruction = session.run([model["onnx"]["output"]], {model["onnx"]["input"]: windows})[0]
    return np.mean((windows.astype(np.float64) - reconstruction) ** 2, axis=(1, 2))


def _train_one_key(tmp_path, **csv):
    data = tmp_path / "one.csv"
    data.write_text(synthetic.machine_csv(keys=1, rows_per_key=100, **csv), encoding="utf-8")
    return data, train_csv(data, tmp_path / "model", kind="dense", window_size=8, epochs=1, **QUIET)


def test_windows_holding_a_labelled_row_are_neither_trained_nor_validated(tmp_path):
    data, model = _train_one_key(tmp_path)  # rows 49 and 99 are labelled spikes
    # Rows 0-79 train, 80-99 validate. Training windows end at 7..79 (73), less the 8 that hold row
    # 49; validation windows end at 87..99 (13, none spanning the boundary), less the one ending at 99.
    assert model["training"]["windows"] == {"train": 65, "validation": 12}
    # Normalization is fitted on the normal training rows only: the +400 spike at row 49 is left out.
    speeds = [json.loads(e)["speed"] for e in read_csv(data).events[:80]]
    normal = np.array([s for i, s in enumerate(speeds) if i != 49])
    assert model["normalization"]["mean"][0] == pytest.approx(normal.mean(), rel=1e-6)
    assert model["normalization"]["std"][0] == pytest.approx(normal.std(), rel=1e-5)


def test_without_a_label_column_every_row_trains(tmp_path):
    _, model = _train_one_key(tmp_path, label_column=False)
    assert model["training"]["windows"] == {"train": 73, "validation": 13}
    assert model["training"]["anomalous_rows"] is None


def test_a_file_without_key_column_trains_one_entity(tmp_path):
    data, model = _train_one_key(tmp_path, key_column=False)
    assert model["training"]["keys"] == 1
    assert {json.loads(e)["key"] for e in read_csv(data).events} == {KEYLESS}
    assert model["key"] == "key"


def test_a_column_constant_in_training_that_moves_in_validation_is_warned_of_and_model_json_is_unchanged(
        tmp_path, capsys):
    # One key, 100 rows: rows 0-79 train, 80-99 validate (windows ending at 87..99). The valve opens at
    # row 90, so the 10 windows ending at 90..99 hold a value 1000 floored stds off the training one.
    def write(name, opens_at):
        data = tmp_path / name
        data.write_text("timestamp,speed,valve\n" + "".join(
            f"{1767225600000 + 1000 * i},{1500 + 10 * np.sin(i / 3):.3f},{int(i >= opens_at)}\n" for i in range(100)))
        return train_csv(data, tmp_path / name.removesuffix(".csv"), kind="dense", window_size=8, epochs=1, **QUIET)

    model = write("opens.csv", opens_at=90)
    assert capsys.readouterr().err.splitlines()[-1] == (
        "warning: opens.csv: columns constant in training take another value in 10 of 13 validation windows "
        "(valve in 10); those windows score far above the others (the column's std is floored) and inflate "
        "the calibration's quantiles")
    assert model["calibration"]["quantiles"]["0.5"] > 1000  # z = 1000 in one of a window's 16 values: 1000² / 16
    steady = write("steady.csv", opens_at=100)
    assert "warning" not in capsys.readouterr().err
    # The warning is all: model.json holds what it held before, so the models built before stay as they were.
    assert set(model) == set(steady) and set(model["training"]) == set(steady["training"])
    assert model["training"]["constant_columns"] == steady["training"]["constant_columns"] == ["valve"]


def test_a_file_of_anomalies_only_is_an_error(tmp_path):
    data = tmp_path / "bad.csv"
    data.write_text("timestamp,x,label\n1000,1,1\n2000,2,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="every row is labelled 1"):
        train_csv(data, tmp_path / "model", window_size=1, **QUIET)


def test_the_command_line_trains_a_kind_and_reports_a_bad_row_by_file_line_and_column(tmp_path, capsys):
    data = tmp_path / "m.csv"
    data.write_text(synthetic.machine_csv(keys=2, rows_per_key=60), encoding="utf-8")
    main(["--data", str(data), "--out", str(tmp_path / "conv"), "--kind", "conv", "--window", "4", "--stride", "2",
          "--epochs", "1", "--features", "power,speed", "--name", "m", "--version", "2.0.0", "--seed", "3"])
    model = read_model_json(tmp_path / "conv")
    assert (model["name"], model["version"], model["kind"], model["columns"], model["window"], model["training"]["seed"]) \
        == ("m", "2.0.0", "conv", ["power", "speed"], {"size": 4, "stride": 2}, 3)
    assert "epoch" in capsys.readouterr().err  # the progress bar

    lines = data.read_text().splitlines()
    fields = lines[5].split(",")
    fields[2] = "fast"  # line 6 of the file, column 3 (speed)
    lines[5] = ",".join(fields)
    data.write_text("\n".join(lines) + "\n")
    with pytest.raises(SystemExit, match=rf"^error: {data}:6:3: column 'speed': 'fast' is not a number$"):
        main(["--data", str(data), "--out", str(tmp_path / "no")])
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("option, value", [("--epochs", "0"), ("--patience", "0"), ("--threads", "0"), ("--lr", "-0.001")])
def test_the_command_line_refuses_a_training_option_out_of_range(option, value, tmp_path, capsys):
    data = tmp_path / "m.csv"
    data.write_text(synthetic.machine_csv(keys=2, rows_per_key=60), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        main(["--data", str(data), "--out", str(tmp_path / "no"), "--window", "4", option, value])
    assert exit_.value.code == 2 and f"{option} must be" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_the_command_line_clamps_each_feature_to_its_training_range_when_asked(tmp_path):
    data = tmp_path / "m.csv"
    data.write_text(synthetic.machine_csv(keys=2, rows_per_key=80), encoding="utf-8")
    main(["--data", str(data), "--out", str(tmp_path / "clamped"), "--window", "4", "--epochs", "1",
          "--clamp-to-training-range"])
    main(["--data", str(data), "--out", str(tmp_path / "plain"), "--window", "4", "--epochs", "1"])
    clamped, plain = read_model_json(tmp_path / "clamped"), read_model_json(tmp_path / "plain")
    assert clamped["training"]["architecture"]["inputs_clamped"] == 3
    low, high = clamped["training"]["input_range"]["low"], clamped["training"]["input_range"]["high"]
    assert all(lo < 0 < hi for lo, hi in zip(low, high))  # normalized: the mean lies inside
    assert "input_range" not in plain["training"] and "inputs_clamped" not in plain["training"]["architecture"]


def test_relative_features_model_each_reading_against_its_keys_moving_mean(tmp_path):
    data = tmp_path / "m.csv"
    data.write_text(synthetic.machine_csv(keys=2, rows_per_key=80), encoding="utf-8")
    main(["--data", str(data), "--out", str(tmp_path / "relative"), "--window", "4", "--epochs", "1",
          "--relative", "0.25"])
    model = read_model_json(tmp_path / "relative")
    assert [f.get("relative") for f in model["features"]] == [0.25, 0.25, 0.25]
    # Speeds are about 1,500: their distance to the moving mean is centred near 0, not near 1,500.
    assert abs(model["normalization"]["mean"][0]) < 10
    # Each window's newest speed is the reading minus the mean of the key's readings before it: exact
    # while 1/n is above the weight, then weighted by it (docs/model-contract.md), by hand here.
    events = read_csv(data).events[:40]
    vectors = build_vectors(tmp_path / "relative", events)
    assert len(vectors["windows"]) == 40 - 2 * 3
    speeds = {}
    for row in map(json.loads, events):
        speeds.setdefault(row["key"], []).append((row["timestamp"], row["speed"]))
    distances = {}
    for key, readings in speeds.items():
        moving = None
        for n, (timestamp, speed) in enumerate(sorted(readings), start=1):
            distances[key, timestamp] = 0.0 if moving is None else speed - moving
            moving = speed if moving is None else moving + max(1 / n, 0.25) * (speed - moving)
    mean, std = model["normalization"]["mean"][0], model["normalization"]["std"][0]
    newest_speeds = [w["window"][-3] for w in vectors["windows"]]
    np.testing.assert_allclose(newest_speeds, [(distances[w["key"], w["timestamp"]] - mean) / std
                                               for w in vectors["windows"]], rtol=0, atol=1e-4)
    np.testing.assert_allclose([w["score"] for w in vectors["windows"]], _onnx_scores(tmp_path / "relative", vectors),
                               rtol=1e-6)

    with pytest.raises(SystemExit, match=r"^error: feature 'speed': 'relative' is the weight of the key's moving mean"):
        main(["--data", str(data), "--out", str(tmp_path / "no"), "--relative", "0"])
