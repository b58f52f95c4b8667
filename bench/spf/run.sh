#!/bin/sh
# SPF evaluations per second from a warm cache and allocations per call; SECONDS of timing (default 5).
set -e
cd "$(dirname "$0")"
dotnet run -c Release --project SpfBench.csproj -- "${1:-5}"
