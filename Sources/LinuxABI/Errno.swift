// Generated once from the generic Linux errno numbering (include/uapi/asm-generic/errno*.h),
// which x86-64, PowerPC and IA-64 share. Kept as a table so names, numbers and messages agree.

/// An error number as the guest sees it: the value a Linux system call returns negated.
///
/// The kernel's handlers throw these (`throws(LinuxErrno)`); each backend encodes them in its
/// ISA's way (x86-64: rax = -errno; PowerPC: r3 = errno with CR0.SO; IA-64: r8 = errno, r10 = -1).
public struct LinuxErrno: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// Kernel-internal (never seen by a guest): the call must wait and run again; the wait is
    /// left with the task (Linux's ERESTARTSYS plays the same part).
    public static let ERESTARTSYS = LinuxErrno(512)
    /// Operation not permitted.
    public static let EPERM = LinuxErrno(1)
    /// No such file or directory.
    public static let ENOENT = LinuxErrno(2)
    /// No such process.
    public static let ESRCH = LinuxErrno(3)
    /// Interrupted system call.
    public static let EINTR = LinuxErrno(4)
    /// I/O error.
    public static let EIO = LinuxErrno(5)
    /// No such device or address.
    public static let ENXIO = LinuxErrno(6)
    /// Argument list too long.
    public static let E2BIG = LinuxErrno(7)
    /// Exec format error.
    public static let ENOEXEC = LinuxErrno(8)
    /// Bad file descriptor.
    public static let EBADF = LinuxErrno(9)
    /// No child processes.
    public static let ECHILD = LinuxErrno(10)
    /// Resource temporarily unavailable.
    public static let EAGAIN = LinuxErrno(11)
    /// Out of memory.
    public static let ENOMEM = LinuxErrno(12)
    /// Permission denied.
    public static let EACCES = LinuxErrno(13)
    /// Bad address.
    public static let EFAULT = LinuxErrno(14)
    /// Block device required.
    public static let ENOTBLK = LinuxErrno(15)
    /// Device or resource busy.
    public static let EBUSY = LinuxErrno(16)
    /// File exists.
    public static let EEXIST = LinuxErrno(17)
    /// Cross-device link.
    public static let EXDEV = LinuxErrno(18)
    /// No such device.
    public static let ENODEV = LinuxErrno(19)
    /// Not a directory.
    public static let ENOTDIR = LinuxErrno(20)
    /// Is a directory.
    public static let EISDIR = LinuxErrno(21)
    /// Invalid argument.
    public static let EINVAL = LinuxErrno(22)
    /// File table overflow.
    public static let ENFILE = LinuxErrno(23)
    /// Too many open files.
    public static let EMFILE = LinuxErrno(24)
    /// Not a typewriter.
    public static let ENOTTY = LinuxErrno(25)
    /// Text file busy.
    public static let ETXTBSY = LinuxErrno(26)
    /// File too large.
    public static let EFBIG = LinuxErrno(27)
    /// No space left on device.
    public static let ENOSPC = LinuxErrno(28)
    /// Illegal seek.
    public static let ESPIPE = LinuxErrno(29)
    /// Read-only file system.
    public static let EROFS = LinuxErrno(30)
    /// Too many links.
    public static let EMLINK = LinuxErrno(31)
    /// Broken pipe.
    public static let EPIPE = LinuxErrno(32)
    /// Math argument out of domain.
    public static let EDOM = LinuxErrno(33)
    /// Math result not representable.
    public static let ERANGE = LinuxErrno(34)
    /// Resource deadlock would occur.
    public static let EDEADLK = LinuxErrno(35)
    /// File name too long.
    public static let ENAMETOOLONG = LinuxErrno(36)
    /// No record locks available.
    public static let ENOLCK = LinuxErrno(37)
    /// Function not implemented.
    public static let ENOSYS = LinuxErrno(38)
    /// Directory not empty.
    public static let ENOTEMPTY = LinuxErrno(39)
    /// Too many symbolic links encountered.
    public static let ELOOP = LinuxErrno(40)
    /// No message of desired type.
    public static let ENOMSG = LinuxErrno(42)
    /// Identifier removed.
    public static let EIDRM = LinuxErrno(43)
    /// No data available.
    public static let ENODATA = LinuxErrno(61)
    /// Timer expired.
    public static let ETIME = LinuxErrno(62)
    /// Value too large for defined data type.
    public static let EOVERFLOW = LinuxErrno(75)
    /// File descriptor in bad state.
    public static let EBADFD = LinuxErrno(77)
    /// Illegal byte sequence.
    /// Accessing a corrupted shared library.
    public static let ELIBBAD = LinuxErrno(80)
    public static let EILSEQ = LinuxErrno(84)
    /// Socket operation on non-socket.
    public static let ENOTSOCK = LinuxErrno(88)
    /// Destination address required.
    public static let EDESTADDRREQ = LinuxErrno(89)
    /// Message too long.
    public static let EMSGSIZE = LinuxErrno(90)
    /// Protocol wrong type for socket.
    public static let EPROTOTYPE = LinuxErrno(91)
    /// Protocol not available.
    public static let ENOPROTOOPT = LinuxErrno(92)
    /// Protocol not supported.
    public static let EPROTONOSUPPORT = LinuxErrno(93)
    /// Socket type not supported.
    public static let ESOCKTNOSUPPORT = LinuxErrno(94)
    /// Operation not supported.
    public static let EOPNOTSUPP = LinuxErrno(95)
    /// Address family not supported by protocol.
    public static let EAFNOSUPPORT = LinuxErrno(97)
    /// Address already in use.
    public static let EADDRINUSE = LinuxErrno(98)
    /// Cannot assign requested address.
    public static let EADDRNOTAVAIL = LinuxErrno(99)
    /// Network is down.
    public static let ENETDOWN = LinuxErrno(100)
    /// Network is unreachable.
    public static let ENETUNREACH = LinuxErrno(101)
    /// Software caused connection abort.
    public static let ECONNABORTED = LinuxErrno(103)
    /// Connection reset by peer.
    public static let ECONNRESET = LinuxErrno(104)
    /// Cannot send after transport endpoint shutdown.
    public static let ESHUTDOWN = LinuxErrno(108)
    /// No route to host.
    public static let EHOSTUNREACH = LinuxErrno(113)
    /// No buffer space available.
    public static let ENOBUFS = LinuxErrno(105)
    /// Transport endpoint is already connected.
    public static let EISCONN = LinuxErrno(106)
    /// Transport endpoint is not connected.
    public static let ENOTCONN = LinuxErrno(107)
    /// Connection timed out.
    public static let ETIMEDOUT = LinuxErrno(110)
    /// Connection refused.
    public static let ECONNREFUSED = LinuxErrno(111)
    /// Operation already in progress.
    public static let EALREADY = LinuxErrno(114)
    /// Operation now in progress.
    public static let EINPROGRESS = LinuxErrno(115)
    /// Stale file handle.
    public static let ESTALE = LinuxErrno(116)
    /// Quota exceeded.
    public static let EDQUOT = LinuxErrno(122)
    /// Operation Canceled.
    public static let ECANCELED = LinuxErrno(125)
    /// Owner died.
    public static let EOWNERDEAD = LinuxErrno(130)
    /// State not recoverable.
    public static let ENOTRECOVERABLE = LinuxErrno(131)
    /// Same number as EAGAIN.
    public static let EWOULDBLOCK = EAGAIN
    /// Same number as EDEADLK.
    public static let EDEADLOCK = EDEADLK

    /// The C name, e.g. `ENOENT`, or `E<number>` for one this table does not list.
    public var name: String { Self.table[rawValue]?.0 ?? "E\(rawValue)" }
    /// The message strerror(3) gives.
    public var message: String { Self.table[rawValue]?.1 ?? "Unknown error \(rawValue)" }
    public var description: String { name }

    private static let table: [Int32: (String, String)] = [
        1: ("EPERM", "Operation not permitted"),
        2: ("ENOENT", "No such file or directory"),
        3: ("ESRCH", "No such process"),
        4: ("EINTR", "Interrupted system call"),
        5: ("EIO", "I/O error"),
        6: ("ENXIO", "No such device or address"),
        7: ("E2BIG", "Argument list too long"),
        8: ("ENOEXEC", "Exec format error"),
        9: ("EBADF", "Bad file descriptor"),
        10: ("ECHILD", "No child processes"),
        11: ("EAGAIN", "Resource temporarily unavailable"),
        12: ("ENOMEM", "Out of memory"),
        13: ("EACCES", "Permission denied"),
        14: ("EFAULT", "Bad address"),
        15: ("ENOTBLK", "Block device required"),
        16: ("EBUSY", "Device or resource busy"),
        17: ("EEXIST", "File exists"),
        18: ("EXDEV", "Cross-device link"),
        19: ("ENODEV", "No such device"),
        20: ("ENOTDIR", "Not a directory"),
        21: ("EISDIR", "Is a directory"),
        22: ("EINVAL", "Invalid argument"),
        23: ("ENFILE", "File table overflow"),
        24: ("EMFILE", "Too many open files"),
        25: ("ENOTTY", "Not a typewriter"),
        26: ("ETXTBSY", "Text file busy"),
        27: ("EFBIG", "File too large"),
        28: ("ENOSPC", "No space left on device"),
        29: ("ESPIPE", "Illegal seek"),
        30: ("EROFS", "Read-only file system"),
        31: ("EMLINK", "Too many links"),
        32: ("EPIPE", "Broken pipe"),
        33: ("EDOM", "Math argument out of domain"),
        34: ("ERANGE", "Math result not representable"),
        35: ("EDEADLK", "Resource deadlock would occur"),
        36: ("ENAMETOOLONG", "File name too long"),
        37: ("ENOLCK", "No record locks available"),
        38: ("ENOSYS", "Function not implemented"),
        39: ("ENOTEMPTY", "Directory not empty"),
        40: ("ELOOP", "Too many symbolic links encountered"),
        42: ("ENOMSG", "No message of desired type"),
        43: ("EIDRM", "Identifier removed"),
        61: ("ENODATA", "No data available"),
        62: ("ETIME", "Timer expired"),
        75: ("EOVERFLOW", "Value too large for defined data type"),
        77: ("EBADFD", "File descriptor in bad state"),
        80: ("ELIBBAD", "Accessing a corrupted shared library"),
        84: ("EILSEQ", "Illegal byte sequence"),
        88: ("ENOTSOCK", "Socket operation on non-socket"),
        89: ("EDESTADDRREQ", "Destination address required"),
        90: ("EMSGSIZE", "Message too long"),
        91: ("EPROTOTYPE", "Protocol wrong type for socket"),
        92: ("ENOPROTOOPT", "Protocol not available"),
        93: ("EPROTONOSUPPORT", "Protocol not supported"),
        94: ("ESOCKTNOSUPPORT", "Socket type not supported"),
        95: ("EOPNOTSUPP", "Operation not supported"),
        97: ("EAFNOSUPPORT", "Address family not supported by protocol"),
        98: ("EADDRINUSE", "Address already in use"),
        99: ("EADDRNOTAVAIL", "Cannot assign requested address"),
        100: ("ENETDOWN", "Network is down"),
        101: ("ENETUNREACH", "Network is unreachable"),
        103: ("ECONNABORTED", "Software caused connection abort"),
        104: ("ECONNRESET", "Connection reset by peer"),
        105: ("ENOBUFS", "No buffer space available"),
        106: ("EISCONN", "Transport endpoint is already connected"),
        107: ("ENOTCONN", "Transport endpoint is not connected"),
        108: ("ESHUTDOWN", "Cannot send after transport endpoint shutdown"),
        110: ("ETIMEDOUT", "Connection timed out"),
        111: ("ECONNREFUSED", "Connection refused"),
        113: ("EHOSTUNREACH", "No route to host"),
        114: ("EALREADY", "Operation already in progress"),
        115: ("EINPROGRESS", "Operation now in progress"),
        116: ("ESTALE", "Stale file handle"),
        122: ("EDQUOT", "Quota exceeded"),
        125: ("ECANCELED", "Operation Canceled"),
        130: ("EOWNERDEAD", "Owner died"),
        131: ("ENOTRECOVERABLE", "State not recoverable"),
    ]
}

/// Runs `body`, whose errors are all `LinuxErrno` but pass through a standard-library closure
/// that loses the type (Array.withUnsafeBytes and friends rethrow untyped), and restores it.
@inlinable @inline(__always)
public func typedErrno<R>(_ body: () throws -> R) throws(LinuxErrno) -> R {
    do { return try body() } catch { throw (error as? LinuxErrno) ?? .EIO }
}
