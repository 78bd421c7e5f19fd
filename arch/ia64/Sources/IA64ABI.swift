import GuestKernel
import LinuxABI

/// The IA-64 Linux ABI: LP64 little-endian, generic open flags and ioctls, syscall numbers
/// 1024 + n, `struct stat` with blksize/blocks after the times, sigaction without a restorer,
/// and pipe(2) returning both descriptors in registers (r8, r9).
enum IA64ABI {
    static func make() -> GuestABI {
        var abi = GuestABI(wordSize: 8, bigEndian: false,
                           syscalls: makeSyscallTable(),
                           machine: "ia64", hwcap: 0, encodeStat: encodeStat)
        abi.registerStackSize = 8 << 20
        abi.sigactionHasRestorer = false
        return abi
    }

    static func encodeStat(_ s: FileStat) -> [UInt8] {
        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        e.u64(s.device); e.u64(s.inode); e.u64(s.links)
        e.u32(s.mode); e.u32(s.uid); e.u32(s.gid); e.u32(0)
        e.u64(s.rdev); e.i64(s.size)
        e.i64(s.atime.0); e.i64(s.atime.1); e.i64(s.mtime.0); e.i64(s.mtime.1); e.i64(s.ctime.0); e.i64(s.ctime.1)
        e.i64(s.blockSize); e.i64(s.blocks)
        e.zeros(24)
        return e.bytes
    }

    /// pipe(int[2]) returns the two descriptors in r8 and r9 on IA-64 (the array is not written).
    static let pipeInRegisters = SyscallEntry(.full, []) { (c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in
        guard let ctx = c.task.context as? IA64Context else { throw .EINVAL }
        let pair = try CoreSyscalls.openPipe(c)
        ctx.state.gr[9] = UInt64(pair.1)
        return .int(Int(pair.0))
    }
}
