import LinuxABI

// brk, mmap, munmap, mprotect, mremap, madvise.

extension CoreSyscalls {
    static func brk(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let mm = c.mm
        let want = c.word(0)
        if want == 0 || want < mm.brkStart { return .value(mm.brk) }
        // A break that cannot be had (one whose page rounds past 2^64, as brk(-1), one that
        // runs into other mappings, or over the memory limit) leaves the break where it is.
        guard let newEnd = mm.pageRoundUp(want),
              let oldEnd = mm.pageRoundUp(mm.brk) else { return .value(mm.brk) }
        if newEnd > oldEnd {
            guard newEnd <= mm.mmapBase, mm.isFree(oldEnd, newEnd - oldEnd) else { return .value(mm.brk) }
            do {
                try c.kernel.checkMemoryLimit(adding: newEnd - oldEnd, accountable: true, for: c.task)
                _ = try mm.map(address: oldEnd, length: newEnd - oldEnd, protection: .rw, fixed: true, shared: false,
                               file: nil, offset: 0, name: "[heap]")
            } catch { return .value(mm.brk) }
        } else if newEnd < oldEnd {
            try? mm.unmap(newEnd, length: oldEnd - newEnd)
        }
        mm.brk = want
        return .value(want)
    }

    static func mmap(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try mmap(c, offset: c.word(5))
    }
    /// mmap2: the offset is in 4096-byte units (32-bit ISAs).
    static func mmap2(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try mmap(c, offset: c.word(5) << 12)
    }
    static func mmap(_ c: SyscallCall, offset: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        let addr = c.word(0), length = c.word(1)
        let prot = Protection(rawValue: c.uint(2))
        let flags = MapFlags(rawValue: c.uint(3))
        guard length > 0 else { throw .EINVAL }
        guard offset & (c.mm.pageSize - 1) == 0 else { throw .EINVAL }
        let type = flags.rawValue & MapFlags.typeMask
        guard type == 1 || type == 2 || type == 3 else { throw .EINVAL }
        if prot.rawValue & ~7 != 0 { throw .EINVAL }
        let shared = type != 2
        var file: OpenFile?
        if !flags.contains(.anonymous) {
            let f = try CoreSyscalls.file(c, 4)
            if f is SimpleDeviceFile {
                file = nil  // /dev/zero: anonymous memory
            } else {
                guard f.flags.canRead else { throw .EACCES }
                if shared && prot.contains(.write) && !f.flags.canWrite { throw .EACCES }
                guard let inode = f.inode, inode.kind == .regular else { throw .ENODEV }
                file = f
            }
        }
        // Linux's do_mmap: a length that rounds past the top of the guest's word is ENOMEM; a
        // file range that ends past the largest file size (2^63 - 1), EOVERFLOW. Then the
        // memory limit, before anything is mapped.
        guard let len = c.mm.pageRoundUp(length) else { throw .ENOMEM }
        if file != nil, (GuestMath.end(offset, len).map { $0 > UInt64(Int64.max) } ?? true) { throw .EOVERFLOW }
        // (MAP_NORESERVE asks not to be charged, as Linux's heuristic overcommit honours.)
        try c.kernel.checkMemoryLimit(adding: len, accountable: !shared && prot.contains(.write) && !flags.contains(.noReserve), for: c.task)
        let fixed = flags.contains(.fixed) || flags.contains(.fixedNoReplace)
        let r = try c.mm.map(address: addr, length: length, protection: prot, fixed: fixed, noReplace: flags.contains(.fixedNoReplace),
                             shared: shared, file: file, offset: file == nil ? 0 : offset,
                             name: flags.contains(.stack) ? "[stack]" : nil)
        return .value(r)
    }

    static func munmap(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try c.mm.unmap(c.word(0), length: c.word(1))
        return .zero
    }

    static func mprotect(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let prot = Protection(rawValue: c.uint(2) & 7)
        if c.uint(2) & ~UInt32(7 | 0x0100_0000 | 0x0200_0000) != 0 { throw .EINVAL }
        try c.mm.protect(c.word(0), length: c.word(1), protection: prot)
        return .zero
    }

    static func mremap(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let mm = c.mm
        let old = c.word(0), flags = c.uint(3)
        let mayMove = flags & 1 != 0, fixed = flags & 2 != 0, dontUnmap = flags & 4 != 0
        guard flags & ~UInt32(7) == 0, mayMove || !fixed, mm.isPageAligned(old) else { throw .EINVAL }
        // Lengths are page rounded as Linux's PAGE_ALIGN does: an old length that rounds past
        // 2^64 becomes 0; a new one that does, or is 0, is EINVAL.
        let oldLen = mm.pageRoundUp(c.word(1)) ?? 0
        guard let newLen = mm.pageRoundUp(c.word(2)), newLen > 0 else { throw .EINVAL }
        if fixed || dontUnmap { throw .EINVAL }  // MREMAP_FIXED and MREMAP_DONTUNMAP are not supported
        guard let oldEnd = GuestMath.end(old, oldLen), let vma = mm.vma(containing: old), mm.isMapped(old, oldEnd) else { throw .EFAULT }
        if newLen <= oldLen {
            if newLen < oldLen { try mm.unmap(old + newLen, length: oldLen - newLen) }
            return .value(old)
        }
        let growth = newLen - oldLen
        let accountable = !vma.shared && vma.protection.contains(.write)
        /// The file offset of `address` in the area's file (0 for anonymous memory).
        func fileOffset(_ address: UInt64) throws(LinuxErrno) -> UInt64 {
            guard vma.file != nil else { return 0 }
            guard let o = GuestMath.end(vma.offset, address - vma.start), GuestMath.end(o, newLen) != nil else { throw .EOVERFLOW }
            return o
        }
        // Grow in place when the pages after it are free.
        if let newEnd = GuestMath.end(old, newLen), newEnd <= mm.userRange.upperBound, mm.isFree(oldEnd, growth) {
            try c.kernel.checkMemoryLimit(adding: growth, accountable: accountable, for: c.task)
            _ = try mm.map(address: oldEnd, length: growth, protection: vma.protection, fixed: true,
                           shared: vma.shared, file: vma.file, offset: try fileOffset(oldEnd), name: vma.name)
            return .value(old)
        }
        guard mayMove else { throw .ENOMEM }
        if vma.shared && vma.file == nil { throw .ENOMEM }
        try c.kernel.checkMemoryLimit(adding: newLen, accountable: accountable, for: c.task)
        // Move: map anew, copy the contents, unmap the old range.
        let new = try mm.map(address: 0, length: newLen, protection: vma.protection.union(.write), fixed: false,
                             shared: vma.shared, file: vma.file, offset: try fileOffset(old), name: vma.name)
        if vma.file == nil || !vma.shared {
            var done: UInt64 = 0
            while done < oldLen {
                let n = Int(min(oldLen - done, 1 << 20))
                let bytes = try mm.read(old + done, count: n)
                try mm.write(new + done, bytes)
                done += UInt64(n)
            }
        }
        if !vma.protection.contains(.write) { try mm.protect(new, length: newLen, protection: vma.protection) }
        try mm.unmap(old, length: oldLen)
        return .value(new)
    }

    /// madvise(2), after Linux's mm/madvise.c: EINVAL for an unknown advice, an unaligned
    /// start or a length whose page rounding or end wraps the guest's word; then the advice is
    /// applied to each mapping in the range in turn (the first refusal ends the walk, with what
    /// came before it done), and ENOMEM if the range had unmapped pages.
    static func madvise(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let mm = c.mm
        let addr = c.word(0)
        guard let advice = MemoryAdvice(c.int(2)), mm.isPageAligned(addr) else { throw .EINVAL }
        // Linux: a length that rounds past the top (madvise(0, -1, 0)) is EINVAL; an empty
        // range does nothing.
        guard let span = mm.pageSpan(addr, c.word(1)) else { throw .EINVAL }
        if span.isEmpty { return .zero }
        try mm.advise(span.lowerBound, span.upperBound, advice)
        return .zero
    }

    /// msync(2): a shared mapping's data is the file's at every moment here (host shared memory,
    /// tmpfs pages), so nothing is written back; the arguments are checked as Linux's
    /// mm/msync.c does: unknown flags, an unaligned start, or MS_ASYNC with MS_SYNC are EINVAL;
    /// a range that wraps or has unmapped pages is ENOMEM.
    static func msync(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let mm = c.mm, addr = c.word(0), flags = c.int(2)
        let async: Int32 = 1, invalidate: Int32 = 2, sync: Int32 = 4
        if flags & ~(async | invalidate | sync) != 0 { throw .EINVAL }
        guard mm.isPageAligned(addr) else { throw .EINVAL }
        if flags & async != 0 && flags & sync != 0 { throw .EINVAL }
        guard let span = mm.pageSpan(addr, c.word(1)) else { throw .ENOMEM }
        if span.isEmpty { return .zero }
        guard mm.isFullyMapped(span.lowerBound, span.upperBound) else { throw .ENOMEM }
        return .zero
    }
    static func mlock(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { .zero }

    /// mincore(addr, length, vec): one byte per page of the range. Every mapped page is reported
    /// resident (1): the guest's pages are umlab's or the host's, and which of them the host has
    /// paged in is not the guest's business. Linux's checks: an unaligned start is EINVAL, a
    /// range that wraps or has unmapped pages ENOMEM, a vector that cannot take the bytes EFAULT.
    static func mincore(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let mm = c.mm, addr = c.word(0)
        guard mm.isPageAligned(addr) else { throw .EINVAL }
        guard let span = mm.pageSpan(addr, c.word(1)) else { throw .ENOMEM }
        if span.isEmpty { return .zero }
        guard mm.isFullyMapped(span.lowerBound, span.upperBound) else { throw .ENOMEM }
        let pages = Int((span.upperBound - span.lowerBound) / mm.pageSize)
        var done = 0
        while done < pages {  // in steps, so a huge range never needs a huge buffer
            let n = min(pages - done, 1 << 16)
            try mm.write(c.word(2) + UInt64(done), [UInt8](repeating: 1, count: n))
            done += n
        }
        return .zero
    }
}
