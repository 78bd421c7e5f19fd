/// A Linux signal number (the numbering x86-64, PowerPC and IA-64 share).
public struct Signal: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: Int32) { self.rawValue = rawValue }

    public static let SIGHUP = Signal(1), SIGINT = Signal(2), SIGQUIT = Signal(3), SIGILL = Signal(4)
    public static let SIGTRAP = Signal(5), SIGABRT = Signal(6), SIGBUS = Signal(7), SIGFPE = Signal(8)
    public static let SIGKILL = Signal(9), SIGUSR1 = Signal(10), SIGSEGV = Signal(11), SIGUSR2 = Signal(12)
    public static let SIGPIPE = Signal(13), SIGALRM = Signal(14), SIGTERM = Signal(15), SIGSTKFLT = Signal(16)
    public static let SIGCHLD = Signal(17), SIGCONT = Signal(18), SIGSTOP = Signal(19), SIGTSTP = Signal(20)
    public static let SIGTTIN = Signal(21), SIGTTOU = Signal(22), SIGURG = Signal(23), SIGXCPU = Signal(24)
    public static let SIGXFSZ = Signal(25), SIGVTALRM = Signal(26), SIGPROF = Signal(27), SIGWINCH = Signal(28)
    public static let SIGIO = Signal(29), SIGPWR = Signal(30), SIGSYS = Signal(31)
    /// Highest valid signal number (real-time signals run from 32 to 64).
    public static let max: Int32 = 64

    public var isValid: Bool { rawValue >= 1 && rawValue <= Signal.max }

    private static let names = [
        "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
        "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
        "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ]
    public var description: String {
        if rawValue > 0 && Int(rawValue) < Signal.names.count { return Signal.names[Int(rawValue)] }
        if rawValue >= 32 && rawValue <= Signal.max { return "SIGRT_\(rawValue - 32)" }
        return "signal \(rawValue)"
    }

    /// What happens when the signal arrives with the default disposition (signal(7)).
    public enum DefaultAction: Sendable { case terminate, coreDump, ignore, stop, resume }
    public var defaultAction: DefaultAction {
        switch self {
        case .SIGCHLD, .SIGURG, .SIGWINCH: return .ignore
        case .SIGCONT: return .resume
        case .SIGSTOP, .SIGTSTP, .SIGTTIN, .SIGTTOU: return .stop
        case .SIGQUIT, .SIGILL, .SIGTRAP, .SIGABRT, .SIGBUS, .SIGFPE, .SIGSEGV, .SIGXCPU, .SIGXFSZ, .SIGSYS:
            return .coreDump
        default: return .terminate
        }
    }
    /// SIGKILL and SIGSTOP can be neither caught, blocked nor ignored.
    public var isUncatchable: Bool { self == .SIGKILL || self == .SIGSTOP }
}

/// A set of signals as the kernel keeps it: bit n-1 stands for signal n.
public struct SignalSet: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static let empty = SignalSet(rawValue: 0)
    /// Everything a mask may hold: all but SIGKILL and SIGSTOP.
    public static let blockable = SignalSet(rawValue: ~((1 << 8) | (1 << 18)))

    // A number outside 1...64 is in no set and cannot be added (a guest may pass any number;
    // handlers reject invalid ones, and this keeps a missed check from trapping on the shift).
    @inlinable public func contains(_ s: Signal) -> Bool { s.isValid && rawValue & SignalSet.bit(s) != 0 }
    @inlinable public mutating func insert(_ s: Signal) { if s.isValid { rawValue |= SignalSet.bit(s) } }
    @inlinable public mutating func remove(_ s: Signal) { if s.isValid { rawValue &= ~SignalSet.bit(s) } }
    /// The bit of a valid signal.
    @inlinable static func bit(_ s: Signal) -> UInt64 { 1 << UInt64(s.rawValue - 1) }
    public var isEmpty: Bool { rawValue == 0 }
    /// The lowest-numbered member, which is delivered first (as Linux does for standard signals).
    public var lowest: Signal? { rawValue == 0 ? nil : Signal(Int32(rawValue.trailingZeroBitCount + 1)) }
}

/// si_code values the kernel reports.
public enum SignalCode {
    public static let SI_USER: Int32 = 0
    public static let SI_KERNEL: Int32 = 0x80
    public static let SI_TKILL: Int32 = -6
    public static let SI_QUEUE: Int32 = -1, SI_TIMER: Int32 = -2
    /// An O_ASYNC signal whose number has codes of its own (F_SETSIG to SIGCHLD, a fault signal).
    public static let SI_SIGIO: Int32 = -5
    /// Reasons of an O_ASYNC signal (F_SETSIG), in si_code: readable, writable.
    public static let POLL_IN: Int32 = 1, POLL_OUT: Int32 = 2, POLL_MSG: Int32 = 3
    public static let SEGV_MAPERR: Int32 = 1
    public static let SEGV_ACCERR: Int32 = 2
    public static let ILL_ILLOPC: Int32 = 1
    public static let FPE_INTDIV: Int32 = 1
    public static let BUS_ADRALN: Int32 = 1
    public static let CLD_EXITED: Int32 = 1, CLD_KILLED: Int32 = 2, CLD_DUMPED: Int32 = 3
    public static let CLD_STOPPED: Int32 = 5, CLD_CONTINUED: Int32 = 6
}
