#!/usr/bin/env python3
"""A Maildir of report mails as a report mailbox holds them, for benchmarks.

    generate-maildir.py OUT_MAILDIR --mails N [--corpus DIR] [--attachments DIR]

Each mail carries one aggregate report as a base64 attachment, gzip or zip (as the large reporters send them),
beside a short text part. The record count of each report is drawn from the record counts of the corpus's
aggregate reports (every report with at least one record, capped at 500), so most reports have one or two records
and a few have hundreds. Deterministic for the same arguments and corpus. --attachments also writes each
mail's attachment as a file, for a peer that reads report files but not mail (dmarc-cat).
"""
import argparse, base64, glob, gzip, io, os, random, re, zipfile

import importlib.util
_spec = importlib.util.spec_from_file_location("generate_reports", os.path.join(os.path.dirname(__file__), "generate-reports.py"))
generate_reports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate_reports)

# The corpus's counts (2026-12-07), used when the corpus is not at hand: 34 reports of 1 record, 6 of 2, ...
FALLBACK = [1] * 34 + [2] * 6 + [3, 4, 8, 20, 20, 2286]


def corpus_counts(folder):
    counts = []
    for path in sorted(glob.glob(os.path.join(folder, "aggregate", "*"))):
        if not os.path.isfile(path) or path.endswith(".eml"):
            continue
        data = open(path, "rb").read()
        try:
            if path.endswith(".gz"):
                while data[:2] == b"\x1f\x8b":
                    data = gzip.decompress(data)
            elif path.endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(data)) as z:
                    data = b"".join(z.read(n) for n in z.namelist())
        except Exception:
            continue
        n = len(re.findall(rb"<record>", data))
        if n > 0:
            counts.append(n)
    return counts or FALLBACK


def attach(i, xml, records, rng):
    name = f"bench.example!example.com!{i}!{records}"
    if rng.random() < 0.5:
        attachment, filename, ctype = gzip.compress(xml, mtime=0), name + ".xml.gz", "application/gzip"
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name + ".xml", xml)
        attachment, filename, ctype = buffer.getvalue(), name + ".zip", "application/zip"
    return attachment, filename, ctype


def mail(i, records, attachment, filename, ctype):
    body = base64.encodebytes(attachment).decode().replace("\n", "\r\n")
    return (f"Return-Path: <dmarc@bench.example>\r\n"
            f"From: DMARC Aggregate Report <dmarc@bench.example>\r\n"
            f"To: dmarc-reports@example.com\r\n"
            f"Subject: Report domain: example.com Submitter: bench.example Report-ID: <bench-{i}-{records}>\r\n"
            f"Date: Mon, 7 Dec 2026 06:00:00 +0000\r\n"
            f"Message-ID: <report-{i}@bench.example>\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n"
            f"--b{i}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"This is an aggregate report from bench.example.\r\n\r\n"
            f"--b{i}\r\nContent-Type: {ctype}; name=\"{filename}\"\r\n"
            f"Content-Disposition: attachment; filename=\"{filename}\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n--b{i}--\r\n").encode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--mails", type=int, required=True)
    p.add_argument("--attachments")
    p.add_argument("--corpus", default=os.environ.get("DMARC_CORPUS", os.path.join(os.path.dirname(__file__), "../../../shared/corpus")))
    a = p.parse_args()
    counts = [min(n, 500) for n in corpus_counts(a.corpus)]
    rng = random.Random(a.mails)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(a.out, sub), exist_ok=True)
    total = 0
    for i in range(a.mails):
        records = rng.choice(counts)
        total += records
        attachment, filename, ctype = attach(i, generate_reports.report(i, records, rng), records, rng)
        with open(os.path.join(a.out, "cur", f"{1_796_600_000 + i}.M{i}P1.bench:2,S"), "wb") as f:
            f.write(mail(i, records, attachment, filename, ctype))
        if a.attachments:
            os.makedirs(a.attachments, exist_ok=True)
            with open(os.path.join(a.attachments, filename), "wb") as f:
                f.write(attachment)
    print(total)


if __name__ == "__main__":
    main()
