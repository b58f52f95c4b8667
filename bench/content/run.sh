#!/bin/sh
# Verdict latency of ordinary messages while four hostile ones are in flight (issue 14); see bench/README.md.
# Needs xz (Debian xz-utils) to build the hostile 7z. Usage: bench/content/run.sh [ORDINARY_COUNT]
set -e
cd "$(dirname "$0")"
dotnet run -c Release --project content-bench.csproj -- "${1:-40}"
