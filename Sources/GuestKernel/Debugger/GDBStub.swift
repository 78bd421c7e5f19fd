import HostOS
import LinuxABI

/// The machine's GDB remote-serial-protocol server (`umlab run --gdb`): "the hardware debugger"
/// of the guest, written once against `ExecutionContext`'s register, step and debug-point
/// interface, so every backend gets it.
///
/// All-stop: while the stub holds the machine (`holding`), the kernel's loop runs no guest thread
/// and only serves the debugger's connection (`Kernel.run` asks `serveWhileHeld`). A thread that
/// stops for the debugger (a breakpoint, a watchpoint, a finished step, a caught system call, a
/// fork or exec event, Ctrl-C) makes the stub hold the machine and send the stop reply; the
/// other threads are simply not scheduled until gdb resumes. Guests that are host processes
/// (x86-64) are stopped already whenever the kernel has the CPU, so the same rule holds them.
///
/// The hooks into the kernel are one-line calls (see Kernel+Debugger.swift): the loop's top
/// (hold), the run call (a stepping thread steps), `Trap.debug` (a stop), the syscall
/// dispatcher (catchpoints), process exit (W/X replies), clone and exec (events).
public final class GDBStub {
    unowned(unsafe) let kernel: Kernel
    /// Largest packet payload we accept and announce (PacketSize, hex 4000).
    static let packetSize = 0x4000

    // MARK: Connection

    private let listener: HostFD
    private var connection: HostFD?
    private var reader = RSPReader(maximum: GDBStub.packetSize)
    private var noAck = false
    /// The listener's address (the port the CLI printed, an ephemeral one when 0 was asked).
    public let endpoint: HostSocket.Endpoint

    // MARK: All-stop state

    /// The machine is held for the debugger: no guest thread runs.
    public internal(set) var holding: Bool
    /// The last stop, for `?`: its reply without the thread (`T05swbreak:;`), completed with
    /// the thread when sent (gdb may switch to multiprocess ids after the stop), or a whole
    /// exit reply.
    private var lastStopReason = "S05"
    private var lastStopThread: Task?
    private var lastStop: String { lastStopReason + (lastStopThread.map(threadField) ?? "") }
    /// The thread gdb's g/p/m packets address (Hg) and the one the last stop was of.
    private var generalThread: Task?
    private var stopThread: Task?
    /// A thread stepping one instruction (vCont;s); the machine resumes until it has.
    var stepping: Task?
    /// The stepping thread's instruction was a system call that blocked: the step completes
    /// when the call does.
    var stepAwaitsCall = false

    // MARK: What is debugged

    /// The processes gdb is attached to (the first program; fork children gdb follows).
    private var attached: Set<Int32> = []
    /// gdb asked for multiprocess thread ids (pPID.TID).
    private var multiprocess = false
    /// gdb's qSupported features: fork, vfork and exec events.
    private var reportsForks = false, reportsVForks = false, reportsExecs = false
    /// Software breakpoints the stub wrote (Z0): the bytes they replaced, by process and address.
    private var softwareBreakpoints: [Int32: [UInt64: [UInt8]]] = [:]
    /// Hardware debug points (Z1-Z4) of each attached process, set on every thread of it.
    private var debugPoints: [Int32: [DebugPoint]] = [:]
    /// QCatchSyscalls: nil off, empty: every call, else these numbers.
    private var caughtSyscalls: Set<Int>?
    /// `monitor syscall-break`: the same, reported as a plain SIGTRAP stop (for gdbs without
    /// `catch syscall` for the ISA, such as IA-64's).
    private var syscallBreaks: Set<Int>?
    /// Threads stopped at a caught call's entry: its return is reported when it completes.
    private var inCaughtCall: Set<Int32> = []

    // MARK: Signals (as gdbserver: a signal stops the thread before it is delivered)

    /// QPassSignals: the guest's signal numbers delivered without a stop (gdb's `handle SIG
    /// nostop noprint pass`: SIGALRM, SIGCHLD ...).
    private var passedSignals: Set<Int32> = []
    /// The signal each thread stopped with (`T` + its number), by tid: dropped if gdb resumes
    /// the thread without one, delivered (with its siginfo) if gdb passes it on.
    private var reportedSignals: [Int32: SignalInfo] = [:]
    /// The signal gdb's resume (C/S) gives each thread, by tid: delivered next, before any
    /// other pending signal and without another stop.
    private var injectedSignals: [Int32: SignalInfo] = [:]
    /// A thread stepped with a signal (vCont;S): where it was, so that a handler frame built
    /// for the signal ends the step at the handler's first instruction (as Linux reports a
    /// step into a handler).
    private var stepSignalFrom: UInt64?

    /// Creates the server listening on `endpoint`; `wait`: hold the machine at the first
    /// instruction until gdb connects and resumes it (`--gdb-wait`).
    public init(kernel: Kernel, listen endpoint: HostSocket.Endpoint, wait: Bool) throws(LinuxErrno) {
        self.kernel = kernel
        listener = try HostSocket.listen(endpoint, stream: true, backlog: 1)
        self.endpoint = HostSocket.localEndpoint(listener) ?? endpoint
        holding = wait
        try kernel.loop.watch(listener.raw, events: EventLoop.Events.input, token: UInt64(UInt32(bitPattern: listener.raw)))
        kernel.hostEndpoints[listener.raw] = ListenerEndpoint(stub: self, fd: listener)
    }

    /// The first program is loaded: it is the debugged process, stopped at its first
    /// instruction when the machine is held.
    func attachFirst(_ process: Process) {
        attach(process)
        stopThread = process.mainThread
        generalThread = stopThread
        if let t = stopThread { lastStopReason = "T05"; lastStopThread = t }
    }

    private func attach(_ process: Process) {
        attached.insert(process.pid)
        for t in process.threads { t.context.reportsBreakpoints = true }
    }

    // MARK: The kernel's hooks

    /// Called by the kernel's loop while `holding`: waits for the debugger (a connection, a
    /// packet) and handles what came; returns when something happened (the loop checks again).
    func serveWhileHeld() {
        kernel.network.flushLinks()
        let until = kernel.runDeadline == 0 ? nil : kernel.runDeadline
        if (try? kernel.loop.wait(until: until)) == nil { return }
        kernel.serviceHost(polling: false, now: Host.monotonicNanoseconds())
        if kernel.runDeadline != 0 && Host.monotonicNanoseconds() >= kernel.runDeadline { holding = false }
    }

    /// Runs `task` for the kernel's loop: one instruction if gdb is stepping it, else its slice.
    func run(_ task: Task, sliceNanoseconds: Int64) -> Trap? {
        // A signal stopped the machine on the way to user mode (`takeSignal`): nothing runs.
        if holding { return nil }
        if !task.context.reportsBreakpoints && attached.contains(task.process.pid) { task.context.reportsBreakpoints = true }
        guard task === stepping else { return task.context.run(sliceNanoseconds: sliceNanoseconds) }
        if let from = stepSignalFrom {
            stepSignalFrom = nil
            // The injected signal's handler frame was built: the step ends on its first
            // instruction, before running it.
            if task.context.instructionPointer != from { stop(task, "T05"); return nil }
        }
        if stepAwaitsCall {
            // The system call the step began with has completed: the step is done.
            stepAwaitsCall = false
            stop(task, "T05")
            return nil
        }
        let trap = task.context.singleStep()
        switch trap {
        case .syscall:
            kernel.dispatchSyscall(task)
            guard task.state != .dead, !holding else { return nil }
            if task.state == .blocked { stepAwaitsCall = true; return nil }
            stop(task, "T05")
            return nil
        case .debug(.stepped):
            stop(task, "T05")
            return nil
        default:
            return trap  // a fault, a breakpoint: the kernel handles it as after a run
        }
    }

    /// A thread stopped for a debugger (`Trap.debug`). false: nobody debugs it (the kernel
    /// gives it Linux's SIGTRAP).
    func debugStop(_ task: Task, _ why: DebugStop) -> Bool {
        guard attached.contains(task.process.pid), connection != nil || holding else { return false }
        switch why {
        case .stepped:
            stop(task, "T05")
        case .breakpoint(let address):
            let hardware = debugPoints[task.process.pid]?.contains { $0.kind == .execute && $0.address == address } ?? false
            // gdb trusts a swbreak stop's pc to be the breakpoint's address; x86-64 leaves it
            // after the int3 (decr_pc_after_break), so the stub moves it back, as gdbserver does.
            if !hardware && task.context.instructionPointer != address { task.context.setInstructionPointer(address) }
            stop(task, "T05" + (hardware ? "hwbreak:;" : "swbreak:;"))
        case .watchpoint(let kind, let address):
            let name = kind == .write ? "watch" : kind == .read ? "rwatch" : "awatch"
            stop(task, "T05\(name):\(hex(address));")
        }
        return true
    }

    /// The next signal to act on for `task` (the kernel's signal delivery, for a debugged
    /// thread instead of dequeueing it): the one gdb resumed it with, else a pending one, which
    /// first stops the machine (`T` + gdb's number for it; nil then) unless gdb passes it
    /// silently or it is SIGKILL, as gdbserver sees every signal of its inferior first.
    /// A fatal signal thus stops before the process dies; it dies when gdb continues with it.
    func takeSignal(_ task: Task) -> SignalInfo? {
        if let chosen = injectedSignals.removeValue(forKey: task.tid) {
            // A signal the thread blocks waits in its queue until unblocked (Linux's
            // ptrace_signal requeues it so); otherwise it is delivered now.
            if !task.signalMask.contains(chosen.signal) || chosen.signal.isUncatchable {
                if task === stepping { stepSignalFrom = task.context.instructionPointer }
                return chosen
            }
            task.pending.add(chosen)
        }
        guard !holding else { return nil }
        guard let info = kernel.dequeueSignal(task) else { return nil }
        guard attached.contains(task.process.pid), connection != nil, info.signal != .SIGKILL,
              !passedSignals.contains(info.signal.rawValue) else { return info }
        reportedSignals[task.tid] = info
        stop(task, "T" + hex2(GDBStub.gdbSignal(info.signal.rawValue)))
        return nil
    }

    /// Before a system call's handler runs: true when the debugger stops the machine at its
    /// entry (the call runs when gdb resumes: the task retries it first).
    func syscallEntry(_ task: Task) -> Bool {
        guard attached.contains(task.process.pid), !inCaughtCall.contains(task.tid) else { return false }
        let n = task.context.syscallNumber
        let catchpoint = caughtSyscalls.map { $0.isEmpty || $0.contains(n) } ?? false
        let breakpoint = syscallBreaks.map { $0.isEmpty || $0.contains(n) } ?? false
        guard catchpoint || breakpoint else { return false }
        inCaughtCall.insert(task.tid)
        task.retryCall = true
        stop(task, "T05" + (catchpoint ? "syscall_entry:\(hex(UInt64(n)));" : ""))
        return true
    }

    /// After a system call completed (or blocked, or ended the task).
    func syscallDone(_ task: Task) {
        guard task.state != .blocked, inCaughtCall.remove(task.tid) != nil, task.state != .dead, caughtSyscalls != nil else { return }
        stop(task, "T05syscall_return:\(hex(UInt64(task.context.syscallNumber)));")
    }

    /// A process ended: gdb gets W (exit code) or X (signal) if it debugged it.
    func processExited(_ process: Process, status: Int32) {
        guard attached.remove(process.pid) != nil else { return }
        softwareBreakpoints[process.pid] = nil
        debugPoints[process.pid] = nil
        if let s = stepping, s.process === process { stepping = nil; stepAwaitsCall = false }
        let sig = status & 0x7f
        let reply = sig == 0 ? "W" + hex2((status >> 8) & 0xff) : "X" + hex2(GDBStub.gdbSignal(sig))
        lastStopReason = reply + (multiprocess ? ";process:\(hex(UInt64(process.pid)))" : "")
        lastStopThread = nil
        reportedSignals = reportedSignals.filter { kernel.tasks[$0.key] != nil }
        injectedSignals = injectedSignals.filter { kernel.tasks[$0.key] != nil }
        if attached.isEmpty { holding = false }
        send(lastStop)
    }

    /// A process forked (vfork: `vfork`) a child, whose memory holds the parent's breakpoint
    /// instructions and whose thread inherited its debug points. With fork events gdb decides
    /// whom to follow (it detaches the other side, removing its breakpoints first); without,
    /// the child is let go at once, as a detached process.
    func forked(_ parent: Task, child: Process, vfork: Bool) {
        let pid = parent.process.pid
        guard attached.contains(pid), let ct = child.mainThread else { return }
        softwareBreakpoints[child.pid] = softwareBreakpoints[pid]
        debugPoints[child.pid] = debugPoints[pid]
        attached.insert(child.pid)
        guard vfork ? reportsVForks : reportsForks else { detach(child.pid); return }
        attach(child)
        stop(parent, "T05\(vfork ? "vfork" : "fork"):\(threadID(ct));")
    }

    /// A vfork child exec'd or exited: its parent, which gdb follows, may run again (gdb
    /// puts back the breakpoints it took out of the memory they shared).
    func vforkDone(_ parent: Task) {
        guard reportsVForks, attached.contains(parent.process.pid), parent.state != .dead else { return }
        stop(parent, "T05vforkdone:;")
    }

    /// A debugged process ran execve: its breakpoints are gone with its old memory.
    func execed(_ task: Task) {
        guard attached.contains(task.process.pid) else { return }
        softwareBreakpoints[task.process.pid] = nil
        debugPoints[task.process.pid] = nil
        task.context.reportsBreakpoints = true
        guard reportsExecs else { return }
        stop(task, "T05exec:\(RSPHex.encode(task.process.executablePath));")
    }

    /// Holds the machine with `task` stopped and tells gdb.
    private func stop(_ task: Task, _ reason: String) {
        holding = true
        stepping = nil
        stepAwaitsCall = false
        stopThread = task
        generalThread = task
        lastStopReason = reason
        lastStopThread = task
        send(lastStop)
    }

    // MARK: Connection handling

    fileprivate func accept() {
        guard let (fd, _) = try? HostSocket.accept(listener) else { return }
        guard connection == nil else { HostSocket.reset(fd); return }  // one debugger at a time
        HostSocket.setBlocking(fd)
        connection = fd
        reader = RSPReader(maximum: GDBStub.packetSize)
        noAck = false
        kernel.hostEndpoints[fd.raw] = ConnectionEndpoint(stub: self, fd: fd)
        try? kernel.loop.watch(fd.raw, events: EventLoop.Events.input, token: UInt64(UInt32(bitPattern: fd.raw)))
        if !holding {
            // gdb attaches to a running machine: it stops, as PTRACE_ATTACH stops a process.
            if let t = someThread {
                holding = true
                stopThread = t; generalThread = t
                lastStopReason = "T05"; lastStopThread = t
            }
        }
    }

    fileprivate func readable() {
        guard let fd = connection else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = (try? buffer.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? 0
        guard n > 0 else { disconnect(); return }
        for input in reader.feed(buffer[0..<n]) {
            switch input {
            case .ack: break
            case .corrupt: if !noAck { write([UInt8(ascii: "-")]) }
            case .interrupt: interrupt()
            case .packet(let payload):
                if !noAck { write([UInt8(ascii: "+")]) }
                if let reply = handle(payload) { send(reply) }
            }
            if connection == nil { return }
        }
    }

    /// A debugged thread to report a stop of that no thread caused (Ctrl-C, an attach): the
    /// running one if it is debugged.
    private var someThread: Task? {
        if let c = kernel.current, c.state != .dead, attached.contains(c.process.pid) { return c }
        return attachedThreads().first
    }

    /// Ctrl-C: the machine stops where it is (SIGINT, as gdbserver reports it).
    private func interrupt() {
        guard !holding, let t = someThread else { return }
        stop(t, "T02")
    }

    /// gdb went away: everything it set is undone and the machine runs on.
    private func disconnect() {
        for pid in attached { detach(pid) }
        closeConnection()
        holding = false
    }

    private func closeConnection() {
        guard let fd = connection else { return }
        kernel.loop.unwatch(fd.raw)
        kernel.hostEndpoints[fd.raw] = nil
        fd.close()
        connection = nil
    }

    /// Closes the listener and the connection (the machine ends).
    func close() {
        closeConnection()
        kernel.loop.unwatch(listener.raw)
        kernel.hostEndpoints[listener.raw] = nil
        listener.close()
    }

    private func send(_ reply: String) { send(Array(reply.utf8)) }
    private func send(_ payload: [UInt8]) {
        guard connection != nil else { return }
        write(RSPWriter.frame(payload))
    }
    private func write(_ bytes: [UInt8]) {
        guard let fd = connection else { return }
        var b = bytes
        if (try? fd.writeAll(&b)) == nil { closeConnection() }
    }

    // MARK: Packets

    /// The reply to one packet, or nil for none (a resume: the stop reply comes later; `k`).
    func handle(_ p: [UInt8]) -> String? {
        guard let first = p.first else { return "" }
        let rest = p.dropFirst()
        switch first {
        case UInt8(ascii: "?"): return lastStop
        case UInt8(ascii: "g"): return readAllRegisters()
        case UInt8(ascii: "G"): return writeAllRegisters(rest)
        case UInt8(ascii: "p"): return readRegister(rest)
        case UInt8(ascii: "P"): return writeRegister(rest)
        case UInt8(ascii: "m"): return readMemory(rest)
        case UInt8(ascii: "M"): return writeMemory(rest, binary: false)
        case UInt8(ascii: "X"): return writeMemory(rest, binary: true)
        case UInt8(ascii: "H"): return setThread(rest)
        case UInt8(ascii: "T"): return threadAlive(rest)
        case UInt8(ascii: "Z"), UInt8(ascii: "z"): return debugPoint(rest, insert: first == UInt8(ascii: "Z"))
        case UInt8(ascii: "c"), UInt8(ascii: "s"):
            // The old resume packets (an address to resume at is not supported).
            return resume([ResumeAction(step: first == UInt8(ascii: "s"), signal: 0, thread: nil)])
        case UInt8(ascii: "C"), UInt8(ascii: "S"):
            // Csig[;addr] / Ssig[;addr]: resume the current thread with a signal.
            guard let n = RSPHex.number(rest.prefix { $0 != UInt8(ascii: ";") }), n <= 0xff else { return "E01" }
            return resume([ResumeAction(step: first == UInt8(ascii: "S"), signal: Int32(n), thread: nil)])
        case UInt8(ascii: "k"): kill(nil); return nil
        case UInt8(ascii: "D"): return detachPacket(rest)
        case UInt8(ascii: "q"), UInt8(ascii: "Q"): return query(String(decoding: p, as: UTF8.self))
        case UInt8(ascii: "v"): return vPacket(String(decoding: p, as: UTF8.self))
        default: return ""
        }
    }

    private func query(_ q: String) -> String? {
        if q.hasPrefix("qSupported") {
            let features = q.dropFirst("qSupported:".count).split(separator: ";")
            multiprocess = features.contains("multiprocess+")
            reportsForks = features.contains("fork-events+")
            reportsVForks = features.contains("vfork-events+")
            reportsExecs = features.contains("exec-events+")
            var reply = "PacketSize=\(String(GDBStub.packetSize, radix: 16));swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+;QPassSignals+"
            reply += ";multiprocess+;QCatchSyscalls+;fork-events+;vfork-events+;exec-events+"
            reply += ";qXfer:auxv:read+;qXfer:exec-file:read+;qXfer:threads:read+"
            if kernel.backend.gdbTargetDescription != nil { reply += ";qXfer:features:read+" }
            return reply
        }
        if q == "QStartNoAckMode" { noAck = true; return "OK" }
        if q == "qC" { return (generalThread ?? stopThread).map { "QC" + threadID($0) } ?? "" }
        if q == "qAttached" || q.hasPrefix("qAttached:") { return "0" }  // umlab created it: quitting kills it
        if q == "qfThreadInfo" {
            let ids = attachedThreads().map(threadID)
            return ids.isEmpty ? "l" : "m" + ids.joined(separator: ",")
        }
        if q == "qsThreadInfo" { return "l" }
        if q.hasPrefix("qXfer:") { return xfer(q) }
        if q.hasPrefix("QPassSignals:") { return passSignals(q.dropFirst("QPassSignals:".count)) }
        if q.hasPrefix("QCatchSyscalls:") { return catchSyscalls(q.dropFirst("QCatchSyscalls:".count)) }
        if q.hasPrefix("qRcmd,") {
            guard let bytes = RSPHex.decode(Array(q.utf8).dropFirst(6)) else { return "E01" }
            return monitor(String(decoding: bytes, as: UTF8.self))
        }
        if q == "qSymbol::" { return "OK" }
        if q.hasPrefix("qThreadExtraInfo,") {
            guard let t = parseThread(Array(q.utf8).dropFirst("qThreadExtraInfo,".count)).flatMap({ $0 }) else { return "E01" }
            return RSPHex.encode(t.process.comm)
        }
        return ""
    }

    private func vPacket(_ v: String) -> String? {
        if v == "vCont?" { return "vCont;c;C;s;S" }
        if v.hasPrefix("vCont;") {
            var actions: [ResumeAction] = []
            for a in v.dropFirst(6).split(separator: ";") {
                let parts = a.split(separator: ":", maxSplits: 1)
                guard let action = parts.first, let kind = action.first, "cCsS".contains(kind) else { return "E01" }
                // C and S carry gdb's number of the signal to deliver: two hex digits.
                var signal: Int32 = 0
                if kind == "C" || kind == "S" {
                    guard let n = RSPHex.number(Array(action.dropFirst().utf8)), n <= 0xff else { return "E01" }
                    signal = Int32(n)
                } else if action.count != 1 {
                    return "E01"
                }
                var thread: Task?? = nil
                if parts.count == 2 {
                    guard let t = parseThread(Array(parts[1].utf8)) else { return "E01" }
                    thread = .some(t)
                }
                actions.append(ResumeAction(step: kind == "s" || kind == "S", signal: signal, thread: thread))
            }
            return resume(actions)
        }
        if v == "vMustReplyEmpty" { return "" }
        if v.hasPrefix("vKill") {
            let pid = v.split(separator: ";").dropFirst().first.flatMap { RSPHex.number(Array($0.utf8)) }
            kill(pid.map { Int32(truncatingIfNeeded: $0) })
            return "OK"
        }
        return ""
    }

    /// One action of a resume packet: step or continue, gdb's number of a signal to deliver
    /// (0: none), and the thread (nil: the default action; .some(nil): all/any).
    struct ResumeAction {
        var step: Bool
        var signal: Int32
        var thread: Task??
    }

    /// vCont / c / s / C / S: the first thread with a step action steps (all-stop: the others
    /// resume with it, as gdb asked, and stop again when it has). A signal in an action is
    /// delivered to its thread (the stopped one for a default action) before it runs on; a
    /// signal a thread stopped with and was not given back is dropped, as gdbserver does.
    private func resume(_ actions: [ResumeAction]) -> String? {
        guard !attached.isEmpty else { return "E01" }
        func target(_ a: ResumeAction) -> Task? {
            switch a.thread {
            case .none: return a.signal != 0 ? stopThread ?? generalThread : generalThread ?? stopThread
            case .some(.none): return stopThread   // "all threads" / any: the current one
            case .some(.some(let t)): return t
            }
        }
        var stepper: Task?
        for a in actions where a.step { stepper = target(a); break }
        if let s = stepper, s.state == .dead { return "E01" }
        var injected: [Int32: SignalInfo] = [:]
        for a in actions where a.signal != 0 {
            guard let t = target(a), t.state != .dead, injected[t.tid] == nil else { continue }
            // A number the guest has no signal for is ignored (gdbserver warns and drops it).
            guard let sig = GDBStub.guestSignal(a.signal) else { continue }
            if let reported = reportedSignals[t.tid], reported.signal.rawValue == sig {
                injected[t.tid] = reported   // passed on as it came, with its siginfo
            } else {
                injected[t.tid] = SignalInfo(signal: Signal(sig), code: SignalCode.SI_USER)
            }
        }
        reportedSignals = [:]
        injectedSignals = injected
        stepSignalFrom = nil
        stepping = stepper
        stepAwaitsCall = false
        holding = false
        return nil
    }

    /// QPassSignals:NUM;NUM... (gdb's numbers, hex): the signals delivered without a stop.
    private func passSignals(_ arg: Substring) -> String {
        var passed = Set<Int32>()
        for p in arg.split(separator: ";") {
            guard let n = RSPHex.number(Array(p.utf8)), n <= 0xff else { return "E01" }
            if let sig = GDBStub.guestSignal(Int32(n)) { passed.insert(sig) }
        }
        passedSignals = passed
        return "OK"
    }

    // MARK: gdb's signal numbers

    /// gdb's numbering (include/gdb/signals.def, the remote protocol's) of Linux's signals 1-31:
    /// equal up to 15, then SIGSTKFLT has none (143: unknown), SIGCHLD 20, SIGCONT 19, SIGSTOP
    /// 17, SIGTSTP 18, SIGTTIN/TTOU 21/22, SIGURG 16, SIGXCPU..SIGWINCH 24-28, SIGIO 23,
    /// SIGPWR 32, SIGSYS 12 (and SIGBUS 10, SIGUSR1 30, SIGUSR2 31).
    private static let gdbNumbers: [Int32] = [
        0, 1, 2, 3, 4, 5, 6, 10, 8, 9, 30, 11, 31, 13, 14, 15,
        143, 20, 19, 17, 18, 21, 22, 16, 24, 25, 26, 27, 28, 23, 32, 12,
    ]

    /// gdb's number for the guest's signal `sig`: real-time 32 is 77, 33-63 are 45-75, 64 is 78.
    static func gdbSignal(_ sig: Int32) -> Int32 {
        switch sig {
        case 0..<32: return gdbNumbers[Int(sig)]
        case 32: return 77
        case 33...63: return sig + 12
        case 64: return 78
        default: return 143
        }
    }

    /// The guest's signal for gdb's number `n`, or nil if Linux has none.
    static func guestSignal(_ n: Int32) -> Int32? {
        switch n {
        case 77: return 32
        case 45...75: return n - 12
        case 78: return 64
        default:
            guard n > 0, n != 143, let i = gdbNumbers.firstIndex(of: n) else { return nil }
            return Int32(i)
        }
    }

    private func kill(_ pid: Int32?) {
        let targets = pid.map { [$0] } ?? Array(attached)
        for p in targets {
            guard let process = kernel.processes[p], let t = process.threads.first else { continue }
            attached.remove(p)
            kernel.exitGroup(t, status: Signal.SIGKILL.rawValue, bySignal: true)
        }
        if attached.isEmpty { holding = false }
    }

    private func detachPacket(_ rest: ArraySlice<UInt8>) -> String {
        if rest.first == UInt8(ascii: ";") {
            guard let pid = RSPHex.number(rest.dropFirst()) else { return "E01" }
            detach(Int32(truncatingIfNeeded: pid))
        } else {
            for p in attached { detach(p) }
        }
        if attached.isEmpty {
            holding = false
            stepping = nil
            send("OK")
            closeConnection()
            return ""  // (sent above: the connection closes after it)
        }
        // follow-fork-mode child detaches the parent and carries on with the child.
        if let s = stopThread, !attached.contains(s.process.pid), let p = attached.first,
           let t = kernel.processes[p]?.mainThread { stopThread = t; generalThread = t }
        return "OK"
    }

    /// Lets process `pid` go: its debug points are cleared and its breakpoint instructions
    /// restored (gdb normally removed them already); a breakpoint it meets is a SIGTRAP again.
    private func detach(_ pid: Int32) {
        guard attached.remove(pid) != nil else { return }
        if let process = kernel.processes[pid] {
            for (address, saved) in softwareBreakpoints[pid] ?? [:] {
                if let t = process.threads.first { try? debuggerWrite(t, address, saved) }
            }
            // A vfork child shares its parent's memory, and with it the debug points.
            let shared = process.threads.first.map { t in
                kernel.tasks.values.contains { $0.mm === t.mm && $0.process !== process && attached.contains($0.process.pid) }
            } ?? false
            for t in process.threads {
                if !shared { try? t.context.setDebugPoints([]) }
                t.context.reportsBreakpoints = false
                inCaughtCall.remove(t.tid)
            }
        }
        softwareBreakpoints[pid] = nil
        debugPoints[pid] = nil
        if stepping?.process.pid == pid { stepping = nil }
        // A signal gdb held back or chose is delivered after all: the process runs on untraced.
        for t in kernel.processes[pid]?.threads ?? [] {
            if let info = injectedSignals.removeValue(forKey: t.tid) ?? reportedSignals.removeValue(forKey: t.tid) {
                t.pending.add(info)
            }
        }
    }

    // MARK: Threads

    private func attachedThreads() -> [Task] {
        attached.sorted().compactMap { kernel.processes[$0] }.flatMap { $0.threads.sorted { $0.tid < $1.tid } }
    }

    func threadID(_ t: Task) -> String {
        multiprocess ? "p\(hex(UInt64(t.process.pid))).\(hex(UInt64(t.tid)))" : hex(UInt64(t.tid))
    }
    private func threadField(_ t: Task) -> String { "thread:\(threadID(t));" }

    /// A thread id: `pP.T`, `P.T` or `T` in hex, -1 for all and 0 for any. Returns .some(nil)
    /// for "all"/"any" (the current thread), nil for a malformed id or an unknown thread.
    private func parseThread<C: Collection>(_ s: C) -> Task?? where C.Element == UInt8 {
        var text = Array(s)
        if text.first == UInt8(ascii: "p") { text.removeFirst() }
        let parts = text.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        func field(_ f: ArraySlice<UInt8>) -> Int64? {
            if Array(f) == Array("-1".utf8) { return -1 }
            return RSPHex.number(f).map { Int64(bitPattern: $0) }
        }
        guard let a = parts.first.flatMap(field) else { return nil }
        let tid: Int64
        if parts.count == 2 {
            guard let b = field(parts[1]) else { return nil }
            tid = b
            if a > 0 && b <= 0 {
                // pP.-1 / pP.0: a process's threads: its first one.
                return .some(kernel.processes[Int32(truncatingIfNeeded: a)]?.mainThread)
            }
        } else {
            tid = a
        }
        if tid <= 0 { return .some(nil) }
        guard tid <= Int64(Int32.max), let t = kernel.tasks[Int32(tid)], attached.contains(t.process.pid) else { return nil }
        return .some(t)
    }

    private func setThread(_ rest: ArraySlice<UInt8>) -> String {
        guard let op = rest.first, let parsed = parseThread(rest.dropFirst()) else { return "E01" }
        if op == UInt8(ascii: "g") { generalThread = parsed ?? stopThread }
        return "OK"  // Hc: vCont names its threads itself
    }

    private func threadAlive(_ rest: ArraySlice<UInt8>) -> String {
        guard let t = parseThread(rest), let task = t, task.state != .dead else { return "E01" }
        return "OK"
    }

    // MARK: Registers and memory

    private var thread: Task? {
        if let t = generalThread, t.state != .dead { return t }
        if let t = stopThread, t.state != .dead { return t }
        return attachedThreads().first
    }

    private func readAllRegisters() -> String {
        guard let t = thread else { return "E01" }
        var out = ""
        for n in t.context.registers.indices {
            if let bytes = try? t.context.readRegister(n) { out += RSPHex.encode(bytes) }
            else { out += String(repeating: "x", count: 2 * t.context.registers[n].size) }
        }
        return out
    }

    private func writeAllRegisters(_ hexText: ArraySlice<UInt8>) -> String {
        guard let t = thread, let bytes = RSPHex.decode(hexText) else { return "E01" }
        var at = 0
        for (n, r) in t.context.registers.enumerated() where at + r.size <= bytes.count {
            let value = Array(bytes[at..<at + r.size])
            if r.writable { try? t.context.writeRegister(n, value) }
            at += r.size
        }
        return "OK"
    }

    private func readRegister(_ rest: ArraySlice<UInt8>) -> String {
        guard let t = thread, let n = RSPHex.number(rest), n < UInt64(t.context.registers.count) else { return "E01" }
        guard let bytes = try? t.context.readRegister(Int(n)) else { return "E01" }
        return RSPHex.encode(bytes)
    }

    private func writeRegister(_ rest: ArraySlice<UInt8>) -> String {
        guard let t = thread, let eq = rest.firstIndex(of: UInt8(ascii: "=")),
              let n = RSPHex.number(rest[..<eq]), n < UInt64(t.context.registers.count),
              let bytes = RSPHex.decode(rest[(eq + 1)...]) else { return "E01" }
        do { try t.context.writeRegister(Int(n), bytes) } catch { return "E" + hex2(Int32(error.rawValue)) }
        return "OK"
    }

    /// `ADDR,LENGTH` (and the rest after `:` for writes).
    private func addressAndLength(_ s: ArraySlice<UInt8>) -> (UInt64, Int)? {
        guard let comma = s.firstIndex(of: UInt8(ascii: ",")), let a = RSPHex.number(s[..<comma]),
              let l = RSPHex.number(s[(comma + 1)...]) else { return nil }
        return (a, Int(min(l, UInt64(Int.max))))
    }

    private func readMemory(_ rest: ArraySlice<UInt8>) -> String {
        guard let t = thread, let (address, length) = addressAndLength(rest) else { return "E01" }
        let count = min(length, (GDBStub.packetSize - 4) / 2)
        let bytes = readGuest(t, address, count)
        if bytes.isEmpty && count > 0 { return "E0e" }
        return RSPHex.encode(bytes)
    }

    /// What can be read of [address, address + count): up to the first unreadable byte.
    private func readGuest(_ t: Task, _ address: UInt64, _ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        var a = address
        var left = count
        while left > 0 {
            let inPage = Int(min(UInt64(left), 4096 - (a & 4095)))
            var chunk = [UInt8](repeating: 0, count: inPage)
            let space = t.context.addressSpace
            guard (try? typedErrno({ try chunk.withUnsafeMutableBytes { try space.read(a, into: $0) } })) != nil else { break }
            out += chunk
            left -= inPage
            let (next, over) = a.addingReportingOverflow(UInt64(inPage))
            if over { break }
            a = next
        }
        return out
    }

    private func writeMemory(_ rest: ArraySlice<UInt8>, binary: Bool) -> String {
        guard let t = thread, let colon = rest.firstIndex(of: UInt8(ascii: ":")),
              let (address, length) = addressAndLength(rest[..<colon]) else { return "E01" }
        let data = rest[(colon + 1)...]
        guard let bytes = binary ? RSPHex.unescape(data) : RSPHex.decode(data), bytes.count == length else { return "E01" }
        if bytes.isEmpty { return "OK" }  // gdb's probe for X support
        guard GuestMath.end(address, UInt64(bytes.count)) != nil else { return "E0e" }
        do { try debuggerWrite(t, address, bytes) } catch { return "E0e" }
        return "OK"
    }

    private func debuggerWrite(_ t: Task, _ address: UInt64, _ bytes: [UInt8]) throws(LinuxErrno) {
        let space = t.context.addressSpace
        try typedErrno { try bytes.withUnsafeBytes { try space.debuggerWrite(address, from: $0) } }
    }

    // MARK: Breakpoints and watchpoints

    /// Z/z TYPE,ADDR,KIND: 0 software breakpoint (the backend's instruction, written by the
    /// stub), 1 hardware breakpoint, 2/3/4 write/read/access watchpoints (debug points on
    /// every thread of the process). An empty reply says "not supported": gdb falls back
    /// (memory breakpoints, software watchpoints).
    private func debugPoint(_ rest: ArraySlice<UInt8>, insert: Bool) -> String {
        let fields = rest.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard fields.count >= 3, let type = RSPHex.number(fields[0]), let address = RSPHex.number(fields[1]),
              let kindField = fields[2].split(separator: UInt8(ascii: ";")).first, let kind = RSPHex.number(kindField),
              let t = thread else { return "E01" }
        let pid = t.process.pid
        switch type {
        case 0:
            guard let instruction = kernel.backend.softwareBreakpoint(kind: Int(min(kind, 64))) else { return "" }
            if insert {
                // Written again if it is recorded already: a vfork child's detach restored the
                // memory it shares with the parent.
                let saved = softwareBreakpoints[pid]?[address] ?? readGuest(t, address, instruction.count)
                guard saved.count == instruction.count else { return "E0e" }
                do { try debuggerWrite(t, address, instruction) } catch { return "E0e" }
                softwareBreakpoints[pid, default: [:]][address] = saved
            } else {
                guard let saved = softwareBreakpoints[pid]?.removeValue(forKey: address) else { return "OK" }
                do { try debuggerWrite(t, address, saved) } catch { return "E0e" }
            }
            return "OK"
        case 1...4:
            guard kind > 0 || type == 1, kind <= 1 << 20 else { return "E16" }
            let point: DebugPoint
            switch type {
            case 1: point = DebugPoint(.execute, address: address)
            case 2: point = DebugPoint(.watch(.write), address: address, length: kind)
            case 3: point = DebugPoint(.watch(.read), address: address, length: kind)
            default: point = DebugPoint(.watch(.access), address: address, length: kind)
            }
            var points = debugPoints[pid] ?? []
            if insert { points.append(point) } else if let i = points.firstIndex(of: point) { points.remove(at: i) } else { return "OK" }
            guard let process = kernel.processes[pid] else { return "E03" }
            do {
                for th in process.threads { try th.context.setDebugPoints(points) }
            } catch .ENOSYS {
                return ""
            } catch {
                for th in process.threads { try? th.context.setDebugPoints(debugPoints[pid] ?? []) }
                return "E" + hex2(Int32(error.rawValue))
            }
            debugPoints[pid] = points
            return "OK"
        default:
            return ""
        }
    }

    /// QCatchSyscalls:0 | 1 | 1;NUM;NUM... (the ISA's numbers, in hex).
    private func catchSyscalls(_ arg: Substring) -> String {
        let parts = arg.split(separator: ";")
        guard let onOff = parts.first else { return "E01" }
        if onOff == "0" { caughtSyscalls = nil; return "OK" }
        guard onOff == "1" else { return "E01" }
        var numbers = Set<Int>()
        for p in parts.dropFirst() {
            guard let n = RSPHex.number(Array(p.utf8)), n < 1 << 20 else { return "E01" }
            numbers.insert(Int(n))
        }
        caughtSyscalls = numbers
        return "OK"
    }

    // MARK: qXfer

    /// qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH. The data goes out as binary (the framing escapes
    /// what it must): a chunk with bytes above 0x7f (the auxv's words) is sent here rather than
    /// returned as a String, which would turn them into UTF-8.
    private func xfer(_ q: String) -> String? {
        let parts = q.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[2] == "read", let (offset, length) = addressAndLength(ArraySlice(Array(parts[4].utf8))) else { return "E00" }
        let data: [UInt8]
        switch parts[1] {
        case "features":
            guard parts[3] == "target.xml", let xml = kernel.backend.gdbTargetDescription else { return "E00" }
            data = Array(xml.utf8)
        case "auxv":
            guard let t = thread else { return "E01" }
            data = t.process.auxv
        case "exec-file":
            let pid = parts[3].isEmpty ? thread?.process.pid : RSPHex.number(Array(parts[3].utf8)).map { Int32(truncatingIfNeeded: $0) }
            guard let pid, let p = kernel.processes[pid] else { return "E01" }
            data = Array(p.executablePath.utf8)
        case "threads":
            var xml = "<?xml version=\"1.0\"?>\n<threads>\n"
            for t in attachedThreads() {
                xml += "<thread id=\"\(threadID(t))\" core=\"0\" name=\"\(xmlEscape(t.process.comm))\"/>\n"
            }
            data = Array((xml + "</threads>\n").utf8)
        default:
            return ""
        }
        guard offset < UInt64(data.count) else { return "l" }
        let start = Int(offset)
        let n = min(length, data.count - start, GDBStub.packetSize / 2)
        let chunk = data[start..<start + n]
        let more = start + n < data.count ? "m" : "l"
        guard chunk.allSatisfy({ $0 < 0x80 }) else { send(Array(more.utf8) + chunk); return nil }
        return more + String(decoding: chunk, as: UTF8.self)
    }

    private func xmlEscape(_ s: String) -> String {
        s.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;").replacingAll("\"", "&quot;")
    }

    // MARK: monitor

    /// `monitor COMMAND` (qRcmd): the output goes back in O packets; the reply ends it.
    private func monitor(_ command: String) -> String {
        let words = command.split(separator: " ").map(String.init)
        var out = ""
        switch words.first ?? "" {
        case "ps":
            out = "  PID  PPID STAT COMMAND\n"
            for p in kernel.processes.values.sorted(by: { $0.pid < $1.pid }) where !p.zombie {
                let ppid = p.parent?.pid ?? 0
                let state = p.stopped ? "T" : attached.contains(p.pid) ? "t" : "S"
                out += pad(p.pid, 5) + " " + pad(ppid, 5) + " " + state.padding(4) + " " + p.comm + "\n"
            }
        case "maps":
            guard words.count == 2, let pid = Int32(words[1]), let p = kernel.processes[pid], !p.zombie else { return "E01" }
            out = ProcFS.maps(p)
        case "strace":
            guard words.count == 2, words[1] == "on" || words[1] == "off" else { return "E01" }
            kernel.config.trace = words[1] == "on" ? TraceSink(fd: .standardError) : nil
            out = "strace \(words[1]) (to umlab's standard error)\n"
        case "syscall-break":
            guard words.count == 2 else { return "E01" }
            switch words[1] {
            case "any": syscallBreaks = []
            case "off": syscallBreaks = nil
            default:
                guard let n = kernel.syscallTable.entries.firstIndex(where: { $0?.name == words[1] }) else {
                    return RSPHex.encode("unknown system call \(words[1])\n")
                }
                syscallBreaks = (syscallBreaks ?? []).union([n])
            }
            out = "syscall-break \(words[1])\n"
        case "mode":
            out = "isolation \(kernel.config.mode), backend \(kernel.backend.name)\n"
        default:
            out = "umlab monitor commands: ps, maps PID, strace on|off, syscall-break NAME|any|off, mode\n"
        }
        send("O" + RSPHex.encode(out))
        return "OK"
    }

    private func pad(_ n: Int32, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }

    // MARK: Formatting

    private func hex(_ v: UInt64) -> String { String(v, radix: 16) }
    private func hex2(_ v: Int32) -> String {
        let s = String(UInt8(truncatingIfNeeded: v), radix: 16)
        return s.count == 1 ? "0" + s : s
    }
}

extension String {
    fileprivate func replacingAll(_ a: String, _ b: String) -> String {
        split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b)
    }
    fileprivate func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}

/// The listening socket in the kernel's event loop: a connection is accepted when it comes.
private final class ListenerEndpoint: HostEndpoint {
    unowned let stub: GDBStub
    let hostFD: HostFD
    init(stub: GDBStub, fd: HostFD) { self.stub = stub; hostFD = fd }
    func hostReady(_ events: UInt32) { stub.accept() }
}

/// The debugger's connection in the kernel's event loop: packets are handled as they come,
/// while the machine is held and (Ctrl-C) while it runs.
private final class ConnectionEndpoint: HostEndpoint {
    unowned let stub: GDBStub
    let hostFD: HostFD
    init(stub: GDBStub, fd: HostFD) { self.stub = stub; hostFD = fd }
    func hostReady(_ events: UInt32) { stub.readable() }
}
