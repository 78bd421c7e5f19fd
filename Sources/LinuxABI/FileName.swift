/// File names on Linux are bytes (anything but "/" and NUL), not text, and two names are the
/// same name only when their bytes are. The kernel keeps names as Swift Strings — the mount
/// table, directory dictionaries, a location's path — and Swift Strings are neither: they hold
/// only valid Unicode (`String(decoding:as:)` turns bytes that are not UTF-8 into U+FFFD), and
/// they compare by canonical equivalence (the NFC and NFD spellings of "é" would be one name:
/// CPython's test_unicode_file_functions creates one and must not find the other).
///
/// So every byte of 0x80 and above is carried as one code point U+10FF80…U+10FFFF (the last 128
/// of Supplementary Private Use Area B), which nothing composes or decomposes, and ASCII as
/// itself: names compare byte by byte, and the bytes come back out unchanged — to the guest
/// (getdents, getcwd, readlink) and to the host (the names of hostfs and overlay files).
/// Names the kernel spells itself ("/proc", "tmp") are ASCII and the same either way.
public enum FileName {
    static let escapeBase: UInt32 = 0x10FF00

    /// The name `bytes` spell: ASCII as itself, every other byte escaped.
    public static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        var out = String.UnicodeScalarView()
        for b in bytes { out.append(b < 0x80 ? Unicode.Scalar(b) : Unicode.Scalar(escapeBase + UInt32(b))!) }
        return String(out)
    }

    /// The bytes of `name`: escaped bytes restored, anything else as UTF-8.
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
}
