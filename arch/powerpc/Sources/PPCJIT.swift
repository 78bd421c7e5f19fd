import CPowerPCCore
import HostOS
import SoftMMU

/// Which engine runs PowerPC code: the interpreter (the reference) or the template JIT
/// (arch/powerpc/Core/ppc_jit.c) in front of it.
public enum PPCEngineKind: String, Sendable, CaseIterable {
    case interp, jit
}

/// The JIT of one address space: its code buffer and translations, owned by the address
/// space's decoded-code cache (`CodeCache.engineState`), so that a translation belongs to one
/// address space and goes with it (an exec's new space, a fork's child start with none).
final class PPCJIT {
    /// Code buffer bytes per address space: reserved address space of a memory file; only the
    /// pages code is written to take host memory. When it is full every translation is dropped
    /// and the hot blocks are translated again.
    static let defaultBufferBytes = 8 << 20
    /// Block starts run this many times in the interpreter before they are translated.
    static let defaultThreshold: UInt32 = 32

    let jit: OpaquePointer
    let writable: UnsafeMutableRawPointer, executable: UnsafeMutableRawPointer
    let bytes: Int

    private init?(bytes: Int, threshold: UInt32, stats: UnsafeMutablePointer<ppc_jit_stats>) {
        guard let views = try? HostMemory.dualCode(bytes) else { return nil }
        guard let jit = ppc_jit_create(views.writable, views.executable, bytes, threshold, stats) else {
            HostMemory.unmap(views.writable, bytes)
            HostMemory.unmap(views.executable, bytes)
            return nil
        }
        self.jit = jit
        writable = views.writable; executable = views.executable
        self.bytes = bytes
    }
    deinit {
        ppc_jit_destroy(jit)
        HostMemory.unmap(writable, bytes)
        HostMemory.unmap(executable, bytes)
    }

    /// The JIT of `cache`'s address space, made on first use; nil where there is none (not an
    /// x86-64 host, or the host refused the buffer: the interpreter runs).
    static func of(_ cache: PPCCodeCache, bytes: Int, threshold: UInt32, stats: UnsafeMutablePointer<ppc_jit_stats>) -> PPCJIT? {
        if let j = cache.engineState as? PPCJIT { return j }
        guard let j = PPCJIT(bytes: bytes, threshold: threshold, stats: stats) else { return nil }
        cache.engineState = j
        return j
    }
}
