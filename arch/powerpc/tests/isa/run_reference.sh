#!/bin/sh
# Build every DIR/*.s (powerpc-linux-gnu-as + ld, static ET_EXEC, no libc), run it
# under qemu-ppc with the CPU named in its header, store stdout as DIR/NAME.qemu.bin
# and regenerate DIR/MANIFEST.txt from the "#@" lines of the sources.
#
#   sh run_reference.sh DIR [SUFFIX]
#
# SUFFIX defaults to .qemu.bin (e.g. .qemu2.bin for a determinism re-run).
# Binaries go to DIR/build/ (ignored by git).  Environment: QEMU (default
# qemu-ppc), CROSS (default powerpc-linux-gnu-), JOBS (default: nproc).
set -eu
QEMU=${QEMU:-qemu-ppc}
CROSS=${CROSS:-powerpc-linux-gnu-}

if [ "${1:-}" = --one ]; then        # internal: build + run one source
    src=$2 dir=$3 suffix=$4
    name=$(basename "$src" .s)
    cpu=$(sed -n 's/^# name: .*cpu: \([^ ]*\) .*/\1/p' "$src" | head -n 1)
    case $cpu in
        750) asflag=-m750cl ;;
        7400) asflag=-m7400 ;;
        e500mc) asflag=-me500mc ;;
        *) asflag=-many ;;
    esac
    "${CROSS}as" -a32 -mbig -mregnames "$asflag" -o "$dir/build/$name.o" "$src"
    "${CROSS}ld" -static -o "$dir/build/$name" "$dir/build/$name.o"
    rc=0
    "$QEMU" -cpu "$cpu" "$dir/build/$name" > "$dir/$name$suffix" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "run_reference: $name exited with status $rc" >&2
        exit 1
    fi
    exit 0
fi

dir=${1:?usage: run_reference.sh DIR [SUFFIX]}
suffix=${2:-.qemu.bin}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
mkdir -p "$dir/build"
status=0
for s in "$dir"/*.s; do printf '%s\n' "$s"; done |
    xargs -P "$JOBS" -I{} sh "$0" --one {} "$dir" "$suffix" || status=1

{
    echo '# umlab PowerPC ISA corpus manifest: one line per case, tab separated:'
    echo '# program  case  qemu-cpu  ignore  instructions (";"-separated)'
    echo '# ignore: "-" or comma list of architecturally undefined state to skip:'
    echo '#   rN | fN (whole register) | fN.hi (FPR bits 0:31) | cr=MASK | fpscr=MASK (bits to skip)'
    echo '# record: 480 bytes per case, big-endian, see README.md'
    for s in "$dir"/*.s; do sed -n 's/^#@ //p' "$s"; done
} > "$dir/MANIFEST.txt"
n=$(ls "$dir"/*"$suffix" 2>/dev/null | wc -l)
echo "run_reference: $n dumps in $dir (suffix $suffix), status $status"
exit $status
