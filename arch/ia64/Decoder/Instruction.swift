/// Decoded IA-64 instructions.
///
/// `Instruction` is a compact (24-byte) value describing one slot's
/// instruction with its *hardware* meaning: operands are the raw register
/// fields of the encoding and immediates are already assembled and
/// sign-extended. Assembler pseudo-ops (`fmpy`, `shl`, `mov`, ...) are not
/// represented here; they are chosen by the disassembler when printing.
///
/// Operand convention (the field names follow the Intel SDM encodings):
///
/// * `r1` - the field in bits 12:6 (destination r1 / f1 / p1 / b1 (8:6)).
/// * `r2` - the field in bits 19:13 (r2 / f2 / b2 (15:13)).
/// * `r3` - the field in bits 26:20 (r3 / f3 / ar3 / cr3).
/// * `r4` - the field in bits 33:27 (f4) or p2 (32:27) for compares.
/// * `imm` - the instruction's immediate, sign-extended; for IP-relative
///   branches and checks it is the byte displacement from the bundle address.
/// * `c1`, `c2` - completers, interpreted per opcode (see `Op`).
public struct Instruction: Sendable, Equatable {
    public var op: Op
    public var qp: UInt8
    public var r1: UInt8
    public var r2: UInt8
    public var r3: UInt8
    public var r4: UInt8
    public var c1: UInt8
    public var c2: UInt8
    public var imm: Int64

    @inlinable public init(_ op: Op, qp: UInt8 = 0, r1: UInt8 = 0, r2: UInt8 = 0, r3: UInt8 = 0,
                           r4: UInt8 = 0, c1: UInt8 = 0, c2: UInt8 = 0, imm: Int64 = 0) {
        self.op = op; self.qp = qp; self.r1 = r1; self.r2 = r2; self.r3 = r3; self.r4 = r4
        self.c1 = c1; self.c2 = c2; self.imm = imm
    }

    public static let illegal = Instruction(.illegal)
}

/// Compare relations (`c1` of `cmp`, `cmp4`, `fcmp`; `tbit`/`tnat`/`tf` use z/nz).
public enum CmpRel: UInt8, Sendable {
    case eq, ne, lt, le, gt, ge, ltu, leu, gtu, geu, unord, z, nz
    public var name: String {
        ["eq", "ne", "lt", "le", "gt", "ge", "ltu", "leu", "gtu", "geu", "unord", "z", "nz"][Int(rawValue)]
    }
}

/// Compare types (`c2` of the compare family): how p1/p2 are written.
public enum CmpType: UInt8, Sendable {
    case normal, unc, and, or, orAndcm
    public var suffix: String { ["", ".unc", ".and", ".or", ".or.andcm"][Int(rawValue)] }
}

/// Load/store flavours (`c1` of the memory ops); the value is the SDM `x6`
/// bits 5:2 (ld) meaning: 0 none, 1 .s, 2 .a, 3 .sa, 4 .bias, 5 .acq,
/// 6 .fill, 8 .c.clr, 9 .c.nc, 10 .c.clr.acq; stores: 0 none, 1 .rel, 2 .spill.
public enum MemKind: UInt8, Sendable {
    case none = 0, s, a, sa, bias, acq, fill, c_clr = 8, c_nc, c_clr_acq
}

/// Every instruction form the decoder knows. The raw value is a unique
/// descriptive name (the base mnemonic where that is unambiguous; text
/// rendering lives in `instructionText`); completers live in `Instruction.c1`/`c2`:
///
/// * ALU/multimedia ops: `c1` = saturation/variant where the name lists one.
/// * Memory ops (`ld*`, `st*`, `ldf*`, `stf*`, `ldfp*`, `lfetch*`, `cmpxchg`,
///   `xchg`, `fetchadd`, `getf`, `setf`): `c1` = the SDM `x6` opcode extension
///   (it encodes size and flavour, e.g. ld: size = 1 << (x6 & 3), flavour =
///   x6 >> 2, see `MemKind`), `c2` = locality hint (0 none, 1 .nt1, 2 .nt2,
///   3 .nta). The `Reg`/`Imm` suffix on the case says whether the base
///   register `r3` is post-incremented by `r2` or by `imm`.
/// * Floating point arithmetic: `c1` = status field (0..3 -> .s0-.s3),
///   `c2` = precision (0 none, 1 .s, 2 .d).
/// * Branches: `c1` = whether hint (0 sptk, 1 spnt, 2 dptk, 3 dpnt), `c2` bit0 = .many, bit1 = .clr.
public enum Op: String, Sendable {
    case illegal = "illegal"
    // ---- A unit ----
    case add, addp4, and, andcm, or, xor, sub
    case addPlus1 = "add+1", subMinus1 = "sub-1"
    case shladd, shladdp4
    case subImm = "sub.imm", andImm = "and.imm", andcmImm = "andcm.imm", orImm = "or.imm", xorImm = "xor.imm"
    case adds, addp4Imm = "addp4.imm", addl
    case cmp, cmp4, cmpImm = "cmp.imm", cmp4Imm = "cmp4.imm"
    case padd1, padd2, padd4, psub1, psub2, psub4
    case pavg1, pavg2, pavgsub1, pavgsub2
    case pcmp1, pcmp2, pcmp4
    case pshladd2, pshradd2
    // ---- I unit ----
    case breakI = "break.i", nopI = "nop.i", hintI = "hint.i"
    case chkSI = "chk.s.i"
    case movToBr = "mov.tobr", movFromBr = "mov.frombr"
    case movToPr = "mov.topr", movToPrRot = "mov.toprrot", movFromPr = "mov.frompr", movFromIp = "mov.fromip"
    case movToArI = "mov.i.toar", movToArImmI = "mov.i.toarimm", movFromArI = "mov.i.fromar"
    case zxt1, zxt2, zxt4, sxt1, sxt2, sxt4
    case czx1L = "czx1.l", czx2L = "czx2.l", czx1R = "czx1.r", czx2R = "czx2.r"
    case dep, depImm = "dep.imm", depZ = "dep.z", depZImm = "dep.z.imm"
    case extr, extrU = "extr.u", shrp
    case tbit, tnat, tf
    case pmpyshr2, pmpyshr2U = "pmpyshr2.u", pmpy2R = "pmpy2.r", pmpy2L = "pmpy2.l"
    case mix1R = "mix1.r", mix2R = "mix2.r", mix4R = "mix4.r", mix1L = "mix1.l", mix2L = "mix2.l", mix4L = "mix4.l"
    case pack2Uss = "pack2.uss", pack2Sss = "pack2.sss", pack4Sss = "pack4.sss"
    case unpack1H = "unpack1.h", unpack2H = "unpack2.h", unpack4H = "unpack4.h"
    case unpack1L = "unpack1.l", unpack2L = "unpack2.l", unpack4L = "unpack4.l"
    case pmin1U = "pmin1.u", pmax1U = "pmax1.u", pmin2, pmax2, psad1
    case mux1, mux2
    case pshr2, pshr4, shr, pshr2U = "pshr2.u", pshr4U = "pshr4.u", shrU = "shr.u"
    case pshr2Imm = "pshr2.imm", pshr4Imm = "pshr4.imm", pshr2UImm = "pshr2.u.imm", pshr4UImm = "pshr4.u.imm"
    case pshl2, pshl4, shl, pshl2Imm = "pshl2.imm", pshl4Imm = "pshl4.imm"
    case mpy4, mpyshl4, popcnt, clz
    // ---- M unit ----
    case breakM = "break.m", nopM = "nop.m", hintM = "hint.m"
    case sum, rum, ssm, rsm
    case loadrs, flushrs, invala, invalaER = "invala.e.r", invalaEF = "invala.e.f", fwb, mf, mfA = "mf.a"
    case srlzD = "srlz.d", srlzI = "srlz.i", syncI = "sync.i"
    case movToArImmM = "mov.m.toarimm", movToArM = "mov.m.toar", movFromArM = "mov.m.fromar"
    case movToCr = "mov.tocr", movFromCr = "mov.fromcr"
    case movToPsrL = "mov.topsrl", movToPsrUm = "mov.topsrum", movFromPsr = "mov.frompsr", movFromPsrUm = "mov.frompsrum"
    case chkANcR = "chk.a.nc.r", chkAClrR = "chk.a.clr.r", chkANcF = "chk.a.nc.f", chkAClrF = "chk.a.clr.f"
    case chkSM = "chk.s.m", chkSF = "chk.s.f"
    case alloc
    case probeR = "probe.r", probeW = "probe.w", probeRImm = "probe.r.imm", probeWImm = "probe.w.imm"
    case probeRwFault = "probe.rw.fault", probeRFault = "probe.r.fault", probeWFault = "probe.w.fault"
    case itcD = "itc.d", itcI = "itc.i", itrD = "itr.d", itrI = "itr.i"
    case movToInd = "mov.toind", movFromInd = "mov.fromind"     // c1 = register file (IndirectFile)
    case ptcL = "ptc.l", ptcG = "ptc.g", ptcGa = "ptc.ga", ptrD = "ptr.d", ptrI = "ptr.i", ptcE = "ptc.e"
    case thash, ttag, tpa, tak, fc, fcI = "fc.i"
    case ld, ldReg = "ld.reg", ldImm = "ld.imm"
    case st, stImm = "st.imm"
    case ld16, st16, cmp8xchg16
    case cmpxchg, xchg, fetchadd
    case getf, setf                                              // c1: 0 sig, 1 exp, 2 s, 3 d
    case ldf, ldfReg = "ldf.reg", ldfImm = "ldf.imm", stf, stfImm = "stf.imm"
    case ldfp, ldfpImm = "ldfp.imm"
    case lfetch, lfetchReg = "lfetch.reg", lfetchImm = "lfetch.imm"
    // ---- F unit ----
    case breakF = "break.f", nopF = "nop.f", hintF = "hint.f"
    case fma, fms, fnma, fpma, fpms, fpnma
    case xmaL = "xma.l", xmaH = "xma.h", xmaHu = "xma.hu"
    case fselect
    case fcmp, fclass
    case frcpa, frsqrta, fprcpa, fprsqrta
    case fmin, fmax, famin, famax, fpmin, fpmax, fpamin, fpamax
    case fpcmp
    case fmergeS = "fmerge.s", fmergeNs = "fmerge.ns", fmergeSe = "fmerge.se"
    case fpmergeS = "fpmerge.s", fpmergeNs = "fpmerge.ns", fpmergeSe = "fpmerge.se"
    case fmixLr = "fmix.lr", fmixR = "fmix.r", fmixL = "fmix.l", fsxtR = "fsxt.r", fsxtL = "fsxt.l"
    case fpack, fswap, fswapNl = "fswap.nl", fswapNr = "fswap.nr"
    case fand, fandcm, `for`, fxor
    case fcvtFx = "fcvt.fx", fcvtFxu = "fcvt.fxu", fcvtFxTrunc = "fcvt.fx.trunc", fcvtFxuTrunc = "fcvt.fxu.trunc"
    case fpcvtFx = "fpcvt.fx", fpcvtFxu = "fpcvt.fxu", fpcvtFxTrunc = "fpcvt.fx.trunc", fpcvtFxuTrunc = "fpcvt.fxu.trunc"
    case fcvtXf = "fcvt.xf"
    case fsetc, fclrf, fchkf
    // ---- B unit ----
    case breakB = "break.b", nopB = "nop.b", hintB = "hint.b"
    case brCond = "br.cond", brIa = "br.ia", brRet = "br.ret"   // indirect (b2)
    case brCondRel = "br.cond.rel", brWexit = "br.wexit", brWtop = "br.wtop"
    case brCloop = "br.cloop", brCexit = "br.cexit", brCtop = "br.ctop"
    case brCall = "br.call", brCallRel = "br.call.rel"
    case brp, brpRet = "brp.ret", brpRel = "brp.rel"
    case cover, clrrrb, clrrrbPr = "clrrrb.pr", rfi, bsw0 = "bsw.0", bsw1 = "bsw.1", epc, vmsw0 = "vmsw.0", vmsw1 = "vmsw.1"
    // ---- L+X ----
    case breakX = "break.x", nopX = "nop.x", hintX = "hint.x"
    case movl, brl = "brl.cond", brlCall = "brl.call"
    /// Marks slot 1 of an MLX bundle: the instruction lives in slot 2.
    case lSlot = "lslot"
}
