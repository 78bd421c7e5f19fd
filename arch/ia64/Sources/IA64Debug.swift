import GuestKernel
import IA64Decoder
import LinuxABI
import SoftMMU

// What a debugger needs of IA-64 beyond the register table: hardware breakpoints per slot
// (made when the bundle is decoded) and the register stack as gdb reads it.

extension CodeCache where Op == DecodedBundle {
    /// The decoded-bundle cache, with hardware breakpoints decoded as gdb's `break 0xccccc` in
    /// their slot (the address is gdb's pc form, bundle | slot).
    static func forDebugging() -> IA64CodeCache {
        let cache = IA64CodeCache.ia64()
        cache.makeBreakpoint = { ops, address in
            let b = Instruction(.breakI, imm: IA64Interpreter.gdbBreakImmediate)
            (ops + Int((address & 0xfff) >> 4)).pointee.replace(slot: Int(address & 15), with: b)
        }
        return cache
    }
}

extension IA64Backend {
    /// None: gdb's ia64 target has no XML target description; it knows the raw 462-register
    /// layout (IA64RegisterTable) by itself, and the stub then offers no qXfer:features.
    public var gdbTargetDescription: String? { nil }
}

extension IA64Context {
    func setDebugPoints(_ points: [DebugPoint]) throws(LinuxErrno) { try memory.setDebugPoints(points) }

    /// ar.bsp as gdb's ia64 GNU/Linux target reads it: Linux's ptrace reports the end of the
    /// current frame (PT_AR_BSP), and gdb finds r32… of the frame at bsp − sof in memory. So
    /// the dirty stacked registers are written to their backing-store addresses first, as
    /// Linux's ptrace does (ia64_sync_user_rbs): the frames below the current one by a flush
    /// (flushrs: ar.bspstore moves up to ar.bsp), the current frame's as plain stores above
    /// it, which the RSE treats as free space.
    func debuggerBSP() -> UInt64 {
        let s = state
        try? s.flushRegisterStack(memory)
        var collection = s.natBitsBelow(s.bof)
        for k in s.bof..<(s.bof + s.cfm.sof) {
            let a = s.backingAddress(k)
            guard (try? s.storeDoubleword(memory, a, s.stacked[k])) != nil else { break }
            if s.stackedNaT[k] != 0 { collection |= 1 << UInt64(IA64State.slotIndex(a)) }
            if IA64State.slotIndex(a) == 62 {
                _ = try? s.storeDoubleword(memory, a + 8, collection)
                collection = 0
            }
        }
        return IA64State.skipRegisters(s.bsp, s.cfm.sof)
    }
}
