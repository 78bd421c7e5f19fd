import HostOS
import LinuxABI

/// procfs: the guest's own processes (never the host's), and the system files programs read.
public final class ProcFS: SyntheticFS {
    unowned let kernel: Kernel
    private var nodes: [String: Inode] = [:]
    private var nextNumber: UInt64 = 100
    /// /proc/net, shared by every /proc/<pid>/net (Net/ProcNet.swift); its closures hold the
    /// kernel unowned.
    private var netDirectory: Inode!

    /// The machine ended: the per-process nodes go (their closures point at kernel objects).
    public override func release() { nodes.removeAll() }

    public init(device: UInt64, kernel: Kernel) {
        self.kernel = kernel
        super.init(name: "proc", device: device, readOnly: false)
        let top: [(String, () -> String)] = [
            ("cpuinfo", { [unowned self] in self.cpuinfo() }),
            ("meminfo", { "MemTotal:        1048576 kB\nMemFree:          524288 kB\nMemAvailable:     786432 kB\nBuffers:               0 kB\nCached:                0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n" }),
            ("uptime", { [unowned self] in
                let up = Double(Host.monotonicNanoseconds() - self.kernel.bootTime) / 1e9
                return "\(Self.fixed2(up)) \(Self.fixed2(up))\n"
            }),
            ("version", { [unowned self] in "Linux version \(self.kernel.config.release) (umlab) \(self.kernel.config.version)\n" }),
            ("loadavg", { [unowned self] in "0.00 0.00 0.00 1/\(self.kernel.tasks.count) \(self.kernel.nextPID - 1)\n" }),
            ("mounts", { [unowned self] in self.mounts() }),
            ("locks", { [unowned self] in self.kernel.fileLocks.procText() }),
            ("filesystems", { "nodev\tproc\nnodev\ttmpfs\nnodev\tdevtmpfs\n\thostfs\nnodev\toverlay\n" }),
            ("stat", { [unowned self] in "cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\nbtime \(self.kernel.bootTime / 1_000_000_000)\nprocesses \(self.kernel.nextPID)\n" }),
        ]
        var children: [String: Inode] = [:]
        for (name, text) in top { children[name] = SynthFile(fs: self, number: number(), text: text) }
        children["self"] = SynthSymlink(fs: self, number: number(), target: { [unowned self] in
            Array(String(self.kernel.current?.process.pid ?? 1).utf8)
        })
        netDirectory = makeNetDirectory()
        children["net"] = SynthSymlink(fs: self, number: number(), target: { Array("self/net".utf8) })
        children["thread-self"] = SynthSymlink(fs: self, number: number(), target: { [unowned self] in
            let t = self.kernel.current
            return Array("\(t?.process.pid ?? 1)/task/\(t?.tid ?? 1)".utf8)
        })
        let sys = SynthDirectory(fs: self, number: number(), children: [
            ("kernel", SynthDirectory(fs: self, number: number(), children: [
                ("hostname", SynthFile(fs: self, number: number(), text: { [unowned self] in self.kernel.config.hostname + "\n" })),
                ("osrelease", SynthFile(fs: self, number: number(), text: { [unowned self] in self.kernel.config.release + "\n" })),
                ("pid_max", SynthFile(fs: self, number: number(), text: { "4194304\n" })),
                ("ngroups_max", SynthFile(fs: self, number: number(), text: { "65536\n" })),
                ("pty", SynthDirectory(fs: self, number: number(), children: [
                    ("max", SynthFile(fs: self, number: number(), text: { [unowned self] in "\(self.kernel.ptys.maximum)\n" })),
                    ("nr", SynthFile(fs: self, number: number(), text: { [unowned self] in "\(self.kernel.ptys.count)\n" })),
                ])),
            ] + kernel.ipcLimitFiles.map { (name, text) in (name, SynthFile(fs: self, number: number(), text: { text })) })),
            ("net", makeSysNetDirectory()),
            ("vm", SynthDirectory(fs: self, number: number(), children: [
                ("overcommit_memory", SynthFile(fs: self, number: number(), text: { "0\n" })),
            ])),
        ])
        children["sys"] = sys
        children["sysvipc"] = SynthDirectory(fs: self, number: number(), children: [
            ("msg", SynthFile(fs: self, number: number(), text: { [unowned self] in self.kernel.sysvipcMessages() })),
            ("sem", SynthFile(fs: self, number: number(), text: { [unowned self] in self.kernel.sysvipcSemaphores() })),
            ("shm", SynthFile(fs: self, number: number(), text: { [unowned self] in self.kernel.sysvipcSharedMemory() })),
        ])
        let fixedNames = children.keys.sorted()
        rootNode = SynthDirectory(fs: self, number: 1, list: { [unowned self] in
            fixedNames + self.kernel.processes.values.filter { !$0.reaped }.map(\.pid).sorted().map(String.init)
        }, child: { [unowned self] name in
            if let c = children[name] { return c }
            guard let pid = Int32(name), let p = self.kernel.processes[pid], !p.reaped else { return nil }
            return self.processDirectory(p)
        })
    }

    func number() -> UInt64 { nextNumber += 1; return nextNumber }
    static func fixed2(_ v: Double) -> String {
        let c = Int((v * 100).rounded())
        return "\(c / 100).\(c % 100 < 10 ? "0" : "")\(c % 100)"
    }

    func cpuinfo() -> String {
        "processor\t: 0\nvendor_id\t: umlab\nmodel name\t: umlab virtual \(kernel.backend.name) CPU (\(kernel.config.mode) mode)\ncpu MHz\t\t: 1000.000\nbogomips\t: 2000.00\n\n"
    }

    /// /proc/mounts: the mounts a path walk sees (not those covered by a later mount).
    func mounts() -> String {
        var s = ""
        for path in kernel.vfs.mountOrder {
            guard let m = kernel.vfs.mounts[path] else { continue }
            s += "\(Self.escaped(m.source)) \(Self.escaped(path)) \(m.fs.name) \(m.fs.mountOptions) 0 0\n"
        }
        return s
    }

    /// /proc/self/mountinfo: every mount with its number, its parent's, the file system's
    /// device, its root within the file system, its point, options, type and source.
    func mountInfo() -> String {
        var s = ""
        for m in kernel.vfs.allMounts {
            let dev = m.fs.device
            let major = (dev >> 8) & 0xfff, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00)
            let perMount = m.fs.readOnly ? "ro" : "rw"
            s += "\(m.id) \(m.parentID) \(major):\(minor) / \(Self.escaped(m.path)) \(perMount),relatime - \(m.fs.name) \(Self.escaped(m.source)) \(m.fs.mountOptions)\n"
        }
        return s
    }

    /// A path as the mount files write it: space, tab, newline and backslash in octal.
    static func escaped(_ text: String) -> String {
        var out = ""
        for ch in text.unicodeScalars {
            switch ch {
            case " ": out += "\\040"
            case "\t": out += "\\011"
            case "\n": out += "\\012"
            case "\\": out += "\\134"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// /proc/<pid>: built on demand; objects are cheap and hold the process weakly.
    func processDirectory(_ p: Process) -> Inode {
        let key = "pid:\(p.pid):\(p.startTime)"
        if let n = nodes[key] { return n }
        weak let wp = p
        // Unowned: these nodes are cached here, so a strong reference would keep the kernel
        // (and its arena and host descriptors) alive after its machine ended.
        unowned let k = kernel
        func text(_ f: @escaping (Process) -> String) -> Inode {
            SynthFile(fs: self, number: number()) { () throws(LinuxErrno) -> [UInt8] in
                guard let p = wp else { throw .ESRCH }
                return Array(f(p).utf8)
            }
        }
        func bytes(_ f: @escaping (Process) -> [UInt8]) -> Inode {
            SynthFile(fs: self, number: number()) { () throws(LinuxErrno) -> [UInt8] in
                guard let p = wp else { throw .ESRCH }
                return f(p)
            }
        }
        let fdDir = SynthDirectory(fs: self, number: number(), mode: 0o500, list: {
            (wp?.mainThread?.files.openDescriptors ?? []).map { String($0) }
        }, child: { [unowned self] name in
            guard let fd = Int32(name), let file = try? wp?.mainThread?.files.get(fd) else { return nil }
            return SynthSymlink(fs: self, number: self.number(), target: { FileName.bytes(file.path) }, object: {
                guard let inode = file.inode else { return nil }
                return Location(inode: inode, path: file.path)
            })
        })
        let fdInfoDir = SynthDirectory(fs: self, number: number(), mode: 0o500, list: {
            (wp?.mainThread?.files.openDescriptors ?? []).map { String($0) }
        }, child: { [unowned self] name in
            guard let fd = Int32(name), wp?.mainThread?.files.slot(fd) != nil else { return nil }
            return SynthFile(fs: self, number: self.number()) { () throws(LinuxErrno) -> [UInt8] in
                guard let slot = wp?.mainThread?.files.slot(fd) else { throw .ENOENT }
                return Array(Self.fdInfo(slot, k).utf8)
            }
        })
        let dir = SynthDirectory(fs: self, number: number(), children: [
            ("stat", text { p in Self.statLine(p, k) }),
            ("status", text { p in Self.status(p, k) }),
            ("cmdline", bytes { p in p.commandLine.flatMap { $0 + [0] } }),
            ("environ", bytes { p in p.environment.flatMap { $0 + [0] } }),
            ("comm", text { p in p.comm + "\n" }),
            ("maps", text { p in Self.maps(p) }),
            ("mem", ProcMemNode(fs: self, number: number(), process: p, kernel: k)),
            ("mounts", text { [unowned self] _ in self.mounts() }),
            ("mountinfo", text { [unowned self] _ in self.mountInfo() }),
            ("fd", fdDir),
            ("fdinfo", fdInfoDir),
            ("net", netDirectory),
            ("exe", SynthSymlink(fs: self, number: number(), target: { FileName.bytes(wp?.executablePath ?? "") })),
            ("cwd", SynthSymlink(fs: self, number: number(), target: { FileName.bytes(wp?.mainThread?.fs.cwd.path ?? "/") },
                                 object: { wp?.mainThread?.fs.cwd })),
            ("root", SynthSymlink(fs: self, number: number(), target: { Array("/".utf8) }, object: { wp?.mainThread?.fs.root })),
            ("task", SynthDirectory(fs: self, number: number(), list: {
                (wp?.threads ?? []).map { String($0.tid) }
            }, child: { [unowned self] name in
                guard let tid = Int32(name), let p = wp, let t = p.threads.first(where: { $0.tid == tid }) else { return nil }
                return self.threadDirectory(p, t)
            })),
        ])
        nodes[key] = dir
        return dir
    }

    /// /proc/<pid>/task/<tid>: the thread's own stat, status and comm; the rest (maps, fd, cwd
    /// …) is the process's, as the threads of a process share them. (LeakSanitizer lists
    /// /proc/<pid>/task to find the threads it stops; ps -L and top read the stat files.)
    func threadDirectory(_ p: Process, _ t: Task) -> Inode {
        let key = "task:\(p.pid):\(p.startTime):\(t.tid)"
        if let n = nodes[key] { return n }
        weak let wp = p, wt = t
        unowned let k = kernel
        func text(_ f: @escaping (Process, Task) -> String) -> Inode {
            SynthFile(fs: self, number: number()) { () throws(LinuxErrno) -> [UInt8] in
                guard let p = wp, let t = wt else { throw .ESRCH }
                return Array(f(p, t).utf8)
            }
        }
        let own: [(String, Inode)] = [
            ("stat", text { p, t in Self.statLine(p, k, thread: t) }),
            ("status", text { p, t in Self.status(p, k, thread: t) }),
            ("comm", text { p, _ in p.comm + "\n" }),
        ]
        let process = processDirectory(p)
        let dir = SynthDirectory(fs: self, number: number(), list: {
            ((try? process.entries()) ?? []).map(\.name).filter { $0 != "." && $0 != ".." && $0 != "task" }
        }, child: { name in
            if let node = own.first(where: { $0.0 == name })?.1 { return node }
            return name == "task" ? nil : try? process.lookup(name)
        })
        nodes[key] = dir
        return dir
    }

    /// The state letter of the process, or of one of its threads.
    static func stateLetter(_ p: Process, thread: Task? = nil) -> String {
        if p.zombie { return "Z" }
        if (thread.map { [$0] } ?? p.threads).contains(where: { $0.state == .traced }) { return "t" }
        if p.stopped { return "T" }
        if let thread { return thread.state == .runnable ? "R" : "S" }
        return p.threads.contains { $0.state == .runnable } ? "R" : "S"
    }

    /// /proc/<pid>/stat, or /proc/<pid>/task/<tid>/stat with `thread`.
    static func statLine(_ p: Process, _ k: Kernel, thread: Task? = nil) -> String {
        let ppid = p.parent?.pid ?? 0
        let start = (p.startTime - k.bootTime) / 10_000_000
        let vsize = p.mainThread?.mm.vmas.reduce(0) { $0 + ($1.end - $1.start) } ?? 0
        var f = ["\(thread?.tid ?? p.pid)", "(\(p.comm))", stateLetter(p, thread: thread), "\(ppid)", "\(p.pgid)", "\(p.sid)", "0", "-1", "4194560",
                 "0", "0", "0", "0", "0", "0", "0", "0", "20", "0", "\(max(1, p.threads.count))", "0", "\(start)", "\(vsize)",
                 "\(vsize / 4096)"]
        f += Array(repeating: "0", count: 52 - f.count)
        return f.joined(separator: " ") + "\n"
    }

    /// /proc/<pid>/status, or /proc/<pid>/task/<tid>/status with `thread`.
    static func status(_ p: Process, _ k: Kernel, thread: Task? = nil) -> String {
        let c = p.credentials
        let state = stateLetter(p, thread: thread)
        let names = ["R": "R (running)", "S": "S (sleeping)", "T": "T (stopped)", "t": "t (tracing stop)", "Z": "Z (zombie)"]
        let t = thread ?? p.mainThread
        return """
        Name:\t\(p.comm)
        Umask:\t\(String(format8: t?.fs.umask ?? 0o22))
        State:\t\(names[state] ?? state)
        Tgid:\t\(p.pid)
        Pid:\t\(thread?.tid ?? p.pid)
        PPid:\t\(p.parent?.pid ?? 0)
        TracerPid:\t\(t?.traced?.tracer.process.pid ?? 0)
        Uid:\t\(c.uid)\t\(c.euid)\t\(c.suid)\t\(c.fsuid)
        Gid:\t\(c.gid)\t\(c.egid)\t\(c.sgid)\t\(c.fsgid)
        Threads:\t\(p.threads.count)
        SigBlk:\t\(String(hex16: t?.signalMask.rawValue ?? 0))

        """
    }

    static func maps(_ p: Process) -> String {
        guard let mm = p.mainThread?.mm else { return "" }
        var s = ""
        for v in mm.vmas {
            let perms = (v.protection.contains(.read) ? "r" : "-") + (v.protection.contains(.write) ? "w" : "-")
                + (v.protection.contains(.execute) ? "x" : "-") + (v.shared ? "s" : "p")
            var name = v.name
            if name.isEmpty && v.start <= mm.brk && v.start >= mm.brkStart && mm.brk > mm.brkStart { name = "[heap]" }
            let ino = (try? v.file?.stat().inode) ?? 0
            let line = "\(String(hex: v.start))-\(String(hex: v.end)) \(perms) \(String(hex: v.offset)) 00:00 \(ino)"
            s += name.isEmpty ? line + "\n" : line + String(repeating: " ", count: max(1, 73 - line.count)) + name + "\n"
        }
        return s
    }
}

extension String {
    /// `v` in base `radix`, left-padded with zeros to `width` digits.
    static func padded(_ v: UInt64, radix: Int, width: Int) -> String {
        let digits = String(v, radix: radix)
        let pad = width - digits.count
        return String(repeating: "0", count: pad > 0 ? pad : 0) + digits
    }
    init(hex v: UInt64) { self = String.padded(v, radix: 16, width: 8) }
    init(hex16 v: UInt64) { self = String.padded(v, radix: 16, width: 16) }
    init(format8 v: UInt32) { self = String.padded(UInt64(v), radix: 8, width: 4) }
}
