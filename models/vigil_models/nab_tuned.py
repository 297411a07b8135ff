"""The NAB corpus with thresholds tuned on its labels, as NAB's scoreboard tunes every detector's.

    python -m vigil_models.nab_tuned --out OUT [--work build/nab] [--run nab] [--datasets DIR] [--merge-gap-minutes 60]
        [--no-peer]

NAB publishes each detector's score at the one threshold on its anomaly scores that maximizes the
corpus score under each profile, found on the corpus labels (NAB's `--optimize` step). `make eval-nab`
never does that: the job's alerts come from its own thresholds. This reads the replays `make eval-nab`
left in WORK/eval/RUN and asks what NAB's optimization would make of the same scores, for the job and
for Random Cut Forest alike, so that the corpus scores can be set beside the published ones on equal
terms. It trains and replays nothing.

- the job's anomaly score is each window's score over the threshold the job held for it (1 is where
  the job alerts), so that one cut means the same on every series; Random Cut Forest's is its RCF
  score, whose own threshold is not a cut on it;
- "incidents": a point at or above the cut counts only when it opens an incident under the job's
  alert rule (merged over the merge gap, one alert each: `make eval-nab`'s `--alert.merge-gap 1 h
  --alert.updates false`), for both detectors; "windows": every point at or above the cut counts, as
  NAB counts a detector's raw output;
- the cuts tried are 337 values from 1/16 to 1024, evenly spaced in log (2.9 % apart); NAB's own
  optimizer is a local search from one starting point, so this is at least as kind to a detector.

Writes OUT/metrics.json and OUT/report.md. A result for comparison only: the thresholds are picked on
the labels they are then scored against.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from . import datasets, evaluate, metrics, nab_corpus
from .cli import one_line_errors
from .csv_data import read_csv

CUTS = 2.0 ** (np.arange(-96, 241) / 24)  # 1/16 to 1024, 2.9 % apart
DETECTORS = {"job": "the job (score / its threshold)", "rcf": "Random Cut Forest (RCF score)"}
MODES = {"incidents": "one detection per incident (1 h merge)", "windows": "every point above the cut"}


def load(work: Path, run: str, windows_file: Path, peer: bool = True) \
        -> tuple[dict[str, list[metrics.NabScores]], list[metrics.NabSeries], list[str]]:
    """Every series' scores from the replays of one `make eval-nab` run, per detector (Random Cut
    Forest's with ``peer``); the alerts the job wrote; and the series whose replay is missing (all in
    series order)."""
    names = sorted(json.loads(windows_file.read_text()))
    files: dict[str, list[metrics.NabScores]] = {d: [] for d in (DETECTORS if peer else ["job"])}
    written = []
    missing = []
    for number, name in enumerate(names, 1):
        replay = work / "eval" / run / nab_corpus.series_folder(name) / "replay"
        needed = ["scores.jsonl", "alerts.jsonl"] + (["rcf-scores.jsonl"] if peer else [])
        if not all((replay / f).is_file() for f in needed):
            missing.append(name)
            continue
        data = work / "data" / name
        keys, ts = evaluate.keys_and_times(read_csv(data))
        windows = evaluate.nab_windows(windows_file, data, ts)
        score, threshold, _ = evaluate.join_scores(keys, ts, replay / "scores.jsonl")
        files["job"].append(metrics.NabScores(score / threshold, windows, ts))
        if peer:
            rcf, _, _ = evaluate.join_scores(keys, ts, replay / "rcf-scores.jsonl")
            files["rcf"].append(metrics.NabScores(rcf, windows, ts))
        written.append(metrics.NabSeries(evaluate.written_alerts(keys, ts, replay / "alerts.jsonl")[0], windows))
        print(f"[{number}/{len(names)}] {name}", file=sys.stderr)
    return files, written, missing


def outcome(files: list[metrics.NabScores], cut: float, gap_ms: int | None) -> dict[str, int]:
    """Windows detected and detections outside every window after the probationary period, at a cut."""
    detected = outside = 0
    for f in files:
        above = np.nan_to_num(f.scores, nan=-np.inf) >= cut
        points = above if gap_ms is None else metrics.incident_starts(above, f.timestamps_ms, gap_ms)
        index = np.flatnonzero(points)
        index = index[index >= metrics.nab_probation(len(points))]
        in_window = [any(a <= i <= b for a, b in f.windows) for i in index]
        detected += sum(any(a <= i <= b for i in index) for a, b in f.windows)
        outside += in_window.count(False)
    return {"windows_detected": detected, "detections_outside": outside}


def tune(files: dict[str, list[metrics.NabScores]], written: list[metrics.NabSeries], gap_ms: int) -> dict:
    result = {}
    for detector, series in files.items():
        result[detector] = {}
        for mode, gap in (("incidents", gap_ms), ("windows", None)):
            result[detector][mode] = {}
            for profile in metrics.NAB_PROFILES:
                score, cut = metrics.nab_best_cut(series, CUTS, profile, gap)
                result[detector][mode][profile] = {"score": score, "cut": cut, **outcome(series, cut, gap)}
    # Cut 1 with the incident rule is the job's own threshold: it must give back the alerts the job
    # wrote, or the rule above is not the job's.
    cut_1 = [metrics.NabSeries(metrics.incident_starts(np.nan_to_num(f.scores) >= 1.0, f.timestamps_ms, gap_ms),
                               f.windows) for f in files["job"]]
    result["job"]["own_threshold"] = {
        "written": {p: metrics.nab_score(written, p) for p in metrics.NAB_PROFILES},
        "cut_1": {p: metrics.nab_score(cut_1, p) for p in metrics.NAB_PROFILES},
        "series_differing": sum(not np.array_equal(a.alerts, w.alerts) for a, w in zip(cut_1, written)),
    }
    return result


def report(result: dict, run: str, windows: int, gap_minutes: float) -> str:
    own = result["job"]["own_threshold"]
    lines = ["# The NAB corpus with thresholds tuned on its labels", "",
             f"The scores in the replays of the run `{run}` (`make eval-nab`'s is `nab`), cut where the corpus score is highest under each "
             "profile, as NAB publishes every detector's score. **The cuts are chosen on the labels they are then "
             "scored against**: for comparison with the published scores, not a measure of what the job detects "
             f"(`python -m vigil_models.nab_tuned`; {len(CUTS)} cuts from 1/16 to 1024, 2.9 % apart). Incidents are merged over "
             f"{gap_minutes:g} min as the job merges them; {windows} anomaly windows.", "",
             "| detector | detections | standard (cut; windows detected, detections outside) "
             "| reward low FP | reward low FN |", "|---|---|---|---|---|"]
    for detector in result:
        label = DETECTORS[detector]
        for mode, mode_label in MODES.items():
            cells = [f"{r['score']:.1f} ({r['cut']:.3g}; {r['windows_detected']}, {r['detections_outside']})"
                     for r in result[detector][mode].values()]
            lines.append(f"| {label} | {mode_label} | " + " | ".join(cells) + " |")
    lines += ["", "The job at its own threshold, the alerts it wrote: "
              + ", ".join(f"{p} {v:.1f}" for p, v in own["written"].items())
              + "; cut 1 with the incident rule above gives "
              + ", ".join(f"{p} {v:.1f}" for p, v in own["cut_1"].items())
              + f" (the written alerts on all but {own['series_differing']} series: where a series repeats a "
              "timestamp its rows share one window, and where an incident runs across a retrained model's "
              "start, nab_retrain's replays open it again)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vigil_models.nab_tuned", description=__doc__.split("\n\n")[1])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--work", type=Path, default=Path("build/nab"), help="make eval-nab's work folder (default build/nab)")
    parser.add_argument("--run", default="nab", help="the replays' run: the name of eval-nab's --out folder (default nab)")
    parser.add_argument("--datasets", type=Path, default=datasets.DEFAULT_DATASETS)
    parser.add_argument("--merge-gap-minutes", type=float, default=60.0, help="the run's alert.merge-gap (default 60)")
    parser.add_argument("--no-peer", dest="peer", action="store_false",
                        help="the job's scores only (a run without Random Cut Forest, such as nab_retrain's)")
    args = parser.parse_args(argv)
    windows_file = args.datasets / "nab" / "labels" / "combined_windows.json"
    with one_line_errors():
        files, written, missing = load(args.work, args.run, windows_file, args.peer)
    if missing:
        sys.exit(f"no replay of {len(missing)} series in {args.work / 'eval' / args.run} (first: {missing[0]}): "
                 "run make eval-nab first" + ("" if args.peer else " (or nab_retrain)"))
    result = tune(files, written, int(args.merge_gap_minutes * 60_000))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(result, indent=1) + "\n")
    windows = sum(len(f.windows) for f in files["job"])
    (args.out / "report.md").write_text(report(result, args.run, windows, args.merge_gap_minutes))
    print(json.dumps({d: {m: {p: round(r["score"], 2) for p, r in v.items()} for m, v in result[d].items()
                          if m != "own_threshold"} for d, v in result.items()}))


if __name__ == "__main__":
    main()
