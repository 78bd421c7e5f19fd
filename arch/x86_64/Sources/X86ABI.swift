import GuestKernel
import LinuxABI

/// The x86-64 Linux ABI: LP64 little-endian, the syscall numbers of arch/x86_64/syscall.tbl
/// (X86SyscallTable.swift), `struct stat` as fstat returns it, and arch_prctl for the TLS base.
enum X86ABI {
    static func make() -> GuestABI {
        var abi = GuestABI(wordSize: 8, bigEndian: false,
                           syscalls: makeSyscallTable(),
                           machine: "x86_64", hwcap: 0x178bfbff, encodeStat: encodeStat)
        abi.signalRedZone = 128
        abi.epollEventPacked = true
        abi.ipc.semaphoreTimesPadded = true
        abi.ptraceRegisters = X86PtraceLayout.layout
        return abi
    }

    /// struct stat (144 bytes).
    static func encodeStat(_ s: FileStat) -> [UInt8] {
        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        e.u64(s.device); e.u64(s.inode); e.u64(s.links)
        e.u32(s.mode); e.u32(s.uid); e.u32(s.gid); e.u32(0)
        e.u64(s.rdev); e.i64(s.size); e.i64(s.blockSize); e.i64(s.blocks)
        e.i64(s.atime.0); e.i64(s.atime.1); e.i64(s.mtime.0); e.i64(s.mtime.1); e.i64(s.ctime.0); e.i64(s.ctime.1)
        e.zeros(24)
        return e.bytes
    }

    /// arch_prctl(code, addr): the FS/GS bases.
    static let archPrctl = SyscallEntry(.partial, [.hex, .pointer]) { (c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in
        guard let ctx = c.task.context as? X86Context else { throw .EINVAL }
        switch c.int(0) {
        case 0x1002:  // ARCH_SET_FS
            guard c.word(1) < StubImage.base else { throw .EPERM }
            ctx.setThreadPointer(c.word(1))
            return .zero
        case 0x1003:  // ARCH_GET_FS
            return try store(ctx.regs.fs_base, c)
        case 0x1001:  // ARCH_SET_GS
            guard c.word(1) < StubImage.base else { throw .EPERM }
            ctx.regs.gs_base = c.word(1)
            ctx.dirty = .all
            return .zero
        case 0x1004:  // ARCH_GET_GS
            return try store(ctx.regs.gs_base, c)
        case 0x3001: throw .ENODEV  // ARCH_CET_STATUS
        default: throw .EINVAL
        }
    }

    /// Writes a 64-bit value to the address in the call's second argument.
    static func store(_ value: UInt64, _ c: SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        e.u64(value)
        try c.mm.write(c.word(1), e.bytes)
        return .zero
    }
}
