import CHost
import Glibc
import LinuxABI

/// Host programs umlab runs for itself (compilers for the isolation suite, umlab runs it
/// measures): posix_spawn with the output captured, and a deadline.
public enum Subprocess {
    public struct Outcome: Sendable {
        /// Exit status, or 128 + signal; 124 when the deadline killed it (as timeout(1) says).
        public var status: Int32
        /// Standard output and standard error, interleaved as written.
        public var output: [UInt8]
        /// Standard error, when run with `separateStandardError`.
        public var errors: [UInt8] = []
        public var text: String { String(decoding: output, as: UTF8.self) }
    }

    public static func sleep(milliseconds: Int) { usleep(useconds_t(milliseconds * 1000)) }
    public static func kill(_ pid: Int32) { _ = Glibc.kill(pid, SIGKILL) }

    /// Makes this process the reaper of its descendants' orphans (PR_SET_CHILD_SUBREAPER), so a
    /// process that a child leaves behind becomes this process's child instead of init's.
    public static func adoptOrphans() { _ = ch_syscall6(157, 36, 1, 0, 0, 0, 0) }  // prctl

    /// SIGKILL, then reap: for a child of this process (an adopted orphan among them).
    public static func killAndReap(_ pid: Int32) {
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Runs `argv` (argv[0] a path, or a name looked up in PATH) with stdin from /dev/null and
    /// no other descriptor of this process: a child that inherited some unrelated pipe end
    /// would see one descriptor more than from a shell (and hold another reader's EOF back).
    /// Standard error goes into `output` with standard output, interleaved as written, or into
    /// `errors` with `separateStandardError`.
    ///
    /// The output is read until the child has exited, or with `untilEndOfOutput` also until
    /// every writer of the pipes is gone (what a shell's `$(…)` waits for: the output of
    /// background processes the child left running), in either case no longer than the deadline.
    public static func run(_ argv: [String], timeoutSeconds: Int = 600,
                           separateStandardError: Bool = false,
                           untilEndOfOutput: Bool = false) throws(LinuxErrno) -> Outcome {
        let out = try Self.pipe()
        let err: (read: Int32, write: Int32)
        do { err = separateStandardError ? try Self.pipe() : out } catch {
            close(out.read); close(out.write)
            throw error
        }
        defer { close(out.read) }
        defer { if separateStandardError { close(err.read) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out.write, 1)
        posix_spawn_file_actions_adddup2(&actions, err.write, 2)
        _ = ch_spawn_actions_closefrom(&actions, 3)
        // The child starts with no signal blocked and every signal at its default action, as
        // from a shell: umlab's own mask (signals it takes through a signalfd) and whatever a
        // test harness blocked must not reach it (a blocked SIGUSR1 would never be delivered).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, &attributes, &cargs, environ)
        close(out.write)
        if separateStandardError { close(err.write) }
        if rc != 0 { throw LinuxErrno(rc) }

        // Read until the child has exited (and with untilEndOfOutput, until EOF), or until the
        // deadline; a child's leftovers holding a pipe open cannot keep the reader forever.
        var sinks: [(fd: Int32, bytes: [UInt8], open: Bool)] = [(out.read, [], true)]
        if separateStandardError { sinks.append((err.read, [], true)) }
        for sink in sinks { try HostFD(sink.fd).setFlags(try HostFD(sink.fd).getFlags() | O_NONBLOCK) }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = Host.monotonicNanoseconds() + UInt64(timeoutSeconds) * 1_000_000_000
        var killed = false
        var status: Int32 = 0
        var exited = false
        func drain() {
            for i in sinks.indices where sinks[i].open {
                while true {
                    let n = chunk.withUnsafeMutableBytes { read(sinks[i].fd, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n == 0 { sinks[i].open = false }
                    if n <= 0 { break }
                    sinks[i].bytes += chunk[0..<n]
                }
            }
        }
        while true {
            let watched = sinks.filter(\.open).map { ($0.fd, Int16(POLLIN)) }
            if watched.isEmpty { Subprocess.sleep(milliseconds: 1) } else { _ = Host.poll(watched, timeoutMS: 100) }
            drain()
            if !exited {
                var st: Int32 = 0
                if waitpid(pid, &st, WNOHANG) == pid { status = st; exited = true }
            }
            if exited && (!untilEndOfOutput || !sinks.contains(where: \.open)) { break }
            if Host.monotonicNanoseconds() >= deadline {
                // A child that exited keeps its status; only one the deadline kills gets 124.
                if !exited {
                    killed = true
                    _ = Glibc.kill(pid, SIGKILL)
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                }
                break
            }
        }
        drain()
        let errors = separateStandardError ? sinks[1].bytes : []
        if killed { return Outcome(status: 124, output: sinks[0].bytes, errors: errors) }
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Outcome(status: code, output: sinks[0].bytes, errors: errors)
    }

    /// A close-on-exec pipe (the child gets its end by dup2, which clears the flag there). The
    /// flag is set after pipe(): a spawn of this module in between still passes neither end,
    /// since it closes every descriptor from 3 up.
    private static func pipe() throws(LinuxErrno) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        _ = try Host.check { Glibc.pipe(&fds) }
        for fd in fds { _ = ch_fcntl_int(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }
}
