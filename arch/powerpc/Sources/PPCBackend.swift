import Capstone
import CPowerPCCore
import GuestKernel
import HostOS
import LinuxABI
import SoftMMU

/// The PowerPC backend: 32-bit big-endian Linux programs on an interpreter, with guest memory
/// in software page tables (SoftMMU). SKAS: each process has its own page table; the kernel's
/// memory is never in it; the TLB is flushed whenever the CPU switches address spaces.
public final class PPCBackend: Backend {
    public let name = "ppc"
    public let elfMachine: UInt16 = 20
    public let abi = PPCABI.make()
    public let supportedModes: [IsolationMode] = [.skas, .tt]
    /// User space ends at 0xBE000000: 32-bit PowerPC Linux's TASK_SIZE is 0xC0000000, less the
    /// kernel region TT mode maps below it (in every mode, so that layouts do not differ).
    public let userAddressRange: Range<UInt64> = 0x10000..<0xBE00_0000
    let disassembler = Disassembler(.ppc32BigEndian)
    lazy var words = PPCWordDecoder(capstone: Disassembler(.ppc32BigEndian))
    /// The shared interpreter engine: mode, TLB switching, run loop, counters.
    let engine = InterpreterEngine()
    /// The interpreter alone, or the template JIT in front of it (`umlab run --engine`).
    public var engineKind = PPCEngineKind.interp
    /// Code buffer bytes per address space for the JIT (tests make it small to fill it).
    public var jitBufferBytes = PPCJIT.defaultBufferBytes
    /// Times a block start runs in the interpreter before it is translated (tests use 0).
    public var jitThreshold = PPCJIT.defaultThreshold
    /// The counters of every address space's JIT.
    let jitStats: UnsafeMutablePointer<ppc_jit_stats>

    public init() {
        jitStats = .allocate(capacity: 1)
        jitStats.initialize(to: ppc_jit_stats())
    }
    deinit { jitStats.deallocate() }

    public var counters: [String: UInt64] {
        var c = engine.counters.merging(
            ["capstone_decodes": words.capstoneCalls, "capstone_unimplemented_words": words.unimplemented,
             "capstone_rejected_words": words.capstoneGaps]) { a, _ in a }
        if engineKind == .jit {
            let s = jitStats.pointee
            c["jit_translations"] = s.translations; c["jit_code_bytes"] = s.bytes; c["jit_flushes"] = s.flushes
            c["jit_full_flushes"] = s.full_flushes; c["jit_chains"] = s.chains; c["jit_entries"] = s.entries
        }
        return c
    }

    public func makeInitialContext(mode: IsolationMode, kernel: Kernel) throws(LinuxErrno) -> any ExecutionContext {
        guard supportedModes.contains(mode) else { throw .EINVAL }
        engine.mode = mode
        return PPCContext(backend: self, memory: try PPCContext.newMemory(words))
    }

    public func disassemble(_ bytes: [UInt8], address: UInt64) -> (text: String, length: Int)? {
        disassembler?.instruction(bytes, address: address)
    }
}

/// One PowerPC guest thread.
final class PPCContext: ExecutionContext {
    unowned let backend: PPCBackend
    var memory: SoftMemory
    let regs: UnsafeMutablePointer<PPCRegisters>
    var reportsBreakpoints = false
    /// The last trap was a system call (gdb's `trap` register reads 0xc00).
    var stoppedAtSyscall = false

    init(backend: PPCBackend, memory: SoftMemory) {
        self.backend = backend
        self.memory = memory
        regs = .allocate(capacity: 1)
        regs.initialize(to: PPCRegisters())
    }
    deinit { regs.deallocate() }

    /// A fresh address space with its decoded-code cache attached.
    static func newMemory(_ words: PPCWordDecoder) throws(LinuxErrno) -> SoftMemory {
        let m = try SoftMemory.make()
        attachCache(m, words)
        PPCSignalFrame.mapTrampoline(m)
        return m
    }
    static func attachCache(_ m: SoftMemory, _ words: PPCWordDecoder) {
        let cache = PPCCodeCache.powerPC(words)
        // A hardware breakpoint is decoded as `trap`, which stops as a breakpoint: an op the
        // Swift interpreter runs (`fast` 0), in the block the replaced op was in.
        cache.makeBreakpoint = { ops, address in
            let i = Int((address & 0xfff) >> 2)
            var trap = PPCOp(kind: .tw, d: 31, a: 0, b: 0, c: 0, imm: 0, flags: 0)
            trap.run = ops[i].run
            ops[i] = trap
        }
        cache.attach(to: m)
    }

    func setDebugPoints(_ points: [DebugPoint]) throws(LinuxErrno) { try memory.setDebugPoints(points) }

    var addressSpace: any AddressSpace { memory }

    func run(sliceNanoseconds: Int64) -> Trap { run(sliceNanoseconds: sliceNanoseconds, step: false) }
    func singleStep() -> Trap { run(sliceNanoseconds: 0, step: true) }

    private func run(sliceNanoseconds: Int64, step: Bool) -> Trap {
        // Another thread may have run since this one's lwarx: its reservation is gone.
        regs.pointee.reservation = 0
        let cache = memory.codeCache as! PPCCodeCache
        // Steps, watchpoints and breakpoints are the interpreter's (the budget of one, the
        // decoded breakpoint ops); the JIT runs everything else when chosen.
        let jit = backend.engineKind == .jit && !step && memory.debugPoints.isEmpty
            ? PPCJIT.of(cache, bytes: backend.jitBufferBytes, threshold: backend.jitThreshold, stats: backend.jitStats) : nil
        var interp = PPCInterpreter(r: regs, mem: memory, cache: cache, jit: jit)
        let trap = backend.engine.run(&interp, memory: memory, cache: interp.cache, sliceNanoseconds: sliceNanoseconds,
                                      step: step, reportsBreakpoints: reportsBreakpoints)
        stoppedAtSyscall = trap == .syscall
        return trap
    }

    // System calls: sc with r0 = number, r3–r8 arguments; errors as positive errno in r3 with
    // CR0[SO] set.
    var syscallNumber: Int { Int(regs.pointee.gpr.0) }
    var syscallArguments: SyscallArguments {
        let g = UnsafeRawPointer(regs).assumingMemoryBound(to: UInt32.self)
        return SyscallArguments(UInt64(g[3]), UInt64(g[4]), UInt64(g[5]), UInt64(g[6]), UInt64(g[7]), UInt64(g[8]))
    }
    func setSyscallResult(_ result: Result<UInt64, LinuxErrno>) {
        let so: UInt32 = 1 << 28
        switch result {
        case .success(let v):
            regs.pointee.gpr.3 = UInt32(truncatingIfNeeded: v)
            regs.pointee.cr &= ~so
        case .failure(let e):
            regs.pointee.gpr.3 = UInt32(bitPattern: e.rawValue)
            regs.pointee.cr |= so
        }
    }
    func restartSyscall() {
        regs.pointee.pc &-= 4
        regs.pointee.gpr.3 = regs.pointee.origR3
    }

    var instructionPointer: UInt64 { UInt64(regs.pointee.pc) }
    var stackPointer: UInt64 { UInt64(regs.pointee.gpr.1) }

    func clone(sharesMemory: Bool, stack: UInt64?, threadPointer: UInt64?) throws(LinuxErrno) -> any ExecutionContext {
        let mem: SoftMemory
        if sharesMemory { mem = memory } else {
            mem = try memory.fork()
            PPCContext.attachCache(mem, backend.words)
            try mem.setDebugPoints(memory.debugPoints)  // a clone inherits its parent's points
        }
        let child = PPCContext(backend: backend, memory: mem)
        child.regs.pointee = regs.pointee
        child.regs.pointee.gpr.3 = 0
        child.regs.pointee.cr &= ~(1 << 28)
        child.regs.pointee.reservation = 0
        if let stack { child.regs.pointee.gpr.1 = UInt32(truncatingIfNeeded: stack) }
        if let threadPointer { child.regs.pointee.gpr.2 = UInt32(truncatingIfNeeded: threadPointer) }
        return child
    }

    func replaceAddressSpace() throws(LinuxErrno) {
        memory = try PPCContext.newMemory(backend.words)
    }

    func start(_ program: ProgramStart) {
        regs.pointee = PPCRegisters()
        regs.pointee.pc = UInt32(truncatingIfNeeded: program.entry)
        let sp = UInt32(truncatingIfNeeded: program.stackPointer)
        regs.pointee.gpr.1 = sp
        // The ELF ABI start state: r3 = argc, r4 = argv, r5 = envp, r6 = auxv, r7 = 0.
        let argc = memory.load32(sp) ?? 0
        let argv = sp &+ 4
        let envp = argv &+ 4 * (argc + 1)
        var auxv = envp
        while let w = memory.load32(auxv), w != 0 { auxv &+= 4 }
        regs.pointee.gpr.3 = argc
        regs.pointee.gpr.4 = argv
        regs.pointee.gpr.5 = envp
        regs.pointee.gpr.6 = auxv &+ 4
        regs.pointee.gpr.7 = 0
    }

    func setThreadPointer(_ value: UInt64) { regs.pointee.gpr.2 = UInt32(truncatingIfNeeded: value) }

    func deliverSignal(_ delivery: SignalDelivery) throws(LinuxErrno) {
        try PPCSignalFrame.deliver(delivery, context: self)
    }
    func returnFromSignal() throws(LinuxErrno) -> (mask: SignalSet, altStack: AltStack) {
        try PPCSignalFrame.restore(context: self)
    }

    func terminate() {}

    func crashReport() -> String {
        let pc = regs.pointee.pc
        let word = memory.load32(pc)
        var text = "(unreadable)"
        if let word {
            let bytes = [UInt8(word >> 24), UInt8((word >> 16) & 0xff), UInt8((word >> 8) & 0xff), UInt8(word & 0xff)]
            text = backend.disassemble(bytes, address: UInt64(pc))?.text ?? String(format8hex: word) + " (not an instruction Capstone knows)"
        }
        let g = UnsafeRawPointer(regs).assumingMemoryBound(to: UInt32.self)
        func h(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
        return "  pc \(h(pc)): \(text)\n  r1 \(h(g[1]))  r3 \(h(g[3]))  lr \(h(regs.pointee.lr))  ctr \(h(regs.pointee.ctr))  cr \(h(regs.pointee.cr))"
    }
}

extension String {
    init(format8hex v: UInt32) { let h = String(v, radix: 16); self = ".long 0x" + String(repeating: "0", count: 8 - h.count) + h }
}
