import LinuxABI

// brk, mmap, munmap, mprotect, mremap, madvise.

extension CoreSyscalls {
    static func brk(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let mm = c.mm
        let want = c.word(0)
        if want == 0 || want < mm.brkStart { return .value(mm.brk) }
        let oldEnd = mm.pageAlign(mm.brk), newEnd = mm.pageAlign(want)
        if newEnd > oldEnd {
            guard mm.isFree(oldEnd, newEnd - oldEnd), newEnd <= mm.mmapBase else { return .value(mm.brk) }
            do {
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
        let fd = c.int(4)
        guard length > 0 else { throw .EINVAL }
        guard offset & (c.mm.pageSize - 1) == 0 else { throw .EINVAL }
        let type = flags.rawValue & MapFlags.typeMask
        guard type == 1 || type == 2 || type == 3 else { throw .EINVAL }
        if prot.rawValue & ~7 != 0 { throw .EINVAL }
        let shared = type != 2
        var file: OpenFile?
        if !flags.contains(.anonymous) {
            let f = try c.task.files.get(fd)
            if f is SimpleDeviceFile {
                file = nil  // /dev/zero: anonymous memory
            } else {
                guard f.flags.canRead else { throw .EACCES }
                if shared && prot.contains(.write) && !f.flags.canWrite { throw .EACCES }
                guard let inode = f.inode, inode.kind == .regular else { throw .ENODEV }
                file = f
            }
        }
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
        let old = c.word(0), oldLen = mm.pageAlign(c.word(1)), newLen = mm.pageAlign(c.word(2)), flags = c.uint(3)
        let mayMove = flags & 1 != 0, fixed = flags & 2 != 0
        guard old & (mm.pageSize - 1) == 0, newLen > 0 else { throw .EINVAL }
        if fixed { throw .EINVAL }  // MREMAP_FIXED is not supported
        guard let vma = mm.vma(containing: old), mm.isMapped(old, old + oldLen) else { throw .EFAULT }
        if newLen <= oldLen {
            if newLen < oldLen { try mm.unmap(old + newLen, length: oldLen - newLen) }
            return .value(old)
        }
        // Grow in place when the pages after it are free.
        if mm.isFree(old + oldLen, newLen - oldLen) && old + newLen <= mm.userRange.upperBound {
            _ = try mm.map(address: old + oldLen, length: newLen - oldLen, protection: vma.protection, fixed: true,
                           shared: vma.shared, file: vma.file, offset: vma.file == nil ? 0 : vma.offset + (old + oldLen - vma.start),
                           name: vma.name)
            return .value(old)
        }
        guard mayMove else { throw .ENOMEM }
        if vma.shared && vma.file == nil { throw .ENOMEM }
        // Move: map anew, copy the contents, unmap the old range.
        let new = try mm.map(address: 0, length: newLen, protection: vma.protection.union(.write), fixed: false,
                             shared: vma.shared, file: vma.file, offset: vma.file == nil ? 0 : vma.offset + (old - vma.start), name: vma.name)
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

    /// madvise(2), after Linux's mm/madvise.c: EINVAL for an unaligned start, a length whose
    /// page rounding or end wraps the guest's word, or an unknown advice; then the advice is
    /// applied to each mapping in the range in turn (the first refusal ends the walk, with
    /// what came before it done), and ENOMEM if the range had unmapped pages.
    static func madvise(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let mm = c.mm
        let start = c.word(0), lengthIn = c.word(1)
        guard start & (mm.pageSize - 1) == 0 else { throw .EINVAL }
        let limit = c.kernel.abi.wordMask
        guard let length = GuestMath.roundUp(lengthIn, to: mm.pageSize), length <= limit,
              let end = GuestMath.end(start, length), end <= limit else { throw .EINVAL }
        guard let advice = MemoryAdvice(c.int(2)) else { throw .EINVAL }
        if length == 0 { return .zero }
        try mm.advise(start, end, advice)
        return .zero
    }

    static func msync(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { .zero }
    static func mlock(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { .zero }
}
