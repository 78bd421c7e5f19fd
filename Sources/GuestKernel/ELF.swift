import LinuxABI

/// A parsed ELF executable: just what loading needs, for 32- and 64-bit, either byte order.
public struct ELFImage {
    public enum FileType: UInt16 { case executable = 2, shared = 3 }
    public struct Segment {
        public var type: UInt32, flags: UInt32
        public var offset: UInt64, vaddr: UInt64, fileSize: UInt64, memSize: UInt64, align: UInt64
    }
    public var is64: Bool
    public var bigEndian: Bool
    public var machine: UInt16
    public var type: FileType
    public var entry: UInt64
    public var phoff: UInt64, phentsize: UInt16, phnum: UInt16
    public var segments: [Segment]
    public var interpreter: String?

    public static let PT_LOAD: UInt32 = 1, PT_INTERP: UInt32 = 3, PT_PHDR: UInt32 = 6, PT_GNU_STACK: UInt32 = 0x6474_e551

    /// Why a file cannot be run, in words for the user.
    public enum Problem: Error, CustomStringConvertible {
        case notELF, truncated, unsupportedType(UInt16), badHeader(String)
        public var description: String {
            switch self {
            case .notELF: "not an ELF executable"
            case .truncated: "truncated ELF file"
            case .unsupportedType(let t): "ELF type \(t) is not an executable"
            case .badHeader(let s): "malformed ELF: \(s)"
            }
        }
    }

    /// Reads the ELF identification only: (is64, bigEndian, machine), or nil if not ELF.
    public static func identify(_ header: [UInt8]) -> (is64: Bool, bigEndian: Bool, machine: UInt16)? {
        guard header.count >= 20, header[0] == 0x7f, header[1] == 0x45, header[2] == 0x4c, header[3] == 0x46 else { return nil }
        guard header[4] == 1 || header[4] == 2, header[5] == 1 || header[5] == 2 else { return nil }
        let big = header[5] == 2
        let machine = big ? UInt16(header[18]) << 8 | UInt16(header[19]) : UInt16(header[19]) << 8 | UInt16(header[18])
        return (header[4] == 2, big, machine)
    }

    /// Parses the header and program headers; `read(offset, count)` supplies file bytes.
    public static func parse(read: (UInt64, Int) throws(LinuxErrno) -> [UInt8]) throws(Problem) -> ELFImage {
        let h: [UInt8]
        do { h = try read(0, 64) } catch { throw .truncated }
        guard let id = identify(h) else { throw .notELF }
        let need = id.is64 ? 64 : 52
        guard h.count >= need else { throw .truncated }
        var d = Reader(bytes: h, big: id.bigEndian)
        d.offset = 16
        let rawType = d.u16()
        guard let type = FileType(rawValue: rawType) else { throw .unsupportedType(rawType) }
        _ = d.u16()  // machine
        _ = d.u32()  // version
        let entry = id.is64 ? d.u64() : UInt64(d.u32())
        let phoff = id.is64 ? d.u64() : UInt64(d.u32())
        _ = id.is64 ? d.u64() : UInt64(d.u32())  // shoff
        _ = d.u32()  // flags
        _ = d.u16()  // ehsize
        let phentsize = d.u16()
        let phnum = d.u16()
        let expected: UInt16 = id.is64 ? 56 : 32
        guard phentsize == expected else { throw .badHeader("program header size \(phentsize)") }
        guard phnum > 0, phnum <= 128 else { throw .badHeader("\(phnum) program headers") }
        let table: [UInt8]
        do { table = try read(phoff, Int(phnum) * Int(phentsize)) } catch { throw .truncated }
        guard table.count == Int(phnum) * Int(phentsize) else { throw .truncated }
        var segments: [Segment] = []
        var p = Reader(bytes: table, big: id.bigEndian)
        for _ in 0..<phnum {
            var s = Segment(type: 0, flags: 0, offset: 0, vaddr: 0, fileSize: 0, memSize: 0, align: 0)
            if id.is64 {
                s.type = p.u32(); s.flags = p.u32(); s.offset = p.u64(); s.vaddr = p.u64(); _ = p.u64()
                s.fileSize = p.u64(); s.memSize = p.u64(); s.align = p.u64()
            } else {
                s.type = p.u32(); s.offset = UInt64(p.u32()); s.vaddr = UInt64(p.u32()); _ = p.u32()
                s.fileSize = UInt64(p.u32()); s.memSize = UInt64(p.u32()); s.flags = p.u32(); s.align = UInt64(p.u32())
            }
            if s.type == PT_LOAD {
                guard s.fileSize <= s.memSize else { throw .badHeader("segment file size exceeds memory size") }
                guard GuestMath.end(s.vaddr, s.memSize) != nil, GuestMath.end(s.offset, s.fileSize) != nil else { throw .badHeader("segment wraps") }
            }
            segments.append(s)
        }
        guard segments.contains(where: { $0.type == PT_LOAD }) else { throw .badHeader("no loadable segment") }
        var interp: String?
        if let s = segments.first(where: { $0.type == PT_INTERP }) {
            guard s.fileSize > 1, s.fileSize < 4096 else { throw .badHeader("bad interpreter path") }
            let bytes: [UInt8]
            do { bytes = try read(s.offset, Int(s.fileSize)) } catch { throw .truncated }
            guard bytes.count == Int(s.fileSize) else { throw .truncated }
            // Linux's load_elf_binary: the path must end with its NUL (ENOEXEC otherwise).
            guard bytes.last == 0 else { throw .badHeader("interpreter path not terminated") }
            interp = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return ELFImage(is64: id.is64, bigEndian: id.bigEndian, machine: id.machine, type: type, entry: entry,
                        phoff: phoff, phentsize: phentsize, phnum: phnum, segments: segments, interpreter: interp)
    }

    var loads: [Segment] { segments.filter { $0.type == ELFImage.PT_LOAD } }

    /// A section that holds instructions (SHF_EXECINSTR), for disassembly.
    public struct CodeSection {
        public var name: String, address: UInt64, offset: UInt64, size: UInt64
    }

    /// The executable sections of a whole ELF file, in file order (empty if it has none).
    /// Every number comes from the file: a section table or a section outside the file, or one
    /// whose addresses pass 2^64, is left out.
    public static func codeSections(_ file: [UInt8]) -> [CodeSection] {
        guard let id = identify(file), file.count >= (id.is64 ? 64 : 52) else { return [] }
        let fileSize = UInt64(file.count)
        var h = Reader(bytes: file, big: id.bigEndian)
        h.offset = id.is64 ? 0x28 : 0x20
        let shoff = id.is64 ? h.u64() : UInt64(h.u32())
        h.offset = id.is64 ? 0x3a : 0x2e
        let shentsize = Int(h.u16()), shnum = Int(h.u16()), shstrndx = Int(h.u16())
        guard shoff > 0, shentsize >= (id.is64 ? 64 : 40), shnum > 0, shstrndx < shnum,
              let tableSize = GuestMath.product(UInt64(shnum), UInt64(shentsize)),
              let tableEnd = GuestMath.end(shoff, tableSize), tableEnd <= fileSize else { return [] }
        // The table lies inside the file, so its offsets are small enough for Int.
        func header(_ i: Int) -> (name: UInt32, type: UInt32, flags: UInt64, addr: UInt64, offset: UInt64, size: UInt64) {
            var r = Reader(bytes: file, big: id.bigEndian)
            r.offset = Int(shoff) + i * shentsize
            let name = r.u32(), type = r.u32()
            if id.is64 { return (name, type, r.u64(), r.u64(), r.u64(), r.u64()) }
            return (name, type, UInt64(r.u32()), UInt64(r.u32()), UInt64(r.u32()), UInt64(r.u32()))
        }
        let strtab = header(shstrndx)
        func name(_ off: UInt32) -> String {
            guard let start = GuestMath.end(strtab.offset, UInt64(off)), start < fileSize else { return "" }
            return String(decoding: file[Int(start)...].prefix { $0 != 0 }, as: UTF8.self)
        }
        var out: [CodeSection] = []
        for i in 0..<shnum {
            let sh = header(i)
            guard sh.type == 1 /* PROGBITS */, sh.flags & 4 != 0, sh.size > 0,
                  let end = GuestMath.end(sh.offset, sh.size), end <= fileSize, GuestMath.end(sh.addr, sh.size) != nil else { continue }
            out.append(CodeSection(name: name(sh.name), address: sh.addr, offset: sh.offset, size: sh.size))
        }
        return out
    }

    struct Reader {
        let bytes: [UInt8]
        let big: Bool
        var offset = 0
        mutating func take(_ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<n {
                let b = UInt64(offset + i < bytes.count ? bytes[offset + i] : 0)
                if big { v = v << 8 | b } else { v |= b << (UInt64(i) * 8) }
            }
            offset += n
            return v
        }
        mutating func u16() -> UInt16 { UInt16(take(2)) }
        mutating func u32() -> UInt32 { UInt32(take(4)) }
        mutating func u64() -> UInt64 { take(8) }
    }
}

/// ELF e_machine names, for messages about programs no backend runs.
public func elfMachineName(_ m: UInt16) -> String {
    switch m {
    case 3: "i386"
    case 8: "MIPS"
    case 20: "PowerPC"
    case 21: "PowerPC64"
    case 22: "S/390"
    case 40: "ARM"
    case 50: "IA-64"
    case 62: "x86-64"
    case 183: "AArch64"
    case 243: "RISC-V"
    default: "machine \(m)"
    }
}
