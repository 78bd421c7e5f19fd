import HostOS
import LinuxABI

/// The guest machine's network as its guests see it: interfaces and addresses (QEMU user
/// networking's defaults), and where a destination address leads.
public struct NetworkConfig {
    /// Ports the host forwards to the guest (`--publish`).
    public var publish: [PublishRule] = []
    /// Destinations guests may reach through host sockets (`--allow`); none by default.
    public var allow: [AllowRule] = []
    /// Where the audit trail goes (`--net-log`), one JSON object a line.
    public var log: TraceSink?
    /// Where the synthesized capture goes (`--pcap`).
    public var pcap: TraceSink?
    /// The virtual switch's socket (`--net switch:PATH`): machines on it reach each other's
    /// addresses in eth0's network.
    public var switchPath: String?
    /// eth0's address and prefix length.
    public var address = IPAddress(v4: 10, 0, 2, 15)
    public var prefixLength = 24
    public var gateway = IPAddress(v4: 10, 0, 2, 2)
    public var dns = IPAddress(v4: 10, 0, 2, 3)
    /// eth0's hardware address; nil: derived from the address (`NetworkConfig.hardwareAddress`).
    public var mac: [UInt8]?
    public init() {}
}

/// Where a connection or datagram to an address goes.
enum Route: Equatable {
    /// A socket of this machine.
    case local
    /// The gateway (10.0.2.2, the host as QEMU's user networking shows it): nothing listens
    /// there unless published, so connections are refused.
    case gateway
    /// umlab's DNS answerer (10.0.2.3, port 53).
    case dns
    /// Out through a host socket: an `--allow` rule admits it.
    case outbound
    /// Another machine on the switch.
    case switched
    /// Nowhere: the machine is sequestered from everything else (ENETUNREACH).
    case unreachable
}

/// An `--allow` rule: a protocol, a destination (a name, an address or a network) and an
/// optional port.
public struct AllowRule: Sendable, Equatable {
    public var udp: Bool
    /// The name as given, if the destination is a name (its DNS queries are then answered).
    public var name: String?
    public var network: IPAddress
    public var prefixLength: Int
    public var port: UInt16?
    /// A name's addresses, resolved by umlab on the host when the machine starts.
    public var addresses: [IPAddress] = []

    /// Parses `tcp|udp:HOST[:PORT]`, HOST a name, an address, a CIDR network or an IPv6
    /// address in brackets.
    public init(parsing text: String) throws(ParseError) {
        let protoEnd = text.firstIndex(of: ":") ?? text.endIndex
        switch text[..<protoEnd] {
        case "tcp": udp = false
        case "udp": udp = true
        default: throw ParseError("\(text): expected tcp:HOST[:PORT] or udp:HOST[:PORT]")
        }
        guard protoEnd < text.endIndex else { throw ParseError("\(text): no destination") }
        var rest = Substring(text[text.index(after: protoEnd)...])
        var host: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw ParseError("\(text): unclosed [") }
            var bracketed = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            // A prefix length may follow the bracket: [2001:db8::]/32:443.
            if rest.hasPrefix("/") {
                let digits = rest.dropFirst().prefix { $0.isNumber }
                bracketed += "/" + digits
                rest = rest.dropFirst(1 + digits.count)
            }
            host = Substring(bracketed)
            if rest.hasPrefix(":") { rest = rest.dropFirst() } else if !rest.isEmpty { throw ParseError("\(text): expected :PORT after ]") }
        } else if let colon = rest.lastIndex(of: ":"), rest.filter({ $0 == ":" }).count == 1 {
            host = rest[..<colon]
            rest = rest[rest.index(after: colon)...]
        } else {
            host = rest
            rest = ""
        }
        if rest.isEmpty { port = nil } else {
            guard let p = UInt16(rest), p > 0 else { throw ParseError("\(text): \(rest) is not a port") }
            port = p
        }
        var prefix: Int?
        if let slash = host.firstIndex(of: "/") {
            guard let p = Int(host[host.index(after: slash)...]) else { throw ParseError("\(text): bad prefix length") }
            prefix = p
            host = host[..<slash]
        }
        if let ip = IPAddress(String(host)) {
            let maxPrefix = ip.isV4 ? 32 : 128
            guard (prefix ?? maxPrefix) >= 0 && (prefix ?? maxPrefix) <= maxPrefix else { throw ParseError("\(text): bad prefix length") }
            name = nil; network = ip; prefixLength = prefix ?? maxPrefix
        } else {
            guard prefix == nil, !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else {
                throw ParseError("\(text): \(host) is neither an address nor a host name")
            }
            name = host.lowercased(); network = .anyV6; prefixLength = 128
        }
    }

    func admits(udp: Bool, _ ip: IPAddress, _ port: UInt16) -> Bool {
        guard udp == self.udp, self.port == nil || self.port == port else { return false }
        if name != nil { return addresses.contains(ip) }
        return ip.isIn(network, prefix: prefixLength)
    }
}

/// Per-machine socket state: the port table of AF_INET/AF_INET6 sockets, the AF_UNIX abstract
/// namespace, and counters for --stats-json. Owned by the kernel; two machines in one process
/// share nothing.
public final class Network {
    public private(set) var config: NetworkConfig

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
    /// How many sockets the guests created (for --stats-json).
    public var socketsCreated: UInt64 { nextSocketNumber - 1000 }
    /// Unix sockets held by SCM_RIGHTS messages in flight (Net/UnixGarbage.swift).
    var unixSocketsInFlight = 0
    /// The garbage collector is running (the sockets it frees do not start it again).
    var collectingGarbage = false
    /// Socket releases in progress: one socket's release may free others (the descriptors
    /// its queue held); the collector runs when the outermost one has finished.
    var releasesInProgress = 0

    /// Host connections one machine keeps open at most (each holds a host descriptor); clients
    /// of a published port beyond it are reset.
    static let maxLinks = 1024
    /// Connections or datagrams taken from one host descriptor per wakeup of the event loop.
    static let hostBatch = 64
    /// Guest datagram sockets with a host socket of their own (`HostDatagramSocket`).
    var datagramSockets = 0
    /// Host descriptors the network holds for guests: links and datagram sockets.
    var hostSocketsInUse: Int { openLinks.count + datagramSockets }
    /// A descriptor kept free so that a listener can still take (and reset) a client when the
    /// host's descriptors run out: accept would otherwise fail while the client stays queued.
    private var reserve: HostFD?

    /// Takes one pending client of `listener` with the reserve descriptor and resets it.
    func dropWithReserve(_ listener: HostFD) {
        reserve?.close()
        reserve = nil
        if let (fd, _) = try? HostSocket.accept(listener) { HostSocket.reset(fd) }
        reserve = try? HostFD.open("/dev/null", flags: 0)
    }
    /// Open connections to the host, kept here while they live.
    var openLinks: [ObjectIdentifier: HostLink] = [:]
    /// The connection to the virtual switch, with `--net switch:`.
    private(set) var switchPort: SwitchPort?
    /// Published ports' host listeners.
    private(set) var published: [PublishedPort] = []
    /// Host clients of published UDP ports, by address: a guest's reply goes back through the
    /// port the client came in by.
    var udpClients: [HostSocket.Endpoint: PublishedPort] = [:]
    /// A buffer for the links' host reads and writes (never the syscall path's bounce buffer:
    /// a link may run inside a guest's send).
    let linkScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)

    /// The capture writer, with `--pcap`.
    let capture: PcapWriter?

    init(config: NetworkConfig) {
        self.config = config
        capture = config.pcap.map { PcapWriter(sink: $0, guestAddress: config.address) }
    }

    /// A capture flow for a new TCP connection between two inet addresses (nil without --pcap).
    func captureFlow(client: SocketAddress?, server: SocketAddress?) -> PcapFlow? {
        guard let capture, let c = client?.endpoint, let s = server?.endpoint else { return nil }
        return PcapFlow(writer: capture, client: c, server: s)
    }

    /// A datagram in the capture.
    func captureDatagram(from: SocketAddress?, to: SocketAddress?, _ payload: [UInt8]) {
        guard let capture, let f = from?.endpoint, let t = to?.endpoint else { return }
        capture.udp(from: f, to: t, payload[...])
    }
    deinit { linkScratch.deallocate() }

    /// Opens the host side of what the user declared: the published ports' listeners, and the
    /// addresses of the names `--allow` gives. Throws with a sentence for the user.
    func start(kernel: Kernel) throws(ParseError) {
        for i in config.allow.indices where config.allow[i].name != nil {
            config.allow[i].addresses = HostSocket.resolve(config.allow[i].name!)
        }
        if let path = config.switchPath {
            switchPort = try SwitchPort(kernel: kernel, path: path, address: config.address)
        }
        for rule in config.publish {
            do {
                published.append(try PublishedPort(kernel: kernel, rule: rule))
            } catch {
                throw ParseError("--publish \(rule.hostAddress):\(rule.hostPort): cannot listen on the host: \(error.message)")
            }
        }
        if !published.isEmpty { reserve = try? HostFD.open("/dev/null", flags: 0) }
    }

    /// Links with guest data waiting to go to the host (see `HostLink.guestChanged`).
    private var unflushed: [HostLink] = []

    func deferFlush(_ link: HostLink) {
        if !unflushed.contains(where: { $0 === link }) { unflushed.append(link) }
    }

    /// Sends what guests wrote to host links: when a task blocks, when the machine idles, and
    /// when host events are collected.
    func flushLinks() {
        guard !unflushed.isEmpty else { return }
        let links = unflushed
        unflushed.removeAll(keepingCapacity: true)
        for l in links { l.pump() }
    }

    /// Closes every host socket (the machine ended).
    func stop() {
        for p in published { p.close() }
        published = []
        // What guests wrote before the end still goes out (as far as the host takes it now).
        flushLinks()
        for link in Array(openLinks.values) { link.finish(reset: false) }
        switchPort?.close()
        switchPort = nil
        reserve?.close()
        reserve = nil
        openLinks = [:]
    }

    // MARK: addresses and routes

    /// Whether `ip` is one of this machine's addresses (loopback, eth0's, or unspecified, which
    /// a connect treats as loopback as Linux does).
    func isLocal(_ ip: IPAddress) -> Bool {
        ip.isLoopback || ip.isUnspecified || ip == config.address
    }
    /// Whether a socket may bind `ip`: unspecified, loopback, or eth0's address.
    func canBind(_ ip: IPAddress) -> Bool { isLocal(ip) || ip.isMulticast }

    /// Where a stream (`udp` false) or datagram to `ip`:`port` goes. With no options only the
    /// machine itself is reachable; the host's own addresses never are (the guest's 127.0.0.1
    /// is its own loopback, and 10.0.2.2 refuses).
    func route(to ip: IPAddress, port: UInt16, udp: Bool) -> Route {
        // A published UDP port's client (which may have the host's 127.0.0.1 as its address)
        // gets the guest's answers, unless a guest socket holds that address and port.
        if udp, udpClients[HostSocket.Endpoint(ip, port)] != nil, !(isLocal(ip) && datagramReceiver(ip: ip, port: port) != nil) {
            return .outbound
        }
        if isLocal(ip) { return .local }
        // The gateway and the DNS answerer stay umlab's with a switch too.
        if ip == config.dns { return udp && port == 53 ? .dns : .gateway }
        if ip == config.gateway { return .gateway }
        // eth0's network is the switch's, except where an `--allow` rule names a smaller
        // network (or an address) in it: the longer prefix wins, as in a routing table.
        let onSwitch = switchPort != nil && ip.isIn(config.address, prefix: config.prefixLength)
        if config.allow.contains(where: { $0.admits(udp: udp, ip, port) && (!onSwitch || $0.prefixLength > config.prefixLength) }) {
            return .outbound
        }
        if onSwitch { return .switched }
        return .unreachable
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

    /// EADDRINUSE when another socket holds `ip`:`port` in a way `socket` may not share (bind,
    /// and listen again: SO_REUSEADDR shares a port only while nobody listens on it).
    func checkFree(_ socket: Socket, ip: IPAddress, port: UInt16) throws(LinuxErrno) {
        for other in ports[PortKey(kind: socket.kind, port: port)] ?? [] where other !== socket {
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

    // MARK: DNS

    /// umlab's answer to a DNS query sent to 10.0.2.3:53: the addresses of a name an `--allow`
    /// rule gives, NXDOMAIN for any other name (no query ever leaves the machine), FORMERR
    /// for what is not a query. nil when the packet is not worth an answer.
    func answerDNS(_ query: [UInt8]) -> [UInt8]? {
        let allowed = Dictionary(config.allow.compactMap { r in r.name.map { ($0, r.addresses) } }, uniquingKeysWith: +)
        return DNSAnswerer.answer(query, addresses: { allowed[$0] })
    }

    // MARK: audit

    enum AuditEvent: String {
        case listen, accept, connect, refused, denied, dns, close
    }

    /// Writes one audit line (`--net-log`): the event, the guest process, the addresses.
    func audit(_ event: AuditEvent, local: SocketAddress?, remote: HostSocket.Endpoint?, extra: [(String, String)] = [], task: Task? = nil) {
        guard let log = config.log else { return }
        var fields: [(String, String)] = [("event", JSONText.quote(event.rawValue)), ("time", String(Host.realTimeSeconds()))]
        if let task {
            fields.append(("pid", String(task.process.pid)))
            fields.append(("comm", JSONText.quote(task.process.comm)))
        }
        if let local { fields.append(("local", JSONText.quote(local.description))) }
        if let remote { fields.append(("remote", JSONText.quote(remote.description))) }
        fields += extra
        log.raw("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
    }

    func auditClose(_ link: HostLink, local: SocketAddress) {
        audit(.close, local: local, remote: link.remote,
              extra: [("bytes_in", String(link.bytesIn)), ("bytes_out", String(link.bytesOut))])
    }

    func noteUnknownOption(level: Int32, name: Int32) {
        unknownOptions["\(level):\(name)", default: 0] += 1
    }
}
