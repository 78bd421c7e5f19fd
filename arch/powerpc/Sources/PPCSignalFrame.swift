import GuestKernel
import LinuxABI

/// The PowerPC rt signal frame. Not yet built: until it is, a signal with a handler ends the
/// process with SIGSEGV (as Linux does when it cannot build a frame). Tracked in
/// arch/powerpc/README.md.
enum PPCSignalFrame {
    static func deliver(_ d: SignalDelivery, context: PPCContext) throws(LinuxErrno) { throw .ENOSYS }
    static func restore(context: PPCContext) throws(LinuxErrno) -> (mask: SignalSet, altStack: AltStack) { throw .ENOSYS }
}
