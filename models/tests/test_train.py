"""Training writes a contract the job accepts and an ONNX graph that matches it."""

import dataclasses
import hashlib

import numpy as np
import onnx
import pytest
import torch

import synthetic
from conftest import CONFIGS
from vigil_models import autoencoders, onnx_io
from vigil_models.contract import QUANTILES, ModelSpec, read_model_json
from vigil_models.features import build_table, make_windows, normalize
from vigil_models.train import default_batch_size, fit_normalization, main, split_by_time, train


@pytest.mark.parametrize("fixture", ["sensor_model", "transaction_model"])
def test_model_json_columns_normalization_and_window_match_the_config(fixture, request):
    spec, _, directory, written = request.getfixturevalue(fixture)
    model = read_model_json(directory)
    assert model == written
    assert model["columns"] == spec.columns
    assert model["window"] == {"size": spec.window_size, "stride": spec.window_stride}
    assert len(model["normalization"]["mean"]) == len(model["normalization"]["std"]) == len(spec.columns)
    assert model["onnx"] == {"file": "model.onnx", "sha256": model["onnx"]["sha256"], "input": "window",
                             "output": "reconstruction", "opset": 17}
    assert model["score"]["definition"] == "mse"


@pytest.mark.parametrize("fixture", ["sensor_model", "transaction_model"])
def test_sha256_in_model_json_is_the_onnx_file_hash(fixture, request):
    _, _, directory, model = request.getfixturevalue(fixture)
    assert model["onnx"]["sha256"] == hashlib.sha256((directory / "model.onnx").read_bytes()).hexdigest()


@pytest.mark.parametrize("fixture", ["sensor_model", "transaction_model"])
def test_calibration_has_monotone_quantiles_and_counts_the_validation_windows(fixture, request):
    _, _, _, model = request.getfixturevalue(fixture)
    calibration = model["calibration"]
    quantiles = [calibration["quantiles"][q] for q in QUANTILES]
    assert list(calibration["quantiles"]) == list(QUANTILES)
    assert all(0 < a <= b for a, b in zip(quantiles, quantiles[1:]))
    assert calibration["samples"] == model["training"]["windows"]["validation"] > 0
    assert calibration["log_std"] > 0
    # The seed log-normal is fitted to the upper tail: its median and its 99.9th percentile are the data's.
    assert np.exp(calibration["log_mean"]) == pytest.approx(calibration["quantiles"]["0.5"], rel=1e-4)
    assert np.exp(calibration["log_mean"] + 3.090232306167813 * calibration["log_std"]) == pytest.approx(
        calibration["quantiles"]["0.999"], rel=1e-4)  # quantiles interpolated in log space


def test_the_exported_graph_has_a_dynamic_batch_and_the_contract_shapes(sensor_model):
    spec, _, directory, _ = sensor_model
    graph = onnx.load(str(directory / "model.onnx"))
    onnx.checker.check_model(graph, full_check=True)
    for value in (graph.graph.input[0], graph.graph.output[0]):
        dims = [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
        assert dims == ["batch", spec.window_size, len(spec.columns)]
    session = onnx_io.session(directory / "model.onnx")
    for batch in (1, 7):
        x = np.zeros((batch, spec.window_size, len(spec.columns)), np.float32)
        assert session.run(["reconstruction"], {"window": x})[0].shape == x.shape


@pytest.mark.parametrize("window_size, n_columns", [(16, 5), (1, 22)])
def test_onnx_runtime_reproduces_torch_within_1e5_at_batch_1_and_7(window_size, n_columns, tmp_path):
    torch.manual_seed(0)
    model = autoencoders.build("dense", window_size, n_columns).eval()
    onnx_io.export(model, tmp_path / "model.onnx")
    session = onnx_io.session(tmp_path / "model.onnx")
    for batch in (1, 7):
        x = np.random.default_rng(batch).standard_normal((batch, window_size, n_columns)).astype(np.float32)
        with torch.no_grad():
            expected = model(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(session.run(["reconstruction"], {"window": x})[0], expected, rtol=0, atol=1e-5)


@pytest.fixture(scope="module")
def unclamped_transaction_model(transaction_model, tmp_path_factory):
    """The transaction model's config without clamp_to_training_range, trained like the fixture."""
    spec, events, _, _ = transaction_model
    unclamped = dataclasses.replace(spec, clamp_to_training_range=False)
    directory = tmp_path_factory.mktemp("unclamped") / "model"
    return unclamped, events, directory, train(unclamped, events, directory, seed=7, epochs=4, batch_size=64,
                                                log=lambda _: None)


def _windows(spec, events, model, count=200):
    table = build_table(spec, events.read_bytes().splitlines())
    normalized = normalize(table.columns[:count], model["normalization"]["mean"], model["normalization"]["std"])
    return normalized[:, None, :]


@pytest.mark.parametrize("fixture", ["transaction_model", "unclamped_transaction_model"])
def test_columns_constant_in_training_cannot_move_the_other_columns_reconstruction(fixture, request):
    spec, events, directory, model = request.getfixturevalue(fixture)
    # The synthetic accounts use the first 8 merchant categories and the first 3 channels.
    never_seen = [*(f"merchant_category={c}" for c in synthetic.CATEGORIES[8:]),
                  *(f"channel={c}" for c in synthetic.CHANNELS[3:])]
    assert model["training"]["constant_columns"] == never_seen
    clamped = len(spec.columns) if spec.clamp_to_training_range else len(never_seen)
    assert model["training"]["architecture"]["inputs_clamped"] == clamped
    windows = _windows(spec, events, model)
    session = onnx_io.session(directory / "model.onnx")
    usual = onnx_io.reconstruct(session, windows)
    for column in (spec.columns.index(c) for c in never_seen):
        unseen = windows.copy()
        unseen[..., column] = 1000.0  # a never-seen category, its std floored at 0.001
        reconstruction = onnx_io.reconstruct(session, unseen)
        np.testing.assert_array_equal(reconstruction, usual)
        # The column still counts in full: its whole distance from what training showed is error.
        _, per_column = onnx_io.errors(unseen, reconstruction)
        assert per_column[:, column] == pytest.approx((1000.0 - usual[:, 0, column]) ** 2)


def test_clamped_a_value_beyond_the_training_range_is_read_as_its_edge_and_scored_as_it_is(transaction_model):
    spec, events, directory, model = transaction_model
    assert spec.clamp_to_training_range
    bounds = model["training"]["input_range"]
    windows = _windows(spec, events, model)
    # The training events' own extremes, normalized: 0 for the categories they never had.
    never_seen = spec.columns.index(f"merchant_category={synthetic.CATEGORIES[-1]}")
    assert bounds["low"][never_seen] == bounds["high"][never_seen] == 0.0
    assert all(low < 0 < high for low, high in zip(bounds["low"][:2], bounds["high"][:2]))  # amount, amount_vs_usual
    session = onnx_io.session(directory / "model.onnx")
    column = spec.columns.index("amount_vs_usual")
    edge, beyond = windows.copy(), windows.copy()
    edge[..., column] = bounds["high"][column]
    beyond[..., column] = bounds["high"][column] + 50.0  # a payment far above anything the account did
    reconstruction = onnx_io.reconstruct(session, beyond)
    np.testing.assert_array_equal(reconstruction, onnx_io.reconstruct(session, edge))
    _, per_column = onnx_io.errors(beyond, reconstruction)
    assert per_column[:, column] == pytest.approx((beyond[:, 0, column] - reconstruction[:, 0, column]) ** 2)
    assert np.all(per_column[:, column] > 40.0 ** 2)


def test_the_bounds_are_the_training_windows_extremes_and_change_no_training_window(
        transaction_model, unclamped_transaction_model):
    spec, events, directory, clamped = transaction_model
    _, _, unclamped_directory, unclamped = unclamped_transaction_model
    assert clamped["training"]["best_val_loss"] == unclamped["training"]["best_val_loss"]
    assert clamped["normalization"] == unclamped["normalization"]
    assert "input_range" not in unclamped["training"]
    # The training windows, rebuilt here as train() splits them (each key's last 20 % validates).
    table = build_table(spec, events.read_bytes().splitlines())
    _, train_ends, _ = split_by_time(table, spec.window_size, spec.window_stride, 0.2)
    normalized = normalize(table.columns, clamped["normalization"]["mean"], clamped["normalization"]["std"])
    windows = make_windows(table, normalized, spec.window_size, spec.window_stride, train_ends).windows
    assert len(windows) == clamped["training"]["windows"]["train"]
    bounds = clamped["training"]["input_range"]
    np.testing.assert_array_equal(np.float32(bounds["low"]), windows.min(axis=(0, 1)))
    np.testing.assert_array_equal(np.float32(bounds["high"]), windows.max(axis=(0, 1)))
    # Within the bounds the clamped graph is the trained network: its reconstructions are the unclamped one's.
    np.testing.assert_array_equal(onnx_io.reconstruct(onnx_io.session(directory / "model.onnx"), windows),
                                  onnx_io.reconstruct(onnx_io.session(unclamped_directory / "model.onnx"), windows))


def test_a_model_without_constant_columns_is_exported_as_trained(sensor_model):
    _, _, _, model = sensor_model
    assert "constant_columns" not in model["training"]
    assert "inputs_clamped" not in model["training"]["architecture"]


def test_training_twice_with_the_same_seed_gives_the_same_model(sensor_model, tmp_path):
    spec, events, _, first = sensor_model
    again = train(spec, events, tmp_path, seed=7, epochs=4, batch_size=64, log=lambda _: None)
    assert again["onnx"]["sha256"] == first["onnx"]["sha256"]
    assert again["calibration"] == first["calibration"]


def test_the_default_batch_keeps_16_steps_an_epoch_between_32_and_256_windows():
    assert [default_batch_size(n) for n in (100, 585, 600, 1600, 4096, 71423)] == [32, 36, 37, 100, 256, 256]


def test_small_data_trains_in_small_batches_by_default_and_fits_better_for_it(tmp_path):
    spec = ModelSpec.load(CONFIGS / "sensor.json")
    events = tmp_path / "small.jsonl"
    synthetic.write(events, synthetic.sensor_lines(keys=2, events_per_key=200))
    quiet = {"seed": 7, "epochs": 5, "patience": 5, "log": lambda _: None}
    default = train(spec, events, tmp_path / "default", **quiet)
    large = train(spec, events, tmp_path / "large", batch_size=256, **quiet)
    windows = default["training"]["windows"]["train"]
    assert windows < 512 and default["training"]["batch_size"] == 32
    assert large["training"]["batch_size"] == 256
    # 5 epochs are 5 optimizer steps in batches of 256 and 5 x ceil(windows / 32) in batches of 32.
    assert default["training"]["best_val_loss"] < large["training"]["best_val_loss"]


def test_an_ensemble_reconstructs_with_its_members_mean_and_fits_validation_at_least_as_well(sensor_model, tmp_path):
    spec, events, single_dir, single = sensor_model
    quiet = {"seed": 7, "epochs": 4, "batch_size": 64, "log": lambda _: None}
    model = train(spec, events, tmp_path, ensemble=3, **quiet)
    training = model["training"]
    assert training["ensemble"] == 3 and [m["seed"] for m in training["members"]] == [7, 8, 9]
    # The first member is the model one seed trains; the others start from seeds 8 and 9.
    assert training["members"][0]["best_val_loss"] == single["training"]["best_val_loss"]
    assert len({m["best_val_loss"] for m in training["members"]}) == 3
    # The mean reconstruction's error is the members' mean error less their spread: never above it.
    assert training["best_val_loss"] <= np.mean([m["best_val_loss"] for m in training["members"]])
    assert training["epochs"] == sum(m["epochs"] for m in training["members"])

    members = [train(spec, events, tmp_path / f"seed{seed}", **{**quiet, "seed": seed}) for seed in (8, 9)]
    windows = np.random.default_rng(3).standard_normal((5, spec.window_size, len(spec.columns))).astype(np.float32)
    reconstructions = [onnx_io.reconstruct(onnx_io.session(directory / "model.onnx"), windows)
                       for directory in (single_dir, tmp_path / "seed8", tmp_path / "seed9")]
    np.testing.assert_allclose(onnx_io.reconstruct(onnx_io.session(tmp_path / "model.onnx"), windows),
                               np.mean(reconstructions, axis=0), rtol=0, atol=1e-5)
    assert [m["training"]["best_val_loss"] for m in members] == [m["best_val_loss"] for m in training["members"][1:]]


def test_an_ensemble_needs_a_member(sensor_model, tmp_path):
    spec, events, _, _ = sensor_model
    with pytest.raises(ValueError, match="ensemble must be at least 1 member, got 0"):
        train(spec, events, tmp_path, epochs=1, ensemble=0, log=lambda _: None)


@pytest.mark.parametrize("option, value, message", [
    ("--epochs", "0", "--epochs must be >= 1, got 0"),
    ("--patience", "0", "--patience must be >= 1, got 0"),
    ("--threads", "0", "--threads must be >= 1, got 0"),
    ("--threads", "-2", "--threads must be >= 1, got -2"),
    ("--lr", "0", "--lr must be > 0, got 0.0"),
    ("--lr", "nan", "--lr must be > 0, got nan"),
])
def test_a_training_option_out_of_range_is_refused_before_training(option, value, message, tmp_path, capsys):
    # --epochs 0 would export the random initialization with a best validation loss of Infinity,
    # which is not JSON; --threads 0 would end in torch's traceback.
    events = tmp_path / "events.jsonl"
    synthetic.write(events, synthetic.sensor_lines(keys=2, events_per_key=60))
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(CONFIGS / "sensor.json"), "--events", str(events), "--out", str(tmp_path / "m"),
              option, value])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_training_with_no_epoch_is_an_error(tmp_path):
    events = tmp_path / "events.jsonl"
    synthetic.write(events, synthetic.sensor_lines(keys=2, events_per_key=60))
    with pytest.raises(ValueError, match="epochs, patience and threads must be at least 1 and lr above 0, got 0, 6, 1"):
        train(ModelSpec.load(CONFIGS / "sensor.json"), events, tmp_path / "m", epochs=0, log=lambda _: None)
    assert not (tmp_path / "m").exists()


def test_constant_columns_get_a_floored_std_and_first_gaps_are_left_out_of_the_stats():
    columns = np.array([[5.0, 0.0, np.nan], [5.0, 0.0, 2.0], [5.0, 0.0, 4.0]], np.float32)
    mean, std = fit_normalization(columns)
    assert mean.tolist() == [5.0, 0.0, 3.0]
    assert std.tolist() == [np.float32(5e-3), np.float32(1e-3), 1.0]


def test_too_few_events_for_a_validation_window_is_an_error_that_says_so(tmp_path):
    events = tmp_path / "few.jsonl"
    synthetic.write(events, synthetic.sensor_lines(keys=2, events_per_key=20))
    with pytest.raises(ValueError, match="validation windows"):
        train(ModelSpec.load(CONFIGS / "sensor.json"), events, tmp_path / "m", epochs=1, log=lambda _: None)


def test_validation_is_each_key_last_events_and_windows_across_the_boundary_are_unused():
    spec = ModelSpec.load(CONFIGS / "sensor.json")
    lines = synthetic.sensor_lines(keys=2, events_per_key=20)
    table = build_table(spec, [line.encode() for line in lines])
    train_rows, train_ends, val_ends = split_by_time(table, size=3, stride=1, val_fraction=0.2)
    # Per key: 20 events, the last 4 (rows 16-19 of the key) validate.
    assert train_rows.tolist() == ([True] * 16 + [False] * 4) * 2
    assert train_ends.tolist() == list(range(2, 16)) + list(range(22, 36))
    assert val_ends.tolist() == [18, 19, 38, 39]  # windows ending at 16 and 17 mix both sides
