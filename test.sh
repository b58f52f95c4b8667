#!/usr/bin/env bash
# Installs what the tests need (Debian packages, as root on a fresh machine), then runs the tests.
# The README gives this as the test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")"

# Real peers the integration tests start on 127.0.0.1: Dovecot (IMAP), Postfix (milter), python3-dkim
# and python3-spf (DKIM and SPF cross-checks), Perl's Mail::DKIM (ARC cross-checks), the Public Suffix List (DMARC PSL mode), DejaVu fonts (ScottPlot's charts),
# 7-Zip, xz and Info-ZIP zip (real encrypted 7z and ZIP archives and LZMA streams for the archive rule), headless LibreOffice with
# Python-UNO (real password-protected .doc and .xls files for the same rule), MaxMind's DB writer for Perl (small .mmdb
# network databases made in the enrichment tests), Chromium (the report page at a phone's width,
# the dashboard's browser tests driven by Playwright), xmllint, dmarc-cat and
# Mail::DMARC (our outgoing reports read back by other tools), PostgreSQL 15 (the shared store; the tests initdb a private cluster).
packages=(dovecot-imapd postfix python3-dkim python3-spf libmail-dkim-perl publicsuffix fonts-dejavu-core 7zip xz-utils zip
  libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui python3-uno libmaxmind-db-writer-perl chromium
  libxml2-utils dmarc-cat libmail-dmarc-perl postgresql)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing Debian packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Postfix asks what kind of mail host this is; the tests run their own instance, so: none.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string localhost" | debconf-set-selections
  # apt's output goes to a log, shown only when the installation fails.
  echo "test.sh: installing ${missing[*]} (log: test-apt.log)" >&2
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >test-apt.log 2>&1; then
    cat test-apt.log >&2
    echo "test.sh: the installation failed (log: test-apt.log)" >&2
    exit 1
  fi
  # The packages' own daemons are not ours to run: the tests start private instances.
  for s in dovecot postfix postgresql; do
    service "$s" stop >/dev/null 2>&1 || true
  done
fi

dotnet build DmarcAnalyzer.sln -c Release -nologo -clp:ErrorsOnly
log=$(mktemp)
set +e
dotnet test DmarcAnalyzer.sln -c Release --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line that any CI reads: "N passed, N failed, N skipped", from dotnet test's totals.
awk '/^ +Passed: [0-9]+$/ { p += $2 } /^ +Failed: [0-9]+$/ { f += $2 } /^ +Skipped: [0-9]+$/ { s += $2 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
