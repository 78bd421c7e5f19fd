import CPowerPCCore
import SoftMMU

/// The bridge to the C hot loop (arch/powerpc/Core): which ops it runs, and the checks that
/// its structures are Swift's.
enum PPCCore {
    /// The C handler of an op, or PPC_H_SLOW (0) for the ops the Swift interpreter keeps: the
    /// OE (overflow) forms, floating point, string and multiple loads and stores, reservations,
    /// CR logic, traps, system calls and everything rare.
    static func handler(_ op: PPCOp) -> UInt8 {
        let h: Int
        switch op.kind {
        case .li: h = PPC_H_LI
        case .mr: h = PPC_H_MR
        case .addi, .addis: h = PPC_H_ADDI
        case .addic: h = PPC_H_ADDIC
        case .addicRecord: h = PPC_H_ADDIC_RC
        case .subfic: h = PPC_H_SUBFIC
        case .mulli: h = PPC_H_MULLI
        case .add, .addc, .adde, .addme, .addze, .subf, .subfc, .subfe, .subfme, .subfze, .neg, .mullw, .divw, .divwu:
            if op.overflow { return 0 }
            switch op.kind {
            case .add: h = PPC_H_ADD
            case .addc: h = PPC_H_ADDC
            case .adde: h = PPC_H_ADDE
            case .addme: h = PPC_H_ADDME
            case .addze: h = PPC_H_ADDZE
            case .subf: h = PPC_H_SUBF
            case .subfc: h = PPC_H_SUBFC
            case .subfe: h = PPC_H_SUBFE
            case .subfme: h = PPC_H_SUBFME
            case .subfze: h = PPC_H_SUBFZE
            case .neg: h = PPC_H_NEG
            case .mullw: h = PPC_H_MULLW
            case .divw: h = PPC_H_DIVW
            default: h = PPC_H_DIVWU
            }
        case .mulhw: h = PPC_H_MULHW
        case .mulhwu: h = PPC_H_MULHWU
        case .andi, .andis: h = PPC_H_ANDI
        case .ori, .oris: h = PPC_H_ORI
        case .xori, .xoris: h = PPC_H_XORI
        case .and: h = PPC_H_AND
        case .andc: h = PPC_H_ANDC
        case .or: h = PPC_H_OR
        case .orc: h = PPC_H_ORC
        case .xor: h = PPC_H_XOR
        case .nand: h = PPC_H_NAND
        case .nor: h = PPC_H_NOR
        case .eqv: h = PPC_H_EQV
        case .extsb: h = PPC_H_EXTSB
        case .extsh: h = PPC_H_EXTSH
        case .cntlzw: h = PPC_H_CNTLZW
        case .slw: h = PPC_H_SLW
        case .srw: h = PPC_H_SRW
        case .sraw: h = PPC_H_SRAW
        case .srawi: h = PPC_H_SRAWI
        case .rlwinm: h = PPC_H_RLWINM
        case .rlwnm: h = PPC_H_RLWNM
        case .rlwimi: h = PPC_H_RLWIMI
        case .cmp: h = PPC_H_CMP
        case .cmpi: h = PPC_H_CMPI
        case .cmpl: h = PPC_H_CMPL
        case .cmpli: h = PPC_H_CMPLI
        case .lwz: h = PPC_H_LWZ
        case .lwzx: h = PPC_H_LWZX
        case .lbz: h = PPC_H_LBZ
        case .lbzx: h = PPC_H_LBZX
        case .lhz: h = PPC_H_LHZ
        case .lhzx: h = PPC_H_LHZX
        case .lha: h = PPC_H_LHA
        case .lhax: h = PPC_H_LHAX
        case .stw: h = PPC_H_STW
        case .stwx: h = PPC_H_STWX
        case .stb: h = PPC_H_STB
        case .stbx: h = PPC_H_STBX
        case .sth: h = PPC_H_STH
        case .sthx: h = PPC_H_STHX
        case .b: h = PPC_H_B
        case .bc: h = PPC_H_BC
        case .bt: h = PPC_H_BT
        case .bf: h = PPC_H_BF
        case .bdnz: h = PPC_H_BDNZ
        case .bdz: h = PPC_H_BDZ
        case .blr: h = PPC_H_BLR
        case .bclr: h = PPC_H_BCLR
        case .bcctr: h = PPC_H_BCCTR
        case .mfspr: h = PPC_H_MFSPR
        case .mtspr: h = PPC_H_MTSPR
        case .mfcr: h = PPC_H_MFCR
        case .isel: h = PPC_H_ISEL
        default: return 0
        }
        return UInt8(h)
    }

    /// Whether Swift lays PPCOp and PPCRegisters out as ppc_core.h declares them (Swift does
    /// not promise a layout; it has always been declaration order). Checked once per backend:
    /// a mismatch turns the C loop off rather than running it on wrong offsets.
    static let layoutMatches: Bool = {
        typealias O = MemoryLayout<PPCOp>
        typealias R = MemoryLayout<PPCRegisters>
        return O.size <= 16 && O.stride == MemoryLayout<ppc_op>.stride
            && O.offset(of: \.d) == 1 && O.offset(of: \.a) == 2 && O.offset(of: \.b) == 3 && O.offset(of: \.c) == 4
            && O.offset(of: \.fast) == 5 && O.offset(of: \.imm) == 8 && O.offset(of: \.flags) == 12 && O.offset(of: \.run) == 14
            && MemoryLayout<PPCKind>.size == 1
            && R.offset(of: \.fpr) == 128 && R.offset(of: \.pc) == 384 && R.offset(of: \.lr) == 388
            && R.offset(of: \.ctr) == 392 && R.offset(of: \.cr) == 396 && R.offset(of: \.xer) == 400
            && R.offset(of: \.origR3) == 408 && R.offset(of: \.reservation) == 412
            && MemoryLayout<ppc_regs>.size == R.size
    }()

    /// The C loop's view of a space's TLB and decoded-page cache.
    static func environment(_ mem: SoftMemory, _ cache: PPCCodeCache) -> ppc_env {
        let tlb = mem.tlbArrays, front = cache.frontArrays
        return ppc_env(read_tags: UnsafePointer(tlb.readTags), read_bases: UnsafePointer(tlb.readBases),
                       write_tags: UnsafePointer(tlb.writeTags), write_bases: UnsafePointer(tlb.writeBases),
                       front_tags: front.tags,
                       front_ops: front.ops.assumingMemoryBound(to: UnsafeMutablePointer<ppc_op>?.self),
                       generation: UnsafePointer(cache.generationCell))
    }
}
