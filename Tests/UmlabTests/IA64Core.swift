import Foundation
import HostOS
import Testing

/// The IA-64 C loop (arch/ia64/Core) against the Swift interpreter it leaves to: the same
/// workload run with the C loop off (UMLAB_IA64_CORE=off, the Swift reference alone) and on
/// gives the same output, status and number of retired instructions. An op the C loop
/// computes differently changes the output or, through a branch, the count; one that retires
/// a slot more or less (the budget, an MLX bundle, a predicated-off slot) changes the count.
@Suite struct IA64CoreDifferential {
    /// Workloads whose instruction count does not depend on timing (no signals from timers,
    /// no pipes between processes): ALU, compares and predication, loads and stores, calls and
    /// returns with alloc and the register stack, software-pipelined loops with rotation, the
    /// floating-point multiply the C loop leaves to Swift.
    static let workloads = ["crc32", "sieve", "recursion", "rotate", "predication", "xma", "syscalls", "files", "mpy4clz"]

    struct Run: Equatable { var output: Harness.Outcome; var retired: UInt64 }

    static func run(_ program: String, core: Bool, mode: String) throws -> (Run, String) {
        let stats = "/var/tmp/umlab-ia64core-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        defer { unlink(stats) }
        let (out, err) = try Harness.run(["/usr/bin/env", "UMLAB_IA64_CORE=\(core ? "on" : "off")", Harness.umlab, "run",
                                          "--mode", mode, "--stats-json", stats, "--", program])
        let data = (try? Data(contentsOf: URL(fileURLWithPath: stats))) ?? Data()
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        let counters = json?["backend_counters"] as? [String: Any]
        let retired = (counters?["instructions_retired"] as? NSNumber)?.uint64Value ?? 0
        return (Run(output: out, retired: retired), err)
    }

    @Test(arguments: workloads)
    func sameOutputAndCountAsTheSwiftInterpreter(_ name: String) throws {
        let program = try Harness.ia64Program(name)
        for mode in Harness.interpreterModes {
            let (reference, refErr) = try Self.run(program, core: false, mode: mode)
            let (fast, fastErr) = try Self.run(program, core: true, mode: mode)
            #expect(reference.output.status == 0 && reference.retired > 0, "\(name) \(mode), Swift alone: \(refErr)")
            #expect(fast == reference, "\(name) \(mode): C loop \(fast.retired) instructions, \(fastErr); Swift \(reference.retired)")
        }
    }

    /// mpy4 and clz (Itanium 9500) give the manual's values, in the C loop and in Swift:
    /// mpy4 multiplies the zero-extended low words, clz counts leading zeros (64 for 0).
    @Test func mpy4AndClzAsTheManualDefinesThem() throws {
        let program = try Harness.ia64Program("mpy4clz")
        let expected = """
            mpy4 7*9: 63
            mpy4 max*max: 18446744065119617025
            mpy4 high words ignored: 15
            clz 2^32: 31
            clz 0: 64
            clz 1: 63
            clz -1: 0
            clz stacked: 44

            """
        for core in [false, true] {
            let (run, err) = try Self.run(program, core: core, mode: "skas")
            #expect(run.output == Harness.Outcome(stdout: expected, status: 0), "C loop \(core): \(err)")
        }
    }
}
