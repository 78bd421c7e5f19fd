import HostOS
import LinuxABI

/// What the command line tells the kernel.
public struct KernelConfig {
    public var hostname = "umlab"
    public var release = "6.1.0-umlab"
    public var version = "#1 SMP PREEMPT umlab"
    /// Host directory used as the guest's read-only root.
    public var rootDirectory = "/"
    /// The first program's working directory, a guest path (falls back to "/").
    public var workingDirectory = "/"
    public var mode = IsolationMode.skas
    public var trace: TraceSink?
    /// Most guest threads alive at once (each is a host process on x86-64): a fork bomb meets
    /// EAGAIN here rather than exhausting the host.
    public var maxTasks = 1024
    /// Time slice before a running guest is preempted when others are runnable.
    public var sliceNanoseconds: Int64 = 10_000_000
    public init() {}
}

/// Counters for --stats-json.
public struct KernelStats {
    public var syscalls: [String: UInt64] = [:]
    public var unimplemented: [String: UInt64] = [:]
    public var guestFaults: UInt64 = 0
    public var signalsDelivered: UInt64 = 0
    public var contextSwitches: UInt64 = 0
    public var preemptions: UInt64 = 0
    public var forks: UInt64 = 0
    public var execs: UInt64 = 0
}

/// The guest kernel: processes, scheduler, signals and the syscall dispatcher.
///
/// It runs on one host thread and runs one guest thread at a time (a uniprocessor kernel, like
/// UML's), so guest scheduling is deterministic and the ptrace backend's tracer and tracees can
/// share one CPU.
public final class Kernel {
    public internal(set) var config: KernelConfig
    public let backend: any Backend
    public var abi: GuestABI { backend.abi }
    public let vfs: VFS
    var counters = KernelStats()
    /// Counters for --stats-json, syscalls by name included.
    public var stats: KernelStats {
        var s = counters
        for (n, count) in syscallCounts.enumerated() where count > 0 {
            if let e = syscallTable[n] { s.syscalls[e.name, default: 0] += count }
        }
        return s
    }
    public let bootTime: UInt64
    let syscallTable: SyscallTable
    /// Calls per syscall number (a flat array on the hot path; named in `stats` on demand).
    var syscallCounts: [UInt64]

    public internal(set) var tasks: [Int32: Task] = [:]
    public internal(set) var processes: [Int32: Process] = [:]
    var nextPID: Int32 = 1
    var runQueue: [Task] = []
    var blocked: [Task] = []
    var current: Task?
    /// pid 1: a kernel-owned init with no threads of its own. It adopts orphans and reaps them
    /// at once (like `docker run --init`), so the program umlab runs has a parent, as it would
    /// natively, and gets no pid-1 special treatment.
    public private(set) var initProcess: Process?
    /// The program umlab was asked to run (pid 2); when it exits, the guest system is over.
    public private(set) var mainProcess: Process?
    var futexWaiters: [FutexKey: [Task]] = [:]
    /// Exit status umlab returns (the init process's, encoded as the shell does).
    public internal(set) var exitCode: Int32 = 0
    /// Why the last exec failed, in words for the user (the CLI prints it for the first program).
    public internal(set) var lastExecFailure: ExecFailure?
    /// The console's foreground process group (tcsetpgrp).
    var foregroundGroup: Int32?
    /// Bounce buffer for transfers larger than the arena's I/O buffer.
    var scratch: [UInt8] = []
    /// The kernel's guest-visible records (credentials, pipe buffers, the I/O buffer).
    public let arena: KernelArena

    public init(config: KernelConfig, backend: any Backend) throws(LinuxErrno) {
        self.config = config
        self.backend = backend
        syscallTable = backend.abi.syscalls
        syscallCounts = Array(repeating: 0, count: backend.abi.syscalls.entries.count)
        bootTime = Host.monotonicNanoseconds()
        arena = try KernelArena()
        let root = try HostFS(hostPath: config.rootDirectory, device: 0x801)
        vfs = VFS(root: root, source: config.rootDirectory)
        let clock: () -> (Int64, Int64) = { (try? Host.clock(0)) ?? (0, 0) }
        vfs.mount(DevFS(device: 0x5, kernel: self), at: "/dev", source: "devtmpfs")
        vfs.mount(ProcFS(device: 0x4, kernel: self), at: "/proc", source: "proc")
        vfs.mount(TmpFS(device: 0x1a, clock: clock), at: "/tmp", source: "tmpfs")
        vfs.mount(TmpFS(device: 0x1b, clock: clock), at: "/dev/shm", source: "tmpfs")
        Host.raiseFileLimit()
    }

    // MARK: Boot

    /// Creates the init process running `path` with `argv` and `envp`.
    public func boot(path: String, argv: [String], envp: [String]) throws(LinuxErrno) {
        let task = try makeFirstTask()
        try execute(task, path: Array(path.utf8), argv: argv.map { Array($0.utf8) }, envp: envp.map { Array($0.utf8) })
        runQueue.append(task)
    }

    /// Boot without a program, for in-process tests: the first process (pid 2, under init) and
    /// its thread, runnable in the backend's initial context as it is, with no ELF loaded.
    func bootWithoutProgram() throws(LinuxErrno) -> Task {
        let task = try makeFirstTask()
        runQueue.append(task)
        return task
    }

    /// init (pid 1) and the first process's thread with its console descriptors; no program yet.
    private func makeFirstTask() throws(LinuxErrno) -> Task {
        let context = try backend.makeInitialContext(mode: config.mode, kernel: self)
        let mm = MemoryMap(space: context.addressSpace, userRange: backend.userAddressRange, pageSize: abi.pageSize)
        let initPID = allocatePID()
        let initP = try Process(pid: initPID, parent: nil, pgid: initPID, sid: initPID, startTime: Host.monotonicNanoseconds(), arena: arena)
        initP.comm = "init"
        initP.commandLine = [Array("init".utf8)]
        initP.executablePath = "/sbin/init"
        processes[initPID] = initP
        initProcess = initP
        let pid = allocatePID()
        let process = try Process(pid: pid, parent: initP, pgid: pid, sid: pid, startTime: Host.monotonicNanoseconds(), arena: arena)
        initP.children.append(process)
        let files = FileTable()
        let cwd = (try? vfs.locate(config.workingDirectory)).flatMap { $0.inode.kind == .directory ? $0 : nil } ?? vfs.rootLocation
        let fs = FSContext(cwd: cwd, root: vfs.rootLocation)
        let task = Task(tid: pid, process: process, context: context, mm: mm, files: files, fs: fs, handlers: SignalHandlers())
        process.threads = [task]
        tasks[pid] = task
        processes[pid] = process
        mainProcess = process
        // The first program inherits umlab's signal mask and ignored signals, as across execve.
        let inherited = HostSignals.inherited()
        task.signalMask = SignalSet(rawValue: inherited.blocked & SignalSet.blockable.rawValue)
        for sig in inherited.ignored where sig > 0 && sig <= Signal.max && !Signal(sig).isUncatchable {
            task.handlers.actions[Int(sig)].handler = SignalHandlers.Action.ignoreHandler
        }
        // Standard input, output and error are umlab's.
        let devConsole = try? vfs.locate("/dev/console").inode
        for (fd, flags) in [(Int32(0), OpenFlags.readOnly), (1, OpenFlags.writeOnly), (2, OpenFlags.writeOnly)] {
            let host = fd == 0 ? HostFD.standardInput : fd == 1 ? HostFD.standardOutput : HostFD.standardError
            let f = ConsoleFile(input: .standardInput, output: host, flags: OpenFlags(rawValue: flags), path: "/dev/console", inode: devConsole)
            try files.place(f, at: fd, closeOnExec: false)
        }
        return task
    }

    func allocatePID() -> Int32 {
        while tasks[nextPID] != nil || processes[nextPID] != nil { nextPID = nextPID >= 4_194_303 ? 2 : nextPID + 1 }
        defer { nextPID += 1 }
        return nextPID
    }

    // MARK: The main loop

    /// Runs the guest system until the init process exits; returns umlab's exit status.
    public func run() -> Int32 {
        try? Tick.install()
        while let mainProcess, mainProcess.exitStatus == nil {
            guard let task = pickNext() else {
                if !idle() { break }
                continue
            }
            if task.state != .runnable { continue }
            current = task
            if task.retryCall {
                // A blocked call whose wait ended: run it again before any guest code.
                task.retryCall = false
                dispatchSyscall(task)
                continue
            }
            if !prepareToRun(task) { continue }
            // A slice only matters when something else could want the CPU: another task, a
            // sleeper's deadline or an interval timer. A lone busy task runs untimed.
            let others = runQueue.count > 1 || !blocked.isEmpty || armedTimers > 0
            let slice: Int64 = others ? sliceFor(task) : 0
            let trap = task.context.run(sliceNanoseconds: slice)
            handle(trap, of: task)
        }
        shutdown()
        return exitCode
    }

    /// How long `task` may run before the kernel looks at the others (sleepers' deadlines included).
    func sliceFor(_ task: Task) -> Int64 {
        var slice = config.sliceNanoseconds
        let now = Host.monotonicNanoseconds()
        for t in blocked {
            if let d = t.wait?.deadline { slice = min(slice, Int64(d > now ? d - now : 1)) }
            if t.wait?.hostFD != nil { slice = min(slice, 2_000_000) }
        }
        for p in timedProcesses { if let d = p.realTimer.deadline { slice = min(slice, Int64(d > now ? d - now : 1)) } }
        return max(slice, 50_000)
    }

    /// The task to run next: the current one while it stays runnable, else the next in line.
    func pickNext() -> Task? {
        wakeReady()
        if let c = current, c.state == .runnable, !needsReschedule { return c }
        needsReschedule = false
        if let c = current, c.state == .runnable, let i = runQueue.firstIndex(where: { $0 === c }) {
            runQueue.remove(at: i)
            runQueue.append(c)
        }
        guard let next = runQueue.first(where: { $0.state == .runnable }) else { return nil }
        if next !== current { counters.contextSwitches += 1 }
        return next
    }
    var needsReschedule = false
    /// Processes with an ITIMER_REAL armed (kept by `setRealTimer`, so the loop never scans all).
    var timedProcesses: [Process] = []
    var armedTimers: Int { timedProcesses.count }

    func setRealTimer(_ p: Process, _ timer: IntervalTimer) {
        p.realTimer = timer
        timedProcesses.removeAll { $0 === p }
        if timer.deadline != nil { timedProcesses.append(p) }
    }

    /// Moves blocked tasks whose condition now holds back to the run queue.
    func wakeReady() {
        if blocked.isEmpty && timedProcesses.isEmpty { return }
        let now = Host.monotonicNanoseconds()
        fireTimers(now: now)
        var still: [Task] = []
        for t in blocked {
            guard t.state == .blocked, let w = t.wait else { continue }
            if w.ready() || (w.deadline.map { $0 <= now } ?? false) || hasDeliverableSignal(t) {
                t.state = .runnable
                t.wait = nil
                t.retryCall = true
                runQueue.append(t)
                needsReschedule = true
            } else {
                still.append(t)
            }
        }
        blocked = still
    }

    /// Nothing is runnable: sleep until a deadline passes or console input arrives.
    /// Returns false when nothing could ever wake (a deadlock), which ends the run.
    func idle() -> Bool {
        var deadline: UInt64? = nil
        var fds: [(fd: Int32, events: Int16)] = []
        for t in blocked {
            if let d = t.wait?.deadline { deadline = min(deadline ?? d, d) }
            if let fd = t.wait?.hostFD, !fds.contains(where: { $0.fd == fd }) { fds.append((fd, 1)) }
        }
        for p in timedProcesses { if let d = p.realTimer.deadline { deadline = min(deadline ?? d, d) } }
        if deadline == nil && fds.isEmpty {
            // Every task waits on another guest task that can never run: a guest deadlock.
            if blocked.isEmpty { return false }
            Host.diagnostic("umlab: all guest processes are blocked; nothing can wake them")
            return false
        }
        let now = Host.monotonicNanoseconds()
        let timeout: Int32 = deadline.map { $0 <= now ? 0 : Int32(min((($0 - now) + 999_999) / 1_000_000, 1000)) } ?? 1000
        _ = Host.poll(fds, timeoutMS: timeout)
        return true
    }

    // MARK: Traps

    func handle(_ trap: Trap, of task: Task) {
        switch trap {
        case .syscall:
            dispatchSyscall(task)
        case .fault(let sig, let code, let address):
            counters.guestFaults += 1
            var info = SignalInfo(signal: sig, code: code)
            info.address = address
            forceSignal(info, to: task)
        case .preempted:
            counters.preemptions += 1
            needsReschedule = true
        case .lost(let why):
            Host.diagnostic("umlab: guest process \(task.tid) lost: \(why)")
            exitTask(task, status: (Int32(Signal.SIGKILL.rawValue)), groupExit: true, bySignal: true)
        }
    }

    /// Delivers pending signals and runs deferred work before a task runs; false if it can't run.
    func prepareToRun(_ task: Task) -> Bool {
        deliverSignals(task)
        return task.state == .runnable
    }

    // MARK: Blocking

    func block(_ task: Task, on condition: WaitCondition) {
        task.state = .blocked
        task.wait = condition
        if let i = runQueue.firstIndex(where: { $0 === task }) { runQueue.remove(at: i) }
        blocked.append(task)
    }

    func makeRunnable(_ task: Task) {
        guard task.state == .blocked || task.state == .stopped else { return }
        if let i = blocked.firstIndex(where: { $0 === task }) { blocked.remove(at: i) }
        task.state = .runnable
        task.wait = nil
        task.retryCall = true
        runQueue.append(task)
    }

    // MARK: Shutdown

    func shutdown() {
        for t in Array(tasks.values) {
            t.context.terminate()
        }
        tasks.removeAll()
        runQueue.removeAll()
        blocked.removeAll()
    }

    /// Ends the whole guest system (the CLI's signal handlers, fatal errors).
    public func killAll() { shutdown() }
}
