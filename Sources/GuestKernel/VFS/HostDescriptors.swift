import HostOS
import LinuxABI

/// The host descriptors one machine holds for guest objects, bounded whatever the guest does.
///
/// Two kinds of guest object need a host descriptor:
/// - hostfs files: a guest may open as many as its RLIMIT_NOFILE allows, but umlab keeps at most
///   `poolCapacity` host descriptors for them, reopened by path on demand and closed least
///   recently used first (`HostFileContents`);
/// - memory files (memfd) that a backend must map: tmpfs files once they are mapped, shared
///   anonymous memory. They hold their data, so they cannot be closed and reopened: at most
///   `budget - poolCapacity` exist at once; one more is refused with ENFILE, as Linux refuses an
///   open at the system-wide file limit.
/// Plain tmpfs files (never mapped) hold no host descriptor at all: their data is umlab's own
/// memory (`TmpFileData`). Besides these umlab holds a fixed handful (the root directory, the
/// console, the event loop, the kernel arena, the x86-64 stub).
public final class HostDescriptors {
    public let budget: Int
    public let poolCapacity: Int
    /// A pooled descriptor: a file or directory of one hostfs tree (the tree's root descriptor
    /// tells trees apart: the root and a read-only bind mount may hold the same relative path).
    private struct PoolKey: Hashable { var root: Int32; var path: String; var directory: Bool }
    private struct Pooled { var fd: HostFD; var lastUse: UInt64 }
    private var pool: [PoolKey: Pooled] = [:]
    private var useClock: UInt64 = 0
    /// Memory files held now.
    public private(set) var memoryFiles = 0
    /// Most descriptors held at once (pool and memory files).
    public private(set) var peak = 0
    public var inUse: Int { pool.count + memoryFiles }
    /// Advanced by the kernel at every system call: what a host call told about a hostfs object
    /// during one guest call (its status, from the path walk) serves the rest of that call
    /// without asking the host again, and no later call (see `HostInode.stat`).
    public internal(set) var callEpoch: UInt64 = 0
    func beginCall() { callEpoch &+= 1 }

    public init(budget: Int) {
        self.budget = max(budget, 16)
        poolCapacity = min(64, self.budget / 4)
    }

    /// A read-only descriptor of hostfs file `relative` under `root`, from the pool or opened
    /// now (`fresh`; closing the least recently used one when the pool is full). Valid until
    /// the next call: use it and forget it. `open` opens it when the pool has none (by
    /// default: beneath `root`).
    func pooled(_ relative: String, under root: HostFD,
                open: (() throws(LinuxErrno) -> HostFD)? = nil) throws(LinuxErrno) -> (fd: HostFD, fresh: Bool) {
        try take(PoolKey(root: root.raw, path: relative, directory: false)) { () throws(LinuxErrno) in
            if let open { return try open() }
            return try HostFD.open(beneath: root, relative, flags: HostOpen.readOnly)
        }
    }

    /// An O_PATH descriptor of hostfs directory `relative` under `root` ("." is the root
    /// itself), from the same pool: the path walk asks the host about one entry of it at a
    /// time (fstatat, openat2 of one component) instead of walking the whole path again.
    func directory(_ relative: String, under root: HostFD) throws(LinuxErrno) -> HostFD {
        if relative == "." { return root }
        return try take(PoolKey(root: root.raw, path: relative, directory: true)) { () throws(LinuxErrno) in
            try HostFD.open(beneath: root, relative, flags: HostOpen.path | HostOpen.directory | HostOpen.noFollow)
        }.fd
    }

    private func take(_ key: PoolKey, open: () throws(LinuxErrno) -> HostFD) throws(LinuxErrno) -> (fd: HostFD, fresh: Bool) {
        useClock &+= 1
        if let p = pool[key] {
            pool[key]!.lastUse = useClock
            return (p.fd, false)
        }
        // Opened before a victim is chosen: opening a file may take its directory from the
        // pool first (a nested `take`), and the pool still ends at most full.
        let fd = try open()
        if pool.count >= poolCapacity, let victim = pool.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            pool.removeValue(forKey: victim)?.fd.close()
        }
        pool[key] = Pooled(fd: fd, lastUse: useClock)
        peak = max(peak, inUse)
        return (fd, true)
    }

    /// The machine ended: the pooled descriptors are closed (memory files go with their
    /// objects). See Kernel.end.
    func closeAll() {
        for p in pool.values { p.fd.close() }
        pool.removeAll()
    }
    deinit { closeAll() }

    /// Drops file `relative` of the tree under `root` from the pool (its descriptor named
    /// another file than expected).
    func forget(_ relative: String, under root: HostFD) {
        pool.removeValue(forKey: PoolKey(root: root.raw, path: relative, directory: false))?.fd.close()
    }
    /// Drops directory `relative` of the tree under `root` from the pool (the host replaced it).
    func forgetDirectory(_ relative: String, under root: HostFD) {
        pool.removeValue(forKey: PoolKey(root: root.raw, path: relative, directory: true))?.fd.close()
    }

    /// Room for one more memory file, or ENFILE.
    func reserveMemoryFile() throws(LinuxErrno) {
        guard memoryFiles < budget - poolCapacity else { throw .ENFILE }
        memoryFiles += 1
        peak = max(peak, inUse)
    }
    func releaseMemoryFile() { memoryFiles -= 1 }
}

/// A host memory file (memfd) the kernel holds for a guest object, counted in the machine's
/// descriptor budget and closed when the object goes.
final class HeldMemoryFile: MappedFileSource {
    let host: HostFD
    private let descriptors: HostDescriptors

    init(name: String, length: Int64, descriptors: HostDescriptors) throws(LinuxErrno) {
        try descriptors.reserveMemoryFile()
        do {
            host = try HostFD.memory(name: name)
            try host.truncate(length)
        } catch {
            descriptors.releaseMemoryFile()
            throw error
        }
        self.descriptors = descriptors
    }
    deinit {
        host.close()
        descriptors.releaseMemoryFile()
    }

    var mappedSize: UInt64 { UInt64(max(0, (try? host.stat().size) ?? 0)) }
    func readMapped(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(LinuxErrno) -> Int {
        guard offset <= UInt64(Int64.max) else { return 0 }
        return try host.read(into: buffer, at: Int64(offset))
    }
}
