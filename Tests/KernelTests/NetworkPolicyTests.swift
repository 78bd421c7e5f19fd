import Testing
@testable import GuestKernel
import HostOS
import LinuxABI

/// The network options as the user writes them, and umlab's DNS answerer fed hostile packets.
@Suite struct NetworkOptionTests {
    @Test func publishRules() throws {
        let a = try PublishRule(parsing: "8080:80")
        #expect(a.hostAddress == .anyV4 && a.hostPort == 8080 && a.guestPort == 80 && !a.udp)
        let b = try PublishRule(parsing: "127.0.0.1:5353:53/udp")
        #expect(b.hostAddress == IPAddress(v4: 127, 0, 0, 1) && b.hostPort == 5353 && b.guestPort == 53 && b.udp)
        let c = try PublishRule(parsing: "[::1]:8443:443/tcp")
        #expect(c.hostAddress == .loopbackV6 && c.hostPort == 8443 && !c.udp)
        for bad in ["80", "0:80", "80:0", "70000:80", "a:b", "1.2.3:80:80", "[::1:80:80", "1:2:3:4", ""] {
            #expect(throws: ParseError.self, "\(bad)") { try PublishRule(parsing: bad) }
        }
    }

    @Test func allowRules() throws {
        let net = try AllowRule(parsing: "tcp:192.168.0.0/16:443")
        #expect(net.admits(udp: false, IPAddress(v4: 192, 168, 7, 9), 443))
        #expect(!net.admits(udp: false, IPAddress(v4: 192, 169, 0, 1), 443))
        #expect(!net.admits(udp: false, IPAddress(v4: 192, 168, 7, 9), 80))
        #expect(!net.admits(udp: true, IPAddress(v4: 192, 168, 7, 9), 443))
        let any = try AllowRule(parsing: "udp:10.1.2.3")
        #expect(any.admits(udp: true, IPAddress(v4: 10, 1, 2, 3), 9) && !any.admits(udp: true, IPAddress(v4: 10, 1, 2, 4), 9))
        let v6 = try AllowRule(parsing: "tcp:[2001:db8::]/32:80")
        #expect(v6.admits(udp: false, IPAddress("2001:db8:1::5")!, 80) && !v6.admits(udp: false, IPAddress("2001:db9::5")!, 80))
        var name = try AllowRule(parsing: "tcp:Example.COM:443")
        #expect(name.name == "example.com")
        #expect(!name.admits(udp: false, IPAddress(v4: 93, 184, 216, 34), 443))  // not resolved yet
        name.addresses = [IPAddress(v4: 93, 184, 216, 34)]
        #expect(name.admits(udp: false, IPAddress(v4: 93, 184, 216, 34), 443))
        for bad in ["icmp:1.2.3.4", "tcp:", "tcp:1.2.3.4:0", "tcp:1.2.3.4/33", "tcp:bad_name!", "tcp:1.2.3.4:99999", "tcp:[::1"] {
            #expect(throws: ParseError.self, "\(bad)") { try AllowRule(parsing: bad) }
        }
    }

    @Test func addressesPrintAndParse() {
        #expect(IPAddress("2001:db8::1")?.description == "2001:db8::1")
        #expect(IPAddress("::")?.description == "::")
        #expect(IPAddress("1:0:0:2:0:0:0:3")?.description == "1:0:0:2::3")
        #expect(IPAddress("::ffff:10.0.2.15") == IPAddress(v4: 10, 0, 2, 15))
        #expect(IPAddress("10.0.2.256") == nil && IPAddress("1::2::3") == nil && IPAddress("12345::") == nil)
        #expect(IPAddress(v4: 127, 5, 6, 7).isLoopback && !IPAddress(v4: 10, 0, 2, 15).isLoopback)
    }
}

@Suite struct DNSAnswererTests {
    static func query(_ name: String, type: UInt16 = 1, id: UInt16 = 0x1234) -> [UInt8] {
        var q: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") { q.append(UInt8(label.utf8.count)); q += Array(label.utf8) }
        q += [0, UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
        return q
    }
    static let allowed: (String) -> [IPAddress]? = { name in
        name == "allowed.example" ? [IPAddress(v4: 192, 0, 2, 7), IPAddress("2001:db8::7")!] : nil
    }

    @Test func allowedNamesAreAnswered() throws {
        let r = try #require(DNSAnswerer.answer(DNSAnswererTests.query("Allowed.Example"), addresses: DNSAnswererTests.allowed))
        #expect(r[0] == 0x12 && r[1] == 0x34)  // the query's id
        #expect(r[2] & 0x80 != 0 && r[3] & 0x0f == 0)  // a response, NOERROR
        #expect(r[7] == 1)  // one A record
        #expect(Array(r.suffix(4)) == [192, 0, 2, 7])
        let six = try #require(DNSAnswerer.answer(DNSAnswererTests.query("allowed.example", type: 28), addresses: DNSAnswererTests.allowed))
        #expect(six[7] == 1 && Array(six.suffix(16)) == IPAddress("2001:db8::7")!.bytes)
        let mx = try #require(DNSAnswerer.answer(DNSAnswererTests.query("allowed.example", type: 15), addresses: DNSAnswererTests.allowed))
        #expect(mx[3] & 0x0f == 0 && mx[7] == 0)  // the name exists; no data of that type
    }

    @Test func otherNamesGetNXDOMAIN() throws {
        let r = try #require(DNSAnswerer.answer(DNSAnswererTests.query("secret.exfil.example.com"), addresses: DNSAnswererTests.allowed))
        #expect(r[3] & 0x0f == 3 && r[7] == 0)
    }

    @Test func hostilePacketsGetFormatErrorsAndNeverTrap() throws {
        let a = DNSAnswererTests.allowed
        #expect(DNSAnswerer.answer([], addresses: a) == nil)
        #expect(DNSAnswerer.answer([1, 2, 3], addresses: a) == nil)
        var response = DNSAnswererTests.query("allowed.example")
        response[2] |= 0x80
        #expect(DNSAnswerer.answer(response, addresses: a) == nil)  // a response is never answered
        func rcode(_ q: [UInt8]) -> UInt8? { DNSAnswerer.answer(q, addresses: a).map { $0[3] & 0x0f } }
        let header: [UInt8] = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        #expect(rcode(header) == 1)  // no question at all
        #expect(rcode(header + [200] + Array(repeating: 0x61, count: 10)) == 1)  // label past the end
        #expect(rcode(header + [64] + Array(repeating: 0x61, count: 64) + [0, 0, 1, 0, 1]) == 1)  // label > 63
        #expect(rcode(header + [0xc0, 0x0c, 0, 1, 0, 1]) == 1)  // a compression pointer
        let label: [UInt8] = [63] + [UInt8](repeating: 0x61, count: 63)
        let long: [UInt8] = Array(repeating: label, count: 5).flatMap { $0 }
        #expect(rcode(header + long + [0, 0, 1, 0, 1]) == 1)  // a name > 255 bytes
        var two = DNSAnswererTests.query("allowed.example")
        two[5] = 2
        #expect(rcode(two) == 1)  // two questions
        var notQuery = DNSAnswererTests.query("allowed.example")
        notQuery[2] = 0x10  // opcode 2 (STATUS)
        #expect(rcode(notQuery) == 4)
        // Random bytes: an answer or nothing, never a trap.
        var g = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<80, using: &g)
            _ = DNSAnswerer.answer((0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }, addresses: a)
        }
    }
}
