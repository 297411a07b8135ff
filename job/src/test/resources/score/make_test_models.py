"""Writes the tiny ONNX models that the io.vigil.score tests run.

Run from this directory with a Python that has torch, onnx and onnxruntime:

    python make_test_models.py

Each model directory gets model.onnx and a model.json per docs/model-contract.md (sha256 included),
three numeric columns a, b, c and windows of 4 steps:

- dense-w4c3:   a dense autoencoder 12 -> 6 -> 12 with fixed random weights; realistic enough that
                rows of a batch give different reconstructions, so mixed-up rows would show.
- halving-w4c3: reconstruction = input / 2, so a test can compute the score by hand.
- window5-w4c3: a graph that takes windows of 5 steps while its model.json says 4, and
- columns2-w4c3: a graph that takes 2 columns while its model.json says 3: the job must refuse both
                at start-up.

The outputs are committed; rerun only to change the models (the tests read the sha256 from model.json).
"""
import hashlib
import json
import pathlib

import numpy as np
import onnx
import onnxruntime as ort
import torch

HERE = pathlib.Path(__file__).resolve().parent
WINDOW = 4
COLUMNS = ["a", "b", "c"]
OPSET = 18  # the lowest opset that torch's current (torch.export based) exporter writes


class DenseAutoencoder(torch.nn.Module):
    def __init__(self, window: int, columns: int, hidden: int):
        super().__init__()
        self.window, self.columns = window, columns
        self.encode = torch.nn.Linear(window * columns, hidden)
        self.decode = torch.nn.Linear(hidden, window * columns)

    def forward(self, window):
        flat = window.reshape(-1, self.window * self.columns)
        return self.decode(torch.tanh(self.encode(flat))).reshape(-1, self.window, self.columns)


class Halving(torch.nn.Module):
    def forward(self, window):
        return window * 0.5


def export(module: torch.nn.Module, window: int, columns: int, path: pathlib.Path) -> None:
    example = torch.zeros(2, window, columns)
    # One self-contained file (no external weights) with a symbolic batch dimension, as the job expects.
    torch.onnx.export(module.eval(), (example,), str(path), input_names=["window"],
                      output_names=["reconstruction"], opset_version=OPSET, external_data=False,
                      dynamic_shapes={"window": {0: torch.export.Dim("batch")}})
    model = onnx.load(str(path))
    strip_export_metadata(model)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    # The batch must really be dynamic: run 3 rows through onnxruntime.
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = session.run(None, {"window": np.zeros((3, window, columns), np.float32)})[0]
    assert out.shape == (3, window, columns), out.shape


def strip_export_metadata(model: onnx.ModelProto) -> None:
    """Drops the exporter's debugging metadata (stack traces with this machine's paths, line numbers),
    so that the files, and their sha256, depend only on the graph and its weights."""
    del model.metadata_props[:]
    graph = model.graph
    del graph.metadata_props[:]
    for value in list(graph.input) + list(graph.output) + list(graph.value_info) + list(graph.initializer):
        del value.metadata_props[:]
    for node in graph.node:
        del node.metadata_props[:]
        node.ClearField("doc_string")


def contract(name: str, sha256: str) -> dict:
    return {
        "name": name,
        "version": "0.0.1",
        "stream": "test",
        "kind": "dense",
        "onnx": {"file": "model.onnx", "sha256": sha256, "input": "window", "output": "reconstruction",
                 "opset": OPSET},
        "key": "id",
        "timestamp": "ts",
        "features": [{"name": c, "path": c, "encoding": "numeric"} for c in COLUMNS],
        "columns": COLUMNS,
        "window": {"size": WINDOW, "stride": 1},
        # Distinct means and stds per column, so that de-normalizing the wrong column would show.
        "normalization": {"mean": [10.0, 20.0, 30.0], "std": [2.0, 4.0, 5.0]},
        "score": {"definition": "mse", "description": "mean squared reconstruction error of the normalized window"},
        "calibration": {"samples": 1000, "log_mean": -1.0, "log_std": 0.5,
                        "quantiles": {"0.5": 0.37, "0.99": 1.2}},
    }


def write(name: str, module: torch.nn.Module, graph_window: int = WINDOW, graph_columns: int = len(COLUMNS)) -> None:
    directory = HERE / name
    directory.mkdir(exist_ok=True)
    onnx_path = directory / "model.onnx"
    export(module, graph_window, graph_columns, onnx_path)
    sha256 = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    (directory / "model.json").write_text(json.dumps(contract(name, sha256), indent=2) + "\n")
    print(f"{name}: {onnx_path.stat().st_size} bytes, sha256 {sha256}")


if __name__ == "__main__":
    torch.manual_seed(7)
    write("dense-w4c3", DenseAutoencoder(WINDOW, len(COLUMNS), hidden=6))
    write("halving-w4c3", Halving())
    write("window5-w4c3", DenseAutoencoder(5, len(COLUMNS), hidden=6), graph_window=5)
    write("columns2-w4c3", DenseAutoencoder(WINDOW, 2, hidden=6), graph_columns=2)
