import Testing
import LinuxABI

/// The helper set every guest-controlled value goes through: each edge gives nil, an errno or
/// saturation, never a trap.
@Suite struct GuestMathTests {
    @Test func rangesAndRounding() throws {
        #expect(GuestMath.end(.max, 0) == .max)
        #expect(GuestMath.end(.max, 1) == nil)
        #expect(GuestMath.end(0x1000, 0x1000) == 0x2000)
        #expect(GuestMath.roundUp(.max - 0xffe, to: 0x1000) == nil)
        #expect(GuestMath.roundUp(UInt64.max - 0xfff, to: 0x1000) == UInt64.max - 0xfff)
        #expect(GuestMath.roundUp(1, to: 0x1000) == 0x1000)
        #expect(GuestMath.roundDown(0x1fff, to: 0x1000) == 0x1000)
        #expect(GuestMath.pageSpan(0x1001, 1, pageSize: 0x1000) == 0x1000..<0x2000)
        #expect(GuestMath.pageSpan(0, .max, pageSize: 0x1000) == nil)
        #expect(GuestMath.pageSpan(.max - 10, 5, pageSize: 0x1000) == nil)
        #expect(throws: LinuxErrno.EFAULT) { try GuestMath.range(.max, length: 2, within: 0..<UInt64.max, else: .EFAULT) }
        #expect(throws: LinuxErrno.ENOMEM) { try GuestMath.range(0, length: 0x2000, within: 0x1000..<0x8000, else: .ENOMEM) }
        #expect(try GuestMath.range(0x1000, length: 0x1000, within: 0x1000..<0x2000, else: .EINVAL) == 0x1000..<0x2000)
    }

    @Test func countsAndProducts() throws {
        #expect(throws: LinuxErrno.EINVAL) { try GuestMath.count(.max, limit: 1024, else: .EINVAL) }
        #expect(try GuestMath.count(1024, limit: 1024, else: .EINVAL) == 1024)
        #expect(GuestMath.product(1 << 40, 1 << 30) == nil)
        #expect(GuestMath.product(16, 1024, limit: 16383) == nil)
        #expect(GuestMath.product(16, 1024) == 16384)
        #expect(throws: LinuxErrno.EINVAL) { try GuestMath.fileRange(offset: -1, length: 1) }
        #expect(throws: LinuxErrno.EINVAL) { try GuestMath.fileRange(offset: .max, length: 1) }
        #expect(try GuestMath.fileRange(offset: .max - 1, length: 1) == (Int64.max - 1, Int64.max))
    }

    @Test func timesSaturate() throws {
        #expect(try GuestMath.nanoseconds(seconds: .max, nanoseconds: 999_999_999) == .max)
        #expect(try GuestMath.nanoseconds(seconds: 10_000_000_000, nanoseconds: 0) == 10_000_000_000_000_000_000)
        #expect(try GuestMath.nanoseconds(seconds: 1, nanoseconds: 5) == 1_000_000_005)
        #expect(throws: LinuxErrno.EINVAL) { try GuestMath.nanoseconds(seconds: -1, nanoseconds: 0) }
        #expect(throws: LinuxErrno.EINVAL) { try GuestMath.nanoseconds(seconds: 0, nanoseconds: 1_000_000_000) }
        #expect(throws: LinuxErrno.EINVAL) { try GuestMath.nanoseconds(seconds: 0, nanoseconds: -1) }
        #expect(try GuestMath.nanoseconds(seconds: .max, microseconds: 999_999) == .max)
        #expect(throws: LinuxErrno.EINVAL) { try GuestMath.nanoseconds(seconds: 0, microseconds: 1_000_000) }
        #expect(GuestMath.deadline(.max - 5, after: 10) == .max)
        #expect(GuestMath.deadline(5, after: 10) == 15)
        #expect(GuestMath.saturating(.max, times: 2) == .max)
        #expect(GuestMath.saturating(3, times: 4, plus: .max) == .max)
    }

    /// Stacks grow down; file positions stay in [0, 2^63); a 32-bit guest's sums wrap at 2^32.
    @Test func stacksPositionsAndWordTops() throws {
        #expect(GuestMath.start(below: 0x1000, length: 0x1000) == 0)
        #expect(GuestMath.start(below: 0x1000, length: 0x1001) == nil)
        #expect(try GuestMath.filePosition(100, plus: -100) == 0)
        #expect(throws: LinuxErrno.EINVAL) { try GuestMath.filePosition(100, plus: .max) }
        #expect(throws: LinuxErrno.EINVAL) { try GuestMath.filePosition(0, plus: -1) }
        let top: UInt64 = 0xffff_ffff
        #expect(GuestMath.end(0xffff_f000, 0xfff, top: top) == top)
        #expect(GuestMath.end(0xffff_f000, 0x1000, top: top) == nil)
        #expect(GuestMath.roundUp(0xffff_ffff, to: 0x1000, top: top) == nil)
        #expect(GuestMath.pageSpan(0, 0xffff_ffff, pageSize: 0x1000, top: top) == nil)
        #expect(GuestMath.pageSpan(0x1000, 0x1000, pageSize: 0x1000, top: top) == 0x1000..<0x2000)
    }
}
