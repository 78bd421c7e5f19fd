// IP addresses as umlab keeps them: shared by the guest kernel (socket names, routes) and the host
// layer (the host sockets umlab opens for --publish and --allow).

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
