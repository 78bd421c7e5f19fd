import GuestKernel
import LinuxABI

/// The PowerPC register table in gdb's `powerpc:common` order with the GNU/Linux additions
/// (power-core, power-fpu, power-linux): r0–r31, f0–f31, pc, msr, cr, lr, ctr, xer, fpscr,
/// orig_r3, trap. Values are big-endian, as gdb's packets for this target.
enum PPCRegisterTable {
    static let pc = 64, msr = 65, cr = 66, lr = 67, ctr = 68, xer = 69, fpscr = 70, origR3 = 71, trap = 72

    static let registers: [RegisterInfo] =
        (0..<32).map { RegisterInfo("r\($0)", 4) }
        + (0..<32).map { RegisterInfo("f\($0)", 8, .float) }
        + [RegisterInfo("pc", 4), RegisterInfo("msr", 4, .system, writable: false), RegisterInfo("cr", 4),
           RegisterInfo("lr", 4), RegisterInfo("ctr", 4), RegisterInfo("xer", 4), RegisterInfo("fpscr", 4, .float),
           RegisterInfo("orig_r3", 4, .system), RegisterInfo("trap", 4, .system, writable: false)]

    /// The user-mode MSR of 32-bit PowerPC Linux (EE, PR, ME, IR, DR, RI; FP as the kernel
    /// enables it on first use, which umlab's FPU needs no help for).
    static let userMSR: UInt32 = 0xd032
}

extension PPCContext {
    var registers: [RegisterInfo] { PPCRegisterTable.registers }

    func readRegister(_ n: Int) throws(LinuxErrno) -> [UInt8] {
        try RegisterBytes.checkRead(PPCRegisterTable.registers, n)
        return RegisterBytes.encode(registerValue(n), size: PPCRegisterTable.registers[n].size, bigEndian: true)
    }

    func writeRegister(_ n: Int, _ bytes: [UInt8]) throws(LinuxErrno) {
        try RegisterBytes.checkWrite(PPCRegisterTable.registers, n, bytes)
        let v = RegisterBytes.decode(bytes, bigEndian: true)
        let w = UInt32(truncatingIfNeeded: v)
        let r = regs
        switch n {
        case 0..<32: UnsafeMutableRawPointer(r).assumingMemoryBound(to: UInt32.self)[n] = w
        case 32..<64:
            withUnsafeMutableBytes(of: &r.pointee.fpr) { $0.storeBytes(of: v, toByteOffset: (n - 32) * 8, as: UInt64.self) }
        case PPCRegisterTable.pc: r.pointee.pc = w
        case PPCRegisterTable.cr: r.pointee.cr = w
        case PPCRegisterTable.lr: r.pointee.lr = w
        case PPCRegisterTable.ctr: r.pointee.ctr = w
        case PPCRegisterTable.xer: r.pointee.xer = w
        case PPCRegisterTable.fpscr: r.pointee.fpscr = w
        case PPCRegisterTable.origR3: r.pointee.origR3 = w
        default: throw .EPERM
        }
    }

    func registerValue(_ n: Int) -> UInt64 {
        let r = regs.pointee
        switch n {
        case 0..<32: return UInt64(UnsafeRawPointer(regs).assumingMemoryBound(to: UInt32.self)[n])
        case 32..<64: return withUnsafeBytes(of: r.fpr) { $0.load(fromByteOffset: (n - 32) * 8, as: UInt64.self) }
        case PPCRegisterTable.pc: return UInt64(r.pc)
        case PPCRegisterTable.msr: return UInt64(PPCRegisterTable.userMSR)
        case PPCRegisterTable.cr: return UInt64(r.cr)
        case PPCRegisterTable.lr: return UInt64(r.lr)
        case PPCRegisterTable.ctr: return UInt64(r.ctr)
        case PPCRegisterTable.xer: return UInt64(r.xer)
        case PPCRegisterTable.fpscr: return UInt64(r.fpscr)
        case PPCRegisterTable.origR3: return UInt64(r.origR3)
        default: return stoppedAtSyscall ? 0xc00 : 0  // trap: the vector Linux reports
        }
    }

    func setInstructionPointer(_ address: UInt64) { regs.pointee.pc = UInt32(truncatingIfNeeded: address) }
}
