"""The NAB corpus with models that keep learning: each series' model retrained as the series goes.

    python -m vigil_models.nab_retrain --out OUT --java "java -cp ..." [--datasets DIR] [--work build/nab]
        [--series NAME] [--reuse-models] [--tail training|before] [--jobs N] [-- job parameters]

`make eval-nab` scores a whole series with the model of its probationary period (its first P points:
15 %, at most 750). Here the model is retrained every P points on the P points before, as a
deployment that retrains on a schedule and rolls the new model out would: model k is trained (as
eval-nab trains, without labels) on points [kP, (k+1)P) and scores points [(k+1)P, (k+2)P), the last
one to the series' end. Model 0 is eval-nab's own (`--reuse-models` takes it from its run).

Each model is replayed through the job from the start of its training stretch, and pot's initial tail
is fitted to the windows that end in that stretch (`--threshold.pot-init-scores`), as eval-nab fits
model 0's to the probationary period; only its alerts on the points it scores are kept. With
`--tail before`, models 1 on are replayed from P points earlier and their tail is fitted there
instead, on the scores of points they were not trained on (a model's errors on its own training data
are smaller than on new data, so a tail fitted on them sits low). The job's
savepoint rollout reseeds a key's thresholds from the new model's calibration instead (docs/deploy.md),
so this measures models that keep learning, not yet a rollout the job runs by itself.

Writes OUT/metrics.json and OUT/report.md, and the kept scores and alerts per series under
WORK/eval/OUT-NAME/<series>/replay/ (nab_tuned reads them, with `--run OUT-NAME --no-peer`).
"""

from __future__ import annotations

import functools
import json
import math
import shlex
import sys
import time
from pathlib import Path

from . import datasets, evaluate, metrics, nab_corpus, parallel
from .cli import one_line_errors
from .csv_data import in_time_order, read_csv
from .train_csv import train_csv


def stretches(length: int) -> list[tuple[int, int, int]]:
    """The models of a series of ``length`` points as (training start, first scored point, end): model k
    trains on [kP, (k+1)P) and scores [(k+1)P, (k+2)P), the last one to ``length``."""
    p = metrics.nab_probation(length)
    count = math.ceil(length / p) - 1
    return [(k * p, (k + 1) * p, length if k == count - 1 else (k + 2) * p) for k in range(count)]


TAIL_TEXT = {"training": "its training stretch, pot's initial tail fitted there",
             "before": "the P points before its training stretch (from the second model on), pot's initial tail "
                       "fitted there, on points the model has not seen"}


def replay_start(k: int, start: int, scored: int, tail: str) -> int:
    """Where model k's replay starts: its training stretch [start, scored), or with ``tail`` "before"
    (from the second model on) the stretch of as many points before it; pot's tail is fitted there."""
    return start - (scored - start) if tail == "before" and k > 0 else start


def score_stretch(item: tuple[str, int], work: Path, out_name: str, java: list[str], job_parameters: list[str],
                  reuse_models: bool, training: dict, tail: str = "training") -> tuple[list[str], list[str]]:
    """Trains (or reuses) one model of a series and replays it from where its tail is fitted (replay_start):
    the score and alert lines of the points it scores, as the job wrote them."""
    name, k = item
    data = work / "data" / name
    lines = data.read_text(encoding="utf-8").splitlines()
    rows = read_csv(data)
    start, scored, end = stretches(len(rows))[k]
    first_replayed = replay_start(k, start, scored, tail)
    model = work / "models" / nab_corpus.series_folder(name) if k == 0 else work / "retrained" / nab_corpus.series_folder(name) / str(k)
    replay = work / "eval" / out_name / nab_corpus.series_folder(name) / str(k)
    replay.mkdir(parents=True, exist_ok=True)
    if not (reuse_models and (model / "model.json").is_file()):
        train_file = replay / "train.csv"  # the stretch without its labels
        train_file.write_text("timestamp,value\n" + "".join(
            line.rsplit(",", 1)[0] + "\n" for line in lines[1 + start:1 + scored]), encoding="utf-8")
        train_csv(train_file, model, kind=nab_corpus.KIND, window_size=nab_corpus.WINDOW, log=lambda _: None,
                  **training)
    events = replay / "events.jsonl"
    events.write_text("".join(e + "\n" for e in in_time_order(rows.events[first_replayed:end])), encoding="utf-8")
    protocol = nab_corpus.pot_tail_parameters(scored - start, job_parameters)  # the first P points replayed
    evaluate.replay(java, events, model, replay, protocol + job_parameters)
    first = int(json.loads(rows.events[scored])["timestamp"])

    def kept(file: Path) -> list[str]:
        return [line for line in file.read_text(encoding="utf-8").splitlines()
                if evaluate.epoch_ms(json.loads(line)["event_time"]) >= first]

    return kept(replay / "scores.jsonl"), kept(replay / "alerts.jsonl")


def main(argv: list[str] | None = None) -> None:
    argv, job_parameters = evaluate.split_job_parameters(list(sys.argv[1:] if argv is None else argv))
    parser = nab_corpus.corpus_parser("python -m vigil_models.nab_retrain", __doc__.split("\n\n")[0], "models")
    parser.add_argument("--series", help="one series only, e.g. realKnownCause/machine_temperature_system_failure.csv")
    parser.add_argument("--reuse-models", action="store_true",
                        help="use a model from an earlier run when there is one (eval-nab's for the first of each series)")
    parser.add_argument("--tail", choices=("training", "before"), default="training",
                        help="where pot's initial tail of each model from the second on is fitted: its training "
                             "stretch (default) or the stretch before it, which it has not seen")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    windows_file = args.datasets / "nab" / "labels" / "combined_windows.json"
    with one_line_errors(ValueError):  # a missing dataset (where to get it) or series
        datasets.nab(args.datasets, args.work / "data", args.series)
    names = [args.series] if args.series else sorted(json.loads(windows_file.read_text()))
    with one_line_errors(ValueError):
        clamped = args.reuse_models and nab_corpus.clamp_mismatch(args.work, names, clamp=False)
    if clamped:
        # Model 0 comes from eval-nab's run, the others are trained here as nab_corpus trains by default.
        parser.error(f"--reuse-models: {clamped} was trained with --clamp-to-training-range; give another --work")
    lengths = {name: len(read_csv(args.work / "data" / name)) for name in names}
    items = [(name, k) for name in names for k in range(len(stretches(lengths[name])))]
    started = time.monotonic()

    def progress(number: int, item: tuple[str, int], _) -> None:
        print(f"[{number}/{len(items)} {time.monotonic() - started:.0f} s] {item[0]} model {item[1]}", file=sys.stderr)

    work = functools.partial(score_stretch, work=args.work, out_name=args.out.name, java=shlex.split(args.java),
                             job_parameters=job_parameters, reuse_models=args.reuse_models,
                             training=dict(nab_corpus.TRAINING), tail=args.tail)
    with one_line_errors(parallel.PieceFailed):  # which series' model failed, and why
        results = dict(zip(items, parallel.run_each(items, work, args.jobs, progress, expected=parallel.PIECE_ERRORS,
                                                     name=lambda item: f"{item[0]} model {item[1]}")))

    corpus, per_series = [], {}
    for name in names:
        data = args.work / "data" / name
        replay = args.work / "eval" / args.out.name / nab_corpus.series_folder(name) / "replay"
        replay.mkdir(parents=True, exist_ok=True)
        models = range(len(stretches(lengths[name])))
        (replay / "scores.jsonl").write_text("".join(line + "\n" for k in models for line in results[(name, k)][0]))
        (replay / "alerts.jsonl").write_text("".join(line + "\n" for k in models for line in results[(name, k)][1]))
        keys, ts = evaluate.keys_and_times(read_csv(data))
        written, incidents = evaluate.written_alerts(keys, ts, replay / "alerts.jsonl")
        series = metrics.NabSeries(written, evaluate.nab_windows(windows_file, data, ts))
        corpus.append(series)
        per_series[name] = {"models": len(models), "windows": len(series.windows), "incidents": incidents,
                            "job": {p: metrics.nab_score([series], p) for p in metrics.NAB_PROFILES}}

    scores = {p: metrics.nab_score(corpus, p) for p in metrics.NAB_PROFILES}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps({
        "corpus": {"job": scores}, "series": per_series, "models": len(items), "tail": args.tail,
        "training": {"kind": nab_corpus.KIND, "window": nab_corpus.WINDOW, **nab_corpus.TRAINING},
        "job_parameters": job_parameters}, indent=1) + "\n")
    lines = [f"# NAB corpus ({len(names)} series), models retrained every probationary period", "",
             f"Each series' model retrained every P points (its probationary period: 15 %, at most 750) on the P "
             f"points before, {len(items)} models in all, trained as `make eval-nab` trains; each replayed from "
             f"{TAIL_TEXT[args.tail]}, its alerts kept on the P points after. Job "
             f"parameters: `{' '.join(job_parameters) or '(defaults)'}`.", "",
             "| detector | standard | reward low FP | reward low FN |", "|---|---|---|---|",
             "| job, retrained | " + " | ".join(f"{scores[p]:.1f}" for p in metrics.NAB_PROFILES) + " |", "",
             "| series | models | windows | job incidents | job (standard) |", "|---|---|---|---|---|"]
    for name, r in per_series.items():
        lines.append(f"| {name} | {r['models']} | {r['windows']} | {r['incidents']} | {r['job']['standard']:.1f} |")
    (args.out / "report.md").write_text("\n".join(lines) + "\n")
    print(json.dumps({"corpus": {"job": scores}}))


if __name__ == "__main__":
    main()
