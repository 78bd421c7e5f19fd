#!/bin/sh
# Runs the corpus under umlab instead of qemu-ppc and compares with the qemu reference.
#   sh run_umlab.sh [DIR] [UMLAB]     (default: corpus, the release build)
# UMLAB_RUN_OPTIONS: more options for `umlab run` (e.g. "--engine jit --jit-threshold 0").
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/corpus}
umlab=${2:-$here/../../../../.build/release/umlab}
shim=$(mktemp)
trap 'rm -f "$shim"' EXIT
# run_reference.sh calls "$QEMU -cpu CPU PROGRAM": drop the CPU, run the program under umlab.
printf '#!/bin/sh\nshift 2\nexec "%s" run %s -- "$@"\n' "$umlab" "${UMLAB_RUN_OPTIONS:-}" > "$shim"
chmod +x "$shim"
cp "$dir/MANIFEST.txt" "$dir/MANIFEST.txt.keep"
QEMU="$shim" sh "$here/run_reference.sh" "$dir" .umlab.bin >/dev/null
mv "$dir/MANIFEST.txt.keep" "$dir/MANIFEST.txt"
python3 "$here/compare.py" "$dir" "$dir" "$dir/MANIFEST.txt" --b-suffix .umlab.bin --allow-qemu-deviations
