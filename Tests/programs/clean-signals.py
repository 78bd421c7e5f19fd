#!/usr/bin/env python3
"""Runs a command as a login shell would start it: no signal blocked, default dispositions.

Test runners start their children with most signals blocked (swift-testing does), which makes
some real programs hang natively (busybox `wait`, Python's multiprocessing pool shutdown), and
a guest inherits umlab's mask as a program inherits its parent's. Usage: clean-signals.py PROGRAM [ARGS...]
"""
import os
import signal
import sys

signal.pthread_sigmask(signal.SIG_SETMASK, set())
for s in range(1, signal.NSIG):
    if s in (signal.SIGKILL, signal.SIGSTOP):
        continue
    try:
        signal.signal(s, signal.SIG_DFL)
    except (OSError, ValueError):
        pass
os.execv(sys.argv[1], sys.argv[1:])
