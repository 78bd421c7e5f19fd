import HostOS
import LinuxABI

/// An eventfd: a 64-bit counter that writes add to and reads take (all of it, or 1 in semaphore
/// mode). Reads wait while it is 0; writes wait while the sum would pass 2^64 - 2.
public final class EventFD: OpenFile {
    /// The largest value the counter holds (Linux: ULLONG_MAX - 1; ULLONG_MAX marks an overflow
    /// only in-kernel signalling can cause).
    static let maximum = UInt64.max - 1
    private(set) var counter: UInt64
    let semaphore: Bool
    /// The counter crosses the guest boundary as a native 8-byte integer in the guest's order.
    let bigEndian: Bool
    let queue = WaitQueue()

    init(initial: UInt64, semaphore: Bool, nonBlocking: Bool, bigEndian: Bool) {
        counter = initial; self.semaphore = semaphore; self.bigEndian = bigEndian
        var flags = OpenFlags(rawValue: OpenFlags.readWrite)
        if nonBlocking { flags.insert(.nonBlocking) }
        super.init(inode: nil, flags: flags, path: "anon_inode:[eventfd]")
    }

    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        guard buffer.count >= 8 else { throw .EINVAL }
        guard counter > 0 else { throw .EAGAIN }
        let value = semaphore ? 1 : counter
        counter -= value
        let raw = bigEndian ? value.bigEndian : value.littleEndian
        withUnsafeBytes(of: raw) { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 8) }
        queue.notify([.output, .writeNormal])
        return 8
    }

    public override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        guard buffer.count >= 8 else { throw .EINVAL }
        var raw: UInt64 = 0
        withUnsafeMutableBytes(of: &raw) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<8])) }
        let value = bigEndian ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw)
        guard value != UInt64.max else { throw .EINVAL }
        // Linux: the write waits while ULLONG_MAX - count <= value.
        guard value < UInt64.max - counter else { throw .EAGAIN }
        counter += value
        if value > 0 { queue.notify([.input, .readNormal]) }
        return 8
    }

    public override func poll() -> PollEvents {
        var ev: PollEvents = []
        if counter > 0 { ev.insert([.input, .readNormal]) }
        if counter == UInt64.max { ev.insert(.error) }
        if counter < EventFD.maximum { ev.insert([.output, .writeNormal]) }
        return ev
    }
    public override var waitQueue: WaitQueue? { queue }
    public override func stat() throws(LinuxErrno) -> FileStat { anonymousInodeStat() }
    /// Linux's eventfd has no fasync: O_ASYNC on it sends nothing.
    public override var sendsAsyncSignals: Bool { false }
}

extension OpenFile {
    /// What fstat shows for a file on Linux's anonymous inode (eventfd, epoll): mode 0600 with
    /// no file type, on the anon_inodefs device.
    func anonymousInodeStat() -> FileStat {
        var s = FileStat()
        s.mode = 0o600
        s.device = 13
        s.blockSize = 4096
        return s
    }
}

/// Linux's EPOLL* bits beyond the poll events.
enum EpollBits {
    static let exclusive: UInt32 = 1 << 28
    static let wakeup: UInt32 = 1 << 29
    static let oneShot: UInt32 = 1 << 30
    static let edgeTriggered: UInt32 = 1 << 31
    /// Bits that are modes, not events (what a disarmed EPOLLONESHOT entry keeps).
    static let modes: UInt32 = exclusive | wakeup | oneShot | edgeTriggered
    /// What EPOLLEXCLUSIVE may be combined with (Linux's EPOLLEXCLUSIVE_OK_BITS).
    static let exclusiveOK: UInt32 = 0x1 | 0x4 | 0x8 | 0x10 | wakeup | edgeTriggered | exclusive
}

/// One entry of an epoll interest list: a (file, descriptor number) pair, its events, the
/// guest's data word, and the watcher it keeps on the file's wait queue.
final class EpollItem {
    weak var epoll: EpollFile?
    /// Epoll does not keep the file open: its release removes the entry (and this reference).
    let file: OpenFile
    let fd: Int32
    /// The guest's mask with EPOLLERR | EPOLLHUP added; only the mode bits once a one-shot fired.
    var events: UInt32
    var data: UInt64
    /// On the instance's ready list.
    var isReady = false
    /// The watcher and the queue it is on: the queue is the one the file named when the entry
    /// was added (a signalfd's is the adding process's), so it is kept, not asked again.
    var watcher: (watcher: WaitWatcher, queue: WaitQueue)?

    init(epoll: EpollFile, file: OpenFile, fd: Int32, events: UInt32, data: UInt64) {
        self.epoll = epoll; self.file = file; self.fd = fd; self.events = events; self.data = data
    }

    /// The poll events the entry asks for (none while a one-shot entry is disarmed).
    var wanted: PollEvents { PollEvents(rawValue: UInt16(truncatingIfNeeded: events & ~EpollBits.modes)) }
    /// The file's readiness as this entry reports it.
    var readiness: PollEvents { file.poll().intersection(wanted) }
}

/// An epoll instance: an interest list, and a ready list of entries whose files signalled an
/// event since they were last reported.
///
/// Each entry keeps a `WaitWatcher` on its file's wait queue. A notify that matches the entry's
/// events puts it on the ready list and notifies the instance's own queue, so epoll_wait (and
/// a poll or an epoll of this epoll) wakes without scanning the interest list. epoll_wait then
/// re-checks each ready entry's current readiness: stale ones drop off, level-triggered ones stay
/// on the list (reported again next time while still ready), edge-triggered and one-shot ones go.
public final class EpollFile: OpenFile {
    struct Key: Hashable {
        let file: ObjectIdentifier
        let fd: Int32
    }
    var items: [Key: EpollItem] = [:]
    private(set) var readyList: [EpollItem] = []
    let queue = WaitQueue()

    init() { super.init(inode: nil, flags: OpenFlags(rawValue: OpenFlags.readWrite), path: "anon_inode:[eventpoll]") }

    func item(_ file: OpenFile, _ fd: Int32) -> EpollItem? { items[Key(file: ObjectIdentifier(file), fd: fd)] }

    func add(_ file: OpenFile, fd: Int32, events: UInt32, data: UInt64) {
        let item = EpollItem(epoll: self, file: file, fd: fd, events: events, data: data)
        items[Key(file: ObjectIdentifier(file), fd: fd)] = item
        file.epollItems.append(item)
        if let q = file.waitQueue {
            let w = WaitWatcher(events: item.wanted) { [weak item] _ in
                if let item { item.epoll?.signalled(item) }
            }
            item.watcher = (w, q)
            q.addWatcher(w)
        }
        if !item.readiness.isEmpty { signalled(item) }
    }

    func modify(_ item: EpollItem, events: UInt32, data: UInt64) {
        item.events = events
        item.data = data
        item.watcher?.watcher.events = item.wanted
        if !item.readiness.isEmpty { signalled(item) }
    }

    func remove(_ item: EpollItem) {
        items[Key(file: ObjectIdentifier(item.file), fd: item.fd)] = nil
        if let (w, q) = item.watcher { q.removeWatcher(w) }
        item.watcher = nil
        item.file.epollItems.removeAll { $0 === item }
        if item.isReady { readyList.removeAll { $0 === item }; item.isReady = false }
        item.epoll = nil
    }

    /// The entry's file changed state in a way it asked about: queue it and wake the waiters.
    func signalled(_ item: EpollItem) {
        guard item.epoll === self, !item.wanted.isEmpty else { return }
        if !item.isReady { item.isReady = true; readyList.append(item) }
        queue.notify([.input, .readNormal])
    }

    /// Takes up to `max` events off the ready list (Linux's ep_send_events).
    func collect(max: Int) -> [(events: UInt32, data: UInt64)] {
        var out: [(UInt32, UInt64)] = []
        var keep: [EpollItem] = []
        var i = 0
        let list = readyList
        while i < list.count, out.count < max {
            let item = list[i]
            i += 1
            let r = item.readiness
            if r.isEmpty { item.isReady = false; continue }
            out.append((UInt32(r.rawValue), item.data))
            if item.events & EpollBits.oneShot != 0 {
                item.events &= EpollBits.modes
                item.watcher?.watcher.events = []
                item.isReady = false
            } else if item.events & EpollBits.edgeTriggered != 0 {
                item.isReady = false
            } else {
                keep.append(item)  // level-triggered: looked at again next time
            }
        }
        // Entries not reached keep their place ahead of the level-triggered ones re-queued.
        readyList = Array(list[i...]) + keep
        return out
    }

    public override func poll() -> PollEvents {
        readyList.contains { !$0.readiness.isEmpty } ? [.input, .readNormal] : []
    }
    public override var waitQueue: WaitQueue? { queue }
    public override var sendsAsyncSignals: Bool { false }
    public override func stat() throws(LinuxErrno) -> FileStat { anonymousInodeStat() }

    /// The epoll instances this one watches, directly.
    var watchedEpolls: [EpollFile] { items.values.compactMap { $0.file as? EpollFile } }

    /// Whether `other` is this instance or one it watches, at any depth.
    func reaches(_ other: EpollFile) -> Bool {
        self === other || watchedEpolls.contains { $0.reaches(other) }
    }
    /// Levels of epoll below this one (0: it watches no epoll).
    var depthBelow: Int { watchedEpolls.map { $0.depthBelow + 1 }.max() ?? 0 }
    /// Levels of epoll above this one (0: no epoll watches it).
    var depthAbove: Int { epollItems.compactMap { $0.epoll }.map { $0.depthAbove + 1 }.max() ?? 0 }

    /// Host-fed queues (the console) under this instance: a task blocked in epoll_wait must wait
    /// on them too, since the event loop watches a host descriptor only while a task waits on it.
    var hostQueues: [(queue: WaitQueue, events: PollEvents)] {
        var out: [(queue: WaitQueue, events: PollEvents)] = []
        for item in items.values {
            if let inner = item.file as? EpollFile { out += inner.hostQueues; continue }
            if let q = item.file.waitQueue as? HostWaitQueue, !item.wanted.isEmpty { out.append((q, item.wanted)) }
        }
        return out
    }

    public override func release() {
        for item in Array(items.values) { remove(item) }
    }
}
