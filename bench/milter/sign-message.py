#!/usr/bin/python3
"""Signs a benchmark message with DKIM (rsa-sha256, relaxed/relaxed) using Debian's python3-dkim, and writes the
zone file that gives the sender domain its key, an SPF record for 127.0.0.1 and a DMARC p=reject policy.
Usage: sign-message.py KEY.pem DOMAIN IN.eml OUT.eml ZONE"""
import base64, subprocess, sys
import dkim

key_path, domain, source, target, zone = sys.argv[1:6]
key = open(key_path, "rb").read()
message = open(source, "rb").read()
signature = dkim.sign(message, b"bench", domain.encode(), key,
                      include_headers=[b"from", b"to", b"subject", b"mime-version", b"content-type"])
open(target, "wb").write(signature + message)

der = subprocess.run(["openssl", "pkey", "-in", key_path, "-pubout", "-outform", "DER"], check=True, capture_output=True).stdout
record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
pieces = " ".join('"%s"' % record[i:i + 250] for i in range(0, len(record), 250))
with open(zone, "w") as f:
    f.write(f'{domain}. IN TXT "v=spf1 ip4:127.0.0.1 -all"\n')
    f.write(f'bench._domainkey.{domain}. IN TXT {pieces}\n')
    f.write(f'_dmarc.{domain}. IN TXT "v=DMARC1; p=reject"\n')
