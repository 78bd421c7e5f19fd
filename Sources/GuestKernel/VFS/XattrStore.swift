import LinuxABI

// Extended attributes: the part every file system shares.
//
// The Inode API is three methods (VFS.swift): `extendedAttribute(_:)`,
// `extendedAttributeNames()` and `setExtendedAttribute(_:_:_:)`. The syscall layer
// (Syscalls/XattrCalls.swift) does what Linux's fs/xattr.c does before a file system is
// asked: it copies and checks the name and value, refuses a read-only mount, applies the
// namespace's permission rules (user.* only on regular files and directories, trusted.* only for
// root), so a file system only stores. What each file system answers:
//   - the default (procfs, devfs, pipes, sockets): a file system without xattrs: get, set and
//     remove give EOPNOTSUPP, the list is empty, as Linux for a file system with no handlers;
//   - hostfs (the read-only root): attributes are supported but none is shown, so get gives
//     ENODATA and the list is empty: the host's own attributes (security.selinux, capabilities,
//     a user's user.* tags) are the host's business, not the guest's, and `ls -l` or a program
//     probing for an attribute sees a file system that simply has none; set gives EROFS;
//   - tmpfs: stored per inode in an `XattrStore`, charged to the machine's memory account.
// The overlay file system implements the same three methods.

/// setxattr's flags: XATTR_CREATE fails with EEXIST if the attribute exists, XATTR_REPLACE
/// with ENODATA if it does not; neither sets it either way.
public enum XattrSetMode: Sendable {
    case createOrReplace, create, replace
}

/// Linux's limits on attribute names and values (include/uapi/linux/limits.h).
public enum XattrLimits {
    /// XATTR_NAME_MAX: longer names are ERANGE.
    public static let nameMax = 255
    /// XATTR_SIZE_MAX: longer values are E2BIG.
    public static let valueMax = 65536
    /// XATTR_LIST_MAX: the most a listxattr returns.
    public static let listMax = 65536
}

/// The attributes of one in-memory inode (tmpfs; the overlay's upper layer may use it too):
/// names and values in the order they were first set, as Linux's simple_xattr list keeps them.
/// Each attribute is charged to the memory account (its name, its value and a fixed overhead,
/// as Linux's simple_xattr_space counts); a charge that does not fit is ENOSPC, the error tmpfs
/// gives when its space for attributes runs out. The charges go back when the store does.
public final class XattrStore {
    /// What one attribute costs beyond its name and value (Linux: the simple_xattr header).
    static let overhead = 64
    private var entries: [(name: [UInt8], value: [UInt8])] = []
    private var charged: UInt64 = 0
    let account: MemoryController?

    public init(account: MemoryController?) { self.account = account }
    deinit { account?.uncharge(charged, .shmem) }

    static func cost(_ name: [UInt8], _ value: [UInt8]) -> UInt64 { UInt64(overhead + name.count + value.count) }

    public func value(_ name: [UInt8]) throws(LinuxErrno) -> [UInt8] {
        guard let e = entries.first(where: { $0.name == name }) else { throw .ENODATA }
        return e.value
    }

    public var names: [[UInt8]] { entries.map(\.name) }

    public func set(_ name: [UInt8], _ value: [UInt8]?, _ mode: XattrSetMode) throws(LinuxErrno) {
        let index = entries.firstIndex(where: { $0.name == name })
        guard let value else {
            guard let index else { throw .ENODATA }
            release(XattrStore.cost(name, entries.remove(at: index).value))
            return
        }
        if index != nil && mode == .create { throw .EEXIST }
        if index == nil && mode == .replace { throw .ENODATA }
        let cost = XattrStore.cost(name, value)
        if let account, !account.tryCharge(cost, .shmem) { throw .ENOSPC }
        charged += cost
        if let index {
            release(XattrStore.cost(name, entries[index].value))
            entries[index].value = value
        } else {
            entries.append((name, value))
        }
    }

    private func release(_ bytes: UInt64) {
        let n = min(bytes, charged)
        charged -= n
        account?.uncharge(n, .shmem)
    }
}
