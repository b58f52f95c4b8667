#!/usr/bin/env python3
"""Writes synthetic SMTP TLS reports (RFC 8460) for the ingest benchmark.

generate-tls-reports.py OUT --reports N --details M [--gzip]: N reports, each with an sts policy carrying M failure
details and a no-policy-found policy; deterministic (the same arguments give the same bytes).
"""
import argparse, datetime, gzip, json, os

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--reports", type=int, required=True)
parser.add_argument("--details", type=int, required=True)
parser.add_argument("--gzip", action="store_true")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)
kinds = ["certificate-expired", "starttls-not-supported", "validation-failure", "sts-policy-fetch-error"]
for n in range(args.reports):
    begin = 1_790_000_000 + 86400 * (n % 365)
    details = [{"result-type": kinds[i % len(kinds)], "sending-mta-ip": f"198.51.{(i >> 8) % 256}.{i % 256}",
                "receiving-mx-hostname": f"mx{i % 4}.example.com", "receiving-ip": "203.0.113.25",
                "failed-session-count": 1 + i % 7} for i in range(args.details)]
    report = {"organization-name": f"Sender {n % 50}", "report-id": f"bench-{n}",
              "date-range": {},
              "contact-info": "tls@sender.example",
              "policies": [{"policy": {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: enforce", "mx: *.example.com", "max_age: 604800"],
                                       "policy-domain": "example.com", "mx-host": ["*.example.com"]},
                            "summary": {"total-successful-session-count": 5000, "total-failure-session-count": sum(d["failed-session-count"] for d in details)},
                            "failure-details": details},
                           {"policy": {"policy-type": "no-policy-found", "policy-domain": "example.org"},
                            "summary": {"total-successful-session-count": 300, "total-failure-session-count": 0}}]}

    for key, t in (("start-datetime", begin), ("end-datetime", begin + 86399)):
        report["date-range"][key] = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = json.dumps(report).encode()
    name = f"sender{n % 50}!example.com!{begin}!{begin + 86399}!{n}.json"
    if args.gzip:
        with open(os.path.join(args.out, name + ".gz"), "wb") as f:
            f.write(gzip.compress(data, mtime=0))
    else:
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(data)
