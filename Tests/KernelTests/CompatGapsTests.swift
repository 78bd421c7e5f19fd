import Testing
@testable import GuestKernel
import LinuxABI

// The battery's gaps (issue #12 item 4) with the values an attacker picks: xattr names, sizes
// and pointers; inotify descriptors and masks; memfd names and flags; O_PATH on every kind of
// object. Tests/programs/{opath,xattr,inotify,memfd,noreserve}.c check the everyday behaviour
// against Linux itself.

@Suite struct XattrEdges {
    static let shmem = MemoryController.Kind.shmem.rawValue

    @Test func hostileSizesNamesAndPointers() async throws {
        try await runGuest { t async throws in
            try await t.sys("close", try await t.open("/tmp/f", C.O_CREAT | C.O_WRONLY).get())
            // Sizes past 64 KiB: E2BIG to set (before the value is read), taken as 64 KiB to get.
            #expect(try await t.sys("setxattr", "/tmp/f", "user.a", 0, -1, 0) == .err(.E2BIG))
            #expect(try await t.sys("setxattr", "/tmp/f", "user.a", 0, 65537, 0) == .err(.E2BIG))
            #expect(try await t.sys("setxattr", "/tmp/f", "user.a", "v", 1, 0) == .ok(0))
            let buf = try t.alloc(16)
            #expect(try await t.sys("getxattr", "/tmp/f", "user.a", buf, -1) == .ok(1))
            #expect(try await t.sys("listxattr", "/tmp/f", buf, -1) == .ok(7))
            // A value of exactly 64 KiB is allowed; bad pointers are EFAULT; flags past the two.
            let big = try t.alloc(65536)
            #expect(try await t.sys("setxattr", "/tmp/f", "user.big", big, 65536, 0) == .ok(0))
            #expect(try await t.sys("getxattr", "/tmp/f", "user.big", 0, 0) == .ok(65536))
            #expect(try await t.sys("setxattr", "/tmp/f", "user.a", 8, 16, 0) == .err(.EFAULT))
            #expect(try await t.sys("getxattr", "/tmp/f", "user.a", 8, 16) == .err(.EFAULT))
            #expect(try await t.sys("getxattr", "/tmp/f", 8, buf, 16) == .err(.EFAULT))
            #expect(try await t.sys("setxattr", "/tmp/f", "user.a", "v", 1, -1) == .err(.EINVAL))
            // Names: 255 bytes with the prefix is the longest; empty or longer is ERANGE, even
            // when no NUL ends it within the page.
            #expect(try await t.sys("setxattr", "/tmp/f", "user." + String(repeating: "n", count: 250), "v", 1, 0) == .ok(0))
            #expect(try await t.sys("getxattr", "/tmp/f", "user." + String(repeating: "n", count: 251), buf, 16) == .err(.ERANGE))
            #expect(try await t.sys("removexattr", "/tmp/f", "") == .err(.ERANGE))
            // Descriptors that name nothing usable.
            #expect(try await t.sys("fgetxattr", -1, "user.a", buf, 16) == .err(.EBADF))
            #expect(try await t.sys("flistxattr", 999, buf, 16) == .err(.EBADF))
            let path = try await t.open("/tmp/f", C.O_PATH).get()
            #expect(try await t.sys("fremovexattr", path, "user.a") == .err(.EBADF))
        }
    }

    /// The read-only root shows no attributes and takes none.
    @Test func hostFilesHaveNone() async throws {
        try await runGuest { t async throws in
            let buf = try t.alloc(64)
            #expect(try await t.sys("getxattr", "/dir/file", "security.selinux", buf, 64) == .err(.ENODATA))
            #expect(try await t.sys("lgetxattr", "/dir/file", "user.a", buf, 64) == .err(.ENODATA))
            #expect(try await t.sys("listxattr", "/dir/file", buf, 64) == .ok(0))
            #expect(try await t.sys("setxattr", "/dir/file", "user.a", "v", 1, 0) == .err(.EROFS))
            #expect(try await t.sys("removexattr", "/dir/file", "user.a") == .err(.EROFS))
        }
    }

    /// Attributes are tmpfs memory: charged while they exist, ENOSPC past the limit, returned
    /// when they (or their file) go.
    @Test func chargedToTheMemoryLimit() async throws {
        try await runGuest(configure: { $0.limits.memory = 32 << 20 }) { t async throws in
            try await t.sys("close", try await t.open("/tmp/f", C.O_CREAT | C.O_WRONLY).get())
            let before = t.kernel.memory.byKind[XattrEdges.shmem]
            let value = try t.alloc(65536)
            #expect(try await t.sys("setxattr", "/tmp/f", "user.a", value, 65536, 0) == .ok(0))
            #expect(t.kernel.memory.byKind[XattrEdges.shmem] >= before + 65536)
            var i = 0, last = SysRet.ok(0)
            while i < 1000 {
                last = try await t.sys("setxattr", "/tmp/f", "user.x\(i)", value, 65536, 0)
                if last != .ok(0) { break }
                i += 1
            }
            #expect(last == .err(.ENOSPC))
            #expect(t.kernel.memory.usage <= 32 << 20)
            #expect(try await t.sys("unlink", "/tmp/f") == .ok(0))
            #expect(t.kernel.memory.byKind[XattrEdges.shmem] == before)
        }
    }
}

@Suite struct InotifyEdges {
    @Test func hostileDescriptorsAndMasks() async throws {
        try await runGuest { t async throws in
            let fd = try await t.sys("inotify_init1", 0).get()
            #expect(try await t.sys("inotify_init1", -1) == .err(.EINVAL))
            #expect(try await t.sys("inotify_add_watch", -1, "/tmp", 0x100) == .err(.EBADF))
            #expect(try await t.sys("inotify_add_watch", fd, "/tmp", 0xffff_ffff) == .err(.EINVAL))
            #expect(try await t.sys("inotify_add_watch", fd, "/tmp", 0x0100_0000) == .ok(1))  // IN_ONLYDIR alone
            #expect(try await t.sys("inotify_add_watch", fd, 0, 0x100) == .err(.EFAULT))
            #expect(try await t.sys("inotify_rm_watch", fd, Int(Int32.min)) == .err(.EINVAL))
            #expect(try await t.sys("inotify_rm_watch", fd, 0) == .err(.EINVAL))
            #expect(try await t.sys("inotify_rm_watch", -1, 1) == .err(.EBADF))
            #expect(try await t.sys("inotify_rm_watch", 0, 1) == .err(.EINVAL))
            // A read of 0 bytes, or into a bad buffer, with an event queued.
            let wd = try await t.sys("inotify_add_watch", fd, "/tmp", 0x100).get()
            #expect(wd == 1)  // the same inode: the same watch
            try await t.sys("mkdirat", C.AT_FDCWD, "/tmp/d", 0o755).get()
            #expect(try await t.sys("read", fd, try t.alloc(16), 0) == .err(.EINVAL))
            #expect(try await t.sys("read", fd, 8, 4096) == .err(.EFAULT))
            let (r, bytes) = try await t.read(fd, 4096)
            #expect(r == .ok(32))  // 16 + "d" padded to 16
            #expect(Array(bytes.prefix(8)) == [1, 0, 0, 0, 0, 1, 0, 0x40])  // wd 1, IN_CREATE|IN_ISDIR
            // Closing the instance ends its watches: later changes queue nothing anywhere.
            try await t.sys("close", fd).get()
            #expect(t.kernel.inotify.isIdle)
        }
    }

    /// max_user_instances: the 129th instance is EMFILE; closing one frees its place.
    @Test func instanceLimit() async throws {
        try await runGuest { t async throws in
            var fds: [Int] = []
            for _ in 0..<Inotify.maxUserInstances { fds.append(try await t.sys("inotify_init").get()) }
            #expect(try await t.sys("inotify_init") == .err(.EMFILE))
            try await t.sys("close", fds[0]).get()
            #expect(try await t.sys("inotify_init").errno == nil)
        }
    }
}

@Suite struct MemfdEdges {
    @Test func hostileNamesAndFlags() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("memfd_create", String(repeating: "n", count: 250), 0) == .err(.EINVAL))
            #expect(try await t.sys("memfd_create", String(repeating: "n", count: 5000), 0) == .err(.EINVAL))
            #expect(try await t.sys("memfd_create", 0, 0) == .err(.EFAULT))
            #expect(try await t.sys("memfd_create", "x", -1) == .err(.EINVAL))
            #expect(try await t.sys("memfd_create", "x", 4) == .err(.EINVAL))  // MFD_HUGETLB
            #expect(try await t.sys("memfd_create", "x", 0x18) == .err(.EINVAL))  // NOEXEC_SEAL | EXEC
            let fd = try await t.sys("memfd_create", "x", 2).get()
            #expect(try await t.sys("fcntl", fd, 1033, -1) == .err(.EINVAL))
            // A sparse file far larger than memory costs nothing until written.
            #expect(try await t.sys("ftruncate", fd, 1 << 50) == .ok(0))
            #expect(try await t.sys("fcntl", fd, 1033, 2) == .ok(0))  // F_SEAL_SHRINK
            #expect(try await t.sys("ftruncate", fd, 0) == .err(.EPERM))
            // MFD_NOEXEC_SEAL: sealing allowed, F_SEAL_EXEC set, mode without execute bits.
            let ne = try await t.sys("memfd_create", "y", 8).get()
            #expect(try await t.sys("fcntl", ne, 1034) == .ok(0x20))
        }
    }
}

@Suite struct OPathEdges {
    /// O_PATH opens objects that cannot be opened otherwise, and opens none of them.
    @Test func everyKindOfObject() async throws {
        try await runGuest { t async throws in
            try await t.sys("mknodat", C.AT_FDCWD, "/tmp/sock", 0o140644, 0).get()
            for path in ["/tmp/sock", "/dev/null", "/proc/self/status", "/proc/self/fd", "/"] {
                let fd = try await t.open(path, C.O_PATH).get()
                #expect(try await t.sys("read", fd, try t.alloc(8), 8) == .err(.EBADF), "\(path)")
                #expect(try await t.sys("ioctl", fd, 0x541B, try t.alloc(4)) == .err(.EBADF), "\(path)")
                #expect(try await t.sys("fstat", fd, try t.alloc(256)) == .ok(0), "\(path)")
            }
            // A symlink with O_NOFOLLOW; through /proc/self/fd it is the link itself.
            try await t.sys("symlinkat", "/nowhere", C.AT_FDCWD, "/tmp/l").get()
            let l = try await t.open("/tmp/l", C.O_PATH | C.O_NOFOLLOW).get()
            let buf = try t.alloc(64)
            #expect(try await t.sys("readlinkat", l, "", buf, 64) == .ok(8))
            #expect(try await t.sys("readlinkat", l, "", buf, 0) == .err(.EINVAL))
            #expect(try await t.sys("fchdir", l) == .err(.ENOTDIR))
            #expect(try await t.sys("getdents64", l, buf, 64) == .err(.EBADF))
            #expect(try await t.sys("mkdirat", C.AT_FDCWD, "/tmp/.", 0o755) == .err(.EEXIST))
        }
    }
}
