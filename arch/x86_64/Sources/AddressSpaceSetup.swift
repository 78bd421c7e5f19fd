import GuestKernel
import HostOS
import LinuxABI

/// The host work that sets up a fresh address space, held back for one trip.
///
/// After the stub's exec (`X86Context.replaceAddressSpace`) the kernel maps the new program:
/// the stub's scrub, then per file an openat and an mmap per segment, an mmap per anonymous
/// region, the stack; and it writes the zeroed tail of a data page and the stack's contents.
/// Made one at a time, each map is a trip into the guest's host process (two ptrace calls and
/// two host context switches). As UML's SKAS0 does (its stub runs the queued mmap/munmap/
/// mprotect of `fix_range` in one go), the space queues them while it is being set up and runs
/// them through the stub's batch loop when the kernel commits the exec (`commit`), or earlier
/// if something must see the memory first (a read, a fork, the guest running). The writes
/// follow the calls as one process_vm_writev.
///
/// The queue changes when a failure shows, never what fails: a queued call fails on the host
/// exactly as it would have alone, and since only an exec past its point of no return queues,
/// the failure (thrown by `commit` inside the exec) kills the process with SIGSEGV, as Linux's
/// exec does; the half-made address space never runs. Calls after a failed one are not made.
struct PendingSetup {
    var calls: [X86Context.HostCall] = []
    /// Strings the calls point to, at `X86Context.batchDataOffset` in the stub's data page.
    var data: [UInt8] = []
    /// Kernel writes into the space, made after the calls (`write(ranges:)`).
    var writeRanges: [UInt64] = []
    var writeBytes: [UInt8] = []
    /// umlab's duplicates of the descriptors queued openats name (/proc/<umlab>/fd/N): the
    /// originals belong to descriptor pools that may close or reuse them before the trip.
    var descriptors: [HostFD] = []
    /// The read-only file whose descriptor the queued calls keep in the stub's r15 (opened by
    /// the last keeping openat), for the next segments of the same file.
    weak var keptFile: (any MappedFileSource)?

    var isEmpty: Bool { calls.isEmpty && writeRanges.isEmpty }

    /// Whether a queued write touches [address, address + length): a call that changes those
    /// pages must not pass the write, which is made after every queued call.
    func writes(overlap address: UInt64, _ length: UInt64) -> Bool {
        var i = 0
        while i < writeRanges.count {
            let start = writeRanges[i], count = writeRanges[i + 1]
            if start < address &+ length && address < start &+ count { return true }
            i += 2
        }
        return false
    }

    /// Whether `bytes` fit among the batch's strings.
    func fits(_ bytes: [UInt8]) -> Bool { ((data.count + 7) & ~7) + bytes.count <= 0x1000 - X86Context.batchDataOffset }

    /// Places `bytes` among the batch's strings; nil when they do not fit.
    mutating func place(_ bytes: [UInt8]) -> UInt64? {
        let offset = (data.count + 7) & ~7
        guard fits(bytes) else { return nil }
        data += [UInt8](repeating: 0, count: offset - data.count) + bytes
        return StubImage.dataPage + UInt64(X86Context.batchDataOffset + offset)
    }

    /// Closes umlab's duplicates once the trip is over (or the work dropped).
    func release() { for d in descriptors { d.close() } }
}

extension X86AddressSpace {
    /// The most a flush takes: the batch's table, and a process_vm_writev's iovec count.
    private static let maxQueuedWrites = 256

    /// Queues `call`, which changes [address, address + length): the queue is flushed first
    /// if a queued write lies there or the batch is full (`room` more calls must fit).
    func enqueue(_ call: X86Context.HostCall, address: UInt64, length: UInt64) throws(LinuxErrno) {
        try makeRoom(calls: 1, before: address, length)
        pending.calls.append(call)
    }

    func makeRoom(calls: Int, before address: UInt64, _ length: UInt64) throws(LinuxErrno) {
        if pending.calls.count + calls > X86Context.batchCapacity || pending.writes(overlap: address, length) {
            try flushPending()
        }
    }

    /// Queues a file mapping (`X86Context.mapFile`'s calls): the file's segments after the
    /// first use the descriptor the batch keeps; another file's opening closes it.
    func enqueueMapFile(_ ref: HostFileRef, at address: UInt64, length: UInt64, protection: UInt64, flags: UInt64,
                        offset: UInt64) throws(LinuxErrno) {
        if !ref.writable, let kept = pending.keptFile, kept === ref.source {
            try enqueue(X86Context.HostCall(9, address, length, protection, flags, 0, offset).takingKept(asArgument: 5),
                        address: address, length: length)
            return
        }
        if pending.keptFile == nil, !ref.writable, let fd = agent.mappingDescriptor(for: ref.source) {
            try enqueue(X86Context.HostCall(9, address, length, protection, flags, fd, offset), address: address, length: length)
            return
        }
        try makeRoom(calls: 4, before: address, length)
        let dup = try HostFD(ref.fd).duplicate()
        let path = backend.procPath(dup.raw)
        if !pending.fits(path) { try flushPending() }
        pending.descriptors.append(dup)
        if pending.keptFile != nil {
            pending.calls.append(X86Context.HostCall(3).takingKept(asArgument: 1))  // close the kept descriptor
            pending.keptFile = nil
        } else if let fd = agent.dropMappingDescriptor() {
            pending.calls.append(X86Context.HostCall(3, fd))
        }
        guard let pathAt = pending.place(path) else { throw .E2BIG }
        let openFlags: UInt64 = (ref.writable ? 2 : 0) | 0o2000000  // O_RDWR or O_RDONLY, O_CLOEXEC
        pending.calls.append(X86Context.HostCall(257, UInt64(bitPattern: Int64(At.fdCWD)), pathAt, openFlags).keepingResult())
        pending.calls.append(X86Context.HostCall(9, address, length, protection, flags, 0, offset).takingKept(asArgument: 5))
        if ref.writable {
            pending.calls.append(X86Context.HostCall(3).takingKept(asArgument: 1))
        } else {
            pending.keptFile = ref.source
        }
    }

    /// Queues a kernel write into the space (after the calls queued so far and to come).
    func enqueueWrite(_ address: UInt64, from buffer: UnsafeRawBufferPointer) throws(LinuxErrno) {
        if pending.writeRanges.count / 2 >= Self.maxQueuedWrites { try flushPending() }
        pending.writeRanges.append(address)
        pending.writeRanges.append(UInt64(buffer.count))
        pending.writeBytes.append(contentsOf: buffer)
    }

    /// Runs what is queued: the calls in one trip, then the writes. The queue is emptied
    /// first, so a failure drops the rest (the exec that queued it fails).
    func flushPending() throws(LinuxErrno) {
        guard !pending.isEmpty else { return }
        let work = pending
        pending = PendingSetup()
        defer { work.release() }
        let a = agent
        if !work.calls.isEmpty {
            let kept = try a.injectBatch(work.calls, data: work.data)
            if let file = work.keptFile { a.adoptMappingDescriptor(kept, for: file) }
        }
        if !work.writeRanges.isEmpty {
            try typedErrno { try work.writeBytes.withUnsafeBytes { p in try a.tracee.write(ranges: work.writeRanges, from: p) } }
        }
    }

    /// The kernel has set the space up (or the guest is about to run): the queued work is done
    /// now and later calls are made one at a time again.
    func commit() throws(LinuxErrno) {
        guard settingUp else { return }
        settingUp = false
        try flushPending()
    }

    /// The space is given up before its work was done (the process ended or exec'ed again).
    func dropPending() {
        pending.release()
        pending = PendingSetup()
        settingUp = false
    }
}
