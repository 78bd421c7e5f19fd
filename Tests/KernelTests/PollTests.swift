import Testing
@testable import GuestKernel
import LinuxABI

@Suite struct Poll {
    enum Object: String, CaseIterable, Sendable {
        case emptyPipeRead, fullPipeRead, pipeWrite, fullPipeWrite, widowedRead, widowedWrite, tmpfsFile, devNull,
             closedNumber, negative
    }

    /// Opens `object` and returns the descriptor poll should look at.
    static func make(_ o: Object, _ t: ScriptThread) async throws -> Int {
        switch o {
        case .emptyPipeRead: return try await t.pipe().r
        case .fullPipeRead:
            let (r, w) = try await t.pipe()
            try await t.write(w, "x").get()
            return r
        case .pipeWrite: return try await t.pipe().w
        case .fullPipeWrite:
            let (_, w) = try await t.pipe(C.O_NONBLOCK)
            while case .ok = try await t.write(w, [UInt8](repeating: 0, count: 4096)) {}
            return w
        case .widowedRead:
            let (r, w) = try await t.pipe()
            try await t.sys("close", w).get()
            return r
        case .widowedWrite:
            let (r, w) = try await t.pipe()
            try await t.sys("close", r).get()
            return w
        case .tmpfsFile: return try await t.open("/tmp/f", C.O_CREAT | C.O_RDWR).get()
        case .devNull: return try await t.open("/dev/null", C.O_RDWR).get()
        case .closedNumber: return 77
        case .negative: return -1
        }
    }

    static let expected: [Object: Int] = [
        .emptyPipeRead: 0, .fullPipeRead: C.POLLIN, .pipeWrite: C.POLLOUT, .fullPipeWrite: 0,
        .widowedRead: C.POLLHUP, .widowedWrite: C.POLLOUT | C.POLLERR,
        .tmpfsFile: C.POLLIN | C.POLLOUT, .devNull: C.POLLIN | C.POLLOUT, .closedNumber: C.POLLNVAL, .negative: 0,
    ]

    @Test(arguments: Object.allCases)
    func revents(_ o: Object) async throws {
        try await runGuest { t async throws in
            let fd = try await Poll.make(o, t)
            let (r, ev) = try await t.poll([(fd, C.POLLIN | C.POLLOUT)], timeout: 0)
            let want = Poll.expected[o]!
            #expect(ev == [want])
            #expect(r == .ok(want == 0 ? 0 : 1))
        }
    }

    /// Every pair of objects in one call: the count is the number of entries with events.
    @Test(arguments: Object.allCases, Object.allCases)
    func mixed(_ a: Object, _ b: Object) async throws {
        try await runGuest { t async throws in
            let fa = try await Poll.make(a, t), fb = try await Poll.make(b, t)
            let (r, ev) = try await t.poll([(fa, C.POLLIN | C.POLLOUT), (fb, C.POLLIN | C.POLLOUT)], timeout: 0)
            let want = [Poll.expected[a]!, Poll.expected[b]!]
            #expect(ev == want)
            #expect(r == .ok(want.filter { $0 != 0 }.count))
        }
    }

    @Test func onlyRequestedEventsButAlwaysErrors() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            try await t.write(w, "x").get()
            #expect(try await t.poll([(r, C.POLLOUT)], timeout: 0).1 == [0])
            try await t.sys("close", w).get()
            // POLLHUP is reported whether asked for or not.
            #expect(try await t.poll([(r, 0)], timeout: 0).1 == [C.POLLHUP])
            #expect(try await t.poll([(r, C.POLLIN)], timeout: 0).1 == [C.POLLIN | C.POLLHUP])
        }
    }

    @Test func timeoutElapses() async throws {
        try await runGuest { t async throws in
            let (r, _) = try await t.pipe()
            let before = try await t.now()
            #expect(try await t.poll([(r, C.POLLIN)], timeout: 5).0 == .ok(0))
            let elapsed = try await t.now() - before
            #expect(elapsed >= 5_000_000)
            #expect(elapsed < 500_000_000)
        }
    }

    @Test func wokenByAnotherProcess() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            try await t.fork { c async throws in
                try await c.sleep(nanoseconds: 1_000_000)
                try await c.write(w, "!").get()
            }
            let (res, ev) = try await t.poll([(r, C.POLLIN)], timeout: 5000)
            #expect(res == .ok(1))
            #expect(ev == [C.POLLIN])
        }
    }

    @Test func pollErrors() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("poll", 0, 1, 0) == .err(.EFAULT))
            #expect(try await t.sys("poll", 0, 0, 0) == .ok(0))
            #expect(try await t.sys("poll", try t.alloc(8), 1 << 20, 0) == .err(.EINVAL))
        }
    }

    /// select(2) over the same objects: readable and writable sets.
    @Test(arguments: [Object.emptyPipeRead, .fullPipeRead, .pipeWrite, .widowedRead, .tmpfsFile, .devNull])
    func select(_ o: Object) async throws {
        try await runGuest { t async throws in
            let fd = try await Poll.make(o, t)
            let rset = try t.place(ScriptThread.bytes(1 << UInt64(fd), 8) + [UInt8](repeating: 0, count: 120))
            let wset = try t.place(ScriptThread.bytes(1 << UInt64(fd), 8) + [UInt8](repeating: 0, count: 120))
            let tv = try t.place([UInt8](repeating: 0, count: 16))
            let r = try await t.sys("select", fd + 1, rset, wset, 0, tv).get()
            let readable = try t.u64(rset) != 0, writable = try t.u64(wset) != 0
            let want = Poll.expected[o]!
            #expect(readable == (want & (C.POLLIN | C.POLLHUP) != 0))
            #expect(writable == (want & C.POLLOUT != 0))
            #expect(r == (readable ? 1 : 0) + (writable ? 1 : 0))
        }
    }

    @Test func selectOnAClosedDescriptor() async throws {
        try await runGuest { t async throws in
            let set = try t.place(ScriptThread.bytes(1 << 40, 8))
            #expect(try await t.sys("select", 41, set, 0, 0, try t.place([UInt8](repeating: 0, count: 16))) == .err(.EBADF))
            #expect(try await t.sys("select", -1, 0, 0, 0, 0) == .err(.EINVAL))
        }
    }
}
