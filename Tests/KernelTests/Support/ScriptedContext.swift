import GuestKernel
import LinuxABI
import SoftMMU

/// A guest thread whose "instructions" are a Swift script: `run` lets the script go on until it
/// posts its next system call. It keeps what real contexts keep in registers: the call in
/// progress, its result, a restart request, and the signal frames the kernel built.
///
/// Signal handlers are tokens, not code: `deliverSignal` records the delivery (the script reads
/// `caught`), and the handler "returns" at once: the next `run` is an rt_sigreturn, which brings
/// back the state saved in the frame (the interrupted call's result, or its restart).
final class ScriptedContext: ExecutionContext {
    unowned let backend: ScriptedBackend
    var memory: SoftMemory
    let channel: ScriptChannel
    /// Deliveries in order, for the script to inspect.
    let log: SignalLog

    var syscallNumber = 0
    var syscallArguments = SyscallArguments(0, 0, 0, 0, 0, 0)
    private var result: Result<UInt64, LinuxErrno> = .success(0)
    private var restart = false
    private var started = false
    private var terminated = false

    struct Frame {
        var number: Int, arguments: SyscallArguments
        var result: Result<UInt64, LinuxErrno>, restart: Bool
        var mask: SignalSet, altStack: AltStack
        var returned = false
    }
    private var frames: [Frame] = []
    /// The last program execve loaded (its entry and stack), for exec tests.
    var programStart: ProgramStart?
    var threadPointer: UInt64 = 0
    /// Set by a script just before it calls clone/fork: the child's channel and signal log.
    var pendingChild: (ScriptChannel, SignalLog, launch: (ScriptedContext) -> Void)?

    init(backend: ScriptedBackend, memory: SoftMemory, channel: ScriptChannel, log: SignalLog) {
        self.backend = backend; self.memory = memory; self.channel = channel; self.log = log
    }

    var addressSpace: any AddressSpace { memory }

    func run(sliceNanoseconds: Int64) -> Trap {
        if terminated { return .lost("script ended") }
        if backend.watchdogExpired { return .lost("script watchdog: the test ran too long") }
        if let i = frames.lastIndex(where: { !$0.returned }) {
            // The handler ran (it is a token): return from it.
            frames[i].returned = true
            syscallNumber = backend.sigreturnNumber
            return .syscall
        }
        if restart {
            restart = false
            return .syscall
        }
        channel.resume(started ? .result(result) : .start)
        started = true
        (syscallNumber, syscallArguments) = channel.nextCall()
        return .syscall
    }

    func setSyscallResult(_ r: Result<UInt64, LinuxErrno>) { result = r }
    func restartSyscall() { restart = true }

    var instructionPointer: UInt64 { 0 }

    // A script has no register file: the debugger interface is empty.
    var registers: [RegisterInfo] { [] }
    func readRegister(_ n: Int) throws(LinuxErrno) -> [UInt8] { throw .EINVAL }
    func writeRegister(_ n: Int, _ bytes: [UInt8]) throws(LinuxErrno) { throw .EINVAL }
    func setInstructionPointer(_ address: UInt64) {}
    func singleStep() -> Trap { run(sliceNanoseconds: 0) }
    var reportsBreakpoints = false
    /// Kept by the scripted thread's SoftMemory, as the interpreters keep theirs (a script has
    /// no instructions to stop at, so only the bookkeeping and its errors are exercised).
    func setDebugPoints(_ points: [DebugPoint]) throws(LinuxErrno) { try memory.setDebugPoints(points) }
    var stackPointer: UInt64 { ScriptedBackend.stackPointer }

    func clone(sharesMemory: Bool, stack: UInt64?, threadPointer: UInt64?) throws(LinuxErrno) -> any ExecutionContext {
        guard let (channel, log, launch) = pendingChild else { throw .ENOSYS }  // a clone the script did not ask for
        pendingChild = nil
        let child = ScriptedContext(backend: backend, memory: sharesMemory ? memory : try memory.fork(), channel: channel, log: log)
        child.threadPointer = threadPointer ?? self.threadPointer
        launch(child)
        return child
    }

    func replaceAddressSpace() throws(LinuxErrno) { memory = try SoftMemory.make() }

    /// After a successful execve the script goes on as "the new program"; its execve returns 0.
    func start(_ program: ProgramStart) {
        programStart = program
        result = .success(0)
        frames = []
    }

    func setThreadPointer(_ value: UInt64) { threadPointer = value }

    func deliverSignal(_ d: SignalDelivery) throws(LinuxErrno) {
        log.record(d)
        frames.append(Frame(number: syscallNumber, arguments: syscallArguments, result: result, restart: restart,
                            mask: d.savedMask, altStack: d.savedAltStack))
        restart = false
    }

    func returnFromSignal() throws(LinuxErrno) -> (mask: SignalSet, altStack: AltStack) {
        guard let f = frames.popLast() else { throw .EFAULT }
        (syscallNumber, syscallArguments, result, restart) = (f.number, f.arguments, f.result, f.restart)
        return (f.mask, f.altStack)
    }

    func terminate() {
        guard !terminated else { return }
        terminated = true
        channel.resume(.killed)
    }

    func crashReport() -> String { "  (scripted task: last call \(syscallNumber))" }
}
