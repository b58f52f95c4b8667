#!/usr/bin/env bash
# Ingest benchmark: one 200,000-record report and 5,000 small gzip reports, end to end into SQLite,
# beside Debian's dmarc-cat reading the same files in the same run; and the same two shapes of SMTP TLS reports
# (one with 100,000 failure details, 5,000 small gzip ones), which dmarc-cat does not read. Prints a Markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The installed form (README: Installing): published, ReadyToRun.
dotnet publish "$repo/analyzer" -c Release -o "$work/dmarc" -nologo -clp:ErrorsOnly >/dev/null
dmarc=("$work/dmarc/dmarc")

python3 "$here/generate-reports.py" "$work/large" --reports 1 --records 200000
python3 "$here/generate-reports.py" "$work/small" --reports 5000 --records 5 --gzip
python3 "$here/generate-tls-reports.py" "$work/tls-large" --reports 1 --details 100000
python3 "$here/generate-tls-reports.py" "$work/tls-small" --reports 5000 --details 3 --gzip
# The generated files reach the disk before timing starts: otherwise the store's fsyncs queue behind their writeback.
sync

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; end=$(date +%s.%N); echo "$end - $start" | bc -l; }

# The median of three runs, each into a new store: one run on a shared VM swings by a tenth of a second.
median3() { local runs=() i; for i in 1 2 3; do rm -f "$work/$1.db"*; runs+=("$(seconds "${dmarc[@]}" ingest "$work/$1" --db "$work/$1.db")"); done; printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p; }
large_ours=$(median3 large)
small_ours=$(median3 small)
tls_large_ours=$(median3 tls-large)
tls_small_ours=$(median3 tls-small)
rm -f "$work/large.db"*
/usr/bin/time -o "$work/peak" -f %M "${dmarc[@]}" ingest "$work/large" --db "$work/large.db" >/dev/null 2>&1 || true
peak_kb=$(cat "$work/peak")

if command -v dmarc-cat >/dev/null; then
  # dmarc-cat parses and prints one report per call; -N skips its reverse DNS so both do the same work.
  large_cat=$(seconds dmarc-cat -N "$work/large/"*)
  small_cat=$(seconds bash -c 'for f in "$0"/*; do dmarc-cat -N "$f"; done' "$work/small")
else
  large_cat=nan; small_cat=nan
fi

printf '| case | dmarc ingest | dmarc-cat | ratio |\n|---|---|---|---|\n'
printf '| 1 report × 200,000 records | %.2f s (%.0f records/s) | %.2f s (%.0f records/s) | %.1f× |\n' \
  "$large_ours" "$(echo "200000 / $large_ours" | bc -l)" "$large_cat" "$(echo "200000 / $large_cat" | bc -l)" "$(echo "$large_cat / $large_ours" | bc -l)"
printf '| 5,000 gzip reports × 5 records | %.2f s (%.0f reports/s) | %.2f s (%.0f reports/s) | %.1f× |\n' \
  "$small_ours" "$(echo "5000 / $small_ours" | bc -l)" "$small_cat" "$(echo "5000 / $small_cat" | bc -l)" "$(echo "$small_cat / $small_ours" | bc -l)"
# SMTP TLS reports (issue 17): dmarc-cat reads none, so there is no peer column.
printf '| 1 TLS report × 100,000 failure details | %.2f s (%.0f details/s) | — | — |\n' "$tls_large_ours" "$(echo "100000 / $tls_large_ours" | bc -l)"
printf '| 5,000 gzip TLS reports × 3 failure details | %.2f s (%.0f reports/s) | — | — |\n' "$tls_small_ours" "$(echo "5000 / $tls_small_ours" | bc -l)"
echo
echo "peak memory of dmarc ingest on the large report: $((peak_kb / 1024)) MB"
