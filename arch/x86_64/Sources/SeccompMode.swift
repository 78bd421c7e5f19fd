import GuestKernel
import HostOS
import LinuxABI

/// `--mode seccomp` on x86-64, after UML 6.16's seccomp mode and gVisor's systrap: a seccomp
/// filter in every guest host process takes the guest's system calls away from the host.
///
/// - Most calls come to umlab as SECCOMP_RET_USER_NOTIF notifications: the guest thread sleeps
///   in the host kernel, umlab reads the number and arguments off the listener descriptor, runs
///   the call and answers with the result. No ptrace stop, and the registers are not fetched.
/// - Calls whose handlers need the whole register file or change the host address space
///   (clone, fork, vfork, execve(at), clone3, rt_sigreturn, arch_prctl, sigaltstack, and the
///   memory-map calls, which umlab injects) are SECCOMP_RET_TRACE: a ptrace stop at the call's
///   entry, handled like a SKAS stop; the host call is skipped by setting orig_rax to -1.
/// - Calls from the stub's `syscall` instructions (umlab's injected calls) are RET_TRACE too:
///   umlab lets them run while it injects, and treats them as guest calls otherwise, so a guest
///   that jumps into the stub reaches nothing on the host.
/// - Anything that is not a 64-bit native call (int 0x80, x32) is RET_TRACE as well.
///
/// When a handler needs the registers of a thread asleep on a notification (a signal to
/// deliver, a restart, an injected call in its address space), `materialize()` interrupts it
/// with PTRACE_INTERRUPT: the host abandons the notification, and the thread stops at the
/// call's exit with every register readable; umlab then finishes the call through ptrace.
///
/// The kernel stays out of the guest's address space, as in SKAS: the arena is not mapped.
enum SeccompPolicy {
    /// System calls that keep a ptrace stop (see above).
    static let traced: [UInt32] = [
        9, 10, 11, 12, 25, 28,  // mmap, mprotect, munmap, brk, mremap, madvise
        15, 56, 57, 58, 59, 131, 158, 322, 435,  // rt_sigreturn, clone, fork, vfork, execve, sigaltstack, arch_prctl, execveat, clone3
    ]
    static let auditArchX86_64: UInt32 = 0xc000_003e

    static func filter() -> SeccompFilter {
        var f = SeccompFilter()
        f.load(.arch)
        f.ifEqual(auditArchX86_64, thenSkip: 1)
        f.ret(.trace)  // int 0x80 and other foreign conventions
        f.load(.number)
        f.ifAtLeast(0x4000_0000, elseSkip: 1)
        f.ret(.trace)  // x32
        // The stub's two `syscall` instructions: umlab's own injected calls. Seccomp reports the
        // address after the instruction; both lie in the stub's page (one high half).
        let site = StubImage.syscallSite + 2, batch = StubImage.batchSyscallReturn
        f.load(.instructionPointerHigh)
        f.ifEqual(UInt32(truncatingIfNeeded: site >> 32), elseSkip: 5)
        f.load(.instructionPointerLow)
        f.ifEqual(UInt32(truncatingIfNeeded: site), elseSkip: 1)
        f.ret(.trace)
        f.ifEqual(UInt32(truncatingIfNeeded: batch), elseSkip: 1)
        f.ret(.trace)
        f.load(.number)
        for nr in traced {
            f.ifEqual(nr, elseSkip: 1)
            f.ret(.trace)
        }
        f.ret(.userNotify)
        return f
    }
}

extension X86Context {
    /// One run of the guest in seccomp mode: answer (or resume), then wait for the next
    /// notification or ptrace stop.
    func runSeccomp(sliceNanoseconds: Int64) -> Trap {
        guard let listener = backend.listener else { return .lost("seccomp mode without a listener") }
        do {
            if let id = notice {
                notice = nil
                if sleepsOnNotice { sleepsOnNotice = false; backend.sleepingOnNotices -= 1 }
                dirty = .clean
                try listener.answer(id, rawResult: regs.rax)
            } else {
                try flush()
                try tracee.resume(.cont)
            }
        } catch {
            return .lost("cannot resume: \(error.message)")
        }
        // The kernel armed the tick for when it wants control back; it interrupts the wait.
        var interrupted = false
        while true {
            let stop: TraceStop
            if interrupted {
                // PTRACE_INTERRUPT always ends in a stop (it also cancels a pending notification).
                do { stop = try tracee.wait() } catch .EINTR { continue } catch { return .lost("waitpid: \(error.message)") }
            } else {
                let ready: EventLoop.Readiness
                do {
                    ready = try backend.loop.wait(until: nil)
                } catch .EINTR {
                    tracee.interrupt()
                    interrupted = true
                    continue
                } catch {
                    return .lost("epoll: \(error.message)")
                }
                if ready.contains(.engine) {
                    do {
                        guard let n = try listener.receive() else { continue }
                        if n.pid == tracee.pid {
                            take(n)
                            return .syscall
                        }
                        // Only the running guest thread can make a call; anything else is a bug.
                        backend.stats.strayNotices += 1
                        try listener.answer(n.id, rawResult: UInt64(bitPattern: Int64(-LinuxErrno.ENOSYS.rawValue)))
                    } catch {
                        return .lost("seccomp notification: \(error.message)")
                    }
                    continue
                }
                if ready.contains(.descriptors) || (ready.contains(.signals) && backend.loop.drainChildSignals()) {
                    // A host event or a terminal signal for the kernel: stop the guest so it is
                    // handled now.
                    tracee.interrupt()
                    interrupted = true
                    continue
                }
                if !ready.contains(.signals) { continue }
                do {
                    guard let s = try tracee.poll() else { continue }
                    stop = s
                } catch {
                    return .lost("waitpid: \(error.message)")
                }
            }
            backend.stats.stops += 1
            switch stop {
            case .event(Tracee.Event.seccomp, _):
                // RET_TRACE: a call handled at a ptrace stop; the host must skip it.
                do { try fetchRegisters() } catch { return .lost("registers: \(error.message)") }
                skipHostCall = true
                return .syscall
            case .event, .syscall:
                do { try fetchRegisters() } catch { return .lost("registers: \(error.message)") }
                rewindInterruptedCall()
                return .preempted
            case .signal(let sig):
                do { try fetchRegisters() } catch { return .lost("registers: \(error.message)") }
                rewindInterruptedCall()
                if let trap = fault(sig) { return trap }
                return .preempted
            case .exited, .killed:
                return ended(stop)
            }
        }
    }

    /// Records a notification as the current system call.
    @inline(__always)
    private func take(_ n: SeccompNotice) {
        backend.stats.notices += 1
        notice = n.id
        regs.orig_rax = UInt64(bitPattern: Int64(n.number))
        (regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9) = n.arguments
        regs.rip = n.instructionPointer
        regs.rax = UInt64(bitPattern: -38)  // -ENOSYS until answered, as the host would have it
        dirty = .clean
    }

    /// A stop that caught the guest asleep on a notification umlab never read (the tick's
    /// interrupt) leaves the call half done: the host reports -ERESTARTSYS. Put the guest back
    /// before its `syscall` instruction so that the call is simply made again.
    private func rewindInterruptedCall() {
        guard Int64(bitPattern: regs.orig_rax) >= 0, Int64(bitPattern: regs.rax) == -512 else { return }
        regs.rip &-= 2
        regs.rax = regs.orig_rax
        regs.orig_rax = UInt64.max
        dirty = .all
    }

    /// Turns "asleep on a notification" into a ptrace stop with all registers, keeping the call
    /// number, arguments and any result already set. No-op unless a notification is pending.
    func materialize() throws(LinuxErrno) {
        guard notice != nil else { return }
        notice = nil
        if sleepsOnNotice { sleepsOnNotice = false; backend.sleepingOnNotices -= 1 }
        let result = regs.rax, number = regs.orig_rax
        tracee.interrupt()
        loop: while true {
            let stop = try tracee.waitUninterrupted()
            backend.stats.stops += 1
            switch stop {
            case .event(Tracee.Event.stop, _):
                break loop
            case .exited, .killed:
                alive = false
                throw .ESRCH
            default:
                // A host signal got in first: suppress it; the interrupt's stop follows.
                try tracee.resume(.cont)
            }
        }
        backend.stats.materialized += 1
        try fetchRegisters()
        // The host stopped the thread at the call's exit with -ERESTARTSYS; umlab finishes the
        // call itself, so the host must not restart it.
        regs.rax = result
        regs.orig_rax = number
        skipHostCall = true
        dirty = .all
    }

    /// For the non-throwing accessors: a thread that cannot be stopped is gone.
    /// A thread about to sleep in the guest kernel keeps its notification pending while few do:
    /// answering it later is the cheapest way back. The host walks the listener's list of pending
    /// notifications on every receive, answer and poll, so past a few sleepers the others'
    /// calls would pay for them; those are parked in a ptrace stop instead.
    func willSleep() {
        guard notice != nil else { return }
        if backend.sleepingOnNotices < X86Backend.maxSleepersOnNotices {
            if !sleepsOnNotice { sleepsOnNotice = true; backend.sleepingOnNotices += 1 }
            return
        }
        materializeOrLose()
    }

    func materializeOrLose() {
        do { try materialize() } catch { alive = false }
    }
}
