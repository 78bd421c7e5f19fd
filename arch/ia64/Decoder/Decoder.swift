/// Slot and bundle decoding.
///
/// Decoding follows the instruction-format tables of the Intel Itanium
/// Architecture Software Developer's Manual, Volume 3 ("Instruction
/// Formats"): the unit type (from the template) and the major opcode
/// (bits 40:37) select a format family, then that family's opcode-extension
/// fields pick the instruction. Fields the architecture leaves unused are
/// ignored, exactly as GNU objdump ignores them, so any 41-bit value decodes
/// either to a known form or to `.illegal`.

// MARK: - Bit-field helpers

/// Extracts `n` bits of `x` starting at bit `lo`.
@inline(__always) @usableFromInline
func fld(_ x: UInt64, _ lo: UInt64, _ n: UInt64) -> UInt64 { (x >> lo) & ((1 << n) - 1) }

/// Sign-extends the low `n` bits of `v`.
@inline(__always) @usableFromInline
func sext(_ v: UInt64, _ n: UInt64) -> Int64 { Int64(bitPattern: v << (64 - n)) >> Int64(64 - n) }

@inline(__always) func u8(_ v: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: v) }

/// Common register fields.
@inline(__always) func qpOf(_ x: UInt64) -> UInt8 { u8(x & 0x3f) }
@inline(__always) func r1Of(_ x: UInt64) -> UInt8 { u8(fld(x, 6, 7)) }
@inline(__always) func r2Of(_ x: UInt64) -> UInt8 { u8(fld(x, 13, 7)) }
@inline(__always) func r3Of(_ x: UInt64) -> UInt8 { u8(fld(x, 20, 7)) }
@inline(__always) func p2Of(_ x: UInt64) -> UInt8 { u8(fld(x, 27, 6)) }
@inline(__always) func p1Of(_ x: UInt64) -> UInt8 { u8(fld(x, 6, 6)) }

// Immediate assemblers (names follow the SDM operand names).
@inline(__always) func imm8(_ x: UInt64) -> Int64 { sext(fld(x, 36, 1) << 7 | fld(x, 13, 7), 8) }
@inline(__always) func imm14(_ x: UInt64) -> Int64 { sext(fld(x, 36, 1) << 13 | fld(x, 27, 6) << 7 | fld(x, 13, 7), 14) }
@inline(__always) func imm22(_ x: UInt64) -> Int64 {
    sext(fld(x, 36, 1) << 21 | fld(x, 22, 5) << 16 | fld(x, 27, 9) << 7 | fld(x, 13, 7), 22)
}
/// 21-bit unsigned immediate of break/nop/hint (i:imm20a).
@inline(__always) func immU21(_ x: UInt64) -> Int64 { Int64(fld(x, 36, 1) << 20 | fld(x, 6, 20)) }
/// 25-bit IP-relative displacement s:imm20b, scaled by 16 (branches, chk.a).
@inline(__always) func target25b(_ x: UInt64) -> Int64 { sext(fld(x, 36, 1) << 20 | fld(x, 13, 20), 21) << 4 }
/// 25-bit IP-relative displacement s:imm20a, scaled by 16 (fchkf).
@inline(__always) func target25a(_ x: UInt64) -> Int64 { sext(fld(x, 36, 1) << 20 | fld(x, 6, 20), 21) << 4 }
/// 25-bit IP-relative displacement s:imm13c:imm7a, scaled by 16 (chk.s).
@inline(__always) func target25c(_ x: UInt64) -> Int64 {
    sext(fld(x, 36, 1) << 20 | fld(x, 20, 13) << 7 | fld(x, 6, 7), 21) << 4
}

// MARK: - Public entry points

/// Decodes one 41-bit slot executing on `unit`.
///
/// For the X unit, `lslot` must be the companion L slot (slot 1) of the MLX
/// bundle. An `.L` unit decodes to `.lSlot` (its bits belong to slot 2).
/// Never traps: unknown or reserved encodings yield `.illegal`.
public func decodeSlot(_ x: UInt64, unit: Unit, lslot: UInt64 = 0) -> Instruction {
    let op = fld(x, 37, 4)
    switch unit {
    case .M: return op >= 8 ? decodeA(x) : decodeM(x)
    case .I: return op >= 8 ? decodeA(x) : decodeI(x)
    case .F: return decodeF(x)
    case .B: return decodeB(x)
    case .L: return Instruction(.lSlot)
    case .X: return decodeX(x, lslot)
    }
}

/// Decodes all three slots of a bundle. For MLX bundles, slot 1 holds the
/// combined L+X instruction (`movl`, `brl`, `nop.x`, `break.x`, ...) and
/// slot 2 is `.lSlot`. Reserved templates decode to three `.illegal`s.
public func decode(bundle b: Bundle) -> (Instruction, Instruction, Instruction) {
    guard let u = b.templateInfo.units else { return (.illegal, .illegal, .illegal) }
    let i0 = decodeSlot(b.slots.0, unit: u.0)
    if u.1 == .L {
        return (i0, decodeSlot(b.slots.2, unit: .X, lslot: b.slots.1), Instruction(.lSlot))
    }
    return (i0, decodeSlot(b.slots.1, unit: u.1), decodeSlot(b.slots.2, unit: u.2))
}

// MARK: - A unit (major opcodes 8-15 in M or I slots)

func decodeA(_ x: UInt64) -> Instruction {
    let qp = qpOf(x), r1 = r1Of(x), r2 = r2Of(x), r3 = r3Of(x)
    switch fld(x, 37, 4) {
    case 8:
        let x2a = fld(x, 34, 2), ve = fld(x, 33, 1), x4 = fld(x, 29, 4), x2b = fld(x, 27, 2)
        if x2a == 1 { return decodeA9(x) }        // multimedia: bit 33 is zb there
        if ve != 0 { return .illegal }
        switch x2a {
        case 0:
            var op: Op
            switch (x4, x2b) {
            case (0, 0): op = .add
            case (0, 1): op = .addPlus1
            case (1, 1): op = .sub
            case (1, 0): op = .subMinus1
            case (2, 0): op = .addp4
            case (3, 0): op = .and
            case (3, 1): op = .andcm
            case (3, 2): op = .or
            case (3, 3): op = .xor
            case (4, _), (6, _):
                // shladd / shladdp4: count = ct2d + 1
                return Instruction(x4 == 4 ? .shladd : .shladdp4, qp: qp, r1: r1, r2: r2, r3: r3, imm: Int64(x2b) + 1)
            case (9, 1): op = .subImm
            case (0xb, 0): op = .andImm
            case (0xb, 1): op = .andcmImm
            case (0xb, 2): op = .orImm
            case (0xb, 3): op = .xorImm
            default: return .illegal
            }
            if x4 >= 8 { return Instruction(op, qp: qp, r1: r1, r3: r3, imm: imm8(x)) }
            return Instruction(op, qp: qp, r1: r1, r2: r2, r3: r3)
        case 2: return Instruction(.adds, qp: qp, r1: r1, r3: r3, imm: imm14(x))
        default: return Instruction(.addp4Imm, qp: qp, r1: r1, r3: r3, imm: imm14(x))
        }
    case 9:
        return Instruction(.addl, qp: qp, r1: r1, r3: u8(fld(x, 20, 2)), imm: imm22(x))
    case 0xc, 0xd, 0xe:
        return decodeCompare(x)
    default:
        return .illegal
    }
}

/// A9/A10: parallel add/sub/avg/compare and pshladd2/pshradd2.
func decodeA9(_ x: UInt64) -> Instruction {
    let za = fld(x, 36, 1), zb = fld(x, 33, 1), x4 = fld(x, 29, 4), x2b = fld(x, 27, 2)
    let size = za << 1 | zb            // 0: 1-byte, 1: 2-byte, 2: 4-byte, 3: reserved
    if size == 3 { return .illegal }
    var op: Op, c1: UInt8 = 0
    switch x4 {
    case 0, 1:
        if size == 2 && x2b != 0 { return .illegal }
        op = x4 == 0 ? [Op.padd1, .padd2, .padd4][Int(size)] : [Op.psub1, .psub2, .psub4][Int(size)]
        c1 = u8(x2b)                   // 0 modulo, 1 .sss, 2 .uuu, 3 .uus
    case 2:
        if size == 2 || x2b < 2 { return .illegal }
        op = size == 0 ? .pavg1 : .pavg2; c1 = u8(x2b - 2)   // 1 = .raz
    case 3:
        if size == 2 || x2b != 2 { return .illegal }
        op = size == 0 ? .pavgsub1 : .pavgsub2
    case 9:
        if x2b > 1 { return .illegal }
        op = [Op.pcmp1, .pcmp2, .pcmp4][Int(size)]; c1 = u8(x2b)   // 0 eq, 1 gt
    case 4, 6:
        if size != 1 { return .illegal }
        return Instruction(x4 == 4 ? .pshladd2 : .pshradd2, qp: qpOf(x), r1: r1Of(x), r2: r2Of(x), r3: r3Of(x),
                           imm: Int64(x2b) + 1)
    default: return .illegal
    }
    return Instruction(op, qp: qpOf(x), r1: r1Of(x), r2: r2Of(x), r3: r3Of(x), c1: c1)
}

/// A6/A7/A8: integer compares. The relation/type are normalised to the
/// form objdump prints; p1 is in `r1`, p2 in `r4`.
func decodeCompare(_ x: UInt64) -> Instruction {
    let major = fld(x, 37, 4), x2 = fld(x, 34, 2), tb = fld(x, 36, 1), ta = fld(x, 33, 1), c = fld(x, 12, 1)
    let immForm = x2 >= 2
    let op: Op = immForm ? (x2 == 2 ? .cmpImm : .cmp4Imm) : (x2 == 0 ? .cmp : .cmp4)
    var rel: CmpRel, type: CmpType
    var r2 = r2Of(x)
    let parType: CmpType = major == 0xc ? .and : (major == 0xd ? .or : .orAndcm)
    if !immForm && tb == 1 {
        // A7: zero-register parallel compares ("r0" in the r2 position).
        rel = [CmpRel.gt, .le, .ge, .lt][Int(ta << 1 | c)]
        type = parType
        r2 = 0
    } else if ta == 0 {
        rel = major == 0xc ? .lt : (major == 0xd ? .ltu : .eq)
        type = c == 1 ? .unc : .normal
    } else {
        rel = c == 0 ? .eq : .ne
        type = parType
    }
    var i = Instruction(op, qp: qpOf(x), r1: p1Of(x), r3: r3Of(x), r4: p2Of(x), c1: rel.rawValue, c2: type.rawValue)
    if immForm { i.imm = imm8(x) } else { i.r2 = r2 }
    return i
}

// MARK: - I unit

func decodeI(_ x: UInt64) -> Instruction {
    let qp = qpOf(x), r1 = r1Of(x), r2 = r2Of(x), r3 = r3Of(x)
    switch fld(x, 37, 4) {
    case 0:
        let x3 = fld(x, 33, 3)
        switch x3 {
        case 0:
            let x6 = fld(x, 27, 6)
            switch x6 {
            case 0x00: return Instruction(.breakI, qp: qp, imm: immU21(x))
            case 0x01: return Instruction(fld(x, 26, 1) == 0 ? .nopI : .hintI, qp: qp, imm: immU21(x))
            case 0x0a: return Instruction(.movToArImmI, qp: qp, r3: r3, imm: imm8(x))
            case 0x10: return Instruction(.zxt1, qp: qp, r1: r1, r3: r3)
            case 0x11: return Instruction(.zxt2, qp: qp, r1: r1, r3: r3)
            case 0x12: return Instruction(.zxt4, qp: qp, r1: r1, r3: r3)
            case 0x14: return Instruction(.sxt1, qp: qp, r1: r1, r3: r3)
            case 0x15: return Instruction(.sxt2, qp: qp, r1: r1, r3: r3)
            case 0x16: return Instruction(.sxt4, qp: qp, r1: r1, r3: r3)
            case 0x18: return Instruction(.czx1L, qp: qp, r1: r1, r3: r3)
            case 0x19: return Instruction(.czx2L, qp: qp, r1: r1, r3: r3)
            case 0x1c: return Instruction(.czx1R, qp: qp, r1: r1, r3: r3)
            case 0x1d: return Instruction(.czx2R, qp: qp, r1: r1, r3: r3)
            case 0x2a: return Instruction(.movToArI, qp: qp, r2: r2, r3: r3)
            case 0x30: return Instruction(.movFromIp, qp: qp, r1: r1)
            case 0x31: return Instruction(.movFromBr, qp: qp, r1: r1, r2: u8(fld(x, 13, 3)))
            case 0x32: return Instruction(.movFromArI, qp: qp, r1: r1, r3: r3)
            case 0x33: return Instruction(.movFromPr, qp: qp, r1: r1)
            default: return .illegal
            }
        case 1: return Instruction(.chkSI, qp: qp, r2: r2, imm: target25c(x))
        case 2:
            // mov pr.rot = imm44 (s:imm27a, low 16 bits zero)
            return Instruction(.movToPrRot, qp: qp, imm: sext(fld(x, 36, 1) << 27 | fld(x, 6, 27), 28) << 16)
        case 3:
            // mov pr = r2, mask17 (s:mask8c:mask7a, bit 0 implied zero)
            let m = fld(x, 36, 1) << 15 | fld(x, 24, 8) << 7 | fld(x, 6, 7)
            return Instruction(.movToPr, qp: qp, r2: r2, imm: sext(m, 16) << 1)
        case 7:
            // mov b1 = r2, tag: c1 = wh (0 sptk, 1 none, 2 dptk), c2 bit0 = .ret, bit1 = .imp
            let wh = fld(x, 20, 2)
            if wh == 3 { return .illegal }
            return Instruction(.movToBr, qp: qp, r1: u8(fld(x, 6, 3)), r2: r2, c1: u8(wh),
                               c2: u8(fld(x, 22, 1) | fld(x, 23, 1) << 1), imm: sext(fld(x, 24, 9), 9) << 4)
        default: return .illegal
        }
    case 4:
        // dep r1 = r2, r3, pos6, len4
        return Instruction(.dep, qp: qp, r1: r1, r2: r2, r3: r3, c1: u8(63 - fld(x, 31, 6)), c2: u8(fld(x, 27, 4) + 1))
    case 5:
        let x2 = fld(x, 34, 2), xb = fld(x, 33, 1)
        let len = u8(fld(x, 27, 6) + 1)
        switch (x2, xb) {
        case (0, _): return decodeTest(x)
        case (1, 0):
            let op: Op = fld(x, 13, 1) == 0 ? .extrU : .extr
            return Instruction(op, qp: qp, r1: r1, r3: r3, c1: u8(fld(x, 14, 6)), c2: len)
        case (1, 1):
            let pos = u8(63 - fld(x, 20, 6))
            if fld(x, 26, 1) == 0 { return Instruction(.depZ, qp: qp, r1: r1, r2: r2, c1: pos, c2: len) }
            return Instruction(.depZImm, qp: qp, r1: r1, c1: pos, c2: len, imm: imm8(x))
        case (3, 0): return Instruction(.shrp, qp: qp, r1: r1, r2: r2, r3: r3, c1: u8(fld(x, 27, 6)))
        case (3, 1):
            return Instruction(.depImm, qp: qp, r1: r1, r3: r3, c1: u8(63 - fld(x, 14, 6)), c2: len,
                               imm: -Int64(fld(x, 36, 1)))
        default: return .illegal
        }
    case 7: return decodeI7(x)
    default: return .illegal
    }
}

/// I16/I17/I30: tbit, tnat, tf. p1 in `r1`, p2 in `r4`, rel/type in c1/c2,
/// bit position (tbit) or feature number (tf) in `imm`.
func decodeTest(_ x: UInt64) -> Instruction {
    let ta = fld(x, 33, 1), tb = fld(x, 36, 1), ya = fld(x, 13, 1), c = fld(x, 12, 1)
    let types: [CmpType] = [.normal, .and, .or, .orAndcm]
    var type = types[Int(ta << 1 | tb)]
    var rel = CmpRel.z
    if type == .normal { if c == 1 { type = .unc } } else if c == 1 { rel = .nz }
    var i = Instruction(.tbit, qp: qpOf(x), r1: p1Of(x), r3: r3Of(x), r4: p2Of(x), c1: rel.rawValue, c2: type.rawValue)
    if ya == 0 {
        i.imm = Int64(fld(x, 14, 6))
    } else if fld(x, 19, 1) == 0 {
        i.op = .tnat
    } else {
        i.op = .tf; i.r3 = 0; i.imm = Int64(fld(x, 14, 6))   // bit 19 (xc) is always 1: 32...63
    }
    return i
}

/// I1-I9 (major opcode 7): multimedia, variable shifts, popcnt, clz.
func decodeI7(_ x: UInt64) -> Instruction {
    let za = fld(x, 36, 1), zb = fld(x, 33, 1), ve = fld(x, 32, 1)
    let x2a = fld(x, 34, 2), x2b = fld(x, 28, 2), x2c = fld(x, 30, 2)
    if ve != 0 { return .illegal }
    let qp = qpOf(x), r1 = r1Of(x), r2 = r2Of(x), r3 = r3Of(x)
    let z = za << 1 | zb
    // pmpyshr2 ignores x2c: it holds the shift count.
    if z == 1 && x2a == 0 && (x2b == 3 || x2b == 1) {
        let counts: [Int64] = [0, 7, 15, 16]
        return Instruction(x2b == 3 ? .pmpyshr2 : .pmpyshr2U, qp: qp, r1: r1, r2: r2, r3: r3, imm: counts[Int(x2c)])
    }
    let key = z << 6 | x2a << 4 | x2b << 2 | x2c
    var op: Op
    switch key {
    case 0b01_10_01_11: op = .pmpy2R
    case 0b01_10_11_11: op = .pmpy2L
    case 0b00_10_00_10: op = .mix1R
    case 0b01_10_00_10: op = .mix2R
    case 0b10_10_00_10: op = .mix4R
    case 0b00_10_10_10: op = .mix1L
    case 0b01_10_10_10: op = .mix2L
    case 0b10_10_10_10: op = .mix4L
    case 0b01_10_00_00: op = .pack2Uss
    case 0b01_10_10_00: op = .pack2Sss
    case 0b10_10_10_00: op = .pack4Sss
    case 0b00_10_00_01: op = .unpack1H
    case 0b01_10_00_01: op = .unpack2H
    case 0b10_10_00_01: op = .unpack4H
    case 0b00_10_10_01: op = .unpack1L
    case 0b01_10_10_01: op = .unpack2L
    case 0b10_10_10_01: op = .unpack4L
    case 0b00_10_01_00: op = .pmin1U
    case 0b00_10_01_01: op = .pmax1U
    case 0b01_10_11_00: op = .pmin2
    case 0b01_10_11_01: op = .pmax2
    case 0b00_10_11_10: op = .psad1
    case 0b00_11_10_10: return Instruction(.mux1, qp: qp, r1: r1, r2: r2, c1: u8(fld(x, 20, 4)))
    case 0b01_11_10_10: return Instruction(.mux2, qp: qp, r1: r1, r2: r2, c1: u8(fld(x, 20, 8)))
    case 0b01_00_10_00: op = .pshr2
    case 0b10_00_10_00: op = .pshr4
    case 0b11_00_10_00: op = .shr
    case 0b01_00_00_00: op = .pshr2U
    case 0b10_00_00_00: op = .pshr4U
    case 0b11_00_00_00: op = .shrU
    case 0b01_01_11_00: return Instruction(.pshr2Imm, qp: qp, r1: r1, r3: r3, c1: u8(fld(x, 14, 5)))
    case 0b10_01_11_00: return Instruction(.pshr4Imm, qp: qp, r1: r1, r3: r3, c1: u8(fld(x, 14, 5)))
    case 0b01_01_01_00: return Instruction(.pshr2UImm, qp: qp, r1: r1, r3: r3, c1: u8(fld(x, 14, 5)))
    case 0b10_01_01_00: return Instruction(.pshr4UImm, qp: qp, r1: r1, r3: r3, c1: u8(fld(x, 14, 5)))
    case 0b01_00_00_01: op = .pshl2
    case 0b10_00_00_01: op = .pshl4
    case 0b11_00_00_01: op = .shl
    case 0b10_00_01_11: op = .mpy4
    case 0b10_00_11_11: op = .mpyshl4
    case 0b01_11_01_01: return Instruction(.pshl2Imm, qp: qp, r1: r1, r2: r2, c1: u8(31 - fld(x, 20, 5)))
    case 0b10_11_01_01: return Instruction(.pshl4Imm, qp: qp, r1: r1, r2: r2, c1: u8(31 - fld(x, 20, 5)))
    case 0b01_01_01_10: return Instruction(.popcnt, qp: qp, r1: r1, r3: r3)
    case 0b01_01_01_11: return Instruction(.clz, qp: qp, r1: r1, r3: r3)
    default: return .illegal
    }
    return Instruction(op, qp: qp, r1: r1, r2: r2, r3: r3)
}

// MARK: - M unit

/// Integer load x6 values (size = x6 & 3; flavour = x6 >> 2).
@inline(__always) func isIntLoadX6(_ x6: UInt64) -> Bool { x6 <= 0x17 || x6 == 0x1b || (x6 >= 0x20 && x6 <= 0x2b) }
@inline(__always) func isIntStoreX6(_ x6: UInt64) -> Bool { (x6 >= 0x30 && x6 <= 0x37) || x6 == 0x3b }
@inline(__always) func isFpLoadX6(_ x6: UInt64) -> Bool { x6 <= 0x0f || x6 == 0x1b || (x6 >= 0x20 && x6 <= 0x27) }
@inline(__always) func isFpStoreX6(_ x6: UInt64) -> Bool { (x6 >= 0x30 && x6 <= 0x33) || x6 == 0x3b }
@inline(__always) func isFpPairX6(_ x6: UInt64) -> Bool {
    x6 & 3 != 0 && (x6 <= 0x0f || (x6 >= 0x21 && x6 <= 0x27 && x6 != 0x24))
}

/// Indirect register files for `mov rr[r3]=r2` and friends (`c1` of movToInd/movFromInd).
public enum IndirectFile: UInt8, Sendable {
    case rr, dbr, ibr, pkr, pmc, pmd, msr, cpuid, dahr
    public var name: String { ["rr", "dbr", "ibr", "pkr", "pmc", "pmd", "msr", "cpuid", "dahr"][Int(rawValue)] }
}

func decodeM(_ x: UInt64) -> Instruction {
    let qp = qpOf(x), r1 = r1Of(x), r2 = r2Of(x), r3 = r3Of(x)
    let major = fld(x, 37, 4)
    switch major {
    case 0:
        let x3 = fld(x, 33, 3)
        switch x3 {
        case 0:
            let x4 = fld(x, 27, 4), x2 = fld(x, 31, 2)
            switch x4 {
            case 4, 5, 6, 7:
                let imm = Int64(fld(x, 36, 1) << 23 | fld(x, 31, 2) << 21 | fld(x, 6, 21))
                return Instruction([Op.sum, .rum, .ssm, .rsm][Int(x4 - 4)], qp: qp, imm: imm)
            default: break
            }
            switch (x2, x4) {
            case (0, 0): return Instruction(.breakM, qp: qp, imm: immU21(x))
            case (0, 1): return Instruction(fld(x, 26, 1) == 0 ? .nopM : .hintM, qp: qp, imm: immU21(x))
            case (0, 0xa): return Instruction(.loadrs, qp: qp)
            case (0, 0xc): return Instruction(.flushrs, qp: qp)
            case (1, 0): return Instruction(.invala, qp: qp)
            case (1, 2): return Instruction(.invalaER, qp: qp, r1: r1)
            case (1, 3): return Instruction(.invalaEF, qp: qp, r1: r1)
            case (2, 0): return Instruction(.fwb, qp: qp)
            case (2, 2): return Instruction(.mf, qp: qp)
            case (2, 3): return Instruction(.mfA, qp: qp)
            case (2, 8): return Instruction(.movToArImmM, qp: qp, r3: r3, imm: imm8(x))
            case (3, 0): return Instruction(.srlzD, qp: qp)
            case (3, 1): return Instruction(.srlzI, qp: qp)
            case (3, 3): return Instruction(.syncI, qp: qp)
            default: return .illegal
            }
        case 4: return Instruction(.chkANcR, qp: qp, r1: r1, imm: target25b(x))
        case 5: return Instruction(.chkAClrR, qp: qp, r1: r1, imm: target25b(x))
        case 6: return Instruction(.chkANcF, qp: qp, r1: r1, imm: target25b(x))
        case 7: return Instruction(.chkAClrF, qp: qp, r1: r1, imm: target25b(x))
        default: return .illegal
        }
    case 1:
        let x3 = fld(x, 33, 3)
        switch x3 {
        case 0: return decodeMSys(x)
        case 1: return Instruction(.chkSM, qp: qp, r2: r2, imm: target25c(x))
        case 3: return Instruction(.chkSF, qp: qp, r2: r2, imm: target25c(x))
        case 6:
            // alloc r1 = ar.pfs, sof, sol, sor: r2 = sof, r3 = sol, c1 = sor (in units of 8)
            return Instruction(.alloc, qp: qp, r1: r1, r2: r2, r3: r3, c1: u8(fld(x, 27, 4)))
        default: return .illegal
        }
    case 4, 5, 6, 7:
        return decodeMem(x)
    default:
        return .illegal
    }
}

/// M-unit major opcode 1, x3 = 0: system/memory-management moves (x6b table).
func decodeMSys(_ x: UInt64) -> Instruction {
    let qp = qpOf(x), r1 = r1Of(x), r2 = r2Of(x), r3 = r3Of(x)
    let x6 = fld(x, 27, 6)
    switch x6 {
    case 0x00...0x06: return Instruction(.movToInd, qp: qp, r2: r2, r3: r3, c1: u8(x6))
    case 0x0e: return Instruction(.itrD, qp: qp, r2: r2, r3: r3)
    case 0x0f: return Instruction(.itrI, qp: qp, r2: r2, r3: r3)
    case 0x10...0x17: return Instruction(.movFromInd, qp: qp, r1: r1, r3: r3, c1: u8(x6 - 0x10))
    case 0x20: return Instruction(.movFromInd, qp: qp, r1: r1, r3: r3, c1: IndirectFile.dahr.rawValue)
    case 0x09: return Instruction(.ptcL, qp: qp, r2: r2, r3: r3)
    case 0x0a: return Instruction(.ptcG, qp: qp, r2: r2, r3: r3)
    case 0x0b: return Instruction(.ptcGa, qp: qp, r2: r2, r3: r3)
    case 0x0c: return Instruction(.ptrD, qp: qp, r2: r2, r3: r3)
    case 0x0d: return Instruction(.ptrI, qp: qp, r2: r2, r3: r3)
    case 0x18: return Instruction(.probeRImm, qp: qp, r1: r1, r3: r3, imm: Int64(fld(x, 13, 2)))
    case 0x19: return Instruction(.probeWImm, qp: qp, r1: r1, r3: r3, imm: Int64(fld(x, 13, 2)))
    case 0x1a: return Instruction(.thash, qp: qp, r1: r1, r3: r3)
    case 0x1b: return Instruction(.ttag, qp: qp, r1: r1, r3: r3)
    case 0x1e: return Instruction(.tpa, qp: qp, r1: r1, r3: r3)
    case 0x1f: return Instruction(.tak, qp: qp, r1: r1, r3: r3)
    case 0x21: return Instruction(.movFromPsrUm, qp: qp, r1: r1)
    case 0x22: return Instruction(.movFromArM, qp: qp, r1: r1, r3: r3)
    case 0x24: return Instruction(.movFromCr, qp: qp, r1: r1, r3: r3)
    case 0x25: return Instruction(.movFromPsr, qp: qp, r1: r1)
    case 0x29: return Instruction(.movToPsrUm, qp: qp, r2: r2)
    case 0x2a: return Instruction(.movToArM, qp: qp, r2: r2, r3: r3)
    case 0x2c: return Instruction(.movToCr, qp: qp, r2: r2, r3: r3)
    case 0x2d: return Instruction(.movToPsrL, qp: qp, r2: r2)
    case 0x2e: return Instruction(.itcD, qp: qp, r2: r2)
    case 0x2f: return Instruction(.itcI, qp: qp, r2: r2)
    case 0x30: return Instruction(fld(x, 36, 1) == 0 ? .fc : .fcI, qp: qp, r3: r3)
    case 0x31: return Instruction(.probeRwFault, qp: qp, r3: r3, imm: Int64(fld(x, 13, 2)))
    case 0x32: return Instruction(.probeRFault, qp: qp, r3: r3, imm: Int64(fld(x, 13, 2)))
    case 0x33: return Instruction(.probeWFault, qp: qp, r3: r3, imm: Int64(fld(x, 13, 2)))
    case 0x34: return Instruction(.ptcE, qp: qp, r3: r3)
    case 0x38: return Instruction(.probeR, qp: qp, r1: r1, r2: r2, r3: r3)
    case 0x39: return Instruction(.probeW, qp: qp, r1: r1, r2: r2, r3: r3)
    default: return .illegal
    }
}

/// M-unit major opcodes 4-7: loads, stores, semaphores, getf/setf, lfetch.
func decodeMem(_ x: UInt64) -> Instruction {
    let qp = qpOf(x), r1 = r1Of(x), r2 = r2Of(x), r3 = r3Of(x)
    let major = fld(x, 37, 4)
    let x6 = fld(x, 30, 6), hint = fld(x, 28, 2)
    let m = fld(x, 36, 1), xb = fld(x, 27, 1)
    let c1 = u8(x6), c2 = u8(hint)
    // Loads/stores without a post-increment register carry an extra hint
    // bit in their unused register field (bit 19 for loads, bit 12 for
    // stores and lfetch), giving the .d1-.d7 locality hints.
    let ldHint = u8(hint | fld(x, 19, 1) << 2), stHint = u8(hint | fld(x, 12, 1) << 2)
    // Post-increment and other forms only have the 2-bit field, in which
    // loads reject 2 and stores accept only none/.nta.
    let ldHintOK = hint != 2, stHintOK = hint == 0 || hint == 3
    let imm9Load = sext(fld(x, 36, 1) << 8 | fld(x, 27, 1) << 7 | fld(x, 13, 7), 9)
    let imm9Store = sext(fld(x, 36, 1) << 8 | fld(x, 27, 1) << 7 | fld(x, 6, 7), 9)
    switch major {
    case 4:
        switch (m, xb) {
        case (0, 0):
            if isIntLoadX6(x6) { return Instruction(.ld, qp: qp, r1: r1, r3: r3, c1: c1, c2: ldHint) }
            if isIntStoreX6(x6) { return Instruction(.st, qp: qp, r2: r2, r3: r3, c1: c1, c2: stHint) }
        case (1, 0):
            if isIntLoadX6(x6) && ldHintOK { return Instruction(.ldReg, qp: qp, r1: r1, r2: r2, r3: r3, c1: c1, c2: c2) }
        case (0, 1):
            switch x6 {
            case 0x00...0x07 where ldHintOK: return Instruction(.cmpxchg, qp: qp, r1: r1, r2: r2, r3: r3, c1: c1, c2: c2)
            case 0x08...0x0b where ldHintOK: return Instruction(.xchg, qp: qp, r1: r1, r2: r2, r3: r3, c1: c1, c2: c2)
            case 0x12, 0x13, 0x16, 0x17:
                guard ldHintOK else { return .illegal }
                let mag: [Int64] = [16, 8, 4, 1]
                let v = mag[Int(fld(x, 13, 2))]
                return Instruction(.fetchadd, qp: qp, r1: r1, r3: r3, c1: c1, c2: c2, imm: fld(x, 15, 1) == 1 ? -v : v)
            case 0x1c...0x1f: return Instruction(.getf, qp: qp, r1: r1, r2: r2, c1: u8(x6 - 0x1c))
            case 0x28, 0x2c: return Instruction(.ld16, qp: qp, r1: r1, r3: r3, c1: c1, c2: ldHint)
            case 0x30, 0x34: return Instruction(.st16, qp: qp, r2: r2, r3: r3, c1: c1, c2: stHint)
            case 0x20, 0x24: return ldHintOK ? Instruction(.cmp8xchg16, qp: qp, r1: r1, r2: r2, r3: r3, c1: c1, c2: c2) : .illegal
            default: break
            }
        default: break
        }
        return .illegal
    case 5:
        if isIntLoadX6(x6) && ldHintOK { return Instruction(.ldImm, qp: qp, r1: r1, r3: r3, c1: c1, c2: c2, imm: imm9Load) }
        if isIntStoreX6(x6) && stHintOK { return Instruction(.stImm, qp: qp, r2: r2, r3: r3, c1: c1, c2: c2, imm: imm9Store) }
        return .illegal
    case 6:
        switch (m, xb) {
        case (0, 0):
            if isFpLoadX6(x6) { return Instruction(.ldf, qp: qp, r1: r1, r3: r3, c1: c1, c2: ldHint) }
            if isFpStoreX6(x6) { return Instruction(.stf, qp: qp, r2: r2, r3: r3, c1: c1, c2: stHint) }
            if x6 >= 0x2c && x6 <= 0x2f { return Instruction(.lfetch, qp: qp, r3: r3, c1: c1, c2: stHint) }
        case (1, 0):
            if isFpLoadX6(x6) && ldHintOK { return Instruction(.ldfReg, qp: qp, r1: r1, r2: r2, r3: r3, c1: c1, c2: c2) }
            if x6 >= 0x2c && x6 <= 0x2f { return Instruction(.lfetchReg, qp: qp, r2: r2, r3: r3, c1: c1, c2: stHint) }
        case (0, 1):
            if isFpPairX6(x6) && ldHintOK { return Instruction(.ldfp, qp: qp, r1: r1, r2: r2, r3: r3, c1: c1, c2: c2) }
            if x6 >= 0x1c && x6 <= 0x1f { return Instruction(.setf, qp: qp, r1: r1, r2: r2, c1: u8(x6 - 0x1c)) }
        default:
            if isFpPairX6(x6) && ldHintOK {
                return Instruction(.ldfpImm, qp: qp, r1: r1, r2: r2, r3: r3, c1: c1, c2: c2, imm: x6 & 3 == 2 ? 8 : 16)
            }
        }
        return .illegal
    default: // 7
        if isFpLoadX6(x6) && ldHintOK { return Instruction(.ldfImm, qp: qp, r1: r1, r3: r3, c1: c1, c2: c2, imm: imm9Load) }
        if isFpStoreX6(x6) && stHintOK { return Instruction(.stfImm, qp: qp, r2: r2, r3: r3, c1: c1, c2: c2, imm: imm9Store) }
        if x6 >= 0x2c && x6 <= 0x2f { return Instruction(.lfetchImm, qp: qp, r3: r3, c1: c1, c2: stHint, imm: imm9Load) }
        return .illegal
    }
}

// MARK: - F unit

func decodeF(_ x: UInt64) -> Instruction {
    let qp = qpOf(x), f1 = r1Of(x), f2 = r2Of(x), f3 = r3Of(x), f4 = u8(fld(x, 27, 7))
    let sf = u8(fld(x, 34, 2))
    let major = fld(x, 37, 4)
    switch major {
    case 0, 1:
        let par = major == 1
        if fld(x, 33, 1) == 1 {
            // F6/F7: reciprocal (sqrt) approximation; p2 in r4
            if fld(x, 36, 1) == 0 {
                return Instruction(par ? .fprcpa : .frcpa, qp: qp, r1: f1, r2: f2, r3: f3, r4: p2Of(x), c1: sf)
            }
            return Instruction(par ? .fprsqrta : .frsqrta, qp: qp, r1: f1, r3: f3, r4: p2Of(x), c1: sf)
        }
        let x6 = fld(x, 27, 6)
        if par {
            switch x6 {
            case 0x10: return Instruction(.fpmergeS, qp: qp, r1: f1, r2: f2, r3: f3)
            case 0x11: return Instruction(.fpmergeNs, qp: qp, r1: f1, r2: f2, r3: f3)
            case 0x12: return Instruction(.fpmergeSe, qp: qp, r1: f1, r2: f2, r3: f3)
            case 0x14...0x17:
                return Instruction([Op.fpmin, .fpmax, .fpamin, .fpamax][Int(x6 - 0x14)], qp: qp, r1: f1, r2: f2, r3: f3, c1: sf)
            case 0x18...0x1b:
                return Instruction([Op.fpcvtFx, .fpcvtFxu, .fpcvtFxTrunc, .fpcvtFxuTrunc][Int(x6 - 0x18)], qp: qp, r1: f1, r2: f2, c1: sf)
            case 0x30...0x37:
                return Instruction(.fpcmp, qp: qp, r1: f1, r2: f2, r3: f3, c1: sf, c2: u8(x6 - 0x30))
            default: return .illegal
            }
        }
        switch x6 {
        case 0x00: return Instruction(.breakF, qp: qp, imm: immU21(x))
        case 0x01: return Instruction(fld(x, 26, 1) == 0 ? .nopF : .hintF, qp: qp, imm: immU21(x))
        case 0x04: return Instruction(.fsetc, qp: qp, c1: sf, imm: Int64(fld(x, 13, 7) << 7 | fld(x, 20, 7)))  // amask7b:omask7c
        case 0x05: return Instruction(.fclrf, qp: qp, c1: sf)
        case 0x08: return Instruction(.fchkf, qp: qp, c1: sf, imm: target25a(x))
        case 0x10: return Instruction(.fmergeS, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x11: return Instruction(.fmergeNs, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x12: return Instruction(.fmergeSe, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x14...0x17:
            return Instruction([Op.fmin, .fmax, .famin, .famax][Int(x6 - 0x14)], qp: qp, r1: f1, r2: f2, r3: f3, c1: sf)
        case 0x18...0x1b:
            return Instruction([Op.fcvtFx, .fcvtFxu, .fcvtFxTrunc, .fcvtFxuTrunc][Int(x6 - 0x18)], qp: qp, r1: f1, r2: f2, c1: sf)
        case 0x1c: return Instruction(.fcvtXf, qp: qp, r1: f1, r2: f2)
        case 0x28: return Instruction(.fpack, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x2c: return Instruction(.fand, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x2d: return Instruction(.fandcm, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x2e: return Instruction(.for, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x2f: return Instruction(.fxor, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x34: return Instruction(.fswap, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x35: return Instruction(.fswapNl, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x36: return Instruction(.fswapNr, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x39: return Instruction(.fmixLr, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x3a: return Instruction(.fmixR, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x3b: return Instruction(.fmixL, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x3c: return Instruction(.fsxtR, qp: qp, r1: f1, r2: f2, r3: f3)
        case 0x3d: return Instruction(.fsxtL, qp: qp, r1: f1, r2: f2, r3: f3)
        default: return .illegal
        }
    case 4:
        // fcmp: c1 = sf, c2 = relation (eq/lt/le/unord) | unc << 7; p1 = r1, p2 = r4
        let rel: [CmpRel] = [.eq, .lt, .le, .unord]
        let r = rel[Int(fld(x, 33, 1) << 1 | fld(x, 36, 1))]
        return Instruction(.fcmp, qp: qp, r1: p1Of(x), r2: f2, r3: f3, r4: p2Of(x), c1: sf,
                           c2: r.rawValue | u8(fld(x, 12, 1)) << 7)
    case 5:
        // fclass.m: c2 = unc, imm = fclass9 (fclass7c:fc2)
        return Instruction(.fclass, qp: qp, r1: p1Of(x), r2: f2, r4: p2Of(x), c2: u8(fld(x, 12, 1)),
                           imm: Int64(fld(x, 20, 7) << 2 | fld(x, 33, 2)))
    case 8, 9, 0xa, 0xb, 0xc, 0xd:
        // F1: fma/fms/fnma (x=0 single-or-none precision by opcode, x=1 .s) and parallel forms
        let xb = fld(x, 36, 1)
        let family = (major - 8) / 2, odd = major & 1 == 1
        let op: Op
        var pc: UInt8 = 0
        if !odd { op = [Op.fma, .fms, .fnma][Int(family)]; pc = xb == 1 ? 1 : 0 }
        else if xb == 0 { op = [Op.fma, .fms, .fnma][Int(family)]; pc = 2 }
        else { op = [Op.fpma, .fpms, .fpnma][Int(family)] }
        return Instruction(op, qp: qp, r1: f1, r2: f2, r3: f3, r4: f4, c1: sf, c2: pc)
    case 0xe:
        if fld(x, 36, 1) == 0 { return Instruction(.fselect, qp: qp, r1: f1, r2: f2, r3: f3, r4: f4) }
        switch fld(x, 34, 2) {
        case 0: return Instruction(.xmaL, qp: qp, r1: f1, r2: f2, r3: f3, r4: f4)
        case 3: return Instruction(.xmaH, qp: qp, r1: f1, r2: f2, r3: f3, r4: f4)
        case 2: return Instruction(.xmaHu, qp: qp, r1: f1, r2: f2, r3: f3, r4: f4)
        default: return .illegal
        }
    default:
        return .illegal
    }
}

// MARK: - B unit

/// Branch hint encoding: c1 = whether (0 sptk, 1 spnt, 2 dptk, 3 dpnt),
/// c2 = bit0 .many (p), bit1 .clr (d).
@inline(__always) func brHints(_ x: UInt64) -> UInt8 { u8(fld(x, 12, 1) | fld(x, 35, 1) << 1) }

func decodeB(_ x: UInt64) -> Instruction {
    let qp = qpOf(x)
    let b1 = u8(fld(x, 6, 3)), b2 = u8(fld(x, 13, 3))
    switch fld(x, 37, 4) {
    case 0:
        switch fld(x, 27, 6) {
        case 0x00: return Instruction(.breakB, qp: qp, imm: immU21(x))
        case 0x02: return Instruction(.cover, qp: qp)
        case 0x04: return Instruction(.clrrrb, qp: qp)
        case 0x05: return Instruction(.clrrrbPr, qp: qp)
        case 0x08: return Instruction(.rfi, qp: qp)
        case 0x0c: return Instruction(.bsw0, qp: qp)
        case 0x0d: return Instruction(.bsw1, qp: qp)
        case 0x10: return Instruction(.epc, qp: qp)
        case 0x18: return Instruction(.vmsw0, qp: qp)
        case 0x19: return Instruction(.vmsw1, qp: qp)
        case 0x20:
            switch fld(x, 6, 3) {
            case 0: return Instruction(.brCond, qp: qp, r2: b2, c1: u8(fld(x, 33, 2)), c2: brHints(x))
            case 1: return Instruction(.brIa, qp: qp, r2: b2, c1: u8(fld(x, 33, 2)), c2: brHints(x))
            default: return .illegal
            }
        case 0x21:
            if fld(x, 6, 3) != 4 { return .illegal }
            return Instruction(.brRet, qp: qp, r2: b2, c1: u8(fld(x, 33, 2)), c2: brHints(x))
        default: return .illegal
        }
    case 1:
        let wh = fld(x, 32, 3)
        if wh & 1 == 0 { return .illegal }
        return Instruction(.brCall, qp: qp, r1: b1, r2: b2, c1: u8(wh >> 1), c2: brHints(x))
    case 2:
        switch fld(x, 27, 6) {
        case 0x00: return Instruction(.nopB, qp: qp, imm: immU21(x))
        case 0x01: return Instruction(.hintB, qp: qp, imm: immU21(x))
        case 0x10, 0x11:
            let wh = fld(x, 3, 2)
            if wh & 1 != 0 { return .illegal }
            // brp b2, tag: c1 = wh, c2 = .imp; imm = tag displacement
            return Instruction(fld(x, 27, 6) == 0x10 ? .brp : .brpRet, qp: qp, r2: b2, c1: u8(wh), c2: u8(fld(x, 35, 1)),
                               imm: sext(fld(x, 33, 2) << 7 | fld(x, 6, 7), 9) << 4)
        default: return .illegal
        }
    case 4:
        let ops: [Op?] = [.brCondRel, nil, .brWexit, .brWtop, nil, .brCloop, .brCexit, .brCtop]
        guard let op = ops[Int(fld(x, 6, 3))] else { return .illegal }
        return Instruction(op, qp: qp, c1: u8(fld(x, 33, 2)), c2: brHints(x), imm: target25b(x))
    case 5:
        return Instruction(.brCallRel, qp: qp, r1: b1, c1: u8(fld(x, 33, 2)), c2: brHints(x), imm: target25b(x))
    case 7:
        // brp target, tag: c1 = wh (sptk/loop/dptk/exit), c2 = .imp, r4 = unused;
        // imm = target displacement, tag displacement kept in r2/r3 (timm7a, t2e).
        return Instruction(.brpRel, qp: qp, r2: u8(fld(x, 6, 7)), r3: u8(fld(x, 33, 2)), c1: u8(fld(x, 3, 2)),
                           c2: u8(fld(x, 35, 1)), imm: target25b(x))
    default:
        return .illegal
    }
}

// MARK: - L+X

func decodeX(_ x: UInt64, _ l: UInt64) -> Instruction {
    let qp = qpOf(x)
    switch fld(x, 37, 4) {
    case 0:
        guard fld(x, 33, 3) == 0 else { return .illegal }
        let imm62 = Int64(bitPattern: (l << 21) | fld(x, 36, 1) << 20 | fld(x, 6, 20))
        switch fld(x, 27, 6) {
        case 0: return Instruction(.breakX, qp: qp, imm: imm62)
        case 1: return Instruction(fld(x, 26, 1) == 0 ? .nopX : .hintX, qp: qp, imm: imm62)
        default: return .illegal
        }
    case 6:
        guard fld(x, 20, 1) == 0 else { return .illegal }
        let v = fld(x, 13, 7) | fld(x, 27, 9) << 7 | fld(x, 22, 5) << 16 | fld(x, 21, 1) << 21 | l << 22 | fld(x, 36, 1) << 63
        return Instruction(.movl, qp: qp, r1: r1Of(x), imm: Int64(bitPattern: v))
    case 0xc, 0xd:
        // brl: 60-bit displacement i:imm39:imm20b (imm39 = L[40:2]), scaled by 16.
        let v = (fld(x, 13, 20) | fld(x, 36, 1) << 59 | (l >> 2) << 20) << 4
        let isCall = fld(x, 37, 4) == 0xd
        if !isCall && fld(x, 6, 3) != 0 { return .illegal }
        return Instruction(isCall ? .brlCall : .brl, qp: qp, r1: isCall ? u8(fld(x, 6, 3)) : 0,
                           c1: u8(fld(x, 33, 2)), c2: brHints(x), imm: Int64(bitPattern: v))
    default:
        return .illegal
    }
}
