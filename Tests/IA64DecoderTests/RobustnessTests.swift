import Testing
@testable import IA64Decoder

/// SplitMix64: small deterministic PRNG for reproducible fuzzing.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct RobustnessTests {
    /// One million random bundles decode without trapping; every slot of a
    /// reserved template is `.illegal`, MLX bundles yield `.lSlot` in slot 2.
    @Test func millionRandomBundlesDecode() {
        var rng = SplitMix64(state: 0x1A64_F00D)
        var illegal = 0
        for _ in 0..<1_000_000 {
            let b = IA64Decoder.Bundle(lo: rng.next(), hi: rng.next())
            let (a, m, c) = decode(bundle: b)
            if !b.templateInfo.isValid {
                #expect(a.op == .illegal && m.op == .illegal && c.op == .illegal)
            } else if b.templateInfo.unit(1) == .L {
                #expect(c.op == .lSlot)
            }
            if a.op == .illegal { illegal += 1 }
        }
        print("1,000,000 random bundles decoded; slot 0 illegal: \(illegal)")
    }

    /// A sample of random bundles also renders to text without trapping.
    @Test func randomBundlesDisassemble() {
        var rng = SplitMix64(state: 42)
        for k in 0..<50_000 {
            let b = IA64Decoder.Bundle(lo: rng.next(), hi: rng.next())
            let lines: [DisassemblyLine] = disassemble(bundle: b, address: UInt64(k) * 16)
            #expect(lines.count == (b.templateInfo.unit(1) == .L ? 2 : 3))
        }
    }

    @Test func templateTableShape() {
        let reserved: Set<Int> = [0x06, 0x07, 0x14, 0x15, 0x1A, 0x1B, 0x1E, 0x1F]
        for t in 0..<32 { #expect(templateTable[t].isValid == !reserved.contains(t)) }
        #expect(templateTable[0x02].stop(after: 1) && !templateTable[0x02].stop(after: 2))
        #expect(templateTable[0x0B].stop(after: 0) && templateTable[0x0B].stop(after: 2))
        #expect(MemoryLayout<Instruction>.size <= 24)
    }

    @Test func movlAndBrl() {
        // [MLX] nop.m 0x0 ; movl r8=0x123456789abcdef0;;  (from gas)
        let bytes: [UInt8] = [0x05, 0x00, 0x00, 0x00, 0x01, 0x80, 0x9a, 0x78, 0x56, 0x34, 0x12, 0x00, 0x01, 0x97, 0xf7, 0x66]
        let b = IA64Decoder.Bundle(bytes: bytes, offset: 0)
        let (_, lx, _) = decode(bundle: b)
        #expect(lx.op == .movl && lx.r1 == 8 && UInt64(bitPattern: lx.imm) == 0x1234_5678_9abc_def0)
        let text: String = disassemble(bundle: b, address: 0x10)
        #expect(text == "10: [MLX]       nop.m 0x0\n16:             movl r8=0x123456789abcdef0;;")
    }
}
