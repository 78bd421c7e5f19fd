import Testing
@testable import GuestKernel
import LinuxABI

/// Path walk over the fixture root (see `Fixture`): what open(2) gives, as Linux gives it.
@Suite struct PathWalk {
    struct Case: CustomTestStringConvertible, Sendable {
        var path: String, flags: Int = 0
        /// The file's content, or the errno.
        var expect: Result<String, LinuxErrno>
        var testDescription: String { "\(path) flags=0o\(String(flags, radix: 8))" }
    }
    static let cases: [Case] = [
        Case(path: "/etc/hostname", expect: .success("scripted\n")),
        Case(path: "etc/hostname", expect: .success("scripted\n")),
        Case(path: "/etc//hostname", expect: .success("scripted\n")),
        Case(path: "//etc/./hostname", expect: .success("scripted\n")),
        Case(path: "/dir/sub/../file", expect: .success("file")),
        Case(path: "/dir/./sub/./deep", expect: .success("deep")),
        Case(path: "/dir/link-rel", expect: .success("file")),
        Case(path: "/dir/link-abs", expect: .success("scripted\n")),
        Case(path: "/dir/link-dir/deep", expect: .success("deep")),
        Case(path: "/dir/link-dir/../file", expect: .success("file")),
        Case(path: "/self/self/dir/file", expect: .success("file")),
        Case(path: "/dir/file/", expect: .failure(.ENOTDIR)),
        Case(path: "/dir/file/.", expect: .failure(.ENOTDIR)),
        Case(path: "/dir/file/x", expect: .failure(.ENOTDIR)),
        Case(path: "/dir/link-rel/", expect: .failure(.ENOTDIR)),
        Case(path: "/dir/missing", expect: .failure(.ENOENT)),
        Case(path: "/missing/file", expect: .failure(.ENOENT)),
        Case(path: "", expect: .failure(.ENOENT)),
        Case(path: "/dir/dangling", expect: .failure(.ENOENT)),
        Case(path: "/loop1", expect: .failure(.ELOOP)),
        Case(path: "/loop1/x", expect: .failure(.ELOOP)),
        Case(path: "/dir/link-rel", flags: C.O_NOFOLLOW, expect: .failure(.ELOOP)),
        Case(path: "/dir/file", flags: C.O_NOFOLLOW, expect: .success("file")),
        Case(path: "/dir/link-dir/deep", flags: C.O_NOFOLLOW, expect: .success("deep")),
        Case(path: "/dir/file", flags: C.O_DIRECTORY, expect: .failure(.ENOTDIR)),
        Case(path: "/dir/link-rel", flags: C.O_DIRECTORY, expect: .failure(.ENOTDIR)),
        Case(path: "/dir", flags: C.O_WRONLY, expect: .failure(.EISDIR)),
        Case(path: "/dir", flags: C.O_RDWR, expect: .failure(.EISDIR)),
        Case(path: "/etc/hostname", flags: C.O_WRONLY, expect: .failure(.EROFS)),
        Case(path: "/etc/new", flags: C.O_WRONLY | C.O_CREAT, expect: .failure(.EROFS)),
        // Confinement: neither `..` nor an absolute symlink leaves the root.
        Case(path: "/../../../etc/hostname", expect: .success("scripted\n")),
        Case(path: "/dir/../../etc/hostname", expect: .success("scripted\n")),
        Case(path: "/escape-abs/etc/hostname", expect: .success("scripted\n")),
        Case(path: "/escape-dots/etc/hostname", expect: .success("scripted\n")),
        Case(path: "/escape-abs/../../etc/passwd", expect: .success("root:x:0:0::/root:/bin/sh\n")),
        Case(path: "/escape-dots/escape-dots/dir/file", expect: .success("file")),
        Case(path: "/proc/../etc/hostname", expect: .success("scripted\n")),
        Case(path: "/tmp/../etc/hostname", expect: .success("scripted\n")),
        Case(path: "/dev/../dir/link-dir/deep", expect: .success("deep")),
    ]

    @Test(arguments: cases)
    func open(_ c: Case) async throws {
        try await runGuest { t async throws in
            let got = try await t.contents(c.path, flags: c.flags)
            switch (got, c.expect) {
            case (.success(let a), .success(let b)): #expect(a == b)
            case (.failure(let a), .failure(let b)): #expect(a == b)
            default: Issue.record("\(c.path): got \(got), expected \(c.expect)")
            }
        }
    }

    @Test(arguments: ["/dir", "/dir/", "/dir/link-dir", "/dir/link-dir/", "/", "/..", "/escape-abs", "/tmp", "/proc/self/"])
    func directoriesOpenWithODirectory(_ path: String) async throws {
        try await runGuest { t async throws in
            let fd = try await t.open(path, C.O_RDONLY | C.O_DIRECTORY).get(path)
            #expect(try await t.fstat(fd).mode & C.S_IFMT == C.S_IFDIR)
        }
    }

    /// A component longer than NAME_MAX (255), or a path of PATH_MAX (4096) bytes with no NUL.
    @Test(arguments: [256, 300, 4096, 5000])
    func nameTooLong(_ n: Int) async throws {
        try await runGuest { t async throws in
            let path = n >= 4096 ? "/" + String(repeating: "a/", count: n / 2) : "/tmp/" + String(repeating: "x", count: n)
            #expect(try await t.open(path, C.O_RDONLY) == .err(.ENAMETOOLONG))
            #expect(try await t.open(path, C.O_RDWR | C.O_CREAT) == .err(.ENAMETOOLONG))
        }
    }

    @Test func longestNameIsAllowed() async throws {
        try await runGuest { t async throws in
            let path = "/tmp/" + String(repeating: "x", count: 255)
            let r = try await t.open(path, C.O_RDWR | C.O_CREAT)
            #expect(r == .ok(3))
            // 4095 bytes and the NUL fit PATH_MAX: the walk itself fails.
            #expect(try await t.open("/" + String(repeating: "a/", count: 2047), C.O_RDONLY) == .err(.ENOENT))
        }
    }

    /// Linux follows at most 40 symlinks in one lookup.
    @Test(arguments: [(39, true), (40, true), (41, false)])
    func symlinkChain(_ n: Int, _ resolves: Bool) async throws {
        try await runGuest { t async throws in
            try await t.sys("close", try await t.open("/tmp/target", C.O_CREAT | C.O_WRONLY).get())
            try await t.sys("symlinkat", "target", C.AT_FDCWD, "/tmp/l0").get()
            for i in 1..<n { try await t.sys("symlinkat", "l\(i - 1)", C.AT_FDCWD, "/tmp/l\(i)").get() }
            let r = try await t.open("/tmp/l\(n - 1)", C.O_RDONLY)
            if resolves { #expect(r.errno == nil) } else { #expect(r.errno == .ELOOP) }
        }
    }

    @Test func pathArgumentFaults() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("openat", C.AT_FDCWD, 0, 0) == .err(.EFAULT))
            #expect(try await t.sys("openat", C.AT_FDCWD, 0x8000_0000, 0) == .err(.EFAULT))
        }
    }

    @Test func chdirAndRelativeWalk() async throws {
        try await runGuest { t async throws in
            try await t.sys("chdir", "/dir/link-dir").get()
            #expect(try await t.contents("deep") == .success("deep"))
            #expect(try await t.contents("../file") == .success("file"))
            let buf = try t.alloc(256)
            let n = try await t.sys("getcwd", buf, 256).get()
            #expect(String(decoding: try t.peek(buf, n - 1), as: UTF8.self) == "/dir/sub")
            #expect(try await t.sys("chdir", "/dir/file") == .err(.ENOTDIR))
            #expect(try await t.sys("getcwd", buf, 3) == .err(.ERANGE))
        }
    }

    @Test func chrootConfines() async throws {
        try await runGuest { t async throws in
            try await t.sys("chroot", "/dir").get()
            try await t.sys("chdir", "/").get()
            #expect(try await t.contents("/file") == .success("file"))
            #expect(try await t.contents("/../file") == .success("file"))
            #expect(try await t.contents("/../etc/hostname") == .failure(.ENOENT))
        }
    }

    @Test(arguments: [("/dir/link-rel", "file"), ("/dir/link-abs", "/etc/hostname"), ("/escape-dots", "../../..")])
    func readlink(_ path: String, _ target: String) async throws {
        try await runGuest { t async throws in
            let buf = try t.alloc(256)
            let n = try await t.sys("readlinkat", C.AT_FDCWD, path, buf, 256).get()
            #expect(String(decoding: try t.peek(buf, n), as: UTF8.self) == target)
            #expect(try await t.sys("readlinkat", C.AT_FDCWD, "/dir/file", buf, 256) == .err(.EINVAL))
        }
    }

    @Test func lstatSeesTheLink() async throws {
        try await runGuest { t async throws in
            let l = try await t.stat("/dir/link-rel", follow: false).get()
            #expect(l.mode & C.S_IFMT == C.S_IFLNK)
            let f = try await t.stat("/dir/link-rel").get()
            #expect(f.mode & C.S_IFMT == C.S_IFREG)
            #expect(f.size == 4)
        }
    }
}

/// openat flags and file operations on tmpfs (/tmp).
@Suite struct TmpFSFiles {
    @Test func createExclusive() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/a", C.O_CREAT | C.O_EXCL | C.O_WRONLY).get()
            #expect(fd == 3)
            #expect(try await t.open("/tmp/a", C.O_CREAT | C.O_EXCL | C.O_WRONLY) == .err(.EEXIST))
            #expect(try await t.open("/tmp/a", C.O_CREAT | C.O_WRONLY) == .ok(4))
            // O_EXCL does not follow a symlink, even a dangling one.
            try await t.sys("symlinkat", "/tmp/nothing", C.AT_FDCWD, "/tmp/dangle").get()
            #expect(try await t.open("/tmp/dangle", C.O_CREAT | C.O_EXCL | C.O_WRONLY) == .err(.EEXIST))
            #expect(try await t.open("/tmp/missing/a", C.O_CREAT | C.O_WRONLY) == .err(.ENOENT))
            #expect(try await t.open("/tmp/a/b", C.O_CREAT | C.O_WRONLY) == .err(.ENOTDIR))
            #expect(try await t.open("/tmp/", C.O_CREAT | C.O_WRONLY) == .err(.EISDIR))
        }
    }

    /// Linux creates the target of a dangling symlink (without O_EXCL or O_NOFOLLOW).
    @Test func createThroughDanglingSymlink() async throws {
        await withKnownIssue("core: open(O_CREAT) through a dangling symlink gives ENOENT instead of creating the target") {
        try await runGuest { t async throws in
            try await t.sys("symlinkat", "made", C.AT_FDCWD, "/tmp/dangle").get()
            let fd = try await t.open("/tmp/dangle", C.O_CREAT | C.O_WRONLY).get()
            try await t.write(fd, "via link").get()
            #expect(try await t.contents("/tmp/made") == .success("via link"))
        }
        }
    }

    @Test func modeHonoursUmask() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("umask", 0o027) == .ok(0o022))
            try await t.open("/tmp/m", C.O_CREAT | C.O_WRONLY, 0o777).get()
            #expect(try await t.stat("/tmp/m").get().mode & 0o7777 == 0o750)
        }
    }

    @Test func truncateOnOpen() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/f", C.O_CREAT | C.O_RDWR).get()
            try await t.write(fd, "hello world").get()
            #expect(try await t.stat("/tmp/f").get().size == 11)
            let fd2 = try await t.open("/tmp/f", C.O_WRONLY | C.O_TRUNC).get()
            #expect(try await t.fstat(fd2).size == 0)
            // The first descriptor's offset is past the end: a read there gives EOF.
            #expect(try await t.read(fd, 10).0 == .ok(0))
        }
    }

    @Test func readWriteSeek() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/f", C.O_CREAT | C.O_RDWR).get()
            #expect(try await t.write(fd, "0123456789") == .ok(10))
            #expect(try await t.sys("lseek", fd, 0, C.SEEK_CUR) == .ok(10))
            #expect(try await t.sys("lseek", fd, 2, C.SEEK_SET) == .ok(2))
            #expect(try await t.readString(fd, 3) == "234")
            #expect(try await t.sys("lseek", fd, -1, C.SEEK_END) == .ok(9))
            #expect(try await t.readString(fd, 10) == "9")
            #expect(try await t.sys("lseek", fd, -20, C.SEEK_CUR) == .err(.EINVAL))
            #expect(try await t.sys("lseek", fd, 0, 7) == .err(.EINVAL))
            // Writing past the end leaves a hole that reads as zeros.
            #expect(try await t.sys("lseek", fd, 20, C.SEEK_SET) == .ok(20))
            try await t.write(fd, "x").get()
            #expect(try await t.fstat(fd).size == 21)
            try await t.sys("lseek", fd, 10, C.SEEK_SET).get()
            #expect(try await t.read(fd, 20).1 == [UInt8](repeating: 0, count: 10) + [0x78])
        }
    }

    @Test func appendWritesAtTheEnd() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/f", C.O_CREAT | C.O_RDWR | C.O_APPEND).get()
            try await t.write(fd, "abc").get()
            try await t.sys("lseek", fd, 0, C.SEEK_SET).get()
            try await t.write(fd, "def").get()
            #expect(try await t.contents("/tmp/f") == .success("abcdef"))
        }
    }

    @Test func preadPwriteKeepTheOffset() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/f", C.O_CREAT | C.O_RDWR).get()
            try await t.write(fd, "abcdef").get()
            #expect(try await t.sys("pwrite64", fd, try t.cString("XY"), 2, 1) == .ok(2))
            let buf = try t.alloc(8)
            #expect(try await t.sys("pread64", fd, buf, 4, 0) == .ok(4))
            #expect(try t.peek(buf, 4) == Array("aXYd".utf8))
            #expect(try await t.sys("lseek", fd, 0, C.SEEK_CUR) == .ok(6))
            #expect(try await t.sys("pread64", fd, buf, 4, -1) == .err(.EINVAL))
        }
    }

    @Test(arguments: [(0, 0), (3, 3), (100, 100), (5000, 5000)])
    func ftruncate(_ size: Int, _ expected: Int) async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/f", C.O_CREAT | C.O_RDWR).get()
            try await t.write(fd, "0123456789").get()
            try await t.sys("ftruncate", fd, size).get()
            #expect(try await t.fstat(fd).size == expected)
            let content = try await t.contents("/tmp/f")
            let want = size <= 10 ? String("0123456789".prefix(size)) : "0123456789" + String(repeating: "\0", count: size - 10)
            #expect(content == .success(want))
        }
    }

    @Test func ftruncateErrors() async throws {
        try await runGuest { t async throws in
            let ro = try await t.open("/tmp/f", C.O_CREAT | C.O_RDONLY).get()
            #expect(try await t.sys("ftruncate", ro, 0) == .err(.EINVAL))
            let rw = try await t.open("/tmp/f", C.O_RDWR).get()
            #expect(try await t.sys("ftruncate", rw, -1) == .err(.EINVAL))
            #expect(try await t.sys("ftruncate", 99, 0) == .err(.EBADF))
        }
    }

    @Test func renameReplacesAtomically() async throws {
        try await runGuest { t async throws in
            try await t.write(try await t.open("/tmp/a", C.O_CREAT | C.O_WRONLY).get(), "A").get()
            try await t.write(try await t.open("/tmp/b", C.O_CREAT | C.O_WRONLY).get(), "B").get()
            try await t.sys("renameat", C.AT_FDCWD, "/tmp/a", C.AT_FDCWD, "/tmp/b").get()
            #expect(try await t.contents("/tmp/b") == .success("A"))
            #expect(try await t.contents("/tmp/a") == .failure(.ENOENT))
            #expect(try await t.sys("renameat", C.AT_FDCWD, "/tmp/a", C.AT_FDCWD, "/tmp/c") == .err(.ENOENT))
            // Renaming a file onto itself does nothing.
            #expect(try await t.sys("renameat", C.AT_FDCWD, "/tmp/b", C.AT_FDCWD, "/tmp/b") == .ok(0))
        }
    }

    @Test func renameDirectories() async throws {
        try await runGuest { t async throws in
            for d in ["/tmp/d1", "/tmp/d2", "/tmp/full"] { try await t.sys("mkdirat", C.AT_FDCWD, d, 0o755).get() }
            try await t.open("/tmp/full/x", C.O_CREAT | C.O_WRONLY).get()
            try await t.open("/tmp/file", C.O_CREAT | C.O_WRONLY).get()
            #expect(try await t.sys("renameat", C.AT_FDCWD, "/tmp/d1", C.AT_FDCWD, "/tmp/full") == .err(.ENOTEMPTY))
            #expect(try await t.sys("renameat", C.AT_FDCWD, "/tmp/file", C.AT_FDCWD, "/tmp/d1") == .err(.EISDIR))
            #expect(try await t.sys("renameat", C.AT_FDCWD, "/tmp/d1", C.AT_FDCWD, "/tmp/file") == .err(.ENOTDIR))
            #expect(try await t.sys("renameat", C.AT_FDCWD, "/tmp/d1", C.AT_FDCWD, "/tmp/d1/sub") == .err(.EINVAL))
            #expect(try await t.sys("renameat", C.AT_FDCWD, "/tmp/d1", C.AT_FDCWD, "/tmp/d2") == .ok(0))
            #expect(try await t.stat("/tmp/d1").map(\.size) == .failure(.ENOENT))
        }
    }

    @Test func renameAcrossFilesystems() async throws {
        try await runGuest { t async throws in
            try await t.open("/tmp/f", C.O_CREAT | C.O_WRONLY).get()
            #expect(try await t.sys("renameat", C.AT_FDCWD, "/tmp/f", C.AT_FDCWD, "/dev/shm/f") == .err(.EXDEV))
        }
    }

    @Test func unlinkKeepsOpenFiles() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/f", C.O_CREAT | C.O_RDWR).get()
            try await t.write(fd, "still here").get()
            try await t.sys("unlinkat", C.AT_FDCWD, "/tmp/f", 0).get()
            #expect(try await t.stat("/tmp/f").map(\.size) == .failure(.ENOENT))
            try await t.sys("lseek", fd, 0, C.SEEK_SET).get()
            #expect(try await t.readString(fd) == "still here")
            #expect(try await t.fstat(fd).size == 10)
        }
    }

    @Test func unlinkAndRmdirErrors() async throws {
        try await runGuest { t async throws in
            try await t.sys("mkdirat", C.AT_FDCWD, "/tmp/d", 0o755).get()
            try await t.open("/tmp/d/x", C.O_CREAT | C.O_WRONLY).get()
            #expect(try await t.sys("unlinkat", C.AT_FDCWD, "/tmp/d", 0) == .err(.EISDIR))
            #expect(try await t.sys("unlinkat", C.AT_FDCWD, "/tmp/d", 0x200) == .err(.ENOTEMPTY))
            #expect(try await t.sys("unlinkat", C.AT_FDCWD, "/tmp/d/x", 0x200) == .err(.ENOTDIR))
            #expect(try await t.sys("unlinkat", C.AT_FDCWD, "/tmp/d/missing", 0) == .err(.ENOENT))
            #expect(try await t.sys("mkdirat", C.AT_FDCWD, "/tmp/d", 0o755) == .err(.EEXIST))
            #expect(try await t.sys("unlinkat", C.AT_FDCWD, "/etc/passwd", 0) == .err(.EROFS))
            // The generated /etc/hostname is a mount point (Net/GuestEtcFiles.swift).
            #expect(try await t.sys("unlinkat", C.AT_FDCWD, "/etc/hostname", 0) == .err(.EBUSY))
            #expect(try await t.sys("unlinkat", C.AT_FDCWD, "/tmp/d/x", 0) == .ok(0))
            #expect(try await t.sys("unlinkat", C.AT_FDCWD, "/tmp/d", 0x200) == .ok(0))
        }
    }

    /// mknod of device nodes as root (mdev, a chroot's /dev): the node keeps its number, opens
    /// the machine's device of that number, and any other number is ENXIO.
    @Test func deviceNodesOnTmpfs() async throws {
        try await runGuest { t async throws in
            let null: UInt32 = 1 << 8 | 3, absent: UInt32 = 250 << 8 | 7
            try await t.sys("mknodat", C.AT_FDCWD, "/tmp/null", 0o20666, null).get()
            try await t.sys("mknodat", C.AT_FDCWD, "/tmp/disk", 0o60600, absent).get()
            let st = try t.alloc(144)
            try await t.sys("newfstatat", C.AT_FDCWD, "/tmp/null", st, 0).get()
            #expect(try t.u32(st + 24) & 0o170000 == 0o20000)  // st_mode: a character device
            #expect(try t.u64(st + 40) == UInt64(null))  // st_rdev
            let fd = try await t.open("/tmp/null", C.O_RDWR).get()
            #expect(try await t.write(fd, "gone") == .ok(4))
            #expect(try await t.read(fd, 10).0 == .ok(0))
            #expect(try await t.open("/tmp/disk", C.O_RDONLY) == .err(.ENXIO))
            // Directories are not made by mknod; unknown types are EINVAL; /etc is read-only.
            #expect(try await t.sys("mknodat", C.AT_FDCWD, "/tmp/d", 0o40755, 0) == .err(.EPERM))
            #expect(try await t.sys("mknodat", C.AT_FDCWD, "/tmp/x", 0o170644, 0) == .err(.EINVAL))
            #expect(try await t.sys("mknodat", C.AT_FDCWD, "/etc/null", 0o20666, null) == .err(.EROFS))
            #expect(try await t.sys("mknodat", C.AT_FDCWD, "/tmp/null", 0o20666, null) == .err(.EEXIST))
        }
    }

    /// The superseded time calls programs still make: utime's seconds, utimes' microseconds.
    @Test func utimeAndUtimes() async throws {
        try await runGuest { t async throws in
            _ = try await t.open("/tmp/f", C.O_CREAT | C.O_WRONLY).get()
            let st = try t.alloc(144)
            try await t.sys("utime", "/tmp/f", try t.place(ScriptThread.bytes(1000, 8) + ScriptThread.bytes(2000, 8))).get()
            try await t.sys("newfstatat", C.AT_FDCWD, "/tmp/f", st, 0).get()
            #expect(try t.i64(st + 72) == 1000 && t.i64(st + 88) == 2000)  // st_atime, st_mtime
            let tv = try t.place(ScriptThread.bytes(3000, 8) + ScriptThread.bytes(5, 8) + ScriptThread.bytes(4000, 8) + ScriptThread.bytes(6, 8))
            try await t.sys("utimes", "/tmp/f", tv).get()
            try await t.sys("newfstatat", C.AT_FDCWD, "/tmp/f", st, 0).get()
            #expect(try t.i64(st + 88) == 4000 && t.i64(st + 96) == 6000)  // st_mtime, its nanoseconds
            let bad = try t.place(ScriptThread.bytes(1, 8) + ScriptThread.bytes(1_000_000, 8) + ScriptThread.bytes(1, 8) + ScriptThread.bytes(0, 8))
            #expect(try await t.sys("utimes", "/tmp/f", bad) == .err(.EINVAL))
            #expect(try await t.sys("utime", "/etc/passwd", 0) == .err(.EROFS))
            #expect(try await t.sys("futimesat", C.AT_FDCWD, "/tmp/missing", 0) == .err(.ENOENT))
        }
    }

    /// A path ending in ".", ".." or "/" names an existing directory, not a new entry: busybox
    /// tar makes "./" of every archive, `mkdir -p a/.` walks through it.
    @Test func creatingDotNamesAnExistingEntry() async throws {
        try await runGuest { t async throws in
            try await t.sys("mkdirat", C.AT_FDCWD, "/tmp/d", 0o755).get()
            try await t.sys("chdir", "/tmp/d").get()
            for path in ["./", ".", "..", "/tmp/d/.", "/", "/tmp/d/../"] {
                #expect(try await t.sys("mkdirat", C.AT_FDCWD, path, 0o755) == .err(.EEXIST), "mkdir \(path)")
            }
            #expect(try await t.sys("symlinkat", "x", C.AT_FDCWD, ".") == .err(.EEXIST))
            #expect(try await t.sys("mknodat", C.AT_FDCWD, "..", 0o10644, 0) == .err(.EEXIST))
            #expect(try await t.sys("renameat", C.AT_FDCWD, ".", C.AT_FDCWD, "/tmp/e") == .err(.EBUSY))
            #expect(try await t.sys("renameat", C.AT_FDCWD, "/tmp/d", C.AT_FDCWD, "/tmp/..") == .err(.EBUSY))
            #expect(try await t.stat("/tmp/d").get().links >= 2)
        }
    }

    @Test func hardLinksShareTheInode() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/a", C.O_CREAT | C.O_RDWR).get()
            try await t.sys("linkat", C.AT_FDCWD, "/tmp/a", C.AT_FDCWD, "/tmp/b", 0).get()
            #expect(try await t.stat("/tmp/a").get().links == 2)
            try await t.write(fd, "shared").get()
            #expect(try await t.contents("/tmp/b") == .success("shared"))
            #expect(try await t.sys("linkat", C.AT_FDCWD, "/tmp/a", C.AT_FDCWD, "/tmp/b", 0) == .err(.EEXIST))
        }
    }

    @Test func getdentsListsEntries() async throws {
        try await runGuest { t async throws in
            for n in ["x", "y", "z"] { try await t.open("/tmp/" + n, C.O_CREAT | C.O_WRONLY).get() }
            let dir = try await t.open("/tmp", C.O_RDONLY | C.O_DIRECTORY).get()
            var names: [String] = []
            let buf = try t.alloc(4096)
            while true {
                let n = try await t.sys("getdents64", dir, buf, 4096).get()
                if n == 0 { break }
                var off = 0
                let bytes = try t.peek(buf, n)
                while off < n {
                    let reclen = Int(bytes[off + 16]) | Int(bytes[off + 17]) << 8
                    names.append(String(decoding: bytes[(off + 19)...].prefix { $0 != 0 }, as: UTF8.self))
                    off += reclen
                }
            }
            #expect(names.sorted() == [".", "..", "x", "y", "z"])
            let file = try await t.open("/tmp/x", C.O_RDONLY).get()
            #expect(try await t.sys("getdents64", file, buf, 4096) == .err(.ENOTDIR))
        }
    }
}

/// Names are bytes: what is not UTF-8 survives the kernel's String-keyed tables unchanged.
@Suite struct ByteNames {
    @Test func roundTripsEveryByteString() {
        var seed: UInt32 = 12345
        for _ in 0..<2000 {
            let n = Int(seed % 12) + 1
            var b: [UInt8] = []
            for _ in 0..<n {
                seed = seed &* 1_103_515_245 &+ 12345
                b.append(UInt8(truncatingIfNeeded: seed >> 16))
            }
            #expect(FileName.bytes(FileName.string(b)) == b, "\(b)")
        }
        // Two spellings of "é" (NFC, NFD) that Swift's String equality would call one name.
        let nfc = Array("caf\u{E9}".utf8), nfd = Array("cafe\u{301}".utf8)
        #expect(FileName.string(nfc) != FileName.string(nfd))
        #expect(FileName.bytes(FileName.string(nfd)) == nfd)
        #expect(FileName.string(Array("plain".utf8)) == "plain")
    }

    @Test func undecodableNamesOnTmpfs() async throws {
        try await runGuest { t async throws in
            let name: [UInt8] = Array("/tmp/a".utf8) + [0xE7, 0x77, 0xF0, 0x80] + Array(".txt".utf8) + [0]
            let path = try t.place(name)
            let fd = try await t.sys("openat", C.AT_FDCWD, path, C.O_CREAT | C.O_WRONLY, 0o644).get()
            try await t.write(fd, "x").get()
            let dir = try await t.open("/tmp", C.O_RDONLY | C.O_DIRECTORY).get()
            let buf = try t.alloc(4096)
            let n = try await t.sys("getdents64", dir, buf, 4096).get()
            let listing = try t.peek(buf, n)
            let wanted: [UInt8] = [0x61, 0xE7, 0x77, 0xF0, 0x80] + Array(".txt".utf8) + [0]
            #expect(listing.indices.contains { listing[$0...].starts(with: wanted) })
            #expect(try await t.sys("faccessat", C.AT_FDCWD, path, 0) == .ok(0))
            try await t.sys("chdir", "/tmp").get()
            try await t.sys("mkdirat", C.AT_FDCWD, try t.place([0xFF, 0]), 0o755).get()
            try await t.sys("chdir", try t.place([0xFF, 0])).get()
            let cwd = try t.alloc(64)
            #expect(try await t.sys("getcwd", cwd, 64) == .ok(7))
            #expect(try t.peek(cwd, 7) == Array("/tmp/".utf8) + [0xFF, 0])
        }
    }
}
