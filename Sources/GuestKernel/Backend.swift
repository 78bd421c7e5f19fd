import HostOS
import LinuxABI

// The backend protocol: what the architecture-neutral kernel asks of an instruction set.
//
// A backend runs guest code and hands control back to the kernel at a trap; it owns the guest's
// registers and address spaces. The kernel owns everything else: processes, memory maps (VMAs),
// files, signals. The shape follows gVisor's platform interface: a small set of operations,
// each documented with its preconditions, and nothing here names a particular ISA.

/// How guest processes are isolated from the kernel and from each other.
///
/// A first-class parameter of every backend, because comparing modes on the same workload is
/// what umlab is for.
public enum IsolationMode: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Separate kernel address space: the kernel's memory is never mapped into a guest.
    case skas
    /// Traced thread: the historical UML mode; the kernel's guest-visible state is mapped,
    /// writable, into every guest.
    case tt
    /// A seccomp filter traps guest syscalls (x86-64 only).
    case seccomp
    public var description: String { rawValue }
}

/// Why guest code stopped running and came back to the kernel.
public enum Trap: Equatable, Sendable {
    /// The guest made a system call; its number and arguments are in the context.
    case syscall
    /// A synchronous fault the kernel must turn into a guest signal.
    case fault(Signal, code: Int32, address: UInt64)
    /// The time slice ended (the scheduler tick fired) before the guest trapped.
    case preempted
    /// The host side of the guest disappeared (killed from outside umlab, for instance).
    case lost(String)
    /// A stop for a debugger: a finished single step, a breakpoint or a watchpoint. A thread
    /// nobody debugs gets the SIGTRAP Linux would give it (`DebugStop.signalInfo`).
    case debug(DebugStop)
}

/// Why a thread stopped for a debugger. The same on every backend, so a debugger (a GDB stub)
/// is written once against `ExecutionContext`.
public enum DebugStop: Equatable, Sendable {
    /// `singleStep()` executed one instruction (one slot of an IA-64 bundle).
    case stepped
    /// A software breakpoint instruction at `address` (PowerPC `trap` / gdb's `twge r2,r2`,
    /// IA-64 gdb's `break 0xccccc`, x86-64 `int3`), reported while `reportsBreakpoints` is set.
    /// The instruction pointer is where the hardware leaves it: on the instruction for
    /// PowerPC and IA-64, after it for x86-64 (gdb's decr_pc_after_break).
    /// Also a hardware breakpoint (`DebugPoint.Kind.execute`) at `address`: the instruction
    /// pointer is then on the instruction on every backend (x86-64 resumes past it by RF).
    /// A debugger tells the two apart by which kind it set at `address`.
    case breakpoint(address: UInt64)
    /// A watched data access at `address`.
    case watchpoint(WatchKind, address: UInt64)

    /// The signal a thread that is not being debugged gets for this stop (si_code TRAP_TRACE,
    /// TRAP_BRKPT or TRAP_HWBKPT).
    public var signalInfo: SignalInfo {
        var info: SignalInfo
        switch self {
        case .stepped: info = SignalInfo(signal: .SIGTRAP, code: 2)
        case .breakpoint(let a): info = SignalInfo(signal: .SIGTRAP, code: 1); info.address = a
        case .watchpoint(_, let a): info = SignalInfo(signal: .SIGTRAP, code: 4); info.address = a
        }
        return info
    }
}

/// The kind of access a watchpoint catches (gdb's Z2/Z3/Z4).
public enum WatchKind: Equatable, Sendable { case write, read, access }

/// A debug point a debugger asks the "hardware" for (gdb's Z1-Z4): an instruction address to stop
/// at, or a data range whose accesses stop the thread after the accessing instruction.
/// Software breakpoints (Z0) are not debug points: the debugger writes a breakpoint instruction
/// with `AddressSpace.debuggerWrite`.
public struct DebugPoint: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// Stop before executing the instruction at `address` (gdb's hbreak).
        case execute
        /// Stop after an access of this kind to [address, address + length).
        case watch(WatchKind)
    }
    public var kind: Kind
    public var address: UInt64
    /// Bytes watched (1 for `.execute`).
    public var length: UInt64
    public init(_ kind: Kind, address: UInt64, length: UInt64 = 1) {
        self.kind = kind; self.address = address; self.length = length
    }
}

/// One register of an ISA's register table. A context's `registers` lists them in gdb's order
/// (the index is gdb's register number, as in its target description or raw numbering), with
/// gdb's sizes; values travel as bytes in the target's byte order, as gdb's `g`/`p` packets.
public struct RegisterInfo: Equatable, Sendable {
    public var name: String
    /// Size in bytes.
    public var size: Int
    public var group: RegisterGroup
    /// false: reads work (possibly as zero, for state the backend does not model); writes fail.
    public var writable: Bool
    public init(_ name: String, _ size: Int, _ group: RegisterGroup = .general, writable: Bool = true) {
        self.name = name; self.size = size; self.group = group; self.writable = writable
    }
}

public enum RegisterGroup: String, Equatable, Sendable { case general, float, vector, system }

/// Register values to and from gdb's byte strings.
public enum RegisterBytes {
    /// The low `size` bytes of `value` (up to 8; zero beyond), in the target byte order.
    public static func encode(_ value: UInt64, size: Int, bigEndian: Bool) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        for k in 0..<min(size, 8) {
            let byte = UInt8(truncatingIfNeeded: value >> UInt64(8 * k))
            out[bigEndian ? size - 1 - k : k] = byte
        }
        return out
    }
    /// The value of the first (up to 8) significant bytes of `bytes`, in the target byte order.
    public static func decode(_ bytes: [UInt8], bigEndian: Bool) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<min(bytes.count, 8) {
            v |= UInt64(bigEndian ? bytes[bytes.count - 1 - k] : bytes[k]) << UInt64(8 * k)
        }
        return v
    }
    /// Checks a write of `bytes` to register `n` of `table`: EINVAL for a number outside the
    /// table or a size that differs from the register's, EPERM for a read-only register.
    public static func checkWrite(_ table: [RegisterInfo], _ n: Int, _ bytes: [UInt8]) throws(LinuxErrno) {
        guard table.indices.contains(n), bytes.count == table[n].size else { throw .EINVAL }
        guard table[n].writable else { throw .EPERM }
    }
    /// EINVAL for a register number outside the table.
    public static func checkRead(_ table: [RegisterInfo], _ n: Int) throws(LinuxErrno) {
        guard table.indices.contains(n) else { throw .EINVAL }
    }
}

/// What a mapping is backed by.
public enum MapBacking {
    /// Zero-filled memory.
    case anonymous
    /// A host file umlab holds open (a hostfs file or a tmpfs memory file), from `offset`.
    case file(HostFileRef, offset: UInt64)
}

/// A host descriptor to map, valid for the duration of the `AddressSpace.map` call. The backend
/// may map it into a guest (x86-64: through /proc/<umlab>/fd/<n>) but never hands it to one, and
/// must not keep the number: the kernel may close it (hostfs descriptors are pooled). What the
/// mapping needs later (the file's size, its bytes) it asks of `source`, which it may retain.
public struct HostFileRef {
    public let fd: Int32
    public let writable: Bool
    public let source: any MappedFileSource
    public init(fd: Int32, writable: Bool, source: any MappedFileSource) {
        self.fd = fd; self.writable = writable; self.source = source
    }
}

/// A mapped file as a mapping sees it after the map call: its current size (pages past the end
/// fault with SIGBUS) and its bytes (a private page read back after MADV_DONTNEED).
public protocol MappedFileSource: AnyObject {
    var mappedSize: UInt64 { get }
    func readMapped(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(LinuxErrno) -> Int
}

/// A guest address space: page mappings plus copy in/out. The kernel's `MemoryMap` keeps the
/// VMA list and calls these to make the backend's view match.
public protocol AddressSpace: AnyObject {
    /// Maps `length` bytes at `address` (page aligned), replacing whatever was there.
    func map(_ address: UInt64, length: UInt64, protection: Protection, shared: Bool, backing: MapBacking) throws(LinuxErrno)
    /// Removes mappings in the range; unmapped pages in it are not an error.
    func unmap(_ address: UInt64, length: UInt64) throws(LinuxErrno)
    /// Changes the protection of mapped pages in the range.
    func protect(_ address: UInt64, length: UInt64, protection: Protection) throws(LinuxErrno)
    /// Lets go of the pages of [address, address + length), which lies within one mapping
    /// (the kernel checked it, as madvise does). `.now` (MADV_DONTNEED): private pages read
    /// back as zeros (anonymous) or the file's current data (file mappings); a shared
    /// mapping's pages are the file's own, so only the view is dropped and the next access
    /// sees the file again: its data is never changed. `.lazily` (MADV_FREE, private
    /// anonymous memory only): the host may take the pages until they are written again.
    func discard(_ address: UInt64, length: UInt64, _ how: HostMemory.Discard) throws(LinuxErrno)
    /// Copies guest memory at `address` into `buffer`. EFAULT if any byte is not readable.
    func read(_ address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno)
    /// Copies `buffer` into guest memory at `address`. EFAULT if any byte is not writable.
    func write(_ address: UInt64, from buffer: UnsafeRawBufferPointer) throws(LinuxErrno)
    /// Copies the guest ranges `pieces`, in order, into `buffer` (whose size is their total):
    /// an iovec array's buffers (readv, writev, sendmsg, recvmsg). EFAULT if any byte is not
    /// readable. Backends whose copies are host calls make one for all (x86-64: one
    /// process_vm_readv); the default reads piece by piece.
    func read(_ pieces: [GuestRange], into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno)
    /// Copies `buffer` in order into the guest ranges `pieces` (as `read(_:into:)`).
    func write(_ pieces: [GuestRange], from buffer: UnsafeRawBufferPointer) throws(LinuxErrno)
    /// Writes as a debugger does (gdb's M/X packets, a guest's PTRACE_POKETEXT): read-only
    /// mappings are written too (a breakpoint into program text), a private file mapping gets
    /// its own copy of the page (the file never changes), and decoded code of the page is
    /// dropped. EFAULT for an unmapped byte.
    func debuggerWrite(_ address: UInt64, from buffer: UnsafeRawBufferPointer) throws(LinuxErrno)
    /// Some file got shorter (ftruncate, truncate, O_TRUNC): shared mappings of files must
    /// fault from the new end on. Address spaces the host kernel manages need nothing.
    func filesShrank()
    /// The kernel has set up a fresh address space (an exec's mappings and stack). A backend
    /// that held the work back to do it in one go (x86-64) does it now; what fails throws here
    /// as the mapping would have. The default has nothing held back.
    func commit() throws(LinuxErrno)

    // MARK: Memory accounting (see MemoryController)

    /// The machine's memory account, which this space charges for the memory it commits
    /// (private pages in use, its page tables). Set by the kernel when it attaches the space to
    /// a `MemoryMap`; a fork's copy inherits it.
    var memoryAccount: MemoryController? { get set }
    /// Bytes this space has charged: what the OOM policy compares between processes.
    var chargedBytes: UInt64 { get }
    /// Brings the charge up to date where the backend can only measure it (guests that are host
    /// processes: their resident anonymous memory). Interpreters charge each page as it is
    /// touched and need nothing.
    func sampleCharge()
    /// The last task using this space has left (exit, execve): free its memory now, charge and
    /// all, rather than whenever the last reference to the object goes.
    func release()
}

/// A piece of a scattered guest buffer.
public struct GuestRange: Equatable, Sendable {
    public var address: UInt64
    public var length: Int
    public init(_ address: UInt64, _ length: Int) { self.address = address; self.length = length }
}

extension AddressSpace {
    public func read(_ pieces: [GuestRange], into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) {
        var done = 0
        for p in pieces {
            try read(p.address, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + p.length)]))
            done += p.length
        }
    }
    public func write(_ pieces: [GuestRange], from buffer: UnsafeRawBufferPointer) throws(LinuxErrno) {
        var done = 0
        for p in pieces {
            try write(p.address, from: UnsafeRawBufferPointer(rebasing: buffer[done..<(done + p.length)]))
            done += p.length
        }
    }
}

extension AddressSpace {
    public func filesShrank() {}
    public func commit() throws(LinuxErrno) {}
    public func sampleCharge() {}
    public func release() {}
}

/// Where a freshly loaded program starts.
public struct ProgramStart {
    public var entry: UInt64
    public var stackPointer: UInt64
    /// Start of the program's dynamic loader, or its own load bias; some ISAs pass it in a register.
    public var interpreterBase: UInt64
    /// Base of the register backing store (`GuestABI.registerStackSize`), or 0.
    public var registerStack: UInt64 = 0
    public init(entry: UInt64, stackPointer: UInt64, interpreterBase: UInt64, registerStack: UInt64 = 0) {
        self.entry = entry; self.stackPointer = stackPointer; self.interpreterBase = interpreterBase
        self.registerStack = registerStack
    }
}

/// A guest vDSO a backend provides: an ELF image the guest's C library finds through
/// AT_SYSINFO_EHDR, and the data page(s) it reads. The backend has them mapped, outside
/// `userAddressRange`, in every address space `replaceAddressSpace` makes (x86-64: the stub's
/// exec maps them, no host call per execve); the kernel's exec records them as [vvar] and
/// [vdso] for /proc/<pid>/maps and puts the image's address in the auxiliary vector. Outside
/// user space, the guest cannot unmap or change them (Linux would let it unmap its vDSO).
public struct VDSOLayout: Equatable, Sendable {
    /// The data page(s), read-only.
    public var data: Range<UInt64>
    /// The image (read and execute); its start is AT_SYSINFO_EHDR.
    public var image: Range<UInt64>
    public init(data: Range<UInt64>, image: Range<UInt64>) { self.data = data; self.image = image }
    /// Whether [address, address + count) lies within the data pages or the image.
    public func contains(_ address: UInt64, count: Int) -> Bool {
        guard let end = GuestMath.end(address, UInt64(count)) else { return false }
        return (address >= data.lowerBound && end <= data.upperBound) || (address >= image.lowerBound && end <= image.upperBound)
    }
}

/// The six raw argument registers of a system call.
public struct SyscallArguments {
    public var a0: UInt64, a1: UInt64, a2: UInt64, a3: UInt64, a4: UInt64, a5: UInt64
    public init(_ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64, _ a5: UInt64) {
        (self.a0, self.a1, self.a2, self.a3, self.a4, self.a5) = (a0, a1, a2, a3, a4, a5)
    }
    @inline(__always) public subscript(i: Int) -> UInt64 {
        switch i { case 0: a0; case 1: a1; case 2: a2; case 3: a3; case 4: a4; default: a5 }
    }
}

/// What the kernel needs to place a signal handler's frame.
public struct SignalDelivery {
    public var signal: Signal
    public var info: SignalInfo
    public var handler: UInt64
    public var flags: UInt64
    public var restorer: UInt64
    /// The mask to restore when the handler returns (saved in the frame).
    public var savedMask: SignalSet
    /// The alternate stack to run on, if the handler asked for one and it is not already in use.
    /// Its end, base + size, does not pass 2^64 (the kernel checks before it delivers).
    public var alternateStack: (base: UInt64, size: UInt64)?
    /// The sigaltstack settings saved into the frame's uc_stack.
    public var savedAltStack: AltStack
}

/// One guest thread's execution state on a backend.
///
/// Preconditions (all methods): called from the kernel's thread, with the guest stopped.
public protocol ExecutionContext: AnyObject {
    /// The address space this thread runs in.
    var addressSpace: any AddressSpace { get }

    /// Runs guest code until it traps back to the kernel. `sliceNanoseconds` > 0 bounds the run
    /// (the result is then `.preempted`); 0 means run until the guest traps by itself.
    func run(sliceNanoseconds: Int64) -> Trap

    /// Number and arguments of the system call the thread stopped at.
    /// Precondition: the last trap was `.syscall`.
    var syscallNumber: Int { get }
    var syscallArguments: SyscallArguments { get }
    /// Completes the system call with a value (`.success`) or an error.
    func setSyscallResult(_ result: Result<UInt64, LinuxErrno>)
    /// Arranges for the interrupted system call to run again when the thread resumes
    /// (SA_RESTART, or a blocking call re-issued after a stop).
    func restartSyscall()

    var instructionPointer: UInt64 { get }
    var stackPointer: UInt64 { get }

    // MARK: Debugger interface (one GDB stub for every backend)

    /// The ISA's registers in gdb's order and sizes (index = gdb register number).
    var registers: [RegisterInfo] { get }
    /// Register `n`'s value, `registers[n].size` bytes in the target's byte order.
    /// EINVAL for a number outside the table.
    func readRegister(_ n: Int) throws(LinuxErrno) -> [UInt8]
    /// Sets register `n` from `registers[n].size` bytes in the target's byte order (EINVAL for
    /// a wrong number or size, EPERM for a register that cannot be written).
    func writeRegister(_ n: Int, _ bytes: [UInt8]) throws(LinuxErrno)
    /// Moves the thread to `address` (IA-64: bundle address | slot, gdb's pc form).
    func setInstructionPointer(_ address: UInt64)
    /// Executes one instruction (one IA-64 slot) and stops: `.debug(.stepped)`, or the trap the
    /// instruction raised (`.syscall`: the kernel completes the call and the step is done;
    /// `.fault`, `.debug(.breakpoint)`). Never lets a host execute a guest system call.
    func singleStep() -> Trap
    /// The kernel's choice: software breakpoint instructions stop as `.debug(.breakpoint)`
    /// (a debugger is attached) instead of as a SIGTRAP fault (the default, as Linux).
    var reportsBreakpoints: Bool { get set }
    /// Replaces this thread's hardware debug points (breakpoints by address, watchpoints).
    /// ENOSPC when the backend cannot hold them all (x86-64: four debug registers), EINVAL for a
    /// length or alignment it cannot watch; interpreters hold any number. Hits stop the thread
    /// as `.debug(.breakpoint)` / `.debug(.watchpoint)`. A clone inherits its parent's points.
    func setDebugPoints(_ points: [DebugPoint]) throws(LinuxErrno)

    /// Creates a thread in a copy of this address space (fork) or in the same one (`sharesMemory`).
    /// The child resumes where the parent made the call, with the call returning 0.
    func clone(sharesMemory: Bool, stack: UInt64?, threadPointer: UInt64?) throws(LinuxErrno) -> any ExecutionContext
    /// Replaces this thread's address space with a fresh, empty one (execve).
    /// Other contexts that shared the old one keep it.
    func replaceAddressSpace() throws(LinuxErrno)
    /// Sets the registers so the thread starts a freshly loaded program.
    func start(_ program: ProgramStart)
    /// Sets the thread pointer (TLS) register.
    func setThreadPointer(_ value: UInt64)

    /// Builds a signal frame on the guest stack and points the thread at the handler.
    func deliverSignal(_ delivery: SignalDelivery) throws(LinuxErrno)
    /// rt_sigreturn: restores the registers saved in the frame at the stack pointer and returns
    /// the signal mask saved with them (and the saved alternate stack).
    func returnFromSignal() throws(LinuxErrno) -> (mask: SignalSet, altStack: AltStack)

    /// The kernel is about to put the thread to sleep in a blocking call (it may sleep long).
    /// An engine whose sleeping threads cost something per call of the others can park the
    /// thread somewhere cheaper (seccomp mode: out of the listener's list of pending calls).
    func willSleep()

    /// Frees the host resources of this thread (kills its host process, for ptrace).
    func terminate()

    /// Registers and the faulting instruction, for a crash report.
    func crashReport() -> String
}

/// One instruction set. Registered with the kernel by the command line; the kernel picks one by
/// the ELF machine number of the program it runs.
public protocol Backend: AnyObject {
    /// Short name used on the command line (`--backend NAME`).
    var name: String { get }
    /// ELF e_machine this backend runs.
    var elfMachine: UInt16 { get }
    /// Guest data model and the ISA's syscall table.
    var abi: GuestABI { get }
    /// The isolation modes this backend implements.
    var supportedModes: [IsolationMode] { get }
    /// The lowest and one past the highest address a guest may map.
    var userAddressRange: Range<UInt64> { get }
    /// Where TT mode maps the kernel arena into every guest (`KernelArena.size` bytes, outside
    /// `userAddressRange`); by default just above user space.
    var kernelRegionBase: UInt64 { get }
    /// Guest code runs in host processes that the kernel waits for (ptrace, seccomp): the
    /// scheduler tick is how the kernel gets the CPU back from them. Interpreters return to the
    /// kernel when their slice's instruction budget runs out and need no tick.
    var runsInHostProcesses: Bool { get }
    /// Creates the first thread of the first process, in an empty address space.
    func makeInitialContext(mode: IsolationMode, kernel: Kernel) throws(LinuxErrno) -> any ExecutionContext
    /// Disassembles one instruction at `address` from `bytes`, for crash reports and `disasm`.
    func disassemble(_ bytes: [UInt8], address: UInt64) -> (text: String, length: Int)?
    /// The kernel cannot see its guests' page faults (they are host processes): it samples
    /// their memory (`AddressSpace.sampleCharge`) at a period while a memory limit applies.
    var samplesMemory: Bool { get }
    /// Counters the backend keeps (host ptrace stops, injected syscalls ...), for --stats-json.
    var counters: [String: UInt64] { get }
    /// The decoding unit at `address` as listing lines (address, text): one per instruction, so
    /// an IA-64 bundle gives three. Defaults to `disassemble`.
    func disassembleLines(_ bytes: [UInt8], address: UInt64) -> (lines: [(UInt64, String)], length: Int)?
    /// The machine this backend ran has ended (its contexts are terminated): release what the
    /// backend holds on the host for it. Default: nothing.
    func machineEnded()
    /// The guest vDSO this backend maps into every new address space, or nil (the default).
    var vdso: VDSOLayout? { get }
    /// gdb's target description of this ISA (the `target.xml` of qXfer:features:read: the
    /// architecture and the register features in `ExecutionContext.registers`' order), or nil
    /// where gdb knows only a fixed raw register layout (IA-64).
    var gdbTargetDescription: String? { get }
    /// The ISA's software breakpoint instruction for gdb's Z0 packet with this `kind` (gdb's
    /// breakpoint length), which the stub writes with `AddressSpace.debuggerWrite` and later
    /// replaces by the bytes it saved; nil: the stub answers Z0 as unsupported and gdb writes
    /// its breakpoints itself with M packets (IA-64, whose breakpoints are slots of a bundle).
    func softwareBreakpoint(kind: Int) -> [UInt8]?
}

extension Backend {
    public func disassembleLines(_ bytes: [UInt8], address: UInt64) -> (lines: [(UInt64, String)], length: Int)? {
        disassemble(bytes, address: address).map { ([(address, $0.text)], $0.length) }
    }
}

extension Backend {
    public func machineEnded() {}
    public func softwareBreakpoint(kind: Int) -> [UInt8]? { nil }
    public var kernelRegionBase: UInt64 { userAddressRange.upperBound }
    public var runsInHostProcesses: Bool { false }
    public var samplesMemory: Bool { runsInHostProcesses }
    public var vdso: VDSOLayout? { nil }
}

extension ExecutionContext {
    public func willSleep() {}
}
