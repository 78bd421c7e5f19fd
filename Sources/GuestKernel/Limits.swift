import HostOS
import LinuxABI

/// The limits of one guest machine, cgroup-like: the kernel enforces them on everything the
/// guest does, whatever the backend (`umlab run --memory/--pids/--nofile`). The defaults protect
/// a shared machine: a guest cannot take more than a quarter of the host's memory, fork without
/// bound or make umlab hold descriptors until the host refuses them.
public struct MachineLimits: Sendable {
    /// Bytes of memory the guest may use: private anonymous memory in use, tmpfs and shared
    /// anonymous memory, pipe buffers and the interpreters' page tables and decoded code
    /// (see `MemoryController` and docs/design.md, "Limits").
    public var memory: UInt64
    /// Processes and threads alive at once (Linux's pids.max): clone beyond it gets EAGAIN.
    public var pids: Int = 1024
    /// The ceiling on RLIMIT_NOFILE (Linux's fs.nr_open): setrlimit/prlimit past it is EPERM.
    public var nofile: UInt64 = 4096
    /// Host descriptors the kernel keeps open for guest objects (hostfs files, tmpfs and shared
    /// memory files), whatever the guest opens: hostfs files beyond it are reopened on demand.
    public var hostDescriptors: Int = 256

    /// The defaults: a quarter of the host's memory, 1024 tasks, RLIMIT_NOFILE up to 4096.
    public init() {
        memory = MachineLimits.defaultMemory
    }

    public static var defaultMemory: UInt64 {
        let total = Host.physicalMemory
        return total > 0 ? total / 4 : 1 << 30
    }
}

/// Counters of the limits for --stats-json.
public struct LimitStats: Sendable {
    /// Calls refused for want of memory (mmap, brk, fork, exec, tmpfs and pipe writes).
    public var enomem: UInt64 = 0
    /// Processes killed by the OOM policy, and a line per kill.
    public var oomKills: UInt64 = 0
    public var oomLog: [String] = []
    /// clone/fork/vfork refused at the task limit (or RLIMIT_NPROC).
    public var eagain: UInt64 = 0
    /// Most tasks (processes and threads) alive at once.
    public var tasksPeak: Int = 0
    /// Descriptor allocations refused at RLIMIT_NOFILE.
    public var emfile: UInt64 = 0
    /// Most host descriptors the kernel held for guest objects at once.
    public var hostDescriptorsPeak: Int = 0
}

/// The machine's memory account (a memory cgroup of one): what the guest uses, by kind, against
/// one limit.
///
/// Two kinds of charge, as in Linux's memcg:
/// - memory a system call allocates now (a tmpfs write, a pipe buffer, shared memory, a fork's
///   copy) is charged with `tryCharge`: past the limit the call fails with ENOMEM;
/// - a page the guest touches (a fault) is charged with `chargeFault`: past the limit the page
///   is refused and the OOM policy runs before the guest goes on (`oomRequested`), killing the
///   process that uses the most memory with SIGKILL.
/// Backends whose guests are host processes cannot see faults; they report what they measure
/// with `account`, which never refuses but requests the OOM policy when usage is past the limit.
public final class MemoryController {
    public enum Kind: Int, CaseIterable, Sendable {
        /// Private anonymous memory in use (touched pages; host RSS on x86-64).
        case anonymous
        /// tmpfs file data and shared anonymous memory.
        case shmem
        /// Pipe buffers.
        case pipes
        /// The interpreters' page tables and decoded-code caches.
        case kernel
        /// Socket buffers.
        case sockets
        public var name: String { ["anon", "shmem", "pipes", "kernel", "sockets"][rawValue] }
    }

    public let limit: UInt64
    public private(set) var usage: UInt64 = 0
    public private(set) var peak: UInt64 = 0
    public private(set) var byKind = [UInt64](repeating: 0, count: Kind.allCases.count)
    /// A fault could not be charged: the kernel runs the OOM policy before any guest code.
    public internal(set) var oomRequested = false
    public internal(set) var stats = LimitStats()

    public init(limit: UInt64) { self.limit = limit }

    /// Whether `bytes` more would fit under the limit.
    public func fits(_ bytes: UInt64) -> Bool { bytes <= limit && usage <= limit - bytes }

    /// Charges memory a system call needs now; false (the call fails with ENOMEM) past the limit.
    public func tryCharge(_ bytes: UInt64, _ kind: Kind) -> Bool {
        guard fits(bytes) else { stats.enomem += 1; return false }
        add(bytes, kind)
        return true
    }

    /// Charges a page the guest touches; false past the limit, and the OOM policy is requested.
    public func chargeFault(_ bytes: UInt64, _ kind: Kind) -> Bool {
        guard fits(bytes) else { oomRequested = true; return false }
        add(bytes, kind)
        return true
    }

    /// Charges what a backend measured or had to allocate anyway (page tables, host RSS): never
    /// refused; past the limit the OOM policy is requested.
    public func account(_ bytes: UInt64, _ kind: Kind) {
        add(bytes, kind)
        if usage > limit { oomRequested = true }
    }

    public func uncharge(_ bytes: UInt64, _ kind: Kind) {
        let n = min(bytes, byKind[kind.rawValue])
        byKind[kind.rawValue] -= n
        usage -= n
    }

    private func add(_ bytes: UInt64, _ kind: Kind) {
        byKind[kind.rawValue] += bytes
        usage += bytes
        peak = max(peak, usage)
    }

    func noteOOMKill(_ line: String) {
        stats.oomKills += 1
        if stats.oomLog.count < 64 { stats.oomLog.append(line) }
    }
    func noteEAGAIN() { stats.eagain += 1 }
    func noteTasks(_ n: Int) { stats.tasksPeak = max(stats.tasksPeak, n) }
    func noteEMFILE() { stats.emfile += 1 }
    func noteENOMEM() { stats.enomem += 1 }
}

extension Kernel {
    /// The OOM policy, as Linux's OOM killer: the process whose address space holds the most
    /// memory gets SIGKILL (its parent sees WIFSIGNALED, SIGKILL). Runs between guest
    /// instructions, after a fault could not be charged or a sample passed the limit.
    /// Returns the process killed, or nil when no process holds memory to free.
    @discardableResult
    func runOOMPolicy() -> Process? {
        memory.oomRequested = false
        var best: (Process, UInt64)?
        var seen = Set<ObjectIdentifier>()
        for p in processes.values where !p.zombie && p !== initProcess {
            guard let t = p.mainThread, seen.insert(ObjectIdentifier(t.mm.space)).inserted else { continue }
            let bytes = t.mm.space.chargedBytes
            if best == nil || bytes > best!.1 { best = (p, bytes) }
        }
        guard let (victim, bytes) = best, bytes > 0, let thread = victim.mainThread else { return nil }
        let line = "umlab: out of memory (limit \(memory.limit) bytes, in use \(memory.usage)): killed process \(victim.pid) (\(victim.comm)), \(bytes) bytes"
        Host.diagnostic(line)
        memory.noteOOMKill(line)
        exitTask(thread, status: Signal.SIGKILL.rawValue, groupExit: true, bySignal: true)
        return victim
    }
}
