import Testing
@testable import GuestKernel
import LinuxABI

@Suite struct Wait {
    @Test func noChildren() async throws {
        try await runGuest { t async throws in
            #expect(try await t.wait().0 == .err(.ECHILD))
            #expect(try await t.wait(options: C.WNOHANG).0 == .err(.ECHILD))
            #expect(try await t.wait(1).0 == .err(.ECHILD))
        }
    }

    @Test(arguments: [0, 1, 42, 255, 256])
    func exitStatus(_ code: Int) async throws {
        try await runGuest { t async throws in
            let pid = try await t.fork { c async throws in try await c.sys("exit_group", code) }.get()
            let (r, status) = try await t.wait(pid)
            #expect(r == .ok(pid))
            #expect(WaitStatus.exited(status) == Int32(code & 0xff))
            #expect(try await t.wait(pid).0 == .err(.ECHILD))
        }
    }

    @Test func wnohangWhileTheChildRuns() async throws {
        try await runGuest { t async throws in
            let pid = try await t.fork { c async throws in try await c.sleep(nanoseconds: 2_000_000) }.get()
            #expect(try await t.wait(pid, options: C.WNOHANG).0 == .ok(0))
            #expect(try await t.wait(pid).0 == .ok(pid))
        }
    }

    @Test func anyChildInExitOrder() async throws {
        try await runGuest { t async throws in
            let slow = try await t.fork { c async throws in try await c.sleep(nanoseconds: 3_000_000); try await c.sys("exit_group", 2) }.get()
            let fast = try await t.fork { c async throws in try await c.sys("exit_group", 1) }.get()
            let first = try await t.wait()
            let second = try await t.wait()
            #expect(first.0 == .ok(fast))
            #expect(WaitStatus.exited(first.1) == 1)
            #expect(second.0 == .ok(slow))
            #expect(WaitStatus.exited(second.1) == 2)
        }
    }

    @Test func onlyOwnChildren() async throws {
        try await runGuest { t async throws in
            let parent = try await t.sys("getpid").get()
            let pid = try await t.fork { c async throws in
                #expect(try await c.wait(parent).0 == .err(.ECHILD))
                #expect(try await c.sys("getppid") == .ok(parent))
            }.get()
            #expect(try await t.wait(pid).0 == .ok(pid))
            #expect(try await t.wait(pid + 100).0 == .err(.ECHILD))
        }
    }

    @Test func orphansGoToInit() async throws {
        try await runGuest { t async throws in
            let seen = Order()
            let mid = try await t.fork { c async throws in
                try await c.fork { g async throws in
                    try await g.sleep(nanoseconds: 3_000_000)
                    seen.log("ppid \(try await g.sys("getppid"))")
                }
            }.get()
            #expect(try await t.wait(mid).0 == .ok(mid))
            try await t.sleep(nanoseconds: 10_000_000)
            #expect(seen.events == ["ppid 1"])
        }
    }

    @Test func pidsAndThreadIds() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("gettid") == .ok(2))
            let ids = Order()
            let tid = try await t.thread { c async throws in
                ids.log("pid \(try await c.sys("getpid")) tid \(try await c.sys("gettid"))")
            }.get()
            try await t.sleep(nanoseconds: 1_000_000)
            #expect(ids.events == ["pid 2 tid \(tid)"])
            // A thread is not a child to wait for.
            #expect(try await t.wait(tid).0 == .err(.ECHILD))
        }
    }

    @Test func exitGroupEndsEveryThread() async throws {
        let status = try await runGuest { t async throws in
            let after = Order()
            let pid = try await t.fork { c async throws in
                try await c.thread { th async throws in
                    try await th.sleep(nanoseconds: 50_000_000)
                    after.log("thread survived")
                }
                try await c.sys("exit_group", 9)
            }.get()
            let (r, st) = try await t.wait(pid)
            #expect(r == .ok(pid))
            #expect(WaitStatus.exited(st) == 9)
            try await t.sleep(nanoseconds: 60_000_000)
            #expect(after.events.isEmpty)
            try await t.sys("exit_group", 4)
        }
        #expect(status == 4)
    }

    @Test(arguments: [C.O_RDONLY, C.O_CLOEXEC])
    func execErrors(_ extra: Int) async throws {
        try await runGuest { t async throws in
            let argv = try t.place(ScriptThread.bytes(try t.cString("x"), 8) + ScriptThread.bytes(0, 8))
            let envp = try t.place(ScriptThread.bytes(0, 8))
            #expect(try await t.sys("execve", "/missing", argv, envp) == .err(.ENOENT))
            #expect(try await t.sys("execve", "/dir", argv, envp) == .err(.EACCES))
            #expect(try await t.sys("execve", "/dir/file", argv, envp) == .err(.EACCES))
            #expect(try await t.sys("execve", "/bin/exe", argv, envp) == .err(.ENOEXEC))
            #expect(try await t.sys("execve", "/bin/script", argv, envp) == .err(.ENOEXEC))
            #expect(try await t.sys("execve", "/bin/noexec", argv, envp) == .err(.EACCES))
            #expect(try await t.sys("execve", "/dir/file/x", argv, envp) == .err(.ENOTDIR))
            #expect(try await t.sys("execve", "/loop1", argv, envp) == .err(.ELOOP))
        }
    }
}

/// The scheduler: a task that only makes system calls must not keep the CPU from others.
@Suite struct Scheduling {
    /// A sibling sleeping 1 ms five times finishes long before a busy task's 600 ms budget.
    @Test func sleeperIsNotStarvedBySyscallLoop() async throws {
        try await runGuest(timeout: 8, configure: { $0.sliceNanoseconds = 10_000_000 }) { t async throws in
            let done = Order()
            try await t.fork { c async throws in
                for _ in 0..<5 { try await c.sleep(nanoseconds: 1_000_000) }
                done.log("sleeper done")
            }
            let start = try await t.now()
            var spins = 0
            while done.events.isEmpty, try await t.now() - start < 600_000_000 {
                try await t.sys("getppid").get()
                spins += 1
            }
            let elapsed = try await t.now() - start
            #expect(done.events == ["sleeper done"])
            #expect(elapsed < 500_000_000, "the sleeper took \(elapsed / 1_000_000) ms (\(spins) spins)")
        }
    }

    /// Two tasks that both make calls in a loop share the CPU: the second makes progress while
    /// the first is still in its 30 ms loop.
    @Test func twoSyscallLoopsShareTheCPU() async throws {
            try await runGuest(timeout: 8, configure: { $0.sliceNanoseconds = 10_000_000 }) { t async throws in
                let progress = Counter()
                try await t.fork { c async throws in
                    while progress.firstDone == false {
                        try await c.sys("getppid").get()
                        progress.second += 1
                    }
                }
                let start = try await t.now()
                while try await t.now() - start < 30_000_000 { try await t.sys("getppid").get() }
                let secondDuringFirst = progress.second
                progress.firstDone = true
                _ = try await t.wait()
                #expect(secondDuringFirst > 0)
            }
    }

    @Test func yieldLetsTheOtherRun() async throws {
        try await runGuest { t async throws in
            let order = Order()
            try await t.fork { c async throws in order.log("child") }
            order.log("parent before yield")
            try await t.sys("sched_yield").get()
            try await t.sleep(nanoseconds: 1_000_000)
            #expect(order.events.first == "parent before yield")
            #expect(order.events.contains("child"))
        }
    }
}

final class Counter {
    var second = 0
    var firstDone = false
}
