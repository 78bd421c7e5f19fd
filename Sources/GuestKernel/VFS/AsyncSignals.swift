import HostOS
import LinuxABI

// O_ASYNC: a file with the flag and an owner sends the owner SIGIO (or the F_SETSIG signal,
// with si_fd and si_band) when it becomes readable or writable. Linux does it in each driver
// (kill_fasync); here it is one mechanism for every file with a wait queue: a standing
// `WaitWatcher` on the queue, present only while the flag is set, turns the queue's
// notifications into signals. Pipes, the console and sockets get it without code of their own.

/// Linux's struct fown_struct: who gets a file's O_ASYNC signals (F_SETOWN, F_SETOWN_EX), which
/// signal (F_SETSIG), and, while O_ASYNC is set, the watcher on the file's wait queue.
final class FileOwner {
    /// F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP.
    enum Kind: Int32 { case thread = 0, process = 1, group = 2 }
    /// A new file's owner is a zeroed fown_struct on Linux: kind F_OWNER_TID, nobody.
    var kind = Kind.thread
    /// The thread, process or process group; 0: nobody, no signal is sent.
    var id: Int32 = 0
    /// F_SETSIG's signal; 0 is plain SIGIO without si_fd (Linux's default).
    var signal: Int32 = 0
    /// While O_ASYNC is set: the watcher, the queue it is on, and the descriptor si_fd reports
    /// (the one O_ASYNC was set through, as Linux's fasync_struct keeps it).
    var watch: (watcher: WaitWatcher, queue: WaitQueue, fd: Int32)?

    func stopWatching() {
        guard let w = watch else { return }
        w.queue.removeWatcher(w.watcher)
        watch = nil
    }

    /// si_band for POLL_IN, POLL_OUT and POLL_MSG (Linux's band_table): POLLIN|POLLRDNORM,
    /// POLLOUT|POLLWRNORM|POLLWRBAND, POLLIN|POLLRDNORM|POLLMSG.
    static let bands: [Int32: Int64] = [SignalCode.POLL_IN: 0x41, SignalCode.POLL_OUT: 0x304, SignalCode.POLL_MSG: 0x441]
    /// Signals with si_codes of their own: F_SETSIG to one of them reports SI_SIGIO instead of
    /// POLL_IN/POLL_OUT (Linux's sig_specific_sicodes).
    static let ownCodes: [Signal] = [.SIGILL, .SIGFPE, .SIGSEGV, .SIGBUS, .SIGTRAP, .SIGCHLD, .SIGSYS]
}

extension OpenFile {
    /// The owner state, made on first use.
    var ownership: FileOwner {
        if let o = owner { return o }
        let o = FileOwner()
        owner = o
        return o
    }
}

extension Kernel {
    /// O_ASYNC was set or cleared on `file` through descriptor `fd` (F_SETFL, FIOASYNC).
    func asyncChanged(_ file: OpenFile, fd: Int32) {
        guard file.flags.contains(.async) else { file.owner?.stopWatching(); return }
        guard file.sendsAsyncSignals, let q = file.waitQueue, file.owner?.watch == nil else { return }
        var events: PollEvents = []
        if file.flags.canRead { events.insert([.input, .readNormal, .hangUp]) }
        if file.flags.canWrite { events.insert([.output, .writeNormal, .error]) }
        let w = WaitWatcher(events: events, needsHostEvents: true) { [unowned self, weak file] ev in
            if let file { self.sendAsyncSignals(file, ev) }
        }
        file.ownership.watch = (w, q, fd)
        q.addWatcher(w)
    }

    /// The file's queue notified `events`: POLL_IN for a readable side, POLL_OUT for a writable
    /// one (a pipe's read end hears writes, its write end reads), to the owner if there is one.
    func sendAsyncSignals(_ file: OpenFile, _ events: PollEvents) {
        guard let owner = file.owner, owner.id != 0, let fd = owner.watch?.fd else { return }
        if file.flags.canRead && !events.isDisjoint(with: [.input, .readNormal, .hangUp]) {
            sendIO(owner, reason: SignalCode.POLL_IN, fd: fd)
        }
        if file.flags.canWrite && !events.isDisjoint(with: [.output, .writeNormal, .error]) {
            sendIO(owner, reason: SignalCode.POLL_OUT, fd: fd)
        }
    }

    /// Linux's send_sigio: plain SIGIO from the kernel, or the F_SETSIG signal with the reason,
    /// band and descriptor, to the owning thread, process or every process of the group.
    func sendIO(_ owner: FileOwner, reason: Int32, fd: Int32) {
        var info: SignalInfo
        if owner.signal == 0 {
            info = SignalInfo(signal: .SIGIO, code: SignalCode.SI_KERNEL)
        } else {
            let sig = Signal(owner.signal)
            info = SignalInfo(signal: sig, code: FileOwner.ownCodes.contains(sig) ? SignalCode.SI_SIGIO : reason)
            info.band = FileOwner.bands[reason] ?? 0
            info.fd = fd
        }
        switch owner.kind {
        case .thread:
            if let t = tasks[owner.id] { send(info, to: t) }
        case .process:
            if let p = processes[owner.id], p !== initProcess { send(info, to: p) }
        case .group:
            let members = processes.values.filter { $0.pgid == owner.id && !$0.zombie && $0 !== initProcess }
            for p in members.sorted(by: { $0.pid < $1.pid }) { send(info, to: p) }
        }
    }

    /// Whether `id` names a thread, process, process group or session (Linux's find_vpid).
    func pidInUse(_ id: Int32) -> Bool {
        tasks[id] != nil || processes[id].map { !$0.reaped } == true
            || processes.values.contains { $0.pgid == id || $0.sid == id }
    }
}

extension CoreSyscalls {
    /// fcntl's owner commands: F_SETOWN (8), F_GETOWN (9), F_SETSIG (10), F_GETSIG (11),
    /// F_SETOWN_EX (15), F_GETOWN_EX (16), with Linux's checks (f_setown, f_setown_ex).
    static func fcntlOwner(_ c: SyscallCall, _ f: OpenFile, _ cmd: Int32) throws(LinuxErrno) -> SyscallOutcome {
        switch cmd {
        case 8:
            let who = c.int(2)
            guard who != Int32.min else { throw .EINVAL }
            let id = who < 0 ? -who : who
            guard id == 0 || c.kernel.pidInUse(id) else { throw .ESRCH }
            let o = f.ownership
            o.kind = who < 0 ? .group : .process
            o.id = id
            return .zero
        case 9:
            guard let o = f.owner else { return .zero }
            return .int(Int(o.kind == .group ? -o.id : o.id))
        case 10:
            let sig = c.int(2)
            guard sig >= 0, sig <= Signal.max else { throw .EINVAL }
            f.ownership.signal = sig
            return .zero
        case 11:
            return .int(Int(f.owner?.signal ?? 0))
        case 15:
            var d = GuestDecoder(try c.mm.read(c.word(2), count: 8), c.abi)
            let type = d.i32(), pid = d.i32()
            guard let kind = FileOwner.Kind(rawValue: type) else { throw .EINVAL }
            guard pid == 0 || (pid > 0 && c.kernel.pidInUse(pid)) else { throw .ESRCH }
            let o = f.ownership
            o.kind = kind
            o.id = pid
            return .zero
        default:  // 16
            var e = GuestEncoder(c.abi)
            e.i32(f.owner?.kind.rawValue ?? FileOwner.Kind.thread.rawValue)
            e.i32(f.owner?.id ?? 0)
            try c.mm.write(c.word(2), e.bytes)
            return .zero
        }
    }
}
