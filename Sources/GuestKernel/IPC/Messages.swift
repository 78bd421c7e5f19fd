import HostOS
import LinuxABI

/// A System V message queue (Linux's msg_queue): messages in arrival order, each with a
/// positive type; the bytes and the count are bounded by `qbytes` (msgmnb by default).
final class MessageQueue: IPCObject {
    struct Message {
        let type: Int64
        let text: [UInt8]
    }
    var messages: [Message] = []
    var bytes = 0
    var qbytes = IPCLimits.msgmnb
    var sendTime: Int64 = 0, receiveTime: Int64 = 0
    var lastSender: Int32 = 0, lastReceiver: Int32 = 0

    /// Linux's msg_fits_inqueue: the bytes and the number of messages both stay within qbytes.
    func fits(_ size: Int) -> Bool { bytes + size <= qbytes && messages.count + 1 <= qbytes }

    /// How msgrcv picks a message (Linux's convert_mode and find_msg).
    enum Search {
        case any, equal(Int64), notEqual(Int64), lessOrEqual(Int64), number(Int64)
    }

    /// The index of the message `search` picks: the first of the given type, of another type,
    /// the first with the lowest type not above the bound, or the n-th (MSG_COPY).
    func find(_ search: Search) -> Int? {
        switch search {
        case .any: return messages.isEmpty ? nil : 0
        case .equal(let t): return messages.firstIndex { $0.type == t }
        case .notEqual(let t): return messages.firstIndex { $0.type != t }
        case .number(let n): return n >= 0 && n < Int64(messages.count) ? Int(n) : nil
        case .lessOrEqual(let bound):
            var best: Int?
            for (i, m) in messages.enumerated() where m.type <= bound {
                if best == nil || m.type < messages[best!].type { best = i }
            }
            return best
        }
    }
}

extension IPCNamespace {
    func removeMessageQueue(_ q: MessageQueue) {
        messages.remove(q)
        q.removed = true
        messageBytes -= q.bytes
        messageCount -= q.messages.count
        q.messages = []
        q.bytes = 0
        q.queue.notify([.input, .output])
    }
}

/// msgsnd/msgrcv's flags.
enum MessageQueueFlags {
    static let noError: Int32 = 0o10000, except: Int32 = 0o20000, copy: Int32 = 0o40000
}

extension CoreSyscalls {
    static func msgget(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try msgget(c, key: c.int(0), flags: c.int(1))
    }
    static func msgget(_ c: SyscallCall, key: Int32, flags: Int32) throws(LinuxErrno) -> SyscallOutcome {
        let cred = c.task.process.credentials
        let ns = c.kernel.ipc
        return .int(Int(try ns.get(ns.messages, key: key, flags: flags, credentials: cred, check: { _ throws(LinuxErrno) in }) {
            MessageQueue(perm: IPCPermissions(key: key, mode: UInt32(bitPattern: flags), creator: cred))
        }))
    }

    static func msgsnd(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try msgsnd(c, id: c.int(0), buffer: c.word(1), size: c.word(2), flags: c.int(3))
    }

    /// Linux's do_msgsnd: EINVAL for a size past msgmax (or negative) or a type below 1, EFAULT
    /// for the buffer, then the queue (EINVAL, EIDRM), the permission (EACCES), and a wait
    /// while it is full (EAGAIN with IPC_NOWAIT). A signal ends the wait with EINTR: Linux never
    /// restarts msgsnd.
    static func msgsnd(_ c: SyscallCall, id: Int32, buffer: UInt64, size rawSize: UInt64, flags: Int32) throws(LinuxErrno) -> SyscallOutcome {
        try c.task.checkIPCWake()
        let size = c.abi.signedWord(rawSize)
        guard size >= 0, size <= IPCLimits.msgmax, id >= 0 else { throw .EINVAL }
        var d = GuestDecoder(try c.mm.read(buffer, count: c.abi.wordSize), c.abi)
        let type = d.sword()
        guard type >= 1 else { throw .EINVAL }
        guard let textAddress = GuestMath.end(buffer, UInt64(c.abi.wordSize)) else { throw .EFAULT }
        let text = try c.mm.read(textAddress, count: Int(size))
        let ns = c.kernel.ipc
        let q = try ns.messages.lookup(id)
        guard q.perm.allows(c.task.process.credentials, 0o222) else { throw .EACCES }
        guard q.fits(Int(size)) else {
            if flags & IPCFlags.noWait != 0 { throw .EAGAIN }
            c.task.ipcWaitObject = q
            return .block(.on(q.queue, .output, restartable: false))
        }
        q.messages.append(.init(type: type, text: text))
        q.bytes += Int(size)
        ns.messageBytes += Int(size)
        ns.messageCount += 1
        q.lastSender = c.task.process.pid
        q.sendTime = IPCNamespace.now()
        q.queue.notify(.input)
        return .zero
    }

    static func msgrcv(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try msgrcv(c, id: c.int(0), buffer: c.word(1), size: c.word(2), type: c.long(3), flags: c.int(4))
    }

    /// Linux's do_msgrcv: EINVAL for a negative id or size, or MSG_COPY without IPC_NOWAIT or
    /// with MSG_EXCEPT; then the queue, the permission, and the search. A message longer than
    /// the buffer is E2BIG and stays queued, unless MSG_NOERROR cuts it. The type is stored as
    /// a long before the text; a bad buffer is EFAULT after the message was taken, as on Linux.
    static func msgrcv(_ c: SyscallCall, id: Int32, buffer: UInt64, size rawSize: UInt64, type: Int64, flags: Int32) throws(LinuxErrno) -> SyscallOutcome {
        try c.task.checkIPCWake()
        let size = c.abi.signedWord(rawSize)
        guard id >= 0, size >= 0 else { throw .EINVAL }
        let copy = flags & MessageQueueFlags.copy != 0
        if copy && (flags & MessageQueueFlags.except != 0 || flags & IPCFlags.noWait == 0) { throw .EINVAL }
        let search: MessageQueue.Search
        if copy { search = .number(type) }
        else if type == 0 { search = .any }
        else if type < 0 { search = .lessOrEqual(type == Int64.min ? Int64.max : -type) }
        else if flags & MessageQueueFlags.except != 0 { search = .notEqual(type) }
        else { search = .equal(type) }
        let ns = c.kernel.ipc
        let q = try ns.messages.lookup(id)
        guard q.perm.allows(c.task.process.credentials, 0o444) else { throw .EACCES }
        guard let i = q.find(search) else {
            if flags & IPCFlags.noWait != 0 { throw .ENOMSG }
            c.task.ipcWaitObject = q
            return .block(.on(q.queue, .input, restartable: false))
        }
        let m = q.messages[i]
        if Int64(m.text.count) > size && flags & MessageQueueFlags.noError == 0 { throw .E2BIG }
        if !copy {
            q.messages.remove(at: i)
            q.bytes -= m.text.count
            ns.messageBytes -= m.text.count
            ns.messageCount -= 1
            q.receiveTime = IPCNamespace.now()
            q.lastReceiver = c.task.process.pid
            q.queue.notify(.output)
        }
        let n = min(m.text.count, Int(min(size, Int64(Int.max))))
        var e = GuestEncoder(c.abi)
        e.sword(m.type)
        e.raw(Array(m.text[0..<n]))
        try c.mm.write(buffer, e.bytes)
        return .int(n)
    }

    static func msgctl(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        try msgctl(c, id: c.int(0), command: c.int(1), buffer: c.word(2))
    }

    /// Linux's ksys_msgctl with the IPC_64 layouts (`IPCStructs`).
    static func msgctl(_ c: SyscallCall, id: Int32, command: Int32, buffer: UInt64) throws(LinuxErrno) -> SyscallOutcome {
        guard id >= 0, command >= 0 else { throw .EINVAL }
        let ns = c.kernel.ipc
        let cred = c.task.process.credentials
        let s = IPCStructs(abi: c.abi)
        switch command {
        case IPCFlags.info, 12:  // IPC_INFO, MSG_INFO
            let used = command == 12
            var e = GuestEncoder(c.abi)
            e.i32(Int32(used ? ns.messages.count : IPCLimits.msgmni * IPCLimits.msgmnb / 1024))  // msgpool
            e.i32(Int32(used ? ns.messageCount : IPCLimits.msgmnb))  // msgmap
            e.i32(Int32(IPCLimits.msgmax)); e.i32(Int32(IPCLimits.msgmnb)); e.i32(Int32(IPCLimits.msgmni))
            e.i32(16)  // msgssz
            e.i32(Int32(clamping: used ? ns.messageBytes : IPCLimits.msgmnb))  // msgtql
            e.u16(0xffff)  // msgseg
            e.pad(to: 32)
            try c.mm.write(buffer, e.bytes)
            return .int(max(0, ns.messages.highestIndex))
        case IPCFlags.stat, 11, 13:  // IPC_STAT, MSG_STAT, MSG_STAT_ANY
            let q = command == IPCFlags.stat ? try ns.messages.lookup(id) : try ns.messages.at(index: Int(id))
            if command != 13 { guard q.perm.allows(cred, 0o444) else { throw .EACCES } }
            try c.mm.write(buffer, s.messageQueue(q))
            return .int(command == IPCFlags.stat ? 0 : Int(q.id))
        case IPCFlags.set:
            let q = try ns.messages.lookup(id)
            let new = try s.readMessageQueueSet(c.mm, buffer)
            guard q.perm.mayAdminister(cred) else { throw .EPERM }
            // Raising qbytes past msgmnb needs CAP_SYS_RESOURCE.
            if new.qbytes > UInt64(IPCLimits.msgmnb) && !cred.isRoot { throw .EPERM }
            guard new.qbytes <= UInt64(Int32.max) else { throw .EINVAL }
            q.qbytes = Int(new.qbytes)
            q.perm.set(uid: new.perm.uid, gid: new.perm.gid, mode: new.perm.mode)
            q.changeTime = IPCNamespace.now()
            q.queue.notify([.input, .output])  // more room, or other permissions
            return .zero
        case IPCFlags.rmid:
            let q = try ns.messages.lookup(id)
            guard q.perm.mayAdminister(cred) else { throw .EPERM }
            ns.removeMessageQueue(q)
            return .zero
        default:
            throw .EINVAL
        }
    }
}
