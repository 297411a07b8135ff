"""Featurization exactly as docs/model-contract.md states it, the Python twin of the job's parser and
window assembler: raw event lines in, per-key ordered events and windows out.

Precision follows the job: every encoding is computed in float64, each column is then cast to float32,
and normalization runs in float32, z = (x - mean) / std, with float32 mean and std.

Records the job would dead-letter are skipped here and counted by reason. The checks run in this
order and the first that fails names the reason: oversized, malformed_json, missing_key,
bad_timestamp, then each path feature in declared order (missing_feature, non_numeric_feature,
non_finite_feature). A file has no lateness, so ``late`` never occurs here.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .contract import (
    CYCLIC,
    HOUR_OF_DAY,
    LOG1P,
    NUMERIC,
    ONEHOT,
    SECONDS_SINCE_PREVIOUS,
    Feature,
    ModelSpec,
)

# The job's parse.max-payload-bytes default; a payload larger than this is dead-lettered as oversized.
DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024

MALFORMED_JSON = "malformed_json"
OVERSIZED = "oversized"
MISSING_KEY = "missing_key"
BAD_TIMESTAMP = "bad_timestamp"
MISSING_FEATURE = "missing_feature"
NON_NUMERIC_FEATURE = "non_numeric_feature"
NON_FINITE_FEATURE = "non_finite_feature"

# Smallest magnitude that rounds to infinity when cast to float32 (FLT_MAX plus half an ulp, ties to even).
_FLOAT32_OVERFLOW = 2.0**128 - 2.0**103
_MS_PER_DAY = 86_400_000
_MS_PER_HOUR = 3_600_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# An ISO-8601 instant: date, 'T', time with seconds and up to 9 fraction digits, then 'Z' or ±HH:MM.
_ISO_INSTANT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,  # \d is 0-9 only
)
_MISSING = object()


class DeadLetter(Exception):
    """A record the job would send to the dead-letter topic, with the reason code it would use."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.key: str | None = None  # the record's key when it was read before the failure


def path_tokens(path: str) -> list[str]:
    """The steps of a dotted path (``values.temperature``) or a JSON Pointer (``/values/temperature``)."""
    if path.startswith("/"):
        return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]
    return path.split(".")


def resolve(document: Any, path: str) -> Any:
    """The value at ``path``; ``_MISSING`` when any step does not exist."""
    node = document
    for token in path_tokens(path):
        if isinstance(node, dict):
            if token not in node:
                return _MISSING
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and (token == "0" or not token.startswith("0")):
            index = int(token)
            if index >= len(node):
                return _MISSING
            node = node[index]
        else:
            return _MISSING
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_timestamp(value: Any) -> int:
    """Event time in epoch milliseconds from an ISO-8601 instant string or a JSON integer of epoch ms.

    Fractions below a millisecond are floored, as ``Instant.toEpochMilli`` does."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise DeadLetter(BAD_TIMESTAMP, f"epoch milliseconds out of range: {value}")
        return value
    if not isinstance(value, str):
        raise DeadLetter(BAD_TIMESTAMP, f"neither an ISO-8601 string nor an integer: {json.dumps(value)[:80]}")
    match = _ISO_INSTANT.fullmatch(value)
    if match is None:
        raise DeadLetter(BAD_TIMESTAMP, f"not an ISO-8601 instant: {value[:80]!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction, sign, offset_hours, offset_minutes = match.group(7, 8, 9, 10)
    try:
        days = date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        raise DeadLetter(BAD_TIMESTAMP, f"no such date: {value[:80]!r}") from None
    if hour > 23 or minute > 59 or second > 59:
        raise DeadLetter(BAD_TIMESTAMP, f"no such time of day: {value[:80]!r}")
    millis = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000
    if fraction:
        millis += int(fraction.ljust(9, "0")) // 1_000_000
    if sign:
        if int(offset_hours) > 18 or int(offset_minutes) > 59:
            raise DeadLetter(BAD_TIMESTAMP, f"no such offset: {value[:80]!r}")
        offset = (int(offset_hours) * 60 + int(offset_minutes)) * 60_000
        millis -= offset if sign == "+" else -offset
    return millis


def parse_key(value: Any) -> str:
    """A non-empty string, or a JSON integer as its decimal digits at any size (42 -> "42", -0 -> "0"),
    as the job reads keys. A number with a fraction or an exponent (1.5, 1.0, 1e3) is no key, as in
    the job, which takes only Jackson's integral numbers."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise DeadLetter(MISSING_KEY, "key absent, null, empty or not a string or an integer")


def hour_of_day(timestamp_ms: int) -> float:
    """UTC hour of day, fractional (10:30 -> 10.5)."""
    return (timestamp_ms % _MS_PER_DAY) / _MS_PER_HOUR


def encode_number(feature: Feature, x: float) -> list[float]:
    """The float64 column values of a number under a numeric, log1p or cyclic encoding."""
    if feature.encoding == NUMERIC:
        return [x]
    if feature.encoding == LOG1P:
        return [math.copysign(math.log1p(abs(x)), x)]
    if feature.encoding == CYCLIC:
        angle = 2.0 * math.pi * x / feature.period
        return [math.sin(angle), math.cos(angle)]
    raise ValueError(f"feature '{feature.name}': encoding '{feature.encoding}' does not take a number")


def encode_category(feature: Feature, value: Any) -> list[float]:
    """One-hot over the feature's categories; a value outside them gives all zeros."""
    if isinstance(value, str):
        text = value
    elif _is_number(value):
        text = str(value)
    else:
        raise DeadLetter(NON_NUMERIC_FEATURE, f"feature '{feature.name}': expected a string, got {json.dumps(value)[:80]}")
    return [1.0 if text == c else 0.0 for c in feature.categories]


def _check_finite(feature: Feature, values: list[float]) -> list[float]:
    for v in values:
        if not math.isfinite(v) or abs(v) >= _FLOAT32_OVERFLOW:
            raise DeadLetter(NON_FINITE_FEATURE, f"feature '{feature.name}' is or encodes to a non-finite float32")
    return values


@dataclass(frozen=True)
class ParsedEvent:
    key: str
    timestamp: int
    columns: list[float]  # float64 encodings; seconds_since_previous columns are NaN until ordered


class Featurizer:
    """Turns one raw payload into a ParsedEvent, or raises DeadLetter, per a ModelSpec."""

    def __init__(self, spec: ModelSpec, max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES):
        self.spec = spec
        self.max_payload_bytes = max_payload_bytes
        self.columns = spec.columns
        self.slices: list[slice] = []
        start = 0
        for feature in spec.features:
            width = len(feature.column_names())
            self.slices.append(slice(start, start + width))
            start += width
        # Derived gap columns: filled once the key's events are in order.
        self.gap_features = [
            (f, s) for f, s in zip(spec.features, self.slices) if f.derived == SECONDS_SINCE_PREVIOUS
        ]
        # Relative columns: the value minus the key's moving mean of it, also filled in key order.
        self.relative_features = [(f, s.start) for f, s in zip(spec.features, self.slices) if f.relative is not None]

    def parse(self, payload: bytes) -> ParsedEvent:
        if len(payload) > self.max_payload_bytes:
            raise DeadLetter(OVERSIZED, f"{len(payload)} bytes > {self.max_payload_bytes}")
        try:
            # NaN and Infinity literals are accepted by the parser so that they reach the feature
            # checks and are dead-lettered as non_finite_feature, the reason the contract names.
            document = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise DeadLetter(MALFORMED_JSON, str(e)[:200]) from None
        if not isinstance(document, dict):
            raise DeadLetter(MALFORMED_JSON, "not a JSON object")
        key_value = resolve(document, self.spec.key)
        key = parse_key(None if key_value is _MISSING else key_value)
        try:
            ts_value = resolve(document, self.spec.timestamp)
            if ts_value is _MISSING or ts_value is None:
                raise DeadLetter(BAD_TIMESTAMP, "timestamp absent or null")
            timestamp = parse_timestamp(ts_value)
            columns: list[float] = []
            for feature in self.spec.features:
                columns.extend(self._encode(feature, document, timestamp))
        except DeadLetter as e:
            e.key = key
            raise
        return ParsedEvent(key, timestamp, columns)

    def _encode(self, feature: Feature, document: dict, timestamp: int) -> list[float]:
        if feature.derived == SECONDS_SINCE_PREVIOUS:
            return [math.nan] * len(feature.column_names())
        if feature.derived == HOUR_OF_DAY:
            return encode_number(feature, hour_of_day(timestamp))
        value = resolve(document, feature.path)
        if value is _MISSING or value is None:
            raise DeadLetter(MISSING_FEATURE, f"feature '{feature.name}' absent or null at '{feature.path}'")
        if feature.encoding == ONEHOT:
            return encode_category(feature, value)
        if not _is_number(value):
            raise DeadLetter(NON_NUMERIC_FEATURE, f"feature '{feature.name}' is not a number: {json.dumps(value)[:80]}")
        try:
            x = float(value)
        except OverflowError:  # an integer beyond float64
            raise DeadLetter(NON_FINITE_FEATURE, f"feature '{feature.name}' is out of float range") from None
        if not math.isfinite(x):
            raise DeadLetter(NON_FINITE_FEATURE, f"feature '{feature.name}' is {x}")
        return _check_finite(feature, encode_number(feature, x))


@dataclass
class EventTable:
    """Accepted events grouped by key (keys in order of first appearance), each key's events in
    event-time order, ties kept in file order.

    ``columns`` are the encoded, un-normalized float32 columns; a key's first event has NaN in its
    seconds_since_previous columns (the contract fills them with the normalization mean)."""

    column_names: list[str]
    keys: list[str]  # one per event
    timestamps: np.ndarray  # int64 [E]
    columns: np.ndarray  # float32 [E, C]
    lines: np.ndarray  # int64 [E], 0-based index of the event's line in the input
    segments: list[tuple[str, int, int]]  # (key, start, end) rows of each key
    lines_read: int = 0
    dead_letters: Counter = field(default_factory=Counter)
    dead_letter_lines: list[tuple[int, str, str]] = field(default_factory=list)  # (line index, reason, detail)

    def __len__(self) -> int:
        return len(self.keys)


def relative_to_baselines(features: list[tuple[Feature, int]], row: list[float], baselines: list[float], n: int) -> None:
    """Replaces each relative column of a key's (n+1)-th event by its distance to the key's moving
    mean before it, then moves the mean with weight max(relative, 1/(n+1)); the first event gives 0.
    In float64 from the float32 column, as the job's WindowBuilder does."""
    for i, (feature, column) in enumerate(features):
        x = float(np.float32(row[column]))
        if n == 0:
            baselines[i] = x
            row[column] = 0.0
        else:
            row[column] = x - baselines[i]
            baselines[i] += max(feature.relative, 1.0 / (n + 1)) * (x - baselines[i])


def read_lines(path: Path) -> list[bytes]:
    """The payloads of a JSON-lines file, one per line, line ending removed. Blank lines are not
    records (a file may end with one) and are left out."""
    with open(path, "rb") as f:
        return [line.rstrip(b"\r\n") for line in f if line.strip()]


def build_table(spec: ModelSpec, payloads: Iterable[bytes], max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES) -> EventTable:
    """Parses, drops (and counts) what the job would dead-letter, orders per key and fills gaps."""
    featurizer = Featurizer(spec, max_payload_bytes)
    by_key: dict[str, list[tuple[int, ParsedEvent]]] = {}
    dead_letters: Counter = Counter()
    dead_letter_lines = []
    lines_read = 0
    for index, payload in enumerate(payloads):
        lines_read += 1
        try:
            event = featurizer.parse(payload)
        except DeadLetter as e:
            dead_letters[e.reason] += 1
            dead_letter_lines.append((index, e.reason, e.detail))
            continue
        by_key.setdefault(event.key, []).append((index, event))

    n_columns = len(featurizer.columns)
    keys: list[str] = []
    timestamps: list[int] = []
    rows: list[list[float]] = []
    lines: list[int] = []
    segments = []
    for key, events in by_key.items():
        events.sort(key=lambda item: item[1].timestamp)  # stable: ties stay in file order
        start = len(keys)
        previous = None
        baselines = [0.0] * len(featurizer.relative_features)
        for n, (index, event) in enumerate(events):
            row = list(event.columns)
            for feature, columns in featurizer.gap_features:
                if previous is not None:
                    row[columns] = encode_number(feature, (event.timestamp - previous) / 1000.0)
            relative_to_baselines(featurizer.relative_features, row, baselines, n)
            keys.append(key)
            timestamps.append(event.timestamp)
            rows.append(row)
            lines.append(index)
            previous = event.timestamp
        segments.append((key, start, len(keys)))

    columns = np.asarray(rows, dtype=np.float64).reshape(len(rows), n_columns).astype(np.float32)
    return EventTable(
        column_names=featurizer.columns,
        keys=keys,
        timestamps=np.asarray(timestamps, dtype=np.int64),
        columns=columns,
        lines=np.asarray(lines, dtype=np.int64),
        segments=segments,
        lines_read=lines_read,
        dead_letters=dead_letters,
        dead_letter_lines=dead_letter_lines,
    )


def read_events(spec: ModelSpec, path: Path, max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES) -> EventTable:
    return build_table(spec, read_lines(path), max_payload_bytes)


def normalize(columns: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """z = (x - mean) / std in float32. A NaN (a key's first gap) becomes the mean first, hence 0."""
    mean = np.asarray(mean, dtype=np.float32)
    std = np.asarray(std, dtype=np.float32)
    x = np.where(np.isnan(columns), mean, columns).astype(np.float32)
    return ((x - mean) / std).astype(np.float32)


@dataclass
class Windows:
    """Windows of normalized events: ``windows[i]`` holds steps oldest first, and ends at event row
    ``ends[i]`` of the table (its key's ``positions[i]``-th event, 0-based)."""

    windows: np.ndarray  # float32 [N, W, C]
    keys: list[str]
    timestamps: np.ndarray  # int64 [N], event time of the newest step
    ends: np.ndarray  # int64 [N], table row of the newest step
    positions: np.ndarray  # int64 [N], index of the newest step within its key

    def __len__(self) -> int:
        return len(self.keys)


def window_ends(table: EventTable, size: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Table rows where a window ends, and their positions within the key: a key's first window ends
    at its ``size``-th event, and one more every ``stride`` events after that."""
    ends, positions = [], []
    for _, start, end in table.segments:
        for row in range(start + size - 1, end, stride):
            ends.append(row)
            positions.append(row - start)
    return np.asarray(ends, dtype=np.int64), np.asarray(positions, dtype=np.int64)


def make_windows(table: EventTable, normalized: np.ndarray, size: int, stride: int,
                 ends: np.ndarray | None = None) -> Windows:
    """Gathers the windows ending at ``ends`` (all of them by default) from the normalized rows."""
    all_ends, all_positions = window_ends(table, size, stride)
    if ends is None:
        ends, positions = all_ends, all_positions
    else:
        positions = all_positions[np.searchsorted(all_ends, ends)]
    steps = ends[:, None] - np.arange(size - 1, -1, -1)[None, :]
    windows = normalized[steps] if len(ends) else np.zeros((0, size, normalized.shape[1]), np.float32)
    return Windows(
        windows=np.ascontiguousarray(windows, dtype=np.float32),
        keys=[table.keys[i] for i in ends],
        timestamps=table.timestamps[ends] if len(ends) else np.zeros(0, np.int64),
        ends=ends,
        positions=positions,
    )
