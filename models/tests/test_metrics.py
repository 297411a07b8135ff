"""The metric functions against cases worked out by hand."""

import json
import math

import numpy as np
import pytest

from vigil_models import metrics
from vigil_models.metrics import NabSeries

LABELS = np.array([0, 1, 1, 1, 0, 1, 1, 0])
ALERTS = np.array([0, 0, 1, 0, 0, 0, 0, 1], dtype=bool)


def test_segments_are_maximal_runs_of_anomalous_points():
    assert metrics.segments(LABELS) == [(1, 3), (5, 6)]
    assert metrics.segments(np.array([1, 1, 0, 1])) == [(0, 1), (3, 3)]
    assert metrics.segments(np.zeros(4)) == []
    # Two keys, the first ending and the second starting anomalous: two segments, not one.
    assert metrics.segments(np.array([0, 1, 1, 1, 0]), starts=[2]) == [(1, 1), (2, 3)]


def test_pointwise_counts_each_point():
    m = metrics.precision_recall_f1(LABELS, ALERTS)
    assert (m["tp"], m["fp"], m["fn"]) == (1, 1, 4)
    assert m["precision"] == pytest.approx(0.5)
    assert m["recall"] == pytest.approx(0.2)
    assert m["f1"] == pytest.approx(2 * 0.5 * 0.2 / 0.7)


def test_point_adjustment_credits_a_whole_segment_for_one_alert_in_it():
    adjusted = metrics.point_adjust(LABELS, ALERTS)
    assert adjusted.tolist() == [False, True, True, True, False, False, False, True]
    m = metrics.precision_recall_f1(LABELS, adjusted)
    assert (m["precision"], m["recall"]) == (pytest.approx(0.75), pytest.approx(0.6))


def test_detection_delay_is_measured_from_the_segment_start_to_its_first_alert():
    points, seconds = metrics.detection_delays(LABELS, ALERTS, np.arange(8) * 2000)
    assert points == [1]
    assert seconds == [2.0]


def test_ranking_puts_unscored_points_lowest_and_is_undefined_for_one_class():
    labels = np.array([0, 0, 1, 1])
    assert metrics.ranking(labels, np.array([0.1, 0.2, 0.3, 0.4]))["auc_roc"] == pytest.approx(1.0)
    # The anomalous point without a score ranks below both normal ones: half the pairs are right.
    assert metrics.ranking(labels, np.array([0.1, 0.2, np.nan, 0.4]))["auc_roc"] == pytest.approx(0.5)
    assert metrics.ranking(np.zeros(3), np.array([0.1, 0.2, 0.3])) == {"auc_roc": None, "auc_pr": None}
    # All anomalous is one class too (sklearn would give AUC-ROC NaN, which json.dumps writes as invalid JSON).
    assert metrics.ranking(np.ones(3), np.array([0.1, 0.2, 0.3])) == {"auc_roc": None, "auc_pr": None}
    assert metrics.ranking(np.zeros(0), np.zeros(0)) == {"auc_roc": None, "auc_pr": None}


def test_precision_recall_and_f1_are_undefined_not_zero_without_predictions_or_anomalies():
    # A series without anomalies and without alerts: nothing to be right or wrong about.
    m = metrics.precision_recall_f1(np.zeros(4), np.zeros(4))
    assert (m["precision"], m["recall"], m["f1"]) == (None, None, None)
    # False alerts on such a series: precision 0, recall (and so F1) undefined.
    m = metrics.precision_recall_f1(np.zeros(4), np.array([0, 1, 0, 0]))
    assert (m["precision"], m["recall"], m["f1"]) == (0.0, None, None)
    # Anomalies and no alert: recall 0, precision undefined.
    m = metrics.precision_recall_f1(np.array([0, 1, 1, 0]), np.zeros(4))
    assert (m["precision"], m["recall"], m["f1"]) == (None, 0.0, None)
    # Both defined and both 0: F1 is 0.
    m = metrics.precision_recall_f1(np.array([0, 1, 0, 0]), np.array([0, 0, 1, 0]))
    assert (m["precision"], m["recall"], m["f1"]) == (0.0, 0.0, 0.0)


def test_evaluate_reports_alerts_per_thousand_normal_points():
    result = metrics.evaluate(LABELS, np.linspace(0, 1, 8), ALERTS)
    assert result["alerts_per_1000_normal"] == pytest.approx(1000 / 3)
    assert result["detected_segments"] == 1 and result["anomalous_segments"] == 2


# NAB: 100 points (probation: the first 15), one window over points 40..49.
WINDOW = [(40, 49)]
STANDARD = metrics.NAB_PROFILES["standard"]


def alerts_at(*indices):
    alerts = np.zeros(100, dtype=bool)
    alerts[list(indices)] = True
    return alerts


def sigmoid(y):
    return 2 / (1 + math.exp(5 * y)) - 1


def test_nab_earliest_detection_in_a_window_scores_the_full_true_positive_weight():
    assert metrics.nab_raw_score(NabSeries(alerts_at(40, 45), WINDOW), STANDARD) == pytest.approx(1.0)


def test_nab_late_detection_scores_less():
    expected = sigmoid(-0.1) / sigmoid(-1.0)  # position -(49 - 49 + 1) / 10
    assert expected == pytest.approx(0.248242, abs=1e-6)
    assert metrics.nab_raw_score(NabSeries(alerts_at(49), WINDOW), STANDARD) == pytest.approx(expected)


def test_nab_false_positives_before_any_window_cost_the_full_weight_and_misses_cost_fn():
    assert metrics.nab_raw_score(NabSeries(alerts_at(20), WINDOW), STANDARD) == pytest.approx(-0.11 - 1.0)
    assert metrics.nab_raw_score(NabSeries(alerts_at(20), WINDOW), metrics.NAB_PROFILES["reward_low_fn"]) \
        == pytest.approx(-0.11 - 2.0)


def test_nab_false_positive_after_a_window_is_weighted_by_its_distance():
    # 9 points past the window's end, relative to its width minus one (9): position 1.
    assert metrics.nab_raw_score(NabSeries(alerts_at(58), WINDOW), STANDARD) == pytest.approx(
        0.11 * sigmoid(1.0) - 1.0)
    assert 0.11 * sigmoid(1.0) == pytest.approx(-0.108528, abs=1e-6)


def test_nab_false_positive_three_window_widths_past_costs_the_full_weight_as_in_nabs_sweeper():
    # 27 points past the end of a window of width 10: position 27 / 9 = 3, where NAB's scaledSigmoid is -1 exactly.
    assert metrics.nab_scaled_sigmoid(3.0) == -1.0
    assert metrics.nab_raw_score(NabSeries(alerts_at(76), WINDOW), STANDARD) == -0.11 - 1.0


def test_nab_ignores_detections_in_the_probationary_period():
    assert metrics.nab_probation(100) == 15
    assert metrics.nab_probation(100_000) == 750
    assert metrics.nab_raw_score(NabSeries(alerts_at(10), WINDOW), STANDARD) == pytest.approx(-1.0)


def test_nab_normalized_score_is_0_for_no_detections_and_100_for_perfect_ones():
    files = [NabSeries(alerts_at(40), WINDOW), NabSeries(alerts_at(49), WINDOW)]
    assert metrics.nab_score([NabSeries(alerts_at(), WINDOW)]) == pytest.approx(0.0)
    assert metrics.nab_score([files[0]]) == pytest.approx(100.0)
    # raw 1 + 0.248242, null -2, perfect 2
    assert metrics.nab_score(files) == pytest.approx(100 * (1.248242 + 2) / 4, abs=1e-4)


def test_an_incident_opens_at_a_point_above_the_threshold_a_merge_gap_after_the_last_one():
    above = np.array([1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1], dtype=bool)
    minutes = np.arange(12) * 60_000
    # Points 1, 3 and 6 come at most 3 minutes after the one before them (6 exactly: the job opens
    # another incident only when the gap is exceeded), point 11 more.
    assert np.flatnonzero(metrics.incident_starts(above, minutes, 3 * 60_000)).tolist() == [0, 11]
    assert np.flatnonzero(metrics.incident_starts(above, minutes, 2 * 60_000)).tolist() == [0, 6, 11]
    assert np.flatnonzero(metrics.incident_starts(above, minutes, 0)).tolist() == [0, 1, 3, 6, 11]


def test_nab_best_cut_picks_the_threshold_with_the_highest_corpus_score():
    scores = np.full(100, 0.5)
    scores[41] = 0.8                    # early in the window (40..49)
    scores[[60, 61, 62, 63, 64]] = 0.9  # a burst after it
    file = metrics.NabScores(scores, WINDOW, np.arange(100) * 60_000)
    cuts = np.array([0.7, 0.85, 0.95])
    as_alerts = {0.7: alerts_at(41, 60, 61, 62, 63, 64), 0.85: alerts_at(60, 61, 62, 63, 64), 0.95: alerts_at()}
    expected = {cut: metrics.nab_score([NabSeries(a, WINDOW)]) for cut, a in as_alerts.items()}
    # The detection is worth more than the burst's five false positives cost.
    assert max(expected, key=expected.get) == 0.7
    assert metrics.nab_best_cut([file], cuts) == (pytest.approx(expected[0.7]), 0.7)
    # With incidents merged over 5 minutes the burst is one false positive: the score rises.
    merged = metrics.nab_score([NabSeries(alerts_at(41, 60), WINDOW)])
    assert merged > expected[0.7]
    assert metrics.nab_best_cut([file], cuts, gap_ms=5 * 60_000) == (pytest.approx(merged), 0.7)


def test_a_series_of_one_class_gives_metrics_that_json_can_carry():
    # All anomalous and all normal: the undefined figures are None (null), never NaN (invalid JSON).
    for labels in (np.ones(8), np.zeros(8)):
        result = metrics.evaluate(labels, np.linspace(0, 1, 8), np.zeros(8, dtype=bool))
        json.dumps(result, allow_nan=False)
        assert result["auc_roc"] is None and result["auc_pr"] is None and result["pointwise"]["f1"] is None
