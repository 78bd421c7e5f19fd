import HostOS
import LinuxABI

// Signal generation and delivery. Signals are entirely the kernel's business: host signals never
// reach guest handlers; the kernel decides, and asks the backend to build a handler frame.

extension Kernel {
    /// Sends a signal to a whole process (kill(2)); one of its threads that does not block it
    /// will take it.
    public func send(_ info: SignalInfo, to process: Process) {
        guard !process.zombie, let any = process.threads.first else { return }
        let sig = info.signal
        if sig == .SIGCONT || sig == .SIGKILL { resume(process) }
        if [.SIGSTOP, .SIGTSTP, .SIGTTIN, .SIGTTOU].contains(sig) { process.pending.discard(.SIGCONT) }
        if sig == .SIGCONT { for s in [Signal.SIGSTOP, .SIGTSTP, .SIGTTIN, .SIGTTOU] { process.pending.discard(s) } }
        // Ignored signals are dropped at once, unless blocked by every thread (they may be
        // unblocked after the disposition changes, so Linux keeps them then).
        if any.handlers.ignores(sig) && !process.threads.allSatisfy({ $0.signalMask.contains(sig) }) { return }
        process.pending.add(info, limit: process.limits.queuedSignals)
        if sig == .SIGKILL { for t in process.threads { wake(t); ptraceKilled(t) } ; return }
        process.signalArrivals?.notify([.input, .readNormal])
        if let t = process.threads.first(where: { !$0.signalMask.contains(sig) || $0.awaitedSignals.contains(sig) }) {
            wakeForSignal(t, sig)
        }
    }

    /// Sends a signal to one thread (tgkill(2), faults).
    public func send(_ info: SignalInfo, to task: Task) {
        if task.state == .dead { return }
        if info.signal == .SIGKILL { send(info, to: task.process); return }
        if task.handlers.ignores(info.signal) && !task.signalMask.contains(info.signal) { return }
        task.pending.add(info, limit: task.process.limits.queuedSignals)
        task.process.signalArrivals?.notify([.input, .readNormal])
        wakeForSignal(task, info.signal)
    }

    /// Whether a sigqueue(3) of `signal` to `process` finds room for its record: a real-time
    /// signal that cannot be queued fails with EAGAIN, as Linux's __send_signal_locked gives.
    func canQueue(_ signal: Int32, to process: Process) -> Bool {
        guard signal >= 32 else { return true }
        return signalQueue.hasRoom(under: process.limits.queuedSignals)
    }

    /// A synchronous fault: delivered even if blocked or ignored (Linux's force_sig): the
    /// disposition is reset to default in that case, so the process dies as it would natively.
    func forceSignal(_ info: SignalInfo, to task: Task) {
        let i = Int(info.signal.rawValue)
        if task.signalMask.contains(info.signal) || task.handlers.actions[i].handler == SignalHandlers.Action.ignoreHandler {
            task.handlers.actions[i].handler = SignalHandlers.Action.defaultHandler
            task.signalMask.remove(info.signal)
        }
        task.pending.add(info)
        if let trace = config.trace {
            trace.line(pid: task.tid, "--- \(info.signal) {si_code=\(info.code), si_addr=0x\(String(info.address, radix: 16))} ---")
        }
    }

    /// A signal for a sleeping task ends its sleep if it can take the signal now (or waits
    /// for it in rt_sigtimedwait); the call then completes, restarts or fails with EINTR.
    func wakeForSignal(_ task: Task, _ sig: Signal) {
        guard task.state == .blocked else { return }
        if !task.signalMask.contains(sig) || task.awaitedSignals.contains(sig) { wake(task) }
    }

    func hasDeliverableSignal(_ task: Task) -> Bool {
        let blockedMask = task.signalMask.rawValue
        return (task.pending.set.rawValue | task.process.pending.set.rawValue) & ~blockedMask != 0
    }

    func resume(_ process: Process) {
        ptraceContinued(process)
        guard process.stopped else { return }
        process.stopped = false
        process.continueReported = false
        for t in process.threads where t.state == .stopped {
            t.state = .runnable
            runQueue.append(t)
        }
        if let parent = process.parent { parent.childEvents.notify(.input) }
    }

    /// Takes the next deliverable signal for `task`, thread-directed ones first.
    func dequeueSignal(_ task: Task) -> SignalInfo? {
        takeSignal(task, notIn: task.signalMask)
    }

    /// Delivers what is pending to `task` before it runs: handlers get frames, default actions
    /// are carried out. Stops when a handler frame has been set up (one per return to user mode,
    /// as Linux does).
    func deliverSignals(_ task: Task) {
        while task.state == .runnable, let info = nextSignal(task) {
            let sig = info.signal
            let action = task.handlers.actions[Int(sig.rawValue)]
            if action.handler == SignalHandlers.Action.ignoreHandler && !sig.isUncatchable { continue }
            if action.handler == SignalHandlers.Action.defaultHandler || sig.isUncatchable {
                switch sig.defaultAction {
                case .ignore, .resume: continue
                case .stop:
                    stop(task.process, by: sig)
                    return
                case .terminate, .coreDump:
                    if sig.defaultAction == .coreDump, info.code > 0, config.trace != nil || task.process === mainProcess {
                        reportCrash(task, info)
                    }
                    let status = sig.rawValue | (sig.defaultAction == .coreDump ? 0x80 : 0)
                    if task.traced != nil, sig != .SIGKILL, ptraceExitEvent(task, status: status, group: true, bySignal: true) { return }
                    exitGroup(task, status: status, bySignal: true)
                    return
                }
            }
            // A handler: build the frame.
            let restoreMask = task.savedMaskAfterSignal ?? task.signalMask
            task.savedMaskAfterSignal = nil
            var alt: (UInt64, UInt64)? = nil
            if action.flags & SigActionFlags.onStack != 0, task.altStack.flags & AltStack.disable == 0,
               !task.altStack.contains(task.context.stackPointer) {
                alt = (task.altStack.base, task.altStack.size)
            }
            let delivery = SignalDelivery(signal: sig, info: info, handler: action.handler, flags: action.flags,
                                          restorer: action.restorer, savedMask: restoreMask, alternateStack: alt,
                                          savedAltStack: task.altStack)
            do {
                // An alternate stack whose end passes 2^64 has no room for a frame.
                if let alt, GuestMath.end(alt.0, alt.1) == nil { throw LinuxErrno.EFAULT }
                try task.context.deliverSignal(delivery)
            } catch {
                // No room for the frame (bad stack): the process dies of SIGSEGV, as on Linux.
                exitGroup(task, status: Signal.SIGSEGV.rawValue | 0x80, bySignal: true)
                return
            }
            counters.signalsDelivered += 1
            if let trace = config.trace {
                trace.line(pid: task.tid, "--- \(sig) {si_signo=\(sig), si_code=\(info.code), si_pid=\(info.senderPID)} ---")
            }
            if alt != nil && task.altStack.flags & AltStack.autoDisarm != 0 { task.altStack = AltStack() }
            var newMask = task.signalMask
            newMask.rawValue |= action.mask.rawValue
            if action.flags & SigActionFlags.noDefer == 0 { newMask.insert(sig) }
            task.signalMask = SignalSet(rawValue: newMask.rawValue & SignalSet.blockable.rawValue)
            if action.flags & SigActionFlags.resetHand != 0 {
                task.handlers.actions[Int(sig.rawValue)] = SignalHandlers.Action()
            }
            return
        }
    }

    /// Job-control stop of a whole process; the parent learns of it through wait(WUNTRACED).
    func stop(_ process: Process, by sig: Signal) {
        ptraceGroupStop(process, by: sig)
        process.stopped = true
        process.stopReported = false
        process.stopSignal = sig
        for t in process.threads where t.state == .runnable {
            t.state = .stopped
            if let i = runQueue.firstIndex(where: { $0 === t }) { runQueue.remove(at: i) }
        }
        process.parent?.childEvents.notify(.input)
        if let parent = process.parent, let pt = parent.threads.first,
           pt.handlers.actions[Int(Signal.SIGCHLD.rawValue)].flags & SigActionFlags.noChildStop == 0 {
            var info = SignalInfo(signal: .SIGCHLD, code: SignalCode.CLD_STOPPED)
            info.senderPID = process.pid
            info.status = sig.rawValue
            send(info, to: parent)
        }
    }

    /// One line to the user when the init process (or any, when tracing) dies of a fault.
    func reportCrash(_ task: Task, _ info: SignalInfo) {
        Host.diagnostic("umlab: pid \(task.tid) (\(task.process.comm)) killed by \(info.signal) at address 0x\(String(info.address, radix: 16))")
        Host.diagnostic(task.context.crashReport())
    }
}
