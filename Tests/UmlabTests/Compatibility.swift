import Foundation
import Testing

/// The fast subsets of the compatibility runs (Tests/compat/compat.py, `make compat` runs them
/// whole): CPython's regression-test modules, busybox's testsuite applets and stress-ng stressors
/// chosen for the kernel's breadth, each run natively and under umlab. A test that passes natively
/// must pass under umlab unless Tests/compat/exclusions.txt gives the reason it cannot.
@Suite(.serialized) struct Compatibility {
    static let script = Harness.root.appendingPathComponent("Tests/compat/compat.py").path

    /// Runs compat.py's quick subset of `suite` in `modes`; returns its summary per suite@mode.
    static func quick(_ suite: String, modes: [String], extra: [String] = []) throws -> [String: [String: Any]] {
        let out = "/var/tmp/umlab-compat-test-\(getpid())/\(suite)"
        try? FileManager.default.removeItem(atPath: out)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let (r, err) = try Harness.run(["/usr/bin/python3", script, "--umlab", Harness.umlab, "--quick", "--check",
                                        "--suite", suite, "--modes", modes.joined(separator: ","), "--out", out] + extra)
        #expect(r.status == 0, "compat.py \(suite): regressions\n\(err.suffix(3000))")
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return json["summary"] as? [String: [String: Any]] ?? [:]
    }

    /// Every mode ran the subset, and most of it passes natively: a run where nothing could pass
    /// (a missing package, a broken fixture) must not look like success.
    static func expectRan(_ summary: [String: [String: Any]], _ suite: String, modes: [String], atLeast: Int) {
        for mode in modes {
            let s = summary["\(suite)@\(mode)"] ?? [:]
            #expect((s["native_pass"] as? Int ?? 0) >= atLeast, "\(suite)@\(mode): \(s)")
            #expect((s["regressions"] as? [String])?.isEmpty == true, "\(suite)@\(mode): \(s["regressions"] ?? "?")")
        }
    }

    @Test func cpythonRegressionModules() throws {
        let modes = ["skas", "seccomp"]
        Compatibility.expectRan(try Compatibility.quick("cpython", modes: modes), "cpython", modes: modes, atLeast: 10)
    }

    @Test func busyboxTestsuite() throws {
        let modes = ["skas", "seccomp", "tt"]
        Compatibility.expectRan(try Compatibility.quick("busybox", modes: modes), "busybox", modes: modes, atLeast: 150)
    }

    /// A script names its process (comm) after itself, not its interpreter, as Linux does
    /// (busybox's `pidof this` test; ps and killall find scripts by it).
    @Test func scriptsAreNamedAfterThemselves() throws {
        let dir = "/var/tmp/umlab-compat-script-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/a-long-script-name.sh"
        try "#!/bin/sh\ncat /proc/$$/comm\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let native = try Harness.native([script])
        #expect(native.stdout == "a-long-script-n\n")  // 15 characters, as TASK_COMM_LEN allows
        for mode in Harness.x86Modes {
            let (guest, err) = try Harness.guest([script], options: ["--mode", mode])
            #expect(guest == native, "\(mode): \(err)")
        }
    }

    @Test func stressNGStressors() throws {
        let modes = ["skas", "seccomp"]
        let summary = try Compatibility.quick("stressng", modes: modes, extra: ["--seconds", "1"])
        Compatibility.expectRan(summary, "stressng", modes: modes, atLeast: 7)
    }
}
