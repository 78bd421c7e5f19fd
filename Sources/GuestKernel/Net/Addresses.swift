import LinuxABI

// Socket addresses as the guest kernel keeps them, and their guest `struct sockaddr_*` forms.

/// The address families umlab provides (AF_*).
public enum AddressFamily: Int32, Sendable {
    case unix = 1
    case inet = 2
    case inet6 = 10
    case netlink = 16
}

/// Socket types (SOCK_*), without the SOCK_NONBLOCK / SOCK_CLOEXEC flags.
public enum SocketKind: Int32, Sendable {
    case stream = 1
    case datagram = 2
    case raw = 3
    case seqpacket = 5

    /// Whether the socket is connection-oriented (a connect makes a pair, a listener accepts).
    var isConnectionOriented: Bool { self == .stream || self == .seqpacket }
    /// Whether reads keep the boundaries of writes.
    var keepsBoundaries: Bool { self != .stream }
}

/// An IPv6 address, or an IPv4 address in its IPv4-mapped form (::ffff:a.b.c.d): one value
/// serves dual-stack sockets, where an AF_INET6 socket talks to AF_INET ones.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The 16 address bytes as two big-endian halves.
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }
    /// An IPv4 address (a.b.c.d as the 32-bit number a << 24 | b << 16 | c << 8 | d).
    public init(v4: UInt32) { high = 0; low = 0xffff_0000_0000 | UInt64(v4) }
    public init(v4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.init(v4: UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }
    /// The 16 bytes of an in6_addr.
    public init(bytes: ArraySlice<UInt8>) {
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, b) in bytes.prefix(16).enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h; low = l
    }

    public static let anyV6 = IPAddress(high: 0, low: 0)
    public static let anyV4 = IPAddress(v4: 0)
    public static let loopbackV6 = IPAddress(high: 0, low: 1)
    public static let loopbackV4 = IPAddress(v4: 127, 0, 0, 1)

    public var isV4: Bool { high == 0 && low >> 32 == 0xffff }
    /// The IPv4 address of an IPv4-mapped one.
    public var v4: UInt32 { UInt32(truncatingIfNeeded: low) }
    /// 0.0.0.0 or ::.
    public var isUnspecified: Bool { self == .anyV6 || self == .anyV4 }
    /// 127.0.0.0/8 or ::1.
    public var isLoopback: Bool { self == .loopbackV6 || (isV4 && v4 >> 24 == 127) }
    public var isMulticast: Bool { isV4 ? v4 >> 28 == 0xe : high >> 56 == 0xff }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            out[i] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i))
            out[8 + i] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * i))
        }
        return out
    }

    public var description: String {
        if isV4 {
            let v = v4
            return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            groups[i] = UInt16(truncatingIfNeeded: high >> UInt64(48 - 16 * i))
            groups[4 + i] = UInt16(truncatingIfNeeded: low >> UInt64(48 - 16 * i))
        }
        // The longest run of two or more zero groups becomes "::" (RFC 5952).
        var best = (start: -1, length: 0), i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > best.length && j - i >= 2 { best = (i, j - i) }
                i = j
            } else { i += 1 }
        }
        func hex(_ r: Range<Int>) -> String { r.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
        if best.start < 0 { return hex(0..<8) }
        return hex(0..<best.start) + "::" + hex((best.start + best.length)..<8)
    }

    /// Parses a dotted IPv4 or a textual IPv6 address.
    public init?(_ text: String) {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var v: UInt32 = 0
            for p in parts {
                guard let b = UInt8(p) else { return nil }
                v = v << 8 | UInt32(b)
            }
            self.init(v4: v)
            return
        }
        var head: [UInt16] = [], tail: [UInt16] = []
        let halves = IPAddress.splitOnDoubleColon(text)
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                if g.contains("."), let v4 = IPAddress(String(g)), v4.isV4 {
                    out += [UInt16(v4.v4 >> 16), UInt16(truncatingIfNeeded: v4.v4)]
                } else {
                    guard g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                    out.append(v)
                }
            }
            return out
        }
        guard let h = groups(halves[0]) else { return nil }
        head = h
        if halves.count == 2 {
            guard let t = groups(halves[1]) else { return nil }
            tail = t
            guard head.count + tail.count < 8 else { return nil }
        } else if head.count != 8 { return nil }
        let all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        var hi: UInt64 = 0, lo: UInt64 = 0
        for (i, g) in all.enumerated() { if i < 4 { hi = hi << 16 | UInt64(g) } else { lo = lo << 16 | UInt64(g) } }
        self.init(high: hi, low: lo)
    }

    /// `text` cut at each "::".
    private static func splitOnDoubleColon(_ text: String) -> [String] {
        var parts: [String] = [], current = "", previous: Character = " "
        for ch in text {
            if ch == ":" && previous == ":" {
                current.removeLast()
                parts.append(current)
                current = ""
                previous = " "
                continue
            }
            current.append(ch)
            previous = ch
        }
        parts.append(current)
        return parts
    }

    /// Whether this address lies in `network`/`prefix` (prefix lengths of IPv4 networks count
    /// in the mapped form's last 32 bits).
    public func isIn(_ network: IPAddress, prefix: Int) -> Bool {
        let bits = network.isV4 ? 96 + prefix : prefix
        func masked(_ a: IPAddress) -> (UInt64, UInt64) {
            let hm: UInt64 = bits >= 64 ? ~0 : bits <= 0 ? 0 : ~0 << UInt64(64 - bits)
            let lm: UInt64 = bits >= 128 ? ~0 : bits <= 64 ? 0 : ~0 << UInt64(128 - bits)
            return (a.high & hm, a.low & lm)
        }
        return masked(self) == masked(network)
    }
}

/// An AF_UNIX name.
public enum UnixName: Hashable, Sendable {
    /// Not bound (socketpair, or a client that never bound).
    case unnamed
    /// A file system path, as given to bind (the guest sees it back as given).
    case path([UInt8])
    /// Linux's abstract namespace: the bytes after the leading NUL.
    case abstract([UInt8])
}

/// A socket address in the kernel.
public enum SocketAddress: Hashable, Sendable, CustomStringConvertible {
    case unix(UnixName)
    case inet(IPAddress, port: UInt16)
    /// A netlink address: the port id and the multicast groups.
    case netlink(portID: UInt32, groups: UInt32)

    public var description: String {
        switch self {
        case .unix(.unnamed): return "@unnamed"
        case .unix(.path(let p)): return String(decoding: p, as: UTF8.self)
        case .unix(.abstract(let a)): return "@" + String(decoding: a, as: UTF8.self)
        case .inet(let ip, let port): return ip.isV4 ? "\(ip):\(port)" : "[\(ip)]:\(port)"
        case .netlink(let p, _): return "netlink:\(p)"
        }
    }

    var ip: IPAddress? { if case .inet(let a, _) = self { return a }; return nil }
    var port: UInt16? { if case .inet(_, let p) = self { return p }; return nil }
}

/// The guest's `struct sockaddr_*` forms.
enum SockaddrCodec {
    /// sizeof(struct sockaddr_un): the family and a 108-byte path.
    static let unixSize = 110
    static let inetSize = 16
    static let inet6Size = 28
    static let netlinkSize = 12

    /// Decodes the address a guest passed for a socket of `family`. Linux's checks: a length
    /// shorter than the family's structure is EINVAL; a family that does not match is
    /// EAFNOSUPPORT (EINVAL for AF_UNIX). An AF_INET6 socket takes AF_INET addresses only where
    /// Linux does (never: it needs sockaddr_in6; but an AF_UNSPEC connect disconnects).
    static func decode(_ raw: [UInt8], family: AddressFamily, abi: GuestABI) throws(LinuxErrno) -> SocketAddress {
        guard raw.count >= 2 else { throw .EINVAL }
        var d = GuestDecoder(raw, abi)
        let given = Int32(d.u16())
        switch family {
        case .unix:
            guard given == AddressFamily.unix.rawValue else { throw .EINVAL }
            let path = raw[2...]
            if path.isEmpty { return .unix(.unnamed) }  // autobind
            if path.first == 0 { return .unix(.abstract(Array(path.dropFirst()))) }
            // The path ends at its first NUL (or the given length).
            let name = Array(path.prefix { $0 != 0 })
            return .unix(.path(name))
        case .inet:
            guard raw.count >= inetSize else { throw .EINVAL }
            guard given == AddressFamily.inet.rawValue else { throw .EAFNOSUPPORT }
            return .inet(IPAddress(v4: bigEndian32(raw, 4)), port: UInt16(raw[2]) << 8 | UInt16(raw[3]))
        case .inet6:
            // A v4 sockaddr to an AF_INET6 socket: Linux's inet6 calls want sockaddr_in6.
            guard raw.count >= 24 else { throw .EINVAL }
            guard given == AddressFamily.inet6.rawValue else { throw .EAFNOSUPPORT }
            return .inet(IPAddress(bytes: raw[8..<24]), port: UInt16(raw[2]) << 8 | UInt16(raw[3]))
        case .netlink:
            guard raw.count >= netlinkSize else { throw .EINVAL }
            guard given == AddressFamily.netlink.rawValue else { throw .EINVAL }
            d.skip(2)
            return .netlink(portID: d.u32(), groups: d.u32())
        }
    }

    /// The guest's bytes for `address` as a socket of `family` reports it.
    static func encode(_ address: SocketAddress, family: AddressFamily, abi: GuestABI) -> [UInt8] {
        var e = GuestEncoder(abi)
        switch address {
        case .unix(let name):
            e.u16(UInt16(AddressFamily.unix.rawValue))
            switch name {
            case .unnamed: break
            case .path(let p): e.raw(p); e.u8(0)
            case .abstract(let a): e.u8(0); e.raw(a)
            }
        case .inet(let ip, let port):
            if family == .inet6 {
                e.u16(UInt16(AddressFamily.inet6.rawValue))
                e.u8(UInt8(port >> 8)); e.u8(UInt8(truncatingIfNeeded: port))
                e.u32(0)  // flow info
                e.raw(ip.bytes)
                e.u32(0)  // scope id
            } else {
                e.u16(UInt16(AddressFamily.inet.rawValue))
                e.u8(UInt8(port >> 8)); e.u8(UInt8(truncatingIfNeeded: port))
                let v = ip.v4
                e.raw([UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)])
                e.zeros(8)
            }
        case .netlink(let p, let g):
            e.u16(UInt16(AddressFamily.netlink.rawValue)); e.u16(0); e.u32(p); e.u32(g)
        }
        return e.bytes
    }

    static func bigEndian32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }
}
