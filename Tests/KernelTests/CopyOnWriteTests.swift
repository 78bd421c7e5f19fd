import Testing
@testable import GuestKernel
import LinuxABI
import SoftMMU

/// SoftMMU's copy-on-write fork (issue #14 item 3): private pages shared between parent and
/// child until one writes, shared mappings shared for good, and the memory account charged once
/// per page that exists.
@Suite struct CopyOnWriteFork {
    static let base: UInt64 = 0x10000
    static let page: UInt64 = 0x1000

    static func byte(_ m: SoftMemory, _ a: UInt64) throws -> UInt8 {
        var v: [UInt8] = [0]
        try v.withUnsafeMutableBytes { p in try m.read(a, into: p) }
        return v[0]
    }
    static func put(_ m: SoftMemory, _ a: UInt64, _ v: UInt8) throws {
        try [v].withUnsafeBytes { p in try m.write(a, from: p) }
    }
    static func anon(_ a: MemoryController) -> UInt64 { a.byKind[MemoryController.Kind.anonymous.rawValue] }

    /// Parent and child each see their own writes and, where neither wrote, the data from
    /// before the fork; so does a grandchild forked from the child.
    @Test func eachSeesItsOwnWrites() throws {
        let m = try SoftMemory.make()
        let b = CopyOnWriteFork.base, pg = CopyOnWriteFork.page
        try m.map(b, length: 4 * pg, protection: .rw, shared: false, backing: .anonymous)
        for i in 0..<3 { try CopyOnWriteFork.put(m, b + UInt64(i) * pg, UInt8(10 + i)) }
        let child = try m.fork()
        try CopyOnWriteFork.put(child, b, 20)
        try CopyOnWriteFork.put(m, b + pg, 31)
        let grandchild = try child.fork()
        try CopyOnWriteFork.put(grandchild, b + 2 * pg, 42)
        try CopyOnWriteFork.put(child, b + 3 * pg, 23)
        let read = { (s: SoftMemory) throws -> [UInt8] in try (0..<4).map { try CopyOnWriteFork.byte(s, b + UInt64($0) * pg) } }
        #expect(try read(m) == [10, 31, 12, 0])
        #expect(try read(child) == [20, 11, 12, 23])
        #expect(try read(grandchild) == [20, 11, 42, 0])
        #expect(child.counters.cowCopies == 1)
    }

    /// A MAP_SHARED mapping stays one memory: a write after the fork shows on both sides.
    @Test func sharedMappingsStayShared() throws {
        let m = try SoftMemory.make()
        let mem = try SharedMemoryObject(length: 0x1000, account: nil, descriptors: HostDescriptors(budget: 64))
        try m.map(CopyOnWriteFork.base, length: 0x1000, protection: .rw, shared: true, backing: .file(mem.ref, offset: 0))
        try CopyOnWriteFork.put(m, CopyOnWriteFork.base, 1)
        let child = try m.fork()
        try CopyOnWriteFork.put(m, CopyOnWriteFork.base, 2)
        #expect(try CopyOnWriteFork.byte(child, CopyOnWriteFork.base) == 2)
        try CopyOnWriteFork.put(child, CopyOnWriteFork.base + 1, 3)
        #expect(try CopyOnWriteFork.byte(m, CopyOnWriteFork.base + 1) == 3)
        #expect(child.counters.cowCopies == 0 && m.counters.cowCopies == 0)
    }

    /// The account holds one charge per page that exists: a shared page once, a copy to the
    /// space that wrote it; the last sharer takes its frame's charge over; exits return it all.
    @Test func accountingChargesEachPageOnce() throws {
        let account = MemoryController(limit: 1 << 30)
        let m = try SoftMemory.make()
        m.memoryAccount = account
        let b = CopyOnWriteFork.base, pg = CopyOnWriteFork.page
        try m.map(b, length: 8 * pg, protection: .rw, shared: false, backing: .anonymous)
        for i in 0..<4 { try CopyOnWriteFork.put(m, b + UInt64(i) * pg, 1) }
        #expect(CopyOnWriteFork.anon(account) == 4 * pg)
        let child = try m.fork()
        #expect(CopyOnWriteFork.anon(account) == 4 * pg)  // shared, not copied
        try CopyOnWriteFork.put(child, b, 2)               // the child's copy of page 0
        #expect(CopyOnWriteFork.anon(account) == 5 * pg)
        try CopyOnWriteFork.put(m, b + pg, 2)              // the parent's copy of page 1
        #expect(CopyOnWriteFork.anon(account) == 6 * pg)
        try CopyOnWriteFork.put(m, b, 3)                   // the last sharer of page 0 takes it over
        #expect(CopyOnWriteFork.anon(account) == 6 * pg)
        try CopyOnWriteFork.put(m, b + 5 * pg, 3)          // a page never written before the fork
        #expect(CopyOnWriteFork.anon(account) == 7 * pg)
        #expect(try CopyOnWriteFork.byte(child, b + 5 * pg) == 0)
        child.release()  // its page 0, its (last) share of page 1's frame
        #expect(CopyOnWriteFork.anon(account) == 5 * pg)
        m.release()
        #expect(CopyOnWriteFork.anon(account) == 0)
    }

    /// At the memory limit the copy is refused (the write faults and the OOM policy is asked
    /// for), and nothing changes for the other sharer.
    @Test func copyPastTheLimitFaults() throws {
        let account = MemoryController(limit: 1 << 20)
        let m = try SoftMemory.make()
        m.memoryAccount = account
        let b = CopyOnWriteFork.base, pg = CopyOnWriteFork.page
        try m.map(b, length: 2 * pg, protection: .rw, shared: false, backing: .anonymous)
        try CopyOnWriteFork.put(m, b, 1)
        let child = try m.fork()
        let fill = account.limit - account.usage
        #expect(account.tryCharge(fill, .pipes))
        #expect(throws: LinuxErrno.EFAULT) { try CopyOnWriteFork.put(child, b, 2) }
        #expect(account.oomRequested)
        account.uncharge(fill, .pipes)
        #expect(try CopyOnWriteFork.byte(m, b) == 1)
        try CopyOnWriteFork.put(child, b, 2)
        #expect(try CopyOnWriteFork.byte(m, b) == 1)
        #expect(try CopyOnWriteFork.byte(child, b) == 2)
    }

    /// MADV_DONTNEED in the child drops its share (zeros for anonymous memory, the file's data
    /// for a private file mapping); munmap in the parent leaves the child's view; mprotect keeps
    /// the sharing (a page made writable again is still copied on its first write); a write by
    /// the kernel (a signal frame) copies too.
    @Test func madviseMunmapMprotectAndKernelWrites() throws {
        let account = MemoryController(limit: 1 << 30)
        let m = try SoftMemory.make()
        m.memoryAccount = account
        let mem = try SharedMemoryObject(length: 0x1000, account: nil, descriptors: HostDescriptors(budget: 64))
        let b = CopyOnWriteFork.base, pg = CopyOnWriteFork.page
        try m.map(b + 8 * pg, length: pg, protection: .rw, shared: true, backing: .file(mem.ref, offset: 0))
        try CopyOnWriteFork.put(m, b + 8 * pg, 0x5a)  // the file's byte
        try m.map(b, length: 4 * pg, protection: .rw, shared: false, backing: .anonymous)
        try m.map(b + 4 * pg, length: pg, protection: .rw, shared: false, backing: .file(mem.ref, offset: 0))
        for i in 0..<5 { try CopyOnWriteFork.put(m, b + UInt64(i) * pg, 0x77) }
        let child = try m.fork()
        try child.discard(b, length: pg, .now)
        try child.discard(b + 4 * pg, length: pg, .now)
        #expect(try CopyOnWriteFork.byte(child, b) == 0)
        #expect(try CopyOnWriteFork.byte(child, b + 4 * pg) == 0x5a)
        #expect(try CopyOnWriteFork.byte(m, b) == 0x77)
        #expect(try CopyOnWriteFork.byte(m, b + 4 * pg) == 0x77)
        try m.unmap(b + pg, length: pg)
        #expect(try CopyOnWriteFork.byte(child, b + pg) == 0x77)
        try child.protect(b + 2 * pg, length: pg, protection: .read)
        #expect(throws: LinuxErrno.EFAULT) { try CopyOnWriteFork.put(child, b + 2 * pg, 1) }
        try child.protect(b + 2 * pg, length: pg, protection: .rw)
        try CopyOnWriteFork.put(child, b + 2 * pg, 1)
        #expect(try CopyOnWriteFork.byte(m, b + 2 * pg) == 0x77)
        let p = child.hostPointerIgnoringProtection(b + 3 * pg)!
        p.storeBytes(of: 9, as: UInt8.self)
        #expect(try CopyOnWriteFork.byte(child, b + 3 * pg) == 9)
        #expect(try CopyOnWriteFork.byte(m, b + 3 * pg) == 0x77)
        child.release()
        m.release()
        #expect(CopyOnWriteFork.anon(account) == 0)
    }
}

/// The decoded-code cache the interpreters share (issue #14 item 1): the direct-mapped front,
/// invalidation by stores (the generation the loops compare between blocks), and dropped ops
/// kept until the next lookup (a store may drop the page a loop is running).
@Suite struct CodeCacheInvalidation {
    static let base: UInt64 = 0x40000

    /// A cache whose "decoder" copies each word of the page (so an op shows what was decoded).
    static func make(_ m: SoftMemory) -> (CodeCache<UInt32>, () -> Int) {
        var decodes = 0
        let cache = CodeCache<UInt32>(opsPerPage: 1024) { code, ops in
            decodes += 1
            for i in 0..<1024 { (ops + i).initialize(to: code.load(fromByteOffset: 4 * i, as: UInt32.self)) }
        }
        cache.attach(to: m)
        return (cache, { decodes })
    }

    @Test func storesDropDecodedPagesAndBumpTheGeneration() throws {
        let m = try SoftMemory.make()
        let b = CodeCacheInvalidation.base
        try m.map(b, length: 0x2000, protection: [.read, .write, .execute], shared: false, backing: .anonymous)
        try [UInt32(7)].withUnsafeBytes { p in try m.write(b + 0x1000, from: p) }
        let (cache, decodes) = CodeCacheInvalidation.make(m)
        let first = try #require(cache.ops(at: b + 0x1000, in: m))
        #expect(first[0] == 7 && decodes() == 1)
        // A second lookup is the front's; another page is decoded on its own.
        #expect(cache.ops(at: b + 0x1004, in: m) == first)
        _ = cache.ops(at: b, in: m)
        #expect(decodes() == 2)
        let generation = cache.generation
        // A store into a decoded page drops it (the loop's successor on that page must be
        // looked up again): the generation moves; the old ops stay readable until the next
        // lookup, which decodes the page's new contents.
        try [UInt32(9)].withUnsafeBytes { p in try m.write(b + 0x1000, from: p) }
        #expect(cache.generation != generation)
        #expect(first[0] == 7)
        let again = try #require(cache.ops(at: b + 0x1000, in: m))
        #expect(again[0] == 9 && decodes() == 3)
        // A store to a page without decoded code changes nothing.
        let g2 = cache.generation
        try m.map(b + 0x2000, length: 0x1000, protection: .rw, shared: false, backing: .anonymous)
        try [UInt32(1)].withUnsafeBytes { p in try m.write(b + 0x2000, from: p) }
        #expect(cache.generation == g2)
        // Unmapping drops it too; a page that is not executable has no ops.
        try m.unmap(b + 0x1000, length: 0x1000)
        #expect(cache.generation != g2)
        #expect(cache.ops(at: b + 0x1000, in: m) == nil)
        #expect(cache.ops(at: b + 0x2000, in: m) == nil)
    }

    /// Pages that collide in the front (256 entries apart) are both served, from the table.
    @Test func frontCollisionsFallBackToTheTable() throws {
        let m = try SoftMemory.make()
        let b = CodeCacheInvalidation.base, far = CodeCacheInvalidation.base + 256 * 0x1000
        for (a, v) in [(b, UInt32(1)), (far, UInt32(2))] {
            try m.map(a, length: 0x1000, protection: [.read, .write, .execute], shared: false, backing: .anonymous)
            try [v].withUnsafeBytes { p in try m.write(a, from: p) }
        }
        let (cache, decodes) = CodeCacheInvalidation.make(m)
        for _ in 0..<3 {
            #expect(cache.ops(at: b, in: m)?[0] == 1)
            #expect(cache.ops(at: far, in: m)?[0] == 2)
        }
        #expect(decodes() == 2)
    }
}
