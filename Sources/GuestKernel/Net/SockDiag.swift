import LinuxABI

// NETLINK_SOCK_DIAG: dumps of the machine's sockets for `ss`, as net/ipv4/inet_diag.c and
// net/unix/diag.c answer SOCK_DIAG_BY_FAMILY. (Giving EPROTONOSUPPORT instead would make ss
// read /proc/net/* — it works too, but ss's netlink path is what runs on every current system.)
//
//     struct inet_diag_req_v2 { u8 family, protocol, ext, pad; u32 states; struct inet_diag_sockid id; }  56 bytes
//     struct inet_diag_sockid { be16 sport, dport; be32 src[4], dst[4]; u32 if; u32 cookie[2]; }      48 bytes
//     struct inet_diag_msg    { u8 family, state, timer, retrans; sockid; u32 expires, rqueue, wqueue, uid, inode; }  72 bytes
//     struct unix_diag_req    { u8 family, protocol; u16 pad; u32 states, ino, show; u32 cookie[2]; }  24 bytes
//     struct unix_diag_msg    { u8 family, type, state, pad; u32 ino; u32 cookie[2]; }                16 bytes
//
// Ports and addresses are in network order; every other field in the guest's.

enum SockDiag {
    static let byFamily: UInt16 = 20, destroy: UInt16 = 21
    /// The compatibility requests (TCPDIAG_GETSOCK, DCCPDIAG_GETSOCK), before inet_diag_req_v2.
    static let compatTypes: Set<UInt16> = [18, 19]
    static let familyLimit: UInt8 = 46  // AF_MAX

    static func handle(_ r: NetlinkRequest) -> NetlinkOutcome {
        let type = r.header.type
        if compatTypes.contains(type) { return .failed(.EOPNOTSUPP) }
        guard type == byFamily || type == destroy else { return .failed(.EINVAL) }
        guard r.body.count >= 2 else { return .failed(.EINVAL) }
        let family = r.body[0], proto = r.body[1]
        guard family < familyLimit else { return .failed(.EINVAL) }
        if type == destroy { return .failed(family == 2 || family == 10 ? .EPERM : .EOPNOTSUPP) }
        let dumping = r.header.flags & NL.dump != 0
        switch family {
        case 2, 10:
            guard r.body.count >= 56 else { return .failed(.EINVAL) }
            // Protocols whose diag module Linux has; umlab has no sockets of the others.
            guard [6, 17, 136, 255, 33, 132].contains(proto) else { return .failed(.ENOENT) }
            guard dumping else { return .failed(.ENOENT) }  // exact lookups are not offered
            var d = GuestDecoder(Array(r.body[4..<8]), r.abi)
            let states = d.u32()
            let rows = (proto == 6 || proto == 17)
                ? r.network.inetRows(proto: Int32(proto), family: family == 2 ? .inet : .inet6) : []
            return .dump(rows.filter { states & (1 << UInt32($0.state)) != 0 && !(proto == 6 && $0.state == TCPState.close) }
                .map { inetMessage($0, r) })
        case 1:
            guard r.body.count >= 24 else { return .failed(.EINVAL) }
            var d = GuestDecoder(Array(r.body[4..<24]), r.abi)
            let states = d.u32(), inode = d.u32(), show = d.u32()
            if dumping {
                return .dump(r.network.unixRows.filter { states & (1 << UInt32($0.state)) != 0 }.map { unixMessage($0, show: show, r, flags: NL.multi) })
            }
            guard let row = r.network.unixRows.first(where: { $0.inode == UInt64(inode) }) else { return .failed(.ENOENT) }
            return .replies([unixMessage(row, show: show, r, flags: 0)])
        default:
            return .failed(.ENOENT)  // no diag handler for the family
        }
    }

    static func inetMessage(_ s: InetSocketRow, _ r: NetlinkRequest) -> [UInt8] {
        r.part(byFamily) { m in
            m.body.u8(UInt8(s.family.rawValue)); m.body.u8(s.state); m.body.u8(0); m.body.u8(0)
            m.body.raw([UInt8(s.localPort >> 8), UInt8(s.localPort & 0xff), UInt8(s.remotePort >> 8), UInt8(s.remotePort & 0xff)])
            for ip in [s.local, s.remote] {
                var b = s.family == .inet ? ip.wireBytes : ip.bytes
                b += [UInt8](repeating: 0, count: 16 - b.count)
                m.body.raw(b)
            }
            m.body.u32(0)  // interface
            m.body.u32(UInt32(truncatingIfNeeded: s.inode)); m.body.u32(UInt32(truncatingIfNeeded: s.inode >> 32))  // cookie
            m.body.u32(0)  // expires
            m.body.u32(s.receiveQueue); m.body.u32(s.sendQueue); m.body.u32(s.uid); m.body.u32(UInt32(truncatingIfNeeded: s.inode))
            if s.family == .inet6 && (s.state == TCPState.listen || s.state == TCPState.close) {
                m.attribute(11, u8: s.v6Only ? 1 : 0)  // INET_DIAG_SKV6ONLY
            }
            m.attribute(8, u8: s.shutdown)  // INET_DIAG_SHUTDOWN
        }
    }

    /// A unix_diag_msg with the attributes `show` asks for (UDIAG_SHOW_NAME 1, PEER 4,
    /// RQLEN 0x10, UID 0x40) and the shutdown state.
    static func unixMessage(_ s: UnixSocketRow, show: UInt32, _ r: NetlinkRequest, flags: UInt16) -> [UInt8] {
        r.message(byFamily, flags: flags) { m in
            m.body.u8(1); m.body.u8(UInt8(s.kind.rawValue)); m.body.u8(s.state); m.body.u8(0)
            m.body.u32(UInt32(truncatingIfNeeded: s.inode))
            m.body.u32(UInt32(truncatingIfNeeded: s.inode)); m.body.u32(UInt32(truncatingIfNeeded: s.inode >> 32))
            if show & 0x1 != 0 {
                // sun_path as bound: a path with its NUL, an abstract name after its leading NUL.
                switch s.name {
                case .unnamed: break
                case .path(let p): m.attribute(0, p + [0])
                case .abstract(let a): m.attribute(0, [0] + a)
                }
            }
            if show & 0x4 != 0, let peer = s.peer { m.attribute(2, u32: UInt32(truncatingIfNeeded: peer)) }
            if show & 0x10 != 0 {
                var e = GuestEncoder(r.abi)
                e.u32(s.receiveQueue); e.u32(s.sendQueue)
                m.attribute(4, e.bytes)
            }
            if show & 0x40 != 0 { m.attribute(7, u32: s.uid) }
            m.attribute(6, u8: s.shutdown)  // UNIX_DIAG_SHUTDOWN
        }
    }
}
