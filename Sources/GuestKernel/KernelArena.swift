import HostOS
import LinuxABI

/// The kernel's guest-visible data: the records the kernel keeps about guests and acts on.
///
/// Credentials, pipe buffers and the I/O bounce buffer every read and write passes through
/// live here, in one memory file umlab maps for itself. What differs between isolation modes
/// is only who else maps it:
///
/// - **skas / seccomp**: nobody. The kernel's memory is in no guest address space.
/// - **tt**: every guest process, read-write, at `Backend.kernelRegionBase` — as UML's
///   traced-thread mode mapped the kernel into each process. The kernel keeps reading its
///   records from there, so a guest that writes into them changes what the kernel believes
///   (its own uid, say), and a guest that reads them sees other guests' pipe and file data.
///
/// Layout (host byte order, little-endian on the hosts umlab runs on), so that a researcher's
/// attack program can find its way — the layout of UML's kernel was public too:
///
///     0x0000  header: "UMLABKRN", u32 version (1), u32 arena size, u32 record area offset
///     0x1000  records, each a 16-byte header and a payload:
///             u32 magic 0x524b4d55 ("UMKR"), u16 kind, u16 in-use flag,
///             i32 owner (pid, or pipe number), u32 payload length
///
/// Kinds: 1 credentials (u32 uid, euid, suid, fsuid, gid, egid, sgid, fsgid), 2 pipe ring
/// (the buffer's bytes; the read position is the kernel's), 3 the I/O bounce buffer.
///
/// **The arena is hostile memory.** In TT mode any guest may write any byte of it at any time
/// between two system calls. So nothing umlab reads back from it steers umlab's own memory:
/// where each record lies, how long it is and which records are free are kept in umlab-private
/// tables (`live`, `free`, `next`); the headers are written for guests to read and never read
/// back. What the kernel does read back are values whose every bit pattern is valid: the
/// credential words (any u32 is an id) and the bytes of pipe and I/O data. The mapping is
/// followed by an inaccessible guard region as long as the largest record, so that a bug
/// which still placed a record past the end would stop umlab at once rather than let it write
/// into its own memory.
public final class KernelArena {
    public static let size = 32 << 20
    public static let recordArea = 0x1000
    public static let headerSize = 16
    public static let magic: UInt32 = 0x524b_4d55
    public enum Kind: UInt16 { case credentials = 1, pipe = 2, ioBuffer = 3 }
    /// The largest payload a record may have (the I/O buffer's); also the guard's length.
    public static let largestPayload = 1 << 20
    static let guardBytes = largestPayload + headerSize

    /// The memory file (mapped shared by umlab, and by guests in TT mode).
    public let file: HostFD
    public let base: UnsafeMutableRawPointer
    /// Where the next record goes when no freed one fits (umlab-private, like all bookkeeping).
    private var next = KernelArena.recordArea
    /// Live records: header offset → total size (header and payload, rounded to 16).
    private var live: [Int: Int] = [:]
    /// Freed records by total size, reused first.
    private var free: [Int: [Int]] = [:]
    /// The bounce buffer for read/write data (payload of the ioBuffer record).
    public private(set) var ioBuffer: UnsafeMutableRawBufferPointer

    public init() throws(LinuxErrno) {
        file = try HostFD.memory(name: "umlab-kernel")
        try file.truncate(Int64(KernelArena.size))
        base = try HostMemory.guardedFile(file.raw, length: KernelArena.size, guardBytes: KernelArena.guardBytes)
        let header: [UInt8] = Array("UMLABKRN".utf8)
        for (i, b) in header.enumerated() { base.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
        base.storeBytes(of: UInt32(1).littleEndian, toByteOffset: 8, as: UInt32.self)
        base.storeBytes(of: UInt32(KernelArena.size).littleEndian, toByteOffset: 12, as: UInt32.self)
        base.storeBytes(of: UInt32(KernelArena.recordArea).littleEndian, toByteOffset: 16, as: UInt32.self)
        ioBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        // The file is fresh (zeros) and no guest has mapped it: the 1 MiB need not be zeroed
        // again (256 page faults and a memset at every start-up).
        guard let io = allocate(.ioBuffer, owner: 0, payload: KernelArena.largestPayload, zeroing: false) else { throw .ENOMEM }
        ioBuffer = UnsafeMutableRawBufferPointer(start: base + io, count: KernelArena.largestPayload)
    }

    /// The arena goes with its machine (several machines may live and die in one process:
    /// the fuzz drivers start thousands).
    deinit {
        HostMemory.unmap(base, KernelArena.size + KernelArena.guardBytes)
        file.close()
    }

    /// A record's payload offset in the arena, or nil when the arena is full. The payload lies
    /// wholly inside the arena: its place and size come from umlab's own tables alone.
    /// `zeroing: false` only for space known to hold zeros (the fresh file at `init`).
    public func allocate(_ kind: Kind, owner: Int32, payload: Int, zeroing: Bool = true) -> Int? {
        precondition(payload >= 0 && payload <= KernelArena.largestPayload, "kernel record of \(payload) bytes")
        let total = (KernelArena.headerSize + payload + 15) & ~15
        var at: Int
        if var list = free[total], let reused = list.popLast() {
            free[total] = list
            at = reused
        } else {
            guard next + total <= KernelArena.size else { return nil }
            at = next
            next += total
        }
        precondition(at >= KernelArena.recordArea && at + total <= KernelArena.size, "kernel record outside the arena")
        live[at] = total
        base.storeBytes(of: KernelArena.magic.littleEndian, toByteOffset: at, as: UInt32.self)
        base.storeBytes(of: kind.rawValue.littleEndian, toByteOffset: at + 4, as: UInt16.self)
        base.storeBytes(of: UInt16(1).littleEndian, toByteOffset: at + 6, as: UInt16.self)
        base.storeBytes(of: owner.littleEndian, toByteOffset: at + 8, as: Int32.self)
        base.storeBytes(of: UInt32(payload).littleEndian, toByteOffset: at + 12, as: UInt32.self)
        if zeroing { (base + at + KernelArena.headerSize).initializeMemory(as: UInt8.self, repeating: 0, count: payload) }
        return at + KernelArena.headerSize
    }

    /// Returns a record to the arena. Its size comes from umlab's table, not from the header a
    /// guest may have rewritten. Its bytes stay as they were until the space is reused (a
    /// kernel does not scrub freed buffers either).
    public func release(_ payloadOffset: Int) {
        let at = payloadOffset - KernelArena.headerSize
        guard let total = live.removeValue(forKey: at) else {
            preconditionFailure("releasing kernel record \(at), which is not allocated")
        }
        base.storeBytes(of: UInt16(0), toByteOffset: at + 6, as: UInt16.self)
        free[total, default: []].append(at)
    }

    /// A 32-bit word of a record the kernel reads back (credentials). `offset` is umlab's own
    /// (a record offset plus a constant), so the load stays inside the arena; the value is
    /// whatever a TT guest left there.
    @inline(__always) public func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: base.load(fromByteOffset: offset, as: UInt32.self)) }
    @inline(__always) public func setU32(_ offset: Int, _ v: UInt32) { base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self) }

    /// How guests see the arena's file (for TT-mode mappings).
    public var mappable: HostFileRef { HostFileRef(fd: file.raw, writable: true, source: self) }
}

extension KernelArena: MappedFileSource {
    public var mappedSize: UInt64 { UInt64(KernelArena.size) }
    public func readMapped(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(LinuxErrno) -> Int {
        guard offset <= UInt64(Int64.max) else { return 0 }
        return try file.read(into: buffer, at: Int64(offset))
    }
}
