# Tries a TCP connect to each LABEL=HOST:PORT given and prints "LABEL: connected" or the
# errno's name (ECONNREFUSED, ENETUNREACH, ...). Usage: connect.py LABEL=HOST:PORT...
import errno
import socket
import sys

for spec in sys.argv[1:]:
    label, target = spec.split("=", 1)
    host, port = target.rsplit(":", 1)
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(20)
    try:
        s.connect((host, int(port)))
        print(f"{label}: connected", flush=True)
    except OSError as e:
        print(f"{label}: {errno.errorcode.get(e.errno, e.errno)}", flush=True)
    finally:
        s.close()
