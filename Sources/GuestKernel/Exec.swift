import HostOS
import LinuxABI

/// Why an exec failed, with the errno the guest gets and a sentence for the user.
public struct ExecFailure: Error, CustomStringConvertible {
    public var errno: LinuxErrno
    public var reason: String
    public var description: String { reason }
}

extension Kernel {
    /// Loads a program and arranges for it to start (the loader half of execve).
    ///
    /// Everything that can fail for a bad file (not found, not ELF, wrong ISA, truncated) is
    /// checked before the old address space is touched, so a failed execve returns to the caller.
    func execute(_ task: Task, path: [UInt8], argv: [[UInt8]], envp: [[UInt8]]) throws(LinuxErrno) {
        do {
            try load(task, path: path, filename: path, argv: argv, envp: envp, depth: 0)
        } catch {
            lastExecFailure = error
            throw error.errno
        }
    }

    private func openExecutable(_ task: Task, _ path: [UInt8]) throws(ExecFailure) -> (OpenFile, Location) {
        let name = String(decoding: path, as: UTF8.self)
        let loc: Location
        do { loc = try vfs.resolve(path, base: task.fs.cwd, root: task.fs.root, followFinal: true, searcher: task.process.credentials) } catch {
            throw ExecFailure(errno: error, reason: "\(name): \(error.message)")
        }
        if loc.inode.kind == .directory { throw ExecFailure(errno: .EACCES, reason: "\(name): is a directory") }
        guard loc.inode.kind == .regular else { throw ExecFailure(errno: .EACCES, reason: "\(name): not a regular file") }
        do {
            let st = try loc.inode.stat()
            if st.mode & 0o111 == 0 { throw ExecFailure(errno: .EACCES, reason: "\(name): permission denied (not executable)") }
            let file = try loc.inode.open(flags: OpenFlags(rawValue: OpenFlags.readOnly), path: loc.path, kernel: self, task: task)
            return (file, loc)
        } catch let e as ExecFailure { throw e } catch {
            throw ExecFailure(errno: error as? LinuxErrno ?? .EIO, reason: "\(name): \((error as? LinuxErrno)?.message ?? "cannot open")")
        }
    }

    private func readFile(_ file: OpenFile, _ offset: UInt64, _ count: Int) throws(LinuxErrno) -> [UInt8] {
        // An offset past the largest file position (an ELF's e_phoff of 2^63) reads nothing.
        guard offset <= UInt64(Int64.max) else { return [] }
        var buf = [UInt8](repeating: 0, count: count)
        let n = try typedErrno { try buf.withUnsafeMutableBytes { p in try file.read(into: p, at: Int64(offset)) } }
        return Array(buf[0..<n])
    }

    private func parse(_ file: OpenFile, name: String) throws(ExecFailure) -> ELFImage {
        let image: ELFImage
        do {
            image = try ELFImage.parse { (o, n) throws(LinuxErrno) in try readFile(file, o, n) }
        } catch {
            throw ExecFailure(errno: .ENOEXEC, reason: "\(name): \(error)")
        }
        guard image.machine == backend.elfMachine else {
            throw ExecFailure(errno: .ENOEXEC, reason: "\(name): ELF for \(elfMachineName(image.machine)), but this guest runs \(backend.name)")
        }
        guard image.is64 == (abi.wordSize == 8), image.bigEndian == abi.bigEndian else {
            throw ExecFailure(errno: .ENOEXEC, reason: "\(name): wrong ELF class or byte order for \(backend.name)")
        }
        return image
    }

    /// - Parameter filename: the path execve was given; for a script it names the process
    ///   (comm), as Linux's bprm->filename does, while `path` is the interpreter being loaded.
    private func load(_ task: Task, path: [UInt8], filename: [UInt8], argv: [[UInt8]], envp: [[UInt8]], depth: Int) throws(ExecFailure) {
        let name = String(decoding: path, as: UTF8.self)
        let (file, loc) = try openExecutable(task, path)
        file.references += 1
        defer { FileTable.drop(file) }
        let head = (try? readFile(file, 0, 256)) ?? []
        // "#!interpreter [argument]" scripts.
        if head.starts(with: [0x23, 0x21]) {
            guard depth < 4 else { throw ExecFailure(errno: .ELOOP, reason: "\(name): too many script interpreters") }
            let line = head.dropFirst(2).prefix { $0 != 0x0a }
            let trimmed = line.split(maxSplits: 1, omittingEmptySubsequences: true, whereSeparator: { $0 == 0x20 || $0 == 0x09 })
            guard let interp = trimmed.first else { throw ExecFailure(errno: .ENOEXEC, reason: "\(name): empty #! line") }
            var newArgv: [[UInt8]] = [Array(interp)]
            if trimmed.count > 1 {
                var arg = Array(trimmed[1])
                while let l = arg.last, l == 0x20 || l == 0x09 || l == 0x0d { arg.removeLast() }
                newArgv.append(arg)
            }
            newArgv.append(path)
            newArgv += argv.dropFirst()
            try load(task, path: Array(interp), filename: filename, argv: newArgv, envp: envp, depth: depth + 1)
            return
        }
        let image = try parse(file, name: name)
        let plan = try layout(image, name: name)
        var interpFile: OpenFile?
        var interp: (image: ELFImage, plan: LoadPlan)?
        if let ip = image.interpreter {
            let (f, _) = try openExecutable(task, Array(ip.utf8))
            f.references += 1
            interpFile = f
            let interpImage = try parse(f, name: ip)
            guard interpImage.type == .shared || interpImage.type == .executable else {
                throw ExecFailure(errno: .ELIBBAD, reason: "\(ip): bad interpreter")
            }
            interp = (interpImage, try layout(interpImage, name: ip))
        }
        defer { if let interpFile { FileTable.drop(interpFile) } }
        // Where the main program goes, and the memory both images need, before anything of the
        // old program is given up: a failure here is an execve error the caller sees.
        let bias = image.type == .shared ? etDynBase(plan) : 0
        let user = backend.userAddressRange
        guard plan.span.lowerBound &+ bias >= user.lowerBound, let top = GuestMath.end(plan.span.lowerBound &+ bias, plan.size),
              top <= user.upperBound else {
            throw ExecFailure(errno: .ENOMEM, reason: "\(name): its segments (0x\(String(plan.span.lowerBound, radix: 16))-0x\(String(plan.span.upperBound, radix: 16))) lie outside the user address space (0x\(String(user.lowerBound, radix: 16))-0x\(String(user.upperBound, radix: 16)))")
        }
        let total = GuestMath.end(plan.bytes, interp?.plan.bytes ?? 0) ?? .max
        do { try checkMemoryLimit(adding: total, accountable: true, for: task) } catch {
            throw ExecFailure(errno: error, reason: "\(name): its segments need \(formatBytes(total)) of memory, more than the guest may have (\(error.name))")
        }

        // Point of no return: from here a failure kills the process.
        do {
            try replaceImage(task)
            let mm = task.mm
            // The stack sits at the top; mmap (and so the dynamic loader) goes below its reserve.
            mm.stackTop = backend.userAddressRange.upperBound
            mm.mmapBase = mm.stackTop - max(abi.stackSize, 128 << 20) - (1 << 20)
            var registerStack: UInt64 = 0
            if abi.registerStackSize > 0 {
                registerStack = mm.mmapBase - abi.registerStackSize
                _ = try mm.map(address: registerStack, length: abi.registerStackSize, protection: .rw, fixed: true,
                               shared: false, file: nil, offset: 0, name: "[rbs]")
                mm.mmapBase = registerStack - (1 << 20)
            }
            let mainEnd = try mapImage(plan, file: file, bias: bias, mm: mm, name: loc.path)
            mm.brkStart = mainEnd
            mm.brk = mainEnd
            var interpBase: UInt64 = 0
            var entry = image.entry &+ bias
            if let (interpImage, interpPlan) = interp, let interpFile {
                // A shared interpreter goes where mmap would put it; an executable one where it
                // says, which must be inside user space.
                let ibias: UInt64
                if interpImage.type == .shared {
                    guard let base = mm.findFree(interpPlan.size) else { throw LinuxErrno.ENOMEM }
                    ibias = base &- interpPlan.span.lowerBound
                } else {
                    guard interpPlan.span.lowerBound >= user.lowerBound, interpPlan.span.upperBound <= user.upperBound else { throw LinuxErrno.ENOMEM }
                    ibias = 0
                }
                _ = try mapImage(interpPlan, file: interpFile, bias: ibias, mm: mm, name: interpFile.path)
                interpBase = ibias
                entry = interpImage.entry &+ ibias
            }
            let sp = try buildStack(task, image: image, bias: bias, interpBase: interpBase, execfn: path, argv: argv, envp: envp)
            task.context.start(ProgramStart(entry: entry, stackPointer: sp, interpreterBase: interpBase, registerStack: registerStack))
        } catch {
            throw ExecFailure(errno: .ENOMEM, reason: "\(name): loading failed: \(error)")
        }

        // The new program's process state.
        let process = task.process
        process.commandLine = argv
        process.environment = envp
        process.executablePath = loc.path
        process.execGeneration += 1
        debugger?.execed(task)
        process.comm = String(String(decoding: filename.split(separator: UInt8(ascii: "/")).last ?? [], as: UTF8.self).prefix(15))
        task.files.closeOnExec()
        deletePosixTimers(process)
        if task.handlers.actions.count > 0 {
            let h = task.handlers.copy()
            h.resetForExec()
            task.handlers = h
        }
        task.altStack = AltStack()
        task.clearChildTID = 0
        task.robustList = 0
        counters.execs += 1
        releaseVforkParent(task)
    }

    /// Gives the task a fresh address space and makes it the only thread of its process.
    private func replaceImage(_ task: Task) throws(LinuxErrno) {
        for t in task.process.threads where t !== task {
            reapThread(t)
        }
        try task.context.replaceAddressSpace()
        task.mm.users -= 1
        if task.mm.users == 0 { task.mm.reset() }
        task.mm = MemoryMap(space: task.context.addressSpace, userRange: backend.userAddressRange, pageSize: abi.pageSize, wordMask: abi.wordMask,
                            memory: memory, descriptors: hostDescriptors)
        if config.mode == .tt { try task.mm.mapKernelRegion(arena, at: backend.kernelRegionBase) }
        if let vdso = backend.vdso { task.mm.recordVDSO(vdso) }
    }

    /// An image's PT_LOAD segments as the loader maps them, checked once: page-aligned
    /// ranges whose arithmetic cannot pass 2^64, in the addresses the file gives (before the
    /// bias a position-independent image is loaded at).
    struct LoadPlan {
        struct Segment {
            /// vaddr rounded down to a page; the file offset that goes there.
            var start: UInt64, fileOffset: UInt64
            /// Where the file's bytes end (vaddr + filesz) and the memory does (vaddr + memsz).
            var fileEnd: UInt64, memEnd: UInt64
            /// fileEnd and memEnd rounded up to a page.
            var mapEnd: UInt64, anonEnd: UInt64
            var hasFileBytes: Bool
            var protection: Protection
        }
        var segments: [Segment]
        /// From the lowest segment's page to the end of the highest one.
        var span: Range<UInt64>
        var size: UInt64 { span.upperBound - span.lowerBound }
        /// The pages all segments take (what the memory limit is asked for).
        var bytes: UInt64
    }

    /// Checks an image's segments before anything is allocated: each one's file offset agrees
    /// with its address modulo the page size (ENOEXEC otherwise: the file is malformed), and
    /// each ends, page rounded, below 2^64 (ENOMEM: it does not fit in any address space).
    func layout(_ image: ELFImage, name: String) throws(ExecFailure) -> LoadPlan {
        let page = abi.pageSize
        var segments: [LoadPlan.Segment] = []
        var low = UInt64.max, high: UInt64 = 0, bytes: UInt64 = 0
        for (i, s) in image.loads.enumerated() {
            let start = GuestMath.roundDown(s.vaddr, to: page)
            let delta = s.vaddr - start
            guard s.offset >= delta, GuestMath.roundDown(s.offset - delta, to: page) == s.offset - delta else {
                throw ExecFailure(errno: .ENOEXEC, reason: "\(name): malformed ELF: segment \(i) has a file offset that disagrees with its address modulo the page size")
            }
            // The parser checked vaddr + memsz (and so vaddr + filesz) against 2^64; page
            // rounding can still pass it.
            guard let fileEnd = GuestMath.end(s.vaddr, s.fileSize), let memEnd = GuestMath.end(s.vaddr, s.memSize),
                  let mapEnd = GuestMath.roundUp(fileEnd, to: page), let anonEnd = GuestMath.roundUp(memEnd, to: page) else {
                throw ExecFailure(errno: .ENOMEM, reason: "\(name): segment \(i) ends past the top of the address space")
            }
            var prot: Protection = []
            if s.flags & 4 != 0 { prot.insert(.read) }
            if s.flags & 2 != 0 { prot.insert(.write) }
            if s.flags & 1 != 0 { prot.insert(.execute) }
            segments.append(.init(start: start, fileOffset: s.offset - delta, fileEnd: fileEnd, memEnd: memEnd, mapEnd: mapEnd,
                                  anonEnd: anonEnd, hasFileBytes: s.fileSize > 0, protection: prot))
            low = min(low, start)
            high = max(high, anonEnd)
            bytes = GuestMath.end(bytes, anonEnd - start) ?? .max
        }
        return LoadPlan(segments: segments, span: low..<high, bytes: bytes)
    }

    /// Where a position-independent main program goes (Linux's ELF_ET_DYN_BASE: 2/3 of the space).
    private func etDynBase(_ plan: LoadPlan) -> UInt64 {
        let range = backend.userAddressRange
        let base = (range.upperBound / 3 * 2) & ~UInt64(0xffff)
        return base &- plan.span.lowerBound
    }

    /// Maps the segments of a checked plan at `bias`; returns the page-aligned end (brk start).
    /// The caller made sure the biased span lies in user space, so these sums cannot wrap.
    private func mapImage(_ plan: LoadPlan, file: OpenFile, bias: UInt64, mm: MemoryMap, name: String) throws(LinuxErrno) -> UInt64 {
        let page = mm.pageSize
        var end: UInt64 = 0
        for s in plan.segments {
            let start = s.start + bias, fileEnd = s.fileEnd + bias, mapEnd = s.mapEnd + bias, anonEnd = s.anonEnd + bias
            if s.hasFileBytes {
                let zeroTail = s.memEnd > s.fileEnd && fileEnd & (page - 1) != 0
                let mapProt = zeroTail ? s.protection.union(.write) : s.protection
                _ = try mm.map(address: start, length: mapEnd - start, protection: mapProt, fixed: true, shared: false,
                               file: file, offset: s.fileOffset, name: name)
                if zeroTail {
                    try mm.write(fileEnd, [UInt8](repeating: 0, count: Int(mapEnd - fileEnd)))
                    if mapProt != s.protection { try mm.protect(start, length: mapEnd - start, protection: s.protection) }
                }
            }
            let anonStart = s.hasFileBytes ? mapEnd : start
            if anonEnd > anonStart {
                _ = try mm.map(address: anonStart, length: anonEnd - anonStart, protection: s.protection, fixed: true, shared: false,
                               file: nil, offset: 0, name: "")
            }
            end = max(end, anonEnd)
        }
        return end
    }

    /// Builds argc, argv, envp and the auxiliary vector at the top of a fresh stack.
    private func buildStack(_ task: Task, image: ELFImage, bias: UInt64, interpBase: UInt64, execfn: [UInt8],
                            argv: [[UInt8]], envp: [[UInt8]]) throws(LinuxErrno) -> UInt64 {
        let mm = task.mm
        let abi = self.abi
        let word = UInt64(abi.wordSize)
        let top = backend.userAddressRange.upperBound
        let size = abi.stackSize
        _ = try mm.map(address: top - size, length: size, protection: .rw, fixed: true, shared: false, file: nil, offset: 0, name: "[stack]")

        // Strings go at the very top, then the random bytes and platform name.
        var sp = top - word
        func push(_ bytes: [UInt8]) throws(LinuxErrno) -> UInt64 {
            sp -= UInt64(bytes.count)
            try mm.write(sp, bytes)
            return sp
        }
        let execfnAddr = try push(execfn + [0])
        var envAddrs: [UInt64] = []
        for e in envp.reversed() { envAddrs.insert(try push(e + [0]), at: 0) }
        mm.envStart = sp
        var argAddrs: [UInt64] = []
        for a in argv.reversed() { argAddrs.insert(try push(a + [0]), at: 0) }
        mm.argStart = sp
        mm.argEnd = envAddrs.first ?? execfnAddr
        mm.envEnd = execfnAddr
        let platformAddr = try push(Array(abi.machine.utf8) + [0])
        sp &= ~15
        var random = [UInt8](repeating: 0, count: 16)
        try typedErrno { try random.withUnsafeMutableBytes { p in try Host.random(into: p) } }
        let randomAddr = try push(random)

        let phdr: UInt64
        if let p = image.segments.first(where: { $0.type == ELFImage.PT_PHDR }) {
            phdr = p.vaddr &+ bias
        } else if let l = image.loads.first(where: { $0.offset <= image.phoff && image.phoff < $0.offset + $0.fileSize }) {
            phdr = l.vaddr &+ (image.phoff - l.offset) &+ bias
        } else {
            phdr = 0
        }
        let c = task.process.credentials
        var auxv: [(UInt64, UInt64)] = [
            (3, phdr), (4, UInt64(image.phentsize)), (5, UInt64(image.phnum)), (6, abi.pageSize),
            (7, interpBase), (8, 0), (9, image.entry &+ bias), (11, UInt64(c.uid)), (12, UInt64(c.euid)),
            (13, UInt64(c.gid)), (14, UInt64(c.egid)), (15, platformAddr), (16, abi.hwcap), (17, 100),
            (23, 0), (25, randomAddr), (26, abi.hwcap2), (31, execfnAddr),
        ]
        if let vdso = backend.vdso { auxv.insert((33, vdso.image.lowerBound), at: 0) }  // AT_SYSINFO_EHDR
        auxv = abi.extraAuxv + auxv
        auxv.append((0, 0))

        let count = 1 + argAddrs.count + 1 + envAddrs.count + 1 + auxv.count * 2
        sp -= UInt64(count) * word
        sp &= ~15
        var e = GuestEncoder(abi)
        e.word(UInt64(argAddrs.count))
        for a in argAddrs { e.word(a) }
        e.word(0)
        for a in envAddrs { e.word(a) }
        e.word(0)
        for (k, v) in auxv { e.word(k); e.word(v) }
        try mm.write(sp, e.bytes)
        task.process.auxv = Array(e.bytes.suffix(auxv.count * 2 * Int(word)))  // for a debugger (qXfer:auxv:read)
        return sp
    }
}

/// A size for a message: "16 TiB", "12 KiB", "100 bytes".
func formatBytes(_ n: UInt64) -> String {
    for (shift, unit) in [(60, "EiB"), (50, "PiB"), (40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] where n >= 1 << UInt64(shift) {
        let whole = n >> UInt64(shift)
        let tenths = (n - whole << UInt64(shift)) * 10 >> UInt64(shift)
        return tenths == 0 ? "\(whole) \(unit)" : "\(whole).\(tenths) \(unit)"
    }
    return "\(n) bytes"
}
