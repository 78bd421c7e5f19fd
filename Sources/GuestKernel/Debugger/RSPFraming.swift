// The GDB remote serial protocol's framing: `$payload#cc` packets, `+`/`-` acknowledgements,
// the 0x03 interrupt byte, binary escapes (`}` xor 0x20) and run-length encoding on the way
// out. Everything here is plain byte work over bounded buffers: a debugger connection is
// input umlab does not control, so a malformed stream gets a `-` (or an error reply from the
// stub), never a trap and never unbounded memory.

/// What the reader found in the bytes a debugger sent.
public enum RSPInput: Equatable, Sendable {
    /// A complete packet with a correct checksum (its payload, still escaped: `X` and `vFile`
    /// unescape their binary part themselves).
    case packet([UInt8])
    /// A packet whose checksum did not match (or that outgrew the buffer): answer `-`.
    case corrupt
    /// The interrupt byte (Ctrl-C in gdb) outside a packet.
    case interrupt
    /// `+` or `-` from the debugger acknowledging (or not) our last reply.
    case ack(Bool)
}

/// Splits a byte stream into `RSPInput`s. Bounded: a packet longer than `maximum` payload
/// bytes is dropped as corrupt (gdb never sends more than the PacketSize we announce).
public struct RSPReader {
    public let maximum: Int
    private enum State { case idle, payload, checksum1, checksum2 }
    private var state = State.idle
    private var payload: [UInt8] = []
    private var sum: UInt8 = 0
    private var given: UInt8 = 0
    private var overflowed = false

    public init(maximum: Int) { self.maximum = maximum }

    /// Feeds bytes; returns the inputs they complete, in order.
    public mutating func feed<S: Sequence>(_ bytes: S) -> [RSPInput] where S.Element == UInt8 {
        var out: [RSPInput] = []
        for b in bytes {
            switch state {
            case .idle:
                switch b {
                case UInt8(ascii: "$"):
                    state = .payload; payload.removeAll(keepingCapacity: true); sum = 0; overflowed = false
                case UInt8(ascii: "+"): out.append(.ack(true))
                case UInt8(ascii: "-"): out.append(.ack(false))
                case 0x03: out.append(.interrupt)
                default: break  // noise between packets is ignored, as gdbserver does
                }
            case .payload:
                if b == UInt8(ascii: "#") { state = .checksum1; continue }
                if b == UInt8(ascii: "$") {
                    // A new packet start inside a packet: the old one was cut short.
                    out.append(.corrupt)
                    payload.removeAll(keepingCapacity: true); sum = 0; overflowed = false
                    continue
                }
                sum &+= b
                if payload.count < maximum { payload.append(b) } else { overflowed = true }
            case .checksum1:
                guard let h = RSPHex.nibble(b) else { state = .idle; out.append(.corrupt); continue }
                given = h << 4; state = .checksum2
            case .checksum2:
                state = .idle
                guard let l = RSPHex.nibble(b) else { out.append(.corrupt); continue }
                given |= l
                out.append(given == sum && !overflowed ? .packet(payload) : .corrupt)
            }
        }
        return out
    }
}

/// Building packets to send.
public enum RSPWriter {
    /// `$payload#cc`, escaping the bytes the protocol reserves (`#`, `$`, `}`, `*`).
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "$")]
        out.reserveCapacity(payload.count + 4)
        var sum: UInt8 = 0
        for b in payload {
            if b == 0x23 || b == 0x24 || b == 0x7d || b == 0x2a {
                out.append(0x7d); out.append(b ^ 0x20); sum &+= 0x7d &+ (b ^ 0x20)
            } else {
                out.append(b); sum &+= b
            }
        }
        out.append(UInt8(ascii: "#"))
        out.append(RSPHex.digits[Int(sum >> 4)]); out.append(RSPHex.digits[Int(sum & 15)])
        return out
    }
    public static func frame(_ text: String) -> [UInt8] { frame(Array(text.utf8)) }
}

/// Hex and binary encodings of the protocol's fields.
public enum RSPHex {
    static let digits = Array("0123456789abcdef".utf8)

    @inline(__always) public static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s: [UInt8] = []
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return String(decoding: s, as: UTF8.self)
    }
    public static func encode(_ text: String) -> String { encode(Array(text.utf8)) }
    /// Hex pairs to bytes; nil for an odd length or a non-hex digit.
    public static func decode<C: Collection>(_ hex: C) -> [UInt8]? where C.Element == UInt8 {
        guard hex.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        var it = hex.makeIterator()
        while let h = it.next(), let l = it.next() {
            guard let a = nibble(h), let b = nibble(l) else { return nil }
            out.append(a << 4 | b)
        }
        return out
    }
    /// A hex number of at most 16 digits (gdb's addresses, lengths, register numbers); nil for
    /// an empty field, a non-hex digit or a value beyond 64 bits.
    public static func number<C: Collection>(_ hex: C) -> UInt64? where C.Element == UInt8 {
        guard !hex.isEmpty, hex.count <= 16 else { return nil }
        var v: UInt64 = 0
        for c in hex {
            guard let d = nibble(c) else { return nil }
            v = v << 4 | UInt64(d)
        }
        return v
    }
    /// `X` packets' binary data: `}` escapes the next byte (xor 0x20); nil for a dangling `}`.
    public static func unescape<C: Collection>(_ data: C) -> [UInt8]? where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        var escaped = false
        for b in data {
            if escaped { out.append(b ^ 0x20); escaped = false }
            else if b == 0x7d { escaped = true }
            else { out.append(b) }
        }
        return escaped ? nil : out
    }
}
