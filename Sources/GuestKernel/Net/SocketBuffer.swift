import LinuxABI

/// Credentials a message carries (SCM_CREDENTIALS, SO_PEERCRED): Linux's `struct ucred`.
public struct SocketCredentials: Equatable, Sendable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
}

/// Descriptions passed with SCM_RIGHTS. While in flight they hold a reference of their own
/// (as a descriptor would), so a sender may close its descriptors at once; a message dropped
/// unreceived gives them up.
final class PassedFiles {
    private(set) var files: [OpenFile]
    init(_ files: [OpenFile]) {
        self.files = files
        for f in files { f.references += 1 }
        PassedFiles.countInFlight(files, +1)
    }
    /// Hands the descriptions to the receiver, which installs them (or drops what it cannot).
    func take() -> [OpenFile] {
        let out = files
        files = []
        PassedFiles.countInFlight(out, -1)
        return out
    }
    deinit {
        PassedFiles.countInFlight(files, -1)
        for f in files { FileTable.drop(f) }
    }
    /// Unix sockets in flight, per machine: what makes closing a unix socket run the
    /// garbage collector (Net/UnixGarbage.swift).
    private static func countInFlight(_ files: [OpenFile], _ delta: Int) {
        for f in files { if let s = f as? Socket, s.family == .unix { s.network.unixSocketsInFlight += delta } }
    }
}

/// One datagram or seqpacket record, or the ancillary data attached to a span of a stream.
struct SocketMessage {
    var data: [UInt8]
    var from: SocketAddress?
    var rights: PassedFiles?
    var credentials: SocketCredentials?
}

/// The receive side of a socket: a byte ring (stream sockets) or a queue of messages (datagram
/// and seqpacket), with the state its two ends agree on.
///
/// The owner reads from it; whoever sends to the owner writes into it: the connected peer of a
/// stream or seqpacket socket, any sender of a datagram socket, or a host link that pumps a
/// host socket's bytes in. Each side is told through a wait queue: data arriving notifies
/// `readers`, space freed notifies `writers`.
final class SocketBuffer {
    /// The owner's wait queue.
    let readers: WaitQueue
    /// The sending socket's wait queue (connected sockets; nil for datagram receive queues,
    /// whose senders wait on the receiver's queue instead, as Linux's unix_dgram does).
    weak var writers: WaitQueue?
    let messageMode: Bool
    /// Bytes the buffer holds at most (the receiver's SO_RCVBUF, at least one message).
    var capacity: Int
    /// Messages queued at most, whatever their size: a bound on the bookkeeping of many empty
    /// messages (a unix datagram sender meets Linux's smaller `Socket.maxDatagramQueue` first).
    static let maxMessages = 512

    // Stream mode: a ring, allocated at the first write and charged to the machine's memory.
    private var ring: UnsafeMutableRawPointer?
    private var ringSize = 0
    private var head = 0
    private(set) var count = 0
    /// Bytes written and read since the start: stream positions for ancillary data.
    private(set) var written: UInt64 = 0
    private(set) var consumed: UInt64 = 0
    /// Ancillary data attached to stream bytes: each mark starts at a stream position and covers
    /// `length` bytes. A read never runs across the start of a marked span, and stops at the end
    /// of one it began in (Linux's unix_stream_read_generic keeps fd-carrying skbs apart).
    private var marks: [(start: UInt64, length: Int, message: SocketMessage)] = []

    // Message mode.
    private var messages: [SocketMessage] = []
    private var firstMessage = 0
    private(set) var messageBytes = 0

    /// The sender has finished (shutdown SHUT_WR or close): reads see EOF once it is drained.
    var writeClosed = false
    /// The owner no longer reads (shutdown SHUT_RD or close): writes fail with EPIPE.
    var readClosed = false
    /// The connection was reset (closed with unread data, as TCP sends RST): the owner's next
    /// read gets ECONNRESET.
    var reset = false

    private let account: MemoryController
    private var charged = 0

    init(readers: WaitQueue, messageMode: Bool, capacity: Int, account: MemoryController) {
        self.readers = readers; self.messageMode = messageMode; self.capacity = capacity; self.account = account
    }
    deinit {
        ring?.deallocate()
        if charged > 0 { account.uncharge(UInt64(charged), .sockets) }
    }

    var isEmpty: Bool { messageMode ? firstMessage == messages.count : count == 0 }
    /// Bytes that may be written now (stream mode).
    /// A ring that holds data is not grown under it: until it is empty, a raised SO_RCVBUF
    /// only takes effect up to the ring's own size.
    var space: Int { max(0, (ring != nil && count > 0 ? min(capacity, ringSize) : capacity) - count) }
    /// Bytes ready to read: the stream's, or the first message's (FIONREAD on a datagram socket).
    var readable: Int { messageMode ? (isEmpty ? 0 : messages[firstMessage].data.count) : count }
    var queuedMessages: Int { messages.count - firstMessage }
    /// Whether one more message of `size` bytes fits (an empty queue takes any message the
    /// sender's checks let through, so one large datagram is never stuck).
    func hasRoom(forMessage size: Int) -> Bool {
        isEmpty || (queuedMessages < SocketBuffer.maxMessages && messageBytes + size <= capacity)
    }

    // MARK: stream mode

    /// Appends up to `space` bytes; returns how many. `attached`: ancillary data that travels
    /// with the span written.
    func write(_ bytes: UnsafeRawBufferPointer, attached: SocketMessage? = nil) throws(LinuxErrno) -> Int {
        let n = min(bytes.count, space)
        if n == 0 { return 0 }
        try prepareRing()
        let start = written
        var done = 0
        while done < n {
            let tail = (head + count) % ringSize
            let chunk = min(n - done, ringSize - tail)
            (ring! + tail).copyMemory(from: bytes.baseAddress! + done, byteCount: chunk)
            count += chunk
            done += chunk
        }
        written += UInt64(n)
        if let attached {
            // Consecutive writes with the same credentials and no descriptors make one span
            // (reads only split where the credentials change or descriptors start).
            if attached.rights == nil, let last = marks.last, last.message.rights == nil,
               last.message.credentials == attached.credentials, last.start + UInt64(last.length) == start {
                marks[marks.count - 1].length += n
            } else {
                marks.append((start, n, attached))
            }
        }
        readers.notify([.input, .readNormal])
        return n
    }

    private func prepareRing() throws(LinuxErrno) {
        if ring != nil && ringSize >= capacity { return }
        // Grown to a larger SO_RCVBUF only while empty (the ring is not moved under data).
        if ring != nil && count > 0 { return }
        guard account.tryCharge(UInt64(capacity), .sockets) else { throw .ENOBUFS }
        if let ring { ring.deallocate(); account.uncharge(UInt64(charged), .sockets) }
        charged = capacity
        ring = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        ringSize = capacity
        head = 0
    }

    /// How many bytes a read starting `skip` bytes in may take, and the ancillary data that
    /// comes with them, as Linux's unix_stream_read_generic glues a stream's writes: a read
    /// runs on into a span that carries descriptors and ends with that span (the descriptors
    /// go with the first read that touches it); with `separateCredentials` (SO_PASSCRED) it
    /// also stops where the writer's credentials change. The message is the credentials of
    /// the first span read, with the descriptors if any.
    func readLimit(skip: Int, separateCredentials: Bool) -> (limit: Int, message: SocketMessage?) {
        let position = consumed + UInt64(skip)
        var limit = count - skip
        var message: SocketMessage?
        for m in marks {
            let end = m.start + UInt64(m.length)
            if end <= position { continue }
            if m.start >= position + UInt64(limit) { break }
            if let first = message, separateCredentials, first.credentials != m.message.credentials {
                limit = Int(max(m.start, position) - position)
                break
            }
            if message == nil { message = SocketMessage(data: [], credentials: m.message.credentials) }
            if let rights = m.message.rights, !rights.files.isEmpty {
                message?.rights = rights
                limit = min(limit, Int(end - position))
                break
            }
        }
        return (limit, message)
    }

    /// Copies up to `buffer.count` bytes starting `skip` bytes in; `peek` leaves them queued.
    func read(into buffer: UnsafeMutableRawBufferPointer, skip: Int = 0, peek: Bool) -> Int {
        let n = min(buffer.count, max(0, count - skip))
        guard n > 0, let ring else { return 0 }
        var done = 0, at = (head + skip) % ringSize
        while done < n {
            let chunk = min(n - done, ringSize - at)
            (buffer.baseAddress! + done).copyMemory(from: ring + at, byteCount: chunk)
            at = (at + chunk) % ringSize
            done += chunk
        }
        if !peek { discard(n) }
        return n
    }

    /// Drops the first `n` bytes (after a read, or MSG_TRUNC on a stream).
    func discard(_ n: Int) {
        let n = min(n, count)
        head = (head + n) % max(ringSize, 1)
        count -= n
        consumed += UInt64(n)
        if count == 0 { head = 0 }
        while let m = marks.first, m.start + UInt64(m.length) <= consumed { marks.removeFirst() }
        if n > 0 { writers?.notify([.output, .writeNormal]) }
    }

    // MARK: message mode

    func enqueue(_ m: SocketMessage) {
        messages.append(m)
        messageBytes += m.data.count
        readers.notify([.input, .readNormal])
    }

    /// The first message, taken off the queue unless `peek`.
    func dequeue(peek: Bool) -> SocketMessage? {
        guard !isEmpty else { return nil }
        let m = messages[firstMessage]
        if peek { return m }
        messages[firstMessage] = SocketMessage(data: [])
        firstMessage += 1
        messageBytes -= m.data.count
        if firstMessage == messages.count { messages.removeAll(keepingCapacity: true); firstMessage = 0 }
        else if firstMessage > 64 && firstMessage * 2 > messages.count { messages.removeFirst(firstMessage); firstMessage = 0 }
        writers?.notify([.output, .writeNormal])
        readers.notify([.output, .writeNormal])  // datagram senders wait on the receiver's queue
        return m
    }

    /// Empties the buffer and clears the state of a finished connection, for a socket that
    /// connects again (after a refused connect, or an AF_UNSPEC disconnect).
    func reopen() {
        clear()
        writeClosed = false
        readClosed = false
        reset = false
    }

    /// The descriptors in flight in this buffer (messages and stream marks).
    var passedFiles: [PassedFiles] {
        messages[firstMessage...].compactMap(\.rights) + marks.compactMap { $0.message.rights }
    }

    /// Takes the descriptors in flight out of the buffer, for the garbage collector: the
    /// caller drops them once no buffer is being changed (dropping one may release a socket,
    /// which clears its own buffer).
    func detachPassedFiles() -> [PassedFiles] {
        let out = passedFiles
        for i in messages.indices { messages[i].rights = nil }
        for i in marks.indices { marks[i].message.rights = nil }
        return out
    }

    /// Drops everything queued (the owner closed), releasing passed descriptions.
    func clear() {
        messages.removeAll()
        firstMessage = 0
        messageBytes = 0
        marks.removeAll()
        if count > 0 { discard(count) }
    }
}
