import HostOS
import LinuxABI

/// A writable file system kept in a host directory: the guest's writable root (`--overlay DIR`:
/// a copy-on-write upper layer over the read-only `--root`), and, with no lower layer, a
/// read-write bind mount (`--bind HOST:GUEST:rw`).
///
/// The lower root is never written: its files are opened read-only (through `HostFS`), and the
/// first change to one copies it up into the upper directory (content, mode, owner, times; its
/// parent directories first). The upper directory's format, chosen to work unprivileged on any
/// host file system and to survive across runs (fuse-overlayfs's rootless format, after AUFS):
/// - a deleted lower entry NAME is an empty file `.wh.NAME` beside it (a whiteout; overlayfs's
///   0/0 character device would need root on the host);
/// - a directory that hides the lower one of its name (deleted and made again) holds an empty
///   file `.wh..wh..opq` (opaque);
/// - `.wh.*` names are the layer's own: the guest can neither see nor create them (EPERM);
/// - the guest's owner and permission bits are the `user.umlab.stat` extended attribute of the
///   upper file or directory ("UID:GID:MODE", MODE in octal), because the guest's root may
///   give away files that umlab, running as an ordinary user, cannot chown on the host; the host
///   file keeps umlab's owner and at least u+rw (u+rwx for directories) so umlab can reopen it.
///   Without the attribute (symlinks, which cannot carry user.* attributes; files put there by
///   hand) the host's owner and mode show through.
/// A directory rename of a lower or merged directory gets EXDEV, as overlayfs without
/// redirect_dir gives (mv then copies); files, and directories only in the upper, rename.
///
/// Confinement is HostFS's: the VFS walks every path itself, and every host call names an entry
/// by a directory descriptor opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) and a
/// single component, never following a symlink in it.
public final class OverlayFS: FileSystem {
    /// The upper (writable) host directory.
    let upperFD: HostFD
    public let upperPath: String
    /// The read-only lower root (nil for a plain writable directory: a rw bind mount).
    public let lower: HostFS?
    /// Objects by their path in this file system ("." for the root), so that each entry is one
    /// object (the VFS compares objects) and an object follows its renames.
    private var nodes: [String: OverlayNode] = [:]
    let descriptors: HostDescriptors

    static let whiteoutPrefix = ".wh."
    static let opaqueMarker = ".wh..wh..opq"
    static let attributeName = "user.umlab.stat"
    /// Where a copy-up writes before it renames the file into place (a whiteout-like name, so an
    /// interrupted copy-up is never seen).
    static let copyUpScratch = ".wh..wh..copyup"

    /// - Parameter lower: the read-only root under the layer; nil makes a plain writable
    ///   directory, whose owners and modes are the host's.
    public init(upperPath: String, lower: HostFS?, device: UInt64, descriptors: HostDescriptors) throws(LinuxErrno) {
        upperFD = try HostFD.open(upperPath, flags: HostOpen.path | HostOpen.directory)
        self.upperPath = upperPath
        self.lower = lower
        self.descriptors = descriptors
        super.init(name: lower == nil ? "hostfs" : "overlay", device: device, readOnly: false)
        guard FileKind(mode: try upperFD.stat().mode) == .directory else { throw .ENOTDIR }
        let root = OverlayNode(fs: self, path: ".", kind: .directory, lower: lower?.root as? HostInode, inUpper: true,
                               opaque: lower != nil && Self.exists(in: upperFD, Self.opaqueMarker))
        nodes["."] = root
    }

    /// Whether this is an overlay (whiteouts, opaque directories, guest attributes).
    var layered: Bool { lower != nil }

    public override var root: Inode { nodes["."]! }
    public override var mountOptions: String {
        layered ? "rw,lowerdir=\(lower!.hostPath),upperdir=\(upperPath)" : "rw"
    }

    private var isOpen = true
    public override func release() {
        guard isOpen else { return }
        isOpen = false
        upperFD.close()
    }
    deinit { release() }

    // MARK: paths in the upper directory

    static func join(_ dir: String, _ name: String) -> String { dir == "." ? name : dir + "/" + name }
    static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    /// The upper directory at `path` (O_PATH), for the *at() calls.
    func upperDirectory(_ path: String) throws(LinuxErrno) -> HostFD {
        try HostFD.open(beneath: upperFD, path, flags: HostOpen.path | HostOpen.directory | HostOpen.noFollow)
    }
    /// The upper object at `path` without following a symlink, or nil when there is none.
    func upperStat(_ path: String) -> HostStat? {
        guard let fd = try? HostFD.open(beneath: upperFD, path, flags: HostOpen.path | HostOpen.noFollow) else { return nil }
        defer { fd.close() }
        return try? fd.stat()
    }
    func upperExists(_ path: String) -> Bool { Self.exists(in: upperFD, path) }
    static func exists(in dir: HostFD, _ path: String) -> Bool {
        guard let fd = try? HostFD.open(beneath: dir, path, flags: HostOpen.path | HostOpen.noFollow) else { return false }
        fd.close()
        return true
    }

    /// A whiteout for `name` in the upper directory `dir` (nothing when the lower has no `name`).
    func whiteout(_ dir: String, _ name: String) throws(LinuxErrno) {
        let d = try upperDirectory(dir)
        defer { d.close() }
        try d.createFile(Self.whiteoutPrefix + name, mode: 0o600, flags: HostOpen.readOnly).close()
    }
    /// Removes the whiteout of `name` in `dir`, if any.
    func clearWhiteout(_ dir: String, _ name: String) {
        guard layered, let d = try? upperDirectory(dir) else { return }
        defer { d.close() }
        try? d.removeEntry(Self.whiteoutPrefix + name, directory: false)
    }
    func markOpaque(_ dir: String) throws(LinuxErrno) {
        let d = try upperDirectory(dir)
        defer { d.close() }
        if Self.exists(in: d, Self.opaqueMarker) { return }
        try d.createFile(Self.opaqueMarker, mode: 0o600, flags: HostOpen.readOnly).close()
    }

    /// The guest's owner and mode of an upper object, from its attribute.
    func guestAttributes(_ fd: HostFD) -> (uid: UInt32, gid: UInt32, mode: UInt32)? {
        guard layered, let bytes = try? fd.attribute(Self.attributeName) else { return nil }
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: ":")
        guard parts.count == 3, let u = UInt32(parts[0]), let g = UInt32(parts[1]), let m = UInt32(parts[2], radix: 8) else { return nil }
        return (u, g, m & 0o7777)
    }
    /// Records the guest's owner and mode of the upper object `name` in `dir`, and keeps the host
    /// file's mode at the guest's plus what umlab needs to reopen it.
    func setGuestAttributes(in dir: HostFD, _ name: String, kind: FileKind, uid: UInt32, gid: UInt32, mode: UInt32) throws(LinuxErrno) {
        guard kind != .symlink else { return }
        try dir.changeMode(name, hostMode(kind, mode))
        let fd = try HostFD.open(beneath: dir, name, flags: HostOpen.path | HostOpen.noFollow)
        defer { fd.close() }
        try fd.setAttribute(Self.attributeName, Array("\(uid):\(gid):\(String(mode & 0o7777, radix: 8))".utf8))
    }
    func hostMode(_ kind: FileKind, _ mode: UInt32) -> UInt32 {
        (mode & 0o777) | (kind == .directory ? 0o700 : 0o600)
    }

    // MARK: the object cache

    func cached(_ path: String) -> OverlayNode? { nodes[path] }
    func remember(_ node: OverlayNode) {
        if nodes.count > 65536 { let root = nodes["."]!; nodes.removeAll(keepingCapacity: true); nodes["."] = root }
        nodes[node.path] = node
    }
    /// The object at `path` and everything under it leave the cache (they were removed or replaced).
    func forget(_ path: String) {
        nodes[path] = nil
        let prefix = path + "/"
        for key in nodes.keys where key.hasPrefix(prefix) { nodes[key] = nil }
    }
    /// The objects at `old` and under it now live at `new`.
    func move(_ old: String, to new: String) {
        forget(new)
        let prefix = old + "/"
        for (key, node) in nodes where key == old || key.hasPrefix(prefix) {
            nodes[key] = nil
            node.path = new + key.dropFirst(old.count)
            nodes[node.path] = node
        }
    }
    /// The object at the (existing) path, walking from the root.
    func node(at path: String) throws(LinuxErrno) -> OverlayNode {
        if let n = nodes[path] { return n }
        var cur = nodes["."]!
        if path == "." { return cur }
        for comp in path.split(separator: "/") {
            guard let next = try cur.lookup(String(comp)) as? OverlayNode else { throw .ENOENT }
            cur = next
        }
        return cur
    }
}

/// An object of an `OverlayFS`: what the upper directory holds at its path, else the lower's.
final class OverlayNode: Inode {
    /// Its path in the file system ("." for the root); renames update it.
    var path: String
    let cachedKind: FileKind
    /// The lower object this one shows or merges with (nil: upper only, or hidden).
    var lower: HostInode?
    /// Whether the upper directory holds it (after creation or copy-up).
    var inUpper: Bool
    /// A directory that hides the lower directory of its name.
    var opaque: Bool
    /// Its last status once unlinked (an open file keeps working on the host descriptor).
    var unlinkedStat: FileStat?

    init(fs: OverlayFS, path: String, kind: FileKind, lower: HostInode?, inUpper: Bool, opaque: Bool) {
        self.path = path; cachedKind = kind; self.lower = lower; self.inUpper = inUpper; self.opaque = opaque
        super.init(fs: fs)
    }

    var overlay: OverlayFS { fs as! OverlayFS }
    override var kind: FileKind { cachedKind }
    var parentPath: String { OverlayFS.split(path).parent }
    var name: String { OverlayFS.split(path).name }

    // MARK: reading

    override func stat() throws(LinuxErrno) -> FileStat {
        if var s = unlinkedStat { s.links = 0; return s }
        var s: FileStat
        if inUpper {
            let fd = try HostFD.open(beneath: overlay.upperFD, path, flags: HostOpen.path | HostOpen.noFollow)
            defer { fd.close() }
            s = FileStat(try fd.stat())
            if cachedKind != .symlink, let a = overlay.guestAttributes(fd) {
                s.uid = a.uid; s.gid = a.gid; s.mode = (s.mode & FileMode.typeMask) | a.mode
            }
            // A merged directory keeps the lower one's number through its copy-up, as on
            // overlayfs: fts (rm -r, find) checks that ".." is the directory it left.
            if cachedKind == .directory, let lower { s.inode = lower.hostInode }
        } else if let lower {
            s = try lower.stat()
        } else {
            throw .ENOENT
        }
        s.device = fs.device
        return s
    }

    override func lookup(_ name: String) throws(LinuxErrno) -> Inode {
        guard cachedKind == .directory else { throw .ENOTDIR }
        let o = overlay
        let childPath = OverlayFS.join(path, name)
        if let n = o.cached(childPath) { return n }
        if o.layered && name.hasPrefix(OverlayFS.whiteoutPrefix) { throw .ENOENT }
        let up = inUpper ? o.upperStat(childPath) : nil
        let upKind = up.map { FileKind(mode: $0.mode) }
        var below: HostInode?
        var childOpaque = false
        if up == nil || upKind == .directory {
            if upKind == .directory && o.layered { childOpaque = o.upperExists(OverlayFS.join(childPath, OverlayFS.opaqueMarker)) }
            if lower != nil && !opaque && !childOpaque
                && !(up == nil && inUpper && o.upperExists(OverlayFS.join(path, OverlayFS.whiteoutPrefix + name))) {
                below = lowerEntry(name)
            }
            if upKind == .directory && below?.kind != .directory { below = nil }
        }
        guard let kind = upKind ?? below?.kind else { throw .ENOENT }
        let node = OverlayNode(fs: o, path: childPath, kind: kind, lower: below, inUpper: up != nil, opaque: childOpaque)
        o.remember(node)
        return node
    }

    /// What the lower layer has at `name` in this directory, whiteouts aside (nil when this
    /// directory has no lower one or hides it).
    func lowerEntry(_ name: String) -> HostInode? {
        guard let lower, !opaque else { return nil }
        return try? lower.lookup(name) as? HostInode
    }

    override func entries() throws(LinuxErrno) -> [DirectoryEntry] {
        guard cachedKind == .directory else { throw .ENOTDIR }
        let o = overlay
        var out: [DirectoryEntry] = []
        var seen: Set<String> = [".", ".."]
        var hidden: Set<String> = []
        if inUpper {
            let fd = try HostFD.open(beneath: o.upperFD, path, flags: HostOpen.readOnly | HostOpen.directory | HostOpen.noFollow)
            defer { fd.close() }
            for e in try fd.directoryEntries() {
                if e.name == "." || e.name == ".." { out.append(DirectoryEntry(name: e.name, inode: e.inode, kind: .directory)); continue }
                if o.layered && e.name.hasPrefix(OverlayFS.whiteoutPrefix) {
                    hidden.insert(String(e.name.dropFirst(OverlayFS.whiteoutPrefix.count)))
                    continue
                }
                seen.insert(e.name)
                out.append(DirectoryEntry(name: e.name, inode: e.inode, kind: FileKind(direntType: e.type)))
            }
        }
        if let lower, !opaque {
            for e in try lower.entries() where !seen.contains(e.name) && !hidden.contains(e.name) {
                if e.name == "." || e.name == ".." { if !inUpper { out.append(e) }; continue }
                out.append(e)
            }
        }
        return out
    }

    /// Whether the merged directory lists nothing but "." and "..".
    func isEmptyDirectory() throws(LinuxErrno) -> Bool {
        try entries().allSatisfy { $0.name == "." || $0.name == ".." }
    }

    override func readLink() throws(LinuxErrno) -> [UInt8] {
        guard cachedKind == .symlink else { throw .EINVAL }
        if !inUpper, let lower { return try lower.readLink() }
        let fd = try HostFD.open(beneath: overlay.upperFD, path, flags: HostOpen.path | HostOpen.noFollow)
        defer { fd.close() }
        return try fd.readLink()
    }

    // MARK: copy-up

    /// Makes the upper directory hold this object: its parents first, then a copy of the lower
    /// object (content unless `withContent` is false, as before a truncation), its mode, owner
    /// and times.
    func copyUp(withContent: Bool = true) throws(LinuxErrno) {
        if inUpper { return }
        guard let lower else { throw .ENOENT }
        let o = overlay
        let parent = try o.node(at: parentPath)
        try parent.copyUp()
        let st = try lower.stat()
        let dir = try o.upperDirectory(parentPath)
        defer { dir.close() }
        let name = self.name
        switch cachedKind {
        case .directory:
            try dir.makeDirectory(name, mode: 0o700)
        case .regular:
            let scratch = OverlayFS.copyUpScratch
            try? dir.removeEntry(scratch, directory: false)
            let out = try dir.createFile(scratch, mode: 0o600, flags: HostOpen.writeOnly)
            do {
                defer { out.close() }
                if withContent {
                    let input = try lower.host.open(lower.relativePath, flags: HostOpen.readOnly)
                    defer { input.close() }
                    try Self.copyBytes(from: input, to: out)
                }
            } catch {
                try? dir.removeEntry(scratch, directory: false)
                throw error
            }
            try dir.rename(scratch, to: dir, name)
        case .symlink:
            try dir.makeSymlink(name, target: try lower.readLink())
        default:
            throw .EPERM  // host devices, FIFOs and sockets are not reachable in the lower root
        }
        try o.setGuestAttributes(in: dir, name, kind: cachedKind, uid: st.uid, gid: st.gid, mode: st.mode)
        if cachedKind != .symlink { try? dir.setTimes(name, access: st.atime, modify: st.mtime) }
        inUpper = true
        if cachedKind != .directory { self.lower = nil }
    }

    static func copyBytes(from input: HostFD, to output: HostFD) throws(LinuxErrno) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var offset: Int64 = 0
        while true {
            let n = try typedErrno { try buffer.withUnsafeMutableBytes { try input.read(into: $0, at: offset) } }
            if n == 0 { return }
            var done = 0
            while done < n {
                done += try typedErrno { try buffer.withUnsafeBytes { p in
                    try output.write(UnsafeRawBufferPointer(rebasing: p[done..<n]), at: offset + Int64(done))
                } }
            }
            offset += Int64(n)
        }
    }

    // MARK: changing the tree

    /// Checks a new name in this directory and prepares the upper directory for it: whether the
    /// lower layer has an entry of that name (which the new one must hide).
    private func prepareEntry(_ name: String) throws(LinuxErrno) -> Bool {
        if overlay.layered && name.hasPrefix(OverlayFS.whiteoutPrefix) { throw .EPERM }
        try copyUp()
        return lowerEntry(name) != nil
    }

    override func create(_ name: String, kind: FileKind, mode: UInt32, credentials: Credentials) throws(LinuxErrno) -> Inode {
        guard cachedKind == .directory else { throw .ENOTDIR }
        let o = overlay
        let hidesLower = try prepareEntry(name)
        let dir = try o.upperDirectory(path)
        defer { dir.close() }
        let hostMode = o.layered ? o.hostMode(kind, mode) : mode & 0o7777
        switch kind {
        case .directory: try dir.makeDirectory(name, mode: hostMode)
        case .regular: try dir.createFile(name, mode: hostMode, flags: HostOpen.readOnly).close()
        default: throw .EPERM
        }
        let childPath = OverlayFS.join(path, name)
        if o.layered {
            try o.setGuestAttributes(in: dir, name, kind: kind, uid: credentials.fsuid, gid: credentials.fsgid, mode: mode)
            if kind == .directory && hidesLower { try o.markOpaque(childPath) }
            o.clearWhiteout(path, name)
        } else {
            try dir.changeMode(name, mode & 0o7777)  // the host's umask does not apply
        }
        let node = OverlayNode(fs: o, path: childPath, kind: kind, lower: nil, inUpper: true, opaque: kind == .directory && hidesLower)
        o.remember(node)
        return node
    }

    override func symlink(_ name: String, target: [UInt8]) throws(LinuxErrno) {
        let o = overlay
        _ = try prepareEntry(name)
        let dir = try o.upperDirectory(path)
        defer { dir.close() }
        try dir.makeSymlink(name, target: target)
        o.clearWhiteout(path, name)
        o.forget(OverlayFS.join(path, name))
    }

    override func link(_ name: String, to inode: Inode) throws(LinuxErrno) {
        guard let source = inode as? OverlayNode, source.fs === fs else { throw .EXDEV }
        if source.kind == .directory { throw .EPERM }
        let o = overlay
        _ = try prepareEntry(name)
        try source.copyUp()
        let from = try o.upperDirectory(source.parentPath)
        defer { from.close() }
        let to = try o.upperDirectory(path)
        defer { to.close() }
        try from.link(source.name, to: to, name)
        o.clearWhiteout(path, name)
        o.forget(OverlayFS.join(path, name))
    }

    override func unlink(_ name: String, directory: Bool) throws(LinuxErrno) {
        guard let child = try lookup(name) as? OverlayNode else { throw .ENOENT }
        if directory {
            guard child.kind == .directory else { throw .ENOTDIR }
            guard try child.isEmptyDirectory() else { throw .ENOTEMPTY }
        } else if child.kind == .directory {
            throw .EISDIR
        }
        let o = overlay
        let hidesLower = o.layered && lowerEntry(name) != nil
        try copyUp()
        let last = try? child.stat()
        let dir = try o.upperDirectory(path)
        defer { dir.close() }
        if child.inUpper {
            if directory { try child.clearLayerEntries() }
            try dir.removeEntry(name, directory: directory)
        }
        if hidesLower { try o.whiteout(path, name) }
        child.unlinkedStat = last
        o.forget(child.path)
    }

    /// Removes the layer's own entries (whiteouts, the opaque marker) from this upper directory,
    /// which the guest sees empty, so that the host lets it go.
    func clearLayerEntries() throws(LinuxErrno) {
        guard overlay.layered else { return }
        let fd = try HostFD.open(beneath: overlay.upperFD, path, flags: HostOpen.readOnly | HostOpen.directory | HostOpen.noFollow)
        defer { fd.close() }
        for e in try fd.directoryEntries() where e.name.hasPrefix(OverlayFS.whiteoutPrefix) {
            try fd.removeEntry(e.name, directory: false)
        }
    }

    override func rename(_ name: String, to target: Inode, _ newName: String, flags: UInt32) throws(LinuxErrno) {
        guard let dest = target as? OverlayNode, dest.fs === fs else { throw .EXDEV }
        let o = overlay
        guard let source = try lookup(name) as? OverlayNode else { throw .ENOENT }
        let noReplace = flags & 1 != 0, exchange = flags & 2 != 0
        let newPath = OverlayFS.join(dest.path, newName)
        if source.kind == .directory && (newPath == source.path || newPath.hasPrefix(source.path + "/")) {
            if newPath == source.path { return }
            throw .EINVAL
        }
        if o.layered && newName.hasPrefix(OverlayFS.whiteoutPrefix) { throw .EPERM }
        let existing = try? dest.lookup(newName) as? OverlayNode
        if existing === source { return }
        if exchange {
            guard existing != nil else { throw .ENOENT }
            guard !o.layered else { throw .EINVAL }  // RENAME_EXCHANGE only on a plain directory
        } else if let existing {
            if noReplace { throw .EEXIST }
            if source.kind == .directory {
                guard existing.kind == .directory else { throw .ENOTDIR }
                guard try existing.isEmptyDirectory() else { throw .ENOTEMPTY }
            } else if existing.kind == .directory {
                throw .EISDIR
            }
        }
        // A lower or merged directory would need its whole tree copied: EXDEV, as overlayfs.
        if source.kind == .directory && (source.lower != nil || !source.inUpper) { throw .EXDEV }
        let sourceHidesLower = o.layered && lowerEntry(name) != nil
        let destHidesLower = o.layered && dest.lowerEntry(newName) != nil
        try source.copyUp()
        try copyUp()
        try dest.copyUp()
        if let existing, existing.kind == .directory, existing.inUpper { try existing.clearLayerEntries() }
        let from = try o.upperDirectory(path)
        defer { from.close() }
        let to = try o.upperDirectory(dest.path)
        defer { to.close() }
        if existing != nil && !exchange && existing?.inUpper == false {
            // Replacing a lower-only entry: nothing in the upper to replace.
            try from.rename(name, to: to, newName, flags: 1)
        } else {
            try from.rename(name, to: to, newName, flags: flags)
        }
        o.clearWhiteout(dest.path, newName)
        if sourceHidesLower { try o.whiteout(path, name) }
        if exchange {
            let oldPath = source.path
            o.forget(oldPath); o.forget(newPath)
            return
        }
        if let existing { existing.unlinkedStat = try? existing.stat(); o.forget(newPath) }
        o.move(source.path, to: newPath)
        if source.kind == .directory && destHidesLower {
            try o.markOpaque(newPath)
            source.opaque = true
        }
    }

    // MARK: attributes

    /// Applies a change of owner or mode: on an overlay, to the guest's attribute; on a plain
    /// directory, to the host file.
    private func changeAttributes(uid: UInt32?, gid: UInt32?, mode: UInt32?) throws(LinuxErrno) {
        try copyUp()
        let o = overlay
        let (parent, name) = OverlayFS.split(path)
        let dir = try o.upperDirectory(parent)
        defer { dir.close() }
        let target = path == "." ? "." : name
        if o.layered {
            if cachedKind == .symlink { return }  // owner and mode of a symlink are not kept
            let st = try stat()
            try o.setGuestAttributes(in: dir, target, kind: cachedKind, uid: uid ?? st.uid, gid: gid ?? st.gid, mode: mode ?? st.mode)
        } else {
            if let mode { try dir.changeMode(target, mode & 0o7777) }
            if uid != nil || gid != nil { try dir.changeOwner(target, uid: uid, gid: gid) }
        }
    }
    override func setMode(_ mode: UInt32) throws(LinuxErrno) { try changeAttributes(uid: nil, gid: nil, mode: mode) }
    override func setOwner(uid: UInt32?, gid: UInt32?) throws(LinuxErrno) {
        guard uid != nil || gid != nil else { return }
        // chown clears the set-user-ID bit and the set-group-ID bit of a group-executable file.
        var mode: UInt32?
        if cachedKind == .regular, let m = try? stat().mode, m & 0o6000 != 0 {
            mode = m & ~(m & 0o010 != 0 ? UInt32(0o6000) : 0o4000)
        }
        try changeAttributes(uid: uid, gid: gid, mode: mode)
    }
    override func setTimes(access: (Int64, Int64)?, modify: (Int64, Int64)?) throws(LinuxErrno) {
        try copyUp()
        let (parent, name) = OverlayFS.split(path)
        let dir = try overlay.upperDirectory(parent)
        defer { dir.close() }
        try dir.setTimes(path == "." ? "." : name, access: access, modify: modify)
    }
    override func truncate(_ length: Int64) throws(LinuxErrno) {
        guard cachedKind == .regular else { throw cachedKind == .directory ? .EISDIR : .EINVAL }
        try copyUp(withContent: length != 0)
        let fd = try HostFD.open(beneath: overlay.upperFD, path, flags: HostOpen.writeOnly | HostOpen.noFollow)
        defer { fd.close() }
        try fd.truncate(length)
    }

    // MARK: opening

    override func open(flags: OpenFlags, path guestPath: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        if flags.contains(.path) { return PathFile(inode: self, flags: flags, path: guestPath) }
        switch cachedKind {
        case .directory:
            return DirectoryFile(inode: self, flags: flags, path: guestPath)
        case .regular:
            if flags.contains(.directory) { throw .ENOTDIR }
            let writing = flags.canWrite || flags.contains(.truncate)
            if !writing && !inUpper, let lower {
                return RegularFile(inode: self, flags: flags, path: guestPath, contents: try HostFileContents(lower))
            }
            try copyUp(withContent: !(flags.contains(.truncate) && flags.canWrite))
            let access = flags.canRead && flags.canWrite ? HostOpen.readWrite : flags.canWrite ? HostOpen.writeOnly : HostOpen.readOnly
            let contents = try HeldHostFile(open: { () throws(LinuxErrno) in
                try HostFD.open(beneath: overlay.upperFD, path, flags: access | HostOpen.noFollow)
            }, descriptors: overlay.descriptors)
            return RegularFile(inode: self, flags: flags, path: guestPath, contents: contents)
        default:
            // FIFOs, sockets and devices of the host directory stay out of the guest's reach.
            throw .EACCES
        }
    }
}

/// A writable host file's bytes through a descriptor held while the guest has the file open
/// (counted in the machine's descriptor budget: ENFILE when it is spent). Unlike a read-only
/// root file it cannot be reopened by path, since the guest may rename or unlink it meanwhile.
final class HeldHostFile: FileContents, MappedFileSource {
    let host: HostFD
    private let descriptors: HostDescriptors

    init(open: () throws(LinuxErrno) -> HostFD, descriptors: HostDescriptors) throws(LinuxErrno) {
        try descriptors.reserveMemoryFile()
        do { host = try open() } catch {
            descriptors.releaseMemoryFile()
            throw error
        }
        self.descriptors = descriptors
    }
    deinit {
        host.close()
        descriptors.releaseMemoryFile()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        guard offset >= 0 else { throw .EINVAL }
        return try host.read(into: buffer, at: offset)
    }
    func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        guard offset >= 0 else { throw .EINVAL }
        return try host.write(buffer, at: offset)
    }
    func size() throws(LinuxErrno) -> Int64 { try host.stat().size }
    func truncate(_ length: Int64) throws(LinuxErrno) {
        guard length >= 0 else { throw .EINVAL }
        try host.truncate(length)
    }
    func punchHole(offset: Int64, length: Int64) throws(LinuxErrno) { try host.punchHole(offset: offset, length: length) }
    func mappable(writable: Bool) throws(LinuxErrno) -> HostFileRef { HostFileRef(fd: host.raw, writable: writable, source: self) }
    var mappedSize: UInt64 { UInt64(max(0, (try? size()) ?? 0)) }
    func readMapped(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(LinuxErrno) -> Int {
        guard offset <= UInt64(Int64.max) else { return 0 }
        return try host.read(into: buffer, at: Int64(offset))
    }
}
