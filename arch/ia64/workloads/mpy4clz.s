// mpy4clz.s -- the Itanium 9500 integer additions mpy4 and clz, against the manual's
// definitions: mpy4 r1 = r2, r3 multiplies the zero-extended low words (the high words are
// ignored), clz r1 = r3 counts the leading zero bits (64 for 0). Prints one "what: value" line
// per case; Tests/UmlabTests/IA64Core.swift checks the values (no C twin: x86-64 C has no
// mpy4, and run.sh compares with C twins only).
        .include "lib.inc"

        .section .rodata
.Lm1:   .asciz "mpy4 7*9: "
.Lm2:   .asciz "mpy4 max*max: "
.Lm3:   .asciz "mpy4 high words ignored: "
.Lc1:   .asciz "clz 2^32: "
.Lc2:   .asciz "clz 0: "
.Lc3:   .asciz "clz 1: "
.Lc4:   .asciz "clz -1: "
.Lc5:   .asciz "clz stacked: "

        .text
        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 4, 2, 0
        mov r14 = 7
        mov r15 = 9
        ;;
        mpy4 out1 = r14, r15
        movl out0 = .Lm1
        ;;
        CALL print_kv
        mov r14 = -1
        ;;
        zxt4 r14 = r14
        ;;
        mpy4 out1 = r14, r14
        movl out0 = .Lm2
        ;;
        CALL print_kv
        movl r14 = 0x123456700000003
        movl r15 = 0xfedcba9800000005
        ;;
        mpy4 out1 = r14, r15
        movl out0 = .Lm3
        ;;
        CALL print_kv
        movl r14 = 0x100000000
        ;;
        clz out1 = r14
        movl out0 = .Lc1
        ;;
        CALL print_kv
        mov r14 = 0
        ;;
        clz out1 = r14
        movl out0 = .Lc2
        ;;
        CALL print_kv
        mov r14 = 1
        ;;
        clz out1 = r14
        movl out0 = .Lc3
        ;;
        CALL print_kv
        mov r14 = -1
        ;;
        clz out1 = r14
        movl out0 = .Lc4
        ;;
        CALL print_kv
        movl loc1 = 0x80000
        ;;
        clz loc2 = loc1
        ;;
        mov out1 = loc2
        movl out0 = .Lc5
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
