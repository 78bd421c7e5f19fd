import Foundation
import Testing
@testable import GuestKernel
import LinuxABI
import SoftMMU

/// What a system call gave a script: a value, or an error number.
enum SysRet: Equatable, CustomStringConvertible {
    case ok(Int)
    case err(LinuxErrno)

    /// The value; throws (failing the test) on an error.
    @discardableResult
    func get(_ what: String = "call", sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        switch self {
        case .ok(let v): return v
        case .err(let e): throw CallFailed(what: what, errno: e, sourceLocation: sourceLocation)
        }
    }
    var errno: LinuxErrno? { if case .err(let e) = self { e } else { nil } }
    var description: String {
        switch self {
        case .ok(let v): "\(v)"
        case .err(let e): "-\(e.name)"
        }
    }
}

struct CallFailed: Error, CustomStringConvertible {
    var what: String, errno: LinuxErrno, sourceLocation: SourceLocation
    var description: String { "\(what) failed with \(errno.name) at \(sourceLocation)" }
}

/// A system call argument: a number, or something the script places in guest memory first.
protocol SysArg { func word(_ g: ScriptThread) throws -> UInt64 }
extension Int: SysArg { func word(_ g: ScriptThread) -> UInt64 { UInt64(bitPattern: Int64(self)) } }
extension Int32: SysArg { func word(_ g: ScriptThread) -> UInt64 { UInt64(bitPattern: Int64(self)) } }
extension UInt32: SysArg { func word(_ g: ScriptThread) -> UInt64 { UInt64(self) } }
extension UInt64: SysArg { func word(_ g: ScriptThread) -> UInt64 { self } }
extension Signal: SysArg { func word(_ g: ScriptThread) -> UInt64 { UInt64(bitPattern: Int64(rawValue)) } }
/// A string argument is a path: a NUL-terminated copy in the script's scratch memory.
extension String: SysArg { func word(_ g: ScriptThread) throws -> UInt64 { try g.cString(self) } }

/// A bump allocator over the scratch area; fork copies it, threads share it.
final class Heap {
    var next: UInt64
    let end: UInt64
    init(base: UInt64, size: UInt64) { next = base; end = base + size }
    init(copying h: Heap) { next = h.next; end = h.end }
    func allocate(_ n: Int, align: UInt64 = 16) throws -> UInt64 {
        let a = (next + align - 1) & ~(align - 1)
        guard a + UInt64(n) <= end else { throw ScratchExhausted() }
        next = a + UInt64(max(n, 1))
        return a
    }
}
struct ScratchExhausted: Error {}

/// One scripted guest thread, as its script sees it: system calls by name (the x86-64 ABI's
/// numbering) and its memory.
final class ScriptThread {
    unowned let harness: ScriptedKernel
    let context: ScriptedContext
    let heap: Heap
    /// A thread of a multi-threaded process (ends with exit, not exit_group).
    let isThread: Bool

    init(harness: ScriptedKernel, context: ScriptedContext, heap: Heap, isThread: Bool) {
        self.harness = harness; self.context = context; self.heap = heap; self.isThread = isThread
    }

    var kernel: Kernel { harness.kernel }
    var memory: SoftMemory { context.memory }
    /// Signals whose handlers (tokens) this thread has entered, in order.
    var caught: [Signal] { context.log.signals }
    var deliveries: [SignalDelivery] { context.log.deliveries }

    // MARK: System calls

    /// Issues the call `name` and waits for its result.
    @discardableResult
    func sys(_ name: String, _ args: any SysArg...) async throws -> SysRet {
        try await call(name, args)
    }

    func call(_ name: String, _ args: [any SysArg]) async throws -> SysRet {
        guard let n = harness.backend.numbers[name] else { throw UnknownCall(name: name) }
        var w = [UInt64](repeating: 0, count: 6)
        for (i, a) in args.enumerated() { w[i] = try a.word(self) }
        switch await context.channel.call(n, SyscallArguments(w[0], w[1], w[2], w[3], w[4], w[5])) {
        case .result(.success(let v)): return .ok(Int(Int64(bitPattern: v)))
        case .result(.failure(let e)): return .err(e)
        case .start, .killed: throw ScriptEnded()
        }
    }
    struct UnknownCall: Error { var name: String }

    /// The end of the script: exit_group (exit for a thread).
    func finish(status: Int) async throws {
        try await sys(isThread ? "exit" : "exit_group", status)
        throw ScriptEnded()
    }

    /// fork(2) with the child's script; returns the child's pid to the parent.
    @discardableResult
    func fork(_ child: @escaping Script) async throws -> SysRet {
        try await spawn(child, sharesMemory: false) { try await self.sys("fork") }
    }

    /// clone(2) with these flags and the child's script.
    @discardableResult
    func clone(_ flags: CloneFlags, signal: Signal? = .SIGCHLD, _ child: @escaping Script) async throws -> SysRet {
        let raw = flags.rawValue | UInt64(signal?.rawValue ?? 0)
        return try await spawn(child, sharesMemory: flags.contains(.vm), thread: flags.contains(.thread)) {
            try await self.sys("clone", raw, 0, 0, 0, 0)
        }
    }

    /// A thread as pthread_create makes one.
    @discardableResult
    func thread(_ child: @escaping Script) async throws -> SysRet {
        try await clone([.vm, .fs, .files, .sighand, .thread, .sysvsem], signal: nil, child)
    }

    private func spawn(_ child: @escaping Script, sharesMemory: Bool, thread: Bool = false,
                       _ issue: () async throws -> SysRet) async throws -> SysRet {
        let channel = ScriptChannel(), log = SignalLog()
        // The child's script starts when the kernel makes the child (it may run the child
        // before the parent sees fork's result).
        let harness = self.harness, heap = self.heap
        context.pendingChild = (channel, log, { ctx in
            harness.launch(child, ScriptThread(harness: harness, context: ctx, heap: sharesMemory ? heap : Heap(copying: heap), isThread: thread))
        })
        let r = try await issue()
        context.pendingChild = nil
        return r
    }

    // MARK: Memory

    func alloc(_ n: Int) throws -> UInt64 { try heap.allocate(n) }

    func cString(_ s: String) throws -> UInt64 { try place(Array(s.utf8) + [0]) }

    /// Copies bytes into fresh scratch memory; returns their address.
    func place(_ bytes: [UInt8]) throws -> UInt64 {
        let a = try alloc(bytes.count)
        try poke(a, bytes)
        return a
    }

    func poke(_ address: UInt64, _ bytes: [UInt8]) throws {
        var failure: LinuxErrno?
        bytes.withUnsafeBytes { p in
            do { try memory.write(address, from: p) } catch { failure = error as? LinuxErrno ?? .EFAULT }
        }
        if let failure { throw failure }
    }

    func peek(_ address: UInt64, _ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var failure: LinuxErrno?
        out.withUnsafeMutableBytes { p in
            do { try memory.read(address, into: p) } catch { failure = error as? LinuxErrno ?? .EFAULT }
        }
        if let failure { throw failure }
        return out
    }

    func u32(_ address: UInt64) throws -> UInt32 { le(try peek(address, 4)).truncatedU32 }
    func i32(_ address: UInt64) throws -> Int32 { Int32(bitPattern: try u32(address)) }
    func u64(_ address: UInt64) throws -> UInt64 { le(try peek(address, 8)) }
    func i64(_ address: UInt64) throws -> Int64 { Int64(bitPattern: try u64(address)) }
    func setU32(_ address: UInt64, _ v: UInt32) throws { try poke(address, ScriptThread.bytes(UInt64(v), 4)) }
    func setU64(_ address: UInt64, _ v: UInt64) throws { try poke(address, ScriptThread.bytes(v, 8)) }

    private func le(_ b: [UInt8]) -> UInt64 { b.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) } }
    static func bytes(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
}

extension UInt64 { var truncatedU32: UInt32 { UInt32(truncatingIfNeeded: self) } }
