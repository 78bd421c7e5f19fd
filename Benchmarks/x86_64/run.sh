#!/usr/bin/env bash
# Build and run the x86-64 umlab benchmarks.
#
# For each workload: run it natively, under the bare PTRACE_SYSEMU tracer
# (single-process workloads only) and under umlab (`$UMLAB run -- prog args`),
# REPS times each, and report the median ns/iter as a markdown table on stdout.
# The same results go to build/results.json (and the table to build/results.md).
# Progress and diagnostics go to stderr.
#
# Environment:
#   UMLAB          emulator binary (default: <repo>/.build/release/umlab);
#                  if it does not exist, the umlab columns are "n/a"
#   REPS           repetitions per measurement, median is reported (default 5)
#   UMLAB_PIN      1 = also run umlab under `taskset -c 0` (default 0: umlab
#                  is expected to pin itself, like bare_sysemu does)
#   BENCH_ONLY     space-separated subset of workloads to run (default: all)
#   BENCH_TIMEOUT  per-run timeout in seconds (default 600)
#   BENCH_STRICT   1 = exit non-zero if an umlab run fails (default 0)
#   CC             C compiler (default gcc)
#   Workload sizes: GETPPID_ITERS (100000), FORKWAIT_ITERS (2000),
#     EXECWAIT_ITERS (500), PIPE_MIB (256), FILEREAD_ITERS (50),
#     FILEREAD_FILE (/bin/busybox), CLOCK_ITERS (1000000), LOCK_ITERS (200000),
#     PYLOCK_ITERS (20000), PINGPONG_ITERS (20000)
#   PYTHON         the python3 pylock8.py runs with (default /usr/bin/python3)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BUILD="$HERE/build"
UMLAB="${UMLAB:-$REPO/.build/release/umlab}"
REPS="${REPS:-5}"
UMLAB_PIN="${UMLAB_PIN:-0}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-600}"
BENCH_STRICT="${BENCH_STRICT:-0}"
CC="${CC:-gcc}"

GETPPID_ITERS="${GETPPID_ITERS:-100000}"
FORKWAIT_ITERS="${FORKWAIT_ITERS:-2000}"
EXECWAIT_ITERS="${EXECWAIT_ITERS:-500}"
PIPE_MIB="${PIPE_MIB:-256}"
FILEREAD_ITERS="${FILEREAD_ITERS:-50}"
FILEREAD_FILE="${FILEREAD_FILE:-/bin/busybox}"
CLOCK_ITERS="${CLOCK_ITERS:-1000000}"
LOCK_ITERS="${LOCK_ITERS:-200000}"
PYLOCK_ITERS="${PYLOCK_ITERS:-20000}"
PINGPONG_ITERS="${PINGPONG_ITERS:-20000}"
PYTHON="${PYTHON:-/usr/bin/python3}"

FAKE_PPID=424242   # must match FAKE_PPID in bare_sysemu.c
ALL_WORKLOADS=(getppid forkwait execwait pipe fileread clockgettime pingpong lock8 pylock8)
# Workloads built from a C file here (pylock8 is pylock8.py, run with $PYTHON).
C_WORKLOADS=(getppid forkwait execwait pipe fileread clockgettime pingpong lock8)
# Workloads the bare tracer can run (it does not follow fork()).
BARE_WORKLOADS=" getppid fileread "

log() { printf '%s\n' "$*" >&2; }

if ! [[ "$REPS" =~ ^[1-9][0-9]*$ ]]; then
    log "run.sh: REPS must be a positive integer"; exit 2
fi

# ---------------------------------------------------------------- build ----
mkdir -p "$BUILD"
[[ -f "$BUILD/.gitignore" ]] || printf '*\n' > "$BUILD/.gitignore"
log "== building into $BUILD"
for src in "${C_WORKLOADS[@]}" bare_sysemu; do
    "$CC" -static -O2 -Wall -Wextra -pthread -o "$BUILD/$src" "$HERE/$src.c"
done
cp "$HERE/pylock8.py" "$BUILD/pylock8.py"

workload_args() {
    case "$1" in
        getppid)  echo "$GETPPID_ITERS" ;;
        forkwait) echo "$FORKWAIT_ITERS" ;;
        execwait) echo "$EXECWAIT_ITERS" ;;
        pipe)     echo "$PIPE_MIB" ;;
        fileread) echo "$FILEREAD_ITERS $FILEREAD_FILE" ;;
        clockgettime) echo "$CLOCK_ITERS" ;;
        pingpong) echo "$PINGPONG_ITERS" ;;
        lock8)    echo "$LOCK_ITERS" ;;
        pylock8)  echo "$BUILD/pylock8.py $PYLOCK_ITERS" ;;
        *) log "unknown workload $1"; exit 2 ;;
    esac
}

if [[ -x "$UMLAB" && -f "$UMLAB" ]]; then
    HAVE_UMLAB=1
else
    HAVE_UMLAB=0
    log "== umlab binary $UMLAB not found: umlab columns will be n/a"
fi

NATIVE=(taskset -c 0)
BARE=(taskset -c 0 "$BUILD/bare_sysemu")
if [[ "$UMLAB_PIN" == 1 ]]; then
    UMLAB_CMD=(taskset -c 0 "$UMLAB" run --)
else
    UMLAB_CMD=("$UMLAB" run --)
fi

# run_once <cmd...>: sets RUN_NS to the ns_per_iter of the RESULT line, or
# returns 1 (with the tail of the output on stderr) if the run failed.
RUN_NS=""
run_once() {
    local out rc=0
    out="$(timeout "$BENCH_TIMEOUT" "$@" 2>&1)" || rc=$?
    RUN_NS="$(printf '%s\n' "$out" | grep -o 'RESULT name=.*' | tail -n1 |
              sed -n 's/.* ns_per_iter=\([0-9.eE+-]*\).*/\1/p')"
    if [[ $rc -ne 0 || -z "$RUN_NS" ]]; then
        log "   FAILED (exit $rc): $*"
        printf '%s\n' "$out" | tail -n 5 | sed 's/^/   | /' >&2
        RUN_NS=""
        return 1
    fi
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {
    if (NR % 2) printf "%.2f", a[(NR+1)/2]; else printf "%.2f", (a[NR/2]+a[NR/2+1])/2 }'; }
ratio() { if [[ "$1" =~ ^[0-9.]+$ && "$2" =~ ^[0-9.]+$ ]]; then
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a/b; else printf "n/a" }'
    else printf 'n/a'; fi; }
json_num() { if [[ "$1" =~ ^[0-9.]+$ ]]; then printf '%s' "$1"; else printf 'null'; fi; }
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
# pipe: one iteration = 64 KiB = 1/16 MiB, so MiB/s = 62.5e6 / ns_per_iter
mib_per_s() { if [[ "$1" =~ ^[0-9.]+$ ]]; then
    awk -v n="$1" 'BEGIN { printf "%.2f", 62500000/n }'; else printf 'null'; fi; }
json_arr() { local IFS=,; printf '[%s]' "$*"; }

FAILED_HARNESS=0
FAILED_UMLAB=0

# ---------------------------------------------------------------- check ----
# The bare tracer must really emulate getppid (both the phase-1 switch-over
# call and the steady-state SYSEMU path return the fake ppid).
log "== checking that bare_sysemu emulates getppid"
native_check="$("${NATIVE[@]}" "$BUILD/getppid" check)"
bare_check="$("${BARE[@]}" "$BUILD/getppid" check)"
log "   native: $native_check"
log "   bare:   $bare_check"
if [[ "$bare_check" != *"first=$FAKE_PPID second=$FAKE_PPID"* ||
      "$native_check" == *"=$FAKE_PPID"* ]]; then
    log "run.sh: bare_sysemu does not emulate getppid as expected"; exit 1
fi
umlab_check="n/a"
if [[ $HAVE_UMLAB == 1 ]]; then
    umlab_check="$(timeout "$BENCH_TIMEOUT" "${UMLAB_CMD[@]}" "$BUILD/getppid" check 2>&1 |
                   grep -o 'CHECK .*' | tail -n1)" || true
    [[ -n "$umlab_check" ]] || umlab_check="error"
    log "   umlab:  $umlab_check"
fi

# ------------------------------------------------------------- measure ----
WORKLOADS=("${ALL_WORKLOADS[@]}")
if [[ -n "${BENCH_ONLY:-}" ]]; then read -r -a WORKLOADS <<< "$BENCH_ONLY"; fi

TABLE="| workload | native ns/iter | bare tracer ns/iter | umlab ns/iter | umlab/native | umlab/bare |
|---|---:|---:|---:|---:|---:|"
JSON_ROWS=()

for w in "${WORKLOADS[@]}"; do
    read -r -a args <<< "$(workload_args "$w")"
    prog="$BUILD/$w"
    [[ $w == pylock8 ]] && prog="$PYTHON"
    do_bare=0; [[ "$BARE_WORKLOADS" == *" $w "* ]] && do_bare=1
    nat=(); bare=(); um=()
    nat_err=0; bare_err=0; um_err=0
    log "== $w ${args[*]} (REPS=$REPS)"
    for ((i = 1; i <= REPS; i++)); do
        if run_once "${NATIVE[@]}" "$prog" "${args[@]}"; then nat+=("$RUN_NS"); else nat_err=1; fi
        if [[ $do_bare == 1 ]]; then
            if run_once "${BARE[@]}" "$prog" "${args[@]}"; then bare+=("$RUN_NS"); else bare_err=1; fi
        fi
        if [[ $HAVE_UMLAB == 1 && $um_err == 0 ]]; then
            if run_once "${UMLAB_CMD[@]}" "$prog" "${args[@]}"; then um+=("$RUN_NS"); else um_err=1; fi
        fi
        log "   rep $i: native=${nat[*]: -1} bare=${bare[*]: -1} umlab=${um[*]: -1}"
    done

    nat_med="error"; bare_med="n/a"; um_med="n/a"
    [[ $nat_err == 0 ]] && nat_med="$(median "${nat[@]}")"
    if [[ $do_bare == 1 ]]; then
        bare_med="error"; [[ $bare_err == 0 ]] && bare_med="$(median "${bare[@]}")"
    fi
    if [[ $HAVE_UMLAB == 1 ]]; then
        um_med="error"; [[ $um_err == 0 ]] && um_med="$(median "${um[@]}")"
    fi
    [[ $nat_err == 0 && $bare_err == 0 ]] || FAILED_HARNESS=1
    [[ $um_err == 0 ]] || FAILED_UMLAB=1

    r_nat="$(ratio "$um_med" "$nat_med")"
    r_bare="$(ratio "$um_med" "$bare_med")"
    TABLE+=$'\n'"| $w | $nat_med | $bare_med | $um_med | $r_nat | $r_bare |"

    extra=""
    if [[ $w == pipe ]]; then
        extra=", \"mib_per_s\": {\"native\": $(mib_per_s "$nat_med"), \"umlab\": $(mib_per_s "$um_med")}"
    fi
    JSON_ROWS+=("    {\"name\": $(json_str "$w"), \"args\": $(json_str "${args[*]}"),
      \"native_ns_per_iter\": $(json_num "$nat_med"), \"bare_ns_per_iter\": $(json_num "$bare_med"), \"umlab_ns_per_iter\": $(json_num "$um_med"),
      \"umlab_over_native\": $(json_num "$r_nat"), \"umlab_over_bare\": $(json_num "$r_bare"),
      \"samples\": {\"native\": $(json_arr ${nat[@]+"${nat[@]}"}), \"bare\": $(json_arr ${bare[@]+"${bare[@]}"}), \"umlab\": $(json_arr ${um[@]+"${um[@]}"})}$extra}")
done

# -------------------------------------------------------------- report ----
{
    printf '{\n'
    printf '  "date": %s,\n' "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
    printf '  "kernel": %s,\n' "$(json_str "$(uname -r)")"
    printf '  "cpu": %s,\n' "$(json_str "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)")"
    printf '  "reps": %s,\n  "statistic": "median",\n' "$REPS"
    printf '  "umlab": %s,\n  "umlab_available": %s,\n  "umlab_pinned": %s,\n' \
        "$(json_str "$UMLAB")" "$([[ $HAVE_UMLAB == 1 ]] && echo true || echo false)" \
        "$([[ $UMLAB_PIN == 1 ]] && echo true || echo false)"
    printf '  "getppid_check": {"native": %s, "bare": %s, "umlab": %s, "fake_ppid": %s},\n' \
        "$(json_str "$native_check")" "$(json_str "$bare_check")" "$(json_str "$umlab_check")" "$FAKE_PPID"
    printf '  "workloads": [\n'
    for ((i = 0; i < ${#JSON_ROWS[@]}; i++)); do
        printf '%s' "${JSON_ROWS[$i]}"
        if (( i + 1 < ${#JSON_ROWS[@]} )); then printf ',\n'; else printf '\n'; fi
    done
    printf '  ]\n}\n'
} > "$BUILD/results.json"
printf '%s\n' "$TABLE" > "$BUILD/results.md"
log "== results: $BUILD/results.json, $BUILD/results.md"

printf '%s\n' "$TABLE"

if [[ $FAILED_HARNESS == 1 ]]; then
    log "run.sh: native or bare-tracer runs failed"; exit 1
fi
if [[ $FAILED_UMLAB == 1 ]]; then
    log "run.sh: some umlab runs failed (shown as 'error')"
    [[ $BENCH_STRICT == 1 ]] && exit 1
fi
exit 0
