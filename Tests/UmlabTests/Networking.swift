import Foundation
import Testing

/// Issue #11's "what it must show", with real programs: servers and clients inside one guest
/// (busybox, netcat, python3, node, nginx, redis, a C pair on PowerPC), the same servers
/// reached from the host through `--publish`, and the sequestered machine (`--allow`, umlab's
/// DNS answerer, `--net-log`). The drivers are in Tests/programs/net; each prints only
/// deterministic text, so a guest run is compared with a native run of the same driver.
enum Net {
    static let scripts = Harness.root.appendingPathComponent("Tests/programs/net").path
    static func script(_ name: String) -> String { "\(scripts)/\(name)" }

    /// The pages the servers serve: index.html and a 2 MiB big.bin (a fixed pseudo-random
    /// pattern, so its digest is known), made once in the build tree (guests see a private
    /// /tmp, not the host's).
    static let www: String = {
        let dir = Harness.root.appendingPathComponent("Tests/programs/build/www")
        let fm = FileManager.default
        try? fm.createDirectory(at: dir, withIntermediateDirectories: true)
        var big = [UInt8](repeating: 0, count: 2 << 20)
        var seed: UInt32 = 11
        for i in big.indices { seed = seed &* 1_103_515_245 &+ 12345; big[i] = UInt8(truncatingIfNeeded: seed >> 16) }
        for (name, data) in [("index.html", Data("<html><body>umlab test page</body></html>\n".utf8)), ("big.bin", Data(big))] {
            let path = dir.appendingPathComponent(name).path
            if fm.contents(atPath: path) == data { continue }
            // Suites run in parallel: write a private file, then rename it into place.
            let tmp = path + ".tmp\(UInt32.random(in: 0...UInt32.max))"
            _ = fm.createFile(atPath: tmp, contents: data)
            _ = rename(tmp, path)
        }
        return dir.path
    }()
    static let bigDigest = "e9a3d72988a717dbba3e3f315fd9f856"

    /// A port free on the host now (for native runs and published ports).
    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = INADDR_ANY
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return UInt16(bigEndian: a.sin_port)
    }

    /// Runs `argv` with no signal blocked (Tests/programs/clean-signals.py): the drivers `wait`
    /// for their servers, which a blocked SIGCHLD would hang natively and in the guest alike.
    static let clean = ["/usr/bin/python3", Harness.root.appendingPathComponent("Tests/programs/clean-signals.py").path]
    static func native(_ argv: [String]) throws -> Harness.Outcome { try Harness.run(clean + argv).0 }
    static func guest(_ argv: [String], mode: String, options: [String] = []) throws -> (Harness.Outcome, String) {
        // A stuck guest ends the test instead of hanging it.
        try Harness.run(clean + [Harness.umlab, "run", "--mode", mode, "--time-limit", "120"] + options + ["--"] + argv)
    }

    /// The driver natively on a free host port and in the guest on `guestPort` (the guest's
    /// ports are its own): same output, which must also satisfy `check`.
    static func compare(_ argv: (String) -> [String], guestPort: UInt16, mode: String,
                        check: (String) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let native = try Net.native(argv(String(freePort())))
        #expect(native.status == 0 && check(native.stdout), "native run: \(native.stdout)", sourceLocation: sourceLocation)
        let (guest, err) = try Net.guest(argv(String(guestPort)), mode: mode)
        #expect(guest == native, "stderr: \(err)", sourceLocation: sourceLocation)
    }

    static func sh(_ name: String, _ args: String...) -> (String) -> [String] {
        { port in ["/bin/sh", script(name), port] + args }
    }
}

/// Servers and their clients inside one guest, on x86-64 in every mode: the guest's output
/// is the native run's.
@Suite(.serialized) struct NetworkAppsInOneGuest {
    @Test(arguments: Harness.x86Modes)
    func busyboxHttpdServesBusyboxWget(_ mode: String) throws {
        try Net.compare(Net.sh("httpd-wget.sh", Net.www), guestPort: 8080, mode: mode) {
            $0.contains("umlab test page") && $0.contains("\(Net.bigDigest)  -\nmissing page: wget status 1\nhttpd ended by SIGTERM: yes\n")
        }
    }

    @Test(arguments: Harness.x86Modes)
    func netcatBothWays(_ mode: String) throws {
        try Net.compare(Net.sh("nc.sh"), guestPort: 9000, mode: mode) {
            ["client to server (busybox to busybox)", "server to client (busybox to openbsd)", "client to server (busybox to openbsd)",
             "server to client (openbsd to openbsd)"].allSatisfy($0.contains) && !$0.contains("never")
        }
    }

    @Test(arguments: Harness.x86Modes)
    func pythonHTTPServerAndUrllib(_ mode: String) throws {
        try Net.compare({ ["/usr/bin/python3", Net.script("py-http.py"), $0, Net.www] }, guestPort: 8000, mode: mode) {
            $0 == "200 text/html\n<html><body>umlab test page</body></html>\nbig.bin md5 \(Net.bigDigest)\n"
                + "GET /missing.html -> 404\nPOST / -> 501\nserver exit -15\n"
        }
    }

    @Test(arguments: Harness.x86Modes)
    func asyncioSubprocessesAndSockets(_ mode: String) throws {
        let argv = ["/usr/bin/python3", Net.script("asyncio-both.py")]
        let native = try Net.native(argv)
        #expect(native.status == 0 && native.stdout.contains("squares ['1', '4', '9', '16', '25']") && native.stdout.hasSuffix("1048577\nserver closed\n"))
        let (guest, err) = try Net.guest(argv, mode: mode)
        #expect(guest == native, "stderr: \(err)")
    }

    @Test(arguments: Harness.x86Modes)
    func nodeHTTPServerAndClient(_ mode: String) throws {
        let code = try String(contentsOfFile: Net.script("node-http.js"), encoding: .utf8)
        let argv = ["/usr/bin/node", "-e", code]
        let native = try Net.native(argv)
        #expect(native.status == 0 && native.stdout.contains("parallel: 20 of 20 ok") && native.stdout.hasSuffix("server closed\n"))
        let (guest, err) = try Net.guest(argv, mode: mode)
        #expect(guest == native, "stderr: \(err)")
    }

    /// nginx's master and 2 workers (epoll, eventfd, socketpair channels, O_ASYNC), curl as the
    /// client: pages, sendfile, keep-alive, 20 requests in parallel, a graceful SIGQUIT.
    @Test(arguments: Harness.x86Modes)
    func nginxWithTwoWorkers(_ mode: String) throws {
        try Net.compare(Net.sh("nginx.sh", Net.www), guestPort: 8081, mode: mode) {
            $0.contains("\(Net.bigDigest)  -\nmissing: 404\n200 new connections: 1\n200 new connections: 0\n200 new connections: 0\n")
                && $0.hasSuffix("parallel: 20 nginx answers\nworkers: 2\nnginx status 0\n")
        }
    }

    @Test(arguments: Harness.x86Modes)
    func redisServerBenchmarkAndCli(_ mode: String) throws {
        try Net.compare(Net.sh("redis.sh"), guestPort: 6379, mode: mode) {
            $0.hasPrefix("PONG\nSET: done\nGET: done\nINCR: done\nLPUSH: done\nLPOP: done\nMSET (10 keys): done\ncounter after 2000 INCR: 2000\n")
                && $0.hasSuffix("redis-server status 0\n")
        }
    }

    /// A C echo server and its forked clients (TCP and UDP on the loopback), built for x86-64
    /// and cross-compiled for PowerPC: every x86-64 mode and both PowerPC modes print what the
    /// program prints natively (and under qemu-ppc).
    @Test(arguments: Harness.x86Modes.map { ("gcc", $0) } + Harness.interpreterModes.map { ("powerpc-linux-gnu-gcc", $0) })
    func cEchoPair(_ compiler: String, _ mode: String) throws {
        let native = try Harness.native([try Harness.program("net_echo")])
        #expect(native.status == 0 && native.stdout.hasSuffix("net_echo: done\n"), "\(native.stdout)")
        let exe = try Harness.program("net_echo", compiler: compiler)
        if compiler != "gcc" {
            #expect(try Harness.native(["/usr/bin/qemu-ppc", exe]) == native)
        }
        let (guest, err) = try Net.guest([exe], mode: mode)
        #expect(guest == native, "stderr: \(err)")
    }
}

/// What the host sees of a guest: only the ports published with `--publish`.
enum HostView {
    /// Ports in LISTEN state on the host, as `ss -ltn` lists them.
    static func ssListeningPorts() throws -> Set<UInt16> {
        let out = try Harness.native(["/usr/bin/ss", "-ltnH"]).stdout
        return Set(out.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 4, let colon = fields[3].lastIndex(of: ":") else { return nil }
            return UInt16(fields[3][fields[3].index(after: colon)...])
        })
    }

    /// The ports of TCP listeners held by `pid` or any of its descendants (the guest's host
    /// processes in every mode), from /proc/net/tcp{,6} and the processes' descriptors.
    static func listeningPorts(ofTree pid: Int32) -> Set<UInt16> {
        let fm = FileManager.default
        var parent: [Int32: Int32] = [:]
        for entry in (try? fm.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let p = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, let pp = Int32(fields[1]) { parent[p] = pp }
        }
        func inTree(_ p: Int32) -> Bool {
            var q = p
            for _ in 0..<64 { if q == pid { return true }; guard let up = parent[q], up > 0 else { return false }; q = up }
            return false
        }
        var inodes = Set<Substring>()
        for p in parent.keys where inTree(p) {
            for fd in (try? fm.contentsOfDirectory(atPath: "/proc/\(p)/fd")) ?? [] {
                if let link = try? fm.destinationOfSymbolicLink(atPath: "/proc/\(p)/fd/\(fd)"), link.hasPrefix("socket:[") {
                    inodes.insert(Substring(link.dropFirst(8).dropLast()))
                }
            }
        }
        var ports = Set<UInt16>()
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            for line in ((try? String(contentsOfFile: table, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                // sl local remote st ... inode (field 9); 0A is LISTEN.
                guard f.count > 9, f[3] == "0A", inodes.contains(f[9]), let colon = f[1].lastIndex(of: ":"),
                      let port = UInt16(f[1][f[1].index(after: colon)...], radix: 16) else { continue }
                ports.insert(port)
            }
        }
        return ports
    }

    /// The host's first global IPv4 address (nil if it has none).
    static func hostAddress() throws -> String? {
        let out = try Harness.native(["/usr/sbin/ip", "-4", "-o", "addr", "show", "scope", "global"]).stdout
        return out.split(separator: "\n").first.flatMap { line in
            line.split(separator: " ").firstIndex(of: "inet").map { i in String(line.split(separator: " ")[i + 1].split(separator: "/")[0]) }
        }
    }

    /// Every line of a --net-log file parsed by python3's json.loads; the events named.
    static func netLogEvents(_ path: String) throws -> (parsed: Bool, events: [String], text: String) {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let check = "import json, sys\nfor line in open(sys.argv[1]): print(json.loads(line)['event'])"
        let r = try Harness.native(["/usr/bin/python3", "-c", check, path])
        return (r.status == 0 && !text.isEmpty, r.stdout.split(separator: "\n").map(String.init), text)
    }
}

/// A guest program started in the background, read line by line while it runs.
final class RunningGuest {
    let process = Process()
    private let out = Pipe()
    private var buffered = ""

    init(_ argv: [String], mode: String, options: [String]) throws {
        process.executableURL = URL(fileURLWithPath: Net.clean[0])
        process.arguments = Array(Net.clean.dropFirst()) + [Harness.umlab, "run", "--mode", mode, "--time-limit", "120"] + options + ["--"] + argv
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// The next line of the guest's output (nil at the end).
    func line() -> String? {
        while !buffered.contains("\n") {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            buffered += String(decoding: d, as: UTF8.self)
        }
        guard let nl = buffered.firstIndex(of: "\n") else { return nil }
        defer { buffered = String(buffered[buffered.index(after: nl)...]) }
        return String(buffered[..<nl])
    }

    /// The rest of the output and umlab's status.
    func finish() -> (String, Int32) {
        let rest = buffered + String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (rest, process.terminationStatus)
    }
}

/// Servers in a guest reached by curl on the host through `--publish`; while the guest runs,
/// the host has the published port as a listener and no other socket of the guest's.
@Suite(.serialized) struct NetworkPublish {
    @Test(arguments: ["httpd", "python", "nginx"], Harness.x86Modes)
    func curlOnTheHostReachesTheGuestServer(_ server: String, _ mode: String) throws {
        let hostPort = Net.freePort()
        // The guest's port: nothing on the host listens there, so seeing it would be a leak.
        let guestPort: UInt16 = 18_080
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let stop = "/var/tmp/umlab-publish-stop-\(tag)", log = "/var/tmp/umlab-publish-\(tag).jsonl"
        defer { unlink(stop); unlink(log) }
        let before = try HostView.ssListeningPorts()
        #expect(!before.contains(guestPort))
        let guest = try RunningGuest(["/bin/sh", Net.script("serve.sh"), server, String(guestPort), Net.www, stop], mode: mode,
                                     options: ["--publish", "127.0.0.1:\(hostPort):\(guestPort)", "--net-log", log])
        let ready = guest.line()
        #expect(ready == "ready")
        if ready == "ready" {
            let url = "http://127.0.0.1:\(hostPort)"
            let page = try Harness.native(["/usr/bin/curl", "-s", "\(url)/index.html"])
            #expect(page.stdout == "<html><body>umlab test page</body></html>\n")
            let big = try Harness.native(["/bin/sh", "-c", "curl -s \(url)/big.bin | md5sum"])
            #expect(big.stdout == "\(Net.bigDigest)  -\n")
            let missing = try Harness.native(["/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "\(url)/missing.html"])
            #expect(missing.stdout == "404")

            let during = try HostView.ssListeningPorts()
            #expect(during.contains(hostPort), "ss -ltn: \(during.sorted())")
            #expect(!during.contains(guestPort), "the guest's listener shows on the host: \(during.sorted())")
            #expect(HostView.listeningPorts(ofTree: guest.process.processIdentifier) == [hostPort])
            // Each connection ends while the guest runs (keep-alive servers too, once curl has
            // gone): umlab holds no host socket for a finished connection.
            var closes = 0
            for _ in 0..<400 where closes < 3 {
                closes = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "\"event\": \"close\"").count - 1
                if closes < 3 { usleep(50_000) }
            }
            #expect(closes == 3, "connections still open on the host: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
        _ = FileManager.default.createFile(atPath: stop, contents: nil)
        let (rest, status) = guest.finish()
        // python's server saw its own check from 10.0.2.15 and curl from the host's 127.0.0.1.
        let clients = server == "python" ? "clients: 10.0.2.15 127.0.0.1\n" : ""
        #expect(rest == "\(clients)\(server) stopped\n" && status == 0, "\(rest) status \(status)")
        #expect(!(try HostView.ssListeningPorts()).contains(hostPort), "the published port outlived umlab")
        let (parsed, events, text) = try HostView.netLogEvents(log)
        #expect(parsed, "\(text)")
        #expect(events.filter { $0 == "accept" }.count >= 3 && events.contains("close"), "\(text)")
    }
}

/// A host TCP listener the guest must not reach, checked afterwards for connections.
final class HostListener {
    let fd: Int32
    let port: UInt16
    init(address: UInt32 = INADDR_ANY) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.fd = fd
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = address.bigEndian
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        _ = listen(fd, 16)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = UInt16(bigEndian: a.sin_port)
    }
    /// Connections that arrived (accepted and closed now).
    func arrived() -> Int {
        var n = 0
        while case let c = accept(fd, nil, nil), c >= 0 { close(c); n += 1 }
        return n
    }
    deinit { close(fd) }
}

/// A guest reaches only its own machine unless `--allow` says otherwise; umlab's DNS server
/// answers allowed names only; `--net-log` records it all as JSON lines.
@Suite(.serialized) struct NetworkSequestering {
    /// With no network options: the host's loopback is the guest's own (nothing listens
    /// there: refused), the gateway refuses, the host's address and the Internet are
    /// unreachable; the host's listeners see no connection.
    @Test(arguments: Harness.x86Modes)
    func sequesteredByDefault(_ mode: String) throws {
        let loopback = HostListener(address: INADDR_LOOPBACK), any = HostListener()
        guard let hostIP = try HostView.hostAddress() else { Issue.record("the host has no global IPv4 address"); return }
        let (g, err) = try Net.guest(["/usr/bin/python3", Net.script("connect.py"), "host-loopback=127.0.0.1:\(loopback.port)",
                                      "host-address=\(hostIP):\(any.port)", "public=8.8.8.8:53", "gateway=10.0.2.2:\(any.port)",
                                      "dns-server-tcp=10.0.2.3:53", "v6-public=2001:4860:4860::8888:53"], mode: mode)
        #expect(g.stdout == """
            host-loopback: ECONNREFUSED
            host-address: ENETUNREACH
            public: ENETUNREACH
            gateway: ECONNREFUSED
            dns-server-tcp: ECONNREFUSED
            v6-public: ENETUNREACH

            """, "stderr: \(err)")
        #expect(loopback.arrived() == 0 && any.arrived() == 0)
    }

    /// `--allow tcp:HOSTIP:PORT`: curl in the guest gets the page from a server on the host
    /// there; every other destination stays closed, and the net log says so.
    @Test(arguments: Harness.x86Modes)
    func allowOpensOnlyThatDestination(_ mode: String) throws {
        guard let hostIP = try HostView.hostAddress() else { Issue.record("the host has no global IPv4 address"); return }
        let other = HostListener()
        let port = Net.freePort()
        let server = Process()
        // (Started with no signal blocked, so that terminate() ends it.)
        server.executableURL = URL(fileURLWithPath: Net.clean[0])
        server.arguments = Array(Net.clean.dropFirst()) + ["/usr/bin/python3", "-m", "http.server", String(port), "--bind", "0.0.0.0", "--directory", Net.www]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        #expect(try Harness.native(["/bin/sh", "-c", ". \(Net.script("common.sh")); retry curl -sf -o /dev/null http://127.0.0.1:\(port)/"]).status == 0)

        let log = "/var/tmp/umlab-allow-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        defer { unlink(log) }
        let script = """
            curl -s http://\(hostIP):\(port)/index.html
            curl -s http://\(hostIP):\(port)/big.bin | md5sum
            python3 \(Net.script("connect.py")) allowed=\(hostIP):\(port) other-port=\(hostIP):\(other.port) public=8.8.8.8:80 loopback=127.0.0.1:\(port)
            """
        let (g, err) = try Net.guest(["/bin/sh", "-c", script], mode: mode, options: ["--allow", "tcp:\(hostIP):\(port)", "--net-log", log])
        #expect(g.stdout == """
            <html><body>umlab test page</body></html>
            \(Net.bigDigest)  -
            allowed: connected
            other-port: ENETUNREACH
            public: ENETUNREACH
            loopback: ECONNREFUSED

            """, "stderr: \(err)")
        #expect(other.arrived() == 0)
        let (parsed, events, text) = try HostView.netLogEvents(log)
        #expect(parsed, "\(text)")
        #expect(events.filter { $0 == "connect" }.count == 3 && events.filter { $0 == "denied" }.count == 2 && events.contains("close"), "\(text)")
    }

    /// umlab's DNS server at 10.0.2.3 answers a name `--allow` gives and nothing else
    /// (NXDOMAIN, no query leaves the machine), asked directly and through the guest's
    /// resolver (getaddrinfo: umlab's /etc/resolv.conf names 10.0.2.3); each query is in the
    /// net log. The allowed name is the host's own name, which the guest's /etc/hosts does not
    /// know, so only DNS can answer it (localhost, which the guest's /etc/hosts has, if the
    /// host's name does not resolve on the host).
    @Test(arguments: Harness.x86Modes)
    func dnsAnswersAllowedNamesOnly(_ mode: String) throws {
        let log = "/var/tmp/umlab-dns-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        defer { unlink(log) }
        let lookup = "import socket, sys\nprint(' '.join(sorted({a[4][0] for a in socket.getaddrinfo(sys.argv[1], 80, socket.AF_INET, socket.SOCK_STREAM)})))"
        let hostName = ProcessInfo.processInfo.hostName
        let onHost = try Harness.native(["/usr/bin/python3", "-c", lookup, hostName])
        let (name, addresses) = onHost.status == 0 && hostName != "umlab" && !hostName.isEmpty
            ? (hostName, onHost.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) : ("localhost", "127.0.0.1")
        let (g, err) = try Net.guest(["/usr/bin/python3", Net.script("dns.py"), "10.0.2.3", name, "example.com", "secret-data.exfil.test"],
                                     mode: mode, options: ["--allow", "tcp:\(name):80", "--net-log", log])
        #expect(g.stdout == """
            \(name): \(addresses)
            example.com: NXDOMAIN
            secret-data.exfil.test: NXDOMAIN
            getaddrinfo \(name): [\(addresses.split(separator: " ").map { "'\($0)'" }.joined(separator: ", "))]
            getaddrinfo example.com: Name or service not known
            getaddrinfo secret-data.exfil.test: Name or service not known

            """, "stderr: \(err)")
        let (parsed, events, text) = try HostView.netLogEvents(log)
        #expect(parsed, "\(text)")
        #expect(events.filter { $0 == "dns" }.count >= 5, "\(text)")
        #expect(text.contains("\"query\": \"secret-data.exfil.test\""), "the query is recorded: \(text)")
    }
}
