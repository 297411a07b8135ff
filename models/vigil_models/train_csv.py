"""Trains a window autoencoder on a labelled CSV file (format: csv_data.py, models/README.md) and
writes DIR/model.onnx + DIR/model.json for the job.

    python -m vigil_models.train_csv --data DATA.csv --kind lstm --window 16 --out DIR

Rows labelled 1 are kept in their key's sequence but no training or validation window contains one,
and normalization leaves them out: the model learns normal behaviour only, from windows of events
that really were adjacent. A file without a label column is all normal. Everything else (split,
early stopping, export checks, calibration) is train.py's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from . import autoencoders
from .cli import one_line_errors
from .csv_data import CsvFormatError, model_spec, read_csv
from .features import build_table
from .train import add_training_arguments, train_table, training_options


def train_csv(data: Path, out: Path, kind: str = "dense", window_size: int = 16, window_stride: int = 1,
              features: list[str] | None = None, name: str | None = None, version: str = "1.0.0",
              stream: str | None = None, bottleneck: int | None = None, delimiter: str = ",",
              relative: float | None = None, clamp_to_training_range: bool = False, log=print,
              **options: Any) -> dict[str, Any]:
    """Reads ``data``, trains a ``kind`` model on its normal rows and returns the model.json written to
    ``out``; with ``relative``, every feature is the distance to the key's moving mean of it (the
    contract's relative features, with that weight); with ``clamp_to_training_range``, the model reads
    each feature within its training range (autoencoders.InputsClamped). ``options`` are train_table's (seed, epochs,
    batch_size, lr, val_fraction, patience, ensemble, threads)."""
    started = time.monotonic()
    rows = read_csv(data, features, delimiter)
    spec = model_spec(rows, kind, window_size, window_stride, name, version, stream, bottleneck, relative,
                      clamp_to_training_range)
    table = build_table(spec, [event.encode("utf-8") for event in rows.events])
    if table.dead_letters:
        # read_csv accepts only what the job accepts: a row rejected here is a bug, not bad data.
        line, reason, detail = table.dead_letter_lines[0]
        raise AssertionError(f"{data}:{rows.lines[line]}: the job would reject this row ({reason}: {detail})")
    anomalous = rows.labels == 1 if rows.labels is not None else None
    excluded = anomalous[table.lines] if anomalous is not None else None
    log(f"read {len(rows)} rows from {data}: {len(table.segments)} keys, {len(spec.columns)} features "
        f"({', '.join(spec.columns)}), "
        + (f"{int(anomalous.sum())} labelled anomalous" if anomalous is not None else "no label column: all normal"))
    if anomalous is not None and anomalous.all():
        raise ValueError(f"{data}: every row is labelled 1; training needs normal rows (label 0)")
    extra = {"format": "labelled csv",
             "anomalous_rows": int(anomalous.sum()) if anomalous is not None else None}
    return train_table(spec, table, Path(out), data=Path(data).name, excluded=excluded, log=log, started=started,
                       extra=extra, **options)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vigil_models.train_csv", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path, help="labelled CSV: timestamp, [key], numeric features, [label]")
    parser.add_argument("--out", required=True, type=Path, help="model directory to write model.onnx and model.json into")
    parser.add_argument("--kind", default="dense", choices=sorted(autoencoders.KINDS), help="autoencoder kind (default dense)")
    parser.add_argument("--window", type=int, default=16, help="events per window (default 16; 1 scores each event alone)")
    parser.add_argument("--stride", type=int, default=1, help="events between windows of a key (default 1)")
    parser.add_argument("--features", help="comma-separated feature columns (default: all but timestamp, key, label)")
    parser.add_argument("--bottleneck", type=int, help="width of the code (default: a quarter of window x features, in [4, 32])")
    parser.add_argument("--name", help="model name (default: DATA's file name without extension, then -KIND)")
    parser.add_argument("--version", default="1.0.0", help="model version (default 1.0.0)")
    parser.add_argument("--stream", help="stream name in model.json (default: DATA's file name without extension)")
    parser.add_argument("--delimiter", default=",", help="field delimiter (default ',')")
    parser.add_argument("--relative", type=float, metavar="W",
                        help="model each feature as its distance to the key's moving mean of it, the mean moving "
                             "with weight W in (0, 1] (about the last 1/W events); default: the values themselves")
    parser.add_argument("--clamp-to-training-range", action="store_true",
                        help="the model reads each feature within the range it had in training, so that a value "
                             "beyond it is not partly reconstructed (models/README.md); default: as it comes")
    add_training_arguments(parser)
    args = parser.parse_args(argv)
    options = training_options(parser, args)
    if args.window < 1 or args.stride < 1:
        parser.error(f"--window and --stride must be >= 1, got {args.window} and {args.stride}")
    with one_line_errors(CsvFormatError, ValueError):
        train_csv(args.data, args.out, kind=args.kind, window_size=args.window, window_stride=args.stride,
                  features=args.features.split(",") if args.features else None, name=args.name,
                  version=args.version, stream=args.stream, bottleneck=args.bottleneck, delimiter=args.delimiter,
                  relative=args.relative, clamp_to_training_range=args.clamp_to_training_range, **options)


if __name__ == "__main__":
    main()
