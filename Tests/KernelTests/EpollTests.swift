import Testing
@testable import GuestKernel
import LinuxABI

private enum E {
    static let EFD_SEMAPHORE = 1, EFD_NONBLOCK = C.O_NONBLOCK
    static let ADD = 1, DEL = 2, MOD = 3
    static let IN = 1, OUT = 4, ERR = 8, HUP = 16
    static let EXCLUSIVE = 1 << 28, ONESHOT = 1 << 30, ET = 1 << 31
}

private extension ScriptThread {
    func write8(_ fd: Int, _ v: UInt64) async throws -> SysRet { try await write(fd, ScriptThread.bytes(v, 8)) }
    /// An eventfd read: the value, or the error.
    func read8(_ fd: Int) async throws -> Result<UInt64, LinuxErrno> {
        let (r, b) = try await read(fd, 8)
        if case .err(let e) = r { return .failure(e) }
        return .success(b.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    }
    /// epoll_ctl with x86-64's packed `struct epoll_event` (12 bytes).
    func ctl(_ ep: Int, _ op: Int, _ fd: Int, _ events: Int = E.IN, data: UInt64 = 0) async throws -> SysRet {
        let ev = try place(ScriptThread.bytes(UInt64(events), 4) + ScriptThread.bytes(data, 8))
        return try await sys("epoll_ctl", ep, op, fd, ev)
    }
    /// epoll_wait; the (events, data) pairs it returned.
    func epollWait(_ ep: Int, max: Int = 8, timeout: Int = 0) async throws -> (SysRet, [(Int, UInt64)]) {
        let buf = try alloc(12 * max)
        let r = try await sys("epoll_wait", ep, buf, max, timeout)
        guard case .ok(let n) = r else { return (r, []) }
        var out: [(Int, UInt64)] = []
        for i in 0..<n { out.append((Int(try u32(buf + UInt64(12 * i))), try u64(buf + UInt64(12 * i + 4)))) }
        return (r, out)
    }
    func epoll() async throws -> Int { try await sys("epoll_create1", 0).get() }
}

@Suite struct EventFDTests {
    @Test func counterMode() async throws {
        try await runGuest { t async throws in
            let fd = try await t.sys("eventfd2", 5, E.EFD_NONBLOCK).get()
            #expect(try await t.read8(fd) == .success(5))
            #expect(try await t.read8(fd) == .failure(.EAGAIN))
            #expect(try await t.write8(fd, 3) == .ok(8))
            #expect(try await t.write8(fd, 4) == .ok(8))
            #expect(try await t.read8(fd) == .success(7))
        }
    }

    @Test func semaphoreMode() async throws {
        try await runGuest { t async throws in
            let fd = try await t.sys("eventfd2", 3, E.EFD_SEMAPHORE | E.EFD_NONBLOCK).get()
            for _ in 0..<3 { #expect(try await t.read8(fd) == .success(1)) }
            #expect(try await t.read8(fd) == .failure(.EAGAIN))
        }
    }

    @Test func limitsAndReadiness() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("eventfd2", 0, 0x40) == .err(.EINVAL))
            let fd = try await t.sys("eventfd2", 0, E.EFD_NONBLOCK).get()
            #expect(try await t.poll([(fd, C.POLLIN | C.POLLOUT)], timeout: 0).1 == [C.POLLOUT])
            #expect(try await t.write8(fd, UInt64.max) == .err(.EINVAL))
            #expect(try await t.write(fd, [1, 0, 0, 0]) == .err(.EINVAL))
            #expect(try await t.read(fd, 4).0 == .err(.EINVAL))
            #expect(try await t.write8(fd, UInt64.max - 1) == .ok(8))
            #expect(try await t.poll([(fd, C.POLLIN | C.POLLOUT)], timeout: 0).1 == [C.POLLIN])
            #expect(try await t.write8(fd, 1) == .err(.EAGAIN))
            #expect(try await t.write8(fd, 0) == .ok(8))
            #expect(try await t.read8(fd) == .success(UInt64.max - 1))
            #expect(try await t.poll([(fd, C.POLLIN | C.POLLOUT)], timeout: 0).1 == [C.POLLOUT])
        }
    }

    @Test func blockingReadWaitsForAWrite() async throws {
        try await runGuest { t async throws in
            let fd = try await t.sys("eventfd", 0).get()
            try await t.fork { c async throws in
                try await c.sleep(nanoseconds: 1_000_000)
                try await c.write8(fd, 9).get()
            }
            #expect(try await t.read8(fd) == .success(9))
        }
    }

    @Test func blockingWriteWaitsForRoom() async throws {
        try await runGuest { t async throws in
            let fd = try await t.sys("eventfd", 0).get()
            #expect(try await t.write8(fd, UInt64.max - 1) == .ok(8))
            try await t.fork { c async throws in
                try await c.sleep(nanoseconds: 1_000_000)
                #expect(try await c.read8(fd) == .success(UInt64.max - 1))
            }
            #expect(try await t.write8(fd, 1) == .ok(8))
            #expect(try await t.read8(fd) == .success(1))
        }
    }
}

@Suite struct EpollTests {
    @Test func levelTriggeredReportsUntilDrained() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            let ep = try await t.epoll()
            try await t.ctl(ep, E.ADD, r, E.IN, data: 42).get()
            #expect(try await t.epollWait(ep).0 == .ok(0))
            try await t.write(w, "x").get()
            for _ in 0..<2 {
                let (n, evs) = try await t.epollWait(ep)
                #expect(n == .ok(1))
                #expect(evs.first?.0 == E.IN && evs.first?.1 == 42)
            }
            _ = try await t.read(r, 1)
            #expect(try await t.epollWait(ep).0 == .ok(0))
        }
    }

    @Test func edgeTriggeredReportsOncePerChange() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            let ep = try await t.epoll()
            try await t.ctl(ep, E.ADD, r, E.IN | E.ET, data: 7).get()
            try await t.write(w, "x").get()
            #expect(try await t.epollWait(ep).0 == .ok(1))
            #expect(try await t.epollWait(ep).0 == .ok(0))  // still readable, but no new edge
            try await t.write(w, "y").get()
            #expect(try await t.epollWait(ep).1.map(\.1) == [7])
        }
    }

    @Test func oneShotRearmsWithMod() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            let ep = try await t.epoll()
            try await t.ctl(ep, E.ADD, r, E.IN | E.ONESHOT).get()
            try await t.write(w, "x").get()
            #expect(try await t.epollWait(ep).0 == .ok(1))
            #expect(try await t.epollWait(ep).0 == .ok(0))
            try await t.write(w, "y").get()
            #expect(try await t.epollWait(ep).0 == .ok(0))  // disarmed: new data changes nothing
            try await t.ctl(ep, E.MOD, r, E.IN | E.ONESHOT, data: 5).get()
            #expect(try await t.epollWait(ep).1.map(\.1) == [5])
        }
    }

    @Test func delAndErrnos() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            let ep = try await t.epoll()
            #expect(try await t.ctl(ep, E.DEL, r) == .err(.ENOENT))
            #expect(try await t.ctl(ep, E.MOD, r) == .err(.ENOENT))
            try await t.ctl(ep, E.ADD, r).get()
            #expect(try await t.ctl(ep, E.ADD, r) == .err(.EEXIST))
            #expect(try await t.ctl(ep, E.ADD, ep) == .err(.EINVAL))
            #expect(try await t.ctl(r, E.ADD, w) == .err(.EINVAL))  // not an epoll
            #expect(try await t.ctl(ep, E.ADD, 99) == .err(.EBADF))
            #expect(try await t.ctl(99, E.ADD, r) == .err(.EBADF))
            #expect(try await t.ctl(ep, 9, r) == .err(.EINVAL))
            let file = try await t.open("/tmp/f", C.O_CREAT | C.O_RDWR).get()
            #expect(try await t.ctl(ep, E.ADD, file) == .err(.EPERM))
            // EPOLLEXCLUSIVE: accepted on ADD, refused on MOD and with other bits.
            try await t.ctl(ep, E.ADD, w, E.OUT | E.EXCLUSIVE).get()
            #expect(try await t.ctl(ep, E.MOD, w, E.OUT | E.EXCLUSIVE) == .err(.EINVAL))
            #expect(try await t.ctl(ep, E.MOD, w, E.OUT) == .err(.EINVAL))
            try await t.ctl(ep, E.DEL, r).get()
            try await t.write(w, "x").get()
            #expect(try await t.epollWait(ep).1.map(\.0) == [E.OUT])  // only the writer is left
            #expect(try await t.sys("epoll_create", 0) == .err(.EINVAL))
            #expect(try await t.sys("epoll_create1", 1) == .err(.EINVAL))
            #expect(try await t.sys("epoll_wait", ep, try t.alloc(12), 0, 0) == .err(.EINVAL))
            #expect(try await t.sys("epoll_wait", r, try t.alloc(12), 1, 0) == .err(.EINVAL))
        }
    }

    @Test func cyclesAreRefused() async throws {
        try await runGuest { t async throws in
            let a = try await t.epoll(), b = try await t.epoll()
            try await t.ctl(a, E.ADD, b).get()
            #expect(try await t.ctl(b, E.ADD, a) == .err(.ELOOP))
            #expect(try await t.ctl(a, E.ADD, b, E.IN | E.EXCLUSIVE) == .err(.EINVAL))
        }
    }

    @Test func timeoutElapses() async throws {
        try await runGuest { t async throws in
            let (r, _) = try await t.pipe()
            let ep = try await t.epoll()
            try await t.ctl(ep, E.ADD, r).get()
            let before = try await t.now()
            #expect(try await t.epollWait(ep, timeout: 5).0 == .ok(0))
            #expect(try await t.now() - before >= 5_000_000)
            let zero = try t.place([UInt8](repeating: 0, count: 16))
            #expect(try await t.sys("epoll_pwait2", ep, try t.alloc(12), 1, zero, 0, 8) == .ok(0))
        }
    }

    @Test func wokenByAnotherProcess() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            let ep = try await t.epoll()
            try await t.ctl(ep, E.ADD, r, E.IN, data: 3).get()
            try await t.fork { c async throws in
                try await c.sleep(nanoseconds: 1_000_000)
                try await c.write(w, "!").get()
            }
            let (n, evs) = try await t.epollWait(ep, timeout: -1)
            #expect(n == .ok(1))
            #expect(evs.map(\.1) == [3])
        }
    }

    @Test func epollInEpoll() async throws {
        try await runGuest { t async throws in
            let efd = try await t.sys("eventfd2", 0, E.EFD_NONBLOCK).get()
            let inner = try await t.epoll(), outer = try await t.epoll()
            try await t.ctl(inner, E.ADD, efd, E.IN, data: 1).get()
            try await t.ctl(outer, E.ADD, inner, E.IN, data: 2).get()
            #expect(try await t.epollWait(outer).0 == .ok(0))
            #expect(try await t.poll([(inner, C.POLLIN)], timeout: 0).1 == [0])
            try await t.fork { c async throws in
                try await c.sleep(nanoseconds: 1_000_000)
                try await c.write8(efd, 1).get()
            }
            let (n, evs) = try await t.epollWait(outer, timeout: -1)
            #expect(n == .ok(1))
            #expect(evs.map(\.1) == [2])
            #expect(try await t.poll([(inner, C.POLLIN)], timeout: 0).1 == [C.POLLIN])
            #expect(try await t.epollWait(inner).1.map(\.1) == [1])
        }
    }

    @Test func releasingAWatchedFileRemovesIt() async throws {
        try await runGuest { t async throws in
            let efd = try await t.sys("eventfd2", 1, 0).get()
            let ep = try await t.epoll()
            try await t.ctl(ep, E.ADD, efd).get()
            // Closing one of two descriptors of the file keeps the entry (Linux's rule).
            let copy = try await t.sys("dup", efd).get()
            try await t.sys("close", efd).get()
            #expect(try await t.epollWait(ep).0 == .ok(1))
            try await t.sys("close", copy).get()
            #expect(try await t.epollWait(ep).0 == .ok(0))
        }
    }
}

/// /proc/<pid>/fdinfo: the common lines, an epoll instance's interest list and an eventfd's
/// counter, in Linux's formats (fs/proc/fd.c, ep_show_fdinfo, eventfd_show_fdinfo).
@Suite struct FdInfoTests {
    @Test func epollAndEventfdFdinfo() async throws {
        try await runGuest { t async throws in
            let ep = try await t.epoll()
            let e = try await t.sys("eventfd2", 3, E.EFD_NONBLOCK | C.O_CLOEXEC).get()
            let (_, w) = try await t.pipe()
            #expect(try await t.ctl(ep, E.ADD, e, E.IN | E.ET, data: 0x1234) == .ok(0))
            #expect(try await t.ctl(ep, E.ADD, w, E.OUT | E.ONESHOT, data: 7) == .ok(0))
            guard case .success(let info) = try await t.contents("/proc/self/fdinfo/\(ep)") else { Issue.record("no fdinfo"); return }
            let lines = info.split(separator: "\n").map(String.init)
            #expect(lines.prefix(2) == ["pos:\t0", "flags:\t02"], "\(info)")
            #expect(lines.count == 6 && lines[2].hasPrefix("mnt_id:\t") && lines[3].hasPrefix("ino:\t"), "\(info)")
            // The events as stored: the mask with EPOLLERR | EPOLLHUP.
            #expect(lines[4].hasPrefix("tfd: \(String(repeating: " ", count: 8 - String(e).count))\(e) events: 80000019 data:             1234  pos:0 ino:"), "\(info)")
            #expect(lines[5].hasPrefix("tfd: \(String(repeating: " ", count: 8 - String(w).count))\(w) events: 4000001c data:                7  pos:0 ino:"), "\(info)")
            // A one-shot entry that fired keeps only its mode bits.
            #expect(try await t.epollWait(ep).1.count == 2)
            guard case .success(let after) = try await t.contents("/proc/self/fdinfo/\(ep)") else { Issue.record("no fdinfo"); return }
            #expect(after.contains(" events: 40000000 data:                7 "), "\(after)")
            // An eventfd: its counter, and O_CLOEXEC | O_NONBLOCK | O_RDWR in the flags.
            guard case .success(let ev) = try await t.contents("/proc/self/fdinfo/\(e)") else { Issue.record("no fdinfo"); return }
            #expect(ev.hasPrefix("pos:\t0\nflags:\t02004002\n") && ev.contains("eventfd-count:                3\n"), "\(ev)")
            #expect(try await t.contents("/proc/self/fdinfo/999") == .failure(.ENOENT))
        }
    }
}
