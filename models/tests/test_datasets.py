"""The public datasets' converters, on small files laid out as the datasets publish them."""

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from vigil_models import datasets
from vigil_models.csv_data import read_csv


def kdd_line(rng, label):
    fields = [str(rng.integers(0, 100)) for _ in datasets.KDD_COLUMNS]
    fields[1:4] = ["tcp", "http", "SF"]
    return ",".join(fields + [label]) + "\n"


def test_kdd99_draws_the_test_set_and_trains_on_the_other_normal_rows(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "kddcup99").mkdir()
    with gzip.open(tmp_path / "kddcup99" / "kddcup.data_10_percent.gz", "wt") as out:
        for i in range(300):
            out.write(kdd_line(rng, "normal." if i % 3 else "smurf."))
    counts = datasets.kdd99(tmp_path, tmp_path / "out", test_normal=80, test_attacks=20)
    assert counts == {"train": 200 - 80, "test": 100, "test_attacks": 20}
    train, test = read_csv(tmp_path / "out" / "train.csv"), read_csv(tmp_path / "out" / "test.csv")
    assert train.features == datasets.KDD_FEATURES and len(datasets.KDD_FEATURES) == 18
    assert train.labels.sum() == 0 and test.labels.sum() == 20 and not train.has_key


def test_kdd99_names_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="kddcup.data_10_percent.gz"):
        datasets.kdd99(tmp_path, tmp_path / "out")


def write_skab(path, start_minute, rows, anomalous_from):
    header = "datetime;" + ";".join(datasets.SKAB_FEATURES) + ";anomaly;changepoint\n"
    lines = [f"2020-03-09 10:{start_minute + i // 60:02d}:{i % 60:02d};" + ";".join(["1.5"] * 8)
             + f";{1.0 if i >= anomalous_from else 0.0};0.0\n" for i in range(rows)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "".join(lines))


def test_skab_splits_each_experiment_after_400_rows_and_orders_rows_by_time(tmp_path):
    write_skab(tmp_path / "skab" / "data" / "valve1" / "0.csv", 0, 450, 420)
    write_skab(tmp_path / "skab" / "data" / "other" / "3.csv", 5, 430, 1000)
    counts = datasets.skab(tmp_path, tmp_path / "out")
    assert counts == {"experiments": 2, "train": 800, "test": 80, "test_anomalous": 30}
    test = read_csv(tmp_path / "out" / "test.csv")
    keys = [json.loads(e)["key"] for e in test.events]
    times = [json.loads(e)["timestamp"] for e in test.events]
    assert set(keys) == {"valve1-0", "other-3"} and times == sorted(times)


@pytest.mark.parametrize("breakage, message", [
    (lambda text: text.replace(";anomaly;", ";anomalous;"), r"0.csv:1: no column 'anomaly'"),
    (lambda text: text.replace(";0.0;0.0\n", ";0.0\n", 1), r"0.csv:2: 10 fields, the header has 11"),
    (lambda text: text.replace(";0.0;0.0\n", ";yes;0.0\n", 1), r"0.csv:2: anomaly 'yes' is not 0 or 1"),
])
def test_a_skab_file_not_as_published_is_named_with_its_line(tmp_path, breakage, message):
    path = tmp_path / "skab" / "data" / "valve1" / "0.csv"
    write_skab(path, 0, 5, 1000)
    path.write_text(breakage(path.read_text()))
    with pytest.raises(ValueError, match=message):
        datasets.skab_experiments(tmp_path)


def write_nab(root: Path, name: str, rows: list[str], window: tuple[str, str]) -> None:
    """A one-series NAB folder as published: data/<name> and labels/combined_windows.json."""
    (root / "nab" / "data" / name).parent.mkdir(parents=True)
    (root / "nab" / "labels").mkdir()
    (root / "nab" / "data" / name).write_text("timestamp,value\n" + "".join(rows))
    (root / "nab" / "labels" / "combined_windows.json").write_text(json.dumps({name: [list(window)]}))


def test_nab_labels_the_windows_and_trains_on_the_probationary_period(tmp_path):
    write_nab(tmp_path, "realKnownCause/x.csv", [f"2014-01-01 00:{i:02d}:00,{i}.5\n" for i in range(40)],
              ("2014-01-01 00:10:00.000000", "2014-01-01 00:14:00.000000"))
    datasets.nab(tmp_path, tmp_path / "out")
    series = read_csv(tmp_path / "out" / "realKnownCause" / "x.csv")
    assert np.flatnonzero(series.labels).tolist() == [10, 11, 12, 13, 14]
    train = read_csv(tmp_path / "out" / "realKnownCause" / "x.train.csv")
    assert len(train) == 6  # 15 % of 40
    assert train.labels is None  # the model never sees a label


def test_nab_probationary_period_is_at_most_750_rows_as_nab_scores_it(tmp_path):
    rows = [f"2015-01-{1 + i // 1440:02d} {i // 60 % 24:02d}:{i % 60:02d}:00,{i % 7}\n" for i in range(6000)]
    # A window inside the first 15 % (900 rows) but after NAB's probation (750): scored, so never trained on.
    write_nab(tmp_path, "realTweets/y.csv", rows, ("2015-01-01 13:20:00.000000", "2015-01-01 13:40:00.000000"))
    datasets.nab(tmp_path, tmp_path / "out")
    train = read_csv(tmp_path / "out" / "realTweets" / "y.train.csv")
    assert len(train) == 750
    assert train.labels is None
    assert train.events == read_csv(tmp_path / "out" / "realTweets" / "y.csv").events[:750]
