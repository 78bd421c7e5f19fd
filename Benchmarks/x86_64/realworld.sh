#!/usr/bin/env bash
# File-heavy real workloads, native and under umlab (x86-64), in one run.
#
# Each workload is a whole command, timed from outside (wall clock, umlab's own start-up
# included): natively (pinned with `taskset -c 0`, as umlab pins itself and its guests), under
# $UMLAB, and under $UMLAB_BASE when given (e.g. a release build of main, for a before/after in
# the same run). Runs are interleaved (native, base, umlab, native, ...) so that load from other
# processes hits all columns alike; the table reports medians of REPS runs in milliseconds, wall
# clock and (in parentheses) CPU time, user + system of the command and all it waited for
# (less sensitive to other load than wall time on a busy machine), and the ratios against native. Output: a markdown table on stdout and in build/realworld.md;
# progress on stderr.
#
# Workloads:
#   find     find /usr -xdev | wc -l         (the hostfs path walk: newfstatat, openat, getdents64)
#   true     /bin/true                       (umlab's fixed start-up cost, for reading the others)
#   py-pass  python3 -c pass                 (interpreter start-up: ~600 stats, ~130 opens)
#   py-json  python3 -c 'import json, asyncio'
#   git-status, git-log   git status / git log -20 in a shallow clone of this repository
#                         (made once under build/, which the guest sees through the read-only root)
#
# Environment:
#   UMLAB        emulator (default: <repo>/.build/release/umlab)
#   UMLAB_BASE   a second emulator to compare (default: none)
#   UMLAB_ARGS   extra `umlab run` options (e.g. "--mode seccomp")
#   REPS         runs per measurement (default 5; the median is reported)
#   BENCH_ONLY   space-separated subset of the workloads
#   PYTHON       the interpreter (default /usr/bin/python3: not a pyenv shim, whose bash
#                start-up would be measured instead)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BUILD="$HERE/build"
UMLAB="${UMLAB:-$REPO/.build/release/umlab}"
UMLAB_BASE="${UMLAB_BASE:-}"
read -r -a UMLAB_ARGS <<< "${UMLAB_ARGS:-}"
REPS="${REPS:-5}"
PYTHON="${PYTHON:-/usr/bin/python3}"
ALL=(find true py-pass py-json git-status git-log)
read -r -a WORKLOADS <<< "${BENCH_ONLY:-${ALL[*]}}"

log() { printf '%s\n' "$*" >&2; }
[[ -x "$UMLAB" ]] || { log "realworld.sh: no umlab binary at $UMLAB"; exit 2; }

mkdir -p "$BUILD"
[[ -f "$BUILD/.gitignore" ]] || printf '*\n' > "$BUILD/.gitignore"
REPO_COPY="$BUILD/git-repo"
if [[ ! -d "$REPO_COPY/.git" ]]; then
    log "== cloning a small repository into $REPO_COPY"
    git clone -q --depth 1 "file://$REPO" "$REPO_COPY"
fi

# The command of each workload, as argv (run natively and as `umlab run -- argv`).
workload() {
    case "$1" in
        find)       CMD=(/bin/sh -c 'find /usr -xdev | wc -l') ;;
        true)       CMD=(/bin/true) ;;
        py-pass)    CMD=("$PYTHON" -c pass) ;;
        py-json)    CMD=("$PYTHON" -c 'import json, asyncio') ;;
        git-status) CMD=(/usr/bin/git -C "$REPO_COPY" status --porcelain) ;;
        git-log)    CMD=(/usr/bin/git -C "$REPO_COPY" log -20 --stat) ;;
        *) log "unknown workload $1"; exit 2 ;;
    esac
}

# timed <cmd...>: one run's wall and CPU (user + system, the command and every process it
# waited for: umlab's guests too) milliseconds in MS and CPU; fails if the command does.
timed() {
    local out
    out=$(/usr/bin/python3 -c '
import os, subprocess, sys, time
t0 = time.monotonic_ns()
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "w"))
_, status, ru = os.wait4(p.pid, 0)
t1 = time.monotonic_ns()
print("%.1f %.1f %d" % ((t1 - t0) / 1e6, (ru.ru_utime + ru.ru_stime) * 1e3, status))
' "$BUILD/realworld.err" "$@")
    read -r MS CPU status <<< "$out"
    if [[ "$status" != 0 ]]; then log "   FAILED: $*"; tail -n 3 "$BUILD/realworld.err" >&2; return 1; fi
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {
    if (NR % 2) printf "%.1f", a[(NR+1)/2]; else printf "%.1f", (a[NR/2]+a[NR/2+1])/2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a/b; else printf "n/a" }'; }

if [[ -n "$UMLAB_BASE" ]]; then
    TABLE="| workload | native ms (cpu) | base ms (cpu) | base/native wall (cpu) | umlab ms (cpu) | umlab/native wall (cpu) | umlab/base wall (cpu) |
|---|---:|---:|---:|---:|---:|---:|"
else
    TABLE="| workload | native ms (cpu) | umlab ms (cpu) | umlab/native wall (cpu) |
|---|---:|---:|---:|"
fi

for w in "${WORKLOADS[@]}"; do
    workload "$w"
    nat=(); base=(); um=(); natc=(); basec=(); umc=()
    log "== $w: ${CMD[*]} (REPS=$REPS)"
    # One untimed run of each first: the host's page and dentry caches are warm for all.
    "${CMD[@]}" > /dev/null 2>&1 || true
    "$UMLAB" run "${UMLAB_ARGS[@]}" -- "${CMD[@]}" > /dev/null 2>&1 || true
    for ((i = 1; i <= REPS; i++)); do
        timed taskset -c 0 "${CMD[@]}"; nat+=("$MS"); natc+=("$CPU")
        if [[ -n "$UMLAB_BASE" ]]; then
            timed "$UMLAB_BASE" run "${UMLAB_ARGS[@]}" -- "${CMD[@]}"; base+=("$MS"); basec+=("$CPU")
        fi
        timed "$UMLAB" run "${UMLAB_ARGS[@]}" -- "${CMD[@]}"; um+=("$MS"); umc+=("$CPU")
        log "   rep $i: native=${nat[*]: -1} (${natc[*]: -1}) base=${base[*]: -1} (${basec[*]: -1}) umlab=${um[*]: -1} (${umc[*]: -1})"
    done
    n=$(median "${nat[@]}"); u=$(median "${um[@]}"); nc=$(median "${natc[@]}"); uc=$(median "${umc[@]}")
    if [[ -n "$UMLAB_BASE" ]]; then
        b=$(median "${base[@]}"); bc=$(median "${basec[@]}")
        TABLE+=$'\n'"| $w | $n ($nc) | $b ($bc) | $(ratio "$b" "$n")× ($(ratio "$bc" "$nc")×) | $u ($uc) | $(ratio "$u" "$n")× ($(ratio "$uc" "$nc")×) | $(ratio "$u" "$b")× ($(ratio "$uc" "$bc")×) |"
    else
        TABLE+=$'\n'"| $w | $n ($nc) | $u ($uc) | $(ratio "$u" "$n")× ($(ratio "$uc" "$nc")×) |"
    fi
done

printf '%s\n' "$TABLE" | tee "$BUILD/realworld.md"
