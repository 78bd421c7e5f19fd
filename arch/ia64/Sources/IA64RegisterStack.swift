import SoftMMU

// The register stack engine's memory side: backing-store address arithmetic, flushing the
// dirty frames with their NaT collections, and loading frames back from memory. Shared by the
// interpreter (flushrs, mov ar.bspstore/ar.rnat, br.ret below the loaded frames) and signal
// delivery (cover + flush, rt_sigreturn's reload).
//
// Model (see IA64State): `stacked[0...]` holds the registers from backing-store address
// `rbsBase` upward; `stacked[0..<flushed]` are also in memory. Registers below `rbsBase` are in
// memory only. Their NaT bits are in memory too, at the collection slot of their 64-doubleword
// group, except for the group that `rbsBase` lies in: its collection slot is at or above
// `rbsBase` and is written by the next flush, so the NaT bits of the registers below `rbsBase`
// in that group are kept in `rnatBase` (the RNAT register's role for the partial group).

extension IA64State {
    /// Bits 8:3 of a backing-store address: the position of its NaT bit in a collection.
    @inline(__always) static func slotIndex(_ a: UInt64) -> Int { Int((a >> 3) & 63) }
    /// Every 64th doubleword of a backing store holds the NaT bits of the 63 before it.
    @inline(__always) static func isCollection(_ a: UInt64) -> Bool { (a >> 3) & 63 == 63 }
    /// The collection slot that holds the NaT bit of the register at `a`.
    @inline(__always) static func collectionAddress(_ a: UInt64) -> UInt64 { a | 0x1f8 }

    /// The address `n` registers after (n < 0: before) `a`, skipping collection slots
    /// (Linux's ia64_rse_skip_regs).
    static func skipRegisters(_ a: UInt64, _ n: Int) -> UInt64 {
        var delta = slotIndex(a) + n
        if n < 0 { delta -= 62 }
        return a &+ UInt64(bitPattern: Int64(n + delta / 63) &* 8)
    }

    /// Registers (not collection slots) in [from, to) (Linux's ia64_rse_num_regs).
    static func registerCount(from: UInt64, to: UInt64) -> Int {
        let slots = Int(truncatingIfNeeded: Int64(bitPattern: to &- from) >> 3)
        return slots - (slotIndex(from) + slots) / 64
    }

    // MARK: Memory access (8-byte aligned doublewords, user permissions)

    func loadDoubleword(_ mem: SoftMemory, _ a: UInt64) throws(IA64Interpreter.Failure) -> UInt64 {
        guard a & 7 == 0, let p = mem.readPointer(a) else { throw .fault(a, false) }
        return p.load(as: UInt64.self)
    }
    func storeDoubleword(_ mem: SoftMemory, _ a: UInt64, _ v: UInt64) throws(IA64Interpreter.Failure) {
        guard a & 7 == 0, let p = mem.writePointer(a) else { throw .fault(a, true) }
        p.storeBytes(of: v, as: UInt64.self)
        if !alat.isEmpty { alat.invalidate(a, 8) }
    }

    // MARK: Flush

    /// flushrs: writes the stacked registers of the frames below the current one to the
    /// backing store, with their NaT collections, as the RSE would; afterwards ar.bspstore =
    /// ar.bsp and ar.rnat holds the NaT bits of the partial group below it.
    func flushRegisterStack(_ mem: SoftMemory) throws(IA64Interpreter.Failure) {
        if flushed == 0 && IA64State.isCollection(rbsBase) && bof > 0 {
            // The backing store starts on a collection slot: the bits kept for it go there first.
            try storeDoubleword(mem, rbsBase, rnatBase)
        }
        var k = flushed
        var collection = natBitsBelow(k)
        while k < bof {
            let a = backingAddress(k)
            try storeDoubleword(mem, a, stacked[k])
            if stackedNaT[k] != 0 { collection |= 1 << UInt64(IA64State.slotIndex(a)) }
            if IA64State.slotIndex(a) == 62 {  // the next doubleword is the group's collection
                try storeDoubleword(mem, a + 8, collection)
                collection = 0
            }
            k += 1
        }
        rnat = collection
        flushed = bof
    }

    /// NaT bits of the registers that precede entry `k` in its 64-doubleword group (from the
    /// register file, and from `rnatBase` for those below `rbsBase`).
    func natBitsBelow(_ k: Int) -> UInt64 {
        let a = backingAddress(k)
        let group = a & ~0x1ff
        var bits: UInt64 = 0
        var j = k - 1
        while j >= 0 {
            let b = backingAddress(j)
            if b & ~0x1ff != group { return bits }
            if stackedNaT[j] != 0 { bits |= 1 << UInt64(IA64State.slotIndex(b)) }
            j -= 1
        }
        if !IA64State.isCollection(rbsBase) && rbsBase & ~0x1ff == group { bits |= rnatBase }
        return bits
    }

    // MARK: A thread's own backing store

    /// A thread made by clone with a stack: its backing store starts at `base` (8-aligned, as
    /// the RSE takes ar.bspstore), empty. The current frame stays in the register file, where
    /// the thread finds the values it had at the call (glibc's __clone2 reads its input
    /// registers in the child); the frames below it are the parent's and are not carried over
    /// (a br.ret out of the current frame loads from below `base`, as the RSE would).
    func startBackingStore(at base: UInt64) {
        if bof > 0 {
            stacked.update(from: stacked + bof, count: cfm.sof)
            stackedNaT.update(from: stackedNaT + bof, count: cfm.sof)
        }
        bof = 0
        flushed = 0
        rbsBase = base & ~7
        rnatBase = 0
        rnat = 0
    }

    // MARK: Loading frames from memory

    /// The NaT bit of the register at backing address `a`, when every collection slot below
    /// `limit` is in memory and the one at or above it is `partial`.
    func natBit(_ mem: SoftMemory, _ a: UInt64, limit: UInt64, partial: UInt64) throws(IA64Interpreter.Failure) -> Bool {
        let c = IA64State.collectionAddress(a)
        let bits = c >= limit ? partial : try loadDoubleword(mem, c)
        return (bits >> UInt64(IA64State.slotIndex(a))) & 1 != 0
    }

    /// br.ret to a frame whose registers are no longer in the register file (the frames below
    /// `rbsBase`, after a signal return or a switch of backing store): loads the `count`
    /// registers below `rbsBase` from memory, as the RSE's mandatory fill does.
    func fillBelow(_ count: Int, _ mem: SoftMemory) throws(IA64Interpreter.Failure) {
        let live = bof + cfm.sof
        guard count > 0, live + count <= IA64State.stackedCapacity else { throw .illegal }
        let first = IA64State.skipRegisters(backingAddress(0), -count)
        var values = [UInt64](repeating: 0, count: count)
        var nats = [UInt8](repeating: 0, count: count)
        var a = first
        for j in 0..<count {
            if IA64State.isCollection(a) { a += 8 }
            values[j] = try loadDoubleword(mem, a)
            nats[j] = try natBit(mem, a, limit: rbsBase, partial: rnatBase) ? 1 : 0
            a += 8
        }
        let c = IA64State.collectionAddress(first)
        let below = c >= rbsBase ? rnatBase : try loadDoubleword(mem, c)
        (stacked + count).update(from: stacked, count: live)
        (stackedNaT + count).update(from: stackedNaT, count: live)
        for j in 0..<count { stacked[j] = values[j]; stackedNaT[j] = nats[j] }
        rnatBase = below & ((1 << UInt64(IA64State.slotIndex(first))) - 1)
        rbsBase = first
        bof += count
        flushed += count
    }

    /// Makes the frame of `frame.sof` registers that ends at backing address `bsp` the current
    /// frame, loaded from memory (NaT collections from memory below `bsp`, `rnat` for the
    /// partial group); the frames below it stay in memory and come back through `fillBelow`.
    /// Nothing changes if a load faults.
    func loadFrame(_ mem: SoftMemory, bsp: UInt64, frame: CFM, rnat partial: UInt64) throws(IA64Interpreter.Failure) {
        let base = IA64State.skipRegisters(bsp, -frame.sof)
        var values = [UInt64](repeating: 0, count: frame.sof)
        var nats = [UInt8](repeating: 0, count: frame.sof)
        for j in 0..<frame.sof {
            let a = IA64State.skipRegisters(base, j)
            values[j] = try loadDoubleword(mem, a)
            nats[j] = try natBit(mem, a, limit: bsp, partial: partial) ? 1 : 0
        }
        let c = IA64State.collectionAddress(base)
        let below = (c >= bsp ? partial : try loadDoubleword(mem, c)) & ((1 << UInt64(IA64State.slotIndex(base))) - 1)
        for j in 0..<frame.sof { stacked[j] = values[j]; stackedNaT[j] = nats[j] }
        rbsBase = base
        rnatBase = below
        rnat = below
        bof = 0
        flushed = 0
        cfm = frame
    }
}
