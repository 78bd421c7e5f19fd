import LinuxABI

// inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch. The instances and the
// events are in VFS/Inotify.swift; the hooks that make events are in the VFS calls.

extension CoreSyscalls {
    static func inotifyInit(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try inotifyInit(c, flags: 0) }
    static func inotifyInit1(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try inotifyInit(c, flags: c.uint(0)) }

    /// IN_CLOEXEC and IN_NONBLOCK are the ISA's O_CLOEXEC and O_NONBLOCK; EMFILE past the
    /// user's instance limit (max_user_instances).
    static func inotifyInit(_ c: SyscallCall, flags raw: UInt32) throws(LinuxErrno) -> SyscallOutcome {
        let flags = c.abi.openFlagsFromGuest(raw)
        guard flags.subtracting([.closeOnExec, .nonBlocking]).isEmpty else { throw .EINVAL }
        let registry = c.kernel.inotify
        let uid = c.task.process.credentials.uid
        guard registry.instanceCount[uid, default: 0] < Inotify.maxUserInstances else { throw .EMFILE }
        let f = InotifyFile(registry: registry, user: uid, nonBlocking: flags.contains(.nonBlocking), bigEndian: c.abi.bigEndian)
        do {
            return .int(Int(try c.task.files.install(f, closeOnExec: flags.contains(.closeOnExec), limit: c.task.process.limits.openFiles)))
        } catch {
            f.release()
            throw error
        }
    }

    /// inotify_add_watch(fd, path, mask), with Linux's checks in Linux's order: the mask
    /// (IN_MASK_ADD with IN_MASK_CREATE, or no known bit: EINVAL), the descriptor (EBADF; not
    /// an inotify instance: EINVAL), the path (IN_DONT_FOLLOW, IN_ONLYDIR: ENOTDIR), read
    /// permission on the object (EACCES).
    static func inotifyAddWatch(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let mask = c.uint(2)
        if mask & InotifyMask.maskAdd != 0 && mask & InotifyMask.maskCreate != 0 { throw .EINVAL }
        guard mask & InotifyMask.valid != 0 else { throw .EINVAL }
        guard let instance = try c.task.files.get(c.int(0)) as? InotifyFile else { throw .EINVAL }
        let loc = try resolve(c, dirfd: At.fdCWD, path: try c.path(1), follow: mask & InotifyMask.dontFollow == 0)
        if mask & InotifyMask.onlyDirectory != 0 && loc.inode.kind != .directory { throw .ENOTDIR }
        if !mayAccess(c.task.process.credentials, try loc.inode.stat(), 4) { throw .EACCES }
        return .int(Int(try instance.addWatch(loc.inode, mask: mask)))
    }

    /// inotify_rm_watch(fd, wd): EINVAL for a descriptor that is no watch of the instance.
    static func inotifyRmWatch(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        guard let instance = try c.task.files.get(c.int(0)) as? InotifyFile else { throw .EINVAL }
        guard let watch = instance.watches[c.int(1)] else { throw .EINVAL }
        instance.removeWatch(watch)
        return .zero
    }
}
