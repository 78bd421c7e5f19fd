#!/bin/sh
# init.sh -- PID 1 of a UML guest booted by Benchmarks/uml/run.sh: runs one command and powers off.
# The command comes in UMLAB_CMD, its words separated by commas (UML passes KEY=VALUE
# parameters of its command line to init's environment, and appends its own words to init's
# arguments, so arguments cannot carry it).
# glibc's AVX string functions are turned off: UML 6.1 does not keep the ymm/zmm registers
# across a page fault here (it has fallen back to the legacy FP area, see xstate-eio.c).
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX_Fast_Unaligned_Load
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
# A tmpfs for scratch files on /dev/shm (devtmpfs is writable): /tmp stays the host's, read-only,
# so programs kept there stay visible.
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
export STUDY_TMPDIR=/dev/shm TMPDIR=/dev/shm
IFS=,
set -- $UMLAB_CMD
unset IFS
"$@"
echo "uml-status $?"
exec /bin/busybox poweroff -f
