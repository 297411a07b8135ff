#!/usr/bin/env bash
# A real single-node Kafka broker (KRaft, combined broker and controller) from Maven Central jars,
# without Docker or a Kafka tarball.
#
#   kafka.sh start                      format the log directory once, start, wait until it serves
#   kafka.sh stop                       SIGTERM (clean shutdown), SIGKILL after 30 s
#   kafka.sh restart                    stop and start again, keeping the data
#   kafka.sh status
#   kafka.sh create-topics NAME[:PARTITIONS] ...   (default KAFKA_PARTITIONS=2; existing topics are kept)
#   kafka.sh topics                     list topics
#   kafka.sh clean                      stop and delete the broker's data
#
# Settings (environment): KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HOST (127.0.0.1),
# KAFKA_VERSION (4.3.1), KAFKA_HEAP (512m), VIGIL_LOCAL_DIR (build/local).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CLASSPATH_FILE="$VIGIL_CLASSPATH_DIR/kafka-$KAFKA_VERSION.txt"
CONFIG="$KAFKA_DIR/server.properties"
DATA="$KAFKA_DIR/data"
PID_FILE="$KAFKA_DIR/kafka.pid"
LOG_FILE="$KAFKA_DIR/kafka.log"

classpath() {
  resolve_classpath "$LOCAL_SCRIPTS/kafka/pom.xml" "$CLASSPATH_FILE" -Dkafka.version="$KAFKA_VERSION"
  cat "$CLASSPATH_FILE"
}

write_config() {
  mkdir -p "$KAFKA_DIR" "$DATA"
  cat >"$CONFIG" <<EOF
# Written by deploy/local/kafka.sh: one node that is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
num.partitions=$KAFKA_PARTITIONS
# One node: every internal topic has a single replica, or transactions and groups never start.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Consumers join at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0
# The job's exactly-once sink uses a 10 min transaction timeout; it must stay below this (15 min).
transaction.max.timeout.ms=900000
EOF
}

start() {
  local pid cp
  if pid="$(running_pid "$PID_FILE")"; then
    log "Kafka already runs (pid $pid) on $KAFKA_BOOTSTRAP"; return 0
  fi
  require "$JAVA"
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    die "port $KAFKA_HOST:$KAFKA_PORT is taken by another process; set KAFKA_PORT"
  fi
  cp="$(classpath)"
  write_config
  if [[ ! -f "$DATA/meta.properties" ]]; then
    local cluster_id
    cluster_id="$("$JAVA" -cp "$cp" -Dlog4j2.configurationFile="file:$LOCAL_SCRIPTS/conf/log4j2-tools.properties" \
      kafka.tools.StorageTool random-uuid)"
    "$JAVA" -cp "$cp" -Dlog4j2.configurationFile="file:$LOCAL_SCRIPTS/conf/log4j2-tools.properties" \
      kafka.tools.StorageTool format --standalone --ignore-formatted -t "$cluster_id" -c "$CONFIG" >/dev/null \
      || die "could not format $DATA"
  fi
  log "starting Kafka $KAFKA_VERSION on $KAFKA_BOOTSTRAP (log: $LOG_FILE)"
  nohup "$JAVA" "-Xmx$KAFKA_HEAP" "-Xms$KAFKA_HEAP" -cp "$cp" \
    -Dkafka.log.file="$LOG_FILE" -Dlog4j2.configurationFile="file:$LOCAL_SCRIPTS/conf/log4j2-kafka.properties" \
    kafka.Kafka "$CONFIG" </dev/null >>"$KAFKA_DIR/kafka.out" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
  wait_for_port "Kafka" "$KAFKA_HOST" "$KAFKA_PORT" "$pid" "$LOG_FILE" 90
  # The port opens before the broker has caught up with the metadata log: wait for the line.
  local i
  for ((i = 0; i < 300; i++)); do
    grep -q "Kafka Server started" "$LOG_FILE" 2>/dev/null && break
    pid_alive "$pid" || die "Kafka exited during start-up (log: $LOG_FILE)"
    sleep 0.2
  done
  log "Kafka is up (pid $pid)"
}

stop() { stop_pid_file "Kafka" "$PID_FILE" 30; }

kafka_tool() {
  local cp
  cp="$(classpath)"
  "$JAVA" -cp "$cp" -Dlog4j2.configurationFile="file:$LOCAL_SCRIPTS/conf/log4j2-tools.properties" "$@"
}

create_topics() {
  (($# > 0)) || die "usage: kafka.sh create-topics NAME[:PARTITIONS] ..."
  port_open "$KAFKA_HOST" "$KAFKA_PORT" || die "no Kafka broker on $KAFKA_BOOTSTRAP (kafka.sh start)"
  local spec
  for spec in "$@"; do
    [[ "$spec" =~ ^[A-Za-z0-9._-]+(:[1-9][0-9]*)?$ ]] || die "bad topic '$spec' (NAME[:PARTITIONS], PARTITIONS >= 1)"
  done
  local out
  out="$(kafka_tool "$LOCAL_SCRIPTS/kafka/CreateTopics.java" "$KAFKA_BOOTSTRAP" "$KAFKA_PARTITIONS" "$@")" \
    || { [[ -n "$out" ]] && echo "$out" >&2; die "topic creation failed"; }
  log "${out//$'\n'/, }"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status)
    if pid="$(running_pid "$PID_FILE")"; then echo "Kafka runs (pid $pid) on $KAFKA_BOOTSTRAP"; else echo "Kafka is not running"; exit 1; fi ;;
  create-topics) shift; create_topics "$@" ;;
  topics) kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --list ;;
  clean) stop; rm -rf "$DATA" "$CONFIG"; log "Kafka data deleted" ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac
