#!/bin/sh
# Times `dmarc report` over a synthetic store of 1,000,000 records from 5,000 reports.
# usage: [DMARC_BIN=DIR] bench/report/run.sh [WORKDIR]   (default /tmp/dmarc-bench-report; the store is kept between
# runs; DMARC_BIN takes an already published dmarc from DIR instead of publishing one)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:-/tmp/dmarc-bench-report}
mkdir -p "$work"
# The installed form (README: Installing): published, ReadyToRun.
if [ -n "${DMARC_BIN:-}" ]; then
    dmarc="$DMARC_BIN/dmarc"
else
    dotnet publish "$root/analyzer" -c Release -o "$work/dmarc" -nologo -clp:ErrorsOnly >/dev/null
    dmarc="$work/dmarc/dmarc"
fi
if [ ! -f "$work/dmarc.db" ]; then
    "$dmarc" report --db "$work/dmarc.db" --out "$work/empty" --no-dns >/dev/null   # creates the schema
    python3 "$here/make-store.py" "$work/dmarc.db" 5000 200
    sync   # the new store reaches the disk before timing starts
fi
for run in 1 2 3; do
    /usr/bin/time -f "run $run: %e s elapsed, %U s user, %S s sys, %M KB max RSS" \
        "$dmarc" report --db "$work/dmarc.db" --out "$work/out" --no-dns >/dev/null
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
