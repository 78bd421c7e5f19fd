import LinuxABI

// /proc/net/{tcp,tcp6,udp,udp6,unix,dev,route,if_inet6,arp,sockstat,sockstat6} and /proc/sys/net, generated from the
// machine's sockets and interfaces in Linux's formats (net/ipv4/tcp_ipv4.c get_tcp4_sock,
// net/ipv6/tcp_ipv6.c get_tcp6_sock, udp.c udp4_format_sock, af_unix.c unix_seq_show,
// net/core/net-procfs.c, fib_trie.c fib_route_seq_show, addrconf.c if6_seq_show).
//
// Linux prints a network-order address as the u32 it is in memory, so the hex differs between
// byte orders (127.0.0.1 is 0100007F on x86-64, 7F000001 on PowerPC); the text follows the
// guest's ABI, as a program parsing it with sscanf("%X") expects.

/// Formats /proc/net text for one guest ABI.
struct ProcNetFormatter {
    let bigEndian: Bool
    /// Hex digits of a kernel pointer (%pK, printed as zeros: kptr_restrict).
    let pointerDigits: Int

    init(abi: GuestABI) {
        bigEndian = abi.bigEndian
        pointerDigits = abi.wordSize * 2
    }

    static func hex(_ v: UInt64, _ width: Int) -> String { String.padded(v, radix: 16, width: width).uppercased() }
    static func dec(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
    /// `text` padded with spaces to `width` characters, then a newline (Linux's seq_pad).
    static func pad(_ text: String, _ width: Int) -> String {
        let n = text.utf8.count
        return (n < width ? text + String(repeating: " ", count: width - n) : text) + "\n"
    }

    /// A network-order 32-bit word (four address bytes) as the guest's u32 prints.
    func word(_ b: ArraySlice<UInt8>) -> String {
        let i = b.startIndex
        let v = bigEndian
            ? UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
            : UInt32(b[i + 3]) << 24 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i])
        return ProcNetFormatter.hex(UInt64(v), 8)
    }
    func v4(_ ip: IPAddress) -> String { word(ArraySlice(ip.wireBytes)) }
    func v6(_ ip: IPAddress) -> String {
        let b = ip.bytes
        return (0..<4).map { word(b[(4 * $0)..<(4 * $0 + 4)]) }.joined()
    }
    var pointer: String { String(repeating: "0", count: pointerDigits) }

    // MARK: tcp, tcp6

    static let tcpWidth = 149

    func tcp(_ rows: [InetSocketRow], v6 isV6: Bool) -> String {
        var out = isV6
            ? "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            : ProcNetFormatter.pad("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", ProcNetFormatter.tcpWidth)
        for (i, r) in rows.enumerated() {
            let h = ProcNetFormatter.hex, d = ProcNetFormatter.dec
            let address = { (ip: IPAddress, port: UInt16) in (isV6 ? self.v6(ip) : self.v4(ip)) + ":" + h(UInt64(port), 4) }
            let listening = r.state == TCPState.listen
            // rto, ato, quick/pingpong, cwnd, ssthresh (or a listener's fastopen queue).
            let tail = listening ? "100 0 0 10 0" : "20 4 30 10 -1"
            let line = "\(d(Int64(i), 4)): \(address(r.local, r.localPort)) \(address(r.remote, r.remotePort)) \(h(UInt64(r.state), 2)) "
                + "\(h(UInt64(listening ? 0 : r.sendQueue), 8)):\(h(UInt64(r.receiveQueue), 8)) 00:00000000 00000000 "
                + "\(d(Int64(r.uid), 5)) \(d(0, 8)) \(r.inode) 1 \(pointer) \(tail)"
            out += isV6 ? line + "\n" : ProcNetFormatter.pad(line, ProcNetFormatter.tcpWidth)
        }
        return out
    }

    // MARK: udp, udp6

    static let udpWidth = 127

    func udp(_ rows: [InetSocketRow], v6 isV6: Bool) -> String {
        var out = isV6
            ? "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
            : ProcNetFormatter.pad("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops", ProcNetFormatter.udpWidth)
        // Linux walks its hash table: sockets in bucket order (the port modulo the table size).
        for r in rows.sorted(by: { ($0.localPort & 0xff, $0.inode) < ($1.localPort & 0xff, $1.inode) }) {
            let h = ProcNetFormatter.hex, d = ProcNetFormatter.dec
            let address = { (ip: IPAddress, port: UInt16) in (isV6 ? self.v6(ip) : self.v4(ip)) + ":" + h(UInt64(port), 4) }
            let line = "\(d(Int64(r.localPort & 0xff), 5)): \(address(r.local, r.localPort)) \(address(r.remote, r.remotePort)) "
                + "\(h(UInt64(r.state), 2)) 00000000:\(h(UInt64(r.receiveQueue), 8)) 00:00000000 00000000 "
                + "\(d(Int64(r.uid), 5)) \(d(0, 8)) \(r.inode) 2 \(pointer) 0"
            out += isV6 ? line + "\n" : ProcNetFormatter.pad(line, ProcNetFormatter.udpWidth)
        }
        return out
    }

    // MARK: unix

    func unix(_ rows: [UnixSocketRow]) -> String {
        var out = "Num       RefCount Protocol Flags    Type St Inode Path\n"
        for r in rows {
            let h = ProcNetFormatter.hex
            let acceptFlag: UInt64 = r.state == TCPState.listen ? 1 << 16 : 0  // __SO_ACCEPTCON
            let ss: UInt64 = r.state == TCPState.established ? 3 : 1  // SS_CONNECTED, SS_UNCONNECTED
            var line = "\(pointer): 00000002 00000000 \(h(acceptFlag, 8)) \(h(UInt64(r.kind.rawValue), 4)) \(h(ss, 2)) "
                + ProcNetFormatter.dec(Int64(r.inode), 5)
            switch r.name {
            case .unnamed: break
            case .path(let p): line += " " + String(decoding: p, as: UTF8.self)
            case .abstract(let a):
                line += " @" + String(decoding: a.map { $0 == 0 ? UInt8(ascii: "@") : $0 }, as: UTF8.self)
            }
            out += line + "\n"
        }
        return out
    }

    // MARK: dev, route, if_inet6

    static func dev(_ interfaces: [NetworkInterface]) -> String {
        var out = "Inter-|   Receive                                                |  Transmit\n"
            + " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
        let widths = [7, 7, 4, 4, 4, 5, 10, 9, 8, 7, 4, 4, 4, 5, 7, 10]
        for i in interfaces {
            let name = String(repeating: " ", count: max(0, 6 - i.name.utf8.count)) + i.name
            out += name + ":" + widths.map { " " + dec(0, $0) }.joined() + "\n"
        }
        return out
    }

    func route(_ routes: [RouteEntry], interfaces: [NetworkInterface]) -> String {
        var out = ProcNetFormatter.pad("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT", 127)
        // The main table's IPv4 routes (RTF_UP, and RTF_GATEWAY for a route through one).
        for r in routes where r.isV4 && r.table == 254 {
            let name = interfaces.first { $0.index == r.interfaceIndex }?.name ?? "*"
            let flags: UInt64 = r.gateway == nil ? 0x1 : 0x3
            let line = "\(name)\t\(v4(r.destination))\t\(v4(r.gateway ?? .anyV4))\t\(ProcNetFormatter.hex(flags, 4))\t0\t0\t0\t"
                + "\(v4(.netmask(v4PrefixLength: r.prefixLength)))\t0\t0\t0"
            out += ProcNetFormatter.pad(line, 127)
        }
        return out
    }

    /// The ARP table: the header alone (no neighbour is ever resolved).
    static let arp = "IP address       HW type     Flags       HW address            Mask     Device\n"

    /// /proc/net/sockstat and sockstat6: sockets in use by protocol.
    static func sockstat(_ network: Network, v6: Bool) -> String {
        let family: AddressFamily = v6 ? .inet6 : .inet
        let tcp = network.inetRows(proto: 6, family: family).filter { $0.state != TCPState.close }.count
        let udp = network.inetRows(proto: 17, family: family).count
        if v6 { return "TCP6: inuse \(tcp)\nUDP6: inuse \(udp)\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n" }
        let all = network.liveSockets
        let tcpAll = all.filter { $0.isInet && $0.proto == 6 }.count
        return "sockets: used \(all.count)\nTCP: inuse \(tcp) orphan 0 tw 0 alloc \(tcpAll) mem 0\nUDP: inuse \(udp) mem 0\n"
            + "UDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n"
    }

    static func ifInet6(_ interfaces: [NetworkInterface]) -> String {
        var out = ""
        for i in interfaces {
            for a in i.v6Addresses {
                let hex = a.ip.bytes.map { String.padded(UInt64($0), radix: 16, width: 2) }.joined()
                let scope: UInt64 = a.ip.isLoopback ? 0x10 : (a.ip.high >> 54 == 0x3fa ? 0x20 : 0)  // IPV6_ADDR_LOOPBACK, LINKLOCAL
                let name = String(repeating: " ", count: max(0, 8 - i.name.utf8.count)) + i.name
                out += "\(hex) \(String.padded(UInt64(i.index), radix: 16, width: 2)) \(String.padded(UInt64(a.prefixLength), radix: 16, width: 2)) "
                    + "\(String.padded(scope, radix: 16, width: 2)) 80 \(name)\n"  // IFA_F_PERMANENT
            }
        }
        return out
    }
}

extension ProcFS {
    /// /proc/net (and every /proc/<pid>/net: the machine has one network namespace).
    func makeNetDirectory() -> Inode {
        unowned let k = kernel
        func file(_ text: @escaping () -> String) -> Inode { SynthFile(fs: self, number: number(), text: text) }
        let f = { ProcNetFormatter(abi: k.abi) }
        return SynthDirectory(fs: self, number: number(), children: [
            ("tcp", file { f().tcp(k.network.inetRows(proto: 6, family: .inet).filter { $0.state != TCPState.close }, v6: false) }),
            ("tcp6", file { f().tcp(k.network.inetRows(proto: 6, family: .inet6).filter { $0.state != TCPState.close }, v6: true) }),
            ("udp", file { f().udp(k.network.inetRows(proto: 17, family: .inet), v6: false) }),
            ("udp6", file { f().udp(k.network.inetRows(proto: 17, family: .inet6), v6: true) }),
            ("unix", file { f().unix(k.network.unixRows) }),
            ("dev", file { ProcNetFormatter.dev(k.network.interfaces) }),
            ("route", file { f().route(k.network.routes, interfaces: k.network.interfaces) }),
            ("if_inet6", file { ProcNetFormatter.ifInet6(k.network.interfaces) }),
            ("arp", file { ProcNetFormatter.arp }),
            ("sockstat", file { ProcNetFormatter.sockstat(k.network, v6: false) }),
            ("sockstat6", file { ProcNetFormatter.sockstat(k.network, v6: true) }),
        ])
    }

    /// /proc/sys/net: the values programs read to size their listen backlogs and pick ports.
    func makeSysNetDirectory() -> Inode {
        func file(_ text: String) -> Inode { SynthFile(fs: self, number: number(), text: { text }) }
        let ports = Network.ephemeralPorts
        return SynthDirectory(fs: self, number: number(), children: [
            ("core", SynthDirectory(fs: self, number: number(), children: [
                ("somaxconn", file("\(Network.somaxconn)\n")),
            ])),
            ("ipv4", SynthDirectory(fs: self, number: number(), children: [
                ("ip_local_port_range", file("\(ports.lowerBound)\t\(ports.upperBound)\n")),
            ])),
            ("unix", SynthDirectory(fs: self, number: number(), children: [
                ("max_dgram_qlen", file("\(Socket.maxDatagramQueue)\n")),
            ])),
        ])
    }
}
