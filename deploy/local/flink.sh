#!/usr/bin/env bash
# A real standalone Flink 2.2.1 session cluster (a JobManager and TaskManager JVMs) from Maven Central
# jars (flink-dist is not published there), with ONNX Runtime, the job's Kafka clients (both loaded
# parent-first) and the Prometheus reporter on the cluster's class path. The configuration is the
# project's deploy/flink/config.yaml, with local addresses, ports and directories passed as dynamic
# properties (-D), which win over the file.
#
#   flink.sh start              a JobManager and FLINK_TASKMANAGERS (1) TaskManagers; waits until they serve
#   flink.sh stop               every TaskManager, then the JobManager
#   flink.sh start-jm
#   flink.sh start-tm [ID]      one more TaskManager (IDs 1, 2, ...; the next free one by default)
#   flink.sh stop-tm ID         SIGTERM
#   flink.sh kill-tm ID         SIGKILL: a TaskManager crash, for failure tests
#   flink.sh freeze-tms | thaw-tms   SIGSTOP | SIGCONT every TaskManager: jobs stand still, for failure tests
#   flink.sh status
#   flink.sh classpath          the cluster's class path (Flink, logging, ONNX Runtime, Kafka clients), for tools
#                               run beside it
#
# Settings (environment): FLINK_REST_PORT (8081), FLINK_RPC_PORT (6123), FLINK_HOST (127.0.0.1),
# FLINK_TM_MEMORY (2048m), FLINK_JM_MEMORY (1024m), FLINK_TM_SLOTS (2), FLINK_PROMETHEUS_PORTS (9249-9259),
# FLINK_CONFIG (deploy/flink/config.yaml), FLINK_EXTRA_PROPERTIES ("key=value ..." added last),
# VIGIL_LOCAL_DIR (build/local).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FLINK_CONFIG="${FLINK_CONFIG:-$VIGIL_ROOT/deploy/flink/config.yaml}"
FLINK_TASKMANAGERS="${FLINK_TASKMANAGERS:-1}"
CLASSPATH_FILE="$VIGIL_CLASSPATH_DIR/flink.txt"
CONF_DIR="$FLINK_DIR/conf"
LOG_DIR="$FLINK_DIR/log"
DATA_DIR="$FLINK_DIR/data"
JM_PID="$FLINK_DIR/jobmanager.pid"

classpath() {
  resolve_classpath "$LOCAL_SCRIPTS/flink/pom.xml" "$CLASSPATH_FILE"
  cat "$CLASSPATH_FILE"
}

# Local addresses, ports and directories; everything else comes from config.yaml.
dynamic_properties() {
  local -a props=(
    "jobmanager.rpc.address=$FLINK_HOST"
    "jobmanager.rpc.port=$FLINK_RPC_PORT"
    "jobmanager.bind-host=$FLINK_HOST"
    "taskmanager.bind-host=$FLINK_HOST"
    "taskmanager.host=$FLINK_HOST"
    "rest.address=$FLINK_HOST"
    "rest.bind-address=$FLINK_HOST"
    "rest.port=$FLINK_REST_PORT"
    "jobmanager.memory.process.size=$FLINK_JM_MEMORY"
    "taskmanager.memory.process.size=$FLINK_TM_MEMORY"
    "taskmanager.numberOfTaskSlots=$FLINK_TM_SLOTS"
    "execution.checkpointing.dir=file://$DATA_DIR/checkpoints"
    "execution.checkpointing.savepoint-dir=file://$DATA_DIR/savepoints"
    "web.upload.dir=$FLINK_DIR/web-upload"
    "io.tmp.dirs=$FLINK_DIR/tmp"
    "metrics.reporter.prom.port=$FLINK_PROMETHEUS_PORTS"
    # A killed TaskManager is noticed within seconds rather than the default 50 s heartbeat timeout.
    "heartbeat.interval=2000"
    "heartbeat.timeout=10000"
  )
  local extra
  for extra in ${FLINK_EXTRA_PROPERTIES:-}; do props+=("$extra"); done
  local p
  for p in "${props[@]}"; do printf -- '-D\n%s\n' "$p"; done
}

prepare() {
  [[ -f "$FLINK_CONFIG" ]] || die "no Flink configuration at $FLINK_CONFIG"
  mkdir -p "$CONF_DIR" "$LOG_DIR" "$DATA_DIR" "$FLINK_DIR/web-upload" "$FLINK_DIR/tmp"
  cp "$FLINK_CONFIG" "$CONF_DIR/config.yaml"
  cp "$LOCAL_SCRIPTS/conf/log4j-flink.properties" "$CONF_DIR/log4j.properties"
}

# The lines BashJavaUtils prints after BASH_JAVA_UTILS_EXEC_RESULT: (JVM memory flags, then -D properties),
# as Flink's own start scripts use them: a bare TaskManagerRunner fails without them.
resource_params() {
  local command="$1" cp="$2" out
  local -a dyn
  mapfile -t dyn < <(dynamic_properties)
  out="$("$JAVA" -cp "$cp" org.apache.flink.runtime.util.bash.BashJavaUtils "$command" --configDir "$CONF_DIR" \
    "${dyn[@]}" 2>&1)" || { echo "$out" >&2; die "Flink rejected the configuration ($command)"; }
  grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://'
}

# env.java.opts.all of the configuration (Java 17 module openings), flattened by Flink itself.
java_opts() {
  local cp="$1"
  "$JAVA" -cp "$cp" org.apache.flink.runtime.util.bash.BashJavaUtils UPDATE_AND_GET_FLINK_CONFIGURATION \
    --configDir "$CONF_DIR" -flatten 2>/dev/null \
    | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT:env\.java\.opts\.all: //p'
}

launch() {
  local name="$1" main="$2" params_cmd="$3" pid_file="$4" cp jvm_flags dyn_flags opts pid
  shift 4
  local -a dyn
  cp="$(classpath)"
  prepare
  { read -r jvm_flags; read -r dyn_flags; } < <(resource_params "$params_cmd" "$cp")
  [[ -n "$jvm_flags" ]] || die "no JVM memory flags for the $name"
  opts="$(java_opts "$cp")"
  mapfile -t dyn < <(dynamic_properties)
  dyn+=("$@")
  local logfile="$LOG_DIR/$name.log"
  log "starting the $name (log: $logfile)"
  # Word splitting of the flag strings is intended: they are lists of JVM and -D arguments.
  # shellcheck disable=SC2086
  nohup "$JAVA" $jvm_flags $opts -Donnxruntime.native.telemetry=false \
    -Dlog.file="$logfile" -Dlog4j.configurationFile="file:$CONF_DIR/log4j.properties" \
    -Dlog4j2.configurationFile="file:$CONF_DIR/log4j.properties" \
    -cp "$cp" "$main" --configDir "$CONF_DIR" "${dyn[@]}" $dyn_flags \
    </dev/null >>"$LOG_DIR/$name.out" 2>&1 &
  pid=$!
  echo "$pid" >"$pid_file"
  echo "$pid"
}

rest_ok() { curl -sf -o /dev/null --max-time 2 "$FLINK_REST/overview"; }

start_jm() {
  local pid
  if pid="$(running_pid "$JM_PID")"; then log "the JobManager already runs (pid $pid) at $FLINK_REST"; return 0; fi
  require "$JAVA" curl
  port_open "$FLINK_HOST" "$FLINK_REST_PORT" && die "port $FLINK_HOST:$FLINK_REST_PORT is taken by another process; set FLINK_REST_PORT"
  port_open "$FLINK_HOST" "$FLINK_RPC_PORT" && die "port $FLINK_HOST:$FLINK_RPC_PORT is taken by another process; set FLINK_RPC_PORT"
  pid="$(launch jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
    GET_JM_RESOURCE_PARAMS "$JM_PID")"
  wait_for_port "JobManager" "$FLINK_HOST" "$FLINK_REST_PORT" "$pid" "$LOG_DIR/jobmanager.log" 120
  local i
  for ((i = 0; i < 300; i++)); do rest_ok && break; sleep 0.2; done
  rest_ok || die "the JobManager's REST API does not answer at $FLINK_REST (log: $LOG_DIR/jobmanager.log)"
  log "the JobManager is up (pid $pid): Web UI $FLINK_REST"
}

registered() {
  curl -sf --max-time 2 "$FLINK_REST/taskmanagers" | jq -e --arg id "$1" 'any(.taskmanagers[]; .id == $id)' >/dev/null 2>&1
}

start_tm() {
  local id="${1:-}" pid resource_id i
  rest_ok || die "no JobManager at $FLINK_REST (flink.sh start-jm)"
  if [[ -z "$id" ]]; then
    id=1
    while running_pid "$FLINK_DIR/taskmanager-$id.pid" >/dev/null; do id=$((id + 1)); done
  fi
  [[ "$id" =~ ^[0-9]+$ ]] || die "a TaskManager ID is a number, not '$id'"
  if pid="$(running_pid "$FLINK_DIR/taskmanager-$id.pid")"; then log "TaskManager $id already runs (pid $pid)"; return 0; fi
  # A resource id of its own, so its registration is told apart from a dead TaskManager's that the
  # JobManager has not yet dropped; the start time keeps a restarted ID from looking like the old process.
  resource_id="tm-$id-$(date +%s)"
  pid="$(launch "taskmanager-$id" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
    GET_TM_RESOURCE_PARAMS "$FLINK_DIR/taskmanager-$id.pid" -D "taskmanager.resource-id=$resource_id")"
  for ((i = 0; i < 600; i++)); do
    registered "$resource_id" && break
    pid_alive "$pid" || { tail -n 30 "$LOG_DIR/taskmanager-$id.log" >&2 || true; die "TaskManager $id exited during start-up"; }
    sleep 0.2
  done
  registered "$resource_id" || die "TaskManager $id did not register within 120 s (log: $LOG_DIR/taskmanager-$id.log)"
  log "TaskManager $id is up (pid $pid, $FLINK_TM_SLOTS slots)"
}

kill_tm() {
  local id="${1:?usage: flink.sh kill-tm ID}" pid
  pid="$(running_pid "$FLINK_DIR/taskmanager-$id.pid")" || die "TaskManager $id is not running"
  kill -KILL "$pid"
  while pid_alive "$pid"; do sleep 0.1; done
  rm -f "$FLINK_DIR/taskmanager-$id.pid"
  log "TaskManager $id (pid $pid) killed with SIGKILL"
}

# Sends a signal to every running TaskManager (freeze-tms and thaw-tms).
signal_tms() {
  local signal="$1" f pid n=0
  for f in "$FLINK_DIR"/taskmanager-*.pid; do
    [[ -e "$f" ]] || continue
    pid="$(running_pid "$f")" || continue
    kill "-$signal" "$pid"; n=$((n + 1))
  done
  ((n > 0)) || die "no TaskManager is running"
  log "SIG$signal sent to $n TaskManager(s)"
}

stop_all() {
  local f
  for f in "$FLINK_DIR"/taskmanager-*.pid; do
    [[ -e "$f" ]] || continue
    f="${f##*/}"; stop_pid_file "TaskManager ${f//[!0-9]/}" "$FLINK_DIR/$f" 30
  done
  stop_pid_file "the JobManager" "$JM_PID" 30
}

status() {
  local pid f up=0
  if pid="$(running_pid "$JM_PID")"; then echo "JobManager runs (pid $pid): $FLINK_REST"; up=1; else echo "JobManager is not running"; fi
  for f in "$FLINK_DIR"/taskmanager-*.pid; do
    [[ -e "$f" ]] || continue
    if pid="$(running_pid "$f")"; then f="${f##*/}"; echo "TaskManager ${f//[!0-9]/} runs (pid $pid)"; fi
  done
  ((up == 1))
}

case "${1:-}" in
  start)
    start_jm
    for ((n = 1; n <= FLINK_TASKMANAGERS; n++)); do start_tm "$n"; done ;;
  stop) stop_all ;;
  start-jm) start_jm ;;
  start-tm) start_tm "${2:-}" ;;
  stop-tm) stop_pid_file "TaskManager ${2:?usage: flink.sh stop-tm ID}" "$FLINK_DIR/taskmanager-$2.pid" 30 ;;
  kill-tm) kill_tm "${2:-}" ;;
  freeze-tms) signal_tms STOP ;;
  thaw-tms) signal_tms CONT ;;
  status) status ;;
  classpath) classpath ;;
  *) sed -n '2,/^set -euo/{/^#/p}' "$0"; exit 2 ;;
esac
