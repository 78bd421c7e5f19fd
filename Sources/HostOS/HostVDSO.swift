import CHost
import Glibc
import LinuxABI

/// The host kernel's vDSO, as umlab's own process has it: every 64-bit process on this host gets
/// the same image and the same layout of its data pages, so what umlab reads here holds for its
/// guests' host processes too (x86-64's guest vDSO calls the host's clock_gettime in them).
public enum HostVDSO {
    /// One host mapping that belongs to the vDSO: "[vdso]" (its code), "[vvar]" and
    /// "[vvar_vclock]" (the data it reads, kept current by the host kernel).
    public struct Region: Equatable, Sendable {
        public var range: Range<UInt64>
        public var name: String
        public var isCode: Bool { name == "[vdso]" }
    }

    /// The vDSO's regions in a /proc/PID/maps text, lowest first.
    public static func regions(inMaps text: String) -> [Region] {
        var out: [Region] = []
        for line in text.split(separator: "\n") {
            // Only a pseudo-path ends in "]": a cheap test first, umlab's own maps has hundreds
            // of lines (its start-up reads them once per machine).
            guard line.utf8.last == UInt8(ascii: "]"),
                  let name = line.split(separator: " ", omittingEmptySubsequences: true).last,
                  name == "[vdso]" || name.hasPrefix("[vvar") else { continue }
            let bounds = line.prefix { $0 != " " }.split(separator: "-")
            guard bounds.count == 2, let lo = UInt64(bounds[0], radix: 16), let hi = UInt64(bounds[1], radix: 16), lo < hi else { continue }
            out.append(Region(range: lo..<hi, name: String(name)))
        }
        return out.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    /// This process's vDSO regions.
    public static func ownRegions() -> [Region] {
        guard let maps = try? HostFD.open("/proc/self/maps", flags: HostOpen.readOnly) else { return [] }
        defer { maps.close() }
        guard let bytes = try? maps.readAll() else { return [] }
        return regions(inMaps: String(decoding: bytes, as: UTF8.self))
    }

    /// Where the dynamic symbol `name` lies in this process's vDSO, as an offset from the image's
    /// start (AT_SYSINFO_EHDR); nil without a vDSO or such a symbol. Every read is bounded by the
    /// [vdso] mapping: the image is the host kernel's, but a malformed one must not crash umlab.
    /// `regions`: this process's vDSO regions if the caller has them (`ownRegions()`).
    public static func symbolOffset(_ name: String, regions: [Region]? = nil) -> UInt64? {
        let base = ch_vdso_base()
        guard base != 0, let code = (regions ?? ownRegions()).first(where: { $0.isCode && $0.range.lowerBound == base }) else { return nil }
        let size = code.range.upperBound - base
        guard let image = UnsafeRawPointer(bitPattern: UInt(base)) else { return nil }
        func load<T: FixedWidthInteger>(_ offset: UInt64, _: T.Type) -> T? {
            guard offset <= size, UInt64(MemoryLayout<T>.size) <= size - offset else { return nil }
            return image.loadUnaligned(fromByteOffset: Int(offset), as: T.self)
        }
        // ELF64 header: e_phoff at 32, e_phentsize at 54, e_phnum at 56.
        guard load(0, UInt32.self) == 0x464c_457f, let phoff = load(32, UInt64.self),
              let phentsize = load(54, UInt16.self), let phnum = load(56, UInt16.self) else { return nil }
        // The first PT_LOAD's vaddr (the image's link address) and PT_DYNAMIC's file offset.
        var linkBase: UInt64?, dynamic: UInt64?, dynamicSize: UInt64 = 0
        for i in 0..<UInt64(phnum) {
            guard let at = GuestMath.end(phoff, i * UInt64(phentsize)), let type = load(at, UInt32.self),
                  let offset = load(at + 8, UInt64.self), let vaddr = load(at + 16, UInt64.self),
                  let filesz = load(at + 32, UInt64.self) else { return nil }
            if type == 1 && linkBase == nil { linkBase = vaddr &- offset }
            if type == 2 { dynamic = offset; dynamicSize = filesz }
        }
        guard let linkBase, let dynamic else { return nil }
        var symtab: UInt64?, strtab: UInt64?, hash: UInt64?
        var entry = dynamic
        while entry < dynamic + dynamicSize, let tag = load(entry, Int64.self), tag != 0, let value = load(entry + 8, UInt64.self) {
            switch tag {
            case 4: hash = value &- linkBase  // DT_HASH
            case 5: strtab = value &- linkBase  // DT_STRTAB
            case 6: symtab = value &- linkBase  // DT_SYMTAB
            default: break
            }
            entry += 16
        }
        // DT_HASH's nchain is the number of symbols (Linux's vDSO always has DT_HASH).
        guard let symtab, let strtab, let hash, let count = load(hash + 4, UInt32.self) else { return nil }
        let wanted = Array(name.utf8)
        for i in 0..<UInt64(count) {
            let sym = symtab + i * 24
            guard let nameAt = load(sym, UInt32.self), let value = load(sym + 8, UInt64.self) else { return nil }
            var matches = true
            for (k, byte) in (wanted + [0]).enumerated() where load(strtab + UInt64(nameAt) + UInt64(k), UInt8.self) != byte {
                matches = false
                break
            }
            if matches && value != 0 { return value &- linkBase }
        }
        return nil
    }
}
