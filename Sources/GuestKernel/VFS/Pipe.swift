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
    public static let capacity = 65536
    /// Writes of at most this many bytes are atomic.
    public static let atomicSize = 4096
    private var ring: UnsafeMutableRawPointer?
    /// The arena record holding the ring (TT), or nil when the ring is the kernel's own memory.
    private let arena: KernelArena?
    private let record: Int
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
        if kernel.config.mode == .tt, let r = kernel.arena.allocate(.pipe, owner: Int32(truncatingIfNeeded: number), payload: Pipe.capacity) {
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
        if chargedRing { account.uncharge(UInt64(Pipe.capacity), .pipes) }
    }

    /// Allocates the ring in kernel memory before the first write, charged to the machine's
    /// memory (the write fails with ENOMEM past the limit, as Linux's pipe_write does).
    func prepareRing() throws(LinuxErrno) {
        guard ring == nil else { return }
        guard account.tryCharge(UInt64(Pipe.capacity), .pipes) else { throw .ENOMEM }
        chargedRing = true
        ring = UnsafeMutableRawPointer.allocate(byteCount: Pipe.capacity, alignment: 16)
    }

    var space: Int { Pipe.capacity - count }

    func read(into buf: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buf.count, count)
        guard n > 0, let ring else { return 0 }
        var done = 0
        while done < n {
            let chunk = min(n - done, Pipe.capacity - head)
            buf.baseAddress!.advanced(by: done).copyMemory(from: ring + head, byteCount: chunk)
            head = (head + chunk) % Pipe.capacity
            done += chunk
        }
        count -= n
        if count == 0 { head = 0 }
        queue.notify([.output, .writeNormal])
        return n
    }

    func write(_ buf: UnsafeRawBufferPointer) -> Int {
        let n = min(buf.count, space)
        guard n > 0 else { return 0 }
        if ring == nil { ring = UnsafeMutableRawPointer.allocate(byteCount: Pipe.capacity, alignment: 16) }
        let ring = ring!
        var done = 0
        while done < n {
            let tail = (head + count) % Pipe.capacity
            let chunk = min(n - done, Pipe.capacity - tail)
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
