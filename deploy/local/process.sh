# The life of one local server process kept in a pid file (sourced by kafka.sh, keycloak.sh and
# mail.sh, which set `pidfile` and `name`): whether it runs, waiting for it to answer, and stopping
# it (TERM, then KILL after 30 s).
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

stop() {
  if running; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 60); do running || break; sleep 0.5; done
    running && kill -9 "$(cat "$pidfile")"
    echo "$name: stopped"
  fi
  rm -f "$pidfile"
}

# Wait until the command `$1` succeeds, for at most `$2` seconds; a process that exits meanwhile is
# reported at once with the end of its log `$3`, rather than waited for in vain.
await_ready() {
  local check=$1 seconds=$2 log=$3
  for _ in $(seq 1 $((seconds * 2))); do
    "$check" && return 0
    if [ -f "$pidfile" ] && ! running; then echo "$name: exited; see $log" >&2; tail -20 "$log" >&2; exit 1; fi
    sleep 0.5
  done
  echo "$name: not ready after $seconds s; see $log" >&2; exit 1
}
