import LinuxABI

// The `ipc` multiplexer of System V IPC (the calls and their objects are in IPC/), which
// 32-bit PowerPC's glibc calls them through.

extension CoreSyscalls {
    /// ipc(call, first, second, third, ptr, fifth), Linux's ksys_ipc: the call number's high 16
    /// bits are a version. MSGRCV version 0 takes {msgp, msgtyp} from `ptr` (struct
    /// ipc_kludge); SHMAT stores the address at `third` and returns 0 (version 1 was iBCS2's:
    /// EINVAL); SEMCTL reads the union from `ptr`. The ctl calls take the IPC_64 bit off the
    /// command (Linux's ipc_parse_version); both versions get the IPC_64 layouts here, which is
    /// what glibc asks for.
    static func ipc(_ c: inout SyscallCall) throws(LinuxErrno) -> SyscallOutcome {
        let version = c.uint(0) >> 16, call = c.uint(0) & 0xffff
        let first = c.int(1), second = c.word(2), third = c.word(3), ptr = c.word(4), fifth = c.word(5)
        let secondInt = Int32(truncatingIfNeeded: second), thirdInt = Int32(truncatingIfNeeded: third)
        func command(_ raw: Int32) -> Int32 { raw & ~IPCFlags.ipc64 }
        switch call {
        case 1: return try semtimedop(c, id: first, operations: ptr, count: second, timeout: 0)
        case 4: return try semtimedop(c, id: first, operations: ptr, count: second, timeout: fifth)
        case 2: return try semget(c, key: first, count: secondInt, flags: thirdInt)
        case 3:
            guard ptr != 0 else { throw .EINVAL }
            var d = GuestDecoder(try c.mm.read(ptr, count: c.abi.wordSize), c.abi)
            return try semctl(c, id: first, number: secondInt, command: command(thirdInt), argument: d.word())
        case 11: return try msgsnd(c, id: first, buffer: ptr, size: second, flags: thirdInt)
        case 12:
            if version == 0 {
                guard ptr != 0 else { throw .EINVAL }
                var d = GuestDecoder(try c.mm.read(ptr, count: 2 * c.abi.wordSize), c.abi)
                let buffer = d.word(), type = d.sword()
                return try msgrcv(c, id: first, buffer: buffer, size: second, type: type, flags: thirdInt)
            }
            return try msgrcv(c, id: first, buffer: ptr, size: second, type: c.abi.signedWord(fifth), flags: thirdInt)
        case 13: return try msgget(c, key: first, flags: secondInt)
        case 14: return try msgctl(c, id: first, command: command(secondInt), buffer: ptr)
        case 21:
            guard version != 1 else { throw .EINVAL }
            let address = try shmat(c, id: first, address: ptr, flags: secondInt)
            var e = GuestEncoder(c.abi)
            e.word(address)
            try c.mm.write(third, e.bytes)
            return .zero
        case 22: return try shmdt(c, address: ptr)
        case 23: return try shmget(c, key: first, size: second, flags: thirdInt)
        case 24: return try shmctl(c, id: first, command: command(secondInt), buffer: ptr)
        default: throw .ENOSYS
        }
    }
}
