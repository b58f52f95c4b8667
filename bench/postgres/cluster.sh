# Sourced by the benchmarks that compare SQLite with PostgreSQL (issue 20): sets pg_server to a PostgreSQL server URL
# without a database (postgres://user@host:port) and defines pg_database NAME, which makes a new, empty database there
# and prints its URL for --db. The server is $DMARC_BENCH_PG when set (its user may create databases); otherwise a
# private cluster of Debian's PostgreSQL: initdb into $1 (kept, so a filled store survives between runs) as the
# postgres user, started on a free loopback port with its socket in that folder, default settings (fsync and
# synchronous_commit on, 128 MB shared_buffers), stopped by pg_stop (the caller's EXIT trap).
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_folder=
if [ -n "${DMARC_BENCH_PG:-}" ]; then
  pg_server=${DMARC_BENCH_PG%/}
else
  pg_folder=$1
  if [ ! -d "$pg_folder/data" ]; then
    mkdir -p "$pg_folder"
    chown postgres:postgres "$pg_folder"
    runuser -u postgres -- "$pg_bin/initdb" -D "$pg_folder/data" -U dmarc --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_folder/data" -l "$pg_folder/server.log" -w -t 120 start \
    -o "-p $pg_port -k $pg_folder -c listen_addresses=127.0.0.1" >/dev/null
  pg_server=postgres://dmarc@127.0.0.1:$pg_port
fi
pg_stop() { [ -z "$pg_folder" ] || runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_folder/data" -w -m fast stop >/dev/null || true; }
pg_psql() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 "$pg_server/postgres" "$@"; }
pg_database() { pg_psql -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null; echo "$pg_server/$1"; }
pg_exists() { [ "$(pg_psql -tA -c "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 1 ]; }
