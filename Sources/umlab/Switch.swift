import ArgumentParser
import GuestKernel
import HostOS
import LinuxABI

/// `umlab switch PATH`: a virtual switch for guest machines, after UML's uml_switch. Machines
/// started with `umlab run --net switch:PATH --ip ADDR` register their address here; a
/// connection from one to another gets a host socket pair whose ends go to the two machines,
/// which then talk directly; so does a pair of machines that exchange datagrams, over a record
/// socket pair the switch hands them. The switch only introduces them: it sees no data.
struct Switch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a virtual switch that connects guest machines (umlab run --net switch:PATH --ip ADDR).",
        discussion: "It runs until interrupted. Each machine's address must be unique on the switch; a connection to an address no machine has is refused with EHOSTUNREACH, to a port nobody listens on with ECONNREFUSED.")

    @Argument(help: "The switch's socket (a path on the host).") var path: String
    @Flag(help: "Print each registration and connection to standard error.") var verbose = false

    /// A connection from one machine waiting for the other's answer.
    struct Pending {
        let from: Int32
        /// The machine asked to accept.
        let to: Int32
        let id: String
        let end: HostFD
    }

    /// Connection requests one machine may have waiting for answers; beyond it (a machine
    /// flooding the switch, or one that never answers) a request is refused at once.
    static let maxPendingPerMachine = 64

    func run() throws {
        // It runs until told to stop, whatever its parent blocked.
        HostSignals.restoreTermination()
        // Only a socket left by a switch that ended is replaced: never another file, never a
        // running switch's socket.
        switch HostUnixSocket.state(of: path) {
        case .absent: break
        case .staleSocket: HostUnixSocket.unlink(path)
        case .liveSocket:
            Host.diagnostic("umlab switch: another switch listens on \(path)")
            throw ExitCode(2)
        case .notASocket:
            Host.diagnostic("umlab switch: \(path) exists and is not a socket; not replacing it")
            throw ExitCode(2)
        }
        let listener: HostFD
        do { listener = try HostUnixSocket.listen(path: path) } catch {
            Host.diagnostic("umlab switch: cannot listen on \(path): \(error.message)")
            throw ExitCode(2)
        }
        Host.diagnostic("umlab switch: listening on \(path)")
        var machines: [Int32: HostFD] = [:]
        var addresses: [Int32: String] = [:]
        var pending: [UInt64: Pending] = [:]
        var nextSID: UInt64 = 1
        /// Sends a record to a machine without waiting (its control socket is non-blocking):
        /// false when the machine's queue is full or it left.
        @discardableResult
        func say(_ fd: Int32, _ text: String, passing: [HostFD] = []) -> Bool {
            guard let m = machines[fd] else { return false }
            return (try? HostUnixSocket.send(m, Array(text.utf8), passing: passing)) != nil
        }
        func log(_ s: String) { if verbose { Host.diagnostic("umlab switch: \(s)") } }
        while true {
            for ready in HostUnixSocket.waitReadable([listener] + Array(machines.values)) {
                if ready == listener {
                    if let m = try? HostUnixSocket.accept(listener) { machines[m.raw] = m }
                    continue
                }
                let fd = ready.raw
                var received: ([UInt8], [HostFD])
                do {
                    received = try HostUnixSocket.receive(ready)
                } catch .EAGAIN {
                    continue
                } catch {
                    // A machine that ended with records unread resets the connection: it left.
                    received = ([], [])
                }
                let (record, fds) = received
                if record.isEmpty && fds.isEmpty {
                    log("\(addresses[fd] ?? "a machine") left")
                    machines.removeValue(forKey: fd)?.close()
                    addresses[fd] = nil
                    // Its requests are dropped; requests to it are refused (it will never answer).
                    for (sid, p) in pending where p.from == fd || p.to == fd {
                        if p.to == fd { say(p.from, "REFUSED \(p.id) \(LinuxErrno.EHOSTUNREACH.rawValue)") }
                        p.end.close()
                        pending[sid] = nil
                    }
                    continue
                }
                fds.forEach { $0.close() }  // machines pass no descriptors to the switch
                let words = String(decoding: record, as: UTF8.self).split(separator: " ").map(String.init)
                switch words.first {
                case "HELLO" where words.count == 2 && IPAddress(words[1]) != nil:
                    if addresses.values.contains(words[1]) {
                        say(fd, "ERROR \(words[1]) is already on this switch")
                    } else {
                        addresses[fd] = words[1]
                        say(fd, "WELCOME")
                        log("\(words[1]) joined")
                    }
                case "CONNECT" where words.count == 6 && addresses[fd] != nil && UInt16(words[3]) != nil && UInt16(words[5]) != nil:
                    // The source address is the one the machine registered, whatever it says.
                    let id = words[1], destination = words[2], source = addresses[fd]!
                    guard let target = addresses.first(where: { $0.value == destination })?.key, target != fd else {
                        say(fd, "REFUSED \(id) \(LinuxErrno.EHOSTUNREACH.rawValue)")
                        continue
                    }
                    // A machine with too many requests unanswered, from it or to it, gets no
                    // more: as a SYN a flooded host drops, the connect times out (at once).
                    guard pending.values.count(where: { $0.from == fd || $0.to == target }) < Switch.maxPendingPerMachine,
                          let (a, b) = try? HostUnixSocket.streamPair() else {
                        say(fd, "REFUSED \(id) \(LinuxErrno.ETIMEDOUT.rawValue)")
                        continue
                    }
                    let sid = nextSID
                    nextSID += 1
                    let sent = say(target, "INCOMING \(sid) \(source) \(words[5]) \(words[3])", passing: [b])
                    b.close()
                    guard sent else {
                        // The target's queue is full: the request is not kept waiting for an
                        // answer that cannot come.
                        a.close()
                        say(fd, "REFUSED \(id) \(LinuxErrno.ETIMEDOUT.rawValue)")
                        continue
                    }
                    pending[sid] = Pending(from: fd, to: target, id: id, end: a)
                    log("\(source):\(words[5]) → \(destination):\(words[3])")
                case "ACCEPT" where words.count == 2, "REFUSE" where words.count == 2:
                    // Only the machine asked may answer.
                    guard let sid = UInt64(words[1]), pending[sid]?.to == fd, let p = pending.removeValue(forKey: sid) else { continue }
                    if words[0] == "ACCEPT" {
                        say(p.from, "CONNECTED \(p.id)", passing: [p.end])
                    } else {
                        say(p.from, "REFUSED \(p.id) \(LinuxErrno.ECONNREFUSED.rawValue)")
                    }
                    p.end.close()
                case "PEER" where words.count == 2 && addresses[fd] != nil:
                    // A datagram channel between two machines: a record socket pair, an end
                    // to each, each told the other's address (the one it registered).
                    let destination = words[1], source = addresses[fd]!
                    guard let target = addresses.first(where: { $0.value == destination })?.key, target != fd,
                          let (a, b) = try? HostUnixSocket.recordPair() else {
                        say(fd, "UNREACHABLE \(destination)")
                        continue
                    }
                    // If either cannot take its end, the other's end finds the channel closed
                    // at its first datagram and asks again.
                    say(target, "PEERED \(source)", passing: [b])
                    say(fd, "PEERED \(destination)", passing: [a])
                    a.close()
                    b.close()
                    log("datagrams \(source) ↔ \(destination)")
                default:
                    say(fd, "ERROR unknown request")
                }
            }
        }
    }
}
