#!/usr/bin/env python3
"""umlab's fuzz campaigns (issue #10): ELF mutants, hostile system calls, random instruction
streams. See Tests/fuzz/README.md.

    Tests/fuzz/fuzz.py [--elf N] [--syscalls N] [--insn-words N] [--seed S] [--umlab PATH]
                       [--only elf,sys,insn] [--out DIR] [--json FILE]

The supervisor never trusts umlab to survive: each driver (`umlab fuzz elf`, `umlab fuzz insn`,
`umlab run -- sysfuzz`) runs as a child with a memory ceiling, under a watchdog that reads its
progress. A driver that dies of a host signal or a Swift trap is an umlab crash: the input it was
on is kept under OUT/crashers/<isa>/ with the stderr tail and the trap's signature, and a new
driver starts after it. A driver that makes no progress for --hang seconds is a hang. A guest
that dies of a signal is not a crash: umlab reports that as a status (128+N), it is not killed.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUZZ = os.path.join(REPO, "Tests", "fuzz")

# The driver's address-space ceiling: an input that makes umlab grow without bound (a huge
# bss on an interpreter) ends as a crash within seconds instead of swapping the machine (1.5 GiB).
MEMORY_CEILING = 3 << 29


def limited(cmd):
    """`cmd` under the address-space ceiling and without core files. prlimit(1) sets them, not
    a preexec_fn: the ELF campaign starts drivers from several threads, where preexec_fn is
    unsafe. Each driver runs in a session of its own (start_new_session), so a hang kills its
    whole group."""
    return ["prlimit", "--as=%d" % MEMORY_CEILING, "--core=0", "--"] + cmd


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        sys.exit("fuzz.py: %s failed:\n%s" % (" ".join(cmd), r.stdout))
    return r.stdout


# MARK: seeds and programs

def build_seeds(out):
    """Seed ELF files under OUT/seeds, which the guest root (/) reaches (not /tmp: a guest's /tmp
    is its own). Small seeds are listed several times, so that most mutants are quick to
    disassemble and run; the large real programs still get their share."""
    d = os.path.join(out, "seeds")
    os.makedirs(d, exist_ok=True)
    s = os.path.join(FUZZ, "seeds")
    progs = os.path.join(REPO, "Tests", "programs")
    ia64 = os.path.join(REPO, "arch", "ia64", "workloads")

    def path(name):
        return os.path.join(d, name)
    run(["gcc", "-nostdlib", "-static", "-o", path("tiny-asm.x86_64"), os.path.join(s, "tiny-x86_64.S")])
    run(["gcc", "-static", "-O2", "-o", path("tiny.x86_64"), os.path.join(s, "tiny.c")])
    shutil.copy("/bin/busybox", path("busybox.x86_64"))
    shutil.copy("/usr/bin/true", path("true-dynamic.x86_64"))       # PT_INTERP: ld-linux
    run(["powerpc-linux-gnu-gcc", "-nostdlib", "-static", "-o", path("tiny-asm.ppc"), os.path.join(s, "tiny-ppc.S")])
    run(["powerpc-linux-gnu-gcc", "-static", "-O2", "-o", path("tiny.ppc"), os.path.join(s, "tiny.c")])
    run(["powerpc-linux-gnu-gcc", "-static", "-O2", "-pthread", "-I", progs, "-o", path("fork_wait.ppc"),
         os.path.join(progs, "fork_wait.c")])
    run(["ia64-linux-gnu-as", "-x", "-o", path("tiny.o"), os.path.join(s, "tiny-ia64.s")])
    run(["ia64-linux-gnu-ld", "-o", path("tiny.ia64"), path("tiny.o")])
    run(["ia64-linux-gnu-as", "-x", "-I", ia64, "-o", path("lib.o"), os.path.join(ia64, "lib.s")])
    run(["ia64-linux-gnu-as", "-x", "-I", ia64, "-o", path("signals.o"), os.path.join(ia64, "signals.s")])
    run(["ia64-linux-gnu-ld", "-o", path("signals.ia64"), path("signals.o"), path("lib.o")])
    weights = {
        "tiny-asm.x86_64": 4, "true-dynamic.x86_64": 3, "tiny.x86_64": 1, "busybox.x86_64": 1,
        "tiny-asm.ppc": 4, "tiny.ppc": 2, "fork_wait.ppc": 1,
        "tiny.ia64": 5, "signals.ia64": 3,
    }
    return [path(n) for n, w in weights.items() for _ in range(w)]


def build_sysfuzz(out):
    """A guest root for the syscall fuzzer: a fresh directory holding the two builds and a few
    files to aim at. The campaign checks afterwards that nothing in it changed."""
    root = os.path.join(out, "sysroot")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "etc"))
    src = os.path.join(FUZZ, "sysfuzz.c")
    run(["gcc", "-static", "-O2", "-o", os.path.join(root, "sysfuzz.x86_64"), src])
    run(["powerpc-linux-gnu-gcc", "-static", "-O2", "-o", os.path.join(root, "sysfuzz.ppc"), src])
    for f in ["passwd", "group", "hostname"]:
        if os.path.exists("/etc/" + f):
            shutil.copy("/etc/" + f, os.path.join(root, "etc", f))
    return root


def snapshot(root):
    """(path -> size, mtime, mode, owner) of everything under root."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            out[p] = (st.st_size, st.st_mtime_ns, st.st_mode, st.st_uid, st.st_gid)
    return out


# MARK: telling umlab's crash from a guest's

FRAME = re.compile(r" at (/\S+?/((?:Sources|arch)/\S+?)):(\d+):\d+")


def crash_signature(returncode, stderr):
    """None if umlab did not crash; else a short signature: the trap message and the first two
    frames in umlab's sources."""
    fatal = re.search(r"Fatal error: ?([^\n]*)", stderr)
    crashed = re.search(r"\*\*\* Program crashed: ([^\n]*)", stderr)
    if returncode >= 0 and not fatal and not crashed:
        return None
    frames = []
    for m in FRAME.finditer(stderr):
        f = "%s:%s" % (m.group(2), m.group(3))
        if f not in frames:
            frames.append(f)
        if len(frames) == 2:
            break
    what = (fatal.group(1) if fatal else crashed.group(1) if crashed else
            "killed by %s" % signal.Signals(-returncode).name if returncode < 0 else "exit %d" % returncode)
    what = re.sub(r"0x[0-9a-f]+", "ADDR", what).strip(" *")
    return "%s @ %s" % (what[:120], " <- ".join(frames) or "?")


class Findings:
    def __init__(self, out):
        self.dir = os.path.join(out, "crashers")
        self.crashes = []       # (kind, isa, signature, file)
        self.hangs = []
        self.lost = []          # the syscall fuzzer's own process killed: not umlab's fault
        self.per_signature = {}
        self.lock = threading.Lock()     # the ELF campaign's drivers run in threads

    def keep(self, kind, isa, name, data_path, signature, stderr):
        """Saves the input (at most 3 per signature) with a note; returns the saved path."""
        with self.lock:
            return self._keep(kind, isa, name, data_path, signature, stderr)

    def _keep(self, kind, isa, name, data_path, signature, stderr):
        n = self.per_signature.get(signature, 0)
        self.per_signature[signature] = n + 1
        saved = None
        if n < 3 and data_path and os.path.exists(data_path):
            d = os.path.join(self.dir if kind != "fuzzer-lost" else os.path.join(os.path.dirname(self.dir), "lost"), isa)
            os.makedirs(d, exist_ok=True)
            saved = os.path.join(d, name)
            shutil.copy(data_path, saved)
            with open(saved + ".txt", "w") as f:
                f.write("%s\n\n%s\n" % (signature, stderr[-6000:]))
        {"hang": self.hangs, "crash": self.crashes}.get(kind, self.lost).append((kind, isa, signature, saved))
        print("  %s [%s] %s -> %s" % (kind.upper(), isa, signature, saved), flush=True)
        return saved


def supervise(cmd, progress_file, hang_seconds, stderr_path):
    """Runs a driver; returns (returncode or None for a hang, stderr text, last progress index)."""
    with open(stderr_path, "w") as err:
        p = subprocess.Popen(limited(cmd), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                             start_new_session=True)
        last, since = None, time.monotonic()
        hung = False
        while p.poll() is None:
            time.sleep(0.2)
            now = read_progress(progress_file)
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since > hang_seconds:
                hung = True
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    with open(stderr_path, errors="replace") as f:
        f.seek(max(0, os.path.getsize(stderr_path) - 200_000))
        text = f.read()
    return (None if hung else p.returncode), text, read_progress(progress_file)


def read_progress(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or -1)
    except (OSError, ValueError):
        return None


def merge(total, report_path):
    try:
        with open(report_path) as f:
            add(total, json.load(f))
    except (OSError, ValueError):
        pass


def add(total, counts):
    """Sums counters; a driver's state at its end (`*_at_end`: host descriptors, resident set)
    is the largest any driver reported."""
    for k, v in counts.items():
        total[k] = max(total.get(k, 0), v) if k.endswith("_at_end") else total.get(k, 0) + v


def isa_of(path):
    return os.path.basename(path).rsplit(".", 1)[-1]


# MARK: campaigns

def elf_campaign(args, seeds, findings):
    """Mutants [0, --elf) in --jobs drivers at once, each on its own share of the indices and
    its own work directory. Parallel drivers overlap what one leaves idle: mutants of the
    sleeping seeds (signals.ia64, fork_wait.ppc) and the x86-64 host processes' start-up."""
    jobs = max(1, args.jobs)
    bounds = [args.elf * j // jobs for j in range(jobs + 1)]
    totals = [{} for _ in range(jobs)]
    threads = [threading.Thread(target=elf_share, args=(args, seeds, findings, os.path.join(args.out, "elf-work-%d" % j),
                                                         bounds[j], bounds[j + 1], totals[j]))
               for j in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = {}
    for t in totals:
        add(total, t)
    return total


def elf_share(args, seeds, findings, work, k, end, total):
    """Mutants [k, end) in successive drivers of --batch mutants each (one work directory)."""
    os.makedirs(work, exist_ok=True)
    while k < end:
        n = min(args.batch, end - k)
        report = os.path.join(work, "report.json")
        if os.path.exists(report):
            os.remove(report)
        cmd = [args.umlab, "fuzz", "elf", "--seed", str(args.seed), "--start", str(k), "--count", str(n),
               "--work", work, "--time-limit-ms", str(args.time_limit_ms), "--report", report]
        for s in seeds:
            cmd += ["--seed-file", s]
        rc, err, at = supervise(cmd, os.path.join(work, "progress"), args.hang, os.path.join(work, "stderr"))
        sig = None if rc is None else crash_signature(rc, err)
        if rc == 0 and sig is None:
            merge(total, report)
            k += n
            continue
        at = at if at is not None and k <= at < k + n else k
        isa = isa_of(seeds[at % len(seeds)])
        kind = "hang" if rc is None else "crash"
        findings.keep(kind, isa, "elf-%d-%d" % (args.seed, at), os.path.join(work, "mutant"),
                      sig or "no progress for %ds" % args.hang, err)
        total["mutants"] = total.get("mutants", 0) + (at - k + 1)
        k = at + 1


def insn_campaign(args, findings):
    work = os.path.join(args.out, "insn-work")
    os.makedirs(work, exist_ok=True)
    results = {}
    for backend in ["ppc", "ia64"]:
        for mode in ["skas", "tt"]:
            slots = 768 if backend == "ia64" else 1024
            pages = -(-args.insn_words // 2 // slots)   # half the words in each mode
            total, page, t0 = {}, 0, time.monotonic()
            batch_pages = max(1, min(pages, 2000))
            while page < pages:
                n = min(batch_pages, pages - page)
                report = os.path.join(work, "report.json")
                if os.path.exists(report):
                    os.remove(report)
                cmd = [args.umlab, "fuzz", "insn", "--backend", backend, "--mode", mode, "--seed", str(args.seed),
                       "--start", str(page), "--words", str(n * slots), "--work", work, "--report", report]
                rc, err, at = supervise(cmd, os.path.join(work, "progress"), args.hang, os.path.join(work, "stderr"))
                sig = None if rc is None else crash_signature(rc, err)
                if rc == 0 and sig is None:
                    merge(total, report)
                    page += n
                    continue
                at = at if at is not None and page <= at < page + n else page
                findings.keep("hang" if rc is None else "crash", backend, "insn-%s-%d-%d.bin" % (mode, args.seed, at),
                              os.path.join(work, "page.bin"), sig or "no progress for %ds" % args.hang, err)
                total["words"] = total.get("words", 0) + (at - page + 1) * slots
                page = at + 1
            total["wall_seconds"] = round(time.monotonic() - t0, 1)
            results["%s/%s" % (backend, mode)] = total
            print("insn %s/%s: %s" % (backend, mode, json.dumps(total)), flush=True)
    return results


SUMMARY = re.compile(r"sysfuzz: calls (\d+) batches (\d+) child-signals (\d+) watchdog (\d+) fork-failures (\d+)")
BATCH = re.compile(r"sysfuzz: batch (\d+) (\d+)")


def sysfuzz_run(args, root, cwd, mode, backend, start, count, per=1000):
    """One `umlab run -- sysfuzz`: (returncode or None for a hang, stdout, stderr)."""
    limit = max(60, count / 1000)
    # The guest's memory limit sits well under the driver's address-space ceiling: what a
    # guest may use (an interpreter's guest memory is umlab's) must never look like a crash.
    cmd = [args.umlab, "run", "--root", root, "--mode", mode, "--time-limit", str(limit), "--memory", "512M",
           "--", "/sysfuzz." + backend, str(args.seed), str(start), str(count), str(per)]
    err_path = os.path.join(args.out, "sys-stderr")
    with open(err_path, "w") as err:
        try:
            p = subprocess.run(limited(cmd), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                               start_new_session=True, timeout=limit + 60)
            rc, out = p.returncode, p.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            rc, out = None, (e.stdout or b"").decode(errors="replace")
    with open(err_path, errors="replace") as f:
        text = f.read()[-200_000:]
    return rc, out, text


def minimise_sys(args, root, cwd, mode, backend, start, end, outcome):
    """The shortest prefix [start, start+n) of a batch that still ends the same way (`outcome`:
    the crash signature, or the exit status), and whether its last call does it on its own:
    (first, count)."""
    def crashes(a, n):
        rc, _, text = sysfuzz_run(args, root, cwd, mode, backend, a, n, per=n)
        if rc is None:
            return False
        return (crash_signature(rc, text) or rc) == outcome
    if not crashes(start, end - start):
        return start, end - start          # not reproducible as one batch: keep it whole
    lo, hi = 1, end - start
    while lo < hi:
        mid = (lo + hi) // 2
        if crashes(start, mid):
            hi = mid
        else:
            lo = mid + 1
    last = start + lo - 1
    return (last, 1) if crashes(last, 1) else (start, lo)


def sys_campaign(args, findings):
    root = build_sysfuzz(args.out)
    cwd = os.path.join(args.out, "sys-cwd")
    os.makedirs(cwd, exist_ok=True)
    results = {}
    for backend, modes in [("x86_64", ["skas", "tt", "seccomp"]), ("ppc", ["skas", "tt"])]:
        for mode in modes:
            before, before_cwd = snapshot(root), snapshot(cwd)
            calls = batches = signals = watchdog = 0
            t0 = time.monotonic()
            start = 0
            while start < args.syscalls:
                n = min(args.sys_chunk, args.syscalls - start)
                rc, out, text = sysfuzz_run(args, root, cwd, mode, backend, start, n)
                sig = None if rc is None else crash_signature(rc, text)
                m = SUMMARY.findall(out)
                if rc == 0 and sig is None and m:
                    c, b, s, w, _ = map(int, m[-1])
                    calls, batches, signals, watchdog = calls + c, batches + b, signals + s, watchdog + w
                    start += n
                    continue
                # A crash or a hang: the batch it happened in, minimised, kept; go on after it.
                seen = BATCH.findall(out)
                a, b = (int(seen[-1][0]), int(seen[-1][1])) if seen else (start, start + n)
                calls += a - start      # the batches before completed
                # Not umlab's crash: the fuzzer's own process ended (some hostile call reached it).
                kind = ("hang" if rc is None or (rc == 124 and sig is None) else "crash" if sig else "fuzzer-lost")
                first, count = (a, b - a) if kind == "hang" else minimise_sys(args, root, cwd, mode, backend, a, b, sig or rc)
                note = os.path.join(args.out, "sys-repro")
                with open(note, "w") as f:
                    f.write("mode %s\nsysfuzz %d %d %d %d\n" % (mode, args.seed, first, count, count))
                findings.keep(kind, backend, "sys-%s-%d-%d-%d" % (mode, args.seed, first, count), note,
                              sig or ("umlab did not exit" if rc is None else "sysfuzz's parent ended, status %s" % rc), text)
                start = b
            after, after_cwd = snapshot(root), snapshot(cwd)
            changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
            changed += sorted(p for p in set(before_cwd) | set(after_cwd) if before_cwd.get(p) != after_cwd.get(p))
            results["%s/%s" % (backend, mode)] = {
                "calls": calls, "batches": batches, "child_signals": signals, "watchdog_kills": watchdog,
                "host_files_written": len(changed), "changed": changed[:20],
                "wall_seconds": round(time.monotonic() - t0, 1)}
            print("sys %s/%s: %s" % (backend, mode, json.dumps(results["%s/%s" % (backend, mode)])), flush=True)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--umlab", default=os.path.join(REPO, ".build", "release", "umlab"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--elf", type=int, default=50_000, help="ELF mutants in all (default 50,000)")
    ap.add_argument("--syscalls", type=int, default=1_000_000, help="hostile calls per backend and mode")
    ap.add_argument("--insn-words", type=int, default=10_000_000, help="random words per interpreter")
    ap.add_argument("--only", default="elf,sys,insn")
    ap.add_argument("--out", default="/var/tmp/umlab-fuzz", help="work directory (not under /tmp: guests see their own)")
    ap.add_argument("--batch", type=int, default=2000, help="ELF mutants per driver process")
    ap.add_argument("--jobs", type=int, default=2, help="ELF drivers at once")
    ap.add_argument("--sys-chunk", type=int, default=250_000, help="hostile calls per umlab run")
    ap.add_argument("--time-limit-ms", type=int, default=300)
    ap.add_argument("--hang", type=int, default=60, help="seconds without progress that make a hang")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    args.out = os.path.abspath(args.out)
    if args.out.startswith("/tmp/") or args.out == "/tmp":
        sys.exit("fuzz.py: --out must not be under /tmp (guests see a private /tmp)")
    os.makedirs(args.out, exist_ok=True)
    if not os.access(args.umlab, os.X_OK):
        sys.exit("fuzz.py: no umlab at %s (swift build -c release)" % args.umlab)
    only = set(args.only.split(","))
    findings = Findings(args.out)
    figures = {"seed": args.seed, "umlab": args.umlab}
    t0 = time.monotonic()
    if "elf" in only:
        seeds = build_seeds(args.out)
        t = time.monotonic()
        figures["elf"] = elf_campaign(args, seeds, findings)
        figures["elf"]["wall_seconds"] = round(time.monotonic() - t, 1)
        print("elf: %s" % json.dumps(figures["elf"]), flush=True)
    if "sys" in only:
        figures["sys"] = sys_campaign(args, findings)
    if "insn" in only:
        figures["insn"] = insn_campaign(args, findings)
    figures["crashes"] = [{"isa": i, "signature": s, "kept": f} for _, i, s, f in findings.crashes]
    figures["hangs"] = [{"isa": i, "signature": s, "kept": f} for _, i, s, f in findings.hangs]
    figures["fuzzer_lost"] = [{"isa": i, "what": s, "kept": f} for _, i, s, f in findings.lost]
    figures["distinct_crash_signatures"] = sorted({s for _, _, s, _ in findings.crashes})
    figures["wall_seconds"] = round(time.monotonic() - t0, 1)
    text = json.dumps(figures, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print("crashes: %d (%d distinct), hangs: %d" % (len(findings.crashes), len(figures["distinct_crash_signatures"]),
                                                   len(findings.hangs)))
    for s in figures["distinct_crash_signatures"]:
        print("  " + s)
    sys.exit(1 if findings.crashes or findings.hangs else 0)


if __name__ == "__main__":
    main()
