import json
import os
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from vigil_models import evaluate, metrics, nab_corpus, nab_retrain


@pytest.mark.parametrize("length", [1_127, 4_032, 7_267, 22_695])
def test_each_model_trains_on_a_probationary_period_and_scores_the_next_one_the_last_to_the_end(length):
    p = metrics.nab_probation(length)
    models = nab_retrain.stretches(length)
    assert models[0] == (0, p, min(2 * p, length))  # eval-nab's model: the probationary period
    for (start, scored, end), (next_start, next_scored, _) in zip(models, models[1:]):
        assert scored - start == p and end - scored == p      # trained on P points, scores the P after
        assert next_start == scored and next_scored == end     # the next one trains on what this one scored
    assert models[-1][2] == length and 0 < models[-1][2] - models[-1][1] <= p


def test_the_last_model_takes_the_short_rest_of_a_series():
    # 22,695 points, P = 750: 30 models, the last scoring 195 points (750 x 30 = 22,500 are covered before).
    models = nab_retrain.stretches(22_695)
    assert len(models) == 30 and models[-1] == (21_750, 22_500, 22_695)


JAVA = os.environ.get("VIGIL_JAVA")
START = datetime(2024, 1, 1)
POINTS = 1000  # NAB's probationary period: 150 points, so 6 models


def epoch_ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc).timestamp() * 1000)


def write_series(datasets):
    """A NAB-like series with one window: a daily-like cycle, a spike in the window."""
    rng = np.random.default_rng(3)
    values = 10 + np.sin(np.arange(POINTS) * 2 * np.pi / 48) + rng.normal(0, 0.05, POINTS)
    values[700:703] += 6
    stamp = [(START + timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M:%S") for i in range(POINTS)]
    data = datasets / "nab" / "data" / "demo" / "s.csv"
    data.parent.mkdir(parents=True)
    data.write_text("timestamp,value\n" + "".join(f"{t},{v:.4f}\n" for t, v in zip(stamp, values)))
    labels = datasets / "nab" / "labels"
    labels.mkdir(parents=True)
    (labels / "combined_windows.json").write_text(json.dumps({"demo/s.csv": [[f"{stamp[690]}.000000",
                                                                               f"{stamp[720]}.000000"]]}))
    return stamp


def test_with_the_tail_before_each_model_from_the_second_on_is_replayed_from_the_stretch_before_its_training():
    models = nab_retrain.stretches(1000)  # P = 150
    assert [nab_retrain.replay_start(k, start, scored, "training") for k, (start, scored, _) in enumerate(models)] \
        == [0, 150, 300, 450, 600, 750]
    assert [nab_retrain.replay_start(k, start, scored, "before") for k, (start, scored, _) in enumerate(models)] \
        == [0, 0, 150, 300, 450, 600]


def test_a_stretch_is_replayed_in_time_order(tmp_path, monkeypatch):
    # 20 points, P = 3: model 0 replays points 0-5, of which the file has 3 and 4 the wrong way round.
    stamp = [(START + timedelta(minutes=5 * i)).strftime("%Y-%m-%d %H:%M:%S") for i in range(20)]
    stamp[3], stamp[4] = stamp[4], stamp[3]
    work = tmp_path / "work"
    data = work / "data" / "demo" / "s.csv"
    data.parent.mkdir(parents=True)
    data.write_text("timestamp,value,label\n" + "".join(f"{t},{i},0\n" for i, t in enumerate(stamp)))
    model = work / "models" / "demo__s"
    model.mkdir(parents=True)
    (model / "model.json").write_text("{}")  # reused: nothing is trained
    replayed = []

    def stand_in_replay(java, events, model, out, job_parameters):
        replayed.extend(json.loads(line) for line in events.read_text().splitlines())
        for name in ("scores.jsonl", "alerts.jsonl"):
            (out / name).write_text("")

    monkeypatch.setattr(evaluate, "replay", stand_in_replay)
    nab_retrain.score_stretch(("demo/s.csv", 0), work, "out", ["java"], [], reuse_models=True, training={})
    assert [e["value"] for e in replayed] == [0, 1, 2, 4, 3, 5]
    assert [e["timestamp"] for e in replayed] == sorted(e["timestamp"] for e in replayed)


@pytest.mark.skipif(not JAVA, reason="VIGIL_JAVA not set: run `make test-evaluate` (needs the Java build)")
@pytest.mark.parametrize("tail", ["training", "before"])
def test_each_model_is_trained_on_the_stretch_before_and_replayed_from_its_tail_keeping_what_it_scores(
        tmp_path, monkeypatch, tail):
    monkeypatch.setitem(nab_corpus.TRAINING, "epochs", 3)
    monkeypatch.setitem(nab_corpus.TRAINING, "ensemble", 1)
    stamp = write_series(tmp_path / "datasets")
    work = tmp_path / "work"
    nab_retrain.main(["--datasets", str(tmp_path / "datasets"), "--work", str(work), "--out", str(tmp_path / "out"),
                      "--java", JAVA, "--jobs", "2", "--tail", tail,
                      "--", "--threshold.method", "pot", "--alert.updates", "false"])
    result = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert result["models"] == 6 and result["series"]["demo/s.csv"]["windows"] == 1 and result["tail"] == tail
    lines = (work / "data" / "demo" / "s.csv").read_text().splitlines()
    for k, (start, scored, end) in enumerate(nab_retrain.stretches(POINTS)):
        replay = work / "eval" / "out" / "demo__s" / str(k)
        if k > 0:  # trained on the stretch before, without its labels
            assert (replay / "train.csv").read_text().splitlines()[1:] == \
                [line.rsplit(",", 1)[0] for line in lines[1 + start:1 + scored]]
        events = [json.loads(line) for line in (replay / "events.jsonl").read_text().splitlines()]
        # Replayed from the start of its training stretch, or with the tail before, of the P points before it.
        first = start - 150 if tail == "before" and k > 0 else start
        assert len(events) == end - first and events[0]["timestamp"] == epoch_ms(stamp[first])
    # The series' scores: each point after the probationary period exactly once, from the model scoring it.
    scores = [json.loads(line) for line in (work / "eval" / "out" / "demo__s" / "replay" / "scores.jsonl").open()]
    assert [evaluate.epoch_ms(s["event_time"]) for s in scores] == [epoch_ms(t) for t in stamp[150:]]
    assert "| demo/s.csv | 6 | 1 |" in (tmp_path / "out" / "report.md").read_text()
