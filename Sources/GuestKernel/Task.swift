import LinuxABI

/// A guest thread: the unit the scheduler runs. Shares its memory map, file table, filesystem
/// context and signal handlers with other tasks according to the clone flags that made it, as
/// Linux's task_struct does.
public final class Task {
    /// The kernel this task runs in (several guest machines may share a host process).
    public unowned(unsafe) let kernel: Kernel
    public let tid: Int32
    public unowned(unsafe) var process: Process
    public var context: any ExecutionContext
    public var mm: MemoryMap
    public var files: FileTable
    public var fs: FSContext
    public var handlers: SignalHandlers

    public var signalMask = SignalSet.empty
    /// Signals sent to this thread (tgkill, faults); process-wide ones live in `Process`.
    public let pending: PendingSignals
    public var altStack = AltStack()
    /// The mask to restore after the handler that rt_sigsuspend / ppoll wait for has run.
    var savedMaskAfterSignal: SignalSet?
    public var clearChildTID: UInt64 = 0
    public var robustList: UInt64 = 0
    public var robustListLength: UInt64 = 0

    /// `traced`: in a ptrace stop, until the tracer resumes it (Ptrace/).
    public enum State { case runnable, blocked, stopped, traced, dead }
    public internal(set) var state: State = .runnable
    /// What the task sleeps on while `blocked`.
    var wait: Wait?
    /// The queues it is registered on while blocked.
    var waitingOn: [WaitQueue] = []
    /// Bumped whenever a sleep ends, so its entry in the kernel's timer queue goes stale.
    var timerGeneration: UInt64 = 0
    /// When its current time slice ends (monotonic ns).
    var sliceEnd: UInt64 = 0
    /// Signals it waits for although they are blocked (rt_sigtimedwait).
    var awaitedSignals = SignalSet.empty
    /// A wait chosen below the syscall handler (a FIFO open), taken by the dispatcher when the
    /// handler throws ERESTARTSYS.
    var deferredWait: Wait?
    /// A FIFO open in progress: the side it opens and the other side's open count when it
    /// began waiting (it proceeds once that count moves).
    var fifoOpen: (pipe: Pipe, reading: Bool, partnerOpens: UInt64)?
    /// Deadline of the blocking call in progress, kept across its re-executions.
    var callDeadline: UInt64?
    /// Set while a vfork child runs: the parent waits for it to exec or exit.
    var vforkParent: Task?
    var vforkDone = false
    var vforkChild: Int32 = 0
    /// The task was woken from a blocking call, which must run again before guest code does.
    var retryCall = false
    /// Bytes a blocking write has already moved, kept across its re-executions.
    var ioProgress = 0
    /// A FUTEX_WAKE reached this task while it waited.
    var futexWoken = false
    /// Guest CPU time in ns, as the scheduler accounts it: in guest code (a slice, from the
    /// kernel's handing over to the trap) and in the kernel for it (handling the trap).
    var userTime: UInt64 = 0
    var systemTime: UInt64 = 0
    /// Its nice value (-20 … 19; setpriority), scheduling policy and static priority
    /// (sched_setscheduler): kept and reported; the scheduler is one round-robin class.
    var nice: Int32 = 0
    var schedulingPolicy: Int32 = 0
    var schedulingPriority: Int32 = 0
    /// The record lock an F_SETLKW (or F_OFD_SETLKW) in progress waits for: deadlock detection
    /// follows it (VFS/Locks.swift).
    var blockedLock: (file: LockedFile, request: RecordLock)?
    /// The System V object a blocked msgsnd, msgrcv or semop sleeps on: if it was removed when
    /// the call runs again, the call fails with EIDRM.
    var ipcWaitObject: IPCObject?
    /// The semaphore and the kind of operation a blocked semop waits for (GETNCNT, GETZCNT).
    var semaphoreWait: (number: Int, forZero: Bool)?
    /// ptrace: this thread's tracer relation, and the threads it traces (Ptrace/).
    var traced: PtraceLink?
    var tracees: [Task] = []


    /// A system call finished (or was interrupted): forget what its retries kept.
    @inline(__always) func callEnded() {
        callDeadline = nil
        ioProgress = 0
        ipcWaitObject = nil
        awaitedSignals = .empty
        blockedLock = nil
        if fifoOpen != nil { leaveFifoOpen() }
    }

    /// Stops counting as a FIFO opener in waiting; returns the partner count it waited on.
    @discardableResult
    func leaveFifoOpen() -> (pipe: Pipe, reading: Bool, partnerOpens: UInt64)? {
        guard let w = fifoOpen else { return nil }
        fifoOpen = nil
        if w.reading {
            w.pipe.readers -= 1
            if w.pipe.readers == 0 { w.pipe.queue.notify([.output, .error]) }
        } else {
            w.pipe.writers -= 1
            if w.pipe.writers == 0 { w.pipe.queue.notify([.input, .hangUp]) }
        }
        return w
    }

    init(kernel: Kernel, tid: Int32, process: Process, context: any ExecutionContext, mm: MemoryMap, files: FileTable,
         fs: FSContext, handlers: SignalHandlers) {
        self.kernel = kernel
        pending = PendingSignals(account: kernel.signalQueue)
        self.tid = tid; self.process = process; self.context = context; self.mm = mm
        self.files = files; self.fs = fs; self.handlers = handlers
    }
}

/// A thread group: what ps shows as a process.
public final class Process {
    public let pid: Int32
    /// Neither weak nor unowned(safe): both put the retain/release of every access (getppid,
    /// wait, signals) on the runtime's slow path. Safe by the kernel's invariant: a parent
    /// outlives its children's pointers, because an exiting process hands its children to init
    /// (which never exits) before it can be released.
    public unowned(unsafe) var parent: Process?
    public var children: [Process] = []
    public var threads: [Task] = []
    public var pgid: Int32
    public var sid: Int32
    /// Inherited by fork; setsid leaves it (see `ControllingTerminal`).
    public var controllingTerminal: ControllingTerminal = .console
    /// Identities, kept in the kernel arena (see `KernelArena`): the kernel reads them from
    /// there on every check, so in TT mode a guest writing its record changes who it is.
    public var credentials: Credentials {
        get {
            let a = arena, r = credentialRecord
            return Credentials(uid: a.u32(r), euid: a.u32(r + 4), suid: a.u32(r + 8), fsuid: a.u32(r + 12),
                               gid: a.u32(r + 16), egid: a.u32(r + 20), sgid: a.u32(r + 24), fsgid: a.u32(r + 28),
                               groups: groups)
        }
        set {
            let a = arena, r = credentialRecord
            for (i, v) in [newValue.uid, newValue.euid, newValue.suid, newValue.fsuid,
                           newValue.gid, newValue.egid, newValue.sgid, newValue.fsgid].enumerated() { a.setU32(r + 4 * i, v) }
            groups = newValue.groups
        }
    }
    private var groups: [UInt32] = []
    let arena: KernelArena
    let credentialRecord: Int
    public let pending: PendingSignals
    public var limits = ResourceLimits()
    /// argv[0]'s last component, as /proc/<pid>/comm and ps show it (16 bytes max).
    public var comm = ""
    public var commandLine: [[UInt8]] = []
    public var environment: [[UInt8]] = []
    public var executablePath = ""
    /// The auxiliary vector its program started with, as the guest's words (for a debugger).
    public var auxv: [UInt8] = []
    public let startTime: UInt64
    /// Exit status as wait(2) encodes it, once the whole group has exited.
    public var exitStatus: Int32?
    public var zombie: Bool { exitStatus != nil && threads.isEmpty }
    /// Set once the zombie has been reaped (or auto-reaped): no longer visible anywhere.
    var reaped = false
    /// exit_group in progress: the status every thread exits with.
    var groupExitCode: Int32?
    /// Signal sent to the parent when this process ends (SIGCHLD unless clone said otherwise).
    var exitSignal: Signal? = .SIGCHLD
    /// How many programs this process has exec'd (Linux's self_exec_id).
    var execGeneration: UInt64 = 0
    /// The parent's execGeneration when this process was created (Linux's parent_exec_id): an
    /// exit signal other than SIGCHLD is sent only to the program that asked for it.
    var parentExecGeneration: UInt64 = 0
    /// ITIMER_REAL (setitimer, alarm), made at its first use by `Kernel.setRealTimer`.
    var realTimer: KernelTimer?
    /// ITIMER_VIRTUAL and ITIMER_PROF (setitimer's `which` 1 and 2, at 0 and 1) and RLIMIT_CPU's
    /// timer, on the process's CPU clocks (Timers.swift), made at their first use.
    var cpuIntervalTimers: [KernelTimer?] = [nil, nil]
    var cpuLimitTimer: KernelTimer?
    /// timer_create(2) timers by id (Timers.swift), and the id the next one tries first.
    var posixTimers: [Int32: PosixTimer] = [:]
    var nextTimerID: Int32 = 0
    /// CPU time of the threads that have exited, and of the children reaped (with theirs), in
    /// ns: getrusage, times, wait4's rusage, the process CPU clock.
    var exitedThreadsTime: (user: UInt64, system: UInt64) = (0, 0)
    var childrenTime: (user: UInt64, system: UInt64) = (0, 0)
    /// Where wait4/waitid of this process sleep: notified when a child exits, stops or continues.
    let childEvents = WaitQueue()
    /// Where this process's signalfd readers and pollers wait for a signal to arrive (Linux's
    /// sighand->signalfd_wqh). Made by the first signalfd read or poll: without one, sending
    /// a signal does nothing more.
    var signalArrivals: WaitQueue?
    public var stopped = false
    /// The signal that stopped it, which wait(WUNTRACED) reports (SIGTTIN, SIGTSTP ...).
    var stopSignal = Signal.SIGSTOP
    var stopReported = false
    var continueReported = true
    /// Its end is held from its parent until its tracer collects it (Ptrace/PtraceStops.swift).
    var ptraceHoldsExit = false
    /// personality(2)'s persona (PER_LINUX, and flags such as ADDR_NO_RANDOMIZE that debuggers
    /// set): kept across fork and execve, and reported; umlab does not randomize anyway.
    var personality: UInt32 = 0

    init(pid: Int32, parent: Process?, pgid: Int32, sid: Int32, startTime: UInt64, arena: KernelArena,
         signalAccount: SignalQueueAccount) throws(LinuxErrno) {
        pending = PendingSignals(account: signalAccount)
        guard let record = arena.allocate(.credentials, owner: pid, payload: 32) else { throw .EAGAIN }
        self.pid = pid; self.parent = parent; self.pgid = pgid; self.sid = sid; self.startTime = startTime
        self.arena = arena; credentialRecord = record
    }
    deinit { arena.release(credentialRecord) }

    public var mainThread: Task? { threads.first { $0.tid == pid } ?? threads.first }
}

/// Guest user and group identities; independent of the host's (the guest runs as root).
public struct Credentials {
    public var uid: UInt32 = 0, euid: UInt32 = 0, suid: UInt32 = 0, fsuid: UInt32 = 0
    public var gid: UInt32 = 0, egid: UInt32 = 0, sgid: UInt32 = 0, fsgid: UInt32 = 0
    public var groups: [UInt32] = []
    public init() {}
    public init(uid: UInt32, euid: UInt32, suid: UInt32, fsuid: UInt32, gid: UInt32, egid: UInt32, sgid: UInt32, fsgid: UInt32, groups: [UInt32]) {
        self.uid = uid; self.euid = euid; self.suid = suid; self.fsuid = fsuid
        self.gid = gid; self.egid = egid; self.sgid = sgid; self.fsgid = fsgid; self.groups = groups
    }
    public var isRoot: Bool { euid == 0 }
    /// Whether file permission checks pass as for root: CAP_DAC_OVERRIDE and
    /// CAP_DAC_READ_SEARCH follow the filesystem uid (Linux drops them when fsuid leaves 0).
    public var overridesFilePermissions: Bool { fsuid == 0 }
    /// Whether a file of group `gid` is the caller's: its filesystem group or a supplementary one.
    public func inGroup(_ gid: UInt32) -> Bool { fsgid == gid || groups.contains(gid) }
    /// Whether these credentials may read (4), write (2) and/or execute or search (1) a file
    /// with status `st`: the owner's bits for its owner, else the group's for a member, else
    /// the others' (Linux's acl_permission_check, without ACLs); as root anything, except
    /// executing a non-directory without any execute bit.
    public func permits(_ want: UInt32, _ st: FileStat) -> Bool {
        if overridesFilePermissions {
            return !(want & 1 != 0 && st.mode & 0o111 == 0 && FileKind(mode: st.mode) != .directory)
        }
        let bits: UInt32 = fsuid == st.uid ? (st.mode >> 6) & 7 : inGroup(st.gid) ? (st.mode >> 3) & 7 : st.mode & 7
        return want & ~bits == 0
    }
    /// The identity access(2) checks with: the real ids in place of the filesystem ones.
    public var real: Credentials {
        var r = self
        r.fsuid = uid; r.fsgid = gid
        return r
    }
}

/// setrlimit/prlimit values, per resource (RLIMIT_* index).
public struct ResourceLimits {
    public static let infinity = UInt64.max
    public var values: [(soft: UInt64, hard: UInt64)] = Array(repeating: (ResourceLimits.infinity, ResourceLimits.infinity), count: 16)
    public init() {
        values[3] = (8 << 20, ResourceLimits.infinity)  // RLIMIT_STACK
        values[7] = (1024, 4096)  // RLIMIT_NOFILE
        values[6] = (4096, 4096)  // RLIMIT_NPROC
        values[4] = (0, ResourceLimits.infinity)  // RLIMIT_CORE
        values[8] = (8 << 20, 8 << 20)  // RLIMIT_MEMLOCK
        values[14] = (0, 0)  // RLIMIT_RTPRIO
        // RLIMIT_SIGPENDING: Linux derives it from memory; umlab also bounds the machine's
        // total (SignalQueueAccount.ceiling).
        values[11] = (UInt64(1 << 14), UInt64(1 << 14))
    }
    /// Indexes of the limits the kernel consults by name.
    public static let cpuTime = 0, fileSize = 1
    public var queuedSignals: UInt64 { values[11].soft }
    public var openFiles: Int { Int(min(values[7].soft, 1 << 20)) }
}

/// ITIMER_REAL / alarm state.
/// sigaltstack(2) state.
public struct AltStack {
    public var base: UInt64 = 0
    public var size: UInt64 = 0
    public var flags: Int32 = 2  // SS_DISABLE
    public static let onStack: Int32 = 1, disable: Int32 = 2, autoDisarm: Int32 = Int32(bitPattern: 0x8000_0000)
    public init() {}
    public init(base: UInt64, size: UInt64, flags: Int32) { self.base = base; self.size = size; self.flags = flags }
    public func contains(_ sp: UInt64) -> Bool { flags & AltStack.disable == 0 && sp > base && sp - base <= size }

    /// The alternate stack sigaltstack(2) sets for these settings, with Linux's checks
    /// (do_sigaltstack): EINVAL for a mode other than 0, SS_ONSTACK or SS_DISABLE (besides the
    /// SS_AUTODISARM bit), ENOMEM for a stack smaller than MINSIGSTKSZ (2048 bytes).
    public static func requested(base: UInt64, size: UInt64, flags: Int32) throws(LinuxErrno) -> AltStack {
        let mode = flags & ~autoDisarm
        guard mode == 0 || mode == onStack || mode == disable else { throw .EINVAL }
        if mode == disable { return AltStack() }
        guard size >= 2048 else { throw .ENOMEM }
        return AltStack(base: base, size: size, flags: flags & autoDisarm)
    }
}

/// rt_sigaction state, shared between tasks cloned with CLONE_SIGHAND.
public final class SignalHandlers {
    public struct Action {
        public var handler: UInt64 = 0  // SIG_DFL = 0, SIG_IGN = 1
        public var flags: UInt64 = 0
        public var restorer: UInt64 = 0
        public var mask = SignalSet.empty
        public static let defaultHandler: UInt64 = 0, ignoreHandler: UInt64 = 1
        public init() {}
    }
    public var actions = [Action](repeating: Action(), count: Int(Signal.max) + 1)
    public init() {}
    public func copy() -> SignalHandlers {
        let c = SignalHandlers()
        c.actions = actions
        return c
    }
    /// execve: caught signals go back to their default; ignored ones stay ignored.
    public func resetForExec() {
        for i in actions.indices where actions[i].handler != Action.ignoreHandler {
            actions[i] = Action()
        }
    }
    /// True when a signal with this disposition would simply be discarded.
    func ignores(_ s: Signal) -> Bool {
        let a = actions[Int(s.rawValue)]
        if a.handler == Action.ignoreHandler { return !s.isUncatchable }
        return a.handler == Action.defaultHandler && s.defaultAction == .ignore
    }
}

/// What sent a signal and why: the fields of siginfo_t the kernel fills in.
public struct SignalInfo {
    public var signal: Signal
    public var code: Int32
    public var senderPID: Int32 = 0
    public var senderUID: UInt32 = 0
    public var address: UInt64 = 0
    public var status: Int32 = 0
    public var timerID: Int32 = 0
    /// A POSIX timer's si_overrun, set when the signal is taken.
    public var overrun: Int32 = 0
    /// The arming of the POSIX timer that queued this record (0: not a timer's): such records
    /// are preallocated with the timer, not charged per signal (`PendingSignals.add`), and a
    /// record from an earlier arming does not re-arm the timer.
    var timerArming: UInt64 = 0
    /// si_value of sigqueue(3) (SI_QUEUE) and timers.
    public var value: UInt64 = 0
    /// si_fd and si_band of an O_ASYNC signal sent with F_SETSIG (the descriptor, its poll events).
    public var fd: Int32 = 0
    public var band: Int64 = 0
    public init(signal: Signal, code: Int32) { self.signal = signal; self.code = code }

    /// Which union member of siginfo the kernel fills in (Linux's siginfo_layout).
    enum Layout { case kill, fault, child, poll, timer, realtime }
    var layout: Layout {
        let code = code
        if code > SignalCode.SI_USER && code < SignalCode.SI_KERNEL {
            // Codes the signal defines for itself first, then POLL_IN ... POLL_HUP for any other.
            switch signal {
            case .SIGSEGV, .SIGBUS, .SIGILL, .SIGFPE, .SIGTRAP: return .fault
            case .SIGCHLD: return .child
            default: return code <= 6 ? .poll : .kill
            }
        }
        if code == SignalCode.SI_TIMER { return .timer }
        if code == SignalCode.SI_SIGIO { return .poll }
        return code < 0 ? .realtime : .kill
    }

    /// siginfo_t (128 bytes) in the guest's layout: the union starts after three ints, aligned
    /// to the word size.
    public func encode(wordSize: Int, bigEndian: Bool) -> [UInt8] {
        var e = GuestEncoder(wordSize: wordSize, bigEndian: bigEndian)
        e.i32(signal.rawValue); e.i32(0); e.i32(code)
        e.align(wordSize)
        let isFault = [Signal.SIGSEGV, .SIGBUS, .SIGILL, .SIGFPE, .SIGTRAP].contains(signal)
        switch signal {
        case _ where layout == .poll:  // O_ASYNC with F_SETSIG: long si_band; int si_fd
            e.sword(band); e.i32(fd)
        case _ where isFault && code > 0:  // raised by an instruction: the faulting address
            e.word(address)
        case .SIGCHLD:
            e.i32(senderPID); e.u32(senderUID); e.i32(status)
        case _ where layout == .timer:  // int si_tid; int si_overrun; sigval_t si_value
            e.i32(timerID); e.i32(overrun); e.align(wordSize); e.word(value)
        default:
            e.i32(senderPID); e.u32(senderUID)
            if code == -1 || code == -2 || code == -3 { e.align(wordSize); e.word(value) }  // SI_QUEUE, SI_TIMER, SI_MESGQ: si_value
        }
        e.pad(to: 128)
        return e.bytes
    }
}

extension SignalInfo {
    /// `struct signalfd_siginfo` (128 bytes, the same layout on every ISA, in the guest's byte
    /// order), filled in as Linux's signalfd_copyinfo does for the siginfo's layout.
    func signalfdRecord(bigEndian: Bool) -> [UInt8] {
        var pid: Int32 = 0, uid: UInt32 = 0, fd: Int32 = 0, tid: UInt32 = 0, band: UInt32 = 0
        var status: Int32 = 0, int: Int32 = 0, ptr: UInt64 = 0, addr: UInt64 = 0
        switch layout {
        case .kill: pid = senderPID; uid = senderUID
        case .fault: addr = address
        case .child: pid = senderPID; uid = senderUID; status = self.status
        case .poll: band = UInt32(truncatingIfNeeded: self.band); fd = self.fd
        case .timer: tid = UInt32(bitPattern: timerID); ptr = value; int = Int32(truncatingIfNeeded: value)
        case .realtime: pid = senderPID; uid = senderUID; ptr = value; int = Int32(truncatingIfNeeded: value)
        }
        var e = GuestEncoder(wordSize: 8, bigEndian: bigEndian)
        e.u32(UInt32(bitPattern: signal.rawValue)); e.i32(0); e.i32(code)  // signo, errno, code
        e.u32(UInt32(bitPattern: pid)); e.u32(uid); e.i32(fd); e.u32(tid); e.u32(band)
        e.u32(layout == .timer ? UInt32(bitPattern: overrun) : 0); e.u32(0)  // overrun, trapno
        e.i32(status); e.i32(int); e.u64(ptr)
        e.u64(0); e.u64(0)  // utime, stime
        e.u64(addr)
        e.pad(to: 128)
        return e.bytes
    }
}

/// The machine's queued signal records, as Linux's per-user RLIMIT_SIGPENDING count: every
/// record is umlab memory, so a guest that queues real-time signals it keeps blocked is bounded
/// by the limit of its target and by `ceiling`, whatever limit a root guest sets.
public final class SignalQueueAccount {
    /// The most records the machine holds at once, whatever the guests' limits say.
    public let ceiling: Int
    public internal(set) var queued = 0
    public init(ceiling: Int = 1 << 16) { self.ceiling = ceiling }
    /// Whether one more record fits under the ceiling and a target's RLIMIT_SIGPENDING.
    func hasRoom(under limit: UInt64) -> Bool { queued < ceiling && UInt64(queued) < limit }
}

/// Signals waiting for delivery: one slot per standard signal (they do not queue), a queue for
/// real-time ones. Each record is charged to the machine's `SignalQueueAccount` until it is
/// taken, discarded or dropped with its task or process.
public final class PendingSignals {
    public private(set) var set = SignalSet.empty
    private(set) var infos: [SignalInfo] = []
    let account: SignalQueueAccount

    init(account: SignalQueueAccount) { self.account = account }
    deinit { account.queued -= infos.count(where: { $0.timerArming == 0 }) }

    /// Marks `info`'s signal pending and queues its record if `limit` (the target's
    /// RLIMIT_SIGPENDING) and the machine's ceiling leave room. A standard signal already
    /// pending is merged. Without room the signal is still pending but its information is lost
    /// (delivered as from SI_USER, pid 0), as Linux does for kill(2); returns false then, so a
    /// sigqueue(3) caller can fail with EAGAIN instead (`Kernel.canQueue`).
    @discardableResult
    func add(_ info: SignalInfo, limit: UInt64 = ResourceLimits.infinity) -> Bool {
        if info.timerArming != 0 {
            // A POSIX timer's record: charged when the timer was made, queued even beside a
            // pending standard signal (Linux's send_sigqueue); at most one per timer.
            set.insert(info.signal)
            infos.append(info)
            return true
        }
        if info.signal.rawValue < 32 && set.contains(info.signal) { return true }
        set.insert(info.signal)
        guard account.hasRoom(under: limit) else { return false }
        infos.append(info)
        account.queued += 1
        return true
    }
    /// Removes and returns the lowest-numbered pending signal not in `blocked`.
    func take(notIn blocked: SignalSet) -> SignalInfo? {
        let deliverable = SignalSet(rawValue: set.rawValue & ~blocked.rawValue)
        guard let sig = deliverable.lowest else { return nil }
        return take(sig)
    }
    func take(_ sig: Signal) -> SignalInfo? {
        guard set.contains(sig) else { return nil }
        guard let i = infos.firstIndex(where: { $0.signal == sig }) else {
            // Pending without a record (the queue was full when it was sent).
            set.remove(sig)
            return SignalInfo(signal: sig, code: SignalCode.SI_USER)
        }
        let info = infos.remove(at: i)
        if info.timerArming == 0 { account.queued -= 1 }
        if !infos.contains(where: { $0.signal == sig }) { set.remove(sig) }
        return info
    }
    func discard(_ sig: Signal) {
        let before = infos.count(where: { $0.timerArming == 0 })
        infos.removeAll { $0.signal == sig }
        account.queued -= before - infos.count(where: { $0.timerArming == 0 })
        set.remove(sig)
    }
    /// Whether a record of POSIX timer `id`'s current `arming` is queued here.
    func hasTimerRecord(_ id: Int32, arming: UInt64) -> Bool { infos.contains { $0.timerArming == arming && $0.timerID == id } }
}

/// Working directory, root and umask, shared between tasks cloned with CLONE_FS.
public final class FSContext {
    public var cwd: Location
    public var root: Location
    public var umask: UInt32 = 0o022
    init(cwd: Location, root: Location) { self.cwd = cwd; self.root = root }
    func copy() -> FSContext {
        let c = FSContext(cwd: cwd, root: root)
        c.umask = umask
        return c
    }
}
