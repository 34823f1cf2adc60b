#!/usr/bin/env bash
# The four services as local processes (no Docker): pid files in .data/run, logs in .data/logs
# (KSD_RUN_DIR, KSD_LOG_DIR: another platform's beside this one, e.g. the chaos suite's).
# KSD_REPLICAS=2: two processes of each service. Replica r listens on the service's port plus
# KSD_REPLICA_PORT_STEP*(r-1) (100: intake on 8081 and 8181), as <service>-<r> in the pid and log
# files (the first keeps <service>); the replicas share one consumer group, so Kafka spreads the
# partitions over them, and one outbox relay per database runs at a time (its advisory lock).
# Usage: services.sh start|stop [service [replica]] | kill <service> <replica> | status
#   (kill: SIGKILL, a lost process; `start` starts again whatever is not running)
# Environment: the KSD_* variables of INTERFACES.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
run=${KSD_RUN_DIR:-$root/.data/run}
logs=${KSD_LOG_DIR:-$root/.data/logs}
python="$root/.venv/bin/python"
services=(agreement mapping reporting intake)
replicas=${KSD_REPLICAS:-1}
step=${KSD_REPLICA_PORT_STEP:-100}
declare -A ports=([intake]=${KSD_INTAKE_PORT:-8081} [agreement]=${KSD_AGREEMENT_PORT:-8082}
                  [mapping]=${KSD_MAPPING_PORT:-8083} [reporting]=${KSD_REPORTING_PORT:-8084})

instance() { if [ "$2" -eq 1 ]; then echo "$1"; else echo "$1-$2"; fi; }  # service replica -> its files' name
port() { echo $((ports[$1] + step * ($2 - 1))); }
alive() { [ -f "$run/$1.pid" ] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }
ready() { "$python" - "$1" <<'PY'
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=2).status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

# "service replica" pairs: every one, those of one service, or one.
chosen() {
  local s r
  for s in ${1:-${services[@]}}; do
    for r in ${2:-$(seq 1 "$replicas")}; do echo "$s $r"; done
  done
}

start() {
  mkdir -p "$run" "$logs"
  local s r i
  while read -r s r; do
    i=$(instance "$s" "$r")
    if alive "$i"; then continue; fi
    env "KSD_${s^^}_PORT=$(port "$s" "$r")" nohup "$python" -m "ksd_$s" >>"$logs/$i.log" 2>&1 &
    echo $! >"$run/$i.pid"
  done < <(chosen "$@")
  while read -r s r; do
    i=$(instance "$s" "$r")
    for _ in $(seq 1 120); do
      ready "$(port "$s" "$r")" && break
      alive "$i" || { echo "services: $i exited; see $logs/$i.log" >&2; tail -n 20 "$logs/$i.log" >&2; exit 1; }
      sleep 0.5
    done
    ready "$(port "$s" "$r")" || { echo "services: $i not ready after 60 s; see $logs/$i.log" >&2; exit 1; }
    echo "services: $i ready on 127.0.0.1:$(port "$s" "$r")"
  done < <(chosen "$@")
}

stop() {
  local s r i
  # `stop` of everything also stops replicas started with a larger KSD_REPLICAS (their pid files).
  for i in "$run"/*-[0-9]*.pid; do [ -e "$i" ] && r=${i##*-} && replicas=$((${r%.pid} > replicas ? ${r%.pid} : replicas)); done
  while read -r s r; do
    i=$(instance "$s" "$r")
    if alive "$i"; then
      kill "$(cat "$run/$i.pid")"
      for _ in $(seq 1 40); do alive "$i" || break; sleep 0.5; done
      alive "$i" && kill -9 "$(cat "$run/$i.pid")"
      echo "services: $i stopped"
    fi
    rm -f "$run/$i.pid"
  done < <(chosen "$@")
}

# SIGKILL one replica, as a machine lost: no shutdown, its pid file left for `start` to replace.
kill_one() {
  local i; i=$(instance "$1" "$2")
  alive "$i" && kill -9 "$(cat "$run/$i.pid")" && echo "services: $i killed"
}

status() {
  local s r i down=0
  while read -r s r; do
    i=$(instance "$s" "$r")
    if alive "$i" && ready "$(port "$s" "$r")"; then echo "$i: ready on 127.0.0.1:$(port "$s" "$r")"
    else echo "$i: down"; down=1; fi
  done < <(chosen)
  return $down
}

case "${1:-}" in
  start) start "${2:-}" "${3:-}" ;;
  stop) stop "${2:-}" "${3:-}" ;;
  kill) [ -n "${3:-}" ] || { echo "usage: $0 kill <service> <replica>" >&2; exit 2; }; kill_one "$2" "$3" ;;
  status) status ;;
  *) echo "usage: $0 start|stop [service [replica]] | kill <service> <replica> | status" >&2; exit 2 ;;
esac
