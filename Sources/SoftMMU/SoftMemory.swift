import GuestKernel
import HostOS
import LinuxABI

/// A guest address space for the interpreting backends: software page tables over host memory.
///
/// Every guest page (4 KiB) maps to a host page that umlab owns: anonymous memory, a private
/// copy-on-write view of a host file, or a shared view of one (tmpfs memory files, shared
/// anonymous memory). Protection is the page table's business, not the host's: the interpreter
/// checks it on every access through a small software TLB, and a violation is a guest fault.
///
/// Isolation: in SKAS mode each guest process has its own `SoftMemory` and its TLB is flushed
/// when the CPU switches to it (`activate`); the kernel's memory is never in the page table.
public final class SoftMemory: AddressSpace {
    public static let pageShift: UInt64 = 12
    public static let pageSize: UInt64 = 1 << pageShift
    public static let pageMask: UInt64 = pageSize - 1

    /// Page table entry: host page address | permission bits (low 12 bits are free).
    public typealias PTE = UInt
    public static let permRead: UInt = 1, permWrite: UInt = 2, permExec: UInt = 4
    /// Set on pages that hold decoded code: stores take the slow path and invalidate it.
    public static let permCode: UInt = 8
    /// A file page beyond the end of the file: any access is a guest SIGBUS (never a host one).
    public static let permBeyondEOF: UInt = 16
    /// A private page that holds data (written, or filled from a file) and is charged to the
    /// machine's memory account; a private page without it has never been written and reads as
    /// zero from a host page the host has not allocated yet.
    public static let pageCharged: UInt = 32
    /// A page of a shared mapping (a memory file's page: charged to the file, not to the space).
    public static let pageShared: UInt = 64
    /// A private page shared copy-on-write with other spaces of its fork family: the entry
    /// points at a frame `CoWFrames` keeps (and charges); it never enters the write TLB, and
    /// the first write copies it into the space's own page (`breakCoW`).
    public static let pageCoW: UInt = 128
    /// The low bits of an entry: permissions and state (the rest is the host page's address).
    static let entryBits = UInt(pageMask)
    /// The bits that describe the page rather than the access it allows.
    static let stateBits: UInt = permBeyondEOF | pageCharged | pageShared | pageCoW

    /// 2^20 page entries per 4 GiB chunk, allocated zeroed on first use.
    static let chunkPages = 1 << 20
    @usableFromInline var chunks: [UInt64: UnsafeMutablePointer<PTE>] = [:]
    /// Chunk 0 (the low 4 GiB, all of a 32-bit guest's space) without a dictionary lookup.
    @usableFromInline var chunk0: UnsafeMutablePointer<PTE>

    @usableFromInline let tlb: SoftTLB
    /// Host memory regions backing guest ranges, for unmap, fork and /proc-style accounting.
    var regions: [Region] = []
    public private(set) var counters = Counters()
    /// The interpreter's decoded-code cache for this address space (its type is the ISA's).
    public var codeCache: AnyObject?
    /// The copy-on-write frames this space shares with its fork family (nil until it forks or
    /// is forked).
    var cow: CoWFrames?
    /// Called with a guest page number when decoded code on it must be dropped.
    public var invalidateCode: ((UInt64) -> Void)?
    /// The debug points of this space (hardware breakpoints become breakpoint ops when their
    /// page is decoded; watched pages stay out of the TLB): see SoftMemory+Debug.swift.
    public internal(set) var debugPoints: [DebugPoint] = []
    /// The addresses of `.execute` points, for the decoder.
    @usableFromInline var breakpointAddresses: [UInt64] = []
    /// Pages holding a watched range.
    @usableFromInline var watchedPages: Set<UInt64> = []
    /// The watched access the last instruction made, recorded by the slow path for the engine.
    public var watchHit: (kind: WatchKind, address: UInt64)?

    // Memory accounting. A private page is charged the first time it is written (the TLB's
    // write miss is where that is seen), or when it is filled from a file; its page-table block
    // (4 KiB of entries) when first used; decoded code as it is decoded. So `chargedBytes` is
    // what this space makes umlab's resident memory grow by, and fork copies only charged pages.

    /// Bytes of private pages charged.
    public private(set) var anonymousBytes: UInt64 = 0
    /// Bytes of page-table blocks, the TLB and decoded code.
    public private(set) var kernelBytes: UInt64 = UInt64(SoftTLB.bytes)
    /// Page-table blocks in use, by block number (guest page >> 9).
    private var tableBlocks = Set<UInt64>()
    public var memoryAccount: MemoryController? {
        didSet {
            guard memoryAccount !== oldValue else { return }
            oldValue?.uncharge(anonymousBytes, .anonymous)
            oldValue?.uncharge(kernelBytes, .kernel)
            memoryAccount?.account(anonymousBytes, .anonymous)
            memoryAccount?.account(kernelBytes, .kernel)
        }
    }
    public var chargedBytes: UInt64 { anonymousBytes + kernelBytes }

    /// Charges a private page the guest is about to write; false (the access faults and the
    /// kernel runs its OOM policy) when the machine is at its memory limit.
    @usableFromInline
    func chargeTouchedPage(_ slot: UnsafeMutablePointer<PTE>) -> Bool {
        if let a = memoryAccount, !a.chargeFault(SoftMemory.pageSize, .anonymous) { return false }
        anonymousBytes += SoftMemory.pageSize
        slot.pointee |= SoftMemory.pageCharged
        return true
    }

    /// Memory for umlab's own structures of this space (page tables, decoded code): charged,
    /// never refused (the OOM policy runs if it takes the machine past its limit).
    public func chargeKernelMemory(_ bytes: Int) {
        kernelBytes += UInt64(bytes)
        memoryAccount?.account(UInt64(bytes), .kernel)
    }
    public func unchargeKernelMemory(_ bytes: Int) {
        let n = min(UInt64(bytes), kernelBytes)
        kernelBytes -= n
        memoryAccount?.uncharge(n, .kernel)
    }

    private func unchargePages(_ count: UInt64) {
        let bytes = min(count * SoftMemory.pageSize, anonymousBytes)
        anonymousBytes -= bytes
        memoryAccount?.uncharge(bytes, .anonymous)
    }

    /// Notes that the page-table block holding `page` is in use.
    private func noteTableBlock(_ page: UInt64) {
        if tableBlocks.insert(page >> 9).inserted { chargeKernelMemory(4096) }
    }

    public struct Counters {
        public var tlbMisses: UInt64 = 0
        public var tlbFlushes: UInt64 = 0
        /// Copy-on-write pages copied on a write.
        public var cowCopies: UInt64 = 0
    }

    /// A host mapping that backs part of the guest space.
    final class Region {
        let host: UnsafeMutableRawPointer
        let length: Int
        let shared: Bool
        var users = 1
        init(host: UnsafeMutableRawPointer, length: Int, shared: Bool) { self.host = host; self.length = length; self.shared = shared }
        deinit { HostMemory.unmap(host, length) }
    }
    /// A mapped file, kept by its mappings (the guest may close its descriptor) through the
    /// kernel's source object: no host descriptor is held for it here.
    final class MappedFile {
        let source: any MappedFileSource
        init(_ source: any MappedFileSource) { self.source = source }
        var size: UInt64 { source.mappedSize }
    }
    struct Span {
        var start: UInt64, end: UInt64
        var region: Region
        var offset: Int
        /// For file mappings: the file and the file offset of `start`. A private mapping
        /// rereads it for MADV_DONTNEED; a shared one checks its size (pages past the end fault).
        var file: (file: MappedFile, offset: UInt64)?
    }
    var spans: [Span] = []

    /// An empty address space; ENOMEM when the host refuses the first table's 8 MiB of address
    /// space (touched as used). (A factory over a non-throwing init: the throwing init measured
    /// 10 % slower on the IA-64 loop benchmark, for no reason visible in the source.)
    public static func make() throws(LinuxErrno) -> SoftMemory {
        guard let table: UnsafeMutablePointer<PTE> = HostMemory.zeroedTable(count: SoftMemory.chunkPages) else { throw .ENOMEM }
        return SoftMemory(table: table)
    }

    private init(table: UnsafeMutablePointer<PTE>) {
        chunk0 = table
        chunks[0] = chunk0
        tlb = SoftTLB()
    }

    deinit {
        if cow != nil {
            // A space dropped without `release` (a replaced one) still holds shares of frames.
            for s in spans where !s.region.shared { releaseFrames(s.start, s.end) }
        }
        for (_, c) in chunks { HostMemory.freeTable(c, count: SoftMemory.chunkPages) }
        tlb.free()
        memoryAccount?.uncharge(anonymousBytes, .anonymous)
        memoryAccount?.uncharge(kernelBytes, .kernel)
    }

    // MARK: Page table

    @inline(__always) @usableFromInline
    func pteSlot(_ page: UInt64, create: Bool) -> UnsafeMutablePointer<PTE>? {
        let hi = page >> 20
        if hi == 0 { return chunk0 + Int(page & 0xfffff) }
        if let c = chunks[hi] { return c + Int(page & 0xfffff) }
        guard create, let c: UnsafeMutablePointer<PTE> = HostMemory.zeroedTable(count: SoftMemory.chunkPages) else { return nil }
        chunks[hi] = c
        return c + Int(page & 0xfffff)
    }

    @inline(__always) public func pte(_ page: UInt64) -> PTE { pteSlot(page, create: false)?.pointee ?? 0 }

    /// The host address of a guest byte for an access needing `perm`, or nil (a fault).
    /// The slow path behind the TLB.
    @usableFromInline
    /// `size`: the bytes the access reads or writes from `address` (within its page), for
    /// watched ranges an access may overlap without starting in them.
    func translateSlow(_ address: UInt64, perm: UInt, size: Int = 1) -> UnsafeMutableRawPointer? {
        counters.tlbMisses += 1
        let page = address >> SoftMemory.pageShift
        var e = pte(page)
        if e & SoftMemory.permBeyondEOF != 0 {
            guard fileGrew(page) else { return nil }
            e = pte(page)
        }
        guard e & perm == perm, e != 0 else { return nil }
        if perm == SoftMemory.permWrite && e & SoftMemory.pageCoW != 0 {
            guard breakCoW(page, kernel: false) else { return nil }
            e = pte(page)
        }
        if perm == SoftMemory.permWrite && e & (SoftMemory.pageCharged | SoftMemory.pageShared) == 0 {
            guard chargeTouchedPage(pteSlot(page, create: false)!) else { return nil }
            e = pte(page)
        }
        if perm == SoftMemory.permWrite && e & SoftMemory.permCode != 0 {
            // A store into decoded code: drop the decoded form; the page stays code-free until
            // it is decoded again.
            invalidateCode?(page)
            pteSlot(page, create: false)!.pointee = e & ~SoftMemory.permCode
        }
        let base = UnsafeMutableRawPointer(bitPattern: e & ~UInt(SoftMemory.pageMask))!
        // A watched page never enters the TLB: each access to it comes here to be checked.
        if watchedPages.isEmpty || !noteWatchedAccess(page, address, size: size, write: perm == SoftMemory.permWrite) {
            tlb.fill(page: page, base: base, write: perm == SoftMemory.permWrite, read: e & SoftMemory.permRead != 0)
        }
        return base + Int(address & SoftMemory.pageMask)
    }

    /// Host address of `address` for reading, through the TLB.
    @inlinable @inline(__always)
    public func readPointer(_ address: UInt64) -> UnsafeMutableRawPointer? {
        if let p = tlb.lookup(address, write: false) { return p }
        return translateSlow(address, perm: SoftMemory.permRead)
    }
    /// Host address of `address` for writing, through the TLB.
    @inlinable @inline(__always)
    public func writePointer(_ address: UInt64) -> UnsafeMutableRawPointer? {
        if let p = tlb.lookup(address, write: true) { return p }
        return translateSlow(address, perm: SoftMemory.permWrite)
    }
    /// The TLB's arrays, for an interpreter to probe from its own copy of the pointers (two
    /// dependent loads fewer per guest access than `readPointer`); a miss goes to `readMiss` /
    /// `writeMiss`.
    public var tlbArrays: SoftTLB.Arrays {
        SoftTLB.Arrays(readTags: tlb.readTags, readBases: tlb.readBases, writeTags: tlb.writeTags, writeBases: tlb.writeBases)
    }
    /// `size`: the access's width in bytes (see `translateSlow`).
    public func readMiss(_ address: UInt64, size: Int = 1) -> UnsafeMutableRawPointer? { translateSlow(address, perm: SoftMemory.permRead, size: size) }
    public func writeMiss(_ address: UInt64, size: Int = 1) -> UnsafeMutableRawPointer? { translateSlow(address, perm: SoftMemory.permWrite, size: size) }

    /// Host address of a code page for the decoder; marks the page as holding code.
    public func codePage(_ page: UInt64) -> UnsafeRawPointer? {
        guard let slot = pteSlot(page, create: false), slot.pointee & SoftMemory.permExec != 0 else { return nil }
        slot.pointee |= SoftMemory.permCode
        tlb.invalidate(page: page)  // the write TLB must miss from now on
        return UnsafeRawPointer(bitPattern: slot.pointee & ~UInt(SoftMemory.pageMask))
    }
    /// Why an access faulted: SEGV_ACCERR if the page is mapped, SEGV_MAPERR if not.
    public func faultCode(_ address: UInt64) -> Int32 {
        pte(address >> SoftMemory.pageShift) == 0 ? SignalCode.SEGV_MAPERR : SignalCode.SEGV_ACCERR
    }
    /// The guest signal for a faulting access: SIGBUS beyond a mapped file's end, else SIGSEGV.
    public func fault(at address: UInt64) -> (Signal, Int32) {
        let e = pte(address >> SoftMemory.pageShift)
        // (translateSlow has already given a grown file its pages back.)
        if e & SoftMemory.permBeyondEOF != 0 { return (.SIGBUS, 2 /* BUS_ADRERR */) }
        return (.SIGSEGV, e == 0 ? SignalCode.SEGV_MAPERR : SignalCode.SEGV_ACCERR)
    }

    /// Makes this the address space the CPU uses: SKAS flushes the TLB on every switch.
    public func activate() {
        tlb.flush()
        counters.tlbFlushes += 1
    }

    /// Runs `body` on the entry of every page in [start, end): every page when `create` (a new
    /// mapping: tables are made as needed), else only the pages that are mapped.
    private func setPages(_ start: UInt64, _ end: UInt64, create: Bool = false, _ body: (UInt64, inout PTE) -> Void) {
        let first = start >> SoftMemory.pageShift
        walkSlots(first, end >> SoftMemory.pageShift, create: create) { page, slot in
            var e = slot.pointee
            if e == 0 && !create { return }
            if create && (page == first || page & 511 == 0) { noteTableBlock(page) }
            let hadCode = e & SoftMemory.permCode != 0
            body(page, &e)
            slot.pointee = e
            if hadCode { invalidateCode?(page) }
        }
        tlb.flush()
    }

    /// Calls `body` with the entry of every page in [first, last), a table (4 GiB of pages) at
    /// a time: one table lookup per table, not per page (above the low 4 GiB the tables are in
    /// a dictionary: IA-64's spaces). Pages without a table are skipped unless `create`.
    private func walkSlots(_ first: UInt64, _ last: UInt64, create: Bool, _ body: (UInt64, UnsafeMutablePointer<PTE>) -> Void) {
        var page = first
        while page < last {
            let tableEnd = min(last, (page | UInt64(SoftMemory.chunkPages - 1)) + 1)
            if var slot = pteSlot(page, create: create) {
                while page < tableEnd {
                    body(page, slot)
                    page += 1
                    slot += 1
                }
            }
            page = tableEnd
        }
    }

    static func bits(_ p: Protection) -> UInt {
        (p.contains(.read) ? permRead : 0) | (p.contains(.write) ? permWrite : 0) | (p.contains(.execute) ? permExec : 0)
    }

    // MARK: AddressSpace

    /// Maps memory. A private file mapping is a copy of the file's bytes (Linux's semantics for
    /// a private mapping, minus later writes to the file showing through); a shared one is a
    /// host view of the file. Pages wholly past the end of the file fault with a guest SIGBUS.
    /// The end is rechecked when the file shrinks (`filesShrank`) and, lazily, when an access
    /// past it faults (the file may have grown).
    /// Makes the page tables of [start, end) exist, within the memory limit. Every page of a
    /// mapping gets its entry when it is mapped (8 bytes per 4 KiB page, in 4 KiB blocks), so a
    /// huge mapping's tables are real memory even where the guest never touches it: past the
    /// limit the mapping is refused with ENOMEM (Linux builds them lazily and would not).
    private func reserveTables(_ start: UInt64, _ end: UInt64) throws(LinuxErrno) {
        let blockShift = SoftMemory.pageShift + 9
        let blocks = ((end - 1) >> blockShift) - (start >> blockShift) + 1
        if let account = memoryAccount {
            // The blocks the mapping adds: counted exactly for a range of up to 2^20 blocks
            // (4 TiB), else at least all of them but the ones this space has anywhere.
            var new: UInt64 = 0
            if blocks <= 1 << 20 {
                var b = start >> blockShift
                while b <= (end - 1) >> blockShift { if !tableBlocks.contains(b) { new += 1 }; b += 1 }
            } else {
                new = blocks - min(blocks, UInt64(tableBlocks.count))
            }
            // Checked only: setPages charges each block as it fills it.
            guard account.tryCharge(new * 4096, .kernel) else { throw .ENOMEM }
            account.uncharge(new * 4096, .kernel)
        }
        var hi = start >> (SoftMemory.pageShift + 20)
        while hi <= (end - 1) >> (SoftMemory.pageShift + 20) {
            guard pteSlot(hi << 20, create: true) != nil else { throw .ENOMEM }
            hi += 1
        }
    }

    public func map(_ address: UInt64, length: UInt64, protection: Protection, shared: Bool, backing: MapBacking) throws(LinuxErrno) {
        guard length > 0 else { return }
        try unmap(address, length: length)
        try reserveTables(address, address + length)
        let host: UnsafeMutableRawPointer
        var validBytes = length
        var file: (MappedFile, UInt64)? = nil
        // A private copy of a file is resident from the start: charged now (ENOMEM past the limit).
        var filled: UInt64 = 0
        switch backing {
        case .anonymous:
            host = try HostMemory.anonymous(Int(length))
        case .file(let ref, let offset):
            let f = MappedFile(ref.source)
            let size = f.size
            validBytes = size > offset ? min(length, size - offset) : 0
            if shared {
                host = try HostMemory.file(ref.fd, offset: offset, length: Int(length), shared: true, writable: ref.writable)
            } else {
                filled = (validBytes + SoftMemory.pageMask) & ~SoftMemory.pageMask
                if let a = memoryAccount, !a.tryCharge(filled, .anonymous) { throw .ENOMEM }
                anonymousBytes += filled
                do {
                    host = try HostMemory.anonymous(Int(length))
                } catch {
                    unchargePages(filled >> SoftMemory.pageShift)
                    throw error
                }
                do {
                    try fill(host, from: f, offset: offset, count: Int(validBytes))
                } catch {
                    HostMemory.unmap(host, Int(length))
                    unchargePages(filled >> SoftMemory.pageShift)
                    throw error
                }
            }
            file = (f, offset)
        }
        let region = Region(host: host, length: Int(length), shared: shared)
        insert(Span(start: address, end: address + length, region: region, offset: 0, file: file))
        let perm = SoftMemory.bits(protection)
        let validEnd = address + ((validBytes + SoftMemory.pageMask) & ~SoftMemory.pageMask)
        let state = shared ? SoftMemory.pageShared : filled > 0 ? SoftMemory.pageCharged : 0
        setPages(address, address + length, create: true) { page, e in
            let at = page << SoftMemory.pageShift
            e = at < validEnd ? UInt(bitPattern: host + Int(at - address)) | perm | state
                              : SoftMemory.permBeyondEOF | perm | (shared ? SoftMemory.pageShared : 0)
        }
    }

    /// Re-derives which pages of a shared file mapping lie within the file: those past its end
    /// fault with SIGBUS instead of touching host pages past the end of the host file.
    private func revalidate(_ s: Span) {
        guard s.region.shared, let (f, offset) = s.file else { return }
        let size = f.size
        let validBytes = size > offset ? size - offset : 0
        let validEnd = s.start &+ ((validBytes + SoftMemory.pageMask) & ~SoftMemory.pageMask)
        setPages(s.start, s.end) { page, e in
            guard e != 0 else { return }
            let at = page << SoftMemory.pageShift
            let perm = e & (SoftMemory.permRead | SoftMemory.permWrite | SoftMemory.permExec) | SoftMemory.pageShared
            e = at < validEnd ? UInt(bitPattern: s.region.host + s.offset + Int(at - s.start)) | perm
                                                 : SoftMemory.permBeyondEOF | perm
        }
    }

    public func filesShrank() {
        for s in spans where s.region.shared {
            guard let (f, offset) = s.file else { continue }
            // Only a file now shorter than the span can have pages past its end; the rest (the
            // TT kernel region among them, on every O_TRUNC) need no walk over their pages.
            let size = f.size
            if size > offset && size - offset >= s.end - s.start { continue }
            revalidate(s)
        }
    }

    /// An access past a shared file's end: if the file has grown since, the page is valid now.
    private func fileGrew(_ page: UInt64) -> Bool {
        let at = page << SoftMemory.pageShift
        guard let s = spans.first(where: { $0.start <= at && at < $0.end }), s.region.shared, s.file != nil else { return false }
        revalidate(s)
        return pte(page) & SoftMemory.permBeyondEOF == 0
    }

    private func fill(_ host: UnsafeMutableRawPointer, from file: MappedFile, offset: UInt64, count: Int) throws(LinuxErrno) {
        var done = 0
        while done < count {
            let n = try file.source.readMapped(into: UnsafeMutableRawBufferPointer(start: host + done, count: count - done), at: offset + UInt64(done))
            if n == 0 { break }
            done += n
        }
    }

    public func unmap(_ address: UInt64, length: UInt64) throws(LinuxErrno) {
        let end = address + length
        var released: UInt64 = 0
        releaseFrames(address, end)
        setPages(address, end) { _, e in
            if e & SoftMemory.pageCharged != 0 { released += 1 }
            e = 0
        }
        unchargePages(released)
        var out: [Span] = []
        for s in spans {
            if s.end <= address || s.start >= end { out.append(s); continue }
            if !s.region.shared && (s.start < address || s.end > end) {
                // The rest of the region stays mapped: give the host the pages of the part that
                // goes (their charge was returned above), or a guest that unmaps all but a page
                // of each mapping would keep their memory in umlab uncharged.
                let from = max(s.start, address), to = min(s.end, end)
                try? HostMemory.discard(s.region.host + s.offset + Int(from - s.start), Int(to - from), .now)
            }
            if s.start < address { out.append(Span(start: s.start, end: address, region: s.region, offset: s.offset, file: s.file)) }
            if s.end > end {
                out.append(Span(start: end, end: s.end, region: s.region, offset: s.offset + Int(end - s.start),
                                file: s.file.map { ($0.file, $0.offset + (end - s.start)) }))
            }
        }
        spans = out  // regions no span refers to any more are freed by ARC
    }

    /// Frees every mapping (and returns its charge) when the last task leaves the space.
    public func release() {
        for s in spans { try? unmap(s.start, length: s.end - s.start) }
    }

    public func protect(_ address: UInt64, length: UInt64, protection: Protection) throws(LinuxErrno) {
        let perm = SoftMemory.bits(protection)
        setPages(address, address + length) { _, e in
            e = (e & ~UInt(SoftMemory.pageMask)) | perm | (e & SoftMemory.stateBits)
        }
    }

    /// MADV_DONTNEED / MADV_FREE, as Linux. Only private memory has pages of its own: those
    /// of an anonymous mapping go back to the host (zeros from now on, or for `.lazily`
    /// whenever the host wants them) and, dropped now, give back their charge (the next write
    /// charges again); those of a private file mapping are then refilled from the file's
    /// current data and stay charged. A shared mapping's pages are the file's (a tmpfs file,
    /// shared anonymous memory, a read-only host file, TT's kernel arena): its view already
    /// shows the file's current contents, so there is nothing to drop — and nothing is written
    /// into it, which may be a read-only host mapping.
    public func discard(_ address: UInt64, length: UInt64, _ how: HostMemory.Discard) throws(LinuxErrno) {
        let end = address + length  // the kernel checked the range (MemoryMap.advise)
        for s in spans where s.end > address && s.start < end && !s.region.shared {
            let from = max(s.start, address), to = min(s.end, end)
            // The pages change under the TLB and the code cache: setPages flushes the one and
            // drops decoded code from the other.
            var released: UInt64 = 0
            let uncharge = how == .now && s.file == nil
            // A page shared copy-on-write is not this space's to give back lazily; dropped now,
            // the space lets go of its share and reads its own page from here on (zeros, or
            // the file's data, charged like every private file page).
            var refilled: UInt64 = 0
            if how == .now { releaseFrames(from, to) }
            setPages(from, to) { page, e in
                e &= ~SoftMemory.permCode
                if how == .now && e & SoftMemory.pageCoW != 0 {
                    let own = s.region.host + s.offset + Int((page << SoftMemory.pageShift) - s.start)
                    e = UInt(bitPattern: own) | (e & SoftMemory.entryBits & ~SoftMemory.pageCoW)
                    if s.file != nil { e |= SoftMemory.pageCharged; refilled += 1 }
                }
                if uncharge && e & SoftMemory.pageCharged != 0 { released += 1; e &= ~SoftMemory.pageCharged }
            }
            if refilled > 0 {
                memoryAccount?.account(refilled * SoftMemory.pageSize, .anonymous)
                anonymousBytes += refilled * SoftMemory.pageSize
            }
            unchargePages(released)
            let host = s.region.host + s.offset + Int(from - s.start)
            let count = Int(to - from)
            try HostMemory.discard(host, count, how)
            if how == .now, let f = s.file {
                // A private file page reads back as the file's data (none past its end).
                try fill(host, from: f.file, offset: f.offset + (from - s.start), count: count)
            }
        }
    }

    /// The host address behind a guest byte whatever its protection (the kernel filling a
    /// read-only page it owns, such as a signal trampoline).
    public func hostPointerIgnoringProtection(_ address: UInt64) -> UnsafeMutableRawPointer? {
        writePointerIgnoringProtection(address)
    }

    public func writePointerIgnoringProtection(_ address: UInt64) -> UnsafeMutableRawPointer? {
        let page = address >> SoftMemory.pageShift
        var e = pte(page)
        guard e != 0, e & SoftMemory.permBeyondEOF == 0 else { return nil }
        if e & SoftMemory.pageCoW != 0 {
            guard breakCoW(page, kernel: true) else { return nil }
            e = pte(page)
            tlb.invalidate(page: page)
        }
        if e & (SoftMemory.pageCharged | SoftMemory.pageShared) == 0 {
            // The kernel writes a page it owns (a signal trampoline): charged, never refused.
            memoryAccount?.account(SoftMemory.pageSize, .anonymous)
            anonymousBytes += SoftMemory.pageSize
            pteSlot(page, create: false)!.pointee |= SoftMemory.pageCharged
        }
        return UnsafeMutableRawPointer(bitPattern: e & ~UInt(SoftMemory.pageMask))! + Int(address & SoftMemory.pageMask)
    }

    public func read(_ address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) {
        var done = 0
        while done < buffer.count {
            let a = address &+ UInt64(done)
            let n = min(buffer.count - done, Int(SoftMemory.pageSize - (a & SoftMemory.pageMask)))
            guard let p = readPointer(a) else { throw .EFAULT }
            (buffer.baseAddress! + done).copyMemory(from: p, byteCount: n)
            done += n
        }
    }

    public func write(_ address: UInt64, from buffer: UnsafeRawBufferPointer) throws(LinuxErrno) {
        var done = 0
        while done < buffer.count {
            let a = address &+ UInt64(done)
            let n = min(buffer.count - done, Int(SoftMemory.pageSize - (a & SoftMemory.pageMask)))
            guard let p = writePointer(a) else { throw .EFAULT }
            p.copyMemory(from: buffer.baseAddress! + done, byteCount: n)
            done += n
        }
    }

    private func insert(_ s: Span) {
        let i = spans.firstIndex { $0.start >= s.end } ?? spans.count
        spans.insert(s, at: i)
    }

    /// A copy for fork. Shared memory stays shared. Private memory is shared copy-on-write:
    /// every page that holds data (a charged page) becomes a frame of the family's `CoWFrames`,
    /// mapped read-only-to-the-TLB in both spaces until one of them writes it (`breakCoW`);
    /// its charge moves from the parent to the frames, so it is counted once however many
    /// spaces share it. Both spaces get fresh (host-lazy) regions for their own pages, which is
    /// where a written frame's copy and the never-written pages live: a private span's own
    /// pages are then always at `region.host + offset`, frames never are.
    public func fork() throws(LinuxErrno) -> SoftMemory {
        let child = try SoftMemory.make()
        child.invalidateCode = nil
        child.memoryAccount = memoryAccount
        let table = cow ?? CoWFrames(account: memoryAccount)
        cow = table
        child.cow = table
        // The fresh regions first, so that running out of host address space changes nothing.
        var fresh: [(parent: Region, child: Region)?] = []
        for s in spans {
            if s.region.shared { fresh.append(nil); continue }
            let length = Int(s.end - s.start)
            let p = Region(host: try HostMemory.anonymous(length), length: length, shared: false)
            let c = Region(host: try HostMemory.anonymous(length), length: length, shared: false)
            fresh.append((p, c))
        }
        for s in spans {
            var hi = s.start >> (SoftMemory.pageShift + 20)
            while hi <= (s.end - 1) >> (SoftMemory.pageShift + 20) {
                guard child.pteSlot(hi << 20, create: true) != nil else { throw .ENOMEM }
                hi += 1
            }
        }
        var moved: UInt64 = 0
        for k in spans.indices {
            let s = spans[k]
            let childRegion = fresh[k]?.child ?? s.region
            child.spans.append(Span(start: s.start, end: s.end, region: childRegion, offset: fresh[k] == nil ? s.offset : 0, file: s.file))
            let first = s.start >> SoftMemory.pageShift
            // The child's tables exist (made above): one lookup per table.
            var childTable: (hi: UInt64, base: UnsafeMutablePointer<PTE>)? = nil
            walkSlots(first, s.end >> SoftMemory.pageShift, create: false) { page, slot in
                if page == first || page & 511 == 0 { child.noteTableBlock(page) }
                let e = slot.pointee
                guard e != 0 else { return }
                if childTable?.hi != page >> 20 {
                    childTable = child.pteSlot(page & ~0xfffff, create: true).map { (page >> 20, $0) }
                }
                guard let childBase = childTable?.base else { return }
                let childSlot = childBase + Int(page & 0xfffff)
                // The child's decoded code starts empty: no code marks.
                let bits = e & SoftMemory.entryBits & ~SoftMemory.permCode
                guard let own = fresh[k], e & SoftMemory.permBeyondEOF == 0 else {
                    childSlot.pointee = e & ~SoftMemory.permCode
                    return
                }
                let frame = e & ~UInt(SoftMemory.pageMask)
                if e & SoftMemory.pageCoW != 0 {
                    table.share(frame)
                    childSlot.pointee = e & ~SoftMemory.permCode
                } else if e & SoftMemory.pageCharged != 0 {
                    table.add(frame, in: s.region)
                    moved += 1
                    slot.pointee = (e & ~SoftMemory.pageCharged) | SoftMemory.pageCoW
                    childSlot.pointee = frame | (bits & ~SoftMemory.pageCharged) | SoftMemory.pageCoW
                } else {
                    // Never written: zeros, now from each space's own region.
                    let at = Int((page << SoftMemory.pageShift) - s.start)
                    slot.pointee = UInt(bitPattern: own.parent.host + at) | (e & SoftMemory.entryBits)
                    childSlot.pointee = UInt(bitPattern: own.child.host + at) | bits
                }
            }
            if let own = fresh[k] {
                spans[k].region = own.parent
                spans[k].offset = 0
            }
        }
        // The moved pages' charge is the frames' now (the same account: nothing changes in it).
        let bytes = moved * SoftMemory.pageSize
        anonymousBytes -= bytes
        table.adopt(bytes, from: memoryAccount)
        tlb.flush()  // the parent's write entries of what are frames now
        return child
    }

    // MARK: Copy-on-write

    /// The own page of a private mapping's guest page (where its copy of a frame goes).
    private func ownPage(_ page: UInt64) -> UnsafeMutableRawPointer? {
        let at = page << SoftMemory.pageShift
        var lo = 0, hi = spans.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if spans[mid].end <= at { lo = mid + 1 } else { hi = mid }
        }
        guard lo < spans.count, spans[lo].start <= at, !spans[lo].region.shared else { return nil }
        return spans[lo].region.host + spans[lo].offset + Int(at - spans[lo].start)
    }

    /// The first write to a copy-on-write page: the frame is copied into the space's own page,
    /// which is charged to this space (refused past the limit unless the kernel writes: then
    /// the OOM policy runs); the last sharer takes over the frame's charge instead.
    @usableFromInline
    func breakCoW(_ page: UInt64, kernel: Bool) -> Bool {
        guard let slot = pteSlot(page, create: false), let table = cow, let own = ownPage(page) else { return false }
        let e = slot.pointee
        let frame = e & ~UInt(SoftMemory.pageMask)
        if table.isLastSharer(frame) {
            table.transferCharge(to: memoryAccount)
        } else if kernel {
            memoryAccount?.account(SoftMemory.pageSize, .anonymous)
        } else if let a = memoryAccount, !a.chargeFault(SoftMemory.pageSize, .anonymous) {
            return false
        }
        anonymousBytes += SoftMemory.pageSize
        own.copyMemory(from: UnsafeRawPointer(bitPattern: frame)!, byteCount: Int(SoftMemory.pageSize))
        table.drop(frame, chargedElsewhere: true)
        slot.pointee = UInt(bitPattern: own) | (e & SoftMemory.entryBits & ~SoftMemory.pageCoW) | SoftMemory.pageCharged
        counters.cowCopies += 1
        return true
    }

    /// Lets go of this space's shares of the frames mapped in [start, end) (the entries are
    /// the caller's to change).
    private func releaseFrames(_ start: UInt64, _ end: UInt64) {
        guard let table = cow else { return }
        walkSlots(start >> SoftMemory.pageShift, end >> SoftMemory.pageShift, create: false) { _, slot in
            let e = slot.pointee
            if e & SoftMemory.pageCoW != 0 { table.drop(e & ~UInt(SoftMemory.pageMask), chargedElsewhere: false) }
        }
    }
}

/// The private pages a fork family shares copy-on-write ("frames"), by host address, with how
/// many spaces map each. A frame lives in the region it was written in before the fork (kept
/// alive here; released when its last frame goes). The frames' memory is charged here, once,
/// to the account of the space that forked.
final class CoWFrames {
    struct Frame {
        var sharers: Int
        let region: SoftMemory.Region
    }
    private var frames: [UInt: Frame] = [:]
    let account: MemoryController?
    /// Bytes charged to `account` for the frames.
    private(set) var bytes: UInt64 = 0

    init(account: MemoryController?) { self.account = account }
    deinit { account?.uncharge(bytes, .anonymous) }

    var count: Int { frames.count }

    /// A page the forking space has charged becomes a frame it and its child share.
    func add(_ frame: UInt, in region: SoftMemory.Region) { frames[frame] = Frame(sharers: 2, region: region) }
    /// One more space (a child) maps `frame`.
    func share(_ frame: UInt) { frames[frame]?.sharers += 1 }
    /// Takes over `bytes` the forking space had charged to `from` for the pages it made frames.
    func adopt(_ n: UInt64, from: MemoryController?) {
        if from !== account {
            from?.uncharge(n, .anonymous)
            account?.account(n, .anonymous)
        }
        bytes += n
    }
    func isLastSharer(_ frame: UInt) -> Bool { (frames[frame]?.sharers ?? 1) <= 1 }
    /// The last sharer copies the frame: its page's charge goes to `to` (the same account, in
    /// every machine umlab makes today: then nothing changes in it).
    func transferCharge(to: MemoryController?) {
        let n = min(SoftMemory.pageSize, bytes)
        bytes -= n
        if to !== account {
            account?.uncharge(n, .anonymous)
            to?.account(n, .anonymous)
        }
    }
    /// One space stops mapping `frame`. When it was the last, the frame's host page goes back
    /// to the host and its charge is returned (unless `chargedElsewhere`: the last sharer took
    /// it over with `transferCharge`).
    func drop(_ frame: UInt, chargedElsewhere: Bool) {
        guard var f = frames[frame] else { return }
        f.sharers -= 1
        if f.sharers > 0 { frames[frame] = f; return }
        frames[frame] = nil
        if !chargedElsewhere {
            let n = min(SoftMemory.pageSize, bytes)
            bytes -= n
            account?.uncharge(n, .anonymous)
        }
        try? HostMemory.discard(UnsafeMutableRawPointer(bitPattern: frame)!, Int(SoftMemory.pageSize), .now)
    }
}

/// A direct-mapped software TLB: guest page → host page, separately for reads and writes.
public final class SoftTLB {
    public static let entries = 512
    /// Host bytes of one TLB (four arrays of `entries` words).
    public static let bytes = 4 * entries * 8
    @usableFromInline let readTags: UnsafeMutablePointer<UInt64>
    @usableFromInline let readBases: UnsafeMutablePointer<UInt>
    @usableFromInline let writeTags: UnsafeMutablePointer<UInt64>
    @usableFromInline let writeBases: UnsafeMutablePointer<UInt>

    init() {
        readTags = .allocate(capacity: SoftTLB.entries); readBases = .allocate(capacity: SoftTLB.entries)
        writeTags = .allocate(capacity: SoftTLB.entries); writeBases = .allocate(capacity: SoftTLB.entries)
        flush()
    }
    func free() { readTags.deallocate(); readBases.deallocate(); writeTags.deallocate(); writeBases.deallocate() }

    /// Tags hold page+1 so that 0 never matches.
    @inlinable @inline(__always)
    func lookup(_ address: UInt64, write: Bool) -> UnsafeMutableRawPointer? {
        let page = address >> SoftMemory.pageShift
        let i = Int(page & UInt64(SoftTLB.entries - 1))
        let tags = write ? writeTags : readTags
        guard tags[i] == page &+ 1 else { return nil }
        return UnsafeMutableRawPointer(bitPattern: (write ? writeBases : readBases)[i] | UInt(address & SoftMemory.pageMask))
    }

    /// The four arrays by value (they live as long as the TLB, its memory's).
    @frozen public struct Arrays {
        public let readTags: UnsafeMutablePointer<UInt64>
        public let readBases: UnsafeMutablePointer<UInt>
        public let writeTags: UnsafeMutablePointer<UInt64>
        public let writeBases: UnsafeMutablePointer<UInt>

        @inlinable
        public init(readTags: UnsafeMutablePointer<UInt64>, readBases: UnsafeMutablePointer<UInt>,
                    writeTags: UnsafeMutablePointer<UInt64>, writeBases: UnsafeMutablePointer<UInt>) {
            self.readTags = readTags; self.readBases = readBases; self.writeTags = writeTags; self.writeBases = writeBases
        }

        /// The host address of `address` for reading, or nil on a TLB miss.
        @inlinable @inline(__always)
        public func read(_ address: UInt64) -> UnsafeMutableRawPointer? {
            let page = address >> SoftMemory.pageShift
            let i = Int(page & UInt64(SoftTLB.entries - 1))
            guard readTags[i] == page &+ 1 else { return nil }
            return UnsafeMutableRawPointer(bitPattern: readBases[i] | UInt(address & SoftMemory.pageMask))
        }
        /// The host address of `address` for writing, or nil on a TLB miss.
        @inlinable @inline(__always)
        public func write(_ address: UInt64) -> UnsafeMutableRawPointer? {
            let page = address >> SoftMemory.pageShift
            let i = Int(page & UInt64(SoftTLB.entries - 1))
            guard writeTags[i] == page &+ 1 else { return nil }
            return UnsafeMutableRawPointer(bitPattern: writeBases[i] | UInt(address & SoftMemory.pageMask))
        }
    }

    func fill(page: UInt64, base: UnsafeMutableRawPointer, write: Bool, read: Bool) {
        let i = Int(page & UInt64(SoftTLB.entries - 1))
        if write { writeTags[i] = page &+ 1; writeBases[i] = UInt(bitPattern: base) }
        if read { readTags[i] = page &+ 1; readBases[i] = UInt(bitPattern: base) }
    }

    func invalidate(page: UInt64) {
        let i = Int(page & UInt64(SoftTLB.entries - 1))
        if readTags[i] == page &+ 1 { readTags[i] = 0 }
        if writeTags[i] == page &+ 1 { writeTags[i] = 0 }
    }

    func flush() {
        readTags.initialize(repeating: 0, count: SoftTLB.entries)
        writeTags.initialize(repeating: 0, count: SoftTLB.entries)
    }
}
