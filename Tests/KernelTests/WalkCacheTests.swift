import Foundation
import Testing
@testable import GuestKernel
import LinuxABI

/// A fresh empty host directory under /var/tmp (guests see a private /tmp).
private func scratchDirectory(_ what: String) -> String {
    let dir = "/var/tmp/umlab-kerneltests/\(what)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

extension ScriptThread {
    /// The names getdents64 lists in the directory at `path`, sorted, "." and ".." left out.
    func names(_ path: String) async throws -> [String] {
        let dir = try await open(path, C.O_RDONLY | C.O_DIRECTORY).get("open \(path)")
        var out: [String] = []
        let buf = try alloc(4096)
        while true {
            let n = try await sys("getdents64", dir, buf, 4096).get("getdents64")
            if n == 0 { break }
            let bytes = try peek(buf, n)
            var off = 0
            while off < n {
                let reclen = Int(bytes[off + 16]) | Int(bytes[off + 17]) << 8
                let name = String(decoding: bytes[(off + 19)...].prefix { $0 != 0 }, as: UTF8.self)
                if name != "." && name != ".." { out.append(name) }
                off += reclen
            }
        }
        try await sys("close", dir).get("close")
        return out.sorted()
    }

    /// Whether `path` exists (lstat), failing the test on any error but ENOENT.
    func exists(_ path: String) async throws -> Bool {
        switch try await stat(path, follow: false) {
        case .success: return true
        case .failure(.ENOENT): return false
        case .failure(let e): Issue.record("lstat \(path): \(e)"); return false
        }
    }

    /// The error stat of `path` gets, or nil when it succeeds.
    func statError(_ path: String) async throws -> LinuxErrno? {
        if case .failure(let e) = try await stat(path) { return e }
        return nil
    }
}

/// The guest's own changes to a writable tree (the overlay root, a read-write bind mount) show
/// at once in the next stat, open and getdents, whatever the walk cached before them: the
/// objects a walk found, the names it found missing.
@Suite struct WalkCacheInvalidation {
    /// Where each case runs: the overlay root (`--overlay` over the fixture root) at "/", or a
    /// read-write bind mount of an empty host directory at /mnt.
    enum Tree: String, CaseIterable { case overlay, bind }

    static func run(_ tree: Tree, _ body: @escaping (ScriptThread, String) async throws -> Void) async throws {
        let host = scratchDirectory(tree.rawValue)
        try await runGuest(configure: { config in
            switch tree {
            case .overlay: config.overlayDirectory = host
            case .bind: config.mounts = [.bind(host: host, guest: "/mnt", readOnly: false)]
            }
        }) { t async throws in
            try await body(t, tree == .overlay ? "/work" : "/mnt/work")
        }
    }

    @Test(arguments: Tree.allCases)
    func aNameFoundMissingAppearsWhenCreated(_ tree: Tree) async throws {
        try await Self.run(tree) { t, base async throws in
            try await t.sys("mkdirat", C.AT_FDCWD, base, 0o755).get("mkdir")
            // Looked up and missing, three ways: stat, open, a walk through it.
            #expect(try await t.statError(base + "/new") == .ENOENT)
            #expect(try await t.open(base + "/new", C.O_RDONLY) == .err(.ENOENT))
            #expect(try await t.statError(base + "/new/below") == .ENOENT)
            let fd = try await t.open(base + "/new", C.O_WRONLY | C.O_CREAT | C.O_EXCL).get("create")
            try await t.write(fd, "made").get("write")
            #expect(try await t.stat(base + "/new").get().mode & C.S_IFMT == C.S_IFREG)
            #expect(try await t.contents(base + "/new") == .success("made"))
            #expect(try await t.names(base) == ["new"])
            // A directory made where a name was missing is walked through at once.
            #expect(try await t.statError(base + "/sub/deeper") == .ENOENT)
            try await t.sys("mkdirat", C.AT_FDCWD, base + "/sub", 0o755).get("mkdir sub")
            try await t.open(base + "/sub/deeper", C.O_WRONLY | C.O_CREAT).get("create deeper")
            #expect(try await t.exists(base + "/sub/deeper"))
        }
    }

    @Test(arguments: Tree.allCases)
    func renamingADirectoryMovesItsCachedChildren(_ tree: Tree) async throws {
        try await Self.run(tree) { t, base async throws in
            try await t.sys("mkdirat", C.AT_FDCWD, base, 0o755).get("mkdir")
            try await t.sys("mkdirat", C.AT_FDCWD, base + "/a", 0o755).get("mkdir a")
            try await t.sys("mkdirat", C.AT_FDCWD, base + "/a/inner", 0o755).get("mkdir inner")
            let fd = try await t.open(base + "/a/inner/f", C.O_WRONLY | C.O_CREAT).get("create")
            try await t.write(fd, "child").get("write")
            // Every level is walked (and cached) before the rename.
            #expect(try await t.contents(base + "/a/inner/f") == .success("child"))
            #expect(try await t.statError(base + "/b/inner/f") == .ENOENT)
            try await t.sys("renameat", C.AT_FDCWD, base + "/a", C.AT_FDCWD, base + "/b").get("rename")
            #expect(try await t.statError(base + "/a/inner/f") == .ENOENT)
            #expect(try await t.statError(base + "/a") == .ENOENT)
            #expect(try await t.contents(base + "/b/inner/f") == .success("child"))
            #expect(try await t.names(base) == ["b"])
            #expect(try await t.names(base + "/b/inner") == ["f"])
            // The old name is free again, and empty.
            try await t.sys("mkdirat", C.AT_FDCWD, base + "/a", 0o755).get("mkdir a again")
            #expect(try await t.names(base + "/a") == [])
        }
    }

    @Test(arguments: Tree.allCases)
    func rmdirThenMkdirOfTheSameNameIsANewEmptyDirectory(_ tree: Tree) async throws {
        try await Self.run(tree) { t, base async throws in
            try await t.sys("mkdirat", C.AT_FDCWD, base, 0o755).get("mkdir")
            try await t.sys("mkdirat", C.AT_FDCWD, base + "/d", 0o700).get("mkdir d")
            try await t.open(base + "/d/x", C.O_WRONLY | C.O_CREAT).get("create x")
            #expect(try await t.exists(base + "/d/x"))
            try await t.sys("unlinkat", C.AT_FDCWD, base + "/d/x", 0).get("unlink x")
            try await t.sys("unlinkat", C.AT_FDCWD, base + "/d", 0x200).get("rmdir d")
            #expect(try await t.statError(base + "/d") == .ENOENT)
            try await t.sys("mkdirat", C.AT_FDCWD, base + "/d", 0o755).get("mkdir d again")
            #expect(try await t.stat(base + "/d").get().mode & 0o7777 == 0o755)
            #expect(try await t.statError(base + "/d/x") == .ENOENT)
            #expect(try await t.names(base + "/d") == [])
        }
    }

    @Test(arguments: Tree.allCases)
    func aReplacedSymlinkLeadsToItsNewTarget(_ tree: Tree) async throws {
        try await Self.run(tree) { t, base async throws in
            try await t.sys("mkdirat", C.AT_FDCWD, base, 0o755).get("mkdir")
            for (name, text) in [("one", "first"), ("two", "second")] {
                let fd = try await t.open(base + "/" + name, C.O_WRONLY | C.O_CREAT).get("create")
                try await t.write(fd, text).get("write")
            }
            try await t.sys("symlinkat", base + "/one", C.AT_FDCWD, base + "/link").get("symlink")
            #expect(try await t.contents(base + "/link") == .success("first"))
            try await t.sys("unlinkat", C.AT_FDCWD, base + "/link", 0).get("unlink")
            #expect(try await t.contents(base + "/link") == .failure(.ENOENT))
            try await t.sys("symlinkat", "two", C.AT_FDCWD, base + "/link").get("symlink again")
            #expect(try await t.contents(base + "/link") == .success("second"))
            // A symlink renamed over another replaces it.
            try await t.sys("symlinkat", "one", C.AT_FDCWD, base + "/other").get("symlink other")
            try await t.sys("renameat", C.AT_FDCWD, base + "/other", C.AT_FDCWD, base + "/link").get("rename")
            #expect(try await t.contents(base + "/link") == .success("first"))
        }
    }

    @Test(arguments: Tree.allCases)
    func chmodChangesTheNextPermissionCheck(_ tree: Tree) async throws {
        try await Self.run(tree) { t, base async throws in
            try await t.sys("mkdirat", C.AT_FDCWD, base, 0o755).get("mkdir")
            let fd = try await t.open(base + "/p", C.O_WRONLY | C.O_CREAT, 0o644).get("create")
            try await t.write(fd, "secret").get("write")
            // Effective uid 1000, saved uid 0: the test can come back to root.
            try await t.sys("setresuid", -1, 1000, 0).get("seteuid 1000")
            #expect(try await t.contents(base + "/p") == .success("secret"))
            try await t.sys("setresuid", -1, 0, -1).get("seteuid 0")
            try await t.sys("fchmodat", C.AT_FDCWD, base + "/p", 0o600).get("chmod 600")
            try await t.sys("setresuid", -1, 1000, 0).get("seteuid 1000")
            #expect(try await t.contents(base + "/p") == .failure(.EACCES))
            try await t.sys("setresuid", -1, 0, -1).get("seteuid 0")
            try await t.sys("fchmodat", C.AT_FDCWD, base + "/p", 0o644).get("chmod 644")
            try await t.sys("setresuid", -1, 1000, 0).get("seteuid 1000")
            #expect(try await t.contents(base + "/p") == .success("secret"))
            try await t.sys("setresuid", -1, 0, -1).get("seteuid 0")
        }
    }

    @Test(arguments: Tree.allCases)
    func anUnlinkedOpenFileKeepsItsDataButLosesItsName(_ tree: Tree) async throws {
        try await Self.run(tree) { t, base async throws in
            try await t.sys("mkdirat", C.AT_FDCWD, base, 0o755).get("mkdir")
            let fd = try await t.open(base + "/u", C.O_RDWR | C.O_CREAT).get("create")
            try await t.write(fd, "still here").get("write")
            try await t.sys("unlinkat", C.AT_FDCWD, base + "/u", 0).get("unlink")
            #expect(try await t.statError(base + "/u") == .ENOENT)
            #expect(try await t.names(base) == [])
            let buf = try t.alloc(32)
            let n = try await t.sys("pread64", fd, buf, 32, 0).get("pread")
            #expect(String(decoding: try t.peek(buf, n), as: UTF8.self) == "still here")
            // A new file of the same name is another file.
            let again = try await t.open(base + "/u", C.O_RDWR | C.O_CREAT | C.O_EXCL).get("create again")
            try await t.write(again, "new").get("write new")
            #expect(try await t.contents(base + "/u") == .success("new"))
            let m = try await t.sys("pread64", fd, buf, 32, 0).get("pread old")
            #expect(String(decoding: try t.peek(buf, m), as: UTF8.self) == "still here")
        }
    }
}

/// The read-only hostfs root caches its walk: names found and names missing are trusted for
/// `hostfsRevalidation`, after which the host is asked again; a stat always asks the host.
@Suite struct HostfsWalkCache {
    /// A root of our own (the shared fixture must not change under other tests).
    static func makeRoot() -> String {
        let root = scratchDirectory("hostroot")
        let fm = FileManager.default
        try! fm.createDirectory(atPath: root + "/d", withIntermediateDirectories: true)
        _ = fm.createFile(atPath: root + "/d/f", contents: Data("one".utf8))
        return root
    }

    /// With no revalidation interval every lookup asks the host: its changes show at once.
    @Test func withoutRevalidationIntervalHostChangesShowAtOnce() async throws {
        let root = Self.makeRoot()
        try await runGuest(configure: { $0.rootDirectory = root; $0.hostfsRevalidation = 0 }) { t async throws in
            #expect(try await t.statError("/d/g") == .ENOENT)
            _ = FileManager.default.createFile(atPath: root + "/d/g", contents: Data("made on the host".utf8))
            #expect(try await t.contents("/d/g") == .success("made on the host"))
            try FileManager.default.removeItem(atPath: root + "/d/f")
            #expect(try await t.statError("/d/f") == .ENOENT)
            try FileManager.default.createDirectory(atPath: root + "/d/f", withIntermediateDirectories: false)
            #expect(try await t.stat("/d/f").get().mode & C.S_IFMT == C.S_IFDIR)
            #expect(try await t.names("/d") == ["f", "g"])
        }
    }

    /// Within the interval a name stays as the host last gave it (as NFS's lookup cache), but
    /// the status of a name found is the host's of now: a stat is never answered from the cache.
    @Test func withinTheIntervalNamesAreCachedButStatusIsNot() async throws {
        let root = Self.makeRoot()
        try await runGuest(configure: { $0.rootDirectory = root; $0.hostfsRevalidation = 3_600_000_000_000 }) { t async throws in
            #expect(try await t.statError("/d/g") == .ENOENT)
            _ = FileManager.default.createFile(atPath: root + "/d/g", contents: Data("late".utf8))
            #expect(try await t.statError("/d/g") == .ENOENT, "a missing name is cached")
            // A listing reads the host directory itself.
            #expect(try await t.names("/d") == ["f", "g"])
            #expect(try await t.stat("/d/f").get().size == 3)
            try Data("longer".utf8).write(to: URL(fileURLWithPath: root + "/d/f"))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: root + "/d/f")
            let st = try await t.stat("/d/f").get()
            #expect(st.size == 6 && st.mode & 0o7777 == 0o600, "status is the host's of now")
            #expect(try await t.contents("/d/f") == .success("longer"))
        }
    }

    /// A file the host replaces (a new inode under the old name) is opened anew, not through a
    /// pooled descriptor of the old one.
    @Test func aFileReplacedOnTheHostOpensAsTheNewOne() async throws {
        let root = Self.makeRoot()
        try await runGuest(configure: { $0.rootDirectory = root; $0.hostfsRevalidation = 0 }) { t async throws in
            #expect(try await t.contents("/d/f") == .success("one"))
            let tmp = root + "/d/.f.new"
            _ = FileManager.default.createFile(atPath: tmp, contents: Data("two".utf8))
            #expect(rename(tmp, root + "/d/f") == 0)
            #expect(try await t.contents("/d/f") == .success("two"))
        }
    }

    /// Directories the walk asks about share the pool with open files: files in ten
    /// directories, opened and read in turn through a pool of four, each read their own
    /// bytes, and umlab never holds more than the pool.
    @Test func directoriesAndFilesShareTheBoundedPool() async throws {
        let root = Self.makeRoot()
        for i in 0..<10 {
            try FileManager.default.createDirectory(atPath: root + "/d\(i)", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: root + "/d\(i)/f", contents: Data("file \(i)".utf8))
        }
        try await runGuest(configure: { $0.rootDirectory = root; $0.limits.hostDescriptors = 16 }) { t async throws in
            var fds: [Int] = []
            for i in 0..<10 { fds.append(try await t.open("/d\(i)/f", C.O_RDONLY).get("open \(i)")) }
            for round in 0..<2 {
                for (i, fd) in fds.enumerated() {
                    let buf = try t.alloc(16)
                    let n = try await t.sys("pread64", fd, buf, 16, 0).get("pread \(i) round \(round)")
                    #expect(String(decoding: try t.peek(buf, n), as: UTF8.self) == "file \(i)")
                }
            }
            let d = t.kernel.hostDescriptors
            #expect(d.poolCapacity == 4)
            #expect(d.peak <= d.poolCapacity)
        }
    }

    /// The same relative path in two hostfs trees (the root and a read-only bind mount) names
    /// two files, however the descriptor pool holds them.
    @Test func twoTreesDoNotShareDescriptors() async throws {
        let root = Self.makeRoot()
        let other = scratchDirectory("robind")
        try FileManager.default.createDirectory(atPath: other + "/d", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: other + "/d/f", contents: Data("bound".utf8))
        try FileManager.default.createDirectory(atPath: root + "/mnt", withIntermediateDirectories: true)
        try await runGuest(configure: {
            $0.rootDirectory = root
            $0.mounts = [.bind(host: other, guest: "/mnt", readOnly: true)]
        }) { t async throws in
            let a = try await t.open("/d/f", C.O_RDONLY).get("open root's")
            let b = try await t.open("/mnt/d/f", C.O_RDONLY).get("open bind's")
            #expect(try await t.readString(a) == "one")
            #expect(try await t.readString(b) == "bound")
        }
    }
}
