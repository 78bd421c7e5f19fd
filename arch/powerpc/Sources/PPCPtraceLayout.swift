import GuestKernel
import LinuxABI

/// How a guest's ptrace(2) sees 32-bit PowerPC registers: `struct pt_regs` (44 words: gpr0-31,
/// nip, msr, orig_gpr3, ctr, link, xer, ccr, mq, trap, dar, dsisr, result), for PTRACE_GETREGS
/// and PEEKUSER (PT_R0 … PT_RESULT); the floating-point set (PTRACE_GETFPREGS, NT_PRFPREG:
/// elf_fpregset_t, 33 doubles: f0-f31, then fpscr in the low half of a 64-bit word), which
/// PEEKUSER reads from PT_FPR0 (index 48) as 32-bit halves up to PT_FPSCR (index 113).
enum PPCPtraceLayout {
    static var layout: PtraceRegisterLayout { PtraceRegisterLayout(
        auditArch: 20,  // AUDIT_ARCH_PPC: EM_PPC, 32-bit, big-endian
        general: Array(0..<32) + [PPCRegisterTable.pc, PPCRegisterTable.msr, PPCRegisterTable.origR3, PPCRegisterTable.ctr,
                                  PPCRegisterTable.lr, PPCRegisterTable.xer, PPCRegisterTable.cr, nil, PPCRegisterTable.trap,
                                  nil, nil, nil],
        floatingSize: 33 * 8,
        readFloating: { ctx throws(LinuxErrno) -> [UInt8] in
            var out: [UInt8] = []
            for n in 32..<64 { out += try ctx.readRegister(n) }  // f0-f31, 8 bytes big-endian
            return out + [0, 0, 0, 0] + (try ctx.readRegister(PPCRegisterTable.fpscr))
        },
        writeFloating: { ctx, bytes throws(LinuxErrno) in
            guard bytes.count == 33 * 8 else { throw .EIO }
            for n in 0..<32 { try ctx.writeRegister(32 + n, Array(bytes[8 * n..<8 * n + 8])) }
            try ctx.writeRegister(PPCRegisterTable.fpscr, Array(bytes[260..<264]))
        },
        floatingUserOffset: 48 * 4,
        userSize: 114 * 4,   // up to PT_FPSCR (113): EIO beyond
        sysemuRequests: (0x1d, 0x1e),
        syscallReturn: { ctx in
            // An error is r3 = errno with CR0.SO set.
            let r3 = RegisterBytes.decode((try? ctx.readRegister(3)) ?? [], bigEndian: true)
            let cr = RegisterBytes.decode((try? ctx.readRegister(PPCRegisterTable.cr)) ?? [], bigEndian: true)
            if cr & 0x1000_0000 != 0 { return (-Int64(r3), true) }
            return (Int64(Int32(truncatingIfNeeded: r3)), false)
        }) }
}
