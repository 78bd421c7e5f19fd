import Testing
@testable import GuestKernel
import LinuxABI

@Suite struct Futex {
    @Test(arguments: [C.FUTEX_WAIT, C.FUTEX_WAIT | C.FUTEX_PRIVATE])
    func valueMismatch(_ op: Int) async throws {
        try await runGuest { t async throws in
            let w = try t.word(5)
            #expect(try await t.sys("futex", w, op, 4, 0) == .err(.EAGAIN))
        }
    }

    @Test(arguments: [1_000_000, 3_000_000])
    func timesOut(_ ns: Int) async throws {
        try await runGuest { t async throws in
            let w = try t.word(0)
            let before = try await t.now()
            #expect(try await t.sys("futex", w, C.FUTEX_WAIT | C.FUTEX_PRIVATE, 0, try t.timespec(nanoseconds: ns)) == .err(.ETIMEDOUT))
            #expect(try await t.now() - before >= ns)
        }
    }

    @Test func errors() async throws {
        try await runGuest { t async throws in
            let w = try t.word(0)
            #expect(try await t.sys("futex", w + 1, C.FUTEX_WAIT, 0, 0) == .err(.EINVAL))
            #expect(try await t.sys("futex", w, C.FUTEX_WAKE, 1, 0) == .ok(0))
            #expect(try await t.sys("futex", 0x10, C.FUTEX_WAIT, 0, 0) == .err(.EFAULT))
            let bad = try t.timespec(nanoseconds: 0)
            try t.setU64(bad + 8, 2_000_000_000)
            #expect(try await t.sys("futex", w, C.FUTEX_WAIT, 0, bad) == .err(.EINVAL))
        }
    }

    /// A thread blocks in FUTEX_WAIT until the main thread changes the word and wakes it.
    @Test(arguments: [C.FUTEX_PRIVATE, 0])
    func waitAndWake(_ privateFlag: Int) async throws {
        try await runGuest { t async throws in
            let w = try t.word(0)
            let order = Order()
            try await t.thread { c async throws in
                let r = try await c.sys("futex", w, C.FUTEX_WAIT | privateFlag, 0, 0)
                order.log("woken \(r) value \(try c.u32(w))")
            }
            try await t.sys("sched_yield").get()
            try await t.sleep(nanoseconds: 1_000_000)
            order.log("waking")
            try t.setU32(w, 1)
            #expect(try await t.sys("futex", w, C.FUTEX_WAKE | privateFlag, 1, 0) == .ok(1))
            try await t.sleep(nanoseconds: 1_000_000)
            #expect(order.events == ["waking", "woken 0 value 1"])
        }
    }

    @Test(arguments: [(3, 1, 1), (3, 2, 2), (3, 5, 3), (2, Int(Int32.max), 2)])
    func wakeCount(_ waiters: Int, _ wake: Int, _ woken: Int) async throws {
        try await runGuest { t async throws in
            let w = try t.word(0)
            for _ in 0..<waiters {
                try await t.thread { c async throws in _ = try await c.sys("futex", w, C.FUTEX_WAIT | C.FUTEX_PRIVATE, 0, 0) }
            }
            try await t.sleep(nanoseconds: 1_000_000)
            #expect(try await t.sys("futex", w, C.FUTEX_WAKE | C.FUTEX_PRIVATE, wake, 0) == .ok(woken))
            #expect(try await t.sys("futex", w, C.FUTEX_WAKE | C.FUTEX_PRIVATE, Int(Int32.max), 0) == .ok(waiters - woken))
        }
    }

    /// Private memory: a forked child's word is its own copy, so its wake reaches nobody.
    @Test func forkedPrivateWordsAreDistinct() async throws {
        try await runGuest { t async throws in
            let w = try t.word(0)
            try await t.fork { c async throws in
                try await c.sleep(nanoseconds: 500_000)
                #expect(try await c.sys("futex", w, C.FUTEX_WAKE, 1, 0) == .ok(0))
            }
            #expect(try await t.sys("futex", w, C.FUTEX_WAIT, 0, try t.timespec(nanoseconds: 5_000_000)) == .err(.ETIMEDOUT))
        }
    }

    /// Two processes share a MAP_SHARED anonymous page: a non-private futex on it is one key
    /// (the backing object and offset), so the child's wake reaches the parent.
    @Test func sharedBetweenProcesses() async throws {
            try await runGuest { t async throws in
                let page = try await t.sys("mmap", 0, 4096, C.PROT_READ | C.PROT_WRITE, C.MAP_SHARED | C.MAP_ANONYMOUS, -1, 0).get()
                let w = UInt64(page)
                try await t.fork { c async throws in
                    try await c.sleep(nanoseconds: 1_000_000)
                    try c.setU32(w, 1)
                    #expect(try await c.sys("futex", w, C.FUTEX_WAKE, 1, 0) == .ok(1))
                }
                #expect(try await t.sys("futex", w, C.FUTEX_WAIT, 0, try t.timespec(nanoseconds: 200_000_000)) == .ok(0))
                #expect(try t.u32(w) == 1)
            }
    }
}
