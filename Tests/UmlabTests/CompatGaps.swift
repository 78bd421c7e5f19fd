import Foundation
import Testing

/// The battery's gaps of issue #12 (docs/compat.md, "The battery's gaps"): O_PATH, xattrs,
/// inotify, memfd_create and MAP_NORESERVE, each as a C program compared with the same program
/// natively, and as the real commands that failed (tar, ls -l, getfattr/setfattr, inotifywait,
/// a program built with -fsanitize=address).
@Suite(.serialized) struct CompatGaps {
    static let programs = ["opath", "xattr", "inotify", "memfd", "noreserve"]

    @Test(arguments: programs, Harness.x86Modes)
    func sameAsNative(_ name: String, mode: String) throws {
        try Harness.expectSameAsNative(name, mode: mode)
    }

    /// The kernel is ISA-neutral: the same programs on PowerPC (noreserve needs a 64-bit space).
    @Test(arguments: ["opath", "xattr", "inotify", "memfd"], Harness.interpreterModes)
    func sameOnPowerPC(_ name: String, mode: String) throws {
        try Harness.expectPowerPCSameAsNative(name, mode: mode)
    }

    /// Touching a MAP_NORESERVE reservation is still memory: past --memory the OOM policy kills.
    @Test(arguments: Harness.x86Modes)
    func reservationTouchedPastTheLimitIsOOMKilled(_ mode: String) throws {
        let (r, err) = try Harness.guest([try Harness.program("noreserve"), "touch", "512"], options: ["--mode", mode, "--memory", "128M"])
        #expect(r.status == 137, "\(r.stdout) \(err)")
        #expect(err.contains("out of memory"), "\(err)")
    }

    /// A scratch directory under the build tree (guests see the host's files read-only there).
    static func scratch(_ name: String) throws -> URL {
        let dir = Harness.root.appendingPathComponent("Tests/programs/build/\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `tar xzf` of an archive with symlinks (one dangling), a hard link and directories with
    /// their own modes: the extracted tree is the one tar makes natively.
    @Test(arguments: Harness.x86Modes)
    func tarExtractsSymlinks(_ mode: String) throws {
        let dir = try CompatGaps.scratch("tar")
        defer { try? FileManager.default.removeItem(at: dir) }
        let make = """
            cd \(dir.path) && mkdir -p src/dir/sub src/ro && echo hello > src/dir/f && ln -s f src/dir/l && \
            ln -s ../nowhere src/dir/dangling && ln src/dir/f src/dir/hard && echo x > src/dir/sub/g && \
            chmod 0600 src/dir/sub/g && chmod 0751 src/dir/sub && chmod 0555 src/ro && tar czf a.tgz -C src .
            """
        #expect(try Harness.native(["/bin/sh", "-c", make]).status == 0)
        let extract = { (target: String) in
            "mkdir -p \(target) && cd \(target) && tar xzf \(dir.path)/a.tgz; echo tar $?; find . -printf '%p %y %m %n %l %s\\n' | sort"
        }
        let native = try Harness.native(["/bin/sh", "-c", extract("\(dir.path)/native")])
        #expect(native.stdout.hasPrefix("tar 0\n"), "\(native.stdout)")
        let (guest, err) = try Harness.guest(["/bin/sh", "-c", extract("/tmp/x")], options: ["--mode", mode])
        #expect(guest == native, "stderr: \(err)")
    }

    /// `ls -l` asks for every file's security.selinux and ACL attributes: no error now.
    @Test(arguments: Harness.x86Modes)
    func lsLongListing(_ mode: String) throws {
        let (g, err) = try Harness.guest(["/bin/ls", "-l", "/", "/etc/passwd"], options: ["--mode", mode])
        #expect(g.status == 0)
        #expect(!err.contains("not implemented") && !err.contains("not supported"), "\(err)")
        #expect(g.stdout.contains("/etc/passwd"))
    }

    /// Debian's attr package: setfattr and getfattr on a tmpfs file, as on a native file.
    @Test(arguments: Harness.x86Modes)
    func getfattrAndSetfattr(_ mode: String) throws {
        let dir = try CompatGaps.scratch("attr")
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = { (target: String) in
            "mkdir -p \(target) && cd \(target) && touch f && setfattr -n user.colour -v blue f && setfattr -n user.size -v 3 f && " +
            "getfattr -d f && setfattr -x user.size f && getfattr -n user.colour --only-values f; echo; getfattr -n user.size f; echo rc $?"
        }
        let native = try Harness.native(["/bin/sh", "-c", "(" + script(dir.path + "/n") + ") 2>&1"])
        let (guest, err) = try Harness.guest(["/bin/sh", "-c", "(" + script("/tmp/a") + ") 2>&1"], options: ["--mode", mode])
        #expect(native.stdout.contains("user.colour=\"blue\""), "\(native.stdout)")
        #expect(guest == native, "stderr: \(err)")
    }

    /// inotify-tools' inotifywait, recursive, over a series of changes; it is stopped once it
    /// has reported a last file (its output line-buffered), so nothing depends on timing. The
    /// expected lines are Linux's (a native run on an ext4 /tmp); a native run here is not the
    /// reference because the host's /tmp is shared with whatever else scans it.
    static let inotifywaitScript = """
        d=$(mktemp -d); out=$d.out; err=$d.err
        stdbuf -oL inotifywait -m -r -e create,delete,modify,attrib,moved_from,moved_to,open,close_write,close_nowrite,delete_self \
          --format '%e %f' $d > $out 2> $err &
        p=$!
        until grep -q 'Watches established' $err 2>/dev/null; do sleep 0.01; done
        echo hi > $d/a; chmod 600 $d/a; mv $d/a $d/b; mkdir $d/sub; touch $d/sub/x; rm $d/sub/x; rmdir $d/sub
        cat $d/b > /dev/null; rm $d/b; touch $d/stop
        until grep -q 'CLOSE_WRITE,CLOSE stop' $out; do sleep 0.01; done
        kill -9 $p; wait $p 2>/dev/null; cat $out; rm -rf $d $out $err
        """
    static let inotifywaitLinux = """
        CREATE a
        OPEN a
        MODIFY a
        CLOSE_WRITE,CLOSE a
        ATTRIB a
        MOVED_FROM a
        MOVED_TO b
        CREATE,ISDIR sub
        OPEN,ISDIR sub
        CLOSE_NOWRITE,CLOSE,ISDIR sub
        CREATE x
        OPEN x
        ATTRIB x
        CLOSE_WRITE,CLOSE x
        DELETE x
        DELETE_SELF\u{20}
        DELETE,ISDIR sub
        OPEN b
        CLOSE_NOWRITE,CLOSE b
        DELETE b
        CREATE stop
        OPEN stop
        ATTRIB stop
        CLOSE_WRITE,CLOSE stop

        """

    @Test(arguments: Harness.x86Modes)
    func inotifywait(_ mode: String) throws {
        let (guest, err) = try Harness.guest(["/bin/sh", "-c", CompatGaps.inotifywaitScript], options: ["--mode", mode])
        #expect(guest.stdout == CompatGaps.inotifywaitLinux, "stderr: \(err)")
    }

    /// A program built with -fsanitize=address (its 14 TiB MAP_NORESERVE shadow): the same
    /// output, and a heap overflow reported as natively. LeakSanitizer stays off: its exit
    /// check stops the program's threads with ptrace, which umlab does not provide.
    @Test(arguments: Harness.x86Modes)
    func addressSanitizer(_ mode: String) throws {
        let dir = try CompatGaps.scratch("asan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let hello = dir.appendingPathComponent("hello.c"), overflow = dir.appendingPathComponent("overflow.c")
        try "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint main(void) { char *p = malloc(32); strcpy(p, \"hello from asan\"); puts(p); free(p); return 0; }\n"
            .write(to: hello, atomically: true, encoding: .utf8)
        try "#include <stdio.h>\n#include <stdlib.h>\nint main(int argc, char **argv) { char *p = malloc(8); p[argc + 8] = 1; printf(\"%d\\n\", p[0]); return 0; }\n"
            .write(to: overflow, atomically: true, encoding: .utf8)
        for src in [hello, overflow] {
            let (r, e) = try Harness.run(["/usr/bin/gcc", "-fsanitize=address", "-o", src.deletingPathExtension().path, src.path])
            #expect(r.status == 0, "\(e)")
        }
        let env = ["/usr/bin/env", "ASAN_OPTIONS=detect_leaks=0"]
        let native = try Harness.native(env + [dir.appendingPathComponent("hello").path])
        #expect(native == Harness.Outcome(stdout: "hello from asan\n", status: 0))
        let (guest, err) = try Harness.guest(env + [dir.appendingPathComponent("hello").path], options: ["--mode", mode])
        #expect(guest == native, "stderr: \(err)")
        let (nativeBad, nativeErr) = try Harness.run(env + [dir.appendingPathComponent("overflow").path])
        let (guestBad, guestErr) = try Harness.guest(env + [dir.appendingPathComponent("overflow").path], options: ["--mode", mode])
        #expect(guestBad.status == nativeBad.status && nativeBad.status == 1)
        #expect(nativeErr.contains("ERROR: AddressSanitizer: heap-buffer-overflow"))
        #expect(guestErr.contains("ERROR: AddressSanitizer: heap-buffer-overflow"), "\(guestErr)")
    }
}
