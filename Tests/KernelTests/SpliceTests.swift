import Testing
@testable import GuestKernel
import LinuxABI

/// In-kernel copies and the clock's administration at their edges (Tests/programs/splice.c
/// covers the ordinary behaviour against Linux): hostile lengths and positions, the file
/// system boundary, the machine's memory limit, and the refusals a guest gets for the clock.
@Suite struct InKernelCopies {
    @Test func hostileLengthsArePipeSized() async throws {
        try await runGuest { t async throws in
            let (r, w) = try await t.pipe()
            let (r2, w2) = try await t.pipe()
            let f = try await t.open("/tmp/f", C.O_CREAT | C.O_RDWR).get()
            try await t.write(f, "0123456789").get()
            // A length of 2^64 - 1 moves what there is: the file's ten bytes, one pipe's worth.
            let all = UInt64.max
            #expect(try await t.sys("splice", f, try t.place(ScriptThread.bytes(0, 8)), w, 0, all, 0) == .ok(10))
            #expect(try await t.sys("tee", r, w2, all, 0) == .ok(10))
            #expect(try await t.sys("splice", r, 0, f, 0, all, 0) == .ok(10))
            #expect(try await t.readString(r2, 100) == "0123456789")
            // -1 descriptors, and pointers that are not the guest's.
            #expect(try await t.sys("splice", -1, 0, w, 0, 10, 0) == .err(.EBADF))
            #expect(try await t.sys("splice", f, 0, -1, 0, 10, 0) == .err(.EBADF))
            #expect(try await t.sys("splice", f, UInt64.max, w, 0, 10, 0) == .err(.EFAULT))
            #expect(try await t.sys("vmsplice", w, UInt64.max, 1, 0) == .err(.EFAULT))
            #expect(try await t.sys("vmsplice", w, try t.alloc(16), 1 << 40, 0) == .err(.EINVAL))
            #expect(try await t.sys("vmsplice", w, try t.alloc(16), 1025, 0) == .err(.EINVAL))
        }
    }

    @Test func copyFileRangeKeepsToOneFileSystem() async throws {
        try await runGuest { t async throws in
            let out = try await t.open("/tmp/copy", C.O_CREAT | C.O_RDWR).get()
            let etc = try await t.open("/etc/passwd", C.O_RDONLY).get()
            // hostfs to tmpfs: EXDEV, and `cp` falls back to read and write, as on Linux.
            #expect(try await t.sys("copy_file_range", etc, 0, out, 0, 100, 0) == .err(.EXDEV))
            // A position plus a length that wraps is EOVERFLOW before anything is read.
            let at = try t.place(ScriptThread.bytes(1, 8))
            #expect(try await t.sys("copy_file_range", out, at, out, 0, UInt64.max, 0) == .err(.EOVERFLOW))
            let negative = try t.place(ScriptThread.bytes(UInt64(bitPattern: -5), 8))
            #expect(try await t.sys("copy_file_range", out, negative, out, 0, 10, 0) == .err(.EOVERFLOW))
            // An empty source copies nothing, across file systems too.
            #expect(try await t.sys("copy_file_range", out, 0, out, 0, 10, 0) == .ok(0))
        }
    }

    /// fallocate's growth is tmpfs memory: past the machine's limit it fails and the file keeps
    /// its size; a huge length is EFBIG, not an allocation.
    @Test func fallocateHoldsTheMemoryLimit() async throws {
        try await runGuest(configure: { $0.limits.memory = 32 << 20 }) { t async throws in
            let f = try await t.open("/tmp/big", C.O_CREAT | C.O_RDWR).get()
            #expect(try await t.sys("fallocate", f, 0, 0, 1 << 20) == .ok(0))
            #expect(try await t.fstat(f).size == 1 << 20)
            let grown = try await t.sys("fallocate", f, 0, 0, 1 << 30)
            #expect(grown == .err(.ENOSPC) || grown == .err(.ENOMEM) || grown == .err(.EFBIG), "\(grown)")
            #expect(try await t.fstat(f).size == 1 << 20)
            #expect(try await t.sys("fallocate", f, 0, Int.max, 1) == .err(.EFBIG))
            #expect(try await t.sys("fallocate", f, 0, 1, -1) == .err(.EINVAL))
            #expect(try await t.sys("fallocate", -1, 0, 0, 1) == .err(.EBADF))
        }
    }

    /// A guest reads the clock's discipline and may change nothing: EPERM after the arguments
    /// are checked, whatever it asks.
    @Test func theClockIsTheHosts() async throws {
        try await runGuest { t async throws in
            let timex = try t.alloc(208)
            #expect(try await t.sys("adjtimex", timex) == .ok(5))  // TIME_ERROR: unsynchronized
            #expect(try t.u32(timex + 40) & 0x40 != 0)  // STA_UNSYNC
            #expect(try t.i64(timex + 72) > 1_600_000_000)  // time.tv_sec
            for modes: UInt32 in [0x0001, 0x0002, 0x4000, 0xffff_ffff, 0x8001] {
                try t.setU32(timex, modes)
                #expect(try await t.sys("adjtimex", timex) == .err(.EPERM), "modes \(modes)")
            }
            try t.setU32(timex, 0xa001)  // ADJ_OFFSET_SS_READ: a read
            #expect(try await t.sys("adjtimex", timex) == .ok(5))
            #expect(try await t.sys("adjtimex", UInt64.max) == .err(.EFAULT))
            #expect(try await t.sys("clock_adjtime", -1, timex) == .err(.EINVAL))
            let tv = try t.place(ScriptThread.bytes(1_700_000_000, 8) + ScriptThread.bytes(0, 8))
            #expect(try await t.sys("settimeofday", tv, 0) == .err(.EPERM))
            #expect(try await t.sys("settimeofday", 0, 0) == .err(.EPERM))
            #expect(try await t.sys("clock_settime", 0, tv) == .err(.EPERM))
            #expect(try await t.sys("clock_settime", 1, tv) == .err(.EINVAL))
            #expect(try await t.sys("clock_settime", 0, UInt64.max) == .err(.EFAULT))
        }
    }
}
