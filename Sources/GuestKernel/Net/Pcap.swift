import HostOS
import LinuxABI

// `--pcap FILE`: a packet capture of the machine's TCP and UDP traffic for tools such as
// tshark. umlab has no packets (sockets are emulated at the socket level), so the frames are
// synthesized from socket events: a handshake when a connection is made, a segment per send
// with sequence and acknowledgement numbers that follow the bytes, a FIN for each direction's
// end. A capture therefore shows what the programs said to each other, in order, and a
// stream-following tool reassembles it; it does not show retransmissions or windows, which do
// not exist here.

/// Writes the capture file (classic pcap, Ethernet link type).
final class PcapWriter {
    private let sink: TraceSink
    private var buffer: [UInt8] = []
    /// The guest's and the rest of the world's MAC addresses (QEMU's user-networking ones).
    static let guestMAC: [UInt8] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]
    static let otherMAC: [UInt8] = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]
    /// Largest payload of one synthesized segment (an IPv4 datagram holds at most 65535 bytes).
    static let segment = 65_000
    private var ipID: UInt16 = 1
    /// The guest's eth0 address: frames from it (or from loopback) carry the guest's MAC.
    let guestAddress: IPAddress

    init(sink: TraceSink, guestAddress: IPAddress) {
        self.sink = sink
        self.guestAddress = guestAddress
        var h: [UInt8] = []
        PcapWriter.le32(&h, 0xa1b2_c3d4)
        PcapWriter.le16(&h, 2); PcapWriter.le16(&h, 4)
        PcapWriter.le32(&h, 0); PcapWriter.le32(&h, 0)
        PcapWriter.le32(&h, 262_144)
        PcapWriter.le32(&h, 1)  // LINKTYPE_ETHERNET
        sink.bytes(h)
    }

    static func le16(_ b: inout [UInt8], _ v: UInt16) { b += [UInt8(v & 0xff), UInt8(v >> 8)] }
    static func le32(_ b: inout [UInt8], _ v: UInt32) { for i in 0..<4 { b.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    static func be16(_ b: inout [UInt8], _ v: UInt16) { b += [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ b: inout [UInt8], _ v: UInt32) { for i in (0..<4).reversed() { b.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }

    /// The ones'-complement sum used by IP, TCP and UDP checksums.
    static func checksum(_ parts: [ArraySlice<UInt8>]) -> UInt16 {
        var sum: UInt32 = 0
        for part in parts {
            var i = part.startIndex
            while i + 1 < part.endIndex {
                sum += UInt32(part[i]) << 8 | UInt32(part[i + 1])
                i += 2
            }
            if i < part.endIndex { sum += UInt32(part[i]) << 8 }
        }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// One IP packet carrying `transport` (a TCP or UDP header and payload) from `src` to
    /// `dst`; the transport checksum is filled in at `checksumOffset`.
    func packet(from src: HostSocket.Endpoint, to dst: HostSocket.Endpoint, protocol proto: UInt8, transport: [UInt8], checksumOffset: Int) {
        var t = transport
        let v4 = src.address.isV4 && dst.address.isV4
        let srcBytes = v4 ? Array(src.address.bytes[12..<16]) : src.address.bytes
        let dstBytes = v4 ? Array(dst.address.bytes[12..<16]) : dst.address.bytes
        var pseudo: [UInt8] = srcBytes + dstBytes
        if v4 { pseudo += [0, proto]; PcapWriter.be16(&pseudo, UInt16(t.count)) } else { PcapWriter.be32(&pseudo, UInt32(t.count)); pseudo += [0, 0, 0, proto] }
        let sum = PcapWriter.checksum([pseudo[...], t[...]])
        t[checksumOffset] = UInt8(sum >> 8); t[checksumOffset + 1] = UInt8(sum & 0xff)
        func mac(_ a: IPAddress) -> [UInt8] { a == guestAddress || a.isLoopback ? PcapWriter.guestMAC : PcapWriter.otherMAC }
        var frame: [UInt8] = mac(dst.address) + mac(src.address)
        if v4 {
            frame += [0x08, 0x00]
            var ip: [UInt8] = [0x45, 0]
            PcapWriter.be16(&ip, UInt16(20 + t.count))
            PcapWriter.be16(&ip, ipID); ipID &+= 1
            ip += [0x40, 0, 64, proto, 0, 0]  // DF, TTL 64
            ip += srcBytes + dstBytes
            let c = PcapWriter.checksum([ip[...]])
            ip[10] = UInt8(c >> 8); ip[11] = UInt8(c & 0xff)
            frame += ip
        } else {
            frame += [0x86, 0xdd]
            var ip: [UInt8] = [0x60, 0, 0, 0]
            PcapWriter.be16(&ip, UInt16(t.count))
            ip += [proto, 64]
            ip += srcBytes + dstBytes
            frame += ip
        }
        frame += t
        record(frame)
    }

    private func record(_ frame: [UInt8]) {
        let now = (try? Host.clock(0)) ?? (seconds: 0, nanoseconds: 0)
        var r: [UInt8] = []
        PcapWriter.le32(&r, UInt32(truncatingIfNeeded: now.seconds))
        PcapWriter.le32(&r, UInt32(now.nanoseconds / 1000))
        PcapWriter.le32(&r, UInt32(frame.count)); PcapWriter.le32(&r, UInt32(frame.count))
        sink.bytes(r + frame)
    }

    func udp(from src: HostSocket.Endpoint, to dst: HostSocket.Endpoint, _ payload: ArraySlice<UInt8>) {
        guard payload.count <= 65_000 else { return }
        var t: [UInt8] = []
        PcapWriter.be16(&t, src.port); PcapWriter.be16(&t, dst.port)
        PcapWriter.be16(&t, UInt16(8 + payload.count)); t += [0, 0]
        t += payload
        packet(from: src, to: dst, protocol: 17, transport: t, checksumOffset: 6)
    }
}

/// One TCP connection in the capture: both ends and the next sequence number of each
/// direction, so segments line up as a real connection's would.
final class PcapFlow {
    let writer: PcapWriter
    let client: HostSocket.Endpoint
    let server: HostSocket.Endpoint
    private var clientSeq: UInt32 = 1_000
    private var serverSeq: UInt32 = 5_000
    private var finished: (client: Bool, server: Bool) = (false, false)

    /// A connection was made: the three-way handshake.
    init(writer: PcapWriter, client: HostSocket.Endpoint, server: HostSocket.Endpoint) {
        self.writer = writer; self.client = client; self.server = server
        segment(fromClient: true, flags: 0x02, [])  // SYN
        segment(fromClient: false, flags: 0x12, [])  // SYN, ACK
        segment(fromClient: true, flags: 0x10, [])  // ACK
    }

    private func segment(fromClient: Bool, flags: UInt8, _ payload: ArraySlice<UInt8>) {
        let (src, dst) = fromClient ? (client, server) : (server, client)
        let seq = fromClient ? clientSeq : serverSeq
        let ack = fromClient ? serverSeq : clientSeq
        var t: [UInt8] = []
        PcapWriter.be16(&t, src.port); PcapWriter.be16(&t, dst.port)
        PcapWriter.be32(&t, seq); PcapWriter.be32(&t, flags & 0x10 != 0 ? ack : 0)
        t += [0x50, flags]
        PcapWriter.be16(&t, 65_535)  // window
        t += [0, 0, 0, 0]  // checksum, urgent pointer
        t += payload
        writer.packet(from: src, to: dst, protocol: 6, transport: t, checksumOffset: 16)
        // SYN and FIN take one sequence number; data its length.
        let used = UInt32(truncatingIfNeeded: payload.count) &+ (flags & 0x03 != 0 ? 1 : 0)
        if fromClient { clientSeq &+= used } else { serverSeq &+= used }
    }

    /// Bytes sent one way, as segments of at most `PcapWriter.segment` bytes.
    func data(fromClient: Bool, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let n = min(PcapWriter.segment, bytes.count - offset)
            segment(fromClient: fromClient, flags: 0x18, Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))[...])  // PSH, ACK
            offset += n
        }
    }

    /// One direction ended (shutdown or close): a FIN.
    func end(fromClient: Bool) {
        if fromClient ? finished.client : finished.server { return }
        if fromClient { finished.client = true } else { finished.server = true }
        segment(fromClient: fromClient, flags: 0x11, [])  // FIN, ACK
    }
}

extension SocketAddress {
    /// An inet address as a capture endpoint.
    var endpoint: HostSocket.Endpoint? {
        if case .inet(let ip, let port) = self { return HostSocket.Endpoint(ip, port) }
        return nil
    }
}
