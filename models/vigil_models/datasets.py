"""Public labelled datasets turned into the project's labelled CSV format (csv_data.py). The data stays
where it is (default ../shared/datasets, one folder per dataset with the files as published); only
the converted CSV files are written, to a folder of your choice.

    python -m vigil_models.datasets kdd99 --datasets ../shared/datasets --out build/kdd99
    python -m vigil_models.datasets skab --datasets ../shared/datasets --out build/skab
    python -m vigil_models.datasets nab --datasets ../shared/datasets --out build/nab [--series realKnownCause/x.csv]

kdd99: KDD Cup 1999, the 10 % file (kddcup.data_10_percent.gz, from the UCI KDD archive:
kdd.ics.uci.edu/databases/kddcup99). Following the protocol of Cloudera Fast Forward's "Deep
Learning for Anomaly Detection" report: 18 continuous features, a test set of 8,000 normal and 2,000
attack connections drawn at random, training on the other normal connections. Writes train.csv
(normal only, label 0) and test.csv (shuffled, labelled). Connections carry no time: row i gets the
timestamp i seconds after 2026-01-01, and all rows one key, so that the job scores them one by one
(a window of one event).

skab: the Skoltech Anomaly Benchmark (github.com/waico/SKAB), 34 labelled experiments on a
water-pump testbed, 8 sensors at 1 Hz, the ``anomaly`` column as the label. Following SKAB's
protocol, the first 400 rows of each experiment train (train.csv) and the rest are evaluated
(test.csv); one key per experiment (``valve1-0``, ``other-12``, ...), so the job keeps a threshold per
experiment, and one model for the testbed. Rows are ordered by time across experiments, as a live
stream would deliver them; SKAB's times carry no zone and are read as UTC.

nab: the Numenta Anomaly Benchmark (github.com/numenta/NAB), 58 univariate series with labelled
anomaly windows (labels/combined_windows.json). For each series, OUT/<folder>/<name>.csv is the whole
series labelled 1 inside its windows (the evaluated file, named as NAB names it so that
``--nab-windows`` finds its windows) and OUT/<folder>/<name>.train.csv its probationary period
without the label column: the first 15 % of the file, at most 750 rows, as NAB's scorer counts it. A
detector may learn there and its detections are not scored; it is all the model sees of the series
before the replay, and the labels play no part in it (a window that starts inside it is learned as
normal, as a detector that streams the file would).
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

import numpy as np

from .cli import one_line_errors
from .metrics import nab_probation

# The 41 columns of a KDD Cup 99 record (kddcup.names), then the class.
KDD_COLUMNS = [
    "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land", "wrong_fragment", "urgent",
    "hot", "num_failed_logins", "logged_in", "num_compromised", "root_shell", "su_attempted", "num_root",
    "num_file_creations", "num_shells", "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login",
    "count", "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate", "same_srv_rate",
    "diff_srv_rate", "srv_diff_host_rate", "dst_host_count", "dst_host_srv_count", "dst_host_same_srv_rate",
    "dst_host_diff_srv_rate", "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
]
# The continuous features: durations, byte counts, connection counts and the traffic rates; the
# categorical (protocol, service, flag), binary and sparse event-count columns are left out.
KDD_FEATURES = [
    "duration", "src_bytes", "dst_bytes", "count", "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate",
    "srv_rerror_rate", "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count", "dst_host_srv_count",
    "dst_host_same_srv_rate", "dst_host_diff_srv_rate", "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate",
]
KDD_TEST_NORMAL = 8000
KDD_TEST_ATTACKS = 2000
START_MS = 1767225600000  # 2026-01-01T00:00:00Z
# ../shared/datasets next to the repository, wherever the command runs from.
DEFAULT_DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def _read_kdd(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features [rows, 18] and labels (1 = attack) of a KDD file."""
    index = [KDD_COLUMNS.index(c) for c in KDD_FEATURES]
    rows, labels = [], []
    with gzip.open(path, "rt", encoding="ascii") as lines:
        for number, line in enumerate(lines, start=1):
            fields = line.rstrip("\n").split(",")
            if len(fields) != len(KDD_COLUMNS) + 1:
                raise ValueError(f"{path}:{number}: {len(fields)} fields, expected {len(KDD_COLUMNS) + 1}")
            rows.append([float(fields[i]) for i in index])
            labels.append(0 if fields[-1] == "normal." else 1)
    return np.array(rows), np.array(labels, dtype=np.int8)


def _write_csv(path: Path, features: np.ndarray, labels: np.ndarray) -> None:
    with open(path, "w", encoding="ascii") as out:
        out.write(",".join(["timestamp", *KDD_FEATURES, "label"]) + "\n")
        for i, (row, label) in enumerate(zip(features, labels)):
            out.write(f"{START_MS + 1000 * i}," + ",".join(f"{v:g}" for v in row) + f",{label}\n")


def kdd99(datasets: Path, out: Path, seed: int = 7, test_normal: int = KDD_TEST_NORMAL,
          test_attacks: int = KDD_TEST_ATTACKS) -> dict[str, int]:
    source = datasets / "kddcup99" / "kddcup.data_10_percent.gz"
    if not source.is_file():
        raise FileNotFoundError(f"{source} not found: download kddcup.data_10_percent.gz from "
                                "kdd.ics.uci.edu/databases/kddcup99 into DATASETS/kddcup99/")
    features, labels = _read_kdd(source)
    rng = np.random.default_rng(seed)
    normal = rng.permutation(np.flatnonzero(labels == 0))
    attacks = rng.permutation(np.flatnonzero(labels == 1))
    if len(normal) <= test_normal or len(attacks) < test_attacks:
        raise ValueError(f"{source}: {len(normal)} normal and {len(attacks)} attack rows, too few for a test set of "
                         f"{test_normal} normal and {test_attacks} attacks plus training rows")
    test = rng.permutation(np.concatenate([normal[:test_normal], attacks[:test_attacks]]))
    train = normal[test_normal:]
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "train.csv", features[train], labels[train])
    _write_csv(out / "test.csv", features[test], labels[test])
    return {"train": len(train), "test": len(test), "test_attacks": int(labels[test].sum())}


SKAB_FEATURES = ["Accelerometer1RMS", "Accelerometer2RMS", "Current", "Pressure", "Temperature", "Thermocouple",
                 "Voltage", "Volume Flow RateRMS"]
SKAB_TRAIN_ROWS = 400


SkabRow = tuple[str, str, list[str], int]  # timestamp (ISO, UTC), key, feature values as published, label


def skab_experiments(datasets: Path) -> dict[str, list[SkabRow]]:
    """SKAB's 34 labelled experiments, keyed ``valve1-0``, ``other-12``, ..., each experiment's rows
    in file order."""
    root = datasets / "skab" / "data"
    files = sorted(p for group in ("valve1", "valve2", "other") for p in (root / group).glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no SKAB experiments under {root}: clone github.com/waico/SKAB and copy its data/ "
                                "folder to DATASETS/skab/data/")
    experiments = {}
    for path in files:
        key = f"{path.parent.name}-{path.stem}"
        rows = experiments[key] = []
        with open(path, encoding="utf-8") as lines:
            header = lines.readline().rstrip("\n").split(";")
            missing = [c for c in (*SKAB_FEATURES, "anomaly") if c not in header]
            if missing:
                raise ValueError(f"{path}:1: no column {', '.join(repr(c) for c in missing)}: not a SKAB experiment "
                                 "as published (';'-separated, with its sensors and 'anomaly')")
            index = [header.index(c) for c in SKAB_FEATURES]
            label_at = header.index("anomaly")
            for number, line in enumerate(lines, start=2):
                fields = line.rstrip("\n").split(";")
                if len(fields) != len(header):
                    raise ValueError(f"{path}:{number}: {len(fields)} fields, the header has {len(header)}")
                try:
                    label = int(float(fields[label_at]))
                except ValueError:
                    raise ValueError(f"{path}:{number}: anomaly '{fields[label_at]}' is not 0 or 1") from None
                rows.append((fields[0].replace(" ", "T") + "Z", key, [fields[i] for i in index], label))
    return experiments


def _write_skab_csv(path: Path, rows: list[SkabRow], labelled: bool = True) -> None:
    with open(path, "w", encoding="utf-8") as csv_out:
        csv_out.write(",".join(["timestamp", "key", *(c.replace(" ", "_") for c in SKAB_FEATURES)]
                               + (["label"] if labelled else [])) + "\n")
        for ts, key, values, label in rows:
            csv_out.write(f"{ts},{key}," + ",".join(values) + (f",{label}" if labelled else "") + "\n")


def skab(datasets: Path, out: Path) -> dict[str, int]:
    experiments = skab_experiments(datasets)
    train = [row for rows in experiments.values() for row in rows[:SKAB_TRAIN_ROWS]]
    test = [row for rows in experiments.values() for row in rows[SKAB_TRAIN_ROWS:]]
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train.csv", train), ("test.csv", test)):
        rows.sort(key=lambda r: (r[0], r[1]))  # by time across experiments, as a stream delivers them
        _write_skab_csv(out / name, rows)
    return {"experiments": len(experiments), "train": len(train), "test": len(test),
            "test_anomalous": sum(r[3] for r in test)}


def skab_per_experiment(datasets: Path, out: Path) -> list[str]:
    """SKAB as its own notebooks run it, one experiment at a time: OUT/<key>.csv is the whole
    experiment, labelled (what is replayed), OUT/<key>.train.csv its first 400 rows without the label
    column (what the model and its normalization are fitted on: SKAB takes them as normal whatever
    their labels say). Returns the keys."""
    experiments = skab_experiments(datasets)
    out.mkdir(parents=True, exist_ok=True)
    for key, rows in experiments.items():
        _write_skab_csv(out / f"{key}.csv", rows)
        _write_skab_csv(out / f"{key}.train.csv", rows[:SKAB_TRAIN_ROWS], labelled=False)
    return list(experiments)


def nab(datasets: Path, out: Path, series: str | None = None) -> dict[str, int]:
    root = datasets / "nab"
    windows_file = root / "labels" / "combined_windows.json"
    if not windows_file.is_file():
        raise FileNotFoundError(f"{windows_file} not found: clone github.com/numenta/NAB and copy its data/ and "
                                "labels/ folders to DATASETS/nab/")
    import json

    windows = json.loads(windows_file.read_text())
    names = [series] if series else sorted(windows)
    for name in names:
        if name not in windows:
            raise ValueError(f"no NAB series {name} (names look like {next(iter(sorted(windows)))})")
        with open(root / "data" / name, encoding="utf-8") as lines:
            header = lines.readline().strip()
            if header != "timestamp,value":
                raise ValueError(f"{root / 'data' / name}: header {header!r}, expected 'timestamp,value'")
            rows = [line.strip().split(",") for line in lines if line.strip()]
        spans = [(a[:19], b[:19]) for a, b in windows[name]]  # "YYYY-MM-DD HH:MM:SS", comparable as text
        labelled = [(ts, value, int(any(a <= ts <= b for a, b in spans))) for ts, value in rows]
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8") as csv_out:
            csv_out.write("timestamp,value,label\n")
            csv_out.writelines(f"{ts},{value},{label}\n" for ts, value, label in labelled)
        with open(target.with_suffix(".train.csv"), "w", encoding="utf-8") as csv_out:
            csv_out.write("timestamp,value\n")
            csv_out.writelines(f"{ts},{value}\n" for ts, value in rows[:nab_probation(len(rows))])
    return {"series": len(names)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vigil_models.datasets", description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", choices=["kdd99", "skab", "nab"])
    parser.add_argument("--series", help="nab: one series, e.g. realKnownCause/machine_temperature_system_failure.csv")
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS,
                        help="folder holding the published datasets (default: ../shared/datasets from the repository)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the CSV files")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with one_line_errors(ValueError):
        counts = (kdd99(args.datasets, args.out, args.seed) if args.dataset == "kdd99"
                  else skab(args.datasets, args.out) if args.dataset == "skab"
                  else nab(args.datasets, args.out, args.series))
    print(f"wrote {args.dataset} into {args.out}: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
