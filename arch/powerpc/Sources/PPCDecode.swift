/// The interpreter's pre-decoded form of one PowerPC instruction: 16 bytes, decoded once per
/// guest code page and executed from the cache. `kind` selects the semantics; the register and
/// immediate fields are already extracted (and sign-extended) so execution never looks at the
/// instruction word again.
struct PPCOp {
    var kind: PPCKind
    /// rD/rS/frD (bits 6–10), or BO for branches, or crfD.
    var d: UInt8
    /// rA/frA (bits 11–15), or BI for branches.
    var a: UInt8
    /// rB/frB (bits 16–20), or SH.
    var b: UInt8
    /// frC (bits 21–25), MB, or flags.
    var c: UInt8
    /// The C core's handler for the op (`PPCCore.handler`), 0 if the Swift interpreter runs it.
    var fast: UInt8 = 0
    /// Immediate (SIMM/UIMM/displacement/branch offset), the rotates' mask, or SPR / FXM.
    var imm: Int32
    /// Bit 0: record (Rc, the `.` forms); bit 1: OE (the `o` forms); for branches bit 0 = LK, bit 1 = AA.
    var flags: UInt8
    /// The ops from this one to the end of its basic block (this one included): the block ends
    /// at a branch or at the end of the page. Set per page by `PPCOp.link` (fits the padding).
    var run: UInt16 = 1

    static let illegal = PPCOp(kind: .illegal, d: 0, a: 0, b: 0, c: 0, imm: 0, flags: 0)
    @inline(__always) var record: Bool { flags & 1 != 0 }
    @inline(__always) var overflow: Bool { flags & 2 != 0 }

    /// Whether the op ends a block: it may continue anywhere but at the next instruction, or
    /// it is a synchronisation (isync among them) after which code the block itself stored
    /// must be seen: the loop looks at the decoded-code generation between blocks.
    var endsBlock: Bool {
        switch kind {
        case .b, .bc, .bclr, .bcctr, .sync, .bt, .bf, .bdnz, .bdz, .blr: return true
        default: return false
        }
    }

    /// Sets `run` and the C core's handler for the `count` ops of a decoded page.
    static func link(_ ops: UnsafeMutablePointer<PPCOp>, count: Int) {
        var run: UInt16 = 0
        for i in stride(from: count - 1, through: 0, by: -1) {
            run = ops[i].endsBlock ? 1 : run + 1
            ops[i].run = run
            // The C loop never checks for a page's end: a block cut by it ends with an op
            // the C loop leaves to Swift.
            ops[i].fast = i == count - 1 && !ops[i].endsBlock ? 0 : PPCCore.handler(ops[i])
        }
    }
}

enum PPCKind: UInt8 {
    case illegal
    // integer arithmetic
    case addi, addis, addic, addicRecord, subfic, mulli
    case add, addc, adde, addme, addze, subf, subfc, subfe, subfme, subfze, neg
    case mullw, mulhw, mulhwu, divw, divwu
    // logical, shifts, rotates
    case andi, andis, ori, oris, xori, xoris
    case and, andc, or, orc, xor, nand, nor, eqv, extsb, extsh, cntlzw
    case slw, srw, sraw, srawi, rlwinm, rlwnm, rlwimi
    // compare, CR, SPR
    case cmp, cmpi, cmpl, cmpli
    case crand, cror, crxor, crnand, crnor, creqv, crandc, crorc, mcrf, mcrxr
    case mfcr, mtcrf, mfspr, mtspr, mftb, isel
    // loads and stores (update forms set flags bit 2)
    case lbz, lhz, lha, lwz, stb, sth, stw
    case lbzx, lhzx, lhax, lwzx, stbx, sthx, stwx
    case lhbrx, lwbrx, sthbrx, stwbrx, lmw, stmw, lswi, lswx, stswi, stswx, lwarx, stwcx
    case dcbz, cacheHint, sync
    // branches and system
    case b, bc, bclr, bcctr, sc, tw, twi
    // Specialised forms the decoder picks for the most common encodings (same semantics as
    // the general op they come from, less work per execution): li/lis (addi/addis from r0),
    // mr (or rA,rS,rS), and the conditional branches without link by BO: bt/bf (branch if the
    // CR bit is set/clear), bdnz/bdz (decrement CTR, branch if it is nonzero/zero), blr.
    case li, mr, bt, bf, bdnz, bdz, blr
    // floating point
    case lfs, lfd, stfs, stfd, lfsx, lfdx, stfsx, stfdx, stfiwx
    case fadd, fsub, fmul, fdiv, fsqrt, fmadd, fmsub, fnmadd, fnmsub, fsel, fres, frsqrte
    case fabs, fnabs, fneg, fmr, frsp, fctiw, fctiwz, fcfid, fctid, fctidz, fcmpu, fcmpo
    case mffs, mtfsf, mtfsfi, mtfsb0, mtfsb1, mcrfs
}

extension PPCOp {
    /// Bit 2 of `flags` marks the update forms (lwzu, stwux …), bit 3 single-precision FP.
    @inline(__always) var update: Bool { flags & 4 != 0 }
    @inline(__always) var single: Bool { flags & 8 != 0 }
}

/// Decodes one instruction word by its primary and extended opcodes (PowerPC 32-bit user ISA).
enum PPCDecoder {
    @inline(__always) static func field(_ w: UInt32, _ from: Int, _ to: Int) -> UInt32 {
        (w >> UInt32(31 - to)) & ((1 << UInt32(to - from + 1)) - 1)
    }

    static func decode(_ w: UInt32) -> PPCOp {
        let opcd = w >> 26
        let d = UInt8(field(w, 6, 10)), a = UInt8(field(w, 11, 15)), b = UInt8(field(w, 16, 20))
        let simm = Int32(Int16(truncatingIfNeeded: w & 0xffff))
        let uimm = Int32(w & 0xffff)
        let rc = UInt8(w & 1)
        func op(_ k: PPCKind, imm: Int32 = 0, c: UInt8 = 0, flags: UInt8 = 0) -> PPCOp {
            PPCOp(kind: k, d: d, a: a, b: b, c: c, imm: imm, flags: flags)
        }
        switch opcd {
        case 3: return op(.twi, imm: simm)
        case 7: return op(.mulli, imm: simm)
        case 8: return op(.subfic, imm: simm)
        case 10: return op(.cmpli, imm: uimm, flags: UInt8(field(w, 10, 10)))
        case 11: return op(.cmpi, imm: simm, flags: UInt8(field(w, 10, 10)))
        case 12: return op(.addic, imm: simm)
        case 13: return op(.addicRecord, imm: simm)
        case 14: return op(a == 0 ? .li : .addi, imm: simm)
        case 15: return op(a == 0 ? .li : .addis, imm: simm << 16)
        case 16:  // bc: BO in d, BI in a, BD
            let bd = Int32(Int16(truncatingIfNeeded: w & 0xfffc))
            if w & 3 == 0 {  // relative, no link: the common forms (BO's hint bit ignored)
                switch d & 0x1e {
                case 12: return op(.bt, imm: bd)
                case 4: return op(.bf, imm: bd)
                case 16: return op(.bdnz, imm: bd)
                case 18: return op(.bdz, imm: bd)
                default: break
                }
            }
            return op(.bc, imm: bd, flags: UInt8(w & 3))
        case 17: return w & 2 != 0 ? op(.sc) : .illegal
        case 18:
            var li = Int32(bitPattern: w & 0x03ff_fffc)
            if li & 0x0200_0000 != 0 { li |= Int32(bitPattern: 0xfc00_0000) }
            return op(.b, imm: li, flags: UInt8(w & 3))
        case 19: return decode19(w, d, a, b)
        case 20: return op(.rlwimi, imm: rotateMask(w), c: UInt8(field(w, 21, 25)), flags: rc)
        case 21: return op(.rlwinm, imm: rotateMask(w), c: UInt8(field(w, 21, 25)), flags: rc)
        case 23: return op(.rlwnm, imm: rotateMask(w), c: UInt8(field(w, 21, 25)), flags: rc)
        case 24: return op(.ori, imm: uimm)
        case 25: return op(.oris, imm: uimm << 16)
        case 26: return op(.xori, imm: uimm)
        case 27: return op(.xoris, imm: uimm << 16)
        case 28: return op(.andi, imm: uimm, flags: 1)
        case 29: return op(.andis, imm: uimm << 16, flags: 1)
        case 31: return decode31(w, d, a, b)
        case 32: return op(.lwz, imm: simm)
        case 33: return op(.lwz, imm: simm, flags: 4)
        case 34: return op(.lbz, imm: simm)
        case 35: return op(.lbz, imm: simm, flags: 4)
        case 36: return op(.stw, imm: simm)
        case 37: return op(.stw, imm: simm, flags: 4)
        case 38: return op(.stb, imm: simm)
        case 39: return op(.stb, imm: simm, flags: 4)
        case 40: return op(.lhz, imm: simm)
        case 41: return op(.lhz, imm: simm, flags: 4)
        case 42: return op(.lha, imm: simm)
        case 43: return op(.lha, imm: simm, flags: 4)
        case 44: return op(.sth, imm: simm)
        case 45: return op(.sth, imm: simm, flags: 4)
        case 46: return op(.lmw, imm: simm)
        case 47: return op(.stmw, imm: simm)
        case 48: return op(.lfs, imm: simm)
        case 49: return op(.lfs, imm: simm, flags: 4)
        case 50: return op(.lfd, imm: simm)
        case 51: return op(.lfd, imm: simm, flags: 4)
        case 52: return op(.stfs, imm: simm)
        case 53: return op(.stfs, imm: simm, flags: 4)
        case 54: return op(.stfd, imm: simm)
        case 55: return op(.stfd, imm: simm, flags: 4)
        case 59: return decodeFP(w, d, a, b, single: true)
        case 63: return decodeFP(w, d, a, b, single: false)
        default: return .illegal
        }
    }

    /// The mask of a rotate (MB in bits 21–25, ME in 26–30), computed once here: the rotates
    /// carry it in `imm` (and MB in `c`).
    static func rotateMask(_ w: UInt32) -> Int32 {
        let mb = field(w, 21, 25), me = field(w, 26, 30)
        let begin = UInt32.max >> mb
        let end = UInt32.max << (31 - me)
        return Int32(bitPattern: mb <= me ? begin & end : begin | end)
    }

    static func decode19(_ w: UInt32, _ d: UInt8, _ a: UInt8, _ b: UInt8) -> PPCOp {
        let xo = field(w, 21, 30)
        func op(_ k: PPCKind, flags: UInt8 = 0) -> PPCOp { PPCOp(kind: k, d: d, a: a, b: b, c: 0, imm: 0, flags: flags) }
        switch xo {
        case 0: return op(.mcrf)
        case 16: return w & 1 == 0 && d & 0x14 == 0x14 ? op(.blr) : op(.bclr, flags: UInt8(w & 1))
        case 528: return op(.bcctr, flags: UInt8(w & 1))
        case 33: return op(.crnor)
        case 129: return op(.crandc)
        case 193: return op(.crxor)
        case 225: return op(.crnand)
        case 257: return op(.crand)
        case 289: return op(.creqv)
        case 417: return op(.crorc)
        case 449: return op(.cror)
        case 150: return op(.sync)  // isync
        default: return .illegal
        }
    }

    static func decode31(_ w: UInt32, _ d: UInt8, _ a: UInt8, _ b: UInt8) -> PPCOp {
        let xo10 = field(w, 21, 30), xo9 = field(w, 22, 30)
        let rc = UInt8(w & 1), oe = UInt8(field(w, 21, 21)) << 1
        func op(_ k: PPCKind, imm: Int32 = 0, c: UInt8 = 0, flags: UInt8 = 0) -> PPCOp {
            PPCOp(kind: k, d: d, a: a, b: b, c: c, imm: imm, flags: flags)
        }
        // XO-form arithmetic (9-bit extended opcode, OE in bit 21).
        switch xo9 {
        case 266: return op(.add, flags: rc | oe)
        case 10: return op(.addc, flags: rc | oe)
        case 138: return op(.adde, flags: rc | oe)
        case 234: return op(.addme, flags: rc | oe)
        case 202: return op(.addze, flags: rc | oe)
        case 40: return op(.subf, flags: rc | oe)
        case 8: return op(.subfc, flags: rc | oe)
        case 136: return op(.subfe, flags: rc | oe)
        case 232: return op(.subfme, flags: rc | oe)
        case 200: return op(.subfze, flags: rc | oe)
        case 104: return op(.neg, flags: rc | oe)
        case 235: return op(.mullw, flags: rc | oe)
        case 75: return op(.mulhw, flags: rc)
        case 11: return op(.mulhwu, flags: rc)
        case 491: return op(.divw, flags: rc | oe)
        case 459: return op(.divwu, flags: rc | oe)
        default: break
        }
        if field(w, 26, 30) == 15 { return op(.isel, c: UInt8(field(w, 21, 25))) }  // isel: BC in bits 21–25
        switch xo10 {
        case 0: return op(.cmp, flags: UInt8(field(w, 10, 10)))
        case 32: return op(.cmpl, flags: UInt8(field(w, 10, 10)))
        case 4: return op(.tw)
        case 28: return op(.and, flags: rc)
        case 60: return op(.andc, flags: rc)
        case 444: return rc == 0 && d == b ? op(.mr) : op(.or, flags: rc)
        case 412: return op(.orc, flags: rc)
        case 316: return op(.xor, flags: rc)
        case 476: return op(.nand, flags: rc)
        case 124: return op(.nor, flags: rc)
        case 284: return op(.eqv, flags: rc)
        case 954: return op(.extsb, flags: rc)
        case 922: return op(.extsh, flags: rc)
        case 26: return op(.cntlzw, flags: rc)
        case 24: return op(.slw, flags: rc)
        case 536: return op(.srw, flags: rc)
        case 792: return op(.sraw, flags: rc)
        case 824: return op(.srawi, flags: rc)
        case 19: return op(.mfcr)
        case 144: return op(.mtcrf, imm: Int32(field(w, 12, 19)))
        case 339: return op(.mfspr, imm: Int32(field(w, 16, 20) << 5 | field(w, 11, 15)))
        case 467: return op(.mtspr, imm: Int32(field(w, 16, 20) << 5 | field(w, 11, 15)))
        case 371: return op(.mftb, imm: Int32(field(w, 16, 20) << 5 | field(w, 11, 15)))
        case 512: return op(.mcrxr)
        case 23: return op(.lwzx)
        case 55: return op(.lwzx, flags: 4)
        case 87: return op(.lbzx)
        case 119: return op(.lbzx, flags: 4)
        case 279: return op(.lhzx)
        case 311: return op(.lhzx, flags: 4)
        case 343: return op(.lhax)
        case 375: return op(.lhax, flags: 4)
        case 151: return op(.stwx)
        case 183: return op(.stwx, flags: 4)
        case 215: return op(.stbx)
        case 247: return op(.stbx, flags: 4)
        case 407: return op(.sthx)
        case 439: return op(.sthx, flags: 4)
        case 790: return op(.lhbrx)
        case 534: return op(.lwbrx)
        case 918: return op(.sthbrx)
        case 662: return op(.stwbrx)
        case 597: return op(.lswi)
        case 533: return op(.lswx)
        case 725: return op(.stswi)
        case 661: return op(.stswx)
        case 20: return op(.lwarx)
        case 150: return w & 1 == 1 ? op(.stwcx) : .illegal
        case 1014: return op(.dcbz)
        case 54, 86, 246, 278, 470, 982: return op(.cacheHint)  // dcbst, dcbf, dcbtst, dcbt, dcbi, icbi
        case 598, 854: return op(.sync)  // sync, eieio
        case 535: return op(.lfsx)
        case 567: return op(.lfsx, flags: 4)
        case 599: return op(.lfdx)
        case 631: return op(.lfdx, flags: 4)
        case 663: return op(.stfsx)
        case 695: return op(.stfsx, flags: 4)
        case 727: return op(.stfdx)
        case 759: return op(.stfdx, flags: 4)
        case 983: return op(.stfiwx)
        default: return .illegal
        }
    }

    static func decodeFP(_ w: UInt32, _ d: UInt8, _ a: UInt8, _ b: UInt8, single: Bool) -> PPCOp {
        let c = UInt8(field(w, 21, 25)), rc = UInt8(w & 1)
        let s: UInt8 = single ? 8 : 0
        func op(_ k: PPCKind, imm: Int32 = 0, flags: UInt8 = 0) -> PPCOp {
            PPCOp(kind: k, d: d, a: a, b: b, c: c, imm: imm, flags: flags | rc | s)
        }
        switch field(w, 26, 30) {
        case 18: return op(.fdiv)
        case 20: return op(.fsub)
        case 21: return op(.fadd)
        case 22: return op(.fsqrt)
        case 23: return single ? .illegal : op(.fsel)
        case 24: return op(.fres)
        case 25: return op(.fmul)
        case 26: return single ? .illegal : op(.frsqrte)
        case 28: return op(.fmsub)
        case 29: return op(.fmadd)
        case 30: return op(.fnmsub)
        case 31: return op(.fnmadd)
        default: break
        }
        if single { return .illegal }
        switch field(w, 21, 30) {
        case 0: return op(.fcmpu)
        case 32: return op(.fcmpo)
        case 12: return op(.frsp)
        case 14: return op(.fctiw)
        case 15: return op(.fctiwz)
        case 814: return op(.fctid)
        case 815: return op(.fctidz)
        case 846: return op(.fcfid)
        case 40: return op(.fneg)
        case 72: return op(.fmr)
        case 136: return op(.fnabs)
        case 264: return op(.fabs)
        case 583: return op(.mffs)
        case 711: return op(.mtfsf, imm: Int32(field(w, 7, 14)))
        case 134: return op(.mtfsfi, imm: Int32(field(w, 16, 19)))
        case 38: return op(.mtfsb1)
        case 70: return op(.mtfsb0)
        case 64: return op(.mcrfs)
        default: return .illegal
        }
    }
}
