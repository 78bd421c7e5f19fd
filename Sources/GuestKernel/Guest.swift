import HostOS
import LinuxABI

/// One guest machine: its kernel, the backend instance that runs its code, and the event loop
/// (with the scheduler tick) where it waits for the host. Everything a running guest changes
/// belongs to one of these, so several guests can run in one host process, each on its own
/// thread.
public final class Guest {
    public let kernel: Kernel
    public let backend: any Backend
    public let loop: EventLoop

    /// Creates the machine. Call from the thread that will run it: the event loop blocks the
    /// signals it reads in that thread, and the tick is aimed at it.
    public init(config: KernelConfig, backend: any Backend) throws(LinuxErrno) {
        var config = config
        // What the first program inherits, read before the loop blocks SIGCHLD for itself.
        config.initialSignals = HostSignals.inherited()
        loop = try EventLoop(signals: EventLoop.signalSet(terminal: config.ownsTerminal))
        self.backend = backend
        kernel = try Kernel(config: config, backend: backend, loop: loop)
    }

    /// Opens the host side of the network options (published ports' listeners, the addresses
    /// of allowed names). A failure is a sentence for the user (a port already in use).
    public func openNetwork() throws(ParseError) {
        try kernel.network.start(kernel: kernel)
    }

    /// Creates the first process, running `path` (a guest path) with `argv` and `envp`.
    public func boot(path: String, argv: [String], envp: [String]) throws(LinuxErrno) {
        try kernel.boot(path: path, argv: argv, envp: envp)
    }

    /// Runs the machine until it halts; returns the exit status for umlab (see `Kernel.run`).
    public func run() -> Int32 { kernel.run() }

    /// Why the run ended.
    public var halt: Halt { kernel.halt }

    /// The machine ends with its Guest: everything it holds on the host is released.
    deinit { kernel.end() }
}
