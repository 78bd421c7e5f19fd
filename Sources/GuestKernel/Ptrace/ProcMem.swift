import LinuxABI

/// /proc/PID/mem: the process's memory as a file whose offsets are addresses, which debuggers
/// read and write (gdb before PTRACE_PEEKDATA). Opening it needs ptrace's access rule
/// (EACCES otherwise); writes go where a debugger's go (`MemoryMap.debuggerWrite`: read-only
/// text too). A read or write stops at the first byte that is not mapped: EIO if it is the first.
final class ProcMemNode: Inode {
    let number: UInt64
    weak var process: Process?
    unowned let kernel: Kernel
    init(fs: FileSystem, number: UInt64, process: Process, kernel: Kernel) {
        self.number = number; self.process = process; self.kernel = kernel
        super.init(fs: fs)
    }
    override var kind: FileKind { .regular }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.device = fs.device; s.inode = number; s.mode = FileMode.regular | 0o600; s.links = 1; s.blockSize = 1024
        return s
    }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        guard let p = process, !p.zombie else { throw .ESRCH }
        guard kernel.ptraceMayAccess(p, by: task) else { throw .EACCES }
        return ProcMemFile(inode: self, flags: flags, path: path, process: p)
    }
}

final class ProcMemFile: OpenFile {
    weak var process: Process?
    init(inode: Inode, flags: OpenFlags, path: String, process: Process) {
        self.process = process
        super.init(inode: inode, flags: flags, path: path)
    }

    private var memory: MemoryMap {
        get throws(LinuxErrno) {
            guard let mm = process?.mainThread?.mm else { throw .ESRCH }
            return mm
        }
    }

    /// Moves up to `count` bytes page by page from `address`; `step` moves one piece.
    private func transfer(_ address: UInt64, _ count: Int, _ step: (UInt64, Int, Int) throws(LinuxErrno) -> Void) throws(LinuxErrno) -> Int {
        let page = try memory.pageSize
        var done = 0
        while done < count {
            guard let at = GuestMath.end(address, UInt64(done)) else { break }
            let n = Int(min(UInt64(count - done), page - (at & (page - 1))))
            do { try step(at, done, n) } catch { break }
            done += n
        }
        if done == 0 && count > 0 { throw .EIO }
        return done
    }

    override func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        let mm = try memory
        return try transfer(UInt64(bitPattern: offset), buffer.count) { (at, done, n) throws(LinuxErrno) in
            let bytes = try mm.read(at, count: n)
            for k in 0..<n { buffer[done + k] = bytes[k] }
        }
    }
    override func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        let mm = try memory
        return try transfer(UInt64(bitPattern: offset), buffer.count) { (at, done, n) throws(LinuxErrno) in
            try mm.debuggerWrite(at, Array(buffer[done..<done + n]))
        }
    }
    override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        let n = try read(into: buffer, at: offset)
        offset += Int64(n)
        return n
    }
    override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        let n = try write(buffer, at: offset)
        offset += Int64(n)
        return n
    }
    /// Offsets are addresses, unsigned: SEEK_CUR wraps modulo 2^64 as Linux's mem_lseek does
    /// (the file has FMODE_UNSIGNED_OFFSET), so the sum is taken with wrapping on purpose.
    override func seek(_ off: Int64, whence: Int32) throws(LinuxErrno) -> Int64 {
        switch whence {
        case 0: offset = off
        case 1: offset = offset &+ off
        default: throw .EINVAL
        }
        return offset
    }
    override var isPollable: Bool { false }
}
