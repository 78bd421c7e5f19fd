import Testing
@testable import GuestKernel
import LinuxABI

/// A minimal x86-64 ELF executable: one PT_LOAD of the whole file at 0x400000, plus what a
/// test changes.
struct ELFBuilder {
    var bytes: [UInt8]
    init(entryOffset: UInt64 = 0x78) {
        var h = [UInt8](repeating: 0, count: 64)
        h[0...3] = [0x7f, 0x45, 0x4c, 0x46]
        h[4] = 2; h[5] = 1; h[6] = 1
        bytes = h
        set16(16, 2); set16(18, 62); set32(20, 1)
        set64(24, 0x400000 + entryOffset)  // e_entry
        set64(32, 64)  // e_phoff
        set16(52, 64); set16(54, 56); set16(56, 1)  // ehsize, phentsize, phnum
        var ph = [UInt8](repeating: 0, count: 56)
        bytes += ph
        ph = []
        setPhdr(0, type: 1, flags: 5, offset: 0, vaddr: 0x400000, filesz: 0x80, memsz: 0x1000)
        bytes += [0x0f, 0x05] + [UInt8](repeating: 0x90, count: 6)  // code at 0x78
    }
    mutating func set16(_ o: Int, _ v: UInt16) { for i in 0..<2 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
    mutating func set32(_ o: Int, _ v: UInt32) { for i in 0..<4 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
    mutating func set64(_ o: Int, _ v: UInt64) { for i in 0..<8 { bytes[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }
    mutating func setPhdr(_ i: Int, type: UInt32, flags: UInt32, offset: UInt64, vaddr: UInt64, filesz: UInt64, memsz: UInt64) {
        let o = 64 + 56 * i
        set32(o, type); set32(o + 4, flags); set64(o + 8, offset); set64(o + 16, vaddr); set64(o + 24, vaddr)
        set64(o + 32, filesz); set64(o + 40, memsz); set64(o + 48, 0x1000)
    }

    static func parse(_ b: [UInt8]) throws(ELFImage.Problem) -> ELFImage {
        try ELFImage.parse { (o: UInt64, n: Int) throws(LinuxErrno) -> [UInt8] in
            guard o < UInt64(b.count) else { return [] }
            return Array(b[Int(o)..<min(b.count, Int(o) + n)])
        }
    }
}

@Suite struct ELF {
    enum Forgery: String, CaseIterable, Sendable {
        case empty, badMagic, classNone, class3, dataNone, relocatable, core, phentsizeWrong, phnumZero, phnumHuge,
             phoffBeyondFile, phTableTruncated, headerTruncated, noLoad, fileszOverMemsz, wraps, interpTooShort,
             interpBeyondFile, interpUnterminated
    }

    static func forge(_ f: Forgery) -> [UInt8] {
        var e = ELFBuilder()
        switch f {
        case .empty: return []
        case .badMagic: e.bytes[1] = 0x46
        case .classNone: e.bytes[4] = 0
        case .class3: e.bytes[4] = 3
        case .dataNone: e.bytes[5] = 0
        case .relocatable: e.set16(16, 1)
        case .core: e.set16(16, 4)
        case .phentsizeWrong: e.set16(54, 32)
        case .phnumZero: e.set16(56, 0)
        case .phnumHuge: e.set16(56, 0xffff)
        case .phoffBeyondFile: e.set64(32, 1 << 20)
        case .phTableTruncated: e.set16(56, 3)
        case .headerTruncated: return Array(e.bytes.prefix(40))
        case .noLoad: e.set32(64, 4)  // PT_NOTE
        case .fileszOverMemsz: e.set64(64 + 32, 0x2000)
        case .wraps: e.set64(64 + 16, UInt64.max - 10)
        case .interpTooShort, .interpBeyondFile, .interpUnterminated:
            e.set16(56, 2)
            e.bytes.insert(contentsOf: [UInt8](repeating: 0, count: 56), at: 120)
            e.set64(24, 0x400000 + 0xb0)
            let path = Array("/lib/ld.so".utf8)
            let at = UInt64(e.bytes.count)
            e.bytes += path + (f == .interpUnterminated ? [] : [0])
            let size: UInt64 = f == .interpTooShort ? 1 : UInt64(path.count + (f == .interpUnterminated ? 0 : 1))
            e.setPhdr(1, type: 3, flags: 4, offset: f == .interpBeyondFile ? 1 << 20 : at, vaddr: 0, filesz: size, memsz: size)
        }
        return e.bytes
    }

    @Test func theBaseImageParses() throws {
        let image = try ELFBuilder.parse(ELFBuilder().bytes)
        #expect(image.machine == 62)
        #expect(image.is64 && !image.bigEndian)
        #expect(image.entry == 0x400078)
        #expect(image.segments.count == 1)
        #expect(image.interpreter == nil)
    }

    /// Every forgery is rejected by the parser (it never crashes or accepts one).
    @Test(arguments: Forgery.allCases.filter { $0 != .interpUnterminated })
    func parserRejects(_ f: Forgery) {
        let bytes = ELF.forge(f)
        #expect(throws: ELFImage.Problem.self) { _ = try ELFBuilder.parse(bytes) }
    }

    /// And execve gives ENOEXEC for each, as Linux's binfmt_elf does (the checks it makes before
    /// the point of no return).
    @Test(arguments: Forgery.allCases.filter { $0 != .fileszOverMemsz && $0 != .wraps && $0 != .interpUnterminated })
    func execveGivesENOEXEC(_ f: Forgery) async throws {
        try await runGuest { t async throws in
            try await ELF.install(t, ELF.forge(f), at: "/tmp/forged")
            #expect(try await ELF.exec(t, "/tmp/forged") == .err(.ENOEXEC))
        }
    }

    /// Linux checks that the PT_INTERP path ends in a NUL (ENOEXEC otherwise).
    @Test func unterminatedInterpreter() async throws {
            #expect(throws: ELFImage.Problem.self) { _ = try ELFBuilder.parse(ELF.forge(.interpUnterminated)) }
            try await runGuest { t async throws in
                try await ELF.install(t, ELF.forge(.interpUnterminated), at: "/tmp/forged")
                #expect(try await ELF.exec(t, "/tmp/forged") == .err(.ENOEXEC))
            }
    }

    @Test(arguments: [(UInt16(20), false), (3, true), (183, false)])
    func wrongMachineOrClass(_ machine: UInt16, _ as32: Bool) async throws {
        try await runGuest { t async throws in
            var e = ELFBuilder()
            e.set16(18, machine)
            if as32 { e.bytes[4] = 1 }
            try await ELF.install(t, e.bytes, at: "/tmp/other")
            #expect(try await ELF.exec(t, "/tmp/other") == .err(.ENOEXEC))
        }
    }

    /// A good image loads: the program starts at its entry with its bytes mapped there.
    @Test func execLoadsTheImage() async throws {
        try await runGuest { t async throws in
            try await ELF.install(t, ELFBuilder().bytes, at: "/tmp/good")
            #expect(try await ELF.exec(t, "/tmp/good") == .ok(0))
            let start = try #require(t.context.programStart)
            #expect(start.entry == 0x400078)
            #expect(try t.peek(0x400078, 2) == [0x0f, 0x05])
            #expect(try t.peek(0x400000, 4) == [0x7f, 0x45, 0x4c, 0x46])
            // argc on the new stack.
            #expect(try t.u64(start.stackPointer) == 1)
        }
    }

    static func install(_ t: ScriptThread, _ bytes: [UInt8], at path: String) async throws {
        let fd = try await t.open(path, C.O_CREAT | C.O_WRONLY | C.O_TRUNC, 0o755).get()
        if !bytes.isEmpty { try await t.write(fd, bytes).get() }
        try await t.sys("close", fd).get()
    }

    static func exec(_ t: ScriptThread, _ path: String) async throws -> SysRet {
        let argv = try t.place(ScriptThread.bytes(try t.cString(path), 8) + ScriptThread.bytes(0, 8))
        return try await t.sys("execve", path, argv, try t.place(ScriptThread.bytes(0, 8)))
    }
}

/// ELF files whose numbers reach 2^63 and 2^64: every one gets an errno (ENOEXEC for a
/// malformed file, ENOMEM for one that cannot fit), none traps.
@Suite struct ELFAtTheEdges {
    enum Case: String, CaseIterable, Sendable {
        /// e_phoff >= 2^63 (it used to trap converting to a file offset).
        case phoffPastInt64
        /// A PT_LOAD that ends within a page of 2^64 (it used to trap page-aligning).
        case loadEndsNearTop
        /// A bss of 16 TiB: more than the host's memory, refused before anything is allocated.
        case bss16TiB
        /// A segment above the user address space.
        case aboveUserSpace
        /// A file offset that disagrees with the address modulo the page size.
        case misalignedOffset
    }

    static func forge(_ c: Case) -> [UInt8] {
        var e = ELFBuilder()
        switch c {
        case .phoffPastInt64: e.set64(32, 1 << 63)
        case .loadEndsNearTop: e.setPhdr(0, type: 1, flags: 5, offset: 0, vaddr: 0xffff_ffff_ffff_f000, filesz: 0x80, memsz: 0x800)
        case .bss16TiB: e.setPhdr(0, type: 1, flags: 7, offset: 0, vaddr: 0x400000, filesz: 0x80, memsz: 16 << 40)
        case .aboveUserSpace: e.setPhdr(0, type: 1, flags: 5, offset: 0, vaddr: 0x7fff_ffff_0000_0000, filesz: 0x80, memsz: 0x1000)
        case .misalignedOffset: e.setPhdr(0, type: 1, flags: 5, offset: 1, vaddr: 0x400000, filesz: 0x7f, memsz: 0x1000)
        }
        return e.bytes
    }

    static func expected(_ c: Case) -> (LinuxErrno, String) {
        switch c {
        case .phoffPastInt64: (.ENOEXEC, "truncated ELF")
        case .loadEndsNearTop: (.ENOMEM, "ends past the top of the address space")
        case .bss16TiB: (.ENOMEM, "need 16 TiB of memory")
        case .aboveUserSpace: (.ENOMEM, "outside the user address space")
        case .misalignedOffset: (.ENOEXEC, "disagrees with its address")
        }
    }

    /// execve fails with the errno and a sentence; the caller goes on (the checks come before
    /// the point of no return).
    @Test(arguments: Case.allCases)
    func execveFailsCleanly(_ c: Case) async throws {
        try await runGuest { t async throws in
            try await ELF.install(t, ELFAtTheEdges.forge(c), at: "/tmp/forged")
            let (errno, words) = ELFAtTheEdges.expected(c)
            #expect(try await ELF.exec(t, "/tmp/forged") == .err(errno))
            let reason = t.kernel.lastExecFailure?.reason ?? ""
            #expect(reason.contains(words), "\(reason)")
            #expect(try await t.sys("getpid") == .ok(2))
        }
    }

    /// A section table (at the end of the base image) with `count` entries; section 1 is the
    /// code section described by the arguments.
    static func withSections(shoff: UInt64? = nil, count: UInt16 = 2, address: UInt64 = 0x400078, offset: UInt64 = 0x78,
                             size: UInt64 = 8, nameOffset: UInt32 = 0) -> [UInt8] {
        var e = ELFBuilder()
        let table = UInt64(e.bytes.count)
        e.bytes += [UInt8](repeating: 0, count: 64 * 2)
        let o = Int(table) + 64
        e.set32(o, nameOffset); e.set32(o + 4, 1)  // PROGBITS
        e.set64(o + 8, 6)  // SHF_ALLOC | SHF_EXECINSTR
        e.set64(o + 16, address); e.set64(o + 24, offset); e.set64(o + 32, size)
        e.set64(40, shoff ?? table)
        e.set16(58, 64); e.set16(60, count); e.set16(62, 0)
        return e.bytes
    }

    @Test func codeSectionsOfAGoodTable() {
        let s = ELFImage.codeSections(ELFAtTheEdges.withSections())
        #expect(s.count == 1)
        #expect(s.first?.address == 0x400078 && s.first?.size == 8)
    }

    /// Section tables and sections whose numbers pass the file or 2^64 are left out.
    @Test(arguments: [
        withSections(shoff: 1 << 63), withSections(shoff: UInt64.max - 10), withSections(count: 0xffff),
        withSections(offset: 1 << 63), withSections(offset: UInt64.max, size: 2), withSections(size: UInt64.max),
        withSections(address: UInt64.max - 3),
    ])
    func codeSectionsOfForgedTables(_ bytes: [UInt8]) {
        #expect(ELFImage.codeSections(bytes).isEmpty)
    }

    /// A section name offset past the file (or 2^64) gives an empty name, not a trap.
    @Test func sectionNameOutsideTheFile() {
        #expect(ELFImage.codeSections(ELFAtTheEdges.withSections(nameOffset: UInt32.max)).first?.name == "")
    }
}
