#!/usr/bin/env bash
# Keycloak on C1 alone (-XX:TieredStopAtLevel=1) beside the default JIT: the one-time build's CPU
# and wall time, then the first start's (realm import into a fresh database) and its token grants
# (3 rounds of 100 client-credentials grants, p50/p90). Each on its own copy of the distribution
# that `make infra` fetched (.cache/keycloak), on ports 18180/18181 and scratch databases
# ksd_kcjit_default / ksd_kcjit_c1 (dropped after). Results: bench/notes-startup-and-latency.md.
# Usage: bench/keycloak_jit.sh   (PostgreSQL running: `deploy/local/postgres.sh start`)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
zip=$(ls "$root"/.cache/keycloak/keycloak-quarkus-dist-*.zip | head -1)
dsn=${KSD_PG_DSN:-postgresql://ksd:ksd@127.0.0.1:5432}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cpu_of() { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$1/stat"; }

for variant in default c1; do
  opts=""; [ "$variant" = c1 ] && opts="-XX:TieredStopAtLevel=1"
  offset=0; [ "$variant" = c1 ] && offset=1
  dir="$work/$variant"; mkdir -p "$dir" && python3 -m zipfile -e "$zip" "$dir"
  home=$(ls -d "$dir"/keycloak-*); chmod +x "$home"/bin/*.sh
  /usr/bin/time -f "$variant build: %e s wall, %U+%S s CPU" env JAVA_OPTS_APPEND="$opts" "$home/bin/kc.sh" build \
    --db=postgres --health-enabled=true --cache=local --features-disabled=kerberos >"$dir/build.log" 2>&1
  tail -1 "$dir/build.log"
  db=ksd_kcjit_$variant
  psql "$dsn/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  mkdir -p "$home/data/import" && cp "$root/deploy/keycloak/ksd-realm.json" "$home/data/import/"
  port=$((18180 + offset)); management=$((19180 + offset)); started=$(date +%s.%N)
  KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD=admin JAVA_OPTS_APPEND="$opts" \
    JAVA_OPTS_KC_HEAP="-Xms128m -Xmx512m" "$home/bin/kc.sh" start --optimized --http-enabled=true \
    --http-host=127.0.0.1 --http-port=$port --http-management-port=$management --hostname="http://127.0.0.1:$port" \
    --hostname-backchannel-dynamic=true --db-url="jdbc:postgresql://127.0.0.1:5432/$db" --db-username=ksd \
    --db-password=ksd --import-realm --log=console >"$dir/start.log" 2>&1 &
  launcher=$!
  until curl -sf "http://127.0.0.1:$management/health/ready" >/dev/null; do sleep 0.3; done
  java=$(pgrep -P "$launcher" java || echo "$launcher")
  echo "$variant first start: $(echo "$(date +%s.%N) - $started" | bc) s wall, $(cpu_of "$java") s CPU"
  "$root/.venv/bin/python" - "$port" <<'PY'
import sys, time, httpx
url = f"http://127.0.0.1:{sys.argv[1]}/realms/ksd/protocol/openid-connect/token"
with httpx.Client() as client:
    for round in range(3):
        times = []
        for _ in range(100):
            started = time.perf_counter()
            client.post(url, data={"grant_type": "client_credentials"},
                        auth=("ksd-platform", "ksd-platform-local-secret")).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(f"  grants, round {round}: p50 {times[50]:.1f} ms, p90 {times[90]:.1f} ms")
PY
  kill "$java"; wait "$launcher" 2>/dev/null || true
  psql "$dsn/postgres" -qc "DROP DATABASE IF EXISTS $db"
done
