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
