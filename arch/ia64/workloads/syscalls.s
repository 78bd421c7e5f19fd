// syscalls.s -- N getppid system calls in a tight loop (break.m 0x100000, r15 = 1042).
// Counts the calls whose result is a valid pid (r10 == 0 and r8 > 0); prints "syscalls: N".
        .include "lib.inc"
        .set N, 100000

        .section .rodata
.Llabel: .asciz "syscalls: "

        .text
        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 3, 2, 0
        movl loc1 = N                   // remaining
        mov loc2 = 0                    // successful calls
        ;;
.Lloop:
        mov r15 = SYS_getppid
        ;;
        break.m 0x100000
        ;;
        cmp.eq p7, p0 = 0, r10          // no error ...
        adds loc1 = -1, loc1
        ;;
        cmp.lt.and p7, p0 = r0, r8      // ... and pid > 0 (parallel and-compare)
        ;;
(p7)    adds loc2 = 1, loc2
        cmp.ne p8, p0 = 0, loc1
(p8)    br.cond.sptk .Lloop
        ;;
        movl out0 = .Llabel
        mov out1 = loc2
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
