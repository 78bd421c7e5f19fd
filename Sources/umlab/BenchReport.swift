import HostOS

/// Everything `umlab bench` writes besides results.json — results.csv, the SVG charts and the
/// paper (README.md) — drawn from a parsed results.json and nothing else, so that every
/// number in the paper is one that file holds (or a ratio of two of them).
enum BenchReport {
    // MARK: reading results.json

    struct Stat {
        var median: Double, min: Double, max: Double, q1: Double, q3: Double, n: Int
        /// Half the interquartile range, relative to the median.
        var spread: Double { median > 0 ? (q3 - q1) / 2 / median : 0 }
    }

    struct Study {
        let root: JSON
        let cells: [JSON]
        let workloads: [String]
        let backends: [(name: String, modes: [String])]

        init(_ root: JSON) {
            self.root = root
            cells = root["cells"]?.array ?? []
            workloads = (root["workloads"]?.array ?? []).compactMap { $0["name"]?.string }
            backends = (root["backends"]?.array ?? []).compactMap { b in
                b["name"]?.string.map { ($0, (b["modes"]?.array ?? []).compactMap(\.string)) }
            }
        }

        func cell(_ system: String, _ mode: String, _ workload: String) -> JSON? {
            cells.first { $0["system"]?.string == system && $0["mode"]?.string == mode && $0["workload"]?.string == workload }
        }
        func stat(_ c: JSON?, _ metric: String) -> Stat? {
            guard let c, c["check_ok"]?.bool == true, let s = c["summary"]?[metric], let m = s["median"]?.double,
                  let lo = s["min"]?.double, let hi = s["max"]?.double else { return nil }
            return Stat(median: m, min: lo, max: hi, q1: s["q1"]?.double ?? m, q3: s["q3"]?.double ?? m, n: s["n"]?.int ?? 0)
        }
        func stat(_ system: String, _ mode: String, _ workload: String, _ metric: String) -> Stat? {
            stat(cell(system, mode, workload), metric)
        }
        /// The modes of `backend` that have cells in this study.
        func modes(_ backend: String) -> [String] {
            (backends.first { $0.name == backend }?.modes ?? []).filter { m in cells.contains { $0["system"]?.string == backend && $0["mode"]?.string == m } }
        }
        var umlabSystems: [(backend: String, mode: String)] {
            backends.flatMap { b in modes(b.name).map { (b.name, $0) } }
        }
        /// Baselines present, in table order.
        var baselines: [(system: String, mode: String)] {
            var seen: [(String, String)] = []
            for c in cells where c["kind"]?.string == "baseline" {
                let k = (c["system"]?.string ?? "", c["mode"]?.string ?? "")
                if !seen.contains(where: { $0 == k }) { seen.append(k) }
            }
            return seen
        }
        var machine: JSON { root["machine"] ?? .null }
        var reps: Int { root["study"]?["reps"]?.int ?? 0 }
        func iterations(_ workload: String) -> Int {
            (root["workloads"]?.array ?? []).first { $0["name"]?.string == workload }?["iterations"]?.int ?? 0
        }
        func iterationText(_ workload: String) -> String {
            (root["workloads"]?.array ?? []).first { $0["name"]?.string == workload }?["iteration"]?.string ?? ""
        }
    }

    // MARK: wording of numbers

    static func grouped(_ v: Int) -> String {
        let s = String(abs(v))
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (v < 0 ? "-" : "") + out
    }
    static func f(_ v: Double, _ digits: Int) -> String { BarChart.fixed(v, digits) }
    /// A duration given in nanoseconds, in the unit that reads best.
    static func time(_ ns: Double) -> String {
        if ns < 10 { return f(ns, 2) + " ns" }
        if ns < 10_000 { return grouped(Int(ns.rounded())) + " ns" }
        if ns < 1_000_000 { return f(ns / 1e3, ns < 100_000 ? 2 : 1) + " µs" }
        if ns < 1_000_000_000 { return f(ns / 1e6, ns < 100_000_000 ? 2 : 1) + " ms" }
        return f(ns / 1e9, 2) + " s"
    }
    static func times(_ r: Double) -> String { f(r, r >= 10 ? 1 : 2) + "×" }
    static func count(_ v: Double) -> String { v >= 1000 ? grouped(Int(v.rounded())) : v >= 10 ? f(v, 1) : f(v, 2) }
    static func percent(_ v: Double) -> String { f(v * 100, v < 0.1 ? 1 : 0) + "%" }

    static func label(_ system: String, _ mode: String) -> String {
        switch (system, mode) {
        case ("native", _): return "native x86_64"
        case ("bare-sysemu", _): return "bare PTRACE_SYSEMU tracer"
        case ("bare-seccomp", "notif"): return "bare seccomp USER_NOTIF"
        case ("bare-seccomp", "sigsys"): return "bare seccomp SIGSYS hand-off"
        case ("bare-seccomp", let m): return "bare seccomp \(m)"
        case ("qemu-ppc", _): return "qemu-ppc"
        case ("uml", _): return "UML 6.1 (SKAS0)"
        default: return mode.isEmpty ? system : "\(system) \(mode)"
        }
    }

    /// Two medians differ noticeably when one exceeds the other by this factor and their
    /// interquartile ranges over the repetitions do not overlap.
    static let noticeable = 1.10
    /// Measured context-switch counts agree with a historical count within this fraction.
    static let countTolerance = 0.10
    /// A per-switch price fitted from TT and SKAS agrees with the bare tracer's within this fraction.
    static let modelTolerance = 0.25

    enum Verdict { case slower, faster, same, unknown }
    /// How `a` compares with `b` (e.g. TT with SKAS): slower means a took noticeably longer.
    static func compare(_ a: Stat?, _ b: Stat?) -> (ratio: Double?, verdict: Verdict) {
        guard let a, let b, b.median > 0 else { return (nil, .unknown) }
        let r = a.median / b.median
        if r >= noticeable && a.q1 > b.q3 { return (r, .slower) }
        if r <= 1 / noticeable && a.q3 < b.q1 { return (r, .faster) }
        return (r, .same)
    }
    /// Ratio bounds from the quartiles: (a.q1 / b.q3, a.q3 / b.q1).
    static func ratioRange(_ a: Stat?, _ b: Stat?) -> (Double, Double)? {
        guard let a, let b, b.q3 > 0, b.q1 > 0 else { return nil }
        return (a.q1 / b.q3, a.q3 / b.q1)
    }

    // MARK: the lmbench-style table

    /// lmbench's process and file-system latencies (the rows of the Xen paper's Tables 3 and 5),
    /// each from a study workload: the time per iteration divided by `per` (a pipe round trip
    /// is two context switches; a fault iteration touches 256 pages).
    static let lmbenchRows: [(row: String, workload: String, per: Double)] = [
        ("null call", "syscall", 1), ("stat", "stat", 1), ("open/close", "openclose", 1),
        ("signal install", "siginstall", 1), ("signal handle", "sighandle", 1),
        ("fork", "fork", 1), ("fork+exec", "forkexec", 1), ("fork+sh", "forksh", 1),
        ("2-process context switch", "pipe", 2), ("mmap (64 KiB, touch, munmap)", "mmap", 1),
        ("page fault", "fault", 256), ("0K file create+delete", "create", 1),
    ]
    /// UML as Barham et al. measured it in 2003 (Xen paper, SOSP'03, Tables 3 and 5: UML with
    /// skas3 patches on a 2.4 GHz Xeon), quoted for context only: another machine, another era.
    static let xen2003UML: [String: Double] = [
        "null call": 24_700, "fork": 21_000_000, "fork+exec": 33_000_000, "page fault": 26_300,
    ]

    static func lmbenchStat(_ s: Study, _ system: String, _ mode: String, _ workload: String, per: Double) -> Stat? {
        guard var st = s.stat(system, mode, workload, "loop_ns_per_iter") else { return nil }
        st.median /= per; st.min /= per; st.max /= per; st.q1 /= per; st.q3 /= per
        return st
    }

    static func lmbenchSection(_ s: Study, line: (String) -> Void) {
        let rows = lmbenchRows.filter { s.workloads.contains($0.workload) }
        var columns: [(String, String)] = []
        if s.baselines.contains(where: { $0.system == "native" }) { columns.append(("native", "")) }
        if s.baselines.contains(where: { $0.system == "uml" }) { columns.append(("uml", "")) }
        columns += s.umlabSystems.map { ($0.backend, $0.mode) }
        if s.baselines.contains(where: { $0.system == "qemu-ppc" }) { columns.append(("qemu-ppc", "")) }
        line("### lmbench-style latencies, with Linux's own UML")
        line("")
        line("The operations of lmbench's process and file-system tables, each timed by a study workload (per operation:")
        line("a 2-process context switch is half a pipe round trip, a page fault is one of the 256 pages a fault iteration")
        line("touches). UML is Debian's user-mode-linux 6.1 (SKAS0), booted per run by `Benchmarks/uml/run.sh` with the host's")
        line("root as a read-only hostfs and scratch files in a tmpfs; umlab's guests and the native runs also create their files in a")
        line("tmpfs. The last column is UML as the Xen paper measured it in 2003 (Barham et al., SOSP'03, Tables 3 and 5; UML")
        line("with the skas3 host patch on a 2.4 GHz Xeon), quoted for context only. \"–\": the workload does not exist for that")
        line("ISA (the IA-64 twin has no signal handler; only x86-64 has a shell).")
        line("")
        line("| operation | " + columns.map { label($0.0, $0.1) }.joined(separator: " | ") + " | UML, 2003 |")
        line("|---|" + String(repeating: "---:|", count: columns.count + 1))
        for r in rows {
            let cells = columns.map { c -> String in
                guard let cell = s.cell(c.0, c.1, r.workload) else { return "–" }
                if cell["check_ok"]?.bool != true { return "failed" }
                return lmbenchStat(s, c.0, c.1, r.workload, per: r.per).map { time($0.median) } ?? "n/a"
            }
            line("| \(r.row) | " + cells.joined(separator: " | ") + " | \(xen2003UML[r.row].map(time) ?? "") |")
        }
        line("")
        guard s.baselines.contains(where: { $0.system == "uml" }) else {
            line("UML is not in this run (install Debian's user-mode-linux to add it).")
            line("")
            return
        }
        line("#### umlab against UML, row by row")
        line("")
        line("Ratios are umlab's median over UML's (below 1: umlab is faster), with the host context switches one operation")
        line("costs in each (getrusage of every host process the run reaped; for UML less the \(count(s.root["study"]?["uml_boot_host_cs"]?["median"]?.double ?? 0)) switches of a boot")
        line("that runs nothing) and umlab's ptrace stops, which is where the")
        line("difference comes from: each guest system call umlab serves is a ptrace (or seccomp) round trip between two host")
        line("processes, while UML 6.1's SKAS0 also stops its guests with ptrace but handles page faults, fork and exec inside")
        line("its own kernel with its own page tables.")
        line("")
        line("| operation | " + s.modes("x86_64").map { "x86_64 \($0) / UML" }.joined(separator: " | ") + " | host switches: UML | host switches: umlab skas | ptrace stops: umlab skas |")
        line("|---|" + String(repeating: "---:|", count: s.modes("x86_64").count + 3))
        for r in rows {
            let u = lmbenchStat(s, "uml", "", r.workload, per: r.per)
            let ratios = s.modes("x86_64").map { md -> String in
                let (ratio, verdict) = compare(lmbenchStat(s, "x86_64", md, r.workload, per: r.per), u)
                guard let ratio else { return "–" }
                return times(ratio) + (verdict == .faster ? " (faster)" : verdict == .slower ? " (slower)" : "")
            }
            // UML's count less that of a boot that runs nothing (measured before the study).
            let boot = s.root["study"]?["uml_boot_host_cs"]?["median"]?.double ?? 0
            let n = Double(s.iterations(r.workload))
            let ucs = s.stat("uml", "", r.workload, "host_cs_per_iter").map { count(max(0, $0.median * n - boot) / n / r.per) } ?? "–"
            let mcs = s.stat("x86_64", "skas", r.workload, "host_cs_per_iter").map { count($0.median / r.per) } ?? "–"
            let stops = s.stat("x86_64", "skas", r.workload, "ptrace_stops_per_iter").map { count($0.median / r.per) } ?? "–"
            line("| \(r.row) | " + ratios.joined(separator: " | ") + " | \(ucs) | \(mcs) | \(stops) |")
        }
        line("")
        // Why, row by row, from the switch counts: where umlab needs fewer host context switches
        // the host kernel does work UML's kernel does with stops of its own; where the counts
        // are the same, the difference is what each stop costs.
        var fewer: [String] = [], sameSlower: [String] = [], sameFaster: [String] = []
        for r in rows {
            let boot = s.root["study"]?["uml_boot_host_cs"]?["median"]?.double ?? 0
            let n = Double(s.iterations(r.workload))
            guard let u = s.stat("uml", "", r.workload, "host_cs_per_iter").map({ max(0, $0.median * n - boot) / n }),
                  let m = s.stat("x86_64", "skas", r.workload, "host_cs_per_iter")?.median, u > 0 else { continue }
            let (ratio, verdict) = compare(lmbenchStat(s, "x86_64", "skas", r.workload, per: r.per), lmbenchStat(s, "uml", "", r.workload, per: r.per))
            guard let ratio else { continue }
            if m < 0.8 * u { fewer.append("\(r.row) (\(count(m / r.per)) against \(count(u / r.per)))") }
            else if abs(m - u) <= 0.1 * u {
                if verdict == .slower { sameSlower.append("\(r.row) \(times(ratio))") }
                else if verdict == .faster { sameFaster.append("\(r.row) \(times(ratio))") }
            }
        }
        if !fewer.isEmpty {
            line("- Fewer host context switches in umlab: \(fewer.joined(separator: ", ")). umlab's x86-64 guests run in host")
            line("  processes with their own host page tables: a guest page fault is a host page fault and a fork is a host fork,")
            line("  which umlab's SKAS mode never sees; UML 6.1 takes a stop for each fault of its guests and maps their pages itself.")
        }
        if !sameFaster.isEmpty || !sameSlower.isEmpty {
            line("- The same host context switches per operation in both (one ptrace round trip per guest system call):")
            if !sameFaster.isEmpty { line("  umlab is faster on \(sameFaster.joined(separator: ", ")): its work between the stops costs less than UML's kernel's.") }
            if !sameSlower.isEmpty {
                line("  umlab is slower on \(sameSlower.joined(separator: ", ")): the difference is the work per stop. umlab reaches a")
                line("  guest's memory and registers only through host calls (process_vm_readv/writev, ptrace register requests; a")
                line("  signal frame is written and read back that way), where UML's kernel maps its guests' memory in its own")
                line("  address space.")
            }
        }
        line("")
    }

    /// One sentence: on how many lmbench rows umlab skas is at or below UML.
    static func umlVerdict(_ s: Study) -> String? {
        guard s.baselines.contains(where: { $0.system == "uml" }), s.modes("x86_64").contains("skas") else { return nil }
        var faster: [String] = [], same: [String] = [], slower: [String] = []
        for r in lmbenchRows where s.workloads.contains(r.workload) {
            let (ratio, verdict) = compare(lmbenchStat(s, "x86_64", "skas", r.workload, per: r.per), lmbenchStat(s, "uml", "", r.workload, per: r.per))
            guard let ratio else { continue }
            let t = "\(r.row) \(times(ratio))"
            switch verdict { case .faster: faster.append(t); case .slower: slower.append(t); default: same.append(t) }
        }
        if faster.isEmpty && same.isEmpty && slower.isEmpty { return nil }
        var parts: [String] = []
        if !faster.isEmpty { parts.append("umlab x86_64 skas is faster on \(faster.joined(separator: ", "))") }
        if !same.isEmpty { parts.append("no noticeable difference on \(same.joined(separator: ", "))") }
        if !slower.isEmpty { parts.append("slower on \(slower.joined(separator: ", "))") }
        return parts.joined(separator: "; ") + " (umlab / UML per operation; see the lmbench table)."
    }

    // MARK: writing everything

    static func writeAll(_ results: JSON, to dir: String, writeResults: Bool, resultsText: String? = nil) throws {
        let study = Study(results)
        Bench.makeDirectories(dir)
        if writeResults, let resultsText { try HostFD.writeFile(dir + "/results.json", Array(resultsText.utf8)) }
        // Charts from an earlier run that this one does not draw again must not linger.
        if let d = try? HostFD.open(dir, flags: HostOpen.directory) {
            let old = ((try? d.directoryEntries()) ?? []).map(\.name).filter { $0.hasSuffix(".svg") }
            d.close()
            if !old.isEmpty { _ = try? Subprocess.run(["rm", "-f"] + old.map { dir + "/" + $0 }) }
        }
        try HostFD.writeFile(dir + "/results.csv", Array(csv(study).utf8))
        let charts = charts(study)
        for (name, _, chart) in charts { try HostFD.writeFile(dir + "/" + name, Array(chart.svg().utf8)) }
        try HostFD.writeFile(dir + "/README.md", Array(paper(study, charts: charts.map { ($0.0, $0.1) }).utf8))
    }

    // MARK: CSV

    static let csvMetrics = ["loop_ns_per_iter", "ns_per_syscall", "syscalls_per_iter", "host_cs_per_syscall", "host_cs_per_iter",
                             "ptrace_stops_per_syscall", "instructions_per_iter", "tlb_misses_per_iter", "tlb_flushes_per_iter", "mips", "wall_s"]

    static func csv(_ s: Study) -> String {
        func field(_ t: String) -> String { t.contains(",") || t.contains("\"") ? "\"" + t.replacingAll("\"", "\"\"") + "\"" : t }
        var header = ["kind", "system", "mode", "workload", "iterations", "runs", "check_ok"]
        for m in csvMetrics { header += ["\(m)_median", "\(m)_min", "\(m)_max"] }
        var out = header.joined(separator: ",") + "\n"
        for c in s.cells {
            var row = [c["kind"]?.string ?? "", c["system"]?.string ?? "", c["mode"]?.string ?? "", c["workload"]?.string ?? "",
                       String(c["iterations"]?.int ?? 0), String(c["runs"]?.array.count ?? 0), c["check_ok"]?.bool == true ? "true" : "false"]
            for m in csvMetrics {
                if let st = s.stat(c, m) { row += [st.median, st.min, st.max].map(JSON.numberText) } else { row += ["", "", ""] }
            }
            out += row.map(field).joined(separator: ",") + "\n"
        }
        return out
    }

    // MARK: charts

    static func bar(_ series: String, _ st: Stat?) -> BarChart.Bar {
        BarChart.Bar(series: series, value: st?.median, low: st?.q1, high: st?.q3)
    }

    static func charts(_ s: Study) -> [(String, String, BarChart)] {
        var out: [(String, String, BarChart)] = []
        let systems = s.umlabSystems
        // 1. One getppid, every system.
        if s.workloads.contains("syscall") {
            var groups: [BarChart.Group] = s.backends.compactMap { b in
                let modes = s.modes(b.name)
                return modes.isEmpty ? nil : BarChart.Group(label: b.name, bars: modes.map { bar($0, s.stat(b.name, $0, "syscall", "loop_ns_per_iter")) })
            }
            let base = s.baselines.filter { s.cell($0.system, $0.mode, "syscall") != nil }
            if !base.isEmpty {
                groups.append(BarChart.Group(label: "baselines", bars: base.map { bar(label($0.system, $0.mode), s.stat($0.system, $0.mode, "syscall", "loop_ns_per_iter")) }))
            }
            out.append(("syscall-ns.svg", "Time per guest getppid (syscall workload): median, error bars from the first to the third quartile of the repetitions",
                        BarChart(title: "One system call (getppid): time per call", yLabel: "ns per call", groups: groups,
                                 seriesOrder: ["skas", "tt", "seccomp"])))
        }
        // 2–3. x86_64: host context switches and ptrace stops per guest system call, per workload.
        let x86Modes = s.modes("x86_64")
        if !x86Modes.isEmpty {
            for (file, metric, title, axis, caption) in [
                ("context-switches.svg", "host_cs_per_syscall", "x86_64: host context switches per guest system call", "switches per syscall",
                 "Host context switches (getrusage, voluntary + involuntary, umlab and its guest processes) per guest system call, x86_64"),
                ("ptrace-stops.svg", "ptrace_stops_per_syscall", "x86_64: ptrace stops per guest system call", "stops per syscall",
                 "ptrace stops umlab waited for per guest system call, x86_64"),
            ] {
                let groups = s.workloads.map { w in BarChart.Group(label: w, bars: x86Modes.map { bar($0, s.stat("x86_64", $0, w, metric)) }) }
                out.append((file, caption, BarChart(title: title, yLabel: axis, groups: groups, seriesOrder: ["skas", "tt", "seccomp"])))
            }
        }
        // 4. Other modes relative to SKAS, per backend and workload.
        let compared = systems.filter { $0.mode != "skas" && s.modes($0.backend).contains("skas") }
        if !compared.isEmpty {
            let groups = s.workloads.map { w in
                BarChart.Group(label: w, bars: compared.map { sys -> BarChart.Bar in
                    let a = s.stat(sys.backend, sys.mode, w, "loop_ns_per_iter"), b = s.stat(sys.backend, "skas", w, "loop_ns_per_iter")
                    let r = compare(a, b).ratio, range = ratioRange(a, b)
                    return BarChart.Bar(series: "\(sys.backend) \(sys.mode)", value: r, low: range?.0, high: range?.1)
                })
            }
            out.append(("relative-to-skas.svg", "Time per iteration relative to SKAS on the same backend (above 1: slower than SKAS); error bars from the quartiles of both",
                        BarChart(title: "Time per iteration relative to SKAS (same backend)", yLabel: "× SKAS", groups: groups, logScale: true,
                                 baseline: 1, reference: (1, "1× = SKAS"))))
        }
        // 5. Time per iteration of every workload on every system.
        var series: [(system: String, mode: String)] = []
        if s.baselines.contains(where: { $0.system == "native" }) { series.append(("native", "")) }
        series += systems.map { ($0.backend, $0.mode) }
        if s.baselines.contains(where: { $0.system == "qemu-ppc" }) { series.append(("qemu-ppc", "")) }
        let perIter = s.workloads.map { w in
            BarChart.Group(label: w, bars: series.map { bar(label($0.system, $0.mode), s.stat($0.system, $0.mode, w, "loop_ns_per_iter")) })
        }
        out.append(("time-per-iteration.svg", "Time per iteration of every workload, every system (log scale)",
                    BarChart(title: "Time per iteration", yLabel: "ns per iteration", groups: perIter, logScale: true)))
        // 6–7. Interpreters: TLB misses and flushes per iteration.
        let interpreters = systems.filter { sys in s.cells.contains { c in c["system"]?.string == sys.backend && c["summary"]?["tlb_misses_per_iter"] != nil } }
        if !interpreters.isEmpty {
            for (file, metric, title, axis, log, caption) in [
                ("tlb-misses.svg", "tlb_misses_per_iter", "Interpreters: software TLB misses per iteration", "misses per iteration", true,
                 "Software-TLB misses per iteration on the interpreting backends (log scale)"),
                ("tlb-flushes.svg", "tlb_flushes_per_iter", "Interpreters: TLB flushes on address-space switches per iteration", "flushes per iteration", false,
                 "TLB flushes on switches of address space per iteration on the interpreting backends"),
            ] {
                let groups = s.workloads.map { w in BarChart.Group(label: w, bars: interpreters.map { bar("\($0.backend) \($0.mode)", s.stat($0.backend, $0.mode, w, metric)) }) }
                out.append((file, caption, BarChart(title: title, yLabel: axis, groups: groups, logScale: log)))
            }
        }
        return out
    }

    // MARK: the paper

    static func paper(_ s: Study, charts: [(String, String)]) -> String {
        let m = s.machine
        var p = ""
        func line(_ t: String = "") { p += t + "\n" }
        func chart(_ file: String) {
            guard let c = charts.first(where: { $0.0 == file }) else { return }
            line("![\(c.1)](\(file))")
            line()
            line("*\(c.1).*")
            line()
        }
        func cellText(_ st: Stat?) -> String {
            guard let st else { return "n/a" }
            return time(st.median) + " ±" + percent(st.spread)
        }
        let systems = s.umlabSystems
        let x86 = s.modes("x86_64")
        let interpreterBackends = s.backends.map(\.name).filter { b in
            s.cells.contains { $0["system"]?.string == b && $0["summary"]?["instructions_per_iter"] != nil }
        }

        line("# TT versus SKAS, measured")
        line()
        let command = s.root["command"]?.string ?? "umlab bench"
        line("This directory is written by " + (command == "umlab bench" ? "`make paper` (that is, `umlab bench` with its defaults)" : "`\(command)`")
             + "; every figure below")
        line("is read from [results.json](results.json) of the same run (per-cell summaries also in [results.csv](results.csv)).")
        line("Run on \(m["date"]?.string ?? "?") at umlab commit \(m["umlab_commit"]?.string ?? "?"); the whole study took")
        line("\(Bench.duration(s.root["study"]?["wall_seconds"]?.double ?? 0)) of wall time\(s.root["study"]?["quick"]?.bool == true ? " (**quick sizes**: a smoke test, not a measurement)" : "").")
        line()

        // ---- summary
        line("## Summary")
        line()
        for b in s.backends.map(\.name) {
            let modes = s.modes(b)
            guard modes.contains("skas"), let sk = s.stat(b, "skas", "syscall", "loop_ns_per_iter") else { continue }
            var parts: [String] = []
            for md in modes where md != "skas" {
                guard let o = s.stat(b, md, "syscall", "loop_ns_per_iter") else { continue }
                var t = "\(md == "tt" ? "TT" : md) \(time(o.median)) (\(times(o.median / sk.median)) SKAS)"
                if b == "x86_64", let c = s.stat(b, md, "syscall", "host_cs_per_syscall"), let st = s.stat(b, md, "syscall", "ptrace_stops_per_syscall") {
                    t += " with \(count(st.median)) ptrace stops and \(count(c.median)) host context switches"
                }
                parts.append(t)
            }
            var head = "- **\(b)**: a guest getppid takes \(time(sk.median)) in SKAS"
            if b == "x86_64", let c = s.stat(b, "skas", "syscall", "host_cs_per_syscall"), let st = s.stat(b, "skas", "syscall", "ptrace_stops_per_syscall") {
                head += " (\(count(st.median)) ptrace stops, \(count(c.median)) host context switches per call)"
            }
            line(head + (parts.isEmpty ? "." : "; " + parts.joined(separator: "; ") + "."))
        }
        let claim1 = contextSwitchClaim(s)
        if let v = claim1.short { line("- Four versus two host context switches per system call: \(v)") }
        for b in s.backends.map(\.name) where s.modes(b).contains("skas") && s.modes(b).contains("tt") {
            line("- SKAS's speedup over TT on \(b): \(speedupSummary(s, backend: b).short)")
        }
        if x86.contains("seccomp") { line("- seccomp: \(seccompFindings(s).short ?? "n/a")") }
        if let v = umlVerdict(s) { line("- Against Linux's own UML 6.1: \(v)") }
        line()

        // ---- method
        line("## Method")
        line()
        line("**Workloads.** One C program, `Benchmarks/study/study.c`, built with `gcc -static -O2` for x86_64 and with")
        line("`powerpc-linux-gnu-gcc -static -O2` for ppc, and its IA-64 assembly twin `Benchmarks/study/study-ia64.s` (linked with")
        line("`arch/ia64/workloads/lib.s`). `study WORKLOAD N` runs N iterations and prints two lines: `check WORKLOAD N VALUE`,")
        line("where VALUE counts the iterations that behaved (the CRC for compute), and `loop_ns`, the program's own")
        line("CLOCK_MONOTONIC time from before the workload's first system call to after its last. A run counts only if its exit")
        line("status is 0 and its check line is exactly the one expected; otherwise the cell says so.")
        line()
        line("| workload | one iteration | iterations | guest syscalls per iteration (\(s.backends.map(\.name).joined(separator: " / ")), SKAS) |")
        line("|---|---|---:|---|")
        for w in s.workloads {
            let per = s.backends.map { b in s.stat(b.name, "skas", w, "syscalls_per_iter").map { count($0.median) } ?? "–" }.joined(separator: " / ")
            line("| \(w) | \(s.iterationText(w)) | \(grouped(s.iterations(w))) | \(per) |")
        }
        line()
        line("**Systems.** Every umlab backend in every isolation mode it reports (\(s.backends.map { "\($0.name): \($0.modes.joined(separator: ", "))" }.joined(separator: "; "))),")
        line("each run as `umlab run --backend B --mode M --root JAIL --stats-json F -- /study.B WORKLOAD N`, where JAIL holds")
        line("only the three study binaries (and, for forksh, a static busybox) and the guest's /tmp is umlab's tmpfs. Baselines in the same run:")
        for b in s.baselines {
            switch b.system {
            case "native": line("- native x86_64: the same x86_64 binary without an emulator\(s.root["study"]?["native_pinned_cpu0"]?.bool == true ? ", pinned to CPU 0 with taskset (umlab's x86_64 backend pins itself and its guests to one CPU too)" : ""); its scratch files (file, create) go to /dev/shm, a tmpfs like the guests' /tmp;")
            case "bare-sysemu": line("- the bare PTRACE_SYSEMU tracer (`Benchmarks/x86_64/bare_sysemu.c`) running the x86_64 syscall workload: it answers each getppid itself and does nothing else, so it is the floor for a SYSEMU-based kernel;")
            case "bare-seccomp": line("- `Benchmarks/x86_64/bare_seccomp.c \(b.mode) N`: the bare \(b.mode == "notif" ? "SECCOMP_RET_USER_NOTIF round trip (the guest blocks, a supervisor receives and answers)" : "SIGSYS hand-off (a handler in the guest passes the call through shared memory and a futex)") on getppid, the floor for a seccomp-based kernel\(s.cell(b.system, b.mode, "syscall")?["unavailable"]?.string.map { " — not available in this run: \($0)" } ?? "");")
            case "qemu-ppc": line("- qemu-ppc, QEMU's user-mode emulator (a JIT), running the ppc binary on the host's /tmp.")
            case "uml": line("- Linux's own User-mode Linux, Debian's user-mode-linux (UML 6.1, SKAS0: guests are host processes under ptrace, address-space changes made by a stub), booted for each run by `Benchmarks/uml/run.sh`\(s.root["study"]?["native_pinned_cpu0"]?.bool == true ? ", pinned to CPU 0 with taskset like the native runs," : "") with the host's / as a read-only hostfs root, scratch files in a tmpfs on /dev/shm and 256 MiB of memory, running the same x86_64 binary; with the two workarounds this machine needs (`Benchmarks/uml/README.md`): its PTRACE_GETREGSET/SETREGSET of NT_X86_XSTATE fail with EIO (an LD_PRELOAD shim), and glibc's AVX functions are off in the guest. The program's own clock times the loop, so the boot is not counted;")
            default: line("- \(label(b.system, b.mode)).")
            }
        }
        line()
        line("**Procedure.** \(s.reps) repetition\(s.reps == 1 ? "" : "s") of every cell (system × workload), ordered repetition by")
        line("repetition so that drift of the machine spreads over all cells; one run at a time. Tables give the median and,")
        line("after ±, half the interquartile range in percent of the median; charts draw the interquartile range as error")
        line("bars. The quartiles are robust to one disturbed repetition in five on a shared machine; minima and maxima are")
        line("in results.json and results.csv.")
        line()
        line("**Quantities.** Per run: the loop time above; umlab's `--stats-json` counters (guest system calls, ptrace")
        line("stops, guest instructions, software-TLB misses and flushes, guest context switches); and the difference in")
        line("`getrusage(RUSAGE_CHILDREN)` of the bench process around the run — the voluntary and involuntary context switches")
        line("of umlab and of every guest host process it reaped (on x86_64 every guest process is a host process; the")
        line("interpreters run everything inside umlab). *Per guest system call* means divided by umlab's count of guest")
        line("system calls in the whole run (start-up included; a few dozen calls against thousands). For the baselines,")
        line("which have no such count, context switches are given per iteration; in the syscall workload one iteration is")
        line("one getppid.")
        line()
        line("**Judging.** Two medians differ *noticeably* when one is at least \(times(noticeable)) the other and their")
        line("interquartile ranges do not overlap. A measured context-switch count *agrees* with a historical one when it is within")
        line("\(percent(countTolerance)) of it. A price per context switch fitted from two modes agrees with the bare tracer's when")
        line("it exceeds the bare tracer's time per switch (an upper bound) by no more than \(percent(modelTolerance)).")
        line()

        // ---- machine
        line("## Machine")
        line()
        line("| | |")
        line("|---|---|")
        line("| CPU | \(m["cpu"]?.string ?? "?")\(m["hypervisor"]?.bool == true ? " (a virtual machine: the CPU reports the hypervisor flag)" : "") |")
        line("| logical CPUs | \(m["logical_cpus"]?.int ?? 0) |")
        if let mem = m["memory_gib"]?.double { line("| memory | \(f(mem, 1)) GiB |") }
        line("| kernel | Linux \(m["kernel"]?.string ?? "?") |")
        line("| date (UTC) | \(m["date"]?.string ?? "?") |")
        line("| umlab | commit \(m["umlab_commit"]?.string ?? "?"), release build |")
        line("| compilers | gcc \(m["gcc"]?.string ?? "?"), powerpc-linux-gnu-gcc \(m["powerpc_gcc"]?.string ?? "?"), \(m["ia64_as"]?.string ?? "?") |")
        if let q = m["qemu_ppc"]?.string, q != "n/a" { line("| qemu | \(q) |") }
        if let u = m["uml"]?.string, u != "n/a" { line("| UML | \(u) |") }
        line("| command | `\(s.root["command"]?.string ?? "umlab bench")` |")
        line()

        // ---- results: one system call
        line("## Results")
        line()
        if s.workloads.contains("syscall") {
            line("### One system call")
            line()
            line("The syscall workload: N getppid calls in a loop; time per call from the program's own clock.")
            line()
            line("| system | ns per getppid | ± | host context switches per call | ptrace stops per call | vs SKAS |")
            line("|---|---:|---:|---:|---:|---:|")
            for sys in systems {
                let st = s.stat(sys.backend, sys.mode, "syscall", "loop_ns_per_iter")
                let cs = s.stat(sys.backend, sys.mode, "syscall", "host_cs_per_syscall")
                let stops = s.stat(sys.backend, sys.mode, "syscall", "ptrace_stops_per_syscall")
                let sk = s.stat(sys.backend, "skas", "syscall", "loop_ns_per_iter")
                let vs = sys.mode == "skas" ? "1" : compare(st, sk).ratio.map(times) ?? "–"
                line("| \(sys.backend) \(sys.mode) | \(st.map { grouped(Int($0.median.rounded())) } ?? "n/a") | \(st.map { percent($0.spread) } ?? "") | \(cs.map { f($0.median, 3) } ?? "–") | \(stops.map { f($0.median, 3) } ?? "–") | \(vs) |")
            }
            for b in s.baselines {
                guard let c = s.cell(b.system, b.mode, "syscall") else { continue }
                let st = s.stat(c, "loop_ns_per_iter"), cs = s.stat(c, "host_cs_per_iter")
                let why = c["unavailable"]?.string != nil ? "n/a (not available)" : c["check_ok"]?.bool == true ? nil : "n/a (check failed)"
                line("| \(label(b.system, b.mode)) | \(why ?? st.map { grouped(Int($0.median.rounded())) } ?? "n/a") | \(st.map { percent($0.spread) } ?? "") | \(cs.map { f($0.median, 3) + " (per iteration)" } ?? "–") | – | – |")
            }
            line()
            chart("syscall-ns.svg")
        }

        // ---- results: the lmbench-style table, with UML
        if s.workloads.contains(where: { w in lmbenchRows.contains { $0.workload == w } }) {
            lmbenchSection(s, line: line)
        }

        // ---- results: context switches on x86_64
        if !x86.isEmpty {
            line("### Host context switches and ptrace stops on x86_64, by workload")
            line()
            line("| workload | guest syscalls per iteration | " + x86.map { "\($0) switches / syscall" }.joined(separator: " | ") + " | " + x86.map { "\($0) stops / syscall" }.joined(separator: " | ") + " |")
            line("|---|---:|" + String(repeating: "---:|", count: 2 * x86.count))
            for w in s.workloads {
                let per = s.stat("x86_64", x86[0], w, "syscalls_per_iter").map { count($0.median) } ?? "–"
                let cs = x86.map { md in s.stat("x86_64", md, w, "host_cs_per_syscall").map { f($0.median, 2) } ?? "–" }
                let st = x86.map { md in s.stat("x86_64", md, w, "ptrace_stops_per_syscall").map { f($0.median, 2) } ?? "–" }
                line("| \(w) | \(per) | " + (cs + st).joined(separator: " | ") + " |")
            }
            line()
            line("Calls that change a guest's address space (mmap, munmap, fork, execve) cost extra stops in both modes: umlab")
            line("carries those changes out by running the call in the guest's host process from a stub page, one injected call")
            line("per stop.")
            let quiet = s.workloads.filter { w in (s.stat("x86_64", x86[0], w, "syscalls_per_iter")?.median ?? 1) < 0.1 }
            if !quiet.isEmpty {
                line("\(quiet.joined(separator: ", ")) makes fewer than 0.1 guest system calls per iteration, so its per-call figures describe")
                line("the program's start-up and exit rather than its loop.")
            }
            line()
            chart("context-switches.svg")
            chart("ptrace-stops.svg")
        }

        // ---- results: all workloads
        line("### Every workload")
        line()
        var columns: [(String, String)] = []
        if s.baselines.contains(where: { $0.system == "native" }) { columns.append(("native", "")) }
        if s.baselines.contains(where: { $0.system == "uml" }) { columns.append(("uml", "")) }
        columns += systems.map { ($0.backend, $0.mode) }
        if s.baselines.contains(where: { $0.system == "qemu-ppc" }) { columns.append(("qemu-ppc", "")) }
        line("Time per iteration (median ± spread):")
        line()
        line("| workload | " + columns.map { label($0.0, $0.1) }.joined(separator: " | ") + " |")
        line("|---|" + String(repeating: "---:|", count: columns.count))
        for w in s.workloads {
            let cells = columns.map { col -> String in
                guard let c = s.cell(col.0, col.1, w) else { return "–" }
                if c["check_ok"]?.bool != true { return c["unavailable"] != nil ? "n/a" : "check failed" }
                return cellText(s.stat(c, "loop_ns_per_iter"))
            }
            line("| \(w) | " + cells.joined(separator: " | ") + " |")
        }
        line()
        let failedBaselines = s.cells.filter { $0["kind"]?.string == "baseline" && $0["check_ok"]?.bool != true && $0["unavailable"] == nil }
        if !failedBaselines.isEmpty {
            line("Baseline cells that failed their check (shown as such above): " + failedBaselines.map { c in
                "\(label(c["system"]?.string ?? "", c["mode"]?.string ?? "")) \(c["workload"]?.string ?? "") (\(c["runs"]?.array.first?["error"]?.string ?? "?"))"
            }.joined(separator: ", ") + ". qemu's user mode, for one, cannot execve a foreign-ISA program unless binfmt_misc is set up.")
            line()
        }
        chart("time-per-iteration.svg")
        line("Loop time per guest system call (the loop time divided by all guest system calls of the run; compute makes")
        line("almost none, so its figure mostly measures computation):")
        line()
        line("| workload | " + systems.map { "\($0.backend) \($0.mode)" }.joined(separator: " | ") + " |")
        line("|---|" + String(repeating: "---:|", count: systems.count))
        for w in s.workloads {
            line("| \(w) | " + systems.map { sys in cellText(s.stat(sys.backend, sys.mode, w, "ns_per_syscall")) }.joined(separator: " | ") + " |")
        }
        line()

        let compared = systems.filter { $0.mode != "skas" && s.modes($0.backend).contains("skas") }
        if !compared.isEmpty {
            line("Relative to SKAS on the same backend (time per iteration; **bold**: noticeably different):")
            line()
            line("| workload | " + compared.map { "\($0.backend) \($0.mode) / skas" }.joined(separator: " | ") + " |")
            line("|---|" + String(repeating: "---:|", count: compared.count))
            for w in s.workloads {
                let cols = compared.map { sys -> String in
                    let (r, v) = compare(s.stat(sys.backend, sys.mode, w, "loop_ns_per_iter"), s.stat(sys.backend, "skas", w, "loop_ns_per_iter"))
                    guard let r else { return "–" }
                    return v == .slower || v == .faster ? "**\(times(r))**" : times(r)
                }
                line("| \(w) | " + cols.joined(separator: " | ") + " |")
            }
            line()
            chart("relative-to-skas.svg")
        }

        // ---- results: interpreters
        if !interpreterBackends.isEmpty {
            line("### The interpreters: instructions and the software TLB")
            line()
            line("| workload | system | guest instructions per iteration | M instructions/s | TLB misses per iteration | TLB flushes per iteration | guest process switches per iteration |")
            line("|---|---|---:|---:|---:|---:|---:|")
            for w in s.workloads {
                for b in interpreterBackends {
                    for md in s.modes(b) {
                        let c = s.cell(b, md, w)
                        func v(_ k: String, _ digits: Int) -> String { s.stat(c, k).map { $0.median >= 1000 ? grouped(Int($0.median.rounded())) : f($0.median, digits) } ?? "–" }
                        line("| \(w) | \(b) \(md) | \(v("instructions_per_iter", 1)) | \(v("mips", 0)) | \(v("tlb_misses_per_iter", 2)) | \(v("tlb_flushes_per_iter", 2)) | \(v("guest_cs_per_iter", 2)) |")
                    }
                }
            }
            line()
            line("M instructions/s divides a run's guest instructions by umlab's wall time for the whole run, start-up included.")
            line("TLB flushes are those umlab counts when the CPU switches address spaces.")
            line()
            chart("tlb-misses.svg")
            chart("tlb-flushes.svg")
        }

        // ---- the claims
        line("## The historical claims")
        line()
        line("UML's papers describe TT mode as costing four host context switches per system call — the process stops, the")
        line("tracing thread runs, and the same again on the way back — against two for SKAS, and report that SKAS brought a")
        line("noticeable speedup. umlab models both modes on the same kernel; what follows compares its measurements with")
        line("those statements. It cannot test what umlab does not model: UML's TT also ran the kernel inside each process's")
        line("address space and relied on signals, and SKAS removed costs of that design that umlab never had.")
        line()
        line("### Four against two context switches per system call")
        line()
        for para in claim1.paragraphs { line(para); line() }
        line("### SKAS's noticeable speedup")
        line()
        line("A backend's outcome below applies the rule of the method section to every workload: SKAS is *noticeably faster*")
        line("when TT's median time per iteration is at least \(times(noticeable)) SKAS's and their interquartile ranges do not overlap; the claim")
        line("*holds* on a backend when SKAS is noticeably faster on the syscall workload and TT is noticeably faster on none,")
        line("*holds in part* when SKAS is noticeably faster somewhere, and *does not hold* otherwise.")
        line()
        for b in s.backends.map(\.name) where s.modes(b).contains("skas") && s.modes(b).contains("tt") {
            let sp = speedupSummary(s, backend: b)
            line("- **\(b)**: \(sp.long)")
        }
        line()
        for para in tlbFindings(s, interpreterBackends) { line(para); line() }
        if x86.contains("seccomp") {
            line("### seccomp mode")
            line()
            for para in seccompFindings(s).paragraphs { line(para); line() }
        }

        // ---- limitations
        line("## Limits of this measurement")
        line()
        line("- One machine, one run of the study\(m["hypervisor"]?.bool == true ? ", inside a virtual machine, where a host context switch may cost more (or less) than on bare metal and neighbours add noise" : "").")
        if let before = s.root["study"]?["load_average_before"]?.double, let after = s.root["study"]?["load_average_after"]?.double {
            let cpus = Double(m["logical_cpus"]?.int ?? 1)
            let busy = before > cpus / 2
            line("- The host's one-minute load average was \(f(before, 2)) when the study started (\(f(after, 2)) at its end, the study's own runs")
            line("  included), on \(Int(cpus)) logical CPUs\(busy ? ": other work was running when the study started, which widens the spread" : "").")
        }
        let spreads = s.cells.filter { $0["kind"]?.string == "umlab" }.compactMap { c -> (String, Double)? in
            s.stat(c, "loop_ns_per_iter").map { ("\(c["label"]?.string ?? "") \(c["workload"]?.string ?? "")", $0.spread) }
        }
        if let worst = spreads.max(by: { $0.1 < $1.1 }) {
            let tight = spreads.filter { $0.1 <= 0.05 }.count
            line("- \(s.reps) repetition\(s.reps == 1 ? "" : "s") per cell. \(tight) of \(spreads.count) umlab cells stay within ±5% of their median; the widest is \(worst.0) at ±\(percent(worst.1)).")
        }
        line("- Loop times include what a workload does around its loop's calls (the pipe workload's fork and wait, for one);")
        line("  per-system-call figures divide whole-run counts, start-up included, by whole-run call counts.")
        line("- Context switches come from getrusage and include umlab's own start-up and exit; the interpreters' counters")
        line("  cover the whole run too.")
        line("- umlab is not UML: the TT/SKAS differences measured here are those umlab builds in (x86_64: the second ptrace")
        line("  stop per call; the interpreters: TLB flushes on a process switch and the kernel region in every guest).")
        line()
        line("## Reproducing")
        line()
        line("```")
        line("make paper                                   # release build, then umlab bench with the defaults")
        line(".build/release/umlab bench --reps 3 --workload syscall --backend x86_64 --out /tmp/study   # a subset")
        line(".build/release/umlab bench --render papers/tt-vs-skas/results.json   # redraw tables, charts and this page")
        line("```")
        line()
        line("Files: results.json (every run's record and each cell's summary), results.csv (one row per cell), " + charts.map { $0.0 }.joined(separator: ", ") + ".")
        return p
    }

    // MARK: the claims, worded from the numbers

    struct Finding { var short: String?; var paragraphs: [String] }

    /// "TT: four host context switches per system call, SKAS: two" against x86_64's counts.
    static func contextSwitchClaim(_ s: Study) -> Finding {
        guard let sk = s.stat("x86_64", "skas", "syscall", "host_cs_per_syscall"), let tt = s.stat("x86_64", "tt", "syscall", "host_cs_per_syscall") else {
            return Finding(short: nil, paragraphs: ["Not measured in this run (it needs the syscall workload on x86_64 in both skas and tt)."])
        }
        func near(_ v: Double, _ target: Double) -> Bool { abs(v - target) <= countTolerance * target }
        let skOK = near(sk.median, 2), ttOK = near(tt.median, 4)
        let stopsSK = s.stat("x86_64", "skas", "syscall", "ptrace_stops_per_syscall"), stopsTT = s.stat("x86_64", "tt", "syscall", "ptrace_stops_per_syscall")
        let volSK = s.stat("x86_64", "skas", "syscall", "host_voluntary_cs_per_syscall"), volTT = s.stat("x86_64", "tt", "syscall", "host_voluntary_cs_per_syscall")
        var paras: [String] = []
        let verdict: String
        switch (skOK, ttOK) {
        case (true, true): verdict = "**agrees**"
        case (false, false): verdict = "**disagrees** for both modes"
        case (true, false): verdict = "**agrees for SKAS but not for TT**"
        case (false, true): verdict = "**agrees for TT but not for SKAS**"
        }
        var p = "On x86_64 a guest getppid costs \(f(sk.median, 2)) host context switches in SKAS and \(f(tt.median, 2)) in TT (medians;"
        p += " extremes over the repetitions \(f(sk.min, 2))–\(f(sk.max, 2)) and \(f(tt.min, 2))–\(f(tt.max, 2)))"
        if let vs = volSK, let vt = volTT { p += ", of which voluntary \(f(vs.median, 2)) and \(f(vt.median, 2))" }
        p += ". The measurement \(verdict) with the historical two and four."
        if let a = stopsSK, let b = stopsTT {
            p += " The counts follow from the ptrace stops umlab waits for — \(f(a.median, 2)) per call in SKAS (PTRACE_SYSEMU) and \(f(b.median, 2)) in TT"
            p += " (PTRACE_SYSCALL, an entry and an exit stop): each stop is one switch from the guest process to umlab and one back."
        }
        paras.append(p)
        if let ppc = s.stat("ppc", "skas", "syscall", "host_cs_per_syscall") ?? s.stat("ia64", "skas", "syscall", "host_cs_per_syscall") {
            paras.append("The interpreting backends make \(ppc.median < 0.05 ? "essentially no host context switch" : "\(f(ppc.median, 3)) host context switches") per guest system call (\(s.backends.map(\.name).filter { $0 != "x86_64" }.compactMap { b in s.stat(b, "skas", "syscall", "host_cs_per_syscall").map { "\(b) SKAS \(f($0.median, 4))" } }.joined(separator: ", "))): the guest and the kernel share one host thread, so the count is a property of ptrace-based designs, not of the two modes.")
        }
        // Why TT costs what it costs: price the extra switches.
        if let tSK = s.stat("x86_64", "skas", "syscall", "loop_ns_per_iter"), let tTT = s.stat("x86_64", "tt", "syscall", "loop_ns_per_iter"), tt.median > sk.median {
            let r = tTT.median / tSK.median, q = tt.median / sk.median
            let k = (tTT.median - tSK.median) / (tt.median - sk.median)
            let c0 = tSK.median - k * sk.median
            var e = "Time: TT takes \(time(tTT.median)) per call against SKAS's \(time(tSK.median)), \(times(r)). If a call cost nothing but its"
            e += " switches, the ratio would be the ratio of the counts, \(times(q)). Charging the whole difference to TT's"
            e += " \(f(tt.median - sk.median, 2)) extra switches prices one switch, with the share of ptrace-stop handling that goes with it, at \(time(k));"
            if c0 >= 0 {
                e += " SKAS's \(f(sk.median, 2)) switches then account for \(time(k * sk.median)) of its \(time(tSK.median)), and the remaining"
                e += " \(time(c0)) per call is work both modes do once per call (reading and writing the registers, umlab's system-call"
                e += " dispatch and handler), which dilutes the ratio from \(times(q)) to \(times(r))."
            } else {
                e += " that price would exceed SKAS's whole per-call time, so this simple model does not fit the data: TT's extra stop costs more than SKAS's switches do."
            }
            if let bare = s.stat("bare-sysemu", "", "syscall", "loop_ns_per_iter"), let bcs = s.stat("bare-sysemu", "", "syscall", "host_cs_per_iter"), bcs.median > 0 {
                // The bare tracer does little besides its round trip, so its time per switch bounds the price of a switch from above.
                let kb = bare.median / bcs.median
                let consistent = c0 >= 0 && k <= kb * (1 + modelTolerance)
                e += " The bare SYSEMU tracer, which does nothing but the round trip, takes \(time(bare.median)) per call with"
                e += " \(f(bcs.median, 2)) switches: at most \(time(kb)) per switch, since everything it does is counted. The fitted price is"
                e += " \(percent(k / kb)) of that bound, "
                e += consistent ? "so the model is consistent: the context-switch counts explain the ratio, diluted by the per-call work."
                    + (c0 >= 0 && bare.median > bcs.median * k ? " At the fitted price, the bare tracer's own work per call (its register reads and writes and its waits) comes to \(time(bare.median - bcs.median * k)), against umlab's \(time(c0))." : "")
                    : "more than \(percent(modelTolerance)) above it, so the model is not consistent with the bare tracer: the switch counts alone do not explain the ratio."
            }
            paras.append(e)
        }
        return Finding(short: "\(verdict) on x86_64 (\(f(sk.median, 2)) in SKAS, \(f(tt.median, 2)) in TT).", paragraphs: paras)
    }

    /// The "noticeable speedup" on one backend: every workload's TT/SKAS ratio and verdict.
    static func speedupSummary(_ s: Study, backend b: String) -> (short: String, long: String) {
        var skasFaster: [String] = [], ttFaster: [String] = [], same: [String] = []
        var syscallVerdict = Verdict.unknown
        for w in s.workloads {
            let (r, v) = compare(s.stat(b, "tt", w, "loop_ns_per_iter"), s.stat(b, "skas", w, "loop_ns_per_iter"))
            guard let r else { continue }
            let item = "\(w) \(times(r))"
            switch v {
            case .slower: skasFaster.append(item)
            case .faster: ttFaster.append(item)
            default: same.append(item)
            }
            if w == "syscall" { syscallVerdict = v }
        }
        let total = skasFaster.count + ttFaster.count + same.count
        let outcome: String
        if syscallVerdict == .slower && ttFaster.isEmpty { outcome = "the claim **holds**" }
        else if !skasFaster.isEmpty { outcome = "the claim **holds in part**" }
        else { outcome = "the claim **does not hold**" }
        var long = "\(outcome): SKAS is noticeably faster on \(skasFaster.count) of \(total) workloads"
        if !skasFaster.isEmpty { long += " (TT/SKAS \(skasFaster.joined(separator: ", ")))" }
        if !ttFaster.isEmpty { long += ", TT is noticeably faster on \(ttFaster.joined(separator: ", "))" }
        if !same.isEmpty { long += ", no noticeable difference on \(same.joined(separator: ", "))" }
        long += "."
        let short = "\(outcome) (SKAS noticeably faster on \(skasFaster.count) of \(total) workloads\(ttFaster.isEmpty ? "" : ", TT on \(ttFaster.count)"))."
        return (short, long)
    }

    /// What separates the modes on the interpreters: TLB flushes, misses, and what the time did.
    static func tlbFindings(_ s: Study, _ interpreters: [String]) -> [String] {
        var out: [String] = []
        for b in interpreters where s.modes(b).contains("skas") && s.modes(b).contains("tt") {
            var switching: [String] = [], effects: [String] = [], moreMisses: [String] = []
            var flushesExplain = true
            for w in s.workloads {
                guard let fs = s.stat(b, "skas", w, "tlb_flushes_per_iter"), let ft = s.stat(b, "tt", w, "tlb_flushes_per_iter"),
                      let ms = s.stat(b, "skas", w, "tlb_misses_per_iter"), let mt = s.stat(b, "tt", w, "tlb_misses_per_iter") else { continue }
                let (r, v) = compare(s.stat(b, "tt", w, "loop_ns_per_iter"), s.stat(b, "skas", w, "loop_ns_per_iter"))
                if fs.median - ft.median >= 0.5 {
                    switching.append("\(w) (\(f(fs.median, 2)) flushes and \(count(ms.median)) misses per iteration in SKAS, \(f(ft.median, 2)) and \(count(mt.median)) in TT; TT/SKAS time \(r.map(times) ?? "–"))")
                }
                if v == .slower, let r {
                    var e = "\(w) (\(times(r)); TLB flushes per iteration \(f(fs.median, 2)) in SKAS and \(f(ft.median, 2)) in TT, misses \(count(ms.median)) and \(count(mt.median))"
                    if ft.median <= fs.median { flushesExplain = false }
                    if mt.median > 1.5 * ms.median + 1 { moreMisses.append(w) }
                    e += ")"
                    effects.append(e)
                }
            }
            var p = "On \(b), SKAS flushes the software TLB whenever the CPU switches guest processes and TT never does. "
            p += switching.isEmpty ? "No workload here switches processes often enough for that to show (less than half a flush per iteration of difference)."
                : "Where processes switch, that shows: " + switching.joined(separator: "; ") + "."
            if !effects.isEmpty {
                p += " TT is noticeably *slower* on " + effects.joined(separator: "; ") + "."
                if !flushesExplain {
                    p += " TT flushes no more often than SKAS there, so flushing on a process switch is not the cause."
                    p += " The other thing TT changes on an interpreter is that the kernel arena (credentials, pipe rings, the I/O bounce"
                    p += " buffer; a shared mapping of a memory file) is mapped into every guest"
                    p += moreMisses.isEmpty ? "." : ", and on \(moreMisses.joined(separator: ", ")) TT also takes more TLB misses per iteration."
                    if effects.contains(where: { $0.hasPrefix("file ") }) {
                        p += " For the file workload the mechanism is umlab's, not UML's: an open with O_TRUNC makes every guest address"
                        p += " space recheck its shared file mappings for pages past a file's new end, and in TT that includes the arena's"
                        p += " mapping, whose pages are rewritten and whose TLB is emptied on every truncating open (an emptying that the"
                        p += " flush counter, which counts address-space switches, does not see). It is a cost of umlab's software MMU"
                        p += " that UML's TT did not have."
                    }
                }
            }
            out.append(p)
        }
        return out
    }

    /// seccomp mode against SKAS and against the bare USER_NOTIF round trip.
    static func seccompFindings(_ s: Study) -> Finding {
        guard let sc = s.stat("x86_64", "seccomp", "syscall", "loop_ns_per_iter") else {
            return Finding(short: "not measured (no passing x86_64 seccomp syscall cell).", paragraphs: ["seccomp mode has no passing syscall cell in this run."])
        }
        var paras: [String] = []
        var short = "a getppid takes \(time(sc.median))"
        if let sk = s.stat("x86_64", "skas", "syscall", "loop_ns_per_iter") {
            let (r, v) = compare(sc, sk)
            let word = v == .faster ? "noticeably faster than" : v == .slower ? "noticeably slower than" : "not noticeably different from"
            short += ", \(times(r ?? 0)) SKAS (\(word) SKAS)"
            var p = "seccomp mode answers a guest getppid in \(time(sc.median)), \(times(r ?? 0)) SKAS's \(time(sk.median)): \(word) SKAS."
            if let cs = s.stat("x86_64", "seccomp", "syscall", "host_cs_per_syscall") { p += " It takes \(f(cs.median, 2)) host context switches per call." }
            if let st = s.stat("x86_64", "seccomp", "syscall", "ptrace_stops_per_syscall") { p += " ptrace stops per call: \(f(st.median, 3))." }
            paras.append(p)
        }
        if let n = s.stat("bare-seccomp", "notif", "syscall", "loop_ns_per_iter") {
            let r = sc.median / n.median
            short += "; \(times(r)) the bare USER_NOTIF round trip (\(time(n.median)))" + (r <= 1.2 ? ", within the 1.2× target" : ", above the 1.2× target")
            paras.append("The bare SECCOMP_RET_USER_NOTIF round trip measured in the same run takes \(time(n.median)); umlab's seccomp mode is \(times(r)) that, \(r <= 1.2 ? "within" : "outside") the target of 1.2×.")
        } else {
            short += "; the bare USER_NOTIF round trip is n/a in this run"
            paras.append("The bare USER_NOTIF round trip is not available in this run (\(s.cell("bare-seccomp", "notif", "syscall")?["unavailable"]?.string ?? "no cell")), so the 1.2× target cannot be checked.")
        }
        if let g = s.stat("bare-seccomp", "sigsys", "syscall", "loop_ns_per_iter") {
            paras.append("The alternative hand-off, SIGSYS into the guest and shared memory with a futex, takes \(time(g.median)) per call bare.")
        }
        return Finding(short: short + ".", paragraphs: paras)
    }
}

extension String {
    func replacingAll(_ a: String, _ b: String) -> String {
        guard !a.isEmpty else { return self }
        var out = "", rest = Substring(self)
        while let r = rest.firstRange(of: a) {
            out += rest[..<r.lowerBound] + b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
