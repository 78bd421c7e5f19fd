import Testing
@testable import GuestKernel
import LinuxABI

private enum F {
    static let SFD_NONBLOCK = C.O_NONBLOCK, TFD_NONBLOCK = C.O_NONBLOCK
    static let CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_BOOTTIME = 7
    static let CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9
    static let TFD_TIMER_ABSTIME = 1
    static let F_SETOWN = 8, F_GETOWN = 9, F_SETSIG = 10, F_GETSIG = 11, F_SETOWN_EX = 15, F_GETOWN_EX = 16
    static let O_ASYNC = 0o20000, FIOASYNC = 0x5452
}

private extension ScriptThread {
    func signalfd(_ fd: Int, _ signals: [Signal], flags: Int = F.SFD_NONBLOCK, size: Int = 8) async throws -> SysRet {
        try await sys("signalfd4", fd, try place(ScriptThread.bytes(ScriptThread.sigset(signals), 8)), size, flags)
    }
    /// A signalfd read of up to `records` records: the result and the records' bytes.
    func readRecords(_ fd: Int, _ records: Int = 1) async throws -> (SysRet, [[UInt8]]) {
        let (r, b) = try await read(fd, 128 * records)
        return (r, stride(from: 0, to: b.count, by: 128).map { Array(b[$0..<($0 + 128)]) })
    }
    /// An itimerspec (x86-64: four 8-byte fields) placed in scratch memory.
    func itimerspec(interval: (Int64, Int64) = (0, 0), value: (Int64, Int64)) throws -> UInt64 {
        try place([interval.0, interval.1, value.0, value.1].flatMap { ScriptThread.bytes(UInt64(bitPattern: $0), 8) })
    }
    func settime(_ fd: Int, _ flags: Int = 0, interval: (Int64, Int64) = (0, 0), value: (Int64, Int64), old: UInt64 = 0) async throws -> SysRet {
        try await sys("timerfd_settime", fd, flags, try itimerspec(interval: interval, value: value), old)
    }
    /// timerfd_gettime: ((interval s, ns), (value s, ns)).
    func gettime(_ fd: Int) async throws -> ((Int64, Int64), (Int64, Int64)) {
        let a = try alloc(32)
        try await sys("timerfd_gettime", fd, a).get("timerfd_gettime")
        return ((try i64(a), try i64(a + 8)), (try i64(a + 16), try i64(a + 24)))
    }
    func ticks(_ fd: Int) async throws -> Result<UInt64, LinuxErrno> {
        let (r, b) = try await read(fd, 8)
        if case .err(let e) = r { return .failure(e) }
        return .success(b.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    }
    /// rt_sigtimedwait for `sig` with a zero timeout: the siginfo's bytes, or nil.
    func takeSignal(_ sig: Signal) async throws -> [UInt8]? {
        let info = try alloc(128)
        let r = try await sys("rt_sigtimedwait", try place(ScriptThread.bytes(ScriptThread.sigset([sig]), 8)), info, try timespec(nanoseconds: 0), 8)
        return r == .ok(Int(sig.rawValue)) ? try peek(info, 128) : nil
    }
}

private func le32(_ b: [UInt8], _ at: Int) -> Int32 { Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }) }
private func le64(_ b: [UInt8], _ at: Int) -> Int64 { Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }) }

@Suite struct SignalFDTests {
    @Test func errnosInLinuxOrder() async throws {
        try await runGuest { t async throws in
            #expect(try await t.signalfd(-1, [.SIGUSR1], size: 4) == .err(.EINVAL))
            #expect(try await t.sys("signalfd4", -1, 8, 8, 0) == .err(.EFAULT))
            #expect(try await t.signalfd(-1, [.SIGUSR1], flags: C.O_APPEND) == .err(.EINVAL))
            #expect(try await t.signalfd(-2, [.SIGUSR1]) == .err(.EBADF))
            let (r, _) = try await t.pipe()
            #expect(try await t.signalfd(r, [.SIGUSR1]) == .err(.EINVAL))
            let fd = try await t.signalfd(-1, [.SIGUSR1]).get()
            #expect(try await t.read(fd, 127).0 == .err(.EINVAL))
            #expect(try await t.readRecords(fd).0 == .err(.EAGAIN))
            #expect(try await t.write(fd, [UInt8](repeating: 0, count: 128)) == .err(.EINVAL))
        }
    }

    @Test func recordLayoutAndOrder() async throws {
        try await runGuest { t async throws in
            try await t.sigprocmask(C.SIG_BLOCK, [.SIGUSR1, .SIGUSR2])
            let fd = try await t.signalfd(-1, [.SIGUSR1, .SIGUSR2, .SIGKILL, .SIGSTOP]).get()
            let pid = try await t.sys("getpid").get()
            try await t.raise(.SIGUSR2)
            try await t.sys("tgkill", pid, pid, Signal.SIGUSR1).get()
            #expect(try await t.poll([(fd, C.POLLIN)], timeout: 0).1 == [C.POLLIN])
            // 300 bytes hold two records: thread-directed SIGUSR1 first (SI_TKILL), then SIGUSR2.
            let (r, recs) = try await t.readRecords(fd, 2)
            #expect(r == .ok(256))
            #expect(recs.map { le32($0, 0) } == [Signal.SIGUSR1.rawValue, Signal.SIGUSR2.rawValue])
            #expect(recs.map { le32($0, 8) } == [SignalCode.SI_TKILL, SignalCode.SI_USER])
            #expect(recs.allSatisfy { le32($0, 12) == Int32(pid) })
            #expect(try await t.poll([(fd, C.POLLIN)], timeout: 0).1 == [0])
            // SIGKILL and SIGSTOP are dropped from the mask.
            let file = try t.kernel.tasks[Int32(pid)]?.files.get(Int32(fd)) as? SignalFD
            #expect(file?.mask.contains(.SIGKILL) == false && file?.mask.contains(.SIGSTOP) == false)
        }
    }

    @Test func sigqueueValueAndMaskUpdate() async throws {
        try await runGuest { t async throws in
            try await t.sigprocmask(C.SIG_BLOCK, [Signal(C.SIGRTMIN), .SIGUSR1])
            let fd = try await t.signalfd(-1, [.SIGUSR1]).get()
            let pid = try await t.sys("getpid").get()
            var info = ScriptThread.bytes(UInt64(C.SIGRTMIN), 4) + ScriptThread.bytes(0, 4) + ScriptThread.bytes(UInt64(bitPattern: -1), 4)
            info += ScriptThread.bytes(0, 4) + ScriptThread.bytes(UInt64(pid), 4) + ScriptThread.bytes(0, 4) + ScriptThread.bytes(0x1_0000_0007, 8)
            info += [UInt8](repeating: 0, count: 128 - info.count)
            try await t.sys("rt_sigqueueinfo", pid, C.SIGRTMIN, try t.place(info)).get()
            #expect(try await t.readRecords(fd).0 == .err(.EAGAIN))
            #expect(try await t.signalfd(fd, [Signal(C.SIGRTMIN)]) == .ok(fd))
            let (r, recs) = try await t.readRecords(fd)
            #expect(r == .ok(128))
            #expect(le32(recs[0], 8) == SignalCode.SI_QUEUE)
            #expect(le32(recs[0], 44) == 7)  // ssi_int: the low half of si_value
            #expect(le64(recs[0], 48) == 0x1_0000_0007)  // ssi_ptr
        }
    }

    @Test func blockingReadAndPollWakeOnArrival() async throws {
        try await runGuest { t async throws in
            try await t.sigprocmask(C.SIG_BLOCK, [.SIGUSR1, .SIGUSR2])
            let fd = try await t.signalfd(-1, [.SIGUSR1, .SIGUSR2], flags: 0).get()
            let parent = try await t.sys("getpid").get()
            try await t.fork { c async throws in
                try await c.sleep(nanoseconds: 1_000_000)
                try await c.sys("kill", parent, Signal.SIGUSR1).get()
                try await c.sleep(nanoseconds: 1_000_000)
                try await c.sys("kill", parent, Signal.SIGUSR2).get()
            }
            let (r, recs) = try await t.readRecords(fd)
            #expect(r == .ok(128) && le32(recs[0], 0) == Signal.SIGUSR1.rawValue)
            #expect(try await t.poll([(fd, C.POLLIN)], timeout: -1).1 == [C.POLLIN])
            #expect(le32(try await t.readRecords(fd).1[0], 0) == Signal.SIGUSR2.rawValue)
            _ = try await t.wait()
        }
    }

    @Test func noQueueUntilASignalfdIsUsed() async throws {
        try await runGuest { t async throws in
            try await t.sigprocmask(C.SIG_BLOCK, [.SIGUSR1])
            try await t.raise(.SIGUSR1)
            let fd = try await t.signalfd(-1, [.SIGUSR2]).get()
            #expect(t.kernel.mainProcess?.signalArrivals == nil)
            #expect(try await t.poll([(fd, C.POLLIN)], timeout: 1).1 == [0])  // waited on the queue
            #expect(t.kernel.mainProcess?.signalArrivals != nil)
        }
    }
}

@Suite struct TimerFDTests {
    @Test func createAndSettimeErrnos() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("timerfd_create", 2, 0) == .err(.EINVAL))  // CLOCK_PROCESS_CPUTIME_ID
            #expect(try await t.sys("timerfd_create", F.CLOCK_MONOTONIC, C.O_APPEND) == .err(.EINVAL))
            let fd = try await t.sys("timerfd_create", F.CLOCK_MONOTONIC, F.TFD_NONBLOCK).get()
            #expect(try await t.sys("timerfd_settime", fd, 0, 8, 0) == .err(.EFAULT))
            #expect(try await t.settime(fd, 4, value: (1, 0)) == .err(.EINVAL))
            #expect(try await t.settime(fd, value: (0, 1_000_000_000)) == .err(.EINVAL))
            #expect(try await t.settime(fd, value: (0, -1)) == .err(.EINVAL))
            #expect(try await t.settime(fd, interval: (-1, 0), value: (1, 0)) == .err(.EINVAL))
            #expect(try await t.settime(-1, value: (1, 0)) == .err(.EBADF))
            #expect(try await t.settime(0, value: (1, 0)) == .err(.EINVAL))
            // Checked before the fd: a bad timespec on a bad fd is EINVAL.
            #expect(try await t.settime(-1, value: (-1, 0)) == .err(.EINVAL))
            #expect(try await t.ticks(fd) == .failure(.EAGAIN))
            #expect(try await t.read(fd, 7).0 == .err(.EINVAL))
        }
    }

    @Test func alarmClocksNeedRoot() async throws {
        try await runGuest { t async throws in
            let a = try await t.sys("timerfd_create", F.CLOCK_REALTIME_ALARM, 0).get()
            let b = try await t.sys("timerfd_create", F.CLOCK_BOOTTIME_ALARM, 0).get()
            try await t.settime(a, value: (0, 1_000_000)).get()
            #expect(try await t.ticks(a) == .success(1))
            try await t.sys("close", b).get()
            try await t.sys("setresuid", 1000, 1000, 1000).get()
            #expect(try await t.sys("timerfd_create", F.CLOCK_REALTIME_ALARM, 0) == .err(.EPERM))
            #expect(try await t.sys("timerfd_create", F.CLOCK_BOOTTIME, 0).get() >= 0)
        }
    }

    @Test func hugeTimesSaturateAtKtimeMax() async throws {
        try await runGuest { t async throws in
            let fd = try await t.sys("timerfd_create", F.CLOCK_MONOTONIC, F.TFD_NONBLOCK).get()
            try await t.settime(fd, interval: (Int64.max, 999_999_999), value: (Int64.max, 0)).get()
            let (interval, value) = try await t.gettime(fd)
            #expect(interval == (9_223_372_036, 854_775_807))
            #expect(value.0 > 9_000_000_000 && value.0 <= 9_223_372_036)
            #expect(try await t.ticks(fd) == .failure(.EAGAIN))
            // Absolute on the realtime clock, at the end of time: armed, never due.
            let rt = try await t.sys("timerfd_create", F.CLOCK_REALTIME, F.TFD_NONBLOCK).get()
            try await t.settime(rt, F.TFD_TIMER_ABSTIME, value: (Int64.max, 0)).get()
            #expect(try await t.gettime(rt).1.0 > 7_000_000_000)
        }
    }

    @Test func periodicTimerCountsMissedPeriodsAtTheRead() async throws {
        try await runGuest { t async throws in
            let fd = try await t.sys("timerfd_create", F.CLOCK_MONOTONIC, 0).get()
            // 1 ns periods: one timer event until the read, however many periods pass.
            try await t.settime(fd, interval: (0, 1), value: (0, 1)).get()
            try await t.sleep(nanoseconds: 2_000_000)
            #expect(t.kernel.timers.count <= 2)
            let first = try await t.ticks(fd).get()
            #expect(first >= 1_000_000)
            #expect(try await t.ticks(fd).get() >= 1)  // re-armed by the read: blocks, then fires
            try await t.settime(fd, value: (0, 0)).get()  // disarmed
            let (i, v) = try await t.gettime(fd)
            #expect(i == (0, 0) && v == (0, 0))
        }
    }

    @Test func blockingReadAndPollWaitForTheTimer() async throws {
        try await runGuest { t async throws in
            let fd = try await t.sys("timerfd_create", F.CLOCK_BOOTTIME, 0).get()
            try await t.settime(fd, value: (0, 1_000_000)).get()
            #expect(try await t.poll([(fd, C.POLLIN | C.POLLOUT)], timeout: -1).1 == [C.POLLIN])
            #expect(try await t.ticks(fd) == .success(1))
            try await t.settime(fd, value: (0, 1_000_000)).get()
            #expect(try await t.ticks(fd) == .success(1))
        }
    }

    @Test func oldValueAndReArmDropsExpirations() async throws {
        try await runGuest { t async throws in
            let fd = try await t.sys("timerfd_create", F.CLOCK_MONOTONIC, F.TFD_NONBLOCK).get()
            try await t.settime(fd, value: (0, 1)).get()
            try await t.sleep(nanoseconds: 1_000_000)
            #expect(try await t.poll([(fd, C.POLLIN)], timeout: 0).1 == [C.POLLIN])
            let old = try t.alloc(32)
            try await t.settime(fd, interval: (5, 0), value: (100, 0), old: old).get()
            #expect(try t.i64(old) == 0 && t.i64(old + 16) == 0 && t.i64(old + 24) == 0)  // a spent one-shot
            #expect(try await t.ticks(fd) == .failure(.EAGAIN))
            try await t.settime(fd, value: (0, 0), old: old).get()
            #expect(try t.i64(old) == 5 && t.i64(old + 16) == 99)
        }
    }

    @Test func reArmingInALoopKeepsTheTimerHeapBounded() async throws {
        try await runGuest { t async throws in
            let fd = try await t.sys("timerfd_create", F.CLOCK_MONOTONIC, F.TFD_NONBLOCK).get()
            let spec = try t.itimerspec(value: (3600, 0))
            for _ in 0..<3000 { try await t.sys("timerfd_settime", fd, 0, spec, 0).get() }
            #expect(t.kernel.timers.count <= 1024)
            try await t.sys("close", fd).get()
        }
    }
}

@Suite struct AsyncSignalTests {
    @Test func ownerCommands() async throws {
        try await runGuest { t async throws in
            let (r, _) = try await t.pipe()
            let ex = try t.alloc(8)
            try await t.sys("fcntl", r, F.F_GETOWN_EX, ex).get()
            #expect(try t.i32(ex) == 0 && t.i32(ex + 4) == 0)  // F_OWNER_TID, nobody
            let pid = try await t.sys("getpid").get()
            #expect(try await t.sys("fcntl", r, F.F_SETOWN, -pid) == .ok(0))
            #expect(try await t.sys("fcntl", r, F.F_GETOWN) == .ok(-pid))
            try await t.sys("fcntl", r, F.F_GETOWN_EX, ex).get()
            #expect(try t.i32(ex) == 2 && t.i32(ex + 4) == Int32(pid))  // F_OWNER_PGRP
            #expect(try await t.sys("fcntl", r, F.F_SETOWN, Int(Int32.min)) == .err(.EINVAL))
            #expect(try await t.sys("fcntl", r, F.F_SETOWN, 77777) == .err(.ESRCH))
            #expect(try await t.sys("fcntl", r, F.F_SETOWN_EX, 8) == .err(.EFAULT))
            #expect(try await t.sys("fcntl", r, F.F_SETSIG, 64) == .ok(0))
            #expect(try await t.sys("fcntl", r, F.F_GETSIG) == .ok(64))
            #expect(try await t.sys("fcntl", r, F.F_SETSIG, 65) == .err(.EINVAL))
            #expect(try await t.sys("fcntl", r, F.F_SETOWN, 0) == .ok(0))
            #expect(try await t.sys("fcntl", r, F.F_GETOWN) == .ok(0))
        }
    }

    @Test func fioasyncAndSignalSpecificCodes() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            try await t.sigprocmask(C.SIG_BLOCK, [.SIGIO, .SIGCHLD])
            let pid = try await t.sys("getpid").get()
            try await t.sys("fcntl", r, F.F_SETOWN, pid).get()
            try await t.sys("ioctl", r, F.FIOASYNC, try t.place([1, 0, 0, 0])).get()
            #expect(try await t.sys("fcntl", r, C.F_GETFL).get() & F.O_ASYNC != 0)
            try await t.write(w, "x").get()
            let plain = try await t.takeSignal(.SIGIO)
            #expect(plain.map { le32($0, 8) } == SignalCode.SI_KERNEL)
            // F_SETSIG to a signal with codes of its own reports SI_SIGIO, with si_band and si_fd.
            try await t.sys("fcntl", r, F.F_SETSIG, Signal.SIGCHLD).get()
            try await t.write(w, "y").get()
            let info = try await t.takeSignal(.SIGCHLD)
            #expect(info.map { le32($0, 8) } == SignalCode.SI_SIGIO)
            #expect(info.map { le64($0, 16) } == 0x41)
            #expect(info.map { le32($0, 24) } == Int32(r))
            try await t.sys("ioctl", r, F.FIOASYNC, try t.place([0, 0, 0, 0])).get()
            try await t.write(w, "z").get()
            #expect(try await t.takeSignal(.SIGCHLD) == nil)
        }
    }

    @Test func threadOwnerGetsItAndNotItsSiblings() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            try await t.sigprocmask(C.SIG_BLOCK, [.SIGIO])
            let tid = try t.word()
            let go = try t.word()
            try await t.thread { c async throws in
                try c.setU32(tid, UInt32(try await c.sys("gettid").get()))
                while try c.u32(go) == 0 { try await c.sys("sched_yield") }
                #expect(try await c.takeSignal(.SIGIO) != nil)
            }
            while try t.u32(tid) == 0 { try await t.sys("sched_yield") }
            let ex = try t.place(ScriptThread.bytes(0, 4) + ScriptThread.bytes(UInt64(try t.u32(tid)), 4))
            try await t.sys("fcntl", r, F.F_SETOWN_EX, ex).get()
            try await t.sys("fcntl", r, C.F_SETFL, F.O_ASYNC).get()
            try await t.write(w, "x").get()
            #expect(try await t.takeSignal(.SIGIO) == nil)  // thread-directed: not this thread's
            try t.setU32(go, 1)
            try await t.sleep(nanoseconds: 2_000_000)
        }
    }

    @Test func closingTheFileRemovesItsWatcher() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            try await t.sigprocmask(C.SIG_BLOCK, [.SIGIO])
            let pid = try await t.sys("getpid").get()
            try await t.sys("fcntl", w, F.F_SETOWN, pid).get()
            try await t.sys("fcntl", w, C.F_SETFL, F.O_ASYNC).get()
            let pipe = try #require(t.kernel.tasks[Int32(pid)]?.files.get(Int32(w)) as? PipeEnd).pipe
            #expect(pipe.queue.watcherCount == 1)
            try await t.sys("close", w).get()
            #expect(pipe.queue.watcherCount == 0)
            _ = r
        }
    }
}
