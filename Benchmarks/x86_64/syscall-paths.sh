#!/usr/bin/env bash
# The cost of one guest system call on every x86-64 path, in one run, interleaved:
#   native getppid; bare PTRACE_SYSEMU tracer; bare SECCOMP_RET_USER_NOTIF supervisor; bare
#   SIGSYS + shared memory + futex supervisor; umlab --mode skas, tt, seccomp.
# Each figure is the median ns/call of REPS runs of ITERS getppid calls (the guest's own clock);
# rounds alternate between the paths so that drift on a noisy machine hits them all alike.
# Prints a markdown table with ratios to the bare USER_NOTIF round trip and to umlab skas.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
UMLAB="${UMLAB:-$REPO/.build/release/umlab}"
REPS="${REPS:-5}"
ITERS="${ITERS:-100000}"
B="$HERE/build"
mkdir -p "$B"
CC="${CC:-gcc}"
$CC -O2 -static -o "$B/getppid" "$HERE/getppid.c"
$CC -O2 -o "$B/bare_sysemu" "$HERE/bare_sysemu.c"
$CC -O2 -o "$B/bare_seccomp" "$HERE/bare_seccomp.c"

paths=(native bare-sysemu bare-notif bare-sigsys umlab-skas umlab-tt umlab-seccomp)
declare -A samples
one() {
    case "$1" in
        native) taskset -c 0 "$B/getppid" "$ITERS" | sed -n 's/.*ns_per_iter=\([0-9.]*\).*/\1/p' ;;
        bare-sysemu) "$B/bare_sysemu" "$B/getppid" "$ITERS" | sed -n 's/.*ns_per_iter=\([0-9.]*\).*/\1/p' ;;
        bare-notif) "$B/bare_seccomp" notif "$ITERS" | awk '{print $2}' ;;
        bare-sigsys) "$B/bare_seccomp" sigsys "$ITERS" | awk '{print $2}' ;;
        umlab-*) "$UMLAB" run --mode "${1#umlab-}" -- "$B/getppid" "$ITERS" | sed -n 's/.*ns_per_iter=\([0-9.]*\).*/\1/p' ;;
    esac
}
for r in $(seq "$REPS"); do
    for p in "${paths[@]}"; do
        v="$(one "$p")"
        [ -n "$v" ] || { echo "syscall-paths: $p produced no figure" >&2; exit 1; }
        samples[$p]+="$v "
        printf '\r[round %d/%d] %-14s %8.0f ns ' "$r" "$REPS" "$p" "$v" >&2
    done
done
echo >&2
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
spread() { tr ' ' '\n' | grep . | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.0f–%.0f", lo, hi}'; }
notif="$(echo "${samples[bare-notif]}" | median)"
skas="$(echo "${samples[umlab-skas]}" | median)"
echo "| path | ns/call (median of $REPS) | range | ÷ bare USER_NOTIF | ÷ umlab skas |"
echo "|---|---:|---:|---:|---:|"
for p in "${paths[@]}"; do
    m="$(echo "${samples[$p]}" | median)"
    printf '| %s | %.0f | %s | %.2f | %.2f |\n' "$p" "$m" "$(echo "${samples[$p]}" | spread)" \
        "$(awk -v a="$m" -v b="$notif" 'BEGIN{print a/b}')" "$(awk -v a="$m" -v b="$skas" 'BEGIN{print a/b}')"
done
