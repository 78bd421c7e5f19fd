import GuestKernel
import HostOS
import LinuxABI

/// The x86-64 register table in gdb's amd64 GNU/Linux target description order (64bit-core,
/// 64bit-sse, 64bit-linux, 64bit-segments): rax … r15, rip, eflags, cs ss ds es fs gs,
/// st0–st7, fctrl fstat ftag fiseg fioff foseg fooff fop, xmm0–xmm15, mxcsr, orig_rax,
/// fs_base, gs_base. Values are little-endian. General registers come from PTRACE_GETREGS
/// (`X86Context.regs`), the x87/SSE ones from the FXSAVE image of PTRACE_GETFPREGS.
enum X86RegisterTable {
    static let rip = 16, eflags = 17, cs = 18, st0 = 24, fctrl = 32, ftag = 34, fop = 39, xmm0 = 40
    static let mxcsr = 56, origRAX = 57, fsBase = 58, gsBase = 59

    static let registers: [RegisterInfo] =
        ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
            .map { RegisterInfo($0, 8) }
        + [RegisterInfo("rip", 8), RegisterInfo("eflags", 4)]
        + ["cs", "ss", "ds", "es", "fs", "gs"].map { RegisterInfo($0, 4, .system, writable: false) }
        + (0..<8).map { RegisterInfo("st\($0)", 10, .float) }
        + ["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"].map { RegisterInfo($0, 4, .float) }
        + (0..<16).map { RegisterInfo("xmm\($0)", 16, .vector) }
        + [RegisterInfo("mxcsr", 4, .vector), RegisterInfo("orig_rax", 8, .system),
           RegisterInfo("fs_base", 8, .system), RegisterInfo("gs_base", 8, .system)]

    /// gdb's target description for this table (qXfer:features:read's target.xml): i386:x86-64
    /// with the GNU/Linux osabi and the features of gdb's own amd64-linux description, core,
    /// sse, linux (orig_rax) and segments (fs_base, gs_base), no AVX: the registers are exactly
    /// `registers`, in order (regnum = index), with gdb's types, so gdb numbers them as the
    /// table does and the `g` packet is the table's 560 bytes.
    static let targetDescription: String = {
        var x = """
            <?xml version="1.0"?>
            <!DOCTYPE target SYSTEM "gdb-target.dtd">
            <target version="1.0">
            <architecture>i386:x86-64</architecture>
            <osabi>GNU/Linux</osabi>

            """
        func reg(_ n: Int, _ type: String, group: String? = nil) -> String {
            let r = registers[n]
            return "  <reg name=\"\(r.name)\" bitsize=\"\(8 * r.size)\" type=\"\(type)\" regnum=\"\(n)\"\(group.map { " group=\"\($0)\"" } ?? "")/>\n"
        }
        x += "<feature name=\"org.gnu.gdb.i386.core\">\n" + eflagsType
        for n in 0..<rip { x += reg(n, n == 6 || n == 7 ? "data_ptr" : "int64") }
        x += reg(rip, "code_ptr") + reg(eflags, "i386_eflags")
        for n in cs..<st0 { x += reg(n, "int32") }
        for n in st0..<fctrl { x += reg(n, "i387_ext") }
        for n in fctrl...fop { x += reg(n, "int", group: "float") }
        x += "</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n" + sseTypes
        for n in xmm0..<mxcsr { x += reg(n, "vec128") }
        x += reg(mxcsr, "i386_mxcsr", group: "vector")
        x += "</feature>\n<feature name=\"org.gnu.gdb.i386.linux\">\n" + reg(origRAX, "int")
        x += "</feature>\n<feature name=\"org.gnu.gdb.i386.segments\">\n" + reg(fsBase, "int") + reg(gsBase, "int")
        x += "</feature>\n</target>\n"
        return x
    }()

    /// Types of gdb's 64bit-core.xml and 64bit-sse.xml.
    private static let eflagsType = """
          <flags id="i386_eflags" size="4">
            <field name="CF" start="0" end="0"/><field name="" start="1" end="1"/>
            <field name="PF" start="2" end="2"/><field name="AF" start="4" end="4"/>
            <field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/>
            <field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/>
            <field name="DF" start="10" end="10"/><field name="OF" start="11" end="11"/>
            <field name="NT" start="14" end="14"/><field name="RF" start="16" end="16"/>
            <field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/>
            <field name="VIF" start="19" end="19"/><field name="VIP" start="20" end="20"/>
            <field name="ID" start="21" end="21"/>
          </flags>

        """
    private static let sseTypes = """
          <vector id="v8bf16" type="bfloat16" count="8"/>
          <vector id="v4f" type="ieee_single" count="4"/>
          <vector id="v2d" type="ieee_double" count="2"/>
          <vector id="v16i8" type="int8" count="16"/>
          <vector id="v8i16" type="int16" count="8"/>
          <vector id="v4i32" type="int32" count="4"/>
          <vector id="v2i64" type="int64" count="2"/>
          <union id="vec128">
            <field name="v8_bfloat16" type="v8bf16"/>
            <field name="v4_float" type="v4f"/>
            <field name="v2_double" type="v2d"/>
            <field name="v16_int8" type="v16i8"/>
            <field name="v8_int16" type="v8i16"/>
            <field name="v4_int32" type="v4i32"/>
            <field name="v2_int64" type="v2i64"/>
            <field name="uint128" type="uint128"/>
          </union>
          <flags id="i386_mxcsr" size="4">
            <field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/>
            <field name="ZE" start="2" end="2"/><field name="OE" start="3" end="3"/>
            <field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/>
            <field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/>
            <field name="DM" start="8" end="8"/><field name="ZM" start="9" end="9"/>
            <field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/>
            <field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/>
          </flags>

        """

    /// Byte offsets in the FXSAVE image of fctrl … fop (gdb's i387 fxsave offsets; in the
    /// 64-bit format fiseg/foseg are the high halves of the instruction/operand pointers).
    static let fxsaveControl = [0, 2, 4, 12, 8, 20, 16, 6]
    static let fxsaveControlSize = [2, 2, 1, 4, 4, 4, 4, 2]

    /// gdb's full x87 tag word from the FXSAVE abridged one (valid 0, zero 1, special 2, empty 3).
    static func fullTag(_ fx: UnsafeRawBufferPointer) -> UInt64 {
        let abridged = fx[4]
        let top = Int((fx.load(fromByteOffset: 2, as: UInt16.self) >> 11) & 7)
        var tag: UInt64 = 0
        for physical in 0..<8 {
            var t: UInt64 = 3
            if abridged & (1 << physical) != 0 {
                let st = 32 + 16 * ((physical + 8 - top) % 8)
                let mantissa = fx.loadUnaligned(fromByteOffset: st, as: UInt64.self)
                let exponent = fx.loadUnaligned(fromByteOffset: st + 8, as: UInt16.self) & 0x7fff
                if exponent == 0x7fff { t = 2 }
                else if exponent == 0 { t = mantissa == 0 ? 1 : 2 }
                else { t = mantissa >> 63 != 0 ? 0 : 2 }
            }
            tag |= t << UInt64(2 * physical)
        }
        return tag
    }
}

extension X86Context {
    var registers: [RegisterInfo] { X86RegisterTable.registers }

    /// A general register of `regs` by gdb number (0–23, 57–59).
    private func general(_ n: Int) -> UInt64 {
        switch n {
        case 0: regs.rax; case 1: regs.rbx; case 2: regs.rcx; case 3: regs.rdx
        case 4: regs.rsi; case 5: regs.rdi; case 6: regs.rbp; case 7: regs.rsp
        case 8: regs.r8; case 9: regs.r9; case 10: regs.r10; case 11: regs.r11
        case 12: regs.r12; case 13: regs.r13; case 14: regs.r14; case 15: regs.r15
        case 16: regs.rip; case 17: regs.eflags
        case 18: regs.cs; case 19: regs.ss; case 20: regs.ds; case 21: regs.es; case 22: regs.fs; case 23: regs.gs
        case 57: regs.orig_rax; case 58: regs.fs_base; default: regs.gs_base
        }
    }
    private func setGeneral(_ n: Int, _ v: UInt64) {
        switch n {
        case 0: regs.rax = v; case 1: regs.rbx = v; case 2: regs.rcx = v; case 3: regs.rdx = v
        case 4: regs.rsi = v; case 5: regs.rdi = v; case 6: regs.rbp = v; case 7: regs.rsp = v
        case 8: regs.r8 = v; case 9: regs.r9 = v; case 10: regs.r10 = v; case 11: regs.r11 = v
        case 12: regs.r12 = v; case 13: regs.r13 = v; case 14: regs.r14 = v; case 15: regs.r15 = v
        case 16: regs.rip = v; case 17: regs.eflags = v
        case 57: regs.orig_rax = v; case 58: regs.fs_base = v; default: regs.gs_base = v
        }
        dirty = .all
    }
    private func isFloating(_ n: Int) -> Bool { n >= X86RegisterTable.st0 && n <= X86RegisterTable.mxcsr }

    func readRegister(_ n: Int) throws(LinuxErrno) -> [UInt8] {
        try RegisterBytes.checkRead(X86RegisterTable.registers, n)
        try materialize()
        let size = X86RegisterTable.registers[n].size
        guard isFloating(n) else { return RegisterBytes.encode(general(n), size: size, bigEndian: false) }
        var fp = X86FPRegisters()
        try tracee.fpRegisters(into: &fp)
        return withUnsafeBytes(of: &fp) { fx -> [UInt8] in
            switch n {
            case X86RegisterTable.st0..<X86RegisterTable.fctrl:
                let at = 32 + 16 * (n - X86RegisterTable.st0)
                return Array(fx[at..<at + 10])
            case X86RegisterTable.ftag:
                return RegisterBytes.encode(X86RegisterTable.fullTag(fx), size: 4, bigEndian: false)
            case X86RegisterTable.fctrl...X86RegisterTable.fop:
                let k = n - X86RegisterTable.fctrl
                let at = X86RegisterTable.fxsaveControl[k]
                var bytes = Array(fx[at..<at + X86RegisterTable.fxsaveControlSize[k]]) + [0, 0, 0, 0]
                if n == X86RegisterTable.fop { bytes[1] &= 0x07 }  // an 11-bit opcode
                return Array(bytes[0..<4])
            case X86RegisterTable.xmm0..<X86RegisterTable.mxcsr:
                let at = 160 + 16 * (n - X86RegisterTable.xmm0)
                return Array(fx[at..<at + 16])
            default:
                return Array(fx[24..<28])
            }
        }
    }

    func writeRegister(_ n: Int, _ bytes: [UInt8]) throws(LinuxErrno) {
        try RegisterBytes.checkWrite(X86RegisterTable.registers, n, bytes)
        try materialize()
        guard isFloating(n) else {
            setGeneral(n, RegisterBytes.decode(bytes, bigEndian: false))
            return
        }
        var fp = X86FPRegisters()
        try tracee.fpRegisters(into: &fp)
        withUnsafeMutableBytes(of: &fp) { fx in
            func put(_ at: Int, _ count: Int) { for k in 0..<count { fx[at + k] = bytes[k] } }
            switch n {
            case X86RegisterTable.st0..<X86RegisterTable.fctrl: put(32 + 16 * (n - X86RegisterTable.st0), 10)
            case X86RegisterTable.ftag:
                // Back to the abridged form: a register is valid unless tagged empty (3).
                let tag = RegisterBytes.decode(bytes, bigEndian: false)
                var abridged: UInt8 = 0
                for physical in 0..<8 where (tag >> UInt64(2 * physical)) & 3 != 3 { abridged |= 1 << physical }
                fx[4] = abridged
            case X86RegisterTable.fctrl...X86RegisterTable.fop:
                let k = n - X86RegisterTable.fctrl
                put(X86RegisterTable.fxsaveControl[k], X86RegisterTable.fxsaveControlSize[k])
            case X86RegisterTable.xmm0..<X86RegisterTable.mxcsr: put(160 + 16 * (n - X86RegisterTable.xmm0), 16)
            default: put(24, 4)
            }
        }
        try tracee.setFPRegisters(&fp)
    }

    func setInstructionPointer(_ address: UInt64) {
        if notice != nil { materializeOrLose() }
        regs.rip = address
        dirty = .all
    }
}
