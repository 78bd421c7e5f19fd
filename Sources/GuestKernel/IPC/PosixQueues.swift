import HostOS
import LinuxABI

/// A POSIX message queue (Linux's mqueue inode): messages by priority, first in first out
/// within one, bounded by the attributes fixed at creation. It lives while it has a name or a
/// descriptor.
final class PosixMessageQueue {
    struct Message {
        let priority: UInt32
        let text: [UInt8]
    }
    /// Highest priority first; arrival order within a priority.
    private(set) var messages: [Message] = []
    let maxMessages: Int
    let messageSize: Int
    var mode: UInt32
    let uid: UInt32, gid: UInt32
    /// Readers wait for .input, writers for .output; descriptors poll through it.
    let queue = WaitQueue()
    /// The mq_notify registration: the process, and what to send it.
    var notification: (pid: Int32, notify: Int32, signal: Signal?, value: UInt64)?
    /// What the creator's RLIMIT_MSGQUEUE is charged (Linux's mq_bytes).
    let chargedBytes: UInt64
    private(set) var bytes = 0

    init(maxMessages: Int, messageSize: Int, mode: UInt32, uid: UInt32, gid: UInt32, chargedBytes: UInt64) {
        self.maxMessages = maxMessages; self.messageSize = messageSize; self.mode = mode
        self.uid = uid; self.gid = gid; self.chargedBytes = chargedBytes
    }

    var isFull: Bool { messages.count >= maxMessages }

    func append(_ m: Message) {
        let i = messages.firstIndex { $0.priority < m.priority } ?? messages.count
        messages.insert(m, at: i)
        bytes += m.text.count
    }

    func takeFirst() -> Message {
        let m = messages.removeFirst()
        bytes -= m.text.count
        return m
    }

    /// Linux's `cat /dev/mqueue/NAME` line, which read(2) of a descriptor also gives.
    var statusLine: String {
        let n = notification
        func field(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s + String(repeating: " ", count: max(0, width - s.count))
        }
        return "QSIZE:\(field(bytes, 10)) NOTIFY:\(field(Int(n?.notify ?? 0), 5)) SIGNO:\(field(Int(n?.signal?.rawValue ?? 0), 5)) NOTIFY_PID:\(field(Int(n?.pid ?? 0), 6))\n"
    }
}

/// A descriptor of a POSIX message queue: readable while it has messages, writable while it
/// has room, so poll, select and epoll work on it; read(2) gives the status line.
final class MessageQueueFile: OpenFile {
    let mq: PosixMessageQueue
    init(_ mq: PosixMessageQueue, flags: OpenFlags, name: String) {
        self.mq = mq
        super.init(inode: nil, flags: flags, path: "/" + name)
    }
    override func poll() -> PollEvents {
        var ev: PollEvents = []
        if !mq.messages.isEmpty { ev.insert([.input, .readNormal]) }
        if !mq.isFull { ev.insert([.output, .writeNormal]) }
        return ev
    }
    override var waitQueue: WaitQueue? { mq.queue }
    override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        let line = Array(mq.statusLine.utf8)
        guard offset < Int64(line.count) else { return 0 }
        let n = min(buffer.count, line.count - Int(offset))
        line.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + Int(offset), byteCount: n) }
        offset += Int64(n)
        return n
    }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.mode = 0o100000 | mq.mode
        s.uid = mq.uid; s.gid = mq.gid
        s.size = Int64(mq.statusLine.utf8.count)
        s.device = 0x13
        return s
    }
}

extension CoreSyscalls {
    /// The `struct mq_attr`: flags, maxmsg, msgsize, curmsgs (longs), and four reserved longs.
    static func mqAttributes(_ c: SyscallCall, flags: UInt64, _ mq: PosixMessageQueue) -> [UInt8] {
        var e = GuestEncoder(c.abi)
        e.word(flags); e.word(UInt64(mq.maxMessages)); e.word(UInt64(mq.messageSize)); e.word(UInt64(mq.messages.count))
        for _ in 0..<4 { e.word(0) }
        return e.bytes
    }

    /// mq_open(name, oflag, mode, attr), after Linux's do_mq_open and prepare_open. glibc
    /// passes the name without its leading slash; a name with a slash, "." or ".." is EACCES
    /// (EINVAL for "/" itself is glibc's), an empty one ENOENT.
    static func mqOpen(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let name = try c.mm.readCString(c.word(0), limit: 4096)
        let flags = c.abi.openFlagsFromGuest(c.uint(1))
        let mode = c.uint(2) & 0o777
        var attr: (maxMessages: Int64, messageSize: Int64)?
        if c.word(3) != 0 {
            var d = GuestDecoder(try c.mm.read(c.word(3), count: 4 * c.abi.wordSize), c.abi)
            _ = d.sword()
            attr = (d.sword(), d.sword())
        }
        guard name.count <= 255 else { throw .ENAMETOOLONG }
        if name.isEmpty { throw .ENOENT }
        if name.contains(UInt8(ascii: "/")) || name == [0x2e] || name == [0x2e, 0x2e] { throw .EACCES }
        let cred = c.task.process.credentials
        let ns = c.kernel.ipc
        let mq: PosixMessageQueue
        if let existing = ns.posixQueues[name] {
            if flags.contains(.create) && flags.contains(.exclusive) { throw .EEXIST }
            guard flags.accessMode != 3 else { throw .EINVAL }
            let want: UInt32 = flags.accessMode == OpenFlags.readOnly ? 4 : flags.accessMode == OpenFlags.writeOnly ? 2 : 6
            var granted = existing.mode
            if cred.euid == existing.uid { granted >>= 6 } else if cred.egid == existing.gid || cred.groups.contains(existing.gid) { granted >>= 3 }
            if want & ~granted & 7 != 0 && !cred.isRoot { throw .EACCES }
            mq = existing
        } else {
            guard flags.contains(.create) else { throw .ENOENT }
            var maxMessages = IPCLimits.mqMaxMessages, messageSize = IPCLimits.mqMaxMessageSize
            if let attr {
                // Linux's mq_attr_ok: positive, within msg_max and msgsize_max (root: the
                // hard limits), and a total that does not overflow a long.
                guard attr.maxMessages > 0, attr.messageSize > 0 else { throw .EINVAL }
                let (mMax, sMax) = cred.isRoot ? (IPCLimits.mqHardMaxMessages, IPCLimits.mqHardMaxMessageSize)
                                               : (IPCLimits.mqMaxMessages, IPCLimits.mqMaxMessageSize)
                guard attr.maxMessages <= Int64(mMax), attr.messageSize <= Int64(sMax) else { throw .EINVAL }
                maxMessages = Int(attr.maxMessages); messageSize = Int(attr.messageSize)
            }
            // Linux's mq_bytes: the messages' headers and tree nodes, and their texts, charged to
            // the creator's RLIMIT_MSGQUEUE (EMFILE past it).
            let tree = UInt64(maxMessages) * 48 + UInt64(min(maxMessages, Int(IPCLimits.mqPriorities))) * 40
            let charge = tree + UInt64(maxMessages) * UInt64(messageSize)
            let used = ns.posixQueues.values.filter { $0.uid == cred.euid }.reduce(UInt64(0)) { $0 + $1.chargedBytes }
            let limit = c.task.process.limits.values[12].soft
            if used + charge > limit && !cred.isRoot { throw .EMFILE }
            guard ns.posixQueues.count < IPCLimits.mqQueuesMax || cred.isRoot else { throw .ENOSPC }
            mq = PosixMessageQueue(maxMessages: maxMessages, messageSize: messageSize, mode: mode & ~c.task.fs.umask,
                                   uid: cred.euid, gid: cred.egid, chargedBytes: charge)
            ns.posixQueues[name] = mq
        }
        var fileFlags = OpenFlags(rawValue: flags.accessMode == 3 ? OpenFlags.readWrite : flags.accessMode)
        if flags.contains(.nonBlocking) { fileFlags.insert(.nonBlocking) }
        let file = MessageQueueFile(mq, flags: fileFlags, name: String(decoding: name, as: UTF8.self))
        // Linux opens every queue descriptor close-on-exec (get_unused_fd_flags(O_CLOEXEC)).
        return .int(Int(try c.task.files.install(file, closeOnExec: true, limit: c.task.process.limits.openFiles)))
    }

    static func mqUnlink(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let name = try c.mm.readCString(c.word(0), limit: 4096)
        guard name.count <= 255 else { throw .ENAMETOOLONG }
        if name.isEmpty { throw .ENOENT }
        if name.contains(UInt8(ascii: "/")) || name == [0x2e] || name == [0x2e, 0x2e] { throw .EACCES }
        guard c.kernel.ipc.posixQueues.removeValue(forKey: name) != nil else { throw .ENOENT }
        return .zero
    }

    static func messageQueue(_ c: SyscallCall, _ fd: Int32) throws(LinuxErrno) -> MessageQueueFile {
        guard let f = try c.task.files.get(fd) as? MessageQueueFile else { throw .EBADF }
        return f
    }

    /// An absolute CLOCK_REALTIME timeout as a monotonic deadline (EINVAL for an invalid
    /// timespec, checked before anything else as Linux's prepare_timeout).
    static func realtimeDeadline(_ c: SyscallCall, _ address: UInt64) throws(LinuxErrno) -> UInt64? {
        guard address != 0 else { return nil }
        let (s, ns) = try readTimespec(c, address)
        guard s >= 0, ns >= 0, ns < 1_000_000_000 else { throw .EINVAL }
        let at = try GuestMath.nanoseconds(seconds: s, nanoseconds: ns)
        let now = try Host.clock(0)
        let nowNS = UInt64(max(0, now.0)) * 1_000_000_000 + UInt64(now.1)
        return GuestMath.deadline(Host.monotonicNanoseconds(), after: at > nowNS ? at - nowNS : 0)
    }

    /// mq_timedsend(mqdes, msg, len, prio, abs_timeout): EINVAL for the timeout or a priority
    /// past MQ_PRIO_MAX, EBADF for a descriptor that is not a queue open for writing, EMSGSIZE
    /// past mq_msgsize; a full queue is EAGAIN under O_NONBLOCK, else a wait (ETIMEDOUT), which
    /// SA_RESTART restarts.
    static func mqTimedsend(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let deadline = try realtimeDeadline(c, c.word(4))
        guard c.uint(3) < IPCLimits.mqPriorities else { throw .EINVAL }
        let f = try messageQueue(c, c.int(0))
        guard f.flags.canWrite else { throw .EBADF }
        let mq = f.mq
        let size = c.word(2)
        guard size <= UInt64(mq.messageSize) else { throw .EMSGSIZE }
        let text = try c.mm.read(c.word(1), count: Int(size))
        if mq.isFull {
            if f.isNonBlocking { throw .EAGAIN }
            if let deadline, Host.monotonicNanoseconds() >= deadline { throw .ETIMEDOUT }
            var wait = Wait.on(mq.queue, .output)
            wait.deadline = deadline
            return .block(wait)
        }
        let wasEmpty = mq.messages.isEmpty
        mq.append(.init(priority: c.uint(3), text: text))
        // Linux's __do_notify: the registration fires when a message arrives on an empty queue
        // that no receiver waits on, and is then removed.
        if wasEmpty, let n = mq.notification, !mq.queue.entries.contains(where: { $0.events.contains(.input) }) {
            mq.notification = nil
            if let sig = n.signal, let target = c.kernel.processes[n.pid], !target.zombie {
                var info = SignalInfo(signal: sig, code: -3)  // SI_MESGQ
                info.senderPID = c.task.process.pid
                info.senderUID = c.task.process.credentials.uid
                info.value = n.value
                c.kernel.send(info, to: target)
            }
        }
        mq.queue.notify([.input, .readNormal])
        return .zero
    }

    /// mq_timedreceive(mqdes, msg, len, prio*, abs_timeout): the oldest message of the highest
    /// priority; EMSGSIZE for a buffer smaller than mq_msgsize.
    static func mqTimedreceive(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let deadline = try realtimeDeadline(c, c.word(4))
        let f = try messageQueue(c, c.int(0))
        guard f.flags.canRead else { throw .EBADF }
        let mq = f.mq
        guard c.word(2) >= UInt64(mq.messageSize) else { throw .EMSGSIZE }
        if mq.messages.isEmpty {
            if f.isNonBlocking { throw .EAGAIN }
            if let deadline, Host.monotonicNanoseconds() >= deadline { throw .ETIMEDOUT }
            var wait = Wait.on(mq.queue, .input)
            wait.deadline = deadline
            return .block(wait)
        }
        let m = mq.takeFirst()
        mq.queue.notify([.output, .writeNormal])
        try c.mm.write(c.word(1), m.text)
        if c.word(3) != 0 {
            var e = GuestEncoder(c.abi)
            e.u32(m.priority)
            try c.mm.write(c.word(3), e.bytes)
        }
        return .int(m.text.count)
    }

    /// mq_notify(mqdes, sevp): SIGEV_SIGNAL and SIGEV_NONE register the caller's process (EBUSY
    /// if another is registered); NULL removes its registration. SIGEV_THREAD (glibc's, over
    /// a netlink socket) is not provided: EINVAL.
    static func mqNotify(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var registration: (notify: Int32, signal: Signal?, value: UInt64)?
        if c.word(1) != 0 {
            // struct sigevent: sigev_value (a union the size of a pointer), sigev_signo, sigev_notify.
            var d = GuestDecoder(try c.mm.read(c.word(1), count: c.abi.wordSize + 8), c.abi)
            let value = d.word(), signo = d.i32(), notify = d.i32()
            switch notify {
            case 1: registration = (notify, nil, value)  // SIGEV_NONE
            case 0:  // SIGEV_SIGNAL: signal 0 is valid and sends nothing
                guard signo >= 0, signo <= Signal.max else { throw .EINVAL }
                registration = (notify, signo == 0 ? nil : Signal(signo), value)
            default: throw .EINVAL
            }
        }
        let mq = try messageQueue(c, c.int(0)).mq
        let pid = c.task.process.pid
        // A registration whose process has gone is dropped (Linux removes it at the owner's close).
        if let n = mq.notification, c.kernel.processes[n.pid].map({ $0.zombie }) ?? true { mq.notification = nil }
        if let registration {
            if mq.notification != nil { throw .EBUSY }
            mq.notification = (pid, registration.notify, registration.signal, registration.value)
        } else if mq.notification?.pid == pid {
            mq.notification = nil
        }
        return .zero
    }

    /// mq_getsetattr(mqdes, newattr, oldattr): only O_NONBLOCK of mq_flags can change.
    static func mqGetsetattr(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var newFlags: OpenFlags?
        if c.word(1) != 0 {
            var d = GuestDecoder(try c.mm.read(c.word(1), count: c.abi.wordSize), c.abi)
            let raw = c.abi.openFlagsFromGuest(UInt32(truncatingIfNeeded: d.word()))
            guard raw.subtracting(.nonBlocking).isEmpty else { throw .EINVAL }
            newFlags = raw
        }
        let f = try messageQueue(c, c.int(0))
        if c.word(2) != 0 {
            let flags = f.isNonBlocking ? UInt64(c.abi.openFlagsToGuest(.nonBlocking)) : 0
            try c.mm.write(c.word(2), mqAttributes(c, flags: flags, f.mq))
        }
        if let newFlags {
            if newFlags.contains(.nonBlocking) { f.flags.insert(.nonBlocking) } else { f.flags.remove(.nonBlocking) }
        }
        return .zero
    }
}
