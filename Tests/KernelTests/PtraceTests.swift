import Testing
@testable import GuestKernel
import LinuxABI

/// ptrace(2) against hostile and mistaken calls: Linux's errnos, never a trap in umlab.
@Suite struct PtraceHostile {
    static let TRACEME = 0, PEEKDATA = 2, PEEKUSER = 3, CONT = 7, ATTACH = 16, DETACH = 17
    static let SETOPTIONS = 0x4200, GETSIGINFO = 0x4202, SEIZE = 0x4206, GET_SYSCALL_INFO = 0x420e
    static let SIGSTOP = 19

    /// A child that asks to be traced and stops; the parent sees it stopped.
    static func tracedChild(_ t: ScriptThread, then child: @escaping Script = { _ in }) async throws -> Int {
        let pid = try await t.fork { c async throws in
            try await c.sys("ptrace", TRACEME, 0, 0, 0).get("TRACEME")
            #expect(try await c.sys("ptrace", TRACEME, 0, 0, 0) == .err(.EPERM))  // a second tracer
            let me = try await c.sys("getpid").get()
            try await c.sys("kill", me, SIGSTOP)
            try await child(c)
            try await c.sys("exit_group", 3)
        }.get()
        let (r, status) = try await t.wait(pid)
        #expect(r == .ok(pid))
        #expect(status == Int32(0x7f | SIGSTOP << 8), "status \(String(status, radix: 16))")
        return pid
    }

    @Test func requestsOnATracee() async throws {
        try await runGuest { t async throws in
            let pid = try await Self.tracedChild(t)
            let out = try t.alloc(128)
            #expect(try await t.sys("ptrace", 12345, pid, 0, out) == .err(.EIO))        // no such request
            #expect(try await t.sys("ptrace", -1, pid, 0, out) == .err(.EIO))
            #expect(try await t.sys("ptrace", Self.PEEKDATA, pid, 8, out) == .err(.EIO))  // unmapped in the tracee
            #expect(try await t.sys("ptrace", Self.PEEKDATA, pid, ScriptedKernel.scratchBase, 8) == .err(.EFAULT))  // our bad buffer
            #expect(try await t.sys("ptrace", Self.PEEKUSER, pid, 3, out) == .err(.EIO))  // misaligned
            #expect(try await t.sys("ptrace", Self.PEEKUSER, pid, 1 << 20, out) == .err(.EIO))  // past struct user
            #expect(try await t.sys("ptrace", Self.SETOPTIONS, pid, 0, 1 << 30) == .err(.EINVAL))
            #expect(try await t.sys("ptrace", Self.CONT, pid, 0, 100000) == .err(.EIO))  // no such signal
            #expect(try await t.sys("ptrace", Self.GETSIGINFO, pid, 0, 8) == .err(.EFAULT))
            #expect(try await t.sys("ptrace", Self.GETSIGINFO, pid, 0, out) == .ok(0))
            #expect(try t.i32(out) == Int32(Self.SIGSTOP))
            // Not a syscall stop: op 0, and only the common 24 bytes.
            #expect(try await t.sys("ptrace", Self.GET_SYSCALL_INFO, pid, 128, out) == .ok(24))
            #expect(try t.peek(out, 1) == [0])
            #expect(try await t.sys("ptrace", Self.ATTACH, pid, 0, 0) == .err(.EPERM))  // traced already
            try await t.sys("ptrace", Self.CONT, pid, 0, 0).get("CONT")
            let (r, status) = try await t.wait(pid)
            #expect(r == .ok(pid))
            #expect(WaitStatus.exited(status) == 3)
            #expect(try await t.sys("ptrace", Self.CONT, pid, 0, 0) == .err(.ESRCH))  // gone
        }
    }

    @Test func whoMayBeTraced() async throws {
        try await runGuest { t async throws in
            let me = try await t.sys("getpid").get()
            #expect(try await t.sys("ptrace", Self.ATTACH, me, 0, 0) == .err(.EPERM))  // itself
            #expect(try await t.sys("ptrace", Self.ATTACH, 1, 0, 0) == .err(.EPERM))   // init
            #expect(try await t.sys("ptrace", Self.ATTACH, 99999, 0, 0) == .err(.ESRCH))
            #expect(try await t.sys("ptrace", Self.ATTACH, -5, 0, 0) == .err(.ESRCH))
            #expect(try await t.sys("ptrace", Self.CONT, 99999, 0, 0) == .err(.ESRCH))
            #expect(try await t.sys("ptrace", Self.SEIZE, me, 8, 0) == .err(.EIO))       // addr must be 0
            #expect(try await t.sys("ptrace", Self.TRACEME, 0, 0, 0) == .err(.EPERM))   // the parent is init
            // An unprivileged tracer may not trace another user's process.
            let other = try await t.fork { c async throws in
                try await c.sys("setresuid", 1000, 1000, 1000).get("setresuid")
                let p = try await c.sys("getppid").get()
                #expect(try await c.sys("ptrace", Self.SEIZE, p, 0, 0) == .err(.EPERM))
            }.get()
            _ = try await t.wait(other)
            // A running child that is not traced: ESRCH for requests; attaching twice: EPERM.
            let child = try await t.fork { c async throws in try await c.sleep(nanoseconds: 50_000_000) }.get()
            #expect(try await t.sys("ptrace", Self.CONT, child, 0, 0) == .err(.ESRCH))
            #expect(try await t.sys("ptrace", Self.SEIZE, child, 0, 1 << 30) == .err(.EIO))  // bad options
            try await t.sys("ptrace", Self.SEIZE, child, 0, 0).get("SEIZE")
            #expect(try await t.sys("ptrace", Self.SEIZE, child, 0, 0) == .err(.EPERM))
            #expect(try await t.sys("ptrace", Self.ATTACH, child, 0, 0) == .err(.EPERM))
            #expect(try await t.sys("ptrace", Self.PEEKDATA, child, 0, 0) == .err(.ESRCH))  // running, not stopped
            let (r, status) = try await t.wait(child)
            #expect(r == .ok(child))
            #expect(WaitStatus.exited(status) == 0)
        }
    }

    @Test func processVMHostileArguments() async throws {
        try await runGuest { t async throws in
            let me = try await t.sys("getpid").get()
            let buf = try t.alloc(64), iov = try t.alloc(16), riov = try t.alloc(16)
            try t.setU64(iov, buf); try t.setU64(iov + 8, 16)
            try t.setU64(riov, buf + 32); try t.setU64(riov + 8, 16)
            #expect(try await t.sys("process_vm_readv", me, iov, 1, riov, 1, 1) == .err(.EINVAL))   // flags
            #expect(try await t.sys("process_vm_readv", me, iov, 1025, riov, 1, 0) == .err(.EINVAL)) // IOV_MAX
            #expect(try await t.sys("process_vm_readv", 99999, iov, 1, riov, 1, 0) == .err(.ESRCH))
            try t.setU64(riov, 8)  // unmapped remote memory
            #expect(try await t.sys("process_vm_readv", me, iov, 1, riov, 1, 0) == .err(.EFAULT))
            try t.setU64(riov, buf + 32)
            try t.poke(buf + 32, Array(repeating: 7, count: 16))
            #expect(try await t.sys("process_vm_readv", me, iov, 1, riov, 1, 0) == .ok(16))
            #expect(try t.peek(buf, 16) == Array(repeating: 7, count: 16))
            try t.setU64(iov + 8, UInt64.max)  // a length past SSIZE_MAX
            #expect(try await t.sys("process_vm_writev", me, iov, 1, riov, 1, 0) == .err(.EINVAL))
        }
    }
}
