import HostOS
import LinuxABI

/// Arguments of clone(2), in the core's order whatever the ISA's.
public struct CloneRequest {
    public var flags: CloneFlags
    public var stack: UInt64
    public var parentTID: UInt64
    public var childTID: UInt64
    public var tls: UInt64
    public init(flags: CloneFlags, stack: UInt64, parentTID: UInt64, childTID: UInt64, tls: UInt64) {
        self.flags = flags; self.stack = stack; self.parentTID = parentTID; self.childTID = childTID; self.tls = tls
    }
}

extension Kernel {
    // MARK: clone / fork / vfork

    /// Creates a task as clone(2) asks; returns its tid. The parent's call completes with it.
    func clone(_ parent: Task, _ req: CloneRequest) throws(LinuxErrno) -> Int32 {
        let f = req.flags
        if f.contains(.thread) && !f.contains(.sighand) { throw .EINVAL }
        if f.contains(.sighand) && !f.contains(.vm) { throw .EINVAL }
        if f.contains(.fs) && f.contains(.newNamespace) { throw .EINVAL }
        let live = processes.values.filter { !$0.zombie }.count
        if (!f.contains(.thread) && UInt64(live) >= parent.process.limits.values[6].soft) || tasks.count >= config.limits.pids {
            memory.noteEAGAIN()
            throw .EAGAIN
        }

        let shares = f.contains(.vm)
        let context = try parent.context.clone(sharesMemory: shares, stack: req.stack == 0 ? nil : req.stack,
                                               threadPointer: f.contains(.setTLS) ? req.tls : nil)
        let mm: MemoryMap
        if shares { mm = parent.mm; mm.users += 1 } else { mm = parent.mm.fork(into: context.addressSpace) }
        if !shares { for v in mm.vmas { v.file?.references += 1 } }
        let files = f.contains(.files) ? parent.files : parent.files.copy()
        let fs = f.contains(.fs) ? parent.fs : parent.fs.copy()
        let handlers = f.contains(.sighand) ? parent.handlers : parent.handlers.copy()
        let tid = allocatePID()
        let process: Process
        if f.contains(.thread) {
            process = parent.process
        } else {
            let pp = f.contains(.parent) ? (parent.process.parent ?? parent.process) : parent.process
            do {
                process = try Process(pid: tid, parent: pp, pgid: parent.process.pgid, sid: parent.process.sid,
                                      startTime: Host.monotonicNanoseconds(), arena: arena, signalAccount: signalQueue)
            } catch {
                context.terminate()
                throw error
            }
            process.credentials = parent.process.credentials
            process.personality = parent.process.personality
            process.controllingTerminal = parent.process.controllingTerminal
            process.limits = parent.process.limits
            armCPULimit(process)
            process.comm = parent.process.comm
            process.commandLine = parent.process.commandLine
            process.environment = parent.process.environment
            process.executablePath = parent.process.executablePath
            if f.contains(.parent) {
                // A sibling of the caller ends with the caller's own exit signal, whatever clone
                // asked for (Linux's copy_process): a process cannot pick the signal its parent
                // gets, so a fork's child cannot kill its parent with CLONE_PARENT and SIGKILL.
                process.exitSignal = parent.process.exitSignal
                process.parentExecGeneration = parent.process.parentExecGeneration
            } else {
                // Any value up to 255, as Linux's clone takes it (only valid ones are ever sent).
                let sig = Int32(f.rawValue & CloneFlags.signalMask)
                process.exitSignal = sig == 0 ? nil : Signal(sig)
                process.parentExecGeneration = parent.process.execGeneration
            }
            pp.children.append(process)
            processes[tid] = process
        }
        let task = Task(kernel: self, tid: tid, process: process, context: context, mm: mm, files: files, fs: fs, handlers: handlers)
        task.signalMask = parent.signalMask
        task.nice = parent.nice
        task.schedulingPolicy = parent.schedulingPolicy
        task.schedulingPriority = parent.schedulingPriority
        if !f.contains(.vm) || !f.contains(.thread) { task.altStack = parent.altStack }
        if f.contains(.thread) { task.altStack = AltStack() }
        process.threads.append(task)
        tasks[tid] = task
        memory.noteTasks(tasks.count)
        counters.forks += 1

        // The TID words, written in the memory each side sees.
        var e = GuestEncoder(abi)
        e.i32(tid)
        if f.contains(.parentSetTID) { try? parent.mm.write(req.parentTID, e.bytes) }
        if f.contains(.childSetTID) { try? mm.write(req.childTID, e.bytes) }
        if f.contains(.childClearTID) { task.clearChildTID = req.childTID }

        ptraceCloned(parent, task, flags: f)
        runQueue.append(task)
        if f.contains(.vfork) {
            task.vforkParent = parent
        }
        if !f.contains(.thread) { debugger?.forked(parent, child: process, vfork: f.contains(.vfork)) }
        return tid
    }

    /// A dying thread's robust futexes (set_robust_list): each lock it still holds is marked
    /// FUTEX_OWNER_DIED and one waiter is woken, so a pthread robust mutex reports EOWNERDEAD.
    func releaseRobustFutexes(_ task: Task) {
        guard task.robustList != 0, task.mm.users > 1 || task.process.threads.count > 1 else { return }
        let w = abi.wordSize
        let mm = task.mm
        guard let head = try? mm.read(task.robustList, count: 3 * w) else { return }
        var d = GuestDecoder(head, abi)
        var entry = d.word()
        let offset = d.sword()
        let pending = d.word()
        func release(_ e: UInt64) {
            let addr = UInt64(bitPattern: Int64(bitPattern: e) &+ offset)
            guard let bytes = try? mm.read(addr, count: 4) else { return }
            var dd = GuestDecoder(bytes, abi)
            let word = dd.u32()
            guard word & 0x3fff_ffff == UInt32(bitPattern: task.tid) else { return }
            var enc = GuestEncoder(abi)
            enc.u32((word & 0x8000_0000) | 0x4000_0000)
            try? mm.write(addr, enc.bytes)
            if word & 0x8000_0000 != 0 { _ = futexWake(mm, addr, count: 1) }
        }
        var budget = 2048
        while entry != task.robustList && entry != 0 && budget > 0 {
            guard let next = try? mm.read(entry, count: w) else { break }
            var nd = GuestDecoder(next, abi)
            let following = nd.word()
            if entry != pending { release(entry) }
            entry = following
            budget -= 1
        }
        if pending != 0 { release(pending) }
        task.robustList = 0
    }

    /// Wakes the parent of a vfork child once it execs or exits.
    func releaseVforkParent(_ task: Task) {
        guard let parent = task.vforkParent else { return }
        task.vforkParent = nil
        parent.vforkDone = true
        wake(parent)
        debugger?.vforkDone(parent)
    }

    // MARK: exit

    /// exit_group(2), or death by signal (`status` is then the wait-encoded signal).
    func exitGroup(_ task: Task, status: Int32, bySignal: Bool) {
        let process = task.process
        process.groupExitCode = bySignal ? status : (status & 0xff) << 8
        for t in process.threads where t !== task { reapThread(t) }
        exitThread(task, status: process.groupExitCode!)
    }

    /// exit(2) of one thread; the process ends with its last thread.
    func exitTask(_ task: Task, status: Int32, groupExit: Bool, bySignal: Bool) {
        if groupExit { exitGroup(task, status: status, bySignal: bySignal); return }
        exitThread(task, status: (status & 0xff) << 8)
    }

    /// Removes a sibling thread during exit_group or execve.
    func reapThread(_ t: Task) {
        t.clearChildTID = 0
        exitThread(t, status: t.process.groupExitCode ?? 0, wakeTID: false)
    }

    private func exitThread(_ task: Task, status: Int32, wakeTID: Bool = true) {
        guard task.state != .dead else { return }
        let process = task.process
        releaseRobustFutexes(task)
        // CLONE_CHILD_CLEARTID: zero the word and wake a futex waiter (pthread_join).
        if wakeTID, task.clearChildTID != 0, task.mm.users > 1 {
            try? task.mm.write(task.clearChildTID, [UInt8](repeating: 0, count: 4))
            _ = futexWake(task.mm, task.clearChildTID, count: 1)
        }
        releaseVforkParent(task)
        unblock(task)
        ptraceThreadExiting(task, status: process.groupExitCode ?? status)
        process.exitedThreadsTime.user &+= task.userTime
        process.exitedThreadsTime.system &+= task.systemTime
        task.state = .dead
        task.context.terminate()
        tasks[task.tid] = nil
        if let i = runQueue.firstIndex(where: { $0 === task }) { runQueue.remove(at: i) }
        if current === task { current = nil }
        task.mm.users -= 1
        if task.mm.users == 0 { task.mm.reset() }
        process.threads.removeAll { $0 === task }
        // A descriptor table another process shares (CLONE_FILES without CLONE_THREAD, as
        // LeakSanitizer's tracer is made) stays open for it.
        if !isFileTableShared(task.files) { task.files.closeAll() }
        if process.threads.isEmpty { processExited(process, status: process.groupExitCode ?? status) }
    }

    private func isFileTableShared(_ files: FileTable) -> Bool {
        tasks.values.contains { $0.files === files }
    }

    private func processExited(_ process: Process, status: Int32) {
        process.exitStatus = status
        debugger?.processExited(process, status: status)
        sessionLeaderExited(process)
        disarmProcessTimers(process)
        ipc.applyUndo(for: process.pid)
        // Orphans go to init (pid 1), as on Linux.
        if let initProcess, process !== initProcess {
            for c in process.children {
                c.parent = initProcess
                c.exitSignal = .SIGCHLD         // as Linux's reparent_leader: nobody slays init
                initProcess.children.append(c)
                if c.zombie { notifyParent(c) }
            }
            process.children = []
        }
        if process === mainProcess {
            exitCode = Kernel.shellStatus(status)
            if !config.waitForAll {
                // The machine halts with its first program, as a container with its first
                // process: nothing may outlive it.
                for p in processes.values where p !== process {
                    for t in p.threads {
                        unblock(t)
                        t.state = .dead
                        t.context.terminate()
                        tasks[t.tid] = nil
                    }
                    p.threads = []
                }
                runQueue.removeAll()
                current = nil
                return
            }
        }
        notifyParent(process)
    }

    /// Exit status as a shell reports it: the code, or 128 + signal.
    static func shellStatus(_ waitStatus: Int32) -> Int32 {
        let sig = waitStatus & 0x7f
        return sig == 0 ? (waitStatus >> 8) & 0xff : 128 + sig
    }

    func notifyParent(_ process: Process) {
        guard let parent = process.parent, !process.ptraceHoldsExit else { return }
        if parent === initProcess { release(process); return }
        parent.childEvents.notify(.input)
        let action = parent.threads.first?.handlers.actions[Int(Signal.SIGCHLD.rawValue)]
        let autoReap = action.map { $0.handler == SignalHandlers.Action.ignoreHandler || $0.flags & SigActionFlags.noChildWait != 0 } ?? false
        // clone(2) takes any exit signal up to 255; as Linux's do_notify_parent, one that is not
        // a valid signal number wakes the parent's wait but sends nothing.
        if var sig = process.exitSignal, sig.isValid {
            // A parent that has exec'd since is another program: it gets SIGCHLD (Linux's
            // do_notify_parent), not the signal its former self agreed to.
            if sig != .SIGCHLD && process.parentExecGeneration != parent.execGeneration { sig = .SIGCHLD }
            let st = process.exitStatus ?? 0
            var info = SignalInfo(signal: sig, code: st & 0x7f == 0 ? SignalCode.CLD_EXITED : (st & 0x80 != 0 ? SignalCode.CLD_DUMPED : SignalCode.CLD_KILLED))
            info.senderPID = process.pid
            info.status = st & 0x7f == 0 ? (st >> 8) & 0xff : st & 0x7f
            send(info, to: parent)
        }
        if (autoReap && process.exitSignal == .SIGCHLD) || parent === initProcess { release(process) }
    }

    /// Forgets a reaped zombie.
    func release(_ process: Process) {
        process.reaped = true
        if let parent = process.parent {
            // The child's CPU time and its reaped children's go to the parent's children time.
            let t = cpuTime(process)
            parent.childrenTime.user &+= t.user &+ process.childrenTime.user
            parent.childrenTime.system &+= t.system &+ process.childrenTime.system
        }
        processes[process.pid] = nil
        process.parent?.children.removeAll { $0 === process }
    }

    // MARK: wait

    public enum WaitTarget { case any, pid(Int32), group(Int32) }

    /// Finds a child that has changed state as wait4/waitid asks. Returns nil when children
    /// exist but none is ready yet; throws ECHILD when there are no matching children.
    func findWaitable(_ task: Task, _ target: WaitTarget, options: UInt32) throws(LinuxErrno) -> (Process, Int32, code: Int32)? {
        // Children belong to the thread group, so every thread of the parent may wait for them.
        var candidates = task.process.children.filter { c in
            switch target {
            case .any: return true
            case .pid(let p): return c.pid == p
            case .group(let g): return c.pgid == g
            }
        }
        // __WCLONE selects children whose exit signal is not SIGCHLD; __WALL takes both.
        if options & WaitOptions.all == 0 {
            let wantClone = options & WaitOptions.clone != 0
            candidates = candidates.filter { ($0.exitSignal != .SIGCHLD) == wantClone }
        }
        if candidates.isEmpty { if ptraceHasTracees(task, target) { return nil }; throw .ECHILD }
        for c in candidates {
            if c.zombie, let st = c.exitStatus {
                let code = st & 0x7f == 0 ? SignalCode.CLD_EXITED : (st & 0x80 != 0 ? SignalCode.CLD_DUMPED : SignalCode.CLD_KILLED)
                return (c, st, code)
            }
            if options & WaitOptions.untraced != 0, c.stopped, !c.stopReported {
                return (c, 0x7f | (c.stopSignal.rawValue << 8), SignalCode.CLD_STOPPED)
            }
            if options & WaitOptions.continued != 0, !c.continueReported {
                return (c, 0xffff, SignalCode.CLD_CONTINUED)
            }
        }
        return nil
    }
}
