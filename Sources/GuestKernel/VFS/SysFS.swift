import LinuxABI

/// The guest's /sys: only what programs read to count CPUs, so every answer agrees with the
/// one CPU the guest kernel has (sched_getaffinity, /proc/cpuinfo, /proc/stat). glibc's
/// get_nprocs and get_nprocs_conf (nproc, `nproc --all`, `getconf _NPROCESSORS_ONLN/CONF`,
/// sysconf) read /sys/devices/system/cpu/online and /possible, then count the cpuN entries.
/// Without it the host's /sys showed through the root and reported the host's CPUs.
public final class SysFS: SyntheticFS {
    private var next: UInt64 = 2

    public init(device: UInt64) {
        super.init(name: "sysfs", device: device, readOnly: true)
        func file(_ text: String) -> Inode { SynthFile(fs: self, number: number(), text: { text }) }
        let cpu0 = SynthDirectory(fs: self, number: number(), children: [
            ("topology", SynthDirectory(fs: self, number: number(), children: [
                ("core_id", file("0\n")), ("physical_package_id", file("0\n")),
                ("core_cpus_list", file("0\n")), ("thread_siblings_list", file("0\n")),
            ])),
        ])
        let cpu = SynthDirectory(fs: self, number: number(), children: [
            ("online", file("0\n")), ("possible", file("0\n")), ("present", file("0\n")),
            ("offline", file("\n")), ("kernel_max", file("0\n")), ("cpu0", cpu0),
        ])
        let system = SynthDirectory(fs: self, number: number(), children: [("cpu", cpu)])
        let devices = SynthDirectory(fs: self, number: number(), children: [("system", system)])
        rootNode = SynthDirectory(fs: self, number: 1, children: [("devices", devices)])
    }

    private func number() -> UInt64 {
        defer { next += 1 }
        return next
    }
}
