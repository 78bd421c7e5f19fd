import HostOS
import LinuxABI

/// A System V shared memory segment: the same memory file as a MAP_SHARED|MAP_ANONYMOUS
/// mapping (`SharedMemoryObject`, charged to --memory as shmem, one host memory file that every
/// backend maps), with the segment's ipc_perm and times. shmat maps it like any shared memory,
/// so fork inherits attachments and exec and exit drop them with the address space.
///
/// Attachments are not counted beside the mappings: shm_nattch is the number of areas that map
/// the memory, counted when asked. IPC_RMID of an attached segment marks it SHM_DEST and lets
/// go of the memory: the mappings keep it, and when the last goes the segment goes too.
final class SharedMemorySegment: IPCObject {
    /// shm_segsz as asked (the mapping covers whole pages).
    let size: UInt64
    let pages: UInt64
    /// The memory, held here until IPC_RMID; afterwards only the mappings hold it.
    private var heldMemory: SharedMemoryObject?
    private weak var mappedMemory: SharedMemoryObject?
    var memory: SharedMemoryObject? { heldMemory ?? mappedMemory }
    var attachTime: Int64 = 0, detachTime: Int64 = 0
    var creator: Int32, lastUser: Int32 = 0
    static let destroyMark: UInt32 = 0o1000, lockedMark: UInt32 = 0o2000

    init(perm: IPCPermissions, size: UInt64, pages: UInt64, memory: SharedMemoryObject, creator: Int32) {
        self.size = size; self.pages = pages; self.creator = creator
        heldMemory = memory
        mappedMemory = memory
        super.init(perm: perm)
    }

    /// IPC_RMID: the segment keeps living under IPC_PRIVATE while mapped.
    func markDestroyed() {
        perm.mode |= SharedMemorySegment.destroyMark
        heldMemory = nil
    }

    func destroy(_ ns: IPCNamespace) {
        removed = true
        heldMemory = nil
        ns.sharedMemoryPages -= pages
    }

    /// The name /proc/<pid>/maps shows, as Linux's shm files.
    var mappingName: String { "/SYSV" + String.padded(UInt64(UInt32(bitPattern: perm.key)), radix: 16, width: 8) + " (deleted)" }
}

extension IPCNamespace {
    /// Segments removed with IPC_RMID whose last mapping went since: out of the table.
    func sweepSharedMemory() {
        for s in sharedMemory.sorted where s.memory == nil {
            sharedMemory.remove(s)
            s.destroy(self)
        }
    }

    func segment(mapping memory: SharedMemoryObject) -> SharedMemorySegment? {
        sharedMemory.objects.values.first { $0.memory === memory }
    }
}

extension Kernel {
    /// shm_nattch: the areas of every address space that map `memory`.
    func attachments(of memory: SharedMemoryObject?) -> Int {
        guard let memory else { return 0 }
        var seen = Set<ObjectIdentifier>()
        var n = 0
        for t in tasks.values where seen.insert(ObjectIdentifier(t.mm)).inserted {
            n += t.mm.vmas.lazy.filter { $0.sharedMemory === memory }.count
        }
        return n
    }
}

enum SharedMemoryFlags {
    static let readOnly: Int32 = 0o10000, round: Int32 = 0o20000, remap: Int32 = 0o40000, exec: Int32 = 0o100000
}

extension CoreSyscalls {
    static func shmget(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try shmget(c, key: c.int(0), size: c.word(1), flags: c.int(2))
    }

    /// Linux's newseg and shm_more_checks: a size below SHMMIN or past SHMMAX is EINVAL, pages
    /// past SHMALL ENOSPC; an existing segment smaller than asked is EINVAL. SHM_HUGETLB is
    /// accepted and given ordinary pages.
    static func shmget(_ c: SyscallCall, key: Int32, size: UInt64, flags: Int32) throws(LinuxErrno) -> SyscallOutcome {
        let cred = c.task.process.credentials
        let ns = c.kernel.ipc
        ns.sweepSharedMemory()
        return .int(Int(try ns.get(ns.sharedMemory, key: key, flags: flags, credentials: cred, check: { (s: SharedMemorySegment) throws(LinuxErrno) in
            if size > s.size { throw .EINVAL }
        }) { () throws(LinuxErrno) -> SharedMemorySegment in
            let shmmax = IPCLimits.shmmax(wordMask: c.abi.wordMask)
            guard size >= IPCLimits.shmmin, size <= shmmax else { throw .EINVAL }
            guard let length = c.mm.pageRoundUp(size) else { throw .ENOSPC }
            let pages = length / c.mm.pageSize
            guard let total = GuestMath.end(ns.sharedMemoryPages, pages), total <= shmmax else { throw .ENOSPC }
            let memory = try SharedMemoryObject(length: length, account: c.kernel.memory, descriptors: c.kernel.hostDescriptors)
            ns.sharedMemoryPages = total
            return SharedMemorySegment(perm: IPCPermissions(key: key, mode: UInt32(bitPattern: flags), creator: cred),
                                       size: size, pages: pages, memory: memory, creator: c.task.process.pid)
        }))
    }

    static func shmat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        .value(try shmat(c, id: c.int(0), address: c.word(1), flags: c.int(2)))
    }

    /// Linux's do_shmat: an unaligned address is EINVAL unless SHM_RND rounds it down (to
    /// SHMLBA, the page size here); SHM_REMAP needs an address. Without SHM_REMAP the range must
    /// be free (EINVAL). The permission asked is read, plus write unless SHM_RDONLY, plus
    /// execute with SHM_EXEC.
    static func shmat(_ c: SyscallCall, id: Int32, address: UInt64, flags: Int32) throws(LinuxErrno) -> UInt64 {
        guard id >= 0 else { throw .EINVAL }
        let mm = c.mm
        var addr = address
        if addr != 0 {
            if !mm.isPageAligned(addr) {
                guard flags & SharedMemoryFlags.round != 0 else { throw .EINVAL }
                addr = GuestMath.roundDown(addr, to: mm.pageSize)
                if addr == 0 && flags & SharedMemoryFlags.remap != 0 { throw .EINVAL }
            }
        } else if flags & SharedMemoryFlags.remap != 0 {
            throw .EINVAL
        }
        var protection: Protection = flags & SharedMemoryFlags.readOnly != 0 ? .read : .rw
        var access: UInt32 = flags & SharedMemoryFlags.readOnly != 0 ? 0o444 : 0o666
        if flags & SharedMemoryFlags.exec != 0 { protection.insert(.execute); access |= 0o111 }
        let ns = c.kernel.ipc
        ns.sweepSharedMemory()
        let segment = try ns.sharedMemory.lookup(id)
        guard segment.perm.allows(c.task.process.credentials, access) else { throw .EACCES }
        guard let memory = segment.memory else { throw .EIDRM }
        if addr != 0 && flags & SharedMemoryFlags.remap == 0 {
            guard GuestMath.end(addr, segment.size) != nil, mm.isFree(addr, segment.size) else { throw .EINVAL }
        }
        let mapped = try mm.map(address: addr, length: segment.size, protection: protection, fixed: addr != 0,
                                shared: true, file: nil, offset: 0, name: segment.mappingName, sharedMemory: memory)
        segment.attachTime = IPCNamespace.now()
        segment.lastUser = c.task.process.pid
        return mapped
    }

    /// Linux's ksys_shmdt: the segment attached at `address` (the area starting there whose
    /// offset is 0, or the fragments mprotect and munmap left of it) is unmapped; EINVAL if
    /// none is.
    static func shmdt(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try shmdt(c, address: c.word(0))
    }
    static func shmdt(_ c: SyscallCall, address: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        let mm = c.mm
        guard mm.isPageAligned(address) else { throw .EINVAL }
        let ns = c.kernel.ipc
        // The first fragment whose offset says the attachment starts at `address`.
        guard let first = mm.vmas.first(where: { v in
            v.end > address && v.start >= address && v.sharedMemory != nil && v.start - address == v.offset
                && ns.segment(mapping: v.sharedMemory!) != nil
        }), let memory = first.sharedMemory, let segment = ns.segment(mapping: memory) else { throw .EINVAL }
        let span = mm.pageRoundUp(segment.size) ?? segment.size
        let fragments = mm.vmas.filter { v in
            v.sharedMemory === memory && v.start >= address && v.start - address == v.offset && v.end - address <= span
        }
        for v in fragments { try mm.unmap(v.start, length: v.end - v.start) }
        segment.detachTime = IPCNamespace.now()
        segment.lastUser = c.task.process.pid
        ns.sweepSharedMemory()
        return .zero
    }

    static func shmctl(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try shmctl(c, id: c.int(0), command: c.int(1), buffer: c.word(2))
    }

    static func shmctl(_ c: SyscallCall, id: Int32, command: Int32, buffer: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        guard id >= 0, command >= 0 else { throw .EINVAL }
        let ns = c.kernel.ipc
        ns.sweepSharedMemory()
        let cred = c.task.process.credentials
        let s = IPCStructs(abi: c.abi)
        switch command {
        case IPCFlags.info:
            let shmmax = IPCLimits.shmmax(wordMask: c.abi.wordMask)
            var e = GuestEncoder(c.abi)
            e.word(shmmax); e.word(IPCLimits.shmmin); e.word(UInt64(IPCLimits.shmmni)); e.word(UInt64(IPCLimits.shmmni)); e.word(shmmax)
            for _ in 0..<4 { e.word(0) }
            try c.mm.write(buffer, e.bytes)
            return .int(max(0, ns.sharedMemory.highestIndex))
        case 14:  // SHM_INFO
            var e = GuestEncoder(c.abi)
            e.i32(Int32(ns.sharedMemory.count)); e.align(c.abi.wordSize)
            e.word(ns.sharedMemoryPages); e.word(ns.sharedMemoryPages)  // shm_tot, shm_rss
            for _ in 0..<3 { e.word(0) }
            try c.mm.write(buffer, e.bytes)
            return .int(max(0, ns.sharedMemory.highestIndex))
        case IPCFlags.stat, 13, 15:  // IPC_STAT, SHM_STAT, SHM_STAT_ANY
            let seg = command == IPCFlags.stat ? try ns.sharedMemory.lookup(id) : try ns.sharedMemory.at(index: Int(id))
            if command != 15 { guard seg.perm.allows(cred, 0o444) else { throw .EACCES } }
            try c.mm.write(buffer, s.sharedMemory(seg, attachments: c.kernel.attachments(of: seg.memory)))
            return .int(command == IPCFlags.stat ? 0 : Int(seg.id))
        case 11, 12:  // SHM_LOCK, SHM_UNLOCK: accepted (nothing is swapped), and shown in the mode
            let seg = try ns.sharedMemory.lookup(id)
            guard seg.perm.mayAdminister(cred) else { throw .EPERM }
            if command == 11 { seg.perm.mode |= SharedMemorySegment.lockedMark } else { seg.perm.mode &= ~SharedMemorySegment.lockedMark }
            return .zero
        case IPCFlags.set:
            let new = try s.readPermissions(c.mm, buffer)
            let seg = try ns.sharedMemory.lookup(id)
            guard seg.perm.mayAdminister(cred) else { throw .EPERM }
            seg.perm.set(uid: new.uid, gid: new.gid, mode: new.mode)
            seg.changeTime = IPCNamespace.now()
            return .zero
        case IPCFlags.rmid:
            let seg = try ns.sharedMemory.lookup(id)
            guard seg.perm.mayAdminister(cred) else { throw .EPERM }
            ns.sharedMemory.forgetKey(seg)
            seg.markDestroyed()
            ns.sweepSharedMemory()
            return .zero
        default:
            throw .EINVAL
        }
    }
}
