import Foundation
import Testing

// The GDB stub (`umlab run --gdb`) driven by Debian's gdb-multiarch in batch mode: each test
// starts umlab on a port the host picks (umlab prints it), runs gdb with -ex commands against
// it and asserts what gdb printed, the guest's output and umlab's exit status. Both processes
// are killed if a session outlives its time: a broken stub fails the test instead of hanging it.

/// One gdb session against one umlab run.
struct GDBSession {
    var gdb: String
    var guestOutput: String
    var status: Int32
    var umlabErrors: String

    /// Runs `program ARGUMENTS` under `umlab run --gdb 127.0.0.1:0 OPTIONS` and gdb-multiarch
    /// with `commands` (each an -ex) against it.
    static func run(_ program: String, arguments: [String] = [], options: [String] = [], commands: [String], timeout: Double = 120) throws -> GDBSession {
        let (umlab, out, err, errText, listening) = try startUmlab(program, arguments: arguments, options: options)
        defer { if umlab.isRunning { kill(umlab.processIdentifier, SIGKILL) } }
        guard let port = listening else {
            Issue.record("umlab did not start its gdb server: \(errText.value)")
            return GDBSession(gdb: "", guestOutput: "", status: -1, umlabErrors: errText.value)
        }
        let gdb = Process()
        gdb.executableURL = URL(fileURLWithPath: "/usr/bin/gdb-multiarch")
        gdb.arguments = ["-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off",
                         "-ex", "target remote 127.0.0.1:\(port)"] + commands.flatMap { ["-ex", $0] } + [program]
        let gdbOut = Pipe()
        gdb.standardOutput = gdbOut
        gdb.standardError = gdbOut
        gdb.standardInput = FileHandle.nullDevice
        try gdb.run()
        // The watchdog: a session that hangs is killed, and the test then fails on its output.
        let watchdog = DispatchWorkItem {
            if gdb.isRunning { kill(gdb.processIdentifier, SIGKILL) }
            if umlab.isRunning { kill(umlab.processIdentifier, SIGKILL) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let gdbText = String(decoding: gdbOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        gdb.waitUntilExit()
        // gdb has quit (killing or detaching the guest): umlab ends by itself.
        let guestOut = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        umlab.waitUntilExit()
        watchdog.cancel()
        err.fileHandleForReading.readabilityHandler = nil
        let status = umlab.terminationReason == .uncaughtSignal ? 128 + umlab.terminationStatus : umlab.terminationStatus
        return GDBSession(gdb: gdbText, guestOutput: guestOut, status: status, umlabErrors: errText.value)
    }

    /// Starts `umlab run --gdb 127.0.0.1:0 OPTIONS -- PROGRAM ARGUMENTS`; the port it printed, or nil.
    static func startUmlab(_ program: String, arguments: [String] = [], options: [String]) throws -> (Process, Pipe, Pipe, LockedText, String?) {
        let umlab = Process()
        umlab.executableURL = URL(fileURLWithPath: Harness.umlab)
        umlab.arguments = ["run", "--gdb", "127.0.0.1:0"] + options + ["--", program] + arguments
        let out = Pipe(), err = Pipe()
        umlab.standardOutput = out
        umlab.standardError = err
        umlab.standardInput = FileHandle.nullDevice
        let errText = LockedText()
        err.fileHandleForReading.readabilityHandler = { h in errText.append(h.availableData) }
        try umlab.run()
        // "umlab: gdb server listening on 127.0.0.1:PORT ..."
        let started = Date()
        while Date().timeIntervalSince(started) < 30 && umlab.isRunning {
            if let r = errText.value.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                return (umlab, out, err, errText, String(errText.value[r].split(separator: ":").last!))
            }
            usleep(20_000)
        }
        return (umlab, out, err, errText, nil)
    }

    /// gdb printed `text`.
    func expect(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(gdb.contains(text), "gdb did not print \"\(text)\":\n\(gdb)\numlab: \(umlabErrors)", sourceLocation: sourceLocation)
    }
    /// gdb printed a line matching `pattern` (a regular expression).
    func expectMatch(_ pattern: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(gdb.range(of: pattern, options: .regularExpression) != nil,
                "gdb printed nothing matching /\(pattern)/:\n\(gdb)", sourceLocation: sourceLocation)
    }
}

final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func append(_ d: Data) { lock.withLock { text += String(decoding: d, as: UTF8.self) } }
    var value: String { lock.withLock { text } }
}

/// A `-g -O0 -static` C program built with powerpc-linux-gnu-gcc (Tests/programs/NAME.c).
func powerPCDebugProgram(_ name: String) throws -> String {
    let src = Harness.root.appendingPathComponent("Tests/programs/\(name).c").path
    let dir = Harness.root.appendingPathComponent("Tests/programs/build")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let out = dir.appendingPathComponent("\(name).debug.ppc").path
    let tmp = out + ".tmp\(UInt32.random(in: 0...UInt32.max))"
    let (r, e) = try Harness.run(["/usr/bin/powerpc-linux-gnu-gcc", "-g", "-O0", "-static", "-o", tmp, src])
    #expect(r.status == 0, "compiling \(name): \(e)")
    _ = rename(tmp, out)
    return out
}

@Suite(.serialized) struct DebuggerPowerPC {
    /// gdb_target.c: main → accumulate(5) → square(1..5); prints "sum=55 value=5" and exits
    /// with 55 % 50 + 7 = 12 (gdb prints exit codes in octal: 014).
    @Test(arguments: ["skas", "tt"])
    func breakBacktracePrintFinish(mode: String) throws {
        let program = try powerPCDebugProgram("gdb_target")
        let s = try GDBSession.run(program, options: ["--mode", mode], commands: [
            "break square", "continue", "bt", "print x", "info registers pc lr", "finish",
            "print counter", "set var counter = 41", "print counter", "delete", "continue",
        ])
        s.expect("Breakpoint 1, square (x=1) at")
        s.expectMatch(#"#1  0x[0-9a-f]+ in accumulate \(n=5\) at .*gdb_target\.c:18"#)
        s.expectMatch(#"#2  0x[0-9a-f]+ in main \(\) at .*gdb_target\.c:26"#)
        s.expect("$1 = 1")
        s.expectMatch(#"pc +0x[0-9a-f]+ +0x[0-9a-f]+ <square\+\d+>"#)
        s.expectMatch(#"lr +0x[0-9a-f]+ +0x[0-9a-f]+ <accumulate\+\d+>"#)
        s.expect("Value returned is $2 = 1")
        s.expect("$3 = 0")
        s.expect("$4 = 41")
        s.expect("exited with code 014")
        #expect(s.guestOutput == "sum=55 value=5\n")
        #expect(s.status == 12, "umlab: \(s.umlabErrors)")
    }

    /// A hardware watchpoint (the interpreter's: watched pages take the slow path) and a
    /// software one (gdb single-steps and compares) both report Old/New values.
    @Test(arguments: [true, false])
    func watchpoints(hardware: Bool) throws {
        let program = try powerPCDebugProgram("gdb_target")
        let s = try GDBSession.run(program, commands: (hardware ? [] : ["set can-use-hw-watchpoints 0"]) + [
            "break accumulate", "continue", "watch total", "continue", "continue", "delete", "continue",
        ])
        s.expect(hardware ? "Hardware watchpoint 2: total" : "Watchpoint 2: total")
        s.expect("Old value = 0\nNew value = 1")
        s.expect("Old value = 1\nNew value = 5")
        s.expect("exited with code 014")
        #expect(s.status == 12)
    }

    /// Signals stop first; C passes them, `signal 0` drops them; a fatal one kills on continue.
    @Test(arguments: ["skas", "tt"])
    func signalsStopBeforeDelivery(mode: String) throws {
        try GDBSignalSessions.signalsStopFirst(try powerPCDebugProgram("gdb_signals"), options: ["--mode", mode])
    }

    /// Watched ranges hit by accesses overlapping them (the interpreter's slow path).
    @Test func watchedRanges() throws {
        try GDBSignalSessions.watchedRanges(try powerPCDebugProgram("gdb_signals"))
    }

    /// `catch exec`: the program runs itself again through execve; gdb stops at the exec
    /// event, loads the new image's symbols and breaks in it.
    @Test(arguments: ["skas", "tt"])
    func catchExec(mode: String) throws {
        try GDBSignalSessions.catchExec(try powerPCDebugProgram("gdb_exec"), options: ["--mode", mode])
    }

    /// `catch syscall write` stops at the call's entry and its return; changing a variable
    /// changes the program's result; a hardware breakpoint (Z1) and the monitor commands.
    @Test func catchSyscallSetVariableMonitor() throws {
        let program = try powerPCDebugProgram("gdb_target")
        let s = try GDBSession.run(program, options: ["--mode", "tt"], commands: [
            "hbreak accumulate", "continue", "set var n = 3", "monitor mode", "monitor ps", "delete",
            "catch syscall write", "continue", "continue", "delete", "continue",
        ])
        s.expect("Hardware assisted breakpoint 1 at")
        s.expect("Breakpoint 1, accumulate (n=5)")
        s.expect("isolation tt, backend ppc")
        s.expectMatch(#"\n +2 +1 t +gdb_target"#)
        s.expect("(call to syscall write)")
        s.expect("(returned from syscall write)")
        s.expect("exited with code 025")
        #expect(s.guestOutput == "sum=14 value=5\n")
        #expect(s.status == 21)
    }
}

/// Signals and watched ranges under gdb (gdb_signals.c), shared by the PowerPC and x86-64
/// sessions.
enum GDBSignalSessions {
    /// Each SIGUSR1 stops before it is delivered; `continue` passes it on (the handler runs: its
    /// breakpoint is hit), `signal 0` drops it; the bad store stops with SIGSEGV at the
    /// store's line, and the process dies of it only when gdb continues.
    static func signalsStopFirst(_ program: String, options: [String] = []) throws {
        let s = try GDBSession.run(program, options: options, commands: [
            "break on_usr1", "continue", "continue", "continue", "signal 0",
            "print handled", "info line *$pc", "continue",
        ])
        let received = s.gdb.components(separatedBy: "Program received signal SIGUSR1, User defined signal 1.").count - 1
        #expect(received == 2, "gdb: \(s.gdb)\numlab: \(s.umlabErrors)")
        s.expect("Breakpoint 1, on_usr1 (sig=10)")
        s.expect("Program received signal SIGSEGV, Segmentation fault.")
        s.expect("$1 = 10")
        s.expectMatch(#"Line 46 of ".*gdb_signals\.c""#)
        s.expect("Program terminated with signal SIGSEGV, Segmentation fault.")
        // The handler ran once: the second SIGUSR1 was dropped.
        #expect(s.gdb.components(separatedBy: "Breakpoint 1, on_usr1").count == 2, "gdb: \(s.gdb)")
        #expect(s.guestOutput == "handled=10\n", "gdb: \(s.gdb)\numlab: \(s.umlabErrors)")
        #expect(s.status == 128 + 11, "umlab: \(s.umlabErrors)")
    }

    /// `catch exec` (exec events, follow-exec-mode same or new): the stop at the new
    /// program's first instruction, then a breakpoint in the new image and its exit code 9.
    static func catchExec(_ program: String, options: [String] = [], newInferior: Bool = false) throws {
        let s = try GDBSession.run(program, options: options, commands: (newInferior ? ["set follow-exec-mode new"] : []) + [
            "catch exec", "continue", "info inferiors", "break after_exec", "continue", "continue",
        ])
        s.expect("is executing new program: \(program)")
        s.expect("Catchpoint 1 (exec'd \(program))")
        if newInferior { s.expect("[New inferior 2]") }
        s.expectMatch(#"Breakpoint 2(\.\d)?, after_exec \(n=3\)"#)
        s.expect("exited with code 011")
        #expect(s.guestOutput == "after exec\n", "gdb: \(s.gdb)\numlab: \(s.umlabErrors)")
        #expect(s.status == 9, "umlab: \(s.umlabErrors)")
    }

    /// Hardware watchpoints on ranges: a 4-byte store covering a watched 2-byte field that it
    /// starts before, and a byte stored into the middle of a watched 16-byte array.
    static func watchedRanges(_ program: String, options: [String] = []) throws {
        let s = try GDBSession.run(program, arguments: ["watch"], options: options, commands: [
            "break watch_ranges", "continue", "watch shared_word.half[1]", "watch buffer",
            "continue", "continue", "delete", "continue",
        ])
        s.expect("Hardware watchpoint 2: shared_word.half[1]")
        s.expect("Hardware watchpoint 3: buffer")
        s.expect("Hardware watchpoint 2: shared_word.half[1]\n\nOld value = 0\nNew value = 7")
        s.expectMatch(#"Hardware watchpoint 3: buffer\n\nOld value = '\\000' <repeats 15 times>\nNew value = '\\000' <repeats 13 times>, "x\\000"\n"#)
        s.expect("exited normally")
        #expect(s.status == 0, "umlab: \(s.umlabErrors)")
    }
}

/// Tests/programs/NAME.s assembled with -g by ia64-linux-gnu-as (explicit mode) and linked.
func ia64DebugProgram(_ name: String) throws -> String {
    let src = Harness.root.appendingPathComponent("Tests/programs/\(name).s").path
    let dir = Harness.root.appendingPathComponent("Tests/programs/build")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let out = dir.appendingPathComponent("\(name).ia64").path
    let tmp = out + ".tmp\(UInt32.random(in: 0...UInt32.max))"
    defer { unlink(tmp + ".o") }
    let (a, ae) = try Harness.run(["/usr/bin/ia64-linux-gnu-as", "-x", "-g", "-o", tmp + ".o", src])
    #expect(a.status == 0, "assembling \(name): \(ae)")
    let (l, le) = try Harness.run(["/usr/bin/ia64-linux-gnu-ld", "-o", tmp, tmp + ".o"])
    #expect(l.status == 0, "linking \(name): \(le)")
    _ = rename(tmp, out)
    return out
}

@Suite(.serialized) struct DebuggerIA64 {
    /// gdb_target_ia64.s: r14 counts 1..4, r15 sums them through `addtwo` (a register frame:
    /// in0/in1 are stacked r32/r33; b0 saved in a local, so gdb's prologue reader unwinds it:
    /// `bt`); exits with 10 (gdb: 012).
    @Test(arguments: ["skas", "tt"])
    func bundlesSlotsSourceLinesRegisters(mode: String) throws {
        let program = try ia64DebugProgram("gdb_target_ia64")
        let s = try GDBSession.run(program, options: ["--mode", mode], commands: [
            "x/9i $pc", "stepi", "print $pc", "stepi", "print $pc",
            "break gdb_target_ia64.s:24", "break gdb_target_ia64.s:52",
            "continue", "print $r32 + $r33 * 1000", "bt", "continue", "info registers r14 r15",
            "continue", "continue", "info registers r14 r15", "delete", "continue",
        ])
        s.expectMatch(#"0x40000000000000b0 <_start>:\s+\[MII\]\s+alloc r16=ar\.pfs"#)
        s.expectMatch(#"\[MIB\]\s+mov r32=r15"#)
        s.expect("$1 = (void (*)()) 0x40000000000000b1 <_start+1>")
        s.expect("$2 = (void (*)()) 0x40000000000000b2 <_start+2>")
        s.expect("$3 = 1000")  // in addtwo the first time: in0 = r15 = 0, in1 = r14 = 1
        s.expect("#0  addtwo () at ")
        s.expectMatch(#"#1  0x40000000000000d0 in _start \(\) at .*gdb_target_ia64\.s:22"#)
        s.expectMatch(#"r14 +0x1 +1\nr15 +0x0 +0"#)
        s.expectMatch(#"r14 +0x2 +2\nr15 +0x1 +1"#)
        s.expect("exited with code 012")
        #expect(s.status == 10, "umlab: \(s.umlabErrors)")
    }

    /// gdb has no `catch syscall` for IA-64: `monitor syscall-break` stops before the call's
    /// handler (a SIGTRAP stop at the break slot, r15 the call's number); `monitor maps`.
    @Test func syscallBreakAndMaps() throws {
        let program = try ia64DebugProgram("gdb_target_ia64")
        let s = try GDBSession.run(program, commands: [
            "monitor syscall-break exit_group", "continue", "info registers r15", "print $pc", "monitor maps 2", "continue",
        ])
        s.expect("Program received signal SIGTRAP")
        s.expect("33\t        break.m 0x100000")
        s.expectMatch(#"r15 +0x4d4 +1236"#)
        s.expect("<_start+80>")
        s.expectMatch(#"4000000000000000-4000000000001000 r-xp .*gdb_target_ia64\.ia64"#)
        s.expect("[rbs]")
        s.expect("exited with code 012")
    }
}

@Suite(.serialized) struct DebuggerFork {
    /// gdb's default (follow the parent, detach the child): the child's copy of the breakpoint
    /// is removed before it is let go, so it runs on; `follow-fork-mode child`: gdb detaches
    /// the parent and stops in the child.
    @Test(arguments: [false, true])
    func followFork(child: Bool) throws {
        let program = try powerPCDebugProgram("gdb_fork")
        let s = try GDBSession.run(program, commands: (child ? ["set follow-fork-mode child"] : []) + [
            "break child_work", "continue", "continue",
        ])
        if child {
            s.expect("Breakpoint 1, child_work (x=14)")
            s.expect("exited with code 052")
        } else {
            #expect(!s.gdb.contains("Breakpoint 1, child_work"), "\(s.gdb)")
            s.expect("[Inferior 1 (process 2) exited normally]")
        }
        #expect(s.guestOutput == "child 42\nparent saw 42\n", "gdb: \(s.gdb)\numlab: \(s.umlabErrors)")
        #expect(s.status == 0)
    }

    /// vfork: the child shares the parent's memory, breakpoints included; gdb takes them out
    /// while the child runs (it is detached: its `_exit` does not stop) and puts them back
    /// at vforkdone, so the parent stops at both.
    @Test func vforkDone() throws {
        let program = try powerPCDebugProgram("gdb_vfork")
        let s = try GDBSession.run(program, commands: ["break after_vfork", "break _exit", "continue", "continue", "continue"])
        s.expect("[Detaching after vfork from child process 3]")
        s.expect("Breakpoint 1, after_vfork (x=5)")
        s.expect("Breakpoint 2, 0x")
        s.expect("exited with code 06")
        #expect(s.guestOutput == "vfork child 6\n")
        #expect(s.status == 6)
    }
}


/// The remote protocol spoken directly, for what gdb's batch mode cannot do: Ctrl-C.
@Suite struct DebuggerInterrupt {
    /// A raw RSP connection with receive timeouts (a silent stub fails the test, not hangs it).
    final class Connection {
        let fd: Int32
        init(port: UInt16) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var tv = timeval(tv_sec: 20, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            if r != 0 { throw POSIXError(.ECONNREFUSED) }
        }
        deinit { close(fd) }
        func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } }
        func packet(_ p: String) {
            let sum = p.utf8.reduce(UInt8(0), &+)
            send(Array("$\(p)#".utf8) + Array(String(format: "%02x", sum).utf8))
        }
        /// The next packet's payload (acks skipped), or nil after the timeout.
        func reply() -> String? {
            var text = ""
            var b: UInt8 = 0
            while recv(fd, &b, 1, 0) == 1 {
                text.append(Character(UnicodeScalar(b)))
                if let hash = text.lastIndex(of: "#"), text.distance(from: hash, to: text.endIndex) == 3,
                   let dollar = text.firstIndex(of: "$") {
                    send([UInt8(ascii: "+")])
                    return String(text[text.index(after: dollar)..<hash])
                }
            }
            return nil
        }
    }

    @Test func ctrlCStopsTheRunningGuest() throws {
        let program = try powerPCDebugProgram("gdb_spin")
        let (umlab, _, _, errText, listening) = try GDBSession.startUmlab(program, options: [])
        defer { if umlab.isRunning { kill(umlab.processIdentifier, SIGKILL) } }
        guard let port = listening.flatMap(UInt16.init) else { Issue.record("no gdb server: \(errText.value)"); return }
        let c = try Connection(port: port)
        c.packet("?")
        #expect(c.reply() == "T05thread:2;")
        c.packet("vCont;c")
        usleep(300_000)
        c.send([0x03])
        #expect(c.reply() == "T02thread:2;")
        // Stopped: its registers can be read, and it is killed on request.
        c.packet("p40")
        #expect(c.reply()?.count == 8)
        c.packet("vKill;2")
        #expect(c.reply() == "OK")
        umlab.waitUntilExit()
        #expect(umlab.terminationStatus == 137)
    }
}
