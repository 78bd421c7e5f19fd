#!/usr/bin/env python3
"""Regenerates Sources/PPCSyscallNumbers.swift from syscall.tbl (number<TAB>name per line).
syscall.tbl itself comes from the cross toolchain's Linux headers:
  grep -E '^#define __NR_' /usr/powerpc-linux-gnu/include/asm/unistd_32.h | awk '{sub("__NR_","",$2); print $3"\\t"$2}'
"""
import os
here = os.path.dirname(os.path.abspath(__file__))
rows = [l.split('\t') for l in open(os.path.join(here, 'syscall.tbl')).read().splitlines() if l.strip()]
out = ['// Generated from arch/powerpc/syscall.tbl (Linux uapi asm/unistd_32.h for 32-bit PowerPC).',
       '// Regenerate with: python3 arch/powerpc/gen_syscalls.py', '', 'enum PPCSyscallNumbers {',
       '    static let table: [(Int, String)] = [']
line = '       '
for n, name in rows:
    item = f' ({n}, "{name}"),'
    if len(line) + len(item) > 110:
        out.append(line)
        line = '       '
    line += item
out += [line, '    ]', '}', '']
open(os.path.join(here, 'Sources', 'PPCSyscallNumbers.swift'), 'w').write('\n'.join(out))
