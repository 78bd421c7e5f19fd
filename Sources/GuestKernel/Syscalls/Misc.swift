import HostOS
import LinuxABI

// Time, uname, randomness, futexes, poll/select, and the calls answered with a fixed result.

extension CoreSyscalls {
    // MARK: time

    /// Deadline of a sleeping call, fixed at its first run and kept across re-runs. A timeout
    /// too far to represent saturates at UInt64.max: a deadline that never comes.
    static func deadline(_ c: SyscallCall, after ns: UInt64) -> UInt64 {
        if let d = c.task.callDeadline { return d }
        let d = GuestMath.deadline(Host.monotonicNanoseconds(), after: ns)
        c.task.callDeadline = d
        return d
    }

    /// A guest `struct timespec`: two longs, or two 64-bit fields for the *_time64 calls.
    static func readTimespec(_ c: SyscallCall, _ addr: UInt64) throws(LinuxErrno) -> (Int64, Int64) {
        if c.time64 {
            var d = GuestDecoder(try c.mm.read(addr, count: 16), c.abi)
            let s = d.i64(), ns = d.i64()
            // 32-bit callers leave the padding half of tv_nsec undefined.
            return (s, c.abi.wordSize == 4 ? Int64(Int32(truncatingIfNeeded: ns)) : ns)
        }
        var d = GuestDecoder(try c.mm.read(addr, count: 2 * c.abi.wordSize), c.abi)
        return (d.sword(), d.sword())
    }
    static func timespecBytes(_ c: SyscallCall, _ s: Int64, _ ns: Int64) -> [UInt8] {
        var e = GuestEncoder(c.abi)
        if c.time64 { e.i64(s); e.i64(ns) } else { e.sword(s); e.sword(ns) }
        return e.bytes
    }

    /// clock_gettime: the host's clocks, and the guest's CPU time for the CPU-time clocks (the
    /// caller's process and thread, and the ids pthread_getcpuclockid and clock_getcpuclockid
    /// make for another thread or process: `Kernel.cpuClock`).
    static func clockGettime(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let id = c.int(0)
        let t: (Int64, Int64)
        if id == 2 || id == 3 || id < 0 {
            guard let read = c.kernel.cpuClock(id, caller: c.task) else { throw .EINVAL }
            let ns = read()
            t = (Int64(ns / 1_000_000_000), Int64(ns % 1_000_000_000))
        } else {
            guard id <= 11, id != 10 else { throw .EINVAL }
            t = try Host.clock(id)
        }
        try c.mm.write(c.word(1), timespecBytes(c, t.0, t.1))
        return .zero
    }
    static func clockGetres(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let id = c.int(0)
        if id < 0 { guard c.kernel.cpuClock(id, caller: c.task) != nil else { throw .EINVAL } }
        guard id <= 11, id != 10 else { throw .EINVAL }
        if c.word(1) != 0 { try c.mm.write(c.word(1), timespecBytes(c, 0, 1)) }
        return .zero
    }
    static func gettimeofday(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let t = try Host.clock(0)
        if c.word(0) != 0 {
            var e = GuestEncoder(c.abi)
            e.sword(t.0); e.sword(t.1 / 1000)
            try c.mm.write(c.word(0), e.bytes)
        }
        if c.word(1) != 0 { try c.mm.write(c.word(1), [UInt8](repeating: 0, count: 8)) }
        return .zero
    }
    static func time(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let t = try Host.clock(0)
        if c.word(0) != 0 {
            var e = GuestEncoder(c.abi)
            e.sword(t.0)
            try c.mm.write(c.word(0), e.bytes)
        }
        return .value(UInt64(bitPattern: t.0))
    }

    static func nanosleep(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try sleep(c, request: c.word(0), remain: c.word(1), absolute: false, clock: 1)
    }
    static func clockNanosleep(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let id = c.int(0)
        guard id == 0 || id == 1 || id == 7 || id == 9 else { throw .EINVAL }
        return try sleep(c, request: c.word(2), remain: c.word(3), absolute: c.int(1) & 1 != 0, clock: id)
    }
    static func sleep(_ c: SyscallCall, request: UInt64, remain: UInt64, absolute: Bool, clock: Int32) throws(LinuxErrno) -> SyscallOutcome {
        let (s, ns) = try readTimespec(c, request)
        var span = try GuestMath.nanoseconds(seconds: s, nanoseconds: ns)
        if absolute {
            let now = try Host.clock(clock == 7 ? 1 : clock)
            let nowNS = UInt64(max(0, now.0)) * 1_000_000_000 + UInt64(now.1)
            span = span > nowNS ? span - nowNS : 0
        }
        let d = deadline(c, after: span)
        if Host.monotonicNanoseconds() >= d { return .zero }
        var wait = Wait.sleep(until: d)
        if remain != 0 && !absolute {
            let mm = c.mm
            let call = c
            wait.onInterrupt = {
                let now = Host.monotonicNanoseconds()
                let left = d > now ? d - now : 0
                try? mm.write(remain, timespecBytes(call, Int64(left / 1_000_000_000), Int64(left % 1_000_000_000)))
            }
        }
        return .block(wait)
    }

    // MARK: system information

    static func uname(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let k = c.kernel
        var e = GuestEncoder(c.abi)
        for field in ["Linux", k.config.hostname, k.config.release, k.config.version, k.abi.machine, "(none)"] {
            var b = Array(field.utf8.prefix(64))
            b += [UInt8](repeating: 0, count: 65 - b.count)
            e.raw(b)
        }
        try c.mm.write(c.word(0), e.bytes)
        return .zero
    }

    static func sethostname(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        guard c.task.process.credentials.isRoot else { throw .EPERM }
        let n = try c.size(1)
        guard n <= 64 else { throw .EINVAL }
        c.kernel.config.hostname = String(decoding: try c.mm.read(c.word(0), count: n), as: UTF8.self)
        return .zero
    }

    static func sysinfo(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var e = GuestEncoder(c.abi)
        let up = (Host.monotonicNanoseconds() - c.kernel.bootTime) / 1_000_000_000
        e.sword(Int64(up))
        for _ in 0..<3 { e.word(0) }  // loads
        e.word(1 << 30); e.word(1 << 29); e.word(0); e.word(0); e.word(0); e.word(0)  // ram, free, shared, buffers, swap
        e.u16(UInt16(clamping: c.kernel.processes.count)); e.u16(0)
        e.align(c.abi.wordSize)
        e.word(0); e.word(0)  // high
        e.u32(1)  // mem_unit
        e.pad(to: c.abi.wordSize == 8 ? 112 : 64)
        try c.mm.write(c.word(0), e.bytes)
        return .zero
    }

    static func getrandom(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let n = min(try c.size(1), 1 << 25)
        if c.uint(2) & ~UInt32(7) != 0 { throw .EINVAL }
        let buffers = GuestBuffers([(c.word(0), n)])
        try c.mm.checkAccess(c.word(0), n, .write)
        return .int(try steps(c, total: n) { (p, done) throws(LinuxErrno) -> Int in
            try Host.random(into: p)
            try buffers.store(UnsafeRawBufferPointer(p), from: done, c.mm)
            return p.count
        })
    }

    /// getrusage(who): RUSAGE_SELF (0), RUSAGE_CHILDREN (-1, the reaped ones), RUSAGE_THREAD
    /// (1); EINVAL otherwise. Only the times are kept (the guest CPU time the scheduler counts).
    static func getrusage(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let p = c.task.process
        let time: (user: UInt64, system: UInt64)
        switch c.int(0) {
        case 0: time = c.kernel.cpuTime(p)
        case -1: time = p.childrenTime
        case 1: time = (c.task.userTime, c.task.systemTime)
        default: throw .EINVAL
        }
        try c.mm.write(c.word(1), rusageBytes(c, time))
        return .zero
    }

    /// `struct rusage`: ru_utime and ru_stime (timevals), then fourteen longs left 0.
    static func rusageBytes(_ c: SyscallCall, _ time: (user: UInt64, system: UInt64)) -> [UInt8] {
        var e = GuestEncoder(c.abi)
        writeTimeval(&e, time.user)
        writeTimeval(&e, time.system)
        e.pad(to: c.abi.wordSize == 8 ? 144 : 72)
        return e.bytes
    }

    /// times(buf): the process's and its reaped children's CPU time in clock ticks (USER_HZ
    /// 100); returns the ticks since boot.
    static func times(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        if c.word(0) != 0 {
            let p = c.task.process
            let own = c.kernel.cpuTime(p)
            var e = GuestEncoder(c.abi)
            for ns in [own.user, own.system, p.childrenTime.user, p.childrenTime.system] { e.word(ns / 10_000_000) }
            try c.mm.write(c.word(0), e.bytes)
        }
        return .value((Host.monotonicNanoseconds() - c.kernel.bootTime) / 10_000_000)
    }

    static func schedYield(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        c.task.sliceEnd = 0  // the rest of its slice goes to the next runnable task
        return .zero
    }
    static func getcpu(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        if c.word(0) != 0 { try c.mm.write(c.word(0), [0, 0, 0, 0]) }
        if c.word(1) != 0 { try c.mm.write(c.word(1), [0, 0, 0, 0]) }
        return .zero
    }

    static func prctl(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        switch c.int(0) {
        case 15:  // PR_SET_NAME
            let name = try c.mm.readCString(c.word(1), limit: 4096)
            c.task.process.comm = String(decoding: name.prefix(15), as: UTF8.self)
            return .zero
        case 16:  // PR_GET_NAME
            var b = Array(c.task.process.comm.utf8.prefix(15))
            b += [UInt8](repeating: 0, count: 16 - b.count)
            try c.mm.write(c.word(1), b)
            return .zero
        case 1, 2, 3, 4, 36, 37, 38, 39: return .zero  // PDEATHSIG, DUMPABLE, SUBREAPER, NO_NEW_PRIVS
        default: throw .EINVAL
        }
    }

    static func setRobustList(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        c.task.robustList = c.word(0)
        c.task.robustListLength = c.word(1)
        return .zero
    }
    static func getRobustList(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let t = c.int(0) == 0 ? c.task : c.kernel.tasks[c.int(0)]
        guard let t else { throw .ESRCH }
        var e = GuestEncoder(c.abi)
        e.word(t.robustList)
        try c.mm.write(c.word(1), e.bytes)
        var l = GuestEncoder(c.abi)
        l.word(t.robustListLength)
        try c.mm.write(c.word(2), l.bytes)
        return .zero
    }

    /// Calls a program may make that umlab answers without doing anything, with `result`.
    static func fixed(_ result: Result<UInt64, LinuxErrno>) -> SyscallHandler {
        { (_: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome in
            switch result {
            case .success(let v): return .value(v)
            case .failure(let e): throw e
            }
        }
    }

    // MARK: futex

    static func futex(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let addr = c.word(0), op = c.int(1) & 0x7f, val = c.uint(2)
        let isPrivate = c.int(1) & 128 != 0
        let k = c.kernel
        guard addr & 3 == 0 else { throw .EINVAL }
        func key(_ a: UInt64) throws(LinuxErrno) -> FutexKey { try k.futexKey(c.task.mm, a, private: isPrivate) }
        switch op {
        case 0, 9:  // FUTEX_WAIT, FUTEX_WAIT_BITSET
            let task = c.task
            if task.futexWoken {
                task.futexWoken = false
                return .zero
            }
            var deadline: UInt64?
            if c.word(3) != 0 {
                let (s, ns) = try readTimespec(c, c.word(3))
                let span = try GuestMath.nanoseconds(seconds: s, nanoseconds: ns)
                if op == 9 {
                    let now = try Host.clock(c.int(1) & 256 != 0 ? 0 : 1)
                    let nowNS = UInt64(max(0, now.0)) * 1_000_000_000 + UInt64(now.1)
                    deadline = CoreSyscalls.deadline(c, after: span > nowNS ? span - nowNS : 0)
                } else {
                    deadline = CoreSyscalls.deadline(c, after: span)
                }
                if Host.monotonicNanoseconds() >= deadline! { throw .ETIMEDOUT }
            }
            var d = GuestDecoder(try c.mm.read(addr, count: 4), c.abi)
            if d.u32() != val { throw .EAGAIN }
            var wait = Wait.on(k.futexQueue(try key(addr)), .input)
            wait.deadline = deadline
            return .block(wait)
        case 1, 10:  // FUTEX_WAKE, FUTEX_WAKE_BITSET
            return .int(k.futexWake(try key(addr), count: Int(min(val, 1 << 30))))
        case 3, 4:  // FUTEX_REQUEUE, FUTEX_CMP_REQUEUE
            // Both counts are C ints: negative ones are EINVAL (Linux's futex_requeue).
            let requeueCount = Int32(truncatingIfNeeded: c.word(3))
            guard Int32(bitPattern: val) >= 0, requeueCount >= 0 else { throw .EINVAL }
            if op == 4 {
                var d = GuestDecoder(try c.mm.read(addr, count: 4), c.abi)
                if d.u32() != c.uint(5) { throw .EAGAIN }
            }
            let from = try key(addr), to = try key(c.word(4))
            let woken = k.futexWake(from, count: Int(val))
            var moved = 0
            if let q = k.futexQueues[from], from != to {
                moved = q.requeue(to: k.futexQueue(to), count: Int(requeueCount))
            }
            return .int(woken + moved)
        case 5:  // FUTEX_WAKE_OP: wake on addr, and on addr2 depending on an operation
            // val3 = op:4 cmp:4 oparg:12 cmparg:12 (oparg and cmparg sign-extended); op's bit 8
            // (FUTEX_OP_OPARG_SHIFT) makes oparg a shift count, taken modulo 32 as Linux does.
            let addr2 = c.word(4), encoded = c.uint(5)
            let opField = encoded >> 28, cmp = (encoded >> 24) & 15
            guard opField & 7 <= 4, cmp <= 5 else { throw .ENOSYS }
            var d = GuestDecoder(try c.mm.read(addr2, count: 4), c.abi)
            let old = d.u32()
            var oparg = (encoded >> 12) & 0xfff, cmparg = encoded & 0xfff
            if oparg & 0x800 != 0 { oparg |= 0xffff_f000 }
            if cmparg & 0x800 != 0 { cmparg |= 0xffff_f000 }
            if opField & 8 != 0 { oparg = 1 << (oparg & 31) }
            let new: UInt32
            switch opField & 7 {
            case 0: new = oparg
            case 1: new = old &+ oparg
            case 2: new = old | oparg
            case 3: new = old & ~oparg
            default: new = old ^ oparg
            }
            var e = GuestEncoder(c.abi)
            e.u32(new)
            try c.mm.write(addr2, e.bytes)
            var n = k.futexWake(try key(addr), count: Int(Int32(bitPattern: val)))
            let o = Int32(bitPattern: old), a = Int32(bitPattern: cmparg)
            let hit: Bool
            switch cmp {
            case 0: hit = o == a
            case 1: hit = o != a
            case 2: hit = o < a
            case 3: hit = o <= a
            case 4: hit = o > a
            default: hit = o >= a
            }
            // The second count is the low 32 bits of the timeout argument, a C int.
            let count2 = Int(Int32(truncatingIfNeeded: c.word(3)))
            if hit && count2 > 0 { n += k.futexWake(try key(addr2), count: count2) }
            return .int(n)
        default:
            throw .ENOSYS
        }
    }
}

/// What identifies a futex, as in Linux: a private futex (or any in private memory) by its
/// address space and address; one in a shared mapping by the memory object and the offset in
/// it, so processes that map the same object at different addresses meet on the same futex.
enum FutexKey: Hashable {
    case `private`(ObjectIdentifier, UInt64)
    case sharedMemory(Int32, UInt64)
    case file(device: UInt64, inode: UInt64, offset: UInt64)
}

/// A futex's waiters; leaves the kernel's table when the last one goes.
final class FutexQueue: WaitQueue {
    let key: FutexKey
    init(key: FutexKey) { self.key = key }
    override func lastWaiterLeft(kernel: Kernel) { kernel.futexQueues[key] = nil }
}

extension Kernel {
    func futexKey(_ mm: MemoryMap, _ address: UInt64, private isPrivate: Bool) throws(LinuxErrno) -> FutexKey {
        if !isPrivate, let v = mm.vma(containing: address), v.shared {
            let offset = v.offset &+ (address - v.start)
            if let shm = v.sharedMemory { return .sharedMemory(shm.fd, offset) }
            if let f = v.file, let st = try? f.stat() { return .file(device: st.device, inode: st.inode, offset: offset) }
        }
        return .private(ObjectIdentifier(mm), address)
    }

    func futexQueue(_ key: FutexKey) -> FutexQueue {
        if let q = futexQueues[key] { return q }
        let q = FutexQueue(key: key)
        futexQueues[key] = q
        return q
    }

    /// Wakes up to `count` waiters of the futex; their FUTEX_WAIT returns 0.
    func futexWake(_ key: FutexKey, count: Int) -> Int {
        guard let q = futexQueues[key] else { return 0 }
        var n = 0
        while n < count, let t = q.firstWaiter {
            t.futexWoken = true
            wake(t)
            n += 1
        }
        return n
    }

    /// Wakes a waiter on a futex word of `mm` (robust lists, CLONE_CHILD_CLEARTID).
    func futexWake(_ mm: MemoryMap, _ address: UInt64, count: Int) -> Int {
        guard let key = try? futexKey(mm, address, private: false) else { return 0 }
        return futexWake(key, count: count)
    }
}
