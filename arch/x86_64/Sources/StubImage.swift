import GuestKernel
import HostOS
import LinuxABI

/// The stub: a tiny static ELF that every guest host process starts as (and re-execs on
/// execve), after UML's SKAS0 stub page. It maps a code page and a data page in the kernel's
/// reserved area at the top of the guest address space, and the guest vDSO with its data page
/// (X86VDSO), which the kernel shows the guest as [vdso] and [vvar].
///
/// The code page holds `syscall; int3`: the kernel injects an address-space operation by
/// pointing the stopped guest's registers at it and continuing; the int3 hands control back.
/// After it, `batchSite` runs a list of calls from the data page in one trip, after the batch
/// of UML's SKAS0 stub: a table of `batchEntrySize`-byte entries (number, six arguments, the
/// result the stub stores, a control word), preceded by their count; it stops at the first
/// error, then int3. The control word lets a call use an earlier call's result, which the
/// kernel cannot know when it writes the table (the descriptor an openat returns, for the
/// mmaps of that file): bit 8 keeps the call's result in r15; a low byte i (1-6) replaces
/// argument i with r15 before the call. The data page carries the operation's strings (paths,
/// argv). Guest code cannot reach the host through it: under PTRACE_SYSEMU every guest
/// `syscall` instruction traps to the kernel, wherever it is.
enum StubImage {
    /// Start of the kernel-reserved area; guests map below it.
    static let base: UInt64 = 0x7fff_f000_0000
    /// `syscall; int3` in the code page.
    static let syscallSite: UInt64 = base + 0x100
    static let dataPage: UInt64 = base + 0x1000
    /// The batch loop (see above), and the address after its `syscall` (what seccomp reports).
    static let batchSite: UInt64 = base + 0x120
    static let batchSyscallReturn: UInt64 = batchSite + 0x43
    static let batchEntrySize = 72
    /// Control word bits of a batch entry (see above).
    static let batchKeepsResult: UInt64 = 0x100
    /// The loop, assembled from:
    ///
    ///         movabs $dataPage, %rbx
    ///         mov    (%rbx), %r12          # count
    ///         lea    8(%rbx), %r13         # first entry
    ///     1:  test   %r12, %r12
    ///         jz     2f
    ///         mov    64(%r13), %r14        # control
    ///         movzbl %r14b, %ecx
    ///         jrcxz  3f
    ///         mov    %r15, (%r13,%rcx,8)   # argument i := the kept result
    ///     3:  mov    (%r13), %rax          # number, then rdi rsi rdx r10 r8 r9
    ///         mov    8(%r13), %rdi ... mov 48(%r13), %r9
    ///         syscall
    ///         mov    %rax, 56(%r13)        # result
    ///         cmp    $-4095, %rax
    ///         jae    2f                    # an error ends the batch
    ///         bt     $8, %r14
    ///         jnc    4f
    ///         mov    %rax, %r15            # keep the result
    ///     4:  add    $72, %r13
    ///         dec    %r12
    ///         jmp    1b
    ///     2:  int3
    static let batchCode: [UInt8] = {
        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        e.raw([0x48, 0xbb]); e.u64(dataPage)
        e.raw([0x4c, 0x8b, 0x23, 0x4c, 0x8d, 0x6b, 0x08, 0x4d, 0x85, 0xe4, 0x74, 0x4c,
               0x4d, 0x8b, 0x75, 0x40, 0x41, 0x0f, 0xb6, 0xce, 0xe3, 0x05, 0x4d, 0x89, 0x7c, 0xcd, 0x00,
               0x49, 0x8b, 0x45, 0x00, 0x49, 0x8b, 0x7d, 0x08, 0x49, 0x8b, 0x75, 0x10, 0x49, 0x8b, 0x55, 0x18,
               0x4d, 0x8b, 0x55, 0x20, 0x4d, 0x8b, 0x45, 0x28, 0x4d, 0x8b, 0x4d, 0x30, 0x0f, 0x05,
               0x49, 0x89, 0x45, 0x38, 0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff, 0x73, 0x13,
               0x49, 0x0f, 0xba, 0xe6, 0x08, 0x73, 0x03, 0x49, 0x89, 0xc7,
               0x49, 0x83, 0xc5, 0x48, 0x49, 0xff, 0xcc, 0xeb, 0xaf, 0xcc])
        return e.bytes
    }()

    /// The ELF bytes: one r-x segment, one rw- page, the vDSO's data page (r--) and image (r-x).
    /// `hostClockGettime`: the host vDSO's clock_gettime (offset in its image), for the vDSO's
    /// data page.
    static func elf(hostClockGettime: UInt64?) -> [UInt8] {
        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        // ELF header
        e.raw([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); e.zeros(8)
        e.u16(2); e.u16(62); e.u32(1)  // ET_EXEC, EM_X86_64
        e.u64(syscallSite + 2)  // entry: the int3 (never reached: the exec stop comes first)
        e.u64(0x200); e.u64(0)  // phoff (after the code: five headers would pass the syscall site), shoff
        e.u32(0); e.u16(64); e.u16(56); e.u16(5); e.u16(64); e.u16(0); e.u16(0)
        e.pad(to: 0x100)
        e.raw([0x0f, 0x05, 0xcc, 0xcc])  // syscall; int3
        e.pad(to: Int(batchSite - base))
        e.raw(batchCode)
        e.pad(to: 0x200)
        // PT_LOAD code: file [0, 0x1000) at base, r-x
        e.u32(1); e.u32(5); e.u64(0); e.u64(base); e.u64(base); e.u64(0x1000); e.u64(0x1000); e.u64(0x1000)
        // PT_LOAD data: one zero page, rw-
        e.u32(1); e.u32(6); e.u64(0x1000); e.u64(dataPage); e.u64(dataPage); e.u64(0); e.u64(0x1000); e.u64(0x1000)
        // PT_LOAD the vDSO's data page: file [0x1000, 0x2000), r--
        e.u32(1); e.u32(4); e.u64(0x1000); e.u64(X86VDSO.dataPage); e.u64(X86VDSO.dataPage); e.u64(0x1000); e.u64(0x1000); e.u64(0x1000)
        // PT_LOAD the vDSO image: file [0x2000, ...), r-x
        let imageSize = UInt64(VDSOImage.bytes.count)
        e.u32(1); e.u32(5); e.u64(0x2000); e.u64(X86VDSO.image); e.u64(X86VDSO.image); e.u64(imageSize); e.u64(imageSize); e.u64(0x1000)
        // PT_GNU_STACK: non-executable stack
        e.u32(0x6474_e551); e.u32(6); e.zeros(48)
        e.pad(to: 0x1000)
        e.raw(X86VDSO.dataPageBytes(hostClockGettime: hostClockGettime))
        e.raw(VDSOImage.bytes)
        return e.bytes
    }

    /// Writes the stub into an executable memory file once per machine.
    static func memoryFile(hostClockGettime: UInt64?) throws(LinuxErrno) -> HostFD {
        let fd = try HostFD.memory(name: "umlab-stub", executable: true)
        var bytes = elf(hostClockGettime: hostClockGettime)
        try fd.writeAll(&bytes)
        return fd
    }

    /// Rewrites the vDSO's data page in the stub's file: every guest host process maps it
    /// privately and read-only, so each sees the change (the page is never copied).
    static func rewriteVDSOData(_ fd: HostFD, hostClockGettime: UInt64?) throws(LinuxErrno) {
        let bytes = X86VDSO.dataPageBytes(hostClockGettime: hostClockGettime)
        _ = try typedErrno { try bytes.withUnsafeBytes { p in try fd.write(p, at: 0x1000) } }
    }
}
