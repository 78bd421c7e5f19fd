import GuestKernel
import CIA64Core
import HostOS
import IA64Decoder
import LinuxABI
import SoftMMU

/// One decoded bundle. `slots` comes first and is read as a contiguous array of three
/// instructions. The layout is the C loop's `ia64_bundle` too (IA64Core.layoutMatches).
struct DecodedBundle {
    var slots: (Instruction, Instruction, Instruction)
    var stops: UInt8
    var valid: Bool
    /// The C loop's handler of each slot (`IA64Core.handler`), 0 where Swift runs it.
    var fast: (UInt8, UInt8, UInt8)
    /// The slots holding instructions: 2 in an MLX bundle (slot 2 is the L half), else 3.
    var slotCount: UInt8

    init(slots: (Instruction, Instruction, Instruction), stops: UInt8, valid: Bool) {
        self.slots = slots; self.stops = stops; self.valid = valid
        fast = valid ? (IA64Core.handler(slots.0), IA64Core.handler(slots.1), IA64Core.handler(slots.2)) : (0, 0, 0)
        slotCount = slots.2.op == .lSlot ? 2 : 3
    }

    /// Replaces the instruction in `slot` (a hardware breakpoint): Swift runs it from now on.
    mutating func replace(slot: Int, with i: Instruction) {
        switch slot {
        case 0: slots.0 = i; fast.0 = 0
        case 1: slots.1 = i; fast.1 = 0
        default: slots.2 = i; fast.2 = 0
        }
    }
}

/// Decoded bundles of one address space: 256 bundles (three slots each) per 4 KiB page,
/// decoded once and kept until the page is written, unmapped or re-protected.
typealias IA64CodeCache = CodeCache<DecodedBundle>

extension CodeCache where Op == DecodedBundle {
    static func ia64() -> IA64CodeCache {
        IA64CodeCache(opsPerPage: 256) { code, decoded in
            for i in 0..<256 {
                let b = Bundle(bytes: UnsafeRawBufferPointer(start: code + i * 16, count: 16), offset: 0)
                let valid = b.templateInfo.units != nil
                var stops: UInt8 = 0
                for k in 0..<3 where b.templateInfo.stop(after: k) { stops |= 1 << UInt8(k) }
                (decoded + i).initialize(to: .init(slots: decode(bundle: b), stops: stops, valid: valid))
            }
        }
    }
}

/// The IA-64 interpreter: executes slot by slot from the decoded-bundle cache.
final class IA64Interpreter: InterpreterCore {
    let s: IA64State
    let mem: SoftMemory
    let cache: IA64CodeCache
    /// The TLB's arrays, probed here before the memory's slow path.
    let tlb: SoftTLB.Arrays
    var retired: UInt64 = 0

    /// The C loop's view of the register files, TLB and decoded pages; nil: Swift runs alone.
    let core: ia64_env?

    init(s: IA64State, mem: SoftMemory, cache: IA64CodeCache, fastCore: Bool) {
        self.s = s; self.mem = mem; self.cache = cache
        tlb = mem.tlbArrays
        core = fastCore ? IA64Core.environment(s, mem, cache) : nil
    }

    // MARK: Registers

    enum Failure: Error { case illegal, natConsumption, fault(UInt64, Bool) }

    @inline(__always) func gr(_ r: UInt8) throws(Failure) -> UInt64 {
        if r < 32 { return s.gr[Int(r)] }
        guard let i = s.stackedIndex(r) else { throw .illegal }
        return s.stacked[i]
    }
    @inline(__always) func nat(_ r: UInt8) -> Bool {
        if r < 32 { return s.grNaT & (1 << UInt32(r)) != 0 }
        guard let i = s.stackedIndex(r) else { return false }
        return s.stackedNaT[i] != 0
    }
    /// Reads a GR that must not be NaT (addresses, values stored or moved to other files).
    @inline(__always) func value(_ r: UInt8) throws(Failure) -> UInt64 {
        if nat(r) { throw .natConsumption }
        return try gr(r)
    }
    @inline(__always) func setGR(_ r: UInt8, _ v: UInt64, nat n: Bool = false) throws(Failure) {
        if r == 0 { throw .illegal }
        if r < 32 {
            s.gr[Int(r)] = v
            if n { s.grNaT |= 1 << UInt32(r) } else { s.grNaT &= ~(1 << UInt32(r)) }
            return
        }
        guard let i = s.stackedIndex(r) else { throw .illegal }
        s.stacked[i] = v
        s.stackedNaT[i] = n ? 1 : 0
    }
    @inline(__always) func fr(_ f: UInt8) -> FReg { s.fr[s.physFR(f)] }
    @inline(__always) func setFR(_ f: UInt8, _ v: FReg) throws(Failure) {
        if f < 2 { throw .illegal }
        s.fr[s.physFR(f)] = v
    }

    // MARK: Memory (little-endian)

    @inline(__always) func load(_ a: UInt64, _ size: Int) throws(Failure) -> UInt64 {
        if a & UInt64(size - 1) != 0 { throw .fault(a, false) }
        guard let p = tlb.read(a) ?? mem.readMiss(a) else { throw .fault(a, false) }
        switch size {
        case 1: return UInt64(p.load(as: UInt8.self))
        case 2: return UInt64(p.load(as: UInt16.self))
        case 4: return UInt64(p.load(as: UInt32.self))
        default: return p.load(as: UInt64.self)
        }
    }
    @inline(__always) func store(_ a: UInt64, _ v: UInt64, _ size: Int) throws(Failure) {
        if a & UInt64(size - 1) != 0 { throw .fault(a, true) }
        guard let p = tlb.write(a) ?? mem.writeMiss(a) else { throw .fault(a, true) }
        switch size {
        case 1: p.storeBytes(of: UInt8(truncatingIfNeeded: v), as: UInt8.self)
        case 2: p.storeBytes(of: UInt16(truncatingIfNeeded: v), as: UInt16.self)
        case 4: p.storeBytes(of: UInt32(truncatingIfNeeded: v), as: UInt32.self)
        default: p.storeBytes(of: v, as: UInt64.self)
        }
        if !s.alat.isEmpty { s.alat.invalidate(a, size) }
    }

    // MARK: The loop

    /// Runs `budget` slots or until a stop; the retired counter is updated once per call (an
    /// instruction that stops the loop counts as retired, as it always has on IA-64). The C loop
    /// (arch/ia64/Core) runs the instructions it handles; each one it leaves runs here, alone,
    /// and the C loop goes on after it.
    func execute(budget: Int) -> InterpreterStop {
        var remaining = budget
        defer { retired &+= UInt64(budget - remaining) }
        guard var env = core else { return interpret(&remaining) }
        while true {
            var regs = s.coreRegisters()
            let why = ia64_core_run(&regs, &env, &remaining)
            s.setCoreRegisters(regs)
            if Int(why) == IA64_CORE_BUDGET || remaining == 0 { return .budget }
            var one = 1
            remaining -= 1
            let stop = interpret(&one)
            remaining += one
            if case .budget = stop { continue }
            return stop
        }
    }

    /// The Swift interpreter, bundle by bundle; `remaining` goes down by the slots retired.
    func interpret(_ remaining: inout Int) -> InterpreterStop {
        var pageBase: UInt64 = 1  // never a page base: the first bundle looks its page up
        var page = UnsafeMutablePointer<DecodedBundle>(bitPattern: 16)!
        let currentGeneration = cache.generationCell
        var generation = currentGeneration.pointee
        while remaining > 0 {
            // A store that dropped decoded code (this page's, even) bumped the generation.
            if s.ip & ~SoftMemory.pageMask != pageBase || currentGeneration.pointee != generation {
                guard let p = cache.ops(at: s.ip, in: mem) else {
                    return .fault(.SIGSEGV, code: mem.faultCode(s.ip), address: s.ip)
                }
                page = p
                pageBase = s.ip & ~SoftMemory.pageMask
                generation = currentGeneration.pointee
            }
            // (ip & 0xfff) >> 4 < 256 = the bundles a cache page holds.
            let b = page + Int((s.ip & SoftMemory.pageMask) >> 4)
            if !b.pointee.valid { return .fault(.SIGILL, code: SignalCode.ILL_ILLOPC, address: s.ip) }
            // The three slots sit side by side in the decoded bundle: read them in place.
            let slots = UnsafeRawPointer(b).assumingMemoryBound(to: Instruction.self)
            while s.slot < 3 {
                let i = slots[s.slot]
                if i.op == .lSlot { s.slot = 3; break }
                if remaining == 0 { return .budget }  // a single step ends inside a bundle
                remaining -= 1
                let ip = s.ip
                do {
                    if let stop = try step(i, bundle: ip) { return stop }
                } catch .illegal {
                    return .fault(.SIGILL, code: SignalCode.ILL_ILLOPC, address: ip)
                } catch .natConsumption {
                    return .fault(.SIGILL, code: 8 /* ILL_REGNAT */, address: ip)
                } catch .fault(let a, _) {
                    let (sig, code) = mem.fault(at: a)
                    return .fault(a & 7 != 0 && mem.readPointer(a) != nil ? .SIGBUS : sig, code: code, address: a)
                } catch {
                    return .fault(.SIGILL, code: SignalCode.ILL_ILLOPC, address: ip)
                }
                if s.branched { s.branched = false; break }  // continue at the target's slot 0
                s.slot += 1
            }
            if s.slot >= 3 { s.ip &+= 16; s.slot = 0 }
        }
        return .budget
    }

    /// The immediate of gdb's IA-64 breakpoint slot (IA64_BREAKPOINT 0x00003333300: break,
    /// imm20b = 0xccccc, i = 0).
    static let gdbBreakImmediate: Int64 = 0xccccc

    /// Branches to `target` (a bundle address): execution continues at its slot 0.
    @inline(__always) func branch(_ target: UInt64) {
        s.ip = target & ~15
        s.slot = 0
        s.branched = true
    }

    /// br.call / brl.call: link to the next bundle, save CFM and EC in ar.pfs, and give the
    /// callee a frame made of the caller's outputs (the register stack renames them r32…).
    @inline(__always) func call(_ target: UInt64, link: UInt8, from ip: UInt64) {
        s.br[Int(link & 7)] = ip &+ 16
        s.pfs = s.cfm.raw | (s.ec & 0x3f) << 52 | 3 << 62
        s.bof += s.cfm.sol
        let sof = s.cfm.sof - s.cfm.sol
        s.cfm = CFM()
        s.cfm.sof = sof
        branch(target)
    }

    static func compare(_ rel: CmpRel, _ a: UInt64, _ b: UInt64, word: Bool) -> Bool {
        let sa = word ? Int64(Int32(truncatingIfNeeded: a)) : Int64(bitPattern: a)
        let sb = word ? Int64(Int32(truncatingIfNeeded: b)) : Int64(bitPattern: b)
        let ua = word ? a & 0xffff_ffff : a, ub = word ? b & 0xffff_ffff : b
        switch rel {
        case .eq: return ua == ub
        case .ne: return ua != ub
        case .lt: return sa < sb
        case .le: return sa <= sb
        case .gt: return sa > sb
        case .ge: return sa >= sb
        case .ltu: return ua < ub
        case .leu: return ua <= ub
        case .gtu: return ua > ub
        case .geu: return ua >= ub
        default: return false
        }
    }

    /// Writes p1/p2 as the compare type asks (qp already known true, or false for .unc).
    func writePredicates(_ i: Instruction, _ result: Bool, qp: Bool, natIn: Bool) {
        let type = CmpType(rawValue: i.c2) ?? .normal
        let p1 = i.r1, p2 = i.r4
        switch type {
        case .normal:
            guard qp else { return }
            s.setPredicate(p1, natIn ? false : result); s.setPredicate(p2, natIn ? false : !result)
        case .unc:
            if !qp { s.setPredicate(p1, false); s.setPredicate(p2, false); return }
            s.setPredicate(p1, natIn ? false : result); s.setPredicate(p2, natIn ? false : !result)
        case .and:
            guard qp else { return }
            if natIn || !result { s.setPredicate(p1, false); s.setPredicate(p2, false) }
        case .or:
            guard qp else { return }
            if !natIn && result { s.setPredicate(p1, true); s.setPredicate(p2, true) }
        case .orAndcm:
            guard qp else { return }
            if !natIn && result { s.setPredicate(p1, true); s.setPredicate(p2, false) }
        }
    }

    /// Executes one instruction of the bundle at `bundle`. Returns a stop, or nil to go on.
    @inline(__always)
    func step(_ i: Instruction, bundle ip: UInt64) throws(Failure) -> InterpreterStop? {
        let qp = s.predicate(i.qp)
        // One switch for every op: the compares, tbit/tnat, fcmp and br.wtop/br.wexit use the
        // qualifying predicate themselves; every other op is a no-op when it is false.
        if !qp && !Self.usesPredicateItself(i.op) { return nil }

        switch i.op {
        case .cmp, .cmp4, .cmpImm, .cmp4Imm:
            let word = i.op == .cmp4 || i.op == .cmp4Imm
            let a = i.op == .cmpImm || i.op == .cmp4Imm ? UInt64(bitPattern: i.imm) : try gr(i.r2)
            let b = try gr(i.r3)
            let natIn = (i.op == .cmp || i.op == .cmp4 ? nat(i.r2) : false) || nat(i.r3)
            writePredicates(i, Self.compare(CmpRel(rawValue: i.c1) ?? .eq, a, b, word: word), qp: qp, natIn: natIn)
            return nil
        case .tbit, .tnat:
            let rel = CmpRel(rawValue: i.c1) ?? .z
            var bit: Bool
            if i.op == .tbit { bit = (try gr(i.r3) >> UInt64(i.imm)) & 1 != 0 } else { bit = nat(i.r3) }
            if rel == .z { bit = !bit }
            writePredicates(i, bit, qp: qp, natIn: i.op == .tbit && nat(i.r3))
            return nil
        case .fcmp:
            let order = IA64SoftFloat.compare(fr(i.r2), fr(i.r3))
            let rel = CmpRel(rawValue: i.c2 & 0x7f) ?? .eq
            let r: Bool
            switch rel {
            case .eq: r = order == 0
            case .lt: r = order == -1
            case .le: r = order == -1 || order == 0
            default: r = order == nil
            }
            var j = i
            j.c2 = i.c2 & 0x80 != 0 ? CmpType.unc.rawValue : CmpType.normal.rawValue
            writePredicates(j, r, qp: qp, natIn: false)
            return nil
        case .brWtop, .brWexit:
            // The qualifying predicate is the loop condition here.
            let taken: Bool
            if qp {
                s.setPredicate(63, false); s.rotate(); taken = i.op == .brWtop
            } else if s.ec > 1 {
                s.ec -= 1; s.setPredicate(63, false); s.rotate(); taken = i.op == .brWtop
            } else if s.ec == 1 {
                s.ec = 0; s.setPredicate(63, false); s.rotate(); taken = i.op == .brWexit
            } else {
                taken = i.op == .brWexit
            }
            if taken { branch(ip &+ UInt64(bitPattern: i.imm)) }
            return nil
        // MARK: ALU
        case .add: let x = try gr(i.r2), y = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, x &+ y, nat: n)
        case .addPlus1: let x = try gr(i.r2), y = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, x &+ y &+ 1, nat: n)
        case .sub: let x = try gr(i.r2), y = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, x &- y, nat: n)
        case .subMinus1: let x = try gr(i.r2), y = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, x &- y &- 1, nat: n)
        case .addp4: try alu(i) { a, b in let s = (a &+ b) & 0xffff_ffff; return s | ((b >> 30) & 3) << 61 }
        case .and: let x = try gr(i.r2), y = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, x & y, nat: n)
        case .andcm: let x = try gr(i.r2), y = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, x & ~y, nat: n)
        case .or: let x = try gr(i.r2), y = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, x | y, nat: n)
        case .xor: let x = try gr(i.r2), y = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, x ^ y, nat: n)
        case .shladd: let x = try gr(i.r2), y = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, (x << UInt64(i.imm)) &+ y, nat: n)
        case .shladdp4: try alu(i) { a, b in let s = ((a << UInt64(i.imm)) &+ b) & 0xffff_ffff; return s | ((b >> 30) & 3) << 61 }
        case .subImm: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, UInt64(bitPattern: i.imm) &- x, nat: n)
        case .andImm: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, UInt64(bitPattern: i.imm) & x, nat: n)
        case .andcmImm: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, UInt64(bitPattern: i.imm) & ~x, nat: n)
        case .orImm: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, UInt64(bitPattern: i.imm) | x, nat: n)
        case .xorImm: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, UInt64(bitPattern: i.imm) ^ x, nat: n)
        case .adds, .addl: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, UInt64(bitPattern: i.imm) &+ x, nat: n)
        case .addp4Imm: try aluImm(i) { b in let s = (UInt64(bitPattern: i.imm) &+ b) & 0xffff_ffff; return s | ((b >> 30) & 3) << 61 }
        case .movl: try setGR(i.r1, UInt64(bitPattern: i.imm))
        // MARK: shifts, bit fields
        // shl r1 = r2, r3 shifts r2 by r3; shr r1 = r3, r2 shifts r3 by r2.
        case .shl: let a = try gr(i.r2), c = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, c > 63 ? 0 : a << c, nat: n)
        case .shr: let c = try gr(i.r2), a = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, UInt64(bitPattern: Int64(bitPattern: a) >> min(c, 63)), nat: n)
        case .shrU: let c = try gr(i.r2), a = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, c > 63 ? 0 : a >> c, nat: n)
        case .shrp:
            let hi = try gr(i.r2), lo = try gr(i.r3), n = UInt64(i.c1)
            try setGR(i.r1, n == 0 ? lo : (lo >> n) | (hi << (64 - n)), nat: nat(i.r2) || nat(i.r3))
        case .extr, .extrU:
            let pos = UInt64(i.c1), len = UInt64(i.c2)
            let v = (try gr(i.r3)) >> pos
            let field = len >= 64 ? v : v & ((1 << len) - 1)
            let out = i.op == .extr && len < 64 && len > 0 && field >> (len - 1) & 1 == 1 ? field | ~((1 << len) - 1) : field
            try setGR(i.r1, out, nat: nat(i.r3))
        case .depZ, .depZImm:
            let pos = UInt64(i.c1), len = UInt64(i.c2)
            let src = i.op == .depZ ? try gr(i.r2) : UInt64(bitPattern: i.imm)
            let mask: UInt64 = len >= 64 ? ~0 : (1 << len) - 1
            try setGR(i.r1, (src & mask) << pos, nat: i.op == .depZ && nat(i.r2))
        case .dep, .depImm:
            let pos = UInt64(i.c1), len = UInt64(i.c2)
            let src = i.op == .dep ? try gr(i.r2) : UInt64(bitPattern: i.imm)
            let target = try gr(i.r3)
            let mask: UInt64 = (len >= 64 ? ~0 : (1 << len) - 1) << pos
            try setGR(i.r1, (target & ~mask) | ((src << pos) & mask), nat: (i.op == .dep && nat(i.r2)) || nat(i.r3))
        case .sxt1: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, UInt64(bitPattern: Int64(Int8(truncatingIfNeeded: x))), nat: n)
        case .sxt2: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, UInt64(bitPattern: Int64(Int16(truncatingIfNeeded: x))), nat: n)
        case .sxt4: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: x))), nat: n)
        case .zxt1: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, x & 0xff, nat: n)
        case .zxt2: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, x & 0xffff, nat: n)
        case .zxt4: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, x & 0xffff_ffff, nat: n)
        case .popcnt: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, UInt64(x.nonzeroBitCount), nat: n)
        case .mpy4: let x = try gr(i.r2), y = try gr(i.r3), n = nat(i.r2) || nat(i.r3); try setGR(i.r1, (x & 0xffff_ffff) &* (y & 0xffff_ffff), nat: n)
        case .clz: let x = try gr(i.r3), n = nat(i.r3); try setGR(i.r1, UInt64(x.leadingZeroBitCount), nat: n)
        case .czx1L: try unary(i) { v in UInt64((0..<8).first { (v >> UInt64(56 - 8 * $0)) & 0xff == 0 } ?? 8) }
        case .czx1R: try unary(i) { v in UInt64((0..<8).first { (v >> UInt64(8 * $0)) & 0xff == 0 } ?? 8) }
        case .czx2L: try unary(i) { v in UInt64((0..<4).first { (v >> UInt64(48 - 16 * $0)) & 0xffff == 0 } ?? 4) }
        case .czx2R: try unary(i) { v in UInt64((0..<4).first { (v >> UInt64(16 * $0)) & 0xffff == 0 } ?? 4) }
        case .mux1:
            let v = try gr(i.r2)
            var b = (0..<8).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * $0)) }
            switch i.c1 {
            case 0: b = [UInt8](repeating: b[0], count: 8)  // @brcst
            case 8: b = [b[0], b[4], b[2], b[6], b[1], b[5], b[3], b[7]]  // @mix
            case 9: b = [b[0], b[4], b[1], b[5], b[2], b[6], b[3], b[7]]  // @shuf
            case 0xa: b = [b[0], b[2], b[4], b[6], b[1], b[3], b[5], b[7]]  // @alt
            case 0xb: b.reverse()  // @rev
            default: break
            }
            try setGR(i.r1, b.enumerated().reduce(0) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }, nat: nat(i.r2))
        case .mux2:
            let v = try gr(i.r2)
            var out: UInt64 = 0
            for k in 0..<4 {
                let sel = (UInt64(i.c1) >> UInt64(2 * k)) & 3
                out |= ((v >> (16 * sel)) & 0xffff) << UInt64(16 * k)
            }
            try setGR(i.r1, out, nat: nat(i.r2))
        case .padd1, .padd2, .padd4, .psub1, .psub2, .psub4:
            let size = i.op == .padd1 || i.op == .psub1 ? 8 : i.op == .padd2 || i.op == .psub2 ? 16 : 32
            let sub = i.op == .psub1 || i.op == .psub2 || i.op == .psub4
            try alu(i) { a, b in Self.parallel(a, b, size: size, saturation: i.c1, subtract: sub) }
        // MARK: moves
        case .movToBr: s.br[Int(i.r1 & 7)] = try value(i.r2)
        case .movFromBr: try setGR(i.r1, s.br[Int(i.r2 & 7)])
        case .movFromIp: try setGR(i.r1, ip)
        case .movFromPr: try setGR(i.r1, (0..<64).reduce(UInt64(0)) { $0 | (s.predicate(UInt8($1)) ? 1 << UInt64($1) : 0) })
        case .movToPr:
            let v = try value(i.r2), mask = UInt64(bitPattern: i.imm)
            for p in 1..<64 where (mask >> UInt64(p)) & 1 != 0 || p >= 16 && mask & (1 << 16) != 0 {
                s.setPredicate(UInt8(p), (v >> UInt64(p)) & 1 != 0)
            }
        case .movToPrRot:
            let v = UInt64(bitPattern: i.imm)
            for p in 16..<64 { s.setPredicate(UInt8(p), (v >> UInt64(p)) & 1 != 0) }
        case .movToArI, .movToArM: try setAR(i.r3, try value(i.r2))
        case .movToArImmI, .movToArImmM: try setAR(i.r3, UInt64(bitPattern: i.imm))
        case .movFromArI, .movFromArM: try setGR(i.r1, try ar(i.r3))
        // MARK: register stack
        case .alloc:
            let sof = Int(i.r2), sol = Int(i.r3), sor = Int(i.c1) * 8
            guard sof <= 96, sol <= sof, sor <= sof, s.bof + sof <= IA64State.stackedCapacity else { throw .illegal }
            let old = s.pfs
            s.cfm.sof = sof; s.cfm.sol = sol
            if sor != s.cfm.sor { s.cfm.sor = sor; s.cfm.rrbGR = 0 }
            try setGR(i.r1, old)
        case .flushrs:
            try s.flushRegisterStack(mem)
        case .cover:
            s.bof += s.cfm.sof
            s.cfm = CFM()
        case .loadrs, .invala, .invalaER, .invalaEF, .mf, .mfA, .srlzD, .srlzI, .syncI, .fc, .fcI, .fwb:
            if i.op == .invala { s.alat.removeAll() }
        case .clrrrb: s.cfm.rrbGR = 0; s.cfm.rrbFR = 0; s.cfm.rrbPR = 0
        case .clrrrbPr: s.cfm.rrbPR = 0
        // MARK: memory
        case .ld, .ldReg, .ldImm:
            let size = 1 << Int(i.c1 & 3)
            let kind = i.c1 >> 2
            let base = try value(i.r3)
            let target = i.r1
            if kind == 8 || kind == 9 || kind == 10, s.alat.contains(target) {
                // ld.c: the advanced load is still valid; nothing to do.
            } else {
                do {
                    var v = try load(base, i.c1 == 0x1b ? 8 : size)
                    if i.c1 == 0x1b {  // ld8.fill
                        try setGR(target, v, nat: (s.unat >> ((base >> 3) & 63)) & 1 != 0)
                    } else {
                        if size < 8 { v &= (1 << UInt64(size * 8)) - 1 }
                        try setGR(target, v)
                    }
                } catch .fault(let a, let w) {
                    // Speculative loads defer the fault: the target becomes NaT.
                    if kind == 1 || kind == 3 { try setGR(target, 0, nat: true) } else { throw .fault(a, w) }
                }
                if kind == 2 || kind == 3 || kind == 9 { s.alat.insert(target, address: base, size: size) }
                if kind == 8 || kind == 10 { s.alat.remove(target) }
            }
            if i.op == .ldReg { try setGR(i.r3, base &+ (try value(i.r2))) }
            if i.op == .ldImm { try setGR(i.r3, base &+ UInt64(bitPattern: i.imm)) }
        case .st, .stImm:
            let base = try value(i.r3)
            if i.c1 == 0x3b {  // st8.spill
                try store(base, try gr(i.r2), 8)
                let bit: UInt64 = 1 << ((base >> 3) & 63)
                s.unat = nat(i.r2) ? s.unat | bit : s.unat & ~bit
            } else {
                try store(base, try value(i.r2), 1 << Int(i.c1 & 3))
            }
            if i.op == .stImm { try setGR(i.r3, base &+ UInt64(bitPattern: i.imm)) }
        case .lfetch, .lfetchReg, .lfetchImm:
            let base = try value(i.r3)
            if i.op == .lfetchReg { try setGR(i.r3, base &+ (try value(i.r2))) }
            if i.op == .lfetchImm { try setGR(i.r3, base &+ UInt64(bitPattern: i.imm)) }
        case .cmpxchg:
            let size = 1 << Int(i.c1 & 3)
            let a = try value(i.r3)
            let old = try load(a, size)
            if old == s.ccv & (size == 8 ? ~0 : (1 << UInt64(size * 8)) - 1) { try store(a, try value(i.r2), size) }
            try setGR(i.r1, old)
        case .xchg:
            let size = 1 << Int(i.c1 & 3)
            let a = try value(i.r3)
            let old = try load(a, size)
            try store(a, try value(i.r2), size)
            try setGR(i.r1, old)
        case .fetchadd:
            let size = i.c1 & 1 == 0 ? 4 : 8
            let a = try value(i.r3)
            let old = try load(a, size)
            try store(a, old &+ UInt64(bitPattern: i.imm), size)
            try setGR(i.r1, old)
        case .chkSM, .chkSI:
            if nat(i.r2) { branch(ip &+ UInt64(bitPattern: i.imm)) }
        case .chkSF:
            if fr(i.r2) == .natVal { branch(ip &+ UInt64(bitPattern: i.imm)) }
        case .chkANcR, .chkAClrR, .chkANcF, .chkAClrF:
            if !s.alat.contains(i.r1) { branch(ip &+ UInt64(bitPattern: i.imm)) }
            else if i.op == .chkAClrR || i.op == .chkAClrF { s.alat.remove(i.r1) }
        // MARK: branches
        case .brCondRel: branch(ip &+ UInt64(bitPattern: i.imm))
        case .brCond, .brIa: branch(s.br[Int(i.r2 & 7)])
        case .brCallRel, .brCall:
            call(i.op == .brCallRel ? ip &+ UInt64(bitPattern: i.imm) : s.br[Int(i.r2 & 7)], link: i.r1, from: ip)
        case .brRet:
            let target = s.br[Int(i.r2 & 7)]
            let restored = CFM(raw: s.pfs & ((1 << 38) - 1))
            // ar.pfs is the guest's to write: a frame marker that breaks the frame rules is an
            // Illegal Operation fault, as on the hardware, and one that would not fit the
            // register file is refused before it can index past it (IA64State's invariant).
            let callerBof = s.bof >= restored.sol ? s.bof - restored.sol : 0  // (after fillBelow)
            guard restored.isValid, callerBof + restored.sof <= IA64State.stackedCapacity else { throw .illegal }
            s.ec = (s.pfs >> 52) & 0x3f
            // The caller's registers went to memory (signal return, new backing store): load them.
            if restored.sol > s.bof { try s.fillBelow(restored.sol - s.bof, mem) }
            s.bof -= restored.sol
            s.cfm = restored
            if s.flushed > s.bof { s.flushed = s.bof }
            branch(target)
        case .brCloop:
            if s.lc != 0 { s.lc -= 1; branch(ip &+ UInt64(bitPattern: i.imm)) }
        case .brCtop, .brCexit:
            let taken: Bool
            if s.lc != 0 {
                s.lc -= 1; s.setPredicate(63, true); s.rotate(); taken = i.op == .brCtop
            } else if s.ec > 1 {
                s.ec -= 1; s.setPredicate(63, false); s.rotate(); taken = i.op == .brCtop
            } else if s.ec == 1 {
                s.ec = 0; s.setPredicate(63, false); s.rotate(); taken = i.op == .brCexit
            } else {
                taken = i.op == .brCexit
            }
            if taken { branch(ip &+ UInt64(bitPattern: i.imm)) }
        case .brl: branch(ip &+ UInt64(bitPattern: i.imm))
        case .brlCall:
            call(ip &+ UInt64(bitPattern: i.imm), link: i.r1, from: ip)
        case .breakM, .breakI, .breakB, .breakF, .breakX:
            if i.imm == 0x100000 {
                s.syscallIP = (ip, s.slot)
                return .syscall
            }
            // gdb's breakpoint: a stop for the debugger, or SIGTRAP (the engine decides).
            if i.imm == IA64Interpreter.gdbBreakImmediate { return .breakpoint(ip | UInt64(s.slot)) }
            return .fault(.SIGTRAP, code: 1, address: ip)
        case .nopM, .nopI, .nopB, .nopF, .nopX, .hintM, .hintI, .hintB, .hintF, .hintX, .brp, .brpRet, .brpRel:
            break
        default:
            return try stepFloat(i)
        }
        return nil
    }

    // MARK: Helpers

    /// The ops whose qualifying predicate is an operand (they run, differently, when it is false).
    @inline(__always) static func usesPredicateItself(_ op: Op) -> Bool {
        switch op {
        case .cmp, .cmp4, .cmpImm, .cmp4Imm, .tbit, .tnat, .fcmp, .brWtop, .brWexit: return true
        default: return false
        }
    }

    @inline(__always) func alu(_ i: Instruction, _ f: (UInt64, UInt64) -> UInt64) throws(Failure) {
        let a = try gr(i.r2), b = try gr(i.r3)
        try setGR(i.r1, f(a, b), nat: nat(i.r2) || nat(i.r3))
    }
    @inline(__always) func aluImm(_ i: Instruction, _ f: (UInt64) -> UInt64) throws(Failure) {
        try setGR(i.r1, f(try gr(i.r3)), nat: nat(i.r3))
    }
    @inline(__always) func unary(_ i: Instruction, _ f: (UInt64) -> UInt64) throws(Failure) {
        try setGR(i.r1, f(try gr(i.r3)), nat: nat(i.r3))
    }

    static func parallel(_ a: UInt64, _ b: UInt64, size: Int, saturation: UInt8, subtract: Bool) -> UInt64 {
        var out: UInt64 = 0
        let mask: UInt64 = size == 64 ? ~0 : (1 << UInt64(size)) - 1
        for k in stride(from: 0, to: 64, by: size) {
            let x = (a >> UInt64(k)) & mask, y = (b >> UInt64(k)) & mask
            // The element's sign extension: its bits moved to the top, then an arithmetic shift
            // back (the bit pattern, not the value: the top bit set is a negative element).
            let sx = Int64(bitPattern: x << UInt64(64 - size)) >> Int64(64 - size)
            let sy = Int64(bitPattern: y << UInt64(64 - size)) >> Int64(64 - size)
            var r: Int64
            switch saturation {
            case 1:  // .sss: signed saturation
                r = subtract ? sx - sy : sx + sy
                let lo = -(Int64(1) << Int64(size - 1)), hi = (Int64(1) << Int64(size - 1)) - 1
                r = min(max(r, lo), hi)
            case 2, 3:  // .uus / .uuu: unsigned saturation
                r = subtract ? Int64(x) - (saturation == 2 ? sy : Int64(y)) : Int64(x) + (saturation == 2 ? sy : Int64(y))
                r = min(max(r, 0), Int64(mask))
            default:
                r = subtract ? Int64(x) &- Int64(y) : Int64(x) &+ Int64(y)
            }
            out |= (UInt64(bitPattern: r) & mask) << UInt64(k)
        }
        return out
    }

    func ar(_ n: UInt8) throws(Failure) -> UInt64 {
        switch n {
        case 0...7: return s.kr[Int(n)]
        case 16: return s.rsc
        case 17: return s.bsp
        case 18: return s.bspstore
        case 19: return s.rnat
        case 32: return s.ccv
        case 36: return s.unat
        case 40: return s.fpsr
        case 44: return Host.monotonicNanoseconds()  // ar.itc
        case 64: return s.pfs
        case 65: return s.lc
        case 66: return s.ec
        default: throw .illegal
        }
    }
    func setAR(_ n: UInt8, _ v: UInt64) throws(Failure) {
        switch n {
        case 16: s.rsc = v & 0x3fff_001f
        case 18:
            // A new backing store: what is below the current frame is now the memory's business
            // (br.ret loads it back from the new store's addresses below, as the RSE would).
            try s.flushRegisterStack(mem)
            s.rbsBase = v & ~7
            let live = s.cfm.sof
            for k in 0..<live { s.stacked[k] = s.stacked[s.bof + k]; s.stackedNaT[k] = s.stackedNaT[s.bof + k] }
            s.bof = 0
            s.flushed = 0
            s.rnat = 0; s.rnatBase = 0  // RNAT is undefined after a write to ar.bspstore
        case 19:
            s.rnat = v
            // With bspstore at the base, RNAT holds the NaT bits of the group's registers below it.
            if s.flushed == 0 {
                s.rnatBase = IA64State.isCollection(s.rbsBase) ? v : v & ((1 << UInt64(IA64State.slotIndex(s.rbsBase))) - 1)
            }
        case 32: s.ccv = v
        case 36: s.unat = v
        case 40: s.fpsr = v
        case 64: s.pfs = v
        case 65: s.lc = v
        case 66: s.ec = v & 0x3f
        default: throw .illegal
        }
    }
}
