import GuestKernel
import LinuxABI
import SoftMMU

/// The Linux/ia64 signal frame (arch/ia64/kernel/sigframe.h, signal.c,
/// include/uapi/asm/sigcontext.h), on the memory stack at r12 + 16 when the handler runs:
///
///     +0     arg0 = signum, arg1 = &info, arg2 = &sc      (the handler's in0..in2)
///     +24    handler: address of the handler's function descriptor (entry, gp)
///     +32    struct siginfo (128 bytes)
///     +160   struct sigcontext (2656 bytes, 16-aligned; offsets below, as libunwind's
///            src/ia64/offsets.h lists them: ip 0x28, bsp 0x48, gr 0xc8, fr 0x1d0, mask 0xa50)
///
/// Delivery does in the kernel what Linux splits between setup_frame and the gate page's
/// __kernel_sigtramp: it covers the interrupted frame and flushes the dirty registers to the
/// backing store (so sc_ar_bsp/sc_cfm/sc_ar_rnat describe it in memory), saves every user
/// register in the sigcontext (Linux leaves the preserved ones, r4-r7, f2-f5, f16-f31, b1-b5,
/// ar.lc, live in the registers; saving them too is a superset), and starts the trampoline
/// below, which calls the handler through its descriptor and then makes rt_sigreturn.
/// rt_sigreturn restores everything from the sigcontext, so a handler's edits of sc_ip (slot
/// in bits 1:0, as Linux's cr_iip + psr.ri), sc_gr, sc_fr, sc_pr, sc_cfm, sc_ar_bsp take effect;
/// the interrupted frame is reloaded from the backing store at sc_ar_bsp.
///
/// SA_ONSTACK: the frame goes at the top of the alternate stack and, as on Linux, the handler's
/// register stack starts at the alternate stack's (8-aligned) low end unless the backing store
/// is already there (sc_rbs_base says where). Unlike Linux, the interrupted dirty partition is
/// flushed to the original backing store rather than carried over to the alternate one, so
/// sc_loadrs is always 0 and sc_ar_bsp always addresses the original store.
enum IA64SignalFrame {
    /// The trampoline page: region 5, where Linux maps its gate page (GATE_ADDR), above every
    /// user mapping (IA64Backend.userAddressRange ends at region 4).
    static let trampoline: UInt64 = 0xA000_0000_0000_0000

    /// The trampoline, assembled with `ia64-linux-gnu-as -x` (bundles as little-endian lo, hi):
    ///
    ///         alloc r16 = ar.pfs, 0, 0, 3, 0      // out0..out2 become the handler's in0..in2
    ///         adds r2 = 16, r12                   // &frame->arg0
    ///         adds r3 = 40, r12                   // &frame->handler
    ///         ;;
    ///         ld8 out0 = [r2], 8                  // signum
    ///         ld8 r17 = [r3]                      // function descriptor
    ///         ;;
    ///         ld8 out1 = [r2], 8                  // &info
    ///         ld8 r18 = [r17], 8                  // entry point
    ///         ;;
    ///         ld8 out2 = [r2]                     // &sc
    ///         ld8 r1 = [r17]                      // the handler's gp
    ///         mov b6 = r18
    ///         ;;
    ///         br.call.sptk.many b0 = b6
    ///         ;;
    ///         mov r15 = 1181                      // rt_sigreturn (1024 + 157)
    ///         ;;
    ///         break.m 0x100000
    ///         ;;
    static let code: [(UInt64, UInt64)] = [
        (0x8020_0580_000c_8001, 0x8400_6280_6042_0030),  // [MII] alloc / adds / adds;;
        (0x0110_1418_0421_0009, 0x0004_0000_0020_300c),  // [MMI] ld8 r32=[r2],8 / ld8 r17=[r3] / nop.i;;
        (0x4120_1418_0421_0809, 0x0004_0000_0028_3044),  // [MMI] ld8 r33=[r2],8 / ld8 r18=[r17],8 / nop.i;;
        (0x0010_1018_0401_1009, 0x0700_0920_c020_3044),  // [MMI] ld8 r34=[r2] / ld8 r1=[r17] / mov b6=r18;;
        (0x0000_0001_0000_0011, 0x1080_0068_0000_0200),  // [MIB] nop.m / nop.i / br.call.sptk.many b0=b6;;
        (0x0000_2409_0074_780b, 0x0004_0000_0004_0000),  // [MMI] mov r15=1181;; / break.m 0x100000 / nop.i;;
    ]
    static let frameSize: UInt64 = 2816
    static let infoOffset: UInt64 = 32, sigcontextOffset: UInt64 = 160
    // struct sigcontext
    static let scFlags = 0, scNat = 8, scStack = 16, scIP = 40, scCFM = 48, scUM = 56, scRSC = 64,
               scBSP = 72, scRNAT = 80, scCCV = 88, scUNAT = 96, scFPSR = 104, scPFS = 112, scLC = 120,
               scPR = 128, scBR = 136, scGR = 200, scFR = 464, scRBSBase = 2512, scLoadRS = 2520,
               scAR25 = 2528, scMask = 2640, scSize = 2656
    static let flagOnStack: UInt64 = 1, flagInSyscall: UInt64 = 2, flagFPHValid: UInt64 = 4
    /// Linux's FPSR_DEFAULT: handlers start with it.
    static let fpsrDefault: UInt64 = 0x0009_804c_0270_033f

    /// Maps the trampoline page into a fresh address space (read + execute; the guest cannot
    /// unmap or change it: it lies outside the user address range).
    static func mapTrampoline(_ m: SoftMemory) {
        try? m.map(trampoline, length: SoftMemory.pageSize, protection: [.read, .execute], shared: false, backing: .anonymous)
        guard let p = m.hostPointerIgnoringProtection(trampoline) else { return }
        for (k, bundle) in code.enumerated() {
            p.storeBytes(of: bundle.0.littleEndian, toByteOffset: 16 * k, as: UInt64.self)
            p.storeBytes(of: bundle.1.littleEndian, toByteOffset: 16 * k + 8, as: UInt64.self)
        }
    }

    static func deliver(_ d: SignalDelivery, context c: IA64Context) throws(LinuxErrno) {
        let s = c.state, mem = c.memory
        let oldSP = s.gr[12]
        // The kernel checked that the alternate stack's end does not pass 2^64; the stack
        // pointer may be anything, and a frame that does not fit in user space is EFAULT (the
        // kernel kills the thread with SIGSEGV).
        let top = d.alternateStack.map { $0.base + $0.size } ?? oldSP
        guard let below = GuestMath.start(below: top, length: frameSize) else { throw .EFAULT }
        let frame = below & ~15
        guard c.backend.userAddressRange.contains(frame), c.backend.userAddressRange.contains(frame + frameSize - 1) else { throw .EFAULT }
        let sc = frame + sigcontextOffset

        // Make the interrupted frame durable: cover, then flush the dirty partition.
        let interrupted = s.cfm
        s.bof += s.cfm.sof
        s.cfm = CFM()
        do { try s.flushRegisterStack(mem) } catch { throw .EFAULT }
        let bsp = s.bsp
        var newRBS: UInt64 = 0
        if let alt = d.alternateStack, !(s.bspstore &- alt.base < alt.size) {
            guard let base = GuestMath.roundUp(alt.base, to: 8) else { throw .EFAULT }
            newRBS = base
        }

        var flags: UInt64 = 0
        if d.savedAltStack.contains(sc) { flags |= flagOnStack }
        if s.inSyscall { flags |= flagInSyscall }
        flags |= flagFPHValid  // f32-f127 are always saved

        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        e.u64(UInt64(d.signal.rawValue)); e.u64(frame + infoOffset); e.u64(sc); e.u64(d.handler)
        e.raw(d.info.encode(wordSize: 8, bigEndian: false))
        precondition(UInt64(e.bytes.count) == sigcontextOffset)
        e.u64(flags)
        e.u64(UInt64(s.grNaT) & ~1)
        // sc_stack: the alternate stack as it was, SS_ONSTACK if the interrupted code ran on it
        e.u64(d.savedAltStack.base)
        e.i32(d.savedAltStack.flags | (d.savedAltStack.contains(oldSP) ? AltStack.onStack : 0)); e.u32(0)
        e.u64(d.savedAltStack.size)
        e.u64((s.ip & ~15) | UInt64(s.slot))  // sc_ip: bundle | slot (cr_iip + psr.ri)
        e.u64(interrupted.raw)
        e.u64(0)  // sc_um: psr.be/up/ac/mfl/mfh are not modelled (little-endian, no alignment checks)
        e.u64(s.rsc); e.u64(bsp); e.u64(s.rnat); e.u64(s.ccv); e.u64(s.unat); e.u64(s.fpsr)
        e.u64(s.pfs); e.u64(s.lc)
        e.u64(s.pr)  // physical predicates; rrb.pr is in sc_cfm, as Linux saves pr after cover
        for k in 0..<8 { e.u64(s.br[k]) }
        for k in 0..<32 { e.u64(s.gr[k]) }  // sc_gr[0] is uc_link: 0
        e.zeros(8)
        precondition(e.bytes.count == Int(sigcontextOffset) + scFR)
        for k in 0..<128 { e.u64(s.fr[k].sig); e.u64(UInt64(s.fr[k].exp & 0x3ffff)) }  // spill format
        e.u64(newRBS); e.u64(0)  // sc_rbs_base, sc_loadrs (nothing left dirty: see above)
        e.zeros(8 * 14)  // ar.csd/ar.ssd (not modelled), reserved
        e.u64(d.savedMask.rawValue)
        e.pad(to: Int(frameSize))
        try typedErrno { try e.bytes.withUnsafeBytes { p in try mem.write(frame, from: p) } }

        if newRBS != 0 {
            // Everything below is in memory now: the handler's frames start on the alternate store.
            s.rbsBase = newRBS
            s.bof = 0
            s.flushed = 0
            s.rnatBase = 0
            s.rnat = 0
        }
        s.gr[12] = frame - 16  // the 16-byte scratch area of the calling convention
        s.grNaT &= ~(1 << 12)
        s.fpsr = fpsrDefault
        s.alat.removeAll()
        s.ip = trampoline
        s.slot = 0
        s.inSyscall = false
    }

    static func restore(context c: IA64Context) throws(LinuxErrno) -> (mask: SignalSet, altStack: AltStack) {
        let s = c.state, mem = c.memory
        let sc = s.gr[12] &+ 16 &+ sigcontextOffset
        var b = [UInt8](repeating: 0, count: scSize)
        try typedErrno { try b.withUnsafeMutableBytes { p in try mem.read(sc, into: p) } }
        func u64(_ o: Int) -> UInt64 { b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt64.self) } }

        // Check what the guest may have edited before changing anything.
        let ip = u64(scIP)
        let slot = Int(ip & 3)
        let rawCFM = u64(scCFM)
        let frame = CFM(raw: rawCFM)
        let bsp = u64(scBSP)
        let user = c.backend.userAddressRange
        guard slot < 3,
              rawCFM >> 38 == 0, frame.isValid,
              bsp & 7 == 0, !IA64State.isCollection(bsp), user.contains(bsp),
              user.contains(IA64State.skipRegisters(bsp, -frame.sof)) else { throw .EFAULT }
        // The interrupted frame comes back from the backing store (the frames below it follow on
        // demand as br.ret reaches them).
        do { try s.loadFrame(mem, bsp: bsp, frame: frame, rnat: u64(scRNAT)) } catch { throw .EFAULT }

        s.ip = ip & ~15
        s.slot = slot
        for k in 1..<32 { s.gr[k] = u64(scGR + 8 * k) }
        s.grNaT = UInt32(truncatingIfNeeded: u64(scNat)) & ~1
        for k in 2..<128 {
            s.fr[k] = FReg(sig: u64(scFR + 16 * k), exp: UInt32(truncatingIfNeeded: u64(scFR + 16 * k + 8) & 0x3ffff))
        }
        for k in 0..<8 { s.br[k] = u64(scBR + 8 * k) }
        s.pr = u64(scPR) | 1
        s.pfs = u64(scPFS)
        s.lc = u64(scLC)
        s.ccv = u64(scCCV)
        s.unat = u64(scUNAT)
        s.fpsr = u64(scFPSR) & ((1 << 58) - 1)  // bits 63:58 are reserved
        // ar.rsc: mode and loadrs from the frame; privilege level 3 and little-endian forced.
        s.rsc = (u64(scRSC) & 0x3fff_0003) | 0xc
        // sc_um: only the user mask's bits could come from here, and none is modelled.
        s.alat.removeAll()
        s.inSyscall = false
        let alt = AltStack(base: u64(scStack), size: u64(scStack + 16),
                           flags: Int32(truncatingIfNeeded: u64(scStack + 8)))
        return (SignalSet(rawValue: u64(scMask)), alt)
    }
}
