import Foundation
import Testing

/// Networking across umlab processes and toward the host: machines on a virtual switch, a
/// published UDP port, and the synthesized capture read by tshark.
@Suite(.serialized) struct NetworkMachines {
    /// A background process (a switch, or a guest machine serving something).
    final class Background {
        let process = Process()
        let output = Pipe()
        init(_ argv: [String]) throws {
            process.executableURL = URL(fileURLWithPath: argv[0])
            process.arguments = Array(argv.dropFirst())
            process.standardOutput = output
            process.standardError = output
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        private var seen: [UInt8] = []
        /// Waits until the output contains `text` (false after `seconds`, or if it ended).
        func waitForOutput(_ text: String, within seconds: Double = 20) -> Bool {
            let fd = output.fileHandleForReading.fileDescriptor
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                let n = read(fd, &buffer, buffer.count)
                if n > 0 { seen += buffer[0..<n] }
                if String(decoding: seen, as: UTF8.self).contains(text) { return true }
                if n == 0 { return false }
                usleep(20_000)
            }
            return false
        }
        /// What it printed, once it has ended (killed if it has not ended within `seconds`).
        func finish(within seconds: Double = 20) -> (String, Int32) {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            let fd = output.fileHandleForReading.fileDescriptor
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            let rest = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (String(decoding: seen + rest, as: UTF8.self), process.terminationStatus)
        }
        func stop() -> String {
            if process.isRunning { process.interrupt() }
            // A child may inherit a blocked SIGINT from the test runner's thread.
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            return finish(within: 5).0
        }
    }

    static var scratch: String {
        let dir = Harness.root.appendingPathComponent("Tests/programs/build/net").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
    static func freePort() -> Int { Int.random(in: 20_000..<60_000) }


    /// Two machines on one switch: B fetches a page from A's server at A's address; an address
    /// no machine has is unreachable, a port nobody listens on refused.
    @Test(arguments: Harness.x86Modes) func machinesOnASwitch(mode: String) throws {
        let path = NetworkMachines.scratch + "/switch-\(getpid())-\(mode).sock"
        let sw = try Background([Harness.umlab, "switch", "--verbose", path])
        defer { _ = sw.stop() }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: path) { usleep(20_000) }
        let server = """
            import http.server
            class H(http.server.BaseHTTPRequestHandler):
                def log_message(self, *a): pass
                def do_GET(self):
                    body = ("A saw " + self.client_address[0] + " ask for " + self.path + "\\n").encode()
                    self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
            s = http.server.HTTPServer(("", 8000), H)
            print("A listening", flush=True)
            s.serve_forever()
            """
        let a = try Background([Harness.umlab, "run", "--mode", mode, "--net", "switch:\(path)", "--ip", "10.0.0.2", "--", "/usr/bin/python3", "-c", server])
        #expect(a.waitForOutput("A listening"))
        // The same address twice is refused, with a sentence.
        let (dup, dupErr) = try Harness.guest(["/bin/true"], options: ["--mode", mode, "--net", "switch:\(path)", "--ip", "10.0.0.2"])
        #expect(dup.status == 2 && dupErr.contains("10.0.0.2 is already on this switch"), "\(dupErr)")
        let (b, err) = try Harness.guest(["/bin/busybox", "sh", "-c",
            "wget -q -O - http://10.0.0.2:8000/page; wget -q -O - http://10.0.0.9:8000/ 2>&1; wget -q -O - http://10.0.0.2:8001/ 2>&1; true"],
            options: ["--mode", mode, "--net", "switch:\(path)", "--ip", "10.0.0.3"])
        let aOut = a.stop()
        #expect(b.stdout.contains("A saw 10.0.0.3 ask for /page"), "\(b.stdout) \(err) \(aOut)")
        #expect(b.stdout.contains("(10.0.0.9): No route to host"), "\(b.stdout)")
        #expect(b.stdout.contains("(10.0.0.2): Connection refused"), "\(b.stdout)")
        let log = sw.stop()
        #expect(log.contains("10.0.0.2 joined") && log.contains("10.0.0.3 joined"), "\(log)")
    }

    /// UDP between two machines on a switch: datagrams cross (a 60,000-byte one too) with the
    /// sender's guest address and port; a connected socket talks to its peer, and learns of a
    /// closed port (ECONNREFUSED) and of an address no machine has (EHOSTUNREACH) as from ICMP,
    /// an unconnected one does not; OpenBSD's nc -u and python3 are the programs.
    @Test(arguments: Harness.x86Modes) func datagramsAcrossTheSwitch(mode: String) throws {
        let path = NetworkMachines.scratch + "/switch-\(getpid())-udp-\(mode).sock"
        let sw = try Background([Harness.umlab, "switch", "--verbose", path])
        defer { _ = sw.stop() }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: path) { usleep(20_000) }
        let server = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("", 5300))
            print("A bound", flush=True)
            while True:
                data, peer = s.recvfrom(65536)
                if data == b"stop": break
                s.sendto(b"A got " + data[:20] + (" (%d bytes) from %s:%d" % (len(data), peer[0], peer[1])).encode(), peer)
                print("A: %d bytes from %s" % (len(data), peer[0]), flush=True)
            """
        let a = try Background([Harness.umlab, "run", "--mode", mode, "--net", "switch:\(path)", "--ip", "10.0.0.2", "--", "/usr/bin/python3", "-c", server])
        defer { _ = a.stop() }
        #expect(a.waitForOutput("A bound"))
        let (nc, ncErr) = try Harness.guest(["/bin/sh", "-c", "printf 'via nc' | nc.openbsd -u -w 2 10.0.0.2 5300"],
                                            options: ["--mode", mode, "--net", "switch:\(path)", "--ip", "10.0.0.4"])
        #expect(nc.stdout.hasPrefix("A got via nc (6 bytes) from 10.0.0.4:"), "\(nc.stdout) \(ncErr)")
        let client = """
            import socket, errno
            def udp(timeout):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(timeout); return s
            s = udp(0.2)
            for i in range(100):
                s.sendto(b"hello", ("10.0.0.2", 5300))
                try:
                    data, peer = s.recvfrom(100000); break
                except socket.timeout: pass
            print(data.decode(), peer)
            print("A saw my port:", data.decode().endswith(":%d" % s.getsockname()[1]))
            s.settimeout(10)
            s.sendto(b"x" * 60000, ("10.0.0.2", 5300))
            print(s.recvfrom(100000)[0].decode())
            c = udp(10); c.connect(("10.0.0.2", 5300)); c.send(b"connected")
            print(c.recv(200).decode().split(" from")[0], c.getpeername())
            r = udp(10); r.connect(("10.0.0.2", 5399)); r.send(b"x")
            try: r.recv(10); print("closed port: no error")
            except ConnectionRefusedError: print("closed port: ECONNREFUSED")
            u = udp(10); u.connect(("10.0.0.9", 53)); u.send(b"x")
            try: u.recv(10); print("no machine: no error")
            except OSError as e: print("no machine:", errno.errorcode[e.errno])
            n = udp(0.5); n.sendto(b"x", ("10.0.0.2", 5399))
            try: n.recvfrom(10); print("unconnected: a datagram")
            except socket.timeout: print("unconnected: no error")
            s.sendto(b"stop", ("10.0.0.2", 5300))
            """
        let (b, err) = try Harness.guest(["/usr/bin/python3", "-c", client], options: ["--mode", mode, "--net", "switch:\(path)", "--ip", "10.0.0.3"])
        #expect(b.stdout.hasPrefix("A got hello (5 bytes) from 10.0.0.3:"), "\(b.stdout) \(err)")
        #expect(b.stdout.contains("('10.0.0.2', 5300)\nA saw my port: True\n"), "\(b.stdout) \(err)")
        #expect(b.stdout.contains("A got xxxxxxxxxxxxxxxxxxxx (60000 bytes) from 10.0.0.3:"), "\(b.stdout)")
        #expect(b.stdout.contains("A got connected (9 bytes) ('10.0.0.2', 5300)\n"), "\(b.stdout)")
        #expect(b.stdout.contains("closed port: ECONNREFUSED\nno machine: EHOSTUNREACH\nunconnected: no error\n"), "\(b.stdout)")
        let (aOut, _) = a.finish()
        #expect(aOut.contains("A: 5 bytes from 10.0.0.3") && aOut.contains("A: 6 bytes from 10.0.0.4"), "\(aOut)")
        // The switch only made the channels; the datagrams went straight between the machines.
        let log = sw.stop()
        #expect(log.contains("datagrams 10.0.0.4 ↔ 10.0.0.2") && log.contains("datagrams 10.0.0.3 ↔ 10.0.0.2"), "\(log)")
    }

    /// `umlab switch` replaces only a socket a finished switch left: never another file, never
    /// a running switch's socket; a machine whose switch does not answer HELLO gives up.
    @Test func switchPathsAndSilentSwitches() throws {
        let file = NetworkMachines.scratch + "/not-a-socket-\(getpid())"
        try "keep me\n".write(toFile: file, atomically: true, encoding: .utf8)
        let (refused, err) = try Harness.run([Harness.umlab, "switch", file])
        #expect(refused.status == 2 && err.contains("exists and is not a socket"), "\(err)")
        #expect((try? String(contentsOfFile: file, encoding: .utf8)) == "keep me\n")
        let path = NetworkMachines.scratch + "/switch-\(getpid())-twice.sock"
        let sw = try Background([Harness.umlab, "switch", path])
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: path) { usleep(20_000) }
        let (second, secondErr) = try Harness.run([Harness.umlab, "switch", path])
        #expect(second.status == 2 && secondErr.contains("another switch listens"), "\(secondErr)")
        _ = sw.stop()
        // A socket left behind is replaced.
        let again = try Background([Harness.umlab, "switch", path])
        #expect(again.waitForOutput("listening on"))
        _ = again.stop()
        // A listener that accepts and never answers.
        let silent = NetworkMachines.scratch + "/silent-\(getpid()).sock"
        let listener = try Background(["/usr/bin/python3", "-c", """
            import socket, os, time
            p = "\(silent)"
            if os.path.exists(p): os.unlink(p)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(p); s.listen(4)
            print("ready", flush=True)
            c, _ = s.accept(); time.sleep(60)
            """])
        defer { _ = listener.stop() }
        #expect(listener.waitForOutput("ready"))
        let (gave, gaveErr) = try Harness.guest(["/bin/true"], options: ["--net", "switch:\(silent)", "--ip", "10.0.0.5"])
        #expect(gave.status == 2 && gaveErr.contains("the switch did not answer"), "\(gaveErr)")
    }

    /// The two-machine case: B fetches from nginx in A, and talks to redis in A, over
    /// the switch (x86-64 skas).
    @Test func nginxAndRedisAcrossTheSwitch() throws {
        let path = NetworkMachines.scratch + "/switch-\(getpid())-services.sock"
        let sw = try Background([Harness.umlab, "switch", path])
        defer { _ = sw.stop() }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: path) { usleep(20_000) }
        let www = NetworkMachines.scratch + "/www-switch"
        try? FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
        try "nginx in A\n".write(toFile: www + "/index.html", atomically: true, encoding: .utf8)
        let conf = NetworkMachines.scratch + "/nginx-switch.conf"
        try """
            daemon off; master_process on; worker_processes 2; pid /tmp/nginx.pid; error_log stderr warn;
            events { worker_connections 64; }
            http { access_log off; client_body_temp_path /tmp/body; proxy_temp_path /tmp/proxy;
                   fastcgi_temp_path /tmp/fastcgi; uwsgi_temp_path /tmp/uwsgi; scgi_temp_path /tmp/scgi;
                   server { listen 80; root \(www); } }
            """.write(toFile: conf, atomically: true, encoding: .utf8)
        let services = "redis-server --port 6379 --bind 0.0.0.0 --protected-mode no --save '' --appendonly no --dir /tmp --daemonize no >/dev/null & "
            + "nginx -e stderr -c \(conf) & sleep 20"
        let a = try Background([Harness.umlab, "run", "--net", "switch:\(path)", "--ip", "10.0.0.2", "--", "/bin/sh", "-c", services])
        defer { _ = a.stop() }
        // B waits for both services, then uses them.
        let client = "for i in $(seq 100); do redis-cli -h 10.0.0.2 ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done; "
            + "redis-cli -h 10.0.0.2 set greeting 'from B' && redis-cli -h 10.0.0.2 get greeting; "
            + "for i in $(seq 100); do wget -q -O - http://10.0.0.2/index.html 2>/dev/null && break; sleep 0.1; done"
        let (b, err) = try Harness.guest(["/bin/sh", "-c", client], options: ["--net", "switch:\(path)", "--ip", "10.0.0.3", "--time-limit", "40"])
        #expect(b.stdout.contains("OK\nfrom B\n"), "\(b.stdout) \(err)")
        #expect(b.stdout.contains("nginx in A"), "\(b.stdout) \(err)")
    }

    /// `--publish HOST:GUEST/udp`: a host client's datagram reaches the guest's socket from the
    /// client's address, and the guest's answer goes back to it.
    @Test func publishedUDPPort() throws {
        let port = NetworkMachines.freePort()
        let echo = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("", 5353))
            data, peer = s.recvfrom(100)
            s.sendto(data.upper() + (" from " + peer[0]).encode(), peer)
            """
        let guest = try Background([Harness.umlab, "run", "--publish", "127.0.0.1:\(port):5353/udp", "--", "/usr/bin/python3", "-c", echo])
        let client = """
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(0.2)
            for i in range(50):
                s.sendto(b"ping", ("127.0.0.1", \(port)))
                try:
                    print(s.recv(100).decode()); break
                except socket.timeout: pass
            """
        let (out, _) = try Harness.run(["/usr/bin/python3", "-c", client])
        let (gOut, gStatus) = guest.finish()
        #expect(out.stdout.contains("PING from 127.0.0.1"), "\(out.stdout) / \(gOut)")
        #expect(gStatus == 0)
    }

    /// A guest that closes a connection with data unread resets it: the host client of a
    /// published port reads ECONNRESET, not an end of file (Linux's close then sends a RST and
    /// drops what it had not sent). An IPv6 client of a port published on [::1] is seen by an
    /// AF_INET listener as coming from the gateway (an AF_INET socket has no IPv6 peers).
    @Test func publishedResetAndIPv6Client() throws {
        let port = NetworkMachines.freePort()
        let server = """
            import socket
            l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(("", 8000)); l.listen(4)
            print("listening", flush=True)
            c, peer = l.accept()
            c.recv(1, socket.MSG_PEEK)
            c.setblocking(False)
            sent = 0
            try:
                while sent < 64 << 20: sent += c.send(b"y" * 65536)
            except BlockingIOError: pass
            c.close()
            c, peer = l.accept()
            c.sendall(("seen from %s" % peer[0]).encode()); c.close()
            """
        let guest = try Background([Harness.umlab, "run", "--publish", "127.0.0.1:\(port):8000", "--publish", "[::1]:\(port + 1):8000", "--",
                                    "/usr/bin/python3", "-c", server])
        defer { _ = guest.stop() }
        #expect(guest.waitForOutput("listening"))
        let client = """
            import socket, time
            def connect(host, port):
                for i in range(100):
                    try: return socket.create_connection((host, port), timeout=20)
                    except OSError: time.sleep(0.05)
            s = connect("127.0.0.1", \(port)); s.sendall(b"x")
            got = 0
            try:
                while True:
                    d = s.recv(65536)
                    if not d: print("end of file"); break
                    got += len(d)
            except ConnectionResetError: print("reset")
            v6 = connect("::1", \(port + 1))
            print(v6.recv(100).decode())
            """
        let (out, err) = try Harness.run(["/usr/bin/python3", "-c", client])
        #expect(out.stdout == "reset\nseen from 10.0.2.2\n", "\(out.stdout) \(err)")
    }

    /// `--pcap`: tshark reads the synthesized capture of an HTTP exchange through a published
    /// port and follows the TCP stream: the request and the response, in order.
    @Test func tsharkFollowsTheCapture() throws {
        let port = NetworkMachines.freePort()
        let pcap = NetworkMachines.scratch + "/capture-\(getpid()).pcap"
        let log = NetworkMachines.scratch + "/netlog-\(getpid()).json"
        let www = NetworkMachines.scratch + "/www"
        try? FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
        try "hello through the capture\n".write(toFile: www + "/index.html", atomically: true, encoding: .utf8)
        let guest = try Background([Harness.umlab, "run", "--publish", "\(port):80", "--pcap", pcap, "--net-log", log, "--",
                                    "/bin/busybox", "timeout", "8", "/bin/busybox", "httpd", "-f", "-p", "80", "-h", www])
        // Until the guest listens, umlab refuses the host's clients (with a reset): retry.
        let (curl, _) = try Harness.run(["/bin/sh", "-c", "for i in $(seq 200); do curl -sf --max-time 2 http://127.0.0.1:\(port)/index.html && exit 0; sleep 0.05; done; exit 1"])
        #expect(curl.stdout == "hello through the capture\n")
        _ = guest.stop()
        // The stream that carried the request (refused attempts never became connections).
        let (streams, _) = try Harness.run(["/usr/bin/tshark", "-r", pcap, "-Y", "http.request", "-T", "fields", "-e", "tcp.stream"])
        let stream = streams.stdout.split(separator: "\n").first.map(String.init) ?? "0"
        let (follow, err) = try Harness.run(["/usr/bin/tshark", "-r", pcap, "-q", "-z", "follow,tcp,ascii,\(stream)"])
        #expect(follow.status == 0, "\(err)")
        #expect(follow.stdout.contains("GET /index.html HTTP/1.1"), "\(follow.stdout)")
        #expect(follow.stdout.contains("hello through the capture"), "\(follow.stdout)")
        let (summary, _) = try Harness.run(["/usr/bin/tshark", "-r", pcap])
        #expect(summary.stdout.contains("[SYN]") && summary.stdout.contains("200 OK"), "\(summary.stdout)")
        // Every audit line is JSON, with the accept and its close.
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        var events: [String] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            events.append(object?["event"] as? String ?? "?")
        }
        #expect(events.contains("accept") && events.contains("close"), "\(lines)")
    }
}
