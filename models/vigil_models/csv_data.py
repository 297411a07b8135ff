"""The generic labelled CSV format, read into the JSON events the job consumes.

A file has a header row, then one row per event:

    timestamp,key,temperature,pressure,label
    2026-01-01T00:00:00Z,pump-1,70.1,3.41,0
    1767225601000,pump-2,69.8,3.39,0

- ``timestamp`` (required): epoch milliseconds (an integer) or an ISO-8601 date and time,
  ``YYYY-MM-DD[T| ]HH:MM:SS[.fraction][Z|±HH:MM]``; without an offset the time is UTC.
- ``key`` (optional): the entity; keys may be interleaved. A file without it is one entity whose
  key is ``default`` (``KEYLESS``).
- ``label`` (optional): 0 (normal) or 1 (anomalous).
- every other column is a numeric feature (or those named by ``features``), in file order.

Each row becomes the JSON event the job would read, ``{"key": ..., "timestamp": <epoch ms>,
"<column>": <number>, ...}``, so training featurizes it with the job's own rules (features.py) and
the model.json it writes (key path ``key``, timestamp path ``timestamp``, each feature's path its
column's name) makes the job read the same values from a live stream of such events. The label is
not part of the event.

A bad row is an error naming the file, the line and the column (``data.csv:7:3``); reading goes on to
report up to ``max_errors`` of them at once.

    python -m vigil_models.csv_data DATA.csv --out EVENTS.jsonl     (the events, one per line, in time order)
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cli import one_line_errors
from .contract import NUMERIC, Feature, ModelSpec
from .features import _FLOAT32_OVERFLOW, DeadLetter, parse_timestamp

TIMESTAMP = "timestamp"
KEY = "key"
LABEL = "label"
RESERVED = (TIMESTAMP, KEY, LABEL)
# The key of every row of a file without a key column. A live stream for such a model must still
# carry a key (any non-empty value; e.g. this one), because the job keeps windows per key.
KEYLESS = "default"

# A decimal number as people write it in a CSV: no 'nan', 'inf', hex, or digit separators, which
# Python's float() would accept but no JSON event could carry.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_EPOCH_MS = re.compile(r"-?\d+", re.ASCII)
# The contract's instant, also with a space for the 'T' and without an offset (UTC), as spreadsheets
# and most CSV exports write it; the offset-less form is completed to the contract's and parsed by it.
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)([Zz]|[+-]\d{2}:\d{2})?", re.ASCII)


@dataclass(frozen=True)
class CsvError:
    """One problem, placed at a 1-based line and column of the file (column 0: the whole row)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class CsvFormatError(ValueError):
    """The file's errors, the first ``max_errors`` of them listed one per line."""

    def __init__(self, errors: list[CsvError], more: int = 0):
        errors = sorted(errors, key=lambda e: (e.line, e.column))  # a row's problems in column order
        lines = [str(e) for e in errors] + ([f"... and {more} more"] if more else [])
        super().__init__("\n".join(lines))
        self.errors = errors
        self.more = more

    def __reduce__(self):
        # Rebuilt from its errors, not its message: a corpus run's worker process hands it to its parent pickled.
        return type(self), (self.errors, self.more)


@dataclass
class LabelledRows:
    """A CSV file read into events: ``events[i]`` is row i's JSON event (file order), ``lines[i]`` its
    line in the file, ``labels[i]`` its label (None without a label column)."""

    path: Path
    features: list[str]
    has_key: bool
    events: list[str]
    lines: list[int]
    labels: np.ndarray | None  # int8 [rows]

    def __len__(self) -> int:
        return len(self.events)


def feature_path(column: str) -> str:
    """The contract path that reads ``column`` from the event: the name itself, or a JSON Pointer
    when the name would be read as a dotted path or a pointer (it holds a '.' or starts with '/')."""
    if "." in column or column.startswith("/"):
        return "/" + column.replace("~", "~0").replace("/", "~1")
    return column


def parse_csv_timestamp(text: str) -> int:
    """Epoch milliseconds of a CSV timestamp; ValueError says what is wrong."""
    match = _DATE_TIME.fullmatch(text)
    if match is None and not _EPOCH_MS.fullmatch(text):
        raise ValueError(f"'{text[:80]}' is neither epoch milliseconds nor an ISO-8601 date and time "
                         f"(YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM])")
    try:
        if match is None:
            return parse_timestamp(int(text))
        date, time, offset = match.groups()
        return parse_timestamp(f"{date}T{time}{offset or 'Z'}")
    except DeadLetter as e:  # out of range, or no such date or time of day
        raise ValueError(e.detail) from None


def parse_number(text: str) -> float:
    """A finite number that fits a float32 column (the job rejects the others); ValueError otherwise."""
    if not text:
        raise ValueError("empty (a missing value)")
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"'{text[:80]}' is not a number")
    value = float(text)
    if not math.isfinite(value) or abs(value) >= _FLOAT32_OVERFLOW:
        raise ValueError(f"'{text[:80]}' is out of float32 range")
    return value


def read_csv(path: Path, features: list[str] | None = None, delimiter: str = ",",
             max_errors: int = 20) -> LabelledRows:
    """Reads and checks a labelled CSV file (format: this module's doc). ``features`` picks feature
    columns by name, in that order (default: every column that is not timestamp, key or label).
    Raises CsvFormatError listing the first ``max_errors`` problems."""
    path = Path(path)
    name = str(path)
    errors: list[CsvError] = []
    more = 0

    def error(line: int, column: int, message: str) -> None:
        nonlocal more
        if len(errors) < max_errors:
            errors.append(CsvError(name, line, column, message))
        else:
            more += 1

    # utf-8-sig: a byte-order mark, which spreadsheets write, is not part of the first column's name.
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter, strict=True)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise CsvFormatError([CsvError(name, 1, 0, "the file is empty: a header row is needed")]) from None
        except csv.Error as e:
            raise CsvFormatError([CsvError(name, reader.line_num, 0, f"not CSV: {e}")]) from None
        t_column, k_column, l_column, f_columns = _header(name, header, features, delimiter)
        events: list[str] = []
        lines: list[int] = []
        labels: list[int] = []
        line = reader.line_num
        while True:
            start = line + 1  # a quoted field may span lines: a row is placed at its first line
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                raise CsvFormatError(errors + [CsvError(name, start, 0, f"not CSV: {e}")]) from None
            line = reader.line_num
            if not row:  # a blank line is not a row
                continue
            if len(row) != len(header):
                column = min(len(row), len(header)) + 1
                what = f"column '{header[column - 1]}' is missing" if len(row) < len(header) else "one field too many"
                error(start, column, f"{what}: the row has {len(row)} fields, the header {len(header)}")
                continue
            values = [v.strip() for v in row]
            errors_before = len(errors) + more
            try:
                timestamp = parse_csv_timestamp(values[t_column])
            except ValueError as e:
                error(start, t_column + 1, f"column '{TIMESTAMP}': {e}")
            key = KEYLESS
            if k_column is not None:
                key = values[k_column]
                if not key:
                    error(start, k_column + 1, f"column '{KEY}': empty (every row needs its entity)")
            label = 0
            if l_column is not None:
                try:
                    label = parse_number(values[l_column])
                    if label not in (0.0, 1.0):
                        raise ValueError(f"'{values[l_column]}' is neither 0 nor 1")
                except ValueError as e:
                    error(start, l_column + 1, f"column '{LABEL}': {e}")
            event: dict[str, object] = {KEY: key, TIMESTAMP: None}  # key and time first, as people write events
            for column in f_columns:
                try:
                    event[header[column]] = parse_number(values[column])
                except ValueError as e:
                    error(start, column + 1, f"column '{header[column]}': {e}")
            if len(errors) + more > errors_before:
                continue
            event[TIMESTAMP] = timestamp
            events.append(json.dumps(event, allow_nan=False))
            lines.append(start)
            labels.append(int(label))
    if errors:
        raise CsvFormatError(errors, more)
    if not events:
        raise CsvFormatError([CsvError(name, 2, 0, "no data rows after the header")])
    return LabelledRows(path=path, features=[header[c] for c in f_columns], has_key=k_column is not None,
                        events=events, lines=lines,
                        labels=np.asarray(labels, dtype=np.int8) if l_column is not None else None)


def _header(name: str, header: list[str], features: list[str] | None, delimiter: str):
    """Column indexes of timestamp, key (or None), label (or None) and the features."""
    problems = []
    for i, column in enumerate(header):
        if not column:
            problems.append(CsvError(name, 1, i + 1, "a column has no name"))
        elif header.index(column) != i:
            problems.append(CsvError(name, 1, i + 1, f"column '{column}' appears twice"))
        elif column not in RESERVED and column.lower() in RESERVED:
            # The names are matched exactly: read as a feature, 'Label' would train the model on the
            # anomalies as normal data, and 'Key' would merge every entity into one.
            problems.append(CsvError(name, 1, i + 1, f"column '{column}' would be read as a feature: "
                                                     f"the reserved column is '{column.lower()}', in lower case"))
    if TIMESTAMP not in header:
        hint = f" (is the delimiter '{delimiter}'?)" if len(header) == 1 else ""
        problems.append(CsvError(name, 1, 0, f"no '{TIMESTAMP}' column among {header}{hint}"))
    if features is None:
        wanted = [c for c in header if c and c not in RESERVED]
    else:
        wanted = list(features)
        for column in wanted:
            if column in RESERVED or column not in header:
                problems.append(CsvError(name, 1, 0, f"feature '{column}' is not a feature column of {header}"))
        if len(set(wanted)) != len(wanted):
            problems.append(CsvError(name, 1, 0, f"features named twice: {wanted}"))
    if not wanted:
        problems.append(CsvError(name, 1, 0, f"no feature column: every column but {', '.join(RESERVED)} is one"))
    if problems:
        raise CsvFormatError(problems)
    key = header.index(KEY) if KEY in header else None
    label = header.index(LABEL) if LABEL in header else None
    return header.index(TIMESTAMP), key, label, [header.index(c) for c in wanted]


def model_spec(rows: LabelledRows, kind: str, window_size: int, window_stride: int = 1, name: str | None = None,
               version: str = "1.0.0", stream: str | None = None, bottleneck: int | None = None,
               relative: float | None = None, clamp_to_training_range: bool = False) -> ModelSpec:
    """The declared contract of a model of these rows: key ``key``, timestamp ``timestamp``, one
    numeric feature per feature column, read at its name (``feature_path``), each relative to the
    key's moving mean of it with weight ``relative`` when that is given; ``clamp_to_training_range``
    as in the config (contract.ModelSpec)."""
    stem = rows.path.stem
    return ModelSpec.from_json({
        "name": name or f"{stem}-{kind}",
        "version": version,
        "stream": stream or stem,
        "kind": kind,
        "key": KEY,
        "timestamp": TIMESTAMP,
        "features": [{"name": c, "path": feature_path(c), "encoding": NUMERIC,
                      **({"relative": relative} if relative is not None else {})} for c in rows.features],
        "window": {"size": window_size, "stride": window_stride},
        **({"bottleneck": bottleneck} if bottleneck is not None else {}),
        **({"clamp_to_training_range": True} if clamp_to_training_range else {}),
    })


def in_time_order(events: list[str]) -> list[str]:
    """The events sorted by timestamp, ties in their given order (a stable sort): the order to replay
    them in. The replay (io.vigil.evaluate.Replay) reads a file as one Kafka partition, whose watermark
    trails the newest timestamp read by ``watermark.out-of-orderness`` (5 s by default): in a file laid
    out key by key, the rows of later keys fall behind it and, depending on how fast they are read,
    are dead-lettered as ``late``. Each key's rows keep their order among themselves, ties included,
    and rows are matched to their scores by key and timestamp, so the order changes nothing else."""
    return sorted(events, key=lambda event: json.loads(event)[TIMESTAMP])


def write_events(rows: LabelledRows, out: Path) -> None:
    """Writes the rows' events in time order (in_time_order), one per line."""
    Path(out).write_text("".join(event + "\n" for event in in_time_order(rows.events)), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vigil_models.csv_data",
                                     description="Checks a labelled CSV file and writes its rows as the JSON events "
                                                 "the job reads, one per line in time order (labels left out).")
    parser.add_argument("data", type=Path, help="CSV file: timestamp, [key], feature columns, [label]")
    parser.add_argument("--out", required=True, type=Path, help="JSON-lines file to write")
    parser.add_argument("--features", help="comma-separated feature columns (default: all but timestamp, key, label)")
    parser.add_argument("--delimiter", default=",", help="field delimiter (default ',')")
    args = parser.parse_args(argv)
    with one_line_errors(CsvFormatError):
        rows = read_csv(args.data, args.features.split(",") if args.features else None, args.delimiter)
    write_events(rows, args.out)
    print(f"wrote {args.out}: {len(rows)} events", file=sys.stderr)


if __name__ == "__main__":
    main()
