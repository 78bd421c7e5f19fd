#!/usr/bin/env python3
"""umlab's compatibility runs (issue #12): other projects' own test suites, run natively and under
umlab on the same machine, test by test.

    Tests/compat/compat.py --umlab PATH [--suite cpython,busybox,stressng] [--modes skas,seccomp]
                           [--suite-modes busybox=skas,seccomp,tt]
                           [--quick] [--jobs N] [--out DIR] [--doc docs/compat.md] [--check]
                           [--only PATTERN]...

Suites (nobody here wrote them; they are installed or fetched, never copied into the repository):
- cpython: CPython's regression suite from Debian's libpython3.11-testsuite, one test module per
  run (`python3 -m test --timeout T MODULE`), so a module that hangs or kills its interpreter
  costs only itself; the same command natively and in the guest.
- busybox: busybox's own testsuite from Debian's busybox source package (`apt-get source`), run
  with Debian's busybox-static binary and the configuration it was built with.
- stressng: Debian's stress-ng, one stressor at a time with --verify for a few seconds.

A test "regresses" when it passes natively and not under umlab. An exclusion
(Tests/compat/exclusions.txt: `SUITE[@MODE] PATTERN REASON`) names such a test with the reason it
cannot pass there; --check exits 1 when a regression is not excluded, or when an exclusion no
longer matches anything that fails (a stale entry is a defect too).

--doc rewrites the generated part of docs/compat.md (between its compat-results markers): the
summary per suite and mode, the exclusion list with reasons, and the per-test results.
"""
import argparse
import concurrent.futures
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(REPO, "Tests", "compat")
PYTHON = "/usr/bin/python3.11"
PYTHON_TESTS = "/usr/lib/python3.11/test"
# The environment of every run, native or guest: what a guest gets by default (umlab does not
# pass the host's environment), so the two runs differ only by the kernel underneath.
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
       "TERM": "dumb", "LANG": "C.UTF-8"}

PASS, FAIL, SKIP, TIMEOUT, CRASH = "pass", "fail", "skip", "timeout", "crash"

# The fast subsets `make test` runs (UmlabTests Compatibility): modules, applets and stressors
# that cover the kernel's breadth (processes, files, pipes, signals, ptys, locks, memory). Modules
# that assert wall-clock bounds (test_selectors, test_time, test_epoll) stay out: a loaded CI
# machine misses them natively as well as under umlab; `make compat` runs them.
QUICK = {
    "cpython": ["test_fileio", "test_glob", "test_grp", "test_mmap", "test_pipes", "test_popen", "test_posix",
                "test_pty", "test_pwd", "test_resource", "test_select", "test_shutil", "test_tempfile",
                "test_unicode_file_functions"],
    "busybox": ["cat", "cpio", "cut", "find", "sed", "sort", "tar", "xargs"],
    "stressng": ["fork", "pipe", "flock", "fcntl", "sem-sysv", "sigq", "timerfd", "eventfd"],
}

# The stressors of the chosen set: the kernel's surface (processes, memory, files, IPC, time,
# signals, sockets), not the host's hardware (no cache, cpu-online, perf, device stressors).
STRESSORS = [
    "access", "affinity", "brk", "chdir", "chmod", "chown", "clock", "clone", "close", "dentry",
    "dir", "dirdeep", "dup", "epoll", "eventfd", "exec", "fallocate", "fcntl", "fifo", "file-ioctl",
    "flock", "fork", "fstat", "futex", "get", "getdent", "getrandom", "hdd", "inotify", "io",
    "itimer", "kill", "link", "lockf", "lseek", "madvise", "malloc", "memfd", "mincore", "mlock",
    "mmap", "mprotect", "mremap", "msg", "mq", "nanosleep", "null", "open", "pipe", "poll",
    "prctl", "pthread", "pty", "readahead", "rename", "resources", "rlimit", "sem", "sem-sysv",
    "sendfile", "shm", "shm-sysv", "sigfd", "sigpending", "sigq", "sigsegv", "sigsuspend",
    "sleep", "sock", "sockfd", "sockpair", "splice", "stack", "switch", "symlink", "tee",
    "timer", "timerfd", "tmpfs", "udp", "unix", "urandom", "utime", "vfork", "vm", "wait",
    "xattr", "yield", "zero", "zombie",
]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, timeout, cwd=None):
    """Runs `cmd` in its own session with ENV; returns (status, output). A run past `timeout`
    has its whole process group killed and status None. Output is bytes decoded leniently:
    suites print whatever their tests print."""
    p = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        status = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        status = None
    return status, out.decode("utf-8", "replace")


def guest(umlab, mode, argv, extra=()):
    """The guest gets the native run's environment (ENV, which umlab itself runs with)."""
    return [umlab, "run", "--mode", mode, "--env-inherit", *extra, "--", *argv]


def tail(text, lines=12):
    return "\n".join(text.rstrip().splitlines()[-lines:])


# MARK: CPython's regression suite

def cpython_modules():
    r = subprocess.run([PYTHON, "-m", "test", "--list-tests"], env=ENV, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, check=True)
    return [line.strip() for line in r.stdout.splitlines() if line.strip().startswith("test_")]


def cpython_status(status, out):
    """regrtest's verdict for one module, from its summary (the exit status alone cannot tell a
    skip from a pass)."""
    if status is None:
        return TIMEOUT
    if "Timeout (" in out and "Thread 0x" in out:
        return TIMEOUT  # faulthandler's per-test timeout fired
    if re.search(r"^1 test skipped:$", out, re.M) or re.search(r"^Tests result: NO TESTS RAN", out, re.M):
        return SKIP
    if re.search(r"^Tests result: (SUCCESS|ENV CHANGED)", out, re.M):
        return PASS
    if re.search(r"^Tests result: (FAILURE|INTERRUPTED)", out, re.M):
        return FAIL
    return CRASH


def cpython_case(umlab, mode, module, timeout):
    """One module natively or in a guest. The guest gets a fresh --overlay, so its root is
    writable as the native run's is (tests write under $HOME and /usr/lib's caches), and the
    host's files stay untouched."""
    argv = [PYTHON, "-m", "test", "--timeout", str(timeout), module]
    with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="umlab-compat-") as work:
        # --memory: the native run has the host's memory; umlab's default (a quarter of it)
        # would refuse test_mmap's 6 GiB sparse file, which umlab charges whole once mapped.
        cmd = argv if mode == "native" else guest(umlab, mode, argv, ["--overlay", os.path.join(work, "overlay"), "--memory", "16G"])
        started = time.monotonic()
        status, out = run(cmd, timeout + 120, cwd=work)
        return cpython_status(status, out), time.monotonic() - started, tail(out)


# MARK: busybox's testsuite

def busybox_tree(out):
    """The testsuite of Debian's busybox source package beside Debian's busybox-static binary
    and the configuration Debian built it with: runtest reads $bindir/.config to skip tests of
    applets and features left out. The source is fetched once into the build tree (beside Lua's,
    not committed); the tree is made under OUT (outside /tmp: the guest reads it)."""
    src = os.path.join(REPO, "Tests", "programs", "build", "busybox-src")
    if not os.path.isdir(os.path.join(src, "testsuite")):
        fetch = src + ".fetch"
        shutil.rmtree(fetch, ignore_errors=True)
        os.makedirs(fetch)
        r = subprocess.run(["apt-get", "source", "-q", "busybox"], cwd=fetch, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        dirs = [d for d in os.listdir(fetch) if d.startswith("busybox-") and os.path.isdir(os.path.join(fetch, d))]
        if r.returncode != 0 or not dirs:
            sys.exit("compat.py: apt-get source busybox failed (a deb-src entry is needed: make lua-src adds one):\n" + r.stdout)
        shutil.rmtree(src, ignore_errors=True)
        os.rename(os.path.join(fetch, dirs[0]), src)
        shutil.rmtree(fetch, ignore_errors=True)
    tree = os.path.join(out, "busybox-tree")
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(os.path.join(tree, "scripts"))
    shutil.copytree(os.path.join(src, "testsuite"), os.path.join(tree, "testsuite"), symlinks=True)
    shutil.copy(os.path.join(src, "scripts", "echo.c"), os.path.join(tree, "scripts"))
    shutil.copy("/bin/busybox", os.path.join(tree, "busybox"))
    shutil.copy(os.path.join(src, "debian", "config", "pkg", "static"), os.path.join(tree, ".config"))
    # testing.sh builds an `echo -ne` for shells whose echo lacks it (dash): built here once, so
    # that both runs use the same helper.
    subprocess.run(["gcc", "-Os", "-o", os.path.join(tree, "testsuite", "echo-ne"),
                    os.path.join(tree, "scripts", "echo.c")], check=True)
    return tree


def busybox_run(umlab, mode, tree, applets, timeout):
    """One runtest over `applets` (all when empty) in a fresh copy of the tree: natively in a
    host temporary directory, in the guest in its own /tmp (the guest root is read-only)."""
    script = 'cp -a "$1" "$2/bb" && cd "$2/bb/testsuite" && shift 2 && ECHO="$PWD/echo-ne" ./runtest "$@"'
    if mode == "native":
        with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="umlab-compat-") as work:
            status, out = run(["/bin/sh", "-c", script, "sh", tree, work, *applets], timeout)
    else:
        status, out = run(guest(umlab, mode, ["/bin/sh", "-c", script, "sh", tree, "/tmp", *applets]), timeout)
    results = {}
    for line in out.splitlines():
        m = re.match(r"^(PASS|FAIL|SKIPPED|UNTESTED): (.*)$", line)
        if not m:
            continue
        name = m.group(2).strip()
        key, n = name, 2
        while key in results:  # a few names repeat: keep each occurrence
            key, n = "%s #%d" % (name, n), n + 1
        results[key] = {"PASS": PASS, "FAIL": FAIL}.get(m.group(1), SKIP)
    if status is None:
        results["(runtest)"] = TIMEOUT
    return results, tail(out)


# MARK: stress-ng

def stressng_verdict(stressor, status, out):
    """A stressor passes when stress-ng exits 0 having done work: a stressor that finds its
    system calls missing says "skipping stressor" and still exits 0, and one whose calls all
    fail reports 0 bogo ops — neither is a pass."""
    if status is None:
        return TIMEOUT
    if status >= 128 or status < 0:
        return CRASH
    if status == 3 or re.search(r"skipping st[r]?essor|not implemented, skipping", out):
        return SKIP  # EXIT_NOT_IMPLEMENTED, or the stressor's own check
    if status != 0:
        return FAIL
    m = re.search(r"^stress-ng: metrc: \[\d+\] %s\s+(\d+)\s" % re.escape(stressor), out, re.M)
    if m and int(m.group(1)) == 0:
        return FAIL
    return PASS


def stressng_case(umlab, mode, stressor, seconds):
    argv = ["stress-ng", "--" + stressor, "1", "--timeout", "%ds" % seconds, "--verify",
            "--metrics-brief", "--temp-path", "/tmp"]
    started = time.monotonic()
    if mode == "native":
        with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="umlab-compat-") as work:
            argv[-1] = work
            status, out = run(argv, seconds + 90, cwd=work)
    else:
        status, out = run(guest(umlab, mode, ["/bin/sh", "-c", 'cd /tmp && exec "$@"', "sh", *argv]), seconds + 90)
    verdict = stressng_verdict(stressor, status, out)
    return verdict, time.monotonic() - started, tail(out)


# MARK: exclusions and verdicts

def load_exclusions():
    """Tests/compat/exclusions.txt: `SUITE[@MODE] PATTERN REASON...`, '#' comments."""
    entries = []
    with open(os.path.join(HERE, "exclusions.txt")) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3:
                sys.exit("exclusions.txt:%d: SUITE[@MODE] PATTERN REASON expected" % number)
            suite, _, mode = parts[0].partition("@")
            entries.append({"suite": suite, "mode": mode or "*", "pattern": parts[1], "reason": parts[2],
                            "line": number, "used": False})
    return entries


def excluded(entries, suite, mode, test):
    for e in entries:
        if e["suite"] == suite and fnmatch.fnmatch(mode, e["mode"]) and fnmatch.fnmatchcase(test, e["pattern"]):
            e["used"] = True
            return e
    return None


def verdicts(results, suite_modes, entries):
    """Per suite and mode: the counts and the regressions (native pass, umlab not, not excluded)."""
    summary = {}
    for suite, tests in results.items():
        for mode in suite_modes[suite]:
            s = {"tests": 0, "native_pass": 0, "umlab_pass": 0, "excluded": 0, "regressions": [], "only_umlab": []}
            for test, r in sorted(tests.items()):
                if mode not in r:
                    continue
                s["tests"] += 1
                native, mine = r.get("native"), r[mode]
                s["native_pass"] += native == PASS
                s["umlab_pass"] += native == PASS and mine == PASS
                if native == PASS and mine != PASS:
                    if excluded(entries, suite, mode, test):
                        s["excluded"] += 1
                    else:
                        s["regressions"].append("%s (%s)" % (test, mine))
                elif native != PASS and mine == PASS:
                    s["only_umlab"].append("%s (native %s)" % (test, native))
            summary["%s@%s" % (suite, mode)] = s
    return summary


# MARK: the document

BEGIN, END = "<!-- compat-results:begin -->", "<!-- compat-results:end -->"


def render(results, summary, entries, meta):
    lines = [BEGIN, "", "Generated by `make compat` (Tests/compat/compat.py) on %s, %s to %s, one run of one build (umlab %s)." % (
        meta["date"], meta["started"], meta["finished"], meta["commit"]), ""]
    lines += ["| suite | mode | tests | pass natively | of those, pass under umlab | excluded | regressions |",
              "|---|---|---|---|---|---|---|"]
    for key, s in summary.items():
        suite, mode = key.split("@")
        lines.append("| %s | %s | %d | %d | %d | %d | %d |" % (suite, mode, s["tests"], s["native_pass"], s["umlab_pass"],
                                                             s["excluded"], len(s["regressions"])))
    lines += ["", "Exclusions (Tests/compat/exclusions.txt): tests that pass natively and cannot pass under umlab,",
              "each with its reason.", "", "| suite | mode | test | reason |", "|---|---|---|---|"]
    for e in entries:
        lines.append("| %s | %s | `%s` | %s |" % (e["suite"], e["mode"], e["pattern"], e["reason"]))
    for suite, tests in results.items():
        modes = [m for m in meta["modes"] if any(m in r for r in tests.values())]
        lines += ["", "<details><summary>%s: every test, natively and under umlab</summary>" % suite, "",
                  "| test | native | %s |" % " | ".join(modes), "|---|---|" + "---|" * len(modes)]
        for test, r in sorted(tests.items()):
            lines.append("| %s | %s | %s |" % (test.replace("|", "\\|"), r.get("native", "-"),
                                              " | ".join(r.get(m, "-") for m in modes)))
        lines += ["", "</details>"]
    lines += ["", END]
    return "\n".join(lines)


def write_doc(path, text):
    with open(path) as f:
        doc = f.read()
    if BEGIN in doc and END in doc:
        doc = doc[:doc.index(BEGIN)] + text + doc[doc.index(END) + len(END):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    with open(path, "w") as f:
        f.write(doc)


# MARK: main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--umlab", required=True)
    ap.add_argument("--suite", default="cpython,busybox,stressng")
    ap.add_argument("--modes", default="skas,seccomp")
    ap.add_argument("--suite-modes", action="append", default=[], metavar="SUITE=MODES",
                    help="modes for one suite instead of --modes (busybox=skas,seccomp,tt)")
    ap.add_argument("--quick", action="store_true", help="the fast subsets make test runs")
    ap.add_argument("--only", action="append", default=[], help="fnmatch patterns of tests to run")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=900, help="per CPython module (seconds)")
    ap.add_argument("--seconds", type=int, default=4, help="per stressor")
    ap.add_argument("--out", default="/var/tmp/umlab-compat")
    ap.add_argument("--doc", help="rewrite this document's generated part")
    ap.add_argument("--check", action="store_true", help="exit 1 on a regression or a stale exclusion")
    ap.add_argument("--rerun", metavar="RESULTS", help="a previous results.json: keep its verdicts, run again only "
                    "the tests that passed natively and not in some mode")
    a = ap.parse_args()
    # Whoever started us may have blocked signals (swift test's runner does), and children
    # inherit the mask: stress-ng's SIGALRM timeout and CPython's signal tests would never see
    # theirs. Every run, native or guest, starts with none blocked (worker threads and their
    # children inherit this thread's mask).
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    suites = a.suite.split(",")
    suite_modes = {s: a.modes.split(",") for s in suites}
    for entry in a.suite_modes:
        name, _, names = entry.partition("=")
        if name in suite_modes:
            suite_modes[name] = names.split(",")
    every_mode = []
    for s in suites:
        every_mode += [m for m in suite_modes[s] if m not in every_mode]
    os.makedirs(a.out, exist_ok=True)
    entries = load_exclusions()
    # Taken before the suites run: the run takes hours, and the tree may get commits meanwhile.
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE, text=True).stdout.strip()
    run_started = time.strftime("%H:%M UTC", time.gmtime())
    results = {}
    details = {}

    previous = {}
    if a.rerun:
        with open(a.rerun) as f:
            previous = json.load(f)["results"]

    def chosen(names):
        names = QUICK.get(suite, names) if a.quick else names
        names = [n for n in names if not a.only or any(fnmatch.fnmatch(n, p) for p in a.only)]
        if a.rerun and suite in previous:
            old = previous[suite]
            names = [n for n in names if n not in old or old[n].get("native") == PASS and any(old[n].get(m) != PASS for m in modes)]
        return names

    for suite in suites:
        modes = suite_modes[suite]
        tests = results.setdefault(suite, {})
        for name, r in previous.get(suite, {}).items():
            tests[name] = dict(r)
        if suite in ("cpython", "stressng"):
            names = chosen(cpython_modules() if suite == "cpython" else STRESSORS)
            # A rerun keeps the native verdicts it has.
            jobs = [(name, mode) for name in names for mode in ["native"] + modes
                    if not (mode == "native" and tests.get(name, {}).get("native"))]
            log("%s: %d tests × %d runs" % (suite, len(names), 1 + len(modes)))
            with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
                futures = {}
                for name, mode in jobs:
                    if suite == "cpython":
                        f = pool.submit(cpython_case, a.umlab, mode, name, a.timeout)
                    else:
                        f = pool.submit(stressng_case, a.umlab, mode, name, a.seconds)
                    futures[f] = (name, mode)
                for f in concurrent.futures.as_completed(futures):
                    name, mode = futures[f]
                    verdict, seconds, out = f.result()
                    tests.setdefault(name, {})[mode] = verdict
                    details.setdefault(suite, {}).setdefault(name, {})[mode] = {"seconds": round(seconds, 1), "tail": out}
                    log("  %-8s %-28s %-8s %6.1fs" % (mode, name, verdict, seconds))
        elif suite == "busybox":
            tree = busybox_tree(a.out)
            # runtest takes applet names (all of them when none): --only names applets here.
            applets = QUICK["busybox"] if a.quick else a.only
            for mode in ["native"] + modes:
                started = time.monotonic()
                r, out = busybox_run(a.umlab, mode, tree, applets, 3600)
                log("  %-8s busybox testsuite: %d tests, %d pass, %.0fs" % (mode, len(r), sum(v == PASS for v in r.values()),
                                                                            time.monotonic() - started))
                for name, verdict in r.items():
                    tests.setdefault(name, {})[mode] = verdict
                details.setdefault(suite, {})["(runtest %s)" % mode] = {"tail": out}
        else:
            sys.exit("compat.py: unknown suite " + suite)

    summary = verdicts(results, suite_modes, entries)
    meta = {"date": time.strftime("%Y-%m-%d"), "commit": commit, "started": run_started, "finished": time.strftime("%H:%M UTC", time.gmtime()), "modes": every_mode, "suite_modes": suite_modes, "quick": a.quick}
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "results": results, "summary": summary, "details": details}, f, indent=1)
    # Stale exclusions: only meaningful when whole suites ran (not --quick, not --only).
    stale = [e for e in entries if not e["used"] and e["suite"] in suites and not a.quick and not a.only]
    for key, s in summary.items():
        log("%s: %d tests, %d pass natively, %d of those under umlab, %d excluded, %d regressions%s" % (
            key, s["tests"], s["native_pass"], s["umlab_pass"], s["excluded"], len(s["regressions"]),
            (": " + ", ".join(s["regressions"])) if s["regressions"] else ""))
    for e in stale:
        log("stale exclusion (exclusions.txt:%d): %s %s" % (e["line"], e["suite"], e["pattern"]))
    if a.doc:
        write_doc(a.doc, render(results, summary, [e for e in entries if e["suite"] in suites], meta))
    if a.check and (any(s["regressions"] for s in summary.values()) or stale):
        sys.exit(1)


if __name__ == "__main__":
    main()
