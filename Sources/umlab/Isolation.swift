import ArgumentParser
import GuestKernel
import HostOS
import LinuxABI

/// `umlab isolation [--json]`: the attack programs of Benchmarks/isolation, built per ISA and
/// run as ordinary guests on every backend in every mode. Each attack is a real guest
/// program; this command only plants secrets, runs it under `umlab run`, and reads the result
/// off what the program printed (or, for `outlive`, off the host's process table).
struct Isolation: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the isolation attack suite on every backend and mode; print the blocked/leaked matrix.")

    @Flag(help: "Print the matrix as JSON.") var json = false
    @Option(help: "Only this backend (repeatable).") var backend: [String] = []
    @Option(help: "Only this mode (repeatable).") var mode: [String] = []
    @Option(help: "Directory holding attacks.c and attacks-ia64.s (default: found from the umlab binary).") var sources: String?
    @Flag(help: "Also print each attack's output.") var verbose = false

    static let attacks = ["kernel-read", "pipe-snoop", "file-snoop", "private-peek", "become-root", "host-escape", "outlive"]
        + networkAttacks
    /// Attacks on the network's sequestering: the harness listens on the host and judges by
    /// what reaches it (see `networkAttack`).
    static let networkAttacks = ["net-reach", "net-bind", "dns-exfil", "toctou"]

    func run() throws {
        // What an attack leaves behind becomes ours (and only that: other umlab runs on the host
        // are not counted, nor killed).
        Subprocess.adoptOrphans()
        guard let dir = sources ?? Isolation.findSources() else {
            Host.diagnostic("umlab isolation: cannot find Benchmarks/isolation/attacks.c; pass --sources DIR")
            throw ExitCode(2)
        }
        let build = dir + "/build"
        _ = try? HostFD.makeDirectory(build)
        let jail = build + "/jail"
        // The guest's root: the attack binaries and the mount points of tmpfs, procfs, devfs.
        for d in [jail, jail + "/tmp", jail + "/proc", jail + "/dev"] { _ = try? HostFD.makeDirectory(d) }
        let secret = Isolation.randomToken()
        // A host file next to the guest's root, which no guest may read.
        let outside = build + "/outside-secret.txt"
        try? HostFD.writeFile(outside, Array("HOST-\(secret)\n".utf8))

        var matrix: [(backend: String, modes: [(mode: String, cells: [(attack: String, verdict: String)])])] = []
        for b in Backends.all() where backend.isEmpty || backend.contains(b.name) {
            let binary = "\(jail)/attacks.\(b.name)"
            let built = Isolation.build(b.name, sources: dir, output: binary)
            var modes: [(String, [(String, String)])] = []
            for m in b.supportedModes.map(\.rawValue) where mode.isEmpty || mode.contains(m) {
                var cells: [(String, String)] = []
                for a in Isolation.attacks {
                    if !json { Host.diagnostic("umlab isolation: \(b.name) \(m) \(a)…") }
                    let verdict: String
                    if let why = built { verdict = "unavailable: \(why)" } else {
                        verdict = Isolation.attack(a, backend: b.name, mode: m, jail: jail, binary: "/attacks.\(b.name)",
                                                   secret: secret, outside: outside, verbose: verbose)
                    }
                    cells.append((a, verdict))
                }
                modes.append((m, cells))
            }
            matrix.append((b.name, modes.map { (mode: $0.0, cells: $0.1.map { (attack: $0.0, verdict: $0.1) }) }))
        }
        print(json ? Isolation.json(matrix) : Isolation.table(matrix), terminator: "")
        // Success means what the design promises: nothing leaks in SKAS or seccomp.
        let broken = matrix.flatMap { b in b.modes.flatMap { m in m.cells.filter { m.mode != "tt" || Isolation.networkAttacks.contains($0.attack) } } }
            .contains { $0.verdict == "leaked" }
        if broken { throw ExitCode(1) }
    }

    /// Plants the secrets one attack needs, runs it, and judges it.
    static func attack(_ name: String, backend: String, mode: String, jail: String, binary: String,
                       secret: String, outside: String, verbose: Bool) -> String {
        if networkAttacks.contains(name) {
            if backend == "ia64" { return "unavailable: no IA-64 network attack program yet" }
            return networkAttack(name, backend: backend, mode: mode, jail: jail, binary: binary, secret: secret, verbose: verbose)
        }
        let token = "\(name.uppercased())-\(secret)"
        var args: [String]
        switch name {
        case "kernel-read", "outlive": args = [name]
        case "host-escape": args = [name, outside]
        default: args = [name, token]
        }
        let before = guestHostProcesses()
        let argv = [selfPath(), "run", "--backend", backend, "--mode", mode, "--root", jail, "--", binary] + args
        guard let out = try? Subprocess.run(argv, timeoutSeconds: 120) else { return "error: cannot run umlab" }
        if verbose { Host.diagnostic("---- \(backend) \(mode) \(name) (status \(out.status))\n\(out.text)") }
        let text = out.text
        switch name {
        case "kernel-read": return text.contains("UMLABKRN") ? "leaked" : "blocked"
        case "become-root": return text.contains("getuid 0") || text.contains(token) ? "leaked" : "blocked"
        case "host-escape": return text.contains("HOST-\(secret)") ? "leaked" : "blocked"
        case "outlive":
            // Give a survivor a moment to show itself, then look for guest host processes that
            // were not there before umlab ran (and do not let them live).
            Subprocess.sleep(milliseconds: 300)
            let left = guestHostProcesses().subtracting(before)
            for pid in left { Subprocess.killAndReap(pid) }
            return left.isEmpty ? "blocked" : "leaked"
        default: return text.contains(token) ? "leaked" : "blocked"
        }
    }

    /// The network attacks. The harness opens host listeners (TCP and UDP, IPv4 and IPv6) on a
    /// free port, runs the attack, and then looks at what reached them: a pending connection or
    /// a datagram is a leak, as is a guest listener that shows on the host.
    static func networkAttack(_ name: String, backend: String, mode: String, jail: String, binary: String,
                              secret: String, verbose: Bool) -> String {
        let token = "\(name.uppercased())-\(secret)"
        let hostAddresses = HostSocket.localAddresses().map(\.description)
        var listeners: [HostFD] = []
        defer { for l in listeners { l.close() } }
        /// TCP and UDP listeners on every address at one free port; the port.
        func listen() -> UInt16? {
            for _ in 0..<20 {
                guard let probe = try? HostSocket.listen(HostSocket.Endpoint(.anyV4, 0), stream: true),
                      let port = HostSocket.localEndpoint(probe)?.port else { continue }
                var opened = [probe]
                let others: [(IPAddress, Bool)] = [(IPAddress.anyV4, false), (IPAddress.anyV6, true), (IPAddress.anyV6, false)]
                for (ip, stream) in others {
                    if let fd = try? HostSocket.listen(HostSocket.Endpoint(ip, port), stream: stream) { opened.append(fd) }
                }
                if opened.count == 4 { listeners += opened; return port }
                for fd in opened { fd.close() }
            }
            return nil
        }
        /// Connections waiting on, and datagrams sent to, the listeners so far.
        func reached(_ fds: [HostFD]) -> Int {
            var n = 0
            var buffer = [UInt8](repeating: 0, count: 2048)
            for fd in fds {
                while let (c, _) = try? HostSocket.accept(fd) { n += 1; c.close() }
                while (try? typedErrno { try buffer.withUnsafeMutableBytes { p in try HostSocket.receive(fd, into: p) } }) != nil { n += 1 }
            }
            return n
        }
        var options: [String] = []
        var args: [String]
        var shellCheck: UInt16?
        var allowedFDs: [HostFD] = []
        switch name {
        case "net-reach":
            guard let port = listen() else { return "error: no free host port" }
            args = [name, String(port), token] + hostAddresses
        case "dns-exfil":
            guard let port = listen() else { return "error: no free host port" }
            args = [name, token, String(port)] + hostAddresses
        case "net-bind":
            guard let probe = try? HostSocket.listen(HostSocket.Endpoint(.anyV4, 0), stream: true),
                  let port = HostSocket.localEndpoint(probe)?.port else { return "error: no free host port" }
            probe.close()
            shellCheck = port
            args = [name, String(port)]
        default:  // toctou
            guard let host = HostSocket.localAddresses().first(where: \.isV4) else { return "unavailable: the host has no IPv4 address" }
            guard let denied = listen() else { return "error: no free host port" }
            let deniedFDs = listeners
            listeners = []
            guard let allowed = listen() else { return "error: no free host port" }
            allowedFDs = listeners
            listeners = deniedFDs + allowedFDs
            options = ["--allow", "tcp:\(host):\(allowed)"]
            args = [name, host.description, String(denied), host.description, String(allowed)]
        }
        let umlab = [selfPath(), "run", "--backend", backend, "--mode", mode, "--root", jail] + options + ["--", binary] + args
        let argv: [String]
        if let port = shellCheck {
            // While the guest listens, look for the port among the host's listeners.
            let hex = String(port, radix: 16, uppercase: true)
            let padded = String(repeating: "0", count: 4 - hex.count) + hex
            let quoted = umlab.map { "'" + $0.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'" }.joined(separator: " ")
            argv = ["/bin/sh", "-c", "\(quoted) & sleep 1.5; if grep -Eiq '^ *[0-9]+: [0-9A-F]+:\(padded) [0-9A-F]+:[0-9A-F]+ 0A' /proc/net/tcp /proc/net/tcp6; then echo VISIBLE-ON-HOST; fi; wait"]
        } else {
            argv = umlab
        }
        guard let out = try? Subprocess.run(argv, timeoutSeconds: 120) else { return "error: cannot run umlab" }
        if verbose { Host.diagnostic("---- \(backend) \(mode) \(name) (status \(out.status))\n\(out.text)") }
        let text = out.text
        switch name {
        case "net-bind":
            guard text.contains("ipv4 yes") else { return "error: the guest could not listen" }
            return text.contains("VISIBLE-ON-HOST") ? "leaked" : "blocked"
        case "toctou":
            let deniedReached = reached(Array(listeners.prefix(listeners.count - allowedFDs.count)))
            let allowedReached = reached(allowedFDs)
            if deniedReached > 0 { return "leaked" }
            return allowedReached > 0 ? "blocked" : "error: the allowed destination was not reached either"
        default:
            return reached(listeners) > 0 || text.contains("connected,") ? "leaked" : "blocked"
        }
    }

    /// Host processes that are umlab guests (x86-64 names them "umlab-guest").
    /// Guest host processes that are this process's children: with `Subprocess.adoptOrphans`,
    /// whatever an attack's umlab left behind, and nothing of other umlab runs on the machine.
    static func guestHostProcesses() -> Set<Int32> {
        guard let proc = try? HostFD.open("/proc", flags: HostOpen.directory) else { return [] }
        defer { proc.close() }
        let me = Host.pid
        var out: Set<Int32> = []
        for e in (try? proc.directoryEntries()) ?? [] {
            guard let pid = Int32(e.name), let f = try? HostFD.open("/proc/\(pid)/stat", flags: HostOpen.readOnly) else { continue }
            let stat = String(decoding: (try? f.readAll(limit: 512)) ?? [], as: UTF8.self)
            f.close()
            // "pid (comm) state ppid ...": comm may hold spaces, so split after its ')'.
            guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let comm = stat[stat.index(after: open)..<close]
            let rest = stat[stat.index(after: close)...].split(separator: " ")
            guard comm.hasPrefix("umlab-guest"), rest.count > 1, Int32(rest[1]) == me else { continue }
            // A zombie was killed with its umlab (PTRACE_O_EXITKILL); it only waits to be reaped.
            if rest[0] == "Z" { Subprocess.killAndReap(pid) } else { out.insert(pid) }
        }
        return out
    }

    /// Builds the attack program for `isa` into `output`; nil when built, else why not.
    static func build(_ isa: String, sources: String, output: String) -> String? {
        let c = sources + "/attacks.c"
        switch isa {
        case "x86_64": return Bench.compile(["gcc", "-static", "-O2", "-pthread", "-o", output, c])
        case "ppc": return Bench.compile(["powerpc-linux-gnu-gcc", "-static", "-O2", "-pthread", "-o", output, c])
        case "ia64":
            let obj = output + ".o"
            return Bench.compile(["ia64-linux-gnu-as", "-o", obj, sources + "/attacks-ia64.s"])
                ?? Bench.compile(["ia64-linux-gnu-ld", "-o", output, obj])
        default: return "no attack program for \(isa)"
        }
    }

    static func findSources() -> String? {
        Bench.findSourceTree(containing: "Benchmarks/isolation/attacks.c").map { $0 + "/Benchmarks/isolation" }
    }

    static func selfPath() -> String { (try? HostFD.readLink("/proc/self/exe")) ?? "umlab" }

    static func randomToken() -> String {
        var bytes = [UInt8](repeating: 0, count: 8)
        _ = try? typedErrno { try bytes.withUnsafeMutableBytes { try Host.random(into: $0) } }
        return bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    typealias Matrix = [(backend: String, modes: [(mode: String, cells: [(attack: String, verdict: String)])])]

    static func json(_ m: Matrix) -> String {
        let q = JSON.quote
        let backends = m.map { b in
            let modes = b.modes.map { md in
                "    \(q(md.mode)): {" + md.cells.map { "\(q($0.attack)): \(q($0.verdict))" }.joined(separator: ", ") + "}"
            }
            return "  \(q(b.backend)): {\n" + modes.joined(separator: ",\n") + "\n  }"
        }
        return "{\n" + backends.joined(separator: ",\n") + "\n}\n"
    }

    static func table(_ m: Matrix) -> String {
        var columns: [(String, String)] = []  // (backend, mode)
        for b in m { for md in b.modes { columns.append((b.backend, md.mode)) } }
        let width = max(13, Isolation.attacks.map(\.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        var out = pad("attack", width) + columns.map { "  " + pad("\($0.0)/\($0.1)", 12) }.joined() + "\n"
        for a in Isolation.attacks {
            out += pad(a, width)
            for (bn, mn) in columns {
                let v = m.first { $0.backend == bn }?.modes.first { $0.mode == mn }?.cells.first { $0.attack == a }?.verdict ?? "-"
                out += "  " + pad(v.hasPrefix("unavailable") ? "n/a" : v, 12)
            }
            out += "\n"
        }
        out += "\nblocked = the attack found nothing; leaked = it printed the planted secret (or the kernel's\n"
        out += "data, or got uid 0), or left a host process behind. Expected: every skas/seccomp cell blocked;\n"
        out += "in tt, the historical leaks (kernel memory, other guests' pipe and file data, guest root).\n"
        out += "The network attacks are not memory attacks: they must be blocked in every mode, tt included.\n"
        return out
    }
}
