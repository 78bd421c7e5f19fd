import Glibc

extension Host {
    /// `resourceUsage()` for the children this process has waited for (and the children they
    /// waited for): getrusage(RUSAGE_CHILDREN). `umlab bench` reads it before and after a run.
    public static func childrenResourceUsage() -> (userNS: UInt64, systemNS: UInt64, voluntarySwitches: Int, involuntarySwitches: Int) {
        var ru = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &ru)
        return (UInt64(ru.ru_utime.tv_sec) * 1_000_000_000 + UInt64(ru.ru_utime.tv_usec) * 1000,
                UInt64(ru.ru_stime.tv_sec) * 1_000_000_000 + UInt64(ru.ru_stime.tv_usec) * 1000,
                Int(ru.ru_nvcsw), Int(ru.ru_nivcsw))
    }
}
