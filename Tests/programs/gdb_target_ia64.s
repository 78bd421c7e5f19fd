// gdb_target_ia64.s -- the IA-64 program the gdb-multiarch tests debug (Tests/UmlabTests/
// Debugger.swift), assembled with -g: r14 counts 1..4 and r15 sums them through `addtwo`, a
// procedure with a register frame (its inputs are stacked registers). Exits with the sum, 10.
        .text
        .global _start
        .proc _start
_start:
        alloc r16 = ar.pfs, 0, 0, 2, 0
        mov r14 = 1
        mov r15 = 0
        ;;
.Lloop:
        mov out0 = r15
        mov out1 = r14
        br.call.sptk.many b0 = addtwo
        ;;
        mov r15 = r8
        adds r14 = 1, r14
        ;;
        cmp.ge p6, p7 = 4, r14
(p6)    br.cond.sptk.few .Lloop
        ;;
        mov out0 = r15
        mov r15 = 1236                  // exit_group
        ;;
        break.m 0x100000
        ;;
        .endp _start

        .proc addtwo
addtwo:
        alloc r17 = ar.pfs, 2, 0, 0, 0
        ;;
        add r8 = in0, in1
        br.ret.sptk.many b0
        ;;
        .endp addtwo
