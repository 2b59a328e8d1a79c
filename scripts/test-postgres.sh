#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests that need one (the replicas
# test): Debian's server binaries (the `postgresql` package), 127.0.0.1 on a
# free port, a fresh data directory in the temp dir, fsync off. No Docker.
#
#   eval "$(scripts/test-postgres.sh start)"   # starts it, prints two exports
#   scripts/test-postgres.sh stop              # stops it, removes its directory
#
# `start` prints BACKSTAGE_TEST_DATABASE_POSTGRES<major>_CONNECTION_STRING, the
# variable @backstage/backend-test-utils' TestDatabases reads (a login role
# with CREATEDB, not the superuser), and TEST_POSTGRES_DIR, which `stop` reads.
# Arguments after `start` go to the server, e.g.
# `-c shared_preload_libraries=pg_stat_statements`. As root, the server runs as
# the `postgres` OS user: PostgreSQL refuses to run as root.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ ! -x "$bin/initdb" ]; then
  echo "test-postgres: no server binaries in /usr/lib/postgresql/<version>/bin: install Debian's postgresql package" >&2
  exit 1
fi
major=$(basename "$(dirname "$bin")")
as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
random_hex() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

case "${1:-}" in
start)
  shift
  umask 077
  dir=$(mktemp -d "${TMPDIR:-/tmp}/test-postgres.XXXXXX")
  cd "$dir" # the postgres OS user may not be allowed into the caller's directory
  random_hex >superuser-password
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; fi
  as_server "$bin/initdb" -D "$dir/data" -U postgres --pwfile=superuser-password \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync >/dev/null
  # a random port below Linux's ephemeral range; another one if it is taken
  for attempt in 1 2 3 4 5; do
    port=$(shuf -i 20000-32000 -n 1)
    # two backends' pools (auth, catalog, permission, app, scheduler, ...)
    if as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "\
-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off \
-c max_connections=300 $*" start >&2; then
      break
    fi
    if [ "$attempt" = 5 ]; then
      tail -n 20 "$dir/server.log" >&2
      exit 1
    fi
  done
  password=$(random_hex)
  as_server "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -qX -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE backstage LOGIN CREATEDB PASSWORD '$password'" >&2
  printf 'export BACKSTAGE_TEST_DATABASE_POSTGRES%s_CONNECTION_STRING=%q\n' \
    "$major" "postgresql://backstage:$password@127.0.0.1:$port"
  printf 'export TEST_POSTGRES_DIR=%q\n' "$dir"
  ;;
stop)
  dir=${TEST_POSTGRES_DIR:?test-postgres: TEST_POSTGRES_DIR is not set}
  if [ -d "$dir/data" ]; then
    as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  fi
  case "$dir" in */test-postgres.*) rm -rf "$dir" ;; esac
  ;;
*)
  echo "usage: eval \"\$($0 start [server options])\"; $0 stop" >&2
  exit 2
  ;;
esac
