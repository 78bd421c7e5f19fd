import HostOS
import LinuxABI

/// A host directory as the guest's root file system, read-only, like UML's hostfs.
///
/// Confinement rests on two walls: the VFS resolves every guest path itself (".." stops at the
/// guest root, symlinks are read and resolved in the guest's namespace), and every host open
/// goes through openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS relative to the root's
/// descriptor, so even a path the VFS got wrong could not leave the directory. Only regular files,
/// directories and symlinks are reachable; host devices, FIFOs and sockets cannot be opened.
public final class HostFS: FileSystem {
    let rootFD: HostFD
    public let hostPath: String
    private var rootInode: HostInode!
    private var cache: [String: HostInode] = [:]
    /// The machine's descriptor budget: open files are read through its pool.
    let descriptors: HostDescriptors

    public init(hostPath: String, device: UInt64, descriptors: HostDescriptors) throws(LinuxErrno) {
        rootFD = try HostFD.open(hostPath, flags: HostOpen.path | HostOpen.directory)
        self.hostPath = hostPath
        self.descriptors = descriptors
        super.init(name: "hostfs", device: device, readOnly: true)
        let st = try rootFD.stat()
        guard FileKind(mode: st.mode) == .directory else { throw .ENOTDIR }
        rootInode = HostInode(fs: self, relativePath: ".", stat: st)
    }

    public override var root: Inode { rootInode }

    private var isOpen = true
    /// Closes the root's descriptor when the machine ends; nothing is opened after.
    public override func release() {
        guard isOpen else { return }
        isOpen = false
        rootFD.close()
    }
    deinit { release() }

    func inode(_ relative: String) throws(LinuxErrno) -> HostInode {
        if let c = cache[relative] { return c }
        let fd = try HostFD.open(beneath: rootFD, relative, flags: HostOpen.path | HostOpen.noFollow)
        defer { fd.close() }
        let node = HostInode(fs: self, relativePath: relative, stat: try fd.stat())
        if cache.count > 65536 { cache.removeAll(keepingCapacity: true) }
        cache[relative] = node
        return node
    }

    func open(_ relative: String, flags: Int32) throws(LinuxErrno) -> HostFD {
        try HostFD.open(beneath: rootFD, relative, flags: flags)
    }
}

final class HostInode: Inode {
    let relativePath: String
    let cachedKind: FileKind
    let hostInode: UInt64

    init(fs: HostFS, relativePath: String, stat: HostStat) {
        self.relativePath = relativePath
        cachedKind = FileKind(mode: stat.mode)
        hostInode = stat.inode
        super.init(fs: fs)
    }

    var host: HostFS { fs as! HostFS }
    override var kind: FileKind { cachedKind }

    override func stat() throws(LinuxErrno) -> FileStat {
        let fd = try host.open(relativePath, flags: HostOpen.path | HostOpen.noFollow)
        defer { fd.close() }
        return FileStat(try fd.stat())
    }

    override func lookup(_ name: String) throws(LinuxErrno) -> Inode {
        guard cachedKind == .directory else { throw .ENOTDIR }
        return try host.inode(relativePath == "." ? name : relativePath + "/" + name)
    }

    override func entries() throws(LinuxErrno) -> [DirectoryEntry] {
        let fd = try host.open(relativePath, flags: HostOpen.readOnly | HostOpen.directory)
        defer { fd.close() }
        return try fd.directoryEntries().map { e in
            DirectoryEntry(name: e.name, inode: e.inode, kind: FileKind(direntType: e.type))
        }
    }

    override func readLink() throws(LinuxErrno) -> [UInt8] {
        guard cachedKind == .symlink else { throw .EINVAL }
        let fd = try host.open(relativePath, flags: HostOpen.path | HostOpen.noFollow)
        defer { fd.close() }
        return try fd.readLink()
    }

    /// The host's attributes are not shown (VFS/XattrStore.swift): none exists here.
    override func extendedAttribute(_ name: [UInt8]) throws(LinuxErrno) -> [UInt8] { throw .ENODATA }

    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        if flags.canWrite || flags.contains(.truncate) { throw .EROFS }
        switch cachedKind {
        case .directory:
            return DirectoryFile(inode: self, flags: flags, path: path)
        case .regular:
            if flags.contains(.directory) { throw .ENOTDIR }
            return RegularFile(inode: self, flags: flags, path: path, contents: try HostFileContents(host, relativePath))
        default:
            // Host devices, FIFOs and sockets stay out of the guest's reach.
            throw .EACCES
        }
    }
}

/// A hostfs file's bytes, read through the machine's descriptor pool: the open file holds no
/// host descriptor, so a guest opening 100,000 files costs umlab at most the pool's. Each reopen
/// checks that the path still names the file first opened (device and inode); a file replaced
/// on the host since reads as ESTALE, as an NFS file handle gone stale.
final class HostFileContents: FileContents, MappedFileSource {
    let fs: HostFS
    let relativePath: String
    private let identity: (device: UInt64, inode: UInt64)

    init(_ fs: HostFS, _ relativePath: String) throws(LinuxErrno) {
        self.fs = fs; self.relativePath = relativePath
        let st = try fs.descriptors.pooled(relativePath, under: fs.rootFD).fd.stat()
        identity = (st.device, st.inode)
    }

    /// The file's descriptor from the pool, valid until the next pool operation. A descriptor
    /// opened now is checked to name the file first opened.
    private func descriptor() throws(LinuxErrno) -> HostFD {
        let (fd, fresh) = try fs.descriptors.pooled(relativePath, under: fs.rootFD)
        if fresh {
            let st = try fd.stat()
            guard st.device == identity.device, st.inode == identity.inode else {
                fs.descriptors.forget(relativePath)
                throw .ESTALE
            }
        }
        return fd
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        try descriptor().read(into: buffer, at: offset)
    }
    func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int { throw .EBADF }
    func size() throws(LinuxErrno) -> Int64 { try descriptor().stat().size }
    func truncate(_ length: Int64) throws(LinuxErrno) { throw .EROFS }
    func punchHole(offset: Int64, length: Int64) throws(LinuxErrno) { throw .EROFS }
    func mappable(writable: Bool) throws(LinuxErrno) -> HostFileRef {
        if writable { throw .EACCES }
        return HostFileRef(fd: try descriptor().raw, writable: false, source: self)
    }
    var mappedSize: UInt64 { UInt64(max(0, (try? size()) ?? 0)) }
    func readMapped(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(LinuxErrno) -> Int {
        guard offset <= UInt64(Int64.max) else { return 0 }
        return try read(into: buffer, at: Int64(offset))
    }
}

extension FileKind {
    init(direntType t: UInt8) {
        switch t {
        case 1: self = .fifo
        case 2: self = .characterDevice
        case 4: self = .directory
        case 6: self = .blockDevice
        case 10: self = .symlink
        case 12: self = .socket
        default: self = .regular
        }
    }
}

extension FileStat {
    init(_ s: HostStat) {
        self.init()
        device = s.device; inode = s.inode; mode = s.mode; links = s.links; uid = s.uid; gid = s.gid
        rdev = s.rdev; size = s.size; blockSize = s.blockSize; blocks = s.blocks
        atime = s.atime; mtime = s.mtime; ctime = s.ctime
    }
}
