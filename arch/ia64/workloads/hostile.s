// hostile.s -- system calls with the arguments an attacker picks, each result printed as
// "what: =value" or "what: ERRNO" (the format of Tests/programs/hostile_calls.c, whose calls
// this is the IA-64 subset of).  Lengths that page-align past 2^64, timeouts of LONG_MAX
// seconds, pids of INT_MIN, signal numbers 0, 65 and -1, exit signals past the last signal,
// file positions near 2^63.  Each of these once made umlab trap, or could have; hostile.c
// prints the same lines natively, so only calls whose answer Linux gives the same on x86-64
// and IA-64 are here (no alarm, clone3 or sigaltstack sizes: IA-64 lacks the first two and its
// MINSIGSTKSZ is 128 KiB).  Pids, addresses and times never appear in the output.  Before the
// hardening sweep (f54a511) umlab trapped on 20 of these calls (README.md lists them).
        .include "lib.inc"

        .set SYS_brk,             1060
        .set SYS_select,          1089
        .set SYS_poll,            1090
        .set SYS_gettid,          1105
        .set SYS_setitimer,       1118
        .set SYS_getitimer,       1119
        .set SYS_readv,           1146
        .set SYS_writev,          1147
        .set SYS_pread64,         1148
        .set SYS_pwrite64,        1149
        .set SYS_mmap,            1151
        .set SYS_munmap,          1152
        .set SYS_mprotect,        1155
        .set SYS_mremap,          1156
        .set SYS_rt_sigaction,    1177
        .set SYS_rt_sigprocmask,  1179
        .set SYS_rt_sigtimedwait, 1183
        .set SYS_getcwd,          1184
        .set SYS_madvise,         1209
        .set SYS_tkill,           1229
        .set SYS_futex,           1230
        .set SYS_tgkill,          1235
        .set SYS_clock_nanosleep, 1256
        .set SYS_waitid,          1270
        .set SYS_pselect6,        1294
        .set SYS_ppoll,           1295
        .set SYS_prlimit64,       1325

        .set LONG_MAX, 0x7fffffffffffffff
        .set LONG_MIN, 0x8000000000000000
        .set INT_MAX,  0x7fffffff
        .set INT_MIN,  -0x80000000      // as a C int argument arrives: sign-extended
        .set SIGKILL,  9
        .set SIGUSR1,  10
        .set SIGCHLD,  17
        .set WALL,     0x40000000       // __WALL
        .set PRIVATE_ANON, 0x22         // MAP_PRIVATE | MAP_ANONYMOUS

// PUT2 addr, a, b: store the 64-bit words a and b (constants or symbols) at addr, addr + 8
// (a timespec, a timeval, an iovec, half an itimerval).
        .macro PUT2 addr, a, b
        movl r14 = \addr
        movl r16 = \a
        movl r17 = \b
        ;;
        st8 [r14] = r16, 8
        ;;
        st8 [r14] = r17
        ;;
        .endm

// FDSET fd: the fd_set at fdset holds fd alone (fd < 64: the call reads only word 0).
        .macro FDSET fd
        movl r14 = fdset
        mov r16 = 1
        ;;
        shl r16 = r16, \fd
        ;;
        st8 [r14] = r16
        ;;
        .endm

// FAILIF "what": after a SYSCALL, fail("what") when it returned an error.
        .macro FAILIF what
        .pushsection .rodata
.Lfail\@: .asciz "\what"
        .popsection
        cmp.ne p6, p0 = 0, r10
        movl out0 = .Lfail\@
        ;;
(p6)    br.call.spnt.many b0 = fail
        ;;
        .endm

        .section .rodata
path:     .asciz "/tmp/ia64-hostile.txt"
.Lx:      .asciz "x"
.Ldata:   .asciz "data"
.Ldone:   .asciz "hostile: done\n"
.Lpage:   .asciz "page after MADV_DONTNEED: "
.Lslept1: .asciz "LONG_MAX nanosleep killed by signal: "
.Lslept2: .asciz "LONG_MAX clock_nanosleep killed by signal: "
.Lstatus: .asciz "exit status: "

        .bss
        .align 16
fdset:  .skip 128
tv:     .skip 16                        // struct timeval / timespec
forever: .skip 16
pfd:    .skip 8                         // struct pollfd
status: .skip 16
word:   .skip 16                        // a futex word
sigset: .skip 16
act:    .skip 64                        // rt_sigaction's old action
itv:    .skip 32                        // struct itimerval (interval, value)
oitv:   .skip 32
iov:    .skip 16
negiov: .skip 16
buf:    .skip 64

        .text
        .global _start
        .proc _start
_start:
        alloc loc0 = ar.pfs, 0, 1, 1, 0
        ;;
        CALL memory_calls
        CALL timeouts
        CALL signal_calls
        CALL process_calls
        CALL file_calls
        movl out0 = .Ldone
        ;;
        CALL print_str
        mov out0 = 0
        ;;
        CALL exit
        .endp _start

// madvise, brk, mmap, munmap, mprotect and mremap with lengths that page-align to 0 or reach
// past every user range (loc2 = an 8 KiB anonymous mapping, loc3 = the initial break).
        .proc memory_calls
memory_calls:
        alloc loc0 = ar.pfs, 0, 4, 6, 0
        mov loc1 = b0
        mov out0 = 0
        mov out1 = 8192
        mov out2 = 3                    // PROT_READ | PROT_WRITE
        mov out3 = PRIVATE_ANON
        mov out4 = -1
        mov out5 = 0
        SYSCALL SYS_mmap
        mov loc2 = r8
        FAILIF "mmap"

        mov out0 = 0
        mov out1 = -1
        mov out2 = 0
        SYSCALL SYS_madvise
        SHOW "madvise(0, -1, 0)"
        mov out0 = 0
        mov out1 = -1
        mov out2 = 4                    // MADV_DONTNEED
        SYSCALL SYS_madvise
        SHOW "madvise(0, -1, MADV_DONTNEED)"
        mov out0 = 0
        mov out1 = 0
        mov out2 = 0
        SYSCALL SYS_madvise
        SHOW "madvise(0, 0, 0)"
        mov out0 = 0
        mov out1 = 4096
        mov out2 = 0
        SYSCALL SYS_madvise
        SHOW "madvise(0, 4096, 0)"
        mov out0 = loc2
        mov out1 = 4096
        mov out2 = 999
        SYSCALL SYS_madvise
        SHOW "madvise(page, 4096, 999)"
        adds out0 = 1, loc2
        mov out1 = 4096
        mov out2 = 0
        SYSCALL SYS_madvise
        SHOW "madvise(page + 1, 4096, 0)"
        mov r14 = 7
        ;;
        st1 [loc2] = r14
        mov out0 = loc2
        mov out1 = 8192
        mov out2 = 4
        SYSCALL SYS_madvise
        SHOW "madvise(page, 8192, MADV_DONTNEED)"
        ld1 out1 = [loc2]
        movl out0 = .Lpage
        ;;
        CALL print_kv

        mov out0 = 0
        SYSCALL SYS_brk
        mov loc3 = r8
        mov out0 = -1
        SYSCALL SYS_brk
        YESNO "brk(-1) keeps the break", eq, r8, loc3
        mov out0 = -4096
        SYSCALL SYS_brk
        YESNO "brk(-4096) keeps the break", eq, r8, loc3
        mov out0 = loc3
        SYSCALL SYS_brk
        YESNO "brk back", eq, r8, loc3

        mov out0 = 0
        mov out1 = -1
        mov out2 = 1                    // PROT_READ
        mov out3 = PRIVATE_ANON
        mov out4 = -1
        mov out5 = 0
        SYSCALL SYS_mmap
        SHOW "mmap(0, -1)"
        mov out0 = 0
        mov out1 = -4095
        mov out2 = 1
        mov out3 = PRIVATE_ANON
        mov out4 = -1
        mov out5 = 0
        SYSCALL SYS_mmap
        SHOW "mmap(0, 2^64 - 4095)"
        mov out0 = 0
        movl out1 = 0x8000000000000001
        mov out2 = 1
        mov out3 = PRIVATE_ANON
        mov out4 = -1
        mov out5 = 0
        SYSCALL SYS_mmap
        SHOW "mmap(0, 2^63 + 1)"
        mov out0 = loc2
        mov out1 = -1
        SYSCALL SYS_munmap
        SHOW "munmap(page, -1)"
        mov out0 = loc2
        mov out1 = -4095
        SYSCALL SYS_munmap
        SHOW "munmap(page, 2^64 - 4095)"
        mov out0 = loc2
        mov out1 = -1
        mov out2 = 1
        SYSCALL SYS_mprotect
        SHOW "mprotect(page, -1, PROT_READ)"
        mov out0 = loc2
        mov out1 = -4095
        mov out2 = 1
        SYSCALL SYS_mprotect
        SHOW "mprotect(page, 2^64 - 4095, PROT_READ)"
        mov out0 = loc2
        mov out1 = 4096
        mov out2 = -1
        mov out3 = 1                    // MREMAP_MAYMOVE
        SYSCALL SYS_mremap
        SHOW "mremap(page, 4096, -1, MREMAP_MAYMOVE)"
        mov out0 = loc2
        mov out1 = 4096
        mov out2 = 0
        mov out3 = 1
        SYSCALL SYS_mremap
        SHOW "mremap(page, 4096, 0, MREMAP_MAYMOVE)"
        mov out0 = loc2
        mov out1 = 4096
        mov out2 = 8192
        mov out3 = 8
        SYSCALL SYS_mremap
        SHOW "mremap(page, 4096, 8192, 8)"
        mov out0 = loc2
        mov out1 = 4096
        mov out2 = 8192
        mov out3 = 2                    // MREMAP_FIXED without MREMAP_MAYMOVE
        SYSCALL SYS_mremap
        SHOW "mremap(page, 4096, 8192, MREMAP_FIXED)"
        mov out0 = loc2
        mov out1 = 8192
        SYSCALL SYS_munmap
        SHOW "munmap(page, 8192)"
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp memory_calls

// SELECT "what", fd, sec, usec: select(fd + 1, {fd}, NULL, NULL, {sec, usec}) on the
// readable pipe end fd, shown.
        .macro SELECT what, fd, sec, usec
        FDSET \fd
        PUT2 tv, \sec, \usec
        adds out0 = 1, \fd
        movl out1 = fdset
        mov out2 = 0
        mov out3 = 0
        movl out4 = tv
        SYSCALL SYS_select
        SHOW "\what"
        .endm

// SLEEPER nsec, clock: a child that sleeps LONG_MAX seconds and nsec nanoseconds in nanosleep
// (clock = -1) or in clock_nanosleep(clock), then exits with 1; its pid in r8 for the parent.
        .macro SLEEPER nsec, clock
        mov out0 = SIGCHLD
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        FAILIF "clone"
        cmp.eq p6, p0 = 0, r8
        ;;
(p6)    br.cond.dpnt .Lchild\@
        br.sptk.many .Lparent\@
        ;;
.Lchild\@:
        PUT2 forever, LONG_MAX, \nsec
        .if \clock < 0
        movl out0 = forever
        mov out1 = 0
        SYSCALL SYS_nanosleep
        .else
        mov out0 = \clock
        mov out1 = 0
        movl out2 = forever
        mov out3 = 0
        SYSCALL SYS_clock_nanosleep
        .endif
        mov out0 = 1
        ;;
        CALL exit
.Lparent\@:
        .endm

// select, pselect6, ppoll and poll with LONG_MAX timeouts on a readable pipe (they return at
// once) and malformed ones; invalid sleeps; sleepers of LONG_MAX seconds beside this running
// process; futex, rt_sigtimedwait and setitimer with LONG_MAX seconds.
        .proc timeouts
timeouts:
        alloc loc0 = ar.pfs, 0, 5, 6, 0
        mov loc1 = b0
        SYSCALL SYS_pipe                // the descriptors in r8 and r9
        mov loc2 = r8                   // read end
        mov loc3 = r9                   // write end
        FAILIF "pipe"
        mov out0 = loc3
        movl out1 = .Lx
        mov out2 = 1
        SYSCALL SYS_write

        SELECT "select(LONG_MAX s)", loc2, LONG_MAX, 0
        SELECT "select(LONG_MAX s, 999999 us)", loc2, LONG_MAX, 999999
        SELECT "select(0 s)", loc2, 0, 0
        SELECT "select(1500000 us)", loc2, 0, 1500000
        SELECT "select(-1 us)", loc2, 0, -1
        SELECT "select(-1 s)", loc2, -1, 0

        FDSET loc2
        PUT2 tv, LONG_MAX, 999999999
        adds out0 = 1, loc2
        movl out1 = fdset
        mov out2 = 0
        mov out3 = 0
        movl out4 = tv
        mov out5 = 0
        SYSCALL SYS_pselect6
        SHOW "pselect6(LONG_MAX s)"

        movl r14 = pfd
        mov r16 = 1                     // POLLIN
        ;;
        st4 [r14] = loc2, 4
        ;;
        st2 [r14] = r16, 2
        ;;
        st2 [r14] = r0
        movl out0 = pfd
        mov out1 = 1
        movl out2 = tv                  // still LONG_MAX s, 999999999 ns
        mov out3 = 0
        mov out4 = 8
        SYSCALL SYS_ppoll
        SHOW "ppoll(LONG_MAX s)"
        PUT2 tv, 0, 1000000000
        movl out0 = pfd
        mov out1 = 1
        movl out2 = tv
        mov out3 = 0
        mov out4 = 8
        SYSCALL SYS_ppoll
        SHOW "ppoll(10^9 ns)"
        movl out0 = pfd
        mov out1 = 1
        movl out2 = INT_MAX
        SYSCALL SYS_poll
        SHOW "poll(INT_MAX ms)"
        mov out0 = loc2
        SYSCALL SYS_close

        PUT2 tv, 0, 1000000000
        movl out0 = tv
        mov out1 = 0
        SYSCALL SYS_nanosleep
        SHOW "nanosleep(10^9 ns)"
        PUT2 tv, 0, -1
        movl out0 = tv
        mov out1 = 0
        SYSCALL SYS_nanosleep
        SHOW "nanosleep(-1 ns)"
        PUT2 tv, -1, 0
        movl out0 = tv
        mov out1 = 0
        SYSCALL SYS_nanosleep
        SHOW "nanosleep(-1 s)"

        SLEEPER 999999999, -1
        mov loc3 = r8
        SLEEPER 0, 1                    // CLOCK_MONOTONIC
        mov loc4 = r8
        PUT2 tv, 0, 20000000
        movl out0 = tv
        mov out1 = 0
        SYSCALL SYS_nanosleep
        mov out0 = loc3
        mov out1 = SIGKILL
        SYSCALL SYS_kill
        mov out0 = loc4
        mov out1 = SIGKILL
        SYSCALL SYS_kill
        PUT2 status, 0, 0
        mov out0 = loc3
        movl out1 = status
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        movl r14 = status
        ;;
        ld4 r16 = [r14]
        movl out0 = .Lslept1
        ;;
        and out1 = 0x7f, r16            // WTERMSIG
        ;;
        CALL print_kv
        PUT2 status, 0, 0
        mov out0 = loc4
        movl out1 = status
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        movl r14 = status
        ;;
        ld4 r16 = [r14]
        movl out0 = .Lslept2
        ;;
        and out1 = 0x7f, r16
        ;;
        CALL print_kv

        PUT2 word, 1, 0
        PUT2 tv, LONG_MAX, 0
        movl out0 = word
        mov out1 = 0                    // FUTEX_WAIT
        mov out2 = 0                    // the word holds 1
        movl out3 = tv
        mov out4 = 0
        mov out5 = 0
        SYSCALL SYS_futex
        SHOW "futex(FUTEX_WAIT, LONG_MAX s)"
        PUT2 tv, 0, -1
        movl out0 = word
        mov out1 = 0
        mov out2 = 1
        movl out3 = tv
        mov out4 = 0
        mov out5 = 0
        SYSCALL SYS_futex
        SHOW "futex(FUTEX_WAIT, -1 ns)"

        // SIGUSR1 blocked and pending: an invalid timeout is refused, a LONG_MAX one returns it.
        PUT2 sigset, 1 << (SIGUSR1 - 1), 0
        mov out0 = 0                    // SIG_BLOCK
        movl out1 = sigset
        mov out2 = 0
        mov out3 = 8
        SYSCALL SYS_rt_sigprocmask
        SYSCALL SYS_getpid
        mov out0 = r8
        mov out1 = SIGUSR1
        SYSCALL SYS_kill
        PUT2 tv, -1, 0
        movl out0 = sigset
        mov out1 = 0
        movl out2 = tv
        mov out3 = 8
        SYSCALL SYS_rt_sigtimedwait
        SHOW "rt_sigtimedwait(-1 s)"
        PUT2 tv, LONG_MAX, 0
        movl out0 = sigset
        mov out1 = 0
        movl out2 = tv
        mov out3 = 8
        SYSCALL SYS_rt_sigtimedwait
        SHOW "rt_sigtimedwait(LONG_MAX s)"
        mov out0 = 1                    // SIG_UNBLOCK
        movl out1 = sigset
        mov out2 = 0
        mov out3 = 8
        SYSCALL SYS_rt_sigprocmask

        PUT2 itv, 0, 0
        PUT2 itv + 16, LONG_MAX, 0
        mov out0 = 0                    // ITIMER_REAL
        movl out1 = itv
        mov out2 = 0
        SYSCALL SYS_setitimer
        SHOW "setitimer(LONG_MAX s)"
        mov out0 = 0
        movl out1 = oitv
        SYSCALL SYS_getitimer
        SHOW "getitimer"
        movl r14 = oitv + 16
        movl r16 = 1000000
        ;;
        ld8 r17 = [r14]
        ;;
        YESNO "time left > 10^6 s", gt, r17, r16
        PUT2 itv + 16, 1, 1000000
        mov out0 = 0
        movl out1 = itv
        mov out2 = 0
        SYSCALL SYS_setitimer
        SHOW "setitimer(1000000 us)"
        mov out0 = 99
        mov out1 = 0
        mov out2 = 0
        SYSCALL SYS_setitimer
        SHOW "setitimer(99)"
        PUT2 itv + 16, 0, 0
        mov out0 = 0
        movl out1 = itv
        mov out2 = 0
        SYSCALL SYS_setitimer
        SHOW "setitimer(0)"
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp timeouts

// kill, tgkill, tkill and rt_sigaction with pids of INT_MIN and INT_MAX and signals 0, 65, -1
// (loc2 = pid, loc3 = tid).
        .proc signal_calls
signal_calls:
        alloc loc0 = ar.pfs, 0, 4, 4, 0
        mov loc1 = b0
        SYSCALL SYS_getpid
        mov loc2 = r8
        SYSCALL SYS_gettid
        mov loc3 = r8

        movl out0 = INT_MIN
        mov out1 = 0
        SYSCALL SYS_kill
        SHOW "kill(INT_MIN, 0)"
        movl out0 = INT_MIN
        mov out1 = SIGKILL
        SYSCALL SYS_kill
        SHOW "kill(INT_MIN, SIGKILL)"
        movl out0 = INT_MAX
        mov out1 = 0
        SYSCALL SYS_kill
        SHOW "kill(INT_MAX, 0)"
        mov out0 = loc2
        mov out1 = 0
        SYSCALL SYS_kill
        SHOW "kill(self, 0)"
        mov out0 = loc2
        mov out1 = 65
        SYSCALL SYS_kill
        SHOW "kill(self, 65)"
        mov out0 = loc2
        mov out1 = -1
        SYSCALL SYS_kill
        SHOW "kill(self, -1)"
        mov out0 = 0
        mov out1 = loc3
        mov out2 = 0
        SYSCALL SYS_tgkill
        SHOW "tgkill(0, tid, 0)"
        mov out0 = -1
        mov out1 = loc3
        mov out2 = 0
        SYSCALL SYS_tgkill
        SHOW "tgkill(-1, tid, 0)"
        mov out0 = loc2
        mov out1 = loc3
        mov out2 = 65
        SYSCALL SYS_tgkill
        SHOW "tgkill(self, tid, 65)"
        movl out0 = INT_MIN
        mov out1 = 0
        SYSCALL SYS_tkill
        SHOW "tkill(INT_MIN, 0)"

        mov out0 = 0
        mov out1 = 0
        movl out2 = act
        mov out3 = 8
        SYSCALL SYS_rt_sigaction
        SHOW "rt_sigaction(0)"
        mov out0 = 65
        mov out1 = 0
        movl out2 = act
        mov out3 = 8
        SYSCALL SYS_rt_sigaction
        SHOW "rt_sigaction(65)"
        mov out0 = -1
        mov out1 = 0
        movl out2 = act
        mov out3 = 8
        SYSCALL SYS_rt_sigaction
        SHOW "rt_sigaction(-1)"
        mov out0 = SIGUSR1
        mov out1 = 0
        movl out2 = act
        mov out3 = 8
        SYSCALL SYS_rt_sigaction
        SHOW "rt_sigaction(SIGUSR1)"
        mov out0 = SIGUSR1
        mov out1 = 0
        movl out2 = act
        mov out3 = 9
        SYSCALL SYS_rt_sigaction
        SHOW "rt_sigaction(SIGUSR1, sigsetsize 9)"
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp signal_calls

// CLONEWAIT sig: clone with exit signal sig (no signal at all past 64); the child exits with
// status 3 and the parent reaps it with wait4(-1, &status, __WALL, NULL).
        .macro CLONEWAIT sig
        mov out0 = \sig
        mov out1 = 0
        mov out2 = 0
        mov out3 = 0
        mov out4 = 0
        SYSCALL SYS_clone
        FAILIF "clone"
        cmp.eq p6, p0 = 0, r8
        mov loc2 = r8
        mov out0 = 3
        ;;
(p6)    br.call.dpnt.many b0 = exit
        ;;
        PUT2 status, 0, 0
        mov out0 = -1
        movl out1 = status
        movl out2 = WALL
        mov out3 = 0
        SYSCALL SYS_wait4
        YESNO "exit signal \sig, wait4(-1, __WALL) reaps the child", eq, r8, loc2
        movl r14 = status
        ;;
        ld4 r16 = [r14]
        movl out0 = .Lstatus
        ;;
        extr.u out1 = r16, 8, 8         // WEXITSTATUS
        ;;
        CALL print_kv
        .endm

// wait4/waitid/prlimit64 with hostile pids; children with exit signals 100, 255 and 65.
        .proc process_calls
process_calls:
        alloc loc0 = ar.pfs, 0, 3, 5, 0
        mov loc1 = b0
        movl out0 = INT_MIN
        movl out1 = status
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_wait4
        SHOW "wait4(INT_MIN)"
        movl out0 = -INT_MAX
        movl out1 = status
        mov out2 = 1                    // WNOHANG
        mov out3 = 0
        SYSCALL SYS_wait4
        SHOW "wait4(-INT_MAX, WNOHANG)"
        mov out0 = 1                    // P_PID
        mov out1 = 0
        mov out2 = 0
        mov out3 = 4                    // WEXITED
        mov out4 = 0
        SYSCALL SYS_waitid
        SHOW "waitid(P_PID, 0)"
        mov out0 = 2                    // P_PGID
        mov out1 = -1
        mov out2 = 0
        mov out3 = 4
        mov out4 = 0
        SYSCALL SYS_waitid
        SHOW "waitid(P_PGID, -1)"
        movl out0 = INT_MIN
        mov out1 = 7                    // RLIMIT_NOFILE
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_prlimit64
        SHOW "prlimit64(INT_MIN, RLIMIT_NOFILE)"
        mov out0 = 0
        mov out1 = 16                   // RLIM_NLIMITS
        mov out2 = 0
        mov out3 = 0
        SYSCALL SYS_prlimit64
        SHOW "prlimit64(0, 16)"

        CLONEWAIT 100
        CLONEWAIT 255
        CLONEWAIT 65
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp process_calls

// lseek and pread64/pwrite64 near 2^63 and below 0, iovecs of length -1 and counts past
// IOV_MAX, getcwd into 0 bytes (loc2 = a 4-byte file, loc3/loc4 = a pipe with a byte in it).
        .proc file_calls
file_calls:
        alloc loc0 = ar.pfs, 0, 5, 4, 0
        mov loc1 = b0
        movl out0 = path
        mov out1 = 0x242                // O_RDWR | O_CREAT | O_TRUNC
        mov out2 = 0600
        SYSCALL SYS_open
        mov loc2 = r8
        FAILIF "open"
        mov out0 = loc2
        movl out1 = .Ldata
        mov out2 = 4
        SYSCALL SYS_write

        mov out0 = loc2
        mov out1 = 100
        mov out2 = 0                    // SEEK_SET
        SYSCALL SYS_lseek
        SHOW "lseek(100, SEEK_SET)"
        mov out0 = loc2
        movl out1 = LONG_MAX
        mov out2 = 1                    // SEEK_CUR
        SYSCALL SYS_lseek
        SHOW "lseek(LLONG_MAX, SEEK_CUR)"
        mov out0 = loc2
        movl out1 = LONG_MIN
        mov out2 = 0
        SYSCALL SYS_lseek
        SHOW "lseek(LLONG_MIN, SEEK_SET)"
        mov out0 = loc2
        movl out1 = LONG_MIN
        mov out2 = 3                    // SEEK_DATA
        SYSCALL SYS_lseek
        SHOW "lseek(LLONG_MIN, SEEK_DATA)"
        mov out0 = loc2
        mov out1 = -1
        mov out2 = 4                    // SEEK_HOLE
        SYSCALL SYS_lseek
        SHOW "lseek(-1, SEEK_HOLE)"
        mov out0 = loc2
        movl out1 = buf
        mov out2 = 10
        movl out3 = LONG_MAX - 5
        SYSCALL SYS_pread64
        SHOW "pread64(10, LLONG_MAX - 5)"
        mov out0 = loc2
        movl out1 = buf
        mov out2 = 10
        movl out3 = LONG_MAX - 5
        SYSCALL SYS_pwrite64
        SHOW "pwrite64(10, LLONG_MAX - 5)"
        mov out0 = loc2
        movl out1 = buf
        mov out2 = 10
        movl out3 = LONG_MAX
        SYSCALL SYS_pread64
        SHOW "pread64(10, LLONG_MAX)"
        mov out0 = loc2
        movl out1 = buf
        mov out2 = 10
        mov out3 = -1
        SYSCALL SYS_pread64
        SHOW "pread64(10, -1)"
        mov out0 = loc2
        movl out1 = buf
        mov out2 = 4
        mov out3 = 0
        SYSCALL SYS_pread64
        SHOW "pread64(4, 0)"

        SYSCALL SYS_pipe
        mov loc3 = r8
        mov loc4 = r9
        FAILIF "pipe"
        mov out0 = loc4
        movl out1 = .Lx
        mov out2 = 1
        SYSCALL SYS_write
        PUT2 negiov, buf, -1
        PUT2 iov, buf, 4
        mov out0 = loc3
        movl out1 = negiov
        mov out2 = 1
        SYSCALL SYS_readv
        SHOW "readv(len -1)"
        mov out0 = loc2
        movl out1 = negiov
        mov out2 = 1
        SYSCALL SYS_writev
        SHOW "writev(len -1)"
        mov out0 = loc3
        movl out1 = iov
        mov out2 = 1025
        SYSCALL SYS_readv
        SHOW "readv(1025 vectors)"
        mov out0 = loc3
        movl out1 = iov
        mov out2 = -1
        SYSCALL SYS_readv
        SHOW "readv(-1 vectors)"
        movl out0 = buf
        mov out1 = 0
        SYSCALL SYS_getcwd
        SHOW "getcwd(buf, 0)"
        mov out0 = loc3
        SYSCALL SYS_close
        mov out0 = loc2
        SYSCALL SYS_close
        movl out0 = path
        SYSCALL SYS_unlink
        FAILIF "unlink"
        mov ar.pfs = loc0
        mov b0 = loc1
        ;;
        br.ret.sptk.many b0
        .endp file_calls
