"""python3's pty module on a pseudo-terminal: os.openpty + fork with the child as session leader
(pty.fork), canonical input and its echo, Ctrl-C as \\x03 giving SIGINT in the child, a window
size change giving SIGWINCH, and pty.spawn copying a child's output. Prints only deterministic
lines; the same output natively and under umlab."""
import fcntl, os, pty, select, signal, struct, sys, termios

sys.stdout.reconfigure(line_buffering=True)
# A test harness may start us with signals blocked or ignored; the child's must arrive.
signal.pthread_sigmask(signal.SIG_SETMASK, [])
for s in (signal.SIGINT, signal.SIGWINCH, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
    signal.signal(s, signal.SIG_DFL)

def read_until(fd, marker, limit=4096):
    """Reads from fd until `marker` appears (the pty moves data asynchronously)."""
    data = b""
    while marker not in data and len(data) < limit:
        r, _, _ = select.select([fd], [], [], 5)
        if not r:
            break
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data

pid, master = pty.fork()
if pid == 0:
    got = []
    signal.alarm(30)  # never outlive a broken run
    signal.signal(signal.SIGINT, lambda s, f: got.append("INT"))
    signal.signal(signal.SIGWINCH, lambda s, f: got.append("WINCH"))
    print("child: isatty", os.isatty(0), "session leader", os.getsid(0) == os.getpid(),
          "foreground", os.tcgetpgrp(0) == os.getpgrp(), flush=True)
    line = sys.stdin.readline()
    print("child read", repr(line), flush=True)
    print("ready", flush=True)
    while len(got) < 2:
        signal.pause()
    rows, cols = struct.unpack("hh", fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 4))
    print("child signals", sorted(got), "size", rows, cols, flush=True)
    os._exit(0)

out = read_until(master, b"foreground True\r\n")
print("parent saw:", out.decode().strip())
os.write(master, b"typed text\n")
out = read_until(master, b"ready\r\n")
print("echo and reply:", out.decode().replace("\r\n", "|"))
os.write(master, b"\x03")
fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("hhhh", 24, 132, 0, 0))
out = read_until(master, b"132\r\n")
print("after ^C and resize:", out.decode().replace("\r\n", "|"))
_, status = os.waitpid(pid, 0)
print("child status", os.waitstatus_to_exitcode(status))

# pty.spawn: the child's output comes back through the master; stdin is a pipe here.
r, w = os.pipe()
os.close(w)
saved = os.dup(0)
os.dup2(r, 0)
status = pty.spawn(["/bin/sh", "-c", "tty | sed 's/[0-9]*$/N/'; echo spawned"])
os.dup2(saved, 0)
print("spawn status", os.waitstatus_to_exitcode(status))
print("pty-python: done")
