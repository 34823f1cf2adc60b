# The life of one local server process kept in a pid file (sourced by kafka.sh and keycloak.sh, which
# set `pidfile` and `name`): whether it runs, and stopping it (TERM, then KILL after 30 s).
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
