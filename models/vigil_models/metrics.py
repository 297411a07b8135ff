"""Detection metrics over one labelled series (or several, concatenated with their boundaries kept).

Inputs are per point, in time order: ``labels`` (1 anomalous, 0 normal), ``scores`` (higher is more
anomalous; NaN where the job produced no score, e.g. before a key's first full window) and
``alerts`` (what the job's threshold decided). Thresholds are never fitted here: the alerts come
from the job, and only the ranking metrics (AUC) look at the raw scores.

- point-wise precision, recall and F1 of the alerts;
- point-adjusted precision, recall and F1 (Xu et al., WWW 2018): an anomalous segment in which any
  point is alerted counts as detected in full. It flatters detectors and is reported as such, next to
  the point-wise figures, because much of the literature (SKAB's leaderboard among it) uses it;
- AUC-ROC and AUC-PR (average precision) of the scores, points without a score ranked lowest;
- mean detection delay: for each detected segment, points (and seconds, given timestamps) from its
  first point to its first alert;
- alerts per 1,000 normal points;
- the NAB score (Lavin and Ahmad, 2015) for anomaly windows, under NAB's three cost profiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def segments(labels: np.ndarray, starts: list[int] | None = None) -> list[tuple[int, int]]:
    """Maximal runs of 1 in ``labels`` as (first, last) indices, inclusive. ``starts``: indices where
    a new series (another key) begins; a run never spans one."""
    labels = np.asarray(labels, dtype=np.int8)
    bounds = sorted(set(starts or []) | {0, len(labels)})
    runs = []
    for lo, hi in zip(bounds, bounds[1:]):
        padded = np.concatenate([[0], labels[lo:hi], [0]])
        edges = np.flatnonzero(np.diff(padded))
        runs += [(lo + int(a), lo + int(b) - 1) for a, b in zip(edges[0::2], edges[1::2])]
    return runs


def precision_recall_f1(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    """Precision, recall and F1 with their counts. Precision is None without a predicted point, recall
    without a labelled one, and F1 when either is: 0 would read as a detector that got everything wrong
    (a series without anomalies and without alerts has nothing to be right or wrong about)."""
    labels = np.asarray(labels, dtype=bool)
    predicted = np.asarray(predicted, dtype=bool)
    tp = int(np.sum(labels & predicted))
    fp = int(np.sum(~labels & predicted))
    fn = int(np.sum(labels & ~predicted))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def point_adjust(labels: np.ndarray, predicted: np.ndarray, starts: list[int] | None = None) -> np.ndarray:
    """``predicted`` with every anomalous segment that has an alert marked alerted throughout."""
    adjusted = np.asarray(predicted, dtype=bool).copy()
    for start, end in segments(labels, starts):
        if adjusted[start:end + 1].any():
            adjusted[start:end + 1] = True
    return adjusted


def ranking(labels: np.ndarray, scores: np.ndarray) -> dict[str, float | None]:
    """AUC-ROC and AUC-PR; None when there are no labels or they hold one class only (both are
    undefined then: sklearn would give NaN, which no JSON file can carry, or a meaningless 1.0)."""
    labels = np.asarray(labels, dtype=np.int8)
    if len(labels) == 0 or labels.min() == labels.max():
        return {"auc_roc": None, "auc_pr": None}
    scores = np.asarray(scores, dtype=np.float64)
    # A point without a score (before its key's first full window) is ranked below every scored one.
    filled = np.where(np.isnan(scores), np.nanmin(scores, initial=0.0) - 1.0, scores)
    return {"auc_roc": float(roc_auc_score(labels, filled)), "auc_pr": float(average_precision_score(labels, filled))}


def detection_delays(labels: np.ndarray, predicted: np.ndarray, timestamps_ms: np.ndarray | None = None,
                     starts: list[int] | None = None) -> tuple[list[int], list[float]]:
    """For each anomalous segment with an alert: points, and seconds, from its start to its first alert."""
    predicted = np.asarray(predicted, dtype=bool)
    points: list[int] = []
    seconds: list[float] = []
    for start, end in segments(labels, starts):
        hits = np.flatnonzero(predicted[start:end + 1])
        if len(hits):
            points.append(int(hits[0]))
            if timestamps_ms is not None:
                seconds.append((float(timestamps_ms[start + hits[0]]) - float(timestamps_ms[start])) / 1000.0)
    return points, seconds


# NAB's cost profiles (NAB config/profiles.json): weights of a true positive, a false positive and a
# missed window; true negatives score 0.
NAB_PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_fp": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_fn": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}
NAB_PROBATION = 0.15  # of a file, at most 750 points (NAB: min(15 % of the length, 15 % of 5000))


def nab_scaled_sigmoid(position: float) -> float:
    """NAB's weighting of a detection by its position relative to the end of an anomaly window:
    -1 at the window's start gives almost +1, 0 at its end 0, and after the window the value falls
    towards -1 (a false positive just after a window costs less than one far from any)."""
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


@dataclass(frozen=True)
class NabSeries:
    """One NAB data file as the scorer needs it: the points' alerts and the anomaly windows as
    (first, last) point indices, inclusive."""

    alerts: np.ndarray
    windows: list[tuple[int, int]]


def nab_probation(length: int) -> int:
    """Points at the start of a file in which NAB ignores detections: 15 %, at most 750."""
    return int(min(math.floor(NAB_PROBATION * length), NAB_PROBATION * 5000))


def nab_raw_score(series: NabSeries, profile: dict[str, float]) -> float:
    """A detector's raw NAB score on one file under one profile, following NAB's scorer: within a
    window only the earliest detection counts, weighted by the scaled sigmoid of its position and
    normalized so that a detection at the window's first point scores exactly ``tp``; each window
    without one costs ``fn``; a detection outside every window costs ``fp`` times the sigmoid of its
    distance past the preceding window, relative to that window's width (the full ``fp`` when no
    window precedes it). Detections in the probationary period are ignored."""
    alerts = np.asarray(series.alerts, dtype=bool)
    index = np.flatnonzero(alerts)
    index = index[index >= nab_probation(len(alerts))]
    windows = sorted(series.windows)
    starts = np.array([a for a, _ in windows], dtype=np.int64)
    ends = np.array([b for _, b in windows], dtype=np.int64)
    # The window each detection falls in (windows never overlap), and the last one that ends before it.
    latest_start = np.searchsorted(starts, index, side="right") - 1
    inside = (latest_start >= 0) & (index <= ends[np.maximum(latest_start, 0)] if len(windows) else False)
    preceding = np.searchsorted(ends, index, side="left") - 1
    score = 0.0
    # Within a window only the earliest detection counts (detections are in time order).
    detected, first = np.unique(latest_start[inside], return_index=True)
    for w, i in zip(detected, index[inside][first]):
        a, b = windows[w]
        score += profile["tp"] * nab_scaled_sigmoid(-(b - i + 1) / (b - a + 1)) / nab_scaled_sigmoid(-1.0)
    # Outside every window: the full cost before the first window, else by the distance past the last one.
    outside, before = index[~inside], preceding[~inside]
    score -= profile["fp"] * int(np.sum(before < 0))
    after = before >= 0
    if np.any(after):
        w = before[after]
        position = (outside[after] - ends[w]) / np.maximum(ends[w] - starts[w], 1)
        weight = np.where(position >= 3.0, -1.0, 2.0 / (1.0 + np.exp(5.0 * np.minimum(position, 3.0))) - 1.0)
        score += profile["fp"] * float(np.sum(weight))
    score -= profile["fn"] * (len(windows) - len(detected))
    return score


def nab_score(files: list[NabSeries], profile_name: str = "standard") -> float:
    """NAB's normalized score over a corpus, 0 for the null detector (no detections) and 100 for the
    perfect one (a detection at the first point of every window):
    100 · (raw − null) / (perfect − null)."""
    profile = NAB_PROFILES[profile_name]
    raw = sum(nab_raw_score(f, profile) for f in files)
    null = sum(nab_raw_score(NabSeries(np.zeros(len(f.alerts), dtype=bool), f.windows), profile) for f in files)
    perfect = 0.0
    for f in files:
        best = np.zeros(len(f.alerts), dtype=bool)
        for a, _ in f.windows:
            best[a] = True
        perfect += nab_raw_score(NabSeries(best, f.windows), profile)
    return 100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0


def evaluate(labels: np.ndarray, scores: np.ndarray, alerts: np.ndarray,
             timestamps_ms: np.ndarray | None = None, starts: list[int] | None = None) -> dict[str, object]:
    """Every metric above for labelled points in time order, one series after another (``starts``:
    where each series after the first begins)."""
    labels = np.asarray(labels, dtype=np.int8)
    alerts = np.asarray(alerts, dtype=bool)
    normal = int(np.sum(labels == 0))
    delay_points, delay_seconds = detection_delays(labels, alerts, timestamps_ms, starts)
    segs = segments(labels, starts)
    return {
        "points": int(len(labels)),
        "anomalous_points": int(np.sum(labels == 1)),
        "anomalous_segments": len(segs),
        "detected_segments": len(delay_points),
        "pointwise": precision_recall_f1(labels, alerts),
        "point_adjusted": precision_recall_f1(labels, point_adjust(labels, alerts, starts)),
        **ranking(labels, scores),
        "mean_detection_delay_points": float(np.mean(delay_points)) if delay_points else None,
        "mean_detection_delay_seconds": float(np.mean(delay_seconds)) if delay_seconds else None,
        "alerts_per_1000_normal": 1000.0 * int(np.sum(alerts & (labels == 0))) / normal if normal else None,
    }


def incident_starts(above: np.ndarray, timestamps_ms: np.ndarray, gap_ms: int) -> np.ndarray:
    """The points that open an incident under the job's alert rule with ``alert.updates false``: a
    point above the threshold opens one unless another point above it came at most ``gap_ms``
    before (``alert.merge-gap``); only the opening point writes an alert."""
    index = np.flatnonzero(np.asarray(above, dtype=bool))
    opens = np.ones(len(index), dtype=bool)
    opens[1:] = np.diff(np.asarray(timestamps_ms, dtype=np.int64)[index]) > gap_ms
    starts = np.zeros(len(above), dtype=bool)
    starts[index[opens]] = True
    return starts


@dataclass(frozen=True)
class NabScores:
    """One NAB data file with a detector's score per point (higher is more anomalous) instead of its
    alerts: what NAB's threshold optimizer cuts."""

    scores: np.ndarray
    windows: list[tuple[int, int]]
    timestamps_ms: np.ndarray


def nab_best_cut(files: list[NabScores], cuts: np.ndarray, profile_name: str = "standard",
                 gap_ms: int | None = None) -> tuple[float, float]:
    """NAB's threshold optimization: the one cut on the scores, over all files, that gives the highest
    corpus score under a profile, as NAB sets the threshold of every detector it publishes (with the
    labels). A point at or above the cut is a detection; with ``gap_ms``, only the points that open an
    incident are (incident_starts). Returns (score, cut) of the best of ``cuts`` (the lowest on a tie)."""
    def detections(f: NabScores, cut: float) -> np.ndarray:
        above = np.nan_to_num(f.scores, nan=-np.inf) >= cut
        return above if gap_ms is None else incident_starts(above, f.timestamps_ms, gap_ms)

    scored = [(nab_score([NabSeries(detections(f, cut), f.windows) for f in files], profile_name), float(cut))
              for cut in cuts]
    return max(scored, key=lambda s: s[0])
