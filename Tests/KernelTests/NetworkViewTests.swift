import Testing
@testable import GuestKernel
import LinuxABI

/// Netlink messages as a hostile or sloppy guest writes them (x86-64 layout, little-endian).
private enum NLTest {
    static let AF_NETLINK = 16, SOCK_RAW = 3, ROUTE = 0, SOCK_DIAG = 4
    static let REQUEST = 1, ACK = 4, DUMP = 0x300
    static let MSG_PEEK = 2, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40

    static func header(length: UInt32, type: UInt16, flags: Int, seq: UInt32 = 7) -> [UInt8] {
        ScriptThread.bytes(UInt64(length), 4) + ScriptThread.bytes(UInt64(type), 2) + ScriptThread.bytes(UInt64(flags), 2)
            + ScriptThread.bytes(UInt64(seq), 4) + ScriptThread.bytes(0, 4)
    }
    /// A well-formed message: the header and `body`, padded to 4.
    static func message(type: UInt16, flags: Int, body: [UInt8], seq: UInt32 = 7) -> [UInt8] {
        var m = header(length: UInt32(16 + body.count), type: type, flags: flags, seq: seq) + body
        while m.count % 4 != 0 { m.append(0) }
        return m
    }
    /// The messages of a datagram: (type, flags, error for NLMSG_ERROR).
    static func parse(_ d: [UInt8]) -> [(type: Int, flags: Int, error: Int32?)] {
        var out: [(Int, Int, Int32?)] = []
        var at = 0
        func u32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(d[i + $1]) << (8 * UInt32($1)) } }
        while d.count - at >= 16 {
            let len = Int(u32(at)), type = Int(d[at + 4]) | Int(d[at + 5]) << 8, flags = Int(d[at + 6]) | Int(d[at + 7]) << 8
            guard len >= 16, len <= d.count - at else { break }
            out.append((type, flags, type == 2 ? Int32(bitPattern: u32(at + 16)) : nil))
            at += (len + 3) & ~3
        }
        return out
    }
}

private extension ScriptThread {
    func netlink(_ proto: Int = NLTest.ROUTE) async throws -> Int {
        try await sys("socket", NLTest.AF_NETLINK, NLTest.SOCK_RAW, proto).get("socket")
    }
    func send(_ fd: Int, _ bytes: [UInt8]) async throws -> SysRet {
        try await sys("sendto", fd, try place(bytes.isEmpty ? [0] : bytes), bytes.count, 0, 0, 0)
    }
    /// One datagram without waiting: its bytes, or the error.
    func receive(_ fd: Int, _ room: Int = 65536, flags: Int = 0) async throws -> Result<[UInt8], LinuxErrno> {
        let buf = try alloc(max(room, 1))
        let r = try await sys("recvfrom", fd, buf, room, flags | NLTest.MSG_DONTWAIT, 0, 0)
        switch r {
        case .ok(let n): return .success(try peek(buf, min(n, room)))
        case .err(let e): return .failure(e)
        }
    }
    /// Every datagram queued now, concatenated message lists.
    func drain(_ fd: Int) async throws -> [[(type: Int, flags: Int, error: Int32?)]] {
        var out: [[(type: Int, flags: Int, error: Int32?)]] = []
        while case .success(let d) = try await receive(fd) { out.append(NLTest.parse(d)) }
        return out
    }
}

@Suite struct NetlinkHostileInput {
    @Test func shortAndLyingHeadersAreIgnored() async throws {
        try await runGuest { t async throws in
            let fd = try await t.netlink()
            // Shorter than a header: taken whole, nothing answered.
            #expect(try await t.send(fd, [1, 2, 3, 4, 5]) == .ok(5))
            // A length below the header size, one past the datagram, and one near 2^32.
            for length: UInt32 in [8, 33, 0xFFFF_FFF0, 0xFFFF_FFFF] {
                let d = NLTest.header(length: length, type: 18, flags: NLTest.REQUEST | NLTest.ACK) + [UInt8](repeating: 0, count: 16)
                #expect(try await t.send(fd, d) == .ok(32))
            }
            #expect(try await t.receive(fd) == .failure(.EAGAIN))
            // A good request followed by a lying one: the first is answered, the rest dropped.
            let good = NLTest.message(type: 18, flags: NLTest.REQUEST | NLTest.ACK, body: [UInt8](repeating: 0, count: 16))
            let datagram = good + NLTest.header(length: 4096, type: 18, flags: NLTest.REQUEST | NLTest.ACK)
            #expect(try await t.send(fd, datagram) == .ok(datagram.count))
            let replies = try await t.drain(fd).flatMap { $0 }
            // RTM_GETLINK with index 0 and no name is EINVAL, reported once.
            #expect(replies.map(\.type) == [2] && replies.first?.error == -LinuxErrno.EINVAL.rawValue)
        }
    }

    @Test func emptyBodiesControlMessagesAndUnknownTypes() async throws {
        try await runGuest { t async throws in
            let fd = try await t.netlink()
            // No family byte: dropped without an error (rtnetlink_rcv_msg), acked when asked.
            _ = try await t.send(fd, NLTest.message(type: 22, flags: NLTest.REQUEST | NLTest.ACK, body: []))
            // Not a request, or a control type: only acked.
            _ = try await t.send(fd, NLTest.message(type: 18, flags: NLTest.ACK, body: [0]))
            _ = try await t.send(fd, NLTest.message(type: 3, flags: NLTest.REQUEST | NLTest.ACK, body: [0]))
            // Unknown and out-of-range types; changes.
            _ = try await t.send(fd, NLTest.message(type: 0xFFFF, flags: NLTest.REQUEST, body: [0]))
            _ = try await t.send(fd, NLTest.message(type: 102, flags: NLTest.REQUEST, body: [0]))  // RTM_GETCHAIN
            _ = try await t.send(fd, NLTest.message(type: 20, flags: NLTest.REQUEST, body: [UInt8](repeating: 0, count: 8)))
            let errors = try await t.drain(fd).flatMap { $0 }.map(\.error)
            #expect(errors == [0, 0, 0, -LinuxErrno.EOPNOTSUPP.rawValue, -LinuxErrno.EOPNOTSUPP.rawValue, -LinuxErrno.EPERM.rawValue])
        }
    }

    @Test func hugeDatagramsAndAttributes() async throws {
        try await runGuest { t async throws in
            let fd = try await t.netlink()
            // Past SO_SNDBUF: EMSGSIZE before anything is parsed; past 8 MiB too.
            let big = [UInt8](repeating: 0xff, count: 300_000)
            #expect(try await t.send(fd, big) == .err(.EMSGSIZE))
            #expect(try await t.sys("sendto", fd, try t.alloc(16), (8 << 20) + 1, 0, 0, 0) == .err(.EMSGSIZE))
            // RTM_GETLINK by name with attribute lengths that lie: the walk stops, no name: EINVAL.
            for rtaLength in [0, 2, 0xFFFF] {
                let attribute = ScriptThread.bytes(UInt64(rtaLength), 2) + ScriptThread.bytes(3, 2) + Array("lo\0\0".utf8)
                _ = try await t.send(fd, NLTest.message(type: 18, flags: NLTest.REQUEST, body: [UInt8](repeating: 0, count: 16) + attribute))
            }
            // A good name finds lo.
            let attribute = ScriptThread.bytes(7, 2) + ScriptThread.bytes(3, 2) + Array("lo\0\0".utf8)
            _ = try await t.send(fd, NLTest.message(type: 18, flags: NLTest.REQUEST, body: [UInt8](repeating: 0, count: 16) + attribute))
            let replies = try await t.drain(fd).flatMap { $0 }
            #expect(replies.map(\.error) == [-LinuxErrno.EINVAL.rawValue, -LinuxErrno.EINVAL.rawValue, -LinuxErrno.EINVAL.rawValue, nil])
            #expect(replies.last?.type == 16)  // RTM_NEWLINK
        }
    }

    @Test func peekTruncAndAnUnreadQueue() async throws {
        try await runGuest { t async throws in
            let fd = try await t.netlink()
            let dump = NLTest.message(type: 18, flags: NLTest.REQUEST | NLTest.DUMP, body: [0])
            _ = try await t.send(fd, dump)
            // MSG_PEEK|MSG_TRUNC with no room: the datagram's size, left queued.
            let size = try await t.sys("recvfrom", fd, 0, 0, NLTest.MSG_PEEK | NLTest.MSG_TRUNC, 0, 0).get()
            guard case .success(let d) = try await t.receive(fd) else { Issue.record("no datagram"); return }
            #expect(d.count == size)
            #expect(NLTest.parse(d).map(\.type) == [16, 16, 3])  // two links, NLMSG_DONE
            // Requests nobody reads: the queue stops at SO_RCVBUF and the next read reports
            // ENOBUFS once; what was queued is still there.
            var sent = 0
            for _ in 0..<2000 {
                _ = try await t.send(fd, dump)
                sent += 1
            }
            #expect(try await t.receive(fd) == .failure(.ENOBUFS))
            var datagrams = 0
            while case .success = try await t.receive(fd) { datagrams += 1 }
            #expect(datagrams > 10 && datagrams < sent)
        }
    }

    @Test func largeDumpsComeInChunksAndOneAtATime() async throws {
        try await runGuest { t async throws in
            // 200 unix sockets make a sock_diag dump several datagrams long.
            for _ in 0..<100 {
                let p = try t.alloc(8)
                try await t.sys("socketpair", 1, 1, 0, p).get()
            }
            let fd = try await t.netlink(NLTest.SOCK_DIAG)
            // struct unix_diag_req: AF_UNIX, all states, show names.
            let request = [1, 0, 0, 0] + ScriptThread.bytes(0xFFFF_FFFF, 4) + ScriptThread.bytes(0, 4) + ScriptThread.bytes(1, 4) + [UInt8](repeating: 0, count: 8)
            _ = try await t.send(fd, NLTest.message(type: 20, flags: NLTest.REQUEST | NLTest.DUMP, body: request, seq: 1))
            // A second dump while the first is being read: EBUSY.
            _ = try await t.send(fd, NLTest.message(type: 20, flags: NLTest.REQUEST | NLTest.DUMP, body: request, seq: 2))
            let datagrams = try await t.drain(fd)
            let all = datagrams.flatMap { $0 }
            #expect(datagrams.count > 1)
            #expect(all.filter { $0.type == 20 }.count == 200)
            #expect(all.contains { $0.type == 2 && $0.error == -LinuxErrno.EBUSY.rawValue })
            #expect(all.last?.type == 3)
            // Short and out-of-range requests.
            _ = try await t.send(fd, NLTest.message(type: 20, flags: NLTest.REQUEST | NLTest.DUMP, body: [1]))
            _ = try await t.send(fd, NLTest.message(type: 20, flags: NLTest.REQUEST | NLTest.DUMP, body: [2, 6] + [UInt8](repeating: 0, count: 10)))
            _ = try await t.send(fd, NLTest.message(type: 20, flags: NLTest.REQUEST | NLTest.DUMP, body: [200, 6]))
            _ = try await t.send(fd, NLTest.message(type: 99, flags: NLTest.REQUEST, body: [1, 0]))
            let errors = try await t.drain(fd).flatMap { $0 }.map(\.error)
            let einval = -LinuxErrno.EINVAL.rawValue
            #expect(errors == [einval, einval, einval, einval])
        }
    }

    @Test func socketsBindingAndProtocols() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("socket", NLTest.AF_NETLINK, NLTest.SOCK_RAW, 9) == .err(.EPROTONOSUPPORT))
            #expect(try await t.sys("socket", NLTest.AF_NETLINK, 1, 0) == .err(.ESOCKTNOSUPPORT))
            let a = try await t.netlink(), b = try await t.netlink()
            let pid = try await t.sys("getpid").get()
            func name(_ fd: Int) async throws -> UInt32 {
                let buf = try t.alloc(12), len = try t.word(12)
                try await t.sys("getsockname", fd, buf, len).get()
                return try t.u32(buf + 4)
            }
            // The first send binds the process id, the next socket a negative number.
            _ = try await t.send(a, [0])
            _ = try await t.send(b, [0])
            #expect(try await name(a) == UInt32(pid))
            #expect(try await name(b) == UInt32(bitPattern: -4097))
            // An explicit port id in use: EADDRINUSE; rebinding another: EINVAL.
            let c = try await t.netlink()
            let nl = { (p: UInt32) throws -> UInt64 in try t.place([16, 0, 0, 0] + ScriptThread.bytes(UInt64(p), 4) + [0, 0, 0, 0]) }
            #expect(try await t.sys("bind", c, try nl(UInt32(pid)), 12) == .err(.EADDRINUSE))
            #expect(try await t.sys("bind", c, try nl(4242), 12) == .ok(0))
            #expect(try await t.sys("bind", c, try nl(4243), 12) == .err(.EINVAL))
            #expect(try await t.sys("bind", c, try nl(4242), 8) == .err(.EINVAL))
            // A non-root sender may not address another socket.
            try await t.sys("setresuid", 1000, 1000, 1000).get()
            let to = try nl(4242)
            #expect(try await t.sys("sendto", a, try t.place([0]), 1, 0, to, 12) == .err(.EPERM))
        }
    }
}

@Suite struct NetworkView {
    @Test func procNetAndEtcFiles() async throws {
        try await runGuest { t async throws in
            let l = try await t.sys("socket", 2, 1, 0).get()
            // 127.0.0.1:8080
            let sa = try t.place([2, 0, 0x1f, 0x90, 127, 0, 0, 1] + [UInt8](repeating: 0, count: 8))
            try await t.sys("bind", l, sa, 16).get()
            try await t.sys("listen", l, 5).get()
            let tcp = try await t.contents("/proc/net/tcp")
            guard case .success(let text) = tcp else { Issue.record("\(tcp)"); return }
            let lines = text.split(separator: "\n")
            #expect(lines.count == 2 && lines.allSatisfy { $0.count == 149 })
            #expect(lines[1].hasPrefix("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "))
            #expect(try await t.contents("/proc/self/net/tcp") == tcp)
            #expect(try await t.contents("/proc/sys/net/core/somaxconn") == .success("4096\n"))
            #expect(try await t.contents("/proc/sys/net/ipv4/ip_local_port_range") == .success("32768\t60999\n"))
            #expect(try await t.contents("/proc/net/if_inet6") == .success("00000000000000000000000000000001 01 80 10 80       lo\n"))
            #expect(try await t.contents("/etc/resolv.conf").map { $0.contains("nameserver 10.0.2.3\n") } == .success(true))
            #expect(try await t.contents("/etc/hosts").map { $0.contains("10.0.2.15\tscripted\n") } == .success(true))
            #expect(try await t.contents("/etc/hostname") == .success("scripted\n"))
            #expect(try await t.open("/etc/hosts", C.O_WRONLY) == .err(.EROFS))
            // sethostname: the files follow.
            try await t.sys("sethostname", "renamed", 7).get()
            #expect(try await t.contents("/etc/hosts").map { $0.contains("10.0.2.15\trenamed\n") } == .success(true))
            // stat gives the size a reader allocates for.
            #expect(try await t.stat("/etc/hostname").map(\.size) == .success(8))
        }
    }

    @Test func interfaceIoctls() async throws {
        try await runGuest { t async throws in
            let fd = try await t.sys("socket", 2, 2, 0).get()
            // struct ifreq (40 bytes on x86-64).
            func ifreq(_ name: String, _ request: Int) async throws -> (SysRet, [UInt8]) {
                let r = try t.place(Array(name.utf8) + [UInt8](repeating: 0, count: 40 - name.utf8.count))
                let ret = try await t.sys("ioctl", fd, request, r)
                return (ret, try t.peek(r + 16, 24))
            }
            #expect(try await ifreq("eth0", 0x8921).1.prefix(4) == [0xdc, 0x05, 0, 0])  // SIOCGIFMTU 1500
            #expect(try await ifreq("eth0", 0x8915).1.prefix(8) == [2, 0, 0, 0, 10, 0, 2, 15])  // SIOCGIFADDR
            #expect(try await ifreq("eth0", 0x8927).1.prefix(8) == [1, 0, 0x52, 0x54, 0, 0x12, 0x34, 0x56])  // SIOCGIFHWADDR
            #expect(try await ifreq("lo", 0x8913).1.prefix(2) == [0x49, 0])  // SIOCGIFFLAGS
            #expect(try await ifreq("nope", 0x8913).0 == .err(.ENODEV))
            #expect(try await ifreq("eth0", 0x8916).0 == .err(.EPERM))  // SIOCSIFADDR
            #expect(try await ifreq("eth0", 0x89ff).0 == .err(.ENOTTY))
            // A name without its NUL (16 bytes of 'x') is cut at 15.
            #expect(try await ifreq(String(repeating: "x", count: 16), 0x8913).0 == .err(.ENODEV))
            // An ifreq at a bad address.
            #expect(try await t.sys("ioctl", fd, 0x8913, 8) == .err(.EFAULT))
            // SIOCGIFCONF: a negative length writes nothing; a null buffer asks the size.
            let conf = try t.place(ScriptThread.bytes(UInt64(UInt32(bitPattern: -40)), 4) + [0, 0, 0, 0] + ScriptThread.bytes(try t.alloc(80), 8))
            try await t.sys("ioctl", fd, 0x8912, conf).get()
            #expect(try t.i32(conf) == 0)
            try t.setU64(conf + 8, 0)
            try await t.sys("ioctl", fd, 0x8912, conf).get()
            #expect(try t.i32(conf) == 80)
        }
    }
}
