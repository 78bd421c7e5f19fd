import GuestKernel
import HostOS
import LinuxABI

/// The stub: a tiny static ELF that every guest host process starts as (and re-execs on
/// execve), after UML's SKAS0 stub page. It maps a code page and a data page in the kernel's
/// reserved area at the top of the guest address space, and nothing else the guest can see.
///
/// The code page holds `syscall; int3`: the kernel injects an address-space operation by
/// pointing the stopped guest's registers at it and continuing; the int3 hands control back.
/// The data page carries the operation's strings (paths, argv). Guest code cannot reach the
/// host through it: under PTRACE_SYSEMU every guest `syscall` instruction traps to the kernel,
/// wherever it is.
enum StubImage {
    /// Start of the kernel-reserved area; guests map below it.
    static let base: UInt64 = 0x7fff_f000_0000
    /// `syscall; int3` in the code page.
    static let syscallSite: UInt64 = base + 0x100
    static let dataPage: UInt64 = base + 0x1000

    /// The ELF bytes (one r-x segment, one rw- page).
    static func elf() -> [UInt8] {
        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        // ELF header
        e.raw([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); e.zeros(8)
        e.u16(2); e.u16(62); e.u32(1)  // ET_EXEC, EM_X86_64
        e.u64(syscallSite + 2)  // entry: the int3 (never reached: the exec stop comes first)
        e.u64(64); e.u64(0)  // phoff, shoff
        e.u32(0); e.u16(64); e.u16(56); e.u16(3); e.u16(64); e.u16(0); e.u16(0)
        // PT_LOAD code: file [0, 0x1000) at base, r-x
        e.u32(1); e.u32(5); e.u64(0); e.u64(base); e.u64(base); e.u64(0x1000); e.u64(0x1000); e.u64(0x1000)
        // PT_LOAD data: one zero page, rw-
        e.u32(1); e.u32(6); e.u64(0x1000); e.u64(dataPage); e.u64(dataPage); e.u64(0); e.u64(0x1000); e.u64(0x1000)
        // PT_GNU_STACK: non-executable stack
        e.u32(0x6474_e551); e.u32(6); e.zeros(48)
        e.pad(to: 0x100)
        e.raw([0x0f, 0x05, 0xcc, 0xcc])  // syscall; int3
        e.pad(to: 0x1000)
        return e.bytes
    }

    /// Writes the stub into an executable memory file once per umlab run.
    static func memoryFile() throws(LinuxErrno) -> HostFD {
        let fd = try HostFD.memory(name: "umlab-stub", executable: true)
        var bytes = elf()
        try fd.writeAll(&bytes)
        return fd
    }
}
