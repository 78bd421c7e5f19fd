import Glibc

/// umlab's own signal state, which the first guest program inherits as it would across execve.
public enum HostSignals {
    /// The calling thread's blocked signals (bit n-1: signal n) and the ignored ones. Read it
    /// before creating the event loop, which blocks the signals it reads.
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
        return (blocked, ignored)
    }

    /// Makes the termination signals (SIGINT, SIGTERM, SIGHUP) act on this process again, for
    /// a long-running command (the switch) started by a parent that blocked or ignored them.
    public static func restoreTermination() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(sig, SIG_DFL)
            sigaddset(&set, sig)
        }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Stops umlab itself (job control: the guest's foreground program was stopped from the
    /// terminal, so the shell that started umlab gets the terminal back).
    public static func stopSelf() { kill(getpid(), SIGSTOP) }

    /// Ends umlab by `signal`'s default action (after the kernel has cleaned up): the shell then
    /// sees umlab killed by the signal it was sent.
    public static func dieOf(_ signal: Int32) -> Never {
        Glibc.signal(signal, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signal)
        Glibc.exit(128 + signal)
    }
}
