import Foundation
import GuestKernel
import LinuxABI

/// What the kernel hands a parked script: go (its first run), the result of its last call, or
/// the end (its task is gone: exit, a fatal signal, the end of the guest system).
enum ScriptResume {
    case start
    case result(Result<UInt64, LinuxErrno>)
    case killed
}

/// The hand-off between the kernel's thread and one task's script (a Swift `Task`).
///
/// At any moment either the kernel runs or exactly one script does: the kernel resumes a script
/// (`resume`) and waits (`nextCall`) until the script posts its next system call (`call`), which
/// parks the script until the kernel resumes it again. So scripts and the kernel never touch
/// guest memory or kernel state at the same time, and each hand-off orders memory.
final class ScriptChannel {
    private let lock = NSLock()
    private var parked: CheckedContinuation<ScriptResume, Never>?
    /// A resume that arrived before the script had parked.
    private var early: ScriptResume?
    private var request: (Int, SyscallArguments)?
    private let posted = DispatchSemaphore(value: 0)

    // MARK: Script side

    /// Posts a system call and waits for its outcome.
    func call(_ number: Int, _ args: SyscallArguments) async -> ScriptResume {
        lock.withLock { request = (number, args) }
        posted.signal()
        return await park()
    }

    /// Waits for the kernel to resume this script.
    func park() async -> ScriptResume {
        await withCheckedContinuation { (c: CheckedContinuation<ScriptResume, Never>) in
            lock.lock()
            if let v = early {
                early = nil
                lock.unlock()
                c.resume(returning: v)
            } else {
                parked = c
                lock.unlock()
            }
        }
    }

    // MARK: Kernel side

    /// Lets the script run on.
    func resume(_ value: ScriptResume) {
        lock.lock()
        if let c = parked {
            parked = nil
            lock.unlock()
            c.resume(returning: value)
        } else {
            early = value
            lock.unlock()
        }
    }

    /// Blocks the kernel's thread until the script posts its next call.
    func nextCall() -> (Int, SyscallArguments) {
        posted.wait()
        lock.lock(); defer { lock.unlock() }
        let r = request!
        request = nil
        return r
    }
}
