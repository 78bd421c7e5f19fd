import LinuxABI

// inotify: watches on inodes and the events the guest's own changes make.
//
// Events come from the VFS/syscall layer (Syscalls/FileSystem.swift, Files.swift), never from a
// file system, so every file system the guest can change (tmpfs; the overlay and bind mounts
// later) reports them alike. Each hook names the object it changed, and the `Inotify` registry
// delivers the event to the watches on that object and, with the object's name, to the watches
// on its directory, as Linux's fsnotify_parent does. With no watch anywhere a hook costs one
// check of an empty dictionary.
//
// Approximations, each visible only in corner cases: an object's directory is found from the
// path that reached it (an open file renamed since it was opened reports to its old directory,
// one unlinked reports to none, as IN_EXCL_UNLINK would have it); a watch ends (IN_DELETE_SELF,
// IN_IGNORED) when the object's last link goes, not at the last close of an unlinked file.

/// Linux's inotify event bits (include/uapi/linux/inotify.h).
public enum InotifyMask {
    public static let access: UInt32 = 0x1, modify: UInt32 = 0x2, attrib: UInt32 = 0x4
    public static let closeWrite: UInt32 = 0x8, closeNoWrite: UInt32 = 0x10, open: UInt32 = 0x20
    public static let movedFrom: UInt32 = 0x40, movedTo: UInt32 = 0x80, create: UInt32 = 0x100
    public static let delete: UInt32 = 0x200, deleteSelf: UInt32 = 0x400, moveSelf: UInt32 = 0x800
    public static let allEvents: UInt32 = 0xfff
    public static let unmount: UInt32 = 0x2000, queueOverflow: UInt32 = 0x4000, ignored: UInt32 = 0x8000
    public static let onlyDirectory: UInt32 = 0x0100_0000, dontFollow: UInt32 = 0x0200_0000
    public static let excludeUnlink: UInt32 = 0x0400_0000, maskCreate: UInt32 = 0x1000_0000
    public static let maskAdd: UInt32 = 0x2000_0000, isDirectory: UInt32 = 0x4000_0000, oneShot: UInt32 = 0x8000_0000
    /// What inotify_add_watch accepts (Linux's ALL_INOTIFY_BITS).
    public static let valid: UInt32 = allEvents | onlyDirectory | dontFollow | excludeUnlink | maskCreate | maskAdd | oneShot
}

/// One watch: an inode watched by one inotify instance for the events in `mask`.
final class InotifyWatch {
    let descriptor: Int32
    var mask: UInt32
    /// Held as Linux's mark holds its inode: a watched object outlives its last link.
    let inode: Inode
    unowned let instance: InotifyFile
    init(descriptor: Int32, mask: UInt32, inode: Inode, instance: InotifyFile) {
        self.descriptor = descriptor; self.mask = mask; self.inode = inode; self.instance = instance
    }
}

/// A dnotify mark (fcntl F_NOTIFY): directory events asked through one open description,
/// signalled to its owner. Linux keeps dnotify on fsnotify beside inotify; so does this.
final class DnotifyMark {
    /// Linux's DN_* bits (include/uapi/linux/fcntl.h).
    static let access: UInt32 = 0x1, modify: UInt32 = 0x2, create: UInt32 = 0x4, delete: UInt32 = 0x8
    static let rename: UInt32 = 0x10, attrib: UInt32 = 0x20, multishot: UInt32 = 0x8000_0000
    static let events: UInt32 = 0x3f

    /// The DN_* bits an inotify event of a directory's entry stands for (dnotify.c's
    /// convert_arg, read backwards: a move counts as a rename and as a delete or a create).
    static func events(of mask: UInt32) -> UInt32 {
        var dn: UInt32 = 0
        if mask & InotifyMask.access != 0 { dn |= access }
        if mask & InotifyMask.modify != 0 { dn |= modify }
        if mask & InotifyMask.attrib != 0 { dn |= attrib }
        if mask & (InotifyMask.create | InotifyMask.movedTo) != 0 { dn |= create }
        if mask & (InotifyMask.delete | InotifyMask.movedFrom) != 0 { dn |= delete }
        if mask & (InotifyMask.movedFrom | InotifyMask.movedTo) != 0 { dn |= rename }
        return dn
    }

    unowned let file: OpenFile
    let directory: Inode
    /// si_fd of the signal: the descriptor F_NOTIFY was asked through.
    let fd: Int32
    var mask: UInt32
    init(file: OpenFile, directory: Inode, fd: Int32, mask: UInt32) {
        self.file = file; self.directory = directory; self.fd = fd; self.mask = mask
    }
}

/// The machine's watches by watched inode, and the hooks that deliver events to them.
public final class Inotify {
    /// Linux's defaults (/proc/sys/fs/inotify): events an instance queues before
    /// IN_Q_OVERFLOW, watches per user, instances per user.
    public static let maxQueuedEvents = 16384
    public static let maxUserWatches = 8192
    public static let maxUserInstances = 128

    private var watches: [ObjectIdentifier: [InotifyWatch]] = [:]
    private var nextCookie: UInt32 = 1
    /// Watches and instances per user id, against the limits above.
    var watchCount: [UInt32: Int] = [:]
    var instanceCount: [UInt32: Int] = [:]
    unowned let vfs: VFS

    init(vfs: VFS) { self.vfs = vfs }

    /// dnotify marks by directory, and what sends their signal (the kernel's send_sigio).
    private var dnotifyMarks: [ObjectIdentifier: [DnotifyMark]] = [:]
    var dnotifySignal: (DnotifyMark) -> Void = { _ in }

    /// Whether any watch or mark exists: every hook returns at once when none does.
    var isIdle: Bool { watches.isEmpty && dnotifyMarks.isEmpty }

    /// F_NOTIFY: adds `mask` to the mark of `file` on its directory (Linux ORs a new request
    /// into an existing one); DN_MULTISHOT keeps the mark after its first signal.
    func addDnotify(file: OpenFile, directory: Inode, fd: Int32, mask: UInt32) {
        if let mark = dnotifyMarks[directory.identity]?.first(where: { $0.file === file }) {
            mark.mask |= mask
            return
        }
        dnotifyMarks[directory.identity, default: []].append(DnotifyMark(file: file, directory: directory, fd: fd, mask: mask))
    }

    /// F_NOTIFY 0, or the file's last close: its marks end.
    func removeDnotify(file: OpenFile) {
        guard !dnotifyMarks.isEmpty, let inode = file.inode else { return }
        let key = inode.identity
        dnotifyMarks[key]?.removeAll { $0.file === file }
        if dnotifyMarks[key]?.isEmpty == true { dnotifyMarks[key] = nil }
    }

    /// An event about an entry of `directory` to its dnotify marks: each mark that asked for it
    /// signals its owner, and ends unless DN_MULTISHOT.
    private func deliverDnotify(_ mask: UInt32, to directory: Inode) {
        guard let list = dnotifyMarks[directory.identity] else { return }
        let events = DnotifyMark.events(of: mask)
        for mark in list where mark.mask & events != 0 {
            dnotifySignal(mark)
            if mark.mask & DnotifyMark.multishot == 0 { mark.mask = 0 }
        }
        dnotifyMarks[directory.identity]?.removeAll { $0.mask & DnotifyMark.events == 0 }
        if dnotifyMarks[directory.identity]?.isEmpty == true { dnotifyMarks[directory.identity] = nil }
    }

    func add(_ watch: InotifyWatch) { watches[watch.inode.identity, default: []].append(watch) }
    func remove(_ watch: InotifyWatch) {
        let key = watch.inode.identity
        watches[key]?.removeAll { $0 === watch }
        if watches[key]?.isEmpty == true { watches[key] = nil }
    }

    /// A cookie that ties an IN_MOVED_FROM to its IN_MOVED_TO.
    func cookie() -> UInt32 {
        defer { nextCookie = nextCookie == UInt32.max ? 1 : nextCookie + 1 }
        return nextCookie
    }

    /// Delivers `mask` about `inode` to the watches on it (no name), with IN_ISDIR for a
    /// directory; IN_ONESHOT watches end after their first event.
    func deliver(_ mask: UInt32, to inode: Inode, name: [UInt8] = [], cookie: UInt32 = 0, subjectIsDirectory: Bool) {
        // dnotify hears only about a directory's entries (events with a name).
        if !name.isEmpty && !dnotifyMarks.isEmpty { deliverDnotify(mask, to: inode) }
        guard let list = watches[inode.identity] else { return }
        let bits = mask | (subjectIsDirectory ? InotifyMask.isDirectory : 0)
        for w in list where w.mask & mask != 0 {
            w.instance.queue(descriptor: w.descriptor, mask: bits, cookie: cookie, name: name)
            if w.mask & InotifyMask.oneShot != 0 { w.instance.removeWatch(w) }
        }
    }

    /// An event about the object at `location`: with its name to its directory's watches,
    /// then to its own (Linux's order: fsnotify_parent first).
    func notify(_ mask: UInt32, at location: Location) {
        if isIdle { return }
        let isDirectory = location.inode.kind == .directory
        if !location.isRoot, let parent = try? vfs.locate(location.parentPath) {
            deliver(mask, to: parent.inode, name: Array(location.name.utf8), subjectIsDirectory: isDirectory)
        }
        deliver(mask, to: location.inode, subjectIsDirectory: isDirectory)
    }

    /// An event about an open file: IN_ACCESS, IN_MODIFY, IN_ATTRIB, the closes.
    func notify(_ mask: UInt32, file: OpenFile) {
        if isIdle { return }
        guard let inode = file.inode else { return }
        // A pipe's or socket's "path" is a label, not a place: its own watches only.
        guard file.path.hasPrefix("/") else { deliver(mask, to: inode, subjectIsDirectory: false); return }
        notify(mask, at: Location(inode: inode, path: file.path))
    }

    /// An entry of `directory` made or removed: IN_CREATE, IN_DELETE, the moves.
    func notifyEntry(_ mask: UInt32, in directory: Inode, name: String, child: Inode, cookie: UInt32 = 0) {
        if isIdle { return }
        deliver(mask, to: directory, name: Array(name.utf8), cookie: cookie, subjectIsDirectory: child.kind == .directory)
    }

    /// `name` was removed from `directory` (unlink, rmdir, or replaced by a rename): the
    /// object's link count changed (IN_ATTRIB) and, if that was its last link, it is gone
    /// (IN_DELETE_SELF, then its watches end with IN_IGNORED); then the directory sees
    /// IN_DELETE.
    func removed(_ child: Inode, name: String, from directory: Inode, reportDelete: Bool = true) {
        if isIdle { return }
        let isDirectory = child.kind == .directory
        let gone = isDirectory || ((try? child.stat().links) ?? 0) == 0
        if !isDirectory { deliver(InotifyMask.attrib, to: child, subjectIsDirectory: false) }
        // Linux reports a directory's IN_DELETE_SELF without IN_ISDIR.
        if gone { deliver(InotifyMask.deleteSelf, to: child, subjectIsDirectory: false) }
        if gone, let list = watches[child.identity] {
            for w in list { w.instance.removeWatch(w) }
        }
        if reportDelete { notifyEntry(InotifyMask.delete, in: directory, name: name, child: child) }
    }

    /// The last descriptor of `file` went: IN_CLOSE_WRITE or IN_CLOSE_NOWRITE.
    func closed(_ file: OpenFile) {
        notify(file.flags.canWrite ? InotifyMask.closeWrite : InotifyMask.closeNoWrite, file: file)
        removeDnotify(file: file)
    }
}

/// An inotify instance: its watches, by watch descriptor, and its queue of events.
public final class InotifyFile: OpenFile {
    struct Event {
        var descriptor: Int32
        var mask: UInt32
        var cookie: UInt32
        var name: [UInt8]
        /// struct inotify_event (16 bytes) and the name, NUL-terminated and padded to a
        /// multiple of 16 (Linux's round_event_name_len); no name, no padding.
        var size: Int { 16 + Event.paddedNameLength(name.count) }
        static func paddedNameLength(_ count: Int) -> Int { count == 0 ? 0 : (count + 1 + 15) & ~15 }
    }
    let registry: Inotify
    let user: UInt32
    private(set) var watches: [Int32: InotifyWatch] = [:]
    private var events: [Event] = []
    private var head = 0
    private var queuedBytes = 0
    private var nextDescriptor: Int32 = 1
    let bigEndian: Bool
    let queueHere = WaitQueue()

    init(registry: Inotify, user: UInt32, nonBlocking: Bool, bigEndian: Bool) {
        self.registry = registry; self.user = user; self.bigEndian = bigEndian
        var flags = OpenFlags(rawValue: OpenFlags.readOnly)
        if nonBlocking { flags.insert(.nonBlocking) }
        super.init(inode: nil, flags: flags, path: "anon_inode:inotify")
        registry.instanceCount[user, default: 0] += 1
    }

    var pending: Int { events.count - head }

    /// Queues an event; an event equal to the last one queued and not yet read is merged into
    /// it (Linux's inotify_merge); past `maxQueuedEvents` one IN_Q_OVERFLOW stands for the rest.
    func queue(descriptor: Int32, mask: UInt32, cookie: UInt32, name: [UInt8]) {
        let event = Event(descriptor: descriptor, mask: mask, cookie: cookie, name: name)
        if let last = events.last, head < events.count {
            if last.mask == InotifyMask.queueOverflow { return }
            if last.descriptor == event.descriptor && last.mask == event.mask && last.cookie == event.cookie && last.name == event.name { return }
        }
        if pending >= Inotify.maxQueuedEvents {
            let overflow = Event(descriptor: -1, mask: InotifyMask.queueOverflow, cookie: 0, name: [])
            events.append(overflow)
            queuedBytes += overflow.size
        } else {
            events.append(event)
            queuedBytes += event.size
        }
        queueHere.notify([.input, .readNormal])
    }

    /// inotify_add_watch on an object: a new watch, or the existing one's mask replaced
    /// (IN_MASK_ADD: extended; IN_MASK_CREATE: EEXIST). ENOSPC past the user's watch limit.
    func addWatch(_ inode: Inode, mask: UInt32) throws(LinuxErrno) -> Int32 {
        let events = mask & (InotifyMask.allEvents | InotifyMask.oneShot | InotifyMask.excludeUnlink)
        if let existing = watches.values.first(where: { $0.inode.identity == inode.identity }) {
            if mask & InotifyMask.maskCreate != 0 { throw .EEXIST }
            existing.mask = mask & InotifyMask.maskAdd != 0 ? existing.mask | events : events
            return existing.descriptor
        }
        guard registry.watchCount[user, default: 0] < Inotify.maxUserWatches else { throw .ENOSPC }
        let wd = nextDescriptor
        nextDescriptor = nextDescriptor == Int32.max ? 1 : nextDescriptor + 1
        let watch = InotifyWatch(descriptor: wd, mask: events, inode: inode, instance: self)
        watches[wd] = watch
        registry.add(watch)
        registry.watchCount[user, default: 0] += 1
        return wd
    }

    /// Ends a watch: IN_IGNORED is queued (inotify_rm_watch, IN_ONESHOT, the object gone).
    func removeWatch(_ watch: InotifyWatch) {
        guard watches.removeValue(forKey: watch.descriptor) != nil else { return }
        registry.remove(watch)
        registry.watchCount[user, default: 1] -= 1
        queue(descriptor: watch.descriptor, mask: InotifyMask.ignored, cookie: 0, name: [])
    }

    /// read(): whole events, as many as fit; EINVAL when the first does not.
    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        guard pending > 0 else { throw .EAGAIN }
        var out: [UInt8] = []
        while head < events.count {
            let e = events[head]
            if out.count + e.size > buffer.count { break }
            for v in [UInt32(bitPattern: e.descriptor), e.mask, e.cookie, UInt32(Event.paddedNameLength(e.name.count))] {
                withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian) { out += $0 }
            }
            out += e.name
            out += [UInt8](repeating: 0, count: Event.paddedNameLength(e.name.count) - e.name.count)
            queuedBytes -= e.size
            head += 1
        }
        if out.isEmpty { throw .EINVAL }
        if head == events.count { events.removeAll(keepingCapacity: true); head = 0 }
        out.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: out.count) }
        return out.count
    }
    public override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int { throw .EBADF }
    public override func poll() -> PollEvents { pending > 0 ? [.input, .readNormal] : [] }
    public override var waitQueue: WaitQueue? { queueHere }
    public override var bytesReadable: Int { queuedBytes }
    public override func stat() throws(LinuxErrno) -> FileStat { anonymousInodeStat() }
    public override func release() {
        for w in watches.values { registry.remove(w) }
        registry.watchCount[user, default: watches.count] -= watches.count
        registry.instanceCount[user, default: 1] -= 1
        watches = [:]
    }
}
