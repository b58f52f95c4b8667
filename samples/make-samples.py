#!/usr/bin/env python3
"""Writes the synthetic reports in samples/rua/ (deterministic: run it again, get the same bytes).

Three weeks of aggregate reports for two domains, from four reporter styles, in every container
(plain XML, gzip, zip, e-mail), RFC 7489 and RFC 9990 (dmarc-2.0 namespace) formats. The senders are
what an administrator meets: the organisation's own servers, an e-mail service provider that fails
alignment until it is fixed in the third week, a mailing list that breaks DKIM, and spoofers (IPv4
and IPv6).
"""
import base64, datetime, gzip, io, os, random, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "rua")
START = datetime.datetime(2026, 10, 26, tzinfo=datetime.timezone.utc)  # a Monday: ISO week 2026-W44
DAYS = 21

def senders(domain, day):
    esp_fixed = day >= 14
    s = [
        # ip, count, dkim(eval), spf(eval), dkim results, spf result, reasons
        ("203.0.113.10", 480, "pass", "pass", [(domain, "s2026", "pass")], (domain, "pass"), []),
        ("2001:db8:10::25", 150, "pass", "pass", [(domain, "s2026", "pass")], (domain, "pass"), []),
        ("198.51.100.20", 120, "pass" if esp_fixed else "fail", "fail",
         [(domain if esp_fixed else "esp-mailer.example", "esp1", "pass")], ("bounce.esp-mailer.example", "pass"), []),
        ("192.0.2.55", 12, "fail", "fail", [(domain, "s2026", "fail")], ("lists.example.net", "pass"),
         [("mailing_list", "list rewrote the body")]),
        ("45.83.64.7", 35, "fail", "fail", [], (domain, "fail"), []),
        ("2001:db8:bad::1", 9, "fail", "fail", [], (domain, "softfail"), []),
    ]
    if domain == "example.org":
        s = s[:2]
    return s

def record(domain, ip, count, dkim, spf, dkims, spf_result, reasons, v2):
    disposition = "none"
    r = [f"<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>",
         f"<disposition>{disposition}</disposition><dkim>{dkim}</dkim><spf>{spf}</spf>"]
    for t, c in reasons:
        r.append(f"<reason><type>{t}</type><comment>{c}</comment></reason>")
    r.append(f"</policy_evaluated></row><identifiers>")
    if v2:
        r.append(f"<envelope_to>mx.receiver.example</envelope_to>")
    r.append(f"<envelope_from>{spf_result[0]}</envelope_from><header_from>{domain}</header_from></identifiers><auth_results>")
    for d, sel, res in dkims:
        r.append(f"<dkim><domain>{d}</domain><selector>{sel}</selector><result>{res}</result></dkim>")
    r.append(f"<spf><domain>{spf_result[0]}</domain><scope>mfrom</scope><result>{spf_result[1]}</result></spf>")
    r.append("</auth_results></record>")
    return "".join(r)

def report(org, email, rid, domain, p, day, scale, v2=False):
    begin = START + datetime.timedelta(days=day)
    end = begin + datetime.timedelta(seconds=86399)
    rng = random.Random(f"{org}{domain}{day}")
    ns = ' xmlns="urn:ietf:params:xml:ns:dmarc-2.0"' if v2 else ""
    x = [f'<?xml version="1.0" encoding="UTF-8"?>\n<feedback{ns}>\n<version>{"1.0" if v2 else "1.0"}</version>\n',
         f"<report_metadata><org_name>{org}</org_name><email>{email}</email><report_id>{rid}</report_id>",
         f"<date_range><begin>{int(begin.timestamp())}</begin><end>{int(end.timestamp())}</end></date_range>"]
    if v2:
        x.append("<generator>sample-generator 1.0</generator>")
    x.append("</report_metadata>\n<policy_published>")
    x.append(f"<domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf><p>{p}</p><sp>{p}</sp>")
    x.append("<np>reject</np><discovery_method>treewalk</discovery_method><testing>n</testing>" if v2 else "<pct>100</pct>")
    x.append("</policy_published>\n")
    for ip, count, dkim, spf, dkims, spf_result, reasons in senders(domain, day):
        n = max(1, int(count * scale * rng.uniform(0.8, 1.2)))
        x.append(record(domain, ip, n, dkim, spf, dkims, spf_result, reasons, v2) + "\n")
    x.append("</feedback>\n")
    return "".join(x).encode()

def write(name, data):
    os.makedirs(os.path.dirname(os.path.join(OUT, name)), exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)

def gz(data):
    b = io.BytesIO()
    with gzip.GzipFile(fileobj=b, mode="wb", mtime=0) as g:
        g.write(data)
    return b.getvalue()

def zipped(name, data, when):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, data)
    return b.getvalue()

def email(subject, filename, attachment, content_type, when):
    body = base64.encodebytes(attachment).decode().replace("\n", "\r\n")
    return (f"Return-Path: <noreply-dmarc-support@google.com>\r\n"
            f"From: noreply-dmarc-support@google.com\r\n"
            f"To: dmarc-reports@example.com\r\n"
            f"Subject: {subject}\r\n"
            f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
            f"Message-ID: <{filename}@google.com>\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            f"--b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
            f"This is an aggregate report from google.com.\r\n\r\n"
            f"--b1\r\nContent-Type: {content_type}; name=\"{filename}\"\r\n"
            f"Content-Disposition: attachment; filename=\"{filename}\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{body}--b1--\r\n").encode()

for day in range(DAYS):
    d = START + datetime.timedelta(days=day)
    stamp = int(d.timestamp())
    # Google: gzip by e-mail, the way it really arrives.
    g = report("google.com", "noreply-dmarc-support@google.com", f"{stamp}{day:04d}", "example.com", "none", day, 1.0)
    name = f"google.com!example.com!{stamp}!{stamp + 86399}.xml.gz"
    if day % 7 == 0:
        write(f"google/{name}.eml", email(f"Report domain: example.com Submitter: google.com Report-ID: <{stamp}>",
                                        name, gz(g), "application/gzip", d + datetime.timedelta(days=1)))
    else:
        write(f"google/{name}", gz(g))
    # Microsoft: zip.
    m = report("Enterprise Outlook", "dmarcreport@microsoft.com", f"ms-{day:03d}-5f1c2a", "example.com", "none", day, 0.6)
    write(f"outlook/enterprise.protection.outlook.com!example.com!{stamp}!{stamp + 86399}.zip",
          zipped(f"enterprise.protection.outlook.com!example.com!{stamp}!{stamp + 86399}.xml", m, d))
    # Yahoo: plain XML.
    y = report("Yahoo", "dmarchelp@yahooinc.com", f"{stamp}.{day}", "example.com", "none", day, 0.3)
    write(f"yahoo/yahoo.com!example.com!{stamp}!{stamp + 86399}.xml", y)
    # A receiver that speaks RFC 9990, for the second domain, which is ready for enforcement.
    w = report("GMX", "noreply-dmarc@gmx.net", f"gmx-{stamp}", "example.org", "quarantine", day, 0.5, v2=True)
    write(f"gmx/gmx.net!example.org!{stamp}!{stamp + 86399}.xml.gz", gz(w))
