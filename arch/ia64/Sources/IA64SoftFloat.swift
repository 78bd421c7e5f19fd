// Floating-point arithmetic in the IA-64 register format: 64-bit significands and a wide
// exponent, rounded to 24, 53 or 64 bits as the precision completer or the status field's PC
// asks. Integer division sequences (frcpa + Newton–Raphson in fma) depend on these extra
// bits: in double precision they give wrong quotients for large operands.

enum IA64SoftFloat {
    /// A finite nonzero value as magnitude × 2^exponent, with sign.
    struct Wide {
        var negative: Bool
        var magnitude: UInt128
        var exponent: Int
    }

    enum Class { case zero(Bool), infinite(Bool), nan, finite(Wide) }

    static func classify(_ r: FReg) -> Class {
        let e = r.biased
        if e == 0x1FFFF {
            return r.sig << 1 == 0 ? .infinite(r.negative) : .nan
        }
        if r.sig == 0 { return .zero(r.negative) }
        // value = sig × 2^(e − 0xFFFF − 63)
        return .finite(Wide(negative: r.negative, magnitude: UInt128(r.sig), exponent: e - 0xFFFF - 63))
    }

    static let qnan = FReg(sig: 0xC000_0000_0000_0000, exp: 0x3FFFF)  // the real indefinite

    static func infinity(_ negative: Bool) -> FReg { FReg(sig: 1 << 63, exp: (negative ? 0x20000 : 0) | 0x1FFFF) }
    static func zero(_ negative: Bool) -> FReg { FReg(sig: 0, exp: negative ? 0x20000 : 0) }

    /// Rounds magnitude × 2^exponent (plus a sticky bit for lost low bits) to `bits` significant
    /// bits, nearest-even or as `mode` says (0 nearest, 1 −inf, 2 +inf, 3 zero).
    static func round(_ w: Wide, sticky inSticky: Bool, bits: Int, mode: Int) -> FReg {
        var m = w.magnitude
        var e = w.exponent
        if m == 0 { return zero(w.negative) }
        // Normalise so the top bit of the 128-bit magnitude is set.
        let lz = m.leadingZeroBitCount
        m <<= UInt128(lz)
        e -= lz
        // Keep `bits` bits; the rest decides the rounding.
        let drop = 128 - bits
        let kept = m >> UInt128(drop)
        let rest = m & ((UInt128(1) << UInt128(drop)) - 1)
        let half = UInt128(1) << UInt128(drop - 1)
        let inexact = rest != 0 || inSticky
        var up = false
        switch mode {
        case 0: up = rest > half || (rest == half && (inSticky || kept & 1 == 1))
        case 1: up = inexact && w.negative
        case 2: up = inexact && !w.negative
        default: up = false
        }
        var sig = kept + (up ? 1 : 0)
        var exp = e + drop
        if sig >> UInt128(bits) != 0 { sig >>= 1; exp += 1 }
        // sig has `bits` bits with its top bit set; value = sig × 2^exp. Register format:
        // the significand's bit 63 is the integer bit.
        // value = sig × 2^exp = sig64 × 2^(exp − (64 − bits)); register value is
        // sig64 × 2^(biased − 0xFFFF − 63).
        let sig64 = UInt64(sig) << UInt64(64 - bits)
        let b = exp + 0xFFFF + 63 - (64 - bits)
        if b >= 0x1FFFF { return infinity(w.negative) }
        if b <= 0 { return zero(w.negative) }
        return FReg(sig: sig64, exp: UInt32(b) | (w.negative ? 0x20000 : 0))
    }

    /// a × b + c, one rounding.
    static func fma(_ a: FReg, _ b: FReg, _ c: FReg, bits: Int, mode: Int) -> FReg {
        let ca = classify(a), cb = classify(b), cc = classify(c)
        if case .nan = ca { return quiet(a) }
        if case .nan = cb { return quiet(b) }
        if case .nan = cc { return quiet(c) }
        // The product.
        var product: Wide?
        var productSign = a.negative != b.negative
        var productInfinite = false
        switch (ca, cb) {
        case (.infinite, .zero), (.zero, .infinite): return qnan
        case (.infinite, _), (_, .infinite): productInfinite = true
        case (.zero, _), (_, .zero): product = nil
        case (.finite(let x), .finite(let y)):
            product = Wide(negative: productSign, magnitude: UInt128(x.magnitude) * UInt128(y.magnitude), exponent: x.exponent + y.exponent)
        default: break
        }
        if productInfinite {
            if case .infinite(let n) = cc, n != productSign { return qnan }
            return infinity(productSign)
        }
        switch cc {
        case .infinite(let n): return infinity(n)
        case .zero(let n):
            guard let p = product else {
                // 0 × x + 0: −0 only if both zeros are negative (round to nearest).
                if case .zero = ca { productSign = a.negative != b.negative }
                return zero(productSign && n)
            }
            return round(p, sticky: false, bits: bits, mode: mode)
        case .finite(let addend):
            guard let p = product else { return round(addend, sticky: false, bits: bits, mode: mode) }
            return add(p, addend, bits: bits, mode: mode)
        default:
            return qnan
        }
    }

    /// x + y for finite nonzero values, one rounding.
    static func add(_ x: Wide, _ y: Wide, bits: Int, mode: Int) -> FReg {
        // Normalise both so the top bit is at 125 (two bits of headroom for the sum); bits
        // shifted out of the bottom, here or when aligning, are kept as sticky bits.
        func norm(_ w: Wide) -> (Wide, Bool) {
            var v = w
            let shift = v.magnitude.leadingZeroBitCount - 2
            if shift >= 0 { v.magnitude <<= UInt128(shift); v.exponent -= shift; return (v, false) }
            let lost = v.magnitude & ((UInt128(1) << UInt128(-shift)) - 1)
            v.magnitude >>= UInt128(-shift)
            v.exponent -= shift
            return (v, lost != 0)
        }
        var (a, stickyA) = norm(x)
        var (b, stickyB) = norm(y)
        if a.exponent < b.exponent { swap(&a, &b); swap(&stickyA, &stickyB) }
        let d = a.exponent - b.exponent
        if d > 0 {
            if d >= 126 {
                stickyB = stickyB || b.magnitude != 0
                b.magnitude = 0
            } else {
                stickyB = stickyB || b.magnitude & ((UInt128(1) << UInt128(d)) - 1) != 0
                b.magnitude >>= UInt128(d)
            }
        }
        let sticky = stickyA || stickyB
        if a.negative == b.negative {
            return round(Wide(negative: a.negative, magnitude: a.magnitude + b.magnitude, exponent: a.exponent), sticky: sticky, bits: bits, mode: mode)
        }
        if a.magnitude == b.magnitude && !sticky { return zero(mode == 1) }  // exact zero: +0 except toward −inf
        // |a| > |b| here (after an alignment shift a's magnitude is strictly the larger). A
        // sticky remainder on b makes the exact difference a little below a − b.
        let bigger = a.magnitude >= b.magnitude ? a : b, smaller = a.magnitude >= b.magnitude ? b : a
        var m = bigger.magnitude - smaller.magnitude
        if stickyB && !stickyA && m > 0 { m -= 1 }
        return round(Wide(negative: bigger.negative, magnitude: m, exponent: a.exponent), sticky: sticky, bits: bits, mode: mode)
    }

    static func quiet(_ r: FReg) -> FReg { FReg(sig: r.sig | 0x4000_0000_0000_0000, exp: r.exp) }

    /// A signed 64-bit integer in register format (exact).
    static func fromInt(_ v: Int64) -> FReg {
        if v == 0 { return .zero }
        let neg = v < 0
        return round(Wide(negative: neg, magnitude: UInt128(v.magnitude), exponent: 0), sticky: false, bits: 64, mode: 0)
    }
    static func fromUInt(_ v: UInt64) -> FReg {
        if v == 0 { return .zero }
        return round(Wide(negative: false, magnitude: UInt128(v), exponent: 0), sticky: false, bits: 64, mode: 0)
    }

    /// The integer value (fcvt.fx / fcvt.fxu), rounded by `mode` (3 = truncate); nil when
    /// it does not fit (the caller then returns integer indefinite).
    static func toInteger(_ r: FReg, unsigned: Bool, mode: Int) -> UInt64? {
        switch classify(r) {
        case .zero: return 0
        case .infinite, .nan: return nil
        case .finite(let w):
            var m = w.magnitude, e = w.exponent
            if e >= 0 {
                if m.leadingZeroBitCount - 64 < e + 1 - (unsigned ? 1 : 0) && e > 0 { return nil }
                m <<= UInt128(e)
                e = 0
            } else {
                let shift = -e
                let kept = shift >= 128 ? 0 : m >> UInt128(shift)
                let rest = shift >= 128 ? m : m & ((UInt128(1) << UInt128(shift)) - 1)
                let half: UInt128 = shift >= 129 ? 0 : (UInt128(1) << UInt128(shift - 1))
                var up = false
                switch mode {
                case 0: up = rest > half || (rest == half && kept & 1 == 1)
                case 1: up = rest != 0 && w.negative
                case 2: up = rest != 0 && !w.negative
                default: up = false
                }
                m = kept + (up ? 1 : 0)
            }
            if unsigned {
                if w.negative && m != 0 { return nil }
                return m >> 64 == 0 ? UInt64(m) : nil
            }
            if w.negative {
                if m > UInt128(1) << 63 { return nil }
                return UInt64(bitPattern: 0 &- Int64(truncatingIfNeeded: m))
            }
            return m < UInt128(1) << 63 ? UInt64(m) : nil
        }
    }

    /// −1, 0, 1 or nil (unordered).
    static func compare(_ a: FReg, _ b: FReg) -> Int? {
        func key(_ r: FReg) -> (Int, UInt128)? {
            switch classify(r) {
            case .nan: return nil
            case .zero: return (0, 0)
            case .infinite(let n): return (n ? -1 : 1, UInt128.max)
            case .finite(let w):
                // Order magnitudes by (normalised exponent, significand).
                let lz = w.magnitude.leadingZeroBitCount
                let m = w.magnitude << UInt128(lz)
                let e = w.exponent - lz + 0x100000
                return (w.negative ? -1 : 1, UInt128(UInt64(e)) << 64 | (m >> 64))
            }
        }
        guard let x = key(a), let y = key(b) else { return nil }
        if x.0 != y.0 { return x.0 < y.0 ? -1 : 1 }
        if x.1 == y.1 { return 0 }
        let less = x.1 < y.1
        return (x.0 > 0) == less ? -1 : 1
    }
}
