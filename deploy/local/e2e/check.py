#!/usr/bin/env python3
"""Assertions of the end-to-end test on what kcat read from the job's output topics.

Each subcommand prints what it checked and exits non-zero with the reason when the job's output
does not show the behaviour; the files are JSON lines as read with isolation.level=read_committed.

  count FILE...                          sum of "events" over score files (how many inputs were scored)
  accounted SCORES DEAD PRODUCED         every input is scored or dead-lettered, none twice
  detected ALERTS LABELS [MIN_RECALL]    the labelled anomalies raised alerts
  same-alerts REFERENCE OTHER            the same alerts as the failure-free run, none twice, none missing
  in-order PRODUCED_TSV TOPIC_TSV        the topic holds every produced record, each key's in the order of the file
  dashboard DASHBOARD_JSON SCRAPE...     every metric the Grafana dashboard queries is served by the running cluster
  kept-state REFERENCE_SCORES BEFORE AFTER K_BEFORE K_AFTER
                                         after a savepoint and a changed threshold.k, each key went on with
                                         its learned window and threshold state under the new k
"""
import collections
import json
import math
import sys


def read(path):
    with open(path, "rb") as f:
        return [json.loads(line) for line in f if line.strip()]


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def ok(message):
    print(f"ok: {message}")


def events(paths):
    return sum(int(s["events"]) for p in paths for s in read(p))


def accounted(scores, dead, produced):
    produced = int(produced)
    score_records = read(scores)
    scored = sum(int(s["events"]) for s in score_records)
    letters = read(dead)
    # A score is per (key, window end): one twice means a window was emitted twice.
    windows = collections.Counter((s["key"], s["event_time"]) for s in score_records)
    twice = [w for w, n in windows.items() if n > 1]
    if twice:
        fail(f"{len(twice)} windows scored twice, e.g. {twice[:3]}")
    offsets = collections.Counter((d["topic"], d["partition"], d["offset"]) for d in letters)
    twice = [o for o, n in offsets.items() if n > 1]
    if twice:
        fail(f"{len(twice)} records dead-lettered twice, e.g. {twice[:3]}")
    reasons = collections.Counter(d["reason"] for d in letters)
    if scored + len(letters) != produced:
        fail(f"scored {scored} + dead-lettered {len(letters)} = {scored + len(letters)}, produced {produced}")
    ok(f"produced {produced} = scored {scored} + dead-lettered {len(letters)} {dict(sorted(reasons.items()))}")


def detected(alerts, labels, min_recall="0.7"):
    alerts = read(alerts)
    labels = read(labels)
    if not labels:
        fail("no labelled anomalies in the input")
    by_key = collections.defaultdict(list)
    for a in alerts:
        by_key[a["key"]].append(iso_millis(a["event_time"]))
    # A window of 16 readings, one a second, holds the anomaly for up to 16 s after it ends.
    caught = [lab for lab in labels
              if any(lab["start"] <= t <= lab["end"] + 20_000 for t in by_key.get(lab["key"], ()))]
    recall = len(caught) / len(labels)
    kinds = collections.Counter(lab["kind"] for lab in labels)
    caught_kinds = collections.Counter(lab["kind"] for lab in caught)
    summary = ", ".join(f"{k} {caught_kinds[k]}/{n}" for k, n in sorted(kinds.items()))
    if recall < float(min_recall):
        fail(f"caught {len(caught)} of {len(labels)} labelled anomalies ({summary}), want >= {min_recall}")
    ok(f"{len(alerts)} alerts caught {len(caught)} of {len(labels)} labelled anomalies ({summary})")


def iso_millis(text):
    from datetime import datetime
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000 + 0.5)


def same_alerts(reference, other):
    ref = read(reference)
    got = read(other)
    ref_ids = collections.Counter(a["alert_id"] for a in ref)
    got_ids = collections.Counter(a["alert_id"] for a in got)
    if not ref:
        fail("the failure-free run raised no alerts: nothing to compare")
    dup_ref = [i for i, n in ref_ids.items() if n > 1]
    if dup_ref:
        fail(f"the failure-free run has {len(dup_ref)} alerts twice")
    dup = [i for i, n in got_ids.items() if n > 1]
    if dup:
        fail(f"{len(dup)} alerts twice after recovery, e.g. {dup[:3]}")
    missing = set(ref_ids) - set(got_ids)
    extra = set(got_ids) - set(ref_ids)
    if missing or extra:
        fail(f"{len(missing)} alerts missing, {len(extra)} unexpected (of {len(ref_ids)}); "
             f"missing e.g. {sorted(missing)[:3]}, unexpected e.g. {sorted(extra)[:3]}")
    ref_by_id = {a["alert_id"]: a for a in ref}
    for a in got:
        r = ref_by_id[a["alert_id"]]
        if a["key"] != r["key"] or a["event_time"] != r["event_time"] \
                or not math.isclose(a["score"], r["score"], rel_tol=1e-6):
            fail(f"alert {a['alert_id']} differs: {a} vs {r}")
    ok(f"{len(got)} alerts, the same as the failure-free run's by alert_id, key, event time and score; none twice")


def kept_state(reference_scores, before, after, k_before, k_after):
    k_before, k_after = float(k_before), float(k_after)
    reference = {(s["key"], s["event_time"]): s for s in read(reference_scores)}
    before = read(before)
    after = read(after)
    if not before or not after:
        fail(f"{len(before)} scores before the savepoint and {len(after)} after: the stop was not mid-stream")
    # The first threshold a fresh key gets is the model's calibration: the same for every key.
    first_ref = {}
    for s in read(reference_scores):
        first_ref.setdefault(s["key"], s)
    seeds = {round(s["threshold"], 12) for s in first_ref.values()}
    first_after = {}
    for s in after:
        first_after.setdefault(s["key"], s)
    problems = []
    for key, s in sorted(first_after.items()):
        ref = reference.get((key, s["event_time"]))
        if ref is None:
            problems.append(f"{key}: no score at {s['event_time']} in the failure-free run")
            continue
        # Window state: a key's first window needs window.size events; a restored window needs one more (the stride).
        if s["events"] != ref["events"]:
            problems.append(f"{key}: first window after the restore covers {s['events']} events, "
                            f"the uninterrupted run's {ref['events']} (window state lost)")
        # Threshold state: identical learned mean and sd, so ln T differs by exactly (k_after - k_before)·sd > 0.
        delta = math.log(s["threshold"]) - math.log(ref["threshold"])
        if not delta > 0:
            problems.append(f"{key}: threshold {s['threshold']:.6g} not above {ref['threshold']:.6g} with k "
                            f"{k_after} instead of {k_before} (the new k is not in force)")
        if round(s["threshold"], 12) in seeds:
            problems.append(f"{key}: threshold {s['threshold']:.6g} is the calibration seed (learned state lost)")
    if problems:
        fail("; ".join(problems[:6]) + (f" (and {len(problems) - 6} more)" if len(problems) > 6 else ""))
    sds = sorted((math.log(s["threshold"]) - math.log(reference[(k, s["event_time"])]["threshold"])) / (k_after - k_before)
                 for k, s in first_after.items())
    ok(f"{len(first_after)} keys went on from the savepoint with their windows and learned thresholds; "
       f"k {k_before} -> {k_after} raised each threshold by its own sd of ln(score) "
       f"({sds[0]:.3f} .. {sds[-1]:.3f}); {len(before)} scores before, {len(after)} after")


def in_order(produced, topic):
    def by_key(path):
        keys = collections.defaultdict(list)
        count = 0
        with open(path, "rb") as f:
            for line in f:
                key, _, payload = line.rstrip(b"\n").partition(b"\t")
                keys[key].append(payload)
                count += 1
        return keys, count
    want, n_want = by_key(produced)
    got, n_got = by_key(topic)
    if n_got != n_want:
        fail(f"the input topic holds {n_got} records, {n_want} were produced")
    wrong = [k for k in want if want[k] != got.get(k)]
    if wrong:
        fail(f"{len(wrong)} keys' records are not in the topic in the order produced, e.g. {wrong[:3]}")
    ok(f"the input topic holds the {n_got} records, each key's in the order produced")


def dashboard(path, *scrapes):
    import re
    served = set()
    for scrape in scrapes:
        with open(scrape) as f:
            for line in f:
                if line and not line.startswith("#"):
                    served.add(re.split(r"[{ ]", line, 1)[0])
    if not served:
        fail("no metrics scraped from the cluster's Prometheus reporters")
    wanted = set()
    for panel in json.load(open(path))["panels"]:
        for target in panel["targets"]:
            # Exact names, and name prefixes given as a regular expression ("..._deadLetters_.+").
            wanted.update(re.findall(r"flink_\w+(?:\.\+)?", target["expr"]))
    missing = sorted(w for w in wanted
                     if not (any(s.startswith(w[:-2]) and s != w[:-2] for s in served) if w.endswith(".+") else w in served))
    if missing:
        fail(f"the dashboard queries metrics the cluster does not serve: {missing}")
    ok(f"the {len(wanted)} metrics the dashboard queries are all served by the running job ({len(served)} metrics scraped)")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "count":
        print(events(args))
    elif command == "accounted":
        accounted(*args)
    elif command == "detected":
        detected(*args)
    elif command == "same-alerts":
        same_alerts(*args)
    elif command == "in-order":
        in_order(*args)
    elif command == "dashboard":
        dashboard(*args)
    elif command == "kept-state":
        kept_state(*args)
    else:
        sys.exit(__doc__)
