// /proc/<pid>/fdinfo/<fd>: what Linux's fs/proc/fd.c shows for a descriptor (its position,
// flags, mount and inode), followed by what the file's kind adds (show_fdinfo): an epoll
// instance lists its interest list, an eventfd its counter. Tools read these: lsof and ss for
// epoll targets, CRIU-like checkers, and programs that look at their own epoll sets.

extension ProcFS {
    /// The text of /proc/<pid>/fdinfo/<fd> for `slot`.
    static func fdInfo(_ slot: FileTable.Slot, _ k: Kernel) -> String {
        let file = slot.file
        var flags = k.abi.openFlagsToGuest(file.flags)
        if slot.closeOnExec { flags |= k.abi.openFlagsToGuest(.closeOnExec) }
        let stat = try? file.stat()
        let mount = file.inode.flatMap { inode in k.vfs.allMounts.first { $0.fs === inode.fs }?.id } ?? 0
        var s = "pos:\t\(file.offset)\nflags:\t0\(String(flags, radix: 8))\nmnt_id:\t\(mount)\nino:\t\(stat?.inode ?? 0)\n"
        if let epoll = file as? EpollFile {
            // ep_show_fdinfo: one line per entry, the events as stored (the guest's mask with
            // EPOLLERR | EPOLLHUP; only the mode bits once a one-shot entry fired).
            for item in epoll.items.values.sorted(by: { $0.fd < $1.fd }) {
                let target = try? item.file.stat()
                s += "tfd: " + pad(String(item.fd), 8) + " events: " + pad(String(item.events, radix: 16), 8)
                    + " data: " + pad(String(item.data, radix: 16), 16) + "  pos:\(item.file.offset)"
                    + " ino:" + String(target?.inode ?? 0, radix: 16) + " sdev:" + String(target?.device ?? 0, radix: 16) + "\n"
            }
        } else if let event = file as? EventFD {
            // eventfd_show_fdinfo.
            s += "eventfd-count: " + pad(String(event.counter, radix: 16), 16) + "\neventfd-id: \(stat?.inode ?? 0)\n"
            s += "eventfd-semaphore: \(event.semaphore ? 1 : 0)\n"
        }
        return s
    }

    /// `text` right-aligned in `width` columns, as printf's %8d and %16llx.
    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
