#!/usr/bin/env bash
# The real Apache Kafka broker without Docker: jars from Maven Central (kafka/pom.xml) into
# .cache/kafka/libs, storage formatted once under .data/kafka, one KRaft broker+controller on
# 127.0.0.1:9092 (KSD_KAFKA_PORT; its controller on KSD_KAFKA_CONTROLLER_PORT, 9093) under Java 17.
# Clients authenticate with SASL/SCRAM-SHA-512 as the users of `python -m ksd_common.access
# kafka-users`, added when the storage is formatted; a storage formatted before SASL is migrated on
# its next start (the users added through a broker started once more without authentication).
# Usage: kafka.sh install|start|stop|wait|status
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/deploy/local/kafka"
libs="$root/.cache/kafka/libs"
data=${KSD_KAFKA_DATA:-$root/.data/kafka}  # another folder: a second broker beside this one
pidfile="$data/kafka.pid"
port=${KSD_KAFKA_PORT:-9092}
controller_port=${KSD_KAFKA_CONTROLLER_PORT:-9093}
python="$root/.venv/bin/python"
sasl_marker="$data/log/.ksd-sasl"  # written once the storage knows the platform's SCRAM users
cluster_id=ksd-local-kraft-cluster1   # fixed: the data folder is this machine's only cluster

java_opts=(-Xms512m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$data/logs" -cp "$libs/*")

install() {
  if [ ! -f "$libs/.complete" ] || [ "$here/pom.xml" -nt "$libs/.complete" ]; then
    command -v java >/dev/null || { echo "kafka.sh: Java 17 is needed (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
    command -v mvn >/dev/null || { apt-get update -qq && apt-get install -y -qq maven >/dev/null; }
    rm -rf "$libs"
    mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs"
    touch "$libs/.complete"
  fi
}

name=kafka
# shellcheck source=process.sh
. "$(dirname "$0")/process.sh"
answering() { (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; }

users() { "$python" -m ksd_common.access kafka-users; }  # "<name> <password>" lines
setup_password() { users | awk '$1 == "ksd_setup" {print $2}'; }

# The broker's configuration: the platform's (server.properties), its ports and folder, and the
# setup user's own credentials (the broker and its controller talk as that user).
configure() {
  local secret; secret=$(setup_password)
  { cat "$here/server.properties"
    echo "listeners=SASL_PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port"
    echo "advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$port"
    echo "controller.quorum.voters=1@127.0.0.1:$controller_port"
    echo "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"ksd_setup\" password=\"$secret\" user_ksd_setup=\"$secret\";"
    echo "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"ksd_setup\" password=\"$secret\";"
    echo "log.dirs=$data/log"
  } >"$data/server.properties"
  chmod 600 "$data/server.properties"
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

start() {
  if running || answering; then echo "kafka: already running on 127.0.0.1:$port"; return 0; fi
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
  nohup java "${java_opts[@]}" kafka.Kafka "$data/server.properties" >"$data/logs/stdout.log" 2>&1 &
  echo $! >"$pidfile"
  wait_ready
}

wait_ready() {
  for _ in $(seq 1 120); do
    if answering && grep -q "Kafka Server started" "$data/logs/server.log" 2>/dev/null; then
      echo "kafka: ready on 127.0.0.1:$port"; return 0
    fi
    if [ -f "$pidfile" ] && ! running; then
      echo "kafka: the broker exited; see $data/logs" >&2; tail -20 "$data/logs/stdout.log" >&2; exit 1
    fi
    sleep 0.5
  done
  # A broker we did not start (e.g. from docker compose) has no log here: the port is the test.
  answering && { echo "kafka: answering on 127.0.0.1:$port"; return 0; }
  echo "kafka: not ready after 60 s" >&2; exit 1
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  wait) wait_ready ;;
  status) if running || answering; then echo "kafka: running"; else echo "kafka: stopped"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|wait|status" >&2; exit 2 ;;
esac
