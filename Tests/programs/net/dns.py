# Asks the DNS server at SERVER (port 53, UDP) for each NAME's A record with a query built by
# hand, and prints "NAME: ADDRESS..." or "NAME: NXDOMAIN" (or the response code); then looks
# each name up as programs do (getaddrinfo: /etc/hosts, then the resolv.conf server).
# Usage: dns.py SERVER NAME...
import socket
import struct
import sys

server, names = sys.argv[1], sys.argv[2:]
for i, name in enumerate(names):
    query = struct.pack(">HHHHHH", 0x1000 + i, 0x0100, 1, 0, 0, 0)
    query += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    s.sendto(query, (server, 53))
    reply, _ = s.recvfrom(512)
    s.close()
    ident, flags, qd, an = struct.unpack(">HHHH", reply[:8])
    rcode = flags & 0xf
    if ident != 0x1000 + i or not flags & 0x8000:
        print(f"{name}: bad reply")
    elif rcode == 3:
        print(f"{name}: NXDOMAIN")
    elif rcode != 0:
        print(f"{name}: rcode {rcode}")
    else:
        # Answers follow the question; each is a 2-byte name pointer, type, class, TTL, length.
        at = len(query)
        addresses = []
        for _ in range(an):
            rtype, _, _, length = struct.unpack(">HHIH", reply[at + 2:at + 12])
            if rtype == 1:
                addresses.append(socket.inet_ntoa(reply[at + 12:at + 12 + length]))
            at += 12 + length
        print(f"{name}: {' '.join(addresses) or 'no address'}")
for name in names:
    try:
        print(f"getaddrinfo {name}:", sorted({a[4][0] for a in socket.getaddrinfo(name, 80, socket.AF_INET, socket.SOCK_STREAM)}))
    except socket.gaierror as e:
        print(f"getaddrinfo {name}: {e.args[1]}")
