import Foundation
import Testing

/// Issue #12's locks and timers (docs/compat.md, "Locks and timers"): the C programs natively vs
/// under umlab, and the Debian commands that failed before.
@Suite(.serialized) struct LocksAndTimers {
    /// Tests/programs/locks.c (flock, fcntl record and OFD locks across processes), timers.c
    /// (POSIX timers, CPU-time clocks, priorities, affinity) and cpulimits.c (ITIMER_VIRTUAL and
    /// ITIMER_PROF, RLIMIT_FSIZE's EFBIG and SIGXFSZ, RLIMIT_CPU's SIGXCPU and SIGKILL) in every
    /// x86-64 mode.
    @Test(arguments: ["locks", "timers", "cpulimits"], Harness.x86Modes)
    func sameAsNative(_ name: String, mode: String) throws {
        try Harness.expectSameAsNative(name, mode: mode)
    }

    /// The same programs built for 32-bit PowerPC (struct flock64 and F_SETLK64, glibc's
    /// timer_create and the *_time64 timer calls) against the x86-64 native output.
    @Test(arguments: ["locks", "timers"], Harness.interpreterModes)
    func powerPCSameAsNative(_ name: String, mode: String) throws {
        try Harness.expectPowerPCSameAsNative(name, mode: mode)
    }

    /// util-linux flock(1): a second `flock -n` of a file another open holds fails (it used to
    /// be granted), and succeeds once the holder is gone.
    @Test(arguments: Harness.x86Modes)
    func flockCommand(_ mode: String) throws {
        let script = "f=$1; : > $f; flock -n $f -c \"flock -n $f true; echo inner \\$?\"; echo outer $?; flock -n $f true; echo after $?; rm -f $f"
        let native = try Harness.native(["/bin/sh", "-c", script, "sh", "/tmp/umlab-flock-\(mode)"])
        #expect(native.stdout == "inner 1\nouter 0\nafter 0\n")
        let (g, err) = try Harness.guest(["/bin/sh", "-c", script, "sh", "/tmp/flock-test"], options: ["--mode", mode])
        #expect(g == native, "stderr: \(err)")
    }

    /// One CPU everywhere: nproc (affinity), nproc --all and getconf (glibc reads
    /// /sys/devices/system/cpu), /proc/cpuinfo and /proc/stat agree.
    @Test(arguments: Harness.x86Modes)
    func oneCPUEverywhere(_ mode: String) throws {
        let script = """
            nproc; nproc --all; getconf _NPROCESSORS_ONLN; getconf _NPROCESSORS_CONF
            grep -c ^processor /proc/cpuinfo; grep -c '^cpu[0-9]' /proc/stat
            cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible; ls /sys/devices/system/cpu | grep -c '^cpu[0-9]'
            """
        let (g, err) = try Harness.guest(["/bin/sh", "-c", script], options: ["--mode", mode])
        #expect(g.status == 0, "stderr: \(err)")
        #expect(g.stdout == "1\n1\n1\n1\n1\n1\n0\n0\n1\n")
    }
}
