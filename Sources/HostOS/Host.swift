import CHost
import Glibc
import LinuxABI

/// The host layer: the one place where umlab makes host system calls.
///
/// Every call goes through `Host.check`, which turns the C convention (-1 and errno) into a typed
/// `LinuxErrno` and retries calls interrupted by a signal. The host is Linux, so a host errno is
/// the same number the guest would see; a handler may pass it through unchanged.
public enum Host {
    /// Runs `body` until it does not fail with EINTR; a negative result throws the errno.
    @inlinable @inline(__always)
    public static func check<T: BinaryInteger>(_ body: () -> T) throws(LinuxErrno) -> T {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = errno
            if e != EINTR { throw LinuxErrno(e) }
        }
    }

    /// Like `check`, but hands EINTR back to the caller (the scheduler tick uses it to preempt).
    @inlinable @inline(__always)
    public static func checkOnce<T: BinaryInteger>(_ body: () -> T) throws(LinuxErrno) -> T {
        let r = body()
        if r >= 0 { return r }
        throw LinuxErrno(errno)
    }

    public static var pid: Int32 { getpid() }

    /// Pins the calling thread (and the processes it forks later) to one CPU. A ptrace round trip
    /// between tracer and tracee on one CPU costs about a sixth of one across CPUs.
    public static func pin(toCPU cpu: Int32) throws(LinuxErrno) {
        _ = try check { ch_pin_to_cpu(cpu) }
    }
    public static var currentCPU: Int32 { ch_current_cpu() }

    /// Raises the soft open-file limit to the hard one (tmpfs files and mapped files hold host fds).
    @discardableResult public static func raiseFileLimit() -> Int { ch_raise_nofile() }

    /// The host's physical memory in bytes (0 if unknown): the default memory limit is a share of it.
    public static var physicalMemory: UInt64 {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? UInt64(pages) * UInt64(size) : 0
    }

    /// Private anonymous memory a host process has in use (RssAnon: resident minus file and
    /// shared memory pages, from /proc/PID/statm), or nil if the process is gone. How the kernel
    /// measures guests that are host processes, whose page faults it does not see.
    public static func residentAnonymousBytes(of pid: Int32) -> UInt64? {
        guard let fd = try? HostFD.open("/proc/\(pid)/statm", flags: HostOpen.readOnly) else { return nil }
        defer { fd.close() }
        var buf = [UInt8](repeating: 0, count: 128)
        guard let n = try? typedErrno({ try buf.withUnsafeMutableBytes { p in try fd.read(into: p, at: 0) } }), n > 0 else { return nil }
        // size resident shared text lib data dt, in pages
        let fields = buf[0..<n].split(separator: UInt8(ascii: " ")).prefix(3).map { UInt64(String(decoding: $0, as: UTF8.self)) ?? 0 }
        guard fields.count == 3 else { return nil }
        let size = sysconf(Int32(_SC_PAGESIZE))
        return (fields[1] > fields[2] ? fields[1] - fields[2] : 0) * UInt64(max(size, 4096))
    }

    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    /// Wall-clock time in seconds with microseconds, for logs.
    public static func realTimeSeconds() -> Double {
        let t = (try? clock(0)) ?? (seconds: 0, nanoseconds: 0)
        return Double(t.seconds) + Double(t.nanoseconds / 1000) / 1_000_000
    }
    public static func clock(_ id: Int32) throws(LinuxErrno) -> (seconds: Int64, nanoseconds: Int64) {
        var ts = timespec()
        _ = try check { clock_gettime(clockid_t(id), &ts) }
        return (Int64(ts.tv_sec), Int64(ts.tv_nsec))
    }
    public static func clockResolution(_ id: Int32) throws(LinuxErrno) -> (seconds: Int64, nanoseconds: Int64) {
        var ts = timespec()
        _ = try check { clock_getres(clockid_t(id), &ts) }
        return (Int64(ts.tv_sec), Int64(ts.tv_nsec))
    }
    /// CPU time used by umlab itself (user, system) in nanoseconds, and context switches.
    public static func resourceUsage() -> (userNS: UInt64, systemNS: UInt64, voluntarySwitches: Int, involuntarySwitches: Int) {
        usage(RUSAGE_SELF)
    }
    /// The same for the children this process has waited for (and the children they waited
    /// for): getrusage(RUSAGE_CHILDREN). `umlab bench` reads it before and after a run.
    public static func childrenResourceUsage() -> (userNS: UInt64, systemNS: UInt64, voluntarySwitches: Int, involuntarySwitches: Int) {
        usage(RUSAGE_CHILDREN)
    }
    private static func usage(_ who: __rusage_who) -> (userNS: UInt64, systemNS: UInt64, voluntarySwitches: Int, involuntarySwitches: Int) {
        var ru = rusage()
        getrusage(__rusage_who_t(who.rawValue), &ru)
        return (UInt64(ru.ru_utime.tv_sec) * 1_000_000_000 + UInt64(ru.ru_utime.tv_usec) * 1000,
                UInt64(ru.ru_stime.tv_sec) * 1_000_000_000 + UInt64(ru.ru_stime.tv_usec) * 1000,
                Int(ru.ru_nvcsw), Int(ru.ru_nivcsw))
    }

    /// The host's RAM and swap together, in bytes (sysinfo(2)): the most one request may commit
    /// under Linux's heuristic overcommit (vm.overcommit_memory = 0).
    public static func memoryAndSwap() -> UInt64 { ch_memory_and_swap() }

    public static func random(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) {
        var done = 0
        while done < buffer.count {
            let n = try check { ch_syscall6(Int(CH_SYS_getrandom), Int(bitPattern: buffer.baseAddress! + done), buffer.count - done, 0, 0, 0, 0) }
            done += n
        }
    }

    /// poll(2) over host descriptors; returns the revents per entry. `timeoutMS` < 0 waits forever.
    /// An interrupting signal (the tick) ends the wait early with all revents zero.
    public static func poll(_ fds: [(fd: Int32, events: Int16)], timeoutMS: Int32) -> [Int16] {
        var pfds = fds.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
        let n = pfds.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), timeoutMS) }
        if n <= 0 { return Array(repeating: 0, count: fds.count) }
        return pfds.map(\.revents)
    }

    public static func ioctl(_ fd: Int32, _ request: UInt, _ arg: UnsafeMutableRawPointer?) throws(LinuxErrno) -> Int32 {
        try check { ch_ioctl(fd, request, arg) }
    }

    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    public static func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        return String(cString: buf)
    }

    /// Writes a line to the host's standard error (umlab's own diagnostics, never guest output).
    public static func diagnostic(_ line: String) {
        var s = line
        if !s.hasSuffix("\n") { s += "\n" }
        var bytes = Array(s.utf8)
        _ = try? HostFD(2).writeAll(&bytes)
    }

    public static func exit(_ status: Int32) -> Never { Glibc.exit(status) }
}
