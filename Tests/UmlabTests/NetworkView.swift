import Foundation
import Testing

/// The guest's network view (issue #11, item 3) as real tools show it: busybox's ip, ifconfig
/// and hostname, iproute2's ip and ss, net-tools' ifconfig, glibc's getent, and a C program
/// reading netlink, the interface ioctls and /proc/net, on x86-64 and PowerPC. The host's own
/// network is something else, so the expectations are the machine's (10.0.2.15/24 on eth0,
/// gateway 10.0.2.2), not a native run.
@Suite(.serialized) struct NetworkViewTools {
    /// Each tool's output after a "== name" marker line.
    static func sections(_ output: String) -> [String: String] {
        var out: [String: String] = [:], name = ""
        for line in output.split(separator: "\n") {
            if line.hasPrefix("== ") { name = String(line.dropFirst(3)); continue }
            out[name, default: ""] += line + "\n"
        }
        return out
    }
    /// Runs of spaces as one, for tools that align columns.
    static func squeezed(_ s: String?) -> String {
        (s ?? "").split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }.joined(separator: "\n")
    }

    static let script = """
        echo '== busybox ip addr'; busybox ip addr
        echo '== busybox ip route'; busybox ip route
        echo '== busybox ifconfig'; busybox ifconfig eth0
        echo '== hostname -i'; busybox hostname -i
        echo '== ip -br addr'; /usr/sbin/ip -br addr
        echo '== ip route'; /usr/sbin/ip route
        echo '== ifconfig'; /usr/sbin/ifconfig eth0
        echo '== getent'; /usr/bin/getent hosts $(busybox hostname)
        echo '== resolv.conf'; cat /etc/resolv.conf
        busybox nc -l -p 8080 &
        i=0; until grep -q ':1F90 00' /proc/net/tcp /proc/net/tcp6; do i=$((i+1)); [ $i -gt 200 ] && break; sleep 0.05; done
        echo '== ss -tln'; /usr/bin/ss -tln
        echo '== proc tcp'; cat /proc/net/tcp /proc/net/tcp6
        kill $!
        echo '== ip addr add'; /usr/sbin/ip addr add 10.9.9.9/24 dev eth0 2>&1; echo "status $?"
        """

    @Test(arguments: Harness.x86Modes)
    func toolsShowTheMachine(_ mode: String) throws {
        let (g, err) = try Harness.guest(["/bin/busybox", "sh", "-c", NetworkViewTools.script], options: ["--mode", mode])
        #expect(g.status == 0, "stderr: \(err)")
        let s = NetworkViewTools.sections(g.stdout)
        let busyboxAddr = s["busybox ip addr"] ?? ""
        #expect(busyboxAddr.contains("inet 127.0.0.1/8 scope host lo"), "\(busyboxAddr)")
        #expect(busyboxAddr.contains("link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff"))
        #expect(busyboxAddr.contains("inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0"))
        #expect(s["busybox ip route"]?.hasPrefix("default via 10.0.2.2 dev eth0 \n10.0.2.0/24 dev eth0 ") == true, "\(s["busybox ip route"] ?? "")")
        #expect(s["busybox ifconfig"]?.contains("inet addr:10.0.2.15  Bcast:10.0.2.255  Mask:255.255.255.0") == true)
        #expect(s["busybox ifconfig"]?.contains("HWaddr 52:54:00:12:34:56") == true)
        #expect(s["hostname -i"] == "10.0.2.15\n")
        #expect(NetworkViewTools.squeezed(s["ip -br addr"]) == "lo UNKNOWN 127.0.0.1/8 ::1/128\neth0 UP 10.0.2.15/24")
        #expect(s["ip route"] == "default via 10.0.2.2 dev eth0 \n10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 \n")
        #expect(s["ifconfig"]?.contains("inet 10.0.2.15  netmask 255.255.255.0  broadcast 10.0.2.255") == true, "\(s["ifconfig"] ?? "")")
        #expect(s["ifconfig"]?.contains("ether 52:54:00:12:34:56  txqueuelen 1000  (Ethernet)") == true)
        #expect(NetworkViewTools.squeezed(s["getent"]) == "10.0.2.15 umlab")
        #expect(s["resolv.conf"]?.contains("nameserver 10.0.2.3\n") == true)
        // The listener nc opened, through sock_diag and through /proc/net.
        let ss = NetworkViewTools.squeezed(s["ss -tln"]).split(separator: "\n")
        #expect(ss.count == 2 && ss[1].hasPrefix("LISTEN 0 1 ") && ss[1].contains(":8080 "), "\(ss)")
        #expect(s["proc tcp"]?.contains(":1F90 00000000000000000000000000000000:0000 0A ") == true
                || s["proc tcp"]?.contains(":1F90 00000000:0000 0A ") == true, "\(s["proc tcp"] ?? "")")
        #expect(s["ip addr add"] == "RTNETLINK answers: Operation not permitted\nstatus 2\n")
    }

    /// Tests/programs/netview.c: the same output on x86-64 (every mode) and PowerPC (skas,
    /// tt), whose netlink and ifreq structures and /proc/net hex are big-endian.
    @Test(arguments: [("gcc", "skas"), ("gcc", "tt"), ("gcc", "seccomp"),
                      ("powerpc-linux-gnu-gcc", "skas"), ("powerpc-linux-gnu-gcc", "tt")])
    func netviewIsTheSameOnEveryISA(_ compiler: String, _ mode: String) throws {
        let (reference, _) = try Harness.guest([try Harness.program("netview")])
        for line in ["link 2 eth0 type 1 flags 0x11043 mtu 1500 qlen 1000 mac 52:54:00:12:34:56",
                     "address inet 10.0.2.15/24 scope global index 2 label eth0 valid forever",
                     "address inet6 ::1/128 scope host index 1 label - valid forever",
                     "route default/0 via 10.0.2.2 oif 2 table 254 type 1 scope global",
                     "RTM_NEWADDR: error EPERM, request echoed whole", "type 200: error EOPNOTSUPP",
                     "NLMSG_NOOP with ACK: error 0 (ack), request echoed header only",
                     "sock_diag: state 10 127.0.0.1:7777 backlog 12",
                     "eth0: 10.0.2.15\n  flags 0x1043\n  mtu 1500\n  index 2 qlen 1000\n  hw type 1 52:54:00:12:34:56",
                     "proc route eth0 0.0.0.0 gw 10.0.2.2 mask 0.0.0.0 flags 0x3",
                     "proc tcp: 127.0.0.1:6543 state 0xa", "netview: done"] {
            #expect(reference.stdout.contains(line), "missing \(line) in\n\(reference.stdout)")
        }
        let (guest, err) = try Harness.guest([try Harness.program("netview", compiler: compiler)], options: ["--mode", mode])
        #expect(guest == reference, "stderr: \(err)")
    }
}
