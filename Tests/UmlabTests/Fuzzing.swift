import Foundation
import Testing

/// The fuzzers in the project (Tests/fuzz/README.md): a short deterministic run of each, through
/// the campaign supervisor (which tells umlab's crash from a guest's), and every crasher kept
/// under Tests/fuzz/crashers replayed: umlab must neither crash nor hang on any of them.
@Suite(.serialized) struct Fuzzing {
    static let fuzz = Harness.root.appendingPathComponent("Tests/fuzz")

    /// A fresh work directory the guest root reaches (guests see their own /tmp).
    static func workDirectory(_ name: String) throws -> String {
        let dir = "/var/tmp/umlab-fuzz-test-\(getpid())/\(name)"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs Tests/fuzz/fuzz.py with `arguments`; returns its figures (the --json file).
    static func campaign(_ name: String, _ arguments: [String]) throws -> [String: Any] {
        let out = try workDirectory(name)
        let json = out + "/figures.json"
        let (r, err) = try Harness.run(["/usr/bin/python3", fuzz.appendingPathComponent("fuzz.py").path,
                                        "--umlab", Harness.umlab, "--out", out, "--json", json, "--seed", "1"] + arguments)
        // fuzz.py exits 1 when it found something: the figures say what (checked by the caller).
        #expect(r.status == 0 || r.status == 1, "fuzz.py \(arguments): \(r.stdout) \(err)")
        let data = try Data(contentsOf: URL(fileURLWithPath: json))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    static func expectClean(_ figures: [String: Any]) {
        #expect((figures["crashes"] as? [Any])?.isEmpty == true, "umlab crashed: \(figures["crashes"] ?? "?")")
        #expect((figures["hangs"] as? [Any])?.isEmpty == true, "umlab hung: \(figures["hangs"] ?? "?")")
    }

    /// Known, owned elsewhere: a segment or bss of terabytes makes an interpreter's page tables
    /// grow until the host refuses (HostMemory.zeroedTable's precondition), where Linux gives
    /// ENOMEM: the loader limits of issue #10 item 5 (branch harden-limits). Only that
    /// signature is excused; remove this when the limits land.
    /// (Or another allocation fails first under the campaign's 1.5 GiB ceiling: Swift's "failed
    /// to allocate", its backtrace often cut short by the same shortage.)
    static func outOfHostMemory(_ signature: String) -> Bool {
        signature.contains("Sources/HostOS/HostMemory.swift:25 <- Sources/SoftMMU/SoftMemory.swift")
            || signature.hasPrefix("failed to allocate")
    }

    @Test func elfMutants() throws {
        let figures = try Fuzzing.campaign("elf", ["--only", "elf", "--elf", "300", "--batch", "300"])
        let crashes = figures["crashes"] as? [[String: Any]] ?? []
        let known = crashes.filter { Fuzzing.outOfHostMemory($0["signature"] as? String ?? "") }
        #expect(crashes.count == known.count, "umlab crashed: \(crashes)")
        #expect((figures["hangs"] as? [Any])?.isEmpty == true, "umlab hung: \(figures["hangs"] ?? "?")")
        if !known.isEmpty {
            withKnownIssue("interpreter page tables out of host memory (loader limits)") {
                Issue.record("\(known)")
            }
        }
        let elf = figures["elf"] as? [String: Any] ?? [:]
        #expect(elf["mutants"] as? Int == 300)
        // Every backend and mode saw mutants; the loader refused some and ran others.
        for key in ["runs_x86_64_skas", "runs_x86_64_tt", "runs_x86_64_seccomp", "runs_ppc_skas", "runs_ppc_tt",
                    "runs_ia64_skas", "runs_ia64_tt", "disasm_listed", "disasm_refused"] {
            #expect((elf[key] as? Int ?? 0) > 0, "\(key): \(elf)")
        }
        // Hundreds of machines ended in each driver: none stayed alive, and the driver holds no
        // more host descriptors than at its start (its own handful: standard ones, progress).
        #expect(elf["machines_not_freed"] == nil, "\(elf)")
        #expect((elf["host_fds_at_end"] as? Int ?? 99) <= 8, "\(elf)")
    }

    @Test func hostileSystemCalls() throws {
        let figures = try Fuzzing.campaign("sys", ["--only", "sys", "--syscalls", "4000", "--sys-chunk", "4000"])
        Fuzzing.expectClean(figures)
        let sys = figures["sys"] as? [String: [String: Any]] ?? [:]
        #expect(sys.count == 5)  // x86-64 skas, tt, seccomp; PowerPC skas, tt
        for (run, f) in sys {
            // Some calls end the fuzzer's batch or its parent (a skipped batch): most still run.
            #expect((f["calls"] as? Int ?? 0) > 2000, "\(run): \(f)")
            #expect(f["host_files_written"] as? Int == 0, "\(run): \(f)")
        }
    }

    @Test func randomInstructionStreams() throws {
        let figures = try Fuzzing.campaign("insn", ["--only", "insn", "--insn-words", "200000"])
        Fuzzing.expectClean(figures)
        let insn = figures["insn"] as? [String: [String: Any]] ?? [:]
        #expect(Set(insn.keys) == ["ppc/skas", "ppc/tt", "ia64/skas", "ia64/tt"])
        for (run, f) in insn { #expect((f["words"] as? Int ?? 0) >= 100_000, "\(run): \(f)") }
    }

    // MARK: crashers kept from campaigns

    /// How umlab ended: by itself (any status: a guest's death by signal N is status 128+N) or
    /// killed by a host signal; and whether it printed a Swift trap.
    struct Ending { var signalled: Bool; var status: Int32; var stderr: String
        var crashed: Bool { signalled || stderr.contains("Fatal error") || stderr.contains("Program crashed") }
    }

    static func umlab(_ arguments: [String], directory: String? = nil) throws -> Ending {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Harness.umlab)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Ending(signalled: p.terminationReason == .uncaughtSignal, status: p.terminationStatus,
                      stderr: String(decoding: e, as: UTF8.self))
    }

    static func crashers(_ prefix: String) -> [String] {
        let dir = fuzz.appendingPathComponent("crashers")
        let all = (FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String }) ?? []
        return all.filter { ($0 as NSString).lastPathComponent.hasPrefix(prefix) && !$0.hasSuffix(".txt") }.sorted()
    }

    static func modes(_ isa: String) -> [String] { isa == "x86_64" ? Harness.x86Modes : Harness.interpreterModes }

    /// ELF mutants: `umlab run` in every mode of the ISA (with a time limit) and `umlab disasm`.
    @Test(arguments: Fuzzing.crashers("elf-"))
    func elfCrasher(_ name: String) throws {
        let dir = try Fuzzing.workDirectory("crasher")
        let copy = dir + "/mutant"
        try FileManager.default.copyItem(atPath: Fuzzing.fuzz.appendingPathComponent("crashers/\(name)").path, toPath: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)
        let isa = (name as NSString).deletingLastPathComponent
        for mode in Fuzzing.modes(isa) {
            let r = try Fuzzing.umlab(["run", "--mode", mode, "--time-limit", "2", "--", copy])
            withKnownIssue("interpreter page tables out of host memory (loader limits)", isIntermittent: true) {
                #expect(!r.crashed, "\(name) --mode \(mode): \(r.stderr.suffix(3000))")
            } matching: { _ in r.stderr.contains("out of host memory for a page table") }
        }
        let d = try Fuzzing.umlab(["disasm", copy])
        #expect(!d.crashed, "disasm \(name): \(d.stderr.suffix(3000))")
    }

    /// Hostile system calls: the minimised batch (a file "mode M\nsysfuzz SEED START COUNT PER").
    @Test(arguments: Fuzzing.crashers("sys-"))
    func syscallCrasher(_ name: String) throws {
        let text = try String(contentsOf: Fuzzing.fuzz.appendingPathComponent("crashers/\(name)"), encoding: .utf8)
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard words.count == 7, words[0] == "mode", words[2] == "sysfuzz" else {
            Issue.record("\(name): expected 'mode M\\nsysfuzz SEED START COUNT PER', got \(text)")
            return
        }
        let isa = (name as NSString).deletingLastPathComponent
        let root = try Fuzzing.workDirectory("sysroot")
        let compiler = isa == "ppc" ? "/usr/bin/powerpc-linux-gnu-gcc" : "/usr/bin/gcc"
        let (c, cerr) = try Harness.run([compiler, "-static", "-O2", "-o", root + "/sysfuzz",
                                         Fuzzing.fuzz.appendingPathComponent("sysfuzz.c").path])
        #expect(c.status == 0, "\(cerr)")
        let r = try Fuzzing.umlab(["run", "--root", root, "--mode", words[1], "--time-limit", "30", "--", "/sysfuzz"] + words[3...6])
        #expect(!r.crashed, "\(name): \(r.stderr.suffix(3000))")
        #expect(r.status != 124, "\(name): did not finish within 30 s")
    }

    /// Random code pages: replayed from (mode, seed, page) in the name insn-MODE-SEED-PAGE.bin.
    @Test(arguments: Fuzzing.crashers("insn-"))
    func instructionCrasher(_ name: String) throws {
        let parts = ((name as NSString).lastPathComponent as NSString).deletingPathExtension.split(separator: "-")
        let isa = (name as NSString).deletingLastPathComponent
        try #require(parts.count == 4)
        let r = try Fuzzing.umlab(["fuzz", "insn", "--backend", isa, "--mode", String(parts[1]), "--seed", String(parts[2]),
                                   "--start", String(parts[3]), "--words", "1"])
        #expect(!r.crashed, "\(name): \(r.stderr.suffix(3000))")
    }
}
