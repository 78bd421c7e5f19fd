import HostOS
import LinuxABI

// Several guest machines on one network, after UML's uml_switch: `umlab switch PATH` is a
// process that only introduces machines to each other. Each machine (`umlab run --net
// switch:PATH --ip ADDR`) keeps one control connection to it (SOCK_SEQPACKET records). When a
// guest connects to another machine's address, the switch makes a host socket pair and hands
// one end to each machine; from then on the connection's bytes go straight from one umlab
// process to the other, never through the switch. Both ends are ordinary `HostLink`s.
//
// Datagrams take the same road: the first one a machine sends to another asks the switch for
// a channel (PEER), a record socket pair whose ends go to the two machines (`DatagramChannel`);
// the datagrams then go straight across it.
//
// The records, as text:
//   machine → switch   HELLO ip | CONNECT id dst-ip dst-port src-ip src-port | ACCEPT sid | REFUSE sid
//                      | PEER dst-ip
//   switch → machine   WELCOME | ERROR text | INCOMING sid src-ip src-port dst-port (+ fd)
//                      | CONNECTED id (+ fd) | REFUSED id errno | PEERED ip (+ fd) | UNREACHABLE ip

/// A machine's connection to the switch.
final class SwitchPort: HostEndpoint {
    let hostFD: HostFD
    unowned let kernel: Kernel
    private var nextID: UInt32 = 1
    /// Guest sockets whose connect waits for the switch, by request id.
    private var pending: [UInt32: Socket.WeakSocket] = [:]
    private var closed = false
    /// Datagram channels to other machines, by their address.
    private var channels: [IPAddress: DatagramChannel] = [:]
    /// Datagrams waiting for a channel the switch was asked for, by destination address.
    private var waiting: [IPAddress: [WaitingDatagram]] = [:]
    private var waitingCount = 0
    /// Datagrams queued for channels not made yet, in all; more are dropped (UDP may drop, as
    /// Linux drops packets queued on an unresolved neighbour beyond its queue).
    static let maxWaitingDatagrams = 256
    /// How long a machine waits for the switch's answer to HELLO.
    static let helloTimeoutMS: Int32 = 10_000

    struct WaitingDatagram {
        let data: [UInt8]
        let sourcePort: UInt16
        let port: UInt16
        let sender: Socket.WeakSocket
    }

    /// Connects to the switch at `path` and registers `address`; throws a sentence for the user.
    init(kernel: Kernel, path: String, address: IPAddress) throws(ParseError) {
        self.kernel = kernel
        do {
            hostFD = try HostUnixSocket.connect(path: path)
        } catch {
            throw ParseError("--net switch:\(path): cannot reach the switch: \(error.message) (start it with `umlab switch \(path)`)")
        }
        do {
            try HostUnixSocket.send(hostFD, Array("HELLO \(address)".utf8))
            // A switch that does not answer (stopped, or not a switch) is given up on.
            guard Host.poll([(hostFD.raw, 1)], timeoutMS: SwitchPort.helloTimeoutMS)[0] != 0 else {
                hostFD.close()
                throw ParseError("--net switch:\(path): the switch did not answer within \(SwitchPort.helloTimeoutMS / 1000) seconds")
            }
            let (reply, _) = try HostUnixSocket.receive(hostFD)
            let text = String(decoding: reply, as: UTF8.self)
            guard text == "WELCOME" else {
                hostFD.close()
                throw ParseError("--net switch:\(path): the switch refused \(address): \(text.hasPrefix("ERROR ") ? String(text.dropFirst(6)) : text)")
            }
        } catch let e as ParseError {
            throw e
        } catch {
            hostFD.close()
            throw ParseError("--net switch:\(path): \(error)")
        }
        // From now on the machine never waits for the switch: a send it cannot make at once
        // fails (the request is refused), and records are read from the event loop.
        do {
            try hostFD.setNonBlocking()
        } catch {
            hostFD.close()
            throw ParseError("--net switch:\(path): \(error)")
        }
        kernel.watch(self, events: EventLoop.Events.input)
    }

    /// Asks the switch for a connection from `source` to `destination` on behalf of `socket`.
    func requestConnection(_ socket: Socket, to destination: HostSocket.Endpoint, from source: HostSocket.Endpoint) throws(LinuxErrno) {
        guard !closed else { throw .ENETUNREACH }
        let id = nextID
        nextID &+= 1
        // A request the switch cannot take now fails as a connect to an unanswering host.
        do {
            try HostUnixSocket.send(hostFD, Array("CONNECT \(id) \(destination.address) \(destination.port) \(source.address) \(source.port)".utf8))
        } catch {
            throw (error == .EAGAIN || error == .ENOBUFS) ? LinuxErrno.ETIMEDOUT : LinuxErrno.ENETUNREACH
        }
        pending[id] = Socket.WeakSocket(socket: socket)
    }

    /// Sends a datagram from `sender` (bound to `sourcePort`) to another machine's `address`:
    /// straight across their channel, or, before there is one, queued while the switch is
    /// asked for it. UDP may drop: a datagram that finds no room is lost, as on a wire.
    func sendDatagram(_ data: [UInt8], from sender: Socket, sourcePort: UInt16, to address: IPAddress, port: UInt16) {
        guard !closed else { return }
        if let channel = channels[address] {
            if channel.send(.datagram, sourcePort: sourcePort, port: port, data) { return }
            // The other machine left (or its end was never delivered): ask again.
            channel.close()
            channels[address] = nil
        }
        guard waitingCount < SwitchPort.maxWaitingDatagrams else { return }
        let first = waiting[address] == nil
        waiting[address, default: []].append(WaitingDatagram(data: data, sourcePort: sourcePort, port: port, sender: Socket.WeakSocket(socket: sender)))
        waitingCount += 1
        if first && (try? HostUnixSocket.send(hostFD, Array("PEER \(address)".utf8))) == nil {
            unreachable(address)
        }
    }

    /// No machine has `address`: queued datagrams to it are dropped, and a sender connected to
    /// it learns of it as from an ICMP host unreachable (Linux's after its neighbour lookup
    /// fails).
    private func unreachable(_ address: IPAddress) {
        for d in waiting.removeValue(forKey: address) ?? [] {
            waitingCount -= 1
            d.sender.socket?.datagramError(.EHOSTUNREACH, from: .inet(address, port: d.port))
        }
    }

    /// A channel's other machine left.
    func channelClosed(_ channel: DatagramChannel) {
        if channels[channel.peer] === channel { channels[channel.peer] = nil }
    }

    func hostReady(_ events: UInt32) {
        while !closed {
            let record: [UInt8], fds: [HostFD]
            do {
                (record, fds) = try HostUnixSocket.receive(hostFD)
            } catch .EAGAIN {
                return
            } catch {
                switchGone()
                return
            }
            if record.isEmpty && fds.isEmpty { switchGone(); return }
            handle(String(decoding: record, as: UTF8.self).split(separator: " "), fds)
        }
    }

    private func handle(_ words: [Substring], _ received: [HostFD]) {
        // Each record carries at most one descriptor; any more are closed.
        for extra in received.dropFirst() { extra.close() }
        let fds = Array(received.prefix(1))
        func number(_ i: Int) -> UInt32? { i < words.count ? UInt32(words[i]) : nil }
        switch words.first {
        case "INCOMING"?:
            guard words.count == 5, let fd = fds.first, let sid = number(1), let src = IPAddress(String(words[2])),
                  let sport = UInt16(words[3]), let dport = UInt16(words[4]) else { fds.forEach { $0.close() }; return }
            let network = kernel.network
            let local = SocketAddress.inet(network.config.address, port: dport)
            let client = HostSocket.Endpoint(src, sport)
            var accepted = false
            if network.hostSocketsInUse < Network.maxLinks, let listener = network.listener(ip: network.config.address, port: dport) {
                let link = HostLink(kernel: kernel, fd: fd, remote: client)
                link.capture(network.captureFlow(client: .inet(src, port: sport), server: local), guestIsClient: false)
                if listener.acceptExternal(remote: .inet(src, port: sport), local: local, link: link) != nil {
                    accepted = true
                    network.audit(.accept, local: local, remote: client)
                    link.onClose = { [weak network] l in network?.auditClose(l, local: local) }
                } else {
                    link.finish(reset: true)
                }
            } else {
                fd.close()
            }
            if !accepted { network.audit(.refused, local: local, remote: client) }
            // The answer is one small record on a socket the switch reads at once; if it cannot
            // go, the switch refuses the client when this machine's records stop (it left).
            try? HostUnixSocket.send(hostFD, Array("\(accepted ? "ACCEPT" : "REFUSE") \(sid)".utf8))
        case "CONNECTED"?:
            guard let id = number(1), let fd = fds.first else { fds.forEach { $0.close() }; return }
            guard let socket = pending.removeValue(forKey: id)?.socket else { fd.close(); return }
            socket.switchConnected(fd)
        case "PEERED"?:
            guard words.count == 2, let fd = fds.first, let address = IPAddress(String(words[1])) else { fds.forEach { $0.close() }; return }
            // A channel made again (both machines asked at once) replaces the old one, whose
            // datagrams already arrived are delivered first.
            if let old = channels[address] { old.hostReady(EventLoop.Events.input); old.close() }
            let channel = DatagramChannel(kernel: kernel, port: self, fd: fd, peer: address)
            channels[address] = channel
            for d in waiting.removeValue(forKey: address) ?? [] {
                waitingCount -= 1
                _ = channel.send(.datagram, sourcePort: d.sourcePort, port: d.port, d.data)
            }
        case "UNREACHABLE"?:
            guard words.count == 2, let address = IPAddress(String(words[1])) else { return }
            unreachable(address)
        case "REFUSED"?:
            guard let id = number(1) else { return }
            let errno = number(2).flatMap { Int32(exactly: $0) }.map { LinuxErrno($0) } ?? .ECONNREFUSED
            pending.removeValue(forKey: id)?.socket?.externalConnectFailed(errno)
        default:
            fds.forEach { $0.close() }
        }
    }

    /// The switch ended: connections being made fail; those made go on (they do not pass
    /// through the switch).
    private func switchGone() {
        closed = true
        kernel.unwatch(self)
        hostFD.close()
        for (_, s) in pending { s.socket?.externalConnectFailed(.ENETUNREACH) }
        pending = [:]
        for address in Array(waiting.keys) { unreachable(address) }
        Host.diagnostic("umlab: the switch closed its connection; other machines are unreachable from now on")
    }

    func close() {
        guard !closed else { return }
        closed = true
        kernel.unwatch(self)
        hostFD.close()
        for channel in Array(channels.values) { channel.close() }
        channels = [:]
        waiting = [:]
        waitingCount = 0
    }
}

/// A record socket between two machines on the switch, for their UDP datagrams. A record is
/// a kind byte, the source and destination ports (big-endian) and the payload. The sender's
/// address is the one the other machine registered with the switch: a machine cannot forge it.
final class DatagramChannel: HostEndpoint {
    let hostFD: HostFD
    unowned let kernel: Kernel
    unowned let port: SwitchPort
    /// The other machine's address.
    let peer: IPAddress
    private var closed = false

    enum Kind: UInt8 {
        /// A datagram from the source port to the destination port.
        case datagram = 0
        /// Nobody is bound at the destination port of a datagram from the source port: what
        /// an ICMP port unreachable says (the ports are the original datagram's).
        case portUnreachable = 1
    }

    init(kernel: Kernel, port: SwitchPort, fd: HostFD, peer: IPAddress) {
        self.kernel = kernel
        self.port = port
        hostFD = fd
        self.peer = peer
        kernel.watch(self, events: EventLoop.Events.input)
    }

    /// Sends one record; false when the other end is gone. A full channel drops the datagram
    /// (true: the channel itself is fine). The guest's send put it in the capture already.
    func send(_ kind: Kind, sourcePort: UInt16, port: UInt16, _ data: [UInt8]) -> Bool {
        guard !closed else { return false }
        var record = [kind.rawValue, UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(port >> 8), UInt8(port & 0xff)]
        record += data
        do {
            try HostUnixSocket.send(hostFD, record)
        } catch .EAGAIN, .ENOBUFS {
            return true
        } catch {
            return false
        }
        return true
    }

    func hostReady(_ events: UInt32) {
        let network = kernel.network
        for _ in 0..<Network.hostBatch where !closed {
            let record: [UInt8], fds: [HostFD]
            do {
                (record, fds) = try HostUnixSocket.receive(hostFD, maximum: 65_536 + 5)
            } catch .EAGAIN {
                return
            } catch {
                close()
                return
            }
            fds.forEach { $0.close() }  // a channel carries no descriptors
            if record.isEmpty { close(); return }
            guard record.count >= 5, let kind = Kind(rawValue: record[0]) else { continue }
            let sourcePort = UInt16(record[1]) << 8 | UInt16(record[2])
            let destinationPort = UInt16(record[3]) << 8 | UInt16(record[4])
            let local = network.config.address
            switch kind {
            case .datagram:
                let payload = Array(record[5...])
                network.captureDatagram(from: .inet(peer, port: sourcePort), to: .inet(local, port: destinationPort), payload)
                guard destinationPort != 0, let receiver = network.datagramReceiver(ip: local, port: destinationPort) else {
                    // Linux answers with an ICMP port unreachable.
                    _ = send(.portUnreachable, sourcePort: sourcePort, port: destinationPort, [])
                    continue
                }
                receiver.receiveDatagram(payload, from: .inet(peer, port: sourcePort))
            case .portUnreachable:
                network.datagramReceiver(ip: local, port: sourcePort)?.datagramError(.ECONNREFUSED, from: .inet(peer, port: destinationPort))
            }
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        kernel.unwatch(self)
        hostFD.close()
        port.channelClosed(self)
    }
}
