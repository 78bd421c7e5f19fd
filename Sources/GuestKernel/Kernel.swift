import HostOS
import LinuxABI

/// What the command line tells the kernel.
public struct KernelConfig {
    public var hostname = "umlab"
    public var release = "6.1.0-umlab"
    public var version = "#1 SMP PREEMPT umlab"
    /// Host directory used as the guest's read-only root.
    public var rootDirectory = "/"
    /// The writable layer over the root (`--overlay DIR`), a host directory; nil: the root is
    /// read-only. See `OverlayFS`.
    public var overlayDirectory: String?
    /// The command line's mounts (`--bind`, `--tmpfs`), made after the machine's own.
    public var mounts: [MountRequest] = []
    /// How long hostfs trusts a name the host answered for (found or missing), in nanoseconds:
    /// the bound on how late a change the host makes behind umlab's back shows (see `HostFS`).
    public var hostfsRevalidation: UInt64 = HostFS.defaultRevalidation
    /// The first program's working directory, a guest path (falls back to "/").
    public var workingDirectory = "/"
    public var mode = IsolationMode.skas
    public var trace: TraceSink?
    /// The machine's limits (memory, tasks, descriptors): a fork bomb meets EAGAIN at
    /// `limits.pids` rather than exhausting the host; see `MachineLimits`.
    public var limits = MachineLimits()
    /// Time slice before a running guest is preempted when others are runnable.
    public var sliceNanoseconds: Int64 = 10_000_000
    /// Keep the machine running until its last process ends (proot, `strace -f`), rather than
    /// halting when the first program ends (a container's rule, the default).
    public var waitForAll = false
    /// umlab's own signal mask and ignored signals when it started: the first program inherits
    /// them, as across execve (read before the event loop blocks the signals it reads).
    public var initialSignals: (blocked: UInt64, ignored: [Int32]) = (0, [])
    /// The guest owns umlab's terminal: the terminal's Ctrl-C, Ctrl-\ and Ctrl-Z go to the
    /// guest's foreground process group instead of umlab.
    public var ownsTerminal = false
    /// umlab runs at a terminal (one of its standard descriptors is one): only then is the
    /// console a controlling terminal that /dev/tty opens. Without one (a pipeline, CI, a
    /// service), /dev/tty is ENXIO, as for a Linux process without a controlling terminal.
    public var consoleIsTerminal = false
    /// Wall-clock time the machine may run, from the start of `run()` (0: no limit). When it
    /// is up the machine halts with `Halt.timeLimit` and every guest process is killed:
    /// `umlab run --time-limit`, and how the fuzzers bound a mutant's run in-process.
    public var timeLimitNanoseconds: UInt64 = 0
    /// The guest's network view (addresses, and later the options that open it to the host).
    public var network = NetworkConfig()
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
    /// Tasks woken by a wait-queue notification, a deadline or a signal.
    public var wakeups: UInt64 = 0
}

/// How a guest run ended, besides the first program's exit status.
public enum Halt: Equatable, Sendable {
    /// The first program ended (or, with `waitForAll`, the last process did).
    case finished
    /// Every task was blocked with nothing that could wake it.
    case deadlock
    /// umlab was told to stop by a signal from outside (the status is 128 + signal).
    case signalled(Int32)
    /// `KernelConfig.timeLimitNanoseconds` passed before the machine halted by itself.
    case timeLimit
}

/// The guest kernel: processes, scheduler, signals and the syscall dispatcher.
///
/// It runs on one host thread and runs one guest thread at a time (a uniprocessor kernel, like
/// UML's), so guest scheduling is deterministic and the ptrace backend's tracer and tracees can
/// share one CPU.
public final class Kernel {
    public internal(set) var config: KernelConfig
    public let backend: any Backend
    /// The ISA's ABI, kept here (a backend's `abi` is reached through an existential and would
    /// be copied, closures and all, by every `c.word(i)` on the syscall path).
    public let abi: GuestABI
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
    /// Runnable tasks in round-robin order; the running one is among them.
    var runQueue: [Task] = []
    var current: Task?
    /// Deadlines of sleeping tasks and interval timers (ITIMER_REAL, timerfds, POSIX timers).
    var timers = TimerQueue()
    /// pid 1: a kernel-owned init with no threads of its own. It adopts orphans and reaps them
    /// at once (like `docker run --init`), so the program umlab runs has a parent, as it would
    /// natively, and gets no pid-1 special treatment.
    public private(set) var initProcess: Process?
    /// The program umlab was asked to run (pid 2).
    public private(set) var mainProcess: Process?
    /// Advisory file locks (flock, fcntl record and OFD locks) by file identity.
    let fileLocks = FileLocks()
    /// Futex wait queues by key; a queue leaves the table when its last waiter does.
    var futexQueues: [FutexKey: FutexQueue] = [:]
    /// Exit status umlab returns (the first program's, encoded as the shell does).
    public internal(set) var exitCode: Int32 = 0
    /// Why the run ended.
    public internal(set) var halt: Halt = .finished
    /// Why the last exec failed, in words for the user (the CLI prints it for the first program).
    public internal(set) var lastExecFailure: ExecFailure?
    /// The console's foreground process group (tcsetpgrp).
    var foregroundGroup: Int32?
    /// The pseudo-terminals (/dev/ptmx, /dev/pts).
    public let ptys = PtyTable()
    /// Bounce buffer for transfers larger than the arena's I/O buffer.
    var scratch: [UInt8] = []
    /// Set by `end()`.
    private var ended = false
    /// The GDB stub (`umlab run --gdb`), if any: see Debugger/GDBStub.swift for its hooks here.
    public internal(set) var debugger: GDBStub?
    /// The kernel's guest-visible records (credentials, the I/O buffer; pipe buffers in TT).
    public let arena: KernelArena
    /// Queued signal records of every task and process (bounded; see `PendingSignals`).
    public let signalQueue = SignalQueueAccount()
    /// Where the machine waits for the host.
    public let loop: EventLoop
    /// Queues fed by host descriptors, by descriptor (the event-loop token); a descriptor is in
    /// the loop only while its queue has waiters.
    var hostQueues: [Int32: HostWaitQueue] = [:]
    /// Host sockets the network serves (published ports, links to the host), by descriptor.
    var hostEndpoints: [Int32: HostEndpoint] = [:]
    /// When host events were last collected while guests ran (see `nextInterruption`).
    var lastHostPoll: UInt64 = 0
    /// How often host events are collected while a guest runs, when some descriptor is
    /// watched or the terminal can send signals.
    let hostPollPeriod: UInt64 = 10_000_000
    /// Whether the scheduler needs the tick to get the CPU back (see Backend.runsInHostProcesses).
    let usesTick: Bool
    /// Pipe numbers for fstat's st_ino, per machine.
    var nextPipeNumber: UInt64 = 1
    /// The device number of the next mount made by the command line or mount(2).
    var nextAnonymousDevice: UInt64 = 0x30
    /// The machine's own mounts besides the root, by point and source (`GuestView` copies them).
    static let machineMounts = [("/dev", "devtmpfs"), ("/proc", "proc"), ("/tmp", "tmpfs"), ("/dev/shm", "tmpfs")]
    /// Where anonymous pipes' inodes live.
    let pipeFS = PipeFS()
    /// Where memfd_create's files live: a tmpfs no path reaches (Linux's internal shm mount).
    /// inotify's watches, and the hooks the VFS calls make events with (VFS/Inotify.swift).
    lazy var inotify = Inotify(vfs: vfs)
    lazy var memfdFS = TmpFS(device: 0x1c, clock: { (try? Host.clock(0)) ?? (0, 0) }, account: memory, descriptors: hostDescriptors)
    /// When the time limit halts the machine (monotonic ns; 0: never), set by `run()`.
    var runDeadline: UInt64 = 0
    /// The machine's memory account against `config.limits.memory`.
    public let memory: MemoryController
    /// Sockets' names and ports (Net/).
    public let network: Network
    /// The host descriptors the machine holds for guest objects, within `config.limits.hostDescriptors`.
    public let hostDescriptors: HostDescriptors
    /// System V IPC objects and POSIX message queues (IPC/).
    public let ipc = IPCNamespace()
    /// The backend's guests are host processes whose memory is sampled (`Backend.samplesMemory`).
    let samplesMemory: Bool
    /// When the running task's memory is sampled next (monotonic ns), for such backends.
    var nextMemorySample: UInt64 = 0
    /// How often: at the first trap after this long, or by the tick after twice this long for a
    /// guest that does not trap; a guest touching memory as fast as the host lets it passes the
    /// limit by at most what it can touch in that time before the OOM policy sees it.
    let memorySamplePeriod: UInt64 = 5_000_000
    /// The host's RAM and swap, read once: the default memory policy (`checkMemoryLimit`).
    let hostMemoryAndSwap = Host.memoryAndSwap()

    public init(config: KernelConfig, backend: any Backend, loop: EventLoop) throws(LinuxErrno) {
        self.config = config
        self.backend = backend
        self.loop = loop
        usesTick = backend.runsInHostProcesses
        memory = MemoryController(limit: config.limits.memory)
        network = Network(config: config.network)
        hostDescriptors = HostDescriptors(budget: config.limits.hostDescriptors)
        samplesMemory = backend.samplesMemory
        abi = backend.abi
        syscallTable = backend.abi.syscalls
        syscallCounts = Array(repeating: 0, count: backend.abi.syscalls.entries.count)
        bootTime = Host.monotonicNanoseconds()
        arena = try KernelArena()
        vfs = try VFS.makeRoot(config, descriptors: hostDescriptors)
        let clock: () -> (Int64, Int64) = { (try? Host.clock(0)) ?? (0, 0) }
        vfs.mount(DevFS(device: 0x5, kernel: self), at: "/dev", source: "devtmpfs")
        vfs.mount(DevPtsFS(device: 0x18, kernel: self), at: "/dev/pts", source: "devpts")
        vfs.mount(ProcFS(device: 0x4, kernel: self), at: "/proc", source: "proc")
        vfs.mount(SysFS(device: 0x16), at: "/sys", source: "sysfs")
        vfs.mount(TmpFS(device: 0x1a, clock: clock, account: memory, descriptors: hostDescriptors), at: "/tmp", source: "tmpfs")
        vfs.mount(TmpFS(device: 0x1b, clock: clock, account: memory, descriptors: hostDescriptors), at: "/dev/shm", source: "tmpfs")
        GuestEtcFiles.mount(in: vfs, kernel: self)
        try vfs.mountRequested(config, descriptors: hostDescriptors, memory: memory, device: { [unowned self] in anonymousDevice() })
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
        let mm = MemoryMap(space: context.addressSpace, userRange: backend.userAddressRange, pageSize: abi.pageSize, wordMask: abi.wordMask,
                           memory: memory, descriptors: hostDescriptors)
        let initPID = allocatePID()
        let initP = try Process(pid: initPID, parent: nil, pgid: initPID, sid: initPID, startTime: Host.monotonicNanoseconds(), arena: arena, signalAccount: signalQueue)
        initP.comm = "init"
        initP.commandLine = [Array("init".utf8)]
        initP.executablePath = "/sbin/init"
        processes[initPID] = initP
        initProcess = initP
        let pid = allocatePID()
        let process = try Process(pid: pid, parent: initP, pgid: pid, sid: pid, startTime: Host.monotonicNanoseconds(), arena: arena, signalAccount: signalQueue)
        // RLIMIT_NOFILE: soft 1024, hard the machine's ceiling (both at most `--nofile`).
        let nofile = config.limits.nofile
        process.limits.values[7] = (min(1024, nofile), nofile)
        initP.children.append(process)
        let files = FileTable(locks: fileLocks)
        let cwd = (try? vfs.locate(config.workingDirectory)).flatMap { $0.inode.kind == .directory ? $0 : nil } ?? vfs.rootLocation
        let fs = FSContext(cwd: cwd, root: vfs.rootLocation)
        let task = Task(kernel: self, tid: pid, process: process, context: context, mm: mm, files: files, fs: fs, handlers: SignalHandlers())
        process.threads = [task]
        tasks[pid] = task
        processes[pid] = process
        mainProcess = process
        // The first program inherits umlab's signal mask and ignored signals, as across execve.
        let inherited = config.initialSignals
        task.signalMask = SignalSet(rawValue: inherited.blocked & SignalSet.blockable.rawValue)
        for sig in inherited.ignored where sig > 0 && sig <= Signal.max && !Signal(sig).isUncatchable {
            task.handlers.actions[Int(sig)].handler = SignalHandlers.Action.ignoreHandler
        }
        // Standard input, output and error are umlab's.
        let devConsole = try? vfs.locate("/dev/console").inode
        for (fd, flags) in [(Int32(0), OpenFlags.readOnly), (1, OpenFlags.writeOnly), (2, OpenFlags.writeOnly)] {
            let host = fd == 0 ? HostFD.standardInput : fd == 1 ? HostFD.standardOutput : HostFD.standardError
            let node = devConsole.map { fd == 2 ? DevFS.consoleStream($0, writingTo: host, kernel: self) : $0 }
            let f = ConsoleFile(input: .standardInput, output: host, flags: OpenFlags(rawValue: flags), path: "/dev/console", inode: node, kernel: self)
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

    /// Runs the guest system until the first program ends (or, with `waitForAll`, the last
    /// process); returns umlab's exit status. `halt` tells why it ended.
    public func run() -> Int32 {
        if config.timeLimitNanoseconds != 0 {
            runDeadline = Host.monotonicNanoseconds() + min(config.timeLimitNanoseconds, UInt64(Int64.max) / 2)
        }
        // CPU accounting: the task whose trap was handled last, and when its trap came.
        var handled: Task?
        var trapTime: UInt64 = 0
        while !finished {
            let now = Host.monotonicNanoseconds()
            if let t = handled {
                t.systemTime &+= now &- trapTime
                handled = nil
            }
            if runDeadline != 0 && now >= runDeadline {
                halt = .timeLimit
                break
            }
            if let d = debugger, d.holding { d.serveWhileHeld(); continue }  // all-stop: no guest runs
            if now >= lastHostPoll &+ hostPollPeriod { serviceHost(polling: true, now: now) }
            expireTimers(now)
            guard let task = pickNext(now) else {
                if !idle() { break }
                continue
            }
            if task.retryCall {
                // A blocked call whose wait ended: run it again before any guest code.
                task.retryCall = false
                dispatchSyscall(task)
                continue
            }
            if task.traced != nil, ptraceReturnToUser(task) { continue }
            deliverSignals(task)
            guard task.state == .runnable else { continue }
            let until = nextInterruption(for: task, now: now)
            if until != 0 && until <= now {
                // Its share is used up, or a deadline is due: back to the scheduler first.
                task.sliceEnd = min(task.sliceEnd, now)
                continue
            }
            if usesTick { loop.armTick(at: until) }
            // A far deadline (a sleep of 10^10 s beside a runnable task) is a slice that never ends.
            let slice = until == 0 ? 0 : Int64(clamping: until - now)
            let trap = task.traced?.resume == .step ? ptraceStep(task)
                : debugger == nil ? task.context.run(sliceNanoseconds: slice) : debugger!.run(task, sliceNanoseconds: slice)
            // Guest time: the slice counts as user time, handling its trap as system time
            // (taken at the next pass's clock read); one clock read per trap.
            trapTime = Host.monotonicNanoseconds()
            task.userTime &+= trapTime &- now
            handled = task
            if let trap { handle(trap, of: task) }
            // `now` is from before the trap: one trap late at most, and no clock read per call.
            if samplesMemory, task.state != .dead, now >= nextMemorySample {
                task.mm.space.sampleCharge()
                nextMemorySample = Host.monotonicNanoseconds() &+ memorySamplePeriod
            }
            if memory.oomRequested { _ = runOOMPolicy() }
        }
        loop.armTick(at: 0)
        shutdown()
        return exitCode
    }

    /// The machine halts when its first program ends, or with `waitForAll` when no task is left.
    var finished: Bool {
        if halt != .finished { return true }
        if config.waitForAll { return tasks.isEmpty && mainProcess != nil }
        return mainProcess?.exitStatus != nil
    }

    /// Round robin: the running task keeps the CPU until its slice ends (checked at every
    /// system call and at the tick), then goes to the back of the queue.
    func pickNext(_ now: UInt64) -> Task? {
        if let c = current, c.state == .runnable {
            if runQueue.count <= 1 || now < c.sliceEnd { return c }
            if let i = runQueue.firstIndex(where: { $0 === c }) {
                runQueue.remove(at: i)
                runQueue.append(c)
            }
        }
        guard let next = runQueue.first else { return nil }
        next.sliceEnd = now &+ UInt64(config.sliceNanoseconds)
        if next !== current { counters.contextSwitches += 1 }
        current = next
        return next
    }

    /// When the kernel needs control back from `task` (monotonic ns), or 0 for "when it traps by
    /// itself": the end of its slice if others are runnable, the next timer, and the next
    /// collection of host events if the host can wake anyone. A lone task that nothing can
    /// preempt runs untimed, so idle waiters cost the running task nothing.
    func nextInterruption(for task: Task, now: UInt64) -> UInt64 {
        var until: UInt64 = 0
        func consider(_ t: UInt64) { until = until == 0 ? t : min(until, t) }
        if runQueue.count > 1 { consider(task.sliceEnd) }
        if let t = nextTimerDeadline() { consider(t) }
        if runDeadline != 0 { consider(runDeadline) }
        if loop.watchesDescriptors || config.ownsTerminal { consider(lastHostPoll &+ hostPollPeriod) }
        // A task that traps is sampled at a trap once the period is up, with no preemption; the
        // tick comes one period later for one that does not trap.
        if samplesMemory { consider((nextMemorySample > now ? nextMemorySample : now) &+ memorySamplePeriod) }
        return until
    }

    func nextTimerDeadline() -> UInt64? {
        timers.first(isCurrent: isCurrent)?.deadline
    }

    private func isCurrent(_ e: TimerQueue.Entry) -> Bool {
        switch e.owner {
        case .task(let t): return t.state == .blocked && t.timerGeneration == e.generation
        case .timer(let t): return t.generation == e.generation
        }
    }

    /// Puts a deadline on the timer heap (sleepers, interval timers).
    func addTimer(_ e: TimerQueue.Entry) {
        timers.insert(e)
        timers.sweepIfGrown(isCurrent: isCurrent)
    }

    /// Wakes sleepers whose deadline passed and fires interval timers.
    func expireTimers(_ now: UInt64) {
        while let e = timers.first(isCurrent: isCurrent), e.deadline <= now {
            timers.removeFirst()
            switch e.owner {
            case .task(let t): wake(t)
            case .timer(let t): t.fire()
            }
        }
    }

    /// Nothing is runnable: wait for the host (a deadline, a watched descriptor, a signal).
    /// Returns false when nothing could ever wake a task: a guest deadlock, which ends the run.
    func idle() -> Bool {
        let deadline = nextTimerDeadline()
        if deadline == nil && !loop.watchesDescriptors && !config.ownsTerminal {
            if tasks.values.contains(where: { $0.state == .blocked }) {
                Host.diagnostic("umlab: deadlock: every guest task is blocked and nothing can wake them")
                halt = .deadlock
            }
            return false
        }
        if stopIfGuestStopped() { return true }
        network.flushLinks()
        // The time limit ends a wait too (it is no reason to keep a deadlocked guest, above).
        let until = runDeadline == 0 ? deadline : min(deadline ?? runDeadline, runDeadline)
        _ = try? loop.wait(until: until)
        serviceHost(polling: false, now: Host.monotonicNanoseconds())
        return true
    }

    /// Hands host events to the kernel objects waiting for them (after collecting them, when
    /// `polling`; after a wait that already did, otherwise).
    func serviceHost(polling: Bool, now: UInt64) {
        lastHostPoll = now
        network.flushLinks()
        if polling { _ = loop.poll() }
        for r in loop.takeReady() {
            let fd = Int32(truncatingIfNeeded: r.token)
            if let e = hostEndpoints[fd] { e.hostReady(r.events); continue }
            guard let q = hostQueues[fd] else { continue }
            var ev: PollEvents = []
            if r.events & EventLoop.Events.input != 0 { ev.insert([.input, .readNormal]) }
            if r.events & EventLoop.Events.hangUp != 0 { ev.insert(.hangUp) }
            if r.events & EventLoop.Events.error != 0 { ev.insert(.error) }
            q.notify(ev)
        }
        while let s = loop.takeSignal() { hostSignal(s) }
    }

    /// A signal umlab received: the terminal's go to the guest's foreground process group (the
    /// host terminal's line discipline applies the guest's ISIG setting, since the guest's
    /// termios is the host terminal's); the same signals sent to umlab by a process act on umlab.
    func hostSignal(_ s: EventLoop.SignalReport) {
        let sig = Signal(s.signal)
        if s.fromTerminal {
            var info = SignalInfo(signal: sig, code: SignalCode.SI_KERNEL)
            info.senderPID = 0
            let group = foregroundGroup ?? mainProcess?.pgid ?? 0
            for p in processes.values where p.pgid == group && !p.zombie { send(info, to: p) }
            return
        }
        if sig == .SIGTSTP {
            HostSignals.stopSelf()
            return
        }
        halt = .signalled(s.signal)
        exitCode = 128 + s.signal
    }

    /// Job control across the boundary: when the terminal stopped the guest's foreground job and
    /// no guest process can continue it (its parent is the kernel's init), umlab stops too, so
    /// the shell that started it gets the terminal back; `fg` there continues the guest job.
    func stopIfGuestStopped() -> Bool {
        guard config.ownsTerminal, let main = mainProcess, main.stopped, main.parent === initProcess,
              runQueue.isEmpty else { return false }
        HostSignals.stopSelf()
        var info = SignalInfo(signal: .SIGCONT, code: SignalCode.SI_KERNEL)
        info.senderPID = 0
        for p in processes.values where p.pgid == main.pgid && !p.zombie { send(info, to: p) }
        return true
    }

    func watchHost(_ q: HostWaitQueue) {
        try? loop.watch(q.fd, events: EventLoop.Events.input, token: UInt64(UInt32(bitPattern: q.fd)))
    }
    func unwatchHost(_ q: HostWaitQueue) {
        loop.unwatch(q.fd)
    }

    /// The wait queue of host descriptor `fd` (one per descriptor, shared by its open files).
    func hostQueue(_ fd: Int32) -> HostWaitQueue {
        if let q = hostQueues[fd] { return q }
        let q = HostWaitQueue(fd: fd, kernel: self)
        hostQueues[fd] = q
        return q
    }

    // MARK: Memory limit

    /// The one check every guest memory request passes before anything is allocated: mmap,
    /// brk, mremap growing an area, and an executable's segments at exec. `bytes` is the
    /// request's size in whole pages; `accountable` says the memory is private and writable,
    /// what Linux charges against its commit limit (shared, file-backed read-only and PROT_NONE
    /// mappings are not charged).
    ///
    /// The policy today is Linux's heuristic overcommit for one request: more than the host's
    /// RAM and swap together is ENOMEM. The x86-64 backend's host kernel would answer that
    /// anyway; checking it here makes the interpreters, whose page tables and host mappings
    /// would otherwise grow with any request, give the same answer before they allocate.
    /// The machine's limit (`--memory`) applies the same rule: one request larger than the
    /// whole limit can never be satisfied and is refused at once; smaller ones are charged as
    /// their pages are touched (`MemoryController`).
    func checkMemoryLimit(adding bytes: UInt64, accountable: Bool, for task: Task) throws(LinuxErrno) {
        guard accountable else { return }
        if bytes > hostMemoryAndSwap || bytes > memory.limit {
            memory.noteENOMEM()
            throw .ENOMEM
        }
    }

    // MARK: Traps

    func handle(_ trap: Trap, of task: Task) {
        switch trap {
        case .syscall:
            dispatchSyscall(task)
        case .fault(let sig, let code, let address):
            if memory.oomRequested {
                // The page could not be charged: the OOM policy frees memory (or kills this
                // process), and the instruction runs again.
                if runOOMPolicy() == nil { exitTask(task, status: Signal.SIGKILL.rawValue, groupExit: true, bySignal: true) }
                return
            }
            counters.guestFaults += 1
            var info = SignalInfo(signal: sig, code: code)
            info.address = address
            forceSignal(info, to: task)
        case .preempted:
            counters.preemptions += 1
            serviceHost(polling: true, now: Host.monotonicNanoseconds())
        case .debug(let stop):
            if let d = debugger, d.debugStop(task, stop) { return }
            // No debugger handled the stop: the thread gets Linux's SIGTRAP.
            forceSignal(stop.signalInfo, to: task)
        case .lost(let why):
            Host.diagnostic("umlab: guest process \(task.tid) lost: \(why)")
            exitTask(task, status: (Int32(Signal.SIGKILL.rawValue)), groupExit: true, bySignal: true)
        }
    }

    // MARK: Blocking

    /// Puts `task` to sleep on the wait's queues and deadline.
    func block(_ task: Task, on wait: Wait) {
        network.flushLinks()
        task.context.willSleep()
        task.state = .blocked
        task.wait = wait
        if let i = runQueue.firstIndex(where: { $0 === task }) { runQueue.remove(at: i) }
        for (q, events) in wait.queues {
            q.add(task, events)
            task.waitingOn.append(q)
        }
        if let d = wait.deadline {
            task.timerGeneration &+= 1
            addTimer(.init(deadline: d, generation: task.timerGeneration, owner: .task(task)))
        }
    }

    /// Takes `task` off every queue and timer it waits on.
    func unblock(_ task: Task) {
        for q in task.waitingOn { q.remove(task) }
        task.waitingOn.removeAll(keepingCapacity: true)
        task.timerGeneration &+= 1
        task.wait = nil
    }

    /// Ends `task`'s wait: its call runs again before any guest code.
    func wake(_ task: Task) {
        guard task.state == .blocked else { return }
        unblock(task)
        counters.wakeups += 1
        task.state = .runnable
        task.retryCall = true
        runQueue.append(task)
    }

    // MARK: Shutdown

    func shutdown() {
        for t in Array(tasks.values) {
            unblock(t)
            t.context.terminate()
        }
        tasks.removeAll()
        runQueue.removeAll()
        timers.removeAll()
        current = nil
    }

    /// Ends the whole guest system (fatal errors).
    public func killAll() { shutdown() }

    /// Ends the machine for good (its `Guest` goes away): every task stopped; every object that
    /// points back at another (threads and their process, parents and children, blocked calls)
    /// let go, so none outlives the machine; and every host resource closed: descriptors of guest
    /// files, the root directory's, the backend's (x86-64's stub image and seccomp listener), the
    /// event loop's. One umlab runs thousands of machines one after another (the fuzz drivers):
    /// a machine may leave nothing behind. Idempotent.
    func end() {
        guard !ended else { return }
        ended = true
        let everyTask = Array(tasks.values) + processes.values.flatMap(\.threads)
        shutdown()
        debugger?.close()
        debugger = nil
        // Every task leaves its queues before any file closes: a close wakes the readers and
        // writers still registered, which would put them back on the run queue.
        for t in everyTask { unblock(t) }
        for t in everyTask {
            t.files.closeAll()
            t.mm.reset()
            t.vforkParent = nil
        }
        runQueue.removeAll()
        for p in processes.values {
            p.threads = []
            p.children = []
        }
        processes.removeAll()
        initProcess = nil
        mainProcess = nil
        futexQueues.removeAll()
        ipc.removeAll()
        hostQueues.removeAll()
        network.stop()
        hostEndpoints.removeAll()
        for m in vfs.mounts.values { m.fs.release() }
        hostDescriptors.closeAll()
        backend.machineEnded()
        loop.close()
    }
}
