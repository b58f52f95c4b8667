#!/usr/bin/env python3
"""Two or more builds of `dmarc report` over the same store, run in alternation, with each stage's time.

    bench/report/compare.py WORKDIR RUNS LABEL=DIR[@STORE] [LABEL=DIR[@STORE] ...] [--enriched]

WORKDIR holds the store of run.sh (dmarc.db) and, with --enriched, enrich.json from run-enriched.sh (both databases
and the built-in catalogue; the network cache as the previous run left it). Each DIR holds a published dmarc. Every
round runs each build once, in the order given, with DMARC_TIMINGS=true: a build's stages (ReportStages) are read
from its standard error. Prints each run (wall, user and sys from wait4) and then, per build, the median of each stage
and of the totals. The outputs of the builds are compared file by file (index.html's "generated" minute aside).
@STORE (a file name in WORKDIR, default dmarc.db) gives a build its own copy of the store: a build with a newer schema
migrates the store it opens, and an older build refuses a store of a newer schema.
"""
import os, re, statistics, subprocess, sys, tempfile, time


def run(label, folder, work, enriched):
    folder, _, store = folder.partition("@")
    out = os.path.join(work, "out-" + label)
    args = [os.path.join(folder, "dmarc"), "report", "--db", os.path.join(work, store or "dmarc.db"), "--out", out, "--no-dns"]
    if enriched:
        args += ["--config", os.path.join(work, "enrich.json")]
    with tempfile.TemporaryFile("w+") as stderr:
        started = time.monotonic()
        child = subprocess.Popen(args, env=dict(os.environ, DMARC_TIMINGS="true"), stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        text = stderr.read()
    if child.returncode != 0:
        sys.exit(f"{label}: exit {child.returncode}\n{text}")
    stages = {m.group(1): float(m.group(2)) / 1000
              for m in re.finditer(r"^timing: (.+?) ([0-9.]+) ms", text, re.M)}
    return {"wall": wall, "user": usage.ru_utime, "sys": usage.ru_stime, "rss": usage.ru_maxrss, "stages": stages}


def same_outputs(work, labels):
    first = os.path.join(work, "out-" + labels[0])
    differ = []
    for other in labels[1:]:
        for name in sorted(os.listdir(first)):
            a = open(os.path.join(first, name), "rb").read()
            b = open(os.path.join(work, "out-" + other, name), "rb").read()
            if name == "index.html":
                a, b = (re.sub(rb"generated [0-9-]+ [0-9:]+ UTC", b"generated", x) for x in (a, b))
            if a != b:
                differ.append(f"{other}/{name}")
    return differ


def main():
    enriched = "--enriched" in sys.argv
    positional = [a for a in sys.argv[1:] if a != "--enriched"]
    work, runs = positional[0], int(positional[1])
    builds = [b.split("=", 1) for b in positional[2:]]
    results = {label: [] for label, _ in builds}
    for n in range(1, runs + 1):
        for label, folder in builds:
            r = run(label, folder, work, enriched)
            results[label].append(r)
            load = open("/proc/loadavg").read().split()[:3]
            print(f"round {n} {label}: {r['wall']:.2f} s wall, {r['user']:.2f} s user, {r['sys']:.2f} s sys, "
                  f"{r['rss'] // 1024} MB; load {' '.join(load)}", flush=True)
    print()
    stages = list(dict.fromkeys(s for rs in results.values() for r in rs for s in r["stages"]))
    print("stage (median s) | " + " | ".join(label for label, _ in builds))
    for stage in stages:
        cells = [statistics.median(r["stages"].get(stage, 0.0) for r in results[label]) for label, _ in builds]
        print(f"{stage} | " + " | ".join(f"{c:.3f}" for c in cells))
    for total in ("wall", "user", "sys"):
        cells = [statistics.median(r[total] for r in results[label]) for label, _ in builds]
        print(f"{total} | " + " | ".join(f"{c:.2f}" for c in cells))
    cpu = [statistics.median(r["user"] + r["sys"] for r in results[label]) for label, _ in builds]
    print("user+sys | " + " | ".join(f"{c:.2f}" for c in cpu))
    differ = same_outputs(work, [label for label, _ in builds])
    print("outputs: " + ("the same" if not differ else "differ: " + ", ".join(differ)))


if __name__ == "__main__":
    main()
