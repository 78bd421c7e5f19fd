# python3's http.server in a child process, fetched with urllib: a page, a 2 MiB file, a
# missing page and a POST the server does not support. Usage: py-http.py PORT WWW
import hashlib
import subprocess
import sys
import time
import urllib.error
import urllib.request

port, www = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"
server = subprocess.Popen([sys.executable, "-m", "http.server", port, "--bind", "127.0.0.1", "--directory", www],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(400):
    try:
        urllib.request.urlopen(base + "/", timeout=10).read()
        break
    except OSError:
        time.sleep(0.05)
with urllib.request.urlopen(base + "/index.html", timeout=10) as r:
    print(r.status, r.headers["Content-Type"])
    print(r.read().decode(), end="")
with urllib.request.urlopen(base + "/big.bin", timeout=10) as r:
    print("big.bin md5", hashlib.md5(r.read()).hexdigest())
for request in [urllib.request.Request(base + "/missing.html"), urllib.request.Request(base + "/", data=b"x=1")]:
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as e:
        print(request.get_method(), request.selector, "->", e.code)
server.terminate()
print("server exit", server.wait())
