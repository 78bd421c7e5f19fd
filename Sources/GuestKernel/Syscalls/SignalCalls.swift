import HostOS
import LinuxABI

// rt_sigaction, rt_sigprocmask, rt_sigreturn, kill/tgkill/tkill, sigaltstack, pause,
// rt_sigsuspend, rt_sigpending, alarm/setitimer/getitimer.

extension CoreSyscalls {
    /// struct sigaction as the kernel takes it: handler, flags, restorer, mask; without the
    /// restorer where the ISA has none (`GuestABI.sigactionHasRestorer`).
    static func rtSigaction(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let sig = Signal(c.int(0)), newAddr = c.word(1), oldAddr = c.word(2)
        guard sig.isValid, c.word(3) == 8 else { throw .EINVAL }
        let old = c.task.handlers.actions[Int(sig.rawValue)]
        var new: SignalHandlers.Action?
        if newAddr != 0 {
            if sig.isUncatchable { throw .EINVAL }
            let words = c.abi.sigactionHasRestorer ? 3 : 2
            var d = GuestDecoder(try c.mm.read(newAddr, count: words * c.abi.wordSize + 8), c.abi)
            var a = SignalHandlers.Action()
            a.handler = d.word(); a.flags = d.word()
            if c.abi.sigactionHasRestorer { a.restorer = d.word() }
            a.mask = SignalSet(rawValue: readSigset(&d, c.abi) & SignalSet.blockable.rawValue)
            new = a
        }
        if oldAddr != 0 {
            var e = GuestEncoder(c.abi)
            e.word(old.handler); e.word(old.flags)
            if c.abi.sigactionHasRestorer { e.word(old.restorer) }
            writeSigset(&e, old.mask.rawValue)
            try c.mm.write(oldAddr, e.bytes)
        }
        if let new {
            c.task.handlers.actions[Int(sig.rawValue)] = new
            // Setting a signal to be ignored discards it where pending (POSIX).
            if c.task.handlers.ignores(sig) {
                for t in c.task.process.threads { t.pending.discard(sig) }
                c.task.process.pending.discard(sig)
            }
        }
        return .zero
    }

    /// A write found no reader at the other end of a pipe or socket: SIGPIPE goes to the writing
    /// thread, and the call fails with the EPIPE this returns. The write paths call it where the
    /// call's flags are known (a send with MSG_NOSIGNAL passes `signal: false`).
    static func brokenPipe(_ c: SyscallCall, signal: Bool = true) -> LinuxErrno {
        if signal {
            var info = SignalInfo(signal: .SIGPIPE, code: SignalCode.SI_USER)
            info.senderPID = c.task.process.pid
            c.kernel.send(info, to: c.task)
        }
        return .EPIPE
    }

    /// A 64-bit sigset in the guest's layout (two 32-bit words on 32-bit ISAs, in order).
    static func readSigset(_ d: inout GuestDecoder, _ abi: GuestABI) -> UInt64 {
        if abi.wordSize == 8 { return d.u64() }
        let lo = UInt64(d.u32()), hi = UInt64(d.u32())
        return lo | hi << 32
    }
    static func writeSigset(_ e: inout GuestEncoder, _ v: UInt64) {
        if e.wordSize == 8 { e.u64(v) } else { e.u32(UInt32(truncatingIfNeeded: v)); e.u32(UInt32(v >> 32)) }
    }
    static func readSigset(_ c: SyscallCall, _ addr: UInt64) throws(LinuxErrno) -> SignalSet {
        var d = GuestDecoder(try c.mm.read(addr, count: 8), c.abi)
        return SignalSet(rawValue: readSigset(&d, c.abi))
    }

    static func rtSigprocmask(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let how = c.int(0), setAddr = c.word(1), oldAddr = c.word(2)
        guard c.word(3) == 8 else { throw .EINVAL }
        let old = c.task.signalMask
        if setAddr != 0 {
            let set = try readSigset(c, setAddr).rawValue
            var m = old.rawValue
            switch how {
            case 0: m |= set  // SIG_BLOCK
            case 1: m &= ~set  // SIG_UNBLOCK
            case 2: m = set  // SIG_SETMASK
            default: throw .EINVAL
            }
            c.task.signalMask = SignalSet(rawValue: m & SignalSet.blockable.rawValue)
        }
        if oldAddr != 0 {
            var e = GuestEncoder(c.abi)
            writeSigset(&e, old.rawValue)
            try c.mm.write(oldAddr, e.bytes)
        }
        return .zero
    }

    static func rtSigpending(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var e = GuestEncoder(c.abi)
        let pending = (c.task.pending.set.rawValue | c.task.process.pending.set.rawValue) & c.task.signalMask.rawValue
        writeSigset(&e, pending)
        try c.mm.write(c.word(0), e.bytes)
        return .zero
    }

    static func rtSigreturn(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        do {
            let (mask, alt) = try c.task.context.returnFromSignal()
            c.task.signalMask = SignalSet(rawValue: mask.rawValue & SignalSet.blockable.rawValue)
            // The frame's uc_stack goes through sigaltstack's checks; settings it refuses leave
            // the alternate stack as it is (Linux's restore_altstack ignores the error).
            if !c.task.altStack.contains(c.task.context.stackPointer),
               let restored = try? AltStack.requested(base: alt.base, size: alt.size, flags: alt.flags) {
                c.task.altStack = restored
            }
        } catch {
            // A corrupt frame: the process dies of SIGSEGV, as on Linux.
            c.kernel.forceSignal(SignalInfo(signal: .SIGSEGV, code: SignalCode.SI_KERNEL), to: c.task)
        }
        return .noReturn
    }

    static func kill(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        // Linux's order: the targets first (ESRCH when there are none; -INT_MIN does not
        // exist), then the signal number (EINVAL).
        let pid = c.int(0), sig = c.int(1)
        if pid == Int32.min { throw .ESRCH }
        let k = c.kernel
        var info = SignalInfo(signal: Signal(sig), code: SignalCode.SI_USER)
        info.senderPID = c.task.process.pid
        info.senderUID = c.task.process.credentials.uid
        let targets: [Process]
        if pid > 0 {
            guard let p = k.processes[pid], !p.reaped, p !== k.initProcess else { throw .ESRCH }
            if p.zombie {  // a zombie can still be signalled (nothing happens)
                guard sig >= 0, sig <= Signal.max else { throw .EINVAL }
                return .zero
            }
            targets = [p]
        } else if pid == 0 || pid < -1 {
            let g = pid == 0 ? c.task.process.pgid : -pid
            targets = k.processes.values.filter { $0.pgid == g && !$0.zombie && $0 !== k.initProcess }
        } else {
            targets = k.processes.values.filter { $0 !== k.initProcess && $0 !== c.task.process && !$0.zombie }
        }
        if targets.isEmpty { throw .ESRCH }
        guard sig >= 0, sig <= Signal.max else { throw .EINVAL }
        if sig == 0 { return .zero }
        for p in targets.sorted(by: { $0.pid < $1.pid }) { k.send(info, to: p) }
        return .zero
    }

    static func tgkill(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        guard c.int(0) > 0 else { throw .EINVAL }
        return try threadKill(c, tgid: c.int(0), tid: c.int(1), sig: c.int(2))
    }
    static func tkill(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try threadKill(c, tgid: nil, tid: c.int(0), sig: c.int(1))
    }
    /// tgkill/tkill, in Linux's order of checks: EINVAL for a tid (or tgid) <= 0, ESRCH for no
    /// such thread (in that group), then EINVAL for a bad signal number.
    static func threadKill(_ c: SyscallCall, tgid: Int32?, tid: Int32, sig: Int32) throws(LinuxErrno) -> SyscallOutcome {
        guard tid > 0 else { throw .EINVAL }
        guard let t = c.kernel.tasks[tid], t.state != .dead, tgid == nil || t.process.pid == tgid else { throw .ESRCH }
        guard sig >= 0, sig <= Signal.max else { throw .EINVAL }
        if sig == 0 { return .zero }
        var info = SignalInfo(signal: Signal(sig), code: SignalCode.SI_TKILL)
        info.senderPID = c.task.process.pid
        info.senderUID = c.task.process.credentials.uid
        c.kernel.send(info, to: t)
        return .zero
    }

    /// rt_sigqueueinfo / rt_tgsigqueueinfo: a signal with the sender's siginfo (sigqueue's value).
    static func rtSigqueueinfo(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try queueInfo(c, tgid: c.int(0), tid: nil, sig: c.int(1), infoAddr: c.word(2))
    }
    static func rtTgsigqueueinfo(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try queueInfo(c, tgid: c.int(0), tid: c.int(1), sig: c.int(2), infoAddr: c.word(3))
    }
    /// Linux's order: EFAULT for the siginfo, EINVAL for a tid or tgid <= 0
    /// (rt_tgsigqueueinfo), EPERM for a code only the kernel may send, ESRCH, then EINVAL for a
    /// bad signal number; signal 0 only checks that the target exists.
    static func queueInfo(_ c: SyscallCall, tgid: Int32, tid: Int32?, sig: Int32, infoAddr: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        var d = GuestDecoder(try c.mm.read(infoAddr, count: 128), c.abi)
        if let tid, tid <= 0 || tgid <= 0 { throw .EINVAL }
        _ = d.i32(); _ = d.i32()
        let code = d.i32()
        // Only the kernel may claim kernel codes, and a process may not pose as kill/tgkill of another.
        if (code >= 0 || code == SignalCode.SI_TKILL) && tgid != c.task.process.pid { throw .EPERM }
        d.offset = c.abi.wordSize == 8 ? 16 : 12
        var info = SignalInfo(signal: Signal(sig), code: code)
        info.senderPID = d.i32()
        info.senderUID = d.u32()
        info.value = d.word()
        if let tid {
            guard let t = c.kernel.tasks[tid], t.state != .dead, t.process.pid == tgid else { throw .ESRCH }
            guard sig >= 0, sig <= Signal.max else { throw .EINVAL }
            if sig != 0 {
                guard code == SignalCode.SI_USER || c.kernel.canQueue(sig, to: t.process) else { throw .EAGAIN }
                c.kernel.send(info, to: t)
            }
        } else {
            // kill_proc_info: a pid <= 0 names no process here (ESRCH).
            guard let p = c.kernel.processes[tgid], !p.reaped, p !== c.kernel.initProcess else { throw .ESRCH }
            guard sig >= 0, sig <= Signal.max else { throw .EINVAL }
            if sig != 0 && !p.zombie {
                guard code == SignalCode.SI_USER || c.kernel.canQueue(sig, to: p) else { throw .EAGAIN }
                c.kernel.send(info, to: p)
            }
        }
        return .zero
    }

    static func sigaltstack(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let newAddr = c.word(0), oldAddr = c.word(1)
        let t = c.task
        let onStack = t.altStack.contains(t.context.stackPointer)
        if oldAddr != 0 {
            var e = GuestEncoder(c.abi)
            e.word(t.altStack.base)
            e.i32((onStack ? AltStack.onStack : (t.altStack.flags & AltStack.disable)) | (t.altStack.flags & AltStack.autoDisarm))
            e.align(c.abi.wordSize)
            e.word(t.altStack.size)
            try c.mm.write(oldAddr, e.bytes)
        }
        if newAddr != 0 {
            if onStack { throw .EPERM }
            var d = GuestDecoder(try c.mm.read(newAddr, count: 3 * c.abi.wordSize), c.abi)
            let base = d.word()
            let flags = d.i32()
            if c.abi.wordSize == 8 { d.skip(4) }
            let size = d.word()
            t.altStack = try AltStack.requested(base: base, size: size, flags: flags)
        }
        return .zero
    }

    /// rt_sigtimedwait: takes a pending signal from `set` without running its handler.
    /// rt_sigtimedwait: takes a pending signal from `set` without running its handler. As in
    /// Linux's do_sigtimedwait, the timeout is checked (EINVAL) before anything is taken.
    static func rtSigtimedwait(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        guard c.word(3) == 8 else { throw .EINVAL }
        let set = SignalSet(rawValue: try readSigset(c, c.word(0)).rawValue & SignalSet.blockable.rawValue)
        var timeout: UInt64?
        if c.word(2) != 0 {
            let (s, ns) = try readTimespec(c, c.word(2))
            timeout = try GuestMath.nanoseconds(seconds: s, nanoseconds: ns)
        }
        let task = c.task
        let notWanted = SignalSet(rawValue: ~set.rawValue)
        if let info = c.kernel.takeSignal(task, notIn: notWanted) {
            if c.word(1) != 0 { try c.mm.write(c.word(1), info.encode(wordSize: c.abi.wordSize, bigEndian: c.abi.bigEndian)) }
            return .int(Int(info.signal.rawValue))
        }
        var until: UInt64?
        if let timeout {
            let d = deadline(c, after: timeout)
            if Host.monotonicNanoseconds() >= d { throw .EAGAIN }
            until = d
        }
        task.awaitedSignals = set
        return .block(.sleep(until: until))
    }

    static func pause(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        .block(.sleep(until: nil))
    }

    static func rtSigsuspend(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        guard c.word(1) == 8 else { throw .EINVAL }
        let task = c.task
        if task.savedMaskAfterSignal == nil {
            task.savedMaskAfterSignal = task.signalMask
            task.signalMask = SignalSet(rawValue: try readSigset(c, c.word(0)).rawValue & SignalSet.blockable.rawValue)
        }
        return .block(.sleep(until: nil))
    }

    // MARK: timers

    static func alarm(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let p = c.task.process
        let now = Host.monotonicNanoseconds()
        let remaining = p.realTimer?.deadline.map { $0 > now ? ($0 - now + 999_999_999) / 1_000_000_000 : 1 } ?? 0
        let secs = UInt64(c.uint(0))
        let deadline = GuestMath.deadline(now, after: GuestMath.saturating(secs, times: UInt64(GuestMath.nanosecondsPerSecond)))
        c.kernel.setRealTimer(p, deadline: secs == 0 ? nil : deadline, interval: 0)
        return .value(remaining)
    }

    /// A guest `struct timeval` as nanoseconds: EINVAL unless seconds >= 0 and 0 <= us < 10^6
    /// (Linux's timeval_valid, as setitimer checks it); huge values saturate.
    static func readTimeval(_ d: inout GuestDecoder) throws(LinuxErrno) -> UInt64 {
        let s = d.sword(), us = d.sword()
        return try GuestMath.nanoseconds(seconds: s, microseconds: us)
    }
    static func writeTimeval(_ e: inout GuestEncoder, _ ns: UInt64) {
        e.sword(Int64(ns / 1_000_000_000)); e.sword(Int64(ns % 1_000_000_000 / 1000))
    }

    /// setitimer in Linux's order: the new value is read and checked first (EFAULT, EINVAL),
    /// then `which`; the old value is written last. No new value disarms the timer.
    /// ITIMER_VIRTUAL and ITIMER_PROF run on the process's CPU clocks (Timers.swift).
    static func setitimer(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let which = c.int(0), newAddr = c.word(1), oldAddr = c.word(2)
        var interval: UInt64 = 0, value: UInt64 = 0
        if newAddr != 0 {
            var d = GuestDecoder(try c.mm.read(newAddr, count: 4 * c.abi.wordSize), c.abi)
            interval = try readTimeval(&d)
            value = try readTimeval(&d)
        }
        guard which >= 0, which <= 2 else { throw .EINVAL }
        let p = c.task.process
        let now = Host.monotonicNanoseconds()
        let old = which == 0 ? realTimerSetting(p, now: now) : c.kernel.cpuIntervalTimerSetting(p, which: which)
        if which == 0 {
            c.kernel.setRealTimer(p, deadline: value == 0 ? nil : GuestMath.deadline(now, after: value), interval: interval)
        } else {
            c.kernel.setCPUIntervalTimer(p, which: which, value: value, interval: interval)
        }
        if oldAddr != 0 {
            var e = GuestEncoder(c.abi)
            writeTimeval(&e, old.interval)
            writeTimeval(&e, old.value)
            try c.mm.write(oldAddr, e.bytes)
        }
        return .zero
    }
    static func getitimer(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let which = c.int(0)
        guard which >= 0, which <= 2 else { throw .EINVAL }
        let p = c.task.process
        let now = Host.monotonicNanoseconds()
        var e = GuestEncoder(c.abi)
        let t = which == 0 ? realTimerSetting(p, now: now) : c.kernel.cpuIntervalTimerSetting(p, which: which)
        writeTimeval(&e, t.interval)
        writeTimeval(&e, t.value)
        try c.mm.write(c.word(1), e.bytes)
        return .zero
    }

    /// ITIMER_REAL's (interval, value): a timer due but not yet fired reads 1 µs, as Linux's
    /// (a one-shot that fired reads 0).
    static func realTimerSetting(_ p: Process, now: UInt64) -> (interval: UInt64, value: UInt64) {
        guard let t = p.realTimer, let d = t.deadline, !(t.expired && t.interval == 0) else { return (0, 0) }
        return (t.interval, d > now ? d - now : 1000)
    }
}
