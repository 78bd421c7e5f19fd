import HostOS
import LinuxABI

// The kernel's interval timers (ITIMER_REAL, timerfds, POSIX timers) share one type,
// `KernelTimer`: a deadline on the kernel's `TimerQueue`, a period, and what to do at expiry.
// A periodic timer is not re-armed at every period by the kernel: its owner moves it forward
// when the expiry has been consumed — a timerfd when it is read, a POSIX timer when its signal
// is delivered (Linux's posixtimer_rearm), counting the periods that passed as overruns — so a
// 1 ns period costs one timer event per read or delivery, not one per nanosecond. ITIMER_REAL
// re-arms at once, as Linux's it_real_fn does (a pending SIGALRM merges).
//
// CPU-time clocks are the kernel's accounting of guest time (`Task.userTime`/`systemTime`,
// kept by the scheduler around each slice and system call), whatever the backend. A timer on
// such a clock goes on the heap at the monotonic time its clock would reach the deadline if the
// task ran all along, and is put back if it has not.

/// One interval timer on the kernel's timer heap.
final class KernelTimer {
    enum Clock {
        /// Deadlines are monotonic nanoseconds (absolute REALTIME/BOOTTIME times are converted
        /// when the timer is set).
        case monotonic
        /// Deadlines are CPU nanoseconds of a task or process (the closure reads the clock).
        case cpu(() -> UInt64)
    }
    unowned let kernel: Kernel
    let clock: Clock
    /// When it expires next on its clock, or last expired (one-shot); nil when disarmed.
    private(set) var deadline: UInt64?
    private(set) var interval: UInt64 = 0
    /// It fired and its owner has not moved it forward since (Linux's ctx->expired).
    private(set) var expired = false
    /// Bumped whenever it is armed, disarmed or moved: the heap's earlier entries go stale.
    private(set) var generation: UInt64 = 0
    /// What the owner does when it fires.
    var onExpiry: () -> Void = {}

    init(kernel: Kernel, clock: Clock = .monotonic) { self.kernel = kernel; self.clock = clock }

    /// The timer's clock now.
    var now: UInt64 {
        switch clock {
        case .monotonic: return Host.monotonicNanoseconds()
        case .cpu(let read): return read()
        }
    }

    /// Arms it: the first expiry at `deadline` on its clock (nil disarms), then every
    /// `interval` ns (0: once).
    func arm(deadline: UInt64?, interval: UInt64) {
        self.deadline = deadline
        self.interval = deadline == nil ? 0 : interval
        expired = false
        schedule()
    }

    func disarm() { arm(deadline: nil, interval: 0) }

    /// Puts the current deadline on the heap (a fresh generation).
    private func schedule() {
        generation &+= 1
        guard let d = deadline else { return }
        var at = d
        if case .cpu(let read) = clock {
            let used = read()
            at = GuestMath.deadline(Host.monotonicNanoseconds(), after: d > used ? d - used : 0)
        }
        kernel.addTimer(.init(deadline: at, generation: generation, owner: .timer(self)))
    }

    /// The heap reached its entry. A CPU-time timer whose clock is not there yet goes back.
    func fire() {
        if case .cpu(let read) = clock, let d = deadline, read() < d {
            schedule()
            return
        }
        expired = true
        onExpiry()
    }

    /// Moves an expired periodic timer past `now` (Linux's hrtimer_forward_now); returns the
    /// periods passed since the expiry it was armed for, that one included (0 if none).
    func forward(_ now: UInt64) -> UInt64 {
        guard expired, interval > 0, let d = deadline, now >= d else { return 0 }
        let periods = GuestMath.saturating((now - d) / interval, times: 1, plus: 1)
        deadline = GuestMath.saturating(periods, times: interval, plus: d)
        return periods
    }

    /// After `forward`: the timer runs again for its next period.
    func restart() {
        guard expired, interval > 0 else { return }
        expired = false
        schedule()
    }

    /// The owner took note of a one-shot expiry (a timerfd read).
    func acknowledge() { expired = false }

    /// Nanoseconds to the next expiry (0 when due or disarmed).
    func remaining(_ now: UInt64) -> UInt64 { deadline.map { $0 > now ? $0 - now : 0 } ?? 0 }
}

// MARK: - POSIX timers

/// A timer_create(2) timer of one process.
final class PosixTimer {
    let id: Int32
    let clockID: Int32
    /// SIGEV_SIGNAL (and SIGEV_THREAD, which the kernel treats alike), SIGEV_NONE, SIGEV_THREAD_ID.
    let notify: Int32
    let signal: Signal?
    let value: UInt64
    /// SIGEV_THREAD_ID's thread.
    let threadID: Int32
    let timer: KernelTimer
    /// Periods counted by forwarding since the last delivery (Linux's it_overrun + 1).
    var periodsSinceDelivery: UInt64 = 0
    /// The overrun of the last delivered expiry (timer_getoverrun).
    var overrunLast: Int32 = 0
    /// Bumped by every timer_settime: a signal queued by an earlier arming does not re-arm it
    /// (Linux's it_requeue_pending).
    var arming: UInt64 = 0

    init(id: Int32, clockID: Int32, notify: Int32, signal: Signal?, value: UInt64, threadID: Int32, timer: KernelTimer) {
        self.id = id; self.clockID = clockID; self.notify = notify; self.signal = signal
        self.value = value; self.threadID = threadID; self.timer = timer
    }

    static let sigevSignal: Int32 = 0, sigevNone: Int32 = 1, sigevThread: Int32 = 2, sigevThreadID: Int32 = 4
}

extension Kernel {
    /// A POSIX timer expired: its signal is queued (once: a timer whose signal is still pending
    /// queues no second one), to the process or to its SIGEV_THREAD_ID thread.
    func posixTimerExpired(_ t: PosixTimer, of process: Process) {
        guard t.notify != PosixTimer.sigevNone, let sig = t.signal else { return }
        t.arming = max(t.arming, 1)
        var info = SignalInfo(signal: sig, code: SignalCode.SI_TIMER)
        info.timerID = t.id
        info.value = t.value
        info.timerArming = t.arming
        if t.notify == PosixTimer.sigevThreadID {
            guard let task = tasks[t.threadID], task.process === process else { return }
            if task.pending.hasTimerRecord(t.id, arming: t.arming) { return }
            send(info, to: task)
        } else {
            if process.pending.hasTimerRecord(t.id, arming: t.arming) { return }
            send(info, to: process)
        }
    }

    /// A timer's signal is being taken (delivery, sigwaitinfo, a signalfd read): a periodic
    /// timer is moved past now and re-armed, and the periods it missed become si_overrun and
    /// timer_getoverrun's answer (Linux's posixtimer_rearm). Returns false for the record of a
    /// timer deleted or set again since it was queued: Linux (6.13 on) drops it.
    func timerSignalTaken(_ info: inout SignalInfo, by process: Process) -> Bool {
        guard let t = process.posixTimers[info.timerID], t.arming == info.timerArming else { return false }
        guard t.timer.interval > 0 else { return true }
        let periods = GuestMath.saturating(t.periodsSinceDelivery, times: 1, plus: t.timer.forward(t.timer.now))
        t.periodsSinceDelivery = 0
        t.overrunLast = Int32(clamping: periods > 0 ? periods - 1 : 0)
        info.overrun = t.overrunLast
        t.timer.restart()
        return true
    }

    /// The next pending signal of `task` not in `blocked`, thread-directed ones first, with a
    /// POSIX timer's bookkeeping done.
    func takeSignal(_ task: Task, notIn blocked: SignalSet) -> SignalInfo? {
        while var info = task.pending.take(notIn: blocked) ?? task.process.pending.take(notIn: blocked) {
            if info.timerArming == 0 || timerSignalTaken(&info, by: task.process) { return info }
        }
        return nil
    }

    /// Deletes a POSIX timer: disarmed, its reservation returned. A record it queued stays
    /// pending and is dropped when taken (`takeSignal`).
    func deletePosixTimer(_ t: PosixTimer, of p: Process) {
        t.timer.disarm()
        p.posixTimers[t.id] = nil
        signalQueue.queued -= 1
    }

    /// Deletes every POSIX timer of a process (at exit and exec).
    func deletePosixTimers(_ p: Process) {
        for t in Array(p.posixTimers.values) { deletePosixTimer(t, of: p) }
    }

    /// ITIMER_REAL (setitimer, alarm): the first expiry at `deadline` (nil disarms), then every
    /// `interval` ns. Expiry sends SIGALRM and re-arms at once.
    func setRealTimer(_ p: Process, deadline: UInt64?, interval: UInt64) {
        if p.realTimer == nil {
            let t = KernelTimer(kernel: self)
            t.onExpiry = { [unowned self, unowned p, unowned t] in
                var info = SignalInfo(signal: .SIGALRM, code: SignalCode.SI_KERNEL)
                info.senderPID = 0
                self.send(info, to: p)
                if t.interval == 0 { t.disarm(); return }
                _ = t.forward(t.now)
                t.restart()
            }
            p.realTimer = t
        }
        p.realTimer!.arm(deadline: deadline, interval: interval)
    }

    // MARK: CPU-time interval timers and RLIMIT_CPU

    /// A clock of process `p` for its own timers: user time alone (ITIMER_VIRTUAL's) or user
    /// and system time (ITIMER_PROF's, RLIMIT_CPU's). Weak: a process that is gone stands still.
    private func processClock(_ p: Process, userOnly: Bool) -> KernelTimer.Clock {
        weak let process = p
        return .cpu({ [unowned self] in process.map { let t = self.cpuTime($0); return userOnly ? t.user : t.user &+ t.system } ?? 0 })
    }

    /// ITIMER_VIRTUAL (`which` 1: the process's user time, SIGVTALRM) and ITIMER_PROF (2: user
    /// and system time, SIGPROF): the first expiry `value` ns of that clock from now (0
    /// disarms), then every `interval` ns. As ITIMER_REAL, expiry sends the signal (SI_KERNEL,
    /// to the process) and re-arms at once. Not inherited by fork, kept across execve.
    func setCPUIntervalTimer(_ p: Process, which: Int32, value: UInt64, interval: UInt64) {
        let index = Int(which) - 1
        if p.cpuIntervalTimers[index] == nil {
            let t = KernelTimer(kernel: self, clock: processClock(p, userOnly: which == 1))
            let signal: Signal = which == 1 ? .SIGVTALRM : .SIGPROF
            t.onExpiry = { [unowned self, unowned p, unowned t] in
                self.send(SignalInfo(signal: signal, code: SignalCode.SI_KERNEL), to: p)
                if t.interval == 0 { t.disarm(); return }
                _ = t.forward(t.now)
                t.restart()
            }
            p.cpuIntervalTimers[index] = t
        }
        let t = p.cpuIntervalTimers[index]!
        t.arm(deadline: value == 0 ? nil : GuestMath.deadline(t.now, after: value), interval: interval)
    }

    /// ITIMER_VIRTUAL's or ITIMER_PROF's (interval, value) for getitimer and setitimer's old value.
    func cpuIntervalTimerSetting(_ p: Process, which: Int32) -> (interval: UInt64, value: UInt64) {
        guard let t = p.cpuIntervalTimers[Int(which) - 1], t.deadline != nil else { return (0, 0) }
        return (t.interval, max(t.remaining(t.now), 1000))
    }

    /// Arms RLIMIT_CPU's timer for the process's soft limit (after setrlimit/prlimit, and in a
    /// new process that inherits a limit): it fires at the soft or the hard limit, in seconds
    /// of the process's CPU time (user and system), whichever comes first.
    func armCPULimit(_ p: Process) {
        let (soft, hard) = p.limits.values[ResourceLimits.cpuTime]
        guard soft != ResourceLimits.infinity else { p.cpuLimitTimer?.disarm(); return }
        if p.cpuLimitTimer == nil {
            let t = KernelTimer(kernel: self, clock: processClock(p, userOnly: false))
            t.onExpiry = { [unowned self, unowned p] in self.cpuLimitReached(p) }
            p.cpuLimitTimer = t
        }
        let seconds = min(soft, hard)
        p.cpuLimitTimer!.arm(deadline: GuestMath.saturating(seconds, times: UInt64(GuestMath.nanosecondsPerSecond)), interval: 0)
    }

    /// RLIMIT_CPU reached (Linux's check_process_timers): at the hard limit SIGKILL; at the soft
    /// limit SIGXCPU, and the soft limit moves one second on (getrlimit shows it), so that
    /// SIGXCPU comes again each second until the hard limit.
    private func cpuLimitReached(_ p: Process) {
        let (soft, hard) = p.limits.values[ResourceLimits.cpuTime]
        guard soft != ResourceLimits.infinity else { return }
        let time = cpuTime(p), used = time.user &+ time.system
        let second = UInt64(GuestMath.nanosecondsPerSecond)
        if hard != ResourceLimits.infinity && used >= GuestMath.saturating(hard, times: second) {
            send(SignalInfo(signal: .SIGKILL, code: SignalCode.SI_KERNEL), to: p)
            return
        }
        if used >= GuestMath.saturating(soft, times: second) {
            send(SignalInfo(signal: .SIGXCPU, code: SignalCode.SI_KERNEL), to: p)
            p.limits.values[ResourceLimits.cpuTime].soft = soft + 1
        }
        armCPULimit(p)
    }

    /// A process's timers at its end: none may fire for it any more.
    func disarmProcessTimers(_ p: Process) {
        p.realTimer?.disarm()
        for t in p.cpuIntervalTimers { t?.disarm() }
        p.cpuLimitTimer?.disarm()
        deletePosixTimers(p)
    }

    // MARK: CPU time

    /// A process's CPU time (user, system): its live threads' and its exited threads'.
    func cpuTime(_ p: Process) -> (user: UInt64, system: UInt64) {
        var u = p.exitedThreadsTime.user, s = p.exitedThreadsTime.system
        for t in p.threads { u &+= t.userTime; s &+= t.systemTime }
        return (u, s)
    }

    /// The clock a CPU-time clock id names (clock_gettime, timer_create), as Linux's
    /// pid_for_clock: 2 and 3 are the caller's process and thread; a negative id encodes a pid
    /// (~pid << 3), per-thread (bit 2) and which time (bits 0–1: user+system, user, and the
    /// scheduler's runtime, which is user+system here). nil: EINVAL.
    func cpuClock(_ id: Int32, caller: Task) -> (() -> UInt64)? {
        // Weak: a timer on another process's or thread's clock must not keep it alive; a clock
        // whose owner is gone stands still.
        if id == 2 {
            weak let p = caller.process
            return { [unowned self] in p.map { let t = self.cpuTime($0); return t.user &+ t.system } ?? 0 }
        }
        if id == 3 { weak let task = caller; return { task.map { $0.userTime &+ $0.systemTime } ?? 0 } }
        guard id < 0, id & 3 != 3 else { return nil }
        let pid = ~(id >> 3), thread = id & 4 != 0, userOnly = id & 3 == 1
        if thread {
            guard let found = pid == 0 ? caller : tasks[pid], found.process === caller.process, found.state != .dead else { return nil }
            weak let task = found
            return { task.map { userOnly ? $0.userTime : $0.userTime &+ $0.systemTime } ?? 0 }
        }
        let found: Process
        if pid == 0 {
            found = caller.process
        } else if let p = processes[pid], !p.zombie, !p.reaped {
            found = p
        } else if pid == caller.tid {
            found = caller.process  // clock_gettime(PROCESS) by the caller's own tid
        } else {
            return nil
        }
        weak let process = found
        return { [unowned self] in process.map { let t = self.cpuTime($0); return userOnly ? t.user : t.user &+ t.system } ?? 0 }
    }
}

extension CoreSyscalls {
    /// timer_create(clock, sevp, timerid) in Linux's order: EFAULT for the sigevent; EINVAL
    /// for an unknown clock, EOPNOTSUPP for clocks without timers (MONOTONIC_RAW, the COARSE
    /// ones), EPERM for the alarm clocks without root; EAGAIN past RLIMIT_SIGPENDING (each timer
    /// holds one signal record, as Linux preallocates it); EINVAL for a bad notification (a
    /// signal outside 1–64, SIGEV_THREAD_ID naming no thread of the process); EFAULT for
    /// timerid. No sigevent: SIGEV_SIGNAL with SIGALRM and the timer id as the value.
    static func timerCreate(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let clockID = c.int(0), eventAddress = c.word(1)
        var event: (value: UInt64, signal: Int32, notify: Int32, thread: Int32)?
        if eventAddress != 0 {
            var d = GuestDecoder(try c.mm.read(eventAddress, count: 64), c.abi)
            let value = d.word()
            event = (value, d.i32(), d.i32(), d.i32())
        }
        let k = c.kernel, p = c.task.process
        var cpu: (() -> UInt64)?
        switch clockID {
        case 0, 1, 7, 11: break
        case 8, 9: if !p.credentials.isRoot { throw .EPERM }
        case 4, 5, 6: throw .EOPNOTSUPP
        default:
            guard clockID == 2 || clockID == 3 || clockID < 0 else { throw .EINVAL }
            // Linux looks the clock's task up at the end (EINVAL); a bad id is EINVAL too.
            cpu = k.cpuClock(clockID, caller: c.task)
            if cpu == nil { throw .EINVAL }
        }
        guard k.signalQueue.hasRoom(under: p.limits.queuedSignals) else { throw .EAGAIN }
        var id = p.nextTimerID
        while p.posixTimers[id] != nil { id = id == Int32.max ? 0 : id + 1 }
        let notify = event?.notify ?? PosixTimer.sigevSignal
        var signal: Signal? = .SIGALRM
        var thread: Int32 = 0
        if let event {
            switch notify {
            case PosixTimer.sigevNone: signal = nil
            case PosixTimer.sigevSignal, PosixTimer.sigevThread, PosixTimer.sigevThreadID:
                if notify == PosixTimer.sigevThreadID {
                    guard let t = k.tasks[event.thread], t.process === p else { throw .EINVAL }
                    thread = event.thread
                }
                guard event.signal >= 1, event.signal <= Signal.max else { throw .EINVAL }
                signal = Signal(event.signal)
            default: throw .EINVAL
            }
        }
        var e = GuestEncoder(c.abi)
        e.i32(id)
        try c.mm.write(c.word(2), e.bytes)
        let kernelTimer = KernelTimer(kernel: k, clock: cpu.map { .cpu($0) } ?? .monotonic)
        let t = PosixTimer(id: id, clockID: clockID, notify: notify, signal: signal,
                           value: event?.value ?? UInt64(UInt32(bitPattern: id)), threadID: thread, timer: kernelTimer)
        kernelTimer.onExpiry = { [unowned k, unowned t, unowned p] in k.posixTimerExpired(t, of: p) }
        p.posixTimers[id] = t
        p.nextTimerID = id == Int32.max ? 0 : id + 1
        k.signalQueue.queued += 1
        return .zero
    }

    static func posixTimer(_ c: SyscallCall, _ id: Int32) throws(LinuxErrno) -> PosixTimer {
        guard let t = c.task.process.posixTimers[id] else { throw .EINVAL }
        return t
    }

    /// (interval, value) of a timer as timer_gettime and timer_settime's old value report
    /// them: a one-shot timer that fired reads as disarmed; a periodic one whose signal is
    /// pending is moved forward (the periods add to the overrun); a signal timer due but not
    /// yet fired reads 1 ns (Linux's common_timer_get).
    static func currentSetting(_ t: PosixTimer) -> (interval: UInt64, value: UInt64) {
        let timer = t.timer
        guard timer.deadline != nil else { return (0, 0) }
        if timer.expired && timer.interval == 0 { return (0, 0) }
        let now = timer.now
        if timer.expired {
            t.periodsSinceDelivery = GuestMath.saturating(t.periodsSinceDelivery, times: 1, plus: timer.forward(now))
            if t.notify == PosixTimer.sigevNone {
                t.periodsSinceDelivery = 0
                timer.restart()
            }
        }
        let left = timer.remaining(now)
        return (timer.interval, left == 0 && t.notify != PosixTimer.sigevNone ? 1 : left)
    }

    /// timer_settime(id, flags, new, old) in Linux's order: EINVAL without `new`, EFAULT for
    /// it, EINVAL for an invalid timespec, then for the id; the old setting is written last.
    /// TIMER_ABSTIME takes the value on the timer's clock; a time already past fires at once.
    static func timerSettime(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let newAddress = c.word(2)
        guard newAddress != 0 else { throw .EINVAL }
        let size = c.time64 ? 16 : 2 * c.abi.wordSize
        let (iSec, iNS) = try readTimespec(c, newAddress)
        guard let valueAddress = GuestMath.end(newAddress, UInt64(size), top: c.abi.wordMask) else { throw .EFAULT }
        let (vSec, vNS) = try readTimespec(c, valueAddress)
        let interval = try GuestMath.kernelTime(seconds: iSec, nanoseconds: iNS)
        let value = try GuestMath.kernelTime(seconds: vSec, nanoseconds: vNS)
        let t = try posixTimer(c, c.int(0))
        let old = currentSetting(t)
        let absolute = c.int(1) & timerAbsolute != 0
        let deadline: UInt64?
        if value == 0 {
            deadline = nil
        } else if case .cpu = t.timer.clock {
            deadline = absolute ? value : GuestMath.deadline(t.timer.now, after: value)
        } else {
            deadline = try timerDeadline(t.clockID == 11 ? clockRealtime : t.clockID, value, absolute: absolute)
        }
        t.arming &+= 1
        t.periodsSinceDelivery = 0
        t.overrunLast = 0
        t.timer.arm(deadline: deadline, interval: interval)
        if c.word(3) != 0 { try c.mm.write(c.word(3), itimerspecBytes(c, old.interval, old.value)) }
        return .zero
    }

    static func timerGettime(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let t = try posixTimer(c, c.int(0))
        let now = currentSetting(t)
        try c.mm.write(c.word(1), itimerspecBytes(c, now.interval, now.value))
        return .zero
    }

    static func timerGetoverrun(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        .int(Int(try posixTimer(c, c.int(0)).overrunLast))
    }

    static func timerDelete(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let p = c.task.process
        c.kernel.deletePosixTimer(try posixTimer(c, c.int(0)), of: p)
        return .zero
    }
}
