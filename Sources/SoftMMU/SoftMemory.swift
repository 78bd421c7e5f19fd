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
    /// The bits that describe the page rather than the access it allows.
    static let stateBits: UInt = permBeyondEOF | pageCharged | pageShared

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
    func translateSlow(_ address: UInt64, perm: UInt) -> UnsafeMutableRawPointer? {
        counters.tlbMisses += 1
        let page = address >> SoftMemory.pageShift
        var e = pte(page)
        if e & SoftMemory.permBeyondEOF != 0 {
            guard fileGrew(page) else { return nil }
            e = pte(page)
        }
        guard e & perm == perm, e != 0 else { return nil }
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
        if watchedPages.isEmpty || !noteWatchedAccess(page, address, write: perm == SoftMemory.permWrite) {
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
        var page = start >> SoftMemory.pageShift
        let last = end >> SoftMemory.pageShift
        while page < last {
            guard let slot = pteSlot(page, create: create) else {
                page = (page | UInt64(SoftMemory.chunkPages - 1)) + 1  // no table for these 4 GiB: nothing mapped
                continue
            }
            var e = slot.pointee
            if e == 0 && !create { page += 1; continue }
            if create && (page == start >> SoftMemory.pageShift || page & 511 == 0) { noteTableBlock(page) }
            let hadCode = e & SoftMemory.permCode != 0
            body(page, &e)
            slot.pointee = e
            if hadCode { invalidateCode?(page) }
            page += 1
        }
        tlb.flush()
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
            setPages(from, to) { _, e in
                e &= ~SoftMemory.permCode
                if uncharge && e & SoftMemory.pageCharged != 0 { released += 1; e &= ~SoftMemory.pageCharged }
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
        let e = pte(page)
        guard e != 0, e & SoftMemory.permBeyondEOF == 0 else { return nil }
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

    /// A copy for fork: private memory is copied, shared memory is shared. Only charged pages
    /// hold data, so only they are copied (and charged again to the child, up front: ENOMEM
    /// past the limit); the rest of a private mapping stays unallocated in the child too.
    public func fork() throws(LinuxErrno) -> SoftMemory {
        let child = try SoftMemory.make()
        child.invalidateCode = nil
        if let a = memoryAccount, !a.tryCharge(anonymousBytes, .anonymous) { throw .ENOMEM }
        child.memoryAccount = memoryAccount
        child.anonymousBytes = anonymousBytes
        for s in spans {
            let length = Int(s.end - s.start)
            let region: Region
            var offset = s.offset
            if s.region.shared {
                region = s.region
            } else {
                let host = try HostMemory.anonymous(length)
                region = Region(host: host, length: length, shared: false)
                offset = 0
            }
            child.spans.append(Span(start: s.start, end: s.end, region: region, offset: offset, file: s.file))
            var page = s.start >> SoftMemory.pageShift
            while page < s.end >> SoftMemory.pageShift {
                let e = pte(page)
                let perm = e & (SoftMemory.permRead | SoftMemory.permWrite | SoftMemory.permExec | SoftMemory.stateBits)
                let at = Int((page << SoftMemory.pageShift) - s.start)
                let host = region.host + offset + at
                if !s.region.shared && e & SoftMemory.pageCharged != 0 {
                    host.copyMemory(from: s.region.host + s.offset + at, byteCount: Int(SoftMemory.pageSize))
                }
                if page == s.start >> SoftMemory.pageShift || page & 511 == 0 { child.noteTableBlock(page) }
                guard let slot = child.pteSlot(page, create: true) else { throw .ENOMEM }
                slot.pointee = e & SoftMemory.permBeyondEOF != 0 ? perm : UInt(bitPattern: host) | perm
                page += 1
            }
        }
        return child
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
