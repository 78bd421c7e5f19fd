import IA64Decoder
import LinuxABI
import SoftMMU

// The floating-point unit, to the extent integer division sequences, xma multiplication and
// double-precision arithmetic need: values are computed in IEEE double precision (the 82-bit
// register format is kept for storage, integers in the significand and spills), so results
// that depend on the extra 11 bits of extended precision can differ in the last place.

extension IA64Interpreter {
    /// Significant bits of a result: the completer's (.s 24, .d 53) or the status field's PC.
    func precision(_ pc: UInt8, sf: UInt8) -> Int {
        if pc == 1 { return 24 }
        if pc == 2 { return 53 }
        let field = (s.fpsr >> (6 + 13 * UInt64(sf & 3))) & 0x1fff
        switch (field >> 2) & 3 { case 0: return 24; case 2: return 53; default: return 64 }
    }
    /// The status field's rounding control (0 nearest, 1 −inf, 2 +inf, 3 zero).
    func roundingMode(sf: UInt8) -> Int { Int((s.fpsr >> (6 + 13 * UInt64(sf & 3) + 4)) & 3) }
    func negated(_ r: FReg) -> FReg { r.biased == 0x1FFFF && r.sig << 1 != 0 ? r : FReg(sig: r.sig, exp: r.exp ^ 0x20000) }

    func stepFloat(_ i: Instruction) throws(Failure) -> InterpreterStop? {
        switch i.op {
        case .ldf, .ldfReg, .ldfImm:
            let x6 = i.c1
            let base = try value(i.r3)
            let kind = x6 >> 2
            do {
                let v: FReg
                if x6 == 0x1b {  // ldf.fill: spill format, 16 bytes
                    let sig = try load(base, 8), hi = try load(base + 8, 8)
                    v = FReg(sig: sig, exp: UInt32(truncatingIfNeeded: hi & 0x3ffff))
                } else {
                    switch x6 & 3 {
                    case 1: v = FReg(sig: try load(base, 8), exp: FReg.integerExp)  // ldf8
                    case 2: v = FReg(Double(Float(bitPattern: UInt32(truncatingIfNeeded: try load(base, 4)))))  // ldfs
                    case 3: v = FReg(Double(bitPattern: try load(base, 8)))  // ldfd
                    default:  // ldfe: 10-byte extended
                        let sig = try load(base, 8), se = try load(base + 8, 2)
                        v = FReg(sig: sig, exp: UInt32((se & 0x7fff) + ((se & 0x7fff) == 0x7fff ? 0x18000 : (se & 0x7fff) == 0 ? 0 : 0xC000)) | UInt32((se >> 15) & 1) << 17)
                    }
                }
                try setFR(i.r1, v)
            } catch .fault(let a, let w) {
                if kind == 1 || kind == 3 { try setFR(i.r1, .natVal) } else { throw .fault(a, w) }
            }
            if i.op == .ldfReg { try setGR(i.r3, base &+ (try value(i.r2))) }
            if i.op == .ldfImm { try setGR(i.r3, base &+ UInt64(bitPattern: i.imm)) }
        case .stf, .stfImm:
            let base = try value(i.r3)
            let v = fr(i.r2)
            switch i.c1 {
            case 0x3b:  // stf.spill
                try store(base, v.sig, 8)
                try store(base + 8, UInt64(v.exp & 0x3ffff), 8)
            case 0x31: try store(base, v.sig, 8)  // stf8
            case 0x32: try store(base, UInt64(Float(v.double).bitPattern), 4)  // stfs
            case 0x33: try store(base, v.double.bitPattern, 8)  // stfd
            default:  // stfe
                try store(base, v.sig, 8)
                let e = v.biased
                let e15 = e == 0x1FFFF ? 0x7fff : e == 0 ? 0 : e - 0xC000
                try store(base + 8, UInt64(e15 & 0x7fff) | (v.negative ? 0x8000 : 0), 2)
            }
            if i.op == .stfImm { try setGR(i.r3, base &+ UInt64(bitPattern: i.imm)) }
        case .setf:
            let v = try value(i.r2)
            switch i.c1 {
            case 0: try setFR(i.r1, FReg(sig: v, exp: FReg.integerExp))  // setf.sig
            case 1: try setFR(i.r1, FReg(sig: 1 << 63, exp: UInt32(v & 0x3ffff)))  // setf.exp
            case 2: try setFR(i.r1, FReg(Double(Float(bitPattern: UInt32(truncatingIfNeeded: v)))))  // setf.s
            default: try setFR(i.r1, FReg(Double(bitPattern: v)))  // setf.d
            }
        case .getf:
            let v = fr(i.r2)
            switch i.c1 {
            case 0: try setGR(i.r1, v.sig, nat: v == .natVal)
            case 1: try setGR(i.r1, UInt64(v.exp & 0x3ffff), nat: v == .natVal)
            case 2: try setGR(i.r1, UInt64(Float(v.double).bitPattern), nat: v == .natVal)
            default: try setGR(i.r1, v.double.bitPattern, nat: v == .natVal)
            }
        // fma f1 = f3 × f4 + f2; fms f1 = f3 × f4 − f2; fnma f1 = −(f3 × f4) + f2.
        case .fma, .fms, .fnma:
            let bits = precision(i.c2, sf: i.c1), mode = roundingMode(sf: i.c1)
            let a = i.op == .fnma ? negated(fr(i.r3)) : fr(i.r3)
            let c = i.op == .fms ? negated(fr(i.r2)) : fr(i.r2)
            try setFR(i.r1, IA64SoftFloat.fma(a, fr(i.r4), c, bits: bits, mode: mode))
        case .xmaL, .xmaH, .xmaHu:
            let a = fr(i.r3).sig, b = fr(i.r4).sig, c = fr(i.r2).sig
            let r: UInt64
            if i.op == .xmaL {
                r = a &* b &+ c
            } else if i.op == .xmaHu {
                let p = a.multipliedFullWidth(by: b)
                let (lo, carry) = p.low.addingReportingOverflow(c)
                _ = lo
                r = p.high &+ (carry ? 1 : 0)
            } else {
                let p = Int64(bitPattern: a).multipliedFullWidth(by: Int64(bitPattern: b))
                let (_, carry) = p.low.addingReportingOverflow(c)
                r = UInt64(bitPattern: p.high) &+ (carry ? 1 : 0)
            }
            try setFR(i.r1, FReg(sig: r, exp: FReg.integerExp))
        case .fselect:
            let m = fr(i.r2).sig
            try setFR(i.r1, FReg(sig: (fr(i.r3).sig & m) | (fr(i.r4).sig & ~m), exp: FReg.integerExp))
        case .fand: try setFR(i.r1, FReg(sig: fr(i.r2).sig & fr(i.r3).sig, exp: FReg.integerExp))
        case .fandcm: try setFR(i.r1, FReg(sig: fr(i.r2).sig & ~fr(i.r3).sig, exp: FReg.integerExp))
        case .for: try setFR(i.r1, FReg(sig: fr(i.r2).sig | fr(i.r3).sig, exp: FReg.integerExp))
        case .fxor: try setFR(i.r1, FReg(sig: fr(i.r2).sig ^ fr(i.r3).sig, exp: FReg.integerExp))
        case .fmergeS:
            let a = fr(i.r2), b = fr(i.r3)
            try setFR(i.r1, FReg(sig: b.sig, exp: (b.exp & 0x1FFFF) | (a.exp & 0x20000)))
        case .fmergeNs:
            let a = fr(i.r2), b = fr(i.r3)
            try setFR(i.r1, FReg(sig: b.sig, exp: (b.exp & 0x1FFFF) | (~a.exp & 0x20000)))
        case .fmergeSe:
            let a = fr(i.r2), b = fr(i.r3)
            try setFR(i.r1, FReg(sig: b.sig, exp: a.exp))
        case .fmin, .fmax, .famin, .famax:
            let a = fr(i.r2), b = fr(i.r3)
            let x = i.op == .famin || i.op == .famax ? abs(a.double) : a.double
            let y = i.op == .famin || i.op == .famax ? abs(b.double) : b.double
            let pickA = i.op == .fmin || i.op == .famin ? x < y : x > y
            try setFR(i.r1, pickA ? a : b)
        case .fcvtFx, .fcvtFxTrunc, .fcvtFxu, .fcvtFxuTrunc:
            let trunc = i.op == .fcvtFxTrunc || i.op == .fcvtFxuTrunc
            let unsigned = i.op == .fcvtFxu || i.op == .fcvtFxuTrunc
            let v = IA64SoftFloat.toInteger(fr(i.r2), unsigned: unsigned, mode: trunc ? 3 : roundingMode(sf: i.c1))
            try setFR(i.r1, FReg(sig: v ?? 0x8000_0000_0000_0000, exp: FReg.integerExp))  // else integer indefinite
        case .fcvtXf:
            try setFR(i.r1, IA64SoftFloat.fromInt(Int64(bitPattern: fr(i.r2).sig)))
        case .frcpa:
            let a = fr(i.r2).double, b = fr(i.r3).double
            if a.isFinite && b.isFinite && b != 0 && a.isNormal || (a == 0 && b.isNormal) {
                try setFR(i.r1, FReg(1 / b))
                s.setPredicate(i.r4, true)
            } else {
                try setFR(i.r1, FReg(a / b))
                s.setPredicate(i.r4, false)
            }
        case .frsqrta:
            let b = fr(i.r3).double
            if b.isNormal && b > 0 {
                try setFR(i.r1, FReg(1 / b.squareRoot()))
                s.setPredicate(i.r4, true)
            } else {
                try setFR(i.r1, FReg(b.squareRoot()))
                s.setPredicate(i.r4, false)
            }
        case .fsetc, .fclrf, .fchkf, .nopF, .hintF:
            break
        default:
            throw .illegal
        }
        return nil
    }
}
