// IEEE arithmetic with PowerPC's status: the FPSCR exception bits, FR/FI, and the four rounding
// modes, computed in Swift from round-to-nearest host arithmetic and error-free transformations,
// so the host's floating-point environment is never touched.
//
// Every operation first yields its exact result in two parts (`FPExact`): the host's
// round-to-nearest double `r` and the sign of the rounding error (exact − r). The sign is exact in
// every range: where a residual would underflow, the operands are rescaled to [1, 2) first, so
// that the residual is representable again (only its sign and whether it is zero matter). From
// those two parts alone follow, per the Power ISA (Book I, Floating-Point Facility):
//   * directed rounding (one step from r toward the exact value) and FR/FI;
//   * tininess, detected before rounding: |exact| < 2^-1022 (2^-126 for single precision);
//   * overflow, which depends on the rounding mode: it happens when the result rounded with an
//     unbounded exponent exceeds the largest finite number, so toward zero only from 2^1024 on;
//   * single-precision results rounded once: r and the error sign give the exact value rounded to
//     odd at 53 bits, which rounds to 24 bits exactly as the exact value would (no double rounding).

/// FPSCR bit masks (IBM numbering: bit 0 is the most significant).
enum FPSCR {
    static func bit(_ n: Int) -> UInt32 { 1 << UInt32(31 - n) }
    static let FX = bit(0), FEX = bit(1), VX = bit(2), OX = bit(3), UX = bit(4), ZX = bit(5), XX = bit(6)
    static let VXSNAN = bit(7), VXISI = bit(8), VXIDI = bit(9), VXZDZ = bit(10), VXIMZ = bit(11), VXVC = bit(12)
    static let FR = bit(13), FI = bit(14)
    static let VXSOFT = bit(21), VXSQRT = bit(22), VXCVI = bit(23)
    static let UE = bit(26)
    /// Sticky exception bits whose 0→1 transition sets FX.
    static let exceptions: UInt32 = OX | UX | ZX | XX | VXSNAN | VXISI | VXIDI | VXZDZ | VXIMZ | VXVC | VXSOFT | VXSQRT | VXCVI
    static let defaultNaN = Double(bitPattern: 0x7ff8_0000_0000_0000)
}

/// An operation's result before rounding: the round-to-nearest double and the sign of its error.
struct FPExact {
    /// The exact result rounded to nearest (a NaN or infinity for special results).
    var r: Double
    /// Positive, negative or zero as the exact result is above, below or equal to `r`.
    var err = 0.0
    /// Invalid-operation and zero-divide bits.
    var raised: UInt32 = 0
    /// `r` is an infinity because finite operands overflowed the double range.
    var overflow = false
    /// With `overflow`: |exact| ≥ 2^1024, so even rounding toward zero overflows.
    var beyond = false
}

/// The outcome of one operation: the value and the status it raises.
struct FPOutcome {
    var value: Double
    var raised: UInt32 = 0
    /// FI: the result was inexact; FR: its magnitude was rounded up.
    var inexact = false
    var roundedUp = false
}

enum PPCFloatMath {
    /// Exact a + b = s + e (no overflow).
    @inline(__always) static func twoSum(_ a: Double, _ b: Double) -> (Double, Double) {
        let s = a + b
        let bb = s - a
        return (s, (a - (s - bb)) + (b - bb))
    }

    /// The sign of x0 + x1 + x2 + x3, exactly: the four terms grow a nonoverlapping expansion
    /// (Shewchuk), whose largest nonzero component carries the sign of the sum.
    static func expansionSign(_ x0: Double, _ x1: Double, _ x2: Double, _ x3: Double) -> Double {
        let (q1, e0) = twoSum(x1, x0)
        var (q, g0) = twoSum(x2, e0)
        var g1: Double
        (q, g1) = twoSum(q, q1)
        let g2 = q
        var k0: Double, k1: Double, k2: Double
        (q, k0) = twoSum(x3, g0)
        (q, k1) = twoSum(q, g1)
        (q, k2) = twoSum(q, g2)
        if q != 0 { return q }
        if k2 != 0 { return k2 }
        if k1 != 0 { return k1 }
        return k0
    }

    @inline(__always) static func scaled(_ x: Double, _ k: Int) -> Double {
        Double(sign: .plus, exponent: k, significand: x)
    }
    /// x = m · 2^e with |m| in [1, 2) (x finite and nonzero; m keeps x's sign).
    @inline(__always) static func split(_ x: Double) -> (m: Double, e: Int) {
        (x.sign == .minus ? -x.significand : x.significand, Int(x.exponent))
    }
    @inline(__always) static func sign(_ x: Double) -> Double { x.sign == .minus ? -1 : 1 }

    /// |exact| ≥ t, given exact's round-to-nearest value r and error sign err (t a positive double).
    @inline(__always) static func atLeast(_ r: Double, _ err: Double, _ t: Double) -> Bool {
        abs(r) > t || (abs(r) == t && (err == 0 || (err > 0) == (r > 0)))
    }

    /// NaN operands: an sNaN raises VXSNAN; the result is the first NaN, quieted.
    @inline(__always) static func propagate(_ a: Double, _ b: Double = 0, _ c: Double = 0) -> FPExact? {
        guard a.isNaN || b.isNaN || c.isNaN else { return nil }
        let first = a.isNaN ? a : b.isNaN ? b : c
        var out = FPExact(r: Double(bitPattern: first.bitPattern | 0x0008_0000_0000_0000))
        if a.isSignalingNaN || b.isSignalingNaN || c.isSignalingNaN { out.raised = FPSCR.VXSNAN }
        return out
    }

    static func invalid(_ bit: UInt32) -> FPExact { FPExact(r: FPSCR.defaultNaN, raised: bit) }

    // MARK: operations

    /// a + b. An exact zero sum of opposite signs is +0, or −0 when rounding toward −∞.
    static func add(_ a: Double, _ b: Double, mode: UInt32) -> FPExact {
        if let n = propagate(a, b) { return n }
        if a.isInfinite || b.isInfinite {
            return a.isInfinite && b.isInfinite && a.sign != b.sign ? invalid(FPSCR.VXISI) : FPExact(r: a + b)
        }
        let (s, e) = twoSum(a, b)
        if s.isInfinite {
            // Both operands are at least 2^970 here, so quartering them is exact.
            let (s4, e4) = twoSum(a * 0.25, b * 0.25)
            return FPExact(r: s, overflow: true, beyond: atLeast(s4, e4, 0x1p1022))
        }
        var out = FPExact(r: s, err: e)
        if s == 0 && e == 0 && mode == 3 && !(a.sign == .plus && b.sign == .plus) { out.r = -0.0 }
        return out
    }

    static func mul(_ a: Double, _ c: Double) -> FPExact {
        if let n = propagate(a, c) { return n }
        if (a.isInfinite && c == 0) || (a == 0 && c.isInfinite) { return invalid(FPSCR.VXIMZ) }
        let p = a * c
        if !a.isFinite || !c.isFinite || a == 0 || c == 0 { return FPExact(r: p) }
        if p.isInfinite { return FPExact(r: p, overflow: true, beyond: productBeyond(a, c)) }
        return FPExact(r: p, err: productError(a, c, p))
    }

    /// Sign of a·c − p for p = a·c rounded to nearest (a, c finite, nonzero).
    @inline(__always) static func productError(_ a: Double, _ c: Double, _ p: Double) -> Double {
        if abs(p) >= 0x1p-968 { return (-p).addingProduct(a, c) }  // the residual is representable
        let (ma, ea) = split(a), (mc, ec) = split(c)
        return (-scaled(p, -(ea + ec))).addingProduct(ma, mc)
    }

    /// |a·c| ≥ 2^1024 (a, c finite, nonzero).
    static func productBeyond(_ a: Double, _ c: Double) -> Bool {
        let (ma, ea) = split(a), (mc, ec) = split(c)
        let s = ea + ec  // |a·c| = |ma·mc| · 2^s with |ma·mc| in [1, 4)
        if s != 1023 { return s > 1023 }
        let m = ma * mc
        return atLeast(m, (-m).addingProduct(ma, mc), 2)
    }

    static func div(_ a: Double, _ b: Double) -> FPExact {
        if let n = propagate(a, b) { return n }
        if a.isInfinite && b.isInfinite { return invalid(FPSCR.VXIDI) }
        if a == 0 && b == 0 { return invalid(FPSCR.VXZDZ) }
        if b == 0 {
            let negative = (a.sign == .minus) != (b.sign == .minus)
            return FPExact(r: negative ? -.infinity : .infinity, raised: a.isInfinite ? 0 : FPSCR.ZX)
        }
        let q = a / b
        if a == 0 || a.isInfinite || b.isInfinite { return FPExact(r: q) }  // ±0 or ±∞, exact
        if q.isInfinite {
            // |a/b| = |ma/mb| · 2^(ea−eb) with |ma/mb| in (1/2, 2).
            let (ma, ea) = split(a), (mb, eb) = split(b)
            let s = ea - eb
            return FPExact(r: q, overflow: true, beyond: s > 1024 || (s == 1024 && abs(ma) >= abs(mb)))
        }
        if q == 0 { return FPExact(r: q, err: sign(a) * sign(b)) }  // a nonzero quotient underflowed to 0
        // a/b − q has the sign of (a − q·b)·b: the remainder is exact unless a is tiny, and then
        // it is taken at the operands' scale, with q' = q·2^(eb−ea) near 1.
        if abs(a) >= 0x1p-960 { return FPExact(r: q, err: a.addingProduct(-q, b) * sign(b)) }
        let (ma, ea) = split(a), (mb, eb) = split(b)
        let q1 = scaled(q, eb - ea)
        return FPExact(r: q, err: ma.addingProduct(-q1, mb) * sign(b))
    }

    static func sqrt(_ x: Double) -> FPExact {
        if let n = propagate(x) { return n }
        if x < 0 { return invalid(FPSCR.VXSQRT) }
        let r = x.squareRoot()
        if x == 0 || x.isInfinite { return FPExact(r: r) }
        if x >= 0x1p-960 { return FPExact(r: r, err: x.addingProduct(-r, r)) }
        // Tiny: scale x by an even power of two into [1, 4), r by half of it.
        let half = Int(x.exponent) >> 1
        return FPExact(r: r, err: scaled(x, -2 * half).addingProduct(-scaled(r, -half), scaled(r, -half)))
    }

    /// a·c + b with one rounding (fmadd; fmsub passes −b).
    static func fma(_ a: Double, _ c: Double, _ b: Double, mode: UInt32) -> FPExact {
        if let n = propagate(a, b, c) {
            var out = n
            if (a.isInfinite && c == 0) || (a == 0 && c.isInfinite) { out.raised |= FPSCR.VXIMZ }
            return out
        }
        if (a.isInfinite && c == 0) || (a == 0 && c.isInfinite) { return invalid(FPSCR.VXIMZ) }
        if (a.isInfinite || c.isInfinite) && b.isInfinite && (a.sign == c.sign) != (b.sign == .plus) {
            return invalid(FPSCR.VXISI)
        }
        let r = b.addingProduct(a, c)
        if !a.isFinite || !b.isFinite || !c.isFinite { return FPExact(r: r) }
        if a == 0 || c == 0 {
            // b plus a signed zero: exact.
            var out = FPExact(r: r)
            if r == 0 && mode == 3 && !(b.sign == .plus && a.sign == c.sign) { out.r = -0.0 }
            return out
        }
        if r.isInfinite { return FPExact(r: r, overflow: true, beyond: fmaBeyond(a, c, b, r)) }
        var out = FPExact(r: r, err: fmaError(a, c, b, r))
        if r == 0 && out.err == 0 && mode == 3 { out.r = -0.0 }  // exact cancellation
        return out
    }

    /// Sign of a·c + b − r (all finite, a and c nonzero, r the sum rounded to nearest).
    static func fmaError(_ a: Double, _ c: Double, _ b: Double, _ r: Double) -> Double {
        let p = a * c
        if p.isInfinite || max(abs(p), abs(b), abs(r)) >= 0x1p1020 {
            // Large terms: divide everything by 8 so the sums cannot overflow. A term that loses
            // bits here (or vanishes) is far below the others' last bits and only its sign counts.
            let (a8, c8) = abs(a) >= abs(c) ? (a * 0.125, c) : (a, c * 0.125)
            let p8 = a8 * c8
            var b8 = b * 0.125
            if b8 == 0 && b != 0 { b8 = b.sign == .minus ? -Double.leastNonzeroMagnitude : .leastNonzeroMagnitude }
            let s = expansionSign((-p8).addingProduct(a8, c8), p8, b8, -r * 0.125)
            return s != 0 || abs(p8) >= 0x1p-968 ? s : sign(a) * sign(c)
        }
        if abs(p) >= 0x1p-968 { return expansionSign((-p).addingProduct(a, c), p, b, -r) }
        // A tiny product: negligible beside a b that is not tiny (then r = b) ...
        if abs(b) >= 0x1p-900 { return sign(a) * sign(c) }
        // ... otherwise scale the product (through its smaller factor), b and r by 2^1000.
        let (a1, c1) = abs(a) <= abs(c) ? (scaled(a, 1000), c) : (a, scaled(c, 1000))
        let p1 = a1 * c1
        if abs(p1) < 0x1p-968 { return sign(a) * sign(c) }  // |a·c| < 2^-1968: r = b exactly
        return expansionSign((-p1).addingProduct(a1, c1), p1, scaled(b, 1000), -scaled(r, 1000))
    }

    /// |a·c + b| ≥ 2^1024 for a sum that overflowed to r = ±∞ (operands finite and nonzero).
    static func fmaBeyond(_ a: Double, _ c: Double, _ b: Double, _ r: Double) -> Bool {
        let (a8, c8) = abs(a) >= abs(c) ? (a * 0.125, c) : (a, c * 0.125)
        let p8 = a8 * c8
        if abs(p8) >= 0x1p1022 { return true }  // |a·c| ≥ 2^1025 while |b| < 2^1024
        var b8 = b * 0.125
        if b8 == 0 && b != 0 { b8 = b.sign == .minus ? -Double.leastNonzeroMagnitude : .leastNonzeroMagnitude }
        let s = expansionSign((-p8).addingProduct(a8, c8), p8, b8, r > 0 ? -0x1p1021 : 0x1p1021)
        return r > 0 ? s >= 0 : s <= 0
    }

    // MARK: rounding

    /// Overflow: the rounding mode picks infinity or the largest finite number.
    @inline(__always) static func overflowValue(negative: Bool, mode rn: UInt32, largest: Double) -> Double {
        let toInfinity = rn == 0 || (rn == 2 && !negative) || (rn == 3 && negative)
        return toInfinity ? (negative ? -.infinity : .infinity) : (negative ? -largest : largest)
    }

    /// Rounds r one step toward the exact value as the mode demands (err ≠ 0).
    @inline(__always) static func directed<F: BinaryFloatingPoint>(_ r: F, up: Bool, mode rn: UInt32) -> F {
        switch rn {
        case 1: return r != 0 && up != (r > 0) ? (r > 0 ? r.nextDown : r.nextUp) : r
        case 2: return up ? r.nextUp : r
        case 3: return up ? r : r.nextDown
        default: return r
        }
    }

    /// Rounds to double precision in mode `rn` with status (`ue`: FPSCR[UE]).
    static func toDouble(_ x: FPExact, mode rn: UInt32, ue: Bool) -> FPOutcome {
        var out = FPOutcome(value: x.r, raised: x.raised)
        let r = x.r
        let negative = r.sign == .minus
        if x.overflow {
            out.inexact = true
            out.raised |= FPSCR.XX
            let away = rn == 0 || (rn == 2 && !negative) || (rn == 3 && negative)
            if away || x.beyond {
                out.raised |= FPSCR.OX
                out.value = overflowValue(negative: negative, mode: rn, largest: .greatestFiniteMagnitude)
                out.roundedUp = out.value.isInfinite
            } else {
                out.value = negative ? -.greatestFiniteMagnitude : .greatestFiniteMagnitude  // below 2^1024
            }
            return out
        }
        if !r.isFinite { return out }
        if x.err == 0 {
            if ue && r != 0 && abs(r) < Double.leastNormalMagnitude { out.raised |= FPSCR.UX }
            return out
        }
        let up = x.err > 0
        let inward = r != 0 && up != (r > 0)  // the exact value is nearer to zero than r
        let v = directed(r, up: up, mode: rn)
        out.inexact = true
        out.raised |= FPSCR.XX
        if v.isInfinite {
            out.raised |= FPSCR.OX
        } else if abs(r) < Double.leastNormalMagnitude || (abs(r) == Double.leastNormalMagnitude && inward) {
            out.raised |= FPSCR.UX
        }
        out.value = v
        out.roundedUp = v == r ? inward : abs(v) > abs(r)
        return out
    }

    /// Rounds once to single precision in mode `rn` (the `s` forms, frsp).
    static func toSingle(_ x: FPExact, mode rn: UInt32, ue: Bool) -> FPOutcome {
        let r = x.r
        if r.isNaN {
            let bits = UInt32(truncatingIfNeeded: (r.bitPattern >> 29) & 0x3fffff) | 0x7fc0_0000 | (r.sign == .minus ? 0x8000_0000 : 0)
            return FPOutcome(value: Double(Float(bitPattern: bits)), raised: x.raised)
        }
        let negative = r.sign == .minus
        let largest = Double(Float.greatestFiniteMagnitude)
        if r.isInfinite && !x.overflow { return FPOutcome(value: r, raised: x.raised) }
        var out = FPOutcome(value: r, raised: x.raised)
        // The exact value rounded to odd at 53 bits: same side of every single-precision number
        // and midpoint as the exact value, and exactly one of them only if the exact value is.
        var d = r
        if x.err != 0 && d.bitPattern & 1 == 0 { d = x.err > 0 ? d.nextUp : d.nextDown }
        let f = Float(d)
        let fd = Double(f)
        if !x.overflow && x.err == 0 && fd == d {
            if ue && d != 0 && abs(d) < Double(Float.leastNormalMagnitude) { out.raised |= FPSCR.UX }
            out.value = fd
            return out
        }
        out.inexact = true
        out.raised |= FPSCR.XX
        let away = rn == 0 || (rn == 2 && !negative) || (rn == 3 && negative)
        let overflows = x.overflow || (rn == 0 ? f.isInfinite : away ? abs(d) > largest : abs(d) >= 0x1p128)
        if overflows {
            out.raised |= FPSCR.OX
            out.value = overflowValue(negative: negative, mode: rn, largest: largest)
            out.roundedUp = out.value.isInfinite
            return out
        }
        if f.isInfinite {  // above the largest single but below 2^128, rounding toward zero
            out.value = negative ? -largest : largest
            return out
        }
        let up = d > fd
        let inward = f != 0 && up != (f > 0)
        let v = directed(f, up: up, mode: rn)
        if abs(d) < Double(Float.leastNormalMagnitude) { out.raised |= FPSCR.UX }
        out.value = Double(v)
        out.roundedUp = v == f ? inward : abs(v) > abs(f)
        return out
    }

    // MARK: single-format bit conversions

    /// lfs: single → double by bits (no rounding; signaling NaNs stay signaling).
    static func singleBitsToDouble(_ w: UInt32) -> UInt64 {
        let sign = UInt64(w >> 31) << 63
        let exp = (w >> 23) & 0xff, frac = UInt64(w & 0x7f_ffff)
        if exp == 0xff { return sign | 0x7ff0_0000_0000_0000 | frac << 29 }
        if exp == 0 {
            if frac == 0 { return sign }
            return Double(Float(bitPattern: w)).bitPattern  // denormal: exact in double
        }
        return sign | UInt64(Int(exp) - 127 + 1023) << 52 | frac << 29
    }

    /// stfs: double → single by bits, as the architecture specifies (no rounding).
    static func doubleToSingleBits(_ d: UInt64) -> UInt32 {
        let exp = Int((d >> 52) & 0x7ff)
        if exp > 896 || exp == 0 && d & 0x000f_ffff_ffff_ffff == 0 || exp == 0x7ff {
            return UInt32(truncatingIfNeeded: (d >> 32) & 0xc000_0000) | UInt32(truncatingIfNeeded: (d >> 29) & 0x3fff_ffff)
        }
        if exp >= 874 {
            // Denormalised in single precision: shift the significand right, no rounding.
            let sign = UInt32(truncatingIfNeeded: d >> 63) << 31
            var frac = (d & 0x000f_ffff_ffff_ffff) | 0x0010_0000_0000_0000
            var e = exp - 1023
            while e < -126 { frac >>= 1; e += 1 }
            return sign | UInt32(truncatingIfNeeded: (frac >> 29) & 0x7f_ffff)
        }
        // Too small: the architecture leaves it undefined; keep the sign.
        return UInt32(truncatingIfNeeded: d >> 63) << 31
    }
}
