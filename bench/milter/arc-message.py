#!/usr/bin/python3
"""Puts an ARC chain of HOPS sets on a benchmark message with Debian's python3-dkim (dkim.arc_sign, rsa-sha256):
hop N is forwarderN.example, which first adds its own Authentication-Results (SPF, DKIM and DMARC passed there) and
then seals (from hop 2 on, its results say arc=pass: the chain it received verified). Appends each forwarder's key record (selector "arc", the same key for all) to the zone file.
Usage: arc-message.py KEY.pem ZONE IN.eml OUT.eml HOPS"""
import base64, subprocess, sys
import dkim

key_path, zone, source, target, hops = sys.argv[1:6]
key = open(key_path, "rb").read()
message = open(source, "rb").read()
der = subprocess.run(["openssl", "pkey", "-in", key_path, "-pubout", "-outform", "DER"], check=True, capture_output=True).stdout
record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
pieces = " ".join('"%s"' % record[i:i + 250] for i in range(0, len(record), 250))
with open(zone, "a") as f:
    for hop in range(1, int(hops) + 1):
        domain = f"forwarder{hop}.example"
        f.write(f"arc._domainkey.{domain}. IN TXT {pieces}\n")
        results = (f"Authentication-Results: {domain}; spf=pass smtp.mailfrom=bench@sender.example;\r\n"
                   f" dkim=pass header.d=sender.example; dmarc=pass header.from=sender.example"
                   + ("; arc=pass" if hop > 1 else "") + "\r\n").encode()
        message = results + message
        fields = dkim.arc_sign(message, b"arc", domain.encode(), key, domain.encode(),
                               include_headers=[b"from", b"to", b"subject", b"mime-version", b"content-type"])
        if not fields:
            sys.exit(f"arc_sign gave no set at hop {hop}")
        message = b"".join(fields) + message
open(target, "wb").write(message)
