import GuestKernel
import HostOS
import LinuxABI

/// The guest vDSO on x86-64 (arch/x86_64/vdso/vdso.c): clock_gettime, gettimeofday, time and
/// getcpu without a trap.
///
/// Where things are, in the stub's reserved area above user space (the guest can neither map,
/// unmap nor change anything there; in TT mode it could write only what is writable, and none
/// of this is):
///
///     StubImage.base + 0x10000   [vvar]  umlab's data page (read-only): the layout vdso.c reads
///                     + 0x11000  [vdso]  the guest vDSO image (r-x), AT_SYSINFO_EHDR
///     below hostCode             the host's [vvar], [vvar_vclock] (read-only), as far below
///                                its code as in umlab's own process
///     hostCode = base + 0x100000 the host's [vdso] (r-x)
///
/// The stub's ELF maps umlab's two pages at each host exec, so a guest execve costs no extra
/// host call for them; the host's vDSO regions, which its exec places in what is the guest's
/// user space, are moved up by the same number of injected calls that unmapped them before.
///
/// Why the host's vDSO does the clock reading: the guest's clocks are the host's (the kernel's
/// clock_gettime returns Host.clock), so the host kernel's own code and data give exactly the
/// answer a trapped call would, in every mode, and umlab keeps nothing current: the host kernel
/// updates [vvar]. A data page of umlab's own with TSC parameters would drift from the trapped
/// calls between updates. What the guest can read this way is the host's timekeeping data,
/// which every process on the host maps and which the guest's clock_gettime returns anyway;
/// nothing of umlab's is in these pages, and umlab's data page holds only the address of the
/// host's clock_gettime in the guest's own host process.
enum X86VDSO {
    static let dataPage: UInt64 = StubImage.base + 0x10000
    static let image: UInt64 = dataPage + 0x1000
    static let imageSize: UInt64 = (UInt64(VDSOImage.bytes.count) + 0xfff) & ~0xfff
    /// Where the host's [vdso] code goes in every guest host process.
    static let hostCode: UInt64 = StubImage.base + 0x10_0000
    /// The host's data regions must stay above umlab's pages.
    static let hostFloor: UInt64 = image + 0x10000

    /// The guest-visible layout the kernel records in every new address space.
    static var layout: VDSOLayout { VDSOLayout(data: dataPage..<image, image: image..<(image + imageSize)) }

    /// "umlabvd1", the layout version vdso.c's `struct umlab_vdso_data` expects.
    static let magic: UInt64 = 0x3164_7662_616c_6d75

    /// umlab's data page: the magic, then the host's __vdso_clock_gettime at `hostCode` (0: the
    /// guest vDSO makes the system call instead).
    static func dataPageBytes(hostClockGettime: UInt64?) -> [UInt8] {
        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        e.u64(magic)
        e.u64(hostClockGettime.map { hostCode + $0 } ?? 0)
        e.pad(to: 0x1000)
        return e.bytes
    }

    /// The offset of the host's __vdso_clock_gettime in its [vdso], if the host has a vDSO whose
    /// regions fit below `hostCode` (they are a few pages).
    static func hostClockGettime() -> UInt64? {
        let regions = HostVDSO.ownRegions()
        guard let code = regions.first(where: \.isCode), targets(regions, codeAt: code.range.lowerBound) != nil else { return nil }
        return HostVDSO.symbolOffset("__vdso_clock_gettime", regions: regions)
    }

    /// Where each host vDSO region goes: [vdso] at `hostCode`, the others at their distance from
    /// it, all within [hostFloor, hostCode + 1 MiB); nil when they do not fit.
    static func targets(_ regions: [HostVDSO.Region], codeAt code: UInt64) -> [(from: Range<UInt64>, to: UInt64)]? {
        var out: [(from: Range<UInt64>, to: UInt64)] = []
        for r in regions {
            let to = hostCode &+ r.range.lowerBound &- code
            let length = r.range.upperBound - r.range.lowerBound
            guard to >= hostFloor, to < hostCode + 0x10_0000, length <= hostCode + 0x10_0000 - to else { return nil }
            out.append((r.range, to))
        }
        return out
    }
}
