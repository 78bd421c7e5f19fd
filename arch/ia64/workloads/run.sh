#!/bin/sh
# Build every IA-64 workload (GNU binutils for ia64), build the C twins natively with gcc,
# run each IA-64 binary under umlab and compare its stdout with the native C output.
#   UMLAB=/path/to/umlab ./run.sh          (default: /work/scratch/umlab-ia64-snapshot)
#   UMLAB_MODE=tt ./run.sh                 (isolation mode; default skas)
#   PPC=1 ./run.sh                         also build the C twins with powerpc-linux-gnu-gcc
#                                          -static, run them with qemu-ppc and compare (not
#                                          hostile.c: its raw calls assume a 64-bit kernel ABI)
#   ./run.sh NAME...                       only these workloads
set -u
cd "$(dirname "$0")"
UMLAB=${UMLAB:-/work/scratch/umlab-ia64-snapshot}
AS=${IA64_AS:-ia64-linux-gnu-as}
LD=${IA64_LD:-ia64-linux-gnu-ld}
CC=${CC:-gcc}
B=build
mkdir -p "$B"

WORKLOADS=${*:-"syscalls pipe forkwait files crc32 sieve recursion rotate xma predication signals hostile fdevents"}

# -x: explicit mode with dependency-violation checking (stops are exactly as written)
$AS -x -I . -o "$B/lib.o" lib.s || { echo "lib.s: assembly failed"; exit 1; }

pass=0 fail=0 failed=""
for w in $WORKLOADS; do
    ok=1
    if ! $AS -x -I . -o "$B/$w.o" "$w.s" 2>"$B/$w.as.log" || ! $LD -o "$B/$w" "$B/$w.o" "$B/lib.o"; then
        echo "FAIL $w: assembly/link (see $B/$w.as.log)"; ok=0
    elif grep -q -i warning "$B/$w.as.log"; then
        echo "note $w: assembler warnings (see $B/$w.as.log)"
    fi
    if [ $ok = 1 ] && ! $CC -O2 -o "$B/$w.native" "$w.c"; then
        echo "FAIL $w: native C build"; ok=0
    fi
    if [ $ok = 1 ]; then
        "$B/$w.native" >"$B/$w.expected" 2>"$B/$w.native.err"
        nrc=$?
        timeout 120 "$UMLAB" run ${UMLAB_MODE:+--mode "$UMLAB_MODE"} -- "$B/$w" >"$B/$w.out" 2>"$B/$w.err"
        rc=$?
        if [ $nrc != 0 ]; then
            echo "FAIL $w: native C exit status $nrc"; ok=0
        elif [ $rc != 0 ]; then
            echo "FAIL $w: umlab exit status $rc: $(head -c 300 "$B/$w.err")"; ok=0
        elif ! cmp -s "$B/$w.expected" "$B/$w.out"; then
            echo "FAIL $w: output differs from native C:"
            diff "$B/$w.expected" "$B/$w.out" | head -20 | sed 's/^/    /'
            ok=0
        fi
    fi
    if [ $ok = 1 ] && [ "${PPC:-0}" = 1 ] && [ $w != hostile ]; then
        if powerpc-linux-gnu-gcc -O2 -static -o "$B/$w.ppc" "$w.c" &&
           qemu-ppc "$B/$w.ppc" >"$B/$w.ppc.out" 2>/dev/null &&
           cmp -s "$B/$w.expected" "$B/$w.ppc.out"; then :; else
            echo "FAIL $w: PowerPC build of the C version disagrees with native"; ok=0
        fi
    fi
    if [ $ok = 1 ]; then
        echo "ok   $w"; pass=$((pass + 1))
    else
        fail=$((fail + 1)); failed="$failed $w"
    fi
done
echo "$pass passed, $fail failed${failed:+ (}${failed# }${failed:+)}"

# Known-bug reproducers (not counted above): bugs/NAME.s passes when its output equals
# bugs/NAME.expected (or, without one, when it exits 0).
if [ "${BUGS:-1}" = 1 ] && [ $# = 0 ]; then
    for s in bugs/*.s; do
        n=$(basename "$s" .s)
        $AS -x -o "$B/bug-$n.o" "$s" 2>/dev/null && $LD -o "$B/bug-$n" "$B/bug-$n.o" || { echo "bug  $n: build failed"; continue; }
        timeout 20 "$UMLAB" run -- "$B/bug-$n" >"$B/bug-$n.out" 2>"$B/bug-$n.err"
        rc=$?
        if [ -f "bugs/$n.expected" ]; then
            cmp -s "bugs/$n.expected" "$B/bug-$n.out" && [ $rc = 0 ] && r=fixed || r="still reproduces"
        else
            [ $rc = 0 ] && r=fixed || r="still reproduces"
        fi
        echo "bug  $n: $r"
    done
fi
[ $fail = 0 ]
