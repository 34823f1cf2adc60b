#!/usr/bin/env bash
# PostgreSQL without Docker: use the server on 127.0.0.1:5432 when one answers; otherwise start
# Debian's packaged cluster (installing the package when missing). Then make sure the platform's
# bootstrap role may create databases and roles, and that Keycloak's database exists (the services'
# roles and databases are `python -m ksd_common.access setup`'s, run by `make infra` after this).
# Usage: postgres.sh start|stop|wait|status|drop
set -euo pipefail
dsn=${KSD_PG_DSN:-postgresql://ksd:ksd@127.0.0.1:5432}
databases=(ksd_keycloak)
services=(ksd_intake ksd_agreement ksd_mapping ksd_reporting)  # created by ksd_common.access; dropped here
marker="$(cd "$(dirname "$0")/../.." && pwd)/.data/postgres-started-by-ksd"

answering() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
as_postgres() { runuser -u postgres -- "$@"; }

cluster() {  # "<version> <name>" of the packaged cluster on port 5432, created when there is none
  local line
  line=$(pg_lsclusters --no-header 2>/dev/null | awk '$3 == 5432 {print $1, $2; exit}')
  if [ -z "$line" ]; then
    local version; version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    pg_createcluster --port 5432 "$version" main >/dev/null
    line="$version main"
  fi
  echo "$line"
}

start() {
  if ! answering; then
    if ! command -v pg_lsclusters >/dev/null; then
      echo "postgres: installing Debian's postgresql package"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    read -r version name < <(cluster)
    # More connections than the default 100: each service's pool, two replicas of each (make chaos),
    # and test slots side by side each hold their own.
    echo "max_connections = 400" >"/etc/postgresql/$version/$name/conf.d/ksd.conf"
    pg_ctlcluster "$version" "$name" start
    mkdir -p "$(dirname "$marker")" && echo "$version $name" >"$marker"
    wait_ready
    # The platform's own role, on the cluster this script started (a server found running is
    # the operator's: they give KSD_PG_DSN with a role that may create databases).
    as_postgres psql -q -v ON_ERROR_STOP=1 -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ksd') THEN
        CREATE ROLE ksd LOGIN PASSWORD 'ksd' CREATEDB CREATEROLE;
      END IF; END \$\$;"
  fi
  wait_ready
  # A `ksd` made before the services had roles of their own may create databases only: on this
  # machine's own cluster (we may act as its superuser), it may now create roles too.
  if [ "$(psql "$dsn/postgres" -tAc "SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user")" = f ] \
      && as_postgres psql -tAc "SELECT 1" >/dev/null 2>&1; then
    as_postgres psql -q -c "ALTER ROLE \"$(psql "$dsn/postgres" -tAc "SELECT current_user")\" CREATEROLE"
  fi
  for db in "${databases[@]}"; do
    if [ -z "$(psql "$dsn/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
      psql -q "$dsn/postgres" -c "CREATE DATABASE $db"
    fi
  done
  echo "postgres: ready on 127.0.0.1:5432 with ${databases[*]}"
}

wait_ready() {
  for _ in $(seq 1 60); do answering && return 0; sleep 0.5; done
  echo "postgres: not answering on 127.0.0.1:5432 after 30 s" >&2; exit 1
}

stop() {  # only a cluster this script started
  if [ -f "$marker" ]; then
    read -r version name <"$marker"
    pg_ctlcluster "$version" "$name" stop || true
    rm -f "$marker"
    echo "postgres: stopped"
  fi
}

drop() {
  answering || start
  for db in "${services[@]}" "${databases[@]}"; do psql -q "$dsn/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; done
  echo "postgres: dropped ${services[*]} ${databases[*]}"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  wait) wait_ready ;;
  drop) drop ;;
  status) if answering; then echo "postgres: running"; else echo "postgres: stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|wait|status|drop" >&2; exit 2 ;;
esac
