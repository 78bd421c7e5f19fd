import LinuxABI

// AF_UNIX socket pairs (SOCK_STREAM): two pipes crossed, enough for programs that use a
// socketpair as a bidirectional channel. Other socket families are not provided (EAFNOSUPPORT).

/// One end of a connected stream socket pair.
final class SocketPairEnd: OpenFile {
    let incoming: PipeEnd
    let outgoing: PipeEnd
    init(incoming: Pipe, outgoing: Pipe, flags: OpenFlags, name: String) {
        self.incoming = PipeEnd(pipe: incoming, reading: true, writing: false, flags: flags, path: name)
        self.outgoing = PipeEnd(pipe: outgoing, reading: false, writing: true, flags: flags, path: name)
        super.init(inode: nil, flags: OpenFlags(rawValue: OpenFlags.readWrite).union(flags), path: name)
    }
    override func read(into buffer: UnsafeMutableRawBufferPointer) throws(LinuxErrno) -> Int { try incoming.read(into: buffer) }
    override func write(_ buffer: UnsafeRawBufferPointer) throws(LinuxErrno) -> Int { try outgoing.write(buffer) }
    override func poll() -> PollEvents {
        incoming.poll().intersection([.input, .readNormal, .hangUp]).union(outgoing.poll().intersection([.output, .writeNormal, .error]))
    }
    override var bytesReadable: Int { incoming.bytesReadable }
    override func stat() throws(LinuxErrno) -> FileStat {
        var s = FileStat()
        s.mode = FileMode.socket | 0o777
        s.inode = incoming.pipe.number
        return s
    }
    override func release() {
        incoming.release()
        outgoing.release()
    }
}

extension CoreSyscalls {
    static func socketpair(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let domain = c.int(0), type = c.int(1)
        guard domain == 1 else { throw .EAFNOSUPPORT }  // AF_UNIX
        guard type & 0xf == 1 else { throw .EOPNOTSUPP }  // SOCK_STREAM only
        let nonBlock = type & 0o4000 != 0, cloexec = type & 0o2000000 != 0
        let a = Pipe(kernel: c.kernel), b = Pipe(kernel: c.kernel)
        let flags: OpenFlags = nonBlock ? [.nonBlocking] : []
        let e0 = SocketPairEnd(incoming: a, outgoing: b, flags: flags, name: "socket:[\(a.number)]")
        let e1 = SocketPairEnd(incoming: b, outgoing: a, flags: flags, name: "socket:[\(b.number)]")
        try installPair(c, e0, e1, closeOnExec: cloexec, at: c.word(3))
        return .zero
    }
}
