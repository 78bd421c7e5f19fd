import Glibc
import LinuxABI

/// Host memory that backs interpreted guests' pages.
public enum HostMemory {
    /// Zero-filled private memory.
    public static func anonymous(_ length: Int) throws(LinuxErrno) -> UnsafeMutableRawPointer {
        let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else { throw LinuxErrno(errno) }
        return p
    }
    /// A view of a host file: shared (writes reach the file) or private (copy-on-write).
    public static func file(_ fd: Int32, offset: UInt64, length: Int, shared: Bool, writable: Bool) throws(LinuxErrno) -> UnsafeMutableRawPointer {
        let prot = PROT_READ | (writable ? PROT_WRITE : 0)
        let p = mmap(nil, length, prot, shared ? MAP_SHARED : MAP_PRIVATE, fd, off_t(offset))
        guard let p, p != MAP_FAILED else { throw LinuxErrno(errno) }
        return p
    }
    public static func unmap(_ p: UnsafeMutableRawPointer, _ length: Int) { munmap(p, length) }

    /// A shared, writable view of the first `length` bytes of a host file, followed by
    /// `guardBytes` of inaccessible address space: a store that runs past the view's end is a
    /// host SIGSEGV at once, never a silent write into whatever umlab mapped next. Release
    /// with `unmap(p, length + guardBytes)`.
    public static func guardedFile(_ fd: Int32, length: Int, guardBytes: Int) throws(LinuxErrno) -> UnsafeMutableRawPointer {
        let total = length + guardBytes
        let reserved = mmap(nil, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let reserved, reserved != MAP_FAILED else { throw LinuxErrno(errno) }
        let p = mmap(reserved, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0)
        guard let p, p != MAP_FAILED else {
            let e = errno
            munmap(reserved, total)
            throw LinuxErrno(e)
        }
        return p
    }

    /// Generated code (a JIT's buffer): `length` bytes of one memory file seen twice, writable at
    /// `writable` and executable at `executable`, so that no view is both (W^X) and code can be
    /// written or patched without an mprotect each time. Release both with `unmap(_, length)`.
    public static func dualCode(_ length: Int) throws(LinuxErrno) -> (writable: UnsafeMutableRawPointer, executable: UnsafeMutableRawPointer) {
        let fd = try HostFD.memory(name: "umlab-jit")
        defer { fd.close() }
        try fd.truncate(Int64(length))
        let w = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd.raw, 0)
        guard let w, w != MAP_FAILED else { throw LinuxErrno(errno) }
        let x = mmap(nil, length, PROT_READ | PROT_EXEC, MAP_SHARED, fd.raw, 0)
        guard let x, x != MAP_FAILED else {
            let e = errno
            munmap(w, length)
            throw LinuxErrno(e)
        }
        return (w, x)
    }

    /// How `discard` lets go of anonymous pages (host madvise advice).
    public enum Discard {
        /// The pages read back as zero from now on (MADV_DONTNEED).
        case now
        /// The host may take the pages when it needs memory; until it does, or once they are
        /// written again, they keep their contents (MADV_FREE).
        case lazily
    }
    /// Gives private anonymous host pages back to the host (page-aligned range).
    public static func discard(_ p: UnsafeMutableRawPointer, _ length: Int, _ how: Discard) throws(LinuxErrno) {
        guard madvise(p, length, how == .now ? MADV_DONTNEED : MADV_FREE) == 0 else { throw LinuxErrno(errno) }
    }

    /// A zeroed table that costs nothing until touched (page tables), or nil when the host
    /// refuses the address space.
    public static func zeroedTable<T>(count: Int) -> UnsafeMutablePointer<T>? {
        let bytes = count * MemoryLayout<T>.stride
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else { return nil }
        return p.bindMemory(to: T.self, capacity: count)
    }
    public static func freeTable<T>(_ p: UnsafeMutablePointer<T>, count: Int) {
        munmap(UnsafeMutableRawPointer(p), count * MemoryLayout<T>.stride)
    }
}
