#!/usr/bin/env python3
"""Request each page 20 times to warm up, then 200 times; print p50/p95/max of the server-side time.

usage: measure.py BASE_URL PATH...   The time is the Server-Timing header's app;dur= (milliseconds from the request
reaching the dashboard's first middleware to the response starting), so the client's own cost is left out.
"""
import re
import sys
import time
import urllib.request

base, paths = sys.argv[1], sys.argv[2:]
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/signin", timeout=5).read()
        break
    except OSError:
        time.sleep(0.2)


def server_ms(path):
    with urllib.request.urlopen(base + path, timeout=120) as response:
        response.read()
        match = re.search(r"app;dur=([0-9.]+)", response.headers.get("Server-Timing", ""))
        if response.status != 200 or not match:
            sys.exit(f"{path}: status {response.status}, Server-Timing {response.headers.get('Server-Timing')!r}")
        return float(match.group(1))


for path in paths:
    for _ in range(20):
        server_ms(path)
    times = sorted(server_ms(path) for _ in range(200))
    print(f"{path}: p50 {times[99]:.1f} ms, p95 {times[189]:.1f} ms, max {times[-1]:.1f} ms (200 requests)")
