import LinuxABI

/// The guest's data model and the ISA-specific pieces of the Linux ABI.
///
/// Syscall numbers, argument order for a few calls, and the layout of a handful of structures
/// differ between instruction sets; handlers do not. Each backend describes its ISA here, and the
/// handlers encode guest structures through it.
public struct GuestABI {
    /// 4 for 32-bit guests, 8 for 64-bit ones.
    public var wordSize: Int
    public var bigEndian: Bool
    /// The ISA's system call table.
    public var syscalls: SyscallTable
    /// uname(2) machine field, and AT_PLATFORM.
    public var machine: String
    public var hwcap: UInt64
    public var hwcap2: UInt64 = 0
    public var pageSize: UInt64 = 4096
    /// Encodes `struct stat` as fstat/newfstatat/stat64 return it on this ISA.
    public var encodeStat: (FileStat) -> [UInt8]
    /// Translates the ISA's open(2) flag bits into the core's (generic) numbering, and back.
    public var openFlagsFromGuest: (UInt32) -> OpenFlags = { OpenFlags(rawValue: $0) }
    public var openFlagsToGuest: (OpenFlags) -> UInt32 = { $0.rawValue }
    /// Translates the ISA's terminal ioctl numbers into the generic ones (identity by default).
    public var ioctlFromGuest: (UInt32) -> UInt32 = { $0 }
    /// The guest's `struct termios` for TCGETS/TCSETS* (after `ioctlFromGuest`).
    public var termios: TermiosCodec = .generic
    /// Bytes to keep free below the stack pointer before a signal frame (x86-64's red zone).
    public var signalRedZone: UInt64 = 0
    /// Auxiliary vector entries the ISA adds before the common ones (PowerPC's cache geometry).
    public var extraAuxv: [(UInt64, UInt64)] = []
    /// `struct sigaction` has an `sa_restorer` word between the flags and the mask (x86-64,
    /// PowerPC); IA-64's has none.
    public var sigactionHasRestorer = true
    /// clone(2) takes the TLS pointer before the child's TID pointer (Linux's CLONE_BACKWARDS:
    /// PowerPC, ARM) instead of after it (x86-64, IA-64).
    public var cloneTLSBeforeChildTID = false
    /// Translates the ISA's SOL_SOCKET option names into the generic numbering (PowerPC numbers
    /// SO_RCVLOWAT .. SO_PEERCRED differently).
    public var socketOptionFromGuest: (Int32) -> Int32 = { $0 }
    /// `struct epoll_event` is packed (x86-64: events then data at offset 4, 12 bytes) instead
    /// of naturally aligned (data at offset 8, 16 bytes).
    public var epollEventPacked = false
    /// The layouts of the System V IPC structures (IPC/IPCStructs.swift).
    public var ipc = IPCStructLayout()
    /// Initial stack size reserved for the main thread.
    public var stackSize: UInt64 = 8 << 20
    /// Size of a second, upward-growing stack some ISAs keep (IA-64's register backing store);
    /// 0 for none. The loader maps it as "[rbs]" and passes its base in `ProgramStart`.
    public var registerStackSize: UInt64 = 0
    /// How ptrace(2) lays out the registers (Ptrace/PtraceLink.swift); nil: register requests fail with EIO.
    public var ptraceRegisters: PtraceRegisterLayout?

    public init(wordSize: Int, bigEndian: Bool, syscalls: SyscallTable, machine: String, hwcap: UInt64,
                encodeStat: @escaping (FileStat) -> [UInt8]) {
        self.wordSize = wordSize; self.bigEndian = bigEndian; self.syscalls = syscalls
        self.machine = machine; self.hwcap = hwcap; self.encodeStat = encodeStat
    }

    /// Mask of a guest word (for 32-bit guests, arguments are taken modulo 2^32).
    public var wordMask: UInt64 { wordSize == 8 ? ~0 : 0xffff_ffff }
}

/// File status, ISA-neutral; `GuestABI.encodeStat` lays it out for the guest.
public struct FileStat {
    public var device: UInt64 = 0, inode: UInt64 = 0, mode: UInt32 = 0, links: UInt64 = 1
    public var uid: UInt32 = 0, gid: UInt32 = 0, rdev: UInt64 = 0, size: Int64 = 0
    public var blockSize: Int64 = 4096, blocks: Int64 = 0
    public var atime: (Int64, Int64) = (0, 0), mtime: (Int64, Int64) = (0, 0), ctime: (Int64, Int64) = (0, 0)
    public init() {}
}

/// Builds guest structures byte by byte in the guest's word size and byte order.
public struct GuestEncoder {
    public private(set) var bytes: [UInt8] = []
    public let wordSize: Int
    public let bigEndian: Bool
    public init(_ abi: GuestABI) { wordSize = abi.wordSize; bigEndian = abi.bigEndian }
    public init(wordSize: Int, bigEndian: Bool) { self.wordSize = wordSize; self.bigEndian = bigEndian }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { append(UInt64(v), 2) }
    public mutating func u32(_ v: UInt32) { append(UInt64(v), 4) }
    public mutating func i32(_ v: Int32) { append(UInt64(UInt32(bitPattern: v)), 4) }
    public mutating func u64(_ v: UInt64) { append(v, 8) }
    public mutating func i64(_ v: Int64) { append(UInt64(bitPattern: v), 8) }
    /// A C `long` / pointer.
    public mutating func word(_ v: UInt64) { append(v, wordSize) }
    public mutating func sword(_ v: Int64) { append(UInt64(bitPattern: v), wordSize) }
    public mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }
    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    public mutating func align(_ n: Int) { while bytes.count % n != 0 { bytes.append(0) } }
    public mutating func pad(to size: Int) { while bytes.count < size { bytes.append(0) } }

    @inline(__always) mutating func append(_ v: UInt64, _ size: Int) {
        if bigEndian {
            for i in (0..<size).reversed() { bytes.append(UInt8(truncatingIfNeeded: v >> (UInt64(i) * 8))) }
        } else {
            for i in 0..<size { bytes.append(UInt8(truncatingIfNeeded: v >> (UInt64(i) * 8))) }
        }
    }
}

/// Reads guest structures from raw bytes in the guest's word size and byte order.
public struct GuestDecoder {
    public let bytes: [UInt8]
    public var offset = 0
    public let wordSize: Int
    public let bigEndian: Bool
    public init(_ bytes: [UInt8], _ abi: GuestABI) { self.bytes = bytes; wordSize = abi.wordSize; bigEndian = abi.bigEndian }

    public mutating func u8() -> UInt8 { UInt8(truncatingIfNeeded: take(1)) }
    public mutating func u16() -> UInt16 { UInt16(truncatingIfNeeded: take(2)) }
    public mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: take(4)) }
    public mutating func i32() -> Int32 { Int32(bitPattern: u32()) }
    public mutating func u64() -> UInt64 { take(8) }
    public mutating func i64() -> Int64 { Int64(bitPattern: take(8)) }
    public mutating func word() -> UInt64 { take(wordSize) }
    /// A signed C `long`, sign-extended to 64 bits.
    public mutating func sword() -> Int64 {
        let v = take(wordSize)
        return wordSize == 8 ? Int64(bitPattern: v) : Int64(Int32(truncatingIfNeeded: v))
    }
    public mutating func skip(_ n: Int) { offset += n }

    mutating func take(_ size: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<size {
            let b = offset + i < bytes.count ? UInt64(bytes[offset + i]) : 0
            if bigEndian { v = v << 8 | b } else { v |= b << (UInt64(i) * 8) }
        }
        offset += size
        return v
    }
}
