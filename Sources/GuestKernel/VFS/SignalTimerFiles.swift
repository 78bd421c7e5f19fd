import HostOS
import LinuxABI

/// A signalfd: reads take the pending signals of its mask as `struct signalfd_siginfo` records.
///
/// As on Linux, the signals are those of the task that reads or polls (Linux's `current`: the
/// kernel's running task, since I/O methods are not handed the caller), so a signalfd shared
/// with a child after fork reads the child's signals there. Signals in the mask must still be
/// blocked, or they are delivered before a read can take them. Readers and pollers wait on
/// their process's `signalArrivals` queue, which `Kernel.send` notifies when a signal becomes
/// pending: the queue exists only once some signalfd is read or polled.
public final class SignalFD: OpenFile {
    unowned let kernel: Kernel
    /// The signals it reads (never SIGKILL or SIGSTOP); signalfd on this fd again replaces it.
    var mask: SignalSet
    let bigEndian: Bool
    static let recordSize = 128

    init(kernel: Kernel, mask: SignalSet, nonBlocking: Bool, bigEndian: Bool) {
        self.kernel = kernel; self.mask = mask; self.bigEndian = bigEndian
        var flags = OpenFlags(rawValue: OpenFlags.readWrite)
        if nonBlocking { flags.insert(.nonBlocking) }
        super.init(inode: nil, flags: flags, path: "anon_inode:[signalfd]")
    }

    /// As many records as fit, thread-directed signals first (Linux's signalfd_read: only the
    /// first may wait; EAGAIN makes the syscall layer wait on `waitQueue`).
    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        guard buffer.count >= SignalFD.recordSize else { throw .EINVAL }
        guard let task = kernel.current else { throw .EAGAIN }
        let others = SignalSet(rawValue: ~mask.rawValue)
        var n = 0
        while n + SignalFD.recordSize <= buffer.count,
              let info = kernel.takeSignal(task, notIn: others) {
            let record = info.signalfdRecord(bigEndian: bigEndian)
            record.withUnsafeBytes { buffer.baseAddress!.advanced(by: n).copyMemory(from: $0.baseAddress!, byteCount: SignalFD.recordSize) }
            n += SignalFD.recordSize
        }
        if n == 0 { throw .EAGAIN }
        return n
    }

    public override func poll() -> PollEvents {
        guard let task = kernel.current else { return [] }
        let pending = task.pending.set.rawValue | task.process.pending.set.rawValue
        return pending & mask.rawValue != 0 ? [.input, .readNormal] : []
    }

    /// The calling process's signal-arrival queue, made on first use.
    public override var waitQueue: WaitQueue? {
        guard let p = kernel.current?.process else { return nil }
        if let q = p.signalArrivals { return q }
        let q = WaitQueue()
        p.signalArrivals = q
        return q
    }
    public override func stat() throws(LinuxErrno) -> FileStat { anonymousInodeStat() }
    public override var sendsAsyncSignals: Bool { false }
}

/// A timerfd: a `KernelTimer` whose expirations a read takes as a count (8 bytes in the
/// guest's order).
///
/// As Linux's fs/timerfd.c, an expiry adds one to the count and wakes readers, and a periodic
/// timer is not re-armed at each period: a read (or timerfd_gettime) moves it forward by every
/// period that has passed, counts them, and arms it again. A guest asking for 1 ns periods
/// costs one timer event per read, not one per nanosecond. Times are kept as monotonic
/// deadlines; CLOCK_REALTIME and CLOCK_BOOTTIME absolute times are converted when the timer is
/// set (guests cannot set the clock, so TFD_TIMER_CANCEL_ON_SET never cancels).
public final class TimerFD: OpenFile {
    let clock: Int32
    let bigEndian: Bool
    let queue = WaitQueue()
    let timer: KernelTimer
    /// Expirations not yet read.
    private(set) var ticks: UInt64 = 0

    init(kernel: Kernel, clock: Int32, nonBlocking: Bool, bigEndian: Bool) {
        self.clock = clock; self.bigEndian = bigEndian
        timer = KernelTimer(kernel: kernel)
        var flags = OpenFlags(rawValue: OpenFlags.readWrite)
        if nonBlocking { flags.insert(.nonBlocking) }
        super.init(inode: nil, flags: flags, path: "anon_inode:[timerfd]")
        timer.onExpiry = { [unowned self] in
            self.ticks = GuestMath.saturating(self.ticks, times: 1, plus: 1)
            self.queue.notify([.input, .readNormal])
        }
    }

    /// Sets the timer (timerfd_settime): the first expiry at `deadline` (nil disarms), then
    /// every `interval` ns (0: once). Unread expirations are dropped, as on Linux.
    func arm(deadline: UInt64?, interval: UInt64) {
        ticks = 0
        timer.arm(deadline: deadline, interval: interval)
    }

    /// Counts the periods an expired periodic timer missed and arms it for the next one.
    private func catchUp(_ now: UInt64) {
        guard timer.expired, timer.interval > 0 else { return }
        ticks = GuestMath.saturating(ticks, times: 1, plus: max(timer.forward(now), 1) - 1)
        timer.restart()
    }

    /// (interval, time to the next expiry) as timerfd_gettime and settime's old value report
    /// them; `count` also counts missed periods (gettime), settime only moves the timer on.
    func current(counting count: Bool) -> (interval: UInt64, remaining: UInt64) {
        let now = Host.monotonicNanoseconds()
        if count { catchUp(now) } else { _ = timer.forward(now) }
        return (timer.interval, timer.remaining(now))
    }

    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        guard buffer.count >= 8 else { throw .EINVAL }
        guard ticks > 0 else { throw .EAGAIN }
        catchUp(Host.monotonicNanoseconds())
        let value = ticks
        ticks = 0
        timer.acknowledge()
        let raw = bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: raw) { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 8) }
        return 8
    }

    public override func poll() -> PollEvents { ticks > 0 ? [.input, .readNormal] : [] }
    public override var waitQueue: WaitQueue? { queue }
    public override func stat() throws(LinuxErrno) -> FileStat { anonymousInodeStat() }
    public override var sendsAsyncSignals: Bool { false }
    public override func release() { timer.disarm() }
}
