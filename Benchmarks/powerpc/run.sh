#!/usr/bin/env bash
# PowerPC backend vs qemu-ppc (a JIT) on the same static binaries: wall time (median of REPS),
# and umlab's own guest-instruction counter (instructions per second of wall time).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
UMLAB="${UMLAB:-$REPO/.build/release/umlab}"
REPS="${REPS:-3}"
B="$HERE/build"
mkdir -p "$B"
for p in compute syscalls; do powerpc-linux-gnu-gcc -static -O2 -o "$B/$p" "$HERE/$p.c"; done
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| workload | qemu-ppc s | umlab s | umlab/qemu | umlab guest instructions | umlab MIPS |"
echo "|---|---:|---:|---:|---:|---:|"
for w in "compute 20" "syscalls 100000"; do
    set -- $w
    q=(); u=(); insns=0
    for _ in $(seq "$REPS"); do
        t0=$(now); qemu-ppc "$B/$1" "$2" > "$B/$1.qemu.out"; t1=$(now)
        "$UMLAB" run --stats-json "$B/$1.json" -- "$B/$1" "$2" > "$B/$1.umlab.out"; t2=$(now)
        cmp -s "$B/$1.qemu.out" "$B/$1.umlab.out" || { echo "output differs for $1" >&2; exit 1; }
        q+=("$(echo "$t1 - $t0" | awk '{print $1 - $3}')"); u+=("$(echo "$t2 - $t1" | awk '{print $1 - $3}')")
        insns=$(python3 -c "import json;print(json.load(open('$B/$1.json'))['backend_counters']['instructions_retired'])")
    done
    qm=$(printf '%s\n' "${q[@]}" | median); um=$(printf '%s\n' "${u[@]}" | median)
    awk -v w="$1" -v q="$qm" -v u="$um" -v i="$insns" 'BEGIN { printf "| %s | %.3f | %.3f | %.1f | %d | %.0f |\n", w, q, u, u / q, i, i / u / 1e6 }'
done
