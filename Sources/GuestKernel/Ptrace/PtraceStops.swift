import HostOS
import LinuxABI

// Where ptrace meets the rest of the kernel: the stops (syscall entry and exit, signal delivery,
// events, group stops), resuming and detaching, and what the tracer's wait4/waitid report.
// The kernel calls in here at a handful of points, each a one-line call guarded by a test of
// `Task.traced`, so a machine nobody traces pays one nil test where a check already happens.

extension Kernel {
    // MARK: Stopping and resuming

    /// Puts `task` into a ptrace stop and tells its tracer (wait, SIGCHLD with CLD_TRAPPED).
    func ptraceEnterStop(_ task: Task, _ link: PtraceLink, _ stop: PtraceStop) {
        link.stop = stop
        link.stopReported = false
        link.listening = false
        switch stop {
        case .signal(let info): link.siginfo = info
        case .syscallEntry, .syscallExit:
            link.siginfo = SignalInfo(signal: .SIGTRAP, code: Signal.SIGTRAP.rawValue | (link.options & PtraceOption.traceSysGood != 0 ? 0x80 : 0))
        case .event(let e, let sig): link.siginfo = SignalInfo(signal: sig, code: sig.rawValue | e << 8)
        case .group: break
        }
        task.context.willSleep()
        task.state = .traced
        if let i = runQueue.firstIndex(where: { $0 === task }) { runQueue.remove(at: i) }
        if current === task { current = nil }
        ptraceNotifyTracer(link, about: task)
    }

    /// Wakes the tracer's wait and sends it SIGCHLD (CLD_TRAPPED for a stop, the exit's code
    /// for a death).
    func ptraceNotifyTracer(_ link: PtraceLink, about task: Task) {
        let tracer = link.tracer.process
        tracer.childEvents.notify(.input)
        var info: SignalInfo
        if let st = link.exitStatus {
            info = SignalInfo(signal: .SIGCHLD, code: st & 0x7f == 0 ? SignalCode.CLD_EXITED : (st & 0x80 != 0 ? SignalCode.CLD_DUMPED : SignalCode.CLD_KILLED))
            info.status = st & 0x7f == 0 ? (st >> 8) & 0xff : st & 0x7f
        } else {
            info = SignalInfo(signal: .SIGCHLD, code: 4)  // CLD_TRAPPED
            info.status = (link.waitStatus >> 8) & 0xff
        }
        info.senderPID = task.tid
        send(info, to: tracer)
    }

    /// Resumes a tracee from its ptrace stop as PTRACE_CONT/SYSCALL/SINGLESTEP ask, delivering
    /// `signal` if the stop was a signal-delivery stop (0: the signal is suppressed).
    func ptraceResume(_ task: Task, _ link: PtraceLink, _ mode: PtraceResume, signal: Int32) {
        let stop = link.stop
        link.stop = nil
        link.listening = false
        link.trapNotify = false
        link.resume = mode
        if signal != 0, case .signal = stop {
            var info = link.siginfo
            if info.signal.rawValue != signal {
                info = SignalInfo(signal: Signal(signal), code: SignalCode.SI_USER)
                info.senderPID = link.tracer.process.pid
            }
            link.signalToDeliver = info
        }
        guard task.state == .traced else { return }
        if case .syscallEntry = stop {
            // The call the tracee stopped at runs now, before any guest code.
            task.retryCall = true
            if mode == .step && !link.emulatedCall { link.stepTrapAfterCall = true }
        }
        task.state = .runnable
        runQueue.append(task)
    }

    /// Ends the tracing of `task` (PTRACE_DETACH, the tracer's exit): it runs on, with `signal`
    /// delivered if it was in a signal-delivery stop, and its parent sees a death it held back.
    func ptraceDetach(_ task: Task, signal: Int32) {
        guard let link = task.traced else { return }
        link.tracer.tracees.removeAll { $0 === task }
        if link.exitStatus != nil {
            task.traced = nil
            ptraceReleaseHeldExit(task.process)
            return
        }
        ptraceResume(task, link, .cont, signal: signal)
        let inject = link.signalToDeliver
        task.traced = nil
        if let inject { task.pending.add(inject) }
        task.context.setDebugPointsIgnoringErrors([])
    }

    // MARK: The kernel's hooks

    /// At the start of a system call (the dispatcher): true when the call must not run now,
    /// because the tracee stops at its entry (PTRACE_SYSCALL), or because its tracer cancelled
    /// it at that stop (a number of -1: the result is what the tracer left in the registers).
    func ptraceSyscallEntry(_ task: Task) -> Bool {
        guard let link = task.traced else { return false }
        if link.inSyscall { return link.emulatedCall || task.context.syscallNumber < 0 }
        guard link.resume == .syscall || link.emulatesCalls else { return false }
        link.inSyscall = true
        link.emulatedCall = link.emulatesCalls
        ptraceEnterStop(task, link, .syscallEntry)
        return true
    }

    /// Before a tracee runs guest code again (the scheduler, before signals are delivered):
    /// the stops due on the way back to user mode, in Linux's order: an event of the call
    /// just made (fork, exec), the call's exit stop, the trap of a single step over it, and a
    /// PTRACE_INTERRUPT. True when the task stopped.
    func ptraceReturnToUser(_ task: Task) -> Bool {
        guard let link = task.traced else { return false }
        if let e = link.pendingEvent {
            link.pendingEvent = nil
            link.eventMessage = e.message
            ptraceEnterStop(task, link, .event(e.event, .SIGTRAP))
            return true
        }
        if let e = link.pendingExit {
            exitTask(task, status: e.status, groupExit: e.group, bySignal: e.bySignal)
            return true
        }
        if link.inSyscall {
            link.inSyscall = false
            // An emulated call (SYSEMU) has no exit stop, nor a step trap after it.
            if link.emulatedCall {
                link.emulatedCall = false
            } else if link.resume == .syscall {
                ptraceEnterStop(task, link, .syscallExit)
                return true
            }
        }
        if link.stepTrapAfterCall {
            link.stepTrapAfterCall = false
            forceSignal(DebugStop.stepped.signalInfo, to: task)
        }
        if link.interruptPending {
            link.interruptPending = false
            ptraceEnterStop(task, link, .event(PtraceOption.eventStop, .SIGTRAP))
            return true
        }
        return false
    }

    /// The next signal to act on for `task` (signal delivery): for a tracee, the one its tracer
    /// chose at a signal-delivery stop; a pending one first stops the tracee (nil then), except
    /// SIGKILL, which no tracer sees.
    /// gdb's stub (`umlab run --gdb`), the "hardware debugger", sees a signal first
    /// (`GDBStub.takeSignal`); a guest tracer then sees what gdb let through.
    func nextSignal(_ task: Task) -> SignalInfo? {
        guard let link = task.traced else { return debugger == nil ? dequeueSignal(task) : debugger!.takeSignal(task) }
        if let chosen = link.signalToDeliver {
            link.signalToDeliver = nil
            return chosen
        }
        guard let info = debugger == nil ? dequeueSignal(task) : debugger!.takeSignal(task) else { return nil }
        if info.signal == .SIGKILL { return info }
        ptraceEnterStop(task, link, .signal(info))
        return nil
    }

    /// Runs a tracee resumed with PTRACE_SINGLESTEP for one instruction (the scheduler calls
    /// this instead of `run`). A step that made a system call traps after the call completes.
    func ptraceStep(_ task: Task) -> Trap {
        let trap = task.context.singleStep()
        if trap == .syscall, let link = task.traced, !link.emulatesCalls { link.stepTrapAfterCall = true }
        return trap
    }

    /// A group stop (SIGSTOP, SIGTSTP …) reaches a process: its traced threads enter it as a
    /// ptrace stop their tracer sees (PTRACE_EVENT_STOP for a seized tracee), instead of
    /// stopping silently. Called before the untraced threads stop.
    func ptraceGroupStop(_ process: Process, by sig: Signal) {
        for t in process.threads where t.state == .runnable {
            guard let link = t.traced else { continue }
            ptraceEnterStop(t, link, link.seized ? .event(PtraceOption.eventStop, sig) : .group(sig))
        }
    }

    /// SIGCONT reached a process: its seized tracees in a ptrace stop trap again, so the tracer
    /// learns the group stop ended: at once if they listen (PTRACE_LISTEN), else when they do.
    func ptraceContinued(_ process: Process) {
        for t in process.threads where t.state == .traced {
            guard let link = t.traced, link.seized else { continue }
            if link.listening {
                ptraceEnterStop(t, link, .event(PtraceOption.eventStop, .SIGTRAP))
            } else {
                link.trapNotify = true
            }
        }
    }

    /// SIGKILL reached a thread: a tracee in a ptrace stop wakes up to die.
    func ptraceKilled(_ task: Task) {
        guard task.state == .traced, let link = task.traced else { return }
        link.stop = nil
        task.state = .runnable
        runQueue.append(task)
    }

    /// clone created `child`: a tracee whose tracer follows this kind of clone
    /// (PTRACE_O_TRACEFORK/VFORK/CLONE) has the child traced by the same tracer (it stops
    /// before its first instruction) and reports the event before the call returns.
    func ptraceCloned(_ parent: Task, _ child: Task, flags: CloneFlags) {
        guard let link = parent.traced, !flags.contains(.untraced) else { return }
        let (event, option): (Int32, UInt32)
        if flags.contains(.vfork) { (event, option) = (PtraceOption.eventVFork, PtraceOption.traceVFork) }
        else if flags.rawValue & CloneFlags.signalMask != UInt64(Signal.SIGCHLD.rawValue) { (event, option) = (PtraceOption.eventClone, PtraceOption.traceClone) }
        else { (event, option) = (PtraceOption.eventFork, PtraceOption.traceFork) }
        guard link.options & option != 0 else { return }
        let childLink = PtraceLink(tracer: link.tracer, seized: link.seized, options: link.options)
        child.traced = childLink
        link.tracer.tracees.append(child)
        if link.seized {
            childLink.interruptPending = true
        } else {
            child.pending.add(SignalInfo(signal: .SIGSTOP, code: SignalCode.SI_USER))
        }
        link.pendingEvent = (event, UInt64(child.tid))
    }

    /// vfork made its child and the tracer follows vforks: the parent stops at
    /// PTRACE_EVENT_VFORK now, before it waits for the child (Linux's kernel_clone reports the
    /// event, then waits), so the tracer can let the child run. The call runs again when the
    /// tracer resumes it, and then waits. True when it stopped.
    func ptraceVforkEvent(_ task: Task) -> Bool {
        guard let link = task.traced, let e = link.pendingEvent, e.event == PtraceOption.eventVFork else { return false }
        link.pendingEvent = nil
        link.eventMessage = e.message
        task.retryCall = true
        ptraceEnterStop(task, link, .event(e.event, .SIGTRAP))
        return true
    }

    /// The vfork child released its parent (exec or exit): with PTRACE_O_TRACEVFORKDONE the
    /// parent stops at PTRACE_EVENT_VFORK_DONE (the message: the child's pid) before the call
    /// returns.
    func ptraceVforkDone(_ task: Task, child: Int32) {
        guard let link = task.traced, link.options & PtraceOption.traceVForkDone != 0 else { return }
        link.pendingEvent = (PtraceOption.eventVForkDone, UInt64(UInt32(bitPattern: child)))
    }

    /// A tracee is about to exit (exit, exit_group, a fatal signal other than SIGKILL): with
    /// PTRACE_O_TRACEEXIT it first stops in PTRACE_EVENT_EXIT (the message: the wait status it
    /// will end with) and exits when resumed. True when it stopped, and the caller must not exit
    /// it now.
    func ptraceExitEvent(_ task: Task, status: Int32, group: Bool, bySignal: Bool) -> Bool {
        guard let link = task.traced, link.options & PtraceOption.traceExit != 0, link.pendingExit == nil else { return false }
        link.pendingExit = (status, group, bySignal)
        let waitStatus = bySignal ? status : (status & 0xff) << 8
        link.eventMessage = UInt64(UInt32(bitPattern: waitStatus))
        ptraceEnterStop(task, link, .event(PtraceOption.eventExit, .SIGTRAP))
        return true
    }

    /// A tracee's execve succeeded: PTRACE_EVENT_EXEC (the message: its former tid), or the
    /// SIGTRAP Linux sends a tracee attached without PTRACE_SEIZE or PTRACE_O_TRACEEXEC.
    func ptraceExeced(_ task: Task) {
        guard let link = task.traced else { return }
        if link.options & PtraceOption.traceExec != 0 {
            link.pendingEvent = (PtraceOption.eventExec, UInt64(task.tid))
        } else if !link.seized {
            send(SignalInfo(signal: .SIGTRAP, code: SignalCode.SI_USER), to: task)
        }
    }

    /// A thread is exiting with wait status `status`. As a tracer, it lets its tracees go
    /// (killing them with PTRACE_O_EXITKILL); as a tracee, its tracer is told and collects the
    /// status, and a parent other than the tracer hears of the process's end only after that.
    func ptraceThreadExiting(_ task: Task, status: Int32) {
        for t in task.tracees {
            guard let link = t.traced else { continue }
            if link.options & PtraceOption.exitKill != 0 && link.exitStatus == nil {
                send(SignalInfo(signal: .SIGKILL, code: SignalCode.SI_KERNEL), to: t.process)
            }
            ptraceDetach(t, signal: 0)
        }
        task.tracees = []
        guard let link = task.traced else { return }
        link.stop = nil
        link.exitStatus = status
        if task.process.threads.count <= 1 && link.tracer.process !== task.process.parent {
            task.process.ptraceHoldsExit = true
        }
        ptraceNotifyTracer(link, about: task)
    }

    /// Whether a process's end is held back from its parent until its tracer has collected it.
    func ptraceHoldsExit(_ process: Process) -> Bool { process.ptraceHoldsExit }

    /// The tracer collected (or let go of) the death of a process's last thread: its parent
    /// hears of it now.
    func ptraceReleaseHeldExit(_ process: Process) {
        guard process.ptraceHoldsExit, process.zombie else { return }
        process.ptraceHoldsExit = false
        notifyParent(process)
    }

    // MARK: wait

    /// Whether `task`'s thread group traces a thread `target` selects (wait4 then waits rather
    /// than failing with ECHILD).
    func ptraceHasTracees(_ task: Task, _ target: WaitTarget) -> Bool {
        task.process.threads.contains { t in t.tracees.contains { ptraceSelected($0, target) } }
    }

    private func ptraceSelected(_ t: Task, _ target: WaitTarget) -> Bool {
        switch target {
        case .any: return true
        case .pid(let p): return t.tid == p
        case .group(let g): return t.process.pgid == g
        }
    }

    /// A tracee's stop or death that wait4/waitid by `task` reports (tracees are reported
    /// whatever __WCLONE/__WALL say, and their stops whatever WUNTRACED says): its tid, wait
    /// status and CLD_* code. `consume` (not WNOWAIT) marks the stop reported, or collects the
    /// death (reaping the process when the tracer is also its parent).
    func ptraceWait(_ task: Task, _ target: WaitTarget, exited: Bool, consume: Bool) -> (tid: Int32, status: Int32, code: Int32)? {
        for tracer in task.process.threads {
            for t in tracer.tracees where ptraceSelected(t, target) {
                guard let link = t.traced else { continue }
                if let st = link.exitStatus {
                    guard exited else { continue }
                    let code = st & 0x7f == 0 ? SignalCode.CLD_EXITED : (st & 0x80 != 0 ? SignalCode.CLD_DUMPED : SignalCode.CLD_KILLED)
                    if consume {
                        tracer.tracees.removeAll { $0 === t }
                        t.traced = nil
                        let p = t.process
                        if p.zombie && p.parent === task.process && !p.reaped && p.threads.isEmpty {
                            p.ptraceHoldsExit = false
                            release(p)
                        } else {
                            ptraceReleaseHeldExit(p)
                        }
                    }
                    return (t.tid, st, code)
                }
                if link.stop != nil && !link.stopReported {
                    if consume { link.stopReported = true }
                    return (t.tid, link.waitStatus, 4)  // CLD_TRAPPED
                }
            }
        }
        return nil
    }
}

extension ExecutionContext {
    /// Clears debug points a tracer set, where the backend has them (detach).
    func setDebugPointsIgnoringErrors(_ points: [DebugPoint]) { try? setDebugPoints(points) }
}
