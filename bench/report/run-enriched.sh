#!/bin/sh
# Times `dmarc report` over the store of run.sh with both network databases and the built-in service catalogue
# (issue 22): the first run looks every distinct source up and caches it in the store, the next ones read the cache.
# usage: [DMARC_BIN=DIR] bench/report/run-enriched.sh [WORKDIR]   (default /tmp/dmarc-bench-report; run.sh makes the store)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-/tmp/dmarc-bench-report}
"$here/run.sh" "$work" >/dev/null
dmarc="${DMARC_BIN:-$work/dmarc}/dmarc"
perl "$here/make-mmdb.pl" "$work/asn.mmdb" "$work/country.mmdb"
printf '{ "Enrichment": { "AsnDatabase": "%s", "CountryDatabase": "%s" } }\n' "$work/asn.mmdb" "$work/country.mmdb" > "$work/enrich.json"
"$dmarc" enrich check --config "$work/enrich.json"
sqlite3_clear="DELETE FROM network_cache"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('$sqlite3_clear'); c.commit()" "$work/dmarc.db"
for run in cold 2 3 4; do
    /usr/bin/time -f "run $run: %e s elapsed, %U s user, %S s sys, %M KB max RSS" \
        "$dmarc" report --db "$work/dmarc.db" --out "$work/out" --no-dns --config "$work/enrich.json" >/dev/null
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
