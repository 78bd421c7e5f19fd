// Guest-visible constants in the core's neutral numbering: the generic Linux values, which are
// also x86-64's and IA-64's. An ISA whose numbering differs (PowerPC's open flags and termios
// ioctls, for example) translates at its syscall table's edge, so the handlers see only these.

/// open(2) flags.
public struct OpenFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let accessModeMask: UInt32 = 3
    public static let readOnly: UInt32 = 0, writeOnly: UInt32 = 1, readWrite: UInt32 = 2
    public static let create = OpenFlags(rawValue: 0o100)
    public static let exclusive = OpenFlags(rawValue: 0o200)
    public static let noControllingTTY = OpenFlags(rawValue: 0o400)
    public static let truncate = OpenFlags(rawValue: 0o1000)
    public static let append = OpenFlags(rawValue: 0o2000)
    public static let nonBlocking = OpenFlags(rawValue: 0o4000)
    public static let dsync = OpenFlags(rawValue: 0o10000)
    public static let async = OpenFlags(rawValue: 0o20000)
    public static let direct = OpenFlags(rawValue: 0o40000)
    public static let largeFile = OpenFlags(rawValue: 0o100000)
    public static let directory = OpenFlags(rawValue: 0o200000)
    public static let noFollow = OpenFlags(rawValue: 0o400000)
    public static let noAccessTime = OpenFlags(rawValue: 0o1000000)
    public static let closeOnExec = OpenFlags(rawValue: 0o2000000)
    public static let sync = OpenFlags(rawValue: 0o4010000)
    public static let path = OpenFlags(rawValue: 0o10000000)
    public static let tmpFile = OpenFlags(rawValue: 0o20200000)

    public var accessMode: UInt32 { rawValue & OpenFlags.accessModeMask }
    public var canRead: Bool { accessMode == OpenFlags.readOnly || accessMode == OpenFlags.readWrite }
    public var canWrite: Bool { accessMode == OpenFlags.writeOnly || accessMode == OpenFlags.readWrite }
    /// The flags F_GETFL reports and F_SETFL may change.
    public static let statusFlags: OpenFlags = [.append, .nonBlocking, .async, .direct, .noAccessTime]
}

/// File type bits of st_mode.
public enum FileMode {
    public static let typeMask: UInt32 = 0o170000
    public static let socket: UInt32 = 0o140000, symlink: UInt32 = 0o120000, regular: UInt32 = 0o100000
    public static let block: UInt32 = 0o060000, directory: UInt32 = 0o040000
    public static let character: UInt32 = 0o020000, fifo: UInt32 = 0o010000
}

/// The *at() conventions.
/// renameat2's flags.
public enum RenameFlags {
    public static let noReplace: UInt32 = 1
    public static let exchange: UInt32 = 2
    public static let whiteout: UInt32 = 4
}

public enum At {
    public static let fdCWD: Int32 = -100
    public static let symlinkNoFollow: UInt32 = 0x100
    public static let removeDir: UInt32 = 0x200
    public static let symlinkFollow: UInt32 = 0x400
    public static let noAutomount: UInt32 = 0x800
    public static let emptyPath: UInt32 = 0x1000
    public static let eaccess: UInt32 = 0x200
}

/// poll(2) event bits.
public struct PollEvents: OptionSet, Sendable, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let input = PollEvents(rawValue: 0x001)
    public static let priority = PollEvents(rawValue: 0x002)
    public static let output = PollEvents(rawValue: 0x004)
    public static let error = PollEvents(rawValue: 0x008)
    public static let hangUp = PollEvents(rawValue: 0x010)
    public static let invalid = PollEvents(rawValue: 0x020)
    public static let readNormal = PollEvents(rawValue: 0x040)
    public static let writeNormal = PollEvents(rawValue: 0x100)
    public static let readHangUp = PollEvents(rawValue: 0x2000)
}

/// clone(2) flags.
public struct CloneFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static let signalMask: UInt64 = 0xff
    public static let vm = CloneFlags(rawValue: 0x100)
    public static let fs = CloneFlags(rawValue: 0x200)
    public static let files = CloneFlags(rawValue: 0x400)
    public static let sighand = CloneFlags(rawValue: 0x800)
    public static let pidfd = CloneFlags(rawValue: 0x1000)
    public static let ptrace = CloneFlags(rawValue: 0x2000)
    public static let vfork = CloneFlags(rawValue: 0x4000)
    public static let parent = CloneFlags(rawValue: 0x8000)
    public static let thread = CloneFlags(rawValue: 0x10000)
    public static let newNamespace = CloneFlags(rawValue: 0x20000)
    public static let sysvsem = CloneFlags(rawValue: 0x40000)
    public static let setTLS = CloneFlags(rawValue: 0x80000)
    public static let parentSetTID = CloneFlags(rawValue: 0x100000)
    public static let childClearTID = CloneFlags(rawValue: 0x200000)
    public static let detached = CloneFlags(rawValue: 0x400000)
    public static let untraced = CloneFlags(rawValue: 0x800000)
    public static let childSetTID = CloneFlags(rawValue: 0x1000000)
}

/// mmap(2) protection and flags (generic numbering).
public struct Protection: OptionSet, Sendable, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let read = Protection(rawValue: 1)
    public static let write = Protection(rawValue: 2)
    public static let execute = Protection(rawValue: 4)
    public static let none: Protection = []
    public static let rw: Protection = [.read, .write]
    public static let rx: Protection = [.read, .execute]
    public static let rwx: Protection = [.read, .write, .execute]
}

public struct MapFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let shared = MapFlags(rawValue: 0x01)
    public static let `private` = MapFlags(rawValue: 0x02)
    public static let sharedValidate = MapFlags(rawValue: 0x03)
    public static let typeMask: UInt32 = 0x0f
    public static let fixed = MapFlags(rawValue: 0x10)
    public static let anonymous = MapFlags(rawValue: 0x20)
    public static let growsDown = MapFlags(rawValue: 0x100)
    public static let denyWrite = MapFlags(rawValue: 0x800)
    public static let executable = MapFlags(rawValue: 0x1000)
    public static let locked = MapFlags(rawValue: 0x2000)
    public static let noReserve = MapFlags(rawValue: 0x4000)
    public static let populate = MapFlags(rawValue: 0x8000)
    public static let nonBlock = MapFlags(rawValue: 0x10000)
    public static let stack = MapFlags(rawValue: 0x20000)
    public static let hugeTLB = MapFlags(rawValue: 0x40000)
    public static let fixedNoReplace = MapFlags(rawValue: 0x100000)
}

/// wait4/waitid options.
public enum WaitOptions {
    public static let noHang: UInt32 = 1
    public static let untraced: UInt32 = 2
    public static let exited: UInt32 = 4
    public static let continued: UInt32 = 8
    public static let noWait: UInt32 = 0x0100_0000
    public static let noThread: UInt32 = 0x2000_0000
    public static let all: UInt32 = 0x4000_0000
    public static let clone: UInt32 = 0x8000_0000
}

/// sigaction flags (generic numbering).
public enum SigActionFlags {
    public static let noChildStop: UInt64 = 1
    public static let noChildWait: UInt64 = 2
    public static let sigInfo: UInt64 = 4
    public static let restorer: UInt64 = 0x0400_0000
    public static let onStack: UInt64 = 0x0800_0000
    public static let restart: UInt64 = 0x1000_0000
    public static let noDefer: UInt64 = 0x4000_0000
    public static let resetHand: UInt64 = 0x8000_0000
}
