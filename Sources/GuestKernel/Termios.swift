/// Terminal attributes, ISA-neutral.
///
/// Flag bits and `c_cc` indices use the generic Linux numbering (asm-generic/termbits.h, as on
/// x86-64 and IA-64, and as the host's tty driver takes them). An ISA whose `struct termios`
/// or bit assignments differ (PowerPC) supplies a `TermiosCodec` that translates.
public struct Termios: Equatable {
    public static let controlCharacters = 19
    public var iflag: UInt32 = 0, oflag: UInt32 = 0, cflag: UInt32 = 0, lflag: UInt32 = 0
    public var line: UInt8 = 0
    /// `c_cc`, generic indices (VINTR 0 … VEOL2 16).
    public var cc = [UInt8](repeating: 0, count: Termios.controlCharacters)
    public init() {}

    /// The generic kernel layout (36 bytes: four flag words, c_line, c_cc[19]), host byte order.
    public init(hostBytes b: [UInt8]) {
        func word(_ i: Int) -> UInt32 {
            UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
        }
        iflag = word(0); oflag = word(4); cflag = word(8); lflag = word(12)
        line = b[16]
        cc = Array(b[17..<36])
    }
    public var hostBytes: [UInt8] {
        var out: [UInt8] = []
        for w in [iflag, oflag, cflag, lflag] { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: w >> (8 * UInt32(k)))) } }
        out.append(line)
        out += cc
        return out
    }
}

/// How a guest lays out `struct termios` for TCGETS/TCSETS*.
public struct TermiosCodec: Sendable {
    /// Bytes TCGETS writes and TCSETS* read.
    public var size: Int
    public var encode: @Sendable (Termios, inout GuestEncoder) -> Void
    public var decode: @Sendable (inout GuestDecoder) -> Termios
    public init(size: Int, encode: @escaping @Sendable (Termios, inout GuestEncoder) -> Void, decode: @escaping @Sendable (inout GuestDecoder) -> Termios) {
        self.size = size; self.encode = encode; self.decode = decode
    }

    /// asm-generic: c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc[19].
    public static let generic = TermiosCodec(size: 36, encode: { t, e in
        e.u32(t.iflag); e.u32(t.oflag); e.u32(t.cflag); e.u32(t.lflag)
        e.u8(t.line)
        for c in t.cc { e.u8(c) }
    }, decode: { d in
        var t = Termios()
        t.iflag = d.u32(); t.oflag = d.u32(); t.cflag = d.u32(); t.lflag = d.u32()
        t.line = d.u8()
        for i in 0..<Termios.controlCharacters { t.cc[i] = d.u8() }
        return t
    })
}

/// A translation between two numberings of a flag word: single bits, and multi-bit fields
/// whose values are listed pairwise (delay fields, character size, baud rate).
public struct FlagTranslation: Sendable {
    public var bits: [(guest: UInt32, generic: UInt32)]
    public var fields: [(guestMask: UInt32, genericMask: UInt32, values: [(guest: UInt32, generic: UInt32)])]
    public init(bits: [(guest: UInt32, generic: UInt32)], fields: [(guestMask: UInt32, genericMask: UInt32, values: [(guest: UInt32, generic: UInt32)])] = []) {
        self.bits = bits; self.fields = fields
    }
    public func toGeneric(_ v: UInt32) -> UInt32 {
        var out: UInt32 = 0
        for b in bits where v & b.guest != 0 { out |= b.generic }
        for f in fields {
            if let m = f.values.first(where: { $0.guest == v & f.guestMask }) { out |= m.generic }
        }
        return out
    }
    public func toGuest(_ v: UInt32) -> UInt32 {
        var out: UInt32 = 0
        for b in bits where v & b.generic != 0 { out |= b.guest }
        for f in fields {
            if let m = f.values.first(where: { $0.generic == v & f.genericMask }) { out |= m.guest }
        }
        return out
    }
}
