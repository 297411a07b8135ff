"""Trains a window autoencoder on a file of normal events and writes DIR/model.onnx + DIR/model.json.

    python -m vigil_models.train --config configs/sensor.json --events sensors.jsonl --out sensor

Steps: featurize (features.py) -> split each key's events by time, the last --val-fraction for
validation -> fit normalization on the training events -> train with Adam on MSE, early stopping on
validation loss -> export to ONNX and verify it -> calibrate: score the validation windows with
ONNX Runtime on the exported file -> write the contract.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

# cuBLAS needs this before CUDA starts to make its reductions deterministic.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from tqdm import tqdm  # noqa: E402

from . import autoencoders, onnx_io  # noqa: E402
from .cli import one_line_errors  # noqa: E402
from .contract import ONNX_FILE, QUANTILES, ModelSpec, build_model_json, write_model_json  # noqa: E402
from .features import DEFAULT_MAX_PAYLOAD_BYTES, EventTable, make_windows, normalize, read_events, window_ends  # noqa: E402

_EVAL_BATCH = 8192
# An epoch counts as better only if it lowers the best validation loss by this fraction: smaller
# gains are noise and would keep training long after the model stopped improving.
_MIN_IMPROVEMENT = 1e-3


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    # warn_only: a kernel without a deterministic variant warns rather than stops training.
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False


def fit_normalization(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and population std of the training events, as float32.

    NaN (a key's first gap, which has no value) is left out. The std is floored at
    1e-3 * max(1, |mean|): a constant column (a one-hot category never seen in training, a sensor
    stuck at one value) would otherwise divide by zero; the floor is far below the spread of any
    real measurement, so a value the training data never showed still scores as very unusual
    (z = 1000 for a never-seen category) instead of being hidden."""
    values = columns.astype(np.float64)
    counts = np.sum(~np.isnan(values), axis=0)
    mean = np.zeros(values.shape[1])
    std = np.zeros(values.shape[1])
    present = counts > 0
    mean[present] = np.nanmean(values[:, present], axis=0)
    std[present] = np.nanstd(values[:, present], axis=0)
    std = np.maximum(std, 1e-3 * np.maximum(1.0, np.abs(mean)))
    return mean.astype(np.float32), std.astype(np.float32)


def split_by_time(table: EventTable, size: int, stride: int, val_fraction: float):
    """Each key's last ``val_fraction`` of events (by event time) is validation, the rest training.

    Returns the training event rows and the window ends of each split. A window that spans the
    boundary belongs to neither, so no validation event is ever seen in training; splitting by time
    rather than by random windows also keeps overlapping windows (stride < size) out of both sides."""
    boundary = np.empty(len(table), dtype=np.int64)  # per row: the first validation row of its key
    train_rows = np.zeros(len(table), dtype=bool)
    for _, start, end in table.segments:
        first_val = end - int(math.floor((end - start) * val_fraction))
        boundary[start:end] = first_val
        train_rows[start:first_val] = True
    ends, _ = window_ends(table, size, stride)
    starts = ends - (size - 1)
    return train_rows, ends[ends < boundary[ends]], ends[starts >= boundary[ends]]


def _mean_loss(model: nn.Module, data: torch.Tensor) -> float:
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(data), _EVAL_BATCH):
            batch = data[i:i + _EVAL_BATCH]
            total += nn.functional.mse_loss(model(batch), batch, reduction="sum").item()
    return total / data.numel()


MAX_BATCH, MIN_BATCH, MIN_STEPS_PER_EPOCH = 256, 32, 16


def default_batch_size(train_windows: int) -> int:
    """256 windows a batch, fewer on small data so that an epoch still takes 16 optimizer steps (at
    least 32 a batch). In batches of 256, a few hundred windows make one to three steps an epoch, and
    early stopping's epoch limit then ends training long before the model fits."""
    return min(MAX_BATCH, max(MIN_BATCH, train_windows // MIN_STEPS_PER_EPOCH))


def fit(model: autoencoders.WindowAutoencoder, train: torch.Tensor, val: torch.Tensor, epochs: int, batch_size: int,
        lr: float, patience: int, seed: int) -> tuple[int, float]:
    """Adam on the kind's training loss (MSE but for the VAE); stops after ``patience`` epochs without
    a better validation loss (by at least 0.1 %) and leaves the model at its best epoch. The validation
    loss is the MSE of the deterministic reconstruction for every kind: the score the job computes.
    Returns (epochs run, best validation loss)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)  # shuffling on the CPU generator: same order on any device
    best_loss, best_state, stale, epochs_run = math.inf, copy.deepcopy(model.state_dict()), 0, 0
    progress = tqdm(range(epochs), desc="train", unit="epoch", file=sys.stderr, mininterval=1.0)
    for _ in progress:
        model.train()
        permutation = torch.randperm(len(train), generator=order).to(train.device)
        train_loss = 0.0
        for i in range(0, len(train), batch_size):
            batch = train[permutation[i:i + batch_size]]
            optimizer.zero_grad(set_to_none=True)
            loss = model.training_loss(batch)  # the kind's objective (the VAE's is its ELBO)
            loss.backward()
            optimizer.step()
            train_loss += loss.item() * len(batch)
        epochs_run += 1
        val_loss = _mean_loss(model, val)
        if val_loss < best_loss * (1 - _MIN_IMPROVEMENT):
            best_loss, best_state, stale = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
        progress.set_postfix(train=f"{train_loss / len(train):.4f}", val=f"{val_loss:.4f}", best=f"{best_loss:.4f}")
        if stale >= patience:
            break
    progress.close()
    model.load_state_dict(best_state)
    return epochs_run, best_loss


Z_999 = 3.090232306167813  # the standard normal's 99.9th percentile


def calibrate(scores: np.ndarray) -> dict[str, Any]:
    """The score distribution on held-out normal windows: what seeds every key's threshold.

    Thresholds sit in the upper tail, so the log-normal that seeds them is fitted to it rather than
    to the whole distribution: ``log_mean`` is ln(median) and ``log_std`` is
    (ln q99.9 − ln median) / z(0.999). Reconstruction errors of one-hot-heavy inputs are skewed to
    the left in log space; a plain mean and standard deviation of ln(score) would then put
    mean + k·sd far beyond the real tail.
    """
    if len(scores) < 2:
        raise ValueError(f"calibration needs at least 2 validation windows, got {len(scores)}")
    # A perfect reconstruction (score 0) has no logarithm; the floor is far below any real score.
    logs = np.log(np.maximum(scores, 1e-12))
    median, tail = np.quantile(logs, [0.5, 0.999])
    return {
        "samples": int(len(scores)),
        "log_mean": float(median),
        "log_std": float(max((tail - median) / Z_999, 1e-6)),
        "quantiles": {q: float(np.quantile(scores, float(q))) for q in QUANTILES},
    }


def warn_constant_columns_moving(data: str, columns: np.ndarray, val_windows: np.ndarray, constant: np.ndarray) -> None:
    """Warns when columns constant in training (``val_windows`` holds only those columns, ``constant``
    their normalized training values) take another value in validation windows. Their std is floored
    (fit_normalization), so such a value is hundreds of standard deviations off or more (z = 1000 for
    a one-hot category first seen there) and its window scores far above every other: the
    calibration's quantiles, taken over the validation windows, are then set by those windows rather
    than by the model's errors on normal data. Only a warning: model.json is written as without it."""
    moved = np.any(val_windows != constant, axis=1)  # [windows, columns]
    if not moved.any():
        return
    named = ", ".join(f"{column} in {int(count)}" for column, count in zip(columns, moved.sum(axis=0)) if count)
    print(f"warning: {data}: columns constant in training take another value in {int(moved.any(axis=1).sum())} "
          f"of {len(val_windows)} validation windows ({named}); those windows score far above the others "
          f"(the column's std is floored) and inflate the calibration's quantiles", file=sys.stderr)


def train(spec: ModelSpec, events: Path, out: Path, seed: int = 7, epochs: int = 60, batch_size: int | None = None,
          lr: float = 1e-3, val_fraction: float = 0.2, patience: int = 6, ensemble: int = 1,
          max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES, threads: int = 1, log=print) -> dict[str, Any]:
    """Runs the whole pipeline on a JSON-lines file of normal events and returns the model.json it wrote."""
    started = time.monotonic()
    table = read_events(spec, events, max_payload_bytes=max_payload_bytes)
    log(f"read {table.lines_read} lines from {events}: {len(table)} events, {len(table.segments)} keys, "
        f"dead-lettered {dict(table.dead_letters) or 0}")
    return train_table(spec, table, out, data=Path(events).name, seed=seed, epochs=epochs, batch_size=batch_size,
                       lr=lr, val_fraction=val_fraction, patience=patience, ensemble=ensemble, threads=threads, log=log,
                       started=started)


def train_table(spec: ModelSpec, table: EventTable, out: Path, data: str, excluded: np.ndarray | None = None,
                seed: int = 7, epochs: int = 60, batch_size: int | None = None, lr: float = 1e-3, val_fraction: float = 0.2,
                patience: int = 6, ensemble: int = 1, threads: int = 1, log=print, started: float | None = None,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Trains on featurized events, exports, calibrates and writes the contract; returns model.json.

    ``excluded`` marks table rows (e.g. labelled anomalous) that no training or validation window may
    contain and that normalization leaves out; their neighbours keep their places in the key's
    sequence, so no window joins events that were not adjacent. ``extra`` is added to the training
    block. ``batch_size`` None: default_batch_size of the training windows. ``ensemble`` > 1 trains that
    many members from seeds seed, seed + 1, ... and exports their mean reconstruction (autoencoders.Ensemble)."""
    if ensemble < 1:
        raise ValueError(f"ensemble must be at least 1 member, got {ensemble}")
    if epochs < 1 or patience < 1 or threads < 1 or not lr > 0:
        raise ValueError(f"epochs, patience and threads must be at least 1 and lr above 0, got {epochs}, {patience}, "
                         f"{threads} and {lr}")
    started = time.monotonic() if started is None else started
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        # These models have at most ~100k weights: extra intra-op threads gain little, and where
        # cores are shared their spin-waiting made epochs 5x slower (measured on 2 busy cores).
        # A fixed count also removes one source of differences between machines.
        torch.set_num_threads(threads)
    size, stride = spec.window_size, spec.window_stride

    train_rows, train_ends, val_ends = split_by_time(table, size, stride, val_fraction)
    skipped = 0
    if excluded is not None and excluded.any():
        train_rows = train_rows & ~excluded
        # count[i]: excluded rows before row i, so a window's own count is a difference of two.
        count = np.concatenate([[0], np.cumsum(excluded, dtype=np.int64)])

        def clean(ends: np.ndarray) -> np.ndarray:
            return ends[count[ends + 1] == count[ends + 1 - size]]

        kept_train, kept_val = clean(train_ends), clean(val_ends)
        skipped = len(train_ends) + len(val_ends) - len(kept_train) - len(kept_val)
        train_ends, val_ends = kept_train, kept_val
    if len(train_ends) == 0 or len(val_ends) == 0:
        raise ValueError(f"{data}: {len(train_ends)} training and {len(val_ends)} validation windows of "
                         f"size {size}; each key needs well over {size} events")
    mean, std = fit_normalization(table.columns[train_rows])
    normalized = normalize(table.columns, mean, std)
    train_windows = make_windows(table, normalized, size, stride, train_ends).windows
    val_windows = make_windows(table, normalized, size, stride, val_ends).windows
    batch_size = batch_size or default_batch_size(len(train_windows))
    log(f"windows: {len(train_windows)} training, {len(val_windows)} validation "
        f"(size {size}, stride {stride}, {len(spec.columns)} columns"
        f"{f'; {skipped} holding excluded rows left out' if skipped else ''}); kind {spec.kind}; device {device}; "
        f"batches of {batch_size}")

    train_tensor, val_tensor = torch.from_numpy(train_windows).to(device), torch.from_numpy(val_windows).to(device)
    members, fits = [], []
    for member_seed in range(seed, seed + ensemble):
        seed_everything(member_seed)
        member = autoencoders.build(spec.kind, size, len(spec.columns), spec.bottleneck).to(device)
        epochs_run, best_val = fit(member, train_tensor, val_tensor, epochs, batch_size, lr, patience, member_seed)
        log(f"trained {epochs_run} epochs{f' (seed {member_seed})' if ensemble > 1 else ''}, "
            f"best validation loss {best_val:.6f}")
        members.append(member)
        fits.append({"seed": member_seed, "epochs": epochs_run, "best_val_loss": best_val})
    if ensemble == 1:
        model, best_val = members[0], fits[0]["best_val_loss"]
    else:
        model = autoencoders.Ensemble(members)
        best_val = _mean_loss(model, val_tensor)
        log(f"ensemble of {ensemble}: validation loss {best_val:.6f} (members' mean "
            f"{np.mean([f['best_val_loss'] for f in fits]):.6f})")

    # The bounds the exported model reads its input within (autoencoders.InputsClamped): what the
    # network saw, so the training windows' extremes (a column constant there is read as that value,
    # 0 for one constant in every training event, whose normalized value is 0).
    seen_low, seen_high = train_windows.min(axis=(0, 1)), train_windows.max(axis=(0, 1))
    constant = seen_low == seen_high
    if constant.any():
        log(f"constant in training, read as their training value by the model: "
            f"{', '.join(np.array(spec.columns)[constant])}")
        warn_constant_columns_moving(data, np.array(spec.columns)[constant], val_windows[:, :, constant],
                                     seen_low[constant])
    if spec.clamp_to_training_range:
        low, high = seen_low, seen_high
        log("every column read within its training range")
    else:
        low, high = np.where(constant, seen_low, -np.inf), np.where(constant, seen_high, np.inf)
    if spec.clamp_to_training_range or constant.any():
        model = autoencoders.InputsClamped(model, low.tolist(), high.tolist())

    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / ONNX_FILE
    onnx_io.export(model, onnx_path)
    onnx_io.verify(onnx_path, model)
    scores, _ = onnx_io.errors(val_windows, onnx_io.reconstruct(onnx_io.session(onnx_path), val_windows))
    calibration = calibrate(scores)

    training = {
        "data": data,
        "rows": table.lines_read,
        "events": len(table),
        "keys": len(table.segments),
        "dead_letters": dict(sorted(table.dead_letters.items())),
        **(extra or {}),
        "windows": {"train": len(train_windows), "validation": len(val_windows)},
        "split": f"by time per key: each key's last {val_fraction} of events validate; "
                 f"windows spanning the boundary are unused",
        "epochs": sum(f["epochs"] for f in fits),
        "max_epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": lr,
        "patience": patience,
        "best_val_loss": best_val,
        "seed": seed,
        "ensemble": ensemble,
        **({"members": fits} if ensemble > 1 else {}),
        "architecture": model.describe(),
        **({"constant_columns": np.array(spec.columns)[constant].tolist()} if constant.any() else {}),
        **({"input_range": {"low": low.tolist(), "high": high.tolist()}} if spec.clamp_to_training_range else {}),
        "device": device.type,
        "threads": threads if device.type == "cpu" else None,
        "torch": torch.__version__,
        "onnxruntime": onnx_io.ort.__version__,
        "seconds": round(time.monotonic() - started, 1),
    }
    model_json = build_model_json(spec, onnx_io.sha256(onnx_path), [float(m) for m in mean],
                                  [float(s) for s in std], calibration, training)
    write_model_json(out, model_json)
    log(f"wrote {onnx_path} and {out / 'model.json'}: calibration median {calibration['quantiles']['0.5']:.4g}, "
        f"p99.9 {calibration['quantiles']['0.999']:.4g} over {calibration['samples']} windows "
        f"({training['seconds']} s)")
    return model_json


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every training command shares (this one and train_csv)."""
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=60, help="upper bound; early stopping usually ends sooner")
    parser.add_argument("--batch-size", type=int, help=f"windows per optimizer step (default {MAX_BATCH}, fewer on small "
                        f"data: at least {MIN_STEPS_PER_EPOCH} steps an epoch, never under {MIN_BATCH})")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--val-fraction", type=float, default=0.2, help="each key's last fraction of events, by time")
    parser.add_argument("--patience", type=int, default=6, help="epochs without a better validation loss before stopping")
    parser.add_argument("--ensemble", type=int, default=1, help="members trained from seeds SEED, SEED+1, ...; the "
                        "model reconstructs with their mean (default 1: one model)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for training (ignored on CUDA)")


def training_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Any]:
    """The shared options as keyword arguments of train / train_table, checked."""
    if not 0 < args.val_fraction < 1:
        parser.error(f"--val-fraction must be in (0, 1), got {args.val_fraction}")
    if args.batch_size is not None and args.batch_size < 1:
        parser.error(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.ensemble < 1:
        parser.error(f"--ensemble must be >= 1, got {args.ensemble}")
    # With no epoch the exported model is its random initialization and its best validation loss
    # Infinity, which is not JSON: the job would refuse the model.json.
    for option, value in (("--epochs", args.epochs), ("--patience", args.patience), ("--threads", args.threads)):
        if value < 1:
            parser.error(f"{option} must be >= 1, got {value}")
    if not args.lr > 0:  # also NaN
        parser.error(f"--lr must be > 0, got {args.lr}")
    return {"seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
            "val_fraction": args.val_fraction, "patience": args.patience, "ensemble": args.ensemble,
            "threads": args.threads,
            "log": lambda message: print(message, file=sys.stderr)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vigil_models.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, type=Path, help="training config: name, version, stream, kind, key, timestamp, features, window")
    parser.add_argument("--events", required=True, type=Path, help="JSON lines of raw event payloads (normal data)")
    parser.add_argument("--out", required=True, type=Path, help="model directory to write model.onnx and model.json into")
    add_training_arguments(parser)
    parser.add_argument("--max-payload-bytes", type=int, default=DEFAULT_MAX_PAYLOAD_BYTES,
                        help="the job's parse.max-payload-bytes: larger payloads are skipped as oversized")
    args = parser.parse_args(argv)
    options = training_options(parser, args)
    with one_line_errors(ValueError):
        spec = ModelSpec.load(args.config)
        train(spec, args.events, args.out, max_payload_bytes=args.max_payload_bytes, **options)


if __name__ == "__main__":
    main()
