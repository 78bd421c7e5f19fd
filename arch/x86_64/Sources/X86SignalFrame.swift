import GuestKernel
import HostOS
import LinuxABI

/// The x86-64 rt_sigframe, laid out as Linux builds it, so that glibc's restorer, unwinders and
/// handlers that inspect their ucontext work unchanged:
///
///     sp -> pretcode (sa_restorer)
///           struct ucontext  { uc_flags, uc_link, uc_stack, uc_mcontext (struct sigcontext), uc_sigmask }
///           struct siginfo   (128 bytes)
///           ... FXSAVE area (512 bytes, 64-byte aligned), pointed to by uc_mcontext.fpstate
enum X86SignalFrame {
    static let ucontextSize = 304
    static let sigcontextOffset = 40  // within ucontext
    static let sigmaskOffset = 296

    static func deliver(_ d: SignalDelivery, context c: X86Context) throws(LinuxErrno) {
        // The guest's stack pointer may be anything: a frame that would pass below 0 cannot be
        // written (EFAULT: the kernel kills the thread with SIGSEGV, as Linux does).
        func below(_ a: UInt64, _ n: UInt64) throws(LinuxErrno) -> UInt64 {
            guard let r = GuestMath.start(below: a, length: n) else { throw .EFAULT }
            return r
        }
        // The kernel checked that the alternate stack's end does not pass 2^64.
        var sp: UInt64
        if let alt = d.alternateStack { sp = alt.base + alt.size } else { sp = try below(c.regs.rsp, 128) }  // red zone
        sp = try below(sp, 512) & ~63
        let fpAddr = sp
        var fp = X86FPRegisters()
        try c.tracee.fpRegisters(into: &fp)
        let frameSize: UInt64 = 8 + UInt64(ucontextSize) + 128
        sp = try below(try below(sp, frameSize) & ~15, 8)
        let ucAddr = sp + 8, infoAddr = ucAddr + UInt64(ucontextSize)

        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        e.u64(d.restorer)
        // ucontext
        e.u64(0); e.u64(0)
        e.u64(d.savedAltStack.base); e.i32(d.savedAltStack.flags); e.u32(0); e.u64(d.savedAltStack.size)
        let r = c.regs
        for v in [r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rdi, r.rsi, r.rbp, r.rbx, r.rdx, r.rax, r.rcx, r.rsp, r.rip, r.eflags] {
            e.u64(v)
        }
        e.u16(UInt16(truncatingIfNeeded: r.cs)); e.u16(0); e.u16(0); e.u16(UInt16(truncatingIfNeeded: r.ss))
        e.u64(0)  // err
        e.u64(d.info.signal == .SIGSEGV ? 14 : 0)  // trapno
        e.u64(d.savedMask.rawValue)  // oldmask
        e.u64(d.info.address)  // cr2
        e.u64(fpAddr)
        e.zeros(64)
        e.u64(d.savedMask.rawValue)  // uc_sigmask
        precondition(e.bytes.count == 8 + ucontextSize)
        e.raw(d.info.encode(wordSize: 8, bigEndian: false))
        let frame = e.bytes
        let fpBytes = withUnsafeBytes(of: &fp) { Array($0) }
        try typedErrno { try fpBytes.withUnsafeBytes { p in try c.space.write(fpAddr, from: p) } }
        try typedErrno { try frame.withUnsafeBytes { p in try c.space.write(sp, from: p) } }

        c.regs.rsp = sp
        c.regs.rip = d.handler
        c.regs.rdi = UInt64(d.signal.rawValue)
        c.regs.rsi = infoAddr
        c.regs.rdx = ucAddr
        c.regs.rax = 0
        c.regs.eflags &= ~UInt64(0x100 | 0x400)  // TF, DF clear in the handler
        c.regs.orig_rax = UInt64.max
        c.dirty = .all
    }

    static func restore(context c: X86Context) throws(LinuxErrno) -> (mask: SignalSet, altStack: AltStack) {
        // The handler's `ret` popped pretcode: the ucontext is at rsp.
        let ucAddr = c.regs.rsp
        var bytes = [UInt8](repeating: 0, count: ucontextSize)
        try typedErrno { try bytes.withUnsafeMutableBytes { p in try c.space.read(ucAddr, into: p) } }
        func u64(_ o: Int) -> UInt64 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt64.self) } }
        let sc = sigcontextOffset
        var r = c.regs
        r.r8 = u64(sc); r.r9 = u64(sc + 8); r.r10 = u64(sc + 16); r.r11 = u64(sc + 24)
        r.r12 = u64(sc + 32); r.r13 = u64(sc + 40); r.r14 = u64(sc + 48); r.r15 = u64(sc + 56)
        r.rdi = u64(sc + 64); r.rsi = u64(sc + 72); r.rbp = u64(sc + 80); r.rbx = u64(sc + 88)
        r.rdx = u64(sc + 96); r.rax = u64(sc + 104); r.rcx = u64(sc + 112); r.rsp = u64(sc + 120)
        r.rip = u64(sc + 128)
        // Only the user-changeable flags come from the frame (CF PF AF ZF SF TF DF OF AC ...).
        let userFlags: UInt64 = 0x40DD5
        r.eflags = (c.regs.eflags & ~userFlags) | (u64(sc + 136) & userFlags)
        r.orig_rax = UInt64.max
        let fpAddr = u64(sc + 184)
        c.regs = r
        c.dirty = .all
        if fpAddr != 0 {
            var fp = X86FPRegisters()
            try typedErrno { try withUnsafeMutableBytes(of: &fp) { p in try c.space.read(fpAddr, into: p) } }
            try c.tracee.setFPRegisters(&fp)
        }
        let alt = AltStack(base: u64(16), size: u64(32), flags: Int32(truncatingIfNeeded: u64(24)))
        return (SignalSet(rawValue: u64(sigmaskOffset)), alt)
    }
}
