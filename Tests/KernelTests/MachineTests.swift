import Foundation
import Testing
@testable import GuestKernel
import LinuxABI

/// Whole machines: what a guest owns is its own, and limits are the guest's RLIMITs.
@Suite struct Machines {
    /// Two guest machines run at once in one host process, each kernel on its own thread: their
    /// pipes, futexes, sleeps (each machine's own tick) and identities do not mix.
    @Test func twoMachinesAtOnce() async throws {
        func machine(_ name: String, _ status: Int) -> (ScriptedKernel, Script) {
            let k = try! ScriptedKernel { $0.hostname = name; $0.sliceNanoseconds = 2_000_000 }
            return (k, { t async throws in
                let uts = try t.alloc(390)
                try await t.sys("uname", uts).get("uname")
                #expect(String(decoding: try t.peek(uts + 65, name.utf8.count), as: UTF8.self) == name)
                let (r, w) = try await t.pipe()
                let word = try t.alloc(4)
                try await t.fork { c async throws in
                    for i in 0..<20 {
                        try await c.sleep(nanoseconds: 200_000)
                        try await c.write(w, "\(name)-\(i);").get()
                    }
                }
                try await t.thread { c async throws in
                    try await c.sleep(nanoseconds: 1_000_000)
                    try c.setU32(word, 1)
                    try await c.sys("futex", word, C.FUTEX_WAKE | C.FUTEX_PRIVATE, 1).get()
                }
                try await t.sys("close", w).get()
                var text = ""
                while true {
                    let s = try await t.readString(r)
                    if s.isEmpty { break }
                    text += s
                }
                #expect(text == (0..<20).map { "\(name)-\($0);" }.joined())
                while try t.u32(word) == 0 {
                    _ = try await t.sys("futex", word, C.FUTEX_WAIT | C.FUTEX_PRIVATE, 0, 0)
                }
                _ = try await t.wait()
                try await t.sys("exit_group", status)
            })
        }
        let (a, scriptA) = machine("alpha", 3)
        let (b, scriptB) = machine("beta", 4)
        async let sa = a.run(timeout: 10, on: DispatchQueue(label: "machine-a"), scriptA)
        async let sb = b.run(timeout: 10, on: DispatchQueue(label: "machine-b"), scriptB)
        let (statusA, statusB) = try await (sa, sb)
        #expect(statusA == 3)
        #expect(statusB == 4)
        #expect(a.kernel.nextPipeNumber == 2 && b.kernel.nextPipeNumber == 2)  // each numbered only its own pipe
    }

    /// 10,000 open pipes (20,000 descriptors) once RLIMIT_NOFILE allows them (and the machine's
    /// ceiling, `--nofile`): pipe buffers are not a fixed pool; beyond the limit the guest gets EMFILE.
    @Test func tenThousandPipes() async throws {
        try await runGuest(timeout: 20, configure: { $0.limits.nofile = 20_100 }) { t async throws in
            let lim = try t.alloc(16)
            try t.poke(lim, Self.le64(20_100) + Self.le64(20_100))
            try await t.sys("prlimit64", 0, 7 /* RLIMIT_NOFILE */, lim, 0).get("prlimit64")
            var ends: [(r: Int, w: Int)] = []
            for _ in 0..<10_000 { ends.append(try await t.pipe()) }
            for i in [0, 4_999, 9_999] {
                try await t.write(ends[i].w, "pipe \(i)").get()
                #expect(try await t.readString(ends[i].r) == "pipe \(i)")
            }
            var last: SysRet = .ok(0)
            for _ in 0..<60 {
                last = try await t.sys("pipe2", try t.alloc(8), 0)
                if case .err = last { break }
            }
            #expect(last == .err(.EMFILE))
        }
    }

    /// A machine that ends leaves nothing on the host: 100 machines, each halted by its time
    /// limit with a child blocked on a pipe and the first process asleep, a host file open and
    /// mapped, a tmpfs file, /proc/self read, leave umlab's descriptor count where it was. (Each used to leave
    /// about five behind, the root directory's, the event loop's two, the arena's and its guest
    /// files', held by threads and processes that pointed at each other; the fuzz drivers, which
    /// run thousands of machines in one process, had to restart every 150.) Other tests run
    /// beside this one, so the count is allowed some noise, far below one per machine.
    @Test func endedMachinesLeaveNoDescriptors() async throws {
        func openDescriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0 }
        let machines = 100
        let before = openDescriptors()
        for _ in 0..<machines {
            let k = try ScriptedKernel { $0.timeLimitNanoseconds = 20_000_000 }
            try await k.run { t async throws in
                let fd = try await t.open("/etc/passwd", 0).get()
                try await t.sys("mmap", 0, 4096, 1 /* PROT_READ */, 2 /* MAP_PRIVATE */, fd, 0).get("mmap")
                try await t.open("/tmp/f", 0o102 /* O_CREAT | O_RDWR */).get()
                // /proc/<pid> nodes are cached by procfs: they once kept the whole kernel alive.
                #expect(try await t.contents("/proc/self/stat").get().hasPrefix("2 "))
                let (r, _) = try await t.pipe()
                try await t.fork { c async throws in _ = try await c.read(r, 1) }
                _ = try await t.sleep(nanoseconds: 10_000_000_000)
            }
            #expect(k.machine.halt == .timeLimit)
        }
        let grown = openDescriptors() - before
        #expect(grown < machines / 4, "\(grown) more host descriptors after \(machines) machines")
    }

    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
}
