#!/usr/bin/env python3
"""PowerPC's two engines against each other and qemu-ppc, in one run (issue #14 item 2,
docs/performance.md "Template JIT").

    Benchmarks/jit-ab.py [UMLAB] [ROUNDS]      (default: the release build, 5 rounds)

Workloads: compute.c 20, Lua 5.4 on lua-bench.lua (when Tests/programs/build/lua.ppc exists: the
RealProgram test builds it), and forkmem.c 100 (fork-heavy: every child is a new address space,
so a new JIT with nothing translated). Each round runs `umlab run --engine interp`, `--engine
jit` and qemu-ppc on the same binary, the order rotating per round. The figures are medians of
CPU time (user + system of the child, umlab's start-up included: on this shared machine wall
time also counts waiting for a CPU) and medians of the per-round ratios. Every run's output must
equal qemu-ppc's (forkmem's: the first run's, minus its timing line)."""
import os, resource, statistics, subprocess, sys

here = os.path.dirname(os.path.realpath(__file__))
repo = os.path.dirname(here)
umlab = os.path.realpath(sys.argv[1]) if len(sys.argv) > 1 else f"{repo}/.build/release/umlab"
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
out = "/var/tmp/umlab-jit-ab"  # guests see a private /tmp
os.makedirs(out, exist_ok=True)

def sh(*argv):
    subprocess.run(argv, check=True, stderr=subprocess.DEVNULL)

sh("powerpc-linux-gnu-gcc", "-static", "-O2", "-o", f"{out}/compute", f"{here}/powerpc/compute.c")
sh("powerpc-linux-gnu-gcc", "-static", "-O2", "-o", f"{out}/forkmem", f"{here}/powerpc/forkmem.c")
workloads = {"compute": ["./compute", "20"]}
lua = f"{repo}/Tests/programs/build/lua.ppc"
if os.path.exists(lua):
    sh("cp", lua, f"{here}/powerpc/lua-bench.lua", out)
    workloads["lua"] = ["./lua.ppc", "lua-bench.lua"]
workloads["forkmem"] = ["./forkmem", "100"]
os.chdir(out)
os.environ["PWD"] = out  # umlab starts the guest in $PWD

def cpu(argv):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"{argv} failed ({p.returncode}): {p.stderr.decode()[-500:]}")
    return (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), p.stdout

runners = {
    "interp": lambda argv: [umlab, "run", "--engine", "interp", "--"] + argv,
    "jit": lambda argv: [umlab, "run", "--engine", "jit", "--"] + argv,
    "qemu": lambda argv: ["qemu-ppc"] + argv,
}
res = {w: {k: [] for k in runners} for w in workloads}
ref = {}
for r in range(rounds):
    order = list(runners)[r % 3:] + list(runners)[:r % 3]
    for name, argv in workloads.items():
        for tag in order:
            t, o = cpu(runners[tag](argv))
            if name == "forkmem":
                o = b""  # its output is its own timing
            if ref.setdefault(name, o) != o:
                sys.exit(f"output of {name} differs under {tag}")
            res[name][tag].append(t)
    print(f"round {r + 1} of {rounds}", file=sys.stderr)

med = statistics.median
print("| workload | interp s | jit s | qemu-ppc s | interp/jit | interp/qemu | jit/qemu |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, d in res.items():
    ratio = lambda x, y: med([a / b for a, b in zip(d[x], d[y])])
    print(f"| {name} | {med(d['interp']):.3f} | {med(d['jit']):.3f} | {med(d['qemu']):.3f} | "
          f"{ratio('interp', 'jit'):.2f} | {ratio('interp', 'qemu'):.2f} | {ratio('jit', 'qemu'):.2f} |")
