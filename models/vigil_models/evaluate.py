"""Measures how well the job detects the anomalies labelled in a CSV file, with the job's own code.

    python -m vigil_models.evaluate --data DATA.csv --model DIR --out OUT --java "java -cp ..." \\
        [--nab-windows combined_windows.json] [--peer rcf] [-- job parameters, e.g. --threshold.k 4]

1. reads the labelled CSV (csv_data.py) and writes its rows as the JSON events the job reads, in time
   order (csv_data.in_time_order: keys laid out one after the other would otherwise be read late);
2. replays them through the job's topology (the Java ``io.vigil.evaluate.Replay``: parse, event time,
   per-key windows, micro-batched ONNX scoring, adaptive threshold) with the given job parameters
   (its input and outputs in OUT/replay/);
3. joins each row to the score and alert of the window that ends at it, and computes the metrics
   (metrics.py): OUT/metrics.json, also printed as the last line of output;
   With --peer rcf, AWS's Random Cut Forest scores the same events (io.vigil.evaluate.RcfPeer)
   and gets the same metrics, side by side;
4. writes OUT/report.md and a plot per key (OUT/plots/): score and threshold over time, labelled
   anomalies shaded, windows above the threshold marked.

The metrics count a row as alerted when the window ending at it is above the threshold (the scores'
``alert``), whether or not the job wrote an alert for it; the NAB score counts the alerts written.

Thresholds come from the model's calibration and the job's adaptive method, never from the labels.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np

from . import metrics
from .cli import one_line_errors
from .csv_data import CsvFormatError, LabelledRows, read_csv, write_events

MAX_PLOTS = 12


def epoch_ms(iso: str) -> int:
    return int(round(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000))


def why_it_failed(output: str) -> str:
    """The line of a Java command's output that says why it stopped: its last ``error: `` line (the
    message of a parameter, model or file the job refuses), else the last line that is not part of a
    stack trace's frames (the innermost ``Caused by``, or the exception), else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    refused = [line for line in lines if line.startswith("error: ")]
    if refused:
        return refused[-1]
    frames = ("at ", "... ")
    thrown = [line for line in lines if not line.startswith(frames)]
    return (thrown or lines or ["(no output)"])[-1]


def summary_line(what: str, java: list[str], output: str) -> str:
    """The last line a Java command printed on success; RuntimeError when it printed nothing (a --java
    that does not run the job's classes, such as a command that exits at once)."""
    lines = output.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{what} exited 0 without printing its summary: is --java '{shlex.join(java)}' a command "
                           "that runs a Java main class with the job on its class path?")
    return lines[-1]


def replay(java: list[str], events: Path, model: Path, out: Path, job_parameters: list[str]) -> None:
    command = java + ["io.vigil.evaluate.Replay", "--events", str(events), "--model", str(model), "--out", str(out)]
    result = subprocess.run(command + job_parameters, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    (out / "replay.log").write_text(result.stdout)
    if result.returncode != 0:
        # One line: the job's own message; the rest is in the log.
        raise RuntimeError(f"the replay failed (exit {result.returncode}): {why_it_failed(result.stdout)} "
                           f"(its log: {out / 'replay.log'})")
    print(summary_line("the replay", java, result.stdout))


def run_peer(java: list[str], events: Path, model: Path, out_file: Path) -> None:
    command = java + ["io.vigil.evaluate.RcfPeer", "--events", str(events), "--model", str(model), "--out", str(out_file)]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = out_file.with_name(out_file.stem + ".log")
    log.write_text(result.stdout)
    if result.returncode != 0:
        raise RuntimeError(f"the Random Cut Forest peer failed (exit {result.returncode}): "
                           f"{why_it_failed(result.stdout)} (its log: {log})")
    print(summary_line("the Random Cut Forest peer", java, result.stdout))


def nothing_scored(work: Path, events: int) -> str:
    """Why a replay scored nothing: the dead letters' reasons, or keys too short for one window."""
    with open(work / "dead-letters.jsonl", encoding="utf-8") as lines:
        letters = [json.loads(line) for line in lines]
    if not letters:
        return f"no key has as many events as the model's window ({events} events in all)"
    reasons = Counter(letter["reason"] for letter in letters)
    counted = ", ".join(f"{reason} {count}" for reason, count in reasons.most_common())
    return (f"{len(letters)} of {events} events were dead-lettered ({counted}; the first: {letters[0]['detail']}); "
            "is the model one trained on this file's columns (make train)?")


def keys_and_times(rows: LabelledRows) -> tuple[list[str], np.ndarray]:
    """Each row's key and event time (epoch milliseconds), as the job reads them from its event."""
    parsed = [json.loads(e) for e in rows.events]
    return [str(e["key"]) for e in parsed], np.array([int(e["timestamp"]) for e in parsed], dtype=np.int64)


def shared_timestamps(keys: list[str], timestamps: np.ndarray, lines: list[int]) -> tuple[int, str | None]:
    """How many rows share their key and timestamp with another row, and the first such group as
    ``key K, lines a, b, ...`` (None when there is none).

    The job keeps them all: each ends a window of its own (ties in file order). But rows are matched
    to windows by key and event time (join_scores, written_alerts), which cannot tell those windows
    apart, so every row of a group takes the score and decision of the group's last window, and counts
    as alerted when an alert was written for any of them. NAB's corpus has such rows (68 in 8 of its
    series) and refusing them would stop its evaluation, so they are counted and named instead."""
    rows_at: dict[tuple[str, int], list[int]] = {}
    for key, ts, line in zip(keys, timestamps, lines):
        rows_at.setdefault((key, int(ts)), []).append(line)
    groups = [(key, group) for (key, _), group in rows_at.items() if len(group) > 1]
    if not groups:
        return 0, None
    key, group = min(groups, key=lambda g: g[1][0])
    shown = ", ".join(str(line) for line in group[:5]) + (", ..." if len(group) > 5 else "")
    return sum(len(g) for _, g in groups), f"key {key}, lines {shown}"


def join_scores(keys: list[str], timestamps: np.ndarray, scores_file: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the score, threshold and alert of the job's window ending at that row (NaN, NaN,
    False for rows without one: dead-lettered, or before the key's first full window). Rows of a key
    with the same timestamp all get the last of their windows' (shared_timestamps)."""
    by_row = {}
    with open(scores_file, encoding="utf-8") as lines:
        for line in lines:
            s = json.loads(line)
            by_row[(s["key"], epoch_ms(s["event_time"]))] = (s["score"], s.get("threshold", np.nan), s["alert"])
    score = np.full(len(keys), np.nan)
    threshold = np.full(len(keys), np.nan)
    alert = np.zeros(len(keys), dtype=bool)
    for i, (key, ts) in enumerate(zip(keys, timestamps)):
        hit = by_row.get((key, int(ts)))
        if hit is not None:
            score[i], threshold[i], alert[i] = hit
    return score, threshold, alert


def written_alerts(keys: list[str], timestamps: np.ndarray, alerts_file: Path) -> tuple[np.ndarray, int]:
    """Per row: whether the job wrote an alert for the window ending at it (an incident's start or an
    update that its cooldown and cap let through; end records summarize and are not detections),
    and how many incidents started."""
    written = set()
    incidents = set()
    with open(alerts_file, encoding="utf-8") as lines:
        for line in lines:
            a = json.loads(line)
            if a.get("incident", "start") != "end":
                written.add((a["key"], epoch_ms(a["event_time"])))
                incidents.add(a.get("incident_id", a["alert_id"]))
    return np.array([(k, int(t)) in written for k, t in zip(keys, timestamps)], dtype=bool), len(incidents)


def nab_windows(windows_file: Path, data: Path, timestamps: np.ndarray) -> list[tuple[int, int]]:
    """The NAB windows of ``data`` (matched by the path's tail, e.g. realKnownCause/x.csv) as point
    indices; NAB's windows are UTC times without a zone."""
    table = json.loads(windows_file.read_text())
    name = next((k for k in table if data.as_posix().endswith(k)), None)
    if name is None:
        raise ValueError(f"{windows_file} has no windows for {data} (its names end like {next(iter(table))})")
    out = []
    for start, end in table[name]:
        lo = epoch_ms(start.replace(" ", "T") + "Z" if "+" not in start else start)
        hi = epoch_ms(end.replace(" ", "T") + "Z" if "+" not in end else end)
        inside = np.flatnonzero((timestamps >= lo) & (timestamps <= hi))
        if len(inside):
            out.append((int(inside[0]), int(inside[-1])))
    return out


def plot(path: Path, key: str, ts: np.ndarray, labels: np.ndarray | None, score: np.ndarray, threshold: np.ndarray,
         alert: np.ndarray) -> None:
    import matplotlib
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    times = ts.astype("datetime64[ms]")
    fig, ax = plt.subplots(figsize=(11, 3.2))
    if labels is not None:
        for a, b in metrics.segments(labels):
            ax.axvspan(times[a], times[b], color="tab:red", alpha=0.15, lw=0)
    ax.plot(times, score, lw=0.7, color="tab:blue", label="score")
    ax.plot(times, threshold, lw=0.9, color="tab:orange", label="threshold")
    ax.scatter(times[alert], score[alert], s=9, color="tab:red", zorder=3, label="alert")
    ax.set_yscale("log")
    ax.set_title(f"key {key}: score, threshold and alerts (labelled anomalies shaded)", fontsize=9)
    ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def report(out: Path, data: Path, model: Path, job_parameters: list[str], result: dict) -> None:
    columns = [("the job", result)] + [(f"peer: {name}", peer) for name, peer in result.get("peers", {}).items()]

    def fmt(value):
        return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)

    def row(label, cell):
        return f"| {label} | " + " | ".join(cell(r) for _, r in columns) + " |"

    lines = [
        f"# Evaluation of `{model}` on `{data.name}`",
        "",
        f"Replayed through the job's topology with parameters: `{' '.join(job_parameters) or '(defaults)'}`.",
        f"{result['points']} points, {result['anomalous_points']} labelled anomalous in "
        f"{result['anomalous_segments']} segments; {result['keys']} key(s); {result['dead_letters']} dead letters.",
        *([f"{result['rows_sharing_a_timestamp']} rows share their key and timestamp with another row: each is "
           "judged by the last window ending at that time, and alerted when any of those windows wrote an alert."]
          if "rows_sharing_a_timestamp" in result else []),
        "",
        "| metric | " + " | ".join(name for name, _ in columns) + " |",
        "|---|" + "---|" * len(columns),
        row("precision / recall / F1 (point-wise)", lambda r: " / ".join(
            fmt(r["pointwise"][m]) for m in ("precision", "recall", "f1"))),
        row("precision / recall / F1 (point-adjusted)", lambda r: " / ".join(
            fmt(r["point_adjusted"][m]) for m in ("precision", "recall", "f1"))),
        row("AUC-ROC / AUC-PR", lambda r: f"{fmt(r['auc_roc'])} / {fmt(r['auc_pr'])}"),
        row("segments detected", lambda r: f"{r['detected_segments']} of {r['anomalous_segments']}"),
        row("mean detection delay (points / s)",
            lambda r: f"{fmt(r['mean_detection_delay_points'])} / {fmt(r['mean_detection_delay_seconds'])}"),
        row("windows above threshold per 1,000 normal points", lambda r: fmt(r["alerts_per_1000_normal"])),
        row("alerts written (incidents)", lambda r: f"{r['alerts_written']} ({r['incidents']})" if "incidents" in r else "–"),
    ]
    if "nab" in result:
        lines.append(row("NAB score (standard / reward low FP / reward low FN)",
                         lambda r: " / ".join(f"{r['nab'][p]:.1f}" for p in metrics.NAB_PROFILES)))
    lines += ["", "Point-adjusted figures credit a whole anomalous segment for one alert in it; they flatter "
              "any detector and are given for comparison with work that reports them.", ""]
    for png in sorted((out / "plots").glob("*.png")):
        lines.append(f"![{png.stem}](plots/{png.name})")
    (out / "report.md").write_text("\n".join(lines) + "\n")


def evaluate(data: Path, model: Path, out: Path, java: list[str], job_parameters: list[str],
             nab_windows_file: Path | None = None, peer: str | None = None) -> dict:
    rows = read_csv(data)
    if rows.labels is None:
        raise ValueError(f"{data} has no label column: there is nothing to evaluate against")
    # The replay's input and outputs (events, scores, alerts, dead letters, log) apart from the report.
    work = out / "replay"
    work.mkdir(parents=True, exist_ok=True)
    events_file = work / "events.jsonl"
    write_events(rows, events_file)
    replay(java, events_file, model, work, job_parameters)

    keys, ts = keys_and_times(rows)
    score, threshold, alert = join_scores(keys, ts, work / "scores.jsonl")
    if np.all(np.isnan(score)):
        raise ValueError(f"no window of {data} was scored with {model}: {nothing_scored(work, len(rows))}")
    shared, first_shared = shared_timestamps(keys, ts, rows.lines)
    if shared:
        print(f"warning: {data}: {shared} rows share their key and timestamp with another row (the first: "
              f"{first_shared}); each takes the score and alert of its group's last window", file=sys.stderr)

    # Points grouped by key, each key's in time order (rows of one key may be interleaved with others').
    order = sorted(range(len(keys)), key=lambda i: (keys[i], ts[i], i))
    keys_sorted = [keys[i] for i in order]
    starts = [i for i in range(1, len(order)) if keys_sorted[i] != keys_sorted[i - 1]]
    labels = rows.labels[order]
    result = metrics.evaluate(labels, score[order], alert[order], ts[order], starts)
    written, incidents = written_alerts(keys, ts, work / "alerts.jsonl")
    result["alerts_written"] = int(written.sum())
    result["incidents"] = incidents
    result["keys"] = len(set(keys))
    result["dead_letters"] = sum(1 for _ in open(work / "dead-letters.jsonl", encoding="utf-8"))
    if shared:  # only then, so that the reports of files without such rows stay as they were
        result["rows_sharing_a_timestamp"] = shared
    # NAB counts detections: what the job writes to the alerts topic, not every window above threshold.
    detectors = [(result, written)]
    if peer == "rcf":
        run_peer(java, events_file, model, work / "rcf-scores.jsonl")
        peer_score, _, peer_alert = join_scores(keys, ts, work / "rcf-scores.jsonl")
        peer_result = metrics.evaluate(labels, peer_score[order], peer_alert[order], ts[order], starts)
        result["peers"] = {"rcf": peer_result}
        detectors.append((peer_result, peer_alert))
    if nab_windows_file is not None:
        if result["keys"] != 1:
            raise ValueError("NAB scoring is for a single series; this file has several keys")
        windows = nab_windows(nab_windows_file, data, ts[order])
        for detector, alerted in detectors:
            series = metrics.NabSeries(alerted[order], windows)
            detector["nab"] = {p: metrics.nab_score([series], p) for p in metrics.NAB_PROFILES}

    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    bounds = [0] + starts + [len(order)]
    for lo, hi in list(zip(bounds, bounds[1:]))[:MAX_PLOTS]:
        idx = np.array(order[lo:hi])
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in keys_sorted[lo])
        plot(plots / f"{safe}.png", keys_sorted[lo], ts[idx], labels[lo:hi], score[idx], threshold[idx], alert[idx])
    report(out, data, model, job_parameters, result)
    (out / "metrics.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


def split_job_parameters(argv: list[str]) -> tuple[list[str], list[str]]:
    """The command line's own arguments, and the job parameters after a ``--``."""
    if "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1:]


def main(argv: list[str] | None = None) -> None:
    argv, job_parameters = split_job_parameters(list(sys.argv[1:] if argv is None else argv))
    parser = argparse.ArgumentParser(prog="python -m vigil_models.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path, help="labelled CSV (timestamp, [key], features, label)")
    parser.add_argument("--model", required=True, type=Path, help="model directory (model.onnx, model.json)")
    parser.add_argument("--out", required=True, type=Path, help="directory for metrics.json, report.md, plots/")
    parser.add_argument("--java", required=True, help="command that runs a Java main class with the job on its class path")
    parser.add_argument("--nab-windows", type=Path, help="NAB's combined_windows.json: adds the NAB score")
    parser.add_argument("--peer", choices=["rcf"], help="also score the file with a peer detector (Random Cut Forest)")
    args = parser.parse_args(argv)
    with one_line_errors(CsvFormatError, ValueError, RuntimeError, prefix="evaluation failed"):
        result = evaluate(args.data, args.model, args.out, shlex.split(args.java), job_parameters, args.nab_windows,
                          args.peer)
    print(f"wrote {args.out / 'metrics.json'}, {args.out / 'report.md'} and plots", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
