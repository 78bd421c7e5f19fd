import Glibc

/// umlab's own environment (passed to a guest wholesale only with `run --env-inherit`).
public enum HostEnvironment {
    /// Every NAME=VALUE of umlab's environment, in order.
    public static func all() -> [String] {
        var out: [String] = []
        var p = environ
        while let entry = p.pointee {
            out.append(String(cString: entry))
            p += 1
        }
        return out
    }
    public static func value(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        return String(cString: p)
    }
}
