import HostOS
import LinuxABI

/// An open file description: what a guest fd refers to, shared by dup() and fork().
///
/// Subclasses override the operations their kind of file supports. I/O methods never block:
/// they throw EAGAIN, and the syscall layer turns that into a wait on `poll` unless the
/// description is non-blocking.
public class OpenFile {
    public var flags: OpenFlags
    public var offset: Int64 = 0
    /// The guest path that opened it (for /proc/<pid>/fd and /proc/<pid>/maps).
    public var path: String
    public let inode: Inode?
    /// Number of fd-table slots (in all processes) that refer to this description.
    var references = 0

    public init(inode: Inode?, flags: OpenFlags, path: String) {
        self.inode = inode; self.flags = flags; self.path = path
    }

    public var isNonBlocking: Bool { flags.contains(.nonBlocking) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int { throw .EINVAL }
    public func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int { throw .EINVAL }
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int { throw .ESPIPE }
    public func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int { throw .ESPIPE }
    public func seek(_ offset: Int64, whence: Int32) throws(LinuxErrno) -> Int64 { throw .ESPIPE }
    public func stat() throws(LinuxErrno) -> FileStat {
        guard let inode else { throw .EBADF }
        return try inode.stat()
    }
    public func truncate(_ length: Int64) throws(LinuxErrno) { throw .EINVAL }
    public func sync() throws(LinuxErrno) {}
    /// The directory entries, for getdents64 (directories only).
    public func directoryEntries() throws(LinuxErrno) -> [DirectoryEntry] { throw .ENOTDIR }
    public func ioctl(_ request: UInt32, _ argument: UInt64, task: Task, kernel: Kernel) throws(LinuxErrno) -> UInt64 { throw .ENOTTY }
    /// Current readiness.
    public func poll() -> PollEvents { [.input, .output] }
    /// Where a task waits for `poll()` to change; nil for files that are always ready.
    public var waitQueue: WaitQueue? { nil }
    /// Whether epoll may watch it: Linux refuses files without a poll method (regular files,
    /// directories) with EPERM.
    public var isPollable: Bool { true }
    /// The epoll interest-list entries that watch this description: they go when it is released
    /// (Linux's eventpoll_release), not when one of its descriptors is closed.
    var epollItems: [EpollItem] = []
    /// The machine's inotify registry, for a file opened by path: its last close is an event
    /// (IN_CLOSE_WRITE / IN_CLOSE_NOWRITE) when someone watches it.
    weak var inotify: Inotify?
    /// F_SETOWN/F_SETSIG state, and the O_ASYNC watcher while the flag is set (nil until a
    /// program asks for any of it).
    var owner: FileOwner?
    /// The file's identity for locking (VFS/Locks.swift), worked out at its first lock call.
    var lockKey: FileLockKey?
    /// Set once this description holds a flock or OFD lock: they go with its last reference.
    var heldLocks: FileLocks?
    /// Whether O_ASYNC sends signals when the file becomes readable or writable (Linux: the
    /// file has a fasync method). Any file with a wait queue can; eventfd, epoll, signalfd and
    /// timerfd cannot on Linux, and say so.
    public var sendsAsyncSignals: Bool { true }
    /// A host descriptor the backend can map (mmap of regular files).
    public func mappable(writable: Bool) throws(LinuxErrno) -> HostFileRef { throw .ENODEV }
    /// Frees the file's data in [offset, offset + length), which then reads as zeros, the size
    /// unchanged (fallocate's PUNCH_HOLE | KEEP_SIZE; what MADV_REMOVE does to a shared
    /// mapping's file). EOPNOTSUPP where the file system cannot, as on Linux.
    public func punchHole(offset: UInt64, length: UInt64) throws(LinuxErrno) { throw .EOPNOTSUPP }
    /// Called when the last reference goes away.
    public func release() {}
    /// Bytes ready to read (FIONREAD).
    public var bytesReadable: Int { 0 }
}

/// Where a regular file's bytes live: a hostfs file (reopened through the machine's descriptor
/// pool) or a tmpfs file's data. Shared by every open file description of the file.
public protocol FileContents: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int
    func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int
    func size() throws(LinuxErrno) -> Int64
    func truncate(_ length: Int64) throws(LinuxErrno)
    /// Frees the data of [offset, offset + length) (it reads as zeros), keeping the size:
    /// fallocate's PUNCH_HOLE, madvise's MADV_REMOVE. The range is valid (no wrap past 2^63).
    func punchHole(offset: Int64, length: Int64) throws(LinuxErrno)
    /// A host descriptor a backend can map, with the source the mapping keeps.
    func mappable(writable: Bool) throws(LinuxErrno) -> HostFileRef
    /// Reserves storage for [offset, offset + length) (fallocate): later writes there cannot
    /// fail for want of space, the data already there stays, and the size grows to cover the
    /// range unless `keepSize`. The range is valid (no wrap past 2^63).
    func allocate(offset: Int64, length: Int64, keepSize: Bool) throws(LinuxErrno)
}

extension FileContents {
    /// Files whose storage is the host's: growing the size is all there is to do.
    public func allocate(offset: Int64, length: Int64, keepSize: Bool) throws(LinuxErrno) {
        if !keepSize, offset + length > (try size()) { try truncate(offset + length) }
    }
}

/// An open regular file (hostfs or tmpfs): the description's offset and flags over the file's
/// contents.
public final class RegularFile: OpenFile {
    public let contents: any FileContents
    public init(inode: Inode?, flags: OpenFlags, path: String, contents: any FileContents) {
        self.contents = contents
        super.init(inode: inode, flags: flags, path: path)
    }
    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        let n = try contents.read(into: buffer, at: offset)
        offset += Int64(n)
        return n
    }
    public override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        if flags.contains(.append) { offset = try contents.size() }
        let n = try contents.write(buffer, at: offset)
        offset += Int64(n)
        didModify()
        return n
    }
    public override func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        try contents.read(into: buffer, at: offset)
    }
    public override func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        // Linux: pwrite on an O_APPEND descriptor appends, whatever the offset.
        let n = try contents.write(buffer, at: flags.contains(.append) ? try contents.size() : offset)
        didModify()
        return n
    }
    public override func seek(_ off: Int64, whence: Int32) throws(LinuxErrno) -> Int64 {
        let base: Int64
        switch whence {
        case 0: base = 0
        case 1: base = offset
        case 2: base = try contents.size()
        case 3, 4:  // SEEK_DATA, SEEK_HOLE: the whole file is data
            // Linux compares the offset with the size unsigned: a negative one is ENXIO too.
            let size = try contents.size()
            if off < 0 || off >= size { throw .ENXIO }
            offset = whence == 3 ? off : size
            return offset
        default: throw .EINVAL
        }
        offset = try GuestMath.filePosition(base, plus: off)
        return offset
    }
    public override func truncate(_ length: Int64) throws(LinuxErrno) {
        try contents.truncate(length)
        didModify()
    }
    public override func sync() throws(LinuxErrno) {}
    public override func mappable(writable: Bool) throws(LinuxErrno) -> HostFileRef {
        try contents.mappable(writable: writable)
    }
    public override func punchHole(offset: UInt64, length: UInt64) throws(LinuxErrno) {
        guard let start = Int64(exactly: offset), let count = Int64(exactly: length),
              (try? GuestMath.fileRange(offset: start, length: Int(count))) != nil else { throw .EINVAL }
        try contents.punchHole(offset: start, length: count)
        didModify()
    }
    public override var bytesReadable: Int { Int(max(0, ((try? contents.size()) ?? 0) - offset)) }
    public override var isPollable: Bool { false }
    /// tmpfs keeps modification times.
    func didModify() { (inode as? TmpNode)?.touchModify() }
}

/// A directory opened for getdents64.
public final class DirectoryFile: OpenFile {
    var snapshot: [DirectoryEntry]?
    public override func directoryEntries() throws(LinuxErrno) -> [DirectoryEntry] {
        if let snapshot { return snapshot }
        guard let inode else { throw .EBADF }
        let list = try inode.entries()
        snapshot = list
        return list
    }
    public override func seek(_ off: Int64, whence: Int32) throws(LinuxErrno) -> Int64 {
        guard whence == 0, off >= 0 else { throw .EINVAL }
        offset = off
        if off == 0 { snapshot = nil }
        return off
    }
    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int { throw .EISDIR }
    public override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int { throw .EBADF }
    public override var isPollable: Bool { false }
    public override func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int { throw .EISDIR }
}

/// An O_PATH descriptor (CoreSyscalls.openPath): it names an object of any kind without opening
/// it. Calls that only name the object take it (a *at() base, AT_EMPTY_PATH, fstat, fchdir,
/// dup); every call that would use the file refuses it with EBADF before reaching it
/// (CoreSyscalls.file), so it needs no operations of its own.
public final class PathFile: OpenFile {
    public override var isPollable: Bool { false }
}

/// A file whose whole content is produced when it is opened (procfs), read with an offset.
public final class SnapshotFile: OpenFile {
    let content: [UInt8]
    public init(inode: Inode?, flags: OpenFlags, path: String, content: [UInt8]) {
        self.content = content
        super.init(inode: inode, flags: flags, path: path)
    }
    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        let n = try read(into: buffer, at: offset)
        offset += Int64(n)
        return n
    }
    public override func read(into buffer: UnsafeMutableRawBufferPointer, at off: Int64) throws(LinuxErrno) -> Int {
        guard off >= 0 else { throw .EINVAL }
        if off >= content.count { return 0 }
        let n = min(buffer.count, content.count - Int(off))
        content.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + Int(off), byteCount: n)
        }
        return n
    }
    public override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int { throw .EACCES }
    public override func seek(_ off: Int64, whence: Int32) throws(LinuxErrno) -> Int64 {
        let base: Int64 = whence == 0 ? 0 : whence == 1 ? offset : whence == 2 ? Int64(content.count) : -1
        guard base >= 0 else { throw .EINVAL }
        offset = try GuestMath.filePosition(base, plus: off)
        return offset
    }
    public override var bytesReadable: Int { max(0, content.count - Int(offset)) }
}

/// A process's descriptor table, shared between tasks cloned with CLONE_FILES.
public final class FileTable {
    public struct Slot {
        public var file: OpenFile
        public var closeOnExec: Bool
    }
    /// The machine's file locks: this table owns the POSIX record locks its processes set,
    /// and any close of a descriptor for a file releases them (nil in tests without a kernel).
    let locks: FileLocks?
    public private(set) var slots: [Slot?] = []
    /// Every descriptor below this one is in use (Linux's next_fd): the search for the lowest
    /// free descriptor starts here, so opening the 20,000th file is not a scan of the first.
    private var firstFree = 0

    public init(locks: FileLocks? = nil) { self.locks = locks }
    deinit { locks?.ownerGone(ObjectIdentifier(self)) }

    public func copy() -> FileTable {
        let t = FileTable(locks: locks)
        t.slots = slots
        t.firstFree = firstFree
        for s in slots { s?.file.references += 1 }
        return t
    }

    public func get(_ fd: Int32) throws(LinuxErrno) -> OpenFile {
        guard fd >= 0, Int(fd) < slots.count, let s = slots[Int(fd)] else { throw .EBADF }
        return s.file
    }
    public func slot(_ fd: Int32) -> Slot? {
        guard fd >= 0, Int(fd) < slots.count else { return nil }
        return slots[Int(fd)]
    }

    /// Installs `file` at the lowest free descriptor >= `minimum`.
    public func install(_ file: OpenFile, closeOnExec: Bool, minimum: Int32 = 0, limit: Int) throws(LinuxErrno) -> Int32 {
        var fd = max(Int(minimum), firstFree)
        while fd < slots.count, slots[fd] != nil { fd += 1 }
        if Int(minimum) <= firstFree { firstFree = fd }
        if fd >= limit { throw .EMFILE }
        try place(file, at: Int32(fd), closeOnExec: closeOnExec)
        return Int32(fd)
    }

    /// Puts `file` at `fd`, closing what was there (dup2 semantics).
    public func place(_ file: OpenFile, at fd: Int32, closeOnExec: Bool) throws(LinuxErrno) {
        guard fd >= 0 else { throw .EBADF }
        while slots.count <= Int(fd) { slots.append(nil) }
        file.references += 1
        let old = slots[Int(fd)]
        slots[Int(fd)] = Slot(file: file, closeOnExec: closeOnExec)
        if let old { closed(old.file) }
    }

    public func setCloseOnExec(_ fd: Int32, _ value: Bool) throws(LinuxErrno) {
        guard fd >= 0, Int(fd) < slots.count, slots[Int(fd)] != nil else { throw .EBADF }
        slots[Int(fd)]!.closeOnExec = value
    }

    public func close(_ fd: Int32) throws(LinuxErrno) {
        guard fd >= 0, Int(fd) < slots.count, let s = slots[Int(fd)] else { throw .EBADF }
        slots[Int(fd)] = nil
        firstFree = min(firstFree, Int(fd))
        closed(s.file)
    }

    public func closeAll() {
        let old = slots
        slots = []
        firstFree = 0
        for s in old { if let s { closed(s.file) } }
        locks?.ownerGone(ObjectIdentifier(self))
    }

    public func closeOnExec() {
        for i in slots.indices where slots[i]?.closeOnExec == true {
            let f = slots[i]!.file
            slots[i] = nil
            firstFree = min(firstFree, i)
            closed(f)
        }
    }

    /// A descriptor of this table for `file` was closed: this table's POSIX locks on the file
    /// go (whichever descriptor set them), then the reference.
    private func closed(_ file: OpenFile) {
        locks?.descriptorClosed(file, by: ObjectIdentifier(self))
        FileTable.drop(file)
    }

    static func drop(_ file: OpenFile) {
        file.references -= 1
        if file.references == 0 {
            file.heldLocks?.descriptionReleased(file)
            file.inotify?.closed(file)
            for item in file.epollItems { item.epoll?.remove(item) }
            file.owner?.stopWatching()
            file.release()
        }
    }

    public var openDescriptors: [Int32] { slots.indices.compactMap { slots[$0] == nil ? nil : Int32($0) } }
}
