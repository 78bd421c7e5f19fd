import HostOS
import LinuxABI

// signalfd, signalfd4; timerfd_create, timerfd_settime, timerfd_gettime (and the *_time64
// forms of 32-bit ISAs). The files are in VFS/SignalTimerFiles.swift.

extension CoreSyscalls {
    static func signalfd(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try makeSignalFD(c, flags: 0) }
    static func signalfd4(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try makeSignalFD(c, flags: c.uint(3)) }

    /// signalfd4(fd, mask, sizemask, flags) in Linux's order: EINVAL for a size other than
    /// sizeof(sigset_t), EFAULT for the mask, EINVAL for flags other than SFD_CLOEXEC and
    /// SFD_NONBLOCK (the ISA's O_CLOEXEC, O_NONBLOCK); fd -1 makes a signalfd, another fd must
    /// be one (EBADF, EINVAL) whose mask is replaced. SIGKILL and SIGSTOP are never read.
    static func makeSignalFD(_ c: SyscallCall, flags raw: UInt32) throws(LinuxErrno) -> SyscallOutcome {
        guard c.word(2) == 8 else { throw .EINVAL }
        let mask = SignalSet(rawValue: try readSigset(c, c.word(1)).rawValue & SignalSet.blockable.rawValue)
        let flags = c.abi.openFlagsFromGuest(raw)
        guard flags.subtracting([.closeOnExec, .nonBlocking]).isEmpty else { throw .EINVAL }
        let fd = c.int(0)
        if fd == -1 {
            let f = SignalFD(kernel: c.kernel, mask: mask, nonBlocking: flags.contains(.nonBlocking), bigEndian: c.abi.bigEndian)
            return .int(Int(try c.task.files.install(f, closeOnExec: flags.contains(.closeOnExec), limit: c.task.process.limits.openFiles)))
        }
        guard let f = try c.task.files.get(fd) as? SignalFD else { throw .EINVAL }
        f.mask = mask
        c.task.process.signalArrivals?.notify([.input, .readNormal])
        return .int(Int(fd))
    }

    static let clockRealtime: Int32 = 0, clockMonotonic: Int32 = 1, clockBoottime: Int32 = 7
    static let clockRealtimeAlarm: Int32 = 8, clockBoottimeAlarm: Int32 = 9

    /// timerfd_create(clock, flags): EINVAL for flags other than TFD_CLOEXEC and TFD_NONBLOCK or
    /// another clock than REALTIME, MONOTONIC, BOOTTIME and their _ALARM forms, which need
    /// CAP_WAKE_ALARM (root here; EPERM otherwise). Alarm clocks do not wake a suspended
    /// machine here: there is no suspend.
    static func timerfdCreate(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let clock = c.int(0)
        let flags = c.abi.openFlagsFromGuest(c.uint(1))
        let clocks = [clockRealtime, clockMonotonic, clockBoottime, clockRealtimeAlarm, clockBoottimeAlarm]
        guard flags.subtracting([.closeOnExec, .nonBlocking]).isEmpty, clocks.contains(clock) else { throw .EINVAL }
        if clock == clockRealtimeAlarm || clock == clockBoottimeAlarm, !c.task.process.credentials.isRoot { throw .EPERM }
        let f = TimerFD(kernel: c.kernel, clock: clock, nonBlocking: flags.contains(.nonBlocking), bigEndian: c.abi.bigEndian)
        return .int(Int(try c.task.files.install(f, closeOnExec: flags.contains(.closeOnExec), limit: c.task.process.limits.openFiles)))
    }

    static let timerAbsolute: Int32 = 1, timerCancelOnSet: Int32 = 2

    /// timerfd_settime(fd, flags, new, old) in Linux's order: EFAULT for `new`; EINVAL for
    /// flags other than TFD_TIMER_ABSTIME and TFD_TIMER_CANCEL_ON_SET or an invalid timespec;
    /// EBADF, EINVAL for an fd that is no timerfd; the old value is written last.
    static func timerfdSettime(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let size = c.time64 ? 16 : 2 * c.abi.wordSize
        let (iSec, iNS) = try readTimespec(c, c.word(2))
        guard let valueAddress = GuestMath.end(c.word(2), UInt64(size), top: c.abi.wordMask) else { throw .EFAULT }
        let (vSec, vNS) = try readTimespec(c, valueAddress)
        let flags = c.int(1)
        guard flags & ~(timerAbsolute | timerCancelOnSet) == 0 else { throw .EINVAL }
        let interval = try GuestMath.kernelTime(seconds: iSec, nanoseconds: iNS)
        let value = try GuestMath.kernelTime(seconds: vSec, nanoseconds: vNS)
        let t = try timerFD(c, c.int(0))
        let old = t.current(counting: false)
        t.arm(deadline: value == 0 ? nil : try timerDeadline(t.clock, value, absolute: flags & timerAbsolute != 0), interval: interval)
        if c.word(3) != 0 { try c.mm.write(c.word(3), itimerspecBytes(c, old.interval, old.remaining)) }
        return .zero
    }

    static func timerfdGettime(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let t = try timerFD(c, c.int(0))
        let now = t.current(counting: true)
        try c.mm.write(c.word(1), itimerspecBytes(c, now.interval, now.remaining))
        return .zero
    }

    /// The timerfd an fd names: EBADF for no file, EINVAL for another kind of file.
    static func timerFD(_ c: SyscallCall, _ fd: Int32) throws(LinuxErrno) -> TimerFD {
        guard let t = try c.task.files.get(fd) as? TimerFD else { throw .EINVAL }
        return t
    }

    /// The monotonic deadline of a first expiry `value` ns from now, or at `value` on `clock`
    /// (TFD_TIMER_ABSTIME): a time already past expires at once.
    static func timerDeadline(_ clock: Int32, _ value: UInt64, absolute: Bool) throws(LinuxErrno) -> UInt64 {
        let now = Host.monotonicNanoseconds()
        guard absolute else { return GuestMath.deadline(now, after: value) }
        if clock == clockMonotonic { return value }
        let (s, ns) = try Host.clock(clock == clockBoottime || clock == clockBoottimeAlarm ? clockBoottime : clockRealtime)
        let clockNow = GuestMath.saturating(UInt64(max(0, s)), times: UInt64(GuestMath.nanosecondsPerSecond), plus: UInt64(max(0, ns)))
        return value > clockNow ? GuestMath.deadline(now, after: value - clockNow) : now
    }

    /// `struct itimerspec` (interval, then value) in the call's timespec layout.
    static func itimerspecBytes(_ c: SyscallCall, _ interval: UInt64, _ value: UInt64) -> [UInt8] {
        let second = UInt64(GuestMath.nanosecondsPerSecond)
        return timespecBytes(c, Int64(interval / second), Int64(interval % second))
            + timespecBytes(c, Int64(value / second), Int64(value % second))
    }
}
