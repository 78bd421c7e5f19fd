#!/usr/bin/env python3
"""Seeded generator of PowerPC (32-bit BE, Linux user mode) instruction test programs.

    python3 gen.py --seed 2026 --count 48 --out corpus

writes DIR/pNNNN.s (one static, libc-free program per file, CASES cases each) and
DIR/MANIFEST.txt.  Every case re-initialises the whole user register state from a
data block, runs 1-8 generated instructions and write(2)s a 480-byte record to
stdout.  See README.md for the record layout and the manifest format.

Everything is derived from --seed (Python's random.Random, no other entropy), so
the same seed always gives byte-identical sources.
"""
import argparse
import math
import os
import random
import struct

REC_SIZE = 480
CD_SIZE = 192          # per-case init data block
AREA = 64              # bytes of the test memory area that are dumped

# CPU profiles: qemu -cpu name -> extra instructions it enables.
PROFILES = {
    '750': set(),                  # qemu-ppc's default 32-bit CPU (G3)
    '7400': {'fsqrt', 'fsqrts'},   # qemu's 7400 model accepts fsqrt (see README)
    'e500mc': {'isel'},            # Book E core with isel and a classic FPU
}
# ... and the instructions it lacks (qemu raises SIGILL).
MISSING = {
    '750': set(), '7400': set(),
    'e500mc': {'lswi', 'lswx', 'stswi', 'stswx'},   # no string instructions on e500mc
}

GPRS = [0] + list(range(2, 32))   # r1 is the harness pointer, never touched by tests

# ---------------------------------------------------------------- FPSCR bits
def B(i):
    return 1 << (31 - i)

FX, FEX, VX, OX, UX, ZX, XX, VXSNAN = B(0), B(1), B(2), B(3), B(4), B(5), B(6), B(7)
FR, FI = B(13), B(14)
FPRF = B(15) | B(16) | B(17) | B(18) | B(19)
FPCC = B(16) | B(17) | B(18) | B(19)
ENABLES = B(24) | B(25) | B(26) | B(27) | B(28)
NI = B(29)
RESERVED20 = B(20)
# bits a test may set / clear with mtfsb0/mtfsb1: not FEX/VX (summary bits),
# not bit 20 (reserved), not the enables (see README: qemu-user traps), not NI.
MTFSB_BITS = [0] + list(range(3, 20)) + [21, 22, 23, 30, 31]
STICKY_EXC = [0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 21, 22, 23]

# ---------------------------------------------------------------- value tables
INT_EDGE = [0, 1, 2, 3, 0xffffffff, 0xfffffffe, 0x7fffffff, 0x80000000, 0x80000001,
            0x7ffffffe, 0xffff, 0x10000, 0xffff0000, 0x8000, 0x7fff, 0xffff8000,
            0xffff7fff, 0xff, 0x80, 0xffffff80, 0x7f, 31, 32, 33, 63, 64,
            0x55555555, 0xaaaaaaaa, 0x0f0f0f0f, 0x12345678, 0xdeadbeef, 0x00010001]


def d2b(x):
    return struct.unpack('>Q', struct.pack('>d', x))[0]


def f2b(x):
    return struct.unpack('>I', struct.pack('>f', x))[0]


def s2d_bits(u32):
    return d2b(struct.unpack('>f', struct.pack('>I', u32))[0]) if (u32 >> 23) & 0xff != 0xff \
        else ((u32 >> 31) << 63) | (0x7ff << 52) | ((u32 & 0x7fffff) << 29)


FIXED_DOUBLES = [
    0.0, -0.0, 1.0, -1.0, 1.5, 2.0, 3.0, 0.5, -2.5, 2.5, 0.1, -0.1, 1.0 / 3.0, math.pi,
    1e300, -1e300, 1e-300, 1.7976931348623157e308, -1.7976931348623157e308,
    2.2250738585072014e-308, 1.1125369292536007e-308, 5e-324, -5e-324,
    float('inf'), float('-inf'),
    3.4028234663852886e38, 1.1754943508222875e-38, 1.401298464324817e-45,
    3.4028235677973366e38, 7e-46, 1e-40, -1e-40,
    2147483647.0, 2147483647.5, 2147483648.0, -2147483648.0, -2147483648.5,
    -2147483649.0, 4294967296.0, 1e10, -1e10, 0.49999999999999994, -0.5, -1.5,
    1.0000000000000002, 0.9999999999999999, 16777217.0, 16777216.0, 65536.0,
    1.0000001192092896, 4.5e15, 9007199254740993.0, 6.02214076e23, -7.25,
]
FIXED_BITS = [
    0x7ff8000000000000,  # qNaN
    0xfff8000000000000,  # -qNaN
    0x7ff8000000000123,  # qNaN with a payload not representable in single
    0x7ffc000020000000,  # qNaN, single-representable payload
    0x7ff4000000000000,  # sNaN
    0xfff0000000000001,  # -sNaN, low payload
]


def is_single(b):
    """Exactly representable in single format (incl. inf/NaN with a short payload)."""
    e = (b >> 52) & 0x7ff
    m = b & ((1 << 52) - 1)
    if e == 0x7ff:
        return (m & ((1 << 29) - 1)) == 0
    if e == 0:
        return m == 0
    unb = e - 1023
    if unb > 127:
        return False
    if unb >= -126:
        return (m & ((1 << 29) - 1)) == 0
    # single denormal: value = 1.m * 2^unb, needs shift
    sh = -126 - unb           # extra bits lost
    if sh > 23:
        return False
    return (m & ((1 << (29 + sh)) - 1)) == 0


def stfs_ok(b):
    """Power ISA Book I 4.6.3: stfs result defined (no-denorm or denorm-required case)."""
    e = (b >> 52) & 0x7ff
    return e > 896 or (b & ((1 << 63) - 1)) == 0 or 874 <= e <= 896


def hexd(b):
    try:
        return repr(struct.unpack('>d', struct.pack('>Q', b))[0])
    except Exception:
        return hex(b)


class Program:
    def __init__(self, rng, name, cpu):
        self.rng = rng
        self.name = name
        self.cpu = cpu
        self.extra = PROFILES[cpu]
        r = rng
        # FP table: fixed values + per-program random values + FPSCR patterns
        tab = [d2b(x) for x in FIXED_DOUBLES] + list(FIXED_BITS)
        for _ in range(14):   # random doubles near 1 (rounding), random exponents
            e = r.choice([1023, 1023, 1022, 1024, 1030, 1000, 1100, 900, 2000, 50, 1])
            tab.append((r.getrandbits(1) << 63) | (e << 52) | r.getrandbits(52))
        for _ in range(14):   # random singles (incl. near overflow / underflow)
            e = r.choice([127, 127, 126, 128, 140, 100, 250, 254, 1, 2, 0])
            u = (r.getrandbits(1) << 31) | (e << 23) | r.getrandbits(23)
            tab.append(s2d_bits(u))
        self.fpscr_pats = []
        for _ in range(8):
            v = self.rand_fpscr(r) | (r.getrandbits(32) & ~(ENABLES | NI | RESERVED20 | FEX | VX))
            self.fpscr_pats.append(len(tab))
            tab.append((r.getrandbits(32) << 32) | v)
        self.ftab = tab
        # memory pool: 256 bytes mixing random bytes, singles and doubles from the table
        pool = bytearray()
        while len(pool) < 256:
            k = r.randrange(4)
            if k == 0:
                pool += struct.pack('>Q', r.choice(tab))
            elif k == 1:
                b = r.choice(tab)
                pool += struct.pack('>I', (b >> 32) if not is_single(b) else f2b_bits(b))
            elif k == 2:
                pool += struct.pack('>I', r.choice(INT_EDGE))
            else:
                pool += struct.pack('>I', r.getrandbits(32))
        self.pool = bytes(pool[:256])
        self.cases = []

    @staticmethod
    def rand_fpscr(r):
        v = r.randrange(4)                                  # RN
        if r.random() < 0.5:
            v |= r.choice([0, FR, FI, FR | FI])
            v |= r.getrandbits(5) << 12                     # FPRF
        if r.random() < 0.35:
            for _ in range(r.randint(1, 3)):
                v |= B(r.choice(STICKY_EXC))
            if r.random() < 0.8:
                v |= FX
        return v


def f2b_bits(b):
    """double bits (single-representable) -> single bits."""
    sign = b >> 63
    e = (b >> 52) & 0x7ff
    if e == 0x7ff:
        return (sign << 31) | (0xff << 23) | ((b >> 29) & 0x7fffff)
    return f2b(struct.unpack('>d', struct.pack('>Q', b))[0])


class Case:
    """Generation-time knowledge about the machine state of one case."""

    def __init__(self, prog, idx):
        self.p = prog
        self.r = prog.rng
        self.idx = idx
        r = self.r
        self.gval = [None] * 32       # int | ('ptr', off) | None(unknown)
        self.gpoison = set()
        self.fknown = [None] * 32     # table index | None
        self.fsingle = [False] * 32
        self.fpoison = {}             # reg -> 'hi' | 'all'
        self.crpoison = 0             # CR bits (mask) with undefined contents
        self.fpscrpoison = 0
        self.insns = []
        # ---- initial GPRs
        init = [0] * 32
        for g in GPRS:
            k = r.random()
            if k < 0.40:
                v = r.choice(INT_EDGE)
            elif k < 0.70:
                v = r.getrandbits(32)
            elif k < 0.85:
                v = r.randint(-64, 64) & 0xffffffff
            else:
                v = (r.getrandbits(32) >> r.randint(0, 31)) ^ (0xffffffff if r.random() < .3 else 0)
            init[g] = v
        # pointers into the test area (bases), and small index registers
        regs = [g for g in GPRS if g != 0]
        r.shuffle(regs)
        low = [g for g in regs if g < 16]
        nptr = r.randint(2, 4)
        ptrs = low[:nptr - 1] + [g for g in regs if g not in low[:nptr - 1]][:1]
        for g in ptrs:
            init[g] = ('ptr', r.choice([0, 0, 8, 16, 24, 32, r.randrange(0, 64, 4), r.randrange(64)]))
        rest = [g for g in GPRS if g not in ptrs]
        r.shuffle(rest)
        for g in rest[:3]:
            init[g] = r.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 28, 32, 40, r.randrange(64)])
        self.xer_like = []
        for g in rest[3:5]:  # sources for mtxer: only architected XER bits
            init[g] = (r.getrandbits(3) << 29) | r.randint(0, 32)
            self.xer_like.append(g)
        self.ginit = init
        for g in GPRS:
            self.gval[g] = init[g]
        # ---- CR, XER, LR, CTR, FPSCR
        self.cr = r.getrandbits(32) if r.random() < .8 else r.choice([0, 0xffffffff])
        cnt = r.randint(1, 24) if r.random() < .85 else r.choice([0, 32])
        self.xer = (r.getrandbits(3) << 29) | cnt
        self.xer_count = cnt
        self.lr = r.getrandbits(32)
        self.ctr = r.choice(INT_EDGE + [r.getrandbits(32)] * 4)
        self.fpscr = Program.rand_fpscr(r)
        self.memoff = r.randrange(0, 256 - AREA + 1, 4)
        # ---- FPRs
        self.finit = []
        ntab = len(prog.ftab)
        singles = [i for i, b in enumerate(prog.ftab) if is_single(b)]
        for f in range(32):
            k = r.random()
            if k < 0.45:
                i = r.choice(singles)
            elif k < 0.55:
                i = r.choice(prog.fpscr_pats)
            else:
                i = r.randrange(ntab)
            self.finit.append(i)
            self.fknown[f] = i
            self.fsingle[f] = is_single(prog.ftab[i])

    # ------------------------------------------------------------ helpers
    def gsrc(self, exclude=()):
        c = [g for g in GPRS if g not in self.gpoison and g not in exclude]
        return self.r.choice(c)

    def gdst(self, exclude=()):
        return self.r.choice([g for g in GPRS if g not in exclude])

    def wg(self, g, val=None):
        self.gval[g] = val
        self.gpoison.discard(g)

    def fsrc(self, single=False, allow_hi=False):
        c = [f for f in range(32)
             if (f not in self.fpoison or (allow_hi and self.fpoison[f] == 'hi'))
             and (not single or self.fsingle[f])]
        if not c:
            return None
        return self.r.choice(c)

    def wf(self, f, single=False, poison=None):
        self.fknown[f] = None
        self.fsingle[f] = single
        self.fpoison.pop(f, None)
        if poison:
            self.fpoison[f] = poison

    def wcr_field(self, fld, fx_dependent=False):
        m = 0xf << (28 - 4 * fld)
        self.crpoison &= ~m
        if fx_dependent and (self.fpscrpoison & FX):
            self.crpoison |= B(4 * fld)

    def cr_bit_ok(self, b):
        return not (self.crpoison & B(b))

    def ptrs(self):
        return [g for g in GPRS if g != 0 and g not in self.gpoison
                and isinstance(self.gval[g], tuple)]

    def ints(self, lo=0, hi=AREA):
        return [g for g in GPRS if g not in self.gpoison and isinstance(self.gval[g], int)
                and lo <= self.gval[g] <= hi]

    def ea_d(self, size, align, update=False, avoid=()):
        """D-form: returns (base, disp, ea) or None."""
        c = [g for g in self.ptrs() if g not in avoid]
        if not c:
            return None
        base = self.r.choice(c)
        k = self.gval[base][1]
        t = self.r.randrange(0, AREA - size + 1, align)
        return base, t - k, t

    def ea_x(self, size, align, update=False, avoid=()):
        """X-form: returns (ra_text, ra, rb, ea) or None.  ra == 0 means literal 0."""
        r = self.r
        for _ in range(20):
            mode = r.random()
            ps = [g for g in self.ptrs() if g not in avoid]
            if mode < 0.2 and not update:
                ps2 = [g for g in self.ptrs() if g not in avoid]
                if not ps2:
                    continue
                rb = r.choice(ps2)
                ea = self.gval[rb][1]
                ra = 0
            elif mode < 0.8:
                if not ps:
                    continue
                ra = r.choice(ps)
                ix = [g for g in self.ints() if g not in avoid and g != ra]
                if not ix:
                    continue
                rb = r.choice(ix)
                ea = self.gval[ra][1] + self.gval[rb]
            else:  # index in RA, pointer in RB
                ix = [g for g in self.ints() if g not in avoid and g != 0]
                ps2 = [g for g in self.ptrs() if g not in avoid]
                if not ix or not ps2:
                    continue
                ra = r.choice(ix)
                rb = r.choice(ps2)
                if ra == rb:
                    continue
                ea = self.gval[ra] + self.gval[rb][1]
            if 0 <= ea <= AREA - size and ea % align == 0:
                return ('0' if ra == 0 else 'r%d' % ra), ra, rb, ea
        return None

    def emit(self, s):
        self.insns.append(s)

    # ------------------------------------------------------------ masks
    def ignore_list(self):
        out = []
        for g in sorted(self.gpoison):
            out.append('r%d' % g)
        if self.crpoison:
            out.append('cr=0x%08x' % self.crpoison)
        for f in sorted(self.fpoison):
            out.append('f%d' % f if self.fpoison[f] == 'all' else 'f%d.hi' % f)
        if self.fpscrpoison:
            out.append('fpscr=0x%08x' % self.fpscrpoison)
        return ','.join(out) if out else '-'


# ==================================================================== templates
T = {}   # name -> (fn, arg)


def reg(name, fn, *arg):
    T[name] = (fn, arg)


def rc_suffix(name):
    return name.endswith('.')


def t_xo3(c, name, base, o, rc):
    rd, ra, rb = c.gdst(), c.gsrc(), c.gsrc()
    c.emit('%s r%d,r%d,r%d' % (name, rd, ra, rb))
    c.wg(rd)
    if rc:
        c.wcr_field(0)
    return True


def t_div(c, name, base, o, rc):
    ks = [g for g in GPRS if g not in c.gpoison and isinstance(c.gval[g], int)]
    if len(ks) < 2:
        return False
    r = c.r
    ra = r.choice(ks)
    zs = [g for g in ks if c.gval[g] in (0, 0xffffffff)]
    rb = r.choice(zs) if zs and r.random() < 0.3 else r.choice(ks)
    a, b = c.gval[ra], c.gval[rb]
    undef = b == 0 or (base == 'divw' and a == 0x80000000 and b == 0xffffffff)
    rd = c.gdst()
    c.emit('%s r%d,r%d,r%d' % (name, rd, ra, rb))
    c.wg(rd)
    if rc:
        c.wcr_field(0)
    if undef:
        c.gpoison.add(rd)
        if rc:
            c.crpoison |= B(0) | B(1) | B(2)
    return True


for base in ['add', 'addc', 'adde', 'subf', 'subfc', 'subfe', 'mullw', 'divw', 'divwu']:
    for o in ('', 'o'):
        for rc in ('', '.'):
            reg(base + o + rc, t_div if base.startswith('div') else t_xo3, base, o, rc)
for base in ['mulhw', 'mulhwu']:
    for rc in ('', '.'):
        reg(base + rc, t_xo3, base, '', rc)


def t_xo2(c, name, rc):
    rd, ra = c.gdst(), c.gsrc()
    c.emit('%s r%d,r%d' % (name, rd, ra))
    c.wg(rd)
    if rc:
        c.wcr_field(0)
    return True


for base in ['addme', 'addze', 'subfme', 'subfze', 'neg']:
    for o in ('', 'o'):
        for rc in ('', '.'):
            reg(base + o + rc, t_xo2, rc)


def simm(r):
    return r.choice([0, 1, -1, 0x7fff, -0x8000, 2, -2, 0x100, r.randint(-0x8000, 0x7fff),
                     r.randint(-64, 64)])


def uimm(r):
    return r.choice([0, 1, 0xffff, 0x8000, 0x7fff, 0xff00, r.randrange(0x10000), r.randrange(64)])


def t_dimm(c, name, kind):
    r = c.r
    rd = c.gdst()
    ra = c.gsrc()
    if name in ('addi', 'addis') and r.random() < 0.25:
        ra = 0      # li / lis semantics
    ras = '0' if (ra == 0 and name in ('addi', 'addis')) else 'r%d' % ra
    if kind == 's':
        c.emit('%s r%d,%s,%d' % (name, rd, ras, simm(r)))
    else:
        c.emit('%s r%d,%s,0x%x' % (name, rd, ras, uimm(r)))
    c.wg(rd)
    if name.endswith('.'):
        c.wcr_field(0)
    return True


for n in ['addi', 'addis', 'addic', 'addic.', 'subfic', 'mulli']:
    reg(n, t_dimm, 's')
for n in ['andi.', 'andis.', 'ori', 'oris', 'xori', 'xoris']:
    reg(n, t_dimm, 'u')


def t_log3(c, name, rc):
    ra, rs, rb = c.gdst(), c.gsrc(), c.gsrc()
    c.emit('%s r%d,r%d,r%d' % (name, ra, rs, rb))
    c.wg(ra)
    if rc:
        c.wcr_field(0)
    return True


def t_log2(c, name, rc):
    ra, rs = c.gdst(), c.gsrc()
    c.emit('%s r%d,r%d' % (name, ra, rs))
    c.wg(ra)
    if rc:
        c.wcr_field(0)
    return True


def t_srawi(c, name, rc):
    ra, rs = c.gdst(), c.gsrc()
    c.emit('%s r%d,r%d,%d' % (name, ra, rs, c.r.choice([0, 1, 31, c.r.randrange(32)])))
    c.wg(ra)
    if rc:
        c.wcr_field(0)
    return True


for base in ['and', 'andc', 'or', 'orc', 'xor', 'nand', 'nor', 'eqv', 'slw', 'srw', 'sraw']:
    for rc in ('', '.'):
        reg(base + rc, t_log3, rc)
for base in ['extsb', 'extsh', 'cntlzw']:
    for rc in ('', '.'):
        reg(base + rc, t_log2, rc)
for rc in ('', '.'):
    reg('srawi' + rc, t_srawi, rc)


def t_rot(c, name, rc):
    r = c.r
    ra, rs = c.gdst(), c.gsrc()
    mb, me = r.randrange(32), r.randrange(32)
    if r.random() < .3:
        mb, me = r.choice([(0, 31), (16, 31), (0, 15), (24, 31), (31, 0), (5, 2)])
    if name.startswith('rlwnm'):
        rb = c.gsrc()
        c.emit('%s r%d,r%d,r%d,%d,%d' % (name, ra, rs, rb, mb, me))
    else:
        if name.startswith('rlwimi'):
            if ra in c.gpoison:
                return False
        c.emit('%s r%d,r%d,%d,%d,%d' % (name, ra, rs, r.randrange(32), mb, me))
    c.wg(ra)
    if rc:
        c.wcr_field(0)
    return True


for base in ['rlwinm', 'rlwnm', 'rlwimi']:
    for rc in ('', '.'):
        reg(base + rc, t_rot, rc)


def t_cmp(c, name):
    r = c.r
    bf = r.randrange(8)
    ra = c.gsrc()
    if name == 'cmp' or name == 'cmpl':
        c.emit('%s cr%d,0,r%d,r%d' % (name, bf, ra, c.gsrc()))
    elif name == 'cmpi':
        c.emit('cmpi cr%d,0,r%d,%d' % (bf, ra, simm(r)))
    else:
        c.emit('cmpli cr%d,0,r%d,0x%x' % (bf, ra, uimm(r)))
    c.wcr_field(bf)
    return True


for n in ['cmp', 'cmpi', 'cmpl', 'cmpli']:
    reg(n, t_cmp)


def t_crlog(c, name):
    r = c.r
    ok = [b for b in range(32) if c.cr_bit_ok(b)]
    if not ok:
        return False
    bt, ba, bb = r.randrange(32), r.choice(ok), r.choice(ok)
    c.emit('%s %d,%d,%d' % (name, bt, ba, bb))
    c.crpoison &= ~B(bt)
    return True


for n in ['crand', 'cror', 'crxor', 'crnand', 'crnor', 'creqv', 'crandc', 'crorc']:
    reg(n, t_crlog)


def t_mcrf(c, name):
    ok = [f for f in range(8) if not (c.crpoison & (0xf << (28 - 4 * f)))]
    if not ok:
        return False
    bf = c.r.randrange(8)
    c.emit('mcrf cr%d,cr%d' % (bf, c.r.choice(ok)))
    c.wcr_field(bf)
    return True


def t_mcrxr(c, name):
    bf = c.r.randrange(8)
    c.emit('mcrxr cr%d' % bf)
    c.wcr_field(bf)
    return True


def t_mfcr(c, name):
    if c.crpoison:
        return False
    rd = c.gdst()
    c.emit('mfcr r%d' % rd)
    c.wg(rd)
    return True


def t_mtcrf(c, name):
    fxm = c.r.choice([0xff, 0x80, 0x01, c.r.randrange(256)])
    c.emit('mtcrf 0x%02x,r%d' % (fxm, c.gsrc()))
    for f in range(8):
        if fxm & (0x80 >> f):
            c.wcr_field(f)
    return True


def t_mfspr(c, name):
    rd = c.gdst()
    c.emit('%s r%d' % (name, rd))
    c.wg(rd)
    return True


def t_mtspr(c, name):
    if name == 'mtxer':
        ok = [g for g in c.xer_like if g not in c.gpoison and c.gval[g] is not None]
        if not ok:
            return False
        g = c.r.choice(ok)
        c.xer_count = c.gval[g] & 0x7f
    else:
        g = c.gsrc()
    c.emit('%s r%d' % (name, g))
    return True


def t_isel(c, name):
    ok = [b for b in range(32) if c.cr_bit_ok(b)]
    if not ok:
        return False
    rd = c.gdst()
    ra = c.gsrc() if c.r.random() < .8 else 0
    rb = c.gsrc()
    c.emit('isel r%d,%s,r%d,%d' % (rd, 'r%d' % ra if ra else '0', rb, c.r.choice(ok)))
    c.wg(rd)
    return True


reg('mcrf', t_mcrf)
reg('mcrxr', t_mcrxr)
reg('mfcr', t_mfcr)
reg('mtcrf', t_mtcrf)
for n in ['mfxer', 'mfctr', 'mflr']:
    reg(n, t_mfspr)
for n in ['mtxer', 'mtctr', 'mtlr']:
    reg(n, t_mtspr)
reg('isel', t_isel)

# ---------------------------------------------------------------- loads / stores
ISIZE = {'b': 1, 'h': 2, 'w': 4}


def t_ld(c, name, size, update, indexed, store):
    r = c.r
    if store:
        rs = c.gsrc()
    else:
        rs = c.gdst()
    avoid = (rs,) if (update and not store) else ()
    if indexed:
        e = c.ea_x(size, 1, update, avoid)
        if not e:
            return False
        ras, ra, rb, ea = e
        if update and ra == 0:
            return False
        c.emit('%s r%d,%s,r%d' % (name, rs, ras, rb))
    else:
        e = c.ea_d(size, 1, update, avoid)
        if not e:
            return False
        ra, d, ea = e
        c.emit('%s r%d,%d(r%d)' % (name, rs, d, ra))
    if not store:
        c.wg(rs)
    if update:
        c.wg(ra, ('ptr', ea))
    return True


for op, sz, st in [('lbz', 1, 0), ('lhz', 2, 0), ('lha', 2, 0), ('lwz', 4, 0),
                   ('stb', 1, 1), ('sth', 2, 1), ('stw', 4, 1)]:
    reg(op, t_ld, sz, False, False, st)
    reg(op + 'u', t_ld, sz, True, False, st)
    reg(op + 'x', t_ld, sz, False, True, st)
    reg(op + 'ux', t_ld, sz, True, True, st)
for op, sz, st in [('lhbrx', 2, 0), ('lwbrx', 4, 0), ('sthbrx', 2, 1), ('stwbrx', 4, 1)]:
    reg(op, t_ld, sz, False, True, st)


def t_lmw(c, name):
    r = c.r
    rt = r.randint(16, 31)
    n = 32 - rt
    if name == 'lmw':
        e = c.ea_d(4 * n, 4, avoid=range(rt, 32))
    else:
        if any(g in c.gpoison for g in range(rt, 32)):
            return False
        e = c.ea_d(4 * n, 4)
    if not e:
        return False
    ra, d, ea = e
    c.emit('%s r%d,%d(r%d)' % (name, rt, d, ra))
    if name == 'lmw':
        for g in range(rt, 32):
            c.wg(g)
    return True


reg('lmw', t_lmw)
reg('stmw', t_lmw)


def str_regs(rt, nb):
    return [(rt + i) % 32 for i in range((nb + 3) // 4)]


def t_lswi(c, name):
    r = c.r
    for _ in range(20):
        nb = r.choice([1, 2, 3, 4, 5, 7, 8, 12, 16, 31, 32, r.randint(1, 32)])
        ps = c.ptrs()
        if not ps:
            return False
        ra = r.choice(ps)
        ea = c.gval[ra][1]
        if ea + nb > AREA:
            continue
        rt = r.choice(GPRS)
        regs = str_regs(rt, nb)
        if 1 in regs:
            continue
        if name == 'lswi':
            if ra in regs:
                continue
        elif any(g in c.gpoison for g in regs):
            continue
        c.emit('%s r%d,r%d,%d' % (name, rt, ra, nb))
        if name == 'lswi':
            for g in regs:
                c.wg(g)
        return True
    return False


def t_lswx(c, name):
    r = c.r
    n = c.xer_count
    if n is None or (n == 0 and name == 'lswx'):
        return False
    for _ in range(30):
        e = c.ea_x(max(n, 1), 1)
        if not e:
            continue
        ras, ra, rb, ea = e
        if ea + n > AREA:
            continue
        rt = r.choice(GPRS)
        regs = str_regs(rt, n)
        if 1 in regs:
            continue
        if name == 'lswx':
            if ra in regs or rb in regs:
                continue
        elif any(g in c.gpoison for g in regs):
            continue
        c.emit('%s r%d,%s,r%d' % (name, rt, ras, rb))
        if name == 'lswx':
            for g in regs:
                c.wg(g)
        return True
    return False


reg('lswi', t_lswi)
reg('stswi', t_lswi)
reg('lswx', t_lswx)
reg('stswx', t_lswx)


def t_larx(c, name):
    r = c.r
    rt = c.gdst()
    e = c.ea_x(4, 4, avoid=(rt,))
    if not e:
        return False
    ras, ra, rb, ea = e
    rs = rt if r.random() < .3 else c.gsrc()
    c.emit('lwarx r%d,%s,r%d' % (rt, ras, rb))
    c.emit('stwcx. r%d,%s,r%d' % (rs, ras, rb))
    c.wg(rt)
    c.wcr_field(0)
    return True


def t_dcbz(c, name):
    e = c.ea_x(1, 1)
    if not e:
        return False
    ras, ra, rb, ea = e
    c.emit('dcbz %s,r%d' % (ras, rb))
    return True


reg('lwarx+stwcx.', t_larx)
reg('dcbz', t_dcbz)


def t_fld(c, name, size, update, indexed, store):
    r = c.r
    if store:
        if name.startswith('stfiwx'):
            fs = c.fsrc(allow_hi=True)
        elif name.startswith('stfs'):
            ok = [f for f in range(32) if f not in c.fpoison and
                  (c.fsingle[f] or (c.fknown[f] is not None and stfs_ok(c.p.ftab[c.fknown[f]])))]
            fs = r.choice(ok) if ok else None
        else:
            fs = c.fsrc()
        if fs is None:
            return False
    else:
        fs = r.randrange(32)
    if indexed:
        e = c.ea_x(size, 4, update)
        if not e:
            return False
        ras, ra, rb, ea = e
        if update and ra == 0:
            return False
        c.emit('%s f%d,%s,r%d' % (name, fs, ras, rb))
    else:
        e = c.ea_d(size, 4, update)
        if not e:
            return False
        ra, d, ea = e
        c.emit('%s f%d,%d(r%d)' % (name, fs, d, ra))
    if not store:
        c.wf(fs, single=(size == 4))
    if update:
        c.wg(ra, ('ptr', ea))
    return True


for op, sz, st in [('lfs', 4, 0), ('lfd', 8, 0), ('stfs', 4, 1), ('stfd', 8, 1)]:
    reg(op, t_fld, sz, False, False, st)
    reg(op + 'u', t_fld, sz, True, False, st)
    reg(op + 'x', t_fld, sz, False, True, st)
    reg(op + 'ux', t_fld, sz, True, True, st)
reg('stfiwx', t_fld, 4, False, True, 1)

# ---------------------------------------------------------------- FP arithmetic
ARITH_FPSCR = FR | FI | FPRF   # always rewritten by arithmetic / rounding instructions


def fp_rc(c, rc):
    if rc:
        c.wcr_field(1, fx_dependent=True)


def t_farith(c, name, shape, single, rc):
    """shape: 'ab' (A,B) 'ac' (A,C) 'acb' (A,C,B) 'b' (B)."""
    srcs = []
    for _ in shape:
        f = c.fsrc(single=single)
        if f is None:
            return False
        srcs.append(f)
    fd = c.r.randrange(32)
    c.emit('%s f%d,%s' % (name, fd, ','.join('f%d' % f for f in srcs)))
    c.wf(fd, single=single)
    c.fpscrpoison &= ~ARITH_FPSCR
    fp_rc(c, rc)
    return True


for base, shape in [('fadd', 'ab'), ('fsub', 'ab'), ('fmul', 'ac'), ('fdiv', 'ab'),
                    ('fmadd', 'acb'), ('fmsub', 'acb'), ('fnmadd', 'acb'), ('fnmsub', 'acb'),
                    ('fsqrt', 'b')]:
    for s in ('', 's'):
        for rc in ('', '.'):
            reg(base + s + rc, t_farith, shape, s == 's', rc)
for rc in ('', '.'):
    reg('frsp' + rc, t_farith, 'b', False, rc)


def t_fmove(c, name, rc):
    if name.startswith('fsel'):
        a, cc, b = c.fsrc(), c.fsrc(), c.fsrc()
        fd = c.r.randrange(32)
        c.emit('%s f%d,f%d,f%d,f%d' % (name, fd, a, cc, b))
        c.wf(fd, single=c.fsingle[cc] and c.fsingle[b])
    else:
        b = c.fsrc()
        fd = c.r.randrange(32)
        c.emit('%s f%d,f%d' % (name, fd, b))
        c.wf(fd, single=c.fsingle[b])
    fp_rc(c, rc)
    return True


for base in ['fsel', 'fabs', 'fnabs', 'fneg', 'fmr']:
    for rc in ('', '.'):
        reg(base + rc, t_fmove, rc)


def t_fcti(c, name, rc):
    b = c.fsrc()
    fd = c.r.randrange(32)
    c.emit('%s f%d,f%d' % (name, fd, b))
    c.wf(fd, poison='hi')          # FRT[0:31] undefined
    c.fpscrpoison &= ~(FR | FI)
    c.fpscrpoison |= FPRF          # FPRF undefined
    fp_rc(c, rc)
    return True


def t_fest(c, name, rc):
    b = c.fsrc()
    fd = c.r.randrange(32)
    c.emit('%s f%d,f%d' % (name, fd, b))
    c.wf(fd, poison='all')         # estimate: implementation dependent
    c.fpscrpoison |= FR | FI | FPRF | XX | FX
    fp_rc(c, rc)
    return True


for base in ['fctiw', 'fctiwz']:
    for rc in ('', '.'):
        reg(base + rc, t_fcti, rc)
for base in ['fres', 'frsqrte']:
    for rc in ('', '.'):
        reg(base + rc, t_fest, rc)


def t_fcmp(c, name):
    a, b = c.fsrc(), c.fsrc()
    bf = c.r.randrange(8)
    c.emit('%s cr%d,f%d,f%d' % (name, bf, a, b))
    c.wcr_field(bf)
    c.fpscrpoison &= ~FPCC
    return True


reg('fcmpu', t_fcmp)
reg('fcmpo', t_fcmp)


def fld_mask(field):
    return 0xf << (28 - 4 * field)


def t_mffs(c, name, rc):
    if c.fpscrpoison:
        return False
    fd = c.r.randrange(32)
    c.emit('%s f%d' % (name, fd))
    c.wf(fd, poison='hi')
    fp_rc(c, rc)
    return True


def t_mtfsf(c, name, rc):
    ok = [f for f in range(32) if f not in c.fpoison and c.fknown[f] in c.p.fpscr_pats]
    if not ok:
        return False
    fm = c.r.choice([0xff, 0x01, 0x80, 0x7f, c.r.randrange(1, 256)])
    c.emit('%s 0x%02x,f%d' % (name, fm, c.r.choice(ok)))
    for i in range(8):
        if fm & (0x80 >> i):
            c.fpscrpoison &= ~fld_mask(i)
    fp_rc(c, rc)
    return True


def t_mtfsfi(c, name, rc):
    r = c.r
    bf = r.randrange(8)
    imm = r.randrange(16)
    if bf == 0:
        imm &= 9      # FEX/VX cannot be set explicitly (and real 750s differ, see README)
    elif bf == 5:
        imm &= 7
    elif bf == 6:
        imm = 0
    elif bf == 7:
        imm &= 3
    c.emit('%s %d,%d' % (name, bf, imm))
    c.fpscrpoison &= ~fld_mask(bf)
    fp_rc(c, rc)
    return True


def t_mtfsb(c, name, rc):
    bit = c.r.choice(MTFSB_BITS)
    c.emit('%s %d' % (name, bit))
    c.fpscrpoison &= ~B(bit)
    fp_rc(c, rc)
    return True


for rc in ('', '.'):
    reg('mffs' + rc, t_mffs, rc)
    reg('mtfsf' + rc, t_mtfsf, rc)
    reg('mtfsfi' + rc, t_mtfsfi, rc)
    reg('mtfsb0' + rc, t_mtfsb, rc)
    reg('mtfsb1' + rc, t_mtfsb, rc)


def base_of(name):
    n = name.rstrip('.')
    return n


def allowed(name, cpu):
    b = base_of(name)
    if b in MISSING[cpu]:
        return False
    if b in ('fsqrt', 'fsqrts', 'isel'):
        return b in PROFILES[cpu]
    return True


def names_for(cpu):
    return [n for n in T if allowed(n, cpu)]


def ninsns(name):
    return 2 if '+' in name else 1


# ==================================================================== emission
HARNESS = r'''
	.macro BEGIN n
	lis r1,cd\n@ha
	addi r1,r1,cd\n@l
	bl init
	lwz r0,136(r1)
	mtlr r0
	lwz r0,0(r1)
	lis r1,rec@ha
	addi r1,r1,rec@l
	.endm
	.macro END n
	stw r0,8(r1)
	mflr r0
	stw r0,144(r1)
	li r0,\n
	stw r0,4(r1)
	bl dump
	.endm

# init: r1 -> case data block.  Loads test area, FPSCR, FPRs, CR, XER, CTR,
# r2..r31 (LR and r0 are loaded by BEGIN after the return).
init:
	lis r3,mempool@ha
	addi r3,r3,mempool@l
	lwz r0,152(r1)
	add r3,r3,r0
	lis r4,testarea@ha
	addi r4,r4,testarea@l
	li r0,16
	mtctr r0
1:	lwz r0,0(r3)
	stw r0,0(r4)
	addi r3,r3,4
	addi r4,r4,4
	bdnz 1b
	lfd f0,144(r1)
	mtfsf 0xff,f0
	lis r3,ftab@ha
	addi r3,r3,ftab@l
	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	lbz r0,156+\i(r1)
	slwi r0,r0,3
	lfdx \i,r3,r0
	.endr
	lwz r0,128(r1)
	mtcrf 0xff,r0
	lwz r0,132(r1)
	mtxer r0
	lwz r0,140(r1)
	mtctr r0
	.irp i,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	lwz \i,4*\i(r1)
	.endr
	blr

# dump: r1 -> rec; r0, LR and the case number are already stored.
dump:
	.irp i,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stw \i,8+4*\i(r1)
	.endr
	li r0,0
	stw r0,12(r1)
	mfcr r0
	stw r0,136(r1)
	mfxer r0
	stw r0,140(r1)
	mfctr r0
	stw r0,148(r1)
	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stfd \i,160+8*\i(r1)
	.endr
	mffs f0
	stfd f0,152(r1)
	li r0,0
	stw r0,152(r1)
	lis r0,0x5050
	ori r0,r0,0x4354
	stw r0,0(r1)
	lis r3,testarea@ha
	addi r3,r3,testarea@l
	addi r4,r1,416
	li r0,16
	mtctr r0
1:	lwz r0,0(r3)
	stw r0,0(r4)
	addi r3,r3,4
	addi r4,r4,4
	bdnz 1b
	li r0,4
	li r3,1
	mr r4,r1
	li r5,480
	sc
	blr
'''


def gen_case(prog, idx, focus):
    for attempt in range(50):
        c = Case(prog, idx)
        r = prog.rng
        L = r.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8])
        pos = r.randrange(L)
        names = names_for(prog.cpu)
        slot = 0
        focus_done = False
        while slot < L:
            want = focus if (slot >= pos and not focus_done) else r.choice(names)
            if slot + ninsns(want) > L and not (want == focus and not focus_done):
                want = r.choice([n for n in names if ninsns(n) == 1])
            fn, arg = T[want]
            if fn(c, want, *arg):
                slot += ninsns(want)
                if want == focus:
                    focus_done = True
            elif want == focus:
                focus_done = True   # retry the whole case below
                break
        if any(focus.split('+')[0] == i.split()[0] for i in c.insns):
            return c
    return c


def emit_program(prog, seed):
    out = []
    w = out.append
    w('# umlab PowerPC ISA differential test program (generated by gen.py, do not edit)')
    w('# name: %s  seed: %d  cpu: %s  cases: %d  record: %d bytes' %
      (prog.name, seed, prog.cpu, len(prog.cases), REC_SIZE))
    w('# manifest lines: #@ name case cpu ignore insns')
    for c in prog.cases:
        w('#@ %s\t%d\t%s\t%s\t%s' % (prog.name, c.idx, prog.cpu, c.ignore_list(), ' ; '.join(c.insns)))
    w('\t.text')
    w(HARNESS)
    w('\t.globl _start')
    w('_start:')
    for c in prog.cases:
        w('\tBEGIN %d' % c.idx)
        for i in c.insns:
            w('\t' + i)
        w('\tEND %d' % c.idx)
    w('\tli r0,1\n\tli r3,0\n\tsc')
    w('\t.data\n\t.balign 128\ntestarea:\t.space 128\nrec:\t.space %d' % REC_SIZE)
    w('\t.balign 8\nftab:')
    for i in range(0, len(prog.ftab), 4):
        w('\t.long ' + ','.join('0x%08x,0x%08x' % (b >> 32, b & 0xffffffff)
                                 for b in prog.ftab[i:i + 4]))
    w('mempool:')
    for i in range(0, 256, 32):
        w('\t.long ' + ','.join('0x%08x' % struct.unpack('>I', prog.pool[j:j + 4])[0]
                                 for j in range(i, i + 32, 4)))
    for c in prog.cases:
        vals = []
        for g in range(32):
            v = c.ginit[g] if g != 1 else 0
            if isinstance(v, tuple):
                vals.append('testarea+%d' % v[1])
            else:
                vals.append('0x%x' % v)
        w('\t.balign 8\ncd%d:' % c.idx)
        for i in range(0, 32, 8):
            w('\t.long ' + ','.join(vals[i:i + 8]))
        w('\t.long 0x%x,0x%x,0x%x,0x%x,0,0x%x,%d' % (c.cr, c.xer, c.lr, c.ctr, c.fpscr, c.memoff))
        w('\t.byte ' + ','.join(str(i) for i in c.finit))
        w('\t.long 0')
    return '\n'.join(out) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', type=int, default=2026)
    ap.add_argument('--count', type=int, default=48, help='number of programs')
    ap.add_argument('--cases', type=int, default=64, help='cases per program')
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    master = random.Random(a.seed)
    focus_lists = {}
    counters = {}
    manifest = []
    for p in range(a.count):
        cpu = '7400' if p % 8 == 3 else 'e500mc' if p % 8 == 7 else '750'
        rng = random.Random(master.getrandbits(64))
        prog = Program(rng, 'p%04d' % p, cpu)
        if cpu not in focus_lists:
            fl = names_for(cpu)
            random.Random(a.seed ^ len(fl)).shuffle(fl)
            focus_lists[cpu] = fl
            counters[cpu] = 0
        for i in range(a.cases):
            fl = focus_lists[cpu]
            if PROFILES[cpu] and i % 4 == 0:
                special = [n for n in fl if base_of(n) in PROFILES[cpu]]
                focus = special[(i // 4) % len(special)]
            else:
                focus = fl[counters[cpu] % len(fl)]
                counters[cpu] += 1
            prog.cases.append(gen_case(prog, i, focus))
        src = emit_program(prog, a.seed)
        with open(os.path.join(a.out, prog.name + '.s'), 'w') as f:
            f.write(src)
        for c in prog.cases:
            manifest.append('%s\t%d\t%s\t%s\t%s' % (prog.name, c.idx, cpu, c.ignore_list(),
                                                    ' ; '.join(c.insns)))
    with open(os.path.join(a.out, 'MANIFEST.txt'), 'w') as f:
        f.write(MANIFEST_HEADER)
        f.write('\n'.join(manifest) + '\n')


MANIFEST_HEADER = '''\
# umlab PowerPC ISA corpus manifest: one line per case, tab separated:
# program  case  qemu-cpu  ignore  instructions (";"-separated)
# ignore: "-" or comma list of architecturally undefined state to skip:
#   rN | fN (whole register) | fN.hi (FPR bits 0:31) | cr=MASK | fpscr=MASK (bits to skip)
# record: 480 bytes per case, big-endian, see README.md
'''

if __name__ == '__main__':
    main()
