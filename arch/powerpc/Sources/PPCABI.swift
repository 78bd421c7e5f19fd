import GuestKernel
import LinuxABI

/// The 32-bit PowerPC Linux ABI: ILP32 big-endian, `struct stat64`, its own open(2) flag bits
/// and terminal ioctl numbers, 64-bit arguments in aligned register pairs, and clone's
/// (flags, stack, parent_tid, tls, child_tid) order.
enum PPCABI {
    static func make() -> GuestABI {
        var abi = GuestABI(wordSize: 4, bigEndian: true,
                           syscalls: makeSyscallTable(),
                           machine: "ppc", hwcap: 0x8c00_0000 /* PPC_FEATURE_32 | HAS_FPU | HAS_MMU: no AltiVec */, encodeStat: encodeStat64)
        abi.openFlagsFromGuest = { fromGuest($0) }
        abi.openFlagsToGuest = { toGuest($0) }
        abi.ioctlFromGuest = { ioctls[$0] ?? $0 }
        // asm/socket.h: PowerPC numbers SO_RCVLOWAT .. SO_PEERCRED 16-21 in another order.
        let socketOptions: [Int32: Int32] = [16: 18, 17: 19, 18: 20, 19: 21, 20: 16, 21: 17]
        abi.socketOptionFromGuest = { socketOptions[$0] ?? $0 }
        abi.termios = termios
        abi.cloneTLSBeforeChildTID = true
        abi.ptraceRegisters = PPCPtraceLayout.layout
        abi.ipc.timeHighWordFirst = true
        abi.ipc.permSequenceIs32Bit = true
        abi.ipc.sharedMemorySizeAfterTimes = true
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

    /// PowerPC terminal ioctls → generic numbers.
    static let ioctls: [UInt32: UInt32] = [
        0x402c_7413: 0x5401, 0x802c_7414: 0x5402,  // TCGETS, TCSETS (44-byte termios, see below)
        0x802c_7415: 0x5403, 0x802c_7416: 0x5404,  // TCSETSW, TCSETSF
        0x2000_741d: 0x5409, 0x2000_741e: 0x540A, 0x2000_741f: 0x540B,  // TCSBRK, TCXONC, TCFLSH
        0x4008_7468: 0x5413, 0x8008_7467: 0x5414,  // TIOCGWINSZ, TIOCSWINSZ
        0x4004_7477: 0x540F, 0x8004_7476: 0x5410,  // TIOCGPGRP, TIOCSPGRP
        0x4004_667f: 0x541B, 0x8004_667e: 0x5421,  // FIONREAD, FIONBIO
        0x8004_667d: 0x5452,  // FIOASYNC
        0x2000_6601: 0x5451, 0x2000_6602: 0x5450,  // FIOCLEX, FIONCLEX
        0x4004_7473: 0x5411,  // TIOCOUTQ
        0x4004_5430: 0x8004_5430, 0x8004_5431: 0x4004_5431,  // TIOCGPTN, TIOCSPTLCK
        0x4004_5439: 0x8004_5439, 0x2000_5441: 0x5441,  // TIOCGPTLCK, TIOCGPTPEER
        0x5472: 0x5412, 0x5470: 0x5420, 0x4004_5438: 0x8004_5438,  // TIOCSTI, TIOCPKT, TIOCGPKT
        // (TIOCGLCKTRMIOS/TIOCSLCKTRMIOS are 0x5456/0x5457 on both)
    ]

    /// PowerPC's `struct termios`: four flag words, c_cc[19] *before* c_line, then the input and
    /// output speeds in baud (44 bytes); and its own flag bits and c_cc order (asm/termbits.h).
    static let termios = TermiosCodec(size: 44, encode: { t, e in
        e.u32(iflag.toGuest(t.iflag)); e.u32(oflag.toGuest(t.oflag))
        e.u32(cflag.toGuest(t.cflag)); e.u32(lflag.toGuest(t.lflag))
        for g in ccGeneric { e.u8(g < 0 ? 0 : t.cc[g]) }
        e.u8(t.line)
        let out = Termios.baud(t.cflag & 0x100f), inp = Termios.baud(t.cflag >> 16 & 0x100f)
        e.u32(inp == 0 ? out : inp); e.u32(out)
    }, decode: { d in
        var t = Termios()
        t.iflag = iflag.toGeneric(d.u32()); t.oflag = oflag.toGeneric(d.u32())
        t.cflag = cflag.toGeneric(d.u32()); t.lflag = lflag.toGeneric(d.u32())
        for g in ccGeneric { let c = d.u8(); if g >= 0 { t.cc[g] = c } }
        t.line = d.u8()
        return t
    })

    /// The generic index of each PowerPC c_cc slot (VINTR VQUIT VERASE VKILL VEOF VMIN VEOL
    /// VTIME VEOL2 VSWTC VWERASE VREPRINT VSUSP VSTART VSTOP VLNEXT VDISCARD, two spare).
    static let ccGeneric: [Int] = [0, 1, 2, 3, 4, 6, 11, 5, 16, 7, 14, 12, 10, 8, 9, 15, 13, -1, -1]

    static func same(_ bits: UInt32...) -> [(guest: UInt32, generic: UInt32)] { bits.map { ($0, $0) } }
    static let iflag = FlagTranslation(bits: same(0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x800, 0x2000, 0x4000)
        + [(0x200, 0x400) /* IXON */, (0x400, 0x1000) /* IXOFF */, (0x1000, 0x200) /* IUCLC */])
    static let oflag = FlagTranslation(
        bits: same(0x1, 0x8, 0x10, 0x20, 0x40, 0x80) + [(0x2, 0x4) /* ONLCR */, (0x4, 0x2) /* OLCUC */,
              (0x4000, 0x8000) /* FFDLY */, (0x8000, 0x2000) /* BSDLY */, (0x10000, 0x4000) /* VTDLY */],
        fields: [(0x300, 0x100, [(0x100, 0x100)]),  // NLDLY: NL1 (NL2, NL3 have no generic value)
                 (0xc00, 0x1800, [(0x400, 0x800), (0x800, 0x1000), (0xc00, 0x1800)]),  // TABDLY
                 (0x3000, 0x600, [(0x1000, 0x200), (0x2000, 0x400), (0x3000, 0x600)])])  // CRDLY
    /// Baud codes: B0…B38400 are 0…15 in both; B57600…B4000000 are 16…30 on PowerPC and
    /// CBAUDEX|1…15 generically; BOTHER is 31 against CBAUDEX alone.
    static let baudCodes: [(guest: UInt32, generic: UInt32)] =
        (0..<16).map { (UInt32($0), UInt32($0)) } + (1..<16).map { (UInt32(15 + $0), 0x1000 | UInt32($0)) } + [(0x1f, 0x1000)]
    static let cflag = FlagTranslation(
        bits: same(0x4000_0000, 0x8000_0000) + [(0x400, 0x40) /* CSTOPB */, (0x800, 0x80) /* CREAD */,
              (0x1000, 0x100) /* PARENB */, (0x2000, 0x200) /* PARODD */, (0x4000, 0x400) /* HUPCL */, (0x8000, 0x800) /* CLOCAL */],
        fields: [(0xff, 0x100f, baudCodes), (0xff_0000, 0x100f_0000, baudCodes.map { ($0.guest << 16, $0.generic << 16) }),
                 (0x300, 0x30, [(0x100, 0x10), (0x200, 0x20), (0x300, 0x30)])])  // CSIZE
    static let lflag = FlagTranslation(bits: same(0x8) + [
        (0x80, 0x1) /* ISIG */, (0x100, 0x2) /* ICANON */, (0x4000, 0x4) /* XCASE */, (0x2, 0x10) /* ECHOE */,
        (0x4, 0x20) /* ECHOK */, (0x10, 0x40) /* ECHONL */, (0x8000_0000, 0x80) /* NOFLSH */, (0x40_0000, 0x100) /* TOSTOP */,
        (0x40, 0x200) /* ECHOCTL */, (0x20, 0x400) /* ECHOPRT */, (0x1, 0x800) /* ECHOKE */, (0x80_0000, 0x1000) /* FLUSHO */,
        (0x2000_0000, 0x4000) /* PENDIN */, (0x400, 0x8000) /* IEXTEN */, (0x1000_0000, 0x10000) /* EXTPROC */])
}
