import Foundation
import Testing

/// ptrace(2) inside guests (docs/debugging.md, item 7): a small C tracer, Debian's strace -f,
/// and gdb, each against the same run natively.
@Suite(.serialized) struct GuestPtrace {
    /// Tests/programs/ptrace_syscalls.c: TRACEME, a SIGSTOP stop with its siginfo, PEEKDATA and
    /// POKEDATA, PEEKUSER/GETREGS at syscall stops, hostile requests (EIO, ESRCH, EPERM), and
    /// the exit the tracer's wait reports. x86-64 in every mode, 32-bit PowerPC in both.
    @Test(arguments: Harness.x86Modes.map { ("gcc", $0) } + Harness.interpreterModes.map { ("powerpc-linux-gnu-gcc", $0) })
    func cTracerSameAsNative(_ setup: (String, String)) throws {
        let native = try Harness.native([try Harness.program("ptrace_syscalls")])
        #expect(native.status == 0 && native.stdout.contains("tracer: child exited with 7"), "\(native.stdout)")
        let (guest, err) = try Harness.guest([try Harness.program("ptrace_syscalls", compiler: setup.0)], options: ["--mode", setup.1])
        #expect(guest == native, "stderr: \(err)")
    }

    /// Tests/programs/ptrace_extras.c: /proc/PID/auxv, PEEKSIGINFO on both queues (and its
    /// EINVAL/EFAULT cases), a UML-style tracer's SYSEMU and SYSEMU_SINGLESTEP, the vfork event
    /// before the parent waits and VFORK_DONE after, a floating-point register through
    /// GETFPREGS and PEEKUSER. The guest's output equals the native run's (x86-64 in every
    /// mode, 32-bit PowerPC in both).
    @Test(arguments: Harness.x86Modes.map { ("gcc", $0) } + Harness.interpreterModes.map { ("powerpc-linux-gnu-gcc", $0) })
    func tracerExtrasSameAsNative(_ setup: (String, String)) throws {
        let native = try Harness.native([try Harness.program("ptrace_extras")])
        #expect(native.status == 0 && native.stdout.contains("vfork: parent exited with 43"), "\(native.stdout)")
        let (guest, err) = try Harness.guest([try Harness.program("ptrace_extras", compiler: setup.0)], options: ["--mode", setup.1])
        #expect(guest == native, "stderr: \(err)")
    }

    static let script = "echo hi | cat"
    /// umlab's default guest environment, for the native run (busybox sh's start-up depends on
    /// whether PWD is set, for one).
    static let environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=dumb"]

    /// `strace -f busybox sh -c 'echo hi | cat'` in a guest prints the same calls, process by
    /// process, as the host's strace natively (see `StraceLog.calls` for what is normalised).
    @Test(arguments: Harness.x86Modes)
    func straceFollowForksSameAsNative(_ mode: String) throws {
        // The same shell runs strace on both sides and copies its log to standard error: the
        // guest's to its own /tmp, the host's to a private file.
        func wrapper(_ log: String) -> [String] {
            ["/usr/bin/busybox", "sh", "-c", "/usr/bin/strace -f -o \(log) /usr/bin/busybox sh -c '\(Self.script)' && cat \(log) >&2"]
        }
        let hostLog = "/var/tmp/umlab-strace-\(getpid())-\(mode).log"
        defer { unlink(hostLog) }
        let (native, nativeLog) = try Harness.run(["/usr/bin/env", "-i"] + Self.environment + wrapper(hostLog))
        #expect(native.stdout == "hi\n" && native.status == 0)
        let (guest, guestLog) = try Harness.guest(wrapper("/tmp/strace.log"), options: ["--mode", mode, "--env", "TERM=dumb"])
        #expect(guest == native, "\(guestLog)")
        let expected = StraceLog.calls(nativeLog), got = StraceLog.calls(guestLog)
        #expect(expected.count == 3 && expected["p2"]?.contains("execve") == true, "\(nativeLog)")
        #expect(got == expected, "native:\n\(nativeLog)\nguest:\n\(guestLog)")
    }
}

extension GuestPtrace {
    /// LeakSanitizer (gcc -fsanitize=address) finds the leak with ptrace in a guest as natively:
    /// the same summary line and exit status (docs/compat.md's gap, closed by issue #13).
    @Test(arguments: Harness.x86Modes)
    func leakSanitizerSameAsNative(_ mode: String) throws {
        let dir = Harness.root.appendingPathComponent("Tests/programs/build").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let exe = dir + "/ptrace_leak.asan", tmp = exe + ".tmp\(UInt32.random(in: 0...UInt32.max))"
        let (r, e) = try Harness.run(["/usr/bin/gcc", "-g", "-fsanitize=address", "-o", tmp,
                                      Harness.root.appendingPathComponent("Tests/programs/ptrace_leak.c").path])
        #expect(r.status == 0, "compiling: \(e)")
        _ = rename(tmp, exe)
        func summary(_ stderr: String) -> [String] {
            stderr.split(separator: "\n").filter { $0.hasPrefix("SUMMARY") || $0.hasPrefix("Direct leak") }.map(String.init)
        }
        let (native, nativeErr) = try Harness.run(PseudoTerminals.unblocked([exe]))
        #expect(native.status == 1 && summary(nativeErr).count == 2, "\(nativeErr)")
        let (guest, guestErr) = try Harness.run(PseudoTerminals.unblocked([Harness.umlab, "run", "--mode", mode, "--", exe]))
        #expect(guest == native, "\(guestErr)")
        #expect(summary(guestErr) == summary(nativeErr), "\(guestErr)")
    }
}

extension GuestPtrace {
    /// gdb's batch session on Tests/programs/ptrace_gdb_target.c: a breakpoint in a function,
    /// run, print its arguments, continue to the next hit, a register, delete, continue to the
    /// end. The same lines natively and in a guest, up to the inferior's pid.
    static let gdbCommands = ["break add", "run", "print a", "print b", "continue", "print a + b", "info registers rip",
                              "delete", "continue"]

    static func gdbSession(_ exe: String, guestMode: String?) throws -> (Harness.Outcome, String) {
        let argv = ["/usr/bin/gdb", "-nx", "-q", "-batch", "-iex", "set debuginfod enabled off"]
            + gdbCommands.flatMap { ["-ex", $0] } + [exe]
        // gdb needs the signals the test runner blocks (its inferior inherits the mask, and a
        // blocked SIGTRAP ends it), and a bound in case a stop is never reported.
        let command = guestMode.map { [Harness.umlab, "run", "--mode", $0, "--"] + argv } ?? argv
        let (out, err) = try Harness.run(PseudoTerminals.unblocked(["/usr/bin/timeout", "120"] + command))
        // The inferior's pid differs by design.
        let normalised = out.stdout.replacingOccurrences(of: #"process \d+"#, with: "process N", options: .regularExpression)
        return (Harness.Outcome(stdout: normalised, status: out.status), err)
    }

    /// Builds the target with debugging information (-g -O0), static, once per test run.
    static func gdbTarget() throws -> String {
        let dir = Harness.root.appendingPathComponent("Tests/programs/build").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let out = dir + "/ptrace_gdb_target"
        let tmp = out + ".tmp\(UInt32.random(in: 0...UInt32.max))"
        let (r, e) = try Harness.run(["/usr/bin/gcc", "-g", "-O0", "-static", "-o", tmp,
                                      Harness.root.appendingPathComponent("Tests/programs/ptrace_gdb_target.c").path])
        #expect(r.status == 0, "compiling: \(e)")
        _ = rename(tmp, out)
        return out
    }

    /// gdb inside an x86-64 guest runs the program to a breakpoint, prints variables and a
    /// register, and continues to its end, as natively. Its breakpoints are POKETEXTs into
    /// read-only text (`AddressSpace.debuggerWrite`).
    @Test(arguments: ["skas", "seccomp", "tt"])
    func gdbInGuestSameAsNative(_ mode: String) throws {
        let exe = try Self.gdbTarget()
        let (native, _) = try Self.gdbSession(exe, guestMode: nil)
        #expect(native.stdout.contains("Breakpoint 1, add (a=2, b=20)") && native.stdout.contains("$3 = 22"), "\(native.stdout)")
        let (guest, err) = try Self.gdbSession(exe, guestMode: mode)
        #expect(guest == native, "\(err)")
    }
}

/// Reads strace -f output into each process's sequence of calls, normalised so that a run in a
/// guest and one on the host compare equal when they make the same calls:
/// - pids become p0 (the first process) and p1, p2 … in the order clone returned them;
/// - a call is its name (arguments, results and addresses differ by design: umlab's rseq is
///   ENOSYS, its mmap addresses and pids are its own); an interrupted call counts once (its
///   `<unfinished ...>` line), its `<... resumed>` line not at all;
/// - signals are `--- SIGNAME`, ends `+++ exited`/`+++ killed`;
/// - in each process, a run of wait4, SIGCHLD and rt_sigreturn becomes one `wait4*`: how many
///   wait4 calls a shell makes to reap its children depends on when they end, natively too.
enum StraceLog {
    static func calls(_ log: String) -> [String: [String]] {
        let lines: [(pid: String, text: String)] = log.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard fields.count == 2, Int(fields[0]) != nil else { return nil }
            return (String(fields[0]), fields[1].trimmingCharacters(in: .whitespaces))
        }
        // Labels first: the first process, then clone's results in the order they are printed.
        var labels: [String: String] = [:]
        if let first = lines.first { labels[first.pid] = "p0" }
        for (_, text) in lines where text.hasPrefix("clone(") || text.hasPrefix("<... clone resumed>") {
            if let child = result(text), labels[child] == nil { labels[child] = "p\(labels.count)" }
        }
        var sequences: [String: [String]] = [:]
        let reaping: Set<String> = ["wait4", "--- SIGCHLD", "rt_sigreturn"]
        for (pid, text) in lines where !text.hasPrefix("<... ") {
            var item = text.hasPrefix("---") || text.hasPrefix("+++")
                ? text.split(separator: " ").prefix(2).joined(separator: " ")
                : String(text.prefix { $0 != "(" })
            let key = labels[pid] ?? "pid \(pid)"
            if reaping.contains(item) {
                if sequences[key]?.last == "wait4*" { continue }
                item = "wait4*"
            }
            sequences[key, default: []].append(item)
        }
        return sequences
    }

    /// The number a finished call returned (`... = 42`), if it is one.
    static func result(_ line: String) -> String? {
        guard let r = line.range(of: " = ", options: .backwards) else { return nil }
        let value = line[r.upperBound...].prefix { $0.isNumber }
        return value.isEmpty ? nil : String(value)
    }
}

/// `umlab run --trace=NAME,...` prints only those calls (docs/debugging.md, item 8).
@Suite struct TraceFilters {
    /// The names of the calls a trace printed (lines `[pid] name(...) = ...`).
    static func traced(_ stderr: String) -> Set<String> {
        Set(stderr.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return nil }
            let call = line[line.index(close, offsetBy: 2)...].prefix { $0 != "(" }
            return call.hasPrefix("-") ? nil : String(call)
        })
    }
    static let program = ["/usr/bin/busybox", "sh", "-c", "cat /etc/hostname >/dev/null; exit 3"]

    @Test func namesClassesAndNegation() throws {
        let (all, allLog) = try Harness.run([Harness.umlab, "run", "--trace", "--"] + Self.program)
        #expect(all.status == 3)
        let every = Self.traced(allLog)
        #expect(every.isSuperset(of: ["execve", "openat", "read", "clone", "wait4", "exit_group"]), "\(every)")

        let (some, someLog) = try Harness.run([Harness.umlab, "run", "--trace=openat,execve", "--"] + Self.program)
        #expect(some.status == 3)
        #expect(Self.traced(someLog) == ["openat", "execve"], "\(someLog)")

        let (_, notLog) = try Harness.run([Harness.umlab, "run", "--trace=!openat,read", "--"] + Self.program)
        let rest = Self.traced(notLog)
        #expect(!rest.contains("openat") && !rest.contains("read") && rest.contains("execve") && rest.contains("exit_group"), "\(rest)")

        let (_, fileLog) = try Harness.run([Harness.umlab, "run", "--trace=%file,exit_group", "--"] + Self.program)
        let files = Self.traced(fileLog)
        #expect(files.contains("openat") && files.contains("execve") && files.contains("exit_group") && !files.contains("read"), "\(files)")
        // The filter sits among umlab's options; the program's own arguments are left alone.
        let (echo, _) = try Harness.run([Harness.umlab, "run", "--mode", "skas", "--trace=getpid", "/usr/bin/busybox", "echo", "--trace=x"])
        #expect(echo.stdout == "--trace=x\n")
    }

    @Test func unknownNamesAreRefused() throws {
        let (r, err) = try Harness.run([Harness.umlab, "run", "--trace=openat,no_such_call", "--", "/usr/bin/true"])
        #expect(r.status == 2 && err.contains("no_such_call"), "\(err)")
        let (c, cerr) = try Harness.run([Harness.umlab, "run", "--trace=%nonsense", "--", "/usr/bin/true"])
        #expect(c.status == 2 && cerr.contains("%nonsense"), "\(cerr)")
    }
}
