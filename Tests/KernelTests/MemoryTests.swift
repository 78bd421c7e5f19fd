import Testing
@testable import GuestKernel
import LinuxABI
import SoftMMU

/// SoftMMU's address space on its own: mapping, protection and the EFAULT edges of copies.
@Suite struct SoftMMUEdges {
    static let base: UInt64 = 0x10000

    @Test(arguments: [0, 1, 4095, 4096, 8191])
    func roundTrip(_ offset: Int) throws {
        let m = try SoftMemory.make()
        try m.map(SoftMMUEdges.base, length: 0x3000, protection: .rw, shared: false, backing: .anonymous)
        let bytes = (0..<600).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let a = SoftMMUEdges.base + UInt64(offset)
        try bytes.withUnsafeBytes { p in try m.write(a, from: p) }
        var back = [UInt8](repeating: 0, count: bytes.count)
        try back.withUnsafeMutableBytes { p in try m.read(a, into: p) }
        #expect(back == bytes)
    }

    /// Unmapping the middle of a private mapping gives its pages and their charge back and
    /// leaves the pages on either side as they were.
    @Test func partialUnmapKeepsTheRest() throws {
        let m = try SoftMemory.make()
        let b = SoftMMUEdges.base
        try m.map(b, length: 0x3000, protection: .rw, shared: false, backing: .anonymous)
        for i in 0..<3 { try [UInt8(i + 1)].withUnsafeBytes { p in try m.write(b + UInt64(i) * 0x1000, from: p) } }
        let before = m.anonymousBytes
        try m.unmap(b + 0x1000, length: 0x1000)
        #expect(m.anonymousBytes == before - 0x1000)
        func byte(_ a: UInt64) throws -> UInt8 {
            var v: [UInt8] = [0]
            try v.withUnsafeMutableBytes { p in try m.read(a, into: p) }
            return v[0]
        }
        #expect(try byte(b) == 1)
        #expect(try byte(b + 0x2000) == 3)
        #expect(throws: LinuxErrno.EFAULT) { try byte(b + 0x1000) }
        // Mapped again, the middle page reads as zeros.
        try m.map(b + 0x1000, length: 0x1000, protection: .rw, shared: false, backing: .anonymous)
        #expect(try byte(b + 0x1000) == 0)
    }

    /// A copy that runs off the mapping (or onto a page without the permission) is EFAULT.
    @Test(arguments: [(UInt64(0x2ff0), 32, Protection.rw), (0x2000, 4096, .rw), (0x0, 1, .read), (0x1000, 8, .read), (0x1ff8, 16, .none)])
    func copiesFault(_ offset: UInt64, _ count: Int, _ protection: Protection) throws {
        let m = try SoftMemory.make()
        try m.map(SoftMMUEdges.base, length: 0x3000, protection: .rw, shared: false, backing: .anonymous)
        try m.protect(SoftMMUEdges.base + 0x1000, length: 0x1000, protection: protection)
        let buf = [UInt8](repeating: 1, count: count)
        let a = SoftMMUEdges.base + offset
        let writable = offset + UInt64(count) <= 0x3000 && (protection.contains(.write) || !(offset < 0x2000 && offset + UInt64(count) > 0x1000))
        if writable {
            try buf.withUnsafeBytes { p in try m.write(a, from: p) }
        } else {
            #expect(throws: LinuxErrno.EFAULT) { try buf.withUnsafeBytes { p in try m.write(a, from: p) } }
        }
    }

    @Test func unmapLeavesTheRest() throws {
        let m = try SoftMemory.make()
        try m.map(SoftMMUEdges.base, length: 0x3000, protection: .rw, shared: false, backing: .anonymous)
        try m.unmap(SoftMMUEdges.base + 0x1000, length: 0x1000)
        var b = [UInt8](repeating: 0, count: 1)
        try b.withUnsafeMutableBytes { p in try m.read(SoftMMUEdges.base, into: p) }
        try b.withUnsafeMutableBytes { p in try m.read(SoftMMUEdges.base + 0x2000, into: p) }
        #expect(throws: LinuxErrno.EFAULT) { try b.withUnsafeMutableBytes { p in try m.read(SoftMMUEdges.base + 0x1000, into: p) } }
        #expect(m.faultCode(SoftMMUEdges.base + 0x1000) == SignalCode.SEGV_MAPERR)
    }

    @Test func forkCopiesPrivateAndSharesShared() throws {
        let m = try SoftMemory.make()
        try m.map(SoftMMUEdges.base, length: 0x1000, protection: .rw, shared: false, backing: .anonymous)
        let mem = try SharedMemoryObject(length: 0x1000, account: nil, descriptors: HostDescriptors(budget: 64))
        try m.map(SoftMMUEdges.base + 0x1000, length: 0x1000, protection: .rw, shared: true, backing: .file(mem.ref, offset: 0))
        let child = try m.fork()
        try [UInt8(9)].withUnsafeBytes { p in try child.write(SoftMMUEdges.base, from: p) }
        try [UInt8(7)].withUnsafeBytes { p in try child.write(SoftMMUEdges.base + 0x1000, from: p) }
        var b = [UInt8](repeating: 0, count: 1)
        try b.withUnsafeMutableBytes { p in try m.read(SoftMMUEdges.base, into: p) }
        #expect(b == [0])
        try b.withUnsafeMutableBytes { p in try m.read(SoftMMUEdges.base + 0x1000, into: p) }
        #expect(b == [7])
    }

    /// MADV_DONTNEED as Linux, on SoftMMU (PowerPC and IA-64 alike): private anonymous pages
    /// read back as zeros, private file pages as the file, and a shared mapping's pages, the
    /// file's own, keep their data — also under a read-only view, which umlab must not write
    /// (it used to, and died of a host SIGSEGV).
    @Test func discardKeepsSharedData() throws {
        let m = try SoftMemory.make()
        let mem = try SharedMemoryObject(length: 0x1000, account: nil, descriptors: HostDescriptors(budget: 64))
        let file = mem.ref
        let shared = SoftMMUEdges.base, readOnly = SoftMMUEdges.base + 0x1000
        let privateFile = SoftMMUEdges.base + 0x2000, anonymous = SoftMMUEdges.base + 0x3000
        try m.map(shared, length: 0x1000, protection: .rw, shared: true, backing: .file(file, offset: 0))
        try [UInt8](repeating: 0x5a, count: 16).withUnsafeBytes { p in try m.write(shared, from: p) }
        try m.map(readOnly, length: 0x1000, protection: .read, shared: true,
                  backing: .file(HostFileRef(fd: file.fd, writable: false, source: file.source), offset: 0))
        try m.map(privateFile, length: 0x1000, protection: .rw, shared: false, backing: .file(file, offset: 0))
        try m.map(anonymous, length: 0x1000, protection: .rw, shared: false, backing: .anonymous)
        for a in [privateFile, anonymous] {
            try [UInt8](repeating: 0x77, count: 16).withUnsafeBytes { p in try m.write(a, from: p) }
        }
        try m.discard(SoftMMUEdges.base, length: 0x4000, .now)
        func byte(_ a: UInt64) throws -> UInt8 {
            var b: [UInt8] = [0]
            try b.withUnsafeMutableBytes { p in try m.read(a, into: p) }
            return b[0]
        }
        #expect(try byte(shared) == 0x5a)
        #expect(try byte(readOnly) == 0x5a)
        #expect(try byte(privateFile) == 0x5a)
        #expect(try byte(anonymous) == 0)
    }
}

/// mmap/munmap/mprotect/brk through the system calls, and the VMA list they leave.
@Suite struct MemoryMaps {
    static func vmas(_ t: ScriptThread, in range: Range<UInt64>) -> [(UInt64, UInt64, Protection)] {
        t.kernel.tasks[Int32(2)]!.mm.vmas.filter { $0.start >= range.lowerBound && $0.end <= range.upperBound }.map { ($0.start, $0.end, $0.protection) }
    }
    static let fixed: UInt64 = 0x3000_0000

    static func map(_ t: ScriptThread, pages: Int = 4, prot: Int = C.PROT_READ | C.PROT_WRITE) async throws -> UInt64 {
        UInt64(try await t.sys("mmap", MemoryMaps.fixed, pages * 4096, prot, C.MAP_PRIVATE | C.MAP_ANONYMOUS | C.MAP_FIXED, -1, 0).get("mmap"))
    }

    @Test func munmapInTheMiddleSplits() async throws {
        try await runGuest { t async throws in
            let a = try await MemoryMaps.map(t)
            try await t.sys("munmap", a + 0x1000, 0x1000).get()
            let v = MemoryMaps.vmas(t, in: a..<a + 0x4000)
            #expect(v.map(\.0) == [a, a + 0x2000])
            #expect(v.map(\.1) == [a + 0x1000, a + 0x4000])
            #expect(try await t.sys("write", 1, a + 0x1000, 1) == .err(.EFAULT))
        }
    }

    @Test(arguments: [(0, 1, 2), (1, 2, 3), (3, 1, 2), (0, 4, 1)])
    func mprotectSplits(_ firstPage: Int, _ pages: Int, _ pieces: Int) async throws {
        try await runGuest { t async throws in
            let a = try await MemoryMaps.map(t)
            try await t.sys("mprotect", a + UInt64(firstPage * 4096), pages * 4096, C.PROT_READ).get()
            let v = MemoryMaps.vmas(t, in: a..<a + 0x4000)
            #expect(v.count == pieces)
            #expect(v.first?.0 == a)
            #expect(v.last?.1 == a + 0x4000)
            // read(2) into the read-only part faults; into the rest it works.
            let (r, w) = try await t.pipe()
            try await t.write(w, "xy").get()
            #expect(try await t.sys("read", r, a + UInt64(firstPage * 4096), 1) == .err(.EFAULT))
        }
    }

    @Test func protNoneFaultsForReads() async throws {
        try await runGuest { t async throws in
            let a = try await MemoryMaps.map(t, pages: 1, prot: C.PROT_NONE)
            #expect(try await t.sys("write", 1, a, 1) == .err(.EFAULT))
            try await t.sys("mprotect", a, 4096, C.PROT_READ).get()
            let fd = try await t.open("/dev/null", C.O_WRONLY).get()
            #expect(try await t.sys("write", fd, a, 16) == .ok(16))
        }
    }

    /// msync checks what Linux's mm/msync.c checks (Python's mmap.flush relies on EINVAL for an
    /// unaligned offset) and has nothing to write back.
    @Test func msyncArguments() async throws {
        try await runGuest { t async throws in
            let a = try await MemoryMaps.map(t)
            try await t.sys("munmap", a + 0x2000, 0x1000).get()
            #expect(try await t.sys("msync", a, 0x2000, 4) == .ok(0))  // MS_SYNC
            #expect(try await t.sys("msync", a + 1, 6, 4) == .err(.EINVAL))
            #expect(try await t.sys("msync", a, 4096, 5) == .err(.EINVAL))  // MS_ASYNC | MS_SYNC
            #expect(try await t.sys("msync", a, 4096, 8) == .err(.EINVAL))
            #expect(try await t.sys("msync", a, 0x4000, 1) == .err(.ENOMEM))  // a hole at a + 0x2000
            #expect(try await t.sys("msync", a, 0, 4) == .ok(0))
            #expect(try await t.sys("msync", a, UInt64.max, 4) == .err(.ENOMEM))
            // mincore: a byte per mapped page, the same checks.
            let vec = try t.alloc(4)
            #expect(try await t.sys("mincore", a, 0x2000, vec) == .ok(0))
            #expect(try t.peek(vec, 2) == [1, 1])
            #expect(try await t.sys("mincore", a, 0x4000, vec) == .err(.ENOMEM))
            #expect(try await t.sys("mincore", a + 1, 1, vec) == .err(.EINVAL))
            #expect(try await t.sys("mincore", a, 0x1000, UInt64.max) == .err(.EFAULT))
        }
    }

    @Test func mmapArgumentErrors() async throws {
        try await runGuest { t async throws in
            let anon = C.MAP_PRIVATE | C.MAP_ANONYMOUS
            #expect(try await t.sys("mmap", 0, 0, C.PROT_READ, anon, -1, 0) == .err(.EINVAL))
            #expect(try await t.sys("mmap", 0x3000_0001, 4096, C.PROT_READ, anon | C.MAP_FIXED, -1, 0) == .err(.EINVAL))
            #expect(try await t.sys("mmap", 0, 4096, C.PROT_READ, C.MAP_ANONYMOUS, -1, 0) == .err(.EINVAL))
            #expect(try await t.sys("mmap", 0, 4096, C.PROT_READ, C.MAP_PRIVATE, 99, 0) == .err(.EBADF))
            #expect(try await t.sys("munmap", 0x3000_0001, 4096) == .err(.EINVAL))
            #expect(try await t.sys("munmap", 0x3000_0000, 0) == .err(.EINVAL))
            #expect(try await t.sys("mprotect", 0x3000_0001, 4096, C.PROT_READ) == .err(.EINVAL))
            #expect(try await t.sys("mprotect", 0x5000_0000, 4096, C.PROT_READ) == .err(.ENOMEM))
            // Unmapping what is not mapped is fine.
            #expect(try await t.sys("munmap", 0x5000_0000, 4096) == .ok(0))
        }
    }

    @Test func fixedNoReplace() async throws {
        try await runGuest { t async throws in
            let a = try await MemoryMaps.map(t, pages: 1)
            let flags = C.MAP_PRIVATE | C.MAP_ANONYMOUS | C.MAP_FIXED_NOREPLACE
            #expect(try await t.sys("mmap", a, 4096, C.PROT_READ, flags, -1, 0) == .err(.EEXIST))
            #expect(try await t.sys("mmap", a + 0x1000, 4096, C.PROT_READ, flags, -1, 0) == .ok(Int(a + 0x1000)))
        }
    }

    @Test func anonymousMemoryIsZeroAndPrivateAcrossFork() async throws {
        try await runGuest { t async throws in
            let a = UInt64(try await t.sys("mmap", 0, 8192, C.PROT_READ | C.PROT_WRITE, C.MAP_PRIVATE | C.MAP_ANONYMOUS, -1, 0).get())
            #expect(try t.peek(a, 8192) == [UInt8](repeating: 0, count: 8192))
            try t.setU32(a, 1)
            let pid = try await t.fork { c async throws in
                #expect(try c.u32(a) == 1)
                try c.setU32(a, 2)
            }.get()
            _ = try await t.wait(pid)
            #expect(try t.u32(a) == 1)
        }
    }

    @Test func sharedAnonymousIsSharedAcrossFork() async throws {
        try await runGuest { t async throws in
            let a = UInt64(try await t.sys("mmap", 0, 4096, C.PROT_READ | C.PROT_WRITE, C.MAP_SHARED | C.MAP_ANONYMOUS, -1, 0).get())
            let pid = try await t.fork { c async throws in try c.setU32(a, 42) }.get()
            _ = try await t.wait(pid)
            #expect(try t.u32(a) == 42)
        }
    }

    @Test func fileMappingSeesTheFile() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/m", C.O_CREAT | C.O_RDWR).get()
            try await t.write(fd, "mapped bytes").get()
            let a = UInt64(try await t.sys("mmap", 0, 4096, C.PROT_READ | C.PROT_WRITE, C.MAP_SHARED, fd, 0).get())
            #expect(try t.peek(a, 12) == Array("mapped bytes".utf8))
            try t.poke(a, Array("MAPPED".utf8))
            #expect(try await t.contents("/tmp/m") == .success("MAPPED bytes"))
            let ro = try await t.open("/tmp/m", C.O_RDONLY).get()
            #expect(try await t.sys("mmap", 0, 4096, C.PROT_READ | C.PROT_WRITE, C.MAP_SHARED, ro, 0) == .err(.EACCES))
        }
    }

    @Test func brkGrowsAndShrinks() async throws {
        try await runGuest { t async throws in
            let start = try await t.sys("brk", 0).get()
            #expect(UInt64(start) == ScriptedKernel.brkBase)
            #expect(try await t.sys("brk", start + 10000) == .ok(start + 10000))
            try t.setU32(UInt64(start + 9996), 5)
            #expect(try await t.sys("brk", start + 100) == .ok(start + 100))
            #expect(throws: LinuxErrno.EFAULT) { try t.u32(UInt64(start + 9996)) }
            // Below the start, brk reports the current break.
            #expect(try await t.sys("brk", start - 4096) == .ok(start + 100))
        }
    }

    @Test func procSelfMapsListsTheAreas() async throws {
        try await runGuest { t async throws in
            _ = try await MemoryMaps.map(t, pages: 2, prot: C.PROT_READ)
            let maps = try await t.contents("/proc/self/maps").get()
            #expect(maps.contains("10000000-11000000 rw-p"))
            #expect(maps.contains("30000000-30002000 r--p"))
        }
    }
}
