import Foundation
@testable import ArchX86_64
@testable import GuestKernel
import HostOS
import LinuxABI
import SoftMMU

/// A backend whose guests are Swift scripts (see `ScriptedContext`). ScriptThread memory is SoftMMU's;
/// the ABI, syscall numbers included, is x86-64's, so `struct stat` and friends have the layout
/// a real x86-64 program sees and an execve of an x86-64 ELF file loads it.
final class ScriptedBackend: Backend {
    /// No target description: gdb falls back to its default for the architecture it is told.
    var gdbTargetDescription: String? { nil }
    let name = "scripted"
    let elfMachine: UInt16 = 62
    let abi = X86ABI.make()
    let supportedModes: [IsolationMode] = [.skas]
    let userAddressRange: Range<UInt64> = 0x10000..<0x7fff_ffff_f000
    var counters: [String: UInt64] { [:] }
    /// Where a handler frame would go; scripts have no stack.
    static let stackPointer: UInt64 = 0x7fff_0000_0000
    /// rt_sigreturn's number in this ABI: what a handler token "returns" with.
    let sigreturnNumber: Int
    /// Numbers of the calls by name.
    let numbers: [String: Int]
    /// The first thread's script plumbing, taken by `makeInitialContext`.
    var initial: (ScriptChannel, SignalLog)?
    /// After this (monotonic ns) every scripted task is killed: a hung test fails, never hangs.
    var watchdog: UInt64 = .max
    var watchdogExpired: Bool { Host.monotonicNanoseconds() > watchdog }

    init() {
        var numbers: [String: Int] = [:]
        for (n, e) in abi.syscalls.entries.enumerated() { if let e { numbers[e.name] = n } }
        self.numbers = numbers
        sigreturnNumber = numbers["rt_sigreturn"]!
    }

    func makeInitialContext(mode: IsolationMode, kernel: Kernel) throws(LinuxErrno) -> any ExecutionContext {
        guard let (channel, log) = initial else { throw .EINVAL }
        initial = nil
        return ScriptedContext(backend: self, memory: try SoftMemory.make(), channel: channel, log: log)
    }

    func disassemble(_ bytes: [UInt8], address: UInt64) -> (text: String, length: Int)? { nil }
}

/// Signal deliveries to one scripted thread, in order.
final class SignalLog {
    private(set) var deliveries: [SignalDelivery] = []
    func record(_ d: SignalDelivery) { deliveries.append(d) }
    var signals: [Signal] { deliveries.map(\.signal) }
}
