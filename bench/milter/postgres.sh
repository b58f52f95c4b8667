#!/usr/bin/env bash
# Issue 20: the milter benchmark (bench/milter/run.sh, our milter only) with its verdicts going to a SQLite file and
# then to PostgreSQL, in the same run. The server is $DMARC_BENCH_PG, or a private cluster (bench/postgres/cluster.sh).
# usage: [DMARC_BIN=DIR] bench/milter/postgres.sh [COUNT]   (run as root, as run.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"
# shellcheck source=../postgres/cluster.sh
. "$here/../postgres/cluster.sh" "$work/pg"
trap 'pg_stop; rm -rf "$work"' EXIT
if [ -z "${DMARC_BIN:-}" ]; then
  dotnet publish "$here/../../analyzer" -c Release -o "$work/dmarc" -nologo -clp:ErrorsOnly >/dev/null
  export DMARC_BIN=$work/dmarc
fi
echo "## verdicts to SQLite"
SKIP_PLAIN=1 "$here/run.sh" "$@"
echo "## verdicts to PostgreSQL ($(pg_psql -tA -c 'SHOW server_version'))"
SKIP_PLAIN=1 MILTER_DB=$(pg_database dmarc_bench_milter) "$here/run.sh" "$@"
