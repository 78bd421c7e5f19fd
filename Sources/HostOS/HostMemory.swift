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

    /// A zeroed table that costs nothing until touched (page tables).
    public static func zeroedTable<T>(count: Int) -> UnsafeMutablePointer<T> {
        let bytes = count * MemoryLayout<T>.stride
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        precondition(p != MAP_FAILED, "out of host memory for a page table")
        return p!.bindMemory(to: T.self, capacity: count)
    }
    public static func freeTable<T>(_ p: UnsafeMutablePointer<T>, count: Int) {
        munmap(UnsafeMutableRawPointer(p), count * MemoryLayout<T>.stride)
    }
}
