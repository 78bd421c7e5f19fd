/// objdump-compatible text rendering.
///
/// `disassemble(bundle:address:)` reproduces GNU objdump's IA-64 output
/// (binutils 2.40, `-d --no-show-raw-insn`): one line per slot (two for
/// MLX bundles), each `[TPL] ` or six spaces, then the predicate column
/// `(pNN) ` or six spaces, then the instruction, with `;;` appended where a
/// stop follows. Undecodable slots print as `data8 0x...` with no stop.
///
/// Where the assembler offers a pseudo-op that objdump prefers (it picks the
/// most specific matching opcode-table entry), the same choice is made here:
/// `mov r1=r3` for `adds r1=0,r3`, `shl`/`shr`/`shr.u` for `dep.z`/`extr`
/// whose length is 64-pos, `fmpy`/`fadd`/`fsub`/`fnorm`/`fnmpy`/`xmpy` for
/// multiply-add forms using f0/f1, `mov`/`fabs`/`fneg`/`fnegabs` for
/// `fmerge`, and so on. Branch/check targets are printed as absolute
/// addresses (`0x...`), as objdump does when no symbol covers them.

// MARK: - Name tables

/// Application register names objdump knows (others print as `arN`).
let arNames: [Int: String] = [
    0: "ar.k0", 1: "ar.k1", 2: "ar.k2", 3: "ar.k3", 4: "ar.k4", 5: "ar.k5", 6: "ar.k6", 7: "ar.k7",
    16: "ar.rsc", 17: "ar.bsp", 18: "ar.bspstore", 19: "ar.rnat", 21: "ar.fcr", 24: "ar.eflag",
    25: "ar.csd", 26: "ar.ssd", 27: "ar.cflg", 28: "ar.fsr", 29: "ar.fir", 30: "ar.fdr", 32: "ar.ccv",
    36: "ar.unat", 40: "ar.fpsr", 44: "ar.itc", 45: "ar.ruc", 64: "ar.pfs", 65: "ar.lc", 66: "ar.ec",
]

/// Control register names objdump knows (others print as `crN`).
let crNames: [Int: String] = [
    0: "cr.dcr", 1: "cr.itm", 2: "cr.iva", 8: "cr.pta", 16: "cr.ipsr", 17: "cr.isr", 19: "cr.iip",
    20: "cr.ifa", 21: "cr.itir", 22: "cr.iipa", 23: "cr.ifs", 24: "cr.iim", 25: "cr.iha", 26: "cr.iib0",
    27: "cr.iib1", 64: "cr.lid", 65: "cr.ivr", 66: "cr.tpr", 67: "cr.eoi", 68: "cr.irr0", 69: "cr.irr1",
    70: "cr.irr2", 71: "cr.irr3", 72: "cr.itv", 73: "cr.pmv", 74: "cr.cmcv", 80: "cr.lrr0", 81: "cr.lrr1",
]

public func arName(_ n: UInt8) -> String { arNames[Int(n)] ?? "ar\(n)" }
public func crName(_ n: UInt8) -> String { crNames[Int(n)] ?? "cr\(n)" }

let branchWhether = ["sptk", "spnt", "dptk", "dpnt"]
let loadHints = ["", ".nt1", ".d2", ".nta", ".d4", ".d5", ".d6", ".d7"]
let storeHints = ["", ".d1", ".d2", ".nta", ".d4", ".d5", ".d6", ".d7"]
let lfetchHints = ["", ".nt1", ".nt2", ".nta", ".d4", ".d5", ".d6", ".d7"]
/// Integer load flavours, indexed by x6 >> 2.
let ldKinds = ["", ".s", ".a", ".sa", ".bias", ".acq", ".fill", "?", ".c.clr", ".c.nc", ".c.clr.acq"]
/// Floating-point load/store size letters, indexed by x6 & 3.
let fpSizes = ["e", "8", "s", "d"]
let fpcmpRels = ["eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord"]
let getfKinds = ["sig", "exp", "s", "d"]

// MARK: - Number formatting

@inline(__always) func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
@inline(__always) func hex(_ v: Int64) -> String { hex(UInt64(bitPattern: v)) }
@inline(__always) func target(_ addr: UInt64, _ disp: Int64) -> String { hex(addr &+ UInt64(bitPattern: disp)) }

/// objdump's `data8 %#011llx` rendering of an undecodable slot.
func data8(_ v: UInt64) -> String {
    if v == 0 { return "data8 00000000000" }
    let h = String(v, radix: 16)
    return "data8 0x" + String(repeating: "0", count: max(0, 9 - h.count)) + h
}

// MARK: - Instruction text

/// Whether objdump omits the predicate column for this opcode.
func noPredicate(_ op: Op) -> Bool {
    switch op {
    case .cover, .clrrrb, .clrrrbPr, .rfi, .bsw0, .bsw1, .epc, .flushrs, .loadrs, .alloc,
         .brp, .brpRet, .brpRel, .vmsw0, .vmsw1, .brCloop, .brCexit, .brCtop: return true
    default: return false
    }
}

/// The objdump text of one decoded instruction (mnemonic and operands,
/// without predicate or stop), or `nil` if objdump would print `data8`.
/// `address` is the address of the containing bundle.
public func instructionText(_ i: Instruction, address: UInt64) -> String? {
    let r1 = "r\(i.r1)", r2 = "r\(i.r2)", r3 = "r\(i.r3)"
    let f1 = "f\(i.r1)", f2 = "f\(i.r2)", f3 = "f\(i.r3)", f4 = "f\(i.r4)"
    let p1 = "p\(i.r1)", p2 = "p\(i.r4)"
    let sf = ".s\(i.c1)"
    switch i.op {
    case .illegal, .lSlot: return nil
    // ---- A ----
    case .add, .addp4, .and, .andcm, .or, .xor, .sub: return "\(i.op.rawValue) \(r1)=\(r2),\(r3)"
    case .addPlus1: return "add \(r1)=\(r2),\(r3),1"
    case .subMinus1: return "sub \(r1)=\(r2),\(r3),1"
    case .shladd, .shladdp4, .pshladd2, .pshradd2: return "\(i.op.rawValue) \(r1)=\(r2),\(i.imm),\(r3)"
    case .subImm, .andImm, .andcmImm, .orImm, .xorImm:
        return "\(i.op.rawValue.dropLast(4)) \(r1)=\(i.imm),\(r3)"
    case .adds: return i.imm == 0 ? "mov \(r1)=\(r3)" : "adds \(r1)=\(i.imm),\(r3)"
    case .addp4Imm: return "addp4 \(r1)=\(i.imm),\(r3)"
    case .addl: return i.r3 == 0 ? "mov \(r1)=\(i.imm)" : "addl \(r1)=\(i.imm),\(r3)"
    case .cmp, .cmp4, .cmpImm, .cmp4Imm:
        let base = (i.op == .cmp || i.op == .cmpImm) ? "cmp" : "cmp4"
        let name = "\(base).\(CmpRel(rawValue: i.c1)!.name)\(CmpType(rawValue: i.c2)!.suffix)"
        let src = (i.op == .cmp || i.op == .cmp4) ? r2 : "\(i.imm)"
        return "\(name) \(p1),\(p2)=\(src),\(r3)"
    case .padd1, .padd2, .padd4, .psub1, .psub2, .psub4:
        return "\(i.op.rawValue)\(["", ".sss", ".uuu", ".uus"][Int(i.c1)]) \(r1)=\(r2),\(r3)"
    case .pavg1, .pavg2: return "\(i.op.rawValue)\(i.c1 == 1 ? ".raz" : "") \(r1)=\(r2),\(r3)"
    case .pavgsub1, .pavgsub2: return "\(i.op.rawValue) \(r1)=\(r2),\(r3)"
    case .pcmp1, .pcmp2, .pcmp4: return "\(i.op.rawValue)\(i.c1 == 1 ? ".gt" : ".eq") \(r1)=\(r2),\(r3)"
    // ---- I ----
    case .breakI, .nopI, .hintI, .breakB, .nopB, .hintB, .breakF, .nopF, .hintF, .breakM, .nopM,
         .breakX, .nopX, .hintX:
        return "\(i.op.rawValue) \(hex(i.imm))"
    case .hintM: return "hint.m \(i.imm)"
    case .chkSI, .chkSM: return "\(i.op == .chkSI ? "chk.s.i" : "chk.s.m") \(r2),\(target(address, i.imm))"
    case .chkSF: return "chk.s \(f2),\(target(address, i.imm))"
    case .movToBr:
        let ret = i.c2 & 1 != 0, imp = i.c2 & 2 != 0
        if i.c1 == 1 && !ret && !imp { return "mov b\(i.r1)=\(r2)" }
        let wh = ["sptk", "", "dptk"][Int(i.c1)]
        return "mov\(ret ? ".ret" : "")\(wh.isEmpty ? "" : "." + wh)\(imp ? ".imp" : "") b\(i.r1)=\(r2),\(target(address, i.imm))"
    case .movFromBr: return "mov \(r1)=b\(i.r2)"
    case .movToPr: return "mov pr=\(r2),\(hex(i.imm))"
    case .movToPrRot: return "mov pr.rot=\(hex(i.imm))"
    case .movFromPr: return "mov \(r1)=pr"
    case .movFromIp: return "mov \(r1)=ip"
    case .movToArI: return "mov.i \(arName(i.r3))=\(r2)"
    case .movToArImmI: return "mov.i \(arName(i.r3))=\(i.imm)"
    case .movFromArI: return "mov.i \(r1)=\(arName(i.r3))"
    case .zxt1, .zxt2, .zxt4, .sxt1, .sxt2, .sxt4, .czx1L, .czx2L, .czx1R, .czx2R, .popcnt, .clz,
         .thash, .ttag, .tpa, .tak:
        return "\(i.op.rawValue) \(r1)=\(r3)"
    case .dep: return "dep \(r1)=\(r2),\(r3),\(i.c1),\(i.c2)"
    case .depImm: return "dep \(r1)=\(i.imm),\(r3),\(i.c1),\(i.c2)"
    case .depZ:
        if Int(i.c2) == 64 - Int(i.c1) { return "shl \(r1)=\(r2),\(i.c1)" }
        return "dep.z \(r1)=\(r2),\(i.c1),\(i.c2)"
    case .depZImm: return "dep.z \(r1)=\(i.imm),\(i.c1),\(i.c2)"
    case .extr, .extrU:
        if Int(i.c2) == 64 - Int(i.c1) { return "\(i.op == .extr ? "shr" : "shr.u") \(r1)=\(r3),\(i.c1)" }
        return "\(i.op.rawValue) \(r1)=\(r3),\(i.c1),\(i.c2)"
    case .shrp: return "shrp \(r1)=\(r2),\(r3),\(i.c1)"
    case .tbit, .tnat, .tf:
        let name = "\(i.op.rawValue).\(CmpRel(rawValue: i.c1)!.name)\(CmpType(rawValue: i.c2)!.suffix)"
        switch i.op {
        case .tbit: return "\(name) \(p1),\(p2)=\(r3),\(i.imm)"
        case .tnat: return "\(name) \(p1),\(p2)=\(r3)"
        default: return "\(name) \(p1),\(p2)=\(i.imm)"
        }
    case .pmpyshr2, .pmpyshr2U: return "\(i.op.rawValue) \(r1)=\(r2),\(r3),\(i.imm)"
    case .mux1:
        let names: [UInt8: String] = [0: "@brcst", 8: "@mix", 9: "@shuf", 0xa: "@alt", 0xb: "@rev"]
        return "mux1 \(r1)=\(r2),\(names[i.c1] ?? hex(UInt64(i.c1)))"
    case .mux2: return "mux2 \(r1)=\(r2),\(hex(UInt64(i.c1)))"
    case .pshr2, .pshr4, .shr, .pshr2U, .pshr4U, .shrU: return "\(i.op.rawValue) \(r1)=\(r3),\(r2)"
    case .pshr2Imm, .pshr4Imm, .pshr2UImm, .pshr4UImm:
        return "\(i.op.rawValue.dropLast(4)) \(r1)=\(r3),\(i.c1)"
    case .pshl2Imm, .pshl4Imm: return "\(i.op.rawValue.dropLast(4)) \(r1)=\(r2),\(i.c1)"
    case .pmpy2R, .pmpy2L, .mix1R, .mix2R, .mix4R, .mix1L, .mix2L, .mix4L, .pack2Uss, .pack2Sss, .pack4Sss,
         .unpack1H, .unpack2H, .unpack4H, .unpack1L, .unpack2L, .unpack4L, .pmin1U, .pmax1U, .pmin2, .pmax2,
         .psad1, .pshl2, .pshl4, .shl, .mpy4, .mpyshl4:
        return "\(i.op.rawValue) \(r1)=\(r2),\(r3)"
    // ---- M ----
    case .sum, .rum, .ssm, .rsm: return "\(i.op.rawValue) \(hex(i.imm))"
    case .loadrs, .flushrs, .invala, .fwb, .mf, .mfA, .srlzD, .srlzI, .syncI, .cover, .clrrrb, .clrrrbPr,
         .rfi, .bsw0, .bsw1, .epc, .vmsw0, .vmsw1:
        return i.op.rawValue
    case .invalaER: return "invala.e \(r1)"
    case .invalaEF: return "invala.e \(f1)"
    case .movToArImmM: return "mov.m \(arName(i.r3))=\(i.imm)"
    case .movToArM: return "mov.m \(arName(i.r3))=\(r2)"
    case .movFromArM: return "mov.m \(r1)=\(arName(i.r3))"
    case .movToCr: return "mov \(crName(i.r3))=\(r2)"
    case .movFromCr: return "mov \(r1)=\(crName(i.r3))"
    case .movToPsrL: return "mov psr.l=\(r2)"
    case .movToPsrUm: return "mov psr.um=\(r2)"
    case .movFromPsr: return "mov \(r1)=psr"
    case .movFromPsrUm: return "mov \(r1)=psr.um"
    case .chkANcR, .chkAClrR: return "chk.a.\(i.op == .chkANcR ? "nc" : "clr") \(r1),\(target(address, i.imm))"
    case .chkANcF, .chkAClrF: return "chk.a.\(i.op == .chkANcF ? "nc" : "clr") \(f1),\(target(address, i.imm))"
    case .alloc: return "alloc \(r1)=ar.pfs,\(i.r2),\(i.r3),\(Int(i.c1) * 8)"
    case .probeR, .probeW: return "\(i.op.rawValue) \(r1)=\(r3),\(r2)"
    case .probeRImm, .probeWImm: return "\(i.op.rawValue.dropLast(4)) \(r1)=\(r3),\(i.imm)"
    case .probeRwFault, .probeRFault, .probeWFault: return "\(i.op.rawValue) \(r3),\(i.imm)"
    case .itcD, .itcI: return "\(i.op.rawValue) \(r2)"
    case .itrD: return "itr.d dtr[\(r3)]=\(r2)"
    case .itrI: return "itr.i itr[\(r3)]=\(r2)"
    case .movToInd: return "mov \(IndirectFile(rawValue: i.c1)!.name)[\(r3)]=\(r2)"
    case .movFromInd: return "mov \(r1)=\(IndirectFile(rawValue: i.c1)!.name)[\(r3)]"
    case .ptcL, .ptcG, .ptcGa, .ptrD, .ptrI: return "\(i.op.rawValue) \(r3),\(r2)"
    case .ptcE, .fc, .fcI: return "\(i.op.rawValue) \(r3)"
    case .ld, .ldReg, .ldImm:
        let name = "ld\(1 << (i.c1 & 3))\(ldKinds[Int(i.c1 >> 2)])\(loadHints[Int(i.c2)])"
        switch i.op {
        case .ld: return "\(name) \(r1)=[\(r3)]"
        case .ldReg: return "\(name) \(r1)=[\(r3)],\(r2)"
        default: return "\(name) \(r1)=[\(r3)],\(i.imm)"
        }
    case .st, .stImm:
        let kind = i.c1 == 0x3b ? ".spill" : (i.c1 & 4 != 0 ? ".rel" : "")
        let name = "st\(1 << (i.c1 & 3))\(kind)\(storeHints[Int(i.c2)])"
        return i.op == .st ? "\(name) [\(r3)]=\(r2)" : "\(name) [\(r3)]=\(r2),\(i.imm)"
    case .cmpxchg:
        return "cmpxchg\(1 << (i.c1 & 3))\(i.c1 & 4 != 0 ? ".rel" : ".acq")\(loadHints[Int(i.c2)]) \(r1)=[\(r3)],\(r2),ar.ccv"
    case .xchg: return "xchg\(1 << (i.c1 & 3))\(loadHints[Int(i.c2)]) \(r1)=[\(r3)],\(r2)"
    case .fetchadd:
        return "fetchadd\(i.c1 & 1 == 0 ? 4 : 8)\(i.c1 & 4 != 0 ? ".rel" : ".acq")\(loadHints[Int(i.c2)]) \(r1)=[\(r3)],\(i.imm)"
    case .getf: return "getf.\(getfKinds[Int(i.c1)]) \(r1)=\(f2)"
    case .setf: return "setf.\(getfKinds[Int(i.c1)]) \(f1)=\(r2)"
    case .ldf, .ldfReg, .ldfImm:
        let name = i.c1 == 0x1b ? "ldf.fill" : "ldf\(fpSizes[Int(i.c1 & 3)])\(ldKinds[Int(i.c1 >> 2)])"
        let full = name + loadHints[Int(i.c2)]
        switch i.op {
        case .ldf: return "\(full) \(f1)=[\(r3)]"
        case .ldfReg: return "\(full) \(f1)=[\(r3)],\(r2)"
        default: return "\(full) \(f1)=[\(r3)],\(i.imm)"
        }
    case .stf, .stfImm:
        let name = (i.c1 == 0x3b ? "stf.spill" : "stf\(fpSizes[Int(i.c1 & 3)])") + storeHints[Int(i.c2)]
        return i.op == .stf ? "\(name) [\(r3)]=\(f2)" : "\(name) [\(r3)]=\(f2),\(i.imm)"
    case .ldfp, .ldfpImm:
        let name = "ldfp\(fpSizes[Int(i.c1 & 3)])\(ldKinds[Int(i.c1 >> 2)])\(loadHints[Int(i.c2)])"
        return i.op == .ldfp ? "\(name) \(f1),\(f2)=[\(r3)]" : "\(name) \(f1),\(f2)=[\(r3)],\(i.imm)"
    case .lfetch, .lfetchReg, .lfetchImm:
        let kind = ["", ".excl", ".fault", ".fault.excl"][Int(i.c1 - 0x2c)]
        let name = "lfetch\(kind)\(lfetchHints[Int(i.c2)])"
        switch i.op {
        case .lfetch: return "\(name) [\(r3)]"
        case .lfetchReg: return "\(name) [\(r3)],\(r2)"
        default: return "\(name) [\(r3)],\(i.imm)"
        }
    case .ld16: return "ld16\(i.c1 == 0x2c ? ".acq" : "")\(loadHints[Int(i.c2)]) \(r1),ar.csd=[\(r3)]"
    case .st16: return "st16\(i.c1 == 0x34 ? ".rel" : "")\(storeHints[Int(i.c2)]) [\(r3)]=\(r2),ar.csd"
    case .cmp8xchg16:
        return "cmp8xchg16\(i.c1 == 0x24 ? ".rel" : ".acq")\(loadHints[Int(i.c2)]) \(r1)=[\(r3)],\(r2),ar.csd,ar.ccv"
    // ---- F ----
    case .fma, .fms, .fnma, .fpma, .fpms, .fpnma:
        let pc = ["", ".s", ".d"][Int(i.c2)]
        let par = i.op == .fpma || i.op == .fpms || i.op == .fpnma
        let p = par ? "fp" : "f"
        switch i.op {
        case .fma, .fpma:
            if i.r4 == 1 && i.r2 == 0 { return "\(p)norm\(pc)\(sf) \(f1)=\(f3)" }
            if i.r2 == 0 { return "\(p)mpy\(pc)\(sf) \(f1)=\(f3),\(f4)" }
            if i.r4 == 1 { return "\(p)add\(pc)\(sf) \(f1)=\(f3),\(f2)" }
        case .fms:
            if i.r4 == 1 { return "\(p)sub\(pc)\(sf) \(f1)=\(f3),\(f2)" }
        case .fpms: break      // objdump has no fpsub alias
        default:
            if i.r2 == 0 { return "\(p)nmpy\(pc)\(sf) \(f1)=\(f3),\(f4)" }
        }
        return "\(i.op.rawValue)\(pc)\(sf) \(f1)=\(f3),\(f4),\(f2)"
    case .xmaL, .xmaH, .xmaHu:
        if i.r2 == 0 { return "xmpy\(i.op.rawValue.dropFirst(3)) \(f1)=\(f3),\(f4)" }
        return "\(i.op.rawValue) \(f1)=\(f3),\(f4),\(f2)"
    case .fselect: return "fselect \(f1)=\(f3),\(f4),\(f2)"
    case .fcmp:
        let rel = CmpRel(rawValue: i.c2 & 0x7f)!.name
        return "fcmp.\(rel)\(i.c2 & 0x80 != 0 ? ".unc" : "")\(sf) \(p1),\(p2)=\(f2),\(f3)"
    case .fclass: return "fclass.m\(i.c2 != 0 ? ".unc" : "") \(p1),\(p2)=\(f2),\(hex(i.imm))"
    case .frcpa, .fprcpa: return "\(i.op.rawValue)\(sf) \(f1),\(p2)=\(f2),\(f3)"
    case .frsqrta, .fprsqrta: return "\(i.op.rawValue)\(sf) \(f1),\(p2)=\(f3)"
    case .fmin, .fmax, .famin, .famax, .fpmin, .fpmax, .fpamin, .fpamax:
        return "\(i.op.rawValue)\(sf) \(f1)=\(f2),\(f3)"
    case .fpcmp: return "fpcmp.\(fpcmpRels[Int(i.c2)])\(sf) \(f1)=\(f2),\(f3)"
    case .fmergeS, .fpmergeS:
        let p = i.op == .fmergeS ? "f" : "fp"
        if i.r2 == i.r3 && i.op == .fmergeS { return "mov \(f1)=\(f3)" }
        if i.r2 == 0 { return "\(p)abs \(f1)=\(f3)" }
        return "\(i.op.rawValue) \(f1)=\(f2),\(f3)"
    case .fmergeNs, .fpmergeNs:
        let p = i.op == .fmergeNs ? "f" : "fp"
        if i.r2 == i.r3 { return "\(p)neg \(f1)=\(f3)" }
        if i.r2 == 0 { return "\(p)negabs \(f1)=\(f3)" }
        return "\(i.op.rawValue) \(f1)=\(f2),\(f3)"
    case .fmergeSe, .fpmergeSe, .fmixLr, .fmixR, .fmixL, .fsxtR, .fsxtL, .fpack, .fswap, .fswapNl, .fswapNr,
         .fand, .fandcm, .for, .fxor:
        return "\(i.op.rawValue) \(f1)=\(f2),\(f3)"
    case .fcvtFx, .fcvtFxu, .fcvtFxTrunc, .fcvtFxuTrunc, .fpcvtFx, .fpcvtFxu, .fpcvtFxTrunc, .fpcvtFxuTrunc:
        return "\(i.op.rawValue)\(sf) \(f1)=\(f2)"
    case .fcvtXf: return "fcvt.xf \(f1)=\(f2)"
    case .fsetc: return "fsetc\(sf) \(hex(UInt64(i.imm >> 7))),\(hex(UInt64(i.imm & 0x7f)))"
    case .fclrf: return "fclrf\(sf)"
    case .fchkf: return "fchkf\(sf) \(target(address, i.imm))"
    // ---- B ----
    case .brCond, .brIa, .brRet, .brCondRel, .brWexit, .brWtop, .brCloop, .brCexit, .brCtop, .brCall, .brCallRel,
         .brl, .brlCall:
        let hints = ".\(branchWhether[Int(i.c1)])\(i.c2 & 1 != 0 ? ".many" : ".few")\(i.c2 & 2 != 0 ? ".clr" : "")"
        var base: String
        switch i.op {
        case .brCond, .brCondRel: base = "br.cond"
        case .brCall, .brCallRel: base = "br.call"
        case .brl: base = "brl.cond"
        default: base = i.op.rawValue
        }
        // Unpredicated static-taken conditional branches print without
        // ".cond.sptk" (objdump's "br.few"/"brl.many.clr" entries).
        var hintText = hints
        if i.qp == 0 && i.c1 == 0 && (i.op == .brCond || i.op == .brCondRel || i.op == .brl) {
            base = i.op == .brl ? "brl" : "br"
            hintText = String(hints.dropFirst(5))
        }
        switch i.op {
        case .brCond, .brIa, .brRet: return "\(base)\(hintText) b\(i.r2)"
        case .brCall: return "\(base)\(hintText) b\(i.r1)=b\(i.r2)"
        case .brCallRel, .brlCall: return "\(base)\(hintText) b\(i.r1)=\(target(address, i.imm))"
        default: return "\(base)\(hintText) \(target(address, i.imm))"
        }
    case .brp, .brpRet:
        let wh = i.c1 == 0 ? "sptk" : "dptk"
        return "\(i.op.rawValue).\(wh)\(i.c2 != 0 ? ".imp" : "") b\(i.r2),\(target(address, i.imm))"
    case .brpRel:
        let wh = ["sptk", "loop", "dptk", "exit"][Int(i.c1)]
        let tag = sext(UInt64(i.r3) << 7 | UInt64(i.r2), 9) << 4
        return "brp.\(wh)\(i.c2 != 0 ? ".imp" : "") \(target(address, i.imm)),\(target(address, tag))"
    case .movl: return "movl \(r1)=\(hex(i.imm))"
    }
}

// MARK: - Bundle text

/// One disassembled line: the address of the slot (bundle + 0, 6 or 12, as
/// objdump numbers them) and objdump's text for it (template column,
/// predicate column, instruction, stop).
public struct DisassemblyLine: Sendable, Equatable {
    public let address: UInt64
    public let text: String
    /// `ADDRESS: TEXT` with a lowercase hex address.
    public var formatted: String { String(address, radix: 16) + ": " + text }
}

/// Disassembles a bundle located at `address` into objdump-style lines.
public func disassemble(bundle b: Bundle, address: UInt64) -> [DisassemblyLine] {
    let t = b.templateInfo
    var lines: [DisassemblyLine] = []
    lines.reserveCapacity(3)
    let insns = decode(bundle: b)
    let isMLX = t.units.map { $0.1 == .L } ?? false
    for slot in 0..<3 {
        if isMLX && slot == 2 { break }
        let prefix = slot == 0 ? "[\(t.name)] " : "      "
        let insn = slot == 0 ? insns.0 : (slot == 1 ? insns.1 : insns.2)
        let raw = isMLX && slot == 1 ? b.slots.2 : b.slot(slot)
        let text: String
        if let body = instructionText(insn, address: address) {
            let pred = (noPredicate(insn.op) || insn.qp == 0) ? "      " : "(p" + (insn.qp < 10 ? "0" : "") + "\(insn.qp)) "
            let stopSlot = isMLX && slot == 1 ? 2 : slot
            text = prefix + pred + body + (t.stop(after: stopSlot) ? ";;" : "")
        } else {
            text = prefix + "      " + data8(raw)
        }
        lines.append(DisassemblyLine(address: address + UInt64(slot * 6), text: text))
    }
    return lines
}

/// Convenience: the bundle's lines joined as `ADDRESS: TEXT` lines.
public func disassemble(bundle b: Bundle, address: UInt64) -> String {
    let lines: [DisassemblyLine] = disassemble(bundle: b, address: address)
    return lines.map(\.formatted).joined(separator: "\n")
}
