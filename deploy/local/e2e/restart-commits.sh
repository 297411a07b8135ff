#!/usr/bin/env bash
# Does a transaction committed while the only broker restarts become visible? A measurement of Kafka's behaviour
# behind the job's pooled transactional ids (docs/deploy.md, "Exactly-once output and broker restarts").
#
#   restart-commits.sh [RESTARTS] [IDS]     (defaults: 6 restarts, 0 ids)
#
# For each restart: eight single-partition topics, one producer each committing small transactions for 20 s
# (CommitsThroughRestart.java; IDS=0 a new transactional id per transaction, as the connector's INCREMENTING
# naming, IDS=n n pooled ids, as its POOLING), the broker restarted (kafka.sh restart) after 6 s. Then each
# topic is read with read_committed: records of a committed transaction that are not there are stranded.
# The count of skipped markers (from the broker's log) includes markers resent after the restart that had
# been written before it; those skips strand nothing. The logs of the partitions show which were repaired.
# Its own broker, directory (build/restart-commits) and ports (29392, 29393); about 30 s a restart.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOCAL="$(dirname "$HERE")"
ROOT="$(cd "$LOCAL/../.." && pwd)"
RESTARTS="${1:-6}" IDS="${2:-0}"
export VIGIL_LOCAL_DIR="$ROOT/build/restart-commits" KAFKA_PORT=29392 KAFKA_CONTROLLER_PORT=29393
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
source "$LOCAL/common.sh"
command -v kcat >/dev/null || die "kcat is needed (apt-get install kcat)"

"$LOCAL/kafka.sh" stop >/dev/null 2>&1 || true
rm -rf "$VIGIL_LOCAL_DIR"
trap '"$LOCAL/kafka.sh" stop >/dev/null 2>&1 || true' EXIT
"$LOCAL/kafka.sh" start >&2
CLASSPATH_FILE="$VIGIL_CLASSPATH_DIR/kafka-$KAFKA_VERSION.txt"
log4j="-Dlog4j2.configurationFile=file:$LOCAL/conf/log4j2-tools.properties"

stranded_restarts=0
for ((r = 1; r <= RESTARTS; r++)); do
  topics=()
  for p in 1 2 3 4 5 6 7 8; do topics+=("r$r-p$p"); done
  "$LOCAL/kafka.sh" create-topics "${topics[@]/%/:1}" >/dev/null 2>&1
  "$JAVA" -cp "$(cat "$CLASSPATH_FILE")" "$log4j" "$LOCAL/kafka/CommitsThroughRestart.java" \
    "$BOOTSTRAP" 20 "$IDS" "${topics[@]}" >"$VIGIL_LOCAL_DIR/committed-$r.txt" 2>"$VIGIL_LOCAL_DIR/producers-$r.log" &
  producers=$!
  sleep 6
  "$LOCAL/kafka.sh" restart >/dev/null 2>&1
  wait "$producers"
  committed=0 stranded=0 topics_stranded=0
  while read -r topic records; do
    visible="$(kcat -b "$BOOTSTRAP" -C -t "$topic" -o beginning -e -q -X isolation.level=read_committed -f '.\n' | wc -l)"
    committed=$((committed + records))
    if ((visible < records)); then stranded=$((stranded + records - visible)); topics_stranded=$((topics_stranded + 1)); fi
  done <"$VIGIL_LOCAL_DIR/committed-$r.txt"
  ((stranded == 0)) || stranded_restarts=$((stranded_restarts + 1))
  echo "restart $r: $committed records committed, $stranded of them not visible to read_committed ($topics_stranded topics)"
done
"$LOCAL/kafka.sh" stop >/dev/null 2>&1
skipped="$(grep -c "Couldn't find leader endpoint" "$VIGIL_LOCAL_DIR/kafka/kafka.log" || true)"
# A transaction that lost its markers and was committed by a later one under its id: in the partition's log,
# the same producer writes at a new epoch before any marker closed its transaction at the old one.
logs="$(printf '%s/00000000000000000000.log\n' "$VIGIL_LOCAL_DIR"/kafka/data/r*-p*-0 | paste -sd,)"
repaired="$("$JAVA" -cp "$(cat "$CLASSPATH_FILE")" "$log4j" org.apache.kafka.tools.DumpLogSegments --files "$logs" \
  2>/dev/null | awk '
  /^Dumping/ { delete open }
  /^baseOffset/ {
    for (i = 1; i < NF; i++) { if ($i == "producerId:") pid = $(i + 1); if ($i == "producerEpoch:") epoch = $(i + 1);
                               if ($i == "isControl:") control = $(i + 1) }
    if (control == "true") { delete open[pid]; next }
    if ((pid in open) && open[pid] != epoch) { repaired++; delete open[pid] }
    if (!(pid in open)) open[pid] = epoch
  }
  END { print repaired + 0 }')"
echo "ids $IDS: records stranded after $stranded_restarts of $RESTARTS restarts; the coordinator skipped" \
  "markers $skipped times; $repaired transactions without markers were committed by a later one under their id"
