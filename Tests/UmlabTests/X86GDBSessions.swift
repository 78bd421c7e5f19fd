import Foundation
import Testing

// gdb-multiarch against `umlab run --gdb` on x86-64 guests (the stub's session helper,
// `GDBSession`, is in Debugger.swift): static and dynamic (PIE) programs, skas and seccomp (and
// tt where it adds something), through the x86-64 backend's debugger interface: int3 written
// through /proc/PID/mem, the debug registers (hbreak, hardware watchpoints), single steps that
// never let the host run a guest system call.

/// Tests/programs/NAME.c built `-g -O0` with gcc, static or dynamic.
func x86DebugProgram(_ name: String, dynamic: Bool = false) throws -> String {
    let src = Harness.root.appendingPathComponent("Tests/programs/\(name).c").path
    let dir = Harness.root.appendingPathComponent("Tests/programs/build")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let out = dir.appendingPathComponent("\(name).debug\(dynamic ? ".dyn" : "")").path
    let tmp = out + ".tmp\(UInt32.random(in: 0...UInt32.max))"
    let (r, e) = try Harness.run(["/usr/bin/gcc", "-g", "-O0", "-pthread"] + (dynamic ? [] : ["-static"]) + ["-o", tmp, src])
    #expect(r.status == 0, "compiling \(name): \(e)")
    _ = rename(tmp, out)
    return out
}

@Suite(.serialized) struct X86GDBSessions {
    static let cases: [(String, Bool)] = [("skas", false), ("skas", true), ("seccomp", false), ("seccomp", true), ("tt", false)]

    /// gdb_target.c (see Debugger.swift): break, backtrace, print, registers, finish with the
    /// return value, set a variable, exit code 12 (gdb: 014).
    @Test(arguments: cases)
    func breakBacktracePrintFinish(mode: String, dynamic: Bool) throws {
        let program = try x86DebugProgram("gdb_target", dynamic: dynamic)
        let s = try GDBSession.run(program, options: ["--mode", mode], commands: [
            "break square", "continue", "bt", "print x", "info registers rip", "finish",
            "print counter", "set var counter = 41", "print counter", "delete", "continue",
        ])
        s.expect("Breakpoint 1, square (x=1) at")
        s.expectMatch(#"#1  0x[0-9a-f]+ in accumulate \(n=5\) at .*gdb_target\.c:18"#)
        s.expectMatch(#"#2  0x[0-9a-f]+ in main \(\) at .*gdb_target\.c:26"#)
        s.expect("$1 = 1")
        s.expectMatch(#"rip +0x[0-9a-f]+ +0x[0-9a-f]+ <square\+\d+>"#)
        s.expect("Value returned is $2 = 1")
        s.expect("$3 = 0")
        s.expect("$4 = 41")
        s.expect("exited with code 014")
        #expect(s.guestOutput == "sum=55 value=5\n", "gdb: \(s.gdb)\numlab: \(s.umlabErrors)")
        #expect(s.status == 12, "umlab: \(s.umlabErrors)")
    }

    /// A hardware watchpoint (a debug register) reports Old/New value after each store; a
    /// hardware breakpoint (hbreak) stops on its instruction.
    @Test(arguments: cases)
    func hardwareWatchpointAndBreakpoint(mode: String, dynamic: Bool) throws {
        let program = try x86DebugProgram("gdb_target", dynamic: dynamic)
        let s = try GDBSession.run(program, options: ["--mode", mode], commands: [
            "hbreak accumulate", "continue", "watch total", "continue", "continue", "delete", "continue",
        ])
        s.expect("Hardware assisted breakpoint 1 at")
        s.expect("Breakpoint 1, accumulate (n=5)")
        s.expect("Hardware watchpoint 2: total")
        s.expect("Old value = 0\nNew value = 1")
        s.expect("Old value = 1\nNew value = 5")
        s.expect("exited with code 014")
        #expect(s.status == 12, "umlab: \(s.umlabErrors)")
    }

    /// A software watchpoint on a global: gdb single-steps the program from main to the store,
    /// through snprintf and the `write` system call, then on through exit_group, comparing the
    /// value after every instruction: thousands of steps, syscalls among them, in every mode.
    @Test(arguments: cases)
    func softwareWatchpointStepsThroughSyscalls(mode: String, dynamic: Bool) throws {
        let program = try x86DebugProgram("gdb_target", dynamic: dynamic)
        let s = try GDBSession.run(program, options: ["--mode", mode], commands: [
            "set can-use-hw-watchpoints 0", "break main", "continue", "watch counter", "continue", "continue",
        ])
        s.expect("\nWatchpoint 2: counter")
        s.expect("Old value = 0\nNew value = 55")
        s.expect("exited with code 014")
        #expect(s.guestOutput == "sum=55 value=5\n", "gdb: \(s.gdb)\numlab: \(s.umlabErrors)")
        #expect(s.status == 12, "umlab: \(s.umlabErrors)")
    }

    /// `catch syscall write` stops at the call's entry and its return.
    @Test(arguments: cases)
    func catchSyscall(mode: String, dynamic: Bool) throws {
        let program = try x86DebugProgram("gdb_target", dynamic: dynamic)
        let s = try GDBSession.run(program, options: ["--mode", mode], commands: [
            "catch syscall write", "continue", "continue", "delete", "continue",
        ])
        s.expect("(call to syscall write)")
        s.expect("(returned from syscall write)")
        s.expect("exited with code 014")
        #expect(s.guestOutput == "sum=55 value=5\n")
    }

    /// stepi over a `syscall` instruction (debuggee_x86.c's getppid): the host never runs it,
    /// the kernel completes it, and the step ends after it with the call's result in rax.
    @Test(arguments: ["skas", "tt", "seccomp"])
    func stepiOverASyscall(mode: String) throws {
        let program = try x86DebugProgram("debuggee_x86")
        let s = try GDBSession.run(program, options: ["--mode", mode], commands: [
            "break *step_syscall", "continue", "print $rax", "stepi", "print (long)$pc - (long)&after_syscall",
            "print $rax", "stepi", "print (long)$pc - (long)&after_syscall", "delete", "continue",
        ])
        s.expect("$1 = 110")
        s.expect("$2 = 0")  // right after the `syscall`
        s.expect("$3 = 1")  // getppid: the kernel's init
        s.expect("$4 = 1")  // after the nop
        s.expect("exited with code 03")
        #expect(s.status == 3, "umlab: \(s.umlabErrors)")
    }

    /// `set follow-fork-mode child`: gdb detaches the parent and stops in the child.
    @Test(arguments: [("skas", false), ("seccomp", true), ("tt", false)])
    func followForkChild(mode: String, dynamic: Bool) throws {
        let program = try x86DebugProgram("gdb_fork", dynamic: dynamic)
        let s = try GDBSession.run(program, options: ["--mode", mode], commands: [
            "set follow-fork-mode child", "break child_work", "continue", "continue",
        ])
        s.expect("Breakpoint 1, child_work (x=14)")
        s.expect("exited with code 052")
        #expect(s.guestOutput == "child 42\nparent saw 42\n", "gdb: \(s.gdb)\numlab: \(s.umlabErrors)")
        #expect(s.status == 0)
    }

    /// Signals stop first; C passes them, `signal 0` drops them; a fatal one kills on continue.
    @Test(arguments: cases)
    func signalsStopBeforeDelivery(mode: String, dynamic: Bool) throws {
        try GDBSignalSessions.signalsStopFirst(try x86DebugProgram("gdb_signals", dynamic: dynamic), options: ["--mode", mode])
    }

    /// Watched ranges: a 16-byte array takes two debug registers, an overlapping store hits.
    @Test(arguments: cases)
    func watchedRanges(mode: String, dynamic: Bool) throws {
        try GDBSignalSessions.watchedRanges(try x86DebugProgram("gdb_signals", dynamic: dynamic), options: ["--mode", mode])
    }

    /// `catch exec` through an execve of the program itself; follow-exec-mode new in one case.
    @Test(arguments: cases)
    func catchExec(mode: String, dynamic: Bool) throws {
        try GDBSignalSessions.catchExec(try x86DebugProgram("gdb_exec", dynamic: dynamic), options: ["--mode", mode],
                                        newInferior: mode == "seccomp" && dynamic)
    }

    /// Threads: gdb lists the three threads of the process at a breakpoint.
    @Test(arguments: [("skas", false), ("seccomp", true), ("tt", false)])
    func infoThreads(mode: String, dynamic: Bool) throws {
        let program = try x86DebugProgram("gdb_threads", dynamic: dynamic)
        let s = try GDBSession.run(program, options: ["--mode", mode], commands: [
            "break all_started", "continue", "info threads", "delete", "continue",
        ])
        s.expect("Breakpoint 1, all_started ()")
        let listed = s.gdb.split(separator: "\n").filter { $0.range(of: #"^\*? +\d+ +Thread "#, options: .regularExpression) != nil }
        #expect(listed.count == 3, "gdb: \(s.gdb)")
        s.expect("exited normally")
        #expect(s.guestOutput == "threads done\n", "gdb: \(s.gdb)\numlab: \(s.umlabErrors)")
    }
}
