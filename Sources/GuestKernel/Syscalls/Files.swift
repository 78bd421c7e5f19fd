import HostOS
import LinuxABI

// File descriptors and I/O: open, read/write and their vector and positional forms, seek, dup,
// fcntl, pipes, ioctl.

extension CoreSyscalls {
    /// The open file of descriptor argument `i`, for a call that uses the file: an O_PATH
    /// descriptor opens nothing and is EBADF here, as Linux's fdget refuses it.
    static func file(_ c: SyscallCall, _ i: Int) throws(LinuxErrno) -> OpenFile {
        let f = try c.task.files.get(c.int(i))
        if f is PathFile { throw .EBADF }
        return f
    }
    /// The open file of descriptor argument `i` for the calls that only name the object (Linux's
    /// fdget_raw): fstat, fstatfs, fchdir, dup, the fcntl descriptor commands, *at() bases.
    static func anyFile(_ c: SyscallCall, _ i: Int) throws(LinuxErrno) -> OpenFile { try c.task.files.get(c.int(i)) }

    /// Runs a non-blocking I/O step; EAGAIN on a blocking descriptor waits for readiness.
    static func io(_ c: SyscallCall, _ f: OpenFile, want: PollEvents, _ op: () throws(LinuxErrno) -> Int) throws(LinuxErrno) -> SyscallOutcome {
        do {
            return .int(try op())
        } catch .EAGAIN where !f.isNonBlocking {
            guard let q = f.waitQueue else { throw .EAGAIN }
            return .block(.on(q, want.union([.hangUp, .error])))
        }
    }

    /// Linux's rw_verify_area for the file position a read or write starts at: the end of the
    /// transfer may not pass 2^63 - 1 (EINVAL). Files without a position keep theirs at 0.
    static func checkPosition(_ f: OpenFile, _ count: Int) throws(LinuxErrno) {
        _ = try GuestMath.fileRange(offset: f.offset, length: count)
    }

    static func read(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        guard f.flags.canRead || f is DirectoryFile else { throw .EBADF }
        let count = try c.size(2), buf = c.word(1)
        try checkPosition(f, count)
        try c.mm.checkAccess(buf, count, .write)
        if let s = f as? SocketFile { return try socketRead(c, s, GuestBuffers([(buf, count)])) }
        if let t = f as? PtySlaveFile { return try terminalRead(c, t, GuestBuffers([(buf, count)])) }
        return try io(c, f, want: .input) { () throws(LinuxErrno) -> Int in
            try readSteps(c, f, GuestBuffers([(buf, count)]), at: nil)
        }
    }

    static func write(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        guard f.flags.canWrite else { throw .EBADF }
        let count = try c.size(2), buf = c.word(1)
        if !f.flags.contains(.append) { try checkPosition(f, count) }
        // Before the bounce buffer is sized by the guest's length: write(fd, bad, 2^31) made
        // umlab allocate 2 GiB only to answer EFAULT (Tests/fuzz/crashers).
        try c.mm.checkAccess(buf, count, .read)
        return try writeSteps(c, f, GuestBuffers([(buf, count)]))
    }

    /// A write in steps of at most `Kernel.ioChunk` bytes, gathered from `buffers`. A blocking
    /// write to a pipe completes in full (progress is kept across waits); to anything else it
    /// goes on while each step is taken whole.
    static func writeSteps(_ c: SyscallCall, _ f: OpenFile, _ buffers: GuestBuffers) throws(LinuxErrno) -> SyscallOutcome {
        if let s = f as? SocketFile { return try socketSend(c, s, buffers, flags: [], to: nil, control: nil) }
        if let t = f as? PtySlaveFile, let stop = try terminalWriteCheck(c, t) { return stop }
        var total = buffers.total
        if let regular = f as? RegularFile {
            total = try fileSizeLimit(c, regular, count: total, at: f.flags.contains(.append) ? try regular.contents.size() : f.offset)
        }
        return try writeProgress(c, f, total: total) { (done) throws(LinuxErrno) -> (Int, Int) in
            let want = min(total - done, Kernel.ioChunk)
            let n = try c.kernel.withScratch(want) { (p) throws(LinuxErrno) -> Int in
                try buffers.load(into: p, from: done, c.mm)
                return try f.write(UnsafeRawBufferPointer(p))
            }
            if n > 0 { c.kernel.inotify.notify(InotifyMask.modify, file: f) }
            return (n, want)
        }
    }

    /// A read in steps of at most `Kernel.ioChunk` bytes, scattered into `buffers`, so umlab
    /// never holds more than one step of a transfer (Linux allows 2 GiB per call).
    /// `position`: pread's file position; nil reads at (and advances) the file's own.
    static func readSteps(_ c: SyscallCall, _ f: OpenFile, _ buffers: GuestBuffers, at position: Int64?) throws(LinuxErrno) -> Int {
        try steps(c, total: buffers.total) { (p, done) throws(LinuxErrno) -> Int in
            // position + done stays below the end rw_verify_area accepted.
            let n = try position == nil ? f.read(into: p) : f.read(into: p, at: position! + Int64(done))
            try buffers.store(UnsafeRawBufferPointer(rebasing: p[0..<n]), from: done, c.mm)
            if n > 0 { c.kernel.inotify.notify(InotifyMask.access, file: f) }
            return n
        }
    }

    /// Runs `step(buffer, done)` over a transfer of `total` bytes, one bounce buffer of at most
    /// `Kernel.ioChunk` bytes at a time. A short step ends the transfer (the end of a file,
    /// what a pipe or terminal had); an error after some progress ends it with that progress,
    /// as Linux returns a partial count.
    static func steps(_ c: SyscallCall, total: Int, _ step: (UnsafeMutableRawBufferPointer, Int) throws(LinuxErrno) -> Int) throws(LinuxErrno) -> Int {
        var done = 0
        while true {
            let want = min(total - done, Kernel.ioChunk)
            do {
                let n = try c.kernel.withScratch(want) { (p) throws(LinuxErrno) -> Int in try step(p, done) }
                done += n
                if n < want || done == total { return done }
            } catch {
                if done > 0 { return done }
                throw error
            }
        }
    }

    /// A blocking write completes in full (pipes, terminals): progress is kept across waits.
    /// `step(done)` writes the next part and says how much it wrote of how much it tried.
    static func writeProgress(_ c: SyscallCall, _ f: OpenFile, total: Int, _ step: (Int) throws(LinuxErrno) -> (written: Int, tried: Int)) throws(LinuxErrno) -> SyscallOutcome {
        var done = min(c.task.ioProgress, total)
        while true {
            do {
                let (n, tried) = try step(done)
                done += n
                if done >= total || n == 0 || (!(f is PipeEnd) && n < tried) { c.task.ioProgress = 0; return .int(done) }
            } catch .EAGAIN where !f.isNonBlocking && f.waitQueue != nil {
                c.task.ioProgress = done
                return .block(.on(f.waitQueue!, [.output, .error]))
            } catch .EAGAIN where done > 0 {
                c.task.ioProgress = 0
                return .int(done)
            } catch {
                c.task.ioProgress = 0
                if done > 0 { return .int(done) }
                if error == .EPIPE { throw brokenPipe(c) }
                throw error
            }
        }
    }

    static func pread64(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try pread(c, offset: c.offset64(after: 3))
    }
    static func pread(_ c: SyscallCall, offset: Int64) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        guard f.flags.canRead else { throw .EBADF }
        let count = try c.size(2), buf = c.word(1)
        _ = try GuestMath.fileRange(offset: offset, length: count)
        try c.mm.checkAccess(buf, count, .write)
        return .int(try readSteps(c, f, GuestBuffers([(buf, count)]), at: offset))
    }
    static func pwrite64(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try pwrite(c, offset: c.offset64(after: 3))
    }
    static func pwrite(_ c: SyscallCall, offset: Int64) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        guard f.flags.canWrite else { throw .EBADF }
        let count = try c.size(2), buf = c.word(1)
        _ = try GuestMath.fileRange(offset: offset, length: count)
        try c.mm.checkAccess(buf, count, .read)
        return .int(try pwriteSteps(c, f, GuestBuffers([(buf, count)]), at: offset))
    }

    /// A positional write in steps of at most `Kernel.ioChunk` bytes; a short step or an error
    /// after some progress ends it with that progress.
    static func pwriteSteps(_ c: SyscallCall, _ f: OpenFile, _ buffers: GuestBuffers, at position: Int64) throws(LinuxErrno) -> Int {
        var total = buffers.total
        if let regular = f as? RegularFile {
            total = try fileSizeLimit(c, regular, count: total, at: f.flags.contains(.append) ? try regular.contents.size() : position)
        }
        return try steps(c, total: total) { (p, done) throws(LinuxErrno) -> Int in
            try buffers.load(into: p, from: done, c.mm)
            let n = try f.write(UnsafeRawBufferPointer(p), at: position + Int64(done))
            if n > 0 { c.kernel.inotify.notify(InotifyMask.modify, file: f) }
            return n
        }
    }

    /// fcntl(fd, F_NOTIFY, mask) (Linux's fcntl_dirnotify): no event bit removes the
    /// description's mark; otherwise the directory must be one (ENOTDIR), the bits add to the
    /// mark, and the caller's process becomes the description's owner, which gets SIGIO (or the
    /// F_SETSIG signal, with si_fd and POLL_MSG) for each event on the directory's entries.
    static func fcntlNotify(_ c: SyscallCall, _ f: OpenFile, fd: Int32) throws(LinuxErrno) -> SyscallOutcome {
        let k = c.kernel, mask = c.uint(2)
        if mask & ~DnotifyMark.multishot == 0 {
            k.inotify.removeDnotify(file: f)
            return .zero
        }
        guard let directory = f.inode, directory.kind == .directory else { throw .ENOTDIR }
        k.inotify.dnotifySignal = { [unowned k] mark in
            guard let owner = mark.file.owner else { return }
            k.sendIO(owner, reason: SignalCode.POLL_MSG, fd: mark.fd)
        }
        f.inotify = k.inotify  // its last close ends the mark
        let owner = f.ownership
        owner.kind = .process
        owner.id = c.task.process.pid
        k.inotify.addDnotify(file: f, directory: directory, fd: fd, mask: mask)
        return .zero
    }

    /// RLIMIT_FSIZE for a write of `count` bytes at `position` of a regular file (Linux's
    /// generic_write_check_limits): a write that starts at or past the soft limit gets EFBIG and
    /// the writer SIGXFSZ; one that crosses it is cut to end there. An empty write is not
    /// checked. Returns the bytes the write may move. Pipes, sockets and devices have no limit.
    static func fileSizeLimit(_ c: SyscallCall, _ f: RegularFile, count: Int, at position: Int64) throws(LinuxErrno) -> Int {
        let limit = c.task.process.limits.values[ResourceLimits.fileSize].soft
        guard count > 0, limit != ResourceLimits.infinity else { return count }
        let start = UInt64(max(position, 0))
        if start >= limit { throw fileTooLarge(c) }
        return Int(min(UInt64(count), limit - start))
    }

    /// EFBIG past RLIMIT_FSIZE, with the SIGXFSZ Linux sends the writer (send_sig: SI_USER
    /// from the writer itself). Also a truncate or fallocate past the limit (inode_newsize_ok).
    static func fileTooLarge(_ c: SyscallCall) -> LinuxErrno {
        var info = SignalInfo(signal: .SIGXFSZ, code: SignalCode.SI_USER)
        info.senderPID = c.task.process.pid
        info.senderUID = c.task.process.credentials.uid
        c.kernel.send(info, to: c.task)
        return .EFBIG
    }

    /// A file growing to `size` bytes (truncate, fallocate) past RLIMIT_FSIZE: EFBIG and SIGXFSZ.
    static func checkFileSize(_ c: SyscallCall, growingTo size: Int64) throws(LinuxErrno) {
        let limit = c.task.process.limits.values[ResourceLimits.fileSize].soft
        if limit != ResourceLimits.infinity && UInt64(max(size, 0)) > limit { throw fileTooLarge(c) }
    }

    /// The most one read or write moves (Linux's MAX_RW_COUNT).
    static let maxTransfer = 0x7fff_f000

    /// Reads a guest iovec array as Linux's import_iovec does: at most UIO_MAXIOV (1024)
    /// entries, EINVAL for a negative length; lengths past MAX_RW_COUNT in total are cut down
    /// to it (the call then moves less), never summed past it.
    static func iovecs(_ c: SyscallCall, _ addr: UInt64, _ count: Int32) throws(LinuxErrno) -> [(UInt64, Int)] {
        guard count >= 0, count <= 1024 else { throw .EINVAL }
        let w = c.abi.wordSize
        var d = GuestDecoder(try c.mm.read(addr, count: Int(count) * 2 * w), c.abi)
        var out: [(UInt64, Int)] = []
        var total = 0
        for _ in 0..<count {
            let base = d.word(), len = d.sword()
            if len < 0 { throw .EINVAL }
            let kept = Int(min(len, Int64(maxTransfer - total)))
            total += kept
            out.append((base, kept))
        }
        return out
    }

    static func readv(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try readv(c, offset: nil)
    }
    static func preadv(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try readv(c, offset: c.lowHighOffset(3))
    }
    static func readv(_ c: SyscallCall, offset: Int64?) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        guard f.flags.canRead else { throw .EBADF }
        let vecs = try iovecs(c, c.word(1), c.int(2))
        let total = vecs.reduce(0) { $0 + $1.1 }
        _ = try GuestMath.fileRange(offset: offset ?? f.offset, length: total)
        for (base, len) in vecs { try c.mm.checkAccess(base, len, .write) }
        if offset == nil, let s = f as? SocketFile { return try socketRead(c, s, GuestBuffers(vecs)) }
        if offset == nil, let t = f as? PtySlaveFile { return try terminalRead(c, t, GuestBuffers(vecs)) }
        return try io(c, f, want: .input) { () throws(LinuxErrno) -> Int in
            try readSteps(c, f, GuestBuffers(vecs), at: offset)
        }
    }

    static func writev(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try writev(c, offset: nil) }
    static func pwritev(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try writev(c, offset: c.lowHighOffset(3)) }
    static func writev(_ c: SyscallCall, offset: Int64?) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        guard f.flags.canWrite else { throw .EBADF }
        let vecs = try iovecs(c, c.word(1), c.int(2))
        let total = vecs.reduce(0) { $0 + $1.1 }
        if offset != nil || !f.flags.contains(.append) { _ = try GuestMath.fileRange(offset: offset ?? f.offset, length: total) }
        for (base, len) in vecs { try c.mm.checkAccess(base, len, .read) }
        if let offset { return .int(try pwriteSteps(c, f, GuestBuffers(vecs), at: offset)) }
        return try writeSteps(c, f, GuestBuffers(vecs))
    }

    static func lseek(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        return .value(UInt64(bitPattern: try f.seek(c.long(1), whence: c.int(2))))
    }
    /// _llseek(fd, offset_high, offset_low, loff_t *result, whence): 32-bit ISAs' 64-bit lseek.
    static func llseek(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        let offset = Int64(bitPattern: (c.args[1] & 0xffff_ffff) << 32 | (c.args[2] & 0xffff_ffff))
        let pos = try f.seek(offset, whence: c.int(4))
        var e = GuestEncoder(c.abi)
        e.i64(pos)
        try c.mm.write(c.word(3), e.bytes)
        return .zero
    }

    static func close(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try c.task.files.close(c.int(0))
        return .zero
    }

    static func closeRange(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let first = c.uint(0), last = c.uint(1), flags = c.uint(2)
        // CLOSE_RANGE_UNSHARE (2), CLOSE_RANGE_CLOEXEC (4); anything else is EINVAL.
        guard first <= last, flags & ~6 == 0 else { throw .EINVAL }
        for fd in c.task.files.openDescriptors where UInt32(fd) >= first && UInt32(fd) <= last {
            if flags & 4 != 0 { try c.task.files.setCloseOnExec(fd, true) } else { try c.task.files.close(fd) }
        }
        return .zero
    }

    static func dup(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try anyFile(c, 0)
        return .int(Int(try c.task.files.install(f, closeOnExec: false, limit: c.task.process.limits.openFiles)))
    }
    static func dup2(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try anyFile(c, 0)
        let new = c.int(1)
        if new == c.int(0) { return .int(Int(new)) }
        guard new >= 0, Int(new) < c.task.process.limits.openFiles else { throw .EBADF }
        try c.task.files.place(f, at: new, closeOnExec: false)
        return .int(Int(new))
    }
    static func dup3(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try anyFile(c, 0)
        let new = c.int(1), flags = c.abi.openFlagsFromGuest(c.uint(2))
        if new == c.int(0) { throw .EINVAL }
        if flags.subtracting(.closeOnExec) != [] { throw .EINVAL }
        guard new >= 0, Int(new) < c.task.process.limits.openFiles else { throw .EBADF }
        try c.task.files.place(f, at: new, closeOnExec: flags.contains(.closeOnExec))
        return .int(Int(new))
    }

    static func fcntl(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let fd = c.int(0), cmd = c.int(1)
        let f = try anyFile(c, 0)
        // An O_PATH descriptor takes only the descriptor commands (Linux's check_fcntl_cmd).
        if f is PathFile && ![0, 1030, 1, 2, 3].contains(cmd) { throw .EBADF }
        let files = c.task.files
        switch cmd {
        case 0, 1030:  // F_DUPFD, F_DUPFD_CLOEXEC
            let min = c.int(2)
            guard min >= 0, Int(min) < c.task.process.limits.openFiles else { throw .EINVAL }
            return .int(Int(try files.install(f, closeOnExec: cmd == 1030, minimum: min, limit: c.task.process.limits.openFiles)))
        case 1: return .int(files.slot(fd)!.closeOnExec ? 1 : 0)  // F_GETFD
        case 2: try files.setCloseOnExec(fd, c.word(2) & 1 != 0); return .zero  // F_SETFD
        case 3: return .value(UInt64(c.abi.openFlagsToGuest(f.flags)))  // F_GETFL
        case 4:  // F_SETFL
            let new = c.abi.openFlagsFromGuest(c.uint(2)).intersection(OpenFlags.statusFlags)
            let wasAsync = f.flags.contains(.async)
            f.flags = f.flags.subtracting(OpenFlags.statusFlags).union(new)
            if new.contains(.async) != wasAsync { c.kernel.asyncChanged(f, fd: fd) }
            return .zero
        case _ where lockCommand(cmd, wordSize: c.abi.wordSize) != nil:  // record locks (VFS/Locks.swift)
            return try fcntlLock(c, f, lockCommand(cmd, wordSize: c.abi.wordSize)!)
        case 8, 9, 10, 11, 15, 16: return try fcntlOwner(c, f, cmd)  // F_SETOWN, F_SETSIG … (AsyncSignals.swift)
        case 1031, 1032:  // F_SETPIPE_SZ, F_GETPIPE_SZ
            guard let end = f as? PipeEnd else { throw .EBADF }
            if cmd == 1032 { return .int(end.pipe.capacity) }
            return .int(try end.pipe.resize(to: Int(c.uint(2)), privileged: c.task.process.credentials.euid == 0))
        case 1033, 1034: return try fcntlSeals(c, f, add: cmd == 1033)  // F_ADD_SEALS, F_GET_SEALS (Memfd.swift)
        case 1024, 1025: return .zero  // F_SETLEASE, F_GETLEASE
        case 1026: return try fcntlNotify(c, f, fd: fd)  // F_NOTIFY (dnotify)
        default: throw .EINVAL
        }
    }

    static func pipe2(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let flags = c.abi.openFlagsFromGuest(c.uint(1))
        if flags.subtracting([.closeOnExec, .nonBlocking, .direct]) != [] { throw .EINVAL }
        let (r, w) = pipeEnds(flags, kernel: c.kernel)
        try installPair(c, r, w, closeOnExec: flags.contains(.closeOnExec), at: c.word(0))
        return .zero
    }

    static func pipeEnds(_ flags: OpenFlags, kernel: Kernel) -> (OpenFile, OpenFile) {
        let pipe = Pipe(kernel: kernel)
        let inode = PipeInode(fs: kernel.pipeFS, pipe: pipe)
        let status = flags.intersection(.nonBlocking)
        let r = PipeEnd(pipe: pipe, reading: true, writing: false, flags: status, path: "pipe:[\(pipe.number)]", inode: inode)
        let w = PipeEnd(pipe: pipe, reading: false, writing: true, flags: status.union(OpenFlags(rawValue: OpenFlags.writeOnly)), path: "pipe:[\(pipe.number)]", inode: inode)
        return (r, w)
    }

    /// A new pipe's read and write descriptors, installed but not written anywhere (for ISAs
    /// whose pipe(2) returns them in registers).
    public static func openPipe(_ c: SyscallCall) throws(LinuxErrno) -> (Int32, Int32) {
        let (r, w) = pipeEnds([], kernel: c.kernel)
        let limit = c.task.process.limits.openFiles
        let fr = try c.task.files.install(r, closeOnExec: false, limit: limit)
        do { return (fr, try c.task.files.install(w, closeOnExec: false, limit: limit)) } catch {
            try? c.task.files.close(fr)
            w.release()
            throw error
        }
    }
    static func pipe(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var plain = SyscallCall(kernel: c.kernel, task: c.task, number: c.number, args: SyscallArguments(c.args.a0, 0, 0, 0, 0, 0))
        return try pipe2(&plain)
    }

    /// Installs two new descriptions (pipe2, socketpair) and writes their fds as int[2] at
    /// `address`; on any failure neither descriptor is left behind.
    static func installPair(_ c: SyscallCall, _ a: OpenFile, _ b: OpenFile, closeOnExec: Bool, at address: UInt64) throws(LinuxErrno) {
        let limit = c.task.process.limits.openFiles
        let fa = try c.task.files.install(a, closeOnExec: closeOnExec, limit: limit)
        let fb: Int32
        do { fb = try c.task.files.install(b, closeOnExec: closeOnExec, limit: limit) } catch {
            try? c.task.files.close(fa)
            b.release()
            throw error
        }
        var e = GuestEncoder(c.abi)
        e.i32(fa); e.i32(fb)
        do { try c.mm.write(address, e.bytes) } catch {
            try? c.task.files.close(fa); try? c.task.files.close(fb)
            throw error
        }
    }

    static func ioctl(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        let req = c.abi.ioctlFromGuest(c.uint(1))
        switch req {
        case 0x5451: try c.task.files.setCloseOnExec(c.int(0), true); return .zero  // FIOCLEX
        case 0x5450: try c.task.files.setCloseOnExec(c.int(0), false); return .zero  // FIONCLEX
        case 0x541B:  // FIONREAD (SIOCINQ)
            var e = GuestEncoder(c.abi)
            e.i32(Int32(clamping: try (f as? SocketFile)?.inputQueueLength() ?? f.bytesReadable))
            try c.mm.write(c.word(2), e.bytes)
            return .zero
        case 0x5421:  // FIONBIO
            let on = try c.mm.read(c.word(2), count: 4).contains { $0 != 0 }
            if on { f.flags.insert(.nonBlocking) } else { f.flags.remove(.nonBlocking) }
            return .zero
        case 0x5452:  // FIOASYNC
            let on = try c.mm.read(c.word(2), count: 4).contains { $0 != 0 }
            if on != f.flags.contains(.async) {
                if on { f.flags.insert(.async) } else { f.flags.remove(.async) }
                c.kernel.asyncChanged(f, fd: c.int(0))
            }
            return .zero
        default:
            return .value(try f.ioctl(req, c.word(2), task: c.task, kernel: c.kernel))
        }
    }
}

/// The guest memory a read or write moves: one buffer, or an iovec array's.
struct GuestBuffers {
    let parts: [(base: UInt64, length: Int)]
    let total: Int
    init(_ parts: [(UInt64, Int)]) {
        self.parts = parts.map { (base: $0.0, length: $0.1) }
        total = parts.reduce(0) { $0 + $1.1 }  // bounded by MAX_RW_COUNT (iovecs) or one size
    }
    /// Copies `bytes` into the buffers, starting `skip` bytes into them: one copy for all the
    /// pieces it spans (`AddressSpace.write(_:from:)`).
    func store(_ bytes: UnsafeRawBufferPointer, from skip: Int, _ mm: MemoryMap) throws(LinuxErrno) {
        let pieces = self.pieces(bytes.count, from: skip)
        switch pieces.count {
        case 0: return
        case 1: try mm.space.write(pieces[0].address, from: bytes)
        default: try mm.space.write(pieces, from: bytes)
        }
    }
    /// Fills `buffer` from the buffers, starting `skip` bytes into them (one copy, as `store`).
    func load(into buffer: UnsafeMutableRawBufferPointer, from skip: Int, _ mm: MemoryMap) throws(LinuxErrno) {
        let pieces = self.pieces(buffer.count, from: skip)
        switch pieces.count {
        case 0: return
        case 1: try mm.space.read(pieces[0].address, into: buffer)
        default: try mm.space.read(pieces, into: buffer)
        }
    }
    /// The guest ranges a `count`-byte step starting `skip` bytes into the buffers covers
    /// (empty parts left out).
    private func pieces(_ count: Int, from skip: Int) -> [GuestRange] {
        var out: [GuestRange] = []
        var skip = skip, done = 0
        for part in parts where done < count {
            if skip >= part.length { skip -= part.length; continue }
            let k = min(part.length - skip, count - done)
            // base + skip lies inside a part checkAccess accepted, so it does not wrap.
            if k > 0 { out.append(GuestRange(part.base + UInt64(skip), k)) }
            done += k
            skip = 0
        }
        return out
    }
}

extension Kernel {
    /// The most bytes one step of a read or write holds in umlab; larger transfers go in steps.
    static let ioChunk = 1 << 20
    /// Runs `body` over the syscall path's bounce buffer, `count` bytes (at most `ioChunk`).
    func withScratch<R>(_ count: Int, _ body: (UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> R) throws(LinuxErrno) -> R {
        assert(count <= Kernel.ioChunk, "I/O goes through the bounce buffer in steps of ioChunk")
        // Data passes through the kernel arena's I/O buffer (in TT mode, guests can see it).
        if count <= arena.ioBuffer.count {
            return try body(UnsafeMutableRawBufferPointer(rebasing: arena.ioBuffer[0..<count]))
        }
        if count > scratch.count { scratch = [UInt8](repeating: 0, count: Kernel.ioChunk) }
        return try typedErrno { try scratch.withUnsafeMutableBytes { p in
            try body(UnsafeMutableRawBufferPointer(rebasing: p[0..<count]))
        } }
    }

    /// Terminal ioctls on the console, answered by the host terminal when there is one.
    func terminalIoctl(_ request: UInt32, _ arg: UInt64, host: HostFD, task: Task) throws(LinuxErrno) -> UInt64 {
        let mm = task.mm
        switch request {
        case 0x5401, 0x5402, 0x5403, 0x5404:  // TCGETS, TCSETS, TCSETSW, TCSETSF
            // The host driver takes the generic layout; the ABI's codec lays it out for the guest.
            guard Host.isTerminal(host.raw) else { throw .ENOTTY }
            var raw = [UInt8](repeating: 0, count: 64)
            _ = try typedErrno { try raw.withUnsafeMutableBytes { p in try Host.ioctl(host.raw, 0x5401, p.baseAddress) } }
            if request == 0x5401 {
                try storeTermios(Termios(hostBytes: raw), mm, arg)
            } else {
                raw.replaceSubrange(0..<36, with: try guestTermios(mm, arg).hostBytes)
                _ = try typedErrno { try raw.withUnsafeMutableBytes { p in try Host.ioctl(host.raw, UInt(request), p.baseAddress) } }
            }
            return 0
        case 0x5413:  // TIOCGWINSZ
            var ws = [UInt8](repeating: 0, count: 8)
            if Host.isTerminal(host.raw) {
                _ = try typedErrno { try ws.withUnsafeMutableBytes { p in try Host.ioctl(host.raw, 0x5413, p.baseAddress) } }
            } else {
                throw .ENOTTY
            }
            var e = GuestEncoder(abi)
            WindowSize(hostBytes: ws).encode(&e)
            try mm.write(arg, e.bytes)
            return 0
        case 0x5414: return 0  // TIOCSWINSZ
        case 0x540F:  // TIOCGPGRP
            guard Host.isTerminal(host.raw) else { throw .ENOTTY }
            try storeInt(foregroundGroup ?? task.process.pgid, mm, arg)
            return 0
        case 0x5410:  // TIOCSPGRP
            guard Host.isTerminal(host.raw) else { throw .ENOTTY }
            foregroundGroup = try guestInt(mm, arg)
            return 0
        case 0x5429:  // TIOCGSID
            guard Host.isTerminal(host.raw) else { throw .ENOTTY }
            try storeInt(mainProcess?.sid ?? 1, mm, arg)
            return 0
        case 0x540E, 0x5422: return 0  // TIOCSCTTY, TIOCNOTTY
        case 0x540B, 0x540A: return 0  // TCFLSH, TCXONC
        case 0x5409: return 0  // TCSBRK (tcdrain)
        default: throw .ENOTTY
        }
    }
}
