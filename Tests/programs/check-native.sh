#!/bin/sh
# Sanity-check the differential test programs on the host (not under umlab):
#   - compile each with gcc -static -O2 -Wall -pthread (warnings are errors here)
#   - run twice natively: exit 0, identical stdout, last line "<name>: done"
#   - run once under strace -f (if installed): same stdout
#   - if powerpc-linux-gnu-gcc exists: cross-compile; if qemu-ppc exists,
#     run under it and diff against the native output (reported, not fatal)
# Usage: Tests/programs/check-native.sh [name ...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/umlab-t-check-XXXXXX)
trap 'rm -rf "$out"' EXIT
status=0
ulimit -c 0          # qemu-user would otherwise drop guest core files in the cwd
cd "$out" || exit 1

if [ $# -gt 0 ]; then names="$*"; else
    names=$(cd "$here" && ls *.c | sed 's/\.c$//')
fi

for n in $names; do
    src="$here/$n.c"
    if ! gcc -static -O2 -Wall -Werror -pthread -o "$out/$n" "$src" 2>"$out/$n.cc"; then
        echo "$n: COMPILE FAILED"; cat "$out/$n.cc"; status=1; continue
    fi
    "$out/$n" >"$out/$n.1" 2>"$out/$n.1e"; r1=$?
    "$out/$n" >"$out/$n.2" 2>"$out/$n.2e"; r2=$?
    if [ $r1 -ne 0 ] || [ $r2 -ne 0 ]; then
        echo "$n: exit status $r1/$r2"; grep FAIL "$out/$n.1" "$out/$n.2"; status=1
    elif ! cmp -s "$out/$n.1" "$out/$n.2"; then
        echo "$n: output differs between two native runs"; diff "$out/$n.1" "$out/$n.2"; status=1
    elif [ "$(tail -n 1 "$out/$n.1")" != "$n: done" ]; then
        echo "$n: last line is not '$n: done'"; status=1
    else
        echo "$n: native ok ($(wc -l <"$out/$n.1") lines)"
    fi
    if command -v strace >/dev/null 2>&1; then
        strace -f -o /dev/null "$out/$n" >"$out/$n.s" 2>&1; rs=$?
        if [ $rs -ne 0 ] || ! cmp -s "$out/$n.1" "$out/$n.s"; then
            echo "$n: differs under strace -f (exit $rs)"; diff "$out/$n.1" "$out/$n.s"; status=1
        fi
    fi
    if command -v powerpc-linux-gnu-gcc >/dev/null 2>&1; then
        if ! powerpc-linux-gnu-gcc -static -O2 -Wall -pthread -o "$out/$n.ppc" "$src" \
                2>"$out/$n.pcc"; then
            echo "$n: PPC COMPILE FAILED"; cat "$out/$n.pcc"; status=1
        elif command -v qemu-ppc >/dev/null 2>&1; then
            qemu-ppc "$out/$n.ppc" >"$out/$n.q" 2>"$out/$n.qe"; rq=$?
            if [ $rq -ne 0 ] || ! cmp -s "$out/$n.1" "$out/$n.q"; then
                echo "$n: qemu-ppc differs from native (exit $rq):"
                diff "$out/$n.1" "$out/$n.q" | sed 's/^/    /'
            else
                echo "$n: qemu-ppc identical"
            fi
        fi
    fi
done
exit $status
