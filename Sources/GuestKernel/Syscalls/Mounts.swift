import HostOS
import LinuxABI

// mount(2) and umount2(2) inside the guest: new tmpfs and proc mounts, remounting a tmpfs
// read-only or read-write, propagation changes (accepted: there is one mount namespace), and
// unmounting what a guest or the command line mounted.

enum MountFlags {
    static let readOnly: UInt64 = 1
    static let remount: UInt64 = 32
    static let bind: UInt64 = 4096
    static let move: UInt64 = 8192
    /// MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED.
    static let propagation: UInt64 = (1 << 17) | (1 << 18) | (1 << 19) | (1 << 20)
    /// The magic number old callers put in the high half of the flags (MS_MGC_VAL).
    static let magicMask: UInt64 = 0xffff_0000
    static let magic: UInt64 = 0xc0ed_0000

    static let umountForce: UInt32 = 1, umountDetach: UInt32 = 2, umountExpire: UInt32 = 4, umountNoFollow: UInt32 = 8
}

extension CoreSyscalls {
    /// mount(source, target, filesystemtype, mountflags, data).
    static func mount(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        guard c.task.process.credentials.isRoot else { throw .EPERM }
        var flags = c.word(3)
        if flags & MountFlags.magicMask == MountFlags.magic { flags &= ~MountFlags.magicMask }
        let target = try resolve(c, dirfd: At.fdCWD, path: try c.path(1), follow: true)
        let vfs = c.kernel.vfs
        if flags & (MountFlags.bind | MountFlags.move) != 0 { throw .EINVAL }  // not supported (yet)
        if flags & MountFlags.remount != 0 {
            guard let m = vfs.mounts[target.path] else { throw .EINVAL }
            guard let tmp = m.fs as? TmpFS else { throw .EINVAL }
            tmp.readOnly = flags & MountFlags.readOnly != 0
            return .zero
        }
        if flags & MountFlags.propagation != 0 {
            // One mount namespace: sharing and privacy change nothing, but the target must be a mount.
            guard vfs.mounts[target.path] != nil else { throw .EINVAL }
            return .zero
        }
        guard c.word(2) != 0 else { throw .EINVAL }
        let type = String(decoding: try c.mm.readCString(c.word(2), limit: 4096), as: UTF8.self)
        let source = c.word(0) == 0 ? "none" : String(decoding: try c.mm.readCString(c.word(0), limit: 4096), as: UTF8.self)
        let data = c.word(4) == 0 ? "" : String(decoding: try c.mm.readCString(c.word(4), limit: 4096), as: UTF8.self)
        guard target.inode.kind == .directory else { throw .ENOTDIR }
        let fs: FileSystem
        switch type {
        case "tmpfs":
            let options = try TmpFSOptions(parsing: data, memoryLimit: c.kernel.memory.limit)
            let tmp = TmpFS(device: c.kernel.anonymousDevice(), mode: options.mode, clock: { (try? Host.clock(0)) ?? (0, 0) },
                            account: c.kernel.memory, descriptors: c.kernel.hostDescriptors,
                            sizeLimit: options.size, readOnly: flags & MountFlags.readOnly != 0)
            if options.uid != nil || options.gid != nil { try tmp.root.setOwner(uid: options.uid, gid: options.gid) }
            fs = tmp
        case "proc":
            fs = ProcFS(device: c.kernel.anonymousDevice(), kernel: c.kernel)
        default:
            throw .ENODEV
        }
        vfs.mount(fs, at: target.path, source: source)
        return .zero
    }

    /// umount2(target, flags).
    static func umount2(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try unmount(c, flags: c.uint(1))
    }
    /// umount(target): umount2 with no flags (32-bit ISAs).
    static func umount(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try unmount(c, flags: 0)
    }

    static func unmount(_ c: SyscallCall, flags: UInt32) throws(LinuxErrno) -> SyscallOutcome {
        let known = MountFlags.umountForce | MountFlags.umountDetach | MountFlags.umountExpire | MountFlags.umountNoFollow
        if flags & ~known != 0 { throw .EINVAL }
        if flags & MountFlags.umountExpire != 0 && flags & (MountFlags.umountForce | MountFlags.umountDetach) != 0 { throw .EINVAL }
        guard c.task.process.credentials.isRoot else { throw .EPERM }
        let target = try resolve(c, dirfd: At.fdCWD, path: try c.path(0), follow: flags & MountFlags.umountNoFollow == 0)
        let vfs = c.kernel.vfs
        guard let m = vfs.mounts[target.path] else { throw .EINVAL }
        if flags & MountFlags.umountDetach == 0 && c.kernel.uses(m) { throw .EBUSY }
        try vfs.unmount(target.path)
        return .zero
    }
}

extension Kernel {
    /// A device number for a new anonymous mount (major 0, as Linux's tmpfs and proc have).
    func anonymousDevice() -> UInt64 {
        defer { nextAnonymousDevice += 1 }
        return nextAnonymousDevice
    }

    /// Whether a process works in the mount `m` (its directory or root is in it, or it has a
    /// file of it open): unmounting it is then EBUSY, as on Linux.
    func uses(_ m: Mount) -> Bool {
        let prefix = m.path == "/" ? "/" : m.path + "/"
        func inside(_ path: String) -> Bool { path == m.path || path.hasPrefix(prefix) }
        for task in tasks.values {
            if inside(task.fs.cwd.path) || inside(task.fs.root.path) { return true }
            for slot in task.files.slots { if let f = slot?.file, let inode = f.inode, inode.fs === m.fs { return true } }
        }
        return false
    }
}

/// tmpfs's mount options (the data of mount(2), `--tmpfs DIR:OPTIONS`): size=N[k|m|g|%],
/// mode=OCTAL, uid=N, gid=N; nr_inodes and nr_blocks are accepted and ignored. Anything else
/// is EINVAL, as Linux's tmpfs rejects an unknown parameter.
public struct TmpFSOptions {
    /// nil: no limit but the machine's memory (size=0 means the same).
    public var size: UInt64?
    public var mode: UInt32 = 0o1777
    public var uid: UInt32?, gid: UInt32?

    public init(parsing text: String, memoryLimit: UInt64) throws(LinuxErrno) {
        for option in text.split(separator: ",") where !option.isEmpty {
            let parts = option.split(separator: "=", maxSplits: 1)
            let key = String(parts[0]), value = parts.count == 2 ? String(parts[1]) : ""
            switch key {
            case "size":
                guard let bytes = Self.size(value, memoryLimit: memoryLimit) else { throw .EINVAL }
                if bytes == 0 { size = nil; continue }
                guard let rounded = GuestMath.roundUp(bytes, to: 4096) else { throw .EINVAL }
                size = rounded
            case "mode":
                guard let m = UInt32(value, radix: 8), m <= 0o7777 else { throw .EINVAL }
                mode = m
            case "uid":
                guard let u = UInt32(value) else { throw .EINVAL }
                uid = u
            case "gid":
                guard let g = UInt32(value) else { throw .EINVAL }
                gid = g
            case "nr_inodes", "nr_blocks":
                guard Self.size(value, memoryLimit: memoryLimit) != nil else { throw .EINVAL }
            case "rw", "ro", "defaults", "nosuid", "nodev", "noexec", "relatime", "noatime":
                continue
            default:
                throw .EINVAL
            }
        }
    }

    /// N, Nk, Nm, Ng (powers of 1024) or N% of the machine's memory.
    static func size(_ text: String, memoryLimit: UInt64) -> UInt64? {
        guard let last = text.last else { return nil }
        var digits = text
        var shift: UInt64 = 0
        var percent = false
        switch last {
        case "k", "K": shift = 10
        case "m", "M": shift = 20
        case "g", "G": shift = 30
        case "t", "T": shift = 40
        case "%": percent = true
        default: break
        }
        if shift != 0 || percent { digits.removeLast() }
        guard let n = UInt64(digits) else { return nil }
        if percent { return GuestMath.product(memoryLimit / 100, n) }
        return GuestMath.product(n, 1 << shift)
    }
}
