#!/usr/bin/env python3
"""Synthetic DMARC aggregate reports for benchmarks.

    generate-reports.py OUT_DIR --reports N --records M [--gzip]

Writes N reports of M records each (RFC 7489 format, a mix of IPv4/IPv6 sources, pass and fail, one
DKIM and one SPF result per record), deterministic for the same arguments.
"""
import argparse, gzip, os, random

def report(i, records, rng):
    begin = 1_790_000_000 + i * 86_400
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<feedback><version>1.0</version>'
           f'<report_metadata><org_name>bench.example</org_name><email>dmarc@bench.example</email>'
           f'<report_id>bench-{i}-{records}</report_id><date_range><begin>{begin}</begin><end>{begin + 86_399}</end></date_range>'
           f'</report_metadata><policy_published><domain>example.com</domain><adkim>r</adkim><aspf>r</aspf>'
           f'<p>none</p><sp>none</sp><pct>100</pct></policy_published>\n']
    for r in range(records):
        ip = f"198.51.{r // 250 % 250}.{r % 250 + 1}" if r % 5 else f"2001:db8:{r % 65536:x}::{r % 997 + 1:x}"
        ok = rng.random() < 0.8
        res = "pass" if ok else "fail"
        out.append(f'<record><row><source_ip>{ip}</source_ip><count>{rng.randint(1, 500)}</count>'
                   f'<policy_evaluated><disposition>none</disposition><dkim>{res}</dkim><spf>{res}</spf></policy_evaluated></row>'
                   f'<identifiers><header_from>example.com</header_from><envelope_from>example.com</envelope_from></identifiers>'
                   f'<auth_results><dkim><domain>example.com</domain><selector>s{r % 3}</selector><result>{res}</result></dkim>'
                   f'<spf><domain>example.com</domain><scope>mfrom</scope><result>{res}</result></spf></auth_results></record>\n')
    out.append("</feedback>\n")
    return "".join(out).encode()

def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--reports", type=int, required=True)
    p.add_argument("--records", type=int, required=True)
    p.add_argument("--gzip", action="store_true")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.reports * 1_000_003 + a.records)
    for i in range(a.reports):
        data = report(i, a.records, rng)
        name = os.path.join(a.out, f"bench.example!example.com!{i}!{a.records}.xml")
        if a.gzip:
            with open(name + ".gz", "wb") as f:
                f.write(gzip.compress(data, mtime=0))
        else:
            with open(name, "wb") as f:
                f.write(data)

if __name__ == "__main__":
    main()
