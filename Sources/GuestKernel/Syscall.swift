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
    public static let zero = SyscallOutcome.value(0)
}

/// How completely an entry of an ISA's table is implemented.
public enum SupportLevel: String, Sendable {
    case full, partial
    /// Returns a fixed answer (success or an errno) without doing anything.
    case stub
}

/// A system call handler. Handlers are ISA-neutral: argument order quirks are fixed by the
/// ISA's table before the handler sees the call.
public typealias SyscallHandler = (inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome

/// How the tracer prints an argument.
public enum ArgFormat: Sendable {
    case int, hex, fd, dirfd, path, string, openFlags, octal, pointer, size, signal, clockid
}

public struct SyscallEntry {
    public var name: String
    public var handler: SyscallHandler
    public var support: SupportLevel
    public var arguments: [ArgFormat]
    /// The call takes 64-bit `struct timespec`s whatever the word size (the *_time64 calls of
    /// 32-bit ISAs).
    public var time64 = false
    public init(_ name: String, _ support: SupportLevel = .full, _ arguments: [ArgFormat] = [], _ handler: @escaping SyscallHandler) {
        self.name = name; self.handler = handler; self.support = support; self.arguments = arguments
    }
}

/// An ISA's syscall table: number → entry. Numbers without an entry return ENOSYS and are
/// counted; they never reach the host.
public struct SyscallTable {
    public private(set) var entries: [SyscallEntry?]
    public init(_ list: [(Int, SyscallEntry)]) {
        let maxNumber = list.map(\.0).max() ?? 0
        entries = Array(repeating: nil, count: maxNumber + 1)
        for (n, e) in list { entries[n] = e }
    }
    @inline(__always) public subscript(n: Int) -> SyscallEntry? {
        n >= 0 && n < entries.count ? entries[n] : nil
    }
    /// Builds a table from (number, name) pairs naming the core's handlers, plus the ISA's own.
    /// Names of 32-bit ABIs' variants (`stat64`, `fcntl64`, `clock_gettime64` …) resolve to the
    /// core handler they are a variant of.
    public init(numbers: [(Int, String)], overrides: [String: SyscallEntry] = [:]) {
        var list: [(Int, SyscallEntry)] = []
        for (n, name) in numbers {
            let time64 = CoreSyscalls.time64Variants[name]
            let base = time64 ?? CoreSyscalls.wideVariants[name] ?? name
            if let e = overrides[name] ?? CoreSyscalls.catalog[base] {
                var e = e
                e.name = name
                if time64 != nil { e.time64 = true }
                list.append((n, e))
            }
        }
        self.init(list)
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
        let ctx = task.context
        let number = ctx.syscallNumber
        let args = ctx.syscallArguments
        guard let entry = syscallTable[number] else {
            let key = "syscall_\(number)"
            counters.unimplemented[key, default: 0] += 1
            config.trace?.line(pid: task.tid, "\(key)(0x\(String(args.a0, radix: 16)), ...) = -1 ENOSYS (not implemented)")
            ctx.setSyscallResult(.failure(.ENOSYS))
            return
        }
        if entry.support == .stub { counters.unimplemented[entry.name, default: 0] += 1 }
        syscallCounts[number] &+= 1
        var call = SyscallCall(kernel: self, task: task, number: number, args: args)
        call.time64 = entry.time64
        let tracing = config.trace != nil
        let before = tracing ? formatCall(entry, call) : ""
        var outcome: SyscallOutcome
        do {
            outcome = try entry.handler(&call)
        } catch .ERESTARTSYS where task.deferredWait != nil {
            // Code below the handler (a FIFO open) has to wait: it left the wait in the task.
            outcome = .block(task.deferredWait!)
            task.deferredWait = nil
        } catch {
            if error == .EPIPE, entry.name.hasPrefix("write") || entry.name.hasPrefix("pwrite") || entry.name == "sendto" {
                var info = SignalInfo(signal: .SIGPIPE, code: SignalCode.SI_USER)
                info.senderPID = task.process.pid
                send(info, to: task)
            }
            task.callEnded()
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
    public init(fd: HostFD) { self.fd = fd }
    public func line(pid: Int32, _ text: String) {
        var bytes = Array("[\(pid)] \(text)\n".utf8)
        try? fd.writeAll(&bytes)
    }
}
