import Foundation
import Testing
@testable import ArchX86_64
@testable import GuestKernel
import HostOS
import LinuxABI

// The x86-64 backend's debugger interface on live guests, in every mode: a real kernel runs
// Tests/programs/debuggee_x86.c (static, -O0) as host processes under ptrace, and the test
// stands where a debugger (the GDB stub) will: it drives the kernel's loop by hand, taking the
// `.debug` stops the kernel would otherwise turn into SIGTRAP, and uses debuggerWrite,
// registers, singleStep and setDebugPoints between them.

/// The debuggee, built once (Tests/programs/build, outside the guests' private /tmp), and the
/// addresses of its symbols (a static non-PIE program: fixed).
enum X86Debuggee {
    struct Built { var path: String; var symbols: [String: UInt64] }
    static let built: Result<Built, Failure> = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let src = root.appendingPathComponent("Tests/programs/debuggee_x86.c").path
        let dir = root.appendingPathComponent("Tests/programs/build").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let out = dir + "/debuggee_x86"
        let tmp = out + ".tmp\(UInt32.random(in: 0...UInt32.max))"
        do {
            let cc = try Subprocess.run(["gcc", "-static", "-O0", "-g", "-o", tmp, src])
            guard cc.status == 0 else { return .failure(Failure(message: "gcc: \(cc.text)")) }
            _ = rename(tmp, out)
            let nm = try Subprocess.run(["nm", out])
            var symbols: [String: UInt64] = [:]
            for line in nm.text.split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.count == 3, let v = UInt64(f[0], radix: 16) { symbols[String(f[2])] = v }
            }
            return .success(Built(path: out, symbols: symbols))
        } catch {
            return .failure(Failure(message: "building the debuggee: \(error)"))
        }
    }()
    struct Failure: Error { var message: String }
}

/// One guest machine on its own host thread (ptrace answers only the thread that attached),
/// driven by the test's closure, which receives a `X86DebugDriver`.
final class X86DebugDriver {
    let guest: Guest
    var kernel: Kernel { guest.kernel }
    let symbols: [String: UInt64]

    init(mode: IsolationMode, _ built: X86Debuggee.Built) throws {
        var config = KernelConfig()
        config.mode = mode
        config.timeLimitNanoseconds = 60_000_000_000
        guest = try Guest(config: config, backend: X86Backend())
        symbols = built.symbols
        try guest.boot(path: built.path, argv: ["debuggee"], envp: [])
        // seccomp mode learns of its guests' ptrace stops from SIGCHLD on the event loop's
        // signalfd. In this multi-threaded test process the signal, sent to the whole process,
        // may go to another thread that does not block it (the main thread sigsuspends), and be
        // lost: a tick every millisecond makes the loop look anyway (waitpid needs no signal).
        if mode == .seccomp { kernel.loop.armTick(at: Host.monotonicNanoseconds() + 1_000_000) }
    }

    func symbol(_ name: String) -> UInt64 { symbols[name] ?? 0 }

    /// The first program's thread.
    var mainTask: GuestKernel.Task { kernel.mainProcess!.threads.first! }

    /// The kernel's loop, one trap at a time (as `Kernel.run` does it, without preemption), up
    /// to the next debugger stop; nil when the machine halted first.
    func runToDebugStop() -> (GuestKernel.Task, DebugStop)? {
        while !kernel.finished {
            let now = Host.monotonicNanoseconds()
            kernel.expireTimers(now)
            guard let task = kernel.pickNext(now) else {
                if !kernel.idle() { return nil }
                continue
            }
            if task.retryCall {
                task.retryCall = false
                kernel.dispatchSyscall(task)
                continue
            }
            kernel.deliverSignals(task)
            guard task.state == .runnable else { continue }
            let trap = task.context.run(sliceNanoseconds: 0)
            if case .debug(let stop) = trap { return (task, stop) }
            kernel.handle(trap, of: task)
        }
        return nil
    }

    /// Runs the machine to its end without a debugger; returns the first program's status.
    func finish() -> Int32? {
        if let (task, stop) = runToDebugStop() {
            Issue.record("unexpected debugger stop \(stop) of task \(task.tid)")
            return nil
        }
        return kernel.halt == .finished ? kernel.exitCode : nil
    }

    /// A guest's register by gdb number, as a value.
    func register(_ task: GuestKernel.Task, _ n: Int) throws -> UInt64 {
        RegisterBytes.decode(try task.context.readRegister(n), bigEndian: false)
    }

    func peek(_ task: GuestKernel.Task, _ address: UInt64, _ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { p in try task.context.addressSpace.read(address, into: p) }
        return bytes
    }
    func poke(_ task: GuestKernel.Task, _ address: UInt64, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { p in try task.context.addressSpace.debuggerWrite(address, from: p) }
    }

    /// Runs `body` with a fresh machine on a thread of its own (`ThreadExecutor`), inside the
    /// test's task, so that its expectations report to the test.
    static func session(_ mode: IsolationMode, _ body: (X86DebugDriver) throws -> Void) async throws {
        let built = try X86Debuggee.built.get()
        let executor = ThreadExecutor()
        defer { executor.stop() }
        try await withTaskExecutorPreference(executor) {
            let d = try X86DebugDriver(mode: mode, built)
            try body(d)
        }
    }
}

/// A task executor with one host thread: every job of a task that prefers it runs there, as
/// ptrace wants (only the thread that attached may use a tracee).
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false

    init() {
        let thread = Thread { [self] in
            while let job = next() { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock(); jobs.append(unowned); condition.signal(); condition.unlock()
    }

    func stop() {
        condition.lock(); stopping = true; condition.signal(); condition.unlock()
    }

    private func next() -> UnownedJob? {
        condition.lock(); defer { condition.unlock() }
        while jobs.isEmpty && !stopping { condition.wait() }
        return jobs.isEmpty ? nil : jobs.removeFirst()
    }
}

private let rip = X86RegisterTable.rip, rax = 0, rdi = 5

@Suite(.serialized) struct X86Debugging {
    @Test(arguments: [IsolationMode.skas, .tt, .seccomp])
    func int3OnReadOnlyTextThenStepThroughASyscall(_ mode: IsolationMode) async throws {
        try await X86DebugDriver.session(mode) { d in
            let marker = d.symbol("marker"), start = d.symbol("step_start")
            let syscallAt = d.symbol("step_syscall"), after = d.symbol("after_syscall")
            let main = d.mainTask
            main.context.reportsBreakpoints = true
            // Program text is read-only: an ordinary write fails, the debugger's goes in.
            let original = try d.peek(main, marker, 1)
            #expect(throws: LinuxErrno.EFAULT) { try [UInt8(0xcc)].withUnsafeBytes { p in try main.context.addressSpace.write(marker, from: p) } }
            try d.poke(main, marker, [0xcc])
            #expect(try d.peek(main, marker, 1) == [0xcc])
            try d.poke(main, start, [0xcc])

            let first = d.runToDebugStop()
            #expect(first?.1 == .breakpoint(address: marker))
            #expect(first?.0 === main)
            // rip after the int3 (gdb's decr_pc_after_break); the argument is in rdi.
            #expect(try d.register(main, rip) == marker + 1)
            #expect(try d.register(main, rdi) == 20)
            try d.poke(main, marker, original)
            main.context.setInstructionPointer(marker)

            let second = d.runToDebugStop()
            #expect(second?.1 == .breakpoint(address: start))
            try d.poke(main, start, [0xb8])  // mov $imm32, %eax
            main.context.setInstructionPointer(start)
            // One instruction: the mov.
            #expect(main.context.singleStep() == .debug(.stepped))
            #expect(try d.register(main, rip) == syscallAt)
            #expect(try d.register(main, rax) == 110)
            // The `syscall`: a system call stop the host never runs; the kernel completes it.
            #expect(main.context.singleStep() == .syscall)
            #expect(main.context.syscallNumber == 110)
            #expect(try d.register(main, rip) == after)
            d.kernel.handle(.syscall, of: main)
            #expect(try d.register(main, rax) == 1)  // getppid: the kernel's init
            // The next step runs the nop after it.
            #expect(main.context.singleStep() == .debug(.stepped))
            #expect(try d.register(main, rip) == after + 1)

            // The second getppid: stepped into, completed by the kernel, then the thread simply
            // continues (in TT the host then reports that call's exit, which is no new call).
            try d.poke(main, start, [0xcc])
            #expect(d.runToDebugStop()?.1 == .breakpoint(address: start))
            try d.poke(main, start, [0xb8])
            main.context.setInstructionPointer(start)
            #expect(main.context.singleStep() == .debug(.stepped))
            #expect(main.context.singleStep() == .syscall)
            d.kernel.handle(.syscall, of: main)

            // Without a debugger's breakpoints the program runs to its end.
            #expect(d.finish() == 3)
        }
    }

    @Test(arguments: [IsolationMode.skas, .tt, .seccomp])
    func hardwareBreakpointAndWatchpointsFollowForks(_ mode: IsolationMode) async throws {
        try await X86DebugDriver.session(mode) { d in
            let marker = d.symbol("marker"), counter = d.symbol("counter")
            let main = d.mainTask
            let ctx = main.context
            // What four debug registers cannot hold.
            let five = (0..<5).map { DebugPoint(.watch(.write), address: counter + 8 * UInt64($0), length: 8) }
            #expect(throws: LinuxErrno.ENOSPC) { try ctx.setDebugPoints(five) }
            // A range needing more than four aligned pieces (1+2+4+8+... from an odd address).
            #expect(throws: LinuxErrno.ENOSPC) { try ctx.setDebugPoints([DebugPoint(.watch(.write), address: counter + 1, length: 23)]) }
            #expect(throws: LinuxErrno.EINVAL) { try ctx.setDebugPoints([DebugPoint(.watch(.write), address: counter, length: 0)]) }
            #expect(throws: LinuxErrno.EINVAL) { try ctx.setDebugPoints([DebugPoint(.execute, address: marker, length: 2)]) }
            #expect(throws: LinuxErrno.EINVAL) { try ctx.setDebugPoints([DebugPoint(.watch(.read), address: counter, length: 8)]) }
            #expect(throws: LinuxErrno.EINVAL) { try ctx.setDebugPoints([DebugPoint(.execute, address: StubImage.base)]) }

            // An execute point stops on the instruction, before it runs.
            try ctx.setDebugPoints([DebugPoint(.execute, address: marker)])
            let hit = d.runToDebugStop()
            #expect(hit?.1 == .breakpoint(address: marker))
            #expect(try d.register(main, rip) == marker)
            #expect(try d.register(main, rdi) == 20)

            // A write watchpoint stops after the store, with the new value in memory. The execute
            // point stays set: the thread resumes past it (RF), without stopping there again.
            try ctx.setDebugPoints([DebugPoint(.execute, address: marker), DebugPoint(.watch(.write), address: counter, length: 8)])
            let watch = d.runToDebugStop()
            #expect(watch?.1 == .watchpoint(.write, address: counter))
            #expect(watch?.0 === main)
            #expect(try d.peek(main, counter, 8) == RegisterBytes.encode(42, size: 8, bigEndian: false))
            let pc = try d.register(main, rip)
            #expect(pc > d.symbol("main") && pc < d.symbol("main") + 0x200)

            // fork: the child has its parent's points, and its own store stops it.
            let child = d.runToDebugStop()
            #expect(child?.1 == .watchpoint(.write, address: counter))
            #expect(child.map { $0.0 !== main && $0.0.process.parent === main.process } == true)
            if let (task, _) = child {
                #expect(try d.peek(task, counter, 8) == RegisterBytes.encode(7, size: 8, bigEndian: false))
                #expect(try d.peek(main, counter, 8) == RegisterBytes.encode(42, size: 8, bigEndian: false))
                try task.context.setDebugPoints([])
            }
            try ctx.setDebugPoints([])
            #expect(d.finish() == 3)
        }
    }

    @Test func targetDescriptionFollowsTheTable() throws {
        let xml = try #require(X86Backend().gdbTargetDescription)
        #expect(xml.contains("<architecture>i386:x86-64</architecture>") && xml.contains("<osabi>GNU/Linux</osabi>"))
        for feature in ["core", "sse", "linux", "segments"] { #expect(xml.contains("org.gnu.gdb.i386.\(feature)\"")) }
        // Every register of the table, in order, with its number and size.
        var at = xml.startIndex
        for (n, r) in X86RegisterTable.registers.enumerated() {
            let line = "<reg name=\"\(r.name)\" bitsize=\"\(8 * r.size)\""
            let found = try #require(xml.range(of: line, range: at..<xml.endIndex), "register \(n) \(r.name)")
            #expect(xml[found.upperBound...].hasPrefix(" type=") && xml[found.upperBound...].prefix(60).contains("regnum=\"\(n)\""))
            at = found.upperBound
        }
        #expect(xml.components(separatedBy: "<reg ").count - 1 == X86RegisterTable.registers.count)
    }

    /// gdb-multiarch 13.1 reads the description with the amd64 GNU/Linux ABI (orig_rax is
    /// its Linux register) and numbers the registers for the remote protocol (`p`/`P`, the `g`
    /// packet's layout) exactly as the table does. Its own numbering differs (it keeps numbers
    /// for AVX registers the description leaves out); the protocol only sees the remote one.
    @Test func gdbAcceptsTheTargetDescription() throws {
        let xml = try #require(X86Backend().gdbTargetDescription)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("umlab-x86-tdesc-\(UInt32.random(in: 0...UInt32.max)).xml").path
        try HostFD.writeFile(file, Array(xml.utf8))
        defer { unlink(file) }
        let gdb = try Subprocess.run(["gdb-multiarch", "-nx", "-batch", "-ex", "set tdesc filename \(file)",
                                      "-ex", "show architecture", "-ex", "show osabi", "-ex", "maint print remote-registers"])
        #expect(gdb.status == 0, "\(gdb.text)")
        #expect(gdb.text.contains("\"i386:x86-64\"") && gdb.text.contains("\"GNU/Linux\""), "\(gdb.text)")
        #expect(!gdb.text.lowercased().contains("warning"), "\(gdb.text)")
        // ` Name  Nr  Rel  Offset  Size  Type  Rmt Nr  g/G Offset`, by remote number.
        var remote: [Int: (name: String, size: Int, offset: Int)] = [:]
        for line in gdb.text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if f.count == 8, let size = Int(f[4]), let rmt = Int(f[6]), let offset = Int(f[7]) {
                remote[rmt] = (String(f[0]), size, offset)
            }
        }
        #expect(remote.count == X86RegisterTable.registers.count)
        var offset = 0
        for (n, r) in X86RegisterTable.registers.enumerated() {
            let row = remote[n]
            #expect(row?.name == r.name && row?.size == r.size && row?.offset == offset,
                    "register \(n): gdb has \(String(describing: row)), the table \(r.name), \(r.size) bytes at \(offset)")
            offset += r.size
        }
    }

    @Test func debugRegisterEncoding() throws {
        let user: Range<UInt64> = 0x10000..<0x7000_0000_0000
        let r = try X86DebugRegisters([
            DebugPoint(.execute, address: 0x401000),
            DebugPoint(.watch(.write), address: 0x4a8000, length: 8),
            DebugPoint(.watch(.access), address: 0x4a8010, length: 2),
            DebugPoint(.watch(.write), address: 0x4a8013, length: 1),
        ], userRange: user)
        #expect(r.addresses == [0x401000, 0x4a8000, 0x4a8010, 0x4a8013])
        // L0-L3; slot 0 exec len 1 (0000), 1 write len 8 (1001), 2 rw len 2 (0111), 3 write len 1 (0001).
        #expect(r.control == 0x55 | 0b0001_0111_1001_0000 << 16)
        #expect(X86DebugRegisters.hits(0xffff_0ff4) == 2)
        // Ranges the hardware cannot take in one register are split into aligned pieces, each
        // naming its point: 3 bytes at 0x...1 are 1 + 2; 12 bytes at 0x...4 are 4 + 8.
        let split = try X86DebugRegisters([
            DebugPoint(.watch(.write), address: 0x4a8001, length: 3),
            DebugPoint(.watch(.access), address: 0x4a8024, length: 12),
        ], userRange: user)
        #expect(split.addresses == [0x4a8001, 0x4a8002, 0x4a8024, 0x4a8028])
        #expect(split.owners == [0, 0, 1, 1])
        // slot 0 write len 1 (0001), 1 write len 2 (0101), 2 rw len 4 (1111), 3 rw len 8 (1011).
        #expect(split.control == 0x55 | 0b1011_1111_0101_0001 << 16)
        #expect(throws: LinuxErrno.ENOSPC) {
            try X86DebugRegisters([DebugPoint(.watch(.write), address: 0x4a8001, length: 16)], userRange: user)
        }
        #expect(throws: LinuxErrno.EINVAL) {
            try X86DebugRegisters([DebugPoint(.watch(.write), address: 0x6fff_ffff_fffc, length: 8)], userRange: user)
        }
        #expect(X86DebugRegisters.hits(0xffff_4ff0) == nil)  // BS alone: a step
    }
}
