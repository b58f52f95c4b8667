#!/usr/bin/env python3
"""Writes the synthetic SMTP TLS reports (samples/tls/) and DMARC failure reports (samples/failure/).

Deterministic: run it again, get the same bytes. The TLS reports (RFC 8460) cover a week for example.com, which
publishes MTA-STS and has one MX whose certificate expires mid-week, and example.org, which publishes no policy;
as plain JSON, gzip JSON and e-mail (application/tlsrpt+gzip). The failure reports (RFC 6591 in RFC 5965 ARF) are a
DKIM and an SPF failure of spoofed mail, one returning the whole message, one its header only.
"""
import base64, datetime, gzip, io, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
START = datetime.datetime(2026, 11, 2, tzinfo=datetime.timezone.utc)  # a Monday: ISO week 2026-W45


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def tls_report(day):
    begin = START + datetime.timedelta(days=day)
    end = begin + datetime.timedelta(seconds=86399)
    expired = day >= 3
    failures = 40 if expired else 0
    policies = [{
        "policy": {"policy-type": "sts",
                   "policy-string": ["version: STSv1", "mode: testing", "mx: mx1.example.com", "mx: mx2.example.com", "max_age: 604800"],
                   "policy-domain": "example.com", "mx-host": ["mx1.example.com", "mx2.example.com"]},
        "summary": {"total-successful-session-count": 900 + day * 10, "total-failure-session-count": failures + 2},
        "failure-details": ([{"result-type": "certificate-expired", "sending-mta-ip": "198.51.100.7",
                              "receiving-mx-hostname": "mx2.example.com", "receiving-ip": "203.0.113.25",
                              "failed-session-count": failures}] if expired else []) + [
            {"result-type": "starttls-not-supported", "sending-mta-ip": "192.0.2.44", "receiving-mx-hostname": "mx1.example.com",
             "receiving-mx-helo": "mx1.example.com", "receiving-ip": "203.0.113.24", "failed-session-count": 2,
             "additional-information": "https://tls-reports.provider.example/info/starttls", "failure-reason-code": "STARTTLS_TIMEOUT"}],
    }, {
        "policy": {"policy-type": "no-policy-found", "policy-domain": "example.org"},
        "summary": {"total-successful-session-count": 120, "total-failure-session-count": 0},
    }]
    return {"organization-name": "Provider Example Mail", "date-range": {"start-datetime": iso(begin), "end-datetime": iso(end)},
            "contact-info": "tls-reports@provider.example", "report-id": f"{iso(begin)}_example.com", "policies": policies}, begin, end


def gz(data):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as g:
        g.write(data)
    return out.getvalue()


def tls_mail(name, data, begin):
    body = base64.encodebytes(data).decode()
    return ("From: TLS Reporting <noreply-smtp-tls-reporting@provider.example>\r\n"
            "To: tlsrpt@example.com\r\n"
            f"Subject: Report Domain: example.com Submitter: provider.example Report-ID: <{iso(begin)}_example.com>\r\n"
            f"Date: {(begin + datetime.timedelta(days=1, hours=2)).strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
            f"Message-ID: <tlsrpt-{begin.strftime('%Y%m%d')}@provider.example>\r\n"
            "TLS-Report-Domain: example.com\r\nTLS-Report-Submitter: provider.example\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"tlsrpt-b\"\r\n\r\n"
            "--tlsrpt-b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            "This is an aggregate TLS report from provider.example.\r\n"
            f"--tlsrpt-b\r\nContent-Type: application/tlsrpt+gzip; name=\"{name}\"\r\n"
            f"Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + body.replace("\n", "\r\n") + "--tlsrpt-b--\r\n").encode()


def write(folder, name, data):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name), "wb") as f:
        f.write(data)


for day in range(7):
    report, begin, end = tls_report(day)
    data = json.dumps(report, indent=2).encode() + b"\n"
    name = f"provider.example!example.com!{int(begin.timestamp())}!{int(end.timestamp())}.json"
    if day % 3 == 0:
        write("tls", name + ".gz.eml", tls_mail(name + ".gz", gz(data), begin))
    elif day % 3 == 1:
        write("tls", name + ".gz", gz(data))
    else:
        write("tls", name, data)


def failure_report(n, auth_failure, returned_headers_only):
    arrival = START + datetime.timedelta(days=n, hours=9, minutes=14)
    date = arrival.strftime("%a, %d %b %Y %H:%M:%S +0000")
    original = ("Received: from mail.spoofer.example (mail.spoofer.example [192.0.2.200])\r\n"
                "\tby mx.receiver.example with ESMTP id 4F2A1; " + date + "\r\n"
                "Authentication-Results: mx.receiver.example; dkim=fail header.d=example.com header.s=s2026;"
                " spf=fail smtp.mailfrom=billing@example.com; dmarc=fail header.from=example.com\r\n"
                "From: \"Example Billing\" <billing@example.com>\r\n"
                "To: \"Jane Roe\" <jane.roe@receiver.example>\r\n"
                f"Subject: Your invoice number {1000 + n} is overdue\r\n"
                f"Date: {date}\r\n"
                f"Message-ID: <spoof-{n}@spoofer.example>\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
    if not returned_headers_only:
        original += "Please pay at once.\r\n"
    fields = ("Feedback-Type: auth-failure\r\nUser-Agent: ReceiverFeedback/2.1\r\nVersion: 1\r\n"
              "Original-Mail-From: <billing@example.com>\r\nOriginal-Rcpt-To: <jane.roe@receiver.example>\r\n"
              f"Arrival-Date: {date}\r\nSource-IP: 192.0.2.200\r\nReported-Domain: example.com\r\n"
              f"Auth-Failure: {auth_failure}\r\nIdentity-Alignment: none\r\nDelivery-Result: reject\r\n"
              + ("DKIM-Domain: example.com\r\nDKIM-Selector: s2026\r\n" if auth_failure == "dkim" else
                 "SPF-DNS: txt : example.com : v=spf1 ip4:203.0.113.0/24 -all\r\n"))
    kind = "text/rfc822-headers" if returned_headers_only else "message/rfc822"
    return ("From: DMARC Failure Reports <dmarc-failure@receiver.example>\r\n"
            "To: ruf@example.com\r\n"
            f"Subject: DMARC failure report for example.com from 192.0.2.200\r\n"
            f"Date: {(arrival + datetime.timedelta(minutes=1)).strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
            f"Message-ID: <ruf-{n}@receiver.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=feedback-report; boundary=\"arf-b\"\r\n\r\n"
            "--arf-b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            "A message claiming to be from example.com failed DMARC.\r\n"
            "--arf-b\r\nContent-Type: message/feedback-report\r\n\r\n" + fields +
            f"\r\n--arf-b\r\nContent-Type: {kind}\r\n\r\n" + original + "\r\n--arf-b--\r\n").encode()


write("failure", "receiver.example-dkim-failure.eml", failure_report(1, "dkim", False))
write("failure", "receiver.example-spf-failure.eml", failure_report(4, "spf", True))
