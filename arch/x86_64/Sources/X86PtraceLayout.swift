import GuestKernel
import HostOS
import LinuxABI

/// How a guest's ptrace(2) sees x86-64 registers: `struct user_regs_struct` (27 words),
/// `struct user_fpregs_struct` (the 512-byte FXSAVE image) and `struct user` (912 bytes:
/// the regs at 0, i387 at 224, u_debugreg[8] at 848), as <sys/user.h> lays them out.
enum X86PtraceLayout {
    /// user_regs_struct's words as gdb register numbers (`X86RegisterTable`): r15 r14 r13 r12
    /// rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss fs_base gs_base
    /// ds es fs gs.
    static let general: [Int?] = [15, 14, 13, 12, 6, 1, 11, 10, 9, 8, 0, 2, 3, 4, 5,
                                  X86RegisterTable.origRAX, X86RegisterTable.rip, 18, X86RegisterTable.eflags, 7, 19,
                                  X86RegisterTable.fsBase, X86RegisterTable.gsBase, 20, 21, 22, 23]

    static var layout: PtraceRegisterLayout { PtraceRegisterLayout(
        auditArch: 0xC000_003E,  // AUDIT_ARCH_X86_64
        general: general,
        floatingSize: 512,
        readFloating: { ctx throws(LinuxErrno) -> [UInt8] in
            guard let x = ctx as? X86Context else { throw .EIO }
            try x.materialize()
            var fp = X86FPRegisters()
            try x.tracee.fpRegisters(into: &fp)
            return withUnsafeBytes(of: &fp) { Array($0) }
        },
        writeFloating: { ctx, bytes throws(LinuxErrno) in
            guard let x = ctx as? X86Context, bytes.count == MemoryLayout<X86FPRegisters>.size else { throw .EIO }
            try x.materialize()
            var fp = X86FPRegisters()
            withUnsafeMutableBytes(of: &fp) { p in p.copyBytes(from: bytes) }
            try x.tracee.setFPRegisters(&fp)
        },
        // PEEKUSER of i387 reads 0 on x86-64 Linux (arch_ptrace serves only the registers
        // and u_debugreg), so no floatingUserOffset.
        debugRegisterOffset: 848,
        userSize: 912,
        sysemuRequests: (31, 32),
        debugPoints: debugPoints,
        syscallReturn: { ctx in
            let v = Int64(bitPattern: RegisterBytes.decode((try? ctx.readRegister(0)) ?? [], bigEndian: false))
            return (v, v < 0 && v >= -4095)
        }) }

    /// The debug points DR0-DR3 and DR7 ask for: breakpoint i is enabled by DR7's L/G bits
    /// 2i, 2i+1; its R/W bits (16 + 4i) say execute (0), write (1) or read/write (3), I/O (2)
    /// being refused; its LEN bits (18 + 4i) say 1, 2, 8 or 4 bytes. DR4-DR6 set nothing.
    static func debugPoints(_ dr: [UInt64]) throws(LinuxErrno) -> [DebugPoint] {
        let dr7 = dr[7]
        var points: [DebugPoint] = []
        for i in 0..<4 where (dr7 >> UInt64(2 * i)) & 3 != 0 {
            let rw = (dr7 >> UInt64(16 + 4 * i)) & 3, len = (dr7 >> UInt64(18 + 4 * i)) & 3
            let length: UInt64 = [1, 2, 8, 4][Int(len)]
            // A misaligned address is refused, as Linux's hw_breakpoint_arch_parse does.
            guard rw == 0 || dr[i] % length == 0 else { throw .EINVAL }
            switch rw {
            case 0: points.append(DebugPoint(.execute, address: dr[i]))
            case 1: points.append(DebugPoint(.watch(.write), address: dr[i], length: length))
            case 3: points.append(DebugPoint(.watch(.access), address: dr[i], length: length))
            default: throw .EINVAL
            }
        }
        return points
    }
}
