#!/usr/bin/python3
"""Checks messages our sealing milter delivered: the arc= result in our Authentication-Results, and the whole ARC
chain (ours on top) verified by Debian's python3-dkim (dkim.arc_verify) with the keys of the zone files.
Prints one line per kind of outcome with its count. Usage: arc-check.py AUTHSERV-ID ZONE MESSAGE..."""
import collections, re, shlex, sys
import dkim

authserv, zone, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
records = {}
for line in open(zone):
    fields = shlex.split(line, posix=False)
    if len(fields) >= 4 and fields[1].upper() == "IN" and fields[2].upper() == "TXT":
        records[fields[0].lower().rstrip(".")] = "".join(f.strip('"') for f in fields[3:])

def dnsfunc(name, timeout=5):
    name = name.decode().lower().rstrip(".")
    return records[name].encode() if name in records else None

outcomes = collections.Counter()
for path in paths:
    raw = open(path, "rb").read()
    unfolded = re.sub(rb"\r?\n[ \t]+", b" ", raw.split(b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n", 1)[0])
    ours = [l for l in unfolded.splitlines() if l.lower().startswith(b"authentication-results: " + authserv.encode())]
    arc = re.search(rb"\barc=(\w+)", ours[0]).group(1).decode() if ours and re.search(rb"\barc=(\w+)", ours[0]) else "-"
    result, sets, _ = dkim.arc_verify(raw, dnsfunc=dnsfunc)
    newest = sets[0] if sets else {}
    sender = re.search(rb"(?im)^from: *(.*)$", unfolded)
    outcomes[((sender.group(1).decode(errors="replace").strip() if sender else "-"), arc, result.decode(), len(sets), (newest.get("as-domain") or b"-").decode(), (newest.get("cv") or b"-").decode())] += 1
print("From | ours: arc= | python3-dkim arc_verify | sets | newest sealer | its cv= | messages")
for (sender, arc, result, sets, sealer, cv), n in sorted(outcomes.items()):
    print(sender, "|", arc, "|", result, "|", sets, "|", sealer, "|", cv, "|", n)
