import LinuxABI

// AF_NETLINK sockets: the guest's way to ask the kernel about its network (NETLINK_ROUTE, for
// `ip` and busybox's ip/ifconfig) and its sockets (NETLINK_SOCK_DIAG, for `ss`). The "kernel"
// that answers is umlab's: a request sent to port 0 is parsed and answered at once, the replies
// queued on the sender's socket as datagrams, as Linux's netlink_unicast_kernel does.
//
// Framing follows net/netlink/af_netlink.c: a datagram holds one or more messages, each a
// `struct nlmsghdr` (len, type, flags, seq, pid; the guest's byte order) and a payload, aligned
// to 4 bytes. Processing stops at the first header whose length is shorter than a header or
// longer than what is left (netlink_rcv_skb), which is all a lying length can do. A request gets
// an NLMSG_ERROR reply when it fails or asks for an ack (NLM_F_ACK); a dump (NLM_F_DUMP) gets
// NLM_F_MULTI messages and NLMSG_DONE, in datagrams of at most `dumpChunk` bytes, produced as
// the reader drains them, so a large dump never sits whole in the receive queue.
// Other netlink protocols are EPROTONOSUPPORT.

/// Netlink message types, flags and sizes (linux/netlink.h).
enum NL {
    static let headerSize = 16
    static let noop: UInt16 = 1, error: UInt16 = 2, done: UInt16 = 3
    /// Types below this are control messages the kernel only acknowledges.
    static let minType: UInt16 = 0x10
    static let request: UInt16 = 0x1, multi: UInt16 = 0x2, ack: UInt16 = 0x4
    /// NLM_F_ROOT | NLM_F_MATCH: either bit asks for a dump.
    static let dump: UInt16 = 0x300
    /// An ack that carries only the request's header.
    static let capped: UInt16 = 0x100
    /// Protocols umlab answers.
    static let route: Int32 = 0, sockDiag: Int32 = 4
    /// Linux's NLMSG_GOODSIZE on 4 KiB pages: the size of a dump's datagrams.
    static let dumpChunk = 3776
    static func align(_ n: Int) -> Int { (n + 3) & ~3 }
}

/// SOL_NETLINK options.
enum NetlinkOption {
    static let level: Int32 = 270
    static let addMembership: Int32 = 1, dropMembership: Int32 = 2, packetInfo: Int32 = 3, broadcastError: Int32 = 4
    static let noENOBUFS: Int32 = 5, listenAllNSID: Int32 = 8, listMemberships: Int32 = 9, capAck: Int32 = 10
    static let extendedAck: Int32 = 11, strictCheck: Int32 = 12
}

/// A message header as the guest sent it.
struct NetlinkHeader {
    var length: UInt32
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32
    var portID: UInt32

    init(_ bytes: ArraySlice<UInt8>, _ abi: GuestABI) {
        var d = GuestDecoder(Array(bytes.prefix(NL.headerSize)), abi)
        length = d.u32(); type = d.u16(); flags = d.u16(); sequence = d.u32(); portID = d.u32()
    }
}

/// One message being built: a fixed part and attributes (`struct rtattr` / `nlattr`: u16
/// length, u16 type, the value, padding to 4), in the guest's byte order.
struct NetlinkMessage {
    var body: GuestEncoder
    init(_ abi: GuestABI) { body = GuestEncoder(abi) }

    mutating func attribute(_ type: UInt16, _ value: [UInt8]) {
        body.align(4)
        body.u16(UInt16(4 + value.count)); body.u16(type)
        body.raw(value)
        body.align(4)
    }
    mutating func attribute(_ type: UInt16, u8 v: UInt8) { attribute(type, [v]) }
    mutating func attribute(_ type: UInt16, u32 v: UInt32) {
        var e = GuestEncoder(wordSize: body.wordSize, bigEndian: body.bigEndian)
        e.u32(v)
        attribute(type, e.bytes)
    }
    /// A NUL-terminated string attribute.
    mutating func attribute(_ type: UInt16, string: String) { attribute(type, Array(string.utf8) + [0]) }

    /// The message with its header.
    func encoded(type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32) -> [UInt8] {
        var h = GuestEncoder(wordSize: body.wordSize, bigEndian: body.bigEndian)
        var payload = body
        payload.align(4)
        h.u32(UInt32(NL.headerSize + payload.bytes.count)); h.u16(type); h.u16(flags); h.u32(sequence); h.u32(portID)
        return h.bytes + payload.bytes
    }
}

/// What a protocol handler makes of one request.
enum NetlinkOutcome {
    /// Single replies (then an ack if the request asked for one).
    case replies([[UInt8]])
    /// The messages of a dump; NLMSG_DONE follows them, and no ack.
    case dump([[UInt8]])
    case failed(LinuxErrno)
}

/// The request being answered: where replies go and how they are numbered.
struct NetlinkRequest {
    let header: NetlinkHeader
    /// The payload after the header.
    let body: [UInt8]
    let abi: GuestABI
    /// The requesting socket's port id (every reply's nlmsg_pid).
    let portID: UInt32
    let network: Network

    func message(_ type: UInt16, flags: UInt16, _ build: (inout NetlinkMessage) -> Void) -> [UInt8] {
        var m = NetlinkMessage(abi)
        build(&m)
        return m.encoded(type: type, flags: flags, sequence: header.sequence, portID: portID)
    }
    /// A part of a dump (NLM_F_MULTI).
    func part(_ type: UInt16, _ build: (inout NetlinkMessage) -> Void) -> [UInt8] { message(type, flags: NL.multi, build) }

    /// The attributes after a fixed part of `fixedSize` bytes, by type (the first of each).
    /// Malformed ones end the walk: a length shorter than the attribute header or past the end.
    func attributes(after fixedSize: Int) -> [UInt16: [UInt8]] {
        var out: [UInt16: [UInt8]] = [:]
        var at = NL.align(fixedSize)
        while body.count - at >= 4 {
            var d = GuestDecoder(Array(body[at..<(at + 4)]), abi)
            let length = Int(d.u16()), type = d.u16() & 0x3fff  // without NLA_F_NESTED / NET_BYTEORDER
            guard length >= 4, length <= body.count - at else { break }
            if out[type] == nil { out[type] = Array(body[(at + 4)..<(at + length)]) }
            at += NL.align(length)
        }
        return out
    }
}

/// An AF_NETLINK socket. Not connection-oriented: each send is one datagram of requests, each
/// receive one datagram of replies.
final class NetlinkSocket: SocketFile {
    unowned let network: Network
    let abi: GuestABI
    /// The bound port id (0: not bound yet; the first send or connect binds one).
    private(set) var portID: UInt32 = 0
    /// Multicast groups joined (bind's nl_groups, NETLINK_ADD_MEMBERSHIP). Nothing is ever
    /// sent to them: the guest's network never changes.
    private var groups: UInt32 = 0
    /// connect's destination: where a send without an address goes.
    private var destination: (portID: UInt32, groups: UInt32) = (0, 0)
    /// Datagrams ready to read, oldest first.
    private var ready: [SocketMessage] = []
    private var readyBytes = 0
    /// A dump in progress: its messages (NLMSG_DONE last) and the next one to send.
    private var dump: (messages: [[UInt8]], next: Int)?
    /// An error the next receive reports (ENOBUFS after replies were dropped).
    private var pendingError: LinuxErrno?
    /// SO_RCVBUF / SO_SNDBUF as Linux reports them (doubled).
    private var receiveBuffer = 212_992
    private var sendBuffer = 212_992
    /// SOL_NETLINK flags by option number (PKTINFO, NO_ENOBUFS, CAP_ACK, EXT_ACK ...).
    private var flagOptions: [Int32: Bool] = [:]

    init(network: Network, abi: GuestABI, kind: SocketKind, proto: Int32, nonBlocking: Bool, owner: SocketCredentials) {
        self.network = network
        self.abi = abi
        let number = network.nextSocketNumber
        network.nextSocketNumber &+= 1
        super.init(family: .netlink, kind: kind, proto: proto, number: number, nonBlocking: nonBlocking, owner: owner)
    }

    // MARK: names

    override func bind(_ address: SocketAddress, _ c: SyscallCall) throws(LinuxErrno) {
        guard case .netlink(let requested, let groups) = address else { throw .EINVAL }
        // Only NETLINK_ROUTE lets anyone join its groups (NL_CFG_F_NONROOT_RECV).
        if groups != 0 && proto != NL.route && c.task.process.credentials.euid != 0 { throw .EPERM }
        if portID != 0 {
            guard requested == portID else { throw .EINVAL }
        } else if requested != 0 {
            try network.netlinkBind(self, portID: requested)
            portID = requested
        } else {
            portID = network.netlinkAutobind(self, pid: c.task.process.pid)
        }
        self.groups = groups
    }

    override func connect(_ address: SocketAddress?, _ c: SyscallCall) throws(LinuxErrno) -> Wait? {
        guard let address else { destination = (0, 0); return nil }
        guard case .netlink(let p, let g) = address else { throw .EINVAL }
        if g != 0 && c.task.process.credentials.euid != 0 { throw .EPERM }
        if portID == 0 { portID = network.netlinkAutobind(self, pid: c.task.process.pid) }
        destination = (p, g)
        return nil
    }

    override var localAddress: SocketAddress { .netlink(portID: portID, groups: groups) }
    /// Linux's netlink_getname reports the destination even when none was set.
    override func peerAddress() throws(LinuxErrno) -> SocketAddress { .netlink(portID: destination.portID, groups: destination.groups) }

    // MARK: sending: requests to the kernel

    override func sendMessage(_ message: SocketMessage, to address: SocketAddress?, flags: MessageFlags, _ c: SyscallCall) throws(LinuxErrno) {
        if flags.contains(.outOfBand) { throw .EOPNOTSUPP }
        var target = destination
        if let address {
            guard case .netlink(let p, let g) = address else { throw .EINVAL }
            target = (p, g)
        }
        // Sending to another socket or a group needs NL_CFG_F_NONROOT_SEND, which neither
        // protocol has: root only.
        if (target.portID != 0 || target.groups != 0) && c.task.process.credentials.euid != 0 { throw .EPERM }
        if portID == 0 { portID = network.netlinkAutobind(self, pid: c.task.process.pid) }
        guard message.data.count <= sendBuffer - 32 else { throw .EMSGSIZE }
        if target.portID != 0 {
            guard let peer = network.netlinkSocket(proto: proto, portID: target.portID) else { throw .ECONNREFUSED }
            peer.enqueue(SocketMessage(data: message.data, from: .netlink(portID: portID, groups: 0)))
            return
        }
        receiveRequests(message.data)
    }

    /// Answers each request in `data`, as Linux's netlink_rcv_skb walks an skb.
    private func receiveRequests(_ data: [UInt8]) {
        var offset = 0
        while data.count - offset >= NL.headerSize {
            let header = NetlinkHeader(data[offset...], abi)
            let length = Int(header.length)
            guard length >= NL.headerSize, length <= data.count - offset else { break }
            var error: LinuxErrno?
            var acknowledged = false
            // Only requests are handled; control messages (types below 0x10) just get acked.
            if header.flags & NL.request != 0 && header.type >= NL.minType {
                let request = NetlinkRequest(header: header, body: Array(data[(offset + NL.headerSize)..<(offset + length)]),
                                             abi: abi, portID: portID, network: network)
                switch proto == NL.route ? RouteNetlink.handle(request) : SockDiag.handle(request) {
                case .replies(let replies):
                    for r in replies { enqueue(SocketMessage(data: r, from: .netlink(portID: 0, groups: 0))) }
                case .dump(let messages):
                    if dump != nil {
                        error = .EBUSY  // one dump at a time (netlink_dump_start)
                    } else {
                        startDump(messages, request)
                        acknowledged = true
                    }
                case .failed(let e):
                    error = e
                }
            }
            if !acknowledged && (header.flags & NL.ack != 0 || error != nil) {
                enqueue(SocketMessage(data: ack(header, Array(data[offset..<(offset + length)]), error), from: .netlink(portID: 0, groups: 0)))
            }
            offset += min(NL.align(length), data.count - offset)
        }
    }

    /// NLMSG_ERROR: the error (0 for an ack) and the request's header, or, for an error, the
    /// whole request unless NETLINK_CAP_ACK is set (netlink_ack).
    private func ack(_ header: NetlinkHeader, _ request: [UInt8], _ error: LinuxErrno?) -> [UInt8] {
        var m = NetlinkMessage(abi)
        m.body.i32(-(error?.rawValue ?? 0))
        let whole = error != nil && flagOptions[NetlinkOption.capAck] != true
        m.body.raw(whole ? request : Array(request.prefix(NL.headerSize)))
        return m.encoded(type: NL.error, flags: whole ? 0 : NL.capped, sequence: header.sequence, portID: portID)
    }

    /// Queues a datagram to read. Past the receive buffer it is dropped and the next receive
    /// reports ENOBUFS (unless NETLINK_NO_ENOBUFS), as netlink_overrun does.
    fileprivate func enqueue(_ m: SocketMessage) {
        if readyBytes > receiveBuffer {
            if flagOptions[NetlinkOption.noENOBUFS] != true { pendingError = .ENOBUFS }
            queue.notify([.input, .readNormal, .error])
            return
        }
        ready.append(m)
        readyBytes += m.data.count
        queue.notify([.input, .readNormal])
    }

    private func startDump(_ messages: [[UInt8]], _ request: NetlinkRequest) {
        var m = NetlinkMessage(abi)
        m.body.i32(0)  // NLMSG_DONE carries the dump's result
        let done = m.encoded(type: NL.done, flags: NL.multi, sequence: request.header.sequence, portID: portID)
        dump = (messages + [done], 0)
        continueDump()
    }

    /// Queues the dump's next datagram: whole messages up to `dumpChunk` bytes (one larger
    /// message goes alone), while the receive queue is under the buffer's size.
    private func continueDump() {
        guard var d = dump, readyBytes < receiveBuffer else { return }
        var chunk: [UInt8] = []
        while d.next < d.messages.count {
            let m = d.messages[d.next]
            if !chunk.isEmpty && chunk.count + m.count > NL.dumpChunk { break }
            chunk += m
            d.next += 1
        }
        dump = d.next < d.messages.count ? d : nil
        ready.append(SocketMessage(data: chunk, from: .netlink(portID: 0, groups: 0)))
        readyBytes += chunk.count
        queue.notify([.input, .readNormal])
    }

    // MARK: receiving

    override func receiveMessage(flags: MessageFlags) throws(LinuxErrno) -> SocketMessage {
        if let e = pendingError { pendingError = nil; throw e }
        if ready.isEmpty { continueDump() }
        guard let first = ready.first else { throw .EAGAIN }
        if !flags.contains(.peek) {
            ready.removeFirst()
            readyBytes -= first.data.count
            if readyBytes <= receiveBuffer / 2 { continueDump() }
        }
        return first
    }

    public override func poll() -> PollEvents {
        var ev: PollEvents = [.output, .writeNormal]
        if !ready.isEmpty || dump != nil { ev.insert([.input, .readNormal]) }
        if pendingError != nil { ev.insert(.error) }
        return ev
    }

    public override var bytesReadable: Int { ready.first?.data.count ?? 0 }

    public override func release() {
        if portID != 0 { network.netlinkUnbind(self) }
        ready = []
        readyBytes = 0
        dump = nil
    }

    // MARK: options

    override func getOption(level: Int32, name: Int32, _ c: SyscallCall) throws(LinuxErrno) -> [UInt8] {
        var e = GuestEncoder(c.abi)
        func int(_ v: Int32) -> [UInt8] { e.i32(v); return e.bytes }
        if level == OptionLevel.socket {
            switch name {
            case SO.type: return int(kind.rawValue)
            case SO.domain: return int(family.rawValue)
            case SO.protocolNumber: return int(proto)
            case SO.error:
                defer { pendingError = nil }
                return int(pendingError?.rawValue ?? 0)
            case SO.receiveBuffer: return int(Int32(clamping: receiveBuffer))
            case SO.sendBuffer: return int(Int32(clamping: sendBuffer))
            case SO.acceptConnections, SO.passCredentials: return int(0)
            default: throw .ENOPROTOOPT
            }
        }
        guard level == NetlinkOption.level else { throw .ENOPROTOOPT }
        switch name {
        case NetlinkOption.packetInfo, NetlinkOption.broadcastError, NetlinkOption.noENOBUFS, NetlinkOption.listenAllNSID,
             NetlinkOption.capAck, NetlinkOption.extendedAck:
            return int(flagOptions[name] == true ? 1 : 0)
        case NetlinkOption.listMemberships:
            e.u32(groups)
            return e.bytes
        default:
            // Including NETLINK_GET_STRICT_CHK: umlab answers dumps unfiltered, as kernels
            // before 4.20 did, and iproute2 then filters them itself.
            throw .ENOPROTOOPT
        }
    }

    override func setOption(level: Int32, name: Int32, value: [UInt8], _ c: SyscallCall) throws(LinuxErrno) {
        var d = GuestDecoder(value, c.abi)
        if level == OptionLevel.socket {
            switch name {
            case SO.receiveBuffer, SO.receiveBufferForce, SO.sendBuffer, SO.sendBufferForce:
                guard value.count >= 4 else { throw .EINVAL }
                let v = Int(max(d.i32(), 0))
                let forced = name == SO.receiveBufferForce || name == SO.sendBufferForce
                let size = max(2304, 2 * (forced ? v : min(v, 212_992)))
                if name == SO.receiveBuffer || name == SO.receiveBufferForce { receiveBuffer = size } else { sendBuffer = max(size, 4608) }
            default:
                break  // SO_PASSCRED, SO_RCVTIMEO ... accepted
            }
            return
        }
        guard level == NetlinkOption.level else { throw .ENOPROTOOPT }
        let v: UInt32 = value.count >= 4 ? d.u32() : 0
        switch name {
        case NetlinkOption.addMembership, NetlinkOption.dropMembership:
            if proto != NL.route && c.task.process.credentials.euid != 0 { throw .EPERM }
            guard v >= 1 && v <= 32 else { throw .EINVAL }
            if portID == 0 { portID = network.netlinkAutobind(self, pid: c.task.process.pid) }
            if name == NetlinkOption.addMembership { groups |= 1 << (v - 1) } else { groups &= ~(1 << (v - 1)) }
        case NetlinkOption.packetInfo, NetlinkOption.broadcastError, NetlinkOption.noENOBUFS, NetlinkOption.listenAllNSID,
             NetlinkOption.capAck, NetlinkOption.extendedAck:
            flagOptions[name] = v != 0
        default:
            throw .ENOPROTOOPT
        }
    }
}

struct WeakNetlinkSocket { weak var socket: NetlinkSocket? }

extension Network {
    /// A new AF_NETLINK socket: SOCK_RAW or SOCK_DGRAM, NETLINK_ROUTE or NETLINK_SOCK_DIAG.
    func makeNetlinkSocket(kind: SocketKind, proto: Int32, nonBlocking: Bool, task: Task) throws(LinuxErrno) -> SocketFile {
        guard kind == .raw || kind == .datagram else { throw .ESOCKTNOSUPPORT }
        guard proto == NL.route || proto == NL.sockDiag else { throw .EPROTONOSUPPORT }
        return NetlinkSocket(network: self, abi: task.kernel.abi, kind: kind, proto: proto, nonBlocking: nonBlocking, owner: SocketCredentials(task))
    }

    func netlinkSocket(proto: Int32, portID: UInt32) -> NetlinkSocket? { netlinkPorts[proto]?[portID]?.socket }

    /// Binds an explicit port id: EADDRINUSE when a socket of the protocol holds it.
    func netlinkBind(_ socket: NetlinkSocket, portID: UInt32) throws(LinuxErrno) {
        guard netlinkSocket(proto: socket.proto, portID: portID) == nil else { throw .EADDRINUSE }
        netlinkPorts[socket.proto, default: [:]][portID] = WeakNetlinkSocket(socket: socket)
    }

    /// A free port id, as netlink_autobind picks it: the process id first, then negative
    /// numbers from -4097 down.
    func netlinkAutobind(_ socket: NetlinkSocket, pid: Int32) -> UInt32 {
        var candidate = UInt32(bitPattern: pid)
        var rover: Int32 = -4097
        while netlinkSocket(proto: socket.proto, portID: candidate) != nil {
            candidate = UInt32(bitPattern: rover)
            rover = rover == Int32.min ? -4097 : rover - 1
        }
        netlinkPorts[socket.proto, default: [:]][candidate] = WeakNetlinkSocket(socket: socket)
        return candidate
    }

    func netlinkUnbind(_ socket: NetlinkSocket) {
        guard netlinkPorts[socket.proto]?[socket.portID]?.socket === socket else { return }
        netlinkPorts[socket.proto]?[socket.portID] = nil
    }
}
