import CHost
import Glibc
import LinuxABI

/// Changes to a host directory tree that umlab writes for the guest (a read-write bind mount,
/// the overlay's upper layer). Each call names one entry of the directory this descriptor
/// holds (opened with `open(beneath:)`): a single component, never a host path, and a symlink
/// in that component is never followed, so a guest cannot reach outside the tree through them.
extension HostFD {
    /// fstatat(2) of entry `name` without following a symlink: the status of one entry of this
    /// directory (which may be an O_PATH descriptor) in one host call, no path walked.
    public func statEntry(_ name: String) throws(LinuxErrno) -> HostStat {
        var s = Glibc.stat()
        _ = try Host.check { FileName.withCString(name) { fstatat(raw, $0, &s, AT_SYMLINK_NOFOLLOW) } }
        return HostStat(s)
    }
    /// readlinkat(2) of entry `name` (a symlink's target, unresolved).
    public func readLinkEntry(_ name: String) throws(LinuxErrno) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = try typedErrno { try buf.withUnsafeMutableBytes { p in
            try Host.check { FileName.withCString(name) { readlinkat(raw, $0, p.baseAddress!.assumingMemoryBound(to: CChar.self), p.count) } }
        } }
        return Array(buf[0..<n])
    }
    public func makeDirectory(_ name: String, mode: UInt32) throws(LinuxErrno) {
        _ = try Host.check { ch_mkdirat(raw, FileName.cString(name), mode) }
    }
    public func makeFifo(_ name: String, mode: UInt32) throws(LinuxErrno) {
        _ = try Host.check { ch_mkfifoat(raw, FileName.cString(name), mode) }
    }
    /// Creates a regular file (O_EXCL) and returns a descriptor of it with `flags`.
    public func createFile(_ name: String, mode: UInt32, flags: Int32) throws(LinuxErrno) -> HostFD {
        try HostFD.open(beneath: self, name, flags: flags | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode)
    }
    public func makeSymlink(_ name: String, target: [UInt8]) throws(LinuxErrno) {
        let cTarget = target.map { CChar(bitPattern: $0) } + [0]
        _ = try Host.check { ch_symlinkat(cTarget, raw, FileName.cString(name)) }
    }
    /// unlinkat(2); `directory` for AT_REMOVEDIR.
    public func removeEntry(_ name: String, directory: Bool) throws(LinuxErrno) {
        _ = try Host.check { ch_unlinkat(raw, FileName.cString(name), directory ? 1 : 0) }
    }
    /// renameat2(2) of `name` here to `newName` in `target` (RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2).
    public func rename(_ name: String, to target: HostFD, _ newName: String, flags: UInt32 = 0) throws(LinuxErrno) {
        _ = try Host.check { ch_renameat2(raw, FileName.cString(name), target.raw, FileName.cString(newName), flags) }
    }
    /// A hard link `newName` in `target` to `name` here (the entry itself, not a symlink's target).
    public func link(_ name: String, to target: HostFD, _ newName: String) throws(LinuxErrno) {
        _ = try Host.check { ch_linkat(raw, FileName.cString(name), target.raw, FileName.cString(newName)) }
    }
    public func changeMode(_ name: String, _ mode: UInt32) throws(LinuxErrno) {
        _ = try Host.check { ch_chmodat(raw, FileName.cString(name), mode) }
    }
    public func changeOwner(_ name: String, uid: UInt32?, gid: UInt32?) throws(LinuxErrno) {
        _ = try Host.check { ch_chownat(raw, FileName.cString(name), uid ?? UInt32.max, gid ?? UInt32.max) }
    }
    /// utimensat(2) without following a symlink; nil leaves that time as it is.
    public func setTimes(_ name: String, access: (Int64, Int64)?, modify: (Int64, Int64)?) throws(LinuxErrno) {
        _ = try Host.check {
            ch_utimesat(raw, FileName.cString(name), access?.0 ?? 0, access?.1 ?? -1, modify?.0 ?? 0, modify?.1 ?? -1)
        }
    }

    /// Sets extended attribute `name` of the object this (O_PATH) descriptor names.
    public func setAttribute(_ name: String, _ value: [UInt8]) throws(LinuxErrno) {
        _ = try Host.check { value.withUnsafeBytes { ch_fd_setxattr(raw, name, $0.baseAddress, $0.count) } }
    }
    /// Extended attribute `name`, or nil when the object has none (ENODATA) or the host file
    /// system keeps none (ENOTSUP); other failures throw.
    public func attribute(_ name: String) throws(LinuxErrno) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: 256)
        do {
            let n = try Host.check { buf.withUnsafeMutableBytes { ch_fd_getxattr(raw, name, $0.baseAddress, $0.count) } }
            return Array(buf[0..<n])
        } catch {
            if error == .ENODATA || error == .EOPNOTSUPP || error == .EPERM { return nil }
            throw error
        }
    }
}
