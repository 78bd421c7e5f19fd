import CHost
import Glibc
import LinuxABI

/// Status of a host file, reduced to what the guest kernel reports.
public struct HostStat: Sendable {
    public var device: UInt64, inode: UInt64, mode: UInt32, links: UInt64
    public var uid: UInt32, gid: UInt32, rdev: UInt64, size: Int64, blockSize: Int64, blocks: Int64
    public var atime: (Int64, Int64), mtime: (Int64, Int64), ctime: (Int64, Int64)

    init(_ s: stat) {
        device = UInt64(s.st_dev); inode = UInt64(s.st_ino); mode = UInt32(s.st_mode)
        links = UInt64(s.st_nlink); uid = s.st_uid; gid = s.st_gid; rdev = UInt64(s.st_rdev)
        size = Int64(s.st_size); blockSize = Int64(s.st_blksize); blocks = Int64(s.st_blocks)
        atime = (Int64(s.st_atim.tv_sec), Int64(s.st_atim.tv_nsec))
        mtime = (Int64(s.st_mtim.tv_sec), Int64(s.st_mtim.tv_nsec))
        ctime = (Int64(s.st_ctim.tv_sec), Int64(s.st_ctim.tv_nsec))
    }
}

/// One raw directory entry from a host directory.
public struct HostDirEntry: Sendable {
    public var inode: UInt64, type: UInt8, name: String
}

/// A host file descriptor owned by umlab. Not a guest fd: guests never hold host descriptors.
public struct HostFD: Hashable, Sendable {
    public let raw: Int32
    public init(_ raw: Int32) { self.raw = raw }

    public static let standardInput = HostFD(0), standardOutput = HostFD(1), standardError = HostFD(2)

    /// Opens `path` (relative, already split by the VFS) strictly beneath `directory`: no `..`
    /// escape, no symlink followed, no magic link, whatever the host tree holds.
    public static func open(beneath directory: HostFD, _ path: String, flags: Int32, mode: UInt32 = 0) throws(LinuxErrno) -> HostFD {
        HostFD(try Host.check { FileName.withCString(path) { ch_open_beneath(directory.raw, $0, flags | O_CLOEXEC, mode) } })
    }
    public static func open(_ path: String, flags: Int32, mode: UInt32 = 0) throws(LinuxErrno) -> HostFD {
        HostFD(try Host.check { ch_openat(AT_FDCWD, FileName.cString(path), flags | O_CLOEXEC, mode) })
    }
    /// An anonymous memory file (tmpfs files, shared anonymous memory, the guest stub image).
    public static func memory(name: String, executable: Bool = false) throws(LinuxErrno) -> HostFD {
        HostFD(try Host.check { ch_memfd(name, executable ? 1 : 0) })
    }

    public func close() { Glibc.close(raw) }

    public func read(into buf: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        try Host.check { Glibc.read(raw, buf.baseAddress, buf.count) }
    }
    public func write(_ buf: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        try Host.check { Glibc.write(raw, buf.baseAddress, buf.count) }
    }
    public func read(into buf: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        try Host.check { Glibc.pread(raw, buf.baseAddress, buf.count, off_t(offset)) }
    }
    public func write(_ buf: UnsafeRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        try Host.check { Glibc.pwrite(raw, buf.baseAddress, buf.count, off_t(offset)) }
    }
    public func writeAll(_ bytes: inout [UInt8]) throws(LinuxErrno) {
        var done = 0
        while done < bytes.count {
            let n = try typedErrno { try bytes.withUnsafeBytes { p in try write(UnsafeRawBufferPointer(rebasing: p[done...])) } }
            done += n
        }
    }
    /// Reads a whole (small) file.
    public func readAll(limit: Int = 64 << 20) throws(LinuxErrno) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var offset: Int64 = 0
        while out.count < limit {
            let n = try typedErrno { try chunk.withUnsafeMutableBytes { p in try read(into: p, at: offset) } }
            if n == 0 { break }
            out += chunk[0..<n]
            offset += Int64(n)
        }
        return out
    }
    public func stat() throws(LinuxErrno) -> HostStat {
        var s = Glibc.stat()
        _ = try Host.check { fstat(raw, &s) }
        return HostStat(s)
    }
    public func truncate(_ length: Int64) throws(LinuxErrno) {
        _ = try Host.check { ftruncate(raw, off_t(length)) }
    }
    public func sync() throws(LinuxErrno) { _ = try Host.check { fsync(raw) } }
    /// Deallocates [offset, offset + length) of the file, which then reads as zeros; the size
    /// stays (fallocate's FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE; EOPNOTSUPP where the
    /// host file system cannot).
    public func punchHole(offset: Int64, length: Int64) throws(LinuxErrno) {
        _ = try Host.check { ch_punch_hole(raw, offset, length) }
    }
    public func seek(_ offset: Int64, whence: Int32) throws(LinuxErrno) -> Int64 {
        Int64(try Host.check { lseek(raw, off_t(offset), whence) })
    }

    /// readlinkat(fd, "") on an O_PATH|O_NOFOLLOW descriptor of a symlink.
    public func readLink() throws(LinuxErrno) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = try typedErrno { try buf.withUnsafeMutableBytes { p in
            try Host.check { readlinkat(raw, "", p.baseAddress!.assumingMemoryBound(to: CChar.self), p.count) }
        } }
        return Array(buf[0..<n])
    }

    /// All entries of a host directory (opened O_RDONLY|O_DIRECTORY), `.` and `..` included;
    /// from the start, unless `rewind` is false (a descriptor just opened is there already).
    public func directoryEntries(rewind: Bool = true) throws(LinuxErrno) -> [HostDirEntry] {
        var out: [HostDirEntry] = []
        var buf = [UInt8](repeating: 0, count: 32768)
        if rewind { _ = try seek(0, whence: SEEK_SET) }
        while true {
            let n = try typedErrno { try buf.withUnsafeMutableBytes { p in
                try Host.check { ch_syscall6(Int(CH_SYS_getdents64), Int(raw), Int(bitPattern: p.baseAddress), p.count, 0, 0, 0) }
            } }
            if n == 0 { break }
            var off = 0
            while off < n {
                let ino = buf.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: off, as: UInt64.self) }
                let reclen = Int(buf.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: off + 16, as: UInt16.self) })
                let type = buf[off + 18]
                var end = off + 19
                while end < off + reclen && buf[end] != 0 { end += 1 }
                let name = FileName.string(buf[(off + 19)..<end])
                out.append(HostDirEntry(inode: ino, type: type, name: name))
                off += reclen
            }
        }
        return out
    }

    public func setFlags(_ flags: Int32) throws(LinuxErrno) { _ = try Host.check { ch_fcntl_int(raw, F_SETFL, flags) } }
    public func getFlags() throws(LinuxErrno) -> Int32 { try Host.check { ch_fcntl_int(raw, F_GETFL, 0) } }
    /// Makes reads and writes on the descriptor fail with EAGAIN rather than wait.
    public func setNonBlocking() throws(LinuxErrno) { try setFlags(try getFlags() | O_NONBLOCK) }
    /// A second descriptor for the same open file (close-on-exec, above the standard three).
    public func duplicate() throws(LinuxErrno) -> HostFD { HostFD(try Host.check { ch_fcntl_int(raw, F_DUPFD_CLOEXEC, 3) }) }
}

/// Host open(2) flags the VFS uses, re-exported so the kernel need not import Glibc.
extension HostFD {
    /// mkdir(2) of a host path umlab itself uses (build and result directories).
    public static func makeDirectory(_ path: String, mode: UInt32 = 0o755) throws(LinuxErrno) {
        _ = try Host.check { mkdir(path, mode_t(mode)) }
    }
    /// Creates or replaces a host file umlab itself writes (results, planted test files).
    public static func writeFile(_ path: String, _ bytes: [UInt8], mode: UInt32 = 0o644) throws(LinuxErrno) {
        let fd = try HostFD.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        defer { fd.close() }
        var b = bytes
        try fd.writeAll(&b)
    }
    /// readlink(2) of a host path.
    public static func readLink(_ path: String) throws(LinuxErrno) -> String {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = try typedErrno { try buf.withUnsafeMutableBytes { p in
            try Host.check { readlink(path, p.baseAddress!.assumingMemoryBound(to: CChar.self), p.count) }
        } }
        return String(decoding: buf[0..<n], as: UTF8.self)
    }
}

public enum HostOpen {
    public static let readOnly = O_RDONLY, readWrite = O_RDWR, writeOnly = O_WRONLY
    public static let path = Int32(CH_O_PATH), noFollow = O_NOFOLLOW, directory = O_DIRECTORY
}
