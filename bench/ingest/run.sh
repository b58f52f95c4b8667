#!/usr/bin/env bash
# Ingest benchmark, end to end into a new SQLite store, beside Debian's dmarc-cat reading the same reports in the same
# run (one process per file, as it must run): one 200,000-record report, 5,000 gzip reports of 5 and of 50 records,
# and a Maildir of 5,000 report mails (gzip or zip attachments) whose record counts are drawn from the corpus
# (generate-maildir.py; dmarc-cat reads no mail, so it gets the same attachments as files). Then the same two shapes
# of SMTP TLS reports, which dmarc-cat does not read. Every figure is the median of RUNS runs (default 5; dmarc-cat:
# CAT_RUNS, default 1, since one run of it takes a minute or more), as wall time and as CPU time (user + system), with
# the load average at the start of the row: on a shared machine the CPU time is the comparable figure.
# DMARC_BIN=DIR takes an already published dmarc from DIR. Prints a Markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-5}
cat_runs=${CAT_RUNS:-1}

# The installed form (README: Installing): published, ReadyToRun.
if [ -n "${DMARC_BIN:-}" ]; then
  dmarc=("$DMARC_BIN/dmarc")
else
  dotnet publish "$repo/analyzer" -c Release -o "$work/dmarc" -nologo -clp:ErrorsOnly >/dev/null
  dmarc=("$work/dmarc/dmarc")
fi

python3 "$here/generate-reports.py" "$work/large" --reports 1 --records 200000
python3 "$here/generate-reports.py" "$work/small" --reports 5000 --records 5 --gzip
python3 "$here/generate-reports.py" "$work/small50" --reports 5000 --records 50 --gzip
maildir_records=$(python3 "$here/generate-maildir.py" "$work/maildir" --mails 5000 --attachments "$work/attachments")
python3 "$here/generate-tls-reports.py" "$work/tls-large" --reports 1 --details 100000
python3 "$here/generate-tls-reports.py" "$work/tls-small" --reports 5000 --details 3 --gzip
# The generated files reach the disk before timing starts: otherwise the store's fsyncs queue behind their writeback.
sync

# One timed run: "wall cpu" in seconds.
timed() { /usr/bin/time -o "$work/time" -f '%e %U %S' "$@" >/dev/null 2>&1 || true; awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$work/time"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# $1: input folder; prints "wall cpu", each the median of $runs runs into a new store.
ours() {
  local results=() i
  for i in $(seq "$runs"); do rm -f "$work/db"*; results+=("$(timed "${dmarc[@]}" ingest "$1" --db "$work/db")"); done
  printf '%s\n' "${results[@]}" | awk '{ print $1 }' | median | tr '\n' ' '
  printf '%s\n' "${results[@]}" | awk '{ print $2 }' | median
}
# $1: folder of report files; dmarc-cat -N (no reverse DNS, so both do the same work) on each file in turn.
theirs() {
  command -v dmarc-cat >/dev/null || { echo "nan nan"; return; }
  local results=() i
  for i in $(seq "$cat_runs"); do results+=("$(timed bash -c 'for f in "$0"/*; do dmarc-cat -N "$f"; done' "$1")"); done
  printf '%s\n' "${results[@]}" | awk '{ print $1 }' | median | tr '\n' ' '
  printf '%s\n' "${results[@]}" | awk '{ print $2 }' | median
}
load() { cut -d' ' -f1 /proc/loadavg; }

printf '| case | load | dmarc ingest wall | CPU | dmarc-cat wall | CPU | ratio wall | ratio CPU |\n|---|---|---|---|---|---|---|---|\n'
row() { # $1: label, $2: unit count, $3: unit, $4: our folder, $5: dmarc-cat's folder (or "")
  local l ow oc tw tc
  l=$(load)
  read -r ow oc <<<"$(ours "$4")"
  if [ -n "$5" ]; then read -r tw tc <<<"$(theirs "$5")"; else tw=nan; tc=nan; fi
  awk -v label="$1" -v l="$l" -v n="$2" -v unit="$3" -v ow="$ow" -v oc="$oc" -v tw="$tw" -v tc="$tc" 'BEGIN {
    if (tw == "nan") printf "| %s | %s | %.2f s (%.0f %s/s) | %.2f s | — | — | — | — |\n", label, l, ow, n / ow, unit, oc
    else printf "| %s | %s | %.2f s (%.0f %s/s) | %.2f s | %.2f s | %.2f s | %.1f× | %.1f× |\n", label, l, ow, n / ow, unit, oc, tw, tc, tw / ow, tc / oc }'
}
row "1 report × 200,000 records" 200000 records "$work/large" "$work/large"
row "5,000 gzip reports × 5 records" 5000 reports "$work/small" "$work/small"
row "5,000 gzip reports × 50 records" 5000 reports "$work/small50" "$work/small50"
row "Maildir, 5,000 mails, $maildir_records records" 5000 mails "$work/maildir" "$work/attachments"
# SMTP TLS reports (issue 17): dmarc-cat reads none, so there is no peer column.
row "1 TLS report × 100,000 failure details" 100000 details "$work/tls-large" ""
row "5,000 gzip TLS reports × 3 failure details" 5000 reports "$work/tls-small" ""

rm -f "$work/db"*
/usr/bin/time -o "$work/peak" -f %M "${dmarc[@]}" ingest "$work/large" --db "$work/db" >/dev/null 2>&1 || true
echo
echo "peak memory of dmarc ingest on the large report: $(( $(cat "$work/peak") / 1024 )) MB"
if command -v perf >/dev/null; then
  # Context switches and the system calls that dominate small reports (WAL frames written, fsyncs).
  rm -f "$work/db"*
  perf stat -x, -e task-clock,context-switches,syscalls:sys_enter_pwrite64,syscalls:sys_enter_fsync -o "$work/stat" \
    "${dmarc[@]}" ingest "$work/small50" --db "$work/db" >/dev/null 2>&1 || true
  echo "perf stat, 5,000 gzip reports × 50 records: $(awk -F, '!/^#/ && NF > 2 { printf "%s %s; ", $1, $3 }' "$work/stat")"
fi
