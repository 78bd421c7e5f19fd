import HostOS
import LinuxABI

/// One virtual memory area, as /proc/<pid>/maps shows it.
public struct VMA {
    public var start: UInt64
    public var end: UInt64
    public var protection: Protection
    public var shared: Bool
    /// The file mapped (nil for anonymous memory) and the file offset of `start`.
    public var file: OpenFile?
    public var offset: UInt64
    /// "[heap]", "[stack]", or the file's path.
    public var name: String
    /// A shared anonymous mapping keeps its memory file here so fork and mremap see the same pages.
    var sharedMemory: SharedMemoryObject?

    func slice(from s: UInt64, to e: UInt64) -> VMA {
        var v = self
        v.start = s; v.end = e
        if file != nil || sharedMemory != nil { v.offset = offset + (s - start) }
        return v
    }
}

/// A guest address space as the kernel keeps it: the VMA list (the truth for /proc/self/maps,
/// brk and fault classification) and the backend's address space that carries it out.
public final class MemoryMap {
    public let space: any AddressSpace
    public private(set) var vmas: [VMA] = []
    public let pageSize: UInt64
    let userRange: Range<UInt64>
    /// The highest address the guest's word holds (GuestABI.wordMask): lengths that round past
    /// it wrap on a 32-bit guest, as lengths past 2^64 do on a 64-bit one.
    let wordMask: UInt64
    /// Top of the area mmap hands out addresses from, downwards.
    var mmapBase: UInt64
    public var brkStart: UInt64 = 0
    public var brk: UInt64 = 0
    /// The stack's VMA start and the top of the initial stack.
    public var stackTop: UInt64 = 0
    /// Tasks using this map (threads and vfork children); the last one out releases the files.
    var users = 1
    var argStart: UInt64 = 0, argEnd: UInt64 = 0, envStart: UInt64 = 0, envEnd: UInt64 = 0

    /// The machine's memory account; the space charges it (attached here when not yet).
    public let memory: MemoryController?
    /// The machine's descriptor budget, which shared anonymous memory files count against.
    let descriptors: HostDescriptors

    public init(space: any AddressSpace, userRange: Range<UInt64>, pageSize: UInt64, wordMask: UInt64 = .max,
                memory: MemoryController? = nil, descriptors: HostDescriptors = HostDescriptors(budget: 1024)) {
        self.space = space; self.userRange = userRange; self.pageSize = pageSize; self.wordMask = wordMask
        self.memory = memory; self.descriptors = descriptors
        mmapBase = userRange.upperBound
        if let memory, space.memoryAccount == nil { space.memoryAccount = memory }
    }

    /// A copy for a forked child whose backend address space is `space`.
    func fork(into space: any AddressSpace) -> MemoryMap {
        let m = MemoryMap(space: space, userRange: userRange, pageSize: pageSize, wordMask: wordMask, memory: memory, descriptors: descriptors)
        m.vmas = vmas; m.mmapBase = mmapBase; m.brkStart = brkStart; m.brk = brk; m.stackTop = stackTop
        m.argStart = argStart; m.argEnd = argEnd; m.envStart = envStart; m.envEnd = envEnd
        return m
    }

    /// Whether `v` is a multiple of the page size.
    @inline(__always) func isPageAligned(_ v: UInt64) -> Bool { v & (pageSize - 1) == 0 }
    /// `v` rounded up to a page, or nil where that wraps on the guest (Linux's PAGE_ALIGN then
    /// gives 0).
    @inline(__always) func pageRoundUp(_ v: UInt64) -> UInt64? { GuestMath.roundUp(v, to: pageSize, top: wordMask) }
    /// The pages covering [start, start + length), or nil where the end wraps on the guest.
    @inline(__always) func pageSpan(_ start: UInt64, _ length: UInt64) -> Range<UInt64>? {
        GuestMath.pageSpan(start, length, pageSize: pageSize, top: wordMask)
    }

    public func vma(containing address: UInt64) -> VMA? {
        var lo = 0, hi = vmas.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if vmas[mid].end <= address { lo = mid + 1 } else { hi = mid }
        }
        return lo < vmas.count && vmas[lo].start <= address ? vmas[lo] : nil
    }

    /// Finds `length` free bytes, below `mmapBase`, top-down (the x86-64 and PowerPC default).
    func findFree(_ length: UInt64, below top: UInt64? = nil) -> UInt64? {
        var ceiling = top ?? mmapBase
        for v in vmas.reversed() {
            if v.start >= ceiling { continue }
            if v.end <= ceiling, ceiling - v.end >= length { return ceiling - length }
            ceiling = min(ceiling, v.start)
        }
        if ceiling >= userRange.lowerBound + length { return ceiling - length }
        return nil
    }

    /// Whether every page of [start, end) belongs to some mapping.
    func isFullyMapped(_ start: UInt64, _ end: UInt64) -> Bool {
        var cursor = start
        for v in vmas where v.end > cursor && v.start < end {
            if v.start > cursor { return false }
            cursor = v.end
            if cursor >= end { return true }
        }
        return cursor >= end
    }

    func isFree(_ start: UInt64, _ length: UInt64) -> Bool {
        let end = GuestMath.end(start, length) ?? .max
        return !vmas.contains { $0.start < end && start < $0.end }
    }

    /// Records `vma` in the list, replacing what overlapped it, and merges it with neighbours
    /// that continue it (as Linux does, so /proc/self/maps and mremap see one area).
    /// Does not touch the backend.
    func insert(_ vma: VMA) {
        remove(vma.start, vma.end)
        var i = vmas.firstIndex { $0.start >= vma.end } ?? vmas.count
        vmas.insert(vma, at: i)
        if i + 1 < vmas.count, MemoryMap.continues(vmas[i], vmas[i + 1]) {
            vmas[i].end = vmas[i + 1].end
            if let f = vmas[i + 1].file { FileTable.drop(f) }
            vmas.remove(at: i + 1)
        }
        if i > 0, MemoryMap.continues(vmas[i - 1], vmas[i]) {
            vmas[i - 1].end = vmas[i].end
            if let f = vmas[i].file { FileTable.drop(f) }
            vmas.remove(at: i)
            i -= 1
        }
    }

    /// Whether `b` starts where `a` ends and is the same kind of memory.
    static func continues(_ a: VMA, _ b: VMA) -> Bool {
        guard a.end == b.start, a.protection == b.protection, a.shared == b.shared, a.name == b.name,
              a.sharedMemory == nil, b.sharedMemory == nil else { return false }
        switch (a.file, b.file) {
        case (nil, nil): return true
        case (let x?, let y?): return x === y && a.offset + (a.end - a.start) == b.offset
        default: return false
        }
    }

    /// EFAULT unless every byte of [address, address+length) is mapped with `access`.
    /// Checked before a call consumes input (a pipe read), so a bad buffer loses nothing.
    public func checkAccess(_ address: UInt64, _ length: Int, _ access: Protection) throws(LinuxErrno) {
        if length <= 0 { return }
        let (end, overflow) = address.addingReportingOverflow(UInt64(length))
        if overflow { throw .EFAULT }
        var cursor = address
        while cursor < end {
            guard let v = vma(containing: cursor), v.protection.isSuperset(of: access) else { throw .EFAULT }
            cursor = v.end
        }
    }

    /// Whether [address, end) is covered by mappings without a hole.
    func isMapped(_ address: UInt64, _ end: UInt64) -> Bool {
        var cursor = address
        while cursor < end {
            guard let v = vma(containing: cursor) else { return false }
            cursor = v.end
        }
        return true
    }

    /// Drops [start, end) from the list, splitting areas that straddle it.
    func remove(_ start: UInt64, _ end: UInt64) {
        var out: [VMA] = []
        out.reserveCapacity(vmas.count + 1)
        for v in vmas {
            if v.end <= start || v.start >= end { out.append(v); continue }
            if v.start < start { out.append(v.slice(from: v.start, to: start)) }
            if v.end > end { out.append(v.slice(from: end, to: v.end)) }
        }
        vmas = out
    }

    /// mmap(2) after the arguments have been checked: chooses the address, maps it in the
    /// backend and records it.
    /// `sharedMemory`: the memory a shared anonymous mapping maps (a System V segment's);
    /// a new object when nil.
    public func map(address hint: UInt64, length: UInt64, protection: Protection, fixed: Bool, noReplace: Bool = false,
                    shared: Bool, file: OpenFile?, offset: UInt64, name: String? = nil,
                    sharedMemory existing: SharedMemoryObject? = nil) throws(LinuxErrno) -> UInt64 {
        // Linux's do_mmap: a zero length is EINVAL; one that rounds past 2^64 or does not fit in
        // the user address space is ENOMEM.
        guard length > 0 else { throw .EINVAL }
        guard let len = pageRoundUp(length), len <= userRange.upperBound - userRange.lowerBound else { throw .ENOMEM }
        var addr: UInt64
        let hinted = GuestMath.roundDown(hint, to: pageSize)
        if fixed {
            addr = hint
            guard isPageAligned(addr) else { throw .EINVAL }
            guard addr >= userRange.lowerBound, addr <= userRange.upperBound, len <= userRange.upperBound - addr else { throw .ENOMEM }
            if noReplace && !isFree(addr, len) { throw .EEXIST }
        } else if hint != 0, hinted >= userRange.lowerBound, hinted <= userRange.upperBound, len <= userRange.upperBound - hinted,
                  isFree(hinted, len) {
            addr = hinted
        } else {
            guard let a = findFree(len) else { throw .ENOMEM }
            addr = a
        }
        var backing = MapBacking.anonymous
        var sharedMemory: SharedMemoryObject?
        if let file {
            backing = .file(try file.mappable(writable: shared && protection.contains(.write)), offset: offset)
        } else if shared {
            let mem: SharedMemoryObject
            if let existing { mem = existing } else { mem = try SharedMemoryObject(length: len, account: memory, descriptors: descriptors) }
            sharedMemory = mem
            backing = .file(mem.ref, offset: 0)
        }
        try space.map(addr, length: len, protection: protection, shared: shared, backing: backing)
        if let file { file.references += 1 }
        insert(VMA(start: addr, end: addr + len, protection: protection, shared: shared, file: file,
                   offset: file != nil ? offset : 0, name: name ?? file?.path ?? "", sharedMemory: sharedMemory))
        return addr
    }

    public func unmap(_ address: UInt64, length: UInt64) throws(LinuxErrno) {
        // Linux's munmap: EINVAL for a misaligned start, a zero length, or a range that passes
        // the top of user space (the x86-64 stub and TT's kernel region are not the guest's).
        guard isPageAligned(address), length > 0, let span = pageSpan(address, length),
              span.upperBound <= userRange.upperBound else { throw .EINVAL }
        let end = span.upperBound
        try space.unmap(address, length: end - address)
        remove(address, end)
    }

    public func protect(_ address: UInt64, length: UInt64, protection: Protection) throws(LinuxErrno) {
        guard isPageAligned(address) else { throw .EINVAL }
        if length == 0 { return }
        // Linux's mprotect: a range that wraps or leaves user space has unmapped pages (ENOMEM).
        guard let span = pageSpan(address, length), span.upperBound <= userRange.upperBound else { throw .ENOMEM }
        let end = span.upperBound
        // Every page in the range must be mapped.
        var cursor = address
        for v in vmas where v.end > address && v.start < end {
            if v.start > cursor { throw .ENOMEM }
            if protection.contains(.write) && v.shared, let f = v.file, !f.flags.canWrite { throw .EACCES }
            cursor = v.end
        }
        if cursor < end { throw .ENOMEM }
        try space.protect(address, length: end - address, protection: protection)
        var changed: [VMA] = []
        for v in vmas where v.end > address && v.start < end {
            var part = v.slice(from: max(v.start, address), to: min(v.end, end))
            part.protection = protection
            changed.append(part)
        }
        for part in changed { insert(part) }
    }

    /// Applies madvise's `advice` to [start, end) (page aligned, checked by the caller), mapping
    /// by mapping as Linux's madvise_walk_vmas: a mapping that refuses the advice ends the walk
    /// with its errno, and a range with unmapped pages gives ENOMEM after the mapped ones got it.
    /// Only the guest's mappings are reached: a range over anything else (the x86-64 stub
    /// above user space) is unmapped to the guest.
    func advise(_ start: UInt64, _ end: UInt64, _ advice: MemoryAdvice) throws(LinuxErrno) {
        var cursor = start
        var hole = false
        for v in vmas where v.end > start && v.start < end {
            if v.start > cursor { hole = true }
            let from = max(v.start, start), to = min(v.end, end)
            switch advice {
            case .dontNeed:
                try space.discard(from, length: to - from, .now)
            case .free:
                // Linux: anonymous private memory only (vma_is_anonymous).
                guard !v.shared, v.file == nil, v.sharedMemory == nil else { throw .EINVAL }
                try space.discard(from, length: to - from, .lazily)
            case .remove:
                // Linux's madvise_remove: a mapping of a file (shared anonymous memory is a
                // shmem file), shared and writable through its descriptor; the file's blocks
                // are freed, so every mapping of it reads zeros there.
                let offset = v.offset + (from - v.start)
                if let memory = v.sharedMemory {
                    try HostFD(memory.fd).punchHole(offset: Int64(offset), length: Int64(to - from))
                } else if let file = v.file {
                    guard v.shared, file.flags.canWrite else { throw .EACCES }
                    try file.punchHole(offset: offset, length: to - from)
                } else {
                    throw .EINVAL
                }
            case .hint:
                break
            }
            cursor = to
        }
        if cursor < end || hole { throw .ENOMEM }
    }

    /// Forgets every mapping (the last user exited, or execve gave it a fresh address space).
    func reset() {
        for v in vmas { if let f = v.file { FileTable.drop(f) } }
        vmas = []
        space.release()
        mmapBase = userRange.upperBound
    }

    // MARK: Guest memory access

    public func read(_ address: UInt64, count: Int) throws(LinuxErrno) -> [UInt8] {
        if count == 0 { return [] }
        guard count > 0, count < 1 << 30 else { throw .EFAULT }
        var buf = [UInt8](repeating: 0, count: count)
        try typedErrno { try buf.withUnsafeMutableBytes { p in try space.read(address, into: p) } }
        return buf
    }

    public func write(_ address: UInt64, _ bytes: [UInt8]) throws(LinuxErrno) {
        if bytes.isEmpty { return }
        try typedErrno { try bytes.withUnsafeBytes { p in try space.write(address, from: p) } }
    }

    /// Writes as a debugger does (`AddressSpace.debuggerWrite`: read-only text too).
    public func debuggerWrite(_ address: UInt64, _ bytes: [UInt8]) throws(LinuxErrno) {
        if bytes.isEmpty { return }
        try typedErrno { try bytes.withUnsafeBytes { p in try space.debuggerWrite(address, from: p) } }
    }

    /// Reads a NUL-terminated string of at most `limit` bytes (ENAMETOOLONG past it).
    ///
    /// Each read stops at the end of a page, so an unmapped next page is not touched; the
    /// first one also stops after 256 bytes, which hold most paths: one host call then copies
    /// the path rather than the rest of its page.
    public func readCString(_ address: UInt64, limit: Int = 4096) throws(LinuxErrno) -> [UInt8] {
        var out: [UInt8] = []
        var addr = address
        var most = 256
        while out.count < limit {
            let chunk = Int(min(UInt64(min(limit - out.count, most)), pageSize - (addr & (pageSize - 1))))
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: chunk))
            try typedErrno { try out.withUnsafeMutableBytes { p in
                try space.read(addr, into: UnsafeMutableRawBufferPointer(rebasing: p[start...]))
            } }
            if let z = out[start...].firstIndex(of: 0) {
                out.removeSubrange(z...)
                return out
            }
            guard let next = GuestMath.end(addr, UInt64(chunk)) else { throw .EFAULT }
            addr = next
            most = Int(pageSize)
        }
        throw .ENAMETOOLONG
    }
}

/// What madvise(2) is asked to do with a range.
enum MemoryAdvice {
    /// MADV_DONTNEED, MADV_DONTNEED_LOCKED: drop the pages (see `AddressSpace.discard`).
    case dontNeed
    /// MADV_FREE: the host may reclaim the private anonymous pages until they are written.
    case free
    /// MADV_REMOVE: free the backing file's blocks under a shared writable mapping.
    case remove
    /// Advice that changes nothing a program can observe here: access-pattern and page-cache
    /// hints (NORMAL, RANDOM, SEQUENTIAL, WILLNEED, COLD, PAGEOUT, POPULATE_*), KSM and huge
    /// page settings (COLLAPSE among them), core-dump marks, and the fork ones (DONTFORK, DOFORK, WIPEONFORK,
    /// KEEPONFORK, accepted but not honoured: a forked child gets these pages as usual).
    case hint

    /// The advice numbered `value` (asm-generic numbering, which x86-64, PowerPC and IA-64
    /// share), or nil where Linux says EINVAL: unknown numbers, and those that need a kernel
    /// feature umlab does not model (MADV_HWPOISON, MADV_SOFT_OFFLINE, MADV_GUARD_*), as a
    /// kernel built without it answers.
    init?(_ value: Int32) {
        switch value {
        case 4, 24: self = .dontNeed
        case 8: self = .free
        case 9: self = .remove
        case 0, 1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 25: self = .hint
        default: return nil
        }
    }
}

/// The memory file behind a MAP_SHARED|MAP_ANONYMOUS mapping, shared by the VMAs that map it
/// (fork, mremap, partial unmaps): closed, and its charge returned, when the last one goes.
/// Charged at its full size when made (ENOMEM past the limit), as shared memory is committed;
/// it counts against the machine's descriptor budget (ENFILE when that is spent).
public final class SharedMemoryObject {
    let file: HeldMemoryFile
    let length: UInt64
    let account: MemoryController?
    var fd: Int32 { file.host.raw }
    var ref: HostFileRef { HostFileRef(fd: file.host.raw, writable: true, source: file) }

    public init(length: UInt64, account: MemoryController?, descriptors: HostDescriptors) throws(LinuxErrno) {
        guard length <= UInt64(Int64.max) else { throw .ENOMEM }
        if let account, !account.tryCharge(length, .shmem) { throw .ENOMEM }
        do {
            file = try HeldMemoryFile(name: "umlab-shmem", length: Int64(length), descriptors: descriptors)
        } catch {
            account?.uncharge(length, .shmem)
            throw error
        }
        self.length = length; self.account = account
    }
    deinit { account?.uncharge(length, .shmem) }
}

extension Kernel {
    /// Tells every address space that a file may have got shorter (see `AddressSpace.filesShrank`).
    func filesShrank() {
        var seen = Set<ObjectIdentifier>()
        for t in tasks.values where seen.insert(ObjectIdentifier(t.mm.space)).inserted {
            t.mm.space.filesShrank()
        }
    }
}

extension MemoryMap {
    /// TT mode: the kernel arena, mapped read-write into this address space above user space
    /// (listed in /proc/<pid>/maps as "[umlab-kernel]").
    func mapKernelRegion(_ arena: KernelArena, at base: UInt64) throws(LinuxErrno) {
        let length = UInt64(KernelArena.size)
        try space.map(base, length: length, protection: .rw, shared: true, backing: .file(arena.mappable, offset: 0))
        insert(VMA(start: base, end: base + length, protection: .rw, shared: true, file: nil, offset: 0,
                   name: "[umlab-kernel]", sharedMemory: nil))
    }

    /// The backend's vDSO, already mapped in the fresh address space above user space: recorded
    /// as [vvar] and [vdso] (Linux's names), which the guest can read but not unmap or change.
    func recordVDSO(_ vdso: VDSOLayout) {
        insert(VMA(start: vdso.data.lowerBound, end: vdso.data.upperBound, protection: .read, shared: false, file: nil,
                   offset: 0, name: "[vvar]", sharedMemory: nil))
        insert(VMA(start: vdso.image.lowerBound, end: vdso.image.upperBound, protection: [.read, .execute], shared: false,
                   file: nil, offset: 0, name: "[vdso]", sharedMemory: nil))
    }
}
