import LinuxABI

/// The guest machine's network as its guests see it: interfaces and addresses (QEMU user
/// networking's defaults), and where a destination address leads.
public struct NetworkConfig: Sendable {
    /// eth0's address and prefix length.
    public var address = IPAddress(v4: 10, 0, 2, 15)
    public var prefixLength = 24
    public var gateway = IPAddress(v4: 10, 0, 2, 2)
    public var dns = IPAddress(v4: 10, 0, 2, 3)
    /// eth0's hardware address: locally administered (the 0x02 bit of the first byte), QEMU's
    /// default, the same on every run.
    public var mac: [UInt8] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]
    public init() {}
}

/// Where a connection or datagram to an address goes.
enum Route: Equatable {
    /// A socket of this machine.
    case local
    /// Nowhere: the machine is sequestered from everything else (ENETUNREACH).
    case unreachable
}

/// Per-machine socket state: the port table of AF_INET/AF_INET6 sockets, the AF_UNIX abstract
/// namespace, and counters for --stats-json. Owned by the kernel; two machines in one process
/// share nothing.
public final class Network {
    public let config: NetworkConfig

    /// A bound port: its protocol (stream or datagram) and number.
    struct PortKey: Hashable {
        let kind: SocketKind
        let port: UInt16
    }
    /// The sockets bound to each port (several only where SO_REUSEADDR/SO_REUSEPORT allow).
    private var ports: [PortKey: [Socket]] = [:]
    /// Abstract AF_UNIX names in use.
    private var abstractNames: [[UInt8]: Socket] = [:]
    /// Linux's ip_local_port_range.
    static let ephemeralPorts: ClosedRange<UInt16> = 32768...60999
    private var nextEphemeral: UInt16 = 32768
    private var nextAutobind: UInt32 = 0
    /// setsockopt options umlab accepted without knowing them, by "level:name".
    public internal(set) var unknownOptions: [String: UInt64] = [:]
    /// Sockets created, for inode numbers (socket:[N]).
    var nextSocketNumber: UInt64 = 1000
    /// Every socket of the machine by number, held weakly: what /proc/net and sock_diag list
    /// (Net/SocketTable.swift). Entries of freed sockets are swept as the table grows.
    var socketTable: [UInt64: Socket.WeakSocket] = [:]
    var socketTableSweep = 64
    /// Bound AF_NETLINK sockets by protocol and port id (Net/Netlink.swift).
    var netlinkPorts: [Int32: [UInt32: WeakNetlinkSocket]] = [:]

    init(config: NetworkConfig) { self.config = config }

    // MARK: addresses and routes

    /// Whether `ip` is one of this machine's addresses (loopback, eth0's, or unspecified, which
    /// a connect treats as loopback as Linux does).
    func isLocal(_ ip: IPAddress) -> Bool {
        ip.isLoopback || ip.isUnspecified || ip == config.address
    }
    /// Whether a socket may bind `ip`: unspecified, loopback, or eth0's address.
    func canBind(_ ip: IPAddress) -> Bool { isLocal(ip) || ip.isMulticast }

    func route(to ip: IPAddress) -> Route {
        isLocal(ip) ? .local : .unreachable
    }

    /// The source address Linux would pick for a connection to `destination`.
    func sourceAddress(toward destination: IPAddress) -> IPAddress {
        if destination.isUnspecified { return destination.isV4 ? .loopbackV4 : .loopbackV6 }
        if destination.isLoopback { return destination.isV4 ? .loopbackV4 : .loopbackV6 }
        return config.address
    }

    // MARK: the port table

    /// Whether two bound addresses overlap: equal, or one a wildcard that covers the other's
    /// family (a dual-stack :: covers IPv4 too, unless IPV6_V6ONLY).
    private static func overlaps(_ a: Socket, _ aIP: IPAddress, _ b: Socket, _ bIP: IPAddress) -> Bool {
        if aIP == bIP { return true }
        func covers(_ s: Socket, _ wild: IPAddress, _ other: IPAddress) -> Bool {
            if wild == .anyV4 { return other.isV4 }
            if wild == .anyV6 { return !other.isV4 || !s.options.v6Only }
            return false
        }
        return covers(a, aIP, bIP) || covers(b, bIP, aIP)
    }

    /// Binds `socket` to `ip`:`port` (0: an ephemeral port), with Linux's conflict rules:
    /// EADDRINUSE unless every overlapping socket and this one set SO_REUSEPORT, or all set
    /// SO_REUSEADDR and none listens.
    func bind(_ socket: Socket, ip: IPAddress, port: UInt16) throws(LinuxErrno) -> UInt16 {
        if port != 0 {
            try checkFree(socket, ip: ip, port: port)
            ports[PortKey(kind: socket.kind, port: port), default: []].append(socket)
            return port
        }
        for _ in Network.ephemeralPorts {
            let p = nextEphemeral
            nextEphemeral = p == Network.ephemeralPorts.upperBound ? Network.ephemeralPorts.lowerBound : p + 1
            if ports[PortKey(kind: socket.kind, port: p)] == nil {
                ports[PortKey(kind: socket.kind, port: p)] = [socket]
                return p
            }
        }
        throw .EADDRINUSE
    }

    private func checkFree(_ socket: Socket, ip: IPAddress, port: UInt16) throws(LinuxErrno) {
        for other in ports[PortKey(kind: socket.kind, port: port)] ?? [] {
            guard let otherIP = other.local?.ip, Network.overlaps(socket, ip, other, otherIP) else { continue }
            if socket.options.reusePort && other.options.reusePort { continue }
            if socket.options.reuseAddress && other.options.reuseAddress && !other.isListening { continue }
            throw .EADDRINUSE
        }
    }

    /// Gives back the port `socket` holds.
    func unbind(_ socket: Socket, port: UInt16) {
        let key = PortKey(kind: socket.kind, port: port)
        ports[key]?.removeAll { $0 === socket }
        if ports[key]?.isEmpty == true { ports[key] = nil }
    }

    /// The listener a connection to `ip`:`port` reaches: one bound to that address, else a
    /// wildcard listener whose family covers it.
    func listener(ip: IPAddress, port: UInt16) -> Socket? {
        let candidates = (ports[PortKey(kind: .stream, port: port)] ?? []).filter { $0.isListening }
        return Network.pick(candidates, ip)
    }

    /// The datagram socket a datagram to `ip`:`port` is delivered to.
    func datagramReceiver(ip: IPAddress, port: UInt16) -> Socket? {
        Network.pick(ports[PortKey(kind: .datagram, port: port)] ?? [], ip)
    }

    private static func pick(_ sockets: [Socket], _ ip: IPAddress) -> Socket? {
        if let exact = sockets.first(where: { $0.local?.ip == ip }) { return exact }
        let target = ip.isUnspecified ? (ip.isV4 ? IPAddress.loopbackV4 : .loopbackV6) : ip
        if let exact = sockets.first(where: { $0.local?.ip == target }) { return exact }
        return sockets.first { s in
            guard let bound = s.local?.ip else { return false }
            if bound == .anyV4 { return target.isV4 }
            if bound == .anyV6 { return !target.isV4 || !s.options.v6Only }
            return false
        }
    }

    /// Every socket in the port table (for /proc/net/tcp and friends).
    var boundSockets: [Socket] { ports.values.flatMap { $0 } }

    // MARK: the abstract namespace

    func bindAbstract(_ socket: Socket, _ name: [UInt8]) throws(LinuxErrno) {
        guard abstractNames[name] == nil else { throw .EADDRINUSE }
        abstractNames[name] = socket
    }
    func unbindAbstract(_ name: [UInt8]) { abstractNames[name] = nil }
    func abstractSocket(_ name: [UInt8]) -> Socket? { abstractNames[name] }

    /// A free autobind name: five hex digits, as Linux's unix_autobind.
    func autobindName(_ socket: Socket) throws(LinuxErrno) -> [UInt8] {
        for _ in 0..<0x100000 {
            let n = nextAutobind
            nextAutobind = (nextAutobind + 1) & 0xfffff
            var name = Array(String(n, radix: 16).utf8)
            while name.count < 5 { name.insert(UInt8(ascii: "0"), at: 0) }
            if abstractNames[name] == nil {
                abstractNames[name] = socket
                return name
            }
        }
        throw .ENOSPC
    }

    func noteUnknownOption(level: Int32, name: Int32) {
        unknownOptions["\(level):\(name)", default: 0] += 1
    }
}
