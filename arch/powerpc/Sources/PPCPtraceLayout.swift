import GuestKernel
import LinuxABI

/// How a guest's ptrace(2) sees 32-bit PowerPC registers: `struct pt_regs` (44 words: gpr0-31,
/// nip, msr, orig_gpr3, ctr, link, xer, ccr, mq, trap, dar, dsisr, result), for PTRACE_GETREGS
/// and PEEKUSER (PT_R0 … PT_RESULT). The floating-point words of the user area are not provided.
enum PPCPtraceLayout {
    static var layout: PtraceRegisterLayout { PtraceRegisterLayout(
        auditArch: 20,  // AUDIT_ARCH_PPC: EM_PPC, 32-bit, big-endian
        general: Array(0..<32) + [PPCRegisterTable.pc, PPCRegisterTable.msr, PPCRegisterTable.origR3, PPCRegisterTable.ctr,
                                  PPCRegisterTable.lr, PPCRegisterTable.xer, PPCRegisterTable.cr, nil, PPCRegisterTable.trap,
                                  nil, nil, nil],
        userSize: 44 * 4,
        syscallReturn: { ctx in
            // An error is r3 = errno with CR0.SO set.
            let r3 = RegisterBytes.decode((try? ctx.readRegister(3)) ?? [], bigEndian: true)
            let cr = RegisterBytes.decode((try? ctx.readRegister(PPCRegisterTable.cr)) ?? [], bigEndian: true)
            if cr & 0x1000_0000 != 0 { return (-Int64(r3), true) }
            return (Int64(Int32(truncatingIfNeeded: r3)), false)
        }) }
}
