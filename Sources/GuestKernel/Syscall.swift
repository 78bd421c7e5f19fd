import HostOS
import LinuxABI

/// What a handler did with a call.
public enum SyscallOutcome {
    /// The call completed with this value.
    case value(UInt64)
    /// The call cannot complete yet; the task sleeps on the wait's queues until one of them
    /// notifies, its deadline passes or a signal comes, then the call runs again from the start.
    case block(Wait)
    /// The handler set the registers itself (execve, rt_sigreturn) or the task is gone (exit).
    case noReturn

    public static func int(_ v: Int) -> SyscallOutcome { .value(UInt64(bitPattern: Int64(v))) }
    public static var zero: SyscallOutcome { .value(0) }
}

/// How completely an entry of an ISA's table is implemented.
public enum SupportLevel: String, Sendable {
    case full, partial
    /// Returns a fixed answer (success or an errno) without doing anything.
    case stub
    /// Not provided: the call fails with ENOSYS and is counted under its name as unimplemented.
    /// The entry says why (`SyscallEntry.reason`).
    case unsupported
}

/// A system call handler. Handlers are ISA-neutral: where ISAs lay out a structure or pass an
/// argument differently, the handler reads the difference from `GuestABI`.
public typealias SyscallHandler = @Sendable (inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome

/// How the tracer prints an argument.
public enum ArgFormat: Sendable {
    case int, hex, fd, dirfd, path, string, openFlags, octal, pointer, size, signal, clockid
    /// A 64-bit file offset or length (a register pair on 32-bit ISAs: `SyscallCall.offset64`).
    case offset64
}

/// One entry of an ISA's syscall table: the handler, and what --trace and --stats-json need.
public struct SyscallEntry: Sendable {
    /// The call's Linux name on this ISA (`stat64`, `clock_gettime64`): set when the table binds it.
    public var name = ""
    public var handler: SyscallHandler
    public var support: SupportLevel
    public var arguments: [ArgFormat]
    /// The call takes 64-bit `struct timespec`s whatever the word size (the *_time64 calls of
    /// 32-bit ISAs).
    public var time64 = false
    /// Why an `.unsupported` entry is not provided.
    public var reason = ""
    public init(_ support: SupportLevel = .full, _ arguments: [ArgFormat] = [], _ handler: @escaping SyscallHandler) {
        self.handler = handler; self.support = support; self.arguments = arguments
    }
}

/// An ISA's syscall table: number → entry, a flat array. Every number the ISA's syscall.tbl
/// lists has an entry, bound to a handler or marked `.unsupported` with a reason (see
/// arch/gen-syscalls.py); numbers beyond it return ENOSYS and are counted as `syscall_N`.
/// Nothing reaches the host.
public struct SyscallTable: Sendable {
    public private(set) var entries: [SyscallEntry?]
    /// A table for numbers below `count`, all unbound.
    public init(count: Int) { entries = Array(repeating: nil, count: count) }
    @inline(__always) public subscript(n: Int) -> SyscallEntry? {
        n >= 0 && n < entries.count ? entries[n] : nil
    }
    /// Binds number `n`, named `name`, to `entry` (a core entry such as `.stat`, or an ISA's own).
    /// `time64`: the 32-bit ABI's variant whose timespecs are 64-bit.
    public mutating func bind(_ n: Int, _ name: String, _ entry: SyscallEntry, time64: Bool = false) {
        var e = entry
        e.name = name
        if time64 { e.time64 = true }
        entries[n] = e
    }
    /// Marks number `n` as a call umlab does not provide, and why.
    public mutating func unsupported(_ n: Int, _ name: String, _ reason: String) {
        var e = SyscallEntry(.unsupported, []) { (_: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in throw .ENOSYS }
        e.name = name
        e.reason = reason
        entries[n] = e
    }
}

/// One system call in progress: arguments, and the kernel and task it runs in.
public struct SyscallCall {
    public unowned(unsafe) let kernel: Kernel
    public unowned(unsafe) let task: Task
    public let number: Int
    public let args: SyscallArguments
    /// Timespecs are 64-bit seconds + 64-bit nanoseconds (see SyscallEntry.time64).
    public var time64 = false

    public init(kernel: Kernel, task: Task, number: Int, args: SyscallArguments) {
        self.kernel = kernel; self.task = task; self.number = number; self.args = args
    }

    public var abi: GuestABI { kernel.abi }
    public var mm: MemoryMap { task.mm }

    /// Argument `i` as a C int (the low 32 bits, sign-extended).
    @inline(__always) public func int(_ i: Int) -> Int32 { Int32(truncatingIfNeeded: args[i]) }
    @inline(__always) public func uint(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: args[i]) }
    /// Argument `i` as an unsigned long (pointer or size).
    @inline(__always) public func word(_ i: Int) -> UInt64 { args[i] & kernel.abi.wordMask }
    /// Argument `i` as a signed long.
    @inline(__always) public func long(_ i: Int) -> Int64 {
        kernel.abi.wordSize == 8 ? Int64(bitPattern: args[i]) : Int64(Int32(truncatingIfNeeded: args[i]))
    }
    /// A 64-bit argument (a file offset or length) that follows `words` word-sized ones. 64-bit
    /// ISAs pass it in one register; 32-bit ones in a register pair starting at the next
    /// even-numbered argument, the most significant word first on big-endian ISAs (the
    /// PowerPC, ARM EABI and MIPS o32 convention).
    public func offset64(after words: Int) -> Int64 {
        if kernel.abi.wordSize == 8 { return Int64(bitPattern: args[words]) }
        let i = words + words & 1
        guard i + 1 < 6 else { return 0 }
        let (hi, lo) = kernel.abi.bigEndian ? (args[i], args[i + 1]) : (args[i + 1], args[i])
        return Int64(bitPattern: (hi & 0xffff_ffff) << 32 | (lo & 0xffff_ffff))
    }
    /// The index of the argument that follows a 64-bit one passed at `words` (see
    /// `offset64(after:)`): the next register on 64-bit ISAs, the one after the aligned
    /// register pair on 32-bit ones (fallocate's length, readahead's count).
    public func index(after64 words: Int) -> Int {
        kernel.abi.wordSize == 8 ? words + 1 : words + words & 1 + 2
    }
    /// The file position of preadv/pwritev, passed as (pos_l, pos_h) starting at argument `i`
    /// whatever the byte order, with no register-pair alignment; 64-bit ISAs pass it whole in
    /// pos_l (Linux's pos_from_hilo).
    public func lowHighOffset(_ i: Int) -> Int64 {
        if kernel.abi.wordSize == 8 { return Int64(bitPattern: args[i]) }
        return Int64(bitPattern: (args[i + 1] & 0xffff_ffff) << 32 | (args[i] & 0xffff_ffff))
    }
    /// A size argument, limited to what a buffer can hold.
    public func size(_ i: Int) throws(LinuxErrno) -> Int {
        let v = word(i)
        if kernel.abi.wordSize == 8 && Int64(bitPattern: v) < 0 { throw .EINVAL }
        return Int(min(v, 0x7fff_f000))
    }
    /// A path argument read from guest memory.
    public func path(_ i: Int) throws(LinuxErrno) -> [UInt8] {
        let p = word(i)
        if p == 0 { throw .EFAULT }
        return try mm.readCString(p, limit: 4096)
    }
}

extension Kernel {
    /// Runs the call `task` stopped at, and completes it (or blocks the task).
    func dispatchSyscall(_ task: Task) {
        guard let d = debugger else { return performSyscall(task) }
        d.dispatchSyscall(task)  // catchpoints around the call
    }

    func performSyscall(_ task: Task) {
        if task.traced != nil, ptraceSyscallEntry(task) { return }
        let ctx = task.context
        let number = ctx.syscallNumber
        let args = ctx.syscallArguments
        guard let entry = syscallTable[number], entry.support != .unsupported else {
            // Unknown numbers show as syscall_N; the ISA's unsupported ones by their name.
            let known = syscallTable[number]
            let key = known?.name ?? "syscall_\(number)"
            counters.unimplemented[key, default: 0] += 1
            let why = known.map { ": " + $0.reason } ?? ""
            if let trace = config.trace, trace.filter.map({ f in known.map(f.includes) ?? f.negated }) ?? true {
                trace.line(pid: task.tid, "\(key)(0x\(String(args.a0, radix: 16)), ...) = -1 ENOSYS (not implemented\(why))")
            }
            ctx.setSyscallResult(.failure(.ENOSYS))
            return
        }
        if entry.support == .stub { counters.unimplemented[entry.name, default: 0] += 1 }
        syscallCounts[number] &+= 1
        hostDescriptors.beginCall()
        var call = SyscallCall(kernel: self, task: task, number: number, args: args)
        call.time64 = entry.time64
        let tracing = config.trace?.traces(entry) ?? false
        let before = tracing ? formatCall(entry, call) : ""
        var outcome: SyscallOutcome
        do {
            outcome = try entry.handler(&call)
        } catch .ERESTARTSYS where task.deferredWait != nil {
            // Code below the handler (a FIFO open) has to wait: it left the wait in the task.
            outcome = .block(task.deferredWait!)
            task.deferredWait = nil
        } catch {
            task.callEnded()
            if error == .EMFILE { memory.noteEMFILE() }  // only RLIMIT_NOFILE gives EMFILE
            if tracing { config.trace?.line(pid: task.tid, "\(before) = -1 \(error.name) (\(error.message))") }
            if task.state != .dead { ctx.setSyscallResult(.failure(error)) }
            return
        }
        switch outcome {
        case .value(let v):
            task.callEnded()
            if tracing { config.trace?.line(pid: task.tid, "\(before) = \(formatResult(entry, v))") }
            ctx.setSyscallResult(.success(v & abi.wordMask))
        case .noReturn:
            task.callEnded()
            if tracing { config.trace?.line(pid: task.tid, "\(before) = ?") }
        case .block(let condition):
            if hasDeliverableSignal(task) {
                if task.ioProgress > 0 {
                    // A write that moved bytes before the signal returns their count, restart
                    // or not (Linux's pipe_write).
                    let done = UInt64(task.ioProgress)
                    task.callEnded()
                    if tracing { config.trace?.line(pid: task.tid, "\(before) = \(done)") }
                    ctx.setSyscallResult(.success(done))
                    return
                }
                // Interrupted: restart after the handler if SA_RESTART allows, else EINTR.
                task.callEnded()
                if condition.restartable, let sig = peekSignal(task),
                   task.handlers.actions[Int(sig.rawValue)].flags & SigActionFlags.restart != 0
                    || task.handlers.actions[Int(sig.rawValue)].handler == SignalHandlers.Action.defaultHandler {
                    if tracing { config.trace?.line(pid: task.tid, "\(before) = ? ERESTARTSYS (to be restarted)") }
                    ctx.restartSyscall()
                } else {
                    condition.onInterrupt?()
                    if tracing { config.trace?.line(pid: task.tid, "\(before) = -1 EINTR (Interrupted system call)") }
                    ctx.setSyscallResult(.failure(.EINTR))
                }
                return
            }
            block(task, on: condition)
        }
    }

    func peekSignal(_ task: Task) -> Signal? {
        let mask = task.signalMask.rawValue
        return SignalSet(rawValue: (task.pending.set.rawValue | task.process.pending.set.rawValue) & ~mask).lowest
    }

}

/// Where --trace lines go.
public final class TraceSink {
    let fd: HostFD
    /// Which calls are printed (`--trace=NAME,...`); nil: all.
    public let filter: TraceFilter?
    public init(fd: HostFD, filter: TraceFilter? = nil) { self.fd = fd; self.filter = filter }
    /// Whether the call `entry` is printed.
    @inline(__always) func traces(_ entry: SyscallEntry) -> Bool { filter?.includes(entry) ?? true }
    public func line(pid: Int32, _ text: String) {
        var bytes = Array("[\(pid)] \(text)\n".utf8)
        try? fd.writeAll(&bytes)
    }
    /// Bytes as they are (a capture file).
    public func bytes(_ b: [UInt8]) {
        var copy = b
        try? fd.writeAll(&copy)
    }
    /// A line as it is (the network audit trail's JSON).
    public func raw(_ text: String) {
        var bytes = Array((text + "\n").utf8)
        try? fd.writeAll(&bytes)
    }
}
