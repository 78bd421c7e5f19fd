import Foundation
import Testing
@testable import GuestKernel
import HostOS
import LinuxABI

/// A script: what one guest thread does, as a sequence of system calls.
typealias Script = (ScriptThread) async throws -> Void

/// Hands the kernel to the queue that runs it: one thread at a time uses it (the test waits).
struct UncheckedKernel: @unchecked Sendable { let kernel: Kernel }
struct UncheckedBackend: @unchecked Sendable { let backend: ScriptedBackend }

/// Thrown out of a script whose task is gone (exit, a fatal signal, the end of the system).
struct ScriptEnded: Error {}

/// A kernel over the scripted backend, with a root directory on the host and one main script.
///
/// `run` boots the kernel without a program (the first process is pid 2, under the kernel's
/// init), runs the scripts until the main process exits, and returns its exit status as the
/// shell shows it. Kernels run one at a time, on one serial queue: a kernel's loop blocks its
/// thread while a script runs, and the tests stay within the machine's two cores.
final class ScriptedKernel {
    let machine: GuestKernel.Guest
    var kernel: Kernel { machine.kernel }
    let backend = ScriptedBackend()
    private let lock = NSLock()
    private var scripts: [_Concurrency.Task<Void, Never>] = []
    static let queue = DispatchQueue(label: "umlab.kerneltests.kernel")
    /// The scratch area every first process gets: scripts allocate their buffers from it.
    static let scratchBase: UInt64 = 0x1000_0000, scratchSize: UInt64 = 16 << 20
    /// Where the first process's heap (brk) starts.
    static let brkBase: UInt64 = 0x2000_0000

    init(root: String = Fixture.root, _ configure: (inout KernelConfig) -> Void = { _ in }) throws {
        var config = KernelConfig()
        config.rootDirectory = root
        // Scripts run far slower than guest code: with the usual 10 ms slice a parent's slice
        // could end between two of its calls, where tests expect it to go on (as after fork on
        // Linux). Scheduling tests set their own.
        config.sliceNanoseconds = 200_000_000
        // The generated /etc/hostname then reads as the fixture's own did.
        config.hostname = "scripted"
        configure(&config)
        machine = try GuestKernel.Guest(config: config, backend: backend)
    }

    /// Runs `main` as pid 2; returns its exit status (128+N for death by signal N). The
    /// watchdog is for hangs: generous, since a loaded 2-CPU machine (parallel suites, builds)
    /// stretched 0.4 s scripts past the 5 s it once had.
    @discardableResult
    func run(timeout seconds: Double = 30, on queue: DispatchQueue = ScriptedKernel.queue, _ main: @escaping Script) async throws -> Int32 {
        let channel = ScriptChannel(), log = SignalLog()
        backend.initial = (channel, log)
        let task = try kernel.bootWithoutProgram()
        // Boot hands the first program umlab's own signal state; a test starts from a clean one.
        task.signalMask = .empty
        task.handlers = SignalHandlers()
        _ = try task.mm.map(address: ScriptedKernel.scratchBase, length: ScriptedKernel.scratchSize, protection: .rw,
                            fixed: true, shared: false, file: nil, offset: 0, name: "[scratch]")
        task.mm.brkStart = ScriptedKernel.brkBase
        task.mm.brk = ScriptedKernel.brkBase
        let context = task.context as! ScriptedContext
        launch(main, ScriptThread(harness: self, context: context, heap: Heap(base: ScriptedKernel.scratchBase, size: ScriptedKernel.scratchSize), isThread: false))
        let kernel = UncheckedKernel(kernel: self.kernel), backend = UncheckedBackend(backend: self.backend)
        let status: Int32 = await withCheckedContinuation { c in
            queue.async {
                // The watchdog counts from when this kernel gets the queue, not from when it
                // joined the line behind other tests' kernels.
                backend.backend.watchdog = Host.monotonicNanoseconds() + UInt64(seconds * 1e9)
                c.resume(returning: kernel.kernel.run())
            }
        }
        while true {
            let pending = lock.withLock { () -> [_Concurrency.Task<Void, Never>] in
                defer { scripts = [] }
                return scripts
            }
            if pending.isEmpty { break }
            for s in pending { await s.value }
        }
        if self.backend.watchdogExpired { Issue.record("the scripted tasks ran past \(seconds) s: killed") }
        return status
    }

    /// Starts a script's Swift task; it waits for the kernel to run its thread. Swift tasks
    /// inherit the test's context, so `#expect` in a script reports to the test.
    func launch(_ script: @escaping Script, _ guest: ScriptThread) {
        let t = _Concurrency.Task {
            guard case .start = await guest.context.channel.park() else { return }
            do {
                try await script(guest)
                try await guest.finish(status: 0)
            } catch is ScriptEnded {
            } catch {
                if !(error is ExpectationFailedError) { Issue.record(error) }
                _ = try? await guest.finish(status: 127)
            }
        }
        lock.withLock { scripts.append(t) }
    }
}
