import Glibc

/// umlab's own environment (never passed to guests wholesale).
public enum HostEnvironment {
    public static func value(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        return String(cString: p)
    }
}
