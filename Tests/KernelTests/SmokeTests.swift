import Testing
@testable import GuestKernel
import LinuxABI

@Suite struct Smoke {
    @Test func getpidAndExitStatus() async throws {
        let k = try ScriptedKernel()
        let status = try await k.run { t in
            #expect(try await t.sys("getpid") == .ok(2))
            #expect(try await t.sys("getppid") == .ok(1))
            #expect(try await t.sys("close", 99) == .err(.EBADF))
            try await t.sys("exit_group", 7)
        }
        #expect(status == 7)
    }
}
