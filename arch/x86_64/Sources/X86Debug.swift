import GuestKernel
import HostOS
import LinuxABI

// The x86-64 side of the debugger interface: hardware debug points in the host's debug
// registers, single steps that never let the host run a guest system call, and the decoding of
// the SIGTRAPs they cause. Software breakpoints need nothing here: a debugger writes int3 with
// `X86AddressSpace.debuggerWrite`, and `X86Context.fault` reports it.
//
// The debug registers are umlab's, never the guest's: a guest reaches the host's ptrace (the
// only way to set them; perf_event_open's breakpoints too) only through umlab's kernel, which
// answers for it, so a guest tracer's PTRACE_POKEUSER of u_debugreg can only become a
// `setDebugPoints` call.

/// Debug points as DR0–DR3 addresses and the DR7 control word (Intel SDM vol. 3, 18.2).
struct X86DebugRegisters: Equatable {
    var addresses: [UInt64] = []
    var control: UInt64 = 0
    /// The point (index into the points given) each slot serves: a watched range the
    /// hardware cannot cover with one register takes several.
    var owners: [Int] = []

    static let slots = 4

    /// The registers for `points`, in order. A watched range is split into naturally aligned
    /// pieces of 8, 4, 2 or 1 bytes, one register each, as gdbserver's x86 code does
    /// (x86_handle_nonaligned_watchpoint): the hardware then catches any access overlapping
    /// [address, address + length). ENOSPC past four registers; EINVAL for what the hardware
    /// cannot watch: an execute point longer than one byte, a range outside `userRange`, and
    /// read-only watchpoints (x86 catches reads only together with writes; gdb then asks for
    /// an access watchpoint and filters, as it does on a native x86 target).
    init(_ points: [DebugPoint], userRange: Range<UInt64>) throws(LinuxErrno) {
        for (i, p) in points.enumerated() {
            let rw: UInt64
            switch p.kind {
            case .execute:
                guard p.length == 1 else { throw .EINVAL }
                rw = 0b00
            case .watch(.write): rw = 0b01
            case .watch(.access): rw = 0b11
            case .watch(.read): throw .EINVAL
            }
            guard p.length > 0 else { throw .EINVAL }
            _ = try GuestMath.range(p.address, length: p.length, within: userRange, else: .EINVAL)
            var at = p.address
            var left = p.length
            while left > 0 {
                // The largest aligned piece that starts here and stays inside the range.
                let size = [8, 4, 2, 1].first { at % $0 == 0 && $0 <= left }!
                guard addresses.count < Self.slots else { throw .ENOSPC }
                let len: UInt64 = size == 1 ? 0b00 : size == 2 ? 0b01 : size == 4 ? 0b11 : 0b10
                let slot = UInt64(addresses.count)
                addresses.append(at)
                owners.append(i)
                // L_i enables the slot; R/W_i and LEN_i describe it.
                control |= 1 << (2 * slot)
                control |= (rw | len << 2) << (16 + 4 * slot)
                at += size      // within userRange: checked above
                left -= size
            }
        }
    }

    /// The points whose status bits (B0–B3 of DR6) are set, first slot first.
    static func hits(_ dr6: UInt64) -> Int? {
        (0..<slots).first { dr6 & (1 << UInt64($0)) != 0 }
    }
}

extension X86Context {
    func setDebugPoints(_ points: [DebugPoint]) throws(LinuxErrno) {
        if points.isEmpty && debugPoints.isEmpty { return }
        let registers = try X86DebugRegisters(points, userRange: backend.userAddressRange)
        // The host reaches the debug registers only in a ptrace stop.
        try materialize()
        try tracee.pokeUser(offset: Tracee.debugRegisterOffset(7), 0)
        for (i, address) in registers.addresses.enumerated() {
            try tracee.pokeUser(offset: Tracee.debugRegisterOffset(i), address)
        }
        if registers.control != 0 { try tracee.pokeUser(offset: Tracee.debugRegisterOffset(7), registers.control) }
        debugPoints = points
    }

    /// The debug point a SIGTRAP stop hit, read from DR6 (which is then cleared, so that a later
    /// int3 or step is not taken for the same hit), or nil. Only called while points are set:
    /// a guest without them pays nothing. A hit execute point leaves rip on the instruction
    /// (the host sets RF, so the thread resumes past it); a watchpoint stops after the access.
    func debugRegisterHit() -> DebugStop? {
        guard !debugPoints.isEmpty,
              let dr6 = try? tracee.peekUser(offset: Tracee.debugRegisterOffset(6)) else { return nil }
        guard let slot = X86DebugRegisters.hits(dr6) else { return nil }
        try? tracee.pokeUser(offset: Tracee.debugRegisterOffset(6), 0)
        // The slot's point: the registers are made again from the points (a pure function of
        // them), which costs nothing until a watched or breakpoint hit.
        guard let registers = try? X86DebugRegisters(debugPoints, userRange: backend.userAddressRange),
              slot < registers.owners.count else { return nil }
        let p = debugPoints[registers.owners[slot]]
        switch p.kind {
        case .execute: return .breakpoint(address: p.address)
        case .watch(let kind): return .watchpoint(kind, address: p.address)
        }
    }

    /// One instruction under PTRACE_SYSEMU_SINGLESTEP, in every mode: a `syscall` stops at its
    /// entry without the host running it (SYSEMU skips the host call and, in seccomp mode,
    /// the filter too), and comes back as `.syscall` with rip after it, as after PTRACE_SYSEMU;
    /// the kernel completes the call and the step is done. A seccomp notification the guest
    /// waits in is first turned into a ptrace stop. In TT mode the next PTRACE_SYSCALL resume
    /// passes that call's exit with a stop of its own, which `run` then skips
    /// (`ttSteppedIntoSyscall`); another step (SYSEMU) or an injected call (CONT) reports none.
    func singleStep() -> Trap {
        do {
            try materialize()
            try flush()
            ttSteppedIntoSyscall = false
            try tracee.resume(.sysemuSingleStep)
        } catch {
            return .lost("cannot single-step: \(error.message)")
        }
        var stop: TraceStop
        while true {
            do { stop = try tracee.waitUninterrupted() } catch { return .lost("waitpid: \(error.message)") }
            backend.stats.stops += 1
            // A PTRACE_INTERRUPT of an earlier run (the tick's) whose stop was still pending
            // comes first; the step has not happened yet.
            guard case .event = stop else { break }
            do { try tracee.resume(.sysemuSingleStep) } catch { return .lost("cannot single-step: \(error.message)") }
        }
        switch stop {
        case .exited, .killed: return ended(stop)
        default: break
        }
        do { try fetchRegisters() } catch { return .lost("registers: \(error.message)") }
        switch stop {
        case .syscall:
            if backend.mode == .tt { ttSteppedIntoSyscall = true }
            return .syscall
        case .signal(5):
            // A step that also hit a watchpoint reports the watchpoint (DR6 holds both).
            if let hit = debugRegisterHit() { return .debug(hit) }
            // TRAP_TRACE: the step; anything else (int3, a kill) goes as a trap would.
            if let info = try? tracee.signalInfo(), info.code == 2 { return .debug(.stepped) }
            return fault(5) ?? .debug(.stepped)
        case .signal(let sig):
            return fault(sig) ?? .preempted
        default:
            return .preempted
        }
    }
}
