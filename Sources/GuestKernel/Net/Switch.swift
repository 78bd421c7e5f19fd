import HostOS
import LinuxABI

// Several guest machines on one network, after UML's uml_switch: `umlab switch PATH` is a
// process that only introduces machines to each other. Each machine (`umlab run --net
// switch:PATH --ip ADDR`) keeps one control connection to it (SOCK_SEQPACKET records). When a
// guest connects to another machine's address, the switch makes a host socket pair and hands
// one end to each machine; from then on the connection's bytes go straight from one umlab
// process to the other, never through the switch. Both ends are ordinary `HostLink`s.
//
// The records, as text:
//   machine → switch   HELLO ip | CONNECT id dst-ip dst-port src-ip src-port | ACCEPT sid | REFUSE sid
//   switch → machine   WELCOME | ERROR text | INCOMING sid src-ip src-port dst-port (+ fd)
//                      | CONNECTED id (+ fd) | REFUSED id errno

/// A machine's connection to the switch.
final class SwitchPort: HostEndpoint {
    let hostFD: HostFD
    unowned let kernel: Kernel
    private var nextID: UInt32 = 1
    /// Guest sockets whose connect waits for the switch, by request id.
    private var pending: [UInt32: Socket.WeakSocket] = [:]
    private var closed = false

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
            _ = HostUnixSocket.waitReadable([hostFD])
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
        kernel.watch(self, events: EventLoop.Events.input)
    }

    /// Asks the switch for a connection from `source` to `destination` on behalf of `socket`.
    func requestConnection(_ socket: Socket, to destination: HostSocket.Endpoint, from source: HostSocket.Endpoint) throws(LinuxErrno) {
        guard !closed else { throw .ENETUNREACH }
        let id = nextID
        nextID &+= 1
        pending[id] = Socket.WeakSocket(socket: socket)
        try HostUnixSocket.send(hostFD, Array("CONNECT \(id) \(destination.address) \(destination.port) \(source.address) \(source.port)".utf8))
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
            try? HostUnixSocket.send(hostFD, Array("\(accepted ? "ACCEPT" : "REFUSE") \(sid)".utf8))
        case "CONNECTED"?:
            guard let id = number(1), let fd = fds.first else { fds.forEach { $0.close() }; return }
            guard let socket = pending.removeValue(forKey: id)?.socket else { fd.close(); return }
            socket.switchConnected(fd)
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
        Host.diagnostic("umlab: the switch closed its connection; other machines are unreachable from now on")
    }

    func close() {
        guard !closed else { return }
        closed = true
        kernel.unwatch(self)
        hostFD.close()
    }
}
