import HostOS
import LinuxABI

/// A memory file system (/tmp, /dev/shm). A regular file's data is umlab's memory, charged to
/// the machine's memory account page by page as it is written; the first time the file is
/// mapped it moves into a host memory file (memfd), which the backends can map shared
/// (`TmpFileData`).
public final class TmpFS: FileSystem {
    private var rootDir: TmpDirectory!
    var nextInode: UInt64 = 2
    let clock: () -> (Int64, Int64)
    /// The machine's memory account (nil: uncharged) and descriptor budget.
    let account: MemoryController?
    let descriptors: HostDescriptors

    /// The bytes its files may hold (`size=`; nil: only the memory limit bounds them).
    let space: TmpSpace?

    public init(name: String = "tmpfs", device: UInt64, mode: UInt32 = 0o1777, clock: @escaping () -> (Int64, Int64),
                account: MemoryController? = nil, descriptors: HostDescriptors = HostDescriptors(budget: 1024),
                sizeLimit: UInt64? = nil, readOnly: Bool = false) {
        self.clock = clock
        self.account = account; self.descriptors = descriptors
        space = sizeLimit.map { TmpSpace(limit: $0) }
        super.init(name: name, device: device, readOnly: readOnly)
        rootDir = TmpDirectory(fs: self, mode: mode, uid: 0, gid: 0, parent: nil)
    }
    public override var root: Inode { rootDir }
    public override var mountOptions: String {
        guard let space else { return super.mountOptions }
        return super.mountOptions + ",size=\(space.limit / 1024 + (space.limit % 1024 == 0 ? 0 : 1))k"
    }
    func allocateInode() -> UInt64 { defer { nextInode += 1 }; return nextInode }
}

/// A size-limited tmpfs's room: pages its files hold count against `limit`, and one past it
/// fails with ENOSPC (before the machine's memory account is asked).
final class TmpSpace {
    let limit: UInt64
    private(set) var used: UInt64 = 0
    init(limit: UInt64) { self.limit = limit }
    func take(_ bytes: UInt64) throws(LinuxErrno) {
        guard let total = GuestMath.end(used, bytes), total <= limit else { throw .ENOSPC }
        used = total
    }
    func give(_ bytes: UInt64) { used -= min(bytes, used) }
}

class TmpNode: Inode {
    let number: UInt64
    var mode: UInt32
    var uid: UInt32, gid: UInt32
    var links: UInt64 = 1
    var atime: (Int64, Int64), mtime: (Int64, Int64), ctime: (Int64, Int64)

    init(fs: TmpFS, mode: UInt32, uid: UInt32, gid: UInt32) {
        number = fs.allocateInode()
        self.mode = mode; self.uid = uid; self.gid = gid
        let now = fs.clock()
        atime = now; mtime = now; ctime = now
        super.init(fs: fs)
    }
    var tmp: TmpFS { fs as! TmpFS }
    var size: Int64 { 0 }

    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.device = fs.device; s.inode = number; s.mode = kind.modeBits | (mode & 0o7777); s.links = links
        s.uid = uid; s.gid = gid; s.size = size; s.blocks = GuestMath.quotientRoundingUp(max(size, 0), 512); s.blockSize = 4096
        s.atime = atime; s.mtime = mtime; s.ctime = ctime
        return s
    }
    override func setMode(_ m: UInt32) throws(LinuxErrno) { mode = m & 0o7777; ctime = tmp.clock() }
    override func setOwner(uid u: UInt32?, gid g: UInt32?) throws(LinuxErrno) {
        if let u { uid = u }
        if let g { gid = g }
        ctime = tmp.clock()
    }
    override func setTimes(access: (Int64, Int64)?, modify: (Int64, Int64)?) throws(LinuxErrno) {
        if let access { atime = access }
        if let modify { mtime = modify }
        ctime = tmp.clock()
    }
    func touchModify() { let now = tmp.clock(); mtime = now; ctime = now }

    /// Extended attributes, made by the first one set.
    private var xattrs: XattrStore?
    override func extendedAttribute(_ name: [UInt8]) throws(LinuxErrno) -> [UInt8] {
        guard let xattrs else { throw .ENODATA }
        return try xattrs.value(name)
    }
    override func extendedAttributeNames() throws(LinuxErrno) -> [[UInt8]] { xattrs?.names ?? [] }
    override func setExtendedAttribute(_ name: [UInt8], _ value: [UInt8]?, _ mode: XattrSetMode) throws(LinuxErrno) {
        if xattrs == nil {
            guard value != nil else { throw .ENODATA }
            xattrs = XattrStore(account: tmp.account)
        }
        try xattrs!.set(name, value, mode)
        ctime = tmp.clock()
    }
}

final class TmpDirectory: TmpNode {
    var children: [String: TmpNode] = [:]
    weak var parent: TmpDirectory?

    init(fs: TmpFS, mode: UInt32, uid: UInt32, gid: UInt32, parent: TmpDirectory?) {
        self.parent = parent
        super.init(fs: fs, mode: mode, uid: uid, gid: gid)
        links = 2
    }
    override var kind: FileKind { .directory }
    override var size: Int64 { 4096 }

    override func lookup(_ name: String) throws(LinuxErrno) -> Inode {
        guard let c = children[name] else { throw .ENOENT }
        return c
    }
    override func entries() throws(LinuxErrno) -> [DirectoryEntry] {
        var out = [DirectoryEntry(name: ".", inode: number, kind: .directory),
                   DirectoryEntry(name: "..", inode: parent?.number ?? number, kind: .directory)]
        for (name, node) in children.sorted(by: { $0.value.number < $1.value.number }) {
            out.append(DirectoryEntry(name: name, inode: node.number, kind: node.kind))
        }
        return out
    }
    override func create(_ name: String, kind: FileKind, mode: UInt32, credentials: Credentials) throws(LinuxErrno) -> Inode {
        if children[name] != nil { throw .EEXIST }
        let node: TmpNode
        switch kind {
        case .directory:
            node = TmpDirectory(fs: tmp, mode: mode, uid: credentials.fsuid, gid: credentials.fsgid, parent: self)
            links += 1
        case .regular:
            node = try TmpFile(fs: tmp, fileMode: mode, uid: credentials.fsuid, gid: credentials.fsgid)
        case .fifo:
            node = TmpFifo(fs: tmp, mode: mode, uid: credentials.fsuid, gid: credentials.fsgid)
        case .socket:
            node = TmpSocket(fs: tmp, mode: mode, uid: credentials.fsuid, gid: credentials.fsgid)
        default:
            throw .EPERM
        }
        children[name] = node
        touchModify()
        return node
    }
    override func makeDevice(_ name: String, block: Bool, rdev: UInt64, mode: UInt32, credentials: Credentials) throws(LinuxErrno) {
        if children[name] != nil { throw .EEXIST }
        children[name] = TmpDevice(fs: tmp, block: block, rdev: rdev, mode: mode, uid: credentials.fsuid, gid: credentials.fsgid)
        touchModify()
    }
    override func symlink(_ name: String, target: [UInt8]) throws(LinuxErrno) {
        if children[name] != nil { throw .EEXIST }
        children[name] = TmpSymlink(fs: tmp, target: target)
        touchModify()
    }
    override func link(_ name: String, to inode: Inode) throws(LinuxErrno) {
        guard let node = inode as? TmpNode, node.fs === fs else { throw .EXDEV }
        if node.kind == .directory { throw .EPERM }
        if children[name] != nil { throw .EEXIST }
        children[name] = node
        node.links += 1
        node.ctime = tmp.clock()
        touchModify()
    }
    override func unlink(_ name: String, directory: Bool) throws(LinuxErrno) {
        guard let node = children[name] else { throw .ENOENT }
        if directory {
            guard let dir = node as? TmpDirectory else { throw .ENOTDIR }
            if !dir.children.isEmpty { throw .ENOTEMPTY }
            links -= 1
        } else if node.kind == .directory {
            throw .EISDIR
        }
        children[name] = nil
        node.links -= node.kind == .directory ? 2 : 1
        node.ctime = tmp.clock()
        touchModify()
    }
    override func rename(_ name: String, to target: Inode, _ newName: String, flags: UInt32) throws(LinuxErrno) {
        guard let dest = target as? TmpDirectory, dest.fs === fs else { throw .EXDEV }
        guard let node = children[name] else { throw .ENOENT }
        let noReplace = flags & RenameFlags.noReplace != 0, exchange = flags & RenameFlags.exchange != 0
        if let dir = node as? TmpDirectory {  // no moving a directory into itself
            var p: TmpDirectory? = dest
            while let d = p { if d === dir { throw .EINVAL }; p = d.parent }
        }
        if exchange {
            guard let other = dest.children[newName] else { throw .ENOENT }
            children[name] = other
            dest.children[newName] = node
            (node as? TmpDirectory)?.parent = dest
            (other as? TmpDirectory)?.parent = self
            return
        }
        if let existing = dest.children[newName] {
            if existing === node { return }
            if noReplace { throw .EEXIST }
            if node.kind == .directory {
                guard let ed = existing as? TmpDirectory else { throw .ENOTDIR }
                if !ed.children.isEmpty { throw .ENOTEMPTY }
                dest.links -= 1
            } else if existing.kind == .directory {
                throw .EISDIR
            }
            existing.links -= existing.kind == .directory ? 2 : 1
        }
        children[name] = nil
        dest.children[newName] = node
        if let dir = node as? TmpDirectory {
            dir.parent = dest
            links -= 1
            dest.links += 1
        }
        node.ctime = tmp.clock()
        touchModify()
        dest.touchModify()
    }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        if flags.canWrite { throw .EISDIR }
        return DirectoryFile(inode: self, flags: flags, path: path)
    }
}

final class TmpFile: TmpNode {
    let data: TmpFileData
    init(fs: TmpFS, fileMode mode: UInt32, uid: UInt32, gid: UInt32) throws(LinuxErrno) {
        data = TmpFileData(account: fs.account, descriptors: fs.descriptors, space: fs.space)
        super.init(fs: fs, mode: mode, uid: uid, gid: gid)
    }
    override var kind: FileKind { .regular }
    override var size: Int64 { data.length }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = try super.stat()
        s.blocks = Int64(data.allocatedBytes / 512)
        return s
    }
    override func truncate(_ length: Int64) throws(LinuxErrno) {
        try data.truncate(length)
        touchModify()
    }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        if flags.contains(.directory) { throw .ENOTDIR }
        if flags.contains(.truncate) && flags.canWrite { try truncate(0) }
        return RegularFile(inode: self, flags: flags, path: path, contents: data)
    }
}

/// A tmpfs file's bytes, as Linux's shmem keeps them: pages allocated as they are written (a
/// hole reads as zeros and costs nothing), each charged to the machine's memory account when
/// allocated (a write past the limit fails with ENOMEM) and returned when the file shrinks or
/// goes (the last link and the last open file). Such a file holds no host descriptor.
///
/// A backend maps host descriptors, so the first mapping of the file moves its data into a host
/// memory file, where it stays for the file's life (reads and writes then go to that file, so
/// they and the mappings see the same bytes); it is charged by its size from then on, and
/// counts against the machine's descriptor budget (ENFILE when that is spent).
final class TmpFileData: FileContents, MappedFileSource {
    static let pageSize = 4096
    /// Missing pages past which fallocate moves a file into a host memory file (1 MiB).
    static let largeAllocation: Int64 = 256
    private(set) var length: Int64 = 0
    private var pages: [Int64: UnsafeMutableRawPointer] = [:]
    private var memoryFile: HeldMemoryFile?
    /// Bytes charged: allocated pages, or the memory file's size rounded up to pages.
    private(set) var allocatedBytes: UInt64 = 0
    let account: MemoryController?
    let descriptors: HostDescriptors
    /// The file system's room, when it has a size limit.
    let space: TmpSpace?
    /// The file's seals (fcntl F_ADD_SEALS, `Seal`): a file opened by path has F_SEAL_SEAL, so
    /// none can be added; memfd_create(MFD_ALLOW_SEALING) starts with none.
    var seals: UInt32 = Seal.seal

    /// The seals Linux's memfd defines (include/uapi/linux/fcntl.h).
    enum Seal {
        static let seal: UInt32 = 1, shrink: UInt32 = 2, grow: UInt32 = 4, write: UInt32 = 8
        static let futureWrite: UInt32 = 0x10, exec: UInt32 = 0x20
        static let all: UInt32 = 0x3f
        /// The seals that forbid changing the data.
        static let writes: UInt32 = write | futureWrite
    }

    init(account: MemoryController?, descriptors: HostDescriptors, space: TmpSpace? = nil) {
        self.account = account; self.descriptors = descriptors; self.space = space
    }

    /// EPERM when the seals forbid a write of [offset, end) to the file.
    private func checkSealsForWrite(offset: Int64, end: Int64) throws(LinuxErrno) {
        if seals & Seal.writes != 0 { throw .EPERM }
        if seals & Seal.grow != 0 && end > length { throw .EPERM }
    }
    deinit {
        for (_, p) in pages { p.deallocate() }
        account?.uncharge(allocatedBytes, .shmem)
        space?.give(allocatedBytes)
    }

    /// Charges `bytes` to the file system's room (ENOSPC) and the machine's memory (ENOMEM).
    private func charge(_ bytes: UInt64) throws(LinuxErrno) {
        try space?.take(bytes)
        if let account, !account.tryCharge(bytes, .shmem) {
            space?.give(bytes)
            throw .ENOMEM
        }
        allocatedBytes += bytes
    }
    private func uncharge(_ bytes: UInt64) {
        let n = min(bytes, allocatedBytes)
        allocatedBytes -= n
        account?.uncharge(n, .shmem)
        space?.give(n)
    }
    /// Bytes a memory file of `size` bytes is charged.
    private static func rounded(_ size: Int64) -> UInt64 {
        UInt64(GuestMath.quotientRoundingUp(max(size, 0), Int64(pageSize))) * UInt64(pageSize)
    }

    func size() throws(LinuxErrno) -> Int64 { length }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        guard offset >= 0 else { throw .EINVAL }
        if let memoryFile { return try memoryFile.host.read(into: buffer, at: offset) }
        guard offset < length else { return 0 }
        let n = Int(min(Int64(buffer.count), length - offset))
        var done = 0
        while done < n {
            let at = offset + Int64(done)
            let inPage = Int(at % Int64(TmpFileData.pageSize))
            let chunk = min(n - done, TmpFileData.pageSize - inPage)
            let dst = buffer.baseAddress! + done
            if let p = pages[at / Int64(TmpFileData.pageSize)] {
                dst.copyMemory(from: p + inPage, byteCount: chunk)
            } else {
                dst.initializeMemory(as: UInt8.self, repeating: 0, count: chunk)
            }
            done += chunk
        }
        return n
    }

    func write(_ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(LinuxErrno) -> Int {
        guard offset >= 0 else { throw .EINVAL }
        if buffer.isEmpty { return 0 }
        let (end, overflow) = offset.addingReportingOverflow(Int64(buffer.count))
        guard !overflow else { throw .EFBIG }
        try checkSealsForWrite(offset: offset, end: end)
        if let memoryFile {
            let grow = TmpFileData.rounded(end) > allocatedBytes ? TmpFileData.rounded(end) - allocatedBytes : 0
            if grow > 0 { try charge(grow) }
            let n = try memoryFile.host.write(buffer, at: offset)
            length = max(length, offset + Int64(n))
            return n
        }
        var done = 0
        while done < buffer.count {
            let at = offset + Int64(done)
            let index = at / Int64(TmpFileData.pageSize)
            let inPage = Int(at % Int64(TmpFileData.pageSize))
            let chunk = min(buffer.count - done, TmpFileData.pageSize - inPage)
            var page = pages[index]
            if page == nil {
                do { try charge(UInt64(TmpFileData.pageSize)) } catch {
                    if done > 0 { break }  // a short write, as Linux's when memory runs out midway
                    throw error
                }
                let p = UnsafeMutableRawPointer.allocate(byteCount: TmpFileData.pageSize, alignment: TmpFileData.pageSize)
                p.initializeMemory(as: UInt8.self, repeating: 0, count: TmpFileData.pageSize)
                pages[index] = p
                page = p
            }
            (page! + inPage).copyMemory(from: buffer.baseAddress! + done, byteCount: chunk)
            done += chunk
        }
        length = max(length, offset + Int64(done))
        return done
    }

    func truncate(_ newLength: Int64) throws(LinuxErrno) {
        guard newLength >= 0 else { throw .EINVAL }
        if seals & Seal.shrink != 0 && newLength < length { throw .EPERM }
        if seals & Seal.grow != 0 && newLength > length { throw .EPERM }
        if let memoryFile {
            let want = TmpFileData.rounded(newLength)
            if want > allocatedBytes { try charge(want - allocatedBytes) }
            try memoryFile.host.truncate(newLength)
            if want < allocatedBytes { uncharge(allocatedBytes - want) }
            length = newLength
            return
        }
        if newLength < length {
            let page = Int64(TmpFileData.pageSize)
            let keep = GuestMath.quotientRoundingUp(newLength, page)
            for index in pages.keys where index >= keep {
                pages.removeValue(forKey: index)!.deallocate()
                uncharge(UInt64(TmpFileData.pageSize))
            }
            // The rest of a partial last page reads as zeros if the file grows again.
            if newLength % page != 0, let p = pages[newLength / page] {
                let from = Int(newLength % page)
                (p + from).initializeMemory(as: UInt8.self, repeating: 0, count: TmpFileData.pageSize - from)
            }
        }
        length = newLength
    }

    /// fallocate on tmpfs allocates: the missing pages of the range are charged at once (so a
    /// range past the machine's memory fails whole, allocating nothing) and made, zeroed. A
    /// range of more than `largeAllocation` missing pages moves the file into a host memory
    /// file first, charged by its length as a mapped file is: the host makes those pages when
    /// they are touched (zeroing gigabytes page by page here outlasted stress-ng's fallocate run).
    func allocate(offset: Int64, length: Int64, keepSize: Bool) throws(LinuxErrno) {
        let end = offset + length
        let page = Int64(TmpFileData.pageSize)
        let first = offset / page, last = (end - 1) / page
        if memoryFile == nil && last - first + 1 - Int64(pages.count) > TmpFileData.largeAllocation {
            _ = try materialize()
        }
        if memoryFile != nil {
            if !keepSize && end > self.length { try truncate(end) }
            return
        }
        let present = pages.keys.reduce(Int64(0)) { $0 + ($1 >= first && $1 <= last ? 1 : 0) }
        let missing = last - first + 1 - present
        let (bytes, overflow) = UInt64(missing).multipliedReportingOverflow(by: UInt64(page))
        if overflow { throw .ENOMEM }
        if bytes > 0 { try charge(bytes) }
        if missing > 0 {
            for index in first...last where pages[index] == nil {
                let p = UnsafeMutableRawPointer.allocate(byteCount: TmpFileData.pageSize, alignment: TmpFileData.pageSize)
                p.initializeMemory(as: UInt8.self, repeating: 0, count: TmpFileData.pageSize)
                pages[index] = p
            }
        }
        if !keepSize && end > self.length { self.length = end }
    }

    func punchHole(offset: Int64, length: Int64) throws(LinuxErrno) {
        if seals & Seal.writes != 0 { throw .EPERM }
        if let memoryFile { try memoryFile.host.punchHole(offset: offset, length: length); return }
        let page = Int64(TmpFileData.pageSize)
        let end = min(offset + length, self.length)
        var at = offset
        while at < end {
            let index = at / page, within = Int(at % page)
            let n = Int(min(page - Int64(within), end - at))
            if n == TmpFileData.pageSize, let p = pages.removeValue(forKey: index) {
                p.deallocate()
                uncharge(UInt64(TmpFileData.pageSize))
            } else if let p = pages[index] {
                (p + within).initializeMemory(as: UInt8.self, repeating: 0, count: n)
            }
            at += Int64(n)
        }
    }

    func mappable(writable: Bool) throws(LinuxErrno) -> HostFileRef {
        if writable && seals & Seal.writes != 0 { throw .EPERM }
        let file = try materialize()
        return HostFileRef(fd: file.host.raw, writable: writable, source: file)
    }

    /// Moves the data into a host memory file (once).
    private func materialize() throws(LinuxErrno) -> HeldMemoryFile {
        if let memoryFile { return memoryFile }
        let file = try HeldMemoryFile(name: "umlab-tmpfs", length: length, descriptors: descriptors)
        let want = TmpFileData.rounded(length)
        if want > allocatedBytes { try charge(want - allocatedBytes) }
        for (index, p) in pages {
            let at = index * Int64(TmpFileData.pageSize)
            let n = Int(min(Int64(TmpFileData.pageSize), length - at))
            if n > 0 { _ = try file.host.write(UnsafeRawBufferPointer(start: p, count: n), at: at) }
        }
        for (_, p) in pages { p.deallocate() }
        pages = [:]
        if allocatedBytes > want { uncharge(allocatedBytes - want) }
        memoryFile = file
        return file
    }

    var mappedSize: UInt64 { UInt64(length) }
    func readMapped(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(LinuxErrno) -> Int {
        guard offset <= UInt64(Int64.max) else { return 0 }
        return try read(into: buffer, at: Int64(offset))
    }
}

final class TmpSymlink: TmpNode {
    let target: [UInt8]
    init(fs: TmpFS, target: [UInt8]) {
        self.target = target
        super.init(fs: fs, mode: 0o777, uid: 0, gid: 0)
    }
    override var kind: FileKind { .symlink }
    override var size: Int64 { Int64(target.count) }
    override func readLink() throws(LinuxErrno) -> [UInt8] { target }
}

/// A device node made with mknod (mdev, MAKEDEV, a chroot's /dev). Opening it opens the device
/// its number names among the machine's own (the nodes in /dev: null, zero, full, random,
/// tty …); any other number is ENXIO, as a node whose driver is absent is on Linux.
final class TmpDevice: TmpNode {
    let block: Bool
    let rdev: UInt64
    init(fs: TmpFS, block: Bool, rdev: UInt64, mode: UInt32, uid: UInt32, gid: UInt32) {
        self.block = block; self.rdev = rdev
        super.init(fs: fs, mode: mode, uid: uid, gid: gid)
    }
    override var kind: FileKind { block ? .blockDevice : .characterDevice }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = try super.stat()
        s.rdev = rdev
        return s
    }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        if flags.contains(.path) { return PathFile(inode: self, flags: flags, path: path) }
        guard !block, let dev = try? kernel.vfs.locate("/dev"), let names = try? dev.inode.entries() else { throw .ENXIO }
        for entry in names where entry.kind == .characterDevice {
            if let node = try? dev.inode.lookup(entry.name), (try? node.stat().rdev) == rdev {
                return try node.open(flags: flags, path: path, kernel: kernel, task: task)
            }
        }
        throw .ENXIO
    }
}

/// A named pipe: every open of it joins the same pipe. As on Linux, opening one side waits
/// until the other side is open (O_RDWR never waits; O_RDONLY|O_NONBLOCK does not wait;
/// O_WRONLY|O_NONBLOCK with no reader fails with ENXIO).
final class TmpFifo: TmpNode {
    private var buffer: Pipe?
    override var kind: FileKind { .fifo }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        let pipe: Pipe
        if let b = buffer, b.readers + b.writers > 0 { pipe = b } else { pipe = Pipe(kernel: kernel) }
        buffer = pipe
        try FifoOpen.waitForPartner(pipe, flags: flags, task: task)
        return PipeEnd(pipe: pipe, reading: flags.canRead, writing: flags.canWrite, flags: flags, path: path, inode: self)
    }
}

enum FifoOpen {
    /// Returns when `flags`' side of `pipe` may open; otherwise leaves a wait with the task and
    /// throws ERESTARTSYS (the open runs again when the other side opens).
    static func waitForPartner(_ pipe: Pipe, flags: OpenFlags, task: Task) throws(LinuxErrno) {
        let earlier = task.leaveFifoOpen()
        if flags.canRead && flags.canWrite { return }
        let reading = flags.canRead
        if (reading ? pipe.writers : pipe.readers) > 0 { return }
        if flags.contains(.nonBlocking) {
            if reading { return }
            throw .ENXIO
        }
        let opens = reading ? pipe.writerOpens : pipe.readerOpens
        let since = earlier.flatMap { $0.pipe === pipe && $0.reading == reading ? $0.partnerOpens : nil } ?? opens
        if opens != since { return }  // a partner came (and perhaps went) while we waited
        task.fifoOpen = (pipe, reading, since)
        if reading { pipe.readers += 1 } else { pipe.writers += 1 }
        task.deferredWait = .on(pipe.queue, [.input, .output, .priority])
        throw .ERESTARTSYS
    }
}
