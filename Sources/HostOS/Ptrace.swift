import CHost
import Glibc
import LinuxABI

/// x86-64 general registers as PTRACE_GETREGS returns them (`struct user_regs_struct`).
public typealias X86Registers = ch_x86_regs
/// The x86-64 FXSAVE image PTRACE_GETFPREGS returns (512 bytes).
public typealias X86FPRegisters = ch_x86_fpregs

/// How a traced host process last changed state, decoded from a waitpid status.
public enum TraceStop: Equatable, Sendable {
    /// The process exited with this status.
    case exited(Int32)
    /// The process was killed by this host signal.
    case killed(Int32)
    /// A syscall stop under PTRACE_SYSEMU / PTRACE_SYSCALL (reported as SIGTRAP|0x80).
    case syscall
    /// A PTRACE_EVENT_* stop (fork, clone, exec, stop ...).
    case event(Int32, signal: Int32)
    /// A signal-delivery stop: the host wants to deliver this signal to the process.
    case signal(Int32)

    init(status s: Int32) {
        let low = s & 0x7f
        if low == 0 { self = .exited((s >> 8) & 0xff); return }
        if (s & 0xff) != 0x7f { self = .killed(low); return }
        let sig = (s >> 8) & 0xff
        let event = (s >> 16) & 0xffff
        if event != 0 { self = .event(event, signal: sig) }
        else if sig == (SIGTRAP | 0x80) { self = .syscall }
        else { self = .signal(sig) }
    }
}

/// A host process under umlab's ptrace. All calls must come from the thread that attached.
public struct Tracee: Hashable, Sendable {
    public let pid: Int32
    public init(pid: Int32) { self.pid = pid }

    public enum Request: Int {
        case cont = 7, singleStep = 9, syscall = 24, sysemu = 31, sysemuSingleStep = 32
    }
    public enum Event {
        public static let fork: Int32 = 1, vfork: Int32 = 2, clone: Int32 = 3, exec: Int32 = 4
        public static let vforkDone: Int32 = 5, exit: Int32 = 6, seccomp: Int32 = 7, stop: Int32 = 128
    }
    public enum Options {
        public static let traceSysGood: Int = 0x01, traceFork: Int = 0x02, traceVFork: Int = 0x04
        public static let traceClone: Int = 0x08, traceExec: Int = 0x10, traceExit: Int = 0x40
        public static let traceSeccomp: Int = 0x80, exitKill: Int = 0x100000
    }

    /// Starts `image` (an executable host descriptor) as a new traced process; see ch_spawn_traced.
    public static func spawn(image: HostFD, options: Int) throws(LinuxErrno) -> Tracee {
        Tracee(pid: try Host.check { ch_spawn_traced(image.raw, options) })
    }

    @inline(__always)
    public func resume(_ request: Request, signal: Int32 = 0) throws(LinuxErrno) {
        _ = try Host.check { ch_ptrace(request.rawValue, pid, 0, UInt64(signal)) }
    }
    /// PTRACE_INTERRUPT: stop a running (seized) tracee at the next opportunity.
    public func interrupt() { _ = ch_ptrace(0x4207, pid, 0, 0) }

    @inline(__always)
    public func registers(into regs: inout X86Registers) throws(LinuxErrno) {
        _ = try Host.check { ch_ptrace_getregs(pid, &regs) }
    }
    @inline(__always)
    public func setRegisters(_ regs: inout X86Registers) throws(LinuxErrno) {
        _ = try Host.check { ch_ptrace_setregs(pid, &regs) }
    }
    public func fpRegisters(into regs: inout X86FPRegisters) throws(LinuxErrno) {
        _ = try Host.check { ch_ptrace_getfpregs(pid, &regs) }
    }
    public func setFPRegisters(_ regs: inout X86FPRegisters) throws(LinuxErrno) {
        _ = try Host.check { ch_ptrace_setfpregs(pid, &regs) }
    }
    /// Writes one word of the tracee's user area (PTRACE_POKEUSER), e.g. a single register.
    @inline(__always)
    public func pokeUser(offset: Int, _ value: UInt64) throws(LinuxErrno) {
        _ = try Host.check { ch_ptrace(6, pid, UInt64(offset), value) }
    }
    /// Reads one word of the tracee's user area (PTRACE_PEEKUSER).
    public func peekUser(offset: Int) throws(LinuxErrno) -> UInt64 {
        var value: UInt64 = 0
        _ = try Host.check { ch_ptrace_peekuser(pid, UInt64(offset), &value) }
        return value
    }
    /// The user-area offset of x86-64 debug register `n` (0–7) for peekUser/pokeUser.
    public static func debugRegisterOffset(_ n: Int) -> Int { Int(ch_debugreg_offset(Int32(n))) }
    public func eventMessage() throws(LinuxErrno) -> UInt64 {
        var msg: UInt64 = 0
        _ = try Host.check { withUnsafeMutablePointer(to: &msg) { ch_ptrace(0x4201, pid, 0, UInt64(UInt(bitPattern: $0))) } }
        return msg
    }
    public func signalInfo() throws(LinuxErrno) -> (signo: Int32, code: Int32, address: UInt64) {
        var signo: Int32 = 0, code: Int32 = 0, addr: UInt64 = 0
        _ = try Host.check { ch_ptrace_getsiginfo(pid, &signo, &code, &addr) }
        return (signo, code, addr)
    }

    /// Waits for this tracee's next state change. Throws EINTR when the scheduler tick fires.
    @inline(__always)
    public func wait() throws(LinuxErrno) -> TraceStop {
        var status: Int32 = 0
        _ = try Host.checkOnce { ch_wait(pid, &status, 0) }
        return TraceStop(status: status)
    }
    /// Waits, retrying on EINTR (for short, bounded waits such as syscall injection).
    public func waitUninterrupted() throws(LinuxErrno) -> TraceStop {
        var status: Int32 = 0
        _ = try Host.check { ch_wait(pid, &status, 0) }
        return TraceStop(status: status)
    }

    /// Copies guest memory out of the tracee with process_vm_readv; EFAULT on any unmapped byte.
    @inline(__always)
    public func read(_ address: UInt64, into buf: UnsafeMutableRawBufferPointer) throws(LinuxErrno) {
        if buf.count == 0 { return }
        let n = try Host.check { ch_process_vm_read(pid, buf.baseAddress, address, UInt64(buf.count)) }
        if n != buf.count { throw .EFAULT }
    }
    /// Copies into the tracee's memory with process_vm_writev (honours page protections).
    @inline(__always)
    public func write(_ address: UInt64, from buf: UnsafeRawBufferPointer) throws(LinuxErrno) {
        if buf.count == 0 { return }
        let n = try Host.check { ch_process_vm_write(pid, buf.baseAddress, address, UInt64(buf.count)) }
        if n != buf.count { throw .EFAULT }
    }

    /// Writes the tracee's memory as a debugger does, through /proc/PID/mem: the host forces
    /// the write into read-only mappings (program text) and gives a private file mapping its
    /// own copy of the page, where process_vm_writev honours the protection and fails. The
    /// caller must be the tracer and the tracee stopped. EFAULT for an unmapped byte.
    public func forceWrite(_ address: UInt64, from buf: UnsafeRawBufferPointer) throws(LinuxErrno) {
        if buf.count == 0 { return }
        guard address <= UInt64(Int64.max) - UInt64(buf.count) else { throw .EFAULT }
        let mem = try HostFD.open("/proc/\(pid)/mem", flags: O_RDWR)
        defer { mem.close() }
        var done = 0
        while done < buf.count {
            let n: Int
            do {
                n = try mem.write(UnsafeRawBufferPointer(rebasing: buf[done...]), at: Int64(address) + Int64(done))
            } catch .EIO {
                throw .EFAULT  // what /proc/PID/mem says for an unmapped page
            }
            if n <= 0 { throw .EFAULT }
            done += n
        }
    }

    /// Copies the guest ranges `ranges` (pairs of address and length, at most 1024 pairs) in
    /// order into `buf`, whose size is their total, with one process_vm_readv.
    public func read(ranges: [UInt64], into buf: UnsafeMutableRawBufferPointer) throws(LinuxErrno) {
        if buf.count == 0 { return }
        let n = try Host.check { ranges.withUnsafeBufferPointer { r in
            ch_process_vm_read_ranges(pid, buf.baseAddress, UInt64(buf.count), r.baseAddress, Int32(r.count / 2))
        } }
        if n != buf.count { throw .EFAULT }
    }
    /// Copies `buf` in order into the guest ranges `ranges` (as `read(ranges:into:)`).
    public func write(ranges: [UInt64], from buf: UnsafeRawBufferPointer) throws(LinuxErrno) {
        if buf.count == 0 { return }
        let n = try Host.check { ranges.withUnsafeBufferPointer { r in
            ch_process_vm_write_ranges(pid, buf.baseAddress, UInt64(buf.count), r.baseAddress, Int32(r.count / 2))
        } }
        if n != buf.count { throw .EFAULT }
    }

    /// SIGKILL, then reap. Used when tearing a guest down; never fails loudly.
    public func killAndReap() {
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while ch_wait(pid, &status, 0) < 0 && errno == EINTR {}
    }
    public func sendKill() { Glibc.kill(pid, SIGKILL) }
}
