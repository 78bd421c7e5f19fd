/// File names on Linux are bytes (anything but "/" and NUL), not text. The kernel keeps names as
/// Swift Strings — the mount table, directory dictionaries, a location's path — and a Swift
/// String holds only valid Unicode, so `String(decoding:as:)` would turn a name that is not
/// UTF-8 into U+FFFD and lose it (a Latin-1 name in a tar archive; CPython's tests of
/// undecodable names). `FileName` carries such bytes losslessly: each byte that is not part of
/// valid UTF-8 becomes one code point U+10FF80…U+10FFFF (the last 128 of Supplementary Private
/// Use Area B), and those code points become the bytes again on the way out — to the guest
/// (getdents, getcwd, readlink) and to the host (the names of hostfs and overlay files).
///
/// The one ambiguity: a name that really contains one of those 128 private-use characters is
/// written out as the byte it stands for. Nothing assigns them meaning.
public enum FileName {
    static let escapeBase: UInt32 = 0x10FF00

    /// The name `bytes` spell, with bytes that are not UTF-8 escaped.
    public static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        if let s = String(validating: bytes, as: UTF8.self), !s.unicodeScalars.contains(where: isEscape) { return s }
        var out = String.UnicodeScalarView()
        let b = Array(bytes)
        var i = 0
        while i < b.count {
            let length = sequenceLength(b, at: i)
            if length > 0, let s = String(validating: b[i..<i + length], as: UTF8.self), let scalar = s.unicodeScalars.first,
               !isEscape(scalar) {
                out.append(scalar)
                i += length
            } else {
                out.append(Unicode.Scalar(escapeBase + UInt32(b[i]))!)
                i += 1
            }
        }
        return String(out)
    }

    /// The bytes of `name`: its UTF-8, with escaped bytes restored.
    public static func bytes(_ name: String) -> [UInt8] {
        if !name.unicodeScalars.contains(where: isEscape) { return Array(name.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count)
        for scalar in name.unicodeScalars {
            if isEscape(scalar) {
                out.append(UInt8(scalar.value - escapeBase))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// `name`'s bytes as a NUL-terminated C string, for host calls.
    public static func cString(_ name: String) -> [CChar] {
        bytes(name).map { CChar(bitPattern: $0) } + [0]
    }

    static func isEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= escapeBase + 0x80 && scalar.value <= escapeBase + 0xFF
    }

    /// The length of the UTF-8 sequence a lead byte announces (0 for a byte that cannot lead).
    static func sequenceLength(_ b: [UInt8], at i: Int) -> Int {
        let lead = b[i]
        let n = lead < 0x80 ? 1 : lead >> 5 == 0b110 ? 2 : lead >> 4 == 0b1110 ? 3 : lead >> 3 == 0b11110 ? 4 : 0
        return i + n <= b.count ? n : 0
    }
}
