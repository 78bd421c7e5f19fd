// fdevents.s -- event descriptors: an eventfd (counter, EAGAIN when empty) watched by epoll,
// a timerfd (one-shot read, a periodic timer through epoll, expirations counted after a
// nanosleep, timerfd_gettime) and a signalfd read of a blocked SIGUSR1.  Prints what
// fdevents.c prints.  IA-64's struct epoll_event is not packed: data at offset 8.
        .include "lib.inc"
        .set SYS_rt_sigprocmask, 1179
        .set SYS_epoll_ctl,       1244
        .set SYS_epoll_wait,      1245
        .set SYS_timerfd_create,  1310
        .set SYS_timerfd_settime, 1311
        .set SYS_timerfd_gettime, 1312
        .set SYS_signalfd4,       1313
        .set SYS_eventfd2,        1314
        .set SYS_epoll_create1,   1315
        .set O_NONBLOCK, 0x800

        // Fails with `msg` when the last system call did (r10 = -1).
        .macro FAILIF msg
        cmp.ne p6, p0 = 0, r10
        movl out0 = \msg
        ;;
(p6)    br.call.sptk.many b0 = fail
        ;;
        .endm

        // read/write(fd, buf, 8)
        .macro IO8 nr, fd, buf
        mov out0 = \fd
        mov out1 = \buf
        mov out2 = 8
        SYSCALL \nr
        .endm

        // print_kv(label, value register)
        .macro KV label, value
        mov out1 = \value
        movl out0 = \label
        ;;
        CALL print_kv
        .endm

        .section .rodata
.Leventfd: .asciz "eventfd: "
.Lempty:   .asciz "eventfd empty errno: "
.Lidle:    .asciz "epoll idle: "
.Levents:  .asciz "epoll events: "
.Lmask:    .asciz "epoll mask: "
.Ldata:    .asciz "epoll data: "
.Loneshot: .asciz "timerfd one-shot: "
.Ltepoll:  .asciz "timerfd epoll: "
.Ltdata:   .asciz "timerfd data: "
.Lperiod:  .asciz "timerfd periodic >= 4: "
.Linterv:  .asciz "timerfd interval ns: "
.Lsbytes:  .asciz "signalfd bytes: "
.Lsigno:   .asciz "signalfd signo: "
.Ldone:    .asciz "fdevents: done\n"
.Lfefd:    .asciz "eventfd"
.Lfio:     .asciz "eventfd io"
.Lfep:     .asciz "epoll"
.Lftfd:    .asciz "timerfd"
.Lfsfd:    .asciz "signalfd"
        .bss
        .align 16
val:    .skip 8
ev:     .skip 16
out:    .skip 64
its:    .skip 32
cur:    .skip 32
ts:     .skip 16
mask:   .skip 8
si:     .skip 128

        .text
        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 12, 6, 0
        // loc1 eventfd, loc2 epoll, loc3 timerfd, loc4 &val, loc5 &ev, loc6 &out, loc7 &its
        movl loc4 = val
        movl loc5 = ev
        movl loc6 = out
        movl loc7 = its
        ;;
        mov out0 = 5
        mov out1 = O_NONBLOCK
        SYSCALL SYS_eventfd2
        mov loc1 = r8
        FAILIF .Lfefd
        mov r14 = 2
        ;;
        st8 [loc4] = r14
        IO8 SYS_write, loc1, loc4
        FAILIF .Lfio
        IO8 SYS_read, loc1, loc4
        FAILIF .Lfio
        ld8 r14 = [loc4]
        ;;
        KV .Leventfd, r14
        IO8 SYS_read, loc1, loc4        // empty: r10 = -1, r8 = EAGAIN
        KV .Lempty, r8

        // epoll of the eventfd: { EPOLLIN, data 42 }
        mov out0 = 0
        SYSCALL SYS_epoll_create1
        mov loc2 = r8
        FAILIF .Lfep
        mov r14 = 1
        mov r16 = 42
        adds r17 = 8, loc5
        ;;
        st4 [loc5] = r14
        st8 [r17] = r16
        mov out0 = loc2
        mov out1 = 1                    // EPOLL_CTL_ADD
        mov out2 = loc1
        mov out3 = loc5
        SYSCALL SYS_epoll_ctl
        FAILIF .Lfep
        mov out0 = loc2
        mov out1 = loc6
        mov out2 = 4
        mov out3 = 0
        SYSCALL SYS_epoll_wait
        KV .Lidle, r8
        mov r14 = 1
        ;;
        st8 [loc4] = r14
        IO8 SYS_write, loc1, loc4
        FAILIF .Lfio
        mov out0 = loc2
        mov out1 = loc6
        mov out2 = 4
        mov out3 = -1
        SYSCALL SYS_epoll_wait
        KV .Levents, r8
        ld4 r14 = [loc6]
        ;;
        KV .Lmask, r14
        adds r14 = 8, loc6
        ;;
        ld8 r14 = [r14]
        ;;
        KV .Ldata, r14
        IO8 SYS_read, loc1, loc4        // drain the eventfd
        FAILIF .Lfio

        // timerfd: one-shot in 1 ms, blocking read
        mov out0 = 1                    // CLOCK_MONOTONIC
        mov out1 = 0
        SYSCALL SYS_timerfd_create
        mov loc3 = r8
        FAILIF .Lftfd
        adds r14 = 8, loc7
        adds r15 = 16, loc7
        adds r16 = 24, loc7
        movl r17 = 1000000
        ;;
        st8 [loc7] = r0                 // it_interval = { 0, 0 }
        st8 [r14] = r0
        st8 [r15] = r0                  // it_value = { 0, 1000000 }
        st8 [r16] = r17
        mov out0 = loc3
        mov out1 = 0
        mov out2 = loc7
        mov out3 = 0
        SYSCALL SYS_timerfd_settime
        FAILIF .Lftfd
        IO8 SYS_read, loc3, loc4
        FAILIF .Lftfd
        ld8 r14 = [loc4]
        ;;
        KV .Loneshot, r14

        // periodic (1 ms) through epoll, data 7
        mov r16 = 7
        adds r17 = 8, loc5
        ;;
        st8 [r17] = r16
        mov out0 = loc2
        mov out1 = 1
        mov out2 = loc3
        mov out3 = loc5
        SYSCALL SYS_epoll_ctl
        FAILIF .Lfep
        adds r14 = 8, loc7
        movl r17 = 1000000
        ;;
        st8 [r14] = r17                 // it_interval.tv_nsec
        mov out0 = loc3
        mov out1 = 0
        mov out2 = loc7
        mov out3 = 0
        SYSCALL SYS_timerfd_settime
        FAILIF .Lftfd
        mov out0 = loc2
        mov out1 = loc6
        mov out2 = 4
        mov out3 = -1
        SYSCALL SYS_epoll_wait
        KV .Ltepoll, r8
        adds r14 = 8, loc6
        ;;
        ld8 r14 = [r14]
        ;;
        KV .Ltdata, r14
        // nanosleep 5 ms, then at least 4 expirations
        movl r14 = ts
        movl r16 = 5000000
        ;;
        adds r15 = 8, r14
        st8 [r14] = r0
        ;;
        st8 [r15] = r16
        mov out0 = r14
        mov out1 = 0
        SYSCALL SYS_nanosleep
        IO8 SYS_read, loc3, loc4
        FAILIF .Lftfd
        ld8 r14 = [loc4]
        ;;
        cmp.geu p6, p7 = 3, r14         // p7: ticks >= 4
        ;;
(p6)    mov r14 = 0
(p7)    mov r14 = 1
        ;;
        KV .Lperiod, r14
        mov out0 = loc3
        movl out1 = cur
        SYSCALL SYS_timerfd_gettime
        FAILIF .Lftfd
        movl r14 = cur + 8              // it_interval.tv_nsec
        ;;
        ld8 r14 = [r14]
        ;;
        KV .Linterv, r14

        // signalfd of a blocked SIGUSR1
        movl r14 = mask
        mov r16 = 0x200                 // bit 9: SIGUSR1
        ;;
        st8 [r14] = r16
        mov out0 = 0                    // SIG_BLOCK
        mov out1 = r14
        mov out2 = 0
        mov out3 = 8
        SYSCALL SYS_rt_sigprocmask
        FAILIF .Lfsfd
        mov out0 = -1
        movl out1 = mask
        mov out2 = 8
        mov out3 = O_NONBLOCK
        SYSCALL SYS_signalfd4
        mov loc8 = r8
        FAILIF .Lfsfd
        SYSCALL SYS_getpid
        mov out0 = r8
        mov out1 = 10
        SYSCALL SYS_kill
        FAILIF .Lfsfd
        mov out0 = loc8
        movl out1 = si
        mov out2 = 128
        SYSCALL SYS_read
        KV .Lsbytes, r8
        movl r14 = si
        ;;
        ld4 r14 = [r14]                 // ssi_signo
        ;;
        KV .Lsigno, r14
        movl out0 = .Ldone
        ;;
        CALL print_str
        mov out0 = 0
        ;;
        CALL exit
        .endp _start
