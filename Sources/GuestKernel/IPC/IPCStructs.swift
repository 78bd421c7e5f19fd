import LinuxABI

/// How an ISA lays out the IPC_64 structures (ipc64_perm, msqid64_ds, semid64_ds,
/// shmid64_ds) beyond its word size and byte order; the defaults are asm-generic's.
public struct IPCStructLayout: Sendable {
    /// 32-bit ABIs keep each time as two words (the *_high word for y2038); whether the high
    /// word comes first (PowerPC) or after the low one (asm-generic).
    public var timeHighWordFirst = false
    /// ipc64_perm's `seq` is a 32-bit field followed by a pad and two 64-bit unused fields
    /// (PowerPC), not a 16-bit one with word-sized unused fields.
    public var permSequenceIs32Bit = false
    /// semid64_ds has an unused word after each time (x86-64).
    public var semaphoreTimesPadded = false
    /// shmid64_ds has shm_segsz after the times (behind an unused word on 32-bit ABIs:
    /// PowerPC), not before them.
    public var sharedMemorySizeAfterTimes = false
    public init() {}
}

/// Encodes and decodes the IPC_64 structures in the guest's layout.
struct IPCStructs {
    let abi: GuestABI
    var layout: IPCStructLayout { abi.ipc }

    func permissions(_ e: inout GuestEncoder, _ p: IPCPermissions) {
        e.i32(p.key); e.u32(p.uid); e.u32(p.gid); e.u32(p.cuid); e.u32(p.cgid); e.u32(p.mode)
        if layout.permSequenceIs32Bit {
            e.u32(UInt32(p.seq)); e.u32(0); e.u64(0); e.u64(0)
        } else {
            e.u16(p.seq); e.u16(0); e.align(abi.wordSize); e.word(0); e.word(0)
        }
    }

    func time(_ e: inout GuestEncoder, _ t: Int64) {
        if abi.wordSize == 8 { e.sword(t); return }
        let low = UInt64(UInt32(truncatingIfNeeded: t)), high = UInt64(UInt32(truncatingIfNeeded: t >> 32))
        if layout.timeHighWordFirst { e.word(high); e.word(low) } else { e.word(low); e.word(high) }
    }

    func messageQueue(_ q: MessageQueue) -> [UInt8] {
        var e = GuestEncoder(abi)
        permissions(&e, q.perm)
        time(&e, q.sendTime); time(&e, q.receiveTime); time(&e, q.changeTime)
        e.word(UInt64(q.bytes)); e.word(UInt64(q.messages.count)); e.word(UInt64(q.qbytes))
        e.i32(q.lastSender); e.i32(q.lastReceiver)
        e.word(0); e.word(0)
        return e.bytes
    }

    func semaphoreSet(_ s: SemaphoreSet) -> [UInt8] {
        var e = GuestEncoder(abi)
        permissions(&e, s.perm)
        time(&e, s.operationTime)
        if layout.semaphoreTimesPadded { e.word(0) }
        time(&e, s.changeTime)
        if layout.semaphoreTimesPadded { e.word(0) }
        e.word(UInt64(s.values.count)); e.word(0); e.word(0)
        return e.bytes
    }

    func sharedMemory(_ s: SharedMemorySegment, attachments: Int) -> [UInt8] {
        var e = GuestEncoder(abi)
        permissions(&e, s.perm)
        if !layout.sharedMemorySizeAfterTimes { e.word(s.size) }
        time(&e, s.attachTime); time(&e, s.detachTime); time(&e, s.changeTime)
        if layout.sharedMemorySizeAfterTimes {
            if abi.wordSize == 4 { e.word(0) }
            e.word(s.size)
        }
        e.i32(s.creator); e.i32(s.lastUser)
        e.word(UInt64(attachments)); e.word(0); e.word(0)
        return e.bytes
    }

    /// The fields IPC_SET takes from an ipc64_perm: uid, gid and mode.
    func readPermissions(_ mm: MemoryMap, _ address: UInt64) throws(LinuxErrno) -> (uid: UInt32, gid: UInt32, mode: UInt32) {
        var d = GuestDecoder(try mm.read(address, count: 24), abi)
        d.skip(4)
        let uid = d.u32(), gid = d.u32()
        d.skip(8)
        return (uid, gid, d.u32())
    }

    /// IPC_SET of a message queue: the permissions and msg_qbytes.
    func readMessageQueueSet(_ mm: MemoryMap, _ address: UInt64) throws(LinuxErrno) -> (perm: (uid: UInt32, gid: UInt32, mode: UInt32), qbytes: UInt64) {
        let perm = try readPermissions(mm, address)
        // msg_qbytes follows the perm (48 bytes), three times (three words, or six half words)
        // and msg_cbytes and msg_qnum.
        let offset = 48 + 24 + 2 * abi.wordSize
        guard let field = GuestMath.end(address, UInt64(offset)) else { throw .EFAULT }
        var d = GuestDecoder(try mm.read(field, count: abi.wordSize), abi)
        return (perm, d.word())
    }
}

extension GuestABI {
    /// A `long` or `ssize_t` argument: the word, sign-extended from the guest's width.
    func signedWord(_ v: UInt64) -> Int64 {
        wordSize == 8 ? Int64(bitPattern: v) : Int64(Int32(truncatingIfNeeded: v))
    }
}
