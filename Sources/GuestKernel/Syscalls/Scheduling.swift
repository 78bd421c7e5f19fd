import LinuxABI

// Priorities, scheduling policies and CPU affinity. The guest kernel has one CPU and one
// round-robin class (docs/design.md, Scheduling): these calls keep and report what a program
// sets, with Linux's checks and errnos, and every answer agrees with one CPU — affinity masks,
// /proc/cpuinfo, /proc/stat and /sys/devices/system/cpu (VFS/SysFS.swift).

extension CoreSyscalls {
    static let prioProcess: Int32 = 0, prioGroup: Int32 = 1, prioUser: Int32 = 2
    static let schedOther: Int32 = 0, schedFIFO: Int32 = 1, schedRR: Int32 = 2, schedBatch: Int32 = 3
    static let schedIdle: Int32 = 5, schedDeadline: Int32 = 6, schedResetOnFork: Int32 = 0x4000_0000

    /// The threads getpriority/setpriority act on (Linux: PRIO_PROCESS names one thread,
    /// PRIO_PGRP every thread of the group's processes, PRIO_USER every thread whose real uid
    /// matches; 0 is the caller's).
    static func priorityTargets(_ c: SyscallCall, which: Int32, who: Int32) throws(LinuxErrno) -> [Task] {
        let k = c.kernel
        switch which {
        case prioProcess:
            if who == 0 { return [c.task] }
            return k.tasks[who].map { [$0] } ?? []
        case prioGroup:
            let group = who == 0 ? c.task.process.pgid : who
            return k.processes.values.filter { $0.pgid == group && !$0.zombie }.flatMap(\.threads)
        case prioUser:
            let uid = who == 0 ? c.task.process.credentials.uid : UInt32(bitPattern: who)
            return k.processes.values.filter { $0.credentials.uid == uid && !$0.zombie }.flatMap(\.threads)
        default:
            throw .EINVAL
        }
    }

    /// getpriority: the highest priority (lowest nice) among the targets as 20 - nice (1–40),
    /// ESRCH when there is none.
    static func getpriority(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let targets = try priorityTargets(c, which: c.int(0), who: c.int(1))
        guard let best = targets.map({ 20 - $0.nice }).max() else { throw .ESRCH }
        return .int(Int(best))
    }

    /// setpriority: the nice value clamped to -20 … 19, for each target: EPERM unless the
    /// caller's euid is the target's uid or euid (or root), EACCES for lowering it below what
    /// RLIMIT_NICE allows (root may); ESRCH when nothing matched (Linux's set_one_prio).
    static func setpriority(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let targets = try priorityTargets(c, which: c.int(0), who: c.int(1))
        let nice = min(max(c.int(2), -20), 19)
        let me = c.task.process.credentials
        var error: LinuxErrno? = targets.isEmpty ? .ESRCH : nil
        for t in targets {
            let them = t.process.credentials
            guard me.isRoot || them.uid == me.euid || them.euid == me.euid else { error = .EPERM; continue }
            if nice < t.nice, !me.isRoot, UInt64(20 - nice) > c.task.process.limits.values[13].soft {
                error = .EACCES
                continue
            }
            t.nice = nice
        }
        if let error { throw error }
        return .zero
    }

    /// The task a sched_* call names: EINVAL for a negative pid (ESRCH for the affinity calls,
    /// which do not check the sign), ESRCH for none; 0 is the caller.
    static func scheduledTask(_ c: SyscallCall, _ pid: Int32, negative: LinuxErrno = .EINVAL) throws(LinuxErrno) -> Task {
        guard pid >= 0 else { throw negative }
        if pid == 0 { return c.task }
        guard let t = c.kernel.tasks[pid] else { throw .ESRCH }
        return t
    }

    /// The size of a CPU mask the kernel reads and writes: one long (one CPU).
    static func cpuMaskSize(_ c: SyscallCall) -> UInt64 { UInt64(c.abi.wordSize) }

    /// sched_setaffinity(pid, len, mask) as Linux: the first min(len, mask size) bytes are read
    /// (EFAULT), then the task (ESRCH, EPERM for another owner's), then the mask must contain a
    /// CPU that exists — CPU 0 — or it is EINVAL.
    static func schedSetaffinity(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let length = min(c.word(1), cpuMaskSize(c))
        let mask = length == 0 ? [] : try c.mm.read(c.word(2), count: Int(length))
        if isKernelInit(c, c.int(0)) { throw .EPERM }
        let t = try scheduledTask(c, c.int(0), negative: .ESRCH)
        let me = c.task.process.credentials, them = t.process.credentials
        guard me.isRoot || me.euid == them.euid || me.euid == them.uid else { throw .EPERM }
        // CPU 0 is bit 0 of the first long: the first byte on little-endian ABIs, the word's
        // last byte on big-endian ones.
        let first = c.abi.bigEndian ? (length == cpuMaskSize(c) ? mask.last : nil) : mask.first
        guard let byte = first, byte & 1 != 0 else { throw .EINVAL }
        return .zero
    }

    /// sched_getaffinity(pid, len, mask): EINVAL for a length of 0 or not a multiple of a long,
    /// ESRCH; writes one CPU and returns the mask's size.
    static func schedGetaffinity(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let n = c.word(1)
        guard n != 0, n & UInt64(c.abi.wordSize - 1) == 0 else { throw .EINVAL }
        if !isKernelInit(c, c.int(0)) { _ = try scheduledTask(c, c.int(0), negative: .ESRCH) }
        var e = GuestEncoder(c.abi)
        e.word(1)  // one CPU: the guest kernel is uniprocessor
        try c.mm.write(c.word(2), e.bytes)
        return .int(c.abi.wordSize)
    }

    /// Linux's priority range per policy: 1–99 for SCHED_FIFO and SCHED_RR, 0 for the others,
    /// EINVAL for an unknown policy.
    static func priorityRange(_ policy: Int32) throws(LinuxErrno) -> ClosedRange<Int32> {
        switch policy {
        case schedFIFO, schedRR: return 1...99
        case schedOther, schedBatch, schedIdle, schedDeadline: return 0...0
        default: throw .EINVAL
        }
    }
    static func schedGetPriorityMax(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        .int(Int(try priorityRange(c.int(0)).upperBound))
    }
    static func schedGetPriorityMin(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        .int(Int(try priorityRange(c.int(0)).lowerBound))
    }

    /// Whether `pid` names the kernel-owned init, which has no task: the scheduling calls report
    /// for it what a Linux init has (SCHED_OTHER at priority 0, every CPU — the one) and refuse
    /// changes (EPERM): it is the kernel's, not the guest's.
    static func isKernelInit(_ c: SyscallCall, _ pid: Int32) -> Bool {
        pid == 1 && c.kernel.tasks[pid] == nil && c.kernel.initProcess != nil
    }

    /// The policy and priority of `pid`'s task.
    static func scheduling(_ c: SyscallCall, _ pid: Int32) throws(LinuxErrno) -> (policy: Int32, priority: Int32) {
        if isKernelInit(c, pid) { return (schedOther, 0) }
        let t = try scheduledTask(c, pid)
        return (t.schedulingPolicy, t.schedulingPriority)
    }

    static func schedGetscheduler(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        .int(Int(try scheduling(c, c.int(0)).policy))
    }

    /// sched_setscheduler/sched_setparam (`policy` nil keeps the task's) in Linux's order:
    /// EINVAL for no param or a negative pid, EFAULT, ESRCH, then EINVAL for an unknown policy
    /// or a priority outside its range (SCHED_DEADLINE needs sched_setattr: EINVAL), EPERM for
    /// a real-time policy beyond RLIMIT_RTPRIO or another owner's task without root.
    static func setScheduler(_ c: SyscallCall, policy requested: Int32?, param: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        guard param != 0, c.int(0) >= 0 else { throw .EINVAL }
        var d = GuestDecoder(try c.mm.read(param, count: 4), c.abi)
        let priority = d.i32()
        if isKernelInit(c, c.int(0)) { throw .EPERM }
        let t = try scheduledTask(c, c.int(0))
        let policy = requested.map { $0 & ~schedResetOnFork } ?? t.schedulingPolicy
        guard policy != schedDeadline, try priorityRange(policy).contains(priority) else { throw .EINVAL }
        let me = c.task.process.credentials, them = t.process.credentials
        if !me.isRoot {
            guard me.euid == them.euid || me.euid == them.uid else { throw .EPERM }
            if priority > 0, UInt64(priority) > c.task.process.limits.values[14].soft { throw .EPERM }
        }
        t.schedulingPolicy = policy
        t.schedulingPriority = priority
        return .zero
    }
    static func schedSetscheduler(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let policy = c.int(1)
        return try setScheduler(c, policy: policy < 0 ? nil : policy, param: c.word(2))
    }
    static func schedSetparam(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try setScheduler(c, policy: nil, param: c.word(1))
    }

    static func schedGetparam(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        guard c.word(1) != 0 else { throw .EINVAL }
        let priority = try scheduling(c, c.int(0)).priority
        var e = GuestEncoder(c.abi)
        e.i32(priority)
        try c.mm.write(c.word(1), e.bytes)
        return .zero
    }

    /// sched_rr_get_interval: SCHED_RR's 100 ms quantum, 0 for SCHED_FIFO, the kernel's slice
    /// for the others.
    static func schedRRGetInterval(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let t = try scheduledTask(c, c.int(0))
        let ns: Int64 = t.schedulingPolicy == schedRR ? 100_000_000
            : t.schedulingPolicy == schedFIFO ? 0 : c.kernel.config.sliceNanoseconds
        try c.mm.write(c.word(1), timespecBytes(c, ns / 1_000_000_000, ns % 1_000_000_000))
        return .zero
    }
}
