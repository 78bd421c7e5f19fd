import HostOS
import LinuxABI

// Pseudo-terminals, after Linux's drivers/tty/pty.c and n_tty.c: /dev/ptmx opens a master and
// makes /dev/pts/N (devpts); the slave is a terminal with the line discipline (Termios.swift)
// between the two ends, a session, a foreground process group and job control. One wait queue
// per pair serves readers, writers and pollers of both ends.

/// The machine's pseudo-terminals by number, and the bound on how many exist at once
/// (/proc/sys/kernel/pty/max: opening /dev/ptmx past it gives ENOSPC, as Linux's
/// devpts_new_index does).
public final class PtyTable {
    /// Linux's default pty_limit.
    public static let defaultMaximum = 4096
    public var maximum = PtyTable.defaultMaximum
    /// Pairs whose master is open: /dev/pts lists them.
    private(set) var listed: [Int: PseudoTerminal] = [:]
    /// Numbers in use: a pair keeps its number until both ends are closed.
    private var used = Set<Int>()
    /// Where the slaves' inodes live (set when devpts is made).
    weak var fileSystem: DevPtsFS?

    public init() {}

    /// Pairs in existence (/proc/sys/kernel/pty/nr).
    public var count: Int { used.count }
    var listedNumbers: [Int] { listed.keys.sorted() }
    func terminal(_ number: Int) -> PseudoTerminal? { listed[number] }

    /// A new pair with the lowest free number.
    func open(kernel: Kernel, owner: Credentials) throws(LinuxErrno) -> PseudoTerminal {
        guard used.count < maximum, let fs = fileSystem else { throw .ENOSPC }
        var n = 0
        while used.contains(n) { n += 1 }
        used.insert(n)
        let pty = PseudoTerminal(index: n, kernel: kernel, fs: fs, owner: owner)
        listed[n] = pty
        return pty
    }
    /// The master closed: /dev/pts/N disappears.
    func unlist(_ pty: PseudoTerminal) { listed[pty.index] = nil }
    /// Both ends closed: the number is free again.
    func free(_ pty: PseudoTerminal) { used.remove(pty.index) }
}

/// `struct winsize`: four unsigned shorts, the same on every ISA.
public struct WindowSize: Equatable {
    public var rows: UInt16 = 0, columns: UInt16 = 0, xPixels: UInt16 = 0, yPixels: UInt16 = 0
    public init() {}
    public init(_ d: inout GuestDecoder) { rows = d.u16(); columns = d.u16(); xPixels = d.u16(); yPixels = d.u16() }
    /// The host kernel's layout (host byte order), as TIOCGWINSZ fills it on the console.
    public init(hostBytes b: [UInt8]) {
        func half(_ i: Int) -> UInt16 { UInt16(b[2 * i]) | UInt16(b[2 * i + 1]) << 8 }
        rows = half(0); columns = half(1); xPixels = half(2); yPixels = half(3)
    }
    public func encode(_ e: inout GuestEncoder) { e.u16(rows); e.u16(columns); e.u16(xPixels); e.u16(yPixels) }
}

/// A process's controlling terminal (Linux's signal->tty).
public enum ControllingTerminal {
    /// None: setsid(2) left it, or a hangup took it; /dev/tty gives ENXIO.
    case none
    /// umlab's own standard input and output (the first program's, and what it passes on).
    case console
    case pty(PseudoTerminal)
}

/// One master/slave pair.
public final class PseudoTerminal {
    public let index: Int
    var discipline = LineDiscipline()
    /// What the slave's programs wrote (output-processed) and the echo, for the master to read.
    private(set) var toMaster: [UInt8] = []
    /// The most `toMaster` holds before the slave's writers wait for the master to read.
    static let outputCapacity = 16384
    var windowSize = WindowSize()
    /// Set at open; TIOCSPTLCK (unlockpt) clears it. A locked slave cannot be opened (EIO).
    var locked = true
    var masterOpen = true
    var slaveOpens = 0
    /// The slave was opened and all its descriptions are closed (Linux's TTY_OTHER_CLOSED):
    /// master reads get EIO once drained, polls POLLHUP. Opening the slave again clears it.
    var slaveClosed = false
    /// The session whose controlling terminal this is, and its foreground process group.
    var session: Int32?
    var foregroundGroup: Int32?
    /// When input last arrived (VTIME's inter-byte timer), monotonic ns.
    var lastInput: UInt64 = 0
    let queue = WaitQueue()
    unowned let kernel: Kernel
    private(set) var slaveNode: PtySlaveNode!

    init(index: Int, kernel: Kernel, fs: DevPtsFS, owner: Credentials) {
        self.index = index; self.kernel = kernel
        slaveNode = PtySlaveNode(fs: fs, pty: self, uid: owner.fsuid)
    }

    var name: String { "/dev/pts/\(index)" }

    // MARK: data

    /// The master writes: input for the slave's line discipline.
    func masterWrite(_ bytes: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        if bytes.isEmpty { return 0 }
        var fx = LineDiscipline.Effects()
        let wasStopped = discipline.outputStopped
        let n = discipline.receive(bytes, effects: &fx)
        if n == 0 { throw .EAGAIN }
        lastInput = Host.monotonicNanoseconds()
        if fx.flushOutput {
            // ISIG without NOFLSH: n_tty flushed its input and the output (both reported).
            toMaster.removeAll()
            notePacket(PseudoTerminal.packetFlushRead | PseudoTerminal.packetFlushWrite)
        }
        toMaster += fx.echo
        for s in fx.signals { signalForeground(s) }
        flowChanged(from: wasStopped)
        queue.notify([.input, .readNormal])
        return n
    }

    /// The master reads what the slave wrote; EIO once the slave is gone and nothing is left.
    /// In packet mode a pending status is one byte alone, and data comes after a
    /// TIOCPKT_DATA (0) byte (n_tty_read).
    func masterRead(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        if buffer.isEmpty { return 0 }
        if packetMode && packetStatus != 0 {
            buffer[0] = packetStatus
            packetStatus = 0
            return 1
        }
        if toMaster.isEmpty { throw slaveClosed ? .EIO : .EAGAIN }
        let skip = packetMode ? 1 : 0
        if packetMode { buffer[0] = 0 }
        let n = min(buffer.count - skip, toMaster.count)
        toMaster.withUnsafeBytes { (buffer.baseAddress! + skip).copyMemory(from: $0.baseAddress!, byteCount: n) }
        toMaster.removeFirst(n)
        queue.notify([.output, .writeNormal])
        return n + skip
    }

    // MARK: packet mode

    /// TIOCPKT on the master: its reads are packets (`masterRead`). The slave's own flag is
    /// only kept for TIOCGPKT (Linux's slave packet mode reports the master's flushes, which
    /// nothing here uses).
    var packetMode = false
    var slavePacketMode = false
    /// Status bits for the master's next read in packet mode (Linux's ctrl.pktstatus).
    private(set) var packetStatus: UInt8 = 0
    static let packetFlushRead: UInt8 = 1, packetFlushWrite: UInt8 = 2, packetStop: UInt8 = 4, packetStart: UInt8 = 8
    static let packetNoStop: UInt8 = 16, packetDoStop: UInt8 = 32

    func setPacketMode(_ on: Bool) {
        if on && !packetMode { packetStatus = 0 }
        packetMode = on
    }

    /// Records `bits` for a master in packet mode and wakes its readers (POLLPRI).
    private func notePacket(_ bits: UInt8, clearing: UInt8 = 0) {
        guard packetMode else { return }
        packetStatus = packetStatus & ~clearing | bits
        queue.notify([.input, .readNormal, .priority])
    }

    /// The slave's output stopped or started (^S/^Q, TCXONC): TIOCPKT_STOP or TIOCPKT_START.
    func flowChanged(from wasStopped: Bool) {
        let stopped = discipline.outputStopped
        guard stopped != wasStopped else { return }
        if stopped {
            notePacket(PseudoTerminal.packetStop, clearing: PseudoTerminal.packetStart)
        } else {
            notePacket(PseudoTerminal.packetStart, clearing: PseudoTerminal.packetStop)
        }
    }

    /// The slave's programs write: output processing, then the master's input. A hung-up
    /// slave gives EIO.
    func slaveWrite(_ bytes: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        guard masterOpen else { throw .EIO }
        if bytes.isEmpty { return 0 }
        let room = PseudoTerminal.outputCapacity - toMaster.count
        guard room > 0, !discipline.outputStopped else { throw .EAGAIN }
        let n = discipline.output(bytes, into: &toMaster, room: room)
        if n == 0 { throw .EAGAIN }
        queue.notify([.input, .readNormal])
        return n
    }

    /// Whether a slave read finds input: a whole line in canonical mode; otherwise any byte,
    /// or VMIN of them when poll asks and VTIME is 0 (n_tty's input_available_p).
    func slaveInputAvailable(forPoll: Bool) -> Bool {
        let t = discipline.termios
        if t.has(TermiosBits.ICANON) { return discipline.readable > 0 }
        let min = Int(t.cc[TermiosBits.VMIN])
        let need = forPoll && t.cc[TermiosBits.VTIME] == 0 && min > 0 ? min : 1
        return discipline.readable >= need
    }

    /// Takes what a slave read gets now (the caller decided it should not wait).
    func slaveTake(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = discipline.read(into: buffer)
        queue.notify([.output, .writeNormal])
        return n
    }

    /// Drops the slave's pending input and/or its output the master has not read. Asked of the
    /// slave (`bySlave`), a master in packet mode hears of it (TIOCPKT_FLUSHREAD/FLUSHWRITE);
    /// the master's own flushes would be reported to a slave in packet mode, which is not kept.
    func flush(input: Bool, output: Bool, bySlave: Bool = true) {
        if input { discipline.flushInput() }
        if output { toMaster.removeAll() }
        if bySlave {
            notePacket((input ? PseudoTerminal.packetFlushRead : 0) | (output ? PseudoTerminal.packetFlushWrite : 0))
        }
        queue.notify([.output, .writeNormal])
    }

    /// The pair's locked termios (TIOCSLCKTRMIOS): a set bit of a flag word, a nonzero c_line
    /// or control character keeps the current value whatever TCSETS* asks (Linux's
    /// unset_locked_termios). All zero: nothing locked.
    var lockedTermios = Termios()

    func setTermios(_ requested: Termios) {
        let old = discipline.termios, lock = lockedTermios
        var t = requested
        func keep(_ new: UInt32, _ old: UInt32, _ mask: UInt32) -> UInt32 { new & ~mask | old & mask }
        t.iflag = keep(t.iflag, old.iflag, lock.iflag); t.oflag = keep(t.oflag, old.oflag, lock.oflag)
        t.cflag = keep(t.cflag, old.cflag, lock.cflag); t.lflag = keep(t.lflag, old.lflag, lock.lflag)
        if lock.line != 0 { t.line = old.line }
        for i in t.cc.indices where lock.cc[i] != 0 { t.cc[i] = old.cc[i] }
        let wasStopped = discipline.outputStopped
        discipline.set(t)
        // pty_set_termios: whether ^S/^Q flow control is on (IXON with the usual characters)
        // changed: TIOCPKT_DOSTOP or TIOCPKT_NOSTOP.
        func flowControl(_ t: Termios) -> Bool {
            t.iflag & TermiosBits.IXON != 0 && t.cc[TermiosBits.VSTOP] == 0x13 && t.cc[TermiosBits.VSTART] == 0x11
        }
        if flowControl(old) != flowControl(t) {
            let both = PseudoTerminal.packetDoStop | PseudoTerminal.packetNoStop
            notePacket(flowControl(t) ? PseudoTerminal.packetDoStop : PseudoTerminal.packetNoStop, clearing: both)
        }
        flowChanged(from: wasStopped)
        queue.notify([.input, .readNormal, .output, .writeNormal])
    }

    /// TIOCSTI: a byte taken as if it had been typed, into the input of the end it was asked
    /// of (the slave's line discipline, or what the master reads).
    func simulateInput(_ byte: UInt8, master: Bool) {
        if master {
            toMaster.append(byte)
            queue.notify([.input, .readNormal])
            return
        }
        _ = withUnsafeBytes(of: byte) { try? masterWrite($0) }
    }

    // MARK: sessions and signals

    /// Signals the foreground process group (ISIG characters, SIGWINCH).
    func signalForeground(_ signal: Signal) {
        if let g = foregroundGroup { kernel.signalGroup(g, signal) }
    }

    /// Linux's __tty_check_change for `task` about to read (SIGTTIN) or write or change the
    /// terminal (SIGTTOU): a process of a background group of the session gets the signal, sent
    /// to its whole group, and the call restarts once it is foreground (true). An ignored or
    /// blocked signal lets the call go on, but a read gets EIO; so does an orphaned group,
    /// which no shell would continue.
    func jobControl(_ task: Task, _ signal: Signal) throws(LinuxErrno) -> Bool {
        guard case .pty(let t) = task.process.controllingTerminal, t === self,
              let fg = foregroundGroup, fg != task.process.pgid else { return false }
        if task.handlers.actions[Int(signal.rawValue)].handler == SignalHandlers.Action.ignoreHandler
            || task.signalMask.contains(signal) {
            if signal == .SIGTTIN { throw .EIO }
            return false
        }
        if kernel.isOrphaned(group: task.process.pgid) { throw .EIO }
        kernel.signalGroup(task.process.pgid, signal)
        return true
    }

    /// Job control for an ioctl that changes the terminal: the wait the dispatcher takes while
    /// the signal stops the caller (the call restarts after it).
    func checkChange(_ task: Task) throws(LinuxErrno) {
        if try jobControl(task, .SIGTTOU) {
            task.deferredWait = Wait()
            throw .ERESTARTSYS
        }
    }

    /// Makes this the controlling terminal of `process`'s session (TIOCSCTTY, or a session
    /// leader's first open): its group becomes the foreground one.
    func becomeControlling(of process: Process) {
        session = process.sid
        foregroundGroup = process.pgid
        process.controllingTerminal = .pty(self)
    }

    /// Leaves the session it controls: every process of the session loses it.
    func leaveSession() {
        guard let sid = session else { return }
        for p in kernel.processes.values where p.sid == sid {
            if case .pty(let t) = p.controllingTerminal, t === self { p.controllingTerminal = .none }
        }
        session = nil
        foregroundGroup = nil
    }

    // MARK: ends

    func slaveOpened() {
        slaveOpens += 1
        slaveClosed = false
        queue.notify([.output, .writeNormal])
    }

    func slaveReleased() {
        slaveOpens -= 1
        guard slaveOpens == 0 else { return }
        slaveClosed = true
        queue.notify([.input, .hangUp])
        if !masterOpen { kernel.ptys.free(self) }
    }

    /// The master's last description closed: the slave hangs up (Linux's tty_vhangup): its
    /// session leader gets SIGHUP and SIGCONT, the session loses its terminal, reads give 0 and
    /// writes EIO; /dev/pts/N disappears.
    func masterReleased() {
        masterOpen = false
        kernel.ptys.unlist(self)
        if let sid = session, let leader = kernel.processes[sid], !leader.zombie {
            for s in [Signal.SIGHUP, .SIGCONT] { kernel.send(SignalInfo(signal: s, code: SignalCode.SI_KERNEL), to: leader) }
        }
        leaveSession()
        queue.notify([.input, .output, .hangUp, .error, .readNormal, .writeNormal])
        if slaveOpens == 0 { kernel.ptys.free(self) }
    }
}

extension Kernel {
    /// Sends `signal` from the kernel to every process of a group (Linux's kill_pgrp).
    func signalGroup(_ group: Int32, _ signal: Signal) {
        var info = SignalInfo(signal: signal, code: SignalCode.SI_KERNEL)
        info.senderPID = 0
        for p in processes.values where p.pgid == group && !p.zombie { send(info, to: p) }
    }

    /// Linux's will_become_orphaned_pgrp: no member has a parent in another group of the same
    /// session (init's children do not count).
    func isOrphaned(group: Int32) -> Bool {
        for p in processes.values where p.pgid == group && !p.zombie {
            guard let parent = p.parent, parent !== initProcess else { continue }
            if parent.pgid != group && parent.sid == p.sid { return false }
        }
        return true
    }

    /// A session leader exits (Linux's disassociate_ctty(1)): a pseudo-terminal it controls
    /// sends SIGHUP to its foreground group and belongs to no session any more.
    func sessionLeaderExited(_ process: Process) {
        guard process.pid == process.sid, case .pty(let t) = process.controllingTerminal else { return }
        if let g = t.foregroundGroup { signalGroup(g, .SIGHUP) }
        t.leaveSession()
    }
}

// MARK: - Open files

/// The master side: /dev/ptmx opened (or TIOCGPTPEER's peer's partner).
public final class PtyMasterFile: OpenFile {
    let pty: PseudoTerminal
    init(pty: PseudoTerminal, flags: OpenFlags, path: String, inode: Inode) {
        self.pty = pty
        super.init(inode: inode, flags: flags, path: path)
    }
    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        try pty.masterRead(into: buffer)
    }
    public override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        try pty.masterWrite(buffer)
    }
    public override func poll() -> PollEvents {
        var ev: PollEvents = []
        if !pty.toMaster.isEmpty { ev.insert([.input, .readNormal]) }
        if pty.packetMode && pty.packetStatus != 0 { ev.insert([.input, .readNormal, .priority]) }
        if pty.slaveClosed { ev.insert(.hangUp) }
        if pty.discipline.hasRoom { ev.insert([.output, .writeNormal]) }
        return ev
    }
    public override var waitQueue: WaitQueue? { pty.queue }
    public override var bytesReadable: Int { pty.toMaster.count }
    public override func release() { pty.masterReleased() }
    public override func ioctl(_ request: UInt32, _ argument: UInt64, task: Task, kernel: Kernel) throws(LinuxErrno) -> UInt64 {
        try kernel.ptyIoctl(pty, master: true, request, argument, task: task)
    }
}

/// The slave side: /dev/pts/N, or /dev/tty of a process it controls.
public final class PtySlaveFile: OpenFile {
    let pty: PseudoTerminal
    init(pty: PseudoTerminal, flags: OpenFlags, path: String, inode: Inode) {
        self.pty = pty
        super.init(inode: inode, flags: flags, path: path)
        pty.slaveOpened()
    }
    /// Reads that do not wait (the read syscalls go through `CoreSyscalls.terminalRead`, which
    /// applies job control, VMIN and VTIME).
    public override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int {
        guard pty.masterOpen else { return 0 }
        guard pty.slaveInputAvailable(forPoll: false) else { throw .EAGAIN }
        return pty.slaveTake(into: buffer)
    }
    public override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int {
        try pty.slaveWrite(buffer)
    }
    public override func poll() -> PollEvents {
        // A hung-up terminal is readable (EOF), writable (EIO) and says so (hung_up_tty_poll).
        guard pty.masterOpen else { return [.input, .readNormal, .output, .writeNormal, .error, .hangUp] }
        var ev: PollEvents = []
        if pty.slaveInputAvailable(forPoll: true) { ev.insert([.input, .readNormal]) }
        if pty.toMaster.count < PseudoTerminal.outputCapacity && !pty.discipline.outputStopped { ev.insert([.output, .writeNormal]) }
        return ev
    }
    public override var waitQueue: WaitQueue? { pty.queue }
    public override var bytesReadable: Int { pty.discipline.readable }
    public override func release() { pty.slaveReleased() }
    public override func ioctl(_ request: UInt32, _ argument: UInt64, task: Task, kernel: Kernel) throws(LinuxErrno) -> UInt64 {
        guard pty.masterOpen else { throw .EIO }
        return try kernel.ptyIoctl(pty, master: false, request, argument, task: task)
    }
}

// MARK: - Nodes and devpts

/// /dev/ptmx and /dev/pts/ptmx: each open makes a new pair and returns its master.
final class PtmxNode: Inode {
    let number: UInt64
    let mode: UInt32
    unowned let kernel: Kernel
    init(fs: FileSystem, number: UInt64, mode: UInt32, kernel: Kernel) {
        self.number = number; self.mode = mode; self.kernel = kernel
        super.init(fs: fs)
    }
    override var kind: FileKind { .characterDevice }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.device = fs.device; s.inode = number; s.mode = FileMode.character | mode; s.rdev = (5 << 8) | 2; s.blockSize = 4096
        return s
    }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        if flags.contains(.path) { return PathFile(inode: self, flags: flags, path: path) }
        let pty = try kernel.ptys.open(kernel: kernel, owner: task.process.credentials)
        return PtyMasterFile(pty: pty, flags: flags, path: path, inode: self)
    }
    override func setMode(_ mode: UInt32) throws(LinuxErrno) {}
    override func setOwner(uid: UInt32?, gid: UInt32?) throws(LinuxErrno) {}
    override func setTimes(access: (Int64, Int64)?, modify: (Int64, Int64)?) throws(LinuxErrno) {}
}

/// /dev/pts/N: owned by the process that opened the master, group tty (5), mode 0620, as
/// Debian mounts devpts (gid=5,mode=620); chmod and chown change it (grantpt).
final class PtySlaveNode: Inode {
    unowned let pty: PseudoTerminal
    var mode: UInt32 = 0o620
    var uid: UInt32
    var gid: UInt32 = 5
    init(fs: FileSystem, pty: PseudoTerminal, uid: UInt32) {
        self.pty = pty; self.uid = uid
        super.init(fs: fs)
    }
    override var kind: FileKind { .characterDevice }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        let minor = UInt64(pty.index)
        s.device = fs.device; s.inode = minor + 3; s.mode = FileMode.character | mode; s.uid = uid; s.gid = gid
        s.rdev = (minor & 0xff) | (136 << 8) | ((minor & ~0xff) << 12)  // Linux's new_encode_dev
        s.blockSize = 1024
        return s
    }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        if flags.contains(.path) { return PathFile(inode: self, flags: flags, path: path) }
        return try kernel.openSlave(pty, flags: flags, path: path, task: task)
    }
    override func setMode(_ mode: UInt32) throws(LinuxErrno) { self.mode = mode & 0o7777 }
    override func setOwner(uid: UInt32?, gid: UInt32?) throws(LinuxErrno) {
        if let uid { self.uid = uid }
        if let gid { self.gid = gid }
    }
    override func setTimes(access: (Int64, Int64)?, modify: (Int64, Int64)?) throws(LinuxErrno) {}
}

/// /dev/tty: the caller's controlling terminal (ENXIO without one).
final class ControllingTerminalNode: Inode {
    let number: UInt64
    init(fs: FileSystem, number: UInt64) {
        self.number = number
        super.init(fs: fs)
    }
    override var kind: FileKind { .characterDevice }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.device = fs.device; s.inode = number; s.mode = FileMode.character | 0o666; s.rdev = 5 << 8; s.blockSize = 4096
        return s
    }
    override func open(flags: OpenFlags, path: String, kernel: Kernel, task: Task) throws(LinuxErrno) -> OpenFile {
        if flags.contains(.path) { return PathFile(inode: self, flags: flags, path: path) }
        switch task.process.controllingTerminal {
        case .none: throw .ENXIO
        case .console:
            guard kernel.config.consoleIsTerminal else { throw .ENXIO }
            return ConsoleFile(input: .standardInput, output: .standardOutput, flags: flags, path: path, inode: self, kernel: kernel)
        case .pty(let t): return try kernel.openSlave(t, flags: flags.union(.noControllingTTY), path: path, task: task, inode: self)
        }
    }
    override func setMode(_ mode: UInt32) throws(LinuxErrno) {}
    override func setTimes(access: (Int64, Int64)?, modify: (Int64, Int64)?) throws(LinuxErrno) {}
}

/// devpts, mounted at /dev/pts: `ptmx` and a node per pair whose master is open.
public final class DevPtsFS: SyntheticFS {
    public init(device: UInt64, kernel: Kernel) {
        super.init(name: "devpts", device: device, readOnly: false)
        let ptmx = PtmxNode(fs: self, number: 2, mode: 0, kernel: kernel)
        let ptys = kernel.ptys
        rootNode = SynthDirectory(fs: self, number: 1, mode: 0o755, list: {
            ["ptmx"] + ptys.listedNumbers.map(String.init)
        }, child: { name in
            if name == "ptmx" { return ptmx }
            // Only the canonical spelling: /dev/pts/01 is not /dev/pts/1.
            guard let n = Int(name), String(n) == name else { return nil }
            return ptys.terminal(n)?.slaveNode
        })
        ptys.fileSystem = self
    }
}

extension Kernel {
    /// Opens a slave (Linux's pty_open and tty_open): EIO while locked or once the master is
    /// gone; a session leader without a controlling terminal that opens one no other session
    /// has takes it, unless O_NOCTTY.
    func openSlave(_ pty: PseudoTerminal, flags: OpenFlags, path: String, task: Task, inode: Inode? = nil) throws(LinuxErrno) -> OpenFile {
        guard pty.masterOpen, !pty.locked else { throw .EIO }
        let file = PtySlaveFile(pty: pty, flags: flags, path: path, inode: inode ?? pty.slaveNode)
        let p = task.process
        if !flags.contains(.noControllingTTY), p.pid == p.sid, pty.session == nil, case .none = p.controllingTerminal {
            pty.becomeControlling(of: p)
        }
        return file
    }
}

// MARK: - ioctl

/// Terminal ioctl numbers, generic (after the ABI's `ioctlFromGuest`).
enum TerminalIoctl {
    static let TCGETS: UInt32 = 0x5401, TCSETS: UInt32 = 0x5402, TCSETSW: UInt32 = 0x5403, TCSETSF: UInt32 = 0x5404
    /// The old `struct termio` forms (generic layout only).
    static let TCGETA: UInt32 = 0x5405, TCSETA: UInt32 = 0x5406, TCSETAW: UInt32 = 0x5407, TCSETAF: UInt32 = 0x5408
    static let TCSBRK: UInt32 = 0x5409, TCXONC: UInt32 = 0x540A, TCFLSH: UInt32 = 0x540B
    static let TIOCEXCL: UInt32 = 0x540C, TIOCNXCL: UInt32 = 0x540D, TIOCSCTTY: UInt32 = 0x540E
    static let TIOCGPGRP: UInt32 = 0x540F, TIOCSPGRP: UInt32 = 0x5410, TIOCOUTQ: UInt32 = 0x5411
    static let TIOCGWINSZ: UInt32 = 0x5413, TIOCSWINSZ: UInt32 = 0x5414, TIOCNOTTY: UInt32 = 0x5422
    static let TIOCGETD: UInt32 = 0x5424, TIOCSETD: UInt32 = 0x5423, TCSBRKP: UInt32 = 0x5425, TIOCGSID: UInt32 = 0x5429
    /// termios2 (the termios words and the two speeds in baud; 44 bytes, generic layout).
    static let TCGETS2: UInt32 = 0x802C_542A, TCSETS2: UInt32 = 0x402C_542B, TCSETSW2: UInt32 = 0x402C_542C, TCSETSF2: UInt32 = 0x402C_542D
    static let TIOCGPTN: UInt32 = 0x8004_5430, TIOCSPTLCK: UInt32 = 0x4004_5431, TIOCGPTLCK: UInt32 = 0x8004_5439
    static let TIOCGPTPEER: UInt32 = 0x5441
    static let TIOCSTI: UInt32 = 0x5412, TIOCGLCKTRMIOS: UInt32 = 0x5456, TIOCSLCKTRMIOS: UInt32 = 0x5457
    static let TIOCPKT: UInt32 = 0x5420, TIOCGPKT: UInt32 = 0x8004_5438
}

extension Kernel {
    /// Reads a guest `struct termios` (the ABI's layout) for TCSETS*.
    func guestTermios(_ mm: MemoryMap, _ address: UInt64) throws(LinuxErrno) -> Termios {
        var d = GuestDecoder(try mm.read(address, count: abi.termios.size), abi)
        return abi.termios.decode(&d)
    }
    /// Writes a guest `struct termios` for TCGETS.
    func storeTermios(_ t: Termios, _ mm: MemoryMap, _ address: UInt64) throws(LinuxErrno) {
        var e = GuestEncoder(abi)
        abi.termios.encode(t, &e)
        try mm.write(address, e.bytes)
    }
    func storeInt(_ v: Int32, _ mm: MemoryMap, _ address: UInt64) throws(LinuxErrno) {
        var e = GuestEncoder(abi)
        e.i32(v)
        try mm.write(address, e.bytes)
    }
    func guestInt(_ mm: MemoryMap, _ address: UInt64) throws(LinuxErrno) -> Int32 {
        var d = GuestDecoder(try mm.read(address, count: 4), abi)
        return d.i32()
    }

    /// The ioctls of either end of a pair. The termios, the window size and the process
    /// groups are the pair's (Linux answers them on the master for the slave); TIOCGPTN,
    /// TIOCSPTLCK and TIOCGPTPEER are the master's alone.
    func ptyIoctl(_ pty: PseudoTerminal, master: Bool, _ request: UInt32, _ arg: UInt64, task: Task) throws(LinuxErrno) -> UInt64 {
        typealias I = TerminalIoctl
        let mm = task.mm
        let p = task.process
        /// Whether the caller's controlling terminal is this one.
        var isCallersTerminal: Bool {
            if case .pty(let t) = p.controllingTerminal { return t === pty }
            return false
        }
        switch request {
        case I.TCGETS:
            try storeTermios(pty.discipline.termios, mm, arg)
        case I.TCSETS, I.TCSETSW, I.TCSETSF:
            let t = try guestTermios(mm, arg)
            if !master { try pty.checkChange(task) }
            if request == I.TCSETSF { pty.flush(input: true, output: false) }
            pty.setTermios(t)
        case I.TCGETA where abi.termios.size == 36:
            // struct termio: the four flag words' low halves, the line discipline and the first
            // eight control characters (NCC), as Linux's kernel_termios_to_user_termio.
            let t = pty.discipline.termios
            var e = GuestEncoder(abi)
            for flag in [t.iflag, t.oflag, t.cflag, t.lflag] { e.u16(UInt16(truncatingIfNeeded: flag)) }
            e.u8(t.line)
            e.raw(Array(t.cc.prefix(8)))
            try mm.write(arg, e.bytes)
        case I.TCSETA, I.TCSETAW, I.TCSETAF where abi.termios.size == 36:
            var d = GuestDecoder(try mm.read(arg, count: 17), abi)
            var t = pty.discipline.termios
            // Only the low halves change (Linux's SET_LOW_TERMIOS_BITS).
            func low(_ flag: UInt32, _ v: UInt16) -> UInt32 { flag & 0xffff_0000 | UInt32(v) }
            t.iflag = low(t.iflag, d.u16()); t.oflag = low(t.oflag, d.u16())
            t.cflag = low(t.cflag, d.u16()); t.lflag = low(t.lflag, d.u16())
            t.line = d.u8()
            for i in 0..<8 { t.cc[i] = d.u8() }
            if !master { try pty.checkChange(task) }
            if request == I.TCSETAF { pty.flush(input: true, output: false) }
            pty.setTermios(t)
        case I.TCGETS2 where abi.termios.size == 36:
            var e = GuestEncoder(abi)
            let t = pty.discipline.termios
            abi.termios.encode(t, &e)
            let speed = Termios.baud(t.cflag & 0x100f)
            e.u32(speed); e.u32(speed)
            try mm.write(arg, e.bytes)
        case I.TCSETS2, I.TCSETSW2, I.TCSETSF2 where abi.termios.size == 36:
            let t = try guestTermios(mm, arg)
            _ = try mm.read(arg, count: 44)
            if !master { try pty.checkChange(task) }
            if request == I.TCSETSF2 { pty.flush(input: true, output: false) }
            pty.setTermios(t)
        case I.TIOCGLCKTRMIOS:
            try storeTermios(pty.lockedTermios, mm, arg)
        case I.TIOCSLCKTRMIOS:
            // CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE) in Linux: root here.
            guard p.credentials.isRoot else { throw .EPERM }
            pty.lockedTermios = try guestTermios(mm, arg)
        case I.TIOCSTI:
            // Another terminal than the caller's own needs CAP_SYS_ADMIN (root here).
            if !isCallersTerminal && !p.credentials.isRoot { throw .EPERM }
            let byte = try mm.read(arg, count: 1)[0]
            pty.simulateInput(byte, master: master)
        case I.TIOCPKT:
            let on = try guestInt(mm, arg) != 0
            if master { pty.setPacketMode(on) } else { pty.slavePacketMode = on }
        case I.TIOCGPKT:
            try storeInt((master ? pty.packetMode : pty.slavePacketMode) ? 1 : 0, mm, arg)
        case I.TIOCGWINSZ:
            var e = GuestEncoder(abi)
            pty.windowSize.encode(&e)
            try mm.write(arg, e.bytes)
        case I.TIOCSWINSZ:
            var d = GuestDecoder(try mm.read(arg, count: 8), abi)
            let ws = WindowSize(&d)
            if ws != pty.windowSize {
                pty.windowSize = ws
                pty.signalForeground(.SIGWINCH)
            }
        case I.FIONREAD_TIOCINQ:
            try storeInt(Int32(clamping: master ? pty.toMaster.count : pty.discipline.readable), mm, arg)
        case I.TIOCOUTQ:
            try storeInt(0, mm, arg)  // a pty queues nothing of its own (pty_chars_in_buffer)
        case I.TCFLSH:
            guard arg <= 2 else { throw .EINVAL }
            if !master { try pty.checkChange(task) }
            // TCIFLUSH 0 drops what this end would read, TCOFLUSH 1 what it wrote.
            let ownInput = arg != 1, ownOutput = arg != 0
            pty.flush(input: master ? ownOutput : ownInput, output: master ? ownInput : ownOutput, bySlave: !master)
        case I.TCXONC:
            guard arg <= 3 else { throw .EINVAL }
            if !master { try pty.checkChange(task) }
            let wasStopped = pty.discipline.outputStopped
            if arg == 0 { pty.discipline.outputStopped = true }  // TCOOFF
            if arg == 1 { pty.discipline.outputStopped = false; pty.queue.notify([.output, .writeNormal]) }  // TCOON
            pty.flowChanged(from: wasStopped)
        case I.TCSBRK, I.TCSBRKP:
            if !master { try pty.checkChange(task) }
        case I.TIOCEXCL, I.TIOCNXCL:
            break
        case I.TIOCGETD:
            try storeInt(0, mm, arg)  // N_TTY
        case I.TIOCSETD:
            guard try guestInt(mm, arg) == 0 else { throw .EINVAL }
        case I.TIOCGPGRP:
            if !master && !isCallersTerminal { throw .ENOTTY }
            try storeInt(pty.foregroundGroup ?? 0, mm, arg)
        case I.TIOCSPGRP:
            // tiocspgrp: job control first (a background caller is stopped), then the session.
            do { try pty.checkChange(task) } catch .EIO { throw .ENOTTY }
            guard isCallersTerminal, pty.session == p.sid else { throw .ENOTTY }
            // A negative group finds no process: ESRCH (current Linux looks it up, as find_vpid).
            let group = try guestInt(mm, arg)
            let members = processes.values.filter { $0.pgid == group && !$0.zombie }
            guard !members.isEmpty else { throw .ESRCH }
            guard members.allSatisfy({ $0.sid == p.sid }) else { throw .EPERM }
            pty.foregroundGroup = group
        case I.TIOCGSID:
            if !master && !isCallersTerminal { throw .ENOTTY }
            guard let sid = pty.session else { throw .ENOTTY }
            try storeInt(sid, mm, arg)
        case I.TIOCSCTTY:
            // tiocsctty: a no-op for the leader of the session it already controls; else the
            // caller must be a session leader without a terminal, and a terminal another session
            // has is taken only with arg 1 by root.
            if p.pid == p.sid && pty.session == p.sid { return 0 }
            guard p.pid == p.sid, case .none = p.controllingTerminal else { throw .EPERM }
            if pty.session != nil {
                guard arg == 1, p.credentials.isRoot else { throw .EPERM }
                pty.leaveSession()
            }
            pty.becomeControlling(of: p)
        case I.TIOCNOTTY:
            guard isCallersTerminal else { throw .ENOTTY }
            if p.pid == p.sid {
                // disassociate_ctty(0): the foreground group gets SIGHUP and SIGCONT.
                if let g = pty.foregroundGroup { signalGroup(g, .SIGHUP); signalGroup(g, .SIGCONT) }
                pty.leaveSession()
            } else {
                p.controllingTerminal = .none
            }
        case I.TIOCGPTN where master:
            try storeInt(Int32(pty.index), mm, arg)
        case I.TIOCSPTLCK where master:
            pty.locked = try guestInt(mm, arg) != 0
        case I.TIOCGPTLCK where master:
            try storeInt(pty.locked ? 1 : 0, mm, arg)
        case I.TIOCGPTPEER where master:
            // Opens the slave without a path walk (a container's /dev/pts may not be this one).
            let accepted = OpenFlags(rawValue: OpenFlags.accessModeMask).union([.noControllingTTY, .nonBlocking, .closeOnExec])
            let flags = abi.openFlagsFromGuest(UInt32(truncatingIfNeeded: arg)).intersection(accepted)
            let file = try openSlave(pty, flags: flags, path: pty.name, task: task)
            do {
                return UInt64(try task.files.install(file, closeOnExec: flags.contains(.closeOnExec), limit: p.limits.openFiles))
            } catch {
                file.release()
                throw error
            }
        default:
            throw .ENOTTY
        }
        return 0
    }
}

extension TerminalIoctl {
    static let FIONREAD_TIOCINQ: UInt32 = 0x541B
}

extension Termios {
    /// The rate in baud of a generic baud code (CBAUD, with CBAUDEX): TCGETS2 here, and the
    /// ISAs whose termios carries the speeds (PowerPC's c_ispeed/c_ospeed).
    public static func baud(_ code: UInt32) -> UInt32 {
        let low: [UInt32] = [0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400]
        let high: [UInt32] = [57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000,
                              1500000, 2000000, 2500000, 3000000, 3500000, 4000000]
        if code & 0x1000 == 0 { return low[Int(code & 0xf)] }
        let i = Int(code & 0xf)
        return i >= 1 ? high[i - 1] : 0
    }
}

// MARK: - Reads and writes with job control

extension CoreSyscalls {
    /// A read of a slave (Linux's n_tty_read): job control first (a background group gets
    /// SIGTTIN), then canonical lines, or VMIN/VTIME in non-canonical mode: VMIN bytes wait
    /// without a time limit (VTIME 0), VTIME tenths of a second bound the wait for the first
    /// byte (VMIN 0) or between bytes (both set). A hung-up slave reads 0.
    static func terminalRead(_ c: SyscallCall, _ f: PtySlaveFile, _ buffers: GuestBuffers) throws(LinuxErrno) -> SyscallOutcome {
        let pty = f.pty
        if try pty.jobControl(c.task, .SIGTTIN) { return .block(Wait()) }
        guard pty.masterOpen else { return .int(0) }
        if buffers.total == 0 { return .int(0) }
        let t = pty.discipline.termios
        let available = pty.discipline.readable
        var ready = available > 0
        var deadline: UInt64?
        if !t.has(TermiosBits.ICANON) {
            let minimum = Int(t.cc[TermiosBits.VMIN]), tenths = UInt64(t.cc[TermiosBits.VTIME])
            let now = Host.monotonicNanoseconds()
            let interval = tenths * 100_000_000
            if minimum == 0 {
                // VTIME alone bounds the whole wait; 0 and 0 never waits.
                if !ready && tenths > 0 { deadline = CoreSyscalls.deadline(c, after: interval) }
                if !ready && (tenths == 0 || now >= deadline!) { return .int(0) }
            } else {
                ready = available >= min(minimum, buffers.total)
                if !ready && available > 0 && tenths > 0 {
                    let d = GuestMath.deadline(pty.lastInput, after: interval)
                    if now >= d { ready = true } else { deadline = d }
                }
                if !ready && available > 0 && f.isNonBlocking { ready = true }
            }
        }
        guard ready else {
            if f.isNonBlocking { throw .EAGAIN }
            return .block(Wait([(pty.queue, [.input, .readNormal, .hangUp, .error])], deadline: deadline))
        }
        let n = try c.kernel.withScratch(min(buffers.total, LineDiscipline.capacity)) { (p) throws(LinuxErrno) -> Int in
            let n = pty.slaveTake(into: p)
            try buffers.store(UnsafeRawBufferPointer(rebasing: p[0..<n]), from: 0, c.mm)
            return n
        }
        return .int(n)
    }

    /// Before a write to a slave with TOSTOP: a background group gets SIGTTOU and the write
    /// waits for it to be foreground (nil: go on).
    static func terminalWriteCheck(_ c: SyscallCall, _ f: PtySlaveFile) throws(LinuxErrno) -> SyscallOutcome? {
        guard f.pty.discipline.termios.has(TermiosBits.TOSTOP), c.task.ioProgress == 0 else { return nil }
        return try f.pty.jobControl(c.task, .SIGTTOU) ? .block(Wait()) : nil
    }
}
