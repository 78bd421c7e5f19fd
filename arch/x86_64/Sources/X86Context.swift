import GuestKernel
import HostOS
import LinuxABI

/// One guest thread on x86-64: a host process stopped under ptrace whenever the kernel runs.
final class X86Context: ExecutionContext {
    /// No fork, vfork or clone events: the only host clones are the kernel's injected ones,
    /// which ask for the child to be traced themselves (CLONE_PTRACE, see `clone`).
    static let traceOptions = Tracee.Options.traceSysGood | Tracee.Options.exitKill | Tracee.Options.traceExec

    let tracee: Tracee
    var space: X86AddressSpace
    unowned let backend: X86Backend
    /// The guest's registers, valid while it is stopped.
    var regs = X86Registers()
    /// What changed in `regs` since the last stop and must be written back before resuming.
    enum Dirty { case clean, rax, all }
    var dirty = Dirty.clean
    var alive = true
    /// TT: the guest is between the entry and exit stops of a nullified system call; the
    /// call's real number (the host sees getpid).
    var ttNumber: UInt64?
    /// seccomp: the guest sleeps in the host kernel on this notification until the kernel
    /// answers it. Only orig_rax (the number), the argument registers and rip are valid in
    /// `regs` then; `materialize()` turns it into a ptrace stop with all registers.
    var notice: UInt64?
    /// seccomp: the guest is stopped inside a host system call that the host must neither run
    /// nor restart: the next register write-back sets orig_rax to -1.
    var skipHostCall = false
    /// seccomp: sleeping in the guest kernel with its notification still pending (counted in
    /// `X86Backend.sleepingOnNotices`).
    var sleepsOnNotice = false
    /// int3 stops as `.debug(.breakpoint)` (a debugger is attached) instead of a SIGTRAP fault.
    var reportsBreakpoints = false
    /// The hardware debug points in this thread's debug registers, point i in DRi (X86Debug.swift).
    var debugPoints: [DebugPoint] = []
    /// TT: a single step stopped at a `syscall` entry (PTRACE_SYSEMU_SINGLESTEP), and the next
    /// PTRACE_SYSCALL resume reports that call's exit, which is no new call.
    var ttSteppedIntoSyscall = false

    init(tracee: Tracee, space: X86AddressSpace, backend: X86Backend) {
        self.tracee = tracee
        self.space = space
        self.backend = backend
        space.members.append(self)
    }

    var addressSpace: any AddressSpace { space }

    func fetchRegisters() throws(LinuxErrno) {
        try tracee.registers(into: &regs)
        dirty = .clean
    }

    @inline(__always)
    func flush() throws(LinuxErrno) {
        if skipHostCall {
            var r = regs
            r.orig_rax = UInt64.max
            try tracee.setRegisters(&r)
            skipHostCall = false
            dirty = .clean
            return
        }
        switch dirty {
        case .clean: break
        case .rax: try tracee.pokeUser(offset: 80, regs.rax)  // offsetof(user_regs_struct, rax)
        case .all: try tracee.setRegisters(&regs)
        }
        dirty = .clean
    }

    // MARK: Running

    func run(sliceNanoseconds: Int64) -> Trap {
        if space.settingUp {
            // The kernel commits an exec's queued setup itself; this is the backstop.
            do { try space.commit() } catch { return .lost("setting up the address space: \(error.message)") }
        }
        if backend.mode == .seccomp { return runSeccomp(sliceNanoseconds: sliceNanoseconds) }
        let tt = backend.mode == .tt
        do {
            try flush()
            try tracee.resume(tt ? .syscall : .sysemu)
        } catch {
            return .lost("cannot resume: \(error.message)")
        }
        // The kernel armed the tick for when it wants control back: it interrupts waitpid.
        var interrupted = false
        while true {
            let stop: TraceStop
            do {
                stop = try tracee.wait()
            } catch .EINTR {
                // The slice ended: stop the guest where it is.
                if !interrupted { tracee.interrupt(); interrupted = true }
                continue
            } catch {
                return .lost("waitpid: \(error.message)")
            }
            backend.stats.stops += 1
            switch stop {
            case .syscall where tt && ttSteppedIntoSyscall:
                // The exit of a call a single step stopped at, already handled by the kernel.
                ttSteppedIntoSyscall = false
                do { try tracee.resume(.syscall) } catch { return .lost("cannot resume: \(error.message)") }
            case .syscall where tt && ttNumber == nil:
                // TT entry stop: nullify the call (the host runs getpid) and let it finish.
                do {
                    try fetchRegisters()
                    ttNumber = regs.orig_rax
                    try tracee.pokeUser(offset: 120, 39)  // offsetof(user_regs_struct, orig_rax); getpid
                    try tracee.resume(.syscall)
                } catch { return .lost("nullifying a system call: \(error.message)") }
            case .syscall:
                do { try fetchRegisters() } catch { return .lost("registers: \(error.message)") }
                if let n = ttNumber {
                    // TT exit stop: the kernel now handles the real call; rax takes its result.
                    regs.orig_rax = n
                    ttNumber = nil
                }
                return .syscall
            case .signal(let sig):
                do { try fetchRegisters() } catch { return .lost("registers: \(error.message)") }
                if let trap = fault(sig) { return trap }
                return .preempted  // a host signal that is not the guest's business: suppressed
            case .event:
                do { try fetchRegisters() } catch { return .lost("registers: \(error.message)") }
                return .preempted
            case .exited, .killed:
                return ended(stop)
            }
        }
    }

    /// The trap for a stop that ended the host process.
    func ended(_ stop: TraceStop) -> Trap {
        alive = false
        switch stop {
        case .exited(let code): return .lost("host process exited with status \(code)")
        case .killed(let sig): return .lost("host process killed by signal \(sig)")
        default: return .lost("host process gone")
        }
    }

    /// Turns a host signal raised by the guest's own instructions into a guest fault.
    func fault(_ sig: Int32) -> Trap? {
        guard [4, 5, 7, 8, 11].contains(sig) else { return nil }  // SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV
        let info = (try? tracee.signalInfo()) ?? (signo: sig, code: 0, address: 0)
        // si_code > 0 means the kernel raised it for an instruction; <= 0 came from kill().
        if info.code <= 0 && sig != 5 { return nil }
        // A debug register hit (TRAP_HWBKPT); checked only while the thread has debug points.
        if sig == 5 && !debugPoints.isEmpty, let hit = debugRegisterHit() { return .debug(hit) }
        // int3 (si_code SI_KERNEL): a software breakpoint, the debugger's if one is attached.
        if sig == 5 && info.code == 0x80 && reportsBreakpoints { return .debug(.breakpoint(address: regs.rip &- 1)) }
        return .fault(Signal(sig), code: info.code, address: info.address)
    }

    // MARK: System call ABI: rax = number; rdi, rsi, rdx, r10, r8, r9; result in rax.

    var syscallNumber: Int { Int(Int64(bitPattern: regs.orig_rax)) }
    var syscallArguments: SyscallArguments { SyscallArguments(regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9) }

    func setSyscallResult(_ result: Result<UInt64, LinuxErrno>) {
        switch result {
        case .success(let v): regs.rax = v
        case .failure(let e): regs.rax = UInt64(bitPattern: Int64(-e.rawValue))
        }
        if dirty == .clean { dirty = .rax }
    }

    func restartSyscall() {
        if notice != nil { materializeOrLose() }
        regs.rip &-= 2
        regs.rax = regs.orig_rax
        dirty = .all
    }

    var instructionPointer: UInt64 { regs.rip }
    var stackPointer: UInt64 {
        if notice != nil { materializeOrLose() }
        return regs.rsp
    }

    func start(_ program: ProgramStart) {
        if notice != nil { materializeOrLose() }
        skipHostCall = false
        let cs = regs.cs, ss = regs.ss, ds = regs.ds, es = regs.es
        regs = X86Registers()
        regs.cs = cs; regs.ss = ss; regs.ds = ds; regs.es = es
        regs.rip = program.entry
        regs.rsp = program.stackPointer
        regs.eflags = 0x202
        regs.orig_rax = UInt64.max
        dirty = .all
        // A fresh program starts with a clean FPU/SSE state.
        var fp = X86FPRegisters()
        withUnsafeMutableBytes(of: &fp) { p in
            p.storeBytes(of: UInt16(0x37f), toByteOffset: 0, as: UInt16.self)  // fcw
            p.storeBytes(of: UInt32(0x1f80), toByteOffset: 24, as: UInt32.self)  // mxcsr
            p.storeBytes(of: UInt32(0xffff), toByteOffset: 28, as: UInt32.self)  // mxcsr_mask
        }
        try? tracee.setFPRegisters(&fp)
    }

    func setThreadPointer(_ value: UInt64) {
        if notice != nil { materializeOrLose() }
        regs.fs_base = value
        dirty = .all
    }

    // MARK: Injected system calls (the kernel acting on the guest's address space)

    /// Runs one host system call inside this guest's host process and returns its result.
    /// The guest's registers are saved and restored around it.
    @discardableResult
    func inject(_ nr: UInt64, _ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64, _ a5: UInt64) throws(LinuxErrno) -> UInt64 {
        if space.settingUp { try space.flushPending() }  // in order with the queued calls
        try materialize()
        var r = regs
        r.rip = StubImage.syscallSite
        r.rax = nr
        r.orig_rax = UInt64.max
        r.rdi = a0; r.rsi = a1; r.rdx = a2; r.r10 = a3; r.r8 = a4; r.r9 = a5
        let result = Int64(bitPattern: try runStub(r).rax)
        if result < 0 && result > -4096 { throw LinuxErrno(Int32(-result)) }
        return UInt64(bitPattern: result)
    }

    /// One host system call of a batch: the number, six arguments, and the control word
    /// through which it keeps its result for later calls or takes an earlier one's (StubImage).
    struct HostCall {
        var number: UInt64
        var arguments: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        var control: UInt64 = 0
        init(_ number: UInt64, _ a0: UInt64 = 0, _ a1: UInt64 = 0, _ a2: UInt64 = 0, _ a3: UInt64 = 0, _ a4: UInt64 = 0, _ a5: UInt64 = 0) {
            self.number = number; arguments = (a0, a1, a2, a3, a4, a5)
        }
        /// This call's result is kept for the calls after it.
        func keepingResult() -> HostCall { var c = self; c.control |= StubImage.batchKeepsResult; return c }
        /// Argument `index` (1-6, rdi first) is the result the last keeping call kept.
        func takingKept(asArgument index: UInt64) -> HostCall { var c = self; c.control |= index; return c }
    }

    /// Where a batch's strings go in the stub's data page, and how many calls fit below them.
    static let batchDataOffset = 0xc00
    static let batchCapacity = (batchDataOffset - 8) / StubImage.batchEntrySize

    /// Runs `calls` in order in this guest's host process in one trip (the stub's batch loop),
    /// with `data` in the stub's data page at `batchDataOffset` (strings the calls point to).
    /// The first call that fails ends the batch: its errno is thrown and its index left in
    /// `batchFailure`. At most `batchCapacity` calls. Returns the result the last keeping call
    /// kept (r15 at the end; meaningless if no call keeps one).
    @discardableResult
    func injectBatch(_ calls: [HostCall], data: [UInt8] = []) throws(LinuxErrno) -> UInt64 {
        let dataOffset = Self.batchDataOffset
        guard calls.count <= Self.batchCapacity, data.count <= 0x1000 - dataOffset else { throw .E2BIG }
        if calls.isEmpty { return 0 }
        try materialize()
        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        e.u64(UInt64(calls.count))
        for c in calls {
            e.u64(c.number)
            e.u64(c.arguments.0); e.u64(c.arguments.1); e.u64(c.arguments.2)
            e.u64(c.arguments.3); e.u64(c.arguments.4); e.u64(c.arguments.5)
            e.u64(0)
            e.u64(c.control)
        }
        if !data.isEmpty { e.pad(to: dataOffset); e.raw(data) }
        try writeStubData(e.bytes)
        var r = regs
        r.rip = StubImage.batchSite
        r.orig_rax = UInt64.max
        let end = try runStub(r)
        let last = Int64(bitPattern: end.rax)
        guard last < 0 && last > -4096 else { return end.r15 }
        // Which call failed: the first whose stored result is an error.
        var results = [UInt8](repeating: 0, count: 8 + calls.count * StubImage.batchEntrySize)
        try typedErrno { try results.withUnsafeMutableBytes { p in try tracee.read(StubImage.dataPage, into: p) } }
        var d = GuestDecoder(results, backend.abi)
        _ = d.u64()
        for i in calls.indices {
            for _ in 0..<7 { _ = d.u64() }
            let v = Int64(bitPattern: d.u64())
            _ = d.u64()
            if v < 0 && v > -4096 { batchFailure = i; break }
        }
        throw LinuxErrno(Int32(-last))
    }
    /// The index of the call that ended the last failed `injectBatch`.
    private(set) var batchFailure = 0

    /// Runs the stub from the registers `r` until its int3 and returns the registers there. The
    /// guest's registers (`regs`) are written back (`dirty = .all`) before the guest runs again,
    /// not after every injected call.
    private func runStub(_ r: X86Registers) throws(LinuxErrno) -> X86Registers {
        var r = r
        try tracee.setRegisters(&r)
        try tracee.resume(.cont)
        ttSteppedIntoSyscall = false  // CONT passes a stepped call's exit without a stop
        backend.stats.injected += 1
        loop: while true {
            let stop = try tracee.waitUninterrupted()
            backend.stats.stops += 1
            switch stop {
            case .signal(5):
                break loop  // the stub's int3
            case .signal(let sig):
                // Anything else arriving now is not for the guest; keep going.
                _ = sig
                try tracee.resume(.cont)
            case .event:
                try tracee.resume(.cont)
            case .exited, .killed:
                alive = false
                throw .ESRCH
            case .syscall:
                try tracee.resume(.cont)
            }
        }
        var out = X86Registers()
        try tracee.registers(into: &out)
        dirty = .all
        return out
    }

    /// The read-only host descriptor this process holds for mapping the file of
    /// `mappingSource` (see `mapFile`).
    private var mappingFD: UInt64?
    private weak var mappingSource: (any MappedFileSource)?

    /// Maps `ref`'s file in this host process (MAP_FIXED, `flags` and `protection` as mmap
    /// takes them). The file is opened through /proc/<umlab>/fd/N. A program's segments, and a
    /// library's, come from one file in a row: a read-only descriptor stays open for the next
    /// mapping until another file is mapped, the process execs (it is O_CLOEXEC) or ends, which
    /// saves two injected calls (open, close) per segment after the first. A writable one is
    /// closed at once, so that it does not keep a shared memory file alive. The guest cannot
    /// reach either: its system calls go to umlab in every mode.
    func mapFile(_ ref: HostFileRef, at address: UInt64, length: UInt64, protection: UInt64, flags: UInt64,
                 offset: UInt64) throws(LinuxErrno) {
        if !ref.writable, let fd = mappingFD, let source = mappingSource, source === ref.source {
            _ = try inject(9, address, length, protection, flags, fd, offset)
            return
        }
        if let fd = mappingFD {
            mappingFD = nil
            _ = try inject(3, fd, 0, 0, 0, 0, 0)  // close
        }
        try writeStubData(backend.procPath(ref.fd))
        let openFlags: UInt64 = ref.writable ? 2 : 0  // O_RDWR : O_RDONLY
        let fd = try inject(257, UInt64(bitPattern: Int64(At.fdCWD)), StubImage.dataPage, openFlags | 0o2000000, 0, 0, 0)
        if ref.writable {
            defer { _ = try? inject(3, fd, 0, 0, 0, 0, 0) }
            _ = try inject(9, address, length, protection, flags, fd, offset)
            return
        }
        mappingFD = fd
        mappingSource = ref.source
        _ = try inject(9, address, length, protection, flags, fd, offset)
    }

    /// The descriptor kept for mapping `source`'s file, if this process holds one.
    func mappingDescriptor(for source: any MappedFileSource) -> UInt64? {
        guard let fd = mappingFD, let kept = mappingSource, kept === source else { return nil }
        return fd
    }
    /// Forgets the kept descriptor and returns it, for the caller to close.
    func dropMappingDescriptor() -> UInt64? {
        defer { mappingFD = nil; mappingSource = nil }
        return mappingFD
    }
    /// A batch opened `source`'s file read-only as `fd` and left it open.
    func adoptMappingDescriptor(_ fd: UInt64, for source: any MappedFileSource) {
        mappingFD = fd
        mappingSource = source
    }

    /// Copies `bytes` into the stub's data page (for paths of injected calls).
    func writeStubData(_ bytes: [UInt8]) throws(LinuxErrno) {
        try typedErrno { try bytes.withUnsafeBytes { p in try tracee.write(StubImage.dataPage, from: p) } }
    }

    /// Leaves the exec stop: an exec event is reported inside execve, whose return value the
    /// host writes into rax after it, so the stub's entry int3 is the first clean stop.
    func settleAfterExec() throws(LinuxErrno) {
        try tracee.resume(.cont)
        while true {
            let stop = try tracee.waitUninterrupted()
            backend.stats.stops += 1
            if case .signal(5) = stop { break }
            if case .exited = stop { alive = false; throw .ESRCH }
            if case .killed = stop { alive = false; throw .ESRCH }
            try tracee.resume(.cont)
        }
        try fetchRegisters()
    }

    /// Removes what the host's exec left in the fresh process besides the stub: the host
    /// stack, and the host's vDSO regions, which move above user space for the guest vDSO to
    /// call (X86VDSO); without a usable host vDSO they go too. The guest then sees only what
    /// the kernel maps. One trip through the stub's batch loop: the unmaps, the host process's
    /// name (so the host's ps shows what it is) and the moves. The first guest process does it
    /// at once, and learns whether the host lets its vDSO move; after an exec the calls join the
    /// exec's queue (`queueScrub`).
    func scrubHostMappings() throws(LinuxErrno) {
        let nameAt = StubImage.dataPage + UInt64(Self.batchDataOffset)
        let (calls, firstMove, planned) = try scrubCalls(nameAt: nameAt)
        var moved = backend.movesHostVDSO && planned
        do {
            try injectBatch(calls, data: Self.processName)
        } catch .ESRCH {
            throw .ESRCH
        } catch {
            // Only a move may fail (a host kernel that refuses to move [vvar]).
            guard backend.movesHostVDSO && batchFailure >= firstMove else { throw error }
            moved = false
        }
        if backend.movesHostVDSO && !moved { try giveUpHostVDSO() }
    }

    /// The scrub's calls as the start of a fresh space's queued setup. A move cannot fail here
    /// that did not fail for the first process (the same host kernel); if it did, the exec fails.
    private func queueScrub() throws(LinuxErrno) {
        guard let nameAt = space.pending.place(Self.processName) else { throw .E2BIG }
        let (calls, _, planned) = try scrubCalls(nameAt: nameAt)
        space.pending.calls += calls
        if backend.movesHostVDSO && !planned { try giveUpHostVDSO() }
    }

    private static let processName = Array("umlab-guest".utf8) + [0]

    /// The scrub's calls (see `scrubHostMappings`), the index of the first vDSO move, and
    /// whether the moves could be planned (false: the host's vDSO regions were not found).
    private func scrubCalls(nameAt: UInt64) throws(LinuxErrno) -> (calls: [HostCall], firstMove: Int, planned: Bool) {
        let text = try hostMaps()
        let vdso = HostVDSO.regions(inMaps: text)
        var calls: [HostCall] = []
        for line in text.split(separator: "\n") {
            let range = line.prefix { $0 != " " }.split(separator: "-")
            guard range.count == 2, let lo = UInt64(range[0], radix: 16), let hi = UInt64(range[1], radix: 16) else { continue }
            if lo >= StubImage.base && hi <= X86VDSO.image + X86VDSO.imageSize { continue }  // the stub and the guest vDSO
            if lo >= 0x8000_0000_0000 { continue }  // vsyscall: above user space, cannot be unmapped
            if backend.movesHostVDSO && vdso.contains(where: { $0.range.lowerBound == lo }) { continue }
            calls.append(HostCall(11, lo, hi - lo))  // munmap
        }
        calls.append(HostCall(157, 15, nameAt))  // prctl(PR_SET_NAME, "umlab-guest")
        let firstMove = calls.count
        guard backend.movesHostVDSO else { return (calls, firstMove, false) }
        guard let moves = vdso.first(where: \.isCode).flatMap({ X86VDSO.targets(vdso, codeAt: $0.range.lowerBound) }) else {
            return (calls, firstMove, false)
        }
        for m in moves where m.from.lowerBound != m.to {
            let length = m.from.upperBound - m.from.lowerBound
            calls.append(HostCall(25, m.from.lowerBound, length, length, 3, m.to))  // mremap(MAYMOVE | FIXED)
        }
        return (calls, firstMove, true)
    }

    /// The host's vDSO could not be moved: the backend stops trying, the guest vDSO's data page
    /// says to make system calls instead, and what is left of the host's regions in the guest's
    /// user space is unmapped.
    private func giveUpHostVDSO() throws(LinuxErrno) {
        backend.movesHostVDSO = false
        if let stub = backend.stub { try StubImage.rewriteVDSOData(stub, hostClockGettime: nil) }
        for r in HostVDSO.regions(inMaps: try hostMaps()) where r.range.lowerBound < StubImage.base || r.range.lowerBound >= X86VDSO.hostFloor {
            _ = try inject(11, r.range.lowerBound, r.range.upperBound - r.range.lowerBound, 0, 0, 0, 0)
        }
    }

    /// The host process's /proc/PID/maps.
    private func hostMaps() throws(LinuxErrno) -> String {
        let maps = try HostFD.open("/proc/\(tracee.pid)/maps", flags: HostOpen.readOnly)
        defer { maps.close() }
        return String(decoding: try maps.readAll(), as: UTF8.self)
    }

    // MARK: Processes

    func clone(sharesMemory: Bool, stack: UInt64?, threadPointer: UInt64?) throws(LinuxErrno) -> any ExecutionContext {
        // The host forks the guest's host process (copy-on-write, as Linux would), or creates
        // another host process in the same mm for a thread. CLONE_PARENT makes umlab the parent
        // of every guest host process, so umlab reaps them all. CLONE_PTRACE traces the child
        // with the parent's options and no clone event stop in the parent (which a
        // PTRACE_O_TRACECLONE would add: one more stop, two host context switches per fork).
        let flags: UInt64 = 0x8000 | 0x2000 | (sharesMemory ? 0x100 : 0)  // CLONE_PARENT | CLONE_PTRACE | CLONE_VM
        // CLONE_SETTLS takes the FS base arch_prctl would (Linux's set_new_tls: EPERM at or above
        // TASK_SIZE_MAX, here the stub's base). The host refuses such a base in PTRACE_SETREGS
        // (EIO): the child was made, then lost.
        if let threadPointer, threadPointer >= StubImage.base { throw .EPERM }
        try space.commit()
        let childSpace = sharesMemory ? self.space : X86AddressSpace(backend: backend)
        if !sharesMemory { try childSpace.forkCharge(from: space) }
        // The clone's result is the child's host pid (CLONE_PARENT keeps it in umlab's pid
        // namespace), so the fork event stop needs no PTRACE_GETEVENTMSG.
        let child = Int32(truncatingIfNeeded: try inject(56, flags, 0, 0, 0, 0, 0))
        guard child > 0 else { throw .EAGAIN }
        let tracee = Tracee(pid: child)
        backend.stats.hostProcesses += 1
        // The new process reports a stop before running anything.
        _ = try tracee.waitUninterrupted()
        let ctx = X86Context(tracee: tracee, space: childSpace, backend: backend)
        ctx.regs = regs
        ctx.regs.rax = 0
        if let stack { ctx.regs.rsp = stack }
        if let threadPointer { ctx.regs.fs_base = threadPointer }
        ctx.dirty = .all  // FPU state: the host's clone copied the parent's
        // The host gives a new process no debug registers; the guest's child inherits its
        // parent's debug points (what a debugger following forks expects), and how its
        // breakpoints stop.
        ctx.reportsBreakpoints = reportsBreakpoints
        if !debugPoints.isEmpty {
            do { try ctx.setDebugPoints(debugPoints) } catch { ctx.terminate(); throw error }
        }
        return ctx
    }

    func replaceAddressSpace() throws(LinuxErrno) {
        guard let stub = backend.stub else { throw .ENOEXEC }
        try materialize()
        // Re-exec the stub in place: the host gives this process a fresh mm, while other
        // processes that shared the old one (vfork parent, threads) keep theirs.
        let path = backend.procPath(stub.raw)
        // argv[0] "umlab-guest": every guest host process is recognisable in the host's ps.
        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        e.raw(path); e.align(8)
        let nameAt = StubImage.dataPage + UInt64(e.bytes.count)
        e.raw(Array("umlab-guest".utf8) + [0]); e.align(8)
        let argvAt = StubImage.dataPage + UInt64(e.bytes.count)
        e.u64(nameAt); e.u64(0)
        try writeStubData(e.bytes)
        var r = regs
        r.rip = StubImage.syscallSite
        r.rax = 59  // execve
        r.orig_rax = UInt64.max
        r.rdi = StubImage.dataPage; r.rsi = argvAt; r.rdx = 0
        try tracee.setRegisters(&r)
        try tracee.resume(.cont)
        ttSteppedIntoSyscall = false
        backend.stats.injected += 1
        while true {
            let stop = try tracee.waitUninterrupted()
            backend.stats.stops += 1
            if case .event(Tracee.Event.exec, _) = stop { break }
            if case .signal(5) = stop {
                // The int3 after a failed execve.
                var out = X86Registers()
                try tracee.registers(into: &out)
                dirty = .all
                throw LinuxErrno(Int32(-Int64(bitPattern: out.rax)))
            }
            if case .exited = stop { alive = false; throw .ESRCH }
            if case .killed = stop { alive = false; throw .ESRCH }
            // A fault before the execve (the stub's page gone or clobbered: in TT the guest can
            // write anywhere) would recur on every resume, and this loop never ends — seen as a
            // CI run stuck for minutes with the tracee faulting. The process cannot go on.
            if case .signal(let number) = stop, [4, 7, 8, 11].contains(number) {
                terminate()
                throw .ESRCH
            }
            try tracee.resume(.cont)
        }
        space.members.removeAll { $0 === self }
        space = X86AddressSpace(backend: backend)
        space.members.append(self)
        skipHostCall = false
        // The host's exec cleared the debug registers, as Linux's execve does: the points'
        // addresses meant the old program. A debugger sets new ones after the exec event.
        debugPoints = []
        mappingFD = nil  // the exec closed it
        try settleAfterExec()
        space.settingUp = true
        try queueScrub()
    }

    func terminate() {
        if sleepsOnNotice { sleepsOnNotice = false; backend.sleepingOnNotices -= 1 }
        guard alive else { space.members.removeAll { $0 === self }; return }
        alive = false
        space.members.removeAll { $0 === self }
        tracee.killAndReap()
    }

    // MARK: Signals

    func deliverSignal(_ d: SignalDelivery) throws(LinuxErrno) {
        try materialize()
        try X86SignalFrame.deliver(d, context: self)
    }

    func returnFromSignal() throws(LinuxErrno) -> (mask: SignalSet, altStack: AltStack) {
        try materialize()
        return try X86SignalFrame.restore(context: self)
    }

    // MARK: Diagnostics

    func crashReport() -> String {
        if notice != nil { materializeOrLose() }
        var bytes = [UInt8](repeating: 0, count: 16)
        let ok = (try? typedErrno { try bytes.withUnsafeMutableBytes { p in try tracee.read(regs.rip, into: p) } }) != nil
        let insn = ok ? backend.disassemble(bytes, address: regs.rip).map { $0.text } ?? "(undecodable)" : "(unreadable)"
        func h(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
        return "  rip \(h(regs.rip)): \(insn)\n  rsp \(h(regs.rsp))  rax \(h(regs.rax))  rbx \(h(regs.rbx))  rcx \(h(regs.rcx))  rdx \(h(regs.rdx))\n  rsi \(h(regs.rsi))  rdi \(h(regs.rdi))  rbp \(h(regs.rbp))"
    }
}
