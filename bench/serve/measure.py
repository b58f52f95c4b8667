#!/usr/bin/env python3
"""Request each page WARMUP times (default 20), then REQUESTS times (default 200); print p50/p95/max of the server-side time.

usage: [REQUESTS=N] [WARMUP=N] [SERVER_PID=N] measure.py BASE_URL PATH...   The time is the Server-Timing header's
app;dur= (milliseconds from the request reaching the dashboard's first middleware to the response starting), so the
client's own cost is left out; the parts the page measures (analysis, charts) are printed beside it as their p50.
"first" is the page's first request (cold: it waits for the page's analysis unless the server computed it already);
with SERVER_PID, the server's CPU time (user+sys) over each page's requests and the load average are printed too.
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


def server_cpu():
    """The server's user+sys CPU seconds so far, when SERVER_PID names it."""
    pid = os.environ.get("SERVER_PID")
    if not pid:
        return None
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pick(sorted_times, share):
    """The nearest-rank percentile."""
    return sorted_times[max(0, math.ceil(len(sorted_times) * share) - 1)]


for path in paths:
    first = server_ms(path)
    for _ in range(warmup - 1):
        server_ms(path)
    cpu = server_cpu()
    samples = [server_ms(path) for _ in range(requests)]
    times = sorted(s["app"] for s in samples)
    line = (f"{path}: first {first['app']:.1f} ms; p50 {pick(times, 0.5):.1f} ms, p95 {pick(times, 0.95):.1f} ms,"
            f" max {times[-1]:.1f} ms ({requests} requests)")
    if cpu is not None:
        line += f"; server CPU {server_cpu() - cpu:.2f} s; load {open('/proc/loadavg').read().split()[0]}"
    for name in sorted({n for s in samples for n in s} - {"app"}):
        line += f"; {name} p50 {pick(sorted(s.get(name, 0.0) for s in samples), 0.5):.1f} ms"
    print(line)
