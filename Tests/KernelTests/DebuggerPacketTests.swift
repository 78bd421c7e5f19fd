import Testing
@testable import ArchPowerPC
@testable import GuestKernel
import HostOS
import LinuxABI
@testable import SoftMMU

// The GDB stub's packet layer in process: framing, checksums, escapes and hostile input (bad
// checksums, huge lengths, bad hex, unknown threads) get `-` or error replies, never a trap;
// and the interpreters' debug points (hardware breakpoints at decode time, watchpoints through
// the slow path, debugger writes into read-only code).

@Suite struct RSPFramingTests {
    @Test func packetsAcksAndInterrupt() {
        var r = RSPReader(maximum: 64)
        #expect(r.feed(Array("+$g#67".utf8)) == [.ack(true), .packet(Array("g".utf8))])
        #expect(r.feed([0x03]) == [.interrupt])
        // Split anywhere, and noise between packets ignored.
        #expect(r.feed(Array("xx$m1,".utf8)) == [])
        #expect(r.feed(Array("2#f".utf8)) == [])
        #expect(r.feed(Array("c".utf8)) == [.packet(Array("m1,2".utf8))])
    }

    @Test func corruptInput() {
        var r = RSPReader(maximum: 8)
        #expect(r.feed(Array("$g#00".utf8)) == [.corrupt])             // wrong checksum
        #expect(r.feed(Array("$g#zz".utf8)) == [.corrupt])             // not hex
        #expect(r.feed(Array("$0123456789abcdef#00".utf8)) == [.corrupt])  // longer than the buffer
        #expect(r.feed(Array("$g$g#67".utf8)) == [.corrupt, .packet(Array("g".utf8))])  // a new start
        // Still in step afterwards.
        #expect(r.feed(Array("$?#3f".utf8)) == [.packet(Array("?".utf8))])
    }

    @Test func framingEscapesReservedBytes() {
        #expect(RSPWriter.frame("OK") == Array("$OK#9a".utf8))
        let framed = RSPWriter.frame([0x23, 0x24, 0x7d, 0x2a, 0x41])
        #expect(Array(framed.prefix(10)) == [0x24, 0x7d, 0x03, 0x7d, 0x04, 0x7d, 0x5d, 0x7d, 0x0a, 0x41])
        // What the reader gets back, unescaped as X packets are, is the original.
        var r = RSPReader(maximum: 64)
        guard case .packet(let p) = r.feed(framed).first else { Issue.record("no packet"); return }
        #expect(RSPHex.unescape(p) == [0x23, 0x24, 0x7d, 0x2a, 0x41])
        #expect(RSPHex.unescape(Array("ab}".utf8)) == nil)
    }

    @Test func hexFields() {
        #expect(RSPHex.number(Array("ffffffffffffffff".utf8)) == .max)
        #expect(RSPHex.number(Array("1ffffffffffffffff".utf8)) == nil)
        #expect(RSPHex.number(Array("".utf8)) == nil)
        #expect(RSPHex.number(Array("12g".utf8)) == nil)
        #expect(RSPHex.decode(Array("0aFf".utf8)) == [0x0a, 0xff])
        #expect(RSPHex.decode(Array("0a1".utf8)) == nil)
        #expect(RSPHex.decode(Array("zz".utf8)) == nil)
    }
}

@Suite(.serialized) struct GDBStubPacketTests {
    /// A stub on a scripted kernel's first process, fed packets directly.
    func stub() throws -> (ScriptedKernel, GDBStub) {
        let k = try ScriptedKernel()
        k.backend.initial = (ScriptChannel(), SignalLog())
        let task = try k.kernel.bootWithoutProgram()
        _ = try task.mm.map(address: 0x1000_0000, length: 1 << 20, protection: .rw, fixed: true, shared: false, file: nil, offset: 0, name: "[scratch]")
        _ = try k.kernel.startDebugger(listen: HostSocket.Endpoint(IPAddress("127.0.0.1")!, 0), wait: true)
        return (k, k.kernel.debugger!)
    }
    func ask(_ s: GDBStub, _ packet: String) -> String? { s.handle(Array(packet.utf8)) }

    @Test func hostilePacketsGetErrorReplies() throws {
        let (k, s) = try stub()
        defer { k.kernel.end() }
        #expect(ask(s, "qSupported:multiprocess+;swbreak+")?.contains("PacketSize=4000") == true)
        #expect(ask(s, "?") == "T05thread:p2.2;")
        #expect(ask(s, "qfThreadInfo") == "mp2.2")
        #expect(ask(s, "qsThreadInfo") == "l")
        // Memory: unmapped, huge lengths, wrapping ranges, bad hex, length mismatches.
        #expect(ask(s, "m0,4") == "E0e")
        #expect(ask(s, "mffffffffffffffff,ffffffffffffffff") == "E0e")
        #expect(ask(s, "m10000000,ffffffffffffffffff") == "E01")
        #expect(ask(s, "mzz,4") == "E01")
        #expect(ask(s, "m10000000") == "E01")
        #expect(ask(s, "M10000000,2:0102") == "OK")
        #expect(ask(s, "m10000000,2") == "0102")
        #expect(ask(s, "M10000000,4:0102") == "E01")
        #expect(ask(s, "M10000000,1:0g") == "E01")
        #expect(ask(s, "Mffffffffffffffff,2:0102") == "E0e")
        #expect(ask(s, "X10000000,2:}") == "E01")
        #expect(ask(s, "X10000000,1:}\u{03}") == "OK")
        #expect(ask(s, "m10000000,1") == "23")
        // A read as large as it may be is cut to what a packet holds.
        let big = ask(s, "m10000000,100000") ?? ""
        #expect(big.count <= 0x4000 && big.count > 0x3000)
        // Registers and threads that do not exist.
        #expect(ask(s, "pffff") == "E01")
        #expect(ask(s, "p1ffffffffffffffff") == "E01")
        #expect(ask(s, "P0=zz") == "E01")
        #expect(ask(s, "Hgp99.99") == "E01")
        #expect(ask(s, "Hgp2.2") == "OK")
        #expect(ask(s, "Tp2.7") == "E01")
        #expect(ask(s, "Tp2.2") == "OK")
        #expect(ask(s, "vCont;x") == "E01")
        #expect(ask(s, "vCont;s:p99.99") == "E01")
        #expect(ask(s, "vCont;Czz") == "E01")
        #expect(ask(s, "vCont;C") == "E01")
        #expect(ask(s, "vCont;C100") == "E01")
        #expect(ask(s, "vCont;c05") == "E01")
        #expect(ask(s, "Czz") == "E01")
        #expect(ask(s, "S1ff") == "E01")
        #expect(ask(s, "QPassSignals:e;zz") == "E01")
        #expect(ask(s, "QPassSignals:e;14;8f") == "OK")
        #expect(ask(s, "QPassSignals:") == "OK")
        // Breakpoints and catchpoints with malformed fields.
        #expect(ask(s, "Z0,zz,4") == "E01")
        #expect(ask(s, "Z2,10000000,0") == "E16")
        #expect(ask(s, "Z9,10000000,4") == "")
        #expect(ask(s, "QCatchSyscalls:1;zz") == "E01")
        #expect(ask(s, "QCatchSyscalls:2") == "E01")
        #expect(ask(s, "QCatchSyscalls:1;40;4") == "OK")
        #expect(ask(s, "qXfer:features:read:target.xml:0,zz") == "E00")
        #expect(ask(s, "qXfer:exec-file:read:99999:0,100") == "E01")
        #expect(ask(s, "qRcmd,zz") == "E01")
        #expect(ask(s, "qRcmd," + RSPHex.encode("maps 99999")) == "E01")
        #expect(ask(s, "") == "")
        #expect(ask(s, "qUnknownThing") == "")
        #expect(ask(s, "vMustReplyEmpty") == "")
        #expect(ask(s, "qXfer:threads:read::0,1000")?.contains("<thread id=\"p2.2\"") == true)
    }
}

@Suite struct InterpreterDebugPoints {
    let backend = PPCBackend()
    func context() -> PPCContext { PPCContext(backend: backend, memory: try! PPCContext.newMemory(backend.words)) }
    func code(_ words: [UInt32]) -> [UInt8] { words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (24 - 8 * $0)) } } }

    /// A hardware breakpoint is made when its page is decoded, and goes when it is removed.
    @Test func hardwareBreakpointAtDecodeTime() throws {
        let c = context()
        c.reportsBreakpoints = true
        // li r3,1 ; li r4,2 ; addi r3,r3,5 ; trap
        try c.memory.map(0x10000, length: 4096, protection: [.read, .execute], shared: false, backing: .anonymous)
        try code([0x3860_0001, 0x3880_0002, 0x3863_0005, 0x7fe0_0008]).withUnsafeBytes { try c.memory.debuggerWrite(0x10000, from: $0) }
        c.setInstructionPointer(0x10000)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.breakpoint(address: 0x1000c)))  // decoded now
        try c.setDebugPoints([DebugPoint(.execute, address: 0x10004)])
        c.regs.pointee.gpr.3 = 0; c.regs.pointee.gpr.4 = 0
        c.setInstructionPointer(0x10000)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.breakpoint(address: 0x10004)))
        #expect(c.regs.pointee.gpr.4 == 0)
        try c.setDebugPoints([])
        #expect(c.run(sliceNanoseconds: 0) == .debug(.breakpoint(address: 0x1000c)))
        #expect(c.regs.pointee.gpr.4 == 2 && c.regs.pointee.gpr.3 == 6)
    }

    /// A debugger write reaches read-only code and drops its decoded form.
    @Test func debuggerWriteIntoReadOnlyCode() throws {
        let c = context()
        c.reportsBreakpoints = true
        try c.memory.map(0x10000, length: 4096, protection: [.read, .execute], shared: false, backing: .anonymous)
        try code([0x3860_0001, 0x7fe0_0008]).withUnsafeBytes { try c.memory.debuggerWrite(0x10000, from: $0) }
        #expect(throws: LinuxErrno.EFAULT) { try code([0]).withUnsafeBytes { try c.memory.write(0x10000, from: $0) } }
        c.setInstructionPointer(0x10000)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.breakpoint(address: 0x10004)))
        try code([0x3860_0007]).withUnsafeBytes { try c.memory.debuggerWrite(0x10000, from: $0) }
        c.setInstructionPointer(0x10000)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.breakpoint(address: 0x10004)))
        #expect(c.regs.pointee.gpr.3 == 7)
        #expect(throws: LinuxErrno.EFAULT) { try code([0]).withUnsafeBytes { try c.memory.debuggerWrite(0x20000, from: $0) } }
    }

    /// A write watchpoint stops after the storing instruction, with the pc after it; reads of
    /// the same word do not stop it, an access watchpoint does.
    @Test func watchpointsStopAfterTheAccess() throws {
        let c = context()
        c.reportsBreakpoints = true
        try c.memory.map(0x10000, length: 4096, protection: [.read, .execute], shared: false, backing: .anonymous)
        try c.memory.map(0x20000, length: 4096, protection: [.read, .write], shared: false, backing: .anonymous)
        // lis r5,2 ; lwz r6,16(r5) ; li r3,9 ; stw r3,16(r5) ; li r4,1 ; trap
        try code([0x3ca0_0002, 0x80c5_0010, 0x3860_0009, 0x9065_0010, 0x3880_0001, 0x7fe0_0008])
            .withUnsafeBytes { try c.memory.debuggerWrite(0x10000, from: $0) }
        try c.setDebugPoints([DebugPoint(.watch(.write), address: 0x20010, length: 4)])
        c.setInstructionPointer(0x10000)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.watchpoint(.write, address: 0x20010)))
        #expect(c.instructionPointer == 0x10010 && c.regs.pointee.gpr.4 == 0)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.breakpoint(address: 0x10014)))
        try c.setDebugPoints([DebugPoint(.watch(.access), address: 0x20010, length: 4)])
        c.setInstructionPointer(0x10000)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.watchpoint(.access, address: 0x20010)))
        #expect(c.instructionPointer == 0x10008)
        try c.setDebugPoints([])
        #expect(c.run(sliceNanoseconds: 0) == .debug(.breakpoint(address: 0x10014)))
        #expect(try c.readRegister(3) == [0, 0, 0, 9])
    }

    /// A watched range is hit by any access overlapping it, not only one starting in it: the
    /// word stored at 0x20010 covers a watched halfword at 0x20012; a byte just past the word
    /// is not touched.
    @Test func watchedRangesHitByOverlappingAccesses() throws {
        let c = context()
        c.reportsBreakpoints = true
        try c.memory.map(0x10000, length: 4096, protection: [.read, .execute], shared: false, backing: .anonymous)
        try c.memory.map(0x20000, length: 4096, protection: [.read, .write], shared: false, backing: .anonymous)
        // lis r5,2 ; lwz r6,16(r5) ; li r3,9 ; stw r3,16(r5) ; li r4,1 ; trap
        try code([0x3ca0_0002, 0x80c5_0010, 0x3860_0009, 0x9065_0010, 0x3880_0001, 0x7fe0_0008])
            .withUnsafeBytes { try c.memory.debuggerWrite(0x10000, from: $0) }
        try c.setDebugPoints([DebugPoint(.watch(.write), address: 0x20014, length: 1),
                              DebugPoint(.watch(.write), address: 0x20012, length: 2)])
        c.setInstructionPointer(0x10000)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.watchpoint(.write, address: 0x20012)))
        #expect(c.instructionPointer == 0x10010)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.breakpoint(address: 0x10014)))
        // The load of the word reads the watched halfword's bytes: an access watchpoint on
        // its last byte stops after the lwz.
        try c.setDebugPoints([DebugPoint(.watch(.access), address: 0x20013, length: 1)])
        c.setInstructionPointer(0x10000)
        #expect(c.run(sliceNanoseconds: 0) == .debug(.watchpoint(.access, address: 0x20013)))
        #expect(c.instructionPointer == 0x10008)
    }
}

/// gdb's signal numbers (the remote protocol's, include/gdb/signals.def) for the guest's.
@Test func gdbSignalNumbering() {
    // SIGSEGV, SIGUSR1, SIGCHLD, SIGBUS, SIGSYS, SIGRTMIN (32), 33, 64, SIGSTKFLT (none).
    for (linux, gdb) in [(11, 11), (10, 30), (17, 20), (7, 10), (31, 12), (32, 77), (33, 45), (64, 78)] as [(Int32, Int32)] {
        #expect(GDBStub.gdbSignal(linux) == gdb)
        #expect(GDBStub.guestSignal(gdb) == linux)
    }
    #expect(GDBStub.gdbSignal(16) == 143)
    #expect(GDBStub.guestSignal(143) == nil && GDBStub.guestSignal(7) == nil && GDBStub.guestSignal(0) == nil)
    for n in Int32(1)...64 where n != 16 { #expect(GDBStub.guestSignal(GDBStub.gdbSignal(n)) == n) }
}
