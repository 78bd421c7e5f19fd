import HostOS
import LinuxABI

/// A pipe's buffer: a ring of `capacity` bytes, with counts of open read and write ends.
/// The ring lives in the kernel arena (a pipe-buffer record), the read position here.
public final class Pipe {
    public static let capacity = 65536
    /// Writes of at most this many bytes are atomic.
    public static let atomicSize = 4096
    private let ring: UnsafeMutableRawPointer
    private let arena: KernelArena
    private let record: Int
    private var head = 0
    public private(set) var count = 0
    var readers = 0
    var writers = 0
    /// Set once a writer has existed (a FIFO opened for reading alone does not see EOF before).
    var hadWriter = false
    let number: UInt64
    static var nextNumber: UInt64 = 1

    /// ENFILE when the arena has no room for another pipe buffer.
    init(arena: KernelArena) throws(LinuxErrno) {
        number = Pipe.nextNumber
        guard let r = arena.allocate(.pipe, owner: Int32(truncatingIfNeeded: number), payload: Pipe.capacity) else { throw .ENFILE }
        Pipe.nextNumber += 1
        self.arena = arena; record = r; ring = arena.base + r
    }
    deinit { arena.release(record) }

    var space: Int { Pipe.capacity - count }

    func read(into buf: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buf.count, count)
        var done = 0
        while done < n {
            let chunk = min(n - done, Pipe.capacity - head)
            buf.baseAddress!.advanced(by: done).copyMemory(from: ring + head, byteCount: chunk)
            head = (head + chunk) % Pipe.capacity
            done += chunk
        }
        count -= n
        if count == 0 { head = 0 }
        return n
    }

    func write(_ buf: UnsafeRawBufferPointer) -> Int {
        let n = min(buf.count, space)
        var done = 0
        while done < n {
            let tail = (head + count) % Pipe.capacity
            let chunk = min(n - done, Pipe.capacity - tail)
            (ring + tail).copyMemory(from: buf.baseAddress!.advanced(by: done), byteCount: chunk)
            count += chunk
            done += chunk
        }
        return n
    }
}

/// One end of a pipe (or a FIFO opened through the file system).
public final class PipeEnd: OpenFile {
    let pipe: Pipe
    let reading: Bool
    let writing: Bool

    init(pipe: Pipe, reading: Bool, writing: Bool, flags: OpenFlags, path: String, inode: Inode? = nil) {
        self.pipe = pipe; self.reading = reading; self.writing = writing
        if reading { pipe.readers += 1 }
        if writing { pipe.writers += 1; pipe.hadWriter = true }
        super.init(inode: inode, flags: flags, path: path)
    }

    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        guard reading else { throw .EBADF }
        if buffer.count == 0 { return 0 }
        if pipe.count == 0 {
            if pipe.writers == 0 && (pipe.hadWriter || inode == nil) { return 0 }
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

    public override func release() {
        if reading { pipe.readers -= 1 }
        if writing { pipe.writers -= 1 }
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
    public init(input: HostFD, output: HostFD, flags: OpenFlags, path: String, inode: Inode?) {
        self.input = input; self.output = output
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
    public override var pollHostFD: Int32? { input.raw }
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
