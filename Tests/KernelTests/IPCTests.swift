import Foundation
import Testing
@testable import GuestKernel
import LinuxABI

// System V IPC and POSIX message queues with the values an attacker picks: negative ids and
// sizes, sizes past every limit, bad pointers, counts of 0 and 2^32 - 1, semaphore overflow.
// Tests/programs/sysv_ipc.c and mqueue.c check the ordinary behaviour against Linux.

private let IPC_PRIVATE = 0, IPC_CREAT = 0o1000, IPC_NOWAIT = 0o4000
private let IPC_RMID = 0, IPC_STAT = 2, MSG_COPY = 0o40000, SEM_UNDO = 0x1000
private let BAD: UInt64 = 8  // an unmapped low address

@Suite struct HostileIPCCalls {
    @Test func messageQueues() async throws {
        try await runGuest { t async throws in
            let q = try await t.sys("msgget", IPC_PRIVATE, 0o600).get()
            let buf = try t.alloc(64)
            try t.setU64(buf, 1)
            #expect(try await t.sys("msgsnd", q, buf, -1, 0) == .err(.EINVAL))
            #expect(try await t.sys("msgsnd", q, buf, 8193, 0) == .err(.EINVAL))
            #expect(try await t.sys("msgsnd", q, BAD, 4, 0) == .err(.EFAULT))
            #expect(try await t.sys("msgsnd", -1, buf, 4, 0) == .err(.EINVAL))
            #expect(try await t.sys("msgsnd", Int32.max, buf, 4, 0) == .err(.EINVAL))
            try t.setU64(buf, UInt64(bitPattern: Int64.min))
            #expect(try await t.sys("msgsnd", q, buf, 4, 0) == .err(.EINVAL))  // type < 1
            #expect(try await t.sys("msgrcv", q, buf, -1, 0, IPC_NOWAIT) == .err(.EINVAL))
            #expect(try await t.sys("msgrcv", q, buf, 8, Int.min, IPC_NOWAIT) == .err(.ENOMSG))
            #expect(try await t.sys("msgrcv", q, buf, 8, 0, MSG_COPY) == .err(.EINVAL))
            try t.setU64(buf, 3)
            #expect(try await t.sys("msgsnd", q, buf, 8, 0) == .ok(0))
            // LONG_MIN as a type bound: the lowest type of all.
            #expect(try await t.sys("msgrcv", q, buf, 8, Int.min, IPC_NOWAIT) == .ok(8))
            #expect(try t.u64(buf) == 3)
            // A message taken into a bad buffer is lost with EFAULT, as on Linux.
            #expect(try await t.sys("msgsnd", q, buf, 8, 0) == .ok(0))
            #expect(try await t.sys("msgrcv", q, BAD, 8, 0, IPC_NOWAIT) == .err(.EFAULT))
            #expect(try await t.sys("msgrcv", q, buf, 8, 0, IPC_NOWAIT) == .err(.ENOMSG))
            #expect(try await t.sys("msgctl", q, IPC_STAT, BAD) == .err(.EFAULT))
            #expect(try await t.sys("msgctl", q, IPC_STAT | 0x100, buf) == .err(.EINVAL))  // IPC_64 is not a 64-bit command
            #expect(try await t.sys("msgctl", -1, IPC_RMID, 0) == .err(.EINVAL))
            #expect(try await t.sys("msgctl", q, -1, 0) == .err(.EINVAL))
            #expect(try await t.sys("msgctl", q, IPC_RMID, 0) == .ok(0))
            #expect(try await t.sys("msgctl", q, IPC_RMID, 0) == .err(.EINVAL))
            #expect(try await t.sys("msgget", 1234, 0) == .err(.ENOENT))
        }
    }

    @Test func semaphores() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("semget", IPC_PRIVATE, 0, 0o600) == .err(.EINVAL))
            #expect(try await t.sys("semget", IPC_PRIVATE, -1, 0o600) == .err(.EINVAL))
            #expect(try await t.sys("semget", IPC_PRIVATE, 32001, 0o600) == .err(.EINVAL))
            let s = try await t.sys("semget", IPC_PRIVATE, 2, 0o600).get()
            let ops = try t.alloc(64)
            /// One struct sembuf at `ops`.
            func op(_ n: UInt16, _ v: Int16, _ flags: Int16) throws {
                try t.poke(ops, ScriptThread.bytes(UInt64(n), 2) + ScriptThread.bytes(UInt64(UInt16(bitPattern: v)), 2)
                           + ScriptThread.bytes(UInt64(UInt16(bitPattern: flags)), 2))
            }
            try op(0, 1, 0)
            #expect(try await t.sys("semop", s, ops, 0) == .err(.EINVAL))
            #expect(try await t.sys("semop", s, ops, UInt64(UInt32.max)) == .err(.E2BIG))
            #expect(try await t.sys("semop", s, ops, 501) == .err(.E2BIG))
            #expect(try await t.sys("semop", s, BAD, 1) == .err(.EFAULT))
            #expect(try await t.sys("semop", -1, ops, 1) == .err(.EINVAL))
            try op(2, 1, 0)
            #expect(try await t.sys("semop", s, ops, 1) == .err(.EFBIG))
            try op(UInt16.max, 1, 0)
            #expect(try await t.sys("semop", s, ops, 1) == .err(.EFBIG))
            // Past SEMVMX: ERANGE, and nothing changes.
            #expect(try await t.sys("semctl", s, 0, 16, 32767) == .ok(0))  // SETVAL
            try op(0, Int16.max, 0)
            #expect(try await t.sys("semop", s, ops, 1) == .err(.ERANGE))
            #expect(try await t.sys("semctl", s, 0, 12, 0) == .ok(32767))  // GETVAL
            #expect(try await t.sys("semctl", s, 0, 16, -1) == .err(.ERANGE))
            #expect(try await t.sys("semctl", s, 0, 16, UInt64(UInt32.max) + 6) == .ok(0))  // the union's int is the low half
            #expect(try await t.sys("semctl", s, 0, 12, 0) == .ok(5))
            #expect(try await t.sys("semctl", s, 2, 12, 0) == .err(.EINVAL))
            #expect(try await t.sys("semctl", s, -1, 12, 0) == .err(.EINVAL))
            #expect(try await t.sys("semctl", s, 0, 13, BAD) == .err(.EFAULT))  // GETALL
            #expect(try await t.sys("semctl", s, 0, 99, 0) == .err(.EINVAL))
            // SEM_UNDO's adjustment is bounded too: down to -SEMAEM - 1 (-32768), not past it.
            #expect(try await t.sys("semctl", s, 1, 16, 0) == .ok(0))
            try op(1, Int16.max, Int16(SEM_UNDO))
            #expect(try await t.sys("semop", s, ops, 1) == .ok(0))
            try op(1, -Int16.max, 0)
            #expect(try await t.sys("semop", s, ops, 1) == .ok(0))
            try op(1, 1, Int16(SEM_UNDO))
            #expect(try await t.sys("semop", s, ops, 1) == .ok(0))  // adjustment -32768
            try op(1, -1, 0)
            #expect(try await t.sys("semop", s, ops, 1) == .ok(0))
            try op(1, 1, Int16(SEM_UNDO))
            #expect(try await t.sys("semop", s, ops, 1) == .err(.ERANGE))  // -32769
            #expect(try await t.sys("semctl", s, 1, 12, 0) == .ok(0))
            // A timeout that is not a timespec.
            try op(0, -100, 0)
            let ts = try t.alloc(16)
            try t.setU64(ts, UInt64(bitPattern: -1)); try t.setU64(ts + 8, 0)
            #expect(try await t.sys("semtimedop", s, ops, 1, ts) == .err(.EINVAL))
            try t.setU64(ts, 0); try t.setU64(ts + 8, 1_000_000_000)
            #expect(try await t.sys("semtimedop", s, ops, 1, ts) == .err(.EINVAL))
            try t.setU64(ts + 8, 0)
            #expect(try await t.sys("semtimedop", s, ops, 1, ts) == .err(.EAGAIN))
            #expect(try await t.sys("semctl", s, 0, IPC_RMID, 0) == .ok(0))
        }
    }

    @Test func sharedMemory() async throws {
        try await runGuest(configure: { $0.limits.memory = 64 << 20 }) { t async throws in
            #expect(try await t.sys("shmget", IPC_PRIVATE, 0, 0o600) == .err(.EINVAL))
            #expect(try await t.sys("shmget", IPC_PRIVATE, -1, 0o600) == .err(.EINVAL))
            #expect(try await t.sys("shmget", IPC_PRIVATE, UInt64.max - (1 << 24) + 1, 0o600) == .err(.EINVAL))
            // Within SHMMAX but past the machine's memory: ENOMEM, as a shmem charge.
            #expect(try await t.sys("shmget", IPC_PRIVATE, UInt64(1) << 40, 0o600) == .err(.ENOMEM))
            let id = try await t.sys("shmget", IPC_PRIVATE, 4096, IPC_CREAT | 0o600).get()
            #expect(try await t.sys("shmat", -1, 0, 0) == .err(.EINVAL))
            #expect(try await t.sys("shmat", id, 1, 0) == .err(.EINVAL))
            #expect(try await t.sys("shmat", id, 0, 0o40000) == .err(.EINVAL))  // SHM_REMAP without an address
            #expect(try await t.sys("shmat", id, UInt64.max - 4095, 0) == .err(.EINVAL))  // wraps
            let a = try await t.sys("shmat", id, 0, 0).get()
            try t.setU32(UInt64(a), 0x1234)
            #expect(try await t.sys("shmdt", 1) == .err(.EINVAL))
            #expect(try await t.sys("shmdt", UInt64(a) + 4096) == .err(.EINVAL))
            #expect(try await t.sys("shmctl", id, IPC_STAT, BAD) == .err(.EFAULT))
            #expect(try await t.sys("shmctl", -1, IPC_STAT, 0) == .err(.EINVAL))
            #expect(try await t.sys("shmctl", id, 99, 0) == .err(.EINVAL))
            // Removed while attached: still there until the detach.
            #expect(try await t.sys("shmctl", id, IPC_RMID, 0) == .ok(0))
            #expect(try t.u32(UInt64(a)) == 0x1234)
            #expect(try await t.sys("shmdt", a) == .ok(0))
            #expect(try await t.sys("shmctl", id, IPC_RMID, 0) == .err(.EINVAL))
        }
    }

    @Test func posixMessageQueues() async throws {
        try await runGuest { t async throws in
            #expect(try await t.sys("mq_open", BAD, 0o102, 0o600, 0) == .err(.EFAULT))
            #expect(try await t.sys("mq_open", "", 0o102, 0o600, 0) == .err(.ENOENT))
            #expect(try await t.sys("mq_open", String(repeating: "q", count: 256), 0o102, 0o600, 0) == .err(.ENAMETOOLONG))
            let attr = try t.alloc(64)
            try t.setU64(attr + 8, 4); try t.setU64(attr + 16, UInt64(Int64.max))
            #expect(try await t.sys("mq_open", "q", 0o102, 0o600, attr) == .err(.EINVAL))
            try t.setU64(attr + 8, UInt64(bitPattern: -1)); try t.setU64(attr + 16, 64)
            #expect(try await t.sys("mq_open", "q", 0o102, 0o600, attr) == .err(.EINVAL))
            #expect(try await t.sys("mq_open", "q", 0o102, 0o600, BAD) == .err(.EFAULT))
            try t.setU64(attr + 8, 2)
            let q = try await t.sys("mq_open", "q", 0o102, 0o600, attr).get()
            let buf = try t.alloc(128)
            #expect(try await t.sys("mq_timedsend", q, buf, -1, 0, 0) == .err(.EMSGSIZE))
            #expect(try await t.sys("mq_timedsend", q, buf, 4, UInt32.max, 0) == .err(.EINVAL))
            #expect(try await t.sys("mq_timedsend", q, BAD, 4, 0, 0) == .err(.EFAULT))
            #expect(try await t.sys("mq_timedsend", -1, buf, 4, 0, 0) == .err(.EBADF))
            #expect(try await t.sys("mq_timedsend", 1, buf, 4, 0, 0) == .err(.EBADF))
            #expect(try await t.sys("mq_timedreceive", q, buf, 63, 0, 0) == .err(.EMSGSIZE))
            let ts = try t.alloc(16)
            try t.setU64(ts, UInt64(bitPattern: -1)); try t.setU64(ts + 8, 0)
            #expect(try await t.sys("mq_timedreceive", q, buf, 64, 0, ts) == .err(.EINVAL))
            try t.setU64(ts, UInt64(Int64.max)); try t.setU64(ts + 8, 999_999_999)
            #expect(try await t.sys("mq_timedsend", q, buf, 4, 7, ts) == .ok(0))
            #expect(try await t.sys("mq_timedreceive", q, buf, UInt64.max, BAD, ts) == .err(.EFAULT))  // taken, then EFAULT
            try t.setU64(attr, 0)
            #expect(try await t.sys("mq_getsetattr", q, attr, 0) == .ok(0))
            try t.setU64(attr, 0o4000 | 1)
            #expect(try await t.sys("mq_getsetattr", q, attr, 0) == .err(.EINVAL))
            #expect(try await t.sys("mq_unlink", "q") == .ok(0))
            #expect(try await t.sys("mq_unlink", "q") == .err(.ENOENT))
            #expect(try await t.sys("mq_unlink", "a/b") == .err(.EACCES))
        }
    }
}
