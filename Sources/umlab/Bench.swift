import ArgumentParser
import GuestKernel
import HostOS
import LinuxABI

/// `umlab bench`: the TT-vs-SKAS study. The workloads of Benchmarks/study (one C program for
/// x86-64 and PowerPC, its IA-64 assembly twin) run as ordinary guests under `umlab run` on
/// every backend in every mode the backend reports, next to baselines (the same x86-64 binary
/// natively, the bare PTRACE_SYSEMU and seccomp tracers, qemu-ppc). Each measurement is
/// repeated; a run counts only if the program printed the check line the bench expects.
/// Measured per run: the program's own loop time, umlab's `--stats-json` counters, and the
/// host's getrusage(RUSAGE_CHILDREN) delta (context switches of umlab and of every guest host
/// process it reaped). The results go to results.json; the CSV, the SVG charts and the paper
/// (README.md) are then drawn from that file alone (BenchReport.swift).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The TT-vs-SKAS study: workloads on every backend × mode plus baselines; writes results.json/.csv, SVG charts and the paper.")

    @Option(help: "Only this backend (repeatable).") var backend: [String] = []
    @Option(help: "Only this mode (repeatable).") var mode: [String] = []
    @Option(help: "Only this workload (repeatable): \(Bench.workloads.map(\.name).joined(separator: ", ")).") var workload: [String] = []
    @Option(help: "Repetitions of every measurement.") var reps: Int = 5
    @Flag(help: "Small workload sizes (a few seconds in all; for tests).") var quick = false
    @Option(help: "Output directory (default: papers/tt-vs-skas in the source tree).") var out: String?
    @Flag(help: "Also print results.json on standard output.") var json = false
    @Option(help: "The source tree holding Benchmarks/study (default: found from the umlab binary).") var sources: String?
    @Option(help: "Measure nothing: redraw the CSV, charts and paper from this results.json.") var render: String?
    @Option(help: "Time limit of one run, in seconds.") var timeout: Int = 600

    // MARK: workloads

    struct Workload: Sendable {
        let name: String
        let size: Int
        let quickSize: Int
        /// What one iteration does, for the paper.
        let iteration: String
        /// The VALUE of the check line after n iterations.
        let expected: @Sendable (Int) -> UInt64
        /// The backends whose study program has this workload (nil: every one). The IA-64 twin
        /// lacks a signal handler, and only x86-64 has a shell to run.
        var isas: [String]? = nil
        func runs(on isa: String) -> Bool { isas?.contains(isa) ?? true }
    }

    /// Default sizes: each run takes from a few hundredths of a second to about two seconds, so
    /// that the whole default study (all backends and modes, the baselines, 5 repetitions)
    /// takes a few minutes on two cores.
    static let workloads: [Workload] = [
        Workload(name: "syscall", size: 200_000, quickSize: 2_000, iteration: "one getppid", expected: { UInt64($0) }),
        Workload(name: "pipe", size: 10_000, quickSize: 100, iteration: "a one-byte round trip to a forked child over two pipes", expected: { UInt64($0) }),
        Workload(name: "forkexec", size: 100, quickSize: 3, iteration: "fork; the child execs the program itself, which exits at once; wait4", expected: { UInt64($0) }),
        Workload(name: "file", size: 8_000, quickSize: 100, iteration: "open a /tmp file with O_TRUNC, write 4 KiB, lseek to 0, read 4 KiB, close", expected: { UInt64($0) }),
        Workload(name: "mmap", size: 20_000, quickSize: 200, iteration: "mmap 64 KiB anonymous, write and read one byte, munmap", expected: { UInt64($0) }),
        Workload(name: "fault", size: 1_500, quickSize: 10, iteration: "mmap 1 MiB, write and read one byte in each of its 256 pages, munmap", expected: { UInt64($0) * 256 }),
        Workload(name: "compute", size: 2_000, quickSize: 20, iteration: "one table-driven CRC-32 pass over 4 KiB (no system calls)", expected: { Bench.crcPasses($0) }),
        // The rest of lmbench's process and file-system latencies (the study's lmbench table).
        Workload(name: "stat", size: 20_000, quickSize: 200, iteration: "stat of the program's own file", expected: { UInt64($0) }),
        Workload(name: "openclose", size: 20_000, quickSize: 200, iteration: "open the program's own file read-only, close it", expected: { UInt64($0) }),
        Workload(name: "siginstall", size: 50_000, quickSize: 500, iteration: "sigaction(SIGUSR1) with a handler", expected: { UInt64($0) }),
        Workload(name: "sighandle", size: 20_000, quickSize: 200, iteration: "kill(getpid(), SIGUSR1), caught by a handler",
                 expected: { UInt64($0) }, isas: ["x86_64", "ppc"]),
        Workload(name: "fork", size: 500, quickSize: 5, iteration: "fork; the child exits at once; wait4", expected: { UInt64($0) }),
        Workload(name: "forksh", size: 100, quickSize: 3, iteration: "fork; the child execs /bin/busybox sh -c 'exit 42'; wait4",
                 expected: { UInt64($0) }, isas: ["x86_64"]),
        Workload(name: "create", size: 10_000, quickSize: 100, iteration: "create an empty file in a tmpfs, close it, unlink it", expected: { UInt64($0) }),
    ]

    /// CRC-32 (reflected 0xEDB88320) of `passes` copies of the study's 4 KiB buffer, as
    /// `study compute` computes it.
    static func crcPasses(_ passes: Int) -> UInt64 {
        var table = [UInt32](repeating: 0, count: 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[n] = c
        }
        let buf = (0..<4096).map { UInt8(truncatingIfNeeded: ($0 &* 31 &+ 7) ^ ($0 >> 8)) }
        var crc: UInt32 = 0xFFFF_FFFF
        for _ in 0..<passes { for b in buf { crc = table[Int((crc ^ UInt32(b)) & 0xff)] ^ (crc >> 8) } }
        return UInt64(crc ^ 0xFFFF_FFFF)
    }

    // MARK: cells

    /// One thing measured `reps` times: a workload on an umlab backend in a mode, or on a baseline.
    struct Cell {
        var kind: String          // "umlab" or "baseline"
        var system: String        // backend name, or the baseline's name
        var mode: String          // isolation mode; for baselines a variant or ""
        var isa: String
        var workload: Workload
        var iterations: Int
        var argv: [String]
        var usesStats: Bool
        var unavailable: String?  // why it cannot run (its build failed)
        var runs: [JSON] = []
        var label: String { mode.isEmpty ? system : "\(system) \(mode)" }
    }

    func run() throws {
        if let render {
            let text = try Bench.readText(render)
            let source = Bench.directory(of: Bench.absolute(render))
            let dir = out.map(Bench.absolute) ?? source
            // Elsewhere, the paper's results.json link needs the file next to it.
            try BenchReport.writeAll(JSON.parse(text), to: dir, writeResults: dir != source, resultsText: text)
            Host.diagnostic("umlab bench: redrew \(dir) from \(render)")
            return
        }
        guard reps >= 1 else { throw ValidationError("--reps must be at least 1") }
        for w in workload where !Bench.workloads.contains(where: { $0.name == w }) {
            throw ValidationError("unknown workload '\(w)' (\(Bench.workloads.map(\.name).joined(separator: ", ")))")
        }
        for m in mode where IsolationMode(rawValue: m) == nil { throw ValidationError("unknown mode '\(m)'") }
        for b in backend where !Backends.all().contains(where: { $0.name == b }) {
            throw ValidationError("unknown backend '\(b)' (\(Backends.all().map(\.name).joined(separator: ", ")))")
        }
        guard let tree = sources.map(Bench.absolute) ?? Bench.findSourceTree() else {
            Host.diagnostic("umlab bench: cannot find Benchmarks/study/study.c; pass --sources DIR (the umlab source tree)")
            throw ExitCode(2)
        }
        let outDir = Bench.absolute(out ?? tree + "/papers/tt-vs-skas")
        let started = Host.monotonicNanoseconds()
        let startDate = Bench.utcNow()
        let loadBefore = Bench.loadAverage()
        let build = outDir + "/build", jail = build + "/jail"
        for d in [outDir, build, jail, jail + "/tmp", jail + "/proc", jail + "/dev"] { Bench.makeDirectories(d) }

        let selected = Backends.all().filter { backend.isEmpty || backend.contains($0.name) }
        let workloads = Bench.workloads.filter { workload.isEmpty || workload.contains($0.name) }
        let size: (Workload) -> Int = { quick ? $0.quickSize : $0.size }

        // Build the guest programs and the baselines.
        var built: [String: String?] = [:]   // isa -> nil when built, else why not
        for b in selected {
            Host.diagnostic("umlab bench: building study.\(b.name)")
            built[b.name] = Bench.buildStudy(b.name, tree: tree, build: build, output: "\(jail)/study.\(b.name)")
        }
        let x86Selected = selected.contains { $0.name == "x86_64" } && built["x86_64"] == .some(nil)
        var bareSysemu: String? = nil, bareSeccomp: String? = nil, bareSeccompWhy = "not built"
        if x86Selected {
            if Bench.compile(["gcc", "-static", "-O2", "-o", build + "/bare_sysemu", tree + "/Benchmarks/x86_64/bare_sysemu.c"]) == nil {
                bareSysemu = build + "/bare_sysemu"
            }
            let seccompSource = tree + "/Benchmarks/x86_64/bare_seccomp.c"
            if Bench.fileExists(seccompSource) {
                if let why = Bench.compile(["gcc", "-O2", "-pthread", "-o", build + "/bare_seccomp", seccompSource]) {
                    bareSeccompWhy = why
                } else {
                    bareSeccomp = build + "/bare_seccomp"
                }
            } else {
                bareSeccompWhy = "Benchmarks/x86_64/bare_seccomp.c is not in this source tree"
            }
        }
        let taskset = Bench.fileExists("/usr/bin/taskset") ? "/usr/bin/taskset" : nil
        let qemu = selected.contains { $0.name == "ppc" } && built["ppc"] == .some(nil)
            ? ["/usr/bin/qemu-ppc", "/usr/local/bin/qemu-ppc", "/usr/bin/qemu-ppc-static"].first(where: Bench.fileExists) : nil
        // Linux's own User-mode Linux (Debian's user-mode-linux), booted once per run by
        // Benchmarks/uml/run.sh with the host's / as a read-only hostfs root.
        let uml = x86Selected && Bench.fileExists("/usr/bin/linux.uml") && Bench.fileExists(tree + "/Benchmarks/uml/run.sh")
        // Pinned to one CPU like the native runs and umlab (which pins itself and its guests):
        // UML's kernel process and the guest processes it traces then share a CPU, as umlab's do.
        let umlLaunch = ["/usr/bin/env", "UML_BUILD=\(build)/uml"] + (taskset.map { [$0, "-c", "0"] } ?? []) + [tree + "/Benchmarks/uml/run.sh"]
        // forksh runs busybox's sh; the jail gets the host's static busybox.
        if x86Selected, workloads.contains(where: { $0.name == "forksh" }) {
            Bench.makeDirectories(jail + "/bin")
            _ = try? Subprocess.run(["cp", "/bin/busybox", jail + "/bin/busybox"], timeoutSeconds: 60)
        }

        // The cells, in the order the tables list them.
        let me = Isolation.selfPath()
        var cells: [Cell] = []
        for w in workloads {
            let n = size(w)
            let args = [w.name, String(n)]
            for b in selected where w.runs(on: b.name) {
                for m in b.supportedModes.map(\.rawValue) where mode.isEmpty || mode.contains(m) {
                    let argv = [me, "run", "--backend", b.name, "--mode", m, "--root", jail, "--stats-json", build + "/stats.json", "--", "/study.\(b.name)"] + args
                    cells.append(Cell(kind: "umlab", system: b.name, mode: m, isa: b.name, workload: w, iterations: n, argv: argv,
                                      usesStats: true, unavailable: built[b.name] ?? nil))
                }
            }
            if x86Selected {
                // Scratch files in a tmpfs, as under umlab (the guest's /tmp) and UML.
                let native = ["/usr/bin/env", "STUDY_TMPDIR=/dev/shm"] + (taskset.map { [$0, "-c", "0"] } ?? []) + ["\(jail)/study.x86_64"] + args
                cells.append(Cell(kind: "baseline", system: "native", mode: "", isa: "x86_64", workload: w, iterations: n, argv: native, usesStats: false))
                if uml {
                    cells.append(Cell(kind: "baseline", system: "uml", mode: "", isa: "x86_64", workload: w, iterations: n,
                                      argv: umlLaunch + ["\(jail)/study.x86_64"] + args,
                                      usesStats: false))
                }
                if w.name == "syscall" {
                    if let bare = bareSysemu {
                        cells.append(Cell(kind: "baseline", system: "bare-sysemu", mode: "", isa: "x86_64", workload: w, iterations: n,
                                          argv: [bare, "\(jail)/study.x86_64"] + args, usesStats: false))
                    }
                    for variant in ["notif", "sigsys"] {
                        cells.append(Cell(kind: "baseline", system: "bare-seccomp", mode: variant, isa: "x86_64", workload: w, iterations: n,
                                          argv: [bareSeccomp ?? "", variant, String(n)], usesStats: false,
                                          unavailable: bareSeccomp == nil ? bareSeccompWhy : nil))
                    }
                }
            }
            if let qemu, w.runs(on: "ppc") {
                cells.append(Cell(kind: "baseline", system: "qemu-ppc", mode: "", isa: "ppc", workload: w, iterations: n,
                                  argv: [qemu, "\(jail)/study.ppc"] + args, usesStats: false))
            }
        }

        // UML's host context switches include its boot: measure boots that run nothing, so the
        // paper can take them out of each UML run's count.
        var umlBoot: [Double] = []
        if uml {
            for _ in 0..<3 {
                let before = Host.childrenResourceUsage()
                let r = try? Subprocess.run(umlLaunch + ["/bin/true"], timeoutSeconds: timeout)
                let after = Host.childrenResourceUsage()
                if r?.status == 0 {
                    umlBoot.append(Double((after.voluntarySwitches + after.involuntarySwitches) - (before.voluntarySwitches + before.involuntarySwitches)))
                }
            }
        }

        // Measure: repetition by repetition, each repetition over every cell (so that a slow
        // drift of the machine spreads over all cells instead of biasing one).
        let runnable = cells.indices.filter { cells[$0].unavailable == nil }
        for i in cells.indices where cells[i].unavailable != nil {
            Host.diagnostic("umlab bench: \(cells[i].label) \(cells[i].workload.name): unavailable (\(cells[i].unavailable!))")
        }
        let total = runnable.count * reps
        var done = 0
        var durations: [Int: [Double]] = [:]
        let measureStart = Host.monotonicNanoseconds()
        for rep in 1...reps {
            for i in runnable {
                done += 1
                let c = cells[i]
                let t0 = Host.monotonicNanoseconds()
                let record = Bench.measure(c, statsPath: build + "/stats.json", timeout: timeout)
                let seconds = Double(Host.monotonicNanoseconds() - t0) / 1e9
                cells[i].runs.append(record)
                durations[i, default: []].append(seconds)
                // ETA: each remaining run takes what the same cell took before, or the mean so far.
                let elapsed = Double(Host.monotonicNanoseconds() - measureStart) / 1e9
                let mean = elapsed / Double(done)
                var remaining = 0.0
                for r in rep...reps {
                    for j in runnable where r > rep || j > i {
                        let d = durations[j] ?? []
                        remaining += d.isEmpty ? mean : d.reduce(0, +) / Double(d.count)
                    }
                }
                let ok = record["check_ok"]?.bool == true ? "" : "  CHECK FAILED: " + (record["error"]?.string ?? "")
                Host.diagnostic("[\(done)/\(total)] \(c.label) \(c.workload.name) rep \(rep) … \(BarChart.fixed(seconds, 2)) s"
                                + "  (elapsed \(Bench.duration(elapsed)), ETA \(Bench.duration(remaining)))\(ok)")
            }
        }

        let results = Bench.resultsJSON(cells: cells, workloads: workloads, size: size, selected: selected, tree: tree,
                                        reps: reps, quick: quick, startDate: startDate, outDir: outDir,
                                        seconds: Double(Host.monotonicNanoseconds() - started) / 1e9,
                                        extras: [("load_average_before", .num(loadBefore)), ("load_average_after", .num(Bench.loadAverage())),
                                                 ("native_pinned_cpu0", .bool(taskset != nil)),
                                                 ("bare_seccomp", .string(bareSeccomp != nil ? "built" : bareSeccompWhy)),
                                                 ("qemu_ppc", .string(qemu ?? "not installed or ppc not selected")),
                                                 ("uml_boot_host_cs", umlBoot.isEmpty ? .null : Bench.summary(umlBoot)),
                                                 ("uml", .string(uml ? "/usr/bin/linux.uml via Benchmarks/uml/run.sh" : "not installed (user-mode-linux) or x86_64 not selected"))])
        let text = results.pretty() + "\n"
        // Everything else is drawn from the file as written, read back.
        try BenchReport.writeAll(JSON.parse(text), to: outDir, writeResults: true, resultsText: text)
        if json { print(text, terminator: "") }
        Host.diagnostic("umlab bench: wrote \(outDir)/{results.json,results.csv,*.svg,README.md} in \(Bench.duration(Double(Host.monotonicNanoseconds() - started) / 1e9))")
        let failed = cells.filter { $0.kind == "umlab" && !Bench.cellPassed($0) }
        if !failed.isEmpty {
            Host.diagnostic("umlab bench: failed checks: " + failed.map { "\($0.label) \($0.workload.name)" }.joined(separator: ", "))
            throw ExitCode(1)
        }
    }

    static func cellPassed(_ c: Cell) -> Bool {
        c.unavailable == nil && !c.runs.isEmpty && c.runs.allSatisfy { $0["check_ok"]?.bool == true }
    }

    // MARK: one run

    /// Runs a cell once; returns its record (see resultsJSON for the fields).
    static func measure(_ c: Cell, statsPath: String, timeout: Int) -> JSON {
        if c.usesStats { try? HostFD.writeFile(statsPath, []) }
        let before = Host.childrenResourceUsage()
        let t0 = Host.monotonicNanoseconds()
        let outcome = try? Subprocess.run(c.argv, timeoutSeconds: timeout)
        let wall = Double(Host.monotonicNanoseconds() - t0) / 1e9
        let after = Host.childrenResourceUsage()
        var fields: [(String, JSON)] = []
        guard let outcome else { return .object([("check_ok", .bool(false)), ("error", .string("cannot start \(c.argv[0])"))]) }
        let lines = outcome.text.split(separator: "\n").map(String.init)
        let expected = "check \(c.workload.name) \(c.iterations) \(c.workload.expected(c.iterations))"
        var loopNs: Double?
        var check: String?
        if c.system == "bare-seccomp" {
            // Its contract: one line "ns_per_call <float>", exit status 0 when every answer arrived.
            if let l = lines.first(where: { $0.hasPrefix("ns_per_call ") }), let v = Double(l.dropFirst(12).trimmedSpace()) {
                loopNs = v * Double(c.iterations)
                check = l
            }
        } else {
            check = lines.first { $0.hasPrefix("check ") }
            if let l = lines.first(where: { $0.hasPrefix("loop_ns ") }) { loopNs = Double(l.dropFirst(8).trimmedSpace()) }
        }
        let ok = outcome.status == 0 && loopNs != nil && (c.system == "bare-seccomp" ? check != nil : check == expected)
        fields.append(("check_ok", .bool(ok)))
        fields.append(("status", .number(Double(outcome.status))))
        fields.append(("check", check.map(JSON.string) ?? .null))
        fields.append(("loop_ns", .num(loopNs)))
        fields.append(("wall_s", .num(wall)))
        fields.append(("host_voluntary_cs", .number(Double(after.voluntarySwitches - before.voluntarySwitches))))
        fields.append(("host_involuntary_cs", .number(Double(after.involuntarySwitches - before.involuntarySwitches))))
        fields.append(("host_cpu_s", .num(Double((after.userNS + after.systemNS) &- (before.userNS + before.systemNS)) / 1e9)))
        if c.usesStats, let text = try? readText(statsPath), let stats = try? JSON.parse(text) {
            let counters = stats["backend_counters"]
            fields.append(("syscalls", .num(stats["syscalls_total"]?.double)))
            fields.append(("umlab_wall_s", .num(stats["wall_seconds"]?.double)))
            fields.append(("guest_context_switches", .num(stats["context_switches"]?.double)))
            fields.append(("guest_faults", .num(stats["guest_faults"]?.double)))
            for (key, name) in [("host_ptrace_stops", "ptrace_stops"), ("injected_syscalls", "injected_syscalls"), ("host_processes", "host_processes"),
                                ("instructions_retired", "instructions"), ("tlb_misses", "tlb_misses"), ("tlb_flushes", "tlb_flushes")] {
                if let v = counters?[key]?.double { fields.append((name, .number(v))) }
            }
            fields.append(("syscalls_by_name", stats["syscalls"] ?? .null))
        } else if c.usesStats {
            fields.append(("syscalls", .null))
        }
        if !ok {
            let why = outcome.status == 124 ? "timed out after \(timeout) s" : outcome.status != 0 ? "exit status \(outcome.status)"
                : check == nil ? "no check line" : "expected '\(expected)'"
            fields.append(("error", .string(why)))
            fields.append(("output_tail", .string(String(outcome.text.suffix(400)))))
        }
        return .object(fields)
    }

    // MARK: per-run quantities and their summaries

    /// The quantities derived from one run record (nil where the run did not measure it).
    static func metrics(_ run: JSON, iterations: Int) -> [(String, Double?)] {
        let n = Double(iterations)
        func v(_ k: String) -> Double? { run[k]?.double }
        func per(_ a: Double?, _ b: Double?) -> Double? {
            guard let a, let b, b > 0 else { return nil }
            return a / b
        }
        let syscalls = v("syscalls")
        let cs = v("host_voluntary_cs").flatMap { a in v("host_involuntary_cs").map { a + $0 } }
        return [
            ("loop_ns_per_iter", per(v("loop_ns"), n)),
            ("wall_s", v("wall_s")),
            ("syscalls_per_iter", per(syscalls, n)),
            ("ns_per_syscall", per(v("loop_ns"), syscalls)),
            ("host_cs_per_iter", per(cs, n)),
            ("host_cs_per_syscall", per(cs, syscalls)),
            ("host_voluntary_cs_per_syscall", per(v("host_voluntary_cs"), syscalls)),
            ("ptrace_stops_per_syscall", per(v("ptrace_stops"), syscalls)),
            ("ptrace_stops_per_iter", per(v("ptrace_stops"), n)),
            ("guest_cs_per_iter", per(v("guest_context_switches"), n)),
            ("instructions_per_iter", per(v("instructions"), n)),
            ("tlb_misses_per_iter", per(v("tlb_misses"), n)),
            ("tlb_flushes_per_iter", per(v("tlb_flushes"), n)),
            ("mips", per(v("instructions"), v("umlab_wall_s")).map { $0 / 1e6 }),
            ("host_cpu_s", v("host_cpu_s")),
        ]
    }

    /// Median, quartiles (linear interpolation), extremes and count of `xs`.
    static func summary(_ xs: [Double]) -> JSON {
        let s = xs.sorted()
        func q(_ p: Double) -> Double {
            let pos = p * Double(s.count - 1)
            let lo = Int(pos.rounded(.down)), hi = min(lo + 1, s.count - 1)
            return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
        }
        return .object([("median", .num(q(0.5))), ("min", .num(s.first)), ("max", .num(s.last)),
                        ("q1", .num(q(0.25))), ("q3", .num(q(0.75))), ("n", .number(Double(s.count)))])
    }

    static func resultsJSON(cells: [Cell], workloads: [Workload], size: (Workload) -> Int, selected: [any Backend], tree: String,
                            reps: Int, quick: Bool, startDate: String, outDir: String, seconds: Double, extras: [(String, JSON)]) -> JSON {
        var cellJSON: [JSON] = []
        for c in cells {
            let passing = c.runs.filter { $0["check_ok"]?.bool == true }
            var summaries: [(String, JSON)] = []
            if !passing.isEmpty {
                let perRun = passing.map { metrics($0, iterations: c.iterations) }
                for (k, (name, _)) in perRun[0].enumerated() {
                    let xs = perRun.compactMap { $0[k].1 }
                    if xs.count == passing.count { summaries.append((name, summary(xs))) }
                }
            }
            var fields: [(String, JSON)] = [
                ("kind", .string(c.kind)), ("system", .string(c.system)), ("mode", .string(c.mode)), ("isa", .string(c.isa)),
                ("workload", .string(c.workload.name)), ("iterations", .number(Double(c.iterations))), ("label", .string(c.label)),
                ("command", .string(c.argv.map { $0.hasPrefix(tree + "/") ? String($0.dropFirst(tree.count + 1)) : $0 }
                    .map { $0.hasSuffix("/umlab") ? "umlab" : $0 }.joined(separator: " "))),
                ("check_ok", .bool(cellPassed(c))),
            ]
            if let why = c.unavailable { fields.append(("unavailable", .string(why))) }
            fields.append(("summary", .object(summaries)))
            fields.append(("runs", .array(c.runs)))
            cellJSON.append(.object(fields))
        }
        let backends: [JSON] = selected.map { b in
            .object([("name", .string(b.name)), ("modes", .array(b.supportedModes.map { .string($0.rawValue) }))])
        }
        let workloadJSON: [JSON] = workloads.map { w in
            .object([("name", .string(w.name)), ("iterations", .number(Double(size(w)))), ("iteration", .string(w.iteration)),
                     ("expected_check", .string("check \(w.name) \(size(w)) \(w.expected(size(w)))"))])
        }
        return .object([
            ("schema", .string("umlab-bench-1")),
            ("command", .string((["umlab"] + CommandLine.arguments.dropFirst()).joined(separator: " "))),
            ("machine", machineJSON(tree: tree, date: startDate, outDir: outDir)),
            ("study", .object([("reps", .number(Double(reps))), ("quick", .bool(quick)), ("wall_seconds", .num(seconds)),
                               ("order", .string("repetition-major: every cell once per repetition, workload by workload"))] + extras)),
            ("workloads", .array(workloadJSON)),
            ("backends", .array(backends)),
            ("cells", .array(cellJSON)),
        ])
    }

    // MARK: the machine

    static func machineJSON(tree: String, date: String, outDir: String) -> JSON {
        let cpuinfo = (try? readText("/proc/cpuinfo")) ?? ""
        let lines = cpuinfo.split(separator: "\n")
        func field(_ name: String) -> String? {
            lines.first { $0.hasPrefix(name) }.flatMap { l in l.firstIndex(of: ":").map { String(l[l.index(after: $0)...]).trimmedSpace() } }
        }
        let cpus = lines.filter { $0.hasPrefix("processor") }.count
        let flags = " " + (field("flags") ?? "") + " "
        let memKB = ((try? readText("/proc/meminfo")) ?? "").split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .flatMap { Double($0.split(separator: " ").dropFirst().first ?? "") }
        func firstLine(_ argv: [String]) -> String? {
            guard let r = try? Subprocess.run(argv, timeoutSeconds: 20), r.status == 0 else { return nil }
            return r.text.split(separator: "\n").first.map { String($0).trimmedSpace() }
        }
        var commit = firstLine(["git", "-C", tree, "rev-parse", "--short", "HEAD"]) ?? "unknown"
        // Changes to the tree count, except the output of an earlier study (the paper itself).
        let keep = outDir.hasPrefix(tree + "/") ? [":(exclude)" + String(outDir.dropFirst(tree.count + 1))] : []
        if let st = try? Subprocess.run(["git", "-C", tree, "status", "--porcelain", "--untracked-files=no", "--", "."] + keep, timeoutSeconds: 20),
           st.status == 0, !st.text.trimmedSpace().isEmpty {
            commit += " (with uncommitted changes)"
        }
        return .object([
            ("cpu", .string(field("model name") ?? "unknown")),
            ("logical_cpus", .number(Double(cpus))),
            ("hypervisor", .bool(flags.contains(" hypervisor "))),
            ("memory_gib", .num(memKB.map { ($0 / 1024 / 1024 * 10).rounded() / 10 })),
            ("kernel", .string(((try? readText("/proc/sys/kernel/osrelease")) ?? "unknown").trimmedSpace())),
            ("date", .string(date)),
            ("umlab_commit", .string(commit)),
            ("gcc", .string(firstLine(["gcc", "-dumpfullversion"]) ?? "n/a")),
            ("powerpc_gcc", .string(firstLine(["powerpc-linux-gnu-gcc", "-dumpfullversion"]) ?? "n/a")),
            ("ia64_as", .string(firstLine(["ia64-linux-gnu-as", "--version"]) ?? "n/a")),
            ("qemu_ppc", .string(firstLine(["qemu-ppc", "--version"]) ?? "n/a")),
            ("uml", .string(fileExists("/usr/bin/linux.uml") ? "Linux " + (firstLine(["/usr/bin/linux.uml", "--version"]) ?? "?") + " (Debian user-mode-linux)" : "n/a")),
        ])
    }

    // MARK: building

    /// Builds `study` for `isa` into `output`; nil when built, else why not.
    static func buildStudy(_ isa: String, tree: String, build: String, output: String) -> String? {
        let study = tree + "/Benchmarks/study"
        switch isa {
        case "x86_64": return compile(["gcc", "-static", "-O2", "-o", output, study + "/study.c"])
        case "ppc": return compile(["powerpc-linux-gnu-gcc", "-static", "-O2", "-o", output, study + "/study.c"])
        case "ia64":
            let lib = tree + "/arch/ia64/workloads"
            return compile(["ia64-linux-gnu-as", "-x", "-I", lib, "-o", build + "/study-ia64.o", study + "/study-ia64.s"])
                ?? compile(["ia64-linux-gnu-as", "-x", "-I", lib, "-o", build + "/lib-ia64.o", lib + "/lib.s"])
                ?? compile(["ia64-linux-gnu-ld", "-o", output, build + "/study-ia64.o", build + "/lib-ia64.o"])
        default: return "no study program for \(isa)"
        }
    }

    static func compile(_ argv: [String]) -> String? {
        guard let r = try? Subprocess.run(argv, timeoutSeconds: 300) else { return "\(argv[0]) not found" }
        if r.status == 0 { return nil }
        let first = r.text.split(separator: "\n").first.map(String.init) ?? ""
        return "\(argv[0]) failed (status \(r.status)): \(first)"
    }

    // MARK: small host helpers

    /// The package directory, found from the umlab binary (.build/<triple>/release/umlab) by
    /// walking up until `relative` exists below it.
    static func findSourceTree(containing relative: String = "Benchmarks/study/study.c") -> String? {
        var dir = Isolation.selfPath()
        for _ in 0..<7 {
            guard let slash = dir.lastIndex(of: "/") else { break }
            dir = String(dir[..<slash])
            if fileExists(dir + "/" + relative) { return dir }
        }
        return nil
    }

    static func fileExists(_ path: String) -> Bool {
        guard let f = try? HostFD.open(path, flags: HostOpen.readOnly) else { return false }
        f.close()
        return true
    }

    static func readText(_ path: String) throws(LinuxErrno) -> String {
        let f = try HostFD.open(path, flags: HostOpen.readOnly)
        defer { f.close() }
        return String(decoding: try f.readAll(limit: 256 << 20), as: UTF8.self)
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let cwd = (try? HostFD.readLink("/proc/self/cwd")) ?? "."
        return path == "." ? cwd : cwd + "/" + path
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func makeDirectories(_ path: String) {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            _ = try? HostFD.makeDirectory(prefix)
        }
    }

    /// The host's one-minute load average.
    static func loadAverage() -> Double? {
        ((try? readText("/proc/loadavg")) ?? "").split(separator: " ").first.flatMap { Double($0) }
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 60 ? "\(t / 60)m\(t % 60 < 10 ? "0" : "")\(t % 60)s" : "\(t)s"
    }

    /// The current UTC time as ISO 8601 (days to civil date after H. Hinnant's algorithm).
    static func utcNow() -> String {
        let secs = Int((try? Host.clock(0).seconds) ?? 0)
        let days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let rem = secs - days * 86400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))Z"
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and newlines.
    func trimmedSpace() -> String {
        let ws: Set<Character> = [" ", "\t", "\n", "\r"]
        guard let a = firstIndex(where: { !ws.contains($0) }), let b = lastIndex(where: { !ws.contains($0) }) else { return "" }
        return String(self[a...b])
    }
}
