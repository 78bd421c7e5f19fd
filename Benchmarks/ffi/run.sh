#!/usr/bin/env bash
# libffi vs a fixed-signature C shim: ns per call, median of REPS runs, pinned to CPU 0.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$HERE/build"
gcc -O2 -o "$HERE/build/ffi_vs_shim" "$HERE/ffi_vs_shim.c" -lffi
REPS="${REPS:-5}"
declare -A samples
for _ in $(seq "$REPS"); do
    while read -r _ name _ ns; do
        samples[${name#name=}]+="${ns#ns_per_iter=} "
    done < <(taskset -c 0 "$HERE/build/ffi_vs_shim")
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| call | C shim ns | libffi ns | libffi - shim |"
echo "|---|---:|---:|---:|"
for what in syscall call; do
    s=$(echo "${samples[${what}_shim]}" | median); f=$(echo "${samples[${what}_ffi]}" | median)
    printf '| %s | %s | %s | %.1f |\n' "$([ $what = syscall ] && echo 'syscall(SYS_getppid)' || echo 'empty variadic function')" "$s" "$f" "$(awk -v f="$f" -v s="$s" "BEGIN{print f-s}")"
done
