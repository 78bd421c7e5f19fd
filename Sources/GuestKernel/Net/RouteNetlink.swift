import LinuxABI

// NETLINK_ROUTE: links, addresses and routes, as Linux's rtnetlink_rcv_msg dispatches them and
// rtnl_fill_ifinfo, inet_fill_ifaddr, inet6_fill_ifaddr, fib_dump_info and rt6_fill_node fill
// them. Fixed parts in the guest's byte order (linux/rtnetlink.h, if_link.h, if_addr.h):
//
//     struct ifinfomsg { u8 family, pad; u16 type; i32 index; u32 flags, change; }   16 bytes
//     struct ifaddrmsg { u8 family, prefixlen, flags, scope; u32 index; }             8 bytes
//     struct rtmsg     { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }  12 bytes
//
// Every request that would change something (RTM_NEW*, RTM_DEL*, RTM_SET*) is EPERM: the guest
// cannot reconfigure its network, as a container without CAP_NET_ADMIN cannot.

enum RouteNetlink {
    static let newLink: UInt16 = 16, getLink: UInt16 = 18, newAddress: UInt16 = 20, getAddress: UInt16 = 22
    static let newRoute: UInt16 = 24, getRoute: UInt16 = 26, getNeighbour: UInt16 = 30, getRule: UInt16 = 34
    /// RTM_MAX in Linux 6.1: types above it are EOPNOTSUPP.
    static let maxType: UInt16 = 123

    static let unspec: UInt8 = 0, inet: UInt8 = 2, inet6: UInt8 = 10
    /// ifa_cacheinfo's "forever".
    static let forever: UInt32 = 0xFFFF_FFFF

    static func handle(_ r: NetlinkRequest) -> NetlinkOutcome {
        let type = r.header.type
        if type > maxType { return .failed(.EOPNOTSUPP) }
        // Every message carries at least the family byte (struct rtgenmsg); shorter ones are
        // dropped without an error, as rtnetlink_rcv_msg does.
        guard let family = r.body.first else { return .replies([]) }
        if (type - newLink) & 3 != 2 { return .failed(.EPERM) }
        if r.header.flags & NL.dump != 0 {
            switch type {
            case getLink: return .dump(family == 7 ? [] : r.network.interfaces.map { link($0, r, flags: NL.multi) })  // AF_BRIDGE: no ports
            case getAddress: return .dump(addresses(family, r))
            case getRoute: return .dump(routes(family, r))
            case getNeighbour, getRule: return .dump([])  // no neighbour entries; no policy rules shown
            default: return .failed(.EOPNOTSUPP)
            }
        }
        switch type {
        case getLink: return getOneLink(r)
        case getRoute: return getOneRoute(r, family: family)
        default: return .failed(.EOPNOTSUPP)
        }
    }

    // MARK: links

    static func link(_ i: NetworkInterface, _ r: NetlinkRequest, flags: UInt16) -> [UInt8] {
        r.message(newLink, flags: flags) { m in
            m.body.u8(unspec); m.body.u8(0); m.body.u16(i.hardwareType); m.body.i32(i.index); m.body.u32(i.flags); m.body.u32(0)
            m.attribute(3, string: i.name)           // IFLA_IFNAME
            m.attribute(13, u32: i.txQueueLength)    // IFLA_TXQLEN
            m.attribute(16, u8: i.operationalState)  // IFLA_OPERSTATE
            m.attribute(17, u8: 0)                   // IFLA_LINKMODE: default
            m.attribute(4, u32: i.mtu)               // IFLA_MTU
            m.attribute(50, u32: i.index == Network.loopbackIndex ? 0 : 68)  // IFLA_MIN_MTU
            m.attribute(51, u32: i.index == Network.loopbackIndex ? 0 : 65535)  // IFLA_MAX_MTU
            m.attribute(27, u32: 0)                  // IFLA_GROUP
            m.attribute(30, u32: 0)                  // IFLA_PROMISCUITY
            m.attribute(31, u32: 1)                  // IFLA_NUM_TX_QUEUES
            m.attribute(32, u32: 1)                  // IFLA_NUM_RX_QUEUES
            m.attribute(33, u8: 1)                   // IFLA_CARRIER
            m.attribute(6, string: i.qdisc)          // IFLA_QDISC
            m.attribute(35, u32: 0)                  // IFLA_CARRIER_CHANGES
            m.attribute(1, i.hardwareAddress)        // IFLA_ADDRESS
            m.attribute(2, i.hardwareBroadcast)      // IFLA_BROADCAST
            m.attribute(23, [UInt8](repeating: 0, count: 25 * 8))  // IFLA_STATS64 (no traffic counted)
            m.attribute(7, [UInt8](repeating: 0, count: 24 * 4))   // IFLA_STATS
        }
    }

    /// RTM_GETLINK of one interface, by index or IFLA_IFNAME.
    static func getOneLink(_ r: NetlinkRequest) -> NetlinkOutcome {
        guard r.body.count >= 16 else { return .failed(.EINVAL) }
        var d = GuestDecoder(Array(r.body[4..<8]), r.abi)
        let index = d.i32()
        let found: NetworkInterface?
        if index > 0 {
            found = r.network.interface(index: index)
        } else if let name = r.attributes(after: 16)[3] ?? r.attributes(after: 16)[53] {  // IFLA_IFNAME, IFLA_ALT_IFNAME
            found = r.network.interface(named: String(decoding: name.prefix { $0 != 0 }, as: UTF8.self))
        } else {
            return .failed(.EINVAL)
        }
        guard let i = found else { return .failed(.ENODEV) }
        return .replies([link(i, r, flags: 0)])
    }

    // MARK: addresses

    /// The addresses of `family` (both for AF_UNSPEC: IPv4 first, as rtnl_dump_all walks).
    static func addresses(_ family: UInt8, _ r: NetlinkRequest) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for v4 in [true, false] where family == unspec || family == (v4 ? inet : inet6) {
            for i in r.network.interfaces {
                for a in v4 ? i.v4Addresses : i.v6Addresses { out.append(address(a, of: i, r)) }
            }
        }
        return out
    }

    static func address(_ a: InterfaceAddress, of i: NetworkInterface, _ r: NetlinkRequest) -> [UInt8] {
        r.part(newAddress) { m in
            m.body.u8(a.ip.isV4 ? inet : inet6); m.body.u8(UInt8(a.prefixLength)); m.body.u8(0x80); m.body.u8(a.scope)  // IFA_F_PERMANENT
            m.body.u32(UInt32(i.index))
            var cache = GuestEncoder(r.abi)
            cache.u32(forever); cache.u32(forever); cache.u32(0); cache.u32(0)
            if a.ip.isV4 {
                m.attribute(1, a.ip.wireBytes)  // IFA_ADDRESS
                m.attribute(2, a.ip.wireBytes)  // IFA_LOCAL
                if let b = a.broadcast { m.attribute(4, b.wireBytes) }  // IFA_BROADCAST
                m.attribute(3, string: i.name)  // IFA_LABEL
                m.attribute(8, u32: 0x80)       // IFA_FLAGS
                m.attribute(6, cache.bytes)     // IFA_CACHEINFO
            } else {
                m.attribute(1, a.ip.wireBytes)
                m.attribute(6, cache.bytes)
                m.attribute(8, u32: 0x80)
            }
        }
    }

    // MARK: routes

    static func routes(_ family: UInt8, _ r: NetlinkRequest) -> [[UInt8]] {
        r.network.routes.filter { family == unspec || family == ($0.isV4 ? inet : inet6) }.map { route($0, r, flags: NL.multi) }
    }

    static func route(_ e: RouteEntry, _ r: NetlinkRequest, flags: UInt16, cloned: Bool = false) -> [UInt8] {
        r.message(newRoute, flags: flags) { m in
            m.body.u8(e.isV4 ? inet : inet6); m.body.u8(UInt8(e.prefixLength)); m.body.u8(0); m.body.u8(0)
            m.body.u8(e.table); m.body.u8(cloned ? 0 : e.origin); m.body.u8(e.scope); m.body.u8(e.type)
            m.body.u32((cloned ? 0x200 : 0) | (e.onLink ? 0x4 : 0))  // RTM_F_CLONED: the answer to a lookup; RTNH_F_ONLINK
            m.attribute(15, u32: UInt32(e.table))  // RTA_TABLE
            if e.prefixLength > 0 { m.attribute(1, e.destination.wireBytes) }  // RTA_DST
            if let metric = e.metric { m.attribute(6, u32: metric) }  // RTA_PRIORITY
            if let s = e.preferredSource { m.attribute(7, s.wireBytes) }  // RTA_PREFSRC
            if let g = e.gateway { m.attribute(5, g.wireBytes) }  // RTA_GATEWAY
            m.attribute(4, u32: UInt32(e.interfaceIndex))  // RTA_OIF
            if !e.isV4 { m.attribute(20, u8: 0) }  // RTA_PREF: medium
        }
    }

    /// RTM_GETROUTE without a dump: the route a packet to RTA_DST takes (`ip route get`), the
    /// local table first, then the longest matching prefix of the main table.
    static func getOneRoute(_ r: NetlinkRequest, family: UInt8) -> NetlinkOutcome {
        guard r.body.count >= 12 else { return .failed(.EINVAL) }
        guard family == inet || family == inet6 else { return .failed(.EOPNOTSUPP) }
        let raw = r.attributes(after: 12)[1] ?? []
        let destination: IPAddress
        if family == inet {
            guard raw.isEmpty || raw.count == 4 else { return .failed(.EINVAL) }
            destination = raw.isEmpty ? .anyV4 : IPAddress(v4: SockaddrCodec.bigEndian32(raw, 0))
        } else {
            guard raw.isEmpty || raw.count == 16 else { return .failed(.EINVAL) }
            destination = raw.isEmpty ? .anyV6 : IPAddress(bytes: raw[...])
        }
        let candidates = r.network.routes.filter { $0.isV4 == (family == inet) && (destination.isUnspecified ? $0.type == 2 : destination.isIn($0.destination, prefix: $0.prefixLength)) }
        guard let best = candidates.max(by: { ($0.table == 255 ? 1 : 0, $0.prefixLength) < ($1.table == 255 ? 1 : 0, $1.prefixLength) }) else {
            return .failed(.ENETUNREACH)
        }
        var answer = best
        answer.destination = destination
        answer.prefixLength = family == inet ? 32 : 128
        answer.table = best.table == 255 ? 255 : 254
        if answer.preferredSource == nil, let i = r.network.interface(index: best.interfaceIndex) {
            answer.preferredSource = (family == inet ? i.v4Addresses : i.v6Addresses).first?.ip
        }
        if best.type == 3 { answer.type = 3 } else if best.type != 2 { answer.type = 1 }
        return .replies([route(answer, r, flags: 0, cloned: true)])
    }
}
