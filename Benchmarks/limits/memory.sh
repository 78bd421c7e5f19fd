#!/bin/sh
# Memory limits, measured (figures in the README's "Limits" section):
#  1. umlab's peak RSS when a guest child touches 2 GiB under --memory 512M (it is OOM-killed),
#     on PowerPC and IA-64 in skas and tt, beside umlab's RSS for a trivial program; on x86-64
#     (every mode) the bytes charged when the OOM policy acted;
#  2. what each sleeping PowerPC process costs umlab: peak RSS with 100 sleepers minus with none.
# The interpreters' peak RSS in 1. is checked against the limit plus the overhead the README
# states (OVERHEAD_KIB, 22 MiB): the script says "over" and exits 1 when a run goes past it.
# Usage: Benchmarks/limits/memory.sh [UMLAB] [OTHER_UMLAB_TO_COMPARE]
set -eu
OVERHEAD_KIB=${OVERHEAD_KIB:-22528}
over=0
here=$(cd "$(dirname "$0")/../.." && pwd)
umlab=$(realpath "${1:-$here/.build/release/umlab}")
other=${2:+$(realpath "$2")}
work=/var/tmp/umlab-limits-bench
mkdir -p "$work"
gcc -static -O2 -o "$work/limits" "$here/Tests/programs/limits.c"
powerpc-linux-gnu-gcc -static -O2 -o "$work/limits.ppc" "$here/Tests/programs/limits.c"
ia64=$here/arch/ia64/workloads
ia64-linux-gnu-as -x -I "$ia64" -o "$work/lib.o" "$ia64/lib.s"
ia64-linux-gnu-as -x -I "$ia64" -o "$work/oomtouch.o" "$ia64/oomtouch.s"
ia64-linux-gnu-ld -o "$work/oomtouch.ia64" "$work/oomtouch.o" "$work/lib.o"
cd "$work"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | grep -v '^umlab:' | tail -1; }
# judge PEAK_KIB: "within" or "over" the 512 MiB limit plus OVERHEAD_KIB.
judge() {
    if [ "$1" -le $((524288 + OVERHEAD_KIB)) ]; then echo "within limit + $OVERHEAD_KIB KiB"
    else echo "OVER limit + $OVERHEAD_KIB KiB"; fi
}

echo "== --memory 512M, a child touching 2 GiB (peak RSS of umlab, KiB)"
base=$(rss "$umlab" run -- ./limits.ppc nofile 100)
echo "umlab with a trivial PowerPC program: $base"
for mode in skas tt; do
    out=$("$umlab" run --mode "$mode" --memory 512M -- ./limits.ppc touch 2048 2>/dev/null)
    peak=$(rss "$umlab" run --mode "$mode" --memory 512M -- ./limits.ppc touch 2048)
    echo "ppc $mode: $out; peak RSS $peak KiB = limit + $(( (peak - 524288) )) KiB: $(judge "$peak")"
    [ "$peak" -le $((524288 + OVERHEAD_KIB)) ] || over=1
done
# oomtouch 0: the same parent and child, the child touching nothing.
echo "umlab with a trivial IA-64 program (a parent and a child): $(rss "$umlab" run -- ./oomtouch.ia64 0)"
for mode in skas tt; do
    out=$("$umlab" run --mode "$mode" --memory 512M -- ./oomtouch.ia64 2048 2>/dev/null)
    peak=$(rss "$umlab" run --mode "$mode" --memory 512M -- ./oomtouch.ia64 2048)
    echo "ia64 $mode: $out; peak RSS $peak KiB = limit + $(( (peak - 524288) )) KiB: $(judge "$peak")"
    [ "$peak" -le $((524288 + OVERHEAD_KIB)) ] || over=1
done
echo "x86-64 (guests are host processes; umlab's own RSS is not the guest's):"
for mode in skas tt seccomp; do
    echo "  $mode: $("$umlab" run --mode "$mode" --memory 512M --stats-json s.json -- ./limits touch 2048 2>/dev/null);" \
         "$(grep -o '"peak": [0-9]*' s.json | head -1) bytes charged at the kill"
done

echo "== per PowerPC process (peak RSS with 100 sleepers - with 0) / 100"
for u in "$umlab" $other; do
    a=$(rss "$u" run -- ./limits.ppc sleepers 0)
    b=$(rss "$u" run -- ./limits.ppc sleepers 100)
    echo "$u: $(( (b - a) / 100 )) KiB per process ($a -> $b KiB)"
done
exit $over
