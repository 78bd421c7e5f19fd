import GuestKernel
import HostOS
import LinuxABI

// The interpreter engine shared by the PowerPC and IA-64 backends: the decoded-code cache, the
// run loop (instruction budget, time slice, TLB switching per isolation mode, trap mapping) and
// the counters. An ISA brings only its decoded-op type, its page decoder and its `execute` loop
// over decoded ops (plus, outside the engine, its register file, syscall convention and signal
// frame). Everything here is generic and `@inlinable`, so it is specialized for each ISA inside
// the ISA's module: the hot path has no existential or unspecialized generic dispatch.

/// Why an ISA's `execute` loop stopped.
public enum InterpreterStop {
    /// A system call instruction; the ISA has saved what it needs to complete or restart it.
    case syscall
    /// A fault the kernel turns into a signal.
    case fault(Signal, code: Int32, address: UInt64)
    /// A software breakpoint instruction (gdb's) at this address; the ISA left the instruction
    /// pointer on it. The engine makes it a debugger stop or, as Linux, a SIGTRAP.
    case breakpoint(UInt64)
    /// The instruction budget ran out.
    case budget
}

/// The ISA's interpreter for one run: executes decoded ops until a stop.
public protocol InterpreterCore {
    /// Instructions retired by this core so far.
    var retired: UInt64 { get }
    /// Runs at most `budget` instructions (IA-64: slots); exactly `budget` unless it stops first.
    mutating func execute(budget: Int) -> InterpreterStop
}

/// The decoded code of one address space: `opsPerPage` pre-decoded ops per 4 KiB guest page,
/// decoded on first execution and dropped when the page is written, unmapped or re-protected.
///
/// The ops of a page are the engine's blocks: an ISA's decoder gives each op the length of the
/// straight-line run from it to the end of its basic block (see `PPCOp.run`), so the loop checks
/// budget, counter and page once per block. A branch within a page reaches its target by pointer
/// arithmetic on the page's ops (no lookup); a branch to another page goes through `front`, a
/// direct-mapped cache of page → ops in front of the table (`pages`). A template JIT can later
/// keep a translated block per entry op beside the ops, with the same invalidation.
public final class CodeCache<Op> {
    /// Every decoded page (the table behind `front`).
    @usableFromInline var pages: [UInt64: UnsafeMutablePointer<Op>] = [:]
    /// The direct-mapped front: tag = guest page + 1 (0 never matches), entry = its ops.
    @usableFromInline static var frontEntries: Int { 256 }
    @usableFromInline let frontTags: UnsafeMutablePointer<UInt64>
    @usableFromInline let frontOps: UnsafeMutablePointer<UnsafeMutablePointer<Op>>
    @usableFromInline let opsPerPage: Int
    /// Decodes a guest code page (host address) into `opsPerPage` ops (initializing them).
    @usableFromInline let decodePage: (UnsafeRawPointer, UnsafeMutablePointer<Op>) -> Void
    /// The counters and the generation, in plain memory: the loop reads the generation once
    /// per block and a class's stored property would cost a dynamic exclusivity check there.
    @usableFromInline struct Counters {
        /// Lookups answered by `front` and by the table; pages decoded.
        @usableFromInline var hits: UInt64 = 0, tableHits: UInt64 = 0, misses: UInt64 = 0
    }
    @usableFromInline let counters: UnsafeMutablePointer<Counters>
    public var hits: UInt64 { counters.pointee.hits &+ counters.pointee.tableHits }
    public var misses: UInt64 { counters.pointee.misses }
    /// The generation: bumped whenever a decoded page is dropped; anything that cached ops
    /// pointers (a loop's current page) under an older generation must look them up again.
    /// A loop keeps the pointer and reads it between blocks.
    public let generationCell: UnsafeMutablePointer<UInt64>
    @inlinable public var generation: UInt64 { generationCell.pointee }
    /// Makes the op at a guest address (on the page the ops belong to) the ISA's breakpoint:
    /// how hardware breakpoints (`DebugPoint.execute`) enter decoded code.
    public var makeBreakpoint: ((UnsafeMutablePointer<Op>, UInt64) -> Void)?
    /// The ISA's second engine for this address space (a JIT's translations of these pages),
    /// if it runs one: it lives and dies with the cache, and watches `generation` itself.
    public var engineState: AnyObject?
    /// Charges (positive) or returns (negative) host bytes of decoded pages to the address
    /// space's memory account (set by `attach`).
    @usableFromInline var chargeBytes: ((Int) -> Void)?
    @usableFromInline var bytesPerPage: Int { opsPerPage * MemoryLayout<Op>.stride }

    public init(opsPerPage: Int, decode: @escaping (UnsafeRawPointer, UnsafeMutablePointer<Op>) -> Void) {
        self.opsPerPage = opsPerPage
        self.decodePage = decode
        frontTags = .allocate(capacity: CodeCache.frontEntries)
        frontTags.initialize(repeating: 0, count: CodeCache.frontEntries)
        frontOps = .allocate(capacity: CodeCache.frontEntries)
        counters = .allocate(capacity: 1)
        counters.initialize(to: Counters())
        generationCell = .allocate(capacity: 1)
        generationCell.initialize(to: 0)
    }
    deinit {
        reclaim()
        for (_, p) in pages { p.deinitialize(count: opsPerPage); p.deallocate() }
        frontTags.deallocate()
        frontOps.deallocate()
        counters.deallocate()
        generationCell.deallocate()
    }

    /// Drops the decoded form of `page`. Its ops stay allocated until `reclaim`: a store may
    /// drop the very page the loop is running (self-modifying code), which finishes its block
    /// from the old ops and sees the new generation at the block's end.
    public func drop(_ page: UInt64) {
        if let p = pages.removeValue(forKey: page) {
            let i = Int(page & UInt64(CodeCache.frontEntries - 1))
            if frontTags[i] == page &+ 1 { frontTags[i] = 0 }
            generationCell.pointee &+= 1
            dropped.append(p)
            chargeBytes?(-bytesPerPage)
        }
    }
    /// Dropped pages not freed yet.
    @usableFromInline var dropped: [UnsafeMutablePointer<Op>] = []
    /// Frees the dropped pages; only where no loop holds ops (between blocks, before a lookup).
    @usableFromInline
    func reclaim() {
        for p in dropped { p.deinitialize(count: opsPerPage); p.deallocate() }
        dropped.removeAll(keepingCapacity: true)
    }

    /// The decoded ops of the page holding `address`, decoding it on first use; nil if the
    /// page is not executable.
    @inlinable @inline(__always)
    public func ops(at address: UInt64, in memory: SoftMemory) -> UnsafeMutablePointer<Op>? {
        let page = address >> SoftMemory.pageShift
        let i = Int(page & UInt64(CodeCache.frontEntries - 1))
        if frontTags[i] == page &+ 1 { counters.pointee.hits &+= 1; return frontOps[i] }
        return lookup(page, in: memory)
    }

    /// The front's two arrays (`frontEntries` each: tags, ops pointers), for a loop outside
    /// Swift that probes them itself (arch/powerpc/Core).
    public var frontArrays: (tags: UnsafePointer<UInt64>, ops: UnsafeRawPointer) {
        (UnsafePointer(frontTags), UnsafeRawPointer(frontOps))
    }

    /// The table behind `front`, and the decoder behind the table.
    @usableFromInline
    func lookup(_ page: UInt64, in memory: SoftMemory) -> UnsafeMutablePointer<Op>? {
        if !dropped.isEmpty { reclaim() }
        let ops: UnsafeMutablePointer<Op>
        if let p = pages[page] {
            counters.pointee.tableHits &+= 1
            ops = p
        } else {
            counters.pointee.misses &+= 1
            guard let code = memory.codePage(page) else { return nil }
            ops = UnsafeMutablePointer<Op>.allocate(capacity: opsPerPage)
            decodePage(code, ops)
            if !memory.breakpointAddresses.isEmpty { insertBreakpoints(page, ops, memory) }
            pages[page] = ops
            chargeBytes?(bytesPerPage)
        }
        let i = Int(page & UInt64(CodeCache.frontEntries - 1))
        frontTags[i] = page &+ 1
        frontOps[i] = ops
        return ops
    }

    /// Replaces the ops of `memory`'s hardware breakpoints on a freshly decoded page.
    @usableFromInline func insertBreakpoints(_ page: UInt64, _ ops: UnsafeMutablePointer<Op>, _ memory: SoftMemory) {
        guard let makeBreakpoint else { return }
        for a in memory.breakpointAddresses where a >> SoftMemory.pageShift == page { makeBreakpoint(ops, a) }
    }

    /// Makes this cache `memory`'s: stores into decoded pages drop them.
    public func attach(to memory: SoftMemory) {
        memory.codeCache = self
        memory.invalidateCode = { [unowned self] page in self.drop(page) }
        // The memory owns the cache; when it goes, it returns its whole kernel charge itself.
        chargeBytes = { [unowned memory] n in
            if n >= 0 { memory.chargeKernelMemory(n) } else { memory.unchargeKernelMemory(-n) }
        }
    }
}

/// The engine state of one interpreting backend: the isolation mode, the address space the
/// software TLB holds, and the counters for --stats-json.
public final class InterpreterEngine {
    /// Instructions per `execute` call between looks at the clock.
    public static let budget = 1 << 20

    /// skas: a switch of address space flushes the TLB; tt: it does not (the kernel region is
    /// the same in every process; user entries stay tagged by their page table).
    public var mode = IsolationMode.skas
    /// The address space whose translations the TLB holds (an identity, not a reference:
    /// a weak reference would move the memory object's reference counts to a slow side table).
    @usableFromInline var active: ObjectIdentifier?
    public var retired: UInt64 = 0
    public var cacheHits: UInt64 = 0, cacheMisses: UInt64 = 0
    public var tlbMisses: UInt64 = 0, tlbFlushes: UInt64 = 0

    public init() {}

    public var counters: [String: UInt64] {
        ["instructions_retired": retired, "decode_cache_hits": cacheHits, "decode_cache_misses": cacheMisses,
         "tlb_misses": tlbMisses, "tlb_flushes": tlbFlushes]
    }

    /// Points the TLB at `memory` (SKAS flushes it).
    @inlinable
    public func activate(_ memory: SoftMemory) {
        if active != ObjectIdentifier(memory) {
            if mode == .skas {
                memory.activate()
                tlbFlushes &+= 1
            }
            active = ObjectIdentifier(memory)
        }
    }

    /// Runs `core` in `memory` until it traps: for `sliceNanoseconds` (0: until the guest
    /// traps by itself), or for one instruction when `step` is set (`.debug(.stepped)`).
    @inlinable
    public func run<Core: InterpreterCore, Op>(
        _ core: inout Core, memory: SoftMemory, cache: CodeCache<Op>, sliceNanoseconds: Int64,
        step: Bool = false, reportsBreakpoints: Bool
    ) -> Trap {
        activate(memory)
        let missesBefore = memory.counters.tlbMisses, hitsBefore = cache.hits, decodesBefore = cache.misses
        let retiredBefore = core.retired
        defer {
            retired &+= core.retired &- retiredBefore
            tlbMisses &+= memory.counters.tlbMisses &- missesBefore
            cacheHits &+= cache.hits &- hitsBefore
            cacheMisses &+= cache.misses &- decodesBefore
        }
        if step || memory.watching {
            return runStepwise(&core, memory: memory, sliceNanoseconds: sliceNanoseconds, step: step, reportsBreakpoints: reportsBreakpoints)
        }
        let start = sliceNanoseconds > 0 ? Host.monotonicNanoseconds() : 0
        while true {
            let stop = core.execute(budget: InterpreterEngine.budget)
            if case .budget = stop {
                if sliceNanoseconds > 0 && Int64(Host.monotonicNanoseconds() - start) >= sliceNanoseconds { return .preempted }
                continue
            }
            return trap(stop, reportsBreakpoints: reportsBreakpoints)
        }
    }

    /// One instruction at a time: a single step, or a run while a watchpoint is set (the
    /// slow path notes a watched access; the hit is reported after the instruction completed,
    /// as hardware reports it, with the pc after it).
    @usableFromInline
    func runStepwise<Core: InterpreterCore>(_ core: inout Core, memory: SoftMemory, sliceNanoseconds: Int64,
                                            step: Bool, reportsBreakpoints: Bool) -> Trap {
        let start = sliceNanoseconds > 0 ? Host.monotonicNanoseconds() : 0
        var count = 0
        while true {
            memory.watchHit = nil
            let stop = core.execute(budget: 1)
            guard case .budget = stop else { return trap(stop, reportsBreakpoints: reportsBreakpoints) }
            if let hit = memory.watchHit {
                memory.watchHit = nil
                if reportsBreakpoints { return .debug(.watchpoint(hit.kind, address: hit.address)) }
            }
            if step { return .debug(.stepped) }
            count &+= 1
            if count & 0xfff == 0 && sliceNanoseconds > 0 && Int64(Host.monotonicNanoseconds() - start) >= sliceNanoseconds { return .preempted }
        }
    }

    /// The kernel's view of a stop other than `.budget`.
    @inlinable
    public func trap(_ stop: InterpreterStop, reportsBreakpoints: Bool) -> Trap {
        switch stop {
        case .syscall: return .syscall
        case .fault(let sig, let code, let address): return .fault(sig, code: code, address: address)
        case .breakpoint(let address):
            // Without a debugger the guest gets what Linux gives it: SIGTRAP, TRAP_BRKPT.
            return reportsBreakpoints ? .debug(.breakpoint(address: address)) : .fault(.SIGTRAP, code: 1, address: address)
        case .budget: return .preempted
        }
    }
}
