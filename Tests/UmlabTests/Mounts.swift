import Foundation
import Testing

/// Writable roots and mounts (`--overlay`, `--bind`, `--tmpfs`, mount(8) in the guest) and the
/// command line's other file options, run as a user runs them.
@Suite(.serialized) struct Mounts {
    static let scratch = "/var/tmp/umlab-mounts-\(getpid())"

    static func fresh(_ name: String) throws -> String {
        let dir = "\(scratch)/\(name)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A canonical listing of a tree (names, kinds, modes, sizes, contents) by overlay.c.
    static func listing(_ exe: String, _ dir: String) throws -> String {
        let r = try Harness.native([exe, "list", dir])
        #expect(r.status == 0)
        return r.stdout
    }

    /// Tests/programs/overlay.c: the same changes on a plain copy natively and on the read-only
    /// fixture through an overlay; the same view after, in a second run (the layer persists);
    /// the fixture untouched.
    @Test(arguments: Harness.x86Modes)
    func overlaySameAsNative(_ mode: String) throws {
        let exe = try Harness.program("overlay")
        let base = try Self.fresh("overlay-\(mode)")
        let fixture = base + "/lower", copy = base + "/native", state = base + "/state"
        #expect(try Harness.native([exe, "setup", fixture]).status == 0)
        let pristine = try Self.listing(exe, fixture)
        #expect(try Harness.native(["/bin/cp", "-a", fixture, copy]).status == 0)
        let nativeChange = try Harness.native([exe, "change", copy])
        let nativeList = try Harness.native([exe, "list", copy])
        #expect(nativeChange.stdout.hasSuffix("overlay: done\n"))

        let (change, err) = try Harness.guest([exe, "change", fixture], options: ["--mode", mode, "--overlay", state])
        #expect(change == nativeChange, "stderr: \(err)")
        let (list, err2) = try Harness.guest([exe, "list", fixture], options: ["--mode", mode, "--overlay", state])
        #expect(list.stdout.replacingOccurrences(of: fixture, with: copy) == nativeList.stdout.replacingOccurrences(of: fixture, with: copy), "stderr: \(err2)")
        #expect(list.status == 0)
        #expect(try Self.listing(exe, fixture) == pristine, "the lower root is unchanged")
    }

    /// The acceptance: a writable root for a Debian system's own tools, kept across
    /// runs, with the host's files untouched.
    @Test(arguments: Harness.x86Modes)
    func useraddAndSuOnAnOverlay(_ mode: String) throws {
        let state = try Self.fresh("accept-\(mode)") + "/state"
        let touched = ["/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/motd"]
        func checksums() throws -> String { try Harness.native(["/usr/bin/md5sum"] + touched.filter { FileManager.default.fileExists(atPath: $0) }).stdout }
        let before = try checksums()
        let homeBefore = try FileManager.default.contentsOfDirectory(atPath: "/home")
        let script = "echo x > /etc/motd; apt-get --version >/dev/null; useradd -m umlabu; su umlabu -c id"
        let (first, err) = try Harness.guest(["/bin/sh", "-c", script], options: ["--mode", mode, "--overlay", state])
        #expect(first.status == 0, "stderr: \(err)")
        #expect(first.stdout.contains("(umlabu)"), "\(first.stdout)")
        let (second, err2) = try Harness.guest(["/bin/sh", "-c", "cat /etc/motd; id -un umlabu; stat -c '%U %a' /home/umlabu; ls -A /home/umlabu"],
                                               options: ["--mode", mode, "--overlay", state])
        #expect(second.status == 0, "stderr: \(err2)")
        let lines = second.stdout.split(separator: "\n")
        #expect(lines.first == "x")
        #expect(lines.count > 2 && lines[1] == "umlabu" && lines[2].hasPrefix("umlabu "))
        #expect(second.stdout.contains(".profile") || second.stdout.contains(".bashrc"))
        #expect(try checksums() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/home") == homeBefore)
    }

    /// --bind rw writes the host directory; :ro refuses; --tmpfs size=N says ENOSPC; the mount
    /// points need not exist in the root.
    @Test func bindAndTmpfs() throws {
        let rw = try Self.fresh("bind-rw"), ro = try Self.fresh("bind-ro")
        try "host\n".write(toFile: ro + "/file", atomically: true, encoding: .utf8)
        let script = """
            echo guest > /srv/rw/new; cat /srv/ro/file; echo no > /srv/ro/x 2>/dev/null || echo ro-refused
            dd if=/dev/zero of=/scratch/f bs=1024 count=100 2>&1 | grep -o 'No space left on device'
            grep -E ' /(srv|scratch)' /proc/self/mountinfo | cut -d' ' -f5,8
            """
        let (r, err) = try Harness.guest(["/bin/sh", "-c", script],
                                         options: ["--bind", "\(rw):/srv/rw", "--bind", "\(ro):/srv/ro:ro", "--tmpfs", "/scratch:size=64k"])
        #expect(r.stdout == "host\nro-refused\nNo space left on device\n/srv/rw hostfs\n/srv/ro hostfs\n/scratch tmpfs\n", "stderr: \(err)")
        #expect(try String(contentsOfFile: rw + "/new", encoding: .utf8) == "guest\n")
        #expect(!FileManager.default.fileExists(atPath: ro + "/x"))
    }

    /// mount(8), findmnt and umount(8) of util-linux inside the guest.
    @Test(arguments: Harness.x86Modes)
    func mountInsideTheGuest(_ mode: String) throws {
        let script = """
            mkdir /tmp/m && mount -t tmpfs -o size=1m none /tmp/m && echo hi > /tmp/m/f && cat /tmp/m/f
            findmnt -n -o TARGET,FSTYPE,OPTIONS /tmp/m
            mount | grep -c ' on /tmp/m type tmpfs'
            umount /tmp/m && test ! -e /tmp/m/f && echo unmounted
            umount /tmp/m 2>/dev/null || echo not-mounted
            findmnt -n -o TARGET,FSTYPE /proc
            """
        let (r, err) = try Harness.guest(["/bin/sh", "-c", script], options: ["--mode", mode])
        #expect(r.stdout == "hi\n/tmp/m tmpfs  rw,relatime,size=1024k\n1\nunmounted\nnot-mounted\n/proc proc\n"
                || r.stdout.replacingOccurrences(of: "  ", with: " ") == "hi\n/tmp/m tmpfs rw,relatime,size=1024k\n1\nunmounted\nnot-mounted\n/proc proc\n",
                "stdout: \(r.stdout) stderr: \(err)")
    }

    /// A program under the host's /tmp: one line saying why and which option shows it.
    @Test func hiddenProgramGetsAHint() throws {
        let exe = try Harness.program("overlay")
        let dir = "/tmp/umlab-hint-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = unlink(dir + "/prog")
        try FileManager.default.copyItem(atPath: exe, toPath: dir + "/prog")
        let (r, err) = try Harness.guest([dir + "/prog", "setup", "/tmp/x"])
        #expect(r.status == 127)
        #expect(err == "umlab: \(dir)/prog is hidden in the guest: /tmp is the guest's own tmpfs; put it elsewhere or use --bind \(dir):\(dir)\n")
        let (ok, err2) = try Harness.guest([dir + "/prog", "setup", "/tmp/x"], options: ["--bind", "\(dir):\(dir)"])
        #expect(ok.status == 0, "stderr: \(err2)")
    }

    /// `run --help` is umlab's help; after `--` it is the program's name.
    @Test func runHelpAndDashDash() throws {
        let (help, _) = try Harness.run([Harness.umlab, "run", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--overlay") && help.stdout.contains("--bind") && help.stdout.contains("--workdir"))
        let (guest, err) = try Harness.run([Harness.umlab, "run", "--", "--help"])
        #expect(guest.status == 127)
        #expect(err.contains("--help: command not found"))
    }

    /// --env-inherit passes umlab's environment (then --env overrides); --workdir sets the
    /// starting directory, and a missing one is one clear line.
    @Test func environmentAndWorkdir() throws {
        setenv("UMLAB_TEST_INHERITED", "from-host", 1)
        let (r, err) = try Harness.guest(["/bin/sh", "-c", "echo $UMLAB_TEST_INHERITED $HOME; pwd"],
                                         options: ["--env-inherit", "--env", "HOME=/guest-home", "--workdir", "/usr/share"])
        #expect(r.stdout == "from-host /guest-home\n/usr/share\n", "stderr: \(err)")
        let (plain, _) = try Harness.guest(["/bin/sh", "-c", "echo ${UMLAB_TEST_INHERITED:-unset}"])
        #expect(plain.stdout == "unset\n")
        let (missing, err2) = try Harness.guest(["/bin/true"], options: ["--workdir", "/no/such/dir"])
        #expect(missing.status == 2)
        #expect(err2 == "umlab: --workdir /no/such/dir: no such directory in the guest (give an absolute guest path)\n")
    }

    /// Completion scripts from the argument parser, for the three shells the README names.
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScripts(_ shell: String) throws {
        let (r, _) = try Harness.run([Harness.umlab, "--generate-completion-script", shell])
        #expect(r.status == 0)
        #expect(r.stdout.contains("overlay"))
    }
}
