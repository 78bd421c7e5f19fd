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
            s.handle_request()
            """
        let a = try Background([Harness.umlab, "run", "--mode", mode, "--net", "switch:\(path)", "--ip", "10.0.0.2", "--", "/usr/bin/python3", "-c", server])
        #expect(a.waitForOutput("A listening"))
        // The same address twice is refused, with a sentence.
        let (dup, dupErr) = try Harness.guest(["/bin/true"], options: ["--mode", mode, "--net", "switch:\(path)", "--ip", "10.0.0.2"])
        #expect(dup.status == 2 && dupErr.contains("10.0.0.2 is already on this switch"), "\(dupErr)")
        let (b, err) = try Harness.guest(["/bin/busybox", "sh", "-c",
            "wget -q -O - http://10.0.0.2:8000/page; wget -q -O - http://10.0.0.9:8000/ 2>&1; wget -q -O - http://10.0.0.2:8001/ 2>&1; true"],
            options: ["--mode", mode, "--net", "switch:\(path)", "--ip", "10.0.0.3"])
        let (aOut, aStatus) = a.finish()
        #expect(b.stdout.contains("A saw 10.0.0.3 ask for /page"), "\(b.stdout) \(err)")
        #expect(b.stdout.contains("No route to host"), "\(b.stdout)")
        #expect(b.stdout.contains("Connection refused"), "\(b.stdout)")
        #expect(aStatus == 0, "\(aOut)")
        let log = sw.stop()
        #expect(log.contains("10.0.0.2 joined") && log.contains("10.0.0.3 joined"), "\(log)")
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
        let (curl, _) = try Harness.run(["/bin/sh", "-c", "for i in $(seq 100); do curl -sf http://127.0.0.1:\(port)/index.html && exit 0; sleep 0.05; done; exit 1"])
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
        #expect(summary.stdout.contains("[SYN]") && summary.stdout.contains("HTTP/1.0 200 OK"), "\(summary.stdout)")
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
