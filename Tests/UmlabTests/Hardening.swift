import Foundation
import Testing

/// What a hostile guest or a hostile file can do to umlab itself: nothing but get an answer.
/// Each case here once killed umlab (a Swift trap on overflow or an index out of range).

/// Tests/programs/hostile_calls.c: lengths past 2^64, LONG_MAX timeouts, INT_MIN pids, signal
/// numbers 0/65/-1, exit signals past 64, file positions near 2^63, buffer sizes of -1; native
/// vs umlab in every mode, and the PowerPC build against the x86-64 native output (it makes
/// only calls whose answer Linux gives the same on every ISA). IA-64 has no C compiler here: its
/// subset is arch/ia64/workloads/hostile.s, run in skas and tt by `IA64Workloads`.
@Suite(.serialized) struct HostileCalls {
    @Test(arguments: Harness.x86Modes)
    func x86SameAsNative(_ mode: String) throws {
        let exe = try Harness.program("hostile_calls")
        let native = try Harness.native([exe])
        #expect(native.status == 0 && native.stdout.hasSuffix("hostile_calls: done\n"), "native:\n\(native.stdout)")
        let (guest, err) = try Harness.guest([exe], options: ["--mode", mode])
        #expect(guest == native, "stderr: \(err)")
    }

    @Test(arguments: Harness.interpreterModes)
    func powerPCSameAsNative(_ mode: String) throws {
        let native = try Harness.native([try Harness.program("hostile_calls")])
        let (guest, err) = try Harness.guest([try Harness.program("hostile_calls", compiler: "powerpc-linux-gnu-gcc")], options: ["--mode", mode])
        #expect(guest == native, "stderr: \(err)")
    }

    /// A sleeper of 10^10 s beside a runnable process: the machine ends with the first program
    /// after about a second, status 0 (the slice to the far deadline used to trap).
    @Test(arguments: Harness.x86Modes)
    func farSleeperBesideARunnableOne(_ mode: String) throws {
        let (g, err) = try Harness.guest(["/bin/busybox", "sh", "-c", "sleep 10000000000 & sleep 1"], options: ["--mode", mode])
        #expect(g.status == 0, "stderr: \(err)")
    }
}

/// Forged ELF files for each ISA umlab runs: `umlab run` and `umlab disasm` answer with one
/// line and a status (126 for an ELF that cannot be run), never a signal.
@Suite(.serialized) struct ForgedELF {
    enum ISA: String, CaseIterable, Sendable {
        case x86_64, ppc, ia64
        var machine: UInt16 { switch self { case .x86_64: 62; case .ppc: 20; case .ia64: 50 } }
        var is64: Bool { self != .ppc }
        var base: UInt64 { self == .ia64 ? 0x4000_0000_0000_0000 : self == .ppc ? 0x1000_0000 : 0x40_0000 }
    }

    enum Forgery: String, CaseIterable, Sendable {
        /// e_phoff >= 2^63 (2^31 on PowerPC: past the file).
        case phoffHuge
        /// A PT_LOAD that ends within a page of the top of the address space.
        case loadNearTop
        /// A bss larger than the host's memory (16 TiB; 3.5 GiB, all of a 32-bit space).
        case hugeBSS
        /// A section table at 2^63 (disasm falls back to the segments).
        case sectionTableHuge
        /// A code section whose addresses pass the top of the address space.
        case sectionWraps
        /// Whether the program is loaded (its bytes are not real code: it dies of a signal).
        var loads: Bool { self == .sectionTableHuge || self == .sectionWraps }
    }

    /// A minimal executable: the ELF header, one program header (PT_LOAD of the whole file),
    /// a section table of two entries, and 16 bytes of code.
    static func forge(_ isa: ISA, _ f: Forgery) -> [UInt8] {
        let w = isa.is64 ? 8 : 4, big = !isa.is64
        let ehsize = isa.is64 ? 64 : 52, phsize = isa.is64 ? 56 : 32, shsize = isa.is64 ? 64 : 40
        var b = [UInt8](repeating: 0, count: ehsize + phsize + 16 + 2 * shsize)
        func put(_ o: Int, _ v: UInt64, _ n: Int) {
            for i in 0..<n { b[o + (big ? n - 1 - i : i)] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
        }
        let code = ehsize + phsize, shoff = code + 16
        b[0...3] = [0x7f, 0x45, 0x4c, 0x46]
        b[4] = isa.is64 ? 2 : 1; b[5] = big ? 2 : 1; b[6] = 1
        put(16, 2, 2); put(18, UInt64(isa.machine), 2); put(20, 1, 4)
        put(24, isa.base + UInt64(code), w)  // e_entry
        put(24 + w, f == .phoffHuge ? (isa.is64 ? 1 << 63 : 1 << 31) : UInt64(ehsize), w)  // e_phoff
        put(24 + 2 * w, f == .sectionTableHuge ? (isa.is64 ? 1 << 63 : 1 << 31) : UInt64(shoff), w)  // e_shoff
        let o = 24 + 3 * w + 4  // after e_flags
        put(o, UInt64(ehsize), 2); put(o + 2, UInt64(phsize), 2); put(o + 4, 1, 2)
        put(o + 6, UInt64(shsize), 2); put(o + 8, 2, 2); put(o + 10, 0, 2)
        // The program header.
        let vaddr = f == .loadNearTop ? (isa.is64 ? 0xffff_ffff_ffff_f000 : 0xffff_f000) : isa.base
        let memsz: UInt64 = f == .hugeBSS ? (isa.is64 ? 16 << 40 : 0xe000_0000) : f == .loadNearTop ? 0x800 : 0x1000
        let p = ehsize, fileSize = UInt64(b.count)
        if isa.is64 {
            put(p, 1, 4); put(p + 4, 7, 4); put(p + 8, 0, 8); put(p + 16, vaddr, 8); put(p + 24, vaddr, 8)
            put(p + 32, min(fileSize, memsz), 8); put(p + 40, memsz, 8); put(p + 48, 0x1000, 8)
        } else {
            put(p, 1, 4); put(p + 4, 0, 4); put(p + 8, vaddr, 4); put(p + 12, vaddr, 4)
            put(p + 16, min(fileSize, memsz), 4); put(p + 20, memsz, 4); put(p + 24, 7, 4); put(p + 28, 0x1000, 4)
        }
        // Section 1: the code, executable (at an address that wraps, for sectionWraps).
        let s = shoff + shsize
        put(s + 4, 1, 4)  // SHT_PROGBITS
        put(s + 8, 6, w)  // SHF_ALLOC | SHF_EXECINSTR
        put(s + 8 + w, f == .sectionWraps ? UInt64.max - 3 : isa.base + UInt64(code), w)
        put(s + 8 + 2 * w, UInt64(code), w)
        put(s + 8 + 3 * w, 16, w)
        return b
    }

    /// Whether umlab itself died (a Swift trap prints a backtrace), whatever the guest did.
    static func umlabCrashed(_ stderr: String) -> Bool {
        stderr.contains("Fatal error") || stderr.contains("\" crashed:") || stderr.contains("Program crashed")
    }

    static func write(_ isa: ISA, _ f: Forgery) throws -> String {
        let dir = Harness.root.appendingPathComponent("Tests/programs/build/forged")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("\(f.rawValue).\(isa.rawValue)").path
        FileManager.default.createFile(atPath: path, contents: Data(forge(isa, f)), attributes: [.posixPermissions: 0o755])
        return path
    }

    /// One line on standard error, status 126, never a signal. A forgery whose numbers are
    /// only in its sections runs (its code is not real: the guest dies of a signal, which
    /// umlab reports; umlab itself never traps).
    @Test(arguments: ISA.allCases, Forgery.allCases)
    func runAnswersWithOneLine(_ isa: ISA, _ f: Forgery) throws {
        let path = try ForgedELF.write(isa, f)
        let (g, err) = try Harness.guest([path])
        #expect(!ForgedELF.umlabCrashed(err), "\(isa) \(f): \(err)")
        if f.loads {
            #expect(err.contains("umlab: pid 2"), "\(isa) \(f): status \(g.status), stderr: \(err)")
        } else {
            #expect(g.status == 126, "\(isa) \(f): stderr: \(err)")
            let lines = err.split(separator: "\n")
            #expect(lines.count == 1 && lines.first?.hasPrefix("umlab: ") == true, "\(isa) \(f): \(err)")
        }
    }

    @Test(arguments: ISA.allCases, Forgery.allCases)
    func disasmNeverTraps(_ isa: ISA, _ f: Forgery) throws {
        let path = try ForgedELF.write(isa, f)
        let (r, err) = try Harness.run([Harness.umlab, "disasm", path])
        #expect(r.status == 0 || r.status == 126, "\(isa) \(f): status \(r.status), stderr: \(err)")
        #expect(!ForgedELF.umlabCrashed(err), "\(isa) \(f): \(err)")
        if r.status == 126 { #expect(err.split(separator: "\n").count == 1, "\(err)") }
    }

    /// The 16 TiB bss fails the same way on x86-64 and IA-64, before anything is allocated
    /// (IA-64 used to grow umlab without bound): ENOMEM and the same sentence.
    @Test func hugeBSSSameOnEveryBackend() throws {
        var messages: [String] = []
        for isa in [ISA.x86_64, .ia64] {
            let path = try ForgedELF.write(isa, .hugeBSS)
            let (g, err) = try Harness.guest([path])
            #expect(g.status == 126)
            messages.append(err.replacingOccurrences(of: path, with: "PROGRAM"))
        }
        #expect(messages[0] == messages[1])
        #expect(messages[0].contains("16 TiB") && messages[0].contains("ENOMEM"), "\(messages[0])")
    }
}

/// `--root DIR` with nothing but busybox: the kernel provides /tmp, /proc, /sys and /dev itself.
@Suite(.serialized) struct BareRoot {
    @Test(arguments: Harness.x86Modes)
    func mountPointsWithoutDirectories(_ mode: String) throws {
        let fm = FileManager.default
        let root = "/var/tmp/umlab-bare-root-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: root)
        try fm.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try fm.copyItem(atPath: "/bin/busybox", toPath: root + "/bin/busybox")
        defer { try? fm.removeItem(atPath: root) }
        let script = "ls /; echo hello > /tmp/f; cat /tmp/f; cat /proc/self/comm; echo x > /dev/null && echo devnull; ls -d /dev/shm"
        let (g, err) = try Harness.guest(["/bin/busybox", "sh", "-c", script], options: ["--root", root, "--mode", mode])
        #expect(g.status == 0, "stderr: \(err)")
        #expect(g.stdout == "bin\ndev\nproc\nsys\ntmp\nhello\ncat\ndevnull\n/dev/shm\n", "stderr: \(err)")
        // Nothing was created in the host directory.
        #expect(try fm.contentsOfDirectory(atPath: root) == ["bin"])
    }
}
