import CHost
import Glibc
import LinuxABI

/// One classic-BPF instruction of a seccomp filter.
public typealias BPFInstruction = ch_bpf_insn

/// A seccomp filter program, built with the few classic-BPF forms a syscall filter needs.
public struct SeccompFilter {
    public private(set) var code: [BPFInstruction] = []
    public init() {}

    /// Return values (SECCOMP_RET_*).
    public enum Action: UInt32 {
        case allow = 0x7fff_0000, trace = 0x7ff0_0000, userNotify = 0x7fc0_0000, killProcess = 0x8000_0000
    }
    /// Offsets into `struct seccomp_data`.
    public enum Field: UInt32 { case number = 0, arch = 4, instructionPointerLow = 8, instructionPointerHigh = 12 }

    /// A = field (32-bit load).
    public mutating func load(_ field: Field) { code.append(BPFInstruction(code: 0x20, jt: 0, jf: 0, k: field.rawValue)) }
    /// if A == k fall through, else skip `skip` instructions.
    public mutating func ifEqual(_ k: UInt32, elseSkip skip: UInt8) { code.append(BPFInstruction(code: 0x15, jt: 0, jf: skip, k: k)) }
    /// if A >= k fall through, else skip `skip` instructions.
    public mutating func ifAtLeast(_ k: UInt32, elseSkip skip: UInt8) { code.append(BPFInstruction(code: 0x35, jt: 0, jf: skip, k: k)) }
    /// if A == k skip `skip` instructions, else fall through.
    public mutating func ifEqual(_ k: UInt32, thenSkip skip: UInt8) { code.append(BPFInstruction(code: 0x15, jt: skip, jf: 0, k: k)) }
    public mutating func ret(_ action: Action) { code.append(BPFInstruction(code: 0x06, jt: 0, jf: 0, k: action.rawValue)) }
}

/// A system call a seccomp filter handed to umlab (SECCOMP_RET_USER_NOTIF). The calling host
/// thread sleeps in the host kernel until umlab answers.
public struct SeccompNotice {
    public var id: UInt64
    public var pid: Int32
    public var number: Int32
    public var arch: UInt32
    public var instructionPointer: UInt64
    public var arguments: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
}

/// The supervisor's end of a seccomp filter: the notification descriptor. It sits in the
/// machine's event loop beside the SIGCHLD signalfd, so one wait sees "a guest made a call",
/// "a guest stopped" and any host event.
public struct SeccompListener {
    public let fd: HostFD

    /// Starts `image` as a traced process under `filter` (see ch_spawn_traced_filtered) and
    /// returns it with the filter's listener, which it adds to `loop`.
    public static func spawn(image: HostFD, options: Int, filter: SeccompFilter, loop: EventLoop) throws(LinuxErrno) -> (Tracee, SeccompListener) {
        var listener: Int32 = -1
        let pid = try filter.code.withUnsafeBufferPointer { p throws(LinuxErrno) in
            try Host.check { ch_spawn_traced_filtered(image.raw, options, p.baseAddress, UInt16(p.count), &listener) }
        }
        // Answers switch straight to the woken guest on a shared CPU (Linux 6.6+); optional.
        _ = ch_seccomp_sync_wakeups(listener)
        try loop.watchEngine(listener)
        return (Tracee(pid: pid), SeccompListener(fd: HostFD(listener)))
    }

    /// Takes the next pending notice; nil if the caller was interrupted before it could be read.
    @inline(__always)
    public func receive() throws(LinuxErrno) -> SeccompNotice? {
        var n = ch_seccomp_notice()
        do {
            _ = try Host.check { ch_seccomp_receive(fd.raw, &n) }
        } catch .ENOENT {
            return nil
        }
        return SeccompNotice(id: n.id, pid: Int32(bitPattern: n.pid), number: n.nr, arch: n.arch,
                             instructionPointer: n.instruction_pointer, arguments: n.args)
    }

    /// Completes notice `id`: a raw return value, or -errno for values in the error range.
    /// ENOENT (the caller was interrupted or killed meanwhile) is not an error here.
    @inline(__always)
    public func answer(_ id: UInt64, rawResult: UInt64) throws(LinuxErrno) {
        let v = Int64(bitPattern: rawResult)
        let error: Int32 = (v < 0 && v > -4096) ? Int32(v) : 0
        do {
            _ = try Host.check { ch_seccomp_answer(fd.raw, id, v, error) }
        } catch .ENOENT {}
    }
}

extension Tracee {
    /// The tracee's next state change if one is already there (waitpid WNOHANG), else nil.
    @inline(__always)
    public func poll() throws(LinuxErrno) -> TraceStop? {
        var status: Int32 = 0
        let r = try Host.check { ch_wait(pid, &status, WNOHANG) }
        return r == 0 ? nil : TraceStop(status: status)
    }
}
