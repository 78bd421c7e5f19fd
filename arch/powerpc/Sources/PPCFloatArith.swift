// IEEE arithmetic with PowerPC's status: the FPSCR exception bits, FR/FI, and the four rounding
// modes, computed in Swift from round-to-nearest host arithmetic and error-free transformations
// (the exact error of a sum, product, quotient or square root is itself a double), so the host's
// floating-point environment is never touched.

/// FPSCR bit masks (IBM numbering: bit 0 is the most significant).
enum FPSCR {
    static func bit(_ n: Int) -> UInt32 { 1 << UInt32(31 - n) }
    static let FX = bit(0), FEX = bit(1), VX = bit(2), OX = bit(3), UX = bit(4), ZX = bit(5), XX = bit(6)
    static let VXSNAN = bit(7), VXISI = bit(8), VXIDI = bit(9), VXZDZ = bit(10), VXIMZ = bit(11), VXVC = bit(12)
    static let FR = bit(13), FI = bit(14)
    static let VXSOFT = bit(21), VXSQRT = bit(22), VXCVI = bit(23)
    /// Sticky exception bits whose 0→1 transition sets FX.
    static let exceptions: UInt32 = OX | UX | ZX | XX | VXSNAN | VXISI | VXIDI | VXZDZ | VXIMZ | VXVC | VXSOFT | VXSQRT | VXCVI
    static let defaultNaN = Double(bitPattern: 0x7ff8_0000_0000_0000)
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
    /// Exact a + b = s + e.
    @inline(__always) static func twoSum(_ a: Double, _ b: Double) -> (Double, Double) {
        let s = a + b
        let bb = s - a
        return (s, (a - (s - bb)) + (b - bb))
    }

    /// Adjusts a round-to-nearest result `r` whose exact value is r + err (err's sign is what
    /// matters) to rounding mode `rn` (0 nearest, 1 zero, 2 +inf, 3 -inf), and reports FI/FR.
    static func round(_ r: Double, error err: Double, mode rn: UInt32) -> FPOutcome {
        var out = FPOutcome(value: r)
        guard err != 0, r.isFinite else { return out }
        out.inexact = true
        var v = r
        switch rn {
        case 1: if (err > 0) != (r > 0) && r != 0 { v = r > 0 ? r.nextDown : r.nextUp }  // toward zero
        case 2: if err > 0 { v = r.nextUp }
        case 3: if err < 0 { v = r.nextDown }
        default: break
        }
        out.value = v
        // Rounded up in magnitude: the result lies farther from zero than the exact value.
        let exactAbove = err > 0  // exact = r + err
        out.roundedUp = v == r ? (r > 0 ? !exactAbove : exactAbove) : (abs(v) > abs(r))
        return out
    }

    /// Overflow from finite operands: the rounding mode picks infinity or the largest finite.
    static func overflow(negative: Bool, mode rn: UInt32) -> Double {
        let big = Double.greatestFiniteMagnitude
        switch rn {
        case 1: return negative ? -big : big
        case 2: return negative ? -big : .infinity
        case 3: return negative ? -.infinity : big
        default: return negative ? -.infinity : .infinity
        }
    }

    /// NaN operand handling: an sNaN raises VXSNAN; the result is the first NaN, quieted.
    static func propagate(_ ops: [Double]) -> FPOutcome? {
        guard let first = ops.first(where: { $0.isNaN }) else { return nil }
        var out = FPOutcome(value: Double(bitPattern: first.bitPattern | 0x0008_0000_0000_0000))
        if ops.contains(where: { $0.isSignalingNaN }) { out.raised |= FPSCR.VXSNAN }
        return out
    }

    static func finish(_ r: Double, error: Double, mode: UInt32, operandsFinite: Bool) -> FPOutcome {
        if r.isInfinite && operandsFinite {
            var out = FPOutcome(value: overflow(negative: r < 0, mode: mode))
            out.raised = FPSCR.OX | FPSCR.XX
            out.inexact = true
            out.roundedUp = out.value.isInfinite
            return out
        }
        var out = round(r, error: error, mode: mode)
        if out.inexact {
            out.raised |= FPSCR.XX
            if abs(out.value) < Double.leastNormalMagnitude || (abs(r) < Double.leastNormalMagnitude) { out.raised |= FPSCR.UX }
        }
        return out
    }

    static func add(_ a: Double, _ b: Double, mode: UInt32) -> FPOutcome {
        if let n = propagate([a, b]) { return n }
        if a.isInfinite && b.isInfinite && a.sign != b.sign { return FPOutcome(value: FPSCR.defaultNaN, raised: FPSCR.VXISI) }
        let (s, e) = twoSum(a, b)
        var out = finish(s, error: e, mode: mode, operandsFinite: a.isFinite && b.isFinite)
        // An exact zero sum is -0 only when rounding toward -inf (IEEE 754).
        if out.value == 0 && e == 0 && a.sign != b.sign && !(a == 0 && b == 0) { out.value = mode == 3 ? -0.0 : 0.0 }
        if a == 0 && b == 0 && a.sign != b.sign { out.value = mode == 3 ? -0.0 : 0.0 }
        return out
    }

    static func mul(_ a: Double, _ c: Double, mode: UInt32) -> FPOutcome {
        if let n = propagate([a, c]) { return n }
        if (a.isInfinite && c == 0) || (a == 0 && c.isInfinite) { return FPOutcome(value: FPSCR.defaultNaN, raised: FPSCR.VXIMZ) }
        let p = a * c
        var e = p.isFinite ? (-p).addingProduct(a, c) : 0
        if abs(p) < Double.leastNormalMagnitude && a != 0 && c != 0 && a.isFinite && c.isFinite {
            // The residual underflows too: measure the error 2^200 times larger instead.
            e = tinyError(scaled: a * 0x1p200, c, result: p)
        }
        return finish(p, error: e, mode: mode, operandsFinite: a.isFinite && c.isFinite)
    }

    static func div(_ a: Double, _ b: Double, mode: UInt32) -> FPOutcome {
        if let n = propagate([a, b]) { return n }
        if a.isInfinite && b.isInfinite { return FPOutcome(value: FPSCR.defaultNaN, raised: FPSCR.VXIDI) }
        if a == 0 && b == 0 { return FPOutcome(value: FPSCR.defaultNaN, raised: FPSCR.VXZDZ) }
        if b == 0 {
            let negative = (a.sign == .minus) != (b.sign == .minus)
            return FPOutcome(value: negative ? -.infinity : .infinity, raised: FPSCR.ZX)
        }
        let q = a / b
        // a - q*b exactly; the exact quotient is above q when that remainder has b's sign.
        let rem = q.isFinite ? a.addingProduct(-q, b) : 0
        var err = b > 0 ? rem : -rem
        if abs(q) < Double.leastNormalMagnitude && a != 0 && a.isFinite && b.isFinite {
            // A tiny quotient: compare against the quotient computed 2^200 times larger.
            let big = (a * 0x1p200) / b
            let bigRem = (a * 0x1p200).addingProduct(-big, b)
            let scaledError = (big - q * 0x1p200) + (b > 0 ? bigRem : -bigRem) / abs(b)
            err = scaledError
        }
        return finish(q, error: err, mode: mode, operandsFinite: a.isFinite)
    }

    /// The error of a product that underflows, from the same product scaled up by 2^200:
    /// (exact − result) · 2^200, whose sign and zeroness are what rounding needs.
    static func tinyError(scaled a: Double, _ c: Double, result: Double) -> Double {
        let big = a * c
        let bigError = (-big).addingProduct(a, c)
        return (big - result * 0x1p200) + bigError
    }

    static func sqrt(_ x: Double, mode: UInt32) -> FPOutcome {
        if let n = propagate([x]) { return n }
        if x < 0 { return FPOutcome(value: FPSCR.defaultNaN, raised: FPSCR.VXSQRT) }
        let r = x.squareRoot()
        let err = r.isFinite ? x.addingProduct(-r, r) : 0
        return finish(r, error: err, mode: mode, operandsFinite: true)
    }

    /// a*c + b with one rounding (fmadd); the error estimate is exact unless it underflows.
    static func fma(_ a: Double, _ c: Double, _ b: Double, mode: UInt32) -> FPOutcome {
        if let n = propagate([a, b, c]) {
            var out = n
            if (a.isInfinite && c == 0) || (a == 0 && c.isInfinite) { out.raised |= FPSCR.VXIMZ }
            return out
        }
        if (a.isInfinite && c == 0) || (a == 0 && c.isInfinite) { return FPOutcome(value: FPSCR.defaultNaN, raised: FPSCR.VXIMZ) }
        let p = a * c
        if (p.isInfinite || a.isInfinite || c.isInfinite) && b.isInfinite && (a.sign == c.sign) != (b.sign == .plus) {
            return FPOutcome(value: FPSCR.defaultNaN, raised: FPSCR.VXISI)
        }
        let r = b.addingProduct(a, c)
        var err = 0.0
        if r.isFinite && p.isFinite {
            let pe = (-p).addingProduct(a, c)  // a*c = p + pe exactly
            let (s, e1) = twoSum(p, b)  // p + b = s + e1 exactly
            err = ((s - r) + e1) + pe  // exact value - r, to within the last bits
        }
        return finish(r, error: err, mode: mode, operandsFinite: a.isFinite && b.isFinite && c.isFinite)
    }

    /// Rounds a double result to single precision (the `s` forms and frsp).
    static func toSingle(_ o: FPOutcome, mode: UInt32) -> FPOutcome {
        let d = o.value
        if d.isNaN {
            return FPOutcome(value: Double(Float(bitPattern: UInt32(truncatingIfNeeded: (d.bitPattern >> 29) & 0x3fffff) | 0x7fc0_0000 | (d.sign == .minus ? 0x8000_0000 : 0))), raised: o.raised)
        }
        if d.isInfinite || d == 0 { return o }
        let f = Float(d)
        if f.isInfinite {
            var out = FPOutcome(value: overflowSingle(negative: d < 0, mode: mode), raised: o.raised | FPSCR.OX | FPSCR.XX)
            out.inexact = true
            out.roundedUp = out.value.isInfinite
            return out
        }
        let back = Double(f)
        let err2 = d - back  // exact
        if err2 == 0 && !o.inexact { return FPOutcome(value: back, raised: o.raised) }
        // The exact value is d + (error of d): its side of `back` decides directed rounding.
        var out = FPOutcome(value: back, raised: o.raised | FPSCR.XX)
        out.inexact = true
        let direction = err2 != 0 ? err2 : (o.roundedUp == (d > 0) ? -1.0 : 1.0) * (o.inexact ? 1 : 0)
        var v = f
        switch mode {
        case 1: if (direction > 0) != (f > 0) && f != 0 && err2 != 0 { v = f > 0 ? f.nextDown : f.nextUp }
        case 2: if direction > 0 && err2 != 0 { v = f.nextUp }
        case 3: if direction < 0 && err2 != 0 { v = f.nextDown }
        default: break
        }
        out.value = Double(v)
        out.roundedUp = abs(out.value) > abs(d) || (out.value == d && o.roundedUp)
        if abs(v) < Float.leastNormalMagnitude { out.raised |= FPSCR.UX }
        return out
    }

    static func overflowSingle(negative: Bool, mode rn: UInt32) -> Double {
        let big = Double(Float.greatestFiniteMagnitude)
        switch rn {
        case 1: return negative ? -big : big
        case 2: return negative ? -big : .infinity
        case 3: return negative ? -.infinity : big
        default: return negative ? -.infinity : .infinity
        }
    }

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
