import GuestKernel
import LinuxABI
import SoftMMU

/// The 32-bit PowerPC rt signal frame, laid out as Linux's signal_32.c builds it:
///
///     r1 -> back chain (old r1), 64 bytes (__SIGNAL_FRAMESIZE)
///           struct siginfo   (128)
///           struct ucontext  { uc_flags, uc_link, uc_stack[3], pad[7], uc_regs → mcontext,
///                              uc_sigmask (8), maskext[30], pad2[3], uc_mcontext }
///           mcontext        { gregs[48] (r0–r31, nip, msr, orig_r3, ctr, lr, xer, cr, ...),
///                             fregs[33] (f0–f31, fpscr), pad[2], vregs (unused here) }
///
/// The handler returns through a trampoline (`li r0,172; sc`: rt_sigreturn) in a page the
/// backend maps above user space, as Linux does with the vDSO's __kernel_sigtramp_rt32,
/// since the stack is not executable.
enum PPCSignalFrame {
    static let trampoline: UInt64 = 0xC000_0000
    static let frameSize: UInt32 = 64
    static let ucontextSize: UInt32 = 192
    static let mcontextSize: UInt32 = 192 + 264 + 8 + 544

    /// Maps the trampoline page into a fresh address space.
    static func mapTrampoline(_ m: SoftMemory) {
        try? m.map(trampoline, length: SoftMemory.pageSize, protection: [.read, .execute], shared: false, backing: .anonymous)
        var code: [UInt8] = []
        for w: UInt32 in [0x3800_00ac, 0x4400_0002] {  // li r0,172 ; sc
            code += [UInt8(w >> 24), UInt8((w >> 16) & 0xff), UInt8((w >> 8) & 0xff), UInt8(w & 0xff)]
        }
        if let p = m.hostPointerIgnoringProtection(trampoline) { p.copyMemory(from: code, byteCount: code.count) }
    }

    static func deliver(_ d: SignalDelivery, context c: PPCContext) throws(LinuxErrno) {
        let r = c.regs
        var sp = UInt32(truncatingIfNeeded: d.alternateStack.map { $0.base + $0.size } ?? UInt64(r.pointee.gpr.1))
        let total = 128 + ucontextSize + mcontextSize + 224
        // A stack pointer too low for the frame and the handler's back chain below it: no room
        // (EFAULT: the kernel kills the thread with SIGSEGV, as Linux does).
        guard sp >= total + frameSize + 15 else { throw .EFAULT }
        sp = (sp - total) & ~15
        let infoAddr = sp, ucAddr = sp + 128, mcAddr = ucAddr + ucontextSize
        var e = GuestEncoder(wordSize: 4, bigEndian: true)
        e.raw(d.info.encode(wordSize: 4, bigEndian: true))
        // ucontext
        e.u32(0); e.u32(0)
        e.u32(UInt32(truncatingIfNeeded: d.savedAltStack.base)); e.i32(d.savedAltStack.flags); e.u32(UInt32(truncatingIfNeeded: d.savedAltStack.size))
        e.zeros(28)
        e.u32(mcAddr)
        e.u32(UInt32(truncatingIfNeeded: d.savedMask.rawValue)); e.u32(UInt32(truncatingIfNeeded: d.savedMask.rawValue >> 32))
        e.zeros(120 + 12)
        precondition(UInt32(e.bytes.count) == 128 + ucontextSize)
        // mcontext: general registers
        let g = UnsafeRawPointer(r).assumingMemoryBound(to: UInt32.self)
        for i in 0..<32 { e.u32(g[i]) }
        e.u32(r.pointee.pc); e.u32(0xd032)  // nip, msr (user, FP available)
        e.u32(r.pointee.origR3); e.u32(r.pointee.ctr); e.u32(r.pointee.lr); e.u32(r.pointee.xer); e.u32(r.pointee.cr)
        e.u32(0); e.u32(0); e.u32(UInt32(truncatingIfNeeded: d.info.address)); e.u32(0); e.u32(0)
        e.zeros(4 * 4)
        // floating point
        let f = (UnsafeRawPointer(r) + MemoryLayout<PPCRegisters>.offset(of: \PPCRegisters.fpr)!).assumingMemoryBound(to: UInt64.self)
        for i in 0..<32 { e.u64(f[i]) }
        e.u32(0); e.u32(r.pointee.fpscr)
        e.pad(to: Int(128 + ucontextSize + mcontextSize + 224))
        try typedErrno { try e.bytes.withUnsafeBytes { p in try c.memory.write(UInt64(sp), from: p) } }
        // The handler's own frame: a back chain to the interrupted stack.
        let newSP = sp - frameSize
        var chain = GuestEncoder(wordSize: 4, bigEndian: true)
        chain.u32(r.pointee.gpr.1)
        try typedErrno { try chain.bytes.withUnsafeBytes { p in try c.memory.write(UInt64(newSP), from: p) } }

        r.pointee.gpr.1 = newSP
        r.pointee.gpr.3 = UInt32(bitPattern: d.signal.rawValue)
        r.pointee.gpr.4 = infoAddr
        r.pointee.gpr.5 = ucAddr
        r.pointee.gpr.6 = sp
        r.pointee.lr = UInt32(trampoline)
        r.pointee.pc = UInt32(truncatingIfNeeded: d.handler)
        r.pointee.reservation = 0
        // Handlers start with a clean FPSCR (enables off, round to nearest), as on Linux.
        r.pointee.fpscr &= ~0xff
    }

    static func restore(context c: PPCContext) throws(LinuxErrno) -> (mask: SignalSet, altStack: AltStack) {
        let r = c.regs
        // In 64-bit arithmetic: a frame the guest placed at the top of the 32-bit space is simply
        // unreadable past it (EFAULT), never a wrapped address.
        let ucAddr = UInt64(r.pointee.gpr.1) + UInt64(frameSize) + 128
        var bytes = [UInt8](repeating: 0, count: Int(ucontextSize))
        try typedErrno { try bytes.withUnsafeMutableBytes { p in try c.memory.read(ucAddr, into: p) } }
        func u32(_ b: [UInt8], _ o: Int) -> UInt32 { UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3]) }
        let mcAddr = u32(bytes, 48)
        let mask = UInt64(u32(bytes, 52)) | UInt64(u32(bytes, 56)) << 32
        let alt = AltStack(base: UInt64(u32(bytes, 8)), size: UInt64(u32(bytes, 16)), flags: Int32(bitPattern: u32(bytes, 12)))
        var mc = [UInt8](repeating: 0, count: 192 + 264)
        try typedErrno { try mc.withUnsafeMutableBytes { p in try c.memory.read(UInt64(mcAddr), into: p) } }
        let g = UnsafeMutableRawPointer(r).assumingMemoryBound(to: UInt32.self)
        for i in 0..<32 { g[i] = u32(mc, i * 4) }
        r.pointee.pc = u32(mc, 32 * 4)
        r.pointee.ctr = u32(mc, 35 * 4)
        r.pointee.lr = u32(mc, 36 * 4)
        r.pointee.xer = u32(mc, 37 * 4)
        r.pointee.cr = u32(mc, 38 * 4)
        let f = (UnsafeMutableRawPointer(r) + MemoryLayout<PPCRegisters>.offset(of: \PPCRegisters.fpr)!).assumingMemoryBound(to: UInt64.self)
        for i in 0..<32 { f[i] = UInt64(u32(mc, 192 + i * 8)) << 32 | UInt64(u32(mc, 192 + i * 8 + 4)) }
        r.pointee.fpscr = u32(mc, 192 + 256 + 4)
        r.pointee.reservation = 0
        return (SignalSet(rawValue: mask), alt)
    }
}
