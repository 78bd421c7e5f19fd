import HostOS
import LinuxABI

/// A pipe's buffer: a ring of `capacity` bytes, with counts of open read and write ends, and
/// the wait queue of everything that waits on it (readers, writers, poll, FIFO opens).
///
/// Where the ring lives is the isolation mode's business: in TT mode it is a pipe-buffer record
/// in the kernel arena while the arena has room (guests can snoop on it, as UML's TT allowed),
/// otherwise ordinary kernel memory, allocated at the first write. So an idle pipe costs no
/// buffer, and the number of pipes is bounded by RLIMIT_NOFILE, not by the arena.
public final class Pipe {
    /// A new pipe's size, and the most F_SETPIPE_SZ gives without privilege
    /// (/proc/sys/fs/pipe-max-size).
    public static let defaultCapacity = 65536
    public static let maxUnprivilegedCapacity = 1 << 20
    /// The ring's size: 64 KiB, or what F_SETPIPE_SZ set (`resize`).
    public private(set) var capacity = Pipe.defaultCapacity
    /// Writes of at most this many bytes are atomic.
    public static let atomicSize = 4096
    private var ring: UnsafeMutableRawPointer?
    /// The arena record holding the ring (TT), or nil when the ring is the kernel's own memory.
    private var arena: KernelArena?
    private var record: Int
    private var head = 0
    public private(set) var count = 0
    /// Open ends, counting FIFO opens still waiting for their partner (as Linux does: to a
    /// writer, a reader that is still opening is already there).
    var readers = 0
    var writers = 0
    /// Set once a writer has existed: a FIFO opened for reading alone does not report POLLHUP
    /// before (reads see EOF whenever no writer is there, as on Linux).
    var hadWriter = false
    /// Opens of the FIFO so far, by side: a FIFO open waits until the other side's count moves.
    var readerOpens: UInt64 = 0
    var writerOpens: UInt64 = 0
    let number: UInt64
    public let queue = WaitQueue()
    /// The machine's memory account, charged for a ring in kernel memory while it exists.
    private let account: MemoryController
    private var chargedRing = false

    init(kernel: Kernel) {
        account = kernel.memory
        number = kernel.nextPipeNumber
        kernel.nextPipeNumber &+= 1
        if kernel.config.mode == .tt, let r = kernel.arena.allocate(.pipe, owner: Int32(truncatingIfNeeded: number), payload: Pipe.defaultCapacity) {
            arena = kernel.arena
            record = r
            ring = kernel.arena.base + r
        } else {
            arena = nil
            record = 0
        }
    }
    deinit {
        if let arena { arena.release(record) } else { ring?.deallocate() }
        if chargedRing { account.uncharge(UInt64(capacity), .pipes) }
    }

    /// Allocates the ring in kernel memory before the first write, charged to the machine's
    /// memory (the write fails with ENOMEM past the limit, as Linux's pipe_write does).
    func prepareRing() throws(LinuxErrno) {
        guard ring == nil else { return }
        guard account.tryCharge(UInt64(capacity), .pipes) else { throw .ENOMEM }
        chargedRing = true
        ring = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    var space: Int { capacity - count }

    /// F_SETPIPE_SZ: the ring becomes `bytes` rounded up to a power-of-two number of pages (at
    /// least one); EBUSY if what is buffered would not fit, EPERM past pipe-max-size without
    /// privilege, ENOMEM past the machine's memory. The buffered bytes keep their order.
    func resize(to bytes: Int, privileged: Bool) throws(LinuxErrno) -> Int {
        guard bytes >= 0, bytes <= 1 << 31 else { throw .EINVAL }
        var size = 4096
        while size < bytes { size <<= 1 }
        if size > Pipe.maxUnprivilegedCapacity && !privileged { throw .EPERM }
        if size < count { throw .EBUSY }
        if size == capacity { return size }
        guard let old = ring else { capacity = size; return size }
        // A TT pipe keeps its arena record while the ring fits in it.
        if arena != nil && size <= Pipe.defaultCapacity && capacity <= Pipe.defaultCapacity {
            linearize(into: old, size: size)
            capacity = size
            return size
        }
        guard account.tryCharge(UInt64(size), .pipes) else { throw .ENOMEM }
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        _ = peek(into: UnsafeMutableRawBufferPointer(start: fresh, count: count))
        if let a = arena { a.release(record); arena = nil; record = 0 } else { old.deallocate() }
        if chargedRing { account.uncharge(UInt64(capacity), .pipes) }
        chargedRing = true
        ring = fresh
        head = 0
        capacity = size
        return size
    }

    /// Moves the buffered bytes to the start of `ring` (which stays), for a smaller ring.
    private func linearize(into ring: UnsafeMutableRawPointer, size: Int) {
        let n = count
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(n, 1), alignment: 16)
        defer { scratch.deallocate() }
        _ = peek(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<n]))
        ring.copyMemory(from: scratch.baseAddress!, byteCount: n)
        head = 0
    }

    func read(into buf: UnsafeMutableRawBufferPointer) -> Int {
        let n = peek(into: buf)
        consume(n)
        return n
    }

    /// Copies up to `buf.count` of the buffered bytes, oldest first, leaving them buffered
    /// (tee(2), and splice(2) out of a pipe, which consumes only what its destination took).
    func peek(into buf: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buf.count, count)
        guard n > 0, let ring else { return 0 }
        var done = 0
        while done < n {
            let at = (head + done) % capacity
            let chunk = min(n - done, capacity - at)
            buf.baseAddress!.advanced(by: done).copyMemory(from: ring + at, byteCount: chunk)
            done += chunk
        }
        return n
    }

    /// Drops the `n` oldest buffered bytes (at most what is buffered) and wakes writers.
    func consume(_ n: Int) {
        let n = min(n, count)
        guard n > 0 else { return }
        head = (head + n) % capacity
        count -= n
        if count == 0 { head = 0 }
        queue.notify([.output, .writeNormal])
    }

    func write(_ buf: UnsafeRawBufferPointer) -> Int {
        let n = min(buf.count, space)
        guard n > 0 else { return 0 }
        if ring == nil { ring = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16) }
        let ring = ring!
        var done = 0
        while done < n {
            let tail = (head + count) % capacity
            let chunk = min(n - done, capacity - tail)
            (ring + tail).copyMemory(from: buf.baseAddress!.advanced(by: done), byteCount: chunk)
            count += chunk
            done += chunk
        }
        queue.notify([.input, .readNormal])
        return n
    }
}

/// The inode of an anonymous pipe (Linux's pipefs): it makes `/proc/<pid>/fd/N` and
/// `/dev/fd/N` of a pipe openable again, each open a new end of the same pipe (as bash's
/// `<(...)` needs). Unlike a FIFO's, these opens never wait for the other side (Linux's
/// fifo_open skips the wait for pipefs).
final class PipeInode: Inode {
    let pipe: Pipe
    init(fs: FileSystem, pipe: Pipe) {
        self.pipe = pipe
        super.init(fs: fs)
    }
    override var kind: FileKind { .fifo }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.mode = FileMode.fifo | 0o600
        s.inode = pipe.number
        s.device = fs.device
        s.blockSize = 4096
        return s
    }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        return PipeEnd(pipe: pipe, reading: flags.canRead, writing: flags.canWrite, flags: flags, path: "pipe:[\(pipe.number)]", inode: self)
    }
    override func setMode(_ mode: UInt32) throws(LinuxErrno) {}
    override func setTimes(access: (Int64, Int64)?, modify: (Int64, Int64)?) throws(LinuxErrno) {}
}

/// The file system anonymous pipes' inodes belong to; never mounted.
final class PipeFS: FileSystem {
    init() { super.init(name: "pipefs", device: 12, readOnly: false) }
    private lazy var rootNode = Inode(fs: self)
    override var root: Inode { rootNode }
}

/// One end of a pipe (or a FIFO opened through the file system).
public final class PipeEnd: OpenFile {
    let pipe: Pipe
    let reading: Bool
    let writing: Bool

    init(pipe: Pipe, reading: Bool, writing: Bool, flags: OpenFlags, path: String, inode: Inode? = nil) {
        self.pipe = pipe; self.reading = reading; self.writing = writing
        if reading { pipe.readers += 1; pipe.readerOpens &+= 1 }
        if writing { pipe.writers += 1; pipe.writerOpens &+= 1; pipe.hadWriter = true }
        super.init(inode: inode, flags: flags, path: path)
        // A FIFO open waits for the other side: tell whoever waits that this side is here.
        pipe.queue.notify([.input, .output, .priority])
    }

    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        guard reading else { throw .EBADF }
        if buffer.count == 0 { return 0 }
        if pipe.count == 0 {
            if pipe.writers == 0 { return 0 }  // EOF (Linux: no writer, no data)
            throw .EAGAIN
        }
        return pipe.read(into: buffer)
    }

    /// EPIPE when no reader is left (the write path then sends SIGPIPE: CoreSyscalls.brokenPipe).
    public override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        guard writing else { throw .EBADF }
        if pipe.readers == 0 { throw .EPIPE }
        if buffer.count == 0 { return 0 }
        // Writes up to PIPE_BUF go in whole or not at all.
        if buffer.count <= Pipe.atomicSize && pipe.space < buffer.count { throw .EAGAIN }
        if pipe.space == 0 { throw .EAGAIN }
        try pipe.prepareRing()
        return pipe.write(buffer)
    }

    public override func stat() throws(LinuxErrno) -> FileStat {
        if let inode { return try inode.stat() }
        var s = FileStat()
        s.mode = FileMode.fifo | 0o600
        s.inode = pipe.number
        s.device = 12
        s.blockSize = 4096
        return s
    }

    public override func poll() -> PollEvents {
        var ev: PollEvents = []
        if reading {
            if pipe.count > 0 { ev.insert([.input, .readNormal]) }
            if pipe.writers == 0 && pipe.hadWriter { ev.insert(.hangUp) }
        }
        if writing {
            if pipe.space >= Pipe.atomicSize { ev.insert([.output, .writeNormal]) }
            if pipe.readers == 0 { ev.insert(.error) }
        }
        return ev
    }

    public override var bytesReadable: Int { reading ? pipe.count : 0 }

    public override var waitQueue: WaitQueue? { pipe.queue }

    public override func release() {
        if reading { pipe.readers -= 1 }
        if writing { pipe.writers -= 1 }
        // The last writer gone: readers see EOF (POLLHUP); the last reader gone: writers EPIPE.
        if reading && pipe.readers == 0 { pipe.queue.notify([.output, .error]) }
        if writing && pipe.writers == 0 { pipe.queue.notify([.input, .hangUp]) }
    }

    public override func ioctl(_ request: UInt32, _ argument: UInt64, task: Task, kernel: Kernel) throws(LinuxErrno) -> UInt64 {
        throw .ENOTTY
    }
}

/// The guest's console: umlab's own standard input and output.
///
/// Reads never block the kernel: a read with no input ready waits (like any blocking call) for
/// the host descriptor to become readable. Terminal ioctls go to the host terminal, so a guest
/// shell sees the same terminal settings umlab has.
public final class ConsoleFile: OpenFile {
    let input: HostFD
    let output: HostFD
    /// Readers and pollers of the console wait for the host descriptor through the event loop.
    let inputQueue: WaitQueue
    init(input: HostFD, output: HostFD, flags: OpenFlags, path: String, inode: Inode?, kernel: Kernel) {
        self.input = input; self.output = output
        inputQueue = kernel.hostQueue(input.raw)
        super.init(inode: inode, flags: flags, path: path)
    }

    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        if buffer.count == 0 { return 0 }
        let ready = Host.poll([(input.raw, 1)], timeoutMS: 0)[0]
        if ready == 0 { throw .EAGAIN }
        return try input.read(into: buffer)
    }
    public override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        try output.write(buffer)
    }
    public override func poll() -> PollEvents {
        var ev: PollEvents = [.output, .writeNormal]
        let r = Host.poll([(input.raw, 1)], timeoutMS: 0)[0]
        if r & 1 != 0 { ev.insert([.input, .readNormal]) }
        if r & 0x10 != 0 { ev.insert(.hangUp) }
        return ev
    }
    public override var waitQueue: WaitQueue? { inputQueue }
    public override func stat() throws(LinuxErrno) -> FileStat {
        if let inode { return try inode.stat() }
        var s = FileStat(try output.stat())
        s.uid = 0; s.gid = 0
        return s
    }
    public override func seek(_ offset: Int64, whence: Int32) throws(LinuxErrno) -> Int64 {
        try output.seek(offset, whence: whence)
    }

    public override func ioctl(_ request: UInt32, _ argument: UInt64, task: Task, kernel: Kernel) throws(LinuxErrno) -> UInt64 {
        try kernel.terminalIoctl(request, argument, host: Host.isTerminal(output.raw) ? output : input, task: task)
    }
    public override var bytesReadable: Int {
        var n: Int32 = 0
        _ = try? Host.ioctl(input.raw, 0x541B, &n)
        return Int(n)
    }
}
