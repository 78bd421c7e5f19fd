import LinuxABI

/// Option levels (SOL_*, IPPROTO_*).
enum OptionLevel {
    static let socket: Int32 = 1
    static let ip: Int32 = 0
    static let tcp: Int32 = 6
    static let udp: Int32 = 17
    static let ipv6: Int32 = 41
}

/// SOL_SOCKET option names in the generic numbering (asm-generic/socket.h); PowerPC numbers a
/// few differently, and `GuestABI.socketOptionFromGuest` translates them first.
enum SO {
    static let reuseAddress: Int32 = 2, type: Int32 = 3, error: Int32 = 4, sendBuffer: Int32 = 7
    static let receiveBuffer: Int32 = 8, keepAlive: Int32 = 9, linger: Int32 = 13, reusePort: Int32 = 15
    static let passCredentials: Int32 = 16, peerCredentials: Int32 = 17, receiveLowWater: Int32 = 18
    static let receiveTimeout: Int32 = 20, sendTimeout: Int32 = 21, bindToDevice: Int32 = 25
    static let acceptConnections: Int32 = 30, sendBufferForce: Int32 = 32, receiveBufferForce: Int32 = 33
    static let peerName: Int32 = 28, protocolNumber: Int32 = 38, domain: Int32 = 39
    static let receiveTimeoutNew: Int32 = 66, sendTimeoutNew: Int32 = 67
}

/// What a socket's options are set to: those umlab acts on as fields, the rest as values that
/// are only stored and reported back (so a program reads what it set).
struct SocketOptions {
    var reuseAddress = false
    var reusePort = false
    var passCredentials = false
    /// IPV6_V6ONLY: an AF_INET6 socket does not take IPv4 traffic.
    var v6Only = false
    var linger: (on: Int32, seconds: Int32) = (0, 0)
    /// SO_RCVBUF and SO_SNDBUF as getsockopt reports them (Linux doubles what is set).
    var receiveBuffer: Int
    var sendBuffer: Int
    /// SO_RCVTIMEO / SO_SNDTIMEO in nanoseconds; nil waits forever, 0 does not wait.
    var receiveTimeout: UInt64?
    var sendTimeout: UInt64?
    /// Plain integer options by (level, name): stored, reported back, inherited by accepted
    /// sockets, otherwise without effect in an emulated network (TCP_NODELAY, SO_KEEPALIVE,
    /// TCP_KEEPIDLE, IP_TOS, IP_RECVERR ...).
    var values: [Int64: Int32] = [:]

    init(family: AddressFamily, kind: SocketKind) {
        // Linux's defaults: tcp_rmem[1]/tcp_wmem[1] for TCP, net.core.[rw]mem_default otherwise.
        if family != .unix && kind == .stream {
            receiveBuffer = 131_072; sendBuffer = 16_384
        } else {
            receiveBuffer = 212_992; sendBuffer = 212_992
        }
    }

    static func key(_ level: Int32, _ name: Int32) -> Int64 { Int64(level) << 32 | Int64(UInt32(bitPattern: name)) }

    /// The integer options umlab stores, by level, with Linux's default values; `inetOnly`
    /// levels exist only on AF_INET/AF_INET6 sockets (a unix socket gets EOPNOTSUPP).
    static let integerDefaults: [Int64: Int32] = {
        var d: [Int64: Int32] = [:]
        func put(_ level: Int32, _ pairs: [(Int32, Int32)]) { for (n, v) in pairs { d[key(level, n)] = v } }
        // SOL_SOCKET: DEBUG, DONTROUTE, BROADCAST, KEEPALIVE, OOBINLINE, NO_CHECK, PRIORITY,
        // SNDLOWAT, TIMESTAMP, PASSSEC, TIMESTAMPNS, MARK, RXQ_OVFL, WIFI_STATUS, PEEK_OFF,
        // NOFCS, BUSY_POLL, INCOMING_CPU, ZEROCOPY, TIMESTAMPING.
        put(OptionLevel.socket, [(1, 0), (5, 0), (6, 0), (9, 0), (10, 0), (11, 0), (12, 0), (19, 1), (29, 0), (34, 0),
                                 (35, 0), (36, 0), (37, 0), (40, 0), (41, 0), (42, -1), (43, 0), (46, 0), (49, -1), (60, 0)])
        // IPPROTO_IP: TOS, TTL, PKTINFO, RECVTTL, RECVTOS, MTU_DISCOVER (WANT), RECVERR, FREEBIND,
        // TRANSPARENT, BIND_ADDRESS_NO_PORT, MULTICAST_TTL, MULTICAST_LOOP, RECVORIGDSTADDR.
        put(OptionLevel.ip, [(1, 0), (2, 64), (8, 0), (12, 0), (13, 0), (10, 1), (11, 0), (15, 0), (19, 0), (24, 0),
                             (33, 1), (34, 1), (20, 0)])
        // IPPROTO_TCP: NODELAY, MAXSEG, CORK, KEEPIDLE, KEEPINTVL, KEEPCNT, SYNCNT, LINGER2,
        // DEFER_ACCEPT, WINDOW_CLAMP, QUICKACK, USER_TIMEOUT, FASTOPEN, NOTSENT_LOWAT,
        // FASTOPEN_CONNECT, THIN_LINEAR_TIMEOUTS.
        put(OptionLevel.tcp, [(1, 0), (2, 536), (3, 0), (4, 7200), (5, 75), (6, 9), (7, 6), (8, 60), (9, 0), (10, 0),
                              (12, 1), (18, 0), (23, 0), (25, -1), (30, 0), (16, 0)])
        // IPPROTO_UDP: CORK, SEGMENT, GRO.
        put(OptionLevel.udp, [(1, 0), (103, 0), (104, 0)])
        // IPPROTO_IPV6: UNICAST_HOPS, MULTICAST_HOPS, MULTICAST_LOOP, MTU_DISCOVER, RECVERR,
        // RECVPKTINFO, TCLASS, RECVTCLASS, FREEBIND.
        put(OptionLevel.ipv6, [(16, 64), (18, 1), (19, 1), (23, 0), (25, 0), (49, 0), (67, 0), (66, 0), (78, 0)])
        return d
    }()

    /// Values Linux refuses with EINVAL: TCP_KEEPIDLE and TCP_KEEPINTVL (1 ..< 32768 s),
    /// TCP_KEEPCNT (1 ... 127). (IP_TTL, 1 ... 255 or -1, is checked where it is set.)
    static let validRanges: [Int64: ClosedRange<Int32>] = [
        key(OptionLevel.tcp, 4): 1...32767, key(OptionLevel.tcp, 5): 1...32767, key(OptionLevel.tcp, 6): 1...127,
    ]

    /// Options that are set-only requests (joining multicast groups, IP_OPTIONS ...): accepted,
    /// nothing to report back.
    static let setOnly: Set<Int64> = [
        key(OptionLevel.ip, 35), key(OptionLevel.ip, 36), key(OptionLevel.ip, 4), key(OptionLevel.ip, 32),
        key(OptionLevel.ipv6, 20), key(OptionLevel.ipv6, 21), key(OptionLevel.ipv6, 17),
        key(OptionLevel.socket, 26), key(OptionLevel.socket, 27),  // SO_ATTACH_FILTER, SO_DETACH_FILTER
    ]
}
