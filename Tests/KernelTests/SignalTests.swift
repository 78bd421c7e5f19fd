import Testing
@testable import GuestKernel
import LinuxABI

@Suite struct Signals {
    /// Blocked signals raised in some order are delivered lowest-numbered first once unblocked
    /// (handlers with a full sa_mask, so none nests in another).
    @Test(arguments: [
        [Signal.SIGUSR2, .SIGUSR1],
        [.SIGTERM, .SIGHUP, .SIGUSR1],
        [.SIGALRM, .SIGINT, .SIGQUIT, .SIGUSR2, .SIGWINCH],
        [Signal(40), Signal(35), Signal(34)],
        [Signal(34), .SIGUSR2, Signal(50), .SIGHUP],
    ])
    func deliveryOrder(_ raised: [Signal]) async throws {
        try await runGuest { t async throws in
            let all = (1...64).map { Signal(Int32($0)) }.filter { !$0.isUncatchable }
            for s in raised { try await t.sigaction(s, mask: all).get() }
            try await t.sigprocmask(C.SIG_BLOCK, raised)
            for s in raised { try await t.raise(s).get() }
            #expect(t.caught.isEmpty)
            #expect(try await t.sigpending() == ScriptThread.sigset(raised))
            try await t.sigprocmask(C.SIG_UNBLOCK, raised)
            #expect(t.caught == raised.sorted { $0.rawValue < $1.rawValue })
            #expect(try await t.sigpending() == 0)
        }
    }

    /// Real-time signals queue: each instance is delivered; standard ones coalesce.
    @Test(arguments: [(Signal(34), 3, 3), (Signal(64), 5, 5), (.SIGUSR1, 3, 1), (.SIGCHLD, 2, 1)])
    func queueing(_ sig: Signal, _ sent: Int, _ delivered: Int) async throws {
        try await runGuest { t async throws in
            try await t.sigaction(sig).get()
            try await t.sigprocmask(C.SIG_BLOCK, [sig])
            for _ in 0..<sent { try await t.raise(sig).get() }
            try await t.sigprocmask(C.SIG_UNBLOCK, [sig])
            #expect(t.caught == Array(repeating: sig, count: delivered))
        }
    }

    @Test func sigqueueCarriesTheValue() async throws {
        try await runGuest { t async throws in
            let sig = Signal(40)
            try await t.sigaction(sig, flags: C.SA_SIGINFO).get()
            try await t.sigprocmask(C.SIG_BLOCK, [sig])
            let pid = try await t.sys("getpid").get()
            for v in [11, 22] {
                var info = ScriptThread.bytes(UInt64(sig.rawValue), 4) + ScriptThread.bytes(0, 4) + ScriptThread.bytes(UInt64(UInt32(bitPattern: -1)), 4) + [0, 0, 0, 0]
                info += ScriptThread.bytes(UInt64(pid), 4) + ScriptThread.bytes(0, 4) + ScriptThread.bytes(UInt64(v), 8)
                info += [UInt8](repeating: 0, count: 128 - info.count)
                try await t.sys("rt_sigqueueinfo", pid, sig, try t.place(info)).get()
            }
            try await t.sigprocmask(C.SIG_UNBLOCK, [sig])
            #expect(t.deliveries.map(\.info.value) == [11, 22])
        }
    }

    @Test func ignoringDiscardsPending() async throws {
        try await runGuest { t async throws in
            try await t.sigprocmask(C.SIG_BLOCK, [.SIGUSR1])
            try await t.raise(.SIGUSR1).get()
            #expect(try await t.sigpending() == ScriptThread.sigset([.SIGUSR1]))
            try await t.sigaction(.SIGUSR1, C.SIG_IGN).get()
            #expect(try await t.sigpending() == 0)
            try await t.sigaction(.SIGUSR1).get()
            try await t.sigprocmask(C.SIG_UNBLOCK, [.SIGUSR1])
            #expect(t.caught.isEmpty)
        }
    }

    /// A blocked signal whose default action is to ignore stays pending (it may be unblocked
    /// after a handler is installed); an unblocked ignored one is dropped at once.
    @Test func ignoredByDefault() async throws {
        try await runGuest { t async throws in
            try await t.raise(.SIGCHLD).get()
            #expect(try await t.sigpending() == 0)
            try await t.sigprocmask(C.SIG_BLOCK, [.SIGWINCH])
            try await t.raise(.SIGWINCH).get()
            #expect(try await t.sigpending() == ScriptThread.sigset([.SIGWINCH]))
        }
    }

    @Test func sigprocmaskHows() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sigprocmask(C.SIG_BLOCK, [.SIGUSR1, .SIGUSR2]) == 0)
            #expect(try await t.sigprocmask(C.SIG_UNBLOCK, [.SIGUSR1]) == ScriptThread.sigset([.SIGUSR1, .SIGUSR2]))
            #expect(try await t.sigprocmask(C.SIG_SETMASK, [.SIGTERM]) == ScriptThread.sigset([.SIGUSR2]))
            #expect(try await t.sigprocmask(C.SIG_BLOCK, nil) == ScriptThread.sigset([.SIGTERM]))
            // SIGKILL and SIGSTOP cannot be blocked: silently left out.
            try await t.sigprocmask(C.SIG_SETMASK, [.SIGKILL, .SIGSTOP, .SIGINT])
            #expect(try await t.sigprocmask(C.SIG_BLOCK, nil) == ScriptThread.sigset([.SIGINT]))
            let set = try t.place(ScriptThread.bytes(0, 8))
            #expect(try await t.sys("rt_sigprocmask", 7, set, 0, 8) == .err(.EINVAL))
            #expect(try await t.sys("rt_sigprocmask", C.SIG_BLOCK, set, 0, 4) == .err(.EINVAL))
        }
    }

    @Test(arguments: [(Int32(0), LinuxErrno.EINVAL), (65, .EINVAL), (9, .EINVAL), (19, .EINVAL), (-1, .EINVAL)])
    func sigactionRejects(_ sig: Int32, _ errno: LinuxErrno) async throws {
        try await runGuest { t async throws in
            #expect(try await t.sigaction(Signal(sig)) == .err(errno))
        }
    }

    @Test func resetHandRestoresTheDefault() async throws {
        try await runGuest { t async throws in
            try await t.sigaction(.SIGUSR1, flags: C.SA_RESETHAND).get()
            try await t.raise(.SIGUSR1).get()
            #expect(t.caught == [.SIGUSR1])
            let old = try t.alloc(32)
            try await t.sys("rt_sigaction", Signal.SIGUSR1, 0, old, 8).get()
            #expect(try t.u64(old) == C.SIG_DFL)
        }
    }

    /// The handler runs with its signal blocked (no SA_NODEFER) and its sa_mask; the old mask
    /// comes back when it returns.
    @Test func handlerMask() async throws {
        try await runGuest { t async throws in
            try await t.sigaction(.SIGUSR1, mask: [.SIGTERM]).get()
            try await t.raise(.SIGUSR1).get()
            let d = try #require(t.deliveries.first)
            #expect(d.savedMask == .empty)
            #expect(try await t.sigprocmask(C.SIG_BLOCK, nil) == 0)
        }
    }

    @Test func killChecks() async throws {
        try await runGuest { t async throws in
            let pid = try await t.sys("getpid").get()
            #expect(try await t.sys("kill", pid, 0) == .ok(0))
            #expect(try await t.sys("kill", 99999, 0) == .err(.ESRCH))
            #expect(try await t.sys("kill", pid, 65) == .err(.EINVAL))
            #expect(try await t.sys("tgkill", pid, pid, 0) == .ok(0))
            #expect(try await t.sys("tgkill", pid, 99999, 0) == .err(.ESRCH))
        }
    }

    @Test(arguments: [Signal.SIGTERM, .SIGKILL, .SIGINT, .SIGUSR1, .SIGALRM])
    func defaultActionTerminates(_ sig: Signal) async throws {
        try await runGuest { t async throws in
            let pid = try await t.fork { c async throws in
                try await c.raise(sig)
                try await c.sys("exit_group", 0)
            }.get()
            let (r, status) = try await t.wait()
            #expect(r == .ok(pid))
            #expect(WaitStatus.signaled(status) == sig.rawValue)
        }
    }

    @Test func sigchldReachesTheParent() async throws {
        try await runGuest { t async throws in
            try await t.sigaction(.SIGCHLD).get()
            let pid = try await t.fork { c async throws in try await c.sys("exit_group", 3) }.get()
            _ = try await t.wait(pid)
            #expect(t.caught == [.SIGCHLD])
            #expect(t.deliveries.first?.info.senderPID == Int32(pid))
            #expect(t.deliveries.first?.info.status == 3)
        }
    }

    /// A blocking read interrupted by a handled signal: EINTR without SA_RESTART, restarted
    /// (and completed by the later write) with it.
    @Test(arguments: [false, true])
    func interruptedRead(_ restart: Bool) async throws {
        try await runGuest { t async throws in
            try await t.sigaction(.SIGUSR1, flags: restart ? C.SA_RESTART : 0).get()
            let (r, w) = try await t.pipe()
            let parent = try await t.sys("getpid").get()
            try await t.fork { c async throws in
                try await c.sleep(nanoseconds: 1_000_000)
                try await c.sys("kill", parent, Signal.SIGUSR1).get()
                try await c.sleep(nanoseconds: 1_000_000)
                try await c.write(w, "late").get()
            }
            let (res, bytes) = try await t.read(r, 10)
            #expect(t.caught == [.SIGUSR1])
            if restart {
                #expect(res == .ok(4))
                #expect(bytes == Array("late".utf8))
            } else {
                #expect(res == .err(.EINTR))
            }
        }
    }

    /// nanosleep is never restarted (Linux: EINTR whatever SA_RESTART says).
    @Test(arguments: [false, true])
    func interruptedSleep(_ restart: Bool) async throws {
        try await runGuest { t async throws in
            try await t.sigaction(.SIGUSR1, flags: restart ? C.SA_RESTART : 0).get()
            let parent = try await t.sys("getpid").get()
            try await t.fork { c async throws in
                try await c.sleep(nanoseconds: 1_000_000)
                try await c.sys("kill", parent, Signal.SIGUSR1).get()
            }
            #expect(try await t.sleep(nanoseconds: 2_000_000_000) == .err(.EINTR))
        }
    }

    @Test func sigtimedwait() async throws {
        try await runGuest { t async throws in
            try await t.sigprocmask(C.SIG_BLOCK, [.SIGUSR2, .SIGHUP])
            let set = try t.place(ScriptThread.bytes(ScriptThread.sigset([.SIGUSR2, .SIGHUP]), 8))
            let info = try t.alloc(128)
            let timeout = try t.timespec(nanoseconds: 1_000_000)
            #expect(try await t.sys("rt_sigtimedwait", set, info, timeout, 8) == .err(.EAGAIN))
            try await t.raise(.SIGUSR2).get()
            try await t.raise(.SIGHUP).get()
            #expect(try await t.sys("rt_sigtimedwait", set, info, timeout, 8) == .ok(1))
            #expect(try await t.sys("rt_sigtimedwait", set, info, timeout, 8) == .ok(12))
            #expect(try t.i32(info) == 12)
            #expect(t.caught.isEmpty)
        }
    }

    @Test func pauseReturnsEINTRAfterTheHandler() async throws {
        try await runGuest { t async throws in
            try await t.sigaction(.SIGALRM).get()
            try await t.sys("alarm", 0).get()
            let itv = try t.place(ScriptThread.bytes(0, 16) + ScriptThread.bytes(0, 8) + ScriptThread.bytes(1000, 8))  // 1 ms
            try await t.sys("setitimer", 0, itv, 0).get()
            #expect(try await t.sys("pause") == .err(.EINTR))
            #expect(t.caught == [.SIGALRM])
        }
    }
}

/// Queued real-time signals are bounded by RLIMIT_SIGPENDING (and the machine's ceiling): every
/// record is umlab memory, and a guest that queues signals it keeps blocked must not grow umlab.
@Suite struct SignalQueueLimit {
    @Test func sigqueueStopsAtTheLimit() async throws {
        try await runGuest { t async throws in
            let rtmin = 34
            let limit = 100
            #expect(try await t.sys("setrlimit", 11, try t.place(ScriptThread.bytes(UInt64(limit), 8) + ScriptThread.bytes(UInt64(limit), 8))) == .ok(0))
            let mask = try t.place(ScriptThread.bytes(UInt64(1) << UInt64(rtmin - 1), 8))
            #expect(try await t.sys("rt_sigprocmask", C.SIG_BLOCK, mask, 0, 8) == .ok(0))
            guard case .ok(let pid) = try await t.sys("getpid") else { Issue.record("getpid"); return }
            // siginfo: si_signo, si_errno, si_code = SI_QUEUE (-1).
            let info = try t.place(ScriptThread.bytes(UInt64(rtmin), 4) + ScriptThread.bytes(0, 4)
                                   + ScriptThread.bytes(UInt64(UInt32.max), 4) + [UInt8](repeating: 0, count: 116))
            for _ in 0..<limit {
                #expect(try await t.sys("rt_sigqueueinfo", pid, rtmin, info) == .ok(0))
            }
            #expect(try await t.sys("rt_sigqueueinfo", pid, rtmin, info) == .err(.EAGAIN))
            // kill(2) is not refused: the signal stays pending (it already is).
            #expect(try await t.sys("kill", pid, rtmin) == .ok(0))
            // Each queued record is taken once, then nothing is left.
            let zero = try t.place(ScriptThread.bytes(0, 16))
            for _ in 0..<limit {
                #expect(try await t.sys("rt_sigtimedwait", mask, 0, zero, 8) == .ok(rtmin))
            }
            #expect(try await t.sys("rt_sigtimedwait", mask, 0, zero, 8) == .err(.EAGAIN))
            // The records were given back: the queue takes `limit` more.
            for _ in 0..<limit {
                #expect(try await t.sys("rt_sigqueueinfo", pid, rtmin, info) == .ok(0))
            }
        }
    }
}
