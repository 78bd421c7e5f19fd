"""Helpers shared by the corpus generators: bundle packing and objdump parsing.

Everything here talks to GNU binutils for IA-64 (ia64-linux-gnu-*); the Swift
tests only read the files these scripts produce, so they need no binutils.
"""
import os, re, subprocess, tempfile

OBJDUMP = "ia64-linux-gnu-objdump"
AS = "ia64-linux-gnu-as"
OBJCOPY = "ia64-linux-gnu-objcopy"

def pack(template, s0, s1, s2):
    """Pack a 5-bit template and three 41-bit slots into 16 little-endian bytes."""
    v = (template & 0x1f) | ((s0 & (2**41 - 1)) << 5) | ((s1 & (2**41 - 1)) << 46) | ((s2 & (2**41 - 1)) << 87)
    return v.to_bytes(16, "little")

LINE = re.compile(r"^\s*([0-9a-f]+):\t(.*)$")

def objdump_binary(data):
    """Disassemble raw bundle bytes with objdump (-b binary, no symbols).

    Returns a list of (address, text) where text is objdump's instruction
    text with the template column removed but with the trailing ';;' kept,
    and a parallel list of template strings (or None) per line."""
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.bin")
        with open(p, "wb") as f:
            f.write(data)
        out = subprocess.run([OBJDUMP, "-D", "-b", "binary", "-m", "ia64", "--no-show-raw-insn", p],
                             capture_output=True, text=True, check=True).stdout
    res = []
    for ln in out.splitlines():
        m = LINE.match(ln)
        if not m:
            continue
        res.append((int(m.group(1), 16), m.group(2).rstrip()))
    return res

def assemble_to_binary(src):
    """Assemble IA-64 source text, return the raw bytes of its .text section."""
    with tempfile.TemporaryDirectory() as d:
        s = os.path.join(d, "x.s"); o = os.path.join(d, "x.o"); b = os.path.join(d, "x.bin")
        with open(s, "w") as f:
            f.write(src)
        r = subprocess.run([AS, "-o", o, s], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(r.stderr[-4000:])
        subprocess.run([OBJCOPY, "-O", "binary", "-j", ".text", o, b], check=True)
        with open(b, "rb") as f:
            return f.read()

def write_expect(path, data, lines):
    """Write a corpus file: one line per bundle with its hex bytes, followed by
    objdump's three text lines for that bundle ('@addr|text')."""
    by_addr = {}
    for a, t in lines:
        by_addr[a] = t
    with open(path, "w") as f:
        for off in range(0, len(data) - len(data) % 16, 16):
            f.write("B %x %s\n" % (off, data[off:off+16].hex()))
            for k in (0, 6, 12):
                if off + k in by_addr:
                    f.write("%x|%s\n" % (off + k, by_addr[off + k]))
