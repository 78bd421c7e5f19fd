import HostOS
import LinuxABI

// Processes and threads: clone/fork/vfork, execve, exit, wait, ids, groups and sessions, limits.

extension CoreSyscalls {
    /// clone(flags, stack, parent_tid, child_tid, tls): x86-64's order; other ISAs reorder.
    /// clone(flags, stack, parent_tid, child_tid, tls); (…, parent_tid, tls, child_tid) where
    /// `GuestABI.cloneTLSBeforeChildTID`.
    static func clone(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let (childTID, tls) = c.abi.cloneTLSBeforeChildTID ? (c.word(4), c.word(3)) : (c.word(3), c.word(4))
        return try doClone(c, CloneRequest(flags: CloneFlags(rawValue: c.word(0)), stack: c.word(1), parentTID: c.word(2), childTID: childTID, tls: tls))
    }
    static func fork(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try doClone(c, CloneRequest(flags: CloneFlags(rawValue: UInt64(Signal.SIGCHLD.rawValue)), stack: 0, parentTID: 0, childTID: 0, tls: 0))
    }
    static func vfork(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try doClone(c, CloneRequest(flags: CloneFlags(rawValue: UInt64(Signal.SIGCHLD.rawValue)).union([.vm, .vfork]), stack: 0, parentTID: 0, childTID: 0, tls: 0))
    }
    /// clone3 with Linux's checks (copy_clone_args_from_user, clone3_args_valid): the size
    /// between CLONE_ARGS_SIZE_VER0 and a page (E2BIG past it), a valid exit signal, and a stack
    /// given with its size, whose end does not pass the top of the address space.
    static func clone3(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let size = c.word(1)
        guard size <= c.mm.pageSize else { throw .E2BIG }
        guard size >= 64 else { throw .EINVAL }
        var d = GuestDecoder(try c.mm.read(c.word(0), count: 64), c.abi)
        let flags = d.u64(), _ = d.u64() /* pidfd */, childTID = d.u64(), parentTID = d.u64(), exitSignal = d.u64()
        let stack = d.u64(), stackSize = d.u64(), tls = d.u64()
        guard exitSignal <= UInt64(Signal.max) else { throw .EINVAL }
        if flags & CloneFlags.pidfd.rawValue != 0 || flags & CloneFlags.signalMask != 0 { throw .EINVAL }
        var top: UInt64 = 0
        if stack == 0 {
            guard stackSize == 0 else { throw .EINVAL }
        } else {
            guard stackSize != 0, let end = GuestMath.end(stack, stackSize) else { throw .EINVAL }
            top = end
        }
        return try doClone(c, CloneRequest(flags: CloneFlags(rawValue: flags | exitSignal), stack: top,
                                           parentTID: parentTID, childTID: childTID, tls: tls))
    }

    static func doClone(_ c: SyscallCall, _ req: CloneRequest) throws(LinuxErrno) -> SyscallOutcome {
        let task = c.task
        // A vfork parent sleeps until the child execs or exits; the call runs again then.
        if task.vforkDone {
            task.vforkDone = false
            let tid = task.vforkChild
            task.vforkChild = 0
            if task.traced != nil { c.kernel.ptraceVforkDone(task, child: tid) }
            return .int(Int(tid))
        }
        // The child exists already (the call is back after a tracer's vfork event stop, or
        // restarted after a signal): the parent goes on waiting for it.
        if req.flags.contains(.vfork), task.vforkChild != 0 { return .block(Wait()) }
        let tid = try c.kernel.clone(task, req)
        if req.flags.contains(.vfork) {
            task.vforkChild = tid
            if task.traced != nil, c.kernel.ptraceVforkEvent(task) { return .noReturn }
            return .block(Wait())  // woken by releaseVforkParent
        }
        return .int(Int(tid))
    }

    static func execve(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try exec(c, dirfd: At.fdCWD, path: try c.path(0), argvAddr: c.word(1), envpAddr: c.word(2), flags: 0)
    }
    static func execveat(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try exec(c, dirfd: c.int(0), path: try c.path(1), argvAddr: c.word(2), envpAddr: c.word(3), flags: c.uint(4))
    }
    static func stringArray(_ c: SyscallCall, _ addr: UInt64) throws(LinuxErrno) -> [[UInt8]] {
        if addr == 0 { return [] }
        var out: [[UInt8]] = []
        var total = 0
        let w = UInt64(c.abi.wordSize)
        while true {
            guard let at = GuestMath.end(addr, UInt64(out.count) * w) else { throw .EFAULT }
            var d = GuestDecoder(try c.mm.read(at, count: Int(w)), c.abi)
            let p = d.word()
            if p == 0 { break }
            let s = try c.mm.readCString(p, limit: 131072)
            total += s.count + 1
            if total > 2 << 20 || out.count > 65536 { throw .E2BIG }
            out.append(s)
        }
        return out
    }
    static func exec(_ c: SyscallCall, dirfd: Int32, path: [UInt8], argvAddr: UInt64, envpAddr: UInt64, flags: UInt32) throws(LinuxErrno) -> SyscallOutcome {
        let argv = try stringArray(c, argvAddr)
        let envp = try stringArray(c, envpAddr)
        var fullPath = path
        if dirfd != At.fdCWD && path.first != UInt8(ascii: "/") {
            let f = try c.task.files.get(dirfd)
            fullPath = path.isEmpty ? FileName.bytes(f.path) : FileName.bytes(f.path + "/") + path
        }
        try c.kernel.execute(c.task, path: fullPath, argv: argv, envp: envp)
        c.kernel.ptraceExeced(c.task)
        return .noReturn
    }

    static func exit(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        if c.task.traced != nil, c.kernel.ptraceExitEvent(c.task, status: c.int(0), group: c.task.process.threads.count == 1, bySignal: false) { return .noReturn }
        c.kernel.exitTask(c.task, status: c.int(0), groupExit: c.task.process.threads.count == 1, bySignal: false)
        return .noReturn
    }
    static func exitGroup(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        if c.task.traced != nil, c.kernel.ptraceExitEvent(c.task, status: c.int(0), group: true, bySignal: false) { return .noReturn }
        c.kernel.exitGroup(c.task, status: c.int(0), bySignal: false)
        return .noReturn
    }

    static func wait4(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let pid = c.int(0), statusAddr = c.word(1), options = c.uint(2), rusage = c.word(3)
        if options & ~(WaitOptions.noHang | WaitOptions.untraced | WaitOptions.continued | WaitOptions.noThread | WaitOptions.all | WaitOptions.clone) != 0 { throw .EINVAL }
        // -INT_MIN does not exist: Linux's kernel_wait4 answers ESRCH.
        if pid == Int32.min { throw .ESRCH }
        let target: Kernel.WaitTarget = pid == -1 ? .any : pid > 0 ? .pid(pid) : pid == 0 ? .group(c.task.process.pgid) : .group(-pid)
        let k = c.kernel, task = c.task
        if let r = k.ptraceWait(task, target, exited: true, consume: true) {
            if statusAddr != 0 { var e = GuestEncoder(c.abi); e.i32(r.status); try c.mm.write(statusAddr, e.bytes) }
            if rusage != 0 { try c.mm.write(rusage, rusageBytes(c, (0, 0))) }
            return .int(Int(r.tid))
        }
        guard let (child, status, code) = try k.findWaitable(task, target, options: options) else {
            if options & WaitOptions.noHang != 0 { return .zero }
            return .block(.on(task.process.childEvents, .input))
        }
        // Linux reaps first: a bad status pointer still consumes the child. Its CPU time, with
        // its own reaped children's, is the rusage (taken before the reap adds it to ours).
        let childTime = k.cpuTime(child)
        let usage = (user: childTime.user &+ child.childrenTime.user, system: childTime.system &+ child.childrenTime.system)
        consume(k, child, code)
        if statusAddr != 0 {
            var e = GuestEncoder(c.abi)
            e.i32(status)
            try c.mm.write(statusAddr, e.bytes)
        }
        if rusage != 0 { try c.mm.write(rusage, rusageBytes(c, usage)) }
        return .int(Int(child.pid))
    }

    /// What reporting a child's state change consumes: a zombie is reaped.
    static func consume(_ k: Kernel, _ child: Process, _ code: Int32) {
        switch code {
        case SignalCode.CLD_STOPPED: child.stopReported = true
        case SignalCode.CLD_CONTINUED: child.continueReported = true
        default: k.release(child)
        }
    }

    static func waitid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let idtype = c.int(0), id = c.int(1), infoAddr = c.word(2), options = c.uint(3)
        let target: Kernel.WaitTarget
        switch idtype {
        case 0: target = .any  // P_ALL
        case 1:  // P_PID
            guard id > 0 else { throw .EINVAL }
            target = .pid(id)
        case 2:  // P_PGID
            guard id >= 0 else { throw .EINVAL }
            target = .group(id == 0 ? c.task.process.pgid : id)
        default: throw .EINVAL
        }
        if options & (WaitOptions.exited | WaitOptions.untraced | WaitOptions.continued) == 0 { throw .EINVAL }
        let k = c.kernel, task = c.task
        if let r = k.ptraceWait(task, target, exited: options & WaitOptions.exited != 0, consume: options & WaitOptions.noWait == 0) {
            if infoAddr != 0 {
                var info = SignalInfo(signal: .SIGCHLD, code: r.code)
                info.senderPID = r.tid
                info.status = r.code == SignalCode.CLD_EXITED || r.code == 4 ? (r.status >> 8) & 0xff : r.status & 0x7f
                try c.mm.write(infoAddr, info.encode(wordSize: c.abi.wordSize, bigEndian: c.abi.bigEndian))
            }
            return .zero
        }
        guard let (child, status, code) = try k.findWaitable(task, target, options: options | WaitOptions.all) else {
            if options & WaitOptions.noHang != 0 {
                if infoAddr != 0 { try c.mm.write(infoAddr, [UInt8](repeating: 0, count: 128)) }
                return .zero
            }
            return .block(.on(task.process.childEvents, .input))
        }
        if infoAddr != 0 {
            var info = SignalInfo(signal: .SIGCHLD, code: code)
            info.senderPID = child.pid
            info.status = code == SignalCode.CLD_EXITED ? (status >> 8) & 0xff : code == SignalCode.CLD_STOPPED ? (status >> 8) & 0xff : code == SignalCode.CLD_CONTINUED ? Signal.SIGCONT.rawValue : status & 0x7f
            try c.mm.write(infoAddr, info.encode(wordSize: c.abi.wordSize, bigEndian: c.abi.bigEndian))
        }
        if options & WaitOptions.noWait == 0 { consume(k, child, code) }
        return .zero
    }

    // MARK: identities

    static func getpid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { .int(Int(c.task.process.pid)) }
    static func gettid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { .int(Int(c.task.tid)) }
    static func getppid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        .int(Int(c.task.process.parent?.pid ?? 0))
    }
    static func setTIDAddress(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        c.task.clearChildTID = c.word(0)
        return .int(Int(c.task.tid))
    }

    static func getuid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { .value(UInt64(c.task.process.credentials.uid)) }
    static func geteuid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { .value(UInt64(c.task.process.credentials.euid)) }
    static func getgid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { .value(UInt64(c.task.process.credentials.gid)) }
    static func getegid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { .value(UInt64(c.task.process.credentials.egid)) }

    static func setuid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var cr = c.task.process.credentials
        let u = c.uint(0)
        if cr.isRoot { cr.uid = u; cr.euid = u; cr.suid = u; cr.fsuid = u }
        else if u == cr.uid || u == cr.suid { cr.euid = u; cr.fsuid = u }
        else { throw .EPERM }
        c.task.process.credentials = cr
        return .zero
    }
    static func setgid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var cr = c.task.process.credentials
        let g = c.uint(0)
        if cr.isRoot { cr.gid = g; cr.egid = g; cr.sgid = g; cr.fsgid = g }
        else if g == cr.gid || g == cr.sgid { cr.egid = g; cr.fsgid = g }
        else { throw .EPERM }
        c.task.process.credentials = cr
        return .zero
    }
    /// setresuid/setresgid: real, effective (and filesystem), saved; -1 leaves one unchanged.
    /// An unprivileged process may only pick among its current three.
    static func setResIDs(_ c: SyscallCall, _ ids: [UInt32], _ fields: [WritableKeyPath<Credentials, UInt32>],
                          fs: WritableKeyPath<Credentials, UInt32>) throws(LinuxErrno) -> SyscallOutcome {
        var cr = c.task.process.credentials
        let allowed = fields.map { cr[keyPath: $0] }
        for id in ids where id != UInt32.max && !cr.isRoot && !allowed.contains(id) { throw .EPERM }
        for (id, field) in zip(ids, fields) where id != UInt32.max { cr[keyPath: field] = id }
        if ids[1] != UInt32.max { cr[keyPath: fs] = ids[1] }
        c.task.process.credentials = cr
        return .zero
    }
    static func setresuid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try setResIDs(c, [c.uint(0), c.uint(1), c.uint(2)], [\.uid, \.euid, \.suid], fs: \.fsuid)
    }
    static func setresgid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try setResIDs(c, [c.uint(0), c.uint(1), c.uint(2)], [\.gid, \.egid, \.sgid], fs: \.fsgid)
    }
    static func setreuid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try setResIDs(c, [c.uint(0), c.uint(1), UInt32.max], [\.uid, \.euid, \.suid], fs: \.fsuid)
    }
    static func setregid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try setResIDs(c, [c.uint(0), c.uint(1), UInt32.max], [\.gid, \.egid, \.sgid], fs: \.fsgid)
    }
    static func getresuid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let cr = c.task.process.credentials
        for (i, v) in [cr.uid, cr.euid, cr.suid].enumerated() { var e = GuestEncoder(c.abi); e.u32(v); try c.mm.write(c.word(i), e.bytes) }
        return .zero
    }
    static func getresgid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let cr = c.task.process.credentials
        for (i, v) in [cr.gid, cr.egid, cr.sgid].enumerated() { var e = GuestEncoder(c.abi); e.u32(v); try c.mm.write(c.word(i), e.bytes) }
        return .zero
    }
    static func setfsuid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let old = c.task.process.credentials.fsuid
        if c.task.process.credentials.isRoot { c.task.process.credentials.fsuid = c.uint(0) }
        return .value(UInt64(old))
    }
    static func setfsgid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let old = c.task.process.credentials.fsgid
        if c.task.process.credentials.isRoot { c.task.process.credentials.fsgid = c.uint(0) }
        return .value(UInt64(old))
    }
    static func getgroups(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let groups = c.task.process.credentials.groups
        let n = c.int(0)
        if n == 0 { return .int(groups.count) }
        guard n >= groups.count else { throw .EINVAL }
        var e = GuestEncoder(c.abi)
        for g in groups { e.u32(g) }
        try c.mm.write(c.word(1), e.bytes)
        return .int(groups.count)
    }
    static func setgroups(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        guard c.task.process.credentials.isRoot else { throw .EPERM }
        let n = Int(c.int(0))
        guard n >= 0, n <= 65536 else { throw .EINVAL }
        var d = GuestDecoder(try c.mm.read(c.word(1), count: n * 4), c.abi)
        c.task.process.credentials.groups = (0..<n).map { _ in d.u32() }
        return .zero
    }

    // MARK: groups and sessions

    static func setpgid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let k = c.kernel
        let pid = c.int(0) == 0 ? c.task.process.pid : c.int(0)
        let pgid = c.int(1) == 0 ? pid : c.int(1)
        guard pgid >= 0 else { throw .EINVAL }
        guard let p = k.processes[pid], !p.zombie else { throw .ESRCH }
        guard p === c.task.process || p.parent === c.task.process else { throw .ESRCH }
        if p.sid == p.pid { throw .EPERM }
        if p.sid != c.task.process.sid { throw .EPERM }
        if pgid != pid && !k.processes.values.contains(where: { $0.pgid == pgid && $0.sid == p.sid }) { throw .EPERM }
        p.pgid = pgid
        return .zero
    }
    static func getpgid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let pid = c.int(0)
        if pid == 0 { return .int(Int(c.task.process.pgid)) }
        guard let p = c.kernel.processes[pid] else { throw .ESRCH }
        return .int(Int(p.pgid))
    }
    static func getpgrp(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { .int(Int(c.task.process.pgid)) }
    static func getsid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let pid = c.int(0)
        if pid == 0 { return .int(Int(c.task.process.sid)) }
        guard let p = c.kernel.processes[pid] else { throw .ESRCH }
        return .int(Int(p.sid))
    }
    static func setsid(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let p = c.task.process
        if c.kernel.processes.values.contains(where: { $0.pgid == p.pid && !$0.zombie }) && p.pgid == p.pid { throw .EPERM }
        p.sid = p.pid
        p.pgid = p.pid
        p.controllingTerminal = .none
        return .int(Int(p.pid))
    }

    // MARK: limits

    static func prlimit64(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let pid = c.int(0), resource = Int(c.uint(1)), newAddr = c.word(2), oldAddr = c.word(3)
        guard resource >= 0, resource < 16 else { throw .EINVAL }
        let p = pid == 0 ? c.task.process : c.kernel.processes[pid]
        guard let p else { throw .ESRCH }
        let old = p.limits.values[resource]
        if newAddr != 0 {
            var d = GuestDecoder(try c.mm.read(newAddr, count: 16), c.abi)
            let soft = d.u64(), hard = d.u64()
            guard soft <= hard else { throw .EINVAL }
            if hard > old.hard && !p.credentials.isRoot { throw .EPERM }
            try checkNofileCeiling(c, resource, hard)
            p.limits.values[resource] = (soft, hard)
            if resource == ResourceLimits.cpuTime { c.kernel.armCPULimit(p) }
        }
        if oldAddr != 0 {
            var e = GuestEncoder(c.abi)
            e.u64(old.soft); e.u64(old.hard)
            try c.mm.write(oldAddr, e.bytes)
        }
        return .zero
    }
    static func getrlimit(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let resource = Int(c.uint(0))
        guard resource >= 0, resource < 16 else { throw .EINVAL }
        let v = c.task.process.limits.values[resource]
        var e = GuestEncoder(c.abi)
        let cap: UInt64 = c.abi.wordMask
        e.word(v.soft == .max ? cap : min(v.soft, cap)); e.word(v.hard == .max ? cap : min(v.hard, cap))
        try c.mm.write(c.word(1), e.bytes)
        return .zero
    }
    static func setrlimit(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let resource = Int(c.uint(0))
        guard resource >= 0, resource < 16 else { throw .EINVAL }
        var d = GuestDecoder(try c.mm.read(c.word(1), count: 2 * c.abi.wordSize), c.abi)
        var soft = d.word(), hard = d.word()
        if soft == c.abi.wordMask { soft = .max }
        if hard == c.abi.wordMask { hard = .max }
        guard soft <= hard else { throw .EINVAL }
        let old = c.task.process.limits.values[resource]
        if hard > old.hard && !c.task.process.credentials.isRoot { throw .EPERM }
        try checkNofileCeiling(c, resource, hard)
        c.task.process.limits.values[resource] = (soft, hard)
        if resource == ResourceLimits.cpuTime { c.kernel.armCPULimit(c.task.process) }
        return .zero
    }

    /// RLIMIT_NOFILE cannot pass the machine's ceiling (`--nofile`), even for root: EPERM, as
    /// Linux gives past fs.nr_open.
    private static func checkNofileCeiling(_ c: SyscallCall, _ resource: Int, _ hard: UInt64) throws(LinuxErrno) {
        if resource == 7 && hard > c.kernel.config.limits.nofile { throw .EPERM }
    }
}
