# Shared settings and helpers of the deploy/local scripts (sourced, not run).
# Every setting is an environment variable with a default, so two clusters can run side by side
# (for example the end-to-end test on other ports than a cluster someone is using).

VIGIL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_SCRIPTS="$VIGIL_ROOT/deploy/local"

# Where jars' class paths, configuration, logs, pid files and data go (gitignored).
VIGIL_LOCAL_DIR="${VIGIL_LOCAL_DIR:-$VIGIL_ROOT/build/local}"
# Class paths of the cluster's jars (in the local Maven repository), shared by every VIGIL_LOCAL_DIR.
VIGIL_CLASSPATH_DIR="${VIGIL_CLASSPATH_DIR:-$VIGIL_ROOT/build/classpath}"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
KAFKA_PARTITIONS="${KAFKA_PARTITIONS:-2}"
# KAFKA_SASL=on: the broker's client listener takes SASL_PLAINTEXT only (PLAIN and SCRAM-SHA-256); see kafka.sh.
KAFKA_SASL="${KAFKA_SASL:-off}"
KAFKA_SASL_USER="${KAFKA_SASL_USER:-vigil}"
KAFKA_SASL_MECHANISM="${KAFKA_SASL_MECHANISM:-SCRAM-SHA-256}"
FLINK_HOST="${FLINK_HOST:-127.0.0.1}"
FLINK_REST_PORT="${FLINK_REST_PORT:-8081}"
FLINK_RPC_PORT="${FLINK_RPC_PORT:-6123}"
# A port range: the JobManager and each TaskManager on this machine take the next free port.
FLINK_PROMETHEUS_PORTS="${FLINK_PROMETHEUS_PORTS:-9249-9259}"
FLINK_JM_MEMORY="${FLINK_JM_MEMORY:-1024m}"
FLINK_TM_MEMORY="${FLINK_TM_MEMORY:-2048m}"
FLINK_TM_SLOTS="${FLINK_TM_SLOTS:-2}"
JAVA="${JAVA:-java}"
MVN="${MVN:-mvn}"

KAFKA_DIR="$VIGIL_LOCAL_DIR/kafka"
# SASL mode: passwords and the client settings files (a private directory).
KAFKA_SASL_DIR="$KAFKA_DIR/sasl"
FLINK_DIR="$VIGIL_LOCAL_DIR/flink"
KAFKA_BOOTSTRAP="$KAFKA_HOST:$KAFKA_PORT"
FLINK_REST="http://$FLINK_HOST:$FLINK_REST_PORT"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed (needed by ${0##*/})"
  done
}

# True when something accepts TCP connections on host:port.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

pid_alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# The pid recorded in a pid file, if that process still runs.
running_pid() {
  local file="$1" pid
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  pid_alive "$pid" && echo "$pid"
}

# Writes the class path of a deploy/local Maven module to a file, once per pom change.
# Offline first (a populated local repository needs no network), then from Maven Central.
resolve_classpath() {
  local pom="$1" out="$2"; shift 2
  if [[ -s "$out" && "$out" -nt "$pom" && -z "${VIGIL_REFRESH_CLASSPATH:-}" ]]; then return 0; fi
  mkdir -p "$(dirname "$out")"
  log "resolving jars of ${pom#"$VIGIL_ROOT"/} (Maven)"
  if ! "$MVN" -o -B -q -f "$pom" "$@" dependency:build-classpath -Dmdep.includeScope=runtime \
      -Dmdep.outputFile="$out" >/dev/null 2>&1; then
    "$MVN" -B -q -f "$pom" "$@" dependency:build-classpath -Dmdep.includeScope=runtime \
      -Dmdep.outputFile="$out" >&2 || { rm -f "$out"; die "could not resolve the jars of $pom"; }
  fi
}

# Waits until host:port accepts connections while the process lives; on failure shows the log.
wait_for_port() {
  local what="$1" host="$2" port="$3" pid="$4" logfile="$5" timeout="${6:-60}" waited=0
  while ! port_open "$host" "$port"; do
    if ! pid_alive "$pid"; then
      tail -n 30 "$logfile" >&2 || true
      die "$what exited during start-up (log: $logfile)"
    fi
    if (( waited >= timeout * 5 )); then
      tail -n 30 "$logfile" >&2 || true
      die "$what did not open $host:$port within ${timeout}s (log: $logfile)"
    fi
    sleep 0.2; waited=$((waited + 1))
  done
}

# SIGTERM, then SIGKILL after a grace period; removes the pid file.
stop_pid_file() {
  local what="$1" file="$2" grace="${3:-30}" pid i
  if ! pid="$(running_pid "$file")"; then
    rm -f "$file"; log "$what is not running"; return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 5; i++)); do
    pid_alive "$pid" || break
    sleep 0.2
  done
  if pid_alive "$pid"; then
    log "$what (pid $pid) did not stop within ${grace}s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$file"
  log "$what stopped"
}

# A GET or a JSON POST/PATCH against the Flink REST API; fails with the server's answer.
flink_rest() {
  local method="$1" path="$2" body="${3:-}" out code
  out="$(mktemp)"
  if [[ -n "$body" ]]; then
    code="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' \
      --data "$body" "$FLINK_REST$path")" || { rm -f "$out"; die "Flink REST API not reachable at $FLINK_REST"; }
  else
    code="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "$FLINK_REST$path")" \
      || { rm -f "$out"; die "Flink REST API not reachable at $FLINK_REST"; }
  fi
  if [[ "$code" != 2* ]]; then
    cat "$out" >&2; echo >&2; rm -f "$out"
    die "$method $path answered HTTP $code"
  fi
  cat "$out"; rm -f "$out"
}
