"""ONNX export of a window autoencoder, the checks the exported graph must pass, and scoring with
ONNX Runtime: calibration and parity vectors are computed by the same runtime, on the same file,
that the job uses, so the scores they describe are the scores the job computes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from .autoencoders import WindowAutoencoder
from .contract import ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT

BATCH = "batch"
_SCORE_BATCH = 4096


def export(model: WindowAutoencoder, path: Path) -> None:
    """Writes the model as a self-contained ONNX file, opset 17, input ``window`` and output
    ``reconstruction``, both float32 [batch, W, C] with the batch axis dynamic."""
    model = model.cpu().eval()
    example = torch.zeros(2, model.window_size, model.n_columns)  # batch 2: a batch of 1 would be specialized
    # The exporter builds at opset 18 and converts down to 17 (the contract's opset), and narrates
    # each step; the result is checked by verify() instead of by reading its log. Errors still raise.
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "onnxscript")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (example,),
                str(path),
                input_names=[ONNX_INPUT],
                output_names=[ONNX_OUTPUT],
                opset_version=ONNX_OPSET,
                dynamo=True,
                dynamic_shapes={"window": {0: torch.export.Dim(BATCH)}},
                external_data=False,
                verbose=False,
            )
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _dims(value_info: onnx.ValueInfoProto) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def verify(path: Path, model: WindowAutoencoder, atol: float = 1e-5) -> None:
    """Fails unless the file passes the ONNX checker, has the contract's names, opset, element type
    and shapes, and reproduces the torch model within ``atol`` at batch 1 and batch 7."""
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph, full_check=True)
    opset = {o.domain: o.version for o in graph.opset_import}.get("", None)
    if opset != ONNX_OPSET:
        raise AssertionError(f"{path}: opset {opset}, the contract needs {ONNX_OPSET}")
    w, c = model.window_size, model.n_columns
    for kind, values, name in (("input", graph.graph.input, ONNX_INPUT), ("output", graph.graph.output, ONNX_OUTPUT)):
        if [v.name for v in values] != [name]:
            raise AssertionError(f"{path}: {kind}s {[v.name for v in values]}, expected ['{name}']")
        dims = _dims(values[0])
        if values[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT or len(dims) != 3 \
                or not isinstance(dims[0], str) or dims[1:] != [w, c]:
            raise AssertionError(f"{path}: {kind} '{name}' is {dims}, expected float32 [batch, {w}, {c}]")
    runtime = session(path)
    rng = np.random.default_rng(0)
    model = model.cpu().eval()
    for batch in (1, 7):
        x = rng.standard_normal((batch, w, c)).astype(np.float32)
        got = runtime.run([ONNX_OUTPUT], {ONNX_INPUT: x})[0]
        with torch.no_grad():
            want = model(torch.from_numpy(x)).numpy()
        if got.shape != (batch, w, c) or not np.allclose(got, want, rtol=0, atol=atol):
            raise AssertionError(f"{path}: ONNX Runtime output at batch {batch} differs from torch "
                                 f"(max |diff| {np.abs(got - want).max() if got.shape == want.shape else 'shape'})")


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1  # models this small gain little from more, and cores may be shared
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def reconstruct(runtime: ort.InferenceSession, windows: np.ndarray) -> np.ndarray:
    """ONNX Runtime's reconstruction of float32 windows [N, W, C], in batches."""
    parts = [runtime.run([ONNX_OUTPUT], {ONNX_INPUT: windows[i:i + _SCORE_BATCH]})[0]
             for i in range(0, len(windows), _SCORE_BATCH)]
    return np.concatenate(parts) if parts else np.zeros_like(windows)


def errors(windows: np.ndarray, reconstruction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per window: the score (mean over steps and columns of the squared error) and, per column,
    the mean over steps of the squared error. Computed in float64 from the float32 tensors, so that
    they are the reference a float32 implementation is compared to."""
    squared = np.square(windows.astype(np.float64) - reconstruction.astype(np.float64))
    return squared.mean(axis=(1, 2)), squared.mean(axis=1)
