#!/usr/bin/env bash
# The real Apache Kafka broker without Docker: jars from Maven Central (kafka/pom.xml) into
# .cache/kafka/libs, storage formatted once under .data/kafka, one KRaft broker+controller on
# 127.0.0.1:9092 under Java 17.  Usage: kafka.sh install|start|stop|wait|status
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/deploy/local/kafka"
libs="$root/.cache/kafka/libs"
data="$root/.data/kafka"
pidfile="$data/kafka.pid"
port=9092
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

start() {
  if running || answering; then echo "kafka: already running on 127.0.0.1:$port"; return 0; fi
  install
  mkdir -p "$data/logs"
  { cat "$here/server.properties"; echo "log.dirs=$data/log"; } >"$data/server.properties"
  if [ ! -f "$data/log/meta.properties" ]; then
    java "${java_opts[@]}" kafka.tools.StorageTool format --cluster-id "$cluster_id" \
      --config "$data/server.properties" --ignore-formatted >"$data/logs/format.log"
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
