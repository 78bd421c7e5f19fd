#!/usr/bin/env python3
"""Assembler corpus: writes IA-64 source exercising every form the decoder
covers (varied registers, immediates at their limits, every completer),
assembles it with ia64-linux-gnu-as, and records objdump's text.

Output: <repo>/Tests/IA64DecoderTests/Corpus/asm.txt (and asm.s for reference).
Instructions are emitted one per line with ';;' after each, letting gas pick
templates; branch targets are local labels.
"""
import os, random, sys
sys.path.insert(0, os.path.dirname(__file__))
from ia64lib import assemble_to_binary, objdump_binary, write_expect

rng = random.Random(64)
def R(lo=0):   return "r%d" % rng.choice([lo, 1, 2, 12, 31, 32, 63, 64, 100, 127, rng.randint(max(lo, 1), 127)])
def Rlow():    return "r%d" % rng.choice([0, 1, 2, 3])      # addl source (r0-r3)
def F():       return "f%d" % rng.choice([0, 1, 2, 8, 31, 32, 64, 127, rng.randint(2, 127)])
def Fd():      return "f%d" % rng.choice([2, 8, 31, 32, 64, 127, rng.randint(2, 127)])
def P():       return "p%d" % rng.choice([1, 6, 7, 15, 16, 63, rng.randint(1, 63)])
def B():       return "b%d" % rng.randint(0, 7)
def I(lo, hi): return rng.choice([lo, hi, 0, -1 if lo < 0 else 1, rng.randint(lo, hi)])
def PP():
    a = rng.randint(1, 63); b = rng.choice([x for x in (0, 6, 7, 15, 63, rng.randint(1, 63)) if x != a])
    return "p%d,p%d" % (a, b)
def pred():    return rng.choice(["", "", "(p6) ", "(p63) ", "(%s) " % P()])

out = []
REPEAT = 2   # every form is emitted REPEAT times its listed count, with fresh operands
def e(s, n=1):
    for _ in range(n * REPEAT):
        out.append(s() if callable(s) else s)

# ---- integer ALU ----
for op in ["add", "sub", "addp4", "and", "andcm", "or", "xor"]:
    e(lambda: f"{pred()}{op} {R(1)}={R()},{R()}", 12)
for op in ["add", "sub"]:
    e(lambda: f"{op} {R(1)}={R()},{R()},1", 6)
for op in ["sub", "and", "andcm", "or", "xor"]:
    e(lambda: f"{pred()}{op} {R(1)}={I(-128, 127)},{R()}", 10)
e(lambda: f"adds {R(1)}={I(-8192, 8191)},{R()}", 20)
e(lambda: f"addp4 {R(1)}={I(-8192, 8191)},{R()}", 10)
e(lambda: f"addl {R(1)}={I(-2097152, 2097151)},{Rlow()}", 20)
e(lambda: f"mov {R(1)}={R()}", 5)
for op in ["shladd", "shladdp4"]:
    e(lambda: f"{op} {R(1)}={R()},{rng.randint(1, 4)},{R()}", 8)
# shifts / bit fields
e(lambda: f"shl {R(1)}={R()},{rng.randint(0, 63)}", 10)
e(lambda: f"shr {R(1)}={R()},{rng.randint(0, 63)}", 10)
e(lambda: f"shr.u {R(1)}={R()},{rng.randint(0, 63)}", 10)
for op in ["shl", "shr", "shr.u"]:
    e(lambda: f"{op} {R(1)}={R()},{R()}", 6)
e(lambda: f"shrp {R(1)}={R()},{R()},{rng.randint(0, 63)}", 10)
for op in ["extr", "extr.u"]:
    def f(op=op):
        pos = rng.randint(0, 63); ln = rng.randint(1, 64 - pos)
        return f"{op} {R(1)}={R()},{pos},{ln}"
    e(f, 15)
def depz():
    pos = rng.randint(0, 63); ln = rng.randint(1, 64 - pos)
    return f"dep.z {R(1)}={R()},{pos},{ln}"
e(depz, 15)
def depzi():
    pos = rng.randint(0, 63); ln = rng.randint(1, 64 - pos)
    return f"dep.z {R(1)}={I(-128, 127)},{pos},{ln}"
e(depzi, 10)
def dep():
    pos = rng.randint(0, 63); ln = rng.randint(1, 16)
    return f"dep {R(1)}={R()},{R()},{pos},{ln}"
e(dep, 15)
def depi():
    pos = rng.randint(0, 63); ln = rng.randint(1, 64)
    return f"dep {R(1)}={rng.choice([0, -1])},{R()},{pos},{ln}"
e(depi, 10)
for op in ["sxt1", "sxt2", "sxt4", "zxt1", "zxt2", "zxt4", "popcnt", "czx1.l", "czx1.r", "czx2.l", "czx2.r"]:
    e(lambda: f"{pred()}{op} {R(1)}={R()}", 4)
for t in ["@brcst", "@mix", "@shuf", "@alt", "@rev"]:
    e(lambda: f"mux1 {R(1)}={R()},{t}", 2)
e(lambda: f"mux2 {R(1)}={R()},{rng.randint(0, 255)}", 6)
for sz in ["1", "2", "4"]:
    for sat in ([""] if sz == "4" else ["", ".sss", ".uus", ".uuu"]):
        for op in ["padd", "psub"]:
            e(lambda: f"{op}{sz}{sat} {R(1)}={R()},{R()}", 2)
    for rel in ["eq", "gt"]:
        e(lambda: f"pcmp{sz}.{rel} {R(1)}={R()},{R()}", 2)
for op in ["pavg1", "pavg2", "pavg1.raz", "pavg2.raz", "pavgsub1", "pavgsub2", "pmpy2.l", "pmpy2.r", "mix1.l", "mix4.r",
           "pack2.sss", "unpack1.h", "pmin2", "pmax1.u", "psad1"]:
    e(lambda: f"{op} {R(1)}={R()},{R()}", 2)
e(lambda: f"pmpyshr2 {R(1)}={R()},{R()},{rng.choice([0, 7, 15, 16])}", 4)
# ---- compares ----
rels = ["eq", "ne", "lt", "le", "gt", "ge", "ltu", "leu", "gtu", "geu"]
for sz in ["cmp", "cmp4"]:
    for rel in rels:
        for typ in ["", ".unc"]:
            e(lambda: f"{pred()}{sz}.{rel}{typ} {PP()}={R()},{R()}", 3)
            e(lambda: f"{sz}.{rel}{typ} {PP()}={rng.choice([1, 127, -127, -1, rng.randint(1, 127), rng.randint(-127, -1)] + ([0] if rel not in ('le', 'gt', 'leu', 'gtu') else []))},{R()}", 3)
    for rel in ["eq", "ne"]:
        for typ in [".and", ".or", ".or.andcm", ".orcm", ".andcm", ".and.orcm"]:
            e(lambda: f"{sz}.{rel}{typ} {PP()}={R()},{R()}", 2)
            e(lambda: f"{sz}.{rel}{typ} {PP()}={I(-128, 127)},{R()}", 2)
    for rel in ["lt", "le", "gt", "ge"]:
        for typ in [".and", ".or", ".or.andcm", ".andcm", ".orcm", ".and.orcm"]:
            e(lambda: f"{sz}.{rel}{typ} {PP()}=r0,{R()}", 2)
for rel in ["z", "nz"]:
    for typ in ["", ".unc", ".and", ".or", ".or.andcm", ".andcm", ".orcm", ".and.orcm"]:
        e(lambda: f"tbit.{rel}{typ} {PP()}={R()},{rng.randint(0, 63)}", 2)
        e(lambda: f"tnat.{rel}{typ} {PP()}={R()}", 2)
# ---- moves ----
e(lambda: f"movl {R(1)}={rng.choice([0, -1, 2**63 - 1, -2**63, rng.getrandbits(64) - 2**63])}", 20)
e(lambda: f"mov {B()}={R()}", 6)
e(lambda: f"mov {R(1)}={B()}", 6)
for ar in ["ar.pfs", "ar.lc", "ar.ec"]:
    e(lambda: f"mov {ar}={R()}", 2); e(lambda: f"mov {R(1)}={ar}", 2); e(lambda: f"mov {ar}={I(-128, 127)}", 2)
for ar in ["ar.unat", "ar.rsc", "ar.bsp", "ar.bspstore", "ar.rnat", "ar.fpsr", "ar.ccv", "ar.itc", "ar.k0", "ar.k7", "ar.csd", "ar.ssd"]:
    e(lambda: f"mov {R(1)}={ar}", 2)
    if ar != "ar.bsp":
        e(lambda: f"mov {ar}={R()}", 2)
e(lambda: f"mov pr={R()},{rng.choice([0x1fffe, 0, 0x10000, rng.randint(0, 0x1ffff) & ~1])}", 6)
e(lambda: f"mov pr.rot={rng.choice([0, 0x10000, -0x10000, (rng.randint(-2**27, 2**27 - 1)) << 16])}", 6)
e(lambda: f"mov {R(1)}=pr", 3)
e(lambda: f"mov {R(1)}=ip", 3)
e(lambda: f"alloc {R(1)}=ar.pfs,{rng.randint(0, 8)},{rng.randint(8, 16)},{rng.randint(0, 8)},{rng.choice([0, 8])}", 8)
# ---- memory ----
hints = ["", ".nt1", ".nta"]
for sz in ["1", "2", "4", "8"]:
    for kind in ["", ".s", ".a", ".sa", ".bias", ".acq", ".c.clr", ".c.nc", ".c.clr.acq"]:
        e(lambda: f"{pred()}ld{sz}{kind}{rng.choice(hints)} {R(1)}=[{R()}]", 1)
        e(lambda: f"ld{sz}{kind}{rng.choice(hints)} {R(1)}=[{R(1)}],{R()}", 1)
        e(lambda: f"ld{sz}{kind}{rng.choice(hints)} {R(1)}=[{R(1)}],{I(-256, 255)}", 1)
    for kind in ["", ".rel"]:
        e(lambda: f"st{sz}{kind}{rng.choice(['', '.nta'])} [{R()}]={R()}", 2)
        e(lambda: f"st{sz}{kind} [{R(1)}]={R()},{I(-256, 255)}", 2)
e(lambda: f"ld8.fill{rng.choice(hints)} {R(1)}=[{R()}]", 3)
e(lambda: f"ld8.fill {R(1)}=[{R(1)}],{I(-256, 255)}", 3)
e(lambda: f"st8.spill [{R()}]={R()}", 3)
e(lambda: f"st8.spill [{R(1)}]={R()},{I(-256, 255)}", 3)
for kind in ["", ".excl", ".fault", ".fault.excl"]:
    for h in ["", ".nt1", ".nt2", ".nta"]:
        e(lambda: f"lfetch{kind}{h} [{R()}]", 1)
    e(lambda: f"lfetch{kind} [{R(1)}],{R()}", 1)
    e(lambda: f"lfetch{kind} [{R(1)}],{I(-256, 255)}", 1)
for sz in ["s", "d", "e", "8"]:
    for kind in ["", ".s", ".a", ".sa", ".c.clr", ".c.nc"]:
        e(lambda: f"ldf{sz}{kind}{rng.choice(hints)} {F()}=[{R()}]", 1)
        e(lambda: f"ldf{sz}{kind} {F()}=[{R(1)}],{R()}", 1)
        e(lambda: f"ldf{sz}{kind} {F()}=[{R(1)}],{I(-256, 255)}", 1)
    e(lambda: f"stf{sz}{rng.choice(['', '.nta'])} [{R()}]={F()}", 2)
    e(lambda: f"stf{sz} [{R(1)}]={F()},{I(-256, 255)}", 2)
e(lambda: f"ldf.fill {F()}=[{R()}]", 2); e(lambda: f"stf.spill [{R()}]={F()}", 2)
for sz in ["s", "d", "8"]:
    for kind in ["", ".s", ".a", ".sa", ".c.clr", ".c.nc"]:
        def ldfp(sz=sz, kind=kind):
            a = rng.randint(2, 62); return f"ldfp{sz}{kind} f{a},f{a + 1 + 64 * rng.randint(0, 0)}=[{R()}]"
        e(ldfp, 1)
    e(lambda: f"ldfp{sz} f10,f11=[{R(1)}],{8 if sz == 's' else 16}", 1)
for k in ["sig", "exp", "s", "d"]:
    e(lambda: f"setf.{k} {F()}={R()}", 2); e(lambda: f"getf.{k} {R(1)}={F()}", 2)
for sz in ["1", "2", "4", "8"]:
    e(lambda: f"xchg{sz} {R(1)}=[{R()}],{R()}", 1)
    for s in ["acq", "rel"]:
        e(lambda: f"cmpxchg{sz}.{s} {R(1)}=[{R()}],{R()},ar.ccv", 1)
for sz in ["4", "8"]:
    for s in ["acq", "rel"]:
        e(lambda: f"fetchadd{sz}.{s} {R(1)}=[{R()}],{rng.choice([-16, -8, -4, -1, 1, 4, 8, 16])}", 2)
# ---- floating point ----
sfs = [".s0", ".s1", ".s2", ".s3"]
for op in ["fma", "fms", "fnma"]:
    for pc in ["", ".s", ".d"]:
        e(lambda: f"{pred()}{op}{pc}{rng.choice(sfs)} {Fd()}={F()},{F()},{F()}", 4)
for op in ["fmpy", "fadd", "fsub", "fnmpy", "fnorm"]:
    for pc in ["", ".s", ".d"]:
        e(lambda: f"{op}{pc}{rng.choice(sfs)} {Fd()}={F()}{'' if op == 'fnorm' else ','+F()}", 2)
for op in ["xma.l", "xma.h", "xma.hu"]:
    e(lambda: f"{op} {Fd()}={F()},{F()},{F()}", 3)
for op in ["xmpy.l", "xmpy.h", "xmpy.hu"]:
    e(lambda: f"{op} {Fd()}={F()},{F()}", 2)
for op in ["fcvt.fx", "fcvt.fxu", "fcvt.fx.trunc", "fcvt.fxu.trunc"]:
    e(lambda: f"{op}{rng.choice(sfs)} {Fd()}={F()}", 2)
e(lambda: f"fcvt.xf {Fd()}={F()}", 3)
e(lambda: f"fcvt.xuf{rng.choice(['', '.s', '.d'])}{rng.choice(sfs)} {Fd()}={F()}", 3)
for rel in ["eq", "lt", "le", "gt", "ge", "unord", "neq", "nlt", "nle", "ngt", "nge", "ord"]:
    for typ in ["", ".unc"]:
        e(lambda: f"fcmp.{rel}{typ}{rng.choice(sfs)} {PP()}={F()},{F()}", 1)
e(lambda: f"frcpa{rng.choice(sfs)} {Fd()},{P()}={F()},{F()}", 4)
e(lambda: f"frsqrta{rng.choice(sfs)} {Fd()},{P()}={F()}", 4)
for op in ["fmerge.s", "fmerge.ns", "fmerge.se", "fand", "fandcm", "for", "fxor", "fpack", "fswap", "fswap.nl", "fswap.nr",
           "fmix.l", "fmix.r", "fmix.lr", "fsxt.l", "fsxt.r"]:
    e(lambda: f"{op} {Fd()}={F()},{F()}", 2)
for op in ["fabs", "fneg", "fnegabs", "mov"]:
    e(lambda: f"{op} {Fd()}={F()}", 3)
e(lambda: f"fselect {Fd()}={F()},{F()},{F()}", 4)
for op in ["fmin", "fmax", "famin", "famax"]:
    e(lambda: f"{op}{rng.choice(sfs)} {Fd()}={F()},{F()}", 2)
e(lambda: f"fclass.m{rng.choice(['', '.unc'])} {PP()}={F()},{rng.randint(0, 0x1ff)}", 4)
e(lambda: f"fclass.nm {PP()}={F()},{rng.randint(0, 0x1ff)}", 2)
e(lambda: f"fsetc{rng.choice(sfs)} {rng.randint(0, 127)},{rng.randint(0, 127)}", 4)
e(lambda: f"fclrf{rng.choice(sfs)}", 4)
# ---- branches / system ----
wh = ["sptk", "spnt", "dptk", "dpnt"]
for kind in ["cond", "wexit", "wtop", "cloop", "cexit", "ctop"]:
    for w in wh:
        e(lambda: f"{'' if kind in ('cloop', 'cexit', 'ctop') else pred()}br.{kind}.{w}{rng.choice(['.few', '.many'])}{rng.choice(['', '.clr'])} {rng.choice(['1b', '2f'])}", 1)
for w in wh:
    e(lambda: f"br.call.{w}{rng.choice(['.few', '.many'])}{rng.choice(['', '.clr'])} {B()}={rng.choice(['1b', '2f'])}", 1)
    e(lambda: f"br.call.{w}{rng.choice(['.few', '.many'])} {B()}={B()}", 1)
    e(lambda: f"{pred()}br.cond.{w}{rng.choice(['.few', '.many'])} {B()}", 1)
    e(lambda: f"br.ia.{w}{rng.choice(['.few', '.many'])} {B()}", 1)
    e(lambda: f"{pred()}br.ret.{w}{rng.choice(['.few', '.many'])}{rng.choice(['', '.clr'])} {B()}", 1)
    e(lambda: f"brl.cond.{w}{rng.choice(['.few', '.many'])} {rng.choice(['1b', '2f'])}", 1)
    e(lambda: f"brl.call.{w}{rng.choice(['.few', '.many'])} {B()}={rng.choice(['1b', '2f'])}", 1)
e(lambda: f"(p6) chk.s {R()},{rng.choice(['1b', '2f'])}", 3)
e(lambda: f"chk.s.i {R()},{rng.choice(['1b', '2f'])}", 2)
e(lambda: f"chk.s {Fd()},{rng.choice(['1b', '2f'])}", 2)
for k in ["nc", "clr"]:
    e(lambda: f"chk.a.{k} {R()},{rng.choice(['1b', '2f'])}", 2)
    e(lambda: f"chk.a.{k} {F()},{rng.choice(['1b', '2f'])}", 1)
e(lambda: f"fchkf{rng.choice(sfs)} {rng.choice(['1b', '2f'])}", 2)
for u in ["m", "i", "b", "f", "x"]:
    e(lambda: f"nop.{u} {rng.choice([0, 1, 0x1fffff if u != 'x' else 2**62 - 1, rng.randint(0, 0x1fffff)])}", 3)
    e(lambda: f"break.{u} {rng.choice([0, 1, 0x1fffff if u != 'x' else 2**62 - 1, rng.randint(0, 0x1fffff)])}", 3)
for u in ["i", "f"]:
    e(lambda: f"hint.{u} {rng.choice([0, 1, rng.randint(0, 0x1fffff)])}", 2)
for s in ["epc", "cover", "clrrrb", "clrrrb.pr", "flushrs", "loadrs", "mf", "mf.a", "srlz.d", "srlz.i", "sync.i", "invala", "fwb", "rfi"]:
    e(s, 2)
e(lambda: f"fc {R()}", 2); e(lambda: f"fc.i {R()}", 2)
e(lambda: f"invala.e {R()}", 2); e(lambda: f"invala.e {F()}", 2)

src = [".text", ".explicit", "1:"]
for k, ins in enumerate(out):
    src.append("  " + ins + " ;;")
    if k % 50 == 25:
        src.append("2:")
src.append("2: nop.m 0 ;;")
text = "\n".join(src) + "\n"
here = os.path.dirname(__file__)
with open(os.path.join(here, "asm.s"), "w") as f:
    f.write(text)
data = assemble_to_binary(text)
o = os.path.join(here, "..", "..", "..", "..", "Tests", "IA64DecoderTests", "Corpus", "asm.txt")
write_expect(o, data, objdump_binary(data))
print("wrote", o, len(out), "source instructions,", len(data) // 16, "bundles")
