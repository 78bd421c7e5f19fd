import GuestKernel
import LinuxABI

/// The IA-64 register table in gdb's raw numbering (ia64-tdep.c; `maint print registers` of
/// gdb-multiarch 13 with `set architecture ia64-elf64`, the first 462): r0–r127, f0–f127
/// (16 bytes: the 82-bit register in spill format), p0–p63, b0–b7, vfp, vrap, pr, ip, psr,
/// cfm, ar0–ar127. Names are gdb's, empty where gdb leaves the raw register unnamed (r32–r127
/// and p0–p63 are gdb pseudo registers under those names). Little-endian values.
///
/// As gdb's ia64 Linux target: `ip` is the bundle address and the slot is psr.ri (bits 41–42);
/// raw r32–r127 are the current frame's stacked registers (zero outside it), p0–p63 one
/// predicate bit each (physical numbering, as pr).
enum IA64RegisterTable {
    static let fr0 = 128, pr0 = 256, br0 = 320, vfp = 328, vrap = 329, pr = 330, ip = 331, psr = 332, cfm = 333
    static let ar0 = 334

    /// gdb's names of the application registers it names (by AR number).
    static let arNames: [Int: String] = [
        0: "kr0", 1: "kr1", 2: "kr2", 3: "kr3", 4: "kr4", 5: "kr5", 6: "kr6", 7: "kr7",
        16: "rsc", 17: "bsp", 18: "bspstore", 19: "rnat", 21: "fcr", 24: "eflag", 25: "csd", 26: "ssd",
        27: "cflg", 28: "fsr", 29: "fir", 30: "fdr", 32: "ccv", 36: "unat", 40: "fpsr", 44: "itc",
        64: "pfs", 65: "lc", 66: "ec",
    ]
    /// The application registers user code may write and umlab models (bspstore's write
    /// moves the backing store, which is the RSE's business, not a debugger's).
    static let writableARs: Set<Int> = [16, 19, 32, 36, 40, 64, 65, 66]

    static let registers: [RegisterInfo] =
        (0..<128).map { RegisterInfo($0 < 32 ? "r\($0)" : "", 8, writable: $0 != 0) }
        + (0..<128).map { RegisterInfo("f\($0)", 16, .float, writable: $0 > 1) }
        + (0..<64).map { RegisterInfo("", 8, writable: $0 != 0) }
        + (0..<8).map { RegisterInfo("b\($0)", 8) }
        + [RegisterInfo("vfp", 8, .system, writable: false), RegisterInfo("vrap", 8, .system, writable: false),
           RegisterInfo("pr", 8), RegisterInfo("ip", 8), RegisterInfo("psr", 8, .system),
           RegisterInfo("cfm", 8, .system, writable: false)]
        + (0..<128).map { RegisterInfo(arNames[$0] ?? "", 8, .system, writable: writableARs.contains($0)) }
}

extension IA64Context {
    var registers: [RegisterInfo] { IA64RegisterTable.registers }

    func readRegister(_ n: Int) throws(LinuxErrno) -> [UInt8] {
        try RegisterBytes.checkRead(IA64RegisterTable.registers, n)
        let s = state
        if n >= IA64RegisterTable.fr0 && n < IA64RegisterTable.pr0 {
            let f = s.fr[s.physFR(UInt8(n - IA64RegisterTable.fr0))]
            return RegisterBytes.encode(f.sig, size: 8, bigEndian: false) + RegisterBytes.encode(UInt64(f.exp), size: 8, bigEndian: false)
        }
        if n == IA64RegisterTable.ar0 + 17 { return RegisterBytes.encode(debuggerBSP(), size: 8, bigEndian: false) }
        return RegisterBytes.encode(registerValue(n), size: 8, bigEndian: false)
    }

    func registerValue(_ n: Int) -> UInt64 {
        let s = state
        switch n {
        case 0..<32: return s.gr[n]
        case 32..<128: return s.stackedIndex(UInt8(n)).map { s.stacked[$0] } ?? 0
        case IA64RegisterTable.pr0..<IA64RegisterTable.br0: return (s.pr >> UInt64(n - IA64RegisterTable.pr0)) & 1
        case IA64RegisterTable.br0..<IA64RegisterTable.vfp: return s.br[n - IA64RegisterTable.br0]
        case IA64RegisterTable.pr: return s.pr
        case IA64RegisterTable.ip: return s.ip
        case IA64RegisterTable.psr: return UInt64(s.slot) << 41
        case IA64RegisterTable.cfm: return s.cfm.raw
        case IA64RegisterTable.ar0...: return applicationRegister(n - IA64RegisterTable.ar0)
        default: return 0  // vfp, vrap: gdb's own
        }
    }

    /// The interpreter's own access to application registers (what `mov r=ar` / `mov ar=r` do).
    private var interpreter: IA64Interpreter {
        IA64Interpreter(s: state, mem: memory, cache: memory.codeCache as! IA64CodeCache, fastCore: false)
    }

    func applicationRegister(_ ar: Int) -> UInt64 {
        // ar.itc reads the host clock there; a debugger's read of it need not be exact.
        (try? interpreter.ar(UInt8(ar))) ?? 0
    }

    func writeRegister(_ n: Int, _ bytes: [UInt8]) throws(LinuxErrno) {
        try RegisterBytes.checkWrite(IA64RegisterTable.registers, n, bytes)
        let s = state
        let v = RegisterBytes.decode(bytes, bigEndian: false)
        switch n {
        case 1..<32: s.gr[n] = v; s.grNaT &= ~(1 << UInt32(n))
        case 32..<128:
            // Outside the current frame a raw stacked register does not exist: ignored.
            if let i = s.stackedIndex(UInt8(n)) { s.stacked[i] = v; s.stackedNaT[i] = 0 }
        case IA64RegisterTable.fr0..<IA64RegisterTable.pr0:
            let hi = RegisterBytes.decode(Array(bytes[8...]), bigEndian: false)
            s.fr[s.physFR(UInt8(n - IA64RegisterTable.fr0))] = FReg(sig: v, exp: UInt32(hi & 0x3ffff))
        case IA64RegisterTable.pr0..<IA64RegisterTable.br0:
            let bit: UInt64 = 1 << UInt64(n - IA64RegisterTable.pr0)
            s.pr = v & 1 != 0 ? s.pr | bit : s.pr & ~bit
        case IA64RegisterTable.br0..<IA64RegisterTable.vfp: s.br[n - IA64RegisterTable.br0] = v
        case IA64RegisterTable.pr: s.pr = v | 1  // p0 is always 1
        case IA64RegisterTable.ip: s.ip = v & ~15
        case IA64RegisterTable.psr: s.slot = min(Int((v >> 41) & 3), 2)
        default:
            // Only the registers the table marks writable get here (checkWrite).
            do { try interpreter.setAR(UInt8(n - IA64RegisterTable.ar0), v) } catch { throw .EPERM }
        }
    }

    /// gdb's pc form: bundle address | slot.
    func setInstructionPointer(_ address: UInt64) {
        state.ip = address & ~15
        state.slot = min(Int(address & 15), 2)
    }
}
