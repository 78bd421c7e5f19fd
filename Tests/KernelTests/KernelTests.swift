import Testing
@testable import GuestKernel
import LinuxABI

// In-process tests of the guest kernel: no guest binary, no host process per guest. Each suite
// drives the kernel's objects directly (or through a scripted backend over SoftMMU memory), so
// the whole target runs in seconds and can reach edge cases a real program seldom hits.

@Suite struct ErrnoBasics {
    @Test func namesAreLinuxNames() {
        #expect(LinuxErrno.ENOENT.name == "ENOENT")
        #expect(LinuxErrno.EAGAIN.rawValue == 11)
    }
}
