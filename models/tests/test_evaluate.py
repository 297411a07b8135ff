"""`make evaluate` end to end: a model trained on a small labelled CSV, the file replayed through the
Java job's topology, the metrics computed. Needs the job built: the Makefile's test-evaluate target
runs it with VIGIL_JAVA set to a java command whose class path holds the job."""

import json
import os
import shlex
from pathlib import Path

import numpy as np
import pytest

from vigil_models import evaluate
from vigil_models.train_csv import train_csv

JAVA = os.environ.get("VIGIL_JAVA")
needs_the_job = pytest.mark.skipif(not JAVA, reason="VIGIL_JAVA not set: run `make test-evaluate` (needs the Java build)")


def write_labelled_csv(path: Path, by_key: bool = False) -> None:
    """Three machines: a daily-like cycle plus noise, two correlated columns, two injected level jumps
    each (labelled), interleaved by time as a real export would be (``by_key``: one machine after the
    other, as the format also allows)."""
    rng = np.random.default_rng(1)
    rows = []
    for k in range(3):
        n = 1500
        t = np.arange(n)
        a = 20 + 5 * np.sin(2 * np.pi * t / 100) + rng.normal(0, 0.3, n)
        b = 0.5 * a + rng.normal(0, 0.2, n)
        label = np.zeros(n, dtype=int)
        for start in (600 + 50 * k, 1100 + 30 * k):
            a[start:start + 10] += 8
            label[start:start + 10] = 1
        rows += [(1767225600000 + i * 60000, f"m{k}", a[i], b[i], label[i]) for i in range(n)]
    rows.sort(key=lambda r: (r[1], r[0]) if by_key else (r[0], r[1]))
    path.write_text("timestamp,key,a,b,label\n" + "".join(f"{r[0]},{r[1]},{r[2]:.4f},{r[3]:.4f},{r[4]}\n" for r in rows))


@needs_the_job
def test_evaluation_replays_the_file_through_the_job_and_scores_the_detections(tmp_path):
    data = tmp_path / "machines.csv"
    write_labelled_csv(data)
    train_csv(data, tmp_path / "model", kind="dense", window_size=8, epochs=15, log=lambda _: None)

    result = evaluate.evaluate(data, tmp_path / "model", tmp_path / "eval", shlex.split(JAVA), ["--threshold.k", "3.5"])

    assert result["points"] == 4500 and result["keys"] == 3 and result["dead_letters"] == 0
    # Jumps of 8 against noise of 0.3 are unmistakable: every one is caught at its first point.
    assert result["detected_segments"] == result["anomalous_segments"] == 6
    assert result["mean_detection_delay_points"] == 0.0
    assert result["auc_roc"] > 0.95
    # A window that holds an anomalous point alerts: up to window - 1 points after each segment are
    # counted against the point-wise precision, and little else.
    assert result["pointwise"]["fp"] <= 6 * 7 + 10
    written = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert written == json.loads(json.dumps(result))
    assert "NAB" not in (tmp_path / "eval" / "report.md").read_text()
    assert sorted(p.name for p in (tmp_path / "eval" / "plots").glob("*.png")) == ["m0.png", "m1.png", "m2.png"]


@needs_the_job
def test_a_file_laid_out_key_by_key_loses_no_row_to_the_watermark(tmp_path):
    data = tmp_path / "machines.csv"
    write_labelled_csv(data, by_key=True)
    train_csv(data, tmp_path / "model", kind="dense", window_size=8, epochs=2, log=lambda _: None)
    # A watermark every millisecond instead of every 200 ms: it moves while the file is read, as it
    # does on a slower read. Read key by key, m1's and m2's rows would be a day behind it, and late.
    result = evaluate.evaluate(data, tmp_path / "model", tmp_path / "eval", shlex.split(JAVA),
                               ["--flink.pipeline.auto-watermark-interval", "1 ms"])
    assert result["dead_letters"] == 0
    scores = (tmp_path / "eval" / "replay" / "scores.jsonl").read_text().splitlines()
    assert len(scores) == 3 * (1500 - 7)  # every row from each key's 8th on ends a scored window


@needs_the_job
def test_a_file_of_which_nothing_is_scored_is_an_error_that_says_why(tmp_path):
    data = tmp_path / "machines.csv"
    write_labelled_csv(data)
    train_csv(data, tmp_path / "model", kind="dense", window_size=8, epochs=2, log=lambda _: None)
    other = tmp_path / "other.csv"
    other.write_text("timestamp,key,c,label\n" + "".join(f"{1767225600000 + i * 60000},m0,{i},0\n" for i in range(20)))
    with pytest.raises(ValueError, match=r"20 of 20 events were dead-lettered \(missing_feature 20; the first: .*\ba\b"):
        evaluate.evaluate(other, tmp_path / "model", tmp_path / "eval", shlex.split(JAVA), [])


@needs_the_job
def test_a_model_the_job_cannot_load_is_named_in_one_line_without_a_stack_trace(tmp_path):
    data = tmp_path / "machines.csv"
    write_labelled_csv(data)
    with pytest.raises(RuntimeError, match=r"error: --stream\.replay\.model .*not-a-model.*model contract not found") as failed:
        evaluate.evaluate(data, tmp_path / "not-a-model", tmp_path / "eval", shlex.split(JAVA), [])
    assert "\tat " not in str(failed.value)


def test_why_nothing_was_scored_names_the_dead_letters_or_the_short_keys(tmp_path):
    (tmp_path / "dead-letters.jsonl").write_text("")
    assert "no key has as many events as the model's window (5 events" in evaluate.nothing_scored(tmp_path, 5)
    (tmp_path / "dead-letters.jsonl").write_text("".join(json.dumps({"reason": r, "detail": d}) + "\n" for r, d in [
        ("missing_key", "key at sensor_id is missing"), ("bad_timestamp", "ts"), ("missing_key", "again")]))
    why = evaluate.nothing_scored(tmp_path, 3)
    assert "3 of 3 events were dead-lettered (missing_key 2, bad_timestamp 1; the first: key at sensor_id is missing)" in why


def test_nab_windows_become_point_indices_of_the_file(tmp_path):
    windows = tmp_path / "combined_windows.json"
    windows.write_text(json.dumps({"realKnownCause/x.csv": [["2026-01-01 00:02:00.000000", "2026-01-01 00:04:00.000000"]]}))
    timestamps = 1767225600000 + np.arange(10) * 60000
    assert evaluate.nab_windows(windows, Path("/data/NAB/realKnownCause/x.csv"), timestamps) == [(2, 4)]
    with pytest.raises(ValueError, match="no windows for"):
        evaluate.nab_windows(windows, Path("/data/other.csv"), timestamps)


def test_job_parameters_are_what_follows_the_double_dash():
    assert evaluate.split_job_parameters(["--data", "x.csv", "--", "--threshold.k", "4"]) == \
        (["--data", "x.csv"], ["--threshold.k", "4"])
    assert evaluate.split_job_parameters(["--data", "x.csv"]) == (["--data", "x.csv"], [])


def stand_in_replay(java, events, model, out, job_parameters):
    """What the job writes for a model of one-event windows that scores each event by its value and
    alerts above 5 (the files only, enough for the join and the metrics)."""
    scores, alerts = [], []
    for line in events.read_text().splitlines():
        e = json.loads(line)
        time = np.datetime64(e["timestamp"], "ms").astype(str) + "Z"
        scores.append({"key": e["key"], "event_time": time, "score": e["x"], "threshold": 5.0, "alert": e["x"] > 5})
        if e["x"] > 5:
            alerts.append({"key": e["key"], "event_time": time, "alert_id": f"a{len(alerts)}"})
    for name, records in (("scores.jsonl", scores), ("alerts.jsonl", alerts), ("dead-letters.jsonl", [])):
        (out / name).write_text("".join(json.dumps(r) + "\n" for r in records))


def test_rows_that_share_a_key_and_timestamp_are_counted_and_named_not_silently_merged(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(evaluate, "replay", stand_in_replay)
    data = tmp_path / "repeated.csv"
    # Lines 3 and 4 repeat key a's time (as NAB's series do where a clock was set back); the job scores
    # each, but the join by key and time gives both the last one's score.
    data.write_text("timestamp,key,x,label\n1000,a,1,0\n2000,a,9,1\n2000,a,2,0\n3000,a,1,0\n"
                    "1000,b,1,0\n2000,b,8,1\n")
    result = evaluate.evaluate(data, tmp_path / "model", tmp_path / "eval", ["java"], [])
    assert result["rows_sharing_a_timestamp"] == 2
    assert f"warning: {data}: 2 rows share their key and timestamp with another row (the first: key a, lines 3, 4)" \
        in capsys.readouterr().err
    assert "2 rows share their key and timestamp with another row" in (tmp_path / "eval" / "report.md").read_text()
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["rows_sharing_a_timestamp"] == 2
    # Both of a's rows at 2000 took the score 2 of the last one: not alerted, the anomaly at line 3 missed.
    assert result["pointwise"]["tp"] == 1 and result["pointwise"]["fn"] == 1

    data.write_text("timestamp,key,x,label\n1000,a,1,0\n2000,a,9,1\n3000,a,1,0\n")
    result = evaluate.evaluate(data, tmp_path / "model", tmp_path / "eval2", ["java"], [])
    assert "rows_sharing_a_timestamp" not in result and "warning" not in capsys.readouterr().err


def test_a_file_laid_out_key_by_key_is_replayed_in_time_order_and_joined_by_key_and_time(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluate, "replay", stand_in_replay)
    data = tmp_path / "by-key.csv"
    data.write_text("timestamp,key,x,label\n1000,a,1,0\n2000,a,9,1\n3000,a,1,0\n"
                    "1000,b,1,0\n2000,b,1,0\n3000,b,8,1\n")
    result = evaluate.evaluate(data, tmp_path / "model", tmp_path / "eval", ["java"], [])
    events = [json.loads(line) for line in (tmp_path / "eval" / "replay" / "events.jsonl").read_text().splitlines()]
    assert [(e["key"], e["timestamp"]) for e in events] == [
        ("a", 1000), ("b", 1000), ("a", 2000), ("b", 2000), ("a", 3000), ("b", 3000)]
    # Each row still gets its own window's score: both anomalies caught, nothing else alerted.
    assert result["pointwise"]["tp"] == 2 and result["pointwise"]["fp"] == 0 and result["pointwise"]["fn"] == 0


def test_the_first_group_of_rows_sharing_a_timestamp_is_named_by_its_key_and_lines():
    keys = ["a", "b", "b", "a", "a", "b"]
    timestamps = np.array([5, 7, 7, 5, 9, 7])
    assert evaluate.shared_timestamps(keys, timestamps, [2, 3, 4, 5, 6, 7]) == (5, "key a, lines 2, 5")
    assert evaluate.shared_timestamps(["a"] * 7, np.zeros(7), list(range(2, 9))) == (7, "key a, lines 2, 3, 4, 5, 6, ...")
    assert evaluate.shared_timestamps(["a", "b"], np.array([1, 1]), [2, 3]) == (0, None)
