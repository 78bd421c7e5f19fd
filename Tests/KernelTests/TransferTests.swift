import Testing
@testable import GuestKernel
import LinuxABI

/// Reads and writes larger than the bounce buffer go through umlab in steps of
/// `Kernel.ioChunk`: each byte lands where it belongs, across steps and iovec boundaries, and
/// umlab never holds a whole 2 GiB transfer.
@Suite struct LargeTransfers {
    static let size = 3 * Kernel.ioChunk + 12_345

    /// The byte at offset `i` of the pattern.
    static func pattern(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: i &* 7 &+ i >> 12) }

    @Test func readWriteAndVectorsInSteps() async throws {
        try await runGuest { t async throws in
            let n = LargeTransfers.size
            let expected = (0..<n).map(LargeTransfers.pattern)
            guard case .ok(let a) = try await t.sys("mmap", 0, n, 3, 0x22, -1, 0),
                  case .ok(let b) = try await t.sys("mmap", 0, n, 3, 0x22, -1, 0) else { Issue.record("mmap"); return }
            try t.poke(UInt64(a), expected)
            guard case .ok(let fd) = try await t.open("/tmp/big", 0o102) else { Issue.record("open"); return }  // O_RDWR|O_CREAT
            #expect(try await t.sys("write", fd, a, n) == .ok(n))
            #expect(try await t.sys("pread64", fd, b, n, 0) == .ok(n))
            #expect(try t.peek(UInt64(b), n) == expected)
            // readv into three buffers whose edges fall inside steps.
            let cuts = [Kernel.ioChunk / 3, Kernel.ioChunk + 17, n - Kernel.ioChunk / 3 - Kernel.ioChunk - 17]
            var iov: [UInt8] = []
            var base = UInt64(b)
            for len in cuts { iov += ScriptThread.bytes(base, 8) + ScriptThread.bytes(UInt64(len), 8); base += UInt64(len) }
            try t.poke(UInt64(b), [UInt8](repeating: 0, count: n))
            #expect(try await t.sys("lseek", fd, 0, 0) == .ok(0))
            #expect(try await t.sys("readv", fd, try t.place(iov), 3) == .ok(n))
            #expect(try t.peek(UInt64(b), n) == expected)
            // pwritev at an offset, read back; a read past the end is short.
            #expect(try await t.sys("pwritev", fd, try t.place(iov), 3, 5) == .ok(n))
            #expect(try await t.sys("pread64", fd, a, n, 5) == .ok(n))
            #expect(try t.peek(UInt64(a), n) == expected)
            #expect(try await t.sys("pread64", fd, a, n, 10) == .ok(n - 5))
            #expect(try await t.sys("lseek", fd, 0, 0) == .ok(0))
            #expect(try await t.sys("read", fd, a, n + 100) == .ok(n + 5))
            // writev continues its steps too.
            #expect(try await t.sys("lseek", fd, 0, 0) == .ok(0))
            #expect(try await t.sys("writev", fd, try t.place(iov), 3) == .ok(n))
        }
    }

    /// A pipe read asking for more than a step gives what the pipe holds; a blocking pipe write
    /// larger than a step completes once a reader drains it.
    @Test func pipesStillGiveWhatTheyHold() async throws {
        try await runGuest { t async throws in
            let n = 2 * Kernel.ioChunk + 1
            guard case .ok(let a) = try await t.sys("mmap", 0, n, 3, 0x22, -1, 0) else { Issue.record("mmap"); return }
            let (r, w) = try await t.pipe()
            #expect(try await t.write(w, "hello") == .ok(5))
            #expect(try await t.sys("read", r, a, n) == .ok(5))
            let child = try await t.fork { c async throws in
                var got = 0
                while got < n {
                    guard case .ok(let k) = try await c.sys("read", r, a, 1 << 16), k > 0 else { break }
                    got += k
                }
                try await c.sys("exit_group", got == n ? 0 : 1)
            }
            #expect(try await t.sys("write", w, a, n) == .ok(n))
            let (res, status) = try await t.wait()
            #expect(res == child)
            #expect(WaitStatus.exited(status) == 0)
        }
    }
}

/// What a signal does to a write that has moved some bytes, and files at the largest size.
@Suite struct TransferEdges {
    /// A blocking pipe write interrupted after 64 KiB returns 64 KiB (Linux's pipe_write),
    /// with or without SA_RESTART, and the next write starts afresh (it used to start from the
    /// interrupted write's progress, and trapped).
    @Test func interruptedWriteReturnsItsProgress() async throws {
        try await runGuest { t async throws in
            try await t.sigaction(.SIGALRM)
            let (_, w) = try await t.pipe()
            let (r2, w2) = try await t.pipe()
            let n = 200_000
            guard case .ok(let a) = try await t.sys("mmap", 0, n, 3, 0x22, -1, 0) else { Issue.record("mmap"); return }
            // ITIMER_REAL in 20 ms.
            let timer = try t.place(ScriptThread.bytes(0, 16) + ScriptThread.bytes(0, 8) + ScriptThread.bytes(20_000, 8))
            #expect(try await t.sys("setitimer", 0, timer, 0) == .ok(0))
            #expect(try await t.sys("write", w, a, n) == .ok(65_536))
            #expect(t.caught == [.SIGALRM])
            #expect(try await t.write(w2, "x") == .ok(1))
            #expect(try await t.readString(r2) == "x")
        }
    }

    /// tmpfs files may be as large as 2^63 - 1 bytes: their block counts and page rounding
    /// stay in range.
    @Test func tmpfsFileOfTheLargestSize() async throws {
        try await runGuest { t async throws in
            guard case .ok(let fd) = try await t.open("/tmp/huge", 0o102) else { Issue.record("open"); return }
            #expect(try await t.sys("ftruncate", fd, Int.max) == .ok(0))
            let st = try await t.fstat(fd)
            #expect(st.size == Int(Int64.max))
            #expect(try await t.sys("ftruncate", fd, Int.max - 1) == .ok(0))
            #expect(try await t.sys("pwrite64", fd, try t.place([1]), 1, Int.max - 1) == .ok(1))
            #expect(try await t.sys("ftruncate", fd, 0) == .ok(0))
        }
    }
}
