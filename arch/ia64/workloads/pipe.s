// pipe.s -- pipe ping-pong between a parent and a forked child: 10000 round trips of one byte.
// The parent sends i & 0xff, the child answers byte+1; the parent counts correct answers,
// closes its write end (the child sees EOF and exits 0), waits for the child with wait4 and
// prints "pingpong: N".  pipe(2) on ia64 returns the two descriptors in r8 and r9.
        .include "lib.inc"
        .set ROUNDS, 10000

        .section .rodata
.Llabel: .asciz "pingpong: "
.Lebad:  .asciz "child exit status"
.Lepipe: .asciz "pipe"
.Lefork: .asciz "fork"
        .bss
        .align 8
buf:    .skip 8
status: .skip 8

        .text
        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 10, 6, 0
        // loc1/loc2 = parent->child pipe (read, write); loc3/loc4 = child->parent pipe
        SYSCALL SYS_pipe
        cmp.ne p6, p0 = 0, r10
        mov loc1 = r8
        mov loc2 = r9
        movl out0 = .Lepipe
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        SYSCALL SYS_pipe
        cmp.ne p6, p0 = 0, r10
        mov loc3 = r8
        mov loc4 = r9
        movl out0 = .Lepipe
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        // fork = clone(SIGCHLD, 0, 0, 0, 0)
        mov out0 = 17
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        cmp.ne p6, p0 = 0, r10
        cmp.eq p7, p8 = 0, r8           // p7: child
        mov loc5 = r8                   // pid
        movl out0 = .Lefork
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
(p7)    br.cond.dpnt .Lchild
        ;;
        // ---- parent ----
        mov out0 = loc1
        SYSCALL SYS_close
        mov out0 = loc4
        SYSCALL SYS_close
        mov loc6 = 0                    // i
        mov loc7 = 0                    // correct answers
        movl loc8 = buf
        ;;
.Lploop:
        zxt1 r14 = loc6
        ;;
        st1 [loc8] = r14
        mov out0 = loc2
        mov out1 = loc8
        mov out2 = 1
        SYSCALL SYS_write
        mov out0 = loc3
        mov out1 = loc8
        mov out2 = 1
        SYSCALL SYS_read
        ld1 r14 = [loc8]
        adds r15 = 1, loc6
        cmp.eq p6, p0 = 1, r8
        ;;
        zxt1 r15 = r15
        adds loc6 = 1, loc6
        ;;
(p6)    cmp.eq.and p6, p0 = r14, r15
        movl r16 = ROUNDS
        ;;
(p6)    adds loc7 = 1, loc7
        cmp.lt p9, p0 = loc6, r16
(p9)    br.cond.sptk .Lploop
        ;;
        mov out0 = loc2
        SYSCALL SYS_close
        mov out0 = loc5
        movl out1 = status
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        movl r14 = status
        ;;
        ld4 r14 = [r14]
        movl out0 = .Lebad
        ;;
        cmp4.ne p6, p0 = 0, r14
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        movl out0 = .Llabel
        mov out1 = loc7
        ;;
        CALL print_kv
        mov out0 = 0
        ;;
        CALL exit

        // ---- child: echo byte+1 until EOF ----
.Lchild:
        mov out0 = loc2
        SYSCALL SYS_close
        mov out0 = loc3
        SYSCALL SYS_close
        movl loc8 = buf
        ;;
.Lcloop:
        mov out0 = loc1
        mov out1 = loc8
        mov out2 = 1
        SYSCALL SYS_read
        cmp.ne p6, p0 = 1, r8
        ;;
(p6)    br.cond.dpnt .Lcdone
        ld1 r14 = [loc8]
        ;;
        adds r14 = 1, r14
        ;;
        st1 [loc8] = r14
        mov out0 = loc4
        mov out1 = loc8
        mov out2 = 1
        SYSCALL SYS_write
        br.sptk .Lcloop
        ;;
.Lcdone:
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
