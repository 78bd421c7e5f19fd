import CHost
import Glibc
import LinuxABI

/// The one place a guest machine waits for the host: an epoll instance over the host
/// descriptors the kernel cares about (console input, later sockets and a debugger connection,
/// the seccomp listener), a signalfd for SIGCHLD and the terminal's signals, and the scheduler
/// tick, a one-shot timer aimed at the kernel's thread.
///
/// One loop per guest machine; it must be used from one thread (the one that runs the guest).
/// Guests that run as host processes are waited for with a blocking waitpid (the cheapest
/// ptrace round trip); the tick interrupts that wait when the kernel wants control back, and
/// everything else waits here, in `wait(until:)`.
public final class EventLoop {
    /// A readiness report: the token a descriptor was registered with, and its epoll events.
    public struct Ready: Sendable {
        public var token: UInt64
        public var events: UInt32
    }
    /// A signal read from the loop's signalfd.
    public struct SignalReport: Sendable {
        public var signal: Int32
        /// si_code: SI_USER (0) for kill(2), SI_KERNEL (0x80) for the terminal's signals.
        public var code: Int32
        public var senderPID: Int32
        /// Raised by the terminal driver (Ctrl-C, Ctrl-\, Ctrl-Z), not sent by a process.
        public var fromTerminal: Bool { code == 0x80 }
    }

    /// epoll events (the generic numbering; Linux uses the same on every architecture).
    public enum Events {
        public static let input: UInt32 = 0x001, output: UInt32 = 0x004, error: UInt32 = 0x008
        public static let hangUp: UInt32 = 0x010, readHangUp: UInt32 = 0x2000
    }

    /// The token of the signalfd's readiness.
    public static let signalToken: UInt64 = .max

    private let epoll: HostFD
    private let signalFD: HostFD
    /// The tick's POSIX timer once created (`timer_t` is the kernel's timer id, and the first
    /// timer of a process is id 0: a null pointer, so creation is kept apart in `hasTick`).
    private var tick: UnsafeMutableRawPointer?
    private var hasTick = false
    private var tickDeadline: UInt64 = 0
    private var watched: Set<Int32> = []
    private var ready = [ch_epoll_ready](repeating: ch_epoll_ready(), count: 64)

    /// Signals the loop reads instead of letting them act on umlab. SIGCHLD always; the
    /// terminal's SIGINT, SIGQUIT and SIGTSTP when the guest owns the terminal.
    public static func signalSet(terminal: Bool) -> UInt64 {
        var mask = UInt64(1) << UInt64(SIGCHLD - 1)
        if terminal { for s in [SIGINT, SIGQUIT, SIGTSTP] { mask |= UInt64(1) << UInt64(s - 1) } }
        return mask
    }

    /// Creates the loop and blocks `signals` in the calling thread (they are read from the loop).
    public init(signals: UInt64) throws(LinuxErrno) {
        epoll = HostFD(try Host.check { ch_epoll_create() })
        do {
            signalFD = HostFD(try Host.check { ch_signal_fd(signals) })
        } catch {
            epoll.close()
            throw error
        }
        _ = try? Host.check { ch_epoll_ctl(epoll.raw, 1 /* EPOLL_CTL_ADD */, signalFD.raw, Events.input, EventLoop.signalToken) }
    }

    deinit { close() }

    private var closed = false
    /// Releases the loop's host resources (the epoll and signal descriptors, the tick's timer)
    /// when its machine ends; the loop is not used after. Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        if hasTick { _ = ch_tick_delete(tick); hasTick = false }
        epoll.close()
        signalFD.close()
    }

    // MARK: Descriptors

    /// Starts reporting `fd` (level-triggered) with `token`; changes the events if it is watched.
    public func watch(_ fd: Int32, events: UInt32, token: UInt64) throws(LinuxErrno) {
        let op: Int32 = watched.contains(fd) ? 3 /* EPOLL_CTL_MOD */ : 1 /* EPOLL_CTL_ADD */
        _ = try Host.check { ch_epoll_ctl(epoll.raw, op, fd, events, token) }
        watched.insert(fd)
    }

    public func unwatch(_ fd: Int32) {
        guard watched.remove(fd) != nil else { return }
        if fd == engineFD { engineFD = -1 }
        _ = ch_epoll_ctl(epoll.raw, 2 /* EPOLL_CTL_DEL */, fd, 0, 0)
    }

    /// What a wait found ready.
    public struct Readiness: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The signalfd (a child changed state, or a terminal signal came).
        public static let signals = Readiness(rawValue: 1)
        /// The engine's own descriptor (the seccomp listener).
        public static let engine = Readiness(rawValue: 2)
        /// Some watched descriptor: its events wait in `takeReady()`.
        public static let descriptors = Readiness(rawValue: 4)
    }

    /// The token of the engine's descriptor (`watchEngine`).
    public static let engineToken: UInt64 = .max - 1

    /// Adds the execution engine's own descriptor (the seccomp listener): its readiness is
    /// reported as `.engine`, for the engine that waits here while a guest runs.
    public func watchEngine(_ fd: Int32) throws(LinuxErrno) {
        try watch(fd, events: Events.input, token: EventLoop.engineToken)
        engineFD = fd
    }
    private var engineFD: Int32 = -1

    /// Waits until a watched descriptor or the signalfd is ready, `deadline` (monotonic ns)
    /// passes, or a signal (the tick) interrupts (throws EINTR then); nil waits without a time
    /// limit. Ready descriptors' events are kept for `takeReady()`.
    public func wait(until deadline: UInt64?) throws(LinuxErrno) -> Readiness {
        var timeout: Int64 = -1
        if let deadline {
            let now = Host.monotonicNanoseconds()
            timeout = deadline > now ? Int64(clamping: deadline - now) : 0
        }
        return try collect(timeout)
    }

    /// What is ready now, without waiting.
    public func poll() -> Readiness { (try? collect(0)) ?? [] }

    /// The events of ready descriptors since the last call.
    public func takeReady() -> [Ready] {
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
    }

    private var pending: [Ready] = []

    private func collect(_ timeout: Int64) throws(LinuxErrno) -> Readiness {
        let n = try Host.checkOnce { ready.withUnsafeMutableBufferPointer { ch_epoll_wait(epoll.raw, $0.baseAddress, Int32($0.count), timeout) } }
        var found: Readiness = []
        for i in 0..<Int(n) {
            let r = ready[i]
            switch r.token {
            case EventLoop.signalToken: found.insert(.signals)
            case EventLoop.engineToken: found.insert(.engine)
            default:
                found.insert(.descriptors)
                pending.append(Ready(token: r.token, events: r.events))
            }
        }
        return found
    }

    /// Whether any descriptor besides the signalfd and the engine's is watched.
    public var watchesDescriptors: Bool { watched.count > (engineFD >= 0 ? 1 : 0) }

    /// The next pending signal of the loop's set other than SIGCHLD (which only says "a
    /// child's state changed"; its reader then asks waitpid), if any.
    public func takeSignal() -> SignalReport? {
        if !deferred.isEmpty { return deferred.removeFirst() }
        while let s = readSignal() {
            if s.signal != SIGCHLD { return s }
        }
        return nil
    }

    /// Empties the signalfd before a backend polls its host processes with WNOHANG; other
    /// signals are kept for `takeSignal`. Returns whether there are any.
    public func drainChildSignals() -> Bool {
        while let s = readSignal() {
            if s.signal != SIGCHLD { deferred.append(s) }
        }
        return !deferred.isEmpty
    }

    private var deferred: [SignalReport] = []

    private func readSignal() -> SignalReport? {
        var signo: Int32 = 0, code: Int32 = 0, pid: Int32 = 0
        guard ch_read_signal(signalFD.raw, &signo, &code, &pid) == 1 else { return nil }
        return SignalReport(signal: signo, code: code, senderPID: pid)
    }

    // MARK: The tick

    /// Makes the tick fire at `deadline` (monotonic ns), and every millisecond after until it is
    /// re-armed (a tick that lands just before the kernel blocks is lost; the next is not); 0
    /// disarms it. Re-arming for the same deadline costs nothing, so the kernel may call this on
    /// every scheduling pass.
    public func armTick(at deadline: UInt64) {
        if deadline == tickDeadline { return }
        if !hasTick {
            if deadline == 0 { return }
            var t: UnsafeMutableRawPointer?
            guard ch_tick_create(SIGALRM, &t) == 0 else { return }
            tick = t
            hasTick = true
        }
        tickDeadline = deadline
        _ = ch_tick_arm(tick, deadline)
    }
}
