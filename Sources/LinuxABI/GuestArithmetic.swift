/// Arithmetic on values a guest controls: addresses, lengths, offsets, counts and times.
///
/// Every number that comes from a guest register, a guest structure or a guest file (an ELF
/// header) is hostile until proven otherwise: it may be -1, 2^64 - 1, or chosen so that a sum
/// wraps. Swift traps on overflow, which would kill umlab and every guest with it; `&+` would
/// wrap silently and steer umlab's own memory. These helpers are the one place such values are
/// combined: each returns nil (or throws the errno Linux gives) where the exact answer does
/// not exist, and times saturate instead of overflowing, as Linux's timespec64_to_ns does.
///
/// Use them for every computation on a guest value; plain operators are for values umlab
/// produced itself.
///
/// `top`, where a helper takes it, is the highest value the guest's word holds: 2^32 - 1 for
/// a 32-bit ISA, where a sum past it wraps on Linux as one past 2^64 does on a 64-bit ISA
/// (`GuestABI.wordMask`). Such a result is nil too.
public enum GuestMath {
    // MARK: ranges

    /// The end of [start, start + length), or nil if it passes 2^64 (or `top`).
    @inline(__always)
    public static func end(_ start: UInt64, _ length: UInt64, top: UInt64 = .max) -> UInt64? {
        let (e, o) = start.addingReportingOverflow(length)
        return o || e > top ? nil : e
    }

    /// The start of the `length` bytes that end at `end` (a stack growing down), or nil if that
    /// passes below 0.
    @inline(__always)
    public static func start(below end: UInt64, length: UInt64) -> UInt64? {
        let (s, o) = end.subtractingReportingOverflow(length)
        return o ? nil : s
    }

    /// [start, start + length) when it lies inside `bounds`, else `error`.
    @inline(__always)
    public static func range(_ start: UInt64, length: UInt64, within bounds: Range<UInt64>,
                             else error: LinuxErrno) throws(LinuxErrno) -> Range<UInt64> {
        guard let e = end(start, length), start >= bounds.lowerBound, e <= bounds.upperBound else { throw error }
        return start..<e
    }

    // MARK: alignment (alignments are powers of two)

    /// `v` rounded up to a multiple of `alignment`, or nil if that passes 2^64 - 1 (or `top`).
    @inline(__always)
    public static func roundUp(_ v: UInt64, to alignment: UInt64, top: UInt64 = .max) -> UInt64? {
        let mask = alignment &- 1
        guard let t = end(v, mask) else { return nil }
        let r = t & ~mask
        return r > top ? nil : r
    }

    /// `v` rounded down to a multiple of `alignment`.
    @inline(__always)
    public static func roundDown(_ v: UInt64, to alignment: UInt64) -> UInt64 { v & ~(alignment &- 1) }

    /// The pages covering [start, start + length): start rounded down, end rounded up; nil when
    /// the end passes 2^64, or `top` (Linux's mm calls give ENOMEM or EINVAL there: the caller
    /// picks). An end of exactly `top` + 1 (2^32 on a 32-bit ISA) wraps to 0 on Linux: nil.
    @inline(__always)
    public static func pageSpan(_ start: UInt64, _ length: UInt64, pageSize: UInt64, top: UInt64 = .max) -> Range<UInt64>? {
        guard let e = end(start, length), let last = roundUp(e, to: pageSize), last <= top else { return nil }
        return roundDown(start, to: pageSize)..<last
    }

    // MARK: counts and sizes

    /// `v / d` rounded up, for `v >= 0`, `d > 0`, with no intermediate sum (a file size of
    /// 2^63 - 1 rounds to blocks without overflowing).
    @inline(__always)
    public static func quotientRoundingUp(_ v: Int64, _ d: Int64) -> Int64 {
        v / d + (v % d != 0 ? 1 : 0)
    }

    /// A guest count or length as an Int no larger than `limit`, else `error`.
    @inline(__always)
    public static func count(_ v: UInt64, limit: Int, else error: LinuxErrno) throws(LinuxErrno) -> Int {
        guard v <= UInt64(limit) else { throw error }
        return Int(v)
    }

    /// `a * b` for a guest count and an element size, or nil past `limit`.
    @inline(__always)
    public static func product(_ a: UInt64, _ b: UInt64, limit: UInt64 = .max) -> UInt64? {
        let (p, o) = a.multipliedReportingOverflow(by: b)
        return o || p > limit ? nil : p
    }

    /// A guest file offset and a length, for pread/pwrite and friends: EINVAL for a negative
    /// offset or when the end passes 2^63 - 1, as Linux's rw_verify_area gives.
    @inline(__always)
    public static func fileRange(offset: Int64, length: Int) throws(LinuxErrno) -> (start: Int64, end: Int64) {
        guard offset >= 0, length >= 0 else { throw .EINVAL }
        let (e, o) = offset.addingReportingOverflow(Int64(length))
        guard !o else { throw .EINVAL }
        return (offset, e)
    }

    /// The byte range of a record lock (`struct flock`: l_start from `base` — 0, the file
    /// position or the size, by l_whence — and l_len) as first and last byte, inclusive, after
    /// Linux's flock64_to_posix_lock: a length of 0 runs to the end of the file (`Int64.max`),
    /// a negative one covers the bytes before the start. EOVERFLOW when the start or the end
    /// passes 2^63 - 1, EINVAL when the range begins before byte 0.
    public static func lockRange(base: Int64, start: Int64, length: Int64) throws(LinuxErrno) -> (start: Int64, end: Int64) {
        let (first, o) = base.addingReportingOverflow(start)
        if o { throw base >= 0 && start >= 0 ? .EOVERFLOW : .EINVAL }
        guard first >= 0 else { throw .EINVAL }
        if length > 0 {
            // first + length - 1 <= Int64.max, checked without overflow.
            guard length - 1 <= Int64.max - first else { throw .EOVERFLOW }
            return (first, first + (length - 1))
        }
        if length < 0 {
            // first + length >= 0; length == Int64.min cannot reach back from a non-negative start.
            guard length != .min, first + length >= 0 else { throw .EINVAL }
            return (first + length, first - 1)
        }
        return (first, .max)
    }

    /// A file position `base + offset` (lseek's SEEK_CUR and SEEK_END): EINVAL when it is
    /// negative or passes 2^63 - 1, as Linux's vfs_setpos gives.
    @inline(__always)
    public static func filePosition(_ base: Int64, plus offset: Int64) throws(LinuxErrno) -> Int64 {
        let (p, o) = base.addingReportingOverflow(offset)
        guard !o, p >= 0 else { throw .EINVAL }
        return p
    }

    // MARK: time

    public static let nanosecondsPerSecond: Int64 = 1_000_000_000

    /// A guest timespec as nanoseconds: EINVAL unless 0 <= nanoseconds < 10^9 and seconds >= 0
    /// (the rules of nanosleep, ppoll, futex and timer_settime); huge values saturate at
    /// UInt64.max, which callers treat as "never".
    @inline(__always)
    public static func nanoseconds(seconds: Int64, nanoseconds ns: Int64) throws(LinuxErrno) -> UInt64 {
        guard seconds >= 0, ns >= 0, ns < nanosecondsPerSecond else { throw .EINVAL }
        return saturating(UInt64(seconds), times: UInt64(nanosecondsPerSecond), plus: UInt64(ns))
    }

    /// The most nanoseconds a kernel time holds (Linux's KTIME_MAX, 2^63 - 1).
    public static let kernelTimeMax = UInt64(Int64.max)

    /// A guest timespec as a kernel time, as Linux's timespec64_to_ktime gives it to timers
    /// (timerfd): EINVAL as `nanoseconds(seconds:nanoseconds:)`; from 9,223,372,036 seconds on,
    /// KTIME_MAX, so the value a timer reports back is Linux's.
    @inline(__always)
    public static func kernelTime(seconds: Int64, nanoseconds ns: Int64) throws(LinuxErrno) -> UInt64 {
        let t = try nanoseconds(seconds: seconds, nanoseconds: ns)
        return seconds >= Int64.max / nanosecondsPerSecond ? kernelTimeMax : t
    }

    /// A guest timeval (microseconds) as nanoseconds, with the same rules.
    @inline(__always)
    public static func nanoseconds(seconds: Int64, microseconds us: Int64) throws(LinuxErrno) -> UInt64 {
        guard seconds >= 0, us >= 0, us < 1_000_000 else { throw .EINVAL }
        return saturating(UInt64(seconds), times: UInt64(nanosecondsPerSecond), plus: UInt64(us) * 1000)
    }

    /// `a * b + c`, saturating at UInt64.max.
    @inline(__always)
    public static func saturating(_ a: UInt64, times b: UInt64, plus c: UInt64 = 0) -> UInt64 {
        let (p, o1) = a.multipliedReportingOverflow(by: b)
        let (s, o2) = p.addingReportingOverflow(c)
        return o1 || o2 ? .max : s
    }

    /// `now + interval`, saturating at UInt64.max (a deadline that never comes).
    @inline(__always)
    public static func deadline(_ now: UInt64, after interval: UInt64) -> UInt64 {
        let (s, o) = now.addingReportingOverflow(interval)
        return o ? .max : s
    }
}
