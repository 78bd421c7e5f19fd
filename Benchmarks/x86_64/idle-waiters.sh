#!/usr/bin/env bash
# Idle waiters cost nothing: a getppid loop under umlab beside 0 and beside N processes
# blocked reading pipes (default 1000), rounds interleaved, medians of REPS; prints the ratio.
#   MODES="skas seccomp tt" N=1000 REPS=5 ITERS=100000 Benchmarks/x86_64/idle-waiters.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
UMLAB="${UMLAB:-$REPO/.build/release/umlab}"
REPS="${REPS:-5}"; ITERS="${ITERS:-100000}"; N="${N:-1000}"; MODES="${MODES:-skas seccomp}"
B="$HERE/build"; mkdir -p "$B"
${CC:-gcc} -O2 -static -o "$B/idle_waiters" "$HERE/idle_waiters.c"
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| mode | alone ns/call | beside $N blocked readers | ratio |"
echo "|---|---:|---:|---:|"
for mode in $MODES; do
    alone=""; beside=""
    for r in $(seq "$REPS"); do
        a="$("$UMLAB" run --mode "$mode" -- "$B/idle_waiters" 0 "$ITERS" | sed -n 's/.*ns_per_iter=\([0-9.]*\).*/\1/p')"
        b="$("$UMLAB" run --mode "$mode" -- "$B/idle_waiters" "$N" "$ITERS" | sed -n 's/.*ns_per_iter=\([0-9.]*\).*/\1/p')"
        [ -n "$a" ] && [ -n "$b" ] || { echo "idle-waiters: a run failed ($mode)" >&2; exit 1; }
        alone+="$a "; beside+="$b "
        printf '\r[%s round %d/%d] %8.0f %8.0f ns ' "$mode" "$r" "$REPS" "$a" "$b" >&2
    done
    echo >&2
    ma="$(echo "$alone" | median)"; mb="$(echo "$beside" | median)"
    printf '| %s | %.0f | %.0f | %.2f |\n' "$mode" "$ma" "$mb" "$(awk -v a="$mb" -v b="$ma" 'BEGIN{print a/b}')"
done
