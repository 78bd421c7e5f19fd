import Foundation

/// The host directory scripted kernels use as their read-only root, made once per test run
/// under /var/tmp (never /tmp: guests see a private tmpfs there):
///
///     /etc/hostname            "scripted\n"
///     /etc/passwd              "root:x:0:0::/root:/bin/sh\n"
///     /dir/file                "file"          /dir/sub/deep   "deep"
///     /dir/link-rel -> file    /dir/link-abs -> /etc/hostname   /dir/link-dir -> sub
///     /dir/dangling -> nowhere /loop1 -> loop2  /loop2 -> loop1
///     /escape-abs -> /         /escape-dots -> ../../..   /self -> .
///     /bin/exe (mode 755, "not an ELF")   /bin/script (mode 755, "#!/bin/exe\n")
enum Fixture {
    static let root: String = make()

    private static func make() -> String {
        let fm = FileManager.default
        let base = "/var/tmp/umlab-kerneltests"
        try? fm.createDirectory(atPath: base, withIntermediateDirectories: true)
        // Roots of earlier runs whose process is gone.
        for name in (try? fm.contentsOfDirectory(atPath: base)) ?? [] {
            if let pid = Int(name.dropFirst(5)), !fm.fileExists(atPath: "/proc/\(pid)") {
                try? fm.removeItem(atPath: base + "/" + name)
            }
        }
        let root = base + "/root-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: root)
        for d in ["etc", "dir/sub", "bin", "tmp", "dev", "proc", "empty"] {
            try! fm.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        func file(_ p: String, _ s: String, mode: Int = 0o644) {
            _ = fm.createFile(atPath: root + p, contents: Data(s.utf8), attributes: [.posixPermissions: mode])
        }
        file("/etc/hostname", "scripted\n")
        file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        file("/dir/file", "file")
        file("/dir/sub/deep", "deep")
        file("/bin/exe", "not an ELF", mode: 0o755)
        file("/bin/script", "#!/bin/exe\n", mode: 0o755)
        file("/bin/noexec", "#!/bin/exe\n", mode: 0o644)
        for (link, target) in [("/dir/link-rel", "file"), ("/dir/link-abs", "/etc/hostname"), ("/dir/link-dir", "sub"),
                               ("/dir/dangling", "nowhere"), ("/loop1", "loop2"), ("/loop2", "loop1"),
                               ("/escape-abs", "/"), ("/escape-dots", "../../.."), ("/self", ".")] {
            try! fm.createSymbolicLink(atPath: root + link, withDestinationPath: target)
        }
        return root
    }
}
