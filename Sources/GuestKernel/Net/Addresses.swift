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
    /// shorter than the family's structure is EINVAL (longer than sockaddr_un too, for
    /// AF_UNIX); a family that does not match is EAFNOSUPPORT (EINVAL for AF_UNIX).
    /// `v4OnV6`: the call takes a sockaddr_in on an AF_INET6 socket, as Linux's UDP sendmsg and
    /// datagram connect do (TCP and bind want a sockaddr_in6).
    static func decode(_ raw: [UInt8], family: AddressFamily, abi: GuestABI, v4OnV6: Bool = false) throws(LinuxErrno) -> SocketAddress {
        guard raw.count >= 2 else { throw .EINVAL }
        var d = GuestDecoder(raw, abi)
        let given = Int32(d.u16())
        switch family {
        case .unix:
            guard given == AddressFamily.unix.rawValue, raw.count <= unixSize else { throw .EINVAL }
            let path = raw[2...]
            if path.isEmpty { return .unix(.unnamed) }  // autobind
            if path.first == 0 { return .unix(.abstract(Array(path.dropFirst()))) }
            // The path ends at its first NUL (or the given length).
            let name = Array(path.prefix { $0 != 0 })
            return .unix(.path(name))
        case .inet:
            guard raw.count >= inetSize else { throw .EINVAL }
            guard given == AddressFamily.inet.rawValue else { throw .EAFNOSUPPORT }
            return inet4(raw)
        case .inet6:
            if v4OnV6 && given == AddressFamily.inet.rawValue {
                guard raw.count >= inetSize else { throw .EINVAL }
                return inet4(raw)
            }
            guard raw.count >= 24 else { throw .EINVAL }  // SIN6_LEN_RFC2133: no scope id needed
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

    /// The address and port of a sockaddr_in (whatever its family field says).
    static func inet4(_ raw: [UInt8]) -> SocketAddress {
        .inet(IPAddress(v4: bigEndian32(raw, 4)), port: UInt16(raw[2]) << 8 | UInt16(raw[3]))
    }

    static func bigEndian32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }
}
