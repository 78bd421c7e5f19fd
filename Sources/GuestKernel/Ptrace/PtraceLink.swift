import LinuxABI

// ptrace(2) for guests: the state of one tracing relation, the numbers of the ABI, and the
// per-ISA register layout the requests that move registers need.
//
// Linux's model, kept here: a tracer is a thread; each tracee is a thread with at most one
// tracer. A tracee runs until it reaches a ptrace stop (a signal about to be delivered, a
// system call's entry or exit under PTRACE_SYSCALL, an event such as fork or exec, a group
// stop, PTRACE_INTERRUPT); it then sleeps in `Task.State.traced` until its tracer resumes it.
// The tracer learns of stops (and of the tracee's death) through wait4/waitid, which report
// tracees as if they were children, and through SIGCHLD.

/// Request numbers (the generic ones, plus those x86-64 and PowerPC share: GETREGS 12 …).
enum PtraceRequest {
    static let traceMe = 0, peekText = 1, peekData = 2, peekUser = 3, pokeText = 4, pokeData = 5, pokeUser = 6
    static let cont = 7, kill = 8, singleStep = 9, getRegs = 12, setRegs = 13, getFPRegs = 14, setFPRegs = 15
    static let attach = 16, detach = 17, syscall = 24
    static let setOptions = 0x4200, getEventMsg = 0x4201, getSigInfo = 0x4202, setSigInfo = 0x4203
    static let getRegSet = 0x4204, setRegSet = 0x4205, seize = 0x4206, interrupt = 0x4207, listen = 0x4208
    static let peekSigInfo = 0x4209, getSigMask = 0x420a, setSigMask = 0x420b, getSyscallInfo = 0x420e
}

/// PTRACE_O_* options and PTRACE_EVENT_* numbers.
enum PtraceOption {
    static let traceSysGood: UInt32 = 1, traceFork: UInt32 = 2, traceVFork: UInt32 = 4, traceClone: UInt32 = 8
    static let traceExec: UInt32 = 0x10, traceVForkDone: UInt32 = 0x20, traceExit: UInt32 = 0x40, traceSeccomp: UInt32 = 0x80
    static let exitKill: UInt32 = 0x10_0000, suspendSeccomp: UInt32 = 0x20_0000
    static let all: UInt32 = 0xff | exitKill | suspendSeccomp

    static let eventFork: Int32 = 1, eventVFork: Int32 = 2, eventClone: Int32 = 3, eventExec: Int32 = 4
    static let eventVForkDone: Int32 = 5, eventExit: Int32 = 6, eventStop: Int32 = 128
}

/// How the tracer last resumed its tracee: what makes it stop next.
enum PtraceResume: Equatable {
    /// PTRACE_CONT: only signals and events stop it.
    case cont
    /// PTRACE_SYSCALL: also the entry and exit of every system call.
    case syscall
    /// PTRACE_SINGLESTEP: one instruction, then a SIGTRAP.
    case step
}

/// A ptrace stop, as the tracer's wait sees it.
enum PtraceStop {
    /// Signal-delivery stop: the tracer decides what is delivered (the resume's `data`).
    case signal(SignalInfo)
    /// Syscall-entry and syscall-exit stops (SIGTRAP, | 0x80 with PTRACE_O_TRACESYSGOOD).
    case syscallEntry, syscallExit
    /// An event stop: PTRACE_EVENT_* in bits 16-23 of the status, with SIGTRAP; or, for
    /// PTRACE_EVENT_STOP, the signal of a group stop (or SIGTRAP).
    case event(Int32, Signal)
    /// A group stop of a tracee attached with PTRACE_ATTACH / TRACEME (plain stop status).
    case group(Signal)
}

/// One tracing relation, held by the tracee (`Task.traced`); the tracer lists its tracees
/// (`Task.tracees`).
final class PtraceLink {
    /// The tracing thread. Safe as unowned: a tracer that exits detaches (or kills) every tracee
    /// first (`Kernel.ptraceTracerExiting`).
    unowned(unsafe) let tracer: Task
    /// Attached with PTRACE_SEIZE (group stops and PTRACE_INTERRUPT report as event stops).
    let seized: Bool
    var options: UInt32
    var resume = PtraceResume.cont
    /// Resumed with PTRACE_SYSEMU (resume .syscall) or PTRACE_SYSEMU_SINGLESTEP (.step): the
    /// next system call stops at its entry and is then not run (no exit stop either); the
    /// tracer supplies its result, as a UML-style tracer does.
    var emulatesCalls = false
    /// The call in progress stopped at its entry under SYSEMU: it is skipped.
    var emulatedCall = false
    /// The stop the tracee sleeps in, and whether a wait has reported it yet.
    var stop: PtraceStop?
    var stopReported = false
    /// The syscall-entry stop of the call in progress was taken (the exit stop comes next).
    var inSyscall = false
    /// The tracer resumed the tracee in a syscall-entry stop with PTRACE_SINGLESTEP, or the step
    /// ran a system call: the step's SIGTRAP comes after the call completes.
    var stepTrapAfterCall = false
    /// An event stop due before the tracee returns to user mode (fork's, exec's).
    var pendingEvent: (event: Int32, message: UInt64)?
    /// PTRACE_O_TRACEEXIT: the exit the tracee carries out once its tracer resumes it from the
    /// PTRACE_EVENT_EXIT stop (`Kernel.exitTask`'s arguments).
    var pendingExit: (status: Int32, group: Bool, bySignal: Bool)?
    /// PTRACE_GETEVENTMSG: the new child's pid, the former tid at exec, the exit status.
    var eventMessage: UInt64 = 0
    /// The signal the tracer chose to deliver when it resumed a signal-delivery stop.
    var signalToDeliver: SignalInfo?
    /// PTRACE_GETSIGINFO: the siginfo of the stop (what PTRACE_SETSIGINFO changes).
    var siginfo = SignalInfo(signal: .SIGTRAP, code: 0)
    /// PTRACE_INTERRUPT asked for a PTRACE_EVENT_STOP.
    var interruptPending = false
    /// PTRACE_LISTEN: the tracee stays stopped, but a SIGCONT or a new event makes it trap again.
    var listening = false
    /// A SIGCONT ended the group stop while the seized tracee was in a ptrace stop: it traps
    /// again (PTRACE_EVENT_STOP with SIGTRAP) as soon as it listens (Linux's JOBCTL_TRAP_NOTIFY).
    var trapNotify = false
    /// The tracee ended: the wait status the tracer has still to collect.
    var exitStatus: Int32?
    /// The tracee's debug registers as struct user's u_debugreg shows them (x86-64 DR0-DR7).
    var debugRegisters = [UInt64](repeating: 0, count: 8)

    init(tracer: Task, seized: Bool, options: UInt32) {
        self.tracer = tracer; self.seized = seized; self.options = options
    }

    /// The stop's wait status (`0x7f | signal << 8 | event << 16`).
    var waitStatus: Int32 {
        switch stop {
        case .signal(let info): return 0x7f | info.signal.rawValue << 8
        case .syscallEntry, .syscallExit:
            let sig = Signal.SIGTRAP.rawValue | (options & PtraceOption.traceSysGood != 0 ? 0x80 : 0)
            return 0x7f | sig << 8
        case .event(let e, let sig): return 0x7f | sig.rawValue << 8 | e << 16
        case .group(let sig): return 0x7f | sig.rawValue << 8
        case nil: return 0
        }
    }
}

/// How an ISA lays out the register structures of ptrace: `user_regs_struct` / `pt_regs`
/// (PTRACE_GETREGS, NT_PRSTATUS), the floating-point set (PTRACE_GETFPREGS, NT_PRFPREG) and
/// `struct user` (PTRACE_PEEKUSER). The core maps the general registers word by word onto the
/// context's registers (`ExecutionContext.registers`, gdb's numbering), so it never names one.
public struct PtraceRegisterLayout {
    /// AUDIT_ARCH_* of the ISA (PTRACE_GET_SYSCALL_INFO's `arch`).
    public var auditArch: UInt32
    /// The general registers, one guest word each: the index of the context register it holds,
    /// or nil for a word umlab does not model (reads as zero, writes are ignored).
    public var general: [Int?]
    /// Size of the floating-point set in bytes (0: the ISA provides none here; EIO).
    public var floatingSize: Int
    /// Reads and writes the floating-point set (`floatingSize` bytes).
    public var readFloating: (any ExecutionContext) throws(LinuxErrno) -> [UInt8]
    public var writeFloating: (any ExecutionContext, [UInt8]) throws(LinuxErrno) -> Void
    /// Where the floating-point set starts in `struct user`, if PEEKUSER reaches it.
    public var floatingUserOffset: Int?
    /// Where `u_debugreg[8]` starts in `struct user` (x86-64: 848), if the ISA has them.
    public var debugRegisterOffset: Int?
    /// The ISA's PTRACE_SYSEMU and PTRACE_SYSEMU_SINGLESTEP request numbers (x86-64 31/32,
    /// PowerPC 0x1d/0x1e), if Linux has them there.
    public var sysemuRequests: (emulate: Int, emulateStep: Int)?
    /// sizeof(struct user): PEEKUSER/POKEUSER beyond it fail with EIO.
    public var userSize: Int
    /// The hardware debug points the eight debug-register words of `struct user` ask for
    /// (x86-64: DR0-DR3 addresses, DR7 enables, kinds and lengths), or nil where the ISA has
    /// none. EINVAL for a setting the ISA rejects.
    public var debugPoints: (([UInt64]) throws(LinuxErrno) -> [DebugPoint])?
    /// The return value of the system call that just completed, sign-extended, and whether it
    /// is an error (x86-64: rax in -4095 … -1; PowerPC: CR0.SO set, r3 the errno).
    public var syscallReturn: (any ExecutionContext) -> (value: Int64, isError: Bool)

    public init(auditArch: UInt32, general: [Int?], floatingSize: Int = 0,
                readFloating: @escaping (any ExecutionContext) throws(LinuxErrno) -> [UInt8] = { _ throws(LinuxErrno) in throw .EIO },
                writeFloating: @escaping (any ExecutionContext, [UInt8]) throws(LinuxErrno) -> Void = { _, _ throws(LinuxErrno) in throw .EIO },
                floatingUserOffset: Int? = nil, debugRegisterOffset: Int? = nil, userSize: Int,
                sysemuRequests: (emulate: Int, emulateStep: Int)? = nil,
                debugPoints: (([UInt64]) throws(LinuxErrno) -> [DebugPoint])? = nil,
                syscallReturn: @escaping (any ExecutionContext) -> (value: Int64, isError: Bool)) {
        self.auditArch = auditArch; self.general = general; self.floatingSize = floatingSize
        self.readFloating = readFloating; self.writeFloating = writeFloating
        self.floatingUserOffset = floatingUserOffset; self.debugRegisterOffset = debugRegisterOffset
        self.userSize = userSize; self.debugPoints = debugPoints; self.syscallReturn = syscallReturn
        self.sysemuRequests = sysemuRequests
    }
}
