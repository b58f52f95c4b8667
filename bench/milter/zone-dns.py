#!/usr/bin/python3
"""A tiny authoritative DNS server (UDP and TCP) for the bench: answers TXT records from zone-file lines
'NAME. IN TXT "..." ...' (the lines sign-message.py writes); other types at a known name are NODATA, unknown
names NXDOMAIN. For OpenDKIM and OpenDMARC, which have no zone-file hook. Usage: zone-dns.py ADDRESS ZONE..."""
import shlex, socket, socketserver, sys, threading
import dns.flags, dns.message, dns.rcode, dns.rdataclass, dns.rdatatype, dns.rrset

records = {}
for path in sys.argv[2:]:
    for line in open(path):
        fields = shlex.split(line, posix=False)
        if len(fields) >= 4 and fields[1].upper() == "IN" and fields[2].upper() == "TXT":
            records.setdefault(fields[0].lower().rstrip(".") + ".", []).append(" ".join(fields[3:]))

def answer(wire):
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA | dns.flags.RA
    question = query.question[0]
    name = question.name.to_text().lower()
    if name not in records and not any(n.endswith("." + name) for n in records):
        response.set_rcode(dns.rcode.NXDOMAIN)
    elif question.rdtype == dns.rdatatype.TXT and name in records:
        response.answer.append(dns.rrset.from_text_list(question.name, 300, dns.rdataclass.IN, dns.rdatatype.TXT, records[name]))
    return response.to_wire()

class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(answer(data), self.client_address)

class Tcp(socketserver.StreamRequestHandler):
    def handle(self):
        length = int.from_bytes(self.rfile.read(2), "big")
        reply = answer(self.rfile.read(length))
        self.wfile.write(len(reply).to_bytes(2, "big") + reply)

address = sys.argv[1]
socketserver.ThreadingUDPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.allow_reuse_address = True
udp = socketserver.ThreadingUDPServer((address, 53), Udp)
tcp = socketserver.ThreadingTCPServer((address, 53), Tcp)
threading.Thread(target=tcp.serve_forever, daemon=True).start()
udp.serve_forever()
