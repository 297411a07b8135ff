"""The model contract (docs/model-contract.md): the declared part a user writes (a training config)
and the full ``model.json`` that training writes next to ``model.onnx`` and the job reads.

The job reads model.json with snake_case keys; the names and nesting here follow the doc exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NUMERIC = "numeric"
LOG1P = "log1p"
ONEHOT = "onehot"
CYCLIC = "cyclic"
ENCODINGS = (NUMERIC, LOG1P, ONEHOT, CYCLIC)

SECONDS_SINCE_PREVIOUS = "seconds_since_previous"
HOUR_OF_DAY = "hour_of_day"
DERIVED = (SECONDS_SINCE_PREVIOUS, HOUR_OF_DAY)

ONNX_FILE = "model.onnx"
ONNX_INPUT = "window"
ONNX_OUTPUT = "reconstruction"
ONNX_OPSET = 17
QUANTILES = ("0.5", "0.9", "0.99", "0.999", "0.9999")
SCORE = {"definition": "mse", "description": "mean squared reconstruction error of the normalized window"}


@dataclass(frozen=True)
class Feature:
    """One declared feature: read at ``path`` or ``derived`` from the key's history, then encoded."""

    name: str
    encoding: str
    path: str | None = None
    derived: str | None = None
    categories: tuple[str, ...] | None = None
    period: float | None = None
    # Weight of the key's moving mean: the column is the value minus that mean (docs/model-contract.md).
    relative: float | None = None

    @staticmethod
    def from_json(obj: dict[str, Any]) -> Feature:
        categories = obj.get("categories")
        period = obj.get("period")
        relative = obj.get("relative")
        feature = Feature(
            name=obj.get("name"),
            encoding=obj.get("encoding"),
            path=obj.get("path"),
            derived=obj.get("derived"),
            categories=tuple(categories) if categories is not None else None,
            period=float(period) if period is not None else None,
            relative=float(relative) if relative is not None else None,
        )
        feature.validate()
        return feature

    def to_json(self) -> dict[str, Any]:
        """Only the keys that apply, in the doc's order: name, path | derived, encoding, categories | period."""
        obj: dict[str, Any] = {"name": self.name}
        if self.path is not None:
            obj["path"] = self.path
        else:
            obj["derived"] = self.derived
        obj["encoding"] = self.encoding
        if self.categories is not None:
            obj["categories"] = list(self.categories)
        if self.period is not None:
            obj["period"] = int(self.period) if self.period.is_integer() else self.period
        if self.relative is not None:
            obj["relative"] = self.relative
        return obj

    def column_names(self) -> list[str]:
        if self.encoding in (NUMERIC, LOG1P):
            return [self.name]
        if self.encoding == ONEHOT:
            return [f"{self.name}={c}" for c in self.categories]
        if self.encoding == CYCLIC:
            return [f"{self.name}:sin", f"{self.name}:cos"]
        raise ValueError(f"feature '{self.name}': unknown encoding '{self.encoding}' (allowed: {', '.join(ENCODINGS)})")

    def validate(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("a feature has no name")
        if (self.path is None) == (self.derived is None):
            raise ValueError(f"feature '{self.name}': exactly one of 'path' and 'derived' must be set")
        if self.derived is not None and self.derived not in DERIVED:
            raise ValueError(f"feature '{self.name}': unknown derived value '{self.derived}' (allowed: {', '.join(DERIVED)})")
        if self.encoding not in ENCODINGS:
            raise ValueError(f"feature '{self.name}': unknown encoding '{self.encoding}' (allowed: {', '.join(ENCODINGS)})")
        if self.encoding == ONEHOT:
            if not self.categories:
                raise ValueError(f"feature '{self.name}': onehot encoding needs a non-empty 'categories' list")
            if self.derived is not None:
                # Derived values are numbers (seconds, hours): there is no category text to match.
                raise ValueError(f"feature '{self.name}': a derived feature cannot be onehot encoded")
        if self.encoding == CYCLIC and not (self.period is not None and self.period > 0):
            raise ValueError(f"feature '{self.name}': cyclic encoding needs a positive 'period'")
        if self.relative is not None:
            if not 0 < self.relative <= 1:
                raise ValueError(f"feature '{self.name}': 'relative' is the weight of the key's moving mean, in (0, 1]")
            if self.encoding not in (NUMERIC, LOG1P):
                raise ValueError(f"feature '{self.name}': 'relative' needs numeric or log1p encoding, not {self.encoding}")
            if self.derived == SECONDS_SINCE_PREVIOUS:
                raise ValueError(f"feature '{self.name}': 'relative' does not apply to seconds_since_previous")


def column_names(features: list[Feature]) -> list[str]:
    """The model columns, in order: each feature's columns, features in declared order."""
    return [column for feature in features for column in feature.column_names()]


@dataclass(frozen=True)
class ModelSpec:
    """What a user declares to train a model (a training config), and the head of every model.json."""

    name: str
    version: str
    stream: str
    kind: str
    key: str
    timestamp: str
    features: tuple[Feature, ...]
    window_size: int
    window_stride: int
    bottleneck: int | None = None  # width of the code; None: the kind's default for the input size
    # The exported model reads each column within its range in the training data (autoencoders.InputsClamped).
    clamp_to_training_range: bool = False

    @property
    def columns(self) -> list[str]:
        return column_names(list(self.features))

    @staticmethod
    def from_json(obj: dict[str, Any]) -> ModelSpec:
        for field in ("name", "version", "stream", "kind", "key", "timestamp", "features", "window"):
            if field not in obj:
                raise ValueError(f"'{field}' is missing")
        window = obj["window"]
        spec = ModelSpec(
            name=obj["name"],
            version=obj["version"],
            stream=obj["stream"],
            kind=obj["kind"],
            key=obj["key"],
            timestamp=obj["timestamp"],
            features=tuple(Feature.from_json(f) for f in obj["features"]),
            window_size=int(window["size"]),
            window_stride=int(window.get("stride", 1)),
            bottleneck=int(obj["bottleneck"]) if obj.get("bottleneck") is not None else None,
            clamp_to_training_range=obj.get("clamp_to_training_range", False),
        )
        if not isinstance(spec.clamp_to_training_range, bool):
            raise ValueError("'clamp_to_training_range' must be true or false")
        if not spec.features:
            raise ValueError("'features' is empty")
        if spec.bottleneck is not None and spec.bottleneck < 1:
            raise ValueError("'bottleneck' must be >= 1")
        if spec.window_size < 1 or spec.window_stride < 1:
            raise ValueError("'window' needs size >= 1 and stride >= 1")
        names = [f.name for f in spec.features]
        if len(set(names)) != len(names):
            raise ValueError(f"feature names must be unique: {names}")
        return spec

    @staticmethod
    def load(path: Path) -> ModelSpec:
        """Reads a training config or a model.json (the declared part of either)."""
        try:
            return ModelSpec.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"invalid model spec {path}: {e}") from e


def build_model_json(
    spec: ModelSpec,
    sha256: str,
    mean: list[float],
    std: list[float],
    calibration: dict[str, Any],
    training: dict[str, Any],
) -> dict[str, Any]:
    """The full contract, keys in the doc's order, plus a ``training`` block the job ignores."""
    return {
        "name": spec.name,
        "version": spec.version,
        "stream": spec.stream,
        "kind": spec.kind,
        "onnx": {"file": ONNX_FILE, "sha256": sha256, "input": ONNX_INPUT, "output": ONNX_OUTPUT, "opset": ONNX_OPSET},
        "key": spec.key,
        "timestamp": spec.timestamp,
        "features": [f.to_json() for f in spec.features],
        "columns": spec.columns,
        "window": {"size": spec.window_size, "stride": spec.window_stride},
        "normalization": {"mean": mean, "std": std},
        "score": dict(SCORE),
        "calibration": calibration,
        "training": training,
    }


def to_json(value: Any, indent: str = "") -> str:
    """Indented JSON with lists of plain values kept on one line (columns, mean, std), so that a
    model.json reads top to bottom like the contract."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {to_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + to_json(v, inner) for v in value) + "\n" + indent + "]"
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(v) for v in value) + "]"
    return json.dumps(value)


def write_model_json(directory: Path, model: dict[str, Any]) -> Path:
    path = Path(directory) / "model.json"
    path.write_text(to_json(model) + "\n", encoding="utf-8")
    return path


def read_model_json(directory: Path) -> dict[str, Any]:
    """Reads DIR/model.json and checks that its parts agree, as the job does at start-up."""
    path = Path(directory) / "model.json"
    model = json.loads(path.read_text(encoding="utf-8"))
    spec = ModelSpec.from_json(model)
    if model.get("columns") != spec.columns:
        raise ValueError(f"{path}: 'columns' {model.get('columns')} do not match the features' columns {spec.columns}")
    norm = model.get("normalization", {})
    if len(norm.get("mean", [])) != len(spec.columns) or len(norm.get("std", [])) != len(spec.columns):
        raise ValueError(f"{path}: 'normalization' needs mean and std with one entry per column ({len(spec.columns)})")
    if not all(s > 0 for s in norm["std"]):
        raise ValueError(f"{path}: every normalization std must be positive")
    return model
