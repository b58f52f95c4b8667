#!/usr/bin/env bash
# Issue 20: `dmarc report` over the 1,000,000-record store of bench/report/run.sh, from SQLite and from PostgreSQL in
# the same run, alternating, RUNS runs each (default 3). The PostgreSQL store is filled once by `dmarc db copy` from
# the SQLite store (its time and checks printed), then VACUUM ANALYZE (what autovacuum would have done by then).
# The server is $DMARC_BENCH_PG, or a private cluster in WORKDIR/pg (bench/postgres/cluster.sh) kept with the
# stores between runs. usage: [DMARC_BIN=DIR] bench/report/postgres.sh [WORKDIR]   (default /tmp/dmarc-bench-report)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:-/tmp/dmarc-bench-report}
mkdir -p "$work"
chmod 755 "$work"
# shellcheck source=../postgres/cluster.sh
. "$here/../postgres/cluster.sh" "$work/pg"
trap pg_stop EXIT
runs=${RUNS:-3}
if [ -n "${DMARC_BIN:-}" ]; then
  dmarc="$DMARC_BIN/dmarc"
else
  dotnet publish "$root/analyzer" -c Release -o "$work/dmarc" -nologo -clp:ErrorsOnly >/dev/null
  dmarc="$work/dmarc/dmarc"
fi
if [ ! -f "$work/dmarc.db" ]; then
  "$dmarc" report --db "$work/dmarc.db" --out "$work/empty" --no-dns >/dev/null   # creates the schema
  python3 "$here/make-store.py" "$work/dmarc.db" "${REPORTS:-5000}" "${RECORDS_PER_REPORT:-200}"
fi
database=dmarc_bench_report
url=$pg_server/$database
if ! pg_exists "$database"; then
  pg_database "$database" >/dev/null
  /usr/bin/time -f "db copy: %e s elapsed, %U s user, %S s sys" "$dmarc" db copy --from "$work/dmarc.db" --to "$url" | tail -1
  psql -X -q "$url" -c 'VACUUM ANALYZE'
fi
sync

server_ticks() {
  if [ -z "$pg_folder" ]; then echo 0; return; fi
  awk '{ print $14 + $15 + $16 + $17 }' "/proc/$(head -1 "$pg_folder/data/postmaster.pid")/stat"
}
for run in $(seq "$runs"); do
  /usr/bin/time -f "run $run, SQLite:     %e s elapsed, %U s user, %S s sys, %M KB max RSS" \
    "$dmarc" report --db "$work/dmarc.db" --out "$work/out-sqlite" --no-dns >/dev/null
  before=$(server_ticks)
  /usr/bin/time -f "run $run, PostgreSQL: %e s elapsed, %U s user, %S s sys, %M KB max RSS" \
    "$dmarc" report --db "$url" --out "$work/out-postgres" --no-dns >/dev/null
  sleep 1
  echo "            server CPU: $(awk -v t=$(( $(server_ticks) - before )) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }') s"
done
# The same figures from both: the CSV files agree.
for csv in "$work/out-sqlite"/*.csv; do cmp -s "$csv" "$work/out-postgres/$(basename "$csv")" || echo "differs: $(basename "$csv")"; done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
