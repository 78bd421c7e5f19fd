import HostOS
import LinuxABI

// poll, ppoll, select, pselect6.

extension CoreSyscalls {
    static func poll(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let ms = c.int(2)
        return try doPoll(c, fdsAddr: c.word(0), count: c.uint(1), timeoutNS: ms < 0 ? nil : UInt64(ms) * 1_000_000)
    }
    static func ppoll(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var timeout: UInt64?
        if c.word(2) != 0 {
            let (s, ns) = try readTimespec(c, c.word(2))
            timeout = try GuestMath.nanoseconds(seconds: s, nanoseconds: ns)
        }
        try swapMask(c, c.word(3))
        return try doPoll(c, fdsAddr: c.word(0), count: c.uint(1), timeoutNS: timeout)
    }

    /// ppoll/pselect's temporary mask, restored after a handler runs (or at completion).
    static func swapMask(_ c: SyscallCall, _ addr: UInt64) throws(LinuxErrno) {
        guard addr != 0, c.task.savedMaskAfterSignal == nil else { return }
        let mask = try readSigset(c, addr)
        c.task.savedMaskAfterSignal = c.task.signalMask
        c.task.signalMask = SignalSet(rawValue: mask.rawValue & SignalSet.blockable.rawValue)
    }
    static func restoreMask(_ c: SyscallCall) {
        if let m = c.task.savedMaskAfterSignal {
            c.task.signalMask = m
            c.task.savedMaskAfterSignal = nil
        }
    }

    static func doPoll(_ c: SyscallCall, fdsAddr: UInt64, count: UInt32, timeoutNS: UInt64?) throws(LinuxErrno) -> SyscallOutcome {
        // Linux: more entries than RLIMIT_NOFILE allows descriptors is EINVAL.
        guard count <= 65536, Int(count) <= c.task.process.limits.openFiles else { throw .EINVAL }
        let raw = try c.mm.read(fdsAddr, count: Int(count) * 8)
        var d = GuestDecoder(raw, c.abi)
        var entries: [(fd: Int32, events: PollEvents)] = []
        for _ in 0..<count {
            let fd = d.i32(), ev = d.u16()
            _ = d.u16()
            entries.append((fd, PollEvents(rawValue: ev)))
        }
        let files = c.task.files
        func scan() -> ([UInt16], Int) {
            var out: [UInt16] = []
            var ready = 0
            for (fd, events) in entries {
                if fd < 0 { out.append(0); continue }
                guard let f = try? files.get(fd), !(f is PathFile) else { out.append(PollEvents.invalid.rawValue); ready += 1; continue }
                let r = f.poll().intersection(events.union([.error, .hangUp, .invalid]))
                out.append(r.rawValue)
                if !r.isEmpty { ready += 1 }
            }
            return (out, ready)
        }
        let (revents, ready) = scan()
        let until = timeoutNS.map { CoreSyscalls.deadline(c, after: $0) }
        if ready > 0 || (until.map { Host.monotonicNanoseconds() >= $0 } ?? false) {
            var e = GuestEncoder(c.abi)
            for (i, (fd, events)) in entries.enumerated() { e.i32(fd); e.u16(events.rawValue); e.u16(revents[i]) }
            try c.mm.write(fdsAddr, e.bytes)
            restoreMask(c)
            return .int(ready)
        }
        var wait = Wait(deadline: until, restartable: false)
        for (fd, events) in entries where fd >= 0 {
            if let q = (try? files.get(fd))?.waitQueue { wait.queues.append((q, events.union([.error, .hangUp]))) }
        }
        return .block(wait)
    }

    static func select(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var timeout: UInt64?
        if c.word(4) != 0 {
            var d = GuestDecoder(try c.mm.read(c.word(4), count: 2 * c.abi.wordSize), c.abi)
            let s = d.sword(), us = d.sword()
            // Linux's kern_select carries whole seconds out of tv_usec first; a sum that
            // overflows, or a negative part, is EINVAL. Huge timeouts saturate (never).
            let (carried, overflow) = s.addingReportingOverflow(us / 1_000_000)
            guard !overflow else { throw .EINVAL }
            timeout = try GuestMath.nanoseconds(seconds: carried, microseconds: us % 1_000_000)
        }
        return try doSelect(c, timeoutNS: timeout, timespec: false)
    }
    static func pselect6(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        var timeout: UInt64?
        if c.word(4) != 0 {
            let (s, ns) = try readTimespec(c, c.word(4))
            timeout = try GuestMath.nanoseconds(seconds: s, nanoseconds: ns)
        }
        if c.word(5) != 0 {
            // struct { const sigset_t *ss; size_t ss_len; }
            var d = GuestDecoder(try c.mm.read(c.word(5), count: 2 * c.abi.wordSize), c.abi)
            let p = d.word()
            if p != 0 { try swapMask(c, p) }
        }
        return try doSelect(c, timeoutNS: timeout, timespec: true)
    }

    /// select and pselect6 write the time left back into their timeout argument, as Linux does.
    static func doSelect(_ c: SyscallCall, timeoutNS: UInt64?, timespec: Bool) throws(LinuxErrno) -> SyscallOutcome {
        // Linux: n < 0 is EINVAL; n past the descriptor table is cut to its size (fds beyond
        // it are never open), so a huge n reads no more of the sets than the table covers.
        guard c.int(0) >= 0 else { throw .EINVAL }
        let w = c.abi.wordSize
        let tableSize = (c.task.files.slots.count + w * 8 - 1) / (w * 8) * (w * 8)
        let n = min(Int(c.int(0)), max(tableSize, w * 8))
        // fd_set is an array of longs: whole guest words.
        let bytes = (n + w * 8 - 1) / (w * 8) * w
        var sets: [[UInt8]?] = []
        for i in 1...3 { sets.append(c.word(i) == 0 ? nil : try c.mm.read(c.word(i), count: bytes)) }
        /// Bit `fd` of a guest fd_set (an array of longs in guest byte order).
        func bit(_ set: [UInt8], _ fd: Int) -> Bool {
            let word = fd / (w * 8), b = fd % (w * 8)
            let byte = c.abi.bigEndian ? word * w + (w - 1 - b / 8) : word * w + b / 8
            return set[byte] & (1 << (b % 8)) != 0
        }
        func setBit(_ set: inout [UInt8], _ fd: Int) {
            let word = fd / (w * 8), b = fd % (w * 8)
            let byte = c.abi.bigEndian ? word * w + (w - 1 - b / 8) : word * w + b / 8
            set[byte] |= 1 << (b % 8)
        }
        let files = c.task.files
        for fd in 0..<n where sets.contains(where: { $0.map { bit($0, fd) } ?? false }) {
            _ = try files.get(Int32(fd))
        }
        func scan() -> ([[UInt8]], Int) {
            var out = [[UInt8]](repeating: [UInt8](repeating: 0, count: bytes), count: 3)
            var count = 0
            for fd in 0..<n {
                let wantR = sets[0].map { bit($0, fd) } ?? false
                let wantW = sets[1].map { bit($0, fd) } ?? false
                let wantE = sets[2].map { bit($0, fd) } ?? false
                if !(wantR || wantW || wantE) { continue }
                guard let f = try? files.get(Int32(fd)) else { continue }
                let ev = f.poll()
                if wantR && !ev.intersection([.input, .hangUp, .error]).isEmpty { setBit(&out[0], fd); count += 1 }
                if wantW && !ev.intersection([.output, .error]).isEmpty { setBit(&out[1], fd); count += 1 }
                if wantE && ev.contains(.priority) { setBit(&out[2], fd); count += 1 }
            }
            return (out, count)
        }
        let (out, ready) = scan()
        let until = timeoutNS.map { CoreSyscalls.deadline(c, after: $0) }
        if ready > 0 || (until.map { Host.monotonicNanoseconds() >= $0 } ?? false) {
            for i in 0..<3 where sets[i] != nil { try c.mm.write(c.word(i + 1), out[i]) }
            if let until, c.word(4) != 0 {
                let now = Host.monotonicNanoseconds()
                let left = until > now ? until - now : 0
                var e = GuestEncoder(c.abi)
                e.sword(Int64(left / 1_000_000_000))
                e.sword(Int64(timespec ? left % 1_000_000_000 : left % 1_000_000_000 / 1000))
                try c.mm.write(c.word(4), e.bytes)
            }
            restoreMask(c)
            return .int(ready)
        }
        var wait = Wait(deadline: until, restartable: false)
        for fd in 0..<n {
            var events: PollEvents = []
            if sets[0].map({ bit($0, fd) }) ?? false { events.formUnion([.input, .hangUp, .error]) }
            if sets[1].map({ bit($0, fd) }) ?? false { events.formUnion([.output, .error]) }
            if sets[2].map({ bit($0, fd) }) ?? false { events.insert(.priority) }
            if !events.isEmpty, let q = (try? files.get(Int32(fd)))?.waitQueue { wait.queues.append((q, events)) }
        }
        return .block(wait)
    }
}
