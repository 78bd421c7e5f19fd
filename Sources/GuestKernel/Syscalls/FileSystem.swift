import HostOS
import LinuxABI

// Path-based calls: open, stat, directories, links, permissions, working directory.

extension CoreSyscalls {
    /// The location a *at() call's dirfd names.
    static func base(_ c: SyscallCall, _ dirfd: Int32) throws(LinuxErrno) -> Location {
        if dirfd == At.fdCWD { return c.task.fs.cwd }
        let f = try c.task.files.get(dirfd)
        guard let inode = f.inode else { throw .ENOTDIR }
        return Location(inode: inode, path: f.path)
    }

    static func resolve(_ c: SyscallCall, dirfd: Int32, path: [UInt8], follow: Bool, emptyPathOK: Bool = false) throws(LinuxErrno) -> Location {
        if path.isEmpty {
            guard emptyPathOK else { throw .ENOENT }
            return try base(c, dirfd)
        }
        return try c.kernel.vfs.resolve(path, base: try base(c, dirfd), root: c.task.fs.root, followFinal: follow,
                                        searcher: c.task.process.credentials)
    }

    /// The directory and final name of a path that names an entry to create or rename. A path
    /// ending in "/", "." or ".." names no entry: creating it gives EEXIST (it exists: `mkdir
    /// ./` from tar, `mkdir -p` of "a/."), renaming it EBUSY, as Linux's filename_create and
    /// renameat2 give.
    static func parent(_ c: SyscallCall, dirfd: Int32, path: [UInt8], dotError: LinuxErrno = .EEXIST) throws(LinuxErrno) -> (Location, String) {
        let (dir, name, _) = try c.kernel.vfs.resolveParent(path, base: try base(c, dirfd), root: c.task.fs.root,
                                                            searcher: c.task.process.credentials)
        if name.isEmpty || name == "." || name == ".." { throw dotError }
        return (dir, name)
    }

    static func openat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try open(c, dirfd: c.int(0), path: try c.path(1), flags: c.abi.openFlagsFromGuest(c.uint(2)), mode: c.uint(3))
    }
    static func openLegacy(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try open(c, dirfd: At.fdCWD, path: try c.path(0), flags: c.abi.openFlagsFromGuest(c.uint(1)), mode: c.uint(2))
    }
    static func creat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try open(c, dirfd: At.fdCWD, path: try c.path(0), flags: OpenFlags(rawValue: OpenFlags.writeOnly).union([.create, .truncate]), mode: c.uint(1))
    }

    static func open(_ c: SyscallCall, dirfd: Int32, path: [UInt8], flags: OpenFlags, mode: UInt32) throws(LinuxErrno) -> SyscallOutcome {
        let k = c.kernel
        if flags.contains(.path) { return try openPath(c, dirfd: dirfd, path: path, flags: flags) }
        var loc: Location
        var created = false
        if flags.contains(.tmpFile) { throw .EOPNOTSUPP }
        if flags.contains(.create) {
            let (dir, name, trailing) = try k.vfs.resolveParent(path, base: try base(c, dirfd), root: c.task.fs.root,
                                                                searcher: c.task.process.credentials)
            if trailing { throw .EISDIR }
            if name.isEmpty { throw .EISDIR }
            if let existing = try? k.vfs.lookup(name, in: dir) {
                if flags.contains(.exclusive) { throw .EEXIST }
                loc = Location(inode: existing, path: dir.child(name))
                if existing.kind == .symlink {
                    if flags.contains(.noFollow) { throw .ELOOP }
                    loc = try k.vfs.resolve(path, base: try base(c, dirfd), root: c.task.fs.root, followFinal: true,
                                            searcher: c.task.process.credentials)
                }
                if loc.inode.kind == .directory { throw .EISDIR }
            } else {
                try mayAddEntry(c, to: dir)
                let inode = try dir.inode.create(name, kind: .regular, mode: mode & ~c.task.fs.umask & 0o7777, credentials: c.task.process.credentials)
                loc = Location(inode: inode, path: dir.child(name))
                created = true
            }
        } else {
            loc = try k.vfs.resolve(path, base: try base(c, dirfd), root: c.task.fs.root, followFinal: !flags.contains(.noFollow),
                                    searcher: c.task.process.credentials)
            if loc.inode.kind == .symlink { throw .ELOOP }
        }
        if flags.contains(.directory) && loc.inode.kind != .directory { throw .ENOTDIR }
        if loc.inode.kind == .directory && flags.canWrite { throw .EISDIR }
        if loc.inode.kind == .regular {
            if flags.canWrite || flags.contains(.truncate), loc.inode.fs.readOnly { throw .EROFS }
        }
        // Permission bits against the caller's identity (a file this call created opens anyway).
        if !created {
            let want: UInt32 = (flags.canRead ? 4 : 0) | (flags.canWrite || flags.contains(.truncate) ? 2 : 0)
            if !mayAccess(c.task.process.credentials, try loc.inode.stat(), want) { throw .EACCES }
        }
        let file = try loc.inode.open(flags: flags, path: loc.path, kernel: k, task: c.task)
        if flags.contains(.truncate) && flags.canWrite && loc.inode.kind == .regular && !(loc.inode is TmpFile) {
            try loc.inode.truncate(0)
        }
        if flags.contains(.truncate) && flags.canWrite && loc.inode.kind == .regular { k.filesShrank() }
        // inotify: the new entry, a truncation, then the open (Linux's order); the last close
        // reports through `file.inotify`.
        file.inotify = k.inotify
        if !k.inotify.isIdle {
            if created, let (dir, name) = try? parent(c, dirfd: dirfd, path: path) {
                k.inotify.notifyEntry(InotifyMask.create, in: dir.inode, name: name, child: loc.inode)
            }
            if flags.contains(.truncate) && flags.canWrite && loc.inode.kind == .regular && !created {
                k.inotify.notify(InotifyMask.modify, at: loc)
            }
            k.inotify.notify(InotifyMask.open, at: loc)
        }
        // What the open file description keeps, as F_GETFL shows it: not the creation flags,
        // and O_LARGEFILE, which 64-bit kernels force on every open(2).
        file.flags.subtract([.create, .exclusive, .noControllingTTY, .truncate, .closeOnExec])
        if c.abi.wordSize == 8 { file.flags.insert(.largeFile) }
        let fd: Int32
        do {
            fd = try c.task.files.install(file, closeOnExec: flags.contains(.closeOnExec), limit: c.task.process.limits.openFiles)
        } catch {
            file.release()
            throw error
        }
        return .int(Int(fd))
    }

    /// open(O_PATH): a descriptor that names the object without opening it, for any kind of
    /// object (a symlink itself with O_NOFOLLOW, a fifo without waiting for a partner, a device
    /// without its driver), so it is made here for every file system rather than by each one.
    /// As Linux's build_open_how, O_PATH keeps only O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC (a
    /// creation or access mode is ignored) and checks no permission on the object itself.
    static func openPath(_ c: SyscallCall, dirfd: Int32, path: [UInt8], flags: OpenFlags) throws(LinuxErrno) -> SyscallOutcome {
        let loc = try c.kernel.vfs.resolve(path, base: try base(c, dirfd), root: c.task.fs.root, followFinal: !flags.contains(.noFollow),
                                           searcher: c.task.process.credentials)
        if flags.contains(.directory) && loc.inode.kind != .directory { throw .ENOTDIR }
        let file = PathFile(inode: loc.inode, flags: flags.intersection([.path, .directory, .noFollow]), path: loc.path)
        return .int(Int(try c.task.files.install(file, closeOnExec: flags.contains(.closeOnExec), limit: c.task.process.limits.openFiles)))
    }

    // MARK: stat

    static func writeStat(_ c: SyscallCall, _ st: FileStat, to addr: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        try c.mm.write(addr, c.abi.encodeStat(st))
        return .zero
    }

    static func fstat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try writeStat(c, try anyFile(c, 0).stat(), to: c.word(1))
    }
    static func stat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try writeStat(c, try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: true).inode.stat(), to: c.word(1))
    }
    static func lstat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try writeStat(c, try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: false).inode.stat(), to: c.word(1))
    }
    /// The object of an fstatat-style (dirfd = arg 0, path = arg 1) call with these AT_ flags.
    static func statAt(_ c: SyscallCall, flags: UInt32) throws(LinuxErrno) -> FileStat {
        let path = try c.path(1)
        if path.isEmpty && flags & At.emptyPath != 0 && c.int(0) != At.fdCWD { return try anyFile(c, 0).stat() }
        return try resolve(c, dirfd: c.int(0), path: path, follow: flags & At.symlinkNoFollow == 0,
                           emptyPathOK: flags & At.emptyPath != 0).inode.stat()
    }
    static func newfstatat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try writeStat(c, try statAt(c, flags: c.uint(3)), to: c.word(2))
    }

    static func statx(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let st = try statAt(c, flags: c.uint(2))
        // struct statx: fixed little/big-endian layout of fixed-size fields, 256 bytes.
        var e = GuestEncoder(c.abi)
        e.u32(0x7ff)  // stx_mask: STATX_BASIC_STATS
        e.u32(UInt32(st.blockSize))
        e.u64(0)  // attributes
        e.u32(UInt32(truncatingIfNeeded: st.links)); e.u32(st.uid); e.u32(st.gid)
        e.u16(UInt16(truncatingIfNeeded: st.mode)); e.u16(0)
        e.u64(st.inode); e.u64(UInt64(bitPattern: st.size)); e.u64(UInt64(bitPattern: st.blocks)); e.u64(0)
        for t in [st.atime, st.ctime, st.ctime, st.mtime] {  // atime, btime, ctime, mtime
            e.i64(t.0); e.u32(UInt32(truncatingIfNeeded: t.1)); e.i32(0)
        }
        e.u32(UInt32(truncatingIfNeeded: st.rdev >> 8)); e.u32(UInt32(truncatingIfNeeded: st.rdev & 0xff))
        e.u32(UInt32(truncatingIfNeeded: st.device >> 8)); e.u32(UInt32(truncatingIfNeeded: st.device & 0xff))
        e.pad(to: 256)
        try c.mm.write(c.word(4), e.bytes)
        return .zero
    }

    static func statfs(_ c: SyscallCall, _ fs: FileSystem, to addr: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        var e = GuestEncoder(c.abi)
        let magic: UInt64 = fs is TmpFS ? 0x0102_1994 : fs is ProcFS ? 0x9fa0 : fs is DevFS ? 0x0102_1994 : fs is DevPtsFS ? 0x1cd1 : 0xEF53
        e.word(magic); e.word(4096)
        e.word(1 << 20); e.word(1 << 19); e.word(1 << 19)  // blocks, bfree, bavail
        e.word(1 << 20); e.word(1 << 19)  // files, ffree
        e.i32(0); e.i32(0)  // fsid
        e.word(255); e.word(4096)  // namelen, frsize
        e.word(fs.readOnly ? 1 : 0)  // flags: ST_RDONLY
        e.zeros(4 * c.abi.wordSize)
        try c.mm.write(addr, e.bytes)
        return .zero
    }
    static func statfsPath(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try statfs(c, try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: true).inode.fs, to: c.word(1))
    }
    static func fstatfs(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        guard let inode = try anyFile(c, 0).inode else { throw .EBADF }
        return try statfs(c, inode.fs, to: c.word(1))
    }

    // MARK: directories

    static func getdents64(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try getdents(c, legacy: false) }
    /// getdents: the older record (struct linux_dirent) that some programs still call directly
    /// (the sanitizers' runtimes list /proc/<pid>/task with it): word-sized inode and offset,
    /// and the type in the record's last byte.
    static func getdents(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try getdents(c, legacy: true) }

    static func getdents(_ c: SyscallCall, legacy: Bool) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        var entries = try f.directoryEntries()
        entries += c.kernel.vfs.mountPoints(in: f.path, besides: entries)
        // The count is an unsigned int; the position, an index into the listing (lseek keeps
        // it >= 0; one past the end reads nothing).
        let limit = Int(c.uint(2))
        var e = GuestEncoder(c.abi)
        var index = Int(clamping: max(0, f.offset))
        let w = c.abi.wordSize
        while index < entries.count {
            let d = entries[index]
            let name = FileName.bytes(d.name)
            // linux_dirent64: ino, off (8 bytes each), reclen, type, name, NUL, padded to 8.
            // linux_dirent: ino, off (a word each), reclen, name, NUL, type, padded to a word.
            let reclen = legacy ? (2 * w + 2 + name.count + 2 + w - 1) & ~(w - 1) : (19 + name.count + 1 + 7) & ~7
            if e.bytes.count + reclen > limit { break }
            let start = e.bytes.count
            if legacy {
                e.word(d.inode == 0 ? 1 : d.inode)
                e.word(UInt64(index + 1))
                e.u16(UInt16(reclen))
                e.raw(name)
                e.u8(0)
                while e.bytes.count < start + reclen - 1 { e.u8(0) }
                e.u8(d.kind.direntType)
            } else {
                e.u64(d.inode == 0 ? 1 : d.inode)
                e.i64(Int64(index + 1))
                e.u16(UInt16(reclen))
                e.u8(d.kind.direntType)
                e.raw(name)
                e.u8(0)
                e.align(8)
            }
            index += 1
        }
        if e.bytes.isEmpty && index < entries.count { throw .EINVAL }
        try c.mm.write(c.word(1), e.bytes)
        f.offset = Int64(index)
        c.kernel.inotify.notify(InotifyMask.access, file: f)
        return .int(e.bytes.count)
    }

    static func mkdirat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try mkdir(c, dirfd: c.int(0), path: try c.path(1), mode: c.uint(2))
    }
    static func mkdirLegacy(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try mkdir(c, dirfd: At.fdCWD, path: try c.path(0), mode: c.uint(1))
    }
    static func mkdir(_ c: SyscallCall, dirfd: Int32, path: [UInt8], mode: UInt32) throws(LinuxErrno) -> SyscallOutcome {
        let (dir, name) = try parent(c, dirfd: dirfd, path: path)
        if (try? c.kernel.vfs.lookup(name, in: dir)) != nil { throw .EEXIST }
        try mayAddEntry(c, to: dir)
        let made = try dir.inode.create(name, kind: .directory, mode: mode & ~c.task.fs.umask & 0o7777, credentials: c.task.process.credentials)
        c.kernel.inotify.notifyEntry(InotifyMask.create, in: dir.inode, name: name, child: made)
        return .zero
    }

    static func mknodat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try mknod(c, dirfd: c.int(0), path: try c.path(1), mode: c.uint(2), device: UInt64(c.uint(3)))
    }
    /// mknod(path, mode, dev): mknodat relative to the working directory.
    static func mknod(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try mknod(c, dirfd: At.fdCWD, path: try c.path(0), mode: c.uint(1), device: UInt64(c.uint(2)))
    }
    /// Device nodes need root (CAP_MKNOD) and a file system that keeps them (tmpfs).
    static func mknod(_ c: SyscallCall, dirfd: Int32, path: [UInt8], mode: UInt32, device: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        let (dir, name) = try parent(c, dirfd: dirfd, path: path)
        let type = mode & FileMode.typeMask
        if type == FileMode.directory { throw .EPERM }  // Linux's may_mknod
        guard [0, FileMode.regular, FileMode.character, FileMode.block, FileMode.fifo, FileMode.socket].contains(type) else { throw .EINVAL }
        let kind = FileKind(mode: mode)
        if (try? c.kernel.vfs.lookup(name, in: dir)) != nil { throw .EEXIST }
        try mayAddEntry(c, to: dir)
        let permissions = mode & ~c.task.fs.umask & 0o7777, credentials = c.task.process.credentials
        let made: Inode
        if kind == .characterDevice || kind == .blockDevice {
            guard credentials.euid == 0 else { throw .EPERM }
            try dir.inode.makeDevice(name, block: kind == .blockDevice, rdev: device, mode: permissions, credentials: credentials)
            made = try c.kernel.vfs.lookup(name, in: dir)
        } else {
            made = try dir.inode.create(name, kind: kind, mode: permissions, credentials: credentials)
        }
        c.kernel.inotify.notifyEntry(InotifyMask.create, in: dir.inode, name: name, child: made)
        return .zero
    }

    static func unlinkat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try unlink(c, dirfd: c.int(0), path: try c.path(1), directory: c.uint(2) & At.removeDir != 0)
    }
    static func unlinkLegacy(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try unlink(c, dirfd: At.fdCWD, path: try c.path(0), directory: false)
    }
    static func rmdirLegacy(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try unlink(c, dirfd: At.fdCWD, path: try c.path(0), directory: true)
    }
    static func unlink(_ c: SyscallCall, dirfd: Int32, path: [UInt8], directory: Bool) throws(LinuxErrno) -> SyscallOutcome {
        let (dir, name, _) = try c.kernel.vfs.resolveParent(path, base: try base(c, dirfd), root: c.task.fs.root,
                                                            searcher: c.task.process.credentials)
        if name == "." { throw .EINVAL }
        if name == ".." || name.isEmpty { throw .ENOTEMPTY }
        let child = try c.kernel.vfs.lookup(name, in: dir)
        try mayRemoveEntry(c, child, from: dir)
        if c.kernel.vfs.mounts[dir.child(name)] != nil { throw .EBUSY }
        if directory && child.kind != .directory { throw .ENOTDIR }
        try dir.inode.unlink(name, directory: directory)
        c.kernel.inotify.removed(child, name: name, from: dir.inode)
        return .zero
    }

    static func renameat2(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try rename(c, c.int(0), try c.path(1), c.int(2), try c.path(3), flags: c.uint(4))
    }
    static func renameat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try rename(c, c.int(0), try c.path(1), c.int(2), try c.path(3), flags: 0)
    }
    static func renameLegacy(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try rename(c, At.fdCWD, try c.path(0), At.fdCWD, try c.path(1), flags: 0)
    }
    static func rename(_ c: SyscallCall, _ oldDirFD: Int32, _ old: [UInt8], _ newDirFD: Int32, _ new: [UInt8], flags: UInt32) throws(LinuxErrno) -> SyscallOutcome {
        let known = RenameFlags.noReplace | RenameFlags.exchange
        if flags & ~known != 0 || flags == known { throw .EINVAL }
        let (od, on) = try parent(c, dirfd: oldDirFD, path: old, dotError: .EBUSY)
        let (nd, nn) = try parent(c, dirfd: newDirFD, path: new, dotError: flags & RenameFlags.noReplace != 0 ? .EEXIST : .EBUSY)
        let moved = try c.kernel.vfs.lookup(on, in: od)
        if od.inode.fs !== nd.inode.fs { throw .EXDEV }
        if c.kernel.vfs.mounts[od.child(on)] != nil || c.kernel.vfs.mounts[nd.child(nn)] != nil { throw .EBUSY }
        let replaced = try? c.kernel.vfs.lookup(nn, in: nd)
        // RENAME_NOREPLACE refuses an existing target before anything else, even the entry
        // itself (renaming a name onto itself is otherwise a successful no-op).
        if flags & RenameFlags.noReplace != 0, replaced != nil { throw .EEXIST }
        // Permissions as Linux's vfs_rename: the moved entry leaves its directory, the target
        // is replaced or added, and a directory moving to a new parent rewrites its "..".
        try mayRemoveEntry(c, moved, from: od)
        if let replaced { try mayRemoveEntry(c, replaced, from: nd) } else { try mayAddEntry(c, to: nd) }
        if moved.kind == .directory, od.path != nd.path, !c.task.process.credentials.overridesFilePermissions,
           !mayAccess(c.task.process.credentials, try moved.stat(), 2) { throw .EACCES }
        try od.inode.rename(on, to: nd.inode, nn, flags: flags)
        // inotify, in Linux's order (fsnotify_move): the pair with one cookie, the replaced
        // object's end, the moved object's IN_MOVE_SELF.
        let inotify = c.kernel.inotify
        if !inotify.isIdle && replaced !== moved {
            let cookie = inotify.cookie()
            inotify.notifyEntry(InotifyMask.movedFrom, in: od.inode, name: on, child: moved, cookie: cookie)
            inotify.notifyEntry(InotifyMask.movedTo, in: nd.inode, name: nn, child: moved, cookie: cookie)
            if let replaced, flags & RenameFlags.exchange == 0 { inotify.removed(replaced, name: nn, from: nd.inode, reportDelete: false) }
            inotify.deliver(InotifyMask.moveSelf, to: moved, subjectIsDirectory: moved.kind == .directory)
        }
        return .zero
    }

    static func symlinkat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let target = try c.path(0)
        let (dir, name) = try parent(c, dirfd: c.int(1), path: try c.path(2))
        if (try? c.kernel.vfs.lookup(name, in: dir)) != nil { throw .EEXIST }
        try mayAddEntry(c, to: dir)
        try dir.inode.symlink(name, target: target)
        if !c.kernel.inotify.isIdle, let made = try? c.kernel.vfs.lookup(name, in: dir) {
            c.kernel.inotify.notifyEntry(InotifyMask.create, in: dir.inode, name: name, child: made)
        }
        return .zero
    }
    static func symlinkLegacy(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let target = try c.path(0)
        let (dir, name) = try parent(c, dirfd: At.fdCWD, path: try c.path(1))
        if (try? c.kernel.vfs.lookup(name, in: dir)) != nil { throw .EEXIST }
        try mayAddEntry(c, to: dir)
        try dir.inode.symlink(name, target: target)
        if !c.kernel.inotify.isIdle, let made = try? c.kernel.vfs.lookup(name, in: dir) {
            c.kernel.inotify.notifyEntry(InotifyMask.create, in: dir.inode, name: name, child: made)
        }
        return .zero
    }

    static func linkat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let src = try resolve(c, dirfd: c.int(0), path: try c.path(1), follow: c.uint(4) & At.symlinkFollow != 0, emptyPathOK: c.uint(4) & At.emptyPath != 0)
        let (dir, name) = try parent(c, dirfd: c.int(2), path: try c.path(3))
        if src.inode.kind == .directory { throw .EPERM }
        if src.inode.fs !== dir.inode.fs { throw .EXDEV }
        if (try? c.kernel.vfs.lookup(name, in: dir)) == nil { try mayAddEntry(c, to: dir) }
        try dir.inode.link(name, to: src.inode)
        c.kernel.inotify.deliver(InotifyMask.attrib, to: src.inode, subjectIsDirectory: false)
        c.kernel.inotify.notifyEntry(InotifyMask.create, in: dir.inode, name: name, child: src.inode)
        return .zero
    }
    static func linkLegacy(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let src = try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: false)
        let (dir, name) = try parent(c, dirfd: At.fdCWD, path: try c.path(1))
        if src.inode.kind == .directory { throw .EPERM }
        if src.inode.fs !== dir.inode.fs { throw .EXDEV }
        if (try? c.kernel.vfs.lookup(name, in: dir)) == nil { try mayAddEntry(c, to: dir) }
        try dir.inode.link(name, to: src.inode)
        c.kernel.inotify.deliver(InotifyMask.attrib, to: src.inode, subjectIsDirectory: false)
        c.kernel.inotify.notifyEntry(InotifyMask.create, in: dir.inode, name: name, child: src.inode)
        return .zero
    }

    static func readlinkat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try readlink(c, dirfd: c.int(0), path: try c.path(1), buf: c.word(2), size: c.int(3))
    }
    static func readlinkLegacy(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try readlink(c, dirfd: At.fdCWD, path: try c.path(0), buf: c.word(1), size: c.int(2))
    }
    /// The buffer size is a C int, as in Linux's readlinkat: <= 0 is EINVAL.
    static func readlink(_ c: SyscallCall, dirfd: Int32, path: [UInt8], buf: UInt64, size: Int32) throws(LinuxErrno) -> SyscallOutcome {
        guard size > 0 else { throw .EINVAL }
        // An empty path reads the link an O_PATH descriptor names; it names nothing from the cwd.
        if path.isEmpty && dirfd == At.fdCWD { throw .ENOENT }
        let loc = try resolve(c, dirfd: dirfd, path: path, follow: false, emptyPathOK: true)
        guard loc.inode.kind == .symlink else { throw .EINVAL }
        let target = try loc.inode.readLink()
        let n = min(target.count, Int(size))
        try c.mm.write(buf, Array(target[0..<n]))
        return .int(n)
    }

    static func faccessat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try access(c, dirfd: c.int(0), path: try c.path(1), mode: c.uint(2), flags: 0)
    }
    static func faccessat2(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try access(c, dirfd: c.int(0), path: try c.path(1), mode: c.uint(2), flags: c.uint(3))
    }
    static func accessLegacy(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try access(c, dirfd: At.fdCWD, path: try c.path(0), mode: c.uint(1), flags: 0)
    }
    static func access(_ c: SyscallCall, dirfd: Int32, path: [UInt8], mode: UInt32, flags: UInt32) throws(LinuxErrno) -> SyscallOutcome {
        if mode & ~UInt32(7) != 0 { throw .EINVAL }
        let loc = try resolve(c, dirfd: dirfd, path: path, follow: flags & At.symlinkNoFollow == 0, emptyPathOK: flags & At.emptyPath != 0)
        if mode & 2 != 0 && loc.inode.fs.readOnly && loc.inode.kind != .characterDevice { throw .EROFS }
        // access(2) asks for the real ids, faccessat2's AT_EACCESS for the effective ones.
        let creds = c.task.process.credentials
        if !mayAccess(flags & At.eaccess != 0 ? creds : creds.real, try loc.inode.stat(), mode) { throw .EACCES }
        return .zero
    }

    /// Whether `creds` may read (4), write (2) and/or execute (1) a file with status `st`.
    static func mayAccess(_ creds: Credentials, _ st: FileStat, _ want: UInt32) -> Bool { creds.permits(want, st) }

    /// Linux's may_create: adding an entry to `dir` needs write and search permission on it
    /// (after EEXIST and EROFS, which the callers and the file systems give first).
    static func mayAddEntry(_ c: SyscallCall, to dir: Location) throws(LinuxErrno) {
        let creds = c.task.process.credentials
        if creds.overridesFilePermissions || dir.inode.fs.readOnly { return }
        if !mayAccess(creds, try dir.inode.stat(), 3) { throw .EACCES }
    }

    /// Linux's may_delete: removing (or renaming away, or replacing) `child` from `dir` needs
    /// write and search permission on the directory, and in a sticky directory (S_ISVTX, as
    /// /tmp) that the caller owns the file or the directory.
    static func mayRemoveEntry(_ c: SyscallCall, _ child: Inode, from dir: Location) throws(LinuxErrno) {
        let creds = c.task.process.credentials
        if creds.overridesFilePermissions || dir.inode.fs.readOnly { return }
        let st = try dir.inode.stat()
        if !mayAccess(creds, st, 3) { throw .EACCES }
        if st.mode & 0o1000 != 0, creds.fsuid != st.uid, creds.fsuid != (try child.stat()).uid { throw .EPERM }
    }

    // MARK: working directory

    static func chdir(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let loc = try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: true)
        guard loc.inode.kind == .directory else { throw .ENOTDIR }
        if !mayAccess(c.task.process.credentials, try loc.inode.stat(), 1) { throw .EACCES }
        c.task.fs.cwd = loc
        return .zero
    }
    static func fchdir(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try anyFile(c, 0)
        guard let inode = f.inode, inode.kind == .directory else { throw .ENOTDIR }
        if !mayAccess(c.task.process.credentials, try inode.stat(), 1) { throw .EACCES }
        c.task.fs.cwd = Location(inode: inode, path: f.path)
        return .zero
    }
    static func chroot(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let loc = try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: true)
        guard loc.inode.kind == .directory else { throw .ENOTDIR }
        guard c.task.process.credentials.isRoot else { throw .EPERM }
        c.task.fs.root = loc
        return .zero
    }
    static func getcwd(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let root = c.task.fs.root.path
        var path = c.task.fs.cwd.path
        if root != "/" { path = path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path; if path.isEmpty { path = "/" } }
        let bytes = FileName.bytes(path) + [0]
        guard UInt64(bytes.count) <= c.word(1) else { throw .ERANGE }
        try c.mm.write(c.word(0), bytes)
        return .int(bytes.count)
    }
    static func umask(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let old = c.task.fs.umask
        c.task.fs.umask = c.uint(0) & 0o777
        return .value(UInt64(old))
    }

    // MARK: attributes

    static func ftruncate(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try ftruncate(c, length: c.long(1))
    }
    /// ftruncate64/truncate64 (32-bit ISAs): the length is a 64-bit argument (a register pair).
    static func ftruncate64(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try ftruncate(c, length: c.offset64(after: 1))
    }
    static func truncate64(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try truncatePath(c, length: c.offset64(after: 1))
    }
    static func ftruncate(_ c: SyscallCall, length: Int64) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        guard f.flags.canWrite else { throw .EINVAL }
        if length < 0 { throw .EINVAL }
        if let regular = f as? RegularFile, length > (try regular.contents.size()) { try checkFileSize(c, growingTo: length) }
        try f.truncate(length)
        c.kernel.filesShrank()
        c.kernel.inotify.notify(InotifyMask.modify, file: f)
        return .zero
    }
    static func truncatePath(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try truncatePath(c, length: c.long(1))
    }
    static func truncatePath(_ c: SyscallCall, length: Int64) throws(LinuxErrno) -> SyscallOutcome {
        let loc = try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: true)
        if loc.inode.kind == .directory { throw .EISDIR }
        if length < 0 { throw .EINVAL }
        if loc.inode.kind == .regular, length > (try loc.inode.stat().size) { try checkFileSize(c, growingTo: length) }
        try loc.inode.truncate(length)
        c.kernel.filesShrank()
        c.kernel.inotify.notify(InotifyMask.modify, at: loc)
        return .zero
    }
    static func fsync(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try file(c, 0).sync()
        return .zero
    }
    static func fchmod(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        guard let inode = f.inode else { throw .EBADF }
        try inode.setMode(c.uint(1))
        c.kernel.inotify.notify(InotifyMask.attrib, file: f)
        return .zero
    }
    static func fchmodat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try changeAttributes(c, try resolve(c, dirfd: c.int(0), path: try c.path(1), follow: true)) { (i) throws(LinuxErrno) in try i.setMode(c.uint(2)) }
    }
    static func chmodLegacy(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try changeAttributes(c, try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: true)) { (i) throws(LinuxErrno) in try i.setMode(c.uint(1)) }
    }
    /// Runs `change` on the object at `loc`, then reports it to inotify (`mask`, IN_ATTRIB by
    /// default).
    static func changeAttributes(_ c: SyscallCall, _ loc: Location, mask: UInt32 = InotifyMask.attrib,
                                 _ change: (Inode) throws(LinuxErrno) -> Void) throws(LinuxErrno) -> SyscallOutcome {
        try change(loc.inode)
        if mask != 0 { c.kernel.inotify.notify(mask, at: loc) }
        return .zero
    }
    static func ownerIDs(_ c: SyscallCall, _ i: Int) -> (UInt32?, UInt32?) {
        let u = c.uint(i), g = c.uint(i + 1)
        return (u == UInt32.max ? nil : u, g == UInt32.max ? nil : g)
    }
    static func fchown(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let f = try file(c, 0)
        guard let inode = f.inode else { throw .EBADF }
        let (u, g) = ownerIDs(c, 1)
        try inode.setOwner(uid: u, gid: g)
        c.kernel.inotify.notify(InotifyMask.attrib, file: f)
        return .zero
    }
    static func fchownat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let (u, g) = ownerIDs(c, 2)
        let loc = try resolve(c, dirfd: c.int(0), path: try c.path(1), follow: c.uint(4) & At.symlinkNoFollow == 0, emptyPathOK: c.uint(4) & At.emptyPath != 0)
        return try changeAttributes(c, loc) { (i) throws(LinuxErrno) in try i.setOwner(uid: u, gid: g) }
    }
    static func chownLegacy(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let (u, g) = ownerIDs(c, 1)
        return try changeAttributes(c, try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: true)) { (i) throws(LinuxErrno) in try i.setOwner(uid: u, gid: g) }
    }
    static func lchown(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let (u, g) = ownerIDs(c, 1)
        return try changeAttributes(c, try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: false)) { (i) throws(LinuxErrno) in try i.setOwner(uid: u, gid: g) }
    }

    static func utimensat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let path = c.word(1) == 0 ? [] : try c.path(1)
        let loc: Location
        if path.isEmpty {
            let f = try file(c, 0)
            guard let inode = f.inode else { throw .EBADF }
            loc = Location(inode: inode, path: f.path)
        } else {
            loc = try resolve(c, dirfd: c.int(0), path: path, follow: c.uint(3) & At.symlinkNoFollow == 0)
        }
        let now = try Host.clock(0)
        var times: [(Int64, Int64)?] = [now, now]
        if c.word(2) != 0 {
            // struct timespec[2] (64-bit fields for utimensat_time64).
            let size = c.time64 ? 16 : 2 * c.abi.wordSize
            for i in 0..<2 {
                guard let at = GuestMath.end(c.word(2), UInt64(i * size)) else { throw .EFAULT }
                let (s, ns) = try readTimespec(c, at)
                if ns == (1 << 30) - 1 { times[i] = now }  // UTIME_NOW
                else if ns == (1 << 30) - 2 { times[i] = nil }  // UTIME_OMIT
                else if ns >= 0 && ns < GuestMath.nanosecondsPerSecond { times[i] = (s, ns) }
                else { throw .EINVAL }
            }
        }
        return try setTimes(c, loc, times)
    }

    /// Sets the access and modification times of `loc` (nil leaves that one).
    static func setTimes(_ c: SyscallCall, _ loc: Location, _ times: [(Int64, Int64)?]) throws(LinuxErrno) -> SyscallOutcome {
        // inotify as Linux's fsnotify_change: both times IN_ATTRIB, one alone IN_ACCESS or
        // IN_MODIFY.
        let mask = times[0] != nil && times[1] != nil ? InotifyMask.attrib : times[0] != nil ? InotifyMask.access
            : times[1] != nil ? InotifyMask.modify : 0
        return try changeAttributes(c, loc, mask: mask) { (i) throws(LinuxErrno) in try i.setTimes(access: times[0], modify: times[1]) }
    }

    /// utime(path, utimbuf*): whole seconds; NULL sets both times to now. Superseded by
    /// utimensat, but programs still make the call itself (stress-ng, old binaries).
    static func utime(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let loc = try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: true)
        let now = try Host.clock(0)
        guard c.word(1) != 0 else { return try setTimes(c, loc, [now, now]) }
        var d = GuestDecoder(try c.mm.read(c.word(1), count: 2 * c.abi.wordSize), c.abi)
        let access = d.sword(), modify = d.sword()
        return try setTimes(c, loc, [(access, 0), (modify, 0)])
    }
    /// utimes(path, timeval[2]).
    static func utimes(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try microsecondTimes(c, dirfd: At.fdCWD, path: try c.path(0), times: c.word(1))
    }
    /// futimesat(dirfd, path, timeval[2]).
    static func futimesat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try microsecondTimes(c, dirfd: c.int(0), path: try c.path(1), times: c.word(2))
    }
    /// The timeval forms: microseconds outside 0..<10^6 are EINVAL; NULL is now.
    static func microsecondTimes(_ c: SyscallCall, dirfd: Int32, path: [UInt8], times address: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        let now = try Host.clock(0)
        var times: [(Int64, Int64)?] = [now, now]
        if address != 0 {
            var d = GuestDecoder(try c.mm.read(address, count: 4 * c.abi.wordSize), c.abi)
            for i in 0..<2 {
                let seconds = d.sword(), microseconds = d.sword()
                guard microseconds >= 0, microseconds < 1_000_000 else { throw .EINVAL }
                times[i] = (seconds, microseconds * 1000)
            }
        }
        return try setTimes(c, try resolve(c, dirfd: dirfd, path: path, follow: true), times)
    }
}
