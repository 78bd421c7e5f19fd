#!/bin/sh
# Builds the IA-64 attack program: build-ia64.sh OUTDIR  ->  OUTDIR/attacks.ia64
# (static, no libc; GNU binutils for ia64: ia64-linux-gnu-as / ia64-linux-gnu-ld, overridable
# with IA64_AS / IA64_LD). attacks-ia64.s is self-contained, so `as -o X.o attacks-ia64.s &&
# ld -o OUT X.o` is all it takes.
set -eu
[ $# = 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
AS=${IA64_AS:-ia64-linux-gnu-as}
LD=${IA64_LD:-ia64-linux-gnu-ld}
src=$(dirname "$0")/attacks-ia64.s
mkdir -p "$1"
$AS -o "$1/attacks-ia64.o" "$src"
$LD -o "$1/attacks.ia64" "$1/attacks-ia64.o"
rm -f "$1/attacks-ia64.o"
