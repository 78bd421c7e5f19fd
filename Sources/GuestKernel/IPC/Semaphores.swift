import HostOS
import LinuxABI

/// A System V semaphore set (Linux's sem_array): values from 0 to SEMVMX, the pid of the last
/// process that changed each, and the SEM_UNDO adjustments of each process that has any.
final class SemaphoreSet: IPCObject {
    var values: [Int32]
    var pids: [Int32]
    var operationTime: Int64 = 0
    /// SEM_UNDO adjustments by process, then by semaphore: what the process's exit adds back.
    /// Processes, not threads, own them: glibc's threads share theirs (CLONE_SYSVSEM).
    var undo: [Int32: [Int: Int32]] = [:]

    init(perm: IPCPermissions, count: Int) {
        values = Array(repeating: 0, count: count)
        pids = Array(repeating: 0, count: count)
        super.init(perm: perm)
    }

    /// One `struct sembuf`.
    struct Operation {
        let number: Int
        let op: Int32
        let flags: Int32
        var undoes: Bool { flags & SemaphoreFlags.undo != 0 }
        var noWait: Bool { flags & IPCFlags.noWait != 0 }
    }

    enum Outcome {
        case done
        /// The operation at this index cannot proceed yet.
        case blocked(Operation)
    }

    /// Linux's perform_atomic_semop, in its sequential form (which also covers operations on the
    /// same semaphore twice): the operations apply in order to a copy, and the set changes only
    /// if all of them can. A value that would pass SEMVMX, or an adjustment past ±SEMAEM, is
    /// ERANGE; an operation that must wait is EAGAIN under IPC_NOWAIT.
    func perform(_ ops: [Operation], pid: Int32) throws(LinuxErrno) -> Outcome {
        var v = values
        var adjust = undo[pid] ?? [:]
        for o in ops {
            let current = v[o.number]
            if o.op == 0 {
                if current != 0 { if o.noWait { throw .EAGAIN }; return .blocked(o) }
                continue
            }
            let result = current + o.op
            if result < 0 { if o.noWait { throw .EAGAIN }; return .blocked(o) }
            if result > Int32(IPCLimits.semvmx) { throw .ERANGE }
            if o.undoes {
                let a = (adjust[o.number] ?? 0) - o.op
                if a < -Int32(IPCLimits.semaem) - 1 || a > Int32(IPCLimits.semaem) { throw .ERANGE }
                adjust[o.number] = a
            }
            v[o.number] = result
        }
        values = v
        for o in ops { pids[o.number] = pid }
        if ops.contains(where: \.undoes) { undo[pid] = adjust }
        operationTime = IPCNamespace.now()
        return .done
    }

    /// SETVAL and SETALL reset every process's adjustment of the semaphores they set.
    func clearAdjustments(_ number: Int? = nil) {
        for pid in Array(undo.keys) {
            if let number { undo[pid]![number] = nil } else { undo[pid] = nil }
        }
    }

    /// GETNCNT / GETZCNT: the sleepers whose blocking operation waits on `number` for an
    /// increase, or for zero.
    func waiters(_ number: Int, forZero: Bool) -> Int {
        queue.entries.filter { e in
            guard let w = e.task.semaphoreWait, e.task.ipcWaitObject === self else { return false }
            return w.number == number && w.forZero == forZero
        }.count
    }
}

enum SemaphoreFlags {
    static let undo: Int32 = 0x1000
}

extension IPCNamespace {
    func removeSemaphoreSet(_ s: SemaphoreSet) {
        semaphores.remove(s)
        s.removed = true
        semaphoreCount -= s.values.count
        s.undo = [:]
        s.queue.notify([.input, .output])
    }

    /// A process ended: its SEM_UNDO adjustments are added to the semaphores, clamped to
    /// [0, SEMVMX] (Linux's exit_sem), and the sets' sleepers woken.
    func applyUndo(for pid: Int32) {
        guard undoProcesses.remove(pid) != nil else { return }
        for s in semaphores.sorted {
            guard let adjust = s.undo.removeValue(forKey: pid) else { continue }
            var changed = false
            for (number, a) in adjust where a != 0 {
                s.values[number] = min(max(s.values[number] + a, 0), Int32(IPCLimits.semvmx))
                s.pids[number] = pid
                changed = true
            }
            if changed {
                s.operationTime = IPCNamespace.now()
                s.queue.notify([.input, .output])
            }
        }
    }
}

extension CoreSyscalls {
    static func semget(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try semget(c, key: c.int(0), count: c.int(1), flags: c.int(2))
    }

    /// Linux's ksys_semget: a count past SEMMSL is EINVAL first; a new set needs at least one
    /// semaphore (EINVAL) and room under SEMMNS (ENOSPC); an existing one must have at least
    /// the count asked for (EINVAL).
    static func semget(_ c: SyscallCall, key: Int32, count: Int32, flags: Int32) throws(LinuxErrno) -> SyscallOutcome {
        guard count >= 0, count <= Int32(IPCLimits.semmsl) else { throw .EINVAL }
        let cred = c.task.process.credentials
        let ns = c.kernel.ipc
        return .int(Int(try ns.get(ns.semaphores, key: key, flags: flags, credentials: cred, check: { (s: SemaphoreSet) throws(LinuxErrno) in
            if Int(count) > s.values.count { throw .EINVAL }
        }) { () throws(LinuxErrno) -> SemaphoreSet in
            guard count > 0 else { throw .EINVAL }
            guard ns.semaphoreCount + Int(count) <= IPCLimits.semmns else { throw .ENOSPC }
            ns.semaphoreCount += Int(count)
            return SemaphoreSet(perm: IPCPermissions(key: key, mode: UInt32(bitPattern: flags), creator: cred), count: Int(count))
        }))
    }

    static func semop(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try semtimedop(c, id: c.int(0), operations: c.word(1), count: c.word(2), timeout: 0)
    }
    static func semtimedop(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try semtimedop(c, id: c.int(0), operations: c.word(1), count: c.word(2), timeout: c.word(3))
    }

    /// Linux's do_semtimedop: EINVAL for no operations or a negative id, E2BIG past SEMOPM,
    /// EFAULT for the array, EINVAL for a bad timeout, then the set (EINVAL, EIDRM), EFBIG for a
    /// semaphore number past the set, EACCES. The operations apply all at once or not at all;
    /// the caller sleeps until they can (EAGAIN when the timeout passes), and a signal ends the
    /// sleep with EINTR whatever SA_RESTART says.
    static func semtimedop(_ c: SyscallCall, id: Int32, operations: UInt64, count rawCount: UInt64, timeout: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        try c.task.checkIPCWake()
        let count = UInt32(truncatingIfNeeded: rawCount)
        guard count >= 1, id >= 0 else { throw .EINVAL }
        guard count <= UInt32(IPCLimits.semopm) else { throw .E2BIG }
        var d = GuestDecoder(try c.mm.read(operations, count: Int(count) * 6), c.abi)
        var ops: [SemaphoreSet.Operation] = []
        for _ in 0..<count {
            let number = Int(d.u16())
            let op = Int32(Int16(bitPattern: d.u16()))
            let flags = Int32(Int16(bitPattern: d.u16()))
            ops.append(.init(number: number, op: op, flags: flags))
        }
        var deadline: UInt64?
        if timeout != 0 {
            let (s, ns) = try readTimespec(c, timeout)
            guard s >= 0, ns >= 0, ns < 1_000_000_000 else { throw .EINVAL }
            deadline = CoreSyscalls.deadline(c, after: try GuestMath.nanoseconds(seconds: s, nanoseconds: ns))
        }
        let ipc = c.kernel.ipc
        let set = try ipc.semaphores.lookup(id)
        guard let highest = ops.map(\.number).max(), highest < set.values.count else { throw .EFBIG }
        let alters = ops.contains { $0.op != 0 }
        guard set.perm.allows(c.task.process.credentials, alters ? 0o222 : 0o444) else { throw .EACCES }
        let pid = c.task.process.pid
        switch try set.perform(ops, pid: pid) {
        case .done:
            if ops.contains(where: \.undoes) { ipc.undoProcesses.insert(pid) }
            if alters { set.queue.notify([.input, .output]) }
            return .zero
        case .blocked(let op):
            if let deadline, Host.monotonicNanoseconds() >= deadline { throw .EAGAIN }
            c.task.ipcWaitObject = set
            c.task.semaphoreWait = (op.number, op.op == 0)
            var wait = Wait.on(set.queue, .input, restartable: false)
            wait.deadline = deadline
            return .block(wait)
        }
    }

    static func semctl(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try semctl(c, id: c.int(0), number: c.int(1), command: c.int(2), argument: c.word(3))
    }

    /// Linux's ksys_semctl with the IPC_64 layouts. `argument` is the `union semun`, passed by
    /// value: an int for SETVAL, a pointer otherwise.
    static func semctl(_ c: SyscallCall, id: Int32, number: Int32, command: Int32, argument: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        guard id >= 0 else { throw .EINVAL }
        let ns = c.kernel.ipc
        let cred = c.task.process.credentials
        let s = IPCStructs(abi: c.abi)
        switch command {
        case IPCFlags.info, 19:  // IPC_INFO, SEM_INFO
            let used = command == 19
            var e = GuestEncoder(c.abi)
            e.i32(Int32(IPCLimits.semmns)); e.i32(Int32(IPCLimits.semmni)); e.i32(Int32(IPCLimits.semmns))
            e.i32(Int32(IPCLimits.semmns)); e.i32(Int32(IPCLimits.semmsl)); e.i32(Int32(IPCLimits.semopm))
            e.i32(Int32(IPCLimits.semopm))
            e.i32(used ? Int32(ns.semaphores.count) : 20)  // semusz
            e.i32(Int32(IPCLimits.semvmx))
            e.i32(used ? Int32(clamping: ns.semaphoreCount) : Int32(IPCLimits.semaem))  // semaem
            try c.mm.write(argument, e.bytes)
            return .int(max(0, ns.semaphores.highestIndex))
        case IPCFlags.stat, 18, 20:  // IPC_STAT, SEM_STAT, SEM_STAT_ANY
            let set = command == IPCFlags.stat ? try ns.semaphores.lookup(id) : try ns.semaphores.at(index: Int(id))
            if command != 20 { guard set.perm.allows(cred, 0o444) else { throw .EACCES } }
            try c.mm.write(argument, s.semaphoreSet(set))
            return .int(command == IPCFlags.stat ? 0 : Int(set.id))
        case 11, 12, 13, 14, 15, 17:  // GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETALL
            let set = try ns.semaphores.lookup(id)
            guard set.perm.allows(cred, command == 17 ? 0o222 : 0o444) else { throw .EACCES }
            let n = set.values.count
            if command == 13 {
                var e = GuestEncoder(c.abi)
                for v in set.values { e.u16(UInt16(v)) }
                try c.mm.write(argument, e.bytes)
                return .zero
            }
            if command == 17 {
                var d = GuestDecoder(try c.mm.read(argument, count: 2 * n), c.abi)
                let values = (0..<n).map { _ in Int32(d.u16()) }
                if values.contains(where: { $0 > Int32(IPCLimits.semvmx) }) { throw .ERANGE }
                set.values = values
                let pid = c.task.process.pid
                set.pids = Array(repeating: pid, count: n)
                set.clearAdjustments()
                set.changeTime = IPCNamespace.now()
                set.queue.notify([.input, .output])
                return .zero
            }
            guard number >= 0, Int(number) < n else { throw .EINVAL }
            switch command {
            case 11: return .int(Int(set.pids[Int(number)]))
            case 12: return .int(Int(set.values[Int(number)]))
            case 14: return .int(set.waiters(Int(number), forZero: false))
            default: return .int(set.waiters(Int(number), forZero: true))
            }
        case 16:  // SETVAL
            let value = Int32(truncatingIfNeeded: argument)
            guard value >= 0, value <= Int32(IPCLimits.semvmx) else { throw .ERANGE }
            let set = try ns.semaphores.lookup(id)
            guard number >= 0, Int(number) < set.values.count else { throw .EINVAL }
            guard set.perm.allows(cred, 0o222) else { throw .EACCES }
            set.clearAdjustments(Int(number))
            set.values[Int(number)] = value
            set.pids[Int(number)] = c.task.process.pid
            set.changeTime = IPCNamespace.now()
            set.queue.notify([.input, .output])
            return .zero
        case IPCFlags.set:
            let new = try s.readPermissions(c.mm, argument)
            let set = try ns.semaphores.lookup(id)
            guard set.perm.mayAdminister(cred) else { throw .EPERM }
            set.perm.set(uid: new.uid, gid: new.gid, mode: new.mode)
            set.changeTime = IPCNamespace.now()
            return .zero
        case IPCFlags.rmid:
            let set = try ns.semaphores.lookup(id)
            guard set.perm.mayAdminister(cred) else { throw .EPERM }
            ns.removeSemaphoreSet(set)
            return .zero
        default:
            throw .EINVAL
        }
    }
}
