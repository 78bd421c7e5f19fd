import LinuxABI

// Advisory file locks with Linux's semantics (fs/locks.c):
//
// - flock(2) locks belong to an open file description: dup'ed and inherited descriptors share
//   them, and they go when the description's last reference does.
// - POSIX record locks (fcntl F_SETLK/F_SETLKW) belong to the descriptor table (Linux's
//   fl_owner = current->files): threads share them, fork does not inherit them, and ANY close of
//   a descriptor for the file by the owner releases all of them on that file.
// - OFD record locks (F_OFD_SETLK …) belong to the open file description, and conflict with
//   POSIX locks on the same file.
//
// Locks are kept per file identity (device, inode), so two opens of one file contend. A task
// that must wait sleeps on the locked file's wait queue and re-runs its call when a lock there
// is removed or shrunk (the wait-queue restart model: no hand-over of locks to waiters).

/// What identifies a file for locking: its device and inode number (an object without an
/// inode is its own identity).
struct FileLockKey: Hashable {
    let device: UInt64
    let inode: UInt64
}

/// One byte-range lock (POSIX or OFD). `end` is inclusive; `FileLocks.toEOF` is "to the end
/// of the file, however long it grows" (Linux's OFFSET_MAX).
struct RecordLock {
    /// The descriptor table (POSIX) or the open file description (OFD) that holds it.
    var owner: ObjectIdentifier
    var isOFD: Bool
    /// The guest process that set it (F_GETLK's l_pid for a POSIX lock).
    var pid: Int32
    var exclusive: Bool
    var start: Int64
    var end: Int64

    func overlaps(_ o: RecordLock) -> Bool { start <= o.end && o.start <= end }
    /// Linux's posix_locks_conflict: another owner, an overlap, and a write lock on either side.
    func conflicts(with o: RecordLock) -> Bool { owner != o.owner && overlaps(o) && (exclusive || o.exclusive) }
}

/// The locks on one file, and where tasks wait for them to change.
final class LockedFile {
    let key: FileLockKey
    var records: [RecordLock] = []
    /// flock(2) locks: the description holding each, exclusive or shared, and who set it.
    var flocks: [(owner: ObjectIdentifier, exclusive: Bool, pid: Int32)] = []
    /// Tasks in F_SETLKW, F_OFD_SETLKW or a blocking flock sleep here.
    let queue = WaitQueue()
    init(key: FileLockKey) { self.key = key }

    var isEmpty: Bool { records.isEmpty && flocks.isEmpty }

    /// The first lock another owner holds that `request` conflicts with (F_GETLK's answer).
    func conflict(with request: RecordLock) -> RecordLock? {
        records.first { $0.conflicts(with: request) }
    }

    /// Sets (or with `exclusive == nil`, removes) `request.owner`'s lock over the request's
    /// range: the owner's existing locks there are replaced, split where the range cuts them,
    /// and merged with adjacent or overlapping locks of the same type (Linux's posix_lock_inode).
    /// The caller has checked for conflicts. Returns whether waiters should look again.
    @discardableResult
    func apply(_ request: RecordLock, exclusive: Bool?) -> Bool {
        var mine: [RecordLock] = []
        var released = false
        var others: [RecordLock] = []
        for r in records { if r.owner == request.owner { mine.append(r) } else { others.append(r) } }
        var kept: [RecordLock] = []
        for r in mine {
            if !r.overlaps(request) { kept.append(r); continue }
            // A part of an old lock is given up or changes type: a waiter may now fit.
            if exclusive != r.exclusive || exclusive == true { released = true }
            if r.start < request.start { var left = r; left.end = request.start - 1; kept.append(left) }
            if r.end > request.end { var right = r; right.start = request.end + 1; kept.append(right) }
        }
        if let exclusive {
            var lock = request
            lock.exclusive = exclusive
            kept.append(lock)
        }
        kept.sort { $0.start < $1.start }
        var merged: [RecordLock] = []
        for r in kept {
            if var last = merged.last, last.exclusive == r.exclusive,
               last.end == FileLocks.toEOF || last.end + 1 >= r.start {
                last.end = max(last.end, r.end)
                last.pid = request.pid
                merged[merged.count - 1] = last
            } else {
                merged.append(r)
            }
        }
        records = others + merged
        return released
    }

    /// Drops every record lock `owner` holds here; returns whether there were any.
    func removeRecords(of owner: ObjectIdentifier) -> Bool {
        let before = records.count
        records.removeAll { $0.owner == owner }
        return records.count != before
    }
}

/// The machine's file locks, by file identity. A file leaves the table with its last lock.
public final class FileLocks {
    /// The end of a lock that runs to the end of the file (Linux's OFFSET_MAX).
    static let toEOF = Int64.max
    var files: [FileLockKey: LockedFile] = [:]
    /// Descriptor tables that may hold POSIX locks: a close by any other table does not look
    /// the file up at all (closing a descriptor costs nothing while no locks are taken).
    private var posixOwners = Set<ObjectIdentifier>()

    public init() {}

    /// The identity of `file`'s underlying object, worked out once per description.
    func key(of file: OpenFile) -> FileLockKey {
        if let k = file.lockKey { return k }
        let k: FileLockKey
        if let inode = file.inode, let st = try? inode.stat() {
            k = FileLockKey(device: st.device, inode: st.inode)
        } else {
            k = FileLockKey(device: .max, inode: UInt64(UInt(bitPattern: ObjectIdentifier(file).hashValue)))
        }
        file.lockKey = k
        return k
    }

    /// The lock state of `file`, made on first use.
    func locked(_ file: OpenFile) -> LockedFile {
        let k = key(of: file)
        if let f = files[k] { return f }
        let f = LockedFile(key: k)
        files[k] = f
        return f
    }

    /// After a change: wakes waiters if something was given up, and forgets an empty file.
    func changed(_ f: LockedFile, released: Bool) {
        if released { f.queue.notify([.input]) }
        if f.isEmpty && f.queue.isEmpty { files[f.key] = nil }
    }

    func notePOSIXOwner(_ owner: ObjectIdentifier) { posixOwners.insert(owner) }

    /// A descriptor for `file` was closed by the descriptor table `owner`: its POSIX locks on
    /// the file go, whichever descriptor set them (Linux's locks_remove_posix).
    func descriptorClosed(_ file: OpenFile, by owner: ObjectIdentifier) {
        guard posixOwners.contains(owner), let f = files[key(of: file)] else { return }
        changed(f, released: f.removeRecords(of: owner))
    }

    /// The descriptor table `owner` is gone (its process exited or it was unshared): every
    /// POSIX lock it held goes.
    func ownerGone(_ owner: ObjectIdentifier) {
        guard posixOwners.remove(owner) != nil else { return }
        for f in Array(files.values) { changed(f, released: f.removeRecords(of: owner)) }
    }

    /// The open file description's last reference went: its flock and OFD locks go (Linux's
    /// locks_remove_file).
    func descriptionReleased(_ file: OpenFile) {
        guard let f = files[key(of: file)] else { return }
        let id = ObjectIdentifier(file)
        let before = f.flocks.count
        f.flocks.removeAll { $0.owner == id }
        let records = f.removeRecords(of: id)
        changed(f, released: records || f.flocks.count != before)
    }

    /// /proc/locks, in Linux's format (lock_get_status).
    func procText() -> String {
        var s = ""
        var n = 0
        for f in files.values.sorted(by: { ($0.key.device, $0.key.inode) < ($1.key.device, $1.key.inode) }) {
            let where_ = "\(hex2(f.key.device >> 8)):\(hex2(f.key.device & 0xff)):\(f.key.inode)"
            for r in f.records {
                n += 1
                let kind = r.isOFD ? "OFDLCK" : "POSIX "
                let end = r.end == FileLocks.toEOF ? "EOF" : String(r.end)
                s += "\(n): \(kind) ADVISORY  \(r.exclusive ? "WRITE" : "READ ") \(r.isOFD ? -1 : r.pid) \(where_) \(r.start) \(end)\n"
            }
            for l in f.flocks {
                n += 1
                s += "\(n): FLOCK  ADVISORY  \(l.exclusive ? "WRITE" : "READ ") \(l.pid) \(where_) 0 EOF\n"
            }
        }
        return s
    }
    private func hex2(_ v: UInt64) -> String {
        let h = String(v & 0xff, radix: 16)
        return h.count == 1 ? "0" + h : h
    }
}

// MARK: - The system calls

extension CoreSyscalls {
    static let lockShared: Int32 = 1, lockExclusive: Int32 = 2, lockNonBlocking: Int32 = 4, lockUnlock: Int32 = 8

    /// flock(fd, operation) in Linux's order: 0 for anything with LOCK_MAND, EINVAL for an operation that is not exactly one of
    /// LOCK_SH, LOCK_EX, LOCK_UN (with LOCK_NB), then EBADF for the fd or an O_PATH one. A
    /// conversion first gives up the old lock (waking waiters), then takes the new one, as
    /// Linux's flock_lock_inode does: a LOCK_NB conversion that fails has lost the lock.
    static func flock(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let op = c.int(1)
        // LOCK_MAND (Samba's share modes) is no longer supported: Linux warns and returns 0
        // before it looks at the descriptor.
        if op & 32 != 0 { return .zero }
        let kind = op & ~lockNonBlocking
        guard kind == lockShared || kind == lockExclusive || kind == lockUnlock else { throw .EINVAL }
        let file = try self.file(c, 0)
        if kind != lockUnlock, file is PathFile { throw .EBADF }
        let locks = c.kernel.fileLocks
        let f = locks.locked(file)
        let me = ObjectIdentifier(file)
        if let i = f.flocks.firstIndex(where: { $0.owner == me }) {
            if kind != lockUnlock && f.flocks[i].exclusive == (kind == lockExclusive) {
                locks.changed(f, released: false)
                return .zero
            }
            f.flocks.remove(at: i)
            f.queue.notify([.input])
        }
        if kind == lockUnlock {
            locks.changed(f, released: false)
            return .zero
        }
        let exclusive = kind == lockExclusive
        if f.flocks.contains(where: { $0.exclusive || exclusive }) {
            if op & lockNonBlocking != 0 {
                locks.changed(f, released: false)
                throw .EAGAIN
            }
            return .block(.on(f.queue, [.input]))
        }
        f.flocks.append((me, exclusive, c.task.process.pid))
        file.heldLocks = locks
        return .zero
    }

    /// The fcntl lock commands, by number: F_GETLK/F_SETLK/F_SETLKW (5–7), their 64-bit forms
    /// on 32-bit ABIs (12–14; on 64-bit ABIs these numbers are EINVAL, the plain ones take the
    /// 64-bit layout already), and the OFD forms (36–38, always the 64-bit layout).
    enum LockCommand {
        case get, set, setWait
    }
    static func lockCommand(_ cmd: Int32, wordSize: Int) -> (LockCommand, wide: Bool, ofd: Bool)? {
        switch cmd {
        case 5: return (.get, wordSize == 8, false)
        case 6: return (.set, wordSize == 8, false)
        case 7: return (.setWait, wordSize == 8, false)
        case 12 where wordSize == 4: return (.get, true, false)
        case 13 where wordSize == 4: return (.set, true, false)
        case 14 where wordSize == 4: return (.setWait, true, false)
        case 36: return (.get, true, true)
        case 37: return (.set, true, true)
        case 38: return (.setWait, true, true)
        default: return nil
        }
    }

    static let lockRead: Int16 = 0, lockWrite: Int16 = 1, lockNone: Int16 = 2

    /// F_GETLK, F_SETLK, F_SETLKW and the OFD forms, after Linux's fcntl_getlk/fcntl_setlk:
    /// EFAULT for the structure; EINVAL for a bad l_whence, l_type (F_GETLK also refuses
    /// F_UNLCK) or a negative resulting start, EOVERFLOW for a range past 2^63 - 1
    /// (`GuestMath.lockRange`); EBADF for a lock type the descriptor's mode does not allow
    /// (set only); EINVAL for an OFD request whose l_pid is not 0. A conflict is EAGAIN, or a
    /// wait (F_SETLKW), or EDEADLK when the wait would close a cycle of POSIX lock owners.
    static func fcntlLock(_ c: SyscallCall, _ file: OpenFile, _ command: (LockCommand, wide: Bool, ofd: Bool)) throws(LinuxErrno) -> SyscallOutcome {
        let (what, wide, ofd) = command
        let address = c.word(2)
        // struct flock: short l_type, l_whence; off_t l_start, l_len; pid_t l_pid. The 64-bit
        // form (flock64, and every 64-bit ABI's flock) has 8-byte offsets aligned to 8.
        let offsetSize = wide ? 8 : 4
        let size = wide ? 32 : 16
        var d = GuestDecoder(try c.mm.read(address, count: size), c.abi)
        let type = Int16(bitPattern: d.u16()), whence = Int16(bitPattern: d.u16())
        d.offset = wide ? 8 : 4
        let start = wide ? d.i64() : Int64(d.i32()), length = wide ? d.i64() : Int64(d.i32())
        let pid = d.i32()
        if file is PathFile { throw .EBADF }
        if what == .get && type != lockRead && type != lockWrite { throw .EINVAL }
        let base: Int64
        switch whence {
        case 0: base = 0
        case 1: base = file.offset
        case 2: base = try file.stat().size
        default: throw .EINVAL
        }
        let range = try GuestMath.lockRange(base: base, start: start, length: length)
        guard type == lockRead || type == lockWrite || type == lockNone else { throw .EINVAL }
        if what != .get {
            if type == lockRead && !file.flags.canRead { throw .EBADF }
            if type == lockWrite && !file.flags.canWrite { throw .EBADF }
        }
        if ofd && pid != 0 { throw .EINVAL }
        let owner = ofd ? ObjectIdentifier(file) : ObjectIdentifier(c.task.files)
        var request = RecordLock(owner: owner, isOFD: ofd, pid: c.task.process.pid, exclusive: type == lockWrite,
                                 start: range.start, end: range.end)
        let locks = c.kernel.fileLocks
        let f = locks.locked(file)

        if what == .get {
            defer { locks.changed(f, released: false) }
            var e = GuestEncoder(c.abi)
            guard let holder = f.conflict(with: request) else {
                e.u16(UInt16(bitPattern: lockNone))
                try c.mm.write(address, e.bytes)
                return .zero
            }
            let holderLength = holder.end == FileLocks.toEOF ? 0 : holder.end - holder.start + 1
            if !wide, holder.start > Int64(Int32.max) || (holder.end != FileLocks.toEOF && holder.end > Int64(Int32.max)) {
                throw .EOVERFLOW
            }
            e.u16(UInt16(bitPattern: holder.exclusive ? lockWrite : lockRead)); e.u16(0)
            e.align(offsetSize)
            if wide { e.i64(holder.start); e.i64(holderLength) } else { e.i32(Int32(holder.start)); e.i32(Int32(holderLength)) }
            e.i32(holder.isOFD ? -1 : holder.pid)
            e.pad(to: size)
            try c.mm.write(address, e.bytes)
            return .zero
        }

        if type == lockNone {
            locks.changed(f, released: f.apply(request, exclusive: nil))
            return .zero
        }
        if let blocker = f.conflict(with: request) {
            guard what == .setWait else {
                locks.changed(f, released: false)
                throw .EAGAIN
            }
            if !ofd && wouldDeadlock(c.kernel, waiter: owner, blockedBy: blocker) { throw .EDEADLK }
            c.task.blockedLock = (f, request)
            return .block(.on(f.queue, [.input]))
        }
        request.exclusive = type == lockWrite
        locks.changed(f, released: f.apply(request, exclusive: type == lockWrite))
        if ofd { file.heldLocks = locks } else { locks.notePOSIXOwner(owner) }
        return .zero
    }

    /// Linux's posix_locks_deadlock: follows "the owner of the lock in the way is itself waiting
    /// for a lock held by …" from `blocker`; a chain that comes back to `waiter` is a deadlock.
    /// As Linux, at most 10 steps are followed, and OFD locks take no part.
    static func wouldDeadlock(_ kernel: Kernel, waiter: ObjectIdentifier, blockedBy blocker: RecordLock) -> Bool {
        var current = blocker
        for _ in 0...10 {
            guard !current.isOFD else { return false }
            // What is the owner of `current` waiting for?
            guard let waiting = kernel.tasks.values.first(where: {
                $0.state == .blocked && $0.blockedLock.map { !$0.request.isOFD && $0.request.owner == current.owner } == true
            }), let (file, request) = waiting.blockedLock,
                  let next = file.conflict(with: request) else { return false }
            if next.owner == waiter { return true }
            current = next
        }
        return false
    }
}
