// swift-tools-version: 6.1
//
// umlab: a guest Linux kernel in Swift that runs unmodified Linux programs, after User-mode Linux.
//
// Module graph (kept small on purpose; a debug build must stay quick on 2 cores):
//
//   LinuxABI      guest-visible constants and types (errno, signals, flags), no host access
//   CHost/HostOS  the only code that touches the host (ptrace, waitpid, process_vm_*, raw syscalls)
//   GuestKernel   the architecture-neutral kernel and the backend protocol; never names an ISA
//   CCapstone/Capstone   libcapstone (system library) and its Swift wrapper
//   SoftMMU       software page tables and TLB shared by the interpreting backends
//   arch/<isa>    one folder per instruction set: backend, syscall table, signal frame
//   umlab         the command line; registers the backends
//
// Every target builds in the Swift 6 language mode: no mutable process-wide state, so several
// guest machines can run in one process. Every target is also built checked (plain -O: integer
// overflow and array bounds trap): a missed bound is a clean umlab crash, never a silent write
// into umlab's memory. The interpreters' hot loops index their register files and decoded-code
// pages through unsafe pointers without checks; each such index is masked or bounded by a stated
// invariant (see PPCInterpreter.swift, IA64State.swift). What it costs the compute benchmarks
// against the former -Ounchecked build: -4 % to +1.4 % (docs/design.md, "Hostile guests").
import PackageDescription

let package = Package(
    name: "umlab",
    products: [
        .executable(name: "umlab", targets: ["umlab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "LinuxABI"),
        .target(name: "CHost"),
        .target(name: "HostOS", dependencies: ["CHost", "LinuxABI"]),
        .target(name: "GuestKernel", dependencies: ["LinuxABI", "HostOS"]),
        .target(name: "SoftMMU", dependencies: ["GuestKernel", "HostOS", "LinuxABI"]),
        .systemLibrary(
            name: "CCapstone", path: "Sources/CCapstone", pkgConfig: "capstone",
            providers: [.apt(["libcapstone-dev"])]),
        .target(name: "Capstone", dependencies: ["CCapstone"]),
        .target(
            name: "ArchX86_64", dependencies: ["GuestKernel", "HostOS", "Capstone"],
            path: "arch/x86_64/Sources"),
        // The PowerPC interpreter's hot loop, in C for computed-goto dispatch (docs/performance.md).
        .target(name: "CPowerPCCore", path: "arch/powerpc/Core"),
        .target(
            name: "ArchPowerPC", dependencies: ["GuestKernel", "HostOS", "SoftMMU", "Capstone", "CPowerPCCore"],
            path: "arch/powerpc/Sources"),
        .target(name: "IA64Decoder", path: "arch/ia64/Decoder"),
        // The IA-64 interpreter's hot loop, in C like PowerPC's (docs/performance.md).
        .target(name: "CIA64Core", path: "arch/ia64/Core"),
        .target(
            name: "ArchIA64", dependencies: ["GuestKernel", "HostOS", "SoftMMU", "IA64Decoder", "CIA64Core"],
            path: "arch/ia64/Sources",
            // Checked arithmetic and bounds as everywhere; only the dynamic exclusivity checks are
            // off: the interpreter updates IA64State's stored properties on every instruction
            // (ip, slot, lc, NaT bits), and each update was a runtime access check costing the
            // loop benchmark 6.5 % (docs/design.md). The state has one user, the kernel thread.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        .executableTarget(
            name: "umlab",
            dependencies: [
                "GuestKernel", "ArchX86_64", "ArchPowerPC", "ArchIA64", "Capstone",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(
            name: "IA64DecoderTests", dependencies: ["IA64Decoder"], path: "Tests/IA64DecoderTests",
            resources: [.copy("Corpus")]),
        .testTarget(
            name: "KernelTests",
            dependencies: ["GuestKernel", "LinuxABI", "HostOS", "SoftMMU", "ArchX86_64", "ArchPowerPC", "ArchIA64"],
            // The scripted backend hands the kernel's thread to Swift tasks and back, one side
            // running at a time: an ownership hand-off that Swift 6's checker cannot see.
            swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(
            name: "UmlabTests", dependencies: ["GuestKernel", "LinuxABI", "HostOS"]),
    ]
)
