import Foundation
import Testing
@testable import GuestKernel
import HostOS
import LinuxABI

// System calls with the arguments an attacker picks: -1, 2^63, 2^64 - 1, INT_MIN, lengths that
// wrap, timeouts of LONG_MAX seconds. Each once made umlab trap (or could have); each gets the
// answer Linux gives. Tests/programs/hostile_calls.c makes the same calls natively and under
// every backend.

let LONG_MAX = UInt64(Int64.max)
let TOP_PAGE: UInt64 = 0xffff_ffff_ffff_f000

/// Memory calls whose lengths or addresses wrap past 2^64.
@Suite struct HostileMemoryCalls {
    @Test func madviseWholeSpace() async throws {
        try await runGuest { t async throws in
            // The length rounds up past 2^64: EINVAL (it used to trap while page-aligning).
            #expect(try await t.sys("madvise", 0, -1, 0) == .err(.EINVAL))
            #expect(try await t.sys("madvise", 0, -1, 4) == .err(.EINVAL))
            #expect(try await t.sys("madvise", 0x1000, UInt64.max - 0x1000, 4) == .err(.EINVAL))
            #expect(try await t.sys("madvise", 0, 0, 0) == .ok(0))
            #expect(try await t.sys("madvise", 0, 4096, 0) == .err(.ENOMEM))  // page 0 is not mapped
            #expect(try await t.sys("madvise", 0, 4096, 999) == .err(.EINVAL))
            #expect(try await t.sys("madvise", 1, 4096, 0) == .err(.EINVAL))
            // A range far larger than what is mapped: the mapped part is zeroed, the rest is
            // ENOMEM, and nothing walks the 2^40 bytes page by page.
            let a = try await MemoryMaps.map(t, pages: 2)
            try t.setU32(a, 7)
            #expect(try await t.sys("madvise", a, 1 << 40, 4) == .err(.ENOMEM))
            #expect(try t.u32(a) == 0)
        }
    }

    @Test func brkPastTheTop() async throws {
        try await runGuest { t async throws in
            let start = try await t.sys("brk", 0).get()
            // brk(-1) and friends leave the break where it is, as Linux does.
            #expect(try await t.sys("brk", -1) == .ok(start))
            #expect(try await t.sys("brk", TOP_PAGE + 1) == .ok(start))
            #expect(try await t.sys("brk", Int.max) == .ok(start))
            #expect(try await t.sys("brk", start + 4096) == .ok(start + 4096))
        }
    }

    @Test func mmapLengthsAndOffsets() async throws {
        try await runGuest { t async throws in
            let anon = C.MAP_PRIVATE | C.MAP_ANONYMOUS
            let rw = C.PROT_READ | C.PROT_WRITE
            #expect(try await t.sys("mmap", 0, -1, rw, anon, -1, 0) == .err(.ENOMEM))
            #expect(try await t.sys("mmap", 0, UInt64.max - 4094, rw, anon, -1, 0) == .err(.ENOMEM))
            #expect(try await t.sys("mmap", 0, UInt64(1) << 63, C.PROT_NONE, anon, -1, 0) == .err(.ENOMEM))
            #expect(try await t.sys("mmap", TOP_PAGE, 4096, rw, anon | C.MAP_FIXED, -1, 0) == .err(.ENOMEM))
            #expect(try await t.sys("mmap", TOP_PAGE - 4096, 8192, rw, anon | C.MAP_FIXED, -1, 0) == .err(.ENOMEM))
            // A hint near the top is only a hint.
            let hinted = try await t.sys("mmap", TOP_PAGE, 8192, rw, anon, -1, 0).get()
            #expect(UInt64(hinted) < ScriptedBackend().userAddressRange.upperBound)
            // Private writable memory beyond the host's RAM and swap: ENOMEM, before anything
            // is allocated (the memory-limit check).
            #expect(try await t.sys("mmap", 0, UInt64(16) << 40, rw, anon, -1, 0) == .err(.ENOMEM))
            // A file range that passes 2^64.
            let fd = try await t.open("/tmp/f", C.O_CREAT | C.O_RDWR).get()
            #expect(try await t.sys("mmap", 0, 8192, C.PROT_READ, C.MAP_PRIVATE, fd, TOP_PAGE) == .err(.EOVERFLOW))
        }
    }

    @Test func munmapMprotectMremapWrap() async throws {
        try await runGuest { t async throws in
            let a = try await MemoryMaps.map(t, pages: 2)
            #expect(try await t.sys("munmap", TOP_PAGE, 8192) == .err(.EINVAL))
            #expect(try await t.sys("munmap", a, -1) == .err(.EINVAL))
            #expect(try await t.sys("munmap", TOP_PAGE, 4096) == .err(.EINVAL))
            #expect(try await t.sys("mprotect", a, -1, C.PROT_READ) == .err(.ENOMEM))
            #expect(try await t.sys("mprotect", TOP_PAGE, 4096, C.PROT_READ) == .err(.ENOMEM))
            #expect(try await t.sys("mprotect", a, 0, C.PROT_READ) == .ok(0))
            let mayMove = 1
            #expect(try await t.sys("mremap", a, 4096, -1, mayMove) == .err(.EINVAL))
            #expect(try await t.sys("mremap", a, 4096, 0, mayMove) == .err(.EINVAL))
            #expect(try await t.sys("mremap", a, 4096, 8192, 8) == .err(.EINVAL))
            #expect(try await t.sys("mremap", a, 4096, 8192, 2) == .err(.EINVAL))  // FIXED without MAYMOVE
            #expect(try await t.sys("mremap", TOP_PAGE, 8192, 4096, 0) == .err(.EFAULT))
            #expect(try await t.sys("mremap", a, 8192, UInt64(1) << 62, mayMove) == .err(.ENOMEM))
            #expect(try await t.sys("mremap", a, 8192, 4096, 0) == .ok(Int(a)))
        }
    }
}

/// Timeouts of LONG_MAX seconds saturate (a deadline that never comes), malformed ones are
/// EINVAL; none traps.
@Suite struct HostileTimeouts {
    /// A timeval or timespec in guest memory.
    static func pair(_ t: ScriptThread, _ a: Int64, _ b: Int64) throws -> UInt64 {
        try t.place(ScriptThread.bytes(UInt64(bitPattern: a), 8) + ScriptThread.bytes(UInt64(bitPattern: b), 8))
    }
    /// A pipe with a byte in it: readable at once.
    static func readablePipe(_ t: ScriptThread) async throws -> Int {
        let (r, w) = try await t.pipe()
        try await t.write(w, "x").get()
        return r
    }

    @Test func selectFamily() async throws {
        try await runGuest { t async throws in
            let r = try await HostileTimeouts.readablePipe(t)
            func set() throws -> UInt64 { try t.place(ScriptThread.bytes(1 << UInt64(r), 8)) }
            #expect(try await t.sys("select", r + 1, try set(), 0, 0, try HostileTimeouts.pair(t, Int64.max, 0)) == .ok(1))
            #expect(try await t.sys("select", r + 1, try set(), 0, 0, try HostileTimeouts.pair(t, Int64.max, 999_999)) == .ok(1))
            // tv_usec carries into tv_sec first, as Linux's kern_select does.
            #expect(try await t.sys("select", r + 1, try set(), 0, 0, try HostileTimeouts.pair(t, 0, 1_500_000)) == .ok(1))
            #expect(try await t.sys("select", r + 1, try set(), 0, 0, try HostileTimeouts.pair(t, Int64.max, 1_000_000)) == .err(.EINVAL))
            #expect(try await t.sys("select", r + 1, try set(), 0, 0, try HostileTimeouts.pair(t, 0, -1)) == .err(.EINVAL))
            #expect(try await t.sys("select", r + 1, try set(), 0, 0, try HostileTimeouts.pair(t, -1, 0)) == .err(.EINVAL))
            #expect(try await t.sys("select", -1, 0, 0, 0, 0) == .err(.EINVAL))
            // A huge n reads no more of the sets than the descriptor table covers.
            #expect(try await t.sys("select", Int32.max, try set(), 0, 0, try HostileTimeouts.pair(t, 0, 0)) == .ok(1))
            #expect(try await t.sys("pselect6", r + 1, try set(), 0, 0, try HostileTimeouts.pair(t, Int64.max, 999_999_999), 0) == .ok(1))
            #expect(try await t.sys("pselect6", r + 1, try set(), 0, 0, try HostileTimeouts.pair(t, 0, 1_000_000_000), 0) == .err(.EINVAL))
            let fds = try t.place(ScriptThread.bytes(UInt64(r), 4) + ScriptThread.bytes(UInt64(C.POLLIN), 2) + [0, 0])
            #expect(try await t.sys("ppoll", fds, 1, try HostileTimeouts.pair(t, Int64.max, 999_999_999), 0, 8) == .ok(1))
            #expect(try await t.sys("ppoll", fds, 1, try HostileTimeouts.pair(t, Int64.min, 0), 0, 8) == .err(.EINVAL))
            #expect(try await t.sys("poll", fds, 1, Int32.max) == .ok(1))
            #expect(try await t.sys("poll", fds, UInt64(1) << 20, 0) == .err(.EINVAL))
        }
    }

    /// A sleeper of 10^10 s (and of LONG_MAX s) beside a runnable process: the machine ends
    /// when the first program does (the slice to the far deadline used to trap converting to
    /// Int64).
    @Test(arguments: [Int64(10_000_000_000), Int64.max])
    func farSleeperBesideARunnableProcess(_ seconds: Int64) async throws {
        let status = try await runGuest { t async throws in
            _ = try await t.fork { c async throws in
                try await c.sys("nanosleep", try HostileTimeouts.pair(c, seconds, 0), 0)
            }.get()
            _ = try await t.fork { c async throws in
                try await c.sys("clock_nanosleep", 1, 0, try HostileTimeouts.pair(c, seconds, 999_999_999), 0)
            }.get()
            try await t.sleep(nanoseconds: 2_000_000)
            try await t.sys("exit_group", 0)
        }
        #expect(status == 0)
    }

    @Test func futexAndSigtimedwait() async throws {
        try await runGuest { t async throws in
            let w = try t.word(1)
            #expect(try await t.sys("futex", w, C.FUTEX_WAIT, 0, try HostileTimeouts.pair(t, Int64.max, 0)) == .err(.EAGAIN))
            #expect(try await t.sys("futex", w, C.FUTEX_WAIT, 1, try HostileTimeouts.pair(t, 0, -1)) == .err(.EINVAL))
            // FUTEX_REQUEUE counts are C ints.
            #expect(try await t.sys("futex", w, 3, -1, 0, try t.word()) == .err(.EINVAL))
            #expect(try await t.sys("futex", w, 3, 1, UInt64(UInt32.max), try t.word()) == .err(.EINVAL))
            // FUTEX_WAKE_OP with a shift of 4095 and a wake count of 2^63 (the timeout slot).
            let encoded: UInt64 = (8 | 1) << 28 | 0xfff << 12
            #expect(try await t.sys("futex", w, 5, 1, UInt64(1) << 63, try t.word(), encoded) == .ok(0))
            #expect(try await t.sys("futex", w, 5, 1, 0, try t.word(), UInt64(7) << 28) == .err(.ENOSYS))
            // rt_sigtimedwait with LONG_MAX seconds takes a pending signal at once.
            try await t.sigprocmask(C.SIG_BLOCK, [.SIGUSR1])
            try await t.raise(.SIGUSR1)
            let set = try t.place(ScriptThread.bytes(ScriptThread.sigset([.SIGUSR1]), 8))
            #expect(try await t.sys("rt_sigtimedwait", set, 0, try HostileTimeouts.pair(t, Int64.max, 0), 8) == .ok(Int(Signal.SIGUSR1.rawValue)))
            #expect(try await t.sys("rt_sigtimedwait", set, 0, try HostileTimeouts.pair(t, -1, 0), 8) == .err(.EINVAL))
        }
    }

    @Test func intervalTimers() async throws {
        try await runGuest { t async throws in
            let old = try t.alloc(32)
            #expect(try await t.sys("setitimer", 0, try t.place(ScriptThread.bytes(0, 16) + ScriptThread.bytes(LONG_MAX, 8) + ScriptThread.bytes(0, 8)), 0) == .ok(0))
            #expect(try await t.sys("getitimer", 0, old) == .ok(0))
            #expect(try t.i64(old + 16) > 1 << 33)  // seconds left: about LONG_MAX ns
            // A timeval with tv_usec = 10^6 is EINVAL, and changes nothing.
            let bad = try t.place(ScriptThread.bytes(0, 16) + ScriptThread.bytes(1, 8) + ScriptThread.bytes(1_000_000, 8))
            #expect(try await t.sys("setitimer", 0, bad, 0) == .err(.EINVAL))
            #expect(try await t.sys("setitimer", 9, 0, 0) == .err(.EINVAL))
            #expect(try await t.sys("setitimer", 0, 0, old) == .ok(0))  // no new value: disarm
            #expect(try t.i64(old + 16) > 1 << 33)
            #expect(try await t.sys("alarm", UInt32.max) == .ok(0))
            #expect(try await t.sys("alarm", 0) == .ok(Int(UInt32.max)))
        }
    }
}

/// Signal numbers and pids at the edges of int.
@Suite struct HostileSignalCalls {
    @Test func killAndFriends() async throws {
        try await runGuest { t async throws in
            let pid = try await t.sys("getpid").get()
            #expect(try await t.sys("kill", Int32.min, 0) == .err(.ESRCH))
            #expect(try await t.sys("kill", Int32.min, 9) == .err(.ESRCH))
            #expect(try await t.sys("kill", pid, 65) == .err(.EINVAL))
            #expect(try await t.sys("kill", pid, -1) == .err(.EINVAL))
            #expect(try await t.sys("kill", pid, 0) == .ok(0))
            #expect(try await t.sys("kill", Int32.max, 0) == .err(.ESRCH))
            #expect(try await t.sys("tgkill", 0, pid, 0) == .err(.EINVAL))
            #expect(try await t.sys("tgkill", -1, pid, 0) == .err(.EINVAL))
            #expect(try await t.sys("tgkill", pid, 0, 0) == .err(.EINVAL))
            #expect(try await t.sys("tgkill", pid, Int32.max, 65) == .err(.ESRCH))
            #expect(try await t.sys("tgkill", pid, pid, 65) == .err(.EINVAL))
            #expect(try await t.sys("tgkill", pid, pid, 0) == .ok(0))
            #expect(try await t.sys("tkill", Int32.min, 0) == .err(.EINVAL))
            let info = try t.place(ScriptThread.bytes(10, 4) + ScriptThread.bytes(0, 4) + ScriptThread.bytes(UInt64(UInt32(bitPattern: -1)), 4) + [UInt8](repeating: 0, count: 116))
            #expect(try await t.sys("rt_sigqueueinfo", pid, 0, info) == .ok(0))
            #expect(try await t.sys("rt_sigqueueinfo", pid, 65, info) == .err(.EINVAL))
            #expect(try await t.sys("rt_sigqueueinfo", Int32.min, 10, info) == .err(.ESRCH))
            #expect(try await t.sys("rt_tgsigqueueinfo", pid, -1, 10, info) == .err(.EINVAL))
            #expect(try await t.sys("rt_tgsigqueueinfo", pid, pid, 65, info) == .err(.EINVAL))
            #expect(try await t.sys("rt_sigaction", 65, 0, 0, 8) == .err(.EINVAL))
            #expect(try await t.sys("rt_sigaction", 0, 0, 0, 8) == .err(.EINVAL))
        }
    }

    @Test func sigaltstackModes() async throws {
        try await runGuest { t async throws in
            func ss(_ base: UInt64, _ flags: Int32, _ size: UInt64) throws -> UInt64 {
                try t.place(ScriptThread.bytes(base, 8) + ScriptThread.bytes(UInt64(UInt32(bitPattern: flags)), 4) + [0, 0, 0, 0] + ScriptThread.bytes(size, 8))
            }
            #expect(try await t.sys("sigaltstack", try ss(0x1000_0000, 1, 8192), 0) == .ok(0))  // SS_ONSTACK: accepted as 0
            #expect(try await t.sys("sigaltstack", try ss(0x1000_0000, 4, 8192), 0) == .err(.EINVAL))
            #expect(try await t.sys("sigaltstack", try ss(0x1000_0000, 6, 8192), 0) == .err(.EINVAL))
            #expect(try await t.sys("sigaltstack", try ss(0x1000_0000, 0, 100), 0) == .err(.ENOMEM))
            let old = try t.alloc(24)
            #expect(try await t.sys("sigaltstack", try ss(0x1000_0000, Int32(bitPattern: 0x8000_0000), 8192), old) == .ok(0))
            #expect(try await t.sys("sigaltstack", 0, old) == .ok(0))
            #expect(try t.u32(old + 8) == 0x8000_0000)  // SS_AUTODISARM is reported back
        }
    }

    /// An alternate stack whose end passes 2^64: the frame has no room, the process dies of
    /// SIGSEGV (it used to trap adding base and size).
    @Test func altStackPastTheTop() async throws {
        let status = try await runGuest { t async throws in
            let ss = try t.place(ScriptThread.bytes(TOP_PAGE, 8) + ScriptThread.bytes(0, 8) + ScriptThread.bytes(0x10000, 8))
            try await t.sys("sigaltstack", ss, 0).get()
            try await t.sigaction(.SIGUSR1, flags: 0x0800_0000)  // SA_ONSTACK
            try await t.raise(.SIGUSR1)
            try await t.sys("exit_group", 0)
        }
        #expect(status == 128 + 11)
    }
}

/// Processes: wait4(INT_MIN), exit signals past 64, clone3's checks.
@Suite struct HostileProcessCalls {
    @Test func waitForImpossiblePids() async throws {
        try await runGuest { t async throws in
            #expect(try await t.wait(Int(Int32.min)).0 == .err(.ESRCH))
            #expect(try await t.wait(Int(-Int32.max)).0 == .err(.ECHILD))
            #expect(try await t.wait(Int(Int32.max)).0 == .err(.ECHILD))
            #expect(try await t.sys("waitid", 1, 0, 0, 4) == .err(.EINVAL))  // P_PID 0
            #expect(try await t.sys("waitid", 2, -1, 0, 4) == .err(.EINVAL))  // P_PGID -1
            #expect(try await t.sys("prlimit64", Int32.min, 7, 0, 0) == .err(.ESRCH))
            #expect(try await t.sys("prlimit64", 0, 16, 0, 0) == .err(.EINVAL))
            let huge = try t.place(ScriptThread.bytes(1 << 21, 8) + ScriptThread.bytes(1 << 21, 8))
            #expect(try await t.sys("setrlimit", 7, huge) == .err(.EPERM))
            #expect(try await t.sys("prlimit64", 0, 7, huge, 0) == .err(.EPERM))
        }
    }

    /// clone with exit signal 100, then the child exits: the parent is not signalled (100 is
    /// no signal), and wait4(__WALL) reaps the child (its exit used to index the handler table
    /// out of range).
    @Test(arguments: [Int32(100), 255, 65])
    func exitSignalPastTheLast(_ exitSignal: Int32) async throws {
        try await runGuest { t async throws in
            let pid = try await t.clone([], signal: Signal(exitSignal)) { c async throws in
                try await c.sys("exit_group", 3)
            }.get()
            let (r, status) = try await t.wait(pid, options: 0x4000_0000)  // __WALL
            #expect(r == .ok(pid))
            #expect(WaitStatus.exited(status) == 3)
            #expect(t.caught.isEmpty)
        }
    }

    /// A CLONE_PARENT child ends with its creator's exit signal, not the one clone asked for
    /// (Linux's copy_process): a fork's child cannot make its parent's exit signal SIGKILL or
    /// SIGUSR1. The sibling is a plain child of the parent, reaped by a wait without __WALL.
    @Test(arguments: [Signal.SIGUSR1, .SIGKILL])
    func cloneParentKeepsTheCallersExitSignal(_ asked: Signal) async throws {
        let status = try await runGuest { t async throws in
            try await t.sigaction(.SIGUSR1)
            try await t.sigaction(.SIGCHLD)
            let a = try await t.fork { c async throws in
                let b = try await c.clone([.parent], signal: asked) { g async throws in
                    try await g.sys("exit_group", 5)
                }.get()
                try await c.sys("exit_group", b > 0 ? 0 : 1)
            }.get()
            #expect(WaitStatus.exited(try await t.wait(a).1) == 0)
            let (r, st) = try await t.wait(-1)
            #expect(try r.get() != a)
            #expect(WaitStatus.exited(st) == 5)
            #expect(!t.caught.contains(.SIGUSR1))
            #expect(t.caught.contains(.SIGCHLD))
        }
        #expect(status == 0)
    }

    @Test func clone3Checks() async throws {
        try await runGuest { t async throws in
            func args(flags: UInt64 = 0, exitSignal: UInt64 = 17, stack: UInt64 = 0, stackSize: UInt64 = 0) throws -> UInt64 {
                try t.place([flags, 0, 0, 0, exitSignal, stack, stackSize, 0].flatMap { ScriptThread.bytes($0, 8) })
            }
            #expect(try await t.sys("clone3", try args(), 4097) == .err(.E2BIG))
            #expect(try await t.sys("clone3", try args(), 63) == .err(.EINVAL))
            #expect(try await t.sys("clone3", try args(exitSignal: 65), 64) == .err(.EINVAL))
            #expect(try await t.sys("clone3", try args(exitSignal: 1 << 63), 64) == .err(.EINVAL))
            #expect(try await t.sys("clone3", try args(flags: 17), 64) == .err(.EINVAL))  // CSIGNAL bits in flags
            #expect(try await t.sys("clone3", try args(stack: 0x1000_0000), 64) == .err(.EINVAL))
            #expect(try await t.sys("clone3", try args(stackSize: 4096), 64) == .err(.EINVAL))
            #expect(try await t.sys("clone3", try args(stack: TOP_PAGE, stackSize: 0x2000), 64) == .err(.EINVAL))
        }
    }

    @Test func execveArgvAtTheTop() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("execve", "/bin/exe", UInt64.max - 3, 0) == .err(.EFAULT))
        }
    }
}

/// File positions near 2^63, iovec totals, buffer sizes.
@Suite struct HostileFileCalls {
    @Test func positionsNearTheTop() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/f", C.O_CREAT | C.O_RDWR).get()
            try await t.write(fd, "data").get()
            let buf = try t.alloc(16)
            #expect(try await t.sys("lseek", fd, Int.max, C.SEEK_SET) == .ok(Int(Int64.max)))
            #expect(try await t.sys("lseek", fd, 1, C.SEEK_CUR) == .err(.EINVAL))
            #expect(try await t.sys("read", fd, buf, 10) == .err(.EINVAL))
            #expect(try await t.sys("write", fd, buf, 10) == .err(.EINVAL))
            #expect(try await t.sys("lseek", fd, Int.max, C.SEEK_END) == .err(.EINVAL))
            #expect(try await t.sys("lseek", fd, Int.min, 3) == .err(.ENXIO))  // SEEK_DATA
            #expect(try await t.sys("lseek", fd, -1, 4) == .err(.ENXIO))  // SEEK_HOLE
            #expect(try await t.sys("ioctl", fd, C.FIONREAD, buf) == .ok(0))
            #expect(try await t.sys("pread64", fd, buf, 10, Int.max - 5) == .err(.EINVAL))
            #expect(try await t.sys("pwrite64", fd, buf, 10, Int.max - 5) == .err(.EINVAL))
            #expect(try await t.sys("pread64", fd, buf, 10, -1) == .err(.EINVAL))
            #expect(try await t.sys("pread64", fd, buf, 4, 0) == .ok(4))
            let iov = try t.place(ScriptThread.bytes(buf, 8) + ScriptThread.bytes(4, 8))
            #expect(try await t.sys("preadv", fd, iov, 1, -1) == .err(.EINVAL))
            #expect(try await t.sys("preadv", fd, iov, 1, Int.max) == .err(.EINVAL))
            let proc = try await t.open("/proc/self/comm", C.O_RDONLY).get()
            #expect(try await t.sys("lseek", proc, Int.max, C.SEEK_SET) == .ok(Int(Int64.max)))
            #expect(try await t.sys("lseek", proc, Int.max, C.SEEK_CUR) == .err(.EINVAL))
            let dir = try await t.open("/", C.O_RDONLY | C.O_DIRECTORY).get()
            #expect(try await t.sys("lseek", dir, Int.max, C.SEEK_SET) == .ok(Int(Int64.max)))
            #expect(try await t.sys("getdents64", dir, buf, 16) == .ok(0))
        }
    }

    @Test func iovecTotalsAndCounts() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            try await t.write(w, "abc").get()
            let buf = try t.alloc(16)
            // Lengths that add past 2^63: cut to MAX_RW_COUNT in total (the unmapped second
            // buffer is then EFAULT), never summed past it.
            let iov = try t.place(ScriptThread.bytes(buf, 8) + ScriptThread.bytes(0x7fff_0000, 8)
                                  + ScriptThread.bytes(0x7000_0000_0000, 8) + ScriptThread.bytes(LONG_MAX, 8))
            #expect(try await t.sys("readv", r, iov, 2) == .err(.EFAULT))
            #expect(try await t.sys("writev", w, iov, 2) == .err(.EFAULT))
            let negative = try t.place(ScriptThread.bytes(buf, 8) + ScriptThread.bytes(UInt64.max, 8))
            #expect(try await t.sys("readv", r, negative, 1) == .err(.EINVAL))
            #expect(try await t.sys("readv", r, iov, 1025) == .err(.EINVAL))
            #expect(try await t.sys("readv", r, iov, -1) == .err(.EINVAL))
            #expect(try await t.sys("readv", r, iov, 0) == .ok(0))
            #expect(try await t.sys("write", w, TOP_PAGE, 0x2000) == .err(.EFAULT))
            #expect(try await t.sys("read", r, buf, 3) == .ok(3))
        }
    }

    @Test func bufferSizes() async throws {
        try await runGuest { t async throws in
            let buf = try t.alloc(4096)
            #expect(try await t.sys("getcwd", buf, -1) == .ok(2))
            #expect(try await t.sys("getcwd", buf, 1) == .err(.ERANGE))
            #expect(try await t.sys("readlink", "/dir/link-rel", buf, 0) == .err(.EINVAL))
            #expect(try await t.sys("readlink", "/dir/link-rel", buf, 1 << 32) == .err(.EINVAL))  // an int: 0
            #expect(try await t.sys("readlink", "/dir/link-rel", buf, -1) == .err(.EINVAL))
            #expect(try await t.sys("readlink", "/dir/link-rel", buf, (1 << 32) + 2) == .ok(2))
            let dir = try await t.open("/", C.O_RDONLY | C.O_DIRECTORY).get()
            #expect(try await t.sys("getdents64", dir, buf, 1 << 32) == .err(.EINVAL))  // an unsigned int: 0
            #expect(try await t.sys("utimensat", C.AT_FDCWD, "/tmp", UInt64.max - 7, 0) == .err(.EFAULT))
            let times = try t.place([0, 1_000_000_000, 0, 0].flatMap { ScriptThread.bytes($0, 8) })
            #expect(try await t.sys("utimensat", C.AT_FDCWD, "/tmp", times, 0) == .err(.EINVAL))
        }
    }

    /// The tracer formats a clock id of 2^64 - 1 (it used to trap converting it to Int).
    @Test func traceFormatsHugeArguments() async throws {
        let null = try HostFD.open("/dev/null", flags: HostOpen.writeOnly)
        defer { null.close() }
        try await runGuest(configure: { $0.trace = TraceSink(fd: null) }) { t async throws in
            #expect(try await t.sys("clock_gettime", UInt64.max, 0) == .err(.EINVAL))
            #expect(try await t.sys("clock_nanosleep", UInt64.max, 0, 0, 0) == .err(.EINVAL))
        }
    }
}

/// The kernel's mount points exist even when the root directory lacks them.
@Suite struct MountPointsWithoutDirectories {
    static let bareRoot: String = {
        let root = Fixture.root + "-bare"
        try? FileManager.default.removeItem(atPath: root)
        try! FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        return root
    }()

    @Test func tmpProcDevAreThere() async throws {
        try await ScriptedKernel(root: MountPointsWithoutDirectories.bareRoot).run { t async throws in
            for d in ["/tmp", "/proc", "/dev", "/dev/shm", "/tmp/..", "/proc/self/.."] {
                #expect(try await t.stat(d).map { $0.mode & C.S_IFMT } == .success(C.S_IFDIR), "\(d)")
            }
            #expect(try await t.contents("/proc/self/comm").map { !$0.isEmpty } == .success(true))
            try await t.open("/tmp/x", C.O_CREAT | C.O_WRONLY).get()
            #expect(try await t.stat("/tmp/x").map { $0.mode & C.S_IFMT } == .success(C.S_IFREG))
            #expect(try await t.open("/dev/null", C.O_WRONLY).errno == nil)
            // As on Linux: the mount points exist, so these are EEXIST / EISDIR, not EROFS.
            #expect(try await t.sys("mkdir", "/tmp", 0o755) == .err(.EEXIST))
            #expect(try await t.open("/tmp", C.O_CREAT | C.O_WRONLY) == .err(.EISDIR))
            #expect(try await t.sys("rmdir", "/proc") == .err(.EBUSY))
            // A listing of / shows them.
            let fd = try await t.open("/", C.O_RDONLY | C.O_DIRECTORY).get()
            let buf = try t.alloc(4096)
            let n = try await t.sys("getdents64", fd, buf, 4096).get()
            let bytes = try t.peek(buf, n)
            var names: [String] = []
            var at = 0
            while at < n {
                let reclen = Int(bytes[at + 16]) | Int(bytes[at + 17]) << 8
                names.append(String(decoding: bytes[(at + 19)...].prefix { $0 != 0 }, as: UTF8.self))
                at += reclen
            }
            #expect(Set(names).isSuperset(of: ["bin", "tmp", "proc", "dev"]))
            #expect(try await t.sys("getdents64", fd, buf, 4096) == .ok(0))
        }
    }
}
