import HostOS
import LinuxABI

/// MSG_* flags of send and receive calls.
struct MessageFlags: OptionSet {
    var rawValue: Int32
    static let outOfBand = MessageFlags(rawValue: 0x1)
    static let peek = MessageFlags(rawValue: 0x2)
    static let dontRoute = MessageFlags(rawValue: 0x4)
    static let controlTruncated = MessageFlags(rawValue: 0x8)
    static let truncated = MessageFlags(rawValue: 0x20)
    static let dontWait = MessageFlags(rawValue: 0x40)
    static let endOfRecord = MessageFlags(rawValue: 0x80)
    static let waitAll = MessageFlags(rawValue: 0x100)
    static let errorQueue = MessageFlags(rawValue: 0x2000)
    static let noSignal = MessageFlags(rawValue: 0x4000)
    static let more = MessageFlags(rawValue: 0x8000)
    static let waitForOne = MessageFlags(rawValue: 0x10000)
    static let closeOnExec = MessageFlags(rawValue: 0x4000_0000)
}

/// A socket: an open file the socket calls work on. Families implement what they support;
/// the rest is EOPNOTSUPP (or what Linux gives for the family).
///
/// Operations never block: they throw EAGAIN and the syscall layer waits on `queue` (or on
/// `sendWaitsOn` for a datagram whose receiver is full) unless the call may not block.
public class SocketFile: OpenFile {
    public let family: AddressFamily
    public let kind: SocketKind
    public let proto: Int32
    /// The inode number fstat and /proc show (socket:[N]).
    public let number: UInt64
    public let queue: WaitQueue
    /// Credentials of the creating task (SO_PEERCRED of the other end; set again at listen and
    /// connect, as Linux does).
    var ownerCredentials: SocketCredentials

    init(family: AddressFamily, kind: SocketKind, proto: Int32, number: UInt64, nonBlocking: Bool, owner: SocketCredentials,
         queue: WaitQueue = WaitQueue()) {
        self.family = family; self.kind = kind; self.proto = proto; self.number = number; self.queue = queue
        ownerCredentials = owner
        var flags = OpenFlags(rawValue: OpenFlags.readWrite)
        if nonBlocking { flags.insert(.nonBlocking) }
        super.init(inode: nil, flags: flags, path: "socket:[\(number)]")
    }

    public override var waitQueue: WaitQueue? { queue }
    public override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.mode = FileMode.socket | 0o777
        s.inode = number
        s.device = 8
        s.blockSize = 4096
        return s
    }

    /// Where a blocked send waits: the socket's own queue, or a datagram receiver's.
    var sendWaitsOn: WaitQueue { queue }
    /// Whether reads and writes are byte streams (moved in steps) rather than whole messages.
    var isStream: Bool { kind == .stream }

    func bind(_ address: SocketAddress, _ c: SyscallCall) throws(LinuxErrno) { throw .EOPNOTSUPP }
    func listen(backlog: Int32, _ c: SyscallCall) throws(LinuxErrno) { throw .EOPNOTSUPP }
    /// Connects; returns a wait when the call must block (a full backlog), or throws
    /// EINPROGRESS where Linux's non-blocking connect does.
    func connect(_ address: SocketAddress?, _ c: SyscallCall) throws(LinuxErrno) -> Wait? { throw .EOPNOTSUPP }
    func accept(_ c: SyscallCall) throws(LinuxErrno) -> SocketFile { throw .EOPNOTSUPP }
    func shutdown(_ how: Int32) throws(LinuxErrno) { throw .EOPNOTSUPP }
    /// The socket's own address (getsockname).
    var localAddress: SocketAddress { .unix(.unnamed) }
    /// The peer's address (getpeername): ENOTCONN when not connected.
    func peerAddress() throws(LinuxErrno) -> SocketAddress { throw .ENOTCONN }

    /// Stream sockets: sends up to `bytes.count` bytes (partial when the peer's buffer is
    /// short); `attached` travels with them (then all or nothing).
    func sendBytes(_ bytes: UnsafeRawBufferPointer, attached: SocketMessage?, flags: MessageFlags) throws(LinuxErrno) -> Int { throw .EOPNOTSUPP }
    /// Stream sockets: receives into `buffer` from `skip` bytes in (MSG_PEEK over steps); the
    /// ancillary data of the span read, if the read starts one.
    func receiveBytes(into buffer: UnsafeMutableRawBufferPointer, skip: Int, flags: MessageFlags) throws(LinuxErrno) -> (Int, SocketMessage?) { throw .EOPNOTSUPP }
    /// Message sockets: sends one message, whole, to `destination` (nil: the connected peer).
    func sendMessage(_ message: SocketMessage, to destination: SocketAddress?, flags: MessageFlags, _ c: SyscallCall) throws(LinuxErrno) { throw .EOPNOTSUPP }
    /// Message sockets: the next message (left queued with MSG_PEEK).
    func receiveMessage(flags: MessageFlags) throws(LinuxErrno) -> SocketMessage { throw .EOPNOTSUPP }
    /// The largest message a send takes (message sockets).
    var messageSizeLimit: Int { 8 << 20 }
    /// Whether MSG_TRUNC on this stream drops the bytes it reads instead of copying them.
    var truncateDiscards: Bool { false }
    /// FIONREAD / SIOCINQ.
    func inputQueueLength() throws(LinuxErrno) -> Int { bytesReadable }

    /// The SOL_SOCKET options that are the socket's identity, answered alike by every family.
    func identityOption(_ name: Int32, _ abi: GuestABI) -> [UInt8]? {
        let value: Int32
        switch name {
        case SO.type: value = kind.rawValue
        case SO.domain: value = family.rawValue
        case SO.protocolNumber: value = proto
        default: return nil
        }
        var e = GuestEncoder(abi)
        e.i32(value)
        return e.bytes
    }

    /// getsockopt: the option's bytes (the caller cuts them to the guest's length).
    func getOption(level: Int32, name: Int32, _ c: SyscallCall) throws(LinuxErrno) -> [UInt8] { throw .ENOPROTOOPT }
    func setOption(level: Int32, name: Int32, value: [UInt8], _ c: SyscallCall) throws(LinuxErrno) {}

    /// Socket ioctls: the interface requests (SIOCGIF*) every family answers (Net/InterfaceIoctl.swift).
    public override func ioctl(_ request: UInt32, _ argument: UInt64, task: Task, kernel: Kernel) throws(LinuxErrno) -> UInt64 {
        try InterfaceIoctl.handle(self, request, argument, task: task, kernel: kernel)
    }

    // read/write on a socket are recv/send without flags.
    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        if isStream { return try receiveBytes(into: buffer, skip: 0, flags: []).0 }
        let m = try receiveMessage(flags: [])
        let n = min(buffer.count, m.data.count)
        m.data.withUnsafeBytes { buffer.baseAddress?.copyMemory(from: $0.baseAddress!, byteCount: n) }
        return n
    }
    /// For the kernel's own writers (sendfile); the write family of calls goes through the
    /// socket send path (Sockets.swift), which also handles datagrams, SIGPIPE and timeouts.
    public override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        guard isStream else { throw .EINVAL }
        return try sendBytes(buffer, attached: nil, flags: [])
    }
}

/// An AF_UNIX or AF_INET/AF_INET6 socket of this machine.
///
/// A connected pair of stream (or seqpacket) sockets share two `SocketBuffer`s crosswise: each
/// reads its own `rx` and writes the peer's, so data moves with one copy in and one copy out,
/// as through a pipe. A listener keeps the server ends of connections made to it in `backlog`
/// until accept takes them. Datagram sockets have a message queue (`rx`) any sender may add to.
final class Socket: SocketFile {
    unowned let network: Network
    unowned let kernel: Kernel
    var options: SocketOptions
    /// `closed`: a TCP socket whose connection or connect attempt ended (Linux's TCP_CLOSE after
    /// a reset or a refusal): getpeername is ENOTCONN, its error is reported once, and a
    /// connect then starts afresh.
    enum State { case unconnected, listening, connecting, connected, closed }
    private(set) var state = State.unconnected
    /// The bound name (nil: not bound yet).
    private(set) var local: SocketAddress?
    /// The connected peer's name, or a datagram socket's default destination.
    private(set) var remote: SocketAddress?
    /// The port this socket holds in the port table (inet).
    private var heldPort: UInt16?
    /// The tmpfs node of a path-bound AF_UNIX socket.
    private weak var node: TmpSocket?
    private var abstractName: [UInt8]?
    let rx: SocketBuffer
    /// The peer's receive buffer, where sends go (connected stream and seqpacket sockets).
    private var tx: SocketBuffer?
    /// The socket at the other end (this machine's), or the datagram socket connected to.
    private weak var peer: Socket?
    private var peerCredentials: SocketCredentials?
    private var backlog: [Socket] = []
    private var backlogLimit = 0
    /// An error to report once (Linux's sk_err: SO_ERROR, or the next call): a refused
    /// non-blocking connect, a reset, an ICMP port unreachable on a connected UDP socket.
    private var pendingError: LinuxErrno?
    /// This socket's own shutdown(2) (and a TCP reset's): Linux's sk_shutdown bits, with what
    /// the peer did through the shared buffers (`receiveShutdown`, `sendShutdown`).
    private var shutRead = false
    private var shutWrite = false
    /// bind(2) chose the address / the port (Linux's SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK):
    /// a datagram socket's AF_UNSPEC disconnect keeps them, and gives up chosen ones.
    private var boundAddress = false
    private var boundPort = false
    /// A blocked datagram send waits on the full receiver's queue.
    private var blockedOn: WaitQueue?
    /// Datagram sockets connected to this one: told when this one's queue drains.
    private var connectedSenders: [WeakSocket] = []
    /// The host connection this socket's peer is (a published port's client, or an allowed
    /// outbound connection).
    private var link: HostLink?
    /// A connect whose completion was not reported yet (a non-blocking connect that gave
    /// EINPROGRESS, a blocking one waiting for the host's connect): the next connect returns
    /// 0, as Linux's does for a socket in SS_CONNECTING, and the one after that EISCONN.
    private var connectWaiting = false
    /// A datagram socket's host sockets, for destinations an `--allow` rule admits: one per
    /// address family the guest sent to (an AF_INET6 socket may send to both).
    private var hostDatagrams: [HostDatagramSocket] = []
    /// The connection in the `--pcap` capture, and which end of it this socket is.
    private var flow: PcapFlow?
    private var flowClientSide = false

    struct WeakSocket { weak var socket: Socket? }

    init(family: AddressFamily, kind: SocketKind, proto: Int32, kernel: Kernel, nonBlocking: Bool, owner: SocketCredentials) {
        self.kernel = kernel
        network = kernel.network
        options = SocketOptions(family: family, kind: kind)
        let number = kernel.network.nextSocketNumber
        kernel.network.nextSocketNumber &+= 1
        let q = WaitQueue()
        rx = SocketBuffer(readers: q, messageMode: kind.keepsBoundaries,
                          capacity: kind == .stream ? Socket.streamCapacity : options.receiveBuffer, account: kernel.memory)
        super.init(family: family, kind: kind, proto: proto, number: number, nonBlocking: nonBlocking, owner: owner, queue: q)
        network.register(self)
    }

    /// A stream's buffer: large enough that a 64 KiB writer runs well ahead of its reader.
    static let streamCapacity = 256 * 1024
    /// Linux's net.unix.max_dgram_qlen (10 by default): a unix datagram socket's queue is full
    /// to a sender that is not its peer once it holds more than this many datagrams (Linux's
    /// unix_recvq_full); the sender then waits, or gets EAGAIN.
    static let maxDatagramQueue = 10

    /// Whether `target`'s queue is full to this sender by the count of its datagrams (a
    /// socket connected back to the sender, as a socketpair's end, is limited by bytes only).
    private func datagramQueueFull(_ target: Socket) -> Bool {
        family == .unix && target.peer !== self && target.rx.queuedMessages > Socket.maxDatagramQueue
    }

    var isListening: Bool { state == .listening }
    /// The buffers whose messages this socket's owner could still receive: its own, and a
    /// listener's pending connections' (what the unix garbage collector scans).
    var queuedBuffers: [SocketBuffer] { [rx] + backlog.map(\.rx) }
    var isInet: Bool { family != .unix }
    override var sendWaitsOn: WaitQueue { blockedOn ?? queue }

    // MARK: names

    override func bind(_ address: SocketAddress, _ c: SyscallCall) throws(LinuxErrno) {
        // Linux makes a path's inode before it looks at the socket: an existing path is
        // EADDRINUSE and a missing directory ENOENT even on a bound socket.
        if case .unix(.path(let path)) = address, local != nil {
            guard !path.isEmpty else { throw .ENOENT }
            let (dir, name) = try CoreSyscalls.parent(c, dirfd: At.fdCWD, path: path)
            if (try? kernel.vfs.lookup(name, in: dir)) != nil { throw .EADDRINUSE }
        }
        guard local == nil else { throw .EINVAL }
        switch address {
        case .unix(.unnamed):
            try autobind()
        case .unix(.abstract(let name)):
            try network.bindAbstract(self, name)
            abstractName = name
            local = address
        case .unix(.path(let path)):
            guard !path.isEmpty else { throw .ENOENT }
            let (dir, name) = try CoreSyscalls.parent(c, dirfd: At.fdCWD, path: path)
            if (try? kernel.vfs.lookup(name, in: dir)) != nil { throw .EADDRINUSE }
            try CoreSyscalls.mayAddEntry(c, to: dir)
            let inode = try dir.inode.create(name, kind: .socket, mode: 0o777 & ~c.task.fs.umask, credentials: c.task.process.credentials)
            guard let socketNode = inode as? TmpSocket else { throw .EADDRNOTAVAIL }
            socketNode.socket = self
            node = socketNode
            local = address
        case .inet(let ip, let port):
            guard network.canBind(ip) else { throw .EADDRNOTAVAIL }
            if family == .inet6 && options.v6Only && ip.isV4 { throw .EINVAL }
            // Ports below 1024 need CAP_NET_BIND_SERVICE (root has it).
            if port != 0 && port < 1024 && c.task.process.credentials.euid != 0 { throw .EACCES }
            let p = try network.bind(self, ip: ip, port: port)
            heldPort = p
            local = .inet(ip, port: p)
            boundAddress = !ip.isUnspecified
            boundPort = port != 0
        case .netlink:
            throw .EINVAL
        }
    }

    /// Gives an unbound socket a name: an abstract autobind name (AF_UNIX, as Linux does for
    /// SO_PASSCRED senders and an empty bind) or an ephemeral port on `address`.
    private func autobind(address: IPAddress? = nil) throws(LinuxErrno) {
        guard local == nil else { return }
        if family == .unix {
            let name = try network.autobindName(self)
            abstractName = name
            local = .unix(.abstract(name))
            return
        }
        let ip = address ?? (family == .inet ? .anyV4 : .anyV6)
        let p = try network.bind(self, ip: ip, port: 0)
        heldPort = p
        local = .inet(ip, port: p)
    }

    override var localAddress: SocketAddress {
        if let local { return local }
        switch family {
        case .unix: return .unix(.unnamed)
        case .inet: return .inet(.anyV4, port: 0)
        default: return .inet(.anyV6, port: 0)
        }
    }

    override func peerAddress() throws(LinuxErrno) -> SocketAddress {
        absorbReset()
        guard let remote, state == .connected || !kind.isConnectionOriented else { throw .ENOTCONN }
        return remote
    }

    // MARK: connections

    override func listen(backlog n: Int32, _ c: SyscallCall) throws(LinuxErrno) {
        guard kind.isConnectionOriented else { throw .EOPNOTSUPP }
        // Linux's inet_listen: only a socket that is not connected (or connecting) listens.
        guard state == .unconnected || state == .closed || state == .listening else { throw .EINVAL }
        if local == nil {
            if family == .unix { throw .EINVAL }
            try autobind()
        } else if isInet, let p = heldPort, let ip = local?.ip, state != .listening {
            // SO_REUSEADDR let this socket share the port while nobody listened: a listener
            // on it already makes this listen EADDRINUSE (Linux checks again at listen).
            try network.checkFree(self, ip: ip, port: p)
        }
        // Linux caps the backlog at net.core.somaxconn and queues one more than it says.
        backlogLimit = Int(min(max(n, 0), Network.somaxconn)) + 1
        if state != .listening && isInet { network.audit(.listen, local: local, remote: nil, task: c.task) }
        state = .listening
        ownerCredentials = SocketCredentials(c.task)
        queue.notify([.output])  // connectors waiting for room (a larger backlog)
    }

    override func connect(_ address: SocketAddress?, _ c: SyscallCall) throws(LinuxErrno) -> Wait? {
        absorbReset()
        if state == .closed {
            // The end of a refused or reset connection is reported once, by SO_ERROR or by
            // this connect (ECONNABORTED when SO_ERROR took it); the socket is then fresh.
            let e = takeError() ?? .ECONNABORTED
            reopen()
            throw e
        }
        guard let address else { return try disconnectUnspecified() }
        if !kind.isConnectionOriented { try connectDatagram(address, c); return nil }
        switch state {
        case .connected:
            if connectWaiting { connectWaiting = false; return nil }  // the host connect finished
            throw .EISCONN
        case .connecting:
            if isNonBlocking { throw .EALREADY }
            return Wait.on(queue, [.output, .error, .hangUp])
        case .listening: throw isInet ? .EISCONN : .EINVAL
        case .unconnected: break
        case .closed: break  // reopened above
        }
        if case .inet(let ip, let port) = address, family != .unix {
            switch network.route(to: ip, port: port, udp: false) {
            case .local: break
            case .outbound: return try connectOutbound(ip, port, c)
            case .switched: return try connectSwitched(ip, port, c)
            case .gateway, .dns:
                _ = try refused()
            case .unreachable:
                network.audit(.denied, local: local, remote: HostSocket.Endpoint(ip, port), task: c.task)
                throw .ENETUNREACH
            }
        }
        let listener = try findListener(address, c)
        guard listener.kind == kind else { throw family == .unix ? .EPROTOTYPE : .ECONNREFUSED }
        if listener.backlog.count >= listener.backlogLimit {
            if isNonBlocking { throw .EAGAIN }
            return .on(listener.queue, [.output])
        }
        if case .inet(let ip, _) = address, local == nil || local?.ip?.isUnspecified == true {
            // The source address of the route; an unbound socket also gets a port.
            let source = network.sourceAddress(toward: ip)
            if let p = heldPort { local = .inet(source, port: p) } else { try autobind(address: source) }
        }
        let server = Socket(family: listener.family, kind: kind, proto: listener.proto, kernel: kernel, nonBlocking: false, owner: listener.ownerCredentials)
        server.options = listener.options
        if case .inet(let ip, let port) = address {
            server.local = .inet(ip.isUnspecified ? network.sourceAddress(toward: ip) : ip, port: port)
        } else {
            server.local = listener.local
        }
        server.remote = local ?? .unix(.unnamed)
        server.pair(with: self)
        server.peerCredentials = SocketCredentials(c.task)
        peerCredentials = listener.ownerCredentials
        remote = server.local
        if let f = network.captureFlow(client: local, server: server.local) {
            flow = f; flowClientSide = true
            server.flow = f
        }
        listener.backlog.append(server)
        listener.queue.notify([.input, .readNormal])
        // Linux's non-blocking TCP connect reports EINPROGRESS even when the handshake
        // completes at once on loopback; poll then shows the socket writable, and the next
        // connect returns 0.
        if isInet && isNonBlocking {
            connectWaiting = true
            throw .EINPROGRESS
        }
        return nil
    }

    /// connect(AF_UNSPEC): a datagram socket forgets its peer (and an address and port it did
    /// not bind itself); a TCP connection is dropped with a reset, as tcp_disconnect does,
    /// leaving ECONNRESET to report; a unix stream socket cannot.
    private func disconnectUnspecified() throws(LinuxErrno) -> Wait? {
        if !kind.isConnectionOriented {
            dissolveDatagramPeer()
            if isInet {
                if !boundPort, let p = heldPort { network.unbind(self, port: p); heldPort = nil; local = nil }
                if !boundAddress, case .inet(_, let port)? = local { local = .inet(family == .inet ? .anyV4 : .anyV6, port: port) }
            }
            return nil
        }
        guard isInet else { throw .EINVAL }
        switch state {
        case .listening: stopListening()
        case .connected:
            disconnect(reset: true)
            // A connection to the host ends now (its reset goes out), not when the link next
            // looks: the socket's buffers are about to be reused.
            link?.finish(reset: true)
            link = nil
            pendingError = .ECONNRESET
        case .connecting:
            link?.finish(reset: true)
            pendingError = .ECONNRESET
        case .unconnected, .closed: break
        }
        reopen()
        return nil
    }

    /// Makes a socket whose connection ended ready for a new one (shutdown bits cleared, its
    /// receive buffer empty and open).
    private func reopen() {
        state = .unconnected
        shutRead = false
        shutWrite = false
        connectWaiting = false
        tx = nil
        peer = nil
        remote = nil
        link?.finish(reset: true)
        link = nil
        rx.reopen()
    }

    /// The listening socket `address` names, or the errno Linux gives when there is none.
    private func findListener(_ address: SocketAddress, _ c: SyscallCall) throws(LinuxErrno) -> Socket {
        switch address {
        case .unix(.path(let path)):
            let target = try unixTarget(path: path, c)
            guard target.isListening else { throw .ECONNREFUSED }
            return target
        case .unix(.abstract(let name)):
            guard let s = network.abstractSocket(name), s.isListening else { throw .ECONNREFUSED }
            return s
        case .unix(.unnamed): throw .EINVAL
        case .inet(let ip, let port):
            if family == .inet6 && options.v6Only && ip.isV4 { throw .ENETUNREACH }
            guard port != 0, let s = network.listener(ip: ip, port: port) else { return try refused() }
            return s
        case .netlink: throw .EINVAL
        }
    }

    /// A connect nobody listens for: ECONNREFUSED, or for a non-blocking TCP connect,
    /// EINPROGRESS now and the refusal through SO_ERROR and poll (POLLERR | POLLHUP).
    private func refused() throws(LinuxErrno) -> Socket {
        if isInet && isNonBlocking {
            endConnection(error: .ECONNREFUSED)
            throw .EINPROGRESS
        }
        throw .ECONNREFUSED
    }

    /// A TCP connection (or connect attempt) ended by the other side, as Linux's tcp_reset
    /// and tcp_done leave it: the error to report once, both directions shut, TCP_CLOSE.
    private func endConnection(error: LinuxErrno) {
        pendingError = error
        guard isInet && kind == .stream else { return }
        state = .closed
        shutRead = true
        shutWrite = true
        connectWaiting = false
        queue.notify([.input, .readNormal, .readHangUp, .output, .error, .hangUp])
    }

    /// Takes in a reset the peer left in `rx` (it closed with data unread, or the host reset
    /// the connection): ECONNRESET to report once, after the data still queued; for TCP the
    /// connection is over.
    private func absorbReset() {
        guard rx.reset else { return }
        rx.reset = false
        if isInet && kind == .stream { endConnection(error: .ECONNRESET) } else { pendingError = .ECONNRESET }
    }

    /// The socket bound at a path: ENOENT when there is no such file, ECONNREFUSED when it is
    /// not a socket anyone here bound (a host socket file is never reached).
    private func unixTarget(path: [UInt8], _ c: SyscallCall) throws(LinuxErrno) -> Socket {
        let location = try CoreSyscalls.resolve(c, dirfd: At.fdCWD, path: path, follow: true)
        guard location.inode.kind == .socket else { throw .ECONNREFUSED }
        guard let s = (location.inode as? TmpSocket)?.socket else { throw .ECONNREFUSED }
        return s
    }

    /// A connection out through a host socket, which an `--allow` rule admits: the host's
    /// non-blocking connect starts now; the socket is connecting until the host says how it
    /// went (a blocking connect waits for that).
    private func connectOutbound(_ ip: IPAddress, _ port: UInt16, _ c: SyscallCall) throws(LinuxErrno) -> Wait? {
        let destination = HostSocket.Endpoint(ip, port)
        // Each host connection holds a host descriptor: a machine keeps at most `maxLinks`.
        guard network.hostSocketsInUse < Network.maxLinks else { throw .ENOBUFS }
        // The name first: a failure here must not leave a host socket behind.
        if local == nil || local?.ip?.isUnspecified == true {
            let source = network.sourceAddress(toward: ip)
            if let p = heldPort { local = .inet(source, port: p) } else { try autobind(address: source) }
        }
        let (fd, inProgress): (HostFD, Bool)
        do {
            (fd, inProgress) = try HostSocket.connect(to: destination, stream: true)
        } catch {
            network.audit(.refused, local: local, remote: destination, task: c.task)
            throw error == .ECONNREFUSED || error == .ENETUNREACH || error == .EHOSTUNREACH ? error : .ECONNREFUSED
        }
        let link = HostLink(kernel: kernel, fd: fd, remote: destination)
        link.capture(network.captureFlow(client: local, server: .inet(ip, port: port)), guestIsClient: true)
        attach(link)
        remote = .inet(ip, port: port)
        network.audit(.connect, local: local, remote: destination, task: c.task)
        let name = localAddress
        link.onClose = { [weak network] l in network?.auditClose(l, local: name) }
        if inProgress {
            state = .connecting
            link.awaitConnect(self)
            // A later connect returns 0 once the connection is made (blocking or not).
            connectWaiting = true
            if isNonBlocking { throw .EINPROGRESS }
            return Wait.on(queue, [.output, .error, .hangUp])
        }
        state = .connected
        link.attach(rx)
        if isNonBlocking { throw .EINPROGRESS }
        return nil
    }

    /// A connection to another machine on the switch: the switch hands both machines an end
    /// of a host socket pair, or refuses (`SwitchPort`).
    private func connectSwitched(_ ip: IPAddress, _ port: UInt16, _ c: SyscallCall) throws(LinuxErrno) -> Wait? {
        guard let switchPort = network.switchPort else { throw .ENETUNREACH }
        if local == nil || local?.ip?.isUnspecified == true {
            let source = network.config.address
            if let p = heldPort { local = .inet(source, port: p) } else { try autobind(address: source) }
        }
        // A socket bound to loopback cannot speak for the machine on the switch (Linux: no
        // route from 127.0.0.1 to another host).
        guard let source = local?.endpoint, source.address == network.config.address else { throw .EINVAL }
        try switchPort.requestConnection(self, to: HostSocket.Endpoint(ip, port), from: source)
        remote = .inet(ip, port: port)
        state = .connecting
        connectWaiting = true
        if isNonBlocking { throw .EINPROGRESS }
        return Wait.on(queue, [.output, .error, .hangUp])
    }

    /// The switch connected this socket to another machine through `fd`.
    func switchConnected(_ fd: HostFD) {
        guard state == .connecting, let destination = remote?.endpoint else { fd.close(); return }
        let link = HostLink(kernel: kernel, fd: fd, remote: destination)
        link.capture(network.captureFlow(client: local, server: remote), guestIsClient: true)
        attach(link)
        let name = localAddress
        link.onClose = { [weak network] l in network?.auditClose(l, local: name) }
        state = .connected
        link.attach(rx)
        queue.notify([.output, .writeNormal])
    }

    /// Makes `link` this socket's peer: sends go to the link's buffer, the link fills `rx`.
    private func attach(_ link: HostLink) {
        self.link = link
        tx = link.toHost
        link.toHost.writers = queue
        rx.writers = link.queue
    }

    /// The host finished an outbound connect.
    func externalConnectDone() {
        guard state == .connecting, let link else { return }
        state = .connected
        link.attach(rx)
        queue.notify([.output, .writeNormal])
    }

    /// The host (or the switch) refused an outbound connect: the socket is closed with the
    /// error to report once, as a refused TCP handshake leaves it (a waiting connect returns
    /// it; a non-blocking one shows it through SO_ERROR and poll).
    func externalConnectFailed(_ error: LinuxErrno) {
        guard state == .connecting else { return }
        tx = nil
        link = nil
        endConnection(error: error)
    }

    /// A connection from outside the machine (a `--publish` client), queued on this listener
    /// as a local connect would queue one: its server end talks to `link`. nil when the
    /// backlog is full (the client is then reset, as a SYN the kernel drops).
    func acceptExternal(remote: SocketAddress, local: SocketAddress, link: HostLink) -> Socket? {
        guard state == .listening, backlog.count < backlogLimit else { return nil }
        // An AF_INET listener cannot show an IPv6 client (a host client of a published port
        // on an IPv6 address): it sees it come from the gateway, as QEMU's user networking
        // shows every host client.
        var remote = remote
        if family == .inet, case .inet(let ip, let port) = remote, !ip.isV4 { remote = .inet(network.config.gateway, port: port) }
        let server = Socket(family: family, kind: kind, proto: proto, kernel: kernel, nonBlocking: false, owner: ownerCredentials)
        server.options = options
        server.local = local
        server.remote = remote
        server.attach(link)
        server.state = .connected
        link.attach(server.rx)
        backlog.append(server)
        queue.notify([.input, .readNormal])
        return server
    }

    /// Joins this socket and `other` crosswise (each writes the other's receive buffer).
    private func pair(with other: Socket) {
        tx = other.rx
        other.tx = rx
        rx.writers = other.queue
        other.rx.writers = queue
        peer = other
        other.peer = self
        state = .connected
        other.state = .connected
    }

    /// A connected pair of new sockets (socketpair).
    static func makePair(family: AddressFamily, kind: SocketKind, proto: Int32, kernel: Kernel, nonBlocking: Bool, task: Task) -> (Socket, Socket) {
        let creds = SocketCredentials(task)
        let a = Socket(family: family, kind: kind, proto: proto, kernel: kernel, nonBlocking: nonBlocking, owner: creds)
        let b = Socket(family: family, kind: kind, proto: proto, kernel: kernel, nonBlocking: nonBlocking, owner: creds)
        // Each names the other as its (unnamed) peer: getpeername gives the family alone.
        a.remote = .unix(.unnamed); b.remote = .unix(.unnamed)
        if kind.isConnectionOriented {
            a.pair(with: b)
        } else {
            a.peer = b; b.peer = a
            a.connectedSenders.append(WeakSocket(socket: b))
            b.connectedSenders.append(WeakSocket(socket: a))
        }
        a.peerCredentials = creds; b.peerCredentials = creds
        return (a, b)
    }

    override func accept(_ c: SyscallCall) throws(LinuxErrno) -> SocketFile {
        guard kind.isConnectionOriented else { throw .EOPNOTSUPP }
        guard state == .listening else { throw .EINVAL }
        guard !backlog.isEmpty else { throw .EAGAIN }
        let s = backlog.removeFirst()
        queue.notify([.output])  // room for a waiting connector
        return s
    }

    /// shutdown(2). Linux sets the shutdown bits whether or not the socket is connected; an
    /// AF_UNIX socket also tells its peer (SHUT_RD here is SEND_SHUTDOWN there), TCP only
    /// sends a FIN for SHUT_WR, and an AF_INET socket that is not connected reports ENOTCONN
    /// after setting them.
    override func shutdown(_ how: Int32) throws(LinuxErrno) {
        guard how >= 0 && how <= 2 else { throw .EINVAL }
        absorbReset()
        if state == .listening && isInet {
            // Linux: SHUT_RD on a TCP listener stops it; blocked accepts return EINVAL.
            if how != 1 { stopListening() }
            return
        }
        let connected = state == .connected || (!kind.isConnectionOriented && remote != nil)
        if how != 1 {  // SHUT_RD
            shutRead = true
            if !isInet { rx.readClosed = true }
            queue.notify([.input, .readNormal, .readHangUp])
        }
        if how != 0 {  // SHUT_WR
            if !shutWrite, connected, kind.isConnectionOriented { flow?.end(fromClient: flowClientSide) }
            shutWrite = true
            if connected, let tx { tx.writeClosed = true; tx.readers.notify([.input, .readNormal, .readHangUp]) }
            queue.notify([.output])
        }
        if isInet && !connected { throw .ENOTCONN }
    }

    private func stopListening() {
        state = .unconnected
        let pending = backlog
        backlog = []
        // Linux resets connections nobody accepted (unix_release_sock's embryos too).
        for s in pending { s.disconnect(reset: true) }
        queue.notify([.input, .output, .hangUp])
    }

    /// The end of this socket's side of a connection: the peer reads EOF after what is queued
    /// (ECONNRESET once, after its data, if this side left data unread: TCP's RST, and
    /// unix_release_sock's sk_err), and its writes fail with EPIPE (TCP: after one that draws
    /// the reset).
    private func disconnect(reset: Bool = false) {
        guard state == .connected else { return }
        flow?.end(fromClient: flowClientSide)
        let unread = !rx.isEmpty
        // This end reads no more before the peer is told: a host link woken by the notice
        // sees both directions finished and closes its host socket now (told first, it waited
        // for a notice that never came, and held the host connection until the machine ended).
        rx.readClosed = true
        rx.clear()
        if let tx {
            tx.writeClosed = true
            if reset || unread { tx.reset = true }
            tx.readers.notify([.input, .readNormal, .readHangUp, .hangUp, .error, .output])
        }
        state = .unconnected
    }

    public override func release() {
        network.releasesInProgress += 1
        defer {
            network.releasesInProgress -= 1
            // Linux's unix_release_sock runs the collector while sockets are in flight.
            if family == .unix && network.releasesInProgress == 0 { network.collectUnixGarbage() }
        }
        switch state {
        case .listening: stopListening()
        // SO_LINGER with a zero time: an abortive close, as Linux's tcp_close sends a reset.
        case .connected: disconnect(reset: isInet && options.linger.on != 0 && options.linger.seconds == 0)
        case .connecting: link?.finish(reset: true)
        case .unconnected, .closed:
            rx.clear()
            // A connection to the host that ended by a reset or an error: its host end goes now.
            link?.finish(reset: true)
        }
        // Nothing reads here any more: a datagram sender connected to this socket is refused.
        rx.readClosed = true
        link = nil
        for h in hostDatagrams { h.close() }
        hostDatagrams = []
        if let p = heldPort { network.unbind(self, port: p); heldPort = nil }
        if let name = abstractName { network.unbindAbstract(name); abstractName = nil }
        if let node, node.socket === self { node.socket = nil }
        // Datagram sockets connected to this one now have no receiver.
        for s in connectedSenders { s.socket?.queue.notify([.output, .error]) }
    }

    // MARK: datagram peers

    private func connectDatagram(_ address: SocketAddress, _ c: SyscallCall) throws(LinuxErrno) {
        var target: Socket?
        if case .socket(let t) = try datagramDestination(address, c) { target = t }
        dissolveDatagramPeer()
        remote = address
        if let target {
            peer = target
            target.connectedSenders.removeAll { $0.socket == nil || $0.socket === self }
            target.connectedSenders.append(WeakSocket(socket: self))
        }
        if case .inet(let ip, _) = address, local == nil || local?.ip?.isUnspecified == true {
            let source = network.sourceAddress(toward: ip)
            if let p = heldPort { local = .inet(source, port: p) } else { try autobind(address: source) }
        }
        if family == .unix && options.passCredentials { try autobind() }
    }

    private func dissolveDatagramPeer() {
        if let p = peer { p.connectedSenders.removeAll { $0.socket == nil || $0.socket === self } }
        peer = nil
        remote = nil
    }

    /// Where a datagram to `address` goes.
    enum DatagramDestination {
        /// A socket of this machine (nil: nobody is bound there, and the datagram is dropped,
        /// as Linux drops it after an ICMP port unreachable).
        case socket(Socket?)
        /// umlab's DNS answerer.
        case dns
        /// Out through a host socket.
        case host(HostSocket.Endpoint)
        /// Another machine on the switch.
        case machine(HostSocket.Endpoint)
    }

    private func datagramDestination(_ address: SocketAddress, _ c: SyscallCall) throws(LinuxErrno) -> DatagramDestination {
        if case .inet(let ip, let port) = address {
            if family == .inet6 && options.v6Only && ip.isV4 { throw .ENETUNREACH }
            switch network.route(to: ip, port: port, udp: true) {
            case .local: break
            case .dns: return .dns
            case .gateway: return .socket(nil)
            case .outbound: return .host(HostSocket.Endpoint(ip, port))
            case .switched: return .machine(HostSocket.Endpoint(ip, port))
            case .unreachable:
                network.audit(.denied, local: local, remote: HostSocket.Endpoint(ip, port), extra: [("proto", "\"udp\"")], task: c.task)
                throw .ENETUNREACH
            }
        }
        return .socket(try datagramTarget(address, c))
    }

    /// The receiving socket of a datagram to `address` of this machine.
    private func datagramTarget(_ address: SocketAddress, _ c: SyscallCall) throws(LinuxErrno) -> Socket? {
        switch address {
        case .unix(.path(let path)):
            let t = try unixTarget(path: path, c)
            guard t.kind == kind else { throw .EPROTOTYPE }
            return t
        case .unix(.abstract(let name)):
            guard let t = network.abstractSocket(name) else { throw .ECONNREFUSED }
            guard t.kind == kind else { throw .EPROTOTYPE }
            return t
        case .unix(.unnamed): throw .EINVAL
        case .inet(let ip, let port):
            return port == 0 ? nil : network.datagramReceiver(ip: ip, port: port)
        case .netlink: throw .EINVAL
        }
    }

    // MARK: data

    override func sendBytes(_ bytes: UnsafeRawBufferPointer, attached: SocketMessage?, flags: MessageFlags) throws(LinuxErrno) -> Int {
        absorbReset()
        if let e = takeError() { throw e }
        if state == .connecting { throw .EAGAIN }  // a send waits for the connection
        // Linux: a TCP send on a socket that is not connected is EPIPE (and SIGPIPE).
        guard state == .connected, let tx else { throw shutWrite || isInet ? .EPIPE : .ENOTCONN }
        if shutWrite || (tx.readClosed && !isInet) { throw .EPIPE }
        if bytes.isEmpty { return 0 }
        if tx.readClosed {
            // The TCP peer is gone: this send still leaves (Linux only learns from the reset
            // it draws), and the connection ends with EPIPE to report.
            endConnection(error: .EPIPE)
            return bytes.count
        }
        let n = try tx.write(bytes, attached: attached)
        if n == 0 { throw .EAGAIN }
        if let flow { flow.data(fromClient: flowClientSide, UnsafeRawBufferPointer(rebasing: bytes[0..<n])) }
        return n
    }

    /// A UDP datagram's payload fits an IP packet (65535 less the headers: IPv4's 20 and
    /// UDP's 8; IPv6's header is not counted in its payload length); a unix message fits the
    /// sender's SO_SNDBUF less Linux's 32 bytes of slack.
    override var messageSizeLimit: Int {
        isInet ? (family == .inet ? 65_507 : 65_527) : options.sendBuffer - 32
    }

    /// MSG_TRUNC on a TCP socket discards what it reads; a unix stream ignores the flag.
    override var truncateDiscards: Bool { isInet }

    override func receiveBytes(into buffer: UnsafeMutableRawBufferPointer, skip: Int, flags: MessageFlags) throws(LinuxErrno) -> (Int, SocketMessage?) {
        absorbReset()
        if rx.isEmpty || skip >= rx.count {
            // Queued data first, then an error (a reset), then the end of the stream.
            if state == .listening { throw isInet ? .ENOTCONN : .EINVAL }
            if let e = takeError() { throw e }
            if rx.writeClosed || shutRead { return (0, nil) }
            if state == .connecting { throw .EAGAIN }
            if state != .connected { throw isInet ? .ENOTCONN : .EINVAL }
            throw .EAGAIN
        }
        if buffer.isEmpty { return (0, nil) }
        let (limit, message) = rx.readLimit(skip: skip, separateCredentials: options.passCredentials)
        let want = min(buffer.count, limit)
        if flags.contains(.truncated) && truncateDiscards {
            let n = min(want, rx.count - skip)
            if !flags.contains(.peek) { rx.discard(n) }
            return (n, nil)
        }
        let n = rx.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), skip: skip, peek: flags.contains(.peek))
        return (n, message)
    }

    override func sendMessage(_ message: SocketMessage, to destination: SocketAddress?, flags: MessageFlags, _ c: SyscallCall) throws(LinuxErrno) {
        if let e = takeError() { throw e }
        blockedOn = nil
        if kind == .seqpacket {
            if destination != nil && state != .connected { throw .ENOTCONN }
            guard state == .connected, let tx else { throw .ENOTCONN }
            if shutWrite || tx.readClosed { throw .EPIPE }
            guard message.data.count <= messageSizeLimit else { throw .EMSGSIZE }
            guard tx.hasRoom(forMessage: message.data.count) else { throw .EAGAIN }
            tx.enqueue(SocketMessage(data: message.data, from: nil, rights: message.rights, credentials: message.credentials))
            return
        }
        // Datagrams.
        if shutWrite { throw .EPIPE }
        guard message.data.count <= messageSizeLimit else { throw .EMSGSIZE }
        var target: Socket?
        let to: SocketAddress
        var outside: DatagramDestination?
        if let destination {
            to = destination
            switch try datagramDestination(destination, c) {
            case .socket(let t): target = t
            case let other: outside = other
            }
        } else {
            guard let remote else { throw isInet ? .EDESTADDRREQ : .ENOTCONN }
            to = remote
            if family == .unix {
                guard let p = peer, p.rx.readClosed == false else {
                    // Linux's unix_dgram_sendmsg finds the peer dead: refused once, and the
                    // socket is no longer connected.
                    dissolveDatagramPeer()
                    throw .ECONNREFUSED
                }
                target = p
            } else {
                switch try datagramDestination(remote, c) {
                case .socket(let t): target = t
                case let other: outside = other
                }
            }
        }
        // The sender needs a name to be answered at.
        if isInet {
            if local == nil { try autobind() }
        } else if options.passCredentials || (target?.options.passCredentials ?? false) {
            try autobind()
        }
        var source = local ?? localAddress
        if case .inet(let ip, let port) = source, ip.isUnspecified, case .inet(let dest, _) = to {
            source = .inet(network.sourceAddress(toward: dest), port: port)
        }
        if isInet { network.captureDatagram(from: source, to: to, message.data) }
        switch outside {
        case .dns?:
            // Answered at once, from 10.0.2.3:53.
            let reply = network.answerDNS(message.data)
            // The verdict: the response code umlab answered with (NOERROR for allowed names).
            let verdict = reply.map { ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP"][Int(min($0[3] & 0x0f, 4))] } ?? "ignored"
            network.audit(.dns, local: local, remote: nil,
                          extra: [("query", JSONText.quote(DNSAnswerer.questionName(message.data) ?? "?")), ("answer", JSONText.quote(verdict))], task: c.task)
            if let reply, rx.hasRoom(forMessage: reply.count) {
                network.captureDatagram(from: to, to: source, reply)
                rx.enqueue(SocketMessage(data: reply, from: .inet(network.config.dns, port: 53)))
            }
            return
        case .host(let endpoint)?:
            if let port = network.udpClients[endpoint] {
                // Only the guest socket the client talked to answers it: a published port is
                // not a way out for the rest of the machine (a UDP source is easy to forge).
                guard local?.port == port.rule.guestPort else { throw .ENETUNREACH }
                port.send(message.data, to: endpoint)
                return
            }
            let v6 = !endpoint.address.isV4
            var host = hostDatagrams.first { $0.v6 == v6 }
            if host == nil {
                host = try HostDatagramSocket(kernel: kernel, owner: self, v6: v6)
                hostDatagrams.append(host!)
            }
            try host!.send(message.data, to: endpoint)
            return
        case .machine(let endpoint)?:
            guard let sourcePort = local?.port, let switchPort = network.switchPort else { throw .ENETUNREACH }
            switchPort.sendDatagram(message.data, from: self, sourcePort: sourcePort, to: endpoint.address, port: endpoint.port)
            return
        default: break
        }
        guard let target else {
            // Nobody bound there: dropped. A connected UDP socket learns of it (ICMP).
            if destination == nil && isInet { pendingError = .ECONNREFUSED }
            return
        }
        if target.rx.readClosed { throw .ECONNREFUSED }
        if family == .unix, let p = target.peer, p !== self, target.remote != nil { throw .EPERM }
        guard target.rx.hasRoom(forMessage: message.data.count) && !datagramQueueFull(target) else {
            if isInet { return }  // a full UDP receive queue drops the datagram
            blockedOn = target.queue
            throw .EAGAIN
        }
        var from = local ?? localAddress
        if case .inet(let ip, let port) = from, ip.isUnspecified, case .inet(let dest, _) = to {
            from = .inet(network.sourceAddress(toward: dest), port: port)
        }
        // A connected UDP socket takes datagrams from its peer only (the lookup's exact match).
        if isInet, case .inet(let peerIP, let peerPort)? = target.remote, case .inet(let fromIP, let fromPort) = from,
           fromPort != peerPort || Socket.loopbackIfUnspecified(fromIP) != Socket.loopbackIfUnspecified(peerIP) {
            return
        }
        target.rx.enqueue(SocketMessage(data: message.data, from: from, rights: message.rights, credentials: message.credentials))
    }

    /// A datagram from outside the machine (another machine on the switch, or an allowed host
    /// answering): queued unless the queue is full (dropped, as UDP drops) or the socket is
    /// connected to someone else.
    func receiveDatagram(_ data: [UInt8], from: SocketAddress) {
        guard kind == .datagram, !rx.readClosed, rx.hasRoom(forMessage: data.count) else { return }
        if case .inet(let peerIP, let peerPort)? = remote, case .inet(let fromIP, let fromPort) = from,
           peerIP != fromIP || peerPort != fromPort {
            return
        }
        rx.enqueue(SocketMessage(data: data, from: from))
    }

    /// An ICMP error about a datagram this socket sent to `destination`: reported (SO_ERROR,
    /// or the next call) only if the socket is connected to it, as Linux's udp_err does
    /// without IP_RECVERR.
    func datagramError(_ error: LinuxErrno, from destination: SocketAddress) {
        guard kind == .datagram, case .inet(let peerIP, let peerPort)? = remote, case .inet(let ip, let port) = destination,
              peerIP == ip, peerPort == port else { return }
        pendingError = error
        queue.notify([.error])
    }

    /// `flags` has MSG_DONTWAIT for a non-blocking socket too.
    override func receiveMessage(flags: MessageFlags) throws(LinuxErrno) -> SocketMessage {
        absorbReset()
        if let m = rx.dequeue(peek: flags.contains(.peek)) {
            if !flags.contains(.peek) { for s in connectedSenders { s.socket?.queue.notify([.output, .writeNormal]) } }
            return m
        }
        if let e = takeError() { throw e }
        if kind == .seqpacket {
            if rx.writeClosed || shutRead { return SocketMessage(data: []) }
            if state == .listening { throw .EINVAL }
            if state != .connected { throw .ENOTCONN }
        }
        // A datagram socket shut for reading: a blocking receive returns 0 at once, a
        // non-blocking one still finds nothing (Linux's __skb_wait_for_more_packets).
        if shutRead && !flags.contains(.dontWait) { return SocketMessage(data: []) }
        throw .EAGAIN
    }

    static func loopbackIfUnspecified(_ ip: IPAddress) -> IPAddress {
        ip.isUnspecified ? (ip.isV4 ? .loopbackV4 : .loopbackV6) : ip
    }

    private func takeError() -> LinuxErrno? {
        defer { pendingError = nil }
        return pendingError
    }

    // MARK: readiness

    /// Readiness as Linux's unix_poll, unix_dgram_poll, tcp_poll and udp_poll give it, from
    /// the shutdown bits: RCV_SHUTDOWN (this side's SHUT_RD, or the peer's end of writing)
    /// reads as POLLIN | POLLRDHUP, both bits as POLLHUP, and a connection-oriented socket
    /// in TCP_CLOSE (never connected, or no longer) is hung up too. Writability ignores
    /// SEND_SHUTDOWN (a send then fails at once, which is "ready").
    public override func poll() -> PollEvents {
        absorbReset()
        var ev: PollEvents = []
        if pendingError != nil { ev.insert(.error) }
        if state == .listening {
            if !backlog.isEmpty { ev.insert([.input, .readNormal]) }
            return ev
        }
        let receiveShutdown = shutRead || rx.writeClosed
        // AF_UNIX: the peer's SHUT_RD or close is this side's SEND_SHUTDOWN.
        let sendShutdown = shutWrite || (!isInet && kind.isConnectionOriented && state == .connected && (tx?.readClosed ?? false))
        if receiveShutdown { ev.insert([.input, .readNormal, .readHangUp]) }
        if receiveShutdown && sendShutdown { ev.insert(.hangUp) }
        if !rx.isEmpty { ev.insert([.input, .readNormal]) }
        if kind.isConnectionOriented && (state == .unconnected || state == .closed) { ev.insert(.hangUp) }
        if state == .connecting { return ev }
        if writable { ev.insert([.output, .writeNormal]) }
        return ev
    }

    /// Whether a send would find room now (or fail at once).
    private var writable: Bool {
        if kind.isConnectionOriented {
            guard state == .connected, let tx, !shutWrite, !tx.readClosed else { return true }
            return kind == .stream ? tx.space > 0 : tx.hasRoom(forMessage: 1)
        }
        // A unix datagram socket connected to another that does not talk back waits for
        // room in that one's queue (unix_dgram_poll); UDP always has room (full queues drop).
        if family == .unix, let p = peer, !p.rx.readClosed, p.peer !== self {
            return p.rx.hasRoom(forMessage: 1) && !datagramQueueFull(p)
        }
        return true
    }

    /// FIONREAD / SIOCINQ: the bytes queued (a datagram socket: the first message's).
    override func inputQueueLength() throws(LinuxErrno) -> Int {
        if state == .listening { throw .EINVAL }
        return kind == .seqpacket ? rx.messageBytes : rx.readable
    }

    public override var bytesReadable: Int { rx.readable }

    // MARK: options

    override func getOption(level: Int32, name: Int32, _ c: SyscallCall) throws(LinuxErrno) -> [UInt8] {
        var e = GuestEncoder(c.abi)
        func int(_ v: Int32) -> [UInt8] { e.i32(v); return e.bytes }
        if level == OptionLevel.socket, let identity = identityOption(name, c.abi) { return identity }
        if level == OptionLevel.socket {
            switch name {
            case SO.error: return int(takeError().map { Int32($0.rawValue) } ?? 0)
            case SO.acceptConnections: return int(state == .listening ? 1 : 0)
            case SO.reuseAddress: return int(options.reuseAddress ? 1 : 0)
            case SO.reusePort: return int(options.reusePort ? 1 : 0)
            case SO.passCredentials: return int(options.passCredentials ? 1 : 0)
            case SO.receiveBuffer: return int(Int32(clamping: options.receiveBuffer))
            case SO.sendBuffer: return int(Int32(clamping: options.sendBuffer))
            case SO.receiveLowWater: return int(1)
            case SO.linger:
                e.i32(options.linger.on); e.i32(options.linger.seconds)
                return e.bytes
            case SO.peerCredentials:
                guard family == .unix else { throw .ENOTCONN }
                // Not connected: pid 0 and the invalid ids (-1), as Linux reports no peer.
                let p = peerCredentials ?? SocketCredentials(pid: 0, uid: .max, gid: .max)
                e.i32(p.pid); e.u32(p.uid); e.u32(p.gid)
                return e.bytes
            case SO.receiveTimeout, SO.sendTimeout, SO.receiveTimeoutNew, SO.sendTimeoutNew:
                let ns = (name == SO.receiveTimeout || name == SO.receiveTimeoutNew ? options.receiveTimeout : options.sendTimeout) ?? 0
                let s = Int64(ns / 1_000_000_000), us = Int64(ns % 1_000_000_000 / 1000)
                if name >= SO.receiveTimeoutNew { e.i64(s); e.i64(us) } else { e.sword(s); e.sword(us) }
                return e.bytes
            case SO.bindToDevice: return []
            case SO.peerName:
                return SockaddrCodec.encode(try peerAddress(), family: family, abi: c.abi)
            default: break
            }
        } else {
            try checkLevel(level, set: false)
            if level == OptionLevel.ipv6 && name == 26 { return int(options.v6Only ? 1 : 0) }  // IPV6_V6ONLY
            if level == OptionLevel.tcp && name == 13 { return Array("cubic".utf8) + [0] }  // TCP_CONGESTION
            if level == OptionLevel.tcp && name == 11 { return tcpInfo() }  // TCP_INFO
            if level == OptionLevel.ip && name == 14 || level == OptionLevel.ipv6 && name == 24 {  // IP_MTU, IPV6_MTU
                guard state == .connected else { throw .ENOTCONN }
                return int(65536)
            }
        }
        let key = SocketOptions.key(level, name)
        guard let d = SocketOptions.integerDefaults[key] else { throw .ENOPROTOOPT }
        return int(options.values[key] ?? d)
    }

    /// The protocol levels a socket of this family and type answers, with Linux's errno for
    /// the others: a unix socket has only SOL_SOCKET (EOPNOTSUPP); an AF_INET6 socket also
    /// answers SOL_IP and gives ENOPROTOOPT; an AF_INET one gives EOPNOTSUPP to getsockopt
    /// (do_ip_getsockopt) and ENOPROTOOPT to setsockopt. A level umlab does not know at all is
    /// let through to setsockopt (accepted and counted as unknown).
    private func checkLevel(_ level: Int32, set: Bool) throws(LinuxErrno) {
        guard isInet else { throw .EOPNOTSUPP }
        let answered: Bool
        switch level {
        case OptionLevel.ip: answered = true
        case OptionLevel.ipv6: answered = family == .inet6
        case OptionLevel.tcp: answered = kind == .stream
        case OptionLevel.udp: answered = kind == .datagram
        default:
            if set { return }
            answered = false
        }
        if !answered { throw family == .inet6 || set ? .ENOPROTOOPT : .EOPNOTSUPP }
    }

    /// struct tcp_info with the state and little else (an emulated connection has no RTT).
    private func tcpInfo() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 232)
        b[0] = state == .connected ? 1 : state == .listening ? 10 : 7  // TCP_ESTABLISHED, LISTEN, CLOSE
        return b
    }

    // MARK: what the network view reads (Net/SocketTable.swift)

    var backlogLength: Int { backlog.count }
    /// The backlog listen() asked for, as Linux's sk_max_ack_backlog (capped at somaxconn).
    var backlogCapacity: Int { max(backlogLimit - 1, 0) }
    var peerNumber: UInt64? { peer?.number }
    /// Bytes sent to the connected peer that it has not read yet.
    var unreadByPeer: Int { tx.map { $0.messageMode ? $0.messageBytes : $0.count } ?? 0 }
    /// SHUT_RD (1) and SHUT_WR (2) as Linux's sk_shutdown.
    var shutdownMask: UInt8 { (shutRead ? 1 : 0) | (shutWrite ? 2 : 0) }

    override func setOption(level: Int32, name: Int32, value: [UInt8], _ c: SyscallCall) throws(LinuxErrno) {
        var d = GuestDecoder(value, c.abi)
        func int() throws(LinuxErrno) -> Int32 {
            guard value.count >= 4 else { throw .EINVAL }
            return d.i32()
        }
        if level == OptionLevel.socket {
            switch name {
            case SO.reuseAddress: options.reuseAddress = try int() != 0; return
            case SO.reusePort: options.reusePort = try int() != 0; return
            case SO.passCredentials: options.passCredentials = try int() != 0; return
            case SO.receiveBuffer, SO.receiveBufferForce:
                // Linux doubles the value (bookkeeping overhead), within rmem_max unless forced.
                let v = try Socket.bufferRequest(int(), forced: name == SO.receiveBufferForce)
                options.receiveBuffer = max(2304, 2 * v)
                // The stream's window follows it down as well as up: a peer that stops reading
                // holds back a sender after about this much, as on Linux (asyncio's sendfile
                // tests rely on it to see a reset mid-transfer).
                rx.capacity = rx.messageMode ? options.receiveBuffer : min(options.receiveBuffer, 8 << 20)
                return
            case SO.sendBuffer, SO.sendBufferForce:
                let v = try Socket.bufferRequest(int(), forced: name == SO.sendBufferForce)
                options.sendBuffer = max(4608, 2 * v)
                return
            case SO.linger:
                guard value.count >= 8 else { throw .EINVAL }
                options.linger = (d.i32(), d.i32())
                return
            case SO.receiveTimeout, SO.sendTimeout, SO.receiveTimeoutNew, SO.sendTimeoutNew:
                let wide = name >= SO.receiveTimeoutNew
                guard value.count >= (wide ? 16 : 2 * c.abi.wordSize) else { throw .EINVAL }
                let s = wide ? d.i64() : d.sword(), us = wide ? d.i64() : d.sword()
                guard us >= 0 && us < 1_000_000 else { throw .EDOM }
                let ns: UInt64? = s < 0 ? 0 : (s == 0 && us == 0 ? nil : try GuestMath.nanoseconds(seconds: s, microseconds: us))
                if name == SO.receiveTimeout || name == SO.receiveTimeoutNew { options.receiveTimeout = ns } else { options.sendTimeout = ns }
                return
            case SO.bindToDevice: return
            case SO.type, SO.error, SO.domain, SO.protocolNumber, SO.acceptConnections, SO.peerCredentials, SO.peerName:
                throw .ENOPROTOOPT
            default: break
            }
        } else {
            try checkLevel(level, set: true)
            if level == OptionLevel.ipv6 && name == 26 {  // IPV6_V6ONLY: only before bind
                guard local == nil else { throw .EINVAL }
                options.v6Only = try int() != 0
                return
            }
            if level == OptionLevel.tcp && name == 13 { return }  // TCP_CONGESTION: any name accepted
        }
        let key = SocketOptions.key(level, name)
        if SocketOptions.setOnly.contains(key) { return }
        if SocketOptions.integerDefaults[key] != nil {
            // IP options may be set from a single byte (Linux's do_ip_setsockopt).
            var v = level == OptionLevel.ip && value.count >= 1 && value.count < 4 ? Int32(value[0]) : try int()
            if let range = SocketOptions.validRanges[key], !range.contains(v) { throw .EINVAL }
            if key == SocketOptions.key(OptionLevel.ip, 2) {  // IP_TTL: 1 ... 255, or -1 for the default
                guard v == -1 || (1...255).contains(v) else { throw .EINVAL }
                if v == -1 { options.values[key] = nil; return }
            }
            if key == SocketOptions.key(OptionLevel.ip, 1) && kind == .stream {
                // IP_TOS on TCP keeps the ECN bits the stack owns.
                v = v & ~3 | (options.values[key] ?? 0) & 3
            }
            options.values[key] = v
            return
        }
        network.noteUnknownOption(level: level, name: name)
    }
}

extension Socket {
    /// What SO_RCVBUF / SO_SNDBUF ask for, as Linux reads it: an unsigned value capped at
    /// net.core.rmem_max / wmem_max (a negative one is huge); the FORCE forms skip the cap
    /// and read a negative value as 0. Always at most INT_MAX / 2 (it is then doubled).
    static func bufferRequest(_ raw: Int32, forced: Bool) -> Int {
        let v = forced ? Int(max(raw, 0)) : min(Int(UInt32(bitPattern: raw)), 212_992)
        return min(v, Int(Int32.max / 2))
    }
}

extension SocketCredentials {
    /// The credentials of a task as SO_PEERCRED and SCM_CREDENTIALS report them.
    init(_ task: Task) {
        let c = task.process.credentials
        self.init(pid: task.process.pid, uid: c.uid, gid: c.gid)
    }
}

extension Network {
    /// net.core.somaxconn.
    static let somaxconn: Int32 = 4096
}

/// The tmpfs inode of a path-bound AF_UNIX socket. It names the socket while that is open
/// (connect finds it here); the file outlives the socket, as on Linux, and then refuses.
final class TmpSocket: TmpNode {
    weak var socket: Socket?
    override var kind: FileKind { .socket }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        throw .ENXIO
    }
}
