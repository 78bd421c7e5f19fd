import LinuxABI

// strace-style formatting for --trace: "openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3".

extension Kernel {
    func formatCall(_ entry: SyscallEntry, _ call: SyscallCall) -> String {
        var parts: [String] = []
        for (i, f) in entry.arguments.enumerated() {
            let v = call.args[i] & abi.wordMask
            switch f {
            case .int, .size: parts.append(String(call.long(i)))
            case .fd: parts.append(String(call.int(i)))
            case .dirfd: parts.append(call.int(i) == At.fdCWD ? "AT_FDCWD" : String(call.int(i)))
            case .hex, .pointer: parts.append(v == 0 && f == .pointer ? "NULL" : "0x" + String(v, radix: 16))
            case .octal: parts.append("0" + String(v, radix: 8))
            case .signal: parts.append(Signal(call.int(i)).description)
            case .clockid:
                let names = ["CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID"]
                parts.append(v < UInt64(names.count) ? names[Int(v)] : String(call.int(i)))
            case .path:
                if let s = try? call.mm.readCString(v, limit: 4096) { parts.append(quote(s, limit: 4096)) } else { parts.append("0x" + String(v, radix: 16)) }
            case .string:
                let n = i + 1 < entry.arguments.count ? Int(min(call.args[i + 1] & abi.wordMask, 32)) : 32
                if let s = try? call.mm.read(v, count: n) { parts.append(quote(s, limit: 32) + (call.args[i + 1] > 32 ? "..." : "")) }
                else { parts.append("0x" + String(v, radix: 16)) }
            case .openFlags: parts.append(formatOpenFlags(abi.openFlagsFromGuest(UInt32(truncatingIfNeeded: v))))
            case .offset64: parts.append(String(call.offset64(after: i)))
            }
        }
        return "\(entry.name)(\(parts.joined(separator: ", ")))"
    }

    func formatResult(_ entry: SyscallEntry, _ v: UInt64) -> String {
        if entry.name.hasPrefix("mmap") || entry.name == "brk" || entry.name == "mremap" { return "0x" + String(v, radix: 16) }
        return String(abi.wordSize == 8 ? Int64(bitPattern: v) : Int64(Int32(truncatingIfNeeded: v)))
    }

    private func quote(_ bytes: [UInt8], limit: Int) -> String {
        var s = "\""
        for b in bytes.prefix(limit) {
            switch b {
            case 0x0a: s += "\\n"
            case 0x09: s += "\\t"
            case 0x22: s += "\\\""
            case 0x5c: s += "\\\\"
            case 0x20..<0x7f: s.unicodeScalars.append(UnicodeScalar(b))
            default: s += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
            }
        }
        return s + "\""
    }

    private func formatOpenFlags(_ f: OpenFlags) -> String {
        var names = [["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][Int(f.accessMode)]]
        let table: [(OpenFlags, String)] = [(.create, "O_CREAT"), (.exclusive, "O_EXCL"), (.noControllingTTY, "O_NOCTTY"),
            (.truncate, "O_TRUNC"), (.append, "O_APPEND"), (.nonBlocking, "O_NONBLOCK"), (.directory, "O_DIRECTORY"),
            (.noFollow, "O_NOFOLLOW"), (.closeOnExec, "O_CLOEXEC"), (.path, "O_PATH"), (.largeFile, "O_LARGEFILE")]
        for (flag, name) in table where f.contains(flag) { names.append(name) }
        return names.joined(separator: "|")
    }
}

/// JSON text for the machine's logs (`--net-log`) and umlab's reports.
public enum JSONText {
    /// `s` as a JSON string literal.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where ch.value < 0x20: out += "\\u00" + (ch.value < 16 ? "0" : "") + String(ch.value, radix: 16)
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}
