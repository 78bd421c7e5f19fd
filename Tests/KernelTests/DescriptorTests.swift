import Testing
@testable import GuestKernel
import LinuxABI

@Suite struct Descriptors {
    @Test func dupTakesTheLowestFreeNumber() async throws {
        try await runGuest { t async throws in
            let a = try await t.open("/dir/file", C.O_RDONLY).get()
            #expect(a == 3)
            try await t.sys("close", 0).get()
            #expect(try await t.sys("dup", a) == .ok(0))
            #expect(try await t.sys("dup", a) == .ok(4))
            #expect(try await t.sys("dup", 99) == .err(.EBADF))
            #expect(try await t.sys("dup", -1) == .err(.EBADF))
        }
    }

    @Test func dupSharesTheOffset() async throws {
        try await runGuest { t async throws in
            let a = try await t.open("/dir/file", C.O_RDONLY).get()
            let b = try await t.sys("dup", a).get()
            #expect(try await t.readString(a, 2) == "fi")
            #expect(try await t.readString(b, 2) == "le")
            #expect(try await t.sys("fcntl", b, C.F_GETFD) == .ok(0))
        }
    }

    @Test func dup2AndDup3() async throws {
        try await runGuest { t async throws in
            let a = try await t.open("/dir/file", C.O_RDONLY).get()
            #expect(try await t.sys("dup2", a, a) == .ok(a))
            #expect(try await t.sys("dup3", a, a, 0) == .err(.EINVAL))
            #expect(try await t.sys("dup2", a, 10) == .ok(10))
            #expect(try await t.sys("dup2", 99, 10) == .err(.EBADF))
            #expect(try await t.sys("dup2", 98, 98) == .err(.EBADF))
            #expect(try await t.sys("dup3", a, 11, C.O_CLOEXEC) == .ok(11))
            #expect(try await t.sys("fcntl", 11, C.F_GETFD) == .ok(C.FD_CLOEXEC))
            #expect(try await t.sys("dup3", a, 12, C.O_NONBLOCK) == .err(.EINVAL))
            #expect(try await t.sys("dup2", a, 5000) == .err(.EBADF))
            // dup2 onto an open descriptor closes it first.
            let (r, w) = try await t.pipe(C.O_NONBLOCK)
            #expect(try await t.sys("dup2", a, w) == .ok(w))
            #expect(try await t.read(r, 1).0 == .ok(0))
        }
    }

    @Test(arguments: [(0, 3), (3, 3), (10, 10), (100, 100)])
    func fcntlDupfd(_ minimum: Int, _ expected: Int) async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("fcntl", 0, C.F_DUPFD, minimum) == .ok(expected))
            #expect(try await t.sys("fcntl", expected, C.F_GETFD) == .ok(0))
            #expect(try await t.sys("fcntl", 0, C.F_DUPFD_CLOEXEC, minimum) == .ok(expected == 3 ? 4 : expected + 1))
            #expect(try await t.sys("fcntl", expected == 3 ? 4 : expected + 1, C.F_GETFD) == .ok(C.FD_CLOEXEC))
        }
    }

    @Test func fcntlLimitsAndErrors() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("fcntl", 0, C.F_DUPFD, 1024) == .err(.EINVAL))
            #expect(try await t.sys("fcntl", 0, C.F_DUPFD, -1) == .err(.EINVAL))
            #expect(try await t.sys("fcntl", 99, C.F_GETFD) == .err(.EBADF))
            #expect(try await t.sys("fcntl", 0, 9999) == .err(.EINVAL))
        }
    }

    /// On 64-bit Linux open(2) adds O_LARGEFILE, and F_GETFL shows it; F_SETFL changes only
    /// O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT and O_NOATIME.
    @Test func getflAsLinuxShowsIt() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/f", C.O_CREAT | C.O_WRONLY).get()
            let large = 0o100000
            let before = try await t.sys("fcntl", fd, C.F_GETFL)
            #expect(before == .ok(C.O_WRONLY | large))
            try await t.sys("fcntl", fd, C.F_SETFL, C.O_RDWR | C.O_APPEND | C.O_NONBLOCK).get()
            let set = try await t.sys("fcntl", fd, C.F_GETFL)
            #expect(set == .ok(C.O_WRONLY | large | C.O_APPEND | C.O_NONBLOCK))
            try await t.sys("fcntl", fd, C.F_SETFL, 0).get()
            let cleared = try await t.sys("fcntl", fd, C.F_GETFL)
            #expect(cleared == .ok(C.O_WRONLY | large))
            try await t.sys("fcntl", fd, C.F_SETFD, C.FD_CLOEXEC).get()
        }
    }

    @Test func setflChangesOnlyStatusFlags() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/f", C.O_CREAT | C.O_WRONLY).get()
            let visible = 3 | C.O_APPEND | C.O_NONBLOCK
            #expect(try await t.sys("fcntl", fd, C.F_SETFL, C.O_RDWR | C.O_APPEND | C.O_NONBLOCK) == .ok(0))
            let set = try await t.sys("fcntl", fd, C.F_GETFL).get() & visible
            #expect(set == C.O_WRONLY | C.O_APPEND | C.O_NONBLOCK)
            try await t.sys("fcntl", fd, C.F_SETFL, 0).get()
            let cleared = try await t.sys("fcntl", fd, C.F_GETFL).get() & visible
            #expect(cleared == C.O_WRONLY)
            try await t.sys("fcntl", fd, C.F_SETFD, C.FD_CLOEXEC).get()
            #expect(try await t.sys("fcntl", fd, C.F_GETFD) == .ok(C.FD_CLOEXEC))
        }
    }

    /// The status flags belong to the open file, shared by dup'ed descriptors; FD_CLOEXEC does not.
    @Test func statusFlagsAreShared() async throws {
        try await runGuest { t async throws in
            let (r, _) = try await t.pipe()
            let d = try await t.sys("dup", r).get()
            try await t.sys("fcntl", r, C.F_SETFL, C.O_NONBLOCK).get()
            #expect(try await t.read(d, 1).0 == .err(.EAGAIN))
            try await t.sys("fcntl", r, C.F_SETFD, C.FD_CLOEXEC).get()
            #expect(try await t.sys("fcntl", d, C.F_GETFD) == .ok(0))
        }
    }

    @Test(arguments: [(3, 5, [false, false, false, true]), (4, Int(UInt32.max), [true, false, false, false]),
                      (0, 2, [true, true, true, true])])
    func closeRange(_ first: Int, _ last: Int, _ open: [Bool]) async throws {
        // Descriptors 3, 4, 5, 6 open; after close_range, which of them still are.
        try await runGuest { t async throws in
            for _ in 0..<4 { try await t.open("/dir/file", C.O_RDONLY).get() }
            try await t.sys("close_range", first, last, 0).get()
            for (i, stillOpen) in open.enumerated() {
                let r = try await t.sys("fcntl", 3 + i, C.F_GETFD)
                #expect((r.errno == nil) == stillOpen, "fd \(3 + i)")
            }
        }
    }

    @Test func closeRangeCloexecAndErrors() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/dir/file", C.O_RDONLY).get()
            try await t.sys("close_range", fd, fd, 4).get()  // CLOSE_RANGE_CLOEXEC
            #expect(try await t.sys("fcntl", fd, C.F_GETFD) == .ok(C.FD_CLOEXEC))
            #expect(try await t.sys("close_range", 5, 4, 0) == .err(.EINVAL))
        }
    }

    /// Flags other than CLOSE_RANGE_UNSHARE (2) and CLOSE_RANGE_CLOEXEC (4) are EINVAL.
    @Test func closeRangeUnknownFlags() async throws {
            try await runGuest { t async throws in
                #expect(try await t.sys("close_range", 3, 4, 0x80) == .err(.EINVAL))
            }
    }

    @Test func closeTwice() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/dir/file", C.O_RDONLY).get()
            #expect(try await t.sys("close", fd) == .ok(0))
            #expect(try await t.sys("close", fd) == .err(.EBADF))
        }
    }

    @Test func forkCopiesTheTableButSharesFiles() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/dir/file", C.O_RDONLY).get()
            try await t.fork { c async throws in
                #expect(try await c.readString(fd, 2) == "fi")
                try await c.sys("close", fd).get()
            }
            _ = try await t.wait()
            // The child's read moved the shared offset; its close did not close ours.
            #expect(try await t.readString(fd, 2) == "le")
        }
    }
}
