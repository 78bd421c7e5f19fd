import LinuxABI

// The interface ioctls on sockets (SIOCGIF*, SIOCGIFCONF), as Linux's sock_ioctl, dev_ioctl
// and devinet_ioctl answer them, in the guest's `struct ifreq` / `struct ifconf` layout:
//
//     struct ifreq  { char ifr_name[16]; union { sockaddr; short flags; int ivalue; ifmap; ... } }
//         40 bytes on 64-bit guests (the union holds struct ifmap's two longs), 32 on 32-bit
//     struct ifconf { int ifc_len; union { char *ifc_buf; struct ifreq *ifc_req; } }
//
// Requests that would change the network (SIOCS*, routes, ARP) are EPERM for every caller: the
// guest cannot reconfigure its machine's network.

enum InterfaceIoctl {
    static let SIOCADDRT: UInt32 = 0x890B, SIOCDELRT: UInt32 = 0x890C
    static let SIOCGIFNAME: UInt32 = 0x8910, SIOCGIFCONF: UInt32 = 0x8912, SIOCGIFFLAGS: UInt32 = 0x8913
    static let SIOCGIFADDR: UInt32 = 0x8915, SIOCGIFDSTADDR: UInt32 = 0x8917, SIOCGIFBRDADDR: UInt32 = 0x8919
    static let SIOCGIFNETMASK: UInt32 = 0x891B, SIOCGIFMETRIC: UInt32 = 0x891D, SIOCGIFMTU: UInt32 = 0x8921
    static let SIOCGIFHWADDR: UInt32 = 0x8927, SIOCGIFSLAVE: UInt32 = 0x8929, SIOCGIFINDEX: UInt32 = 0x8933
    static let SIOCGIFTXQLEN: UInt32 = 0x8942, SIOCETHTOOL: UInt32 = 0x8946, SIOCGIFMAP: UInt32 = 0x8970
    static let SIOCOUTQ: UInt32 = 0x5411

    /// Requests that change interfaces, addresses, routes or ARP entries.
    static let changes: Set<UInt32> = [
        SIOCADDRT, SIOCDELRT,
        0x8914, 0x8916, 0x8918, 0x891A, 0x891C, 0x891E, 0x8920, 0x8922, 0x8923, 0x8924, 0x8926,  // SIOCSIF*
        0x8930, 0x8931, 0x8932, 0x8934, 0x8936, 0x8937, 0x8941, 0x8943, 0x8971,  // slave, multicast, pflags, DIFADDR, ...
        0x8953, 0x8955, 0x8960, 0x8962,  // SIOCDARP, SIOCSARP, SIOCDRARP, SIOCSRARP
        0x89A0, 0x89A1, 0x89A2, 0x89A3,  // bridge add/del
    ]

    static func ifreqSize(_ abi: GuestABI) -> Int { abi.wordSize == 8 ? 40 : 32 }

    /// Handles `request` on `socket`; ENOTTY for what no socket answers.
    static func handle(_ socket: SocketFile, _ request: UInt32, _ argument: UInt64, task: Task, kernel: Kernel) throws(LinuxErrno) -> UInt64 {
        let abi = kernel.abi, network = kernel.network, mm = task.mm
        if request == SIOCOUTQ {
            var e = GuestEncoder(abi)
            e.i32(Int32(clamping: (socket as? Socket)?.unreadByPeer ?? 0))
            try mm.write(argument, e.bytes)
            return 0
        }
        guard request & 0xff00 == 0x8900 else { throw .ENOTTY }
        if request == SIOCGIFCONF { try interfaceList(argument, abi: abi, network: network, mm: mm); return 0 }
        let size = ifreqSize(abi)
        var ifreq = try mm.read(argument, count: size)
        if changes.contains(request) { throw .EPERM }
        // The name, at most 15 bytes; an alias ("eth0:1") names its device before the colon.
        let nameBytes = Array(ifreq[0..<15].prefix { $0 != 0 })
        let label = String(decoding: nameBytes, as: UTF8.self)
        let deviceName = String(decoding: nameBytes.prefix { $0 != UInt8(ascii: ":") }, as: UTF8.self)

        /// Writes `body` into the union and the whole ifreq back (as Linux's put_user_ifreq).
        func reply(_ body: [UInt8]) throws(LinuxErrno) -> UInt64 {
            for (i, b) in body.prefix(size - 16).enumerated() { ifreq[16 + i] = b }
            try mm.write(argument, ifreq)
            return 0
        }
        func int(_ v: Int32) -> [UInt8] { var e = GuestEncoder(abi); e.i32(v); return e.bytes }

        switch request {
        case SIOCGIFNAME:
            var d = GuestDecoder(Array(ifreq[16..<20]), abi)
            guard let i = network.interface(index: d.i32()) else { throw .ENODEV }
            var name = Array(i.name.utf8)
            name += [UInt8](repeating: 0, count: 16 - name.count)
            ifreq.replaceSubrange(0..<16, with: name)
            try mm.write(argument, ifreq)
            return 0
        case SIOCGIFADDR, SIOCGIFDSTADDR, SIOCGIFBRDADDR, SIOCGIFNETMASK:
            // devinet_ioctl: AF_INET sockets only (the others pass them to dev_ioctl: ENOTTY).
            guard socket.family == .inet else { throw .ENOTTY }
            guard let i = network.interface(named: deviceName) else { throw .ENODEV }
            guard label == i.name, let a = i.v4Addresses.first else { throw .EADDRNOTAVAIL }
            let ip: IPAddress
            switch request {
            case SIOCGIFADDR, SIOCGIFDSTADDR: ip = a.ip
            case SIOCGIFBRDADDR: ip = a.broadcast ?? .anyV4
            default: ip = .netmask(v4PrefixLength: a.prefixLength)
            }
            return try reply(SockaddrCodec.encode(.inet(ip, port: 0), family: .inet, abi: abi))
        default:
            break
        }
        // dev_ioctl's requests, for every family.
        guard let i = network.interface(named: deviceName) else {
            let known: Set<UInt32> = [SIOCGIFFLAGS, SIOCGIFMETRIC, SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFSLAVE, SIOCGIFMAP,
                                      SIOCGIFINDEX, SIOCGIFTXQLEN, SIOCETHTOOL]
            throw known.contains(request) ? .ENODEV : .ENOTTY
        }
        switch request {
        case SIOCGIFFLAGS:
            // ifr_flags is a short: IFF_LOWER_UP and the other high flags do not fit.
            var e = GuestEncoder(abi)
            e.u16(UInt16(truncatingIfNeeded: i.flags))
            return try reply(e.bytes)
        case SIOCGIFMETRIC: return try reply(int(0))
        case SIOCGIFMTU: return try reply(int(Int32(i.mtu)))
        case SIOCGIFINDEX: return try reply(int(i.index))
        case SIOCGIFTXQLEN: return try reply(int(Int32(i.txQueueLength)))
        case SIOCGIFHWADDR:
            var e = GuestEncoder(abi)
            e.u16(i.hardwareType)
            e.raw(i.hardwareAddress)
            e.pad(to: 16)
            return try reply(e.bytes)
        case SIOCGIFMAP:
            // struct ifmap: mem_start, mem_end, base_addr, irq, dma, port: all zero.
            return try reply([UInt8](repeating: 0, count: size - 16))
        case SIOCGIFSLAVE: throw .EINVAL
        case SIOCETHTOOL: throw .EOPNOTSUPP
        default: throw .ENOTTY
        }
    }

    /// SIOCGIFCONF: one ifreq (the label and a sockaddr_in) per IPv4 address, as many whole
    /// ones as `ifc_len` holds; with a null buffer, the length all of them need.
    static func interfaceList(_ argument: UInt64, abi: GuestABI, network: Network, mm: MemoryMap) throws(LinuxErrno) {
        let headerSize = abi.wordSize == 8 ? 16 : 8
        var d = GuestDecoder(try mm.read(argument, count: headerSize), abi)
        let length = d.i32()
        if abi.wordSize == 8 { d.skip(4) }
        let buffer = d.word()
        let size = ifreqSize(abi)
        var entries: [[UInt8]] = []
        for i in network.interfaces {
            for a in i.v4Addresses {
                var e = GuestEncoder(abi)
                e.raw(Array(i.name.utf8))
                e.pad(to: 16)
                e.raw(SockaddrCodec.encode(.inet(a.ip, port: 0), family: .inet, abi: abi))
                e.pad(to: size)
                entries.append(e.bytes)
            }
        }
        var total = 0
        if buffer == 0 {
            total = entries.count * size
        } else {
            var out: [UInt8] = []
            for entry in entries where Int(length) - total >= size {
                out += entry
                total += size
            }
            if !out.isEmpty { try mm.write(buffer, out) }
        }
        var e = GuestEncoder(abi)
        e.i32(Int32(total))
        try mm.write(argument, e.bytes)
    }
}
