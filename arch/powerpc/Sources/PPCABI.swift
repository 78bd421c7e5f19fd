import GuestKernel
import LinuxABI

/// The 32-bit PowerPC Linux ABI: ILP32 big-endian, `struct stat64`, its own open(2) flag bits
/// and terminal ioctl numbers, 64-bit arguments in aligned register pairs, and clone's
/// (flags, stack, parent_tid, tls, child_tid) order.
enum PPCABI {
    static func make() -> GuestABI {
        var abi = GuestABI(wordSize: 4, bigEndian: true,
                           syscalls: SyscallTable(numbers: PPCSyscallNumbers.table, overrides: overrides),
                           machine: "ppc", hwcap: 0x8c00_0000 /* PPC_FEATURE_32 | HAS_FPU | HAS_MMU: no AltiVec */, encodeStat: encodeStat64)
        abi.openFlagsFromGuest = { fromGuest($0) }
        abi.openFlagsToGuest = { toGuest($0) }
        abi.ioctlFromGuest = { ioctls[$0] ?? $0 }
        // Cache geometry the PowerPC auxv carries (AT_DCACHEBSIZE, AT_ICACHEBSIZE, AT_UCACHEBSIZE).
        abi.extraAuxv = [(19, 32), (20, 32), (21, 0)]
        return abi
    }

    /// struct stat64 (104 bytes).
    static func encodeStat64(_ s: FileStat) -> [UInt8] {
        var e = GuestEncoder(wordSize: 4, bigEndian: true)
        e.u64(s.device); e.u64(s.inode)
        e.u32(s.mode); e.u32(UInt32(truncatingIfNeeded: s.links)); e.u32(s.uid); e.u32(s.gid)
        e.u64(s.rdev); e.u16(0); e.align(8)
        e.i64(s.size); e.i32(Int32(truncatingIfNeeded: s.blockSize)); e.align(8); e.i64(s.blocks)
        for t in [s.atime, s.mtime, s.ctime] { e.i32(Int32(truncatingIfNeeded: t.0)); e.u32(UInt32(truncatingIfNeeded: t.1)) }
        e.u32(0); e.u32(0)
        return e.bytes
    }

    /// PowerPC's O_DIRECTORY/O_NOFOLLOW/O_LARGEFILE/O_DIRECT differ from the generic values.
    static let swaps: [(guest: UInt32, generic: UInt32)] = [
        (0o40000, OpenFlags.directory.rawValue), (0o100000, OpenFlags.noFollow.rawValue),
        (0o200000, OpenFlags.largeFile.rawValue), (0o400000, OpenFlags.direct.rawValue),
    ]
    static let swapMask: UInt32 = 0o740000
    static func fromGuest(_ v: UInt32) -> OpenFlags {
        var out = v & ~swapMask
        for s in swaps where v & s.guest != 0 { out |= s.generic }
        return OpenFlags(rawValue: out)
    }
    static func toGuest(_ f: OpenFlags) -> UInt32 {
        var out = f.rawValue & ~swapMask
        for s in swaps where f.rawValue & s.generic != 0 { out |= s.guest }
        return out
    }

    /// PowerPC terminal ioctls → generic numbers (TCGETS/TCSETS use a different termios
    /// layout and are left unmapped: the guest sees ENOTTY, as with a non-terminal).
    static let ioctls: [UInt32: UInt32] = [
        0x4008_7468: 0x5413, 0x8008_7467: 0x5414,  // TIOCGWINSZ, TIOCSWINSZ
        0x4004_7477: 0x540F, 0x8004_7476: 0x5410,  // TIOCGPGRP, TIOCSPGRP
        0x4004_667f: 0x541B, 0x8004_667e: 0x5421,  // FIONREAD, FIONBIO
        0x2000_6601: 0x5451, 0x2000_6602: 0x5450,  // FIOCLEX, FIONCLEX
    ]

    /// A 64-bit argument passed in the register pair starting at `i` (high word first).
    static func pair(_ c: SyscallCall, _ i: Int) -> Int64 {
        Int64(bitPattern: (c.args[i] & 0xffff_ffff) << 32 | (c.args[i + 1] & 0xffff_ffff))
    }
    static func with(_ c: SyscallCall, _ args: SyscallArguments) -> SyscallCall {
        var n = SyscallCall(kernel: c.kernel, task: c.task, number: c.number, args: args)
        n.time64 = c.time64
        return n
    }

    static let overrides: [String: SyscallEntry] = [
        // clone(flags, newsp, parent_tidptr, tls, child_tidptr)
        "clone": SyscallEntry("clone", .full, [.hex, .pointer, .pointer, .pointer, .pointer]) { (c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in
            var x = with(c, SyscallArguments(c.args.a0, c.args.a1, c.args.a2, c.args.a4, c.args.a3, 0))
            return try CoreSyscalls.catalog["clone"]!.handler(&x)
        },
        // pread64(fd, buf, count, [pad], pos_hi, pos_lo)
        "pread64": SyscallEntry("pread64", .full, [.fd, .pointer, .size]) { (c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in
            try CoreSyscalls.pread(c, offset: pair(c, 4))
        },
        "pwrite64": SyscallEntry("pwrite64", .full, [.fd, .string, .size]) { (c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in
            try CoreSyscalls.pwrite(c, offset: pair(c, 4))
        },
        // ftruncate64(fd, [pad], len_hi, len_lo), truncate64(path, [pad], len_hi, len_lo)
        "ftruncate64": SyscallEntry("ftruncate64", .full, [.fd]) { (c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in
            try CoreSyscalls.ftruncate(c, length: pair(c, 2))
        },
        "truncate64": SyscallEntry("truncate64", .full, [.path]) { (c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in
            try CoreSyscalls.truncatePath(c, length: pair(c, 2))
        },
        // _llseek(fd, offset_hi, offset_lo, loff_t *result, whence)
        "_llseek": SyscallEntry("_llseek", .full, [.fd, .hex, .hex, .pointer, .int]) { (c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in
            let f = try c.task.files.get(c.int(0))
            let pos = try f.seek(pair(c, 1), whence: c.int(4))
            var e = GuestEncoder(c.abi)
            e.i64(pos)
            try c.mm.write(c.word(3), e.bytes)
            return .zero
        },
        "fadvise64_64": SyscallEntry("fadvise64_64", .stub, [.fd]) { (_: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in .zero },
    ]
}
