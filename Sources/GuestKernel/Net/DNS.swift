import LinuxABI

/// umlab's DNS server at 10.0.2.3: it answers from what the user allowed and never asks
/// anyone, so a guest cannot leak data through DNS queries. The query is a guest-built packet:
/// every length in it is checked against the packet before it is used.
enum DNSAnswerer {
    /// Response codes.
    static let formatError: UInt8 = 1, nameError: UInt8 = 3, notImplemented: UInt8 = 4

    /// The name a query asks about, for the audit trail (nil if it cannot be read).
    static func questionName(_ query: [UInt8]) -> String? {
        guard query.count >= 12 else { return nil }
        var i = 12, labels: [String] = []
        while i < query.count {
            let n = Int(query[i])
            if n == 0 { return labels.joined(separator: ".") }
            guard n <= 63, i + 1 + n <= query.count else { return nil }
            labels.append(String(decoding: query[(i + 1)...(i + n)], as: UTF8.self))
            i += 1 + n
        }
        return nil
    }

    /// The response to `query`; `addresses(name)` gives an allowed name's addresses (nil: the
    /// name is not allowed, NXDOMAIN). nil when the packet is too short to answer at all.
    static func answer(_ query: [UInt8], addresses: (String) -> [IPAddress]?) -> [UInt8]? {
        guard query.count >= 12 else { return nil }
        let flags = UInt16(query[2]) << 8 | UInt16(query[3])
        guard flags & 0x8000 == 0 else { return nil }  // a response: not for us
        let opcode = UInt8((flags >> 11) & 0xf)
        let questions = UInt16(query[4]) << 8 | UInt16(query[5])
        func reply(_ rcode: UInt8, question: ArraySlice<UInt8>, answers: [[UInt8]]) -> [UInt8] {
            var out: [UInt8] = [query[0], query[1]]
            // QR, the opcode and RD copied, RA set.
            out.append(0x80 | opcode << 3 | (query[2] & 0x01))
            out.append(0x80 | rcode)
            out += [0, question.isEmpty ? 0 : 1, UInt8(answers.count >> 8), UInt8(answers.count & 0xff), 0, 0, 0, 0]
            out += question
            for a in answers { out += a }
            return out
        }
        guard opcode == 0 else { return reply(notImplemented, question: [], answers: []) }
        guard questions == 1 else { return reply(formatError, question: [], answers: []) }
        // The question: labels, then type and class.
        var i = 12
        var labels: [String] = []
        var nameLength = 0
        while true {
            guard i < query.count else { return reply(formatError, question: [], answers: []) }
            let n = Int(query[i])
            if n == 0 { i += 1; break }
            // No compression in a question; labels of at most 63 bytes; names of at most 255.
            guard n <= 63, i + 1 + n <= query.count else { return reply(formatError, question: [], answers: []) }
            nameLength += n + 1
            guard nameLength <= 255 else { return reply(formatError, question: [], answers: []) }
            labels.append(String(decoding: query[(i + 1)...(i + n)], as: UTF8.self).lowercased())
            i += 1 + n
        }
        guard i + 4 <= query.count else { return reply(formatError, question: [], answers: []) }
        let type = UInt16(query[i]) << 8 | UInt16(query[i + 1])
        let qclass = UInt16(query[i + 2]) << 8 | UInt16(query[i + 3])
        let question = query[12..<(i + 4)]
        let name = labels.joined(separator: ".")
        guard qclass == 1 || qclass == 255, let found = addresses(name) else {
            return reply(nameError, question: question, answers: [])
        }
        // A (1) gets the IPv4 addresses, AAAA (28) the IPv6 ones; other types no data.
        var answers: [[UInt8]] = []
        for ip in found where (type == 1 && ip.isV4) || (type == 28 && !ip.isV4) || type == 255 {
            var rr: [UInt8] = [0xc0, 0x0c]  // the name: a pointer to the question's
            let rdata: [UInt8] = ip.isV4 ? Array(ip.bytes[12..<16]) : ip.bytes
            rr += [0, ip.isV4 ? 1 : 28, 0, 1]
            rr += [0, 0, 0, 60]  // TTL
            rr += [0, UInt8(rdata.count)]
            rr += rdata
            answers.append(rr)
        }
        return reply(0, question: question, answers: answers)
    }
}
