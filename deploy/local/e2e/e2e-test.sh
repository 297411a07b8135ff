#!/usr/bin/env bash
# End-to-end test with real processes: a Kafka broker and a standalone Flink cluster from deploy/local,
# the built job jar submitted over REST, input produced and output consumed with kcat (read_committed).
#
#   1. reference run: the labelled anomalies are alerted; every input is scored or dead-lettered; the
#      metrics the Grafana dashboard queries are served by the cluster's Prometheus reporters
#   2. kill -9 the TaskManager mid-stream, start a new one: the same alerts as run 1, none twice, none missing
#   3. stop with a savepoint mid-stream, resume with another --threshold.k: the keys' learned state is kept, at parallelism 1 (from 2)
#      and the new k is in force
#   4. restart the broker mid-stream (the TaskManagers frozen while it stops): no input lost, the same alerts as run 1
#   5. SASL: a second broker whose client listener takes SASL_PLAINTEXT only (kafka.sh with KAFKA_SASL=on,
#      PLAIN and SCRAM-SHA-256), topics created as its admin user, input produced and output read with kcat
#      (PLAIN), the job submitted with --kafka.properties-file (SCRAM-SHA-256; the password only behind a
#      ${file:...} reference): every input is accounted for and the password is in no job configuration of
#      the REST API and no log; a wrong password and missing credentials are refused with the job's messages
#
# Every run reads the same input topic with --kafka.bounded true: it stops at the offsets present at its
# start and then finishes, so "every input is accounted for" is a finite check (an unbounded job keeps a
# key's newest events until the watermark passes them). Runs differ in output topics, group and
# transactional ids. The processes are stopped on exit, whatever the outcome; logs stay in
# $VIGIL_LOCAL_DIR. Runs on its own ports (E2E_PORT_BASE, default 29000) next to a cluster on the defaults.
#
# Usage: e2e-test.sh [all|1|2|3|4|5 ...] (default all; runs 2-4 compare with run 1, which runs with them).
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
JOB_BOOTSTRAP="$BOOTSTRAP"
# Run 5's SASL broker: its own ports and directory.
SASL_PORT=$((BASE + 192))
SASL_BOOTSTRAP="127.0.0.1:$SASL_PORT"
SASL_EVENTS="${E2E_SASL_EVENTS:-4000}"
# Enough input that a run is still busy after its first checkpoint (10 to 20 s of work on 2 cores).
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
    for f in "$VIGIL_LOCAL_DIR"/flink/log/jobmanager.log "$VIGIL_LOCAL_DIR"/kafka/kafka.log "$VIGIL_LOCAL_DIR"/sasl/kafka/kafka.log; do
      [[ -f "$f" ]] && { echo "--- $f" >&2; grep -E ' ERROR ' "$f" | tail -n 8 >&2 || true; }
    done
  fi
  # A broker still starting in the background has no pid file yet: let it finish, then stop it.
  for pid in ${kafka_start:-} ${sasl_start:-}; do wait "$pid" 2>/dev/null || true; done
  # A frozen TaskManager (run 4) would only stop at its SIGKILL, 30 s later.
  "$LOCAL/flink.sh" thaw-tms >/dev/null 2>&1 || true
  "$LOCAL/flink.sh" stop >/dev/null 2>&1 || true
  "$LOCAL/kafka.sh" stop >/dev/null 2>&1 || true
  sasl_kafka stop >/dev/null 2>&1 || true
  echo "end-to-end test took $((SECONDS))s" >&2
  exit "$rc"
}
# kafka.sh for run 5's broker, in SASL mode.
sasl_kafka() {
  VIGIL_LOCAL_DIR="$VIGIL_LOCAL_DIR/sasl" KAFKA_PORT="$SASL_PORT" KAFKA_CONTROLLER_PORT=$((BASE + 193)) KAFKA_SASL=on \
    "$LOCAL/kafka.sh" "$@"
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
# Runs 2-4 compare with run 1, so it runs with any of them; run 5 needs neither it nor its broker.
REF=false
for run in 1 2 3 4; do wants "$run" && REF=true; done

# Committed records of a topic, as JSON lines.
consume() { kcat -b "$BOOTSTRAP" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%s\n' >"$WORK/$1.jsonl"; }

# Reads a finished run's three topics and checks that every produced record was scored or
# dead-lettered. The sink commits its last transactions as the job finishes, and a read_committed
# consumer sees nothing past a transaction whose commit marker is not written yet (after a broker
# restart the new transaction coordinator takes a few seconds for that): so it reads again, for up
# to a minute, before the check's failure stands.
consume_accounted() {
  local run="$1" i
  for ((i = 0; i < 30; i++)); do
    for t in "alerts-$run" "dead-letters-$run" "scores-$run"; do consume "$t"; done
    "${CHECK[@]}" accounted "$WORK/scores-$run.jsonl" "$WORK/dead-letters-$run.jsonl" "$PRODUCED" >/dev/null 2>&1 && break
    sleep 2
  done
  "${CHECK[@]}" accounted "$WORK/scores-$run.jsonl" "$WORK/dead-letters-$run.jsonl" "$PRODUCED" && return 0
  # Records in the log that read_committed never shows belong to a transaction left open.
  local t committed written
  for t in "alerts-$run" "dead-letters-$run" "scores-$run"; do
    committed="$(wc -l <"$WORK/$t.jsonl")"
    written="$(kcat -b "$BOOTSTRAP" -C -t "$t" -o beginning -e -q -X isolation.level=read_uncommitted -f '.\n' | wc -l)"
    ((written == committed)) || echo "$t: $written records in the log, $committed of them committed" >&2
  done
  fail "run $run: not every input is accounted for"
}

job_args() {
  local run="$1"; shift
  printf '%s\n' --streams sensors --stream.sensors.model "$ROOT/models/sensor" --stream.sensors.topics sensors \
    --kafka.bootstrap-servers "$JOB_BOOTSTRAP" --kafka.bounded true --kafka.group-id "vigil-$run" \
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

# await_state, replacing a TaskManager that exits meanwhile, as a supervisor (systemd, Kubernetes)
# does in production. Flink's Kafka sink can take its TaskManager down when the broker goes away
# mid-send: the failed task closes its writer, the writer throws the same send error again, and Flink
# holds an error raised while handling one fatal to the process. The job then restarts from its last
# checkpoint on the new TaskManager, which is what this run checks: nothing lost, nothing twice.
await_state_supervised() {
  local job="$1" want="$2" timeout="$3" state status i next=10
  for ((i = 0; i < timeout * 2; i++)); do
    state="$("$LOCAL/job.sh" state "$job")"
    [[ "$state" == "$want" ]] && return 0
    [[ "$state" == FAILED || "$state" == CANCELED || "$state" == FINISHED ]] && fail "job $job is $state, not $want"
    status="$("$LOCAL/flink.sh" status || true)"
    if [[ "$status" != *"TaskManager "*" runs"* ]]; then
      printf 'the TaskManager exited (log: %s): starting TaskManager %s, as a supervisor would\n' \
        "$VIGIL_LOCAL_DIR/flink/log" "$next" >&2
      "$LOCAL/flink.sh" start-tm "$next"
      next=$((next + 1))
    fi
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

# Waits until a job's scores topic holds a record at the given isolation level. read_committed: the job
# has committed output (a checkpoint completed after it scored something), so from then on a failure is
# mid-stream, with committed alerts that must not come twice. read_uncommitted: it has written its first
# score, the earliest moment a stop with a savepoint is mid-stream, since the savepoint commits what was
# scored before it (stopping only after a first checkpoint left a fast machine time to score it all).
await_output() {
  local job="$1" run="$2" isolation="$3" i state
  for ((i = 0; i < 600; i++)); do
    state="$("$LOCAL/job.sh" state "$job")"
    [[ "$state" == RUNNING || "$state" == INITIALIZING || "$state" == CREATED ]] \
      || fail "job $job is $state before it wrote any output ($isolation)"
    [[ -n "$(kcat -b "$BOOTSTRAP" -C -t "scores-$run" -o beginning -e -q -c 1 -X isolation.level="$isolation" -f '.')" ]] \
      && return 0
    sleep 0.2
  done
  fail "job $job wrote no output ($isolation) within 120 s"
}
await_committed() { await_output "$1" "$2" read_committed; }
await_scoring() { await_output "$1" "$2" read_uncommitted; }

# Scored inputs committed so far: after a failure, more than none and fewer than all proves mid-stream.
assert_mid_stream() {
  local run="$1" what="$2" expected="$3" committed
  consume "scores-$run"
  committed="$("${CHECK[@]}" count "$WORK/scores-$run.jsonl")"
  ((committed > 0 && committed < expected)) \
    || fail "run $run: $committed of $expected inputs scored and committed at the $what: not mid-stream"
  echo "ok: the $what came mid-stream: $committed of $expected valid inputs scored and committed" >&2
}

# The broker is down: a job that has not finished cannot finish now (its last transaction needs the
# broker), so if it is still unfinished after a while, the broker went down with output uncommitted.
assert_unfinished_without_broker() {
  local job="$1" state
  state="$("$LOCAL/job.sh" state "$job")"
  [[ "$state" != FINISHED ]] || fail "run broker: job $job finished before the broker went down: not mid-stream"
  sleep 5
  state="$("$LOCAL/job.sh" state "$job")"
  [[ "$state" != FINISHED ]] || fail "run broker: job $job finished while the broker was down: its output was all committed before"
  echo "ok: the broker went down mid-stream: output committed, and the job ($state) could not finish in 5 s without it" >&2
}

# Processes of an earlier run that was killed before its cleanup (their pid files are in this directory).
"$LOCAL/flink.sh" stop >/dev/null 2>&1 || true
"$LOCAL/kafka.sh" stop >/dev/null 2>&1 || true
sasl_kafka stop >/dev/null 2>&1 || true
rm -rf "$VIGIL_LOCAL_DIR/kafka" "$VIGIL_LOCAL_DIR/flink" "$VIGIL_LOCAL_DIR/sasl" "$WORK"
mkdir -p "$WORK/data"
if $REF; then
  log "input: $EVENTS sensor readings of 16 machines with labelled anomalies and malformed records"
  java -cp "$JAR" io.vigil.generator.Generator --stream sensors --keys 16 --events "$EVENTS" \
    --anomaly-rate 0.003 --malformed-rate 0.01 --seed 11 --out "$WORK/data" >&2
  PRODUCED="$(python3 "$HERE/keyed.py" "$WORK/data/sensors.jsonl" "$WORK/data/sensors.tsv")"
  [[ "$PRODUCED" == "$EVENTS" ]] || fail "expected $EVENTS records in the generator's output, found $PRODUCED"
fi

log "starting Kafka and Flink (logs under $VIGIL_LOCAL_DIR)"
if $REF; then "$LOCAL/kafka.sh" start & kafka_start=$!; fi
if wants 5; then sasl_kafka start & sasl_start=$!; fi
"$LOCAL/flink.sh" start-jm
if $REF; then wait "$kafka_start" || fail "Kafka did not start"; fi
"$LOCAL/flink.sh" start-tm 1

if $REF; then
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
  consume_accounted ref
  "${CHECK[@]}" detected "$WORK/alerts-ref.jsonl" "$WORK/data/labels.jsonl" 0.7
  VALID="$("${CHECK[@]}" count "$WORK/scores-ref.jsonl")"
fi

if wants 2; then
  log "run 2: kill -9 the TaskManager mid-stream, start a new one"
  job="$(submit kill)"
  await_committed "$job" kill
  "$LOCAL/flink.sh" kill-tm 1
  [[ "$("$LOCAL/job.sh" state "$job")" != FINISHED ]] || fail "the job finished before the TaskManager was killed"
  assert_mid_stream kill "TaskManager kill" "$VALID"
  "$LOCAL/flink.sh" start-tm 2
  await_state "$job" FINISHED 240
  consume_accounted kill
  "${CHECK[@]}" same-alerts "$WORK/alerts-ref.jsonl" "$WORK/alerts-kill.jsonl"
fi

if wants 3; then
  log "run 3: stop with a savepoint mid-stream, resume with --threshold.k $K_AFTER at parallelism 1 (from 2)"
  job="$(submit savepoint)"
  await_scoring "$job" savepoint
  savepoint="$("$LOCAL/job.sh" stop "$job" "$WORK/savepoints")"
  assert_mid_stream savepoint "savepoint" "$VALID"
  # Same job, same uids, same transactional ids; only the threshold parameter and the scores topic change.
  mapfile -t args < <(job_args savepoint --threshold.k "$K_AFTER")
  for i in "${!args[@]}"; do [[ "${args[$i]}" == scores-savepoint ]] && args[$i]=scores-resumed; done
  splits_before="$(finished_splits)"
  job="$("$LOCAL/job.sh" resume "$savepoint" --parallelism 1 -- "${args[@]}")"
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
  # A clean shutdown takes the broker seconds, in which it still serves: a fast machine finished the
  # job in them. Frozen TaskManagers stand still until the broker is down, so the stop is mid-stream.
  "$LOCAL/flink.sh" freeze-tms
  "$LOCAL/kafka.sh" stop
  "$LOCAL/flink.sh" thaw-tms
  assert_unfinished_without_broker "$job"
  "$LOCAL/kafka.sh" start
  await_state_supervised "$job" FINISHED 300
  consume_accounted broker
  "${CHECK[@]}" same-alerts "$WORK/alerts-ref.jsonl" "$WORK/alerts-broker.jsonl"
fi

if wants 5; then
  log "run 5: SASL broker (PLAIN and SCRAM-SHA-256): the job with credentials, and refused without them"
  wait "$sasl_start" || fail "the SASL broker did not start"
  sasl_start=""
  client="$(sasl_kafka client-config)"
  kcat_conf="$(sasl_kafka client-config kcat)"
  sasl_dir="$(dirname "$client")"
  password="$(<"$sasl_dir/client.password")"
  admin_password="$(<"$sasl_dir/admin.password")"
  # What the job is given holds a reference, never the secret; the secrets are private files.
  grep -qF '${file:' "$client" && ! grep -qF "$password" "$client" \
    || fail "$client does not refer to its secret, or holds it"
  for f in client-secrets.properties admin-secrets.properties client.password admin.password kcat.conf ../server.properties; do
    [[ "$(stat -c %a "$sasl_dir/$f")" == 600 ]] || fail "$sasl_dir/$f can be read by others ($(stat -c %a "$sasl_dir/$f"))"
  done
  echo "ok: $client refers to its secret; the passwords are in files only their owner can read" >&2
  # As the admin user (PLAIN, through kafka.sh's own client settings).
  sasl_kafka create-topics sensors:2 alerts-sasl:1 dead-letters-sasl:1 scores-sasl:1
  mkdir -p "$WORK/sasl"
  java -cp "$JAR" io.vigil.generator.Generator --stream sensors --keys 8 --events "$SASL_EVENTS" \
    --anomaly-rate 0.003 --malformed-rate 0.01 --seed 12 --out "$WORK/sasl" >&2
  sasl_produced="$(python3 "$HERE/keyed.py" "$WORK/sasl/sensors.jsonl" "$WORK/sasl/sensors.tsv")"
  # kcat logs in with PLAIN (kafka.sh's kcat.conf): the librdkafka of Debian's kcat cannot do SCRAM with Kafka 4.
  sasl_kcat() { kcat -F "$kcat_conf" -b "$SASL_BOOTSTRAP" "$@" 2> >(grep -v '^% Reading configuration' >&2); }
  sasl_kcat -P -t sensors -K $'\t' -z lz4 -X message.max.bytes=4194304 -X enable.idempotence=true -l "$WORK/sasl/sensors.tsv"
  JOB_BOOTSTRAP="$SASL_BOOTSTRAP"
  jobs_before="$("$LOCAL/job.sh" list | wc -l)"

  # A wrong SCRAM password, first: on a cluster that loads Kafka's clients from the job jar, this
  # submission's closed class loader would stay registered for SCRAM and break the next one.
  (umask 077 && printf 'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="not-%s";\n' \
    vigil "$password" >"$WORK/sasl/wrong-secrets.properties")
  sed "s|\${file:[^}]*}|\${file:$WORK/sasl/wrong-secrets.properties:sasl.jaas.config}|" "$client" >"$WORK/sasl/wrong.properties"
  if out="$(submit sasl --kafka.properties-file "$WORK/sasl/wrong.properties" 2>&1)"; then
    fail "a wrong password was accepted: job $out"
  fi
  expected="cannot authenticate to Kafka at $SASL_BOOTSTRAP as user 'vigil' (SASL SCRAM-SHA-256, security.protocol=SASL_PLAINTEXT): Authentication failed"
  [[ "$out" == *"$expected"* ]] || fail "a wrong password was refused without the job's message: $out"
  echo "ok: a wrong password is refused: ${out#ERROR: }" >&2

  job="$(submit sasl --kafka.properties-file "$client")"
  await_state "$job" FINISHED 240
  for t in alerts-sasl dead-letters-sasl scores-sasl; do
    sasl_kcat -C -t "$t" -o beginning -e -q -X isolation.level=read_committed -f '%s\n' >"$WORK/$t.jsonl"
  done
  "${CHECK[@]}" accounted "$WORK/scores-sasl.jsonl" "$WORK/dead-letters-sasl.jsonl" "$sasl_produced"
  "${CHECK[@]}" detected "$WORK/alerts-sasl.jsonl" "$WORK/sasl/labels.jsonl" 0.5
  grep -qF "Kafka at $SASL_BOOTSTRAP accepts user 'vigil' (SASL SCRAM-SHA-256" "$VIGIL_LOCAL_DIR/flink/log/jobmanager.log" \
    || fail "the JobManager log does not show the start-up check as user 'vigil' with SCRAM-SHA-256"
  # The Web UI's view of the job and the cluster, and every log: no secret.
  for path in "/jobs/$job/config" "/jobs/$job/jobmanager/config" /jobmanager/config; do
    curl -sf "http://127.0.0.1:$FLINK_REST_PORT$path" >"$WORK/rest-config.json" || fail "GET $path failed"
    if grep -qF -e "$password" -e "$admin_password" -e LoginModule "$WORK/rest-config.json"; then
      fail "GET $path shows Kafka credentials"
    fi
  done
  grep -q '"name":"vigil sensors"' <(curl -sf "http://127.0.0.1:$FLINK_REST_PORT/jobs/$job/config") \
    || fail "GET /jobs/$job/config is not the job's configuration"
  leaks="$(grep -rlF -e "$password" -e "$admin_password" "$VIGIL_LOCAL_DIR/flink/log" "$VIGIL_LOCAL_DIR/sasl/kafka/kafka.log" \
    "$VIGIL_LOCAL_DIR/sasl/kafka/kafka.out" || true)"
  [[ -z "$leaks" ]] || fail "a password is in the logs: $leaks"
  echo "ok: the password is in no job configuration of the REST API and in none of the cluster's and the broker's logs" >&2

  if out="$(submit sasl --kafka.check-timeout '5 s' 2>&1)"; then
    fail "a submission without credentials was accepted: job $out"
  fi
  expected="no answer from Kafka at $SASL_BOOTSTRAP within 5 s as a client without SASL credentials (security.protocol=PLAINTEXT)"
  [[ "$out" == *"$expected"* ]] || fail "a submission without credentials was refused without the job's message: $out"
  echo "ok: missing credentials are refused: ${out#ERROR: }" >&2
  for expected in "cannot authenticate to Kafka at $SASL_BOOTSTRAP as user 'vigil'" "no answer from Kafka at $SASL_BOOTSTRAP within 5 s"; do
    grep -qF "$expected" "$VIGIL_LOCAL_DIR/flink/log/jobmanager.log" || fail "the JobManager log does not say: $expected"
  done
  (( $("$LOCAL/job.sh" list | wc -l) == jobs_before + 1 )) || fail "a refused submission created a job"
  sasl_kafka stop
fi

log "PASSED"
