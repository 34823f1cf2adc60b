#!/usr/bin/env bash
# The real Apache Kafka broker without Docker: jars from Maven Central (kafka/pom.xml) into
# .cache/kafka/libs, storage formatted once under .data/kafka, one KRaft broker+controller on
# 127.0.0.1:9092 (KSD_KAFKA_PORT; its controller on KSD_KAFKA_CONTROLLER_PORT, 9093) under Java 17.
# Clients authenticate with SASL/SCRAM-SHA-512 as the users of `python -m ksd_common.access
# kafka-users`, added when the storage is formatted; a storage formatted before SASL is migrated on
# its next start (the users added through a broker started once more without authentication).
#
# KSD_KAFKA_NODES=3: a cluster of three nodes, each a broker and a controller (a three-voter
# quorum), node n on KSD_KAFKA_PORT+2(n-1) with its controller on KSD_KAFKA_CONTROLLER_PORT+2(n-1)
# (9092/9093, 9094/9095, 9096/9097), its storage in <data>/node<n>, 512 MiB of heap each; the
# internal topics and the broker's defaults keep 3 copies with min.insync.replicas=2
# (ksd_common.topics.durability). `bootstrap` prints the clients' KSD_KAFKA_BOOTSTRAP.
# KSD_KAFKA_JAVA_OPTS: more options for the broker's JVM (the chaos tests' short-lived brokers run
# with C1 alone, -XX:TieredStopAtLevel=1: C2's compiles would cost more CPU than they pay back).
# Usage: kafka.sh install|start [n]|stop [n]|kill n|wait|status|bootstrap   (n: one node of a cluster;
# `kill` is SIGKILL, for the tests of a broker lost)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/deploy/local/kafka"
libs="$root/.cache/kafka/libs"
base_data=${KSD_KAFKA_DATA:-$root/.data/kafka}  # another folder: a second broker (or cluster) beside this one
base_port=${KSD_KAFKA_PORT:-9092}
base_controller_port=${KSD_KAFKA_CONTROLLER_PORT:-9093}
# A folder that holds a cluster (node1, node2, ...) is that cluster's, even when KSD_KAFKA_NODES is not set.
formatted_nodes() { local n=0 d; for d in "$base_data"/node[0-9]*; do [ -d "$d" ] && n=$((n + 1)); done; echo $((n > 0 ? n : 1)); }
nodes=${KSD_KAFKA_NODES:-$(formatted_nodes)}
python="$root/.venv/bin/python"
cluster_id=ksd-local-kraft-cluster1   # fixed: the data folder is this machine's only cluster
heap=-Xmx1g
[ "$nodes" -gt 1 ] && heap=-Xmx512m  # three JVMs on a small machine

# Node n's folder, ports, pid file and options (a single broker keeps the folder it always had).
node() {
  node_id=$1
  if [ "$nodes" -gt 1 ]; then data="$base_data/node$node_id"; else data="$base_data"; fi
  port=$((base_port + 2 * (node_id - 1)))
  controller_port=$((base_controller_port + 2 * (node_id - 1)))
  pidfile="$data/kafka.pid"
  sasl_marker="$data/log/.ksd-sasl"  # written once the storage knows the platform's SCRAM users
  name="kafka node $node_id"
  [ "$nodes" -gt 1 ] || name=kafka
  local extra; read -ra extra <<<"${KSD_KAFKA_JAVA_OPTS:-}"
  java_opts=(-Xms256m "$heap" -XX:+UseG1GC -Djava.awt.headless=true "${extra[@]}"
    -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$data/logs" -cp "$libs/*")
}
node 1

install() {
  if [ ! -f "$libs/.complete" ] || [ "$here/pom.xml" -nt "$libs/.complete" ]; then
    command -v java >/dev/null || { echo "kafka.sh: Java 17 is needed (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
    command -v mvn >/dev/null || { apt-get update -qq && apt-get install -y -qq maven >/dev/null; }
    rm -rf "$libs"
    mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs"
    touch "$libs/.complete"
  fi
}

# shellcheck source=process.sh
. "$(dirname "$0")/process.sh"
answering() { (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; }

users() { "$python" -m ksd_common.access kafka-users; }  # "<name> <password>" lines
setup_password() { users | awk '$1 == "ksd_setup" {print $2}'; }

# The broker's configuration: the platform's (server.properties), its ports and folder, and the
# setup user's own credentials (the broker and its controller talk as that user). Written to stdout.
configuration() {
  local secret; secret=$(setup_password)
  { cat "$here/server.properties"
    echo "listeners=SASL_PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port"
    echo "advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$port"
    echo "node.id=$node_id"
    echo "controller.quorum.voters=$(voters)"
    echo "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"ksd_setup\" password=\"$secret\" user_ksd_setup=\"$secret\";"
    echo "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"ksd_setup\" password=\"$secret\";"
    echo "log.dirs=$data/log"
    copies
  }
}

configure() { (umask 077; configuration >"$data/server.properties"); }

voters() {
  local n list=()
  for n in $(seq 1 "$nodes"); do list+=("$n@127.0.0.1:$((base_controller_port + 2 * (n - 1)))"); done
  (IFS=,; echo "${list[*]}")
}

# A cluster's copies of the internal topics and the broker's defaults, as the platform's topics
# have them (ksd_common.topics.durability); a single broker keeps server.properties' ones.
copies() {
  [ "$nodes" -gt 1 ] || return 0
  local replication min_insync
  read -r replication min_insync < <("$python" -c \
    "import sys; from ksd_common.topics import durability; print(*durability(int(sys.argv[1])))" "$nodes")
  echo "initial.broker.registration.timeout.ms=300000"  # the other nodes may start slowly on a busy machine
  echo "default.replication.factor=$replication"
  echo "min.insync.replicas=$min_insync"
  echo "offsets.topic.replication.factor=$replication"
  echo "transaction.state.log.replication.factor=$replication"
  echo "transaction.state.log.min.isr=$min_insync"
  echo "share.coordinator.state.topic.replication.factor=$replication"
  echo "share.coordinator.state.topic.min.isr=$min_insync"
  # A node that stops heartbeating is fenced after 4 s (Kafka's default 9 s), and with it leaves
  # the in-sync copies, so the partitions it led get new leaders and acks=all writes go on.
  echo "broker.heartbeat.interval.ms=1000"
  echo "broker.session.timeout.ms=4000"
}

# A storage formatted before SASL (no marker) keeps its topics: the broker runs once as it used
# to, without authentication, while kafka-configs adds the SCRAM users; then it stops.
migrate_to_sasl() {
  echo "kafka: adding the SCRAM users to a storage formatted before SASL (once)"
  grep -v -e '^listener.security.protocol.map' -e '^inter.broker.listener.name' -e '^sasl\.' -e '^listener.name' \
    -e '^authorizer' -e '^allow.everyone' -e '^super.users' -e '^listeners' -e '^advertised.listeners' \
    "$data/server.properties" >"$data/plaintext.properties"
  { echo "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port"
    echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port"
    echo "inter.broker.listener.name=PLAINTEXT"
    echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"; } >>"$data/plaintext.properties"
  log_mark=$(stat -c %s "$data/logs/server.log" 2>/dev/null || echo 0)
  nohup java "${java_opts[@]}" kafka.Kafka "$data/plaintext.properties" >"$data/logs/stdout.log" 2>&1 &
  echo $! >"$pidfile"
  wait_ready
  while read -r user password; do
    java "${java_opts[@]}" kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$port" --alter \
      --entity-type users --entity-name "$user" --add-config "SCRAM-SHA-512=[password=$password]" >>"$data/logs/format.log"
  done < <(users)
  stop
  rm -f "$data/plaintext.properties"
  : >"$data/logs/server.log"  # wait_ready looks for this start's "started" line
  touch "$sasl_marker"
}

# The current node's configuration, and its storage formatted the first time.
prepare() {
  install
  mkdir -p "$data/logs"
  configure
  if [ ! -f "$data/log/meta.properties" ]; then
    local scram=()
    while read -r user password; do scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$password]"); done < <(users)
    java "${java_opts[@]}" kafka.tools.StorageTool format --cluster-id "$cluster_id" \
      --config "$data/server.properties" --ignore-formatted "${scram[@]}" >"$data/logs/format.log"
    touch "$sasl_marker"
  elif [ ! -f "$sasl_marker" ]; then
    migrate_to_sasl
  fi
}

# Start the current node's process without waiting for it: a cluster's nodes wait for each other's quorum.
launch() {
  log_mark=$(stat -c %s "$data/logs/server.log" 2>/dev/null || echo 0)  # this start's lines come after
  nohup java "${java_opts[@]}" kafka.Kafka "$data/server.properties" >"$data/logs/stdout.log" 2>&1 &
  echo $! >"$pidfile"
}

# Every node (or only node $1): all prepared first (a format takes a JVM's start), then all
# launched, then each waited for.
start() {
  local n todo=() marks=()
  for n in ${1:-$(seq 1 "$nodes")}; do
    node "$n"
    if running && ! configuration | cmp -s - "$data/server.properties"; then
      # A broker this script started runs an older configuration (a setting the services rely on
      # changed, e.g. group.min.session.timeout.ms): it is started again with the new one.
      echo "$name: its configuration changed; restarting"; stop
    fi
    if running || answering; then echo "$name: already running on 127.0.0.1:$port"; else prepare; todo+=("$n"); fi
  done
  for n in "${todo[@]}"; do node "$n"; launch; marks+=("$log_mark"); done
  for i in "${!todo[@]}"; do node "${todo[$i]}"; log_mark=${marks[$i]}; wait_ready; done
}

# Stop every node (or only node $1); `signal` KILL: at once, as a lost machine.
halt() {
  local n
  for n in ${1:-$(seq "$nodes" -1 1)}; do
    node "$n"
    if [ "${signal:-TERM}" = KILL ]; then
      running && kill -9 "$(cat "$pidfile")" && echo "$name: killed"
      rm -f "$pidfile"
    else
      stop
    fi
  done
}

log_mark=0
wait_seconds=${KSD_KAFKA_WAIT_SECONDS:-60}
[ "$nodes" -gt 1 ] && wait_seconds=${KSD_KAFKA_WAIT_SECONDS:-300}  # a quorum of three JVMs on a busy machine
wait_ready() {
  for _ in $(seq 1 $((wait_seconds * 2))); do
    if answering && tail -c +$((log_mark + 1)) "$data/logs/server.log" 2>/dev/null | grep -q "Kafka Server started"; then
      echo "$name: ready on 127.0.0.1:$port"; return 0
    fi
    if [ -f "$pidfile" ] && ! running; then
      echo "$name: the broker exited; see $data/logs" >&2; tail -20 "$data/logs/stdout.log" >&2; exit 1
    fi
    sleep 0.5
  done
  # A broker we did not start (e.g. from docker compose) has no log here: the port is the test.
  answering && { echo "$name: answering on 127.0.0.1:$port"; return 0; }
  echo "$name: not ready after $wait_seconds s" >&2; exit 1
}

bootstrap() {
  local n list=()
  for n in $(seq 1 "$nodes"); do list+=("127.0.0.1:$((base_port + 2 * (n - 1)))"); done
  (IFS=,; echo "${list[*]}")
}

status() {
  local n down=0
  for n in $(seq 1 "$nodes"); do
    node "$n"
    if running || answering; then echo "$name: running on 127.0.0.1:$port"; else echo "$name: stopped"; down=1; fi
  done
  return $down
}

case "${1:-}" in
  install) install ;;
  start) start "${2:-}" ;;
  stop) halt "${2:-}" ;;
  kill) [ -n "${2:-}" ] || { echo "usage: $0 kill <node>" >&2; exit 2; }; signal=KILL halt "$2" ;;
  wait) for n in $(seq 1 "$nodes"); do node "$n"; wait_ready; done ;;
  status) status ;;
  bootstrap) bootstrap ;;
  *) echo "usage: $0 install|start [node]|stop [node]|kill <node>|wait|status|bootstrap" >&2; exit 2 ;;
esac
