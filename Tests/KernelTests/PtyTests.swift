import Testing
@testable import GuestKernel
import LinuxABI

/// Pseudo-terminals: the bound on how many exist, hostile ioctl arguments, the lock, and the
/// line discipline's edge cases (the differential program Tests/programs/pty.c covers the rest).
private enum T {
    static let TIOCGPTN = 0x8004_5430, TIOCSPTLCK = 0x4004_5431, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414
    static let TCGETS = 0x5401, TCSETS = 0x5402, TCFLSH = 0x540B, TCXONC = 0x540A, TIOCSPGRP = 0x5410
    static let O_NOCTTY = 0o400
}

@Suite struct Pty {
    /// Opens a master and unlocks it; returns it and its slave's number.
    static func openPair(_ t: ScriptThread) async throws -> (master: Int, index: Int32) {
        let m = try await t.open("/dev/ptmx", C.O_RDWR | T.O_NOCTTY | C.O_NONBLOCK).get()
        let n = try t.alloc(4)
        try await t.sys("ioctl", m, T.TIOCGPTN, n).get()
        try t.poke(n, ScriptThread.bytes(0, 4))
        try await t.sys("ioctl", m, T.TIOCSPTLCK, n).get()
        try await t.sys("ioctl", m, T.TIOCGPTN, n).get()
        return (m, try t.i32(n))
    }

    @Test func ptmxStopsAtTheMaximumWithENOSPC() async throws {
        try await runGuest { t async throws in
            t.kernel.ptys.maximum = 3
            var masters: [Int] = []
            for _ in 0..<3 { masters.append(try await t.open("/dev/ptmx", C.O_RDWR).get()) }
            #expect(try await t.open("/dev/ptmx", C.O_RDWR) == .err(.ENOSPC))
            #expect(try await t.open("/dev/pts/ptmx", C.O_RDWR) == .err(.ENOSPC))
            try await t.sys("close", masters[1]).get()
            // The freed number is the lowest free one, and is given again.
            let again = try await t.open("/dev/ptmx", C.O_RDWR).get()
            let n = try t.alloc(4)
            try await t.sys("ioctl", again, T.TIOCGPTN, n).get()
            #expect(try t.i32(n) == 1)
            let nr = try await t.open("/proc/sys/kernel/pty/nr", C.O_RDONLY).get()
            #expect(try await t.read(nr, 16).1 == Array("3\n".utf8))
        }
    }

    @Test func hostileIoctlArguments() async throws {
        try await runGuest { t async throws in
            let (m, index) = try await Pty.openPair(t)
            let s = try await t.open("/dev/pts/\(index)", C.O_RDWR | T.O_NOCTTY | C.O_NONBLOCK).get()
            for fd in [m, s] {
                for request in [T.TIOCGWINSZ, T.TIOCSWINSZ, T.TCGETS, T.TCSETS] {
                    #expect(try await t.sys("ioctl", fd, request, 0) == .err(.EFAULT))
                    #expect(try await t.sys("ioctl", fd, request, UInt64.max) == .err(.EFAULT))
                }
                #expect(try await t.sys("ioctl", fd, T.TCFLSH, UInt64.max) == .err(.EINVAL))
                #expect(try await t.sys("ioctl", fd, T.TCXONC, 4) == .err(.EINVAL))
            }
            #expect(try await t.sys("ioctl", m, T.TIOCGPTN, 8) == .err(.EFAULT))
            #expect(try await t.sys("ioctl", s, T.TIOCGPTN, try t.alloc(4)) == .err(.ENOTTY))
            // A slave that is not the caller's controlling terminal has no process group to set.
            #expect(try await t.sys("ioctl", s, T.TIOCSPGRP, try t.alloc(4)) == .err(.ENOTTY))
            // The largest window size is kept as it is.
            let ws = try t.alloc(8)
            try t.poke(ws, [UInt8](repeating: 0xff, count: 8))
            try await t.sys("ioctl", m, T.TIOCSWINSZ, ws).get()
            let back = try t.alloc(8)
            try await t.sys("ioctl", s, T.TIOCGWINSZ, back).get()
            #expect(try t.u32(back) == 0xffff_ffff)
        }
    }

    /// The old termio ioctls (stress-ng's pty stressor): the low halves of the flags, the line
    /// and eight control characters, round trip with TCGETS; the high halves stay.
    @Test func termioForms() async throws {
        try await runGuest { t async throws in
            let (m, index) = try await Pty.openPair(t)
            let s = try await t.open("/dev/pts/\(index)", C.O_RDWR | T.O_NOCTTY | C.O_NONBLOCK).get()
            let termio = try t.alloc(18)
            try await t.sys("ioctl", s, 0x5405, termio).get()  // TCGETA
            let before = try t.peek(termio, 17)
            var changed = before
            changed[6] ^= 0x02  // c_lflag's ICANON (low half)
            changed[9 + 0] = 0x01  // VINTR
            try t.poke(termio, changed)
            try await t.sys("ioctl", s, 0x5406, termio).get()  // TCSETA
            let termios = try t.alloc(60)
            try await t.sys("ioctl", m, T.TCGETS, termios).get()
            #expect(try t.u32(termios + 12) & 0xffff == UInt32(changed[6]) | UInt32(changed[7]) << 8)
            #expect(try t.peek(termios + 17, 1) == [0x01])  // c_cc[VINTR] after c_line
            #expect(try await t.sys("ioctl", s, 0x5405, 8) == .err(.EFAULT))
            #expect(try await t.sys("ioctl", m, 0x5408, UInt64.max) == .err(.EFAULT))  // TCSETAF
        }
    }

    @Test func lockedSlaveAndEmptyEnds() async throws {
        try await runGuest { t async throws in
            let m = try await t.open("/dev/ptmx", C.O_RDWR | C.O_NONBLOCK).get()
            #expect(try await t.open("/dev/pts/0", C.O_RDWR) == .err(.EIO))
            #expect(try await t.open("/dev/pts/00", C.O_RDWR) == .err(.ENOENT))
            #expect(try await t.read(m, 10).0 == .err(.EAGAIN))
            let zero = try t.alloc(4)
            try await t.sys("ioctl", m, T.TIOCSPTLCK, zero).get()
            let s = try await t.open("/dev/pts/0", C.O_RDWR | C.O_NONBLOCK).get()
            #expect(try await t.read(s, 10).0 == .err(.EAGAIN))
            try await t.sys("close", s).get()
            #expect(try await t.read(m, 10).0 == .err(.EIO))
            try await t.sys("close", m).get()
            #expect(try await t.open("/dev/pts/0", C.O_RDWR) == .err(.ENOENT))
        }
    }
}

/// The line discipline alone (pure state).
@Suite struct LineDisciplineRules {
    static func feed(_ d: inout LineDiscipline, _ s: [UInt8]) -> LineDiscipline.Effects {
        var fx = LineDiscipline.Effects()
        _ = s.withUnsafeBytes { d.receive($0, effects: &fx) }
        return fx
    }
    static func readAll(_ d: inout LineDiscipline, _ max: Int = 8192) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max)
        let n = out.withUnsafeMutableBytes { d.read(into: $0) }
        return Array(out[0..<n])
    }

    @Test func overlongCanonicalLineKeepsItsEnd() {
        var d = LineDiscipline()
        _ = Self.feed(&d, [UInt8](repeating: 0x61, count: 5000) + [10])
        let line = Self.readAll(&d)
        #expect(line.count == LineDiscipline.capacity)
        #expect(line.last == 10)
    }

    @Test func signalCharacterFlushesAndReports() {
        var d = LineDiscipline()
        _ = Self.feed(&d, Array("half".utf8))
        let fx = Self.feed(&d, [3, 28, 26])
        #expect(fx.signals == [.SIGINT, .SIGQUIT, .SIGTSTP])
        #expect(fx.flushOutput)
        #expect(d.isEmpty)
    }

    @Test func nonCanonicalInputWaitsForRoom() {
        var d = LineDiscipline()
        var t = d.termios
        t.lflag &= ~TermiosBits.ICANON
        d.set(t)
        var fx = LineDiscipline.Effects()
        let big = [UInt8](repeating: 0x62, count: 6000)
        let taken = big.withUnsafeBytes { d.receive($0, effects: &fx) }
        #expect(taken == LineDiscipline.capacity)
        #expect(!d.hasRoom)
    }

    @Test func outputProcessingStopsAtTheRoom() {
        var d = LineDiscipline()
        var out: [UInt8] = []
        let taken = Array("a\nb\n".utf8).withUnsafeBytes { d.output($0, into: &out, room: 3) }
        #expect(taken == 2)
        #expect(out == [0x61, 13, 10])
    }
}
