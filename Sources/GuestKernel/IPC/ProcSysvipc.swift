import LinuxABI

// /proc/sysvipc/{msg,sem,shm} (what ipcs reads) and the limits under /proc/sys/kernel, in
// Linux's formats (ipc/msg.c, sem.c, shm.c: sysvipc_*_proc_show).

extension Kernel {
    private static func field(_ v: some BinaryInteger, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }
    private static func octal(_ v: UInt32, _ width: Int) -> String {
        let s = String(v, radix: 8)
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }

    func sysvipcMessages() -> String {
        var s = "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n"
        for q in ipc.messages.sorted {
            let p = q.perm
            s += "\(Self.field(p.key, 10)) \(Self.field(q.id, 10))  \(Self.octal(p.mode, 4))  \(Self.field(q.bytes, 10)) \(Self.field(q.messages.count, 10)) "
            s += "\(Self.field(q.lastSender, 5)) \(Self.field(q.lastReceiver, 5)) \(Self.field(p.uid, 5)) \(Self.field(p.gid, 5)) \(Self.field(p.cuid, 5)) \(Self.field(p.cgid, 5)) "
            s += "\(Self.field(q.sendTime, 10)) \(Self.field(q.receiveTime, 10)) \(Self.field(q.changeTime, 10))\n"
        }
        return s
    }

    func sysvipcSemaphores() -> String {
        var s = "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n"
        for set in ipc.semaphores.sorted {
            let p = set.perm
            s += "\(Self.field(p.key, 10)) \(Self.field(set.id, 10))  \(Self.octal(p.mode, 4)) \(Self.field(set.values.count, 10)) "
            s += "\(Self.field(p.uid, 5)) \(Self.field(p.gid, 5)) \(Self.field(p.cuid, 5)) \(Self.field(p.cgid, 5)) "
            s += "\(Self.field(set.operationTime, 10)) \(Self.field(set.changeTime, 10))\n"
        }
        return s
    }

    func sysvipcSharedMemory() -> String {
        ipc.sweepSharedMemory()
        let wide = abi.wordSize == 8
        let size = wide ? 21 : 10
        var s = wide
            ? "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n"
            : "       key      shmid perms       size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime        rss       swap\n"
        for seg in ipc.sharedMemory.sorted {
            let p = seg.perm
            s += "\(Self.field(p.key, 10)) \(Self.field(seg.id, 10))  \(Self.octal(p.mode, 4)) \(Self.field(seg.size, size)) "
            s += "\(Self.field(seg.creator, 5)) \(Self.field(seg.lastUser, 5))  \(Self.field(attachments(of: seg.memory), 5)) "
            s += "\(Self.field(p.uid, 5)) \(Self.field(p.gid, 5)) \(Self.field(p.cuid, 5)) \(Self.field(p.cgid, 5)) "
            s += "\(Self.field(seg.attachTime, 10)) \(Self.field(seg.detachTime, 10)) \(Self.field(seg.changeTime, 10)) "
            s += "\(Self.field(0, size)) \(Self.field(0, size))\n"
        }
        return s
    }

    /// /proc/sys/kernel's IPC limits, by file name.
    var ipcLimitFiles: [(String, String)] {
        let shmmax = String(IPCLimits.shmmax(wordMask: abi.wordMask))
        return [
            ("msgmax", "\(IPCLimits.msgmax)\n"), ("msgmnb", "\(IPCLimits.msgmnb)\n"), ("msgmni", "\(IPCLimits.msgmni)\n"),
            ("sem", "\(IPCLimits.semmsl)\t\(IPCLimits.semmns)\t\(IPCLimits.semopm)\t\(IPCLimits.semmni)\n"),
            ("shmall", shmmax + "\n"), ("shmmax", shmmax + "\n"), ("shmmni", "\(IPCLimits.shmmni)\n"),
        ]
    }
}
