import CCapstone

/// A Capstone disassembler for one architecture and mode (libcapstone, Debian's 4.0.2).
///
/// Used off the hot path only: crash reports and `umlab disasm`. The interpreters decode once
/// into their own form and never call Capstone per executed instruction.
public final class Disassembler {
    public enum Architecture { case x86_64, ppc32BigEndian }
    private var handle: csh = 0

    public init?(_ arch: Architecture) {
        let (a, m): (cs_arch, cs_mode)
        switch arch {
        case .x86_64: (a, m) = (CS_ARCH_X86, CS_MODE_64)
        case .ppc32BigEndian: (a, m) = (CS_ARCH_PPC, cs_mode(CS_MODE_32.rawValue | CS_MODE_BIG_ENDIAN.rawValue))
        }
        guard cs_open(a, m, &handle) == CS_ERR_OK else { return nil }
    }
    deinit { cs_close(&handle) }

    /// The first instruction in `bytes` at `address`: its text ("mov rax, qword ptr [rbx]") and length.
    public func instruction(_ bytes: [UInt8], address: UInt64) -> (text: String, length: Int)? {
        var insn: UnsafeMutablePointer<cs_insn>?
        let n = bytes.withUnsafeBufferPointer { cs_disasm(handle, $0.baseAddress, $0.count, address, 1, &insn) }
        guard n > 0, let i = insn else { return nil }
        defer { cs_free(insn, n) }
        let mnemonic = withUnsafeBytes(of: i.pointee.mnemonic) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let operands = withUnsafeBytes(of: i.pointee.op_str) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return (operands.isEmpty ? mnemonic : mnemonic + " " + operands, Int(i.pointee.size))
    }
}
