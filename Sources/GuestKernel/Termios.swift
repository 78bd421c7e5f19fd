import LinuxABI

/// Terminal attributes, ISA-neutral.
///
/// Flag bits and `c_cc` indices use the generic Linux numbering (asm-generic/termbits.h, as on
/// x86-64 and IA-64, and as the host's tty driver takes them). An ISA whose `struct termios`
/// or bit assignments differ (PowerPC) supplies a `TermiosCodec` that translates.
public struct Termios: Equatable {
    public static let controlCharacters = 19
    public var iflag: UInt32 = 0, oflag: UInt32 = 0, cflag: UInt32 = 0, lflag: UInt32 = 0
    public var line: UInt8 = 0
    /// `c_cc`, generic indices (VINTR 0 … VEOL2 16).
    public var cc = [UInt8](repeating: 0, count: Termios.controlCharacters)
    public init() {}

    /// The generic kernel layout (36 bytes: four flag words, c_line, c_cc[19]), host byte order.
    public init(hostBytes b: [UInt8]) {
        func word(_ i: Int) -> UInt32 {
            UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
        }
        iflag = word(0); oflag = word(4); cflag = word(8); lflag = word(12)
        line = b[16]
        cc = Array(b[17..<36])
    }
    public var hostBytes: [UInt8] {
        var out: [UInt8] = []
        for w in [iflag, oflag, cflag, lflag] { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: w >> (8 * UInt32(k)))) } }
        out.append(line)
        out += cc
        return out
    }
}

/// How a guest lays out `struct termios` for TCGETS/TCSETS*.
public struct TermiosCodec: Sendable {
    /// Bytes TCGETS writes and TCSETS* read.
    public var size: Int
    public var encode: @Sendable (Termios, inout GuestEncoder) -> Void
    public var decode: @Sendable (inout GuestDecoder) -> Termios
    public init(size: Int, encode: @escaping @Sendable (Termios, inout GuestEncoder) -> Void, decode: @escaping @Sendable (inout GuestDecoder) -> Termios) {
        self.size = size; self.encode = encode; self.decode = decode
    }

    /// asm-generic: c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc[19].
    public static let generic = TermiosCodec(size: 36, encode: { t, e in
        e.u32(t.iflag); e.u32(t.oflag); e.u32(t.cflag); e.u32(t.lflag)
        e.u8(t.line)
        for c in t.cc { e.u8(c) }
    }, decode: { d in
        var t = Termios()
        t.iflag = d.u32(); t.oflag = d.u32(); t.cflag = d.u32(); t.lflag = d.u32()
        t.line = d.u8()
        for i in 0..<Termios.controlCharacters { t.cc[i] = d.u8() }
        return t
    })
}

/// A translation between two numberings of a flag word: single bits, and multi-bit fields
/// whose values are listed pairwise (delay fields, character size, baud rate).
public struct FlagTranslation: Sendable {
    public var bits: [(guest: UInt32, generic: UInt32)]
    public var fields: [(guestMask: UInt32, genericMask: UInt32, values: [(guest: UInt32, generic: UInt32)])]
    public init(bits: [(guest: UInt32, generic: UInt32)], fields: [(guestMask: UInt32, genericMask: UInt32, values: [(guest: UInt32, generic: UInt32)])] = []) {
        self.bits = bits; self.fields = fields
    }
    public func toGeneric(_ v: UInt32) -> UInt32 {
        var out: UInt32 = 0
        for b in bits where v & b.guest != 0 { out |= b.generic }
        for f in fields {
            if let m = f.values.first(where: { $0.guest == v & f.guestMask }) { out |= m.generic }
        }
        return out
    }
    public func toGuest(_ v: UInt32) -> UInt32 {
        var out: UInt32 = 0
        for b in bits where v & b.generic != 0 { out |= b.guest }
        for f in fields {
            if let m = f.values.first(where: { $0.generic == v & f.genericMask }) { out |= m.guest }
        }
        return out
    }
}

// MARK: - The line discipline

/// Flag bits and `c_cc` indices of the generic numbering (asm-generic/termbits.h).
public enum TermiosBits {
    // c_iflag
    public static let ISTRIP: UInt32 = 0x20, INLCR: UInt32 = 0x40, IGNCR: UInt32 = 0x80, ICRNL: UInt32 = 0x100
    public static let IUCLC: UInt32 = 0x200, IXON: UInt32 = 0x400, IXANY: UInt32 = 0x800
    // c_oflag
    public static let OPOST: UInt32 = 0x1, OLCUC: UInt32 = 0x2, ONLCR: UInt32 = 0x4, OCRNL: UInt32 = 0x8
    public static let ONOCR: UInt32 = 0x10, ONLRET: UInt32 = 0x20, TABDLY: UInt32 = 0x1800, XTABS: UInt32 = 0x1800
    // c_lflag
    public static let ISIG: UInt32 = 0x1, ICANON: UInt32 = 0x2, ECHO: UInt32 = 0x8, ECHOE: UInt32 = 0x10
    public static let ECHOK: UInt32 = 0x20, ECHONL: UInt32 = 0x40, NOFLSH: UInt32 = 0x80, TOSTOP: UInt32 = 0x100
    public static let ECHOCTL: UInt32 = 0x200, ECHOKE: UInt32 = 0x800, IEXTEN: UInt32 = 0x8000
    // c_cc
    public static let VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6
    public static let VSTART = 8, VSTOP = 9, VSUSP = 10, VEOL = 11, VREPRINT = 12, VWERASE = 14, VLNEXT = 15, VEOL2 = 16
}

extension Termios {
    /// What a new pseudo-terminal starts with (Linux's tty_std_termios: ICRNL IXON, OPOST
    /// ONLCR, B38400 CS8 CREAD, ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN, and the
    /// INIT_C_CC control characters).
    public static var terminalDefault: Termios {
        var t = Termios()
        t.iflag = 0x500; t.oflag = 0x5; t.cflag = 0xbf; t.lflag = 0x8a3b
        t.cc = [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0]
        return t
    }
    func has(_ lflag: UInt32) -> Bool { self.lflag & lflag != 0 }
    /// `c_cc[index]`, nil when the slot is disabled (_POSIX_VDISABLE, 0).
    func control(_ index: Int) -> UInt8? { cc[index] == 0 ? nil : cc[index] }
}

/// The N_TTY line discipline between a terminal's input and its reader, after Linux's n_tty:
/// input processing (ISTRIP, ICRNL, INLCR, IGNCR, IUCLC), the signal characters (ISIG), flow
/// control (IXON), canonical editing (ERASE, KILL, WERASE, LNEXT, REPRINT, EOF, EOL, EOL2), echo
/// (ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL) and output processing (OPOST: ONLCR, OCRNL,
/// ONOCR, ONLRET, OLCUC, XTABS).
///
/// It is pure state: the terminal that owns it moves the bytes, sends the signals it reports
/// and decides when a reader waits. (The console needs none of it: the host's own terminal
/// applies the guest's settings, which are the host terminal's.)
public struct LineDiscipline {
    /// Linux's N_TTY_BUF_SIZE: the input a reader has not taken yet, at most.
    public static let capacity = 4096
    /// Buffered input: the character in the low byte, `delimiter` and `endOfFile` above it.
    private var input: [UInt16] = []
    private static let delimiter: UInt16 = 0x100, endOfFile: UInt16 = 0x200
    /// In canonical mode, `input[..<completed]` are whole lines; the rest is the line being edited.
    private var completed = 0
    /// The next character is taken literally (after VLNEXT).
    private var literalNext = false
    /// Output stopped by VSTOP (IXON) or TCOOFF: the writer waits.
    public var outputStopped = false
    /// The output column (for tabs and ONOCR), as n_tty's `column`.
    private var column = 0
    public private(set) var termios = Termios.terminalDefault

    public init() {}

    /// What receiving input asks of the terminal besides buffering it.
    public struct Effects {
        /// Echo, already output-processed, for the master to read.
        public var echo: [UInt8] = []
        /// Signals for the foreground process group (ISIG), in order.
        public var signals: [Signal] = []
        /// The output queue must be flushed (a signal character without NOFLSH).
        public var flushOutput = false
    }

    var canonical: Bool { termios.has(TermiosBits.ICANON) }

    /// Takes new settings. Leaving canonical mode makes the line being edited readable;
    /// entering it makes what is buffered one line (n_tty_set_termios).
    public mutating func set(_ t: Termios) {
        let wasCanonical = canonical
        termios = t
        if wasCanonical != canonical {
            if canonical && !input.isEmpty {
                input[input.count - 1] |= LineDiscipline.delimiter
                completed = input.count
            } else {
                completed = 0
            }
        }
        if termios.iflag & TermiosBits.IXON == 0 { outputStopped = false }
    }

    /// Drops the input not read yet (TCIFLUSH, a signal character).
    public mutating func flushInput() {
        input.removeAll(keepingCapacity: true)
        completed = 0
        literalNext = false
    }

    /// Bytes a read could take now: whole lines in canonical mode, everything otherwise. What
    /// FIONREAD reports.
    public var readable: Int { canonical ? completed : input.count }
    /// Whether the buffer holds no input at all.
    public var isEmpty: Bool { input.isEmpty }
    /// Whether a writer may feed more: canonical input past the buffer is dropped as it comes
    /// (a line longer than 4095 characters keeps only its end of line), so it never waits;
    /// non-canonical input waits for a reader to make room.
    public var hasRoom: Bool { canonical || input.count < LineDiscipline.capacity }

    /// Copies what one read takes into `buffer`: in canonical mode at most one line (its
    /// EOF character not included: an EOF at the start of a line reads as 0 bytes), otherwise
    /// as much as there is. The caller checked `readable`.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var taken = 0, copied = 0
        let limit = canonical ? completed : input.count
        while taken < limit && copied < buffer.count {
            let v = input[taken]
            taken += 1
            if canonical && v & LineDiscipline.endOfFile != 0 { break }
            buffer[copied] = UInt8(truncatingIfNeeded: v)
            copied += 1
            if canonical && v & LineDiscipline.delimiter != 0 { break }
        }
        // A line that fills the buffer exactly takes its EOF along (n_tty looks one past the
        // buffer for it): the next read does not see a spurious end of file.
        if canonical && taken < limit && taken > 0 && input[taken - 1] & LineDiscipline.delimiter == 0
            && input[taken] & LineDiscipline.endOfFile != 0 { taken += 1 }
        input.removeFirst(taken)
        if canonical { completed -= taken }
        return copied
    }

    /// Processes input from the terminal's other side (the master's writes). Takes bytes while
    /// there is room (`hasRoom`); returns how many it took and what the terminal must do.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, effects: inout Effects) -> Int {
        var taken = 0
        for raw in bytes {
            guard hasRoom else { break }
            taken += 1
            receive(raw, &effects)
        }
        return taken
    }

    private mutating func receive(_ raw: UInt8, _ fx: inout Effects) {
        let t = termios
        var c = raw
        if t.iflag & TermiosBits.ISTRIP != 0 { c &= 0x7f }
        if t.iflag & TermiosBits.IUCLC != 0 && t.has(TermiosBits.IEXTEN) && c >= 0x41 && c <= 0x5a { c += 0x20 }
        if literalNext {
            literalNext = false
            if t.has(TermiosBits.ECHO) { echoCharacter(c, &fx) }
            store(c, flags: 0, &fx)
            return
        }
        if t.iflag & TermiosBits.IXON != 0 {
            if c == t.control(TermiosBits.VSTOP) { outputStopped = true; return }
            if c == t.control(TermiosBits.VSTART) { outputStopped = false; return }
            if t.iflag & TermiosBits.IXANY != 0 { outputStopped = false }
        }
        if t.has(TermiosBits.ISIG) {
            let signal: Signal? = c == t.control(TermiosBits.VINTR) ? .SIGINT
                : c == t.control(TermiosBits.VQUIT) ? .SIGQUIT : c == t.control(TermiosBits.VSUSP) ? .SIGTSTP : nil
            if let signal {
                fx.signals.append(signal)
                if !t.has(TermiosBits.NOFLSH) {
                    flushInput()
                    fx.flushOutput = true
                    fx.echo.removeAll()
                }
                if t.iflag & TermiosBits.IXON != 0 { outputStopped = false }
                if t.has(TermiosBits.ECHO) { echoCharacter(c, &fx) }
                return
            }
        }
        if c == 13 {  // '\r'
            if t.iflag & TermiosBits.IGNCR != 0 { return }
            if t.iflag & TermiosBits.ICRNL != 0 { c = 10 }
        } else if c == 10 && t.iflag & TermiosBits.INLCR != 0 {
            c = 13
        }
        guard canonical else {
            if t.has(TermiosBits.ECHO) { echoCharacter(c, &fx) }
            input.append(UInt16(c))
            return
        }
        let extended = t.has(TermiosBits.IEXTEN)
        if c == t.control(TermiosBits.VERASE) { erase(.character, &fx); return }
        if c == t.control(TermiosBits.VKILL) { erase(.line, &fx); return }
        if extended && c == t.control(TermiosBits.VWERASE) { erase(.word, &fx); return }
        if extended && c == t.control(TermiosBits.VLNEXT) {
            literalNext = true
            // A caret the literal character's own echo overwrites.
            if t.has(TermiosBits.ECHO) && t.has(TermiosBits.ECHOCTL) { echoBytes([UInt8(ascii: "^"), 8], &fx) }
            return
        }
        if extended && c == t.control(TermiosBits.VREPRINT) {
            if t.has(TermiosBits.ECHO) {
                echoCharacter(c, &fx)
                echoBytes([10], &fx)
                for v in input[completed...] { echoCharacter(UInt8(truncatingIfNeeded: v), &fx) }
            }
            return
        }
        if c == 10 {
            if t.has(TermiosBits.ECHO) || t.has(TermiosBits.ECHONL) { echoBytes([10], &fx) }
            store(c, flags: LineDiscipline.delimiter, &fx)
            return
        }
        if c == t.control(TermiosBits.VEOF) {
            store(c, flags: LineDiscipline.delimiter | LineDiscipline.endOfFile, &fx)
            return
        }
        if c == t.control(TermiosBits.VEOL) || (extended && c == t.control(TermiosBits.VEOL2)) {
            if t.has(TermiosBits.ECHO) { echoCharacter(c, &fx) }
            store(c, flags: LineDiscipline.delimiter, &fx)
            return
        }
        if t.has(TermiosBits.ECHO) { echoCharacter(c, &fx) }
        store(c, flags: 0, &fx)
    }

    /// Buffers one character; a delimiter completes the line. A full canonical buffer keeps
    /// room for one end of line, and drops other characters (Linux's n_tty does the same).
    private mutating func store(_ c: UInt8, flags: UInt16, _ fx: inout Effects) {
        if canonical {
            if input.count >= LineDiscipline.capacity - (flags & LineDiscipline.delimiter != 0 ? 0 : 1) { return }
            input.append(UInt16(c) | flags)
            if flags & LineDiscipline.delimiter != 0 { completed = input.count }
        } else {
            input.append(UInt16(c))
        }
    }

    private enum Erase { case character, word, line }

    /// ERASE, WERASE and KILL in canonical mode, with their echo (n_tty's eraser).
    private mutating func erase(_ kind: Erase, _ fx: inout Effects) {
        let t = termios
        guard input.count > completed else { return }
        let echo = t.has(TermiosBits.ECHO)
        if kind == .line && (!echo || !t.has(TermiosBits.ECHOK) || !t.has(TermiosBits.ECHOKE) || !t.has(TermiosBits.ECHOE)) {
            input.removeSubrange(completed...)
            if echo {
                echoCharacter(t.cc[TermiosBits.VKILL], &fx)
                if t.has(TermiosBits.ECHOK) { echoBytes([10], &fx) }
            }
            return
        }
        if kind == .character && echo && !t.has(TermiosBits.ECHOE) {
            input.removeLast()
            echoCharacter(t.cc[TermiosBits.VERASE], &fx)
            return
        }
        func isWordCharacter(_ v: UInt16) -> Bool {
            let c = UInt8(truncatingIfNeeded: v)
            return c == UInt8(ascii: "_") || (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7a)
        }
        var seenWord = false
        while input.count > completed {
            let v = input[input.count - 1]
            if kind == .word {
                if isWordCharacter(v) { seenWord = true } else if seenWord { break }
            }
            input.removeLast()
            if echo { echoBytes(rubout(UInt8(truncatingIfNeeded: v)), &fx) }
            if kind == .character { break }
        }
    }

    /// The backspaces that take an erased character off the screen: two columns for a
    /// control character echoed as ^X, up to the tab stop for a tab.
    private func rubout(_ c: UInt8) -> [UInt8] {
        let once: [UInt8] = [8, 32, 8]
        if c == 9 {
            var col = 0
            for v in input[completed...] {
                let ch = UInt8(truncatingIfNeeded: v)
                col = ch == 9 ? (col | 7) + 1 : col + (isControl(ch) && termios.has(TermiosBits.ECHOCTL) ? 2 : 1)
            }
            let width = ((col | 7) + 1) - col
            return [UInt8](repeating: 8, count: min(width, 8))
        }
        return isControl(c) && termios.has(TermiosBits.ECHOCTL) ? once + once : once
    }

    private func isControl(_ c: UInt8) -> Bool { c < 32 || c == 127 }

    /// Echoes a received character: a control character other than tab and newline as ^X
    /// under ECHOCTL.
    private mutating func echoCharacter(_ c: UInt8, _ fx: inout Effects) {
        if termios.has(TermiosBits.ECHOCTL) && isControl(c) && c != 9 && c != 10 {
            echoBytes([UInt8(ascii: "^"), c ^ 0x40], &fx)
        } else {
            echoBytes([c], &fx)
        }
    }

    private mutating func echoBytes(_ bytes: [UInt8], _ fx: inout Effects) {
        for b in bytes { processOutput(b, into: &fx.echo) }
    }

    /// Output processing of what the terminal's program writes: takes bytes from `bytes`
    /// while the result fits in `room`, appends it to `out`, returns how many it took.
    public mutating func output(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8], room: Int) -> Int {
        var taken = 0, used = 0
        var piece: [UInt8] = []
        for b in bytes {
            piece.removeAll(keepingCapacity: true)
            let before = column
            processOutput(b, into: &piece)
            if used + piece.count > room { column = before; break }
            out += piece
            used += piece.count
            taken += 1
        }
        return taken
    }

    private mutating func processOutput(_ c: UInt8, into out: inout [UInt8]) {
        let o = termios.oflag
        guard o & TermiosBits.OPOST != 0 else { out.append(c); return }
        switch c {
        case 10:
            if o & TermiosBits.ONLCR != 0 { out.append(13); out.append(10); column = 0; return }
            if o & TermiosBits.ONLRET != 0 { column = 0 }
            out.append(10)
        case 13:
            if o & TermiosBits.ONOCR != 0 && column == 0 { return }
            if o & TermiosBits.OCRNL != 0 {
                if o & TermiosBits.ONLRET != 0 { column = 0 }
                out.append(10)
                return
            }
            column = 0
            out.append(13)
        case 9:
            let spaces = 8 - (column & 7)
            if o & TermiosBits.TABDLY == TermiosBits.XTABS {
                out.append(contentsOf: repeatElement(UInt8(32), count: spaces))
            } else {
                out.append(9)
            }
            column += spaces
        case 8:
            if column > 0 { column -= 1 }
            out.append(8)
        default:
            if o & TermiosBits.OLCUC != 0 && c >= 0x61 && c <= 0x7a { out.append(c - 0x20) } else { out.append(c) }
            if !isControl(c) { column += 1 }
        }
    }
}
