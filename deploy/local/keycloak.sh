#!/usr/bin/env bash
# Keycloak, the platform's identity provider, without Docker: the Quarkus distribution from Maven
# Central (keycloak/pom.xml) unpacked into .cache/keycloak, built once for PostgreSQL (`kc.sh build`:
# the slow part, ~80 s) and then always started `--optimized` (~22 s) on 127.0.0.1:8180, health on the
# management port 9180, its own database ksd_keycloak (postgres.sh creates it). The realm `ksd` is
# imported from deploy/keycloak/ksd-realm.json on the first start; when that file changes,
# `keycloak.sh realm` replaces the realm with it (its users go too). `launch` starts it in the
# background (`make infra`: Kafka, Mailpit, the services and the demo start meanwhile) and `wait`
# waits for that start, printing what it printed and failing as it failed.
# Usage: keycloak.sh install|start|launch|stop|wait|status|realm
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/deploy/local/keycloak"
version=$(sed -n 's:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p' "$here/pom.xml")
cache="$root/.cache/keycloak"
home="$cache/keycloak-$version"
realm_file="$root/deploy/keycloak/ksd-realm.json"
data="$root/.data/keycloak"
pidfile="$data/keycloak.pid"
port=${KSD_KEYCLOAK_PORT:-8180}
management_port=${KSD_KEYCLOAK_MANAGEMENT_PORT:-9180}
dsn=${KSD_PG_DSN:-postgresql://ksd:ksd@127.0.0.1:5432}
# The bootstrap administrator of the master realm, created on the first start only (local mode).
export KC_BOOTSTRAP_ADMIN_USERNAME=${KSD_KEYCLOAK_ADMIN:-admin}
export KC_BOOTSTRAP_ADMIN_PASSWORD=${KSD_KEYCLOAK_ADMIN_PASSWORD:-admin}
# C1 alone, for the build and the server: a local Keycloak serves a few sign-ins and token grants a
# minute, and C2's compiles cost more CPU than they give back. Measured on the 2-core machine (29
# November), start then the four test files that use Keycloak: 36.4 s of its CPU with C2 (13 s of it
# C2's compiles), 26.6 s without; the start 14.9 -> 8.3 s of CPU. bench/keycloak_jit.sh (22:36): the
# first start 42.3 -> 26.6 s of CPU (26.8 -> 25.7 s wall), a token grant 18-20 ms at p50 instead of
# 9-13, which no person signing in notices. KSD_KEYCLOAK_JIT= (empty) keeps C2.
jit=${KSD_KEYCLOAK_JIT--XX:TieredStopAtLevel=1}
# Build-time options: a change rebuilds (the marker records them).
build_options=(--db=postgres --health-enabled=true --cache=local --features-disabled=kerberos)

install() {
  local marker="$home/.ksd-built"
  if [ ! -f "$marker" ] || [ "$(cat "$marker")" != "${build_options[*]}" ] || [ "$here/pom.xml" -nt "$marker" ]; then
    command -v java >/dev/null || { echo "keycloak.sh: Java 17 is needed (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
    command -v mvn >/dev/null || { apt-get update -qq && apt-get install -y -qq maven >/dev/null; }
    mkdir -p "$cache"
    zip="$cache/keycloak-quarkus-dist-$version.zip"
    [ -f "$zip" ] || mvn -q -B -f "$here/pom.xml" dependency:copy -DoutputDirectory="$cache"
    rm -rf "$home" && python3 -m zipfile -e "$zip" "$cache" && chmod +x "$home"/bin/*.sh  # zipfile drops modes
    echo "keycloak: building for PostgreSQL (once, ~30 s)"
    # The build is a short-lived JVM: C2's compiles would not pay off before it ends. C1 alone took
    # the build from 41 to 22 s of CPU (31 to 24 s wall) on the 2-core machine, CPU that make up's
    # demo, running meanwhile, needs. The server runs with C1 alone too ($jit).
    JAVA_OPTS_APPEND="${JAVA_OPTS_APPEND:-} $jit" "$home/bin/kc.sh" build "${build_options[@]}" >"$cache/build.log" 2>&1 \
      || { tail -20 "$cache/build.log" >&2; exit 1; }
    echo "${build_options[*]}" >"$marker"
  fi
}

name=keycloak
# shellcheck source=process.sh
. "$(dirname "$0")/process.sh"
healthy() { curl -sf "http://127.0.0.1:$management_port/health/ready" >/dev/null 2>&1; }
answering() { (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; }

start() {
  if running || answering; then echo "keycloak: already running on 127.0.0.1:$port"; wait_ready; return 0; fi
  install
  "$root/deploy/local/postgres.sh" start >/dev/null  # and its database ksd_keycloak
  mkdir -p "$data/logs" "$home/data/import"
  cp "$realm_file" "$home/data/import/ksd-realm.json"  # imported when the realm does not exist yet
  local user password
  user=$(python3 -c "import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).username or 'ksd')" "$dsn")
  password=$(python3 -c "import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).password or '')" "$dsn")
  JAVA_OPTS_KC_HEAP="-Xms128m -Xmx512m" JAVA_OPTS_APPEND="${JAVA_OPTS_APPEND:-} $jit" nohup "$home/bin/kc.sh" start --optimized \
    --http-enabled=true --http-host=127.0.0.1 --http-port="$port" --http-management-port="$management_port" \
    --hostname="http://127.0.0.1:$port" --hostname-backchannel-dynamic=true \
    --db-url="jdbc:postgresql://127.0.0.1:5432/ksd_keycloak" --db-username="$user" --db-password="$password" \
    --import-realm --log=console >"$data/logs/keycloak.log" 2>&1 &
  echo $! >"$pidfile"
  wait_ready
  sha256sum "$realm_file" | cut -d' ' -f1 >"$data/realm.sha256.new"
  if [ -f "$data/realm.sha256" ] && ! cmp -s "$data/realm.sha256" "$data/realm.sha256.new"; then
    echo "keycloak: $realm_file changed since it was imported; 'deploy/local/keycloak.sh realm' replaces the realm" >&2
  fi
  [ -f "$data/realm.sha256" ] || cp "$data/realm.sha256.new" "$data/realm.sha256"
}

launch() {
  if running || answering; then return 0; fi
  mkdir -p "$data/logs"
  nohup "$0" start >"$data/logs/start.log" 2>&1 &
  echo $! >"$data/launch.pid"
}

launched() {  # whether a launch was made and has not been waited for; waits for its start to end
  local launcher="$data/launch.pid"
  [ -f "$launcher" ] || return 1
  while kill -0 "$(cat "$launcher")" 2>/dev/null; do sleep 0.5; done
  rm -f "$launcher"
}

wait_launched() {
  if launched; then
    cat "$data/logs/start.log"  # its last line says it is ready
    healthy || { echo "keycloak: the start failed; see $data/logs/start.log" >&2; exit 1; }
  else
    wait_ready
  fi
}

wait_ready() {  # patient: the first start creates the database schema (2 min 25 s on a busy 2-core machine)
  await_ready healthy 600 "$data/logs/keycloak.log"
  echo "keycloak: ready on 127.0.0.1:$port (realm ksd)"
}

admin_token() {
  curl -sf "http://127.0.0.1:$port/realms/master/protocol/openid-connect/token" -d grant_type=password \
    -d client_id=admin-cli --data-urlencode "username=$KC_BOOTSTRAP_ADMIN_USERNAME" \
    --data-urlencode "password=$KC_BOOTSTRAP_ADMIN_PASSWORD" | python3 -c "import json, sys; print(json.load(sys.stdin)['access_token'])"
}

realm() {  # replace the realm `ksd` with the committed file (its users and sessions are lost)
  wait_ready >/dev/null
  local token; token=$(admin_token)
  curl -sf -o /dev/null -X DELETE -H "Authorization: Bearer $token" "http://127.0.0.1:$port/admin/realms/ksd" || true
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    --data-binary @"$realm_file" "http://127.0.0.1:$port/admin/realms"
  mkdir -p "$data" && sha256sum "$realm_file" | cut -d' ' -f1 >"$data/realm.sha256"
  echo "keycloak: realm ksd replaced from $realm_file"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  launch) launch ;;
  stop) launched || true; stop ;;  # a launch still starting is let finish, then stopped
  wait) wait_launched ;;
  realm) realm ;;
  status) if healthy; then echo "keycloak: running"; else echo "keycloak: stopped"; exit 1; fi ;;
  *) echo "usage: $0 install|start|launch|stop|wait|status|realm" >&2; exit 2 ;;
esac
