import Testing
@testable import GuestKernel
import LinuxABI

/// ScriptThread-side constants a test writes as a C program would (x86-64 values).
enum C {
    static let AT_FDCWD = -100
    static let O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2
    static let O_CREAT = 0o100, O_EXCL = 0o200, O_TRUNC = 0o1000, O_APPEND = 0o2000, O_NONBLOCK = 0o4000
    static let O_DIRECTORY = 0o200000, O_NOFOLLOW = 0o400000, O_CLOEXEC = 0o2000000, O_PATH = 0o10000000
    static let S_IFIFO = 0o010000, S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000
    static let SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2
    static let F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030
    static let FD_CLOEXEC = 1
    static let FIONREAD = 0x541B
    static let POLLIN = 1, POLLPRI = 2, POLLOUT = 4, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32
    static let SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2
    static let SIG_DFL: UInt64 = 0, SIG_IGN: UInt64 = 1
    /// A handler "address": scripted handlers are tokens (see ScriptedContext).
    static let handler: UInt64 = 0x5000
    static let SA_RESTART: UInt64 = 0x1000_0000, SA_RESETHAND: UInt64 = 0x8000_0000, SA_NODEFER: UInt64 = 0x4000_0000
    static let SA_SIGINFO: UInt64 = 4
    static let WNOHANG = 1
    static let FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_PRIVATE = 128
    static let PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2
    static let MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000
    static let SIGRTMIN: Int32 = 34
}

extension ScriptThread {
    func open(_ path: String, _ flags: Int, _ mode: Int = 0o644) async throws -> SysRet {
        try await sys("openat", C.AT_FDCWD, path, flags, mode)
    }

    /// pipe2; the two ends.
    func pipe(_ flags: Int = 0) async throws -> (r: Int, w: Int) {
        let p = try alloc(8)
        try await sys("pipe2", p, flags).get("pipe2")
        return (Int(try i32(p)), Int(try i32(p + 4)))
    }

    @discardableResult
    func write(_ fd: Int, _ bytes: [UInt8]) async throws -> SysRet {
        try await sys("write", fd, try place(bytes), bytes.count)
    }
    @discardableResult
    func write(_ fd: Int, _ s: String) async throws -> SysRet { try await write(fd, Array(s.utf8)) }

    /// read(2) of up to `count` bytes: the result and the bytes read.
    func read(_ fd: Int, _ count: Int) async throws -> (SysRet, [UInt8]) {
        let buf = try alloc(max(count, 1))
        let r = try await sys("read", fd, buf, count)
        guard case .ok(let n) = r, n > 0 else { return (r, []) }
        return (r, try peek(buf, n))
    }
    func readString(_ fd: Int, _ count: Int = 4096) async throws -> String {
        let (r, b) = try await read(fd, count)
        try r.get("read")
        return String(decoding: b, as: UTF8.self)
    }

    /// The whole content of a file, or the errno opening it gave.
    func contents(_ path: String, flags: Int = 0) async throws -> Result<String, LinuxErrno> {
        let r = try await open(path, flags)
        guard case .ok(let fd) = r else { return .failure(r.errno!) }
        var out: [UInt8] = []
        while true {
            let (rr, b) = try await read(fd, 4096)
            if case .err(let e) = rr { return .failure(e) }
            if b.isEmpty { break }
            out += b
        }
        try await sys("close", fd)
        return .success(String(decoding: out, as: UTF8.self))
    }

    /// newfstatat: (mode, size), or the errno.
    func stat(_ path: String, follow: Bool = true) async throws -> Result<(mode: Int, size: Int, links: Int), LinuxErrno> {
        let buf = try alloc(144)
        let r = try await sys("newfstatat", C.AT_FDCWD, path, buf, follow ? 0 : 0x100)
        if case .err(let e) = r { return .failure(e) }
        return .success((Int(try u32(buf + 24)), Int(try i64(buf + 48)), Int(try u64(buf + 16))))
    }
    func fstat(_ fd: Int) async throws -> (mode: Int, size: Int) {
        let buf = try alloc(144)
        try await sys("fstat", fd, buf).get("fstat")
        return (Int(try u32(buf + 24)), Int(try i64(buf + 48)))
    }

    /// poll(2) on (fd, events) pairs: the result and each revents.
    func poll(_ fds: [(Int, Int)], timeout: Int) async throws -> (SysRet, [Int]) {
        var bytes: [UInt8] = []
        for (fd, ev) in fds { bytes += ScriptThread.bytes(UInt64(UInt32(bitPattern: Int32(fd))), 4) + ScriptThread.bytes(UInt64(ev), 2) + [0, 0] }
        let a = try place(bytes.isEmpty ? [0] : bytes)
        let r = try await sys("poll", a, fds.count, timeout)
        var revents: [Int] = []
        for i in 0..<fds.count {
            let b = try peek(a + UInt64(8 * i) + 6, 2)
            revents.append(Int(b[0]) | Int(b[1]) << 8)
        }
        return (r, revents)
    }

    /// rt_sigaction with a handler token (or SIG_DFL/SIG_IGN), flags and a mask.
    @discardableResult
    func sigaction(_ sig: Signal, _ handler: UInt64 = C.handler, flags: UInt64 = 0, mask: [Signal] = []) async throws -> SysRet {
        var b = ScriptThread.bytes(handler, 8) + ScriptThread.bytes(flags | 0x0400_0000, 8) + ScriptThread.bytes(0x5100, 8)  // SA_RESTORER
        b += ScriptThread.bytes(ScriptThread.sigset(mask), 8)
        return try await sys("rt_sigaction", sig, try place(b), 0, 8)
    }

    static func sigset(_ s: [Signal]) -> UInt64 { s.reduce(0) { $0 | 1 << UInt64($1.rawValue - 1) } }

    /// rt_sigprocmask; returns the old mask.
    @discardableResult
    func sigprocmask(_ how: Int, _ set: [Signal]?) async throws -> UInt64 {
        let old = try alloc(8)
        let new: UInt64 = try set.map { try place(ScriptThread.bytes(ScriptThread.sigset($0), 8)) } ?? 0
        try await sys("rt_sigprocmask", how, new, old, 8).get("rt_sigprocmask")
        return try u64(old)
    }
    func sigpending() async throws -> UInt64 {
        let a = try alloc(8)
        try await sys("rt_sigpending", a, 8).get("rt_sigpending")
        return try u64(a)
    }

    /// kill(getpid(), sig).
    @discardableResult
    func raise(_ sig: Signal) async throws -> SysRet {
        let pid = try await sys("getpid").get()
        return try await sys("kill", pid, sig)
    }

    func timespec(nanoseconds ns: Int) throws -> UInt64 {
        try place(ScriptThread.bytes(UInt64(ns / 1_000_000_000), 8) + ScriptThread.bytes(UInt64(ns % 1_000_000_000), 8))
    }

    @discardableResult
    func sleep(nanoseconds ns: Int) async throws -> SysRet {
        try await sys("nanosleep", try timespec(nanoseconds: ns), 0)
    }

    /// wait4(pid, &status, options): the result and the status word.
    func wait(_ pid: Int = -1, options: Int = 0) async throws -> (SysRet, Int32) {
        let st = try alloc(4)
        try setU32(st, 0xdead)
        let r = try await sys("wait4", pid, st, options, 0)
        return (r, try i32(st))
    }

    /// A word of scratch memory visible to forked children at the same address (a copy) and to
    /// threads (the same word).
    func word(_ initial: UInt32 = 0) throws -> UInt64 {
        let a = try alloc(4)
        try setU32(a, initial)
        return a
    }

    /// Monotonic time in nanoseconds, as the guest reads it.
    func now() async throws -> Int {
        let ts = try alloc(16)
        try await sys("clock_gettime", 1, ts).get("clock_gettime")
        return Int(try i64(ts)) * 1_000_000_000 + Int(try i64(ts + 8))
    }
}

/// wait(2) status decoding.
enum WaitStatus {
    static func exited(_ s: Int32) -> Int32? { s & 0x7f == 0 ? (s >> 8) & 0xff : nil }
    static func signaled(_ s: Int32) -> Int32? { s & 0x7f != 0 && s & 0x7f != 0x7f ? s & 0x7f : nil }
}

/// Runs `main` in a fresh scripted kernel over the fixture root; returns its exit status.
@discardableResult
func runGuest(timeout: Double = 5, configure: (inout KernelConfig) -> Void = { _ in },
              _ main: @escaping Script) async throws -> Int32 {
    try await ScriptedKernel(configure).run(timeout: timeout, main)
}
