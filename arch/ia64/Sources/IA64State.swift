import HostOS
import IA64Decoder
import LinuxABI

/// An IA-64 floating-point register: 82 bits as significand (64, explicit integer bit) and
/// sign+exponent (1+17 bits, bias 0xFFFF). f0 = +0.0, f1 = +1.0.
struct FReg: Equatable {
    var sig: UInt64
    /// bit 17 = sign, bits 0–16 = biased exponent.
    var exp: UInt32

    static let zero = FReg(sig: 0, exp: 0)
    static let one = FReg(sig: 1 << 63, exp: 0xFFFF)
    /// The exponent of an integer held in the significand (setf.sig, xma, fcvt.fx).
    static let integerExp: UInt32 = 0x1003E
    /// NaTVal: the "not a thing" value of a deferred speculative FP load.
    static let natVal = FReg(sig: 0, exp: 0x1FFFE)

    var negative: Bool { exp & 0x20000 != 0 }
    var biased: Int { Int(exp & 0x1FFFF) }

    /// The value as a Double (rounded to nearest where 64 significant bits do not fit).
    var double: Double {
        let e = biased
        if e == 0x1FFFF {
            if sig << 1 == 0 { return negative ? -.infinity : .infinity }
            return .nan
        }
        if sig == 0 { return negative ? -0.0 : 0.0 }
        let magnitude = Double(sig) * Double(sign: .plus, exponent: e - 0xFFFF - 63, significand: 1)
        return negative ? -magnitude : magnitude
    }

    init(sig: UInt64, exp: UInt32) { self.sig = sig; self.exp = exp }

    /// A Double in register format (normalised).
    init(_ d: Double) {
        let sign: UInt32 = d.sign == .minus ? 0x20000 : 0
        if d.isNaN { self.init(sig: 0xC000_0000_0000_0000, exp: sign | 0x1FFFF); return }
        if d.isInfinite { self.init(sig: 1 << 63, exp: sign | 0x1FFFF); return }
        if d == 0 { self.init(sig: 0, exp: sign); return }
        let m = abs(d).significand  // [1, 2)
        let e = abs(d).exponent
        let sig = UInt64(m * 9_223_372_036_854_775_808.0)  // m · 2^63
        self.init(sig: sig, exp: sign | UInt32(Int(e) + 0xFFFF))
    }
}

/// Current frame marker.
struct CFM {
    var sof: Int = 0, sol: Int = 0, sor: Int = 0
    var rrbGR: Int = 0, rrbFR: Int = 0, rrbPR: Int = 0

    /// The frame rules (what alloc can produce; br.ret and sigreturn check what the guest
    /// hands them against them): sof ≤ 96, sol ≤ sof, sor ≤ sof, the rotating bases inside
    /// their rotating regions.
    var isValid: Bool {
        sof <= 96 && sol <= sof && sor <= sof && (sor == 0 ? rrbGR == 0 : rrbGR < sor) && rrbFR < 96 && rrbPR < 48
    }

    var raw: UInt64 {
        UInt64(sof) | UInt64(sol) << 7 | UInt64(sor / 8) << 14 | UInt64(rrbGR) << 18 | UInt64(rrbFR) << 25 | UInt64(rrbPR) << 32
    }
    init() {}
    init(raw v: UInt64) {
        sof = Int(v & 0x7f); sol = Int((v >> 7) & 0x7f); sor = Int((v >> 14) & 0xf) * 8
        rrbGR = Int((v >> 18) & 0x7f); rrbFR = Int((v >> 25) & 0x7f); rrbPR = Int((v >> 32) & 0x3f)
    }
}

/// IA-64 user-visible state. The stacked general registers of every frame live in one array
/// (the physical register file plus what the RSE would have spilled): the current frame's r32
/// is `stacked[bof]`. Its backing-store address (ar.bsp) is derived from the index, with a NaT
/// collection slot every 63 registers, so flushrs can write it out exactly where Linux would.
///
/// The register files are plain memory, indexed without checks in the interpreter loop; what
/// keeps each index inside is stated here and kept where the state changes:
/// - `gr` (32): only r0–r31 reach it (`r < 32` is tested first).
/// - `fr` (128), predicates (64 bits): `physFR`/`physPR` map any UInt8 below 128 / 64.
/// - `br` (8): indices are masked with 7.
/// - `stacked`, `stackedNaT`: **bof + cfm.sof ≤ stackedCapacity, and cfm is valid**
///   (`CFM.isValid`), so `stackedIndex` (i < sof, or (i + rrb) % sor with sor ≤ sof) is below
///   the capacity. alloc and br.ret check it against what the guest asked; br.call and cover
///   move sol or sof registers from the frame to below bof, which keeps the sum; fillBelow,
///   a write of ar.bspstore, signal delivery and sigreturn (which checks the guest's frame
///   marker) set bof and cfm within it.
final class IA64State {
    static let stackedCapacity = 1 << 20
    /// r0–r31 (static registers), plain memory: the interpreter loop does no array checks.
    let gr: UnsafeMutablePointer<UInt64>
    var grNaT: UInt32 = 0
    let stacked: UnsafeMutablePointer<UInt64>
    let stackedNaT: UnsafeMutablePointer<UInt8>
    var bof = 0
    var cfm = CFM()
    let fr: UnsafeMutablePointer<FReg>
    var pr: UInt64 = 1
    let br: UnsafeMutablePointer<UInt64>
    var ip: UInt64 = 0
    var slot = 0
    /// Set by a taken branch (its target may be the bundle it is in).
    var branched = false
    // Application registers.
    var pfs: UInt64 = 0, lc: UInt64 = 0, ec: UInt64 = 0, unat: UInt64 = 0, rsc: UInt64 = 0
    var rnat: UInt64 = 0, fpsr: UInt64 = 0x0009_804c_0270_033f, ccv: UInt64 = 0
    var kr = [UInt64](repeating: 0, count: 8)
    /// Backing store: base address of stacked[0], and how many entries flushrs has written.
    var rbsBase: UInt64 = 0
    var flushed = 0
    /// NaT bits (at their collection positions) of the registers in memory below `rbsBase` in
    /// the 64-doubleword group `rbsBase` lies in (see IA64RegisterStack.swift).
    var rnatBase: UInt64 = 0
    /// The thread last stopped at a system call (a signal then interrupts the call: sc_flags).
    var inSyscall = false
    /// ALAT: the advanced loads (ld.a / chk.a / ld.c) still valid, by target register.
    var alat = ALAT()
    /// r15 at the last `break 0x100000`, for restarting a system call.
    var syscallIP: (ip: UInt64, slot: Int) = (0, 0)

    /// The stacked registers (8 MiB) and their NaT bits (1 MiB) are zero pages that cost host
    /// memory only as far as the thread's frames have reached: allocated and zeroed up front,
    /// they made every IA-64 thread cost umlab 9 MiB of RSS (and a fork 9 MiB more). ENOMEM when
    /// the host refuses the address space.
    init() throws(LinuxErrno) {
        guard let s: UnsafeMutablePointer<UInt64> = HostMemory.zeroedTable(count: IA64State.stackedCapacity) else { throw .ENOMEM }
        guard let n: UnsafeMutablePointer<UInt8> = HostMemory.zeroedTable(count: IA64State.stackedCapacity) else {
            HostMemory.freeTable(s, count: IA64State.stackedCapacity)
            throw .ENOMEM
        }
        stacked = s
        stackedNaT = n
        gr = .allocate(capacity: 32); gr.initialize(repeating: 0, count: 32)
        fr = .allocate(capacity: 128); fr.initialize(repeating: .zero, count: 128)
        br = .allocate(capacity: 8); br.initialize(repeating: 0, count: 8)
        fr[1] = .one
    }
    deinit {
        HostMemory.freeTable(stacked, count: IA64State.stackedCapacity)
        HostMemory.freeTable(stackedNaT, count: IA64State.stackedCapacity)
        gr.deallocate(); fr.deallocate(); br.deallocate(); alat.free()
    }

    func copy() throws(LinuxErrno) -> IA64State {
        let c = try IA64State()
        c.gr.update(from: gr, count: 32); c.fr.update(from: fr, count: 128); c.br.update(from: br, count: 8)
        c.grNaT = grNaT; c.bof = bof; c.cfm = cfm; c.pr = pr
        c.ip = ip; c.slot = slot; c.pfs = pfs; c.lc = lc; c.ec = ec; c.unat = unat; c.rsc = rsc
        c.rnat = rnat; c.fpsr = fpsr; c.ccv = ccv; c.kr = kr; c.rbsBase = rbsBase; c.flushed = flushed
        c.rnatBase = rnatBase; c.inSyscall = inSyscall
        let live = bof + cfm.sof
        c.stacked.update(from: stacked, count: live)
        c.stackedNaT.update(from: stackedNaT, count: live)
        c.syscallIP = syscallIP
        return c
    }

    /// Backing-store address of stacked entry `k` (every 64th doubleword holds NaT bits).
    func backingAddress(_ k: Int) -> UInt64 {
        var a = rbsBase
        var n = k
        // Walk whole 63-register groups, then the remainder, skipping collection slots.
        let firstGroup = 63 - Int((rbsBase >> 3) & 63)
        if n < firstGroup { return a + UInt64(n) * 8 }
        a += UInt64(firstGroup) * 8 + 8
        n -= firstGroup
        a += UInt64(n / 63) * 512
        return a + UInt64(n % 63) * 8
    }
    var bsp: UInt64 { backingAddress(bof) }
    var bspstore: UInt64 { backingAddress(flushed) }

    // MARK: Register renaming

    /// Index into `stacked` of a stacked GR, or nil if it lies outside the frame. Below
    /// bof + cfm.sof, so below the capacity (the invariant above).
    @inline(__always) func stackedIndex(_ r: UInt8) -> Int? {
        var i = Int(r) - 32
        guard i < cfm.sof else { return nil }
        if i < cfm.sor { i = (i + cfm.rrbGR) % cfm.sor }
        return bof + i
    }
    @inline(__always) func physFR(_ f: UInt8) -> Int {
        f < 32 ? Int(f) : 32 + (Int(f) - 32 + cfm.rrbFR) % 96
    }
    @inline(__always) func physPR(_ p: UInt8) -> Int {
        p < 16 ? Int(p) : 16 + (Int(p) - 16 + cfm.rrbPR) % 48
    }
    @inline(__always) func predicate(_ p: UInt8) -> Bool { pr & (1 << UInt64(physPR(p))) != 0 }
    @inline(__always) func setPredicate(_ p: UInt8, _ v: Bool) {
        if p == 0 { return }
        let bit: UInt64 = 1 << UInt64(physPR(p))
        pr = v ? pr | bit : pr & ~bit
    }
    /// Rotating predicates and registers move one position (rrb decrements).
    func rotate() {
        if cfm.sor > 0 { cfm.rrbGR = (cfm.rrbGR + cfm.sor - 1) % cfm.sor }
        cfm.rrbFR = (cfm.rrbFR + 95) % 96
        cfm.rrbPR = (cfm.rrbPR + 47) % 48
    }
}

/// The advanced load address table: a few entries, searched linearly; stores invalidate the
/// entries they overlap. Plain values, so the store path does no reference counting.
struct ALAT {
    static let capacity = 32
    // Plain memory owned by the state for its lifetime (see IA64State.deinit).
    private let registers = UnsafeMutablePointer<UInt8>.allocate(capacity: ALAT.capacity)
    private let addresses = UnsafeMutablePointer<UInt64>.allocate(capacity: ALAT.capacity)
    private let sizes = UnsafeMutablePointer<UInt8>.allocate(capacity: ALAT.capacity)
    private(set) var count = 0

    func free() { registers.deallocate(); addresses.deallocate(); sizes.deallocate() }

    var isEmpty: Bool { count == 0 }
    func contains(_ r: UInt8) -> Bool { (0..<count).contains { registers[$0] == r } }
    mutating func insert(_ r: UInt8, address: UInt64, size: Int) {
        remove(r)
        if count == ALAT.capacity { remove(registers[0]) }  // the oldest entry goes
        registers[count] = r; addresses[count] = address; sizes[count] = UInt8(size)
        count += 1
    }
    mutating func remove(_ r: UInt8) {
        var k = 0
        while k < count {
            if registers[k] == r { removeAt(k) } else { k += 1 }
        }
    }
    mutating func invalidate(_ address: UInt64, _ size: Int) {
        var k = 0
        while k < count {
            if addresses[k] < address + UInt64(size) && address < addresses[k] + UInt64(sizes[k]) { removeAt(k) } else { k += 1 }
        }
    }
    mutating func removeAll() { count = 0 }
    private mutating func removeAt(_ k: Int) {
        count -= 1
        registers[k] = registers[count]; addresses[k] = addresses[count]; sizes[k] = sizes[count]
    }
}
