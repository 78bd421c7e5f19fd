import LinuxABI

/// The core's system call handlers, by their Linux names. An ISA's table maps its numbers to
/// these names (see arch/<isa>/…/SyscallTable.swift) and may override an entry whose arguments
/// it passes differently.
public enum CoreSyscalls {
    private static func e(_ support: SupportLevel = .full, _ args: [ArgFormat] = [], _ h: @escaping SyscallHandler) -> SyscallEntry {
        SyscallEntry("", support, args, h)
    }

    /// 32-bit ABIs' calls that take 64-bit timespecs, and the handler they are a form of.
    public static let time64Variants: [String: String] = [
        "clock_gettime64": "clock_gettime", "clock_getres_time64": "clock_getres",
        "clock_nanosleep_time64": "clock_nanosleep", "futex_time64": "futex", "ppoll_time64": "ppoll",
        "pselect6_time64": "pselect6", "utimensat_time64": "utimensat", "rt_sigtimedwait_time64": "rt_sigtimedwait",
    ]
    /// 32-bit ABIs' names for calls whose handlers already take wide arguments.
    public static let wideVariants: [String: String] = [
        "stat64": "stat", "lstat64": "lstat", "fstat64": "fstat", "fstatat64": "newfstatat", "fcntl64": "fcntl",
        "ugetrlimit": "getrlimit",
    ]

    public static let catalog: [String: SyscallEntry] = [
        // files and descriptors
        "read": e(.full, [.fd, .pointer, .size], read), "write": e(.full, [.fd, .string, .size], write),
        "pread64": e(.full, [.fd, .pointer, .size, .int], pread64), "pwrite64": e(.full, [.fd, .string, .size, .int], pwrite64),
        "readv": e(.full, [.fd, .pointer, .int], readv), "writev": e(.full, [.fd, .pointer, .int], writev),
        "preadv": e(.full, [.fd, .pointer, .int, .int], preadv), "pwritev": e(.full, [.fd, .pointer, .int, .int], pwritev),
        "lseek": e(.full, [.fd, .int, .int], lseek), "close": e(.full, [.fd], close),
        "close_range": e(.full, [.fd, .fd, .hex], closeRange),
        "dup": e(.full, [.fd], dup), "dup2": e(.full, [.fd, .fd], dup2), "dup3": e(.full, [.fd, .fd, .openFlags], dup3),
        "fcntl": e(.partial, [.fd, .int, .hex], fcntl), "pipe": e(.full, [.pointer], pipe), "pipe2": e(.full, [.pointer, .openFlags], pipe2),
        "ioctl": e(.partial, [.fd, .hex, .hex], ioctl),
        "open": e(.full, [.path, .openFlags, .octal], openLegacy), "openat": e(.full, [.dirfd, .path, .openFlags, .octal], openat),
        "creat": e(.full, [.path, .octal], creat),
        "fstat": e(.full, [.fd, .pointer], fstat), "stat": e(.full, [.path, .pointer], stat), "lstat": e(.full, [.path, .pointer], lstat),
        "newfstatat": e(.full, [.dirfd, .path, .pointer, .hex], newfstatat), "statx": e(.full, [.dirfd, .path, .hex, .hex, .pointer], statx),
        "statfs": e(.partial, [.path, .pointer], statfsPath), "fstatfs": e(.partial, [.fd, .pointer], fstatfs),
        "getdents64": e(.full, [.fd, .pointer, .size], getdents64),
        "mkdir": e(.full, [.path, .octal], mkdirLegacy), "mkdirat": e(.full, [.dirfd, .path, .octal], mkdirat),
        "mknodat": e(.partial, [.dirfd, .path, .octal, .hex], mknodat),
        "unlink": e(.full, [.path], unlinkLegacy), "rmdir": e(.full, [.path], rmdirLegacy), "unlinkat": e(.full, [.dirfd, .path, .hex], unlinkat),
        "rename": e(.full, [.path, .path], renameLegacy), "renameat": e(.full, [.dirfd, .path, .dirfd, .path], renameat),
        "renameat2": e(.full, [.dirfd, .path, .dirfd, .path, .hex], renameat2),
        "symlink": e(.full, [.path, .path], symlinkLegacy), "symlinkat": e(.full, [.path, .dirfd, .path], symlinkat),
        "link": e(.full, [.path, .path], linkLegacy), "linkat": e(.full, [.dirfd, .path, .dirfd, .path, .hex], linkat),
        "readlink": e(.full, [.path, .pointer, .size], readlinkLegacy), "readlinkat": e(.full, [.dirfd, .path, .pointer, .size], readlinkat),
        "access": e(.full, [.path, .octal], accessLegacy), "faccessat": e(.full, [.dirfd, .path, .octal], faccessat),
        "faccessat2": e(.full, [.dirfd, .path, .octal, .hex], faccessat2),
        "chdir": e(.full, [.path], chdir), "fchdir": e(.full, [.fd], fchdir), "getcwd": e(.full, [.pointer, .size], getcwd),
        "chroot": e(.full, [.path], chroot),
        "umask": e(.full, [.octal], umask), "ftruncate": e(.full, [.fd, .int], ftruncate), "truncate": e(.full, [.path, .int], truncatePath),
        "fsync": e(.full, [.fd], fsync), "fdatasync": e(.full, [.fd], fsync), "sync": e(.stub, [], fixed(.success(0))),
        "syncfs": e(.stub, [.fd], fixed(.success(0))),
        "fchmod": e(.full, [.fd, .octal], fchmod), "fchmodat": e(.full, [.dirfd, .path, .octal], fchmodat), "chmod": e(.full, [.path, .octal], chmodLegacy),
        "fchown": e(.full, [.fd, .int, .int], fchown), "fchownat": e(.full, [.dirfd, .path, .int, .int, .hex], fchownat),
        "chown": e(.full, [.path, .int, .int], chownLegacy), "lchown": e(.full, [.path, .int, .int], lchown),
        "utimensat": e(.full, [.dirfd, .path, .pointer, .hex], utimensat),
        "poll": e(.full, [.pointer, .int, .int], poll), "ppoll": e(.full, [.pointer, .int, .pointer, .pointer], ppoll),
        "select": e(.full, [.int, .pointer, .pointer, .pointer, .pointer], select),
        "pselect6": e(.full, [.int, .pointer, .pointer, .pointer, .pointer, .pointer], pselect6),
        "fadvise64": e(.stub, [.fd], fixed(.success(0))), "flock": e(.stub, [.fd, .int], fixed(.success(0))),
        // processes
        "clone": e(.full, [.hex, .pointer, .pointer, .pointer, .pointer], clone), "clone3": e(.partial, [.pointer, .size], clone3),
        "fork": e(.full, [], fork), "vfork": e(.full, [], vfork),
        "execve": e(.full, [.path, .pointer, .pointer], execve), "execveat": e(.full, [.dirfd, .path, .pointer, .pointer, .hex], execveat),
        "exit": e(.full, [.int], exit), "exit_group": e(.full, [.int], exitGroup),
        "wait4": e(.full, [.int, .pointer, .hex, .pointer], wait4), "waitid": e(.full, [.int, .int, .pointer, .hex, .pointer], waitid),
        "getpid": e(.full, [], getpid), "getppid": e(.full, [], getppid), "gettid": e(.full, [], gettid),
        "set_tid_address": e(.full, [.pointer], setTIDAddress),
        "getuid": e(.full, [], getuid), "geteuid": e(.full, [], geteuid), "getgid": e(.full, [], getgid), "getegid": e(.full, [], getegid),
        "setuid": e(.full, [.int], setuid), "setgid": e(.full, [.int], setgid),
        "setreuid": e(.full, [.int, .int], setreuid), "setregid": e(.full, [.int, .int], setregid),
        "setresuid": e(.full, [.int, .int, .int], setresuid), "setresgid": e(.full, [.int, .int, .int], setresgid),
        "getresuid": e(.full, [.pointer, .pointer, .pointer], getresuid), "getresgid": e(.full, [.pointer, .pointer, .pointer], getresgid),
        "setfsuid": e(.full, [.int], setfsuid), "setfsgid": e(.full, [.int], setfsgid),
        "getgroups": e(.full, [.int, .pointer], getgroups), "setgroups": e(.full, [.int, .pointer], setgroups),
        "setpgid": e(.full, [.int, .int], setpgid), "getpgid": e(.full, [.int], getpgid), "getpgrp": e(.full, [], getpgrp),
        "getsid": e(.full, [.int], getsid), "setsid": e(.full, [], setsid),
        "prlimit64": e(.full, [.int, .int, .pointer, .pointer], prlimit64),
        "getrlimit": e(.full, [.int, .pointer], getrlimit), "setrlimit": e(.full, [.int, .pointer], setrlimit),
        "getrusage": e(.partial, [.int, .pointer], getrusage), "times": e(.partial, [.pointer], times),
        "prctl": e(.partial, [.int, .hex], prctl),
        "set_robust_list": e(.full, [.pointer, .size], setRobustList), "get_robust_list": e(.full, [.int, .pointer, .pointer], getRobustList),
        "futex": e(.full, [.pointer, .int, .int, .pointer], futex),
        "sched_yield": e(.full, [], schedYield), "getcpu": e(.full, [.pointer, .pointer], getcpu),
        "sched_getaffinity": e(.full, [.int, .size, .pointer], schedGetaffinity),
        "sched_setaffinity": e(.stub, [.int, .size, .pointer], fixed(.success(0))),
        "sched_getscheduler": e(.stub, [.int], fixed(.success(0))), "sched_getparam": e(.stub, [.int, .pointer], fixed(.failure(.EINVAL))),
        "getpriority": e(.stub, [.int, .int], fixed(.success(20))), "setpriority": e(.stub, [.int, .int, .int], fixed(.success(0))),
        // memory
        "brk": e(.full, [.pointer], brk), "mmap": e(.full, [.pointer, .size, .hex, .hex, .fd, .hex], mmap),
        "mmap2": e(.full, [.pointer, .size, .hex, .hex, .fd, .hex], mmap2),
        "munmap": e(.full, [.pointer, .size], munmap), "mprotect": e(.full, [.pointer, .size, .hex], mprotect),
        "mremap": e(.partial, [.pointer, .size, .size, .hex], mremap), "madvise": e(.partial, [.pointer, .size, .int], madvise),
        "msync": e(.stub, [.pointer, .size, .hex], msync), "mlock": e(.stub, [.pointer, .size], mlock),
        "munlock": e(.stub, [.pointer, .size], mlock), "membarrier": e(.stub, [.int], fixed(.success(0))),
        // signals
        "rt_sigaction": e(.full, [.signal, .pointer, .pointer, .size], rtSigaction),
        "rt_sigprocmask": e(.full, [.int, .pointer, .pointer, .size], rtSigprocmask),
        "rt_sigpending": e(.full, [.pointer, .size], rtSigpending), "rt_sigreturn": e(.full, [], rtSigreturn),
        "kill": e(.full, [.int, .signal], kill), "tgkill": e(.full, [.int, .int, .signal], tgkill), "tkill": e(.full, [.int, .signal], tkill),
        "sigaltstack": e(.full, [.pointer, .pointer], sigaltstack), "pause": e(.full, [], pause),
        "rt_sigsuspend": e(.full, [.pointer, .size], rtSigsuspend),
        "rt_sigtimedwait": e(.full, [.pointer, .pointer, .pointer, .size], rtSigtimedwait),
        "rt_sigqueueinfo": e(.full, [.int, .signal, .pointer], rtSigqueueinfo),
        "rt_tgsigqueueinfo": e(.full, [.int, .int, .signal, .pointer], rtTgsigqueueinfo),
        "alarm": e(.full, [.int], alarm), "setitimer": e(.partial, [.int, .pointer, .pointer], setitimer),
        "getitimer": e(.partial, [.int, .pointer], getitimer),
        // time and system
        "clock_gettime": e(.full, [.clockid, .pointer], clockGettime), "clock_getres": e(.full, [.clockid, .pointer], clockGetres),
        "gettimeofday": e(.full, [.pointer, .pointer], gettimeofday), "time": e(.full, [.pointer], time),
        "nanosleep": e(.full, [.pointer, .pointer], nanosleep), "clock_nanosleep": e(.full, [.clockid, .hex, .pointer, .pointer], clockNanosleep),
        "uname": e(.full, [.pointer], uname), "sethostname": e(.full, [.string, .size], sethostname),
        "sysinfo": e(.partial, [.pointer], sysinfo), "getrandom": e(.full, [.pointer, .size, .hex], getrandom),
        "rseq": e(.stub, [.pointer, .size, .hex, .hex], fixed(.failure(.ENOSYS))),
        "socket": e(.stub, [.int, .int, .int], fixed(.failure(.EAFNOSUPPORT))),
        "socketpair": e(.partial, [.int, .int, .int, .pointer], socketpair),
        "connect": e(.stub, [.fd, .pointer, .size], fixed(.failure(.ENOTSOCK))),
        "mount": e(.stub, [.string, .path, .string, .hex], fixed(.failure(.EPERM))),
        "umount2": e(.stub, [.path, .hex], fixed(.failure(.EPERM))),
        "personality": e(.stub, [.hex], fixed(.success(0))),
        "capget": e(.stub, [.pointer, .pointer], fixed(.failure(.EINVAL))),
        "sched_get_priority_max": e(.stub, [.int], fixed(.success(0))), "sched_get_priority_min": e(.stub, [.int], fixed(.success(0))),
        "epoll_create1": e(.stub, [.hex], fixed(.failure(.ENOSYS))), "eventfd2": e(.stub, [.int, .hex], fixed(.failure(.ENOSYS))),
        "inotify_init1": e(.stub, [.hex], fixed(.failure(.ENOSYS))), "memfd_create": e(.stub, [.string, .hex], fixed(.failure(.ENOSYS))),
        "io_uring_setup": e(.stub, [.int, .pointer], fixed(.failure(.ENOSYS))),
    ]
}
