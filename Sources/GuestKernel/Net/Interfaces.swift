import LinuxABI

// The guest's interfaces, addresses and routes: what `ip`, `ifconfig`, /proc/net and netlink
// describe. They follow from `NetworkConfig` and never change while the machine runs (the guest
// cannot reconfigure its network: every change request is EPERM), so each is computed on demand.

/// IFF_* interface flags (linux/if.h).
enum InterfaceFlag {
    static let up: UInt32 = 0x1, broadcast: UInt32 = 0x2, loopback: UInt32 = 0x8
    static let running: UInt32 = 0x40, multicast: UInt32 = 0x1000, lowerUp: UInt32 = 0x1_0000
}

/// One address of an interface.
struct InterfaceAddress {
    var ip: IPAddress
    var prefixLength: Int
    /// RT_SCOPE_*: 0 universe, 253 link, 254 host.
    var scope: UInt8
    /// The IPv4 broadcast address (nil: none, as on lo).
    var broadcast: IPAddress?

    /// The network part (the address with the host bits cleared).
    var network: IPAddress { ip.masked(prefixLength: prefixLength) }
}

/// A network interface as Linux's net_device shows it.
struct NetworkInterface {
    var index: Int32
    var name: String
    /// ARPHRD_*: 772 loopback, 1 Ethernet.
    var hardwareType: UInt16
    var flags: UInt32
    var mtu: UInt32
    var txQueueLength: UInt32
    var hardwareAddress: [UInt8]
    var hardwareBroadcast: [UInt8]
    /// The queueing discipline `ip link` names.
    var qdisc: String
    /// IF_OPER_*: lo is UNKNOWN (0), as on Linux; eth0 is UP (6).
    var operationalState: UInt8
    var addresses: [InterfaceAddress]

    var v4Addresses: [InterfaceAddress] { addresses.filter { $0.ip.isV4 } }
    var v6Addresses: [InterfaceAddress] { addresses.filter { !$0.ip.isV4 } }
}

/// A route, in the kernel's main (254) or local (255) table.
struct RouteEntry {
    var destination: IPAddress
    var prefixLength: Int
    var gateway: IPAddress?
    var interfaceIndex: Int32
    var preferredSource: IPAddress?
    /// RT_TABLE_MAIN 254, RT_TABLE_LOCAL 255.
    var table: UInt8
    /// RTPROT_KERNEL 2 (made by an address), RTPROT_BOOT 3 (configured at boot).
    var origin: UInt8
    var scope: UInt8
    /// RTN_UNICAST 1, RTN_LOCAL 2, RTN_BROADCAST 3.
    var type: UInt8
    /// RTA_PRIORITY (IPv6 routes carry a metric).
    var metric: UInt32?
    /// RTNH_F_ONLINK: the gateway lies outside the interface's subnet (`--ip` elsewhere than
    /// 10.0.2.0/24 keeps 10.0.2.2 as the gateway).
    var onLink = false

    var isV4: Bool { destination.isV4 }
}

extension IPAddress {
    /// The address with all but the first `prefixLength` bits cleared (IPv4 prefixes count in
    /// the 32 bits of the address).
    func masked(prefixLength: Int) -> IPAddress {
        if isV4 {
            let p = min(max(prefixLength, 0), 32)
            let mask: UInt32 = p == 0 ? 0 : ~0 << UInt32(32 - p)
            return IPAddress(v4: v4 & mask)
        }
        let p = min(max(prefixLength, 0), 128)
        let hm: UInt64 = p >= 64 ? ~0 : p == 0 ? 0 : ~0 << UInt64(64 - p)
        let lm: UInt64 = p >= 128 ? ~0 : p <= 64 ? 0 : ~0 << UInt64(128 - p)
        return IPAddress(high: high & hm, low: low & lm)
    }

    /// An IPv4 netmask of `prefixLength` bits.
    static func netmask(v4PrefixLength p: Int) -> IPAddress {
        let p = min(max(p, 0), 32)
        return IPAddress(v4: p == 0 ? 0 : ~0 << UInt32(32 - p))
    }

    /// The 4 (IPv4) or 16 bytes of the address in network order.
    var wireBytes: [UInt8] {
        isV4 ? [UInt8(v4 >> 24), UInt8(v4 >> 16 & 0xff), UInt8(v4 >> 8 & 0xff), UInt8(v4 & 0xff)] : bytes
    }
}

extension NetworkConfig {
    /// eth0's MAC: the one configured, else locally administered (the 0x02 bit of the first
    /// byte) and the same on every run: QEMU's 52:54:00:12:34:56 at the default address, and
    /// 52:54 followed by the IPv4 address otherwise, so machines on one switch differ.
    public var hardwareAddress: [UInt8] {
        if let mac { return mac }
        if address == IPAddress(v4: 10, 0, 2, 15) { return [0x52, 0x54, 0x00, 0x12, 0x34, 0x56] }
        return [0x52, 0x54] + address.wireBytes.suffix(4)
    }
}

extension Network {
    static let loopbackIndex: Int32 = 1
    static let ethernetIndex: Int32 = 2

    /// lo and eth0.
    var interfaces: [NetworkInterface] {
        let c = config
        let lo = NetworkInterface(
            index: Network.loopbackIndex, name: "lo", hardwareType: 772,
            flags: InterfaceFlag.up | InterfaceFlag.loopback | InterfaceFlag.running | InterfaceFlag.lowerUp,
            mtu: 65536, txQueueLength: 1000, hardwareAddress: [0, 0, 0, 0, 0, 0], hardwareBroadcast: [0, 0, 0, 0, 0, 0],
            qdisc: "noqueue", operationalState: 0,
            addresses: [InterfaceAddress(ip: .loopbackV4, prefixLength: 8, scope: 254, broadcast: nil),
                        InterfaceAddress(ip: .loopbackV6, prefixLength: 128, scope: 254, broadcast: nil)])
        let network = c.address.masked(prefixLength: c.prefixLength)
        let hostBits: UInt32 = c.prefixLength >= 32 ? 0 : ~0 >> UInt32(c.prefixLength)
        let eth0 = NetworkInterface(
            index: Network.ethernetIndex, name: "eth0", hardwareType: 1,
            flags: InterfaceFlag.up | InterfaceFlag.broadcast | InterfaceFlag.running | InterfaceFlag.multicast | InterfaceFlag.lowerUp,
            mtu: 1500, txQueueLength: 1000, hardwareAddress: c.hardwareAddress, hardwareBroadcast: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            qdisc: "pfifo_fast", operationalState: 6,
            addresses: [InterfaceAddress(ip: c.address, prefixLength: c.prefixLength, scope: 0,
                                         broadcast: IPAddress(v4: network.v4 | hostBits))])
        return [lo, eth0]
    }

    func interface(index: Int32) -> NetworkInterface? { interfaces.first { $0.index == index } }
    func interface(named name: String) -> NetworkInterface? { interfaces.first { $0.name == name } }

    /// The routing tables as Linux builds them for these addresses: the default route through
    /// the gateway and eth0's subnet in the main table; local and broadcast routes of each
    /// address in the local table; ::1 in both.
    var routes: [RouteEntry] {
        var out: [RouteEntry] = []
        for i in interfaces {
            for a in i.addresses {
                if a.ip.isV4 {
                    let net = a.network
                    if i.index != Network.loopbackIndex {
                        out.append(RouteEntry(destination: net, prefixLength: a.prefixLength, gateway: nil, interfaceIndex: i.index,
                                              preferredSource: a.ip, table: 254, origin: 2, scope: 253, type: 1))
                    }
                    // The local table: the address itself, its network when that is local
                    // (127/8), and the broadcast address.
                    if i.index == Network.loopbackIndex {
                        out.append(RouteEntry(destination: net, prefixLength: a.prefixLength, gateway: nil, interfaceIndex: i.index,
                                              preferredSource: a.ip, table: 255, origin: 2, scope: 254, type: 2))
                    }
                    out.append(RouteEntry(destination: a.ip, prefixLength: 32, gateway: nil, interfaceIndex: i.index,
                                          preferredSource: a.ip, table: 255, origin: 2, scope: 254, type: 2))
                    let broadcast = a.broadcast ?? IPAddress(v4: net.v4 | (a.prefixLength >= 32 ? 0 : ~0 >> UInt32(a.prefixLength)))
                    out.append(RouteEntry(destination: broadcast, prefixLength: 32, gateway: nil, interfaceIndex: i.index,
                                          preferredSource: a.ip, table: 255, origin: 2, scope: 253, type: 3))
                } else {
                    out.append(RouteEntry(destination: a.network, prefixLength: a.prefixLength, gateway: nil, interfaceIndex: i.index,
                                          preferredSource: nil, table: 254, origin: 2, scope: 0, type: 1, metric: 256))
                    out.append(RouteEntry(destination: a.ip, prefixLength: 128, gateway: nil, interfaceIndex: i.index,
                                          preferredSource: nil, table: 255, origin: 2, scope: 0, type: 2, metric: 0))
                }
            }
        }
        out.append(RouteEntry(destination: .anyV4, prefixLength: 0, gateway: config.gateway, interfaceIndex: Network.ethernetIndex,
                              preferredSource: nil, table: 254, origin: 3, scope: 0, type: 1,
                              onLink: !config.gateway.isIn(config.address.masked(prefixLength: config.prefixLength), prefix: config.prefixLength)))
        // Dumped as Linux walks its tables: IPv4 first, main before local, by destination.
        out.sort { a, b in
            (a.isV4 ? 0 : 1, a.table, a.destination.high, a.destination.low, a.prefixLength)
                < (b.isV4 ? 0 : 1, b.table, b.destination.high, b.destination.low, b.prefixLength)
        }
        return out
    }
}
