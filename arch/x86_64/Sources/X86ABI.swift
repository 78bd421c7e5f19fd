import GuestKernel
import LinuxABI

/// The x86-64 Linux ABI: LP64 little-endian, the syscall numbers of arch/x86/entry/syscalls/
/// syscall_64.tbl, `struct stat` as fstat returns it, and arch_prctl for the TLS base.
enum X86ABI {
    static func make() -> GuestABI {
        var abi = GuestABI(wordSize: 8, bigEndian: false,
                           syscalls: SyscallTable(numbers: numbers, overrides: overrides),
                           machine: "x86_64", hwcap: 0x178bfbff, encodeStat: encodeStat)
        abi.signalRedZone = 128
        return abi
    }

    /// struct stat (144 bytes).
    static func encodeStat(_ s: FileStat) -> [UInt8] {
        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        e.u64(s.device); e.u64(s.inode); e.u64(s.links)
        e.u32(s.mode); e.u32(s.uid); e.u32(s.gid); e.u32(0)
        e.u64(s.rdev); e.i64(s.size); e.i64(s.blockSize); e.i64(s.blocks)
        e.i64(s.atime.0); e.i64(s.atime.1); e.i64(s.mtime.0); e.i64(s.mtime.1); e.i64(s.ctime.0); e.i64(s.ctime.1)
        e.zeros(24)
        return e.bytes
    }

    static let overrides: [String: SyscallEntry] = [
        "arch_prctl": SyscallEntry("arch_prctl", .partial, [.hex, .pointer]) { (c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in
            guard let ctx = c.task.context as? X86Context else { throw .EINVAL }
            switch c.int(0) {
            case 0x1002:  // ARCH_SET_FS
                guard c.word(1) < StubImage.base else { throw .EPERM }
                ctx.setThreadPointer(c.word(1))
                return .zero
            case 0x1003:  // ARCH_GET_FS
                return try store(ctx.regs.fs_base, c)
            case 0x1001:  // ARCH_SET_GS
                guard c.word(1) < StubImage.base else { throw .EPERM }
                ctx.regs.gs_base = c.word(1)
                ctx.dirty = .all
                return .zero
            case 0x1004:  // ARCH_GET_GS
                return try store(ctx.regs.gs_base, c)
            case 0x3001: throw .ENODEV  // ARCH_CET_STATUS
            default: throw .EINVAL
            }
        },
    ]

    /// Writes a 64-bit value to the address in the call's second argument.
    static func store(_ value: UInt64, _ c: SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var e = GuestEncoder(wordSize: 8, bigEndian: false)
        e.u64(value)
        try c.mm.write(c.word(1), e.bytes)
        return .zero
    }

    /// Number → name, as in syscall_64.tbl. Names without a core handler are left out (ENOSYS).
    static let numbers: [(Int, String)] = [
        (0, "read"), (1, "write"), (2, "open"), (3, "close"), (4, "stat"), (5, "fstat"), (6, "lstat"), (7, "poll"),
        (8, "lseek"), (9, "mmap"), (10, "mprotect"), (11, "munmap"), (12, "brk"), (13, "rt_sigaction"),
        (14, "rt_sigprocmask"), (15, "rt_sigreturn"), (16, "ioctl"), (17, "pread64"), (18, "pwrite64"), (19, "readv"),
        (20, "writev"), (21, "access"), (22, "pipe"), (23, "select"), (24, "sched_yield"), (25, "mremap"), (26, "msync"),
        (28, "madvise"), (32, "dup"), (33, "dup2"), (34, "pause"), (35, "nanosleep"), (36, "getitimer"), (37, "alarm"),
        (38, "setitimer"), (39, "getpid"), (41, "socket"), (42, "connect"), (53, "socketpair"),
        (56, "clone"), (57, "fork"), (58, "vfork"), (59, "execve"), (60, "exit"), (61, "wait4"), (62, "kill"),
        (63, "uname"), (72, "fcntl"), (73, "flock"), (74, "fsync"), (75, "fdatasync"), (76, "truncate"), (77, "ftruncate"),
        (79, "getcwd"), (80, "chdir"), (81, "fchdir"), (82, "rename"), (83, "mkdir"), (84, "rmdir"), (85, "creat"),
        (86, "link"), (87, "unlink"), (88, "symlink"), (89, "readlink"), (90, "chmod"), (91, "fchmod"), (92, "chown"),
        (93, "fchown"), (94, "lchown"), (95, "umask"), (96, "gettimeofday"), (97, "getrlimit"), (98, "getrusage"),
        (99, "sysinfo"), (100, "times"), (102, "getuid"), (104, "getgid"), (105, "setuid"), (106, "setgid"),
        (107, "geteuid"), (108, "getegid"), (109, "setpgid"), (110, "getppid"), (111, "getpgrp"), (112, "setsid"),
        (113, "setreuid"), (114, "setregid"), (115, "getgroups"), (116, "setgroups"), (117, "setresuid"),
        (118, "getresuid"), (119, "setresgid"), (120, "getresgid"), (121, "getpgid"), (122, "setfsuid"),
        (123, "setfsgid"), (124, "getsid"), (125, "capget"), (127, "rt_sigpending"), (128, "rt_sigtimedwait"), (129, "rt_sigqueueinfo"), (130, "rt_sigsuspend"),
        (131, "sigaltstack"), (133, "mknodat_legacy"), (135, "personality"), (137, "statfs"), (138, "fstatfs"),
        (140, "getpriority"), (141, "setpriority"), (143, "sched_getparam"), (145, "sched_getscheduler"),
        (146, "sched_get_priority_max"), (147, "sched_get_priority_min"), (149, "mlock"), (150, "munlock"),
        (157, "prctl"), (158, "arch_prctl"), (160, "setrlimit"), (161, "chroot"), (162, "sync"), (165, "mount"),
        (166, "umount2"), (170, "sethostname"), (186, "gettid"), (200, "tkill"), (201, "time"), (202, "futex"),
        (203, "sched_setaffinity"), (204, "sched_getaffinity"), (217, "getdents64"), (218, "set_tid_address"),
        (221, "fadvise64"), (228, "clock_gettime"), (229, "clock_getres"), (230, "clock_nanosleep"), (231, "exit_group"),
        (234, "tgkill"), (247, "waitid"), (257, "openat"), (258, "mkdirat"), (259, "mknodat"), (260, "fchownat"),
        (262, "newfstatat"), (263, "unlinkat"), (264, "renameat"), (265, "linkat"), (266, "symlinkat"),
        (267, "readlinkat"), (268, "fchmodat"), (269, "faccessat"), (270, "pselect6"), (271, "ppoll"),
        (273, "set_robust_list"), (274, "get_robust_list"), (280, "utimensat"), (290, "eventfd2"), (291, "epoll_create1"),
        (292, "dup3"), (293, "pipe2"), (294, "inotify_init1"), (295, "preadv"), (296, "pwritev"), (297, "rt_tgsigqueueinfo"), (302, "prlimit64"),
        (306, "syncfs"), (309, "getcpu"), (316, "renameat2"), (318, "getrandom"), (319, "memfd_create"),
        (322, "execveat"), (324, "membarrier"), (332, "statx"), (334, "rseq"), (425, "io_uring_setup"),
        (435, "clone3"), (436, "close_range"), (439, "faccessat2"),
    ]
}
