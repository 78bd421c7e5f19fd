/// IA-64 bundles and templates.
///
/// An IA-64 instruction bundle is 128 bits, stored little-endian:
///
///     bits   0..4    template (5 bits: 4-bit template number + stop bit)
///     bits   5..45   slot 0 (41 bits)
///     bits  46..86   slot 1 (41 bits)
///     bits  87..127  slot 2 (41 bits)
///
/// The template selects the execution unit type of each slot and where the
/// instruction-group stops (`;;`) fall.

/// Execution unit types a slot can be routed to.
///
/// `A`-type (integer ALU) instructions may sit in either an `M` or an `I`
/// slot; the decoder treats major opcodes 8...15 in those slots as A-type.
public enum Unit: UInt8, Sendable {
    case M, I, F, B, L, X
}

/// One entry of the template table.
public struct Template: Sendable {
    /// Unit type of slots 0, 1, 2 (`nil` for reserved templates).
    public let units: (Unit, Unit, Unit)?
    /// Bit `i` set means a stop follows slot `i` (bit 2 is the end-of-bundle stop).
    public let stops: UInt8
    /// Name as printed by objdump, e.g. `MII`; reserved templates print as `-N-`.
    public let name: String

    public var isValid: Bool { units != nil }

    /// Whether a stop (`;;`) follows the given slot.
    @inlinable public func stop(after slot: Int) -> Bool { stops & (1 << slot) != 0 }

    /// Unit of a given slot; `nil` for reserved templates.
    @inlinable public func unit(_ slot: Int) -> Unit? {
        guard let u = units else { return nil }
        switch slot { case 0: return u.0; case 1: return u.1; default: return u.2 }
    }
}

/// The 32 templates, indexed by the 5-bit template field.
///
/// Even/odd pairs differ only by the trailing stop. Templates 0x02/0x03
/// (`MI;I`) and 0x0A/0x0B (`M;MI`) carry an additional mid-bundle stop.
/// Reserved: 0x06, 0x07, 0x14, 0x15, 0x1A, 0x1B, 0x1E, 0x1F.
public let templateTable: [Template] = {
    typealias U = Unit
    func t(_ a: U, _ b: U, _ c: U, _ stops: UInt8, _ n: String) -> Template {
        Template(units: (a, b, c), stops: stops, name: n)
    }
    func r(_ n: String) -> Template { Template(units: nil, stops: 0, name: n) }
    return [
        t(.M, .I, .I, 0b000, "MII"), t(.M, .I, .I, 0b100, "MII"),   // 00 01
        t(.M, .I, .I, 0b010, "MII"), t(.M, .I, .I, 0b110, "MII"),   // 02 03  MI;I
        t(.M, .L, .X, 0b000, "MLX"), t(.M, .L, .X, 0b100, "MLX"),   // 04 05
        r("-3-"), r("-3-"),                                          // 06 07
        t(.M, .M, .I, 0b000, "MMI"), t(.M, .M, .I, 0b100, "MMI"),   // 08 09
        t(.M, .M, .I, 0b001, "MMI"), t(.M, .M, .I, 0b101, "MMI"),   // 0A 0B  M;MI
        t(.M, .F, .I, 0b000, "MFI"), t(.M, .F, .I, 0b100, "MFI"),   // 0C 0D
        t(.M, .M, .F, 0b000, "MMF"), t(.M, .M, .F, 0b100, "MMF"),   // 0E 0F
        t(.M, .I, .B, 0b000, "MIB"), t(.M, .I, .B, 0b100, "MIB"),   // 10 11
        t(.M, .B, .B, 0b000, "MBB"), t(.M, .B, .B, 0b100, "MBB"),   // 12 13
        r("-a-"), r("-a-"),                                          // 14 15
        t(.B, .B, .B, 0b000, "BBB"), t(.B, .B, .B, 0b100, "BBB"),   // 16 17
        t(.M, .M, .B, 0b000, "MMB"), t(.M, .M, .B, 0b100, "MMB"),   // 18 19
        r("-d-"), r("-d-"),                                          // 1A 1B
        t(.M, .F, .B, 0b000, "MFB"), t(.M, .F, .B, 0b100, "MFB"),   // 1C 1D
        r("-f-"), r("-f-"),                                          // 1E 1F
    ]
}()

/// A raw 128-bit instruction bundle split into its template and three slots.
public struct Bundle: Sendable, Equatable {
    public let template: UInt8
    public let slots: (UInt64, UInt64, UInt64)

    @usableFromInline static let slotMask: UInt64 = (1 << 41) - 1

    /// Builds a bundle from its low and high 64-bit little-endian halves.
    @inlinable public init(lo: UInt64, hi: UInt64) {
        template = UInt8(lo & 0x1f)
        slots = ((lo >> 5) & Bundle.slotMask,
                 ((lo >> 46) | (hi << 18)) & Bundle.slotMask,
                 (hi >> 23) & Bundle.slotMask)
    }

    /// Builds a bundle from 16 little-endian bytes starting at `offset`.
    public init<C: RandomAccessCollection>(bytes: C, offset: C.Index) where C.Element == UInt8 {
        var lo: UInt64 = 0, hi: UInt64 = 0
        var i = offset
        for k in 0..<8 { lo |= UInt64(bytes[i]) << (8 * UInt64(k)); i = bytes.index(after: i) }
        for k in 0..<8 { hi |= UInt64(bytes[i]) << (8 * UInt64(k)); i = bytes.index(after: i) }
        self.init(lo: lo, hi: hi)
    }

    public var templateInfo: Template { templateTable[Int(template)] }

    @inlinable public func slot(_ i: Int) -> UInt64 {
        switch i { case 0: return slots.0; case 1: return slots.1; default: return slots.2 }
    }

    public static func == (a: Bundle, b: Bundle) -> Bool {
        a.template == b.template && a.slots.0 == b.slots.0 && a.slots.1 == b.slots.1 && a.slots.2 == b.slots.2
    }
}
