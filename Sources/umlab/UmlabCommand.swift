import ArchIA64
import ArchPowerPC
import ArchX86_64
import ArgumentParser
import GuestKernel
import HostOS
import LinuxABI

@main
struct Umlab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "umlab",
        abstract: "A guest Linux kernel in user space that runs unmodified Linux programs (after User-mode Linux).",
        subcommands: [Run.self, Disasm.self, Demo.self, Isolation.self, Bench.self, Fuzz.self, Switch.self])

    static func main() {
        main(Run.rewritingTraceList(Array(CommandLine.arguments.dropFirst())))
    }
}

/// The backends this build knows, by name. Adding an ISA adds one line here.
enum Backends {
    static func all() -> [any Backend] { [X86Backend(), PPCBackend(), IA64Backend()] }
    static func named(_ name: String) -> (any Backend)? { all().first { $0.name == name || (name == "x86-64" && $0.name == "x86_64") || (name == "powerpc" && $0.name == "ppc") } }
    static func forMachine(_ m: UInt16) -> (any Backend)? { all().first { $0.elfMachine == m } }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run PROGRAM as the first process of a fresh guest system.",
        discussion: """
            The guest halts when PROGRAM ends (background processes it started are killed), unless \
            --wait-all is given. umlab exits with PROGRAM's status (128+N for death by signal N); \
            125 when every guest task is blocked and nothing can wake them (a deadlock); 124 when \
            --time-limit ended the run; 126/127 when PROGRAM cannot be executed or found. At a terminal, Ctrl-C, Ctrl-\\ and Ctrl-Z go to the \
            guest's foreground process group.
            """)

    /// `--trace=LIST` is a flag with a value, which ArgumentParser has no form for: among umlab's
    /// own options (before PROGRAM, which starts at the first word that is neither an option
    /// nor an option's value), it becomes `--trace-list LIST`.
    static func rewritingTraceList(_ args: [String]) -> [String] {
        // The flag names come from reflecting `Run` (a tenth of a plain run's start-up): only
        // when there is a `--trace=` to rewrite.
        guard args.first == "run", args.contains(where: { $0.hasPrefix("--trace=") }) else { return args }
        let flags: Set<String> = Set(Mirror(reflecting: Run()).children.compactMap { child in
            guard let label = child.label, String(describing: type(of: child.value)).hasPrefix("Flag<") else { return nil }
            return "--" + label.dropFirst().reduce(into: "") { s, ch in s += ch.isUppercase ? "-" + ch.lowercased() : String(ch) }
        }).union(["-h", "--help"])
        var out = [args[0]]
        var i = 1
        while i < args.count {
            let a = args[i]
            if a == "--" || !a.hasPrefix("-") { break }
            if a.hasPrefix("--trace=") {
                out += ["--trace-list", String(a.dropFirst("--trace=".count))]
            } else {
                out.append(a)
                if !a.contains("=") && !flags.contains(a) && i + 1 < args.count {
                    i += 1
                    out.append(args[i])
                }
            }
            i += 1
        }
        return out + args[i...]
    }

    /// umlab's exit status when the guest deadlocked.
    static let deadlockStatus: Int32 = 125
    /// umlab's exit status when --time-limit ended the run (timeout(1)'s).
    static let timeLimitStatus: Int32 = 124

    @Option(help: "Instruction set backend (default: from the program's ELF header).") var backend: String?
    @Option(help: "Isolation mode: skas, tt or seccomp.") var mode: String = "skas"
    @Option(help: "How an interpreting backend runs guest code: interp (the reference) or jit (PowerPC on x86-64 hosts: hot blocks translated to host code).") var engine: String = "interp"
    @Option(help: ArgumentHelp("JIT code buffer bytes per address space (full: all translations dropped).", visibility: .hidden)) var jitBuffer: Int?
    @Option(help: ArgumentHelp("Times a block runs in the interpreter before the JIT translates it (0: at once).", visibility: .hidden)) var jitThreshold: UInt32?
    @Option(help: "Host directory used as the guest's read-only root file system.") var root: String = "/"
    @Option(help: ArgumentHelp("Make the root writable: keep a copy-on-write layer over --root in this host directory (created if missing).",
                               discussion: "The root itself is never written. The layer persists: a later run with the same directory sees the changes. Its format is documented in docs/compat.md.")) var overlay: String?
    @Option(name: .customLong("bind"), help: ArgumentHelp("Mount a host directory in the guest: HOSTDIR:GUESTDIR[:ro|rw] (repeatable; rw by default, as Docker's).",
                                                         discussion: "The guest writes a rw directory as the user umlab runs as; GUESTDIR need not exist in the root (its parent must).")) var bind: [String] = []
    @Option(name: .customLong("tmpfs"), help: "Mount a memory file system at GUESTDIR[:size=N] (repeatable; its files count in --memory, and past size=N writes get ENOSPC).") var tmpfs: [String] = []
    @Flag(help: "Pass umlab's own environment to the guest (--env then overrides).") var envInherit = false
    @Option(help: "The guest's starting directory (default: the current directory when --root is /, else /).") var workdir: String?
    @Option(help: "Guest host name (uname -n).") var hostname: String = "umlab"
    @Option(help: "Guest kernel release (uname -r).") var release: String = "6.1.0-umlab"
    @Option(name: .customLong("env"), help: "Set a guest environment variable (repeatable).") var env: [String] = []
    @Flag(help: ArgumentHelp("Print each guest system call, strace style, to standard error (--trace=NAME,... prints only those).",
                             discussion: "As strace -e trace=: syscall names, classes %file %desc %process %signal %memory %network %ipc, and a leading ! for all but the list (--trace='!read,write').")) var trace = false
    @Option(name: .customLong("trace-list"), help: ArgumentHelp("The calls --trace prints (what --trace=NAME,... sets).", visibility: .hidden)) var traceList: String?
    @Option(help: "Write the trace to this file instead.") var traceFile: String?
    @Option(help: "Write counters (syscalls by name, ptrace stops, faults, wall time, limits) as JSON to this file.") var statsJson: String?
    @Option(help: "Halt the guest machine after this many seconds of wall time (exit status 124).") var timeLimit: Double?
    @Option(help: ArgumentHelp("Memory the guest may use (512M, 2G, bytes; default: a quarter of the host's).",
                               discussion: "Private memory in use, tmpfs and shared memory, pipe buffers and the interpreters' page tables count together. An allocation past it fails with ENOMEM; a page touched past it makes the OOM policy kill the process using the most memory with SIGKILL.")) var memory: String?
    @Option(help: "Most processes and threads alive at once; fork/clone beyond it gets EAGAIN.") var pids: Int = 1024
    @Option(help: "Ceiling on RLIMIT_NOFILE; raising the limit past it gets EPERM.") var nofile: Int = 4096
    @Option(name: .customLong("publish"), help: ArgumentHelp("Forward a host port to a guest port: [HOSTADDR:]HOSTPORT:GUESTPORT[/udp] (repeatable).",
                                                            discussion: "umlab listens on the host (0.0.0.0 unless HOSTADDR is given) and connects each client to the guest's listener on GUESTPORT; the guest sees the client's real address. Nothing else of the guest is reachable from the host.")) var publish: [String] = []
    @Option(name: .customLong("allow"), help: ArgumentHelp("Let guests reach a host destination: tcp|udp:HOST[:PORT] (repeatable; HOST a name, an address or a CIDR network).",
                                                          discussion: "By default a guest reaches only its own machine. Allowed connections go through host sockets umlab opens. DNS queries to 10.0.2.3 are answered by umlab for the names allowed here; every other name gets NXDOMAIN.")) var allow: [String] = []
    @Option(help: ArgumentHelp("Join a virtual network: switch:PATH (a switch started with `umlab switch PATH`).",
                               discussion: "Machines on one switch reach each other's listeners at their --ip addresses; the connection's data goes directly between the two umlab processes.")) var net: String?
    @Option(help: "The guest's eth0 address, ADDR[/PREFIX] (default 10.0.2.15/24, as QEMU's user networking).") var ip: String?
    @Option(help: "Write a packet capture (pcap) of the guest's TCP and UDP traffic, synthesized from its socket events, to this file.") var pcap: String?
    @Option(help: "Write the network audit trail (listen, accept, connect, DNS, policy verdicts, close with byte counts) to this file, one JSON object a line.") var netLog: String?
    @Flag(help: ArgumentHelp("Keep the guest running until its last process ends.",
                             discussion: "By default the guest machine halts when the first program ends, as a container does with its first process: background processes it left are killed. With --wait-all it runs until no process is left, as proot and strace -f do. Either way umlab exits with the first program's status.")) var waitAll = false
    @Option(help: ArgumentHelp("Serve the GDB remote protocol on [HOST:]PORT (HOST 127.0.0.1 unless given; PORT 0: any free port, printed).",
                               discussion: "Connect with `gdb-multiarch PROGRAM -ex 'target remote HOST:PORT'`. The guest is held at its first instruction until gdb continues it, unless --no-gdb-wait is given. See docs/debugging.md.")) var gdb: String?
    @Flag(inversion: .prefixedNo, help: "With --gdb: hold the guest at its first instruction until gdb continues it (the default); --no-gdb-wait runs it at once and gdb stops it when it connects.") var gdbWait = true
    @Argument(parsing: .captureForPassthrough, help: "The program and its arguments.") var command: [String] = []

    func run() throws {
        var args = command
        // Before a `--`, -h/--help is umlab's, not a guest program's (the program's arguments
        // are captured as they come).
        if let first = args.first, first == "-h" || first == "--help" { throw CleanExit.helpRequest(self) }
        if args.first == "--" { args.removeFirst() }
        guard let program = args.first else { throw ValidationError("no program given: umlab run [OPTIONS] -- PROGRAM [ARGS...]") }
        Umlab.exit(withError: ExitCode(launch(program: program, args: args)))
    }

    func fail(_ message: String, _ code: Int32) -> Int32 {
        Host.diagnostic("umlab: \(message)")
        return code
    }

    func launch(program: String, args: [String]) -> Int32 {
        guard let isolation = IsolationMode(rawValue: mode) else { return fail("unknown mode '\(mode)' (skas, tt, seccomp)", 2) }
        let rootDir = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        var config = KernelConfig()
        config.rootDirectory = rootDir
        do {
            try configureFiles(&config)
        } catch {
            return fail(error.message, 2)
        }
        let view: GuestView
        do { view = try GuestView(config: config) } catch {
            return fail("cannot use \(rootDir) as the guest root: \(error.message)", 2)
        }
        for request in config.mounts {
            let point = request.guestPath
            let parent = point.split(separator: "/").dropLast().joined(separator: "/")
            guard view.isDirectory("/" + parent) else {
                return fail("\(point): its parent directory /\(parent) does not exist in the guest (a mount point's parent must)", 2)
            }
        }
        if let workdir {
            guard let dir = VFS.canonical(workdir), view.isDirectory(dir) else {
                return fail("--workdir \(workdir): no such directory in the guest (give an absolute guest path)", 2)
            }
            config.workingDirectory = dir
        } else {
            config.workingDirectory = initialDirectory(rootDir)
        }
        // Find the program in the guest's file tree, as a guest shell would.
        let searchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        let guestPath: String
        if program.contains("/") {
            let cwd = config.workingDirectory
            guestPath = program.hasPrefix("/") ? program : (cwd == "/" ? "/" : cwd + "/") + program
        } else if let found = searchPath.map({ "\($0)/\(program)" }).first(where: { view.header($0) != nil }) {
            guestPath = found
        } else {
            return fail("\(program): command not found in the guest's PATH", 127)
        }
        guard let header = view.header(guestPath) else {
            return fail(hiddenProgramHint(program, guestPath, view: view, rootDir: rootDir) ?? "\(program): No such file or directory", 127)
        }
        let chosen: any Backend
        if let backend {
            guard let b = Backends.named(backend) else { return fail("unknown backend '\(backend)' (available: \(Backends.all().map(\.name).joined(separator: ", ")))", 2) }
            chosen = b
        } else if let id = ELFImage.identify(header) {
            guard let b = Backends.forMachine(id.machine) else {
                return fail("\(program): ELF for \(elfMachineName(id.machine)); no umlab backend runs it (available: \(Backends.all().map(\.name).joined(separator: ", ")))", 126)
            }
            chosen = b
        } else if header.starts(with: [0x23, 0x21]) {
            chosen = X86Backend()
        } else {
            return fail("\(program): not an ELF executable", 126)
        }
        guard let engineKind = PPCEngineKind(rawValue: engine) else { return fail("unknown engine '\(engine)' (available: interp, jit)", 2) }
        if let ppc = chosen as? PPCBackend {
            ppc.engineKind = engineKind
            if let jitBuffer { ppc.jitBufferBytes = jitBuffer }
            if let jitThreshold { ppc.jitThreshold = jitThreshold }
        } else if engineKind != .interp {
            return fail("--engine \(engine): only the PowerPC backend has a JIT", 2)
        }
        guard chosen.supportedModes.contains(isolation) else {
            return fail("backend \(chosen.name) does not implement --mode \(isolation) yet (supported: \(chosen.supportedModes.map(\.rawValue).joined(separator: ", ")))", 2)
        }

        config.hostname = hostname
        config.release = release
        config.mode = isolation
        var traceFilter: TraceFilter?
        if let traceList {
            do { traceFilter = try TraceFilter(traceList) } catch { return fail("--trace: \(error.message)", 2) }
            let unknown = traceFilter!.unknownNames(in: chosen.abi.syscalls)
            if !unknown.isEmpty { return fail("--trace: no such system call on \(chosen.name): \(unknown.joined(separator: ", "))", 2) }
        }
        if let traceFile {
            guard let fd = try? HostFD.open(traceFile, flags: 0o1101, mode: 0o644) else { return fail("cannot write trace file \(traceFile)", 2) }
            config.trace = TraceSink(fd: fd, filter: traceFilter)
        } else if trace || traceList != nil {
            config.trace = TraceSink(fd: .standardError, filter: traceFilter)
        }
        var envp = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=\(hostEnv("TERM") ?? "dumb")"]
        if envInherit { envp = HostEnvironment.all() }
        for kv in env {
            guard let eq = kv.firstIndex(of: "=") else { return fail("--env expects K=V, got '\(kv)'", 2) }
            let key = kv[..<eq]
            envp.removeAll { $0.hasPrefix(key + "=") }
            envp.append(kv)
        }

        if let memory {
            guard let bytes = parseSize(memory), bytes >= 1 << 20 else { return fail("--memory expects a size of at least 1M, such as 512M or 2G, got '\(memory)'", 2) }
            config.limits.memory = bytes
        }
        guard pids >= 2 else { return fail("--pids must be at least 2 (init and the program)", 2) }
        guard nofile >= 3 else { return fail("--nofile must be at least 3 (standard input, output and error)", 2) }
        config.limits.pids = pids
        config.limits.nofile = UInt64(nofile)
        config.waitForAll = waitAll
        if let timeLimit {
            guard timeLimit > 0, timeLimit < 1e9 else { return fail("--time-limit expects seconds, more than 0", 2) }
            config.timeLimitNanoseconds = UInt64(timeLimit * 1e9)
        }
        config.ownsTerminal = Host.isTerminal(0)
        config.consoleIsTerminal = Host.isTerminal(0) || Host.isTerminal(1) || Host.isTerminal(2)
        do {
            config.network.publish = try publish.map { (text) throws(ParseError) in try PublishRule(parsing: text) }
            config.network.allow = try allow.map { (text) throws(ParseError) in try AllowRule(parsing: text) }
        } catch {
            return fail("\(error)", 2)
        }
        if let ip {
            let parts = ip.split(separator: "/", maxSplits: 1)
            guard let address = IPAddress(String(parts[0])), address.isV4, !address.isLoopback, !address.isUnspecified,
                  let prefix = parts.count == 2 ? Int(parts[1]) : 24, (8...30).contains(prefix) else {
                return fail("--ip expects an IPv4 address with an optional prefix length, such as 10.0.0.2/24, got '\(ip)'", 2)
            }
            config.network.address = address
            config.network.prefixLength = prefix
        }
        if let net {
            guard net.hasPrefix("switch:"), net.count > 7 else { return fail("--net expects switch:PATH, got '\(net)'", 2) }
            guard ip != nil else { return fail("--net switch: needs --ip, the machine's address on the switch", 2) }
            config.network.switchPath = String(net.dropFirst(7))
        }
        if let netLog {
            guard let fd = try? HostFD.open(netLog, flags: 0o1101, mode: 0o644) else { return fail("cannot write the network log \(netLog)", 2) }
            config.network.log = TraceSink(fd: fd)
        }
        if let pcap {
            guard let fd = try? HostFD.open(pcap, flags: 0o1101, mode: 0o644) else { return fail("cannot write the capture \(pcap)", 2) }
            config.network.pcap = TraceSink(fd: fd)
        }

        let start = Host.monotonicNanoseconds()
        let guest: Guest
        do { guest = try Guest(config: config, backend: chosen) } catch {
            return fail("cannot use \(rootDir) as the guest root: \(error.message)", 2)
        }
        let kernel = guest.kernel
        do { try guest.openNetwork() } catch { return fail("\(error)", 2) }
        do {
            try guest.boot(path: guestPath, argv: args, envp: envp)
        } catch {
            let reason = kernel.lastExecFailure?.reason ?? "\(program): \(error.message)"
            kernel.killAll()
            return fail(reason, error == .ENOENT ? 127 : 126)
        }
        if let gdb {
            guard let endpoint = Run.gdbEndpoint(gdb) else { return fail("--gdb expects [HOST:]PORT with HOST an IP address, got '\(gdb)'", 2) }
            do {
                let at = try kernel.startDebugger(listen: endpoint, wait: gdbWait)
                Host.diagnostic("umlab: gdb server listening on \(at)" + (gdbWait ? " (the guest waits for gdb)" : ""))
            } catch {
                kernel.killAll()
                return fail("--gdb \(gdb): cannot listen: \(error.message)", 2)
            }
        }
        let status = guest.run()
        if let statsJson { writeStats(kernel, chosen, start: start, to: statsJson) }
        switch guest.halt {
        case .finished: return status
        case .deadlock: return Run.deadlockStatus
        case .timeLimit: return Run.timeLimitStatus
        case .signalled(let sig): HostSignals.dieOf(sig)
        }
    }

    /// --gdb's [HOST:]PORT ([V6ADDR]:PORT for IPv6); the host is 127.0.0.1 when not given.
    static func gdbEndpoint(_ text: String) -> HostSocket.Endpoint? {
        var host = "127.0.0.1", port = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon]).filter { $0 != "[" && $0 != "]" }
            port = text[text.index(after: colon)...]
        }
        guard let p = UInt16(port), let address = IPAddress(host) else { return nil }
        return HostSocket.Endpoint(address, p)
    }

    /// The file options (--overlay, --bind, --tmpfs) into `config`, or a message for the user.
    func configureFiles(_ config: inout KernelConfig) throws(CommandLineError) {
        if let overlay {
            guard overlay != "" else { throw CommandLineError("--overlay expects a host directory") }
            if (try? HostFD.open(overlay, flags: HostOpen.path | HostOpen.directory))?.close() == nil {
                do { try HostFD.makeDirectory(overlay) } catch {
                    throw CommandLineError("--overlay \(overlay): cannot create the directory: \(error.message)")
                }
            }
            config.overlayDirectory = overlay
        }
        for text in bind {
            var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            var readOnly = false
            if parts.count == 3, parts[2] == "ro" || parts[2] == "rw" {
                readOnly = parts.removeLast() == "ro"
            }
            guard parts.count == 2, !parts[0].isEmpty, let guest = VFS.canonical(parts[1]), guest != "/" else {
                throw CommandLineError("--bind expects HOSTDIR:GUESTDIR[:ro|rw] with an absolute GUESTDIR other than /, got '\(text)'")
            }
            guard let fd = try? HostFD.open(parts[0], flags: HostOpen.path | HostOpen.directory) else {
                throw CommandLineError("--bind \(text): \(parts[0]) is not a host directory")
            }
            fd.close()
            config.mounts.append(.bind(host: parts[0], guest: guest, readOnly: readOnly))
        }
        for text in tmpfs {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard let first = parts.first, let guest = VFS.canonical(first), guest != "/" else {
                throw CommandLineError("--tmpfs expects GUESTDIR[:size=N] with an absolute GUESTDIR other than /, got '\(text)'")
            }
            var size: UInt64?
            if parts.count == 2 {
                guard parts[1].hasPrefix("size="), let n = parseSize(String(parts[1].dropFirst(5))) else {
                    throw CommandLineError("--tmpfs expects GUESTDIR[:size=N] (N as 64M, 1G or bytes), got '\(text)'")
                }
                size = n == 0 ? nil : n
            }
            config.mounts.append(.tmpfs(guest: guest, size: size))
        }
    }

    /// Why a program the host has is not in the guest's view, in one line, with the option that
    /// would show it; nil when the host has no such file either.
    func hiddenProgramHint(_ program: String, _ guestPath: String, view: GuestView, rootDir: String) -> String? {
        guard let canonical = VFS.canonical(guestPath) else { return nil }
        let hostPath = rootDir == "/" ? canonical : rootDir + canonical
        if readHeader("/", hostPath) == nil {
            // Outside --root: the host has it at the path given, the guest's root does not.
            guard rootDir != "/", readHeader("/", canonical) != nil else { return nil }
            return "\(canonical) is outside --root \(rootDir), so the guest cannot see it; copy it under \(rootDir) or use --bind \(dirname(canonical)):/mnt"
        }
        let m = view.mount(holding: canonical)
        guard m.point != "/" else { return nil }
        let what = m.type == "tmpfs" ? "the guest's own tmpfs" : m.type == "proc" ? "the guest's /proc" : m.type == "devtmpfs" ? "the guest's /dev" : "a mount of \(m.source)"
        let dir = dirname(hostPath)
        return "\(hostPath) is hidden in the guest: \(m.point) is \(what); put it elsewhere or use --bind \(dir):\(dirname(canonical))"
    }

    func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    func initialDirectory(_ root: String) -> String {
        guard root == "/", let cwd = hostEnv("PWD") else { return "/" }
        return cwd
    }

    func readHeader(_ root: String, _ path: String) -> [UInt8]? {
        guard let fd = try? HostFD.open(root == "/" ? path : root + path, flags: HostOpen.readOnly) else { return nil }
        defer { fd.close() }
        guard let st = try? fd.stat(), FileKind(mode: st.mode) == .regular else { return nil }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = (try? typedErrno { try buf.withUnsafeMutableBytes { try fd.read(into: $0, at: 0) } }) ?? 0
        return Array(buf[0..<n])
    }

    func writeStats(_ k: Kernel, _ b: any Backend, start: UInt64, to path: String) {
        func obj(_ d: [String: UInt64]) -> String {
            "{" + d.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        }
        let s = k.stats
        let wall = Double(Host.monotonicNanoseconds() - start) / 1e9
        let total = s.syscalls.values.reduce(0, +)
        var json = "{\n"
        json += "  \"backend\": \"\(b.name)\",\n  \"mode\": \"\(k.config.mode)\",\n"
        json += "  \"wall_seconds\": \(wall),\n  \"exit_status\": \(k.exitCode),\n"
        json += "  \"syscalls_total\": \(total),\n  \"syscalls\": \(obj(s.syscalls)),\n"
        json += "  \"unimplemented\": \(obj(s.unimplemented)),\n"
        json += "  \"guest_faults\": \(s.guestFaults),\n  \"signals_delivered\": \(s.signalsDelivered),\n"
        json += "  \"context_switches\": \(s.contextSwitches),\n  \"preemptions\": \(s.preemptions),\n"
        json += "  \"forks\": \(s.forks),\n  \"execs\": \(s.execs),\n"
        json += "  \"limits\": \(limitsJSON(k)),\n"
        // Sockets: how many were made, and the setsockopt options umlab accepted without
        // knowing them ("level:name": count), so a program's unhandled options show up.
        json += "  \"sockets\": {\"created\": \(k.network.socketsCreated), \"unknown_setsockopt\": \(obj(k.network.unknownOptions))},\n"
        json += "  \"backend_counters\": \(obj(b.counters))\n}\n"
        guard let fd = try? HostFD.open(path, flags: 0o1101, mode: 0o644) else { Host.diagnostic("umlab: cannot write \(path)"); return }
        var bytes = Array(json.utf8)
        try? fd.writeAll(&bytes)
        fd.close()
    }
}

func hostEnv(_ name: String) -> String? { HostEnvironment.value(name) }

/// A mistake on the command line, as one line for the user.
struct CommandLineError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// A size as the command line takes it: bytes, or a number with K, M, G or T (powers of 1024;
/// "512M", "2G", "1.5G", "64KiB").
func parseSize(_ text: String) -> UInt64? {
    var s = text.uppercased()
    if s.hasSuffix("IB") { s.removeLast(2) } else if s.hasSuffix("B") { s.removeLast() }
    var unit: Double = 1
    if let last = s.last, let k = ["K": 10.0, "M": 20.0, "G": 30.0, "T": 40.0][String(last)] {
        unit = Double(sign: .plus, exponent: Int(k), significand: 1)
        s.removeLast()
    }
    guard let n = Double(s), n.isFinite, n >= 0 else { return nil }
    let bytes = n * unit
    guard bytes < 0x1p63 else { return nil }
    return UInt64(bytes)
}

/// The limits' counters for --stats-json.
func limitsJSON(_ k: Kernel) -> String {
    let m = k.memory, st = m.stats, l = k.config.limits, d = k.hostDescriptors
    let kinds = MemoryController.Kind.allCases.map { "\"\($0.name)\": \(m.byKind[$0.rawValue])" }.joined(separator: ", ")
    let log = st.oomLog.map { JSON.quote($0) }.joined(separator: ", ")
    return """
        {"memory": {"limit": \(m.limit), "usage": \(m.usage), "peak": \(m.peak), "by_kind": {\(kinds)}, \
        "enomem": \(st.enomem), "oom_kills": \(st.oomKills), "oom_log": [\(log)]}, \
        "pids": {"limit": \(l.pids), "peak": \(st.tasksPeak), "eagain": \(st.eagain)}, \
        "nofile": {"limit": \(l.nofile), "emfile": \(st.emfile)}, \
        "host_descriptors": {"budget": \(d.budget), "pool": \(d.poolCapacity), "peak": \(d.peak), "in_use": \(d.inUse)}}
        """
}

/// `umlab demo`: Debian's busybox-static as the guest shell, showing the guest's own view.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the embedded demonstration under busybox (needs /bin/busybox).")
    static let script = """
        echo "== uname -a (the guest kernel's, not the host's)"; uname -a
        echo "== id"; id
        echo "== ps (only guest processes)"; ps
        echo "== a pipeline"; seq 1 20 | grep 1 | sort -r | head -3 | tr '\\n' ' '; echo
        echo "== files in the guest's tmpfs"; echo hello > /tmp/demo.txt; cat /tmp/demo.txt; ls -l /tmp
        echo "== the root is read-only"; touch /umlab-demo 2>&1 || true
        """
    func run() throws {
        // The script goes into the guest's /tmp first, so ps shows "sh /tmp/demo.sh".
        let launcher = "printf '%s\\n' \"$1\" > /tmp/demo.sh; exec sh /tmp/demo.sh"
        let r = try Run.parse(["--hostname", "umlab-demo", "--", "/bin/busybox", "sh", "-c", launcher, "umlab-demo", Demo.script])
        try r.run()
    }
}

/// `umlab disasm FILE`: one line per instruction of the executable segments, `ADDRESS: TEXT`,
/// decoded by the backend of the ELF's machine (Capstone for x86-64 and PowerPC).
struct Disasm: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Disassemble the executable segments of an ELF file.")
    @Argument(help: "The ELF file (a host path).") var file: String

    func run() throws {
        guard let fd = try? HostFD.open(file, flags: HostOpen.readOnly), let bytes = try? fd.readAll(limit: 1 << 30) else {
            Host.diagnostic("umlab: \(file): No such file or directory")
            throw ExitCode(127)
        }
        fd.close()
        Disasm.list(try Disasm.plan(bytes, name: file), bytes)
    }

    /// What `disasm` decodes in a file: the backend its header names and the code ranges.
    struct Plan {
        let backend: any Backend
        /// Executable sections, as objdump -d shows them; the executable segments if there are
        /// none. Only what lies inside the file, at addresses below 2^64.
        let ranges: [(address: UInt64, offset: UInt64, size: UInt64)]

        /// Equal keys give equal listings (the decoders keep no state between instructions):
        /// the ISA, each range's address and bytes. The fuzz driver lists a mutant only when
        /// its key is new.
        func key(_ bytes: [UInt8]) -> Int {
            var h = Hasher()
            h.combine(backend.elfMachine)
            for r in ranges {
                h.combine(r.address)
                h.combine(r.size)
                bytes[Int(r.offset)..<Int(r.offset + r.size)].withUnsafeBytes { h.combine(bytes: $0) }
            }
            return h.finalize()
        }
    }

    /// Parses the file's headers and finds its code; a file that cannot be listed gets a
    /// one-line message and status 126.
    static func plan(_ bytes: [UInt8], name: String) throws -> Plan {
        let image: ELFImage
        do {
            image = try ELFImage.parse { (offset, count) throws(LinuxErrno) -> [UInt8] in
                let start = Int(min(offset, UInt64(bytes.count)))
                return Array(bytes[start..<min(bytes.count, start + count)])
            }
        } catch {
            Host.diagnostic("umlab: \(name): \(error)")
            throw ExitCode(126)
        }
        guard let backend = Backends.forMachine(image.machine) else {
            Host.diagnostic("umlab: \(name): ELF for \(elfMachineName(image.machine)); no umlab backend decodes it")
            throw ExitCode(126)
        }
        let fileSize = UInt64(bytes.count)
        var ranges = ELFImage.codeSections(bytes).map { (address: $0.address, offset: $0.offset, size: $0.size) }
        if ranges.isEmpty {
            ranges = image.segments.compactMap { s in
                guard s.type == ELFImage.PT_LOAD, s.flags & 1 != 0, s.offset < fileSize else { return nil }
                let size = min(s.fileSize, fileSize - s.offset)
                guard GuestMath.end(s.vaddr, size) != nil else { return nil }
                return (s.vaddr, s.offset, size)
            }
        }
        return Plan(backend: backend, ranges: ranges)
    }

    /// Prints the listing of the plan's ranges.
    static func list(_ plan: Plan, _ bytes: [UInt8]) {
        let backend = plan.backend
        var out = ""
        let unit = backend.elfMachine == 62 ? 1 : backend.elfMachine == 50 ? 16 : 4
        for range in plan.ranges {
            // Checked by plan(): offset + size <= the file's size, address + size < 2^64.
            let start = Int(range.offset), end = start + Int(range.size)
            var at = start
            while at < end {
                let address = range.address + UInt64(at - start)
                let window = Array(bytes[at..<min(end, at + 16)])
                if let (lines, length) = backend.disassembleLines(window, address: address), length > 0 {
                    for (a, text) in lines { out += "\(String(a, radix: 16)): \(text)\n" }
                    at += length
                } else {
                    let raw = window.prefix(unit).map { String(format2: $0) }.joined(separator: " ")
                    out += "\(String(address, radix: 16)): (bad) \(raw)\n"
                    at += unit
                }
                if out.utf8.count > 1 << 16 { print(out, terminator: ""); out = "" }
            }
        }
        print(out, terminator: "")
    }
}

extension String {
    init(format2 b: UInt8) { self = (b < 16 ? "0" : "") + String(b, radix: 16) }
}
