import HostOS
import LinuxABI

// Event descriptors: eventfd, eventfd2; epoll_create, epoll_create1, epoll_ctl, epoll_wait,
// epoll_pwait, epoll_pwait2. The objects are in VFS/EventFiles.swift.

extension CoreSyscalls {
    static let eventfdSemaphore: UInt32 = 1

    static func eventfd(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try makeEventFD(c, initial: c.uint(0), flags: 0)
    }
    static func eventfd2(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try makeEventFD(c, initial: c.uint(0), flags: c.uint(1))
    }
    /// EFD_CLOEXEC and EFD_NONBLOCK are the ISA's O_CLOEXEC and O_NONBLOCK; EFD_SEMAPHORE is 1.
    static func makeEventFD(_ c: SyscallCall, initial: UInt32, flags raw: UInt32) throws(LinuxErrno) -> SyscallOutcome {
        let flags = c.abi.openFlagsFromGuest(raw & ~eventfdSemaphore)
        guard flags.subtracting([.closeOnExec, .nonBlocking]).isEmpty else { throw .EINVAL }
        let f = EventFD(initial: UInt64(initial), semaphore: raw & eventfdSemaphore != 0,
                        nonBlocking: flags.contains(.nonBlocking), bigEndian: c.abi.bigEndian)
        return .int(Int(try c.task.files.install(f, closeOnExec: flags.contains(.closeOnExec), limit: c.task.process.limits.openFiles)))
    }

    static func epollCreate(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        guard c.int(0) > 0 else { throw .EINVAL }  // the size hint is ignored but must be positive
        return try makeEpoll(c, closeOnExec: false)
    }
    static func epollCreate1(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let flags = c.abi.openFlagsFromGuest(c.uint(0))
        guard flags.subtracting(.closeOnExec).isEmpty else { throw .EINVAL }
        return try makeEpoll(c, closeOnExec: flags.contains(.closeOnExec))
    }
    static func makeEpoll(_ c: SyscallCall, closeOnExec: Bool) throws(LinuxErrno) -> SyscallOutcome {
        .int(Int(try c.task.files.install(EpollFile(), closeOnExec: closeOnExec, limit: c.task.process.limits.openFiles)))
    }

    /// `struct epoll_event`'s size on this ISA (GuestABI.epollEventPacked).
    static func epollEventSize(_ c: SyscallCall) -> Int { c.abi.epollEventPacked ? 12 : 16 }

    static let epollCtlAdd: Int32 = 1, epollCtlDel: Int32 = 2, epollCtlMod: Int32 = 3
    /// Linux's limit on epoll nesting (EP_MAX_NESTS).
    static let epollMaxNests = 4

    /// epoll_ctl, with Linux's checks in Linux's order (do_epoll_ctl).
    static func epollCtl(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let op = c.int(1), fd = c.int(2)
        var events: UInt32 = 0, data: UInt64 = 0
        if op != epollCtlDel {
            var d = GuestDecoder(try c.mm.read(c.word(3), count: epollEventSize(c)), c.abi)
            events = d.u32()
            if !c.abi.epollEventPacked { _ = d.u32() }
            data = d.u64()
        }
        let ep = try c.task.files.get(c.int(0))
        let target = try c.task.files.get(fd)
        if ep is PathFile || target is PathFile { throw .EBADF }
        guard target.isPollable else { throw .EPERM }
        guard let ep = ep as? EpollFile, ep !== target else { throw .EINVAL }
        if op != epollCtlDel, events & EpollBits.exclusive != 0 {
            if op == epollCtlMod { throw .EINVAL }
            if op == epollCtlAdd, target is EpollFile || events & ~EpollBits.exclusiveOK != 0 { throw .EINVAL }
        }
        if op == epollCtlAdd, let inner = target as? EpollFile {
            // A cycle, or a chain deeper than Linux allows, would make readiness recursive.
            if inner.reaches(ep) || ep.depthAbove + 1 + inner.depthBelow > epollMaxNests { throw .ELOOP }
        }
        let item = ep.item(target, fd)
        let always: UInt32 = 0x8 | 0x10  // EPOLLERR | EPOLLHUP are reported whether asked for or not
        switch op {
        case epollCtlAdd:
            guard item == nil else { throw .EEXIST }
            ep.add(target, fd: fd, events: events | always, data: data)
        case epollCtlDel:
            guard let item else { throw .ENOENT }
            ep.remove(item)
        case epollCtlMod:
            guard let item else { throw .ENOENT }
            guard item.events & EpollBits.exclusive == 0 else { throw .EINVAL }
            ep.modify(item, events: events | always, data: data)
        default:
            throw .EINVAL
        }
        return .zero
    }

    static func epollWait(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let ms = c.int(3)
        return try doEpollWait(c, try epollForWait(c), timeoutNS: ms < 0 ? nil : UInt64(ms) * 1_000_000)
    }
    static func epollPwait(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let ms = c.int(3)
        let ep = try epollForWait(c)
        return try withEpollMask(c) { () throws(LinuxErrno) in
            try doEpollWait(c, ep, timeoutNS: ms < 0 ? nil : UInt64(ms) * 1_000_000)
        }
    }
    /// epoll_pwait2's timeout is a `struct __kernel_timespec` (64-bit fields) on every ISA.
    static func epollPwait2(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var timeout: UInt64?
        if c.word(3) != 0 {
            c.time64 = true
            let (s, ns) = try readTimespec(c, c.word(3))
            timeout = try GuestMath.nanoseconds(seconds: s, nanoseconds: ns)
        }
        let ep = try epollForWait(c)
        return try withEpollMask(c) { () throws(LinuxErrno) in try doEpollWait(c, ep, timeoutNS: timeout) }
    }

    /// The temporary signal mask of epoll_pwait/epoll_pwait2, as ppoll's: restored at completion
    /// or after the handler of the signal that interrupted the wait.
    static func withEpollMask(_ c: SyscallCall, _ body: () throws(LinuxErrno) -> SyscallOutcome) throws(LinuxErrno) -> SyscallOutcome {
        if c.word(4) != 0 {
            guard c.word(5) == 8 else { throw .EINVAL }  // sizeof(sigset_t)
            try swapMask(c, c.word(4))
        }
        do { return try body() } catch { restoreMask(c); throw error }
    }

    /// The instance epoll_wait's first argument names, after Linux's checks of maxevents.
    static func epollForWait(_ c: SyscallCall) throws(LinuxErrno) -> EpollFile {
        let max = c.int(2)
        guard max > 0, Int(max) <= Int(Int32.max) / epollEventSize(c) else { throw .EINVAL }
        guard let ep = try c.task.files.get(c.int(0)) as? EpollFile else { throw .EINVAL }
        return ep
    }

    static func doEpollWait(_ c: SyscallCall, _ ep: EpollFile, timeoutNS: UInt64?) throws(LinuxErrno) -> SyscallOutcome {
        let until = timeoutNS.map { CoreSyscalls.deadline(c, after: $0) }
        let events = ep.collect(max: Int(c.int(2)))
        if !events.isEmpty || (until.map { Host.monotonicNanoseconds() >= $0 } ?? false) {
            var e = GuestEncoder(c.abi)
            for ev in events {
                e.u32(ev.events)
                if !c.abi.epollEventPacked { e.u32(0) }
                e.u64(ev.data)
            }
            if !events.isEmpty { try c.mm.write(c.word(1), e.bytes) }
            restoreMask(c)
            return .int(events.count)
        }
        let queues: [(queue: WaitQueue, events: PollEvents)] = [(ep.queue, PollEvents.input)] + ep.hostQueues
        return .block(Wait(queues, deadline: until, restartable: false))
    }
}
