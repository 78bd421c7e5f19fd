import HostOS
import LinuxABI

/// A host directory as the guest's root file system, read-only, like UML's hostfs.
///
/// Confinement rests on two walls: the VFS resolves every guest path itself (".." stops at the
/// guest root, symlinks are read and resolved in the guest's namespace), and every host call
/// names either a path opened through openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
/// relative to the root's descriptor, or one entry (a single component, never "." or "..", a
/// symlink never followed) of a directory descriptor opened that way, so even a path the VFS
/// got wrong could not leave the directory. Only regular files, directories and symlinks are
/// reachable; host devices, FIFOs and sockets cannot be opened.
///
/// The path walk is cached (`HostInode.lookup`): each directory keeps the names looked up in
/// it, found or missing (negative entries), and the host is asked about a name again only
/// once `revalidation` has passed since it last answered, as an NFS client trusts its
/// attribute and lookup caches for `actimeo` seconds. umlab never changes this tree (it is
/// read-only; writes go to an overlay's upper layer or a read-write bind, `OverlayFS`), so only
/// the host can make a cached name wrong: a file it creates, removes or renames behind umlab's
/// back shows within `revalidation` (1 s by default; 0 asks every time). The status of an
/// object (stat) is never cached across guest calls: each call asks the host once.
public final class HostFS: FileSystem {
    let rootFD: HostFD
    public let hostPath: String
    private var rootInode: HostInode!
    /// The machine's descriptor budget: open files, and the directories the walk asks about,
    /// are held in its pool.
    let descriptors: HostDescriptors
    /// How long a name the host answered for (found or missing) is trusted, in nanoseconds.
    let revalidation: UInt64
    /// Names cached in all directories, and the generation that empties every directory's
    /// cache at once when they pass `Self.nameLimit`.
    private(set) var cachedNames = 0
    private(set) var generation = 0
    static let nameLimit = 65536
    /// The revalidation interval when the configuration does not set one.
    public static let defaultRevalidation: UInt64 = 1_000_000_000

    public init(hostPath: String, device: UInt64, descriptors: HostDescriptors,
                revalidation: UInt64 = HostFS.defaultRevalidation) throws(LinuxErrno) {
        rootFD = try HostFD.open(hostPath, flags: HostOpen.path | HostOpen.directory)
        self.hostPath = hostPath
        self.descriptors = descriptors
        self.revalidation = revalidation
        super.init(name: "hostfs", device: device, readOnly: true)
        let st = try rootFD.stat()
        guard FileKind(mode: st.mode) == .directory else { throw .ENOTDIR }
        rootInode = HostInode(fs: self, parent: nil, name: ".", stat: st)
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

    /// Counts a name newly cached; past the limit every directory's cache is dropped (the
    /// objects stay valid: a later lookup makes new ones).
    func noteCachedName() {
        cachedNames += 1
        if cachedNames > Self.nameLimit {
            cachedNames = 0
            generation &+= 1
        }
    }

    func open(_ relative: String, flags: Int32) throws(LinuxErrno) -> HostFD {
        try HostFD.open(beneath: rootFD, relative, flags: flags)
    }
    /// The O_PATH descriptor of directory `relative` from the pool, valid until the next pool use.
    func directory(_ relative: String) throws(LinuxErrno) -> HostFD {
        try descriptors.directory(relative, under: rootFD)
    }
}

final class HostInode: Inode {
    let relativePath: String
    /// The directory holding it (nil for the root) and its name there: host calls about it
    /// name this entry of the parent's descriptor.
    let parent: HostInode?
    let name: String
    let cachedKind: FileKind
    let hostInode: UInt64

    /// What a lookup in this directory found: the object, or that the name is missing, with
    /// the time the host said so (monotonic nanoseconds).
    private enum CachedName { case present(HostInode, at: UInt64), absent(at: UInt64) }
    private var names: [String: CachedName] = [:]
    private var namesGeneration = 0

    /// The status the host gave during guest call `statusEpoch` (see `HostDescriptors.callEpoch`).
    private var status: HostStat
    private var statusEpoch: UInt64

    init(fs: HostFS, parent: HostInode?, name: String, stat: HostStat) {
        self.parent = parent
        self.name = name
        relativePath = parent.map { $0.relativePath == "." ? name : $0.relativePath + "/" + name } ?? "."
        cachedKind = FileKind(mode: stat.mode)
        hostInode = stat.inode
        status = stat
        statusEpoch = fs.descriptors.callEpoch
        super.init(fs: fs)
    }

    var host: HostFS { fs as! HostFS }
    override var kind: FileKind { cachedKind }

    /// The host's status of the object now, or the one it gave earlier in this guest call.
    func hostStat() throws(LinuxErrno) -> HostStat {
        let h = host
        if statusEpoch == h.descriptors.callEpoch { return status }
        let st: HostStat
        if let parent {
            st = try h.directory(parent.relativePath).statEntry(name)
        } else {
            st = try h.rootFD.stat()
        }
        status = st
        statusEpoch = h.descriptors.callEpoch
        return st
    }

    override func stat() throws(LinuxErrno) -> FileStat { FileStat(try hostStat()) }

    override func lookup(_ name: String) throws(LinuxErrno) -> Inode {
        guard cachedKind == .directory else { throw .ENOTDIR }
        // The VFS walks "." and ".." itself; a name is one component.
        if name.isEmpty || name == "." || name == ".." { throw .ENOENT }
        let h = host
        if namesGeneration != h.generation {
            names.removeAll()
            namesGeneration = h.generation
        }
        let now = Host.monotonicNanoseconds()
        let known = names[name]
        switch known {
        case .present(let node, let at) where now &- at < h.revalidation:
            return node
        case .absent(let at) where now &- at < h.revalidation:
            throw .ENOENT
        default:
            break
        }
        let st: HostStat
        do {
            st = try h.directory(relativePath).statEntry(name)
        } catch .ENOENT {
            if known == nil { h.noteCachedName() }
            names[name] = .absent(at: now)
            throw .ENOENT
        }
        // The same object as before keeps its identity (the VFS compares objects); a name
        // the host now gives to another object gets a new one.
        if case .present(let node, _) = known, node.hostInode == st.inode, node.cachedKind == FileKind(mode: st.mode) {
            node.status = st
            node.statusEpoch = h.descriptors.callEpoch
            names[name] = .present(node, at: now)
            return node
        }
        if case .present(let old, _) = known, old.cachedKind == .directory {
            h.descriptors.forgetDirectory(old.relativePath, under: h.rootFD)
        }
        if known == nil { h.noteCachedName() }
        let node = HostInode(fs: h, parent: self, name: name, stat: st)
        names[name] = .present(node, at: now)
        return node
    }

    override func entries() throws(LinuxErrno) -> [DirectoryEntry] {
        // A readable descriptor of this directory, opened as an entry of its parent's pooled
        // descriptor: one host call, and a directory only listed (find's leaves) takes no
        // place in the pool.
        let fd: HostFD
        if let parent {
            fd = try HostFD.open(beneath: try host.directory(parent.relativePath), name,
                                 flags: HostOpen.readOnly | HostOpen.directory | HostOpen.noFollow)
        } else {
            fd = try HostFD.open(beneath: host.rootFD, ".", flags: HostOpen.readOnly | HostOpen.directory)
        }
        defer { fd.close() }
        let list = try fd.directoryEntries(rewind: false)
        var out: [DirectoryEntry] = []
        out.reserveCapacity(list.count)
        for e in list { out.append(DirectoryEntry(name: e.name, inode: e.inode, kind: FileKind(direntType: e.type))) }
        return out
    }

    override func readLink() throws(LinuxErrno) -> [UInt8] {
        guard cachedKind == .symlink, let parent else { throw .EINVAL }
        return try host.directory(parent.relativePath).readLinkEntry(name)
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
            return RegularFile(inode: self, flags: flags, path: path, contents: try HostFileContents(self))
        default:
            // Host devices, FIFOs and sockets stay out of the guest's reach.
            throw .EACCES
        }
    }

    /// A new read-only descriptor of this regular file: its entry opened in the parent's
    /// pooled descriptor (one component, no symlink followed).
    func openForReading() throws(LinuxErrno) -> HostFD {
        guard let parent else { throw .EISDIR }
        return try HostFD.open(beneath: try host.directory(parent.relativePath), name, flags: HostOpen.readOnly | HostOpen.noFollow)
    }
}

/// A hostfs file's bytes, read through the machine's descriptor pool: the open file holds no
/// host descriptor, so a guest opening 100,000 files costs umlab at most the pool's. Each reopen
/// checks that the path still names the file first opened (device and inode); a file replaced
/// on the host since reads as ESTALE, as an NFS file handle gone stale.
final class HostFileContents: FileContents, MappedFileSource {
    let inode: HostInode
    private var fs: HostFS { inode.host }
    private var relativePath: String { inode.relativePath }
    private let identity: (device: UInt64, inode: UInt64)

    /// Opens the file the entry names now: its status from this guest call's walk tells which
    /// file that is, and a pooled descriptor of another (replaced on the host) is dropped.
    init(_ inode: HostInode) throws(LinuxErrno) {
        self.inode = inode
        let st = try inode.hostStat()
        identity = (st.device, st.inode)
        let (fd, fresh) = try inode.host.descriptors.pooled(inode.relativePath, under: inode.host.rootFD, open: inode.openForReading)
        if !fresh, (try? fd.stat()).map({ $0.device != st.device || $0.inode != st.inode }) ?? true {
            inode.host.descriptors.forget(inode.relativePath, under: inode.host.rootFD)
        }
    }

    /// The file's descriptor from the pool, valid until the next pool operation. A descriptor
    /// opened now is checked to name the file first opened.
    private func descriptor() throws(LinuxErrno) -> HostFD {
        let (fd, fresh) = try fs.descriptors.pooled(relativePath, under: fs.rootFD, open: inode.openForReading)
        if fresh {
            let st = try fd.stat()
            guard st.device == identity.device, st.inode == identity.inode else {
                fs.descriptors.forget(relativePath, under: fs.rootFD)
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
