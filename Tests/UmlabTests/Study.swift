import Foundation
import Testing

/// `umlab bench --quick`: the study's whole pipeline (build, run every backend × mode, write
/// results.json, results.csv, the charts and the paper) on small sizes, into a fresh directory.
@Suite(.serialized) struct StudySuite {
    static let workloads: Set<String> = ["syscall", "pipe", "forkexec", "file", "mmap", "fault", "compute",
                                         "stat", "openclose", "siginstall", "sighandle", "fork", "forksh", "create"]
    /// Workloads a backend's study program lacks: the IA-64 twin has no signal handler, and only
    /// x86-64 has a shell to run.
    static func missing(_ backend: String) -> Set<String> {
        switch backend {
        case "x86_64": return []
        case "ppc": return ["forksh"]
        default: return ["forksh", "sighandle"]
        }
    }

    @Test func quickStudyCoversEveryCell() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("umlab-study-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: out) }
        let (r, err) = try Harness.run([Harness.umlab, "bench", "--quick", "--reps", "1", "--out", out.path])
        #expect(r.status == 0, "\(err.suffix(3000))")

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("results.json"))) as! [String: Any]
        let cells = json["cells"] as! [[String: Any]]
        let workloads = (json["workloads"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(Set(workloads) == StudySuite.workloads)
        let backends = json["backends"] as! [[String: Any]]
        #expect(Set(backends.map { $0["name"] as! String }) == ["x86_64", "ppc", "ia64"])
        func cell(_ system: String, _ mode: String, _ workload: String) -> [String: Any]? {
            cells.first { $0["system"] as? String == system && $0["mode"] as? String == mode && $0["workload"] as? String == workload }
        }
        // Every mode a backend reports, on every workload, ran and printed the expected check line.
        for b in backends {
            let name = b["name"] as! String, modes = b["modes"] as! [String]
            #expect(modes.contains("skas") && modes.contains("tt"), "\(name): \(modes)")
            for m in modes {
                for w in workloads {
                    if StudySuite.missing(name).contains(w) {
                        #expect(cell(name, m, w) == nil, "\(name) has no \(w)")
                        continue
                    }
                    guard let c = cell(name, m, w) else { Issue.record("no cell \(name) \(m) \(w)"); continue }
                    #expect(c["kind"] as? String == "umlab")
                    #expect(c["check_ok"] as? Bool == true, "\(name) \(m) \(w): \(c["runs"] ?? "")")
                    let runs = c["runs"] as? [[String: Any]] ?? []
                    #expect(runs.count == 1)
                    #expect((runs.first?["syscalls"] as? Double ?? 0) > 0, "\(name) \(m) \(w): no syscall count")
                }
            }
        }
        // The native baseline ran every workload too, and so did Linux's own UML where installed.
        for w in workloads { #expect(cell("native", "", w)?["check_ok"] as? Bool == true, "native \(w)") }
        let umlInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/linux.uml")
        for w in workloads where umlInstalled {
            #expect(cell("uml", "", w)?["check_ok"] as? Bool == true, "UML \(w): \(cell("uml", "", w)?["runs"] ?? "no cell")")
        }

        // CSV: a header, then one row per cell that starts with the cell's key.
        let csv = try String(contentsOf: out.appendingPathComponent("results.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.count == cells.count + 1)
        #expect(csv.first?.hasPrefix("kind,system,mode,workload,iterations") == true)
        for c in cells {
            let key = "\(c["kind"]!),\(c["system"]!),\(c["mode"]!),\(c["workload"]!),"
            #expect(csv.filter { $0.hasPrefix(key) }.count == 1, "CSV row for \(key)")
        }

        // Charts: standalone SVG, well-formed, each shown in the paper.
        let paper = try String(contentsOf: out.appendingPathComponent("README.md"), encoding: .utf8)
        let svgs = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".svg") }
        #expect(svgs.count >= 5, "\(svgs)")
        for f in svgs {
            let text = try String(contentsOf: out.appendingPathComponent(f), encoding: .utf8)
            #expect(text.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""), "\(f)")
            #expect(StudySuite.wellFormed(text), "\(f) is not well-formed XML")
            #expect(text.contains("<rect") && text.contains("<text"), "\(f) draws nothing")
            #expect(paper.contains("](\(f))"), "the paper does not show \(f)")
        }
        #expect(paper.contains("## Method") && paper.contains("## Machine") && paper.contains("## The historical claims"))
        // The lmbench-style table: one row per operation, UML's column and its row-by-row comparison.
        #expect(paper.contains("### lmbench-style latencies"))
        for row in ["| null call |", "| fork+exec |", "| page fault |", "| 0K file create+delete |"] {
            #expect(paper.contains(row), "lmbench row \(row)")
        }
        if umlInstalled {
            #expect(paper.contains("| UML 6.1 (SKAS0) |") && paper.contains("#### umlab against UML, row by row"))
            #expect(paper.contains("Against Linux's own UML 6.1:"))
        }

        // x86_64: TT's extra stop per call is there (PTRACE_SYSCALL's entry and exit against SYSEMU's one).
        func median(_ c: [String: Any]?, _ metric: String) -> Double? {
            ((c?["summary"] as? [String: Any])?[metric] as? [String: Any])?["median"] as? Double
        }
        let skas = median(cell("x86_64", "skas", "syscall"), "ptrace_stops_per_syscall")
        let tt = median(cell("x86_64", "tt", "syscall"), "ptrace_stops_per_syscall")
        #expect(skas != nil && tt != nil)
        if let skas, let tt { #expect(tt > skas + 0.5, "ptrace stops per syscall: tt \(tt), skas \(skas)") }
    }

    @Test func unknownWorkloadIsRefused() throws {
        let (r, err) = try Harness.run([Harness.umlab, "bench", "--workload", "nonsense", "--out", "/nonexistent/x"])
        #expect(r.status != 0)
        #expect(err.contains("unknown workload"))
    }

    /// Tags balance and nest, every `&` starts an entity, and there is one root element.
    static func wellFormed(_ s: String) -> Bool {
        var stack: [Substring] = []
        var roots = 0
        var i = s.startIndex
        while let lt = s[i...].firstIndex(of: "<") {
            let text = s[i..<lt]
            guard text.split(separator: "&", omittingEmptySubsequences: false).dropFirst().allSatisfy({ part in
                ["amp;", "lt;", "gt;", "quot;", "apos;", "#"].contains { part.hasPrefix($0) }
            }) else { return false }
            if stack.isEmpty && !text.allSatisfy(\.isWhitespace) { return false }
            guard let gt = s[lt...].firstIndex(of: ">") else { return false }
            let tag = s[s.index(after: lt)..<gt]
            i = s.index(after: gt)
            if tag.hasPrefix("?") || tag.hasPrefix("!") { continue }
            if tag.hasPrefix("/") {
                guard stack.popLast() == tag.dropFirst() else { return false }
                continue
            }
            if stack.isEmpty { roots += 1 }
            if tag.hasSuffix("/") { continue }
            stack.append(tag.prefix { !" \n\t".contains($0) })
        }
        return stack.isEmpty && roots == 1 && s[i...].allSatisfy(\.isWhitespace)
    }
}
