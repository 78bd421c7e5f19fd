import Testing
@testable import ArchIA64
@testable import ArchPowerPC
@testable import ArchX86_64
@testable import GuestKernel
import LinuxABI
@testable import SoftMMU

// The debugger interface of ExecutionContext (register tables in gdb's numbering, register
// access, single step, breakpoint stops) on the interpreters, in process: code is placed in
// SoftMMU memory and run by the shared engine. The expected tables were read from
// gdb-multiarch 13.1 (`maint print registers`: powerpc:common with osabi GNU/Linux, whose
// power-linux feature adds orig_r3 and trap; ia64-elf64's first 462 raw registers) and from
// gdb's amd64 GNU/Linux target description (64bit-core/sse/linux/segments).

/// A distinct byte pattern for register `n` of `size` bytes.
private func pattern(_ n: Int, _ size: Int) -> [UInt8] { (0..<size).map { UInt8(truncatingIfNeeded: n &* 7 &+ $0 &* 13 &+ 1) } }

/// A read-write-execute page at `address` holding `code`.
private func codePage(_ m: SoftMemory, at address: UInt64, _ code: [UInt8]) throws {
    try m.map(address, length: SoftMemory.pageSize, protection: [.read, .write, .execute], shared: false, backing: .anonymous)
    try code.withUnsafeBytes { p in try m.write(address, from: p) }
}

@Suite struct PowerPCRegisterInterface {
    // Contexts hold their backend unowned: the suite keeps it.
    let backend = PPCBackend()
    func context() -> PPCContext { PPCContext(backend: backend, memory: try! PPCContext.newMemory(backend.words)) }

    @Test func tableMatchesGDB() {
        let t = context().registers
        #expect(t.count == 73)
        for i in 0..<32 { #expect(t[i] == RegisterInfo("r\(i)", 4)); #expect(t[32 + i].name == "f\(i)" && t[32 + i].size == 8) }
        let tail = ["pc", "msr", "cr", "lr", "ctr", "xer", "fpscr", "orig_r3", "trap"]
        for (k, name) in tail.enumerated() { #expect(t[64 + k].name == name); #expect(t[64 + k].size == 4) }
    }

    @Test func writeReadRoundTrip() throws {
        let c = context()
        for (n, r) in c.registers.enumerated() where r.writable {
            try c.writeRegister(n, pattern(n, r.size))
        }
        for (n, r) in c.registers.enumerated() where r.writable {
            #expect(try c.readRegister(n) == pattern(n, r.size), "register \(n) \(r.name)")
        }
        // Big-endian, as gdb's packets for this target: r3 = 0x01020304.
        try c.writeRegister(3, [1, 2, 3, 4])
        #expect(c.regs.pointee.gpr.3 == 0x0102_0304)
        #expect(throws: LinuxErrno.EINVAL) { try c.writeRegister(3, [1, 2]) }
        #expect(throws: LinuxErrno.EPERM) { try c.writeRegister(PPCRegisterTable.msr, [0, 0, 0, 0]) }
        #expect(throws: LinuxErrno.EINVAL) { try c.readRegister(73) }
    }

    @Test func singleStepAndBreakpoint() throws {
        let c = context()
        // li r3,1 ; li r4,2 ; addi r3,r3,5 ; twge r2,r2 (gdb's breakpoint) ; trap
        let words: [UInt32] = [0x3860_0001, 0x3880_0002, 0x3863_0005, 0x7d82_1008, 0x7fe0_0008]
        try codePage(c.memory, at: 0x10000, words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (24 - 8 * $0)) } })
        c.setInstructionPointer(0x10000)
        #expect(c.singleStep() == .debug(.stepped))
        #expect(c.instructionPointer == 0x10004)
        #expect(c.regs.pointee.gpr.3 == 1 && c.regs.pointee.gpr.4 == 0)
        #expect(c.backend.engine.retired == 1)
        #expect(c.singleStep() == .debug(.stepped))
        #expect(c.instructionPointer == 0x10008 && c.regs.pointee.gpr.4 == 2 && c.regs.pointee.gpr.3 == 1)
        #expect(c.singleStep() == .debug(.stepped))
        #expect(c.regs.pointee.gpr.3 == 6 && c.backend.engine.retired == 3)
        // Without a debugger the breakpoint is Linux's SIGTRAP; with one, a breakpoint stop.
        #expect(c.singleStep() == .fault(.SIGTRAP, code: 1, address: 0x1000c))
        c.reportsBreakpoints = true
        #expect(c.singleStep() == .debug(.breakpoint(address: 0x1000c)))
        #expect(c.instructionPointer == 0x1000c)
        c.setInstructionPointer(0x10010)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.breakpoint(address: 0x10010)))
        // Back to the start: a run goes to the first breakpoint.
        c.setInstructionPointer(0x10000)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.breakpoint(address: 0x1000c)))
        #expect(try c.readRegister(3) == [0, 0, 0, 6])
    }
}

@Suite struct IA64RegisterInterface {
    let backend = IA64Backend()
    func context() -> IA64Context { IA64Context(backend: backend, memory: try! IA64Context.newMemory(), state: try! IA64State()) }

    @Test func tableMatchesGDB() {
        let t = context().registers
        #expect(t.count == 462)
        for i in 0..<128 {
            #expect(t[i].name == (i < 32 ? "r\(i)" : "") && t[i].size == 8)
            #expect(t[128 + i].name == "f\(i)" && t[128 + i].size == 16)
        }
        for i in 256..<320 { #expect(t[i].name == "" && t[i].size == 8) }
        let named: [Int: String] = [
            320: "b0", 327: "b7", 328: "vfp", 329: "vrap", 330: "pr", 331: "ip", 332: "psr", 333: "cfm",
            334: "kr0", 341: "kr7", 350: "rsc", 351: "bsp", 352: "bspstore", 353: "rnat", 355: "fcr",
            358: "eflag", 359: "csd", 360: "ssd", 361: "cflg", 362: "fsr", 363: "fir", 364: "fdr", 366: "ccv",
            370: "unat", 374: "fpsr", 378: "itc", 398: "pfs", 399: "lc", 400: "ec",
        ]
        for (n, name) in named { #expect(t[n].name == name, "register \(n)") }
        // gdb leaves the other application registers unnamed.
        #expect(t[334...].filter { !$0.name.isEmpty }.count == 27)
        #expect(t[320...].allSatisfy { $0.size == 8 })
    }

    @Test func writeReadRoundTrip() throws {
        let c = context()
        c.state.cfm.sof = 96  // every stacked register in the frame
        for (n, r) in c.registers.enumerated() where r.writable { try c.writeRegister(n, pattern(n, r.size)) }
        // pr and p0–p63 are one state, so are psr.ri and the slot: checked on their own below.
        // ar.rsc and ar.ec keep only their defined bits.
        let aliased: Set<Int> = Set(256..<320).union([IA64RegisterTable.pr, IA64RegisterTable.psr, IA64RegisterTable.ar0 + 16, IA64RegisterTable.ar0 + 66])
        for (n, r) in c.registers.enumerated() where r.writable && !aliased.contains(n) {
            var expected = pattern(n, r.size)
            if r.size == 16 { expected[10] &= 3; for k in 11..<16 { expected[k] = 0 } }  // 82 bits
            if n == IA64RegisterTable.ip { expected[0] &= 0xf0 }  // a bundle address
            #expect(try c.readRegister(n) == expected, "register \(n) \(r.name)")
        }
        try c.writeRegister(IA64RegisterTable.pr, RegisterBytes.encode(0x8000_0000_0000_0006, size: 8, bigEndian: false))
        #expect(try c.readRegister(IA64RegisterTable.pr) == RegisterBytes.encode(0x8000_0000_0000_0007, size: 8, bigEndian: false))
        #expect(try c.readRegister(256 + 63) == RegisterBytes.encode(1, size: 8, bigEndian: false))
        try c.writeRegister(256 + 2, RegisterBytes.encode(0, size: 8, bigEndian: false))
        #expect(c.state.pr == 0x8000_0000_0000_0003)
        try c.writeRegister(IA64RegisterTable.psr, RegisterBytes.encode(2 << 41, size: 8, bigEndian: false))
        #expect(c.state.slot == 2 && c.instructionPointer & 15 == 2)
        try c.writeRegister(IA64RegisterTable.ar0 + 66, RegisterBytes.encode(0x25, size: 8, bigEndian: false))
        #expect(c.state.ec == 0x25)
        try c.writeRegister(IA64RegisterTable.ar0 + 16, RegisterBytes.encode(0xffff_ffff_ffff_ffff, size: 8, bigEndian: false))
        #expect(c.state.rsc == 0x3fff_001f)
        #expect(throws: LinuxErrno.EPERM) { try c.writeRegister(0, [UInt8](repeating: 0, count: 8)) }
        #expect(throws: LinuxErrno.EPERM) { try c.writeRegister(IA64RegisterTable.ar0 + 17, [UInt8](repeating: 0, count: 8)) }
        #expect(throws: LinuxErrno.EINVAL) { try c.writeRegister(128 + 5, [UInt8](repeating: 0, count: 8)) }
    }

    @Test func singleStepOneSlotAndBreakpoint() throws {
        let c = context()
        // [MII] adds r8=1,r0 ; adds r9=2,r0 ; adds r10=3,r0;;
        // [MIB] adds r8=10,r8 ; break.i 0xccccc (gdb's breakpoint) ; nop.b 0;;
        // [MIB] nop.m 0 ; break.i 0x5 ; nop.b 0;;
        let code: [UInt8] = [
            0x01, 0x40, 0x04, 0x00, 0x00, 0x21, 0x90, 0x10, 0x00, 0x00, 0x42, 0x40, 0x31, 0x00, 0x00, 0x84,
            0x11, 0x40, 0x28, 0x10, 0x00, 0x21, 0xc0, 0xcc, 0xcc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20,
            0x11, 0x00, 0x00, 0x00, 0x01, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20,
        ]
        let base: UInt64 = 0x4000_0000_0000_0000
        try codePage(c.memory, at: base, code)
        c.setInstructionPointer(base)
        #expect(c.singleStep() == .debug(.stepped))
        #expect(c.instructionPointer == base + 1)
        #expect(c.state.gr[8] == 1 && c.state.gr[9] == 0)
        #expect(c.backend.engine.retired == 1)
        #expect(c.singleStep() == .debug(.stepped))
        #expect(c.instructionPointer == base + 2 && c.state.gr[9] == 2 && c.state.gr[10] == 0)
        #expect(c.singleStep() == .debug(.stepped))
        #expect(c.instructionPointer == base + 16 && c.state.gr[10] == 3)
        #expect(try c.readRegister(IA64RegisterTable.ip) == RegisterBytes.encode(base + 16, size: 8, bigEndian: false))
        #expect(c.singleStep() == .debug(.stepped))
        #expect(c.instructionPointer == base + 17 && c.state.gr[8] == 11 && c.backend.engine.retired == 4)
        #expect(try c.readRegister(IA64RegisterTable.psr) == RegisterBytes.encode(1 << 41, size: 8, bigEndian: false))
        // gdb's break: SIGTRAP without a debugger, a breakpoint stop with one; other breaks stay SIGTRAP.
        #expect(c.singleStep() == .fault(.SIGTRAP, code: 1, address: base + 17))
        c.reportsBreakpoints = true
        #expect(c.singleStep() == .debug(.breakpoint(address: base + 17)))
        #expect(c.instructionPointer == base + 17)
        c.setInstructionPointer(base + 32)
        #expect(c.run(sliceNanoseconds: 0) == .fault(.SIGTRAP, code: 1, address: base + 32))
        c.setInstructionPointer(base)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.breakpoint(address: base + 17)))
        #expect(c.state.gr[8] == 11)
    }
}

@Suite struct X86RegisterTableShape {
    @Test func tableMatchesGDBAmd64Linux() {
        let t = X86RegisterTable.registers
        #expect(t.count == 60)
        let gp = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
        for (i, name) in gp.enumerated() { #expect(t[i] == RegisterInfo(name, 8)) }
        #expect(t[16].name == "rip" && t[16].size == 8)
        #expect(t[17].name == "eflags" && t[17].size == 4)
        for (k, name) in ["cs", "ss", "ds", "es", "fs", "gs"].enumerated() { #expect(t[18 + k].name == name && t[18 + k].size == 4) }
        for k in 0..<8 { #expect(t[24 + k].name == "st\(k)" && t[24 + k].size == 10) }
        for (k, name) in ["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"].enumerated() {
            #expect(t[32 + k].name == name && t[32 + k].size == 4)
        }
        for k in 0..<16 { #expect(t[40 + k].name == "xmm\(k)" && t[40 + k].size == 16) }
        #expect(t[56].name == "mxcsr" && t[56].size == 4)
        #expect(t[57].name == "orig_rax" && t[57].size == 8)
        #expect(t[58].name == "fs_base" && t[58].size == 8)
        #expect(t[59].name == "gs_base" && t[59].size == 8)
        // gdb's `g` packet for this description: 560 bytes.
        #expect(t.reduce(0) { $0 + $1.size } == 560)
    }

    @Test func fullTagWord() {
        var fx = [UInt8](repeating: 0, count: 512)
        #expect(fx.withUnsafeBytes { X86RegisterTable.fullTag($0) } == 0xffff)  // all empty
        // One value pushed: TOP = 7, physical register 7 valid holding 1.0 (st0).
        fx[2] = 0x00; fx[3] = 0x38; fx[4] = 0x80
        fx[32 + 7] = 0x80; fx[32 + 8] = 0xff; fx[32 + 9] = 0x3f
        #expect(fx.withUnsafeBytes { X86RegisterTable.fullTag($0) } == 0x3fff)
    }
}

@Suite struct DebugStops {
    @Test func undebuggedStopsAreLinuxSigtraps() {
        #expect(DebugStop.stepped.signalInfo.code == 2)
        let b = DebugStop.breakpoint(address: 0x1234).signalInfo
        #expect(b.signal == .SIGTRAP && b.code == 1 && b.address == 0x1234)
        #expect(DebugStop.watchpoint(.write, address: 8).signalInfo.code == 4)
    }
}
