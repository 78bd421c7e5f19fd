#!/usr/bin/env python3
"""Copies the crashers of a campaign (OUT/crashers) into Tests/fuzz/crashers, one per ISA and
signature, each with a short note (the signature and umlab's frames), so UmlabTests' Fuzzing
suite replays them in every `make test`.

    Tests/fuzz/keep-crashers.py OUT [--max-bytes N]
"""
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEST = os.path.join(HERE, "crashers")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src = os.path.join(sys.argv[1], "crashers")
    limit = int(sys.argv[sys.argv.index("--max-bytes") + 1]) if "--max-bytes" in sys.argv else 256 * 1024
    seen = set()
    for isa in sorted(os.listdir(DEST)) if os.path.isdir(DEST) else []:
        for n in os.listdir(os.path.join(DEST, isa)):
            if n.endswith(".txt"):
                with open(os.path.join(DEST, isa, n)) as f:
                    seen.add((isa, f.readline().strip()))
    for isa in sorted(os.listdir(src)):
        for n in sorted(os.listdir(os.path.join(src, isa))):
            if n.endswith(".txt"):
                continue
            path = os.path.join(src, isa, n)
            with open(path + ".txt", errors="replace") as f:
                signature = f.readline().strip()
                rest = f.read()
            if (isa, signature) in seen or os.path.getsize(path) > limit:
                continue
            seen.add((isa, signature))
            os.makedirs(os.path.join(DEST, isa), exist_ok=True)
            shutil.copy(path, os.path.join(DEST, isa, n))
            frames = [re.sub(r"^.* in umlab at /\S+?/((?:Sources|arch)/)", r"\1", l.strip())
                      for l in rest.splitlines() if " in umlab at " in l][:10]
            with open(os.path.join(DEST, isa, n + ".txt"), "w") as f:
                f.write(signature + "\n\n" + "\n".join(frames) + "\n")
            print("kept %s/%s: %s" % (isa, n, signature))


if __name__ == "__main__":
    main()
