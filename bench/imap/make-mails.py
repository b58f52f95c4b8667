#!/usr/bin/env python3
"""Report mails for the IMAP benchmark, written straight into a Maildir's new/ folder.

    make-mails.py MAILDIR --mails N [--records M]

Each mail is what a reporter sends (RFC 7489 §7.2.1.1): a text part and a gzip-compressed aggregate report
of M records as an attachment, with a report_id of its own. Deterministic for the same arguments.
"""
import argparse, base64, gzip, importlib.util, os, random

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("generate", os.path.join(here, "..", "ingest", "generate-reports.py"))
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)


def mail(i, records, rng):
    xml = generate.report(i, records, rng).replace(f"bench-{i}-{records}".encode(), f"imap-bench-{i}".encode())
    payload = base64.encodebytes(gzip.compress(xml, mtime=0)).decode().replace("\n", "\r\n")
    name = f"bench.example!example.com!{1_790_000_000 + i * 86_400}!{1_790_086_399 + i * 86_400}.xml.gz"
    return (f"From: dmarc@bench.example\r\nTo: rua@example.com\r\nSubject: Report domain: example.com Submitter: bench.example Report-ID: imap-bench-{i}\r\n"
            f"Message-ID: <imap-bench-{i}@bench.example>\r\nDate: Sat, 21 Nov 2026 00:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n"
            f"--b{i}\r\nContent-Type: text/plain\r\n\r\nThis is an aggregate report from bench.example.\r\n"
            f"--b{i}\r\nContent-Type: application/gzip; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{payload}--b{i}--\r\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("maildir")
    parser.add_argument("--mails", type=int, required=True)
    parser.add_argument("--records", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(args.maildir, sub), exist_ok=True)
    for i in range(args.mails):
        with open(os.path.join(args.maildir, "new", f"{1_790_000_000 + i}.M{i}P1.bench"), "w", newline="") as f:
            f.write(mail(i, args.records, rng))


if __name__ == "__main__":
    main()
