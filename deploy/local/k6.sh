#!/usr/bin/env bash
# k6, the bench's native load generator (Grafana's, from its Go module, pinned), built into
# .cache/k6/bin by `go install` (again when this file changes). The
# bench's intake section drives POST /v1/submissions and GET /healthz with it: a load generator in
# Python on the same two cores measured itself (`/healthz` p50 116 ms at concurrency 64).
# Usage: k6.sh [install|path]   (path: print the binary, installing first when needed)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/.cache/k6"
K6_VERSION=v1.8.1

# Go's own module and build caches (`go env GOMODCACHE GOCACHE`), the machine's, shared by every
# clone: a fresh clone links k6 from packages compiled once on the machine instead of downloading and
# compiling its several hundred packages again (a few minutes of CPU). The pin stays here (the version,
# checked against go.sum by the checksum database); -modcacherw keeps the module cache deletable.
export GOFLAGS=-modcacherw GOBIN="$out/bin"

install() {
  local stamp="$out/.complete"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$0" ] && [ -x "$out/bin/k6" ]; then return; fi
  command -v go >/dev/null || { echo "k6: Go is needed (go install builds k6)" >&2; exit 1; }
  mkdir -p "$out"
  CGO_ENABLED=0 go install "go.k6.io/k6@$K6_VERSION"
  touch "$stamp"
}

case "${1:-install}" in
  install) install ;;
  path) install >&2; echo "$out/bin/k6" ;;
  *) echo "usage: $0 [install|path]" >&2; exit 2 ;;
esac
