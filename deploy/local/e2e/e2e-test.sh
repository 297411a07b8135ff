#!/usr/bin/env bash
# End-to-end test with real processes: a Kafka broker and a standalone Flink cluster from deploy/local,
# the built job jar submitted over REST, input produced and output consumed with kcat (read_committed).
#
#   1. reference run: the labelled anomalies are alerted; every input is scored or dead-lettered; the
#      metrics the Grafana dashboard queries are served by the cluster's Prometheus reporters
#   2. kill -9 the TaskManager mid-stream, start a new one: the same alerts as run 1, none twice, none missing
#   3. stop with a savepoint mid-stream, resume with another --threshold.k: the keys' learned state is kept
#      and the new k is in force
#   4. restart the broker mid-stream: no input lost, the same alerts as run 1
#
# Every run reads the same input topic with --kafka.bounded true: it stops at the offsets present at its
# start and then finishes, so "every input is accounted for" is a finite check (an unbounded job keeps a
# key's newest events until the watermark passes them). Runs differ in output topics, group and
# transactional ids. The processes are stopped on exit, whatever the outcome; logs stay in
# $VIGIL_LOCAL_DIR. Runs on its own ports (E2E_PORT_BASE, default 29000) next to a cluster on the defaults.
#
# Usage: e2e-test.sh [all|1|2|3|4 ...] (default all; runs 2-4 compare with run 1, which always runs).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
BASE="${E2E_PORT_BASE:-29000}"
export VIGIL_LOCAL_DIR="${VIGIL_LOCAL_DIR:-$ROOT/build/e2e}"
export KAFKA_PORT=$((BASE + 92)) KAFKA_CONTROLLER_PORT=$((BASE + 93))
export FLINK_REST_PORT=$((BASE + 81)) FLINK_RPC_PORT=$((BASE + 123))
export FLINK_PROMETHEUS_PORTS="$((BASE + 249))-$((BASE + 259))"
export FLINK_TM_MEMORY="${FLINK_TM_MEMORY:-2048m}"
LOCAL="$ROOT/deploy/local"
JAR="$ROOT/job/target/vigil-job-0.1.0-SNAPSHOT-flink.jar"
WORK="$VIGIL_LOCAL_DIR/e2e"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
# Enough input that a run is still busy after its first checkpoint (about 20 s of work on 2 cores).
EVENTS="${E2E_EVENTS:-40000}"
K_AFTER=6
CHECK=(python3 "$HERE/check.py")

log() { printf '\n[%s] === %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then
    echo "--- the end-to-end test failed (exit $rc); last lines of the logs in $VIGIL_LOCAL_DIR:" >&2
    for f in "$VIGIL_LOCAL_DIR"/flink/log/jobmanager.log "$VIGIL_LOCAL_DIR"/kafka/kafka.log; do
      [[ -f "$f" ]] && { echo "--- $f" >&2; grep -E ' ERROR ' "$f" | tail -n 8 >&2 || true; }
    done
  fi
  "$LOCAL/flink.sh" stop >/dev/null 2>&1 || true
  "$LOCAL/kafka.sh" stop >/dev/null 2>&1 || true
  echo "end-to-end test took $((SECONDS))s" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in java mvn kcat jq curl python3; do
  command -v "$tool" >/dev/null || fail "'$tool' is not installed (make e2e-tools installs kcat and jq)"
done
[[ -f "$JAR" ]] || fail "no job jar at $JAR (make build)"

RUNS=("${@:-all}")
wants() { [[ " ${RUNS[*]} " == *" all "* || " ${RUNS[*]} " == *" $1 "* ]]; }

# Committed records of a topic, as JSON lines.
consume() { kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%s\n' >"$WORK/$1.jsonl"; }

job_args() {
  local run="$1"; shift
  printf '%s\n' --streams sensors --stream.sensors.model "$ROOT/models/sensor" --stream.sensors.topics sensors \
    --kafka.bootstrap-servers "$BOOTSTRAP" --kafka.bounded true --kafka.group-id "vigil-$run" \
    --alerts.topic "alerts-$run" --dead-letter.topic "dead-letters-$run" --scores.topic "scores-$run" \
    --alerts.transactional-id-prefix "vigil-$run" --checkpoint.interval '1 s' "$@"
}

submit() {
  local run="$1"; shift
  local -a args
  mapfile -t args < <(job_args "$run" "$@")
  "$LOCAL/job.sh" submit --parallelism 2 -- "${args[@]}"
}

# Polls in short steps (not one long child process), so an interrupt or `timeout` reaches the cleanup at once.
await_state() {
  local job="$1" want="$2" timeout="$3" state i
  for ((i = 0; i < timeout * 2; i++)); do
    state="$("$LOCAL/job.sh" state "$job")"
    [[ "$state" == "$want" ]] && return 0
    [[ "$state" == FAILED || "$state" == CANCELED || "$state" == FINISHED ]] && fail "job $job is $state, not $want"
    sleep 0.5
  done
  fail "job $job is still $state after ${timeout}s (wanted $want)"
}

# Waits until the source readers of the cluster's TaskManagers have finished N more splits than
# before (their "Finished reading split(s)" log line): then a bounded job has read all of its input.
finished_splits() {
  cat "$VIGIL_LOCAL_DIR"/flink/log/taskmanager-*.log 2>/dev/null | grep 'Finished reading split(s)' \
    | grep -o 'sensors-[0-9]*' | wc -l
}
await_splits_finished() {
  local target="$1" i
  for ((i = 0; i < 480; i++)); do
    (( $(finished_splits) >= target )) && return 0
    sleep 0.5
  done
  fail "the source did not finish reading its splits within 240 s"
}

# Waits until a job has committed output (a checkpoint completed after it scored something): from
# then on a failure is mid-stream, with committed alerts that must not come twice.
await_committed() {
  local job="$1" run="$2" i state
  for ((i = 0; i < 600; i++)); do
    state="$("$LOCAL/job.sh" state "$job")"
    [[ "$state" == RUNNING || "$state" == INITIALIZING || "$state" == CREATED ]] \
      || fail "job $job is $state before it committed any output"
    [[ -n "$(kcat -b "$BOOTSTRAP" -C -t "scores-$run" -o beginning -e -q -c 1 -X isolation.level=read_committed -f '.')" ]] \
      && return 0
    sleep 0.2
  done
  fail "job $job committed no output within 120 s"
}

# Scored inputs committed so far: after a failure, more than none and fewer than all proves mid-stream.
assert_mid_stream() {
  local run="$1" what="$2" expected="$3" committed
  consume "scores-$run"
  committed="$("${CHECK[@]}" count "$WORK/scores-$run.jsonl")"
  ((committed > 0 && committed < expected)) \
    || fail "run $run: $committed of $expected inputs scored and committed at the $what: not mid-stream"
  echo "ok: the $what came mid-stream: $committed of $expected valid inputs scored and committed" >&2
}

log "input: $EVENTS sensor readings of 16 machines with labelled anomalies and malformed records"
# Processes of an earlier run that was killed before its cleanup (their pid files are in this directory).
"$LOCAL/flink.sh" stop >/dev/null 2>&1 || true
"$LOCAL/kafka.sh" stop >/dev/null 2>&1 || true
rm -rf "$VIGIL_LOCAL_DIR/kafka" "$VIGIL_LOCAL_DIR/flink" "$WORK"
mkdir -p "$WORK/data"
java -cp "$JAR" io.vigil.generator.Generator --stream sensors --keys 16 --events "$EVENTS" \
  --anomaly-rate 0.003 --malformed-rate 0.01 --seed 11 --out "$WORK/data" >&2
PRODUCED="$(python3 "$HERE/keyed.py" "$WORK/data/sensors.jsonl" "$WORK/data/sensors.tsv")"
[[ "$PRODUCED" == "$EVENTS" ]] || fail "expected $EVENTS records in the generator's output, found $PRODUCED"

log "starting Kafka and Flink (logs under $VIGIL_LOCAL_DIR)"
"$LOCAL/kafka.sh" start &
kafka_start=$!
"$LOCAL/flink.sh" start-jm
wait "$kafka_start" || fail "Kafka did not start"
"$LOCAL/flink.sh" start-tm 1
topics=(sensors:2)
for run in ref kill savepoint broker; do topics+=("alerts-$run:1" "dead-letters-$run:1" "scores-$run:1"); done
topics+=(scores-resumed:1)
"$LOCAL/kafka.sh" create-topics "${topics[@]}"
# Keyed by machine, as a producer should: a machine's readings share a partition and stay in order.
# lz4: the generator's oversized records (just over 1 MiB) fit the broker's 1 MiB limit compressed.
# Idempotent: a retried request (the first ones can meet a partition whose leader is not known yet)
# must not reorder records, or events would arrive minutes of event time late.
kcat -b "$BOOTSTRAP" -P -t sensors -K $'\t' -z lz4 -X message.max.bytes=4194304 -X enable.idempotence=true \
  -l "$WORK/data/sensors.tsv"
kcat -b "$BOOTSTRAP" -C -t sensors -o beginning -e -q -f '%k\t%s\n' >"$WORK/data/topic.tsv"
"${CHECK[@]}" in-order "$WORK/data/sensors.tsv" "$WORK/data/topic.tsv"

log "run 1 (reference): anomalies alerted, every input accounted for"
job="$(submit ref)"
# While it runs: the Grafana dashboard's queries name metrics this job and cluster really serve.
await_committed "$job" ref
for ((port = BASE + 249; port <= BASE + 259; port++)); do
  curl -sf --max-time 3 "http://127.0.0.1:$port/metrics" >"$WORK/metrics-$port.txt" 2>/dev/null || rm -f "$WORK/metrics-$port.txt"
done
"${CHECK[@]}" dashboard "$ROOT/deploy/compose/grafana/dashboards/vigil.json" "$WORK"/metrics-*.txt
await_state "$job" FINISHED 240
for t in alerts-ref dead-letters-ref scores-ref; do consume "$t"; done
"${CHECK[@]}" accounted "$WORK/scores-ref.jsonl" "$WORK/dead-letters-ref.jsonl" "$PRODUCED"
"${CHECK[@]}" detected "$WORK/alerts-ref.jsonl" "$WORK/data/labels.jsonl" 0.7
VALID="$("${CHECK[@]}" count "$WORK/scores-ref.jsonl")"

if wants 2; then
  log "run 2: kill -9 the TaskManager mid-stream, start a new one"
  job="$(submit kill)"
  await_committed "$job" kill
  "$LOCAL/flink.sh" kill-tm 1
  [[ "$("$LOCAL/job.sh" state "$job")" != FINISHED ]] || fail "the job finished before the TaskManager was killed"
  assert_mid_stream kill "TaskManager kill" "$VALID"
  "$LOCAL/flink.sh" start-tm 2
  await_state "$job" FINISHED 240
  for t in alerts-kill dead-letters-kill scores-kill; do consume "$t"; done
  "${CHECK[@]}" accounted "$WORK/scores-kill.jsonl" "$WORK/dead-letters-kill.jsonl" "$PRODUCED"
  "${CHECK[@]}" same-alerts "$WORK/alerts-ref.jsonl" "$WORK/alerts-kill.jsonl"
fi

if wants 3; then
  log "run 3: stop with a savepoint mid-stream, resume with --threshold.k $K_AFTER"
  job="$(submit savepoint)"
  await_committed "$job" savepoint
  savepoint="$("$LOCAL/job.sh" stop "$job" "$WORK/savepoints")"
  assert_mid_stream savepoint "savepoint" "$VALID"
  # Same job, same uids, same transactional ids; only the threshold parameter and the scores topic change.
  mapfile -t args < <(job_args savepoint --threshold.k "$K_AFTER")
  for i in "${!args[@]}"; do [[ "${args[$i]}" == scores-savepoint ]] && args[$i]=scores-resumed; done
  splits_before="$(finished_splits)"
  job="$("$LOCAL/job.sh" resume "$savepoint" --parallelism 2 -- "${args[@]}")"
  # A bounded Kafka source restored from a savepoint reads to its stopping offsets but never finishes
  # (flink-connector-kafka 5.0.0: the restored enumerator does not signal "no more splits", FLINK-31006).
  # So: wait until both partitions are read, then stop with --drain, which fires every pending window.
  await_state "$job" RUNNING 120
  await_splits_finished $((splits_before + 2))
  "$LOCAL/job.sh" drain "$job" "$WORK/savepoints" >/dev/null
  for t in dead-letters-savepoint scores-resumed; do consume "$t"; done
  cat "$WORK/scores-savepoint.jsonl" "$WORK/scores-resumed.jsonl" >"$WORK/scores-savepoint-all.jsonl"
  "${CHECK[@]}" accounted "$WORK/scores-savepoint-all.jsonl" "$WORK/dead-letters-savepoint.jsonl" "$PRODUCED"
  "${CHECK[@]}" kept-state "$WORK/scores-ref.jsonl" "$WORK/scores-savepoint.jsonl" "$WORK/scores-resumed.jsonl" 3.5 "$K_AFTER"
fi

if wants 4; then
  log "run 4: restart the broker mid-stream"
  job="$(submit broker)"
  await_committed "$job" broker
  assert_mid_stream broker "broker restart" "$VALID"
  "$LOCAL/kafka.sh" restart
  await_state "$job" FINISHED 300
  for t in alerts-broker dead-letters-broker scores-broker; do consume "$t"; done
  "${CHECK[@]}" accounted "$WORK/scores-broker.jsonl" "$WORK/dead-letters-broker.jsonl" "$PRODUCED"
  "${CHECK[@]}" same-alerts "$WORK/alerts-ref.jsonl" "$WORK/alerts-broker.jsonl"
fi

log "PASSED"
