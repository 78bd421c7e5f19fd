#!/usr/bin/env bash
# Two umlab builds against each other on the interpreters' compute workloads: the PowerPC
# compute program (Benchmarks/powerpc/compute.c, crc32 + sieve) and the IA-64 crc32, sieve and
# br.cloop loop (Benchmarks/ia64/run.sh's programs).
#
#   Benchmarks/interpreters-ab.sh UMLAB_A UMLAB_B [ROUNDS]     (ROUNDS default 7)
#   AB_WORKLOADS="ia64-loop" Benchmarks/interpreters-ab.sh ...  (only these workloads)
#
# The machine this project runs on is shared and noisy, so the two builds are interleaved: each
# round runs every workload under A and under B back to back (the order alternating between
# rounds), and the figure that counts is the median over rounds of the per-round ratio B/A,
# beside each build's median. The time measured is umlab's CPU time (user + system, from
# getrusage of the child, start-up included): on a shared machine it does not count the time
# umlab waited for a CPU, which wall time would. Each run's output is checked against the
# first run's.
set -euo pipefail
A="$1"; B="$2"; ROUNDS="${3:-7}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUT="$HERE/build/ab"
mkdir -p "$OUT"
powerpc-linux-gnu-gcc -static -O2 -o "$OUT/ppc-compute" "$HERE/powerpc/compute.c"
W="$REPO/arch/ia64/workloads"
(cd "$W" && ia64-linux-gnu-as -x -I . -o "$OUT/lib.o" lib.s 2>/dev/null)
for w in crc32 sieve; do
    (cd "$W" && ia64-linux-gnu-as -x -I . -o "$OUT/$w.o" "$w.s" 2>/dev/null)
    ia64-linux-gnu-ld -o "$OUT/ia64-$w" "$OUT/$w.o" "$OUT/lib.o"
done
ia64-linux-gnu-as -o "$OUT/loop.o" "$HERE/ia64/loop.s" 2>/dev/null && ia64-linux-gnu-ld -o "$OUT/ia64-loop" "$OUT/loop.o"

workloads=("ppc-compute 20" "ia64-crc32" "ia64-sieve" "ia64-loop")
if [ -n "${AB_WORKLOADS:-}" ]; then
    chosen=()
    for w in "${workloads[@]}"; do case " $AB_WORKLOADS " in *" ${w%% *} "*) chosen+=("$w");; esac; done
    workloads=("${chosen[@]}")
fi
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# One run: prints umlab's CPU seconds; the output must equal the reference.
run() {
    local umlab="$1" name="$2"; shift 2
    python3 - "$umlab" run -- "$OUT/$name" "$@" > "$OUT/$name.out" 3> "$OUT/$name.cpu" <<'PY'
import os, resource, subprocess, sys
subprocess.run(sys.argv[1:])
u = resource.getrusage(resource.RUSAGE_CHILDREN)
os.write(3, b"%f\n" % (u.ru_utime + u.ru_stime))
PY
    if [ -f "$OUT/$name.ref" ]; then
        cmp -s "$OUT/$name.ref" "$OUT/$name.out" || { echo "output of $name differs under $umlab" >&2; exit 1; }
    else
        cp "$OUT/$name.out" "$OUT/$name.ref"
    fi
    cat "$OUT/$name.cpu"
}
rm -f "$OUT"/*.ref "$OUT"/*.times
for r in $(seq "$ROUNDS"); do
    for w in "${workloads[@]}"; do
        set -- $w
        name="$1"; shift
        if [ $((r % 2)) -eq 1 ]; then ta=$(run "$A" "$name" "$@"); tb=$(run "$B" "$name" "$@")
        else tb=$(run "$B" "$name" "$@"); ta=$(run "$A" "$name" "$@"); fi
        echo "$ta $tb" >> "$OUT/$name.times"
    done
    echo "round $r of $ROUNDS done" >&2
done
echo "| workload | A median CPU s | B median CPU s | B/A (median of $ROUNDS rounds) | B/A range |"
echo "|---|---:|---:|---:|---:|"
for w in "${workloads[@]}"; do
    set -- $w
    f="$OUT/$1.times"
    ma=$(awk '{print $1}' "$f" | median); mb=$(awk '{print $2}' "$f" | median)
    mr=$(awk '{print $2 / $1}' "$f" | median)
    lo=$(awk '{print $2 / $1}' "$f" | sort -g | head -1); hi=$(awk '{print $2 / $1}' "$f" | sort -g | tail -1)
    printf '| %s | %.3f | %.3f | %.3f | %.3f–%.3f |\n' "$1" "$ma" "$mb" "$mr" "$lo" "$hi"
done
