import HostOS
import LinuxABI

/// Building blocks for file systems whose objects the kernel makes up (devfs, procfs): a
/// directory listing computed on demand, files whose content is generated at open, symlinks
/// whose target is computed, and device nodes with their own open.
public class SyntheticFS: FileSystem {
    var rootNode: Inode!
    public override var root: Inode { rootNode }
}

final class SynthDirectory: Inode {
    let number: UInt64
    let mode: UInt32
    /// Lists the children; the names are looked up through `child`.
    let list: () -> [String]
    let child: (String) -> Inode?
    init(fs: FileSystem, number: UInt64, mode: UInt32 = 0o555, list: @escaping () -> [String], child: @escaping (String) -> Inode?) {
        self.number = number; self.mode = mode; self.list = list; self.child = child
        super.init(fs: fs)
    }
    /// A directory with a fixed set of children.
    convenience init(fs: FileSystem, number: UInt64, mode: UInt32 = 0o555, children: [(String, Inode)]) {
        let map = Dictionary(children, uniquingKeysWith: { a, _ in a })
        self.init(fs: fs, number: number, mode: mode, list: { children.map(\.0) }, child: { map[$0] })
    }
    override var kind: FileKind { .directory }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.device = fs.device; s.inode = number; s.mode = FileMode.directory | mode; s.links = 2; s.size = 0
        return s
    }
    override func lookup(_ name: String) throws(LinuxErrno) -> Inode {
        guard let c = child(name) else { throw .ENOENT }
        return c
    }
    override func entries() throws(LinuxErrno) -> [DirectoryEntry] {
        var out = [DirectoryEntry(name: ".", inode: number, kind: .directory), DirectoryEntry(name: "..", inode: 1, kind: .directory)]
        for name in list() {
            guard let c = child(name) else { continue }
            out.append(DirectoryEntry(name: name, inode: (try? c.stat().inode) ?? 0, kind: c.kind))
        }
        return out
    }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        if flags.canWrite { throw .EISDIR }
        return DirectoryFile(inode: self, flags: flags, path: path)
    }
}

final class SynthFile: Inode {
    let number: UInt64
    let mode: UInt32
    let content: () throws(LinuxErrno) -> [UInt8]
    init(fs: FileSystem, number: UInt64, mode: UInt32 = 0o444, content: @escaping () throws(LinuxErrno) -> [UInt8]) {
        self.number = number; self.mode = mode; self.content = content
        super.init(fs: fs)
    }
    convenience init(fs: FileSystem, number: UInt64, text: @escaping () -> String) {
        self.init(fs: fs, number: number, content: { Array(text().utf8) })
    }
    override var kind: FileKind { .regular }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.device = fs.device; s.inode = number; s.mode = FileMode.regular | mode; s.links = 1; s.size = 0; s.blockSize = 1024
        return s
    }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        if flags.canWrite { throw .EACCES }
        return SnapshotFile(inode: self, flags: flags, path: path, content: try content())
    }
}

final class SynthSymlink: Inode, MagicLink {
    let number: UInt64
    let target: () throws(LinuxErrno) -> [UInt8]
    /// For magic links: the object itself, reached without a path walk.
    let object: (() -> Location?)?
    init(fs: FileSystem, number: UInt64, target: @escaping () throws(LinuxErrno) -> [UInt8], object: (() -> Location?)? = nil) {
        self.number = number; self.target = target; self.object = object
        super.init(fs: fs)
    }
    override var kind: FileKind { .symlink }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.device = fs.device; s.inode = number; s.mode = FileMode.symlink | 0o777; s.links = 1
        s.size = Int64((try? target().count) ?? 0)
        return s
    }
    override func readLink() throws(LinuxErrno) -> [UInt8] { try target() }
    var location: Location? { object?() }
}

/// A character device node: `make` produces the open file.
final class DeviceNode: Inode {
    let number: UInt64
    let rdev: UInt64
    let mode: UInt32
    let make: (OpenFlags, String, Inode) throws(LinuxErrno) -> OpenFile
    init(fs: FileSystem, number: UInt64, major: UInt64, minor: UInt64, mode: UInt32 = 0o666,
         make: @escaping (OpenFlags, String, Inode) throws(LinuxErrno) -> OpenFile) {
        self.number = number; self.rdev = (major << 8) | minor; self.mode = mode; self.make = make
        super.init(fs: fs)
    }
    override var kind: FileKind { .characterDevice }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.device = fs.device; s.inode = number; s.mode = FileMode.character | mode; s.rdev = rdev; s.blockSize = 4096
        return s
    }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        return try make(flags, path, self)
    }
    override func setMode(_ mode: UInt32) throws(LinuxErrno) {}
    override func setTimes(access: (Int64, Int64)?, modify: (Int64, Int64)?) throws(LinuxErrno) {}
}

/// /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom.
final class SimpleDeviceFile: OpenFile {
    enum Kind { case null, zero, full, random }
    let device: Kind
    init(_ device: Kind, inode: Inode, flags: OpenFlags, path: String) {
        self.device = device
        super.init(inode: inode, flags: flags, path: path)
    }
    override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        switch device {
        case .null: return 0
        case .zero, .full:
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            return buffer.count
        case .random:
            try Host.random(into: buffer)
            return buffer.count
        }
    }
    override func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        try read(into: buffer)
    }
    override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        if device == .full { throw .ENOSPC }
        return buffer.count
    }
    override func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int { try write(buffer) }
    override func seek(_ offset: Int64, whence: Int32) throws(LinuxErrno) -> Int64 { 0 }
    override func mappable(writable: Bool) throws(LinuxErrno) -> HostFileRef {
        throw .ENODEV  // /dev/zero mappings are turned into anonymous ones by mmap itself
    }
}

/// devfs: the device nodes a Linux program expects in /dev.
public final class DevFS: SyntheticFS {
    public init(device: UInt64, kernel: Kernel) {
        super.init(name: "devtmpfs", device: device, readOnly: false)
        var n: UInt64 = 2
        func next() -> UInt64 { n += 1; return n }
        func simple(_ kind: SimpleDeviceFile.Kind, _ minor: UInt64) -> Inode {
            DeviceNode(fs: self, number: next(), major: 1, minor: minor) { f, p, i throws(LinuxErrno) in SimpleDeviceFile(kind, inode: i, flags: f, path: p) }
        }
        let console: (OpenFlags, String, Inode) throws(LinuxErrno) -> OpenFile = { [unowned kernel] f, p, i throws(LinuxErrno) in
            ConsoleFile(input: .standardInput, output: .standardOutput, flags: f, path: p, inode: i, kernel: kernel)
        }
        func link(_ target: String) -> Inode { SynthSymlink(fs: self, number: next(), target: { Array(target.utf8) }) }
        let shm = SynthDirectory(fs: self, number: next(), mode: 0o1777, children: [])
        let pts = SynthDirectory(fs: self, number: next(), mode: 0o755, children: [])
        rootNode = SynthDirectory(fs: self, number: 2, mode: 0o755, children: [
            ("null", simple(.null, 3)), ("zero", simple(.zero, 5)), ("full", simple(.full, 7)),
            ("random", simple(.random, 8)), ("urandom", simple(.random, 9)),
            ("tty", ControllingTerminalNode(fs: self, number: next())),
            ("ptmx", PtmxNode(fs: self, number: next(), mode: 0o666, kernel: kernel)),
            ("console", DeviceNode(fs: self, number: next(), major: 5, minor: 1, mode: 0o600, make: console)),
            ("stdin", link("/proc/self/fd/0")), ("stdout", link("/proc/self/fd/1")), ("stderr", link("/proc/self/fd/2")),
            ("fd", link("/proc/self/fd")), ("shm", shm), ("pts", pts),
        ])
    }

    /// The node behind one of the first program's standard descriptors: /dev/console as far as
    /// stat can tell (the same device number and inode), but opened again — through
    /// /proc/self/fd/N, /dev/stdout, /dev/stderr — it writes where that descriptor writes, so
    /// `echo x > /dev/stderr` goes to umlab's standard error, not its standard output.
    static func consoleStream(_ console: Inode, writingTo output: HostFD, kernel: Kernel) -> Inode {
        guard let console = console as? DeviceNode, console.fs is DevFS else { return console }
        return DeviceNode(fs: console.fs, number: console.number, major: 5, minor: 1, mode: console.mode) { [unowned kernel] f, p, i throws(LinuxErrno) in
            ConsoleFile(input: .standardInput, output: output, flags: f, path: p, inode: i, kernel: kernel)
        }
    }
}
