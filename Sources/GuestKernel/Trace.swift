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

/// Which calls `--trace=NAME,...` prints, as strace's `-e trace=`: names, `%class`es and `!`
/// to negate the whole list (`--trace='!read,write'` prints everything else). Classes:
/// %file (calls that take a path), %desc (calls that take a descriptor), %process, %signal,
/// %memory, %network, %ipc. Signals the guest receives are printed whatever the filter.
public struct TraceFilter: Sendable {
    public let negated: Bool
    public let names: Set<String>
    public let classes: Set<String>

    public static let classNames: Set<String> = ["file", "desc", "process", "signal", "memory", "network", "ipc"]

    /// Parses the list; the error names what is wrong (an unknown class, or an empty list).
    /// Names are checked against a syscall table with `unknownNames`.
    public init(_ text: String) throws(TraceFilterError) {
        var list = Substring(text)
        negated = list.hasPrefix("!")
        if negated { list = list.dropFirst() }
        var names: Set<String> = [], classes: Set<String> = []
        for item in list.split(separator: ",", omittingEmptySubsequences: false) {
            if item.isEmpty { throw TraceFilterError(message: "empty name in --trace=\(text)") }
            if item.hasPrefix("%") {
                let c = String(item.dropFirst())
                guard TraceFilter.classNames.contains(c) else {
                    throw TraceFilterError(message: "unknown class %\(c) (known: \(TraceFilter.classNames.sorted().map { "%" + $0 }.joined(separator: " ")))")
                }
                classes.insert(c)
            } else {
                names.insert(String(item))
            }
        }
        self.names = names; self.classes = classes
    }

    /// The names of the list that `table` does not have (so the command line can refuse them).
    public func unknownNames(in table: SyscallTable) -> [String] {
        let known = Set(table.entries.compactMap { $0?.name })
        return names.subtracting(known).sorted()
    }

    /// Whether the call `entry` is printed.
    public func includes(_ entry: SyscallEntry) -> Bool {
        var hit = names.contains(entry.name)
        if !hit && !classes.isEmpty { hit = classes.contains { TraceFilter.belongs(entry, to: $0) } }
        return hit != negated
    }

    static let process: Set<String> = ["clone", "clone3", "fork", "vfork", "execve", "execveat", "exit", "exit_group",
                                       "wait4", "waitid", "waitpid", "kill", "tkill", "tgkill", "rt_sigqueueinfo",
                                       "rt_tgsigqueueinfo", "ptrace", "unshare", "pidfd_open", "pidfd_send_signal"]
    static let memory: Set<String> = ["brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "pkey_mprotect", "madvise",
                                      "mlock", "mlock2", "munlock", "mlockall", "munlockall", "mincore", "msync",
                                      "remap_file_pages", "mbind", "set_mempolicy", "get_mempolicy", "membarrier"]
    static let network: Set<String> = ["socket", "socketpair", "bind", "connect", "listen", "accept", "accept4",
                                       "getsockname", "getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg",
                                       "sendmmsg", "recvmmsg", "shutdown", "setsockopt", "getsockopt", "socketcall"]
    static let ipc: Set<String> = ["msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop", "semctl",
                                   "shmget", "shmat", "shmdt", "shmctl", "ipc"]

    static func belongs(_ e: SyscallEntry, to c: String) -> Bool {
        switch c {
        case "file": return e.arguments.contains(.path)
        case "desc": return e.arguments.contains(.fd) || e.arguments.contains(.dirfd)
        case "process": return process.contains(e.name)
        case "signal": return e.name.contains("sig") || e.name == "kill" || e.name == "tkill" || e.name == "tgkill" || e.name == "pause"
        case "memory": return memory.contains(e.name)
        case "network": return network.contains(e.name)
        case "ipc": return ipc.contains(e.name)
        default: return false
        }
    }
}

public struct TraceFilterError: Error { public let message: String }
