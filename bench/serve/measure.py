#!/usr/bin/env python3
"""Request each page WARMUP times (default 20), then REQUESTS times (default 200); print p50/p95/max of the server-side time.

usage: [REQUESTS=N] [WARMUP=N] measure.py BASE_URL PATH...   The time is the Server-Timing header's app;dur= (milliseconds
from the request reaching the dashboard's first middleware to the response starting), so the client's own cost is left
out; the parts the page measures (analysis, charts) are printed beside it as their p50.
"""
import math
import os
import re
import sys
import time
import urllib.request

base, paths = sys.argv[1], sys.argv[2:]
requests = int(os.environ.get("REQUESTS", "200"))
warmup = int(os.environ.get("WARMUP", "20"))
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/signin", timeout=5).read()
        break
    except OSError:
        time.sleep(0.2)


def server_ms(path):
    with urllib.request.urlopen(base + path, timeout=600) as response:
        response.read()
        timing = response.headers.get("Server-Timing", "")
        parts = {name: float(ms) for name, ms in re.findall(r"([a-z]+);dur=([0-9.]+)", timing)}
        if response.status != 200 or "app" not in parts:
            sys.exit(f"{path}: status {response.status}, Server-Timing {timing!r}")
        return parts


def pick(sorted_times, share):
    """The nearest-rank percentile."""
    return sorted_times[max(0, math.ceil(len(sorted_times) * share) - 1)]


for path in paths:
    for _ in range(warmup):
        server_ms(path)
    samples = [server_ms(path) for _ in range(requests)]
    times = sorted(s["app"] for s in samples)
    line = f"{path}: p50 {pick(times, 0.5):.1f} ms, p95 {pick(times, 0.95):.1f} ms, max {times[-1]:.1f} ms ({requests} requests)"
    for name in sorted({n for s in samples for n in s} - {"app"}):
        line += f"; {name} p50 {pick(sorted(s.get(name, 0.0) for s in samples), 0.5):.1f} ms"
    print(line)
