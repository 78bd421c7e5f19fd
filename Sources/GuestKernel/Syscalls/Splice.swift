import LinuxABI

// In-kernel copies between descriptors — splice, tee, vmsplice, copy_file_range — and the calls
// about a file's storage that have little to do here (fallocate, readahead, sync_file_range,
// syncfs). Data moves through the kernel's scratch buffer, never through guest memory, and at
// most one pipe's worth (64 KiB) or one I/O chunk per step.

/// The flags of splice, tee and vmsplice (SPLICE_F_*).
enum SpliceFlags {
    static let move: UInt32 = 1
    static let nonBlock: UInt32 = 2
    static let more: UInt32 = 4
    static let gift: UInt32 = 8
    static let all: UInt32 = 0xf
}

/// fallocate's modes (FALLOC_FL_*).
enum FallocateMode {
    static let keepSize: UInt32 = 0x01
    static let punchHole: UInt32 = 0x02
    /// Every mode Linux knows (FALLOC_FL_SUPPORTED_MASK); beyond it, EOPNOTSUPP.
    static let known: UInt32 = 0x7f
}

extension CoreSyscalls {
    /// A `loff_t *` argument of splice and copy_file_range: where the guest keeps the position
    /// the call reads from or writes to instead of the file's own, and its value.
    struct PositionArgument {
        let address: UInt64
        var value: Int64
    }

    /// The position argument `i`, or nil when it is NULL. Its value is as the guest wrote it:
    /// a negative one is EINVAL to splice, EOVERFLOW to copy_file_range.
    static func positionArgument(_ c: SyscallCall, _ i: Int) throws(LinuxErrno) -> PositionArgument? {
        let address = c.word(i)
        guard address != 0 else { return nil }
        var d = GuestDecoder(try c.mm.read(address, count: 8), c.abi)
        return PositionArgument(address: address, value: d.i64())
    }

    static func storePosition(_ c: SyscallCall, _ p: PositionArgument) throws(LinuxErrno) {
        var e = GuestEncoder(c.abi)
        e.i64(p.value)
        try c.mm.write(p.address, e.bytes)
    }

    /// Waits for `events` on a descriptor a copy found not ready, or gives EAGAIN when the call
    /// or the descriptor is non-blocking (or nothing can wake it).
    static func waitToCopy(_ f: OpenFile, _ events: PollEvents, nonBlocking: Bool) throws(LinuxErrno) -> SyscallOutcome {
        guard !nonBlocking, !f.isNonBlocking, let q = f.waitQueue else { throw .EAGAIN }
        return .block(.on(q, events.union([.hangUp, .error])))
    }

    // MARK: splice, tee, vmsplice

    /// splice(in, off_in*, out, off_out*, len, flags): moves up to `len` bytes between a pipe and
    /// another descriptor, or between two pipes. As on Linux, one call moves what is there (what
    /// the source pipe holds, what fits in the destination pipe), waits only while nothing can
    /// move, and takes from a source pipe only what the destination accepted.
    static func splice(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let input = try file(c, 0), output = try file(c, 2)
        let flags = c.uint(5)
        if flags & ~SpliceFlags.all != 0 { throw .EINVAL }
        guard input.flags.canRead, output.flags.canWrite else { throw .EBADF }
        let source = input as? PipeEnd, sink = output as? PipeEnd
        guard source != nil || sink != nil else { throw .EINVAL }
        if let source, let sink, source.pipe === sink.pipe { throw .EINVAL }
        let inPosition = try positionArgument(c, 1), outPosition = try positionArgument(c, 3)
        if (source != nil && inPosition != nil) || (sink != nil && outPosition != nil) { throw .ESPIPE }
        if (inPosition?.value ?? 0) < 0 || (outPosition?.value ?? 0) < 0 { throw .EINVAL }
        if sink == nil && output.flags.contains(.append) { throw .EINVAL }
        let nonBlocking = flags & SpliceFlags.nonBlock != 0

        var want = Int(min(c.word(4), UInt64(maxTransfer)))
        if want == 0 { return .zero }
        if let source {
            if source.pipe.count == 0 {
                if source.pipe.writers == 0 { return .zero }  // end of file
                return try waitToCopy(input, [.input], nonBlocking: nonBlocking)
            }
            want = min(want, source.pipe.count)
        }
        if let sink {
            if sink.pipe.readers == 0 { throw brokenPipe(c) }
            if sink.pipe.space == 0 { return try waitToCopy(output, [.output], nonBlocking: nonBlocking) }
            want = min(want, sink.pipe.space)
        }
        want = min(want, Kernel.ioChunk)
        if sink == nil, let regular = output as? RegularFile {
            want = try fileSizeLimit(c, regular, count: want, at: outPosition?.value ?? output.offset)
        }
        if let p = inPosition { _ = try GuestMath.fileRange(offset: p.value, length: want) }
        if let p = outPosition { _ = try GuestMath.fileRange(offset: p.value, length: want) }

        let moved: Int
        do {
            moved = try c.kernel.withScratch(want) { (buffer) throws(LinuxErrno) -> Int in
                let got: Int
                if let source {
                    got = source.pipe.peek(into: buffer)
                } else if let p = inPosition {
                    got = try input.read(into: buffer, at: p.value)
                } else {
                    got = try input.read(into: buffer)
                }
                if got == 0 { return 0 }
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
                let put: Int
                if let sink {
                    try sink.pipe.prepareRing()
                    put = sink.pipe.write(bytes)  // fits: `want` was bounded by the space
                } else if let p = outPosition {
                    put = try output.write(bytes, at: p.value)
                } else {
                    put = try output.write(bytes)
                }
                source?.pipe.consume(put)
                return put
            }
        } catch .EAGAIN {
            // The side that is not a pipe is not ready: a socket without data or buffer room.
            return try waitToCopy(source == nil ? input : output, source == nil ? [.input] : [.output], nonBlocking: nonBlocking)
        } catch .EPIPE {
            throw brokenPipe(c)
        }
        if let p = inPosition { try storePosition(c, PositionArgument(address: p.address, value: p.value + Int64(moved))) }
        if let p = outPosition { try storePosition(c, PositionArgument(address: p.address, value: p.value + Int64(moved))) }
        return .int(moved)
    }

    /// tee(in, out, len, flags): copies up to `len` bytes from one pipe to another, leaving them
    /// in the first.
    static func tee(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let input = try file(c, 0), output = try file(c, 1)
        let flags = c.uint(3)
        if flags & ~SpliceFlags.all != 0 { throw .EINVAL }
        guard input.flags.canRead, output.flags.canWrite else { throw .EBADF }
        guard let source = input as? PipeEnd, let sink = output as? PipeEnd, source.pipe !== sink.pipe else { throw .EINVAL }
        let nonBlocking = flags & SpliceFlags.nonBlock != 0
        let length = Int(min(c.word(2), UInt64(maxTransfer)))
        if length == 0 { return .zero }
        if source.pipe.count == 0 {
            if source.pipe.writers == 0 { return .zero }
            return try waitToCopy(input, [.input], nonBlocking: nonBlocking)
        }
        if sink.pipe.readers == 0 { throw brokenPipe(c) }
        if sink.pipe.space == 0 { return try waitToCopy(output, [.output], nonBlocking: nonBlocking) }
        let n = min(length, source.pipe.count, sink.pipe.space)
        try sink.pipe.prepareRing()
        return .int(try c.kernel.withScratch(n) { (buffer) throws(LinuxErrno) -> Int in
            let got = source.pipe.peek(into: buffer)
            return sink.pipe.write(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
        })
    }

    /// vmsplice(fd, iov, nr_segs, flags): into a pipe's write end it is writev (the guest's
    /// pages are copied, as Linux does without SPLICE_F_GIFT); out of a read end, readv.
    /// SPLICE_F_NONBLOCK makes this one call non-blocking.
    static func vmsplice(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        let flags = c.uint(3)
        if flags & ~SpliceFlags.all != 0 { throw .EINVAL }
        guard f is PipeEnd else { throw .EBADF }
        guard c.word(2) <= 1024 else { throw .EINVAL }
        let vecs = try iovecs(c, c.word(1), Int32(c.word(2)))
        let nonBlocking = flags & SpliceFlags.nonBlock != 0
        if f.flags.canWrite {
            for (base, len) in vecs { try c.mm.checkAccess(base, len, .read) }
            let buffers = GuestBuffers(vecs)
            if !nonBlocking { return try writeSteps(c, f, buffers) }
            // One pass of what fits now; EAGAIN only when nothing did.
            var done = 0
            while done < buffers.total {
                let want = min(buffers.total - done, Kernel.ioChunk)
                do {
                    let n = try c.kernel.withScratch(want) { (p) throws(LinuxErrno) -> Int in
                        try buffers.load(into: p, from: done, c.mm)
                        return try f.write(UnsafeRawBufferPointer(p))
                    }
                    done += n
                    if n < want { break }
                } catch .EPIPE where done == 0 {
                    throw brokenPipe(c)
                } catch {
                    if done > 0 { break }
                    throw error
                }
            }
            return .int(done)
        }
        guard f.flags.canRead else { throw .EBADF }
        for (base, len) in vecs { try c.mm.checkAccess(base, len, .write) }
        if nonBlocking { return .int(try readSteps(c, f, GuestBuffers(vecs), at: nil)) }
        return try io(c, f, want: .input) { () throws(LinuxErrno) -> Int in
            try readSteps(c, f, GuestBuffers(vecs), at: nil)
        }
    }

    // MARK: copy_file_range

    /// copy_file_range(in, off_in*, out, off_out*, len, flags): copies between regular files of
    /// one file system (another gives EXDEV, and `cp` falls back to read/write as on Linux).
    static func copyFileRange(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let input = try file(c, 0), output = try file(c, 2)
        let inPosition = try positionArgument(c, 1), outPosition = try positionArgument(c, 3)
        if c.uint(5) != 0 { throw .EINVAL }
        if input.inode?.kind == .directory || output.inode?.kind == .directory { throw .EISDIR }
        guard let source = input as? RegularFile, let sink = output as? RegularFile else { throw .EINVAL }
        guard source.flags.canRead, sink.flags.canWrite, !sink.flags.contains(.append) else { throw .EBADF }
        let from = inPosition?.value ?? source.offset, to = outPosition?.value ?? sink.offset
        // Linux adds the length to each position as unsigned numbers: a negative position, or
        // a length that wraps, is EOVERFLOW.
        let raw = c.word(4)
        if UInt64(bitPattern: from).addingReportingOverflow(raw).overflow || UInt64(bitPattern: to).addingReportingOverflow(raw).overflow {
            throw .EOVERFLOW
        }
        if from < 0 || to < 0 { throw .EINVAL }
        let requested = Int64(min(raw, UInt64(maxTransfer)))
        // Linux's generic_copy_file_checks: the copy ends at the source's end, and a copy within
        // one file may not overlap itself.
        let length = Int(max(0, min(requested, try source.contents.size() - from)))
        if source.contents === sink.contents && to + Int64(length) > from && to < from + Int64(length) { throw .EINVAL }
        if length == 0 { return .zero }
        guard let a = source.inode, let b = sink.inode, a.fs === b.fs else { throw .EXDEV }
        let allowed = try fileSizeLimit(c, sink, count: length, at: to)

        var done = 0
        while done < allowed {
            let want = min(allowed - done, Kernel.ioChunk)
            let (got, put) = try c.kernel.withScratch(want) { (buffer) throws(LinuxErrno) -> (Int, Int) in
                let got = try source.read(into: buffer, at: from + Int64(done))
                if got == 0 { return (0, 0) }
                return (got, try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<got]), at: to + Int64(done)))
            }
            done += put
            if got < want || put < got { break }
        }
        if let p = inPosition {
            try storePosition(c, PositionArgument(address: p.address, value: p.value + Int64(done)))
        } else {
            source.offset += Int64(done)
        }
        if let p = outPosition {
            try storePosition(c, PositionArgument(address: p.address, value: p.value + Int64(done)))
        } else {
            sink.offset += Int64(done)
        }
        return .int(done)
    }

    // MARK: a file's storage

    /// fallocate(fd, mode, offset, len) as tmpfs answers it: mode 0 allocates the range (it
    /// counts against the machine's memory at once) and extends the file over it, KEEP_SIZE
    /// allocates without extending, PUNCH_HOLE|KEEP_SIZE frees a range; the other modes are
    /// EOPNOTSUPP, as on tmpfs.
    static func fallocate(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        let mode = c.uint(1)
        let offset = c.offset64(after: 2), length = c.offset64(after: c.index(after64: 2))
        if offset < 0 || length <= 0 { throw .EINVAL }
        if mode & ~FallocateMode.known != 0 { throw .EOPNOTSUPP }
        if mode & FallocateMode.punchHole != 0 && mode & FallocateMode.keepSize == 0 { throw .EOPNOTSUPP }
        guard f.flags.canWrite else { throw .EBADF }
        if f is PipeEnd { throw .ESPIPE }
        if f.inode?.kind == .directory { throw .EISDIR }
        guard let regular = f as? RegularFile else { throw .ENODEV }
        if Int64.max - length < offset { throw .EFBIG }
        if mode & ~(FallocateMode.keepSize | FallocateMode.punchHole) != 0 { throw .EOPNOTSUPP }
        if mode & FallocateMode.punchHole != 0 {
            let size = try regular.contents.size()
            if offset < size { try regular.punchHole(offset: UInt64(offset), length: UInt64(min(offset + length, size) - offset)) }
        } else {
            if mode & FallocateMode.keepSize == 0, offset + length > (try regular.contents.size()) {
                try checkFileSize(c, growingTo: offset + length)
            }
            try regular.contents.allocate(offset: offset, length: length, keepSize: mode & FallocateMode.keepSize != 0)
            regular.didModify()
        }
        return .zero
    }

    /// readahead(fd, offset, count): nothing to prefetch (files are read when asked), but the
    /// descriptor is checked as Linux does.
    static func readahead(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        guard f.flags.canRead else { throw .EBADF }
        guard f is RegularFile else { throw .EINVAL }
        return .zero
    }

    /// sync_file_range(fd, offset, nbytes, flags) (x86-64's argument order).
    static func syncFileRange(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let offset = c.offset64(after: 1), next = c.index(after64: 1)
        return try syncFileRange(c, offset: offset, count: c.offset64(after: next), flags: c.uint(c.index(after64: next)))
    }
    /// sync_file_range2(fd, flags, offset, nbytes): PowerPC's order, which keeps the 64-bit
    /// arguments in aligned register pairs.
    static func syncFileRange2(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try syncFileRange(c, offset: c.offset64(after: 2), count: c.offset64(after: c.index(after64: 2)), flags: c.uint(1))
    }
    static func syncFileRange(_ c: SyscallCall, offset: Int64, count: Int64, flags: UInt32) throws(LinuxErrno) -> SyscallOutcome {
        if flags & ~7 != 0 || offset < 0 || count < 0 || Int64.max - count < offset { throw .EINVAL }
        let f = try file(c, 0)
        if f is RegularFile || f is DirectoryFile { return .zero }
        switch f.inode?.kind {
        case .regular?, .directory?, .symlink?, .blockDevice?: return .zero
        default: throw .ESPIPE
        }
    }

    /// syncfs(fd): nothing is buffered beyond what the host has; the descriptor must exist.
    static func syncfs(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        _ = try file(c, 0)
        return .zero
    }
}
