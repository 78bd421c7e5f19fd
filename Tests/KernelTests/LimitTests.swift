import Testing
@testable import GuestKernel
import LinuxABI

/// The machine's limits in the kernel: the memory account's edges (what charges, what returns
/// a charge), the OOM policy, the task and descriptor ceilings. Scripted guests run on SoftMMU,
/// which charges private pages as they are first written.
@Suite struct MemoryAccounting {
    static let page = 4096
    static func anon(_ t: ScriptThread) -> UInt64 { t.kernel.memory.byKind[MemoryController.Kind.anonymous.rawValue] }
    static func shmem(_ t: ScriptThread) -> UInt64 { t.kernel.memory.byKind[MemoryController.Kind.shmem.rawValue] }

    static func mapAnonymous(_ t: ScriptThread, pages: Int, flags: Int = 0) async throws -> UInt64 {
        UInt64(try await t.sys("mmap", 0, pages * page, C.PROT_READ | C.PROT_WRITE, C.MAP_PRIVATE | C.MAP_ANONYMOUS | flags, -1, 0).get("mmap"))
    }
    static func touch(_ t: ScriptThread, _ a: UInt64, pages: Int) throws {
        for i in 0..<pages { try t.setU32(a + UInt64(i * page), 1) }
    }

    @Test func pagesChargeWhenWrittenAndMunmapReturnsTheCharge() async throws {
        try await runGuest { t async throws in
            let before = MemoryAccounting.anon(t)
            let a = try await MemoryAccounting.mapAnonymous(t, pages: 16)
            #expect(MemoryAccounting.anon(t) == before, "mapping alone charges nothing")
            _ = try t.peek(a, 16 * MemoryAccounting.page)
            #expect(MemoryAccounting.anon(t) == before, "reading untouched pages charges nothing")
            try MemoryAccounting.touch(t, a, pages: 4)
            try MemoryAccounting.touch(t, a, pages: 4)
            #expect(MemoryAccounting.anon(t) == before + 4 * 4096)
            try await t.sys("munmap", a, 2 * MemoryAccounting.page).get()
            #expect(MemoryAccounting.anon(t) == before + 2 * 4096)
            try await t.sys("munmap", a, 16 * MemoryAccounting.page).get()
            #expect(MemoryAccounting.anon(t) == before)
        }
    }

    @Test func forkSharesTheChargeAndTheChildsExitReturnsIt() async throws {
        try await runGuest { t async throws in
            let a = try await MemoryAccounting.mapAnonymous(t, pages: 64)
            try MemoryAccounting.touch(t, a, pages: 8)
            let seen = try t.word()
            let parent = MemoryAccounting.anon(t)
            let pid = try await t.fork { c async throws in
                // Parent and child share every page copy-on-write: charged once (the child's
                // start may have copied a page of its stack).
                let shared = MemoryAccounting.anon(c)
                #expect(shared <= parent + 4096)
                #expect(try c.u32(a + 4096) == 1)
                // A write copies one page, charged to the writer.
                try c.setU32(a + 2 * 4096, 2)
                #expect(MemoryAccounting.anon(c) == shared + 4096)
                try c.setU32(seen, 1)
            }.get()
            _ = try await t.wait(pid)
            #expect(try t.u32(seen) == 0, "the child wrote its own copy")
            // The child's copy is returned (what wait's status word touched aside).
            #expect(MemoryAccounting.anon(t) <= parent + 4096)
        }
    }

    @Test func execReleasesTheOldImage() async throws {
        try await runGuest { t async throws in
            try await ELF.install(t, ELFBuilder().bytes, at: "/tmp/good")
            let a = try await MemoryAccounting.mapAnonymous(t, pages: 256)
            try MemoryAccounting.touch(t, a, pages: 256)
            #expect(MemoryAccounting.anon(t) >= 256 * 4096)
            #expect(try await ELF.exec(t, "/tmp/good") == .ok(0))
            // Left: the new image's pages (a page of code, the stack's top).
            #expect(MemoryAccounting.anon(t) < 16 * 4096)
        }
    }

    @Test func tmpfsPagesChargeAsWrittenAndUnlinkFreesThemAtTheLastClose() async throws {
        try await runGuest { t async throws in
            let before = MemoryAccounting.shmem(t)
            let fd = try await t.open("/tmp/data", C.O_CREAT | C.O_RDWR).get()
            try await t.write(fd, [UInt8](repeating: 7, count: 10 * 4096)).get()
            #expect(MemoryAccounting.shmem(t) == before + 10 * 4096)
            // A hole costs nothing.
            try await t.sys("pwrite64", fd, try t.place([1]), 1, 100 * 4096).get()
            #expect(MemoryAccounting.shmem(t) == before + 11 * 4096)
            try await t.sys("ftruncate", fd, 4 * 4096).get()
            #expect(MemoryAccounting.shmem(t) == before + 4 * 4096)
            try await t.sys("unlink", "/tmp/data").get()
            #expect(MemoryAccounting.shmem(t) == before + 4 * 4096, "still open")
            try await t.sys("close", fd).get()
            #expect(MemoryAccounting.shmem(t) == before)
        }
    }

    @Test func tmpfsWritePastTheLimitIsENOMEM() async throws {
        // (The scripts' 16 MiB scratch area counts as it is touched.)
        try await runGuest(configure: { $0.limits.memory = 32 << 20 }) { t async throws in
            let fd = try await t.open("/tmp/big", C.O_CREAT | C.O_RDWR).get()
            let chunk = try t.alloc(1 << 20)
            var written = 0
            var last = SysRet.ok(0)
            for _ in 0..<48 {
                last = try await t.sys("write", fd, chunk, 1 << 20)
                guard case .ok(let n) = last else { break }
                written += n
            }
            #expect(last == .err(.ENOMEM))
            #expect(written > 16 << 20 && written < 32 << 20)
            #expect(t.kernel.memory.usage <= 32 << 20)
            #expect(t.kernel.memory.stats.enomem >= 1)
        }
    }

    @Test func mappingLargerThanTheLimitIsRefusedUnlessNoReserve() async throws {
        try await runGuest(configure: { $0.limits.memory = 32 << 20 }) { t async throws in
            let len = 48 << 20
            #expect(try await t.sys("mmap", 0, len, C.PROT_READ | C.PROT_WRITE, C.MAP_PRIVATE | C.MAP_ANONYMOUS, -1, 0) == .err(.ENOMEM))
            #expect(try await t.sys("mmap", 0, len, C.PROT_READ, C.MAP_PRIVATE | C.MAP_ANONYMOUS, -1, 0).errno == nil)
            #expect(try await t.sys("mmap", 0, len, C.PROT_READ | C.PROT_WRITE, C.MAP_PRIVATE | C.MAP_ANONYMOUS | 0x4000, -1, 0).errno == nil)
            #expect(try await t.sys("mmap", 0, len, C.PROT_READ | C.PROT_WRITE, C.MAP_SHARED | C.MAP_ANONYMOUS, -1, 0) == .err(.ENOMEM))
        }
    }

    /// A page touched past the limit: the OOM policy kills the process using the most memory
    /// (here the toucher), and its parent sees SIGKILL.
    @Test func touchingPastTheLimitGetsTheLargestProcessKilled() async throws {
        try await runGuest(configure: { $0.limits.memory = 32 << 20 }) { t async throws in
            let a = try await MemoryAccounting.mapAnonymous(t, pages: 12288, flags: 0x4000)  // 48 MiB, MAP_NORESERVE
            let pid = try await t.fork { c async throws in
                var refused = false
                for i in 0..<12288 where !refused {
                    do { try c.setU32(a + UInt64(i * MemoryAccounting.page), 1) } catch { refused = true }
                }
                #expect(refused)
                _ = try await c.sys("getpid")  // back to the kernel: the OOM policy runs
                Issue.record("the child survived the OOM policy")
            }.get()
            let (r, status) = try await t.wait(pid)
            #expect(r == .ok(pid))
            #expect(status & 0x7f == Signal.SIGKILL.rawValue, "wait status \(status)")
            #expect(t.kernel.memory.stats.oomKills == 1)
            #expect(t.kernel.memory.usage <= 32 << 20)
        }
    }
}

@Suite struct TaskAndDescriptorLimits {
    @Test func forkPastThePidsLimitIsEAGAIN() async throws {
        try await runGuest(configure: { $0.limits.pids = 4 }) { t async throws in
            var pids: [Int] = []
            for _ in 0..<3 {
                let r = try await t.fork { c async throws in _ = try await c.sys("pause") }
                if case .ok(let p) = r { pids.append(p) } else {
                    #expect(r == .err(.EAGAIN))
                    break
                }
            }
            #expect(pids.count == 3)
            #expect(try await t.fork { _ async throws in } == .err(.EAGAIN))
            #expect(t.kernel.memory.stats.eagain == 1)
            for p in pids { try await t.sys("kill", p, 9).get() }
        }
    }

    @Test func rlimitNofileStopsAtTheCeiling() async throws {
        try await runGuest(configure: { $0.limits.nofile = 500 }) { t async throws in
            let rl = try t.alloc(16)
            try await t.sys("getrlimit", 7, rl).get()
            #expect(try t.u64(rl + 8) == 500)
            try t.setU64(rl, 500); try t.setU64(rl + 8, 500)
            #expect(try await t.sys("setrlimit", 7, rl) == .ok(0))
            try t.setU64(rl, 501); try t.setU64(rl + 8, 501)
            #expect(try await t.sys("setrlimit", 7, rl) == .err(.EPERM))
            #expect(try await t.sys("prlimit64", 0, 7, rl, 0) == .err(.EPERM))
        }
    }

    /// hostfs files are read through a pool: however many a guest opens, umlab holds at most
    /// the pool's descriptors, and every open file still reads its own file.
    @Test func hostfsDescriptorsArePooled() async throws {
        try await runGuest(configure: { $0.limits.hostDescriptors = 16; $0.limits.nofile = 4096 }) { t async throws in
            let rl = try t.alloc(16)
            try t.setU64(rl, 3000); try t.setU64(rl + 8, 3000)
            try await t.sys("setrlimit", 7, rl).get()
            let names = ["/etc/passwd", "/etc/hostname", "/dir/file", "/dir/sub/deep", "/bin/exe", "/bin/script", "/bin/noexec"]
            var fds: [(Int, String)] = []
            for i in 0..<2000 {
                let name = names[i % names.count]
                fds.append((try await t.open(name, C.O_RDONLY).get(), name))
            }
            let d = t.kernel.hostDescriptors
            #expect(d.peak <= d.poolCapacity)
            #expect(d.poolCapacity == 4)
            for (fd, name) in fds.suffix(14) {
                let fresh = try await t.open(name, C.O_RDONLY).get()
                let (_, want) = try await t.read(fresh, 16)
                let buf = try t.alloc(16)
                let n = try await t.sys("pread64", fd, buf, 16, 0).get()
                #expect(try t.peek(buf, n) == want)
            }
        }
    }
}
