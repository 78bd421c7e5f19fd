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
        // Path components and directory entries arrive as contiguous bytes (arrays, slices of
        // them, buffers): the common all-ASCII name is checked a word at a time and copied once.
        if let s = bytes.withContiguousStorageIfAvailable({ string(buffer: $0) }) { return s }
        return escaped(bytes)
    }

    /// `string` for a buffer of bytes.
    public static func string(buffer: UnsafeBufferPointer<UInt8>) -> String {
        if isASCII(buffer) { return String(decoding: buffer, as: UTF8.self) }
        return escaped(buffer)
    }

    private static func escaped<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        var out = String.UnicodeScalarView()
        for b in bytes { out.append(b < 0x80 ? Unicode.Scalar(b) : Unicode.Scalar(escapeBase + UInt32(b))!) }
        return String(out)
    }

    /// Whether every byte is below 0x80, eight at a time.
    @inline(__always)
    static func isASCII(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let n = buffer.count
        var i = 0
        while i + 8 <= n {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < n {
            if base[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }

    /// Whether `name` is plain ASCII, so its UTF-8 are its bytes (an escaped byte is four
    /// UTF-8 bytes of 0x80 and above, so a name without such bytes holds none).
    @inline(__always)
    static func isASCII(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { isASCII($0) }
    }

    /// The bytes of `name`: escaped bytes restored, anything else as UTF-8.
    public static func bytes(_ name: String) -> [UInt8] {
        if isASCII(name) || !name.unicodeScalars.contains(where: isEscape) { return Array(name.utf8) }
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

    /// Calls `body` with `name`'s bytes as a NUL-terminated C string, without copying an ASCII
    /// name (host calls on the path walk's hot path).
    public static func withCString<R>(_ name: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        if isASCII(name) { return try name.withCString(body) }
        return try cString(name).withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    static func isEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= escapeBase + 0x80 && scalar.value <= escapeBase + 0xFF
    }
}
