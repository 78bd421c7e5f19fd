import Foundation
import Testing
@testable import GuestKernel
import LinuxABI

/// A fresh upper directory for an overlay over the fixture root.
private func freshUpper() -> String {
    let dir = "/var/tmp/umlab-kerneltests/upper-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// `--overlay`: hostile paths stay inside the layers; the lower root is never written.
@Suite struct OverlayConfinement {
    @Test func createdFilesLandInTheUpperDirectoryWhateverThePath() async throws {
        let upper = freshUpper()
        try await runGuest(configure: { $0.overlayDirectory = upper }) { t async throws in
            for path in ["/../../../../made-by-dots", "/escape-abs/made-by-link", "/escape-dots/escape-dots/made-twice", "/dir/link-dir/../made-in-dir"] {
                let fd = try await t.open(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL).get(path)
                try await t.write(fd, "x").get("write")
            }
            // A symlink made in the upper layer is resolved in the guest's namespace too.
            try await t.sys("symlinkat", "/../..", C.AT_FDCWD, "/up-link").get("symlinkat")
            _ = try await t.open("/up-link/made-through-upper-link", C.O_WRONLY | C.O_CREAT).get("open")
        }
        let fm = FileManager.default
        for name in ["made-by-dots", "made-by-link", "made-twice", "dir/made-in-dir", "made-through-upper-link"] {
            #expect(fm.fileExists(atPath: upper + "/" + name), "\(name) is in the upper directory")
            #expect(!fm.fileExists(atPath: Fixture.root + "/" + name), "\(name) is not in the lower root")
        }
        let parent = (upper as NSString).deletingLastPathComponent
        #expect(!fm.fileExists(atPath: parent + "/made-by-dots"))
    }

    @Test func theLowerRootIsNeverWritten() async throws {
        let upper = freshUpper()
        let before = try String(contentsOfFile: Fixture.root + "/dir/file", encoding: .utf8)
        try await runGuest(configure: { $0.overlayDirectory = upper }) { t async throws in
            let fd = try await t.open("/dir/file", C.O_RDWR | C.O_APPEND).get("open")
            try await t.write(fd, "+more").get("write")
            #expect(try await t.contents("/dir/file") == .success("file+more"))
            try await t.sys("unlinkat", C.AT_FDCWD, "/dir/sub/deep", 0).get("unlink")
            #expect(try await t.contents("/dir/sub/deep") == .failure(.ENOENT))
            try await t.sys("fchmodat", C.AT_FDCWD, "/etc/passwd", 0o600).get("chmod")
            try await t.sys("fchownat", C.AT_FDCWD, "/etc/passwd", 1234, 5678, 0).get("chown")
            let st = try await t.stat("/etc/passwd").get()
            #expect(st.mode & 0o7777 == 0o600)
        }
        #expect(try String(contentsOfFile: Fixture.root + "/dir/file", encoding: .utf8) == before)
        #expect(FileManager.default.fileExists(atPath: Fixture.root + "/dir/sub/deep"))
        let attrs = try FileManager.default.attributesOfItem(atPath: Fixture.root + "/etc/passwd")
        #expect((attrs[.posixPermissions] as? Int) == 0o644)
        // The whiteout and the guest's owner are the upper directory's.
        #expect(FileManager.default.fileExists(atPath: upper + "/dir/sub/.wh.deep"))
    }

    /// The layer's own names are neither visible nor creatable.
    @Test func layerNamesAreReserved() async throws {
        let upper = freshUpper()
        try await runGuest(configure: { $0.overlayDirectory = upper }) { t async throws in
            #expect(try await t.open("/.wh.x", C.O_WRONLY | C.O_CREAT) == .err(.EPERM))
            #expect(try await t.sys("mkdirat", C.AT_FDCWD, "/dir/.wh..wh..opq", 0o755) == .err(.EPERM))
            try await t.sys("unlinkat", C.AT_FDCWD, "/dir/file", 0).get("unlink")
            #expect(try await t.contents("/dir/.wh.file") == .failure(.ENOENT))
        }
    }

    /// A lower directory cannot be renamed (EXDEV, as overlayfs without redirect_dir); a file can.
    @Test func renameOfALowerDirectoryIsEXDEV() async throws {
        let upper = freshUpper()
        try await runGuest(configure: { $0.overlayDirectory = upper }) { t async throws in
            #expect(try await t.sys("renameat", C.AT_FDCWD, "/dir/sub", C.AT_FDCWD, "/moved") == .err(.EXDEV))
            try await t.sys("renameat", C.AT_FDCWD, "/dir/file", C.AT_FDCWD, "/moved-file").get("rename")
            #expect(try await t.contents("/moved-file") == .success("file"))
            #expect(try await t.contents("/dir/file") == .failure(.ENOENT))
            try await t.sys("mkdirat", C.AT_FDCWD, "/newdir", 0o755).get("mkdir")
            try await t.sys("renameat", C.AT_FDCWD, "/newdir", C.AT_FDCWD, "/dir/renamed").get("rename dir")
            #expect(try await t.stat("/dir/renamed").get().mode & C.S_IFMT == C.S_IFDIR)
        }
    }
}

/// `--tmpfs DIR:size=N`: writes past N get ENOSPC, and freed space comes back.
@Suite struct TmpfsSize {
    @Test func writesPastTheSizeGetENOSPC() async throws {
        try await runGuest(configure: { $0.mounts = [.tmpfs(guest: "/small", size: 8192)] }) { t async throws in
            let fd = try await t.open("/small/f", C.O_WRONLY | C.O_CREAT).get("open")
            let chunk = [UInt8](repeating: 7, count: 4096 * 3)
            #expect(try await t.write(fd, chunk) == .ok(8192))  // a short write, then
            #expect(try await t.write(fd, [1]) == .err(.ENOSPC))
            try await t.sys("close", fd).get("close")
            try await t.sys("unlinkat", C.AT_FDCWD, "/small/f", 0).get("unlink")
            let again = try await t.open("/small/g", C.O_WRONLY | C.O_CREAT).get("open")
            #expect(try await t.write(again, [UInt8](repeating: 1, count: 8192)) == .ok(8192))
            // The mount point did not exist in the root: it appears all the same.
            #expect(try await t.stat("/small").get().mode & C.S_IFMT == C.S_IFDIR)
        }
    }
}

/// mount(2) and umount2(2): Linux's errors.
@Suite struct MountCalls {
    @Test func errors() async throws {
        try await runGuest { t async throws in
            try await t.sys("mkdirat", C.AT_FDCWD, "/tmp/m", 0o755).get("mkdir")
            #expect(try await t.sys("mount", "none", "/tmp/m", "bogusfs", 0, 0) == .err(.ENODEV))
            #expect(try await t.sys("mount", "none", "/tmp/missing", "tmpfs", 0, 0) == .err(.ENOENT))
            #expect(try await t.sys("mount", "none", "/etc/hostname", "tmpfs", 0, 0) == .err(.ENOTDIR))
            #expect(try await t.sys("mount", "none", "/tmp/m", 0, 0, 0) == .err(.EINVAL))
            #expect(try await t.sys("mount", "none", "/tmp/m", "tmpfs", 0, "size=lots") == .err(.EINVAL))
            #expect(try await t.sys("mount", "none", "/tmp/m", "tmpfs", 0, "colour=blue") == .err(.EINVAL))
            #expect(try await t.sys("mount", "none", 0, "tmpfs", 0, 0) == .err(.EFAULT))
            #expect(try await t.sys("mount", "none", UInt64(1) << 60, "tmpfs", 0, 0) == .err(.EFAULT))
            #expect(try await t.sys("umount2", "/tmp/m", 0) == .err(.EINVAL))  // not a mount point
            #expect(try await t.sys("umount2", "/tmp/m", 0x100) == .err(.EINVAL))  // unknown flag
            #expect(try await t.sys("umount2", "/tmp/nothing", 0) == .err(.ENOENT))
            #expect(try await t.sys("umount2", "/", 0) == .err(.EBUSY))

            try await t.sys("mount", "none", "/tmp/m", "tmpfs", 0, "size=16k,mode=700").get("mount")
            #expect(try await t.stat("/tmp/m").get().mode & 0o7777 == 0o700)
            #expect(try await t.contents("/proc/self/mountinfo").get().contains(" /tmp/m rw,relatime - tmpfs none rw,size=16k"))
            try await t.sys("chdir", "/tmp/m").get("chdir")
            #expect(try await t.sys("umount2", "/tmp/m", 0) == .err(.EBUSY))
            #expect(try await t.sys("umount2", "/tmp", 0) == .err(.EBUSY))  // a mount inside it
            try await t.sys("chdir", "/").get("chdir")
            try await t.sys("umount2", "/tmp/m", 0).get("umount2")
            #expect(try await t.sys("umount2", "/tmp/m", 0) == .err(.EINVAL))

            // Only root mounts.
            try await t.sys("setresuid", 1000, 1000, 1000).get("setresuid")
            #expect(try await t.sys("mount", "none", "/tmp/m", "tmpfs", 0, 0) == .err(.EPERM))
            #expect(try await t.sys("umount2", "/tmp", 0) == .err(.EPERM))
        }
    }

    /// A mount on a mount point covers it; unmounting uncovers the one below.
    @Test func stackedMountsUncover() async throws {
        try await runGuest { t async throws in
            let fd = try await t.open("/tmp/below", C.O_WRONLY | C.O_CREAT).get("open")
            try await t.sys("close", fd).get("close")
            try await t.sys("mount", "none", "/tmp", "tmpfs", 0, 0).get("mount")
            if case .failure(let e) = try await t.stat("/tmp/below") { #expect(e == .ENOENT) } else { Issue.record("/tmp/below is visible under the new mount") }
            try await t.sys("umount2", "/tmp", 0).get("umount2")
            #expect(try await t.stat("/tmp/below").get().mode & C.S_IFMT == C.S_IFREG)
        }
    }
}
