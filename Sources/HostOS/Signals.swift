import Glibc

/// umlab's own signal state, which the first guest program inherits as it would across execve.
public enum HostSignals {
    /// Signals umlab blocked for its own use (SIGCHLD, read from a signalfd in seccomp mode);
    /// not part of what the guest inherits.
    nonisolated(unsafe) static var blockedByUmlab: UInt64 = 0

    public static func inherited() -> (blocked: UInt64, ignored: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        pthread_sigmask(SIG_SETMASK, nil, &set)
        var blocked: UInt64 = 0
        var ignored: [Int32] = []
        for sig in Int32(1)...31 {
            if sigismember(&set, sig) == 1 { blocked |= 1 << UInt64(sig - 1) }
            var sa = sigaction()
            if sigaction(sig, nil, &sa) == 0, unsafeBitCast(sa.__sigaction_handler.sa_handler, to: Int.self) == 1 { ignored.append(sig) }
        }
        return (blocked & ~blockedByUmlab, ignored)
    }
}
