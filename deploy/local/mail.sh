#!/usr/bin/env bash
# The local mail server reminders are sent through, without Docker: Mailpit (a maintained SMTP sink
# with a web page and an HTTP API to read what it received), built from its Go module with the
# machine's Go toolchain into .cache/mailpit, run on 127.0.0.1:1025 (SMTP) and 127.0.0.1:8025 (web
# page and API: /api/v1/messages, /api/v1/search?query=to:ADDRESS), its messages kept in
# .data/mailpit. Usage: mail.sh install|start|stop|wait|status
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=v1.33.1
bin="$root/.cache/mailpit/$version/mailpit"
data="$root/.data/mailpit"
pidfile="$data/mailpit.pid"
smtp_port=${KSD_SMTP_PORT:-1025}
http_port=${KSD_MAIL_HTTP_PORT:-8025}

install() {
  if [ ! -x "$bin" ]; then
    go=$(command -v go || echo /usr/local/go/bin/go)
    [ -x "$go" ] || { echo "mail.sh: Go is needed to build Mailpit (apt-get install golang-go)" >&2; exit 1; }
    echo "mail: building Mailpit $version (once)"
    mkdir -p "$(dirname "$bin")"
    (cd "$(dirname "$bin")" && GOBIN="$(dirname "$bin")" GOFLAGS=-mod=mod "$go" install "github.com/axllent/mailpit@$version")
  fi
}

name=mailpit
# shellcheck source=process.sh
. "$(dirname "$0")/process.sh"
answering() { curl -sf "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; }

start() {
  if running || answering; then echo "mail: already running on 127.0.0.1:$smtp_port (page: http://127.0.0.1:$http_port/)"; return 0; fi
  install
  mkdir -p "$data"
  nohup "$bin" --smtp "127.0.0.1:$smtp_port" --listen "127.0.0.1:$http_port" --database "$data/mailpit.db" \
    --max 50000 --disable-version-check >"$data/mailpit.log" 2>&1 &
  echo $! >"$pidfile"
  wait_ready
}

wait_ready() {
  await_ready answering 30 "$data/mailpit.log"
  echo "mail: ready on 127.0.0.1:$smtp_port (page: http://127.0.0.1:$http_port/)"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  wait) wait_ready ;;
  status) if running || answering; then echo "mail: running"; else echo "mail: stopped"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|wait|status" >&2; exit 2 ;;
esac
