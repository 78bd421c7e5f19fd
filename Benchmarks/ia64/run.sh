#!/usr/bin/env bash
# IA-64 interpreter speed: guest instructions per second of wall time (umlab's own counter),
# median of REPS runs, on the compute workloads (crc32, sieve from arch/ia64/workloads) and a
# tight add/br.cloop loop. Start-up is included in every figure.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
UMLAB="${UMLAB:-$REPO/.build/release/umlab}"
REPS="${REPS:-3}"
B="$HERE/build"
mkdir -p "$B"
W="$REPO/arch/ia64/workloads"
(cd "$W" && ia64-linux-gnu-as -x -I . -o "$B/lib.o" lib.s 2>/dev/null)
for w in crc32 sieve; do
    (cd "$W" && ia64-linux-gnu-as -x -I . -o "$B/$w.o" "$w.s" 2>/dev/null)
    ia64-linux-gnu-ld -o "$B/$w" "$B/$w.o" "$B/lib.o"
done
ia64-linux-gnu-as -o "$B/loop.o" "$HERE/loop.s" 2>/dev/null && ia64-linux-gnu-ld -o "$B/loop" "$B/loop.o"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| workload | guest instructions | wall s | M instructions/s |"
echo "|---|---:|---:|---:|"
for w in crc32 sieve loop; do
    rates=(); walls=(); insns=0
    for _ in $(seq "$REPS"); do
        "$UMLAB" run --stats-json "$B/$w.json" -- "$B/$w" > /dev/null || true
        read -r insns wall < <(python3 -c "import json;d=json.load(open('$B/$w.json'));print(d['backend_counters']['instructions_retired'], d['wall_seconds'])")
        walls+=("$wall"); rates+=("$(awk -v i="$insns" -v w="$wall" 'BEGIN{print i/w/1e6}')")
    done
    printf '| %s | %d | %.3f | %.0f |\n' "$w" "$insns" "$(printf '%s\n' "${walls[@]}" | median)" "$(printf '%s\n' "${rates[@]}" | median)"
done
