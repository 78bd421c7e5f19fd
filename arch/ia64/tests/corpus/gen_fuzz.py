#!/usr/bin/env python3
"""Random-bundle corpus: N seeded random 128-bit bundles, disassembled by objdump.

Half of the bundles are fully random; the other half use valid templates and
bias each slot towards the major opcodes its unit decodes, so that every
opcode-extension table gets exercised.  Output: <repo>/Tests/IA64DecoderTests/Corpus/fuzz.txt
"""
import os, random, sys
sys.path.insert(0, os.path.dirname(__file__))
from ia64lib import pack, objdump_binary, write_expect

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
rng = random.Random(0x1A64)
VALID = [t for t in range(32) if t not in (6, 7, 0x14, 0x15, 0x1A, 0x1B, 0x1E, 0x1F)]
data = bytearray()
for k in range(N):
    if k % 2 == 0:
        data += rng.getrandbits(128).to_bytes(16, "little")
    else:
        t = rng.choice(VALID)
        s = [rng.getrandbits(41) for _ in range(3)]
        # Bias: clear a random subset of the opcode-extension bits so that
        # small extension values (where most opcodes live) are common.
        for i in range(3):
            if rng.random() < 0.7:
                s[i] &= ~(rng.getrandbits(10) << 27)
        data += pack(t, *s)
out = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "Tests", "IA64DecoderTests", "Corpus", "fuzz.txt")
os.makedirs(os.path.dirname(out), exist_ok=True)
write_expect(out, bytes(data), objdump_binary(bytes(data)))
print("wrote", out, N, "bundles")
