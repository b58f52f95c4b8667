#!/bin/sh
# Times `dmarc serve`'s overview and domain pages over the synthetic store of bench/report (1,000,000 records from
# 5,000 reports), or a larger one: server-side time from the Server-Timing header, p95 over 200 requests after warm-up.
# usage: bench/serve/run.sh [WORKDIR] [REPORTS]   (default /tmp/dmarc-bench-serve, 5000 reports of 200 records;
#        50000 makes the 10,000,000-record store of issue 19; the store is kept between runs). REQUESTS and WARMUP
#        (default 200 and 20) pass to measure.py: a page that takes seconds shows its miss in fewer. The server's log
#        lines "Analysed ..." give each analysis computed (at start, at a page's first request, after the store changed).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:-/tmp/dmarc-bench-serve}
reports=${2:-5000}
mkdir -p "$work"
# The installed form (README: Installing): published, ReadyToRun.
dotnet publish "$root/analyzer" -c Release -o "$work/dmarc" -nologo -clp:ErrorsOnly >/dev/null
dmarc="$work/dmarc/dmarc"
db="$work/dmarc-$reports.db"
if [ ! -f "$db" ]; then
    "$dmarc" report --db "$db" --out "$work/empty" --no-dns >/dev/null   # creates the schema
    python3 "$root/bench/report/make-store.py" "$db" "$reports" 200
fi
# Anonymous read: the benchmark times pages, not sign-in. No live DNS on the domain page.
cat > "$work/serve.json" <<JSON
{ "Serve": { "AllowAnonymousRead": true, "CheckRecords": false } }
JSON
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$dmarc" serve --db "$db" --config "$work/serve.json" --listen "http://127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid' EXIT
# The overview is computed at start (its first request waits for what is left of that); the domain page of the same
# period comes out of it; the domain page of an explicit period is computed at its first request (cold).
SERVER_PID=$pid python3 "$here/measure.py" "http://127.0.0.1:$port" / /domain/example.com \
    "/domain/example.com?from=2026-01-05&to=2026-03-01" "/source/192.0.2.7"
grep -h "Analysed" "$work/serve.log" || true
echo "store: $reports reports; load average: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
