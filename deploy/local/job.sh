#!/usr/bin/env bash
# Submits and manages the Vigil job on a Flink session cluster through its REST API
# (the local one of flink.sh by default; FLINK_REST_PORT / FLINK_HOST point elsewhere).
#
#   job.sh submit [--jar JAR] [--parallelism N] [--savepoint PATH] [--allow-non-restored] [--] JOB_ARGS...
#                                  upload the jar, run io.vigil.DetectionJob with JOB_ARGS; prints the job id
#   job.sh resume PATH [submit options] [--] JOB_ARGS...   the same, from a savepoint or retained checkpoint
#   job.sh cancel JOB_ID           cancel, without a savepoint
#   job.sh stop JOB_ID [DIR]       stop with a savepoint (into DIR, default the cluster's savepoint dir); prints its path
#   job.sh drain JOB_ID [DIR]      the same, after event time has been advanced to the end (MAX_WATERMARK), so every
#                                  pending window and timer fires first: for a job that is meant to end, not to resume
#   job.sh savepoint JOB_ID [DIR]  take a savepoint and keep running; prints its path
#   job.sh state JOB_ID            RUNNING, FINISHED, FAILED, ...
#   job.sh wait JOB_ID STATE [SECONDS]   until the job is in STATE (fails early if it ends in another)
#   job.sh checkpoints JOB_ID      how many checkpoints have completed
#   job.sh list                    jobs on the cluster
#
# Job arguments are passed as a JSON list (programArgsList), so values with spaces ('2 s') stay whole.
# Against a broker started with KAFKA_SASL=on (kafka.sh), add its client settings to the job arguments:
# --kafka.properties-file "$(deploy/local/kafka.sh client-config)". A run that the job's main method refuses
# (wrong or missing credentials, bad arguments) fails with the job's message; the stack trace is in the
# JobManager's log.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEFAULT_JAR="$VIGIL_ROOT/job/target/vigil-job-0.1.0-SNAPSHOT-flink.jar"
ENTRY_CLASS="${VIGIL_ENTRY_CLASS:-io.vigil.DetectionJob}"
require curl jq

upload() {
  local jar="$1" answer
  [[ -f "$jar" ]] || die "no job jar at $jar (make build)"
  answer="$(curl -sS --max-time 120 -X POST -H 'Expect:' -F "jarfile=@$jar" "$FLINK_REST/jars/upload")" \
    || die "could not upload $jar to $FLINK_REST"
  jq -er 'select(.status == "success") | .filename | split("/") | last' <<<"$answer" \
    || die "upload of $jar refused: $answer"
}

submit() {
  local jar="$DEFAULT_JAR" parallelism="" savepoint="" allow_non_restored=false
  while (($# > 0)); do
    case "$1" in
      --jar) jar="$2"; shift 2 ;;
      --parallelism) parallelism="$2"; shift 2 ;;
      --savepoint) savepoint="$2"; shift 2 ;;
      --allow-non-restored) allow_non_restored=true; shift ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  (($# > 0)) || die "no job arguments (the job's --help lists them: make job-help)"
  local jar_id body answer job_id
  jar_id="$(upload "$jar")"
  body="$(jq -n --arg entry "$ENTRY_CLASS" --arg parallelism "$parallelism" --arg savepoint "$savepoint" \
    --argjson allow "$allow_non_restored" '{entryClass: $entry, programArgsList: $ARGS.positional}
      + (if $parallelism != "" then {parallelism: ($parallelism | tonumber)} else {} end)
      + (if $savepoint != "" then {savepointPath: $savepoint, allowNonRestoredState: $allow} else {} end)' \
    --args -- "$@")"
  local refused
  refused="$(mktemp)"
  answer="$(flink_rest POST "/jars/$jar_id/run" "$body" 2>"$refused")" || true
  # The uploaded jar is only needed for the submission.
  curl -sS -o /dev/null -X DELETE "$FLINK_REST/jars/$jar_id" || true
  if [[ -z "$answer" ]]; then
    # The answer's errors hold stack traces: the job's own message is the cause that main() threw.
    local cause
    cause="$(head -n 1 "$refused" | jq -r '.errors[]?' 2>/dev/null \
      | sed -n 's/.*The main method caused an error: //p' | head -n 1)" || true
    if [[ -n "$cause" ]]; then
      rm -f "$refused"
      die "the job did not start: $cause"
    fi
    cat "$refused" >&2; rm -f "$refused"
    die "the job did not start"
  fi
  rm -f "$refused"
  job_id="$(jq -er '.jobid' <<<"$answer")" || die "no job id in the answer: $answer"
  log "submitted job $job_id${savepoint:+ from $savepoint}"
  echo "$job_id"
}

job_state() { flink_rest GET "/jobs/$1" | jq -r '.state'; }

wait_state() {
  local job="$1" want="$2" timeout="${3:-120}" state i
  for ((i = 0; i < timeout * 2; i++)); do
    state="$(job_state "$job")"
    [[ "$state" == "$want" ]] && return 0
    case "$state" in
      FINISHED|FAILED|CANCELED) die "job $job is $state, not $want" ;;
    esac
    sleep 0.5
  done
  die "job $job is still $state after ${timeout}s (wanted $want)"
}

# Polls an asynchronous savepoint operation until it completes; prints the savepoint's path.
await_savepoint() {
  local job="$1" trigger="$2" answer status i
  for ((i = 0; i < 600; i++)); do
    answer="$(flink_rest GET "/jobs/$job/savepoints/$trigger")"
    status="$(jq -r '.status.id' <<<"$answer")"
    if [[ "$status" == COMPLETED ]]; then
      if jq -e '.operation."failure-cause"' <<<"$answer" >/dev/null; then
        die "savepoint of job $job failed: $(jq -c '.operation."failure-cause"."stack-trace" // .operation."failure-cause"' <<<"$answer" | head -c 2000)"
      fi
      jq -r '.operation.location' <<<"$answer"
      return 0
    fi
    sleep 0.5
  done
  die "savepoint of job $job did not complete within 300 s"
}

savepoint_body() {
  local dir="${1:-}" drain="$2" key="$3"
  if [[ -n "$dir" ]]; then
    [[ "$dir" == *://* ]] || dir="file://$(mkdir -p "$dir" && cd "$dir" && pwd)"
    jq -n --arg dir "$dir" --arg key "$key" --argjson drain "$drain" '{($key): $dir} + (if $key == "targetDirectory" then {drain: $drain} else {"cancel-job": false} end)'
  else
    jq -n --arg key "$key" --argjson drain "$drain" 'if $key == "targetDirectory" then {drain: $drain} else {"cancel-job": false} end'
  fi
}

stop_with_savepoint() {
  local job="${1:?usage: job.sh stop|drain JOB_ID [DIR]}" drain="${3:-false}" trigger path
  trigger="$(flink_rest POST "/jobs/$job/stop" "$(savepoint_body "${2:-}" "$drain" targetDirectory)" | jq -er '."request-id"')"
  path="$(await_savepoint "$job" "$trigger")"
  wait_state "$job" FINISHED 120
  log "job $job stopped with savepoint $path"
  echo "$path"
}

take_savepoint() {
  local job="${1:?usage: job.sh savepoint JOB_ID [DIR]}" trigger path
  trigger="$(flink_rest POST "/jobs/$job/savepoints" "$(savepoint_body "${2:-}" false target-directory)" | jq -er '."request-id"')"
  path="$(await_savepoint "$job" "$trigger")"
  log "job $job: savepoint $path"
  echo "$path"
}

cancel() {
  local job="${1:?usage: job.sh cancel JOB_ID}" i state
  flink_rest PATCH "/jobs/$job?mode=cancel" >/dev/null
  for ((i = 0; i < 120; i++)); do
    state="$(job_state "$job")"
    [[ "$state" == CANCELED || "$state" == FAILED || "$state" == FINISHED ]] && break
    sleep 0.5
  done
  log "job $job is $state"
}

case "${1:-}" in
  submit) shift; submit "$@" ;;
  resume) shift; sp="${1:?usage: job.sh resume SAVEPOINT_PATH [--] JOB_ARGS...}"; shift; submit --savepoint "$sp" "$@" ;;
  cancel) cancel "${2:-}" ;;
  stop) stop_with_savepoint "${2:-}" "${3:-}" false ;;
  drain) stop_with_savepoint "${2:-}" "${3:-}" true ;;
  savepoint) take_savepoint "${2:-}" "${3:-}" ;;
  state) job_state "${2:?usage: job.sh state JOB_ID}" ;;
  wait) wait_state "${2:?usage: job.sh wait JOB_ID STATE [SECONDS]}" "${3:?}" "${4:-120}" ;;
  checkpoints) flink_rest GET "/jobs/${2:?usage: job.sh checkpoints JOB_ID}/checkpoints" | jq -r '.counts.completed' ;;
  list) flink_rest GET /jobs/overview | jq -r '.jobs[] | "\(.jid)  \(.state)  \(.name)"' ;;
  *) sed -n '2,/^set -euo/{/^#/p}' "$0"; exit 2 ;;
esac
