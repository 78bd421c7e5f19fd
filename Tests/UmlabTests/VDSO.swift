import Foundation
import Testing

/// The x86-64 guest vDSO (arch/x86_64/vdso): glibc finds it, its calls do not trap, and what
/// they answer agrees with the system calls, in every mode, for static and dynamic programs.
@Suite(.serialized) struct GuestVDSO {
    /// Tests/programs/vdso.c built statically (Harness.program) and dynamically.
    static func programs() throws -> [String] {
        let stat = try Harness.program("vdso")
        let dynamic = stat + ".dynamic"
        let tmp = dynamic + ".tmp\(UInt32.random(in: 0...UInt32.max))"
        let src = Harness.root.appendingPathComponent("Tests/programs/vdso.c").path
        let (r, e) = try Harness.run(["/usr/bin/gcc", "-O2", "-o", tmp, src])
        #expect(r.status == 0, "compiling vdso.c: \(e)")
        _ = rename(tmp, dynamic)
        return [stat, dynamic]
    }

    /// [vdso] at AT_SYSINFO_EHDR in /proc/self/maps; every clock bracketed by the vDSO's
    /// readings around the system call's; gettimeofday, time and getcpu as the calls answer.
    @Test(arguments: Harness.x86Modes) func agreesWithSystemCalls(mode: String) throws {
        for exe in try GuestVDSO.programs() {
            let (g, err) = try Harness.guest([exe, "compare"], options: ["--mode", mode])
            #expect(g.status == 0 && g.stdout.hasSuffix("ok\n"), "\(exe) in \(mode):\n\(g.stdout)\(err)")
            #expect(g.stdout.contains("getcpu: cpu 0 node 0"))
        }
    }

    /// 500 calls each of clock_gettime (two clocks), gettimeofday, time and getcpu through the C
    /// library, and not one reaches umlab as a system call.
    @Test(arguments: Harness.x86Modes) func callsDoNotTrap(mode: String) throws {
        for exe in try GuestVDSO.programs() {
            let stats = "/var/tmp/umlab-vdso-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
            defer { unlink(stats) }
            let (g, err) = try Harness.guest([exe, "loop", "500"], options: ["--mode", mode, "--stats-json", stats])
            #expect(g == Harness.Outcome(stdout: "loop done 1\n", status: 0), "\(exe) in \(mode): \(err)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as! [String: Any]
            let syscalls = json["syscalls"] as! [String: Int]
            for name in ["clock_gettime", "gettimeofday", "time", "getcpu"] {
                #expect(syscalls[name, default: 0] == 0, "\(exe) in \(mode): \(name) trapped \(syscalls[name] ?? 0) times")
            }
            #expect(syscalls["exit_group"] == 1)
        }
    }

    /// The committed image (arch/x86_64/Sources/VDSOImage.swift) is what its source builds.
    @Test func imageMatchesItsSource() throws {
        let script = Harness.root.appendingPathComponent("arch/x86_64/vdso/generate.sh").path
        let (r, e) = try Harness.run(["/bin/sh", script, "--check"])
        #expect(r.status == 0, "\(e)")
    }
}
