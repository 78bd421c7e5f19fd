import LinuxABI

// memfd_create and the seals of fcntl (F_ADD_SEALS, F_GET_SEALS).

extension CoreSyscalls {
    /// memfd_create's flags (include/uapi/linux/memfd.h).
    enum MemfdFlag {
        static let closeOnExec: UInt32 = 1, allowSealing: UInt32 = 2, hugeTLB: UInt32 = 4
        static let noExecSeal: UInt32 = 8, exec: UInt32 = 0x10
    }
    /// The longest name memfd_create takes (Linux's MFD_NAME_MAX_LEN: NAME_MAX minus "memfd:").
    static let memfdNameMax = 249

    /// memfd_create(name, flags): an anonymous tmpfs file, read-write, in the kernel's memfd
    /// file system (so it is charged to the machine's memory like /tmp's files, and maps
    /// shared on every backend as they do). /proc/<pid>/fd shows "/memfd:NAME (deleted)".
    /// Huge pages are not modelled: MFD_HUGETLB is EINVAL.
    static func memfdCreate(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let flags = c.uint(1)
        let known = MemfdFlag.closeOnExec | MemfdFlag.allowSealing | MemfdFlag.noExecSeal | MemfdFlag.exec
        guard flags & ~known == 0, flags & (MemfdFlag.noExecSeal | MemfdFlag.exec) != MemfdFlag.noExecSeal | MemfdFlag.exec else { throw .EINVAL }
        let name: [UInt8]
        do { name = try c.mm.readCString(c.word(0), limit: memfdNameMax + 1) } catch .ENAMETOOLONG { throw .EINVAL }
        let creds = c.task.process.credentials
        let noExec = flags & MemfdFlag.noExecSeal != 0
        let node = try TmpFile(fs: c.kernel.memfdFS, fileMode: noExec ? 0o666 : 0o777, uid: creds.fsuid, gid: creds.fsgid)
        node.links = 0
        // MFD_NOEXEC_SEAL implies sealing, with F_SEAL_EXEC set.
        if noExec {
            node.data.seals = TmpFileData.Seal.exec
        } else if flags & MemfdFlag.allowSealing != 0 {
            node.data.seals = 0
        }
        let file = RegularFile(inode: node, flags: OpenFlags(rawValue: OpenFlags.readWrite).union(.largeFile),
                               path: "/memfd:\(String(decoding: name, as: UTF8.self)) (deleted)", contents: node.data)
        return .int(Int(try c.task.files.install(file, closeOnExec: flags & MemfdFlag.closeOnExec != 0,
                                                 limit: c.task.process.limits.openFiles)))
    }

    /// fcntl F_ADD_SEALS (1033) and F_GET_SEALS (1034): tmpfs files only (EINVAL elsewhere, as
    /// Linux's memfd_fcntl). Adding needs a writable descriptor and a file not sealed against
    /// sealing (EPERM). Linux refuses F_SEAL_WRITE with EBUSY while writable shared mappings
    /// exist; here such mappings keep writing (the seal holds for write, truncate and new maps).
    static func fcntlSeals(_ c: SyscallCall, _ f: OpenFile, add: Bool) throws(LinuxErrno) -> SyscallOutcome {
        guard let data = (f as? RegularFile)?.contents as? TmpFileData else { throw .EINVAL }
        guard add else { return .int(Int(data.seals)) }
        let new = c.uint(2)
        guard new & ~TmpFileData.Seal.all == 0 else { throw .EINVAL }
        guard f.flags.canWrite, data.seals & TmpFileData.Seal.seal == 0 else { throw .EPERM }
        data.seals |= new
        return .zero
    }
}
