#!/usr/bin/env python3
"""Where a dmarc process's CPU goes, by stage, from `perf script` output on stdin.

    perf script -i FILE | bench/perf-stages.py ingest|milter [DETAIL]

With DETAIL (a number), each stage also lists its DETAIL commonest innermost named frames.

Record with `perf record -g` and the runtime's perf map on (DOTNET_PerfMapEnabled=1, DOTNET_EnableWriteXorExecute=0,
and DOTNET_ReadyToRun=0 so that precompiled code is named too). Each sample goes to the stage of the innermost frame
that names one; SQLite and the kernel have no frame pointers, so their samples are followed up to the managed
frame that called them. What no rule names is listed by its innermost frame.
"""
import collections, re, sys

COMMON_TAIL = [
    ("JIT compiler", "libclrjit"),
    ("garbage collector", "WKS::gc"),
    ("thread pool (idle, hand-offs)", "PortableThreadPool"),
    ("thread pool (idle, hand-offs)", "LowLevelLifoSemaphore"),
    ("thread pool (idle, hand-offs)", "ThreadPoolWorkQueue"),
]

RULES = {
    "ingest": [
        ("raw XML gzip (store)", "IngestWriter::Gzip"),
        ("raw XML gzip (store)", "DeflateInit"),
        ("records into SQLite", "RecordInserter"),
        ("report row, raw update, begin, commit", "IngestWriter"),
        ("parse XML", "AggregateReportReader"),
        ("parse XML", "Utf8XmlReader"),
        ("parse XML", "XmlUtf8"),
        ("unpack (gunzip, unzip, MIME)", "ReportUnpacker"),
        ("unpack (gunzip, unzip, MIME)", "MimeKit"),
        ("read files", "InputFile"),
        ("read files", "BoundedRead"),
        ("read files", "InputQueue"),
        ("failures", "AddFailureAsync"),
        ("open store, migrate", "Database::"),
        ("start-up, command line", "Program"),
        ("start-up, command line", "System.CommandLine"),
    ],
    "milter": [
        ("DKIM verify (hash, RSA)", "DmarcAnalyzer.Auth.Dkim"),
        ("DKIM verify (hash, RSA)", "System.Security.Cryptography"),
        ("ARC", "DmarcAnalyzer.Auth.Arc"),
        ("SPF", "DmarcAnalyzer.Auth.Spf"),
        ("DMARC", "DmarcAnalyzer.Auth.Dmarc"),
        ("DNS cache", "DmarcAnalyzer.Dns."),
        ("Authentication-Results", "AuthenticationResults"),
        ("verdict log (SQLite)", "DmarcAnalyzer.Filter.Verdict"),
        ("verdict log (SQLite)", "Sqlite"),
        ("MIME parse, attachments (MimeKit)", "MimeKit"),
        ("MIME parse, attachments (MimeKit)", "DmarcAnalyzer.Archives."),
        ("filter rules", "FilterEngine"),
        ("message spool", "MessageSpool"),
        ("milter protocol, socket", "DmarcAnalyzer.Milter."),
        ("milter protocol, socket", "System.Net.Sockets"),
        ("milter protocol, socket", "System.IO.Pipelines"),
        ("logging", "Microsoft.Extensions.Logging"),
        ("other authentication steps", "DmarcAnalyzer.Auth."),
    ],
}


def main():
    rules = RULES[sys.argv[1]] + COMMON_TAIL
    detail = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    counts = collections.Counter()
    inner_frames = collections.defaultdict(collections.Counter)
    total = 0
    for sample in sys.stdin.read().split("\n\n"):
        lines = sample.strip().split("\n")
        if len(lines) < 2:
            continue
        total += 1
        frames = [re.sub(r"^\s*[0-9a-f]+\s+", "", line).strip() for line in lines[1:]]
        stage = next((name for frame in frames for name, key in rules if key in frame), None)
        if stage is None:
            inner = frames[0]
            stage = ("kernel, caller not followed" if "kernel" in inner else "SQLite, caller not followed" if "e_sqlite3" in inner
                     else "libc (malloc, memcpy, locks), caller not followed" if "libc.so" in inner else "other: " + inner[:70])
        counts[stage] += 1
        named = next((f for f in frames if "[" in f and "::" in f), frames[0])
        inner_frames[stage][re.sub(r"\+0x[0-9a-f]+ .*", "", named)[:140]] += 1
    if total == 0:
        print("no samples")
        return
    for stage, n in counts.most_common(25):
        print(f"{100 * n / total:5.1f}%  {stage}")
        for frame, m in inner_frames[stage].most_common(detail):
            print(f"         {100 * m / total:5.1f}%  {frame}")
    print(f"({total} samples)")


if __name__ == "__main__":
    main()
