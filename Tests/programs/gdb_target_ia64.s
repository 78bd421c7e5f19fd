// gdb_target_ia64.s -- the IA-64 program the gdb-multiarch tests debug (Tests/UmlabTests/
// Debugger.swift), assembled with -g: r14 counts 1..4 and r15 sums them through `addtwo`, a
// procedure with a register frame (its inputs are stacked registers). Exits with the sum, 10.
// The unwind directives (.prologue, .save, .body) give it an .IA_64.unwind table; gdb-multiarch
// (built without libunwind-ia64) reads the prologue itself, which is why addtwo saves b0 in a
// local as compiled code does: gdb's prologue reader finds the return address there (`bt`,
// `finish`).
        .text
        .global _start
        .proc _start
_start:
        .prologue
        .save rp, r0                    // the outermost frame: no caller
        .body
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

        // The prologue as a compiler emits it: one source line (gdb reads no further than the
        // function's first line when it looks for where b0 went).
        .macro prologue_saving_rp
        .prologue
        .save ar.pfs, r17
        alloc r17 = ar.pfs, 2, 1, 0, 0
        .save rp, loc0
        mov loc0 = b0
        ;;
        .body
        .endm

        .proc addtwo
addtwo:
        prologue_saving_rp
        add r8 = in0, in1
        mov b0 = loc0
        ;;
        br.ret.sptk.many b0
        ;;
        .endp addtwo
