#!/bin/sh
# run.sh PROGRAM [ARG...] -- runs one program inside Linux's own User-mode Linux (Debian's
# user-mode-linux, UML 6.1, SKAS0) and exits with the program's status.
#
# The guest's root is the host's / through hostfs, read-only, with a tmpfs on /dev/shm
# (STUDY_TMPDIR and TMPDIR point there); the console is this process's stdout. Two
# workarounds for this machine (see README.md): xstate-eio.c (LD_PRELOAD) and glibc's AVX
# functions off in the guest (init.sh). Arguments must not contain
# commas or spaces (they travel on UML's command line).
#   UML=/usr/bin/linux.uml  UML_MEM=256M  UML_BUILD=<dir for the shim and UML's umid files>
set -eu
here=$(cd "$(dirname "$0")" && pwd)
uml=${UML:-/usr/bin/linux.uml}
build=${UML_BUILD:-$here/build}
[ -x "$uml" ] || { echo "run.sh: $uml not found (apt-get install user-mode-linux)" >&2; exit 127; }
[ $# -ge 1 ] || { echo "usage: run.sh PROGRAM [ARG...]" >&2; exit 2; }
mkdir -p "$build/uml"
shim=$build/xstate-eio.so
if [ ! -f "$shim" ] || [ "$here/xstate-eio.c" -nt "$shim" ]; then
    gcc -O2 -shared -fPIC -o "$shim" "$here/xstate-eio.c" -ldl
fi
cmd=$(printf '%s,' "$@"); cmd=${cmd%,}
case "$cmd" in *" "*) echo "run.sh: arguments must not contain spaces" >&2; exit 2 ;; esac
out=$(LD_PRELOAD=$shim "$uml" mem="${UML_MEM:-256M}" quiet uml_dir="$build/uml" \
      rootfstype=hostfs rootflags=/ ro init="$here/init.sh" con0=fd:0,fd:1 con=null \
      UMLAB_CMD="$cmd" </dev/null 2>&1 | tr -d '\r')
# The guest's own lines, without the kernel's boot messages (which quiet mostly silences).
printf '%s\n' "$out" | grep -v -e '^SELinux:' -e '^mmapper_init' -e '^Failed to initialize ubd' -e '^reboot:' -e '^uml-status ' || true
status=$(printf '%s\n' "$out" | sed -n 's/^uml-status //p' | tail -1)
[ -n "$status" ] || { echo "run.sh: the guest did not finish (UML output above)" >&2; exit 125; }
exit "$status"
