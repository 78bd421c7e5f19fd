#!/usr/bin/env python3
"""Check PowerPC FP arithmetic against an exact rational model of the Power ISA.

    python3 fpfuzz.py [--seed N] [--count N] [--edge] [--qemu [--allow-qemu-deviations]]
                      [--umlab PATH] [--dir DIR]

Generates COUNT random operations (fadd fsub fmul fdiv fmadd fmsub fnmadd fnmsub fsqrt, each in
double and single form, and frsp) with finite operands and a random rounding mode, builds one
static program that runs each of them from a cleared FPSCR and records the result and the FPSCR
(mffs), runs it under umlab (default) or qemu-ppc (--qemu), and recomputes every result with
fractions.Fraction: the exact value rounded once to the target precision, tininess detected
before rounding, overflow from the result rounded with an unbounded exponent (so it depends on
the rounding mode), fnmadd/fnmsub negated after rounding.  Compared: the result bits and the
whole FPSCR (FX OX UX XX FR FI FPRF; FR is skipped after an overflow, where the ISA leaves it
undefined).  --edge draws from hand-made corners instead (overflow thresholds, results at
2^-1022 and the single-precision limits, products far below the denormal range).
--allow-qemu-deviations skips FR and fnmadd/fnmsub (README deviations 1 and 4).
Single-precision forms get single-format operands only (other operands are undefined there).
The program and its build go to DIR (default corpus/build/fpfuzz).  Exit status 1 on a mismatch.
"""
import argparse
import math
import os
import random
import struct
import subprocess
import sys
from fractions import Fraction as Q

HERE = os.path.dirname(os.path.abspath(__file__))
FPSCR_NAMES = ['FX', 'FEX', 'VX', 'OX', 'UX', 'ZX', 'XX', 'VXSNAN', 'VXISI', 'VXIDI',
               'VXZDZ', 'VXIMZ', 'VXVC', 'FR', 'FI', 'C', 'FL', 'FG', 'FE', 'FU', 'res20',
               'VXSOFT', 'VXSQRT', 'VXCVI', 'VE', 'OE', 'UE', 'ZE', 'XE', 'NI', 'RN0', 'RN1']
FX, OX, UX, XX, FR, FI = 1 << 31, 1 << 28, 1 << 27, 1 << 25, 1 << 18, 1 << 17
FORMS = {'fadd': 'AB', 'fsub': 'AB', 'fmul': 'AC', 'fdiv': 'AB', 'fmadd': 'ACB',
         'fmsub': 'ACB', 'fnmadd': 'ACB', 'fnmsub': 'ACB', 'fsqrt': 'B', 'frsp': 'B'}
# (precision, minimum exponent, maximum exponent)
FORMAT = {'d': (53, -1022, 1023), 's': (24, -126, 127)}
DBL_MAX = sys.float_info.max
FLT_MAX = 3.4028234663852886e+38


def bits(d):
    return struct.unpack('>Q', struct.pack('>d', d))[0]


def from_bits(b):
    return struct.unpack('>d', struct.pack('>Q', b))[0]


def to_single(d):
    return struct.unpack('>f', struct.pack('>f', d))[0]


def step(d, k):
    """The double k units in the last place away from d (same sign)."""
    return from_bits(bits(d) + k)


def names(v):
    return ' '.join(FPSCR_NAMES[i] for i in range(32) if v & (1 << (31 - i)))


def ilog2(x):
    """floor(log2(x)) for a positive Fraction."""
    e = x.numerator.bit_length() - x.denominator.bit_length()
    while Q(2) ** e > x:
        e -= 1
    while Q(2) ** (e + 1) <= x:
        e += 1
    return e


def round_to(x, rn, fmt, sqrt_of=None):
    """Round the exact value x (or sqrt(sqrt_of)) to format fmt in mode rn.
    -> (value as float, OX, UX, XX, FR, FI)."""
    p, emin, emax = FORMAT[fmt]
    if sqrt_of is not None:
        e = ilog2(sqrt_of) // 2
        quantum_exp = max(e, emin) - (p - 1)
        y = sqrt_of / Q(4) ** quantum_exp          # sqrt(y) = sqrt(x) / 2^quantum_exp
        n = math.isqrt(y.numerator // y.denominator)
        while Q(n + 1) ** 2 <= y:
            n += 1
        rest = 0 if Q(n) ** 2 == y else (1 if y > Q(2 * n + 1, 2) ** 2 else -1)   # vs n + 1/2
        negative, tiny = False, e < emin
    else:
        if x == 0:
            return 0.0, 0, 0, 0, 0, 0
        negative, a = x < 0, abs(x)
        e = ilog2(a)
        tiny = e < emin
        quantum_exp = max(e, emin) - (p - 1)
        scaled = a / Q(2) ** quantum_exp
        n = math.floor(scaled)
        frac = scaled - n
        rest = 0 if frac == 0 else (1 if frac > Q(1, 2) else -1 if frac < Q(1, 2) else 2)
    inexact = rest != 0
    up = {0: rest == 1 or (rest == 2 and n % 2 == 1), 1: False, 2: not negative, 3: negative}[rn] and inexact
    m = n + 1 if up else n
    largest = (2 - Q(2) ** (1 - p)) * Q(2) ** emax
    if m * Q(2) ** quantum_exp > largest:         # overflow: rounded with an unbounded exponent
        to_inf = rn == 0 or (rn == 2 and not negative) or (rn == 3 and negative)
        v = math.inf if to_inf else float(largest)
        return (-v if negative else v), 1, 0, 1, int(to_inf), 1
    v = float(m * Q(2) ** quantum_exp)
    return (-v if negative else v), 0, int(tiny and inexact), int(inexact), int(up), int(inexact)


def fprf(v):
    if math.isinf(v):
        return 0b01001 if v < 0 else 0b00101
    if v == 0:
        return 0b10010 if math.copysign(1, v) < 0 else 0b00010
    if abs(v) < sys.float_info.min:
        return 0b11000 if v < 0 else 0b10100
    return 0b01000 if v < 0 else 0b00100


def expected(op, single, rn, a, b, c):
    """-> (result bits, FPSCR, overflowed) per the Power ISA, from a cleared FPSCR with RN=rn."""
    A, B, C = Q(a), Q(b), Q(c)
    fmt = 's' if single or op == 'frsp' else 'd'
    cancel_zero = None        # the signs of two addends, for an exact zero sum
    sqrt_of = None
    if op in ('fadd', 'fsub'):
        b2 = b if op == 'fadd' else -b
        x, cancel_zero = A + Q(b2), (a, b2)
    elif op == 'fmul':
        x = A * C
    elif op == 'fdiv':
        x = A / B
    elif op == 'fsqrt':
        x, sqrt_of = None, B
    elif op == 'frsp':
        x = B
    else:
        b2 = b if op in ('fmadd', 'fnmadd') else -b
        x = A * C + Q(b2)
        product_sign = math.copysign(1, a) * math.copysign(1, c)
        cancel_zero = (math.copysign(0.0, product_sign) if A * C == 0 else product_sign, b2)
    if sqrt_of is not None and sqrt_of == 0:
        v, ox, ux, xx, fr, fi = b, 0, 0, 0, 0, 0
    else:
        v, ox, ux, xx, fr, fi = round_to(x, rn, fmt, sqrt_of)
    if v == 0 and x is not None:
        if x != 0:
            v = 0.0 if x > 0 else -0.0                             # underflow keeps the sign
        elif cancel_zero is not None:
            s, t = cancel_zero
            same = s == 0 and t == 0 and math.copysign(1, s) == math.copysign(1, t)
            v = s if same else (-0.0 if rn == 3 else 0.0)         # exact zero sum
        elif op == 'frsp':
            v = b
        else:                                                      # fmul, fdiv: sign rule
            v = math.copysign(0.0, math.copysign(1, a) * math.copysign(1, c if op == 'fmul' else b))
    if op in ('fnmadd', 'fnmsub'):
        v = -v                                                     # negated after rounding
    fpscr = rn | (OX if ox else 0) | (UX if ux else 0) | (XX if xx else 0) | (FR if fr else 0) | (FI if fi else 0)
    if fpscr & (OX | UX | XX):
        fpscr |= FX
    return bits(v), fpscr | fprf(v) << 12, bool(ox)


def random_operand(R, single):
    if single:
        r = R.random()
        e = R.randint(-4, 4) if r < 0.25 else R.randint(100, 127) if r < 0.45 else \
            R.randint(-149, -110) if r < 0.65 else R.randint(-149, 127)
        m = R.getrandbits(23) | 1 << 23 if R.random() < 0.8 else R.choice([1 << 23, (1 << 24) - 1, (1 << 23) + 1])
        v = min(to_single(math.ldexp(m, e - 23)), FLT_MAX)
        v = v if v else 1.401298464324817e-45
    else:
        r = R.random()
        e = R.randint(-3, 3) if r < 0.3 else R.randint(960, 1023) if r < 0.45 else \
            R.randint(-1074, -1000) if r < 0.6 else R.randint(-600, -450) if r < 0.7 else R.randint(-1074, 1023)
        m = R.getrandbits(52) | 1 << 52
        if R.random() < 0.2:
            m = R.choice([1 << 52, (1 << 53) - 1, (1 << 52) + 1, (1 << 52) | (1 << 28), (1 << 52) | (1 << 29) | 1])
        v = math.ldexp(m, e - 52)
        v = DBL_MAX if math.isinf(v) else v
    return -v if R.random() < 0.4 else v


def random_case(R):
    op = R.choice(list(FORMS))
    single = op != 'frsp' and R.random() < 0.5
    rn = R.randint(0, 3)
    a, b, c = (random_operand(R, single) for _ in range(3))
    fit = (lambda v: to_single(v) if abs(v) < FLT_MAX else b) if single else (lambda v: v)
    if FORMS[op] == 'ACB' and R.random() < 0.3:          # near-cancellation: b close to ∓a·c
        p = float(Q(a) * Q(c)) if abs(Q(a) * Q(c)) < DBL_MAX else 1.0
        b = fit(-p if op in ('fmadd', 'fnmadd') else p)
        if R.random() < 0.5:
            b = fit(b * (1 + R.choice([2 ** -52, -2 ** -52, 2 ** -23, 2 ** -30])))
    if op in ('fadd', 'fsub') and R.random() < 0.3:
        b = fit((-a if op == 'fadd' else a) * (1 + R.choice([0, 2 ** -52, -2 ** -52, 2 ** -20, 2 ** -60])))
    if op == 'frsp' and R.random() < 0.4:              # single midpoints and range limits
        e = R.choice([R.randint(-150, -120), R.randint(120, 128), R.randint(-5, 5)])
        m = (R.getrandbits(24) | 1 << 24) * 2 + 1 if R.random() < 0.5 else R.getrandbits(52) | 1 << 52
        b = math.ldexp(m, e - m.bit_length() + 1)
        b = DBL_MAX if math.isinf(b) else b
        b = -b if R.random() < 0.5 else b
    if op == 'fsqrt':
        b = abs(b)
    return op, single, rn, a, b, c


def edge_case(R):
    """Corners: overflow thresholds, tininess at 2^-1022 and 2^-126, vanishing products."""
    rn = R.randint(0, 3)
    sign = lambda: R.choice([-1, 1])
    two = lambda k: math.ldexp(1.0, k)
    kind = R.randint(0, 11)
    if kind == 0:     # DBL_MAX + about half an ulp: overflow in some modes only
        s = sign()
        return 'fadd', False, rn, s * DBL_MAX, s * R.choice([two(970), step(two(970), 1), step(two(970), -1), two(971), two(969)]), 1.0
    if kind == 1:     # products around 2^1024
        return 'fmul', False, rn, sign() * step(two(512), R.randint(-3, 3)), 1.0, step(two(511) * R.choice([1, 2]), R.randint(-3, 3))
    if kind == 2:     # fused products around 2^1024 with a cancelling or negligible addend
        b = R.choice([-DBL_MAX, DBL_MAX, -two(-1074), two(-1074), -two(970), 0.0, -step(two(1023), 1), -two(1023)])
        return (R.choice(['fmadd', 'fmsub', 'fnmadd', 'fnmsub']), False, rn, step(two(512), R.randint(-2, 2)), b,
                sign() * step(two(512), R.randint(-2, 2)))
    if kind == 3:     # quotients around 2^1024
        return 'fdiv', False, rn, sign() * step(DBL_MAX, -R.randint(0, 3)), step(R.choice([1.0, 0.5, 0.25]), R.randint(-3, 3)), 1.0
    if kind == 4:     # products far below the denormal range, small or zero addends
        a = math.ldexp(1 + R.random(), -R.randint(500, 1074))
        c = math.ldexp(1 + R.random(), -R.randint(500, 1074))
        b = R.choice([0.0, -0.0, two(-1074), -two(-1074), 3 * two(-1074), two(-1022), -two(-1022),
                      math.ldexp(1 + R.random(), -R.randint(900, 1074)), 1.0, -1.5])
        return R.choice(['fmadd', 'fmsub', 'fnmadd', 'fnmsub', 'fmul']), False, rn, sign() * a, b, sign() * c
    if kind == 5:     # products at 2^-1022: tiny before rounding, normal after
        return 'fmul', False, rn, sign() * step(two(-511), R.randint(-3, 3)), 1.0, step(two(-511), R.randint(-3, 3))
    if kind == 6:
        return 'fdiv', False, rn, sign() * step(two(-1022), R.randint(-2, 2)), step(1.0, R.randint(-3, 3)), 1.0
    if kind == 7:     # single-precision products around 2^128
        a = to_single(two(64) * (1 + R.randint(-3, 3) * 2 ** -23))
        c = to_single(two(63) * (1 + R.randint(-3, 3) * 2 ** -23) * R.choice([1, 2, 1.5]))
        return R.choice(['fmul', 'fmadd', 'fmsub']), True, rn, sign() * a, R.choice([0.0, -FLT_MAX, 1.0, -two(104)]), c
    if kind == 8:     # single-precision products around 2^-126
        a = to_single(two(-63) * (1 + R.randint(-3, 3) * 2 ** -23))
        c = to_single(two(-63) * (1 + R.randint(-3, 3) * 2 ** -23))
        return R.choice(['fmul', 'fmadd', 'fnmsub']), True, rn, sign() * a, R.choice([0.0, two(-149), -two(-126)]), c
    if kind == 9:     # frsp at the single-precision limits
        b = R.choice([step(FLT_MAX, R.randint(-2, 2) << 28), step(FLT_MAX, (1 << 28) + R.randint(-2, 2)),
                      step(two(-126), R.randint(-3, 3)), step(two(-126), -(1 << 28) + R.randint(-2, 2)),
                      step(two(-149), R.randint(-2, 2)), two(-150), step(two(-150), R.randint(-2, 2))])
        return 'frsp', False, rn, 1.0, sign() * b, 1.0
    if kind == 10:    # square roots of denormals and of the largest numbers
        b = R.choice([step(two(-1074), R.randint(0, 50)), step(DBL_MAX, -R.randint(0, 5)), step(two(-1022), R.randint(-5, 5))])
        return 'fsqrt', False, rn, 1.0, b, 1.0
    return 'fsub', False, rn, sign() * step(two(-1022), R.randint(-3, 3)), sign() * step(two(-1022), R.randint(-3, 3)), 1.0


def program(cases):
    """One static program: per case load FPSCR and operands, run the instruction, store FRT and
    the FPSCR; finally write(1) all 16-byte records."""
    args = {'AB': 'f4,f1,f2', 'AC': 'f4,f1,f3', 'ACB': 'f4,f1,f3,f2', 'B': 'f4,f2'}
    out = ['\t.text', '\t.globl _start', '_start:', '\tlis r3,vin@ha', '\taddi r3,r3,vin@l',
           '\tlis r4,vout@ha', '\taddi r4,r4,vout@l']
    for op, single, rn, a, b, c in cases:
        out += ['\tlfd f0,0(r3)', '\tmtfsf 0xff,f0', '\tlfd f1,8(r3)', '\tlfd f2,16(r3)', '\tlfd f3,24(r3)',
                '\t%s%s %s' % (op, 's' if single else '', args[FORMS[op]]), '\tmffs f5',
                '\tstfd f4,0(r4)', '\tstfd f5,8(r4)', '\taddi r3,r3,32', '\taddi r4,r4,16']
    n = 16 * len(cases)
    out += ['\tli r0,4', '\tli r3,1', '\tlis r4,vout@ha', '\taddi r4,r4,vout@l', '\tlis r5,%d@ha' % n,
            '\taddi r5,r5,%d@l' % n, '\tsc', '\tli r0,1', '\tli r3,0', '\tsc', '\t.data', '\t.balign 8', 'vin:']
    out += ['\t.quad %d,0x%016x,0x%016x,0x%016x' % (rn, bits(a), bits(b), bits(c)) for _, _, rn, a, b, c in cases]
    out += ['\t.bss', '\t.balign 8', 'vout:', '\t.space %d' % n]
    return '\n'.join(out) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--count', type=int, default=5000)
    ap.add_argument('--edge', action='store_true')
    ap.add_argument('--qemu', action='store_true', help='run under qemu-ppc -cpu 7400 instead')
    ap.add_argument('--allow-qemu-deviations', action='store_true')
    ap.add_argument('--umlab', default=os.path.join(HERE, '../../../../.build/release/umlab'))
    ap.add_argument('--dir', default=os.path.join(HERE, 'corpus/build/fpfuzz'))
    a = ap.parse_args()
    R = random.Random(a.seed)
    cases = [edge_case(R) if a.edge else random_case(R) for _ in range(a.count)]
    os.makedirs(a.dir, exist_ok=True)
    exe = os.path.join(a.dir, 'fpfuzz%d%s' % (a.seed, 'e' if a.edge else ''))
    open(exe + '.s', 'w').write(program(cases))
    subprocess.run(['powerpc-linux-gnu-as', '-a32', '-mbig', '-mregnames', '-m7400', '-o', exe + '.o', exe + '.s'], check=True)
    subprocess.run(['powerpc-linux-gnu-ld', '-static', '-o', exe, exe + '.o'], check=True)
    # umlab resolves the path in the guest's file system, where /tmp is its own tmpfs.
    run = ['qemu-ppc', '-cpu', '7400', exe] if a.qemu else [a.umlab, 'run', '--', exe]
    out = subprocess.run(run, capture_output=True).stdout
    if len(out) != 16 * len(cases):
        sys.exit('fpfuzz: %s wrote %d bytes, expected %d' % (run[0], len(out), 16 * len(cases)))
    bad = 0
    for i, (op, single, rn, x, y, z) in enumerate(cases):
        got, fpscr = struct.unpack_from('>QQ', out, 16 * i)
        fpscr &= 0xffffffff
        want, want_fpscr, overflowed = expected(op, single, rn, x, y, z)
        mask = 0xffffffff & ~(FR if overflowed or a.allow_qemu_deviations else 0)
        if a.allow_qemu_deviations and op.startswith('fnm'):
            continue
        if got != want or (fpscr ^ want_fpscr) & mask:
            bad += 1
            if bad <= 20:
                print('%s%s RN=%d a=%r b=%r c=%r\n    got      0x%016x  %s\n    expected 0x%016x  %s'
                      % (op, 's' if single else '', rn, x, y, z, got, names(fpscr), want, names(want_fpscr)))
    print('%d operations, %d mismatches' % (len(cases), bad))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
