import LinuxABI

// The machine's sockets as /proc/net/{tcp,udp,unix} and sock_diag list them: every live socket
// is registered by number when it is made (held weakly), and described on demand in the terms
// Linux uses (TCP states, queue lengths, inode numbers).

/// TCP_* states (include/net/tcp_states.h), which Linux also reports for UDP and unix sockets.
enum TCPState {
    static let established: UInt8 = 1, synSent: UInt8 = 2, finWait2: UInt8 = 5, close: UInt8 = 7, closeWait: UInt8 = 8
    static let lastAck: UInt8 = 9, listen: UInt8 = 10
}

/// An AF_INET/AF_INET6 socket as a row of /proc/net/tcp or an inet_diag_msg.
struct InetSocketRow {
    var family: AddressFamily
    /// IPPROTO_TCP (6) or IPPROTO_UDP (17).
    var proto: Int32
    var state: UInt8
    var local: IPAddress
    var localPort: UInt16
    var remote: IPAddress
    var remotePort: UInt16
    /// Bytes (or, for a listener, connections) waiting to be read.
    var receiveQueue: UInt32
    /// Bytes not yet taken by the peer; for a listener, its backlog (as inet_diag's wqueue).
    var sendQueue: UInt32
    var uid: UInt32
    var inode: UInt64
    var shutdown: UInt8
    /// IPV6_V6ONLY.
    var v6Only: Bool
}

/// An AF_UNIX socket as a row of /proc/net/unix or a unix_diag_msg.
struct UnixSocketRow {
    var kind: SocketKind
    var state: UInt8
    var name: UnixName
    var inode: UInt64
    var peer: UInt64?
    var receiveQueue: UInt32
    var sendQueue: UInt32
    var uid: UInt32
    var shutdown: UInt8
}

extension Network {
    /// Adds a new socket to the table (Socket's initializer calls this).
    func register(_ socket: Socket) {
        socketTable[socket.number] = Socket.WeakSocket(socket: socket)
        if socketTable.count >= socketTableSweep {
            socketTable = socketTable.filter { $0.value.socket != nil }
            socketTableSweep = max(64, 2 * socketTable.count)
        }
    }

    /// The live sockets, oldest first.
    var liveSockets: [Socket] {
        socketTable.keys.sorted().compactMap { socketTable[$0]?.socket }
    }

    /// The inet sockets of protocol `proto` (and `family`, if given) that Linux's hash tables
    /// hold: bound or connected ones (a socket that was never bound is in no table).
    func inetRows(proto: Int32, family: AddressFamily? = nil) -> [InetSocketRow] {
        liveSockets.compactMap { s in
            guard s.isInet, s.proto == proto, family == nil || s.family == family else { return nil }
            return s.inetRow
        }
    }

    /// Every AF_UNIX socket.
    var unixRows: [UnixSocketRow] {
        liveSockets.compactMap { s in s.family == .unix ? s.unixRow : nil }
    }
}

extension Socket {
    /// The socket's TCP_* state as Linux reports it for its protocol.
    var reportedState: UInt8 {
        switch state {
        case .listening:
            return TCPState.listen
        case .connecting:
            return TCPState.synSent
        case .connected:
            guard kind == .stream && isInet else { return TCPState.established }
            let peerDone = rx.writeClosed, selfDone = shutdownMask & 2 != 0
            if peerDone && selfDone { return TCPState.lastAck }
            if peerDone { return TCPState.closeWait }
            if selfDone { return TCPState.finWait2 }
            return TCPState.established
        case .closed:
            return TCPState.close
        case .unconnected:
            // A datagram socket with a default peer is "connected" (established).
            return remote != nil && !kind.isConnectionOriented ? TCPState.established : TCPState.close
        }
    }

    var inetRow: InetSocketRow? {
        guard case .inet(let ip, let port)? = local else { return nil }
        let unspecified = family == .inet ? IPAddress.anyV4 : .anyV6
        var peerIP = unspecified, peerPort: UInt16 = 0
        if case .inet(let rip, let rport)? = remote { peerIP = rip; peerPort = rport }
        let listening = state == .listening
        let queued = kind == .stream ? rx.count : rx.messageBytes
        return InetSocketRow(
            family: family, proto: proto, state: reportedState, local: ip, localPort: port, remote: peerIP, remotePort: peerPort,
            receiveQueue: UInt32(clamping: listening ? backlogLength : queued),
            sendQueue: UInt32(clamping: listening ? backlogCapacity : unreadByPeer),
            uid: ownerCredentials.uid, inode: number, shutdown: shutdownMask, v6Only: options.v6Only)
    }

    var unixRow: UnixSocketRow {
        var name = UnixName.unnamed
        if case .unix(let n)? = local { name = n }
        let listening = state == .listening
        let queued = kind == .stream ? rx.count : rx.messageBytes
        return UnixSocketRow(
            kind: kind, state: reportedState, name: name, inode: number, peer: peerNumber,
            receiveQueue: UInt32(clamping: listening ? backlogLength : queued),
            sendQueue: UInt32(clamping: listening ? backlogCapacity : unreadByPeer),
            uid: ownerCredentials.uid, shutdown: shutdownMask)
    }
}
