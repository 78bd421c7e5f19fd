import HostOS
import LinuxABI

// The kernel's side of the GDB stub: starting it, and the syscall dispatcher's catchpoints.
// Every other hook is a one-line call in the kernel's files (`debugger?.…`), listed in
// docs/debugging.md ("The stub").

extension Kernel {
    /// Starts the GDB server on `endpoint` for the booted first program (`umlab run --gdb`);
    /// `wait`: the machine stays at the first instruction until gdb resumes it. Returns the
    /// address it listens on (the port is chosen by the host when `endpoint`'s is 0).
    public func startDebugger(listen endpoint: HostSocket.Endpoint, wait: Bool) throws(LinuxErrno) -> HostSocket.Endpoint {
        let stub = try GDBStub(kernel: self, listen: endpoint, wait: wait)
        debugger = stub
        if let main = mainProcess { stub.attachFirst(main) }
        return stub.endpoint
    }
}

extension GDBStub {
    /// The syscall dispatcher while a debugger is attached: a catchpoint (QCatchSyscalls,
    /// `monitor syscall-break`) stops the machine before the handler runs and after it
    /// completed.
    func dispatchSyscall(_ task: Task) {
        if syscallEntry(task) { return }
        kernel.performSyscall(task)
        syscallDone(task)
    }
}
