import Testing
@testable import GuestKernel
import LinuxABI

/// Hostile values for the locks, POSIX timers and scheduling calls (Tests/programs/locks.c and
/// timers.c cover the behaviour against Linux).
private extension ScriptThread {
    /// A struct flock (x86-64 layout: type, whence, pad, start, len, pid, pad).
    func flock(type: Int16, whence: Int16 = 0, start: Int64, length: Int64, pid: Int32 = 0) throws -> UInt64 {
        try place(ScriptThread.bytes(UInt64(UInt16(bitPattern: type)), 2) + ScriptThread.bytes(UInt64(UInt16(bitPattern: whence)), 2)
                  + [0, 0, 0, 0] + ScriptThread.bytes(UInt64(bitPattern: start), 8) + ScriptThread.bytes(UInt64(bitPattern: length), 8)
                  + ScriptThread.bytes(UInt64(UInt32(bitPattern: pid)), 4) + [0, 0, 0, 0])
    }
}

@Suite struct HostileLocksAndTimers {
    @Test func lockRangesAndDescriptors() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/l", C.O_CREAT | C.O_RDWR).get("open")
            let F_SETLK = 6, F_GETLK = 5, F_OFD_SETLK = 37
            #expect(try await t.sys("fcntl", -1, F_SETLK, try t.flock(type: 0, start: 0, length: 1)) == .err(.EBADF))
            #expect(try await t.sys("fcntl", fd, F_SETLK, 0) == .err(.EFAULT))
            #expect(try await t.sys("fcntl", fd, F_SETLK, UInt64.max - 8) == .err(.EFAULT))
            #expect(try await t.sys("fcntl", fd, F_SETLK, try t.flock(type: 0, start: .max, length: .max)) == .err(.EOVERFLOW))
            #expect(try await t.sys("fcntl", fd, F_SETLK, try t.flock(type: 0, start: .min, length: 1)) == .err(.EINVAL))
            #expect(try await t.sys("fcntl", fd, F_SETLK, try t.flock(type: 0, start: 0, length: .min)) == .err(.EINVAL))
            #expect(try await t.sys("fcntl", fd, F_SETLK, try t.flock(type: 0, whence: 1, start: .max, length: 1)) == .ok(0))
            #expect(try await t.sys("fcntl", fd, F_SETLK, try t.flock(type: 0, whence: -1, start: 0, length: 1)) == .err(.EINVAL))
            #expect(try await t.sys("fcntl", fd, F_SETLK, try t.flock(type: -1, start: 0, length: 1)) == .err(.EINVAL))
            #expect(try await t.sys("fcntl", fd, F_GETLK, try t.flock(type: 2, start: 0, length: 1)) == .err(.EINVAL))
            #expect(try await t.sys("fcntl", fd, F_OFD_SETLK, try t.flock(type: 1, start: 0, length: 1, pid: -1)) == .err(.EINVAL))
            // 12–14 are the 64-bit forms of 32-bit ABIs only.
            #expect(try await t.sys("fcntl", fd, 13, try t.flock(type: 1, start: 0, length: 1)) == .err(.EINVAL))
            #expect(try await t.sys("flock", -1, 2) == .err(.EBADF))
            #expect(try await t.sys("flock", fd, 0x7fff_ffdf) == .err(.EINVAL))
            #expect(try await t.sys("flock", fd, 2 | 4) == .ok(0))
            #expect(try await t.sys("close", fd) == .ok(0))
            // The description's locks went with it: the machine's table is empty again.
            #expect(t.kernel.fileLocks.files.isEmpty)
        }
    }

    @Test func timerIDsAndValues() async throws {
        try await runGuest { t async throws in
            let id = try t.alloc(4)
            #expect(try await t.sys("timer_create", 1, 0, 0) == .err(.EFAULT))
            #expect(try await t.sys("timer_create", Int32.min, 0, id) == .err(.EINVAL))
            #expect(try await t.sys("timer_create", 1, UInt64.max - 16, id) == .err(.EFAULT))
            #expect(try await t.sys("timer_create", 1, 0, id) == .ok(0))
            let timer = Int(try t.i32(id))
            for bad in [-1, Int(Int32.max), Int(Int32.min), timer + 1] {
                #expect(try await t.sys("timer_gettime", bad, try t.alloc(32)) == .err(.EINVAL))
                #expect(try await t.sys("timer_getoverrun", bad) == .err(.EINVAL))
                #expect(try await t.sys("timer_delete", bad) == .err(.EINVAL))
            }
            let spec = { (i: (Int64, Int64), v: (Int64, Int64)) throws -> UInt64 in
                try t.place([i.0, i.1, v.0, v.1].flatMap { ScriptThread.bytes(UInt64(bitPattern: $0), 8) })
            }
            #expect(try await t.sys("timer_settime", timer, 0, try spec((0, 0), (0, 1_000_000_000)), 0) == .err(.EINVAL))
            #expect(try await t.sys("timer_settime", timer, 0, try spec((-1, 0), (1, 0)), 0) == .err(.EINVAL))
            #expect(try await t.sys("timer_settime", timer, 0, UInt64.max - 8, 0) == .err(.EFAULT))
            // LONG_MAX seconds saturate: a deadline that never comes, reported as KTIME_MAX.
            #expect(try await t.sys("timer_settime", timer, 0, try spec((.max, 999_999_999), (.max, 999_999_999)), 0) == .ok(0))
            #expect(try await t.sys("timer_settime", timer, 1, try spec((0, 0), (.max, 0)), 0) == .ok(0))
            #expect(try await t.sys("timer_delete", timer) == .ok(0))
            #expect(try await t.sys("timer_delete", timer) == .err(.EINVAL))
        }
    }

    @Test func timersAreBoundedBySigpending() async throws {
        try await runGuest { t async throws in
            // RLIMIT_SIGPENDING 3: each timer holds a signal record, the fourth is EAGAIN.
            #expect(try await t.sys("prlimit64", 0, 11, try t.place(ScriptThread.bytes(3, 8) + ScriptThread.bytes(3, 8)), 0) == .ok(0))
            let id = try t.alloc(4)
            for _ in 0..<3 { #expect(try await t.sys("timer_create", 1, 0, id) == .ok(0)) }
            #expect(try await t.sys("timer_create", 1, 0, id) == .err(.EAGAIN))
            #expect(try await t.sys("timer_delete", 0) == .ok(0))
            #expect(try await t.sys("timer_create", 1, 0, id) == .ok(0))
        }
    }

    @Test func schedulingArguments() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("sched_setaffinity", 0, 8, 0) == .err(.EFAULT))
            #expect(try await t.sys("sched_setaffinity", 0, 0, 0) == .err(.EINVAL))
            #expect(try await t.sys("sched_setaffinity", -1, 8, try t.place(ScriptThread.bytes(1, 8))) == .err(.ESRCH))
            #expect(try await t.sys("sched_setaffinity", 0, UInt64.max, try t.place(ScriptThread.bytes(1, 8))) == .ok(0))
            #expect(try await t.sys("sched_setaffinity", 0, 8, try t.place(ScriptThread.bytes(2, 8))) == .err(.EINVAL))
            #expect(try await t.sys("sched_getaffinity", 0, UInt64.max - 7, try t.alloc(8)) == .ok(8))
            #expect(try await t.sys("getpriority", Int32.min, 0) == .err(.EINVAL))
            #expect(try await t.sys("setpriority", 0, 0, Int32.min) == .ok(0))
            #expect(try await t.sys("getpriority", 0, 0) == .ok(40))
            #expect(try await t.sys("setpriority", 0, 0, Int32.max) == .ok(0))
            #expect(try await t.sys("getpriority", 0, 0) == .ok(1))
            #expect(try await t.sys("sched_setscheduler", 0, Int32.min, try t.place(ScriptThread.bytes(0, 4))) == .ok(0))
            #expect(try await t.sys("sched_setscheduler", 0, 1, try t.place(ScriptThread.bytes(100, 4))) == .err(.EINVAL))
            #expect(try await t.sys("sched_getparam", 0, UInt64.max - 2) == .err(.EFAULT))
            #expect(try await t.sys("clock_gettime", -1, try t.alloc(16)) == .err(.EINVAL))
            #expect(try await t.sys("clock_gettime", Int32.min, try t.alloc(16)) == .err(.EINVAL))
            #expect(try await t.sys("clock_getres", 2, 0) == .ok(0))
            // The kernel-owned init: reported as a Linux init is (python's test_posix asks the
            // parent's policy), not the guest's to change.
            #expect(try await t.sys("sched_getscheduler", 1) == .ok(0))
            let param = try t.place(ScriptThread.bytes(7, 4))
            #expect(try await t.sys("sched_getparam", 1, param) == .ok(0))
            #expect(try t.i32(param) == 0)
            #expect(try await t.sys("sched_setscheduler", 1, 0, param) == .err(.EPERM))
            #expect(try await t.sys("sched_getaffinity", 1, 8, try t.alloc(8)) == .ok(8))  // taskset -p 1
            #expect(try await t.sys("sched_setaffinity", 1, 8, try t.place(ScriptThread.bytes(1, 8))) == .err(.EPERM))
        }
    }
}
