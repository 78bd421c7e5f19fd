import GuestKernel
import LinuxABI

// The debugger's view of a software address space: writes that ignore protection (gdb's
// breakpoints into program text), hardware breakpoints made at decode time, and watchpoints
// through the slow path. None of it costs anything while no debug point is set: breakpoints
// live in decoded code, and only pages holding a watched range are kept out of the TLB.

extension SoftMemory {
    /// gdb's M/X packets and a tracer's POKETEXT: writes read-only pages too. Private file
    /// mappings are private copies here already (the file never changes); a shared mapping is
    /// written only where the guest may write it (its host view may be read-only). Decoded
    /// code of the pages written is dropped. EFAULT for an unmapped byte or a page beyond a
    /// file's end.
    public func debuggerWrite(_ address: UInt64, from buffer: UnsafeRawBufferPointer) throws(LinuxErrno) {
        guard GuestMath.end(address, UInt64(buffer.count)) != nil else { throw .EFAULT }
        // Every page is checked first, so a failing write changes nothing.
        var a = address
        while a < address + UInt64(buffer.count) {
            let e = pte(a >> SoftMemory.pageShift)
            guard e != 0, e & SoftMemory.permBeyondEOF == 0 else { throw .EFAULT }
            if e & SoftMemory.pageShared != 0 && e & SoftMemory.permWrite == 0 { throw .EFAULT }
            a = (a | SoftMemory.pageMask) &+ 1
        }
        var done = 0
        while done < buffer.count {
            let at = address + UInt64(done)
            let n = min(buffer.count - done, Int(SoftMemory.pageSize - (at & SoftMemory.pageMask)))
            guard let p = writePointerIgnoringProtection(at) else { throw .EFAULT }
            p.copyMemory(from: buffer.baseAddress! + done, byteCount: n)
            if pte(at >> SoftMemory.pageShift) & SoftMemory.permCode != 0 { invalidateCode?(at >> SoftMemory.pageShift) }
            done += n
        }
    }

    /// Some watchpoint is set: the engine runs one instruction at a time.
    @inlinable public var watching: Bool { !watchedPages.isEmpty }

    /// Replaces the space's debug points (every thread of a process shares them). Pages with a
    /// breakpoint added or removed are decoded again; watched pages leave the TLB. EINVAL for
    /// an empty or wrapping watched range.
    public func setDebugPoints(_ points: [DebugPoint]) throws(LinuxErrno) {
        var pages = Set<UInt64>()
        for p in points {
            guard case .watch = p.kind else { continue }
            guard p.length > 0, p.length <= 1 << 20, let end = GuestMath.end(p.address, p.length) else { throw .EINVAL }
            var page = p.address >> SoftMemory.pageShift
            while page <= (end - 1) >> SoftMemory.pageShift { pages.insert(page); page += 1 }
        }
        let old = Set(breakpointAddresses.map { $0 >> SoftMemory.pageShift })
        breakpointAddresses = points.compactMap { $0.kind == .execute ? $0.address : nil }
        for page in old.union(breakpointAddresses.map { $0 >> SoftMemory.pageShift }) { invalidateCode?(page) }
        debugPoints = points
        watchedPages = pages
        watchHit = nil
        activate()  // a TLB flush: watched pages must miss from now on
    }

    /// The slow path met an access of `size` bytes at `address` on `page`: true if the page is
    /// watched (it then stays out of the TLB), noting a hit when the access overlaps a watched
    /// range of a matching kind, as debug hardware does: a store that begins before the range
    /// and reaches into it hits too.
    func noteWatchedAccess(_ page: UInt64, _ address: UInt64, size: Int, write: Bool) -> Bool {
        guard watchedPages.contains(page) else { return false }
        // Within one page (accessors split what crosses one), so the end cannot wrap.
        let end = address &+ UInt64(max(size, 1))
        for p in debugPoints {
            guard case .watch(let kind) = p.kind, address < p.address &+ p.length, end > p.address else { continue }
            if kind == .access || (kind == .write) == write {
                watchHit = (kind, p.address)
                break
            }
        }
        return true
    }
}
