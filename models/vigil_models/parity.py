"""Writes parity vectors: raw event lines plus, for every window they produce, the normalized window
and ONNX Runtime's reconstruction and score, computed by this package. The job's parity test
featurizes the same lines with its own code and must agree within ``tolerance`` (format:
models/README.md, "Parity vectors").

    python -m vigil_models.parity --model sensor --events sensors.jsonl --limit 200 --out sensor.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from . import onnx_io
from .cli import one_line_errors
from .contract import ONEHOT, ModelSpec, read_model_json
from .features import (
    DEFAULT_MAX_PAYLOAD_BYTES,
    DeadLetter,
    Featurizer,
    build_table,
    make_windows,
    normalize,
    path_tokens,
)

FORMAT_VERSION = 1
TOLERANCE = 1e-5


def select_lines(spec: ModelSpec, path: Path, limit: int, keys: int,
                 max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES) -> list[str]:
    """The first ``limit`` lines, in file order, that belong to the first ``keys`` keys seen.

    Taking whole keys rather than the file's first lines gives each key enough events to fill
    windows when the file interleaves many keys. Lines that are rejected before a key is read are
    kept as they come, so that the test also sees them dead-lettered."""
    featurizer = Featurizer(spec, max_payload_bytes)
    chosen: set[str] = set()
    lines: list[str] = []
    with open(path, "rb") as f:
        for raw in f:
            # Decoded once here, so the test and this package featurize the very same text.
            line = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
            if not line.strip():
                continue
            try:
                key = featurizer.parse(line.encode("utf-8")).key
            except DeadLetter as e:
                key = e.key
            if key is not None and key not in chosen:
                if len(chosen) >= keys:
                    continue
                chosen.add(key)
            lines.append(line)
            if len(lines) >= limit:
                break
    return lines


def _parent(document: Any, path: str) -> tuple[Any, str]:
    """The object or array that holds the value at ``path``, and the value's name in it."""
    *parents, last = path_tokens(path)
    node = document
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node, last


def _edited(document: dict, path: str, value: Any = None, delete: bool = False) -> dict:
    """A deep copy of ``document`` with the value at ``path`` replaced or removed."""
    copy = json.loads(json.dumps(document))
    node, last = _parent(copy, path)
    if delete:
        del node[last]
    else:
        node[last] = value
    return copy


_INFINITE = "__infinite__"


def dead_letter_examples(spec: ModelSpec, line: str) -> list[tuple[str, str]]:
    """(line, reason) pairs: a valid event broken in one way per dead-letter reason that a file can
    show (not ``oversized``, which needs a megabyte, nor ``late``, which needs a watermark). They keep
    the valid event's key and time, so if one were wrongly accepted it would shift every later
    window of that key, and the test would see it."""
    document = json.loads(line)
    examples = [(line[: len(line) // 2], "malformed_json"), ("[" + line + "]", "malformed_json"),
                (json.dumps(_edited(document, spec.key, delete=True)), "missing_key"),
                (json.dumps(_edited(document, spec.timestamp, "2026-13-01T00:00:00Z")), "bad_timestamp")]
    path_features = [f for f in spec.features if f.path is not None]
    if path_features:
        examples.append((json.dumps(_edited(document, path_features[0].path, delete=True)), "missing_feature"))
    numbers = [f for f in path_features if f.encoding != ONEHOT]
    if numbers:
        examples.append((json.dumps(_edited(document, numbers[0].path, "12.5")), "non_numeric_feature"))
        # 1e400 is a valid JSON number that no float can hold.
        infinite = json.dumps(_edited(document, numbers[0].path, _INFINITE)).replace(f'"{_INFINITE}"', "1e400")
        examples.append((infinite, "non_finite_feature"))
    return examples


def out_of_range_example(spec: ModelSpec, lines: list[str],
                         max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES) -> tuple[int, str] | None:
    """(index, line): the first key's last valid event with its first numeric feature a thousand times
    larger (plus 1000, for a zero), so that one window holds a value far beyond anything in training,
    where a model whose inputs are clamped reads the bound and scores the value as it is. None when no
    event has a numeric feature read from the payload."""
    numbers = [f for f in spec.features if f.path is not None and f.encoding != ONEHOT]
    if not numbers:
        return None
    featurizer = Featurizer(spec, max_payload_bytes)
    first_key, last = None, None
    for i, line in enumerate(lines):
        try:
            key = featurizer.parse(line.encode("utf-8")).key
        except DeadLetter:
            continue
        first_key = key if first_key is None else first_key
        if key == first_key:
            last = i
    if last is None:
        return None
    document = json.loads(lines[last])
    node, name = _parent(document, numbers[0].path)
    value = float(node[int(name)] if isinstance(node, list) else node[name])
    return last, json.dumps(_edited(document, numbers[0].path, value * 1000 if value else 1000.0))


def build_vectors(model_dir: Path, lines: list[str],
                  max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES) -> dict[str, Any]:
    """The parity document for ``lines`` under the model in ``model_dir``; float32 tensors stay numpy
    arrays here and are written by ``to_json``."""
    model = read_model_json(model_dir)
    spec = ModelSpec.from_json(model)
    table = build_table(spec, [line.encode("utf-8") for line in lines], max_payload_bytes)
    mean = np.asarray(model["normalization"]["mean"], dtype=np.float32)
    std = np.asarray(model["normalization"]["std"], dtype=np.float32)
    windows = make_windows(table, normalize(table.columns, mean, std), spec.window_size, spec.window_stride)
    onnx_path = Path(model_dir) / model["onnx"]["file"]
    if onnx_io.sha256(onnx_path) != model["onnx"]["sha256"]:
        raise ValueError(f"{onnx_path} does not match the sha256 in {Path(model_dir) / 'model.json'}")
    reconstruction = onnx_io.reconstruct(onnx_io.session(onnx_path), windows.windows)
    scores, column_errors = onnx_io.errors(windows.windows, reconstruction)
    return {
        "format": FORMAT_VERSION,
        "model": {"name": model["name"], "version": model["version"], "sha256": model["onnx"]["sha256"]},
        "columns": spec.columns,
        "window": {"size": spec.window_size, "stride": spec.window_stride},
        "tolerance": TOLERANCE,
        "events": lines,
        "dead_letters": [{"event": i, "reason": reason} for i, reason, _ in table.dead_letter_lines],
        "windows": [
            {
                "key": windows.keys[i],
                "timestamp": int(windows.timestamps[i]),
                "position": int(windows.positions[i]),
                "event": int(table.lines[windows.ends[i]]),
                "window": windows.windows[i].ravel(),
                "reconstruction": reconstruction[i].ravel(),
                "score": float(scores[i]),
                "column_errors": [float(v) for v in column_errors[i]],
            }
            for i in range(len(windows))
        ],
    }


def _value(value: Any) -> str:
    if isinstance(value, np.ndarray):
        # Shortest text that parses back to the same float32 (Java: Float.parseFloat).
        return "[" + ",".join(str(v) for v in value.astype(np.float32)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def to_json(vectors: dict[str, Any]) -> str:
    """JSON text with one line per event, dead letter and window, so that a diff stays readable."""
    fields = []
    for name, value in vectors.items():
        if isinstance(value, list) and name in ("events", "dead_letters", "windows"):
            items = ",\n  ".join(_value(item) for item in value)
            fields.append(f'"{name}": [\n  {items}\n ]' if value else f'"{name}": []')
        else:
            fields.append(f'"{name}": {_value(value)}')
    return "{\n " + ",\n ".join(fields) + "\n}\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vigil_models.parity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, type=Path, help="model directory (model.json, model.onnx)")
    parser.add_argument("--events", required=True, type=Path, help="JSON lines of raw event payloads")
    parser.add_argument("--limit", type=int, default=200, help="at most this many event lines")
    parser.add_argument("--keys", type=int, default=None,
                        help="take the lines of this many keys (default: as many as leave each key several windows)")
    parser.add_argument("--out", required=True, type=Path, help="parity vectors file to write")
    parser.add_argument("--with-dead-letters", action="store_true",
                        help="after the first valid event, add one broken copy of it per dead-letter reason")
    parser.add_argument("--with-out-of-range", action="store_true",
                        help="make the first key's last event's first numeric feature a thousand times larger: a "
                             "value beyond the training range (out_of_range_example)")
    parser.add_argument("--max-payload-bytes", type=int, default=DEFAULT_MAX_PAYLOAD_BYTES,
                        help="the job's parse.max-payload-bytes")
    args = parser.parse_args(argv)

    with one_line_errors(ValueError):
        spec = ModelSpec.from_json(read_model_json(args.model))
        # A key's first window needs window.size events: give each key 2·size + 8, hence size + 9 windows.
        keys = args.keys or max(1, min(10, args.limit // (2 * spec.window_size + 8)))
        lines = select_lines(spec, args.events, args.limit, keys, args.max_payload_bytes)
    if args.with_out_of_range and (edit := out_of_range_example(spec, lines, args.max_payload_bytes)):
        lines[edit[0]] = edit[1]
    if args.with_dead_letters and lines:
        lines[1:1] = [line for line, _ in dead_letter_examples(spec, lines[0])]
    vectors = build_vectors(args.model, lines, args.max_payload_bytes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(to_json(vectors), encoding="utf-8")
    print(f"wrote {args.out}: {len(lines)} events of {keys} keys, {len(vectors['dead_letters'])} dead-lettered, "
          f"{len(vectors['windows'])} windows", file=sys.stderr)


if __name__ == "__main__":
    main()
