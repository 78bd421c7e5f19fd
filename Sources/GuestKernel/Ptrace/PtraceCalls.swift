import HostOS
import LinuxABI

// ptrace(2) and process_vm_readv/writev: the requests, Linux's permission rules and errnos.

extension CoreSyscalls {
    /// ptrace(request, pid, addr, data).
    static func ptrace(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let k = c.kernel, me = c.task
        let request = Int(c.long(0)), pid = c.int(1), addr = c.word(2), data = c.word(3)
        switch request {
        case PtraceRequest.traceMe:
            // The parent becomes the tracer. Linux refuses a second tracer (EPERM); umlab's
            // init is the kernel's and has no thread to trace with (EPERM, as a security
            // module's refusal).
            guard me.traced == nil, let parent = me.process.parent, parent !== k.initProcess,
                  let tracer = parent.mainThread else { throw .EPERM }
            k.ptraceLink(me, to: tracer, seized: false, options: 0)
            return .zero
        case PtraceRequest.attach, PtraceRequest.seize:
            let seize = request == PtraceRequest.seize
            if seize {
                guard addr == 0 else { throw .EIO }
                guard UInt32(truncatingIfNeeded: data) & ~PtraceOption.all == 0, data >> 32 == 0 else { throw .EIO }
            }
            let target = try k.ptraceAttachable(pid, by: me)
            k.ptraceLink(target, to: me, seized: seize, options: seize ? UInt32(data) : 0)
            if !seize {
                var info = SignalInfo(signal: .SIGSTOP, code: SignalCode.SI_USER)
                info.senderPID = me.process.pid
                k.send(info, to: target)
            }
            if target.state == .stopped, let link = target.traced {
                // Already in a group stop: it traps into a ptrace stop the tracer sees.
                target.state = .runnable
                k.ptraceEnterStop(target, link, seize ? .event(PtraceOption.eventStop, target.process.stopSignal) : .group(target.process.stopSignal))
            }
            return .zero
        default:
            break
        }
        // Every other request names a tracee of the caller, stopped in a ptrace stop (ESRCH
        // otherwise), except KILL and INTERRUPT, which need it only traced.
        guard let target = k.tasks[pid], let link = target.traced, link.tracer.process === me.process else { throw .ESRCH }
        let stopped = target.state == .traced && link.stop != nil
        if !stopped && request != PtraceRequest.kill && request != PtraceRequest.interrupt { throw .ESRCH }
        let ctx = target.context, abi = c.abi, w = abi.wordSize
        let layout = abi.ptraceRegisters

        func putWord(_ v: UInt64, at address: UInt64) throws(LinuxErrno) {
            var e = GuestEncoder(abi)
            e.word(v)
            try c.mm.write(address, e.bytes)
        }
        func resume(_ mode: PtraceResume, emulating: Bool = false) throws(LinuxErrno) -> SyscallOutcome {
            guard data <= UInt64(Signal.max) else { throw .EIO }
            link.emulatesCalls = emulating
            k.ptraceResume(target, link, mode, signal: Int32(data))
            return .zero
        }
        if let sysemu = layout?.sysemuRequests, request == sysemu.emulate || request == sysemu.emulateStep {
            return try resume(request == sysemu.emulate ? .syscall : .step, emulating: true)
        }

        switch request {
        case PtraceRequest.peekText, PtraceRequest.peekData:
            guard let bytes = try? target.mm.read(addr, count: w) else { throw .EIO }
            var d = GuestDecoder(bytes, abi)
            try putWord(d.word(), at: data)
            return .zero
        case PtraceRequest.pokeText, PtraceRequest.pokeData:
            var e = GuestEncoder(abi)
            e.word(data)
            guard (try? target.mm.debuggerWrite(addr, e.bytes)) != nil else { throw .EIO }
            return .zero
        case PtraceRequest.peekUser:
            guard let layout else { throw .EIO }
            try putWord(try k.ptracePeekUser(target, link, layout, offset: addr), at: data)
            return .zero
        case PtraceRequest.pokeUser:
            guard let layout else { throw .EIO }
            try k.ptracePokeUser(target, link, layout, offset: addr, value: data)
            return .zero
        case PtraceRequest.getRegs:
            guard let layout else { throw .EIO }
            try c.mm.write(data, try k.ptraceGeneralRegisters(ctx, layout))
            return .zero
        case PtraceRequest.setRegs:
            guard let layout else { throw .EIO }
            try k.ptraceSetGeneralRegisters(ctx, layout, try c.mm.read(data, count: layout.general.count * w))
            return .zero
        case PtraceRequest.getFPRegs:
            guard let layout, layout.floatingSize > 0 else { throw .EIO }
            try c.mm.write(data, try layout.readFloating(ctx))
            return .zero
        case PtraceRequest.setFPRegs:
            guard let layout, layout.floatingSize > 0 else { throw .EIO }
            try layout.writeFloating(ctx, try c.mm.read(data, count: layout.floatingSize))
            return .zero
        case PtraceRequest.getRegSet, PtraceRequest.setRegSet:
            guard let layout else { throw .EIO }
            // data: a struct iovec; iov_len says how much room there is, and becomes how much
            // was moved.
            var d = GuestDecoder(try c.mm.read(data, count: 2 * w), abi)
            let base = d.word(), length = d.word()
            let size: Int
            switch addr {
            case 1: size = layout.general.count * w                       // NT_PRSTATUS
            case 2 where layout.floatingSize > 0: size = layout.floatingSize  // NT_PRFPREG
            default: throw .EINVAL
            }
            let n = Int(min(length, UInt64(size)))
            if request == PtraceRequest.getRegSet {
                let bytes = addr == 1 ? try k.ptraceGeneralRegisters(ctx, layout) : try layout.readFloating(ctx)
                try c.mm.write(base, Array(bytes.prefix(n)))
            } else {
                var bytes = addr == 1 ? try k.ptraceGeneralRegisters(ctx, layout) : try layout.readFloating(ctx)
                let new = try c.mm.read(base, count: n)
                bytes.replaceSubrange(0..<n, with: new)
                if addr == 1 { try k.ptraceSetGeneralRegisters(ctx, layout, bytes) } else { try layout.writeFloating(ctx, bytes) }
            }
            try putWord(UInt64(n), at: data + UInt64(w))
            return .zero
        case PtraceRequest.cont: return try resume(.cont)
        case PtraceRequest.syscall: return try resume(.syscall)
        case PtraceRequest.singleStep: return try resume(.step)
        case PtraceRequest.kill:
            k.send(SignalInfo(signal: .SIGKILL, code: SignalCode.SI_KERNEL), to: target.process)
            return .zero
        case PtraceRequest.detach:
            guard data <= UInt64(Signal.max) else { throw .EIO }
            k.ptraceDetach(target, signal: Int32(data))
            return .zero
        case PtraceRequest.setOptions:
            guard data & ~UInt64(PtraceOption.all) == 0 else { throw .EINVAL }
            link.options = UInt32(data)
            return .zero
        case PtraceRequest.getEventMsg:
            try putWord(link.eventMessage, at: data)
            return .zero
        case PtraceRequest.getSigInfo:
            // A group stop of a tracee attached without PTRACE_SEIZE has no siginfo: EINVAL is
            // how a tracer tells it from a signal-delivery stop.
            if case .group = link.stop { throw .EINVAL }
            try c.mm.write(data, link.siginfo.encode(wordSize: w, bigEndian: abi.bigEndian))
            return .zero
        case PtraceRequest.setSigInfo:
            if case .group = link.stop { throw .EINVAL }
            var d = GuestDecoder(try c.mm.read(data, count: 128), abi)
            let signo = d.i32(), _ = d.i32(), code = d.i32()
            d.skip((w - 4) % w)  // the union, aligned to the word size
            guard signo >= 0, signo <= Signal.max else { throw .EINVAL }
            var info = SignalInfo(signal: Signal(signo), code: code)
            info.senderPID = d.i32()
            info.senderUID = d.u32()
            link.siginfo = info
            return .zero
        case PtraceRequest.peekSigInfo:
            return .int(try k.ptracePeekSigInfo(target, args: addr, into: data, c.mm))
        case PtraceRequest.getSigMask:
            guard addr == 8 else { throw .EINVAL }
            var e = GuestEncoder(abi)
            e.u64(target.signalMask.rawValue)
            try c.mm.write(data, e.bytes)
            return .zero
        case PtraceRequest.setSigMask:
            guard addr == 8 else { throw .EINVAL }
            var d = GuestDecoder(try c.mm.read(data, count: 8), abi)
            target.signalMask = SignalSet(rawValue: d.u64() & SignalSet.blockable.rawValue)
            return .zero
        case PtraceRequest.interrupt:
            guard link.seized else { throw .EIO }
            if target.state == .blocked {
                // Out of its sleep: the call runs again once the tracer resumes it.
                k.unblock(target)
                target.callEnded()
                target.context.restartSyscall()
                target.state = .runnable
                k.runQueue.append(target)
            }
            if target.state == .traced, link.listening {
                k.ptraceEnterStop(target, link, .event(PtraceOption.eventStop, .SIGTRAP))
            } else if target.state != .traced {
                link.interruptPending = true
            }
            return .zero
        case PtraceRequest.listen:
            guard link.seized, case .event(PtraceOption.eventStop, _) = link.stop else { throw .EIO }
            if link.trapNotify {
                link.trapNotify = false
                k.ptraceEnterStop(target, link, .event(PtraceOption.eventStop, target.process.stopped ? target.process.stopSignal : .SIGTRAP))
            } else {
                link.listening = true
                link.stopReported = true
            }
            return .zero
        case PtraceRequest.getSyscallInfo:
            guard let layout else { throw .EIO }
            let info = k.ptraceSyscallInfo(target, link, layout)
            try c.mm.write(data, Array(info.prefix(Int(min(addr, UInt64(info.count))))))
            return .int(info.count)
        default:
            throw .EIO
        }
    }

    /// personality(persona): 0xffffffff reads the persona; anything else sets it. Returns the
    /// previous one. gdb sets ADDR_NO_RANDOMIZE and reads it back before it starts a program.
    static func personality(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let p = c.task.process, old = p.personality, new = c.uint(0)
        if new != UInt32.max { p.personality = new }
        return .value(UInt64(old))
    }

    /// process_vm_readv / process_vm_writev(pid, local_iov, liovcnt, remote_iov, riovcnt, flags):
    /// copies between the caller's memory and another guest process's, with ptrace's
    /// permission rule. A fault in the remote process ends the copy (the bytes moved so far are
    /// the result; EFAULT if none).
    static func processVMReadv(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try processVM(c, write: false) }
    static func processVMWritev(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome { try processVM(c, write: true) }

    private static func processVM(_ c: SyscallCall, write: Bool) throws(LinuxErrno) -> SyscallOutcome {
        let k = c.kernel
        guard c.word(5) == 0 else { throw .EINVAL }
        let local = try iovecs(c, c.word(1), c.word(2)), remote = try iovecs(c, c.word(3), c.word(4))
        guard let target = k.tasks[c.int(0)] else { throw .ESRCH }
        guard k.ptraceMayAccess(target.process, by: c.task) else { throw .EPERM }
        var moved: UInt64 = 0
        var li = 0, lo: UInt64 = 0
        outer: for r in remote {
            var ro: UInt64 = 0
            while ro < r.length {
                while li < local.count && lo == local[li].length { li += 1; lo = 0 }
                guard li < local.count else { break outer }
                let n = Int(min(min(r.length - ro, local[li].length - lo), 65536))
                guard let ra = GuestMath.end(r.base, ro), let la = GuestMath.end(local[li].base, lo) else { break outer }
                if write {
                    let bytes = try c.mm.read(la, count: n)
                    do { try target.mm.write(ra, bytes) } catch { break outer }
                } else {
                    guard let bytes = try? target.mm.read(ra, count: n) else { break outer }
                    try c.mm.write(la, bytes)
                }
                ro += UInt64(n); lo += UInt64(n); moved += UInt64(n)
            }
        }
        let total = remote.reduce(UInt64(0)) { $0 &+ $1.length }
        if moved == 0 && total > 0 { throw .EFAULT }
        return .value(moved)
    }

    /// An iovec array of at most IOV_MAX entries (EINVAL beyond, or for a total past SSIZE_MAX).
    private static func iovecs(_ c: SyscallCall, _ address: UInt64, _ count: UInt64) throws(LinuxErrno) -> [(base: UInt64, length: UInt64)] {
        guard count <= 1024 else { throw .EINVAL }
        if count == 0 { return [] }
        let w = c.abi.wordSize
        var d = GuestDecoder(try c.mm.read(address, count: Int(count) * 2 * w), c.abi)
        var out: [(base: UInt64, length: UInt64)] = []
        var total: UInt64 = 0
        for _ in 0..<count {
            let base = d.word(), length = d.word()
            guard let t = GuestMath.end(total, length), t <= c.abi.wordMask >> 1 else { throw .EINVAL }
            total = t
            out.append((base, length))
        }
        return out
    }
}

extension Kernel {
    /// Linux's PTRACE_MODE_ATTACH rule: root may trace anyone; others only processes whose
    /// real, effective and saved ids all are the caller's.
    func ptraceMayAccess(_ target: Process, by task: Task) -> Bool {
        let me = task.process.credentials, them = target.credentials
        if me.isRoot || target === task.process { return true }
        return [them.uid, them.euid, them.suid].allSatisfy { $0 == me.uid }
            && [them.gid, them.egid, them.sgid].allSatisfy { $0 == me.gid }
    }

    /// The thread PTRACE_ATTACH/SEIZE of `pid` would trace: ESRCH if there is none (or it is
    /// exiting), EPERM for init, a thread of the caller's own process, one already traced, or
    /// one the caller may not access.
    func ptraceAttachable(_ pid: Int32, by task: Task) throws(LinuxErrno) -> Task {
        if pid == initProcess?.pid { throw .EPERM }
        guard let target = tasks[pid], target.state != .dead else { throw .ESRCH }
        guard target.process !== task.process, target.traced == nil,
              ptraceMayAccess(target.process, by: task) else { throw .EPERM }
        return target
    }

    func ptraceLink(_ tracee: Task, to tracer: Task, seized: Bool, options: UInt32) {
        tracee.traced = PtraceLink(tracer: tracer, seized: seized, options: options)
        tracer.tracees.append(tracee)
    }

    /// user_regs_struct / pt_regs of `ctx`, as GETREGS and NT_PRSTATUS give it.
    func ptraceGeneralRegisters(_ ctx: any ExecutionContext, _ layout: PtraceRegisterLayout) throws(LinuxErrno) -> [UInt8] {
        var e = GuestEncoder(abi)
        for slot in layout.general {
            guard let n = slot else { e.word(0); continue }
            e.word(RegisterBytes.decode(try ctx.readRegister(n), bigEndian: abi.bigEndian))
        }
        return e.bytes
    }

    /// Sets the registers from a user_regs_struct; words umlab does not model and registers
    /// that cannot be written (segment selectors) are left as they are.
    func ptraceSetGeneralRegisters(_ ctx: any ExecutionContext, _ layout: PtraceRegisterLayout, _ bytes: [UInt8]) throws(LinuxErrno) {
        var d = GuestDecoder(bytes, abi)
        let table = ctx.registers
        for slot in layout.general {
            let v = d.word()
            guard let n = slot, table.indices.contains(n), table[n].writable else { continue }
            try ctx.writeRegister(n, RegisterBytes.encode(v, size: table[n].size, bigEndian: abi.bigEndian))
        }
    }

    /// PTRACE_PEEKUSER: a word of `struct user` at `offset` (EIO if misaligned or past it).
    func ptracePeekUser(_ task: Task, _ link: PtraceLink, _ layout: PtraceRegisterLayout, offset: UInt64) throws(LinuxErrno) -> UInt64 {
        let w = UInt64(abi.wordSize)
        guard offset % w == 0, offset < UInt64(layout.userSize) else { throw .EIO }
        let o = Int(offset)
        let generalSize = layout.general.count * abi.wordSize
        if o < generalSize {
            guard let n = layout.general[o / abi.wordSize] else { return 0 }
            return RegisterBytes.decode(try task.context.readRegister(n), bigEndian: abi.bigEndian)
        }
        if let f = layout.floatingUserOffset, o >= f, o < f + layout.floatingSize {
            let bytes = try layout.readFloating(task.context)
            var d = GuestDecoder(Array(bytes[(o - f)...]), abi)
            return d.word()
        }
        if let dr = layout.debugRegisterOffset, o >= dr, o < dr + 8 * abi.wordSize {
            return link.debugRegisters[(o - dr) / abi.wordSize]
        }
        return 0
    }

    /// PTRACE_POKEUSER: a general register, or a debug register (the ISA turns the set into
    /// hardware debug points; a set the backend cannot hold fails as Linux's does, EINVAL or
    /// ENOSPC). Other words of `struct user` cannot be written (EIO).
    func ptracePokeUser(_ task: Task, _ link: PtraceLink, _ layout: PtraceRegisterLayout, offset: UInt64, value: UInt64) throws(LinuxErrno) {
        let w = UInt64(abi.wordSize)
        guard offset % w == 0, offset < UInt64(layout.userSize) else { throw .EIO }
        let o = Int(offset)
        let generalSize = layout.general.count * abi.wordSize
        let table = task.context.registers
        if o < generalSize {
            guard let n = layout.general[o / abi.wordSize], table[n].writable else { return }
            try task.context.writeRegister(n, RegisterBytes.encode(value, size: table[n].size, bigEndian: abi.bigEndian))
            return
        }
        if let dr = layout.debugRegisterOffset, o >= dr, o < dr + 8 * abi.wordSize, let decode = layout.debugPoints {
            var regs = link.debugRegisters
            regs[(o - dr) / abi.wordSize] = value
            let points = try decode(regs)
            try task.context.setDebugPoints(points)
            link.debugRegisters = regs
            return
        }
        throw .EIO
    }

    /// PTRACE_PEEKSIGINFO: copies siginfo records of `task`'s queued signals (its own, or its
    /// process's with PTRACE_PEEKSIGINFO_SHARED) to `buffer`, from the `off`-th record, at most
    /// `nr` of them (struct ptrace_peeksiginfo_args { u64 off; u32 flags; s32 nr; } at
    /// `args`); returns how many. As Linux's ptrace_peek_siginfo: EINVAL for unknown flags or a
    /// negative nr, 0 past the queue's end, EFAULT if not even the first record could be written.
    func ptracePeekSigInfo(_ task: Task, args: UInt64, into buffer: UInt64, _ mm: MemoryMap) throws(LinuxErrno) -> Int {
        var d = GuestDecoder(try mm.read(args, count: 16), abi)
        let offset = d.u64(), flags = d.u32(), count = d.i32()
        guard flags & ~1 == 0, count >= 0 else { throw .EINVAL }
        let queue = flags & 1 != 0 ? task.process.pending.infos : task.pending.infos
        guard offset < UInt64(queue.count) else { return 0 }
        var copied = 0
        for info in queue[Int(offset)...].prefix(Int(count)) {
            let record = info.encode(wordSize: abi.wordSize, bigEndian: abi.bigEndian)
            guard let at = GuestMath.end(buffer, UInt64(copied) * UInt64(record.count)),
                  (try? mm.write(at, record)) != nil else {
                if copied == 0 { throw .EFAULT }
                break
            }
            copied += 1
        }
        return copied
    }

    /// struct ptrace_syscall_info for the tracee's stop: op (0 none, 1 entry, 2 exit), arch,
    /// instruction and stack pointer, then the call's number and arguments (entry) or its
    /// result (exit). As long as Linux's: 24, 80 or 33 bytes.
    func ptraceSyscallInfo(_ task: Task, _ link: PtraceLink, _ layout: PtraceRegisterLayout) -> [UInt8] {
        var e = GuestEncoder(abi)
        let ctx = task.context
        var op: UInt8 = 0
        switch link.stop {
        case .syscallEntry: op = 1
        case .syscallExit: op = 2
        default: break
        }
        e.u8(op); e.u8(0); e.u16(0)
        e.u32(layout.auditArch)
        e.u64(ctx.instructionPointer)
        e.u64(ctx.stackPointer)
        switch op {
        case 1:
            e.u64(UInt64(bitPattern: Int64(ctx.syscallNumber)))
            let a = ctx.syscallArguments
            for i in 0..<6 { e.u64(a[i] & abi.wordMask) }
        case 2:
            let r = layout.syscallReturn(ctx)
            e.i64(r.value)
            e.u8(r.isError ? 1 : 0)
        default: break
        }
        return e.bytes
    }
}
