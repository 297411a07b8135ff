"""SKAB's protocol (python -m vigil_models.skab_protocol): its metrics and point rule on hand-computed
examples, and, with the job built (VIGIL_JAVA, as `make test-evaluate` sets it), the whole run on two
small synthetic experiments."""

import json
import math
import os

import numpy as np
import pytest

from vigil_models import datasets, skab_protocol
from vigil_models.skab_protocol import confusion, pooled, skab_binary, skab_point_rule, ucl

JAVA = os.environ.get("VIGIL_JAVA")


def test_the_metrics_are_skabs_pooled_over_the_experiments():
    # Experiment A: labels 0 0 1 1 1 0, alerts 0 1 1 1 0 0 -> TP 2, FP 1, FN 1, TN 2.
    a = confusion(np.array([0, 0, 1, 1, 1, 0]), np.array([0, 1, 1, 1, 0, 0]))
    # Experiment B: labels 1 1 0 0, alerts 0 0 0 1 -> TP 0, FP 1, FN 2, TN 1.
    b = confusion(np.array([1, 1, 0, 0]), np.array([0, 0, 0, 1]))
    assert a == {"tp": 2, "fp": 1, "fn": 1, "tn": 2} and b == {"tp": 0, "fp": 1, "fn": 2, "tn": 1}
    total = pooled([a, b])
    # Summed: TP 2, FP 2, FN 3, TN 3. F1 = 2 / (2 + (3 + 2) / 2) = 4/9, FAR = 2/5, MAR = 3/5.
    assert (total["tp"], total["fp"], total["fn"], total["tn"]) == (2, 2, 3, 3)
    assert total["f1"] == pytest.approx(4 / 9)
    assert total["far"] == pytest.approx(40.0) and total["mar"] == pytest.approx(60.0)
    assert total["precision"] == pytest.approx(0.5) and total["recall"] == pytest.approx(0.4)
    # SKAB's F1 is the usual one, and pooling is not averaging the experiments' F1 (2/3 and 0).
    assert total["f1"] == pytest.approx(2 * 0.5 * 0.4 / (0.5 + 0.4))
    assert skab_binary(a)["f1"] == pytest.approx(2 / 3) and skab_binary(b)["f1"] == 0.0
    assert total["f1"] != pytest.approx((2 / 3 + 0) / 2)


def test_metrics_without_positives_or_negatives_are_undefined_not_zero_divisions():
    m = skab_binary({"tp": 0, "fp": 0, "fn": 0, "tn": 5})
    assert m["f1"] is None and m["mar"] is None and m["far"] == 0.0 and m["precision"] is None


def test_skabs_point_rule_needs_the_windows_ending_at_a_point_and_after_it():
    # Window 3: point i is anomalous when the windows ending at i and i + 1 are above the limit,
    # for i in [2, n - 2*3 + 1] = [2, 5] with n = 10.
    above = np.array([0, 0, 0, 0, 1, 1, 1, 0, 0, 0], dtype=bool)
    assert skab_point_rule(above, 3).tolist() == [False] * 4 + [True, True] + [False] * 4
    # Every window above: only points 2..5 can be marked (SKAB leaves the first window - 1 and the
    # last 2 * window - 2 points normal).
    assert np.flatnonzero(skab_point_rule(np.ones(10, dtype=bool), 3)).tolist() == [2, 3, 4, 5]
    # One window below the limit clears the points whose windows include it.
    above = np.ones(10, dtype=bool)
    above[5] = False
    assert np.flatnonzero(skab_point_rule(above, 3)).tolist() == [2, 3]


def test_the_control_limit_is_a_calibration_quantile_times_the_factor():
    calibration = {"quantiles": {"0.99": 1.0, "0.999": 2.25}}
    assert skab_protocol.FACTOR == pytest.approx(16 / 9)
    assert ucl(calibration) == pytest.approx(4.0)
    assert ucl(calibration, factor=4 / 3) == pytest.approx(3.0)
    assert ucl(calibration, quantile="0.99", factor=1.0) == 1.0


def write_experiment(path, start_hour, rows, shift_from, shift_to, seed):
    """A SKAB-like experiment: 8 noisy channels at 1 Hz, two of them shifted in [shift_from, shift_to)."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    values = np.stack([10 + c + np.sin(2 * np.pi * t / 30 + c) + rng.normal(0, 0.1, rows) for c in range(8)], axis=1)
    values[shift_from:shift_to, 2:4] += 4.0
    label = ((t >= shift_from) & (t < shift_to)).astype(float)
    header = "datetime;" + ";".join(datasets.SKAB_FEATURES) + ";anomaly;changepoint\n"
    lines = [f"2020-03-09 {start_hour:02d}:{i // 60:02d}:{i % 60:02d};" + ";".join(f"{v:.5f}" for v in values[i])
             + f";{label[i]};0.0\n" for i in range(rows)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "".join(lines))


def test_each_experiment_is_written_whole_and_its_first_400_rows_unlabelled(tmp_path):
    write_experiment(tmp_path / "skab" / "data" / "valve1" / "0.csv", 10, 450, 100, 430, seed=1)
    write_experiment(tmp_path / "skab" / "data" / "other" / "2.csv", 11, 420, 300, 350, seed=2)
    keys = datasets.skab_per_experiment(tmp_path, tmp_path / "out")
    assert keys == ["other-2", "valve1-0"]
    whole = (tmp_path / "out" / "valve1-0.csv").read_text().splitlines()
    train = (tmp_path / "out" / "valve1-0.train.csv").read_text().splitlines()
    assert len(whole) == 451 and whole[0].endswith(",label") and whole[1].startswith("2020-03-09T10:00:00Z,valve1-0,")
    # SKAB fits on the first 400 rows whatever their labels: the training file has none.
    assert len(train) == 401 and not train[0].endswith(",label")
    assert train[1:] == [line.rsplit(",", 1)[0] for line in whole[1:401]]


@pytest.mark.skipif(not JAVA, reason="VIGIL_JAVA not set: run `make test-evaluate` (needs the Java build)")
def test_the_protocol_runs_each_experiment_through_the_job_and_pools_the_counts(tmp_path, monkeypatch):
    monkeypatch.setitem(skab_protocol.TRAINING, "epochs", 3)
    write_experiment(tmp_path / "skab" / "data" / "valve1" / "0.csv", 10, 470, 420, 450, seed=1)
    write_experiment(tmp_path / "skab" / "data" / "valve2" / "1.csv", 11, 460, 430, 445, seed=2)
    skab_protocol.main(["--datasets", str(tmp_path), "--work", str(tmp_path / "work"), "--out", str(tmp_path / "out"),
                        "--java", JAVA, "--jobs", "2"])
    result = json.loads((tmp_path / "out" / "metrics.json").read_text())
    experiments = result["experiments"]
    assert sorted(experiments) == ["valve1-0", "valve2-1"]
    for key, r in experiments.items():
        assert r["test_points"] == r["points"] - 400 and r["static_rule_disagreements"] == 0
        for scope in ("test", "all"):
            counts = r["counts"][scope]["job"]
            assert sum(counts.values()) == (r["test_points"] if scope == "test" else r["points"])
        # The replay applied the control limit computed from the model's calibration.
        contract = json.loads((tmp_path / "work" / "models" / key / "model.json").read_text())
        assert r["ucl"] == pytest.approx(ucl(contract["calibration"]))
        # ... and the model was trained with the protocol's settings, its patience and ensemble included.
        assert {k: contract["training"][k] for k in ("batch_size", "max_epochs", "patience", "ensemble")} == {
            "batch_size": 32, "max_epochs": 3, "patience": skab_protocol.TRAINING["patience"], "ensemble": 3}
        assert [m["seed"] for m in contract["training"]["members"]] == [7, 8, 9]
        scores = [json.loads(line) for line in open(tmp_path / "work" / "eval" / key / "replay" / "scores.jsonl")]
        assert scores and all(s["threshold"] == pytest.approx(r["ucl"]) for s in scores)
    for detector in ("job", "rcf", "job, UCL x 1", "job, default threshold"):
        total = result["totals"]["test"][detector]
        for c in ("tp", "fp", "fn", "tn"):
            assert total[c] == sum(r["counts"]["test"][detector][c] for r in experiments.values())
    assert result["totals"]["test"]["job"]["tp"] + result["totals"]["test"]["job"]["fn"] == 30 + 15
    assert not math.isnan(result["totals"]["test"]["job"]["auc_roc_pooled"])
    assert "| **the job (SKAB's rule)** |" in (tmp_path / "out" / "report.md").read_text()
