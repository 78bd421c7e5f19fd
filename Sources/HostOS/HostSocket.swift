import CHost
import Glibc
import LinuxABI

/// The host sockets umlab itself opens: listeners for `--publish`, outbound connections an
/// `--allow` rule lets through, and their data. Guests never hold these descriptors; every one
/// is non-blocking and close-on-exec, and is watched through the machine's `EventLoop`.
public enum HostSocket {
    /// A host socket address.
    public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
        public var address: IPAddress
        public var port: UInt16
        public init(_ address: IPAddress, _ port: UInt16) { self.address = address; self.port = port }
        public var description: String { address.isV4 ? "\(address):\(port)" : "[\(address)]:\(port)" }
    }

    /// Calls `body` with the C sockaddr for `e` (sockaddr_in for IPv4, sockaddr_in6 otherwise).
    static func withSockaddr<R>(_ e: Endpoint, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        if e.address.isV4 {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = e.port.bigEndian
            sa.sin_addr.s_addr = e.address.v4.bigEndian
            return withUnsafePointer(to: &sa) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        var sa = sockaddr_in6()
        sa.sin6_family = sa_family_t(AF_INET6)
        sa.sin6_port = e.port.bigEndian
        let bytes = e.address.bytes
        withUnsafeMutableBytes(of: &sa.sin6_addr) { for i in 0..<16 { $0[i] = bytes[i] } }
        return withUnsafePointer(to: &sa) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
    }

    /// Reads a C sockaddr_storage the host filled in.
    static func endpoint(_ storage: sockaddr_storage) -> Endpoint {
        var s = storage
        return withUnsafeBytes(of: &s) { raw in
            let family = raw.load(fromByteOffset: 0, as: sa_family_t.self)
            let port = UInt16(raw[2]) << 8 | UInt16(raw[3])
            if Int32(family) == AF_INET {
                let v = UInt32(raw[4]) << 24 | UInt32(raw[5]) << 16 | UInt32(raw[6]) << 8 | UInt32(raw[7])
                return Endpoint(IPAddress(v4: v), port)
            }
            return Endpoint(IPAddress(bytes: Array(raw[8..<24])[...]), port)
        }
    }

    private static func open(_ e: Endpoint, stream: Bool) throws(LinuxErrno) -> HostFD {
        let type = (stream ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        return HostFD(try Host.check { Glibc.socket(e.address.isV4 ? AF_INET : AF_INET6, type, 0) })
    }

    private static func setInt(_ fd: HostFD, _ level: Int32, _ name: Int32, _ value: Int32) {
        var v = value
        _ = Glibc.setsockopt(fd.raw, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
    }

    /// A listening (stream) or bound (datagram) socket at `e`, with SO_REUSEADDR so a restarted
    /// umlab can publish the same port at once. An IPv6 address listens for IPv6 only.
    public static func listen(_ e: Endpoint, stream: Bool, backlog: Int32 = 1024) throws(LinuxErrno) -> HostFD {
        let fd = try open(e, stream: stream)
        do {
            setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if !e.address.isV4 { setInt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            _ = try Host.check { withSockaddr(e) { Glibc.bind(fd.raw, $0, $1) } }
            if stream { _ = try Host.check { Glibc.listen(fd.raw, backlog) } }
            return fd
        } catch {
            fd.close()
            throw error
        }
    }

    /// Accepts one connection (non-blocking; EAGAIN when none is pending).
    public static func accept(_ listener: HostFD) throws(LinuxErrno) -> (HostFD, Endpoint) {
        var storage = sockaddr_storage()
        var length = UInt32(MemoryLayout<sockaddr_storage>.size)
        let fd = try Host.check { withUnsafeMutableBytes(of: &storage) { ch_accept_nonblocking(listener.raw, $0.baseAddress, &length) } }
        setInt(HostFD(fd), Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        return (HostFD(fd), endpoint(storage))
    }

    /// Starts a non-blocking connect to `e`; `inProgress` when it completes later (the socket
    /// becomes writable, and `takeError` says how it went).
    public static func connect(to e: Endpoint, stream: Bool) throws(LinuxErrno) -> (fd: HostFD, inProgress: Bool) {
        let fd = try open(e, stream: stream)
        if stream { setInt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
        do {
            _ = try Host.check { withSockaddr(e) { Glibc.connect(fd.raw, $0, $1) } }
            return (fd, false)
        } catch .EINPROGRESS {
            return (fd, true)
        } catch {
            fd.close()
            throw error
        }
    }

    /// SO_ERROR: how a non-blocking connect ended (0: connected).
    public static func takeError(_ fd: HostFD) -> Int32 {
        var v: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = Glibc.getsockopt(fd.raw, SOL_SOCKET, SO_ERROR, &v, &length)
        return v
    }

    /// The socket's own address (getsockname).
    public static func localEndpoint(_ fd: HostFD) -> Endpoint? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.getsockname(fd.raw, $0, &length) }
        }
        return r == 0 ? endpoint(storage) : nil
    }

    /// Makes a socket blocking (a debugger connection: its replies are written whole, and it is
    /// read only when the event loop says it is readable).
    public static func setBlocking(_ fd: HostFD) {
        let flags = Glibc.fcntl(fd.raw, F_GETFL)
        if flags >= 0 { _ = Glibc.fcntl(fd.raw, F_SETFL, flags & ~O_NONBLOCK) }
    }

    /// No more data from this side (the peer reads EOF).
    public static func shutdownWrite(_ fd: HostFD) { _ = Glibc.shutdown(fd.raw, Int32(SHUT_WR)) }

    /// Closes with a reset instead of an orderly end (SO_LINGER 0), as a refused connection.
    public static func reset(_ fd: HostFD) {
        var l = linger(l_onoff: 1, l_linger: 0)
        _ = Glibc.setsockopt(fd.raw, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        fd.close()
    }

    /// Sends one datagram to `e`.
    public static func send(_ fd: HostFD, _ bytes: UnsafeRawBufferPointer, to e: Endpoint) throws(LinuxErrno) -> Int {
        try Host.check { withSockaddr(e) { Glibc.sendto(fd.raw, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, $1) } }
    }

    /// Receives one datagram and its sender.
    public static func receive(_ fd: HostFD, into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> (Int, Endpoint) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let n = try Host.check {
            withUnsafeMutablePointer(to: &storage) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.recvfrom(fd.raw, buffer.baseAddress, buffer.count, 0, $0, &length) }
            }
        }
        return (n, endpoint(storage))
    }

    /// Stream data out: send(2) with MSG_NOSIGNAL (a peer that went away is EPIPE, not a signal
    /// to umlab).
    public static func write(_ fd: HostFD, _ bytes: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        try Host.check { Glibc.send(fd.raw, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The host's own interface addresses other than loopback (getifaddrs).
    public static func localAddresses() -> [IPAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var out: [IPAddress] = []
        var p = list
        while let a = p {
            if let sa = a.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET) || sa.pointee.sa_family == sa_family_t(AF_INET6) {
                var storage = sockaddr_storage()
                let size = sa.pointee.sa_family == sa_family_t(AF_INET) ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: size)) }
                let ip = endpoint(storage).address
                // Link-local IPv6 addresses need a scope to be used; they are left out.
                if !ip.isLoopback && !(ip.high >> 54 == 0x3fa) && !out.contains(ip) { out.append(ip) }
            }
            p = a.pointee.ifa_next
        }
        return out
    }

    /// The host's addresses for `name` (the host's resolver: umlab resolves what `--allow` names).
    public static func resolve(_ name: String) -> [IPAddress] {
        if let literal = IPAddress(name) { return [literal] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0 else { return [] }
        defer { freeaddrinfo(list) }
        var out: [IPAddress] = []
        var p = list
        while let a = p {
            if let sa = a.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { dst in
                    dst.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(a.pointee.ai_addrlen)))
                }
                let ip = endpoint(storage).address
                if !out.contains(ip) { out.append(ip) }
            }
            p = a.pointee.ai_next
        }
        return out
    }
}

/// Unix sockets between umlab processes: the virtual switch's control connections (records,
/// SOCK_SEQPACKET), which carry descriptors (SCM_RIGHTS) along with the records.
public enum HostUnixSocket {
    public static func listen(path: String) throws(LinuxErrno) -> HostFD {
        HostFD(try Host.check { ch_unix_listen(path) })
    }
    public static func connect(path: String) throws(LinuxErrno) -> HostFD {
        HostFD(try Host.check { ch_unix_connect(path) })
    }
    /// A connected pair of non-blocking stream sockets, one end for each of two machines.
    public static func streamPair() throws(LinuxErrno) -> (HostFD, HostFD) {
        var fds: [Int32] = [0, 0]
        _ = try Host.check { ch_stream_pair(&fds) }
        return (HostFD(fds[0]), HostFD(fds[1]))
    }
    /// A connected pair of non-blocking record sockets: a datagram channel between two
    /// machines on the switch (records keep their boundaries, and the end of either is seen).
    public static func recordPair() throws(LinuxErrno) -> (HostFD, HostFD) {
        var fds: [Int32] = [0, 0]
        _ = try Host.check { ch_seqpacket_pair(&fds) }
        return (HostFD(fds[0]), HostFD(fds[1]))
    }
    /// Sends one record, passing `descriptors` with it.
    public static func send(_ fd: HostFD, _ record: [UInt8], passing descriptors: [HostFD] = []) throws(LinuxErrno) {
        let raw = descriptors.map(\.raw)
        _ = try Host.check { record.withUnsafeBytes { b in raw.withUnsafeBufferPointer { ch_send_record(fd.raw, b.baseAddress, UInt(b.count), $0.baseAddress, Int32($0.count)) } } }
    }
    /// Receives one record (without waiting: EAGAIN when none is queued) and the descriptors
    /// passed with it. An empty record with no descriptors is the end of the connection.
    public static func receive(_ fd: HostFD, maximum: Int = 4096) throws(LinuxErrno) -> ([UInt8], [HostFD]) {
        var buffer = [UInt8](repeating: 0, count: maximum)
        var fds: [Int32] = [-1, -1, -1, -1]
        var count: Int32 = 0
        let n = try Host.check { buffer.withUnsafeMutableBytes { b in fds.withUnsafeMutableBufferPointer { ch_receive_record(fd.raw, b.baseAddress, UInt(b.count), $0.baseAddress, 4, &count) } } }
        return (Array(buffer[0..<n]), fds[0..<Int(count)].map { HostFD($0) })
    }
    /// Blocks until one of `fds` is readable (the switch's loop); returns the readable ones.
    public static func waitReadable(_ fds: [HostFD]) -> [HostFD] {
        let r = Host.poll(fds.map { ($0.raw, Int16(1)) }, timeoutMS: -1)
        return zip(fds, r).compactMap { $0.1 & 0x19 != 0 ? $0.0 : nil }
    }
    public static func accept(_ listener: HostFD) throws(LinuxErrno) -> HostFD {
        var length: UInt32 = 0
        return HostFD(try Host.check { ch_accept_nonblocking(listener.raw, nil, &length) })
    }
    /// What is at a path a switch is to listen on.
    public enum PathState: Equatable { case absent, staleSocket, liveSocket, notASocket }
    /// Whether `path` is free, a socket nobody listens on (left by a switch that ended), a
    /// socket a running switch listens on, or some other file (which a switch must not remove).
    public static func state(of path: String) -> PathState {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .absent }
        guard st.st_mode & S_IFMT == S_IFSOCK else { return .notASocket }
        guard let fd = try? connect(path: path) else { return .staleSocket }
        fd.close()
        return .liveSocket
    }
    public static func unlink(_ path: String) { _ = Glibc.unlink(path) }
}
