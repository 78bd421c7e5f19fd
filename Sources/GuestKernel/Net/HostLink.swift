import HostOS
import LinuxABI

// Where the machine's network meets the host: the host sockets umlab opens for what the user
// declared, and nothing else. A published port is a host listener whose connections become
// connections to a guest listener; an allowed outbound connection is a host connect whose bytes
// become a guest socket's. In both the guest socket is an ordinary `Socket`: its peer is a
// `HostLink`, which moves bytes between the socket's buffers and the host descriptor.

/// A host descriptor the kernel services from its event loop.
protocol HostEndpoint: AnyObject {
    var hostFD: HostFD { get }
    /// The descriptor is ready (`EventLoop.Events` bits).
    func hostReady(_ events: UInt32)
}

extension Kernel {
    /// Starts watching `endpoint`'s descriptor for `events` (or changes the events).
    func watch(_ endpoint: HostEndpoint, events: UInt32) {
        hostEndpoints[endpoint.hostFD.raw] = endpoint
        try? loop.watch(endpoint.hostFD.raw, events: events, token: UInt64(UInt32(bitPattern: endpoint.hostFD.raw)))
    }
    func unwatch(_ endpoint: HostEndpoint) {
        loop.unwatch(endpoint.hostFD.raw)
        if hostEndpoints[endpoint.hostFD.raw] === endpoint { hostEndpoints[endpoint.hostFD.raw] = nil }
    }
}

/// One TCP connection between a guest socket and a host socket.
///
/// The guest socket reads `fromHost` (its own receive buffer, which the link fills from the
/// host descriptor) and sends into `toHost` (the link's buffer, which it drains to the host).
/// Each buffer tells the link through `queue` when the guest has written or read, and the
/// link moves what it can at once, without blocking: a full guest buffer stops reads from the
/// host (the host's TCP window closes, as a slow reader's would), a full host socket makes the
/// link wait for EPOLLOUT.
final class HostLink: HostEndpoint {
    let hostFD: HostFD
    unowned let kernel: Kernel
    /// Notified by the guest side: data to send (`toHost` readers), room to receive
    /// (`fromHost` writers), or its end of the connection.
    let queue = WaitQueue()
    let toHost: SocketBuffer
    /// The guest socket's receive buffer.
    private(set) var fromHost: SocketBuffer?
    /// The guest socket while a connect to the host is in progress (outbound links).
    private weak var connecting: Socket?
    private var watcher: WaitWatcher?
    private var hostEnded = false
    private var sentEnd = false
    private var closed = false
    private var pumping = false
    private var watchedEvents: UInt32 = 0
    /// Bytes moved each way (for the audit trail).
    private(set) var bytesIn: UInt64 = 0
    private(set) var bytesOut: UInt64 = 0
    let remote: HostSocket.Endpoint
    /// Called once when the link ends (both directions finished, or a reset).
    var onClose: ((HostLink) -> Void)?
    /// The connection in the `--pcap` capture; the guest is its client (outbound) or server.
    private var flow: PcapFlow?
    private var guestIsClient = false
    /// Armed while the guest's socket is closed and the host has not taken all it sent: a
    /// host peer that stops reading would otherwise hold the link (and one of
    /// `Network.maxLinks`) for ever. Linux ends such orphaned connections too (the orphan
    /// retries, tcp_fin_timeout). Each host write that moves bytes starts the wait again, so
    /// a slow reader still gets everything.
    private var orphanTimer: KernelTimer?
    /// How long a link whose guest socket closed waits for the host to take more.
    static let orphanTimeout: UInt64 = 60_000_000_000

    func capture(_ flow: PcapFlow?, guestIsClient: Bool) {
        self.flow = flow
        self.guestIsClient = guestIsClient
    }

    init(kernel: Kernel, fd: HostFD, remote: HostSocket.Endpoint) {
        self.kernel = kernel
        hostFD = fd
        self.remote = remote
        toHost = SocketBuffer(readers: queue, messageMode: false, capacity: Socket.streamCapacity, account: kernel.memory)
        let w = WaitWatcher(events: [.input, .output, .readNormal, .writeNormal, .hangUp, .error]) { [unowned self] events in
            self.guestChanged(events)
        }
        watcher = w
        queue.addWatcher(w)
        kernel.network.openLinks[ObjectIdentifier(self)] = self
    }

    /// Joins the link to the guest socket whose receive buffer is `rx`.
    func attach(_ rx: SocketBuffer) {
        fromHost = rx
        rx.writers = queue
        pump()
    }

    /// An outbound link whose host connect is still in progress: `socket` is told the outcome.
    func awaitConnect(_ socket: Socket) {
        connecting = socket
        kernel.watch(self, events: EventLoop.Events.output)
        watchedEvents = EventLoop.Events.output
    }

    func hostReady(_ events: UInt32) {
        if let socket = connecting {
            connecting = nil
            let error = HostSocket.takeError(hostFD)
            if error != 0 {
                socket.externalConnectFailed(LinuxErrno(error) == .ETIMEDOUT ? .ETIMEDOUT : .ECONNREFUSED)
                finish(reset: false)
                return
            }
            socket.externalConnectDone()
            // The socket no longer wanted the connection (it was closed or reused meanwhile).
            if fromHost == nil { finish(reset: true); return }
        } else if fromHost == nil {
            finish(reset: true)
            return
        }
        pump()
    }

    /// The guest side changed. Bytes the guest sent wait until it blocks (or a buffer's worth
    /// piles up): a response written as headers then body leaves in one host send, as TCP_CORK
    /// would make it, and the host peer is woken once, not per write. Anything else (room the
    /// guest made by reading, its end of the connection) is acted on at once.
    private func guestChanged(_ events: PollEvents) {
        if events.isSubset(of: [.input, .readNormal]) && toHost.count < toHost.capacity / 2 && !toHost.writeClosed {
            kernel.network.deferFlush(self)
            return
        }
        pump()
    }

    /// Moves whatever can move now, both ways, and watches the host for what is left.
    func pump() {
        guard !closed, !pumping, let rx = fromHost else { return }
        pumping = true
        defer { pumping = false }
        // The guest reset the connection (it closed with data unread, or with SO_LINGER 0, or
        // disconnected with AF_UNSPEC): what it had not sent is dropped, and the host peer
        // gets a reset, not the rest and a FIN.
        if toHost.reset {
            finish(reset: true)
            return
        }
        let scratch = kernel.network.linkScratch
        // Host to guest.
        while !hostEnded && !rx.readClosed && rx.space > 0 {
            do {
                let n = try hostFD.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<min(rx.space, scratch.count)]))
                if n == 0 {
                    hostEnded = true
                    flow?.end(fromClient: !guestIsClient)
                    rx.writeClosed = true
                    rx.readers.notify([.input, .readNormal, .readHangUp])
                    break
                }
                do {
                    _ = try rx.write(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                } catch {
                    // The machine's memory limit refuses the buffer: the connection is reset
                    // rather than the bytes silently lost.
                    hostEnded = true
                    rx.reset = true
                    rx.writeClosed = true
                    rx.readers.notify([.input, .readNormal, .readHangUp, .hangUp, .error])
                    finish(reset: true)
                    return
                }
                bytesIn &+= UInt64(n)
                flow?.data(fromClient: !guestIsClient, UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            } catch .EAGAIN {
                break
            } catch {
                // The host reset the connection: the guest reads ECONNRESET; the host end goes.
                hostEnded = true
                rx.reset = true
                rx.writeClosed = true
                rx.readers.notify([.input, .readNormal, .readHangUp, .hangUp, .error])
                finish(reset: true)
                return
            }
        }
        // Guest to host.
        let sentBefore = bytesOut
        while toHost.count > 0 {
            let n = toHost.read(into: scratch, peek: true)
            do {
                let sent = try HostSocket.write(hostFD, UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                toHost.discard(sent)
                bytesOut &+= UInt64(sent)
                flow?.data(fromClient: guestIsClient, UnsafeRawBufferPointer(rebasing: scratch[0..<sent]))
                if sent < n { break }
            } catch .EAGAIN {
                break
            } catch {
                // The host peer is gone: the guest's next send sees EPIPE.
                toHost.readClosed = true
                toHost.clear()
                break
            }
        }
        if toHost.writeClosed && toHost.count == 0 && !sentEnd {
            sentEnd = true
            HostSocket.shutdownWrite(hostFD)
            flow?.end(fromClient: guestIsClient)
        }
        // The guest closed its socket: nothing more will be read from the host.
        if rx.readClosed && (sentEnd || toHost.readClosed) {
            finish(reset: !hostEnded && !sentEnd)
            return
        }
        if hostEnded && (sentEnd || toHost.readClosed) && rx.isEmpty && rx.readClosed {
            finish(reset: false)
            return
        }
        if rx.readClosed && (orphanTimer == nil || bytesOut != sentBefore) {
            if orphanTimer == nil {
                let timer = KernelTimer(kernel: kernel)
                timer.onExpiry = { [weak self] in self?.finish(reset: true) }
                orphanTimer = timer
            }
            orphanTimer!.arm(deadline: GuestMath.deadline(Host.monotonicNanoseconds(), after: HostLink.orphanTimeout), interval: 0)
        }
        var want: UInt32 = 0
        if !hostEnded && !rx.readClosed && rx.space > 0 { want |= EventLoop.Events.input }
        if toHost.count > 0 { want |= EventLoop.Events.output }
        if want != watchedEvents {
            watchedEvents = want
            if want == 0 { kernel.loop.unwatch(hostFD.raw) } else { kernel.watch(self, events: want) }
        }
    }

    /// Ends the link: the host descriptor closes (with a reset if the guest dropped the
    /// connection with data unsent or unread).
    func finish(reset: Bool) {
        guard !closed else { return }
        closed = true
        orphanTimer?.disarm()
        orphanTimer = nil
        kernel.unwatch(self)
        if let w = watcher { queue.removeWatcher(w) }
        watcher = nil
        if reset { HostSocket.reset(hostFD) } else { hostFD.close() }
        toHost.readClosed = true
        toHost.clear()
        if let rx = fromHost, !rx.writeClosed {
            rx.writeClosed = true
            rx.readers.notify([.input, .readNormal, .readHangUp, .hangUp])
        }
        kernel.network.openLinks[ObjectIdentifier(self)] = nil
        onClose?(self)
        onClose = nil
    }
}

/// A `--publish` rule: host address and port, guest port, protocol.
public struct PublishRule: Sendable, Equatable {
    public var hostAddress: IPAddress
    public var hostPort: UInt16
    public var guestPort: UInt16
    public var udp: Bool

    /// Parses `[HOSTADDR:]HOSTPORT:GUESTPORT[/udp|/tcp]` (an IPv6 host address in brackets).
    public init(parsing text: String) throws(ParseError) {
        var spec = Substring(text)
        udp = false
        if spec.hasSuffix("/udp") { udp = true; spec = spec.dropLast(4) } else if spec.hasSuffix("/tcp") { spec = spec.dropLast(4) }
        var host = IPAddress.anyV4
        if spec.hasPrefix("[") {
            guard let close = spec.firstIndex(of: "]"), let ip = IPAddress(String(spec[spec.index(after: spec.startIndex)..<close])) else {
                throw ParseError("\(text): a bracketed host address must be an IPv6 address")
            }
            host = ip
            spec = spec[spec.index(after: close)...]
            guard spec.hasPrefix(":") else { throw ParseError("\(text): expected [HOSTADDR]:HOSTPORT:GUESTPORT") }
            spec = spec.dropFirst()
        }
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 3 {
            guard let ip = IPAddress(String(parts[0])) else { throw ParseError("\(text): \(parts[0]) is not an IP address") }
            host = ip
        } else if parts.count != 2 {
            throw ParseError("\(text): expected [HOSTADDR:]HOSTPORT:GUESTPORT[/udp]")
        }
        guard let hp = UInt16(parts[parts.count - 2]), hp > 0, let gp = UInt16(parts[parts.count - 1]), gp > 0 else {
            throw ParseError("\(text): ports are numbers from 1 to 65535")
        }
        hostAddress = host; hostPort = hp; guestPort = gp
    }
}

/// A command-line value umlab could not read, with the sentence to show.
public struct ParseError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// A host listener that forwards to a guest port (`--publish`).
final class PublishedPort: HostEndpoint {
    let hostFD: HostFD
    let rule: PublishRule
    unowned let kernel: Kernel

    init(kernel: Kernel, rule: PublishRule) throws(LinuxErrno) {
        self.kernel = kernel
        self.rule = rule
        hostFD = try HostSocket.listen(HostSocket.Endpoint(rule.hostAddress, rule.hostPort), stream: !rule.udp)
        kernel.watch(self, events: EventLoop.Events.input)
    }

    func hostReady(_ events: UInt32) {
        if rule.udp { receiveDatagrams(); return }
        // Accept what is pending, a batch at a time (a flood of clients must not keep the
        // machine from running its guests: the listener stays ready and comes back).
        for _ in 0..<Network.hostBatch {
            let fd: HostFD, client: HostSocket.Endpoint
            do {
                (fd, client) = try HostSocket.accept(hostFD)
            } catch .EMFILE, .ENFILE {
                // Out of descriptors: the client is taken with the one kept in reserve and
                // reset, so the listener does not stay ready for ever.
                kernel.network.dropWithReserve(hostFD)
                continue
            } catch {
                return
            }
            let network = kernel.network
            // A flood of clients (a honeypot's lot) holds at most `maxLinks` host descriptors.
            guard network.hostSocketsInUse < Network.maxLinks else {
                network.audit(.refused, local: nil, remote: client, extra: [("reason", "\"too many connections\"")])
                HostSocket.reset(fd)
                continue
            }
            let guestAddress = network.config.address
            guard let listener = network.listener(ip: guestAddress, port: rule.guestPort) else {
                // Nobody listens in the guest: the client is refused, as by a closed port.
                network.audit(.refused, local: .inet(guestAddress, port: rule.guestPort), remote: client)
                HostSocket.reset(fd)
                continue
            }
            let link = HostLink(kernel: kernel, fd: fd, remote: client)
            let local = SocketAddress.inet(guestAddress, port: rule.guestPort)
            link.capture(network.captureFlow(client: .inet(client.address, port: client.port), server: local), guestIsClient: false)
            guard let server = listener.acceptExternal(remote: .inet(client.address, port: client.port), local: local, link: link) else {
                link.finish(reset: true)
                continue
            }
            network.audit(.accept, local: local, remote: client)
            link.onClose = { [weak network] l in network?.auditClose(l, local: local) }
            _ = server
        }
    }

    /// A published UDP port: each datagram goes to the guest socket bound to the guest port,
    /// from the client's address; the guest's replies to that address go back out here.
    private func receiveDatagrams() {
        let network = kernel.network
        let scratch = network.linkScratch
        for _ in 0..<Network.hostBatch {
            guard let (n, client) = try? HostSocket.receive(hostFD, into: scratch) else { return }
            // Clients are remembered for the guest's answers; a flood of source ports is
            // bounded (the oldest are forgotten at once).
            if network.udpClients.count >= 4096 { network.udpClients.removeAll() }
            network.udpClients[client] = self
            guard let receiver = network.datagramReceiver(ip: network.config.address, port: rule.guestPort),
                  receiver.rx.hasRoom(forMessage: n) else { continue }
            network.captureDatagram(from: .inet(client.address, port: client.port), to: .inet(network.config.address, port: rule.guestPort), Array(scratch[0..<n]))
            receiver.rx.enqueue(SocketMessage(data: Array(scratch[0..<n]), from: .inet(client.address, port: client.port)))
        }
    }

    /// A guest reply to a client of this port.
    func send(_ data: [UInt8], to client: HostSocket.Endpoint) {
        _ = data.withUnsafeBytes { try? HostSocket.send(hostFD, $0, to: client) }
    }

    func close() {
        kernel.unwatch(self)
        hostFD.close()
    }
}

/// A guest datagram socket's host socket, for destinations an `--allow` rule admits: what the
/// guest sends goes out from it; what comes back from an admitted address is queued on the
/// guest socket as if from that address.
final class HostDatagramSocket: HostEndpoint {
    let hostFD: HostFD
    unowned let kernel: Kernel
    private weak var owner: Socket?
    /// The family of the destinations it sends to.
    let v6: Bool

    init(kernel: Kernel, owner: Socket, v6: Bool) throws(LinuxErrno) {
        self.kernel = kernel
        self.owner = owner
        self.v6 = v6
        // Each holds a host descriptor, as a link does: counted against the same cap.
        guard kernel.network.hostSocketsInUse < Network.maxLinks else { throw .ENOBUFS }
        hostFD = try HostSocket.listen(HostSocket.Endpoint(v6 ? .anyV6 : .anyV4, 0), stream: false)
        kernel.network.datagramSockets += 1
        kernel.watch(self, events: EventLoop.Events.input)
    }

    func send(_ data: [UInt8], to destination: HostSocket.Endpoint) throws(LinuxErrno) {
        _ = try typedErrno { try data.withUnsafeBytes { p in try HostSocket.send(hostFD, p, to: destination) } }
    }

    func hostReady(_ events: UInt32) {
        let network = kernel.network
        let scratch = network.linkScratch
        for _ in 0..<Network.hostBatch {
            guard let (n, sender) = try? HostSocket.receive(hostFD, into: scratch) else { return }
            // Only answers from where the guest may send are let in.
            guard let owner, network.route(to: sender.address, port: sender.port, udp: true) == .outbound else { continue }
            owner.receiveDatagram(Array(scratch[0..<n]), from: .inet(sender.address, port: sender.port))
        }
    }

    func close() {
        kernel.unwatch(self)
        hostFD.close()
        kernel.network.datagramSockets -= 1
    }
}
