#!/bin/sh
# Memory limits, measured (figures in the README's "Limits" section):
#  1. umlab's peak RSS when a guest child touches 2 GiB under --memory 512M (it is OOM-killed),
#     on PowerPC in skas and tt, beside umlab's RSS for a trivial program; on x86-64 (every
#     mode) the bytes charged when the OOM policy acted;
#  2. what each sleeping PowerPC process costs umlab: peak RSS with 100 sleepers minus with none.
# Usage: Benchmarks/limits/memory.sh [UMLAB] [OTHER_UMLAB_TO_COMPARE]
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
umlab=$(realpath "${1:-$here/.build/release/umlab}")
other=${2:+$(realpath "$2")}
work=/var/tmp/umlab-limits-bench
mkdir -p "$work"
gcc -static -O2 -o "$work/limits" "$here/Tests/programs/limits.c"
powerpc-linux-gnu-gcc -static -O2 -o "$work/limits.ppc" "$here/Tests/programs/limits.c"
cd "$work"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | grep -v '^umlab:' | tail -1; }

echo "== --memory 512M, a child touching 2 GiB (peak RSS of umlab, KiB)"
base=$(rss "$umlab" run -- ./limits.ppc nofile 100)
echo "umlab with a trivial PowerPC program: $base"
for mode in skas tt; do
    out=$("$umlab" run --mode "$mode" --memory 512M -- ./limits.ppc touch 2048 2>/dev/null)
    peak=$(rss "$umlab" run --mode "$mode" --memory 512M -- ./limits.ppc touch 2048)
    echo "ppc $mode: $out; peak RSS $peak KiB = limit + $(( (peak - 524288) )) KiB"
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
