import Testing
@testable import GuestKernel
import LinuxABI

@Suite struct Pipes {
    @Test func capacityIs64KiB() async throws {
        try await runGuest { t async throws in
            let (_, w) = try await t.pipe(C.O_NONBLOCK)
            var total = 0
            let chunk = [UInt8](repeating: 0x61, count: 4096)
            while case .ok(let n) = try await t.write(w, chunk) { total += n }
            #expect(total == 65536)
            #expect(try await t.write(w, [1]) == .err(.EAGAIN))
            #expect(try await t.sys("fcntl", w, 1032) == .ok(65536))  // F_GETPIPE_SZ
        }
    }

    /// F_SETPIPE_SZ rounds to a power-of-two number of pages, keeps what is buffered (EBUSY
    /// when it would not fit), and bounds the size; the new size is the pipe's capacity.
    @Test func resizing() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe(C.O_NONBLOCK)
            #expect(try await t.write(w, "abc") == .ok(3))
            #expect(try await t.sys("fcntl", w, 1031, 5000) == .ok(8192))
            #expect(try await t.sys("fcntl", r, 1032) == .ok(8192))
            #expect(try await t.write(w, [UInt8](repeating: 1, count: 9000)) == .ok(8189))
            #expect(try await t.sys("fcntl", w, 1031, 4096) == .err(.EBUSY))
            #expect(try await t.readString(r, 3) == "abc")
            #expect(try await t.read(r, 9000).0 == .ok(8189))
            #expect(try await t.sys("fcntl", w, 1031, 0) == .ok(4096))
            #expect(try await t.sys("fcntl", w, 1031, 1 << 20) == .ok(1 << 20))
            #expect(try await t.sys("fcntl", w, 1031, UInt32.max) == .err(.EINVAL))
            #expect(try await t.sys("fcntl", 0, 1032) == .err(.EBADF))
            var total = 0
            let chunk = [UInt8](repeating: 2, count: 65536)
            while case .ok(let n) = try await t.write(w, chunk) { total += n }
            #expect(total == 1 << 20)
        }
    }

    /// Writes of at most PIPE_BUF (4096) bytes are atomic: with less room, a non-blocking one
    /// writes nothing.
    @Test(arguments: [1, 512, 4096])
    func atomicWriteNeedsRoom(_ size: Int) async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe(C.O_NONBLOCK)
            let fill = 65536 - (size - 1)
            #expect(try await t.write(w, [UInt8](repeating: 1, count: fill)) == .ok(fill))
            #expect(try await t.write(w, [UInt8](repeating: 2, count: size)) == .err(.EAGAIN))
            #expect(try await t.read(r, size).0 == .ok(size))
            #expect(try await t.write(w, [UInt8](repeating: 2, count: size)) == .ok(size))
        }
    }

    @Test(arguments: [1, 100, 4096, 65536])
    func fionreadCountsBytes(_ n: Int) async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            let count = try t.alloc(4)
            #expect(try await t.sys("ioctl", r, C.FIONREAD, count) == .ok(0))
            #expect(try t.i32(count) == 0)
            try await t.write(w, [UInt8](repeating: 7, count: n)).get()
            try await t.sys("ioctl", r, C.FIONREAD, count).get()
            #expect(try t.i32(count) == Int32(n))
        }
    }

    @Test func readReturnsWhatIsThere() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            try await t.write(w, "abc").get()
            let (res, bytes) = try await t.read(r, 100)
            #expect(res == .ok(3))
            #expect(bytes == Array("abc".utf8))
        }
    }

    @Test func nonBlockingReadOfEmptyPipe() async throws {
        try await runGuest { t async throws in
            let (r, _) = try await t.pipe(C.O_NONBLOCK)
            #expect(try await t.read(r, 10).0 == .err(.EAGAIN))
        }
    }

    @Test func eofOnlyAfterTheLastWriterCloses() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe(C.O_NONBLOCK)
            let w2 = try await t.sys("dup", w).get()
            try await t.write(w2, "x").get()
            try await t.sys("close", w).get()
            #expect(try await t.read(r, 10).0 == .ok(1))
            #expect(try await t.read(r, 10).0 == .err(.EAGAIN))
            try await t.sys("close", w2).get()
            #expect(try await t.read(r, 10).0 == .ok(0))
        }
    }

    @Test func blockingReadWaitsForAWriterInAnotherProcess() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            try await t.fork { c async throws in
                try await c.sys("close", r).get()
                try await c.sleep(nanoseconds: 1_000_000)
                try await c.write(w, "from child").get()
            }
            try await t.sys("close", w).get()
            #expect(try await t.readString(r) == "from child")
            #expect(try await t.read(r, 10).0 == .ok(0))
        }
    }

    @Test func blockingWriteWaitsForAReader() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            let big = [UInt8](repeating: 9, count: 100_000)
            try await t.fork { c async throws in
                try await c.sys("close", w).get()
                var got = 0
                while true {
                    let (res, _) = try await c.read(r, 65536)
                    let n = try res.get()
                    if n == 0 { break }
                    got += n
                }
                try await c.sys("exit_group", got == 100_000 ? 0 : 1)
            }
            try await t.sys("close", r).get()
            #expect(try await t.write(w, big) == .ok(100_000))
            try await t.sys("close", w).get()
            let (_, status) = try await t.wait()
            #expect(status == 0)
        }
    }

    @Test func epipeAndSigpipeWithoutReaders() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            try await t.sys("close", r).get()
            try await t.sigaction(.SIGPIPE)
            #expect(try await t.write(w, "x") == .err(.EPIPE))
            #expect(t.caught == [.SIGPIPE])
            try await t.sigaction(.SIGPIPE, C.SIG_IGN)
            #expect(try await t.write(w, "x") == .err(.EPIPE))
            #expect(t.caught == [.SIGPIPE])
        }
    }

    @Test func sigpipeKillsByDefault() async throws {
        try await runGuest { t async throws in
            let pid = try await t.fork { c async throws in
                let (r, w) = try await c.pipe()
                try await c.sys("close", r).get()
                try await c.write(w, "x")
                try await c.sys("exit_group", 0)
            }.get()
            let (res, status) = try await t.wait()
            #expect(res == .ok(pid))
            #expect(WaitStatus.signaled(status) == 13)
        }
    }

    @Test func endsHaveTheirAccessModes() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe(C.O_CLOEXEC | C.O_NONBLOCK)
            #expect(try await t.sys("fcntl", r, C.F_GETFL) == .ok(C.O_RDONLY | C.O_NONBLOCK))
            #expect(try await t.sys("fcntl", w, C.F_GETFL) == .ok(C.O_WRONLY | C.O_NONBLOCK))
            #expect(try await t.sys("fcntl", r, C.F_GETFD) == .ok(C.FD_CLOEXEC))
            #expect(try await t.write(r, "x") == .err(.EBADF))
            #expect(try await t.read(w, 1).0 == .err(.EBADF))
            #expect(try await t.sys("lseek", r, 0, C.SEEK_SET) == .err(.ESPIPE))
            #expect(try await t.fstat(r).mode & C.S_IFMT == C.S_IFIFO)
            #expect(try await t.sys("pipe2", try t.alloc(8), 0o1) == .err(.EINVAL))
            #expect(try await t.sys("pipe2", 0, 0) == .err(.EFAULT))
        }
    }
}

/// Named pipes (FIFOs) on tmpfs.
@Suite struct FIFOs {
    static func make(_ t: ScriptThread) async throws {
        try await t.sys("mknodat", C.AT_FDCWD, "/tmp/fifo", C.S_IFIFO | 0o644, 0).get("mknodat")
    }

    @Test func nonBlockingOpens() async throws {
        try await runGuest { t async throws in
            try await FIFOs.make(t)
            #expect(try await t.stat("/tmp/fifo").get().mode & C.S_IFMT == C.S_IFIFO)
            // No reader yet: a non-blocking writer gets ENXIO; a non-blocking reader opens.
            #expect(try await t.open("/tmp/fifo", C.O_WRONLY | C.O_NONBLOCK) == .err(.ENXIO))
            let r = try await t.open("/tmp/fifo", C.O_RDONLY | C.O_NONBLOCK).get()
            let w = try await t.open("/tmp/fifo", C.O_WRONLY | C.O_NONBLOCK).get()
            try await t.write(w, "through").get()
            #expect(try await t.readString(r) == "through")
            // O_RDWR never blocks (Linux).
            #expect(try await t.open("/tmp/fifo", C.O_RDWR).errno == nil)
        }
    }

    /// A blocking open waits for the other side: the parent's open (read or write end) returns
    /// only after the child, 2 ms later, opened the other end.
    @Test(arguments: [true, false])
    func blockingOpenWaitsForTheOtherSide(_ parentReads: Bool) async throws {
            try await runGuest { t async throws in
                try await FIFOs.make(t)
                let order = Order()
                try await t.fork { c async throws in
                    try await c.sleep(nanoseconds: 2_000_000)
                    order.log("child opens")
                    let fd = try await c.open("/tmp/fifo", parentReads ? C.O_WRONLY : C.O_RDONLY).get()
                    if parentReads { try await c.write(fd, "hi").get() } else { _ = try await c.read(fd, 10) }
                }
                let fd = try await t.open("/tmp/fifo", parentReads ? C.O_RDONLY : C.O_WRONLY).get()
                order.log("parent opened")
                #expect(order.events == ["child opens", "parent opened"])
                if parentReads { #expect(try await t.readString(fd) == "hi") } else { try await t.write(fd, "x").get() }
            }
    }
}

/// Events in the order scripts saw them (scripts never run at the same time).
final class Order {
    private(set) var events: [String] = []
    func log(_ e: String) { events.append(e) }
}
