// forkwait.s -- 100 x fork (clone(SIGCHLD)); child i exits with i & 0x7f; the parent waits for
// each child with wait4 and sums WEXITSTATUS(status) = (status >> 8) & 0xff (extr.u).
// Prints "forkwait: SUM" (4950).
        .include "lib.inc"
        .set COUNT, 100

        .section .rodata
.Llabel: .asciz "forkwait: "
.Lefork: .asciz "fork"
.Lewait: .asciz "wait4"
        .bss
        .align 8
status: .skip 8

        .text
        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 5, 5, 0
        mov loc1 = 0                    // i
        mov loc2 = 0                    // sum
        movl loc3 = status
        ;;
.Lloop:
        mov out0 = 17                   // SIGCHLD
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        cmp.ne p6, p0 = 0, r10
        cmp.eq p7, p0 = 0, r8
        mov loc4 = r8
        movl out0 = .Lefork
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
(p7)    and out0 = 0x7f, loc1           // child: exit(i & 0x7f)
(p7)    br.call.dpnt.many b0 = exit
        ;;
        mov out0 = loc4
        mov out1 = loc3
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        cmp.ne p6, p0 = r8, loc4
        movl out0 = .Lewait
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        ld4 r14 = [loc3]
        adds loc1 = 1, loc1
        ;;
        extr.u r14 = r14, 8, 8          // WEXITSTATUS
        ;;
        add loc2 = loc2, r14
        cmp.gt p9, p0 = COUNT, loc1
(p9)    br.cond.sptk .Lloop
        ;;
        movl out0 = .Llabel
        mov out1 = loc2
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
