import LinuxABI

// The virtual file system: inodes from several file systems stitched together by a mount table,
// and a path walk that the kernel performs itself, so that a guest can never name a host path
// outside its root (".." stops at the root, symlinks are resolved in the guest's namespace).

public enum FileKind: Sendable {
    case regular, directory, symlink, characterDevice, blockDevice, fifo, socket
    public var modeBits: UInt32 {
        switch self {
        case .regular: FileMode.regular
        case .directory: FileMode.directory
        case .symlink: FileMode.symlink
        case .characterDevice: FileMode.character
        case .blockDevice: FileMode.block
        case .fifo: FileMode.fifo
        case .socket: FileMode.socket
        }
    }
    /// d_type for getdents64.
    public var direntType: UInt8 {
        switch self {
        case .fifo: 1
        case .characterDevice: 2
        case .directory: 4
        case .blockDevice: 6
        case .regular: 8
        case .symlink: 10
        case .socket: 12
        }
    }
    public init(mode: UInt32) {
        switch mode & FileMode.typeMask {
        case FileMode.directory: self = .directory
        case FileMode.symlink: self = .symlink
        case FileMode.character: self = .characterDevice
        case FileMode.block: self = .blockDevice
        case FileMode.fifo: self = .fifo
        case FileMode.socket: self = .socket
        default: self = .regular
        }
    }
}

public struct DirectoryEntry {
    public var name: String
    public var inode: UInt64
    public var kind: FileKind
    public init(name: String, inode: UInt64, kind: FileKind) { self.name = name; self.inode = inode; self.kind = kind }
}

/// A file system object. Directory operations default to ENOTDIR, the rest to EINVAL/EPERM, so
/// each file system implements only what its objects support.
public class Inode {
    public unowned let fs: FileSystem
    public init(fs: FileSystem) { self.fs = fs }

    public var kind: FileKind { .regular }
    public func stat() throws(LinuxErrno) -> FileStat { FileStat() }

    // Directories.
    public func lookup(_ name: String) throws(LinuxErrno) -> Inode { throw .ENOTDIR }
    public func entries() throws(LinuxErrno) -> [DirectoryEntry] { throw .ENOTDIR }
    public func create(_ name: String, kind: FileKind, mode: UInt32, credentials: Credentials) throws(LinuxErrno) -> Inode {
        throw kind == .directory || self.kind == .directory ? fs.readOnlyError : .ENOTDIR
    }
    public func symlink(_ name: String, target: [UInt8]) throws(LinuxErrno) { throw fs.readOnlyError }
    /// Makes a character or block device node `name` for device number `rdev` (mknod as root).
    public func makeDevice(_ name: String, block: Bool, rdev: UInt64, mode: UInt32, credentials: Credentials) throws(LinuxErrno) {
        throw fs.readOnly ? .EROFS : .EPERM
    }
    public func link(_ name: String, to inode: Inode) throws(LinuxErrno) { throw fs.readOnlyError }
    public func unlink(_ name: String, directory: Bool) throws(LinuxErrno) { throw fs.readOnlyError }
    /// Moves `name` from this directory to `newName` in `target` (same file system).
    public func rename(_ name: String, to target: Inode, _ newName: String, flags: UInt32) throws(LinuxErrno) {
        throw fs.readOnlyError
    }

    // Symlinks.
    public func readLink() throws(LinuxErrno) -> [UInt8] { throw .EINVAL }

    // Attributes.
    public func setMode(_ mode: UInt32) throws(LinuxErrno) { throw fs.readOnlyError }
    public func setOwner(uid: UInt32?, gid: UInt32?) throws(LinuxErrno) { throw fs.readOnlyError }
    public func setTimes(access: (Int64, Int64)?, modify: (Int64, Int64)?) throws(LinuxErrno) { throw fs.readOnlyError }
    public func truncate(_ length: Int64) throws(LinuxErrno) { throw fs.readOnlyError }

    // Extended attributes (see VFS/XattrStore.swift). The syscall layer has checked the
    // name (namespace, length), the value's size and the caller's permission; these only
    // store. The defaults are a file system without xattrs, as Linux answers for one.
    /// The value of `name`; ENODATA when it has none.
    public func extendedAttribute(_ name: [UInt8]) throws(LinuxErrno) -> [UInt8] { throw .EOPNOTSUPP }
    /// The names of the object's attributes, in the order listxattr gives them.
    public func extendedAttributeNames() throws(LinuxErrno) -> [[UInt8]] { [] }
    /// Sets `name` to `value` (nil: removes it; ENODATA if absent), as `mode` allows.
    public func setExtendedAttribute(_ name: [UInt8], _ value: [UInt8]?, _ mode: XattrSetMode) throws(LinuxErrno) {
        throw .EOPNOTSUPP
    }

    /// Opens the object. `path` is the guest path it was reached by (for /proc/<pid>/fd).
    public func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        throw .ENXIO
    }

    /// Identity for the dentry cache and rename checks.
    public var identity: ObjectIdentifier { ObjectIdentifier(self) }
}

/// A mounted file system.
public class FileSystem {
    public let name: String
    public let device: UInt64
    public var readOnly: Bool
    public init(name: String, device: UInt64, readOnly: Bool) { self.name = name; self.device = device; self.readOnly = readOnly }
    public var root: Inode { fatalError("abstract") }
    /// The error modifications get: EROFS on a read-only mount, EPERM where the object refuses.
    public var readOnlyError: LinuxErrno { readOnly ? .EROFS : .EPERM }
    /// Mount options as /proc/mounts shows them.
    public var mountOptions: String { readOnly ? "ro" : "rw" }
    /// Called when the machine ends: host resources the file system holds go (see Kernel.end).
    public func release() {}
}

/// A position in the guest's file tree: the object, and the canonical absolute path that
/// reached it (no symlinks, no "." or ".."), which the mount table and ".." work from.
public struct Location {
    public var inode: Inode
    public var path: String
    public init(inode: Inode, path: String) { self.inode = inode; self.path = path }
    public var isRoot: Bool { path == "/" }
    public func child(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }
    public var parentPath: String {
        guard let slash = path.lastIndex(of: "/"), path != "/" else { return "/" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
    public var name: String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

public struct Mount {
    /// The mount's number in /proc/self/mountinfo, and its parent's (the mount its point lies on).
    public var id: Int
    public var parentID: Int
    public var path: String
    public var fs: FileSystem
    public var source: String
    /// The mounts this one covers at the same point, innermost last (umount uncovers it).
    var covered: [Mount] = []
}

/// The mount table and path resolution.
public final class VFS {
    public private(set) var mounts: [String: Mount] = [:]
    public private(set) var mountOrder: [String] = []
    /// The directories holding mount points, and the names mounted in each, in mount order:
    /// the walk and directory listings consult the mount table only in these.
    private var mountsByParent: [String: [String]] = [:]
    public var rootLocation: Location
    private var nextMountID = 2

    public init(root: FileSystem, source: String) {
        rootLocation = Location(inode: root.root, path: "/")
        mounts["/"] = Mount(id: 1, parentID: 1, path: "/", fs: root, source: source)
        mountOrder = ["/"]
    }

    /// Mounts `fs` at the canonical absolute `path`: a directory, or a single file mounted
    /// over a file (as a bind mount of one file; /etc/hosts). A mount on a mount point covers
    /// the one there until it is unmounted.
    public func mount(_ fs: FileSystem, at path: String, source: String) {
        var m = Mount(id: nextMountID, parentID: mountContaining(path).id, path: path, fs: fs, source: source)
        nextMountID += 1
        if let under = mounts[path] {
            m.parentID = under.id
            m.covered = under.covered + [under]
            mountOrder.removeAll { $0 == path }
        }
        mounts[path] = m
        mountOrder.append(path)
        indexMountPoints()
    }

    /// Rebuilds `mountsByParent` from `mountOrder` (after a mount or unmount).
    private func indexMountPoints() {
        mountsByParent = [:]
        for mountPath in mountOrder where mountPath != "/" {
            guard let slash = mountPath.lastIndex(of: "/") else { continue }
            let parent = slash == mountPath.startIndex ? "/" : String(mountPath[..<slash])
            mountsByParent[parent, default: []].append(String(mountPath[mountPath.index(after: slash)...]))
        }
    }

    /// Removes the mount at the canonical `path`, uncovering what it covered; EINVAL when
    /// `path` is no mount point, EBUSY for the root or a mount with mounts inside it.
    public func unmount(_ path: String) throws(LinuxErrno) {
        guard var m = mounts[path] else { throw .EINVAL }
        if path == "/" { throw .EBUSY }
        let prefix = path + "/"
        if mountOrder.contains(where: { $0.hasPrefix(prefix) }) { throw .EBUSY }
        mountOrder.removeAll { $0 == path }
        if let under = m.covered.popLast() {
            var restored = under
            restored.covered = m.covered
            mounts[path] = restored
            mountOrder.append(path)
        } else {
            mounts[path] = nil
        }
        indexMountPoints()
    }

    /// The mount whose tree holds the canonical `path` (not counting a mount at `path` itself).
    func mountContaining(_ path: String) -> Mount {
        var p = path
        while p != "/" {
            p = Location(inode: rootLocation.inode, path: p).parentPath
            if let m = mounts[p] { return m }
        }
        return mounts["/"]!
    }

    /// Every mount, in the order they were made, the covered ones before those covering them.
    public var allMounts: [Mount] {
        var out: [Mount] = []
        for path in mountOrder { if let m = mounts[path] { out += m.covered + [m] } }
        return out.sorted { $0.id < $1.id }
    }

    /// `name` in the directory `dir`, once mounts are applied: a mount point is there whatever
    /// the directory holds, so /tmp, /proc and /dev exist even under a `--root` without them.
    public func lookup(_ name: String, in dir: Location) throws(LinuxErrno) -> Inode {
        if mountsByParent[dir.path] != nil, let m = mounts[dir.child(name)] { return m.fs.root }
        return try dir.inode.lookup(name)
    }

    /// The entries a listing of the directory at the canonical `path` shows besides its own:
    /// the mount points in it that the directory itself lacks (after `own`, in mount order).
    public func mountPoints(in path: String, besides own: [DirectoryEntry]) -> [DirectoryEntry] {
        guard let names = mountsByParent[path] else { return [] }
        var extra: [DirectoryEntry] = []
        let prefix = path == "/" ? "/" : path + "/"
        for name in names {
            guard let m = mounts[prefix + name], !own.contains(where: { $0.name == name }) else { continue }
            let inode = (try? m.fs.root.stat().inode) ?? 0
            extra.append(DirectoryEntry(name: name, inode: inode, kind: m.fs.root.kind))
        }
        return extra
    }

    static let maxSymlinks = 40

    /// Resolves `path` starting from `base` (used for relative paths) within `root`.
    ///
    /// - Parameters:
    ///   - followFinal: whether a symlink in the last component is followed.
    ///   - searcher: whose search permission every directory looked into must grant (EACCES
    ///     otherwise, as Linux's may_lookup); nil for umlab's own walks.
    public func resolve(_ path: [UInt8], base: Location, root: Location, followFinal: Bool,
                        searcher: Credentials? = nil) throws(LinuxErrno) -> Location {
        var budget = VFS.maxSymlinks
        let searcher = searcher?.overridesFilePermissions == true ? nil : searcher
        return try walk(path, base: base, root: root, followFinal: followFinal, searcher: searcher, budget: &budget)
    }

    /// EACCES unless `searcher` may search the directory `dir`.
    @inline(__always)
    private func checkSearch(_ dir: Location, _ searcher: Credentials?) throws(LinuxErrno) {
        guard let searcher else { return }
        if !searcher.permits(1, try dir.inode.stat()) { throw .EACCES }
    }

    /// Resolves all but the last component; returns the directory and the final name.
    /// The name is "" for paths that end at the root, and keeps a trailing-slash marker out.
    /// The final name is looked up by the caller, so `searcher` must be able to search the
    /// directory returned too.
    public func resolveParent(_ path: [UInt8], base: Location, root: Location,
                              searcher: Credentials? = nil) throws(LinuxErrno) -> (Location, String, trailingSlash: Bool) {
        let searcher = searcher?.overridesFilePermissions == true ? nil : searcher
        if path.isEmpty { throw .ENOENT }
        var comps = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        let trailingSlash = path.last == UInt8(ascii: "/")
        guard let last = comps.popLast() else { return (root, "", trailingSlash) }
        var prefix: [UInt8] = path.first == UInt8(ascii: "/") ? [UInt8(ascii: "/")] : []
        for (i, c) in comps.enumerated() {
            if i > 0 { prefix.append(UInt8(ascii: "/")) }
            prefix += c
        }
        let dir: Location
        if prefix.isEmpty { dir = base } else { dir = try resolve(prefix, base: base, root: root, followFinal: true, searcher: searcher) }
        guard dir.inode.kind == .directory else { throw .ENOTDIR }
        try checkSearch(dir, searcher)
        let name = FileName.string(last)
        if last.count > 255 { throw .ENAMETOOLONG }
        return (dir, name, trailingSlash)
    }

    private func walk(_ path: [UInt8], base: Location, root: Location, followFinal: Bool, searcher: Credentials?,
                      budget: inout Int) throws(LinuxErrno) -> Location {
        if path.isEmpty { throw .ENOENT }
        if path.count >= 4096 { throw .ENAMETOOLONG }
        var cur = path.first == UInt8(ascii: "/") ? root : base
        let comps = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        let mustBeDirectory = path.last == UInt8(ascii: "/")
        for (i, comp) in comps.enumerated() {
            let isLast = i == comps.count - 1
            if comp.count > 255 { throw .ENAMETOOLONG }
            guard cur.inode.kind == .directory else { throw .ENOTDIR }
            try checkSearch(cur, searcher)
            if comp.count == 1 && comp.first == UInt8(ascii: ".") { continue }
            if comp.count == 2 && comp.first == UInt8(ascii: ".") && comp.last == UInt8(ascii: ".") {
                if cur.path == root.path { continue }
                cur = try locate(cur.parentPath)
                continue
            }
            let name = FileName.string(comp)
            let childPath = cur.child(name)
            let child = try lookup(name, in: cur)
            if child.kind == .symlink && (!isLast || followFinal || mustBeDirectory) {
                budget -= 1
                if budget < 0 { throw .ELOOP }
                let target = try child.readLink()
                if let magic = child as? MagicLink, let loc = magic.location {
                    cur = loc
                } else {
                    cur = try walk(target, base: cur, root: root, followFinal: true, searcher: searcher, budget: &budget)
                }
                continue
            }
            cur = Location(inode: child, path: childPath)
        }
        if mustBeDirectory && cur.inode.kind != .directory { throw .ENOTDIR }
        return cur
    }

    /// Walks a canonical absolute path (no symlinks expected) from the global root.
    public func locate(_ canonical: String) throws(LinuxErrno) -> Location {
        var cur = rootLocation
        if let m = mounts["/"] { cur.inode = m.fs.root }
        for comp in canonical.split(separator: "/") {
            let name = String(comp)
            cur = Location(inode: try lookup(name, in: cur), path: cur.child(name))
        }
        return cur
    }
}

/// A symlink whose target is an object rather than a path (/proc/<pid>/fd/N, /proc/<pid>/exe):
/// following it lands on the object even when no path reaches it any more.
public protocol MagicLink: AnyObject {
    var location: Location? { get }
}
