import GuestKernel
import HostOS
import LinuxABI
import SoftMMU
import CPowerPCCore

/// PowerPC user-mode register file. Plain memory reached through one pointer, so the
/// interpreter loop does no reference counting.
struct PPCRegisters {
    var gpr: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
              UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
              UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
              UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var fpr: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
              UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
              UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
              UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var pc: UInt32 = 0
    var lr: UInt32 = 0
    var ctr: UInt32 = 0
    var cr: UInt32 = 0
    var xer: UInt32 = 0
    var fpscr: UInt32 = 0
    /// r3 when the last `sc` was taken (to restart it).
    var origR3: UInt32 = 0
    /// lwarx reservation address + 1 (0: none).
    var reservation: UInt32 = 0
}

/// The decoded-code cache of one address space: 1024 ops per 4 KiB guest page.
typealias PPCCodeCache = CodeCache<PPCOp>

extension CodeCache where Op == PPCOp {
    /// A cache that decodes through `words` (memoised bit decoder + Capstone's check).
    static func powerPC(_ words: PPCWordDecoder) -> PPCCodeCache {
        PPCCodeCache(opsPerPage: 1024) { code, ops in
            let w = code.assumingMemoryBound(to: UInt32.self)
            for i in 0..<1024 { (ops + i).initialize(to: words.decode(w[i].bigEndian)) }
            PPCOp.link(ops, count: 1024)
        }
    }
}

/// Big-endian guest accesses through a copy of the TLB's array pointers (`SoftTLB.Arrays`):
/// the interpreter's loads and stores, and (through `SoftMemory.port`) the rest of the backend's.
/// An access that crosses a page goes byte by byte, checked whole before a store changes anything.
struct PPCMemoryPort {
    let tlb: SoftTLB.Arrays
    unowned(unsafe) let mem: SoftMemory

    init(_ mem: SoftMemory) { self.mem = mem; tlb = mem.tlbArrays }

    /// `size`: the access's width, for watched ranges on the miss path.
    @inline(__always) func readPointer(_ a: UInt32, _ size: Int = 1) -> UnsafeMutableRawPointer? { tlb.read(UInt64(a)) ?? mem.readMiss(UInt64(a), size: size) }
    @inline(__always) func writePointer(_ a: UInt32, _ size: Int = 1) -> UnsafeMutableRawPointer? { tlb.write(UInt64(a)) ?? mem.writeMiss(UInt64(a), size: size) }

    @inline(__always) func load8(_ a: UInt32) -> UInt8? { readPointer(a)?.load(as: UInt8.self) }
    @inline(__always) func load16(_ a: UInt32) -> UInt16? {
        if a & 0xfff > 0xffe { return slowLoad(a, 2).map { UInt16(truncatingIfNeeded: $0) } }
        return readPointer(a, 2)?.loadUnaligned(as: UInt16.self).bigEndian
    }
    @inline(__always) func load32(_ a: UInt32) -> UInt32? {
        if a & 0xfff > 0xffc { return slowLoad(a, 4).map { UInt32(truncatingIfNeeded: $0) } }
        return readPointer(a, 4)?.loadUnaligned(as: UInt32.self).bigEndian
    }
    @inline(__always) func load64(_ a: UInt32) -> UInt64? {
        if a & 0xfff > 0xff8 { return slowLoad(a, 8) }
        return readPointer(a, 8)?.loadUnaligned(as: UInt64.self).bigEndian
    }
    func slowLoad(_ a: UInt32, _ n: Int) -> UInt64? {
        var v: UInt64 = 0
        for i in 0..<n {
            guard let b = load8(a &+ UInt32(i)) else { return nil }
            v = v << 8 | UInt64(b)
        }
        return v
    }
    @inline(__always) func store8(_ a: UInt32, _ v: UInt8) -> Bool {
        guard let p = writePointer(a) else { return false }
        p.storeBytes(of: v, as: UInt8.self)
        return true
    }
    @inline(__always) func store16(_ a: UInt32, _ v: UInt16) -> Bool {
        if a & 0xfff > 0xffe { return slowStore(a, UInt64(v), 2) }
        guard let p = writePointer(a, 2) else { return false }
        p.storeBytes(of: v.bigEndian, as: UInt16.self)
        return true
    }
    @inline(__always) func store32(_ a: UInt32, _ v: UInt32) -> Bool {
        if a & 0xfff > 0xffc { return slowStore(a, UInt64(v), 4) }
        guard let p = writePointer(a, 4) else { return false }
        p.storeBytes(of: v.bigEndian, as: UInt32.self)
        return true
    }
    @inline(__always) func store64(_ a: UInt32, _ v: UInt64) -> Bool {
        if a & 0xfff > 0xff8 { return slowStore(a, v, 8) }
        guard let p = writePointer(a, 8) else { return false }
        p.storeBytes(of: v.bigEndian, as: UInt64.self)
        return true
    }
    func slowStore(_ a: UInt32, _ v: UInt64, _ n: Int) -> Bool {
        // Check every byte first, so a faulting store changes nothing.
        for i in 0..<n where writePointer(a &+ UInt32(i)) == nil { return false }
        for i in 0..<n { _ = store8(a &+ UInt32(i), UInt8(truncatingIfNeeded: v >> UInt64((n - 1 - i) * 8))) }
        return true
    }
}

extension SoftMemory {
    var port: PPCMemoryPort { PPCMemoryPort(self) }
    func load32(_ a: UInt32) -> UInt32? { port.load32(a) }
}

/// The interpreter: runs decoded code until a syscall, a fault or the instruction budget ends.
struct PPCInterpreter: InterpreterCore {
    let r: UnsafeMutablePointer<PPCRegisters>
    let mem: SoftMemory
    let cache: PPCCodeCache
    /// Guest memory through the TLB's arrays.
    let port: PPCMemoryPort
    var retired: UInt64 = 0

    /// The C loop's view of the TLB and the decoded pages (nil: Swift runs everything).
    let core: ppc_env?

    /// The JIT in front of the C loop (`--engine jit`), or nil.
    let jit: OpaquePointer?
    /// Keeps `jit` alive for this run.
    let jitOwner: PPCJIT?

    init(r: UnsafeMutablePointer<PPCRegisters>, mem: SoftMemory, cache: PPCCodeCache, jit: PPCJIT? = nil) {
        self.r = r; self.mem = mem; self.cache = cache
        port = PPCMemoryPort(mem)
        core = PPCCore.layoutMatches ? PPCCore.environment(mem, cache) : nil
        jitOwner = core == nil ? nil : jit
        self.jit = jitOwner?.jit
    }

    // The register files are indexed without checks; every index is masked to the file's 32
    // entries (decoded register fields are 5 bits wide anyway: the mask costs one AND and
    // makes the bound local).
    @inline(__always) func gpr(_ i: UInt8) -> UInt32 {
        UnsafeRawPointer(r).assumingMemoryBound(to: UInt32.self)[Int(i & 31)]
    }
    @inline(__always) func setGPR(_ i: UInt8, _ v: UInt32) {
        UnsafeMutableRawPointer(r).assumingMemoryBound(to: UInt32.self)[Int(i & 31)] = v
    }
    /// rA, or 0 when the field is r0 (the (rA|0) addressing rule).
    @inline(__always) func base(_ i: UInt8) -> UInt32 { i == 0 ? 0 : gpr(i) }
    @inline(__always) func fpr(_ i: UInt8) -> UInt64 {
        (UnsafeRawPointer(r) + MemoryLayout<PPCRegisters>.offset(of: \PPCRegisters.fpr)!).assumingMemoryBound(to: UInt64.self)[Int(i & 31)]
    }
    @inline(__always) func setFPR(_ i: UInt8, _ v: UInt64) {
        (UnsafeMutableRawPointer(r) + MemoryLayout<PPCRegisters>.offset(of: \PPCRegisters.fpr)!).assumingMemoryBound(to: UInt64.self)[Int(i & 31)] = v
    }
    @inline(__always) func fval(_ i: UInt8) -> Double { Double(bitPattern: fpr(i)) }

    // MARK: Condition register and XER

    static let xerSO: UInt32 = 1 << 31, xerOV: UInt32 = 1 << 30, xerCA: UInt32 = 1 << 29

    @inline(__always) func setCRField(_ field: UInt8, _ v: UInt32) {
        let shift = UInt32(28 - 4 * Int(field))
        r.pointee.cr = (r.pointee.cr & ~(0xf << shift)) | ((v & 0xf) << shift)
    }
    @inline(__always) func record(_ v: UInt32) {
        let s = Int32(bitPattern: v)
        let bits: UInt32 = s < 0 ? 8 : s > 0 ? 4 : 2
        setCRField(0, bits | (r.pointee.xer >> 31))
    }
    @inline(__always) func crBit(_ bi: UInt8) -> Bool { (r.pointee.cr >> UInt32(31 - Int(bi))) & 1 != 0 }
    @inline(__always) func setCRBit(_ bi: UInt8, _ v: Bool) {
        let m: UInt32 = 1 << UInt32(31 - Int(bi))
        r.pointee.cr = v ? r.pointee.cr | m : r.pointee.cr & ~m
    }
    @inline(__always) func setCA(_ v: Bool) {
        r.pointee.xer = v ? r.pointee.xer | Self.xerCA : r.pointee.xer & ~Self.xerCA
    }
    @inline(__always) var ca: UInt32 { (r.pointee.xer >> 29) & 1 }
    @inline(__always) func setOV(_ v: Bool) {
        r.pointee.xer = v ? r.pointee.xer | Self.xerOV | Self.xerSO : r.pointee.xer & ~Self.xerOV
    }

    /// a + b + carry, setting CA and (with `oe`) OV.
    @inline(__always) func addCarrying(_ a: UInt32, _ b: UInt32, _ carryIn: UInt32, setCarry: Bool, oe: Bool) -> UInt32 {
        let wide = UInt64(a) + UInt64(b) + UInt64(carryIn)
        let res = UInt32(truncatingIfNeeded: wide)
        if setCarry { setCA(wide >> 32 != 0) }
        if oe { setOV(((a ^ res) & (b ^ res)) >> 31 != 0) }
        return res
    }

    @inline(__always) static func rotl(_ v: UInt32, _ n: UInt32) -> UInt32 { n & 31 == 0 ? v : (v << (n & 31)) | (v >> (32 - (n & 31))) }

    // MARK: The loop

    /// Runs `budget` instructions or until a stop: the C loop (arch/powerpc/Core) runs blocks of
    /// the ops it handles; each op it leaves (a slow op, a TLB miss, a page it cannot find)
    /// runs here, alone, and the C loop goes on after it.
    mutating func execute(budget: Int) -> InterpreterStop {
        var remaining = budget
        defer { retired &+= UInt64(budget - remaining) }
        guard var env = core else { return interpret(&remaining) }
        let regs = UnsafeMutableRawPointer(r).assumingMemoryBound(to: ppc_regs.self)
        while true {
            let why = jit != nil ? ppc_jit_run(regs, &env, jit, &remaining) : ppc_core_run(regs, &env, &remaining)
            if Int(why) == PPC_CORE_BUDGET || remaining == 0 { return .budget }
            var one = 1
            remaining -= 1
            let stop = interpret(&one)
            remaining += one
            if case .budget = stop { continue }
            return stop
        }
    }

    /// The Swift interpreter, block by block: the page, the budget and the decoded-code
    /// generation are looked at once per block (the straight-line run of ops up to a branch,
    /// `PPCOp.run`), then its ops run back to back. A block cut by the budget runs only its
    /// first `remaining` ops, so the budget holds to the instruction (one-instruction steps
    /// included). `remaining` goes down by the instructions retired.
    mutating func interpret(_ remaining: inout Int) -> InterpreterStop {
        var pc = r.pointee.pc
        var pageBase: UInt32 = 1  // never a page base: forces a lookup first
        var ops = UnsafeMutablePointer<PPCOp>(bitPattern: 16)!
        let currentGeneration = cache.generationCell
        var generation = currentGeneration.pointee
        defer { r.pointee.pc = pc }
        while remaining > 0 {
            // A store that dropped decoded code (this page's, even) bumped the generation.
            if pc & ~0xfff != pageBase || currentGeneration.pointee != generation {
                guard let p = cache.ops(at: UInt64(pc), in: mem) else {
                    return .fault(.SIGSEGV, code: mem.faultCode(UInt64(pc)), address: UInt64(pc))
                }
                ops = p
                pageBase = pc & ~0xfff
                generation = currentGeneration.pointee
                // Only an entry into the loop can be misaligned (a start, sigreturn or
                // restart); every branch target within it is a multiple of 4.
                if pc & 3 != 0 { return .fault(.SIGBUS, code: SignalCode.BUS_ADRALN, address: UInt64(pc)) }
            }
            // (pc & 0xfff) >> 2 < 1024 = the ops a cache page holds; a run stays in its page.
            var op = ops + Int((pc & 0xfff) >> 2)
            var n = min(Int(op.pointee.run), remaining)
            remaining -= n
            while true {
                var next = pc &+ 4
                if let stop = step(op.pointee, pc: pc, next: &next) {
                    // This op did not retire (a system call did), nor did the rest of the block.
                    remaining += n
                    if case .syscall = stop { pc = next; remaining -= 1 }
                    return stop
                }
                pc = next
                n &-= 1
                if n == 0 { break }
                op += 1
            }
        }
        return .budget
    }

    /// Executes one instruction. Returns a stop, or nil to continue at `next`.
    @inline(__always)
    mutating func step(_ op: PPCOp, pc: UInt32, next: inout UInt32) -> InterpreterStop? {
        switch op.kind {
        // MARK: integer
        case .li: setGPR(op.d, UInt32(bitPattern: op.imm))
        case .mr: setGPR(op.a, gpr(op.d))
        case .addi: setGPR(op.d, base(op.a) &+ UInt32(bitPattern: op.imm))
        case .addis: setGPR(op.d, base(op.a) &+ UInt32(bitPattern: op.imm))
        case .addic, .addicRecord:
            let v = addCarrying(gpr(op.a), UInt32(bitPattern: op.imm), 0, setCarry: true, oe: false)
            setGPR(op.d, v)
            if op.kind == .addicRecord { record(v) }
        case .subfic:
            setGPR(op.d, addCarrying(~gpr(op.a), UInt32(bitPattern: op.imm), 1, setCarry: true, oe: false))
        case .mulli: setGPR(op.d, UInt32(bitPattern: Int32(bitPattern: gpr(op.a)) &* op.imm))
        case .add: arith(op, addCarrying(gpr(op.a), gpr(op.b), 0, setCarry: false, oe: op.overflow))
        case .addc: arith(op, addCarrying(gpr(op.a), gpr(op.b), 0, setCarry: true, oe: op.overflow))
        case .adde: arith(op, addCarrying(gpr(op.a), gpr(op.b), ca, setCarry: true, oe: op.overflow))
        case .addme: arith(op, addCarrying(gpr(op.a), UInt32.max, ca, setCarry: true, oe: op.overflow))
        case .addze: arith(op, addCarrying(gpr(op.a), 0, ca, setCarry: true, oe: op.overflow))
        case .subf: arith(op, addCarrying(~gpr(op.a), gpr(op.b), 1, setCarry: false, oe: op.overflow))
        case .subfc: arith(op, addCarrying(~gpr(op.a), gpr(op.b), 1, setCarry: true, oe: op.overflow))
        case .subfe: arith(op, addCarrying(~gpr(op.a), gpr(op.b), ca, setCarry: true, oe: op.overflow))
        case .subfme: arith(op, addCarrying(~gpr(op.a), UInt32.max, ca, setCarry: true, oe: op.overflow))
        case .subfze: arith(op, addCarrying(~gpr(op.a), 0, ca, setCarry: true, oe: op.overflow))
        case .neg:
            let a = gpr(op.a)
            if op.overflow { setOV(a == 0x8000_0000) }
            arith(op, 0 &- a)
        case .mullw:
            let p = Int64(Int32(bitPattern: gpr(op.a))) * Int64(Int32(bitPattern: gpr(op.b)))
            if op.overflow { setOV(p != Int64(Int32(truncatingIfNeeded: p))) }
            arith(op, UInt32(truncatingIfNeeded: p))
        case .mulhw:
            let p = Int64(Int32(bitPattern: gpr(op.a))) * Int64(Int32(bitPattern: gpr(op.b)))
            arith(op, UInt32(truncatingIfNeeded: p >> 32))
        case .mulhwu:
            arith(op, UInt32(truncatingIfNeeded: (UInt64(gpr(op.a)) * UInt64(gpr(op.b))) >> 32))
        case .divw:
            let a = Int32(bitPattern: gpr(op.a)), b = Int32(bitPattern: gpr(op.b))
            let bad = b == 0 || (a == Int32.min && b == -1)
            if op.overflow { setOV(bad) }
            // The result is undefined when bad; hardware and qemu give 0 or -1 by sign.
            arith(op, bad ? (a < 0 && b == 0 ? UInt32.max : 0) : UInt32(bitPattern: a / b))
        case .divwu:
            let a = gpr(op.a), b = gpr(op.b)
            if op.overflow { setOV(b == 0) }
            arith(op, b == 0 ? 0 : a / b)
        // MARK: logical
        case .andi, .andis: logic(op, gpr(op.d) & UInt32(bitPattern: op.imm))
        case .ori, .oris: setGPR(op.a, gpr(op.d) | UInt32(bitPattern: op.imm))
        case .xori, .xoris: setGPR(op.a, gpr(op.d) ^ UInt32(bitPattern: op.imm))
        case .and: logic(op, gpr(op.d) & gpr(op.b))
        case .andc: logic(op, gpr(op.d) & ~gpr(op.b))
        case .or: logic(op, gpr(op.d) | gpr(op.b))
        case .orc: logic(op, gpr(op.d) | ~gpr(op.b))
        case .xor: logic(op, gpr(op.d) ^ gpr(op.b))
        case .nand: logic(op, ~(gpr(op.d) & gpr(op.b)))
        case .nor: logic(op, ~(gpr(op.d) | gpr(op.b)))
        case .eqv: logic(op, ~(gpr(op.d) ^ gpr(op.b)))
        case .extsb: logic(op, UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: gpr(op.d)))))
        case .extsh: logic(op, UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: gpr(op.d)))))
        case .cntlzw: logic(op, UInt32(gpr(op.d).leadingZeroBitCount))
        case .slw:
            let n = gpr(op.b) & 63
            logic(op, n > 31 ? 0 : gpr(op.d) << n)
        case .srw:
            let n = gpr(op.b) & 63
            logic(op, n > 31 ? 0 : gpr(op.d) >> n)
        case .sraw:
            let n = gpr(op.b) & 63
            let s = Int32(bitPattern: gpr(op.d))
            let res = n > 31 ? (s < 0 ? -1 : 0) : s >> n
            let lost = n > 31 ? s != 0 : (n > 0 && UInt32(bitPattern: s) << (32 - n) != 0)
            setCA(s < 0 && lost)
            logic(op, UInt32(bitPattern: res))
        case .srawi:
            let n = UInt32(op.b)
            let s = Int32(bitPattern: gpr(op.d))
            setCA(s < 0 && n > 0 && UInt32(bitPattern: s) << (32 - n) != 0)
            logic(op, UInt32(bitPattern: s >> n))
        case .rlwinm:
            logic(op, Self.rotl(gpr(op.d), UInt32(op.b)) & UInt32(bitPattern: op.imm))
        case .rlwnm:
            logic(op, Self.rotl(gpr(op.d), gpr(op.b) & 31) & UInt32(bitPattern: op.imm))
        case .rlwimi:
            let m = UInt32(bitPattern: op.imm)
            logic(op, (Self.rotl(gpr(op.d), UInt32(op.b)) & m) | (gpr(op.a) & ~m))
        // MARK: compare and CR
        case .cmp: compare(op, Int64(Int32(bitPattern: gpr(op.a))), Int64(Int32(bitPattern: gpr(op.b))))
        case .cmpi: compare(op, Int64(Int32(bitPattern: gpr(op.a))), Int64(op.imm))
        case .cmpl: compare(op, Int64(gpr(op.a)), Int64(gpr(op.b)))
        case .cmpli: compare(op, Int64(gpr(op.a)), Int64(UInt32(bitPattern: op.imm)))
        case .crand: setCRBit(op.d, crBit(op.a) && crBit(op.b))
        case .cror: setCRBit(op.d, crBit(op.a) || crBit(op.b))
        case .crxor: setCRBit(op.d, crBit(op.a) != crBit(op.b))
        case .crnand: setCRBit(op.d, !(crBit(op.a) && crBit(op.b)))
        case .crnor: setCRBit(op.d, !(crBit(op.a) || crBit(op.b)))
        case .creqv: setCRBit(op.d, crBit(op.a) == crBit(op.b))
        case .crandc: setCRBit(op.d, crBit(op.a) && !crBit(op.b))
        case .crorc: setCRBit(op.d, crBit(op.a) || !crBit(op.b))
        case .mcrf: setCRField(op.d >> 2, r.pointee.cr >> UInt32(28 - 4 * Int(op.a >> 2)))
        case .mcrxr:
            setCRField(op.d >> 2, r.pointee.xer >> 28)
            r.pointee.xer &= 0x0fff_ffff
        case .mfcr: setGPR(op.d, r.pointee.cr)
        case .mtcrf:
            var m: UInt32 = 0
            for i in 0..<8 where op.imm & (0x80 >> Int32(i)) != 0 { m |= 0xf << UInt32(28 - 4 * i) }
            r.pointee.cr = (r.pointee.cr & ~m) | (gpr(op.d) & m)
        case .mfspr, .mftb:
            switch op.imm {
            case 1: setGPR(op.d, r.pointee.xer)
            case 8: setGPR(op.d, r.pointee.lr)
            case 9: setGPR(op.d, r.pointee.ctr)
            case 256: setGPR(op.d, 0)  // VRSAVE
            case 287: setGPR(op.d, 0x0008_3214)  // PVR: Linux emulates the user-mode read; a PowerPC 750
            case 268, 269:
                let tb = PPCTimeBase.now()
                setGPR(op.d, op.imm == 268 ? UInt32(truncatingIfNeeded: tb) : UInt32(tb >> 32))
            default: return .fault(.SIGILL, code: SignalCode.ILL_ILLOPC, address: UInt64(pc))
            }
        case .mtspr:
            switch op.imm {
            case 1: r.pointee.xer = gpr(op.d) & 0xe000_007f
            case 8: r.pointee.lr = gpr(op.d)
            case 9: r.pointee.ctr = gpr(op.d)
            case 256: break
            default: return .fault(.SIGILL, code: SignalCode.ILL_ILLOPC, address: UInt64(pc))
            }
        case .isel:
            setGPR(op.d, crBit(op.c) ? base(op.a) : gpr(op.b))
        // MARK: loads and stores
        // One case per form, so each is straight-line code (the update forms share theirs).
        case .lwz: let ea = address(op, indexed: false); guard let v = port.load32(ea) else { return fault(ea) }; loaded(op, v, ea)
        case .lwzx: let ea = address(op, indexed: true); guard let v = port.load32(ea) else { return fault(ea) }; loaded(op, v, ea)
        case .lbz: let ea = address(op, indexed: false); guard let v = port.load8(ea) else { return fault(ea) }; loaded(op, UInt32(v), ea)
        case .lbzx: let ea = address(op, indexed: true); guard let v = port.load8(ea) else { return fault(ea) }; loaded(op, UInt32(v), ea)
        case .lhz: let ea = address(op, indexed: false); guard let v = port.load16(ea) else { return fault(ea) }; loaded(op, UInt32(v), ea)
        case .lhzx: let ea = address(op, indexed: true); guard let v = port.load16(ea) else { return fault(ea) }; loaded(op, UInt32(v), ea)
        case .lha:
            let ea = address(op, indexed: false)
            guard let v = port.load16(ea) else { return fault(ea) }
            loaded(op, UInt32(bitPattern: Int32(Int16(bitPattern: v))), ea)
        case .lhax:
            let ea = address(op, indexed: true)
            guard let v = port.load16(ea) else { return fault(ea) }
            loaded(op, UInt32(bitPattern: Int32(Int16(bitPattern: v))), ea)
        case .stw: let ea = address(op, indexed: false); guard port.store32(ea, gpr(op.d)) else { return fault(ea) }; stored(op, ea)
        case .stwx: let ea = address(op, indexed: true); guard port.store32(ea, gpr(op.d)) else { return fault(ea) }; stored(op, ea)
        case .stb: let ea = address(op, indexed: false); guard port.store8(ea, UInt8(truncatingIfNeeded: gpr(op.d))) else { return fault(ea) }; stored(op, ea)
        case .stbx: let ea = address(op, indexed: true); guard port.store8(ea, UInt8(truncatingIfNeeded: gpr(op.d))) else { return fault(ea) }; stored(op, ea)
        case .sth: let ea = address(op, indexed: false); guard port.store16(ea, UInt16(truncatingIfNeeded: gpr(op.d))) else { return fault(ea) }; stored(op, ea)
        case .sthx: let ea = address(op, indexed: true); guard port.store16(ea, UInt16(truncatingIfNeeded: gpr(op.d))) else { return fault(ea) }; stored(op, ea)
        case .lhbrx:
            let ea = base(op.a) &+ gpr(op.b)
            guard let v = port.load16(ea) else { return fault(ea) }
            setGPR(op.d, UInt32(v.byteSwapped))
        case .lwbrx:
            let ea = base(op.a) &+ gpr(op.b)
            guard let v = port.load32(ea) else { return fault(ea) }
            setGPR(op.d, v.byteSwapped)
        case .sthbrx:
            let ea = base(op.a) &+ gpr(op.b)
            guard port.store16(ea, UInt16(truncatingIfNeeded: gpr(op.d)).byteSwapped) else { return fault(ea) }
        case .stwbrx:
            let ea = base(op.a) &+ gpr(op.b)
            guard port.store32(ea, gpr(op.d).byteSwapped) else { return fault(ea) }
        case .lmw:
            var ea = base(op.a) &+ UInt32(bitPattern: op.imm)
            for reg in op.d...31 {
                guard let v = port.load32(ea) else { return fault(ea) }
                setGPR(reg, v)
                ea &+= 4
            }
        case .stmw:
            var ea = base(op.a) &+ UInt32(bitPattern: op.imm)
            for reg in op.d...31 {
                guard port.store32(ea, gpr(reg)) else { return fault(ea) }
                ea &+= 4
            }
        case .lswi, .lswx:
            let ea = op.kind == .lswi ? base(op.a) : base(op.a) &+ gpr(op.b)
            let n = op.kind == .lswi ? (op.b == 0 ? 32 : UInt32(op.b)) : r.pointee.xer & 0x7f
            var reg = op.d
            var word: UInt32 = 0
            for i in 0..<n {
                guard let byte = port.load8(ea &+ i) else { return fault(ea &+ i) }
                word |= UInt32(byte) << (24 - 8 * (i % 4))
                if i % 4 == 3 || i == n - 1 {
                    setGPR(reg, word)
                    word = 0
                    reg = (reg + 1) & 31
                }
            }
        case .stswi, .stswx:
            let ea = op.kind == .stswi ? base(op.a) : base(op.a) &+ gpr(op.b)
            let n = op.kind == .stswi ? (op.b == 0 ? 32 : UInt32(op.b)) : r.pointee.xer & 0x7f
            for i in 0..<n {
                let reg = (op.d &+ UInt8(i / 4)) & 31
                let byte = UInt8(truncatingIfNeeded: gpr(reg) >> (24 - 8 * (i % 4)))
                guard port.store8(ea &+ i, byte) else { return fault(ea &+ i) }
            }
        case .lwarx:
            let ea = base(op.a) &+ gpr(op.b)
            guard let v = port.load32(ea) else { return fault(ea) }
            setGPR(op.d, v)
            r.pointee.reservation = ea | 1
        case .stwcx:
            let ea = base(op.a) &+ gpr(op.b)
            let held = r.pointee.reservation == ea | 1
            r.pointee.reservation = 0
            if held { guard port.store32(ea, gpr(op.d)) else { return fault(ea) } }
            setCRField(0, (held ? 2 : 0) | (r.pointee.xer >> 31))
        case .dcbz:
            let ea = (base(op.a) &+ gpr(op.b)) & ~31
            var i: UInt32 = 0
            while i < 32 { guard port.store64(ea &+ i, 0) else { return fault(ea) }; i += 8 }
            clearReservation(ea)
        case .cacheHint, .sync: break
        // MARK: branches
        case .b:
            if op.flags & 1 != 0 { r.pointee.lr = pc &+ 4 }
            next = (op.flags & 2 != 0 ? 0 : pc) &+ UInt32(bitPattern: op.imm)
        case .bc:
            if branchTaken(op.d, op.a) { next = (op.flags & 2 != 0 ? 0 : pc) &+ UInt32(bitPattern: op.imm) }
            if op.flags & 1 != 0 { r.pointee.lr = pc &+ 4 }
        case .bclr:
            let target = r.pointee.lr & ~3
            if branchTaken(op.d, op.a) { next = target }
            if op.flags & 1 != 0 { r.pointee.lr = pc &+ 4 }
        case .bcctr:
            if op.d & 4 == 0 { return .fault(.SIGILL, code: SignalCode.ILL_ILLOPC, address: UInt64(pc)) }
            if branchTaken(op.d, op.a) { next = r.pointee.ctr & ~3 }
            if op.flags & 1 != 0 { r.pointee.lr = pc &+ 4 }
        case .bt: if crBit(op.a) { next = pc &+ UInt32(bitPattern: op.imm) }
        case .bf: if !crBit(op.a) { next = pc &+ UInt32(bitPattern: op.imm) }
        case .bdnz:
            r.pointee.ctr &-= 1
            if r.pointee.ctr != 0 { next = pc &+ UInt32(bitPattern: op.imm) }
        case .bdz:
            r.pointee.ctr &-= 1
            if r.pointee.ctr == 0 { next = pc &+ UInt32(bitPattern: op.imm) }
        case .blr: next = r.pointee.lr & ~3
        case .sc:
            r.pointee.origR3 = gpr(3)
            return .syscall
        case .tw, .twi:
            let a = Int32(bitPattern: gpr(op.a))
            let b = op.kind == .tw ? Int32(bitPattern: gpr(op.b)) : op.imm
            let to = op.d
            if (to & 16 != 0 && a < b) || (to & 8 != 0 && a > b) || (to & 4 != 0 && a == b)
                || (to & 2 != 0 && UInt32(bitPattern: a) < UInt32(bitPattern: b)) || (to & 1 != 0 && UInt32(bitPattern: a) > UInt32(bitPattern: b)) {
                // gdb's breakpoint (twge r2,r2) and Linux's (trap) are breakpoint stops; the
                // engine turns them into SIGTRAP unless a debugger wants them.
                if Self.isBreakpoint(op) { return .breakpoint(UInt64(pc)) }
                return .fault(.SIGTRAP, code: 1 /* TRAP_BRKPT */, address: UInt64(pc))
            }
        case .illegal:
            return .fault(.SIGILL, code: SignalCode.ILL_ILLOPC, address: UInt64(pc))
        default:
            return stepFloat(op, pc: pc)
        }
        return nil
    }

    /// `twge r2,r2` (0x7d821008, gdb's breakpoint) or `trap` (0x7fe00008, `tw 31,0,0`).
    static func isBreakpoint(_ op: PPCOp) -> Bool {
        op.kind == .tw && ((op.d == 12 && op.a == 2 && op.b == 2) || (op.d == 31 && op.a == 0 && op.b == 0))
    }

    @inline(__always) func fault(_ ea: UInt32) -> InterpreterStop {
        let (sig, code) = mem.fault(at: UInt64(ea))
        return .fault(sig, code: code, address: UInt64(ea))
    }
    @inline(__always) func clearReservation(_ ea: UInt32) {
        if r.pointee.reservation != 0 && (r.pointee.reservation & ~1) >> 4 == ea >> 4 { r.pointee.reservation = 0 }
    }

    /// The effective address of a load or store: (rA|0) + d, or (rA|0) + rB; the update forms
    /// use rA itself.
    @inline(__always) func address(_ op: PPCOp, indexed: Bool) -> UInt32 {
        (op.update ? gpr(op.a) : base(op.a)) &+ (indexed ? gpr(op.b) : UInt32(bitPattern: op.imm))
    }
    @inline(__always) func loaded(_ op: PPCOp, _ v: UInt32, _ ea: UInt32) {
        setGPR(op.d, v)
        if op.update { setGPR(op.a, ea) }
    }
    @inline(__always) func stored(_ op: PPCOp, _ ea: UInt32) {
        if op.update { setGPR(op.a, ea) }
        clearReservation(ea)
    }

    @inline(__always) func arith(_ op: PPCOp, _ v: UInt32) {
        setGPR(op.d, v)
        if op.record { record(v) }
    }
    @inline(__always) func logic(_ op: PPCOp, _ v: UInt32) {
        setGPR(op.a, v)
        if op.record { record(v) }
    }
    @inline(__always) func compare(_ op: PPCOp, _ a: Int64, _ b: Int64) {
        let bits: UInt32 = a < b ? 8 : a > b ? 4 : 2
        setCRField(op.d >> 2, bits | (r.pointee.xer >> 31))
    }

    /// The BO/BI test of the conditional branches, decrementing CTR where BO asks.
    @inline(__always) func branchTaken(_ bo: UInt8, _ bi: UInt8) -> Bool {
        var ctrOK = true
        if bo & 4 == 0 {
            r.pointee.ctr &-= 1
            ctrOK = (r.pointee.ctr != 0) != (bo & 2 != 0)
        }
        let condOK = bo & 16 != 0 || crBit(bi) == (bo & 8 != 0)
        return ctrOK && condOK
    }
}

/// The time base the guest reads with mftb: 512 MHz of host monotonic time, like a common
/// PowerPC Linux system (see AT_... / /proc/cpuinfo "timebase").
enum PPCTimeBase {
    static let frequency: UInt64 = 512_000_000
    static func now() -> UInt64 {
        let ns = Host.monotonicNanoseconds()
        return ns / 1000 * (frequency / 1_000_000)
    }
}
