import Capstone
import GuestKernel
import HostOS
import LinuxABI

/// The x86-64 backend: guest processes are host processes under ptrace.
///
/// - skas: PTRACE_SYSEMU, so every guest system call stops in the kernel and none reaches the
///   host (one stop, two host context switches per call).
/// - tt: PTRACE_SYSCALL, as UML's traced-thread mode: at the entry stop the call is rewritten
///   to getpid (harmless on the host), the kernel handles it at the exit stop and writes the
///   result (two stops, four switches); the kernel arena is mapped into every guest.
/// - seccomp: a seccomp filter hands most calls to umlab as user notifications (no ptrace
///   stop, two switches); see SeccompMode.swift.
public final class X86Backend: Backend {
    public let name = "x86_64"
    public let elfMachine: UInt16 = 62
    public let abi = X86ABI.make()
    public let supportedModes: [IsolationMode] = [.skas, .tt, .seccomp]
    public var runsInHostProcesses: Bool { true }
    /// User space ends 256 MiB below the stub; TT's kernel region sits at its top.
    public let userAddressRange: Range<UInt64> = 0x10000..<(StubImage.base - 0x1000_0000)
    var mode = IsolationMode.skas
    var stub: HostFD?
    /// Every guest host process keeps the host's vDSO, moved above user space, for the guest
    /// vDSO to call (X86VDSO); false when the host has none or it cannot be moved.
    var movesHostVDSO = false
    public var vdso: VDSOLayout? { X86VDSO.layout }
    /// seccomp mode: the filter's notification descriptor, shared by every guest host process.
    var listener: SeccompListener?
    /// seccomp: threads asleep in the guest kernel whose notification is still pending, and how
    /// many may be (see X86Context.willSleep).
    var sleepingOnNotices = 0
    static let maxSleepersOnNotices = 4
    /// The machine's event loop (set when the first context is made; the kernel owns it).
    private var loopRef: EventLoop?
    var loop: EventLoop { loopRef! }
    let disassembler = Disassembler(.x86_64)
    var stats = X86Stats()

    public init() {}

    public var counters: [String: UInt64] {
        var c = ["host_ptrace_stops": stats.stops, "injected_syscalls": stats.injected, "host_processes": stats.hostProcesses]
        if mode == .seccomp {
            c["seccomp_notifications"] = stats.notices
            c["seccomp_materialized"] = stats.materialized
            c["seccomp_stray_notifications"] = stats.strayNotices
        }
        return c
    }

    public func makeInitialContext(mode: IsolationMode, kernel: Kernel) throws(LinuxErrno) -> any ExecutionContext {
        guard supportedModes.contains(mode) else { throw .EINVAL }
        self.mode = mode
        loopRef = kernel.loop
        // Tracer and tracees share one CPU: a ptrace round trip is several times cheaper so.
        try? Host.pin(toCPU: Host.currentCPU)
        let hostClock = X86VDSO.hostClockGettime()
        movesHostVDSO = hostClock != nil
        let image = try StubImage.memoryFile(hostClockGettime: hostClock)
        stub = image
        let tracee: Tracee
        if mode == .seccomp {
            let (t, l) = try SeccompListener.spawn(image: image, options: X86Context.traceOptions | Tracee.Options.traceSeccomp,
                                                   filter: SeccompPolicy.filter(), loop: kernel.loop)
            tracee = t
            listener = l
        } else {
            tracee = try Tracee.spawn(image: image, options: X86Context.traceOptions)
        }
        stats.hostProcesses += 1
        guard case .event(Tracee.Event.exec, _) = try tracee.waitUninterrupted() else {
            tracee.killAndReap()
            throw .ECHILD
        }
        let space = X86AddressSpace(backend: self)
        let ctx = X86Context(tracee: tracee, space: space, backend: self)
        try ctx.settleAfterExec()
        try ctx.scrubHostMappings()
        return ctx
    }

    public func disassemble(_ bytes: [UInt8], address: UInt64) -> (text: String, length: Int)? {
        disassembler?.instruction(bytes, address: address)
    }

    /// The stub image and the seccomp listener are the machine's: they go with it.
    public func machineEnded() {
        if let listener {
            loopRef?.unwatch(listener.fd.raw)
            listener.fd.close()
            self.listener = nil
        }
        stub?.close()
        stub = nil
        loopRef = nil
    }

    /// gdb's amd64 GNU/Linux description, generated from the register table.
    public var gdbTargetDescription: String? { X86RegisterTable.targetDescription }

    /// "/proc/<umlab>/fd/<n>": how a guest host process opens a descriptor umlab holds.
    func procPath(_ fd: Int32) -> [UInt8] { Array("/proc/\(Host.pid)/fd/\(fd)".utf8) + [0] }
}

struct X86Stats {
    var stops: UInt64 = 0
    var injected: UInt64 = 0
    var hostProcesses: UInt64 = 0
    /// seccomp: calls taken as notifications; notifications turned into ptrace stops; poll
    /// timeouts (a lost SIGCHLD would show here); notifications from a thread not running.
    var notices: UInt64 = 0
    var materialized: UInt64 = 0
    var strayNotices: UInt64 = 0
}

/// One guest address space = one host mm, shared by the contexts (host processes) in it.
final class X86AddressSpace: AddressSpace {
    unowned let backend: X86Backend
    /// Host processes currently in this mm; any of them (all are stopped) can carry out an
    /// operation. When the last one leaves (exit, execve) the mm is gone and so is its charge.
    var members: [X86Context] = [] {
        didSet {
            if members.isEmpty {
                dropCharge()
                dropPending()
            }
        }
    }

    /// Between the stub's exec and the exec's commit: map, unmap, protect and the kernel's
    /// writes queue in `pending` for one trip (AddressSpaceSetup.swift).
    var settingUp = false
    var pending = PendingSetup()

    init(backend: X86Backend) { self.backend = backend }
    deinit {
        pending.release()
        dropCharge()
    }

    // The host's page faults are invisible to umlab: the charge of this mm is its resident
    // anonymous memory (RssAnon), measured when the kernel samples it (`sampleCharge`). A fork
    // starts with its parent's charge (the host shares the pages copy-on-write; RSS counts
    // them in both, so the account errs on the high side until the child execs).
    private(set) var charged: UInt64 = 0
    var memoryAccount: MemoryController? {
        didSet {
            guard memoryAccount !== oldValue else { return }
            oldValue?.uncharge(charged, .anonymous)
            memoryAccount?.account(charged, .anonymous)
        }
    }
    var chargedBytes: UInt64 { charged }

    func sampleCharge() {
        guard let pid = members.first?.tracee.pid, let now = Host.residentAnonymousBytes(of: pid) else { return }
        if now > charged {
            memoryAccount?.account(now - charged, .anonymous)
        } else {
            memoryAccount?.uncharge(charged - now, .anonymous)
        }
        charged = now
    }

    /// A fork's copy: charged with the parent's measure up front (ENOMEM past the limit).
    func forkCharge(from parent: X86AddressSpace) throws(LinuxErrno) {
        if let a = parent.memoryAccount, !a.tryCharge(parent.charged, .anonymous) { throw .ENOMEM }
        memoryAccount = parent.memoryAccount  // with nothing charged yet: accounts nothing
        charged = parent.charged
    }

    private func dropCharge() {
        memoryAccount?.uncharge(charged, .anonymous)
        charged = 0
    }

    var agent: X86Context {
        guard let m = members.first else { fatalError("address space without a host process") }
        return m
    }

    /// Every host mapping is MAP_NORESERVE: the kernel has already decided whether the guest may
    /// commit the memory (checkMemoryLimit, Linux's heuristic overcommit, MAP_NORESERVE honoured)
    /// and charges pages as they are touched (sampleCharge), so the host is not asked to commit
    /// it again; without this a guest's 14 TiB MAP_NORESERVE reservation (ASan's shadow) would
    /// fail on the host's own overcommit check.
    func map(_ address: UInt64, length: UInt64, protection: Protection, shared: Bool, backing: MapBacking) throws(LinuxErrno) {
        let prot = UInt64(protection.rawValue)
        switch backing {
        case .anonymous:
            let flags = UInt64(MapFlags.fixed.rawValue | MapFlags.anonymous.rawValue | MapFlags.noReserve.rawValue) | (shared ? 1 : 2)
            if settingUp {
                try enqueue(X86Context.HostCall(9, address, length, prot, flags, UInt64(bitPattern: -1), 0), address: address, length: length)
            } else {
                _ = try agent.inject(9, address, length, prot, flags, UInt64(bitPattern: -1), 0)
            }
        case .file(let ref, let offset):
            let flags = UInt64(MapFlags.fixed.rawValue | MapFlags.noReserve.rawValue) | (shared ? 1 : 2)
            if settingUp {
                try enqueueMapFile(ref, at: address, length: length, protection: prot, flags: flags, offset: offset)
            } else {
                try agent.mapFile(ref, at: address, length: length, protection: prot, flags: flags, offset: offset)
            }
        }
    }

    func unmap(_ address: UInt64, length: UInt64) throws(LinuxErrno) {
        if settingUp { return try enqueue(X86Context.HostCall(11, address, length), address: address, length: length) }
        _ = try agent.inject(11, address, length, 0, 0, 0, 0)
    }

    func protect(_ address: UInt64, length: UInt64, protection: Protection) throws(LinuxErrno) {
        let prot = UInt64(protection.rawValue)
        if settingUp { return try enqueue(X86Context.HostCall(10, address, length, prot), address: address, length: length) }
        _ = try agent.inject(10, address, length, prot, 0, 0, 0)
    }

    /// The host kernel applies Linux's own semantics to the guest's host mappings.
    func discard(_ address: UInt64, length: UInt64, _ how: HostMemory.Discard) throws(LinuxErrno) {
        try flushPending()
        _ = try agent.inject(28, address, length, how == .now ? 4 : 8, 0, 0, 0)  // MADV_DONTNEED, MADV_FREE
    }

    @inline(__always)
    func read(_ address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) {
        // Above user space the guest may read only its vDSO (the stub and the host's are not its).
        if address >= StubImage.base && !X86VDSO.layout.contains(address, count: buffer.count) { throw .EFAULT }
        if settingUp { try flushPending() }
        try agent.tracee.read(address, into: buffer)
    }

    @inline(__always)
    func write(_ address: UInt64, from buffer: UnsafeRawBufferPointer) throws(LinuxErrno) {
        if address >= StubImage.base { throw .EFAULT }
        if settingUp { return try enqueueWrite(address, from: buffer) }
        try agent.tracee.write(address, from: buffer)
    }

    /// Through /proc/PID/mem (`Tracee.forceWrite`): int3 into read-only program text, and a
    /// private file mapping's page copied rather than the file written, as a native debugger's
    /// PTRACE_POKETEXT. Reads of such pages need nothing special (process_vm_readv reads them).
    func debuggerWrite(_ address: UInt64, from buffer: UnsafeRawBufferPointer) throws(LinuxErrno) {
        if address >= StubImage.base { throw .EFAULT }
        _ = try GuestMath.range(address, length: UInt64(buffer.count), within: 0..<StubImage.base, else: .EFAULT)
        // /proc/PID/mem needs the right to trace the process, not a ptrace stop: a seccomp
        // thread asleep on a notification is written without being woken.
        try flushPending()
        try agent.tracee.forceWrite(address, from: buffer)
    }

    /// A scattered buffer in one process_vm_readv (the kernel caps iovec arrays at 1024).
    func read(_ pieces: [GuestRange], into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) {
        var ranges: [UInt64] = []
        ranges.reserveCapacity(2 * pieces.count)
        for p in pieces {
            if p.address >= StubImage.base && !X86VDSO.layout.contains(p.address, count: p.length) { throw .EFAULT }
            ranges.append(p.address); ranges.append(UInt64(p.length))
        }
        if settingUp { try flushPending() }
        try agent.tracee.read(ranges: ranges, into: buffer)
    }

    /// A scattered buffer in one process_vm_writev.
    func write(_ pieces: [GuestRange], from buffer: UnsafeRawBufferPointer) throws(LinuxErrno) {
        var ranges: [UInt64] = []
        ranges.reserveCapacity(2 * pieces.count)
        for p in pieces {
            if p.address >= StubImage.base { throw .EFAULT }
            ranges.append(p.address); ranges.append(UInt64(p.length))
        }
        if settingUp { try flushPending() }
        try agent.tracee.write(ranges: ranges, from: buffer)
    }
}
