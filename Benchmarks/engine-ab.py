#!/usr/bin/env python3
"""Two umlab builds against each other (and qemu-ppc) on the interpreter engine's workloads,
as measured for issue #14 (docs/performance.md, "The interpreter engine").

    Benchmarks/engine-ab.py UMLAB_A UMLAB_B [ROUNDS] [PREFIX]   (ROUNDS default 5; PREFIX: only
                                                               the workloads named so, e.g. ia64)

Workloads: PowerPC compute (compute.c 20) and Lua 5.4 on lua-bench.lua (when
Tests/programs/build/lua.ppc exists: the RealProgram test builds it), both also under qemu-ppc;
IA-64 crc32, sieve and the add/br.cloop loop; IA-64 forkwait (100 x fork+exit+wait); PowerPC
forkmem (100 x fork+exit+wait from a 16 MiB heap). The builds are interleaved, the order
alternating per round; the figures are medians of CPU time (user + system of the child,
start-up included: on this shared machine wall time also counts waiting for a CPU), per-round
ratios, guest instructions per CPU second, and for the fork workloads the wall time per fork.
Every run's output must equal the first run's."""
import json, os, resource, statistics, subprocess, sys

a, b = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
only = sys.argv[4] if len(sys.argv) > 4 else ""
here = os.path.dirname(os.path.realpath(__file__))
repo = os.path.dirname(here)
out = "/var/tmp/umlab-engine-ab"  # guests see a private /tmp
os.makedirs(out, exist_ok=True)

def sh(*argv, cwd=None):
    subprocess.run(argv, check=True, cwd=cwd, stderr=subprocess.DEVNULL)

sh("powerpc-linux-gnu-gcc", "-static", "-O2", "-o", f"{out}/ppc-compute", f"{here}/powerpc/compute.c")
sh("powerpc-linux-gnu-gcc", "-static", "-O2", "-o", f"{out}/ppc-forkmem", f"{here}/powerpc/forkmem.c")
w = f"{repo}/arch/ia64/workloads"
sh("ia64-linux-gnu-as", "-x", "-I", ".", "-o", f"{out}/lib.o", "lib.s", cwd=w)
for name in ("crc32", "sieve", "forkwait"):
    sh("ia64-linux-gnu-as", "-x", "-I", ".", "-o", f"{out}/{name}.o", f"{name}.s", cwd=w)
    sh("ia64-linux-gnu-ld", "-o", f"{out}/ia64-{name}", f"{out}/{name}.o", f"{out}/lib.o")
sh("ia64-linux-gnu-as", "-o", f"{out}/loop.o", f"{here}/ia64/loop.s")
sh("ia64-linux-gnu-ld", "-o", f"{out}/ia64-loop", f"{out}/loop.o")
workloads = {"ppc-compute": (["./ppc-compute", "20"], True)}
lua = f"{repo}/Tests/programs/build/lua.ppc"
if os.path.exists(lua):
    sh("cp", lua, f"{here}/powerpc/lua-bench.lua", out)
    workloads["ppc-lua"] = (["./lua.ppc", "lua-bench.lua"], True)
workloads.update({"ia64-crc32": (["./ia64-crc32"], False), "ia64-sieve": (["./ia64-sieve"], False),
                  "ia64-loop": (["./ia64-loop"], False), "ia64-forkwait": (["./ia64-forkwait"], False),
                  "ppc-forkmem": (["./ppc-forkmem", "100"], False)})
workloads = {k: v for k, v in workloads.items() if k.startswith(only)}
os.chdir(out)
os.environ["PWD"] = out  # umlab starts the guest in $PWD

def cpu(argv):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime), p.stdout, p.stderr

res = {k: {"A": [], "B": [], "qemu": [], "insns": 0, "forkA": [], "forkB": []} for k in workloads}
ref = {}
for r in range(rounds):
    for name, (argv, with_qemu) in workloads.items():
        for tag, u in ([("A", a), ("B", b)] if r % 2 == 0 else [("B", b), ("A", a)]):
            t, o, e = cpu([u, "run", "--stats-json", f"{out}/{name}.json", "--"] + argv)
            if not os.path.exists(f"{out}/{name}.json"):
                sys.exit(f"{name} under {u} failed: {e.decode()[-500:]}")
            if ref.setdefault(name, o) != o:
                sys.exit(f"output of {name} differs under {u}")
            res[name][tag].append(t)
            st = json.load(open(f"{out}/{name}.json"))
            res[name]["insns"] = st["backend_counters"]["instructions_retired"]
            if name == "ppc-forkmem":
                res[name]["fork" + tag].append(float(e.decode().split()[-1]))
            if name == "ia64-forkwait":
                res[name]["fork" + tag].append(st["wall_seconds"] / 100 * 1e6)
        if with_qemu:
            res[name]["qemu"].append(cpu(["qemu-ppc"] + argv)[0])
    print(f"round {r + 1} of {rounds}", file=sys.stderr)

med = statistics.median
print("| workload | A s | B s | A/B | qemu s | A/qemu | B/qemu | A M instr/s | B M instr/s | A µs/fork | B µs/fork |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, d in res.items():
    ma, mb = med(d["A"]), med(d["B"])
    q = med(d["qemu"]) if d["qemu"] else None
    cells = [name, f"{ma:.3f}", f"{mb:.3f}", f"{med([x / y for x, y in zip(d['A'], d['B'])]):.2f}",
             f"{q:.3f}" if q else "", f"{med([x / y for x, y in zip(d['A'], d['qemu'])]):.2f}" if q else "",
             f"{med([x / y for x, y in zip(d['B'], d['qemu'])]):.2f}" if q else "",
             f"{d['insns'] / ma / 1e6:.0f}", f"{d['insns'] / mb / 1e6:.0f}",
             f"{med(d['forkA']):.0f}" if d["forkA"] else "", f"{med(d['forkB']):.0f}" if d["forkB"] else ""]
    print("| " + " | ".join(cells) + " |")
