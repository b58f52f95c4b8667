#!/usr/bin/env python3
"""Writes a benchmark message: a text part plus one base64 attachment, padded to about SIZE bytes;
with a third argument "text", a plain text message of about SIZE bytes instead."""
import base64, random, sys

size = int(sys.argv[1])
out = sys.argv[2]
random.seed(1)
if len(sys.argv) > 3 and sys.argv[3] == "text":
    line = "The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
    with open(out, "w", newline="") as f:
        f.write("From: bench@sender.example\r\nTo: rcpt@example.net\r\nSubject: bench\r\nMIME-Version: 1.0\r\n")
        f.write("Content-Type: text/plain; charset=utf-8\r\n\r\n")
        f.write(line * max(1, (size - 200) // len(line)))
    sys.exit(0)
text = "Hello,\r\nplease find the document attached.\r\n"
payload = bytes(random.getrandbits(8) for _ in range(max(0, (size - 1200) * 3 // 4)))
b64 = base64.encodebytes(payload).decode().replace("\n", "\r\n")
with open(out, "w", newline="") as f:
    f.write("From: bench@sender.example\r\nTo: rcpt@example.net\r\nSubject: bench\r\nMIME-Version: 1.0\r\n")
    f.write('Content-Type: multipart/mixed; boundary="b1"\r\n\r\n')
    f.write("--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text)
    f.write('--b1\r\nContent-Type: application/pdf; name="document.pdf"\r\n')
    f.write('Content-Disposition: attachment; filename="document.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n')
    f.write(b64)
    f.write("--b1--\r\n")
