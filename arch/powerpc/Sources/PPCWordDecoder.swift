import Capstone

/// Decodes instruction words once per distinct word, with Capstone and the bit decoder side by
/// side. Capstone says whether a word is an instruction (and what it is called); the bit decoder
/// extracts the operand fields into the interpreter's form (see README: Capstone 4.0.2 reports
/// alias ids, unsigned immediates, and no OE forms, so its operands are not used directly).
///
/// Each distinct word meets Capstone once per backend (a memo), and decoded pages are cached by
/// address space, so Capstone is never on the execution path.
final class PPCWordDecoder {
    private var memo: [UInt32: PPCOp] = [:]
    private let capstone: Disassembler?
    /// Words Capstone accepts that the interpreter does not implement (they raise SIGILL).
    private(set) var unimplemented: UInt64 = 0
    /// Words the interpreter executes that Capstone 4.0.2 rejects (its known gaps: OE forms ...).
    private(set) var capstoneGaps: UInt64 = 0
    private(set) var capstoneCalls: UInt64 = 0

    init(capstone: Disassembler?) { self.capstone = capstone }

    func decode(_ word: UInt32) -> PPCOp {
        if let op = memo[word] { return op }
        let op = PPCDecoder.decode(word)
        if let capstone {
            capstoneCalls += 1
            let bytes = [UInt8(word >> 24), UInt8((word >> 16) & 0xff), UInt8((word >> 8) & 0xff), UInt8(word & 0xff)]
            let known = capstone.instruction(bytes, address: 0) != nil
            if known && op.kind == .illegal { unimplemented += 1 }
            if !known && op.kind != .illegal { capstoneGaps += 1 }
        }
        memo[word] = op
        return op
    }
}
