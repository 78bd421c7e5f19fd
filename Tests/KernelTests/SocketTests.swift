import Testing
@testable import GuestKernel
import LinuxABI

/// Socket calls with values no well-behaved program passes (they get Linux's errno and umlab
/// never traps), and the lifetime of sockets and of descriptors in flight. What real programs
/// do is compared with Linux by Tests/programs/sockets_unix.c and sockets_inet.c.
private enum S {
    static let AF_UNIX = 1, AF_INET = 2
    static let STREAM = 1, DGRAM = 2
    static let SOL_SOCKET = 1, SO_RCVBUF = 8, SCM_RIGHTS = 1
    static let MSG_DONTWAIT = 0x40
}

private extension ScriptThread {
    /// socketpair(AF_UNIX, type): the two descriptors.
    func socketpair(_ type: Int) async throws -> (Int, Int) {
        let sv = try alloc(8)
        try await sys("socketpair", S.AF_UNIX, type, 0, sv).get()
        return (Int(try i32(sv)), Int(try i32(sv + 4)))
    }
    /// A sockaddr_in for 127.0.0.1:`port`.
    func loopback(_ port: Int) throws -> UInt64 {
        try place([2, 0, UInt8(port >> 8), UInt8(port & 0xff), 127, 0, 0, 1] + [UInt8](repeating: 0, count: 8))
    }
    /// x86-64's `struct msghdr` (56 bytes) for one iovec of `data` and the given control data.
    func msghdr(data: [UInt8], control: [UInt8]?, controlLength: UInt64? = nil, iovCount: UInt64 = 1) throws -> UInt64 {
        let buffer = try place(data.isEmpty ? [0] : data)
        let iov = try place(ScriptThread.bytes(buffer, 8) + ScriptThread.bytes(UInt64(data.count), 8))
        let ctl = try control.map { try place($0) } ?? 0
        var h = [UInt8](repeating: 0, count: 56)
        h.replaceSubrange(16..<24, with: ScriptThread.bytes(iov, 8))
        h.replaceSubrange(24..<32, with: ScriptThread.bytes(iovCount, 8))
        h.replaceSubrange(32..<40, with: ScriptThread.bytes(ctl, 8))
        h.replaceSubrange(40..<48, with: ScriptThread.bytes(controlLength ?? UInt64(control?.count ?? 0), 8))
        return try place(h)
    }
    /// One SCM_RIGHTS control message carrying `fds` (cmsg_len as given, or the true one).
    static func rights(_ fds: [Int], claimedLength: UInt64? = nil) -> [UInt8] {
        let body = fds.flatMap { ScriptThread.bytes(UInt64(UInt32(truncatingIfNeeded: $0)), 4) }
        let length = claimedLength ?? UInt64(16 + body.count)
        var out = ScriptThread.bytes(length, 8) + ScriptThread.bytes(UInt64(S.SOL_SOCKET), 4) + ScriptThread.bytes(UInt64(S.SCM_RIGHTS), 4) + body
        while out.count % 8 != 0 { out.append(0) }
        return out
    }
}

@Suite struct SocketTests {
    @Test func hostileAddressesAndLengths() async throws {
        try await runGuest { t async throws in
            let (a, _) = try await t.socketpair(S.DGRAM)
            let addr = try t.place([1, 0] + Array("x".utf8) + [0])
            // Address lengths: negative and past sockaddr_storage are EINVAL, a bad pointer EFAULT.
            #expect(try await t.sys("bind", a, addr, -1) == .err(.EINVAL))
            #expect(try await t.sys("bind", a, addr, 129) == .err(.EINVAL))
            #expect(try await t.sys("bind", a, addr, Int(Int32.max)) == .err(.EINVAL))
            #expect(try await t.sys("connect", a, 0x10, 16) == .err(.EFAULT))
            #expect(try await t.sys("bind", a, UInt64.max - 4, 16) == .err(.EFAULT))
            // The result lengths: a bad pointer, a negative value.
            #expect(try await t.sys("getsockname", a, addr, 0x10) == .err(.EFAULT))
            let minusOne = try t.place(ScriptThread.bytes(UInt64(UInt32.max), 4))
            #expect(try await t.sys("getsockname", a, addr, minusOne) == .err(.EINVAL))
            #expect(try await t.sys("getpeername", a, 0x10, try t.place([16, 0, 0, 0])) == .err(.EFAULT))
            // Options.
            let value = try t.place([0, 16, 0, 0])
            #expect(try await t.sys("setsockopt", a, S.SOL_SOCKET, S.SO_RCVBUF, value, -1) == .err(.EINVAL))
            #expect(try await t.sys("setsockopt", a, S.SOL_SOCKET, S.SO_RCVBUF, 0x10, 4) == .err(.EFAULT))
            #expect(try await t.sys("getsockopt", a, S.SOL_SOCKET, S.SO_RCVBUF, value, 0x10) == .err(.EFAULT))
            #expect(try await t.sys("getsockopt", a, S.SOL_SOCKET, S.SO_RCVBUF, value, minusOne) == .err(.EINVAL))
            // A datagram longer than any buffer is EMSGSIZE before its bytes are read.
            #expect(try await t.sys("sendto", a, 0x10, UInt64.max >> 1, 0, 0, 0) == .err(.EMSGSIZE))
            #expect(try await t.sys("sendto", a, 0x10, 1, 0, 0, 0) == .err(.EFAULT))
            #expect(try await t.sys("socket", S.AF_UNIX, S.STREAM | 0x100, 0) == .err(.EINVAL))
            #expect(try await t.sys("socket", S.AF_INET, 12, 0) == .err(.EINVAL))
            #expect(try await t.sys("socket", -1, S.STREAM, 0) == .err(.EAFNOSUPPORT))
            #expect(try await t.sys("shutdown", a, Int(Int32.min)) == .err(.EINVAL))
            #expect(try await t.sys("listen", a, Int.min) == .err(.EOPNOTSUPP))
        }
    }

    @Test func hostileMessageHeaders() async throws {
        try await runGuest { t async throws in
            let (a, b) = try await t.socketpair(S.STREAM)
            // Control data: more than optmem_max is ENOBUFS; a header that claims more than the
            // buffer, or less than itself, is EINVAL; 1000 descriptors pass SCM_MAX_FD (253).
            let huge = try t.msghdr(data: [1], control: ScriptThread.rights([a]), controlLength: 1 << 40)
            #expect(try await t.sys("sendmsg", a, huge, 0) == .err(.ENOBUFS))
            let lie = try t.msghdr(data: [1], control: ScriptThread.rights([a], claimedLength: 64))
            #expect(try await t.sys("sendmsg", a, lie, 0) == .err(.EINVAL))
            let wrap = try t.msghdr(data: [1], control: ScriptThread.rights([a], claimedLength: UInt64.max - 7))
            #expect(try await t.sys("sendmsg", a, wrap, 0) == .err(.EINVAL))
            let short = try t.msghdr(data: [1], control: ScriptThread.rights([a], claimedLength: 3))
            #expect(try await t.sys("sendmsg", a, short, 0) == .err(.EINVAL))
            let many = try t.msghdr(data: [1], control: ScriptThread.rights([Int](repeating: a, count: 1000)))
            #expect(try await t.sys("sendmsg", a, many, 0) == .err(.EINVAL))
            let badFD = try t.msghdr(data: [1], control: ScriptThread.rights([999]))
            #expect(try await t.sys("sendmsg", a, badFD, 0) == .err(.EBADF))
            // The control pointer itself is bad.
            var h = try t.peek(try t.msghdr(data: [1], control: nil), 56)
            h.replaceSubrange(32..<40, with: ScriptThread.bytes(0x10, 8))
            h.replaceSubrange(40..<48, with: ScriptThread.bytes(64, 8))
            #expect(try await t.sys("sendmsg", a, try t.place(h), 0) == .err(.EFAULT))
            // iovec counts past UIO_MAXIOV, and a header that is not there.
            #expect(try await t.sys("sendmsg", a, try t.msghdr(data: [1], control: nil, iovCount: 2000), 0) == .err(.EMSGSIZE))
            #expect(try await t.sys("sendmsg", a, 0x10, 0) == .err(.EFAULT))
            #expect(try await t.sys("recvmsg", b, UInt64.max - 8, S.MSG_DONTWAIT) == .err(.EFAULT))
            // A negative name length on recvmsg.
            h = try t.peek(try t.msghdr(data: [0, 0, 0, 0], control: nil), 56)
            h.replaceSubrange(0..<8, with: ScriptThread.bytes(try t.alloc(16), 8))
            h.replaceSubrange(8..<12, with: ScriptThread.bytes(UInt64(UInt32.max), 4))
            #expect(try await t.sys("recvmsg", b, try t.place(h), S.MSG_DONTWAIT) == .err(.EINVAL))
            // Nothing was sent by any of them.
            #expect(try await t.sys("recvfrom", b, try t.alloc(8), 8, S.MSG_DONTWAIT, 0, 0) == .err(.EAGAIN))
            // sendmmsg/recvmmsg with a vector that runs off the address space.
            #expect(try await t.sys("sendmmsg", a, UInt64.max - 16, 4, 0) == .err(.EFAULT))
            #expect(try await t.sys("recvmmsg", b, 0x10, 4, S.MSG_DONTWAIT, 0) == .err(.EFAULT))
        }
    }

    /// A process that dies with sockets open gives their ports and names back.
    @Test func socketsReleasedWhenAProcessDies() async throws {
        try await runGuest { t async throws in
            let name = try t.place([1, 0, 0] + Array("umlab-kt".utf8))
            try await t.fork { c async throws in
                let l = try await c.sys("socket", S.AF_INET, S.STREAM, 0).get()
                try await c.sys("bind", l, try c.loopback(4321), 16).get()
                try await c.sys("listen", l, 4).get()
                let u = try await c.sys("socket", S.AF_UNIX, S.DGRAM, 0).get()
                try await c.sys("bind", u, name, 11).get()
                try await c.finish(status: 0)
            }.get()
            _ = try await t.wait()
            let l = try await t.sys("socket", S.AF_INET, S.STREAM, 0).get()
            #expect(try await t.sys("bind", l, try t.loopback(4321), 16) == .ok(0))
            let u = try await t.sys("socket", S.AF_UNIX, S.DGRAM, 0).get()
            #expect(try await t.sys("bind", u, name, 11) == .ok(0))
        }
    }

    /// Descriptors in flight hold their files until received, or until the message is dropped
    /// with the socket that queued it: then the pipe's writer is gone and its reader sees EOF.
    @Test func inFlightDescriptorsReleased() async throws {
        try await runGuest { t async throws in
            for type in [S.DGRAM, S.STREAM] {
                let (r, w) = try await t.pipe()
                let (a, b) = try await t.socketpair(type)
                #expect(try await t.sys("sendmsg", a, try t.msghdr(data: [7], control: ScriptThread.rights([w, w, w])), 0) == .ok(1))
                try await t.sys("close", w).get()
                // In flight: the writer is still open, so the reader would block.
                #expect(try await t.poll([(r, C.POLLIN)], timeout: 0).1 == [0])
                try await t.sys("close", a).get()
                try await t.sys("close", b).get()
                #expect(try await t.read(r, 1).0 == .ok(0))
                try await t.sys("close", r).get()
            }
            // Received by a read without a control buffer: closed at once.
            let (r, w) = try await t.pipe()
            let (a, b) = try await t.socketpair(S.STREAM)
            #expect(try await t.sys("sendmsg", a, try t.msghdr(data: [7], control: ScriptThread.rights([w])), 0) == .ok(1))
            try await t.sys("close", w).get()
            #expect(try await t.read(b, 1).0 == .ok(1))
            #expect(try await t.read(r, 1).0 == .ok(0))
        }
    }

    /// setsockopt of an option umlab does not know succeeds and is counted for --stats-json.
    @Test func unknownOptionsAreCounted() async throws {
        try await runGuest { t async throws in
            let s = try await t.sys("socket", S.AF_INET, S.STREAM, 0).get()
            let one = try t.place([1, 0, 0, 0])
            #expect(try await t.sys("setsockopt", s, S.SOL_SOCKET, 9999, one, 4) == .ok(0))
            #expect(try await t.sys("setsockopt", s, S.SOL_SOCKET, 9999, one, 4) == .ok(0))
            #expect(try await t.sys("setsockopt", s, 6, 9998, one, 4) == .ok(0))
            #expect(t.kernel.network.unknownOptions == ["1:9999": 2, "6:9998": 1])
            // getsockopt of an unknown option is ENOPROTOOPT, as Linux.
            let len = try t.place([4, 0, 0, 0])
            #expect(try await t.sys("getsockopt", s, S.SOL_SOCKET, 9999, try t.alloc(4), len) == .err(.ENOPROTOOPT))
            #expect(t.kernel.network.socketsCreated == 1)
        }
    }
}

/// Linux's limits and collector for unix sockets: net.unix.max_dgram_qlen, the garbage
/// collector of sockets in flight, and the sockets a guest may not have (raw, packet, ping).
@Suite struct UnixSocketLimitTests {
    /// A sockaddr_un in the abstract namespace, and its length.
    private static func abstract(_ t: ScriptThread, _ name: String) throws -> (UInt64, Int) {
        let bytes: [UInt8] = [1, 0, 0] + Array(name.utf8)
        return (try t.place(bytes), bytes.count)
    }

    /// A socket sent over itself and closed, and two sockets each in flight in the other's
    /// queue, are freed when a unix socket is released, with the files their queues held (the
    /// pipe's reader sees EOF); a socket in flight in a live socket's queue is not.
    @Test func unreachableSocketsInFlightAreCollected() async throws {
        try await runGuest { t async throws in
            // Sent over itself: b's queue holds b and the pipe's writer.
            var (r, w) = try await t.pipe()
            let (a, b) = try await t.socketpair(S.DGRAM)
            #expect(try await t.sys("sendmsg", a, try t.msghdr(data: [1], control: ScriptThread.rights([b, w])), 0) == .ok(1))
            try await t.sys("close", w).get()
            try await t.sys("close", b).get()
            #expect(try await t.poll([(r, C.POLLIN)], timeout: 0).1 == [0])
            try await t.sys("close", a).get()
            #expect(try await t.poll([(r, C.POLLIN)], timeout: 0).1 == [C.POLLHUP])
            #expect(try await t.read(r, 1).0 == .ok(0))
            try await t.sys("close", r).get()

            // A cycle: x2's queue holds y2 (and the writer), y2's holds x2.
            (r, w) = try await t.pipe()
            let (x1, x2) = try await t.socketpair(S.STREAM)
            let (y1, y2) = try await t.socketpair(S.STREAM)
            #expect(try await t.sys("sendmsg", x1, try t.msghdr(data: [2], control: ScriptThread.rights([y2, w])), 0) == .ok(1))
            #expect(try await t.sys("sendmsg", y1, try t.msghdr(data: [3], control: ScriptThread.rights([x2])), 0) == .ok(1))
            for fd in [w, x2, y2] { try await t.sys("close", fd).get() }
            #expect(try await t.poll([(r, C.POLLIN)], timeout: 0).1 == [0])
            try await t.sys("close", x1).get()
            #expect(try await t.read(r, 1).0 == .ok(0))
            try await t.sys("close", y1).get()
            try await t.sys("close", r).get()

            // In flight in a live socket's queue: kept, and received later.
            (r, w) = try await t.pipe()
            let (p1, p2) = try await t.socketpair(S.DGRAM)
            let (q1, q2) = try await t.socketpair(S.DGRAM)
            #expect(try await t.sys("sendmsg", p1, try t.msghdr(data: [4], control: ScriptThread.rights([q2])), 0) == .ok(1))
            #expect(try await t.sys("sendmsg", q1, try t.msghdr(data: [5], control: ScriptThread.rights([w])), 0) == .ok(1))
            for fd in [w, q2, q1] { try await t.sys("close", fd).get() }
            #expect(try await t.poll([(r, C.POLLIN)], timeout: 0).1 == [0])
            try await t.sys("close", p1).get()
            #expect(try await t.poll([(r, C.POLLIN)], timeout: 0).1 == [0])
            // p2 still holds q2, which holds the writer: closing p2 drops both.
            try await t.sys("close", p2).get()
            #expect(try await t.read(r, 1).0 == .ok(0))
        }
    }

    /// net.unix.max_dgram_qlen: a unix datagram socket takes 11 datagrams (more than 10)
    /// from a sender that is not its peer, then the sender gets EAGAIN until one is read; a
    /// socketpair's ends are each other's peer and are limited by bytes only.
    @Test func datagramQueueLength() async throws {
        try await runGuest { t async throws in
            #expect(try await t.contents("/proc/sys/net/unix/max_dgram_qlen") == .success("10\n"))
            let receiver = try await t.sys("socket", S.AF_UNIX, S.DGRAM, 0).get()
            let (address, length) = try UnixSocketLimitTests.abstract(t, "umlab-qlen")
            try await t.sys("bind", receiver, address, length).get()
            let sender = try await t.sys("socket", S.AF_UNIX, S.DGRAM, 0).get()
            let byte = try t.place([9])
            for _ in 0..<11 { #expect(try await t.sys("sendto", sender, byte, 1, S.MSG_DONTWAIT, address, length) == .ok(1)) }
            #expect(try await t.sys("sendto", sender, byte, 1, S.MSG_DONTWAIT, address, length) == .err(.EAGAIN))
            // A connected sender polls as not writable while the queue is full.
            try await t.sys("connect", sender, address, length).get()
            #expect(try await t.poll([(sender, C.POLLOUT)], timeout: 0).1 == [0])
            #expect(try await t.read(receiver, 1).0 == .ok(1))
            #expect(try await t.poll([(sender, C.POLLOUT)], timeout: 0).1 == [C.POLLOUT])
            #expect(try await t.sys("sendto", sender, byte, 1, S.MSG_DONTWAIT, 0, 0) == .ok(1))
            #expect(try await t.sys("sendto", sender, byte, 1, S.MSG_DONTWAIT, 0, 0) == .err(.EAGAIN))
            let (a, _) = try await t.socketpair(S.DGRAM)
            for _ in 0..<50 { #expect(try await t.sys("sendto", a, byte, 1, S.MSG_DONTWAIT, 0, 0) == .ok(1)) }
        }
    }

    /// Raw IP and packet sockets are EPERM (no guest has CAP_NET_RAW, root included); ICMP
    /// echo sockets EACCES (ping_group_range admits no group).
    @Test func rawAndPacketSocketsRefused() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("socket", S.AF_INET, 3, 1) == .err(.EPERM))
            #expect(try await t.sys("socket", S.AF_INET, 3, 255) == .err(.EPERM))
            #expect(try await t.sys("socket", 10, 3, 58) == .err(.EPERM))
            #expect(try await t.sys("socket", 17, 3, 0x300) == .err(.EPERM))
            #expect(try await t.sys("socket", S.AF_INET, S.DGRAM, 1) == .err(.EACCES))
            #expect(try await t.sys("socket", 10, S.DGRAM, 58) == .err(.EACCES))
            // A unix SOCK_RAW is a datagram socket, as Linux's unix_create makes it.
            #expect(try await t.sys("socket", S.AF_UNIX, 3, 0).errno == nil)
        }
    }
}
