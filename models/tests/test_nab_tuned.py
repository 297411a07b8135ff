"""nab_tuned over a tiny NAB-like corpus written as make eval-nab leaves it: one series, its replays."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from vigil_models import nab_tuned

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
POINTS = 200  # NAB's probation: the first 30


def at(i: int) -> datetime:
    return START + timedelta(minutes=5 * i)


def iso(i: int) -> str:
    return at(i).isoformat().replace("+00:00", "Z")


@pytest.fixture
def corpus(tmp_path):
    """A series with one window (points 100 to 119) and the replays of a run: the job's score over its
    threshold is 2 at points 105 and 106 (one incident in the window), 3 at point 160 (a false alert),
    0.5 elsewhere; Random Cut Forest's score is 1.2 at point 150 and 0.5 elsewhere."""
    labels = tmp_path / "datasets" / "nab" / "labels"
    labels.mkdir(parents=True)
    window = [at(100).strftime("%Y-%m-%d %H:%M:%S.%f"), at(119).strftime("%Y-%m-%d %H:%M:%S.%f")]
    (labels / "combined_windows.json").write_text(json.dumps({"demo/s.csv": [window]}))
    data = tmp_path / "work" / "data" / "demo"
    data.mkdir(parents=True)
    (data / "s.csv").write_text("timestamp,value,label\n" + "".join(
        f"{at(i).strftime('%Y-%m-%d %H:%M:%S')},{i % 7},{int(100 <= i <= 119)}\n" for i in range(POINTS)))
    replay = tmp_path / "work" / "eval" / "nab" / "demo__s" / "replay"
    replay.mkdir(parents=True)
    ratio = {105: 2.0, 106: 2.0, 160: 3.0}
    (replay / "scores.jsonl").write_text("".join(
        json.dumps({"key": "default", "event_time": iso(i), "score": ratio.get(i, 0.5) * 0.1, "threshold": 0.1,
                    "alert": i in ratio}) + "\n" for i in range(15, POINTS)))
    (replay / "alerts.jsonl").write_text("".join(
        json.dumps({"alert_id": str(i), "key": "default", "event_time": iso(i), "incident": "start",
                    "incident_id": str(i)}) + "\n"
        for i in (105, 160)))
    (replay / "rcf-scores.jsonl").write_text("".join(
        json.dumps({"key": "default", "event_time": iso(i), "score": 1.2 if i == 150 else 0.5, "alert": False}) + "\n"
        for i in range(POINTS)))
    return tmp_path


def test_the_best_cut_is_found_for_each_detector_and_cut_1_gives_back_the_jobs_alerts(corpus):
    out = corpus / "out"
    nab_tuned.main(["--out", str(out), "--work", str(corpus / "work"), "--datasets", str(corpus / "datasets")])
    result = json.loads((out / "metrics.json").read_text())
    job = result["job"]["incidents"]["standard"]
    # Catching the window is worth its false alert; below 0.5 one incident runs from the probation on.
    assert 0.5 < job["cut"] <= 2.0
    assert (job["windows_detected"], job["detections_outside"]) == (1, 1)
    assert job["score"] > 0
    # Every point above the cut: points 105 and 106 are one detection in the window (only the first counts).
    assert result["job"]["windows"]["standard"]["windows_detected"] == 1
    # Random Cut Forest's only peak is outside the window: the best is to detect nothing (NAB's 0),
    # above the peak, or (one incident per gap) below every score, all one incident from the probation on.
    rcf = result["rcf"]["windows"]["standard"]
    assert 1.2 < rcf["cut"] < 1.25 and rcf["score"] == pytest.approx(0.0)
    assert result["rcf"]["incidents"]["standard"]["score"] == pytest.approx(0.0)
    assert result["rcf"]["incidents"]["standard"]["windows_detected"] == 0
    own = result["job"]["own_threshold"]
    assert own["series_differing"] == 0
    assert own["cut_1"] == own["written"]
    assert "chosen on the labels" in (out / "report.md").read_text()


def test_a_missing_replay_is_named(corpus, capsys):
    (corpus / "work" / "eval" / "nab" / "demo__s" / "replay" / "rcf-scores.jsonl").unlink()
    with pytest.raises(SystemExit, match="no replay of 1 series .* demo/s.csv.*make eval-nab"):
        nab_tuned.main(["--out", str(corpus / "out"), "--work", str(corpus / "work"),
                        "--datasets", str(corpus / "datasets")])


def test_without_the_peer_only_the_jobs_scores_are_tuned(corpus):
    (corpus / "work" / "eval" / "nab" / "demo__s" / "replay" / "rcf-scores.jsonl").unlink()
    out = corpus / "out"
    nab_tuned.main(["--out", str(out), "--work", str(corpus / "work"), "--datasets", str(corpus / "datasets"),
                    "--no-peer"])
    result = json.loads((out / "metrics.json").read_text())
    assert set(result) == {"job"}
    assert result["job"]["incidents"]["standard"]["windows_detected"] == 1
    assert "Random Cut Forest" not in (out / "report.md").read_text()
