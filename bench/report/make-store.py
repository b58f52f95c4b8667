#!/usr/bin/env python3
"""Fill a DmarcAnalyzer store with synthetic aggregate reports, for the `dmarc report` benchmark and demos.

usage: make-store.py DB REPORTS RECORDS_PER_REPORT [DAYS]

DB must already have the schema (run `dmarc report --db DB --out /tmp/x` once). Deterministic (seeded).
Sources: the organisation's relays (192.0.2.0/24, mostly aligned, a few failing), a newsletter
service (198.51.100.0/24, DKIM not aligned), forwarders and mailing lists, and spoofers.
"""
import random
import sqlite3
import sys

db, reports, per_report = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
days = int(sys.argv[4]) if len(sys.argv) > 4 else 56
rng = random.Random(6)
domains = ["example.com", "example.org", "shop.example.net"]
reporters = ["google.com", "Yahoo", "Microsoft Corporation", "Mail.Ru", "web.de", "comcast.net", "Fastmail"]
start = 1767571200  # 2026-01-05 00:00 UTC, a Monday


def source():
    roll = rng.random()
    if roll < 0.70:
        return "relay", f"192.0.2.{rng.randint(1, 20)}"
    if roll < 0.82:
        return "newsletter", f"198.51.100.{rng.randint(1, 40)}"
    if roll < 0.90:
        return "forward", f"203.0.113.{rng.randint(1, 60)}"
    return "spoof", f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


con = sqlite3.connect(db)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=OFF")
record_id = con.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0]
report_id = con.execute("SELECT coalesce(max(id), 0) FROM reports").fetchone()[0]
first_report = report_id + 1
rep_rows, rec_rows, reason_rows = [], [], []
for n in range(reports):
    report_id += 1
    day = n * days // reports
    domain = domains[0] if rng.random() < 0.7 else rng.choice(domains[1:])
    begin = start + day * 86400
    rep_rows.append((report_id, rng.choice(reporters), f"bench-{report_id}", domain, begin, begin + 86399,
                     "none" if day < days // 2 else "quarantine", None, None, "bench", begin + 90000, b""))
    for _ in range(per_report):
        record_id += 1
        kind, ip = source()
        count = rng.randint(1, 50)
        improving = day / days
        if kind == "relay":
            fails = rng.random() < 0.05 * (1 - improving)
            dkim, spf = ("fail", "fail") if fails else ("pass", "pass")
        elif kind == "newsletter":
            dkim, spf = ("pass", "pass") if rng.random() < improving else ("fail", "pass" if rng.random() < 0.3 else "fail")
        elif kind == "forward":
            dkim, spf = ("pass", "fail") if rng.random() < 0.6 else ("fail", "fail")
        else:
            dkim, spf = "fail", "fail"
        disposition = "none" if dkim == "pass" or spf == "pass" or day < days // 2 else "quarantine"
        # One DKIM and one SPF result per record: both in the record's own row (schema migration 2).
        rec_rows.append((record_id, report_id, ip, count, disposition, dkim, spf, domain,
                         domain if dkim == "pass" else "esp.example", "s1",
                         "pass" if dkim == "pass" or kind == "newsletter" else rng.choice(["fail", "none", "temperror"]),
                         domain if spf == "pass" else "bounce.example", "mfrom",
                         "pass" if spf == "pass" else rng.choice(["fail", "softfail", "neutral", "none"])))
        if kind == "forward" and dkim == "fail" and rng.random() < 0.5:
            reason_rows.append((record_id, rng.choice(["forwarded", "mailing_list"])))
        elif disposition == "none" and dkim == "fail" and spf == "fail" and day >= days // 2:
            reason_rows.append((record_id, "local_policy"))
    if len(rec_rows) >= 200_000 or n == reports - 1:
        con.executemany("INSERT INTO reports (id, org_name, report_id, domain, begin_utc, end_utc, p, sp, np, source, ingested_utc, raw_gzip) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rep_rows)
        con.executemany("INSERT INTO records (id, report, source_ip, count, disposition, dkim_eval, spf_eval, header_from, "
                        "dkim_domain, dkim_selector, dkim_result, spf_domain, spf_scope, spf_result) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rec_rows)
        con.executemany("INSERT INTO record_reasons (record, type) VALUES (?,?)", reason_rows)
        con.commit()
        rep_rows, rec_rows, reason_rows = [], [], []
# What ingest sums per report as it stores the records (report_results).
for kind, view, column in (("spf", "spf_results", "result"), ("dkim", "dkim_results", "result"), ("reason", "record_reasons", "type")):
    con.execute(f"INSERT INTO report_results (report, kind, value, messages) "
                f"SELECT r.report, '{kind}', x.{column}, sum(r.count) FROM {view} x JOIN records r ON r.id = x.record "
                f"WHERE r.report >= ? GROUP BY r.report, x.{column}", (first_report,))
con.commit()
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
con.close()
print(f"{db}: {reports} reports, {reports * per_report} records")
