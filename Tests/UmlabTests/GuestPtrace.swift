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
