#!/usr/bin/env bash
# The four services as local processes (no Docker): pid files in .data/run, logs in .data/logs
# (KSD_RUN_DIR, KSD_LOG_DIR: another platform's beside this one, e.g. the chaos suite's).
# Usage: services.sh start|stop|status   (environment: the KSD_* variables of INTERFACES.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
run=${KSD_RUN_DIR:-$root/.data/run}
logs=${KSD_LOG_DIR:-$root/.data/logs}
python="$root/.venv/bin/python"
services=(agreement mapping reporting intake)
declare -A ports=([intake]=${KSD_INTAKE_PORT:-8081} [agreement]=${KSD_AGREEMENT_PORT:-8082}
                  [mapping]=${KSD_MAPPING_PORT:-8083} [reporting]=${KSD_REPORTING_PORT:-8084})

alive() { [ -f "$run/$1.pid" ] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }
ready() { "$python" - "$1" <<'PY'
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=2).status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

start() {
  mkdir -p "$run" "$logs"
  for s in "${services[@]}"; do
    if alive "$s"; then continue; fi
    nohup "$python" -m "ksd_$s" >>"$logs/$s.log" 2>&1 &
    echo $! >"$run/$s.pid"
  done
  for s in "${services[@]}"; do
    for _ in $(seq 1 120); do
      ready "${ports[$s]}" && break
      alive "$s" || { echo "services: $s exited; see $logs/$s.log" >&2; tail -n 20 "$logs/$s.log" >&2; exit 1; }
      sleep 0.5
    done
    ready "${ports[$s]}" || { echo "services: $s not ready after 60 s; see $logs/$s.log" >&2; exit 1; }
    echo "services: $s ready on 127.0.0.1:${ports[$s]}"
  done
}

stop() {
  for s in "${services[@]}"; do
    if alive "$s"; then
      kill "$(cat "$run/$s.pid")"
      for _ in $(seq 1 40); do alive "$s" || break; sleep 0.5; done
      alive "$s" && kill -9 "$(cat "$run/$s.pid")"
      echo "services: $s stopped"
    fi
    rm -f "$run/$s.pid"
  done
}

status() {
  local down=0
  for s in "${services[@]}"; do
    if alive "$s" && ready "${ports[$s]}"; then echo "$s: ready on 127.0.0.1:${ports[$s]}"; else echo "$s: down"; down=1; fi
  done
  return $down
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
