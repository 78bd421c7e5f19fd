import LinuxABI
import SoftMMU

// The floating-point unit: loads and stores, arithmetic (rounded in PPCFloatArith.swift), PowerPC's
// FPSCR result class (FPRF), compare bits, conversions, FPSCR moves and CR1 for the record forms.
// Checked instruction by instruction against qemu-ppc and the Power ISA by arch/powerpc/tests/isa.

extension PPCInterpreter {
    /// FPSCR bit for IBM bit number n (0 = most significant).
    @inline(__always) static func fpscrBit(_ n: Int) -> UInt32 { 1 << UInt32(31 - n) }

    /// The 5-bit result class (C, FPCC) of a value, as FPRF holds it.
    static func resultClass(_ v: Double) -> UInt32 {
        if v.isNaN { return 0b10001 }
        let neg = v.sign == .minus
        if v.isInfinite { return neg ? 0b01001 : 0b00101 }
        if v.isZero { return neg ? 0b10010 : 0b00010 }
        if v.isSubnormal { return neg ? 0b11000 : 0b10100 }
        return neg ? 0b01000 : 0b00100
    }

    @inline(__always) func setFPRF(_ v: Double) {
        r.pointee.fpscr = (r.pointee.fpscr & ~(0x1f << 12)) | (Self.resultClass(v) << 12)
    }
    /// CR1 = FPSCR[FX, FEX, VX, OX] for the `.` forms.
    @inline(__always) func recordFP(_ op: PPCOp) {
        if op.record { setCRField(1, r.pointee.fpscr >> 28) }
    }
    /// Rounds to single precision when the instruction is a single-precision form.
    @inline(__always) func fresult(_ op: PPCOp, _ v: Double) {
        let out = op.single ? Double(Float(v)) : v
        setFPR(op.d, out.bitPattern)
        setFPRF(out)
        recordFP(op)
    }

    mutating func stepFloat(_ op: PPCOp, pc: UInt32) -> InterpreterStop? {
        switch op.kind {
        case .lfs, .lfsx:
            let ea = (op.update ? gpr(op.a) : base(op.a)) &+ (op.kind == .lfsx ? gpr(op.b) : UInt32(bitPattern: op.imm))
            guard let w = port.load32(ea) else { return fault(ea) }
            setFPR(op.d, PPCFloatMath.singleBitsToDouble(w))
            if op.update { setGPR(op.a, ea) }
        case .lfd, .lfdx:
            let ea = (op.update ? gpr(op.a) : base(op.a)) &+ (op.kind == .lfdx ? gpr(op.b) : UInt32(bitPattern: op.imm))
            guard let w = port.load64(ea) else { return fault(ea) }
            setFPR(op.d, w)
            if op.update { setGPR(op.a, ea) }
        case .stfs, .stfsx:
            let ea = (op.update ? gpr(op.a) : base(op.a)) &+ (op.kind == .stfsx ? gpr(op.b) : UInt32(bitPattern: op.imm))
            guard port.store32(ea, PPCFloatMath.doubleToSingleBits(fpr(op.d))) else { return fault(ea) }
            if op.update { setGPR(op.a, ea) }
        case .stfd, .stfdx:
            let ea = (op.update ? gpr(op.a) : base(op.a)) &+ (op.kind == .stfdx ? gpr(op.b) : UInt32(bitPattern: op.imm))
            guard port.store64(ea, fpr(op.d)) else { return fault(ea) }
            if op.update { setGPR(op.a, ea) }
        case .stfiwx:
            let ea = base(op.a) &+ gpr(op.b)
            guard port.store32(ea, UInt32(truncatingIfNeeded: fpr(op.d))) else { return fault(ea) }
        case .fadd: apply(op, PPCFloatMath.add(fval(op.a), fval(op.b), mode: rn))
        case .fsub:
            let a = fval(op.a), b = fval(op.b)
            apply(op, PPCFloatMath.propagate(a, b) ?? PPCFloatMath.add(a, -b, mode: rn))
        case .fmul: apply(op, PPCFloatMath.mul(fval(op.a), fval(op.c)))
        case .fdiv: apply(op, PPCFloatMath.div(fval(op.a), fval(op.b)))
        case .fsqrt: apply(op, PPCFloatMath.sqrt(fval(op.b)))
        case .fmadd, .fnmadd:
            apply(op, PPCFloatMath.fma(fval(op.a), fval(op.c), fval(op.b), mode: rn), negate: op.kind == .fnmadd)
        case .fmsub, .fnmsub:
            let a = fval(op.a), b = fval(op.b), c = fval(op.c)
            if var n = PPCFloatMath.propagate(a, b, c) {  // before negating b: a NaN keeps its sign
                if (a.isInfinite && c == 0) || (a == 0 && c.isInfinite) { n.raised |= FPSCR.VXIMZ }
                apply(op, n, negate: op.kind == .fnmsub)
            } else {
                apply(op, PPCFloatMath.fma(a, c, -b, mode: rn), negate: op.kind == .fnmsub)
            }
        case .fres:
            // An estimate (this computes it exactly): status as for a single-precision divide.
            var single = op
            single.flags |= 8
            apply(single, PPCFloatMath.div(1, fval(op.b)))
        case .frsqrte:
            let b = fval(op.b)
            if let n = PPCFloatMath.propagate(b) { apply(op, n) }
            else if b < 0 { apply(op, PPCFloatMath.invalid(FPSCR.VXSQRT)) }
            else if b == 0 { apply(op, FPExact(r: b.sign == .minus ? -.infinity : .infinity, raised: FPSCR.ZX)) }
            else { apply(op, FPExact(r: 1 / b.squareRoot())) }
        case .fsel:
            let a = fval(op.a)
            setFPR(op.d, a >= 0 ? fpr(op.c) : fpr(op.b))
            recordFP(op)
        case .fabs: setFPR(op.d, fpr(op.b) & ~(1 << 63)); recordFP(op)
        case .fnabs: setFPR(op.d, fpr(op.b) | (1 << 63)); recordFP(op)
        case .fneg: setFPR(op.d, fpr(op.b) ^ (1 << 63)); recordFP(op)
        case .fmr: setFPR(op.d, fpr(op.b)); recordFP(op)
        case .frsp:
            let b = fval(op.b)
            var single = op
            single.flags |= 8
            apply(single, PPCFloatMath.propagate(b) ?? FPExact(r: b))
        case .fctiw, .fctiwz:
            let v = fval(op.b)
            let rounded = op.kind == .fctiwz ? v.rounded(.towardZero) : roundCurrent(v)
            let i: Int32
            if v.isNaN { i = Int32.min; setInvalid(v.isSignalingNaN) }
            else if rounded >= 2147483648.0 { i = Int32.max; setInvalid(false) }
            else if rounded < -2147483648.0 { i = Int32.min; setInvalid(false) }
            else {
                i = Int32(rounded)
                conversionStatus(exact: rounded == v, up: abs(rounded) > abs(v))
            }
            setFPR(op.d, 0xfff8_0000_0000_0000 | UInt64(UInt32(bitPattern: i)))
            recordFP(op)
        case .fctid, .fctidz:
            let v = fval(op.b)
            let rounded = op.kind == .fctidz ? v.rounded(.towardZero) : roundCurrent(v)
            let i: Int64
            if v.isNaN { i = Int64.min; setInvalid(v.isSignalingNaN) }
            else if rounded >= 9223372036854775808.0 { i = Int64.max; setInvalid(false) }
            else if rounded < -9223372036854775808.0 { i = Int64.min; setInvalid(false) }
            else {
                i = Int64(rounded)
                conversionStatus(exact: rounded == v, up: abs(rounded) > abs(v))
            }
            setFPR(op.d, UInt64(bitPattern: i))
            recordFP(op)
        case .fcfid: fresult(op, Double(Int64(bitPattern: fpr(op.b))))
        case .fcmpu, .fcmpo:
            let a = fval(op.a), b = fval(op.b)
            let bits: UInt32 = a.isNaN || b.isNaN ? 1 : a < b ? 8 : a > b ? 4 : 2
            setCRField(op.d >> 2, bits)
            r.pointee.fpscr = (r.pointee.fpscr & ~(0xf << 12)) | (bits << 12)
            var raised: UInt32 = 0
            if a.isSignalingNaN || b.isSignalingNaN { raised |= FPSCR.VXSNAN }
            // fcmpo: VXVC for a quiet NaN, or for an sNaN when invalid-operation traps are off.
            if op.kind == .fcmpo && (a.isNaN || b.isNaN) && (raised == 0 || r.pointee.fpscr & FPSCR.bit(24) == 0) { raised |= FPSCR.VXVC }
            raise(raised)
        case .mffs:
            setFPR(op.d, 0xfff8_0000_0000_0000 | UInt64(r.pointee.fpscr))
            recordFP(op)
        case .mtfsf:
            var m: UInt32 = 0
            for i in 0..<8 where op.imm & (0x80 >> Int32(i)) != 0 { m |= 0xf << UInt32(28 - 4 * i) }
            m &= ~Self.fpscrBit(1) & ~Self.fpscrBit(2)  // FEX and VX are summaries, not settable
            r.pointee.fpscr = (r.pointee.fpscr & ~m) | (UInt32(truncatingIfNeeded: fpr(op.b)) & m)
            updateSummaries()
            recordFP(op)
        case .mtfsfi:
            let field = UInt32(op.d >> 2)
            let shift: UInt32 = 28 - 4 * field
            var m: UInt32 = 0xf << shift
            if field == 0 { m &= ~(Self.fpscrBit(1) | Self.fpscrBit(2)) }
            r.pointee.fpscr = (r.pointee.fpscr & ~m) | ((UInt32(op.imm) << shift) & m)
            updateSummaries()
            recordFP(op)
        case .mtfsb0, .mtfsb1:
            let bit = Int(op.d)
            if bit != 1 && bit != 2 {
                if op.kind == .mtfsb1 { r.pointee.fpscr |= Self.fpscrBit(bit) } else { r.pointee.fpscr &= ~Self.fpscrBit(bit) }
            }
            updateSummaries()
            recordFP(op)
        case .mcrfs:
            let shift = UInt32(28 - 4 * Int(op.a >> 2))
            setCRField(op.d >> 2, r.pointee.fpscr >> shift)
            // The exception bits copied are cleared (not FEX/VX, which are summaries).
            let clear: UInt32 = (UInt32(0xf) << shift) & 0x9ff8_0700
            r.pointee.fpscr &= ~clear
            updateSummaries()
        default:
            return .fault(.SIGILL, code: SignalCode.ILL_ILLOPC, address: UInt64(pc))
        }
        return nil
    }

    /// Rounds to an integer in FPSCR[RN]'s mode.
    func roundCurrent(_ v: Double) -> Double {
        switch r.pointee.fpscr & 3 {
        case 0: return v.rounded(.toNearestOrEven)
        case 1: return v.rounded(.towardZero)
        case 2: return v.rounded(.up)
        default: return v.rounded(.down)
        }
    }

    /// Invalid integer conversion: VXCVI (and VXSNAN for a signaling NaN); FR and FI cleared.
    func setInvalid(_ snan: Bool) {
        r.pointee.fpscr &= ~(FPSCR.FR | FPSCR.FI)
        raise(FPSCR.VXCVI | (snan ? FPSCR.VXSNAN : 0))
    }
    func conversionStatus(exact: Bool, up: Bool) {
        r.pointee.fpscr &= ~(FPSCR.FR | FPSCR.FI)
        if !exact {
            r.pointee.fpscr |= FPSCR.FI | (up ? FPSCR.FR : 0)
            raise(FPSCR.XX)
        }
    }

    /// Sets sticky exception bits; FX records any that went from 0 to 1.
    func raise(_ bits: UInt32) {
        let old = r.pointee.fpscr
        var f = old | bits
        if bits & FPSCR.exceptions & ~old != 0 { f |= FPSCR.FX }
        r.pointee.fpscr = f
        updateSummaries()
    }

    /// The rounding mode (FPSCR[RN]).
    var rn: UInt32 { r.pointee.fpscr & 3 }

    /// Rounds an arithmetic result to the instruction's precision in FPSCR[RN]'s mode and writes
    /// it with its status: exception bits, FR/FI, FPRF, CR1 (fnmadd/fnmsub negate after rounding).
    @inline(__always) func apply(_ op: PPCOp, _ x: FPExact, negate: Bool = false) {
        let ue = r.pointee.fpscr & FPSCR.UE != 0
        var o = op.single ? PPCFloatMath.toSingle(x, mode: rn, ue: ue) : PPCFloatMath.toDouble(x, mode: rn, ue: ue)
        if negate && !o.value.isNaN { o.value = -o.value }
        r.pointee.fpscr = (r.pointee.fpscr & ~(FPSCR.FR | FPSCR.FI)) | (o.inexact ? FPSCR.FI : 0) | (o.roundedUp ? FPSCR.FR : 0)
        raise(o.raised)
        setFPR(op.d, o.value.bitPattern)
        setFPRF(o.value)
        recordFP(op)
    }

    /// VX = OR of the invalid-operation bits; FEX = OR of enabled exceptions.
    func updateSummaries() {
        var f = r.pointee.fpscr
        let vxBits: UInt32 = 0x01f8_0700  // VXSNAN..VXVC (bits 7–12), VXSOFT, VXSQRT, VXCVI (21–23)
        if f & vxBits != 0 { f |= Self.fpscrBit(2) } else { f &= ~Self.fpscrBit(2) }
        let exceptions = (f >> 25) & 0x1f  // VX OX UX ZX XX at bits 2..6 → shifted to 0..4
        let enables = (f >> 3) & 0x1f  // VE OE UE ZE XE at bits 24..28
        if exceptions & enables != 0 { f |= Self.fpscrBit(1) } else { f &= ~Self.fpscrBit(1) }
        r.pointee.fpscr = f
    }
}
