#!/usr/bin/env python3
"""Drives umlab from a pseudo-terminal, as a user at a terminal would.

ctrl-c: `umlab run -- busybox sleep 5`, then Ctrl-C: the guest's foreground process dies of
        SIGINT, umlab exits with 130 well before 5 s.
ctrl-z: `umlab run -- busybox sh -c 'sleep 1; echo resumed'`, then Ctrl-Z: the guest job stops,
        and so does umlab (its shell would get the terminal back); SIGCONT continues both and
        the program finishes with status 0.
Usage: ctrl-keys.py UMLAB MODE
"""
import os, pty, select, signal, sys, time

umlab, mode = sys.argv[1], sys.argv[2]


def spawn(args):
    pid, fd = pty.fork()
    if pid == 0:
        # As a login shell would start it: nothing blocked or ignored (test runners block most
        # signals in their children, and the guest inherits umlab's mask).
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGCHLD):
            signal.signal(s, signal.SIG_DFL)
        os.execv(umlab, [umlab, "run", "--mode", mode, "--"] + args)
    return pid, fd


def drain(fd, seconds, until=None):
    """What the terminal shows within `seconds` (or as soon as it shows `until`)."""
    out = b""
    end = time.time() + seconds
    while time.time() < end and not (until and until in out):
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
    return out


def wait(pid, seconds, flags=0):
    end = time.time() + seconds
    while time.time() < end:
        p, st = os.waitpid(pid, os.WNOHANG | flags)
        if p == pid:
            return st
        time.sleep(0.02)
    return None


def status(st):
    if st is None:
        return "none"
    return os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st)


# Ctrl-C
# The keys are typed once the guest runs (it says so): a loaded machine may take a while to
# start umlab, and a key typed before the guest owns the terminal would reach umlab itself.
pid, fd = spawn(["/bin/busybox", "sh", "-c", "echo ready; exec /bin/busybox sleep 5"])
drain(fd, 15, until=b"ready")
start = time.time()
os.write(fd, b"\x03")
st = wait(pid, 3)
if st is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
print("ctrl-c: status %s after %.1f s" % (status(st), time.time() - start))
os.close(fd)

# Ctrl-Z, then SIGCONT
pid, fd = spawn(["/bin/busybox", "sh", "-c", "echo ready; sleep 1; echo resumed"])
drain(fd, 15, until=b"ready")
os.write(fd, b"\x1a")
st = wait(pid, 3, os.WUNTRACED)
stopped = st is not None and os.WIFSTOPPED(st)
time.sleep(1.2)  # longer than the guest's sleep: it must not finish while stopped
try:
    os.kill(pid, signal.SIGCONT)
except ProcessLookupError:
    pass  # it was not stopped and has ended: reported below
out = drain(fd, 0.2)
st = wait(pid, 5)
out += drain(fd, 0.2)
if st is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
resumed = b"resumed" in out
print("ctrl-z: umlab %s, %s, status %s" % ("stopped" if stopped else "not stopped",
                                          "continued" if resumed else "not continued", status(st)))
