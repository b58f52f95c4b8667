#!/usr/bin/env bash
# Issue 20: ingest into SQLite and into PostgreSQL in the same run, alternating: the 200,000-record report and 5,000
# gzip reports of 5 records, each into a new store (a new SQLite file; a new database) whose schema `dmarc db migrate`
# made before the clock starts (PostgreSQL's thirteen migrations take a second or so). The PostgreSQL server is
# $DMARC_BENCH_PG, or a private cluster (bench/postgres/cluster.sh). PostgreSQL runs twice: as installed (every commit
# waits for its WAL to reach the disk), and with synchronous_commit off for the database, which is the durability SQLite
# has here (WAL with synchronous=NORMAL: a commit survives the process, not a power cut; PostgreSQL's may lose the
# last few hundred milliseconds of commits on a crash of the server too). Every figure is the median of RUNS runs (default 3):
# wall time, dmarc's CPU time (user + system), and for the private cluster the server's CPU time (the postmaster and
# the backends it reaped); with the load average at the start of the row. DMARC_BIN=DIR takes a published dmarc.
# DMARC_BASELINE=DIR adds a published build to compare with: each run then ingests into PostgreSQL with it too, right
# after the build measured (alternating, so both meet the same machine), and its figures are a second row (the same
# SQLite runs beside it). Prints a Markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
chmod 755 "$work"
# shellcheck source=../postgres/cluster.sh
. "$here/../postgres/cluster.sh" "$work/pg"
trap 'pg_stop; rm -rf "$work"' EXIT
runs=${RUNS:-3}
if [ -n "${DMARC_BIN:-}" ]; then
  dmarc=("$DMARC_BIN/dmarc")
else
  dotnet publish "$repo/analyzer" -c Release -o "$work/dmarc" -nologo -clp:ErrorsOnly >/dev/null
  dmarc=("$work/dmarc/dmarc")
fi
python3 "$here/generate-reports.py" "$work/large" --reports 1 --records "${LARGE_RECORDS:-200000}"
python3 "$here/generate-reports.py" "$work/small" --reports "${SMALL_REPORTS:-5000}" --records 5 --gzip
sync

# The server's CPU so far in clock ticks: the postmaster's own and that of the backends it has reaped.
server_ticks() {
  if [ -z "$pg_folder" ]; then echo 0; return; fi
  awk '{ print $14 + $15 + $16 + $17 }' "/proc/$(head -1 "$pg_folder/data/postmaster.pid")/stat"
}
hz=$(getconf CLK_TCK)
# One timed ingest of $1 into --db $2 by the dmarc of $3...: "wall cpu server-cpu" in seconds.
timed() {
  local input=$1 db=$2 before after
  shift 2
  before=$(server_ticks)
  /usr/bin/time -o "$work/time" -f '%e %U %S' "$@" ingest "$input" --db "$db" >"$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
  sleep 1   # the backends exit and are reaped after the client closes
  after=$(server_ticks)
  awk -v s=$((after - before)) -v hz="$hz" '{ printf "%s %.2f %.2f\n", $1, $2 + $3, s / hz }' "$work/time"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
column() { printf '%s\n' "${@:2}" | awk -v c="$1" '{ print $c }' | median; }

printf '| case | load | SQLite wall | CPU | PostgreSQL wall | dmarc CPU | server CPU | speed / SQLite | PostgreSQL, synchronous_commit off, wall | dmarc CPU | server CPU | speed / SQLite |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n'
row() { # $1: label, $2: unit count, $3: unit, $4: input folder
  local l sqlite=() postgres=() async=() bpostgres=() basync=() i
  l=$(cut -d' ' -f1 /proc/loadavg)
  for i in $(seq "$runs"); do
    rm -f "$work/db"*
    "${dmarc[@]}" db migrate --db "$work/db" >/dev/null
    sqlite+=("$(timed "$4" "$work/db" "${dmarc[@]}")")
    postgres+=("$(postgres_run "$4" on "${dmarc[@]}")")
    async+=("$(postgres_run "$4" off "${dmarc[@]}")")
    if [ -n "${DMARC_BASELINE:-}" ]; then
      bpostgres+=("$(postgres_run "$4" on "$DMARC_BASELINE/dmarc")")
      basync+=("$(postgres_run "$4" off "$DMARC_BASELINE/dmarc")")
    fi
  done
  print_row "$1" "$l" "$2" "$3" sqlite postgres async
  [ -z "${DMARC_BASELINE:-}" ] || print_row "$1, baseline" "$l" "$2" "$3" sqlite bpostgres basync
}
# One timed ingest of $1 into a new PostgreSQL database, synchronous_commit $2, by the dmarc of $3...
postgres_run() {
  local input=$1 commit=$2 url
  shift 2
  url=$(pg_database dmarc_bench_ingest)
  [ "$commit" = on ] || pg_psql -c "ALTER DATABASE dmarc_bench_ingest SET synchronous_commit = off"
  "$@" db migrate --db "$url" >/dev/null
  timed "$input" "$url" "$@"
}
print_row() { # $1: label, $2: load, $3: unit count, $4: unit, $5-$7: the names of the SQLite, PostgreSQL and asynchronous runs
  local -n s=$5 p=$6 a=$7
  awk -v label="$1" -v l="$2" -v n="$3" -v unit="$4" -v sw="$(column 1 "${s[@]}")" -v sc="$(column 2 "${s[@]}")" \
    -v pw="$(column 1 "${p[@]}")" -v pc="$(column 2 "${p[@]}")" -v ps="$(column 3 "${p[@]}")" \
    -v aw="$(column 1 "${a[@]}")" -v ac="$(column 2 "${a[@]}")" -v as="$(column 3 "${a[@]}")" 'BEGIN {
    printf "| %s | %s | %.2f s (%.0f %s/s) | %.2f s | %.2f s (%.0f %s/s) | %.2f s | %.2f s | %.2f | %.2f s (%.0f %s/s) | %.2f s | %.2f s | %.2f |\n",
      label, l, sw, n / sw, unit, sc, pw, n / pw, unit, pc, ps, sw / pw, aw, n / aw, unit, ac, as, sw / aw }'
}
row "1 report × ${LARGE_RECORDS:-200000} records" "${LARGE_RECORDS:-200000}" records "$work/large"
row "${SMALL_REPORTS:-5000} gzip reports × 5 records" "${SMALL_REPORTS:-5000}" reports "$work/small"
echo
echo "PostgreSQL: $(pg_psql -tA -c 'SHOW server_version'), $([ -n "$pg_folder" ] && echo "private cluster, default settings" || echo "$pg_server"); cores: $(nproc)"
