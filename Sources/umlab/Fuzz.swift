import ArchPowerPC
import ArgumentParser
import GuestKernel
import HostOS
import LinuxABI

// `umlab fuzz`: the in-process fuzz drivers (issue #10). Each runs many hostile inputs in one
// umlab process, because starting umlab per input would cap a campaign at a few thousand
// inputs an hour on this machine. A driver that meets a bug dies of it, as umlab would: so
// before each input it writes the input's index to `WORK/progress` (and the input itself to
// `WORK/`), and the supervisor (Tests/fuzz/fuzz.py) keeps the crasher, then starts a new
// driver after it. Inputs are a pure function of (seed, index): `--start I --count 1`
// reproduces input I. The hostile-syscall fuzzer is a guest program instead
// (Tests/fuzz/sysfuzz.c), run with `umlab run`.

struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "In-process fuzz drivers: ELF mutants, random instruction streams (see Tests/fuzz/README.md).",
        subcommands: [FuzzELF.self, FuzzInstructions.self])
}

/// SplitMix64: small, fast and seedable, so every input is reproducible from (seed, index).
struct FuzzRandom {
    var state: UInt64
    init(seed: UInt64, index: UInt64) {
        state = seed
        state = next() ^ index &* 0x9E37_79B9_7F4A_7C15
    }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A number in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Where a driver leaves the input it is about to try, so a crash leaves the crasher behind.
struct FuzzWorkDirectory {
    let path: String
    let progress: HostFD

    init(_ path: String) throws(LinuxErrno) {
        self.path = path
        progress = try HostFD.open(path + "/progress", flags: 0o1101, mode: 0o644)
    }

    /// Records that input `index` is next (a fixed-width line, rewritten in place).
    func begin(_ index: UInt64) {
        let text = String(index)
        var line = Array((String(repeating: " ", count: max(0, 20 - text.count)) + text + "\n").utf8)
        _ = try? typedErrno { try line.withUnsafeBytes { try progress.write($0, at: 0) } }
    }

    /// Writes `bytes` to `name` in the directory (replacing it); returns the path.
    @discardableResult
    func save(_ name: String, _ bytes: [UInt8], mode: UInt32 = 0o644) -> String {
        let file = path + "/" + name
        if let fd = try? HostFD.open(file, flags: 0o1101, mode: mode) {
            var b = bytes
            try? fd.writeAll(&b)
            fd.close()
        }
        return file
    }
}

/// Counters a driver writes as JSON at the end (`--report`), and prints in one line.
struct FuzzTally {
    var counts: [String: UInt64] = [:]
    mutating func add(_ key: String, _ n: UInt64 = 1) { counts[key, default: 0] += n }
    var json: String {
        "{" + counts.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}\n"
    }
    /// umlab's own open descriptors (a leak check across machines).
    static func openDescriptors() -> UInt64 {
        guard let dir = try? HostFD.open("/proc/self/fd", flags: HostOpen.directory) else { return 0 }
        defer { dir.close() }
        return UInt64(((try? dir.directoryEntries()) ?? []).filter { $0.name != "." && $0.name != ".." }.count)
    }
    /// umlab's resident set (VmRSS), in KiB.
    static func residentKiB() -> UInt64 {
        guard let fd = try? HostFD.open("/proc/self/status", flags: HostOpen.readOnly), let b = try? fd.readAll() else { return 0 }
        fd.close()
        let line = String(decoding: b, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { UInt64($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    }
    func write(to path: String?) {
        guard let path, let fd = try? HostFD.open(path, flags: 0o1101, mode: 0o644) else { return }
        var b = Array(json.utf8)
        try? fd.writeAll(&b)
        fd.close()
    }
}

// MARK: ELF mutants

/// `umlab fuzz elf`: mutants of real seed programs (headers, program headers, segments,
/// PT_INTERP, notes, section headers), each disassembled as `umlab disasm` does and run as
/// `umlab run` would, in every mode of the backend its header names, with a time limit.
struct FuzzELF: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elf",
        abstract: "Mutate seed ELF files; disassemble and run each mutant in every mode, in-process.")

    @Option(name: .customLong("seed-file"), help: "A seed ELF (host path; repeatable). Mutant I mutates seed I mod N.") var seedFiles: [String] = []
    @Option(help: "Campaign seed.") var seed: UInt64 = 1
    @Option(help: "Index of the first mutant.") var start: UInt64 = 0
    @Option(help: "Number of mutants.") var count: UInt64 = 100
    @Option(help: "Work directory, which the guest root (/) must reach: each mutant is written there before it is tried.") var work: String
    @Option(help: "Wall-time limit of each guest run, in milliseconds.") var timeLimitMs: UInt64 = 300
    @Option(help: "Modes to run (default: every mode of the mutant's backend).") var mode: [String] = []
    @Option(help: "Each guest's memory limit, in MiB: well under the campaign's address-space ceiling, so that a guest's use never looks like umlab's growth.") var memoryMib: UInt64 = 512
    @Option(help: "Write the counters as JSON to this file.") var report: String?

    func run() throws {
        guard !seedFiles.isEmpty else { throw ValidationError("give at least one --seed-file") }
        var seeds: [[UInt8]] = []
        for f in seedFiles {
            guard let fd = try? HostFD.open(f, flags: HostOpen.readOnly), let b = try? fd.readAll(limit: 64 << 20) else {
                throw ValidationError("cannot read seed \(f)")
            }
            fd.close()
            guard ELFMutator.Layout(b) != nil else { throw ValidationError("\(f) is not an ELF file") }
            seeds.append(b)
        }
        let dir = try FuzzWorkDirectory(work)
        var tally = FuzzTally()
        let modes = mode.compactMap(IsolationMode.init(rawValue:))
        var listings = Set<Int>()
        for index in start..<(start + count) {
            dir.begin(index)
            var rng = FuzzRandom(seed: seed, index: index)
            let seedIndex = Int(index % UInt64(seeds.count))
            var mutator = ELFMutator(seeds[seedIndex])
            mutator.mutate(&rng)
            let file = dir.save("mutant", mutator.bytes, mode: 0o755)
            tally.add("mutants")
            // `umlab disasm`'s own steps, the listing on standard output (the campaign discards
            // it). Most mutations leave the code and its ranges as an earlier mutant had them
            // (program headers, PT_INTERP, notes): such a listing is not decoded again.
            let t0 = Host.monotonicNanoseconds()
            if let plan = try? Disasm.plan(mutator.bytes, name: file) {
                if listings.insert(plan.key(mutator.bytes)).inserted {
                    Disasm.list(plan, mutator.bytes)
                    tally.add("disasm_listed")
                } else {
                    tally.add("disasm_same_as_earlier")
                }
            } else {
                tally.add("disasm_refused")
            }
            tally.add("ms_disasm", (Host.monotonicNanoseconds() - t0) / 1_000_000)
            runMutant(file, modes: modes, tally: &tally)
        }
        // Machines that ended must leave nothing behind: thousands run in this process.
        tally.add("host_fds_at_end", FuzzTally.openDescriptors())
        tally.add("host_rss_kib_at_end", FuzzTally.residentKiB())
        tally.write(to: report)
        Host.diagnostic("umlab fuzz elf: \(tally.json)")
    }

    /// Runs the mutant as `umlab run` would pick its backend, in each mode, and counts how it
    /// ended. Boot failures are the loader refusing the file (the CLI's status 126/127).
    func runMutant(_ path: String, modes: [IsolationMode], tally: inout FuzzTally) {
        guard let fd = try? HostFD.open(path, flags: HostOpen.readOnly) else { return }
        var header = [UInt8](repeating: 0, count: 64)
        let n = (try? typedErrno { try header.withUnsafeMutableBytes { try fd.read(into: $0, at: 0) } }) ?? 0
        fd.close()
        guard let id = ELFImage.identify(Array(header[0..<n])), let probe = Backends.forMachine(id.machine) else {
            tally.add("run_no_backend")
            return
        }
        for m in (modes.isEmpty ? probe.supportedModes : modes) where probe.supportedModes.contains(m) {
            guard let backend = Backends.forMachine(id.machine) else { return }
            let t0 = Host.monotonicNanoseconds()
            let kernel = runOnce(path, backend: backend, mode: m, tally: &tally)
            tally.add("ms_\(backend.name)_\(m)", (Host.monotonicNanoseconds() - t0) / 1_000_000)
            // The machine is gone with its Guest; a kernel still alive here would be a leak
            // (objects that point at each other), and with it the arena and host descriptors.
            if kernel.object != nil { tally.add("machines_not_freed") }
        }
    }

    struct WeakKernel { weak var object: Kernel? }

    /// One machine: boot the mutant in `mode` and run it to its end; returns a weak reference
    /// to the machine's kernel, for the leak check.
    func runOnce(_ path: String, backend: any Backend, mode m: IsolationMode, tally: inout FuzzTally) -> WeakKernel {
        var config = KernelConfig()
        config.mode = m
        config.timeLimitNanoseconds = timeLimitMs * 1_000_000
        config.limits.memory = memoryMib << 20
        let guest: Guest
        do { guest = try Guest(config: config, backend: backend) } catch {
            tally.add("guest_failed_\(error)")
            return WeakKernel(object: nil)
        }
        tally.add("runs_\(backend.name)_\(m)")
        let kernel = WeakKernel(object: guest.kernel)
        do {
            try guest.boot(path: path, argv: ["mutant"], envp: ["PATH=/bin"])
        } catch {
            guest.kernel.killAll()
            tally.add("refused_\(backend.name)")
            return kernel
        }
        _ = guest.run()
        switch guest.halt {
        case .finished: tally.add("ran_\(backend.name)")
        case .deadlock: tally.add("deadlock_\(backend.name)")
        case .timeLimit: tally.add("time_limit_\(backend.name)")
        case .signalled: tally.add("signalled")
        }
        return kernel
    }
}

/// Mutations of one ELF file, by its own layout (class and byte order from e_ident).
struct ELFMutator {
    var bytes: [UInt8]

    struct Layout {
        var is64: Bool, big: Bool
        init?(_ b: [UInt8]) {
            guard b.count >= 52, b[0] == 0x7f, b[1] == 0x45, b[2] == 0x4c, b[3] == 0x46 else { return nil }
            is64 = b[4] == 2
            big = b[5] == 2
        }
        var word: Int { is64 ? 8 : 4 }
        // Offsets and widths of the ELF header's fields.
        var headerFields: [(offset: Int, width: Int)] {
            is64 ? [(16, 2), (18, 2), (20, 4), (24, 8), (32, 8), (40, 8), (48, 4), (52, 2), (54, 2), (56, 2), (58, 2), (60, 2), (62, 2)]
                 : [(16, 2), (18, 2), (20, 4), (24, 4), (28, 4), (32, 4), (36, 4), (40, 2), (42, 2), (44, 2), (46, 2), (48, 2), (50, 2)]
        }
        var phoffField: (Int, Int) { is64 ? (32, 8) : (28, 4) }
        var shoffField: (Int, Int) { is64 ? (40, 8) : (32, 4) }
        var phnumField: (Int, Int) { is64 ? (56, 2) : (44, 2) }
        var shnumField: (Int, Int) { is64 ? (60, 2) : (48, 2) }
        var phentsize: Int { is64 ? 56 : 32 }
        var shentsize: Int { is64 ? 64 : 40 }
        /// p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align.
        var phdrFields: [(offset: Int, width: Int)] {
            is64 ? [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 8), (48, 8)]
                 : [(0, 4), (24, 4), (4, 4), (8, 4), (12, 4), (16, 4), (20, 4), (28, 4)]
        }
        var shdrFields: [(offset: Int, width: Int)] {
            is64 ? [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 4), (44, 4), (48, 8), (56, 8)]
                 : [(0, 4), (4, 4), (8, 4), (12, 4), (16, 4), (20, 4), (24, 4), (28, 4), (32, 4), (36, 4)]
        }
    }
    let layout: Layout

    init(_ seed: [UInt8]) {
        bytes = seed
        layout = Layout(seed)!
    }

    func read(_ offset: Int, _ width: Int) -> UInt64 {
        guard offset >= 0, offset + width <= bytes.count else { return 0 }
        var v: UInt64 = 0
        for i in 0..<width {
            let b = UInt64(bytes[offset + i])
            if layout.big { v = v << 8 | b } else { v |= b << UInt64(8 * i) }
        }
        return v
    }

    mutating func write(_ offset: Int, _ width: Int, _ value: UInt64) {
        guard offset >= 0, offset + width <= bytes.count else { return }
        for i in 0..<width {
            let shift = UInt64(8 * (layout.big ? width - 1 - i : i))
            bytes[offset + i] = UInt8(truncatingIfNeeded: value >> shift)
        }
    }

    /// Program header table entries that lie inside the file, by file offset.
    var programHeaders: [Int] {
        let off = read(layout.phoffField.0, layout.phoffField.1), n = Int(read(layout.phnumField.0, 2))
        guard off < UInt64(bytes.count) else { return [] }
        return (0..<n).map { Int(off) + $0 * layout.phentsize }.filter { $0 + layout.phentsize <= bytes.count }
    }
    var sectionHeaders: [Int] {
        let off = read(layout.shoffField.0, layout.shoffField.1), n = Int(read(layout.shnumField.0, 2))
        guard off < UInt64(bytes.count) else { return [] }
        return (0..<n).map { Int(off) + $0 * layout.shentsize }.filter { $0 + layout.shentsize <= bytes.count }
    }
    func segments(ofType type: UInt64) -> [Int] { programHeaders.filter { read($0, 4) == type } }

    /// A value that tends to break size and address arithmetic: boundaries near 2^31, 2^32,
    /// 2^63, 2^64 and the user ranges' ends, the file size, small steps from the old value.
    func interesting(_ old: UInt64, width: Int, _ rng: inout FuzzRandom) -> UInt64 {
        let size = UInt64(bytes.count)
        let values: [UInt64] = [
            0, 1, 2, 3, 4, 7, 8, 0x10, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0x1001, 0xffff, 0x10000, 0x7fff_ffff, 0x8000_0000,
            0xffff_f000, 0xffff_ffff, 0xffff_fffe, 0x1_0000_0000, 0x1_0000_0fff, 0xbe00_0000, 0xbdff_f000, 0xc000_0000,
            0x7fff_ffff_f000, 0x8000_0000_0000, 0x7fff_ffff_fe00_0000, 0x4000_0000_0000_0000, 0x2000_0000_0000_0000,
            0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, 0xffff_ffff_ffff_f000, 0xffff_ffff_ffff_f001,
            0xffff_ffff_ffff_fffe, 0xffff_ffff_ffff_ffff, 1 << 44, size, size &- 1, size &+ 1, size / 2,
            old &+ 1, old &- 1, old &+ 0x1000, old &- 0x1000, old &+ 0xfff, old ^ (1 << UInt64(rng.below(64))),
            old &* 2, old &+ (1 << 32), old | 0xfff, rng.next(), UInt64(rng.below(4096)),
        ]
        let v = rng.pick(values)
        return width == 8 ? v : v & ((1 << UInt64(8 * width)) - 1)
    }

    static let interpreterPaths: [[UInt8]] = [
        Array("/lib64/ld-linux-x86-64.so.2".utf8), Array("/lib/ld.so.1".utf8), Array("/proc/self/exe".utf8),
        Array("/dev/zero".utf8), Array("/dev/null".utf8), Array("/".utf8), Array("/etc".utf8), Array("/nonexistent".utf8),
        Array("".utf8), Array("..".utf8), Array("/bin/busybox".utf8), Array("/proc/self/fd/0".utf8), Array("/dev/tty".utf8),
        Array(repeating: 0x41, count: 300), Array(repeating: 0x2f, count: 4095), Array("/tmp/../../../../etc/passwd".utf8),
    ]

    /// Applies one to three mutations.
    mutating func mutate(_ rng: inout FuzzRandom) {
        let rounds = rng.chance(60) ? 1 : rng.chance(70) ? 2 : 3
        for _ in 0..<rounds {
            switch rng.below(100) {
            case 0..<14: mutateHeaderField(&rng)
            case 14..<46: mutateProgramHeaderField(&rng)
            case 46..<54: retypeProgramHeader(&rng)
            case 54..<64: mutateInterpreter(&rng)
            case 64..<70: mutateNote(&rng)
            case 70..<82: mutateSectionHeaderField(&rng)
            case 82..<90: flipBytes(&rng, in: 0..<min(bytes.count, 4096))
            case 90..<95: flipBytesInSegment(&rng)
            default: truncate(&rng)
            }
        }
    }

    mutating func mutateHeaderField(_ rng: inout FuzzRandom) {
        if rng.chance(10) {
            // e_ident: class, byte order, version, OS ABI.
            let i = 4 + rng.below(4)
            guard i < bytes.count else { return }   // an earlier round truncated the file
            bytes[i] = rng.chance(50) ? UInt8(rng.below(4)) : UInt8(truncatingIfNeeded: rng.next())
            return
        }
        let f = rng.pick(layout.headerFields)
        write(f.offset, f.width, interesting(read(f.offset, f.width), width: f.width, &rng))
    }

    mutating func mutateProgramHeaderField(_ rng: inout FuzzRandom) {
        let headers = programHeaders
        guard !headers.isEmpty else { return mutateHeaderField(&rng) }
        // PT_LOAD and PT_INTERP entries twice as often: they steer what the loader allocates.
        let loads = headers.filter { [1, 3].contains(read($0, 4)) }
        let h = !loads.isEmpty && rng.chance(60) ? rng.pick(loads) : rng.pick(headers)
        let f = rng.pick(layout.phdrFields)
        write(h + f.offset, f.width, interesting(read(h + f.offset, f.width), width: f.width, &rng))
        if rng.chance(25) {
            // Keep p_filesz <= p_memsz sometimes, so the mutant gets past that check.
            let fileSize = layout.phdrFields[5], memSize = layout.phdrFields[6]
            let a = read(h + fileSize.offset, fileSize.width), b = read(h + memSize.offset, memSize.width)
            if a > b { write(h + memSize.offset, memSize.width, a) }
        }
    }

    mutating func retypeProgramHeader(_ rng: inout FuzzRandom) {
        let headers = programHeaders
        guard !headers.isEmpty else { return }
        let types: [UInt64] = [0, 1, 2, 3, 4, 6, 7, 0x6474_e550, 0x6474_e551, 0x6474_e552, 0x7000_0000, rng.next() & 0xffff_ffff]
        write(rng.pick(headers), 4, rng.pick(types))
    }

    /// PT_INTERP: a different path, no NUL, odd lengths, an offset outside the file.
    mutating func mutateInterpreter(_ rng: inout FuzzRandom) {
        var interp = segments(ofType: 3)
        if interp.isEmpty, let h = programHeaders.first(where: { read($0, 4) != 1 }) ?? programHeaders.last {
            // Turn some entry into a PT_INTERP (before the PT_LOADs, as Linux wants it).
            write(h, 4, 3)
            interp = [h]
        }
        guard let h = interp.first else { return }
        let offsetField = layout.phdrFields[2], sizeField = layout.phdrFields[5]
        var offset = read(h + offsetField.offset, offsetField.width)
        if offset >= UInt64(bytes.count) || rng.chance(20) {
            offset = UInt64(bytes.count / 2)
            write(h + offsetField.offset, offsetField.width, offset)
        }
        var path = rng.chance(80) ? ELFMutator.interpreterPaths[rng.below(ELFMutator.interpreterPaths.count)] : (0..<rng.below(64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let terminated = rng.chance(75)
        if terminated { path.append(0) }
        let room = bytes.count - Int(offset)
        path = Array(path.prefix(room))
        for (i, b) in path.enumerated() { bytes[Int(offset) + i] = b }
        let length: UInt64 = rng.chance(80) ? UInt64(path.count) : interesting(UInt64(path.count), width: sizeField.width, &rng)
        write(h + sizeField.offset, sizeField.width, length)
    }

    /// PT_NOTE contents: name and descriptor sizes, types.
    mutating func mutateNote(_ rng: inout FuzzRandom) {
        guard let h = segments(ofType: 4).randomElement(using: &rng) else { return flipBytes(&rng, in: 0..<min(bytes.count, 4096)) }
        let offset = read(h + layout.phdrFields[2].offset, layout.phdrFields[2].width)
        guard offset < UInt64(bytes.count) else { return }
        let at = Int(offset) + 4 * rng.below(4)
        write(at, 4, interesting(read(at, 4), width: 4, &rng))
    }

    mutating func mutateSectionHeaderField(_ rng: inout FuzzRandom) {
        let headers = sectionHeaders
        guard !headers.isEmpty, rng.chance(85) else {
            let f = rng.chance(50) ? layout.shoffField : layout.shnumField
            return write(f.0, f.1, interesting(read(f.0, f.1), width: f.1, &rng))
        }
        let h = rng.pick(headers), f = rng.pick(layout.shdrFields)
        write(h + f.offset, f.width, interesting(read(h + f.offset, f.width), width: f.width, &rng))
    }

    mutating func flipBytes(_ rng: inout FuzzRandom, in range: Range<Int>) {
        guard !range.isEmpty else { return }
        for _ in 0..<(1 + rng.below(8)) {
            bytes[range.lowerBound + rng.below(range.count)] = UInt8(truncatingIfNeeded: rng.next())
        }
    }

    /// Random bytes in a loadable segment's file image: its code or data.
    mutating func flipBytesInSegment(_ rng: inout FuzzRandom) {
        guard let h = segments(ofType: 1).randomElement(using: &rng) else { return }
        let offset = read(h + layout.phdrFields[2].offset, layout.phdrFields[2].width)
        let size = read(h + layout.phdrFields[5].offset, layout.phdrFields[5].width)
        guard offset < UInt64(bytes.count) else { return }
        let end = Int(offset) + Int(min(size, UInt64(bytes.count) - offset))
        flipBytes(&rng, in: Int(offset)..<end)
    }

    mutating func truncate(_ rng: inout FuzzRandom) {
        guard !bytes.isEmpty else { return }
        let cuts = [rng.below(64), 64 + rng.below(max(1, min(bytes.count, 4096) - 64)), rng.below(bytes.count)]
        bytes.removeLast(bytes.count - min(bytes.count, rng.pick(cuts)))
    }
}

extension FuzzRandom: RandomNumberGenerator {}

// MARK: random instruction streams

/// `umlab fuzz insn`: random code pages for an interpreter, run from one instruction to the
/// next with random registers (pointers into mapped data, small numbers, random words). A
/// fault or an illegal instruction moves on to the next word; a system call is answered
/// ENOSYS (the syscall fuzzer covers the kernel). The kernel is not involved: this drives the
/// backend's `ExecutionContext` directly, so a page costs microseconds.
struct FuzzInstructions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "insn",
        abstract: "Run random instruction words on an interpreter (ppc or ia64), in-process.")

    @Option(help: "Backend: ppc or ia64.") var backend: String
    @Option(help: "Isolation mode: skas or tt (tt maps the kernel arena where the guest can write it).") var mode: String = "skas"
    @Option(help: "Engine: interp, or jit (ppc: every block translated at its first run).") var engine: String = "interp"
    @Option(help: "Campaign seed.") var seed: UInt64 = 1
    @Option(help: "Index of the first code page.") var start: UInt64 = 0
    @Option(help: "Number of instruction words to generate (a page holds 1,024 PowerPC words or 256 IA-64 bundles, 768 slots).") var words: UInt64 = 1_000_000
    @Option(help: "Work directory: the page about to run is written there.") var work: String?
    @Option(help: "Write the counters as JSON to this file.") var report: String?

    static let pageSize: UInt64 = 4096

    func run() throws {
        guard let b = Backends.named(backend), b.elfMachine != 62 else { throw ValidationError("--backend must be ppc or ia64") }
        guard let m = IsolationMode(rawValue: mode), b.supportedModes.contains(m) else { throw ValidationError("unknown mode \(mode)") }
        let dir: FuzzWorkDirectory? = try work.map { path in try typedErrno { try FuzzWorkDirectory(path) } }
        let ia64 = b.elfMachine == 50
        if engine != "interp" {
            guard engine == "jit", let ppc = b as? PPCBackend else { throw ValidationError("--engine jit needs --backend ppc") }
            ppc.engineKind = .jit
            ppc.jitThreshold = 0
        }
        var config = KernelConfig()
        config.mode = m
        let guest = try Guest(config: config, backend: b)
        let context = try b.makeInitialContext(mode: m, kernel: guest.kernel)
        let space = context.addressSpace
        // Code, data (what random pointers aim at), stack, and IA-64's register backing store.
        let code: UInt64 = ia64 ? 0x4000_0000_0000_0000 : 0x1000_0000
        let data: UInt64 = ia64 ? 0x6000_0000_0000_0000 : 0x2000_0000
        let stack: UInt64 = ia64 ? 0x6000_0000_1000_0000 : 0x3000_0000
        let backing: UInt64 = ia64 ? 0x6000_0000_2000_0000 : 0x3800_0000
        let size: UInt64 = 16 * FuzzInstructions.pageSize
        try space.map(code, length: FuzzInstructions.pageSize, protection: .rwx, shared: false, backing: .anonymous)
        for base in [data, stack, backing] { try space.map(base, length: size, protection: .rw, shared: false, backing: .anonymous) }
        if m == .tt {
            try space.map(b.kernelRegionBase, length: UInt64(KernelArena.size), protection: .rw, shared: true,
                          backing: .file(guest.kernel.arena.mappable, offset: 0))
        }
        let generalRegisters = context.registers.indices.filter { n in
            let r = context.registers[n]
            return r.group == .general && r.writable && r.size <= 8 && r.name.first == "r" && r.name.dropFirst().allSatisfy(\.isNumber)
        }
        let slotsPerPage = ia64 ? 768 : 1024
        let pages = (words + UInt64(slotsPerPage) - 1) / UInt64(slotsPerPage)
        var tally = FuzzTally()
        let retiredBefore = b.counters["instructions_retired"] ?? 0
        for page in start..<(start + pages) {
            var rng = FuzzRandom(seed: seed, index: page)
            let bytes = (0..<FuzzInstructions.pageSize / 8).flatMap { _ in withUnsafeBytes(of: rng.next()) { Array($0) } }
            dir?.begin(page)
            dir?.save("page.bin", bytes)
            try typedErrno { try bytes.withUnsafeBytes { try space.write(code, from: $0) } }
            let junk = (0..<FuzzInstructions.pageSize / 8).flatMap { _ in withUnsafeBytes(of: rng.next()) { Array($0) } }
            let junkPage = data + UInt64(rng.below(16)) * FuzzInstructions.pageSize
            try typedErrno { try junk.withUnsafeBytes { try space.write(junkPage, from: $0) } }
            context.start(ProgramStart(entry: code, stackPointer: stack + size - 512, interpreterBase: 0, registerStack: backing))
            for n in generalRegisters where rng.chance(90) {
                let value: UInt64
                switch rng.below(10) {
                case 0..<4: value = data + UInt64(rng.below(Int(size)))
                case 4: value = code + UInt64(rng.below(Int(FuzzInstructions.pageSize)))
                case 5: value = b.kernelRegionBase + UInt64(rng.below(1 << 20))
                case 6, 7: value = UInt64(rng.below(256))
                default: value = rng.next()
                }
                try? context.writeRegister(n, RegisterBytes.encode(value, size: context.registers[n].size, bigEndian: !ia64))
            }
            tally.add("words", UInt64(slotsPerPage))
            runPage(context, code: code, slots: slotsPerPage, ia64: ia64, tally: &tally)
        }
        tally.add("instructions_retired", (b.counters["instructions_retired"] ?? 0) - retiredBefore)
        tally.write(to: report)
        Host.diagnostic("umlab fuzz insn: \(tally.json)")
    }

    /// Runs the page from its first slot; each stop moves on past the slot it stopped at (or,
    /// when the guest left the page or went back, to the slot after the last start), so every
    /// slot of the page is started from or run through at least once.
    func runPage(_ context: any ExecutionContext, code: UInt64, slots: Int, ia64: Bool, tally: inout FuzzTally) {
        func address(_ slot: Int) -> UInt64 { ia64 ? code + UInt64(slot / 3) * 16 + UInt64(slot % 3) : code + UInt64(slot) * 4 }
        func slot(_ ip: UInt64) -> Int? {
            guard ip >= code, ip < code + FuzzInstructions.pageSize else { return nil }
            return ia64 ? Int((ip - code) / 16) * 3 + Int(ip & 15) : Int((ip - code) / 4)
        }
        var next = 0
        while next < slots {
            context.setInstructionPointer(address(next))
            let trap = context.run(sliceNanoseconds: 1_000_000)
            switch trap {
            case .syscall:
                tally.add("syscalls")
                context.setSyscallResult(.failure(.ENOSYS))
            case .fault(let sig, _, _): tally.add("fault_\(sig.rawValue)")
            case .preempted: tally.add("preempted")
            case .debug: tally.add("debug_stops")
            case .lost: tally.add("lost")
            }
            let reached = slot(context.instructionPointer).map { $0 + 1 } ?? 0
            next = max(next + 1, reached)
        }
    }
}
