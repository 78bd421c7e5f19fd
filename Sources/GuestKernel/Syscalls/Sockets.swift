import HostOS
import LinuxABI

// The socket calls: socket, socketpair, bind, listen, accept, connect, shutdown, the names, the
// send and receive families with their ancillary data, options, sendfile, and 32-bit PowerPC's
// socketcall multiplexer. The sockets themselves are in Net/.

extension CoreSyscalls {
    static func socketFile(_ c: SyscallCall, _ i: Int) throws(LinuxErrno) -> SocketFile {
        guard let s = try file(c, i) as? SocketFile else { throw .ENOTSOCK }
        return s
    }

    /// SOCK_NONBLOCK and SOCK_CLOEXEC from a type or flags argument (the ISA's O_NONBLOCK and
    /// O_CLOEXEC bits); any other bit is EINVAL.
    static func socketFlags(_ c: SyscallCall, _ raw: UInt32) throws(LinuxErrno) -> (nonBlocking: Bool, closeOnExec: Bool) {
        let flags = c.abi.openFlagsFromGuest(raw)
        guard flags.subtracting([.nonBlocking, .closeOnExec]).isEmpty, c.abi.openFlagsToGuest(flags) == raw else { throw .EINVAL }
        return (flags.contains(.nonBlocking), flags.contains(.closeOnExec))
    }

    /// The type argument of socket and socketpair: the kind (nil for a type below SOCK_MAX
    /// that no family here provides: SOCK_RDM, SOCK_DCCP, SOCK_PACKET ...) and the flags.
    /// Linux: other flag bits, or a type from SOCK_MAX (11) up, are EINVAL.
    static func socketKind(_ c: SyscallCall, _ raw: Int32) throws(LinuxErrno) -> (SocketKind?, nonBlocking: Bool, closeOnExec: Bool) {
        let (nb, ce) = try socketFlags(c, UInt32(bitPattern: raw) & ~0xf)
        let type = raw & 0xf
        guard type < 11 else { throw .EINVAL }
        return (SocketKind(rawValue: type), nb, ce)
    }

    /// A new socket of `domain`, with the errno Linux's family code gives for a type or
    /// protocol it does not have: ESOCKTNOSUPPORT for a type, EPROTONOSUPPORT for a protocol.
    static func makeSocket(_ c: SyscallCall, domain: Int32, kind: SocketKind?, proto: Int32, nonBlocking: Bool) throws(LinuxErrno) -> SocketFile {
        // AF_PACKET needs CAP_NET_RAW, which no guest has (see the raw sockets below).
        guard let family = AddressFamily(rawValue: domain) else { throw domain == 17 ? .EPERM : .EAFNOSUPPORT }
        let owner = SocketCredentials(c.task)
        switch family {
        case .unix:
            guard proto == 0 || proto == 1 else { throw .EPROTONOSUPPORT }
            guard var kind else { throw .ESOCKTNOSUPPORT }
            if kind == .raw { kind = .datagram }  // unix_create serves SOCK_RAW as SOCK_DGRAM
            return Socket(family: .unix, kind: kind, proto: 0, kernel: c.kernel, nonBlocking: nonBlocking, owner: owner)
        case .inet, .inet6:
            switch (kind, proto) {
            case (.stream?, 0), (.stream?, 6):
                return Socket(family: family, kind: .stream, proto: 6, kernel: c.kernel, nonBlocking: nonBlocking, owner: owner)
            case (.datagram?, 0), (.datagram?, 17):
                return Socket(family: family, kind: .datagram, proto: 17, kernel: c.kernel, nonBlocking: nonBlocking, owner: owner)
            // Raw IP is EPERM for every guest, root too: umlab's guests have no CAP_NET_RAW (as
            // a root in a container that dropped it). There is no packet-level network to give
            // them, and a sequestered machine offers no way to craft packets.
            case (.raw?, _): throw .EPERM
            // ICMP echo ("ping") sockets: Linux's net.ipv4.ping_group_range is "1 0" by
            // default, which admits no group: EACCES.
            case (.datagram?, 1) where family == .inet, (.datagram?, 58) where family == .inet6: throw .EACCES
            case (.stream?, _), (.datagram?, _): throw .EPROTONOSUPPORT
            default: throw .ESOCKTNOSUPPORT
            }
        case .netlink:
            guard let kind else { throw .ESOCKTNOSUPPORT }
            return try c.kernel.network.makeNetlinkSocket(kind: kind, proto: proto, nonBlocking: nonBlocking, task: c.task)
        }
    }

    static func socket(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let (kind, nonBlocking, closeOnExec) = try socketKind(c, c.int(1))
        let file = try makeSocket(c, domain: c.int(0), kind: kind, proto: c.int(2), nonBlocking: nonBlocking)
        return .int(Int(try c.task.files.install(file, closeOnExec: closeOnExec, limit: c.task.process.limits.openFiles)))
    }

    static func socketpair(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let domain = c.int(0), proto = c.int(2)
        let (kind, nonBlocking, closeOnExec) = try socketKind(c, c.int(1))
        // Linux creates the first socket, then asks its family for a pair.
        let first = try makeSocket(c, domain: domain, kind: kind, proto: proto, nonBlocking: nonBlocking)
        first.release()
        guard first.family == .unix else { throw .EOPNOTSUPP }
        let (a, b) = Socket.makePair(family: .unix, kind: first.kind, proto: 0, kernel: c.kernel, nonBlocking: nonBlocking, task: c.task)
        try installPair(c, a, b, closeOnExec: closeOnExec, at: c.word(3))
        return .zero
    }

    /// A sockaddr argument: at most sizeof(struct sockaddr_storage) bytes (EINVAL beyond, or for
    /// a negative length); nil for AF_UNSPEC. `v4OnV6`: see `SockaddrCodec.decode`.
    static func readSockaddr(_ c: SyscallCall, _ s: SocketFile, address: UInt64, length: Int32, v4OnV6: Bool = false) throws(LinuxErrno) -> SocketAddress? {
        let raw = try readSockaddrBytes(c, address: address, length: length)
        if raw.count >= 2 {
            var d = GuestDecoder(raw, c.abi)
            if d.u16() == 0 && s.family != .unix { return nil }  // AF_UNSPEC
        }
        return try SockaddrCodec.decode(raw, family: s.family, abi: c.abi, v4OnV6: v4OnV6 && s.kind == .datagram)
    }

    /// A sockaddr's bytes as Linux's move_addr_to_kernel copies them.
    static func readSockaddrBytes(_ c: SyscallCall, address: UInt64, length: Int32) throws(LinuxErrno) -> [UInt8] {
        guard length >= 0, length <= 128 else { throw .EINVAL }
        return try c.mm.read(address, count: Int(length))
    }

    /// Writes an address for getsockname, accept, recvfrom: as much as the guest's length
    /// allows, and the full length back (Linux's move_addr_to_user).
    static func writeSockaddr(_ c: SyscallCall, _ bytes: [UInt8], address: UInt64, lengthAddress: UInt64) throws(LinuxErrno) {
        guard lengthAddress != 0 else { return }
        var d = GuestDecoder(try c.mm.read(lengthAddress, count: 4), c.abi)
        let room = d.i32()
        guard room >= 0 else { throw .EINVAL }
        let n = min(Int(room), bytes.count)
        if n > 0 { try c.mm.write(address, Array(bytes[0..<n])) }
        var e = GuestEncoder(c.abi)
        e.i32(Int32(bytes.count))
        try c.mm.write(lengthAddress, e.bytes)
    }

    static func bind(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        guard let address = try readSockaddr(c, s, address: c.word(1), length: c.int(2)) else {
            // inet_bind takes AF_UNSPEC as AF_INET for INADDR_ANY only (old programs' habit).
            let raw = try readSockaddrBytes(c, address: c.word(1), length: c.int(2))
            if s.family == .inet, raw.count >= SockaddrCodec.inetSize, case .inet(let ip, let port) = SockaddrCodec.inet4(raw), ip == .anyV4 {
                try s.bind(.inet(ip, port: port), c)
                return .zero
            }
            throw s.family == .inet6 ? .EINVAL : .EAFNOSUPPORT
        }
        try s.bind(address, c)
        return .zero
    }

    static func listen(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try socketFile(c, 0).listen(backlog: c.int(1), c)
        return .zero
    }

    static func accept(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try accept(c, flags: 0) }
    static func accept4(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try accept(c, flags: c.uint(3)) }
    static func accept(_ c: SyscallCall, flags: UInt32) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        let (nonBlocking, closeOnExec) = try socketFlags(c, flags)
        let accepted: SocketFile
        do {
            accepted = try s.accept(c)
        } catch .EAGAIN where !s.isNonBlocking {
            return .block(.on(s.queue, [.input, .hangUp, .error]))
        }
        if nonBlocking { accepted.flags.insert(.nonBlocking) }
        // As Linux's do_accept: the address is written before the descriptor is installed, and
        // a bad length or pointer then loses the connection (it is closed).
        if c.word(1) != 0 || c.word(2) != 0 {
            let peer = (try? accepted.peerAddress()) ?? accepted.localAddress
            do {
                try writeSockaddr(c, SockaddrCodec.encode(peer, family: accepted.family, abi: c.abi), address: c.word(1), lengthAddress: c.word(2))
            } catch {
                accepted.release()
                throw error
            }
        }
        let fd: Int32
        do {
            fd = try c.task.files.install(accepted, closeOnExec: closeOnExec, limit: c.task.process.limits.openFiles)
        } catch {
            accepted.release()
            throw error
        }
        return .int(Int(fd))
    }

    static func connect(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        let address = try readSockaddr(c, s, address: c.word(1), length: c.int(2), v4OnV6: true)
        if let wait = try s.connect(address, c) { return .block(wait) }
        return .zero
    }

    static func shutdown(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try socketFile(c, 0).shutdown(c.int(1))
        return .zero
    }

    static func getsockname(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        try writeSockaddr(c, SockaddrCodec.encode(s.localAddress, family: s.family, abi: c.abi), address: c.word(1), lengthAddress: c.word(2))
        return .zero
    }

    static func getpeername(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        try writeSockaddr(c, SockaddrCodec.encode(try s.peerAddress(), family: s.family, abi: c.abi), address: c.word(1), lengthAddress: c.word(2))
        return .zero
    }

    // MARK: options

    static func getsockopt(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        var d = GuestDecoder(try c.mm.read(c.word(4), count: 4), c.abi)
        let room = d.i32()
        guard room >= 0 else { throw .EINVAL }
        let name = c.int(1) == OptionLevel.socket ? c.abi.socketOptionFromGuest(c.int(2)) : c.int(2)
        let value = try s.getOption(level: c.int(1), name: name, c)
        let n = min(Int(room), value.count)
        if n > 0 { try c.mm.write(c.word(3), Array(value[0..<n])) }
        var e = GuestEncoder(c.abi)
        e.i32(Int32(n))
        try c.mm.write(c.word(4), e.bytes)
        return .zero
    }

    static func setsockopt(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        let length = c.int(4)
        guard length >= 0 else { throw .EINVAL }
        // No option umlab reads is longer than this; the rest of a longer value is not needed.
        let value = length == 0 ? [] : try c.mm.read(c.word(3), count: min(Int(length), 256))
        let name = c.int(1) == OptionLevel.socket ? c.abi.socketOptionFromGuest(c.int(2)) : c.int(2)
        try s.setOption(level: c.int(1), name: name, value: value, c)
        return .zero
    }

    // MARK: sending

    static func send(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        let count = try c.size(2)
        return try socketSend(c, s, GuestBuffers([(c.word(1), count)]), flags: MessageFlags(rawValue: c.int(3)), to: nil, control: nil)
    }

    static func sendto(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        let count = try c.size(2)
        let to = try destination(c, s, address: c.word(4), length: c.int(5))
        return try socketSend(c, s, GuestBuffers([(c.word(1), count)]), flags: MessageFlags(rawValue: c.int(3)), to: to, control: nil)
    }

    /// A send's destination address, if it gives one. TCP ignores it once copied in (Linux's
    /// tcp_sendmsg never looks at msg_name); an AF_INET6 datagram socket takes a sockaddr_in.
    static func destination(_ c: SyscallCall, _ s: SocketFile, address: UInt64, length: Int32) throws(LinuxErrno) -> SocketAddress? {
        guard address != 0, length != 0 else { return nil }
        if s.isStream && s.family != .unix {
            _ = try readSockaddrBytes(c, address: address, length: length)
            return nil
        }
        return try readSockaddr(c, s, address: address, length: length, v4OnV6: true)
    }

    /// `struct msghdr` in the guest's layout.
    struct MessageHeader {
        var name: UInt64, nameLength: Int32, iov: UInt64, iovCount: UInt64, control: UInt64, controlLength: UInt64, flags: Int32
        static func size(_ abi: GuestABI) -> Int { abi.wordSize == 8 ? 56 : 28 }
        init(_ c: SyscallCall, at address: UInt64) throws(LinuxErrno) {
            var d = GuestDecoder(try c.mm.read(address, count: MessageHeader.size(c.abi)), c.abi)
            name = d.word()
            nameLength = d.i32()
            if c.abi.wordSize == 8 { d.skip(4) }
            iov = d.word(); iovCount = d.word(); control = d.word(); controlLength = d.word(); flags = d.i32()
        }
        /// Offsets of the fields recvmsg writes back.
        static func nameLengthOffset(_ abi: GuestABI) -> UInt64 { UInt64(abi.wordSize) }
        static func controlLengthOffset(_ abi: GuestABI) -> UInt64 { UInt64(5 * abi.wordSize) }
        static func flagsOffset(_ abi: GuestABI) -> UInt64 { UInt64(6 * abi.wordSize) }
    }

    static func sendmsg(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        return try sendMessage(c, s, header: c.word(1), flags: MessageFlags(rawValue: c.int(2)))
    }

    static func sendMessage(_ c: SyscallCall, _ s: SocketFile, header address: UInt64, flags: MessageFlags) throws(LinuxErrno) -> SyscallOutcome {
        let h = try MessageHeader(c, at: address)
        guard h.iovCount <= 1024 else { throw .EMSGSIZE }
        let vecs = try iovecs(c, h.iov, Int32(h.iovCount))
        let to = try destination(c, s, address: h.name, length: h.nameLength)
        let control = try readControl(c, s, address: h.control, length: h.controlLength)
        return try socketSend(c, s, GuestBuffers(vecs), flags: flags, to: to, control: control)
    }

    static func sendmmsg(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        let vector = c.word(1), count = min(c.uint(2), 1024), flags = MessageFlags(rawValue: c.int(3))
        let stride = UInt64(MessageHeader.size(c.abi) + (c.abi.wordSize == 8 ? 8 : 4))
        // Messages already sent before a wait are kept in the task (the call runs again).
        var done = c.task.ioProgress
        while done < Int(count) {
            // Entries are read where the guest's vector lies; one past the address space faults.
            guard let entry = GuestMath.end(vector, UInt64(done) * stride) else { throw .EFAULT }
            let outcome: SyscallOutcome
            do {
                outcome = try sendMessage(c, s, header: entry, flags: flags)
            } catch {
                c.task.ioProgress = 0
                if done > 0 { return .int(done) }
                throw error
            }
            guard case .value(let sent) = outcome else {
                c.task.ioProgress = done
                return outcome
            }
            var e = GuestEncoder(c.abi)
            e.u32(UInt32(truncatingIfNeeded: sent))
            try c.mm.write(entry + UInt64(MessageHeader.size(c.abi)), e.bytes)
            done += 1
            c.task.ioProgress = done
        }
        c.task.ioProgress = 0
        return .int(done)
    }

    /// Sends `buffers` on `s`: a stream in steps (a blocking send completes in full), a message
    /// whole. EPIPE raises SIGPIPE unless MSG_NOSIGNAL; SO_SNDTIMEO bounds a wait.
    static func socketSend(_ c: SyscallCall, _ s: SocketFile, _ buffers: GuestBuffers, flags: MessageFlags, to: SocketAddress?, control: SocketMessage?) throws(LinuxErrno) -> SyscallOutcome {
        let nonBlocking = s.isNonBlocking || flags.contains(.dontWait)
        let timeout = (s as? Socket)?.options.sendTimeout
        func failed(_ error: LinuxErrno) -> LinuxErrno {
            error == .EPIPE && !flags.contains(.noSignal) ? brokenPipe(c) : error
        }
        // Unix datagrams (a message in the peer's stream would be the same) arrive with the
        // sender's credentials, whether or not it sent SCM_CREDENTIALS.
        let control = control ?? (s.family == .unix ? SocketMessage(data: [], credentials: SocketCredentials(c.task)) : nil)
        if !s.isStream {
            // Too large is EMSGSIZE before a byte is read (Linux checks the length first).
            guard buffers.total <= s.messageSizeLimit else { throw .EMSGSIZE }
            var data = [UInt8](repeating: 0, count: buffers.total)
            try typedErrno { try data.withUnsafeMutableBytes { p in try buffers.load(into: p, from: 0, c.mm) } }
            var message = control ?? SocketMessage(data: [])
            message.data = data
            do {
                try s.sendMessage(message, to: to, flags: flags, c)
                return .int(buffers.total)
            } catch .EAGAIN where !nonBlocking && timeout != 0 {
                return try waitOrTimeOut(c, s.sendWaitsOn, [.output, .error, .hangUp], timeout: timeout, progress: 0)
            } catch {
                throw failed(error)
            }
        }
        // Linux: an address on a unix stream send is EISCONN when connected, else EOPNOTSUPP.
        if to != nil && s.family == .unix { throw (try? s.peerAddress()) != nil ? .EISCONN : .EOPNOTSUPP }
        var done = min(c.task.ioProgress, buffers.total)
        repeat {
            let want = min(buffers.total - done, Kernel.ioChunk)
            do {
                let n = try c.kernel.withScratch(want) { (p) throws(LinuxErrno) -> Int in
                    try buffers.load(into: p, from: done, c.mm)
                    return try s.sendBytes(UnsafeRawBufferPointer(p), attached: done == 0 ? control : nil, flags: flags)
                }
                done += n
            } catch .EAGAIN where !nonBlocking && timeout != 0 {
                return try waitOrTimeOut(c, s.sendWaitsOn, [.output, .error, .hangUp], timeout: timeout, progress: done)
            } catch {
                c.task.ioProgress = 0
                if done > 0 { return .int(done) }
                throw failed(error)
            }
        } while done < buffers.total
        c.task.ioProgress = 0
        return .int(done)
    }

    /// Blocks on `queue` for `events`, keeping `progress` across the wait; once SO_RCVTIMEO /
    /// SO_SNDTIMEO has passed, returns the progress, or EAGAIN when there is none.
    static func waitOrTimeOut(_ c: SyscallCall, _ queue: WaitQueue, _ events: PollEvents, timeout: UInt64?, progress: Int) throws(LinuxErrno) -> SyscallOutcome {
        var wait = Wait.on(queue, events)
        if let timeout {
            let deadline = deadline(c, after: timeout)
            if Host.monotonicNanoseconds() >= deadline {
                c.task.ioProgress = 0
                if progress > 0 { return .int(progress) }
                throw .EAGAIN
            }
            wait.deadline = deadline
        }
        c.task.ioProgress = progress
        return .block(wait)
    }

    /// Reads a sendmsg's control messages: SCM_RIGHTS (descriptors to pass) and
    /// SCM_CREDENTIALS on AF_UNIX sockets; IP-level ones are accepted and have no effect.
    static func readControl(_ c: SyscallCall, _ s: SocketFile, address: UInt64, length: UInt64) throws(LinuxErrno) -> SocketMessage? {
        let w = c.abi.wordSize
        let header = w == 8 ? 16 : 12
        var message = SocketMessage(data: [])
        if s.family == .unix { message.credentials = SocketCredentials(c.task) }
        guard address != 0, length >= UInt64(header) else { return s.family == .unix ? message : nil }
        // Linux: control data beyond optmem_max (20 KiB) is ENOBUFS.
        guard length <= 20_480 else { throw .ENOBUFS }
        let raw = try c.mm.read(address, count: Int(length))
        var offset = 0
        var files: [OpenFile] = []
        while offset + header <= raw.count {
            var d = GuestDecoder(Array(raw[offset..<(offset + header)]), c.abi)
            let len = d.word(), level = d.i32(), type = d.i32()
            guard len >= UInt64(header), len <= UInt64(raw.count - offset) else { throw .EINVAL }
            let body = Array(raw[(offset + header)..<(offset + Int(len))])
            if level == OptionLevel.socket {
                guard s.family == .unix else { throw .EINVAL }
                switch type {
                case 1:  // SCM_RIGHTS
                    let count = body.count / 4
                    guard files.count + count <= 253 else { throw .EINVAL }  // SCM_MAX_FD
                    var b = GuestDecoder(body, c.abi)
                    for _ in 0..<count { files.append(try c.task.files.get(b.i32())) }
                case 2:  // SCM_CREDENTIALS
                    guard body.count >= 12 else { throw .EINVAL }
                    var b = GuestDecoder(body, c.abi)
                    let given = SocketCredentials(pid: b.i32(), uid: b.u32(), gid: b.u32())
                    try checkCredentials(c, given)
                    message.credentials = given
                default: throw .EINVAL
                }
            }
            // The next header starts at the aligned end of this one.
            let (next, overflow) = (offset + Int(len)).addingReportingOverflow(w - 1)
            if overflow { break }
            offset = next / w * w
        }
        if !files.isEmpty { message.rights = PassedFiles(files) }
        return message
    }

    /// Linux's scm_check_creds: a sender may claim its own pid and any of its own user and
    /// group ids (root any); then the pid must name a live process (ESRCH).
    static func checkCredentials(_ c: SyscallCall, _ given: SocketCredentials) throws(LinuxErrno) {
        let own = c.task.process.credentials
        let root = own.isRoot
        guard given.pid == c.task.process.pid || root,
              [own.uid, own.euid, own.suid].contains(given.uid) || root,
              [own.gid, own.egid, own.sgid].contains(given.gid) || root else { throw .EPERM }
        guard let p = c.kernel.processes[given.pid], !p.reaped else { throw .ESRCH }
    }

    // MARK: receiving

    static func recv(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        let count = try c.size(2)
        try c.mm.checkAccess(c.word(1), count, .write)
        let r = try socketReceive(c, s, GuestBuffers([(c.word(1), count)]), flags: MessageFlags(rawValue: c.int(3)))
        guard case .done(let n, let message, _) = r else { return r.outcome }
        discardRights(message, flags: MessageFlags(rawValue: c.int(3)))
        return .int(n)
    }

    static func recvfrom(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        let count = try c.size(2)
        try c.mm.checkAccess(c.word(1), count, .write)
        if c.word(5) != 0 {
            var d = GuestDecoder(try c.mm.read(c.word(5), count: 4), c.abi)
            guard d.i32() >= 0 else { throw .EINVAL }
        }
        let r = try socketReceive(c, s, GuestBuffers([(c.word(1), count)]), flags: MessageFlags(rawValue: c.int(3)))
        guard case .done(let n, let message, _) = r else { return r.outcome }
        discardRights(message, flags: MessageFlags(rawValue: c.int(3)))
        if c.word(4) != 0, let from = sender(s, message) {
            try writeSockaddr(c, SockaddrCodec.encode(from, family: s.family, abi: c.abi), address: c.word(4), lengthAddress: c.word(5))
        } else if c.word(5) != 0 {
            var e = GuestEncoder(c.abi)
            e.i32(0)
            try c.mm.write(c.word(5), e.bytes)
        }
        return .int(n)
    }

    /// The sender's address a receive reports: the message's, or a unix stream's peer. An
    /// unnamed unix sender has none (the length is 0, as Linux's unix_copy_addr leaves it).
    static func sender(_ s: SocketFile, _ message: SocketMessage?) -> SocketAddress? {
        let from = message?.from ?? (s.family == .unix ? (try? s.peerAddress()) : nil)
        if case .unix(.unnamed)? = from { return nil }
        return from
    }

    static func recvmsg(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        return try receiveMessage(c, s, header: c.word(1), flags: MessageFlags(rawValue: c.int(2)))
    }

    static func receiveMessage(_ c: SyscallCall, _ s: SocketFile, header address: UInt64, flags: MessageFlags) throws(LinuxErrno) -> SyscallOutcome {
        let h = try MessageHeader(c, at: address)
        guard h.iovCount <= 1024 else { throw .EMSGSIZE }
        let vecs = try iovecs(c, h.iov, Int32(h.iovCount))
        for (base, len) in vecs { try c.mm.checkAccess(base, len, .write) }
        guard h.nameLength >= 0 else { throw .EINVAL }
        let r = try socketReceive(c, s, GuestBuffers(vecs), flags: flags)
        guard case .done(let n, let message, var outFlags) = r else { return r.outcome }
        // Linux hands MSG_CMSG_CLOEXEC back in msg_flags.
        outFlags.formUnion(flags.intersection(.closeOnExec))
        // The sender's address.
        var nameLength: Int32 = 0
        if h.name != 0, let from = sender(s, message) {
            let bytes = SockaddrCodec.encode(from, family: s.family, abi: c.abi)
            let k = min(Int(h.nameLength), bytes.count)
            if k > 0 { try c.mm.write(h.name, Array(bytes[0..<k])) }
            nameLength = Int32(bytes.count)
        }
        // Ancillary data: credentials when SO_PASSCRED is on, then passed descriptors.
        let w = c.abi.wordSize, header = w == 8 ? 16 : 12
        var control: [UInt8] = []
        let room = Int(min(h.controlLength, 1 << 20))
        /// Appends one control message; as Linux's put_cmsg, each takes CMSG_SPACE bytes, cut to
        /// what is left of the guest's buffer.
        func put(type: Int32, _ body: [UInt8]) -> Bool {
            let start = control.count
            guard start + header + body.count <= room else { return false }
            var e = GuestEncoder(c.abi)
            e.word(UInt64(header + body.count)); e.i32(OptionLevel.socket); e.i32(type)
            control += e.bytes + body
            let space = header + (body.count + w - 1) / w * w
            control += [UInt8](repeating: 0, count: min(space, room - start) - header - body.count)
            return true
        }
        if h.control == 0 { if message?.rights != nil { outFlags.insert(.controlTruncated) } }
        if let socket = s as? Socket, socket.options.passCredentials, s.family == .unix {
            let cred = message?.credentials ?? SocketCredentials(pid: 0, uid: 65534, gid: 65534)
            var e = GuestEncoder(c.abi)
            e.i32(cred.pid); e.u32(cred.uid); e.u32(cred.gid)
            if !put(type: 2, e.bytes) { outFlags.insert(.controlTruncated) }
        }
        if let rights = message?.rights {
            // MSG_PEEK installs copies and leaves the message's own references in place.
            let files = flags.contains(.peek) ? rights.files : rights.take()
            let fit = h.control == 0 ? 0 : max(0, (room - control.count - header) / 4)
            var fds: [Int32] = []
            for (i, f) in files.enumerated() {
                if i < fit, let fd = try? c.task.files.install(f, closeOnExec: flags.contains(.closeOnExec), limit: c.task.process.limits.openFiles) {
                    fds.append(fd)
                } else {
                    outFlags.insert(.controlTruncated)
                }
                if !flags.contains(.peek) { FileTable.drop(f) }
            }
            if !fds.isEmpty {
                var e = GuestEncoder(c.abi)
                for fd in fds { e.i32(fd) }
                _ = put(type: 1, e.bytes)
            }
        }
        if !control.isEmpty { try c.mm.write(h.control, control) }
        var e = GuestEncoder(c.abi)
        e.i32(nameLength)
        try c.mm.write(address + MessageHeader.nameLengthOffset(c.abi), e.bytes)
        e = GuestEncoder(c.abi)
        e.word(UInt64(control.count))
        try c.mm.write(address + MessageHeader.controlLengthOffset(c.abi), e.bytes)
        e = GuestEncoder(c.abi)
        e.i32(outFlags.rawValue)
        try c.mm.write(address + MessageHeader.flagsOffset(c.abi), e.bytes)
        return .int(n)
    }

    static func recvmmsg(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let s = try socketFile(c, 0)
        let vector = c.word(1), count = min(c.uint(2), 1024)
        var flags = MessageFlags(rawValue: c.int(3))
        let stride = UInt64(MessageHeader.size(c.abi) + (c.abi.wordSize == 8 ? 8 : 4))
        if c.word(4) != 0 {
            let (sec, ns) = try readTimespec(c, c.word(4))
            _ = deadline(c, after: try GuestMath.nanoseconds(seconds: sec, nanoseconds: ns))
        }
        var done = c.task.ioProgress
        while done < Int(count) {
            if done > 0 && flags.contains(.waitForOne) { flags.insert(.dontWait) }
            if let d = c.task.callDeadline, Host.monotonicNanoseconds() >= d, done > 0 { break }
            // Entries are read where the guest's vector lies; one past the address space faults.
            guard let entry = GuestMath.end(vector, UInt64(done) * stride) else { throw .EFAULT }
            let outcome: SyscallOutcome
            do {
                outcome = try receiveMessage(c, s, header: entry, flags: flags)
            } catch {
                c.task.ioProgress = 0
                if done > 0 { return .int(done) }
                throw error
            }
            guard case .value(let got) = outcome else {
                guard case .block(var wait) = outcome else { return outcome }
                if let d = c.task.callDeadline {
                    if Host.monotonicNanoseconds() >= d { break }
                    wait.deadline = d
                }
                c.task.ioProgress = done
                return .block(wait)
            }
            var e = GuestEncoder(c.abi)
            e.u32(UInt32(truncatingIfNeeded: got))
            try c.mm.write(entry + UInt64(MessageHeader.size(c.abi)), e.bytes)
            done += 1
            c.task.ioProgress = done
        }
        c.task.ioProgress = 0
        if done == 0 { throw .EAGAIN }
        return .int(done)
    }

    /// What a receive produced: the byte count, the message (sender, ancillary data) and the
    /// msg_flags, or an outcome to return (a wait).
    enum Received {
        case done(Int, SocketMessage?, MessageFlags)
        case outcome(SyscallOutcome)
        var outcome: SyscallOutcome {
            if case .outcome(let o) = self { return o }
            return .zero
        }
    }

    /// Receives into `buffers`: a stream in steps (MSG_WAITALL waits for all of it), a message
    /// whole (MSG_TRUNC reports its full length). SO_RCVTIMEO bounds a wait.
    static func socketReceive(_ c: SyscallCall, _ s: SocketFile, _ buffers: GuestBuffers, flags: MessageFlags) throws(LinuxErrno) -> Received {
        let nonBlocking = s.isNonBlocking || flags.contains(.dontWait)
        let timeout = (s as? Socket)?.options.receiveTimeout
        let wanted: PollEvents = [.input, .readHangUp, .hangUp, .error]
        if flags.contains(.outOfBand) { throw .EINVAL }  // no urgent data in an emulated stream
        if flags.contains(.errorQueue) { throw .EAGAIN }  // IP_RECVERR: nothing is ever queued
        if !s.isStream {
            let m: SocketMessage
            do {
                m = try s.receiveMessage(flags: nonBlocking ? flags.union(.dontWait) : flags)
            } catch .EAGAIN where !nonBlocking && timeout != 0 {
                return .outcome(try waitOrTimeOut(c, s.queue, wanted, timeout: timeout, progress: 0))
            }
            let n = min(buffers.total, m.data.count)
            try typedErrno { try m.data.withUnsafeBytes { p in
                try buffers.store(UnsafeRawBufferPointer(rebasing: p[0..<n]), from: 0, c.mm)
            } }
            var out: MessageFlags = []
            if m.data.count > buffers.total { out.insert(.truncated) }
            return .done(flags.contains(.truncated) ? m.data.count : n, m, out)
        }
        let waitAll = flags.contains(.waitAll) && !flags.contains(.peek)
        var done = waitAll ? min(c.task.ioProgress, buffers.total) : 0
        var ancillary: SocketMessage?
        while done < buffers.total || buffers.total == 0 {
            let want = min(buffers.total - done, Kernel.ioChunk)
            do {
                let (n, m) = try c.kernel.withScratch(want) { (p) throws(LinuxErrno) -> (Int, SocketMessage?) in
                    let r = try s.receiveBytes(into: p, skip: flags.contains(.peek) ? done : 0, flags: flags)
                    if !(flags.contains(.truncated) && s.truncateDiscards) {
                        try buffers.store(UnsafeRawBufferPointer(rebasing: p[0..<r.0]), from: done, c.mm)
                    }
                    return r
                }
                done += n
                if let m {
                    // The first span's credentials; descriptors end the read.
                    if ancillary == nil { ancillary = m } else if m.rights != nil { ancillary?.rights = m.rights }
                    if m.rights != nil { break }
                }
                if n == 0 || buffers.total == 0 { break }  // end of stream
                if n < want && !waitAll {
                    // Only what was there: more may be queued past a ring's wrap.
                    if s.bytesReadable == 0 || flags.contains(.peek) { break }
                }
            } catch .EAGAIN {
                if done > 0 && !waitAll { break }
                if nonBlocking || timeout == 0 {
                    c.task.ioProgress = 0
                    if done > 0 { break }
                    throw .EAGAIN
                }
                return .outcome(try waitOrTimeOut(c, s.queue, wanted, timeout: timeout, progress: done))
            } catch {
                c.task.ioProgress = 0
                if done > 0 { break }
                throw error
            }
        }
        c.task.ioProgress = 0
        return .done(done, ancillary, [])
    }

    /// Descriptors passed to a receive that takes no control data are closed (not on MSG_PEEK).
    static func discardRights(_ message: SocketMessage?, flags: MessageFlags) {
        guard !flags.contains(.peek), let rights = message?.rights else { return }
        for f in rights.take() { FileTable.drop(f) }
    }

    /// read/readv on a socket: a receive without flags.
    static func socketRead(_ c: SyscallCall, _ s: SocketFile, _ buffers: GuestBuffers) throws(LinuxErrno) -> SyscallOutcome {
        let r = try socketReceive(c, s, buffers, flags: [])
        guard case .done(let n, let message, _) = r else { return r.outcome }
        discardRights(message, flags: [])
        return .int(n)
    }

    // MARK: sendfile

    /// sendfile(out, in, offset*, count): copies from a file that can be read at a position to
    /// any writable descriptor, in steps; a blocking destination waits (progress is kept).
    static func sendfile(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let out = try file(c, 0), input = try file(c, 1)
        guard out.flags.canWrite, input.flags.canRead else { throw .EBADF }
        if out.flags.contains(.append) { throw .EINVAL }
        guard input is RegularFile else { throw .EINVAL }
        let count = try c.size(3)
        var position: Int64
        if c.word(2) != 0 {
            var d = GuestDecoder(try c.mm.read(c.word(2), count: 8), c.abi)
            position = d.i64()
            guard position >= 0 else { throw .EINVAL }
        } else {
            position = input.offset
        }
        _ = try GuestMath.fileRange(offset: position, length: count)
        // After a wait the position (the guest's *offset, or the file's) already includes
        // what was sent before it.
        var done = min(c.task.ioProgress, count)
        func advance(_ n: Int) throws(LinuxErrno) {
            position += Int64(n)
            if c.word(2) != 0 {
                var e = GuestEncoder(c.abi)
                e.i64(position)
                try c.mm.write(c.word(2), e.bytes)
            } else {
                input.offset = position
            }
        }
        while done < count {
            let want = min(count - done, Kernel.ioChunk)
            do {
                let n = try c.kernel.withScratch(want) { (p) throws(LinuxErrno) -> Int in
                    let got = try input.read(into: p, at: position)
                    if got == 0 { return 0 }
                    return try out.write(UnsafeRawBufferPointer(rebasing: p[0..<got]))
                }
                if n == 0 { break }
                try advance(n)
                done += n
            } catch .EAGAIN where !out.isNonBlocking && out.waitQueue != nil && done < count {
                c.task.ioProgress = done
                return .block(.on(out.waitQueue!, [.output, .error, .hangUp]))
            } catch {
                c.task.ioProgress = 0
                if done > 0 { return .int(done) }
                if error == .EPIPE { throw brokenPipe(c) }
                throw error
            }
        }
        c.task.ioProgress = 0
        return .int(done)
    }

    // MARK: socketcall

    /// 32-bit PowerPC's (and i386's) multiplexer: socketcall(call, args*) with the arguments
    /// in guest memory, as many as the call takes.
    static func socketcall(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let call = c.int(0)
        let counts: [Int] = [0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4]
        guard call >= 1, Int(call) < counts.count else { throw .EINVAL }
        let n = counts[Int(call)]
        var d = GuestDecoder(try c.mm.read(c.word(1), count: n * c.abi.wordSize), c.abi)
        var a = [UInt64](repeating: 0, count: 6)
        for i in 0..<n { a[i] = d.word() }
        var inner = SyscallCall(kernel: c.kernel, task: c.task, number: c.number, args: SyscallArguments(a[0], a[1], a[2], a[3], a[4], a[5]))
        inner.time64 = c.time64
        switch call {
        case 1: return try socket(&inner)
        case 2: return try bind(&inner)
        case 3: return try connect(&inner)
        case 4: return try listen(&inner)
        case 5: return try accept(&inner)
        case 6: return try getsockname(&inner)
        case 7: return try getpeername(&inner)
        case 8: return try socketpair(&inner)
        case 9: return try send(&inner)
        case 10: return try recv(&inner)
        case 11: return try sendto(&inner)
        case 12: return try recvfrom(&inner)
        case 13: return try shutdown(&inner)
        case 14: return try setsockopt(&inner)
        case 15: return try getsockopt(&inner)
        case 16: return try sendmsg(&inner)
        case 17: return try recvmsg(&inner)
        case 18: return try accept4(&inner)
        case 19: return try recvmmsg(&inner)
        default: return try sendmmsg(&inner)
        }
    }
}
