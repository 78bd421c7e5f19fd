import GuestKernel
import HostOS
import IA64Decoder
import LinuxABI
import SoftMMU

/// The IA-64 backend: static ELF64 LSB programs (as ia64-linux-gnu-as/ld make them) on an
/// interpreter over the shared software MMU, with its own bundle decoder. SKAS: one page table
/// per process, TLB flushed on every address-space switch.
public final class IA64Backend: Backend {
    public let name = "ia64"
    public let elfMachine: UInt16 = 50
    public let abi = IA64ABI.make()
    public let supportedModes: [IsolationMode] = [.skas, .tt]
    /// Regions 0–3 of the IA-64 address space (text at 0x4000…, data at 0x6000… by default),
    /// less the kernel region TT mode maps at the top of region 3 (in every mode).
    public let userAddressRange: Range<UInt64> = 0x10000..<0x7fff_ffff_fe00_0000
    /// The shared interpreter engine: mode, TLB switching, run loop, counters.
    let engine = InterpreterEngine()
    /// Whether threads run the C loop (IA64Core.enabled: UMLAB_IA64_CORE=off turns it off).
    let fastCore = IA64Core.enabled()

    public init() {}

    public var counters: [String: UInt64] { engine.counters }

    public func makeInitialContext(mode: IsolationMode, kernel: Kernel) throws(LinuxErrno) -> any ExecutionContext {
        guard supportedModes.contains(mode) else { throw .EINVAL }
        engine.mode = mode
        return IA64Context(backend: self, memory: try IA64Context.newMemory(), state: try IA64State())
    }

    /// One bundle, as objdump prints it (the disassembler is ours: Capstone has no IA-64).
    public func disassemble(_ bytes: [UInt8], address: UInt64) -> (text: String, length: Int)? {
        disassembleLines(bytes, address: address).map { ($0.lines.map(\.1).joined(separator: " | "), $0.length) }
    }
    /// A bundle's slots, each at the address objdump gives it (bundle + 0, 6, 12).
    public func disassembleLines(_ bytes: [UInt8], address: UInt64) -> (lines: [(UInt64, String)], length: Int)? {
        guard bytes.count >= 16 else { return nil }
        let lines: [DisassemblyLine] = IA64Decoder.disassemble(bundle: Bundle(bytes: bytes, offset: 0), address: address)
        return (lines.map { ($0.address, IA64Backend.elfStyleTarget($0.text)) }, 16)
    }

    /// objdump prints IP-relative targets in an ELF as bare hex (then `<symbol>`), and as 0x…
    /// in raw binaries; the decoder uses the raw form, this gives the ELF one: in branches and
    /// checks, a "0x" that starts a 16-digit target (after a space, "=" or ",") is dropped.
    static func elfStyleTarget(_ text: String) -> String {
        let tokens = text.split(separator: " ")
        guard let mnemonic = tokens.first(where: { !$0.hasPrefix("[") && !$0.hasPrefix("(") }),
              ["br.", "brl.", "brp", "chk", "fchkf"].contains(where: { mnemonic.hasPrefix($0) }) else { return text }
        let chars = Array(text)
        var out = ""
        var k = 0
        while k < chars.count {
            if chars[k] == "0", k + 1 < chars.count, chars[k + 1] == "x", k > 0, [" ", "=", ","].contains(chars[k - 1]),
               k + 18 <= chars.count, chars[(k + 2)..<(k + 18)].allSatisfy(\.isHexDigit),
               k + 18 == chars.count || !chars[k + 18].isHexDigit {
                k += 2
                continue
            }
            out.append(chars[k])
            k += 1
        }
        return out
    }
}

/// One IA-64 guest thread.
final class IA64Context: ExecutionContext {
    unowned let backend: IA64Backend
    var memory: SoftMemory
    let state: IA64State
    var reportsBreakpoints = false

    init(backend: IA64Backend, memory: SoftMemory, state: IA64State) {
        self.backend = backend; self.memory = memory; self.state = state
    }

    static func newMemory() throws(LinuxErrno) -> SoftMemory {
        let m = try SoftMemory.make()
        IA64CodeCache.forDebugging().attach(to: m)
        IA64SignalFrame.mapTrampoline(m)
        return m
    }

    var addressSpace: any AddressSpace { memory }

    func run(sliceNanoseconds: Int64) -> Trap { run(sliceNanoseconds: sliceNanoseconds, step: false) }
    func singleStep() -> Trap { run(sliceNanoseconds: 0, step: true) }

    private func run(sliceNanoseconds: Int64, step: Bool) -> Trap {
        var interp = IA64Interpreter(s: state, mem: memory, cache: memory.codeCache as! IA64CodeCache, fastCore: backend.fastCore)
        let trap = backend.engine.run(&interp, memory: memory, cache: interp.cache, sliceNanoseconds: sliceNanoseconds,
                                      step: step, reportsBreakpoints: reportsBreakpoints)
        state.inSyscall = trap == .syscall
        return trap
    }

    // System calls: break 0x100000, r15 = 1024 + n, arguments in the output registers
    // r(32 + CFM.sol) onward; result in r8 with r10 = 0, or errno in r8 with r10 = -1.
    /// r15 as a signed number: one at or above 2^63 is negative, so no table has it (ENOSYS).
    var syscallNumber: Int { Int(truncatingIfNeeded: state.gr[15]) }
    var syscallArguments: SyscallArguments {
        var a = [UInt64](repeating: 0, count: 6)
        for k in 0..<6 where state.cfm.sol + k < state.cfm.sof {
            if let i = state.stackedIndex(UInt8(32 + state.cfm.sol + k)) { a[k] = state.stacked[i] }
        }
        return SyscallArguments(a[0], a[1], a[2], a[3], a[4], a[5])
    }
    func setSyscallResult(_ result: Result<UInt64, LinuxErrno>) {
        switch result {
        case .success(let v): state.gr[8] = v; state.gr[10] = 0
        case .failure(let e): state.gr[8] = UInt64(e.rawValue); state.gr[10] = UInt64.max
        }
        state.grNaT &= ~(1 << 8 | 1 << 10)
        advancePastBreak()
    }
    /// Execution resumes at the slot after the break.
    func advancePastBreak() {
        state.ip = state.syscallIP.ip
        state.slot = state.syscallIP.slot + 1
        if state.slot >= 3 { state.slot = 0; state.ip &+= 16 }
    }
    func restartSyscall() {
        state.ip = state.syscallIP.ip
        state.slot = state.syscallIP.slot
    }

    var instructionPointer: UInt64 { state.ip + UInt64(state.slot) }
    var stackPointer: UInt64 { state.gr[12] }

    func clone(sharesMemory: Bool, stack: UInt64?, threadPointer: UInt64?) throws(LinuxErrno) -> any ExecutionContext {
        let mem: SoftMemory
        if sharesMemory { mem = memory } else {
            mem = try memory.fork()
            IA64CodeCache.forDebugging().attach(to: mem)
            try mem.setDebugPoints(memory.debugPoints)  // a clone inherits its parent's points
        }
        let s = try state.copy()
        let child = IA64Context(backend: backend, memory: mem, state: s)
        child.setSyscallResult(.success(0))
        if let stack {
            // IA-64 Linux's clone(flags, stack, ...): copy_thread sets r12 = stack and starts the
            // register backing store at the same address (ar.bspstore = stack, ar.rnat = 0,
            // nothing to load): the memory stack grows down from it and the backing store up.
            // Without this a thread spilled its frames (flushrs, signal delivery) over its
            // parent's backing store.
            s.gr[12] = stack
            s.startBackingStore(at: stack)
        }
        if let threadPointer { s.gr[13] = threadPointer }
        return child
    }

    func replaceAddressSpace() throws(LinuxErrno) {
        memory = try IA64Context.newMemory()
    }

    func start(_ program: ProgramStart) {
        let s = state
        s.gr.update(repeating: 0, count: 32)
        s.grNaT = 0
        s.fr.update(repeating: .zero, count: 128)
        s.fr[1] = .one
        s.pr = 1
        s.br.update(repeating: 0, count: 8)
        s.cfm = CFM()
        s.bof = 0
        s.flushed = 0
        s.rbsBase = program.registerStack
        s.pfs = 0; s.lc = 0; s.ec = 0; s.unat = 0; s.rnat = 0; s.ccv = 0; s.rnatBase = 0; s.inSyscall = false
        s.rsc = 0xf  // eager mode, privilege level 3
        s.fpsr = 0x0009_804c_0270_033f
        s.alat.removeAll()
        s.ip = program.entry & ~15
        s.slot = 0
        s.gr[12] = program.stackPointer - 16  // 16 bytes of scratch above sp, as the ABI wants
    }

    func setThreadPointer(_ value: UInt64) { state.gr[13] = value }

    func deliverSignal(_ delivery: SignalDelivery) throws(LinuxErrno) {
        try IA64SignalFrame.deliver(delivery, context: self)
    }
    func returnFromSignal() throws(LinuxErrno) -> (mask: SignalSet, altStack: AltStack) {
        try IA64SignalFrame.restore(context: self)
    }

    func terminate() {}

    func crashReport() -> String {
        var text = "(unreadable)"
        var bytes = [UInt8](repeating: 0, count: 16)
        if (try? typedErrno { try bytes.withUnsafeMutableBytes { p in try memory.read(state.ip, into: p) } }) != nil {
            let b = Bundle(bytes: bytes, offset: 0)
            let lines: [DisassemblyLine] = IA64Decoder.disassemble(bundle: b, address: state.ip)
            text = state.slot < lines.count ? lines[state.slot].text : lines.map { $0.text }.joined(separator: " | ")
        }
        func h(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
        return "  ip \(h(state.ip)) slot \(state.slot): \(text)\n  r1 \(h(state.gr[1]))  r8 \(h(state.gr[8]))  r12 \(h(state.gr[12]))  b0 \(h(state.br[0]))  cfm sof=\(state.cfm.sof) sol=\(state.cfm.sol)"
    }
}
