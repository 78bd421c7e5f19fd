import HostOS
import LinuxABI

/// A mount the command line asks for, made after the machine's own (/dev, /proc, /tmp,
/// /dev/shm, the generated /etc files), in the order given.
public enum MountRequest: Sendable, Equatable {
    /// `--bind HOST:GUEST[:ro|rw]`: a host directory; read-write ones are written as the user
    /// umlab runs as (host owners and modes), read-only ones as the read-only root is.
    case bind(host: String, guest: String, readOnly: Bool)
    /// `--tmpfs GUEST[:size=N]`: a memory file system; nil size: only `--memory` bounds it.
    case tmpfs(guest: String, size: UInt64?)

    public var guestPath: String {
        switch self {
        case .bind(_, let guest, _), .tmpfs(let guest, _): guest
        }
    }
}

extension VFS {
    /// The canonical form of an absolute guest path ("/a//b/" is "/a/b"), or nil for a relative
    /// path or one with "." or ".." (a mount point is named exactly).
    public static func canonical(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return nil }
        let parts = path.split(separator: "/")
        if parts.contains(where: { $0 == "." || $0 == ".." }) { return nil }
        return "/" + parts.joined(separator: "/")
    }

    /// The guest's root as `config` sets it: the host directory `rootDirectory`, read-only, or
    /// with the writable layer `overlayDirectory` over it.
    static func makeRoot(_ config: KernelConfig, descriptors: HostDescriptors) throws(LinuxErrno) -> VFS {
        guard let upper = config.overlayDirectory else {
            return VFS(root: try HostFS(hostPath: config.rootDirectory, device: 0x801, descriptors: descriptors,
                                        revalidation: config.hostfsRevalidation), source: config.rootDirectory)
        }
        let lower = try HostFS(hostPath: config.rootDirectory, device: 0x802, descriptors: descriptors, revalidation: config.hostfsRevalidation)
        return VFS(root: try OverlayFS(upperPath: upper, lower: lower, device: 0x801, descriptors: descriptors), source: "overlay")
    }

    /// Makes the command line's mounts (`config.mounts`).
    func mountRequested(_ config: KernelConfig, descriptors: HostDescriptors, memory: MemoryController?,
                        device: () -> UInt64) throws(LinuxErrno) {
        let clock: () -> (Int64, Int64) = { (try? Host.clock(0)) ?? (0, 0) }
        for request in config.mounts {
            guard let at = VFS.canonical(request.guestPath) else { throw .EINVAL }
            switch request {
            case .bind(let host, _, let readOnly):
                let fs: FileSystem = readOnly
                    ? try HostFS(hostPath: host, device: device(), descriptors: descriptors, revalidation: config.hostfsRevalidation)
                    : try OverlayFS(upperPath: host, lower: nil, device: device(), descriptors: descriptors)
                mount(fs, at: at, source: host)
            case .tmpfs(_, let size):
                mount(TmpFS(device: device(), clock: clock, account: memory, descriptors: descriptors, sizeLimit: size), at: at, source: "tmpfs")
            }
        }
    }
}

/// The guest's file tree as the command line sets it up, before a machine exists: the CLI
/// looks for the first program in it, and tells why a file the host has is not there. The
/// machine's own mounts are there as empty placeholders (their contents are the machine's).
public struct GuestView {
    let vfs: VFS

    public init(config: KernelConfig) throws(LinuxErrno) {
        let descriptors = HostDescriptors(budget: 64)
        vfs = try VFS.makeRoot(config, descriptors: descriptors)
        let clock: () -> (Int64, Int64) = { (0, 0) }
        var next: UInt64 = 0x30
        for (path, source) in Kernel.machineMounts {
            vfs.mount(TmpFS(device: next, clock: clock, descriptors: descriptors), at: path, source: source)
            next += 1
        }
        try vfs.mountRequested(config, descriptors: descriptors, memory: nil, device: { next += 1; return next })
    }

    /// The first bytes of the regular file at the absolute guest path (symlinks followed), or
    /// nil when the guest has no such file.
    public func header(_ path: String, count: Int = 64) -> [UInt8]? {
        guard let loc = try? vfs.resolve(Array(path.utf8), base: vfs.rootLocation, root: vfs.rootLocation, followFinal: true),
              loc.inode.kind == .regular else { return nil }
        if let node = loc.inode as? OverlayNode, !node.inUpper, let lower = node.lower { return Self.read(lower, count) }
        if let host = loc.inode as? HostInode { return Self.read(host, count) }
        if let node = loc.inode as? OverlayNode,
           let fd = try? HostFD.open(beneath: node.overlay.upperFD, node.path, flags: HostOpen.readOnly | HostOpen.noFollow) {
            defer { fd.close() }
            return Self.read(fd, count)
        }
        return nil
    }
    private static func read(_ inode: HostInode, _ count: Int) -> [UInt8]? {
        guard let fd = try? inode.host.open(inode.relativePath, flags: HostOpen.readOnly) else { return nil }
        defer { fd.close() }
        return read(fd, count)
    }
    private static func read(_ fd: HostFD, _ count: Int) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: count)
        guard let n = try? typedErrno({ try buf.withUnsafeMutableBytes { try fd.read(into: $0, at: 0) } }) else { return nil }
        return Array(buf[0..<n])
    }

    /// Whether the guest has a directory at the absolute path.
    public func isDirectory(_ path: String) -> Bool {
        (try? vfs.resolve(Array(path.utf8), base: vfs.rootLocation, root: vfs.rootLocation, followFinal: true))?.inode.kind == .directory
    }

    /// The mount whose tree holds the canonical absolute path (its point, type and source).
    public func mount(holding path: String) -> (point: String, type: String, source: String) {
        let m = vfs.mounts[path] ?? vfs.mountContaining(path)
        return (m.path, m.fs.name, m.source)
    }
}
