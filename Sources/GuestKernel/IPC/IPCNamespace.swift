import HostOS
import LinuxABI

// System V IPC (message queues, semaphore sets, shared memory segments) and POSIX message
// queues, after Linux's ipc/. Everything hangs off the machine's `IPCNamespace` (one IPC
// namespace per guest): two guests in one umlab share nothing. Blocking calls wait on the
// objects' wait queues and run again from the start when woken (the kernel's restart model),
// so an object keeps no list of sleepers of its own: a removed object notifies its queue, and
// a woken sleeper that finds it gone fails with EIDRM (`Task.ipcWaitObject`).

/// The `ipc_perm` of an object: key, owner, creator and mode.
struct IPCPermissions {
    var key: Int32
    var uid: UInt32, gid: UInt32
    var cuid: UInt32, cgid: UInt32
    /// The nine permission bits, and the object's own flag bits above them (SHM_DEST, SHM_LOCKED).
    var mode: UInt32
    /// Linux's sequence number: the id's high part.
    var seq: UInt16 = 0

    init(key: Int32, mode: UInt32, creator c: Credentials) {
        self.key = key
        uid = c.euid; gid = c.egid; cuid = c.euid; cgid = c.egid
        self.mode = mode & 0o777
    }

    /// Linux's ipcperms: whether `c` may do what `flag`'s permission bits ask (read 4, write 2,
    /// in any of the three triples); the owner's or creator's triple for either uid, then the
    /// group's, then others'. Root (CAP_IPC_OWNER) may do anything.
    func allows(_ c: Credentials, _ flag: UInt32) -> Bool {
        let requested = (flag >> 6 | flag >> 3 | flag) & 7
        var granted = mode
        if c.euid == cuid || c.euid == uid {
            granted >>= 6
        } else if [cgid, gid].contains(where: { $0 == c.egid || c.groups.contains($0) }) {
            granted >>= 3
        }
        return requested & ~granted & 7 == 0 || c.isRoot
    }

    /// Whether `c` may change or remove the object (IPC_SET, IPC_RMID): its owner, its
    /// creator, or root (CAP_SYS_ADMIN); EPERM otherwise.
    func mayAdminister(_ c: Credentials) -> Bool { c.euid == uid || c.euid == cuid || c.isRoot }
    /// IPC_SET: the owner and the permission bits change; the creator and the rest stay.
    mutating func set(uid: UInt32, gid: UInt32, mode: UInt32) {
        self.uid = uid; self.gid = gid
        self.mode = self.mode & ~0o777 | mode & 0o777
    }
}

/// What every System V object has: its permissions, its id, and whether IPC_RMID removed it.
class IPCObject {
    var perm: IPCPermissions
    /// The id programs name it by: the slot index plus the sequence number times 32768.
    var id: Int32 = -1
    /// IPC_RMID (or the machine's end) took it out of its table; sleepers wake with EIDRM.
    var removed = false
    /// The last change (creation, IPC_SET, SETVAL …), seconds since the epoch.
    var changeTime: Int64
    /// Sleepers (msgsnd and msgrcv, semop), woken at every change and at removal.
    let queue = WaitQueue()

    init(perm: IPCPermissions) {
        self.perm = perm
        changeTime = IPCNamespace.now()
    }
}

/// One kind of System V object's ids (Linux's `struct ipc_ids`): slots by index, the key index,
/// and the sequence number that makes a reused slot's id differ from the old one's.
final class IPCTable<Object: IPCObject> {
    /// Linux's IPCMNI: the index is the id's low 15 bits.
    static var slotCount: Int { 32768 }
    private(set) var objects: [Int: Object] = [:]
    private var byKey: [Int32: Int] = [:]
    private var sequence: UInt16 = 0
    private var lastIndex = -1
    /// How many objects the table holds at most (msgmni, semmni, shmmni): ENOSPC beyond.
    let limit: Int

    init(limit: Int) { self.limit = min(limit, IPCTable.slotCount) }

    var count: Int { objects.count }
    /// The highest index in use (what IPC_INFO and *_INFO return), or -1.
    var highestIndex: Int { objects.keys.max() ?? -1 }

    /// The object `id` names: EINVAL for a negative id, a free slot, or a slot whose object has
    /// another sequence number (Linux's ipc_obtain_object_check).
    func lookup(_ id: Int32) throws(LinuxErrno) -> Object {
        guard id >= 0, let o = objects[Int(id) % IPCTable.slotCount], o.id == id else { throw .EINVAL }
        return o
    }

    /// The object in slot `index` (the *_STAT commands take an index): EINVAL if empty.
    func at(index: Int) throws(LinuxErrno) -> Object {
        guard index >= 0, let o = objects[index] else { throw .EINVAL }
        return o
    }

    func find(key: Int32) -> Object? { byKey[key].flatMap { objects[$0] } }

    /// Gives `object` a slot and an id; ENOSPC when the table is full. Slots are handed out
    /// cyclically, and the sequence number grows each time the cycle wraps (as Linux's
    /// ipc_idr_alloc without a requested id).
    func add(_ object: Object) throws(LinuxErrno) {
        guard objects.count < limit else { throw .ENOSPC }
        var index = lastIndex + 1
        while true {
            if index >= limit { index = 0 }
            if objects[index] == nil { break }
            index += 1
        }
        if index <= lastIndex { sequence = sequence == UInt16(Int32.max >> 15) ? 0 : sequence + 1 }
        lastIndex = index
        object.perm.seq = sequence
        object.id = Int32(Int(sequence) * IPCTable.slotCount + index)
        objects[index] = object
        if object.perm.key != 0 { byKey[object.perm.key] = index }
    }

    /// Takes `object` out: its key no longer finds it and its id no longer names it.
    func remove(_ object: Object) {
        let index = Int(object.id) % IPCTable.slotCount
        guard objects[index] === object else { return }
        objects[index] = nil
        if object.perm.key != 0, byKey[object.perm.key] == index { byKey[object.perm.key] = nil }
    }

    /// Forgets the key of `object` (a shared memory segment removed while still attached lives
    /// on under IPC_PRIVATE).
    func forgetKey(_ object: Object) {
        if object.perm.key != 0, byKey[object.perm.key] == Int(object.id) % IPCTable.slotCount { byKey[object.perm.key] = nil }
        object.perm.key = 0
    }

    /// The objects, by index (for /proc/sysvipc and the machine's end).
    var sorted: [Object] { objects.keys.sorted().compactMap { objects[$0] } }
}

/// The machine's IPC namespace: the System V tables, the undo lists of SEM_UNDO, and the POSIX
/// message queue names.
public final class IPCNamespace {
    let messages = IPCTable<MessageQueue>(limit: IPCLimits.msgmni)
    let semaphores = IPCTable<SemaphoreSet>(limit: IPCLimits.semmni)
    let sharedMemory = IPCTable<SharedMemorySegment>(limit: IPCLimits.shmmni)
    /// POSIX message queues by name (the mqueue file system's one directory).
    var posixQueues: [[UInt8]: PosixMessageQueue] = [:]
    /// Processes with SEM_UNDO adjustments somewhere (their exit applies them).
    var undoProcesses = Set<Int32>()
    /// Bytes of messages queued in all System V queues, and how many (MSG_INFO).
    var messageBytes = 0, messageCount = 0
    /// Semaphores in all sets (SEM_INFO's semaem, the semmns limit).
    var semaphoreCount = 0
    /// Pages of all shared memory segments (SHM_INFO's shm_tot, shmall).
    var sharedMemoryPages: UInt64 = 0

    init() {}

    /// The wall clock's seconds, as IPC times are kept.
    static func now() -> Int64 { (try? Host.clock(0).0) ?? 0 }

    /// Linux's ipcget: IPC_PRIVATE always makes a new object; a key finds the existing one
    /// (EEXIST with IPC_CREAT|IPC_EXCL; `check` then permission, EACCES) or makes one with
    /// IPC_CREAT (ENOENT without).
    func get<Object: IPCObject>(_ table: IPCTable<Object>, key: Int32, flags: Int32, credentials: Credentials,
                                check: (Object) throws(LinuxErrno) -> Void,
                                make: () throws(LinuxErrno) -> Object) throws(LinuxErrno) -> Int32 {
        let create = flags & IPCFlags.create != 0, exclusive = flags & IPCFlags.exclusive != 0
        if key != 0, let existing = table.find(key: key) {
            if create && exclusive { throw .EEXIST }
            try check(existing)
            guard existing.perm.allows(credentials, UInt32(bitPattern: flags)) else { throw .EACCES }
            return existing.id
        }
        if key != 0 && !create { throw .ENOENT }
        let object = try make()
        try table.add(object)
        return object.id
    }

    /// Removes every object (the machine ended): shared memory files close with their last
    /// mapping, which the address spaces' reset has dropped.
    func removeAll() {
        for m in messages.sorted { removeMessageQueue(m) }
        for s in semaphores.sorted { removeSemaphoreSet(s) }
        for s in sharedMemory.sorted { sharedMemory.remove(s); s.destroy(self) }
        posixQueues.removeAll()
        undoProcesses.removeAll()
    }
}

/// The flags and commands of the System V calls (the same numbers on every ISA).
enum IPCFlags {
    static let create: Int32 = 0o1000, exclusive: Int32 = 0o2000, noWait: Int32 = 0o4000
    /// A ctl command's IPC_64 bit (32-bit ABIs' version selector).
    static let ipc64: Int32 = 0x100
    static let rmid: Int32 = 0, set: Int32 = 1, stat: Int32 = 2, info: Int32 = 3
}

/// The limits of the IPC namespace, Linux's defaults (/proc/sys/kernel/msg*, sem, shm*).
enum IPCLimits {
    static let msgmax = 8192, msgmnb = 16384, msgmni = 32000
    static let semmsl = 32000, semmns = 1_024_000_000, semopm = 500, semmni = 32000
    static let semvmx = 32767, semaem = 32767
    static let shmmni = 4096, shmmin: UInt64 = 1
    /// SHMMAX and SHMALL: ULONG_MAX - 2^24 of the guest's word (bytes and pages).
    static func shmmax(wordMask: UInt64) -> UInt64 { wordMask - (1 << 24) }
    /// POSIX queues: msg_max, msgsize_max (defaults 10 and 8192), and root's hard limits.
    static let mqMaxMessages = 10, mqMaxMessageSize = 8192
    static let mqHardMaxMessages = 65536, mqHardMaxMessageSize = 16 << 20
    static let mqPriorities: UInt32 = 32768
    static let mqQueuesMax = 256
}

extension Task {
    /// Starts a System V call: a sleeper woken because its object was removed gets EIDRM
    /// (Linux wakes its sleepers with that error at IPC_RMID).
    func checkIPCWake() throws(LinuxErrno) {
        guard let o = ipcWaitObject else { return }
        ipcWaitObject = nil
        if o.removed { throw .EIDRM }
    }
}
