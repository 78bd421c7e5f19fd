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

extension PPCBackend {
    /// gdb's target description of 32-bit PowerPC GNU/Linux: the power core, FPU and linux
    /// features with `PPCRegisterTable`'s numbering (gdb's own: r0–r31, f0–f31 from 32, pc 64,
    /// msr, cr, lr, ctr, xer, fpscr 70, orig_r3 71, trap 72).
    public var gdbTargetDescription: String? {
        var core = "", fpu = ""
        for n in 0..<32 {
            core += "    <reg name=\"r\(n)\" bitsize=\"32\" type=\"uint32\" regnum=\"\(n)\"/>\n"
            fpu += "    <reg name=\"f\(n)\" bitsize=\"64\" type=\"ieee_double\" regnum=\"\(32 + n)\"/>\n"
        }
        core += """
                <reg name="pc" bitsize="32" type="code_ptr" regnum="64"/>
                <reg name="msr" bitsize="32" type="uint32" regnum="65"/>
                <reg name="cr" bitsize="32" type="uint32" regnum="66"/>
                <reg name="lr" bitsize="32" type="code_ptr" regnum="67"/>
                <reg name="ctr" bitsize="32" type="uint32" regnum="68"/>
                <reg name="xer" bitsize="32" type="uint32" regnum="69"/>

            """
        fpu += "    <reg name=\"fpscr\" bitsize=\"32\" group=\"float\" regnum=\"70\"/>\n"
        return """
            <?xml version="1.0"?>
            <!DOCTYPE target SYSTEM "gdb-target.dtd">
            <target version="1.0">
              <architecture>powerpc:common</architecture>
              <osabi>GNU/Linux</osabi>
              <feature name="org.gnu.gdb.power.core">
            \(core)  </feature>
              <feature name="org.gnu.gdb.power.fpu">
            \(fpu)  </feature>
              <feature name="org.gnu.gdb.power.linux">
                <reg name="orig_r3" bitsize="32" regnum="71"/>
                <reg name="trap" bitsize="32" regnum="72"/>
              </feature>
            </target>

            """
    }

    /// gdb's PowerPC breakpoint, `twge r2,r2` (the interpreter reports it as a breakpoint stop).
    public func softwareBreakpoint(kind: Int) -> [UInt8]? { kind == 4 ? [0x7d, 0x82, 0x10, 0x08] : nil }
}
