import CIA64Core
import HostOS
import IA64Decoder
import SoftMMU

/// The bridge to the C hot loop (arch/ia64/Core): which instructions it runs, the checks that
/// its structures are Swift's, and the state it works on.
enum IA64Core {
    /// The C handler of an instruction, or IA64_H_SLOW (0) for the ones the Swift interpreter
    /// keeps: floating point (but setf.sig, getf.sig and xma), speculation and the ALAT,
    /// spill/fill, semaphores, the parallel (multimedia) ops, moves to the predicates and to
    /// other application registers, the register-stack instructions other than alloc,
    /// br.wtop/wexit, system calls and breaks.
    static func handler(_ i: Instruction) -> UInt8 {
        let h: Int
        switch i.op {
        case .nopM, .nopI, .nopB, .nopF, .nopX, .hintM, .hintI, .hintB, .hintF, .hintX, .brp, .brpRet, .brpRel:
            h = IA64_H_NOP
        case .lSlot: h = IA64_H_LSLOT
        case .add: h = IA64_H_ADD
        case .addPlus1: h = IA64_H_ADD1
        case .sub: h = IA64_H_SUB
        case .subMinus1: h = IA64_H_SUB1
        case .and: h = IA64_H_AND
        case .andcm: h = IA64_H_ANDCM
        case .or: h = IA64_H_OR
        case .xor: h = IA64_H_XOR
        case .shladd: h = IA64_H_SHLADD
        case .addp4: h = IA64_H_ADDP4
        case .shladdp4: h = IA64_H_SHLADDP4
        case .subImm: h = IA64_H_SUB_IMM
        case .andImm: h = IA64_H_AND_IMM
        case .andcmImm: h = IA64_H_ANDCM_IMM
        case .orImm: h = IA64_H_OR_IMM
        case .xorImm: h = IA64_H_XOR_IMM
        case .adds, .addl: h = IA64_H_ADD_IMM
        case .addp4Imm: h = IA64_H_ADDP4_IMM
        case .movl: h = IA64_H_MOVL
        case .cmp, .cmpImm, .cmp4, .cmp4Imm:
            // The ten integer relations (CmpRel.eq … .geu); the decoder gives no others here.
            guard i.c1 <= CmpRel.geu.rawValue else { return 0 }
            let form = (i.op == .cmp4 || i.op == .cmp4Imm ? 2 : 0) + (i.op == .cmpImm || i.op == .cmp4Imm ? 1 : 0)
            h = IA64_H_CMP + 4 * Int(i.c1) + form
        case .tbit where i.c1 == CmpRel.z.rawValue: h = IA64_H_TBIT_Z
        case .tbit where i.c1 == CmpRel.nz.rawValue: h = IA64_H_TBIT_NZ
        case .shl: h = IA64_H_SHL
        case .shr: h = IA64_H_SHR
        case .shrU: h = IA64_H_SHR_U
        case .shrp: h = IA64_H_SHRP
        case .extr: h = IA64_H_EXTR
        case .extrU: h = IA64_H_EXTR_U
        case .depZ: h = IA64_H_DEP_Z
        case .depZImm: h = IA64_H_DEP_Z_IMM
        case .dep: h = IA64_H_DEP
        case .depImm: h = IA64_H_DEP_IMM
        case .sxt1: h = IA64_H_SXT1
        case .sxt2: h = IA64_H_SXT2
        case .sxt4: h = IA64_H_SXT4
        case .zxt1: h = IA64_H_ZXT1
        case .zxt2: h = IA64_H_ZXT2
        case .zxt4: h = IA64_H_ZXT4
        case .popcnt: h = IA64_H_POPCNT
        case .mpy4: h = IA64_H_MPY4
        case .clz: h = IA64_H_CLZ
        case .movToBr: h = IA64_H_MOV_TO_BR
        case .movFromBr: h = IA64_H_MOV_FROM_BR
        case .movFromIp: h = IA64_H_MOV_FROM_IP
        case .movToArI, .movToArM:
            switch i.r3 { case 64: h = IA64_H_MOV_TO_PFS; case 65: h = IA64_H_MOV_TO_LC; case 66: h = IA64_H_MOV_TO_EC; default: return 0 }
        case .movToArImmI, .movToArImmM:
            switch i.r3 { case 64: h = IA64_H_MOV_TO_PFS_IMM; case 65: h = IA64_H_MOV_TO_LC_IMM; case 66: h = IA64_H_MOV_TO_EC_IMM; default: return 0 }
        case .movFromArI, .movFromArM:
            switch i.r3 { case 64: h = IA64_H_MOV_FROM_PFS; case 65: h = IA64_H_MOV_FROM_LC; case 66: h = IA64_H_MOV_FROM_EC; default: return 0 }
        case .alloc: h = IA64_H_ALLOC
        case .setf where i.c1 == 0: h = IA64_H_SETF_SIG
        case .getf where i.c1 == 0: h = IA64_H_GETF_SIG
        case .xmaL: h = IA64_H_XMA_L
        case .xmaHu: h = IA64_H_XMA_HU
        case .xmaH: h = IA64_H_XMA_H
        case .ld, .ldReg, .ldImm:
            // Plain, .bias and .acq loads; speculative, advanced, check and fill loads are Swift's.
            let kind = i.c1 >> 2
            guard kind == 0 || kind == 4 || kind == 5 else { return 0 }
            h = i.op == .ld ? IA64_H_LD : i.op == .ldReg ? IA64_H_LD_REG : IA64_H_LD_IMM
        case .st, .stImm:
            // st1–st8 and their .rel forms; st8.spill (0x3b) is Swift's.
            guard i.c1 >= 0x30 && i.c1 <= 0x37 else { return 0 }
            h = i.op == .st ? IA64_H_ST : IA64_H_ST_IMM
        case .brCondRel, .brl: h = IA64_H_BR_REL
        case .brCond, .brIa: h = IA64_H_BR_IND
        case .brCallRel, .brlCall: h = IA64_H_BR_CALL_REL
        case .brCall: h = IA64_H_BR_CALL
        case .brRet: h = IA64_H_BR_RET
        case .brCloop: h = IA64_H_BR_CLOOP
        case .brCtop: h = IA64_H_BR_CTOP
        case .brCexit: h = IA64_H_BR_CEXIT
        default: return 0
        }
        return UInt8(h)
    }

    /// Whether Swift lays Instruction and DecodedBundle out as ia64_core.h declares them (Swift
    /// does not promise a layout; it has always been declaration order). Checked once: a
    /// mismatch turns the C loop off rather than running it on wrong offsets.
    static let layoutMatches: Bool = {
        typealias I = MemoryLayout<Instruction>
        typealias B = MemoryLayout<DecodedBundle>
        return MemoryLayout<Op>.size == 2 && I.size <= 24 && I.stride == MemoryLayout<ia64_insn>.stride
            && I.offset(of: \.qp) == 2 && I.offset(of: \.r1) == 3 && I.offset(of: \.r2) == 4 && I.offset(of: \.r3) == 5
            && I.offset(of: \.r4) == 6 && I.offset(of: \.c1) == 7 && I.offset(of: \.c2) == 8 && I.offset(of: \.imm) == 16
            && B.stride == MemoryLayout<ia64_bundle>.stride && B.offset(of: \.stops) == 72 && B.offset(of: \.valid) == 73
            && B.offset(of: \.fast) == 74 && B.offset(of: \.slotCount) == 77
            && MemoryLayout<FReg>.stride == MemoryLayout<ia64_freg>.stride
            && MemoryLayout<FReg>.offset(of: \.sig) == 0 && MemoryLayout<FReg>.offset(of: \.exp) == 8
    }()

    /// Whether IA-64 threads use the C loop: when the layouts match, unless UMLAB_IA64_CORE=off
    /// (the differential test runs the Swift reference alone this way).
    static func enabled() -> Bool {
        layoutMatches && HostEnvironment.value("UMLAB_IA64_CORE") != "off"
    }

    /// The C loop's view of a thread's register files and its space's TLB and decoded pages.
    static func environment(_ s: IA64State, _ mem: SoftMemory, _ cache: IA64CodeCache) -> ia64_env {
        let tlb = mem.tlbArrays, front = cache.frontArrays
        return ia64_env(gr: s.gr, stacked: s.stacked, stacked_nat: s.stackedNaT, br: s.br,
                        fr: UnsafeMutableRawPointer(s.fr).assumingMemoryBound(to: ia64_freg.self),
                        stacked_capacity: Int64(IA64State.stackedCapacity),
                        read_tags: UnsafePointer(tlb.readTags), read_bases: UnsafePointer(tlb.readBases),
                        write_tags: UnsafePointer(tlb.writeTags), write_bases: UnsafePointer(tlb.writeBases),
                        front_tags: front.tags,
                        front_ops: front.ops.assumingMemoryBound(to: UnsafeMutablePointer<ia64_bundle>?.self))
    }
}

extension IA64State {
    /// The scalars the C loop works on, copied out before a call…
    @inline(__always) func coreRegisters() -> ia64_regs {
        ia64_regs(ip: ip, slot: Int64(slot), pr: pr, grnat: UInt64(grNaT), lc: lc, ec: ec, pfs: pfs,
                  bof: Int64(bof), flushed: Int64(flushed), sof: Int64(cfm.sof), sol: Int64(cfm.sol), sor: Int64(cfm.sor),
                  rrb_gr: Int64(cfm.rrbGR), rrb_fr: Int64(cfm.rrbFR), rrb_pr: Int64(cfm.rrbPR),
                  alat_count: Int64(alat.count))
    }
    /// … and back after it. The C loop keeps IA64State's invariant (bof + sof within the
    /// stacked capacity, a valid frame marker): it checks what alloc and br.ret are given as
    /// Swift does, and leaves for Swift where Swift would fault.
    @inline(__always) func setCoreRegisters(_ r: ia64_regs) {
        ip = r.ip; slot = Int(r.slot); pr = r.pr; grNaT = UInt32(truncatingIfNeeded: r.grnat)
        lc = r.lc; ec = r.ec; pfs = r.pfs; bof = Int(r.bof); flushed = Int(r.flushed)
        cfm.sof = Int(r.sof); cfm.sol = Int(r.sol); cfm.sor = Int(r.sor)
        cfm.rrbGR = Int(r.rrb_gr); cfm.rrbFR = Int(r.rrb_fr); cfm.rrbPR = Int(r.rrb_pr)
    }
}
