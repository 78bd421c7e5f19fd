import Testing
@testable import ArchIA64
@testable import ArchPowerPC
@testable import ArchX86_64
@testable import GuestKernel
import LinuxABI

/// Every ISA's table reaches the core's handlers for the calls every program makes.
@Suite struct TableCoverage {
    static let essential = [
        "read", "write", "openat", "close", "fstat", "lseek", "mmap", "munmap", "mprotect", "brk", "rt_sigaction",
        "rt_sigprocmask", "rt_sigreturn", "ioctl", "pread64", "writev", "pipe2", "dup3", "fcntl", "clone", "execve",
        "exit", "exit_group", "wait4", "kill", "getpid", "getppid", "gettid", "futex", "set_tid_address", "clock_gettime",
        "nanosleep", "uname", "getdents64", "newfstatat", "ppoll", "pselect6", "getrandom", "prlimit64", "tgkill",
    ]
    static var isas: [String: GuestABI] { ["x86_64": X86ABI.make(), "ppc": PPCABI.make(), "ia64": IA64ABI.make()] }

    @Test(arguments: ["x86_64", "ppc", "ia64"], essential)
    func present(_ isa: String, _ name: String) {
        let table = TableCoverage.isas[isa]!.syscalls
        let names = table.entries.compactMap { $0?.name }
        // 32-bit ABIs name some calls differently (fstat64, fstatat64, _time64 forms).
        let variants = [name, name + "64", name.replacingOccurrences(of: "newfstatat", with: "fstatat64"), name + "_time64"]
        #expect(variants.contains { names.contains($0) }, "\(isa) has no \(name)")
    }

    /// Within one table a name appears once, and every entry names a core handler.
    @Test(arguments: ["x86_64", "ppc", "ia64"])
    func namesAreUnique(_ isa: String) {
        let names = TableCoverage.isas[isa]!.syscalls.entries.compactMap { $0?.name }
        #expect(Set(names).count == names.count)
        #expect(names.count > 150)
    }

    /// A number with no entry is ENOSYS, counted, and never reaches anything else.
    @Test func unknownNumbersAreENOSYS() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("io_uring_setup", 1, 0) == .err(.ENOSYS))
            #expect(t.kernel.stats.unimplemented["io_uring_setup"] == 1)
        }
    }
}
