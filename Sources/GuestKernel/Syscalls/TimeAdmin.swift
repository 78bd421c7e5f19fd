import HostOS
import LinuxABI

// The clock's administration. Setting or steering the clock is the host's business: a guest may
// read the clock discipline (adjtimex with no modes, as chronyc, ntptime and stress-ng do) and is
// refused every change with EPERM, as a container without CAP_SYS_TIME is. Arguments are still
// read and checked first, so a bad pointer is EFAULT and a malformed time EINVAL, as on Linux.

extension CoreSyscalls {
    /// adjtimex(buf): clock_adjtime(CLOCK_REALTIME, buf).
    static func adjtimex(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try adjustClock(c, c.word(0))
    }

    /// clock_adjtime(clock, buf): only CLOCK_REALTIME has a discipline; the other clocks Linux
    /// knows give EOPNOTSUPP, unknown ids EINVAL.
    static func clockAdjtime(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        switch c.int(0) {
        case 0: return try adjustClock(c, c.word(1))
        case 1...9, 11: throw .EOPNOTSUPP
        default: throw .EINVAL
        }
    }

    /// Reads a guest `struct timex`, refuses any change, and answers the read-only query with a
    /// clock that no time service disciplines: STA_UNSYNC and Linux's TIME_ERROR, the state of a
    /// freshly booted machine.
    static func adjustClock(_ c: SyscallCall, _ address: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        let layout = TimexLayout(c)
        var d = GuestDecoder(try c.mm.read(address, count: layout.size), c.abi)
        let modes = d.u32()
        let adjtime: UInt32 = 0x8000, singleShot: UInt32 = 0x0001, readOnly: UInt32 = 0x2000
        // Linux: ADJ_ADJTIME needs ADJ_OFFSET_SINGLESHOT (EINVAL); only its read-only form
        // (ADJ_OFFSET_SS_READ, and no other bit) and modes 0 change nothing.
        if modes & adjtime != 0 && modes & singleShot == 0 { throw .EINVAL }
        if modes != 0 && modes != adjtime | singleShot | readOnly { throw .EPERM }
        let now = try Host.clock(0)
        try c.mm.write(address, layout.encode(c, modes: modes, seconds: now.0, microseconds: now.1 / 1000))
        return .int(5)  // TIME_ERROR: the clock is not synchronized
    }

    /// `struct timex` as the guest lays it out: longs of the word size, or the 64-bit fields of
    /// `struct __kernel_timex` for the 32-bit ABIs' clock_adjtime64.
    struct TimexLayout {
        let longSize: Int
        init(_ c: SyscallCall) { longSize = c.time64 ? 8 : c.abi.wordSize }
        /// modes, 8 longs, the timeval, 4 longs + shift, 5 longs, tai, and 11 ints of padding.
        var size: Int { longSize == 8 ? 208 : 128 }

        func encode(_ c: SyscallCall, modes: UInt32, seconds: Int64, microseconds: Int64) -> [UInt8] {
            var e = GuestEncoder(c.abi)
            func long(_ v: Int64) {
                e.align(longSize)
                if longSize == 8 { e.i64(v) } else { e.i32(Int32(truncatingIfNeeded: v)) }
            }
            func int(_ v: Int32) { e.i32(v) }
            let unsynchronized: Int32 = 0x40  // STA_UNSYNC
            e.u32(modes)
            long(0)  // offset
            long(0)  // freq
            long(16_000_000)  // maxerror (µs): the bound Linux reports when unsynchronized
            long(16_000_000)  // esterror
            e.align(4); int(unsynchronized)
            long(2)  // constant
            long(1)  // precision (µs)
            long(500 << 16)  // tolerance: 500 ppm, scaled by 2^16
            long(seconds)
            long(microseconds)
            long(10_000)  // tick (µs): USER_HZ 100
            long(0)  // ppsfreq
            long(0)  // jitter
            e.align(4); int(0)  // shift
            long(0)  // stabil
            long(0)  // jitcnt
            long(0)  // calcnt
            long(0)  // errcnt
            long(0)  // stbcnt
            e.align(4); int(0)  // tai
            e.pad(to: size)
            return e.bytes
        }
    }

    /// settimeofday(tv, tz): the values are checked, then refused.
    static func settimeofday(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        if c.word(0) != 0 {
            var d = GuestDecoder(try c.mm.read(c.word(0), count: 2 * c.abi.wordSize), c.abi)
            let seconds = d.sword(), microseconds = d.sword()
            if seconds < 0 || microseconds < 0 || microseconds >= 1_000_000 { throw .EINVAL }
        }
        if c.word(1) != 0 { _ = try c.mm.read(c.word(1), count: 8) }
        throw .EPERM
    }

    /// clock_settime(clock, tp): CLOCK_REALTIME and the CPU-time clocks exist to be set (EPERM
    /// here, after the time is checked); the others cannot be set at all (EINVAL).
    static func clockSettime(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let id = c.int(0)
        guard id == 0 || id == 2 || id == 3 || id < 0 else { throw .EINVAL }
        let (seconds, nanoseconds) = try readTimespec(c, c.word(1))
        if id == 0 && (seconds < 0 || nanoseconds < 0 || nanoseconds >= 1_000_000_000) { throw .EINVAL }
        throw .EPERM
    }
}
