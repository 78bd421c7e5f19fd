import LinuxABI

// getxattr, setxattr, listxattr, removexattr and their l (no follow) and f (descriptor) forms,
// with Linux's checks in Linux's order (fs/xattr.c): the flags, the name (ERANGE when empty or
// longer than 255 bytes), the value's size (E2BIG past 64 KiB), the object, a read-only mount
// (EROFS), the namespace's permission rules (xattr_permission), the namespace itself
// (EOPNOTSUPP for an unknown one); then the file system's Inode methods
// (VFS/XattrStore.swift).

extension CoreSyscalls {
    /// How an xattr call names its object: a path (followed or not) or a descriptor, argument 0.
    enum XattrObject { case path(follow: Bool), descriptor }

    static func getxattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try getXattr(c, .path(follow: true)) }
    static func lgetxattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try getXattr(c, .path(follow: false)) }
    static func fgetxattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try getXattr(c, .descriptor) }
    static func setxattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try setXattr(c, .path(follow: true)) }
    static func lsetxattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try setXattr(c, .path(follow: false)) }
    static func fsetxattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try setXattr(c, .descriptor) }
    static func listxattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try listXattr(c, .path(follow: true)) }
    static func llistxattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try listXattr(c, .path(follow: false)) }
    static func flistxattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try listXattr(c, .descriptor) }
    static func removexattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try removeXattr(c, .path(follow: true)) }
    static func lremovexattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try removeXattr(c, .path(follow: false)) }
    static func fremovexattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try removeXattr(c, .descriptor) }

    /// getxattr(object, name, value, size): the value's length; with size 0 only the length.
    static func getXattr(_ c: SyscallCall, _ how: XattrObject) throws(LinuxErrno) -> SyscallOutcome {
        let name = try xattrName(c, 1)
        let inode = try xattrInode(c, how)
        try xattrPermission(c, inode, name, write: false)
        try xattrNamespaceExists(name)
        let value = try inode.extendedAttribute(name)
        // A size past XATTR_SIZE_MAX is taken as XATTR_SIZE_MAX (do_getxattr).
        let size = min(c.word(3), UInt64(XattrLimits.valueMax))
        if size == 0 { return .int(value.count) }
        guard UInt64(value.count) <= size else { throw .ERANGE }
        try c.mm.write(c.word(2), value)
        return .int(value.count)
    }

    /// setxattr(object, name, value, size, flags).
    static func setXattr(_ c: SyscallCall, _ how: XattrObject) throws(LinuxErrno) -> SyscallOutcome {
        let flags = c.uint(4)
        guard flags & ~UInt32(3) == 0 else { throw .EINVAL }  // XATTR_CREATE | XATTR_REPLACE
        let name = try xattrName(c, 1)
        guard c.word(3) <= UInt64(XattrLimits.valueMax) else { throw .E2BIG }
        let value = c.word(3) == 0 ? [] : try c.mm.read(c.word(2), count: Int(c.word(3)))
        let inode = try xattrInode(c, how)
        if inode.fs.readOnly { throw .EROFS }
        try xattrPermission(c, inode, name, write: true)
        try xattrNamespaceExists(name)
        // system.* holds POSIX ACLs, which no file system here keeps; security.* needs
        // CAP_SYS_ADMIN (the commoncap module's rule).
        if name.starts(with: Array("system.".utf8)) { throw .EOPNOTSUPP }
        if name.starts(with: Array("security.".utf8)) && !c.task.process.credentials.isRoot { throw .EPERM }
        let mode: XattrSetMode = flags & 1 != 0 ? .create : flags & 2 != 0 ? .replace : .createOrReplace
        try inode.setExtendedAttribute(name, value, mode)
        xattrChanged(c, how, inode)
        return .zero
    }

    /// listxattr(object, list, size): the names, each NUL-terminated; with size 0 only the
    /// length. trusted.* names are listed to root only.
    static func listXattr(_ c: SyscallCall, _ how: XattrObject) throws(LinuxErrno) -> SyscallOutcome {
        let inode = try xattrInode(c, how)
        let root = c.task.process.credentials.isRoot
        var list: [UInt8] = []
        for name in try inode.extendedAttributeNames() where root || !name.starts(with: Array("trusted.".utf8)) {
            list += name
            list.append(0)
        }
        let size = min(c.word(2), UInt64(XattrLimits.listMax))
        if size == 0 { return .int(list.count) }
        guard UInt64(list.count) <= size else { throw size >= UInt64(XattrLimits.listMax) ? .E2BIG : .ERANGE }
        try c.mm.write(c.word(1), list)
        return .int(list.count)
    }

    /// removexattr(object, name): ENODATA when the object has no such attribute.
    static func removeXattr(_ c: SyscallCall, _ how: XattrObject) throws(LinuxErrno) -> SyscallOutcome {
        let name = try xattrName(c, 1)
        let inode = try xattrInode(c, how)
        if inode.fs.readOnly { throw .EROFS }
        try xattrPermission(c, inode, name, write: true)
        try xattrNamespaceExists(name)
        if name.starts(with: Array("system.".utf8)) { throw .EOPNOTSUPP }
        if name.starts(with: Array("security.".utf8)) && !c.task.process.credentials.isRoot { throw .EPERM }
        try inode.setExtendedAttribute(name, nil, .createOrReplace)
        xattrChanged(c, how, inode)
        return .zero
    }

    /// inotify's IN_ATTRIB for a changed attribute.
    static func xattrChanged(_ c: SyscallCall, _ how: XattrObject, _ inode: Inode) {
        let inotify = c.kernel.inotify
        if inotify.isIdle { return }
        if case .path(let follow) = how, let loc = try? resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: follow) {
            inotify.notify(InotifyMask.attrib, at: loc)
        } else if let f = try? file(c, 0) {
            inotify.notify(InotifyMask.attrib, file: f)
        }
    }

    /// The name at argument `i`, as Linux's import_xattr_name copies it: at most 255 bytes and
    /// not empty, or ERANGE; EFAULT for a bad pointer.
    static func xattrName(_ c: SyscallCall, _ i: Int) throws(LinuxErrno) -> [UInt8] {
        let name: [UInt8]
        do { name = try c.mm.readCString(c.word(i), limit: XattrLimits.nameMax + 1) } catch .ENAMETOOLONG { throw .ERANGE }
        if name.isEmpty { throw .ERANGE }
        return name
    }

    /// The object of an xattr call. A descriptor must be one that opened its file (O_PATH is
    /// EBADF); one without an inode in a file system (eventfd, epoll …) has no attributes.
    static func xattrInode(_ c: SyscallCall, _ how: XattrObject) throws(LinuxErrno) -> Inode {
        switch how {
        case .path(let follow):
            return try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: follow).inode
        case .descriptor:
            guard let inode = try file(c, 0).inode else { throw .EOPNOTSUPP }
            return inode
        }
    }

    /// Linux's xattr_permission: security.* and system.* are left to the file system;
    /// trusted.* is root's (others: ENODATA to read, EPERM to write); user.* lives only on
    /// regular files and directories (elsewhere ENODATA / EPERM), a sticky directory's only
    /// for its owner to write, and then the file's own permission bits decide (EACCES).
    static func xattrPermission(_ c: SyscallCall, _ inode: Inode, _ name: [UInt8], write: Bool) throws(LinuxErrno) {
        let creds = c.task.process.credentials
        if name.starts(with: Array("security.".utf8)) || name.starts(with: Array("system.".utf8)) { return }
        if name.starts(with: Array("trusted.".utf8)) {
            if !creds.isRoot { throw write ? .EPERM : .ENODATA }
            return
        }
        let st = try inode.stat()
        if name.starts(with: Array("user.".utf8)) {
            guard inode.kind == .regular || inode.kind == .directory else { throw write ? .EPERM : .ENODATA }
            if write && inode.kind == .directory && st.mode & 0o1000 != 0 && !creds.isRoot && creds.fsuid != st.uid { throw .EPERM }
        }
        if !mayAccess(creds, st, write ? 2 : 4) { throw .EACCES }
    }

    /// The namespaces Linux knows; a name outside them is EOPNOTSUPP, a bare prefix EINVAL.
    static func xattrNamespaceExists(_ name: [UInt8]) throws(LinuxErrno) {
        for prefix in ["user.", "trusted.", "security.", "system."] where name.starts(with: Array(prefix.utf8)) {
            if name.count == prefix.utf8.count { throw .EINVAL }
            return
        }
        throw .EOPNOTSUPP
    }
}
