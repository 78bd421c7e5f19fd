import Testing
@testable import GuestKernel

/// TT maps the kernel arena read-write into every guest: whatever a guest writes into record
/// headers must not steer where umlab puts records (Sources/GuestKernel/KernelArena.swift).
@Suite struct HostileKernelArena {
    /// The attack, on the arena alone: a credential record at the very end is freed
    /// with its header claiming a pipe ring's length. The next pipe ring must not go there
    /// (it would run past the arena's end): the arena is full, so the ring goes elsewhere.
    @Test func forgedLengthAtTheEndPlacesNothingPastIt() throws {
        let arena = try KernelArena()
        var pipes: [Int] = []
        while let r = arena.allocate(.pipe, owner: 1, payload: 65536) { pipes.append(r) }
        let cred = try #require(arena.allocate(.credentials, owner: 2, payload: 32))
        #expect(cred + 32 + 65536 > KernelArena.size)
        arena.setU32(cred - 4, 65536)  // the header's payload length (header + 12)
        arena.release(cred)
        #expect(arena.allocate(.pipe, owner: 3, payload: 65536) == nil)
        // The freed slot is still a credential record's, whatever its header says.
        #expect(arena.allocate(.credentials, owner: 4, payload: 32) == cred)
    }

    /// Random headers everywhere, then every record freed and allocated again: each one lies
    /// inside the arena, at a place it had before (sizes come from umlab's own table).
    @Test func randomHeadersChangeNoPlacement() throws {
        let arena = try KernelArena()
        var records: [(Int, KernelArena.Kind, Int)] = []
        for i in 0..<600 {
            let (kind, payload) = i % 3 == 0 ? (KernelArena.Kind.pipe, 65536) : (.credentials, 32)
            if let r = arena.allocate(kind, owner: Int32(i), payload: payload) { records.append((r, kind, payload)) }
        }
        var rng = SystemRandomNumberGenerator()
        for (r, _, _) in records {
            for word in 0..<4 { arena.setU32(r - 16 + 4 * word, UInt32.random(in: 0...UInt32.max, using: &rng)) }
        }
        arena.setU32(12, .max)
        arena.setU32(16, .max)
        let places = Set(records.map { $0.0 })
        for (r, _, _) in records { arena.release(r) }
        for (_, kind, payload) in records {
            let r = try #require(arena.allocate(kind, owner: 0, payload: payload))
            #expect(places.contains(r))
            #expect(r + payload <= KernelArena.size)
        }
    }
}
