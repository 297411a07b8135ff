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
#   kafka.sh client-config [java|kcat|admin]
#                                       SASL mode: the path of KAFKA_SASL_USER's client settings for Java clients
#                                       (the job's --kafka.properties-file; the default) or for kcat -F, or of the
#                                       admin user's; fails if the broker was started without SASL
#   kafka.sh clean                      stop and delete the broker's data and its SASL passwords
#
# Settings (environment): KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HOST (127.0.0.1),
# KAFKA_VERSION (4.3.1), KAFKA_HEAP (512m), VIGIL_LOCAL_DIR (build/local).
#
# SASL mode (KAFKA_SASL=on at start): the client listener takes SASL_PLAINTEXT only, with the PLAIN and
# SCRAM-SHA-256 mechanisms; the broker's own connections log in to it with PLAIN as user 'admin' (the
# controller listener stays PLAINTEXT on loopback). KAFKA_SASL_USER (vigil) is both a PLAIN and a
# SCRAM-SHA-256 user, with the password KAFKA_SASL_PASSWORD or else one generated on the first start.
# Passwords and client settings are kept in $VIGIL_LOCAL_DIR/kafka/sasl, readable by its owner only:
# client.properties holds no secret (security.protocol, sasl.mechanism KAFKA_SASL_MECHANISM: SCRAM-SHA-256 or
# PLAIN, and a ${file:...} reference to client-secrets.properties, chmod 600, which holds the JAAS text);
# kcat.conf (chmod 600, the password in it) is for kcat -F, with PLAIN: librdkafka before 2.6.1 (kcat 1.7 of
# Debian 12 has 2.0) cannot log in with SCRAM to Kafka 4. create-topics and topics log in as 'admin' themselves.
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

# KAFKA_SASL: on or off.
sasl_on() {
  case "$KAFKA_SASL" in
    on|true|yes|1) return 0 ;;
    off|false|no|0|"") return 1 ;;
    *) die "KAFKA_SASL=$KAFKA_SASL: on or off" ;;
  esac
}

# Whether the broker's configuration (that of its last start) has the SASL listener.
broker_sasl() { [[ -f "$CONFIG" ]] && grep -q '^sasl.enabled.mechanisms=' "$CONFIG"; }

# An empty file that only its owner can read, to write a secret into.
private_file() { (umask 077 && : >"$1") && chmod 600 "$1"; }

# A password kept in a private file: the given one, else the one kept there by an earlier start, else a new one.
sasl_password() {
  local file="$1" given="${2:-}" password bad='["\\[:space:]]'
  if [[ -n "$given" ]]; then
    password="$given"
  elif [[ -s "$file" ]]; then
    password="$(<"$file")"
  else
    password="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
  fi
  # It goes between double quotes into JAAS text, and into properties files.
  [[ ! "$password" =~ $bad ]] || die "a SASL password must not hold quotes, backslashes or white space"
  if [[ ! -f "$file" || "$(<"$file")" != "$password" ]]; then
    private_file "$file"
    printf '%s\n' "$password" >"$file"
  fi
  echo "$password"
}

# NAME.properties (client settings without the secret) and NAME-secrets.properties (chmod 600: the JAAS text).
write_client_config() {
  local name="$1" user="$2" password="$3" mechanism="$4" module secrets="$KAFKA_SASL_DIR/$1-secrets.properties"
  case "$mechanism" in
    PLAIN) module=org.apache.kafka.common.security.plain.PlainLoginModule ;;
    SCRAM-SHA-256) module=org.apache.kafka.common.security.scram.ScramLoginModule ;;
    *) die "KAFKA_SASL_MECHANISM=$mechanism: SCRAM-SHA-256 or PLAIN" ;;
  esac
  private_file "$secrets"
  cat >"$secrets" <<EOF
# Written by deploy/local/kafka.sh: the secret that $name.properties refers to. Keep it private (chmod 600).
sasl.jaas.config=$module required username="$user" password="$password";
EOF
  cat >"$KAFKA_SASL_DIR/$name.properties" <<EOF
# Written by deploy/local/kafka.sh: Kafka client settings for the SASL listener on $KAFKA_BOOTSTRAP, as user
# '$user'. No secret here: each Kafka client reads sasl.jaas.config from the file of the reference when it starts.
security.protocol=SASL_PLAINTEXT
sasl.mechanism=$mechanism
config.providers=file
config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
sasl.jaas.config=\${file:$secrets:sasl.jaas.config}
EOF
}

# SASL mode: the passwords, the broker's JAAS settings (appended to server.properties) and the clients' settings.
write_sasl() {
  local admin_password user_password
  [[ "$KAFKA_SASL_USER" =~ ^[A-Za-z0-9._-]+$ ]] || die "KAFKA_SASL_USER=$KAFKA_SASL_USER: letters, digits, '.', '_' and '-'"
  [[ "$KAFKA_SASL_USER" != admin ]] || die "KAFKA_SASL_USER: 'admin' is the broker's own user; choose another name"
  mkdir -p "$KAFKA_SASL_DIR"
  chmod 700 "$KAFKA_SASL_DIR"
  admin_password="$(sasl_password "$KAFKA_SASL_DIR/admin.password")"
  user_password="$(sasl_password "$KAFKA_SASL_DIR/client.password" "${KAFKA_SASL_PASSWORD:-}")"
  cat >>"$CONFIG" <<EOF
# SASL mode. PLAIN users, the broker's own ('admin') and '$KAFKA_SASL_USER', are listed in the JAAS text;
# SCRAM users are cluster metadata (kafka.sh sets '$KAFKA_SASL_USER' at every start).
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256
sasl.mechanism.inter.broker.protocol=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$admin_password" user_admin="$admin_password" user_$KAFKA_SASL_USER="$user_password";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
  write_client_config client "$KAFKA_SASL_USER" "$user_password" "$KAFKA_SASL_MECHANISM"
  write_client_config admin admin "$admin_password" PLAIN
  private_file "$KAFKA_SASL_DIR/kcat.conf"
  cat >"$KAFKA_SASL_DIR/kcat.conf" <<EOF
# Written by deploy/local/kafka.sh: kcat -F settings (librdkafka's names) for the SASL listener on
# $KAFKA_BOOTSTRAP, as user '$KAFKA_SASL_USER'. Holds the password: keep it private (chmod 600).
# PLAIN: librdkafka before 2.6.1 sends a SCRAM proof that Kafka 4 brokers refuse (librdkafka issue 4895).
security.protocol=SASL_PLAINTEXT
sasl.mechanisms=PLAIN
sasl.username=$KAFKA_SASL_USER
sasl.password=$user_password
EOF
}

write_config() {
  local listener=PLAINTEXT
  if sasl_on; then listener=SASL_PLAINTEXT; fi
  mkdir -p "$KAFKA_DIR" "$DATA"
  # In SASL mode it holds the PLAIN users' passwords.
  if sasl_on; then private_file "$CONFIG"; fi
  cat >"$CONFIG" <<EOF
# Written by deploy/local/kafka.sh: one node that is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=$listener://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=$listener://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=$listener
listener.security.protocol.map=$listener:$listener,CONTROLLER:PLAINTEXT
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
  if sasl_on; then write_sasl; fi
}

start() {
  local pid cp
  if pid="$(running_pid "$PID_FILE")"; then
    log "Kafka already runs (pid $pid) on $KAFKA_BOOTSTRAP$(broker_sasl && echo ' (SASL)')"
    if sasl_on && ! broker_sasl; then log "it runs without SASL: kafka.sh restart with KAFKA_SASL=on switches"; fi
    return 0
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
  grep -q "Kafka Server started" "$LOG_FILE" 2>/dev/null \
    || die "Kafka opened its port but did not finish starting within 60 s (log: $LOG_FILE)"
  log "Kafka is up (pid $pid)"
  if sasl_on; then
    # SCRAM credentials are cluster metadata: set at every start, they always match the kept password.
    kafka_tool "$LOCAL_SCRIPTS/kafka/ScramUser.java" "$KAFKA_SASL_DIR/admin.properties" "$KAFKA_BOOTSTRAP" \
      "$KAFKA_SASL_USER" "$KAFKA_SASL_DIR/client.password" >/dev/null || die "could not set the SCRAM user $KAFKA_SASL_USER"
    log "SASL_PLAINTEXT on $KAFKA_BOOTSTRAP, user '$KAFKA_SASL_USER' (PLAIN, SCRAM-SHA-256); its client settings" \
      "($KAFKA_SASL_MECHANISM): $KAFKA_SASL_DIR/client.properties, for kcat -F (PLAIN): $KAFKA_SASL_DIR/kcat.conf"
  fi
}

stop() { stop_pid_file "Kafka" "$PID_FILE" 30; }

kafka_tool() {
  local cp
  cp="$(classpath)"
  "$JAVA" -cp "$cp" -Dlog4j2.configurationFile="file:$LOCAL_SCRIPTS/conf/log4j2-tools.properties" "$@"
}

# The admin user's client settings for the tools, when the broker is in SASL mode: --command-config FILE.
admin_config() {
  ADMIN_CONFIG=()
  if broker_sasl; then
    [[ -f "$KAFKA_SASL_DIR/admin.properties" ]] || die "no $KAFKA_SASL_DIR/admin.properties (kafka.sh start writes it)"
    ADMIN_CONFIG=(--command-config "$KAFKA_SASL_DIR/admin.properties")
  fi
}

create_topics() {
  (($# > 0)) || die "usage: kafka.sh create-topics NAME[:PARTITIONS] ..."
  port_open "$KAFKA_HOST" "$KAFKA_PORT" || die "no Kafka broker on $KAFKA_BOOTSTRAP (kafka.sh start)"
  local spec
  for spec in "$@"; do
    [[ "$spec" =~ ^[A-Za-z0-9._-]+(:[1-9][0-9]*)?$ ]] || die "bad topic '$spec' (NAME[:PARTITIONS], PARTITIONS >= 1)"
  done
  local out
  admin_config
  out="$(kafka_tool "$LOCAL_SCRIPTS/kafka/CreateTopics.java" "${ADMIN_CONFIG[@]}" "$KAFKA_BOOTSTRAP" "$KAFKA_PARTITIONS" "$@")" \
    || { [[ -n "$out" ]] && echo "$out" >&2; die "topic creation failed"; }
  log "${out//$'\n'/, }"
}

list_topics() {
  admin_config
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --list "${ADMIN_CONFIG[@]}"
}

client_config() {
  local file
  case "${1:-java}" in
    java) file=client.properties ;;
    kcat) file=kcat.conf ;;
    admin) file=admin.properties ;;
    *) die "usage: kafka.sh client-config [java|kcat|admin]" ;;
  esac
  broker_sasl || die "the broker of $KAFKA_DIR was not started with KAFKA_SASL=on: its clients need no settings"
  [[ -f "$KAFKA_SASL_DIR/$file" ]] || die "no $KAFKA_SASL_DIR/$file (kafka.sh start with KAFKA_SASL=on writes it)"
  echo "$KAFKA_SASL_DIR/$file"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status)
    if pid="$(running_pid "$PID_FILE")"; then
      echo "Kafka runs (pid $pid) on $KAFKA_BOOTSTRAP$(broker_sasl && echo ' (SASL)')"
    else
      echo "Kafka is not running"; exit 1
    fi ;;
  create-topics) shift; create_topics "$@" ;;
  topics) list_topics ;;
  client-config) client_config "${2:-}" ;;
  clean) stop; rm -rf "$DATA" "$CONFIG" "$KAFKA_SASL_DIR"; log "Kafka data deleted" ;;
  *) sed -n '2,/^set -euo/{/^#/p}' "$0"; exit 2 ;;
esac
